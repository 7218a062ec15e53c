//! The cluster topology: the replicated state machine behind the CLUSTER commands.
//!
//! [`Topology`] holds what every node must agree on: the members (id, addresses, role, config
//! epoch), the owner of each of the 16384 slots, and each node's migration states. It changes
//! only by [`Change`]s committed through the consensus log (`cluster::raft`), applied in log
//! order by [`Topology::apply`] on every node, so all nodes hold the same topology at the same
//! log index. Apply is deterministic and never fails the log: a change that no longer makes sense
//! when it is applied (a slot taken meanwhile, a node forgotten) is refused with an error string
//! that the proposer turns into the command's reply.
//!
//! Terms follow the cluster spec (<https://redis.io/docs/reference/cluster-spec/>): node, primary,
//! replica, slot, config epoch, current epoch, MIGRATING/IMPORTING.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Number of hash slots.
pub const SLOTS: usize = 16384;

/// A set of slots, as a bitmap; serialized as inclusive ranges.
#[derive(Clone, PartialEq, Eq)]
pub struct SlotSet(Box<[u64; SLOTS / 64]>);

impl Default for SlotSet {
    fn default() -> Self {
        SlotSet(Box::new([0; SLOTS / 64]))
    }
}

impl SlotSet {
    pub fn contains(&self, slot: u16) -> bool {
        let s = slot as usize;
        s < SLOTS && self.0[s / 64] & (1 << (s % 64)) != 0
    }
    pub fn insert(&mut self, slot: u16) {
        let s = slot as usize;
        self.0[s / 64] |= 1 << (s % 64);
    }
    pub fn remove(&mut self, slot: u16) {
        let s = slot as usize;
        self.0[s / 64] &= !(1 << (s % 64));
    }
    pub fn clear(&mut self) {
        self.0.fill(0);
    }
    pub fn len(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }
    /// The slots as sorted inclusive ranges `(first, last)`. Walks the bitmap a word at a
    /// time (it runs at every serialization of the topology, so for each log entry).
    pub fn ranges(&self) -> Vec<(u16, u16)> {
        let mut out = Vec::new();
        let mut start: Option<usize> = None;
        for (w, &word) in self.0.iter().enumerate() {
            if (word == 0 && start.is_none()) || (word == u64::MAX && start.is_some()) {
                continue;
            }
            let base = w * 64;
            let mut bit = 0;
            while bit < 64 {
                let rest = word >> bit;
                match start {
                    None => {
                        if rest == 0 {
                            break;
                        }
                        bit += rest.trailing_zeros() as usize;
                        start = Some(base + bit);
                    }
                    Some(a) => {
                        // Ones from `bit` up; the zeros shifted in on top bound the count.
                        bit += (!rest).trailing_zeros() as usize;
                        if bit >= 64 {
                            break; // the run goes on into the next word
                        }
                        out.push((a as u16, (base + bit - 1) as u16));
                        start = None;
                    }
                }
            }
        }
        if let Some(a) = start {
            out.push((a as u16, SLOTS as u16 - 1));
        }
        out
    }
    pub fn from_ranges(ranges: &[(u16, u16)]) -> SlotSet {
        let mut s = SlotSet::default();
        for &(a, b) in ranges {
            for x in a..=b.min(SLOTS as u16 - 1) {
                s.insert(x);
            }
        }
        s
    }
}

impl std::fmt::Debug for SlotSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.ranges())
    }
}

impl Serialize for SlotSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.ranges().serialize(s)
    }
}

impl<'de> Deserialize<'de> for SlotSet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let r: Vec<(u16, u16)> = Vec::deserialize(d)?;
        Ok(SlotSet::from_ranges(&r))
    }
}

