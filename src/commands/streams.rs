//! Stream commands: XADD XLEN XRANGE XREVRANGE XDEL XTRIM XSETID here; XREAD and XREADGROUP
//! (with BLOCK) in `streams/read.rs`; the consumer group commands (XGROUP XACK XPENDING XCLAIM
//! XAUTOCLAIM) in `streams/groups.rs`; XINFO in `streams/info.rs`. Semantics, replies and errors follow redis.io's command pages and
//! Redis 7.0's `t_stream.c`; the type lives in `keyspace/stream.rs`.
//!
//! Replies: an entry is `[id, [field, value, ...]]` in both protocols; XREAD / XREADGROUP answer
//! an array of `[key, entries]` pairs (RESP2) or a map key -> entries (RESP3), or a null array
//! when nothing can be served.

mod groups;
mod info;
mod read;

use super::table::{acl, flag::*, Command, BASE};
use super::{notify, Args, CmdError, CmdResult, Ctx};
use crate::keyspace::stream::{parse_id, AddError, Fields, IdArg, Stream, StreamId, Trim};
use crate::keyspace::{Entry, Locked, Value};
use crate::protocol::Reply;

fn as_stream(e: &mut Entry) -> Result<&mut Stream, CmdError> {
    match &mut e.value {
        Value::Stream(s) => Ok(s),
        _ => Err(CmdError::WrongType),
    }
}

/// The stream at `key` for a read (counts a hit or miss): `None` when missing, WRONGTYPE for
/// another type.
fn read<'k>(ks: &'k mut Locked<'_>, key: &[u8]) -> Result<Option<&'k Stream>, CmdError> {
    match ks.lookup_read(key) {
        None => Ok(None),
        Some(e) => as_stream(e).map(|s| &*s).map(Some),
    }
}

/// The stream at `key` for a write, not created.
fn write<'k>(ks: &'k mut Locked<'_>, key: &[u8]) -> Result<Option<&'k mut Stream>, CmdError> {
    match ks.lookup_write(key) {
        None => Ok(None),
        Some(e) => as_stream(e).map(Some),
    }
}

/// Replies with an id as a bulk string `ms-seq`, without allocating.
pub(crate) fn reply_id(out: &mut Reply, id: StreamId) {
    let mut buf = [0u8; 41];
    let mut a = itoa::Buffer::new();
    let ms = a.format(id.ms).as_bytes();
    buf[..ms.len()].copy_from_slice(ms);
    let mut n = ms.len();
    buf[n] = b'-';
    n += 1;
    let seq = a.format(id.seq).as_bytes();
    buf[n..n + seq.len()].copy_from_slice(seq);
    n += seq.len();
    out.bulk(&buf[..n]);
}

/// Replies with one entry: `[id, [field, value, ...]]`.
pub(crate) fn reply_entry(out: &mut Reply, id: StreamId, f: &Fields) {
    out.array_len(2);
    reply_id(out, id);
    out.array_len(f.count());
    for x in f.iter() {
        out.bulk(x);
    }
}

/// A strict id (`ms` or `ms-seq`, no `-` / `+`).
pub(crate) fn strict_id(b: &[u8]) -> Result<StreamId, CmdError> {
    match parse_id(b, 0, true, false) {
        Some(IdArg::Id(id)) => Ok(id),
        _ => Err(CmdError::InvalidStreamId),
    }
}

/// An id that may also be `-` or `+`; `ms` alone gets `missing_seq`.
pub(crate) fn loose_id(b: &[u8], missing_seq: u64) -> Result<StreamId, CmdError> {
    match parse_id(b, missing_seq, false, false) {
        Some(IdArg::Id(id)) => Ok(id),
        _ => Err(CmdError::InvalidStreamId),
    }
}

