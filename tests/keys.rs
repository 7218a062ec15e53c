//! Keyspace commands: DEL UNLINK EXISTS TYPE, the EXPIRE family and TTL queries, RENAME COPY
//! MOVE SWAPDB, KEYS SCAN RANDOMKEY, DBSIZE FLUSHDB FLUSHALL SELECT, OBJECT, active expiry.
//!
//! Replies are compared byte for byte with what Redis 7.0.15 sends (RESP2), so error strings
//! must match to the letter. Multi-key tests use `{t}` hash tags so they hold in cluster mode.
mod support;
use support::*;

use std::collections::HashMap;
use std::time::Duration;

/// A raw RESP2 connection that returns each reply exactly as the server wrote it.
struct Conn(Raw);

fn conn(s: &Server) -> Conn {
    Conn(s.raw())
}

impl Conn {
    /// Sends one command and returns its complete reply, verbatim (support's `Raw::call`).
    fn q(&mut self, args: &[&str]) -> String {
        self.0.call(args)
    }

    /// Sends a command whose reply must be an integer, and returns it.
    fn int(&mut self, args: &[&str]) -> i64 {
        let r = self.q(args);
        assert!(r.starts_with(':'), "{args:?} replied {r:?}");
        r[1..r.len() - 2].parse().unwrap()
    }

    /// Sends a command and asserts it replies `+OK`.
    fn ok(&mut self, args: &[&str]) {
        assert_eq!(self.q(args), OK, "{args:?}");
    }
}

fn expire_err(cmd: &str) -> String {
    err(&format!("ERR invalid expire time in '{cmd}' command"))
}

// Unlike support's `NOT_INT`, without the `-` and CRLF: used as `err(NOT_INT)`.
const NOT_INT: &str = "ERR value is not an integer or out of range";
const OUT_OF_RANGE: &str = "ERR DB index is out of range";
const SAME_OBJECT: &str = "ERR source and destination objects are the same";

/// Sorted KEYS reply, through the `redis` crate.
fn keys(c: &mut redis::Connection, pattern: &str) -> Vec<String> {
    let mut v: Vec<String> = redis::cmd("KEYS").arg(pattern).query(c).unwrap();
    v.sort();
    v
}

#[test]
fn del_removes_keys_and_counts_each_key_once() {
    let s = Server::start(&[]);
    let mut c = conn(&s);
    c.ok(&["SET", "{t}a", "1"]);
    c.ok(&["SET", "{t}b", "2"]);
    assert_eq!(c.q(&["DEL", "{t}a", "{t}a", "{t}b", "{t}c"]), int(2));
    assert_eq!(c.q(&["EXISTS", "{t}a", "{t}b"]), int(0));
    assert_eq!(c.q(&["DEL", "{t}a"]), int(0));
    assert_eq!(c.q(&["GET", "{t}b"]), NIL);
}

#[test]
fn unlink_removes_keys_like_del() {
    let s = Server::start(&[]);
    let mut c = conn(&s);
    c.ok(&["MSET", "{t}a", "1", "{t}b", "2", "{t}c", "3"]);
    assert_eq!(c.q(&["UNLINK", "{t}a", "{t}b", "{t}b", "{t}x"]), int(2));
    assert_eq!(c.q(&["EXISTS", "{t}a", "{t}b", "{t}c"]), int(1));
    assert_eq!(c.q(&["UNLINK", "{t}a"]), int(0));
}

#[test]
fn exists_counts_duplicate_arguments() {
    let s = Server::start(&[]);
    let mut c = conn(&s);
    c.ok(&["SET", "{t}a", "1"]);
    assert_eq!(
        c.q(&["EXISTS", "{t}a", "{t}a", "{t}missing", "{t}a"]),
        int(3)
    );
    assert_eq!(c.q(&["EXISTS", "{t}missing"]), int(0));
}

#[test]
fn exists_type_and_ttl_count_hits_but_leave_the_access_time_alone() {
    // Redis's lookupKeyReadWithFlags(.., LOOKUP_NOTOUCH): asking about a key is a keyspace hit
    // or miss, but does not make the key look used to eviction. With lfu-log-factor 0 every
    // touch adds 1 to the LFU counter, so OBJECT FREQ shows each one.
    let s = Server::start(&["--maxmemory-policy", "allkeys-lfu", "--lfu-log-factor", "0"]);
    let mut c = conn(&s);
    assert_eq!(c.q(&["SET", "k", "v"]), "+OK\r\n");
    let freq = c.int(&["OBJECT", "FREQ", "k"]);
    let hits = |c: &mut Conn| -> i64 { c.0.info_field("stats", "keyspace_hits").parse().unwrap() };
    let misses =
        |c: &mut Conn| -> i64 { c.0.info_field("stats", "keyspace_misses").parse().unwrap() };
    let (h0, m0) = (hits(&mut c), misses(&mut c));
    for _ in 0..3 {
        assert_eq!(c.int(&["EXISTS", "k", "nokey"]), 1);
        assert_eq!(c.q(&["TYPE", "k"]), "+string\r\n");
        assert_eq!(c.int(&["TTL", "k"]), -1);
        assert_eq!(c.int(&["PTTL", "k"]), -1);
        assert_eq!(c.int(&["EXPIRETIME", "k"]), -1);
        assert_eq!(c.int(&["PEXPIRETIME", "k"]), -1);
    }
    assert_eq!(
        c.int(&["OBJECT", "FREQ", "k"]),
        freq,
        "EXISTS/TYPE/TTL touched the key"
    );
    // 3 rounds of 6 hits (EXISTS's k, TYPE, 4 TTLs) and 1 miss (EXISTS's nokey), and OBJECT
    // FREQ's hit.
    assert_eq!(hits(&mut c) - h0, 19);
    assert_eq!(misses(&mut c) - m0, 3);
    // A read does touch it: the check above can see a touch.
    assert_eq!(c.q(&["GET", "k"]), "$1\r\nv\r\n");
    assert_eq!(c.int(&["OBJECT", "FREQ", "k"]), freq + 1);
}

