//! The cluster bus: framed JSON messages between the nodes of a cluster, over TCP on each
//! node's cluster port (Redis's port + 10000).
//!
//! The bus owns the sockets, nothing else: it carries requests (with a request id, answered on
//! the connection they came from), responses and heartbeats, and remembers when each peer was
//! last heard. What the messages mean is the consensus layer's (`cluster::raft`), which
//! registers itself as the [`Service`] that answers requests.
//!
//! - Frame: 4-byte big-endian body length, then a serde_json [`Envelope`]. A frame over
//!   [`MAX_FRAME`] bytes or that does not parse closes that connection (never panics).
//! - Group: every message carries the sender's node id and its group id (the random id of the
//!   cluster it belongs to). Requests and heartbeats from another group are dropped, unless the
//!   request is marked `any_group` (the join handshake), so a node that left a cluster is not
//!   disturbed by its old group, and vice versa. Responses are matched by request id only.
//! - Connections: one outgoing connection per peer address, made lazily on first use and made
//!   again after an error, with a backoff (50 ms doubling up to 1 s) during which sends to that
//!   address fail at once. No call waits longer than the timeout it is given. Outgoing frames
//!   go through a bounded queue; a full queue drops the frame (consensus retries).
//! - Fault hook: [`Bus::set_isolated`] drops all traffic of this node, in and out.

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, watch};

#[cfg(test)]
mod tests;

/// Largest frame body accepted or sent, bytes.
pub const MAX_FRAME: usize = 64 << 20;

/// Frames queued per connection before new ones are dropped.
const QUEUE: usize = 4096;

/// Longest wait before a failed address is tried again, ms.
const MAX_BACKOFF_MS: u64 = 1000;

/// One bus message.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct Envelope {
    /// The sender's node id (40 hex).
    pub from: String,
    /// The sender's group id.
    pub group: u64,
    pub kind: Kind,
}

/// What an [`Envelope`] carries.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub enum Kind {
    /// A request to answer; `any_group` lets it through a receiver in another group.
    Req {
        id: u64,
        any_group: bool,
        body: serde_json::Value,
    },
    /// The answer to request `id`.
    Resp { id: u64, body: serde_json::Value },
    /// Heartbeat with the sender's replication offset (bytes).
    Ping { repl_offset: u64 },
}

/// Who sent a request, as the receiving [`Service`] sees it.
#[derive(Debug, Clone)]
pub struct Origin {
    pub from: String,
    pub group: u64,
    /// The remote address of the connection.
    pub peer: SocketAddr,
    /// The local address the connection came in on (the address the sender used for us).
    pub local: SocketAddr,
}

/// A boxed future answering a request.
pub type Answer = Pin<Box<dyn Future<Output = serde_json::Value> + Send>>;

/// Answers requests arriving on the bus.
pub trait Service: Send + Sync + 'static {
    fn handle(self: Arc<Self>, origin: Origin, body: serde_json::Value) -> Answer;
}

/// What the bus knows of a peer: when it was last heard (any message of our group), and the
/// replication offset of its last heartbeat.
#[derive(Debug, Clone, Copy)]
pub struct Heard {
    pub at: Instant,
    pub repl_offset: u64,
}

/// One open connection, for CLUSTER LINKS.
#[derive(Debug, Clone)]
pub struct Link {
    /// Peer node id ("" until it sent a message).
    pub node: String,
    /// "to" (we connected) or "from".
    pub dir: &'static str,
    /// Unix ms.
    pub create_time: u64,
    /// Bytes queued for sending.
    pub queued: u64,
}

struct Conn {
    tx: mpsc::Sender<Vec<u8>>,
    alive: Arc<AtomicBool>,
    /// Requests sent on this connection awaiting their response.
    pending: Arc<Mutex<HashMap<u64, oneshot::Sender<serde_json::Value>>>>,
    info: Arc<Mutex<Link>>,
    queued: Arc<AtomicU64>,
}

#[derive(Default)]
struct Peer {
    conn: Option<Arc<Conn>>,
    failures: u32,
    retry_at: Option<Instant>,
}

