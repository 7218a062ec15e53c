//! The append-only file: every write replays after a crash (kill -9), acknowledged writes
//! survive under load with `appendfsync always` and `everysec`, BGREWRITEAOF compacts without
//! losing concurrent writes, a truncated tail is handled as `aof-load-truncated` says, the
//! AOF is turned on at run time, and AOF directories move between shoal and Debian's
//! redis-server 7.0.15 in both directions.

mod redis_peer;
mod support;

use redis_peer::{assert_same, contents};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::*;

fn wait_rewrite_done(c: &mut Raw) {
    assert!(
        poll_until(Duration::from_secs(60), || c
            .info_field("persistence", "aof_rewrite_in_progress")
            == "0"
            && c.info_field("persistence", "aof_rewrite_scheduled") == "0"),
        "BGREWRITEAOF did not finish"
    );
}

fn counter(c: &mut Raw, key: &str) -> u64 {
    let r = c.call(&["GET", key]);
    r.lines().nth(1).and_then(|v| v.parse().ok()).unwrap_or(0)
}

fn manifest(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("appendonlydir/appendonly.aof.manifest")).unwrap()
}

fn aof_args(fsync: &str) -> Vec<&str> {
    vec!["--appendonly", "yes", "--appendfsync", fsync, "--save", ""]
}

