//! Configuration: redis.conf directives, from a config file, the command line and CONFIG SET.
//!
//! [`DIRECTIVES`] is the single list of what we support: name, default, whether CONFIG SET may
//! change it at run time, and its documentation. The config file parser, `--name value`
//! arguments, CONFIG GET/SET/REWRITE and the shipped `config/shoal.conf` (checked by a test) all
//! come from it. Syntax follows redis.conf: one directive a line, `#` comments, arguments split
//! like redis-cli input (quotes allowed), memory sizes with `kb`/`mb`/`gb` units.

use crate::protocol::parse::split_args;
use crate::util::parse_memory;
use std::path::{Path, PathBuf};

/// Every setting shoal has, under its redis.conf name.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub bind: Vec<String>,
    pub port: u16,
    pub tcp_backlog: u32,
    pub tcp_keepalive: u64,
    pub timeout: u64,
    pub requirepass: String,
    pub databases: usize,
    pub shards: usize,
    /// `io-threads`: threads that serve clients, each reading, executing and writing for its
    /// connections; 0 = one per core the process may run on.
    pub io_threads: usize,
    /// `busy-poll-us`: microseconds an idle single-threaded event loop keeps polling its
    /// sockets before it sleeps (0 = sleep at once); the upper bound of an adaptive window.
    pub busy_poll_us: u64,
    pub loglevel: String,
    pub logfile: String,
    pub maxclients: u64,
    /// `maxmemory`, bytes: the limit on used_memory (0 = none).
    pub maxmemory: u64,
    /// `maxmemory-policy`: what goes when the limit is reached.
    pub maxmemory_policy: crate::keyspace::evict::Policy,
    /// `maxmemory-samples`: keys sampled per round to pick a victim.
    pub maxmemory_samples: u32,
    /// `maxmemory-eviction-tenacity` (0..=100): how long one command may evict.
    pub maxmemory_eviction_tenacity: u32,
    /// `replica-ignore-maxmemory`: a replica leaves eviction to its primary.
    pub replica_ignore_maxmemory: bool,
    /// `jemalloc-bg-thread`: jemalloc's background threads return freed pages to the OS.
    pub jemalloc_bg_thread: bool,
    /// `lfu-log-factor` and `lfu-decay-time` (minutes) of the LFU counter.
    pub lfu_log_factor: u32,
    pub lfu_decay_time: u32,
    pub proto_max_bulk_len: u64,
    pub client_query_buffer_limit: u64,
    pub hz: u64,
    pub slowlog_log_slower_than: i64,
    pub slowlog_max_len: u64,
    /// RDB save points: save when at least `changes` writes happened in `seconds`.
    pub save: Vec<(u64, u64)>,
    /// Directory of the RDB file (and the AOF later); relative to the working directory.
    pub dir: String,
    /// RDB file name inside `dir`.
    pub dbfilename: String,
    /// LZF-compress long strings in RDB files and DUMP payloads.
    pub rdbcompression: bool,
    /// Write (and check on load) the RDB CRC64 trailer.
    pub rdbchecksum: bool,
    /// Refuse writes (-MISCONF) while the last background save failed and save points exist.
    pub stop_writes_on_bgsave_error: bool,
    /// Keep an append-only file (the AOF) of every write.
    pub appendonly: bool,
    /// When the AOF is fsynced: after every write batch, once a second, or when the OS likes.
    pub appendfsync: crate::persistence::aof::Fsync,
    /// Prefix of the AOF's file names (`appendonly.aof` -> `appendonly.aof.1.incr.aof`).
    pub appendfilename: String,
    /// Directory, inside `dir`, of the AOF's files and manifest.
    pub appenddirname: String,
    /// Load an AOF whose last file ends in the middle of a command (truncating it there).
    pub aof_load_truncated: bool,
    /// Write the AOF's base as an RDB file (else as commands).
    pub aof_use_rdb_preamble: bool,
    /// Rewrite the AOF when it grew by this percentage since the last rewrite (0 = never)...
    pub auto_aof_rewrite_percentage: u64,
    /// ...and is at least this big, bytes.
    pub auto_aof_rewrite_min_size: u64,
    /// Microseconds a snapshot sleeps per key it writes (a debugging knob, as Redis's).
    pub rdb_key_save_delay: u64,
    /// Bytes of the replication stream kept for partial resyncs.
    pub repl_backlog_size: u64,
    /// Seconds between the PINGs a primary sends its replicas.
    pub repl_ping_replica_period: u64,
    /// Seconds without replicas after which a primary frees its backlog (0 = never).
    pub repl_backlog_ttl: u64,
    /// Refuse writes unless this many replicas (0 = off) acknowledged within
    /// `min_replicas_max_lag` seconds.
    pub min_replicas_to_write: u64,
    pub min_replicas_max_lag: u64,
    /// (hard bytes, soft bytes, soft seconds) of the normal, replica and pubsub classes.
    pub client_output_buffer_limit: [(u64, u64, u64); 3],
    /// Keyspace notification classes (`crate::server::notify` bits).
    pub notify_keyspace_events: u32,
    /// The primary to follow at start-up (host, port); `None`: this node is a primary.
    pub replicaof: Option<(String, u16)>,
    /// Password (and user, when not empty) the replica AUTHs with at its primary.
    pub masterauth: String,
    pub masteruser: String,
    /// A replica refuses writes from its clients (`-READONLY`).
    pub replica_read_only: bool,
    /// A replica whose link is down still answers reads (no: `-MASTERDOWN`).
    pub replica_serve_stale_data: bool,
    /// `cluster-enabled`: run as a cluster node (slots, CLUSTER commands, the bus).
    pub cluster_enabled: bool,
    /// `cluster-config-file`: the node's persisted cluster state (its id and the consensus log),
    /// relative to `dir`.
    pub cluster_config_file: String,
    /// `cluster-node-timeout`, milliseconds: how long a node may be unreachable before it is
    /// failed (and its replica promoted), and half of it the lease of a node cut off.
    pub cluster_node_timeout: u64,
    /// `cluster-port`: the cluster bus port; 0 = `port` + 10000.
    pub cluster_port: u16,
    /// `cluster-require-full-coverage`: refuse keyed commands while some slot has no owner.
    pub cluster_require_full_coverage: bool,
    /// `cluster-allow-reads-when-down`: serve reads while the cluster state is fail.
    pub cluster_allow_reads_when_down: bool,
    /// `cluster-announce-ip`, `-port`, `-bus-port`: the address other nodes and clients are
    /// told ("" / 0 = the address it was met at, `port`, the bus port).
    pub cluster_announce_ip: String,
    pub cluster_announce_port: u16,
    pub cluster_announce_bus_port: u16,
}

