//! Serving replicas, as a Redis 7.0 primary does (<https://redis.io/docs/management/replication/>).
//!
//! A replica connects like a client, says `REPLCONF listening-port <port>` and `REPLCONF capa
//! eof capa psync2`, then `PSYNC <replid> <offset>` (or `PSYNC ? -1`, or the old `SYNC`). The
//! connection then becomes a replica link ([`serve`]):
//! - partial resync: when the replication id is ours (or our previous one, up to the offset it
//!   was valid to) and the offset is still in the backlog: `+CONTINUE <replid>`, then the feed
//!   from that offset;
//! - full resync: a keyspace snapshot (no fork) fixes an offset X; `+FULLRESYNC <replid> X`,
//!   the RDB of the snapshot (`$EOF:<mark>` ... `<mark>` when the replica has `capa eof`, else
//!   `$<length>`), then the feed from X. The replica's position in the feed is pinned, so what
//!   is written during the transfer is kept for it (up to `client-output-buffer-limit replica`'s
//!   hard limit; past it the replica is dropped and will resync).
//!
//! The replica answers with `REPLCONF ACK <offset>` (every second, and on `REPLCONF GETACK`),
//! which INFO shows and WAIT counts. Offsets are the feed's: a replica that has applied the
//! stream up to offset N acknowledges N; it asks to continue from N + 1.

use crate::keyspace::snapshot::SnapshotError;
use crate::persistence::rdb::writer::{RdbWriter, RDB_ENCODER};
use crate::protocol::{parse_request, RequestLimits};
use crate::server::client::Client;
use crate::server::Shared;
use bytes::{Buf, BytesMut};
use parking_lot::Mutex;
use std::io::Write;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What a replica said before PSYNC (REPLCONF), and where its PSYNC starts.
#[derive(Debug, Default, Clone)]
pub struct Handshake {
    /// `REPLCONF listening-port`: the port the replica serves clients on (INFO `slaveN:port`).
    pub listening_port: u16,
    /// `REPLCONF ip-address`, if given.
    pub ip: Option<String>,
    /// `REPLCONF capa eof`: it reads an RDB sent without its length (`$EOF:<mark>`).
    pub capa_eof: bool,
    /// Set by PSYNC/SYNC: where the stream starts.
    pub start: Option<Start>,
}

/// Where a replica's stream starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// `+FULLRESYNC`, an RDB, then the feed.
    Full,
    /// `SYNC`: an RDB (`$<length>`), then the feed, without the `+FULLRESYNC` line.
    Sync,
    /// `+CONTINUE`, then the feed from this offset.
    Partial(u64),
}

/// Replica states as INFO shows them.
const WAIT_BGSAVE: u8 = 0;
const SEND_BULK: u8 = 1;
const ONLINE: u8 = 2;

/// A connected replica, as INFO and WAIT see it.
#[derive(Debug)]
pub struct ReplicaInfo {
    pub client_id: u64,
    pub ip: String,
    pub port: u16,
    state: AtomicU8,
    /// The offset it last acknowledged (REPLCONF ACK).
    pub ack: AtomicU64,
    /// When, unix ms.
    pub ack_ms: AtomicU64,
    /// Acknowledgements received.
    acks: AtomicU64,
}

/// The replicas of this node.
#[derive(Default)]
pub struct Replicas {
    list: Mutex<Vec<Arc<ReplicaInfo>>>,
    /// Woken by every acknowledgement (WAIT waits on it).
    pub acked: tokio::sync::Notify,
}

impl Replicas {
    /// Connected replicas.
    pub fn count(&self) -> usize {
        self.list.lock().len()
    }

    /// Replicas that acknowledged `offset` or more.
    pub fn acked_at_least(&self, offset: u64) -> usize {
        self.list
            .lock()
            .iter()
            .filter(|r| r.state.load(Relaxed) == ONLINE && r.ack.load(Relaxed) >= offset)
            .count()
    }

    /// Online replicas whose last acknowledgement is at most `max_lag` seconds old.
    pub fn good(&self, max_lag: u64) -> usize {
        let now = crate::clock::now_ms();
        self.list
            .lock()
            .iter()
            .filter(|r| {
                r.state.load(Relaxed) == ONLINE
                    && now.saturating_sub(r.ack_ms.load(Relaxed)) / 1000 <= max_lag
            })
            .count()
    }

