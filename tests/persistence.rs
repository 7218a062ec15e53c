//! RDB files on disk: SAVE / BGSAVE / LASTSAVE, save points, the save on SHUTDOWN and SIGTERM,
//! loading at start-up, DEBUG RELOAD, point-in-time BGSAVE under writes, crash safety, MISCONF,
//! and files moving between shoal and Debian's redis-server 7.0.15 in both directions.

mod redis_peer;
mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use support::*;

/// Writes data of every type (small and big encodings, TTLs, two databases) through `c`.
fn fill(c: &mut Raw) {
    c.ex("SET str hello", OK);
    c.ex("SET int 12345", OK);
    c.ex("SET ttl v PX 500000", OK);
    c.ex("RPUSH list a b c", &int(3));
    c.ex("HSET hash f1 v1 f2 v2", &int(2));
    c.ex("SADD ints 1 2 3", &int(3));
    c.ex("SADD set x y", &int(2));
    c.ex("ZADD zset 1 a 2.5 b -inf c", &int(3));
    c.expect(&["XADD", "stream", "1-1", "f", "v"], &bulk("1-1"));
    c.ex("XGROUP CREATE stream g 0", OK);
    // 600 is past every small-encoding threshold of Redis 7.0 (512 hash/set entries, 128 zset).
    for i in 0..600 {
        c.expect(&["RPUSH", "biglist", &format!("item-{i}")], &int(i + 1));
        c.expect(
            &["HSET", "bighash", &format!("f{i}"), &format!("v{i}")],
            &int(1),
        );
        c.expect(&["SADD", "bigset", &format!("m{i}")], &int(1));
        c.expect(
            &["ZADD", "bigzset", &i.to_string(), &format!("m{i}")],
            &int(1),
        );
    }
    c.ex("SELECT 3", OK);
    c.ex("SET other-db yes", OK);
    c.ex("SELECT 0", OK);
}

/// Asserts `c` sees what [`fill`] wrote.
#[track_caller]
fn check(c: &mut Raw) {
    c.ex("GET str", &bulk("hello"));
    c.ex("OBJECT ENCODING int", &bulk("int"));
    let ttl = c.call(&["PTTL", "ttl"]);
    let ttl: i64 = ttl.trim_start_matches(':').trim().parse().unwrap();
    assert!(ttl > 400_000 && ttl <= 500_000, "ttl {ttl}");
    c.ex("LRANGE list 0 -1", &arr(&["a", "b", "c"]));
    c.ex("HGET hash f2", &bulk("v2"));
    c.ex("OBJECT ENCODING ints", &bulk("intset"));
    c.ex("SISMEMBER set y", &int(1));
    c.ex(
        "ZRANGE zset 0 -1 WITHSCORES",
        &arr(&["c", "-inf", "a", "1", "b", "2.5"]),
    );
    c.ex("XLEN stream", &int(1));
    let groups = c.call(&["XINFO", "GROUPS", "stream"]);
    assert!(groups.contains("$1\r\ng\r\n"), "{groups}");
    c.ex("LLEN biglist", &int(600));
    c.ex("LINDEX biglist 599", &bulk("item-599"));
    c.ex("HLEN bighash", &int(600));
    c.ex("OBJECT ENCODING bighash", &bulk("hashtable"));
    c.ex("SCARD bigset", &int(600));
    c.ex("OBJECT ENCODING bigset", &bulk("hashtable"));
    c.ex("ZSCORE bigzset m599", &bulk("599"));
    c.ex("OBJECT ENCODING bigzset", &bulk("skiplist"));
    c.ex("SELECT 3", OK);
    c.ex("GET other-db", &bulk("yes"));
    c.ex("SELECT 0", OK);
}

fn wait_bgsave_done(c: &mut Raw) {
    assert!(
        poll_until(Duration::from_secs(60), || c
            .info_field("persistence", "rdb_bgsave_in_progress")
            == "0"),
        "BGSAVE did not finish"
    );
}

