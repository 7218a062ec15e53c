//! SORT and SORT_RO: numeric and ALPHA order, ASC/DESC, LIMIT edge cases, BY patterns (strings,
//! hash fields, `nosort`), GET patterns (`#`, missing keys), STORE, every source type, errors,
//! and COMMAND GETKEYS.
//!
//! Replies are compared byte for byte with what Redis 7.0.15 sends (`SHOAL_TEST_AGAINST=redis`
//! runs the same expectations against it). Keys share the `{t}` hash tag so the patterns' keys
//! live in the sorted key's slot. ALPHA tests use lower-case ASCII, ordered alike by every
//! collation Redis's `strcoll` might use.
mod support;
use support::*;

const CONV: &str = "-ERR One or more scores can't be converted into double\r\n";

fn setup() -> (Server, Raw) {
    let s = Server::start(&[]);
    let c = s.raw();
    (s, c)
}

/// An array reply of bulks and nils (`None`).
fn arr_opt(items: &[Option<&str>]) -> String {
    let mut s = format!("*{}\r\n", items.len());
    for i in items {
        match i {
            Some(v) => s.push_str(&bulk(v)),
            None => s.push_str(NIL),
        }
    }
    s
}

#[test]
fn sort_orders_a_list_numerically() {
    let (_s, mut c) = setup();
    c.ex("RPUSH {t}l 3 1 2 10 -5 1.5", &int(6));
    c.ex("SORT {t}l", &arr(&["-5", "1", "1.5", "2", "3", "10"]));
    c.ex("SORT {t}l ASC", &arr(&["-5", "1", "1.5", "2", "3", "10"]));
    c.ex("SORT {t}l DESC", &arr(&["10", "3", "2", "1.5", "1", "-5"]));
    c.ex(
        "SORT_RO {t}l DESC",
        &arr(&["10", "3", "2", "1.5", "1", "-5"]),
    );
    c.ex(
        "SORT {t}l ASC DESC ASC",
        &arr(&["-5", "1", "1.5", "2", "3", "10"]),
    );
    // Equal scores fall back to the elements' bytes.
    c.ex("RPUSH {t}e 1.0 1 01 1e0 inf -inf 0x10", &int(7));
    c.ex(
        "SORT {t}e",
        &arr(&["-inf", "01", "1", "1.0", "1e0", "0x10", "inf"]),
    );
    c.ex(
        "SORT {t}e DESC",
        &arr(&["inf", "0x10", "1e0", "1.0", "1", "01", "-inf"]),
    );
}

#[test]
fn sort_alpha_compares_bytes() {
    let (_s, mut c) = setup();
    c.ex("RPUSH {t}l b ab a 10 9 ba", &int(6));
    c.ex("SORT {t}l", CONV);
    c.ex("SORT {t}l ALPHA", &arr(&["10", "9", "a", "ab", "b", "ba"]));
    c.ex(
        "SORT {t}l ALPHA DESC",
        &arr(&["ba", "b", "ab", "a", "9", "10"]),
    );
    c.ex("SORT_RO {t}l ALPHA LIMIT 1 2", &arr(&["9", "a"]));
}

#[test]
fn sort_rejects_unconvertible_scores() {
    let (_s, mut c) = setup();
    c.ex("RPUSH {t}l 1 x 2", &int(3));
    c.ex("SORT {t}l", CONV);
    c.ex("SORT {t}l LIMIT 0 0", CONV);
    c.ex("SORT {t}l STORE {t}d", CONV);
    c.ex("EXISTS {t}d", &int(0));
    // Unsorted, nothing is converted.
    c.ex("SORT {t}l BY nosort", &arr(&["1", "x", "2"]));
    // strtod accepts leading spaces, hex and the empty string (0). (Checked before any
    // ERANGE: Redis does not clear a stale errno before its strtod.)
    c.expect(&["RPUSH", "{t}g", " 3", "0x2", "", "-1"], &int(4));
    c.expect(&["SORT", "{t}g"], &arr(&["-1", "", "0x2", " 3"]));
    for bad in ["nan", "12 ", "   ", "1e400", "1e-400"] {
        c.call(&["DEL", "{t}b"]);
        c.expect(&["RPUSH", "{t}b", bad], &int(1));
        c.ex("SORT {t}b", CONV);
    }
}

