//! Client state: what a connection owns ([`Client`]) and what other connections may read or
//! signal ([`ClientInfo`], kept in the [`Registry`] for CLIENT LIST / KILL and INFO clients).

use crate::keyspace::signal::{Waiter, WatchState};
use crate::keyspace::Keyspace;
use futures_util::task::AtomicWaker;
use parking_lot::Mutex;
use std::any::Any;
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::atomic::{
    AtomicBool, AtomicI64, AtomicU64, AtomicU8, AtomicUsize,
    Ordering::{Acquire, Relaxed, Release},
};
use std::sync::Arc;

/// CLIENT REPLY's modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyMode {
    On,
    Off,
}

/// Connection-local state; only the connection task touches it.
pub struct Client {
    pub id: u64,
    /// Selected database.
    pub db: usize,
    pub authenticated: bool,
    pub reply_mode: ReplyMode,
    /// CLIENT REPLY SKIP: drop the reply of the next command.
    pub skip_next_reply: bool,
    pub info: Arc<ClientInfo>,
    /// Pub/sub subscriptions and the outbox publishers write to; created by the first
    /// (P|S)SUBSCRIBE and kept for the connection's life.
    pub pubsub: Option<Box<super::pubsub::ClientSubs>>,
    /// Between MULTI and EXEC/DISCARD: the queued commands.
    pub multi: Option<Box<MultiState>>,
    /// True while EXEC runs the queue: blocking commands do not block then.
    pub in_exec: bool,
    /// WATCHed keys as (database, key), and the flag writes to them set.
    pub watched: Vec<(usize, Box<[u8]>)>,
    pub watch: Option<Arc<WatchState>>,
    /// Set while the client is blocked (BLPOP, XREAD BLOCK, ...).
    pub block: Option<Box<BlockState>>,
    /// The propagation feed's offset after this client's last fed write (0: none since the
    /// last reply went out): its reply waits until the AOF holds that much
    /// (`appendfsync always`: fsynced; otherwise written).
    pub feed_end: u64,
    /// Inside EXEC: MULTI was fed before the first write, so EXEC must follow the last.
    pub exec_fed: bool,
    /// The AOF loader's client: commands never block (a served BLPOP in the file is replayed
    /// as the pop it was).
    pub replaying: bool,
    /// The feed offset after this client's last write (what WAIT waits for replicas to reach).
    pub woff: u64,
    /// A replica's REPLCONF settings and PSYNC start, set before the link is served.
    pub replication: Option<Box<crate::replication::primary::Handshake>>,
    /// Cluster mode: ASKING was sent (the next command may touch a slot being imported).
    pub asking: bool,
    /// Cluster mode: READONLY (a replica serves reads of its primary's slots).
    pub readonly: bool,
    /// A CLUSTER command's work that must await the consensus layer, run by the connection
    /// after dispatch returns [`crate::commands::Action::Cluster`].
    pub cluster_op: Option<crate::cluster::node::Op>,
    /// Unix µs at which the next command starts, when the caller of `dispatch` already read
    /// the clock (the connection loop: the end of the previous command of the batch); 0 means
    /// unknown. Taken (reset to 0) by the command's execution.
    pub clock_us: u64,
    /// Unix µs at which the last executed command ended (0: none since it was reset), so a
    /// pipeline reads the clock once per command.
    pub ended_us: u64,
    /// Statistics of this client's latest commands not yet in the shared counters
    /// ([`crate::commands::flush_stats`]).
    pub pending_stats: PendingStats,
}

/// Calls of one command (row `id`) and their time, µs, counted in the client until
/// [`crate::commands::flush_stats`] adds them to INFO commandstats.
#[derive(Default, Debug)]
pub struct PendingStats {
    pub id: usize,
    pub calls: u64,
    pub usec: u64,
}

/// A command queued between MULTI and EXEC: its row id and a copy of its arguments.
pub struct QueuedCommand {
    pub id: usize,
    pub buf: Vec<u8>,
    pub ranges: Vec<Range<usize>>,
}