impl Default for Config {
    fn default() -> Self {
        let mut c = Config {
            bind: vec![],
            port: 0,
            tcp_backlog: 0,
            tcp_keepalive: 0,
            timeout: 0,
            requirepass: String::new(),
            databases: 0,
            shards: 0,
            io_threads: 0,
            busy_poll_us: 50,
            loglevel: String::new(),
            logfile: String::new(),
            maxclients: 0,
            maxmemory: 0,
            maxmemory_policy: crate::keyspace::evict::Policy::NoEviction,
            maxmemory_samples: 0,
            maxmemory_eviction_tenacity: 0,
            replica_ignore_maxmemory: true,
            jemalloc_bg_thread: true,
            lfu_log_factor: 0,
            lfu_decay_time: 0,
            proto_max_bulk_len: 0,
            client_query_buffer_limit: 0,
            hz: 0,
            slowlog_log_slower_than: 0,
            slowlog_max_len: 0,
            save: Vec::new(),
            dir: String::new(),
            dbfilename: String::new(),
            rdbcompression: true,
            rdbchecksum: true,
            stop_writes_on_bgsave_error: true,
            appendonly: false,
            appendfsync: crate::persistence::aof::Fsync::Everysec,
            appendfilename: String::new(),
            appenddirname: String::new(),
            aof_load_truncated: true,
            aof_use_rdb_preamble: true,
            auto_aof_rewrite_percentage: 0,
            auto_aof_rewrite_min_size: 0,
            rdb_key_save_delay: 0,
            repl_backlog_size: 0,
            repl_ping_replica_period: 0,
            repl_backlog_ttl: 0,
            min_replicas_to_write: 0,
            min_replicas_max_lag: 0,
            client_output_buffer_limit: [(0, 0, 0); 3],
            notify_keyspace_events: 0,
            replicaof: None,
            masterauth: String::new(),
            masteruser: String::new(),
            replica_read_only: true,
            replica_serve_stale_data: true,
            cluster_enabled: false,
            cluster_config_file: String::new(),
            cluster_node_timeout: 0,
            cluster_port: 0,
            cluster_require_full_coverage: true,
            cluster_allow_reads_when_down: false,
            cluster_announce_ip: String::new(),
            cluster_announce_port: 0,
            cluster_announce_bus_port: 0,
        };
        for d in DIRECTIVES {
            let args: Vec<String> = split_line(d.default).unwrap_or_default();
            (d.set)(&mut c, &args).expect("directive defaults parse");
        }
        c
    }
}

type Setter = fn(&mut Config, &[String]) -> Result<(), String>;
type Getter = fn(&Config) -> String;

/// One supported directive.
pub struct Directive {
    /// redis.conf name, lower case.
    pub name: &'static str,
    /// Default, as it would be written in redis.conf.
    pub default: &'static str,
    /// Whether CONFIG SET may change it while running.
    pub mutable: bool,
    /// One paragraph for config/shoal.conf.
    pub doc: &'static str,
    pub set: Setter,
    pub get: Getter,
}

fn one(args: &[String]) -> Result<&str, String> {
    match args {
        [a] => Ok(a),
        _ => Err("wrong number of arguments".into()),
    }
}

fn int<T: std::str::FromStr>(args: &[String], min: i64, max: i64) -> Result<T, String> {
    let s = one(args)?;
    let v: i64 = s
        .parse()
        .map_err(|_| "argument couldn't be parsed into an integer".to_string())?;
    if v < min || v > max {
        return Err(format!(
            "argument must be between {min} and {max} inclusive"
        ));
    }
    s.parse::<T>()
        .map_err(|_| "argument couldn't be parsed into an integer".to_string())
}

fn yes_no(args: &[String]) -> Result<bool, String> {
    match one(args)?.to_ascii_lowercase().as_str() {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err("argument must be 'yes' or 'no'".into()),
    }
}

fn yes_no_str(b: bool) -> String {
    if b { "yes" } else { "no" }.into()
}

/// `save` arguments: pairs of seconds and changes, or one empty string for none (Redis's
/// "Invalid save parameters" otherwise).
fn parse_save_points(args: &[String]) -> Result<Vec<(u64, u64)>, String> {
    // CONFIG SET passes the whole value as one argument; the config file, separate words.
    let words: Vec<&str> = args.iter().flat_map(|a| a.split_whitespace()).collect();
    if words.is_empty() {
        return Ok(Vec::new());
    }
    if words.len() % 2 != 0 {
        return Err("Invalid save parameters".into());
    }
    words
        .chunks(2)
        .map(|p| match (p[0].parse::<u64>(), p[1].parse::<u64>()) {
            (Ok(s), Ok(n)) if s > 0 && n > 0 => Ok((s, n)),
            _ => Err("Invalid save parameters".into()),
        })
        .collect()
}

fn mem(args: &[String]) -> Result<u64, String> {
    parse_memory(one(args)?).ok_or_else(|| "argument must be a memory value".to_string())
}

