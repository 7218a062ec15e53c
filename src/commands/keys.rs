//! Generic key commands: DEL UNLINK EXISTS TYPE TOUCH, the EXPIRE family and TTL family, PERSIST,
//! RENAME RENAMENX COPY MOVE, KEYS SCAN RANDOMKEY OBJECT, and the database commands SELECT DBSIZE
//! FLUSHDB FLUSHALL SWAPDB. Semantics follow redis.io and Redis 7.0's `db.c`, `expire.c`,
//! `object.c`.

use super::table::{acl, flag::*, Command, BASE};
use super::{parse_expire, Args, CmdError, CmdResult, Ctx};
use crate::keyspace::evict::{self, Policy};
use crate::keyspace::walk::ScanFilter;
use crate::keyspace::Value;
use std::sync::atomic::Ordering::Relaxed;

/// DEL key [key ...]: how many were removed. <https://redis.io/commands/del/>
fn del(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let mut n = 0;
    for k in a.iter().skip(1) {
        if ctx.ks.remove(k).is_some() {
            n += 1;
            ctx.notify(super::notify::GENERIC, "del", k);
        }
    }
    ctx.out.int(n);
    Ok(())
}

/// EXISTS key [key ...]: counts a key once per mention. <https://redis.io/commands/exists/>
fn exists(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let mut n = 0;
    for k in a.iter().skip(1) {
        if ctx.ks.lookup_read_notouch(k).is_some() {
            n += 1;
        }
    }
    ctx.out.int(n);
    Ok(())
}

/// TOUCH key [key ...]: updates access times, counts existing keys. <https://redis.io/commands/touch/>
fn touch(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let mut n = 0;
    for k in a.iter().skip(1) {
        if ctx.ks.lookup_write(k).is_some() {
            n += 1;
        }
    }
    ctx.out.int(n);
    Ok(())
}

/// TYPE key. <https://redis.io/commands/type/>
fn type_(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let t = ctx
        .ks
        .lookup_read_notouch(&a[1])
        .map_or("none", |e| e.value.type_name());
    ctx.out.simple(t);
    Ok(())
}

/// EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT key n [NX|XX|GT|LT] as Redis's `expireGenericCommand`.
fn expire_generic(
    ctx: &mut Ctx<'_, '_>,
    a: &Args<'_>,
    unit_ms: u64,
    absolute: bool,
    name: &str,
) -> CmdResult {
    let (mut nx, mut xx, mut gt, mut lt) = (false, false, false, false);
    for i in 3..a.len() {
        if a.is(i, "nx") {
            nx = true;
        } else if a.is(i, "xx") {
            xx = true;
        } else if a.is(i, "gt") {
            gt = true;
        } else if a.is(i, "lt") {
            lt = true;
        } else {
            return Err(CmdError::err(format!("Unsupported option {}", a.str(i))));
        }
    }
    if nx && (xx || gt || lt) {
        return Err(CmdError::err(
            "NX and XX, GT or LT options at the same time are not compatible",
        ));
    }
    if gt && lt {
        return Err(CmdError::err(
            "GT and LT options at the same time are not compatible",
        ));
    }
    let when = parse_expire(&a[2], unit_ms, absolute, ctx.now, name, true)?;
    let key = &a[1];
    let Some(e) = ctx.ks.lookup_write(key) else {
        ctx.out.int(0);
        return Ok(());
    };
    let cur = e.expire_at().map(|x| x as i64);
    let skip = (nx && cur.is_some())
        || (xx && cur.is_none())
        || (gt && cur.is_none_or(|c| when <= c))
        || (lt && cur.is_some_and(|c| when >= c));
    if skip {
        ctx.out.int(0);
        return Ok(());
    }
    if when <= ctx.now as i64 {
        ctx.ks.remove(key);
        ctx.propagate(&[b"DEL", key]);
        ctx.notify(super::notify::GENERIC, "del", key);
    } else {
        ctx.ks.set_expire(key, Some(when as u64));
        ctx.propagate_pexpireat(key, when as u64);
        ctx.notify(super::notify::GENERIC, "expire", key);
    }
    ctx.out.int(1);
    Ok(())
}

/// EXPIRE key seconds [NX|XX|GT|LT]. <https://redis.io/commands/expire/>
fn expire(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    expire_generic(ctx, a, 1000, false, "expire")
}