#[test]
fn key_commands_reject_wrong_arity() {
    let s = Server::start(&[]);
    let mut c = conn(&s);
    for name in [
        "del", "unlink", "exists", "touch", "type", "keys", "ttl", "persist",
    ] {
        let msg = format!("ERR wrong number of arguments for '{name}' command");
        assert_eq!(c.q(&[name]), err(&msg));
    }
    for args in [
        &["expire", "k"][..],
        &["rename", "k"],
        &["dbsize", "x"],
        &["randomkey", "x"],
    ] {
        let msg = format!("ERR wrong number of arguments for '{}' command", args[0]);
        assert_eq!(c.q(args), err(&msg));
    }
    let msg = "ERR wrong number of arguments for 'object|encoding' command";
    assert_eq!(c.q(&["OBJECT", "ENCODING"]), err(msg));
}

#[test]
fn type_reports_string_or_none() {
    let s = Server::start(&[]);
    let mut c = conn(&s);
    c.ok(&["SET", "k", "v"]);
    c.ok(&["SET", "n", "12"]);
    assert_eq!(c.q(&["TYPE", "k"]), "+string\r\n");
    assert_eq!(c.q(&["TYPE", "n"]), "+string\r\n");
    assert_eq!(c.q(&["TYPE", "missing"]), "+none\r\n");
}

#[test]
fn ttl_and_pttl_report_minus_two_for_missing_and_minus_one_for_persistent_keys() {
    let s = Server::start(&[]);
    let mut c = conn(&s);
    c.ok(&["SET", "k", "v"]);
    assert_eq!(c.q(&["TTL", "missing"]), int(-2));
    assert_eq!(c.q(&["PTTL", "missing"]), int(-2));
    assert_eq!(c.q(&["TTL", "k"]), int(-1));
    assert_eq!(c.q(&["PTTL", "k"]), int(-1));
}

#[test]
fn expire_sets_a_ttl_that_ttl_and_pttl_report() {
    let s = Server::start(&[]);
    let mut c = conn(&s);
    c.ok(&["SET", "k", "v"]);
    assert_eq!(c.q(&["EXPIRE", "k", "100"]), int(1));
    assert_eq!(c.q(&["TTL", "k"]), int(100));
    let pttl = c.int(&["PTTL", "k"]);
    assert!((90_000..=100_000).contains(&pttl), "pttl {pttl}");
    assert_eq!(c.q(&["PEXPIRE", "k", "50000"]), int(1));
    assert_eq!(c.q(&["TTL", "k"]), int(50));
    assert_eq!(c.q(&["EXPIRE", "missing", "100"]), int(0));
    assert_eq!(c.q(&["PEXPIRE", "missing", "100"]), int(0));
    assert_eq!(c.q(&["EXISTS", "missing"]), int(0));
}

#[test]
fn ttl_rounds_remaining_milliseconds_to_the_nearest_second() {
    let s = Server::start(&[]);
    let mut c = conn(&s);
    c.ok(&["SET", "k", "v", "PX", "2700"]);
    // (2700 - elapsed + 500) / 1000 == 3 for any elapsed below 200 ms; truncation would say 2.
    assert_eq!(c.q(&["TTL", "k"]), int(3));
}

#[test]
fn expire_nx_only_sets_a_ttl_on_keys_without_one() {
    let s = Server::start(&[]);
    let mut c = conn(&s);
    c.ok(&["SET", "k", "v"]);
    assert_eq!(c.q(&["EXPIRE", "k", "100", "NX"]), int(1));
    assert_eq!(c.q(&["EXPIRE", "k", "200", "nx"]), int(0));
    assert_eq!(c.q(&["TTL", "k"]), int(100));
    assert_eq!(c.q(&["PEXPIRE", "k", "5000", "NX"]), int(0));
    assert_eq!(c.q(&["EXPIRE", "missing", "100", "NX"]), int(0));
}

