//! String commands: GET SET SETNX SETEX PSETEX MGET MSET MSETNX GETSET GETDEL GETEX APPEND STRLEN
//! GETRANGE SETRANGE INCR DECR INCRBY DECRBY INCRBYFLOAT.
//! Semantics follow redis.io's command pages and Redis 7.0's `t_string.c`.

use super::table::{acl, flag::*, Command, BASE};
use super::{parse_expire, Args, CmdError, CmdResult, Ctx};
use crate::keyspace::{Entry, Str, Value};

/// The string of an entry, or WRONGTYPE.
pub fn as_str(e: &Entry) -> Result<&Str, CmdError> {
    match &e.value {
        Value::Str(s) => Ok(s),
        #[allow(unreachable_patterns)]
        _ => Err(CmdError::WrongType),
    }
}

fn as_str_mut(e: &mut Entry) -> Result<&mut Str, CmdError> {
    match &mut e.value {
        Value::Str(s) => Ok(s),
        #[allow(unreachable_patterns)]
        _ => Err(CmdError::WrongType),
    }
}

fn check_len(ctx: &Ctx<'_, '_>, len: u64) -> CmdResult {
    if len
        > ctx
            .srv
            .limits
            .max_bulk_len
            .load(std::sync::atomic::Ordering::Relaxed)
    {
        return Err(CmdError::StringTooLong);
    }
    Ok(())
}

/// GET key. <https://redis.io/commands/get/>
fn get(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    match ctx.ks.lookup_read(&a[1]) {
        None => ctx.out.null(),
        Some(e) => match as_str(e)? {
            Str::Int(n) => ctx.out.bulk_int(*n),
            Str::Inline(i) => ctx.out.bulk(i.as_slice()),
            Str::Emb(b) => ctx.out.bulk(b),
            Str::Raw(v) => ctx.out.bulk(v),
        },
    }
    Ok(())
}

/// Which expiry a SET/GETEX option list asked for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ttl {
    /// No option: SET clears the TTL, GETEX leaves it.
    Unset,
    Keep,
    Persist,
    /// Absolute unix ms.
    At(i64),
}

struct SetOpts {
    nx: bool,
    xx: bool,
    get: bool,
    ttl: Ttl,
}

impl SetOpts {
    /// No NX/XX/GET, only an expiry choice.
    fn with_ttl(ttl: Ttl) -> SetOpts {
        SetOpts {
            nx: false,
            xx: false,
            get: false,
            ttl,
        }
    }
}

