//! Cluster mode: slots, the topology agreed through consensus, the cluster bus.
//!
//! - [`topology`]: the replicated state (members, slot owners, epochs, migration states) and the
//!   changes the CLUSTER commands propose.
//! - [`raft`]: the consensus layer (openraft) that commits those changes, over the bus.
//! - [`local`]: `shoal-server --local-cluster`, a whole cluster on one machine.
//! - [`node`]: this node in the cluster: start-up, following the topology (its role, its
//!   primary), the failure detector and failovers.
//! - [`Cluster`] (here): what the command path reads: the slot map of the committed topology
//!   and the routing check of every keyed command ([`Cluster::route`]), Redis's
//!   `getNodeByQuery` (cluster spec, "Redirection and resharding").

pub mod bus;
pub mod local;
pub mod node;
pub mod raft;
pub mod topology;

use crate::commands::table::{flag, Command};
use crate::commands::{Args, CmdError};
use crate::keyspace::slot::key_slot;
use parking_lot::RwLock;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use topology::{Topology, SLOTS};

/// No node (slot unassigned, no migration).
const NONE: u16 = u16::MAX;

/// The committed topology as the command path needs it: slot -> node lookups in O(1).
pub struct View {
    pub topo: Arc<Topology>,
    /// This node's id ("" before the cluster started).
    pub me: String,
    /// `ip:port` of each node, by index (the owner tables index it).
    addrs: Vec<String>,
    /// Per slot: index of its owner, of the node this node migrates it to, of the node it
    /// imports it from.
    owner: Box<[u16]>,
    migrating: Box<[u16]>,
    importing: Box<[u16]>,
    my_idx: u16,
    /// Index of this node's primary when it is a replica.
    my_primary: u16,
    /// Every slot has an owner.
    pub full_coverage: bool,
    /// This node's open slots (CLUSTER SETSLOT MIGRATING / IMPORTING), as in [`OpenSlots`].
    pub open: OpenSlots,
}

/// The slots this node migrates (slot -> target node id) or imports (slot -> source node id).
/// As in Redis these are the node's own state, set by CLUSTER SETSLOT and not agreed through
/// the log: only the final `SETSLOT NODE` changes the topology. A committed topology clears
/// what it settles: migrating entries of slots this node no longer serves, importing entries
/// of slots it now serves, entries naming nodes that left.
///
/// A migration that the topology completes leaves a hand-off in `handed_off` (slot -> (target
/// node id, until when)) for [`HANDOFF_GRACE`]. See [`Cluster::route_slot`]: meanwhile this node
/// answers `-ASK` to the target where it would answer `-MOVED`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpenSlots {
    pub migrating: BTreeMap<u16, String>,
    pub importing: BTreeMap<u16, String>,
    pub handed_off: BTreeMap<u16, (String, Instant)>,
}

/// How long a node that migrated a slot away keeps answering `-ASK` to the slot's new owner
/// instead of `-MOVED` (1 s), once its own topology says the slot moved.
///
/// Each node applies the committed `SETSLOT NODE` when the log reaches it, so the source can
/// apply it before the target does. In Redis the target is told first and the others learn it
/// from the target. Here, in between, the source would answer `-MOVED <target>` and the target,
/// still importing and not yet the owner, `-MOVED <source>`. A client then bounces between them
/// until the target catches up, and the `redis` crate gives up after 16 redirections. An
/// `-ASK` is served by the target in either state (importing with ASKING, or as the owner).
/// One second covers a target that is slow to apply on a loaded machine. It costs a client
/// that still routes the slot to the source one more hop per command for that second.
pub const HANDOFF_GRACE: Duration = Duration::from_secs(1);

impl OpenSlots {
    /// Drops what `topo` settled for node `me` (see the type's docs); migrations it completed
    /// become hand-offs until `now` + [`HANDOFF_GRACE`]. Hand-offs end early when the slot
    /// moves on (its owner is no longer the target).
    pub fn reconcile(&mut self, topo: &Topology, me: &str, now: Instant) {
        let owner = |s: u16| topo.owner(s).map(|o| o.id.as_str());
        for (s, to) in &self.migrating {
            if owner(*s) == Some(to.as_str()) {
                self.handed_off
                    .insert(*s, (to.clone(), now + HANDOFF_GRACE));
            }
        }
        self.migrating
            .retain(|s, to| owner(*s) == Some(me) && topo.nodes.contains_key(to));
        self.importing
            .retain(|s, from| owner(*s) != Some(me) && topo.nodes.contains_key(from));
        self.handed_off
            .retain(|s, (to, until)| *until > now && owner(*s) == Some(to.as_str()));
    }

