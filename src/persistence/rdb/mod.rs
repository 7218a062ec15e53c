//! The RDB file format, version 10, as redis-server 7.0 writes it (`rdb.c`, `rdb.h`), and the
//! DUMP/RESTORE payloads built from the same value encoding.
//!
//! A file is `REDIS` + four ASCII version digits, then opcodes and key/value pairs:
//! ```text
//! AUX key value ...          (0xFA) redis-ver, redis-bits, ctime, used-mem, aof-base
//! SELECTDB n, RESIZEDB k e   (0xFE, 0xFB) once per non-empty database
//! [EXPIRETIME_MS t] [IDLE s | FREQ f] TYPE key value ...
//! EOF (0xFF), CRC64 (8 bytes LE, Jones polynomial, over everything before; 0 = not computed)
//! ```
//! Lengths use the 2-bit-prefixed length encoding ([`codec`]); strings may be stored as
//! integers or LZF-compressed; collections are written in the 7.0 types (quicklist of
//! listpacks, intset, listpack hashes and sorted sets, or their plain forms when big).
//!
//! Owns: the byte format only. The snapshot walk, SAVE/BGSAVE and loading at start-up call
//! [`RdbWriter`] and [`RdbReader`]; they must not write bytes of their own.
//!
//! Layout: [`codec`] (lengths, strings, doubles), [`packed`] (listpack, intset, ziplist,
//! zipmap), [`encode`] / [`decode`] (values by type), [`stream`] (streams), [`writer`], [`reader`], [`check`]
//! (`--check-rdb`), [`dump`] (DUMP/RESTORE payloads).

pub mod check;
pub mod codec;
pub mod decode;
pub mod dump;
pub mod encode;
pub mod packed;
pub mod reader;
pub mod stream;
pub mod writer;

#[cfg(test)]
mod roundtrip;

pub use check::{check_rdb, check_rdb_reader, Report};
pub use dump::{dump_payload, restore_payload};
pub use reader::{Checksum, RdbEvent, RdbReader};
pub use writer::{encode_entry, encode_select_db, RdbEncoder, RdbWriter, RDB_ENCODER};

/// The RDB version this module writes (Redis 7.0's `RDB_VERSION`).
pub const RDB_VERSION: u32 = 10;

/// Opcodes (`rdb.h`), fixed numbers of the format.
pub mod opcode {
    /// Reserved by Redis 7.0 for function libraries (pre-GA format, rejected).
    pub const FUNCTION_PRE_GA: u8 = 246;
    /// A function library (its Lua code), Redis 7.0.
    pub const FUNCTION2: u8 = 245;
    /// Module auxiliary data.
    pub const MODULE_AUX: u8 = 247;
    /// LRU idle time of the next key, seconds (length-encoded).
    pub const IDLE: u8 = 248;
    /// LFU frequency of the next key (one byte).
    pub const FREQ: u8 = 249;
    /// An auxiliary field: two strings.
    pub const AUX: u8 = 250;
    /// Hash table size hints of the current database: two lengths.
    pub const RESIZEDB: u8 = 251;
    /// Expiry of the next key, unix ms, 8 bytes LE.
    pub const EXPIRETIME_MS: u8 = 252;
    /// Expiry of the next key, unix seconds, 4 bytes LE (old files).
    pub const EXPIRETIME: u8 = 253;
    /// Selects a database: one length.
    pub const SELECTDB: u8 = 254;
    /// End of the file; the checksum follows.
    pub const EOF: u8 = 255;
}

