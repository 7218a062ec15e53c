//! XREAD and XREADGROUP: the argument scan shared with the key finder, serving from the stream
//! or from a consumer's pending entries, and BLOCK. Semantics follow redis.io and Redis 7.0's
//! `xreadCommand` in `t_stream.c`.

use super::groups::{propagate_group, GroupFeed};
use super::{read, reply_entry, reply_id, strict_id, write};
use crate::commands::{notify, Args, CmdError, CmdResult, Ctx};
use crate::keyspace::stream::{Stream, StreamId};
use crate::protocol::Reply;
use std::ops::Range;

/// XREAD / XREADGROUP options.
struct ReadArgs {
    /// BLOCK milliseconds (0 = forever).
    block: Option<u64>,
    /// COUNT; 0 = no limit.
    count: usize,
    /// Positions of the group and consumer names.
    group: Option<(usize, usize)>,
    noack: bool,
    /// Positions of the keys; the ids follow them.
    keys: Range<usize>,
}

/// Scans XREAD / XREADGROUP options up to STREAMS, as Redis's `xreadCommand`. The key finder of
/// both table rows runs this same scan, so the keys the handler reads are the ones locked.
fn scan_read(a: &Args<'_>, group_cmd: bool) -> Result<ReadArgs, CmdError> {
    let mut r = ReadArgs {
        block: None,
        count: 0,
        group: None,
        noack: false,
        keys: 0..0,
    };
    let mut i = 1;
    while i < a.len() {
        let more = a.len() - i - 1;
        if a.is(i, "block") && more > 0 {
            i += 1;
            let t = crate::util::parse_i64(a.get(i))
                .ok_or_else(|| CmdError::err("timeout is not an integer or out of range"))?;
            if t < 0 {
                return Err(CmdError::err("timeout is negative"));
            }
            r.block = Some(t as u64);
        } else if a.is(i, "count") && more > 0 {
            i += 1;
            r.count = a.i64(i)?.max(0).try_into().unwrap_or(usize::MAX);
        } else if a.is(i, "streams") && more > 0 {
            let first = i + 1;
            let n = a.len() - first;
            if n % 2 != 0 {
                // Redis 7.0.15 names XREAD and '$' for XREADGROUP too.
                return Err(CmdError::err(
                    "Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
                ));
            }
            r.keys = first..first + n / 2;
            return Ok(r);
        } else if a.is(i, "group") && more >= 2 {
            if !group_cmd {
                return Err(CmdError::err(
                    "The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            r.group = Some((i + 1, i + 2));
            i += 2;
        } else if a.is(i, "noack") {
            if !group_cmd {
                return Err(CmdError::err(
                    "The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            r.noack = true;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    Err(CmdError::Syntax)
}

pub(super) fn xread_keys(a: &Args<'_>) -> Range<usize> {
    scan_read(a, false).map_or(0..0, |r| r.keys)
}

pub(super) fn xreadgroup_keys(a: &Args<'_>) -> Range<usize> {
    scan_read(a, true).map_or(0..0, |r| r.keys)
}

/// Where a read starts in one stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReadFrom {
    /// Entries after this id (XREAD; XREADGROUP's history of the consumer's pending entries).
    After(StreamId),
    /// XREADGROUP `>`: entries never delivered to the group.
    New,
}

/// XREAD [COUNT count] [BLOCK ms] STREAMS key [key ...] id [id ...].
/// <https://redis.io/commands/xread/>
pub(super) fn xread(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    read_generic(ctx, a, false)
}

/// XREADGROUP GROUP group consumer [COUNT count] [BLOCK ms] [NOACK] STREAMS key [key ...]
/// id [id ...]. <https://redis.io/commands/xreadgroup/>
pub(super) fn xreadgroup(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    read_generic(ctx, a, true)
}

fn read_generic(ctx: &mut Ctx<'_, '_>, a: &Args<'_>, group_cmd: bool) -> CmdResult {
    let r = scan_read(a, group_cmd)?;
    if group_cmd && r.group.is_none() {
        return Err(CmdError::err("Missing GROUP option for XREADGROUP"));
    }
    // A re-run after a wake-up reads from where the first run resolved (`$` = the last id then).
    let stashed = ctx.block_data::<Vec<ReadFrom>>().cloned();
    let retry = stashed.is_some();
    let from = match stashed {
        Some(from) => {
            if let Some((g, _)) = r.group {
                group_still_exists(ctx, a, &r, a.get(g))?;
            }
            from
        }
        None => resolve_ids(ctx, a, &r, group_cmd)?,
    };
    if serve(ctx, a, &r, &from, retry)? {
        return Ok(());
    }
    // Nothing to serve now: the one place that decides to block. `from` is kept for the re-runs.
    if retry && ctx.may_block() {
        // Woken but not served: readers behind this one may want what was written.
        let signals = &ctx.srv.keyspace.signals;
        signals.wake_next(
            ctx.client.db,
            r.keys.clone().map(|i| a.get(i)),
            &ctx.client.info.waiter,
        );
    }
    match r.block {
        Some(ms) if ctx.may_block() => {
            let deadline = if ms == 0 {
                0
            } else {
                ctx.now.saturating_add(ms)
            };
            ctx.block(
                r.keys.clone().map(|i| a.get(i)),
                deadline,
                Some(Box::new(from)),
            );
        }
        _ => ctx.out.null_array(),
    }
    Ok(())
}

/// First run: checks every key (type, group) and resolves its id argument, in Redis's order.
fn resolve_ids(
    ctx: &mut Ctx<'_, '_>,
    a: &Args<'_>,
    r: &ReadArgs,
    group_cmd: bool,
) -> Result<Vec<ReadFrom>, CmdError> {
    let nkeys = r.keys.len();
    let mut from = Vec::with_capacity(nkeys);
    for i in 0..nkeys {
        let key = a.get(r.keys.start + i);
        let arg = a.get(r.keys.end + i);
        let s = read(&mut ctx.ks, key)?;
        if let Some((g, _)) = r.group {
            if !s.is_some_and(|s| s.groups.contains_key(a.get(g))) {
                return Err(CmdError::Other(format!(
                    "NOGROUP No such key '{}' or consumer group '{}' in XREADGROUP with GROUP option",
                    String::from_utf8_lossy(key),
                    a.str(g)
                )));
            }
        }
        if arg == b"$" {
            if group_cmd {
                return Err(CmdError::err("The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set."));
            }
            from.push(ReadFrom::After(s.map_or(StreamId::MIN, |s| s.last_id)));
        } else if arg == b">" {
            if !group_cmd {
                return Err(CmdError::err("The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option."));
            }
            from.push(ReadFrom::New);
        } else {
            from.push(ReadFrom::After(strict_id(arg)?));
        }
    }
    Ok(from)
}

/// Re-run of a blocked XREADGROUP: a key that is gone (deleted, expired, overwritten by another
/// type) ends the wait with `UNBLOCKED the stream key no longer exists`, a stream that lost the
/// group with `NOGROUP ...`, as Redis 7.0.15 answers.
fn group_still_exists(
    ctx: &mut Ctx<'_, '_>,
    a: &Args<'_>,
    r: &ReadArgs,
    group: &[u8],
) -> CmdResult {
    for i in r.keys.clone() {
        match read(&mut ctx.ks, a.get(i)) {
            Ok(Some(s)) if s.groups.contains_key(group) => {}
            Ok(Some(_)) => {
                return Err(CmdError::Other(
                    "NOGROUP the consumer group this client was blocked on no longer exists".into(),
                ))
            }
            Ok(None) | Err(_) => {
                return Err(CmdError::Other(
                    "UNBLOCKED the stream key no longer exists".into(),
                ))
            }
        }
    }
    Ok(())
}

/// What one stream serves now: entries after this id, from the stream or (history) from the
/// consumer's pending entries.
#[derive(Clone, Copy)]
struct Plan {
    after: StreamId,
    history: bool,
}

/// Serves every stream that has something for the reader; false (nothing written) when none has.
fn serve(
    ctx: &mut Ctx<'_, '_>,
    a: &Args<'_>,
    r: &ReadArgs,
    from: &[ReadFrom],
    retry: bool,
) -> Result<bool, CmdError> {
    let group = r.group.map(|(g, c)| (a.get(g), a.get(c)));
    let mut plans: Vec<Option<Plan>> = Vec::with_capacity(from.len());
    for (i, f) in from.iter().enumerate() {
        let key = a.get(r.keys.start + i);
        // A re-run skips a key that changed type while it waited, as Redis serves stream keys only.
        let found = match read(&mut ctx.ks, key) {
            Err(_) if retry => None,
            res => res?,
        };
        let plan = match found {
            None => None,
            Some(s) => match (group, *f) {
                (Some(_), ReadFrom::After(id)) => Some(Plan {
                    after: id,
                    history: true,
                }),
                (Some((g, _)), ReadFrom::New) => {
                    let last = s.groups.get(g).map_or(StreamId::MAX, |g| g.last_id);
                    (!s.is_empty() && s.last_valid_id() > last).then_some(Plan {
                        after: last,
                        history: false,
                    })
                }
                (None, ReadFrom::After(id)) => {
                    (!s.is_empty() && s.last_valid_id() > id).then_some(Plan {
                        after: id,
                        history: false,
                    })
                }
                (None, ReadFrom::New) => None,
            },
        };
        plans.push(plan);
    }
    let served = plans.iter().filter(|p| p.is_some()).count();
    if served == 0 {
        return Ok(false);
    }
    let resp3 = ctx.out.resp3();
    if resp3 {
        ctx.out.map_len(served);
    } else {
        ctx.out.array_len(served);
    }
    let now = ctx.now;
    // A group read is fed as the changes it made (XCLAIM per entry delivered, XGROUP SETID when
    // the group's last id moved, XGROUP CREATECONSUMER), never as sent: a replay would stamp
    // other delivery times. As Redis 7.0's streamReplyWithRange / xreadCommand.
    let feeding = ctx.feeding();
    if group.is_some() {
        ctx.propagate_none();
    }
    // Consumers made by this read (by key index): their events go after the whole reply.
    let mut created: Vec<usize> = Vec::new();
    for (i, plan) in plans.iter().enumerate() {
        let Some(plan) = *plan else { continue };
        let key = a.get(r.keys.start + i);
        if !resp3 {
            ctx.out.array_len(2);
        }
        ctx.out.bulk(key);
        let Some(s) = write(&mut ctx.ks, key)? else {
            ctx.out.array_len(0);
            continue;
        };
        let Some(start) = plan.after.next() else {
            ctx.out.array_len(0);
            continue;
        };
        let take = if r.count == 0 { usize::MAX } else { r.count };
        match group {
            None => {
                let found: Vec<_> = s.range(start, StreamId::MAX).take(take).collect();
                ctx.out.array_len(found.len());
                for (id, f) in found {
                    reply_entry(ctx.out, id, f);
                }
            }
            Some((g, c)) => {
                let Some(grp) = s.groups.get_mut(g) else {
                    ctx.out.array_len(0);
                    continue;
                };
                let new_consumer = !grp.consumers.contains_key(c);
                if new_consumer {
                    created.push(i);
                }
                grp.consumer_seen(c, now);
                let mut feeds = Vec::new();
                // Without NOACK the fed XCLAIMs create the consumer; a NOACK read (or a history
                // read, which has nothing to deliver to a new consumer) feeds its creation.
                if feeding && new_consumer && (r.noack || plan.history) {
                    feeds.push(GroupFeed::CreateConsumer(c.into()));
                }
                let feeds_to = feeding.then_some(&mut feeds);
                if plan.history {
                    serve_history(ctx.out, s, g, c, start, take, now, feeds_to);
                } else {
                    serve_new(ctx.out, s, g, c, start, take, now, r.noack, feeds_to);
                }
                ctx.ks.touch_dirty(key);
                propagate_group(ctx, key, g, &feeds);
            }
        }
    }
    for i in created {
        let key = a.get(r.keys.start + i);
        ctx.notify(notify::STREAM, "xgroup-createconsumer", key);
    }
    Ok(true)
}

/// XREADGROUP with an id: the consumer's pending entries from `start`, each delivered once more;
/// a deleted entry shows as `[id, nil]`. Each redelivery (new delivery time and count) goes to
/// `feeds` as its XCLAIM (Redis 7.0 feeds none, and a replay then keeps the older delivery).
#[allow(clippy::too_many_arguments)]
fn serve_history(
    out: &mut Reply,
    s: &mut Stream,
    g: &[u8],
    c: &[u8],
    start: StreamId,
    take: usize,
    now: u64,
    mut feeds: Option<&mut Vec<GroupFeed>>,
) {
    let ids: Vec<StreamId> = s
        .groups
        .get(g)
        .and_then(|grp| grp.consumers.get(c))
        .map(|con| con.pel.range(start..).take(take).copied().collect())
        .unwrap_or_default();
    out.array_len(ids.len());
    for id in ids {
        match s.get(id) {
            Some(f) => {
                reply_entry(out, id, f);
                if let Some(grp) = s.groups.get_mut(g) {
                    if let Some(p) = grp.pel.get_mut(&id) {
                        p.delivery_time = now;
                        p.delivery_count += 1;
                    }
                    if let Some(f) = feeds.as_deref_mut() {
                        f.extend(GroupFeed::claim(grp, id));
                    }
                }
            }
            None => {
                out.array_len(2);
                reply_id(out, id);
                out.null_array();
            }
        }
    }
}

/// XREADGROUP `>`: entries from `start` never delivered to the group; each moves the group's
/// last id and (without NOACK) becomes pending for the consumer. To `feeds`: an XCLAIM per
/// pending entry made, then an XGROUP SETID with the read counter when the last id moved (the
/// XCLAIMs' LASTID does not carry the counter, so a replay would lose it; Redis 7.0 feeds it
/// only with NOACK).
#[allow(clippy::too_many_arguments)]
fn serve_new(
    out: &mut Reply,
    s: &mut Stream,
    g: &[u8],
    c: &[u8],
    start: StreamId,
    take: usize,
    now: u64,
    noack: bool,
    mut feeds: Option<&mut Vec<GroupFeed>>,
) {
    let before = s.groups.get(g).map(|grp| grp.last_id);
    let ids: Vec<StreamId> = s
        .range(start, StreamId::MAX)
        .take(take)
        .map(|(id, _)| id)
        .collect();
    out.array_len(ids.len());
    for id in ids {
        s.advance_group(g, id);
        if let Some(f) = s.get(id) {
            reply_entry(out, id, f);
        }
        if !noack {
            if let Some(grp) = s.groups.get_mut(g) {
                grp.assign(id, c, now, Some(1));
                if let Some(f) = feeds.as_deref_mut() {
                    f.extend(GroupFeed::claim(grp, id));
                }
            }
        }
    }
    if let (Some(f), Some(grp)) = (feeds, s.groups.get(g)) {
        if before != Some(grp.last_id) {
            f.push(GroupFeed::set_id(grp));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::commands::args::word_ranges as args;

    #[test]
    fn read_keys_are_the_first_half_after_streams() {
        let (t, r) = args(&["xread", "COUNT", "2", "STREAMS", "a", "b", "0", "0"]);
        assert_eq!(xread_keys(&Args::new(t.as_bytes(), &r)), 4..6);
        let (t, r) = args(&[
            "xreadgroup",
            "GROUP",
            "streams",
            "streams",
            "STREAMS",
            "k",
            ">",
        ]);
        assert_eq!(xreadgroup_keys(&Args::new(t.as_bytes(), &r)), 5..6);
        let (t, r) = args(&["xread", "STREAMS", "a", "b", "0"]);
        assert_eq!(xread_keys(&Args::new(t.as_bytes(), &r)), 0..0);
    }
}
