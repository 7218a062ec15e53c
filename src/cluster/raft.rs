//! The consensus layer of cluster mode: the [`Topology`] as a replicated state machine on
//! openraft, over the cluster bus ([`super::bus`]).
//!
//! Owns: the raft instance and its storage (`store`, persisted in `cluster-config-file`), the
//! bus, group membership (MEET, FORGET, RESET), heartbeats and the liveness of peers. It does not
//! touch the keyspace or replication: `cluster::node` follows the published topology.
//!
//! - Group: a random id chosen when a one-node cluster is initialised; a node joining another
//!   group adopts its id. Bus messages of another group are ignored.
//! - Raft ids: the first 16 hex digits of the node id as a u64.
//! - MEET (X runs it, naming Y): X asks Y who it is; if X is alone it restarts its raft empty in
//!   Y's group and sends Join to Y, whose leader (one join at a time) commits `AddNode`, adds X
//!   as a learner, then as a voter. If Y is alone and X is not, X asks Y to do the same towards
//!   X. Two multi-node groups are never merged.
//! - Timing (node timeout T ms): heartbeat = clamp(T/20, 50, 250) ms, election timeout in
//!   [max(3 heartbeats, 300 ms), twice that]; `in_quorum` needs a majority of voters heard
//!   within T/2.

use super::bus::{self, Bus, Origin};
use super::topology::{Applied, Change, Node, Outcome, Topology};
use openraft::error::{ClientWriteError, RaftError};
use openraft::raft::AppendEntriesResponse;
use openraft::storage::Adaptor;
use openraft::{BasicNode, Config, Raft, ServerState, SnapshotPolicy};
use parking_lot::Mutex;
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};
use tokio::sync::watch;

mod join;
mod network;
mod store;
#[cfg(test)]
mod tests;

use network::{Net, Req, Resp};
use store::{Ctx, Persisted, Store};

openraft::declare_raft_types!(
    /// openraft's types for the topology log.
    pub TypeConfig:
        D = Change,
        R = Outcome,
        NodeId = u64,
        Node = BasicNode,
        Entry = openraft::Entry<TypeConfig>,
        SnapshotData = std::io::Cursor<Vec<u8>>,
        AsyncRuntime = openraft::TokioRuntime,
);

const CLUSTERDOWN: &str = "CLUSTERDOWN The cluster is down";

/// How long MEET waits for both nodes to be in one topology.
const MEET_TIMEOUT: Duration = Duration::from_secs(10);

/// Start-up parameters of [`Consensus::start`].
pub struct ConsensusConfig {
    /// This node as it would join a new cluster (id, announced addresses; `ip` "" when
    /// `cluster-announce-ip` is unset: learned from MEET).
    pub me: Node,
    /// Where the bus listens (port 0: any free port, see [`Consensus::bus_addr`]).
    pub bus_bind: SocketAddr,
    /// `cluster-config-file`: loaded if it exists, rewritten on every change.
    pub config_file: std::path::PathBuf,
    /// `cluster-node-timeout`, ms.
    pub node_timeout_ms: u64,
}

/// What this node knows of a peer's liveness.
#[derive(Debug, Clone, Copy)]
pub struct PeerStatus {
    /// Last time any bus message of our group came from it.
    pub last_heard: Instant,
    /// Replication offset of its last heartbeat, bytes.
    pub repl_offset: u64,
}

/// One bus connection (CLUSTER LINKS).
#[derive(Debug, Clone)]
pub struct LinkInfo {
    /// Peer node id ("" before it sent anything).
    pub node: String,
    /// "to" or "from".
    pub dir: &'static str,
    /// Unix ms.
    pub create_time: u64,
    /// "r", or "rw" while bytes are queued.
    pub events: String,
    /// Bytes.
    pub send_buffer_allocated: u64,
    /// Bytes.
    pub send_buffer_used: u64,
}

/// Answers app requests (`Consensus::request`) from other members: payload in, reply out.
pub type RequestHandler =
    Arc<dyn Fn(Vec<u8>) -> Pin<Box<dyn Future<Output = Vec<u8>> + Send>> + Send + Sync>;

/// The raft id of node id `id`: its first 16 hex digits (a hash for other ids).
pub fn raft_id(id: &str) -> u64 {
    match id.get(..16).and_then(|h| u64::from_str_radix(h, 16).ok()) {
        Some(v) => v,
        None => id.bytes().fold(0xcbf29ce484222325u64, |h, b| {
            (h ^ b as u64).wrapping_mul(0x100000001b3)
        }),
    }
}

