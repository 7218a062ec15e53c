//! RDB files on disk: SAVE, BGSAVE, save points (`save <seconds> <changes>`), the save on
//! shutdown, and loading at start-up. Follows <https://redis.io/docs/management/persistence/>.
//!
//! A dump is written from the keyspace's copy-on-write snapshot ([`crate::keyspace::snapshot`]):
//! clients keep working while it runs, and the file holds the keyspace as it was when the save
//! began. Bytes go to `temp-<pid>-<n>.rdb` in `dir`, which is fsynced and renamed over
//! `dbfilename`, and then the directory is fsynced: a crash leaves the previous dump or the new
//! one, never a torn file.

use super::rdb::reader::{RdbEvent, RdbReader};
use super::rdb::writer::{RdbWriter, RDB_ENCODER};
use crate::keyspace::snapshot::{SnapshotError, SnapshotRun};
use crate::keyspace::Locked;
use crate::server::Shared;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

/// INFO persistence counters and the background save's state.
#[derive(Debug, Default)]
pub struct SaveState {
    pub bgsave_in_progress: AtomicBool,
    /// Unix seconds of the last successful save (LASTSAVE); the start time before any.
    pub last_save_secs: AtomicU64,
    /// Whether the last background save succeeded.
    pub last_bgsave_failed: AtomicBool,
    /// Duration of the last background save, seconds; -1 before any.
    pub last_bgsave_secs: AtomicI64,
    /// Unix ms when the running background save began; 0 when none runs.
    pub bgsave_started_ms: AtomicU64,
    /// The keyspace's write counter when the last successful save began.
    pub dirty_at_save: AtomicU64,
    /// Unix seconds of the last failed background save (retried after 5 s, as Redis).
    pub last_failure_secs: AtomicU64,
    /// Successful saves since start (INFO `rdb_saves`).
    pub saves: AtomicU64,
    /// Keys loaded, and keys skipped as expired, by the last load.
    pub last_load_keys_loaded: AtomicU64,
    pub last_load_keys_expired: AtomicU64,
    /// SHUTDOWN already saved (or was told not to): the exit path must not save again.
    pub shutdown_saved: AtomicBool,
    /// BGSAVE inside EXEC: the cron starts it once the transaction is over.
    pub bgsave_scheduled: AtomicBool,
    /// Bytes the last save's snapshot copied ahead of its walk for writers (its copy-on-write
    /// cost; INFO `rdb_last_cow_size`).
    pub last_cow_bytes: AtomicU64,
}

impl SaveState {
    /// Marks a save as running; [`SaveError::InProgress`] if one already is (one at a time).
    fn claim(&self) -> Result<(), SaveError> {
        self.bgsave_in_progress
            .compare_exchange(false, true, Relaxed, Relaxed)
            .map(|_| ())
            .map_err(|_| SaveError::InProgress)
    }
}

/// Why a save failed.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("Background save already in progress")]
    InProgress,
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl From<SnapshotError> for SaveError {
    fn from(e: SnapshotError) -> SaveError {
        match e {
            SnapshotError::Busy => SaveError::InProgress,
            SnapshotError::Io(e) => SaveError::Io(e),
        }
    }
}

/// What a save wrote.
#[derive(Debug, Clone, Copy)]
pub struct SaveReport {
    pub bytes: u64,
    pub millis: u64,
}

/// The RDB file's path: `dir` joined with `dbfilename`.
pub fn rdb_path(srv: &Shared) -> PathBuf {
    let c = srv.config.read();
    Path::new(&c.dir).join(&c.dbfilename)
}

/// The keyspace's write counter (all shards).
pub fn dirty(srv: &Shared) -> u64 {
    Locked::none(&srv.keyspace, 0, 0).stats().dirty
}

