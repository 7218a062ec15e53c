//! Hash commands: HSET HSETNX HGET HMGET HMSET HGETALL HDEL HEXISTS HLEN HSTRLEN HINCRBY
//! HINCRBYFLOAT HKEYS HVALS HRANDFIELD HSCAN.
//! Semantics follow redis.io's command pages and Redis 7.0's `t_hash.c`; the type and its two
//! encodings live in `keyspace/hash.rs`.

use super::table::{acl, flag::*, Command, BASE};
use super::{cursor, Args, CmdError, CmdResult, Ctx};
use crate::keyspace::hash::Hash;
use crate::keyspace::{Entry, Locked, Value};
use rand::Rng;

fn as_hash(e: &Entry) -> Result<&Hash, CmdError> {
    match &e.value {
        Value::Hash(h) => Ok(h),
        _ => Err(CmdError::WrongType),
    }
}

fn as_hash_mut(e: &mut Entry) -> Result<&mut Hash, CmdError> {
    match &mut e.value {
        Value::Hash(h) => Ok(h),
        _ => Err(CmdError::WrongType),
    }
}

/// The hash at `key` for a read: `None` when missing, WRONGTYPE for another type.
fn read<'k>(ks: &'k mut Locked<'_>, key: &[u8]) -> Result<Option<&'k Hash>, CmdError> {
    match ks.lookup_read(key) {
        None => Ok(None),
        Some(e) => as_hash(e).map(Some),
    }
}

/// The hash at `key` for a write, created empty when missing (the caller then adds at least one
/// field, so no empty hash is left behind). WRONGTYPE for another type.
fn write_or_create<'k>(ks: &'k mut Locked<'_>, key: &[u8]) -> Result<&'k mut Hash, CmdError> {
    let exists = match ks.lookup_write(key) {
        None => false,
        Some(e) => {
            as_hash(e)?;
            true
        }
    };
    if exists {
        ks.touch_dirty(key);
    } else {
        ks.insert(key, Value::Hash(Default::default()), 0);
    }
    as_hash_mut(ks.lookup_write(key).expect("present now"))
}

/// HSET key field value [field value ...]: the number of new fields.
/// <https://redis.io/commands/hset/>
fn hset(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let added = set_pairs(ctx, a, "hset")?;
    ctx.out.int(added as i64);
    Ok(())
}

/// HMSET key field value [field value ...]: OK. <https://redis.io/commands/hmset/>
fn hmset(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    set_pairs(ctx, a, "hmset")?;
    ctx.out.ok();
    Ok(())
}

fn set_pairs(ctx: &mut Ctx<'_, '_>, a: &Args<'_>, name: &str) -> Result<usize, CmdError> {
    if a.len() % 2 == 1 {
        return Err(CmdError::WrongArity(name.into()));
    }
    let h = write_or_create(&mut ctx.ks, &a[1])?;
    let mut added = 0;
    for i in (2..a.len()).step_by(2) {
        added += h.set(&a[i], &a[i + 1]) as usize;
    }
    ctx.notify(super::notify::HASH, "hset", &a[1]);
    Ok(added)
}

/// HSETNX key field value: 1 if the field was set, 0 if it existed.
/// <https://redis.io/commands/hsetnx/>
fn hsetnx(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let exists = match read_for_write(&mut ctx.ks, &a[1])? {
        None => false,
        Some(h) => h.contains(&a[2]),
    };
    if exists {
        ctx.out.int(0);
        return Ok(());
    }
    write_or_create(&mut ctx.ks, &a[1])?.set(&a[2], &a[3]);
    ctx.notify(super::notify::HASH, "hset", &a[1]);
    ctx.out.int(1);
    Ok(())
}

/// The hash at `key` looked up for a write, not created.
fn read_for_write<'k>(ks: &'k mut Locked<'_>, key: &[u8]) -> Result<Option<&'k Hash>, CmdError> {
    match ks.lookup_write(key) {
        None => Ok(None),
        Some(e) => as_hash(e).map(Some),
    }
}

/// HGET key field. <https://redis.io/commands/hget/>
fn hget(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let v = read(&mut ctx.ks, &a[1])?.and_then(|h| h.get(&a[2]));
    ctx.out.bulk_opt(v);
    Ok(())
}