#[test]
fn expire_xx_only_sets_a_ttl_on_keys_that_have_one() {
    let s = Server::start(&[]);
    let mut c = conn(&s);
    c.ok(&["SET", "k", "v"]);
    assert_eq!(c.q(&["EXPIRE", "k", "100", "XX"]), int(0));
    assert_eq!(c.q(&["TTL", "k"]), int(-1));
    assert_eq!(c.q(&["EXPIRE", "k", "100"]), int(1));
    assert_eq!(c.q(&["EXPIRE", "k", "200", "xx"]), int(1));
    assert_eq!(c.q(&["TTL", "k"]), int(200));
}

#[test]
fn expire_gt_and_lt_compare_with_the_current_ttl_treating_none_as_infinite() {
    let s = Server::start(&[]);
    let mut c = conn(&s);
    c.ok(&["SET", "k", "v"]);
    assert_eq!(c.q(&["EXPIRE", "k", "100", "GT"]), int(0));
    assert_eq!(c.q(&["TTL", "k"]), int(-1));
    assert_eq!(c.q(&["EXPIRE", "k", "100", "LT"]), int(1));
    assert_eq!(c.q(&["EXPIRE", "k", "50", "GT"]), int(0));
    assert_eq!(c.q(&["EXPIRE", "k", "200", "gt"]), int(1));
    assert_eq!(c.q(&["EXPIRE", "k", "300", "LT"]), int(0));
    assert_eq!(c.q(&["EXPIRE", "k", "150", "lt"]), int(1));
    assert_eq!(c.q(&["EXPIRE", "k", "180", "XX", "GT"]), int(1));
    assert_eq!(c.q(&["TTL", "k"]), int(180));
    assert_eq!(c.q(&["PEXPIREAT", "k", "9999999999999", "GT"]), int(1));
    assert_eq!(c.q(&["EXPIREAT", "k", "10000000000", "LT"]), int(0));
    assert_eq!(c.q(&["EXPIREAT", "k", "9999999999", "LT"]), int(1));
    assert_eq!(c.q(&["PEXPIRETIME", "k"]), int(9999999999000));
}

#[test]
fn expire_rejects_incompatible_or_unknown_options() {
    let s = Server::start(&[]);
    let mut c = conn(&s);
    c.ok(&["SET", "k", "v"]);
    let nx_xx = err("ERR NX and XX, GT or LT options at the same time are not compatible");
    let gt_lt = err("ERR GT and LT options at the same time are not compatible");
    for cmd in ["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"] {
        assert_eq!(c.q(&[cmd, "k", "100", "NX", "XX"]), nx_xx);
        assert_eq!(c.q(&[cmd, "k", "100", "nx", "gt"]), nx_xx);
        assert_eq!(c.q(&[cmd, "k", "100", "NX", "LT"]), nx_xx);
        assert_eq!(c.q(&[cmd, "k", "100", "GT", "LT"]), gt_lt);
    }
    assert_eq!(
        c.q(&["EXPIRE", "k", "100", "foo"]),
        err("ERR Unsupported option foo")
    );
    assert_eq!(c.q(&["EXPIRE", "k", "abc"]), err(NOT_INT));
    assert_eq!(c.q(&["PEXPIREAT", "k", "1.5"]), err(NOT_INT));
    assert_eq!(c.q(&["TTL", "k"]), int(-1));
}

#[test]
fn expire_rejects_times_that_overflow() {
    let s = Server::start(&[]);
    let mut c = conn(&s);
    c.ok(&["SET", "k", "v"]);
    let max = "9223372036854775807";
    assert_eq!(c.q(&["EXPIRE", "k", max]), expire_err("expire"));
    // Fits in milliseconds, overflows only once the current time is added.
    assert_eq!(
        c.q(&["EXPIRE", "k", "9223372036854775"]),
        expire_err("expire")
    );
    assert_eq!(
        c.q(&["EXPIRE", "k", "-9223372036854775807"]),
        expire_err("expire")
    );
    assert_eq!(c.q(&["PEXPIRE", "k", max]), expire_err("pexpire"));
    assert_eq!(c.q(&["EXPIREAT", "k", max]), expire_err("expireat"));
    assert_eq!(
        c.q(&["EXPIREAT", "k", "-9223372036854775808"]),
        expire_err("expireat")
    );
    assert_eq!(c.q(&["TTL", "k"]), int(-1));
    // An absolute time in milliseconds never overflows.
    assert_eq!(c.q(&["PEXPIREAT", "k", max]), int(1));
    assert_eq!(c.q(&["PEXPIRETIME", "k"]), int(i64::MAX));
    assert_eq!(c.q(&["EXPIRETIME", "k"]), int(9223372036854776));
}

