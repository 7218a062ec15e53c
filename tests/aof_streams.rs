//! Consumer groups through the AOF: XREADGROUP, XCLAIM and XAUTOCLAIM depend on the clock
//! (delivery times, idle times), so they are fed as the changes they made (an XCLAIM ... TIME
//! RETRYCOUNT FORCE JUSTID LASTID per PEL entry, XGROUP SETID, XGROUP CREATECONSUMER), as
//! Redis 7.0 propagates them. A server killed with SIGKILL and restarted on its AOF must show
//! the same groups: PEL ids, owners, delivery counts and delivery times, consumers, last ids and
//! read counters.
mod redis_peer;
mod support;

use redis::Value as RV;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use support::*;

const AOF_ARGS: &[&str] = &[
    "--appendonly",
    "yes",
    "--appendfsync",
    "always",
    "--save",
    "",
];

fn q(c: &mut redis::Connection, args: &[&str]) -> RV {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query(c)
        .unwrap_or_else(|e| panic!("{args:?} failed: {e}"))
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// The incr files of the AOF directory (`appendonly.aof.<n>.incr.aof`), read and joined.
fn incr_aof(dir: &Path) -> Vec<u8> {
    let d: PathBuf = dir.join("appendonlydir");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&d)
        .map(|it| it.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    names.retain(|p| p.to_string_lossy().ends_with(".incr.aof"));
    names.sort();
    let mut out = Vec::new();
    for p in names {
        out.extend(std::fs::read(p).unwrap_or_default());
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// A command as RESP bulk strings, as the AOF holds it.
fn as_resp(args: &[&str]) -> Vec<u8> {
    let v: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    resp(&v)
}

/// XINFO STREAM FULL flattened (radix tree figures dropped by `fetch`), without the consumers'
/// `seen-time` (which Redis does not keep through an AOF either).
fn full(c: &mut redis::Connection, key: &str) -> Vec<Vec<u8>> {
    let (t, flat) = redis_peer::fetch(c, key.as_bytes());
    assert_eq!(t, "stream");
    redis_peer::without_values_of(flat, &[b"seen-time"])
}

/// XPENDING key g - + 100 without the idle times: (id, consumer, deliveries).
fn pending(c: &mut redis::Connection, key: &str) -> Vec<(String, String, i64)> {
    let RV::Array(rows) = q(c, &["XPENDING", key, "g", "-", "+", "100"]) else {
        panic!("XPENDING: not an array");
    };
    rows.into_iter()
        .map(|r| {
            let RV::Array(f) = r else {
                panic!("XPENDING row: not an array")
            };
            let s = |v: &RV| match v {
                RV::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
                other => panic!("not a bulk: {other:?}"),
            };
            let RV::Int(n) = f[3] else {
                panic!("not an int: {:?}", f[3])
            };
            (s(&f[0]), s(&f[1]), n)
        })
        .collect()
}

#[test]
fn consumer_groups_survive_a_crash_with_their_delivery_times() {
    let dir = TempDir::new("aof-streams");
    let mut srv = Server::start_in(&dir.0, AOF_ARGS);
    let mut c = srv.client();
    for i in 1..=8 {
        q(
            &mut c,
            &["XADD", "s", &format!("1-{i}"), "f", &i.to_string()],
        );
    }
    q(&mut c, &["XGROUP", "CREATE", "s", "g", "0"]);
    // alice: 1-1 1-2 1-3 pending; bob (NOACK): 1-4 1-5 delivered, nothing pending;
    // carol: 1-6 1-7 pending.
    q(
        &mut c,
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "alice",
            "COUNT",
            "3",
            "STREAMS",
            "s",
            ">",
        ],
    );
    q(
        &mut c,
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "bob",
            "COUNT",
            "2",
            "NOACK",
            "STREAMS",
            "s",
            ">",
        ],
    );
    q(
        &mut c,
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "carol",
            "COUNT",
            "2",
            "STREAMS",
            "s",
            ">",
        ],
    );
    q(&mut c, &["XACK", "s", "g", "1-2"]);
    // A history read delivers carol's entries once more (counts 2).
    q(
        &mut c,
        &["XREADGROUP", "GROUP", "g", "carol", "STREAMS", "s", "0"],
    );
    // Age 1-1 and 1-6 without sleeping: delivery times in the past (TIME, and IDLE which is
    // relative to the clock).
    let old = (now_ms() - 60_000).to_string();
    q(
        &mut c,
        &[
            "XCLAIM", "s", "g", "alice", "0", "1-1", "TIME", &old, "JUSTID",
        ],
    );
    q(
        &mut c,
        &[
            "XCLAIM", "s", "g", "carol", "0", "1-6", "IDLE", "30000", "JUSTID",
        ],
    );
    q(&mut c, &["XDEL", "s", "1-7"]);
    // dave claims what is idle for 10 s: 1-1 but not 1-3.
    let claimed = q(
        &mut c,
        &["XCLAIM", "s", "g", "dave", "10000", "1-1", "1-3", "JUSTID"],
    );
    assert_eq!(claimed, RV::Array(vec![RV::BulkString(b"1-1".to_vec())]));
    // erin auto-claims 1-6 (idle) and drops 1-7 (deleted); 1-1 and 1-3 are fresh.
    let auto = q(&mut c, &["XAUTOCLAIM", "s", "g", "erin", "10000", "0"]);
    let RV::Array(parts) = auto else {
        panic!("XAUTOCLAIM: not an array")
    };
    assert_eq!(parts[2], RV::Array(vec![RV::BulkString(b"1-7".to_vec())]));
    let RV::Array(ref got) = parts[1] else {
        panic!("XAUTOCLAIM claimed: not an array")
    };
    assert_eq!(got.len(), 1, "XAUTOCLAIM claimed {got:?}");
    // A LASTID that claims nothing (1-3 is not idle) still moves the group past 1-8.
    let none = q(
        &mut c,
        &[
            "XCLAIM", "s", "g", "dave", "3600000", "1-3", "LASTID", "1-8",
        ],
    );
    assert_eq!(none, RV::Array(vec![]));
    q(&mut c, &["XADD", "s", "1-9", "f", "9"]);
    q(
        &mut c,
        &["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"],
    );

    // A history read that delivers nothing (bob has nothing pending) feeds nothing.
    // (the bulk strings the fed XCLAIM starts with, its array header left out)
    let fed = as_resp(&["XCLAIM", "s", "g", "alice", "0", "1-9", "TIME"]);
    let fed = &fed[4..];
    assert!(
        poll_until(Duration::from_secs(10), || contains(&incr_aof(&dir.0), fed)),
        "the last XREADGROUP's XCLAIM never reached the AOF"
    );
    let before = incr_aof(&dir.0).len();
    let r = q(
        &mut c,
        &["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", "0"],
    );
    assert_eq!(
        r,
        RV::Array(vec![RV::Array(vec![
            RV::BulkString(b"s".to_vec()),
            RV::Array(vec![])
        ])])
    );
    q(&mut c, &["SET", "marker", "1"]);
    let marker = as_resp(&["SET", "marker", "1"]);
    assert!(poll_until(Duration::from_secs(10), || contains(
        &incr_aof(&dir.0),
        &marker
    )));
    let aof = incr_aof(&dir.0);
    assert!(
        aof[before..].starts_with(&marker),
        "an empty history read fed {:?}",
        String::from_utf8_lossy(&aof[before..])
    );

    // What the AOF holds: the rewritten forms, never the commands as sent.
    assert!(contains(&aof, b"$6\r\nXCLAIM\r\n"));
    assert!(contains(
        &aof,
        b"$5\r\nFORCE\r\n$6\r\nJUSTID\r\n$6\r\nLASTID\r\n"
    ));
    assert!(contains(
        &aof,
        &as_resp(&["XGROUP", "CREATECONSUMER", "s", "g", "bob"])
    ));
    assert!(contains(&aof, b"$5\r\nSETID\r\n"));
    assert!(contains(&aof, b"$11\r\nENTRIESREAD\r\n"));
    for sent in ["XREADGROUP", "XAUTOCLAIM", "IDLE", "NOACK"] {
        let word = format!("${}\r\n{sent}\r\n", sent.len());
        assert!(
            !contains(&aof, word.as_bytes()),
            "the AOF holds {sent}: {}",
            String::from_utf8_lossy(&aof)
        );
    }

    let want_pending = pending(&mut c, "s");
    let want_full = full(&mut c, "s");
    assert_eq!(
        want_pending,
        vec![
            ("1-1".into(), "dave".into(), 1),
            ("1-3".into(), "alice".into(), 1),
            ("1-6".into(), "erin".into(), 3),
            ("1-9".into(), "alice".into(), 1),
        ]
    );
    drop(c);
    srv.kill9();

    let srv = Server::start_in(&dir.0, AOF_ARGS);
    let mut c = srv.client();
    assert_eq!(pending(&mut c, "s"), want_pending);
    assert_eq!(
        full(&mut c, "s"),
        want_full,
        "XINFO STREAM FULL differs after the restart"
    );
    let v: String = redis::cmd("GET").arg("marker").query(&mut c).unwrap();
    assert_eq!(v, "1");
}