/// HMGET key field [field ...]: nil for missing fields. <https://redis.io/commands/hmget/>
fn hmget(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let h = read(&mut ctx.ks, &a[1])?;
    ctx.out.array_len(a.len() - 2);
    for i in 2..a.len() {
        ctx.out.bulk_opt(h.and_then(|h| h.get(&a[i])));
    }
    Ok(())
}

/// HGETALL key: a map (RESP3) or a flat field/value array (RESP2).
/// <https://redis.io/commands/hgetall/>
fn hgetall(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    match read(&mut ctx.ks, &a[1])? {
        None => ctx.out.map_len(0),
        Some(h) => {
            ctx.out.map_len(h.len());
            for (f, v) in h.iter() {
                ctx.out.bulk(f);
                ctx.out.bulk(v);
            }
        }
    }
    Ok(())
}

/// HKEYS key. <https://redis.io/commands/hkeys/>
fn hkeys(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let h = read(&mut ctx.ks, &a[1])?;
    ctx.out.array_len(h.map_or(0, |h| h.len()));
    for (f, _) in h.into_iter().flat_map(|h| h.iter()) {
        ctx.out.bulk(f);
    }
    Ok(())
}

/// HVALS key. <https://redis.io/commands/hvals/>
fn hvals(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let h = read(&mut ctx.ks, &a[1])?;
    ctx.out.array_len(h.map_or(0, |h| h.len()));
    for (_, v) in h.into_iter().flat_map(|h| h.iter()) {
        ctx.out.bulk(v);
    }
    Ok(())
}

/// HDEL key field [field ...]: the number of fields removed; an emptied hash is deleted.
/// <https://redis.io/commands/hdel/>
fn hdel(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let key = &a[1];
    let Some(e) = ctx.ks.lookup_write(key) else {
        ctx.out.int(0);
        return Ok(());
    };
    let h = as_hash_mut(e)?;
    let mut removed = 0;
    for i in 2..a.len() {
        removed += h.remove(&a[i]) as i64;
        if h.is_empty() {
            break;
        }
    }
    let empty = h.is_empty();
    ctx.notify_if(removed > 0, super::notify::HASH, "hdel", key);
    ctx.ks.settle(key, empty, removed > 0);
    ctx.notify_emptied(empty, key);
    ctx.out.int(removed);
    Ok(())
}

/// HEXISTS key field. <https://redis.io/commands/hexists/>
fn hexists(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let found = read(&mut ctx.ks, &a[1])?.is_some_and(|h| h.contains(&a[2]));
    ctx.out.int(found as i64);
    Ok(())
}

/// HLEN key. <https://redis.io/commands/hlen/>
fn hlen(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let n = read(&mut ctx.ks, &a[1])?.map_or(0, |h| h.len());
    ctx.out.int(n as i64);
    Ok(())
}

/// HSTRLEN key field: the value's length, 0 when missing. <https://redis.io/commands/hstrlen/>
fn hstrlen(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let n = read(&mut ctx.ks, &a[1])?
        .and_then(|h| h.get(&a[2]))
        .map_or(0, |v| v.len());
    ctx.out.int(n as i64);
    Ok(())
}

/// HINCRBY key field increment. <https://redis.io/commands/hincrby/>
fn hincrby(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let by = a.i64(3)?;
    let cur = match read_for_write(&mut ctx.ks, &a[1])?.and_then(|h| h.get(&a[2])) {
        None => 0,
        Some(v) => crate::util::parse_i64(v)
            .ok_or_else(|| CmdError::err("hash value is not an integer"))?,
    };
    let n = cur.checked_add(by).ok_or(CmdError::Overflow)?;
    let text = itoa::Buffer::new().format(n).as_bytes().to_vec();
    write_or_create(&mut ctx.ks, &a[1])?.set(&a[2], &text);
    ctx.notify(super::notify::HASH, "hincrby", &a[1]);
    ctx.out.int(n);
    Ok(())
}

