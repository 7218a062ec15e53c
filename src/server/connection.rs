//! One client connection: read, parse every complete request in the buffer, execute each in
//! order, write all their replies in one write.
//!
//! Limits enforced here: `maxclients` (the extra client gets `-ERR max number of clients reached`),
//! `proto-max-bulk-len` (a bigger bulk is a protocol error), `client-query-buffer-limit` (a client
//! whose unprocessed input grows past it is closed), `timeout` (idle clients are closed). A
//! protocol error gets `-ERR Protocol error: ...` and closes this connection only.

use super::client::{cflag, Client, ClientInfo, ReplyMode};
use super::window::Window;
use super::Shared;
use crate::commands::{dispatch, Action, Args};
use crate::keyspace::signal::{UNBLOCK_ERROR, UNBLOCK_TIMEOUT};
use crate::protocol::parse::ArgSource;
use crate::protocol::{parse_request, Reply, RequestLimits};
use bytes::{Buf, BufMut, BytesMut};
use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::broadcast;

/// Output past this size is written out mid-batch so a huge pipeline cannot grow it unbounded.
const OUT_FLUSH: usize = 1024 * 1024;
/// Input of a burst (bytes) after which the replies so far are written at once, mid-turn,
/// when the read holds at least twice this and more is left to run: a client that sends a
/// long pipeline (16 MSETs of 10 KiB) gets its first answers once 16 KiB of it have run, not
/// after the whole read (up to [`READ_MAX`]) has, while a 17 KiB pipeline (16 SETs of 1 KiB)
/// is still answered in one write. Once per burst, so a client streaming full reads costs no
/// extra writes (see [`Conn::drained`]).
const ANSWER_AFTER: usize = 16 * 1024;
/// The most output written at once (bytes) before the connection yields, so the other
/// connections whose replies are ready write theirs in between: a big reply (LRANGE of 100
/// KiB values) goes out a slice per turn, as Redis writes at most `NET_MAX_WRITES_PER_EVENT`
/// (64 KiB) to a client per event-loop turn. With the 100 KiB replies of LRANGE_100 `-P 1
/// -d 1024` written whole, redis-benchmark's 99.2th percentile was 2.4 to 3.0 ms (Redis 2.3
/// to 2.4); sliced, 1.5 to 1.6 ms (why the client's tail depends on it was not traced). Each
/// slice counts as one write in INFO's `total_writes_processed`.
const WRITE_SLICE: usize = 64 * 1024;
/// Room made in the query buffer before a read, bytes.
const READ_CHUNK: usize = 16 * 1024;
/// The most input one read takes (bytes), unless a big bulk is on its way: what a connection
/// runs before the others get their turn. Redis reads at least 16 KiB (`PROTO_IOBUF_LEN`), more
/// when its query buffer has the room; 64 KiB holds a whole 16-deep pipeline of 1 KiB SETs, so
/// such a batch is still run and answered at once, while a connection streaming a long
/// pipeline cannot hold the thread for more.
const READ_MAX: usize = 64 * 1024;
/// A query buffer that grew past this for a big request (bytes) is given back, as Redis resizes
/// its query buffers, so an idle client does not keep a 100 MB one: after
/// [`RBUF_SPARE_TURNS`] turns in a row without a big request, or [`RBUF_IDLE`] without input
/// (as any buffer past [`RBUF_QUIET_KEEP`]). A client streaming big values keeps it, instead
/// of growing a new one for each value.
const RBUF_KEEP: usize = 4 * READ_MAX;
/// Turns in a row without a big request after which a grown query buffer is given back.
const RBUF_SPARE_TURNS: u32 = 16;
/// A query buffer bigger than this (bytes) is given back after [`RBUF_IDLE`] without input,
/// one grown for a big request or for a pipeline ([`Conn::room`]) alike, so a client that
/// pipelined once and went quiet holds 16 KiB, not 64 or 128.
const RBUF_QUIET_KEEP: usize = 2 * READ_CHUNK;
/// Time without input after which a grown query buffer is given back.
const RBUF_IDLE: Duration = Duration::from_secs(1);

