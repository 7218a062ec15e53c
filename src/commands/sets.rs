//! Set commands: SADD SREM SMEMBERS SISMEMBER SMISMEMBER SCARD SPOP SRANDMEMBER SMOVE SINTER
//! SINTERCARD SINTERSTORE SUNION SUNIONSTORE SDIFF SDIFFSTORE SSCAN.
//! Semantics, replies and errors follow redis.io's command pages and Redis 7.0's `t_set.c`;
//! encodings (`intset` / `hashtable`) live in `keyspace/set.rs`.

use super::table::{acl, flag::*, Command, BASE};
use super::{cursor, Args, CmdError, CmdResult, Ctx};
use crate::keyspace::set::{Member, Set};
use crate::keyspace::{Entry, Value};
use crate::protocol::Reply;
use rand::Rng;

/// The set of an entry, or WRONGTYPE.
fn as_set(e: &Entry) -> Result<&Set, CmdError> {
    match &e.value {
        Value::Set(s) => Ok(s),
        _ => Err(CmdError::WrongType),
    }
}

fn as_set_mut(e: &mut Entry) -> Result<&mut Set, CmdError> {
    match &mut e.value {
        Value::Set(s) => Ok(s),
        _ => Err(CmdError::WrongType),
    }
}

#[inline]
fn reply_member(out: &mut Reply, m: Member<'_>) {
    match m {
        Member::Int(n) => out.bulk_int(n),
        Member::Bytes(b) => out.bulk(b),
    }
}

/// Replies the whole set as a RESP3 set (RESP2 array).
fn reply_set(out: &mut Reply, s: &Set) {
    out.set_len(s.len());
    for m in s.iter() {
        reply_member(out, m);
    }
}

/// SADD key member [member ...]. <https://redis.io/commands/sadd/>
fn sadd(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let key = &a[1];
    let mut added = 0;
    match ctx.ks.lookup_write(key) {
        Some(e) => {
            let s = as_set_mut(e)?;
            for m in a.iter().skip(2) {
                added += s.insert(m) as i64;
            }
            if added > 0 {
                ctx.ks.touch_dirty(key);
            }
        }
        None => {
            let mut s = Set::for_first(&a[2]);
            for m in a.iter().skip(2) {
                added += s.insert(m) as i64;
            }
            ctx.ks.insert(key, Value::Set(Box::new(s)), 0);
        }
    }
    ctx.notify_if(added > 0, super::notify::SET, "sadd", key);
    ctx.out.int(added);
    Ok(())
}

/// SREM key member [member ...]; an emptied set is deleted. <https://redis.io/commands/srem/>
fn srem(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let key = &a[1];
    let Some(e) = ctx.ks.lookup_write(key) else {
        ctx.out.int(0);
        return Ok(());
    };
    let s = as_set_mut(e)?;
    let mut removed = 0;
    for m in a.iter().skip(2) {
        removed += s.remove(m) as i64;
        if s.is_empty() {
            break;
        }
    }
    let empty = s.is_empty();
    ctx.notify_if(removed > 0, super::notify::SET, "srem", key);
    ctx.ks.settle(key, empty, removed > 0);
    ctx.notify_emptied(empty, key);
    ctx.out.int(removed);
    Ok(())
}

/// SMEMBERS key. <https://redis.io/commands/smembers/>
fn smembers(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    match ctx.ks.lookup_read(&a[1]) {
        None => ctx.out.set_len(0),
        Some(e) => reply_set(ctx.out, as_set(e)?),
    }
    Ok(())
}

/// SISMEMBER key member. <https://redis.io/commands/sismember/>
fn sismember(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let found = match ctx.ks.lookup_read(&a[1]) {
        None => false,
        Some(e) => as_set(e)?.contains(&a[2]),
    };
    ctx.out.int(found as i64);
    Ok(())
}

/// SMISMEMBER key member [member ...]. <https://redis.io/commands/smismember/>
fn smismember(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let e = ctx.ks.lookup_read(&a[1]);
    let s = match e {
        None => None,
        Some(e) => Some(as_set(e)?),
    };
    ctx.out.array_len(a.len() - 2);
    for m in a.iter().skip(2) {
        ctx.out.int(s.is_some_and(|s| s.contains(m)) as i64);
    }
    Ok(())
}

/// SCARD key. <https://redis.io/commands/scard/>
fn scard(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let n = match ctx.ks.lookup_read(&a[1]) {
        None => 0,
        Some(e) => as_set(e)?.len(),
    };
    ctx.out.int(n as i64);
    Ok(())
}

