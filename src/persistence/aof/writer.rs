//! Appending the propagation feed to the AOF's current incr file, and fsyncing it.
//!
//! Writes are fed (`keyspace::feed`) under the shard locks; nothing touches the file there. A
//! connection whose batch of commands fed writes calls [`Aof::wait`] before its replies go out.
//! With `everysec` and `no`, the first such connection writes everything fed so far to the file
//! (one `write` for all of them). With `always`, it first lets the other ready connections run,
//! then asks the fsync thread, which writes everything fed in one `write` and fsyncs once for
//! all of them (group commit). So the reply of a write is sent only after the write is in the
//! file (in the OS: `everysec`, `no`) or on disk (`always`), as Redis's `beforeSleep` flushes
//! the AOF before it writes replies.
//!
//! The fsync thread wakes every 100 ms (and at once when a waiter needs an fsync): it writes
//! what idle writers left in the feed (expiry DELs), and fsyncs: `always` whenever something
//! is unsynced, `everysec` once a second, `no` never.
//!
//! Offsets are the feed's: `written` and `synced` say how far into the feed the file holds
//! bytes in the OS and on disk.

use super::manifest::Manifest;
use crate::keyspace::feed::Feed;
use parking_lot::Mutex;
use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicU8, Ordering::*};
use std::sync::{Arc, Condvar};
use std::time::{Duration, Instant};

/// `appendfsync`: when the AOF is fsynced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fsync {
    /// Never by shoal: the OS flushes when it likes.
    No,
    /// Once a second, by the fsync thread.
    Everysec,
    /// Before the reply of every write is sent (batched: one fsync serves every waiting client).
    Always,
}

impl Fsync {
    /// The directive's spelling.
    pub fn name(self) -> &'static str {
        match self {
            Fsync::No => "no",
            Fsync::Everysec => "everysec",
            Fsync::Always => "always",
        }
    }

    fn from_u8(v: u8) -> Fsync {
        match v {
            0 => Fsync::No,
            2 => Fsync::Always,
            _ => Fsync::Everysec,
        }
    }

    fn to_u8(self) -> u8 {
        match self {
            Fsync::No => 0,
            Fsync::Everysec => 1,
            Fsync::Always => 2,
        }
    }
}

/// The open AOF: where it lives, its manifest and the incr file being appended to.
pub struct Files {
    /// `dir`/`appenddirname`.
    pub dir: PathBuf,
    /// `appendfilename`: the prefix of every file name.
    pub prefix: String,
    pub manifest: Manifest,
    /// Whether `manifest` is the one on disk. False while the first base is being written
    /// (turning the AOF on): until then a crash must find no AOF, so the RDB file is loaded.
    pub stored: bool,
    /// The incr file being appended to (shared with the fsync thread).
    pub incr: Arc<File>,
    /// Its name, for logs.
    pub incr_name: String,
    /// Bytes taken from the feed and not yet written (a failed write keeps them here).
    pending: Vec<u8>,
    /// The feed offset at the end of `pending` (= `written` when it is empty).
    pending_end: u64,
    /// Size of the current incr file, bytes.
    pub incr_size: u64,
    /// Sizes of the base file and of the incr files before the current one, bytes.
    pub base_size: u64,
    pub older_incr_size: u64,
}

impl Files {
    /// Opens `dir` (created if missing) for an AOF appending to `incr` (created if missing).
    pub fn open(
        dir: PathBuf,
        prefix: String,
        manifest: Manifest,
        stored: bool,
        incr_name: String,
        feed_offset: u64,
    ) -> std::io::Result<Files> {
        std::fs::create_dir_all(&dir)?;
        let incr = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(&incr_name))?;
        let incr_size = incr.metadata()?.len();
        let size = |name: &str| std::fs::metadata(dir.join(name)).map_or(0, |m| m.len());
        let base_size = manifest.base.as_ref().map_or(0, |b| size(&b.name));
        let older_incr_size = manifest
            .incrs
            .iter()
            .filter(|f| f.name != incr_name)
            .map(|f| size(&f.name))
            .sum();
        Ok(Files {
            dir,
            prefix,
            manifest,
            stored,
            incr: Arc::new(incr),
            incr_name,
            pending: Vec::new(),
            pending_end: feed_offset,
            incr_size,
            base_size,
            older_incr_size,
        })
    }

    /// Total size of the files the manifest names, bytes (INFO `aof_current_size`).
    pub fn total_size(&self) -> u64 {
        self.base_size + self.older_incr_size + self.incr_size
    }
}

