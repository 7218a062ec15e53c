//! Command dispatch: lookup -> subcommand -> arity -> auth -> lock the keys' shards -> handler
//! -> statistics, slow log, MONITOR feed.
//!
//! Handlers are plain functions over a [`Ctx`]: the locked shards (`ctx.ks`), the client's state,
//! the reply buffer and the server's shared state. They never await; what must wait (DEBUG SLEEP)
//! or act on the connection (QUIT, MONITOR, SHUTDOWN) is returned as an [`Action`].

pub mod args;
pub mod error;
pub mod table;

pub mod cluster;
pub mod connection;
pub mod cursor;
pub mod dump;
pub mod hashes;
pub mod keys;
pub mod lists;
pub mod memory;
pub mod migrate;
pub mod pubsub;
pub mod replication;
pub mod server;
pub mod sets;
pub mod sort;
pub mod streams;
pub mod strings;
pub mod transactions;
pub mod zsets;

use crate::keyspace::Locked;
use crate::protocol::Reply;
use crate::server::client::{self, Client};
pub use crate::server::notify;
use crate::server::Shared;
pub use args::Args;
pub use error::{CmdError, CmdResult};
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
pub use table::{Command, Table};

/// The rows of every command family; the table gathers them.
pub static FAMILIES: &[&[Command]] = &[
    strings::COMMANDS,
    keys::COMMANDS,
    connection::COMMANDS,
    server::COMMANDS,
    lists::COMMANDS,
    memory::COMMANDS,
    hashes::COMMANDS,
    sets::COMMANDS,
    zsets::COMMANDS,
    streams::COMMANDS,
    transactions::COMMANDS,
    pubsub::COMMANDS,
    sort::COMMANDS,
    dump::COMMANDS,
    migrate::COMMANDS,
    replication::COMMANDS,
    cluster::COMMANDS,
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
    /// The command blocked (see [`Ctx::block`]): wait, then run it again.
    Block,
    /// PSYNC/SYNC: the connection becomes a replica's link (`replication::primary::serve`).
    Replica,
    /// A CLUSTER command's consensus work (`client.cluster_op`): await it, then reply.
    Cluster,
    /// The command waits (a manual failover paused writes): run it again shortly.
    Retry,
    /// WAIT: wait until `replicas` replicas acknowledged `offset` or `deadline` (unix ms, 0 =
    /// none) passes, then reply how many did.
    WaitReplicas {
        replicas: usize,
        offset: u64,
        deadline: u64,
    },
}

/// Everything a handler may touch. `'a` is the command's borrow of the connection's state,
/// `'k` the lifetime of the shard locks (EXEC keeps one view across its queued commands).
pub struct Ctx<'a, 'k> {
    pub srv: &'a Shared,
    pub client: &'a mut Client,
    pub out: &'a mut Reply,
    /// The shards of the command's keys, locked; database = the client's.
    pub ks: Locked<'k>,
    /// The command's clock, unix ms.
    pub now: u64,
    /// Set by handlers that need the connection to act.
    pub action: Action,
    /// The handler fed its own commands ([`Ctx::propagate`]), so dispatch does not feed the
    /// command as sent.
    pub propagated: bool,
}

impl Ctx<'_, '_> {
    /// Whether this run is a re-run of a blocked command (its keys may have changed type since:
    /// blocking handlers then skip keys of the wrong type, as Redis serves only ready keys).
    pub fn is_retry(&self) -> bool {
        self.client.block.is_some()
    }

    /// Whether this command may block: not inside EXEC (where blocking commands answer at
    /// once, as Redis's do) and not once its wait ended (`timed_out`).
    pub fn may_block(&self) -> bool {
        !self.client.in_exec
            && !self.client.replaying
            && !self.client.block.as_ref().is_some_and(|b| b.timed_out)
    }

