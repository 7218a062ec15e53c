//! Following a primary, as a Redis 7.0 replica does (`replication.c`: `replicaofCommand`,
//! `syncWithMaster`, `readSyncBulkPayload`, `replicationSendAck`).
//!
//! `REPLICAOF host port` (or `replicaof` in the config) starts the link, a dedicated thread
//! with blocking I/O ([`set_master`]). It connects, says `PING`, `AUTH` (with `masterauth`),
//! `REPLCONF listening-port <port>`, `REPLCONF capa eof capa psync2`, then `PSYNC <replid>
//! <offset + 1>` (`PSYNC ? -1` the first time):
//! - `+FULLRESYNC <replid> <offset>`: every database is emptied and the RDB that follows
//!   (`$EOF:<40-byte mark>` ... mark, or `$<length>`) is loaded, keys already expired included;
//!   the feed's end becomes `offset`;
//! - `+CONTINUE [<replid>]`: the data stays and the stream continues at our offset.
//!
//! The stream is then applied command by command through `commands::dispatch` with a client
//! that is authenticated and `replaying` (nothing blocks, `READONLY` does not apply), at clock
//! 0, so no key is expired for it: the primary decides expiry and sends DEL (Redis's
//! `expireIfNeeded` for the master client). Each applied command is fed to this node's feed
//! byte for byte ([`crate::keyspace::feed::Feed::append_raw`]), so its offset is the
//! primary's, and its AOF and its own replicas see the primary's stream (Redis's
//! `replicationFeedStreamFromMasterStream`). `REPLCONF GETACK` is answered at once with
//! `REPLCONF ACK <offset>`, and an ACK goes every second.
//!
//! While a replica, the feed is a proxy (the node's own writes feed nothing) and the keyspace
//! holds expiry (expired keys are hidden, never deleted here). A lost link is retried every
//! second with a partial resync. `REPLICAOF NO ONE` stops the link and makes the node a
//! primary: the primary's replication id becomes `replid2` (valid up to our offset + 1) and a
//! new one is drawn, so replicas of this node continue with a partial resync (Redis's
//! `shiftReplicationId`).
//!
//! Owns: the link thread and [`Link`]. Must not touch: the primary side (`primary.rs`).