/// HINCRBYFLOAT key field increment: the new value as text (formatted as INCRBYFLOAT).
/// <https://redis.io/commands/hincrbyfloat/>
fn hincrbyfloat(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let by = a.f64(3)?;
    if by.is_nan() || by.is_infinite() {
        return Err(CmdError::err("value is NaN or Infinity"));
    }
    let text = match read_for_write(&mut ctx.ks, &a[1])?.and_then(|h| h.get(&a[2])) {
        None => super::strings::incrbyfloat_text(b"0", &a[3])?,
        Some(v) => {
            if crate::util::parse_f64(v).is_none() {
                return Err(CmdError::err("hash value is not a float"));
            }
            super::strings::incrbyfloat_text(v, &a[3])?
        }
    };
    write_or_create(&mut ctx.ks, &a[1])?.set(&a[2], text.as_bytes());
    // The result, not the increment: replay must not depend on float formatting.
    ctx.propagate(&[b"HSET", &a[1], &a[2], text.as_bytes()]);
    ctx.notify(super::notify::HASH, "hincrbyfloat", &a[1]);
    ctx.out.bulk(text.as_bytes());
    Ok(())
}

/// HRANDFIELD key [count [WITHVALUES]]: one random field, or `count` distinct ones (all when
/// `count` >= the size), or with a negative count `-count` fields that may repeat.
/// <https://redis.io/commands/hrandfield/>
fn hrandfield(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let mut rng = rand::thread_rng();
    if a.len() == 2 {
        match read(&mut ctx.ks, &a[1])? {
            None => ctx.out.null(),
            Some(h) => {
                let i = rng.gen_range(0..h.len());
                let (f, _) = h.iter().nth(i).expect("index below len");
                ctx.out.bulk(f);
            }
        }
        return Ok(());
    }
    let count = a.i64(2)?;
    if count == i64::MIN {
        return Err(CmdError::err(
            "value is out of range, value must between -9223372036854775807 and 9223372036854775807",
        ));
    }
    let withvalues = match a.len() {
        3 => false,
        4 if a.is(3, "withvalues") => true,
        _ => return Err(CmdError::Syntax),
    };
    let Some(h) = read(&mut ctx.ks, &a[1])? else {
        ctx.out.array_len(0);
        return Ok(());
    };
    let resp3 = ctx.out.resp3();
    let all: Vec<(&[u8], &[u8])> = h.iter().collect();
    let emit = |out: &mut crate::protocol::Reply, (f, v): (&[u8], &[u8])| {
        if withvalues && resp3 {
            out.array_len(2);
        }
        out.bulk(f);
        if withvalues {
            out.bulk(v);
        }
    };
    let header = |out: &mut crate::protocol::Reply, n: usize| {
        out.array_len(if withvalues && !resp3 { 2 * n } else { n });
    };
    if count < 0 {
        let n = count.unsigned_abs() as usize;
        header(ctx.out, n);
        for _ in 0..n {
            emit(ctx.out, all[rng.gen_range(0..all.len())]);
        }
    } else if count as usize >= all.len() {
        header(ctx.out, all.len());
        for &p in &all {
            emit(ctx.out, p);
        }
    } else {
        let n = count as usize;
        header(ctx.out, n);
        for i in rand::seq::index::sample(&mut rng, all.len(), n) {
            emit(ctx.out, all[i]);
        }
    }
    Ok(())
}

/// HSCAN key cursor [MATCH pattern] [COUNT count]. Replies the next cursor and a flat array
/// of field, value pairs.
///
/// A listpack answers every field with cursor 0, as Redis does; a hash table visits COUNT
/// positions per call (`keyspace::posmap` gives the cursor's guarantee: every field present for
/// the whole iteration comes at least once). MATCH filters fields after the visit.
/// <https://redis.io/commands/hscan/>
fn hscan(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let cursor = cursor::parse_cursor(&a[2])?;
    let Some(h) = read(&mut ctx.ks, &a[1])? else {
        cursor::reply_head(ctx.out, 0, 0);
        return Ok(());
    };
    let o = cursor::parse_options(a, 3)?;
    let mut found: Vec<(&[u8], &[u8])> = Vec::new();
    let next = h.scan(cursor, o.count, |f, v| {
        if o.matches(f) {
            found.push((f, v));
        }
    });
    cursor::reply_head(ctx.out, next, found.len() * 2);
    for (f, v) in found {
        ctx.out.bulk(f);
        ctx.out.bulk(v);
    }
    Ok(())
}

