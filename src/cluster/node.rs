//! This node as a cluster member: start-up, following the committed topology, the failure
//! detector, failovers, and the CLUSTER commands' consensus work.
//!
//! - [`start`] starts the consensus layer on the cluster bus and two tasks: one follows the
//!   topology (rebuilds the slot map; makes this node replicate its primary, or stop replicating
//!   once promoted), one ticks every 100 ms (reports the replication offset, computes
//!   `cluster_state`, and on the consensus leader runs the failure detector).
//! - Failure detector (leader only): a node not heard for `cluster-node-timeout` is marked
//!   failed; a failed primary serving slots is replaced by its replica with the greatest
//!   replication offset among those heard within half the timeout (Redis elects the replica
//!   with the best rank by offset too; cluster spec, "Replica rank"). Both are log entries.
//! - Manual failover (CLUSTER FAILOVER without FORCE): the replica asks its primary to pause
//!   writes and to tell its replication offset once every started write is fed; it waits to
//!   reach that offset, then proposes its promotion. Writes sent to the primary meanwhile wait
//!   (at most 5 s, Redis's CLUSTER_MF_TIMEOUT) and are then redirected to the new primary.

use super::raft::{Consensus, ConsensusConfig};
use super::topology::{Applied, Change, Node, Topology};
use crate::protocol::Reply;
use crate::server::client::Client;
use crate::server::Shared;
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

/// Manual failover: how long the primary pauses writes and the replica may take to catch up,
/// ms (Redis's CLUSTER_MF_TIMEOUT).
const MF_TIMEOUT_MS: u64 = 5000;

/// A CLUSTER command's work that awaits the consensus layer (see [`run_op`]).
#[derive(Debug, Clone)]
pub enum Op {
    /// Propose a change; reply `+OK` (BUMPEPOCH: `+BUMPED n` / `+STILL n`).
    Propose(Change),
    /// CLUSTER MEET ip port cport.
    Meet { ip: String, port: u16, cport: u16 },
    /// CLUSTER FORGET id.
    Forget(String),
    /// CLUSTER RESET [HARD|SOFT].
    Reset { hard: bool },
}

/// The bus requests nodes send each other, beside consensus traffic.
#[derive(Serialize, Deserialize)]
enum Request {
    /// From a replica to its primary: pause writes for a manual failover and reply the
    /// replication offset every started write has reached.
    ManualFailoverStart,
}

#[derive(Serialize, Deserialize)]
enum Response {
    Offset(u64),
    Refused(String),
}

/// The client port, bus port and bus listen address of this node, from the configuration.
fn addresses(srv: &Shared) -> (String, u16, u16, SocketAddr) {
    let c = srv.config.read();
    let port = srv.port.load(Relaxed) as u16;
    let cport = if c.cluster_port != 0 {
        c.cluster_port
    } else {
        // 0 when port + 10000 does not fit: `start` refuses that (Redis's clusterInit too).
        port.checked_add(10000).unwrap_or(0)
    };
    let bind_ip = c
        .bind
        .iter()
        .filter_map(|b| b.trim_start_matches('-').parse::<IpAddr>().ok())
        .next()
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    let announce_port = if c.cluster_announce_port != 0 {
        c.cluster_announce_port
    } else {
        port
    };
    let announce_cport = if c.cluster_announce_bus_port != 0 {
        c.cluster_announce_bus_port
    } else {
        cport
    };
    (
        c.cluster_announce_ip.clone(),
        announce_port,
        announce_cport,
        SocketAddr::new(bind_ip, cport),
    )
}

