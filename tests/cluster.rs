//! Cluster mode seen from the outside: six nodes formed by `redis-cli --cluster create`,
//! checked, used by `redis-cli -c` and `redis-benchmark --cluster`, the CLUSTER command
//! shapes, CROSSSLOT / READONLY / SELECT rules, and scaling out and in under a client load
//! (`add-node`, `reshard`, `rebalance`, `del-node`).
//!
//! Written against Redis 7.0.15 (`SHOAL_TEST_AGAINST=redis`); the same tests run against
//! shoal-server. Expectations follow <https://redis.io/docs/reference/cluster-spec/> and the
//! CLUSTER command pages.

mod support;

use std::time::{Duration, Instant};
use support::cluster::{error_summary, get_many, set_many, slot, Cluster, Load, NodeLine};
use support::poll_until;

const NODE_TIMEOUT_MS: u64 = 5000;

/// The `{tag}` of some key whose slot is owned by node `primary` (as node 0 sees it).
fn tag_on(c: &Cluster, primary: usize) -> String {
    let lines = c.nodes[0].nodes().unwrap();
    let me = lines
        .iter()
        .find(|l| l.port == c.nodes[primary].port)
        .unwrap();
    (0..100_000)
        .map(|i| format!("t{i}"))
        .find(|t| me.owns(slot(t)))
        .expect("a tag in the node's slots")
}