/// Serves one accepted socket until the client leaves, is killed, or the server stops.
pub async fn serve(shared: Arc<Shared>, mut sock: TcpStream, peer: SocketAddr) {
    let _ = sock.set_nodelay(true);
    let keepalive = shared.config.read().tcp_keepalive;
    if keepalive > 0 {
        let ka = socket2::TcpKeepalive::new().with_time(Duration::from_secs(keepalive));
        let _ = socket2::SockRef::from(&sock).set_tcp_keepalive(&ka);
    }
    let maxclients = shared.limits.maxclients.load(Relaxed) as usize;
    if shared.clients.len() >= maxclients {
        shared.stats.rejected_connections.fetch_add(1, Relaxed);
        let _ = sock
            .write_all(b"-ERR max number of clients reached\r\n")
            .await;
        return;
    }
    let laddr = sock.local_addr().map(|a| a.to_string()).unwrap_or_default();
    use std::os::fd::AsRawFd;
    let fd = sock.as_raw_fd() as i64;
    let id = shared.clients.next_id();
    let info = Arc::new(ClientInfo::new(
        id,
        peer.to_string(),
        laddr,
        fd,
        crate::clock::now_ms(),
    ));
    shared.clients.add(info.clone());
    let authenticated = shared.config.read().requirepass.is_empty();
    let mut client = Client::new(info.clone(), authenticated);
    let mut conn = Conn {
        rbuf: BytesMut::with_capacity(READ_CHUNK),
        room: READ_CHUNK,
        quiet: false,
        answered: false,
        drained: true,
        want: 0,
        spare_turns: 0,
        out: Reply::new(),
        ranges: Vec::with_capacity(16),
        scratch: Vec::new(),
        monitor: None,
        window: Window::default(),
        kill_seen: None,
    };
    info.rbs.store(conn.rbuf.capacity(), Relaxed);
    if let Err(e) = conn.run(&shared, &mut sock, &mut client).await {
        tracing::debug!("client {id} {peer}: {e}");
    }
    if client.info.has_flag(cflag::MONITOR) {
        shared.monitors.fetch_sub(1, Relaxed);
    }
    if let Some(subs) = client.pubsub.as_deref_mut() {
        shared.pubsub.unsubscribe_all(subs);
    }
    client.release(&shared.keyspace);
    shared.clients.remove(id);
}

struct Conn {
    rbuf: BytesMut,
    /// Room a read is given in `rbuf`, bytes: [`READ_CHUNK`], doubled up to [`READ_MAX`] each
    /// time a read takes all of it, so a pipeline that sends more than 16 KiB at a time (16
    /// SETs of 1 KiB) is read, run and answered in one turn instead of two. Redis reads as
    /// much as its query buffer holds for the same reason. Back to [`READ_CHUNK`] when the
    /// grown buffer is given back.
    room: usize,
    /// No input came for [`RBUF_IDLE`] while the buffer was grown: give it back.
    quiet: bool,
    /// No early answer ([`Step::Answer`]) is due for this read: one was written, or the read
    /// continues a burst.
    answered: bool,
    /// The last read took less than it was given: the socket was drained, and the next read
    /// starts a burst.
    drained: bool,
    /// Bytes still to come of the request at the head of `rbuf` when it holds a big bulk that
    /// has not fully arrived (0 otherwise): the next read may take that much at once.
    want: usize,
    /// Turns in a row that ran no big request (one whose bulk arrived over several reads).
    spare_turns: u32,
    out: Reply,
    ranges: Vec<std::ops::Range<usize>>,
    scratch: Vec<u8>,
    monitor: Option<broadcast::Receiver<Arc<[u8]>>>,
    /// The next requests of a pipeline, parsed early to prefetch their keys.
    window: Window,
    /// The waker the client's kill wakes, as last registered ([`ClientInfo::until_killed_seen`]);
    /// every wait on a kill in this connection's loop (reads, blocked commands, a subscriber's
    /// writes) goes through it.
    kill_seen: Option<std::task::Waker>,
}

#[derive(PartialEq, Eq)]
enum Step {
    /// Every complete request was executed; read more.
    Continue,
    /// The output filled up before the input ran out: write, then process again.
    More,
    /// The first [`ANSWER_AFTER`] bytes of a burst ran and more is left: write their replies at
    /// once, without yielding, so the client's first answer does not wait for the whole
    /// read to run, then process on.
    Answer,
    /// The first request in the buffer blocked (BLPOP ...): wait, then process again.
    Blocked,
    /// PSYNC: the connection is a replica's link from now on.
    Replica,
    Close,
}

