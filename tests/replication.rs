//! Replication, primary side: Debian's redis-server 7.0.15 as a replica of a shoal primary
//! syncs (full resync from a fork-less snapshot), follows the stream under writes, resumes with
//! a partial resync after its link is cut, and is counted by WAIT and INFO replication.

mod redis_peer;
mod support;

use redis_peer::{assert_same, contents, Redis};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use support::*;

const DBS: &[u64] = &[0, 1, 5];

fn raw_to(port: u16) -> Raw {
    let s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    Raw { s }
}

/// Waits until the replica on `replica` has applied everything the primary on `primary` fed.
fn wait_caught_up(primary: &mut Raw, replica: &mut Raw) {
    assert!(
        poll_until(Duration::from_secs(30), || {
            let want = primary.info_field("replication", "master_repl_offset");
            replica.info_field("replication", "master_link_status") == "up"
                && replica.info_field("replication", "slave_repl_offset") == want
        }),
        "the replica did not catch up"
    );
}

/// A shoal primary started with `args` and a redis-server replica of it, caught up after a
/// first write; with raw connections to both.
fn primary_and_replica(args: &[&str]) -> (Server, Redis, Raw, Raw) {
    let srv = Server::start(args);
    let port = srv.port.to_string();
    let replica = Redis::start_with(None, &["--replicaof", "127.0.0.1", &port]);
    let mut p = srv.raw();
    let mut r = raw_to(replica.port);
    p.ex("SET a 1", OK);
    wait_caught_up(&mut p, &mut r);
    (srv, replica, p, r)
}

/// Writes of every type from a thread until `stop`; returns the number of rounds.
fn writer(port: u16, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        let mut c = raw_to(port);
        let mut i = 0u64;
        while !stop.load(Ordering::Relaxed) && i < 100_000 {
            c.expect(&["SET", &format!("w:{i}"), &i.to_string()], OK);
            c.call(&["INCR", "w:counter"]);
            c.call(&["RPUSH", "w:list", &i.to_string()]);
            c.call(&["HSET", "w:hash", &format!("f{}", i % 50), &i.to_string()]);
            c.call(&["ZADD", "w:zset", &i.to_string(), &format!("m{}", i % 40)]);
            c.call(&["SADD", "w:set", &format!("s{}", i % 30)]);
            c.call(&["XADD", "w:stream", "*", "i", &i.to_string()]);
            c.call(&["EXPIRE", &format!("w:{i}"), "1000"]);
            if i % 10 == 0 {
                c.call(&["SPOP", "w:set"]);
                c.call(&["LPOP", "w:list"]);
            }
            i += 1;
        }
        i
    })
}

#[test]
fn a_redis_replica_syncs_and_follows_a_shoal_primary_under_writes() {
    if against_redis() || !redis_peer::have_redis() {
        return;
    }
    let srv = Server::start(&["--save", ""]);
    redis_peer::populate(&mut srv.client());
    let stop = Arc::new(AtomicBool::new(false));
    let w = writer(srv.port, stop.clone());
    let port = srv.port.to_string();
    let replica = Redis::start_with(None, &["--replicaof", "127.0.0.1", &port]);
    let mut p = srv.raw();
    let mut r = raw_to(replica.port);
    assert!(poll_until(Duration::from_secs(30), || r
        .info_field("replication", "master_link_status")
        == "up"));
    // Let the stream carry writes for a while after the sync.
    let before = p.info_field("replication", "master_repl_offset");
    assert!(poll_until(Duration::from_secs(30), || p
        .info_field("replication", "master_repl_offset")
        .parse::<u64>()
        .unwrap()
        > before.parse::<u64>().unwrap() + 20_000));
    stop.store(true, Ordering::Relaxed);
    // At least 20 KB of the stream (about 50 rounds of writes) went out after the sync.
    let rounds = w.join().unwrap();
    assert!(rounds >= 40, "{rounds}");
    wait_caught_up(&mut p, &mut r);
    assert_same(
        &contents(&mut replica.client(), DBS),
        &contents(&mut srv.client(), DBS),
    );
    let info = p.call(&["INFO", "replication"]);
    assert!(
        info.contains("role:master\r\nconnected_slaves:1\r\n"),
        "{info}"
    );
    assert!(info.contains(&format!(
        "slave0:ip=127.0.0.1,port={},state=online",
        replica.port
    )));
    assert_eq!(p.info_field("stats", "sync_full"), "1");
    assert_eq!(p.info_field("replication", "repl_backlog_active"), "1");
}

