//! List commands: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LRANGE LINDEX LSET LREM LTRIM LINSERT
//! LPOS LMOVE RPOPLPUSH LMPOP.
//!
//! Replies are compared byte for byte against what Redis 7.0.15 sends (run with
//! `SHOAL_TEST_AGAINST=redis` to check the expectations against the real thing).
mod support;
use support::*;

const NIL_ARR: &str = "*-1\r\n";
const POSITIVE: &str = "-ERR value is out of range, must be positive\r\n";

/// An array of integers.
fn ints(items: &[i64]) -> String {
    let mut s = format!("*{}\r\n", items.len());
    for i in items {
        s.push_str(&int(*i));
    }
    s
}

/// LMPOP's reply: `[key, [elements]]`.
fn kv(key: &str, items: &[&str]) -> String {
    format!("*2\r\n{}{}", bulk(key), arr(items))
}

fn setup() -> (Server, Raw) {
    let s = Server::start(&[]);
    let c = s.raw();
    (s, c)
}

// ---------------------------------------------------------------- push

#[test]
fn lpush_and_rpush_return_the_length_and_keep_order() {
    let (_s, mut c) = setup();
    c.ex("RPUSH l a b c", &int(3));
    c.ex("LPUSH l x y", &int(5));
    c.ex("LRANGE l 0 -1", &arr(&["y", "x", "a", "b", "c"]));
    c.ex("LLEN l", &int(5));
    c.ex("TYPE l", "+list\r\n");
    c.expect(&["RPUSH", "l", "", "with space"], &int(7));
    c.ex(
        "LRANGE l -2 -1",
        &format!("*2\r\n$0\r\n\r\n{}", bulk("with space")),
    );
    c.ex("LPUSH l", &arity("lpush"));
    c.ex("RPUSH", &arity("rpush"));
}

#[test]
fn pushx_only_pushes_onto_existing_lists() {
    let (_s, mut c) = setup();
    c.ex("LPUSHX l a", &int(0));
    c.ex("RPUSHX l a b", &int(0));
    c.ex("EXISTS l", &int(0));
    c.ex("RPUSH l m", &int(1));
    c.ex("LPUSHX l a b", &int(3));
    c.ex("RPUSHX l y z", &int(5));
    c.ex("LRANGE l 0 -1", &arr(&["b", "a", "m", "y", "z"]));
    c.ex("LPUSHX l", &arity("lpushx"));
}

#[test]
fn every_command_rejects_a_string_key() {
    let (_s, mut c) = setup();
    c.ex("SET s v", OK);
    c.ex("RPUSH {t}l a", &int(1));
    c.ex("SET {t}s v", OK);
    for cmd in [
        "LPUSH s a",
        "RPUSH s a",
        "LPUSHX s a",
        "RPUSHX s a",
        "LPOP s",
        "RPOP s 2",
        "LLEN s",
        "LRANGE s 0 -1",
        "LINDEX s 0",
        "LSET s 0 a",
        "LREM s 0 a",
        "LTRIM s 0 1",
        "LINSERT s BEFORE a b",
        "LPOS s a",
        "LPOS s a COUNT 0",
        "LMOVE {t}s {t}l LEFT RIGHT",
        "LMOVE {t}l {t}s LEFT RIGHT",
        "RPOPLPUSH {t}l {t}s",
        "RPOPLPUSH {t}s {t}s",
        "LMPOP 2 {t}x {t}s LEFT",
    ] {
        c.ex(cmd, WRONGTYPE);
    }
    // Nothing moved when the destination had the wrong type.
    c.ex("LRANGE {t}l 0 -1", &arr(&["a"]));
    c.ex("GET s", &bulk("v"));
    // LMPOP stops at the first key of the wrong type even if a later list exists.
    c.ex("LMPOP 2 {t}s {t}l LEFT", WRONGTYPE);
}

// ---------------------------------------------------------------- pop

#[test]
fn lpop_and_rpop_without_count() {
    let (_s, mut c) = setup();
    c.ex("LPOP l", NIL);
    c.ex("RPOP l", NIL);
    c.ex("RPUSH l a b c", &int(3));
    c.ex("LPOP l", &bulk("a"));
    c.ex("RPOP l", &bulk("c"));
    c.ex("RPOP l", &bulk("b"));
    c.ex("EXISTS l", &int(0));
    c.ex("LPOP l", NIL);
}