/// Value types (`rdb.h`), fixed numbers of the format.
pub mod types {
    /// A string: one RDB string.
    pub const STRING: u8 = 0;
    /// A list as a count and strings (before quicklists).
    pub const LIST: u8 = 1;
    /// A set as a count and members (7.0 writes it for `hashtable` sets).
    pub const SET: u8 = 2;
    /// A sorted set with scores as length-prefixed ASCII (old files).
    pub const ZSET: u8 = 3;
    /// A hash as a count and field/value strings (7.0 writes it for `hashtable` hashes).
    pub const HASH: u8 = 4;
    /// A sorted set with binary double scores (7.0 writes it for `skiplist` sets).
    pub const ZSET_2: u8 = 5;
    /// A module value, pre-release format (not loaded).
    pub const MODULE_PRE_GA: u8 = 6;
    /// A module value (not loaded: shoal has no modules).
    pub const MODULE_2: u8 = 7;
    /// A hash as a zipmap (Redis before 2.6).
    pub const HASH_ZIPMAP: u8 = 9;
    /// A list as one ziplist (Redis before 3.2).
    pub const LIST_ZIPLIST: u8 = 10;
    /// A set of integers as an intset.
    pub const SET_INTSET: u8 = 11;
    /// A sorted set as a ziplist of member, score (Redis before 7.0).
    pub const ZSET_ZIPLIST: u8 = 12;
    /// A hash as a ziplist of field, value (Redis before 7.0).
    pub const HASH_ZIPLIST: u8 = 13;
    /// A list as a quicklist of ziplists (Redis 3.2 to 6.2).
    pub const LIST_QUICKLIST: u8 = 14;
    /// A stream, Redis 5.0 to 6.2 format.
    pub const STREAM_LISTPACKS: u8 = 15;
    /// A hash as a listpack of field, value (7.0 for `listpack` hashes).
    pub const HASH_LISTPACK: u8 = 16;
    /// A sorted set as a listpack of member, score (7.0 for `listpack` sets).
    pub const ZSET_LISTPACK: u8 = 17;
    /// A list as a quicklist of listpack (or plain) nodes (7.0).
    pub const LIST_QUICKLIST_2: u8 = 18;
    /// A stream with 7.0's metadata (first id, max deleted id, entries added, entries read).
    pub const STREAM_LISTPACKS_2: u8 = 19;

    /// The name redis-check-rdb and `--check-rdb` report for a type byte.
    pub fn name(t: u8) -> &'static str {
        match t {
            STRING => "string",
            LIST | LIST_ZIPLIST | LIST_QUICKLIST | LIST_QUICKLIST_2 => "list",
            SET | SET_INTSET => "set",
            ZSET | ZSET_2 | ZSET_ZIPLIST | ZSET_LISTPACK => "zset",
            HASH | HASH_ZIPMAP | HASH_ZIPLIST | HASH_LISTPACK => "hash",
            STREAM_LISTPACKS | STREAM_LISTPACKS_2 => "stream",
            MODULE_PRE_GA | MODULE_2 => "module",
            _ => "unknown",
        }
    }
}

/// Quicklist node containers in `LIST_QUICKLIST_2` (`quicklist.h`).
pub mod container {
    /// A node holding one element as a plain string.
    pub const PLAIN: u64 = 1;
    /// A node holding a listpack.
    pub const PACKED: u64 = 2;
}

/// The CRC-64 Redis uses (`crc64.c`: Jones polynomial, reflected, init 0), slice-by-16.
/// `rdbcompression`: LZF-compress strings longer than 20 bytes (RDB files, AOF bases, DUMP
/// payloads), as Redis's `server.rdb_compression`. Set from the config.
pub static COMPRESS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);

/// `rdbchecksum`: end RDB files with their CRC-64 (else 0, "not computed") and verify it when
/// loading a file at start-up, as Redis's `server.rdb_checksum`. Set from the config; DUMP
/// payloads always carry and check theirs, as in Redis.
pub static CHECKSUM: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);

/// Which access record snapshots write before each key, as Redis's `rdbSaveKeyValuePair`:
/// 0 none, 1 IDLE (seconds, under an LRU policy), 2 FREQ (the LFU counter, under an LFU
/// policy); and the `lfu-decay-time` the counter is decayed with. Set from the config.
pub static ACCESS_RECORD: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);
pub static LFU_DECAY: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);

