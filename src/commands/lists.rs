//! List commands: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LRANGE LINDEX LSET LREM LTRIM LINSERT
//! LPOS LMOVE RPOPLPUSH LMPOP, and the blocking BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP.
//! Semantics, argument checks and their order follow redis.io's command pages and Redis 7.0's
//! `t_list.c`.
//!
//! A blocking command first tries to serve like its non-blocking form; with nothing to pop it
//! blocks on its keys (see `Ctx::block`) and is run again when one of them is written. On such
//! a re-run, keys that now hold another type are skipped rather than answered with WRONGTYPE:
//! Redis serves a blocked client only from a key of the type it waits for.

use super::table::{acl, flag::*, Command, BASE};
use super::{block_or_timeout, parse_block_timeout, Args, CmdError, CmdResult, Ctx};
use crate::keyspace::list::{End, List};
use crate::keyspace::{Entry, Value};

/// The list of an entry, or WRONGTYPE.
fn as_list(e: &Entry) -> Result<&List, CmdError> {
    match &e.value {
        Value::List(l) => Ok(l),
        _ => Err(CmdError::WrongType),
    }
}

fn as_list_mut(e: &mut Entry) -> Result<&mut List, CmdError> {
    match &mut e.value {
        Value::List(l) => Ok(l),
        _ => Err(CmdError::WrongType),
    }
}

/// Redis's `getLongFromObjectOrReply`.
fn int_arg(a: &Args<'_>, i: usize) -> Result<i64, CmdError> {
    a.i64(i)
}

/// Redis's `getRangeLongFromObjectOrReply(min, LONG_MAX, msg)`: any failure is `ERR <msg>`.
fn int_at_least(a: &Args<'_>, i: usize, min: i64, msg: &str) -> Result<i64, CmdError> {
    match crate::util::parse_i64(a.get(i)) {
        Some(n) if n >= min => Ok(n),
        _ => Err(CmdError::err(msg)),
    }
}

/// `LEFT` / `RIGHT` (Redis's `getListPositionFromObjectOrReply`).
fn end_arg(a: &Args<'_>, i: usize) -> Result<End, CmdError> {
    if a.is(i, "left") {
        Ok(End::Left)
    } else if a.is(i, "right") {
        Ok(End::Right)
    } else {
        Err(CmdError::Syntax)
    }
}

/// LPUSH/RPUSH/LPUSHX/RPUSHX: pushes `a[2..]` one by one at `end`; `only_existing` for the X
/// forms (0 when the key is missing). Replies the new length.
fn push_generic(ctx: &mut Ctx<'_, '_>, a: &Args<'_>, end: End, only_existing: bool) -> CmdResult {
    let key = &a[1];
    let len = match ctx.ks.lookup_write(key) {
        Some(e) => {
            let l = as_list_mut(e)?;
            for v in a.iter().skip(2) {
                l.push(end, v.into());
            }
            let n = l.len();
            ctx.ks.touch_dirty(key);
            ctx.notify(super::notify::LIST, super::notify::push_event(end), key);
            n
        }
        None if only_existing => 0,
        None => {
            let mut l = List::new();
            for v in a.iter().skip(2) {
                l.push(end, v.into());
            }
            let n = l.len();
            ctx.ks.insert(key, Value::List(Box::new(l)), 0);
            ctx.notify(super::notify::LIST, super::notify::push_event(end), key);
            n
        }
    };
    ctx.out.int(len as i64);
    Ok(())
}

/// LPUSH key element [element ...]. <https://redis.io/commands/lpush/>
fn lpush(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    push_generic(ctx, a, End::Left, false)
}

/// RPUSH key element [element ...]. <https://redis.io/commands/rpush/>
fn rpush(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    push_generic(ctx, a, End::Right, false)
}

/// LPUSHX key element [element ...]: only onto an existing list. <https://redis.io/commands/lpushx/>
fn lpushx(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    push_generic(ctx, a, End::Left, true)
}