    pub fn is_open(&self, slot: u16) -> bool {
        self.migrating.contains_key(&slot) || self.importing.contains_key(&slot)
    }
}

impl View {
    /// Builds the lookup tables of `topo` for node `me` with its open slots `open`.
    pub fn new(topo: Arc<Topology>, me: &str, open: OpenSlots) -> View {
        let ids: Vec<&String> = topo.nodes.keys().collect();
        let idx = |id: &str| {
            ids.iter()
                .position(|x| x.as_str() == id)
                .map_or(NONE, |i| i as u16)
        };
        let addrs = topo
            .nodes
            .values()
            .map(|n| format!("{}:{}", n.ip, n.port))
            .collect();
        let mut owner = vec![NONE; SLOTS].into_boxed_slice();
        let mut migrating = vec![NONE; SLOTS].into_boxed_slice();
        let mut importing = vec![NONE; SLOTS].into_boxed_slice();
        for (i, n) in topo.nodes.values().enumerate() {
            if n.is_primary() {
                for (a, b) in n.slots.ranges() {
                    for s in a..=b {
                        owner[s as usize] = i as u16;
                    }
                }
            }
        }
        let my_idx = idx(me);
        let mut my_primary = NONE;
        for (s, to) in &open.migrating {
            migrating[*s as usize] = idx(to);
        }
        for (s, from) in &open.importing {
            importing[*s as usize] = idx(from);
        }
        if let Some(n) = topo.nodes.get(me) {
            if let Some(p) = &n.primary {
                my_primary = idx(p);
            }
        }
        let full_coverage = owner.iter().all(|o| *o != NONE);
        View {
            topo,
            me: me.to_string(),
            addrs,
            owner,
            migrating,
            importing,
            my_idx,
            my_primary,
            full_coverage,
            open,
        }
    }

    /// `ip:port` of the owner of `slot`, if any.
    pub fn owner_addr(&self, slot: u16) -> Option<&str> {
        let o = self.owner[slot as usize];
        (o != NONE).then(|| self.addrs[o as usize].as_str())
    }

    /// Whether this node serves `slot` as its primary.
    pub fn serves(&self, slot: u16) -> bool {
        self.owner[slot as usize] == self.my_idx && self.my_idx != NONE
    }
}

/// Where a keyed command may run, decided before its keys are locked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Run it here.
    Local,
    /// Run it here unless a key is missing: this node migrates the slot to `to` (`ip:port`).
    /// All keys missing: `-ASK`; some: `-TRYAGAIN`.
    Migrating { slot: u16, to: String },
    /// Run it here (an ASKING client, importing the slot) if all keys exist, or if it has a
    /// single key; else `-TRYAGAIN`.
    Importing,
}

/// Cluster state of the node, read by the command path.
pub struct Cluster {
    /// `cluster-enabled`, fixed at start.
    pub enabled: bool,
    view: RwLock<Arc<View>>,
    /// The consensus layer, once started.
    consensus: OnceLock<Arc<raft::Consensus>>,
    /// `cluster_state:ok`: this node is in the quorum's lease and (with
    /// cluster-require-full-coverage) every slot has an owner. Refreshed by the node's tick.
    pub state_ok: AtomicBool,
    /// Unix ms until which write commands wait (a manual failover's pause on the primary).
    pub writes_paused_until: AtomicU64,
    /// CLUSTER INFO counters of bus messages are the consensus layer's; this counts the
    /// redirections sent (-MOVED and -ASK).
    pub redirections: AtomicU64,
}