/// PEXPIRE key milliseconds [NX|XX|GT|LT]. <https://redis.io/commands/pexpire/>
fn pexpire(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    expire_generic(ctx, a, 1, false, "pexpire")
}

/// EXPIREAT key unix-seconds [NX|XX|GT|LT]. <https://redis.io/commands/expireat/>
fn expireat(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    expire_generic(ctx, a, 1000, true, "expireat")
}

/// PEXPIREAT key unix-ms [NX|XX|GT|LT]. <https://redis.io/commands/pexpireat/>
fn pexpireat(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    expire_generic(ctx, a, 1, true, "pexpireat")
}

/// TTL family: -2 missing, -1 no expiry, else the remaining (or absolute) time.
fn ttl_generic(ctx: &mut Ctx<'_, '_>, a: &Args<'_>, ms: bool, absolute: bool) -> CmdResult {
    let now = ctx.now as i64;
    let v = match ctx.ks.lookup_read_notouch(&a[1]) {
        None => -2,
        Some(e) => match e.expire_at() {
            None => -1,
            Some(at) => {
                let t = if absolute {
                    at as i64
                } else {
                    (at as i64 - now).max(0)
                };
                if ms {
                    t
                } else {
                    // Rounded to the nearest second; i128 so PEXPIREAT i64::MAX cannot overflow.
                    ((t as i128 + 500) / 1000) as i64
                }
            }
        },
    };
    ctx.out.int(v);
    Ok(())
}

/// TTL key (seconds). <https://redis.io/commands/ttl/>
fn ttl(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    ttl_generic(ctx, a, false, false)
}

/// PTTL key (milliseconds). <https://redis.io/commands/pttl/>
fn pttl(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    ttl_generic(ctx, a, true, false)
}

/// EXPIRETIME key (unix seconds). <https://redis.io/commands/expiretime/>
fn expiretime(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    ttl_generic(ctx, a, false, true)
}

/// PEXPIRETIME key (unix ms). <https://redis.io/commands/pexpiretime/>
fn pexpiretime(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    ttl_generic(ctx, a, true, true)
}

/// PERSIST key. <https://redis.io/commands/persist/>
fn persist(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let has = ctx
        .ks
        .lookup_write(&a[1])
        .and_then(|e| e.expire_at())
        .is_some();
    if has {
        ctx.ks.set_expire(&a[1], None);
        ctx.notify(super::notify::GENERIC, "persist", &a[1]);
    }
    ctx.out.int(has as i64);
    Ok(())
}

fn rename_generic(ctx: &mut Ctx<'_, '_>, a: &Args<'_>, nx: bool) -> CmdResult {
    let (src, dst) = (&a[1], &a[2]);
    if ctx.ks.lookup_write(src).is_none() {
        return Err(CmdError::NoSuchKey);
    }
    if src == dst {
        if nx {
            ctx.out.int(0);
        } else {
            ctx.out.ok();
        }
        return Ok(());
    }
    if nx && ctx.ks.lookup_write(dst).is_some() {
        ctx.out.int(0);
        return Ok(());
    }
    let e = ctx
        .ks
        .remove(src)
        .expect("exists: checked above under the same lock");
    ctx.ks.remove(dst);
    ctx.ks.insert_entry(dst, e);
    ctx.notify(super::notify::GENERIC, "rename_from", src);
    ctx.notify(super::notify::GENERIC, "rename_to", dst);
    if nx {
        ctx.out.int(1);
    } else {
        ctx.out.ok();
    }
    Ok(())
}

/// RENAME key newkey. <https://redis.io/commands/rename/>
fn rename(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    rename_generic(ctx, a, false)
}

/// RENAMENX key newkey. <https://redis.io/commands/renamenx/>
fn renamenx(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    rename_generic(ctx, a, true)
}

/// A database index argument: `bad` is the message for a non-integer.
fn db_index(ctx: &Ctx<'_, '_>, arg: &[u8], bad: &str) -> Result<usize, CmdError> {
    let id = crate::util::parse_i64(arg)
        .filter(|v| i32::try_from(*v).is_ok())
        .ok_or_else(|| CmdError::err(bad))?;
    if id < 0 || id as usize >= ctx.srv.keyspace.databases() {
        return Err(CmdError::DbIndexOutOfRange);
    }
    Ok(id as usize)
}

