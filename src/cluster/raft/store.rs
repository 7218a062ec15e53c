//! Raft storage of the topology: log, vote, state machine and snapshot in memory, all written
//! to `cluster-config-file` as one JSON document ([`Persisted`]) on every change (tmp file +
//! rename, so a crash leaves the old or the new file, never half of one).
//!
//! The state machine is the [`Topology`]; applying an entry runs [`Topology::apply`] and
//! publishes the result on the consensus layer's watch channel. A store belongs to one run of
//! raft ("generation"): when the node switches groups (MEET, RESET) the old store is marked dead
//! and stops writing the file and publishing.

use super::TypeConfig;
use crate::cluster::topology::{Applied, Change, Outcome, Topology};
use openraft::storage::{LogState, RaftLogReader, RaftSnapshotBuilder, RaftStorage, Snapshot};
use openraft::{
    BasicNode, Entry, EntryPayload, LogId, SnapshotMeta, StorageError, StorageIOError,
    StoredMembership, Vote,
};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::io::Cursor;
use std::ops::RangeBounds;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;
use tokio::sync::watch;

type SErr = StorageError<u64>;

/// The last snapshot: its metadata and the topology it holds.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct StoredSnapshot {
    pub meta: SnapshotMeta<u64, BasicNode>,
    pub topology: Topology,
}

/// Everything in `cluster-config-file` (JSON). Field names are the file format: only append.
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct Persisted {
    /// This node's id (40 hex).
    pub node_id: String,
    /// The group (cluster) id this node belongs to.
    pub group: u64,
    pub vote: Option<Vote<u64>>,
    /// Log entries by index (not yet purged by a snapshot).
    pub log: BTreeMap<u64, Entry<TypeConfig>>,
    pub last_purged: Option<LogId<u64>>,
    /// State machine: the last applied entry, membership and topology.
    pub last_applied: Option<LogId<u64>>,
    pub membership: StoredMembership<u64, BasicNode>,
    pub topology: Topology,
    pub snapshot: Option<StoredSnapshot>,
}

impl Persisted {
    /// Reads `path`. Errors: unreadable, or not a config this version wrote (InvalidData).
    pub fn load(path: &std::path::Path) -> std::io::Result<Persisted> {
        let data = std::fs::read(path)?;
        serde_json::from_slice(&data).map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{}: {e}", path.display()),
            )
        })
    }
}

/// Serialises the writes of `cluster-config-file`s (see [`Store::write`]); they are small and
/// rare, so one lock for the process is enough.
static FILE_WRITE: parking_lot::Mutex<()> = parking_lot::Mutex::new(());

/// What a store shares with the consensus layer.
pub struct Ctx {
    /// `cluster-config-file`.
    pub file: PathBuf,
    /// False once this store's raft was replaced: it neither writes nor publishes.
    pub live: AtomicBool,
    /// This node's id in this generation.
    pub me: String,
    /// The topology the node serves.
    pub topo: Arc<watch::Sender<Arc<Topology>>>,
    /// Index of the last applied entry.
    pub applied: watch::Sender<u64>,
    /// A topology containing `me` was published: from then on every apply publishes.
    pub joined: AtomicBool,
}

/// The raft storage (v1 API, wrapped by `openraft::storage::Adaptor`). Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pub st: Arc<Mutex<Persisted>>,
    pub ctx: Arc<Ctx>,
}

impl Store {
    pub fn new(st: Persisted, ctx: Arc<Ctx>) -> Store {
        let idx = st.last_applied.map_or(0, |l| l.index);
        ctx.applied.send_replace(idx);
        let s = Store {
            st: Arc::new(Mutex::new(st)),
            ctx,
        };
        s.publish(&s.st.lock());
        s
    }

    /// Writes the file now (tmp + rename). Errors: the file cannot be written.
    pub fn save(&self) -> std::io::Result<()> {
        let st = self.st.lock();
        self.write(&st)
    }

    fn write(&self, st: &Persisted) -> std::io::Result<()> {
        let data = serde_json::to_vec(st).map_err(std::io::Error::other)?;
        // A replaced raft (CLUSTER RESET) may still be writing when its successor writes the
        // same file: the liveness check and the tmp + rename run under one lock, so the old
        // one either finishes first or sees that it is replaced, and the two never share the
        // tmp file (the loser's rename failed with "No such file or directory").
        let _one_writer = FILE_WRITE.lock();
        if !self.ctx.live.load(Relaxed) {
            return Ok(());
        }
        let tmp = self.ctx.file.with_extension("tmp-raft");
        std::fs::write(&tmp, &data)?;
        std::fs::rename(&tmp, &self.ctx.file)
    }

    #[allow(clippy::result_large_err)] // openraft's error type
    fn persist(&self, st: &Persisted) -> Result<(), SErr> {
        self.write(st).map_err(|e| {
            tracing::warn!("Cluster: cannot write {}: {e}", self.ctx.file.display());
            StorageIOError::write(&e).into()
        })
    }

    fn publish(&self, st: &Persisted) {
        if !self.ctx.live.load(Relaxed) {
            return;
        }
        if st.topology.nodes.contains_key(&self.ctx.me) {
            self.ctx.joined.store(true, Relaxed);
        }
        if self.ctx.joined.load(Relaxed) {
            self.ctx.topo.send_replace(Arc::new(st.topology.clone()));
        }
        self.ctx
            .applied
            .send_replace(st.last_applied.map_or(0, |l| l.index));
    }
}