impl Conn {
    async fn run(
        &mut self,
        shared: &Arc<Shared>,
        sock: &mut TcpStream,
        client: &mut Client,
    ) -> std::io::Result<()> {
        loop {
            if client.info.killed.load(Relaxed) {
                return Ok(());
            }
            // Read more input (or a MONITOR line, a kill, an idle timeout).
            if self.rbuf.capacity() - self.rbuf.len() < self.room / 2 {
                // Usually no allocation: the consumed front of the buffer is reused.
                self.rbuf.reserve(self.room);
                client.info.rbs.store(self.rbuf.capacity(), Relaxed);
            }
            // Whether the buffer could be given back now: no big bulk on its way, little in it.
            let movable = self.want == 0 && self.rbuf.len() <= READ_MAX;
            let oversized = movable && self.rbuf.capacity() > RBUF_KEEP;
            let grown = movable && self.rbuf.capacity() > RBUF_QUIET_KEEP;
            if (oversized && self.spare_turns >= RBUF_SPARE_TURNS) || (grown && self.quiet) {
                // No big request for a while, or no input at all: give the memory back.
                let mut fresh = BytesMut::with_capacity(READ_CHUNK + self.rbuf.len());
                fresh.extend_from_slice(&self.rbuf);
                self.rbuf = fresh;
                self.room = READ_CHUNK;
                client.info.rbs.store(self.rbuf.capacity(), Relaxed);
            }
            self.quiet = false;
            let shrink_when_idle = movable && self.rbuf.capacity() > RBUF_QUIET_KEEP;
            let spare_idle = async {
                if shrink_when_idle {
                    tokio::time::sleep(RBUF_IDLE).await
                } else {
                    std::future::pending::<()>().await
                }
            };
            // What the read below may take: the buffer's spare capacity, up to the limit.
            let given = (self.rbuf.capacity() - self.rbuf.len()).min(READ_MAX.max(self.want));
            let mut room = (&mut self.rbuf).limit(READ_MAX.max(self.want));
            let timeout = shared.limits.timeout.load(Relaxed);
            // Like Redis, `timeout` spares MONITOR and pub/sub clients.
            let idle_applies = timeout > 0 && self.monitor.is_none() && client.subscriptions() == 0;
            let idle = async {
                if idle_applies {
                    tokio::time::sleep(Duration::from_secs(timeout)).await
                } else {
                    std::future::pending::<()>().await
                }
            };
            // A subscriber's outbox: messages other clients published to it. Input is polled
            // first and the outbox is drained after every batch too, so neither a flood of
            // messages nor a flood of commands starves the other.
            let outbox = client.pubsub.as_ref().map(|p| p.outbox.clone());
            let n = tokio::select! {
                biased;
                _ = client.info.until_killed_seen(&mut self.kill_seen) => return Ok(()),
                r = sock.read_buf(&mut room) => r?,
                _ = recv_outbox(&outbox) => {
                    if !drain_outbox(shared, sock, client, &outbox, &mut self.kill_seen).await? {
                        return Ok(());
                    }
                    continue;
                }
                line = recv_monitor(&mut self.monitor) => {
                    match line {
                        Some(l) => {
                            sock.write_all(&l).await?;
                            shared.stats.wrote(l.len());
                            continue;
                        }
                        // Lagged too far behind: a slow MONITOR client is closed, not buffered.
                        None => return Ok(()),
                    }
                }
                _ = idle => {
                    tracing::debug!("closing idle client {}", client.id);
                    return Ok(());
                }
                _ = spare_idle => {
                    // Quiet with a grown buffer: give it back (at the top of the loop).
                    self.quiet = true;
                    continue;
                }
            };
            if n == 0 {
                return Ok(());
            }
            if n == given && self.room < READ_MAX {
                self.room *= 2;
            }
            shared.stats.read(n);
            shared.busy_poll.input();
            // Only the first read of a burst answers early: after a short read (the socket was
            // drained), not in the middle of a stream of full reads.
            self.answered = !self.drained;
            self.drained = n < given;
            loop {
                let step = self.process(shared, client).await;
                if !self.out.buf.is_empty() && step != Step::Answer {
                    // Let the other connections whose input is ready run their batches first,
                    // then write: replies leave in a burst, as Redis writes all of its clients'
                    // replies at the end of an event-loop turn. Writing at once instead woke
                    // the peers (redis-benchmark) eight times as often, one wake-up per reply,
                    // and cost about a third of the throughput of pipelined random-key SETs.
                    tokio::task::yield_now().await;
                }
                self.flush(shared, sock, client).await?;
                match step {
                    Step::Close => return Ok(()),
                    Step::More | Step::Answer => continue,
                    Step::Continue => break,
                    Step::Blocked => {
                        if !self.wait_blocked(shared, sock, client).await? {
                            return Ok(());
                        }
                    }
                    Step::Replica => {
                        return crate::replication::primary::serve(
                            shared,
                            sock,
                            client,
                            &mut self.rbuf,
                        )
                        .await;
                    }
                }
            }
            if !drain_outbox(shared, sock, client, &outbox, &mut self.kill_seen).await? {
                return Ok(());
            }
            let limit = shared.limits.query_buffer_limit.load(Relaxed) as usize;
            if self.rbuf.len() > limit {
                tracing::warn!(
                    "closing client {} ({}) that reached max query buffer length ({} bytes)",
                    client.id,
                    client.info.addr,
                    self.rbuf.len()
                );
                return Ok(());
            }
            client.info.qbuf.store(self.rbuf.len(), Relaxed);
            self.spare_turns = if self.want > 0 {
                0
            } else {
                self.spare_turns.saturating_add(1)
            };
        }
    }