#[test]
fn a_cut_link_resumes_with_a_partial_resync() {
    if against_redis() || !redis_peer::have_redis() {
        return;
    }
    let (srv, replica, mut p, mut r) = primary_and_replica(&["--save", ""]);
    let stop = Arc::new(AtomicBool::new(false));
    let w = writer(srv.port, stop.clone());
    assert!(poll_until(Duration::from_secs(10), || p
        .call(&["GET", "w:counter"])
        != NIL));
    p.ex("CLIENT KILL TYPE replica", &int(1));
    assert!(poll_until(Duration::from_secs(30), || p
        .info_field("stats", "sync_partial_ok")
        == "1"));
    stop.store(true, Ordering::Relaxed);
    w.join().unwrap();
    wait_caught_up(&mut p, &mut r);
    assert_eq!(
        p.info_field("stats", "sync_full"),
        "1",
        "no second full sync"
    );
    assert_same(
        &contents(&mut replica.client(), DBS),
        &contents(&mut srv.client(), DBS),
    );
}

#[test]
fn a_replica_that_falls_out_of_the_backlog_syncs_again_fully() {
    if against_redis() || !redis_peer::have_redis() {
        return;
    }
    // A 16 KB backlog and no pinning beyond it: a replica cut off while 100 KB are written
    // cannot continue and gets a new full sync.
    let (srv, _replica, mut p, mut r) = primary_and_replica(&[
        "--save",
        "",
        "--repl-backlog-size",
        "16kb",
        "--client-output-buffer-limit",
        "replica 16kb 0 0",
    ]);
    let port = srv.port.to_string();
    // Stop the replica's link from the replica side, write past the backlog, restart it.
    r.ex("REPLICAOF NO ONE", OK);
    let big = "x".repeat(1000);
    for i in 0..100 {
        p.expect(&["SET", &format!("big{i}"), &big], OK);
    }
    r.expect(&["REPLICAOF", "127.0.0.1", &port], OK);
    wait_caught_up(&mut p, &mut r);
    assert_eq!(p.info_field("stats", "sync_full"), "2");
    assert_eq!(p.info_field("stats", "sync_partial_err"), "1");
    r.ex("DBSIZE", &int(101));
}

#[test]
fn wait_counts_the_replicas_that_acknowledged_this_clients_writes() {
    if against_redis() || !redis_peer::have_redis() {
        return;
    }
    let srv = Server::start(&["--save", ""]);
    let mut p = srv.raw();
    // No replica: WAIT 0 answers at once, WAIT 1 after its timeout with 0.
    p.ex("WAIT 0 0", &int(0));
    p.ex("SET k v", OK);
    let t = std::time::Instant::now();
    p.ex("WAIT 1 200", &int(0));
    assert!(t.elapsed() >= Duration::from_millis(190));
    let port = srv.port.to_string();
    let replica = Redis::start_with(None, &["--replicaof", "127.0.0.1", &port]);
    let mut r = raw_to(replica.port);
    wait_caught_up(&mut p, &mut r);
    p.ex("SET k v2", OK);
    // Acknowledged well before the 10 s timeout (GETACK asks for it at once).
    let t = std::time::Instant::now();
    p.ex("WAIT 1 10000", &int(1));
    assert!(t.elapsed() < Duration::from_secs(5));
    r.ex("GET k", &bulk("v2"));
    // Two replicas wanted, one there: the count after the timeout.
    p.ex("WAIT 2 100", &int(1));
    // Inside MULTI WAIT does not block.
    p.ex("MULTI", OK);
    p.ex("WAIT 5 0", "+QUEUED\r\n");
    assert_eq!(p.call(&["EXEC"]), "*1\r\n:1\r\n");
    p.ex(
        "WAIT -1 x",
        "-ERR timeout is not an integer or out of range\r\n",
    );
    p.ex(
        "WAIT x 1",
        "-ERR value is not an integer or out of range\r\n",
    );
    p.ex("WAIT 1 -1", "-ERR timeout is negative\r\n");
}

#[test]
fn min_replicas_to_write_refuses_writes_without_a_good_replica() {
    if against_redis() || !redis_peer::have_redis() {
        return;
    }
    let srv = Server::start(&["--save", "", "--min-replicas-to-write", "1"]);
    let mut p = srv.raw();
    p.ex(
        "SET k v",
        "-NOREPLICAS Not enough good replicas to write.\r\n",
    );
    p.ex("GET k", NIL);
    assert_eq!(p.info_field("replication", "min_slaves_good_slaves"), "0");
    let port = srv.port.to_string();
    let replica = Redis::start_with(None, &["--replicaof", "127.0.0.1", &port]);
    let mut r = raw_to(replica.port);
    assert!(poll_until(Duration::from_secs(30), || p
        .info_field("replication", "min_slaves_good_slaves")
        == "1"));
    p.ex("SET k v", OK);
    wait_caught_up(&mut p, &mut r);
    r.ex("GET k", &bulk("v"));
    p.ex("CONFIG SET min-replicas-to-write 2", OK);
    p.ex(
        "SET k v",
        "-NOREPLICAS Not enough good replicas to write.\r\n",
    );
}