#[test]
fn expire_with_a_time_in_the_past_deletes_the_key() {
    let s = Server::start(&[]);
    let mut c = conn(&s);
    let cases: [&[&str]; 5] = [
        &["EXPIRE", "k", "-1"],
        &["PEXPIRE", "k", "0"],
        &["EXPIREAT", "k", "1"],
        &["PEXPIREAT", "k", "1000"],
        &["EXPIRE", "k", "-10", "LT"],
    ];
    for args in cases {
        c.ok(&["SET", "k", "v"]);
        assert_eq!(c.q(args), int(1), "{args:?}");
        assert_eq!(c.q(&["EXISTS", "k"]), int(0), "{args:?}");
        assert_eq!(c.q(&["GET", "k"]), NIL, "{args:?}");
    }
    // GT never lowers "no TTL" (infinite), so the key survives.
    c.ok(&["SET", "k", "v"]);
    assert_eq!(c.q(&["EXPIRE", "k", "-1", "GT"]), int(0));
    assert_eq!(c.q(&["GET", "k"]), bulk("v"));
}

#[test]
fn expiretime_reports_the_absolute_expiry() {
    let s = Server::start(&[]);
    let mut c = conn(&s);
    c.ok(&["SET", "k", "v"]);
    assert_eq!(c.q(&["EXPIRETIME", "missing"]), int(-2));
    assert_eq!(c.q(&["PEXPIRETIME", "missing"]), int(-2));
    assert_eq!(c.q(&["EXPIRETIME", "k"]), int(-1));
    assert_eq!(c.q(&["PEXPIRETIME", "k"]), int(-1));
    assert_eq!(c.q(&["EXPIREAT", "k", "4000000000"]), int(1));
    assert_eq!(c.q(&["EXPIRETIME", "k"]), int(4000000000));
    assert_eq!(c.q(&["PEXPIRETIME", "k"]), int(4000000000000));
    // EXPIRETIME rounds the millisecond deadline to the nearest second.
    assert_eq!(c.q(&["PEXPIREAT", "k", "3999999999499"]), int(1));
    assert_eq!(c.q(&["EXPIRETIME", "k"]), int(3999999999));
    assert_eq!(c.q(&["PEXPIREAT", "k", "3999999999500"]), int(1));
    assert_eq!(c.q(&["EXPIRETIME", "k"]), int(4000000000));
    assert_eq!(c.q(&["PEXPIRETIME", "k"]), int(3999999999500));
}

#[test]
fn persist_removes_the_ttl_once() {
    let s = Server::start(&[]);
    let mut c = conn(&s);
    c.ok(&["SET", "k", "v", "EX", "100"]);
    assert_eq!(c.q(&["PERSIST", "k"]), int(1));
    assert_eq!(c.q(&["TTL", "k"]), int(-1));
    assert_eq!(c.q(&["PERSIST", "k"]), int(0));
    assert_eq!(c.q(&["PERSIST", "missing"]), int(0));
    assert_eq!(c.q(&["GET", "k"]), bulk("v"));
}

#[test]
fn rename_moves_the_value_and_its_ttl() {
    let s = Server::start(&[]);
    let mut c = conn(&s);
    c.ok(&["SET", "{t}a", "1", "EX", "100"]);
    c.ok(&["RENAME", "{t}a", "{t}b"]);
    assert_eq!(c.q(&["EXISTS", "{t}a"]), int(0));
    assert_eq!(c.q(&["GET", "{t}b"]), bulk("1"));
    assert_eq!(c.q(&["TTL", "{t}b"]), int(100));
    // Overwrites an existing destination, including dropping its TTL.
    c.ok(&["SET", "{t}c", "3", "EX", "50"]);
    c.ok(&["SET", "{t}d", "4"]);
    c.ok(&["RENAME", "{t}d", "{t}c"]);
    assert_eq!(c.q(&["GET", "{t}c"]), bulk("4"));
    assert_eq!(c.q(&["TTL", "{t}c"]), int(-1));
    c.ok(&["RENAME", "{t}c", "{t}c"]);
    assert_eq!(c.q(&["GET", "{t}c"]), bulk("4"));
}

#[test]
fn rename_of_missing_key_is_an_error() {
    let s = Server::start(&[]);
    let mut c = conn(&s);
    assert_eq!(c.q(&["RENAME", "{t}a", "{t}b"]), err("ERR no such key"));
    assert_eq!(c.q(&["RENAMENX", "{t}a", "{t}b"]), err("ERR no such key"));
    assert_eq!(c.q(&["RENAME", "{t}a", "{t}a"]), err("ERR no such key"));
    assert_eq!(c.q(&["EXISTS", "{t}b"]), int(0));
}

#[test]
fn renamenx_refuses_an_existing_destination() {
    let s = Server::start(&[]);
    let mut c = conn(&s);
    c.ok(&["MSET", "{t}a", "1", "{t}b", "2"]);
    assert_eq!(c.q(&["RENAMENX", "{t}a", "{t}b"]), int(0));
    assert_eq!(
        c.q(&["MGET", "{t}a", "{t}b"]),
        "*2\r\n$1\r\n1\r\n$1\r\n2\r\n"
    );
    assert_eq!(c.q(&["RENAMENX", "{t}a", "{t}a"]), int(0));
    assert_eq!(c.q(&["RENAMENX", "{t}a", "{t}c"]), int(1));
    assert_eq!(c.q(&["MGET", "{t}a", "{t}c"]), "*2\r\n$-1\r\n$1\r\n1\r\n");
}

