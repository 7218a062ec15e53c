//! XINFO STREAM [FULL [COUNT n]] / GROUPS / CONSUMERS / HELP, in Redis 7.0.15's reply shapes
//! (maps: RESP3 maps, RESP2 flat arrays). <https://redis.io/commands/xinfo-stream/>

use super::{read, reply_entry, reply_id, SUB};
use crate::commands::table::{flag::*, Command};
use crate::commands::{Args, CmdError, CmdResult, Ctx};
use crate::keyspace::stream::{Group, Stream, StreamId, INVALID_ENTRIES_READ};
use crate::protocol::Reply;

fn sub_syntax(a: &Args<'_>) -> CmdError {
    CmdError::err(format!(
        "unknown subcommand or wrong number of arguments for '{}'. Try XINFO HELP.",
        a.str(1)
    ))
}

/// The stream at argument 2 or `ERR no such key`.
fn stream<'k>(
    ks: &'k mut crate::keyspace::Locked<'_>,
    a: &Args<'_>,
) -> Result<&'k Stream, CmdError> {
    read(ks, a.get(2))?.ok_or(CmdError::NoSuchKey)
}

fn entries_read(out: &mut Reply, g: &Group) {
    if g.entries_read == INVALID_ENTRIES_READ {
        out.null();
    } else {
        out.int(g.entries_read);
    }
}

fn lag(out: &mut Reply, s: &Stream, g: &Group) {
    match s.lag(g) {
        Some(n) => out.int(n),
        None => out.null(),
    }
}

/// The fields every XINFO STREAM reply starts with.
fn stream_head(out: &mut Reply, s: &Stream) {
    let nodes = s.nodes();
    out.bulk(b"length");
    out.int(s.len() as i64);
    out.bulk(b"radix-tree-keys");
    out.int(nodes as i64);
    out.bulk(b"radix-tree-nodes");
    out.int(nodes as i64 + 1);
    out.bulk(b"last-generated-id");
    reply_id(out, s.last_id);
    out.bulk(b"max-deleted-entry-id");
    reply_id(out, s.max_deleted);
    out.bulk(b"entries-added");
    out.int(s.entries_added as i64);
    out.bulk(b"recorded-first-entry-id");
    reply_id(out, s.first_id);
}

/// XINFO STREAM key [FULL [COUNT count]]. Radix tree figures are modelled (one key per node of
/// 100 entries, one more tree node than keys), not Redis's exact tree.
fn xinfo_stream(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    // Redis looks the key up before it reads the options.
    stream(&mut ctx.ks, a)?;
    let opts = a.len() - 3;
    let mut full = false;
    let mut count: i64 = 10;
    if opts > 0 {
        if (opts != 1 && opts != 3) || !a.is(3, "full") {
            return Err(sub_syntax(a));
        }
        full = true;
        if opts == 3 {
            if !a.is(4, "count") {
                return Err(sub_syntax(a));
            }
            count = a.i64(5)?;
            if count < 0 {
                count = 10;
            }
        }
    }
    let s = stream(&mut ctx.ks, a)?;
    let out = &mut *ctx.out;
    if !full {
        out.map_len(10);
        stream_head(out, s);
        out.bulk(b"groups");
        out.int(s.groups.len() as i64);
        out.bulk(b"first-entry");
        match s.first() {
            Some((id, f)) => reply_entry(out, id, f),
            None => out.null(),
        }
        out.bulk(b"last-entry");
        match s.last() {
            Some((id, f)) => reply_entry(out, id, f),
            None => out.null(),
        }
        return Ok(());
    }
    let take = if count == 0 {
        usize::MAX
    } else {
        count as usize
    };
    out.map_len(9);
    stream_head(out, s);
    out.bulk(b"entries");
    let n = s.len().min(take);
    out.array_len(n);
    for (id, f) in s.range(StreamId::MIN, StreamId::MAX).take(n) {
        reply_entry(out, id, f);
    }
    out.bulk(b"groups");
    out.array_len(s.groups.len());
    for (name, g) in &s.groups {
        out.map_len(7);
        out.bulk(b"name");
        out.bulk(name);
        out.bulk(b"last-delivered-id");
        reply_id(out, g.last_id);
        out.bulk(b"entries-read");
        entries_read(out, g);
        out.bulk(b"lag");
        lag(out, s, g);
        out.bulk(b"pel-count");
        out.int(g.pel.len() as i64);
        out.bulk(b"pending");
        let n = g.pel.len().min(take);
        out.array_len(n);
        for (id, p) in g.pel.iter().take(n) {
            out.array_len(4);
            reply_id(out, *id);
            out.bulk(&p.consumer);
            out.int(p.delivery_time as i64);
            out.int(p.delivery_count as i64);
        }
        out.bulk(b"consumers");
        out.array_len(g.consumers.len());
        for (cname, c) in &g.consumers {
            out.map_len(4);
            out.bulk(b"name");
            out.bulk(cname);
            out.bulk(b"seen-time");
            out.int(c.seen_time as i64);
            out.bulk(b"pel-count");
            out.int(c.pel.len() as i64);
            out.bulk(b"pending");
            let n = c.pel.len().min(take);
            out.array_len(n);
            for id in c.pel.iter().take(n) {
                let (t, cnt) = g
                    .pel
                    .get(id)
                    .map_or((0, 0), |p| (p.delivery_time, p.delivery_count));
                out.array_len(3);
                reply_id(out, *id);
                out.int(t as i64);
                out.int(cnt as i64);
            }
        }
    }
    Ok(())
}

