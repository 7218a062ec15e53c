//! Logging with `tracing`, at redis-server's levels: `debug`, `verbose`, `notice` (default),
//! `warning`, `nothing`. The level is an atomic so CONFIG SET loglevel applies at once.

use std::sync::atomic::{AtomicU8, Ordering::Relaxed};
use std::sync::Arc;
use tracing::Level as TLevel;

/// The live log level.
pub struct Level(AtomicU8);

impl Level {
    pub fn new(name: &str) -> Arc<Level> {
        let l = Arc::new(Level(AtomicU8::new(0)));
        l.set(name);
        l
    }

    /// Sets the level from a redis.conf name; unknown names keep the old level.
    pub fn set(&self, name: &str) {
        let v = match name {
            "debug" => 5,
            "verbose" => 4,
            "notice" => 3,
            "warning" => 2,
            "nothing" => 0,
            _ => return,
        };
        self.0.store(v, Relaxed);
    }

    /// Whether an event at `l` from module path `target` is logged. The consensus library's own
    /// events (`openraft::*`, chatty at info) show only at `debug`, except warnings and errors.
    fn enabled(&self, l: &TLevel, target: &str) -> bool {
        let want = self.0.load(Relaxed);
        if target.starts_with("openraft") && *l > TLevel::WARN && want < 5 {
            return false;
        }
        let have = match *l {
            TLevel::ERROR | TLevel::WARN => 2,
            TLevel::INFO => 3,
            TLevel::DEBUG => 4,
            TLevel::TRACE => 5,
        };
        have <= want
    }
}

/// Installs the global subscriber writing to stdout or `logfile`.
pub fn init(level: Arc<Level>, logfile: &str) -> std::io::Result<()> {
    use tracing_subscriber::prelude::*;
    let filter =
        tracing_subscriber::filter::filter_fn(move |m| level.enabled(m.level(), m.target()));
    let fmt = tracing_subscriber::fmt::layer().with_target(false);
    if logfile.is_empty() {
        tracing_subscriber::registry()
            .with(fmt.with_writer(std::io::stdout).with_filter(filter))
            .init();
    } else {
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(logfile)?;
        let f = std::sync::Mutex::new(f);
        tracing_subscriber::registry()
            .with(fmt.with_ansi(false).with_writer(f).with_filter(filter))
            .init();
    }
    Ok(())
}
