//! Set commands: SADD SREM SMEMBERS SISMEMBER SMISMEMBER SCARD SPOP SRANDMEMBER SMOVE SINTER
//! SINTERCARD SINTERSTORE SUNION SUNIONSTORE SDIFF SDIFFSTORE SSCAN, the intset/hashtable
//! encodings, RESP3 reply shapes.
//!
//! Replies are compared byte for byte with what Redis 7.0.15 sends where Redis fixes the order;
//! members of sets are compared sorted. Multi-key tests use `{t}` hash tags.
mod support;
use support::*;

use std::collections::BTreeSet;

/// A raw connection that returns each reply exactly as the server wrote it.
struct Conn(Raw);

fn conn(s: &Server) -> Conn {
    Conn(s.raw())
}

/// A parsed reply, enough for these tests.
#[derive(Debug, Clone, PartialEq)]
enum R {
    Int(i64),
    Bulk(Vec<u8>),
    Nil,
    Err(String),
    Simple(String),
    /// Aggregate: its type byte (`*`, `~`, `%`) and elements.
    Agg(u8, Vec<R>),
}

fn parse(b: &[u8]) -> (R, usize) {
    let nl = b.windows(2).position(|w| w == b"\r\n").expect("line");
    let line = std::str::from_utf8(&b[1..nl]).unwrap();
    let rest = nl + 2;
    match b[0] {
        b':' => (R::Int(line.parse().unwrap()), rest),
        b'+' => (R::Simple(line.into()), rest),
        b'-' => (R::Err(line.into()), rest),
        b'_' => (R::Nil, rest),
        b'$' => {
            let n: i64 = line.parse().unwrap();
            if n < 0 {
                return (R::Nil, rest);
            }
            let n = n as usize;
            (R::Bulk(b[rest..rest + n].to_vec()), rest + n + 2)
        }
        t @ (b'*' | b'~' | b'%') => {
            let n: i64 = line.parse().unwrap();
            if n < 0 {
                return (R::Nil, rest);
            }
            let n = if t == b'%' { 2 * n } else { n } as usize;
            let mut at = rest;
            let mut v = Vec::new();
            for _ in 0..n {
                let (r, used) = parse(&b[at..]);
                v.push(r);
                at += used;
            }
            (R::Agg(t, v), at)
        }
        t => panic!("unexpected reply type {}", t as char),
    }
}

impl Conn {
    /// Sends one command and returns its complete reply, verbatim (support's `Raw::call`).
    fn q(&mut self, args: &[&str]) -> String {
        self.0.call(args)
    }

    fn r(&mut self, args: &[&str]) -> R {
        parse(self.q(args).as_bytes()).0
    }

    fn int(&mut self, args: &[&str]) -> i64 {
        match self.r(args) {
            R::Int(n) => n,
            other => panic!("{args:?} replied {other:?}"),
        }
    }

    /// A reply that is an aggregate of bulk strings, as a sorted set of strings.
    fn members(&mut self, args: &[&str]) -> BTreeSet<String> {
        match self.r(args) {
            R::Agg(_, v) => v.into_iter().map(bulk_str).collect(),
            other => panic!("{args:?} replied {other:?}"),
        }
    }

    /// The same as a list (order and repeats kept).
    fn list(&mut self, args: &[&str]) -> Vec<String> {
        match self.r(args) {
            R::Agg(_, v) => v.into_iter().map(bulk_str).collect(),
            other => panic!("{args:?} replied {other:?}"),
        }
    }

    fn encoding(&mut self, key: &str) -> String {
        bulk_str(self.r(&["OBJECT", "ENCODING", key]))
    }
}

fn bulk_str(r: R) -> String {
    match r {
        R::Bulk(b) => String::from_utf8(b).unwrap(),
        other => panic!("not a bulk string: {other:?}"),
    }
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn numbers(range: std::ops::Range<i64>) -> Vec<String> {
    range.map(|i| i.to_string()).collect()
}

fn with_key<'a>(cmd: &'a str, key: &'a str, rest: &'a [String]) -> Vec<&'a str> {
    let mut v = vec![cmd, key];
    v.extend(rest.iter().map(|s| s.as_str()));
    v
}