#[test]
fn lpop_and_rpop_with_count() {
    let (_s, mut c) = setup();
    c.ex("LPOP l 2", NIL_ARR);
    c.ex("LPOP l 0", NIL_ARR);
    c.ex("RPUSH l a b c d e", &int(5));
    c.ex("LPOP l 0", EMPTY);
    c.ex("LPOP l 2", &arr(&["a", "b"]));
    c.ex("RPOP l 1", &arr(&["e"]));
    c.ex("RPOP l 10", &arr(&["d", "c"]));
    c.ex("EXISTS l", &int(0));
    c.ex("RPUSH l a", &int(1));
    c.ex("LPOP l -1", POSITIVE);
    c.ex("LPOP l abc", POSITIVE);
    c.ex("RPOP l 99999999999999999999", POSITIVE);
    c.ex("LPOP nokey -1", POSITIVE);
    c.ex("LPOP l 1 2", &arity("lpop"));
    c.ex("RPOP l 1 2", &arity("rpop"));
    c.ex("LPOP", &arity("lpop"));
    c.ex("LLEN l", &int(1));
}

#[test]
fn resp3_null_forms() {
    let (_s, mut c) = setup();
    let hello = c.call(&["HELLO", "3"]);
    assert!(hello.starts_with('%'), "{hello:?}");
    c.ex("LPOP l", "_\r\n");
    c.ex("RPOP l 2", "_\r\n");
    c.ex("LPOP l 0", "_\r\n");
    c.ex("LMPOP 1 l LEFT", "_\r\n");
    c.ex("LPOS l a", "_\r\n");
    c.ex("LPOS l a COUNT 0", EMPTY);
    c.ex("LINDEX l 0", "_\r\n");
    c.ex("RPOPLPUSH l {l}x", "_\r\n");
    c.ex("LMOVE l {l}x LEFT LEFT", "_\r\n");
    c.ex("LRANGE l 0 -1", EMPTY);
    c.ex("RPUSH l a b", &int(2));
    c.ex("LPOP l 0", EMPTY);
    c.ex("LINDEX l 5", "_\r\n");
    c.ex("LPOS l z", "_\r\n");
    c.ex("LPOS l b", &int(1));
    c.ex("LMPOP 1 l RIGHT COUNT 5", &kv("l", &["b", "a"]));
}

// ---------------------------------------------------------------- read

#[test]
fn llen_lindex_and_lrange() {
    let (_s, mut c) = setup();
    c.ex("LLEN l", &int(0));
    c.ex("LINDEX l 0", NIL);
    c.ex("LINDEX l abc", NIL);
    c.ex("LRANGE l 0 -1", EMPTY);
    c.ex("RPUSH l a b c d", &int(4));
    c.ex("LINDEX l 0", &bulk("a"));
    c.ex("LINDEX l -1", &bulk("d"));
    c.ex("LINDEX l 3", &bulk("d"));
    c.ex("LINDEX l 4", NIL);
    c.ex("LINDEX l -5", NIL);
    c.ex("LINDEX l -9223372036854775808", NIL);
    c.ex("LINDEX l abc", NOT_INT);
    c.ex("LRANGE l 1 2", &arr(&["b", "c"]));
    c.ex("LRANGE l -3 -2", &arr(&["b", "c"]));
    c.ex("LRANGE l -100 100", &arr(&["a", "b", "c", "d"]));
    c.ex("LRANGE l 2 1", EMPTY);
    c.ex("LRANGE l 4 10", EMPTY);
    c.ex("LRANGE l -1 -2", EMPTY);
    c.ex(
        "LRANGE l -9223372036854775808 9223372036854775807",
        &arr(&["a", "b", "c", "d"]),
    );
    c.ex("LRANGE l abc 1", NOT_INT);
    c.ex("LRANGE l 0 1.5", NOT_INT);
    c.ex("LRANGE nokey abc 1", NOT_INT);
    c.ex("LLEN l x", &arity("llen"));
    c.ex("LRANGE l 0", &arity("lrange"));
    c.ex("LINDEX l", &arity("lindex"));
}

