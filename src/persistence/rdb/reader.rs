//! [`RdbReader`]: reads an RDB file (versions 1 to 10) as a sequence of [`RdbEvent`]s
//! (`rdbLoadRioWithLoadingCtx`).

use super::codec::Input;
use super::decode::read_value;
use super::{opcode, types, RdbError, RDB_VERSION};
use crate::keyspace::Entry;
use std::io::Read;

/// What the file's checksum said, reported with [`RdbEvent::Eof`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checksum {
    /// The stored CRC-64 matched the data.
    Verified(u64),
    /// The stored checksum is 0: the writer did not compute one (`rdbchecksum no`).
    NotComputed,
    /// Files before version 5 have no checksum.
    Absent,
}

/// One thing read from an RDB file, in file order.
#[derive(Debug)]
pub enum RdbEvent {
    /// An auxiliary field (redis-ver, ctime, used-mem, repl-id, ...).
    Aux { key: Vec<u8>, value: Vec<u8> },
    /// The following entries belong to database `n`.
    SelectDb(u64),
    /// Size hints for the current database: keys, and keys with an expiry.
    ResizeDb { keys: u64, expires: u64 },
    /// A key and its value. `entry` carries the expiry (unix ms, already in the past for keys
    /// that expired since the save: the loader decides, Redis drops them on a primary) and
    /// the access time derived from `idle`. `rdb_type` is the type byte it was stored with.
    Entry {
        db: u64,
        key: Vec<u8>,
        entry: Entry,
        rdb_type: u8,
        /// Idle seconds from an IDLE opcode before it.
        idle: Option<u64>,
        /// LFU counter from a FREQ opcode before it.
        freq: Option<u8>,
    },
    /// A key whose value was an empty collection: skipped, as Redis skips it.
    EmptyKey { db: u64, key: Vec<u8> },
    /// A function library (FUNCTION2): its code, for the caller to load or ignore.
    Function { code: Vec<u8> },
    /// Module auxiliary data, skipped (shoal has no modules).
    ModuleAux { module_id: u64 },
    /// The end of the file, after the checksum was checked.
    Eof { checksum: Checksum },
}

/// Reads RDB events from `R` (wrap files in a `BufReader`).
///
/// `next_event` returns `Ok(None)` after [`RdbEvent::Eof`]. Malformed or truncated input is
/// an [`RdbError`]; nothing panics and no allocation exceeds what the input backs by more
/// than a fixed cap.
pub struct RdbReader<R: Read> {
    inp: Input<R>,
    version: u32,
    db: u64,
    expire_at: u64,
    idle: Option<u64>,
    freq: Option<u8>,
    now_ms: u64,
    done: bool,
    /// Compare the stored checksum with the computed one (off: `rdbchecksum no` at load).
    verify: bool,
}

impl<R: Read> RdbReader<R> {
    /// Reads and checks the header: `REDIS` and a version in 1..=10.
    pub fn new(r: R) -> Result<RdbReader<R>, RdbError> {
        let mut inp = Input::new(r);
        let mut magic = [0u8; 9];
        inp.fill(&mut magic).map_err(|e| match e {
            RdbError::Truncated => RdbError::BadMagic,
            e => e,
        })?;
        if &magic[..5] != b"REDIS" || !magic[5..].iter().all(u8::is_ascii_digit) {
            return Err(RdbError::BadMagic);
        }
        let version: u32 = magic[5..].iter().fold(0, |v, d| v * 10 + (d - b'0') as u32);
        if version == 0 || version > RDB_VERSION {
            return Err(RdbError::UnsupportedVersion(version));
        }
        Ok(RdbReader {
            inp,
            version,
            db: 0,
            expire_at: 0,
            idle: None,
            freq: None,
            now_ms: crate::clock::now_ms(),
            done: false,
            verify: true,
        })
    }

    /// Whether a stored checksum is verified (default yes). Loading at start-up follows
    /// `rdbchecksum`, as Redis's `rdbLoad`; a file check always verifies.
    pub fn set_verify(&mut self, verify: bool) {
        self.verify = verify;
    }

    /// The clock (unix ms) that turns IDLE seconds into access times; default: now.
    pub fn set_now(&mut self, now_ms: u64) {
        self.now_ms = now_ms;
    }

    /// The file's RDB version.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// Bytes consumed so far (for error reports).
    pub fn offset(&self) -> u64 {
        self.inp.offset()
    }

    /// The next event; `Ok(None)` once the end was read.
    pub fn next_event(&mut self) -> Result<Option<RdbEvent>, RdbError> {
        if self.done {
            return Ok(None);
        }
        let r = self.read_event();
        if !matches!(r, Ok(Some(_))) || matches!(r, Ok(Some(RdbEvent::Eof { .. }))) {
            self.done = true;
        }
        r
    }