#[test]
fn xclaim_propagated_form_recreates_the_pel_entry() {
    // The form Redis feeds: FORCE makes a PEL entry for an id nobody has pending, TIME and
    // RETRYCOUNT set it exactly, LASTID moves the group's last id forward (never back).
    let srv = Server::start(&[]);
    let mut c = srv.client();
    for i in 1..=3 {
        q(&mut c, &["XADD", "s", &format!("1-{i}"), "f", "v"]);
    }
    q(&mut c, &["XGROUP", "CREATE", "s", "g", "0"]);
    let t = (now_ms() - 5_000).to_string();
    // The form the AOF carries: FORCE creates the pending entry with that time and count.
    let claim = |c: &mut redis::Connection, lastid: &str| {
        q(
            c,
            &[
                "XCLAIM",
                "s",
                "g",
                "zoe",
                "0",
                "1-2",
                "TIME",
                &t,
                "RETRYCOUNT",
                "7",
                "FORCE",
                "JUSTID",
                "LASTID",
                lastid,
            ],
        )
    };
    let r = claim(&mut c, "1-2");
    assert_eq!(r, RV::Array(vec![RV::BulkString(b"1-2".to_vec())]));
    assert_eq!(pending(&mut c, "s"), vec![("1-2".into(), "zoe".into(), 7)]);
    let flat = full(&mut c, "s");
    let at = |label: &[u8]| {
        let i = flat.iter().position(|x| x == label).unwrap();
        String::from_utf8_lossy(&flat[i + 1]).into_owned()
    };
    assert_eq!(at(b"last-delivered-id"), "1-2");
    // The group's PEL entry: [id, consumer, delivery time, count].
    let i = flat.iter().position(|x| x == b"pending").unwrap();
    assert_eq!(
        &flat[i + 1..i + 7],
        &[
            b"[".to_vec(),
            b"[".to_vec(),
            b"1-2".to_vec(),
            b"zoe".to_vec(),
            t.clone().into_bytes(),
            b"7".to_vec()
        ]
    );
    // LASTID never moves the last id back.
    claim(&mut c, "1-1");
    let flat = full(&mut c, "s");
    let i = flat.iter().position(|x| x == b"last-delivered-id").unwrap();
    assert_eq!(flat[i + 1], b"1-2");
    // FORCE on an id whose entry is gone creates nothing.
    q(&mut c, &["XDEL", "s", "1-3"]);
    let r = q(
        &mut c,
        &["XCLAIM", "s", "g", "zoe", "0", "1-3", "FORCE", "JUSTID"],
    );
    assert_eq!(r, RV::Array(vec![]));
    assert_eq!(pending(&mut c, "s"), vec![("1-2".into(), "zoe".into(), 7)]);
}