/// Writes that a replay must redo exactly: relative TTLs, randomness, blocking pops served
/// by a push, float increments, generated stream ids, a transaction, expiry, and keyspace
/// commands, in three databases.
fn write_everything(srv: &Server) {
    let mut c = srv.raw();
    c.ex("SET s plain", OK);
    c.ex("SET ex v EX 1000", OK);
    c.ex("SETEX setex 2000 v", OK);
    c.ex("PSETEX psetex 3000000 v", OK);
    c.ex("SET keep v", OK);
    c.ex("EXPIRE keep 4000", &int(1));
    c.ex("GETEX keep PX 5000000", &bulk("v"));
    c.ex("SET gone v", OK);
    c.ex("EXPIRE gone -1", &int(1));
    c.ex("INCRBYFLOAT f 10.5", &bulk("10.5"));
    c.ex("INCRBYFLOAT f 0.1", &bulk("10.6"));
    c.ex("HINCRBYFLOAT h x 1.25", &bulk("1.25"));
    c.ex("SADD pool a b c d e f g h", &int(8));
    c.call(&["SPOP", "pool"]);
    c.call(&["SPOP", "pool", "3"]);
    c.ex("SADD tiny only", &int(1));
    c.call(&["SPOP", "tiny", "5"]);
    c.ex("RPUSH l 1 2 3 4 5", &int(5));
    c.call(&["LMPOP", "2", "nothing", "l", "LEFT", "COUNT", "2"]);
    c.ex("ZADD z 1 a 2 b 3 c", &int(3));
    c.call(&["ZPOPMIN", "z"]);
    let id = c.call(&["XADD", "st", "*", "f", "v"]);
    assert!(id.starts_with('$'), "{id}");
    c.call(&["XADD", "st", "MAXLEN", "10", "*", "g", "w"]);
    // Blocking pops served by a later push.
    let mut waiter = srv.raw();
    waiter.send_cmd("BLPOP q 0");
    c.wait_blocked(1);
    c.ex("RPUSH q job1 job2", &int(2));
    assert!(waiter.reply().contains("job1"));
    waiter.send_cmd("BLMOVE src dst LEFT RIGHT 0");
    c.wait_blocked(1);
    c.ex("RPUSH src m", &int(1));
    assert!(waiter.reply().contains('m'));
    waiter.send_cmd("BZPOPMAX zq 0");
    c.wait_blocked(1);
    c.ex("ZADD zq 5 five 6 six", &int(2));
    assert!(waiter.reply().contains("six"));
    // A transaction, and a RESTORE with a relative TTL.
    c.ex("MULTI", "+OK\r\n");
    c.ex("INCR counter", "+QUEUED\r\n");
    c.ex("SET ex2 v PX 600000", "+QUEUED\r\n");
    c.ex("SPOP pool", "+QUEUED\r\n");
    assert!(c.call(&["EXEC"]).starts_with("*3"));
    let dump = {
        let mut rc = srv.client();
        let d: Vec<u8> = redis::cmd("DUMP").arg("l").query(&mut rc).unwrap();
        let _: () = redis::cmd("RESTORE")
            .arg("restored")
            .arg(700_000)
            .arg(&d)
            .query(&mut rc)
            .unwrap();
        d
    };
    assert!(!dump.is_empty());
    // Lazy expiry feeds a DEL.
    c.ex("SET short v PX 30", OK);
    assert!(poll_until(Duration::from_secs(5), || c
        .call(&["GET", "short"])
        == NIL));
    // Changes in place, each of which must reach the AOF.
    c.ex("RPUSH inplace a b c d e f", &int(6));
    c.ex("LSET inplace 0 A", OK);
    c.ex("LINSERT inplace BEFORE c x", &int(7));
    c.ex("LREM inplace 1 d", &int(1));
    c.ex("LTRIM inplace 0 4", OK);
    c.ex("LPUSHX inplace front", &int(6));
    c.call(&["RPOPLPUSH", "inplace", "moved"]);
    c.ex("HSET hh a 1 b 2 c 3", &int(3));
    c.ex("HDEL hh a", &int(1));
    c.ex("HSETNX hh d 4", &int(1));
    c.ex("HINCRBY hh b 10", &int(12));
    c.ex("SADD s1 a b c", &int(3));
    c.ex("SADD s2 b c d", &int(3));
    c.ex("SREM s1 a", &int(1));
    c.ex("SMOVE s2 s1 d", &int(1));
    c.ex("SINTERSTORE s3 s1 s2", &int(2));
    c.ex("ZADD zz 1 a 2 b 3 c 4 d", &int(4));
    c.call(&["ZINCRBY", "zz", "2.5", "a"]);
    c.ex("ZREM zz b", &int(1));
    c.ex("ZREMRANGEBYRANK zz 0 0", &int(1));
    c.ex("ZRANGESTORE zz2 zz 0 -1", &int(2));
    c.ex("SET str hello", OK);
    c.ex("APPEND str world", &int(10));
    c.ex("SETRANGE str 0 J", &int(10));
    c.ex("SET n 100", OK);
    c.ex("DECRBY n 7", &int(93));
    c.ex("SET tmp v", OK);
    c.ex("GETDEL tmp", &bulk("v"));
    c.ex("GETSET n 5", &bulk("93"));
    c.ex("MSETNX m1 1 m2 2", &int(1));
    c.ex("RENAMENX m1 m3", &int(1));
    c.ex("UNLINK m2", &int(1));
    c.ex("SET p v EX 100", OK);
    c.ex("PERSIST p", &int(1));
    c.ex("SORT inplace ALPHA STORE sorted", &int(5));
    c.call(&["XADD", "xs", "1-1", "a", "1"]);
    c.call(&["XADD", "xs", "2-1", "a", "2"]);
    c.call(&["XADD", "xs", "3-1", "a", "3"]);
    c.ex("XDEL xs 2-1", &int(1));
    c.ex("XTRIM xs MAXLEN 1", &int(1));
    // Other databases, MOVE, COPY, RENAME, SWAPDB, FLUSHDB.
    c.ex("SELECT 1", OK);
    c.ex("SET one 1", OK);
    c.ex("MOVE one 2", &int(1));
    c.ex("SELECT 2", OK);
    c.ex("COPY one two DB 3", &int(1));
    c.ex("RENAME one uno", OK);
    c.ex("SELECT 4", OK);
    c.ex("SET doomed v", OK);
    c.ex("FLUSHDB", OK);
    c.ex("SET survivor v", OK);
    c.ex("SWAPDB 4 5", OK);
    c.ex("SELECT 0", OK);
}

