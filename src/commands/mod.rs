//! Command dispatch: lookup -> subcommand -> arity -> auth -> lock the keys' shards -> handler
//! -> statistics, slow log, MONITOR feed.
//!
//! Handlers are plain functions over a [`Ctx`]: the locked shards (`ctx.ks`), the client's state,
//! the reply buffer and the server's shared state. They never await; what must wait (DEBUG SLEEP)
//! or act on the connection (QUIT, MONITOR, SHUTDOWN) is returned as an [`Action`].

pub mod args;
pub mod error;
pub mod table;

pub mod connection;
pub mod hashes;
pub mod keys;
pub mod lists;
pub mod server;
pub mod sets;
pub mod streams;
pub mod strings;
pub mod zsets;

use crate::keyspace::Locked;
use crate::protocol::Reply;
use crate::server::client::Client;
use crate::server::Shared;
pub use args::Args;
pub use error::{CmdError, CmdResult};
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};
pub use table::{Command, Table};

/// The rows of every command family; the table gathers them.
pub static FAMILIES: &[&[Command]] = &[
    strings::COMMANDS,
    keys::COMMANDS,
    connection::COMMANDS,
    server::COMMANDS,
    lists::COMMANDS,
    hashes::COMMANDS,
    sets::COMMANDS,
    zsets::COMMANDS,
    streams::COMMANDS,
];

/// What the connection must do after a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    None,
    /// Write the pending replies, then close (QUIT).
    Close,
    /// Wait this long before the next command (DEBUG SLEEP).
    Sleep(Duration),
    /// Become a MONITOR client.
    Monitor,
    /// Stop the server (SHUTDOWN), after writing nothing more to this client.
    Shutdown,
    /// RESET: leave MONITOR mode (the client state was reset by the handler).
    Reset,
}

/// Everything a handler may touch.
pub struct Ctx<'a> {
    pub srv: &'a Shared,
    pub client: &'a mut Client,
    pub out: &'a mut Reply,
    /// The shards of the command's keys, locked; database = the client's.
    pub ks: Locked<'a>,
    /// The command's clock, unix ms.
    pub now: u64,
    /// Set by handlers that need the connection to act.
    pub action: Action,
}

/// Executes one command at time `now` (unix ms) and writes its reply to `out`.
pub fn dispatch(
    srv: &Shared,
    client: &mut Client,
    out: &mut Reply,
    args: &Args<'_>,
    now: u64,
) -> Action {
    let table = Table::get();
    let Some(mut id) = table.lookup_id(args.get(0)) else {
        let rest: Vec<&[u8]> = args.iter().skip(1).take(20).collect();
        out.error(&error::unknown_command(args.get(0), &rest));
        srv.stats.error_replies.fetch_add(1, Relaxed);
        return Action::None;
    };
    let mut cmd = table.rows[id];
    // A container runs its own handler only when called alone and its arity allows it (COMMAND).
    let runs_itself = args.len() == 1 && cmd.arity_ok(1);
    if !cmd.subcommands.is_empty() && !runs_itself {
        if args.len() < 2 {
            return reject(srv, out, id, CmdError::WrongArity(cmd.name.into()));
        }
        match table.lookup_sub_id(id, args.get(1)) {
            Some(sub) => {
                id = sub;
                cmd = table.rows[id];
            }
            None => {
                let e = CmdError::UnknownSubcommand {
                    sub: args.str(1),
                    cmd: cmd.name.to_uppercase(),
                };
                return reject(srv, out, id, e);
            }
        }
    }
    if !cmd.arity_ok(args.len()) {
        return reject(srv, out, id, CmdError::WrongArity(cmd.name.into()));
    }
    if !client.authenticated && cmd.flags & table::flag::NO_AUTH == 0 {
        return reject(srv, out, id, CmdError::NoAuth);
    }

    if srv.monitors.load(Relaxed) > 0
        && cmd.flags & (table::flag::ADMIN | table::flag::SKIP_MONITOR) == 0
    {
        srv.feed_monitors(client, args, now);
    }
    client.info.last_cmd.store(id, Relaxed);
    let start = Instant::now();
    let ks = if cmd.has_keys() {
        srv.keyspace
            .lock_keys(cmd.key_positions(args).map(|i| args.get(i)), client.db, now)
    } else {
        Locked::none(&srv.keyspace, client.db, now)
    };
    let mut ctx = Ctx {
        srv,
        client,
        out,
        ks,
        now,
        action: Action::None,
    };
    let res = (cmd.handler)(&mut ctx, args);
    let action = ctx.action;
    drop(ctx);
    let usec = start.elapsed().as_micros() as u64;

    let st = &srv.cmdstats[id];
    st.calls.fetch_add(1, Relaxed);
    st.usec.fetch_add(usec, Relaxed);
    if let Err(e) = res {
        st.failed.fetch_add(1, Relaxed);
        srv.stats.error_replies.fetch_add(1, Relaxed);
        out.error(&e.to_string());
    }
    let slower = srv.limits.slowlog_log_slower_than.load(Relaxed);
    if slower >= 0 && usec >= slower as u64 && cmd.flags & table::flag::SKIP_SLOWLOG == 0 {
        srv.slowlog_push(client, args, now, usec);
    }
    action
}

fn reject(srv: &Shared, out: &mut Reply, id: usize, e: CmdError) -> Action {
    srv.cmdstats[id].rejected.fetch_add(1, Relaxed);
    srv.stats.error_replies.fetch_add(1, Relaxed);
    out.error(&e.to_string());
    Action::None
}

/// Parses an expire amount of `unit_ms` milliseconds per unit (1000 for EX/EXPIRE, 1 for PX)
/// relative to `now` (or absolute when `absolute`); errors as Redis's `getExpireMillisecondsOrReply`.
pub fn parse_expire(
    arg: &[u8],
    unit_ms: u64,
    absolute: bool,
    now: u64,
    cmd: &str,
    allow_nonpositive: bool,
) -> Result<i64, CmdError> {
    let v = crate::util::parse_i64(arg).ok_or(CmdError::NotInteger)?;
    if !allow_nonpositive && v <= 0 {
        return Err(CmdError::InvalidExpire(cmd.into()));
    }
    let ms = v
        .checked_mul(unit_ms as i64)
        .ok_or_else(|| CmdError::InvalidExpire(cmd.into()))?;
    if absolute {
        Ok(ms)
    } else {
        ms.checked_add(now as i64)
            .ok_or_else(|| CmdError::InvalidExpire(cmd.into()))
    }
}
