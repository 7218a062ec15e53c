//! The primary's side of the replication handshake: REPLCONF, PSYNC and SYNC, as Redis 7.0's
//! `replication.c` (`replconfCommand`, `syncCommand`). The link itself is served by
//! `replication::primary::serve` once PSYNC returns [`Action::Replica`].

use super::table::{acl, flag::*, Command, BASE};
use super::{Action, Args, CmdError, CmdResult, Ctx};
use crate::replication::primary::{self, Handshake, Start};

/// REPLCONF option value ...: `listening-port <port>`, `ip-address <ip>`, `capa <eof|psync2>`
/// (any number of pairs) reply OK; `ack <offset>` and `getack *` are for an established link
/// and get no reply here. Unknown options: `ERR Unrecognized REPLCONF option: <name>`.
/// <https://redis.io/commands/replconf/>
fn replconf(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    if a.len() % 2 == 0 {
        return Err(CmdError::Syntax);
    }
    if a.is(1, "ack") || a.is(1, "getack") {
        // Only meaningful on a replica link (served elsewhere): no reply, as Redis.
        return Ok(());
    }
    let hs = ctx.client.replication.get_or_insert_with(Default::default);
    for i in (1..a.len()).step_by(2) {
        if a.is(i, "listening-port") {
            let port = a.i64(i + 1)?;
            hs.listening_port = u16::try_from(port).map_err(|_| CmdError::NotInteger)?;
        } else if a.is(i, "ip-address") {
            hs.ip = Some(a.str(i + 1));
        } else if a.is(i, "capa") {
            if a.is(i + 1, "eof") {
                hs.capa_eof = true;
            }
        } else if a.is(i, "rdb-only") || a.is(i, "rdb-filter-only") {
            // Accepted; shoal always sends the whole dataset and then the stream.
        } else {
            return Err(CmdError::err(format!(
                "Unrecognized REPLCONF option: {}",
                a.str(i)
            )));
        }
    }
    ctx.out.ok();
    Ok(())
}

