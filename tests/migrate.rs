//! MIGRATE between two real server processes: every type and encoding moves with its contents
//! and TTL, COPY / REPLACE / KEYS / AUTH / AUTH2 behave and fail as in Redis 7.0.15, an
//! unreachable or silent target gives IOERR within the timeout and keeps the key, a cached
//! connection the target closed is replaced transparently, and a replica of the source sees
//! the DEL. A fake target checks the bytes MIGRATE sends. RESTORE-ASKING restores like RESTORE.
//!
//! `SHOAL_TEST_AGAINST=redis` runs the same file against redis-server 7.0.15 (both ends).

mod redis_peer;
mod support;

use redis_peer::{contents, fetch, populate, Contents};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};
use support::*;

/// `MIGRATE 127.0.0.1 port key db timeout rest...` on `src`; returns the reply.
fn migrate(src: &mut Raw, port: u16, key: &str, db: u64, timeout: u64, rest: &[&str]) -> String {
    let port = port.to_string();
    let db = db.to_string();
    let timeout = timeout.to_string();
    let mut args = vec!["MIGRATE", "127.0.0.1", &port, key, &db, &timeout];
    args.extend_from_slice(rest);
    src.call(&args)
}

/// The error MIGRATE relays from the target.
fn target_err(msg: &str) -> String {
    err(&format!("ERR Target instance replied with error: {msg}"))
}

const BUSYKEY: &str = "BUSYKEY Target key name already exists.";

/// Asserts `got` holds the keys of `want` with equal values and expiries within 5 s of each
/// other (MIGRATE sends the remaining TTL, so the target's absolute expiry moves by the
/// transfer time).
#[track_caller]
fn assert_moved(got: &Contents, want: &Contents) {
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "the same keys"
    );
    for (k, (v, at)) in want {
        let (gv, gat) = &got[k];
        let name = (k.0, String::from_utf8_lossy(&k.1));
        assert_eq!(gv, v, "{name:?}");
        match (at, gat) {
            (None, None) => {}
            (Some(a), Some(b)) => assert!(a.abs_diff(*b) < 5000, "{name:?}: expiry {a} -> {b}"),
            _ => panic!("{name:?}: expiry {at:?} -> {gat:?}"),
        }
    }
}

#[test]
fn every_type_and_encoding_moves_with_its_ttl_and_leaves_the_source() {
    let (src, dst) = (Server::start(&[]), Server::start(&[]));
    let mut sc = src.client();
    populate(&mut sc);
    let want = contents(&mut sc, &[0, 1, 5]);
    assert!(want.len() > 40, "populate made {} keys", want.len());
    let mut s = src.raw();
    for db in [0u64, 1, 5] {
        s.expect(&["SELECT", &db.to_string()], OK);
        let keys: Vec<String> = want
            .keys()
            .filter(|(d, _)| *d == db)
            .map(|(_, k)| String::from_utf8(k.clone()).unwrap())
            .collect();
        if db == 0 {
            // One key per call.
            for k in &keys {
                assert_eq!(migrate(&mut s, dst.port, k, db, 5000, &[]), OK, "{k}");
            }
        } else {
            // All at once (more than 64 KiB: the pipeline is written in chunks).
            let mut rest = vec!["KEYS"];
            rest.extend(keys.iter().map(String::as_str));
            assert_eq!(migrate(&mut s, dst.port, "", db, 5000, &rest), OK);
        }
        s.expect(&["DBSIZE"], &int(0));
    }
    let got = contents(&mut dst.client(), &[0, 1, 5]);
    assert_moved(&got, &want);
}

#[test]
fn copy_keeps_the_source_replace_overwrites_and_busykey_keeps_both() {
    let (src, dst) = (Server::start(&[]), Server::start(&[]));
    let (mut s, mut d) = (src.raw(), dst.raw());
    s.ex("SET k v1", OK);
    assert_eq!(migrate(&mut s, dst.port, "k", 0, 5000, &["COPY"]), OK);
    s.ex("GET k", &bulk("v1"));
    d.ex("GET k", &bulk("v1"));

    s.ex("SET k v2", OK);
    let busy = target_err(BUSYKEY);
    assert_eq!(migrate(&mut s, dst.port, "k", 0, 5000, &["COPY"]), busy);
    assert_eq!(migrate(&mut s, dst.port, "k", 0, 5000, &[]), busy);
    s.ex("GET k", &bulk("v2"));
    d.ex("GET k", &bulk("v1"));

    assert_eq!(
        migrate(&mut s, dst.port, "k", 0, 5000, &["copy", "REPLACE"]),
        OK
    );
    s.ex("GET k", &bulk("v2"));
    s.ex("SET k v3", OK);
    assert_eq!(migrate(&mut s, dst.port, "k", 0, 5000, &["replace"]), OK);
    s.ex("EXISTS k", &int(0));
    d.ex("GET k", &bulk("v3"));
}

