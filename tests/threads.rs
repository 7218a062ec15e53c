//! `io-threads`: several threads serve clients at once and every command stays atomic; the
//! per-client statistics batching of the hot path stays exact.
//!
//! Shoal's threads each execute commands under the shard locks (not Redis's I/O-only threads),
//! so these tests look for lost updates and torn multi-key reads with real concurrent clients.

mod support;
use support::*;

use std::time::{Duration, Instant};

/// `INFO server`'s `field`, as text.
fn info_server(c: &mut redis::Connection, field: &str) -> String {
    let info: String = redis::cmd("INFO").arg("server").query(c).unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("{field} missing from INFO server: {info}"))
        .trim()
        .to_string()
}

#[test]
fn io_threads_is_reported_and_immutable() {
    if against_redis() {
        return; // shoal's INFO field io_threads; Redis needs io-threads > 1 for threads at all
    }
    let s = Server::start(&["--io-threads", "2"]);
    let mut c = s.client();
    assert_eq!(info_server(&mut c, "io_threads"), "2");
    assert_eq!(info_server(&mut c, "io_threads_active"), "1");
    let got: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("io-threads")
        .query(&mut c)
        .unwrap();
    assert_eq!(got, ["io-threads", "2"]);
    let mut raw = s.raw();
    raw.expect(
        &["CONFIG", "SET", "io-threads", "1"],
        "-ERR CONFIG SET failed (possibly related to argument 'io-threads') - can't set immutable config\r\n",
    );

    let one = Server::start(&["--io-threads", "1"]);
    let mut c1 = one.client();
    assert_eq!(info_server(&mut c1, "io_threads"), "1");
    assert_eq!(info_server(&mut c1, "io_threads_active"), "0");
}

#[test]
fn io_threads_out_of_range_stops_the_start() {
    if against_redis() {
        return;
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_shoal-server"))
        .args(["--port", &free_port().to_string(), "--io-threads", "129"])
        .output()
        .expect("run shoal-server");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("'io-threads 129': argument must be between 0 and 128 inclusive"),
        "{err}"
    );
}