/// SPOP key [count]: removes random members; an emptied set is deleted.
/// <https://redis.io/commands/spop/>
fn spop(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    if a.len() > 3 {
        return Err(CmdError::Syntax);
    }
    let key = &a[1];
    if a.len() == 2 {
        let Some(e) = ctx.ks.lookup_write(key) else {
            ctx.out.null();
            return Ok(());
        };
        let s = as_set_mut(e)?;
        if s.is_empty() {
            ctx.out.null();
            return Ok(());
        }
        let i = rand::thread_rng().gen_range(0..s.len());
        let m = s.remove_at(i);
        ctx.out.bulk(&m);
        let empty = s.is_empty();
        ctx.propagate(&[b"SREM", key, &m]);
        ctx.notify(super::notify::SET, "spop", key);
        ctx.ks.settle(key, empty, true);
        ctx.notify_emptied(empty, key);
        return Ok(());
    }
    let count = crate::util::parse_i64(&a[2])
        .filter(|&n| n >= 0)
        .ok_or_else(|| CmdError::err("value is out of range, must be positive"))?
        as u64;
    let Some(e) = ctx.ks.lookup_write(key) else {
        ctx.out.set_len(0);
        return Ok(());
    };
    let s = as_set_mut(e)?;
    if count == 0 {
        ctx.out.set_len(0);
        return Ok(());
    }
    if count >= s.len() as u64 {
        reply_set(ctx.out, s);
        ctx.ks.remove(key);
        ctx.propagate(&[b"DEL", key]);
        ctx.notify(super::notify::SET, "spop", key);
        ctx.notify(super::notify::GENERIC, "del", key);
        return Ok(());
    }
    let mut rng = rand::thread_rng();
    ctx.out.set_len(count as usize);
    // The members popped at random, for the SREM that redoes this.
    let mut popped: Vec<Vec<u8>> = Vec::new();
    let feeding = ctx.srv.keyspace.feed.is_on();
    for _ in 0..count {
        let i = rng.gen_range(0..s.len());
        let m = s.remove_at(i);
        ctx.out.bulk(&m);
        if feeding {
            popped.push(m.to_vec());
        }
    }
    ctx.ks.touch_dirty(key);
    if feeding {
        let mut args: Vec<&[u8]> = vec![b"SREM", key];
        args.extend(popped.iter().map(|m| &m[..]));
        ctx.propagate(&args);
    }
    ctx.notify(super::notify::SET, "spop", key);
    Ok(())
}

/// SRANDMEMBER key [count]: a positive count gives distinct members, a negative one allows
/// repeats. <https://redis.io/commands/srandmember/>
fn srandmember(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    if a.len() > 3 {
        return Err(CmdError::Syntax);
    }
    let mut rng = rand::thread_rng();
    if a.len() == 2 {
        match ctx.ks.lookup_read(&a[1]) {
            None => ctx.out.null(),
            Some(e) => match as_set(e)? {
                s if s.is_empty() => ctx.out.null(),
                s => reply_member(ctx.out, s.get(rng.gen_range(0..s.len()))),
            },
        }
        return Ok(());
    }
    let count = a.i64(2)?;
    if count == i64::MIN {
        return Err(CmdError::err(
            "value is out of range, value must between -9223372036854775807 and 9223372036854775807",
        ));
    }
    let Some(e) = ctx.ks.lookup_read(&a[1]) else {
        ctx.out.array_len(0);
        return Ok(());
    };
    let s = as_set(e)?;
    let n = s.len();
    if n == 0 {
        ctx.out.array_len(0);
    } else if count < 0 {
        let count = count.unsigned_abs() as usize;
        ctx.out.array_len(count);
        for _ in 0..count {
            reply_member(ctx.out, s.get(rng.gen_range(0..n)));
        }
    } else if count as u64 >= n as u64 {
        ctx.out.array_len(n);
        for m in s.iter() {
            reply_member(ctx.out, m);
        }
    } else {
        let count = count as usize;
        ctx.out.array_len(count);
        for i in rand::seq::index::sample(&mut rng, n, count) {
            reply_member(ctx.out, s.get(i));
        }
    }
    Ok(())
}