/// The bus of one node. See the module docs.
pub struct Bus {
    me: Mutex<String>,
    group: AtomicU64,
    isolated: AtomicBool,
    local: SocketAddr,
    peers: Mutex<HashMap<SocketAddr, Arc<tokio::sync::Mutex<Peer>>>>,
    inbound: Mutex<Vec<Arc<Mutex<Link>>>>,
    heard: Mutex<HashMap<String, Heard>>,
    next_id: AtomicU64,
    service: Mutex<Option<Weak<dyn Service>>>,
    stop: watch::Sender<bool>,
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn encode(env: &Envelope) -> Option<Vec<u8>> {
    let body = serde_json::to_vec(env).ok()?;
    if body.len() > MAX_FRAME {
        tracing::warn!("Cluster bus: dropping a {} byte frame", body.len());
        return None;
    }
    let mut out = Vec::with_capacity(body.len() + 4);
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(&body);
    Some(out)
}

/// Reads one frame; `None` on EOF, error, oversize or bad JSON.
async fn read_frame<R: AsyncReadExt + Unpin>(r: &mut R) -> Option<Envelope> {
    let mut len = [0u8; 4];
    r.read_exact(&mut len).await.ok()?;
    let len = u32::from_be_bytes(len) as usize;
    if len > MAX_FRAME {
        return None;
    }
    // Grown as bytes arrive: a peer announcing a large frame and sending nothing costs
    // nothing.
    let mut buf = Vec::with_capacity(len.min(64 * 1024));
    (&mut *r)
        .take(len as u64)
        .read_to_end(&mut buf)
        .await
        .ok()?;
    if buf.len() != len {
        return None;
    }
    serde_json::from_slice(&buf).ok()
}

impl Bus {
    /// Binds the bus on `bind` and starts accepting connections. `me`/`group`: this node's ids.
    /// Errors: the address cannot be bound.
    pub async fn bind(bind: SocketAddr, me: String, group: u64) -> std::io::Result<Arc<Bus>> {
        let listener = TcpListener::bind(bind).await?;
        let local = listener.local_addr()?;
        let (stop, _) = watch::channel(false);
        let bus = Arc::new(Bus {
            me: Mutex::new(me),
            group: AtomicU64::new(group),
            isolated: AtomicBool::new(false),
            local,
            peers: Mutex::new(HashMap::new()),
            inbound: Mutex::new(Vec::new()),
            heard: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            service: Mutex::new(None),
            stop,
        });
        tokio::spawn(accept_loop(
            Arc::downgrade(&bus),
            listener,
            bus.stop.subscribe(),
        ));
        Ok(bus)
    }

    /// The bound address (the port when bound to port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    pub fn set_service(&self, s: Weak<dyn Service>) {
        *self.service.lock() = Some(s);
    }

    pub fn set_me(&self, id: String) {
        *self.me.lock() = id;
    }

    pub fn me(&self) -> String {
        self.me.lock().clone()
    }

    /// Switches to group `g`; forgets what was heard from the old group.
    pub fn set_group(&self, g: u64) {
        if self.group.swap(g, Relaxed) != g {
            self.heard.lock().clear();
        }
    }

    pub fn group(&self) -> u64 {
        self.group.load(Relaxed)
    }

    /// Drops all traffic, in and out, while `on` (partition simulation).
    pub fn set_isolated(&self, on: bool) {
        self.isolated.store(on, Relaxed);
    }

    pub fn is_isolated(&self) -> bool {
        self.isolated.load(Relaxed)
    }

    /// When each peer (node id) of our group was last heard.
    pub fn heard(&self) -> HashMap<String, Heard> {
        self.heard.lock().clone()
    }

    /// The open connections.
    pub fn links(&self) -> Vec<Link> {
        let mut out = Vec::new();
        for p in self.peers.lock().values() {
            if let Ok(p) = p.try_lock() {
                if let Some(c) = &p.conn {
                    if c.alive.load(Relaxed) {
                        let mut l = c.info.lock().clone();
                        l.queued = c.queued.load(Relaxed);
                        out.push(l);
                    }
                }
            }
        }
        let mut inbound = self.inbound.lock();
        inbound.retain(|l| Arc::strong_count(l) > 1);
        out.extend(inbound.iter().map(|l| l.lock().clone()));
        out
    }

    /// Stops accepting and closes every connection.
    pub fn shutdown(&self) {
        let _ = self.stop.send(true);
        for p in self.peers.lock().values() {
            if let Ok(mut p) = p.try_lock() {
                if let Some(c) = p.conn.take() {
                    c.alive.store(false, Relaxed);
                }
            }
        }
    }