/// COPY source destination [DB destination-db] [REPLACE]. <https://redis.io/commands/copy/>
fn copy(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let mut replace = false;
    let src_db = ctx.ks.db;
    let mut dst_db = src_db;
    let mut i = 3;
    while i < a.len() {
        if a.is(i, "replace") {
            replace = true;
        } else if a.is(i, "db") && i + 1 < a.len() {
            dst_db = db_index(ctx, &a[i + 1], "value is not an integer or out of range")?;
            if ctx.srv.cluster.enabled && dst_db != 0 {
                return Err(CmdError::err(
                    "Copying to another database is not allowed in cluster mode",
                ));
            }
            i += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    if src_db == dst_db && a[1] == a[2] {
        return Err(CmdError::err("source and destination objects are the same"));
    }
    let Some(e) = ctx.ks.lookup_read(&a[1]).cloned() else {
        ctx.out.int(0);
        return Ok(());
    };
    ctx.ks.db = dst_db;
    let done = if ctx.ks.lookup_write(&a[2]).is_some() && !replace {
        false
    } else {
        ctx.ks.remove(&a[2]);
        ctx.ks.insert_entry(&a[2], e);
        ctx.notify(super::notify::GENERIC, "copy_to", &a[2]);
        true
    };
    ctx.ks.db = src_db;
    ctx.out.int(done as i64);
    Ok(())
}

/// MOVE key db. <https://redis.io/commands/move/>
fn move_(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    if ctx.srv.cluster.enabled {
        return Err(CmdError::err("MOVE is not allowed in cluster mode"));
    }
    let dst_db = db_index(ctx, &a[2], "value is not an integer or out of range")?;
    let src_db = ctx.ks.db;
    if dst_db == src_db {
        return Err(CmdError::err("source and destination objects are the same"));
    }
    if ctx.ks.lookup_write(&a[1]).is_none() {
        ctx.out.int(0);
        return Ok(());
    }
    ctx.ks.db = dst_db;
    let taken = ctx.ks.lookup_write(&a[1]).is_some();
    ctx.ks.db = src_db;
    if taken {
        ctx.out.int(0);
        return Ok(());
    }
    let e = ctx
        .ks
        .remove(&a[1])
        .expect("exists: checked above under the same lock");
    ctx.notify(super::notify::GENERIC, "move_from", &a[1]);
    ctx.ks.db = dst_db;
    ctx.ks.insert_entry(&a[1], e);
    ctx.notify(super::notify::GENERIC, "move_to", &a[1]);
    ctx.ks.db = src_db;
    ctx.out.int(1);
    Ok(())
}

/// KEYS pattern. <https://redis.io/commands/keys/>
fn keys(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let pat = &a[1];
    let all = pat == b"*";
    let mut found: Vec<Vec<u8>> = Vec::new();
    ctx.ks.for_each_key(ctx.client.db, ctx.now, |k, _| {
        if all || crate::util::glob_match(pat, k, false) {
            found.push(k.to_vec());
        }
    });
    ctx.out.array_len(found.len());
    for k in &found {
        ctx.out.bulk(k);
    }
    Ok(())
}

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]. <https://redis.io/commands/scan/>
/// The cursor is a slot number (see `keyspace::walk`).
fn scan(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let cursor: u64 = std::str::from_utf8(&a[1])
        .ok()
        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| CmdError::err("invalid cursor"))?;
    let mut count = 10usize;
    let mut filter = ScanFilter {
        pattern: None,
        type_name: None,
    };
    let mut i = 2;
    while i < a.len() {
        if i + 1 >= a.len() {
            return Err(CmdError::Syntax);
        }
        if a.is(i, "count") {
            let n = a.i64(i + 1)?;
            if n < 1 {
                return Err(CmdError::Syntax);
            }
            count = n as usize;
        } else if a.is(i, "match") {
            let p = a.get(i + 1);
            filter.pattern = if p == b"*" { None } else { Some(p) };
        } else if a.is(i, "type") {
            filter.type_name = Some(a.get(i + 1));
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
    let mut out = Vec::new();
    let next = ctx
        .ks
        .scan(ctx.client.db, cursor, count, &filter, ctx.now, &mut out);
    ctx.out.array_len(2);
    ctx.out.bulk(itoa::Buffer::new().format(next).as_bytes());
    ctx.out.array_len(out.len());
    for k in &out {
        ctx.out.bulk(k);
    }
    Ok(())
}

/// RANDOMKEY. <https://redis.io/commands/randomkey/>
fn randomkey(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    let k = ctx.ks.random_key(ctx.client.db, ctx.now);
    ctx.out.bulk_opt(k.as_deref());
    Ok(())
}

/// DBSIZE. <https://redis.io/commands/dbsize/>
fn dbsize(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    ctx.out.int(ctx.ks.dbsize(ctx.client.db) as i64);
    Ok(())
}

/// Whether FLUSHDB/FLUSHALL asked for ASYNC (the old tables are freed on another thread).
fn flush_mode(a: &Args<'_>) -> Result<bool, CmdError> {
    match a.len() {
        1 => Ok(false),
        2 if a.is(1, "async") => Ok(true),
        2 if a.is(1, "sync") => Ok(false),
        _ => Err(CmdError::Syntax),
    }
}

fn free_tables<T: Send + 'static>(old: Vec<T>, asynchronous: bool) {
    if asynchronous {
        std::thread::spawn(move || drop(old));
    } else {
        drop(old);
    }
}

/// FLUSHDB [ASYNC|SYNC]. <https://redis.io/commands/flushdb/>
fn flushdb(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let asynchronous = flush_mode(a)?;
    free_tables(ctx.ks.flush_db(ctx.client.db), asynchronous);
    ctx.out.ok();
    Ok(())
}

/// FLUSHALL [ASYNC|SYNC]. <https://redis.io/commands/flushall/>
fn flushall(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let asynchronous = flush_mode(a)?;
    free_tables(ctx.ks.flush_all(), asynchronous);
    ctx.out.ok();
    Ok(())
}

/// SELECT index. <https://redis.io/commands/select/>
fn select(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let db = db_index(ctx, &a[1], "value is not an integer or out of range")?;
    if ctx.srv.cluster.enabled && db != 0 {
        return Err(CmdError::err("SELECT is not allowed in cluster mode"));
    }
    ctx.client.db = db;
    ctx.client.info.db.store(db, Relaxed);
    ctx.out.ok();
    Ok(())
}

/// SWAPDB index1 index2. <https://redis.io/commands/swapdb/>
fn swapdb(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    if ctx.srv.cluster.enabled {
        return Err(CmdError::err("SWAPDB is not allowed in cluster mode"));
    }
    let x = db_index(ctx, &a[1], "invalid first DB index")?;
    let y = db_index(ctx, &a[2], "invalid second DB index")?;
    if x != y {
        ctx.ks.swap_db(x, y);
    }
    ctx.out.ok();
    Ok(())
}

/// Redis's shared integers (0..10000) report this refcount (OBJ_SHARED_REFCOUNT).
const SHARED_REFCOUNT: i64 = i32::MAX as i64;

/// The key of OBJECT ENCODING/FREQ/IDLETIME/REFCOUNT: a keyspace hit or miss that leaves the
/// access time alone and raises no `keymiss` (Redis's `objectCommandLookup`).
fn object_entry<'c>(
    ctx: &'c mut Ctx<'_, '_>,
    a: &Args<'_>,
) -> Option<&'c mut crate::keyspace::Entry> {
    ctx.ks.lookup_read_quiet(&a[2])
}