#[test]
fn six_nodes_are_created_checked_and_report_their_shape_in_cluster_commands() {
    let c = Cluster::create_new(6, 1, NODE_TIMEOUT_MS);
    let (ok, text) = c.check(0);
    assert!(ok, "{text}");
    assert!(text.contains("[OK] All 16384 slots covered"), "{text}");
    assert!(
        text.contains("[OK] All nodes agree about slots configuration"),
        "{text}"
    );

    // CLUSTER INFO on every node.
    for n in &c.nodes {
        assert_eq!(n.cluster_info("cluster_state").as_deref(), Some("ok"));
        assert_eq!(
            n.cluster_info("cluster_slots_assigned").as_deref(),
            Some("16384")
        );
        assert_eq!(n.cluster_info("cluster_slots_ok").as_deref(), Some("16384"));
        assert_eq!(n.cluster_info("cluster_known_nodes").as_deref(), Some("6"));
        assert_eq!(n.cluster_info("cluster_size").as_deref(), Some("3"));
    }

    // CLUSTER NODES: six lines, one `myself`, addresses ip:port@port+10000, 3 + 3 roles.
    for n in &c.nodes {
        let text = n.cli(&["CLUSTER", "NODES"]);
        let lines: Vec<NodeLine> = text.lines().map(|l| NodeLine::parse(l).unwrap()).collect();
        assert_eq!(lines.len(), 6, "{text}");
        let me: Vec<_> = lines.iter().filter(|l| l.has_flag("myself")).collect();
        assert_eq!(me.len(), 1, "{text}");
        assert_eq!(me[0].port, n.port, "{text}");
        for l in &lines {
            assert_eq!(l.ip, "127.0.0.1");
            assert_eq!(l.cport, l.port + 10000, "{}", l.raw);
            assert!(
                l.raw
                    .split_whitespace()
                    .nth(1)
                    .unwrap()
                    .starts_with(&format!("127.0.0.1:{}@{}", l.port, l.port + 10000)),
                "{}",
                l.raw
            );
            assert_eq!(l.id.len(), 40, "{}", l.raw);
            assert_eq!(l.link, "connected", "{}", l.raw);
        }
        let primaries: Vec<_> = lines.iter().filter(|l| l.is_primary()).collect();
        assert_eq!(primaries.len(), 3, "{text}");
        assert_eq!(
            primaries.iter().map(|p| p.slot_count()).sum::<usize>(),
            16384
        );
        for r in lines.iter().filter(|l| l.is_replica()) {
            let m = r.master.as_deref().unwrap();
            assert!(primaries.iter().any(|p| p.id == m), "{text}");
            assert!(r.slots.is_empty());
        }
    }

    // CLUSTER SLOTS: 3 ranges, each [start, end, primary, replica] with nodes as
    // [ip, port, id, metadata]. Redis lists a replica once its replication offset is known
    // (after the first write), so write one key per primary and poll.
    let mut client = c.client().get_connection().unwrap();
    for i in 0..3 {
        let key = format!("{{{}}}k", tag_on(&c, c.primaries(0)[i]));
        let _: () = redis::cmd("SET")
            .arg(&key)
            .arg("v")
            .query(&mut client)
            .unwrap();
    }
    let mut n0 = c.nodes[0].conn();
    let mut last = redis::Value::Nil;
    let complete = poll_until(Duration::from_secs(30), || {
        last = redis::cmd("CLUSTER").arg("SLOTS").query(&mut n0).unwrap();
        matches!(&last, redis::Value::Array(r) if r.len() == 3
            && r.iter().all(|e| matches!(e, redis::Value::Array(v) if v.len() == 4)))
    });
    assert!(complete, "CLUSTER SLOTS: {last:?}");
    let ranges: Vec<redis::Value> = redis::from_redis_value(&last).unwrap();
    let mut covered = 0;
    for r in &ranges {
        let r: Vec<redis::Value> = redis::from_redis_value(r).unwrap();
        let (a, b): (u16, u16) = (
            redis::from_redis_value(&r[0]).unwrap(),
            redis::from_redis_value(&r[1]).unwrap(),
        );
        covered += (b - a) as usize + 1;
        for node in &r[2..] {
            let node: Vec<redis::Value> = redis::from_redis_value(node).unwrap();
            assert_eq!(node.len(), 4, "{node:?}");
            let ip: String = redis::from_redis_value(&node[0]).unwrap();
            let port: u16 = redis::from_redis_value(&node[1]).unwrap();
            let id: String = redis::from_redis_value(&node[2]).unwrap();
            assert_eq!(ip, "127.0.0.1");
            assert_eq!(id, c.id(c.index_of_port(port)));
        }
    }
    assert_eq!(covered, 16384);

    // CLUSTER SHARDS: 3 shards of {slots, nodes}, each node with these fields.
    let shards: Vec<redis::Value> = redis::cmd("CLUSTER").arg("SHARDS").query(&mut n0).unwrap();
    assert_eq!(shards.len(), 3, "{shards:?}");
    let mut roles = Vec::new();
    for s in &shards {
        let s: std::collections::HashMap<String, redis::Value> =
            redis::from_redis_value(s).unwrap();
        let slots: Vec<u16> = redis::from_redis_value(&s["slots"]).unwrap();
        assert!(!slots.is_empty() && slots.len() % 2 == 0, "{slots:?}");
        let nodes: Vec<redis::Value> = redis::from_redis_value(&s["nodes"]).unwrap();
        assert_eq!(nodes.len(), 2, "{nodes:?}");
        for node in &nodes {
            let f: std::collections::HashMap<String, redis::Value> =
                redis::from_redis_value(node).unwrap();
            for field in [
                "id",
                "port",
                "ip",
                "endpoint",
                "role",
                "replication-offset",
                "health",
            ] {
                assert!(f.contains_key(field), "{field} missing from {f:?}");
            }
            roles.push(redis::from_redis_value::<String>(&f["role"]).unwrap());
        }
    }
    roles.sort();
    assert_eq!(
        roles,
        ["master", "master", "master", "replica", "replica", "replica"]
    );

    // CROSSSLOT for keys of two slots, on any node; a hash tag puts them in one slot.
    assert_ne!(slot("a"), slot("b"));
    assert_eq!(
        c.nodes[0].cli(&["MSET", "a", "1", "b", "2"]),
        "CROSSSLOT Keys in request don't hash to the same slot"
    );
    let _: () = redis::cmd("MSET")
        .arg(&["{t}a", "1", "{t}b", "2"])
        .query(&mut client)
        .unwrap();
    let got: Vec<String> = redis::cmd("MGET")
        .arg(&["{t}a", "{t}b"])
        .query(&mut client)
        .unwrap();
    assert_eq!(got, ["1", "2"]);

    // SELECT other than 0 is refused.
    assert_eq!(
        c.nodes[0].cli(&["SELECT", "1"]),
        "ERR SELECT is not allowed in cluster mode"
    );
}

