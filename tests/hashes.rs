//! Hash commands: HSET HSETNX HGET HMGET HMSET HGETALL HDEL HEXISTS HLEN HSTRLEN HINCRBY
//! HINCRBYFLOAT HKEYS HVALS HRANDFIELD HSCAN, their errors, RESP3 shapes and OBJECT ENCODING.
//!
//! Replies are compared byte for byte against what Redis 7.0.15 sends (run with
//! `SHOAL_TEST_AGAINST=redis` to check the expectations against the real thing).
mod support;
use support::*;

use std::collections::{BTreeMap, BTreeSet};

/// A raw connection; `call`, `expect` and `ex` are `Raw`'s (through `Deref`).
struct Conn(Raw);

impl std::ops::Deref for Conn {
    type Target = Raw;
    fn deref(&self) -> &Raw {
        &self.0
    }
}

impl std::ops::DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut Raw {
        &mut self.0
    }
}

fn setup() -> (Server, Conn, redis::Connection) {
    let s = Server::start(&[]);
    let c = Conn(s.raw());
    let r = s.client();
    (s, c, r)
}

fn q<T: redis::FromRedisValue>(r: &mut redis::Connection, cmd: &str) -> T {
    let mut c = redis::Cmd::new();
    for w in cmd.split_whitespace() {
        c.arg(w);
    }
    c.query(r).unwrap()
}

#[test]
fn hset_hget_hmget_hlen_hexists_hstrlen() {
    let (_s, mut c, _r) = setup();
    c.ex("HSET h a 1 b 2", &int(2));
    c.ex("HSET h b 3 c 4", &int(1));
    c.ex("HGET h b", &bulk("3"));
    c.ex("HGET h nope", NIL);
    c.ex("HGET nokey a", NIL);
    c.ex(
        "HMGET h a nope c",
        &format!("*3\r\n{}{NIL}{}", bulk("1"), bulk("4")),
    );
    c.ex("HMGET nokey a b", &format!("*2\r\n{NIL}{NIL}"));
    c.ex("HLEN h", &int(3));
    c.ex("HLEN nokey", &int(0));
    c.ex("HEXISTS h a", &int(1));
    c.ex("HEXISTS h z", &int(0));
    c.ex("HEXISTS nokey a", &int(0));
    c.ex("HSTRLEN h a", &int(1));
    c.expect(&["HSET", "h", "long", "hello world"], &int(1));
    c.ex("HSTRLEN h long", &int(11));
    c.ex("HSTRLEN h nope", &int(0));
    c.ex("HSTRLEN nokey a", &int(0));
    c.expect(&["HSET", "h", "", ""], &int(1));
    c.expect(&["HGET", "h", ""], "$0\r\n\r\n");
    c.ex("TYPE h", "+hash\r\n");
}

#[test]
fn hmset_and_hsetnx() {
    let (_s, mut c, _r) = setup();
    c.ex("HMSET h a 1 b 2", OK);
    c.ex("HMSET h a 9", OK);
    c.ex("HGET h a", &bulk("9"));
    c.ex("HSETNX h a x", &int(0));
    c.ex("HGET h a", &bulk("9"));
    c.ex("HSETNX h c 3", &int(1));
    c.ex("HGET h c", &bulk("3"));
    c.ex("HSETNX new f v", &int(1));
    c.ex("HGETALL new", &arr(&["f", "v"]));
}

#[test]
fn arity_errors() {
    let (_s, mut c, _r) = setup();
    c.ex("HSET h", &arity("hset"));
    c.ex("HSET h a", &arity("hset"));
    c.ex("HSET h a b c", &arity("hset"));
    c.ex("HMSET h a b c", &arity("hmset"));
    c.ex("HSETNX h a b c", &arity("hsetnx"));
    c.ex("HGET h", &arity("hget"));
    c.ex("HMGET h", &arity("hmget"));
    c.ex("HDEL h", &arity("hdel"));
    c.ex("HLEN", &arity("hlen"));
    c.ex("HGETALL", &arity("hgetall"));
    c.ex("HINCRBY h a", &arity("hincrby"));
    c.ex("HINCRBYFLOAT h a", &arity("hincrbyfloat"));
    c.ex("HRANDFIELD", &arity("hrandfield"));
    c.ex("HSCAN h", &arity("hscan"));
    c.ex("EXISTS h", &int(0));
}

