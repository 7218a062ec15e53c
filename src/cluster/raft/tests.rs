//! In-process clusters of `Consensus` instances on 127.0.0.1 (bus ports picked by the OS).

use super::*;
use std::path::PathBuf;

/// Node timeout of the test clusters, ms.
const NT: u64 = 2000;

struct TmpDir(PathBuf);

impl TmpDir {
    fn new(tag: &str) -> TmpDir {
        let p = std::env::temp_dir().join(format!(
            "shoal-raft-{tag}-{}-{:x}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&p).unwrap();
        TmpDir(p)
    }
}

impl Drop for TmpDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn id(n: u8) -> String {
    format!("{n:02x}{}", "ab".repeat(19))
}

async fn start_node(dir: &TmpDir, n: u8, port: u16) -> Arc<Consensus> {
    let file = dir.0.join(format!("nodes-{n}.conf"));
    start_with(file, n, port, "127.0.0.1:0".parse().unwrap()).await
}

async fn start_with(file: PathBuf, n: u8, port: u16, bind: SocketAddr) -> Arc<Consensus> {
    // The announced cport is the bus port, known only after binding: bind first, then tell.
    let probe = std::net::TcpListener::bind(bind).unwrap();
    let bind = probe.local_addr().unwrap();
    drop(probe);
    let cfg = ConsensusConfig {
        me: Node::new(id(n), "127.0.0.1".into(), port, bind.port()),
        bus_bind: bind,
        config_file: file,
        node_timeout_ms: NT,
    };
    Consensus::start(cfg).await.unwrap()
}

/// Polls `f` every 20 ms until it holds or `secs` pass.
async fn eventually(secs: u64, what: &str, f: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn cluster(dir: &TmpDir, n: u8) -> Vec<Arc<Consensus>> {
    let mut nodes = Vec::new();
    for i in 0..n {
        nodes.push(start_node(dir, i, 7000 + i as u16).await);
    }
    let first = nodes[0].bus_addr();
    let mut joins = Vec::new();
    for c in nodes.iter().skip(1) {
        let c = c.clone();
        joins.push(tokio::spawn(async move {
            c.meet("127.0.0.1", 7000, first.port()).await
        }));
    }
    for j in joins {
        j.await.unwrap().unwrap();
    }
    let all = nodes.clone();
    eventually(10, "same topology everywhere", move || {
        all.iter()
            .all(|c| c.topology().nodes.len() == n as usize && *c.topology() == *all[0].topology())
    })
    .await;
    nodes
}

fn leader(nodes: &[Arc<Consensus>]) -> Option<usize> {
    nodes.iter().position(|c| c.is_leader())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_node_starts_and_commits_addslots() {
    let dir = TmpDir::new("one");
    let c = start_node(&dir, 1, 7001).await;
    assert_eq!(c.my_id(), id(1));
    assert!(c.topology().nodes.contains_key(&id(1)));
    let r = c
        .propose(Change::AddSlots {
            node: id(1),
            slots: vec![(0, 16383)],
        })
        .await;
    assert_eq!(r, Ok(Applied::Done));
    assert_eq!(c.topology().slots_assigned(), 16384);
    let e = c
        .propose(Change::AddSlots {
            node: id(1),
            slots: vec![(5, 5)],
        })
        .await;
    assert_eq!(e, Err("ERR Slot 5 is already busy".to_string()));
    assert!(c.in_quorum() && c.is_leader());
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_nodes_meeting_the_first_at_once_share_one_topology() {
    let dir = TmpDir::new("five");
    let nodes = cluster(&dir, 6).await;
    // Slots claimed while alone survive the join; a follower's proposal commits everywhere.
    let r = nodes[3]
        .propose(Change::AddSlots {
            node: id(3),
            slots: vec![(100, 200)],
        })
        .await;
    assert_eq!(r, Ok(Applied::Done));
    assert_eq!(nodes[3].topology().owner(150).unwrap().id, id(3));
    let all = nodes.clone();
    eventually(5, "slots everywhere", move || {
        all.iter()
            .all(|c| c.topology().owner(150).is_some_and(|n| n.id == id(3)))
    })
    .await;
    // Meeting a member again is a no-op.
    nodes[2]
        .meet("127.0.0.1", 7001, nodes[1].bus_addr().port())
        .await
        .unwrap();
    for c in &nodes {
        c.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slot_conflict_refuses_the_join_and_the_node_stays_alone() {
    let dir = TmpDir::new("conflict");
    let a = start_node(&dir, 1, 7001).await;
    let b = start_node(&dir, 2, 7002).await;
    let slots = |n| Change::AddSlots {
        node: id(n),
        slots: vec![(0, 10)],
    };
    a.propose(slots(1)).await.unwrap();
    b.propose(slots(2)).await.unwrap();
    let e = b
        .meet("127.0.0.1", 7001, a.bus_addr().port())
        .await
        .unwrap_err();
    assert!(e.contains("Slot 0"), "{e}");
    let t = b.topology();
    assert_eq!(t.nodes.len(), 1);
    assert_eq!(t.owner(0).unwrap().id, id(2));
    // Still a working one-node cluster.
    b.propose(Change::BumpEpoch { node: id(2) }).await.unwrap();
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forget_removes_a_node_and_forgetting_again_is_ok() {
    let dir = TmpDir::new("forget");
    let nodes = cluster(&dir, 3).await;
    let gone = id(2);
    nodes[2].shutdown().await;
    nodes[0].forget(&gone).await.unwrap();
    assert!(!nodes[0].topology().nodes.contains_key(&gone));
    let n1 = nodes[1].clone();
    let g = gone.clone();
    eventually(5, "forgotten on node 1", move || {
        n1.topology().forgotten.contains_key(&g)
    })
    .await;
    nodes[1].forget(&gone).await.unwrap();
    // Two voters left, both up: proposals still commit.
    nodes[1]
        .propose(Change::BumpEpoch { node: id(1) })
        .await
        .unwrap();
    for c in &nodes[..2] {
        c.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_leaves_the_cluster_and_starts_alone() {
    let dir = TmpDir::new("reset");
    let nodes = cluster(&dir, 3).await;
    let mut me = Node::new(id(9), "127.0.0.1".into(), 7002, nodes[2].bus_addr().port());
    me.config_epoch = 0;
    nodes[2].reset(me).await.unwrap();
    assert_eq!(nodes[2].my_id(), id(9));
    let t = nodes[2].topology();
    assert_eq!(t.nodes.len(), 1);
    assert!(t.nodes.contains_key(&id(9)));
    nodes[2]
        .propose(Change::AddSlots {
            node: id(9),
            slots: vec![(1, 1)],
        })
        .await
        .unwrap();
    // The old group does not see slot 1 and is not disturbed.
    nodes[0].forget(&id(2)).await.unwrap();
    assert!(nodes[0].topology().owner(1).is_none());
    // It can join again.
    nodes[2]
        .meet("127.0.0.1", 7000, nodes[0].bus_addr().port())
        .await
        .unwrap();
    assert!(nodes[0].topology().nodes.contains_key(&id(9)));
    for c in &nodes {
        c.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_leader_is_replaced_quickly() {
    let dir = TmpDir::new("leader");
    let nodes = cluster(&dir, 3).await;
    let all = nodes.clone();
    eventually(5, "a leader", move || leader(&all).is_some()).await;
    let l = leader(&nodes).unwrap();
    nodes[l].shutdown().await;
    let rest: Vec<_> = nodes
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != l)
        .map(|(_, c)| c.clone())
        .collect();
    let t0 = Instant::now();
    let r = rest.clone();
    eventually(5, "a new leader", move || leader(&r).is_some()).await;
    let took = t0.elapsed();
    assert!(
        took < Duration::from_millis(2500),
        "new leader after {took:?}"
    );
    let other = if leader(&rest) == Some(0) { 1 } else { 0 };
    let ch = Change::BumpEpoch {
        node: rest[other].my_id(),
    };
    rest[other].propose(ch).await.unwrap();
    for c in &rest {
        c.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_isolated_node_loses_the_quorum_and_the_others_keep_it() {
    let dir = TmpDir::new("isolate");
    let nodes = cluster(&dir, 3).await;
    let all = nodes.clone();
    eventually(5, "quorum everywhere", move || {
        all.iter().all(|c| c.in_quorum())
    })
    .await;
    nodes[1].set_isolated(true);
    let t0 = Instant::now();
    let n1 = nodes[1].clone();
    eventually(5, "node 1 out of quorum", move || !n1.in_quorum()).await;
    assert!(t0.elapsed() < Duration::from_millis(NT / 2 + 700));
    assert!(nodes[0].in_quorum() && nodes[2].in_quorum());
    // The majority still commits.
    let (a, b) = (nodes[0].clone(), nodes[2].clone());
    eventually(5, "a leader in the majority", move || {
        a.is_leader() || b.is_leader()
    })
    .await;
    nodes[0]
        .propose(Change::BumpEpoch { node: id(0) })
        .await
        .unwrap();
    nodes[1].set_isolated(false);
    let n1 = nodes[1].clone();
    eventually(5, "node 1 back", move || n1.in_quorum()).await;
    for c in &nodes {
        c.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_from_the_config_file_keeps_id_and_topology() {
    let dir = TmpDir::new("restart");
    let file = dir.0.join("nodes.conf");
    let bind: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let c = start_with(file.clone(), 1, 7001, bind).await;
    c.propose(Change::AddSlots {
        node: id(1),
        slots: vec![(0, 99)],
    })
    .await
    .unwrap();
    let before = c.topology();
    c.shutdown().await;
    drop(c);
    // Another id offered: the file's wins; a new port is recorded.
    let c = start_with(file, 7, 7005, bind).await;
    assert_eq!(c.my_id(), id(1));
    assert_eq!(c.topology().owner(50).unwrap().id, id(1));
    assert_eq!(c.topology().nodes.len(), before.nodes.len());
    let c2 = c.clone();
    eventually(5, "new port recorded", move || {
        c2.topology().nodes[&id(1)].port == 7005
    })
    .await;
    c.propose(Change::BumpEpoch { node: id(1) }).await.unwrap();
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_requests_reach_the_member_handler() {
    let dir = TmpDir::new("app");
    let nodes = cluster(&dir, 2).await;
    nodes[1].set_request_handler(Arc::new(|mut v: Vec<u8>| {
        Box::pin(async move {
            v.reverse();
            v
        })
    }));
    let r = nodes[0]
        .request(&id(1), vec![1, 2, 3], Duration::from_secs(2))
        .await
        .unwrap();
    assert_eq!(r, vec![3, 2, 1]);
    assert!(!nodes[0].links().is_empty());
    let p = nodes[0].peers();
    assert!(p.contains_key(&id(1)));
    for c in &nodes {
        c.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compacted_log_reaches_a_new_member_as_a_snapshot() {
    let dir = TmpDir::new("snap");
    let nodes = cluster(&dir, 2).await;
    for _ in 0..230 {
        let ch = Change::SetFailed {
            id: id(1),
            failed: false,
        };
        nodes[1].propose(ch).await.unwrap();
    }
    let file = dir.0.join("nodes-0.conf");
    let p = Persisted::load(&file).unwrap();
    assert!(p.snapshot.is_some(), "a snapshot after 200 entries");
    assert!(p.log.len() < 200, "log compacted: {} entries", p.log.len());
    let late = start_node(&dir, 5, 7005).await;
    late.meet("127.0.0.1", 7000, nodes[0].bus_addr().port())
        .await
        .unwrap();
    assert_eq!(late.topology().nodes.len(), 3);
    late.propose(Change::BumpEpoch { node: id(5) })
        .await
        .unwrap();
    late.shutdown().await;
    for c in &nodes {
        c.shutdown().await;
    }
}
