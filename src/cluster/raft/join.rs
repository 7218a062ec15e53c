//! Membership: MEET (joining a group, or asking a lone node to join ours), the leader's side
//! of a join (AddNode, learner, voter; one at a time), FORGET and RESET. See the docs of
//! `cluster::raft` for the protocol.

use super::network::{Req, Resp};
use super::store::Persisted;
use super::{node_addr, raft_id, Inner, CLUSTERDOWN, MEET_TIMEOUT};
use crate::cluster::topology::{Change, Node};
use openraft::{BasicNode, ChangeMembers};
use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

impl Inner {
    pub(super) async fn meet(
        self: &Arc<Self>,
        ip: String,
        port: u16,
        cport: u16,
    ) -> Result<(), String> {
        let deadline = Instant::now() + MEET_TIMEOUT;
        let ipa: IpAddr = ip
            .parse()
            .map_err(|_| format!("ERR Invalid node address specified: {ip}:{port}"))?;
        let addr = SocketAddr::new(ipa, cport);
        let unreachable = |e: String| format!("ERR cannot reach {ip}:{cport}: {e}");
        let info = self
            .call(addr, Req::Info, true, Duration::from_secs(3))
            .await
            .map_err(unreachable)?;
        let Resp::Info {
            id,
            group,
            members,
            your_ip,
        } = info
        else {
            return Err(unreachable(format!("unexpected answer {info:?}")));
        };
        if id == self.me() {
            return Ok(());
        }
        let topo = self.topology();
        if group == self.bus.group() {
            if let Some(n) = topo.nodes.get(&id) {
                if (n.ip.as_str(), n.port, n.cport) != (ip.as_str(), port, cport) {
                    let ch = Change::SetAddr {
                        id: id.clone(),
                        ip: ip.clone(),
                        port,
                        cport,
                    };
                    self.propose(ch).await?;
                }
            }
            return self
                .wait_topo(deadline, |t| t.nodes.contains_key(&id))
                .await
                .map_err(|_| format!("ERR node {id} did not join in time"));
        }
        if topo.nodes.len() <= 1 {
            return self.join(addr, group, your_ip, deadline).await;
        }
        if members <= 1 {
            let me = topo.nodes.get(&self.me()).cloned().ok_or(CLUSTERDOWN)?;
            let left = deadline.saturating_duration_since(Instant::now());
            let req = Req::MeetMe {
                ip: me.ip.clone(),
                port: me.port,
                cport: me.cport,
            };
            match self
                .call(addr, req, true, left)
                .await
                .map_err(unreachable)?
            {
                Resp::Done(Ok(_)) => {}
                Resp::Done(Err(e)) | Resp::Refused(e) => return Err(e),
                other => return Err(format!("ERR unexpected answer {other:?}")),
            }
            return self
                .wait_topo(deadline, |t| t.nodes.contains_key(&id))
                .await
                .map_err(|_| format!("ERR node {id} did not join in time"));
        }
        Err(format!(
            "ERR cannot merge two clusters: {ip}:{port} belongs to another cluster of {members} nodes"
        ))
    }

    /// This node (alone) joins group `group` through `addr`.
    pub(super) async fn join(
        self: &Arc<Self>,
        addr: SocketAddr,
        group: u64,
        your_ip: String,
        deadline: Instant,
    ) -> Result<(), String> {
        let _g = self.switch.lock().await;
        let topo = self.topology();
        let me = self.me();
        if topo.nodes.len() > 1 {
            return Err("ERR this node joined another cluster meanwhile".into());
        }
        let old = topo.nodes.get(&me).cloned().ok_or(CLUSTERDOWN)?;
        let old_group = self.bus.group();
        let mut node = old.clone();
        if node.ip.is_empty() {
            node.ip = your_ip;
        }
        node.failed = false;
        self.stop_current().await;
        let st = Persisted {
            node_id: me.clone(),
            group,
            ..Default::default()
        };
        let res = match self.launch(st).await {
            Ok(_) => {
                let left = deadline.saturating_duration_since(Instant::now());
                let req = Req::Join {
                    node,
                    raft_id: raft_id(&me),
                    group,
                };
                match self.call(addr, req, true, left).await {
                    Ok(Resp::Done(Ok(_))) => Ok(()),
                    Ok(Resp::Done(Err(e))) | Ok(Resp::Refused(e)) => Err(e),
                    Ok(other) => Err(format!("ERR unexpected answer {other:?}")),
                    Err(e) => Err(format!("ERR join failed: {e}")),
                }
            }
            Err(e) => Err(e),
        };
        let res = match res {
            Ok(()) => self
                .wait_topo(deadline, |t| t.nodes.len() > 1 && t.nodes.contains_key(&me))
                .await
                .map_err(|_| "ERR joined but the topology did not arrive in time".to_string()),
            Err(e) => Err(e),
        };
        if let Err(e) = &res {
            tracing::warn!("Cluster: join failed ({e}); starting again alone");
            self.stop_current().await;
            if let Err(e2) = self.init_alone(old, old_group).await {
                tracing::warn!("Cluster: cannot start again alone: {e2}");
            }
        }
        res
    }

