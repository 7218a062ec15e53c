//! Pub/sub commands: SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE PUBLISH SSUBSCRIBE SUNSUBSCRIBE
//! SPUBLISH and PUBSUB (CHANNELS NUMSUB NUMPAT SHARDCHANNELS SHARDNUMSUB HELP). Replies, counts
//! and errors follow Redis 7.0's `pubsub.c` on a standalone node
//! (<https://redis.io/docs/manual/pubsub/>); the registry is `crate::server::pubsub`.
//!
//! Confirmations are pushes (`>3` in RESP3, `*3` in RESP2): `[subscribe, channel, count]`, where
//! count is the client's channels + patterns (shard channels alone for the S variants).

use super::table::{acl, flag::*, Command, BASE};
use super::{Args, CmdError, CmdResult, Ctx};
use crate::server::pubsub::Kind;

/// The commands a RESP2 client may run while it has subscriptions (Redis's exact list).
pub fn allowed_when_subscribed(name: &str) -> bool {
    matches!(
        name,
        "subscribe"
            | "ssubscribe"
            | "unsubscribe"
            | "sunsubscribe"
            | "psubscribe"
            | "punsubscribe"
            | "ping"
            | "quit"
            | "reset"
    )
}

/// The error a RESP2 subscribed client gets for any other command.
pub fn not_allowed_when_subscribed(name: &str) -> CmdError {
    CmdError::err(format!(
        "Can't execute '{name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
    ))
}

fn confirm(ctx: &mut Ctx<'_, '_>, what: &[u8], name: Option<&[u8]>, count: usize) {
    ctx.out.push_len(3);
    ctx.out.bulk(what);
    ctx.out.bulk_opt(name);
    ctx.out.int(count as i64);
}

fn subscribe_generic(ctx: &mut Ctx<'_, '_>, a: &Args<'_>, k: Kind, what: &[u8]) -> CmdResult {
    for i in 1..a.len() {
        let subs = ctx.client.subs();
        ctx.srv.pubsub.subscribe(subs, k, a.get(i));
        let n = subs.count(k);
        confirm(ctx, what, Some(a.get(i)), n);
    }
    Ok(())
}

fn unsubscribe_generic(ctx: &mut Ctx<'_, '_>, a: &Args<'_>, k: Kind, what: &[u8]) -> CmdResult {
    let names: Vec<Box<[u8]>> = if a.len() > 1 {
        a.iter().skip(1).map(Box::from).collect()
    } else {
        let subs = ctx.client.subs();
        match k {
            Kind::Channel => subs.channels.iter().cloned().collect(),
            Kind::Pattern => subs.patterns.iter().cloned().collect(),
            Kind::Shard => subs.shard.iter().cloned().collect(),
        }
    };
    if names.is_empty() {
        let n = ctx.client.subs().count(k);
        confirm(ctx, what, None, n);
        return Ok(());
    }
    for name in names {
        let subs = ctx.client.subs();
        ctx.srv.pubsub.unsubscribe(subs, k, &name);
        let n = subs.count(k);
        confirm(ctx, what, Some(&name), n);
    }
    Ok(())
}

/// SUBSCRIBE channel [channel ...]. <https://redis.io/commands/subscribe/>
fn subscribe(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    subscribe_generic(ctx, a, Kind::Channel, b"subscribe")
}

/// UNSUBSCRIBE [channel ...]: all channels when none is given. <https://redis.io/commands/unsubscribe/>
fn unsubscribe(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    unsubscribe_generic(ctx, a, Kind::Channel, b"unsubscribe")
}

/// PSUBSCRIBE pattern [pattern ...]. <https://redis.io/commands/psubscribe/>
fn psubscribe(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    subscribe_generic(ctx, a, Kind::Pattern, b"psubscribe")
}

/// PUNSUBSCRIBE [pattern ...]. <https://redis.io/commands/punsubscribe/>
fn punsubscribe(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    unsubscribe_generic(ctx, a, Kind::Pattern, b"punsubscribe")
}