#[test]
fn sadd_srem_scard_sismember_smembers() {
    let s = Server::start(&[]);
    let mut c = conn(&s);
    assert_eq!(c.q(&["SADD", "s", "a", "b", "a"]), int(2));
    assert_eq!(c.q(&["SADD", "s", "b", "c"]), int(1));
    assert_eq!(c.q(&["SCARD", "s"]), int(3));
    assert_eq!(c.q(&["SCARD", "nokey"]), int(0));
    assert_eq!(c.q(&["SISMEMBER", "s", "a"]), int(1));
    assert_eq!(c.q(&["SISMEMBER", "s", "z"]), int(0));
    assert_eq!(c.q(&["SISMEMBER", "nokey", "z"]), int(0));
    assert_eq!(c.members(&["SMEMBERS", "s"]), set(&["a", "b", "c"]));
    assert_eq!(c.q(&["SMEMBERS", "nokey"]), EMPTY);
    assert_eq!(
        c.q(&["SMISMEMBER", "s", "a", "z", "c"]),
        "*3\r\n:1\r\n:0\r\n:1\r\n"
    );
    assert_eq!(
        c.q(&["SMISMEMBER", "nokey", "a", "b"]),
        "*2\r\n:0\r\n:0\r\n"
    );
    assert_eq!(c.q(&["SREM", "s", "a", "z"]), int(1));
    assert_eq!(c.q(&["SREM", "nokey", "a"]), int(0));
    assert_eq!(c.members(&["SMEMBERS", "s"]), set(&["b", "c"]));
    // Removing the last members deletes the key.
    assert_eq!(c.q(&["SREM", "s", "b", "c", "d"]), int(2));
    assert_eq!(c.q(&["EXISTS", "s"]), int(0));
    // Binary-safe members, an empty member.
    assert_eq!(c.q(&["SADD", "b", "", "x y", "\r\n"]), int(3));
    assert_eq!(c.members(&["SMEMBERS", "b"]), set(&["", "x y", "\r\n"]));
    assert_eq!(c.q(&["SISMEMBER", "b", ""]), int(1));
}

#[test]
fn errors_wrongtype_and_arity() {
    let s = Server::start(&[]);
    let mut c = conn(&s);
    assert_eq!(c.q(&["SET", "str", "v"]), "+OK\r\n");
    for cmd in [
        &["SADD", "str", "a"][..],
        &["SREM", "str", "a"],
        &["SMEMBERS", "str"],
        &["SISMEMBER", "str", "a"],
        &["SMISMEMBER", "str", "a"],
        &["SCARD", "str"],
        &["SPOP", "str"],
        &["SPOP", "str", "0"],
        &["SRANDMEMBER", "str"],
        &["SRANDMEMBER", "str", "2"],
        &["SMOVE", "str", "x", "a"],
        &["SINTER", "str"],
        &["SINTER", "nokey", "str"],
        &["SINTERCARD", "2", "nokey", "str"],
        &["SINTERSTORE", "d", "nokey", "str"],
        &["SUNION", "nokey", "str"],
        &["SUNIONSTORE", "d", "str"],
        &["SDIFF", "nokey", "str"],
        &["SDIFFSTORE", "d", "nokey", "str"],
        &["SSCAN", "str", "0"],
    ] {
        assert_eq!(c.q(cmd), WRONGTYPE, "{cmd:?}");
    }
    assert_eq!(c.q(&["SADD", "s", "a"]), int(1));
    assert_eq!(c.q(&["SMOVE", "s", "str", "a"]), WRONGTYPE);
    assert_eq!(c.q(&["SMOVE", "nokey", "str", "a"]), int(0));
    for (cmd, args) in [
        ("sadd", &["SADD", "s"][..]),
        ("srem", &["SREM", "s"]),
        ("smembers", &["SMEMBERS"]),
        ("smembers", &["SMEMBERS", "s", "t"]),
        ("sismember", &["SISMEMBER", "s"]),
        ("smismember", &["SMISMEMBER", "s"]),
        ("scard", &["SCARD"]),
        ("spop", &["SPOP"]),
        ("srandmember", &["SRANDMEMBER"]),
        ("smove", &["SMOVE", "s", "t"]),
        ("sinter", &["SINTER"]),
        ("sintercard", &["SINTERCARD", "1"]),
        ("sinterstore", &["SINTERSTORE", "d"]),
        ("sunion", &["SUNION"]),
        ("sunionstore", &["SUNIONSTORE", "d"]),
        ("sdiff", &["SDIFF"]),
        ("sdiffstore", &["SDIFFSTORE", "d"]),
        ("sscan", &["SSCAN", "s"]),
    ] {
        assert_eq!(c.q(args), arity(cmd), "{args:?}");
    }
    assert_eq!(c.q(&["SPOP", "s", "1", "2"]), SYNTAX);
    assert_eq!(c.q(&["SRANDMEMBER", "s", "1", "2"]), SYNTAX);
    // The failed commands changed nothing.
    assert_eq!(c.members(&["SMEMBERS", "s"]), set(&["a"]));
    assert_eq!(c.q(&["GET", "str"]), "$1\r\nv\r\n");
}