#[test]
fn copy_duplicates_value_and_ttl_and_only_replaces_when_asked() {
    let s = Server::start(&[]);
    let mut c = conn(&s);
    c.ok(&["SET", "{t}src", "v", "EX", "70"]);
    assert_eq!(c.q(&["COPY", "{t}src", "{t}dst"]), int(1));
    assert_eq!(c.q(&["GET", "{t}dst"]), bulk("v"));
    assert_eq!(c.q(&["TTL", "{t}dst"]), int(70));
    assert_eq!(c.q(&["GET", "{t}src"]), bulk("v"));
    c.ok(&["SET", "{t}other", "o"]);
    assert_eq!(c.q(&["COPY", "{t}other", "{t}dst"]), int(0));
    assert_eq!(c.q(&["GET", "{t}dst"]), bulk("v"));
    assert_eq!(c.q(&["COPY", "{t}other", "{t}dst", "REPLACE"]), int(1));
    assert_eq!(c.q(&["GET", "{t}dst"]), bulk("o"));
    assert_eq!(c.q(&["TTL", "{t}dst"]), int(-1));
    assert_eq!(c.q(&["COPY", "{t}missing", "{t}new"]), int(0));
    assert_eq!(c.q(&["EXISTS", "{t}new"]), int(0));
    assert_eq!(c.q(&["COPY", "{t}src", "{t}src"]), err(SAME_OBJECT));
}

#[test]
fn copy_with_db_writes_into_another_database() {
    let s = Server::start(&[]);
    let mut c = conn(&s);
    c.ok(&["SET", "k", "v"]);
    assert_eq!(c.q(&["COPY", "k", "k", "DB", "1"]), int(1));
    assert_eq!(c.q(&["COPY", "k", "k", "DB", "1"]), int(0));
    assert_eq!(c.q(&["COPY", "k", "k", "DB", "0"]), err(SAME_OBJECT));
    assert_eq!(c.q(&["COPY", "k", "k2", "DB", "16"]), err(OUT_OF_RANGE));
    assert_eq!(c.q(&["COPY", "k", "k2", "DB", "-1"]), err(OUT_OF_RANGE));
    assert_eq!(c.q(&["COPY", "k", "k2", "DB", "abc"]), err(NOT_INT));
    assert_eq!(c.q(&["COPY", "k", "k2", "DB"]), err("ERR syntax error"));
    assert_eq!(c.q(&["COPY", "k", "k2", "foo"]), err("ERR syntax error"));
    c.ok(&["SELECT", "1"]);
    assert_eq!(c.q(&["GET", "k"]), bulk("v"));
    assert_eq!(c.q(&["DBSIZE"]), int(1));
}

#[test]
fn touch_counts_existing_keys_including_duplicates() {
    let s = Server::start(&[]);
    let mut c = conn(&s);
    c.ok(&["MSET", "{t}a", "1", "{t}b", "2"]);
    assert_eq!(
        c.q(&["TOUCH", "{t}a", "{t}a", "{t}b", "{t}missing"]),
        int(3)
    );
    assert_eq!(c.q(&["TOUCH", "{t}missing"]), int(0));
    assert_eq!(c.q(&["EXISTS", "{t}missing"]), int(0));
}

#[test]
fn keys_matches_glob_patterns() {
    let s = Server::start(&[]);
    let mut rc = s.client();
    let all = [
        "hello", "hallo", "hxllo", "hllo", "heeello", "h*llo", "h?llo", "h[a]llo", "hbllo",
    ];
    for k in all {
        let _: () = redis::cmd("SET").arg(k).arg("1").query(&mut rc).unwrap();
    }
    let mut sorted: Vec<String> = all.iter().map(|s| s.to_string()).collect();
    sorted.sort();
    assert_eq!(keys(&mut rc, "*"), sorted);
    assert_eq!(keys(&mut rc, "h*llo"), sorted);
    let cases: [(&str, &[&str]); 9] = [
        (
            "h?llo",
            &["h*llo", "h?llo", "hallo", "hbllo", "hello", "hxllo"],
        ),
        ("h[a-c]llo", &["hallo", "hbllo"]),
        ("h[^a]llo", &["h*llo", "h?llo", "hbllo", "hello", "hxllo"]),
        ("h[ae]llo", &["hallo", "hello"]),
        ("h[!a]llo", &["hallo"]), // `!` is not negation
        ("h\\*llo", &["h*llo"]),
        ("h\\?llo", &["h?llo"]),
        ("h\\[a\\]llo", &["h[a]llo"]),
        ("nomatch*", &[]),
    ];
    for (pattern, expected) in cases {
        assert_eq!(keys(&mut rc, pattern), expected, "KEYS {pattern}");
    }
    let mut c = conn(&s);
    assert_eq!(c.q(&["KEYS", "hll?"]), "*1\r\n$4\r\nhllo\r\n");
    c.ok(&["FLUSHDB"]);
    assert_eq!(c.q(&["KEYS", "*"]), "*0\r\n");
}