/// Eight clients on four threads: pipelined INCRs of one shared key and RPUSHes of their own
/// lists, MULTI/EXEC transfers between keys of two shards, and a reader checking that MGET never
/// sees a transfer half done. Nothing may be lost or torn.
#[test]
fn concurrent_clients_on_several_threads_lose_no_update() {
    const CLIENTS: usize = 8;
    const ROUNDS: usize = 40;
    const BATCH: usize = 50;
    const TRANSFERS: usize = 300;
    let s = Server::start(&["--io-threads", "4"]);
    let mut c = s.client();
    // {a} and {b} are in different slots, far apart, so in different shards.
    let _: () = redis::cmd("MSET")
        .arg("{a}bal")
        .arg(1000)
        .arg("{b}bal")
        .arg(1000)
        .query(&mut c)
        .unwrap();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let url = s.url();
        let done = done.clone();
        std::thread::spawn(move || {
            let mut c = redis::Client::open(url).unwrap().get_connection().unwrap();
            let deadline = Instant::now() + Duration::from_secs(60);
            let mut reads = 0u64;
            while !done.load(std::sync::atomic::Ordering::Relaxed) && Instant::now() < deadline {
                let (a, b): (i64, i64) = redis::cmd("MGET")
                    .arg("{a}bal")
                    .arg("{b}bal")
                    .query(&mut c)
                    .unwrap();
                assert_eq!(a + b, 2000, "MGET saw a transfer half done: {a} + {b}");
                reads += 1;
            }
            reads
        })
    };
    let workers: Vec<_> = (0..CLIENTS)
        .map(|w| {
            let url = s.url();
            std::thread::spawn(move || {
                let mut c = redis::Client::open(url).unwrap().get_connection().unwrap();
                for _ in 0..ROUNDS {
                    let mut p = redis::pipe();
                    for i in 0..BATCH {
                        p.cmd("INCR").arg("shared").ignore();
                        p.cmd("RPUSH").arg(format!("list:{w}")).arg(i).ignore();
                    }
                    let _: () = p.query(&mut c).unwrap();
                }
                for t in 0..TRANSFERS {
                    let (from, to) = if (t + w) % 2 == 0 {
                        ("{a}bal", "{b}bal")
                    } else {
                        ("{b}bal", "{a}bal")
                    };
                    let _: () = redis::pipe()
                        .atomic()
                        .cmd("DECRBY")
                        .arg(from)
                        .arg(3)
                        .ignore()
                        .cmd("INCRBY")
                        .arg(to)
                        .arg(3)
                        .ignore()
                        .query(&mut c)
                        .unwrap();
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("a client thread failed");
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let reads = reader.join().expect("the reader saw a torn transfer");
    assert!(reads > 0, "the reader never ran");

    let shared: i64 = redis::cmd("GET").arg("shared").query(&mut c).unwrap();
    assert_eq!(shared, (CLIENTS * ROUNDS * BATCH) as i64);
    for w in 0..CLIENTS {
        let len: i64 = redis::cmd("LLEN")
            .arg(format!("list:{w}"))
            .query(&mut c)
            .unwrap();
        assert_eq!(len, (ROUNDS * BATCH) as i64, "list:{w}");
    }
    let (a, b): (i64, i64) = redis::cmd("MGET")
        .arg("{a}bal")
        .arg("{b}bal")
        .query(&mut c)
        .unwrap();
    assert_eq!(a + b, 2000);
    // Every command was counted once, whatever thread ran it.
    let stats: String = redis::cmd("INFO")
        .arg("commandstats")
        .query(&mut c)
        .unwrap();
    let incr = format!("cmdstat_incr:calls={},", CLIENTS * ROUNDS * BATCH);
    assert!(stats.contains(&incr), "{incr} missing: {stats}");
    let exec = format!("cmdstat_exec:calls={},", CLIENTS * TRANSFERS);
    assert!(stats.contains(&exec), "{exec} missing: {stats}");
}

/// A pipeline's commands are counted before a later command of the same pipeline reads the
/// statistics, and EXEC's queued commands count as themselves, EXEC as one call.
#[test]
fn commandstats_count_a_pipeline_and_a_transaction_exactly() {
    let s = Server::start(&[]);
    let mut raw = s.raw();
    let mut req = Vec::new();
    for i in 0..5 {
        req.extend(resp(&[b"SET", format!("k{i}").as_bytes(), b"v"]));
    }
    req.extend(resp(&[b"INFO", b"commandstats"]));
    raw.send(&req);
    for _ in 0..5 {
        assert_eq!(raw.reply(), "+OK\r\n");
    }
    let stats = raw.reply();
    assert!(stats.contains("cmdstat_set:calls=5,"), "{stats}");

    raw.ex("MULTI", "+OK\r\n");
    raw.ex("SET a 1", "+QUEUED\r\n");
    raw.ex("INCR a", "+QUEUED\r\n");
    raw.ex("EXEC", "*2\r\n+OK\r\n:2\r\n");
    let stats = raw.call(&["INFO", "commandstats"]);
    assert!(stats.contains("cmdstat_set:calls=6,"), "{stats}");
    assert!(stats.contains("cmdstat_incr:calls=1,"), "{stats}");
    assert!(stats.contains("cmdstat_exec:calls=1,"), "{stats}");
    assert!(stats.contains("cmdstat_multi:calls=1,"), "{stats}");
}

/// Keys of every length around the hot path's remembered-slot limits (44 bytes kept, 255 the
/// empty marker) are stored and found: a 255-byte key once took the server down.
#[test]
fn keys_of_lengths_around_the_slot_memo_limits_are_stored_and_found() {
    let s = Server::start(&[]);
    let mut c = s.client();
    for len in [1, 43, 44, 45, 254, 255, 256, 1000] {
        let key = "k".repeat(len);
        let _: () = redis::cmd("SET").arg(&key).arg(len).query(&mut c).unwrap();
        let got: usize = redis::cmd("GET").arg(&key).query(&mut c).unwrap();
        assert_eq!(got, len);
        let n: i64 = redis::cmd("INCR").arg(&key).query(&mut c).unwrap();
        assert_eq!(n, len as i64 + 1);
    }
    let n: i64 = redis::cmd("DBSIZE").query(&mut c).unwrap();
    assert_eq!(n, 8);
}