/// SMOVE source destination member. <https://redis.io/commands/smove/>
fn smove(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let (src, dst, m) = (&a[1], &a[2], &a[3]);
    let dst_is_set = ctx
        .ks
        .lookup_write(dst)
        .map(|e| matches!(e.value, Value::Set(_)));
    let Some(e) = ctx.ks.lookup_write(src) else {
        ctx.out.int(0);
        return Ok(());
    };
    let s = as_set_mut(e)?;
    if dst_is_set == Some(false) {
        return Err(CmdError::WrongType);
    }
    if src == dst {
        ctx.out.int(s.contains(m) as i64);
        return Ok(());
    }
    if !s.remove(m) {
        ctx.out.int(0);
        return Ok(());
    }
    let empty = s.is_empty();
    ctx.ks.settle(src, empty, true);
    ctx.notify(super::notify::SET, "srem", src);
    ctx.notify_emptied(empty, src);
    match ctx.ks.lookup_write(dst) {
        Some(e) => {
            if as_set_mut(e)?.insert(m) {
                ctx.ks.touch_dirty(dst);
                ctx.notify(super::notify::SET, "sadd", dst);
            }
        }
        None => {
            let mut s = Set::for_first(m);
            s.insert(m);
            ctx.ks.insert(dst, Value::Set(Box::new(s)), 0);
            ctx.notify(super::notify::SET, "sadd", dst);
        }
    }
    ctx.out.int(1);
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Inter,
    Union,
    Diff,
}

/// Checks the type of every source key first, as Redis does (a missing key is an empty set),
/// and returns their sizes (`None` = missing).
fn source_sizes(ctx: &mut Ctx<'_, '_>, keys: &[&[u8]]) -> Result<Vec<Option<usize>>, CmdError> {
    let mut sizes = Vec::with_capacity(keys.len());
    for k in keys {
        sizes.push(match ctx.ks.lookup_read(k) {
            None => None,
            Some(e) => Some(as_set(e)?.len()),
        });
    }
    Ok(sizes)
}

/// The set stored at `key` (already type-checked by [`source_sizes`]).
fn peek_set<'c>(ctx: &'c mut Ctx<'_, '_>, key: &[u8]) -> Option<&'c Set> {
    match ctx.ks.peek(key).map(|e| &e.value) {
        Some(Value::Set(s)) => Some(s),
        _ => None,
    }
}

/// SINTER/SUNION/SDIFF over `keys` as Redis's `sinterGenericCommand` and
/// `sunionDiffGenericCommand`; the result has the encoding Redis's destination set would get.
fn combine(ctx: &mut Ctx<'_, '_>, keys: &[&[u8]], op: Op) -> Result<Set, CmdError> {
    let sizes = source_sizes(ctx, keys)?;
    match op {
        Op::Inter => {
            if sizes.iter().any(|s| s.is_none()) {
                return Ok(Set::default());
            }
            // Start from the smallest set, then keep what every other set holds.
            let (first, _) = sizes
                .iter()
                .enumerate()
                .min_by_key(|(_, s)| s.unwrap_or(0))
                .expect("at least one key");
            let mut res = peek_set(ctx, keys[first]).cloned().unwrap_or_default();
            for (i, k) in keys.iter().enumerate() {
                if i == first || res.is_empty() {
                    continue;
                }
                if let Some(o) = peek_set(ctx, k) {
                    res.retain(|m| o.contains_member(m));
                }
            }
            res.compact();
            Ok(res)
        }
        Op::Union => {
            let mut res = Set::default();
            for k in keys {
                if let Some(o) = peek_set(ctx, k) {
                    for m in o.iter() {
                        res.insert_member(m);
                    }
                }
            }
            Ok(res)
        }
        Op::Diff => {
            let Some(first) = sizes[0] else {
                return Ok(Set::default());
            };
            // Redis's choice between adding only the surviving members (algorithm 1) and
            // adding the first set whole then removing (algorithm 2) decides the encoding.
            let present = sizes.iter().flatten().count() as u64;
            let algo_one = first as u64 * present / 2;
            let algo_two: u64 = sizes.iter().flatten().map(|&n| n as u64).sum();
            let mut res = peek_set(ctx, keys[0]).cloned().unwrap_or_default();
            res.compact();
            for k in &keys[1..] {
                if res.is_empty() {
                    break;
                }
                if let Some(o) = peek_set(ctx, k) {
                    if o.len() < res.len() {
                        for m in o.iter() {
                            m.with_bytes(|b| res.remove(b));
                        }
                    } else {
                        res.retain(|m| !o.contains_member(m));
                    }
                }
            }
            if algo_one <= algo_two {
                res.compact();
            }
            Ok(res)
        }
    }
}