#[test]
fn keys_form_moves_the_keys_that_exist_and_says_nokey_when_none_does() {
    let (src, dst) = (Server::start(&[]), Server::start(&[]));
    let (mut s, mut d) = (src.raw(), dst.raw());
    s.ex("MSET {t}a 1 {t}b 2 {t}c new", OK);
    d.ex("SET {t}c old", OK);
    let r = migrate(
        &mut s,
        dst.port,
        "",
        0,
        5000,
        &["KEYS", "{t}a", "{t}missing", "{t}b"],
    );
    assert_eq!(r, OK);
    s.ex("EXISTS {t}a {t}b", &int(0));
    d.ex("MGET {t}a {t}b", &arr(&["1", "2"]));
    let r = migrate(
        &mut s,
        dst.port,
        "",
        0,
        5000,
        &["KEYS", "{t}a", "{t}missing"],
    );
    assert_eq!(r, "+NOKEY\r\n");
    assert_eq!(
        migrate(&mut s, dst.port, "{t}nothing", 0, 5000, &[]),
        "+NOKEY\r\n"
    );

    // One key refused: the accepted one moved, the refused one stays, the error is relayed.
    s.ex("SET {t}d 4", OK);
    let r = migrate(&mut s, dst.port, "", 0, 5000, &["KEYS", "{t}d", "{t}c"]);
    assert_eq!(r, target_err(BUSYKEY));
    s.ex("EXISTS {t}d", &int(0));
    s.ex("GET {t}c", &bulk("new"));
    d.ex("MGET {t}c {t}d", &arr(&["old", "4"]));

    // A database the target does not have: SELECT's error, the key stays.
    let r = migrate(&mut s, dst.port, "{t}c", 99, 5000, &[]);
    assert_eq!(r, target_err("ERR DB index is out of range"));
    s.ex("GET {t}c", &bulk("new"));
    // ... and the next call selects again.
    assert_eq!(migrate(&mut s, dst.port, "{t}c", 2, 5000, &[]), OK);
    d.ex("SELECT 2", OK);
    d.ex("GET {t}c", &bulk("new"));
}

#[test]
fn bad_arguments_get_redis_errors_and_move_nothing() {
    let src = Server::start(&[]);
    let mut s = src.raw();
    s.ex("SET k v", OK);
    // Nothing listens there, but the arguments are checked first.
    let port = free_port();
    let keys_err =
        err("ERR When using MIGRATE KEYS option, the key argument must be set to the empty string");
    assert_eq!(migrate(&mut s, port, "k", 0, 100, &["KEYS", "k"]), keys_err);
    assert_eq!(migrate(&mut s, port, "k", 0, 100, &["BOGUS"]), SYNTAX);
    assert_eq!(
        migrate(&mut s, port, "k", 0, 100, &["COPY", "AUTH"]),
        SYNTAX
    );
    assert_eq!(
        migrate(&mut s, port, "k", 0, 100, &["AUTH2", "user"]),
        SYNTAX
    );
    s.expect(&["MIGRATE", "h", "1", "k", "0", "x"], NOT_INT);
    s.expect(&["MIGRATE", "h", "1", "k", "x", "0"], NOT_INT);
    s.expect(&["MIGRATE", "h", "1", "k", "0"], &arity("migrate"));
    s.ex("GET k", &bulk("v"));
    // The keys COMMAND GETKEYS (and dispatch) finds.
    s.expect(
        &[
            "COMMAND", "GETKEYS", "MIGRATE", "h", "1", "", "0", "0", "KEYS", "a", "b",
        ],
        &arr(&["a", "b"]),
    );
    s.expect(
        &[
            "COMMAND", "GETKEYS", "MIGRATE", "h", "1", "", "0", "0", "AUTH", "keys", "KEYS", "a",
        ],
        &arr(&["a"]),
    );
    s.expect(
        &["COMMAND", "GETKEYS", "MIGRATE", "h", "1", "x", "0", "0"],
        &arr(&["x"]),
    );
}

#[test]
fn auth_and_auth2_authenticate_with_the_target() {
    let src = Server::start(&[]);
    let dst = Server::start(&["--requirepass", "pw"]);
    let mut s = src.raw();
    s.ex("MSET k1 a k2 b k3 c", OK);
    let p = dst.port;
    let noauth = target_err("NOAUTH Authentication required.");
    assert_eq!(migrate(&mut s, p, "k1", 0, 5000, &[]), noauth);
    let wrongpass = target_err("WRONGPASS invalid username-password pair or user is disabled.");
    assert_eq!(
        migrate(&mut s, p, "k1", 0, 5000, &["AUTH", "nope"]),
        wrongpass
    );
    s.ex("EXISTS k1", &int(1));
    assert_eq!(migrate(&mut s, p, "k1", 0, 5000, &["AUTH", "pw"]), OK);
    assert_eq!(
        migrate(&mut s, p, "k2", 0, 5000, &["AUTH2", "default", "pw"]),
        OK
    );
    // shoal has no ACL users besides `default` yet: a wrong user is refused.
    let r = migrate(&mut s, p, "k3", 0, 5000, &["AUTH2", "nobody", "pw"]);
    assert_eq!(r, wrongpass);
    s.ex("EXISTS k1 k2 k3", &int(1));
    let mut d = dst.raw();
    d.ex("AUTH pw", OK);
    d.ex("MGET k1 k2", &arr(&["a", "b"]));
}