    /// Feeds `args` to the AOF (and replicas) as the command that redoes this one's write,
    /// instead of the command as sent; call it while the shard locks are held (inside the
    /// handler), once per command to feed. For writes whose replay would differ: relative
    /// times (EXPIRE -> PEXPIREAT), randomness (SPOP -> SREM), blocking (BLPOP -> LPOP),
    /// generated ids (XADD * -> XADD id), as Redis's `alsoPropagate` / `rewriteClientCommandVector`.
    /// Inside EXEC the first fed command is preceded by MULTI (EXEC follows the last).
    pub fn propagate(&mut self, args: &[&[u8]]) {
        self.propagated = true;
        let feed = &self.srv.keyspace.feed;
        if !feed.is_on() {
            return;
        }
        let db = self.client.db;
        if self.client.in_exec && !self.client.exec_fed {
            feed.append(db, &[b"MULTI"]);
            self.client.exec_fed = true;
        }
        self.client.feed_end = feed.append(db, args);
        self.client.woff = self.client.feed_end;
    }

    /// Feeds `PEXPIREAT key at_ms` (unix ms): the absolute form of every relative expiry.
    pub fn propagate_pexpireat(&mut self, key: &[u8], at_ms: u64) {
        let mut n = itoa::Buffer::new();
        self.propagate(&[b"PEXPIREAT", key, n.format(at_ms).as_bytes()]);
    }

    /// Feeds nothing for this command even though it wrote.
    pub fn propagate_none(&mut self) {
        self.propagated = true;
    }

    /// Whether writes are being fed (an AOF or a replica consumes them): handlers that build
    /// a rewritten command check this first, so building costs nothing otherwise.
    #[inline]
    pub fn feeding(&self) -> bool {
        self.srv.keyspace.feed.is_on()
    }