/// Writes the RDB file now, on the calling thread (SAVE, SHUTDOWN, DEBUG RELOAD). Other clients
/// keep running. Fails with [`SaveError::InProgress`] while a background save runs.
pub fn save(srv: &Shared) -> Result<SaveReport, SaveError> {
    let st = &srv.persistence;
    st.claim()?;
    let res = save_marked(srv);
    st.bgsave_in_progress.store(false, Relaxed);
    res
}

/// The body of a save, with `bgsave_in_progress` already claimed.
fn save_marked(srv: &Shared) -> Result<SaveReport, SaveError> {
    let now = crate::clock::now_ms();
    let run = srv.keyspace.begin_snapshot(&RDB_ENCODER, now)?;
    save_run(srv, run)
}

/// Writes the begun snapshot `run` to the RDB file and records it.
fn save_run(srv: &Shared, run: SnapshotRun) -> Result<SaveReport, SaveError> {
    let started = std::time::Instant::now();
    let dirty_before = run.dirty;
    let path = rdb_path(srv);
    let bytes = write_rdb(srv, run, &path, false)?;
    let st = &srv.persistence;
    st.last_cow_bytes.store(
        srv.keyspace.snapshot.last_copied_ahead.load(Relaxed),
        Relaxed,
    );
    st.dirty_at_save.store(dirty_before, Relaxed);
    st.last_save_secs
        .store(crate::clock::now_ms() / 1000, Relaxed);
    st.saves.fetch_add(1, Relaxed);
    let millis = started.elapsed().as_millis() as u64;
    tracing::info!(
        "DB saved on disk ({bytes} bytes, {millis} ms): {}",
        path.display()
    );
    Ok(SaveReport { bytes, millis })
}

/// Starts a background save on its own thread (BGSAVE and save points).
pub fn bgsave(srv: &Arc<Shared>) -> Result<(), SaveError> {
    let st = &srv.persistence;
    st.claim()?;
    let now = crate::clock::now_ms();
    st.bgsave_started_ms.store(now, Relaxed);
    // The snapshot's instant is now, before BGSAVE replies: the file holds exactly the writes
    // acknowledged before "Background saving started", as with Redis's fork.
    let run = match srv.keyspace.begin_snapshot(&RDB_ENCODER, now) {
        Ok(r) => r,
        Err(e) => {
            st.bgsave_started_ms.store(0, Relaxed);
            st.bgsave_in_progress.store(false, Relaxed);
            return Err(e.into());
        }
    };
    tracing::info!("Background saving started");
    let (tx, rx) = std::sync::mpsc::channel::<SnapshotRun>();
    let me = srv.clone();
    let spawned = std::thread::Builder::new()
        .name("shoal-bgsave".into())
        .spawn(move || {
            let srv = me;
            lower_thread_priority();
            let st = &srv.persistence;
            let started = std::time::Instant::now();
            let res = match rx.recv() {
                Ok(run) => save_run(&srv, run),
                Err(_) => return,
            };
            st.last_bgsave_secs
                .store(started.elapsed().as_secs() as i64, Relaxed);
            match res {
                Ok(_) => {
                    st.last_bgsave_failed.store(false, Relaxed);
                    tracing::info!("Background saving terminated with success");
                }
                Err(e) => {
                    st.last_bgsave_failed.store(true, Relaxed);
                    st.last_failure_secs
                        .store(crate::clock::now_ms() / 1000, Relaxed);
                    tracing::warn!("Background saving error: {e}");
                }
            }
            st.bgsave_started_ms.store(0, Relaxed);
            st.bgsave_in_progress.store(false, Relaxed);
        });
    match spawned {
        Ok(_) => {
            if let Err(unsent) = tx.send(run) {
                // The thread is already gone: end the snapshot here.
                unsent.0.abort(&srv.keyspace);
                st.bgsave_started_ms.store(0, Relaxed);
                st.bgsave_in_progress.store(false, Relaxed);
            }
            Ok(())
        }
        Err(e) => {
            run.abort(&srv.keyspace);
            st.bgsave_started_ms.store(0, Relaxed);
            st.bgsave_in_progress.store(false, Relaxed);
            Err(SaveError::Io(e))
        }
    }
}

