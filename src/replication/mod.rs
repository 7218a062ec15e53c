//! Replication as Redis 7.0 does it, so shoal and redis-server replicate from each other
//! (<https://redis.io/docs/management/replication/>).
//!
//! A primary feeds every applied write into the propagation feed (`keyspace::feed`), whose
//! offsets are the replication offsets; its backlog keeps the last `repl-backlog-size` bytes for
//! partial resyncs. [`primary`]: serving replicas (PSYNC, REPLCONF, the RDB of a full sync, the
//! command stream, WAIT). [`replica`]: following a primary (REPLICAOF).

pub mod primary;
pub mod replica;

use parking_lot::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};

/// The node's replication state. INFO replication renders it ([`info`]).
pub struct Replication {
    /// This node's replication id (40 hex), new at start and when a replica is promoted.
    pub replid: Mutex<String>,
    /// The previous replication id (after a promotion), or 40 zeros.
    pub replid2: Mutex<String>,
    /// The offset up to which `replid2` is valid; -1 when there is none.
    pub second_offset: AtomicI64,
    /// Full resyncs served, partial resyncs accepted and refused (INFO stats `sync_full`,
    /// `sync_partial_ok`, `sync_partial_err`).
    pub sync_full: AtomicU64,
    pub sync_partial_ok: AtomicU64,
    pub sync_partial_err: AtomicU64,
    /// The replicas this node serves.
    pub replicas: primary::Replicas,
    /// The primary this node follows, when it is a replica.
    pub link: replica::Link,
}

impl Replication {
    pub fn new(replid: String) -> Replication {
        Replication {
            replid: Mutex::new(replid),
            replid2: Mutex::new("0".repeat(40)),
            second_offset: AtomicI64::new(-1),
            sync_full: AtomicU64::new(0),
            sync_partial_ok: AtomicU64::new(0),
            sync_partial_err: AtomicU64::new(0),
            replicas: Default::default(),
            link: Default::default(),
        }
    }

    /// The second replication offset for INFO (`second_repl_offset`).
    pub fn second_offset(&self) -> i64 {
        self.second_offset.load(Relaxed)
    }
}

/// INFO replication, as Redis 7.0 renders it.
pub fn info(srv: &crate::server::Shared, o: &mut String) {
    use std::fmt::Write as _;
    let r = &srv.replication;
    if r.link.is_replica() {
        let _ = write!(o, "# Replication\r\nrole:slave\r\n");
        replica::info(srv, o);
    } else {
        let _ = write!(o, "# Replication\r\nrole:master\r\n");
    }
    primary::info_replicas(srv, o);
    let offset = srv.keyspace.feed.end();
    let (first, histlen, size, active) = srv.keyspace.feed.backlog_info();
    let _ = write!(
        o,
        "master_failover_state:no-failover\r\nmaster_replid:{}\r\nmaster_replid2:{}\r\n\
         master_repl_offset:{offset}\r\nsecond_repl_offset:{}\r\nrepl_backlog_active:{}\r\n\
         repl_backlog_size:{size}\r\nrepl_backlog_first_byte_offset:{first}\r\n\
         repl_backlog_histlen:{histlen}\r\n",
        r.replid.lock(),
        r.replid2.lock(),
        r.second_offset(),
        active as u8,
    );
}