/// The directives shoal supports, in the order config/shoal.conf lists them.
pub static DIRECTIVES: &[Directive] = &[
    Directive {
        name: "bind",
        default: "127.0.0.1",
        mutable: false,
        doc: "Addresses to listen on, one or more. Use 0.0.0.0 or :: to listen everywhere.",
        set: |c, a| {
            if a.is_empty() {
                return Err("wrong number of arguments".into());
            }
            c.bind = a.to_vec();
            Ok(())
        },
        get: |c| c.bind.join(" "),
    },
    Directive {
        name: "port",
        default: "6379",
        mutable: false,
        doc: "TCP port for clients.",
        set: |c, a| {
            c.port = int(a, 0, 65535)?;
            Ok(())
        },
        get: |c| c.port.to_string(),
    },
    Directive {
        name: "tcp-backlog",
        default: "511",
        mutable: false,
        doc: "Listen backlog of the client socket.",
        set: |c, a| {
            c.tcp_backlog = int(a, 0, i32::MAX as i64)?;
            Ok(())
        },
        get: |c| c.tcp_backlog.to_string(),
    },
    Directive {
        name: "tcp-keepalive",
        default: "300",
        mutable: true,
        doc: "Seconds between TCP keepalive probes on client sockets; 0 disables them.",
        set: |c, a| {
            c.tcp_keepalive = int(a, 0, i32::MAX as i64)?;
            Ok(())
        },
        get: |c| c.tcp_keepalive.to_string(),
    },
    Directive {
        name: "timeout",
        default: "0",
        mutable: true,
        doc: "Close a client after it has been idle this many seconds; 0 never closes idle clients.",
        set: |c, a| {
            c.timeout = int(a, 0, i32::MAX as i64)?;
            Ok(())
        },
        get: |c| c.timeout.to_string(),
    },
    Directive {
        name: "requirepass",
        default: "\"\"",
        mutable: true,
        doc: "Password of the default user; clients must AUTH before other commands. Empty: no password.",
        set: |c, a| {
            c.requirepass = one(a)?.to_string();
            Ok(())
        },
        get: |c| c.requirepass.clone(),
    },
    Directive {
        name: "databases",
        default: "16",
        mutable: false,
        doc: "Number of databases (SELECT 0 .. databases-1).",
        set: |c, a| {
            c.databases = int(a, 1, i32::MAX as i64)?;
            Ok(())
        },
        get: |c| c.databases.to_string(),
    },
    Directive {
        name: "shards",
        default: "16",
        mutable: false,
        doc: "shoal only: number of keyspace shards, each a range of hash slots behind its own lock \
              (a power of two, 1 to 16384). More shards mean less lock contention between cores.",
        set: |c, a| {
            let n: usize = int(a, 1, 16384)?;
            if !n.is_power_of_two() {
                return Err("argument must be a power of two".into());
            }
            c.shards = n;
            Ok(())
        },
        get: |c| c.shards.to_string(),
    },
    Directive {
        name: "io-threads",
        default: "0",
        mutable: false,
        doc: "Threads serving clients. Unlike Redis's I/O threads, each one reads, executes and \
              writes for its own connections (commands of different shards run in parallel). \
              0 = one per core this process may run on (taskset and cgroup limits count); \
              1 = a single thread, as Redis.",
        set: |c, a| {
            c.io_threads = int(a, 0, 128)?;
            Ok(())
        },
        get: |c| c.io_threads.to_string(),
    },
    Directive {
        name: "busy-poll-us",
        default: "50",
        mutable: true,
        doc: "shoal only: microseconds a single-threaded event loop (io-threads 1) that ran out of \
              ready clients keeps polling its sockets before it sleeps, 0 to 10000. The time \
              adapts between 0 and this bound: it grows while requests come closer together \
              than the bound and falls to 0 when they come further apart, so an idle or lightly \
              loaded server does not poll. 0 = always sleep at once, as Redis does.",
        set: |c, a| {
            c.busy_poll_us = int(a, 0, 10_000)?;
            Ok(())
        },
        get: |c| c.busy_poll_us.to_string(),
    },
    Directive {
        name: "loglevel",
        default: "notice",
        mutable: true,
        doc: "Log verbosity: debug, verbose, notice or warning.",
        set: |c, a| {
            let v = one(a)?.to_ascii_lowercase();
            if !["debug", "verbose", "notice", "warning", "nothing"].contains(&v.as_str()) {
                return Err("argument(s) must be one of the following: debug, verbose, notice, warning, nothing".into());
            }
            c.loglevel = v;
            Ok(())
        },
        get: |c| c.loglevel.clone(),
    },
    Directive {
        name: "logfile",
        default: "\"\"",
        mutable: false,
        doc: "File to log to; empty logs to standard output.",
        set: |c, a| {
            c.logfile = one(a)?.to_string();
            Ok(())
        },
        get: |c| c.logfile.clone(),
    },
    Directive {
        name: "daemonize",
        default: "no",
        mutable: false,
        doc: "Accepted so that a redis.conf with `daemonize no` loads; shoal always runs in the \
              foreground. `yes` is refused: run it under a service manager (systemd, a \
              container) instead.",
        set: |_, a| {
            if yes_no(a)? {
                return Err("shoal does not daemonize: set 'daemonize no' and run it under a \
                            service manager"
                    .into());
            }
            Ok(())
        },
        get: |_| "no".into(),
    },
    Directive {
        name: "maxclients",
        default: "10000",
        mutable: true,
        doc: "Most clients connected at once; one more gets '-ERR max number of clients reached' and is closed.",
        set: |c, a| {
            c.maxclients = int(a, 1, i32::MAX as i64)?;
            Ok(())
        },
        get: |c| c.maxclients.to_string(),
    },
    Directive {
        name: "maxmemory",
        default: "0",
        mutable: true,
        doc: "Memory limit, bytes (units: kb, mb, gb): when used_memory passes it, keys are \
              evicted under maxmemory-policy, or writes refused with -OOM under noeviction. \
              0: no limit. See docs/memory.md.",
        set: |c, a| {
            c.maxmemory = mem(a)?;
            Ok(())
        },
        get: |c| c.maxmemory.to_string(),
    },
    Directive {
        name: "maxmemory-policy",
        default: "noeviction",
        mutable: true,
        doc: "Which keys go when maxmemory is reached: volatile-lru, allkeys-lru (least recently \
              used, approximated by sampling), volatile-lfu, allkeys-lfu (least frequently used), \
              volatile-random, allkeys-random, volatile-ttl (nearest expiry first), noeviction \
              (refuse writes with -OOM). volatile-*: only keys with an expiry.",
        set: |c, a| {
            c.maxmemory_policy = crate::keyspace::evict::Policy::parse(one(a)?).ok_or_else(|| {
                "argument(s) must be one of the following: volatile-lru, volatile-lfu, \
                 volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, \
                 noeviction"
                    .to_string()
            })?;
            Ok(())
        },
        get: |c| c.maxmemory_policy.name().into(),
    },
    Directive {
        name: "maxmemory-samples",
        default: "5",
        mutable: true,
        doc: "Keys sampled per round to choose a victim (LRU, LFU, TTL policies): more is more \
              precise and slower. Up to 1024 are used.",
        set: |c, a| {
            c.maxmemory_samples = int(a, 1, i32::MAX as i64)?;
            Ok(())
        },
        get: |c| c.maxmemory_samples.to_string(),
    },
    Directive {
        name: "maxmemory-eviction-tenacity",
        default: "10",
        mutable: true,
        doc: "How long one command may spend evicting before it runs anyway (the rest is evicted \
              by later commands and the cron): 10 is 500 microseconds, each step above adds 15 %, \
              100 is no limit.",
        set: |c, a| {
            c.maxmemory_eviction_tenacity = int(a, 0, 100)?;
            Ok(())
        },
        get: |c| c.maxmemory_eviction_tenacity.to_string(),
    },
    Directive {
        name: "replica-ignore-maxmemory",
        default: "yes",
        mutable: true,
        doc: "A replica does not evict on its own: its primary's evictions reach it as DELs.",
        set: |c, a| {
            c.replica_ignore_maxmemory = yes_no(a)?;
            Ok(())
        },
        get: |c| yes_no_str(c.replica_ignore_maxmemory),
    },
    Directive {
        name: "lfu-log-factor",
        default: "10",
        mutable: true,
        doc: "LFU policies: how many hits grow the 8-bit frequency counter (logarithmic; at 10 \
              about a million hits reach 255).",
        set: |c, a| {
            c.lfu_log_factor = int(a, 0, i32::MAX as i64)?;
            Ok(())
        },
        get: |c| c.lfu_log_factor.to_string(),
    },
    Directive {
        name: "lfu-decay-time",
        default: "1",
        mutable: true,
        doc: "LFU policies: minutes of idleness that take one off a key's frequency counter \
              (0: never decays).",
        set: |c, a| {
            c.lfu_decay_time = int(a, 0, i32::MAX as i64)?;
            Ok(())
        },
        get: |c| c.lfu_decay_time.to_string(),
    },
    Directive {
        name: "jemalloc-bg-thread",
        default: "yes",
        mutable: true,
        doc: "jemalloc's background threads return freed memory to the OS about a second after \
              it is freed, even when the server is idle; they run at the lowest CPU priority \
              (nice 19). With no, freed pages go back only as allocations go on.",
        set: |c, a| {
            c.jemalloc_bg_thread = yes_no(a)?;
            Ok(())
        },
        get: |c| yes_no_str(c.jemalloc_bg_thread),
    },
    Directive {
        name: "proto-max-bulk-len",
        default: "512mb",
        mutable: true,
        doc: "Largest bulk string a client may send, bytes (also the largest string value).",
        set: |c, a| {
            let v = mem(a)?;
            if v < 1024 * 1024 {
                return Err("argument must be between 1048576 and 9223372036854775807 inclusive".into());
            }
            c.proto_max_bulk_len = v;
            Ok(())
        },
        get: |c| c.proto_max_bulk_len.to_string(),
    },
    Directive {
        name: "client-query-buffer-limit",
        default: "1gb",
        mutable: true,
        doc: "Largest unprocessed input one client may accumulate, bytes; past it the client is closed.",
        set: |c, a| {
            let v = mem(a)?;
            if v < 1024 * 1024 {
                return Err("argument must be between 1048576 and 9223372036854775807 inclusive".into());
            }
            c.client_query_buffer_limit = v;
            Ok(())
        },
        get: |c| c.client_query_buffer_limit.to_string(),
    },
    Directive {
        name: "hz",
        default: "10",
        mutable: true,
        doc: "Background ticks per second (active expiry, statistics sampling), 1 to 500.",
        set: |c, a| {
            c.hz = int(a, 0, i32::MAX as i64)?;
            c.hz = c.hz.clamp(1, 500);
            Ok(())
        },
        get: |c| c.hz.to_string(),
    },
    Directive {
        name: "slowlog-log-slower-than",
        default: "10000",
        mutable: true,
        doc: "Log commands slower than this many microseconds to the slow log; 0 logs every command, -1 none.",
        set: |c, a| {
            c.slowlog_log_slower_than = int(a, -1, i64::MAX)?;
            Ok(())
        },
        get: |c| c.slowlog_log_slower_than.to_string(),
    },
    Directive {
        name: "slowlog-max-len",
        default: "128",
        mutable: true,
        doc: "Entries the slow log keeps.",
        set: |c, a| {
            c.slowlog_max_len = int(a, 0, i64::MAX)?;
            Ok(())
        },
        get: |c| c.slowlog_max_len.to_string(),
    },
    Directive {
        name: "save",
        default: "3600 1 300 100 60 10000",
        mutable: true,
        doc: "RDB save points: `save <seconds> <changes> [<seconds> <changes> ...]` writes a snapshot \
              in the background when at least <changes> writes happened within <seconds>. \
              `save \"\"` disables them (SAVE, BGSAVE and SHUTDOWN SAVE still work). Several \
              `save` lines in a config file add up, as in redis.conf.",
        set: |c, a| {
            c.save = parse_save_points(a)?;
            Ok(())
        },
        get: |c| {
            c.save
                .iter()
                .map(|(s, n)| format!("{s} {n}"))
                .collect::<Vec<_>>()
                .join(" ")
        },
    },
    Directive {
        name: "dir",
        default: "./",
        mutable: true,
        doc: "Directory where the RDB file is written and read (absolute, or relative to the \
              directory the server was started in).",
        set: |c, a| {
            let d = one(a)?;
            if d.is_empty() {
                return Err("dir must not be empty".into());
            }
            c.dir = d.to_string();
            Ok(())
        },
        get: |c| c.dir.clone(),
    },
    Directive {
        name: "dbfilename",
        default: "dump.rdb",
        mutable: true,
        doc: "File name of the RDB snapshot inside `dir`.",
        set: |c, a| {
            let f = one(a)?;
            if f.is_empty() || f.contains('/') {
                return Err("dbfilename can't be a path, just a filename".into());
            }
            c.dbfilename = f.to_string();
            Ok(())
        },
        get: |c| c.dbfilename.clone(),
    },
    Directive {
        name: "rdbcompression",
        default: "yes",
        mutable: true,
        doc: "LZF-compress strings longer than 20 bytes in RDB files, AOF bases and DUMP payloads \
              when that saves space. no saves CPU and makes bigger files.",
        set: |c, a| {
            c.rdbcompression = yes_no(a)?;
            Ok(())
        },
        get: |c| yes_no_str(c.rdbcompression),
    },
    Directive {
        name: "rdbchecksum",
        default: "yes",
        mutable: true,
        doc: "End RDB files (and AOF bases) with a CRC64 of their content and verify it when \
              loading at start-up. no writes 0 instead (\"not computed\") and skips the check. \
              A stored 0 always loads.",
        set: |c, a| {
            c.rdbchecksum = yes_no(a)?;
            Ok(())
        },
        get: |c| yes_no_str(c.rdbchecksum),
    },
    Directive {
        name: "stop-writes-on-bgsave-error",
        default: "yes",
        mutable: true,
        doc: "While the last background save failed and save points are set, refuse write \
              commands with -MISCONF, so a broken disk is noticed rather than data silently \
              not persisted.",
        set: |c, a| {
            c.stop_writes_on_bgsave_error = yes_no(a)?;
            Ok(())
        },
        get: |c| yes_no_str(c.stop_writes_on_bgsave_error),
    },
    Directive {
        name: "appendonly",
        default: "no",
        mutable: true,
        doc: "Keep an append-only file: every write is appended, in RESP, to the AOF in \
              `dir`/`appenddirname`, and the AOF (not the RDB file) is loaded at start-up. Turning \
              it on (here or with CONFIG SET) writes a base file of the current data first; \
              when there is no AOF yet but an RDB file, start-up loads the RDB file.",
        set: |c, a| {
            c.appendonly = yes_no(a)?;
            Ok(())
        },
        get: |c| yes_no_str(c.appendonly),
    },
    Directive {
        name: "appendfsync",
        default: "everysec",
        mutable: true,
        doc: "When the AOF is fsynced. always: before the replies of the writes are sent (no \
              acknowledged write is lost, even by a power failure). everysec: once a second (a \
              crash of the machine loses at most about a second; a crash of the process loses \
              nothing, as the write reaches the OS before the reply goes out). no: when the OS \
              decides.",
        set: |c, a| {
            c.appendfsync = match one(a)?.to_ascii_lowercase().as_str() {
                "always" => crate::persistence::aof::Fsync::Always,
                "everysec" => crate::persistence::aof::Fsync::Everysec,
                "no" => crate::persistence::aof::Fsync::No,
                _ => return Err("argument(s) must be one of the following: always, everysec, no".into()),
            };
            Ok(())
        },
        get: |c| c.appendfsync.name().into(),
    },
    Directive {
        name: "appendfilename",
        default: "appendonly.aof",
        mutable: false,
        doc: "Prefix of the AOF's file names: `<name>.manifest`, `<name>.<n>.base.rdb`, \
              `<name>.<n>.incr.aof` (Redis 7.0's multi-part AOF).",
        set: |c, a| {
            let f = one(a)?;
            if f.is_empty() || f.contains('/') {
                return Err("appendfilename can't be a path, just a filename".into());
            }
            c.appendfilename = f.to_string();
            Ok(())
        },
        get: |c| c.appendfilename.clone(),
    },
    Directive {
        name: "appenddirname",
        default: "appendonlydir",
        mutable: false,
        doc: "Directory of the AOF's files, inside `dir`.",
        set: |c, a| {
            let f = one(a)?;
            if f.is_empty() || f.contains('/') {
                return Err("appenddirname can't be a path, just a dirname".into());
            }
            c.appenddirname = f.to_string();
            Ok(())
        },
        get: |c| c.appenddirname.clone(),
    },
    Directive {
        name: "aof-load-truncated",
        default: "yes",
        mutable: true,
        doc: "When the AOF's last file ends in the middle of a command (the process or machine \
              died while appending), yes: log it, cut the file back to the last whole command \
              and start; no: refuse to start (fix it with `shoal-server --check-aof --fix`).",
        set: |c, a| {
            c.aof_load_truncated = yes_no(a)?;
            Ok(())
        },
        get: |c| yes_no_str(c.aof_load_truncated),
    },
    Directive {
        name: "aof-use-rdb-preamble",
        default: "yes",
        mutable: true,
        doc: "Write the AOF's base (at each rewrite) as an RDB file, `<name>.<n>.base.rdb`, which \
              is smaller and loads faster; no writes it as the commands that rebuild the data, \
              `<name>.<n>.base.aof`. Either form loads.",
        set: |c, a| {
            c.aof_use_rdb_preamble = yes_no(a)?;
            Ok(())
        },
        get: |c| yes_no_str(c.aof_use_rdb_preamble),
    },
    Directive {
        name: "auto-aof-rewrite-percentage",
        default: "100",
        mutable: true,
        doc: "Rewrite the AOF in the background (as BGREWRITEAOF) when it has grown by this \
              percentage since the last rewrite, and is at least auto-aof-rewrite-min-size. 0 \
              turns automatic rewrites off.",
        set: |c, a| {
            c.auto_aof_rewrite_percentage = int(a, 0, i32::MAX as i64)?;
            Ok(())
        },
        get: |c| c.auto_aof_rewrite_percentage.to_string(),
    },
    Directive {
        name: "auto-aof-rewrite-min-size",
        default: "64mb",
        mutable: true,
        doc: "Smallest AOF size, bytes, at which automatic rewrites happen.",
        set: |c, a| {
            c.auto_aof_rewrite_min_size = mem(a)?;
            Ok(())
        },
        get: |c| c.auto_aof_rewrite_min_size.to_string(),
    },
    Directive {
        name: "rdb-key-save-delay",
        default: "0",
        mutable: true,
        doc: "Debugging: microseconds a snapshot (BGSAVE, BGREWRITEAOF) sleeps per key it writes, \
              so tests can write while one runs. Keep 0 in production.",
        set: |c, a| {
            c.rdb_key_save_delay = int(a, 0, 1_000_000)?;
            Ok(())
        },
        get: |c| c.rdb_key_save_delay.to_string(),
    },
    Directive {
        name: "repl-backlog-size",
        default: "1mb",
        mutable: true,
        doc: "Bytes of the replication stream a primary keeps, so a replica that lost its link \
              for a moment continues with a partial resync (+CONTINUE) instead of a full copy. \
              Created when the first replica connects.",
        set: |c, a| {
            c.repl_backlog_size = mem(a)?.max(16 * 1024);
            Ok(())
        },
        get: |c| c.repl_backlog_size.to_string(),
    },
    Directive {
        name: "repl-backlog-ttl",
        default: "3600",
        mutable: true,
        doc: "Seconds a primary keeps its backlog after its last replica left; then it frees it \
              (and takes a new replication id). 0 keeps it forever. Replicas never free theirs.",
        set: |c, a| {
            c.repl_backlog_ttl = int(a, 0, i32::MAX as i64)?;
            Ok(())
        },
        get: |c| c.repl_backlog_ttl.to_string(),
    },
    Directive {
        name: "repl-ping-replica-period",
        default: "10",
        mutable: true,
        doc: "Seconds between the PINGs a primary sends down the replication stream, so replicas \
              see the link alive when no writes flow.",
        set: |c, a| {
            c.repl_ping_replica_period = int(a, 1, i32::MAX as i64)?;
            Ok(())
        },
        get: |c| c.repl_ping_replica_period.to_string(),
    },
    Directive {
        name: "min-replicas-to-write",
        default: "0",
        mutable: true,
        doc: "Refuse write commands (-NOREPLICAS) unless at least this many replicas are \
              connected and acknowledged within min-replicas-max-lag seconds; 0 turns the check \
              off.",
        set: |c, a| {
            c.min_replicas_to_write = int(a, 0, i32::MAX as i64)?;
            Ok(())
        },
        get: |c| c.min_replicas_to_write.to_string(),
    },
    Directive {
        name: "min-replicas-max-lag",
        default: "10",
        mutable: true,
        doc: "Seconds since its last acknowledgement within which a replica counts for \
              min-replicas-to-write.",
        set: |c, a| {
            c.min_replicas_max_lag = int(a, 0, i32::MAX as i64)?;
            Ok(())
        },
        get: |c| c.min_replicas_max_lag.to_string(),
    },
    Directive {
        name: "client-output-buffer-limit",
        default: "normal 0 0 0 replica 256mb 64mb 60 pubsub 32mb 8mb 60",
        mutable: true,
        doc: "Output buffer limits per client class: <class> <hard> <soft> <soft-seconds>, one or \
              more classes (normal, replica, pubsub). A client whose pending output passes the hard \
              limit, or stays above the soft limit for soft-seconds, is closed; 0 disables a limit. \
              shoal enforces the pubsub class on subscribers (messages published to them and not \
              yet written); normal replies are written in bounded batches already.",
        set: |c, a| {
            let words: Vec<&str> = a.iter().flat_map(|x| x.split_whitespace()).collect();
            if words.is_empty() || words.len() % 4 != 0 {
                return Err("Wrong number of arguments in buffer limit configuration.".into());
            }
            let mut next = c.client_output_buffer_limit;
            for w in words.chunks(4) {
                let class = match w[0].to_ascii_lowercase().as_str() {
                    "normal" => 0,
                    "replica" | "slave" => 1,
                    "pubsub" => 2,
                    _ => {
                        return Err(
                            "Invalid client class specified in buffer limit configuration.".into(),
                        )
                    }
                };
                let bad = || "Error in hard, soft or soft_seconds setting in buffer limit configuration.".to_string();
                let hard = parse_memory(w[1]).ok_or_else(bad)?;
                let soft = parse_memory(w[2]).ok_or_else(bad)?;
                let secs: i64 = w[3].parse().map_err(|_| bad())?;
                if secs < 0 {
                    return Err(bad());
                }
                next[class] = (hard, soft, secs as u64);
            }
            c.client_output_buffer_limit = next;
            Ok(())
        },
        get: |c| {
            let l = &c.client_output_buffer_limit;
            format!(
                "normal {} {} {} slave {} {} {} pubsub {} {} {}",
                l[0].0, l[0].1, l[0].2, l[1].0, l[1].1, l[1].2, l[2].0, l[2].1, l[2].2
            )
        },
    },
    Directive {
        name: "notify-keyspace-events",
        default: "\"\"",
        mutable: true,
        doc: "Keyspace notifications published to pub/sub: K (keyspace channel), E (keyevent \
              channel), and the classes g (generic) $ (string) l (list) s (set) h (hash) z (zset) \
              x (expired) e (evicted) t (stream) m (key miss) d (module) n (new key), A = g$lshzxetd. \
              Nothing is published unless K or E is given. Empty: off. See docs/pubsub.md.",
        set: |c, a| {
            c.notify_keyspace_events = crate::server::notify::parse(one(a)?).ok_or_else(|| {
                "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".to_string()
            })?;
            Ok(())
        },
        get: |c| crate::server::notify::format(c.notify_keyspace_events),
    },
    Directive {
        name: "replicaof",
        default: "\"\"",
        mutable: false,
        doc: "<host> <port>: follow that primary (Redis or shoal) from start-up: copy its \
              dataset, then apply its stream of writes. At run time use REPLICAOF host port, \
              and REPLICAOF NO ONE to become a primary again. Empty: this node is a primary.",
        set: |c, a| {
            let words: Vec<&str> = a.iter().flat_map(|x| x.split_whitespace()).collect();
            match words[..] {
                [] => c.replicaof = None,
                [host, port] => {
                    let port: u16 = port
                        .parse()
                        .map_err(|_| "Invalid master port".to_string())?;
                    c.replicaof = Some((host.to_string(), port));
                }
                _ => return Err("wrong number of arguments".into()),
            }
            Ok(())
        },
        get: |c| match &c.replicaof {
            Some((h, p)) => format!("{h} {p}"),
            None => String::new(),
        },
    },
    Directive {
        name: "masterauth",
        default: "\"\"",
        mutable: true,
        doc: "Password a replica gives its primary (AUTH) before syncing, when the primary has \
              requirepass. Empty: none.",
        set: |c, a| {
            c.masterauth = one(a)?.to_string();
            Ok(())
        },
        get: |c| c.masterauth.clone(),
    },
    Directive {
        name: "masteruser",
        default: "\"\"",
        mutable: true,
        doc: "User a replica authenticates as at its primary (AUTH masteruser masterauth). \
              Empty: the default user.",
        set: |c, a| {
            c.masteruser = one(a)?.to_string();
            Ok(())
        },
        get: |c| c.masteruser.clone(),
    },
    Directive {
        name: "replica-read-only",
        default: "yes",
        mutable: true,
        doc: "A replica refuses writes from its clients with -READONLY (its primary's stream \
              is applied regardless). no: local writes are allowed, but never propagated and \
              lost at the next full resync.",
        set: |c, a| {
            c.replica_read_only = yes_no(a)?;
            Ok(())
        },
        get: |c| yes_no_str(c.replica_read_only),
    },
    Directive {
        name: "replica-serve-stale-data",
        default: "yes",
        mutable: true,
        doc: "While a replica's link to its primary is down (or the first sync runs), answer \
              reads with possibly stale data. no: commands other than INFO, PING, REPLICAOF, \
              CONFIG, ... reply -MASTERDOWN.",
        set: |c, a| {
            c.replica_serve_stale_data = yes_no(a)?;
            Ok(())
        },
        get: |c| yes_no_str(c.replica_serve_stale_data),
    },
    Directive {
        name: "cluster-enabled",
        default: "no",
        mutable: false,
        doc: "Run as a cluster node: keys live in the slots this node serves (others get \
              -MOVED), only database 0, the CLUSTER commands, and the cluster bus on \
              cluster-port. See docs/cluster.md.",
        set: |c, a| {
            c.cluster_enabled = yes_no(a)?;
            Ok(())
        },
        get: |c| yes_no_str(c.cluster_enabled),
    },
    Directive {
        name: "cluster-config-file",
        default: "nodes.conf",
        mutable: false,
        doc: "The node's cluster state (its id and the consensus log), written by shoal, kept \
              across restarts; relative to dir. Give each node of a machine its own.",
        set: |c, a| {
            c.cluster_config_file = one(a)?.to_string();
            Ok(())
        },
        get: |c| c.cluster_config_file.clone(),
    },
    Directive {
        name: "cluster-node-timeout",
        default: "15000",
        mutable: true,
        doc: "Milliseconds a node may be unreachable before it is failed and a replica of it \
              promoted. A node cut off from the cluster for half of it stops serving \
              (-CLUSTERDOWN).",
        set: |c, a| {
            c.cluster_node_timeout = int(a, 100, i64::MAX)?;
            Ok(())
        },
        get: |c| c.cluster_node_timeout.to_string(),
    },
    Directive {
        name: "cluster-port",
        default: "0",
        mutable: false,
        doc: "Port of the cluster bus; 0 = port + 10000.",
        set: |c, a| {
            c.cluster_port = int(a, 0, 65535)?;
            Ok(())
        },
        get: |c| c.cluster_port.to_string(),
    },
    Directive {
        name: "cluster-require-full-coverage",
        default: "yes",
        mutable: true,
        doc: "yes: while some slot has no serving node, keyed commands get -CLUSTERDOWN. no: \
              the covered slots keep serving.",
        set: |c, a| {
            c.cluster_require_full_coverage = yes_no(a)?;
            Ok(())
        },
        get: |c| yes_no_str(c.cluster_require_full_coverage),
    },
    Directive {
        name: "cluster-allow-reads-when-down",
        default: "no",
        mutable: true,
        doc: "Serve reads of this node's slots while the cluster state is fail.",
        set: |c, a| {
            c.cluster_allow_reads_when_down = yes_no(a)?;
            Ok(())
        },
        get: |c| yes_no_str(c.cluster_allow_reads_when_down),
    },
    Directive {
        name: "cluster-announce-ip",
        default: "\"\"",
        mutable: false,
        doc: "Address other nodes and clients are told to use for this node (behind NAT or in \
              containers); empty = the address it was met at.",
        set: |c, a| {
            c.cluster_announce_ip = one(a)?.to_string();
            Ok(())
        },
        get: |c| c.cluster_announce_ip.clone(),
    },
    Directive {
        name: "cluster-announce-port",
        default: "0",
        mutable: false,
        doc: "Client port announced to the cluster; 0 = port.",
        set: |c, a| {
            c.cluster_announce_port = int(a, 0, 65535)?;
            Ok(())
        },
        get: |c| c.cluster_announce_port.to_string(),
    },
    Directive {
        name: "cluster-announce-bus-port",
        default: "0",
        mutable: false,
        doc: "Bus port announced to the cluster; 0 = the bus port.",
        set: |c, a| {
            c.cluster_announce_bus_port = int(a, 0, 65535)?;
            Ok(())
        },
        get: |c| c.cluster_announce_bus_port.to_string(),
    },
];

