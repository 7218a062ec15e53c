//! Consumer group commands: XGROUP (CREATE SETID DESTROY CREATECONSUMER DELCONSUMER HELP), XACK,
//! XPENDING, XCLAIM, XAUTOCLAIM. Semantics follow redis.io and Redis 7.0's `t_stream.c`.

use super::{interval_id, loose_id, read, reply_entry, reply_id, strict_id, write, SUB};
use crate::commands::table::{flag::*, Command};
use crate::commands::{notify, Args, CmdError, CmdResult, Ctx};
use crate::keyspace::stream::{Group, Stream, StreamId, INVALID_ENTRIES_READ};
use crate::keyspace::Value;

/// A consumer group change to feed in place of the command that made it (XREADGROUP, XCLAIM,
/// XAUTOCLAIM): their effect depends on the clock (delivery times, idle times), so a replay of
/// the command as sent would differ. Redis 7.0's `streamPropagateXCLAIM`,
/// `streamPropagateGroupID` and `streamPropagateConsumerCreation`.
pub(super) enum GroupFeed {
    /// `XCLAIM key group consumer 0 id TIME time RETRYCOUNT count FORCE JUSTID LASTID last`:
    /// the PEL entry of `id` as it now is (or was, before it was dropped because its entry is
    /// gone: the replayed XCLAIM then drops it too).
    Claim {
        id: StreamId,
        consumer: Box<[u8]>,
        time: u64,
        count: u64,
        last_id: StreamId,
    },
    /// `XGROUP SETID key group last ENTRIESREAD n`: the group's last delivered id moved.
    SetId {
        last_id: StreamId,
        entries_read: i64,
    },
    /// `XGROUP CREATECONSUMER key group consumer`: a consumer no fed XCLAIM creates.
    CreateConsumer(Box<[u8]>),
}

impl GroupFeed {
    /// The XCLAIM that recreates `id`'s PEL entry in `g` as it is now; `None` if not pending.
    pub(super) fn claim(g: &Group, id: StreamId) -> Option<GroupFeed> {
        g.pel.get(&id).map(|p| GroupFeed::Claim {
            id,
            consumer: p.consumer.clone(),
            time: p.delivery_time,
            count: p.delivery_count,
            last_id: g.last_id,
        })
    }

    /// The XGROUP SETID that sets `g`'s last id and read counter as they are now.
    pub(super) fn set_id(g: &Group) -> GroupFeed {
        GroupFeed::SetId {
            last_id: g.last_id,
            entries_read: g.entries_read,
        }
    }
}

/// Feeds `feeds` (changes to group `group` of stream `key`), in order.
pub(super) fn propagate_group(
    ctx: &mut Ctx<'_, '_>,
    key: &[u8],
    group: &[u8],
    feeds: &[GroupFeed],
) {
    let mut n1 = itoa::Buffer::new();
    let mut n2 = itoa::Buffer::new();
    for f in feeds {
        match f {
            GroupFeed::Claim {
                id,
                consumer,
                time,
                count,
                last_id,
            } => {
                let (id, last) = (id.to_string(), last_id.to_string());
                ctx.propagate(&[
                    b"XCLAIM",
                    key,
                    group,
                    consumer,
                    b"0",
                    id.as_bytes(),
                    b"TIME",
                    n1.format(*time).as_bytes(),
                    b"RETRYCOUNT",
                    n2.format(*count).as_bytes(),
                    b"FORCE",
                    b"JUSTID",
                    b"LASTID",
                    last.as_bytes(),
                ]);
            }
            GroupFeed::SetId {
                last_id,
                entries_read,
            } => {
                let last = last_id.to_string();
                ctx.propagate(&[
                    b"XGROUP",
                    b"SETID",
                    key,
                    group,
                    last.as_bytes(),
                    b"ENTRIESREAD",
                    n1.format(*entries_read).as_bytes(),
                ]);
            }
            GroupFeed::CreateConsumer(consumer) => {
                ctx.propagate(&[b"XGROUP", b"CREATECONSUMER", key, group, consumer]);
            }
        }
    }
}

/// `ERR unknown subcommand or wrong number of arguments for '<sub>'. Try XGROUP HELP.`
fn sub_syntax(a: &Args<'_>, cmd: &str) -> CmdError {
    CmdError::err(format!(
        "unknown subcommand or wrong number of arguments for '{}'. Try {cmd} HELP.",
        a.str(1)
    ))
}