impl RaftLogReader<TypeConfig> for Store {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + Send>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry<TypeConfig>>, SErr> {
        let st = self.st.lock();
        Ok(st.log.range(range).map(|(_, e)| e.clone()).collect())
    }
}

impl RaftSnapshotBuilder<TypeConfig> for Store {
    async fn build_snapshot(&mut self) -> Result<Snapshot<TypeConfig>, SErr> {
        let mut st = self.st.lock();
        let data =
            serde_json::to_vec(&st.topology).map_err(|e| StorageIOError::read_state_machine(&e))?;
        let idx = st.last_applied.map_or(0, |l| l.index);
        let meta = SnapshotMeta {
            last_log_id: st.last_applied,
            last_membership: st.membership.clone(),
            snapshot_id: format!("{idx}-{:x}", rand::random::<u32>()),
        };
        st.snapshot = Some(StoredSnapshot {
            meta: meta.clone(),
            topology: st.topology.clone(),
        });
        self.persist(&st)?;
        Ok(Snapshot {
            meta,
            snapshot: Box::new(Cursor::new(data)),
        })
    }
}

impl RaftStorage<TypeConfig> for Store {
    type LogReader = Store;
    type SnapshotBuilder = Store;

    async fn save_vote(&mut self, vote: &Vote<u64>) -> Result<(), SErr> {
        let mut st = self.st.lock();
        st.vote = Some(*vote);
        self.persist(&st)
    }

    async fn read_vote(&mut self) -> Result<Option<Vote<u64>>, SErr> {
        Ok(self.st.lock().vote)
    }

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, SErr> {
        let st = self.st.lock();
        let last = st.log.values().next_back().map(|e| e.log_id);
        Ok(LogState {
            last_purged_log_id: st.last_purged,
            last_log_id: last.or(st.last_purged),
        })
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }

    async fn append_to_log<I>(&mut self, entries: I) -> Result<(), SErr>
    where
        I: IntoIterator<Item = Entry<TypeConfig>> + Send,
    {
        let mut st = self.st.lock();
        for e in entries {
            st.log.insert(e.log_id.index, e);
        }
        self.persist(&st)
    }

    async fn delete_conflict_logs_since(&mut self, log_id: LogId<u64>) -> Result<(), SErr> {
        let mut st = self.st.lock();
        drop(st.log.split_off(&log_id.index));
        self.persist(&st)
    }

    async fn purge_logs_upto(&mut self, log_id: LogId<u64>) -> Result<(), SErr> {
        let mut st = self.st.lock();
        let keep = st.log.split_off(&(log_id.index + 1));
        st.log = keep;
        st.last_purged = Some(log_id);
        self.persist(&st)
    }

    async fn last_applied_state(
        &mut self,
    ) -> Result<(Option<LogId<u64>>, StoredMembership<u64, BasicNode>), SErr> {
        let st = self.st.lock();
        Ok((st.last_applied, st.membership.clone()))
    }

    async fn apply_to_state_machine(
        &mut self,
        entries: &[Entry<TypeConfig>],
    ) -> Result<Vec<Outcome>, SErr> {
        let mut st = self.st.lock();
        let mut out = Vec::with_capacity(entries.len());
        for e in entries {
            st.last_applied = Some(e.log_id);
            out.push(match &e.payload {
                EntryPayload::Blank => Ok(Applied::Done),
                EntryPayload::Normal(ch) => apply(&mut st.topology, ch, e.log_id.index),
                EntryPayload::Membership(m) => {
                    st.membership = StoredMembership::new(Some(e.log_id), m.clone());
                    Ok(Applied::Done)
                }
            });
        }
        self.persist(&st)?;
        self.publish(&st);
        Ok(out)
    }

    async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
        self.clone()
    }

    async fn begin_receiving_snapshot(&mut self) -> Result<Box<Cursor<Vec<u8>>>, SErr> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta<u64, BasicNode>,
        snapshot: Box<Cursor<Vec<u8>>>,
    ) -> Result<(), SErr> {
        let topology: Topology = serde_json::from_slice(snapshot.get_ref())
            .map_err(|e| StorageIOError::read_snapshot(Some(meta.signature()), &e))?;
        let mut st = self.st.lock();
        st.topology = topology.clone();
        st.last_applied = meta.last_log_id;
        st.membership = meta.last_membership.clone();
        st.snapshot = Some(StoredSnapshot {
            meta: meta.clone(),
            topology,
        });
        self.persist(&st)?;
        self.publish(&st);
        Ok(())
    }

    async fn get_current_snapshot(&mut self) -> Result<Option<Snapshot<TypeConfig>>, SErr> {
        let st = self.st.lock();
        let Some(s) = &st.snapshot else {
            return Ok(None);
        };
        let data =
            serde_json::to_vec(&s.topology).map_err(|e| StorageIOError::read_state_machine(&e))?;
        Ok(Some(Snapshot {
            meta: s.meta.clone(),
            snapshot: Box::new(Cursor::new(data)),
        }))
    }
}

/// Applies one change; a topology error is the proposer's reply, never a log failure.
fn apply(t: &mut Topology, ch: &Change, index: u64) -> Outcome {
    t.apply(ch, index)
}
