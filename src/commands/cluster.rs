//! CLUSTER and its subcommands, READONLY, READWRITE, ASKING
//! (<https://redis.io/commands/cluster/>, replies as Redis 7.0's `cluster.c`).
//!
//! Reads (INFO, NODES, SLOTS, SHARDS, ...) render the committed topology of `crate::cluster`.
//! Changes (ADDSLOTS, SETSLOT, REPLICATE, MEET, FORGET, RESET, ...) are checked here against
//! the local view for Redis's errors, then handed to the consensus layer as an
//! [`Op`](crate::cluster::node::Op) that the connection awaits (`Action::Cluster`); the reply
//! comes once the change is committed and applied on this node.

use super::table::{acl, flag::*, Command, BASE};
use super::{Action, Args, CmdError, CmdResult, Ctx};
use crate::cluster::node::Op;
use crate::cluster::topology::{Change, Node, SlotState, Topology, SLOTS};
use crate::cluster::View;
use crate::keyspace::key_slot;
use std::fmt::Write as _;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

fn disabled() -> CmdError {
    CmdError::err("This instance has cluster support disabled")
}

/// The view, or Redis's error when cluster mode is off.
fn view(ctx: &Ctx<'_, '_>) -> Result<std::sync::Arc<View>, CmdError> {
    if !ctx.srv.cluster.enabled || ctx.srv.cluster.consensus().is_none() {
        return Err(disabled());
    }
    Ok(ctx.srv.cluster.view())
}

fn pending(ctx: &mut Ctx<'_, '_>, op: Op) -> CmdResult {
    ctx.client.cluster_op = Some(op);
    ctx.action = Action::Cluster;
    Ok(())
}

/// Time since each member was last heard, and its last reported replication offset.
struct Liveness {
    peers: std::collections::HashMap<String, crate::cluster::raft::PeerStatus>,
    me: String,
    my_offset: u64,
    timeout: Duration,
}

impl Liveness {
    fn of(ctx: &Ctx<'_, '_>, v: &View) -> Liveness {
        let c = ctx.srv.cluster.consensus().expect("checked by view()");
        Liveness {
            peers: c.peers(),
            me: v.me.clone(),
            my_offset: ctx.srv.keyspace.feed.end(),
            timeout: Duration::from_millis(ctx.srv.limits.cluster_node_timeout.load(Relaxed)),
        }
    }
    fn silent(&self, id: &str) -> Duration {
        if id == self.me {
            return Duration::ZERO;
        }
        self.peers
            .get(id)
            .map_or(Duration::ZERO, |p| p.last_heard.elapsed())
    }
    /// Not heard for half the node timeout: Redis's PFAIL (`fail?`).
    fn pfail(&self, n: &Node) -> bool {
        !n.failed && self.silent(&n.id) > self.timeout / 2
    }
    fn offset(&self, id: &str) -> u64 {
        if id == self.me {
            return self.my_offset;
        }
        self.peers.get(id).map_or(0, |p| p.repl_offset)
    }
}

/// One line of CLUSTER NODES (<https://redis.io/commands/cluster-nodes/>):
/// `id ip:port@cport flags primary ping-sent pong-recv config-epoch link-state slot...`.
fn node_line(
    out: &mut String,
    n: &Node,
    t: &Topology,
    live: &Liveness,
    now_ms: u64,
    open: Option<&crate::cluster::OpenSlots>,
) {
    let me = n.id == live.me;
    let mut flags = Vec::new();
    if me {
        flags.push("myself");
    }
    flags.push(if n.is_primary() { "master" } else { "slave" });
    if live.pfail(n) {
        flags.push("fail?");
    }
    if n.failed {
        flags.push("fail");
    }
    if n.ip.is_empty() && !me {
        flags.push("noaddr");
    }
    let silent = live.silent(&n.id);
    let pong = if me {
        0
    } else {
        now_ms.saturating_sub(silent.as_millis() as u64)
    };
    let link = if me || silent < live.timeout {
        "connected"
    } else {
        "disconnected"
    };
    let epoch = match n.primary.as_ref().and_then(|p| t.nodes.get(p)) {
        Some(p) if !me => p.config_epoch.max(n.config_epoch),
        _ => n.config_epoch,
    };
    let _ = write!(
        out,
        "{} {}:{}@{} {} {} 0 {} {} {}",
        n.id,
        n.ip,
        n.port,
        n.cport,
        flags.join(","),
        n.primary.as_deref().unwrap_or("-"),
        pong,
        epoch,
        link
    );
    for (a, b) in n.slots.ranges() {
        if a == b {
            let _ = write!(out, " {a}");
        } else {
            let _ = write!(out, " {a}-{b}");
        }
    }
    if let Some(open) = open.filter(|_| me) {
        for (s, to) in &open.migrating {
            let _ = write!(out, " [{s}->-{to}]");
        }
        for (s, from) in &open.importing {
            let _ = write!(out, " [{s}-<-{from}]");
        }
    }
    out.push('\n');
}

