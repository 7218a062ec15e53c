//! DUMP and RESTORE against redis-server 7.0.15: payloads go both ways between Redis and
//! shoal with equal contents and encodings, and RESTORE's replies and errors match Redis's
//! reply for reply. Skipped with a message when /usr/bin/redis-server is absent.
mod redis_peer;
mod support;
use redis_peer::*;
use support::*;

use redis::Value as RV;
use std::io::Write;
use std::net::TcpStream;

#[test]
fn dump_payloads_restore_across_redis_and_shoal_with_equal_contents() {
    if !have_redis() {
        return;
    }
    let r = Redis::start(None);
    let shoal = Server::start(&[]);
    let mut rc = r.client();
    let mut sc = shoal.client();
    populate(&mut rc);
    populate(&mut sc);
    for db in [0u64, 1, 5] {
        let ks = keys(&mut rc, db);
        assert_eq!(ks, keys(&mut sc, db));
        for key in ks {
            let name = String::from_utf8_lossy(&key).into_owned();
            let want = fetch(&mut rc, &key);
            // Redis -> shoal.
            let p: Vec<u8> = redis::cmd("DUMP").arg(&key).query(&mut rc).unwrap();
            let _: () = redis::cmd("RESTORE")
                .arg(b"copy")
                .arg(0)
                .arg(&p)
                .arg("REPLACE")
                .query(&mut sc)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(fetch(&mut sc, b"copy"), want, "{name} redis->shoal");
            assert_eq!(
                encoding(&mut sc, b"copy"),
                encoding(&mut rc, &key),
                "{name}"
            );
            // shoal -> Redis.
            let p: Vec<u8> = redis::cmd("DUMP").arg(&key).query(&mut sc).unwrap();
            let _: () = redis::cmd("RESTORE")
                .arg(b"copy")
                .arg(0)
                .arg(&p)
                .arg("REPLACE")
                .query(&mut rc)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            // Streams carry delivery and seen times, which differ between the two servers.
            let theirs = fetch(&mut sc, &key);
            assert_eq!(fetch(&mut rc, b"copy"), theirs, "{name} shoal->redis");
            if theirs.0 == "stream" {
                // Our nodes are cut where Redis cuts them: as many radix tree keys.
                let radix = |c: &mut redis::Connection, k: &[u8]| -> i64 {
                    let v: Vec<RV> = redis::cmd("XINFO").arg("STREAM").arg(k).query(c).unwrap();
                    match &v[3] {
                        RV::Int(n) => *n,
                        other => panic!("{other:?}"),
                    }
                };
                assert_eq!(
                    radix(&mut rc, b"copy"),
                    radix(&mut rc, &key),
                    "{name} nodes"
                );
            }
            assert_eq!(
                encoding(&mut rc, b"copy"),
                encoding(&mut sc, &key),
                "{name}"
            );
        }
    }
}

#[test]
fn restore_replies_and_errors_match_redis() {
    if !have_redis() {
        return;
    }
    let r = Redis::start(None);
    let shoal = Server::start(&[]);
    let mut rr = raw(r.port);
    let mut ss = raw(shoal.port);
    let mut both = |args: &[&[u8]]| -> String {
        let a = raw_call(&mut rr, args);
        let b = raw_call(&mut ss, args);
        assert_eq!(
            b,
            a,
            "{:?}",
            args.iter()
                .map(|x| String::from_utf8_lossy(x))
                .collect::<Vec<_>>()
        );
        a
    };
    both(&[b"SET", b"k", b"v"]);
    both(&[b"RPUSH", b"l", b"a", b"b"]);
    let p = {
        let mut s = raw(r.port);
        s.write_all(&resp(&[b"DUMP", b"k"])).unwrap();
        let rep = read_reply(&mut s);
        let start = rep.iter().position(|&b| b == b'\n').unwrap() + 1;
        rep[start..rep.len() - 2].to_vec()
    };
    assert_eq!(both(&[b"DUMP", b"nosuch"]), NIL);
    assert_eq!(
        both(&[b"RESTORE", b"k", b"0", &p]),
        err("BUSYKEY Target key name already exists.")
    );
    both(&[b"RESTORE", b"k", b"-1", &p, b"REPLACE"]);
    both(&[b"RESTORE", b"k", b"abc", &p, b"REPLACE"]);
    both(&[b"RESTORE", b"n", b"0", b"\x00\x01", b"REPLACE"]);
    both(&[b"RESTORE", b"n", b"0", b"junkjunkjunkjunk"]);
    let mut bad = p.clone();
    bad[1] ^= 0x20;
    both(&[b"RESTORE", b"n", b"0", &bad]);
    both(&[b"RESTORE", b"n", b"0", &p, b"IDLETIME", b"-1"]);
    both(&[b"RESTORE", b"n", b"0", &p, b"IDLETIME", b"x"]);
    both(&[b"RESTORE", b"n", b"0", &p, b"FREQ", b"256"]);
    both(&[b"RESTORE", b"n", b"0", &p, b"FREQ", b"1", b"IDLETIME", b"1"]);
    both(&[b"RESTORE", b"n", b"0", &p, b"IDLETIME"]);
    both(&[b"RESTORE", b"n", b"0", &p, b"BOGUS"]);
    both(&[b"RESTORE", b"n", b"0"]);
    both(&[b"DUMP"]);
    // A past absolute TTL stores nothing; REPLACE deletes the old key.
    assert_eq!(
        both(&[b"RESTORE", b"l", b"1", &p, b"ABSTTL", b"REPLACE"]),
        OK
    );
    assert_eq!(both(&[b"EXISTS", b"l"]), int(0));
    assert_eq!(
        both(&[b"RESTORE", b"n", b"0", &p, b"IDLETIME", b"1000"]),
        OK
    );
    assert_eq!(both(&[b"RESTORE", b"t", b"5000", &p]), OK);
    assert_eq!(both(&[b"RESTORE", b"huge", b"9223372036854775807", &p]), OK);
    assert_eq!(both(&[b"EXISTS", b"huge"]), int(0));
    let mut longer = p.clone();
    longer.push(b'x');
    both(&[b"RESTORE", b"x", b"0", &longer]);
    assert_eq!(
        both(&[
            b"RESTORE",
            b"i",
            b"0",
            &p,
            b"IDLETIME",
            b"5",
            b"IDLETIME",
            b"7"
        ]),
        OK
    );
    both(&[
        b"RESTORE", b"i2", b"0", &p, b"REPLACE", b"REPLACE", b"ABSTTL",
    ]);
    assert_eq!(both(&[b"GET", b"t"]), bulk("v"));
    // Clocks move between the two calls: compare with a margin.
    let num = |s: &mut TcpStream, args: &[&[u8]]| -> i64 {
        let r = raw_call(s, args);
        r[1..r.len() - 2].parse().unwrap()
    };
    for s in [&mut rr, &mut ss] {
        let idle = num(s, &[b"OBJECT", b"IDLETIME", b"n"]);
        assert!((1000..=1002).contains(&idle), "{idle}");
        let pttl = num(s, &[b"PTTL", b"t"]);
        assert!((4000..=5000).contains(&pttl), "{pttl}");
    }
}
