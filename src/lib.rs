//! shoal: a Redis-compatible, sharded in-memory cache server.
//!
//! Map of the crate (see ../shared/ARCHITECTURE.md for the design):
//! - [`protocol`]: RESP2/RESP3 request parser and reply encoder.
//! - [`server`]: listener, connections, client registry, shared state, cron, shutdown.
//! - [`commands`]: the command table and dispatch, one file per command family.
//! - [`keyspace`]: databases of 16384 slot tables grouped into locked shards; expiry.
//! - [`persistence`]: the RDB format (files, DUMP/RESTORE payloads), LZF, and the files of the
//!   multi-part AOF (manifest, command reader, `--check-aof`).
//! - [`cluster`]: cluster mode: the topology (through openraft), slots, the bus.
//! - [`replication`]: serving replicas (PSYNC, the backlog, REPLCONF).
//! - [`memory`]: the counting allocator (used_memory) and jemalloc statistics.
//! - [`config`]: redis.conf directives; [`info`]: INFO sections; [`logging`]; [`clock`]; [`util`].
#![forbid(unsafe_op_in_unsafe_fn)]

pub mod clock;
pub mod cluster;
pub mod commands;
pub mod config;
pub mod info;
pub mod keyspace;
pub mod logging;
pub mod memory;
pub mod persistence;
pub mod protocol;
pub mod replication;
pub mod server;
pub mod util;