#[test]
fn lrange_of_a_long_list() {
    let (_s, mut c) = setup();
    let mut args = vec!["RPUSH".to_string(), "l".to_string()];
    args.extend((0..600).map(|i| format!("v{i}")));
    let refs: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    assert_eq!(c.call(&refs), int(600));
    let want: Vec<&str> = refs[2..].to_vec();
    c.ex("LRANGE l 0 599", &arr(&want));
    c.ex("LRANGE l 100 -401", &arr(&want[100..200]));
    c.ex("LINDEX l 300", &bulk("v300"));
}

// ---------------------------------------------------------------- write in place

#[test]
fn lset_replaces_an_element() {
    let (_s, mut c) = setup();
    c.ex("LSET l 0 a", "-ERR no such key\r\n");
    c.ex("LSET l abc a", "-ERR no such key\r\n");
    c.ex("RPUSH l a b c", &int(3));
    c.ex("LSET l 0 x", OK);
    c.ex("LSET l -1 z", OK);
    c.ex("LRANGE l 0 -1", &arr(&["x", "b", "z"]));
    c.ex("LSET l 3 y", "-ERR index out of range\r\n");
    c.ex("LSET l -4 y", "-ERR index out of range\r\n");
    c.ex("LSET l abc y", NOT_INT);
    c.ex("LSET l 0", &arity("lset"));
}

#[test]
fn lrem_removes_from_head_tail_or_everywhere() {
    let (_s, mut c) = setup();
    c.ex("LREM l 0 a", &int(0));
    c.ex("LREM l abc a", NOT_INT);
    c.ex("RPUSH l a b a c a d a", &int(7));
    c.ex("LREM l 2 a", &int(2));
    c.ex("LRANGE l 0 -1", &arr(&["b", "c", "a", "d", "a"]));
    c.ex("LREM l -1 a", &int(1));
    c.ex("LRANGE l 0 -1", &arr(&["b", "c", "a", "d"]));
    c.ex("LREM l 0 zz", &int(0));
    c.ex("RPUSH l a a", &int(6));
    c.ex("LREM l -2 a", &int(2));
    c.ex("LRANGE l 0 -1", &arr(&["b", "c", "a", "d"]));
    c.ex("LREM l 0 a", &int(1));
    c.ex("LRANGE l 0 -1", &arr(&["b", "c", "d"]));
    c.ex("LREM l -9223372036854775808 b", &int(1));
    c.ex("LREM l 0 c", &int(1));
    c.ex("LREM l 0 d", &int(1));
    c.ex("EXISTS l", &int(0));
    c.ex("LREM l 0", &arity("lrem"));
}

#[test]
fn ltrim_keeps_a_range_and_deletes_empty_lists() {
    let (_s, mut c) = setup();
    c.ex("LTRIM l 0 1", OK);
    c.ex("LTRIM nokey abc 1", NOT_INT);
    c.ex("RPUSH l a b c d e", &int(5));
    c.ex("LTRIM l abc 1", NOT_INT);
    c.ex("LTRIM l 1 -2", OK);
    c.ex("LRANGE l 0 -1", &arr(&["b", "c", "d"]));
    c.ex("LTRIM l -100 100", OK);
    c.ex("LRANGE l 0 -1", &arr(&["b", "c", "d"]));
    c.ex("LTRIM l -1 -1", OK);
    c.ex("LRANGE l 0 -1", &arr(&["d"]));
    c.ex("LTRIM l 1 0", OK);
    c.ex("EXISTS l", &int(0));
    c.ex("RPUSH l a b", &int(2));
    c.ex("LTRIM l 5 10", OK);
    c.ex("EXISTS l", &int(0));
    c.ex("LTRIM l 0", &arity("ltrim"));
}

#[test]
fn linsert_before_and_after_a_pivot() {
    let (_s, mut c) = setup();
    c.ex("LINSERT l BEFORE a x", &int(0));
    c.ex("EXISTS l", &int(0));
    c.ex("RPUSH l a b a", &int(3));
    c.ex("LINSERT l before a x", &int(4));
    c.ex("LINSERT l AFTER a y", &int(5));
    c.ex("LINSERT l After b z", &int(6));
    c.ex("LRANGE l 0 -1", &arr(&["x", "a", "y", "b", "z", "a"]));
    c.ex("LINSERT l BEFORE nope q", &int(-1));
    c.ex("LINSERT l MIDDLE a q", SYNTAX);
    c.ex("LINSERT nokey MIDDLE a q", SYNTAX);
    c.ex("LINSERT l BEFORE a", &arity("linsert"));
}

