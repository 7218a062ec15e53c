//! The consensus layer's bus messages ([`Req`], [`Resp`]) and openraft's network over the bus.
//!
//! Raft RPCs go to the target's `ip:cport` from the committed topology, or the address in its
//! raft membership entry while the topology does not know it yet (a joining node). Transport
//! failures are `Unreachable` (openraft backs off) or `Network` errors; the remote raft's own
//! errors come back as `RemoteError`.

use super::{Inner, TypeConfig};
use crate::cluster::topology::{Change, Node, Outcome};
use openraft::error::{
    InstallSnapshotError, NetworkError, RPCError, RaftError, RemoteError, Unreachable,
};
use openraft::network::{Backoff, RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use openraft::{AnyError, BasicNode};
use serde::{Deserialize, Serialize};
use std::sync::Weak;
use std::time::Duration;

/// Requests between nodes. On-wire format: only append variants.
#[derive(Serialize, Deserialize, Debug)]
pub enum Req {
    Append(AppendEntriesRequest<TypeConfig>),
    Vote(VoteRequest<u64>),
    Snapshot(InstallSnapshotRequest<TypeConfig>),
    /// Who are you (any group): answered with [`Resp::Info`].
    Info,
    /// A node asks to join the receiver's group `group` (any group).
    Join {
        node: Node,
        raft_id: u64,
        group: u64,
    },
    /// The sender (in a multi-node group) asks the receiver (alone) to meet it and join its
    /// group; `ip` "" means the address the request came from.
    MeetMe {
        ip: String,
        port: u16,
        cport: u16,
    },
    /// Commit a change through the leader.
    Propose(Change),
    /// Remove a node (CLUSTER FORGET) through the leader.
    Forget(String),
    /// An application request (`Consensus::request`).
    App(Vec<u8>),
}

/// Answers to [`Req`].
#[derive(Serialize, Deserialize, Debug)]
pub enum Resp {
    Append(Result<AppendEntriesResponse<u64>, RaftError<u64>>),
    Vote(Result<VoteResponse<u64>, RaftError<u64>>),
    Snapshot(Result<InstallSnapshotResponse<u64>, RaftError<u64, InstallSnapshotError>>),
    Info {
        id: String,
        group: u64,
        /// Members in the receiver's topology.
        members: usize,
        /// The address the request came from, as the receiver saw it.
        your_ip: String,
    },
    /// Join, MeetMe, Forget: Ok(log index to wait for) or the error reply.
    Done(Result<u64, String>),
    /// Propose: the outcome and its log index, or the error reply.
    Proposed(Result<(Outcome, u64), String>),
    App(Vec<u8>),
    /// The receiver cannot serve the request now (no raft running, bad request).
    Refused(String),
}

/// Creates a [`Conn`] per target.
pub struct Net {
    pub inner: Weak<Inner>,
    /// Backoff after an unreachable target, ms.
    pub backoff_ms: u64,
}

/// The bus as one target's raft network.
pub struct Conn {
    inner: Weak<Inner>,
    target: u64,
    fallback: String,
    backoff_ms: u64,
}

impl RaftNetworkFactory<TypeConfig> for Net {
    type Network = Conn;

    async fn new_client(&mut self, target: u64, node: &BasicNode) -> Conn {
        Conn {
            inner: self.inner.clone(),
            target,
            fallback: node.addr.clone(),
            backoff_ms: self.backoff_ms,
        }
    }
}

type RpcErr<E = openraft::error::Infallible> = RPCError<u64, BasicNode, RaftError<u64, E>>;

fn unreachable<E: std::error::Error>(msg: String) -> RPCError<u64, BasicNode, E> {
    RPCError::Unreachable(Unreachable::new(&AnyError::error(msg)))
}

fn network<E: std::error::Error>(msg: String) -> RPCError<u64, BasicNode, E> {
    RPCError::Network(NetworkError::new(&AnyError::error(msg)))
}

impl Conn {
    /// Sends `req`; Err(unreachable) when there is no route or the connection fails.
    async fn rpc<E: std::error::Error>(
        &self,
        req: Req,
        ttl: Duration,
    ) -> Result<Resp, RPCError<u64, BasicNode, E>> {
        let Some(inner) = self.inner.upgrade() else {
            return Err(unreachable("shut down".into()));
        };
        let Some(addr) = inner.addr_of_raft(self.target, &self.fallback) else {
            return Err(unreachable(format!("no address for {}", self.target)));
        };
        let body = serde_json::to_value(&req).map_err(|e| network(e.to_string()))?;
        match inner.bus.call(addr, body, false, ttl).await {
            Ok(v) => serde_json::from_value(v).map_err(|e| network(e.to_string())),
            Err(e) if e.contains("timeout") => Err(network(e)),
            Err(e) => Err(unreachable(e)),
        }
    }
}

impl RaftNetwork<TypeConfig> for Conn {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<AppendEntriesResponse<u64>, RpcErr> {
        match self.rpc(Req::Append(rpc), option.hard_ttl()).await? {
            Resp::Append(Ok(r)) => {
                if !matches!(r, AppendEntriesResponse::HigherVote(_)) {
                    if let Some(i) = self.inner.upgrade() {
                        i.acked
                            .lock()
                            .insert(self.target, std::time::Instant::now());
                    }
                }
                Ok(r)
            }
            Resp::Append(Err(e)) => Err(RPCError::RemoteError(RemoteError::new(self.target, e))),
            other => Err(network(format!("unexpected answer {other:?}"))),
        }
    }

    async fn install_snapshot(
        &mut self,
        rpc: InstallSnapshotRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<InstallSnapshotResponse<u64>, RpcErr<InstallSnapshotError>> {
        match self.rpc(Req::Snapshot(rpc), option.hard_ttl()).await? {
            Resp::Snapshot(Ok(r)) => Ok(r),
            Resp::Snapshot(Err(e)) => Err(RPCError::RemoteError(RemoteError::new(self.target, e))),
            other => Err(network(format!("unexpected answer {other:?}"))),
        }
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<u64>,
        option: RPCOption,
    ) -> Result<VoteResponse<u64>, RpcErr> {
        match self.rpc(Req::Vote(rpc), option.hard_ttl()).await? {
            Resp::Vote(Ok(r)) => Ok(r),
            Resp::Vote(Err(e)) => Err(RPCError::RemoteError(RemoteError::new(self.target, e))),
            other => Err(network(format!("unexpected answer {other:?}"))),
        }
    }

    fn backoff(&self) -> Backoff {
        Backoff::new(std::iter::repeat(Duration::from_millis(self.backoff_ms)))
    }
}