/// CLUSTER NODES.
fn nodes(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    let v = view(ctx)?;
    let live = Liveness::of(ctx, &v);
    let mut s = String::new();
    if let Some(me) = v.topo.nodes.get(&v.me) {
        node_line(&mut s, me, &v.topo, &live, ctx.now, Some(&v.open));
    }
    for n in v.topo.nodes.values().filter(|n| n.id != v.me) {
        node_line(&mut s, n, &v.topo, &live, ctx.now, None);
    }
    ctx.out.verbatim(s.as_bytes());
    Ok(())
}

/// CLUSTER REPLICAS / SLAVES node-id: the CLUSTER NODES lines of its replicas.
fn replicas(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let v = view(ctx)?;
    let id = a.str(2);
    let Some(n) = v.topo.nodes.get(&id) else {
        return Err(CmdError::err(format!("Unknown node {id}")));
    };
    if !n.is_primary() {
        return Err(CmdError::err("The specified node is not a master"));
    }
    let live = Liveness::of(ctx, &v);
    let reps: Vec<&Node> = v.topo.replicas_of(&id).collect();
    ctx.out.array_len(reps.len());
    for r in reps {
        let mut s = String::new();
        node_line(&mut s, r, &v.topo, &live, ctx.now, None);
        ctx.out.bulk(s.as_bytes());
    }
    Ok(())
}

/// CLUSTER INFO (<https://redis.io/commands/cluster-info/>).
fn info(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    let v = view(ctx)?;
    let live = Liveness::of(ctx, &v);
    let t = &v.topo;
    let (mut assigned, mut pfail, mut fail, mut size) = (0, 0, 0, 0);
    for n in t.nodes.values().filter(|n| n.is_primary()) {
        let k = n.slots.len();
        assigned += k;
        if k > 0 {
            size += 1;
        }
        if n.failed {
            fail += k;
        } else if live.pfail(n) {
            pfail += k;
        }
    }
    let my_epoch = t.nodes.get(&v.me).map_or(0, |n| {
        n.primary
            .as_ref()
            .and_then(|p| t.nodes.get(p))
            .map_or(n.config_epoch, |p| p.config_epoch)
    });
    let state = if ctx.srv.cluster.state_ok.load(Relaxed) {
        "ok"
    } else {
        "fail"
    };
    let s = format!(
        "cluster_state:{state}\r\ncluster_slots_assigned:{assigned}\r\ncluster_slots_ok:{}\r\n\
         cluster_slots_pfail:{pfail}\r\ncluster_slots_fail:{fail}\r\ncluster_known_nodes:{}\r\n\
         cluster_size:{size}\r\ncluster_current_epoch:{}\r\ncluster_my_epoch:{my_epoch}\r\n\
         cluster_stats_redirections_sent:{}\r\n",
        assigned - pfail - fail,
        t.nodes.len(),
        t.current_epoch,
        ctx.srv.cluster.redirections.load(Relaxed),
    );
    ctx.out.verbatim(s.as_bytes());
    Ok(())
}

/// A node entry of CLUSTER SLOTS: ip, port, id, and (7.0) a map of other endpoints (none).
fn slots_node(ctx: &mut Ctx<'_, '_>, n: &Node) {
    ctx.out.array_len(4);
    ctx.out.bulk(n.ip.as_bytes());
    ctx.out.int(n.port as i64);
    ctx.out.bulk(n.id.as_bytes());
    ctx.out.map_len(0);
}

/// CLUSTER SLOTS (<https://redis.io/commands/cluster-slots/>): per range of consecutive slots
/// with one owner: start, end, the primary, then its replicas that are not failed.
fn slots(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    let v = view(ctx)?;
    let mut ranges: Vec<(u16, u16, &Node)> = Vec::new();
    for n in v.topo.nodes.values().filter(|n| n.is_primary()) {
        for (a, b) in n.slots.ranges() {
            ranges.push((a, b, n));
        }
    }
    ranges.sort_by_key(|r| r.0);
    ctx.out.array_len(ranges.len());
    for (a, b, n) in ranges {
        let reps: Vec<&Node> = v.topo.replicas_of(&n.id).filter(|r| !r.failed).collect();
        ctx.out.array_len(3 + reps.len());
        ctx.out.int(a as i64);
        ctx.out.int(b as i64);
        slots_node(ctx, n);
        for r in reps {
            slots_node(ctx, r);
        }
    }
    Ok(())
}