#[test]
fn spop_single_and_count() {
    let s = Server::start(&[]);
    let mut c = conn(&s);
    assert_eq!(c.q(&["SPOP", "nokey"]), NIL);
    assert_eq!(c.q(&["SPOP", "nokey", "3"]), EMPTY);
    let all = set(&["a", "b", "c", "d", "e"]);
    c.q(&["SADD", "s", "a", "b", "c", "d", "e"]);
    let one = bulk_str(c.r(&["SPOP", "s"]));
    assert!(all.contains(&one));
    assert_eq!(c.q(&["SISMEMBER", "s", &one]), int(0));
    assert_eq!(c.q(&["SPOP", "s", "0"]), EMPTY);
    let two = c.list(&["SPOP", "s", "2"]);
    assert_eq!(two.len(), 2);
    assert_eq!(two.iter().collect::<BTreeSet<_>>().len(), 2, "distinct");
    assert_eq!(c.q(&["SCARD", "s"]), int(2));
    let rest = c.members(&["SMEMBERS", "s"]);
    let mut seen: BTreeSet<String> = two.into_iter().collect();
    seen.insert(one);
    seen.extend(rest.iter().cloned());
    assert_eq!(seen, all);
    // A count at least the size pops everything and deletes the key.
    assert_eq!(c.members(&["SPOP", "s", "10"]), rest);
    assert_eq!(c.q(&["EXISTS", "s"]), int(0));
    // Popping the last member deletes the key.
    c.q(&["SADD", "one", "x"]);
    assert_eq!(c.q(&["SPOP", "one"]), "$1\r\nx\r\n");
    assert_eq!(c.q(&["EXISTS", "one"]), int(0));
    let positive = err("ERR value is out of range, must be positive");
    c.q(&["SADD", "s", "a"]);
    assert_eq!(c.q(&["SPOP", "s", "-1"]), positive);
    assert_eq!(c.q(&["SPOP", "s", "x"]), positive);
    // Integers come back as the strings they were added as.
    c.q(&["SADD", "ints", "-5", "10", "7"]);
    assert_eq!(c.members(&["SPOP", "ints", "3"]), set(&["-5", "10", "7"]));
    // Large hashtable set: pops are distinct and the rest is intact.
    let items = numbers(0..1000);
    let mut args = with_key("SADD", "big", &items);
    args.push("x");
    assert_eq!(c.int(&args), 1001);
    let popped = c.list(&["SPOP", "big", "300"]);
    let popped_set: BTreeSet<String> = popped.iter().cloned().collect();
    assert_eq!(popped_set.len(), 300);
    let left = c.members(&["SMEMBERS", "big"]);
    assert_eq!(left.len(), 701);
    assert!(left.is_disjoint(&popped_set));
    assert_eq!(c.encoding("big"), "hashtable");
}

#[test]
fn srandmember_counts() {
    let s = Server::start(&[]);
    let mut c = conn(&s);
    assert_eq!(c.q(&["SRANDMEMBER", "nokey"]), NIL);
    assert_eq!(c.q(&["SRANDMEMBER", "nokey", "5"]), EMPTY);
    assert_eq!(c.q(&["SRANDMEMBER", "nokey", "-5"]), EMPTY);
    let all = set(&["a", "b", "c", "1", "2"]);
    c.q(&["SADD", "s", "a", "b", "c", "1", "2"]);
    for _ in 0..20 {
        assert!(all.contains(&bulk_str(c.r(&["SRANDMEMBER", "s"]))));
    }
    assert_eq!(c.q(&["SRANDMEMBER", "s", "0"]), EMPTY);
    let three = c.list(&["SRANDMEMBER", "s", "3"]);
    assert_eq!(three.len(), 3);
    let three_set: BTreeSet<String> = three.into_iter().collect();
    assert_eq!(three_set.len(), 3, "positive count: distinct");
    assert!(three_set.is_subset(&all));
    assert_eq!(c.members(&["SRANDMEMBER", "s", "5"]), all);
    assert_eq!(c.list(&["SRANDMEMBER", "s", "100"]).len(), 5);
    // Negative count: exactly |count| members, repeats allowed.
    let many = c.list(&["SRANDMEMBER", "s", "-50"]);
    assert_eq!(many.len(), 50);
    assert!(many.iter().all(|m| all.contains(m)));
    assert_eq!(c.q(&["SCARD", "s"]), int(5), "read only");
    assert_eq!(c.q(&["SRANDMEMBER", "s", "x"]), NOT_INT);
    assert_eq!(
        c.q(&["SRANDMEMBER", "s", "-9223372036854775808"]),
        err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
    );
    // Every member of a hashtable set is eventually drawn.
    let items = numbers(0..20);
    let mut args = with_key("SADD", "h", &items);
    args.push("x");
    c.int(&args);
    let mut seen = BTreeSet::new();
    for _ in 0..200 {
        seen.extend(c.list(&["SRANDMEMBER", "h", "-10"]));
        if seen.len() == 21 {
            break;
        }
    }
    assert_eq!(seen.len(), 21);
}