/// SSUBSCRIBE shardchannel [shardchannel ...]. <https://redis.io/commands/ssubscribe/>
fn ssubscribe(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    subscribe_generic(ctx, a, Kind::Shard, b"ssubscribe")
}

/// SUNSUBSCRIBE [shardchannel ...]. <https://redis.io/commands/sunsubscribe/>
fn sunsubscribe(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    unsubscribe_generic(ctx, a, Kind::Shard, b"sunsubscribe")
}

fn publish_generic(ctx: &mut Ctx<'_, '_>, a: &Args<'_>, k: Kind) -> CmdResult {
    let me = Some((ctx.client.id, &mut *ctx.out));
    let n = ctx.srv.pubsub.publish(k, a.get(1), a.get(2), ctx.now, me);
    ctx.out.int(n as i64);
    Ok(())
}

/// PUBLISH channel message: the number of deliveries (channel and pattern subscribers).
/// <https://redis.io/commands/publish/>
fn publish(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    publish_generic(ctx, a, Kind::Channel)
}

/// SPUBLISH shardchannel message. <https://redis.io/commands/spublish/>
fn spublish(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    publish_generic(ctx, a, Kind::Shard)
}

fn channels_generic(ctx: &mut Ctx<'_, '_>, a: &Args<'_>, k: Kind) -> CmdResult {
    if a.len() > 3 {
        return Err(CmdError::err(format!(
            "unknown subcommand or wrong number of arguments for '{}'. Try PUBSUB HELP.",
            a.str(1)
        )));
    }
    let pattern = (a.len() == 3).then(|| a.get(2));
    let names = ctx.srv.pubsub.channels(k, pattern);
    ctx.out.array_len(names.len());
    for n in names {
        ctx.out.bulk(&n);
    }
    Ok(())
}

fn numsub_generic(ctx: &mut Ctx<'_, '_>, a: &Args<'_>, k: Kind) -> CmdResult {
    ctx.out.map_len(a.len() - 2);
    for i in 2..a.len() {
        ctx.out.bulk(a.get(i));
        ctx.out.int(ctx.srv.pubsub.numsub(k, a.get(i)) as i64);
    }
    Ok(())
}

/// PUBSUB CHANNELS [pattern]. <https://redis.io/commands/pubsub-channels/>
fn pubsub_channels(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    channels_generic(ctx, a, Kind::Channel)
}

/// PUBSUB NUMSUB [channel ...]: channel/count pairs (pattern subscribers not counted).
/// <https://redis.io/commands/pubsub-numsub/>
fn pubsub_numsub(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    numsub_generic(ctx, a, Kind::Channel)
}

/// PUBSUB NUMPAT: distinct patterns with subscribers. <https://redis.io/commands/pubsub-numpat/>
fn pubsub_numpat(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    ctx.out.int(ctx.srv.pubsub.count(Kind::Pattern) as i64);
    Ok(())
}

/// PUBSUB SHARDCHANNELS [pattern]. <https://redis.io/commands/pubsub-shardchannels/>
fn pubsub_shardchannels(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    channels_generic(ctx, a, Kind::Shard)
}

/// PUBSUB SHARDNUMSUB [shardchannel ...]. <https://redis.io/commands/pubsub-shardnumsub/>
fn pubsub_shardnumsub(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    numsub_generic(ctx, a, Kind::Shard)
}

/// PUBSUB HELP.
fn pubsub_help(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    super::server::help(
        ctx,
        "PUBSUB",
        &[
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
        ],
    );
    Ok(())
}

const P: Command = Command {
    group: "pubsub",
    flags: PUBSUB | NOSCRIPT | LOADING | STALE,
    ..BASE
};
const SUB: Command = Command {
    arity: -2,
    flags: PUBSUB | LOADING | STALE,
    group: "pubsub",
    ..BASE
};

