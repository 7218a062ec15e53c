//! The replica side of replication: shoal follows Debian's redis-server 7.0.15 and another
//! shoal (full resync, then the stream, under a concurrent write load), resumes with a partial
//! resync after its link is killed, keeps the replicated data in its own AOF, refuses writes
//! while a replica and becomes a writable primary with REPLICAOF NO ONE. (A redis-server
//! replica of shoal is in tests/replication.rs.)
//! Every server is a real process on a free loopback port; waits are bounded polls.

mod redis_peer;
mod support;

use redis_peer::{assert_same, contents, have_redis, populate, Redis};
use std::time::Duration;
use support::*;

const DBS: &[u64] = &[0, 1, 5];

/// `field` of `INFO section` on a connection (empty when missing).
fn info(c: &mut redis::Connection, section: &str, field: &str) -> String {
    let text: String = redis::cmd("INFO").arg(section).query(c).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or("")
        .trim()
        .to_string()
}

/// Write number `i` of a mixed load: strings with and without TTLs, counters, lists, hashes,
/// sets, sorted sets, streams, deletions and expiries, in databases 0, 1 and 5.
fn write(c: &mut redis::Connection, i: u64) {
    let db = [0, 1, 5][(i % 3) as usize];
    let k = i % 37;
    let mut p = redis::pipe();
    p.cmd("SELECT").arg(db).ignore();
    match i % 10 {
        0 => p
            .cmd("SET")
            .arg(format!("s{k}"))
            .arg(i)
            .arg("EX")
            .arg(1000 + k),
        1 => p.cmd("INCRBY").arg(format!("n{k}")).arg(i),
        2 => p.cmd("RPUSH").arg(format!("l{k}")).arg(i).arg(i + 1),
        3 => p
            .cmd("HSET")
            .arg(format!("h{k}"))
            .arg(format!("f{i}"))
            .arg(i),
        4 => p.cmd("SADD").arg(format!("set{k}")).arg(i),
        5 => p
            .cmd("ZADD")
            .arg(format!("z{k}"))
            .arg(i as f64 / 3.0)
            .arg(i),
        6 => p.cmd("XADD").arg(format!("x{k}")).arg("*").arg("f").arg(i),
        7 => p.cmd("DEL").arg(format!("s{}", (k + 5) % 37)),
        8 => p.cmd("EXPIRE").arg(format!("l{k}")).arg(500 + i),
        _ => p.cmd("LPOP").arg(format!("l{k}")),
    };
    p.ignore();
    p.cmd("SELECT").arg(0).ignore();
    let _: () = p.query(c).unwrap();
}

/// Waits until the replica applied everything the primary fed (link up, its
/// `slave_repl_offset` equal to the primary's `master_repl_offset`).
#[track_caller]
fn wait_caught_up(primary: &mut redis::Connection, replica: &mut redis::Connection) {
    let mut last = (String::new(), String::new());
    let ok = poll_until(Duration::from_secs(60), || {
        let up = info(replica, "replication", "master_link_status") == "up";
        last = (
            info(primary, "replication", "master_repl_offset"),
            info(replica, "replication", "slave_repl_offset"),
        );
        up && last.0 == last.1
    });
    assert!(
        ok,
        "replica did not catch up: (primary, replica) = {last:?}"
    );
}

#[test]
fn a_shoal_replica_of_redis_server_copies_its_dataset_and_stream() {
    if !have_redis() {
        return;
    }
    // Disk-based sync: the RDB comes as `$<length>` (the shoal primary below sends `$EOF:`).
    let primary = Redis::start_with(None, &["--repl-diskless-sync", "no"]);
    let mut pc = primary.client();
    populate(&mut pc);
    let replica = Server::start(&["--replicaof", "127.0.0.1", &primary.port.to_string()]);
    let mut rc = replica.client();
    for i in 0..300 {
        write(&mut pc, i);
    }
    wait_caught_up(&mut pc, &mut rc);
    assert_eq!(info(&mut rc, "replication", "role"), "slave");
    assert_eq!(
        info(&mut rc, "replication", "master_replid"),
        info(&mut pc, "replication", "master_replid")
    );
    assert_same(&contents(&mut rc, DBS), &contents(&mut pc, DBS));
    let input: u64 = info(&mut rc, "stats", "total_net_repl_input_bytes")
        .parse()
        .unwrap();
    assert!(input > 0);
}