    /// Blocks the client on `keys` until `deadline` (unix ms, 0 = forever), keeping `data` for
    /// the re-runs. Call it only when [`Ctx::may_block`] and with nothing written to the reply.
    /// The client is queued on the keys here, under the command's shard locks, so a write that
    /// follows cannot miss it. On a re-run the first run's deadline, keys and data stay.
    pub fn block<'k>(
        &mut self,
        keys: impl Iterator<Item = &'k [u8]>,
        deadline: u64,
        data: Option<Box<dyn std::any::Any + Send + Sync>>,
    ) {
        self.action = Action::Block;
        if self.client.block.is_some() {
            return;
        }
        let keys: Vec<Box<[u8]>> = keys.map(Box::from).collect();
        let db = self.client.db;
        let signals = &self.srv.keyspace.signals;
        signals.block(db, keys.iter().map(|k| &k[..]), &self.client.info.waiter);
        signals.blocked_clients.fetch_add(1, Relaxed);
        self.client.info.set_flag(client::cflag::BLOCKED, true);
        self.client.block = Some(Box::new(client::BlockState {
            db,
            keys,
            deadline,
            retry: false,
            timed_out: false,
            data,
            unblocked_error: false,
        }));
    }

    /// The data stored by the first run's [`Ctx::block`], on a re-run.
    pub fn block_data<T: 'static>(&self) -> Option<&T> {
        self.client.block.as_ref()?.data.as_ref()?.downcast_ref()
    }

    /// Raises keyspace event `event` of class `class` (`crate::server::notify` bits) on `key` in
    /// the current database, as Redis's `notifyKeyspaceEvent`. One relaxed load when
    /// notifications are off. <https://redis.io/docs/manual/keyspace-notifications/>
    #[inline]
    pub fn notify(&mut self, class: u32, event: &str, key: &[u8]) {
        if self.srv.limits.notify_flags.load(Relaxed) & class != 0 {
            let me = Some((self.client.id, &mut *self.out));
            self.srv.notify_keyspace(class, event, key, self.ks.db, me);
        }
    }

    /// Raises the event only when `cond` holds (e.g. something was removed).
    #[inline]
    pub fn notify_if(&mut self, cond: bool, class: u32, event: &str, key: &[u8]) {
        if cond {
            self.notify(class, event, key);
        }
    }

    /// After a *STORE command (`cmd`, its name as sent) wrote `stored` entries to `key` of class
    /// `class`: the command's own event (`zunionstore`, ...), or `del` when the empty result
    /// deleted a key that `existed`, as Redis does.
    pub fn notify_store(
        &mut self,
        class: u32,
        stored: usize,
        existed: bool,
        cmd: &[u8],
        key: &[u8],
    ) {
        if self.srv.limits.notify_flags.load(Relaxed) == 0 {
            return;
        }
        if stored > 0 {
            let ev = String::from_utf8_lossy(cmd).to_ascii_lowercase();
            self.notify(class, &ev, key);
        } else if existed {
            self.notify(notify::GENERIC, "del", key);
        }
    }

    /// Raises `del` on `key` when a command `emptied` its collection (Redis deletes empty
    /// collections and says so with a generic `del` event).
    #[inline]
    pub fn notify_emptied(&mut self, emptied: bool, key: &[u8]) {
        if emptied {
            self.notify(notify::GENERIC, "del", key);
        }
    }
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
        flag_transaction(client);
        return Action::None;
    };
    let mut cmd = table.rows[id];
    // A container runs its own handler only when called alone and its arity allows it (COMMAND).
    let runs_itself = args.len() == 1 && cmd.arity_ok(1);
    if !cmd.subcommands.is_empty() && !runs_itself {
        if args.len() < 2 {
            return reject(srv, client, out, id, CmdError::WrongArity(cmd.name.into()));
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
                return reject(srv, client, out, id, e);
            }
        }
    }
    if !cmd.arity_ok(args.len()) {
        return reject(srv, client, out, id, CmdError::WrongArity(cmd.name.into()));
    }
    if !client.authenticated && cmd.flags & table::flag::NO_AUTH == 0 {
        return reject(srv, client, out, id, CmdError::NoAuth);
    }
    // Redirections come first, as in Redis's processCommand: a replica answers a write with
    // -MOVED to its primary, not -READONLY.
    let mut route = crate::cluster::Route::Local;
    if srv.cluster.enabled && !client.replaying {
        match cluster_route(srv, client, cmd, args, now) {
            Ok(r) => route = r,
            Err(ClusterRefusal::Error(e)) => {
                if cmd.name == "exec" {
                    client.discard_multi_and_unwatch(&srv.keyspace);
                }
                return reject(srv, client, out, id, e);
            }
            Err(ClusterRefusal::Paused) => return Action::Retry,
        }
    }
    // maxmemory: evict first; when nothing more can go, refuse what would use memory (Redis's
    // processCommand: deny-OOM commands, anything queued in MULTI, an EXEC of such commands).
    if srv.keyspace.evict.maxmemory.load(Relaxed) != 0 && !client.replaying {
        let out_of_memory = srv.perform_evictions(Some((client.id, &mut *out)), now)
            == crate::keyspace::evict::Outcome::Fail;
        if out_of_memory && refused_on_oom(table, client, cmd) {
            if cmd.name == "exec" {
                client.discard_multi_and_unwatch(&srv.keyspace);
            }
            let e = CmdError::Other(crate::server::maxmemory::OOM.into());
            return reject(srv, client, out, id, e);
        }
    }
    if srv.replication.link.is_replica() && !client.replaying {
        if cmd.flags & table::flag::WRITE != 0 && srv.limits.replica_read_only.load(Relaxed) {
            // A failover may have given the slot away since it was routed above (this node
            // became a replica meanwhile): redirect to the slot's new owner, as Redis would.
            if srv.cluster.enabled && cmd.has_keys() {
                let reads_down = srv.limits.cluster_allow_reads_when_down.load(Relaxed);
                if let Err(e) = srv
                    .cluster
                    .route(cmd, args, false, client.readonly, reads_down)
                {
                    return reject(srv, client, out, id, e);
                }
            }
            return reject(srv, client, out, id, CmdError::Other(READONLY.into()));
        }
        if cmd.flags & table::flag::STALE == 0
            && !srv.replication.link.up.load(Relaxed)
            && !srv.limits.replica_serve_stale_data.load(Relaxed)
        {
            return reject(srv, client, out, id, CmdError::Other(MASTERDOWN.into()));
        }
    }
    // The AOF loader and the primary's stream are obeyed whatever this node's state (Redis's
    // `mustObeyClient`): their writes already happened.
    let obey = client.replaying;
    if cmd.flags & table::flag::WRITE != 0
        && !obey
        && srv.persistence.last_bgsave_failed.load(Relaxed)
        && crate::persistence::save::writes_refused(srv)
    {
        return reject(srv, client, out, id, CmdError::Other(MISCONF.into()));
    }
    if cmd.flags & table::flag::WRITE != 0
        && !obey
        && srv.limits.min_replicas.load(Relaxed) > 0
        && !srv.replication.link.is_replica()
        && !crate::replication::primary::enough_good_replicas(srv)
    {
        let e = CmdError::Other("NOREPLICAS Not enough good replicas to write.".into());
        return reject(srv, client, out, id, e);
    }
    if cmd.flags & table::flag::WRITE != 0 && !obey && srv.aof.write_failed() {
        let e = format!(
            "MISCONF Errors writing to the AOF file: {}",
            srv.aof.write_error()
        );
        return reject(srv, client, out, id, CmdError::Other(e));
    }
    if client.pubsub.is_some()
        && client.subscriptions() > 0
        && out.proto == 2
        && !pubsub::allowed_when_subscribed(cmd.name)
    {
        return reject(
            srv,
            client,
            out,
            id,
            pubsub::not_allowed_when_subscribed(cmd.name),
        );
    }
    if client.multi.is_some() {
        if cmd.flags & table::flag::NO_MULTI != 0 {
            let e = CmdError::err("Command not allowed inside a transaction");
            return reject(srv, client, out, id, e);
        }
        if !transactions::runs_in_multi(cmd) {
            transactions::queue(client, id, args);
            out.simple("QUEUED");
            return Action::None;
        }
    }

    let retry = client.block.as_ref().is_some_and(|b| b.retry);
    if !retry
        && srv.monitors.load(Relaxed) > 0
        && cmd.flags & (table::flag::ADMIN | table::flag::SKIP_MONITOR) == 0
    {
        srv.feed_monitors(client, args, now);
    }
    let mut ks = lock_for(srv, cmd, args, client.db, now);
    if route != crate::cluster::Route::Local {
        if let Err(e) = check_open_slot(&mut ks, cmd, args, &route) {
            drop(ks);
            return reject(srv, client, out, id, e);
        }
    }
    execute(srv, client, out, id, args, now, ks).0
}

