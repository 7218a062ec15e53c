//! Loading the AOF at start-up: the manifest's base, then its incr files, replayed through
//! the command dispatcher by a client that never blocks, as Redis's `loadAppendOnlyFiles`.
//!
//! A base that starts with `REDIS` is an RDB file (its entries are inserted directly; commands
//! may follow its checksum). Every command is executed as if a client sent it; its reply is
//! dropped, and error replies are counted and the first few logged.
//!
//! The end of the last file may be cut short (the process or machine died while appending).
//! With `aof-load-truncated yes` the file is truncated after the last whole command (before an
//! unfinished MULTI) and loading succeeds with a warning; with `no` loading fails. A
//! truncated file that is not the last, or content that is not RESP, always fails (fix it with
//! `shoal-server --check-aof --fix`).

use super::manifest::{FileKind, Manifest};
use super::reader::{AofError, AofReader};
use super::rewrite::location;
use super::writer::Files;
use crate::commands::{dispatch, Args};
use crate::persistence::save::{load_entries, LoadError};
use crate::protocol::Reply;
use crate::server::client::{Client, ClientInfo};
use crate::server::Shared;
use std::path::Path;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

/// What a load did.
#[derive(Debug, Default, Clone, Copy)]
pub struct AofLoadReport {
    /// Files loaded.
    pub files: usize,
    /// Keys inserted from an RDB base.
    pub base_keys: u64,
    /// Commands replayed.
    pub commands: u64,
    /// Commands whose reply was an error.
    pub errors: u64,
    /// Bytes cut from a truncated last file (`aof-load-truncated yes`).
    pub truncated: u64,
}

/// Loads the AOF named by the manifest in `dir`/`appenddirname`, then attaches the writer to
/// its last incr file (a new one when it has none). `Ok(None)` when there is no manifest.
pub fn load(srv: &Arc<Shared>) -> Result<Option<AofLoadReport>, LoadError> {
    let (dir, prefix, manifest_name) = location(srv);
    let Some(manifest) = Manifest::load(&dir, &manifest_name)? else {
        return Ok(None);
    };
    let allow_truncated = srv.config.read().aof_load_truncated;
    let mut report = AofLoadReport::default();
    let mut replay = Replay::new();
    let files: Vec<_> = manifest.files().cloned().collect();
    for (i, f) in files.iter().enumerate() {
        let last = i + 1 == files.len();
        let path = dir.join(&f.name);
        let cut = load_file(srv, &path, f.kind, last && allow_truncated, &mut replay)
            .map_err(|e| LoadError::Format(format!("{}: {e}", path.display())))?;
        report.files += 1;
        if let Some((valid, size)) = cut {
            tracing::warn!(
                "!!! Warning: short read while loading the AOF file {}!!! AOF loaded anyway \
                 because aof-load-truncated is enabled; truncating it to {valid} bytes",
                path.display()
            );
            let file = std::fs::OpenOptions::new().write(true).open(&path)?;
            file.set_len(valid)?;
            file.sync_all()?;
            report.truncated += size - valid;
        }
    }
    report.base_keys = replay.base_keys;
    report.commands = replay.commands;
    report.errors = replay.errors;
    // Append to the last incr file, or start one when the manifest has none.
    let mut manifest = manifest;
    let incr_name = match manifest.incrs.last() {
        Some(f) => f.name.clone(),
        None => {
            let seq = manifest.last_incr_seq() + 1;
            let name = Manifest::incr_name(&prefix, seq);
            manifest.incrs.push(super::manifest::AofFile {
                name: name.clone(),
                seq,
                kind: FileKind::Incr,
            });
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .open(dir.join(&name))?;
            manifest.store(&dir, &manifest_name)?;
            name
        }
    };
    remove_leftovers(&dir, &prefix, &manifest);
    let feed = &srv.keyspace.feed;
    feed.set_on(true);
    let files = Files::open(dir, prefix, manifest, true, incr_name, feed.end())?;
    srv.aof
        .stats
        .rewrite_base_size
        .store(files.total_size(), Relaxed);
    let mut g = srv.aof.files.lock();
    srv.aof.attach(&mut g, files);
    drop(g);
    let st = &srv.persistence;
    st.dirty_at_save
        .store(crate::persistence::save::dirty(srv), Relaxed);
    Ok(Some(report))
}

