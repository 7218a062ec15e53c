//! BGREWRITEAOF: compacts the AOF into a new base file, without fork.
//!
//! At one instant, under every shard lock (the keyspace snapshot's instant, see
//! `keyspace::snapshot`), the feed's offset X is fixed. What was fed before X goes to the old
//! incr file, which is fsynced; from X on the feed goes to a new incr file, which the manifest
//! lists after the old files at once. A thread writes the snapshot as the new base
//! (`<prefix>.<n>.base.rdb`, an RDB file with `aof-base` 1); when it is on disk, the manifest
//! becomes {new base, new incr} and the old files are deleted. A crash at any point leaves a
//! manifest whose files replay to the acknowledged writes.
//!
//! The base is an RDB file, or with `aof-use-rdb-preamble no` the commands that rebuild the data
//! (`base.rs`), written from the same snapshot.
//!
//! Turning the AOF on (`appendonly yes` at start-up without an AOF, or CONFIG SET) is the same
//! rewrite with no old files: the feed is switched on, everything before X is dropped from it
//! (the base holds it), and no manifest is written until the base is on disk, so a crash
//! before that finds no AOF and loads the RDB file instead (Redis's `AOF_WAIT_REWRITE`).

use super::manifest::{AofFile, FileKind, Manifest};
use super::writer::Files;
use crate::keyspace::snapshot::{SnapshotError, SnapshotRun};
use crate::persistence::rdb::writer::RDB_ENCODER;
use crate::persistence::save::{write_rdb, write_snapshot_file, SaveError};
use crate::server::Shared;
use std::path::PathBuf;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

/// What [`start`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Started {
    /// The rewrite runs.
    Started,
    /// A background save runs (one snapshot at a time): the cron starts the rewrite after it.
    Scheduled,
}

/// Why a rewrite could not start.
#[derive(Debug, thiserror::Error)]
pub enum RewriteError {
    #[error("Background append only file rewriting already in progress")]
    InProgress,
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The AOF directory (`dir`/`appenddirname`), the file prefix (`appendfilename`) and the
/// manifest's name.
pub fn location(srv: &Shared) -> (PathBuf, String, String) {
    let c = srv.config.read();
    let dir = PathBuf::from(&c.dir).join(&c.appenddirname);
    (
        dir,
        c.appendfilename.clone(),
        Manifest::manifest_name(&c.appendfilename),
    )
}

/// Starts a rewrite (BGREWRITEAOF, turning the AOF on, the automatic rewrite). Must not be
/// called while holding a shard lock (inside EXEC: schedule it instead).
pub fn start(srv: &Arc<Shared>) -> Result<Started, RewriteError> {
    let st = &srv.aof.stats;
    if st.rewrite_in_progress.swap(true, Relaxed) {
        return Err(RewriteError::InProgress);
    }
    if srv.persistence.bgsave_in_progress.load(Relaxed) {
        st.rewrite_in_progress.store(false, Relaxed);
        st.rewrite_scheduled.store(true, Relaxed);
        return Ok(Started::Scheduled);
    }
    st.rewrite_scheduled.store(false, Relaxed);
    srv.aof.start_thread(srv);
    let begun = match begin(srv) {
        Ok(Some(b)) => b,
        Ok(None) => {
            // Another snapshot took the keyspace first.
            st.rewrite_in_progress.store(false, Relaxed);
            st.rewrite_scheduled.store(true, Relaxed);
            return Ok(Started::Scheduled);
        }
        Err(e) => {
            st.rewrite_in_progress.store(false, Relaxed);
            failed(srv, &e.to_string());
            return Err(e);
        }
    };
    st.rewrite_started_ms.store(crate::clock::now_ms(), Relaxed);
    tracing::info!("Background append only file rewriting started");
    let me = srv.clone();
    let (tx, rx) = std::sync::mpsc::channel::<Begun>();
    let spawned = std::thread::Builder::new()
        .name("shoal-aof-rewrite".into())
        .spawn(move || {
            crate::persistence::save::lower_thread_priority();
            if let Ok(b) = rx.recv() {
                finish(&me, b);
            }
        });
    match spawned {
        Ok(_) => {
            if let Err(unsent) = tx.send(begun) {
                unsent.0.run.abort(&srv.keyspace);
                st.rewrite_in_progress.store(false, Relaxed);
            }
            Ok(Started::Started)
        }
        Err(e) => {
            begun.run.abort(&srv.keyspace);
            st.rewrite_in_progress.store(false, Relaxed);
            Err(e.into())
        }
    }
}

/// A rewrite whose instant is fixed: the snapshot to write as the base.
struct Begun {
    run: SnapshotRun,
    base_name: String,
    base_seq: u64,
    /// The AOF is off: the new manifest names the base alone.
    offline: bool,
    /// The base is an RDB file (`aof-use-rdb-preamble yes`), else commands.
    preamble: bool,
}

/// The snapshot encoding of a base: RDB (`aof-use-rdb-preamble yes`, the default) or commands.
fn base_encoder(preamble: bool) -> &'static dyn crate::keyspace::snapshot::SlotEncoder {
    if preamble {
        &RDB_ENCODER
    } else {
        &super::base::COMMAND_ENCODER
    }
}