    /// Executes every complete request in the read buffer.
    async fn process(&mut self, shared: &Arc<Shared>, client: &mut Client) -> Step {
        let mut limits = RequestLimits {
            max_bulk_len: shared.limits.max_bulk_len.load(Relaxed) as usize,
            ..RequestLimits::default()
        };
        let mut pos = 0;
        let mut step = Step::Continue;
        // One clock read per command: each starts when the one before it ended.
        let mut clock_us = crate::clock::now_us();
        let mut processed = 0u64;
        // Where the prefetch window ends: the requests before it were parsed, and their keys
        // prefetched, by `self.window`. An unauthenticated client's requests are not (they are
        // parsed under tighter limits, and nothing of the keyspace is theirs to touch yet).
        let mut window_end = 0;
        self.window.clear();
        self.want = 0;
        loop {
            let mut hint = 0;
            limits.authenticated = client.authenticated;
            let early = if client.authenticated {
                if pos >= window_end {
                    window_end =
                        self.window
                            .fill(&shared.keyspace, client.db, &self.rbuf, pos, &limits);
                }
                self.window.take(pos, &mut self.ranges)
            } else {
                None
            };
            let parsed = match early {
                Some(req) => Ok(Some(req)),
                None => parse_request(
                    &self.rbuf[pos..],
                    &limits,
                    &mut self.ranges,
                    &mut self.scratch,
                    &mut hint,
                ),
            };
            let req = match parsed {
                Ok(Some(req)) => req,
                Ok(None) => {
                    // A big bulk on its way: grow the buffer towards it, at most doubling what
                    // has arrived, so memory follows the bytes received, not a declared length.
                    let missing = hint.saturating_sub(self.rbuf.len() - pos);
                    self.want = missing;
                    if missing > 0 {
                        self.rbuf
                            .reserve(missing.min(self.rbuf.len().max(READ_CHUNK)));
                        client.info.rbs.store(self.rbuf.capacity(), Relaxed);
                    }
                    break;
                }
                Err(e) => {
                    self.out.error(&format!("ERR Protocol error: {e}"));
                    tracing::debug!("protocol error from client {}: {e}", client.id);
                    step = Step::Close;
                    break;
                }
            };
            if self.ranges.is_empty() {
                pos += req.len;
                continue;
            }
            // Multibulk ranges are relative to `pos`; rebase them onto the buffer.
            let base: &[u8] = match req.source {
                ArgSource::Buffer => &self.rbuf[pos..],
                ArgSource::Scratch => &self.scratch,
            };
            let args = Args::new(base, &self.ranges);
            let now = clock_us / 1000;
            client.info.last_ms.store(now, Relaxed);
            client.clock_us = clock_us;
            client.ended_us = 0;
            let skip = std::mem::take(&mut client.skip_next_reply);
            let mark = self.out.mark();
            let action = if client.block.as_ref().is_some_and(|b| b.unblocked_error) {
                self.out
                    .error("UNBLOCKED client unblocked via CLIENT UNBLOCK");
                Action::None
            } else {
                dispatch(shared, client, &mut self.out, &args, now)
            };
            client.clock_us = 0;
            clock_us = clock_us.max(client.ended_us);
            if action == Action::Retry {
                // Writes are paused (manual failover): run the same request again shortly.
                client.skip_next_reply = skip;
                tokio::time::sleep(Duration::from_millis(5)).await;
                clock_us = crate::clock::now_us();
                continue;
            }
            if action == Action::Block {
                // Keep the request in the buffer to run it again; nothing after it runs yet.
                client.skip_next_reply = skip;
                step = Step::Blocked;
                break;
            }
            if client.block.is_some() {
                client.end_block(&shared.keyspace, true);
            }
            if skip || client.reply_mode == ReplyMode::Off {
                self.out.truncate(mark);
            }
            processed += 1;
            pos += req.len;
            match action {
                Action::Block | Action::Retry => unreachable!("handled above"),
                Action::Cluster => {
                    let mut reply = Reply::new();
                    reply.proto = self.out.proto;
                    crate::cluster::node::run_op(shared, client, &mut reply).await;
                    clock_us = crate::clock::now_us();
                    if !(skip || client.reply_mode == ReplyMode::Off) {
                        self.out.buf.extend_from_slice(&reply.buf);
                    }
                }
                Action::None => {}
                Action::Close => {
                    step = Step::Close;
                    break;
                }
                Action::Shutdown => {
                    self.out.truncate(mark);
                    shared.begin_shutdown();
                    step = Step::Close;
                    break;
                }
                Action::Sleep(d) => {
                    tokio::time::sleep(d).await;
                    clock_us = crate::clock::now_us();
                }
                Action::Reset => {
                    if self.monitor.take().is_some() {
                        client.info.set_flag(cflag::MONITOR, false);
                        shared.monitors.fetch_sub(1, Relaxed);
                    }
                    self.out.proto = 2;
                }
                Action::Monitor => {
                    if self.monitor.is_none() {
                        self.monitor = Some(shared.monitor_tx.subscribe());
                        client.info.set_flag(cflag::MONITOR, true);
                        shared.monitors.fetch_add(1, Relaxed);
                    }
                }
                Action::Replica => {
                    step = Step::Replica;
                    break;
                }
                Action::WaitReplicas {
                    replicas,
                    offset,
                    deadline,
                } => {
                    let n = crate::replication::primary::wait_acks(
                        shared, client, replicas, offset, deadline,
                    )
                    .await;
                    clock_us = crate::clock::now_us();
                    if !(skip || client.reply_mode == ReplyMode::Off) {
                        self.out.int(n as i64);
                    }
                }
            }
            if self.out.buf.len() > OUT_FLUSH {
                // Write what we have before parsing on, so output stays bounded.
                step = Step::More;
                break;
            }
            if !self.answered
                && pos >= ANSWER_AFTER
                && pos < self.rbuf.len()
                && self.rbuf.len() >= 2 * ANSWER_AFTER
            {
                self.answered = true;
                step = Step::Answer;
                break;
            }
        }
        self.rbuf.advance(pos);
        // The shared counters once per batch, not once per command.
        shared
            .stats
            .commands_processed
            .fetch_add(processed, Relaxed);
        crate::commands::flush_stats(shared, client);
        step
    }