    fn add(&self, r: Arc<ReplicaInfo>) {
        self.list.lock().push(r);
    }

    fn remove(&self, r: &Arc<ReplicaInfo>) {
        self.list.lock().retain(|x| !Arc::ptr_eq(x, r));
    }
}

/// Whether `min-replicas-to-write` replicas acknowledged within `min-replicas-max-lag`
/// seconds (Redis's `checkGoodReplicasStatus`); writes are refused with -NOREPLICAS otherwise.
pub fn enough_good_replicas(srv: &Shared) -> bool {
    let want = srv.limits.min_replicas.load(Relaxed);
    let lag = srv.limits.min_replicas_max_lag.load(Relaxed);
    want == 0 || lag == 0 || srv.replication.replicas.good(lag) as u64 >= want
}

/// INFO replication's `connected_slaves`, `min_slaves_good_slaves` (when
/// `min-replicas-to-write` is set) and `slaveN` lines.
pub fn info_replicas(srv: &Shared, o: &mut String) {
    use std::fmt::Write as _;
    let list = srv.replication.replicas.list.lock().clone();
    let now = crate::clock::now_ms();
    let _ = write!(o, "connected_slaves:{}\r\n", list.len());
    let (want, lag) = (
        srv.limits.min_replicas.load(Relaxed),
        srv.limits.min_replicas_max_lag.load(Relaxed),
    );
    if want > 0 && lag > 0 {
        let _ = write!(
            o,
            "min_slaves_good_slaves:{}\r\n",
            srv.replication.replicas.good(lag)
        );
    }
    for (i, r) in list.iter().enumerate() {
        let state = match r.state.load(Relaxed) {
            WAIT_BGSAVE => "wait_bgsave",
            SEND_BULK => "send_bulk",
            _ => "online",
        };
        let lag = now.saturating_sub(r.ack_ms.load(Relaxed)) / 1000;
        let _ = write!(
            o,
            "slave{i}:ip={},port={},state={state},offset={},lag={lag}\r\n",
            r.ip,
            r.port,
            r.ack.load(Relaxed)
        );
    }
}

/// PSYNC's choice: a partial resync from `offset` (the next byte the replica wants, counted
/// from 1 as Redis does) when `replid` is ours, or our previous one and the offset is within
/// what it covered, and the backlog still holds it; else a full resync.
pub fn decide(srv: &Shared, replid: &[u8], offset: i64) -> Start {
    let r = &srv.replication;
    let from = offset - 1;
    let ours = replid == r.replid.lock().as_bytes();
    // `second_offset` is the first offset (counted from 1) of the new history: bytes before it
    // (0-based `from` below it) are the old id's.
    let previous = replid == r.replid2.lock().as_bytes() && from < r.second_offset();
    if (ours || previous) && from >= 0 && srv.keyspace.feed.has(from as u64) {
        Start::Partial(from as u64)
    } else {
        Start::Full
    }
}

/// WAIT's wait: until `want` replicas acknowledged `offset`, the deadline (unix ms, 0 = none)
/// passes, or the client is killed; returns how many acknowledged.
pub async fn wait_acks(
    shared: &Shared,
    client: &Client,
    want: usize,
    offset: u64,
    deadline: u64,
) -> usize {
    let replicas = &shared.replication.replicas;
    let sleep = crate::clock::sleep_until_ms(deadline);
    tokio::pin!(sleep);
    loop {
        let n = replicas.acked.notified();
        tokio::pin!(n);
        n.as_mut().enable();
        let acked = replicas.acked_at_least(offset);
        if acked >= want || client.info.killed.load(Relaxed) {
            return acked;
        }
        tokio::select! {
            _ = &mut n => {}
            _ = &mut sleep => return replicas.acked_at_least(offset),
            _ = client.info.until_killed() => return replicas.acked_at_least(offset),
        }
    }
}

/// Creates the backlog (or applies `repl-backlog-size` and the replica output limit to it).
pub fn ensure_backlog(srv: &Shared) {
    let (size, hard) = {
        let c = srv.config.read();
        let hard = c.client_output_buffer_limit[1].0;
        (
            c.repl_backlog_size as usize,
            if hard == 0 { usize::MAX } else { hard as usize },
        )
    };
    srv.keyspace.feed.ensure_backlog(size, hard);
}

