//! The node: shared state ([`Shared`]), the listener, the background cron and shutdown.
//!
//! One tokio task per connection executes its commands itself (see `connection.rs`); the cron
//! task runs the active expiry cycle and samples statistics `hz` times a second; with one
//! worker thread, the poller task ([`busypoll`]) keeps the event loop polling through short
//! gaps between requests. Shutdown (SHUTDOWN, SIGINT, SIGTERM) stops accepting, closes every
//! client and returns from [`run`].

pub mod busypoll;
pub mod client;
pub mod connection;
pub mod maxmemory;
pub mod notify;
pub mod pubsub;
pub mod slowlog;
pub mod window;

use crate::commands::{Args, Table};
use crate::config::Config;
use crate::keyspace::Keyspace;
use client::{Client, Registry};
use parking_lot::{Mutex, RwLock};
use std::path::PathBuf;
use std::sync::atomic::{
    AtomicBool, AtomicI64, AtomicU32, AtomicU64, AtomicUsize, Ordering::Relaxed,
};
use std::sync::Arc;
use std::time::Instant;
use tokio::net::TcpListener;
use tokio::sync::{broadcast, Notify};

/// Threads serving clients (`io-threads`, resolved at start-up: 0 became the core count); INFO
/// reports it. 1 until the runtime starts.
pub static IO_THREADS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(1);

/// Settings read on hot paths, mirrored from [`Config`] into atomics on every change.
#[derive(Default)]
pub struct Limits {
    pub max_bulk_len: AtomicU64,
    pub query_buffer_limit: AtomicU64,
    pub maxclients: AtomicU64,
    /// Seconds; 0 = never.
    pub timeout: AtomicU64,
    /// Microseconds; -1 = off.
    pub slowlog_log_slower_than: AtomicI64,
    pub hz: AtomicU64,
    /// Whether the active expiry cycle runs (DEBUG SET-ACTIVE-EXPIRE).
    pub active_expire: AtomicBool,
    /// Effective `notify-keyspace-events` classes ([`notify`] bits); 0 unless K or E is set, so
    /// a command that may raise an event pays one relaxed load when notifications are off.
    pub notify_flags: AtomicU32,
    /// `min-replicas-to-write` (0 = off) and `min-replicas-max-lag` (seconds).
    pub min_replicas: AtomicU64,
    pub min_replicas_max_lag: AtomicU64,
    /// `replica-read-only` and `replica-serve-stale-data`, read by every write on a replica.
    pub replica_read_only: AtomicBool,
    pub replica_serve_stale_data: AtomicBool,
    /// `cluster-allow-reads-when-down` and `cluster-require-full-coverage`.
    pub cluster_allow_reads_when_down: AtomicBool,
    pub cluster_require_full_coverage: AtomicBool,
    /// `cluster-node-timeout`, ms.
    pub cluster_node_timeout: AtomicU64,
    /// `replica-ignore-maxmemory`.
    pub replica_ignore_maxmemory: AtomicBool,
    /// `busy-poll-us`: the longest time an idle event loop polls before it sleeps,
    /// microseconds ([`busypoll`]).
    pub busy_poll_us: AtomicU64,
}

impl Limits {
    pub fn update(&self, c: &Config) {
        self.max_bulk_len.store(c.proto_max_bulk_len, Relaxed);
        self.query_buffer_limit
            .store(c.client_query_buffer_limit, Relaxed);
        self.maxclients.store(c.maxclients, Relaxed);
        self.timeout.store(c.timeout, Relaxed);
        self.slowlog_log_slower_than
            .store(c.slowlog_log_slower_than, Relaxed);
        self.hz.store(c.hz, Relaxed);
        self.busy_poll_us.store(c.busy_poll_us, Relaxed);
        self.notify_flags
            .store(notify::effective(c.notify_keyspace_events), Relaxed);
        self.min_replicas.store(c.min_replicas_to_write, Relaxed);
        self.min_replicas_max_lag
            .store(c.min_replicas_max_lag, Relaxed);
        self.replica_read_only.store(c.replica_read_only, Relaxed);
        self.replica_serve_stale_data
            .store(c.replica_serve_stale_data, Relaxed);
        self.cluster_allow_reads_when_down
            .store(c.cluster_allow_reads_when_down, Relaxed);
        self.cluster_require_full_coverage
            .store(c.cluster_require_full_coverage, Relaxed);
        self.cluster_node_timeout
            .store(c.cluster_node_timeout, Relaxed);
        self.replica_ignore_maxmemory
            .store(c.replica_ignore_maxmemory, Relaxed);
    }
}