#[test]
fn smove_semantics() {
    let s = Server::start(&[]);
    let mut c = conn(&s);
    c.q(&["SADD", "{t}a", "1", "2", "x"]);
    assert_eq!(c.q(&["SMOVE", "{t}a", "{t}b", "1"]), int(1));
    assert_eq!(c.encoding("{t}b"), "intset");
    assert_eq!(c.q(&["SMOVE", "{t}a", "{t}b", "nope"]), int(0));
    assert_eq!(c.q(&["SMOVE", "{t}nokey", "{t}b", "1"]), int(0));
    assert_eq!(c.q(&["SMOVE", "{t}a", "{t}a", "2"]), int(1));
    assert_eq!(c.q(&["SMOVE", "{t}a", "{t}a", "9"]), int(0));
    assert_eq!(c.members(&["SMEMBERS", "{t}a"]), set(&["2", "x"]));
    assert_eq!(c.q(&["SMOVE", "{t}a", "{t}b", "x"]), int(1));
    assert_eq!(c.encoding("{t}b"), "hashtable");
    // Moving a member the destination already has still removes it from the source.
    c.q(&["SADD", "{t}b", "2"]);
    assert_eq!(c.q(&["SMOVE", "{t}a", "{t}b", "2"]), int(1));
    assert_eq!(c.q(&["EXISTS", "{t}a"]), int(0), "emptied source deleted");
    assert_eq!(c.members(&["SMEMBERS", "{t}b"]), set(&["1", "2", "x"]));
    // A new destination takes the encoding of its first member.
    c.q(&["SADD", "{t}c", "y"]);
    assert_eq!(c.q(&["SMOVE", "{t}c", "{t}d", "y"]), int(1));
    assert_eq!(c.encoding("{t}d"), "hashtable");
}

#[test]
fn sinter_sunion_sdiff() {
    let s = Server::start(&[]);
    let mut c = conn(&s);
    c.q(&["SADD", "{t}a", "1", "2", "3", "x", "y"]);
    c.q(&["SADD", "{t}b", "2", "3", "4", "y"]);
    c.q(&["SADD", "{t}c", "3", "y", "z"]);
    assert_eq!(
        c.members(&["SINTER", "{t}a", "{t}b", "{t}c"]),
        set(&["3", "y"])
    );
    assert_eq!(
        c.members(&["SINTER", "{t}a", "{t}b"]),
        set(&["2", "3", "y"])
    );
    assert_eq!(
        c.members(&["SINTER", "{t}a"]),
        c.members(&["SMEMBERS", "{t}a"])
    );
    assert_eq!(c.q(&["SINTER", "{t}a", "{t}nokey"]), EMPTY);
    assert_eq!(
        c.members(&["SUNION", "{t}a", "{t}b", "{t}c", "{t}nokey"]),
        set(&["1", "2", "3", "4", "x", "y", "z"])
    );
    assert_eq!(c.q(&["SUNION", "{t}nokey"]), EMPTY);
    assert_eq!(
        c.members(&["SDIFF", "{t}a", "{t}b", "{t}nokey"]),
        set(&["1", "x"])
    );
    assert_eq!(
        c.members(&["SDIFF", "{t}a", "{t}b", "{t}c"]),
        set(&["1", "x"])
    );
    assert_eq!(c.members(&["SDIFF", "{t}c", "{t}a"]), set(&["z"]));
    assert_eq!(c.q(&["SDIFF", "{t}nokey", "{t}a"]), EMPTY);
    assert_eq!(c.q(&["SDIFF", "{t}a", "{t}a"]), EMPTY);
}