/// CLUSTER SHARDS (<https://redis.io/commands/cluster-shards/>): per primary, its slot ranges
/// and its nodes (primary first) with role, replication offset and health.
fn shards(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    let v = view(ctx)?;
    let live = Liveness::of(ctx, &v);
    let primaries: Vec<&Node> = v.topo.nodes.values().filter(|n| n.is_primary()).collect();
    ctx.out.array_len(primaries.len());
    for p in primaries {
        ctx.out.map_len(2);
        ctx.out.bulk(b"slots");
        let ranges = p.slots.ranges();
        ctx.out.array_len(ranges.len() * 2);
        for (a, b) in ranges {
            ctx.out.int(a as i64);
            ctx.out.int(b as i64);
        }
        ctx.out.bulk(b"nodes");
        let members: Vec<&Node> = std::iter::once(p)
            .chain(v.topo.replicas_of(&p.id))
            .collect();
        ctx.out.array_len(members.len());
        for n in members {
            ctx.out.map_len(7);
            ctx.out.bulk(b"id");
            ctx.out.bulk(n.id.as_bytes());
            ctx.out.bulk(b"port");
            ctx.out.int(n.port as i64);
            ctx.out.bulk(b"ip");
            ctx.out.bulk(n.ip.as_bytes());
            ctx.out.bulk(b"endpoint");
            ctx.out.bulk(n.ip.as_bytes());
            ctx.out.bulk(b"role");
            ctx.out.bulk(if n.is_primary() {
                b"master"
            } else {
                b"replica"
            });
            ctx.out.bulk(b"replication-offset");
            ctx.out.int(live.offset(&n.id) as i64);
            ctx.out.bulk(b"health");
            ctx.out.bulk(if n.failed || live.pfail(n) {
                b"fail" as &[u8]
            } else {
                b"online"
            });
        }
    }
    Ok(())
}

fn myid(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    let v = view(ctx)?;
    ctx.out.bulk(v.me.as_bytes());
    Ok(())
}

fn myshardid(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    let v = view(ctx)?;
    let id = v
        .topo
        .nodes
        .get(&v.me)
        .map_or(v.me.clone(), |n| n.shard_id.clone());
    ctx.out.bulk(id.as_bytes());
    Ok(())
}

/// CLUSTER KEYSLOT key: the key's hash slot (CRC16 of the key or its {tag}, mod 16384).
fn keyslot(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    view(ctx)?;
    ctx.out.int(key_slot(&a[2]) as i64);
    Ok(())
}

/// Parses a slot number as Redis's `getSlotOrReply`.
fn slot_arg(a: &Args<'_>, i: usize) -> Result<u16, CmdError> {
    match crate::util::parse_i64(&a[i]) {
        Some(s) if (0..SLOTS as i64).contains(&s) => Ok(s as u16),
        _ => Err(CmdError::err("Invalid or out of range slot")),
    }
}

/// Runs `f` on slot `slot`'s table of database 0, under its shard's lock.
fn with_slot<R>(
    ctx: &Ctx<'_, '_>,
    slot: u16,
    f: impl FnOnce(Option<&crate::keyspace::SlotTable>) -> R,
) -> R {
    let ks = &ctx.srv.keyspace;
    let shard = &ks.shards()[ks.shard_of_slot(slot as usize)];
    let g = shard.data.lock();
    f(g.table(0, slot as usize))
}

/// CLUSTER COUNTKEYSINSLOT slot.
fn countkeysinslot(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    view(ctx)?;
    let s = a.i64(2)?;
    if !(0..SLOTS as i64).contains(&s) {
        return Err(CmdError::err("Invalid slot"));
    }
    let n = with_slot(ctx, s as u16, |t| t.map_or(0, |t| t.map.len()));
    ctx.out.int(n as i64);
    Ok(())
}