#[test]
fn save_then_restart_loads_every_type() {
    if against_redis() {
        return; // restarts our own binary
    }
    let dir = TempDir::new("save-restart");
    let mut srv = Server::start_in(&dir.0, &["--save", ""]);
    let mut c = srv.raw();
    let before = c.call(&["LASTSAVE"]);
    fill(&mut c);
    assert_ne!(
        c.info_field("persistence", "rdb_changes_since_last_save"),
        "0"
    );
    c.ex("SAVE", OK);
    assert_eq!(
        c.info_field("persistence", "rdb_changes_since_last_save"),
        "0"
    );
    assert_eq!(c.info_field("persistence", "rdb_saves"), "1");
    assert!(c.call(&["LASTSAVE"]) >= before);
    assert!(dir.0.join("dump.rdb").exists());
    srv.kill9();
    let srv = Server::start_in(&dir.0, &["--save", ""]);
    let mut c = srv.raw();
    check(&mut c);
    assert_eq!(
        c.info_field("persistence", "rdb_last_load_keys_loaded"),
        "14"
    );
    // DEBUG RELOAD: save, empty, load back.
    c.ex("DEBUG RELOAD", OK);
    check(&mut c);
}

#[test]
fn shutdown_and_sigterm_save_when_save_points_are_set() {
    if against_redis() {
        return;
    }
    let dir = TempDir::new("shutdown-save");
    // Save points set (the default): SHUTDOWN saves.
    let mut srv = Server::start_in(&dir.0, &[]);
    srv.raw().ex("SET a 1", OK);
    let mut c = srv.raw();
    c.send(&resp(&[b"SHUTDOWN"]));
    let (_, closed) = c.read_to_close();
    assert!(closed);
    assert!(srv.wait_exit(Duration::from_secs(30)).is_some());
    let mut srv = Server::start_in(&dir.0, &[]);
    srv.raw().ex("GET a", &bulk("1"));
    // SIGTERM saves too.
    srv.raw().ex("SET b 2", OK);
    assert!(srv.terminate().is_some(), "SIGTERM did not stop the server");
    let mut srv = Server::start_in(&dir.0, &[]);
    srv.raw().ex("GET b", &bulk("2"));
    // SHUTDOWN NOSAVE does not.
    srv.raw().ex("SET c 3", OK);
    let mut c = srv.raw();
    c.send(&resp(&[b"SHUTDOWN", b"NOSAVE"]));
    let _ = c.read_to_close();
    assert!(srv.wait_exit(Duration::from_secs(30)).is_some());
    let srv = Server::start_in(&dir.0, &["--save", ""]);
    srv.raw().ex("EXISTS c", &int(0));
    srv.raw().ex("GET b", &bulk("2"));
}

#[test]
fn save_points_trigger_a_background_save() {
    let srv = Server::start(&["--save", "1 1"]);
    let mut c = srv.raw();
    c.ex("CONFIG GET save", &arr(&["save", "1 1"]));
    c.ex("SET k v", OK);
    assert!(
        poll_until(Duration::from_secs(10), || {
            c.info_field("persistence", "rdb_changes_since_last_save") == "0"
        }),
        "no background save within 10 s"
    );
    assert!(srv.dir.join("dump.rdb").exists());
    assert_eq!(c.info_field("persistence", "rdb_last_bgsave_status"), "ok");
    c.expect(&["CONFIG", "SET", "save", ""], OK);
    c.expect(
        &["CONFIG", "SET", "save", "1 2 3"],
        &err(
            "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters",
        ),
    );
    c.ex("BGSAVE", "+Background saving started\r\n");
    wait_bgsave_done(&mut c);
    c.ex("BGSAVE NOW", SYNTAX);
    // Inside a transaction BGSAVE is scheduled, as Redis does.
    c.ex("MULTI", OK);
    c.ex("BGSAVE", "+QUEUED\r\n");
    c.ex("EXEC", "*1\r\n+Background saving scheduled\r\n");
    c.ex("MULTI", OK);
    c.ex("SAVE", &err("ERR Command not allowed inside a transaction"));
    c.ex("DISCARD", OK);
}