/// One member of the cluster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    /// The node id: 40 lowercase hex characters, fixed for the node's life (CLUSTER MYID).
    pub id: String,
    /// The id of its shard (CLUSTER MYSHARDID): 40 hex; a replica takes its primary's.
    pub shard_id: String,
    /// Address clients use (`cluster-announce-ip` or the address it was met at).
    pub ip: String,
    /// Client port (`cluster-announce-port` or `port`).
    pub port: u16,
    /// Cluster bus port (`cluster-announce-bus-port` or `cluster-port`, default port + 10000).
    pub cport: u16,
    /// `None` for a primary; the primary's id for a replica.
    pub primary: Option<String>,
    /// The config epoch of this node's slot claims (cluster spec, "Configuration epoch").
    pub config_epoch: u64,
    /// The slots this node serves (always empty for a replica).
    pub slots: SlotSet,
    /// Slots this node is migrating, and the id of the node each goes to (`[slot->-id]`).
    pub migrating: BTreeMap<u16, String>,
    /// Slots this node is importing, and the id of the node each comes from (`[slot-<-id]`).
    pub importing: BTreeMap<u16, String>,
    /// The failure detector of the consensus leader found the node unreachable for longer than
    /// `cluster-node-timeout` (flag `fail` in CLUSTER NODES).
    pub failed: bool,
}

impl Node {
    /// A fresh primary with no slots.
    pub fn new(id: String, ip: String, port: u16, cport: u16) -> Node {
        Node {
            shard_id: id.clone(),
            id,
            ip,
            port,
            cport,
            primary: None,
            config_epoch: 0,
            slots: SlotSet::default(),
            migrating: BTreeMap::new(),
            importing: BTreeMap::new(),
            failed: false,
        }
    }

    pub fn is_primary(&self) -> bool {
        self.primary.is_none()
    }
}

/// Where a node's slot goes (CLUSTER SETSLOT).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SlotState {
    /// `MIGRATING id`: the node sends the slot's keys to `id`.
    Migrating(String),
    /// `IMPORTING id`: the node receives the slot's keys from `id`.
    Importing(String),
    /// `STABLE`: clears both.
    Stable,
    /// `NODE id`: `id` owns the slot from now on; clears the slot's migration states on every
    /// node (the move is over).
    Node(String),
}

/// A change of the topology: one entry of the consensus log. `node` fields name the node that
/// took the command (Redis's `myself`) unless said otherwise.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Change {
    /// A node joins (CLUSTER MEET) with what it already had: its addresses, epoch and slots.
    /// Refused if one of its slots is owned by another node.
    AddNode(Node),
    /// CLUSTER FORGET / del-node: `id` leaves the cluster. Its slots become unassigned and its
    /// replicas become primaries without slots.
    RemoveNode { id: String },
    /// A node's announced addresses changed (restart on another port, cluster-announce-*).
    SetAddr {
        id: String,
        ip: String,
        port: u16,
        cport: u16,
    },
    /// CLUSTER ADDSLOTS / ADDSLOTSRANGE: refused (nothing applied) if a slot is owned.
    AddSlots {
        node: String,
        slots: Vec<(u16, u16)>,
    },
    /// CLUSTER DELSLOTS / DELSLOTSRANGE: refused (nothing applied) if a slot has no owner
    /// (Redis: `Slot N is already unassigned`).
    DelSlots {
        node: String,
        slots: Vec<(u16, u16)>,
    },
    /// CLUSTER FLUSHSLOTS: `node` gives up every slot.
    FlushSlots { node: String },
    /// CLUSTER SETSLOT slot ... sent to `node`.
    SetSlot {
        node: String,
        slot: u16,
        state: SlotState,
    },
    /// CLUSTER REPLICATE primary: `node` becomes a replica of `primary`.
    Replicate { node: String, primary: String },
    /// Promotion (automatic failover, CLUSTER FAILOVER): `replica` takes its primary's slots
    /// with a new config epoch; the old primary and its other replicas replicate from it.
    Promote { replica: String },
    /// CLUSTER SET-CONFIG-EPOCH: only for a node with epoch 0.
    SetConfigEpoch { node: String, epoch: u64 },
    /// CLUSTER BUMPEPOCH: `node` takes current epoch + 1 unless its epoch is already the
    /// greatest and unique.
    BumpEpoch { node: String },
    /// The failure detector's verdict on `id` (flag `fail`), or its recovery.
    SetFailed { id: String, failed: bool },
}

/// The outcome of applying a change: `Ok` or the error for the command's reply (without the
/// leading `-`, e.g. `ERR Slot 5 is already busy`).
pub type Outcome = Result<Applied, String>;

/// What an applied change reports to its proposer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Applied {
    Done,
    /// BUMPEPOCH: whether the epoch was bumped, and the node's epoch now.
    Epoch {
        bumped: bool,
        epoch: u64,
    },
}

