//! Persistence formats. [`rdb`]: the RDB file format (version 10, as Redis 7.0) and the
//! DUMP/RESTORE payloads; [`lzf`]: the compressor RDB strings use.
//!
//! This module owns bytes on disk and on the wire only: it reads and writes values and
//! entries handed to it. Walking the keyspace (snapshots), SAVE/BGSAVE, loading at start-up
//! and the AOF live elsewhere and call in here.

pub mod lzf;
pub mod rdb;