/// The pub/sub family's rows of the command table.
pub static COMMANDS: &[Command] = &[
    Command {
        name: "subscribe",
        arity: -2,
        since: "2.0.0",
        summary: "Listens for messages published to channels.",
        complexity: "O(N) where N is the number of channels to subscribe to.",
        handler: subscribe,
        ..P
    },
    Command {
        name: "unsubscribe",
        arity: -1,
        since: "2.0.0",
        summary: "Stops listening to messages posted to channels.",
        complexity: "O(N) where N is the number of clients already subscribed to a channel.",
        handler: unsubscribe,
        ..P
    },
    Command {
        name: "psubscribe",
        arity: -2,
        since: "2.0.0",
        summary: "Listens for messages published to channels that match one or more patterns.",
        complexity: "O(N) where N is the number of patterns the client is already subscribed to.",
        handler: psubscribe,
        ..P
    },
    Command {
        name: "punsubscribe",
        arity: -1,
        since: "2.0.0",
        summary: "Stops listening to messages published to channels that match one or more patterns.",
        complexity: "O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client).",
        handler: punsubscribe,
        ..P
    },
    Command {
        name: "ssubscribe",
        arity: -2,
        keys: (1, -1, 1),
        since: "7.0.0",
        summary: "Listens for messages published to shard channels.",
        complexity: "O(N) where N is the number of shard channels to subscribe to.",
        handler: ssubscribe,
        ..P
    },
    Command {
        name: "sunsubscribe",
        arity: -1,
        since: "7.0.0",
        summary: "Stops listening to messages posted to shard channels.",
        complexity: "O(N) where N is the number of clients already subscribed to a shard channel.",
        handler: sunsubscribe,
        ..P
    },
    Command {
        name: "publish",
        arity: 3,
        flags: PUBSUB | LOADING | STALE | FAST,
        since: "2.0.0",
        summary: "Posts a message to a channel.",
        complexity: "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).",
        handler: publish,
        ..P
    },
    Command {
        name: "spublish",
        arity: 3,
        keys: (1, 1, 1),
        flags: PUBSUB | LOADING | STALE | FAST,
        since: "7.0.0",
        summary: "Post a message to a shard channel",
        complexity: "O(N) where N is the number of clients subscribed to the receiving shard channel.",
        handler: spublish,
        ..P
    },
    Command {
        name: "pubsub",
        arity: -2,
        since: "2.8.0",
        summary: "A container for Pub/Sub commands.",
        complexity: "Depends on subcommand.",
        acl: acl::SLOW,
        flags: 0,
        subcommands: &[
            Command {
                name: "pubsub|channels",
                since: "2.8.0",
                summary: "Returns the active channels.",
                complexity: "O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)",
                handler: pubsub_channels,
                ..SUB
            },
            Command {
                name: "pubsub|help",
                arity: 2,
                flags: LOADING | STALE,
                since: "6.2.0",
                summary: "Returns helpful text about the different subcommands.",
                complexity: "O(1)",
                handler: pubsub_help,
                ..SUB
            },
            Command {
                name: "pubsub|numpat",
                arity: 2,
                since: "2.8.0",
                summary: "Returns a count of unique pattern subscriptions.",
                complexity: "O(1)",
                handler: pubsub_numpat,
                ..SUB
            },
            Command {
                name: "pubsub|numsub",
                since: "2.8.0",
                summary: "Returns a count of subscribers to channels.",
                complexity: "O(N) for the NUMSUB subcommand, where N is the number of requested channels",
                handler: pubsub_numsub,
                ..SUB
            },
            Command {
                name: "pubsub|shardchannels",
                since: "7.0.0",
                summary: "Returns the active shard channels.",
                complexity: "O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).",
                handler: pubsub_shardchannels,
                ..SUB
            },
            Command {
                name: "pubsub|shardnumsub",
                since: "7.0.0",
                summary: "Returns the count of subscribers of shard channels.",
                complexity: "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels",
                handler: pubsub_shardnumsub,
                ..SUB
            },
        ],
        ..P
    },
];