/// The consensus layer of one node. See the module docs.
pub struct Consensus {
    topo: Arc<watch::Sender<Arc<Topology>>>,
    inner: Arc<Inner>,
}

/// One run of raft in one group.
struct RaftNode {
    raft: Raft<TypeConfig>,
    id: u64,
    store: Store,
}

pub(crate) struct Inner {
    file: std::path::PathBuf,
    node_timeout: Duration,
    heartbeat: Duration,
    config: Arc<Config>,
    pub(crate) bus: Arc<Bus>,
    topo: Arc<watch::Sender<Arc<Topology>>>,
    cur: Mutex<Option<Arc<RaftNode>>>,
    /// Serialises raft restarts (MEET as joiner, RESET).
    switch: tokio::sync::Mutex<()>,
    /// Leader: one membership change (join, forget) at a time.
    members: tokio::sync::Mutex<()>,
    repl_offset: AtomicU64,
    /// Last time `in_quorum` held.
    quorum_at: Mutex<Instant>,
    handler: Mutex<Option<RequestHandler>>,
    stopped: AtomicBool,
    /// Leader: last AppendEntries each follower (raft id) accepted our leadership.
    pub(crate) acked: Mutex<HashMap<u64, Instant>>,
    /// Follower: last AppendEntries from the leader that matched our log.
    appended: Mutex<Option<Instant>>,
}

fn timings(node_timeout_ms: u64) -> (u64, u64) {
    let hb = (node_timeout_ms / 20).clamp(50, 250);
    (hb, (3 * hb).max(300))
}

impl Consensus {
    /// Binds the bus and starts raft: resumes from `cfg.config_file` if it exists (its node id
    /// wins over `cfg.me.id`), else starts a new one-node cluster holding `cfg.me`. Returns once
    /// the topology contains this node (at most ~10 s).
    /// Errors: the bus cannot bind; the file cannot be read, parsed or written; timeout.
    pub async fn start(cfg: ConsensusConfig) -> std::io::Result<Arc<Consensus>> {
        let loaded = if cfg.config_file.exists() {
            Some(Persisted::load(&cfg.config_file)?)
        } else {
            None
        };
        let (me, group) = match &loaded {
            Some(p) => (p.node_id.clone(), p.group),
            None => (cfg.me.id.clone(), rand::random::<u64>()),
        };
        let bus = Bus::bind(cfg.bus_bind, me.clone(), group).await?;
        let initial = loaded
            .as_ref()
            .map(|p| p.topology.clone())
            .unwrap_or_default();
        let topo = Arc::new(watch::channel(Arc::new(initial)).0);
        let (hb, emin) = timings(cfg.node_timeout_ms);
        let config = Config {
            cluster_name: "shoal".into(),
            heartbeat_interval: hb,
            election_timeout_min: emin,
            election_timeout_max: 2 * emin,
            install_snapshot_timeout: (4 * emin).max(1000),
            snapshot_policy: SnapshotPolicy::LogsSinceLast(200),
            max_in_snapshot_log_to_keep: 50,
            ..Default::default()
        }
        .validate()
        .map_err(std::io::Error::other)?;
        let inner = Arc::new(Inner {
            file: cfg.config_file.clone(),
            node_timeout: Duration::from_millis(cfg.node_timeout_ms.max(1)),
            heartbeat: Duration::from_millis(hb),
            config: Arc::new(config),
            bus: bus.clone(),
            topo: topo.clone(),
            cur: Mutex::new(None),
            switch: tokio::sync::Mutex::new(()),
            members: tokio::sync::Mutex::new(()),
            repl_offset: AtomicU64::new(0),
            quorum_at: Mutex::new(Instant::now()),
            handler: Mutex::new(None),
            stopped: AtomicBool::new(false),
            acked: Mutex::new(HashMap::new()),
            appended: Mutex::new(None),
        });
        let svc: Arc<dyn bus::Service> = inner.clone();
        bus.set_service(Arc::downgrade(&svc));
        drop(svc);
        let err = |e: String| std::io::Error::other(e);
        match loaded {
            Some(p) => {
                let persisted_me = p.topology.nodes.get(&me).cloned();
                inner.launch(p).await.map_err(err)?;
                if let Some(old) = persisted_me {
                    let want = Node {
                        ip: if cfg.me.ip.is_empty() {
                            old.ip.clone()
                        } else {
                            cfg.me.ip.clone()
                        },
                        port: cfg.me.port,
                        cport: cfg.me.cport,
                        ..old.clone()
                    };
                    if (want.ip.as_str(), want.port, want.cport)
                        != (old.ip.as_str(), old.port, old.cport)
                    {
                        tokio::spawn(set_addr_later(Arc::downgrade(&inner), want));
                    }
                }
            }
            None => inner.init_alone(cfg.me, group).await.map_err(err)?,
        }
        tokio::spawn(heartbeat_task(Arc::downgrade(&inner)));
        let c = Arc::new(Consensus { topo, inner });
        let deadline = Instant::now() + Duration::from_secs(10);
        c.inner
            .wait_topo(deadline, |t| t.nodes.contains_key(&me))
            .await
            .map_err(|_| err("timed out waiting for the cluster topology".into()))?;
        Ok(c)
    }

