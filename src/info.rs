//! INFO: the sections and field names of Redis 7.0's INFO, with shoal's real values.
//! Source: <https://redis.io/commands/info/>.

use crate::commands::connection::REDIS_VERSION;
use crate::commands::Table;
use crate::keyspace::Locked;
use crate::server::Shared;
use crate::util::bytes_to_human;
use std::fmt::Write;
use std::sync::atomic::Ordering::Relaxed;

/// Every section, in Redis's order (`all`, `everything`); all but `commandstats` are the
/// default sections (INFO without arguments, `default`).
pub const ALL_SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "commandstats",
    "errorstats",
    "cluster",
    "keyspace",
];

/// Which sections the arguments of INFO select, in Redis's order.
pub fn select_sections(args: &[&[u8]]) -> Vec<&'static str> {
    let defaults = ALL_SECTIONS
        .iter()
        .copied()
        .filter(|s| *s != "commandstats");
    if args.is_empty() {
        return defaults.collect();
    }
    let mut want: Vec<&'static str> = Vec::new();
    for a in args {
        let a = String::from_utf8_lossy(a).to_ascii_lowercase();
        match a.as_str() {
            "all" | "everything" => want.extend(ALL_SECTIONS.iter().copied()),
            "default" => want.extend(defaults.clone()),
            s => {
                if let Some(x) = ALL_SECTIONS.iter().find(|x| **x == s) {
                    want.push(x);
                }
            }
        }
    }
    ALL_SECTIONS
        .iter()
        .copied()
        .filter(|s| want.contains(s))
        .collect()
}

/// Where the node's memory goes, bytes: INFO memory and MEMORY STATS show it.
pub struct MemoryReport {
    /// Live allocations ([`crate::memory::used`]): Redis's used_memory.
    pub used: u64,
    /// Highest `used` seen.
    pub peak: u64,
    /// `used` once the server had started, before any client.
    pub startup: u64,
    /// Resident set size of the process.
    pub rss: u64,
    pub alloc: crate::memory::AllocatorStats,
    /// The replication backlog's ring.
    pub backlog: u64,
    /// Query and output buffers of replicas' links and of other clients.
    pub clients_replicas: u64,
    pub clients_normal: u64,
}

impl MemoryReport {
    pub fn new(srv: &Shared) -> MemoryReport {
        let used = crate::memory::used();
        let (mut replicas, mut normal) = (0u64, 0u64);
        for c in srv.clients.all() {
            let b = (c.qbuf.load(Relaxed) + c.omem.load(Relaxed)) as u64;
            if c.flags.load(Relaxed) as u32 & crate::server::client::cflag::REPLICA != 0 {
                replicas += b;
            } else {
                normal += b;
            }
        }
        MemoryReport {
            used,
            peak: srv.note_memory_peak(used),
            startup: srv.memory_startup.load(Relaxed),
            rss: crate::memory::rss(),
            alloc: crate::memory::allocator_stats(),
            backlog: srv.keyspace.feed.backlog_info().1,
            clients_replicas: replicas,
            clients_normal: normal,
        }
    }

    /// What is not the dataset: the start-up allocation, the backlog and client buffers.
    pub fn overhead(&self) -> u64 {
        self.startup + self.backlog + self.clients_replicas + self.clients_normal
    }

    /// Keys and values: `used` less the overhead.
    pub fn dataset(&self) -> u64 {
        self.used.saturating_sub(self.overhead())
    }

    /// jemalloc's active pages against its allocations (allocator fragmentation).
    pub fn allocator_frag(&self) -> Spread {
        Spread::of(self.alloc.active, self.alloc.allocated)
    }

    /// jemalloc's resident pages against its active ones.
    pub fn allocator_rss(&self) -> Spread {
        Spread::of(self.alloc.resident, self.alloc.active)
    }

    /// The process's RSS against jemalloc's resident pages.
    pub fn rss_overhead(&self) -> Spread {
        Spread::of(self.rss, self.alloc.resident)
    }

    /// The process's RSS against used_memory (`mem_fragmentation_ratio`).
    pub fn fragmentation(&self) -> Spread {
        Spread::of(self.rss, self.used)
    }
}