    fn read_event(&mut self) -> Result<Option<RdbEvent>, RdbError> {
        loop {
            let t = self.inp.u8()?;
            match t {
                opcode::EXPIRETIME => {
                    let s = self.inp.i32_le()?;
                    self.expire_at = (s.max(0) as u64 * 1000).max(1);
                }
                opcode::EXPIRETIME_MS => {
                    // Negative (before 1970) still means "has an expiry": already expired.
                    self.expire_at = (self.inp.u64_le()? as i64).max(1) as u64;
                }
                opcode::IDLE => self.idle = Some(self.inp.length()?),
                opcode::FREQ => self.freq = Some(self.inp.u8()?),
                opcode::AUX => {
                    let key = self.inp.string()?;
                    let value = self.inp.string()?;
                    return Ok(Some(RdbEvent::Aux { key, value }));
                }
                opcode::SELECTDB => {
                    self.db = self.inp.length()?;
                    return Ok(Some(RdbEvent::SelectDb(self.db)));
                }
                opcode::RESIZEDB => {
                    let keys = self.inp.length()?;
                    let expires = self.inp.length()?;
                    return Ok(Some(RdbEvent::ResizeDb { keys, expires }));
                }
                opcode::FUNCTION2 => {
                    let code = self.inp.string()?;
                    return Ok(Some(RdbEvent::Function { code }));
                }
                opcode::FUNCTION_PRE_GA => {
                    return Err(RdbError::Unsupported(
                        "pre-release function format (RDB_OPCODE_FUNCTION_PRE_GA)".into(),
                    ))
                }
                opcode::MODULE_AUX => {
                    let module_id = self.inp.length()?;
                    let when_opcode = self.inp.length()?;
                    let _when = self.inp.length()?;
                    if when_opcode != MODULE_OPCODE_UINT {
                        return Err(RdbError::Corrupt("bad when_opcode in module aux".into()));
                    }
                    self.skip_module_value()?;
                    return Ok(Some(RdbEvent::ModuleAux { module_id }));
                }
                opcode::EOF => {
                    let checksum = self.read_checksum()?;
                    return Ok(Some(RdbEvent::Eof { checksum }));
                }
                ty => return self.read_entry(ty).map(Some),
            }
        }
    }

    fn read_entry(&mut self, ty: u8) -> Result<RdbEvent, RdbError> {
        let key = self.inp.string()?;
        let value = read_value(&mut self.inp, ty).map_err(|e| match e {
            RdbError::Corrupt(w) => RdbError::Corrupt(format!(
                "{w} (key '{}', type {})",
                String::from_utf8_lossy(&key),
                types::name(ty)
            )),
            e => e,
        })?;
        let expire_at = std::mem::take(&mut self.expire_at);
        let idle = self.idle.take();
        let freq = self.freq.take();
        let Some(value) = value else {
            return Ok(RdbEvent::EmptyKey { db: self.db, key });
        };
        let access_ms = match idle {
            Some(s) => self.now_ms.saturating_sub(s.saturating_mul(1000)),
            None => self.now_ms,
        };
        Ok(RdbEvent::Entry {
            db: self.db,
            key,
            entry: Entry::loaded(value, expire_at, (access_ms / 1000) as u32),
            rdb_type: ty,
            idle,
            freq,
        })
    }

    fn read_checksum(&mut self) -> Result<Checksum, RdbError> {
        if self.version < 5 {
            return Ok(Checksum::Absent);
        }
        let computed = self.inp.crc();
        let stored = self.inp.u64_le()?;
        if stored == 0 || !self.verify {
            Ok(Checksum::NotComputed)
        } else if stored != computed {
            Err(RdbError::Checksum { stored, computed })
        } else {
            Ok(Checksum::Verified(stored))
        }
    }

    /// Skips a module value written with the self-describing opcodes of `RedisModule_Save*`
    /// (`rdbLoadCheckModuleValue`): SINT/UINT lengths, FLOAT, DOUBLE, STRING, until EOF.
    fn skip_module_value(&mut self) -> Result<(), RdbError> {
        loop {
            match self.inp.length()? {
                0 => return Ok(()),
                1 | 2 => {
                    self.inp.length()?;
                }
                3 => {
                    self.inp.bytes(4)?;
                }
                4 => {
                    self.inp.bytes(8)?;
                }
                5 => {
                    self.inp.string()?;
                }
                op => return Err(RdbError::Corrupt(format!("unknown module opcode {op}"))),
            }
        }
    }
}

/// `RDB_MODULE_OPCODE_UINT`.
const MODULE_OPCODE_UINT: u64 = 2;

impl<R: Read> Iterator for RdbReader<R> {
    type Item = Result<RdbEvent, RdbError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_event().transpose()
    }
}