/// Frees the backlog after `repl-backlog-ttl` seconds without replicas: no partial resync can
/// be served any more, so the replication id changes and the previous one is forgotten (as
/// Redis's `freeReplicationBacklog` with `changeReplicationId` / `clearReplicationId2`).
pub fn free_backlog(srv: &Shared) {
    srv.keyspace.feed.drop_backlog();
    let r = &srv.replication;
    *r.replid.lock() = crate::server::random_hex(40);
    *r.replid2.lock() = "0".repeat(40);
    r.second_offset.store(-1, Relaxed);
    tracing::info!("Replication backlog freed after repl-backlog-ttl seconds without replicas");
}

/// Removes the replica from the registry and unpins its position when the link ends.
struct Registered<'a> {
    srv: &'a Shared,
    info: Arc<ReplicaInfo>,
    pin: Arc<AtomicU64>,
}

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        self.srv.replication.replicas.remove(&self.info);
        self.srv.keyspace.feed.unpin(&self.pin);
        self.srv.replication.replicas.acked.notify_waiters();
    }
}

/// Serves the replica on `sock` until it disconnects, is killed, falls too far behind, or the
/// server stops. `rbuf` holds what it sent after PSYNC.
pub async fn serve(
    shared: &Arc<Shared>,
    sock: &mut TcpStream,
    client: &mut Client,
    rbuf: &mut BytesMut,
) -> std::io::Result<()> {
    let hs = client.replication.take().map(|b| *b).unwrap_or_default();
    let mut start = hs.start.unwrap_or(Start::Full);
    let feed = &shared.keyspace.feed;
    ensure_backlog(shared);
    let ip = hs.ip.clone().unwrap_or_else(|| {
        client
            .info
            .addr
            .rsplit_once(':')
            .map(|(ip, _)| ip.to_string())
            .unwrap_or_default()
    });
    let info = Arc::new(ReplicaInfo {
        client_id: client.id,
        ip,
        port: hs.listening_port,
        state: AtomicU8::new(WAIT_BGSAVE),
        ack: AtomicU64::new(0),
        ack_ms: AtomicU64::new(crate::clock::now_ms()),
        acks: AtomicU64::new(0),
    });
    let reg = Registered {
        srv: shared,
        pin: feed.pin(feed.end()),
        info: info.clone(),
    };
    shared.replication.replicas.add(info.clone());
    client
        .info
        .set_flag(crate::server::client::cflag::REPLICA, true);
    let replid = shared.replication.replid.lock().clone();
    if let Start::Partial(from) = start {
        reg.pin.store(from, Relaxed);
        if !feed.has(from) {
            // Dropped from the backlog since PSYNC looked.
            start = Start::Full;
        }
    }
    let mut cursor = match start {
        Start::Partial(from) => {
            shared.replication.sync_partial_ok.fetch_add(1, Relaxed);
            sock.write_all(format!("+CONTINUE {replid}\r\n").as_bytes())
                .await?;
            tracing::info!(
                "Partial resynchronization request from {} accepted, sending from offset {from}",
                client.info.addr
            );
            from
        }
        Start::Full | Start::Sync => {
            let run = loop {
                match shared
                    .keyspace
                    .begin_snapshot(&RDB_ENCODER, crate::clock::now_ms())
                {
                    Ok(r) => break r,
                    Err(SnapshotError::Busy) => {
                        // Another snapshot (BGSAVE, a rewrite) runs: start after it.
                        tokio::select! {
                            _ = tokio::time::sleep(Duration::from_millis(50)) => {}
                            _ = client.info.until_killed() => return Ok(()),
                        }
                    }
                    Err(SnapshotError::Io(e)) => return Err(e),
                }
            };
            let x = run.feed_offset;
            reg.pin.store(x, Relaxed);
            shared.replication.sync_full.fetch_add(1, Relaxed);
            if start == Start::Full {
                sock.write_all(format!("+FULLRESYNC {replid} {x}\r\n").as_bytes())
                    .await?;
            }
            tracing::info!(
                "Full resync requested by replica {}: streaming a snapshot at offset {x}",
                client.info.addr
            );
            info.state.store(SEND_BULK, Relaxed);
            let eof = hs.capa_eof && start == Start::Full;
            send_rdb(shared, sock, run, eof).await?;
            if eof {
                // A replica finds the end of a diskless RDB by its last 40 bytes, so nothing
                // may follow until it has loaded it: it says so with its first REPLCONF ACK
                // (Redis's `repl_put_online_on_ack`).
                let acks = info.acks.load(Relaxed);
                while info.acks.load(Relaxed) == acks {
                    tokio::select! {
                        r = sock.read_buf(rbuf) => {
                            if r? == 0 {
                                return Ok(());
                            }
                            handle_acks(shared, rbuf, &info)?;
                        }
                        _ = client.info.until_killed() => return Ok(()),
                    }
                }
            }
            tracing::info!(
                "Synchronization with replica {} succeeded",
                client.info.addr
            );
            x
        }
    };
    info.state.store(ONLINE, Relaxed);
    // What the replica sent along with PSYNC, or during the RDB.
    handle_acks(shared, rbuf, &info)?;
    info.ack_ms.store(crate::clock::now_ms(), Relaxed);
    let (soft, soft_secs) = {
        let c = shared.config.read().client_output_buffer_limit[1];
        (c.1, c.2)
    };
    let mut soft_limit = SoftLimit {
        soft,
        secs: soft_secs,
        since: None,
    };
    let mut out = Vec::with_capacity(64 * 1024);
    loop {
        if soft_limit.exceeded(feed.end().saturating_sub(cursor)) {
            tracing::warn!(
                "Replica {} stayed over the soft limit of client-output-buffer-limit replica \
                 for {soft_secs} s: closing its link",
                client.info.addr
            );
            return Ok(());
        }
        out.clear();
        let Some(n) = feed.read(cursor, &mut out, 256 * 1024) else {
            tracing::warn!(
                "Replica {} fell behind the backlog (client-output-buffer-limit replica): \
                 closing its link",
                client.info.addr
            );
            return Ok(());
        };
        if n > 0 {
            // Written in steps, so a replica that stops reading is still measured against
            // the soft limit while the socket is full.
            let mut pos = 0;
            while pos < out.len() {
                tokio::select! {
                    r = sock.writable() => {
                        r?;
                        match sock.try_write(&out[pos..]) {
                            Ok(w) => pos += w,
                            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                            Err(e) => return Err(e),
                        }
                    }
                    _ = tokio::time::sleep(Duration::from_millis(250)) => {
                        let behind = feed.end().saturating_sub(cursor + pos as u64);
                        if soft_limit.exceeded(behind) {
                            tracing::warn!(
                                "Replica {} stayed over the soft limit of \
                                 client-output-buffer-limit replica for {soft_secs} s: \
                                 closing its link",
                                client.info.addr
                            );
                            return Ok(());
                        }
                    }
                    _ = client.info.until_killed() => return Ok(()),
                }
            }
            cursor += n as u64;
            reg.pin.store(cursor, Relaxed);
            shared
                .stats
                .net_repl_output_bytes
                .fetch_add(n as u64, Relaxed);
            read_acks(shared, sock, rbuf, &info)?;
            continue;
        }
        tokio::select! {
            _ = feed.wait_past(cursor) => {}
            r = sock.read_buf(rbuf) => {
                if r? == 0 {
                    return Ok(());
                }
                handle_acks(shared, rbuf, &info)?;
            }
            _ = client.info.until_killed() => return Ok(()),
        }
        if client.info.killed.load(Relaxed) {
            return Ok(());
        }
    }
}