#[test]
fn store_variants_overwrite_and_delete() {
    let s = Server::start(&[]);
    let mut c = conn(&s);
    c.q(&["SADD", "{t}a", "1", "2", "3", "x"]);
    c.q(&["SADD", "{t}b", "2", "3", "4"]);
    // Destination of another type, with a TTL: overwritten, TTL dropped.
    c.q(&["SET", "{t}d", "v", "EX", "100"]);
    assert_eq!(c.q(&["SINTERSTORE", "{t}d", "{t}a", "{t}b"]), int(2));
    assert_eq!(c.q(&["TYPE", "{t}d"]), "+set\r\n");
    assert_eq!(c.q(&["TTL", "{t}d"]), int(-1));
    assert_eq!(c.members(&["SMEMBERS", "{t}d"]), set(&["2", "3"]));
    assert_eq!(c.encoding("{t}d"), "intset");
    assert_eq!(c.q(&["SUNIONSTORE", "{t}d", "{t}a", "{t}b"]), int(5));
    assert_eq!(
        c.members(&["SMEMBERS", "{t}d"]),
        set(&["1", "2", "3", "4", "x"])
    );
    assert_eq!(c.encoding("{t}d"), "hashtable");
    assert_eq!(c.q(&["SDIFFSTORE", "{t}d", "{t}a", "{t}b"]), int(2));
    assert_eq!(c.members(&["SMEMBERS", "{t}d"]), set(&["1", "x"]));
    // The destination may be a source.
    assert_eq!(c.q(&["SUNIONSTORE", "{t}d", "{t}d", "{t}b"]), int(5));
    assert_eq!(c.q(&["SCARD", "{t}d"]), int(5));
    // An empty result deletes the destination, whatever its type.
    assert_eq!(c.q(&["SINTERSTORE", "{t}d", "{t}a", "{t}nokey"]), int(0));
    assert_eq!(c.q(&["EXISTS", "{t}d"]), int(0));
    c.q(&["SET", "{t}d", "v"]);
    assert_eq!(c.q(&["SDIFFSTORE", "{t}d", "{t}a", "{t}a"]), int(0));
    assert_eq!(c.q(&["EXISTS", "{t}d"]), int(0));
    c.q(&["SET", "{t}d", "v"]);
    assert_eq!(c.q(&["SUNIONSTORE", "{t}d", "{t}nokey"]), int(0));
    assert_eq!(c.q(&["EXISTS", "{t}d"]), int(0));
    // Destination of the wrong type with a wrong-type source: error, destination kept.
    c.q(&["SET", "{t}d", "v"]);
    assert_eq!(c.q(&["SINTERSTORE", "{t}d", "{t}d"]), WRONGTYPE);
    assert_eq!(c.q(&["GET", "{t}d"]), "$1\r\nv\r\n");
}

#[test]
fn sintercard_numkeys_and_limit() {
    let s = Server::start(&[]);
    let mut c = conn(&s);
    c.q(&["SADD", "{t}a", "1", "2", "3", "x", "y"]);
    c.q(&["SADD", "{t}b", "2", "3", "x", "z"]);
    assert_eq!(c.q(&["SINTERCARD", "2", "{t}a", "{t}b"]), int(3));
    assert_eq!(c.q(&["SINTERCARD", "1", "{t}a"]), int(5));
    assert_eq!(
        c.q(&["SINTERCARD", "2", "{t}a", "{t}b", "LIMIT", "2"]),
        int(2)
    );
    assert_eq!(
        c.q(&["SINTERCARD", "2", "{t}a", "{t}b", "limit", "0"]),
        int(3)
    );
    assert_eq!(
        c.q(&["SINTERCARD", "2", "{t}a", "{t}b", "LIMIT", "10"]),
        int(3)
    );
    assert_eq!(c.q(&["SINTERCARD", "2", "{t}a", "{t}nokey"]), int(0));
    assert_eq!(
        c.q(&["SINTERCARD", "1", "{t}a", "LIMIT", "1", "LIMIT", "4"]),
        int(4)
    );
    let numkeys = err("ERR numkeys should be greater than 0");
    assert_eq!(c.q(&["SINTERCARD", "0", "{t}a"]), numkeys);
    assert_eq!(c.q(&["SINTERCARD", "-1", "{t}a"]), numkeys);
    assert_eq!(c.q(&["SINTERCARD", "x", "{t}a"]), numkeys);
    assert_eq!(
        c.q(&["SINTERCARD", "3", "{t}a", "{t}b"]),
        err("ERR Number of keys can't be greater than number of args")
    );
    let limit = err("ERR LIMIT can't be negative");
    assert_eq!(c.q(&["SINTERCARD", "1", "{t}a", "LIMIT", "-1"]), limit);
    assert_eq!(c.q(&["SINTERCARD", "1", "{t}a", "LIMIT", "x"]), limit);
    assert_eq!(c.q(&["SINTERCARD", "1", "{t}a", "LIMIT"]), SYNTAX);
    assert_eq!(c.q(&["SINTERCARD", "1", "{t}a", "FOO", "1"]), SYNTAX);
    // COMMAND GETKEYS finds the counted keys.
    assert_eq!(
        c.list(&[
            "COMMAND",
            "GETKEYS",
            "SINTERCARD",
            "2",
            "k1",
            "k2",
            "LIMIT",
            "1"
        ]),
        vec!["k1", "k2"]
    );
}