/// Finds a directive by name, case-insensitively.
pub fn directive(name: &str) -> Option<&'static Directive> {
    DIRECTIVES
        .iter()
        .find(|d| d.name.eq_ignore_ascii_case(name))
}

/// Splits one config line into arguments (quotes as in redis.conf); `None` if quotes are unbalanced.
pub fn split_line(line: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut ranges = Vec::new();
    split_args(line.as_bytes(), &mut out, &mut ranges)?;
    Some(
        ranges
            .into_iter()
            .map(|r| String::from_utf8_lossy(&out[r]).into_owned())
            .collect(),
    )
}

/// A configuration error, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Config {
    /// Applies the lines of a config text; `origin` names it in errors (`FILE:LINE`).
    pub fn apply_text(&mut self, text: &str, origin: &str) -> Result<(), ConfigError> {
        let mut seen_save = false;
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let at = format!("{origin}:{}", i + 1);
            let args = split_line(line).ok_or_else(|| {
                ConfigError(format!("{at}: unbalanced quotes in configuration line"))
            })?;
            let (name, rest) = args.split_first().expect("non-empty line has a word");
            let d = directive(name).ok_or_else(|| {
                ConfigError(format!("{at}: Bad directive or wrong number of arguments: '{name}' is not a directive shoal supports"))
            })?;
            let before = (d.name == "save").then(|| self.save.clone());
            (d.set)(self, rest).map_err(|e| ConfigError(format!("{at}: '{line}': {e}")))?;
            if let Some(mut before) = before {
                // redis.conf lists one save point per line: a file's lines add up (the first
                // replaces the default), and `save ""` clears them.
                if seen_save && !self.save.is_empty() {
                    before.append(&mut self.save);
                    self.save = before;
                }
                seen_save = true;
            }
        }
        Ok(())
    }

    /// Builds the configuration from redis-server style arguments:
    /// `[CONFIG-FILE] [--directive value ...]...`; arguments win over the file.
    /// Returns the config and the config file's absolute path, if one was given.
    pub fn from_args(args: &[String]) -> Result<(Config, Option<PathBuf>), ConfigError> {
        let mut c = Config::default();
        let mut rest = args;
        let mut file = None;
        if let Some(first) = args.first() {
            if !first.starts_with("--") {
                let path = Path::new(first);
                let text = std::fs::read_to_string(path).map_err(|e| {
                    ConfigError(format!(
                        "Fatal error, can't open config file '{first}': {e}"
                    ))
                })?;
                c.apply_text(&text, first)?;
                file = Some(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()));
                rest = &args[1..];
            }
        }
        // `--name v1 v2 --other v` becomes the lines `name v1 v2` and `other v`, as redis-server.
        let mut lines = String::new();
        for a in rest {
            if let Some(name) = a.strip_prefix("--") {
                if !lines.is_empty() {
                    lines.push('\n');
                }
                lines.push_str(name);
            } else {
                if lines.is_empty() {
                    return Err(ConfigError(format!(
                        "Invalid argument '{a}': directives start with --"
                    )));
                }
                lines.push(' ');
                lines.push_str(&quote(a));
            }
        }
        c.apply_text(&lines, "command line argument")?;
        Ok((c, file))
    }

    /// The current value of a directive as CONFIG GET shows it.
    pub fn get(&self, d: &Directive) -> String {
        (d.get)(self)
    }

    /// The directive line CONFIG REWRITE writes.
    pub fn line(&self, d: &Directive) -> String {
        let v = self.get(d);
        if d.name == "bind" {
            return format!("bind {v}");
        }
        format!("{} {}", d.name, quote(&v))
    }
}