/// Server-wide counters (INFO stats).
#[derive(Default)]
pub struct ServerStats {
    pub connections_received: AtomicU64,
    pub rejected_connections: AtomicU64,
    pub commands_processed: AtomicU64,
    pub net_input_bytes: AtomicU64,
    pub net_output_bytes: AtomicU64,
    /// Reads from clients' sockets that brought input, and writes of replies to them
    /// (`total_reads_processed`, `total_writes_processed`): the input bytes over the reads
    /// say how much of a pipeline one read takes.
    pub reads_processed: AtomicU64,
    pub writes_processed: AtomicU64,
    /// Bytes of the replication stream received (as a replica) and sent (to replicas).
    pub net_repl_input_bytes: AtomicU64,
    pub net_repl_output_bytes: AtomicU64,
    pub error_replies: AtomicU64,
    /// Commands per second, sampled by the cron.
    pub ops_per_sec: AtomicU64,
    pub input_kbps_x100: AtomicU64,
    pub output_kbps_x100: AtomicU64,
}

impl ServerStats {
    /// Counts one read of `n` bytes from a client.
    #[inline]
    pub fn read(&self, n: usize) {
        self.net_input_bytes.fetch_add(n as u64, Relaxed);
        self.reads_processed.fetch_add(1, Relaxed);
    }

    /// Counts one write of `n` bytes to a client.
    #[inline]
    pub fn wrote(&self, n: usize) {
        self.net_output_bytes.fetch_add(n as u64, Relaxed);
        self.writes_processed.fetch_add(1, Relaxed);
    }
}

/// Per-command counters (INFO commandstats), indexed by table row id.
#[derive(Default)]
pub struct CmdStat {
    pub calls: AtomicU64,
    /// Microseconds spent in the handler.
    pub usec: AtomicU64,
    pub rejected: AtomicU64,
    pub failed: AtomicU64,
}

/// State shared by every connection of the node.
pub struct Shared {
    pub config: RwLock<Config>,
    pub config_file: Option<PathBuf>,
    pub limits: Limits,
    pub keyspace: Keyspace,
    pub clients: Registry,
    /// Channel, pattern and shard-channel subscriptions.
    pub pubsub: pubsub::PubSub,
    pub stats: ServerStats,
    pub cmdstats: Box<[CmdStat]>,
    pub slowlog: Mutex<slowlog::SlowLog>,
    /// MONITOR clients; the count lets dispatch skip formatting when there are none.
    pub monitors: AtomicUsize,
    pub monitor_tx: broadcast::Sender<Arc<[u8]>>,
    /// Unix ms at start.
    pub start_ms: u64,
    pub started: Instant,
    /// 40 hex chars, new every start (INFO run_id).
    pub run_id: String,
    pub port: AtomicU64,
    pub shutdown: Notify,
    pub shutting_down: AtomicBool,
    pub log_level: Arc<crate::logging::Level>,
    /// Highest used_memory seen by INFO, bytes.
    pub memory_peak: AtomicU64,
    /// used_memory when the server was ready, before any client (INFO used_memory_startup).
    pub memory_startup: AtomicU64,
    /// RDB saves: state and INFO persistence counters.
    pub persistence: crate::persistence::save::SaveState,
    /// The append-only file.
    pub aof: crate::persistence::aof::Aof,
    /// Replication: this node's replication id, its replicas.
    pub replication: crate::replication::Replication,
    /// Cluster mode: the slot map, routing, the consensus layer.
    pub cluster: crate::cluster::Cluster,
    /// MIGRATE's cached connections to target nodes.
    pub migrate: crate::commands::migrate::SocketCache,
    /// The event loop's busy polling ([`busypoll`]).
    pub busy_poll: busypoll::BusyPoll,
    /// This value's own `Arc`, for work that outlives a command (BGSAVE's thread).
    me: std::sync::OnceLock<std::sync::Weak<Shared>>,
}