#[test]
fn intset_encoding_and_conversion() {
    let s = Server::start(&[]);
    let mut c = conn(&s);
    c.q(&[
        "SADD",
        "i",
        "1",
        "-2",
        "9223372036854775807",
        "-9223372036854775808",
    ]);
    assert_eq!(c.encoding("i"), "intset");
    // Non-canonical integers are strings.
    for (k, m) in [
        ("a", "01"),
        ("b", "-0"),
        ("c", "9223372036854775808"),
        ("d", " 1"),
        ("e", "1.0"),
    ] {
        c.q(&["SADD", k, m]);
        assert_eq!(c.encoding(k), "hashtable", "{m}");
    }
    assert_eq!(c.q(&["SISMEMBER", "i", "01"]), int(0));
    assert_eq!(c.q(&["SISMEMBER", "i", "-2"]), int(1));
    // A string member converts, and removing it does not convert back.
    c.q(&["SADD", "i", "x"]);
    assert_eq!(c.encoding("i"), "hashtable");
    c.q(&["SREM", "i", "x"]);
    assert_eq!(c.encoding("i"), "hashtable");
    // set-max-intset-entries = 512.
    let items = numbers(0..512);
    assert_eq!(c.int(&with_key("SADD", "n", &items)), 512);
    assert_eq!(c.encoding("n"), "intset");
    assert_eq!(c.q(&["SADD", "n", "5"]), int(0));
    assert_eq!(c.encoding("n"), "intset");
    assert_eq!(c.q(&["SADD", "n", "512"]), int(1));
    assert_eq!(c.encoding("n"), "hashtable");
    assert_eq!(c.q(&["SCARD", "n"]), int(513));
    assert_eq!(c.q(&["SISMEMBER", "n", "0"]), int(1));
    assert_eq!(c.q(&["SISMEMBER", "n", "512"]), int(1));
    // Repeated integers count once.
    let repeated: Vec<String> = (0..600).map(|_| "7".to_string()).collect();
    assert_eq!(c.int(&with_key("SADD", "r", &repeated)), 1);
    assert_eq!(c.encoding("r"), "intset");
    // Store results get the encoding of a set built by adding their members.
    let items = numbers(0..600);
    c.int(&with_key("SADD", "{t}big", &items));
    let items = numbers(0..200);
    c.int(&with_key("SADD", "{t}low", &items));
    assert_eq!(c.q(&["SINTERSTORE", "{t}d", "{t}big", "{t}low"]), int(200));
    assert_eq!(c.encoding("{t}d"), "intset");
    assert_eq!(c.q(&["SDIFFSTORE", "{t}d", "{t}big", "{t}low"]), int(400));
    assert_eq!(c.encoding("{t}d"), "intset");
    assert_eq!(c.q(&["SUNIONSTORE", "{t}d", "{t}low"]), int(200));
    assert_eq!(c.encoding("{t}d"), "intset");
    assert_eq!(c.q(&["SUNIONSTORE", "{t}d", "{t}big"]), int(600));
    assert_eq!(c.encoding("{t}d"), "hashtable");
    // Redis's second SDIFF algorithm adds the whole first set, then removes.
    for (k, r) in [("{t}c", 200..300), ("{t}e", 300..400), ("{t}f", 400..500)] {
        c.int(&with_key("SADD", k, &numbers(r)));
    }
    assert_eq!(
        c.q(&["SDIFFSTORE", "{t}d", "{t}big", "{t}c", "{t}e", "{t}f"]),
        int(300)
    );
    assert_eq!(c.encoding("{t}d"), "hashtable");
    // SPOP keeps the encoding.
    c.q(&["SPOP", "{t}big", "400"]);
    assert_eq!(c.encoding("{t}big"), "hashtable");
}

#[test]
fn ttl_is_kept_by_in_place_changes() {
    let s = Server::start(&[]);
    let mut c = conn(&s);
    c.q(&["SADD", "{t}s", "a", "b", "c", "d"]);
    assert_eq!(c.q(&["EXPIRE", "{t}s", "1000"]), int(1));
    c.q(&["SADD", "{t}s", "e", "1"]);
    c.q(&["SREM", "{t}s", "a"]);
    c.q(&["SPOP", "{t}s"]);
    c.q(&["SPOP", "{t}s", "1"]);
    c.q(&["SMOVE", "{t}s", "{t}o", "b"]);
    c.q(&["SMOVE", "{t}s", "{t}o", "c"]);
    c.q(&["SMOVE", "{t}s", "{t}o", "1"]);
    c.q(&["SMOVE", "{t}s", "{t}o", "e"]);
    c.q(&["SMOVE", "{t}s", "{t}o", "d"]);
    if c.int(&["EXISTS", "{t}s"]) == 1 {
        let ttl = c.int(&["TTL", "{t}s"]);
        assert!(ttl > 990 && ttl <= 1000, "ttl {ttl}");
    }
    c.q(&["SADD", "{t}k", "x", "y"]);
    c.q(&["PEXPIRE", "{t}k", "500000"]);
    c.q(&["SADD", "{t}k", "z"]);
    c.q(&["SREM", "{t}k", "x"]);
    let ttl = c.int(&["PTTL", "{t}k"]);
    assert!(ttl > 490_000 && ttl <= 500_000, "pttl {ttl}");
    // SMOVE into an existing destination keeps its TTL too.
    c.q(&["SADD", "{t}src", "m"]);
    c.q(&["SMOVE", "{t}src", "{t}k", "m"]);
    assert!(c.int(&["PTTL", "{t}k"]) > 490_000);
}