    /// The bus address actually bound.
    pub fn bus_addr(&self) -> SocketAddr {
        self.inner.bus.local_addr()
    }

    /// This node's id (40 hex).
    pub fn my_id(&self) -> String {
        self.inner.bus.me()
    }

    /// The applied topology, updated on every apply.
    pub fn watch(&self) -> watch::Receiver<Arc<Topology>> {
        self.topo.subscribe()
    }

    pub fn topology(&self) -> Arc<Topology> {
        self.topo.borrow().clone()
    }

    /// Commits `change` through the leader and returns `Topology::apply`'s result, once this
    /// node applied it. Errors: the apply's error, or `CLUSTERDOWN` when no leader answers
    /// within max(node timeout, 2 s) (at once when out of quorum for a node timeout).
    pub async fn propose(&self, change: Change) -> Result<Applied, String> {
        self.inner.propose(change).await
    }

    /// CLUSTER MEET ip port cport (see the module docs). Errors: Y unreachable, two clusters,
    /// the join refused (slot conflict), or not done within ~10 s.
    pub async fn meet(&self, ip: &str, port: u16, cport: u16) -> Result<(), String> {
        self.inner.meet(ip.to_string(), port, cport).await
    }

    /// CLUSTER FORGET id: removes it from raft membership and the topology. Ok if already
    /// forgotten. Works while `id` is down.
    pub async fn forget(&self, id: &str) -> Result<(), String> {
        self.inner.forget(id.to_string()).await
    }

    /// CLUSTER RESET: leaves the group and starts a new one-node cluster holding `me` (whose id
    /// becomes this node's id).
    pub async fn reset(&self, me: Node) -> Result<(), String> {
        self.inner.reset(me).await
    }

    /// The replication offset (bytes) sent in heartbeats.
    pub fn set_repl_offset(&self, offset: u64) {
        self.inner.repl_offset.store(offset, Relaxed);
    }

    /// Peers heard from (any bus message of our group), by node id.
    pub fn peers(&self) -> HashMap<String, PeerStatus> {
        self.inner
            .bus
            .heard()
            .into_iter()
            .map(|(k, h)| {
                (
                    k,
                    PeerStatus {
                        last_heard: h.at,
                        repl_offset: h.repl_offset,
                    },
                )
            })
            .collect()
    }

    /// This node is the raft leader.
    pub fn is_leader(&self) -> bool {
        self.inner
            .current()
            .is_some_and(|n| n.raft.metrics().borrow().state == ServerState::Leader)
    }

    /// A majority of the voters (counting this node) was heard within node timeout / 2.
    pub fn in_quorum(&self) -> bool {
        self.inner.in_quorum()
    }

    /// Drops all bus traffic of this node, in and out, while `on` (DEBUG CLUSTER-BUS-DROP).
    pub fn set_isolated(&self, on: bool) {
        self.inner.bus.set_isolated(on);
    }

    /// The bus connections.
    pub fn links(&self) -> Vec<LinkInfo> {
        self.inner
            .bus
            .links()
            .into_iter()
            .map(|l| LinkInfo {
                node: l.node,
                dir: l.dir,
                create_time: l.create_time,
                events: if l.queued > 0 { "rw" } else { "r" }.into(),
                send_buffer_allocated: l.queued,
                send_buffer_used: l.queued,
            })
            .collect()
    }