/// `client-output-buffer-limit replica`'s soft part: a replica more than `soft` bytes behind
/// for `secs` seconds in a row is cut off (0 = no soft limit).
struct SoftLimit {
    soft: u64,
    secs: u64,
    since: Option<std::time::Instant>,
}

impl SoftLimit {
    /// Records that the replica is `behind` bytes behind now; whether it must be cut off.
    fn exceeded(&mut self, behind: u64) -> bool {
        if self.soft == 0 || behind <= self.soft {
            self.since = None;
            return false;
        }
        let since = *self.since.get_or_insert_with(std::time::Instant::now);
        since.elapsed() >= Duration::from_secs(self.secs)
    }
}

/// Reads whatever the replica sent without waiting (acks while the stream is busy).
fn read_acks(
    shared: &Shared,
    sock: &TcpStream,
    rbuf: &mut BytesMut,
    info: &ReplicaInfo,
) -> std::io::Result<()> {
    let mut tmp = [0u8; 4096];
    loop {
        match sock.try_read(&mut tmp) {
            Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => rbuf.extend_from_slice(&tmp[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
            Err(e) => return Err(e),
        }
    }
    handle_acks(shared, rbuf, info)
}

/// Applies the `REPLCONF ACK <offset>` commands in `rbuf` (others are ignored, as Redis's
/// primary ignores what a replica sends but acks).
///
/// A replica sends only short commands: malformed input, or more than 64 KiB of an unfinished
/// one, ends the link (`InvalidData`), so its buffer stays bounded.
fn handle_acks(shared: &Shared, rbuf: &mut BytesMut, info: &ReplicaInfo) -> std::io::Result<()> {
    let limits = RequestLimits::default();
    let mut ranges = Vec::new();
    let mut scratch = Vec::new();
    let mut acked = false;
    loop {
        let mut hint = 0;
        let req = match parse_request(rbuf, &limits, &mut ranges, &mut scratch, &mut hint) {
            Ok(Some(r)) => r,
            Ok(None) if rbuf.len() <= 64 * 1024 => break,
            Ok(None) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "a replica sent an oversized command",
                ))
            }
            Err(e) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("protocol error from a replica: {e}"),
                ))
            }
        };
        let base: &[u8] = match req.source {
            crate::protocol::parse::ArgSource::Buffer => rbuf,
            crate::protocol::parse::ArgSource::Scratch => &scratch,
        };
        let args = crate::commands::Args::new(base, &ranges);
        if args.len() >= 3 && args.is(0, "replconf") && args.is(1, "ack") {
            if let Some(off) = crate::util::parse_i64(args.get(2)) {
                info.ack.fetch_max(off.max(0) as u64, Relaxed);
                info.ack_ms.store(crate::clock::now_ms(), Relaxed);
                info.acks.fetch_add(1, Relaxed);
                acked = true;
            }
        }
        let len = req.len;
        rbuf.advance(len);
    }
    if acked {
        shared.replication.replicas.acked.notify_waiters();
    }
    Ok(())
}

