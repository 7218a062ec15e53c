//! The append-only file, as Redis 7.0's multi-part AOF (`aof.c`): a directory
//! (`appenddirname` inside `dir`) holding a manifest, one base file (an RDB file, or commands:
//! the data at the last rewrite) and incr files (RESP commands applied since), so files move
//! between Redis and shoal.
//!
//! [`manifest`]: the manifest's text and its file; [`reader`]: the commands (and RDB preamble)
//! of one file; [`check`]: `--check-aof`, as redis-check-aof; [`writer`]: appending the
//! propagation feed and fsyncing it as `appendfsync` says; [`rewrite`]: BGREWRITEAOF (a new
//! base from a keyspace snapshot, a new incr file from its instant on); [`load`]: replaying the
//! files at start-up; [`base`]: a base in command form (`aof-use-rdb-preamble no`).
//! <https://redis.io/docs/management/persistence/>

pub mod base;
pub mod check;
pub mod load;
pub mod manifest;
pub mod reader;
pub mod rewrite;
pub mod writer;

pub use writer::{Aof, Fsync};