    /// Writes `cluster-config-file` now. Errors: it cannot be written.
    pub fn save(&self) -> std::io::Result<()> {
        match self.inner.current() {
            Some(n) => n.store.save(),
            None => Ok(()),
        }
    }

    /// Sends `payload` to member `node_id`; its request handler's output is the reply.
    /// Errors: unknown member, unreachable, no handler, timeout.
    pub async fn request(
        &self,
        node_id: &str,
        payload: Vec<u8>,
        timeout: Duration,
    ) -> Result<Vec<u8>, String> {
        let topo = self.topology();
        let n = topo
            .nodes
            .get(node_id)
            .ok_or_else(|| format!("unknown node {node_id}"))?;
        let addr = node_addr(n).ok_or_else(|| format!("no address for {node_id}"))?;
        match self
            .inner
            .call(addr, Req::App(payload), false, timeout)
            .await?
        {
            Resp::App(v) => Ok(v),
            Resp::Refused(e) => Err(e),
            other => Err(format!("unexpected answer {other:?}")),
        }
    }

    /// Sets the handler of app requests from other members.
    pub fn set_request_handler(&self, h: RequestHandler) {
        *self.inner.handler.lock() = Some(h);
    }

    /// Stops raft and the bus.
    pub async fn shutdown(&self) {
        self.inner.stopped.store(true, Relaxed);
        let cur = self.inner.cur.lock().take();
        if let Some(n) = cur {
            n.store.ctx.live.store(false, Relaxed);
            let _ = n.raft.shutdown().await;
        }
        self.inner.bus.shutdown();
    }
}

/// `ip:cport` of a member; None without an ip.
fn node_addr(n: &Node) -> Option<SocketAddr> {
    let ip: IpAddr = n.ip.parse().ok()?;
    Some(SocketAddr::new(ip, n.cport))
}

impl Inner {
    fn current(&self) -> Option<Arc<RaftNode>> {
        self.cur.lock().clone()
    }

    fn me(&self) -> String {
        self.bus.me()
    }

    fn topology(&self) -> Arc<Topology> {
        self.topo.borrow().clone()
    }

    /// The bus address of raft member `rid`: from the topology, else `fallback` (its raft
    /// membership address).
    pub(crate) fn addr_of_raft(&self, rid: u64, fallback: &str) -> Option<SocketAddr> {
        let topo = self.topology();
        let from_topo = topo
            .nodes
            .values()
            .find(|n| raft_id(&n.id) == rid)
            .and_then(node_addr);
        from_topo.or_else(|| fallback.parse().ok())
    }

    /// Starts raft on storage `st` (its node id and group become this node's).
    async fn launch(self: &Arc<Self>, st: Persisted) -> Result<Arc<RaftNode>, String> {
        self.bus.set_me(st.node_id.clone());
        self.bus.set_group(st.group);
        self.acked.lock().clear();
        *self.appended.lock() = None;
        let me = st.node_id.clone();
        let joined = st.topology.nodes.contains_key(&me);
        let ctx = Arc::new(Ctx {
            file: self.file.clone(),
            live: AtomicBool::new(true),
            me: me.clone(),
            topo: self.topo.clone(),
            applied: watch::channel(0).0,
            joined: AtomicBool::new(joined),
        });
        let store = Store::new(st, ctx);
        let (log, sm) = Adaptor::new(store.clone());
        let net = Net {
            inner: Arc::downgrade(self),
            backoff_ms: self.heartbeat.as_millis() as u64 * 2,
        };
        let id = raft_id(&me);
        let raft = Raft::new(id, self.config.clone(), net, log, sm)
            .await
            .map_err(|e| format!("ERR cannot start consensus: {e}"))?;
        let node = Arc::new(RaftNode { raft, id, store });
        *self.cur.lock() = Some(node.clone());
        Ok(node)
    }

    /// Stops the current raft (its store stops writing and publishing).
    async fn stop_current(&self) {
        let cur = self.cur.lock().take();
        if let Some(n) = cur {
            n.store.ctx.live.store(false, Relaxed);
            let _ = n.raft.shutdown().await;
        }
    }