/// CLUSTER GETKEYSINSLOT slot count: up to `count` keys of the slot.
fn getkeysinslot(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    view(ctx)?;
    let s = a.i64(2)?;
    let count = a.i64(3)?;
    if !(0..SLOTS as i64).contains(&s) || count < 0 {
        return Err(CmdError::err("Invalid slot or number of keys"));
    }
    let keys: Vec<Box<[u8]>> = with_slot(ctx, s as u16, |t| {
        t.map_or(Vec::new(), |t| {
            t.map.keys().take(count as usize).map(Box::from).collect()
        })
    });
    ctx.out.array_len(keys.len());
    for k in keys {
        ctx.out.bulk(&k);
    }
    Ok(())
}

/// Keys in database 0 of this node.
fn local_keys(ctx: &Ctx<'_, '_>) -> usize {
    let ks = &ctx.srv.keyspace;
    ks.shards()
        .iter()
        .map(|s| s.data.lock().dbs[0].as_ref().map_or(0, |d| d.keys))
        .sum()
}

/// ADDSLOTS / DELSLOTS arguments as ranges, with Redis's duplicate check.
fn slot_list(a: &Args<'_>, ranges: bool) -> Result<Vec<(u16, u16)>, CmdError> {
    let mut seen = crate::cluster::topology::SlotSet::default();
    let mut out = Vec::new();
    let mut i = 2;
    while i < a.len() {
        let (x, y) = if ranges {
            let (x, y) = (slot_arg(a, i)?, slot_arg(a, i + 1)?);
            if x > y {
                return Err(CmdError::err(format!(
                    "start slot number {x} is greater than end slot number {y}"
                )));
            }
            i += 2;
            (x, y)
        } else {
            i += 1;
            let x = slot_arg(a, i - 1)?;
            (x, x)
        };
        for s in x..=y {
            if seen.contains(s) {
                return Err(CmdError::err(format!("Slot {s} specified multiple times")));
            }
            seen.insert(s);
        }
        out.push((x, y));
    }
    Ok(out)
}

fn addslots_common(ctx: &mut Ctx<'_, '_>, a: &Args<'_>, ranges: bool, add: bool) -> CmdResult {
    let v = view(ctx)?;
    if ranges && a.len() % 2 != 0 {
        return Err(CmdError::WrongArity(
            a.str(0).to_lowercase() + "|" + &a.str(1).to_lowercase(),
        ));
    }
    let slots = slot_list(a, ranges)?;
    let node = v.me.clone();
    let ch = if add {
        Change::AddSlots { node, slots }
    } else {
        Change::DelSlots { node, slots }
    };
    pending(ctx, Op::Propose(ch))
}

fn addslots(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    addslots_common(ctx, a, false, true)
}
fn addslotsrange(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    addslots_common(ctx, a, true, true)
}
fn delslots(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    addslots_common(ctx, a, false, false)
}
fn delslotsrange(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    addslots_common(ctx, a, true, false)
}

fn flushslots(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    let v = view(ctx)?;
    if local_keys(ctx) != 0 {
        return Err(CmdError::err(
            "DB must be empty to perform CLUSTER FLUSHSLOTS.",
        ));
    }
    pending(ctx, Op::Propose(Change::FlushSlots { node: v.me.clone() }))
}