/// MULTI's queue. `aborted` is set by an error while queueing (unknown command, wrong arity):
/// EXEC then replies EXECABORT.
#[derive(Default)]
pub struct MultiState {
    pub queued: Vec<QueuedCommand>,
    pub aborted: bool,
    /// Cluster mode: the slot of the queued commands' keys, whether two of them differ
    /// (EXEC then replies -CROSSSLOT), and whether one writes.
    pub slot: Option<u16>,
    pub cross_slot: bool,
    pub write: bool,
}

/// A blocked command's state, kept while it waits and across its re-runs.
///
/// A blocking handler that finds nothing to serve calls `Ctx::block`; the connection then waits
/// for a write to one of `keys`, the deadline, CLIENT UNBLOCK or a disconnect, and runs the same
/// command again with `retry` set. A re-run that still finds nothing blocks again, keeping the
/// client's place in line; once `timed_out` is set the handler replies its timeout reply.
pub struct BlockState {
    /// The database the keys belong to.
    pub db: usize,
    pub keys: Vec<Box<[u8]>>,
    /// When to give up, unix ms; 0 waits forever.
    pub deadline: u64,
    /// This run is a re-run after a wake-up.
    pub retry: bool,
    /// The deadline passed (or CLIENT UNBLOCK ... TIMEOUT): reply the timeout reply now.
    pub timed_out: bool,
    /// Whatever the handler must remember from its first run (XREAD's resolved `$` ids).
    pub data: Option<Box<dyn Any + Send + Sync>>,
    /// CLIENT UNBLOCK ... ERROR: the re-run replies `-UNBLOCKED ...` instead.
    pub unblocked_error: bool,
}

impl Client {
    pub fn new(info: Arc<ClientInfo>, authenticated: bool) -> Client {
        Client {
            id: info.id,
            db: 0,
            authenticated,
            reply_mode: ReplyMode::On,
            skip_next_reply: false,
            pubsub: None,
            info,
            multi: None,
            in_exec: false,
            watched: Vec::new(),
            watch: None,
            block: None,
            feed_end: 0,
            exec_fed: false,
            replaying: false,
            woff: 0,
            replication: None,
            asking: false,
            readonly: false,
            cluster_op: None,
            clock_us: 0,
            ended_us: 0,
            pending_stats: PendingStats::default(),
        }
    }

    /// Forgets every WATCHed key (UNWATCH, EXEC, DISCARD, RESET, disconnect).
    pub fn unwatch_all(&mut self, ks: &Keyspace) {
        if let Some(w) = self.watch.take() {
            ks.signals
                .unwatch(self.watched.iter().map(|(db, k)| (*db, &k[..])), &w);
        }
        self.watched.clear();
    }

    /// Leaves MULTI, dropping the queue.
    pub fn discard_multi(&mut self) {
        self.multi = None;
        self.info.multi.store(-1, Relaxed);
        self.info.set_flag(cflag::MULTI, false);
    }

    /// Ends a transaction that will not run (cluster mode refused its EXEC): the queue and the
    /// WATCHed keys go, as Redis's `discardTransaction`.
    pub fn discard_multi_and_unwatch(&mut self, ks: &Keyspace) {
        self.discard_multi();
        self.unwatch_all(ks);
    }

    /// Stops waiting: off every key's queue; with `served`, the next waiter of each key is
    /// woken in case data was left for it.
    pub fn end_block(&mut self, ks: &Keyspace, served: bool) {
        if let Some(b) = self.block.take() {
            ks.signals.unblock(
                b.db,
                b.keys.iter().map(|k| &k[..]),
                &self.info.waiter,
                served,
            );
            self.info.set_flag(cflag::BLOCKED, false);
            ks.signals.blocked_clients.fetch_sub(1, Relaxed);
        }
    }

    /// Drops what this client registered elsewhere (on disconnect and RESET).
    pub fn release(&mut self, ks: &Keyspace) {
        // Passing on: a wake-up meant for this client may have arrived just before it left.
        self.end_block(ks, true);
        self.unwatch_all(ks);
        self.discard_multi();
    }

    /// Subscriptions of every kind; a RESP2 client with any is in subscribed mode.
    #[inline]
    pub fn subscriptions(&self) -> usize {
        self.pubsub.as_ref().map_or(0, |p| p.total())
    }

    /// The client's subscriptions, created (with its outbox) on first use.
    pub fn subs(&mut self) -> &mut super::pubsub::ClientSubs {
        let info = self.info.clone();
        self.pubsub
            .get_or_insert_with(|| Box::new(super::pubsub::ClientSubs::new(info)))
    }