    /// A new one-node cluster in group `group` holding `me`.
    async fn init_alone(self: &Arc<Self>, me: Node, group: u64) -> Result<(), String> {
        let st = Persisted {
            node_id: me.id.clone(),
            group,
            ..Default::default()
        };
        let node = self.launch(st).await?;
        let addr = match node_addr(&me) {
            Some(a) => a.to_string(),
            None => SocketAddr::new(self.bus.local_addr().ip(), me.cport).to_string(),
        };
        let members = BTreeMap::from([(node.id, BasicNode { addr })]);
        node.raft
            .initialize(members)
            .await
            .map_err(|e| format!("ERR cannot initialise consensus: {e}"))?;
        node.store
            .save()
            .map_err(|e| format!("ERR cannot write the cluster config: {e}"))?;
        self.propose(Change::AddNode(me)).await.map(|_| ())
    }

    /// Waits until the published topology satisfies `f`, until `deadline`.
    async fn wait_topo(&self, deadline: Instant, f: impl Fn(&Topology) -> bool) -> Result<(), ()> {
        let mut rx = self.topo.subscribe();
        let left = deadline.saturating_duration_since(Instant::now());
        let ok = matches!(
            tokio::time::timeout(left, rx.wait_for(|t| f(t))).await,
            Ok(Ok(_))
        );
        if ok {
            Ok(())
        } else {
            Err(())
        }
    }

    /// A majority of voters heard within node timeout / 2, and raft itself works: as leader,
    /// a majority accepted our AppendEntries; as follower, the leader's AppendEntries matched
    /// our log (so a node back from a restart or partition has caught up first).
    fn in_quorum(&self) -> bool {
        let Some(node) = self.current() else {
            return false;
        };
        let (voters, leader): (Vec<u64>, bool) = {
            let m = node.raft.metrics();
            let m = m.borrow();
            (
                m.membership_config.membership().voter_ids().collect(),
                m.state == ServerState::Leader,
            )
        };
        if voters.is_empty() {
            return false;
        }
        if voters == [node.id] {
            return true;
        }
        let topo = self.topology();
        let heard = self.bus.heard();
        let fresh = self.node_timeout / 2;
        let recent = |t: Option<&Instant>| t.is_some_and(|t| t.elapsed() < fresh);
        let by_raft_id = |v: u64| topo.nodes.values().find(|n| raft_id(&n.id) == v);
        let ok = voters
            .iter()
            .filter(|&&v| {
                v == node.id || recent(by_raft_id(v).and_then(|n| heard.get(&n.id)).map(|h| &h.at))
            })
            .count();
        if ok * 2 <= voters.len() {
            return false;
        }
        if leader {
            let acked = self.acked.lock();
            let ok = voters
                .iter()
                .filter(|&&v| v == node.id || recent(acked.get(&v)))
                .count();
            ok * 2 > voters.len()
        } else {
            recent(self.appended.lock().as_ref())
        }
    }

    /// Sends `req` over the bus and decodes the answer.
    async fn call(
        &self,
        addr: SocketAddr,
        req: Req,
        any_group: bool,
        timeout: Duration,
    ) -> Result<Resp, String> {
        let body = serde_json::to_value(&req).map_err(|e| e.to_string())?;
        let v = self.bus.call(addr, body, any_group, timeout).await?;
        serde_json::from_value(v).map_err(|e| format!("bad answer: {e}"))
    }

    /// Leader's id and bus address as this node sees it: `Ok(None)` if this node leads.
    fn leader(&self, node: &RaftNode) -> Option<Result<SocketAddr, ()>> {
        let m = node.raft.metrics().borrow().clone();
        let l = m.current_leader?;
        if l == node.id {
            return Some(Err(()));
        }
        let fallback = m
            .membership_config
            .membership()
            .get_node(&l)
            .map(|n| n.addr.clone())
            .unwrap_or_default();
        self.addr_of_raft(l, &fallback).map(Ok)
    }

    /// Waits for a raft metrics change (e.g. a leader elected), at most `max`.
    async fn settle(&self, node: &RaftNode, max: Duration) {
        let mut rx = node.raft.metrics();
        let _ = tokio::time::timeout(max, rx.changed()).await;
    }

    fn deadline(&self) -> Instant {
        Instant::now() + self.node_timeout.max(Duration::from_secs(2))
    }

    /// Out of quorum for longer than the node timeout: fail at once.
    fn fail_fast(&self) -> bool {
        !self.in_quorum() && self.quorum_at.lock().elapsed() > self.node_timeout
    }

    async fn propose(self: &Arc<Self>, change: Change) -> Result<Applied, String> {
        let deadline = self.deadline();
        let (outcome, index) = self.propose_at(change, deadline).await?;
        self.wait_applied(index, deadline).await;
        outcome
    }