#[test]
fn wrongtype_against_a_string() {
    let (_s, mut c, _r) = setup();
    c.ex("SET s v", OK);
    for cmd in [
        "HSET s a 1",
        "HMSET s a 1",
        "HSETNX s a 1",
        "HGET s a",
        "HMGET s a",
        "HGETALL s",
        "HDEL s a",
        "HEXISTS s a",
        "HLEN s",
        "HSTRLEN s a",
        "HINCRBY s a 1",
        "HINCRBYFLOAT s a 1",
        "HKEYS s",
        "HVALS s",
        "HRANDFIELD s",
        "HRANDFIELD s 2",
        "HSCAN s 0",
    ] {
        c.ex(cmd, WRONGTYPE);
    }
    c.ex("GET s", &bulk("v"));
    c.ex("HSET h a 1", &int(1));
    c.ex("GET h", WRONGTYPE);
}

#[test]
fn hgetall_hkeys_hvals_keep_insertion_order_in_a_listpack() {
    let (_s, mut c, _r) = setup();
    c.ex("HSET h z 1 a 2 m 3 b 4", &int(4));
    c.ex("HDEL h a", &int(1));
    c.ex("HSET h a 5", &int(1));
    c.ex("HGETALL h", &arr(&["z", "1", "m", "3", "b", "4", "a", "5"]));
    c.ex("HKEYS h", &arr(&["z", "m", "b", "a"]));
    c.ex("HVALS h", &arr(&["1", "3", "4", "5"]));
    c.ex("HGETALL nokey", EMPTY);
    c.ex("HKEYS nokey", EMPTY);
    c.ex("HVALS nokey", EMPTY);
}

#[test]
fn hdel_counts_removed_fields_and_deletes_an_empty_hash() {
    let (_s, mut c, _r) = setup();
    c.ex("HSET h a 1 b 2 c 3", &int(3));
    c.ex("HDEL h a a x", &int(1));
    c.ex("HDEL nokey a", &int(0));
    c.ex("HDEL h b c d", &int(2));
    c.ex("EXISTS h", &int(0));
    c.ex("HLEN h", &int(0));
}

#[test]
fn hincrby() {
    let (_s, mut c, _r) = setup();
    c.ex("HINCRBY h n 5", &int(5));
    c.ex("HINCRBY h n -7", &int(-2));
    c.ex("HGET h n", &bulk("-2"));
    c.ex("HINCRBY h n x", NOT_INT);
    c.ex("HINCRBY nokey n x", NOT_INT);
    c.ex("EXISTS nokey", &int(0));
    c.ex("HSET h s abc f 1.5", &int(2));
    c.expect(&["HSET", "h", "sp", " 1"], &int(1));
    for f in ["s", "f", "sp"] {
        c.expect(
            &["HINCRBY", "h", f, "1"],
            "-ERR hash value is not an integer\r\n",
        );
    }
    c.ex("HSET h big 9223372036854775807", &int(1));
    c.ex(
        "HINCRBY h big 1",
        "-ERR increment or decrement would overflow\r\n",
    );
    c.ex("HGET h big", &bulk("9223372036854775807"));
}

#[test]
fn hincrbyfloat() {
    let (_s, mut c, _r) = setup();
    c.ex("HINCRBYFLOAT h x 10.5", &bulk("10.5"));
    c.ex("HINCRBYFLOAT h x 0.1", &bulk("10.6"));
    c.ex("HINCRBYFLOAT h x -10.6", &bulk("0"));
    c.ex("HINCRBYFLOAT h y 3.0e3", &bulk("3000"));
    c.ex("HSET h a 0.1", &int(1));
    c.ex("HINCRBYFLOAT h a 0.2", &bulk("0.3"));
    c.ex("HGET h a", &bulk("0.3"));
    c.ex("HINCRBYFLOAT h a x", NOT_FLOAT);
    c.ex("HINCRBYFLOAT h a nan", NOT_FLOAT);
    c.ex("HINCRBYFLOAT h a inf", "-ERR value is NaN or Infinity\r\n");
    c.ex("HSET h s abc", &int(1));
    c.ex("HINCRBYFLOAT h s 1", "-ERR hash value is not a float\r\n");
    c.ex("HINCRBYFLOAT nokey f x", NOT_FLOAT);
    c.ex("EXISTS nokey", &int(0));
}