    /// The client's protocol version (2 or 3).
    pub fn proto(&self) -> u8 {
        self.info.resp.load(Relaxed)
    }
}

/// Flag bits shown by CLIENT LIST `flags=`.
pub mod cflag {
    pub const MONITOR: u32 = 1 << 0;
    pub const NO_EVICT: u32 = 1 << 1;
    /// Blocked on keys (`b`).
    pub const BLOCKED: u32 = 1 << 2;
    /// Inside MULTI (`x`).
    pub const MULTI: u32 = 1 << 3;
    /// A replica's link (`S`).
    pub const REPLICA: u32 = 1 << 4;
}

/// What other tasks may see of a client.
pub struct ClientInfo {
    pub id: u64,
    /// Peer address, `ip:port`.
    pub addr: String,
    /// Local address, `ip:port`.
    pub laddr: String,
    /// Socket file descriptor (CLIENT LIST `fd=`).
    pub fd: i64,
    /// Connected at, unix ms.
    pub created_ms: u64,
    pub name: Mutex<Option<Vec<u8>>>,
    pub lib_name: Mutex<Option<Vec<u8>>>,
    pub lib_ver: Mutex<Option<Vec<u8>>>,
    pub db: AtomicUsize,
    /// Last command at, unix ms.
    pub last_ms: AtomicU64,
    /// Row id of the last command.
    pub last_cmd: AtomicUsize,
    /// Protocol version, 2 or 3.
    pub resp: AtomicU8,
    pub flags: AtomicU64,
    /// Bytes in the query buffer now (CLIENT LIST `qbuf=`).
    pub qbuf: AtomicUsize,
    /// Bytes the query buffer had room for when it last grew, was reclaimed or was given back
    /// (CLIENT LIST `rbs=`).
    pub rbs: AtomicUsize,
    /// Bytes in the output buffer now (CLIENT LIST `omem=`).
    pub omem: AtomicUsize,
    /// Channel subscriptions (CLIENT LIST `sub`).
    pub sub: AtomicUsize,
    /// Pattern subscriptions (CLIENT LIST `psub`).
    pub psub: AtomicUsize,
    /// Shard-channel subscriptions (CLIENT LIST `ssub`).
    pub ssub: AtomicUsize,
    /// Bytes published to this subscriber and not yet written (part of CLIENT LIST `omem`).
    pub pubsub_omem: AtomicUsize,
    /// Set by CLIENT KILL / SHUTDOWN; the connection closes at its next step.
    pub killed: AtomicBool,
    /// The connection's task, woken by [`ClientInfo::kill`] ([`ClientInfo::until_killed`]).
    kill_waker: AtomicWaker,
    /// How this client waits when blocked; CLIENT UNBLOCK wakes it through here.
    pub waiter: Arc<Waiter>,
    /// Commands queued in MULTI, -1 outside it (CLIENT LIST `multi=`).
    pub multi: AtomicI64,
}

impl ClientInfo {
    pub fn new(id: u64, addr: String, laddr: String, fd: i64, now_ms: u64) -> ClientInfo {
        ClientInfo {
            id,
            addr,
            laddr,
            fd,
            created_ms: now_ms,
            name: Mutex::new(None),
            lib_name: Mutex::new(None),
            lib_ver: Mutex::new(None),
            db: AtomicUsize::new(0),
            last_ms: AtomicU64::new(now_ms),
            last_cmd: AtomicUsize::new(usize::MAX),
            resp: AtomicU8::new(2),
            flags: AtomicU64::new(0),
            qbuf: AtomicUsize::new(0),
            rbs: AtomicUsize::new(0),
            omem: AtomicUsize::new(0),
            sub: AtomicUsize::new(0),
            psub: AtomicUsize::new(0),
            ssub: AtomicUsize::new(0),
            pubsub_omem: AtomicUsize::new(0),
            killed: AtomicBool::new(false),
            kill_waker: AtomicWaker::new(),
            waiter: Arc::new(Waiter::default()),
            multi: AtomicI64::new(-1),
        }
    }

    pub fn has_flag(&self, f: u32) -> bool {
        self.flags.load(Relaxed) & f as u64 != 0
    }