/// BGSAVE is a point-in-time snapshot: writes acknowledged after "Background saving started"
/// are not in the file, whatever slots they hit while the save runs.
#[test]
fn bgsave_is_a_point_in_time_snapshot_under_writes() {
    if against_redis() {
        return;
    }
    let dir = TempDir::new("bgsave-pit");
    const N: usize = 30_000;
    // 20 us per key keeps the snapshot running for about 0.6 s while the writer writes.
    let mut srv = Server::start_in(&dir.0, &["--save", "", "--rdb-key-save-delay", "20"]);
    let mut c = srv.raw();
    // Load N keys fast through a pipeline.
    let mut batch = Vec::new();
    for i in 0..N {
        batch.extend(resp(&[b"SET", format!("k{i}").as_bytes(), b"old"]));
    }
    c.send(&batch);
    assert_eq!(c.read_exact_len(N * OK.len()), OK.repeat(N).as_bytes());
    c.ex("BGSAVE", "+Background saving started\r\n");
    // Overwrite and add keys while the snapshot runs.
    let port = srv.port;
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut w = Raw {
                s: std::net::TcpStream::connect(("127.0.0.1", port)).unwrap(),
            };
            w.s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) && i < N {
                w.expect(&["SET", &format!("k{i}"), "new"], OK);
                w.expect(&["SET", &format!("added{i}"), "x"], OK);
                i += 1;
            }
            i
        })
    };
    wait_bgsave_done(&mut c);
    stop.store(true, Ordering::Relaxed);
    let written = writer.join().unwrap();
    eprintln!("{written} keys overwritten while BGSAVE ran");
    assert!(
        written >= 100,
        "only {written} writes overlapped the snapshot"
    );
    let cow: u64 = c
        .info_field("persistence", "rdb_last_cow_size")
        .parse()
        .unwrap();
    assert!(
        cow > 0,
        "writers copied slots ahead of the walk: rdb_last_cow_size {cow}"
    );
    srv.kill9();
    let srv = Server::start_in(&dir.0, &["--save", ""]);
    let mut c = srv.raw();
    c.ex("DBSIZE", &int(N as i64));
    for i in (0..N).step_by(997) {
        c.expect(&["GET", &format!("k{i}")], &bulk("old"));
    }
    c.ex("EXISTS added0", &int(0));
}

/// A crash mid-save never tears the dump: the previous file stays loadable.
#[test]
fn kill_during_bgsave_leaves_the_previous_dump_intact() {
    if against_redis() {
        return;
    }
    let dir = TempDir::new("bgsave-crash");
    let mut srv = Server::start_in(&dir.0, &["--save", ""]);
    let mut c = srv.raw();
    c.ex("SET first 1", OK);
    c.ex("SAVE", OK);
    const N: usize = 100_000;
    let mut batch = Vec::new();
    for i in 0..N {
        batch.extend(resp(&[
            b"SET",
            format!("key:{i}").as_bytes(),
            b"some value here",
        ]));
    }
    c.send(&batch);
    assert_eq!(c.read_exact_len(N * OK.len()), OK.repeat(N).as_bytes());
    c.ex("BGSAVE", "+Background saving started\r\n");
    srv.kill9();
    let srv = Server::start_in(&dir.0, &["--save", ""]);
    let mut c = srv.raw();
    // Either the old dump (1 key) or, if the save finished first, the new one: never an error.
    let n = c.call(&["DBSIZE"]);
    assert!(n == int(1) || n == int(N as i64 + 1), "{n}");
    c.ex("GET first", &bulk("1"));
}