#[test]
fn keys_that_expire_on_the_primary_are_deleted_on_the_replica() {
    if against_redis() || !redis_peer::have_redis() {
        return;
    }
    let (_srv, _replica, mut p, mut r) = primary_and_replica(&["--save", ""]);
    p.ex("SET gone v PX 200", OK);
    p.ex("SET kept v", OK);
    wait_caught_up(&mut p, &mut r);
    r.ex("DBSIZE", &int(3));
    // A Redis replica never expires keys itself: only the primary's DEL removes them.
    assert!(
        poll_until(Duration::from_secs(10), || r.call(&["DBSIZE"]) == int(2)),
        "the replica kept the expired key"
    );
    r.ex("EXISTS kept", &int(1));
    r.ex("DBSIZE", &int(2));
}

/// Stops the redis-server replica of a primary started with `args` (SIGSTOP), writes `mb` MB
/// while it does not read, runs `while_stopped`, resumes it (SIGCONT), then checks that its
/// link was cut and that it synced fully again to equal contents.
fn stall_replica(args: &[&str], mb: usize, while_stopped: impl FnOnce(&mut Raw)) {
    let (srv, replica, mut p, mut r) = primary_and_replica(args);
    let signal = |sig: &str| {
        let ok = std::process::Command::new("kill")
            .args([sig, &replica.pid().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill {sig}");
    };
    signal("-STOP");
    let big = "y".repeat(100_000);
    for i in 0..mb * 10 {
        p.expect(&["SET", &format!("big{}", i % 20), &big], OK);
    }
    while_stopped(&mut p);
    signal("-CONT");
    assert!(
        poll_until(Duration::from_secs(30), || p
            .info_field("stats", "sync_full")
            == "2"),
        "no second full sync"
    );
    wait_caught_up(&mut p, &mut r);
    assert_same(
        &contents(&mut replica.client(), DBS),
        &contents(&mut srv.client(), DBS),
    );
}

#[test]
fn a_replica_that_stops_reading_is_cut_off_and_syncs_again() {
    if against_redis() || !redis_peer::have_redis() {
        return;
    }
    // What a lagging replica has not read is kept for it up to the hard limit only: 20 MB is
    // far more than the socket buffers and the 256 KB limit.
    let args = [
        "--save",
        "",
        "--repl-backlog-size",
        "64kb",
        "--client-output-buffer-limit",
        "replica 256kb 0 0",
    ];
    stall_replica(&args, 20, |_| {});
}

#[test]
fn a_replica_over_the_soft_output_limit_for_its_seconds_is_cut_off() {
    if against_redis() || !redis_peer::have_redis() {
        return;
    }
    // No hard limit; soft: 256 KB for 1 s. The link is cut while the replica is stopped.
    let args = [
        "--save",
        "",
        "--client-output-buffer-limit",
        "replica 0 256kb 1",
    ];
    stall_replica(&args, 10, |p| {
        let cut = poll_until(Duration::from_secs(15), || {
            p.info_field("replication", "connected_slaves") == "0"
        });
        assert!(cut, "the replica stayed connected");
    });
}

#[test]
fn the_backlog_is_freed_after_repl_backlog_ttl_without_replicas() {
    if against_redis() || !redis_peer::have_redis() {
        return;
    }
    let (_srv, replica, mut p, _r) =
        primary_and_replica(&["--save", "", "--repl-backlog-ttl", "1"]);
    assert_eq!(p.info_field("replication", "repl_backlog_active"), "1");
    let id = p.info_field("replication", "master_replid");
    drop(replica);
    assert!(poll_until(Duration::from_secs(15), || p
        .info_field("replication", "repl_backlog_active")
        == "0"));
    assert_ne!(p.info_field("replication", "master_replid"), id);
    assert_eq!(p.info_field("replication", "second_repl_offset"), "-1");
}

#[test]
fn a_replica_link_that_sends_garbage_is_closed() {
    if against_redis() {
        return;
    }
    let srv = Server::start(&["--save", ""]);
    let mut c = srv.raw();
    c.ex("SET k v", OK);
    let mut link = srv.raw();
    link.send(b"PSYNC ? -1\r\n");
    // Not a REPLCONF ACK, not even RESP: the primary ends the link after the RDB.
    link.send(b"*1\r\n$x\r\n");
    let (got, closed) = link.read_to_close();
    assert!(closed, "the link stayed open");
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("+FULLRESYNC "), "{text}");
    assert!(got.windows(5).any(|w| w == b"REDIS"), "an RDB was sent");
    c.ex("PING", "+PONG\r\n");
    assert_eq!(c.info_field("replication", "connected_slaves"), "0");
}