#[test]
fn sort_limit_edge_cases() {
    let (_s, mut c) = setup();
    c.ex("RPUSH {t}l 5 4 3 2 1", &int(5));
    c.ex("SORT {t}l LIMIT 1 2", &arr(&["2", "3"]));
    c.ex("SORT {t}l LIMIT 0 0", EMPTY);
    c.ex("SORT {t}l LIMIT -1 2", &arr(&["1", "2"]));
    c.ex("SORT {t}l LIMIT 2 -1", &arr(&["3", "4", "5"]));
    c.ex("SORT {t}l LIMIT -5 -5", &arr(&["1", "2", "3", "4", "5"]));
    c.ex("SORT {t}l LIMIT 4 100", &arr(&["5"]));
    c.ex("SORT {t}l LIMIT 5 1", EMPTY);
    c.ex("SORT {t}l LIMIT 9223372036854775807 1", EMPTY);
    c.ex(
        "SORT {t}l LIMIT 1 9223372036854775807",
        &arr(&["2", "3", "4", "5"]),
    );
    c.ex("SORT {t}l DESC LIMIT 1 2", &arr(&["4", "3"]));
    c.ex("SORT {t}l LIMIT x 1", NOT_INT);
    c.ex("SORT {t}l LIMIT 1 y", NOT_INT);
    c.ex("SORT {t}l LIMIT 1", SYNTAX);
    c.ex("SORT {t}nokey LIMIT 0 10", EMPTY);
}

#[test]
fn sort_by_nosort_keeps_list_and_zset_order() {
    let (_s, mut c) = setup();
    c.ex("RPUSH {t}l c a d b", &int(4));
    c.ex("SORT {t}l BY nosort", &arr(&["c", "a", "d", "b"]));
    c.ex("SORT {t}l BY nosort DESC", &arr(&["b", "d", "a", "c"]));
    c.ex("SORT {t}l BY nosort LIMIT 1 2", &arr(&["a", "d"]));
    c.ex("SORT {t}l BY nosort DESC LIMIT 1 2", &arr(&["d", "a"]));
    c.ex(
        "SORT {t}l BY nosort LIMIT -3 -2",
        &arr(&["c", "a", "d", "b"]),
    );
    c.ex("SORT {t}l BY nosort LIMIT 10 2", EMPTY);
    c.ex("SORT {t}l BY nosort LIMIT 0 0", EMPTY);
    // A BY pattern without '*' sorts nothing, even after one with it.
    c.ex("SORT {t}l BY {t}w_* BY nosort", &arr(&["c", "a", "d", "b"]));
    c.ex("SORT {t}l BY nosort BY {t}w_*", &arr(&["c", "a", "d", "b"]));

    c.ex("ZADD {t}z 3 c 1 a 2 b 0 zz", &int(4));
    c.ex("SORT {t}z BY nosort", &arr(&["zz", "a", "b", "c"]));
    c.ex("SORT {t}z BY nosort DESC", &arr(&["c", "b", "a", "zz"]));
    c.ex("SORT {t}z BY nosort LIMIT 1 2", &arr(&["a", "b"]));
    c.ex("SORT {t}z BY nosort DESC LIMIT 1 2", &arr(&["b", "a"]));
    c.ex(
        "SORT {t}z BY nosort DESC LIMIT 1 -1",
        &arr(&["b", "a", "zz"]),
    );
    c.ex("SORT {t}z BY nosort LIMIT 4 1", EMPTY);
    c.ex("SORT {t}z ALPHA", &arr(&["a", "b", "c", "zz"]));
    c.ex("SORT {t}z", CONV);
    // Redis 7.0 converts a sorted set it sorts to a skiplist.
    c.ex("OBJECT ENCODING {t}z", &bulk("skiplist"));
}