/// INFO persistence's AOF counters.
#[derive(Debug)]
pub struct AofStats {
    pub rewrite_in_progress: AtomicBool,
    pub rewrite_scheduled: AtomicBool,
    /// Unix ms when the running rewrite began; 0 when none runs.
    pub rewrite_started_ms: AtomicU64,
    /// Seconds the last rewrite took; -1 before any.
    pub last_rewrite_secs: AtomicI64,
    pub last_rewrite_ok: AtomicBool,
    pub rewrites: AtomicU64,
    pub consecutive_failures: AtomicU64,
    /// Unix seconds of the last failed rewrite (retried after 5 s when one is pending).
    pub last_failure_secs: AtomicU64,
    /// Total size right after the last rewrite, bytes (auto-aof-rewrite-percentage's base).
    pub rewrite_base_size: AtomicU64,
    /// Times `everysec` found an fsync still running when the next one was due.
    pub delayed_fsync: AtomicU64,
    /// Bytes the last rewrite's snapshot copied ahead of its walk (INFO `aof_last_cow_size`).
    pub last_cow_bytes: AtomicU64,
}

impl Default for AofStats {
    fn default() -> Self {
        AofStats {
            rewrite_in_progress: AtomicBool::new(false),
            rewrite_scheduled: AtomicBool::new(false),
            rewrite_started_ms: AtomicU64::new(0),
            last_rewrite_secs: AtomicI64::new(-1),
            last_rewrite_ok: AtomicBool::new(true),
            rewrites: AtomicU64::new(0),
            consecutive_failures: AtomicU64::new(0),
            last_failure_secs: AtomicU64::new(0),
            rewrite_base_size: AtomicU64::new(0),
            delayed_fsync: AtomicU64::new(0),
            last_cow_bytes: AtomicU64::new(0),
        }
    }
}

/// The AOF of a node. See the module documentation.
pub struct Aof {
    /// Appending (the feed is on for us).
    on: AtomicBool,
    /// The open files; `None` while off.
    pub files: Mutex<Option<Files>>,
    policy: AtomicU8,
    written: AtomicU64,
    synced: AtomicU64,
    /// Woken when `synced` advances (or the AOF is turned off).
    synced_notify: tokio::sync::Notify,
    /// Wakes the fsync thread early (a waiter needs an fsync).
    kick: (std::sync::Mutex<bool>, Condvar),
    thread_started: AtomicBool,
    /// The last write's error, if it failed (writes are refused with -MISCONF until one
    /// succeeds); `last_write_failed` is the fast check.
    last_write_failed: AtomicBool,
    last_write_error: Mutex<String>,
    pub stats: AofStats,
}

impl Default for Aof {
    fn default() -> Self {
        Aof {
            on: AtomicBool::new(false),
            files: Mutex::new(None),
            policy: AtomicU8::new(Fsync::Everysec.to_u8()),
            written: AtomicU64::new(0),
            synced: AtomicU64::new(0),
            synced_notify: tokio::sync::Notify::new(),
            kick: (std::sync::Mutex::new(false), Condvar::new()),
            thread_started: AtomicBool::new(false),
            last_write_failed: AtomicBool::new(false),
            last_write_error: Mutex::new(String::new()),
            stats: AofStats::default(),
        }
    }
}

impl Aof {
    /// Whether the AOF is being appended to.
    #[inline]
    pub fn is_on(&self) -> bool {
        self.on.load(Relaxed)
    }

    pub fn policy(&self) -> Fsync {
        Fsync::from_u8(self.policy.load(Relaxed))
    }

    /// Sets `appendfsync`.
    pub fn set_policy(&self, p: Fsync) {
        self.policy.store(p.to_u8(), Relaxed);
    }

    /// Whether the last write to the file failed: writes are refused until one succeeds.
    #[inline]
    pub fn write_failed(&self) -> bool {
        self.last_write_failed.load(Relaxed)
    }