    pub fn set_flag(&self, f: u32, on: bool) {
        if on {
            self.flags.fetch_or(f as u64, Relaxed);
        } else {
            self.flags.fetch_and(!(f as u64), Relaxed);
        }
    }

    /// `normal` or `pubsub` (a client with subscriptions), as CLIENT LIST/KILL TYPE match them.
    pub fn client_type(&self) -> &'static str {
        if self.flags.load(Relaxed) as u32 & cflag::REPLICA != 0 {
            "replica"
        } else if self.sub.load(Relaxed) + self.psub.load(Relaxed) + self.ssub.load(Relaxed) > 0 {
            "pubsub"
        } else {
            "normal"
        }
    }

    /// Asks the connection to close: sets `killed` and wakes the connection's task.
    pub fn kill(&self) {
        self.killed.store(true, Release);
        self.kill_waker.wake();
    }

    /// Completes once the client is killed ([`ClientInfo::kill`]), at once if it was already.
    /// Only the connection's own task may wait on it: one waker is kept, the last one given.
    pub fn until_killed(&self) -> impl std::future::Future<Output = ()> + '_ {
        let mut seen = None;
        std::future::poll_fn(move |cx| self.poll_killed(cx, &mut seen))
    }

    /// [`ClientInfo::until_killed`] for a loop that waits on it again and again: `seen` keeps
    /// the waker last registered, so a poll from the same task costs a load and a comparison.
    /// (A waiter in a `tokio::sync::Notify`, as before, cost a lock, a list insertion, a waker
    /// clone and their undoing on every read.)
    pub fn until_killed_seen<'a>(
        &'a self,
        seen: &'a mut Option<std::task::Waker>,
    ) -> impl std::future::Future<Output = ()> + 'a {
        std::future::poll_fn(move |cx| self.poll_killed(cx, seen))
    }

    fn poll_killed(
        &self,
        cx: &mut std::task::Context<'_>,
        seen: &mut Option<std::task::Waker>,
    ) -> std::task::Poll<()> {
        if self.killed.load(Acquire) {
            return std::task::Poll::Ready(());
        }
        if !seen.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            self.kill_waker.register(cx.waker());
            *seen = Some(cx.waker().clone());
            // A kill between the check and the registration woke the waker registered before.
            if self.killed.load(Acquire) {
                return std::task::Poll::Ready(());
            }
        }
        std::task::Poll::Pending
    }

    /// One CLIENT LIST line (without the trailing newline), fields as Redis 7.0 prints them.
    pub fn line(&self, now_ms: u64) -> String {
        let name = self.name.lock().clone().unwrap_or_default();
        let flags = self.flags.load(Relaxed) as u32;
        let mut f = String::new();
        if flags & cflag::MONITOR != 0 {
            f.push('O');
        }
        if flags & cflag::REPLICA != 0 {
            f.push('S');
        }
        let (sub, psub, ssub) = (
            self.sub.load(Relaxed),
            self.psub.load(Relaxed),
            self.ssub.load(Relaxed),
        );
        if sub + psub + ssub > 0 {
            f.push('P');
        }
        if flags & cflag::MULTI != 0 {
            f.push('x');
        }
        if flags & cflag::BLOCKED != 0 {
            f.push('b');
        }
        if flags & cflag::NO_EVICT != 0 {
            f.push('e');
        }
        if f.is_empty() {
            f.push('N');
        }
        let cmd = match self.last_cmd.load(Relaxed) {
            usize::MAX => "NULL",
            id => crate::commands::Table::get()
                .rows
                .get(id)
                .map_or("NULL", |c| c.name),
        };
        let qbuf = self.qbuf.load(Relaxed);
        let rbs = self.rbs.load(Relaxed).max(qbuf);
        let omem = self.omem.load(Relaxed) + self.pubsub_omem.load(Relaxed);
        let lib_name = self.lib_name.lock().clone().unwrap_or_default();
        let lib_ver = self.lib_ver.lock().clone().unwrap_or_default();
        format!(
            "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} multi={} \
             qbuf={} qbuf-free={} argv-mem=0 multi-mem=0 rbs={} rbp={} obl=0 oll=0 omem={} tot-mem={} \
             events=r cmd={} user=default redir=-1 resp={} lib-name={} lib-ver={}",
            self.id,
            self.addr,
            self.laddr,
            self.fd,
            String::from_utf8_lossy(&name),
            now_ms.saturating_sub(self.created_ms) / 1000,
            now_ms.saturating_sub(self.last_ms.load(Relaxed)) / 1000,
            f,
            self.db.load(Relaxed),
            sub,
            psub,
            ssub,
            self.multi.load(Relaxed),
            qbuf,
            rbs - qbuf,
            rbs,
            qbuf,
            omem,
            rbs + omem,
            cmd,
            self.resp.load(Relaxed),
            String::from_utf8_lossy(&lib_name),
            String::from_utf8_lossy(&lib_ver),
        )
    }
}