impl Cluster {
    pub fn new(enabled: bool) -> Cluster {
        Cluster {
            enabled,
            view: RwLock::new(Arc::new(View::new(
                Arc::default(),
                "",
                OpenSlots::default(),
            ))),
            consensus: OnceLock::new(),
            state_ok: AtomicBool::new(false),
            writes_paused_until: AtomicU64::new(0),
            redirections: AtomicU64::new(0),
        }
    }

    /// The current view (an `Arc`: the topology may change while the caller holds it).
    pub fn view(&self) -> Arc<View> {
        self.view.read().clone()
    }

    /// Installs committed topology `topo` for node `me`, clearing the open slots it settles.
    pub(crate) fn set_topology(&self, topo: Arc<Topology>, me: &str) {
        self.set_topology_at(topo, me, Instant::now());
    }

    /// [`Cluster::set_topology`] as of `now` (hand-offs run until `now` + [`HANDOFF_GRACE`]).
    fn set_topology_at(&self, topo: Arc<Topology>, me: &str, now: Instant) {
        let mut v = self.view.write();
        let mut open = v.open.clone();
        open.reconcile(&topo, me, now);
        *v = Arc::new(View::new(topo, me, open));
    }

    /// Changes this node's open slots (CLUSTER SETSLOT MIGRATING / IMPORTING / STABLE).
    pub(crate) fn update_open_slots(&self, f: impl FnOnce(&mut OpenSlots)) {
        let mut v = self.view.write();
        let mut open = v.open.clone();
        f(&mut open);
        *v = Arc::new(View::new(v.topo.clone(), &v.me, open));
    }

    /// The consensus layer; `None` when cluster mode is off or not started yet.
    pub fn consensus(&self) -> Option<&Arc<raft::Consensus>> {
        self.consensus.get()
    }

    pub(crate) fn set_consensus(&self, c: Arc<raft::Consensus>) {
        let _ = self.consensus.set(c);
    }

    /// Redis's `getNodeByQuery` for command `cmd` with `args`, before its keys are locked:
    /// `Ok(Route)` where it may run here, or the redirection / refusal as the command's error:
    /// `-CROSSSLOT Keys in request don't hash to the same slot`, `-MOVED slot ip:port`,
    /// `-CLUSTERDOWN Hash slot not served`, `-CLUSTERDOWN The cluster is down` (and `... and only
    /// accepts read commands` with cluster-allow-reads-when-down). `asking` and `readonly` are
    /// the client's ASKING and READONLY flags; `slot` of a transaction's earlier commands is
    /// passed in `prev_slot` so EXEC spans one slot. Commands without keys never get here.
    pub fn route(
        &self,
        cmd: &Command,
        args: &Args<'_>,
        asking: bool,
        readonly: bool,
        allow_reads_when_down: bool,
    ) -> Result<(Route, Option<u16>), CmdError> {
        let mut slot: Option<u16> = None;
        for i in cmd.key_positions(args) {
            let s = key_slot(args.get(i)) as u16;
            match slot {
                None => slot = Some(s),
                Some(x) if x != s => return Err(CmdError::Other(CROSSSLOT.into())),
                _ => {}
            }
        }
        let Some(slot) = slot else {
            return Ok((Route::Local, None));
        };
        let write = cmd.flags & flag::WRITE != 0;
        Ok((
            self.route_slot(slot, write, asking, readonly, allow_reads_when_down)?,
            Some(slot),
        ))
    }