    /// The error of the failed write, for -MISCONF.
    pub fn write_error(&self) -> String {
        self.last_write_error.lock().clone()
    }

    /// Starts appending to `files`: what the feed holds from `files`' start offset on goes
    /// there. Call with the files lock held (`slot` is its content).
    pub fn attach(&self, slot: &mut Option<Files>, files: Files) {
        self.written.store(files.pending_end, Release);
        self.synced.store(files.pending_end, Release);
        *slot = Some(files);
        self.on.store(true, Release);
    }

    /// Stops appending: writes and fsyncs what is pending, closes the files, wakes waiters.
    pub fn detach(&self, feed: &Feed) {
        let mut g = self.files.lock();
        if let Some(f) = g.as_mut() {
            let _ = self.write_locked(f, feed, u64::MAX);
            let _ = f.incr.sync_data();
        }
        *g = None;
        self.on.store(false, Release);
        drop(g);
        self.synced_notify.notify_waiters();
    }

    /// Writes to the current incr file what the feed holds before offset `upto`. Call with
    /// the files lock held. On failure the bytes stay pending (and the file is cut back to
    /// its size before the write), to be retried.
    pub fn write_locked(&self, f: &mut Files, feed: &Feed, upto: u64) -> std::io::Result<()> {
        if f.pending.is_empty() {
            let start = feed.take(&mut f.pending, upto);
            f.pending_end = start + f.pending.len() as u64;
        } else {
            let mut more = Vec::new();
            let start = feed.take(&mut more, upto);
            debug_assert_eq!(start, f.pending_end);
            f.pending.extend_from_slice(&more);
            f.pending_end = start + more.len() as u64;
        }
        if f.pending.is_empty() {
            return Ok(());
        }
        match (&*f.incr).write_all(&f.pending) {
            Ok(()) => {
                f.incr_size += f.pending.len() as u64;
                f.pending.clear();
                self.written.store(f.pending_end, Release);
                if self.last_write_failed.swap(false, Relaxed) {
                    tracing::warn!("AOF write error looks solved, the server can write again.");
                }
                Ok(())
            }
            Err(e) => {
                // A partial write would leave half a command: cut it back.
                let _ = f.incr.set_len(f.incr_size);
                *self.last_write_error.lock() = e.to_string();
                if !self.last_write_failed.swap(true, Relaxed) {
                    tracing::warn!("Error writing to the AOF file {}: {e}", f.incr_name);
                }
                Err(e)
            }
        }
    }

    /// For a replica's link, which applies its primary's stream outside any connection (so no
    /// [`Aof::wait`] runs): writes what was fed so far to the file, and fsyncs it under
    /// `always`, as a Redis replica's `beforeSleep` does after applying and before its
    /// acknowledgement goes out. Left to the fsync thread, the bytes reached the file up to
    /// 100 ms after the replica showed and acknowledged their offset, and a replica killed in
    /// that window came back without them.
    pub fn write_applied(&self, feed: &Feed) {
        if !self.is_on() {
            return;
        }
        self.write_pending(feed);
        if self.policy() == Fsync::Always {
            self.fsync_now();
        }
    }

    /// Writes what the feed holds to the file (if the AOF is on).
    pub fn write_pending(&self, feed: &Feed) {
        let mut g = self.files.lock();
        if let Some(f) = g.as_mut() {
            let _ = self.write_locked(f, feed, u64::MAX);
        }
    }

    /// Before the replies of writes fed up to `offset` go out: makes them as durable as
    /// `appendfsync` says (see the module documentation). Returns at once when the AOF is off.
    /// Waits (without blocking the thread) while the bytes cannot be written yet: a rewrite
    /// switching files, or a failed write being retried.
    pub async fn wait(&self, feed: &Feed, offset: u64) {
        if !self.is_on() {
            return;
        }
        if self.policy() == Fsync::Always {
            // Let the other connections that are ready run their commands (and feed their
            // writes) first; then the fsync thread writes everything fed in one write and
            // fsyncs once for all of them, as Redis's one write and fsync per event-loop turn.
            tokio::task::yield_now().await;
        } else {
            if self.written.load(Acquire) < offset {
                self.write_pending(feed);
            }
            if self.written.load(Acquire) >= offset {
                return;
            }
        }
        loop {
            let n = self.synced_notify.notified();
            tokio::pin!(n);
            n.as_mut().enable();
            let done = match self.policy() {
                Fsync::Always => self.synced.load(Acquire) >= offset,
                _ => {
                    if self.written.load(Acquire) < offset {
                        self.write_pending(feed);
                    }
                    self.written.load(Acquire) >= offset
                }
            };
            if done || !self.is_on() {
                return;
            }
            self.kick_fsync();
            n.await;
        }
    }