/// Two byte counts compared, as Redis's fragmentation figures: `ratio` = a / b (0 when b is 0)
/// and `bytes` = a - b (negative when a is smaller).
#[derive(Debug, Clone, Copy)]
pub struct Spread {
    pub ratio: f64,
    pub bytes: i64,
}

impl Spread {
    pub fn of(a: u64, b: u64) -> Spread {
        Spread {
            ratio: share(a, b),
            bytes: a as i64 - b as i64,
        }
    }
}

/// a / b, or 0 when b is 0.
pub fn share(a: u64, b: u64) -> f64 {
    if b > 0 {
        a as f64 / b as f64
    } else {
        0.0
    }
}

fn rusage(who: i32) -> (f64, f64) {
    // SAFETY: getrusage writes into the zeroed struct we pass; no other memory is touched.
    unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        if libc::getrusage(who, &mut ru) != 0 {
            return (0.0, 0.0);
        }
        let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
        (t(ru.ru_stime), t(ru.ru_utime))
    }
}

/// The text of INFO for `sections`, lines ending in CRLF, sections separated by a blank line.
/// `ks` is the calling command's view: the keyspace counters are read through it, so INFO
/// works inside EXEC, where the transaction holds every shard lock.
pub fn render(srv: &Shared, ks: &mut Locked<'_>, sections: &[&str], now_ms: u64) -> String {
    let mut out = String::new();
    for (i, s) in sections.iter().enumerate() {
        if i > 0 {
            out.push_str("\r\n");
        }
        section(srv, ks, s, now_ms, &mut out);
    }
    out
}

macro_rules! field {
    ($o:expr, $k:expr, $v:expr) => {
        let _ = write!($o, "{}:{}\r\n", $k, $v);
    };
}