    /// The routing of a command on keys of `slot` (see [`Cluster::route`]).
    pub fn route_slot(
        &self,
        slot: u16,
        write: bool,
        asking: bool,
        readonly: bool,
        allow_reads_when_down: bool,
    ) -> Result<Route, CmdError> {
        let v = self.view.read();
        let owner = v.owner[slot as usize];
        if owner == NONE && v.importing[slot as usize] == NONE {
            return Err(CmdError::Other("CLUSTERDOWN Hash slot not served".into()));
        }
        if !self.state_ok.load(Relaxed) {
            if !allow_reads_when_down {
                return Err(CmdError::Other("CLUSTERDOWN The cluster is down".into()));
            }
            if write {
                return Err(CmdError::Other(
                    "CLUSTERDOWN The cluster is down and only accepts read commands".into(),
                ));
            }
        }
        if owner == v.my_idx {
            let to = v.migrating[slot as usize];
            if to != NONE {
                return Ok(Route::Migrating {
                    slot,
                    to: v.addrs[to as usize].clone(),
                });
            }
            return Ok(Route::Local);
        }
        if v.importing[slot as usize] != NONE && asking {
            return Ok(Route::Importing);
        }
        if readonly && !write && v.my_primary != NONE && v.my_primary == owner {
            return Ok(Route::Local);
        }
        if owner == NONE {
            return Err(CmdError::Other("CLUSTERDOWN Hash slot not served".into()));
        }
        self.redirections.fetch_add(1, Relaxed);
        // A slot this node just handed off (the owner is its target, see `HANDOFF_GRACE`).
        let kind = match v.open.handed_off.get(&slot) {
            Some((_, until)) if Instant::now() < *until => "ASK",
            _ => "MOVED",
        };
        Err(CmdError::Other(format!(
            "{kind} {slot} {}",
            v.addrs[owner as usize]
        )))
    }
}

/// Redis's CROSSSLOT error text.
pub const CROSSSLOT: &str = "CROSSSLOT Keys in request don't hash to the same slot";
/// Redis's TRYAGAIN error text.
pub const TRYAGAIN: &str = "TRYAGAIN Multiple keys request during rehashing of slot";

#[cfg(test)]
mod tests {
    use super::topology::{Change, Node};
    use super::*;

    fn view(me: u8) -> (Cluster, Vec<String>) {
        let mut t = Topology::default();
        let ids: Vec<String> = (0..3u8).map(|i| format!("{i:040x}")).collect();
        for (i, id) in ids.iter().enumerate() {
            let n = Node::new(id.clone(), "127.0.0.1".into(), 7000 + i as u16, 17000);
            t.apply(&Change::AddNode(n), 1).unwrap();
        }
        let add = |t: &mut Topology, i: usize, a, b| {
            t.apply(
                &Change::AddSlots {
                    node: ids[i].clone(),
                    slots: vec![(a, b)],
                },
                2,
            )
            .unwrap()
        };
        add(&mut t, 0, 0, 8191);
        add(&mut t, 1, 8192, 16383);
        t.apply(
            &Change::Replicate {
                node: ids[2].clone(),
                primary: ids[0].clone(),
            },
            3,
        )
        .unwrap();
        let c = Cluster::new(true);
        c.set_topology(Arc::new(t), &ids[me as usize]);
        c.state_ok.store(true, Relaxed);
        (c, ids)
    }

    #[test]
    fn slots_route_to_their_owner_or_redirect() {
        let (c, _) = view(0);
        assert_eq!(
            c.route_slot(5, true, false, false, false).unwrap(),
            Route::Local
        );
        let e = c.route_slot(9000, false, false, false, false).unwrap_err();
        assert_eq!(e.to_string(), "MOVED 9000 127.0.0.1:7001");
        c.state_ok.store(false, Relaxed);
        let e = c.route_slot(5, false, false, false, false).unwrap_err();
        assert_eq!(e.to_string(), "CLUSTERDOWN The cluster is down");
        let e = c.route_slot(5, true, false, false, true).unwrap_err();
        assert_eq!(
            e.to_string(),
            "CLUSTERDOWN The cluster is down and only accepts read commands"
        );
        assert_eq!(
            c.route_slot(5, false, false, false, true).unwrap(),
            Route::Local
        );
    }

    #[test]
    fn a_readonly_replica_serves_reads_of_its_primary_only() {
        let (c, _) = view(2);
        assert_eq!(
            c.route_slot(5, false, false, true, false).unwrap(),
            Route::Local
        );
        let e = c.route_slot(5, true, false, true, false).unwrap_err();
        assert_eq!(e.to_string(), "MOVED 5 127.0.0.1:7000");
        let e = c.route_slot(9000, false, false, true, false).unwrap_err();
        assert_eq!(e.to_string(), "MOVED 9000 127.0.0.1:7001");
    }

