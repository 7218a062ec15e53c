//! The append-only file in Redis 7.0's multi-part layout (`aof.c`): a directory
//! (`appenddirname`) holding a base file (an RDB, or commands), incr files of commands in RESP,
//! and a manifest naming them. [`manifest`]: the manifest's text and its file; [`reader`]:
//! the commands (and RDB preamble) of one file; [`check`]: `--check-aof`, as redis-check-aof.

pub mod check;
pub mod manifest;
pub mod reader;