/// OBJECT ENCODING key. <https://redis.io/commands/object-encoding/>
fn object_encoding(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let enc = object_entry(ctx, a).map(|e| e.value.encoding());
    ctx.out.bulk_opt(enc.map(str::as_bytes));
    Ok(())
}

/// OBJECT REFCOUNT key. <https://redis.io/commands/object-refcount/>
fn object_refcount(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    // Redis shares small integers unless an LRU/LFU policy needs each key's own access field.
    let ev = &ctx.srv.keyspace.evict;
    let shared = ev.maxmemory.load(Relaxed) == 0
        || !matches!(
            ev.policy(),
            Policy::AllKeysLru | Policy::VolatileLru | Policy::AllKeysLfu | Policy::VolatileLfu
        );
    let rc = object_entry(ctx, a).map(|e| match &e.value {
        Value::Str(crate::keyspace::Str::Int(n)) if shared && (0..10000).contains(n) => {
            SHARED_REFCOUNT
        }
        _ => 1,
    });
    match rc {
        Some(n) => ctx.out.int(n),
        None => ctx.out.null(),
    }
    Ok(())
}

/// OBJECT IDLETIME key: seconds since the last access; an error under an LFU policy, whose
/// access field holds a frequency. <https://redis.io/commands/object-idletime/>
fn object_idletime(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let now = ctx.now;
    let lfu = ctx.srv.keyspace.evict.lfu();
    let Some(access) = object_entry(ctx, a).map(|e| e.access) else {
        ctx.out.null();
        return Ok(());
    };
    if lfu {
        return Err(CmdError::err(
            "An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
        ));
    }
    ctx.out.int(evict::idle_seconds(access, now) as i64);
    Ok(())
}