/// CLUSTER SETSLOT slot IMPORTING|MIGRATING|NODE node-id | STABLE, with Redis 7.0's checks.
fn setslot(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let v = view(ctx)?;
    let t = &v.topo;
    let me = t.nodes.get(&v.me).cloned();
    if me.as_ref().is_some_and(|n| !n.is_primary()) {
        return Err(CmdError::err("Please use SETSLOT only with masters."));
    }
    let slot = slot_arg(a, 2)?;
    let bad =
        || CmdError::err("Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP");
    let target = |unknown: &str| -> Result<String, CmdError> {
        let id = a.str(4);
        match t.nodes.get(&id) {
            None => Err(CmdError::err(format!("{unknown} {id}"))),
            Some(n) if !n.is_primary() => Err(CmdError::err("Target node is not a master")),
            Some(_) => Ok(id),
        }
    };
    let mine = v.serves(slot);
    let state = if a.is(3, "migrating") && a.len() == 5 {
        if !mine {
            return Err(CmdError::err(format!(
                "I'm not the owner of hash slot {slot}"
            )));
        }
        SlotState::Migrating(target("I don't know about node")?)
    } else if a.is(3, "importing") && a.len() == 5 {
        if mine {
            return Err(CmdError::err(format!(
                "I'm already the owner of hash slot {slot}"
            )));
        }
        SlotState::Importing(target("I don't know about node")?)
    } else if a.is(3, "stable") && a.len() == 4 {
        SlotState::Stable
    } else if a.is(3, "node") && a.len() == 5 {
        let id = target("Unknown node")?;
        if mine && id != v.me && with_slot(ctx, slot, |t| t.map_or(0, |t| t.map.len())) > 0 {
            return Err(CmdError::err(format!(
                "Can't assign hashslot {slot} to a different node while I still hold keys for this hash slot."
            )));
        }
        SlotState::Node(id)
    } else {
        return Err(bad());
    };
    let id = match state {
        // An open slot is this node's own state (see `cluster::OpenSlots`): no log entry.
        SlotState::Migrating(to) => {
            ctx.srv.cluster.update_open_slots(|o| {
                o.importing.remove(&slot);
                o.migrating.insert(slot, to);
            });
            ctx.out.ok();
            return Ok(());
        }
        SlotState::Importing(from) => {
            ctx.srv.cluster.update_open_slots(|o| {
                o.migrating.remove(&slot);
                o.importing.insert(slot, from);
            });
            ctx.out.ok();
            return Ok(());
        }
        SlotState::Stable => {
            ctx.srv.cluster.update_open_slots(|o| {
                o.migrating.remove(&slot);
                o.importing.remove(&slot);
                o.handed_off.remove(&slot);
            });
            ctx.out.ok();
            return Ok(());
        }
        SlotState::Node(id) => id,
    };
    // `redis-cli --cluster reshard` sends SETSLOT NODE to every primary after the move: once
    // the committed topology says so, the others are answered at once instead of each costing
    // a consensus round. Here, as in Redis, the assignment ends this node's migration of the
    // slot (it has no keys of it left) and its import. Otherwise the open state stays until
    // the committed change reaches this node (`Cluster::set_topology` settles it then): cleared
    // sooner, a node whose topology lags would serve a slot whose keys already left.
    if t.owner(slot).is_some_and(|o| o.id == id) {
        let keys = with_slot(ctx, slot, |t| t.map_or(0, |t| t.map.len()));
        let me_id = v.me.clone();
        ctx.srv.cluster.update_open_slots(|o| {
            if keys == 0 {
                o.migrating.remove(&slot);
            }
            if id == me_id {
                o.importing.remove(&slot);
            }
        });
        ctx.out.ok();
        return Ok(());
    }
    let ch = Change::SetSlot {
        node: v.me.clone(),
        slot,
        state: SlotState::Node(id),
    };
    pending(ctx, Op::Propose(ch))
}

/// CLUSTER REPLICATE node-id.
fn replicate(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let v = view(ctx)?;
    let id = a.str(2);
    let Some(p) = v.topo.nodes.get(&id) else {
        return Err(CmdError::err(format!("Unknown node {id}")));
    };
    if id == v.me {
        return Err(CmdError::err("Can't replicate myself"));
    }
    if !p.is_primary() {
        return Err(CmdError::err(
            "I can only replicate a master, not a replica.",
        ));
    }
    let me = v.topo.nodes.get(&v.me);
    if me.is_some_and(|n| n.is_primary())
        && (me.is_some_and(|n| !n.slots.is_empty()) || local_keys(ctx) != 0)
    {
        return Err(CmdError::err(
            "To set a master the node must be empty and without assigned slots.",
        ));
    }
    let ch = Change::Replicate {
        node: v.me.clone(),
        primary: id,
    };
    pending(ctx, Op::Propose(ch))
}

/// CLUSTER MEET ip port [cport].
fn meet(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    view(ctx)?;
    if a.len() > 5 {
        return Err(CmdError::Syntax);
    }
    let port: u16 = match crate::util::parse_i64(&a[3]) {
        Some(p) if (1..=55535).contains(&p) => p as u16,
        _ => {
            return Err(CmdError::err(format!(
                "Invalid TCP base port specified: {}",
                a.str(3)
            )))
        }
    };
    let cport = if a.len() == 5 {
        match crate::util::parse_i64(&a[4]) {
            Some(p) if (1..=65535).contains(&p) => p as u16,
            _ => {
                return Err(CmdError::err(format!(
                    "Invalid TCP bus port specified: {}",
                    a.str(4)
                )))
            }
        }
    } else {
        port + 10000
    };
    let ip = a.str(2);
    if ip.parse::<std::net::IpAddr>().is_err() {
        return Err(CmdError::err(format!(
            "Invalid node address specified: {ip}:{}",
            a.str(3)
        )));
    }
    pending(ctx, Op::Meet { ip, port, cport })
}