#[test]
fn an_unreachable_or_silent_target_gives_ioerr_within_the_timeout_and_keeps_the_key() {
    let src = Server::start(&[]);
    let mut s = src.raw();
    s.ex("SET k v", OK);
    // A port that does not resolve: Redis's "connecting" error.
    s.expect(
        &["MIGRATE", "127.0.0.1", "-1", "k", "0", "1000"],
        &err("IOERR error or timeout connecting to the client"),
    );
    // A refused connection: Redis 7.0's blocking connect reports success, its write fails.
    let nobody = free_port();
    let start = Instant::now();
    let r = migrate(&mut s, nobody, "k", 0, 1000, &[]);
    assert_eq!(r, err("IOERR error or timeout writing to target instance"));
    assert!(start.elapsed() < Duration::from_secs(5));

    // A target that accepts (the kernel does, from the backlog) and never answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let start = Instant::now();
    let r = migrate(&mut s, port, "k", 0, 300, &[]);
    let took = start.elapsed();
    assert_eq!(r, err("IOERR error or timeout reading to target instance"));
    assert!(took >= Duration::from_millis(250), "{took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    s.ex("GET k", &bulk("v"));
    // The server still serves.
    s.ex("PING", "+PONG\r\n");
}

#[test]
fn the_connection_is_cached_and_replaced_after_the_target_closed_it() {
    let (src, dst) = (Server::start(&[]), Server::start(&[]));
    let (mut s, mut d) = (src.raw(), dst.raw());
    s.ex("MSET a 1 b 2 c 3 e 5", OK);
    let conns = |d: &mut Raw| -> u64 {
        d.info_field("stats", "total_connections_received")
            .parse()
            .unwrap()
    };
    let selects = |d: &mut Raw| -> String {
        let line = d.info_field("commandstats", "cmdstat_select");
        line.split(',').next().unwrap().to_string()
    };
    let before = conns(&mut d);
    assert_eq!(migrate(&mut s, dst.port, "a", 3, 5000, &[]), OK);
    assert_eq!(migrate(&mut s, dst.port, "b", 3, 5000, &[]), OK);
    assert_eq!(conns(&mut d), before + 1, "one connection for both");
    assert_eq!(
        selects(&mut d),
        "calls=1",
        "SELECT only when the database changes"
    );

    // The target closes it (CLIENT KILL skips the caller): the next MIGRATE reconnects once.
    d.ex("CLIENT KILL TYPE normal", &int(1));
    assert_eq!(migrate(&mut s, dst.port, "c", 3, 5000, &[]), OK);
    assert_eq!(conns(&mut d), before + 2);
    assert_eq!(selects(&mut d), "calls=2");
    assert_eq!(migrate(&mut s, dst.port, "e", 4, 5000, &[]), OK);
    assert_eq!(selects(&mut d), "calls=3");
    d.ex("SELECT 3", OK);
    d.ex("MGET a b c", &arr(&["1", "2", "3"]));
    s.ex("EXISTS a b c e", &int(0));
}

/// The source's AOF incr file(s), concatenated.
fn incr_aof(dir: &std::path::Path) -> Vec<u8> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir.join("appendonlydir")) {
        for e in rd.flatten() {
            if e.file_name().to_string_lossy().ends_with(".incr.aof") {
                out.extend(std::fs::read(e.path()).unwrap_or_default());
            }
        }
    }
    out
}