    #[test]
    fn open_slots_route_ask_and_importing_until_the_topology_settles_them() {
        let (c, ids) = view(0);
        c.update_open_slots(|o| {
            o.migrating.insert(5, ids[1].clone());
        });
        assert_eq!(
            c.route_slot(5, true, false, false, false).unwrap(),
            Route::Migrating {
                slot: 5,
                to: "127.0.0.1:7001".into()
            }
        );
        // Node 1 imports slot 5: only an ASKING client is served there.
        let (c1, _) = view(1);
        c1.update_open_slots(|o| {
            o.importing.insert(5, ids[0].clone());
        });
        assert_eq!(
            c1.route_slot(5, true, true, false, false).unwrap(),
            Route::Importing
        );
        let e = c1.route_slot(5, true, false, false, false).unwrap_err();
        assert_eq!(e.to_string(), "MOVED 5 127.0.0.1:7000");
        // SETSLOT 5 NODE <node 1> committed: both nodes drop their open state.
        let mut t = (*c.view().topo).clone();
        t.apply(
            &Change::SetSlot {
                node: ids[1].clone(),
                slot: 5,
                state: topology::SlotState::Node(ids[1].clone()),
            },
            9,
        )
        .unwrap();
        let t = Arc::new(t);
        // Installed as of a grace ago, so node 0's hand-off is already over.
        let past = Instant::now()
            .checked_sub(HANDOFF_GRACE)
            .expect("the clock is past one grace");
        c.set_topology_at(t.clone(), &ids[0], past);
        c1.set_topology(t, &ids[1]);
        assert!(c.view().open.migrating.is_empty() && c.view().open.importing.is_empty());
        assert_eq!(c1.view().open, OpenSlots::default());
        let e = c.route_slot(5, true, false, false, false).unwrap_err();
        assert_eq!(e.to_string(), "MOVED 5 127.0.0.1:7001");
        assert_eq!(
            c1.route_slot(5, true, false, false, false).unwrap(),
            Route::Local
        );
    }

    /// The source applies `SETSLOT NODE <target>` before the target does. Without the hand-off
    /// the two answer `MOVED` to each other, and a client bounces between them.
    #[test]
    fn a_source_ahead_of_its_target_answers_ask_not_moved() {
        let (src, ids) = view(0);
        let (dst, _) = view(1);
        src.update_open_slots(|o| {
            o.migrating.insert(5, ids[1].clone());
        });
        dst.update_open_slots(|o| {
            o.importing.insert(5, ids[0].clone());
        });
        let settle = |t: &Topology, owner: usize| {
            let mut t = t.clone();
            t.apply(
                &Change::SetSlot {
                    node: ids[owner].clone(),
                    slot: 5,
                    state: topology::SlotState::Node(ids[owner].clone()),
                },
                9,
            )
            .unwrap();
            Arc::new(t)
        };
        let moved = settle(&src.view().topo, 1);
        src.set_topology(moved.clone(), &ids[0]);
        // The target has not applied it: it still sends a client without ASKING to the
        // source, so the source must not send it back with MOVED.
        let e = dst.route_slot(5, true, false, false, false).unwrap_err();
        assert_eq!(e.to_string(), "MOVED 5 127.0.0.1:7000");
        let e = src.route_slot(5, true, false, false, false).unwrap_err();
        assert_eq!(e.to_string(), "ASK 5 127.0.0.1:7001");
        assert_eq!(
            dst.route_slot(5, true, true, false, false).unwrap(),
            Route::Importing
        );
        assert_eq!(src.view().open.handed_off.len(), 1);
        // Other slots of the new owner are still MOVED.
        let e = src.route_slot(9000, true, false, false, false).unwrap_err();
        assert_eq!(e.to_string(), "MOVED 9000 127.0.0.1:7001");
        // The target catches up and serves it as the owner, ASKING or not.
        dst.set_topology(moved.clone(), &ids[1]);
        assert_eq!(
            dst.route_slot(5, true, false, false, false).unwrap(),
            Route::Local
        );
        // The hand-off ends when the slot moves on (here, back to the source).
        src.set_topology(settle(&moved, 0), &ids[0]);
        assert!(src.view().open.handed_off.is_empty());
        assert_eq!(
            src.route_slot(5, true, false, false, false).unwrap(),
            Route::Local
        );
    }
}