const DBS: &[u64] = &[0, 1, 2, 3, 4, 5];

#[test]
fn every_write_replays_after_kill9() {
    if against_redis() {
        return;
    }
    let dir = TempDir::new("aof-replay");
    let mut srv = Server::start_in(&dir.0, &aof_args("always"));
    write_everything(&srv);
    let before = contents(&mut srv.client(), DBS);
    assert!(before.len() > 15, "{before:?}");
    assert!(!before.contains_key(&(0, b"gone".to_vec())));
    assert!(!before.contains_key(&(0, b"short".to_vec())));
    srv.kill9();
    let incr = std::fs::read(dir.0.join("appendonlydir/appendonly.aof.1.incr.aof")).unwrap();
    let text = String::from_utf8_lossy(&incr);
    // Rewritten forms, not the commands as sent.
    for fed in [
        "PXAT",
        "PEXPIREAT",
        "SREM",
        "KEEPTTL",
        "LMOVE",
        "ZPOPMAX",
        "ABSTTL",
        "MULTI",
    ] {
        assert!(text.contains(fed), "{fed} not in the AOF");
    }
    for not_fed in ["BLPOP", "BLMOVE", "BZPOPMAX", "SPOP", "SETEX", "EXPIRE\r"] {
        assert!(!text.contains(not_fed), "{not_fed} in the AOF");
    }
    let srv = Server::start_in(&dir.0, &aof_args("always"));
    let after = contents(&mut srv.client(), DBS);
    assert_same(&after, &before);
}

/// Writers run INCR and RPUSH until the server is killed; every acknowledged write must be
/// there after the restart. Returns (acknowledged writes, writes found beyond the last
/// acknowledged one) for the log.
fn acknowledged_writes_survive(fsync: &str) -> (u64, u64) {
    let dir = TempDir::new(&format!("aof-crash-{fsync}"));
    let mut srv = Server::start_in(&dir.0, &aof_args(fsync));
    let stop = Arc::new(AtomicBool::new(false));
    let url = srv.url();
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (stop, url) = (stop.clone(), url.clone());
            std::thread::spawn(move || {
                let mut c = redis::Client::open(url).unwrap().get_connection().unwrap();
                c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                let mut acked = 0u64;
                let deadline = Instant::now() + Duration::from_secs(20);
                while !stop.load(Ordering::Relaxed) && Instant::now() < deadline && acked < 200_000
                {
                    let n: redis::RedisResult<u64> =
                        redis::cmd("INCR").arg(format!("counter:{w}")).query(&mut c);
                    match n {
                        Ok(n) => {
                            assert_eq!(n, acked + 1);
                            acked = n;
                        }
                        Err(_) => break, // the server died
                    }
                    let pushed: redis::RedisResult<u64> = redis::cmd("RPUSH")
                        .arg(format!("jobs:{w}"))
                        .arg(acked)
                        .query(&mut c);
                    if pushed.is_err() {
                        break;
                    }
                }
                acked
            })
        })
        .collect();
    // Let them write for a while, then crash the server under them.
    let mut probe = srv.raw();
    assert!(poll_until(Duration::from_secs(20), || counter(
        &mut probe,
        "counter:0"
    ) >= 500));
    std::thread::sleep(Duration::from_millis(300));
    srv.kill9();
    stop.store(true, Ordering::Relaxed);
    let acked: Vec<u64> = writers.into_iter().map(|t| t.join().unwrap()).collect();
    let srv = Server::start_in(&dir.0, &aof_args(fsync));
    let mut c = srv.client();
    let mut extra = 0;
    for (w, &a) in acked.iter().enumerate() {
        let n: u64 = redis::cmd("GET")
            .arg(format!("counter:{w}"))
            .query(&mut c)
            .unwrap();
        assert!(n >= a, "writer {w}: {a} acknowledged, {n} after restart");
        assert!(n <= a + 1, "writer {w}: {n} after restart, only {a} sent");
        extra += n - a;
        let jobs: Vec<u64> = redis::cmd("LRANGE")
            .arg(format!("jobs:{w}"))
            .arg(0)
            .arg(-1)
            .query(&mut c)
            .unwrap();
        // Every acknowledged push is there, once, in order.
        assert!(jobs.len() as u64 >= a.saturating_sub(1), "writer {w}");
        for (i, j) in jobs.iter().enumerate() {
            assert_eq!(*j, i as u64 + 1);
        }
    }
    let total: u64 = acked.iter().sum();
    eprintln!(
        "appendfsync {fsync}: {total} acknowledged INCRs (and as many RPUSHes) before kill -9, \
         none lost; {extra} unacknowledged ones found"
    );
    (total, extra)
}