#[test]
fn a_shoal_replica_of_shoal_converges_under_load_and_wait_counts_it() {
    let primary = Server::start(&[]);
    let mut pc = primary.client();
    populate(&mut pc);
    let replica = Server::start(&["--replicaof", "127.0.0.1", &primary.port.to_string()]);
    let mut rc = replica.client();
    let mut wc = primary.client();
    let load = std::thread::spawn(move || {
        for i in 0..3000 {
            write(&mut wc, i);
        }
    });
    load.join().unwrap();
    wait_caught_up(&mut pc, &mut rc);
    assert_same(&contents(&mut rc, DBS), &contents(&mut pc, DBS));
    let _: () = redis::cmd("SET")
        .arg("after")
        .arg("1")
        .query(&mut pc)
        .unwrap();
    let n: i64 = redis::cmd("WAIT").arg(1).arg(5000).query(&mut pc).unwrap();
    assert_eq!(n, 1);
    let v: Option<String> = redis::cmd("GET").arg("after").query(&mut rc).unwrap();
    assert_eq!(v.as_deref(), Some("1"));
    // WAIT is a primary's command.
    let e = replica.raw().call(&["WAIT", "1", "0"]);
    assert!(
        e.starts_with("-ERR WAIT cannot be used with replica instances."),
        "{e}"
    );
}

#[test]
fn a_killed_link_resumes_with_a_partial_resync() {
    let primary = Server::start(&[]);
    let mut pc = primary.client();
    populate(&mut pc);
    let replica = Server::start(&["--replicaof", "127.0.0.1", &primary.port.to_string()]);
    let mut rc = replica.client();
    wait_caught_up(&mut pc, &mut rc);
    let mut wc = primary.client();
    let load = std::thread::spawn(move || {
        for i in 0..2000 {
            write(&mut wc, i);
        }
    });
    let mut admin = primary.raw();
    assert!(poll_until(Duration::from_secs(30), || {
        info(&mut pc, "replication", "master_repl_offset")
            .parse::<u64>()
            .unwrap()
            > 20_000
    }));
    assert_eq!(admin.call(&["CLIENT", "KILL", "TYPE", "replica"]), ":1\r\n");
    load.join().unwrap();
    assert!(
        poll_until(Duration::from_secs(30), || info(
            &mut pc,
            "stats",
            "sync_partial_ok"
        ) == "1"),
        "no partial resync"
    );
    wait_caught_up(&mut pc, &mut rc);
    assert_eq!(info(&mut pc, "stats", "sync_full"), "1");
    assert_eq!(info(&mut pc, "stats", "sync_partial_ok"), "1");
    assert_same(&contents(&mut rc, DBS), &contents(&mut pc, DBS));
}