/// OBJECT FREQ key: the key's LFU counter, decayed to now; only under an LFU policy.
/// <https://redis.io/commands/object-freq/>
fn object_freq(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let now = ctx.now;
    let Some(access) = object_entry(ctx, a).map(|e| e.access) else {
        ctx.out.null();
        return Ok(());
    };
    let ev = &ctx.srv.keyspace.evict;
    if !ev.lfu() {
        return Err(CmdError::err(
            "An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
        ));
    }
    ctx.out.int(ev.frequency(access, now) as i64);
    Ok(())
}

/// OBJECT HELP.
fn object_help(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    super::server::help(
        ctx,
        "OBJECT",
        &[
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.",
        ],
    );
    Ok(())
}

const G: Command = Command {
    group: "generic",
    acl: acl::KEYSPACE,
    ..BASE
};
const K1: (i32, i32, i32) = (1, 1, 1);
const OBJ: Command = Command {
    arity: 3,
    flags: READONLY,
    keys: (2, 2, 1),
    group: "generic",
    acl: acl::KEYSPACE,
    since: "2.2.3",
    ..BASE
};

pub static COMMANDS: &[Command] = &[
    Command { name: "del", arity: -2, flags: WRITE, keys: (1, -1, 1), since: "1.0.0",
        summary: "Deletes one or more keys.", complexity: "O(N) where N is the number of keys that will be removed.", handler: del, ..G },
    Command { name: "unlink", arity: -2, flags: WRITE | FAST, keys: (1, -1, 1), since: "4.0.0",
        summary: "Asynchronously deletes one or more keys.", complexity: "O(1) for each key removed regardless of its size.", handler: del, ..G },
    Command { name: "exists", arity: -2, flags: READONLY | FAST, keys: (1, -1, 1), since: "1.0.0",
        summary: "Determines whether one or more keys exist.", complexity: "O(N) where N is the number of keys to check.", handler: exists, ..G },
    Command { name: "touch", arity: -2, flags: READONLY | FAST, keys: (1, -1, 1), since: "3.2.1",
        summary: "Returns the number of existing keys out of those specified after updating the time they were last accessed.", complexity: "O(N) where N is the number of keys that will be touched.", handler: touch, ..G },
    Command { name: "type", arity: 2, flags: READONLY | FAST, keys: K1, since: "1.0.0",
        summary: "Determines the type of value stored at a key.", complexity: "O(1)", handler: type_, ..G },
    Command { name: "expire", arity: -3, flags: WRITE | FAST, keys: K1, since: "1.0.0",
        summary: "Sets the expiration time of a key in seconds.", complexity: "O(1)", handler: expire, ..G },
    Command { name: "pexpire", arity: -3, flags: WRITE | FAST, keys: K1, since: "2.6.0",
        summary: "Sets the expiration time of a key in milliseconds.", complexity: "O(1)", handler: pexpire, ..G },
    Command { name: "expireat", arity: -3, flags: WRITE | FAST, keys: K1, since: "1.2.0",
        summary: "Sets the expiration time of a key to a Unix timestamp.", complexity: "O(1)", handler: expireat, ..G },
    Command { name: "pexpireat", arity: -3, flags: WRITE | FAST, keys: K1, since: "2.6.0",
        summary: "Sets the expiration time of a key to a Unix milliseconds timestamp.", complexity: "O(1)", handler: pexpireat, ..G },
    Command { name: "ttl", arity: 2, flags: READONLY | FAST, keys: K1, since: "1.0.0",
        summary: "Returns the expiration time in seconds of a key.", complexity: "O(1)", handler: ttl, ..G },
    Command { name: "pttl", arity: 2, flags: READONLY | FAST, keys: K1, since: "2.6.0",
        summary: "Returns the expiration time in milliseconds of a key.", complexity: "O(1)", handler: pttl, ..G },
    Command { name: "expiretime", arity: 2, flags: READONLY | FAST, keys: K1, since: "7.0.0",
        summary: "Returns the expiration time of a key as a Unix timestamp.", complexity: "O(1)", handler: expiretime, ..G },
    Command { name: "pexpiretime", arity: 2, flags: READONLY | FAST, keys: K1, since: "7.0.0",
        summary: "Returns the expiration time of a key as a Unix milliseconds timestamp.", complexity: "O(1)", handler: pexpiretime, ..G },
    Command { name: "persist", arity: 2, flags: WRITE | FAST, keys: K1, since: "2.2.0",
        summary: "Removes the expiration time of a key.", complexity: "O(1)", handler: persist, ..G },
    Command { name: "rename", arity: 3, flags: WRITE, keys: (1, 2, 1), since: "1.0.0",
        summary: "Renames a key and overwrites the destination.", complexity: "O(1)", handler: rename, ..G },
    Command { name: "renamenx", arity: 3, flags: WRITE | FAST, keys: (1, 2, 1), since: "1.0.0",
        summary: "Renames a key only when the target key name doesn't exist.", complexity: "O(1)", handler: renamenx, ..G },
    Command { name: "copy", arity: -3, flags: WRITE | DENYOOM, keys: (1, 2, 1), since: "6.2.0",
        summary: "Copies the value of a key to a new key.", complexity: "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.", handler: copy, ..G },
    Command { name: "move", arity: 3, flags: WRITE | FAST, keys: K1, since: "1.0.0",
        summary: "Moves a key to another database.", complexity: "O(1)", handler: move_, ..G },
    Command { name: "keys", arity: 2, flags: READONLY, acl: acl::KEYSPACE | acl::DANGEROUS, since: "1.0.0",
        summary: "Returns all key names that match a pattern.", complexity: "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.", handler: keys, ..G },
    Command { name: "scan", arity: -2, flags: READONLY, since: "2.8.0",
        summary: "Iterates over the key names in the database.", complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.", handler: scan, ..G },
    Command { name: "randomkey", arity: 1, flags: READONLY, since: "1.0.0",
        summary: "Returns a random key name from the database.", complexity: "O(1)", handler: randomkey, ..G },
    Command { name: "object", arity: -2, since: "2.2.3", summary: "A container for object introspection commands.",
        complexity: "Depends on subcommand.", acl: acl::KEYSPACE | acl::SLOW, subcommands: &[
        Command { name: "object|encoding", summary: "Returns the internal encoding of a Redis object.", complexity: "O(1)", handler: object_encoding, ..OBJ },
        Command { name: "object|freq", since: "4.0.0", summary: "Returns the logarithmic access frequency counter of a Redis object.", complexity: "O(1)", handler: object_freq, ..OBJ },
        Command { name: "object|help", arity: 2, keys: (0, 0, 0), flags: LOADING | STALE, since: "6.2.0", summary: "Returns helpful text about the different subcommands.", complexity: "O(1)", handler: object_help, ..OBJ },
        Command { name: "object|idletime", summary: "Returns the time since the last access to a Redis object.", complexity: "O(1)", handler: object_idletime, ..OBJ },
        Command { name: "object|refcount", summary: "Returns the reference count of a value of a key.", complexity: "O(1)", handler: object_refcount, ..OBJ },
    ], ..G },
    Command { name: "dbsize", arity: 1, flags: READONLY | FAST, group: "server", since: "1.0.0",
        summary: "Returns the number of keys in the database.", complexity: "O(1)", handler: dbsize, ..G },
    Command { name: "flushdb", arity: -1, flags: WRITE | LOCK_ALL, group: "server", acl: acl::KEYSPACE | acl::DANGEROUS, since: "1.0.0",
        summary: "Remove all keys from the current database.", complexity: "O(N) where N is the number of keys in the selected database", handler: flushdb, ..G },
    Command { name: "flushall", arity: -1, flags: WRITE | LOCK_ALL, group: "server", acl: acl::KEYSPACE | acl::DANGEROUS, since: "1.0.0",
        summary: "Removes all keys from all databases.", complexity: "O(N) where N is the total number of keys in all databases", handler: flushall, ..G },
    Command { name: "swapdb", arity: 3, flags: WRITE | FAST | LOCK_ALL, group: "server", acl: acl::KEYSPACE | acl::DANGEROUS, since: "4.0.0",
        summary: "Swaps two Redis databases.", complexity: "O(N) where N is the count of clients watching or blocking on keys from both databases.", handler: swapdb, ..G },
    Command { name: "select", arity: 2, flags: LOADING | STALE | FAST, group: "connection", acl: acl::CONNECTION, since: "1.0.0",
        summary: "Changes the selected database.", complexity: "O(1)", handler: select, ..G },
];