fn no_group(a: &Args<'_>) -> CmdError {
    CmdError::Other(format!(
        "NOGROUP No such consumer group '{}' for key name '{}'",
        a.str(3),
        a.str(2)
    ))
}

/// `NOGROUP No such key 'k' or consumer group 'g'` (XPENDING, XCLAIM, XAUTOCLAIM).
fn no_key_or_group(a: &Args<'_>) -> CmdError {
    CmdError::Other(format!(
        "NOGROUP No such key '{}' or consumer group '{}'",
        a.str(1),
        a.str(2)
    ))
}

const MISSING_KEY: &str = "The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.";

/// Parses an ENTRIESREAD value: non-negative or -1.
fn entries_read_arg(a: &Args<'_>, i: usize) -> Result<i64, CmdError> {
    let n = a.i64(i)?;
    if n < 0 && n != INVALID_ENTRIES_READ {
        return Err(CmdError::err(
            "value for ENTRIESREAD must be positive or -1",
        ));
    }
    Ok(n)
}

/// The stream at `key` (argument 2) for an XGROUP subcommand that needs it: the missing-key error
/// otherwise.
fn xgroup_stream<'k>(
    ks: &'k mut crate::keyspace::Locked<'_>,
    a: &Args<'_>,
) -> Result<&'k mut Stream, CmdError> {
    write(ks, a.get(2))?.ok_or_else(|| CmdError::err(MISSING_KEY))
}

/// XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD n]: OK, or BUSYGROUP.
/// <https://redis.io/commands/xgroup-create/>
fn xgroup_create(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let mut mkstream = false;
    let mut entries_read = INVALID_ENTRIES_READ;
    let mut i = 5;
    while i < a.len() {
        if a.is(i, "mkstream") {
            mkstream = true;
            i += 1;
        } else if a.is(i, "entriesread") && i + 1 < a.len() {
            entries_read = entries_read_arg(a, i + 1)?;
            i += 2;
        } else {
            return Err(sub_syntax(a, "XGROUP"));
        }
    }
    let key = a.get(2);
    let exists = match write(&mut ctx.ks, key)? {
        Some(_) => true,
        None if mkstream => false,
        None => return Err(CmdError::err(MISSING_KEY)),
    };
    if a.len() > 8 {
        return Err(sub_syntax(a, "XGROUP"));
    }
    let id = if a.get(4) == b"$" {
        write(&mut ctx.ks, key)?.map_or(StreamId::MIN, |s| s.last_id)
    } else {
        strict_id(a.get(4))?
    };
    if !exists {
        ctx.ks.insert(key, Value::Stream(Box::default()), 0);
    }
    let s = xgroup_stream(&mut ctx.ks, a)?;
    if s.groups.contains_key(a.get(3)) {
        return Err(CmdError::Other(
            "BUSYGROUP Consumer Group name already exists".into(),
        ));
    }
    s.groups
        .insert(a.get(3).into(), Group::new(id, entries_read));
    ctx.ks.touch_dirty(key);
    ctx.out.ok();
    ctx.notify(notify::STREAM, "xgroup-create", key);
    Ok(())
}

/// XGROUP SETID key group id|$ [ENTRIESREAD n]: OK. <https://redis.io/commands/xgroup-setid/>
fn xgroup_setid(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let mut entries_read = INVALID_ENTRIES_READ;
    if a.len() == 7 {
        if !a.is(5, "entriesread") {
            return Err(sub_syntax(a, "XGROUP"));
        }
        entries_read = entries_read_arg(a, 6)?;
    } else if a.len() != 5 {
        return Err(sub_syntax(a, "XGROUP"));
    }
    let s = xgroup_stream(&mut ctx.ks, a)?;
    if !s.groups.contains_key(a.get(3)) {
        return Err(no_group(a));
    }
    let id = if a.get(4) == b"$" {
        s.last_id
    } else {
        loose_id(a.get(4), 0)?
    };
    if let Some(g) = s.groups.get_mut(a.get(3)) {
        g.last_id = id;
        g.entries_read = entries_read;
    }
    ctx.ks.touch_dirty(a.get(2));
    ctx.out.ok();
    ctx.notify(notify::STREAM, "xgroup-setid", a.get(2));
    Ok(())
}