/// Runs a full SCAN iteration with the given extra arguments; returns how often each key came.
fn scan_all(c: &mut redis::Connection, extra: &[&str]) -> HashMap<String, usize> {
    let mut seen = HashMap::new();
    let mut cursor = "0".to_string();
    for _ in 0..100_000 {
        let (next, batch): (String, Vec<String>) =
            redis::cmd("SCAN").arg(&cursor).arg(extra).query(c).unwrap();
        for k in batch {
            *seen.entry(k).or_insert(0) += 1;
        }
        if next == "0" {
            return seen;
        }
        cursor = next;
    }
    panic!("SCAN did not return cursor 0");
}

#[test]
fn scan_cursor_loop_returns_every_key_at_least_once() {
    let s = Server::start(&[]);
    let mut rc = s.client();
    let mut pipe = redis::pipe();
    for i in 0..1000 {
        pipe.cmd("SET").arg(format!("key:{i}")).arg(i).ignore();
    }
    let _: () = pipe.query(&mut rc).unwrap();
    let seen = scan_all(&mut rc, &["COUNT", "10"]);
    assert_eq!(seen.len(), 1000);
    assert!((0..1000).all(|i| seen.contains_key(&format!("key:{i}"))));
    assert_eq!(scan_all(&mut rc, &[]).len(), 1000);
}

#[test]
fn scan_filters_by_match_and_type() {
    let s = Server::start(&[]);
    let mut rc = s.client();
    let mut pipe = redis::pipe();
    for i in 0..100 {
        pipe.cmd("SET").arg(format!("user:{i}")).arg(i).ignore();
        pipe.cmd("SET").arg(format!("item:{i}")).arg(i).ignore();
    }
    let _: () = pipe.query(&mut rc).unwrap();
    let users = scan_all(&mut rc, &["MATCH", "user:*", "COUNT", "7"]);
    assert_eq!(users.len(), 100);
    assert!(users.keys().all(|k| k.starts_with("user:")));
    let nines = scan_all(&mut rc, &["MATCH", "item:9?", "COUNT", "1000"]);
    assert_eq!(nines.len(), 10);
    assert_eq!(scan_all(&mut rc, &["TYPE", "string"]).len(), 200);
    assert_eq!(scan_all(&mut rc, &["TYPE", "hash"]).len(), 0);
    let mut c = conn(&s);
    assert_eq!(c.q(&["SCAN", "abc"]), err("ERR invalid cursor"));
    assert_eq!(
        c.q(&["SCAN", "18446744073709551616"]),
        err("ERR invalid cursor")
    );
    assert_eq!(c.q(&["SCAN", "0", "COUNT", "0"]), err("ERR syntax error"));
    assert_eq!(c.q(&["SCAN", "0", "COUNT", "abc"]), err(NOT_INT));
    assert_eq!(c.q(&["SCAN", "0", "MATCH"]), err("ERR syntax error"));
    assert_eq!(c.q(&["SCAN", "0", "foo", "bar"]), err("ERR syntax error"));
    c.ok(&["FLUSHDB"]);
    assert_eq!(c.q(&["SCAN", "0"]), "*2\r\n$1\r\n0\r\n*0\r\n");
}

#[test]
fn randomkey_returns_nil_on_an_empty_db_and_an_existing_key_otherwise() {
    let s = Server::start(&[]);
    let mut c = conn(&s);
    assert_eq!(c.q(&["RANDOMKEY"]), NIL);
    c.ok(&["SET", "only", "v"]);
    assert_eq!(c.q(&["RANDOMKEY"]), bulk("only"));
    c.ok(&["MSET", "a", "1", "b", "2"]);
    for _ in 0..20 {
        let r = c.q(&["RANDOMKEY"]);
        assert!([bulk("only"), bulk("a"), bulk("b")].contains(&r), "{r:?}");
    }
    c.ok(&["SELECT", "1"]);
    assert_eq!(c.q(&["RANDOMKEY"]), NIL);
}

#[test]
fn dbsize_counts_keys_of_the_selected_database() {
    let s = Server::start(&[]);
    let mut c = conn(&s);
    assert_eq!(c.q(&["DBSIZE"]), int(0));
    c.ok(&["MSET", "a", "1", "b", "2", "c", "3"]);
    assert_eq!(c.q(&["DBSIZE"]), int(3));
    c.ok(&["SELECT", "5"]);
    assert_eq!(c.q(&["DBSIZE"]), int(0));
    c.ok(&["SET", "a", "1"]);
    assert_eq!(c.q(&["DBSIZE"]), int(1));
    assert_eq!(c.int(&["DEL", "a"]), 1);
    assert_eq!(c.q(&["DBSIZE"]), int(0));
}