    fn kick_fsync(&self) {
        let (m, cv) = &self.kick;
        *m.lock().unwrap_or_else(|e| e.into_inner()) = true;
        cv.notify_one();
    }

    /// Fsyncs the current incr file through everything written so far (the files lock is not
    /// held during the fsync); wakes `always` waiters.
    pub fn fsync_now(&self) {
        let (file, target) = {
            let g = self.files.lock();
            match g.as_ref() {
                Some(f) => (f.incr.clone(), self.written.load(Acquire)),
                None => return,
            }
        };
        if self.synced.load(Acquire) >= target {
            return;
        }
        match file.sync_data() {
            Ok(()) => {
                self.synced.fetch_max(target, AcqRel);
                self.synced_notify.notify_waiters();
            }
            Err(e) => tracing::warn!("AOF fsync failed: {e}"),
        }
    }

    /// After the feed was reset to `offset` (a replica's full resync, `Feed::reset`): what was
    /// pending belongs to the old history and is dropped, and the file's offsets continue from
    /// `offset`, so a later write's wait is measured against the new stream.
    pub fn rebase(&self, offset: u64) {
        let mut g = self.files.lock();
        if let Some(f) = g.as_mut() {
            f.pending.clear();
            f.pending_end = offset;
        }
        self.written.store(offset, Release);
        self.synced.store(offset, Release);
        drop(g);
        self.synced_notify.notify_waiters();
    }

    /// After a rewrite switched files: everything up to `offset` is in the old file, fsynced.
    pub fn mark_synced(&self, offset: u64) {
        self.written.fetch_max(offset, AcqRel);
        self.synced.fetch_max(offset, AcqRel);
        self.synced_notify.notify_waiters();
    }

    /// Starts the fsync thread once. It holds `feed`'s owner weakly and ends with it.
    pub fn start_thread(&self, srv: &Arc<crate::server::Shared>) {
        if self.thread_started.swap(true, Relaxed) {
            return;
        }
        let weak = Arc::downgrade(srv);
        let spawned = std::thread::Builder::new()
            .name("shoal-aof-fsync".into())
            .spawn(move || fsync_loop(weak));
        if let Err(e) = spawned {
            tracing::warn!("could not start the AOF fsync thread: {e}");
            self.thread_started.store(false, Relaxed);
        }
    }
}

fn fsync_loop(weak: std::sync::Weak<crate::server::Shared>) {
    let mut last_fsync = Instant::now();
    loop {
        let Some(srv) = weak.upgrade() else { return };
        let aof = &srv.aof;
        {
            let (m, cv) = &aof.kick;
            let mut kicked = m.lock().unwrap_or_else(|e| e.into_inner());
            if !*kicked {
                kicked = cv
                    .wait_timeout(kicked, Duration::from_millis(100))
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
            *kicked = false;
        }
        if !aof.is_on() {
            continue;
        }
        let before = aof.written.load(Acquire);
        aof.write_pending(&srv.keyspace.feed);
        if aof.written.load(Acquire) > before {
            // Waiters whose bytes could not be written when they asked (a failed write now
            // retried) go on.
            aof.synced_notify.notify_waiters();
        }
        let behind = aof.synced.load(Acquire) < aof.written.load(Acquire);
        let due = match aof.policy() {
            Fsync::Always => behind,
            Fsync::Everysec => behind && last_fsync.elapsed() >= Duration::from_secs(1),
            Fsync::No => false,
        };
        if due {
            let started = Instant::now();
            aof.fsync_now();
            if aof.policy() == Fsync::Everysec && started.elapsed() >= Duration::from_secs(1) {
                aof.stats.delayed_fsync.fetch_add(1, Relaxed);
            }
            last_fsync = started;
        }
    }
}
