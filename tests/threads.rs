//! `io-threads`: several threads serve clients at once and every command stays atomic; the
//! per-client statistics batching of the hot path stays exact.
//!
//! Shoal's threads each execute commands under the shard locks (not Redis's I/O-only threads),
//! so these tests look for lost updates and torn multi-key reads with real concurrent clients.

mod support;
use support::*;

use std::time::{Duration, Instant};

/// `field` of INFO's `section`, as text.
fn info(c: &mut redis::Connection, section: &str, field: &str) -> String {
    let text: String = redis::cmd("INFO").arg(section).query(c).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("{field} missing from INFO {section}: {text}"))
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
    assert_eq!(info(&mut c, "server", "io_threads"), "2");
    assert_eq!(info(&mut c, "server", "io_threads_active"), "1");
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
    assert_eq!(info(&mut c1, "server", "io_threads"), "1");
    assert_eq!(info(&mut c1, "server", "io_threads_active"), "0");
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

/// `INFO stats`'s `field` as a number.
fn stat(c: &mut redis::Connection, field: &str) -> u64 {
    info(c, "stats", field).parse().unwrap()
}

/// User plus system CPU time of process `pid` so far, in clock ticks (`/proc/PID/stat`).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

/// `busy-poll-us`: the single event loop's polling window grows while requests come close
/// together, falls to 0 when they come further apart than the bound, and an idle server does
/// not keep polling (its CPU time stands still).
#[test]
fn busy_polling_follows_the_gaps_between_requests_and_stops_when_idle() {
    if against_redis() {
        return; // shoal only
    }
    // A 10 ms bound: back-to-back requests of one client come well within it, even on a
    // loaded machine, and requests 30 ms apart do not.
    let s = Server::start(&["--io-threads", "1", "--busy-poll-us", "10000"]);
    let mut c = s.client();
    let got: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("busy-poll-us")
        .query(&mut c)
        .unwrap();
    assert_eq!(got, ["busy-poll-us", "10000"]);
    let mut raw = s.raw();
    raw.expect(
        &["CONFIG", "SET", "busy-poll-us", "10001"],
        "-ERR CONFIG SET failed (possibly related to argument 'busy-poll-us') - argument must be between 0 and 10000 inclusive\r\n",
    );

    // Back to back: the window opens (at an eighth of the bound, busypoll's unit test checks
    // the steps; a pause of the machine between two requests could already have halved it).
    let mut window = 0;
    for _ in 0..100 {
        for _ in 0..20 {
            let _: String = redis::cmd("PING").query(&mut c).unwrap();
        }
        window = stat(&mut c, "busy_poll_window_us");
        if window > 0 {
            break;
        }
    }
    assert!(
        window > 0,
        "the window stayed closed under back-to-back requests"
    );
    // 3 ms apart: longer than the window but within the bound, so it doubles until it
    // covers the gap.
    let mut grown = window;
    for _ in 0..100 {
        std::thread::sleep(Duration::from_millis(3));
        grown = stat(&mut c, "busy_poll_window_us");
        if grown >= 5000 {
            break;
        }
    }
    assert!(
        grown >= 5000,
        "window after requests 3 ms apart: {grown} us"
    );

    // Idle: the poller polls out its window (10 ms at most) and sleeps, so the process uses
    // next to no CPU. One that kept polling would use the whole second.
    std::thread::sleep(Duration::from_millis(200));
    let pid = s.pid();
    let ticks_per_s = 100; // USER_HZ on Linux
    let before = cpu_ticks(pid);
    let t = Instant::now();
    std::thread::sleep(Duration::from_secs(1));
    let used = cpu_ticks(pid) - before;
    let limit = t.elapsed().as_secs_f64() * ticks_per_s as f64 * 0.3;
    assert!(
        (used as f64) < limit,
        "idle server used {used} ticks of CPU in {:?}",
        t.elapsed()
    );

    // Requests 30 ms apart: each gap is longer than the bound, so the window halves each
    // time, to 0 (from 10 ms in 14 halvings). INFO itself is the spaced request.
    for _ in 0..60 {
        std::thread::sleep(Duration::from_millis(30));
        window = stat(&mut c, "busy_poll_window_us");
        if window == 0 {
            break;
        }
    }
    assert_eq!(window, 0, "window after requests 30 ms apart");

    // busy-poll-us 0: the loop sleeps after every request, however close they come.
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("busy-poll-us")
        .arg(0)
        .query(&mut c)
        .unwrap();
    let parks = stat(&mut c, "busy_poll_parks");
    for _ in 0..200 {
        let _: String = redis::cmd("PING").query(&mut c).unwrap();
    }
    assert_eq!(stat(&mut c, "busy_poll_window_us"), 0);
    let slept = stat(&mut c, "busy_poll_parks") - parks;
    assert!(slept >= 150, "parked {slept} times in 200 requests");
}

/// With several worker threads there is no poller: they sleep in `epoll_wait` as tokio's do.
#[test]
fn several_io_threads_do_not_busy_poll() {
    if against_redis() {
        return;
    }
    let s = Server::start(&["--io-threads", "2"]);
    let mut c = s.client();
    for _ in 0..100 {
        let _: String = redis::cmd("PING").query(&mut c).unwrap();
    }
    assert_eq!(stat(&mut c, "busy_poll_parks"), 0);
    assert_eq!(stat(&mut c, "busy_poll_window_us"), 0);
}