#[test]
fn sort_sets_and_set_nosort_store_sorts_alpha() {
    let (_s, mut c) = setup();
    c.ex("SADD {t}s 5 3 9 1", &int(4));
    c.ex("SORT {t}s", &arr(&["1", "3", "5", "9"]));
    c.ex("SORT {t}s DESC LIMIT 1 2", &arr(&["5", "3"]));
    // An intset iterates in order.
    c.ex("SORT {t}s BY nosort", &arr(&["1", "3", "5", "9"]));
    c.ex("SADD {t}h b 10 a 9", &int(4));
    c.ex("SORT {t}h ALPHA", &arr(&["10", "9", "a", "b"]));
    c.ex("SORT {t}h BY nosort STORE {t}d", &int(4));
    c.ex("LRANGE {t}d 0 -1", &arr(&["10", "9", "a", "b"]));
    c.ex("SORT {t}h BY nosort DESC STORE {t}d", &int(4));
    c.ex("LRANGE {t}d 0 -1", &arr(&["b", "a", "9", "10"]));
}

#[test]
fn sort_by_and_get_patterns() {
    let (_s, mut c) = setup();
    c.ex("RPUSH {t}l 3 1 2 10", &int(4));
    c.ex("MSET {t}w_3 30 {t}w_1 10 {t}w_2 -20", OK);
    // A missing BY key scores 0.
    c.ex("SORT {t}l BY {t}w_*", &arr(&["2", "10", "1", "3"]));
    c.ex("SORT {t}l BY {t}w_* DESC", &arr(&["3", "1", "10", "2"]));
    c.ex(
        "SORT {t}l BY {t}w_* GET # GET {t}w_* GET {t}no_*",
        &arr_opt(&[
            Some("2"),
            Some("-20"),
            None,
            Some("10"),
            None,
            None,
            Some("1"),
            Some("10"),
            None,
            Some("3"),
            Some("30"),
            None,
        ]),
    );
    c.ex("SORT {t}l BY {t}w_* LIMIT 1 2 GET #", &arr(&["10", "1"]));
    // Hash fields; a key of another type, a missing field or an empty field name read as nil.
    c.ex("HSET {t}h_1 f 100 g x", &int(2));
    c.ex("HSET {t}h_2 f 50 g y", &int(2));
    c.ex("SET {t}h_3 str", OK);
    c.ex("SORT {t}l BY {t}h_*->f", &arr(&["10", "3", "2", "1"]));
    c.ex(
        "SORT {t}l BY {t}h_*->f GET {t}h_*->g GET {t}h_*->f",
        &arr_opt(&[
            None,
            None,
            None,
            None,
            Some("y"),
            Some("50"),
            Some("x"),
            Some("100"),
        ]),
    );
    c.ex(
        "SORT {t}l BY {t}h_*->g ALPHA DESC LIMIT 0 2",
        &arr(&["2", "1"]),
    );
    c.ex(
        "SORT {t}l GET {t}h_*->",
        &arr_opt(&[None, None, None, None]),
    );
    // A GET pattern without '*' (and not '#') reads nothing.
    c.ex(
        "SORT {t}l GET {t}nostar",
        &arr_opt(&[None, None, None, None]),
    );
    // Only the first '*' is replaced.
    c.ex("SET {t}a1b* x", OK);
    c.ex(
        "SORT {t}l GET {t}a*b*",
        &arr_opt(&[Some("x"), None, None, None]),
    );
}

#[test]
fn sort_store_writes_a_list() {
    let (_s, mut c) = setup();
    c.ex("RPUSH {t}l 3 1 2", &int(3));
    c.ex("SET {t}d str", OK);
    c.ex("EXPIRE {t}d 100", &int(1));
    c.ex("SORT {t}l STORE {t}d", &int(3));
    c.ex("TYPE {t}d", "+list\r\n");
    c.ex("TTL {t}d", &int(-1));
    c.ex("LRANGE {t}d 0 -1", &arr(&["1", "2", "3"]));
    c.ex("SORT {t}l DESC LIMIT 0 2 STORE {t}d", &int(2));
    c.ex("LRANGE {t}d 0 -1", &arr(&["3", "2"]));
    // GET values are stored; a missing one as an empty string. The reply counts them all.
    c.ex("SET {t}w_1 one", OK);
    c.ex("SORT {t}l GET # GET {t}w_* STORE {t}d", &int(6));
    c.expect(
        &["LRANGE", "{t}d", "0", "-1"],
        &arr(&["1", "one", "2", "", "3", ""]),
    );
    // The sorted key may be its own destination.
    c.ex("SORT {t}l DESC STORE {t}l", &int(3));
    c.ex("LRANGE {t}l 0 -1", &arr(&["3", "2", "1"]));
    // An empty result deletes the destination.
    c.ex("SORT {t}nokey STORE {t}d", &int(0));
    c.ex("EXISTS {t}d", &int(0));
    c.ex("SORT {t}l LIMIT 0 0 STORE {t}l", &int(0));
    c.ex("EXISTS {t}l", &int(0));
    c.ex("SORT {t}l STORE", SYNTAX);
    c.ex("SORT_RO {t}l STORE {t}d", SYNTAX);
}