#[test]
fn a_replica_is_read_only_until_replicaof_no_one() {
    let primary = Server::start(&[]);
    let mut pc = primary.client();
    let _: () = redis::cmd("SET").arg("k").arg("v").query(&mut pc).unwrap();
    let port = primary.port.to_string();
    let replica = Server::start(&["--replicaof", "127.0.0.1", &port]);
    let mut rc = replica.client();
    wait_caught_up(&mut pc, &mut rc);
    let mut r = replica.raw();
    r.expect(&["GET", "k"], &bulk("v"));
    r.expect(
        &["SET", "k", "w"],
        "-READONLY You can't write against a read only replica.\r\n",
    );
    r.expect(
        &["REPLICAOF", "127.0.0.1", &port],
        "+OK Already connected to specified master\r\n",
    );
    r.expect(&["REPLICAOF", "127.0.0.1", "x"], NOT_INT);
    assert_eq!(r.info_field("replication", "slave_read_only"), "1");
    assert_eq!(r.info_field("replication", "master_port"), port);
    let primary_id = info(&mut pc, "replication", "master_replid");
    let offset = r.info_field("replication", "slave_repl_offset");
    r.expect(&["REPLICAOF", "NO", "ONE"], OK);
    assert_eq!(r.info_field("replication", "role"), "master");
    assert_eq!(r.info_field("replication", "master_replid2"), primary_id);
    assert_eq!(
        r.info_field("replication", "second_repl_offset"),
        (offset.parse::<u64>().unwrap() + 1).to_string()
    );
    assert_ne!(r.info_field("replication", "master_replid"), primary_id);
    r.expect(&["SET", "k", "w"], OK);
    r.expect(&["GET", "k"], &bulk("w"));
    // The old primary's writes no longer arrive.
    let _: () = redis::cmd("SET").arg("k2").arg("v").query(&mut pc).unwrap();
    r.expect(&["EXISTS", "k2"], &int(0));
}

#[test]
fn a_replica_hides_expired_keys_but_leaves_their_deletion_to_the_primary() {
    let primary = Server::start(&[]);
    let mut pc = primary.client();
    let replica = Server::start(&["--replicaof", "127.0.0.1", &primary.port.to_string()]);
    let mut rc = replica.client();
    wait_caught_up(&mut pc, &mut rc);
    // Stop the primary's own expiry so it never sends the DEL.
    let _: () = redis::cmd("DEBUG")
        .arg("SET-ACTIVE-EXPIRE")
        .arg(0)
        .query(&mut pc)
        .unwrap();
    let _: () = redis::cmd("SET")
        .arg("gone")
        .arg("v")
        .arg("PX")
        .arg(50)
        .query(&mut pc)
        .unwrap();
    wait_caught_up(&mut pc, &mut rc);
    let mut r = replica.raw();
    assert!(poll_until(Duration::from_secs(10), || r
        .call(&["GET", "gone"])
        == NIL));
    // Still held (DBSIZE counts it), as on a Redis replica, until the primary deletes it.
    r.expect(&["DBSIZE"], &int(1));
    let _: i64 = redis::cmd("EXISTS").arg("gone").query(&mut pc).unwrap();
    wait_caught_up(&mut pc, &mut rc);
    assert!(poll_until(Duration::from_secs(10), || r.call(&["DBSIZE"]) == int(0)));
}

#[test]
fn a_replica_keeps_what_it_replicates_in_its_own_aof() {
    let primary = Server::start(&["--save", ""]);
    let mut pc = primary.client();
    for i in 0..300 {
        write(&mut pc, i);
    }
    let dir = TempDir::new("replica-aof");
    let port = primary.port.to_string();
    let mut replica = Server::start_in(
        &dir.0,
        &[
            "--save",
            "",
            "--appendonly",
            "yes",
            "--replicaof",
            "127.0.0.1",
            &port,
        ],
    );
    let mut rc = replica.client();
    wait_caught_up(&mut pc, &mut rc);
    for i in 300..600 {
        write(&mut pc, i);
    }
    wait_caught_up(&mut pc, &mut rc);
    // The AOF was rewritten from the synced data, and the stream appended after it.
    assert!(poll_until(Duration::from_secs(30), || info(
        &mut rc,
        "persistence",
        "aof_rewrite_in_progress"
    ) == "0"
        && info(&mut rc, "persistence", "aof_rewrites") != "0"));
    // Killed as soon as it shows the primary's offset: what it applied is in its AOF by then.
    for i in 600..700 {
        write(&mut pc, i);
    }
    wait_caught_up(&mut pc, &mut rc);
    replica.kill9();
    let want = contents(&mut pc, DBS);
    // Restarted on its own (no replicaof), it loads the replicated data from its AOF.
    let alone = Server::start_in(&dir.0, &["--save", "", "--appendonly", "yes"]);
    assert_same(&contents(&mut alone.client(), DBS), &want);
}