    /// Leader side of a join: AddNode, then learner, then voter.
    pub(super) async fn admit(
        self: &Arc<Self>,
        node: Node,
        rid: u64,
        deadline: Instant,
    ) -> Result<u64, String> {
        let _g = self.members.lock().await;
        let (outcome, index) = self
            .propose_at(Change::AddNode(node.clone()), deadline)
            .await?;
        outcome?;
        let cur = self.current().ok_or(CLUSTERDOWN)?;
        let addr = node_addr(&node).map(|a| a.to_string()).unwrap_or_default();
        let left = deadline.saturating_duration_since(Instant::now());
        let fut = cur.raft.add_learner(rid, BasicNode { addr }, true);
        match tokio::time::timeout(left, fut).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(format!("ERR cannot add {}: {e}", node.id)),
            Err(_) => return Err(format!("ERR timed out adding {}", node.id)),
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let fut = cur
            .raft
            .change_membership(ChangeMembers::AddVoterIds(BTreeSet::from([rid])), false);
        match tokio::time::timeout(left, fut).await {
            Ok(Ok(_)) => Ok(index),
            Ok(Err(e)) => Err(format!("ERR cannot add {} as a voter: {e}", node.id)),
            Err(_) => Err(format!("ERR timed out adding {} as a voter", node.id)),
        }
    }

    pub(super) async fn forget(self: &Arc<Self>, id: String) -> Result<(), String> {
        let topo = self.topology();
        if topo.forgotten.contains_key(&id) && !topo.nodes.contains_key(&id) {
            return Ok(());
        }
        let deadline = self.deadline();
        let index = match self.on_leader(&Req::Forget(id.clone()), deadline).await? {
            None => self.forget_here(id, deadline).await?,
            Some(Resp::Done(r)) => r?,
            Some(other) => return Err(format!("ERR unexpected answer {other:?}")),
        };
        self.wait_applied(index, deadline).await;
        Ok(())
    }

    /// Leader side of FORGET: RemoveNode, then out of raft membership.
    pub(super) async fn forget_here(
        self: &Arc<Self>,
        id: String,
        deadline: Instant,
    ) -> Result<u64, String> {
        let _g = self.members.lock().await;
        let topo = self.topology();
        let mut index = 0;
        if !topo.forgotten.contains_key(&id) || topo.nodes.contains_key(&id) {
            let (outcome, i) = self
                .propose_at(Change::RemoveNode { id: id.clone() }, deadline)
                .await?;
            outcome?;
            index = i;
        }
        let cur = self.current().ok_or(CLUSTERDOWN)?;
        let rid = raft_id(&id);
        let m = cur.raft.metrics().borrow().membership_config.clone();
        let is_voter = m.membership().voter_ids().any(|v| v == rid);
        let is_node = m.membership().get_node(&rid).is_some();
        let change = if is_voter {
            Some(ChangeMembers::RemoveVoters(BTreeSet::from([rid])))
        } else if is_node {
            Some(ChangeMembers::RemoveNodes(BTreeSet::from([rid])))
        } else {
            None
        };
        if let Some(ch) = change {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, cur.raft.change_membership(ch, false)).await {
                Ok(Ok(r)) => index = index.max(r.log_id.index),
                Ok(Err(e)) => return Err(format!("ERR cannot remove {id}: {e}")),
                Err(_) => return Err(CLUSTERDOWN.into()),
            }
        }
        Ok(index)
    }

    pub(super) async fn reset(self: &Arc<Self>, me: Node) -> Result<(), String> {
        let _g = self.switch.lock().await;
        self.stop_current().await;
        let id = me.id.clone();
        self.init_alone(me, rand::random::<u64>()).await?;
        self.wait_topo(self.deadline(), |t| {
            t.nodes.len() == 1 && t.nodes.contains_key(&id)
        })
        .await
        .map_err(|_| CLUSTERDOWN.to_string())
    }
}