#[test]
fn a_replica_serves_reads_after_readonly_and_redirects_without_it() {
    let c = Cluster::create_new(6, 1, NODE_TIMEOUT_MS);
    let p = c.primary_of_slot(0, slot("{r}key"));
    let r = c.replicas_of(0, p)[0];
    let mut pc = c.nodes[p].conn();
    let _: () = redis::cmd("SET")
        .arg("{r}key")
        .arg("hello")
        .query(&mut pc)
        .unwrap();
    let acked: i64 = redis::cmd("WAIT").arg(1).arg(5000).query(&mut pc).unwrap();
    assert_eq!(acked, 1);

    let mut raw = support::Raw::connect(c.nodes[r].port);
    let s = slot("{r}key");
    raw.expect(
        &["GET", "{r}key"],
        &support::err(&format!("MOVED {s} {}", c.nodes[p].addr())),
    );
    raw.expect(&["READONLY"], support::OK);
    raw.expect(&["GET", "{r}key"], &support::bulk("hello"));
    // A write still goes to the primary.
    raw.expect(
        &["SET", "{r}key", "x"],
        &support::err(&format!("MOVED {s} {}", c.nodes[p].addr())),
    );
    raw.expect(&["READWRITE"], support::OK);
    raw.expect(
        &["GET", "{r}key"],
        &support::err(&format!("MOVED {s} {}", c.nodes[p].addr())),
    );
}

#[test]
fn redis_cli_c_follows_moved_and_redis_benchmark_runs_against_the_cluster() {
    let c = Cluster::create_new(6, 1, NODE_TIMEOUT_MS);
    // Keys of different slots, asked through one node: redis-cli -c follows the MOVED.
    let via = c.nodes[0].port.to_string();
    let keys = ["apple", "banana", "cherry", "{x}1", "zebra", "k:42"];
    let mut owners = std::collections::HashSet::new();
    for k in keys {
        owners.insert(c.primary_of_slot(0, slot(k)));
        let out = support::cluster::run_tool(
            "redis-cli",
            &["-c", "-p", &via, "SET", k, &format!("val-{k}")],
            Duration::from_secs(30),
        );
        assert_eq!(out.text.lines().last(), Some("OK"), "SET {k}: {}", out.text);
    }
    assert!(owners.len() >= 2, "the keys should span primaries");
    for k in keys {
        let out = support::cluster::run_tool(
            "redis-cli",
            &["-c", "-p", &via, "GET", k],
            Duration::from_secs(30),
        );
        assert_eq!(
            out.text.lines().last(),
            Some(format!("val-{k}").as_str()),
            "GET {k}: {}",
            out.text
        );
    }
    // Without -c the owner's MOVED comes back.
    let foreign = keys
        .iter()
        .find(|k| c.primary_of_slot(0, slot(k)) != 0)
        .unwrap();
    let moved = c.nodes[0].cli(&["GET", foreign]);
    assert!(
        moved.starts_with(&format!("MOVED {} ", slot(foreign))),
        "{moved}"
    );

    let out = support::cluster::run_tool(
        "redis-benchmark",
        &[
            "--cluster",
            "-p",
            &via,
            "-t",
            "set,get",
            "-n",
            "20000",
            "-q",
        ],
        Duration::from_secs(120),
    );
    assert!(out.ok(), "redis-benchmark: {:?}\n{}", out.status, out.text);
    let text = out.text.replace('\r', "\n");
    assert!(
        text.contains("SET: ") && text.contains("GET: "),
        "redis-benchmark output: {text}"
    );
    assert!(
        !text.to_lowercase().contains("error"),
        "redis-benchmark output: {text}"
    );
    assert!(
        text.lines().any(|l| l.contains("requests per second")),
        "{text}"
    );
    c.wait_check_ok(0, Duration::from_secs(30));
}