#[test]
fn a_promoted_replica_serves_its_former_peer_with_a_partial_resync() {
    // P with replicas A and B; A is promoted and B follows A: B continues from its offset
    // (A keeps P's history under its second replication id).
    let p = Server::start(&["--save", ""]);
    let port = p.port.to_string();
    let a = Server::start(&["--save", "", "--replicaof", "127.0.0.1", &port]);
    let b = Server::start(&["--save", "", "--replicaof", "127.0.0.1", &port]);
    let (mut pc, mut ac, mut bc) = (p.client(), a.client(), b.client());
    for i in 0..500 {
        write(&mut pc, i);
    }
    wait_caught_up(&mut pc, &mut ac);
    wait_caught_up(&mut pc, &mut bc);
    assert_same(&contents(&mut ac, DBS), &contents(&mut pc, DBS));
    assert_same(&contents(&mut bc, DBS), &contents(&mut pc, DBS));
    let _: () = redis::cmd("REPLICAOF")
        .arg("NO")
        .arg("ONE")
        .query(&mut ac)
        .unwrap();
    let _: () = redis::cmd("REPLICAOF")
        .arg("127.0.0.1")
        .arg(a.port)
        .query(&mut bc)
        .unwrap();
    for i in 500..800 {
        write(&mut ac, i);
    }
    wait_caught_up(&mut ac, &mut bc);
    assert_eq!(info(&mut ac, "stats", "sync_partial_ok"), "1");
    assert_eq!(info(&mut ac, "stats", "sync_full"), "0");
    assert_same(&contents(&mut bc, DBS), &contents(&mut ac, DBS));
}

#[test]
fn masterauth_authenticates_the_link() {
    let p = Server::start(&["--save", "", "--requirepass", "s3cret"]);
    let port = p.port.to_string();
    let r = Server::start(&[
        "--save",
        "",
        "--masterauth",
        "s3cret",
        "--replicaof",
        "127.0.0.1",
        &port,
    ]);
    let mut pc = redis::Client::open(format!("redis://:s3cret@127.0.0.1:{}/", p.port))
        .unwrap()
        .get_connection()
        .unwrap();
    let mut rc = r.client();
    let _: () = redis::cmd("SET").arg("k").arg("v").query(&mut pc).unwrap();
    wait_caught_up(&mut pc, &mut rc);
    let v: String = redis::cmd("GET").arg("k").query(&mut rc).unwrap();
    assert_eq!(v, "v");
}

#[test]
fn a_replica_without_its_primary_refuses_stale_reads_when_told_to() {
    // Nothing listens on the primary's port: the link stays down.
    let gone = free_port().to_string();
    let r = Server::start(&[
        "--save",
        "",
        "--replica-serve-stale-data",
        "no",
        "--replicaof",
        "127.0.0.1",
        &gone,
    ]);
    let mut c = r.raw();
    c.ex(
        "GET k",
        "-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.\r\n",
    );
    assert_eq!(c.info_field("replication", "master_link_status"), "down");
    assert_eq!(
        c.info_field("replication", "master_link_down_since_seconds"),
        "-1",
        "never connected"
    );
    c.ex("CONFIG SET replica-serve-stale-data yes", OK);
    c.ex("GET k", NIL);
}

#[test]
fn the_primary_stream_is_applied_whatever_the_replicas_own_write_checks_say() {
    // min-replicas-to-write on the replica guards its own clients' writes, not its primary's
    // stream (Redis obeys the master client).
    let p = Server::start(&["--save", ""]);
    let port = p.port.to_string();
    let r = Server::start(&[
        "--save",
        "",
        "--min-replicas-to-write",
        "1",
        "--replicaof",
        "127.0.0.1",
        &port,
    ]);
    let (mut pc, mut rc) = (p.client(), r.client());
    for i in 0..50 {
        write(&mut pc, i);
    }
    wait_caught_up(&mut pc, &mut rc);
    assert_same(&contents(&mut rc, DBS), &contents(&mut pc, DBS));
}