/// Parses SET's (from = 3) or GETEX's (from = 2) options as Redis's
/// `parseExtendedStringArgumentsOrReply`, then the expire value.
fn parse_set_opts(
    ctx: &Ctx<'_, '_>,
    a: &Args<'_>,
    from: usize,
    is_set: bool,
    name: &str,
) -> Result<SetOpts, CmdError> {
    let mut o = SetOpts::with_ttl(Ttl::Unset);
    // (unit ms, absolute, argument index)
    let mut expire: Option<(u64, bool, usize)> = None;
    let mut i = from;
    while i < a.len() {
        let has_next = i + 1 < a.len();
        let w = a.get(i);
        let is = |s: &str| w.eq_ignore_ascii_case(s.as_bytes());
        let timed = expire.is_some();
        if is_set && is("nx") && !o.xx {
            o.nx = true;
        } else if is_set && is("xx") && !o.nx {
            o.xx = true;
        } else if is_set && is("get") {
            o.get = true;
        } else if is_set && is("keepttl") && !timed {
            o.ttl = Ttl::Keep;
        } else if !is_set && is("persist") && !timed {
            o.ttl = Ttl::Persist;
        } else if has_next
            && o.ttl == Ttl::Unset
            && (is("ex") || is("px") || is("exat") || is("pxat"))
        {
            let kind = if is("ex") {
                (1000, false)
            } else if is("px") {
                (1, false)
            } else if is("exat") {
                (1000, true)
            } else {
                (1, true)
            };
            // Redis accepts the same option twice (the last wins) but not two different ones.
            if let Some((u, abs, _)) = expire {
                if (u, abs) != kind {
                    return Err(CmdError::Syntax);
                }
            }
            expire = Some((kind.0, kind.1, i + 1));
            i += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    if let Some((unit, abs, idx)) = expire {
        o.ttl = Ttl::At(parse_expire(a.get(idx), unit, abs, ctx.now, name, false)?);
    }
    Ok(o)
}

/// SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ts|KEEPTTL]. <https://redis.io/commands/set/>
fn set(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let o = parse_set_opts(ctx, a, 3, true, "set")?;
    set_generic(ctx, &a[1], &a[2], &o, false)
}

fn set_generic(
    ctx: &mut Ctx<'_, '_>,
    key: &[u8],
    val: &[u8],
    o: &SetOpts,
    reply_int: bool,
) -> CmdResult {
    let (found, keep_at) = match ctx.ks.lookup_write(key) {
        None => (false, 0),
        Some(e) => {
            if o.get {
                as_str(e)?.with_bytes(|b| ctx.out.bulk(b));
            }
            (true, e.expire_at().unwrap_or(0))
        }
    };
    if o.get && !found {
        ctx.out.null();
    }
    if (o.nx && found) || (o.xx && !found) {
        if reply_int {
            ctx.out.int(0);
        } else if !o.get {
            ctx.out.null();
        }
        return Ok(());
    }
    let at = match o.ttl {
        Ttl::At(ms) => ms as u64,
        Ttl::Keep => keep_at,
        Ttl::Unset | Ttl::Persist => 0,
    };
    ctx.ks.insert(key, Value::Str(Str::from_bytes(val)), at);
    if let Ttl::At(ms) = o.ttl {
        // Relative (EX, PX, SETEX) or not, the replay needs the absolute time.
        let mut n = itoa::Buffer::new();
        ctx.propagate(&[b"SET", key, val, b"PXAT", n.format(ms).as_bytes()]);
    }
    ctx.notify(super::notify::STRING, "set", key);
    if let Ttl::At(_) = o.ttl {
        ctx.notify(super::notify::GENERIC, "expire", key);
    }
    if reply_int {
        ctx.out.int(1);
    } else if !o.get {
        ctx.out.ok();
    }
    Ok(())
}

/// SETNX key value. <https://redis.io/commands/setnx/>
fn setnx(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let o = SetOpts {
        nx: true,
        ..SetOpts::with_ttl(Ttl::Unset)
    };
    set_generic(ctx, &a[1], &a[2], &o, true)
}

/// SETEX key seconds value. <https://redis.io/commands/setex/>
fn setex(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let at = parse_expire(&a[2], 1000, false, ctx.now, "setex", false)?;
    let o = SetOpts::with_ttl(Ttl::At(at));
    set_generic(ctx, &a[1], &a[3], &o, false)
}

/// PSETEX key milliseconds value. <https://redis.io/commands/psetex/>
fn psetex(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let at = parse_expire(&a[2], 1, false, ctx.now, "psetex", false)?;
    let o = SetOpts::with_ttl(Ttl::At(at));
    set_generic(ctx, &a[1], &a[3], &o, false)
}

/// GETSET key value. <https://redis.io/commands/getset/>
fn getset(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let o = SetOpts {
        get: true,
        ..SetOpts::with_ttl(Ttl::Unset)
    };
    set_generic(ctx, &a[1], &a[2], &o, false)
}

/// MGET key [key ...]: nil for missing keys and keys of other types. <https://redis.io/commands/mget/>
fn mget(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    ctx.out.array_len(a.len() - 1);
    for i in 1..a.len() {
        match ctx.ks.lookup_read(&a[i]).map(|e| &e.value) {
            Some(Value::Str(s)) => s.with_bytes(|b| ctx.out.bulk(b)),
            #[allow(unreachable_patterns)]
            _ => ctx.out.null(),
        }
    }
    Ok(())
}

/// MSET key value [key value ...]. <https://redis.io/commands/mset/>
fn mset(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    if a.len() % 2 == 0 {
        return Err(CmdError::WrongArity("mset".into()));
    }
    for i in (1..a.len()).step_by(2) {
        ctx.ks
            .insert(&a[i], Value::Str(Str::from_bytes(&a[i + 1])), 0);
        ctx.notify(super::notify::STRING, "set", &a[i]);
    }
    ctx.out.ok();
    Ok(())
}

/// MSETNX key value [key value ...]: all or nothing. <https://redis.io/commands/msetnx/>
fn msetnx(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    if a.len() % 2 == 0 {
        return Err(CmdError::WrongArity("msetnx".into()));
    }
    for i in (1..a.len()).step_by(2) {
        if ctx.ks.lookup_write(&a[i]).is_some() {
            ctx.out.int(0);
            return Ok(());
        }
    }
    for i in (1..a.len()).step_by(2) {
        ctx.ks
            .insert(&a[i], Value::Str(Str::from_bytes(&a[i + 1])), 0);
        ctx.notify(super::notify::STRING, "set", &a[i]);
    }
    ctx.out.int(1);
    Ok(())
}

/// GETDEL key. <https://redis.io/commands/getdel/>
fn getdel(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    match ctx.ks.lookup_read(&a[1]) {
        None => ctx.out.null(),
        Some(e) => {
            as_str(e)?.with_bytes(|b| ctx.out.bulk(b));
            ctx.ks.remove(&a[1]);
            ctx.notify(super::notify::GENERIC, "del", &a[1]);
        }
    }
    Ok(())
}

/// GETEX key [EX s|PX ms|EXAT ts|PXAT ts|PERSIST]. <https://redis.io/commands/getex/>
fn getex(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let o = parse_set_opts(ctx, a, 2, false, "getex")?;
    let key = &a[1];
    match ctx.ks.lookup_read(key) {
        None => {
            ctx.out.null();
            return Ok(());
        }
        Some(e) => as_str(e)?.with_bytes(|b| ctx.out.bulk(b)),
    }
    match o.ttl {
        Ttl::At(ms) if ms as u64 <= ctx.now => {
            ctx.ks.remove(key);
            ctx.propagate(&[b"DEL", key]);
            ctx.notify(super::notify::GENERIC, "del", key);
        }
        Ttl::At(ms) => {
            ctx.ks.set_expire(key, Some(ms as u64));
            ctx.propagate_pexpireat(key, ms as u64);
            ctx.notify(super::notify::GENERIC, "expire", key);
        }
        Ttl::Persist => {
            if ctx.ks.peek(key).and_then(|e| e.expire_at()).is_some() {
                ctx.ks.set_expire(key, None);
                ctx.propagate(&[b"PERSIST", key]);
                ctx.notify(super::notify::GENERIC, "persist", key);
            }
        }
        Ttl::Unset | Ttl::Keep => {}
    }
    Ok(())
}

/// APPEND key value: the new length. <https://redis.io/commands/append/>
fn append(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let (key, add) = (&a[1], &a[2]);
    let cur = match ctx.ks.lookup_write(key) {
        None => None,
        Some(e) => Some(as_str(e)?.len()),
    };
    match cur {
        None => {
            ctx.ks.insert(key, Value::Str(Str::raw(add.to_vec())), 0);
            ctx.notify(super::notify::STRING, "append", key);
            ctx.out.int(add.len() as i64);
        }
        Some(len) => {
            check_len(ctx, (len + add.len()) as u64)?;
            let e = ctx.ks.lookup_write(key).expect("looked up above");
            let v = as_str_mut(e)?.make_raw();
            v.extend_from_slice(add);
            let n = v.len();
            ctx.ks.touch_dirty(key);
            ctx.notify(super::notify::STRING, "append", key);
            ctx.out.int(n as i64);
        }
    }
    Ok(())
}

/// STRLEN key. <https://redis.io/commands/strlen/>
fn strlen(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let n = match ctx.ks.lookup_read(&a[1]) {
        None => 0,
        Some(e) => as_str(e)?.len(),
    };
    ctx.out.int(n as i64);
    Ok(())
}

/// GETRANGE key start end (inclusive, negative from the end). <https://redis.io/commands/getrange/>
fn getrange(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let mut start = a.i64(2)?;
    let mut end = a.i64(3)?;
    let Some(e) = ctx.ks.lookup_read(&a[1]) else {
        ctx.out.bulk(b"");
        return Ok(());
    };
    let s = as_str(e)?;
    s.with_bytes(|b| {
        let len = b.len() as i64;
        if start < 0 && end < 0 && start > end {
            ctx.out.bulk(b"");
            return;
        }
        if start < 0 {
            start += len;
        }
        if end < 0 {
            end += len;
        }
        start = start.max(0);
        end = end.max(0);
        if end >= len {
            end = len - 1;
        }
        if start > end || len == 0 {
            ctx.out.bulk(b"");
        } else {
            ctx.out.bulk(&b[start as usize..=end as usize]);
        }
    });
    Ok(())
}

/// SETRANGE key offset value: the new length. <https://redis.io/commands/setrange/>
fn setrange(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let offset = a.i64(2)?;
    if offset < 0 {
        return Err(CmdError::err("offset is out of range"));
    }
    let (key, val) = (&a[1], &a[3]);
    let cur = match ctx.ks.lookup_write(key) {
        None => None,
        Some(e) => Some(as_str(e)?.len()),
    };
    if val.is_empty() {
        ctx.out.int(cur.unwrap_or(0) as i64);
        return Ok(());
    }
    check_len(ctx, offset as u64 + val.len() as u64)?;
    let off = offset as usize;
    if cur.is_none() {
        ctx.ks.insert(key, Value::Str(Str::raw(Vec::new())), 0);
    }
    let e = ctx.ks.lookup_write(key).expect("exists now");
    let v = as_str_mut(e)?.make_raw();
    if v.len() < off + val.len() {
        v.resize(off + val.len(), 0);
    }
    v[off..off + val.len()].copy_from_slice(val);
    let n = v.len();
    ctx.ks.touch_dirty(key);
    ctx.notify(super::notify::STRING, "setrange", key);
    ctx.out.int(n as i64);
    Ok(())
}

/// INCR/DECR/INCRBY/DECRBY on `key` by `by`, keeping its TTL.
fn incr_by(ctx: &mut Ctx<'_, '_>, key: &[u8], by: i64) -> CmdResult {
    let n = match ctx.ks.lookup_write(key) {
        None => {
            ctx.ks.insert(key, Value::Str(Str::Int(by)), 0);
            by
        }
        Some(e) => {
            let s = as_str_mut(e)?;
            let cur = match &*s {
                Str::Int(n) => *n,
                other => other
                    .with_bytes(crate::util::parse_i64)
                    .ok_or(CmdError::NotInteger)?,
            };
            let n = cur.checked_add(by).ok_or(CmdError::Overflow)?;
            *s = Str::Int(n);
            ctx.ks.touch_dirty(key);
            n
        }
    };
    ctx.notify(super::notify::STRING, "incrby", key);
    ctx.out.int(n);
    Ok(())
}

/// INCR key. <https://redis.io/commands/incr/>
fn incr(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    incr_by(ctx, &a[1], 1)
}

/// DECR key. <https://redis.io/commands/decr/>
fn decr(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    incr_by(ctx, &a[1], -1)
}

/// INCRBY key increment. <https://redis.io/commands/incrby/>
fn incrby(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let by = a.i64(2)?;
    incr_by(ctx, &a[1], by)
}

/// DECRBY key decrement. <https://redis.io/commands/decrby/>
fn decrby(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let by = a.i64(2)?;
    if by == i64::MIN {
        return Err(CmdError::err("decrement would overflow"));
    }
    incr_by(ctx, &a[1], -by)
}

/// The text INCRBYFLOAT stores for `cur + by`.
///
/// Redis adds in `long double` and prints with `%.17Lf`, trailing zeros removed, so decimal
/// inputs like 0.1 + 0.2 give "0.3". We add exactly in decimal (28 digits) and round to 17
/// fractional digits, which gives the same text for every input that fits; values beyond
/// decimal's range fall back to f64. Errors: not a float, or a NaN/infinite result.
pub fn incrbyfloat_text(cur: &[u8], by: &[u8]) -> Result<String, CmdError> {
    let c = crate::util::parse_f64(cur).ok_or(CmdError::NotFloat)?;
    let b = crate::util::parse_f64(by).ok_or(CmdError::NotFloat)?;
    let sum = c + b;
    if sum.is_nan() || sum.is_infinite() {
        return Err(CmdError::NanOrInfinity);
    }
    let dec = |x: &[u8]| -> Option<rust_decimal::Decimal> {
        let s = std::str::from_utf8(x).ok()?;
        let s = s.strip_prefix('+').unwrap_or(s);
        if s.contains(['e', 'E']) {
            rust_decimal::Decimal::from_scientific(s).ok()
        } else {
            rust_decimal::Decimal::from_str_exact(s).ok()
        }
    };
    if let (Some(x), Some(y)) = (dec(cur), dec(by)) {
        if let Some(z) = x.checked_add(y) {
            let z = z
                .round_dp_with_strategy(17, rust_decimal::RoundingStrategy::MidpointNearestEven)
                .normalize();
            let t = z.to_string();
            return Ok(if t == "-0" { "0".into() } else { t });
        }
    }
    Ok(crate::util::format_double(sum))
}

/// INCRBYFLOAT key increment. <https://redis.io/commands/incrbyfloat/>
fn incrbyfloat(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    crate::util::parse_f64(&a[2]).ok_or(CmdError::NotFloat)?;
    let key = &a[1];
    let text = match ctx.ks.lookup_write(key) {
        None => incrbyfloat_text(b"0", &a[2])?,
        Some(e) => as_str(e)?.with_bytes(|cur| incrbyfloat_text(cur, &a[2]))?,
    };
    let value = Value::Str(Str::embstr(text.as_bytes()));
    match ctx.ks.lookup_write(key) {
        Some(e) => {
            e.value = value;
            ctx.ks.touch_dirty(key);
        }
        None => ctx.ks.insert(key, value, 0),
    }
    // The result, not the increment: replay must not depend on float formatting.
    ctx.propagate(&[b"SET", key, text.as_bytes(), b"KEEPTTL"]);
    ctx.notify(super::notify::STRING, "incrbyfloat", key);
    ctx.out.bulk(text.as_bytes());
    Ok(())
}

const S: Command = Command {
    group: "string",
    acl: acl::STRING,
    ..BASE
};
const K1: (i32, i32, i32) = (1, 1, 1);

pub static COMMANDS: &[Command] = &[
    Command { name: "get", warm_value: true, arity: 2, flags: READONLY | FAST, keys: K1, since: "1.0.0",
        summary: "Get the value of a key", complexity: "O(1)", handler: get, ..S },
    Command { name: "set", warm_value: true, arity: -3, flags: WRITE | DENYOOM, keys: K1, since: "1.0.0",
        summary: "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.",
        complexity: "O(1)", handler: set, ..S },
    Command { name: "setnx", arity: 3, flags: WRITE | DENYOOM | FAST, keys: K1, since: "1.0.0",
        summary: "Set the string value of a key only when the key doesn't exist.", complexity: "O(1)", handler: setnx, ..S },
    Command { name: "setex", warm_value: true, arity: 4, flags: WRITE | DENYOOM, keys: K1, since: "2.0.0",
        summary: "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.",
        complexity: "O(1)", handler: setex, ..S },
    Command { name: "psetex", warm_value: true, arity: 4, flags: WRITE | DENYOOM, keys: K1, since: "2.6.0",
        summary: "Sets both string value and expiration time in milliseconds of a key.", complexity: "O(1)", handler: psetex, ..S },
    Command { name: "getset", warm_value: true, arity: 3, flags: WRITE | DENYOOM | FAST, keys: K1, since: "1.0.0",
        summary: "Returns the previous string value of a key after setting it to a new value.", complexity: "O(1)", handler: getset, ..S },
    Command { name: "mget", warm_value: true, arity: -2, flags: READONLY | FAST, keys: (1, -1, 1), since: "1.0.0",
        summary: "Atomically returns the string values of one or more keys.", complexity: "O(N) where N is the number of keys to retrieve.", handler: mget, ..S },
    Command { name: "mset", warm_value: true, arity: -3, flags: WRITE | DENYOOM, keys: (1, -1, 2), since: "1.0.1",
        summary: "Atomically creates or modifies the string values of one or more keys.", complexity: "O(N) where N is the number of keys to set.", handler: mset, ..S },
    Command { name: "msetnx", warm_value: true, arity: -3, flags: WRITE | DENYOOM, keys: (1, -1, 2), since: "1.0.1",
        summary: "Atomically modifies the string values of one or more keys only when all keys don't exist.", complexity: "O(N) where N is the number of keys to set.", handler: msetnx, ..S },
    Command { name: "getdel", warm_value: true, arity: 2, flags: WRITE | FAST, keys: K1, since: "6.2.0",
        summary: "Returns the string value of a key after deleting the key.", complexity: "O(1)", handler: getdel, ..S },
    Command { name: "getex", warm_value: true, arity: -2, flags: WRITE | FAST, keys: K1, since: "6.2.0",
        summary: "Returns the string value of a key after setting its expiration time.", complexity: "O(1)", handler: getex, ..S },
    Command { name: "append", arity: 3, flags: WRITE | DENYOOM | FAST, keys: K1, since: "2.0.0",
        summary: "Appends a string to the value of a key. Creates the key if it doesn't exist.", complexity: "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.", handler: append, ..S },
    Command { name: "strlen", arity: 2, flags: READONLY | FAST, keys: K1, since: "2.2.0",
        summary: "Returns the length of a string value.", complexity: "O(1)", handler: strlen, ..S },
    Command { name: "getrange", arity: 4, flags: READONLY, keys: K1, since: "2.4.0",
        summary: "Returns a substring of the string stored at a key.", complexity: "O(N) where N is the length of the returned string.", handler: getrange, ..S },
    Command { name: "setrange", arity: 4, flags: WRITE | DENYOOM, keys: K1, since: "2.2.0",
        summary: "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.", complexity: "O(1), not counting the time taken to copy the new string in place.", handler: setrange, ..S },
    Command { name: "incr", arity: 2, flags: WRITE | DENYOOM | FAST, keys: K1, since: "1.0.0",
        summary: "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", complexity: "O(1)", handler: incr, ..S },
    Command { name: "decr", arity: 2, flags: WRITE | DENYOOM | FAST, keys: K1, since: "1.0.0",
        summary: "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", complexity: "O(1)", handler: decr, ..S },
    Command { name: "incrby", arity: 3, flags: WRITE | DENYOOM | FAST, keys: K1, since: "1.0.0",
        summary: "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.", complexity: "O(1)", handler: incrby, ..S },
    Command { name: "decrby", arity: 3, flags: WRITE | DENYOOM | FAST, keys: K1, since: "1.0.0",
        summary: "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.", complexity: "O(1)", handler: decrby, ..S },
    Command { name: "incrbyfloat", arity: 3, flags: WRITE | DENYOOM | FAST, keys: K1, since: "2.6.0",
        summary: "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist.", complexity: "O(1)", handler: incrbyfloat, ..S },
];

#[cfg(test)]
mod tests {
    use super::incrbyfloat_text as f;

    #[test]
    fn incrbyfloat_prints_like_redis_long_double() {
        assert_eq!(f(b"0.1", b"0.2").unwrap(), "0.3");
        assert_eq!(f(b"1.1", b"2.2").unwrap(), "3.3");
        assert_eq!(f(b"10.5", b"0.1").unwrap(), "10.6");
        assert_eq!(f(b"0", b"3.0e3").unwrap(), "3000");
        assert_eq!(f(b"0", b"1e-5").unwrap(), "0.00001");
        assert_eq!(f(b"5", b"-5").unwrap(), "0");
        assert_eq!(f(b"0", b"1e-20").unwrap(), "0");
        assert!(f(b"abc", b"1").is_err());
        assert!(f(b"1", b"inf").is_err());
    }
}