/// Adds a primary and a replica, reshards 2000 slots (of the 100,000 keys) to the new primary,
/// then empties it again with `rebalance --cluster-weight <new>=0` and removes it and its
/// replica, while a cluster client writes and reads its own keys: no operation fails and every
/// key survives.
#[test]
fn scaling_out_and_in_under_load_loses_no_key_and_fails_no_operation() {
    let started = Instant::now();
    let mut c = Cluster::create_new(6, 1, NODE_TIMEOUT_MS);
    let load = Load::start(c.client(), "scale");

    // 100,000 keys, pipelined through the cluster client.
    let mut conn = c.client().get_connection().unwrap();
    let pairs: Vec<(String, String)> = (0..100_000)
        .map(|i| (format!("bulk:{i}"), format!("value-{i}")))
        .collect();
    set_many(&mut conn, &pairs);
    let seed = c.nodes[0].addr();
    eprintln!("loaded 100000 keys at {:?}", started.elapsed());

    // Scale out: a new primary and a replica of it, then 2000 slots moved to it.
    let np = c.start_node();
    let nr = c.start_node();
    c.add_node(np, 0, None);
    c.add_node(nr, 0, Some(np));
    let np_id = c.id(np);
    c.wait_check_ok(0, Duration::from_secs(60));

    c.cluster_cli(
        "reshard",
        &[
            &seed,
            "--cluster-from",
            "all",
            "--cluster-to",
            &np_id,
            "--cluster-slots",
            "2000",
            "--cluster-yes",
        ],
        Duration::from_secs(300),
    );
    c.wait_check_ok(0, Duration::from_secs(60));
    // redis-cli takes a share of the 2000 from each primary, rounded (1999 or 2000 in all).
    let moved = c.nodes[np].myself().unwrap().slot_count();
    assert!((1990..=2000).contains(&moved), "{moved} slots moved");
    eprintln!("resharded {moved} slots at {:?}", started.elapsed());

    // Scale in: rebalance the new primary's slots (and keys) onto the others (weight 0), then
    // remove it and its replica.
    let weight = format!("{np_id}=0");
    c.cluster_cli(
        "rebalance",
        &[&seed, "--cluster-weight", &weight],
        Duration::from_secs(300),
    );
    c.wait_check_ok(0, Duration::from_secs(60));
    assert_eq!(c.nodes[np].myself().unwrap().slot_count(), 0);
    eprintln!("rebalanced its slots away at {:?}", started.elapsed());
    c.del_node(nr, 0);
    c.del_node(np, 0);
    c.wait_check_ok(0, Duration::from_secs(60));
    eprintln!(
        "removed a primary and its replica at {:?}",
        started.elapsed()
    );

    // Let the load run a moment on the final layout, then check everything.
    std::thread::sleep(Duration::from_millis(500));
    let report = load.finish();
    assert!(
        report.errors.is_empty() && report.wrong == 0,
        "load failed: {}",
        error_summary(&report.errors)
    );
    assert!(report.ok > 100, "the load barely ran: {} rounds", report.ok);
    let mut conn = c.client().get_connection().unwrap();
    let keys: Vec<String> = pairs.iter().map(|(k, _)| k.clone()).collect();
    let got = get_many(&mut conn, &keys);
    let lost: Vec<_> = pairs
        .iter()
        .zip(&got)
        .filter(|((_, v), g)| g.as_deref() != Some(v.as_str()))
        .map(|((k, _), _)| k)
        .take(10)
        .collect();
    assert!(lost.is_empty(), "keys lost or changed, first: {lost:?}");
    let missing = Load::verify("scale", &report, &mut conn);
    assert!(
        missing.is_empty(),
        "load keys lost: {:?}",
        &missing[..missing.len().min(10)]
    );
    let total: usize = c
        .running()
        .filter(|n| n.myself().is_some_and(|m| m.is_primary()))
        .map(|n| n.cli(&["DBSIZE"]).parse::<usize>().unwrap())
        .sum();
    assert_eq!(total, 100_000 + report.acked.len());
    eprintln!(
        "scaling test: {} load rounds ({} recovered after an I/O error), {} keys, {:?}",
        report.ok,
        report.recovered,
        total,
        started.elapsed()
    );
}