    /// Waits until this node applied log index `index` (bounded by `deadline`).
    async fn wait_applied(&self, index: u64, deadline: Instant) {
        let Some(node) = self.current() else { return };
        let mut rx = node.store.ctx.applied.subscribe();
        let left = deadline.saturating_duration_since(Instant::now());
        let _ = tokio::time::timeout(left, rx.wait_for(|v| *v >= index)).await;
    }

    /// Commits `change` (forwarding to the leader) and returns its outcome and log index.
    async fn propose_at(
        self: &Arc<Self>,
        change: Change,
        deadline: Instant,
    ) -> Result<(Outcome, u64), String> {
        if self.fail_fast() {
            return Err(CLUSTERDOWN.into());
        }
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || self.stopped.load(Relaxed) {
                return Err(CLUSTERDOWN.into());
            }
            let Some(node) = self.current() else {
                tokio::time::sleep(left.min(Duration::from_millis(20))).await;
                continue;
            };
            match self.leader(&node) {
                Some(Err(())) => {
                    match tokio::time::timeout(left, node.raft.client_write(change.clone())).await {
                        Ok(Ok(r)) => {
                            // Tell the followers the new commit index now rather than at the
                            // next heartbeat: a proposer on a follower waits for it (and
                            // redis-cli's next command often goes to another node).
                            let _ = node.raft.trigger().heartbeat().await;
                            return Ok((r.data, r.log_id.index));
                        }
                        Ok(Err(RaftError::APIError(ClientWriteError::ForwardToLeader(_)))) => {
                            self.settle(&node, left.min(Duration::from_millis(100)))
                                .await;
                        }
                        Ok(Err(e)) => {
                            tracing::warn!("Cluster: proposal failed: {e}");
                            return Err(CLUSTERDOWN.into());
                        }
                        Err(_) => return Err(CLUSTERDOWN.into()),
                    }
                }
                Some(Ok(addr)) => {
                    let req = Req::Propose(change.clone());
                    match self.call(addr, req, false, left).await {
                        Ok(Resp::Proposed(r)) => return r,
                        _ => {
                            self.settle(&node, left.min(Duration::from_millis(100)))
                                .await
                        }
                    }
                }
                None => {
                    self.settle(&node, left.min(Duration::from_millis(100)))
                        .await
                }
            }
        }
    }

    /// Runs `req` on the leader: `Ok(None)` when this node is the leader (run it here).
    async fn on_leader(&self, req: &Req, deadline: Instant) -> Result<Option<Resp>, String> {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || self.stopped.load(Relaxed) {
                return Err(CLUSTERDOWN.into());
            }
            let Some(node) = self.current() else {
                return Err(CLUSTERDOWN.into());
            };
            match self.leader(&node) {
                Some(Err(())) => return Ok(None),
                Some(Ok(addr)) => {
                    let body = serde_json::to_value(req).map_err(|e| e.to_string())?;
                    if let Ok(v) = self.bus.call(addr, body, false, left).await {
                        match serde_json::from_value::<Resp>(v) {
                            Ok(Resp::Refused(_)) | Err(_) => {}
                            Ok(r) => return Ok(Some(r)),
                        }
                    }
                    self.settle(&node, left.min(Duration::from_millis(100)))
                        .await;
                }
                None => {
                    self.settle(&node, left.min(Duration::from_millis(100)))
                        .await
                }
            }
        }
    }

    /// Answers one bus request.
    async fn serve(self: Arc<Self>, origin: Origin, req: Req) -> Resp {
        let raft = || self.current().map(|n| n.raft.clone());
        match req {
            Req::Append(rpc) => match raft() {
                Some(r) => {
                    let res = r.append_entries(rpc).await;
                    if matches!(
                        res,
                        Ok(AppendEntriesResponse::Success
                            | AppendEntriesResponse::PartialSuccess(_))
                    ) {
                        *self.appended.lock() = Some(Instant::now());
                    }
                    Resp::Append(res)
                }
                None => Resp::Refused("no raft".into()),
            },
            Req::Vote(rpc) => match raft() {
                Some(r) => Resp::Vote(r.vote(rpc).await),
                None => Resp::Refused("no raft".into()),
            },
            Req::Snapshot(rpc) => match raft() {
                Some(r) => Resp::Snapshot(r.install_snapshot(rpc).await),
                None => Resp::Refused("no raft".into()),
            },
            Req::Info => {
                let topo = self.topology();
                let me = self.me();
                // Redis learns its own address from the MEET it receives.
                if topo.nodes.get(&me).is_some_and(|n| n.ip.is_empty()) {
                    let n = &topo.nodes[&me];
                    let ch = Change::SetAddr {
                        id: me.clone(),
                        ip: origin.local.ip().to_string(),
                        port: n.port,
                        cport: n.cport,
                    };
                    let inner = self.clone();
                    tokio::spawn(async move {
                        if let Err(e) = inner.propose(ch).await {
                            tracing::warn!("Cluster: cannot record my address: {e}");
                        }
                    });
                }
                Resp::Info {
                    id: me,
                    group: self.bus.group(),
                    members: topo.nodes.len(),
                    your_ip: origin.peer.ip().to_string(),
                }
            }
            Req::Join {
                node,
                raft_id: rid,
                group,
            } => {
                if group != self.bus.group() {
                    return Resp::Done(Err("ERR the cluster changed meanwhile".into()));
                }
                let deadline = Instant::now() + MEET_TIMEOUT;
                let req = Req::Join {
                    node: node.clone(),
                    raft_id: rid,
                    group,
                };
                match self.on_leader(&req, deadline).await {
                    Ok(None) => Resp::Done(self.admit(node, rid, deadline).await),
                    Ok(Some(r)) => r,
                    Err(e) => Resp::Done(Err(e)),
                }
            }
            Req::MeetMe { ip, port, cport } => {
                let ip = if ip.is_empty() {
                    origin.peer.ip().to_string()
                } else {
                    ip
                };
                let inner = self.clone();
                // Boxed: meet -> join -> ... must not make this future recursive.
                let fut: Pin<Box<dyn Future<Output = Result<(), String>> + Send>> =
                    Box::pin(async move { inner.meet(ip, port, cport).await });
                Resp::Done(fut.await.map(|_| 0))
            }
            Req::Propose(ch) => Resp::Proposed(self.propose_at(ch, self.deadline()).await),
            Req::Forget(id) => {
                let Some(node) = self.current() else {
                    return Resp::Refused("no raft".into());
                };
                if self.leader(&node) != Some(Err(())) {
                    return Resp::Refused("not the leader".into());
                }
                Resp::Done(self.forget_here(id, self.deadline()).await)
            }
            Req::App(payload) => {
                let h = self.handler.lock().clone();
                match h {
                    Some(h) => Resp::App(h(payload).await),
                    None => Resp::Refused("no request handler".into()),
                }
            }
        }
    }
}