#[test]
fn sscan_small_and_large() {
    let s = Server::start(&[]);
    let mut c = conn(&s);
    assert_eq!(c.q(&["SSCAN", "nokey", "0"]), "*2\r\n$1\r\n0\r\n*0\r\n");
    // Options are not parsed for a missing key.
    assert_eq!(
        c.q(&["SSCAN", "nokey", "0", "FOO"]),
        "*2\r\n$1\r\n0\r\n*0\r\n"
    );
    c.q(&["SADD", "i", "1", "2", "3", "10", "20"]);
    match c.r(&["SSCAN", "i", "0"]) {
        R::Agg(b'*', v) => {
            assert_eq!(v[0], R::Bulk(b"0".to_vec()), "an intset is returned whole");
            match &v[1] {
                R::Agg(b'*', m) => assert_eq!(m.len(), 5),
                other => panic!("{other:?}"),
            }
        }
        other => panic!("{other:?}"),
    }
    match c.r(&["SSCAN", "i", "0", "MATCH", "1*", "COUNT", "1"]) {
        R::Agg(_, v) => {
            assert_eq!(v[0], R::Bulk(b"0".to_vec()));
            let got: BTreeSet<String> = match &v[1] {
                R::Agg(_, m) => m.iter().cloned().map(bulk_str).collect(),
                other => panic!("{other:?}"),
            };
            assert_eq!(got, set(&["1", "10"]));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(c.q(&["SSCAN", "i", "x"]), err("ERR invalid cursor"));
    assert_eq!(c.q(&["SSCAN", "i", "0", "COUNT", "0"]), SYNTAX);
    assert_eq!(c.q(&["SSCAN", "i", "0", "COUNT", "x"]), NOT_INT);
    assert_eq!(c.q(&["SSCAN", "i", "0", "MATCH"]), SYNTAX);
    assert_eq!(c.q(&["SSCAN", "i", "0", "TYPE", "set"]), SYNTAX);
    // A hashtable set: a full iteration returns every member; members removed during the
    // iteration may be missed, the others must all come back.
    let items = numbers(0..1000);
    let mut args = with_key("SADD", "h", &items);
    args.push("x");
    c.int(&args);
    for (count, pattern) in [("10", "*"), ("7", "1*"), ("1000", "*")] {
        let mut seen = BTreeSet::new();
        let mut cursor = "0".to_string();
        let mut removed = BTreeSet::new();
        for round in 0..10_000 {
            let r = c.r(&["SSCAN", "h", &cursor, "COUNT", count, "MATCH", pattern]);
            let R::Agg(_, v) = r else { panic!("{r:?}") };
            cursor = bulk_str(v[0].clone());
            if let R::Agg(_, m) = &v[1] {
                seen.extend(m.iter().cloned().map(bulk_str));
            }
            if round == 3 && count == "10" {
                // Remove some members mid-iteration.
                for k in ["5", "500", "999"] {
                    c.q(&["SREM", "h", k]);
                    removed.insert(k.to_string());
                }
            }
            if cursor == "0" {
                break;
            }
        }
        assert_eq!(cursor, "0", "iteration ended");
        let want: BTreeSet<String> = c
            .members(&["SMEMBERS", "h"])
            .into_iter()
            .filter(|m| pattern == "*" || m.starts_with('1'))
            .collect();
        assert!(want.is_subset(&seen), "count {count} pattern {pattern}");
        assert!(seen.iter().all(|m| pattern == "*" || m.starts_with('1')));
        for r in &removed {
            c.q(&["SADD", "h", r]);
        }
    }
}

#[test]
fn resp3_reply_shapes() {
    let s = Server::start(&[]);
    let mut c = conn(&s);
    assert!(c.q(&["HELLO", "3"]).starts_with('%'));
    c.q(&["SADD", "{t}s", "a"]);
    c.q(&["SADD", "{t}u", "a"]);
    assert_eq!(c.q(&["SMEMBERS", "{t}s"]), "~1\r\n$1\r\na\r\n");
    assert_eq!(c.q(&["SMEMBERS", "{t}nokey"]), "~0\r\n");
    assert_eq!(c.q(&["SINTER", "{t}s", "{t}u"]), "~1\r\n$1\r\na\r\n");
    assert_eq!(c.q(&["SINTER", "{t}s", "{t}nokey"]), "~0\r\n");
    assert_eq!(c.q(&["SUNION", "{t}s", "{t}u"]), "~1\r\n$1\r\na\r\n");
    assert_eq!(c.q(&["SDIFF", "{t}s", "{t}u"]), "~0\r\n");
    assert_eq!(c.q(&["SMISMEMBER", "{t}s", "a", "b"]), "*2\r\n:1\r\n:0\r\n");
    assert_eq!(c.q(&["SRANDMEMBER", "{t}s", "1"]), "*1\r\n$1\r\na\r\n");
    assert_eq!(c.q(&["SRANDMEMBER", "{t}s", "5"]), "*1\r\n$1\r\na\r\n");
    assert_eq!(
        c.q(&["SRANDMEMBER", "{t}s", "-2"]),
        "*2\r\n$1\r\na\r\n$1\r\na\r\n"
    );
    assert_eq!(c.q(&["SRANDMEMBER", "{t}s", "0"]), "*0\r\n");
    assert_eq!(c.q(&["SRANDMEMBER", "{t}nokey", "1"]), "*0\r\n");
    assert_eq!(c.q(&["SRANDMEMBER", "{t}nokey"]), "_\r\n");
    assert_eq!(
        c.q(&["SSCAN", "{t}s", "0"]),
        "*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n"
    );
    assert_eq!(c.q(&["SPOP", "{t}s", "0"]), "~0\r\n");
    assert_eq!(c.q(&["SPOP", "{t}nokey", "1"]), "~0\r\n");
    assert_eq!(c.q(&["SPOP", "{t}nokey"]), "_\r\n");
    c.q(&["SADD", "{t}s", "b"]);
    assert_eq!(c.q(&["SPOP", "{t}s", "1"]).lines().next(), Some("~1"));
    assert_eq!(c.q(&["SPOP", "{t}s", "5"]).lines().next(), Some("~1"));
    assert_eq!(c.q(&["EXISTS", "{t}s"]), int(0));
}

#[test]
fn command_info_rows() {
    let s = Server::start(&[]);
    let mut c = conn(&s);
    let info = c.q(&["COMMAND", "INFO", "sintercard", "smove", "sadd"]);
    assert!(info.contains("sintercard\r\n:-3\r\n"), "{info}");
    assert!(info.contains("movablekeys"), "{info}");
    assert!(info.contains("smove\r\n:4\r\n"), "{info}");
    assert!(info.contains("sadd\r\n:-3\r\n"), "{info}");
    assert_eq!(
        c.list(&["COMMAND", "GETKEYS", "SMOVE", "a", "b", "m"]),
        vec!["a", "b"]
    );
    assert_eq!(
        c.list(&["COMMAND", "GETKEYS", "SINTERSTORE", "d", "a", "b"]),
        vec!["d", "a", "b"]
    );
}

/// SADD `key` members `{prefix}{i}` for `i` in `range`.
fn sadd_range(r: &mut redis::Connection, key: &str, prefix: &str, range: std::ops::Range<usize>) {
    let mut cmd = redis::cmd("SADD");
    cmd.arg(key);
    for i in range {
        cmd.arg(format!("{prefix}{i}"));
    }
    let _: i64 = cmd.query(r).unwrap();
}

#[test]
fn sscan_walks_a_hashtable_incrementally_while_it_changes() {
    let s = Server::start(&[]);
    let mut r = s.client();
    sadd_range(&mut r, "big", "m", 0..1000);
    let (items, calls) = scan_collection(&mut r, "SSCAN", "big", &["COUNT", "10"], |_, _| {});
    assert!(calls > 10, "COUNT 10 over 1000 members took {calls} calls");
    let seen: BTreeSet<String> = items.into_iter().collect();
    assert_eq!(seen, (0..1000).map(|i| format!("m{i}")).collect());
    let (items, _) = scan_collection(
        &mut r,
        "SSCAN",
        "big",
        &["MATCH", "m99?", "COUNT", "10"],
        |_, _| {},
    );
    let got: BTreeSet<String> = items.into_iter().collect();
    assert_eq!(got, (990..1000).map(|i| format!("m{i}")).collect());
    // Members present throughout come back though others are removed and added meanwhile.
    sadd_range(&mut r, "ch", "keep", 0..600);
    sadd_range(&mut r, "ch", "tmp", 0..600);
    let (items, _) = scan_collection(&mut r, "SSCAN", "ch", &["COUNT", "10"], |r, step| {
        let mut del = redis::cmd("SREM");
        del.arg("ch");
        for j in 0..6 {
            del.arg(format!("tmp{}", (step * 6 + j) % 600));
        }
        let _: i64 = del.query(r).unwrap();
        sadd_range(r, "ch", &format!("new{step}-"), 0..6);
    });
    let seen: BTreeSet<String> = items.into_iter().collect();
    for i in 0..600 {
        assert!(seen.contains(&format!("keep{i}")), "keep{i} missed");
    }
    // An intset is returned whole, whatever COUNT says.
    let mut add = redis::cmd("SADD");
    add.arg("ints");
    for i in 0..500 {
        add.arg(i);
    }
    let _: i64 = add.query(&mut r).unwrap();
    let (items, calls) = scan_collection(&mut r, "SSCAN", "ints", &["COUNT", "10"], |_, _| {});
    assert_eq!((calls, items.len()), (1, 500));
}