/// RPUSHX key element [element ...]: only onto an existing list. <https://redis.io/commands/rpushx/>
fn rpushx(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    push_generic(ctx, a, End::Right, true)
}

/// LPOP/RPOP key [count]. Without a count: one element or the null bulk string; with one: an
/// array, the null array for a missing key, an empty array for a count of 0.
fn pop_generic(ctx: &mut Ctx<'_, '_>, a: &Args<'_>, end: End, name: &str) -> CmdResult {
    if a.len() > 3 {
        return Err(CmdError::WrongArity(name.into()));
    }
    let count = if a.len() == 3 {
        Some(int_at_least(
            a,
            2,
            0,
            "value is out of range, must be positive",
        )?)
    } else {
        None
    };
    let key = &a[1];
    let Some(e) = ctx.ks.lookup_write(key) else {
        match count {
            Some(_) => ctx.out.null_array(),
            None => ctx.out.null(),
        }
        return Ok(());
    };
    let l = as_list_mut(e)?;
    match count {
        None => {
            let v = l.pop(end).expect("stored lists are never empty");
            ctx.out.bulk(&v);
        }
        Some(0) => {
            ctx.out.array_len(0);
            return Ok(());
        }
        Some(n) => {
            let n = (n as u64).min(l.len() as u64) as usize;
            ctx.out.array_len(n);
            for _ in 0..n {
                let v = l.pop(end).expect("counted");
                ctx.out.bulk(&v);
            }
        }
    }
    let empty = l.is_empty();
    ctx.notify(super::notify::LIST, super::notify::pop_event(end), key);
    ctx.ks.settle(key, empty, true);
    ctx.notify_emptied(empty, key);
    Ok(())
}

/// LPOP key [count]. <https://redis.io/commands/lpop/>
fn lpop(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    pop_generic(ctx, a, End::Left, "lpop")
}

/// RPOP key [count]. <https://redis.io/commands/rpop/>
fn rpop(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    pop_generic(ctx, a, End::Right, "rpop")
}

/// LLEN key. <https://redis.io/commands/llen/>
fn llen(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let n = match ctx.ks.lookup_read(&a[1]) {
        None => 0,
        Some(e) => as_list(e)?.len(),
    };
    ctx.out.int(n as i64);
    Ok(())
}

/// LRANGE key start stop (inclusive, negative from the tail). <https://redis.io/commands/lrange/>
fn lrange(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let start = int_arg(a, 2)?;
    let stop = int_arg(a, 3)?;
    let Some(e) = ctx.ks.lookup_read(&a[1]) else {
        ctx.out.array_len(0);
        return Ok(());
    };
    let l = as_list(e)?;
    match l.range(start, stop) {
        None => ctx.out.array_len(0),
        Some((s, t)) => {
            ctx.out.array_len(t - s + 1);
            // One reservation for the whole reply (each element costs its length plus at most
            // 25 bytes of framing) instead of growing the buffer element by element.
            let bytes: usize = l.items.range(s..=t).map(|v| v.len() + 25).sum();
            ctx.out.buf.reserve(bytes);
            for v in l.items.range(s..=t) {
                ctx.out.bulk(v);
            }
        }
    }
    Ok(())
}

/// LINDEX key index: the element or null. <https://redis.io/commands/lindex/>
fn lindex(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let Some(e) = ctx.ks.lookup_read(&a[1]) else {
        ctx.out.null();
        return Ok(());
    };
    let l = as_list(e)?;
    let index = int_arg(a, 2)?;
    ctx.out.bulk_opt(l.get(index));
    Ok(())
}

/// LSET key index element. <https://redis.io/commands/lset/>
fn lset(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let key = &a[1];
    let Some(e) = ctx.ks.lookup_write(key) else {
        return Err(CmdError::NoSuchKey);
    };
    let l = as_list_mut(e)?;
    let index = int_arg(a, 2)?;
    let i = l
        .position(index)
        .ok_or_else(|| CmdError::err("index out of range"))?;
    l.items[i] = a[3].into();
    ctx.ks.touch_dirty(key);
    ctx.notify(super::notify::LIST, "lset", key);
    ctx.out.ok();
    Ok(())
}