/// Starts cluster mode on a node with `cluster-enabled yes`: the consensus layer (loading
/// `cluster-config-file` or starting a new one-node cluster), then the follower and tick tasks.
/// Errors: the bus cannot bind, or the config file cannot be read or written.
pub async fn start(srv: &Arc<Shared>) -> Result<(), String> {
    let (ip, port, cport, bus_bind) = addresses(srv);
    if bus_bind.port() == 0 {
        return Err(
            "Redis port number too high. Cluster communication port is 10,000 port \
                    numbers higher than your Redis port. Your Redis port number must be 55535 \
                    or less (or set cluster-port)."
                .into(),
        );
    }
    let (dir, file, timeout) = {
        let c = srv.config.read();
        (
            c.dir.clone(),
            c.cluster_config_file.clone(),
            c.cluster_node_timeout,
        )
    };
    let config_file = std::path::Path::new(&dir).join(file);
    let me = Node::new(crate::server::random_hex(40), ip, port, cport);
    let cfg = ConsensusConfig {
        me,
        bus_bind,
        config_file,
        node_timeout_ms: timeout,
    };
    let c = Consensus::start(cfg)
        .await
        .map_err(|e| format!("cluster bus on {bus_bind}: {e}"))?;
    let weak = Arc::downgrade(srv);
    c.set_request_handler(Arc::new(move |req: Vec<u8>| {
        let srv = weak.upgrade();
        Box::pin(async move {
            let resp = match srv {
                Some(srv) => handle_request(&srv, &req).await,
                None => Response::Refused("shutting down".into()),
            };
            serde_json::to_vec(&resp).unwrap_or_default()
        })
    }));
    srv.cluster.set_consensus(c.clone());
    follow(srv, &c.topology(), &c.my_id());
    tokio::spawn(follow_task(srv.clone(), c.clone()));
    tokio::spawn(tick_task(srv.clone(), c));
    Ok(())
}

/// Rebuilds the slot map from each committed topology and follows this node's role in it.
async fn follow_task(srv: Arc<Shared>, c: Arc<Consensus>) {
    let mut rx = c.watch();
    loop {
        let topo = rx.borrow_and_update().clone();
        follow(&srv, &topo, &c.my_id());
        if rx.changed().await.is_err() || srv.shutting_down.load(Relaxed) {
            return;
        }
    }
}

/// Applies topology `topo` to this node (`me`): the slot map, and replication of its primary.
///
/// The order keeps a write from ever meeting `-READONLY` in a failover (Redis's replica answers
/// a write with `-MOVED`): a replica being promoted stops replicating *before* it routes the
/// slots to itself, and a primary being demoted routes its slots away *before* it starts
/// replicating. In between, writes are redirected, never refused.
fn follow(srv: &Arc<Shared>, topo: &Arc<Topology>, me: &str) {
    let Some(n) = topo.nodes.get(me) else {
        srv.cluster.set_topology(topo.clone(), me);
        return;
    };
    let link = &srv.replication.link;
    let primary = n.primary.as_ref().and_then(|p| topo.nodes.get(p));
    if primary.is_none() && link.is_replica() {
        tracing::info!("Cluster: this node is now a primary");
        crate::replication::replica::unset_master(srv);
    }
    srv.cluster.set_topology(topo.clone(), me);
    if let Some(p) = primary.filter(|p| !p.ip.is_empty()) {
        let want = (p.ip.clone(), p.port);
        if link.master.lock().as_ref() != Some(&want) {
            tracing::info!("Cluster: replicating {} at {}:{}", p.id, p.ip, p.port);
            crate::replication::replica::set_master(srv, want.0, want.1, true);
        }
        // A primary that became a replica by a manual failover resumes its clients.
        srv.cluster.writes_paused_until.store(0, Relaxed);
    }
}

/// Every 100 ms: report the replication offset, compute `cluster_state`, and (on the leader)
/// detect failures.
async fn tick_task(srv: Arc<Shared>, c: Arc<Consensus>) {
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Ticks in a row this node has been in the quorum's lease: a node coming back (restart,
    // healed partition) serves again only after a full tick in it, by which time the leader has
    // sent it the entries it missed (a primary replaced meanwhile learns it is a replica first).
    let mut in_quorum_ticks = 0u32;
    loop {
        tick.tick().await;
        if srv.shutting_down.load(Relaxed) {
            c.shutdown().await;
            return;
        }
        c.set_repl_offset(srv.keyspace.feed.end());
        let view = srv.cluster.view();
        let coverage =
            view.full_coverage || !srv.limits.cluster_require_full_coverage.load(Relaxed);
        in_quorum_ticks = if c.in_quorum() {
            in_quorum_ticks.saturating_add(1)
        } else {
            0
        };
        let ok = coverage && in_quorum_ticks >= 2 && view.topo.nodes.contains_key(&view.me);
        if srv.cluster.state_ok.swap(ok, Relaxed) != ok {
            tracing::warn!("Cluster state changed: {}", if ok { "ok" } else { "fail" });
        }
        if c.is_leader() {
            detect_failures(&srv, &c).await;
        }
    }
}