impl Shared {
    pub fn new(
        config: Config,
        config_file: Option<PathBuf>,
        log_level: Arc<crate::logging::Level>,
    ) -> Shared {
        let limits = Limits::default();
        limits.update(&config);
        limits.active_expire.store(true, Relaxed);
        let rows = Table::get().rows.len();
        let (monitor_tx, _) = broadcast::channel(4096);
        let initial = config.clone();
        let shared = Shared {
            keyspace: Keyspace::new(config.databases, config.shards),
            slowlog: Mutex::new(slowlog::SlowLog::new(config.slowlog_max_len as usize)),
            port: AtomicU64::new(config.port as u64),
            config: RwLock::new(config),
            config_file,
            limits,
            clients: Registry::new(),
            pubsub: pubsub::PubSub::default(),
            stats: ServerStats::default(),
            cmdstats: (0..rows).map(|_| CmdStat::default()).collect(),
            monitors: AtomicUsize::new(0),
            monitor_tx,
            start_ms: crate::clock::now_ms(),
            started: Instant::now(),
            run_id: random_hex(40),
            shutdown: Notify::new(),
            shutting_down: AtomicBool::new(false),
            log_level,
            memory_peak: AtomicU64::new(0),
            memory_startup: AtomicU64::new(0),
            persistence: Default::default(),
            aof: Default::default(),
            replication: crate::replication::Replication::new(random_hex(40)),
            cluster: crate::cluster::Cluster::new(initial.cluster_enabled),
            migrate: Default::default(),
            busy_poll: Default::default(),
            me: std::sync::OnceLock::new(),
        };
        shared
            .persistence
            .last_save_secs
            .store(shared.start_ms / 1000, Relaxed);
        shared.persistence.last_bgsave_secs.store(-1, Relaxed);
        shared.apply_config(&initial);
        shared.memory_startup.store(crate::memory::used(), Relaxed);
        shared
    }

    /// Sends a command to MONITOR clients, formatted as Redis does:
    /// `+1700000000.123456 [0 127.0.0.1:5000] "set" "k" "v"`.
    pub fn feed_monitors(&self, client: &Client, args: &Args<'_>, now_ms: u64) {
        let us = crate::clock::now_us().max(now_ms * 1000);
        let mut line = format!(
            "+{}.{:06} [{} {}]",
            us / 1_000_000,
            us % 1_000_000,
            client.db,
            client.info.addr
        );
        let redact = args.is(0, "auth") || args.is(0, "hello") || args.is(0, "migrate");
        for (i, a) in args.iter().enumerate() {
            line.push(' ');
            if redact && i > 0 {
                line.push_str("\"(redacted)\"");
            } else {
                repr(&mut line, a);
            }
        }
        line.push_str("\r\n");
        let _ = self.monitor_tx.send(Arc::from(line.into_bytes()));
    }

    /// Adds an entry to the slow log.
    pub fn slowlog_push(&self, client: &Client, args: &Args<'_>, now_ms: u64, usec: u64) {
        let name = client.info.name.lock().clone().unwrap_or_default();
        self.slowlog
            .lock()
            .push(args, now_ms / 1000, usec, &client.info.addr, &name);
    }

    /// Starts a graceful shutdown: stop accepting, close clients, return from [`run`].
    pub fn begin_shutdown(&self) {
        self.shutting_down.store(true, Relaxed);
        self.shutdown.notify_waiters();
        for c in self.clients.all() {
            c.kill();
        }
    }