/// Whether `cmd` is refused while memory is over `maxmemory` and nothing can be evicted: a
/// deny-OOM command, an EXEC whose queue holds one, or any command queued inside MULTI other
/// than EXEC, DISCARD, QUIT and RESET (queueing itself takes memory).
fn refused_on_oom(table: &Table, client: &Client, cmd: &Command) -> bool {
    if cmd.flags & table::flag::DENYOOM != 0 {
        return true;
    }
    let Some(m) = client.multi.as_ref() else {
        return false;
    };
    match cmd.name {
        "exec" => m
            .queued
            .iter()
            .any(|q| table.rows[q.id].flags & table::flag::DENYOOM != 0),
        "discard" | "quit" | "reset" => false,
        _ => true,
    }
}

/// Why cluster routing did not let a command run.
enum ClusterRefusal {
    Error(CmdError),
    /// A write while a manual failover pauses writes.
    Paused,
}

/// Cluster mode's checks of a command before it runs or is queued (Redis's `processCommand`
/// calling `getNodeByQuery`): the slot of its keys, redirections, transactions kept to one
/// slot, the write pause of a manual failover. Clears the ASKING flag, which lasts one command.
fn cluster_route(
    srv: &Shared,
    client: &mut Client,
    cmd: &Command,
    args: &Args<'_>,
    now: u64,
) -> Result<crate::cluster::Route, ClusterRefusal> {
    let asking = std::mem::take(&mut client.asking) || cmd.flags & table::flag::ASKING != 0;
    let reads_down = srv.limits.cluster_allow_reads_when_down.load(Relaxed);
    let write = cmd.flags & table::flag::WRITE != 0;
    if write && srv.cluster.writes_paused_until.load(Relaxed) > now {
        client.asking = asking && cmd.flags & table::flag::ASKING == 0;
        return Err(ClusterRefusal::Paused);
    }
    if cmd.name == "exec" {
        let Some(m) = client.multi.as_ref() else {
            return Ok(crate::cluster::Route::Local);
        };
        if m.cross_slot {
            return Err(ClusterRefusal::Error(CmdError::Other(
                crate::cluster::CROSSSLOT.into(),
            )));
        }
        return match m.slot {
            Some(s) => srv
                .cluster
                .route_slot(s, m.write, asking, client.readonly, reads_down)
                .map_err(ClusterRefusal::Error),
            None => Ok(crate::cluster::Route::Local),
        };
    }
    if !cmd.has_keys() {
        return Ok(crate::cluster::Route::Local);
    }
    let (route, slot) = srv
        .cluster
        .route(cmd, args, asking, client.readonly, reads_down)
        .map_err(ClusterRefusal::Error)?;
    if let (Some(m), Some(s)) = (client.multi.as_mut(), slot) {
        if m.slot.is_some_and(|x| x != s) {
            m.cross_slot = true;
        }
        m.slot = Some(s);
        m.write |= write;
    }
    Ok(route)
}