// ---------------------------------------------------------------- LPOS

#[test]
fn lpos_finds_matches_with_rank_count_and_maxlen() {
    let (_s, mut c) = setup();
    c.ex("LPOS l a", NIL);
    c.ex("LPOS l a COUNT 2", EMPTY);
    c.ex("RPUSH l a b c 1 2 3 c c", &int(8));
    c.ex("LPOS l c", &int(2));
    c.ex("LPOS l zz", NIL);
    c.ex("LPOS l c RANK 2", &int(6));
    c.ex("LPOS l c RANK -1", &int(7));
    c.ex("LPOS l c RANK -3", &int(2));
    c.ex("LPOS l c RANK 4", NIL);
    c.ex("LPOS l c COUNT 2", &ints(&[2, 6]));
    c.ex("LPOS l c COUNT 0", &ints(&[2, 6, 7]));
    c.ex("LPOS l c COUNT 0 RANK 2", &ints(&[6, 7]));
    c.ex("LPOS l c COUNT 0 RANK -1", &ints(&[7, 6, 2]));
    c.ex("LPOS l c RANK -2 COUNT 1", &ints(&[6]));
    c.ex("LPOS l zz COUNT 1", EMPTY);
    c.ex("LPOS l c MAXLEN 3", &int(2));
    c.ex("LPOS l c MAXLEN 2", NIL);
    c.ex("LPOS l c COUNT 0 MAXLEN 7", &ints(&[2, 6]));
    c.ex("LPOS l c RANK -1 MAXLEN 1 COUNT 0", &ints(&[7]));
    c.ex("LPOS l c MAXLEN 0 COUNT 0", &ints(&[2, 6, 7]));
    c.ex("LPOS l c RANK 1 RANK 2", &int(6));
    // Redis negates LLONG_MIN with wraparound: it then matches from the tail.
    c.ex("LPOS l c RANK -9223372036854775808", &int(7));
    c.ex(
        "LPOS l c RANK 0",
        "-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list\r\n",
    );
    c.ex("LPOS l c RANK abc", NOT_INT);
    c.ex("LPOS l c COUNT -1", "-ERR COUNT can't be negative\r\n");
    c.ex("LPOS l c COUNT abc", "-ERR COUNT can't be negative\r\n");
    c.ex("LPOS l c MAXLEN -1", "-ERR MAXLEN can't be negative\r\n");
    c.ex("LPOS l c MAXLEN x", "-ERR MAXLEN can't be negative\r\n");
    c.ex("LPOS l c RANK", SYNTAX);
    c.ex("LPOS l c FOO 1", SYNTAX);
    c.ex("LPOS nokey c FOO 1", SYNTAX);
    c.ex("LPOS l", &arity("lpos"));
}

// ---------------------------------------------------------------- move

#[test]
fn lmove_in_every_direction() {
    let (_s, mut c) = setup();
    c.ex("LMOVE {t}a {t}b LEFT RIGHT", NIL);
    c.ex("EXISTS {t}b", &int(0));
    c.ex("RPUSH {t}a 1 2 3", &int(3));
    c.ex("LMOVE {t}a {t}b LEFT RIGHT", &bulk("1"));
    c.ex("LMOVE {t}a {t}b right left", &bulk("3"));
    c.ex("LMOVE {t}b {t}a RIGHT RIGHT", &bulk("1"));
    c.ex("LMOVE {t}b {t}a Left Left", &bulk("3"));
    c.ex("EXISTS {t}b", &int(0));
    c.ex("LRANGE {t}a 0 -1", &arr(&["3", "2", "1"]));
    // Same key: a rotation.
    c.ex("LMOVE {t}a {t}a LEFT RIGHT", &bulk("3"));
    c.ex("LRANGE {t}a 0 -1", &arr(&["2", "1", "3"]));
    c.ex("LMOVE {t}a {t}a RIGHT LEFT", &bulk("3"));
    c.ex("LRANGE {t}a 0 -1", &arr(&["3", "2", "1"]));
    c.ex("LMOVE {t}a {t}a LEFT LEFT", &bulk("3"));
    c.ex("LRANGE {t}a 0 -1", &arr(&["3", "2", "1"]));
    c.ex("RPUSH {t}one x", &int(1));
    c.ex("LMOVE {t}one {t}one LEFT RIGHT", &bulk("x"));
    c.ex("LRANGE {t}one 0 -1", &arr(&["x"]));
    c.ex("LMOVE {t}a {t}b UP LEFT", SYNTAX);
    c.ex("LMOVE {t}a {t}b LEFT DOWN", SYNTAX);
    c.ex("LMOVE {t}none {t}b LEFT DOWN", SYNTAX);
    c.ex("LMOVE {t}a {t}b LEFT", &arity("lmove"));
}