#[test]
fn acknowledged_writes_survive_kill9_with_appendfsync_always() {
    if against_redis() {
        return;
    }
    let (total, _) = acknowledged_writes_survive("always");
    assert!(total >= 2000);
}

#[test]
fn acknowledged_writes_survive_kill9_with_appendfsync_everysec() {
    if against_redis() {
        return;
    }
    // The write reaches the OS before the reply: a process crash loses nothing (a machine
    // crash could lose the last second, which fsync once a second bounds).
    let (total, _) = acknowledged_writes_survive("everysec");
    assert!(total >= 2000);
}

#[test]
fn acknowledged_writes_survive_kill9_with_appendfsync_no() {
    if against_redis() {
        return;
    }
    // Written to the OS before the reply; only the OS decides when it reaches the disk.
    let (total, _) = acknowledged_writes_survive("no");
    assert!(total >= 2000);
}

#[test]
fn bgrewriteaof_compacts_under_writes_and_loses_nothing() {
    if against_redis() {
        return;
    }
    let dir = TempDir::new("aof-rewrite");
    let mut args = aof_args("everysec");
    // 200 us per key keeps the rewrite of 3000 keys running for about 0.6 s under the writer.
    args.extend(["--rdb-key-save-delay", "200"]);
    let mut srv = Server::start_in(&dir.0, &args);
    let mut c = srv.raw();
    for i in 0..3000 {
        c.expect(&["SET", &format!("k{i}"), "old"], OK);
        c.expect(&["SET", &format!("k{i}"), &format!("v{i}")], OK);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (stop, url) = (stop.clone(), srv.url());
        std::thread::spawn(move || {
            let mut w = redis::Client::open(url).unwrap().get_connection().unwrap();
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) && n < 1_000_000 {
                let v: u64 = redis::cmd("INCR").arg("during").query(&mut w).unwrap();
                n = v;
            }
            n
        })
    };
    assert!(poll_until(Duration::from_secs(10), || c
        .call(&["GET", "during"])
        != NIL));
    c.ex(
        "BGREWRITEAOF",
        "+Background append only file rewriting started\r\n",
    );
    let at_start = counter(&mut c, "during");
    wait_rewrite_done(&mut c);
    let at_end = counter(&mut c, "during");
    assert!(
        at_end >= at_start + 50,
        "writes during the rewrite: {at_start} -> {at_end}"
    );
    stop.store(true, Ordering::Relaxed);
    let during = writer.join().unwrap();
    assert_eq!(c.info_field("persistence", "aof_rewrites"), "1");
    assert_eq!(
        c.info_field("persistence", "aof_last_bgrewrite_status"),
        "ok"
    );
    let m = manifest(&dir.0);
    assert!(m.contains("appendonly.aof.2.base.rdb seq 2 type b"), "{m}");
    assert!(m.contains("appendonly.aof.2.incr.aof seq 2 type i"), "{m}");
    assert_eq!(m.lines().count(), 2, "{m}");
    let files: Vec<String> = std::fs::read_dir(dir.0.join("appendonlydir"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files.len(), 3, "old files deleted: {files:?}");
    c.ex("SET after rewrite", OK);
    srv.kill9();
    let srv = Server::start_in(&dir.0, &aof_args("everysec"));
    let mut c = srv.raw();
    c.ex("DBSIZE", &int(3002));
    c.ex("GET k2999", &bulk("v2999"));
    c.ex("GET during", &bulk(&during.to_string()));
    c.ex("GET after", &bulk("rewrite"));
}