/// For a slot being migrated or imported, under the keys' locks: a command whose keys are all
/// gone from a migrating slot is sent after them (`-ASK slot ip:port`); some gone and some
/// here, or several keys not all here on the importing side: `-TRYAGAIN` (cluster spec,
/// "Multi-keys operations"). MIGRATE itself always runs here.
fn check_open_slot(
    ks: &mut Locked<'_>,
    cmd: &Command,
    args: &Args<'_>,
    route: &crate::cluster::Route,
) -> Result<(), CmdError> {
    if cmd.name == "migrate" {
        return Ok(());
    }
    let (mut missing, mut present) = (0, 0);
    for i in cmd.key_positions(args) {
        if ks.exists(args.get(i)) {
            present += 1;
        } else {
            missing += 1;
        }
    }
    match route {
        crate::cluster::Route::Migrating { slot, to } if missing > 0 => {
            if present > 0 {
                Err(CmdError::Other(crate::cluster::TRYAGAIN.into()))
            } else {
                Err(CmdError::Other(format!("ASK {slot} {to}")))
            }
        }
        crate::cluster::Route::Importing if missing > 0 && missing + present > 1 => {
            Err(CmdError::Other(crate::cluster::TRYAGAIN.into()))
        }
        _ => Ok(()),
    }
}

