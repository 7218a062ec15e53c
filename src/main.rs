//! `shoal-server [CONFIG-FILE] [--directive value ...]`: runs one node, redis-server style.
//!
//! Arguments follow redis-server: an optional config file in redis.conf syntax, then any
//! directive as `--name value` (e.g. `--port 7000 --bind 127.0.0.1 --requirepass pw`).
//! `--help` and `--version` print and exit; `--check-rdb FILE` checks an RDB file and exits;
//! `--check-aof [--fix] FILE|DIR` checks an AOF (a multi-part AOF's manifest or directory, or a
//! single file) as redis-check-aof does, `--fix` truncating a bad tail without asking, and
//! exits. `--local-cluster [SPEC] [--dir DIR] [directives]` starts, forms and supervises a whole
//! cluster of child nodes (`shoal::cluster::local`). A bad directive names its file and line and
//! exits 1.

use shoal::config::Config;
use shoal::server::{self, Shared};

#[global_allocator]
static ALLOC: shoal::memory::Counting = shoal::memory::Counting;

/// jemalloc's options, read at its start: dirty pages are purged after 1 s instead of 10 s, so
/// RSS follows used_memory down after evictions and deletes. The background threads that purge
/// them are started with the configuration (`jemalloc-bg-thread yes`, the default, as Redis's),
/// at a low priority ([`shoal::memory::set_background_purge`]).
#[allow(non_upper_case_globals)]
#[export_name = "_rjem_malloc_conf"]
pub static malloc_conf: &[u8] = b"background_thread:false,dirty_decay_ms:1000,muzzy_decay_ms:0\0";

const USAGE: &str = "Usage: shoal-server [/path/to/shoal.conf] [options]
       shoal-server -v or --version
       shoal-server -h or --help
       shoal-server --check-rdb <file.rdb>
       shoal-server --check-aof [--fix] <file.manifest|file.aof|dir>
       shoal-server --local-cluster [shards=3,replicas=1,base-port=7000] [--dir DIR] [options]

Examples:
       shoal-server (run on 127.0.0.1:6379 with defaults)
       shoal-server /etc/shoal/6379.conf
       shoal-server --port 7777
       shoal-server /etc/myshoal.conf --loglevel verbose

Every directive of config/shoal.conf may be given as --name value.";

/// `--check-rdb FILE`: reads the whole RDB file and prints a report in the manner of
/// redis-check-rdb; exits 0 when the file is valid, 1 otherwise.
fn check_rdb(path: Option<&String>) -> ! {
    let Some(path) = path else {
        eprintln!("Usage: shoal-server --check-rdb <file.rdb>");
        std::process::exit(1);
    };
    match shoal::persistence::rdb::check_rdb(path) {
        Ok(report) => {
            print!("{}", report.render(path));
            std::process::exit(0);
        }
        Err(e) => {
            println!("[offset 0] Checking RDB file {path}");
            println!("{e}");
            std::process::exit(1);
        }
    }
}

/// Loads the dataset at start-up: the AOF when `appendonly yes` and it exists, else the RDB
/// file (then, with `appendonly yes`, the cron writes the AOF's first base from it). Logs
/// and returns false on a fatal error.
fn load_data(shared: &std::sync::Arc<Shared>) -> bool {
    let started = std::time::Instant::now();
    if shared.config.read().appendonly {
        shared.aof.start_thread(shared);
        match shoal::persistence::aof::load::load(shared) {
            Ok(Some(r)) => {
                tracing::info!(
                    "DB loaded from append only file: {:.3} seconds ({} files, {} keys from the \
                     base, {} commands, {} error replies)",
                    started.elapsed().as_secs_f64(),
                    r.files,
                    r.base_keys,
                    r.commands,
                    r.errors
                );
                return true;
            }
            Ok(None) => {}
            Err(e) => {
                tracing::error!("Fatal error loading the append only file: {e}. Exiting.");
                return false;
            }
        }
    }
    let path = shoal::persistence::save::rdb_path(shared);
    match shoal::persistence::save::load(shared, &path) {
        Ok(Some(r)) => tracing::info!(
            "DB loaded from disk: {:.3} seconds ({} keys, {} expired keys skipped)",
            started.elapsed().as_secs_f64(),
            r.keys,
            r.expired
        ),
        Ok(None) => {}
        Err(e) => {
            tracing::error!(
                "Fatal error loading the DB ({}): {e}. Exiting.",
                path.display()
            );
            return false;
        }
    }
    let mut view = shoal::keyspace::Locked::none(&shared.keyspace, 0, 0);
    let empty = (0..shared.keyspace.databases()).all(|db| view.dbsize(db) == 0);
    if shared.config.read().appendonly && empty {
        // Nothing to write a base of: the AOF starts now, before any client. (With data loaded
        // from the RDB file, the cron writes the first base in the background.)
        if let Err(e) = shoal::persistence::aof::load::open_empty(shared) {
            tracing::error!("Can't create the append only file: {e}. Exiting.");
            return false;
        }
    }
    true
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("-h") | Some("--help") => {
            println!("{USAGE}");
            return;
        }
        Some("-v") | Some("--version") => {
            println!(
                "shoal-server v={} (Redis {} compatible) malloc=jemalloc bits={}",
                env!("CARGO_PKG_VERSION"),
                shoal::commands::connection::REDIS_VERSION,
                usize::BITS
            );
            return;
        }
        Some("--check-rdb") => check_rdb(args.get(1)),
        Some("--local-cluster") => std::process::exit(shoal::cluster::local::run(&args[1..])),
        Some("--check-aof") => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            let code = shoal::persistence::aof::check::run(&args[1..], &mut out);
            let _ = out.flush();
            std::process::exit(code);
        }
        _ => {}
    }
    let (config, file) = match Config::from_args(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!(
                "\n*** FATAL CONFIG FILE ERROR (shoal {}) ***",
                env!("CARGO_PKG_VERSION")
            );
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let level = shoal::logging::Level::new(&config.loglevel);
    if let Err(e) = shoal::logging::init(level.clone(), &config.logfile) {
        eprintln!("Can't open the log file {}: {e}", config.logfile);
        std::process::exit(1);
    }
    // `io-threads`, or one worker per core this process may run on (respects taskset and
    // cgroup affinity).
    let workers = match config.io_threads {
        0 => std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        n => n,
    };
    server::IO_THREADS.store(workers, std::sync::atomic::Ordering::Relaxed);
    // On one core the single-threaded scheduler does the same work with less synchronisation.
    let mut builder = if workers == 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(workers);
        b
    };
    let rt = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            std::process::exit(1);
        }
    };
    let code = rt.block_on(async move {
        let listeners = match server::bind(&config).await {
            Ok(l) => l,
            Err(e) => {
                tracing::error!(
                    "Failed listening on port {} (tcp), aborting: {e}",
                    config.port
                );
                return 1;
            }
        };
        tracing::info!(
            "shoal {} (Redis {} compatible) listening on {} port {}, pid {}",
            env!("CARGO_PKG_VERSION"),
            shoal::commands::connection::REDIS_VERSION,
            config.bind.join(" "),
            config.port,
            std::process::id()
        );
        let shared = Shared::new(config, file, level).into_arc();
        // The dataset comes back before the first client is served (they wait in the backlog).
        if !load_data(&shared) {
            return 1;
        }
        server::run(shared, listeners).await;
        0
    });
    rt.shutdown_timeout(std::time::Duration::from_secs(1));
    std::process::exit(code);
}
