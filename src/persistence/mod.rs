//! Persistence. [`rdb`]: the RDB file format (version 10, as Redis 7.0) and the DUMP/RESTORE
//! payloads; [`lzf`]: the compressor RDB strings use; [`save`]: RDB files on disk (SAVE,
//! BGSAVE, save points, the save on shutdown, loading at start-up); [`aof`]: the files of
//! Redis 7.0's multi-part AOF (manifest, commands of one file, `--check-aof`).
//!
//! The formats own bytes only: they read and write values and entries handed to them. The
//! keyspace's copy-on-write walk (`keyspace::snapshot`) feeds the writer.

pub mod aof;
pub mod lzf;
pub mod rdb;
pub mod save;