/// What [`request_keys`] finds in a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Named<'a> {
    /// A key; `value` when the command reads its string value whole or overwrites it (the
    /// row's `warm_value`).
    Key { key: &'a [u8], value: bool },
    /// An element of the (single) key's collection: a hash field, a set or sorted-set member.
    Elem(&'a [u8]),
}

/// Calls `f` with each key request `args` names, for warming the cache ahead of it (see the
/// connection's prefetch window), then with each element of the key's collection it names
/// (the row's `elems`): none for an unknown command, a container (its subcommand decides), or
/// a command that locks every shard. No check of arity or permissions: nothing runs here.
pub fn request_keys<'a>(args: &Args<'a>, mut f: impl FnMut(Named<'a>)) {
    let Some(cmd) = Table::get().lookup(args.get(0)) else {
        return;
    };
    if !cmd.subcommands.is_empty() || cmd.flags & table::flag::LOCK_ALL != 0 {
        return;
    }
    let value = cmd.warm_value;
    match cmd.single_key(args) {
        Some(key) => f(Named::Key { key, value }),
        None => cmd.key_positions(args).for_each(|i| {
            f(Named::Key {
                key: args.get(i),
                value,
            })
        }),
    }
    let (first, step) = cmd.elems;
    if first > 0 && step > 0 {
        (first as usize..args.len())
            .step_by(step as usize)
            .for_each(|i| f(Named::Elem(args.get(i))));
    }
}

/// The shard locks command `cmd` needs for `args`.
fn lock_for<'k>(
    srv: &'k Shared,
    cmd: &Command,
    args: &Args<'_>,
    db: usize,
    now: u64,
) -> Locked<'k> {
    if cmd.flags & table::flag::LOCK_ALL != 0 {
        srv.keyspace.lock_all_view(db, now)
    } else if let Some(key) = cmd.single_key(args) {
        srv.keyspace.lock_key(key, db, now)
    } else if cmd.has_keys() {
        srv.keyspace
            .lock_keys(cmd.key_positions(args).map(|i| args.get(i)), db, now)
    } else {
        Locked::none(&srv.keyspace, db, now)
    }
}

/// Runs row `id`'s handler under `ks` and keeps its statistics; returns the view for the next
/// command of a transaction.
fn execute<'k>(
    srv: &Shared,
    client: &mut Client,
    out: &mut Reply,
    id: usize,
    args: &Args<'_>,
    now: u64,
    ks: Locked<'k>,
) -> (Action, Locked<'k>) {
    let cmd = Table::get().rows[id];
    let retry = client.block.as_ref().is_some_and(|b| b.retry);
    client.info.last_cmd.store(id, Relaxed);
    // Before the command runs, so an INFO commandstats sees the commands before it.
    pend_stats_of(srv, client, id);
    let start = match std::mem::take(&mut client.clock_us) {
        0 => crate::clock::now_us(),
        t => t,
    };
    let writes = ks.writes;
    let mut ctx = Ctx {
        srv,
        client,
        out,
        ks,
        now,
        action: Action::None,
        propagated: false,
    };
    let res = (cmd.handler)(&mut ctx, args);
    if ctx.ks.writes != writes
        && !ctx.propagated
        && cmd.flags & table::flag::WRITE != 0
        && srv.keyspace.feed.is_on()
    {
        let v: smallvec::SmallVec<[&[u8]; 8]> = args.iter().collect();
        ctx.propagate(&v);
    }
    let Ctx {
        action,
        ks,
        out,
        client,
        ..
    } = ctx;
    let notify = srv.limits.notify_flags.load(Relaxed);
    if notify & crate::server::notify::EXPIRED != 0 {
        srv.notify_expired(Some((client.id, &mut *out)));
    }
    if notify & crate::server::notify::KEY_MISS != 0 {
        srv.notify_missed(Some((client.id, &mut *out)));
    }
    let end = crate::clock::now_us();
    client.ended_us = end;
    let usec = end.saturating_sub(start);

    // Again after it: EXEC's queued commands were counted meanwhile.
    pend_stats_of(srv, client, id);
    // A blocked command counts once: when it is served or times out, not at each wait.
    let p = &mut client.pending_stats;
    if action != Action::Block {
        p.calls += 1;
    }
    if !retry || action != Action::Block {
        p.usec += usec;
    }
    if let Err(e) = res {
        srv.cmdstats[id].failed.fetch_add(1, Relaxed);
        srv.stats.error_replies.fetch_add(1, Relaxed);
        out.error(&e.to_string());
    }
    let slower = srv.limits.slowlog_log_slower_than.load(Relaxed);
    if slower >= 0 && usec >= slower as u64 && cmd.flags & table::flag::SKIP_SLOWLOG == 0 {
        srv.slowlog_push(client, args, now, usec);
    }
    (action, ks)
}