    fn envelope(&self, kind: Kind) -> Envelope {
        Envelope {
            from: self.me(),
            group: self.group(),
            kind,
        }
    }

    fn note_heard(&self, from: &str, repl_offset: Option<u64>) {
        if from.is_empty() || *from == *self.me.lock() {
            return;
        }
        let mut h = self.heard.lock();
        let e = h.entry(from.to_string()).or_insert(Heard {
            at: Instant::now(),
            repl_offset: 0,
        });
        e.at = Instant::now();
        if let Some(o) = repl_offset {
            e.repl_offset = o;
        }
    }

    /// The live connection to `addr`, connecting if needed within `timeout`.
    async fn conn(
        self: &Arc<Self>,
        addr: SocketAddr,
        timeout: Duration,
    ) -> Result<Arc<Conn>, String> {
        let peer = self.peers.lock().entry(addr).or_default().clone();
        let mut p = tokio::time::timeout(timeout, peer.lock())
            .await
            .map_err(|_| format!("{addr}: busy"))?;
        if let Some(c) = &p.conn {
            if c.alive.load(Relaxed) {
                return Ok(c.clone());
            }
        }
        p.conn = None;
        if let Some(at) = p.retry_at {
            if Instant::now() < at {
                return Err(format!("{addr}: unreachable"));
            }
        }
        let res = tokio::time::timeout(timeout, TcpStream::connect(addr)).await;
        let stream = match res {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => return Err(self.failed(&mut p, addr, e.to_string())),
            Err(_) => return Err(self.failed(&mut p, addr, "connect timeout".into())),
        };
        p.failures = 0;
        p.retry_at = None;
        let _ = stream.set_nodelay(true);
        let c = self.clone().spawn_conn(stream, "to");
        p.conn = Some(c.clone());
        Ok(c)
    }

    fn failed(&self, p: &mut Peer, addr: SocketAddr, e: String) -> String {
        p.failures = p.failures.saturating_add(1);
        let ms = (50u64 << p.failures.min(5)).min(MAX_BACKOFF_MS);
        p.retry_at = Some(Instant::now() + Duration::from_millis(ms));
        format!("{addr}: {e}")
    }