const H: Command = Command {
    group: "hash",
    acl: acl::HASH,
    keys: (1, 1, 1),
    ..BASE
};

pub static COMMANDS: &[Command] = &[
    Command { name: "hset", elems: (2, 2), arity: -4, flags: WRITE | DENYOOM | FAST, since: "2.0.0",
        summary: "Set the string value of a hash field",
        complexity: "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.",
        handler: hset, ..H },
    Command { name: "hsetnx", elems: (2, 2), arity: 4, flags: WRITE | DENYOOM | FAST, since: "2.0.0",
        summary: "Set the value of a hash field, only if the field does not exist",
        complexity: "O(1)", handler: hsetnx, ..H },
    Command { name: "hget", elems: (2, 1), arity: 3, flags: READONLY | FAST, since: "2.0.0",
        summary: "Get the value of a hash field", complexity: "O(1)", handler: hget, ..H },
    Command { name: "hmget", elems: (2, 1), arity: -3, flags: READONLY | FAST, since: "2.0.0",
        summary: "Get the values of all the given hash fields",
        complexity: "O(N) where N is the number of fields being requested.", handler: hmget, ..H },
    Command { name: "hmset", elems: (2, 2), arity: -4, flags: WRITE | DENYOOM | FAST, since: "2.0.0",
        summary: "Set multiple hash fields to multiple values",
        complexity: "O(N) where N is the number of fields being set.", handler: hmset, ..H },
    Command { name: "hgetall", arity: 2, flags: READONLY, since: "2.0.0",
        summary: "Get all the fields and values in a hash",
        complexity: "O(N) where N is the size of the hash.", handler: hgetall, ..H },
    Command { name: "hdel", elems: (2, 1), arity: -3, flags: WRITE | FAST, since: "2.0.0",
        summary: "Delete one or more hash fields",
        complexity: "O(N) where N is the number of fields to be removed.", handler: hdel, ..H },
    Command { name: "hexists", elems: (2, 1), arity: 3, flags: READONLY | FAST, since: "2.0.0",
        summary: "Determine if a hash field exists", complexity: "O(1)", handler: hexists, ..H },
    Command { name: "hlen", arity: 2, flags: READONLY | FAST, since: "2.0.0",
        summary: "Get the number of fields in a hash", complexity: "O(1)", handler: hlen, ..H },
    Command { name: "hstrlen", elems: (2, 1), arity: 3, flags: READONLY | FAST, since: "3.2.0",
        summary: "Get the length of the value of a hash field", complexity: "O(1)", handler: hstrlen, ..H },
    Command { name: "hincrby", elems: (2, 2), arity: 4, flags: WRITE | DENYOOM | FAST, since: "2.0.0",
        summary: "Increment the integer value of a hash field by the given number",
        complexity: "O(1)", handler: hincrby, ..H },
    Command { name: "hincrbyfloat", elems: (2, 2), arity: 4, flags: WRITE | DENYOOM | FAST, since: "2.6.0",
        summary: "Increment the float value of a hash field by the given amount",
        complexity: "O(1)", handler: hincrbyfloat, ..H },
    Command { name: "hkeys", arity: 2, flags: READONLY, since: "2.0.0",
        summary: "Get all the fields in a hash",
        complexity: "O(N) where N is the size of the hash.", handler: hkeys, ..H },
    Command { name: "hvals", arity: 2, flags: READONLY, since: "2.0.0",
        summary: "Get all the values in a hash",
        complexity: "O(N) where N is the size of the hash.", handler: hvals, ..H },
    Command { name: "hrandfield", arity: -2, flags: READONLY, since: "6.2.0",
        summary: "Get one or multiple random fields from a hash",
        complexity: "O(N) where N is the number of fields returned", handler: hrandfield, ..H },
    Command { name: "hscan", arity: -3, flags: READONLY, since: "2.8.0",
        summary: "Incrementally iterate hash fields and associated values",
        complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
        handler: hscan, ..H },
];