fn combine_reply(ctx: &mut Ctx<'_, '_>, a: &Args<'_>, op: Op) -> CmdResult {
    let keys: Vec<&[u8]> = a.iter().skip(1).collect();
    let res = combine(ctx, &keys, op)?;
    reply_set(ctx.out, &res);
    Ok(())
}

/// The *STORE variants: overwrite `destination` (any type), or delete it when the result is
/// empty; reply the result's size.
fn combine_store(ctx: &mut Ctx<'_, '_>, a: &Args<'_>, op: Op) -> CmdResult {
    let keys: Vec<&[u8]> = a.iter().skip(2).collect();
    let res = combine(ctx, &keys, op)?;
    let dst = &a[1];
    let n = res.len();
    if n == 0 {
        let existed = ctx.ks.exists(dst);
        ctx.ks.remove(dst);
        ctx.notify_if(existed, super::notify::GENERIC, "del", dst);
    } else {
        ctx.ks.insert(dst, Value::Set(Box::new(res)), 0);
        ctx.notify(
            super::notify::SET,
            ["sinterstore", "sunionstore", "sdiffstore"][op as usize],
            dst,
        );
    }
    ctx.out.int(n as i64);
    Ok(())
}

/// SINTER key [key ...]. <https://redis.io/commands/sinter/>
fn sinter(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    combine_reply(ctx, a, Op::Inter)
}

/// SUNION key [key ...]. <https://redis.io/commands/sunion/>
fn sunion(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    combine_reply(ctx, a, Op::Union)
}

/// SDIFF key [key ...]. <https://redis.io/commands/sdiff/>
fn sdiff(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    combine_reply(ctx, a, Op::Diff)
}

/// SINTERSTORE destination key [key ...]. <https://redis.io/commands/sinterstore/>
fn sinterstore(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    combine_store(ctx, a, Op::Inter)
}

/// SUNIONSTORE destination key [key ...]. <https://redis.io/commands/sunionstore/>
fn sunionstore(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    combine_store(ctx, a, Op::Union)
}