fn section(srv: &Shared, ks: &mut Locked<'_>, name: &str, now_ms: u64, o: &mut String) {
    let cfg = srv.config.read().clone();
    let uptime = srv.started.elapsed().as_secs();
    match name {
        "server" => {
            o.push_str("# Server\r\n");
            field!(o, "redis_version", REDIS_VERSION);
            field!(o, "shoal_version", env!("CARGO_PKG_VERSION"));
            field!(o, "redis_git_sha1", "00000000");
            field!(o, "redis_git_dirty", 0);
            field!(o, "redis_build_id", "0");
            field!(o, "redis_mode", "standalone");
            field!(
                o,
                "os",
                format!("{} {}", std::env::consts::OS, std::env::consts::ARCH)
            );
            field!(o, "arch_bits", usize::BITS);
            field!(o, "monotonic_clock", "POSIX clock_gettime");
            field!(o, "multiplexing_api", "epoll");
            field!(o, "atomicvar_api", "c11-builtin");
            field!(o, "gcc_version", "0.0.0");
            field!(o, "process_id", std::process::id());
            field!(o, "process_supervised", "no");
            field!(o, "run_id", srv.run_id);
            field!(o, "tcp_port", srv.port.load(Relaxed));
            field!(o, "server_time_usec", crate::clock::now_us());
            field!(o, "uptime_in_seconds", uptime);
            field!(o, "uptime_in_days", uptime / 86400);
            field!(o, "hz", cfg.hz);
            field!(o, "configured_hz", cfg.hz);
            field!(o, "lru_clock", (now_ms / 1000) & ((1 << 24) - 1));
            field!(
                o,
                "executable",
                std::env::current_exe()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            );
            field!(
                o,
                "config_file",
                srv.config_file
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            );
            field!(
                o,
                "io_threads_active",
                u8::from(crate::server::IO_THREADS.load(Relaxed) > 1)
            );
            field!(o, "io_threads", crate::server::IO_THREADS.load(Relaxed));
            field!(o, "shards", cfg.shards);
        }
        "clients" => {
            o.push_str("# Clients\r\n");
            let clients = srv.clients.all();
            field!(o, "connected_clients", clients.len());
            field!(o, "cluster_connections", 0);
            field!(o, "maxclients", cfg.maxclients);
            field!(
                o,
                "client_recent_max_input_buffer",
                clients
                    .iter()
                    .map(|c| c.qbuf.load(Relaxed))
                    .max()
                    .unwrap_or(0)
            );
            field!(
                o,
                "client_recent_max_output_buffer",
                clients
                    .iter()
                    .map(|c| c.omem.load(Relaxed))
                    .max()
                    .unwrap_or(0)
            );
            field!(
                o,
                "blocked_clients",
                srv.keyspace.signals.blocked_clients.load(Relaxed)
            );
            field!(o, "tracking_clients", 0);
            field!(o, "clients_in_timeout_table", 0);
        }
        "memory" => {
            let m = MemoryReport::new(srv);
            let cfg_max = srv.keyspace.evict.maxmemory.load(Relaxed);
            let pct = |a: u64, b: u64| format!("{:.2}%", share(a, b) * 100.0);
            let (frag, alloc_frag) = (m.fragmentation(), m.allocator_frag());
            let (alloc_rss, rss_over) = (m.allocator_rss(), m.rss_overhead());
            o.push_str("# Memory\r\n");
            field!(o, "used_memory", m.used);
            field!(o, "used_memory_human", bytes_to_human(m.used));
            field!(o, "used_memory_rss", m.rss);
            field!(o, "used_memory_rss_human", bytes_to_human(m.rss));
            field!(o, "used_memory_peak", m.peak);
            field!(o, "used_memory_peak_human", bytes_to_human(m.peak));
            field!(o, "used_memory_peak_perc", pct(m.used, m.peak));
            field!(o, "used_memory_overhead", m.overhead());
            field!(o, "used_memory_startup", m.startup);
            field!(o, "used_memory_dataset", m.dataset());
            field!(
                o,
                "used_memory_dataset_perc",
                pct(m.dataset(), m.used.saturating_sub(m.startup))
            );
            field!(o, "allocator_allocated", m.alloc.allocated);
            field!(o, "allocator_active", m.alloc.active);
            field!(o, "allocator_resident", m.alloc.resident);
            field!(o, "total_system_memory", total_system_memory());
            field!(
                o,
                "total_system_memory_human",
                bytes_to_human(total_system_memory())
            );
            field!(o, "maxmemory", cfg_max);
            field!(o, "maxmemory_human", bytes_to_human(cfg_max));
            field!(o, "maxmemory_policy", srv.keyspace.evict.policy().name());
            field!(
                o,
                "allocator_frag_ratio",
                format!("{:.2}", alloc_frag.ratio)
            );
            field!(o, "allocator_frag_bytes", alloc_frag.bytes.max(0));
            field!(o, "allocator_rss_ratio", format!("{:.2}", alloc_rss.ratio));
            field!(o, "allocator_rss_bytes", alloc_rss.bytes.max(0));
            field!(o, "rss_overhead_ratio", format!("{:.2}", rss_over.ratio));
            field!(o, "rss_overhead_bytes", rss_over.bytes);
            field!(o, "mem_fragmentation_ratio", format!("{:.2}", frag.ratio));
            field!(o, "mem_fragmentation_bytes", frag.bytes);
            field!(
                o,
                "mem_not_counted_for_evict",
                srv.keyspace.feed.not_counted_for_evict()
            );
            field!(o, "mem_replication_backlog", m.backlog);
            field!(o, "mem_clients_slaves", m.clients_replicas);
            field!(o, "mem_clients_normal", m.clients_normal);
            field!(o, "mem_cluster_links", 0);
            field!(o, "mem_aof_buffer", 0);
            field!(o, "mem_allocator", "jemalloc");
            field!(o, "active_defrag_running", 0);
            field!(o, "lazyfree_pending_objects", 0);
            field!(o, "lazyfreed_objects", 0);
        }
        "persistence" => {
            let st = ks.stats();
            let p = &srv.persistence;
            let bg_start = p.bgsave_started_ms.load(Relaxed);
            o.push_str("# Persistence\r\n");
            field!(o, "loading", 0);
            field!(o, "async_loading", 0);
            field!(o, "current_cow_peak", 0);
            field!(o, "current_cow_size", 0);
            field!(o, "current_cow_size_age", 0);
            field!(o, "current_fork_perc", "0.00");
            field!(o, "current_save_keys_processed", 0);
            field!(o, "current_save_keys_total", 0);
            field!(
                o,
                "rdb_changes_since_last_save",
                st.dirty.saturating_sub(p.dirty_at_save.load(Relaxed))
            );
            field!(
                o,
                "rdb_bgsave_in_progress",
                u8::from(p.bgsave_in_progress.load(Relaxed))
            );
            field!(o, "rdb_last_save_time", p.last_save_secs.load(Relaxed));
            field!(
                o,
                "rdb_last_bgsave_status",
                if p.last_bgsave_failed.load(Relaxed) {
                    "err"
                } else {
                    "ok"
                }
            );
            field!(
                o,
                "rdb_last_bgsave_time_sec",
                p.last_bgsave_secs.load(Relaxed)
            );
            field!(
                o,
                "rdb_current_bgsave_time_sec",
                if bg_start == 0 {
                    -1
                } else {
                    (now_ms.saturating_sub(bg_start) / 1000) as i64
                }
            );
            field!(o, "rdb_saves", p.saves.load(Relaxed));
            field!(o, "rdb_last_cow_size", p.last_cow_bytes.load(Relaxed));
            field!(
                o,
                "rdb_last_load_keys_expired",
                p.last_load_keys_expired.load(Relaxed)
            );
            field!(
                o,
                "rdb_last_load_keys_loaded",
                p.last_load_keys_loaded.load(Relaxed)
            );
            let a = &srv.aof;
            let ast = &a.stats;
            let enabled = srv.config.read().appendonly;
            field!(o, "aof_enabled", enabled as u8);
            field!(
                o,
                "aof_rewrite_in_progress",
                ast.rewrite_in_progress.load(Relaxed) as u8
            );
            field!(
                o,
                "aof_rewrite_scheduled",
                ast.rewrite_scheduled.load(Relaxed) as u8
            );
            field!(
                o,
                "aof_last_rewrite_time_sec",
                ast.last_rewrite_secs.load(Relaxed)
            );
            let rw_start = ast.rewrite_started_ms.load(Relaxed);
            field!(
                o,
                "aof_current_rewrite_time_sec",
                if rw_start == 0 {
                    -1
                } else {
                    (now_ms.saturating_sub(rw_start) / 1000) as i64
                }
            );
            field!(
                o,
                "aof_last_bgrewrite_status",
                if ast.last_rewrite_ok.load(Relaxed) {
                    "ok"
                } else {
                    "err"
                }
            );
            field!(o, "aof_rewrites", ast.rewrites.load(Relaxed));
            field!(
                o,
                "aof_rewrites_consecutive_failures",
                ast.consecutive_failures.load(Relaxed)
            );
            field!(
                o,
                "aof_last_write_status",
                if a.write_failed() { "err" } else { "ok" }
            );
            field!(o, "aof_last_cow_size", ast.last_cow_bytes.load(Relaxed));
            field!(o, "module_fork_in_progress", 0);
            field!(o, "module_fork_last_cow_size", 0);
            if enabled {
                let (size, base) = a
                    .files
                    .lock()
                    .as_ref()
                    .map_or((0, 0), |f| (f.total_size(), f.base_size));
                field!(o, "aof_current_size", size);
                field!(o, "aof_base_size", base);
                field!(
                    o,
                    "aof_pending_rewrite",
                    ast.rewrite_scheduled.load(Relaxed) as u8
                );
                field!(o, "aof_buffer_length", srv.keyspace.feed.pending());
                field!(o, "aof_pending_bio_fsync", 0);
                field!(o, "aof_delayed_fsync", ast.delayed_fsync.load(Relaxed));
            }
        }
        "stats" => {
            let st = ks.stats();
            let s = &srv.stats;
            o.push_str("# Stats\r\n");
            field!(
                o,
                "total_connections_received",
                s.connections_received.load(Relaxed)
            );
            field!(
                o,
                "total_commands_processed",
                s.commands_processed.load(Relaxed)
            );
            field!(o, "instantaneous_ops_per_sec", s.ops_per_sec.load(Relaxed));
            field!(o, "total_net_input_bytes", s.net_input_bytes.load(Relaxed));
            field!(
                o,
                "total_net_output_bytes",
                s.net_output_bytes.load(Relaxed)
            );
            field!(
                o,
                "total_net_repl_input_bytes",
                s.net_repl_input_bytes.load(Relaxed)
            );
            field!(
                o,
                "total_net_repl_output_bytes",
                s.net_repl_output_bytes.load(Relaxed)
            );
            field!(
                o,
                "instantaneous_input_kbps",
                format!("{:.2}", s.input_kbps_x100.load(Relaxed) as f64 / 100.0)
            );
            field!(
                o,
                "instantaneous_output_kbps",
                format!("{:.2}", s.output_kbps_x100.load(Relaxed) as f64 / 100.0)
            );
            field!(
                o,
                "rejected_connections",
                s.rejected_connections.load(Relaxed)
            );
            let r = &srv.replication;
            field!(o, "sync_full", r.sync_full.load(Relaxed));
            field!(o, "sync_partial_ok", r.sync_partial_ok.load(Relaxed));
            field!(o, "sync_partial_err", r.sync_partial_err.load(Relaxed));
            field!(o, "expired_keys", st.expired_keys);
            let ev = &srv.keyspace.evict;
            field!(o, "evicted_keys", ev.evicted_keys.load(Relaxed));
            field!(o, "evicted_clients", 0);
            field!(
                o,
                "total_eviction_exceeded_time",
                ev.exceeded_us.load(Relaxed) / 1000
            );
            field!(o, "keyspace_hits", st.keyspace_hits);
            field!(o, "keyspace_misses", st.keyspace_misses);
            use crate::server::pubsub::Kind;
            field!(o, "pubsub_channels", srv.pubsub.count(Kind::Channel));
            field!(o, "pubsub_patterns", srv.pubsub.count(Kind::Pattern));
            field!(o, "pubsubshard_channels", srv.pubsub.count(Kind::Shard));
            field!(o, "total_error_replies", s.error_replies.load(Relaxed));
            field!(o, "total_reads_processed", s.reads_processed.load(Relaxed));
            field!(
                o,
                "total_writes_processed",
                s.writes_processed.load(Relaxed)
            );
            // shoal only: the event loop's busy polling (`busy-poll-us`).
            field!(
                o,
                "busy_poll_window_us",
                srv.busy_poll.window_ns.load(Relaxed) / 1000
            );
            field!(o, "busy_poll_parks", srv.busy_poll.parks.load(Relaxed));
        }
        "replication" => crate::replication::info(srv, o),
        "cpu" => {
            let (sys, user) = rusage(libc::RUSAGE_SELF);
            let (csys, cuser) = rusage(libc::RUSAGE_CHILDREN);
            o.push_str("# CPU\r\n");
            field!(o, "used_cpu_sys", format!("{sys:.6}"));
            field!(o, "used_cpu_user", format!("{user:.6}"));
            field!(o, "used_cpu_sys_children", format!("{csys:.6}"));
            field!(o, "used_cpu_user_children", format!("{cuser:.6}"));
        }
        "modules" => o.push_str("# Modules\r\n"),
        "errorstats" => o.push_str("# Errorstats\r\n"),
        "cluster" => {
            o.push_str("# Cluster\r\n");
            field!(o, "cluster_enabled", srv.cluster.enabled as u8);
        }
        "commandstats" => {
            o.push_str("# Commandstats\r\n");
            for (id, row) in Table::get().rows.iter().enumerate() {
                let st = &srv.cmdstats[id];
                let calls = st.calls.load(Relaxed);
                let (rej, failed) = (st.rejected.load(Relaxed), st.failed.load(Relaxed));
                if calls == 0 && rej == 0 && failed == 0 {
                    continue;
                }
                let usec = st.usec.load(Relaxed);
                let per = if calls > 0 {
                    usec as f64 / calls as f64
                } else {
                    0.0
                };
                let _ = write!(
                    o,
                    "cmdstat_{}:calls={calls},usec={usec},usec_per_call={per:.2},rejected_calls={rej},failed_calls={failed}\r\n",
                    row.name
                );
            }
        }
        "keyspace" => {
            o.push_str("# Keyspace\r\n");
            for db in 0..srv.keyspace.databases() {
                let i = ks.db_info(db);
                if i.keys > 0 {
                    let _ = write!(
                        o,
                        "db{db}:keys={},expires={},avg_ttl={}\r\n",
                        i.keys, i.expires, i.avg_ttl
                    );
                }
            }
        }
        _ => {}
    }
}

fn total_system_memory() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| {
                    l.split_whitespace()
                        .nth(1)
                        .and_then(|k| k.parse::<u64>().ok())
                })
        })
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}