/// Fixes the rewrite's instant and switches the feed to a new incr file. `None` when another
/// snapshot runs. The files lock is not held while the snapshot takes the shard locks (INFO or
/// CONFIG SET inside EXEC take it under them); a feed barrier at the instant keeps writers from
/// appending later bytes to the old incr file meanwhile.
fn begin(srv: &Arc<Shared>) -> Result<Option<Begun>, RewriteError> {
    let (dir, prefix, manifest_name) = location(srv);
    let feed = &srv.keyspace.feed;
    let aof = &srv.aof;
    let (turning_on, manifest, stored) = {
        let g = aof.files.lock();
        match g.as_ref() {
            Some(f) => (false, f.manifest.clone(), f.stored),
            None if !srv.config.read().appendonly => {
                drop(g);
                return begin_offline(srv);
            }
            None => {
                std::fs::create_dir_all(&dir)?;
                // Files of an earlier AOF in the directory: the new ones are numbered after
                // them, and replace them once the base is written.
                let old = Manifest::load(&dir, &manifest_name)?.unwrap_or_default();
                feed.set_on(true);
                (true, old, false)
            }
        }
    };
    let undo = || {
        feed.clear_barrier();
        if turning_on {
            feed.set_on(false);
        }
    };
    feed.want_barrier();
    let now = crate::clock::now_ms();
    let preamble = srv.config.read().aof_use_rdb_preamble;
    let run = match srv.keyspace.begin_snapshot(base_encoder(preamble), now) {
        Ok(r) => r,
        Err(SnapshotError::Busy) => {
            undo();
            return Ok(None);
        }
        Err(SnapshotError::Io(e)) => {
            undo();
            return Err(e.into());
        }
    };
    let x = run.feed_offset;
    let mut g = aof.files.lock();
    let switched = (|| -> std::io::Result<Files> {
        match (g.as_mut(), turning_on) {
            // Everything before the instant belongs to the old incr file.
            (Some(f), false) => {
                aof.write_locked(f, feed, x)?;
                f.incr.sync_data()?;
            }
            // The base will hold everything before the instant.
            (None, true) => {
                feed.take(&mut Vec::new(), x);
            }
            _ => {
                return Err(std::io::Error::other(
                    "the AOF was turned on or off while the rewrite began",
                ))
            }
        }
        let incr_seq = manifest.last_incr_seq().max(highest_seq(&manifest)) + 1;
        let incr_name = Manifest::incr_name(&prefix, incr_seq);
        let mut next = manifest.clone();
        next.incrs.push(AofFile {
            name: incr_name.clone(),
            seq: incr_seq,
            kind: FileKind::Incr,
        });
        create_empty(&dir.join(&incr_name))?;
        if stored {
            next.store(&dir, &manifest_name)?;
        }
        Files::open(dir.clone(), prefix.clone(), next, stored, incr_name, x)
    })();
    let files = match switched {
        Ok(f) => f,
        Err(e) => {
            drop(g);
            run.abort(&srv.keyspace);
            undo();
            return Err(e.into());
        }
    };
    feed.clear_barrier();
    if turning_on {
        aof.attach(&mut g, files);
    } else {
        *g = Some(files);
        // Wakes the clients whose replies waited for bytes the barrier held back.
        aof.mark_synced(x);
    }
    drop(g);
    let base_seq = manifest.base_seq().max(highest_seq(&manifest)) + 1;
    Ok(Some(Begun {
        run,
        base_name: Manifest::base_name(&prefix, base_seq, preamble),
        base_seq,
        offline: false,
        preamble,
    }))
}