#[test]
fn sort_errors() {
    let (_s, mut c) = setup();
    c.ex("SORT", &arity("sort"));
    c.ex("SORT_RO", &arity("sort_ro"));
    c.ex("SET {t}x hello", OK);
    c.ex("HSET {t}h f v", &int(1));
    c.ex("SORT {t}x", WRONGTYPE);
    c.ex("SORT_RO {t}h", WRONGTYPE);
    // Options are parsed before the key is read.
    c.ex("SORT {t}x foo", SYNTAX);
    c.ex("SORT {t}x LIMIT a 1", NOT_INT);
    c.ex("SORT {t}x GET", SYNTAX);
    c.ex("SORT {t}x BY", SYNTAX);
    c.ex("SORT {t}nokey", EMPTY);
    c.ex("SORT {t}nokey GET # GET #", EMPTY);
}

#[test]
fn command_getkeys_sort() {
    let (_s, mut c) = setup();
    c.ex("COMMAND GETKEYS SORT k", &arr(&["k"]));
    c.ex("COMMAND GETKEYS SORT k STORE d", &arr(&["k", "d"]));
    c.ex(
        "COMMAND GETKEYS SORT k GET x STORE d LIMIT 1 2 STORE e",
        &arr(&["k", "e"]),
    );
    c.ex("COMMAND GETKEYS SORT k BY store store", &arr(&["k"]));
    c.ex("COMMAND GETKEYS SORT_RO k GET x", &arr(&["k"]));
}

#[test]
fn sort_big_collections_and_resp3_nils() {
    let (s, mut c) = setup();
    let mut r = s.client();
    let mut sadd = redis::cmd("SADD");
    sadd.arg("{t}s");
    for i in 0..600 {
        sadd.arg(i);
    }
    let _: i64 = sadd.query(&mut r).unwrap();
    c.ex("OBJECT ENCODING {t}s", &bulk("hashtable"));
    c.ex("SORT {t}s LIMIT 0 3", &arr(&["0", "1", "2"]));
    c.ex("SORT {t}s DESC LIMIT 0 2", &arr(&["599", "598"]));
    c.ex("SORT {t}s ALPHA LIMIT 0 3", &arr(&["0", "1", "10"]));
    let mut zadd = redis::cmd("ZADD");
    zadd.arg("{t}z");
    for i in 0..200 {
        zadd.arg(i).arg(format!("m{i}"));
    }
    let _: i64 = zadd.query(&mut r).unwrap();
    c.ex("OBJECT ENCODING {t}z", &bulk("skiplist"));
    c.ex(
        "SORT {t}z BY nosort DESC LIMIT 0 2",
        &arr(&["m199", "m198"]),
    );
    c.ex("SORT {t}z BY nosort LIMIT 150 2", &arr(&["m150", "m151"]));
    c.ex("SORT {t}z ALPHA LIMIT 0 3", &arr(&["m0", "m1", "m10"]));
    c.ex("SORT {t}z ALPHA STORE {t}d", &int(200));
    c.ex("LINDEX {t}d -1", &bulk("m99"));
    // RESP3: a missing GET value is the null `_`.
    c.call(&["HELLO", "3"]);
    c.ex(
        "SORT {t}s LIMIT 0 1 GET # GET {t}no_*",
        "*2\r\n$1\r\n0\r\n_\r\n",
    );
}