#[test]
fn flushdb_clears_only_the_selected_database() {
    let s = Server::start(&[]);
    let mut c = conn(&s);
    c.ok(&["SET", "a", "1"]);
    c.ok(&["SELECT", "1"]);
    c.ok(&["MSET", "b", "2", "c", "3"]);
    c.ok(&["FLUSHDB"]);
    assert_eq!(c.q(&["DBSIZE"]), int(0));
    c.ok(&["SET", "b", "2"]);
    c.ok(&["FLUSHDB", "ASYNC"]);
    assert_eq!(c.q(&["EXISTS", "b"]), int(0));
    c.ok(&["SET", "b", "2"]);
    c.ok(&["FLUSHDB", "sync"]);
    assert_eq!(c.q(&["EXISTS", "b"]), int(0));
    assert_eq!(c.q(&["FLUSHDB", "foo"]), err("ERR syntax error"));
    c.ok(&["SELECT", "0"]);
    assert_eq!(c.q(&["GET", "a"]), bulk("1"));
}

#[test]
fn flushall_clears_every_database() {
    let s = Server::start(&[]);
    let mut c = conn(&s);
    for mode in [None, Some("SYNC"), Some("async")] {
        for db in ["0", "3", "15"] {
            c.ok(&["SELECT", db]);
            c.ok(&["MSET", "{t}a", "1", "{t}b", "2"]);
        }
        match mode {
            Some(m) => c.ok(&["FLUSHALL", m]),
            None => c.ok(&["FLUSHALL"]),
        }
        for db in ["0", "3", "15"] {
            c.ok(&["SELECT", db]);
            assert_eq!(c.q(&["DBSIZE"]), int(0), "db {db} after FLUSHALL {mode:?}");
        }
    }
    assert_eq!(c.q(&["FLUSHALL", "foo"]), err("ERR syntax error"));
    assert_eq!(c.q(&["FLUSHALL", "ASYNC", "SYNC"]), err("ERR syntax error"));
}

#[test]
fn select_out_of_range_is_an_error() {
    let s = Server::start(&[]);
    let mut c = conn(&s);
    c.ok(&["SET", "k", "v"]);
    c.ok(&["SELECT", "15"]);
    assert_eq!(c.q(&["SELECT", "16"]), err(OUT_OF_RANGE));
    assert_eq!(c.q(&["SELECT", "-1"]), err(OUT_OF_RANGE));
    assert_eq!(c.q(&["SELECT", "abc"]), err(NOT_INT));
    // A failed SELECT leaves the connection in its previous database.
    assert_eq!(c.q(&["EXISTS", "k"]), int(0));
    c.ok(&["SELECT", "0"]);
    assert_eq!(c.q(&["EXISTS", "k"]), int(1));
}

#[test]
fn databases_option_limits_the_selectable_range() {
    let s = Server::start(&["--databases", "4"]);
    let mut c = conn(&s);
    c.ok(&["SELECT", "3"]);
    assert_eq!(c.q(&["SELECT", "4"]), err(OUT_OF_RANGE));
    assert_eq!(c.q(&["MOVE", "k", "4"]), err(OUT_OF_RANGE));
    assert_eq!(c.q(&["SWAPDB", "0", "4"]), err(OUT_OF_RANGE));
}

#[test]
fn move_transfers_a_key_with_its_ttl_to_another_database() {
    let s = Server::start(&[]);
    let mut c = conn(&s);
    c.ok(&["SET", "k", "v", "EX", "100"]);
    assert_eq!(c.q(&["MOVE", "k", "1"]), int(1));
    assert_eq!(c.q(&["EXISTS", "k"]), int(0));
    assert_eq!(c.q(&["MOVE", "missing", "1"]), int(0));
    c.ok(&["SET", "k", "here"]);
    assert_eq!(c.q(&["MOVE", "k", "1"]), int(0));
    assert_eq!(c.q(&["GET", "k"]), bulk("here"));
    assert_eq!(c.q(&["MOVE", "k", "0"]), err(SAME_OBJECT));
    assert_eq!(c.q(&["MOVE", "k", "16"]), err(OUT_OF_RANGE));
    assert_eq!(c.q(&["MOVE", "k", "abc"]), err(NOT_INT));
    c.ok(&["SELECT", "1"]);
    assert_eq!(c.q(&["GET", "k"]), bulk("v"));
    assert_eq!(c.q(&["TTL", "k"]), int(100));
}

#[test]
fn swapdb_exchanges_two_databases_for_every_connection() {
    let s = Server::start(&[]);
    let mut c = conn(&s);
    let mut other = conn(&s);
    c.ok(&["SET", "zero", "0"]);
    c.ok(&["SELECT", "1"]);
    c.ok(&["MSET", "one", "1", "uno", "1"]);
    c.ok(&["SWAPDB", "0", "1"]);
    assert_eq!(c.q(&["DBSIZE"]), int(1));
    assert_eq!(c.q(&["GET", "zero"]), bulk("0"));
    assert_eq!(other.q(&["DBSIZE"]), int(2));
    assert_eq!(other.q(&["GET", "one"]), bulk("1"));
    c.ok(&["SWAPDB", "1", "1"]);
    assert_eq!(c.q(&["GET", "zero"]), bulk("0"));
    assert_eq!(
        c.q(&["SWAPDB", "a", "0"]),
        err("ERR invalid first DB index")
    );
    assert_eq!(
        c.q(&["SWAPDB", "0", "a"]),
        err("ERR invalid second DB index")
    );
    assert_eq!(c.q(&["SWAPDB", "0", "16"]), err(OUT_OF_RANGE));
    assert_eq!(c.q(&["SWAPDB", "-1", "0"]), err(OUT_OF_RANGE));
}