/// A `Write` that hands its bytes to the async side (the socket writer).
struct ChannelWriter(tokio::sync::mpsc::Sender<Vec<u8>>);

impl Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .blocking_send(buf.to_vec())
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::BrokenPipe))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Sends the snapshot `run` as an RDB: with `eof`, as `$EOF:<40 random chars>\r\n`, the file,
/// and the same 40 chars (Redis's diskless format); else as `$<length>\r\n` and the file
/// (built in memory first, for replicas without `capa eof`).
async fn send_rdb(
    shared: &Arc<Shared>,
    sock: &mut TcpStream,
    run: crate::keyspace::snapshot::SnapshotRun,
    eof: bool,
) -> std::io::Result<()> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<u8>>(8);
    let srv = shared.clone();
    let encoder = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        crate::persistence::save::lower_thread_priority();
        let out = std::io::BufWriter::with_capacity(64 * 1024, ChannelWriter(tx));
        let mut w = RdbWriter::new(out)?;
        let used = crate::memory::used();
        w.aux_defaults(used, false)?;
        run.run(&srv.keyspace, |chunk| w.chunk(chunk))
            .map_err(|e| match e {
                SnapshotError::Io(e) => e,
                SnapshotError::Busy => std::io::Error::other("snapshot busy"),
            })?;
        w.finish()?.flush()
    });
    let mut sent = 0u64;
    if eof {
        let mark = crate::server::random_hex(40);
        sock.write_all(format!("$EOF:{mark}\r\n").as_bytes())
            .await?;
        while let Some(chunk) = rx.recv().await {
            sock.write_all(&chunk).await?;
            sent += chunk.len() as u64;
        }
        sock.write_all(mark.as_bytes()).await?;
    } else {
        let mut all = Vec::new();
        while let Some(chunk) = rx.recv().await {
            all.extend_from_slice(&chunk);
        }
        sock.write_all(format!("${}\r\n", all.len()).as_bytes())
            .await?;
        sock.write_all(&all).await?;
        sent = all.len() as u64;
    }
    encoder
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))??;
    shared.stats.net_repl_output_bytes.fetch_add(sent, Relaxed);
    Ok(())
}