/// BGREWRITEAOF while `appendonly no`: as Redis 7.0, writes an AOF of just a base (the data
/// now), which replaces any AOF in the directory; nothing is appended afterwards.
fn begin_offline(srv: &Arc<Shared>) -> Result<Option<Begun>, RewriteError> {
    let (dir, prefix, manifest_name) = location(srv);
    std::fs::create_dir_all(&dir)?;
    let old = Manifest::load(&dir, &manifest_name)?.unwrap_or_default();
    let preamble = srv.config.read().aof_use_rdb_preamble;
    let run = match srv
        .keyspace
        .begin_snapshot(base_encoder(preamble), crate::clock::now_ms())
    {
        Ok(r) => r,
        Err(SnapshotError::Busy) => return Ok(None),
        Err(SnapshotError::Io(e)) => return Err(e.into()),
    };
    let base_seq = old.base_seq().max(highest_seq(&old)) + 1;
    Ok(Some(Begun {
        run,
        base_name: Manifest::base_name(&prefix, base_seq, preamble),
        base_seq,
        offline: true,
        preamble,
    }))
}

/// The highest seq of any file the manifest names (new files are numbered after it, so a
/// name is never reused while an old file of that name may exist).
fn highest_seq(m: &Manifest) -> u64 {
    m.files()
        .chain(m.history.iter())
        .map(|f| f.seq)
        .max()
        .unwrap_or(0)
}

/// Creates (or empties) the file at `path`.
fn create_empty(path: &std::path::Path) -> std::io::Result<()> {
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .map(drop)
}