/// CLUSTER FORGET node-id.
fn forget(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let v = view(ctx)?;
    let id = a.str(2);
    if id == v.me {
        return Err(CmdError::err("I tried hard but I can't forget myself..."));
    }
    let me = v.topo.nodes.get(&v.me);
    if me.is_some_and(|n| n.primary.as_deref() == Some(id.as_str())) {
        return Err(CmdError::err("Can't forget my master!"));
    }
    if !v.topo.nodes.contains_key(&id) && !v.topo.forgotten.contains_key(&id) {
        return Err(CmdError::err(format!("Unknown node {id}")));
    }
    pending(ctx, Op::Forget(id))
}

/// CLUSTER RESET [HARD|SOFT].
fn reset(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let v = view(ctx)?;
    let hard = match a.len() {
        2 => false,
        3 if a.is(2, "hard") => true,
        3 if a.is(2, "soft") => false,
        _ => return Err(CmdError::Syntax),
    };
    let primary = v.topo.nodes.get(&v.me).is_none_or(|n| n.is_primary());
    if primary && local_keys(ctx) != 0 {
        return Err(CmdError::err(
            "CLUSTER RESET can't be called with master nodes containing keys",
        ));
    }
    pending(ctx, Op::Reset { hard })
}

/// CLUSTER SET-CONFIG-EPOCH epoch: only on a node that knows no other node.
fn set_config_epoch(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let v = view(ctx)?;
    let e = a.i64(2)?;
    if e < 0 {
        return Err(CmdError::err(format!(
            "Invalid config epoch specified: {e}"
        )));
    }
    if v.topo.nodes.len() > 1 {
        return Err(CmdError::err(
            "The user can assign a config epoch only when the node does not know any other node.",
        ));
    }
    let ch = Change::SetConfigEpoch {
        node: v.me.clone(),
        epoch: e as u64,
    };
    pending(ctx, Op::Propose(ch))
}

fn bumpepoch(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    let v = view(ctx)?;
    pending(ctx, Op::Propose(Change::BumpEpoch { node: v.me.clone() }))
}

/// CLUSTER FAILOVER [FORCE|TAKEOVER]: replies at once; the failover runs in the background
/// (`cluster::node::manual_failover`). TAKEOVER is FORCE here: either way the promotion is a
/// committed log entry.
fn failover(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let v = view(ctx)?;
    let force = match a.len() {
        2 => false,
        3 if a.is(2, "force") || a.is(2, "takeover") => true,
        _ => return Err(CmdError::Syntax),
    };
    let me = v.topo.nodes.get(&v.me);
    let Some(pid) = me.and_then(|n| n.primary.clone()) else {
        return Err(CmdError::err(
            "You should send CLUSTER FAILOVER to a replica",
        ));
    };
    let Some(p) = v.topo.nodes.get(&pid) else {
        return Err(CmdError::err(
            "I'm a replica but my master is unknown to me",
        ));
    };
    let live = Liveness::of(ctx, &v);
    if !force && (p.failed || live.pfail(p)) {
        return Err(CmdError::err(
            "Master is down or failed, please use CLUSTER FAILOVER FORCE",
        ));
    }
    if let Some(srv) = ctx.srv.me() {
        tokio::spawn(crate::cluster::node::manual_failover(srv, force));
    }
    ctx.out.ok();
    Ok(())
}

fn saveconfig(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    view(ctx)?;
    let c = ctx.srv.cluster.consensus().expect("checked by view()");
    c.save()
        .map_err(|e| CmdError::err(format!("error saving the cluster node config: {e}")))?;
    ctx.out.ok();
    Ok(())
}

/// CLUSTER COUNT-FAILURE-REPORTS node-id: here the failure verdict is the consensus leader's,
/// not a count of reports from other primaries: 1 while the node is failed, else 0.
fn count_failure_reports(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let v = view(ctx)?;
    let id = a.str(2);
    let Some(n) = v.topo.nodes.get(&id) else {
        return Err(CmdError::err(format!("Unknown node {id}")));
    };
    ctx.out.int(n.failed as i64);
    Ok(())
}