/// XGROUP DESTROY key group: 1 if the group existed, else 0.
/// <https://redis.io/commands/xgroup-destroy/>
fn xgroup_destroy(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let s = xgroup_stream(&mut ctx.ks, a)?;
    let gone = s.groups.remove(a.get(3)).is_some();
    if gone {
        ctx.ks.touch_dirty(a.get(2));
    }
    ctx.out.int(gone as i64);
    ctx.notify_if(gone, notify::STREAM, "xgroup-destroy", a.get(2));
    Ok(())
}

/// XGROUP CREATECONSUMER key group consumer: 1 if created, 0 if it existed.
/// <https://redis.io/commands/xgroup-createconsumer/>
fn xgroup_createconsumer(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let now = ctx.now;
    let s = xgroup_stream(&mut ctx.ks, a)?;
    let Some(g) = s.groups.get_mut(a.get(3)) else {
        return Err(no_group(a));
    };
    let created = g.create_consumer(a.get(4), now);
    if created {
        ctx.ks.touch_dirty(a.get(2));
    }
    ctx.out.int(created as i64);
    ctx.notify_if(created, notify::STREAM, "xgroup-createconsumer", a.get(2));
    Ok(())
}

/// XGROUP DELCONSUMER key group consumer: the number of pending entries the consumer had.
/// <https://redis.io/commands/xgroup-delconsumer/>
fn xgroup_delconsumer(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let s = xgroup_stream(&mut ctx.ks, a)?;
    let Some(g) = s.groups.get_mut(a.get(3)) else {
        return Err(no_group(a));
    };
    let existed = g.consumers.contains_key(a.get(4));
    let pending = g.delete_consumer(a.get(4));
    if existed {
        ctx.ks.touch_dirty(a.get(2));
    }
    ctx.out.int(pending as i64);
    ctx.notify_if(existed, notify::STREAM, "xgroup-delconsumer", a.get(2));
    Ok(())
}

/// XGROUP HELP. <https://redis.io/commands/xgroup-help/>
fn xgroup_help(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    crate::commands::server::help(
        ctx,
        "XGROUP",
        &[
            "CREATE <key> <groupname> <id|$> [option]",
            "    Create a new consumer group. Options are:",
            "    * MKSTREAM",
            "      Create the empty stream if it does not exist.",
            "    * ENTRIESREAD entries_read",
            "      Set the group's entries_read counter (internal use).",
            "CREATECONSUMER <key> <groupname> <consumer>",
            "    Create a new consumer in the specified group.",
            "DELCONSUMER <key> <groupname> <consumer>",
            "    Remove the specified consumer.",
            "DESTROY <key> <groupname>",
            "    Remove the specified group.",
            "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
            "    Set the current group ID and entries_read counter.",
        ],
    );
    Ok(())
}

/// XACK key group id [id ...]: the number of ids that were pending and are now acknowledged.
/// <https://redis.io/commands/xack/>
pub(super) fn xack(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let key = a.get(1);
    let has_group = read(&mut ctx.ks, key)?.is_some_and(|s| s.groups.contains_key(a.get(2)));
    if !has_group {
        ctx.out.int(0);
        return Ok(());
    }
    let ids = a
        .iter()
        .skip(3)
        .map(strict_id)
        .collect::<Result<Vec<_>, _>>()?;
    let mut acked = 0;
    if let Some(g) = write(&mut ctx.ks, key)?.and_then(|s| s.groups.get_mut(a.get(2))) {
        for id in ids {
            acked += g.ack(id) as i64;
        }
    }
    if acked > 0 {
        ctx.ks.touch_dirty(key);
    }
    ctx.out.int(acked);
    Ok(())
}