/// A slot without keys moved back and forth between two primaries the way `redis-cli --cluster
/// reshard` ends each move: `SETSLOT IMPORTING` on the target, `MIGRATING` on the source, then
/// `SETSLOT NODE` on the target and then on the source. Right after the target's OK it serves
/// the slot without ASKING. Right after the source's OK, shoal's source answers `-ASK` to the
/// target for a second, then `-MOVED`; Redis answers `-MOVED` at once. See
/// `cluster::HANDOFF_GRACE`: a source that is ahead of its target must not send a client back
/// to a target that would send it back again.
#[test]
fn a_moved_slot_is_served_by_its_new_owner_at_once_and_handed_off_with_ask() {
    let c = Cluster::create_new(3, 0, NODE_TIMEOUT_MS);
    let (a, b) = (0, 1);
    let key = format!("{{{}}}k", tag_on(&c, a));
    let s = slot(&key).to_string();
    let mut conns = [
        support::Raw::connect(c.nodes[a].port),
        support::Raw::connect(c.nodes[b].port),
    ];
    let ids = [c.id(a), c.id(b)];
    let addrs = [c.nodes[a].addr(), c.nodes[b].addr()];
    let redirect = if support::against_redis() {
        "MOVED"
    } else {
        "ASK"
    };
    for round in 0..40 {
        let (src, dst) = if round % 2 == 0 { (0, 1) } else { (1, 0) };
        conns[dst].expect(
            &["CLUSTER", "SETSLOT", &s, "IMPORTING", &ids[src]],
            support::OK,
        );
        conns[src].expect(
            &["CLUSTER", "SETSLOT", &s, "MIGRATING", &ids[dst]],
            support::OK,
        );
        conns[dst].expect(&["CLUSTER", "SETSLOT", &s, "NODE", &ids[dst]], support::OK);
        conns[dst].expect(&["GET", &key], support::NIL);
        conns[src].expect(&["CLUSTER", "SETSLOT", &s, "NODE", &ids[dst]], support::OK);
        conns[src].expect(
            &["GET", &key],
            &support::err(&format!("{redirect} {s} {}", addrs[dst])),
        );
        // Redis's nodes then agree by gossip, which a quick move back can race: wait for it.
        let port = c.nodes[[a, b][dst]].port;
        let agreed = |i: usize| {
            c.nodes[i]
                .nodes()
                .is_some_and(|ls| ls.iter().any(|l| l.port == port && l.owns(slot(&key))))
        };
        assert!(
            support::poll_until(Duration::from_secs(10), || agreed(a) && agreed(b)),
            "round {round}: the nodes do not agree on the owner\n{}",
            c.dump()
        );
    }
    // The last move went to `a` (round 39: from b to a). After the grace, b answers MOVED.
    let moved = support::err(&format!("MOVED {s} {}", addrs[0]));
    assert!(
        support::poll_until(Duration::from_secs(5), || conns[1].call(&["GET", &key])
            == moved),
        "b still answers {}",
        conns[1].call(&["GET", &key])
    );
    assert!(c.nodes[a].myself().unwrap().owns(slot(&key)));
}