#[test]
fn hrandfield_without_count() {
    let (_s, mut c, mut r) = setup();
    c.ex("HRANDFIELD nokey", NIL);
    c.ex("HSET h a 1 b 2 c 3", &int(3));
    for _ in 0..20 {
        let f: String = q(&mut r, "HRANDFIELD h");
        assert!(["a", "b", "c"].contains(&f.as_str()), "{f}");
    }
}

#[test]
fn hrandfield_with_count() {
    let (_s, mut c, mut r) = setup();
    c.ex("HRANDFIELD nokey 3", EMPTY);
    c.ex("HRANDFIELD nokey 3 WITHVALUES", EMPTY);
    c.ex("HRANDFIELD nokey x", NOT_INT);
    c.ex("HRANDFIELD nokey 1 foo", SYNTAX);
    c.ex("HSET h a 1 b 2 c 3 d 4 e 5", &int(5));
    c.ex("HRANDFIELD h 0", EMPTY);
    c.ex("HRANDFIELD h x", NOT_INT);
    c.ex("HRANDFIELD h WITHVALUES", NOT_INT);
    c.ex("HRANDFIELD h 1 foo", SYNTAX);
    c.ex("HRANDFIELD h 1 WITHVALUES x", SYNTAX);
    c.ex(
        "HRANDFIELD h -9223372036854775808",
        "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n",
    );
    let all: BTreeSet<String> = ["a", "b", "c", "d", "e"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    // count >= size: every field once.
    for n in [5, 6, 100] {
        let v: Vec<String> = q(&mut r, &format!("HRANDFIELD h {n}"));
        assert_eq!(v.len(), 5);
        assert_eq!(v.into_iter().collect::<BTreeSet<_>>(), all);
    }
    // 0 < count < size: distinct fields.
    for n in 1..5 {
        for _ in 0..10 {
            let v: Vec<String> = q(&mut r, &format!("HRANDFIELD h {n}"));
            let set: BTreeSet<String> = v.iter().cloned().collect();
            assert_eq!(v.len(), n);
            assert_eq!(set.len(), n, "{v:?}");
            assert!(set.is_subset(&all));
        }
    }
    // negative: exactly -count fields, repetitions allowed.
    let v: Vec<String> = q(&mut r, "HRANDFIELD h -20");
    assert_eq!(v.len(), 20);
    assert!(v.iter().all(|f| all.contains(f)));
    // WITHVALUES: field/value pairs that belong together.
    for cmd in [
        "HRANDFIELD h 3 WITHVALUES",
        "HRANDFIELD h -8 withvalues",
        "HRANDFIELD h 9 WITHVALUES",
    ] {
        let v: Vec<String> = q(&mut r, cmd);
        for p in v.chunks(2) {
            let expected = (p[0].as_bytes()[0] - b'a' + 1).to_string();
            assert_eq!(p[1], expected, "{cmd}: {v:?}");
        }
        let n = match cmd {
            "HRANDFIELD h 3 WITHVALUES" => 3,
            "HRANDFIELD h -8 withvalues" => 8,
            _ => 5,
        };
        assert_eq!(v.len(), 2 * n, "{cmd}");
    }
}

#[test]
fn hscan_returns_every_field() {
    let (_s, mut c, mut r) = setup();
    c.ex("HSCAN nokey 0", &format!("*2\r\n{}{EMPTY}", bulk("0")));
    c.ex(
        "HSCAN nokey 0 COUNT 0",
        &format!("*2\r\n{}{EMPTY}", bulk("0")),
    );
    c.ex("HSCAN nokey x", "-ERR invalid cursor\r\n");
    c.ex("HSET h a 1 b 2 ab 3", &int(3));
    c.ex("HSCAN h x", "-ERR invalid cursor\r\n");
    c.expect(&["HSCAN", "h", " 0"], "-ERR invalid cursor\r\n");
    c.ex("HSCAN h 18446744073709551616", "-ERR invalid cursor\r\n");
    c.ex("HSCAN h 0 COUNT 0", SYNTAX);
    c.ex("HSCAN h 0 COUNT x", NOT_INT);
    c.ex("HSCAN h 0 NOVALUES", SYNTAX);
    c.ex("HSCAN h 0 MATCH", SYNTAX);
    c.ex("HSCAN h 0 TYPE hash", SYNTAX);
    c.ex(
        "HSCAN h 0",
        &format!(
            "*2\r\n{}{}",
            bulk("0"),
            arr(&["a", "1", "b", "2", "ab", "3"])
        ),
    );
    c.ex(
        "HSCAN h 0 MATCH a* COUNT 1",
        &format!("*2\r\n{}{}", bulk("0"), arr(&["a", "1", "ab", "3"])),
    );
    // A big hash: iterate to cursor 0 and find every field.
    let mut cmd = redis::cmd("HSET");
    cmd.arg("big");
    for i in 0..600 {
        cmd.arg(format!("f{i}")).arg(format!("v{i}"));
    }
    let n: i64 = cmd.query(&mut r).unwrap();
    assert_eq!(n, 600);
    let mut seen = BTreeMap::new();
    let mut cursor = "0".to_string();
    for _ in 0..1000 {
        let (next, items): (String, Vec<String>) =
            q(&mut r, &format!("HSCAN big {cursor} COUNT 50"));
        for p in items.chunks(2) {
            seen.insert(p[0].clone(), p[1].clone());
        }
        cursor = next;
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(cursor, "0");
    assert_eq!(seen.len(), 600);
    for i in 0..600 {
        assert_eq!(seen[&format!("f{i}")], format!("v{i}"));
    }
}

#[test]
fn object_encoding_converts_at_the_listpack_thresholds() {
    let (_s, mut c, _r) = setup();
    let lp = "$8\r\nlistpack\r\n";
    let ht = "$9\r\nhashtable\r\n";
    // Redis 7.0's built-in hash-max-listpack-entries is 512 (redis.conf's example says 128).
    for i in 0..512 {
        c.ex(&format!("HSET h f{i} v"), &int(1));
    }
    c.ex("OBJECT ENCODING h", lp);
    c.ex("HSET h f512 v", &int(1));
    c.ex("OBJECT ENCODING h", ht);
    c.ex("HDEL h f512 f1 f2", &int(3));
    c.ex("OBJECT ENCODING h", ht);

    let v64 = "x".repeat(64);
    let v65 = "x".repeat(65);
    c.expect(&["HSET", "v", "f", &v64], &int(1));
    c.ex("OBJECT ENCODING v", lp);
    c.expect(&["HSET", "v", "f", &v65], &int(0));
    c.ex("OBJECT ENCODING v", ht);
    c.expect(&["HSET", "k", &v65, "1"], &int(1));
    c.ex("OBJECT ENCODING k", ht);
    c.expect(&["HINCRBY", "i", &v65, "1"], &int(1));
    c.ex("OBJECT ENCODING i", ht);
    c.expect(&["HMSET", "m", "a", &v65], OK);
    c.ex("OBJECT ENCODING m", ht);
    c.expect(&["HSETNX", "n", "a", &v65], &int(1));
    c.ex("OBJECT ENCODING n", ht);
}

#[test]
fn modifications_keep_the_ttl() {
    let (_s, mut c, _r) = setup();
    c.ex("HSET h a 1 b 2", &int(2));
    c.ex("EXPIRE h 1000", &int(1));
    for cmd in [
        "HSET h c 3",
        "HMSET h d 4",
        "HSETNX h e 5",
        "HDEL h a",
        "HINCRBY h b 1",
        "HINCRBYFLOAT h b 1.5",
    ] {
        c.call(&cmd.split_whitespace().collect::<Vec<_>>());
        let ttl = c.call(&["TTL", "h"]);
        assert!(ttl.starts_with(":9") || ttl == ":1000\r\n", "{cmd}: {ttl}");
    }
    c.ex("HGET h b", &bulk("4.5"));
}

#[test]
fn resp3_reply_shapes() {
    let (_s, mut c, _r) = setup();
    c.0.send(&resp(&[b"HELLO", b"3"]));
    c.0.read_reply();
    c.ex("HSET h a 1 b 2", &int(2));
    c.ex(
        "HGETALL h",
        &format!("%2\r\n{}{}{}{}", bulk("a"), bulk("1"), bulk("b"), bulk("2")),
    );
    c.ex("HGETALL nokey", "%0\r\n");
    c.ex("HKEYS h", &arr(&["a", "b"]));
    c.ex("HGET h nope", "_\r\n");
    c.ex("HMGET h a nope", &format!("*2\r\n{}_\r\n", bulk("1")));
    c.ex("HRANDFIELD nokey", "_\r\n");
    c.ex("HSET one f v", &int(1));
    c.ex(
        "HRANDFIELD one 1 WITHVALUES",
        &format!("*1\r\n*2\r\n{}{}", bulk("f"), bulk("v")),
    );
    c.ex(
        "HRANDFIELD one -2 WITHVALUES",
        &format!("*2\r\n*2\r\n{0}{1}*2\r\n{0}{1}", bulk("f"), bulk("v")),
    );
    c.ex("HRANDFIELD one -2", &arr(&["f", "f"]));
    c.ex(
        "HSCAN one 0",
        &format!("*2\r\n{}{}", bulk("0"), arr(&["f", "v"])),
    );
    c.ex("HINCRBYFLOAT one n 1.5", &bulk("1.5"));
}

#[test]
fn resp2_hrandfield_withvalues_is_flat() {
    let (_s, mut c, _r) = setup();
    c.ex("HSET one f v", &int(1));
    c.ex("HRANDFIELD one 1 WITHVALUES", &arr(&["f", "v"]));
    c.ex("HRANDFIELD one -2 WITHVALUES", &arr(&["f", "v", "f", "v"]));
}

/// HSET `key` with fields `{prefix}{i}` = `v{i}` for `i` in `range`.
fn hset_range(r: &mut redis::Connection, key: &str, prefix: &str, range: std::ops::Range<usize>) {
    let mut cmd = redis::cmd("HSET");
    cmd.arg(key);
    for i in range {
        cmd.arg(format!("{prefix}{i}")).arg(format!("v{i}"));
    }
    let _: i64 = cmd.query(r).unwrap();
}

#[test]
fn hscan_walks_a_hash_table_incrementally() {
    let (_s, mut c, mut r) = setup();
    hset_range(&mut r, "big", "f", 0..1000);
    c.ex("OBJECT ENCODING big", &bulk("hashtable"));
    let (items, calls) = scan_collection(&mut r, "HSCAN", "big", &["COUNT", "10"], |_, _| {});
    assert!(calls > 10, "COUNT 10 over 1000 fields took {calls} calls");
    let seen: BTreeMap<String, String> = items
        .chunks(2)
        .map(|p| (p[0].clone(), p[1].clone()))
        .collect();
    assert_eq!(seen.len(), 1000);
    for i in 0..1000 {
        assert_eq!(seen[&format!("f{i}")], format!("v{i}"));
    }
    // MATCH filters the fields visited.
    let (items, _) = scan_collection(
        &mut r,
        "HSCAN",
        "big",
        &["MATCH", "f1?", "COUNT", "10"],
        |_, _| {},
    );
    let got: BTreeSet<String> = items.chunks(2).map(|p| p[0].clone()).collect();
    let want: BTreeSet<String> = (10..20).map(|i| format!("f{i}")).collect();
    assert_eq!(got, want);
    c.ex("HSCAN big abc", "-ERR invalid cursor\r\n");
    c.ex("HSCAN big 0 COUNT 0", SYNTAX);
}

#[test]
fn hscan_returns_fields_present_throughout_while_the_hash_changes() {
    let (_s, _c, mut r) = setup();
    hset_range(&mut r, "h", "keep", 0..600);
    hset_range(&mut r, "h", "tmp", 0..600);
    let (items, _) = scan_collection(&mut r, "HSCAN", "h", &["COUNT", "10"], |r, step| {
        // Each step deletes six of the temporary fields and adds six new ones.
        let mut del = redis::cmd("HDEL");
        del.arg("h");
        for j in 0..6 {
            del.arg(format!("tmp{}", (step * 6 + j) % 600));
        }
        let _: i64 = del.query(r).unwrap();
        hset_range(r, "h", &format!("new{step}-"), 0..6);
    });
    let seen: BTreeSet<String> = items.chunks(2).map(|p| p[0].clone()).collect();
    for i in 0..600 {
        assert!(seen.contains(&format!("keep{i}")), "keep{i} missed");
    }
}

#[test]
fn hscan_returns_a_listpack_whole() {
    let (_s, mut c, mut r) = setup();
    hset_range(&mut r, "small", "f", 0..100);
    c.ex("OBJECT ENCODING small", &bulk("listpack"));
    let (items, calls) = scan_collection(&mut r, "HSCAN", "small", &["COUNT", "10"], |_, _| {});
    assert_eq!((calls, items.len()), (1, 200));
}