#[test]
fn object_encoding_reports_int_embstr_or_raw() {
    let s = Server::start(&[]);
    let mut c = conn(&s);
    let a44 = "a".repeat(44);
    let a45 = "a".repeat(45);
    let cases = [
        ("123", "int"),
        ("-5", "int"),
        ("9223372036854775807", "int"),
        ("-9223372036854775808", "int"),
        ("9223372036854775808", "embstr"),
        ("0123", "embstr"),
        ("-0", "embstr"),
        ("+1", "embstr"),
        ("1.5", "embstr"),
        ("v", "embstr"),
        (a44.as_str(), "embstr"),
        (a45.as_str(), "raw"),
    ];
    for (value, enc) in cases {
        c.ok(&["SET", "k", value]);
        assert_eq!(
            c.q(&["OBJECT", "ENCODING", "k"]),
            bulk(enc),
            "value {value:?}"
        );
        assert_eq!(c.q(&["GET", "k"]), bulk(value));
    }
    assert_eq!(c.q(&["OBJECT", "ENCODING", "missing"]), NIL);
}

#[test]
fn object_refcount_is_one_except_for_shared_small_integers() {
    let s = Server::start(&[]);
    let mut c = conn(&s);
    c.ok(&["SET", "s", "hello"]);
    c.ok(&["SET", "big", &"x".repeat(100)]);
    c.ok(&["SET", "n", "123456"]);
    assert_eq!(c.q(&["OBJECT", "REFCOUNT", "s"]), int(1));
    assert_eq!(c.q(&["OBJECT", "REFCOUNT", "big"]), int(1));
    assert_eq!(c.q(&["OBJECT", "REFCOUNT", "n"]), int(1));
    // Integers 0..9999 are shared objects in Redis (refcount INT_MAX) under noeviction.
    c.ok(&["SET", "small", "123"]);
    assert_eq!(c.q(&["OBJECT", "REFCOUNT", "small"]), int(2147483647));
    assert_eq!(c.q(&["OBJECT", "REFCOUNT", "missing"]), NIL);
}

#[test]
fn object_idletime_grows_while_idle_and_resets_on_access() {
    let s = Server::start(&[]);
    let mut c = conn(&s);
    c.ok(&["SET", "k", "v"]);
    assert_eq!(c.q(&["OBJECT", "IDLETIME", "k"]), int(0));
    // OBJECT itself does not count as an access.
    let grew = poll_until(Duration::from_secs(4), || {
        c.int(&["OBJECT", "IDLETIME", "k"]) >= 1
    });
    assert!(grew, "IDLETIME stayed 0");
    assert_eq!(c.q(&["GET", "k"]), bulk("v"));
    assert_eq!(c.q(&["OBJECT", "IDLETIME", "k"]), int(0));
    assert_eq!(c.q(&["OBJECT", "IDLETIME", "missing"]), NIL);
}

#[test]
fn object_freq_is_an_error_under_the_default_noeviction_policy() {
    let s = Server::start(&[]);
    let mut c = conn(&s);
    c.ok(&["SET", "k", "v"]);
    let msg = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. \
               Please note that when switching between policies at runtime LRU and LFU data \
               will take some time to adjust.";
    assert_eq!(c.q(&["OBJECT", "FREQ", "k"]), err(msg));
    assert_eq!(c.q(&["OBJECT", "FREQ", "missing"]), NIL);
    let unknown = err("ERR unknown subcommand 'foo'. Try OBJECT HELP.");
    assert_eq!(c.q(&["OBJECT", "foo", "k"]), unknown);
}

#[test]
fn active_expiry_removes_keys_that_are_never_read() {
    let s = Server::start(&[]);
    let mut rc = s.client();
    let mut pipe = redis::pipe();
    for i in 0..200 {
        pipe.cmd("SET")
            .arg(format!("{{t}}tmp:{i}"))
            .arg(i)
            .arg("PX")
            .arg(100);
    }
    pipe.cmd("SET").arg("{t}keep").arg("v");
    let replies: Vec<String> = pipe.query(&mut rc).unwrap();
    assert_eq!(replies.len(), 201);
    assert!(replies.iter().all(|r| r == "OK"));
    let mut c = conn(&s);
    let drained = poll_until(Duration::from_secs(2), || c.int(&["DBSIZE"]) == 1);
    assert!(drained, "DBSIZE still {}", c.int(&["DBSIZE"]));
    assert_eq!(c.q(&["GET", "{t}keep"]), bulk("v"));
}