/// LREM key count element: how many were removed. <https://redis.io/commands/lrem/>
fn lrem(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let count = int_arg(a, 2)?;
    let key = &a[1];
    let Some(e) = ctx.ks.lookup_write(key) else {
        ctx.out.int(0);
        return Ok(());
    };
    let l = as_list_mut(e)?;
    let n = l.remove_matching(&a[3], count);
    let empty = l.is_empty();
    if n > 0 {
        ctx.notify(super::notify::LIST, "lrem", key);
        ctx.ks.settle(key, empty, true);
        ctx.notify_emptied(empty, key);
    }
    ctx.out.int(n as i64);
    Ok(())
}

/// LTRIM key start stop. <https://redis.io/commands/ltrim/>
fn ltrim(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let start = int_arg(a, 2)?;
    let stop = int_arg(a, 3)?;
    let key = &a[1];
    if let Some(e) = ctx.ks.lookup_write(key) {
        let l = as_list_mut(e)?;
        let keep = l.range(start, stop);
        l.trim(keep);
        let empty = l.is_empty();
        ctx.notify(super::notify::LIST, "ltrim", key);
        ctx.ks.settle(key, empty, true);
        ctx.notify_emptied(empty, key);
    }
    ctx.out.ok();
    Ok(())
}

/// LINSERT key BEFORE|AFTER pivot element: the new length, -1 without the pivot, 0 without the
/// key. <https://redis.io/commands/linsert/>
fn linsert(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let after = if a.is(2, "after") {
        true
    } else if a.is(2, "before") {
        false
    } else {
        return Err(CmdError::Syntax);
    };
    let key = &a[1];
    let Some(e) = ctx.ks.lookup_write(key) else {
        ctx.out.int(0);
        return Ok(());
    };
    let l = as_list_mut(e)?;
    if !l.insert_at_pivot(&a[3], a[4].into(), after) {
        ctx.out.int(-1);
        return Ok(());
    }
    let n = l.len();
    ctx.ks.touch_dirty(key);
    ctx.notify(super::notify::LIST, "linsert", key);
    ctx.out.int(n as i64);
    Ok(())
}

/// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]. <https://redis.io/commands/lpos/>
fn lpos(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let mut rank: i64 = 1;
    let mut count: Option<i64> = None;
    let mut maxlen: i64 = 0;
    let mut j = 3;
    while j < a.len() {
        let more = j + 1 < a.len();
        if a.is(j, "rank") && more {
            j += 1;
            rank = int_arg(a, j)?;
            if rank == 0 {
                return Err(CmdError::err(
                    "RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
                ));
            }
        } else if a.is(j, "count") && more {
            j += 1;
            count = Some(int_at_least(a, j, 0, "COUNT can't be negative")?);
        } else if a.is(j, "maxlen") && more {
            j += 1;
            maxlen = int_at_least(a, j, 0, "MAXLEN can't be negative")?;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    // A negative rank searches from the tail; like Redis, -LLONG_MIN wraps (and then matches
    // the first element found, since every match count is >= it).
    let from_tail = rank < 0;
    if from_tail {
        rank = rank.wrapping_neg();
    }
    let Some(e) = ctx.ks.lookup_read(&a[1]) else {
        match count {
            Some(_) => ctx.out.array_len(0),
            None => ctx.out.null(),
        }
        return Ok(());
    };
    let l = as_list(e)?;
    let ele = &a[2];
    let len = l.len();
    let limit = if maxlen == 0 {
        len
    } else {
        (maxlen as u64).min(len as u64) as usize
    };
    let at = |k: usize| if from_tail { len - 1 - k } else { k };
    let mut matches: i64 = 0;
    let mut found: Vec<usize> = Vec::new();
    for k in 0..limit {
        let i = at(k);
        if &*l.items[i] != ele {
            continue;
        }
        matches += 1;
        if matches >= rank {
            found.push(i);
            match count {
                None => break,
                Some(c) => {
                    if c != 0 && matches.wrapping_sub(rank).wrapping_add(1) >= c {
                        break;
                    }
                }
            }
        }
    }
    match count {
        Some(_) => {
            ctx.out.array_len(found.len());
            for i in found {
                ctx.out.int(i as i64);
            }
        }
        None => match found.first() {
            Some(&i) => ctx.out.int(i as i64),
            None => ctx.out.null(),
        },
    }
    Ok(())
}

/// LMOVE/RPOPLPUSH: pops from `src` at `from`, pushes onto `dst` at `to`, replies the element
/// (null when `src` is missing). Both keys are type-checked before anything moves.
fn move_generic(ctx: &mut Ctx<'_, '_>, src: &[u8], dst: &[u8], from: End, to: End) -> CmdResult {
    let Some(e) = ctx.ks.lookup_write(src) else {
        ctx.out.null();
        return Ok(());
    };
    if src == dst {
        let l = as_list_mut(e)?;
        let v = l.pop(from).expect("stored lists are never empty");
        ctx.out.bulk(&v);
        l.push(to, v);
        ctx.ks.touch_dirty(src);
        propagate_move(ctx, src, dst, from, to);
        ctx.notify(super::notify::LIST, super::notify::push_event(to), dst);
        ctx.notify(super::notify::LIST, super::notify::pop_event(from), src);
        return Ok(());
    }
    as_list(e)?;
    if let Some(d) = ctx.ks.lookup_write(dst) {
        as_list(d)?;
    }
    let e = ctx.ks.lookup_write(src).expect("looked up above");
    let l = as_list_mut(e)?;
    let v = l.pop(from).expect("stored lists are never empty");
    let empty = l.is_empty();
    ctx.out.bulk(&v);
    match ctx.ks.lookup_write(dst) {
        Some(d) => {
            as_list_mut(d)?.push(to, v);
            ctx.ks.touch_dirty(dst);
        }
        None => {
            let mut l = List::new();
            l.push(to, v);
            ctx.ks.insert(dst, Value::List(Box::new(l)), 0);
        }
    }
    propagate_move(ctx, src, dst, from, to);
    ctx.notify(super::notify::LIST, super::notify::push_event(to), dst);
    ctx.notify(super::notify::LIST, super::notify::pop_event(from), src);
    ctx.ks.settle(src, empty, true);
    ctx.notify_emptied(empty, src);
    Ok(())
}

fn end_name(end: End) -> &'static [u8] {
    match end {
        End::Left => b"LEFT",
        End::Right => b"RIGHT",
    }
}

/// Feeds a move as LMOVE, whichever of LMOVE, RPOPLPUSH, BLMOVE, BRPOPLPUSH made it (a
/// blocking command must not be replayed as one).
fn propagate_move(ctx: &mut Ctx<'_, '_>, src: &[u8], dst: &[u8], from: End, to: End) {
    ctx.propagate(&[b"LMOVE", src, dst, end_name(from), end_name(to)]);
}

/// LMOVE source destination LEFT|RIGHT LEFT|RIGHT. <https://redis.io/commands/lmove/>
fn lmove(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let from = end_arg(a, 3)?;
    let to = end_arg(a, 4)?;
    move_generic(ctx, &a[1], &a[2], from, to)
}

/// RPOPLPUSH source destination (LMOVE source destination RIGHT LEFT).
/// <https://redis.io/commands/rpoplpush/>
fn rpoplpush(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    move_generic(ctx, &a[1], &a[2], End::Right, End::Left)
}

/// Parses LMPOP's `numkeys key [key ...] LEFT|RIGHT [COUNT count]` from `a[1..]`; returns
/// the index of LEFT|RIGHT (the keys are `a[2..where]`), the end, and the count.
fn mpop_args(a: &Args<'_>) -> Result<(usize, End, usize), CmdError> {
    let numkeys = int_at_least(a, 1, 1, "numkeys should be greater than 0")?;
    let where_idx = match (numkeys as u64).checked_add(2) {
        Some(i) if i < a.len() as u64 => i as usize,
        _ => return Err(CmdError::Syntax),
    };
    let end = end_arg(a, where_idx)?;
    let mut count: Option<i64> = None;
    let mut j = where_idx + 1;
    while j < a.len() {
        if count.is_none() && a.is(j, "count") && j + 1 < a.len() {
            j += 1;
            count = Some(int_at_least(a, j, 1, "count should be greater than 0")?);
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    Ok((where_idx, end, count.unwrap_or(1) as usize))
}

/// How a pop from the first list among several keys replies.
#[derive(Clone, Copy)]
enum FirstPop {
    /// One element: `[key, element]` (BLPOP, BRPOP).
    One,
    /// Up to this many: `[key, [elements]]` (LMPOP, BLMPOP).
    Many(usize),
}

/// Pops at `end` from the first of `keys` that holds a list and replies as `how` says; false
/// (nothing written) when none does. With `skip_wrong_type`, keys of another type are passed
/// over instead of failing with WRONGTYPE (a blocked client's re-run).
fn pop_first<'k>(
    ctx: &mut Ctx<'_, '_>,
    keys: impl Iterator<Item = &'k [u8]>,
    end: End,
    how: FirstPop,
    skip_wrong_type: bool,
) -> Result<bool, CmdError> {
    for key in keys {
        let Some(e) = ctx.ks.lookup_write(key) else {
            continue;
        };
        let l = match as_list_mut(e) {
            Ok(l) => l,
            Err(_) if skip_wrong_type => continue,
            Err(err) => return Err(err),
        };
        ctx.out.array_len(2);
        ctx.out.bulk(key);
        let n = match how {
            FirstPop::One => 1,
            FirstPop::Many(count) => {
                let n = count.min(l.len());
                ctx.out.array_len(n);
                n
            }
        };
        for _ in 0..n {
            let v = l.pop(end).expect("stored lists are never empty");
            ctx.out.bulk(&v);
        }
        let empty = l.is_empty();
        // Fed as the plain pop it was (BLPOP and LMPOP must not be replayed as themselves).
        let pop: &[u8] = match end {
            End::Left => b"LPOP",
            End::Right => b"RPOP",
        };
        let mut count = itoa::Buffer::new();
        ctx.propagate(&[pop, key, count.format(n).as_bytes()]);
        ctx.notify(super::notify::LIST, super::notify::pop_event(end), key);
        ctx.ks.settle(key, empty, true);
        ctx.notify_emptied(empty, key);
        return Ok(true);
    }
    Ok(false)
}

/// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]: pops up to `count` elements from the
/// first non-empty list, replying `[key, [elements]]`, or the null array when every key is
/// missing. <https://redis.io/commands/lmpop/>
fn lmpop(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let (where_idx, end, count) = mpop_args(a)?;
    let keys = (2..where_idx).map(|i| a.get(i));
    if !pop_first(ctx, keys, end, FirstPop::Many(count), false)? {
        ctx.out.null_array();
    }
    Ok(())
}

/// BLPOP/BRPOP key [key ...] timeout: `[key, element]` from the first non-empty list, else
/// blocks; the null array on timeout.
fn bpop_generic(ctx: &mut Ctx<'_, '_>, a: &Args<'_>, end: End) -> CmdResult {
    let last = a.len() - 1;
    let deadline = parse_block_timeout(&a[last], ctx.now)?;
    let retry = ctx.is_retry();
    if pop_first(ctx, (1..last).map(|i| a.get(i)), end, FirstPop::One, retry)? {
        return Ok(());
    }
    block_or_timeout(ctx, (1..last).map(|i| a.get(i)), deadline, |o| {
        o.null_array()
    });
    Ok(())
}

/// BLPOP key [key ...] timeout. <https://redis.io/commands/blpop/>
fn blpop(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    bpop_generic(ctx, a, End::Left)
}

/// BRPOP key [key ...] timeout. <https://redis.io/commands/brpop/>
fn brpop(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    bpop_generic(ctx, a, End::Right)
}

/// BLMOVE/BRPOPLPUSH: LMOVE when `src` holds a list, else blocks on `src`; the null array on
/// timeout (as Redis 7.0), the null bulk string inside EXEC.
fn bmove_generic(
    ctx: &mut Ctx<'_, '_>,
    src: &[u8],
    dst: &[u8],
    from: End,
    to: End,
    deadline: u64,
) -> CmdResult {
    let ready = match ctx.ks.peek(src) {
        Some(e) => as_list(e).is_ok() || !ctx.is_retry(),
        None => false,
    };
    if ready {
        return move_generic(ctx, src, dst, from, to);
    }
    if ctx.client.in_exec {
        // Redis 7.0 replies the null bulk string when it may not block, but the null array
        // when a wait times out.
        ctx.out.null();
    } else {
        block_or_timeout(ctx, std::iter::once(src), deadline, |o| o.null_array());
    }
    Ok(())
}

/// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout.
/// <https://redis.io/commands/blmove/>
fn blmove(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let from = end_arg(a, 3)?;
    let to = end_arg(a, 4)?;
    let deadline = parse_block_timeout(&a[5], ctx.now)?;
    bmove_generic(ctx, &a[1], &a[2], from, to, deadline)
}

/// BRPOPLPUSH source destination timeout. <https://redis.io/commands/brpoplpush/>
fn brpoplpush(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let deadline = parse_block_timeout(&a[3], ctx.now)?;
    bmove_generic(ctx, &a[1], &a[2], End::Right, End::Left, deadline)
}

/// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]: LMPOP, or blocks; the null
/// array on timeout. <https://redis.io/commands/blmpop/>
fn blmpop(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    // LMPOP's arguments start one later; the timeout is checked after them, as in Redis.
    let m = a.skip(1);
    let (where_idx, end, count) = mpop_args(&m)?;
    let deadline = parse_block_timeout(&a[1], ctx.now)?;
    let retry = ctx.is_retry();
    let keys = (2..where_idx).map(|i| m.get(i));
    if !pop_first(ctx, keys, end, FirstPop::Many(count), retry)? {
        block_or_timeout(ctx, (2..where_idx).map(|i| m.get(i)), deadline, |o| {
            o.null_array()
        });
    }
    Ok(())
}

const L: Command = Command {
    group: "list",
    acl: acl::LIST,
    ..BASE
};
const K1: (i32, i32, i32) = (1, 1, 1);
const PUSH_O: &str =
    "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.";

#[rustfmt::skip]
pub static COMMANDS: &[Command] = &[
    Command { name: "lpush", arity: -3, flags: WRITE | DENYOOM | FAST, keys: K1, since: "1.0.0",
        summary: "Prepend one or multiple elements to a list", complexity: PUSH_O, handler: lpush, ..L },
    Command { name: "rpush", arity: -3, flags: WRITE | DENYOOM | FAST, keys: K1, since: "1.0.0",
        summary: "Append one or multiple elements to a list", complexity: PUSH_O, handler: rpush, ..L },
    Command { name: "lpushx", arity: -3, flags: WRITE | DENYOOM | FAST, keys: K1, since: "2.2.0",
        summary: "Prepend an element to a list, only if the list exists", complexity: PUSH_O, handler: lpushx, ..L },
    Command { name: "rpushx", arity: -3, flags: WRITE | DENYOOM | FAST, keys: K1, since: "2.2.0",
        summary: "Append an element to a list, only if the list exists", complexity: PUSH_O, handler: rpushx, ..L },
    Command { name: "lpop", arity: -2, flags: WRITE | FAST, keys: K1, since: "1.0.0",
        summary: "Remove and get the first elements in a list", complexity: "O(N) where N is the number of elements returned", handler: lpop, ..L },
    Command { name: "rpop", arity: -2, flags: WRITE | FAST, keys: K1, since: "1.0.0",
        summary: "Remove and get the last elements in a list", complexity: "O(N) where N is the number of elements returned", handler: rpop, ..L },
    Command { name: "llen", arity: 2, flags: READONLY | FAST, keys: K1, since: "1.0.0",
        summary: "Get the length of a list", complexity: "O(1)", handler: llen, ..L },
    Command { name: "lrange", arity: 4, flags: READONLY, keys: K1, since: "1.0.0",
        summary: "Get a range of elements from a list", complexity: "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.", handler: lrange, ..L },
    Command { name: "lindex", arity: 3, flags: READONLY, keys: K1, since: "1.0.0",
        summary: "Get an element from a list by its index", complexity: "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).", handler: lindex, ..L },
    Command { name: "lset", arity: 4, flags: WRITE | DENYOOM, keys: K1, since: "1.0.0",
        summary: "Set the value of an element in a list by its index", complexity: "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).", handler: lset, ..L },
    Command { name: "lrem", arity: 4, flags: WRITE, keys: K1, since: "1.0.0",
        summary: "Remove elements from a list", complexity: "O(N+M) where N is the length of the list and M is the number of elements removed.", handler: lrem, ..L },
    Command { name: "ltrim", arity: 4, flags: WRITE, keys: K1, since: "1.0.0",
        summary: "Trim a list to the specified range", complexity: "O(N) where N is the number of elements to be removed by the operation.", handler: ltrim, ..L },
    Command { name: "linsert", arity: 5, flags: WRITE | DENYOOM, keys: K1, since: "2.2.0",
        summary: "Insert an element before or after another element in a list", complexity: "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).", handler: linsert, ..L },
    Command { name: "lpos", arity: -3, flags: READONLY, keys: K1, since: "6.0.6",
        summary: "Return the index of matching elements on a list", complexity: "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.", handler: lpos, ..L },
    Command { name: "lmove", arity: 5, flags: WRITE | DENYOOM, keys: (1, 2, 1), since: "6.2.0",
        summary: "Pop an element from a list, push it to another list and return it", complexity: "O(1)", handler: lmove, ..L },
    Command { name: "rpoplpush", arity: 3, flags: WRITE | DENYOOM, keys: (1, 2, 1), since: "1.2.0",
        summary: "Remove the last element in a list, prepend it to another list and return it", complexity: "O(1)", handler: rpoplpush, ..L },
    Command { name: "lmpop", arity: -4, flags: WRITE, keys: (0, 0, 0), keynum: (1, 1, 1), since: "7.0.0",
        summary: "Pop elements from a list", complexity: "O(N+M) where N is the number of provided keys and M is the number of elements returned.", handler: lmpop, ..L },
    Command { name: "blpop", arity: -3, flags: WRITE | NOSCRIPT | BLOCKING, keys: (1, -2, 1), since: "2.0.0",
        summary: "Remove and get the first element in a list, or block until one is available", complexity: "O(N) where N is the number of provided keys.", handler: blpop, ..L },
    Command { name: "brpop", arity: -3, flags: WRITE | NOSCRIPT | BLOCKING, keys: (1, -2, 1), since: "2.0.0",
        summary: "Remove and get the last element in a list, or block until one is available", complexity: "O(N) where N is the number of provided keys.", handler: brpop, ..L },
    Command { name: "brpoplpush", arity: 4, flags: WRITE | DENYOOM | NOSCRIPT | BLOCKING, keys: (1, 2, 1), since: "2.2.0",
        summary: "Pop an element from a list, push it to another list and return it; or block until one is available", complexity: "O(1)", handler: brpoplpush, ..L },
    Command { name: "blmove", arity: 6, flags: WRITE | DENYOOM | NOSCRIPT | BLOCKING, keys: (1, 2, 1), since: "6.2.0",
        summary: "Pop an element from a list, push it to another list and return it; or block until one is available", complexity: "O(1)", handler: blmove, ..L },
    Command { name: "blmpop", arity: -5, flags: WRITE | BLOCKING, keys: (0, 0, 0), keynum: (2, 1, 1), since: "7.0.0",
        summary: "Pop elements from a list, or block until one is available", complexity: "O(N+M) where N is the number of provided keys and M is the number of elements returned.", handler: blmpop, ..L },
];