#[test]
fn a_truncated_tail_is_cut_when_allowed_and_refused_otherwise() {
    if against_redis() {
        return;
    }
    let dir = TempDir::new("aof-truncated");
    let mut srv = Server::start_in(&dir.0, &aof_args("always"));
    let mut c = srv.raw();
    c.ex("SET a 1", OK);
    c.ex("SET b 2", OK);
    srv.kill9();
    let incr = dir.0.join("appendonlydir/appendonly.aof.1.incr.aof");
    let good = std::fs::metadata(&incr).unwrap().len();
    // A crash in the middle of appending: half a command, and an unfinished transaction.
    let mut bytes = std::fs::read(&incr).unwrap();
    bytes.extend_from_slice(b"*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$5\r\nxy");
    std::fs::write(&incr, &bytes).unwrap();
    let mut refused = std::process::Command::new(env!("CARGO_BIN_EXE_shoal-server"))
        .current_dir(&dir.0)
        .args(["--port", &free_port().to_string(), "--bind", "127.0.0.1"])
        .args([
            "--appendonly",
            "yes",
            "--aof-load-truncated",
            "no",
            "--save",
            "",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let status = wait_child_exit(&mut refused, Duration::from_secs(20));
    assert!(!status.success(), "start-up must fail");
    let mut log = String::new();
    std::io::Read::read_to_string(refused.stdout.as_mut().unwrap(), &mut log).unwrap();
    assert!(log.contains("Unexpected end of file"), "{log}");
    let srv = Server::start_in(&dir.0, &aof_args("always"));
    let mut c = srv.raw();
    c.ex("GET a", &bulk("1"));
    c.ex("GET b", &bulk("2"));
    c.ex("EXISTS c", &int(0));
    assert_eq!(std::fs::metadata(&incr).unwrap().len(), good);
    c.ex("SET c 3", OK);
    drop(srv);
    // An unfinished MULTI at the end is cut too.
    let mut bytes = std::fs::read(&incr).unwrap();
    let before_multi = bytes.len() as u64;
    bytes.extend_from_slice(b"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nd\r\n$1\r\n4\r\n");
    std::fs::write(&incr, &bytes).unwrap();
    let srv = Server::start_in(&dir.0, &aof_args("always"));
    let mut c = srv.raw();
    c.ex("GET c", &bulk("3"));
    c.ex("EXISTS d", &int(0));
    assert_eq!(std::fs::metadata(&incr).unwrap().len(), before_multi);
}

#[test]
fn appendonly_turns_on_at_run_time_with_a_base_of_the_data() {
    if against_redis() {
        return;
    }
    let dir = TempDir::new("aof-config-set");
    let mut srv = Server::start_in(&dir.0, &["--save", ""]);
    let mut c = srv.raw();
    for i in 0..500 {
        c.expect(&["SET", &format!("k{i}"), "v"], OK);
    }
    c.ex("CONFIG SET appendonly yes", OK);
    c.ex("CONFIG SET appendfsync always", OK);
    assert!(poll_until(Duration::from_secs(30), || {
        c.info_field("persistence", "aof_rewrites") == "1"
            && c.info_field("persistence", "aof_rewrite_in_progress") == "0"
    }));
    c.ex("SET later v", OK);
    let m = manifest(&dir.0);
    assert!(m.contains("type b") && m.contains("type i"), "{m}");
    srv.kill9();
    let srv = Server::start_in(&dir.0, &aof_args("always"));
    let mut c = srv.raw();
    c.ex("DBSIZE", &int(501));
    c.ex("CONFIG SET appendonly no", OK);
    c.ex("SET after-off v", OK);
    assert_eq!(c.info_field("persistence", "aof_enabled"), "0");
}

#[test]
fn bgrewriteaof_with_appendonly_no_writes_a_base_only_aof() {
    if against_redis() {
        return;
    }
    let dir = TempDir::new("aof-offline");
    let mut srv = Server::start_in(&dir.0, &["--save", ""]);
    let mut c = srv.raw();
    c.ex("SET x 1", OK);
    c.ex(
        "BGREWRITEAOF",
        "+Background append only file rewriting started\r\n",
    );
    wait_rewrite_done(&mut c);
    let m = manifest(&dir.0);
    assert_eq!(m, "file appendonly.aof.1.base.rdb seq 1 type b\n");
    srv.kill9();
    let srv = Server::start_in(&dir.0, &["--appendonly", "yes", "--save", ""]);
    srv.raw().ex("GET x", &bulk("1"));
}

/// Copies directory `from`'s AOF directory into `to`.
fn copy_aof_dir(from: &Path, to: &Path) {
    let src = from.join("appendonlydir");
    let dst = to.join("appendonlydir");
    std::fs::create_dir_all(&dst).unwrap();
    for e in std::fs::read_dir(&src).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dst.join(e.file_name())).unwrap();
    }
}