    /// Moves the shared state into its `Arc` and lets it hand out clones of it ([`Shared::me`]).
    pub fn into_arc(self) -> Arc<Shared> {
        let a = Arc::new(self);
        let _ = a.me.set(Arc::downgrade(&a));
        a
    }

    /// A strong reference to this state, for a thread that outlives the command starting it;
    /// `None` before [`Shared::into_arc`] or once the server is being dropped.
    pub fn me(&self) -> Option<Arc<Shared>> {
        self.me.get()?.upgrade()
    }

    /// Records `used` as a memory reading and returns the peak so far.
    pub fn note_memory_peak(&self, used: u64) -> u64 {
        self.memory_peak.fetch_max(used, Relaxed).max(used)
    }

    /// Applies a changed configuration to the live server.
    pub fn apply_config(&self, c: &Config) {
        self.limits.update(c);
        if let Err(e) = crate::memory::set_background_purge(c.jemalloc_bg_thread) {
            tracing::warn!("jemalloc-bg-thread {}: {e}", c.jemalloc_bg_thread);
        }
        let ev = &self.keyspace.evict;
        ev.maxmemory.store(c.maxmemory, Relaxed);
        ev.set_policy(c.maxmemory_policy);
        ev.samples.store(c.maxmemory_samples, Relaxed);
        ev.tenacity.store(c.maxmemory_eviction_tenacity, Relaxed);
        ev.lfu_log_factor.store(c.lfu_log_factor, Relaxed);
        ev.lfu_decay_time.store(c.lfu_decay_time, Relaxed);
        self.aof.set_policy(c.appendfsync);
        crate::persistence::rdb::set_options(c.rdbcompression, c.rdbchecksum);
        crate::persistence::rdb::set_access_record(c.maxmemory_policy, c.lfu_decay_time);
        if self.keyspace.feed.has_backlog() {
            // CONFIG SET repl-backlog-size / client-output-buffer-limit take effect at once.
            let hard = c.client_output_buffer_limit[1].0;
            let hard = if hard == 0 { usize::MAX } else { hard as usize };
            self.keyspace
                .feed
                .ensure_backlog(c.repl_backlog_size as usize, hard);
        }
        self.keyspace
            .snapshot
            .key_delay_us
            .store(c.rdb_key_save_delay, Relaxed);
        if !c.appendonly && self.aof.is_on() {
            // Turning it on waits for the cron (it snapshots, which CONFIG SET inside EXEC
            // could not); turning it off is immediate.
            self.aof.detach(&self.keyspace.feed);
            self.keyspace.feed.set_on(false);
            tracing::info!("Background append only file turned off");
        }
        let (hard, soft, secs) = c.client_output_buffer_limit[2];
        self.pubsub.limit.hard.store(hard, Relaxed);
        self.pubsub.limit.soft.store(soft, Relaxed);
        self.pubsub.limit.soft_secs.store(secs, Relaxed);
        let events = notify::effective(c.notify_keyspace_events);
        self.keyspace.expired.set_on(events & notify::EXPIRED != 0);
        self.keyspace.missed.set_on(events & notify::KEY_MISS != 0);
        self.slowlog.lock().set_max_len(c.slowlog_max_len as usize);
        self.log_level.set(&c.loglevel);
    }
}

/// Quotes bytes as Redis's `sdscatrepr`: `"..."` with `\n \r \t \a \b \" \\` and `\xHH`.
pub fn repr(out: &mut String, s: &[u8]) {
    out.push('"');
    for &c in s {
        match c {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            7 => out.push_str("\\a"),
            8 => out.push_str("\\b"),
            c if c.is_ascii_graphic() || c == b' ' => out.push(c as char),
            c => out.push_str(&format!("\\x{c:02x}")),
        }
    }
    out.push('"');
}