    /// Waits while the client is blocked: for a write to one of its keys, its deadline, CLIENT
    /// UNBLOCK, a kill, or the peer closing (input that arrives meanwhile is buffered, within
    /// the query buffer limit). Returns false when the connection must close.
    async fn wait_blocked(
        &mut self,
        shared: &Arc<Shared>,
        sock: &mut TcpStream,
        client: &mut Client,
    ) -> std::io::Result<bool> {
        let waiter = client.info.waiter.clone();
        let Some(deadline) = client.block.as_ref().map(|b| b.deadline) else {
            return Ok(true);
        };
        let sleep = crate::clock::sleep_until_ms(deadline);
        tokio::pin!(sleep);
        let mut timed_out = false;
        let mut unblocked_error = false;
        loop {
            if self.rbuf.capacity() - self.rbuf.len() < READ_CHUNK / 4 {
                self.rbuf.reserve(READ_CHUNK);
            }
            tokio::select! {
                biased;
                _ = client.info.until_killed_seen(&mut self.kill_seen) => return Ok(false),
                _ = waiter.wake.notified() => {
                    match waiter.unblock.swap(0, Relaxed) {
                        UNBLOCK_TIMEOUT => timed_out = true,
                        UNBLOCK_ERROR => unblocked_error = true,
                        _ => {}
                    }
                    break;
                }
                _ = &mut sleep => {
                    timed_out = true;
                    break;
                }
                r = sock.read_buf(&mut self.rbuf) => {
                    let n = r?;
                    if n == 0 {
                        return Ok(false);
                    }
                    shared.stats.read(n);
                    if self.rbuf.len() > shared.limits.query_buffer_limit.load(Relaxed) as usize {
                        tracing::warn!(
                            "closing blocked client {} ({}) that reached max query buffer length",
                            client.id,
                            client.info.addr
                        );
                        return Ok(false);
                    }
                }
            }
        }
        if let Some(b) = client.block.as_mut() {
            b.retry = true;
            b.timed_out |= timed_out || unblocked_error;
            b.unblocked_error = unblocked_error;
        }
        Ok(true)
    }