/// The agreed cluster state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Topology {
    /// Members by node id.
    pub nodes: BTreeMap<String, Node>,
    /// The greatest epoch seen (CLUSTER INFO cluster_current_epoch).
    pub current_epoch: u64,
    /// Ids removed by [`Change::RemoveNode`], so a CLUSTER FORGET sent to each node by
    /// `redis-cli --cluster del-node` succeeds after the first one removed it.
    pub forgotten: BTreeMap<String, u64>,
}

impl Topology {
    /// The node owning `slot`, if any.
    pub fn owner(&self, slot: u16) -> Option<&Node> {
        self.nodes
            .values()
            .find(|n| n.is_primary() && n.slots.contains(slot))
    }

    /// The replicas of primary `id`, in id order.
    pub fn replicas_of<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.nodes
            .values()
            .filter(move |n| n.primary.as_deref() == Some(id))
    }

    /// Number of slots with an owner that is not failed (CLUSTER INFO cluster_slots_ok).
    pub fn slots_assigned(&self) -> usize {
        self.nodes
            .values()
            .filter(|n| n.is_primary())
            .map(|n| n.slots.len())
            .sum()
    }

    fn known(&self, id: &str) -> Result<(), String> {
        if self.nodes.contains_key(id) {
            Ok(())
        } else {
            Err(format!("ERR Unknown node {id}"))
        }
    }

    fn check_ranges(ranges: &[(u16, u16)]) -> Result<(), String> {
        for &(a, b) in ranges {
            if a as usize >= SLOTS || b as usize >= SLOTS || a > b {
                return Err("ERR Invalid or out of range slot".into());
            }
        }
        Ok(())
    }

    /// Applies `change` at log index `index`. Deterministic: every node gets the same result.
    pub fn apply(&mut self, change: &Change, index: u64) -> Outcome {
        match change {
            Change::AddNode(node) => {
                if let Some(n) = self.nodes.get_mut(&node.id) {
                    // Met again (a second MEET): only the addresses may have moved.
                    n.ip = node.ip.clone();
                    n.port = node.port;
                    n.cport = node.cport;
                    return Ok(Applied::Done);
                }
                for other in self.nodes.values().filter(|n| n.is_primary()) {
                    for (a, b) in node.slots.ranges() {
                        if let Some(s) = (a..=b).find(|s| other.slots.contains(*s)) {
                            return Err(format!(
                                "ERR Slot {s} of joining node {} is served by {}",
                                node.id, other.id
                            ));
                        }
                    }
                }
                let mut n = node.clone();
                n.failed = false;
                if let Some(p) = &n.primary {
                    if !self.nodes.contains_key(p) {
                        n.primary = None;
                        n.shard_id = n.id.clone();
                    }
                }
                self.current_epoch = self.current_epoch.max(n.config_epoch);
                self.forgotten.remove(&n.id);
                self.nodes.insert(n.id.clone(), n);
                Ok(Applied::Done)
            }
            Change::RemoveNode { id } => {
                self.known(id)?;
                self.nodes.remove(id);
                for n in self.nodes.values_mut() {
                    if n.primary.as_deref() == Some(id) {
                        n.primary = None;
                        n.shard_id = n.id.clone();
                    }
                    n.migrating.retain(|_, v| v != id);
                    n.importing.retain(|_, v| v != id);
                }
                self.forgotten.insert(id.clone(), index);
                // Keep the list short: only recent removals matter to del-node.
                while self.forgotten.len() > 64 {
                    let oldest = self
                        .forgotten
                        .iter()
                        .min_by_key(|(_, i)| **i)
                        .map(|(k, _)| k.clone())
                        .expect("non-empty");
                    self.forgotten.remove(&oldest);
                }
                Ok(Applied::Done)
            }
            Change::SetAddr {
                id,
                ip,
                port,
                cport,
            } => {
                self.known(id)?;
                let n = self.nodes.get_mut(id).expect("known");
                n.ip = ip.clone();
                n.port = *port;
                n.cport = *cport;
                Ok(Applied::Done)
            }
            Change::AddSlots { node, slots } => {
                self.known(node)?;
                Self::check_ranges(slots)?;
                if !self.nodes[node].is_primary() {
                    return Err("ERR Can't assign slots to a replica".into());
                }
                for &(a, b) in slots {
                    for s in a..=b {
                        if self.owner(s).is_some() {
                            return Err(format!("ERR Slot {s} is already busy"));
                        }
                    }
                }
                let n = self.nodes.get_mut(node).expect("known");
                for &(a, b) in slots {
                    for s in a..=b {
                        n.slots.insert(s);
                        // Redis clears an IMPORTING state of a slot it now owns.
                        n.importing.remove(&s);
                    }
                }
                Ok(Applied::Done)
            }
            Change::DelSlots { node, slots } => {
                self.known(node)?;
                Self::check_ranges(slots)?;
                for &(a, b) in slots {
                    for s in a..=b {
                        if self.owner(s).is_none() {
                            return Err(format!("ERR Slot {s} is already unassigned"));
                        }
                    }
                }
                for &(a, b) in slots {
                    for s in a..=b {
                        for n in self.nodes.values_mut() {
                            n.slots.remove(s);
                        }
                    }
                }
                Ok(Applied::Done)
            }
            Change::FlushSlots { node } => {
                self.known(node)?;
                self.nodes.get_mut(node).expect("known").slots.clear();
                Ok(Applied::Done)
            }
            Change::SetSlot { node, slot, state } => {
                self.known(node)?;
                let slot = *slot;
                if slot as usize >= SLOTS {
                    return Err("ERR Invalid or out of range slot".into());
                }
                match state {
                    SlotState::Migrating(to) => {
                        self.known(to)?;
                        let n = self.nodes.get_mut(node).expect("known");
                        if !n.slots.contains(slot) {
                            return Err(format!("ERR I'm not the owner of hash slot {slot}"));
                        }
                        n.migrating.insert(slot, to.clone());
                    }
                    SlotState::Importing(from) => {
                        self.known(from)?;
                        let n = self.nodes.get_mut(node).expect("known");
                        if n.slots.contains(slot) {
                            return Err(format!("ERR I'm already the owner of hash slot {slot}"));
                        }
                        n.importing.insert(slot, from.clone());
                    }
                    SlotState::Stable => {
                        let n = self.nodes.get_mut(node).expect("known");
                        n.migrating.remove(&slot);
                        n.importing.remove(&slot);
                    }
                    SlotState::Node(owner) => {
                        self.known(owner)?;
                        if !self.nodes[owner].is_primary() {
                            return Err(
                                "ERR Target node is not a master".into(), // Redis 7.0's text
                            );
                        }
                        // Sent to the new owner (the importing side, whose import it ends): Redis bumps
                        // its epoch. Open slots are each node's own state (`cluster::OpenSlots`).
                        let was_importing =
                            node == owner && !self.nodes[owner].slots.contains(slot);
                        for n in self.nodes.values_mut() {
                            n.slots.remove(slot);
                            n.migrating.remove(&slot);
                            n.importing.remove(&slot);
                        }
                        let epoch = self.current_epoch + 1;
                        let o = self.nodes.get_mut(owner).expect("known");
                        o.slots.insert(slot);
                        // The importing side ends the move with a new config epoch, so its
                        // claim wins over the old owner's (cluster spec, "SETSLOT").
                        if was_importing {
                            o.config_epoch = epoch;
                            self.current_epoch = epoch;
                        }
                    }
                }
                Ok(Applied::Done)
            }
            Change::Replicate { node, primary } => {
                self.known(node)?;
                self.known(primary)?;
                if node == primary {
                    return Err("ERR Can't replicate myself".into());
                }
                if !self.nodes[primary].is_primary() {
                    return Err("ERR I can only replicate a master, not a replica.".into());
                }
                let n = &self.nodes[node];
                if n.is_primary() && !n.slots.is_empty() {
                    return Err(
                        "ERR To set a master the node must be empty and without assigned slots."
                            .into(),
                    );
                }
                let shard = self.nodes[primary].shard_id.clone();
                let me = node.clone();
                // Replicas of this node follow it to its new primary.
                for r in self.nodes.values_mut() {
                    if r.primary.as_deref() == Some(me.as_str()) {
                        r.primary = Some(primary.clone());
                        r.shard_id = shard.clone();
                    }
                }
                let n = self.nodes.get_mut(node).expect("known");
                n.primary = Some(primary.clone());
                n.shard_id = shard;
                n.migrating.clear();
                n.importing.clear();
                Ok(Applied::Done)
            }
            Change::Promote { replica } => {
                self.known(replica)?;
                let Some(old) = self.nodes[replica].primary.clone() else {
                    return Err("ERR You should send CLUSTER FAILOVER to a replica".into());
                };
                let epoch = self.current_epoch + 1;
                self.current_epoch = epoch;
                let (slots, shard) = match self.nodes.get_mut(&old) {
                    Some(o) => {
                        let s = std::mem::take(&mut o.slots);
                        o.primary = Some(replica.clone());
                        o.migrating.clear();
                        o.importing.clear();
                        (s, o.shard_id.clone())
                    }
                    None => (SlotSet::default(), replica.clone()),
                };
                for r in self.nodes.values_mut() {
                    if r.primary.as_deref() == Some(old.as_str()) {
                        r.primary = Some(replica.clone());
                    }
                }
                let n = self.nodes.get_mut(replica).expect("known");
                n.primary = None;
                n.slots = slots;
                n.shard_id = shard;
                n.config_epoch = epoch;
                n.failed = false;
                Ok(Applied::Done)
            }
            Change::SetConfigEpoch { node, epoch } => {
                self.known(node)?;
                let n = self.nodes.get_mut(node).expect("known");
                if n.config_epoch != 0 {
                    return Err("ERR Node config epoch is already non-zero".into());
                }
                n.config_epoch = *epoch;
                self.current_epoch = self.current_epoch.max(*epoch);
                Ok(Applied::Done)
            }
            Change::BumpEpoch { node } => {
                self.known(node)?;
                let mine = self.nodes[node].config_epoch;
                let unique_max = mine > 0
                    && mine == self.current_epoch
                    && self
                        .nodes
                        .values()
                        .filter(|n| n.config_epoch == mine)
                        .count()
                        == 1;
                if unique_max {
                    return Ok(Applied::Epoch {
                        bumped: false,
                        epoch: mine,
                    });
                }
                self.current_epoch += 1;
                let e = self.current_epoch;
                self.nodes.get_mut(node).expect("known").config_epoch = e;
                Ok(Applied::Epoch {
                    bumped: true,
                    epoch: e,
                })
            }
            Change::SetFailed { id, failed } => {
                self.known(id)?;
                self.nodes.get_mut(id).expect("known").failed = *failed;
                Ok(Applied::Done)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(n: u8) -> Node {
        Node::new(
            format!("{n:040x}"),
            "127.0.0.1".into(),
            7000 + n as u16,
            17000 + n as u16,
        )
    }

    fn topo(n: u8) -> Topology {
        let mut t = Topology::default();
        for i in 0..n {
            t.apply(&Change::AddNode(node(i)), 1).unwrap();
        }
        t
    }

    #[test]
    fn slot_sets_round_trip_as_ranges() {
        let s = SlotSet::from_ranges(&[(0, 5), (7, 7), (16380, 16383)]);
        assert_eq!(s.ranges(), vec![(0, 5), (7, 7), (16380, 16383)]);
        assert_eq!(s.len(), 11);
        let j = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<SlotSet>(&j).unwrap(), s);
    }

    #[test]
    fn ranges_agree_with_a_slot_by_slot_walk() {
        let naive = |s: &SlotSet| {
            let mut out: Vec<(u16, u16)> = Vec::new();
            for x in (0..SLOTS as u16).filter(|x| s.contains(*x)) {
                match out.last_mut() {
                    Some(r) if r.1 + 1 == x => r.1 = x,
                    _ => out.push((x, x)),
                }
            }
            out
        };
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for density in [0u64, 1, 8, 32, 56, 63, 64] {
            let mut s = SlotSet::default();
            for x in 0..SLOTS as u16 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                if seed % 64 < density {
                    s.insert(x);
                }
            }
            assert_eq!(s.ranges(), naive(&s), "density {density}/64");
        }
        let edges = SlotSet::from_ranges(&[(0, 63), (64, 64), (127, 128), (16383, 16383)]);
        assert_eq!(edges.ranges(), vec![(0, 64), (127, 128), (16383, 16383)]);
    }

    #[test]
    fn addslots_refuses_a_busy_slot_and_applies_nothing() {
        let mut t = topo(2);
        let a = node(0).id;
        let b = node(1).id;
        t.apply(
            &Change::AddSlots {
                node: a.clone(),
                slots: vec![(0, 10)],
            },
            2,
        )
        .unwrap();
        let e = t
            .apply(
                &Change::AddSlots {
                    node: b.clone(),
                    slots: vec![(11, 20), (10, 10)],
                },
                3,
            )
            .unwrap_err();
        assert_eq!(e, "ERR Slot 10 is already busy");
        assert!(t.nodes[&b].slots.is_empty());
        assert_eq!(t.owner(10).unwrap().id, a);
    }

    #[test]
    fn setslot_node_moves_the_slot_and_clears_migration_states() {
        let mut t = topo(2);
        let (a, b) = (node(0).id, node(1).id);
        t.apply(
            &Change::AddSlots {
                node: a.clone(),
                slots: vec![(0, 100)],
            },
            2,
        )
        .unwrap();
        let set = |t: &mut Topology, node: &str, state| {
            t.apply(
                &Change::SetSlot {
                    node: node.into(),
                    slot: 42,
                    state,
                },
                3,
            )
        };
        set(&mut t, &b, SlotState::Importing(a.clone())).unwrap();
        set(&mut t, &a, SlotState::Migrating(b.clone())).unwrap();
        assert_eq!(t.nodes[&a].migrating[&42], b);
        set(&mut t, &b, SlotState::Node(b.clone())).unwrap();
        assert_eq!(t.owner(42).unwrap().id, b);
        assert!(t.nodes[&a].migrating.is_empty() && t.nodes[&b].importing.is_empty());
        assert_eq!(t.nodes[&b].config_epoch, t.current_epoch);
        assert!(t.current_epoch >= 1);
    }

    #[test]
    fn promote_hands_the_slots_and_followers_to_the_replica() {
        let mut t = topo(3);
        let (p, r1, r2) = (node(0).id, node(1).id, node(2).id);
        t.apply(
            &Change::AddSlots {
                node: p.clone(),
                slots: vec![(0, 16383)],
            },
            2,
        )
        .unwrap();
        for r in [&r1, &r2] {
            t.apply(
                &Change::Replicate {
                    node: r.clone(),
                    primary: p.clone(),
                },
                3,
            )
            .unwrap();
        }
        assert_eq!(t.nodes[&r1].shard_id, t.nodes[&p].shard_id);
        t.apply(
            &Change::Promote {
                replica: r1.clone(),
            },
            4,
        )
        .unwrap();
        assert_eq!(t.owner(0).unwrap().id, r1);
        assert_eq!(t.nodes[&p].primary.as_deref(), Some(r1.as_str()));
        assert_eq!(t.nodes[&r2].primary.as_deref(), Some(r1.as_str()));
        assert_eq!(t.nodes[&r1].config_epoch, t.current_epoch);
        assert_eq!(t.slots_assigned(), SLOTS);
    }

    #[test]
    fn removed_nodes_are_remembered_and_their_replicas_freed() {
        let mut t = topo(2);
        let (p, r) = (node(0).id, node(1).id);
        t.apply(
            &Change::Replicate {
                node: r.clone(),
                primary: p.clone(),
            },
            2,
        )
        .unwrap();
        t.apply(&Change::RemoveNode { id: p.clone() }, 3).unwrap();
        assert!(t.forgotten.contains_key(&p));
        assert!(t.nodes[&r].is_primary());
        assert_eq!(
            t.apply(&Change::RemoveNode { id: p.clone() }, 4)
                .unwrap_err(),
            format!("ERR Unknown node {p}")
        );
    }

    #[test]
    fn bumpepoch_is_still_when_the_epoch_is_already_the_unique_greatest() {
        let mut t = topo(2);
        let a = node(0).id;
        let r = t.apply(&Change::BumpEpoch { node: a.clone() }, 2).unwrap();
        assert_eq!(
            r,
            Applied::Epoch {
                bumped: true,
                epoch: 1
            }
        );
        let r = t.apply(&Change::BumpEpoch { node: a.clone() }, 3).unwrap();
        assert_eq!(
            r,
            Applied::Epoch {
                bumped: false,
                epoch: 1
            }
        );
    }
}