pub fn random_hex(n: usize) -> String {
    use rand::Rng;
    let mut r = rand::thread_rng();
    (0..n)
        .map(|_| char::from_digit(r.gen_range(0..16), 16).expect("digit < 16"))
        .collect()
}

/// Binds every `bind` address on `port`.
pub async fn bind(c: &Config) -> std::io::Result<Vec<TcpListener>> {
    let mut out = Vec::new();
    for addr in &c.bind {
        let addr = addr.trim_start_matches('-');
        let sa: std::net::SocketAddr = if addr.contains(':') {
            format!("[{addr}]:{}", c.port)
        } else {
            format!("{addr}:{}", c.port)
        }
        .parse()
        .map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("bind {addr}: {e}"),
            )
        })?;
        let sock = if sa.is_ipv4() {
            tokio::net::TcpSocket::new_v4()?
        } else {
            tokio::net::TcpSocket::new_v6()?
        };
        sock.set_reuseaddr(true)?;
        sock.bind(sa)?;
        out.push(sock.listen(c.tcp_backlog.max(1))?);
    }
    Ok(out)
}

/// Runs the node until shutdown; returns after every client was closed.
pub async fn run(shared: Arc<Shared>, listeners: Vec<TcpListener>) {
    let replicaof = shared.config.read().replicaof.clone();
    if let Some((host, port)) = replicaof {
        crate::replication::replica::set_master(&shared, host, port, false);
    }
    if shared.cluster.enabled {
        if let Err(e) = crate::cluster::node::start(&shared).await {
            tracing::error!("Cluster mode could not start: {e}");
            shared.begin_shutdown();
        }
    }
    let cron = tokio::spawn(cron(shared.clone()));
    let signals = tokio::spawn(signals(shared.clone()));
    // One event loop: poll through the short gaps between requests instead of sleeping.
    let poller =
        (IO_THREADS.load(Relaxed) == 1).then(|| tokio::spawn(busypoll::run(shared.clone())));
    let mut accepts = Vec::new();
    for l in listeners {
        accepts.push(tokio::spawn(accept_loop(shared.clone(), l)));
    }
    if !shared.shutting_down.load(Relaxed) {
        let notified = shared.shutdown.notified();
        if !shared.shutting_down.load(Relaxed) {
            notified.await;
        }
    }
    tracing::warn!("shutting down: closing {} clients", shared.clients.len());
    for a in accepts {
        a.abort();
    }
    cron.abort();
    signals.abort();
    if let Some(p) = poller {
        p.abort();
    }
    // Clients were told to close; give them a moment to write what they have.
    let deadline = Instant::now() + std::time::Duration::from_secs(2);
    while !shared.clients.is_empty() && Instant::now() < deadline {
        for c in shared.clients.all() {
            c.kill();
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    // SIGTERM/SIGINT: save as SHUTDOWN without arguments would, when save points are set.
    if !shared.persistence.shutdown_saved.load(Relaxed) && !shared.config.read().save.is_empty() {
        tracing::info!("Saving the final RDB snapshot before exiting.");
        let s = shared.clone();
        match tokio::task::spawn_blocking(move || crate::persistence::save::save(&s)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!("Error trying to save the DB: {e}"),
            Err(e) => tracing::warn!("Error trying to save the DB: {e}"),
        }
    }
    if shared.aof.is_on() {
        // Every fed write reaches the disk before the process ends.
        shared.aof.detach(&shared.keyspace.feed);
        tracing::info!("Calling fsync() on the AOF file.");
    }
    tracing::warn!("shoal is now ready to exit, bye bye...");
}

async fn accept_loop(shared: Arc<Shared>, listener: TcpListener) {
    loop {
        match listener.accept().await {
            Ok((sock, peer)) => {
                shared.stats.connections_received.fetch_add(1, Relaxed);
                let s = shared.clone();
                tokio::spawn(async move { connection::serve(s, sock, peer).await });
            }
            Err(e) => {
                // EMFILE and friends: back off instead of spinning.
                tracing::warn!("accept: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    }
}

async fn signals(shared: Arc<Shared>) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::warn!("could not install signal handlers");
        return;
    };
    tokio::select! {
        _ = term.recv() => tracing::warn!("Received SIGTERM scheduling shutdown..."),
        _ = int.recv() => tracing::warn!("Received SIGINT scheduling shutdown..."),
    }
    shared.begin_shutdown();
}

/// Background work `hz` times a second: active expiry and the ops/sec sample.
async fn cron(shared: Arc<Shared>) {
    let mut last_cmds = shared.stats.commands_processed.load(Relaxed);
    let (mut last_in, mut last_out) = (0u64, 0u64);
    let mut last = Instant::now();
    let mut last_ping = Instant::now();
    let mut no_replicas_since = Instant::now();
    loop {
        let hz = shared.limits.hz.load(Relaxed).clamp(1, 500);
        tokio::time::sleep(std::time::Duration::from_millis(1000 / hz)).await;
        if shared.limits.active_expire.load(Relaxed) {
            let s = shared.clone();
            // The cycle locks shards one by one; run it off the async workers.
            let _ = tokio::task::spawn_blocking(move || {
                s.keyspace.active_expire_cycle(
                    crate::clock::now_ms(),
                    crate::keyspace::expiry::DEFAULT_BUDGET,
                )
            })
            .await;
        }
        shared.note_memory_peak(crate::memory::used());
        // Over maxmemory with no commands coming (CONFIG SET maxmemory lower, or a command that
        // ran out of eviction time): evict here too, off the async workers.
        if shared.keyspace.evict.maxmemory.load(Relaxed) != 0 {
            let s = shared.clone();
            let _ = tokio::task::spawn_blocking(move || {
                s.perform_evictions(None, crate::clock::now_ms())
            })
            .await;
        }
        // `expired` notifications of keys the cycle (or a walk) reclaimed.
        if shared.limits.notify_flags.load(Relaxed) & notify::EXPIRED != 0 {
            shared.notify_expired(None);
        }
        crate::persistence::save::cron(&shared);
        crate::persistence::aof::rewrite::cron(&shared);
        // MIGRATE's connections unused for 10 s are closed (Redis's migrateCloseTimedoutSockets).
        shared.migrate.close_idle(Instant::now());
        let (period, ttl) = {
            let c = shared.config.read();
            (c.repl_ping_replica_period.max(1), c.repl_backlog_ttl)
        };
        if shared.replication.replicas.count() > 0 || shared.replication.link.is_replica() {
            no_replicas_since = Instant::now();
        } else if ttl > 0
            && no_replicas_since.elapsed() >= std::time::Duration::from_secs(ttl)
            && shared.keyspace.feed.has_backlog()
        {
            crate::replication::primary::free_backlog(&shared);
        }
        if shared.replication.replicas.count() > 0
            && last_ping.elapsed() >= std::time::Duration::from_secs(period)
        {
            // Replicas see the link alive when no writes flow (Redis's replicationCron).
            shared.keyspace.feed.append_global(&[b"PING"]);
            last_ping = Instant::now();
        }
        let el = last.elapsed().as_secs_f64();
        if el >= 0.1 {
            let cmds = shared.stats.commands_processed.load(Relaxed);
            let i = shared.stats.net_input_bytes.load(Relaxed);
            let o = shared.stats.net_output_bytes.load(Relaxed);
            shared
                .stats
                .ops_per_sec
                .store(((cmds - last_cmds) as f64 / el) as u64, Relaxed);
            shared
                .stats
                .input_kbps_x100
                .store(((i - last_in) as f64 / el / 1024.0 * 100.0) as u64, Relaxed);
            shared.stats.output_kbps_x100.store(
                ((o - last_out) as f64 / el / 1024.0 * 100.0) as u64,
                Relaxed,
            );
            last_cmds = cmds;
            last_in = i;
            last_out = o;
            last = Instant::now();
        }
    }
}