/// The leader's failure detector and automatic failover (see the module docs).
async fn detect_failures(srv: &Shared, c: &Consensus) {
    let timeout = Duration::from_millis(srv.limits.cluster_node_timeout.load(Relaxed));
    let topo = c.topology();
    let me = c.my_id();
    let peers = c.peers();
    let silent = |id: &str| {
        if id == me {
            return Duration::ZERO;
        }
        peers
            .get(id)
            .map_or(Duration::ZERO, |p| p.last_heard.elapsed())
    };
    for n in topo.nodes.values() {
        let s = silent(&n.id);
        let verdict = if !n.failed && s > timeout {
            Some(true)
        } else if n.failed && s < timeout / 2 {
            Some(false)
        } else {
            None
        };
        if let Some(failed) = verdict {
            tracing::warn!(
                "Cluster: node {} {}",
                n.id,
                if failed {
                    "failed"
                } else {
                    "is reachable again"
                }
            );
            let ch = Change::SetFailed {
                id: n.id.clone(),
                failed,
            };
            if let Err(e) = c.propose(ch).await {
                tracing::warn!("Cluster: could not record the state of {}: {e}", n.id);
            }
        }
    }
    let topo = c.topology();
    for p in topo.nodes.values() {
        if !(p.failed && p.is_primary() && !p.slots.is_empty()) {
            continue;
        }
        let best = topo
            .replicas_of(&p.id)
            .filter(|r| !r.failed && silent(&r.id) < timeout / 2)
            .max_by(|a, b| {
                let off = |id: &str| {
                    if id == me {
                        srv.keyspace.feed.end()
                    } else {
                        peers.get(id).map_or(0, |x| x.repl_offset)
                    }
                };
                off(&a.id).cmp(&off(&b.id)).then_with(|| b.id.cmp(&a.id))
            });
        let Some(r) = best else {
            continue;
        };
        tracing::warn!("Cluster: failing over {} to its replica {}", p.id, r.id);
        let ch = Change::Promote {
            replica: r.id.clone(),
        };
        if let Err(e) = c.propose(ch).await {
            tracing::warn!("Cluster: failover of {} failed: {e}", p.id);
        }
    }
}

/// Serves a bus request from another member.
async fn handle_request(srv: &Arc<Shared>, req: &[u8]) -> Response {
    match serde_json::from_slice::<Request>(req) {
        Ok(Request::ManualFailoverStart) => {
            let view = srv.cluster.view();
            let me_primary = view
                .topo
                .nodes
                .get(&view.me)
                .is_some_and(|n| n.is_primary());
            if !me_primary {
                return Response::Refused("not a primary".into());
            }
            let until = crate::clock::now_ms() + MF_TIMEOUT_MS;
            srv.cluster.writes_paused_until.store(until, Relaxed);
            // Every write that passed the pause check before it was set has finished (and been
            // fed) once each shard lock has been taken once.
            let s = srv.clone();
            let offset = tokio::task::spawn_blocking(move || {
                drop(s.keyspace.lock_all());
                s.keyspace.feed.end()
            })
            .await
            .unwrap_or(0);
            Response::Offset(offset)
        }
        Err(e) => Response::Refused(format!("bad request: {e}")),
    }
}