#[test]
fn an_aof_moves_between_redis_and_shoal() {
    if against_redis() || !redis_peer::have_redis() {
        return;
    }
    // redis -> shoal: a base (after BGREWRITEAOF) plus an incr file of commands.
    let redis = redis_peer::Redis::start_with(None, &["--appendonly", "yes"]);
    let mut rc = redis.client();
    redis_peer::populate(&mut rc);
    let _: String = redis::cmd("BGREWRITEAOF").query(&mut rc).unwrap();
    let mut rr = Raw {
        s: std::net::TcpStream::connect(("127.0.0.1", redis.port)).unwrap(),
    };
    wait_rewrite_done(&mut rr);
    let _: () = redis::cmd("SET")
        .arg("after")
        .arg("rewrite")
        .query(&mut rc)
        .unwrap();
    let _: i64 = redis::cmd("RPUSH")
        .arg("l:small")
        .arg("z")
        .query(&mut rc)
        .unwrap();
    let from_redis = contents(&mut rc, &[0, 1, 5]);
    let dir = TempDir::new("aof-interop");
    copy_aof_dir(&redis.dir, &dir.0);
    drop(redis);
    let srv = Server::start_in(&dir.0, &aof_args("everysec"));
    let mut sc = srv.client();
    assert_same(&contents(&mut sc, &[0, 1, 5]), &from_redis);
    // shoal -> redis: shoal appends to Redis's files, then Redis loads them.
    let _: () = redis::cmd("SET")
        .arg("by")
        .arg("shoal")
        .query(&mut sc)
        .unwrap();
    let _: i64 = redis::cmd("DEL").arg("s:raw").query(&mut sc).unwrap();
    let _: String = redis::cmd("BGREWRITEAOF").query(&mut sc).unwrap();
    wait_rewrite_done(&mut srv.raw());
    let _: i64 = redis::cmd("HSET")
        .arg("h:small")
        .arg("new")
        .arg("1")
        .query(&mut sc)
        .unwrap();
    let from_shoal = contents(&mut sc, &[0, 1, 5]);
    drop(srv);
    let redis = redis_peer::Redis::start_with_dir(&dir.0, &["--appendonly", "yes"]);
    assert_same(&contents(&mut redis.client(), &[0, 1, 5]), &from_shoal);
}