/// XINFO GROUPS key: one map per group (name, consumers, pending, last-delivered-id,
/// entries-read, lag). <https://redis.io/commands/xinfo-groups/>
fn xinfo_groups(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let s = stream(&mut ctx.ks, a)?;
    let out = &mut *ctx.out;
    out.array_len(s.groups.len());
    for (name, g) in &s.groups {
        out.map_len(6);
        out.bulk(b"name");
        out.bulk(name);
        out.bulk(b"consumers");
        out.int(g.consumers.len() as i64);
        out.bulk(b"pending");
        out.int(g.pel.len() as i64);
        out.bulk(b"last-delivered-id");
        reply_id(out, g.last_id);
        out.bulk(b"entries-read");
        entries_read(out, g);
        out.bulk(b"lag");
        lag(out, s, g);
    }
    Ok(())
}

/// XINFO CONSUMERS key group: one map per consumer (name, pending, idle ms).
/// <https://redis.io/commands/xinfo-consumers/>
fn xinfo_consumers(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let now = ctx.now;
    let s = stream(&mut ctx.ks, a)?;
    let Some(g) = s.groups.get(a.get(3)) else {
        return Err(CmdError::Other(format!(
            "NOGROUP No such consumer group '{}' for key name '{}'",
            a.str(3),
            a.str(2)
        )));
    };
    let out = &mut *ctx.out;
    out.array_len(g.consumers.len());
    for (name, c) in &g.consumers {
        out.map_len(3);
        out.bulk(b"name");
        out.bulk(name);
        out.bulk(b"pending");
        out.int(c.pel.len() as i64);
        out.bulk(b"idle");
        out.int(now.saturating_sub(c.seen_time) as i64);
    }
    Ok(())
}

/// XINFO HELP. <https://redis.io/commands/xinfo-help/>
fn xinfo_help(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    crate::commands::server::help(
        ctx,
        "XINFO",
        &[
            "CONSUMERS <key> <groupname>",
            "    Show consumers of <groupname>.",
            "GROUPS <key>",
            "    Show the stream consumer groups.",
            "STREAM <key> [FULL [COUNT <count>]",
            "    Show information about the stream.",
        ],
    );
    Ok(())
}

/// The XINFO subcommand rows.
#[rustfmt::skip]
pub(super) static XINFO: &[Command] = &[
    Command {
        name: "xinfo|consumers",
        arity: 4,
        flags: READONLY,
        since: "5.0.0",
        summary: "List the consumers in a consumer group",
        complexity: "O(1)",
        handler: xinfo_consumers,
        ..SUB
    },
    Command {
        name: "xinfo|groups",
        arity: 3,
        flags: READONLY,
        since: "5.0.0",
        summary: "List the consumer groups of a stream",
        complexity: "O(1)",
        handler: xinfo_groups,
        ..SUB
    },
    Command {
        name: "xinfo|help",
        arity: 2,
        flags: LOADING | STALE,
        keys: (0, 0, 0),
        since: "5.0.0",
        summary: "Show helpful text about the different subcommands",
        complexity: "O(1)",
        handler: xinfo_help,
        ..SUB
    },
    Command {
        name: "xinfo|stream",
        arity: -3,
        flags: READONLY,
        since: "5.0.0",
        summary: "Get information about a stream",
        complexity: "O(1)",
        handler: xinfo_stream,
        ..SUB
    },
];