/// CLUSTER LINKS: the open bus connections (7.0's map per link).
fn links(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    view(ctx)?;
    let links = ctx.srv.cluster.consensus().expect("checked").links();
    ctx.out.array_len(links.len());
    for l in links {
        ctx.out.map_len(6);
        ctx.out.bulk(b"direction");
        ctx.out.bulk(l.dir.as_bytes());
        ctx.out.bulk(b"node");
        ctx.out.bulk(l.node.as_bytes());
        ctx.out.bulk(b"create-time");
        ctx.out.int(l.create_time as i64);
        ctx.out.bulk(b"events");
        ctx.out.bulk(l.events.as_bytes());
        ctx.out.bulk(b"send-buffer-allocated");
        ctx.out.int(l.send_buffer_allocated as i64);
        ctx.out.bulk(b"send-buffer-used");
        ctx.out.int(l.send_buffer_used as i64);
    }
    Ok(())
}

fn help(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    super::server::help(
        ctx,
        "CLUSTER",
        &[
            "ADDSLOTS <slot> [<slot> ...]",
            "ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
            "BUMPEPOCH",
            "COUNT-FAILURE-REPORTS <node-id>",
            "COUNTKEYSINSLOT <slot>",
            "DELSLOTS <slot> [<slot> ...]",
            "DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
            "FAILOVER [FORCE|TAKEOVER]",
            "FORGET <node-id>",
            "FLUSHSLOTS",
            "GETKEYSINSLOT <slot> <count>",
            "INFO",
            "KEYSLOT <key>",
            "LINKS",
            "MEET <ip> <port> [<bus-port>]",
            "MYID",
            "MYSHARDID",
            "NODES",
            "REPLICATE <node-id>",
            "REPLICAS <node-id>",
            "RESET [HARD|SOFT]",
            "SET-CONFIG-EPOCH <epoch>",
            "SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)",
            "SAVECONFIG",
            "SHARDS",
            "SLAVES <node-id>",
            "SLOTS",
        ],
    );
    Ok(())
}

/// READONLY: reads of this replica's primary's slots are served here.
fn readonly(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    if !ctx.srv.cluster.enabled {
        return Err(disabled());
    }
    ctx.client.readonly = true;
    ctx.out.ok();
    Ok(())
}

fn readwrite(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    if !ctx.srv.cluster.enabled {
        return Err(disabled());
    }
    ctx.client.readonly = false;
    ctx.out.ok();
    Ok(())
}

/// ASKING: the next command may touch a slot this node imports.
fn asking(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    if !ctx.srv.cluster.enabled {
        return Err(disabled());
    }
    ctx.client.asking = true;
    ctx.out.ok();
    Ok(())
}

const C: Command = Command {
    arity: 2,
    flags: NO_ASYNC_LOADING,
    group: "cluster",
    acl: acl::SLOW,
    since: "3.0.0",
    complexity: "O(1)",
    ..BASE
};
const CA: Command = Command {
    flags: ADMIN | STALE | NO_ASYNC_LOADING,
    acl: acl::ADMIN | acl::SLOW | acl::DANGEROUS,
    ..C
};