/// PSYNC replicationid offset: a partial resync (+CONTINUE) when the backlog can serve it, else
/// a full one (+FULLRESYNC and the RDB). The connection becomes the replica's link.
/// <https://redis.io/commands/psync/>
fn psync(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let offset = crate::util::parse_i64(a.get(2)).unwrap_or(-1);
    let start = primary::decide(ctx.srv, a.get(1), offset);
    if let Start::Full = start {
        if a.get(1) != b"?" {
            ctx.srv
                .replication
                .sync_partial_err
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }
    begin_link(ctx, start);
    Ok(())
}

/// SYNC: the old full synchronization (the RDB as `$<length>`, then the stream).
/// <https://redis.io/commands/sync/>
fn sync(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    begin_link(ctx, Start::Sync);
    Ok(())
}

/// WAIT numreplicas timeout: blocks until `numreplicas` replicas acknowledged every write this
/// client made, or `timeout` milliseconds passed (0 = forever); replies how many did. Inside
/// MULTI it answers at once. <https://redis.io/commands/wait/>
fn wait(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    if ctx.srv.replication.link.is_replica() {
        return Err(CmdError::err(WAIT_ON_REPLICA));
    }
    let want = a.i64(1)?;
    let timeout = crate::util::parse_i64(a.get(2))
        .ok_or_else(|| CmdError::err("timeout is not an integer or out of range"))?;
    if timeout < 0 {
        return Err(CmdError::err("timeout is negative"));
    }
    let offset = ctx.client.woff;
    let replicas = &ctx.srv.replication.replicas;
    let acked = replicas.acked_at_least(offset);
    if ctx.client.in_exec || acked as i64 >= want {
        ctx.out.int(acked as i64);
        return Ok(());
    }
    // Ask the replicas to acknowledge now rather than at their next second.
    ctx.srv
        .keyspace
        .feed
        .append_global(&[b"REPLCONF", b"GETACK", b"*"]);
    ctx.action = Action::WaitReplicas {
        replicas: want.max(0) as usize,
        offset,
        deadline: if timeout == 0 {
            0
        } else {
            ctx.now.saturating_add(timeout as u64)
        },
    };
    Ok(())
}

/// Redis 7.0's reply to WAIT on a replica.
const WAIT_ON_REPLICA: &str = "WAIT cannot be used with replica instances. Please also note that \
     since Redis 4.0 if a replica is configured to be writable (which is not the default) writes \
     to replicas are just local and are not propagated.";

/// REPLICAOF host port | NO ONE (and SLAVEOF): follow that primary, dropping this node's data
/// at the full resync (`+OK`; `+OK Already connected to specified master` when it is the one
/// followed already), or stop following and become a primary. A replica's own link may not
/// (`ERR Command is not valid when client is a replica.`); a bad port is `ERR value is not an
/// integer or out of range`. As Redis 7.0's `replicaofCommand`.
/// <https://redis.io/commands/replicaof/>
fn replicaof(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let srv = ctx.srv;
    if a.is(1, "no") && a.is(2, "one") {
        if srv.replication.link.is_replica() {
            crate::replication::replica::unset_master(srv);
            tracing::info!(
                "MASTER MODE enabled (user request from '{}')",
                ctx.client.info.addr
            );
        }
        ctx.out.ok();
        return Ok(());
    }
    if ctx
        .client
        .info
        .has_flag(crate::server::client::cflag::REPLICA)
    {
        return Err(CmdError::err(
            "Command is not valid when client is a replica.",
        ));
    }
    let port = a.i64(2)?;
    let host = a.str(1);
    let same = srv
        .replication
        .link
        .master
        .lock()
        .as_ref()
        .is_some_and(|(h, p)| h.eq_ignore_ascii_case(&host) && *p as i64 == port);
    if same {
        ctx.out.simple("OK Already connected to specified master");
        return Ok(());
    }
    // Redis keeps any long as the port and fails at connect time; a u16 is what can connect.
    let port = u16::try_from(port).map_err(|_| CmdError::NotInteger)?;
    let Some(me) = srv.me() else {
        return Err(CmdError::err("the server is shutting down"));
    };
    crate::replication::replica::set_master(&me, host.clone(), port, true);
    tracing::info!(
        "REPLICAOF {host}:{port} enabled (user request from '{}')",
        ctx.client.info.addr
    );
    ctx.out.ok();
    Ok(())
}

fn begin_link(ctx: &mut Ctx<'_, '_>, start: Start) {
    let hs = ctx
        .client
        .replication
        .get_or_insert_with(|| Box::new(Handshake::default()));
    hs.start = Some(start);
    ctx.action = Action::Replica;
}

const R: Command = Command {
    group: "server",
    acl: acl::ADMIN | acl::SLOW | acl::DANGEROUS,
    complexity: "O(1)",
    ..BASE
};

#[rustfmt::skip]
pub static COMMANDS: &[Command] = &[
    Command { name: "replconf", arity: -1, flags: ADMIN | NOSCRIPT | LOADING | STALE | ALLOW_BUSY, since: "3.0.0",
        summary: "An internal command for configuring the replication stream", handler: replconf, ..R },
    Command { name: "psync", arity: -3, flags: ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI, since: "2.8.0",
        summary: "Internal command used for replication", handler: psync, ..R },
    Command { name: "wait", arity: 3, flags: NOSCRIPT, group: "generic", acl: acl::SLOW | acl::CONNECTION, since: "3.0.0",
        summary: "Wait for the synchronous replication of all the write commands sent in the context of the current connection",
        complexity: "O(1)", handler: wait, ..R },
    Command { name: "replicaof", arity: 3, flags: ADMIN | NOSCRIPT | STALE | NO_ASYNC_LOADING, since: "5.0.0",
        summary: "Make the server a replica of another instance, or promote it as master.",
        complexity: "O(1)", handler: replicaof, ..R },
    Command { name: "slaveof", arity: 3, flags: ADMIN | NOSCRIPT | STALE | NO_ASYNC_LOADING, since: "1.0.0",
        summary: "Make the server a replica of another instance, or promote it as master.",
        complexity: "O(1)", handler: replicaof, ..R },
    Command { name: "sync", arity: 1, flags: ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI, since: "1.0.0",
        summary: "Internal command used for replication", handler: sync, ..R },
];