/// Applies `maxmemory-policy` and `lfu-decay-time` to what snapshots record of key accesses.
pub fn set_access_record(policy: crate::keyspace::evict::Policy, lfu_decay_time: u32) {
    use crate::keyspace::evict::Policy;
    use std::sync::atomic::Ordering::Relaxed;
    let mode = match policy {
        Policy::AllKeysLru | Policy::VolatileLru => 1,
        p if p.is_lfu() => 2,
        _ => 0,
    };
    ACCESS_RECORD.store(mode, Relaxed);
    LFU_DECAY.store(lfu_decay_time, Relaxed);
}

/// Applies `rdbcompression` and `rdbchecksum`.
pub fn set_options(compress: bool, checksum: bool) {
    use std::sync::atomic::Ordering::Relaxed;
    COMPRESS.store(compress, Relaxed);
    CHECKSUM.store(checksum, Relaxed);
}

pub(crate) static CRC64: crc::Crc<u64, crc::Table<16>> =
    crc::Crc::<u64, crc::Table<16>>::new(&crc::CRC_64_REDIS);

/// CRC-64 of `bytes` as Redis's `crc64(0, bytes, len)`.
pub fn crc64(bytes: &[u8]) -> u64 {
    CRC64.checksum(bytes)
}

/// Why reading (or writing) RDB data failed. Messages follow Redis's loader where it has one.
#[derive(Debug, thiserror::Error)]
pub enum RdbError {
    /// The underlying reader or writer failed.
    #[error("I/O error: {0}")]
    Io(std::io::Error),
    /// The input ended inside a structure.
    #[error("Unexpected EOF reading RDB file")]
    Truncated,
    /// The file does not start with `REDIS` and four digits.
    #[error("Wrong signature trying to load DB from file")]
    BadMagic,
    /// A version this reader does not know (newer than [`RDB_VERSION`], or 0).
    #[error("Can't handle RDB format version {0}")]
    UnsupportedVersion(u32),
    /// Bytes that cannot be a valid encoding; says what was wrong.
    #[error("Corrupt RDB data: {0}")]
    Corrupt(String),
    /// The stored checksum differs from the one computed over the data.
    #[error("Wrong RDB checksum expected: ({stored:x}) got: ({computed:x})")]
    Checksum { stored: u64, computed: u64 },
    /// A value type or opcode this reader does not load (module values, unknown numbers).
    #[error("Unsupported RDB content: {0}")]
    Unsupported(String),
}

impl From<std::io::Error> for RdbError {
    fn from(e: std::io::Error) -> RdbError {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            RdbError::Truncated
        } else {
            RdbError::Io(e)
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn crc64_matches_redis_test_vector() {
        // crc64.c's self test: crc64(0, "123456789", 9) == 0xe9c6d914c4b8d9ca.
        assert_eq!(super::crc64(b"123456789"), 0xe9c6d914c4b8d9ca);
        let mut d = super::CRC64.digest();
        d.update(b"1234");
        d.update(b"56789");
        assert_eq!(d.finalize(), 0xe9c6d914c4b8d9ca);
    }

    #[test]
    fn fixed_numbers_are_pinned() {
        use super::{opcode::*, types::*};
        assert_eq!(
            [
                FUNCTION2,
                MODULE_AUX,
                IDLE,
                FREQ,
                AUX,
                RESIZEDB,
                EXPIRETIME_MS,
                EXPIRETIME,
                SELECTDB,
                EOF
            ],
            [245, 247, 248, 249, 250, 251, 252, 253, 254, 255]
        );
        assert_eq!(
            [
                STRING,
                LIST,
                SET,
                ZSET,
                HASH,
                ZSET_2,
                HASH_ZIPMAP,
                LIST_ZIPLIST,
                SET_INTSET
            ],
            [0, 1, 2, 3, 4, 5, 9, 10, 11]
        );
        assert_eq!(
            [
                ZSET_ZIPLIST,
                HASH_ZIPLIST,
                LIST_QUICKLIST,
                STREAM_LISTPACKS,
                HASH_LISTPACK
            ],
            [12, 13, 14, 15, 16]
        );
        assert_eq!(
            [ZSET_LISTPACK, LIST_QUICKLIST_2, STREAM_LISTPACKS_2],
            [17, 18, 19]
        );
    }
}
