//! Transactions: MULTI EXEC DISCARD WATCH UNWATCH, as <https://redis.io/docs/manual/transactions/>
//! and Redis 7.0's `multi.c`.
//!
//! Between MULTI and EXEC, dispatch checks each command (unknown name, arity, NOAUTH, commands
//! flagged `no_multi`) and queues a copy of its arguments; an error while queueing makes EXEC
//! reply `EXECABORT`. EXEC takes every shard lock in ascending order and runs the queue under
//! that one view, so no other client's command runs in between, whatever keys the queue
//! touches, and keyspace-wide commands (DBSIZE, FLUSHDB, KEYS, INFO) see the same locked state.
//! Blocking commands inside EXEC answer at once. Blocked clients woken by a write in the
//! transaction can only run once EXEC has released the locks, so they see its whole effect.
//!
//! WATCH registers the keys with the keyspace's signals (see `keyspace::signal`): any write,
//! expiry (lazy or active) or FLUSH/SWAPDB that touches a watched key sets the client's dirty
//! flag, and EXEC then replies the null array without running anything. A key that expired after
//! WATCH but that nobody has deleted yet is found and deleted by EXEC's own check, which counts
//! as a change, as Redis's `isWatchedKeyExpired` does.

use super::table::{acl, flag::*, Command, BASE};
use super::{execute, Action, Args, CmdError, CmdResult, Ctx};
use crate::server::client::{cflag, Client, MultiState, QueuedCommand};
use std::sync::atomic::Ordering::Relaxed;

/// Whether `cmd` runs at once inside MULTI instead of being queued (Redis's list in
/// `processCommand`).
pub(super) fn runs_in_multi(cmd: &Command) -> bool {
    matches!(
        cmd.name,
        "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
    )
}

/// Queues row `id` with a copy of `args` (one buffer per command).
pub(super) fn queue(client: &mut Client, id: usize, args: &Args<'_>) {
    let total: usize = args.iter().map(<[u8]>::len).sum();
    let mut buf = Vec::with_capacity(total);
    let mut ranges = Vec::with_capacity(args.len());
    for a in args.iter() {
        let start = buf.len();
        buf.extend_from_slice(a);
        ranges.push(start..buf.len());
    }
    let m = client.multi.as_mut().expect("queue() runs inside MULTI");
    m.queued.push(QueuedCommand { id, buf, ranges });
    client.info.multi.store(m.queued.len() as i64, Relaxed);
}

/// MULTI. <https://redis.io/commands/multi/>
fn multi(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    if ctx.client.multi.is_some() {
        return Err(CmdError::err("MULTI calls can not be nested"));
    }
    ctx.client.multi = Some(Box::default());
    ctx.client.info.multi.store(0, Relaxed);
    ctx.client.info.set_flag(cflag::MULTI, true);
    ctx.out.ok();
    Ok(())
}

/// EXEC: the replies of the queued commands as an array; the null array when a watched key
/// changed; `EXECABORT` after a queueing error. <https://redis.io/commands/exec/>
fn exec(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    let Some(m) = ctx.client.multi.take() else {
        return Err(CmdError::err("EXEC without MULTI"));
    };
    ctx.client.discard_multi();
    let srv = ctx.srv;
    let MultiState {
        queued, aborted, ..
    } = *m;
    if aborted {
        ctx.client.unwatch_all(&srv.keyspace);
        return Err(CmdError::Other(
            "EXECABORT Transaction discarded because of previous errors.".into(),
        ));
    }
    let mut ks = srv.keyspace.lock_all_view(ctx.client.db, ctx.now);
    // A watched key that expired since WATCH is deleted here, which marks the watch dirty.
    for (db, key) in &ctx.client.watched {
        ks.db = *db;
        ks.peek(key);
    }
    let dirty = ctx
        .client
        .watch
        .as_ref()
        .is_some_and(|w| w.dirty.load(Relaxed));
    ctx.client.unwatch_all(&srv.keyspace);
    if dirty {
        ctx.out.null_array();
        return Ok(());
    }
    ctx.out.array_len(queued.len());
    ctx.client.in_exec = true;
    let mut action = Action::None;
    for q in &queued {
        let args = Args::new(&q.buf, &q.ranges);
        ks.db = ctx.client.db;
        let (a, back) = execute(srv, ctx.client, ctx.out, q.id, &args, ctx.now, ks);
        ks = back;
        if a != Action::None {
            action = a;
        }
    }
    ctx.client.in_exec = false;
    if std::mem::take(&mut ctx.client.exec_fed) {
        // Still under every shard lock: the fed transaction is contiguous.
        ctx.client.feed_end = srv.keyspace.feed.append(ctx.client.db, &[b"EXEC"]);
    }
    ctx.action = action;
    Ok(())
}

/// DISCARD. <https://redis.io/commands/discard/>
fn discard(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    if ctx.client.multi.is_none() {
        return Err(CmdError::err("DISCARD without MULTI"));
    }
    ctx.client.discard_multi();
    ctx.client.unwatch_all(&ctx.srv.keyspace);
    ctx.out.ok();
    Ok(())
}

/// WATCH key [key ...]. <https://redis.io/commands/watch/>
fn watch(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    if ctx.client.multi.is_some() {
        return Err(CmdError::err("WATCH inside MULTI is not allowed"));
    }
    let state = ctx
        .client
        .watch
        .get_or_insert_with(Default::default)
        .clone();
    let db = ctx.client.db;
    for key in a.iter().skip(1) {
        if ctx
            .client
            .watched
            .iter()
            .any(|(d, k)| *d == db && &k[..] == key)
        {
            continue;
        }
        // An already expired key goes now, so its deletion is not taken for a later change.
        ctx.ks.peek(key);
        ctx.srv.keyspace.signals.watch(db, key, &state);
        ctx.client.watched.push((db, key.into()));
    }
    ctx.out.ok();
    Ok(())
}

/// UNWATCH. <https://redis.io/commands/unwatch/>
fn unwatch(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    ctx.client.unwatch_all(&ctx.srv.keyspace);
    ctx.out.ok();
    Ok(())
}

const T: Command = Command {
    group: "transactions",
    acl: acl::TRANSACTION,
    complexity: "O(1)",
    ..BASE
};

#[rustfmt::skip]
pub static COMMANDS: &[Command] = &[
    Command { name: "multi", arity: 1, flags: NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY, since: "1.2.0",
        summary: "Mark the start of a transaction block", handler: multi, ..T },
    Command { name: "exec", arity: 1, flags: NOSCRIPT | LOADING | STALE | SKIP_SLOWLOG, since: "1.2.0",
        summary: "Execute all commands issued after MULTI", complexity: "Depends on commands in the transaction", handler: exec, ..T },
    Command { name: "discard", arity: 1, flags: NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY, since: "2.0.0",
        summary: "Discard all commands issued after MULTI", complexity: "O(N), when N is the number of queued commands", handler: discard, ..T },
    Command { name: "watch", arity: -2, flags: NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY, keys: (1, -1, 1), since: "2.2.0",
        summary: "Watch the given keys to determine execution of the MULTI/EXEC block", complexity: "O(1) for every key.", handler: watch, ..T },
    Command { name: "unwatch", arity: 1, flags: NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY, since: "2.2.0",
        summary: "Forget about all watched keys", handler: unwatch, ..T },
];