/// XPENDING key group [[IDLE min-idle-time] start end count [consumer]]: the summary
/// `[count, first id, last id, [[consumer, count as bulk], ...]]`, or the entries
/// `[[id, consumer, idle ms, deliveries], ...]`. <https://redis.io/commands/xpending/>
pub(super) fn xpending(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let argc = a.len();
    if argc != 3 && !(6..=9).contains(&argc) {
        return Err(CmdError::Syntax);
    }
    let mut min_idle = 0i64;
    let mut range = None;
    if argc >= 6 {
        let mut at = 3;
        if a.is(3, "idle") {
            min_idle = a.i64(4)?;
            if argc < 8 {
                return Err(CmdError::Syntax);
            }
            at += 2;
        }
        let count = a.i64(at + 2)?.max(0);
        let start = interval_id(a.get(at), true)?;
        let end = interval_id(a.get(at + 1), false)?;
        let consumer = (at + 3 < argc).then(|| a.get(at + 3));
        range = Some((start, end, count, consumer));
    }
    let Some(g) = read(&mut ctx.ks, a.get(1))?.and_then(|s| s.groups.get(a.get(2))) else {
        return Err(no_key_or_group(a));
    };
    let out = &mut *ctx.out;
    let Some((start, end, count, consumer)) = range else {
        out.array_len(4);
        out.int(g.pel.len() as i64);
        let (Some((first, _)), Some((last, _))) = (g.pel.first_key_value(), g.pel.last_key_value())
        else {
            out.null();
            out.null();
            out.null_array();
            return Ok(());
        };
        reply_id(out, *first);
        reply_id(out, *last);
        let owners: Vec<_> = g
            .consumers
            .iter()
            .filter(|(_, c)| !c.pel.is_empty())
            .collect();
        out.array_len(owners.len());
        for (name, c) in owners {
            out.array_len(2);
            out.bulk(name);
            out.bulk_int(c.pel.len() as i64);
        }
        return Ok(());
    };
    // Walk only the range asked for (a BTreeMap range panics on start > end: none then).
    let bounds = (start <= end).then_some(start..=end);
    let ids: Box<dyn Iterator<Item = StreamId> + '_> = match (consumer, bounds) {
        (_, None) => Box::new(std::iter::empty()),
        (Some(name), Some(r)) => match g.consumers.get(name) {
            None => {
                out.array_len(0);
                return Ok(());
            }
            Some(c) => Box::new(c.pel.range(r).copied()),
        },
        (None, Some(r)) => Box::new(g.pel.range(r).map(|(id, _)| *id)),
    };
    let now = ctx.now as i64;
    let rows: Vec<_> = ids
        .filter_map(|id| g.pel.get(&id).map(|p| (id, p)))
        .filter(|(_, p)| min_idle == 0 || now - p.delivery_time as i64 >= min_idle)
        .take(count as usize)
        .collect();
    out.array_len(rows.len());
    for (id, p) in rows {
        out.array_len(4);
        reply_id(out, id);
        out.bulk(&p.consumer);
        out.int((now - p.delivery_time as i64).max(0));
        out.int(p.delivery_count as i64);
    }
    Ok(())
}

/// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-ms]
/// [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID id]: the claimed entries (or ids with JUSTID).
/// Ids whose entry was deleted leave the PEL and are not returned.
/// <https://redis.io/commands/xclaim/>
pub(super) fn xclaim(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let key = a.get(1);
    let gname = a.get(2);
    if !read(&mut ctx.ks, key)?.is_some_and(|s| s.groups.contains_key(gname)) {
        return Err(no_key_or_group(a));
    }
    let min_idle = crate::util::parse_i64(a.get(4))
        .ok_or_else(|| CmdError::err("Invalid min-idle-time argument for XCLAIM"))?
        .max(0);
    let mut j = 5;
    let mut ids = Vec::new();
    while j < a.len() {
        match strict_id(a.get(j)) {
            Ok(id) => ids.push(id),
            Err(_) => break,
        }
        j += 1;
    }
    let now = ctx.now as i64;
    let (mut force, mut justid) = (false, false);
    let mut retry: Option<i64> = None;
    let mut time: Option<i64> = None;
    let mut last_id = StreamId::MIN;
    let opt_int = |i: usize, what: &str| {
        crate::util::parse_i64(a.get(i))
            .ok_or_else(|| CmdError::err(format!("Invalid {what} option argument for XCLAIM")))
    };
    while j < a.len() {
        let more = a.len() - 1 - j;
        if a.is(j, "force") {
            force = true;
        } else if a.is(j, "justid") {
            justid = true;
        } else if a.is(j, "idle") && more > 0 {
            j += 1;
            time = Some(now.saturating_sub(opt_int(j, "IDLE")?));
        } else if a.is(j, "time") && more > 0 {
            j += 1;
            time = Some(opt_int(j, "TIME")?);
        } else if a.is(j, "retrycount") && more > 0 {
            j += 1;
            retry = Some(opt_int(j, "RETRYCOUNT")?);
        } else if a.is(j, "lastid") && more > 0 {
            j += 1;
            last_id = strict_id(a.get(j))?;
        } else {
            return Err(CmdError::err(format!(
                "Unrecognized XCLAIM option '{}'",
                a.str(j)
            )));
        }
        j += 1;
    }
    let time = match time {
        Some(t) if t >= 0 && t <= now => t as u64,
        _ => now as u64,
    };
    let consumer = a.get(3);
    // Fed as one XCLAIM ... TIME RETRYCOUNT FORCE JUSTID LASTID per entry claimed or dropped
    // (the replay's clock would measure idle times differently), as Redis 7.0's xclaimCommand.
    ctx.propagate_none();
    let feeding = ctx.feeding();
    let mut feeds: Vec<GroupFeed> = Vec::new();
    let Some(s) = write(&mut ctx.ks, key)? else {
        return Err(no_key_or_group(a));
    };
    let mut claimed: Vec<StreamId> = Vec::new();
    let mut changed = false;
    let mut created = false;
    let exists: Vec<bool> = ids.iter().map(|id| s.contains(*id)).collect();
    let Some(g) = s.groups.get_mut(gname) else {
        return Err(no_key_or_group(a));
    };
    let moved_last = last_id > g.last_id;
    if moved_last {
        g.last_id = last_id;
        changed = true;
    }
    for (id, exists) in ids.into_iter().zip(exists) {
        if !exists {
            // A pending entry whose stream entry is gone leaves the PEL: fed as the XCLAIM of
            // the PEL entry as it was, which a replay (where the entry is gone too) drops.
            if feeding {
                feeds.extend(GroupFeed::claim(g, id));
            }
            changed |= g.ack(id);
            continue;
        }
        let pending = match g.pel.get(&id) {
            Some(p) => Some(p.delivery_time),
            None if force => None,
            None => continue,
        };
        if let Some(t) = pending {
            if min_idle > 0 && now - (t as i64) < min_idle {
                continue;
            }
        }
        created |= !g.consumers.contains_key(consumer);
        g.consumer_seen(consumer, now as u64);
        let count = match (retry, pending) {
            // A negative RETRYCOUNT counts as not given (Redis's -1 sentinel).
            (Some(n), _) if n >= 0 => Some(n as u64),
            // A NACK made by FORCE starts at one delivery, then counts this one.
            (_, None) => Some(if justid { 1 } else { 2 }),
            (_, Some(_)) if justid => None,
            (_, Some(_)) => g.pel.get(&id).map(|p| p.delivery_count + 1),
        };
        g.assign(id, consumer, time, count);
        if feeding {
            feeds.extend(GroupFeed::claim(g, id));
        }
        claimed.push(id);
        changed = true;
    }
    // A LASTID that moved the group's last id travels in the XCLAIMs; with none, on its own.
    if feeding && moved_last && feeds.is_empty() {
        feeds.push(GroupFeed::set_id(g));
    }
    let s = write(&mut ctx.ks, key)?.ok_or_else(|| no_key_or_group(a))?;
    let out = &mut *ctx.out;
    out.array_len(claimed.len());
    for id in &claimed {
        if justid {
            reply_id(out, *id);
        } else if let Some(f) = s.get(*id) {
            reply_entry(out, *id, f);
        } else {
            out.null();
        }
    }
    if changed {
        ctx.ks.touch_dirty(key);
    }
    propagate_group(ctx, key, gname, &feeds);
    ctx.notify_if(created, notify::STREAM, "xgroup-createconsumer", key);
    Ok(())
}

/// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]:
/// `[next start id, claimed entries (or ids), deleted ids]` (Redis 7.0's three elements).
/// <https://redis.io/commands/xautoclaim/>
pub(super) fn xautoclaim(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let min_idle = crate::util::parse_i64(a.get(4))
        .ok_or_else(|| CmdError::err("Invalid min-idle-time argument for XAUTOCLAIM"))?
        .max(0);
    let start = interval_id(a.get(5), true)?;
    let mut count: i64 = 100;
    let mut justid = false;
    let mut j = 6;
    while j < a.len() {
        let more = a.len() - 1 - j;
        if a.is(j, "count") && more > 0 {
            // Redis: LONG_MAX / max(sizeof(streamID), attempts factor 10).
            let max = i64::MAX / 16;
            count = match crate::util::parse_i64(a.get(j + 1)) {
                Some(n) if (1..=max).contains(&n) => n,
                _ => return Err(CmdError::err("COUNT must be > 0")),
            };
            j += 1;
        } else if a.is(j, "justid") {
            justid = true;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    let key = a.get(1);
    let gname = a.get(2);
    let consumer = a.get(3);
    let now = ctx.now;
    // Fed as one XCLAIM ... TIME RETRYCOUNT FORCE JUSTID LASTID per entry claimed or dropped
    // (idle times measured on a replay's clock would pick other entries), as Redis 7.0's
    // xautoclaimCommand.
    ctx.propagate_none();
    let feeding = ctx.feeding();
    let mut feeds: Vec<GroupFeed> = Vec::new();
    let Some(s) = write(&mut ctx.ks, key)? else {
        return Err(no_key_or_group(a));
    };
    let Some(g) = s.groups.get(gname) else {
        return Err(no_key_or_group(a));
    };
    // Walk the PEL from `start`: at most count * 10 entries examined, count claimed or deleted.
    let mut attempts = count.saturating_mul(10);
    let mut left = count;
    let mut claim = Vec::new();
    let mut deleted = Vec::new();
    let mut next = StreamId::MIN;
    let mut it = g.pel.range(start..);
    loop {
        if attempts == 0 || left == 0 {
            next = it.next().map_or(StreamId::MIN, |(id, _)| *id);
            break;
        }
        attempts -= 1;
        let Some((id, p)) = it.next() else { break };
        if !s.contains(*id) {
            deleted.push(*id);
            left -= 1;
            continue;
        }
        if min_idle > 0 && (now as i64) - (p.delivery_time as i64) < min_idle {
            continue;
        }
        claim.push(*id);
        left -= 1;
    }
    let changed = !claim.is_empty() || !deleted.is_empty();
    let Some(g) = s.groups.get_mut(gname) else {
        return Err(no_key_or_group(a));
    };
    for id in &deleted {
        if feeding {
            feeds.extend(GroupFeed::claim(g, *id));
        }
        g.ack(*id);
    }
    let created = !claim.is_empty() && !g.consumers.contains_key(consumer);
    if !claim.is_empty() {
        g.consumer_seen(consumer, now);
    }
    for id in &claim {
        let count = if justid {
            None
        } else {
            g.pel.get(id).map(|p| p.delivery_count + 1)
        };
        g.assign(*id, consumer, now, count);
        if feeding {
            feeds.extend(GroupFeed::claim(g, *id));
        }
    }
    let out = &mut *ctx.out;
    out.array_len(3);
    reply_id(out, next);
    out.array_len(claim.len());
    for id in &claim {
        if justid {
            reply_id(out, *id);
        } else if let Some(f) = s.get(*id) {
            reply_entry(out, *id, f);
        }
    }
    out.array_len(deleted.len());
    for id in &deleted {
        reply_id(out, *id);
    }
    if changed {
        ctx.ks.touch_dirty(key);
    }
    propagate_group(ctx, key, gname, &feeds);
    ctx.notify_if(created, notify::STREAM, "xgroup-createconsumer", key);
    Ok(())
}

/// The XGROUP subcommand rows.
#[rustfmt::skip]
pub(super) static XGROUP: &[Command] = &[
    Command {
        name: "xgroup|create",
        arity: -5,
        flags: WRITE | DENYOOM,
        since: "5.0.0",
        summary: "Create a consumer group.",
        complexity: "O(1)",
        handler: xgroup_create,
        ..SUB
    },
    Command {
        name: "xgroup|createconsumer",
        arity: 5,
        flags: WRITE | DENYOOM,
        since: "6.2.0",
        summary: "Create a consumer in a consumer group.",
        complexity: "O(1)",
        handler: xgroup_createconsumer,
        ..SUB
    },
    Command {
        name: "xgroup|delconsumer",
        arity: 5,
        flags: WRITE,
        since: "5.0.0",
        summary: "Delete a consumer from a consumer group.",
        complexity: "O(1)",
        handler: xgroup_delconsumer,
        ..SUB
    },
    Command {
        name: "xgroup|destroy",
        arity: 4,
        flags: WRITE,
        since: "5.0.0",
        summary: "Destroy a consumer group.",
        complexity:
            "O(N) where N is the number of entries in the group's pending entries list (PEL).",
        handler: xgroup_destroy,
        ..SUB
    },
    Command {
        name: "xgroup|help",
        arity: 2,
        flags: LOADING | STALE,
        keys: (0, 0, 0),
        since: "5.0.0",
        summary: "Show helpful text about the different subcommands",
        complexity: "O(1)",
        handler: xgroup_help,
        ..SUB
    },
    Command {
        name: "xgroup|setid",
        arity: -5,
        flags: WRITE,
        since: "5.0.0",
        summary: "Set a consumer group to an arbitrary last delivered ID value.",
        complexity: "O(1)",
        handler: xgroup_setid,
        ..SUB
    },
];