use crate::commands::{dispatch, Args};
use crate::persistence::rdb::reader::RdbReader;
use crate::protocol::{parse_request, Reply, RequestLimits};
use crate::server::client::{cflag, Client, ClientInfo};
use crate::server::Shared;
use bytes::{Buf, BytesMut};
use parking_lot::Mutex;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Seconds without a byte from the primary before the link is dropped (Redis's `repl-timeout`
/// default).
const REPL_TIMEOUT: Duration = Duration::from_secs(60);

/// The replica side's state: whom we follow, and how the link is doing (INFO replication).
#[derive(Default)]
pub struct Link {
    /// Whether this node is a replica (read by every write: `READONLY`).
    pub active: AtomicBool,
    /// The primary followed: (host, port).
    pub master: Mutex<Option<(String, u16)>>,
    /// The stream is being applied (`master_link_status:up`).
    pub up: AtomicBool,
    /// A full resync is loading (`master_sync_in_progress`).
    pub sync_in_progress: AtomicBool,
    /// When the primary last sent something, unix ms (`master_last_io_seconds_ago`).
    pub last_io_ms: AtomicU64,
    /// When the link to the primary was lost, unix ms; 0 while up or never connected
    /// (INFO `master_link_down_since_seconds`, Redis's `repl_down_since`).
    pub down_since_ms: AtomicU64,
    /// The offset up to which the stream was read (`slave_read_repl_offset`); the applied
    /// offset is the feed's end.
    pub read_offset: AtomicU64,
    /// Bumped by every REPLICAOF: a link thread of an older generation stops.
    generation: AtomicU64,
    /// The link's socket, shut down to stop a thread blocked in a read.
    sock: Mutex<Option<TcpStream>>,
    /// Held while the link applies (or loads); REPLICAOF takes it to change roles between
    /// two commands.
    apply: Mutex<()>,
    /// The database the stream has selected, kept across reconnections (a partial resync
    /// continues the same stream).
    db: AtomicUsize,
    /// Our replication id and offset name a history the primary may know: PSYNC with them
    /// (else `PSYNC ? -1`).
    cached: AtomicBool,
}

impl Link {
    /// Whether this node follows a primary.
    #[inline]
    pub fn is_replica(&self) -> bool {
        self.active.load(Relaxed)
    }
}

/// Closes the links of this node's own replicas (a full resync or a role change: they must
/// resync, as Redis's `disconnectSlaves`).
fn disconnect_replicas(srv: &Shared) {
    for c in srv.clients.all() {
        if c.has_flag(cflag::REPLICA) {
            c.kill();
        }
    }
}

/// REPLICAOF host port: follows that primary from now on (replacing the current one).
/// `psync_cached`: try a partial resync with our own replication id and offset (a primary
/// becoming a replica, as Redis's `replicationCacheMasterUsingMyself`); at start-up the
/// first PSYNC is `? -1`.
pub fn set_master(srv: &Arc<Shared>, host: String, port: u16, psync_cached: bool) {
    let link = &srv.replication.link;
    stop_link(srv);
    {
        let _g = link.apply.lock();
        if !link.is_replica() {
            link.cached.store(psync_cached, Relaxed);
            link.db.store(0, Relaxed);
        }
        *link.master.lock() = Some((host.clone(), port));
        srv.keyspace.feed.set_proxy(true);
        // A replica keeps a backlog of its primary's stream from the start, so that once
        // promoted (or for its own replicas) it can serve partial resyncs (PSYNC2).
        crate::replication::primary::ensure_backlog(srv);
        srv.keyspace.expiry_held.store(true, Relaxed);
        link.active.store(true, Relaxed);
        link.up.store(false, Relaxed);
    }
    disconnect_replicas(srv);
    let gen = link.generation.load(Relaxed);
    let s = srv.clone();
    let spawned = std::thread::Builder::new()
        .name("shoal-replica".into())
        .spawn(move || run(s, gen, host, port));
    if let Err(e) = spawned {
        tracing::warn!("could not start the replication link thread: {e}");
    }
}

/// REPLICAOF NO ONE: stops the link and makes this node a primary (a no-op on a primary).
/// The replication id followed becomes `replid2`, valid up to our offset + 1, and a new id
/// is drawn (Redis's `replicationUnsetMaster` / `shiftReplicationId`).
pub fn unset_master(srv: &Shared) {
    let link = &srv.replication.link;
    if !link.is_replica() {
        return;
    }
    stop_link(srv);
    {
        let _g = link.apply.lock();
        let r = &srv.replication;
        let offset = srv.keyspace.feed.end();
        {
            let mut id = r.replid.lock();
            *r.replid2.lock() = id.clone();
            *id = crate::server::random_hex(40);
        }
        r.second_offset.store(offset as i64 + 1, Relaxed);
        *link.master.lock() = None;
        link.active.store(false, Relaxed);
        link.up.store(false, Relaxed);
        link.sync_in_progress.store(false, Relaxed);
        srv.keyspace.feed.set_proxy(false);
        srv.keyspace.expiry_held.store(false, Relaxed);
    }
    disconnect_replicas(srv);
}

/// Ends the current link thread (if any): a newer generation, and its socket shut down.
fn stop_link(srv: &Shared) {
    let link = &srv.replication.link;
    link.generation.fetch_add(1, Relaxed);
    if let Some(s) = link.sock.lock().take() {
        let _ = s.shutdown(Shutdown::Both);
    }
}

/// The link thread: sessions with the primary, one second apart, until REPLICAOF changes.
fn run(srv: Arc<Shared>, gen: u64, host: String, port: u16) {
    let link = &srv.replication.link;
    let current = || link.generation.load(Relaxed) == gen && !srv.shutting_down.load(Relaxed);
    while current() {
        tracing::info!("Connecting to MASTER {host}:{port}");
        match session(&srv, gen, &host, port) {
            Ok(()) => {}
            Err(e) => {
                if current() {
                    tracing::warn!("Replication link with MASTER {host}:{port}: {e}");
                }
            }
        }
        {
            let mut g = link.sock.lock();
            if link.generation.load(Relaxed) == gen {
                g.take();
                if link.up.swap(false, Relaxed) {
                    link.down_since_ms.store(crate::clock::now_ms(), Relaxed);
                }
                link.sync_in_progress.store(false, Relaxed);
            }
        }
        let until = Instant::now() + Duration::from_secs(1);
        while current() && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn other(msg: impl Into<String>) -> std::io::Error {
    std::io::Error::other(msg.into())
}

/// Sends one command as a RESP array.
fn send(w: &mut TcpStream, args: &[&[u8]]) -> std::io::Result<()> {
    let mut out = Vec::new();
    crate::keyspace::feed::encode(&mut out, args);
    w.write_all(&out)
}

/// Reads one reply line (without CRLF), skipping the empty lines a primary sends as
/// keepalives.
fn read_line(r: &mut BufReader<TcpStream>, srv: &Shared) -> std::io::Result<String> {
    loop {
        let mut line = Vec::new();
        let n = r.read_until(b'\n', &mut line)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        srv.replication
            .link
            .last_io_ms
            .store(crate::clock::now_ms(), Relaxed);
        while matches!(line.last(), Some(b'\n' | b'\r')) {
            line.pop();
        }
        if !line.is_empty() {
            return Ok(String::from_utf8_lossy(&line).into_owned());
        }
    }
}

/// One connection to the primary: handshake, sync, then the stream until it fails or the
/// generation changes.
fn session(srv: &Arc<Shared>, gen: u64, host: &str, port: u16) -> std::io::Result<()> {
    let link = &srv.replication.link;
    let addr = (host, port)
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| other("no address"))?;
    let sock = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    sock.set_nodelay(true)?;
    sock.set_read_timeout(Some(REPL_TIMEOUT))?;
    sock.set_write_timeout(Some(REPL_TIMEOUT))?;
    {
        // Stored under the lock only while current: `stop_link` bumps the generation before
        // it takes the socket, so a link it stops is always shut down.
        let mut g = link.sock.lock();
        if link.generation.load(Relaxed) != gen {
            return Ok(());
        }
        *g = Some(sock.try_clone()?);
    }
    let mut w = sock.try_clone()?;
    let mut r = BufReader::with_capacity(64 * 1024, sock);

    send(&mut w, &[b"PING"])?;
    let pong = read_line(&mut r, srv)?;
    // As Redis: an auth error here is fine, AUTH follows.
    if pong.starts_with('-')
        && !pong.starts_with("-NOAUTH")
        && !pong.starts_with("-NOPERM")
        && !pong.starts_with("-ERR operation not permitted")
    {
        return Err(other(format!("Error reply to PING from master: '{pong}'")));
    }
    let (user, pass) = {
        let c = srv.config.read();
        (c.masteruser.clone(), c.masterauth.clone())
    };
    if !pass.is_empty() {
        if user.is_empty() {
            send(&mut w, &[b"AUTH", pass.as_bytes()])?;
        } else {
            send(&mut w, &[b"AUTH", user.as_bytes(), pass.as_bytes()])?;
        }
        let reply = read_line(&mut r, srv)?;
        if reply.starts_with('-') {
            return Err(other(format!("Unable to AUTH to MASTER: {reply}")));
        }
    }
    let our_port = srv.port.load(Relaxed).to_string();
    send(
        &mut w,
        &[b"REPLCONF", b"listening-port", our_port.as_bytes()],
    )?;
    let reply = read_line(&mut r, srv)?;
    if reply.starts_with('-') {
        tracing::info!(
            "(Non critical) Master does not understand REPLCONF listening-port: {reply}"
        );
    }
    send(&mut w, &[b"REPLCONF", b"capa", b"eof", b"capa", b"psync2"])?;
    let reply = read_line(&mut r, srv)?;
    if reply.starts_with('-') {
        tracing::info!("(Non critical) Master does not understand REPLCONF capa: {reply}");
    }

    let (replid, offset) = if link.cached.load(Relaxed) {
        let id = srv.replication.replid.lock().clone();
        (id, (srv.keyspace.feed.end() + 1).to_string())
    } else {
        ("?".to_string(), "-1".to_string())
    };
    send(&mut w, &[b"PSYNC", replid.as_bytes(), offset.as_bytes()])?;
    let reply = read_line(&mut r, srv)?;
    if let Some(rest) = reply.strip_prefix("+FULLRESYNC") {
        let mut it = rest.split_whitespace();
        let (Some(id), Some(off)) = (it.next(), it.next().and_then(|o| o.parse::<u64>().ok()))
        else {
            return Err(other(format!("Bad +FULLRESYNC reply: '{reply}'")));
        };
        tracing::info!("Full resync from master: {id}:{off}");
        full_sync(srv, gen, &mut r, id, off)?;
    } else if let Some(rest) = reply.strip_prefix("+CONTINUE") {
        let _g = link.apply.lock();
        if link.generation.load(Relaxed) != gen {
            return Ok(());
        }
        if let Some(new) = rest.split_whitespace().next() {
            let r = &srv.replication;
            let mut id = r.replid.lock();
            if *id != new {
                // The primary was promoted: our id is its previous one (Redis does the same).
                *r.replid2.lock() = id.clone();
                r.second_offset
                    .store(srv.keyspace.feed.end() as i64 + 1, Relaxed);
                *id = new.to_string();
                drop(id);
                disconnect_replicas(srv);
            }
        }
        tracing::info!("Successful partial resynchronization with master.");
    } else {
        return Err(other(format!(
            "Unexpected reply to PSYNC from master: '{reply}'"
        )));
    }
    link.cached.store(true, Relaxed);
    stream(srv, gen, r, w)
}

/// `+FULLRESYNC`: reads the RDB header, empties every database and loads the RDB.
fn full_sync(
    srv: &Arc<Shared>,
    gen: u64,
    r: &mut BufReader<TcpStream>,
    replid: &str,
    offset: u64,
) -> std::io::Result<()> {
    let link = &srv.replication.link;
    link.sync_in_progress.store(true, Relaxed);
    let header = read_line(r, srv)?;
    let Some(size) = header.strip_prefix('$') else {
        return Err(other(format!(
            "Bad protocol from MASTER, the first byte is not '$' (we received '{header}')"
        )));
    };
    let mark = size.strip_prefix("EOF:").map(|m| m.as_bytes().to_vec());
    if mark.as_ref().is_some_and(|m| m.len() != 40) {
        return Err(other(format!("Bad EOF mark from MASTER: '{header}'")));
    }
    let _g = link.apply.lock();
    if link.generation.load(Relaxed) != gen {
        return Ok(());
    }
    disconnect_replicas(srv);
    drop(
        srv.keyspace
            .lock_all_view(0, crate::clock::now_ms())
            .flush_all(),
    );
    srv.keyspace.feed.reset(offset);
    srv.aof.rebase(offset);
    let fmt = |e: crate::persistence::save::LoadError| other(format!("loading the RDB: {e}"));
    let report = match mark {
        Some(mark) => {
            let mut rdb = RdbReader::new(&mut *r).map_err(|e| other(e.to_string()))?;
            let report =
                crate::persistence::save::load_entries_with(srv, &mut rdb, false).map_err(fmt)?;
            let mut end = [0u8; 40];
            r.read_exact(&mut end)?;
            if end[..] != mark[..] {
                return Err(other("the RDB from MASTER does not end with its EOF mark"));
            }
            report
        }
        None => {
            let len: u64 = size
                .parse()
                .map_err(|_| other(format!("Bad RDB length from MASTER: '{header}'")))?;
            let mut body = (&mut *r).take(len);
            let mut rdb = RdbReader::new(&mut body).map_err(|e| other(e.to_string()))?;
            let report =
                crate::persistence::save::load_entries_with(srv, &mut rdb, false).map_err(fmt)?;
            std::io::copy(&mut body, &mut std::io::sink())?;
            report
        }
    };
    *srv.replication.replid.lock() = replid.to_string();
    link.db.store(0, Relaxed);
    link.read_offset.store(offset, Relaxed);
    link.sync_in_progress.store(false, Relaxed);
    tracing::info!(
        "MASTER <-> REPLICA sync: Finished with success ({} keys loaded)",
        report.keys
    );
    if srv.aof.is_on() {
        // The AOF holds the old dataset: rewrite it from the new one (Redis's
        // `restartAOFAfterSYNC`).
        if let Err(e) = crate::persistence::aof::rewrite::start(srv) {
            tracing::warn!("could not rewrite the AOF after the sync: {e}");
        }
    }
    Ok(())
}

/// `REPLCONF ACK <offset>`.
fn send_ack(w: &mut TcpStream, offset: u64) -> std::io::Result<()> {
    let mut n = itoa::Buffer::new();
    send(w, &[b"REPLCONF", b"ACK", n.format(offset).as_bytes()])
}

/// Applies the command stream until the link fails or the generation changes.
fn stream(
    srv: &Arc<Shared>,
    gen: u64,
    r: BufReader<TcpStream>,
    mut w: TcpStream,
) -> std::io::Result<()> {
    let link = &srv.replication.link;
    let feed = &srv.keyspace.feed;
    let mut buf = BytesMut::from(r.buffer());
    let mut sock = r.into_inner();
    sock.set_read_timeout(Some(Duration::from_millis(100)))?;
    let now = crate::clock::now_ms();
    let info = Arc::new(ClientInfo::new(
        srv.clients.next_id(),
        w.peer_addr().map(|a| a.to_string()).unwrap_or_default(),
        w.local_addr().map(|a| a.to_string()).unwrap_or_default(),
        -1,
        now,
    ));
    let mut client = Client::new(info, true);
    client.replaying = true;
    client.db = link.db.load(Relaxed);
    let mut out = Reply::new();
    let limits = RequestLimits::default();
    let mut ranges = Vec::new();
    let mut scratch = Vec::new();
    let mut tmp = vec![0u8; 64 * 1024];
    {
        let _g = link.apply.lock();
        if link.generation.load(Relaxed) != gen {
            return Ok(());
        }
        link.up.store(true, Relaxed);
        link.down_since_ms.store(0, Relaxed);
    }
    link.last_io_ms.store(now, Relaxed);
    link.read_offset
        .store(feed.end() + buf.len() as u64, Relaxed);
    srv.stats
        .net_repl_input_bytes
        .fetch_add(buf.len() as u64, Relaxed);
    send_ack(&mut w, feed.end())?;
    let mut last_ack = Instant::now();
    let mut last_io = Instant::now();
    loop {
        if !buf.is_empty() {
            let _g = link.apply.lock();
            if link.generation.load(Relaxed) != gen {
                return Ok(());
            }
            loop {
                let mut hint = 0;
                let req = match parse_request(&buf, &limits, &mut ranges, &mut scratch, &mut hint) {
                    Ok(Some(req)) => req,
                    Ok(None) => break,
                    Err(e) => return Err(other(format!("protocol error from MASTER: {e:?}"))),
                };
                let len = req.len;
                {
                    let base: &[u8] = match req.source {
                        crate::protocol::parse::ArgSource::Buffer => &buf,
                        crate::protocol::parse::ArgSource::Scratch => &scratch,
                    };
                    let args = Args::new(base, &ranges);
                    if args.is_empty() {
                        // An empty inline line (a keepalive): not part of the offset.
                        buf.advance(len);
                        continue;
                    }
                    if args.len() >= 2 && args.is(0, "replconf") && args.is(1, "getack") {
                        // The offset before this command, as Redis's replicationSendAck,
                        // once the AOF holds what it acknowledges.
                        srv.aof.write_applied(feed);
                        send_ack(&mut w, feed.end())?;
                        last_ack = Instant::now();
                    } else {
                        out.buf.clear();
                        // Clock 0: no key is expired for the primary's stream.
                        dispatch(srv, &mut client, &mut out, &args, 0);
                        crate::commands::flush_stats(srv, &mut client);
                    }
                }
                feed.append_raw(&buf[..len], client.db);
                link.db.store(client.db, Relaxed);
                buf.advance(len);
            }
            // What this read applied goes to the AOF before the link reads or acknowledges
            // more.
            srv.aof.write_applied(feed);
        }
        if last_ack.elapsed() >= Duration::from_secs(1) {
            send_ack(&mut w, feed.end())?;
            last_ack = Instant::now();
        }
        if link.generation.load(Relaxed) != gen {
            return Ok(());
        }
        match sock.read(&mut tmp) {
            Ok(0) => return Err(other("connection lost")),
            Ok(n) => {
                buf.extend_from_slice(&tmp[..n]);
                link.read_offset.fetch_add(n as u64, Relaxed);
                srv.stats.net_repl_input_bytes.fetch_add(n as u64, Relaxed);
                link.last_io_ms.store(crate::clock::now_ms(), Relaxed);
                last_io = Instant::now();
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                if last_io.elapsed() >= REPL_TIMEOUT {
                    return Err(other("MASTER timeout: no data nor PING received"));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// INFO replication's replica lines (after `role:slave`), as Redis 7.0's `genRedisInfoString`.
pub fn info(srv: &Shared, o: &mut String) {
    use std::fmt::Write as _;
    let link = &srv.replication.link;
    let (host, port) = link.master.lock().clone().unwrap_or_default();
    let up = link.up.load(Relaxed);
    let last_io = if up {
        (crate::clock::now_ms().saturating_sub(link.last_io_ms.load(Relaxed)) / 1000) as i64
    } else {
        -1
    };
    let offset = srv.keyspace.feed.end();
    let read = link.read_offset.load(Relaxed).max(offset);
    let read_only = srv.limits.replica_read_only.load(Relaxed) as u8;
    let _ = write!(
        o,
        "master_host:{host}\r\nmaster_port:{port}\r\nmaster_link_status:{}\r\n\
         master_last_io_seconds_ago:{last_io}\r\nmaster_sync_in_progress:{}\r\n\
         slave_read_repl_offset:{read}\r\nslave_repl_offset:{offset}\r\n",
        if up { "up" } else { "down" },
        link.sync_in_progress.load(Relaxed) as u8,
    );
    if !up {
        let since = link.down_since_ms.load(Relaxed);
        let secs = if since == 0 {
            -1
        } else {
            (crate::clock::now_ms().saturating_sub(since) / 1000) as i64
        };
        let _ = write!(o, "master_link_down_since_seconds:{secs}\r\n");
    }
    let _ = write!(
        o,
        "slave_priority:100\r\nslave_read_only:{read_only}\r\nreplica_announced:1\r\n"
    );
}