/// Deletes what a crash in the middle of a rewrite can leave in the AOF directory: base and
/// incr files of this prefix that the manifest does not name (a base written but never
/// installed, history), and temporary files (`temp-*`). Other files are left alone.
fn remove_leftovers(dir: &Path, prefix: &str, manifest: &Manifest) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let named: Vec<&str> = manifest.files().map(|f| f.name.as_str()).collect();
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let ours = name
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix('.'))
            .is_some_and(|rest| {
                let seq_then = |suffix: &str| {
                    rest.strip_suffix(suffix)
                        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                };
                seq_then(".base.rdb") || seq_then(".base.aof") || seq_then(".incr.aof")
            });
        if (ours && !named.contains(&name.as_str())) || name.starts_with("temp-") {
            tracing::info!("Removing the leftover AOF file {name}");
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Starts an AOF of nothing yet (`appendonly yes` at start-up with no AOF and an empty
/// dataset): a manifest naming one empty incr file is on disk before the first client is
/// served, so every acknowledged write is in a loadable AOF from the first one on.
pub fn open_empty(srv: &Arc<Shared>) -> std::io::Result<()> {
    let (dir, prefix, manifest_name) = location(srv);
    std::fs::create_dir_all(&dir)?;
    let name = Manifest::incr_name(&prefix, 1);
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(dir.join(&name))?;
    let manifest = Manifest {
        base: None,
        incrs: vec![super::manifest::AofFile {
            name: name.clone(),
            seq: 1,
            kind: FileKind::Incr,
        }],
        history: Vec::new(),
    };
    manifest.store(&dir, &manifest_name)?;
    let feed = &srv.keyspace.feed;
    feed.set_on(true);
    let files = Files::open(dir, prefix, manifest, true, name, feed.end())?;
    let mut g = srv.aof.files.lock();
    srv.aof.attach(&mut g, files);
    Ok(())
}

/// The loader's client and buffers.
struct Replay {
    client: Client,
    out: Reply,
    argv: Vec<Vec<u8>>,
    buf: Vec<u8>,
    ranges: Vec<std::ops::Range<usize>>,
    base_keys: u64,
    commands: u64,
    errors: u64,
}

impl Replay {
    fn new() -> Replay {
        let info = Arc::new(ClientInfo::new(
            0,
            "aof-loader".into(),
            String::new(),
            -1,
            crate::clock::now_ms(),
        ));
        let mut client = Client::new(info, true);
        client.replaying = true;
        Replay {
            client,
            out: Reply::new(),
            argv: Vec::new(),
            buf: Vec::new(),
            ranges: Vec::new(),
            base_keys: 0,
            commands: 0,
            errors: 0,
        }
    }

    /// Executes the command in `argv`.
    fn run(&mut self, srv: &Shared) {
        self.buf.clear();
        self.ranges.clear();
        for a in &self.argv {
            let start = self.buf.len();
            self.buf.extend_from_slice(a);
            self.ranges.push(start..self.buf.len());
        }
        let args = Args::new(&self.buf, &self.ranges);
        self.out.buf.clear();
        dispatch(
            srv,
            &mut self.client,
            &mut self.out,
            &args,
            crate::clock::now_ms(),
        );
        crate::commands::flush_stats(srv, &mut self.client);
        self.commands += 1;
        if self.out.buf.first() == Some(&b'-') {
            self.errors += 1;
            if self.errors <= 10 {
                tracing::warn!(
                    "AOF command {} ({}) replied: {}",
                    self.commands,
                    String::from_utf8_lossy(&self.argv[0]),
                    String::from_utf8_lossy(&self.out.buf).trim_end()
                );
            }
        }
    }
}

/// Loads one file. With `may_cut`, a truncated tail (or an unfinished MULTI at the end)
/// returns `Some((good bytes, file size))` for the caller to truncate; otherwise it fails.
fn load_file(
    srv: &Shared,
    path: &Path,
    kind: FileKind,
    may_cut: bool,
    replay: &mut Replay,
) -> Result<Option<(u64, u64)>, LoadError> {
    let size = std::fs::metadata(path)?.len();
    let mut r = AofReader::open(path)?;
    if r.has_rdb_preamble() {
        if kind != FileKind::Base {
            tracing::warn!("{} is an incr file with an RDB preamble", path.display());
        }
        let mut rdb = r
            .rdb_preamble()
            .map_err(|e| LoadError::Format(e.to_string()))?;
        let rep = load_entries(srv, &mut rdb)?;
        replay.base_keys += rep.keys;
    }
    // The offset of the MULTI of a transaction whose EXEC has not been read yet.
    let mut multi_at: Option<u64> = None;
    loop {
        match r.read_command(&mut replay.argv) {
            Ok(true) => {
                let name = &replay.argv[0];
                if name.eq_ignore_ascii_case(b"multi") {
                    multi_at = Some(r.last_command_at());
                } else if name.eq_ignore_ascii_case(b"exec") {
                    multi_at = None;
                }
                replay.run(srv);
            }
            Ok(false) => {
                let Some(at) = multi_at else {
                    return Ok(None);
                };
                // A transaction without its EXEC: never applied (DISCARD it), and cut.
                replay.client.discard_multi();
                if may_cut {
                    return Ok(Some((at, size)));
                }
                return Err(LoadError::Format(
                    "Revert incomplete MULTI/EXEC transaction in AOF file".into(),
                ));
            }
            Err(e @ AofError::Truncated { .. }) => {
                replay.client.discard_multi();
                if may_cut {
                    return Ok(Some((multi_at.unwrap_or(r.valid_up_to()), size)));
                }
                return Err(LoadError::Format(format!(
                    "{e} (at byte {}); set aof-load-truncated yes or fix it with \
                     shoal-server --check-aof --fix",
                    e.at()
                )));
            }
            Err(e) => {
                return Err(LoadError::Format(format!(
                    "{e} (at byte {}); make a backup of the AOF, then fix it with \
                     shoal-server --check-aof --fix",
                    e.at()
                )))
            }
        }
    }
}