/// Quotes a value for a config line when it is empty or has spaces or quotes.
pub fn quote(v: &str) -> String {
    if v.is_empty() || v.contains([' ', '"', '\'', '\\']) {
        format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        v.to_string()
    }
}

/// Rewrites `text` (a config file's contents) so that every supported directive holds its
/// current value: existing lines are replaced in place, the rest are appended (CONFIG REWRITE).
/// Comments and unknown lines are kept.
pub fn rewrite(text: &str, c: &Config) -> String {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for raw in text.lines() {
        let line = raw.trim();
        let name = line
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match directive(&name) {
            Some(d) if !line.starts_with('#') => {
                if seen.insert(d.name) {
                    out.push(c.line(d));
                }
            }
            _ => out.push(raw.to_string()),
        }
    }
    let defaults = Config::default();
    let mut header = false;
    for d in DIRECTIVES {
        if !seen.contains(d.name) && c.get(d) != defaults.get(d) {
            if !header {
                out.push("# Generated by CONFIG REWRITE".into());
                header = true;
            }
            out.push(c.line(d));
        }
    }
    let mut s = out.join("\n");
    s.push('\n');
    s
}

/// The text of config/shoal.conf: every directive with its documentation and default.
pub fn reference_conf() -> String {
    let mut s = String::from(
        "# shoal configuration. Every directive shoal supports is listed here with its default.\n\
         # The syntax is redis.conf's; start with: shoal-server /path/to/shoal.conf\n\
         # Any directive may also be given on the command line: shoal-server --port 7000\n\
         # Directives marked (runtime) can be changed with CONFIG SET; CONFIG REWRITE saves them here.\n\
         # This file is generated from src/config.rs (a test checks that they agree).\n",
    );
    for d in DIRECTIVES {
        s.push('\n');
        for line in wrap(d.doc, 96) {
            s.push_str("# ");
            s.push_str(&line);
            s.push('\n');
        }
        if d.mutable {
            s.push_str("# (runtime)\n");
        }
        s.push_str(&format!("{} {}\n", d.name, d.default));
    }
    s
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for w in text.split_whitespace() {
        let cur = lines.last_mut().expect("starts with one line");
        if !cur.is_empty() && cur.len() + 1 + w.len() > width {
            lines.push(w.to_string());
        } else {
            if !cur.is_empty() {
                cur.push(' ');
            }
            cur.push_str(w);
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn defaults_match_redis() {
        let c = Config::default();
        assert_eq!(c.port, 6379);
        assert_eq!(c.bind, vec!["127.0.0.1"]);
        assert_eq!(c.proto_max_bulk_len, 512 * 1024 * 1024);
        assert_eq!(c.maxclients, 10000);
        assert_eq!(c.databases, 16);
    }

    #[test]
    fn command_line_directives_override() {
        let (c, f) = Config::from_args(&args(&[
            "--port",
            "7000",
            "--bind",
            "127.0.0.1",
            "::1",
            "--requirepass",
            "",
        ]))
        .unwrap();
        assert_eq!((c.port, f), (7000, None));
        assert_eq!(c.bind, vec!["127.0.0.1", "::1"]);
        assert_eq!(c.requirepass, "");
    }

    #[test]
    fn unknown_directive_names_file_and_line() {
        let mut c = Config::default();
        let e = c.apply_text("port 1\n\nnosuch 5\n", "x.conf").unwrap_err();
        assert!(e.0.starts_with("x.conf:3:"), "{e}");
        assert!(e.0.contains("nosuch"));
        let e = c.apply_text("port abc", "x.conf").unwrap_err();
        assert!(e.0.contains("x.conf:1"), "{e}");
    }

    #[test]
    fn daemonize_no_from_a_redis_conf_loads_and_yes_is_refused() {
        let mut c = Config::default();
        c.apply_text("daemonize no\nport 7000\n", "redis.conf")
            .unwrap();
        assert_eq!(c.port, 7000);
        let e = c
            .apply_text("daemonize yes\n", "redis.conf")
            .unwrap_err()
            .to_string();
        assert!(e.contains("does not daemonize"), "{e}");
    }

    #[test]
    fn rewrite_replaces_and_appends() {
        let c = Config {
            maxclients: 5,
            timeout: 7,
            ..Config::default()
        };
        let out = rewrite("# hi\nmaxclients 100\nport 6379\n", &c);
        assert_eq!(
            out,
            "# hi\nmaxclients 5\nport 6379\n# Generated by CONFIG REWRITE\ntimeout 7\n"
        );
    }

    #[test]
    fn shipped_config_file_is_the_reference() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/config/shoal.conf");
        let want = reference_conf();
        if std::env::var("SHOAL_BLESS").is_ok() {
            std::fs::write(path, &want).unwrap();
        }
        let have = std::fs::read_to_string(path).unwrap_or_default();
        assert_eq!(
            have, want,
            "config/shoal.conf is stale: run SHOAL_BLESS=1 cargo test"
        );
        let mut c = Config::default();
        c.apply_text(&have, "shoal.conf").unwrap();
        assert_eq!(c, Config::default());
    }
}
