//! [`RdbWriter`]: writes an RDB version 10 file as redis-server 7.0.15 does (`rdbSaveRio`).

use super::codec::{put_len, put_string};
use super::encode::{put_value, value_type};
use super::{opcode, CRC64};
use crate::keyspace::snapshot::SlotEncoder;
use crate::keyspace::Entry;
use std::io::{self, Write};

/// Appends a SELECTDB record for database `db` (no RESIZEDB: the loader does without hints).
pub fn encode_select_db(out: &mut Vec<u8>, db: u64) {
    out.push(opcode::SELECTDB);
    put_len(out, db);
}

/// Appends one key's record as `rdbSaveKeyValuePair`, with the access record the
/// maxmemory-policy asks for (`ACCESS_RECORD`): see [`encode_entry_at`].
pub fn encode_entry(out: &mut Vec<u8>, key: &[u8], e: &Entry) {
    let access = super::ACCESS_RECORD.load(std::sync::atomic::Ordering::Relaxed);
    encode_entry_at(out, key, e, access, crate::clock::now_ms());
}

/// Appends one key's record: EXPIRETIME_MS when the entry has an expiry; then by `access`
/// nothing (0), its idle seconds at `now_ms` (1, IDLE, an LRU policy) or its decayed LFU counter
/// (2, FREQ, an LFU policy); then the type byte, the key, the value.
fn encode_entry_at(out: &mut Vec<u8>, key: &[u8], e: &Entry, access: u8, now_ms: u64) {
    if let Some(at) = e.expire_at() {
        out.push(opcode::EXPIRETIME_MS);
        out.extend_from_slice(&at.to_le_bytes());
    }
    match access {
        1 => {
            out.push(opcode::IDLE);
            let idle = crate::keyspace::evict::idle_seconds(e.access, now_ms);
            put_len(out, idle as u64);
        }
        2 => {
            out.push(opcode::FREQ);
            let decay = super::LFU_DECAY.load(std::sync::atomic::Ordering::Relaxed);
            out.push(crate::keyspace::evict::lfu_counter(e.access, now_ms, decay));
        }
        _ => {}
    }
    out.push(value_type(&e.value));
    put_string(out, key);
    put_value(out, &e.value);
}

/// The RDB encoding of snapshot chunks: hand [`RDB_ENCODER`] to `Keyspace::snapshot` and pass
/// each chunk it yields to [`RdbWriter::chunk`].
pub struct RdbEncoder;

/// The one [`RdbEncoder`] (snapshots want a `&'static dyn SlotEncoder`).
pub static RDB_ENCODER: RdbEncoder = RdbEncoder;

impl SlotEncoder for RdbEncoder {
    fn begin_db(&self, out: &mut Vec<u8>, db: usize) {
        encode_select_db(out, db as u64);
    }

    fn entry(&self, out: &mut Vec<u8>, key: &[u8], entry: &Entry) {
        encode_entry(out, key, entry);
    }
}

/// Streams an RDB file into `W`: the caller writes the header's aux fields, then for each
/// non-empty database [`RdbWriter::select_db`] followed by its entries, then
/// [`RdbWriter::finish`]. Every byte goes through the CRC-64 that `finish` appends.
pub struct RdbWriter<W: Write> {
    w: W,
    digest: crc::Digest<'static, u64, crc::Table<16>>,
    /// Scratch buffer for one record, reused.
    buf: Vec<u8>,
    written: u64,
    /// [`encode_entry_at`]'s `access` for [`RdbWriter::entry`].
    access: u8,
}

impl<W: Write> RdbWriter<W> {
    /// Starts a file: writes the magic `REDIS0010`.
    pub fn new(w: W) -> io::Result<RdbWriter<W>> {
        let mut wr = RdbWriter {
            w,
            digest: CRC64.digest(),
            buf: Vec::with_capacity(4096),
            written: 0,
            access: 0,
        };
        wr.buf.extend_from_slice(b"REDIS0010");
        wr.flush_buf()?;
        Ok(wr)
    }

    /// Also writes each key's idle time (IDLE opcode, seconds), as Redis does under an LRU
    /// `maxmemory-policy`. Off by default, as Redis's default `noeviction` policy.
    pub fn save_idle(mut self, on: bool) -> RdbWriter<W> {
        self.access = u8::from(on);
        self
    }