/// Writes the base, then makes it the manifest's base and deletes the files it replaces.
fn finish(srv: &Arc<Shared>, b: Begun) {
    let st = &srv.aof.stats;
    let started = std::time::Instant::now();
    let (dir, _, manifest_name) = location(srv);
    let Begun {
        run,
        base_name,
        base_seq,
        offline,
        preamble,
    } = b;
    let path = dir.join(&base_name);
    let written = if preamble {
        write_rdb(srv, run, &path, true)
    } else {
        write_snapshot_file(srv, run, &path, |run, mut out| {
            let mut bytes = 0u64;
            run.run(&srv.keyspace, |chunk| {
                bytes += chunk.len() as u64;
                std::io::Write::write_all(&mut out, chunk)
            })?;
            Ok((bytes, out))
        })
    };
    st.last_cow_bytes.store(
        srv.keyspace.snapshot.last_copied_ahead.load(Relaxed),
        Relaxed,
    );
    let outcome = match written {
        Ok(_) if offline => install_offline(&dir, &manifest_name, &base_name, base_seq),
        Ok(bytes) => install(srv, &dir, &manifest_name, &base_name, base_seq, bytes),
        Err(SaveError::Io(e)) => Err(e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    st.last_rewrite_secs
        .store(started.elapsed().as_secs() as i64, Relaxed);
    st.rewrite_started_ms.store(0, Relaxed);
    match outcome {
        Ok(()) => {
            st.last_rewrite_ok.store(true, Relaxed);
            st.consecutive_failures.store(0, Relaxed);
            st.rewrites.fetch_add(1, Relaxed);
            tracing::info!("Background AOF rewrite finished successfully");
        }
        Err(e) => {
            let _ = std::fs::remove_file(&path);
            failed(srv, &e);
        }
    }
    st.rewrite_in_progress.store(false, Relaxed);
}

/// Records a failed rewrite; one that was turning the AOF on is retried by the cron.
fn failed(srv: &Shared, e: &str) {
    let st = &srv.aof.stats;
    st.last_rewrite_ok.store(false, Relaxed);
    st.consecutive_failures.fetch_add(1, Relaxed);
    st.last_failure_secs
        .store(crate::clock::now_ms() / 1000, Relaxed);
    tracing::warn!("Background AOF rewrite failed: {e}");
}

/// The offline rewrite's base is on disk: the manifest names it alone; older files go.
fn install_offline(
    dir: &std::path::Path,
    manifest_name: &str,
    base_name: &str,
    base_seq: u64,
) -> Result<(), String> {
    let old = Manifest::load(dir, manifest_name)
        .ok()
        .flatten()
        .unwrap_or_default();
    let next = Manifest {
        base: Some(AofFile {
            name: base_name.to_string(),
            seq: base_seq,
            kind: FileKind::Base,
        }),
        incrs: Vec::new(),
        history: Vec::new(),
    };
    next.store(dir, manifest_name).map_err(|e| e.to_string())?;
    for gone in old.files().chain(old.history.iter()) {
        if gone.name != base_name {
            let _ = std::fs::remove_file(dir.join(&gone.name));
        }
    }
    Ok(())
}

/// The base is on disk: the manifest becomes {base, current incr} and older files go.
fn install(
    srv: &Shared,
    dir: &std::path::Path,
    manifest_name: &str,
    base_name: &str,
    base_seq: u64,
    bytes: u64,
) -> Result<(), String> {
    let mut g = srv.aof.files.lock();
    let Some(f) = g.as_mut() else {
        return Err("the AOF was turned off during the rewrite".into());
    };
    let current = f
        .manifest
        .incrs
        .iter()
        .find(|x| x.name == f.incr_name)
        .cloned()
        .ok_or("the current incr file is not in the manifest")?;
    let next = Manifest {
        base: Some(AofFile {
            name: base_name.to_string(),
            seq: base_seq,
            kind: FileKind::Base,
        }),
        incrs: vec![current],
        history: Vec::new(),
    };
    next.store(dir, manifest_name).map_err(|e| e.to_string())?;
    let old = std::mem::replace(&mut f.manifest, next);
    for gone in old.files().chain(old.history.iter()) {
        if gone.name != f.incr_name && gone.name != base_name {
            let _ = std::fs::remove_file(dir.join(&gone.name));
        }
    }
    f.stored = true;
    f.base_size = bytes;
    f.older_incr_size = 0;
    srv.aof
        .stats
        .rewrite_base_size
        .store(f.total_size(), Relaxed);
    Ok(())
}

/// The AOF's share of the cron: turns the AOF on when `appendonly` says so, starts scheduled
/// rewrites (after a failure, 5 s later), and the automatic rewrite
/// (`auto-aof-rewrite-percentage`, `auto-aof-rewrite-min-size`).
pub fn cron(srv: &Arc<Shared>) {
    let aof = &srv.aof;
    let st = &aof.stats;
    if st.rewrite_in_progress.load(Relaxed) || srv.persistence.bgsave_in_progress.load(Relaxed) {
        return;
    }
    let (want_on, pct, min) = {
        let c = srv.config.read();
        (
            c.appendonly,
            c.auto_aof_rewrite_percentage,
            c.auto_aof_rewrite_min_size,
        )
    };
    let now = crate::clock::now_ms() / 1000;
    let retry_ok = st.last_rewrite_ok.load(Relaxed)
        || now.saturating_sub(st.last_failure_secs.load(Relaxed)) >= 5;
    let scheduled = st.rewrite_scheduled.load(Relaxed);
    if !want_on {
        if scheduled && retry_ok {
            let _ = start(srv);
        }
        return;
    }
    let (live, size) = match aof.files.lock().as_ref() {
        Some(f) => (f.stored, f.total_size()),
        None => (false, 0),
    };
    let turning_on = !aof.is_on() || !live;
    let base = st.rewrite_base_size.load(Relaxed).max(1);
    let grown = live && pct > 0 && size >= min && (size - size.min(base)) * 100 / base >= pct;
    if grown {
        tracing::info!(
            "Starting automatic rewriting of AOF on {}% growth",
            (size - size.min(base)) * 100 / base
        );
    }
    if (turning_on || scheduled || grown) && retry_ok {
        let _ = start(srv);
    }
}