    async fn flush(
        &mut self,
        shared: &Arc<Shared>,
        sock: &mut TcpStream,
        client: &mut Client,
    ) -> std::io::Result<()> {
        if client.feed_end != 0 {
            // Replies of writes go out once the AOF holds them (appendfsync says how firmly).
            let end = std::mem::take(&mut client.feed_end);
            shared.aof.wait(&shared.keyspace.feed, end).await;
        }
        if self.out.buf.is_empty() {
            return Ok(());
        }
        client.info.omem.store(self.out.buf.len(), Relaxed);
        for (i, slice) in self.out.buf.chunks(WRITE_SLICE).enumerate() {
            if i > 0 {
                tokio::task::yield_now().await;
            }
            sock.write_all(slice).await?;
            shared.stats.wrote(slice.len());
        }
        self.out.buf.clear();
        client.info.omem.store(0, Relaxed);
        // Keep the output buffer from holding on to a huge allocation after a big reply.
        if self.out.buf.capacity() > 4 * OUT_FLUSH {
            self.out.buf = BytesMut::with_capacity(16 * 1024);
        }
        Ok(())
    }
}

/// Writes what publishers queued for this subscriber; false if the client was killed meanwhile.
async fn drain_outbox(
    shared: &Shared,
    sock: &mut TcpStream,
    client: &Client,
    outbox: &Option<Arc<super::pubsub::Outbox>>,
    kill_seen: &mut Option<std::task::Waker>,
) -> std::io::Result<bool> {
    let Some(ob) = outbox else {
        return Ok(true);
    };
    let data = ob.take();
    if data.is_empty() {
        return Ok(true);
    }
    // A subscriber that stops reading blocks this write; a kill (for its output limit, CLIENT
    // KILL, shutdown) still ends it.
    tokio::select! {
        r = sock.write_all(&data) => r?,
        _ = client.info.until_killed_seen(kill_seen) => return Ok(false),
    }
    ob.written(data.len());
    shared.stats.wrote(data.len());
    Ok(true)
}

async fn recv_outbox(ob: &Option<Arc<super::pubsub::Outbox>>) {
    match ob {
        Some(ob) => ob.ready.notified().await,
        None => std::future::pending().await,
    }
}

async fn recv_monitor(rx: &mut Option<broadcast::Receiver<Arc<[u8]>>>) -> Option<Arc<[u8]>> {
    match rx {
        Some(rx) => rx.recv().await.ok(),
        None => std::future::pending().await,
    }
}