/// A range bound: `(id` is exclusive (moved one id inwards), `-`, `+`, `ms`, `ms-seq`.
/// `start` picks the direction and the missing sequence (0 for a start, max for an end).
pub(crate) fn interval_id(b: &[u8], start: bool) -> Result<StreamId, CmdError> {
    let missing = if start { 0 } else { u64::MAX };
    if b.len() > 1 && b[0] == b'(' {
        let id = match parse_id(&b[1..], missing, true, false) {
            Some(IdArg::Id(id)) => id,
            _ => return Err(CmdError::InvalidStreamId),
        };
        return if start {
            id.next()
                .ok_or_else(|| CmdError::err("invalid start ID for the interval"))
        } else {
            id.prev()
                .ok_or_else(|| CmdError::err("invalid end ID for the interval"))
        };
    }
    loose_id(b, missing)
}

/// XADD / XTRIM options, parsed as Redis's `streamParseAddOrTrimArgsOrReply`.
struct AddTrim {
    trim: Option<Trim>,
    approx: bool,
    /// Cap on entries removed by approximate trimming; 0 = none.
    limit: u64,
    nomkstream: bool,
    /// XADD's id; `None` = `*`.
    id: Option<IdArg>,
}

/// Parses from argument 2; returns the options and, for XADD, the position of the id argument
/// (the fields follow it).
fn parse_add_or_trim(a: &Args<'_>, xadd: bool) -> Result<(AddTrim, usize), CmdError> {
    let mut o = AddTrim {
        trim: None,
        approx: false,
        limit: 0,
        nomkstream: false,
        id: None,
    };
    let mut limit_given = false;
    let both = "syntax error, MAXLEN and MINID options at the same time are not compatible";
    let mut i = 2;
    while i < a.len() {
        let more = a.len() - 1 - i;
        let opt = a.get(i);
        if xadd && opt == b"*" {
            break;
        } else if (a.is(i, "maxlen") || a.is(i, "minid")) && more > 0 {
            if o.trim.is_some() {
                return Err(CmdError::err(both));
            }
            let maxlen = a.is(i, "maxlen");
            o.approx = false;
            let next = a.get(i + 1);
            if more >= 2 && next == b"~" {
                o.approx = true;
                i += 1;
            } else if more >= 2 && next == b"=" {
                i += 1;
            }
            if maxlen {
                let n = a.i64(i + 1)?;
                if n < 0 {
                    return Err(CmdError::err("The MAXLEN argument must be >= 0."));
                }
                o.trim = Some(Trim::MaxLen(n as u64));
            } else {
                o.trim = Some(Trim::MinId(strict_id(a.get(i + 1))?));
            }
            i += 1;
        } else if a.is(i, "limit") && more > 0 {
            let n = a.i64(i + 1)?;
            if n < 0 {
                return Err(CmdError::err("The LIMIT argument must be >= 0."));
            }
            o.limit = n as u64;
            limit_given = true;
            i += 1;
        } else if xadd && a.is(i, "nomkstream") {
            o.nomkstream = true;
        } else if xadd {
            o.id = Some(parse_id(opt, 0, true, true).ok_or(CmdError::InvalidStreamId)?);
            break;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    if o.limit > 0 && o.trim.is_none() {
        return Err(CmdError::err(
            "syntax error, LIMIT cannot be used without specifying a trimming strategy",
        ));
    }
    if !xadd && o.trim.is_none() {
        return Err(CmdError::err(
            "syntax error, XTRIM must be called with a trimming strategy",
        ));
    }
    if limit_given {
        if !o.approx {
            return Err(CmdError::err(
                "syntax error, LIMIT cannot be used without the special ~ option",
            ));
        }
    } else if o.approx {
        // Redis: 100 * stream-node-max-entries.
        o.limit = 100 * crate::keyspace::stream::NODE_ENTRIES as u64;
    }
    Ok((o, i))
}

fn add_error(e: AddError) -> CmdError {
    match e {
        AddError::TooSmall => CmdError::err(
            "The ID specified in XADD is equal or smaller than the target stream top item",
        ),
        AddError::SeqExhausted => CmdError::err("Elements are too large to be stored"),
        AddError::Exhausted => {
            CmdError::err("The stream has exhausted the last possible ID, unable to add more items")
        }
    }
}

/// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value
/// [field value ...]: the new entry's id, or nil with NOMKSTREAM on a missing key.
/// <https://redis.io/commands/xadd/>
fn xadd(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let (o, id_pos) = parse_add_or_trim(a, true)?;
    let nfields = a.len() as i64 - id_pos as i64 - 1;
    if nfields < 2 || nfields % 2 == 1 {
        return Err(CmdError::WrongArity("xadd".into()));
    }
    if o.id == Some(IdArg::Id(StreamId::MIN)) {
        return Err(CmdError::err(
            "The ID specified in XADD must be greater than 0-0",
        ));
    }
    let key = &a[1];
    let now = ctx.now;
    let pairs = (id_pos + 1..a.len()).map(|i| a.get(i));
    let trim = |s: &mut Stream| o.trim.map_or(0, |t| s.trim(t, o.approx, o.limit));
    let (id, trimmed) = match write(&mut ctx.ks, key)? {
        Some(s) => {
            let id = s.add(o.id, now, pairs).map_err(add_error)?;
            let trimmed = trim(s);
            ctx.ks.touch_dirty(key);
            (id, trimmed)
        }
        None if o.nomkstream => {
            ctx.out.null();
            return Ok(());
        }
        None => {
            let mut s = Stream::new();
            let id = s.add(o.id, now, pairs).map_err(add_error)?;
            let trimmed = trim(&mut s);
            ctx.ks.insert(key, Value::Stream(Box::new(s)), 0);
            (id, trimmed)
        }
    };
    if ctx.feeding() {
        // A generated id (`*`, `ms-*`) is fed as the id it came to.
        let text = id.to_string();
        let mut args: Vec<&[u8]> = a.iter().collect();
        args[id_pos] = text.as_bytes();
        ctx.propagate(&args);
    }
    reply_id(ctx.out, id);
    ctx.notify(notify::STREAM, "xadd", key);
    ctx.notify_if(trimmed > 0, notify::STREAM, "xtrim", key);
    Ok(())
}

/// XLEN key: the number of entries (0 for a missing key). <https://redis.io/commands/xlen/>
fn xlen(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let n = read(&mut ctx.ks, &a[1])?.map_or(0, |s| s.len());
    ctx.out.int(n as i64);
    Ok(())
}

/// XRANGE key start end [COUNT count]. <https://redis.io/commands/xrange/>
fn xrange(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    range_generic(ctx, a, false)
}

/// XREVRANGE key end start [COUNT count]. <https://redis.io/commands/xrevrange/>
fn xrevrange(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    range_generic(ctx, a, true)
}

fn range_generic(ctx: &mut Ctx<'_, '_>, a: &Args<'_>, rev: bool) -> CmdResult {
    let (sa, ea) = if rev { (3, 2) } else { (2, 3) };
    let start = interval_id(a.get(sa), true)?;
    let end = interval_id(a.get(ea), false)?;
    let mut count: Option<usize> = None;
    let mut j = 4;
    while j < a.len() {
        if a.is(j, "count") && j + 1 < a.len() {
            count = Some(a.i64(j + 1)?.max(0) as usize);
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let Some(s) = read(&mut ctx.ks, &a[1])? else {
        ctx.out.array_len(0);
        return Ok(());
    };
    if count == Some(0) {
        ctx.out.null_array();
        return Ok(());
    }
    let n = count.unwrap_or(usize::MAX);
    let found: Vec<(StreamId, &Fields)> = if rev {
        s.range(start, end).rev().take(n).collect()
    } else {
        s.range(start, end).take(n).collect()
    };
    ctx.out.array_len(found.len());
    for (id, f) in found {
        reply_entry(ctx.out, id, f);
    }
    Ok(())
}

/// XDEL key id [id ...]: the number of entries deleted. <https://redis.io/commands/xdel/>
fn xdel(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let key = &a[1];
    if write(&mut ctx.ks, key)?.is_none() {
        ctx.out.int(0);
        return Ok(());
    }
    let ids = a
        .iter()
        .skip(2)
        .map(strict_id)
        .collect::<Result<Vec<_>, _>>()?;
    let n = write(&mut ctx.ks, key)?.map_or(0, |s| s.delete(&ids));
    if n > 0 {
        ctx.ks.touch_dirty(key);
    }
    ctx.out.int(n as i64);
    ctx.notify_if(n > 0, notify::STREAM, "xdel", key);
    Ok(())
}

/// XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]: the number of entries removed.
/// <https://redis.io/commands/xtrim/>
fn xtrim(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let (o, _) = parse_add_or_trim(a, false)?;
    let key = &a[1];
    let n = match (write(&mut ctx.ks, key)?, o.trim) {
        (Some(s), Some(t)) => s.trim(t, o.approx, o.limit),
        _ => 0,
    };
    if n > 0 {
        ctx.ks.touch_dirty(key);
    }
    ctx.out.int(n as i64);
    ctx.notify_if(n > 0, notify::STREAM, "xtrim", key);
    Ok(())
}

/// XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]: OK.
/// <https://redis.io/commands/xsetid/>
fn xsetid(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let id = strict_id(a.get(2))?;
    let mut entries_added: Option<u64> = None;
    let mut max_deleted = StreamId::MIN;
    let mut i = 3;
    while i < a.len() {
        let more = a.len() - 1 - i;
        if a.is(i, "entriesadded") && more > 0 {
            let n = a.i64(i + 1)?;
            if n < 0 {
                return Err(CmdError::err("entries_added must be positive"));
            }
            entries_added = Some(n as u64);
        } else if a.is(i, "maxdeletedid") && more > 0 {
            max_deleted = strict_id(a.get(i + 1))?;
            if id < max_deleted {
                return Err(CmdError::err(
                    "The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
                ));
            }
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
    let key = &a[1];
    let s = write(&mut ctx.ks, key)?.ok_or(CmdError::NoSuchKey)?;
    // Redis 7.0.15 does not compare the id with the current max deleted id.
    if !s.is_empty() {
        if id < s.last_valid_id() {
            return Err(CmdError::err(
                "The ID specified in XSETID is smaller than the target stream top item",
            ));
        }
        if entries_added.is_some_and(|n| (s.len() as u64) > n) {
            return Err(CmdError::err(
                "The entries_added specified in XSETID is smaller than the target stream length",
            ));
        }
    }
    s.last_id = id;
    if let Some(n) = entries_added {
        s.entries_added = n;
    }
    if !max_deleted.is_zero() {
        s.max_deleted = max_deleted;
    }
    ctx.ks.touch_dirty(key);
    ctx.out.ok();
    ctx.notify(notify::STREAM, "xsetid", key);
    Ok(())
}

const S: Command = Command {
    group: "stream",
    acl: acl::STREAM,
    keys: (1, 1, 1),
    ..BASE
};

#[rustfmt::skip]
pub static COMMANDS: &[Command] = &[
    Command { name: "xadd", arity: -5, flags: WRITE | DENYOOM | FAST, since: "5.0.0",
        summary: "Appends a new entry to a stream",
        complexity: "O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.",
        handler: xadd, ..S },
    Command { name: "xlen", arity: 2, flags: READONLY | FAST, since: "5.0.0",
        summary: "Return the number of entries in a stream", complexity: "O(1)", handler: xlen, ..S },
    Command { name: "xrange", arity: -4, flags: READONLY, since: "5.0.0",
        summary: "Return a range of elements in a stream, with IDs matching the specified IDs interval",
        complexity: "O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).",
        handler: xrange, ..S },
    Command { name: "xrevrange", arity: -4, flags: READONLY, since: "5.0.0",
        summary: "Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE",
        complexity: "O(N) with N being the number of elements returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).",
        handler: xrevrange, ..S },
    Command { name: "xdel", arity: -3, flags: WRITE | FAST, since: "5.0.0",
        summary: "Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist.",
        complexity: "O(1) for each single item to delete in the stream, regardless of the stream size.",
        handler: xdel, ..S },
    Command { name: "xtrim", arity: -4, flags: WRITE, since: "5.0.0",
        summary: "Trims the stream to (approximately if '~' is passed) a certain size",
        complexity: "O(N), with N being the number of evicted entries. Constant times are very small however, since entries are organized in macro nodes containing multiple entries that can be released with a single deallocation.",
        handler: xtrim, ..S },
    Command { name: "xsetid", arity: -3, flags: WRITE | DENYOOM | FAST, since: "5.0.0",
        summary: "An internal command for replicating stream values", complexity: "O(1)",
        handler: xsetid, ..S },
    Command { name: "xread", arity: -4, flags: READONLY | BLOCKING, keys: (0, 0, 0), key_find: Some(read::xread_keys), since: "5.0.0",
        summary: "Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block.",
        complexity: "For each stream mentioned: O(N) with N being the number of elements being returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time in order to serve the M clients blocked on the stream getting new data.",
        handler: read::xread, ..S },
    Command { name: "xreadgroup", arity: -7, flags: WRITE | BLOCKING, keys: (0, 0, 0), key_find: Some(read::xreadgroup_keys), since: "5.0.0",
        summary: "Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block.",
        complexity: "For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data.",
        handler: read::xreadgroup, ..S },
    Command { name: "xack", arity: -4, flags: WRITE | FAST, since: "5.0.0",
        summary: "Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL.",
        complexity: "O(1) for each message ID processed.", handler: groups::xack, ..S },
    Command { name: "xpending", arity: -3, flags: READONLY, since: "5.0.0",
        summary: "Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged.",
        complexity: "O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.",
        handler: groups::xpending, ..S },
    Command { name: "xclaim", arity: -6, flags: WRITE | FAST, since: "5.0.0",
        summary: "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer.",
        complexity: "O(log N) with N being the number of messages in the PEL of the consumer group.",
        handler: groups::xclaim, ..S },
    Command { name: "xautoclaim", arity: -6, flags: WRITE | FAST, since: "6.2.0",
        summary: "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer.",
        complexity: "O(1) if COUNT is small.", handler: groups::xautoclaim, ..S },
    Command { name: "xgroup", arity: -2, keys: (0, 0, 0), since: "5.0.0", summary: "A container for consumer groups commands",
        complexity: "Depends on subcommand.", acl: acl::SLOW, subcommands: groups::XGROUP, ..S },
    Command { name: "xinfo", arity: -2, keys: (0, 0, 0), since: "5.0.0", summary: "A container for stream introspection commands",
        complexity: "Depends on subcommand.", acl: acl::SLOW, subcommands: info::XINFO, ..S },
];

/// Rows of subcommands share this base: key at 2, the stream group and ACL category.
const SUB: Command = Command {
    group: "stream",
    acl: acl::STREAM,
    keys: (2, 2, 1),
    ..BASE
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_bounds_move_inwards_when_exclusive() {
        assert_eq!(interval_id(b"(1-1", true), Ok(StreamId::new(1, 2)));
        assert_eq!(interval_id(b"(1-0", false), Ok(StreamId::new(0, u64::MAX)));
        assert_eq!(interval_id(b"5", false), Ok(StreamId::new(5, u64::MAX)));
        assert!(interval_id(b"(0-0", false).is_err());
        assert!(interval_id(b"(-", true).is_err());
    }
}