impl bus::Service for Inner {
    fn handle(self: Arc<Self>, origin: Origin, body: serde_json::Value) -> bus::Answer {
        Box::pin(async move {
            let resp = match serde_json::from_value::<Req>(body) {
                Ok(req) => self.serve(origin, req).await,
                Err(e) => Resp::Refused(format!("bad request: {e}")),
            };
            serde_json::to_value(&resp).unwrap_or(serde_json::Value::Null)
        })
    }
}

/// Every heartbeat: pings every member, and notes whether the quorum holds.
async fn heartbeat_task(inner: Weak<Inner>) {
    let hb = match inner.upgrade() {
        Some(i) => i.heartbeat,
        None => return,
    };
    let mut tick = tokio::time::interval(hb);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(i) = inner.upgrade() else { return };
        if i.stopped.load(Relaxed) {
            return;
        }
        let topo = i.topology();
        let me = i.me();
        let off = i.repl_offset.load(Relaxed);
        for n in topo.nodes.values().filter(|n| n.id != me) {
            if let Some(a) = node_addr(n) {
                i.bus.ping(a, off, hb * 4);
            }
        }
        if i.in_quorum() {
            *i.quorum_at.lock() = Instant::now();
        }
    }
}

/// After a restart at another address: records it once a leader exists (bounded: ~60 s).
async fn set_addr_later(inner: Weak<Inner>, want: Node) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let Some(i) = inner.upgrade() else { return };
        if i.stopped.load(Relaxed) {
            return;
        }
        let ch = Change::SetAddr {
            id: want.id.clone(),
            ip: want.ip.clone(),
            port: want.port,
            cport: want.cport,
        };
        match i.propose(ch).await {
            Ok(_) => return,
            Err(e) => tracing::debug!("Cluster: address update pending: {e}"),
        }
        drop(i);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
