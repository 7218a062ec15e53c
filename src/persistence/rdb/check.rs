//! `shoal-server --check-rdb FILE`: reads a whole RDB file and reports what it holds, in the
//! manner of `redis-check-rdb`.

use super::reader::{Checksum, RdbEvent, RdbReader};
use super::{types, RdbError};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// What a well-formed RDB file holds.
#[derive(Debug, Clone)]
pub struct Report {
    /// RDB version from the header.
    pub version: u32,
    /// Aux fields in file order (key, value).
    pub aux: Vec<(String, String)>,
    /// Keys read (empty collections not counted).
    pub keys: u64,
    /// Keys per type name (`string`, `list`, `set`, `zset`, `hash`).
    pub by_type: BTreeMap<&'static str, u64>,
    /// Keys per RDB type byte (the stored encoding).
    pub by_rdb_type: BTreeMap<u8, u64>,
    /// Keys per database.
    pub by_db: BTreeMap<u64, u64>,
    /// Keys with an expiry.
    pub expires: u64,
    /// Keys whose expiry had passed when checked.
    pub already_expired: u64,
    /// Keys holding an empty collection, which a loader skips.
    pub empty_keys: u64,
    /// Function libraries (FUNCTION2).
    pub functions: u64,
    /// Module aux records skipped.
    pub module_aux: u64,
    /// What the checksum said.
    pub checksum: Checksum,
    /// File size in bytes.
    pub bytes: u64,
    /// Notable records with the offset after them (aux fields, database selections), for
    /// the printed report.
    pub trace: Vec<(u64, String)>,
}

impl Report {
    /// The report as `redis-check-rdb` prints one.
    pub fn render(&self, path: &str) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "[offset 0] Checking RDB file {path}");
        let _ = writeln!(s, "[offset 9] RDB version {}", self.version);
        for (at, line) in &self.trace {
            let _ = writeln!(s, "[offset {at}] {line}");
        }
        let at = self.bytes;
        match self.checksum {
            Checksum::Verified(_) => {
                let _ = writeln!(s, "[offset {at}] Checksum OK");
            }
            Checksum::NotComputed => {
                let _ = writeln!(
                    s,
                    "[offset {at}] RDB file was saved with checksum disabled: no check performed."
                );
            }
            Checksum::Absent => {
                let _ = writeln!(
                    s,
                    "[offset {at}] RDB version {} has no checksum",
                    self.version
                );
            }
        }
        let _ = writeln!(s, "[offset {at}] \\o/ RDB looks OK! \\o/");
        let _ = writeln!(s, "[info] {} keys read", self.keys);
        let _ = writeln!(s, "[info] {} expires", self.expires);
        let _ = writeln!(s, "[info] {} already expired", self.already_expired);
        if self.empty_keys > 0 {
            let _ = writeln!(s, "[info] {} empty keys skipped", self.empty_keys);
        }
        for (t, n) in &self.by_type {
            let _ = writeln!(s, "[info] {n} {t} keys");
        }
        for (db, n) in &self.by_db {
            let _ = writeln!(s, "[info] db {db}: {n} keys");
        }
        if self.functions > 0 {
            let _ = writeln!(s, "[info] {} function libraries", self.functions);
        }
        if self.module_aux > 0 {
            let _ = writeln!(s, "[info] {} module aux records skipped", self.module_aux);
        }
        s
    }
}

/// Why a check failed: the error and the offset at which it was found.
#[derive(Debug, thiserror::Error)]
#[error("--- RDB ERROR DETECTED ---\n[offset {offset}] {error}\n[additional info] {keys_read} keys read before the error")]
pub struct CheckError {
    /// Bytes read when the error was found.
    pub offset: u64,
    /// What was wrong.
    pub error: RdbError,
    /// Keys read before the error.
    pub keys_read: u64,
}

/// Reads the whole file at `path` and reports its contents, or the first error.
pub fn check_rdb(path: impl AsRef<Path>) -> Result<Report, CheckError> {
    let file = std::fs::File::open(path.as_ref()).map_err(|e| CheckError {
        offset: 0,
        error: RdbError::Io(e),
        keys_read: 0,
    })?;
    check_rdb_reader(std::io::BufReader::new(file))
}

/// [`check_rdb`] on RDB bytes from `r`, read up to the checksum after EOF and no further (so
/// an AOF's RDB preamble can be checked and the commands after it read next). `bytes` in the
/// report is the RDB's length.
pub fn check_rdb_reader(r: impl std::io::Read) -> Result<Report, CheckError> {
    let fail = |offset, error, keys_read| CheckError {
        offset,
        error,
        keys_read,
    };
    let mut rd = RdbReader::new(r).map_err(|e| fail(0, e, 0))?;
    let now = crate::clock::now_ms();
    let mut rep = Report {
        version: rd.version(),
        aux: Vec::new(),
        keys: 0,
        by_type: BTreeMap::new(),
        by_rdb_type: BTreeMap::new(),
        by_db: BTreeMap::new(),
        expires: 0,
        already_expired: 0,
        empty_keys: 0,
        functions: 0,
        module_aux: 0,
        checksum: Checksum::Absent,
        bytes: 0,
        trace: Vec::new(),
    };
    loop {
        let ev = match rd.next_event() {
            Ok(Some(ev)) => ev,
            Ok(None) => return Err(fail(rd.offset(), RdbError::Truncated, rep.keys)),
            Err(e) => return Err(fail(rd.offset(), e, rep.keys)),
        };
        match ev {
            RdbEvent::Aux { key, value } => {
                let (k, v) = (
                    String::from_utf8_lossy(&key).into_owned(),
                    String::from_utf8_lossy(&value).into_owned(),
                );
                rep.trace
                    .push((rd.offset(), format!("AUX FIELD {k} = '{v}'")));
                rep.aux.push((k, v));
            }
            RdbEvent::SelectDb(db) => {
                rep.trace
                    .push((rd.offset(), format!("Selecting DB ID {db}")));
                rep.by_db.entry(db).or_insert(0);
            }
            RdbEvent::ResizeDb { .. } => {}
            RdbEvent::Entry {
                db,
                entry,
                rdb_type,
                ..
            } => {
                rep.keys += 1;
                *rep.by_type.entry(types::name(rdb_type)).or_insert(0) += 1;
                *rep.by_rdb_type.entry(rdb_type).or_insert(0) += 1;
                *rep.by_db.entry(db).or_insert(0) += 1;
                if entry.expire_at().is_some() {
                    rep.expires += 1;
                    if entry.is_expired(now) {
                        rep.already_expired += 1;
                    }
                }
            }
            RdbEvent::EmptyKey { .. } => rep.empty_keys += 1,
            RdbEvent::Function { .. } => rep.functions += 1,
            RdbEvent::ModuleAux { .. } => rep.module_aux += 1,
            RdbEvent::Eof { checksum } => {
                rep.checksum = checksum;
                rep.bytes = rd.offset();
                return Ok(rep);
            }
        }
    }
}