#[test]
fn a_replica_and_the_aof_of_the_source_see_the_key_deleted() {
    let src = Server::start(&["--appendonly", "yes"]);
    let dst = Server::start(&[]);
    let port = src.port.to_string();
    let rep = Server::start(&["--replicaof", "127.0.0.1", &port]);
    let (mut s, mut r) = (src.raw(), rep.raw());
    s.ex("MSET k v c w", OK);
    let wait = Duration::from_secs(30);
    assert!(
        poll_until(wait, || r.call(&["EXISTS", "k", "c"]) == int(2)),
        "the replica did not get the keys"
    );
    assert_eq!(migrate(&mut s, dst.port, "c", 0, 5000, &["COPY"]), OK);
    assert_eq!(migrate(&mut s, dst.port, "k", 0, 5000, &[]), OK);
    assert!(
        poll_until(wait, || r.call(&["EXISTS", "k"]) == int(0)),
        "the replica still has the moved key"
    );
    r.ex("GET c", &bulk("w"));
    // The AOF has the DEL, and MIGRATE itself nowhere.
    let del = resp(&[b"DEL", b"k"]);
    assert!(
        poll_until(wait, || incr_aof(&src.dir)
            .windows(del.len())
            .any(|w| w == &del[..])),
        "no DEL k in the AOF: {:?}",
        String::from_utf8_lossy(&incr_aof(&src.dir))
    );
    let aof = String::from_utf8_lossy(&incr_aof(&src.dir)).to_ascii_uppercase();
    assert!(!aof.contains("MIGRATE"), "{aof:?}");
}

/// A fake target on 127.0.0.1: accepts one connection and, for each expected request, reads
/// exactly its length (or until 10 s pass) and answers `+OK` per command in it. Returns the
/// port and a handle giving what each read received.
fn fake_target(requests: Vec<(usize, usize)>) -> (u16, std::thread::JoinHandle<Vec<Vec<u8>>>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let h = std::thread::spawn(move || {
        let (mut c, _) = l.accept().unwrap();
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut got = Vec::new();
        for (len, commands) in requests {
            let mut buf = vec![0u8; len];
            let mut n = 0;
            while n < len {
                match c.read(&mut buf[n..]) {
                    Ok(0) | Err(_) => break,
                    Ok(k) => n += k,
                }
            }
            buf.truncate(n);
            got.push(buf);
            c.write_all(&b"+OK\r\n".repeat(commands)).unwrap();
        }
        got
    });
    (port, h)
}

#[test]
fn the_request_is_auth_select_and_restore_commands_as_redis_sends_them() {
    let src = Server::start(&[]);
    let mut s = src.raw();
    s.ex("MSET {t}a hello {t}b 12345", OK);
    let dump = |s: &mut Raw, k: &str| -> Vec<u8> {
        s.send(&resp(&[b"DUMP", k.as_bytes()]));
        let reply = s.read_reply();
        let body = &reply[reply.iter().position(|&b| b == b'\n').unwrap() + 1..];
        body[..body.len() - 2].to_vec()
    };
    let (pa, pb) = (dump(&mut s, "{t}a"), dump(&mut s, "{t}b"));
    let restore = |k: &str, p: &[u8]| resp(&[b"RESTORE", k.as_bytes(), b"0", p, b"REPLACE"]);
    let mut first = resp(&[b"AUTH", b"user", b"secret"]);
    first.extend(resp(&[b"SELECT", b"5"]));
    first.extend(restore("{t}a", &pa));
    first.extend(restore("{t}b", &pb));
    // Same database on the same connection: no SELECT.
    let mut second = resp(&[b"AUTH", b"pw"]);
    second.extend(resp(&[b"RESTORE", b"{t}a", b"0", &pa]));
    let (port, h) = fake_target(vec![(first.len(), 4), (second.len(), 2)]);
    let r = migrate(
        &mut s,
        port,
        "",
        5,
        5000,
        &[
            "COPY", "REPLACE", "AUTH2", "user", "secret", "KEYS", "{t}a", "{t}b",
        ],
    );
    assert_eq!(r, OK);
    let r = migrate(&mut s, port, "{t}a", 5, 5000, &["AUTH", "pw"]);
    assert_eq!(r, OK);
    let got = h.join().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&got[0]),
        String::from_utf8_lossy(&first)
    );
    assert_eq!(
        String::from_utf8_lossy(&got[1]),
        String::from_utf8_lossy(&second)
    );
    s.ex("EXISTS {t}a {t}b", &int(1));
}

#[test]
fn restore_asking_restores_like_restore() {
    let (src, dst) = (Server::start(&[]), Server::start(&[]));
    let mut sc = src.client();
    let _: () = redis::cmd("RPUSH")
        .arg("l")
        .arg(&["a", "b"])
        .query(&mut sc)
        .unwrap();
    let p: Vec<u8> = redis::cmd("DUMP").arg("l").query(&mut sc).unwrap();
    let mut d = dst.raw();
    d.send(&resp(&[b"RESTORE-ASKING", b"l", b"0", &p]));
    assert_eq!(d.reply(), OK);
    d.send(&resp(&[b"RESTORE-ASKING", b"l", b"0", &p]));
    assert_eq!(d.reply(), err(BUSYKEY));
    d.send(&resp(&[b"RESTORE-ASKING", b"l", b"0", &p, b"REPLACE"]));
    assert_eq!(d.reply(), OK);
    assert_eq!(fetch(&mut dst.client(), b"l"), fetch(&mut sc, b"l"));
}