    /// Bytes written so far.
    pub fn bytes_written(&self) -> u64 {
        self.written
    }

    fn flush_buf(&mut self) -> io::Result<()> {
        self.w.write_all(&self.buf)?;
        self.digest.update(&self.buf);
        self.written += self.buf.len() as u64;
        self.buf.clear();
        Ok(())
    }

    /// An auxiliary field (AUX opcode, then key and value as strings; a value that is an
    /// integer is integer-encoded, as Redis's `rdbSaveAuxFieldStrInt`).
    pub fn aux(&mut self, key: &[u8], value: &[u8]) -> io::Result<()> {
        self.buf.push(opcode::AUX);
        put_string(&mut self.buf, key);
        put_string(&mut self.buf, value);
        self.flush_buf()
    }

    /// The aux fields redis-server 7.0.15 writes for SAVE on a primary without replicas
    /// (`rdbSaveInfoAuxFields`): `redis-ver` 7.0.15, `redis-bits` 64, `ctime` (now, unix
    /// seconds), `used-mem` (`used_mem` bytes) and `aof-base` (1 for an AOF's base file, whose
    /// RDB preamble it is, else 0).
    pub fn aux_defaults(&mut self, used_mem: u64, aof_base: bool) -> io::Result<()> {
        let ctime = crate::clock::now_ms() / 1000;
        self.aux(
            b"redis-ver",
            crate::commands::connection::REDIS_VERSION.as_bytes(),
        )?;
        self.aux(b"redis-bits", usize::BITS.to_string().as_bytes())?;
        self.aux(b"ctime", ctime.to_string().as_bytes())?;
        self.aux(b"used-mem", used_mem.to_string().as_bytes())?;
        self.aux(b"aof-base", if aof_base { b"1" } else { b"0" })
    }

    /// Starts database `db`: SELECTDB, then RESIZEDB with its key count and the count of keys
    /// with an expiry (size hints for the loader).
    pub fn select_db(&mut self, db: u64, keys: u64, expires: u64) -> io::Result<()> {
        self.buf.push(opcode::SELECTDB);
        put_len(&mut self.buf, db);
        self.buf.push(opcode::RESIZEDB);
        put_len(&mut self.buf, keys);
        put_len(&mut self.buf, expires);
        self.flush_buf()
    }

    /// One key (`rdbSaveKeyValuePair`): EXPIRETIME_MS when it has an expiry, IDLE when enabled
    /// (idle seconds at `now_ms`, unix ms), the type byte, the key, the value.
    pub fn entry(&mut self, key: &[u8], e: &Entry, now_ms: u64) -> io::Result<()> {
        encode_entry_at(&mut self.buf, key, e, self.access, now_ms);
        self.flush_buf()
    }

    /// Pre-encoded records ([`encode_select_db`], [`encode_entry`], or a snapshot chunk made
    /// by [`RDB_ENCODER`]), written as they are and counted in the checksum.
    pub fn chunk(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.w.write_all(bytes)?;
        self.digest.update(bytes);
        self.written += bytes.len() as u64;
        Ok(())
    }

    /// A function library (FUNCTION2 opcode, then its code), as Redis 7.0 writes FUNCTION
    /// LOAD libraries before the databases.
    pub fn function(&mut self, code: &[u8]) -> io::Result<()> {
        self.buf.push(opcode::FUNCTION2);
        put_string(&mut self.buf, code);
        self.flush_buf()
    }

    /// Ends the file: EOF, then the CRC-64 of everything before, little-endian (0 with
    /// `rdbchecksum no`, [`super::CHECKSUM`], as Redis writes then). Returns the inner writer
    /// (flushed).
    pub fn finish(mut self) -> io::Result<W> {
        self.buf.push(opcode::EOF);
        self.flush_buf()?;
        let crc = if super::CHECKSUM.load(std::sync::atomic::Ordering::Relaxed) {
            self.digest.clone().finalize()
        } else {
            0
        };
        self.w.write_all(&crc.to_le_bytes())?;
        self.written += 8;
        self.w.flush()?;
        Ok(self.w)
    }
}