/// Lowers the calling thread's scheduling priority (nice 10): a background snapshot (BGSAVE,
/// BGREWRITEAOF) then takes the CPU the threads serving clients leave, so it adds less to their
/// latency and takes longer only on a busy machine. Redis gets the same from its forked child
/// being a separate process. Best effort: an error is ignored.
pub fn lower_thread_priority() {
    let _ = set_thread_nice(10);
}

/// Sets the calling thread's nice value (Linux: PRIO_PROCESS with a thread id is that thread
/// only). Threads it creates from then on inherit it. Errors: setpriority's (raising the
/// priority again needs CAP_SYS_NICE).
pub fn set_thread_nice(nice: i32) -> std::io::Result<()> {
    // SAFETY: gettid and setpriority take and return plain integers; no memory is shared.
    let rc = unsafe {
        let tid = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, nice)
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Checks the save points (called by the cron): starts a background save when one is due.
/// After a failed save, waits 5 seconds before trying again (Redis's
/// CONFIG_BGSAVE_RETRY_DELAY).
pub fn cron(srv: &Arc<Shared>) {
    if srv.persistence.bgsave_scheduled.swap(false, Relaxed) && bgsave(srv).is_err() {
        // Still busy: try again on the next tick.
        srv.persistence.bgsave_scheduled.store(true, Relaxed);
    }
    let points = srv.config.read().save.clone();
    if points.is_empty() || srv.persistence.bgsave_in_progress.load(Relaxed) {
        return;
    }
    let st = &srv.persistence;
    let now = crate::clock::now_ms() / 1000;
    let changes = dirty(srv).saturating_sub(st.dirty_at_save.load(Relaxed));
    let since = now.saturating_sub(st.last_save_secs.load(Relaxed));
    let due = points
        .iter()
        .any(|&(secs, n)| changes >= n && since >= secs);
    let retry_ok = !st.last_bgsave_failed.load(Relaxed)
        || now.saturating_sub(st.last_failure_secs.load(Relaxed)) >= 5;
    if due && retry_ok {
        tracing::info!("{changes} changes in {since} seconds. Saving...");
        let _ = bgsave(srv);
    }
}

/// Whether writes must be refused with -MISCONF (`stop-writes-on-bgsave-error`).
pub fn writes_refused(srv: &Shared) -> bool {
    srv.persistence.last_bgsave_failed.load(Relaxed) && {
        let c = srv.config.read();
        c.stop_writes_on_bgsave_error && !c.save.is_empty()
    }
}

/// Writes the begun snapshot `run` to `path` as an RDB file (temp file, fsync, rename, fsync
/// of the directory). Returns the file's size in bytes. `aof_base`: the file is an AOF's base
/// (its `aof-base` aux field says 1).
pub fn write_rdb(
    srv: &Shared,
    run: SnapshotRun,
    path: &Path,
    aof_base: bool,
) -> Result<u64, SaveError> {
    write_snapshot_file(srv, run, path, |run, out| {
        let mut w = RdbWriter::new(out)?;
        let used = crate::memory::used();
        w.aux_defaults(used, aof_base)?;
        run.run(&srv.keyspace, |chunk| w.chunk(chunk))?;
        let bytes = w.bytes_written() + 9;
        Ok((bytes, w.finish()?))
    })
}

/// Writes the begun snapshot `run` to `path` through `body`, which gets the snapshot and a
/// buffered temporary file and returns the bytes it wrote and the writer; the file is then
/// fsynced and renamed over `path`, and the directory fsynced: a crash leaves the old file or
/// the new one, never a torn one. The snapshot is ended in every case.
pub fn write_snapshot_file(
    srv: &Shared,
    run: SnapshotRun,
    path: &Path,
    body: impl FnOnce(
        SnapshotRun,
        BufWriter<std::fs::File>,
    ) -> Result<(u64, BufWriter<std::fs::File>), SaveError>,
) -> Result<u64, SaveError> {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = dir.join(format!(
        "temp-{}-{}.rdb",
        std::process::id(),
        SEQ.fetch_add(1, Relaxed)
    ));
    let mut run = Some(run);
    let res = (|| -> Result<u64, SaveError> {
        let file = std::fs::File::create(&tmp)?;
        let out = BufWriter::with_capacity(1 << 20, file);
        let (bytes, out) = body(run.take().expect("run once"), out)?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)?;
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(bytes)
    })();
    if let Some(run) = run {
        // The temp file could not be created: the snapshot never ran.
        run.abort(&srv.keyspace);
    }
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res
}