#[rustfmt::skip]
pub static COMMANDS: &[Command] = &[
    Command { name: "cluster", arity: -2, summary: "A container for Redis Cluster commands.",
        complexity: "Depends on subcommand.", subcommands: &[
        Command { name: "cluster|addslots", arity: -3, summary: "Assigns new hash slots to a node.", complexity: "O(N) where N is the total number of hash slot arguments", handler: addslots, ..CA },
        Command { name: "cluster|addslotsrange", arity: -4, since: "7.0.0", summary: "Assigns new hash slot ranges to a node.", complexity: "O(N) where N is the total number of the slots between the start slot and end slot arguments.", handler: addslotsrange, ..CA },
        Command { name: "cluster|bumpepoch", summary: "Advances the cluster config epoch.", handler: bumpepoch, ..CA },
        Command { name: "cluster|count-failure-reports", arity: 3, summary: "Returns the number of active failure reports active for a node.", complexity: "O(N) where N is the number of failure reports", handler: count_failure_reports, flags: ADMIN | STALE, ..CA },
        Command { name: "cluster|countkeysinslot", arity: 3, summary: "Returns the number of keys in a hash slot.", handler: countkeysinslot, flags: STALE, ..C },
        Command { name: "cluster|delslots", arity: -3, summary: "Sets hash slots as unbound for a node.", complexity: "O(N) where N is the total number of hash slot arguments", handler: delslots, ..CA },
        Command { name: "cluster|delslotsrange", arity: -4, since: "7.0.0", summary: "Sets hash slot ranges as unbound for a node.", complexity: "O(N) where N is the total number of the slots between the start slot and end slot arguments.", handler: delslotsrange, ..CA },
        Command { name: "cluster|failover", arity: -2, summary: "Forces a replica to perform a manual failover of its master.", handler: failover, ..CA },
        Command { name: "cluster|flushslots", summary: "Deletes all slots information from a node.", handler: flushslots, ..CA },
        Command { name: "cluster|forget", arity: 3, summary: "Removes a node from the nodes table.", handler: forget, ..CA },
        Command { name: "cluster|getkeysinslot", arity: 4, summary: "Returns the key names in a hash slot.", complexity: "O(N) where N is the number of requested keys", handler: getkeysinslot, flags: STALE, ..C },
        Command { name: "cluster|help", since: "5.0.0", summary: "Returns helpful text about the different subcommands.", handler: help, flags: LOADING | STALE, ..C },
        Command { name: "cluster|info", summary: "Returns information about the state of a node.", handler: info, flags: STALE, ..C },
        Command { name: "cluster|keyslot", arity: 3, summary: "Returns the hash slot for a key.", complexity: "O(N) where N is the number of bytes in the key", handler: keyslot, flags: STALE, ..C },
        Command { name: "cluster|links", since: "7.0.0", summary: "Returns a list of all TCP links to and from peer nodes.", complexity: "O(N) where N is the total number of Cluster nodes", handler: links, flags: STALE, ..C },
        Command { name: "cluster|meet", arity: -4, summary: "Forces a node to handshake with another node.", handler: meet, ..CA },
        Command { name: "cluster|myid", summary: "Returns the ID of a node.", handler: myid, flags: STALE, ..C },
        Command { name: "cluster|myshardid", since: "7.2.0", summary: "Returns the shard ID of a node.", handler: myshardid, flags: STALE, ..C },
        Command { name: "cluster|nodes", summary: "Returns the cluster configuration for a node.", complexity: "O(N) where N is the total number of Cluster nodes", handler: nodes, flags: STALE, ..C },
        Command { name: "cluster|replicas", arity: 3, since: "5.0.0", summary: "Lists the replica nodes of a master node.", complexity: "O(N) where N is the number of replicas.", handler: replicas, flags: ADMIN | STALE, ..CA },
        Command { name: "cluster|replicate", arity: 3, summary: "Configure a node as replica of a master node.", handler: replicate, ..CA },
        Command { name: "cluster|reset", arity: -2, summary: "Resets a node.", complexity: "O(N) where N is the number of known nodes. The command may execute a FLUSHALL as a side effect.", handler: reset, flags: ADMIN | STALE | NO_ASYNC_LOADING, ..CA },
        Command { name: "cluster|saveconfig", summary: "Forces a node to save the cluster configuration to disk.", handler: saveconfig, ..CA },
        Command { name: "cluster|set-config-epoch", arity: 3, summary: "Sets the configuration epoch for a new node.", handler: set_config_epoch, ..CA },
        Command { name: "cluster|setslot", arity: -4, summary: "Binds a hash slot to a node.", handler: setslot, ..CA },
        Command { name: "cluster|shards", since: "7.0.0", summary: "Returns the mapping of cluster slots to shards.", complexity: "O(N) where N is the total number of cluster nodes", handler: shards, flags: LOADING | STALE, ..C },
        Command { name: "cluster|slaves", arity: 3, summary: "Lists the replica nodes of a master node.", complexity: "O(N) where N is the number of replicas.", handler: replicas, flags: ADMIN | STALE, ..CA },
        Command { name: "cluster|slots", summary: "Returns the mapping of cluster slots to nodes.", complexity: "O(N) where N is the total number of Cluster nodes", handler: slots, flags: LOADING | STALE, ..C },
    ], ..C },
    Command { name: "readonly", arity: 1, flags: FAST | LOADING | STALE, group: "cluster", acl: acl::CONNECTION, since: "3.0.0",
        summary: "Enables read-only queries for a connection to a Redis Cluster replica node.", complexity: "O(1)", handler: readonly, ..BASE },
    Command { name: "readwrite", arity: 1, flags: FAST | LOADING | STALE, group: "cluster", acl: acl::CONNECTION, since: "3.0.0",
        summary: "Enables read-write queries for a connection to a Redis Cluster replica node.", complexity: "O(1)", handler: readwrite, ..BASE },
    Command { name: "asking", arity: 1, flags: FAST, group: "cluster", acl: acl::CONNECTION, since: "3.0.0",
        summary: "Signals that a cluster client is following an -ASK redirect.", complexity: "O(1)", handler: asking, ..BASE },
];