#[test]
fn rpoplpush_moves_tail_to_head() {
    let (_s, mut c) = setup();
    c.ex("RPOPLPUSH {t}a {t}b", NIL);
    c.ex("RPUSH {t}a 1 2 3", &int(3));
    c.ex("RPUSH {t}b x", &int(1));
    c.ex("RPOPLPUSH {t}a {t}b", &bulk("3"));
    c.ex("LRANGE {t}b 0 -1", &arr(&["3", "x"]));
    c.ex("RPOPLPUSH {t}a {t}a", &bulk("2"));
    c.ex("LRANGE {t}a 0 -1", &arr(&["2", "1"]));
    c.ex("RPOPLPUSH {t}a {t}b", &bulk("1"));
    c.ex("RPOPLPUSH {t}a {t}b", &bulk("2"));
    c.ex("EXISTS {t}a", &int(0));
    c.ex("LRANGE {t}b 0 -1", &arr(&["2", "1", "3", "x"]));
    c.ex("RPOPLPUSH {t}a", &arity("rpoplpush"));
}

#[test]
fn lmpop_pops_from_the_first_non_empty_list() {
    let (_s, mut c) = setup();
    c.ex("LMPOP 2 {t}a {t}b LEFT", NIL_ARR);
    c.ex("RPUSH {t}b 1 2 3 4", &int(4));
    c.ex("RPUSH {t}c x", &int(1));
    c.ex("LMPOP 3 {t}a {t}b {t}c LEFT", &kv("{t}b", &["1"]));
    c.ex(
        "LMPOP 3 {t}a {t}b {t}c right COUNT 2",
        &kv("{t}b", &["4", "3"]),
    );
    c.ex("LMPOP 2 {t}b {t}c LEFT COUNT 10", &kv("{t}b", &["2"]));
    c.ex("EXISTS {t}b", &int(0));
    c.ex("LMPOP 2 {t}b {t}c Left", &kv("{t}c", &["x"]));
    c.ex("EXISTS {t}c", &int(0));
}

#[test]
fn lmpop_argument_errors() {
    let (_s, mut c) = setup();
    c.ex("RPUSH l a", &int(1));
    let numkeys = "-ERR numkeys should be greater than 0\r\n";
    let count = "-ERR count should be greater than 0\r\n";
    c.ex("LMPOP 0 l LEFT", numkeys);
    c.ex("LMPOP -1 l LEFT", numkeys);
    c.ex("LMPOP abc l LEFT", numkeys);
    c.ex("LMPOP 99999999999999999999 l LEFT", numkeys);
    c.ex("LMPOP 2 l LEFT", SYNTAX);
    c.ex("LMPOP 3 l LEFT", SYNTAX);
    c.ex("LMPOP 1 l MIDDLE", SYNTAX);
    c.ex("LMPOP 1 l LEFT COUNT", SYNTAX);
    c.ex("LMPOP 1 l LEFT COUNT 0", count);
    c.ex("LMPOP 1 l LEFT COUNT -1", count);
    c.ex("LMPOP 1 l LEFT COUNT abc", count);
    c.ex("LMPOP 1 l LEFT COUNT 1 COUNT 2", SYNTAX);
    c.ex("LMPOP 1 l LEFT FOO", SYNTAX);
    c.ex("LMPOP 1 l", &arity("lmpop"));
    c.ex("LLEN l", &int(1));
}

// ---------------------------------------------------------------- keyspace behaviour