/// Why loading failed.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Format(String),
}

/// What a load did.
#[derive(Debug, Default, Clone, Copy)]
pub struct LoadReport {
    pub keys: u64,
    pub expired: u64,
}

/// Loads what `reader` holds, up to the RDB's EOF, into the keyspace, skipping keys already
/// expired (as a primary does). Reads nothing past the checksum (an AOF's commands may follow).
pub fn load_entries<R: std::io::Read>(
    srv: &Shared,
    reader: &mut RdbReader<R>,
) -> Result<LoadReport, LoadError> {
    load_entries_with(srv, reader, true)
}

/// [`load_entries`], keeping keys already expired when `skip_expired` is false (a replica
/// loading its primary's RDB: the primary deletes them and sends DEL, as Redis's `rdbLoad`
/// skips expired keys only on a primary).
pub fn load_entries_with<R: std::io::Read>(
    srv: &Shared,
    reader: &mut RdbReader<R>,
    skip_expired: bool,
) -> Result<LoadReport, LoadError> {
    let now = crate::clock::now_ms();
    reader.set_now(now);
    reader.set_verify(super::rdb::CHECKSUM.load(Relaxed));
    let dbs = srv.keyspace.databases() as u64;
    let mut report = LoadReport::default();
    while let Some(ev) = reader
        .next_event()
        .map_err(|e| LoadError::Format(format!("{e} (at byte {})", reader.offset())))?
    {
        let (db, key, entry) = match ev {
            RdbEvent::Entry {
                db,
                key,
                entry,
                idle,
                freq,
                ..
            } => {
                let mut entry = entry;
                entry.access = srv.keyspace.evict.loaded_access(idle, freq, now);
                (db, key, entry)
            }
            RdbEvent::Eof { .. } => break,
            _ => continue,
        };
        if db >= dbs {
            return Err(LoadError::Format(format!(
                "the file uses database {db}, this server has {dbs} (see `databases`)"
            )));
        }
        if skip_expired && entry.is_expired(now) {
            report.expired += 1;
            continue;
        }
        let mut l = srv
            .keyspace
            .lock_keys(std::iter::once(&key[..]), db as usize, now);
        l.insert_entry(&key, entry);
        report.keys += 1;
    }
    Ok(report)
}

/// Loads the RDB file at `path` into the keyspace (start-up, DEBUG RELOAD). A missing file is
/// not an error (`Ok(None)`). Keys already expired are skipped, as a primary does.
pub fn load(srv: &Shared, path: &Path) -> Result<Option<LoadReport>, LoadError> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let mut reader = RdbReader::new(BufReader::with_capacity(1 << 20, file))
        .map_err(|e| LoadError::Format(e.to_string()))?;
    let report = load_entries(srv, &mut reader)?;
    let st = &srv.persistence;
    st.last_load_keys_loaded.store(report.keys, Relaxed);
    st.last_load_keys_expired.store(report.expired, Relaxed);
    // What was just loaded is what is on disk.
    st.dirty_at_save.store(dirty(srv), Relaxed);
    Ok(Some(report))
}