#[test]
fn a_failing_background_save_refuses_writes_with_misconf() {
    if against_redis() {
        return;
    }
    let srv = Server::start(&["--save", "3600 1"]);
    let mut c = srv.raw();
    let gone = srv.dir.join("gone");
    std::fs::create_dir_all(&gone).unwrap();
    c.expect(&["CONFIG", "SET", "dir", gone.to_str().unwrap()], OK);
    std::fs::remove_dir_all(&gone).unwrap();
    c.ex("BGSAVE", "+Background saving started\r\n");
    wait_bgsave_done(&mut c);
    assert_eq!(c.info_field("persistence", "rdb_last_bgsave_status"), "err");
    let e = c.call(&["SET", "k", "v"]);
    assert!(e.starts_with("-MISCONF "), "{e}");
    c.ex("GET k", NIL); // reads still work
    std::fs::create_dir_all(&gone).unwrap();
    c.ex("BGSAVE", "+Background saving started\r\n");
    wait_bgsave_done(&mut c);
    c.ex("SET k v", OK);
}

#[test]
fn a_dump_moves_from_shoal_to_redis_and_back() {
    if against_redis() || !redis_peer::have_redis() {
        eprintln!("skipped: needs /usr/bin/redis-server and our own binary");
        return;
    }
    let dir = TempDir::new("interop");
    // shoal -> redis
    let mut srv = Server::start_in(&dir.0, &["--save", ""]);
    let mut c = srv.raw();
    fill(&mut c);
    c.ex("SAVE", OK);
    srv.kill9();
    let dump = std::fs::read(dir.0.join("dump.rdb")).unwrap();
    let redis = redis_peer::Redis::start(Some(&dump));
    let s = std::net::TcpStream::connect(("127.0.0.1", redis.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut r = Raw { s };
    check(&mut r);
    // redis -> shoal: change something in Redis, save there, load in shoal.
    r.ex("SET written-by redis", OK);
    std::fs::write(dir.0.join("dump.rdb"), redis.save()).unwrap();
    drop(redis);
    let srv = Server::start_in(&dir.0, &["--save", ""]);
    let mut c = srv.raw();
    check(&mut c);
    c.ex("GET written-by", &bulk("redis"));
}

#[test]
fn rdbcompression_and_rdbchecksum_no_write_plain_unchecked_files() {
    if against_redis() {
        return;
    }
    let long = "a".repeat(1000);
    let dump_with = |args: &[&str]| -> Vec<u8> {
        let dir = TempDir::new("rdb-options");
        let mut all = vec!["--save", ""];
        all.extend_from_slice(args);
        let srv = Server::start_in(&dir.0, &all);
        let mut c = srv.raw();
        c.expect(&["SET", "long", &long], OK);
        c.ex("SAVE", OK);
        std::fs::read(dir.0.join("dump.rdb")).unwrap()
    };
    let default = dump_with(&[]);
    let plain = dump_with(&["--rdbcompression", "no", "--rdbchecksum", "no"]);
    let has_run = |b: &[u8]| b.windows(1000).any(|w| w == long.as_bytes());
    assert!(!has_run(&default), "compressed by default");
    assert!(has_run(&plain), "stored as is with rdbcompression no");
    assert_ne!(
        default[default.len() - 8..],
        [0u8; 8],
        "checksum by default"
    );
    assert_eq!(plain[plain.len() - 8..], [0u8; 8], "0 with rdbchecksum no");
    // A damaged checksum: refused at start-up by default, loaded with rdbchecksum no.
    let dir = TempDir::new("rdb-bad-checksum");
    let mut bad = default.clone();
    let n = bad.len();
    bad[n - 1] ^= 0xff;
    std::fs::write(dir.0.join("dump.rdb"), &bad).unwrap();
    let srv = Server::start_in(&dir.0, &["--save", "", "--rdbchecksum", "no"]);
    srv.raw().expect(&["STRLEN", "long"], &int(1000));
    drop(srv);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_shoal-server"))
        .current_dir(&dir.0)
        .args(["--port", &free_port().to_string(), "--bind", "127.0.0.1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let status = wait_child_exit(&mut child, Duration::from_secs(20));
    assert!(!status.success(), "a wrong checksum must stop the start-up");
}