/// All connected clients, by id.
#[derive(Default)]
pub struct Registry {
    clients: Mutex<BTreeMap<u64, Arc<ClientInfo>>>,
    next_id: AtomicU64,
}

impl Registry {
    pub fn new() -> Registry {
        Registry {
            clients: Mutex::new(BTreeMap::new()),
            next_id: AtomicU64::new(1),
        }
    }

    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Relaxed)
    }

    pub fn add(&self, c: Arc<ClientInfo>) {
        self.clients.lock().insert(c.id, c);
    }

    pub fn remove(&self, id: u64) {
        self.clients.lock().remove(&id);
    }

    pub fn len(&self) -> usize {
        self.clients.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A snapshot of the clients, in id order.
    pub fn all(&self) -> Vec<Arc<ClientInfo>> {
        self.clients.lock().values().cloned().collect()
    }

    pub fn get(&self, id: u64) -> Option<Arc<ClientInfo>> {
        self.clients.lock().get(&id).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::task::{Context, Wake, Waker};

    /// A waker that counts its wake-ups.
    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Relaxed);
        }
    }

    fn counting() -> (Arc<Count>, Waker) {
        let c = Arc::new(Count(AtomicUsize::new(0)));
        (c.clone(), Waker::from(c))
    }

    /// A kill wakes the task waiting on it, also when the wait reuses the registration of an
    /// earlier one ([`ClientInfo::until_killed_seen`]), and the registration follows a task
    /// that changed; after the kill, every wait ends at once.
    #[test]
    fn a_kill_wakes_the_waiting_task_once_registered() {
        let info = ClientInfo::new(1, "127.0.0.1:1".into(), "127.0.0.1:2".into(), -1, 0);
        let (first, waker) = counting();
        let mut cx = Context::from_waker(&waker);
        let mut seen = None;
        // A wait that ended otherwise (its select! took another branch) leaves the waker.
        assert!(std::pin::pin!(info.until_killed_seen(&mut seen))
            .poll(&mut cx)
            .is_pending());
        assert!(seen.as_ref().is_some_and(|w| w.will_wake(&waker)));
        // Another task waits now: the registration moves to it.
        let (second, waker2) = counting();
        let mut cx2 = Context::from_waker(&waker2);
        let mut wait = std::pin::pin!(info.until_killed_seen(&mut seen));
        assert!(wait.as_mut().poll(&mut cx2).is_pending());
        assert!(wait.as_mut().poll(&mut cx2).is_pending());
        info.kill();
        assert_eq!(second.0.load(Relaxed), 1, "the waiting task is woken");
        assert_eq!(first.0.load(Relaxed), 0);
        assert!(wait.poll(&mut cx2).is_ready());
        assert!(std::pin::pin!(info.until_killed()).poll(&mut cx).is_ready());

        // The same task waits again and again (the connection's read loop): registered once,
        // still woken.
        let info = ClientInfo::new(2, "127.0.0.1:1".into(), "127.0.0.1:2".into(), -1, 0);
        let (count, waker) = counting();
        let mut cx = Context::from_waker(&waker);
        let mut seen = None;
        for _ in 0..3 {
            assert!(std::pin::pin!(info.until_killed_seen(&mut seen))
                .poll(&mut cx)
                .is_pending());
        }
        let mut wait = std::pin::pin!(info.until_killed_seen(&mut seen));
        assert!(wait.as_mut().poll(&mut cx).is_pending());
        info.kill();
        assert_eq!(count.0.load(Relaxed), 1);
        assert!(wait.poll(&mut cx).is_ready());
    }
}