    /// Starts the reader and writer tasks of a connection.
    fn spawn_conn(self: Arc<Self>, stream: TcpStream, dir: &'static str) -> Arc<Conn> {
        let peer_addr = stream
            .peer_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
        let local_addr = stream.local_addr().unwrap_or(self.local);
        let (mut rd, mut wr) = stream.into_split();
        let (tx, mut rx) = mpsc::channel::<Vec<u8>>(QUEUE);
        let conn = Arc::new(Conn {
            tx,
            alive: Arc::new(AtomicBool::new(true)),
            pending: Arc::new(Mutex::new(HashMap::new())),
            info: Arc::new(Mutex::new(Link {
                node: String::new(),
                dir,
                create_time: now_ms(),
                queued: 0,
            })),
            queued: Arc::new(AtomicU64::new(0)),
        });
        let alive = conn.alive.clone();
        let queued = conn.queued.clone();
        let mut stop = self.stop.subscribe();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    m = rx.recv() => {
                        let Some(m) = m else { break };
                        queued.fetch_sub(m.len() as u64, Relaxed);
                        if wr.write_all(&m).await.is_err() {
                            break;
                        }
                    }
                    _ = stop.changed() => break,
                }
                if !alive.load(Relaxed) {
                    break;
                }
            }
            alive.store(false, Relaxed);
        });
        let weak = Arc::downgrade(&self);
        let c = conn.clone();
        let mut stop = self.stop.subscribe();
        drop(self);
        tokio::spawn(async move {
            loop {
                let env = tokio::select! {
                    e = read_frame(&mut rd) => e,
                    _ = stop.changed() => None,
                };
                let (Some(env), Some(bus)) = (env, weak.upgrade()) else {
                    break;
                };
                if !c.alive.load(Relaxed) {
                    break;
                }
                bus.received(&c, env, peer_addr, local_addr);
            }
            c.alive.store(false, Relaxed);
            c.pending.lock().clear();
        });
        conn
    }

    /// Dispatches one frame received on connection `c`.
    fn received(
        self: &Arc<Self>,
        c: &Arc<Conn>,
        env: Envelope,
        peer: SocketAddr,
        local: SocketAddr,
    ) {
        if self.is_isolated() {
            return;
        }
        {
            let mut info = c.info.lock();
            if info.node.is_empty() {
                info.node = env.from.clone();
            }
        }
        let same = env.group == self.group();
        match env.kind {
            Kind::Resp { id, body } => {
                if same {
                    self.note_heard(&env.from, None);
                }
                if let Some(tx) = c.pending.lock().remove(&id) {
                    let _ = tx.send(body);
                }
            }
            Kind::Ping { repl_offset } => {
                if same {
                    self.note_heard(&env.from, Some(repl_offset));
                }
            }
            Kind::Req {
                id,
                any_group,
                body,
            } => {
                if !same && !any_group {
                    return;
                }
                if same {
                    self.note_heard(&env.from, None);
                }
                let Some(svc) = self.service.lock().as_ref().and_then(|w| w.upgrade()) else {
                    return;
                };
                let origin = Origin {
                    from: env.from,
                    group: env.group,
                    peer,
                    local,
                };
                let bus = Arc::downgrade(self);
                let c = c.clone();
                tokio::spawn(async move {
                    let body = svc.handle(origin, body).await;
                    let Some(bus) = bus.upgrade() else { return };
                    if bus.is_isolated() {
                        return;
                    }
                    let env = bus.envelope(Kind::Resp { id, body });
                    if let Some(f) = encode(&env) {
                        push(&c, f);
                    }
                });
            }
        }
    }

    /// Sends request `body` to `addr` and waits for the answer, at most `timeout`.
    /// Errors: isolated, unreachable, connection lost, timeout.
    pub async fn call(
        self: &Arc<Self>,
        addr: SocketAddr,
        body: serde_json::Value,
        any_group: bool,
        timeout: Duration,
    ) -> Result<serde_json::Value, String> {
        if self.is_isolated() {
            return Err("isolated".into());
        }
        let deadline = Instant::now() + timeout;
        let c = self.conn(addr, timeout).await?;
        let id = self.next_id.fetch_add(1, Relaxed);
        let (tx, rx) = oneshot::channel();
        c.pending.lock().insert(id, tx);
        let env = self.envelope(Kind::Req {
            id,
            any_group,
            body,
        });
        let Some(f) = encode(&env) else {
            c.pending.lock().remove(&id);
            return Err("message too large".into());
        };
        if !push(&c, f) {
            c.pending.lock().remove(&id);
            return Err(format!("{addr}: send queue full"));
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, rx).await {
            Ok(Ok(v)) if !self.is_isolated() => Ok(v),
            Ok(Ok(_)) => Err("isolated".into()),
            Ok(Err(_)) => Err(format!("{addr}: connection lost")),
            Err(_) => {
                c.pending.lock().remove(&id);
                Err(format!("{addr}: timeout"))
            }
        }
    }

    /// Sends a heartbeat to `addr` without waiting (connects in the background).
    pub fn ping(self: &Arc<Self>, addr: SocketAddr, repl_offset: u64, timeout: Duration) {
        if self.is_isolated() {
            return;
        }
        let bus = self.clone();
        tokio::spawn(async move {
            if let Ok(c) = bus.conn(addr, timeout).await {
                if let Some(f) = encode(&bus.envelope(Kind::Ping { repl_offset })) {
                    push(&c, f);
                }
            }
        });
    }
}

/// Queues frame `f` on `c`; false if the queue is full or closed.
fn push(c: &Conn, f: Vec<u8>) -> bool {
    let n = f.len() as u64;
    match c.tx.try_send(f) {
        Ok(()) => {
            c.queued.fetch_add(n, Relaxed);
            true
        }
        Err(_) => false,
    }
}

async fn accept_loop(bus: Weak<Bus>, listener: TcpListener, mut stop: watch::Receiver<bool>) {
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stop.changed() => return,
        };
        let Some(b) = bus.upgrade() else { return };
        match accepted {
            Ok((s, _)) => {
                let _ = s.set_nodelay(true);
                let c = b.clone().spawn_conn(s, "from");
                // The link lives as long as the reader task holds the connection.
                b.inbound.lock().push(c.info.clone());
                drop(c);
            }
            Err(e) => {
                tracing::warn!("Cluster bus: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}