/// CLUSTER FAILOVER [FORCE|TAKEOVER] on a replica, after its `+OK` (Redis runs it in the
/// background too). Without `force`: the primary's writes pause, this replica catches up to
/// the primary's offset, then proposes its promotion; if the primary does not answer or the
/// replica does not catch up within 5 s, the failover is abandoned (logged), as in Redis.
pub async fn manual_failover(srv: Arc<Shared>, force: bool) {
    let Some(c) = srv.cluster.consensus().cloned() else {
        return;
    };
    let me = c.my_id();
    let topo = c.topology();
    let Some(primary) = topo.nodes.get(&me).and_then(|n| n.primary.clone()) else {
        return;
    };
    if !force {
        let req = serde_json::to_vec(&Request::ManualFailoverStart).unwrap_or_default();
        let timeout = Duration::from_millis(MF_TIMEOUT_MS);
        let offset = match c.request(&primary, req, timeout).await {
            Ok(bytes) => match serde_json::from_slice::<Response>(&bytes) {
                Ok(Response::Offset(o)) => o,
                Ok(Response::Refused(e)) => {
                    tracing::warn!("Manual failover refused by the primary: {e}");
                    return;
                }
                Err(e) => {
                    tracing::warn!("Manual failover: bad reply from the primary: {e}");
                    return;
                }
            },
            Err(e) => {
                tracing::warn!("Manual failover: the primary did not answer: {e}");
                return;
            }
        };
        let deadline = crate::clock::now_ms() + MF_TIMEOUT_MS;
        while srv.keyspace.feed.end() < offset {
            if crate::clock::now_ms() > deadline {
                tracing::warn!(
                    "Manual failover timed out: offset {} of {offset}",
                    srv.keyspace.feed.end()
                );
                return;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        tracing::info!("Manual failover: replica reached the primary's offset {offset}");
    }
    match c.propose(Change::Promote { replica: me }).await {
        Ok(_) => tracing::warn!("Manual failover: this node is now the primary"),
        Err(e) => tracing::warn!("Manual failover failed: {e}"),
    }
}

/// Runs the client's pending [`Op`] and writes its reply to `out`.
pub async fn run_op(srv: &Arc<Shared>, client: &mut Client, out: &mut Reply) {
    let Some(op) = client.cluster_op.take() else {
        return;
    };
    let Some(c) = srv.cluster.consensus().cloned() else {
        out.error("ERR This instance has cluster support disabled");
        return;
    };
    let resets = matches!(op, Op::Reset { .. });
    let res = match op {
        Op::Propose(ch) => c.propose(ch).await,
        Op::Meet { ip, port, cport } => c.meet(&ip, port, cport).await.map(|_| Applied::Done),
        Op::Forget(id) => c.forget(&id).await.map(|_| Applied::Done),
        Op::Reset { hard } => reset(srv, &c, hard).await.map(|_| Applied::Done),
    };
    if res.is_ok() && !resets {
        routed_by_applied(srv, &c).await;
    }
    match res {
        Ok(Applied::Done) => out.ok(),
        Ok(Applied::Epoch { bumped, epoch }) => {
            let word = if bumped { "BUMPED" } else { "STILL" };
            out.simple(&format!("{word} {epoch}"));
        }
        Err(e) => {
            srv.stats.error_replies.fetch_add(1, Relaxed);
            out.error(&e);
        }
    }
}

/// Waits until this node routes by the topology its consensus layer has applied (at most
/// 1 s), so that a CLUSTER command's reply comes after its change is in the slot map: `propose`
/// returns once the entry is applied, and `follow_task` installs it a task switch later. Without
/// this, `SETSLOT NODE` could answer OK before the new owner routes the slot to itself.
async fn routed_by_applied(srv: &Shared, c: &Consensus) {
    let deadline = std::time::Instant::now() + Duration::from_secs(1);
    let mut turns = 0u32;
    while !Arc::ptr_eq(&srv.cluster.view().topo, &c.topology())
        && std::time::Instant::now() < deadline
    {
        turns += 1;
        if turns <= 8 {
            tokio::task::yield_now().await;
        } else {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

/// CLUSTER RESET: this node leaves its cluster and starts again alone, without slots, as a
/// primary (a replica stops replicating and empties its data, as Redis's `clusterReset`).
/// HARD also takes a new node id and sets the epochs to 0.
async fn reset(srv: &Arc<Shared>, c: &Consensus, hard: bool) -> Result<(), String> {
    let topo = c.topology();
    let me = c.my_id();
    let old = topo.nodes.get(&me);
    if srv.replication.link.is_replica() {
        crate::replication::replica::unset_master(srv);
        let s = srv.clone();
        tokio::task::spawn_blocking(move || {
            let mut ks = s.keyspace.lock_all_view(0, crate::clock::now_ms());
            drop(ks.flush_all());
        })
        .await
        .map_err(|e| format!("ERR {e}"))?;
    }
    let (ip, port, cport, _) = addresses(srv);
    let id = if hard {
        crate::server::random_hex(40)
    } else {
        me.clone()
    };
    let mut n = Node::new(id, ip, port, cport);
    if let Some(o) = old {
        if n.ip.is_empty() {
            n.ip = o.ip.clone();
        }
        if !hard {
            n.config_epoch = o.config_epoch;
        }
    }
    c.reset(n).await
}