/// Adds the client's pending calls and microseconds to the shared per-command counters (INFO
/// commandstats). `execute` counts a client's run of one command in the client and adds it
/// when another command runs; the connection loop calls this after each batch, so a pipeline
/// of one command touches the shared counters once.
pub fn flush_stats(srv: &Shared, client: &mut Client) {
    let p = &mut client.pending_stats;
    if p.calls | p.usec != 0 {
        let st = &srv.cmdstats[p.id];
        st.calls.fetch_add(std::mem::take(&mut p.calls), Relaxed);
        st.usec.fetch_add(std::mem::take(&mut p.usec), Relaxed);
    }
}

/// Makes row `id` the command the client's pending counts are for, adding those of another
/// command to the shared counters first.
fn pend_stats_of(srv: &Shared, client: &mut Client, id: usize) {
    if client.pending_stats.id != id {
        flush_stats(srv, client);
        client.pending_stats.id = id;
    }
}

/// A write from a client of a replica (`replica-read-only yes`), Redis 7.0's text.
const READONLY: &str = "READONLY You can't write against a read only replica.";

/// A command of a replica whose link is down (`replica-serve-stale-data no`), Redis 7.0's text.
const MASTERDOWN: &str =
    "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";

/// The error for writes while the last background save failed (`stop-writes-on-bgsave-error`),
/// Redis 7.0's text.
const MISCONF: &str = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

/// Inside MULTI, an error while queueing makes EXEC fail (Redis's `flagTransaction`).
fn flag_transaction(client: &mut Client) {
    if let Some(m) = client.multi.as_mut() {
        m.aborted = true;
    }
}

fn reject(srv: &Shared, client: &mut Client, out: &mut Reply, id: usize, e: CmdError) -> Action {
    srv.cmdstats[id].rejected.fetch_add(1, Relaxed);
    srv.stats.error_replies.fetch_add(1, Relaxed);
    flag_transaction(client);
    out.error(&e.to_string());
    Action::None
}

/// Parses a blocking command's timeout (BLPOP, BLMOVE, BZPOPMIN, ...): seconds, decimals
/// allowed, 0 = wait forever. Returns the deadline, unix ms (0 = none), rounded up to the next
/// millisecond. Errors as Redis 7.0.15's `getTimeoutFromObjectOrReply`: `ERR timeout is not a
/// float or out of range`, and `ERR timeout is negative` for negative values and for values
/// whose milliseconds overflow (inf, 1e17).
pub fn parse_block_timeout(arg: &[u8], now: u64) -> Result<u64, CmdError> {
    let secs = crate::util::parse_f64(arg)
        .ok_or_else(|| CmdError::err("timeout is not a float or out of range"))?;
    let ms = (secs * 1000.0).ceil();
    if !(0.0..9.2e18).contains(&ms) {
        return Err(CmdError::err("timeout is negative"));
    }
    Ok(if ms == 0.0 {
        0
    } else {
        now.saturating_add(ms as u64)
    })
}

/// For a blocking command that found nothing to serve: blocks on `keys` until `deadline`
/// (unix ms, 0 = forever) when it may ([`Ctx::may_block`]), else writes its timeout reply.
pub fn block_or_timeout<'k>(
    ctx: &mut Ctx<'_, '_>,
    keys: impl Iterator<Item = &'k [u8]>,
    deadline: u64,
    timeout_reply: impl FnOnce(&mut Reply),
) {
    if ctx.may_block() && (deadline == 0 || deadline > ctx.now) {
        ctx.block(keys, deadline, None);
    } else {
        timeout_reply(ctx.out);
    }
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