#[test]
fn modifications_keep_the_ttl() {
    let (_s, mut c) = setup();
    c.ex("RPUSH l a b c d e f", &int(6));
    c.ex("EXPIRE l 1000", &int(1));
    for cmd in [
        "LPUSH l x",
        "RPUSH l y",
        "LPUSHX l x",
        "RPUSHX l y",
        "LPOP l",
        "RPOP l 1",
        "LSET l 0 q",
        "LREM l 1 q",
        "LTRIM l 0 -1",
        "LINSERT l BEFORE b z",
        "LMOVE l l LEFT RIGHT",
        "RPOPLPUSH l l",
        "LMPOP 1 l LEFT",
    ] {
        let args: Vec<&str> = cmd.split_whitespace().collect();
        let r = c.call(&args);
        assert!(!r.starts_with('-'), "{cmd}: {r:?}");
        let ttl = c.call(&["TTL", "l"]);
        assert!(ttl == int(1000) || ttl == int(999), "{cmd}: TTL {ttl:?}");
    }
    // Moving into an existing list keeps the destination's TTL; a new destination has none.
    c.ex("RPUSH {l}s v", &int(1));
    c.ex("LMOVE {l}s l LEFT LEFT", &bulk("v"));
    c.ex("EXISTS {l}s", &int(0));
    let ttl = c.call(&["TTL", "l"]);
    assert!(ttl == int(1000) || ttl == int(999), "TTL {ttl:?}");
    c.ex("LMOVE l {l}fresh LEFT LEFT", &bulk("v"));
    c.ex("TTL {l}fresh", &int(-1));
}

#[test]
fn object_encoding_is_quicklist_for_small_and_big_lists() {
    let (_s, mut c) = setup();
    c.ex("RPUSH l a", &int(1));
    c.ex("OBJECT ENCODING l", &bulk("quicklist"));
    let big = "x".repeat(10_000);
    c.expect(&["RPUSH", "l", &big], &int(2));
    c.ex("OBJECT ENCODING l", &bulk("quicklist"));
    let mut args = vec!["RPUSH".to_string(), "m".to_string()];
    args.extend((0..1000).map(|i| i.to_string()));
    let refs: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    assert_eq!(c.call(&refs), int(1000));
    c.ex("OBJECT ENCODING m", &bulk("quicklist"));
    c.ex("LTRIM m 0 0", OK);
    c.ex("OBJECT ENCODING m", &bulk("quicklist"));
}

#[test]
fn works_through_the_redis_crate_and_is_binary_safe() {
    let s = Server::start(&[]);
    let mut con = s.client();
    let bin: Vec<u8> = vec![0, 1, 2, b'\r', b'\n', 255];
    let n: i64 = redis::cmd("RPUSH")
        .arg("l")
        .arg(&bin)
        .arg("two")
        .query(&mut con)
        .unwrap();
    assert_eq!(n, 2);
    let got: Vec<Vec<u8>> = redis::cmd("LRANGE")
        .arg("l")
        .arg(0)
        .arg(-1)
        .query(&mut con)
        .unwrap();
    assert_eq!(got, vec![bin.clone(), b"two".to_vec()]);
    let pos: Option<i64> = redis::cmd("LPOS")
        .arg("l")
        .arg(&bin)
        .query(&mut con)
        .unwrap();
    assert_eq!(pos, Some(0));
    let popped: Vec<u8> = redis::cmd("LPOP").arg("l").query(&mut con).unwrap();
    assert_eq!(popped, bin);
}

#[test]
fn command_getkeys_of_list_commands() {
    let (_s, mut c) = setup();
    let info = c.call(&["COMMAND", "INFO", "lmpop"]);
    assert!(info.contains("movablekeys"), "{info:?}");
    assert!(info.contains("$5\r\nlmpop\r\n:-4\r\n"), "{info:?}");
    c.ex(
        "COMMAND GETKEYS LMPOP 2 {t}a {t}b LEFT",
        &arr(&["{t}a", "{t}b"]),
    );
    c.ex("COMMAND GETKEYS RPOPLPUSH a b", &arr(&["a", "b"]));
    c.ex("COMMAND GETKEYS LMOVE a b LEFT RIGHT", &arr(&["a", "b"]));
}