#[test]
fn a_base_in_command_form_replays_in_shoal_and_in_redis() {
    if against_redis() || !redis_peer::have_redis() {
        return;
    }
    let dir = TempDir::new("aof-command-base");
    let mut args = aof_args("always");
    args.extend(["--aof-use-rdb-preamble", "no"]);
    let mut srv = Server::start_in(&dir.0, &args);
    let mut sc = srv.client();
    redis_peer::populate(&mut sc);
    let mut c = srv.raw();
    c.ex(
        "BGREWRITEAOF",
        "+Background append only file rewriting started\r\n",
    );
    wait_rewrite_done(&mut c);
    let m = manifest(&dir.0);
    assert!(m.contains("appendonly.aof.2.base.aof seq 2 type b"), "{m}");
    let base = std::fs::read(dir.0.join("appendonlydir/appendonly.aof.2.base.aof")).unwrap();
    assert!(base.starts_with(b"*2\r\n$6\r\nSELECT\r\n"));
    let text = String::from_utf8_lossy(&base);
    for cmd in [
        "RPUSH",
        "SADD",
        "ZADD",
        "HSET",
        "XADD",
        "XSETID",
        "XCLAIM",
        "PEXPIREAT",
    ] {
        assert!(text.contains(cmd), "{cmd} not in the base");
    }
    c.ex("SET after base", OK);
    let before = contents(&mut sc, &[0, 1, 5]);
    srv.kill9();
    let srv = Server::start_in(&dir.0, &args);
    assert_same(&contents(&mut srv.client(), &[0, 1, 5]), &before);
    drop(srv);
    let redis = redis_peer::Redis::start_with_dir(&dir.0, &["--appendonly", "yes"]);
    assert_same(&contents(&mut redis.client(), &[0, 1, 5]), &before);
}

#[test]
fn leftovers_of_an_interrupted_rewrite_are_removed_at_start_up() {
    if against_redis() {
        return;
    }
    let dir = TempDir::new("aof-leftovers");
    let mut srv = Server::start_in(&dir.0, &aof_args("always"));
    srv.raw().ex("SET k v", OK);
    srv.kill9();
    let aofdir = dir.0.join("appendonlydir");
    for stray in [
        "appendonly.aof.9.base.rdb",
        "appendonly.aof.7.incr.aof",
        "temp-1-0.rdb",
    ] {
        std::fs::write(aofdir.join(stray), b"junk").unwrap();
    }
    std::fs::write(aofdir.join("notes.txt"), b"mine").unwrap();
    let srv = Server::start_in(&dir.0, &aof_args("always"));
    srv.raw().ex("GET k", &bulk("v"));
    let mut left: Vec<String> = std::fs::read_dir(&aofdir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        [
            "appendonly.aof.1.incr.aof",
            "appendonly.aof.manifest",
            "notes.txt"
        ]
    );
}

#[test]
fn transactions_that_read_info_run_while_rewrites_start() {
    if against_redis() {
        return;
    }
    // EXEC holds every shard lock and INFO takes the AOF's lock; a rewrite starting meanwhile
    // takes them in the other order only if it holds the AOF's lock across the snapshot.
    let dir = TempDir::new("aof-exec-info");
    let srv = Server::start_in(&dir.0, &aof_args("everysec"));
    let stop = Arc::new(AtomicBool::new(false));
    let rewriter = {
        let (stop, port) = (stop.clone(), srv.port);
        std::thread::spawn(move || {
            let mut r = Raw {
                s: std::net::TcpStream::connect(("127.0.0.1", port)).unwrap(),
            };
            r.s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let mut started = 0;
            for _ in 0..10_000 {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                if r.call(&["BGREWRITEAOF"]).contains("started") {
                    started += 1;
                }
            }
            started
        })
    };
    let mut c = srv.raw();
    c.s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    for i in 0..300 {
        c.ex("MULTI", OK);
        c.ex("INFO persistence", "+QUEUED\r\n");
        c.expect(&["SET", "k", &i.to_string()], "+QUEUED\r\n");
        let r = c.call(&["EXEC"]);
        assert!(r.starts_with("*2\r\n"), "{r}");
    }
    stop.store(true, Ordering::Relaxed);
    let started = rewriter.join().unwrap();
    assert!(started > 0);
    c.ex("GET k", &bulk("299"));
}