/// SDIFFSTORE destination key [key ...]. <https://redis.io/commands/sdiffstore/>
fn sdiffstore(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    combine_store(ctx, a, Op::Diff)
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit]. <https://redis.io/commands/sintercard/>
fn sintercard(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let numkeys = crate::util::parse_i64(&a[1])
        .filter(|&n| n > 0)
        .ok_or_else(|| CmdError::err("numkeys should be greater than 0"))? as u64;
    if numkeys > (a.len() - 2) as u64 {
        return Err(CmdError::err(
            "Number of keys can't be greater than number of args",
        ));
    }
    let numkeys = numkeys as usize;
    let mut limit = 0u64;
    let mut j = 2 + numkeys;
    while j < a.len() {
        if a.is(j, "limit") && j + 1 < a.len() {
            limit = crate::util::parse_i64(&a[j + 1])
                .filter(|&n| n >= 0)
                .ok_or_else(|| CmdError::err("LIMIT can't be negative"))?
                as u64;
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let keys: Vec<&[u8]> = (2..2 + numkeys).map(|i| a.get(i)).collect();
    let n = combine(ctx, &keys, Op::Inter)?.len() as u64;
    let n = if limit > 0 { n.min(limit) } else { n };
    ctx.out.int(n as i64);
    Ok(())
}

/// SSCAN key cursor [MATCH pattern] [COUNT count]. <https://redis.io/commands/sscan/>
///
/// An `intset` is returned whole with cursor 0, as Redis does. A `hashtable` is walked by
/// position from the top down, COUNT positions per call ([`Set::scan`]; `keyspace::posmap`
/// gives the guarantee: every member present for the whole iteration comes at least once).
fn sscan(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let cursor = cursor::parse_cursor(&a[2])?;
    let Some(e) = ctx.ks.lookup_read(&a[1]) else {
        cursor::reply_head(ctx.out, 0, 0);
        return Ok(());
    };
    let s = as_set(e)?;
    let o = cursor::parse_options(a, 3)?;
    let mut found: Vec<Member<'_>> = Vec::new();
    let next = s.scan(cursor, o.count, |m| {
        if o.pattern.is_none() || m.with_bytes(|b| o.matches(b)) {
            found.push(m);
        }
    });
    cursor::reply_head(ctx.out, next, found.len());
    for m in found {
        reply_member(ctx.out, m);
    }
    Ok(())
}

const S: Command = Command {
    group: "set",
    acl: acl::SET,
    ..BASE
};
const K1: (i32, i32, i32) = (1, 1, 1);
const ALL: (i32, i32, i32) = (1, -1, 1);
const INTER_CX: &str =
    "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.";
const UNION_CX: &str = "O(N) where N is the total number of elements in all given sets.";

#[rustfmt::skip]
pub static COMMANDS: &[Command] = &[
    Command { name: "sadd", elems: (2, 1), arity: -3, flags: WRITE | DENYOOM | FAST, keys: K1, since: "1.0.0",
        summary: "Add one or more members to a set",
        complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
        handler: sadd, ..S },
    Command { name: "srem", elems: (2, 1), arity: -3, flags: WRITE | FAST, keys: K1, since: "1.0.0",
        summary: "Remove one or more members from a set",
        complexity: "O(N) where N is the number of members to be removed.", handler: srem, ..S },
    Command { name: "smembers", arity: 2, flags: READONLY, keys: K1, since: "1.0.0",
        summary: "Get all the members in a set", complexity: "O(N) where N is the set cardinality.",
        handler: smembers, ..S },
    Command { name: "sismember", elems: (2, 1), arity: 3, flags: READONLY | FAST, keys: K1, since: "1.0.0",
        summary: "Determine if a given value is a member of a set", complexity: "O(1)",
        handler: sismember, ..S },
    Command { name: "smismember", elems: (2, 1), arity: -3, flags: READONLY | FAST, keys: K1, since: "6.2.0",
        summary: "Returns the membership associated with the given elements for a set",
        complexity: "O(N) where N is the number of elements being checked for membership",
        handler: smismember, ..S },
    Command { name: "scard", arity: 2, flags: READONLY | FAST, keys: K1, since: "1.0.0",
        summary: "Get the number of members in a set", complexity: "O(1)", handler: scard, ..S },
    Command { name: "spop", arity: -2, flags: WRITE | FAST, keys: K1, since: "1.0.0",
        summary: "Remove and return one or multiple random members from a set",
        complexity: "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.",
        handler: spop, ..S },
    Command { name: "srandmember", arity: -2, flags: READONLY, keys: K1, since: "1.0.0",
        summary: "Get one or multiple random members from a set",
        complexity: "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.",
        handler: srandmember, ..S },
    Command { name: "smove", arity: 4, flags: WRITE | FAST, keys: (1, 2, 1), since: "1.0.0",
        summary: "Move a member from one set to another", complexity: "O(1)", handler: smove, ..S },
    Command { name: "sinter", arity: -2, flags: READONLY, keys: ALL, since: "1.0.0",
        summary: "Intersect multiple sets", complexity: INTER_CX, handler: sinter, ..S },
    Command { name: "sintercard", arity: -3, flags: READONLY, keynum: (1, 1, 1), since: "7.0.0",
        summary: "Intersect multiple sets and return the cardinality of the result",
        complexity: INTER_CX, handler: sintercard, ..S },
    Command { name: "sinterstore", arity: -3, flags: WRITE | DENYOOM, keys: ALL, since: "1.0.0",
        summary: "Intersect multiple sets and store the resulting set in a key",
        complexity: INTER_CX, handler: sinterstore, ..S },
    Command { name: "sunion", arity: -2, flags: READONLY, keys: ALL, since: "1.0.0",
        summary: "Add multiple sets", complexity: UNION_CX, handler: sunion, ..S },
    Command { name: "sunionstore", arity: -3, flags: WRITE | DENYOOM, keys: ALL, since: "1.0.0",
        summary: "Add multiple sets and store the resulting set in a key", complexity: UNION_CX,
        handler: sunionstore, ..S },
    Command { name: "sdiff", arity: -2, flags: READONLY, keys: ALL, since: "1.0.0",
        summary: "Subtract multiple sets", complexity: UNION_CX, handler: sdiff, ..S },
    Command { name: "sdiffstore", arity: -3, flags: WRITE | DENYOOM, keys: ALL, since: "1.0.0",
        summary: "Subtract multiple sets and store the resulting set in a key", complexity: UNION_CX,
        handler: sdiffstore, ..S },
    Command { name: "sscan", arity: -3, flags: READONLY, keys: K1, since: "2.8.0",
        summary: "Incrementally iterate Set elements",
        complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
        handler: sscan, ..S },
];
