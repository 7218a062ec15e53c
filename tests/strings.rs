//! String commands: GET SET (and its options) SETNX SETEX PSETEX MGET MSET MSETNX GETSET GETDEL
//! GETEX APPEND STRLEN GETRANGE SETRANGE INCR DECR INCRBY DECRBY INCRBYFLOAT.
//!
//! Replies are compared byte for byte against what Redis 7.0.15 sends (run with
//! `SHOAL_TEST_AGAINST=redis` to check the expectations against the real thing).
mod support;
use support::*;

use std::time::Duration;

const OVERFLOW: &str = "-ERR increment or decrement would overflow\r\n";

/// A raw connection that sends one command at a time and reads back exactly one RESP2 reply;
/// `call`, `expect` and `ex` are `Raw`'s (through `Deref`).
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

impl Conn {
    fn new(s: &Server) -> Conn {
        Conn(s.raw())
    }

    fn call_bytes(&mut self, args: &[&[u8]]) -> String {
        self.0.send(&resp(args));
        String::from_utf8_lossy(&self.0.read_reply()).into_owned()
    }

    /// Sends the whitespace-separated command and returns its integer reply.
    #[track_caller]
    fn i(&mut self, cmd: &str) -> i64 {
        let args: Vec<&str> = cmd.split_whitespace().collect();
        let got = self.call(&args);
        assert!(
            got.starts_with(':'),
            "expected integer reply to {args:?}, got {got:?}"
        );
        got[1..got.len() - 2].parse().unwrap()
    }
}

fn setup() -> (Server, Conn) {
    let s = Server::start(&[]);
    let c = Conn::new(&s);
    (s, c)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

// ---------------------------------------------------------------- GET / SET

#[test]
fn get_of_missing_key_is_nil() {
    let (_s, mut c) = setup();
    c.ex("GET nope", NIL);
}

#[test]
fn set_then_get_returns_the_value() {
    let (_s, mut c) = setup();
    c.ex("SET k hello", OK);
    c.ex("GET k", &bulk("hello"));
    c.ex("SET k world", OK);
    c.ex("GET k", &bulk("world"));
}

#[test]
fn set_and_get_are_binary_safe_and_allow_empty_values() {
    let (_s, mut c) = setup();
    let value: &[u8] = b"a\r\nb\0c\xff";
    assert_eq!(c.call_bytes(&[b"SET", b"bin\0key", value]), OK);
    c.0.send(&resp(&[b"GET", b"bin\0key"]));
    assert_eq!(c.0.read_exact_len(13), b"$7\r\na\r\nb\0c\xff\r\n");
    c.expect(&["SET", "empty", ""], OK);
    c.ex("GET empty", "$0\r\n\r\n");
    c.ex("STRLEN empty", &int(0));
    c.ex("EXISTS empty", &int(1));
}

#[test]
fn set_works_through_the_redis_crate_client() {
    let s = Server::start(&[]);
    let mut c = s.client();
    let _: () = redis::cmd("SET").arg("k").arg("v").query(&mut c).unwrap();
    let v: Option<String> = redis::cmd("GET").arg("k").query(&mut c).unwrap();
    assert_eq!(v.as_deref(), Some("v"));
    let e = redis::cmd("SET")
        .arg("k")
        .arg("v")
        .arg("NX")
        .arg("XX")
        .query::<()>(&mut c)
        .unwrap_err();
    assert_eq!(e.code(), Some("ERR"));
    assert_eq!(e.detail(), Some("syntax error"));
}

#[test]
fn set_overwrites_value_and_clears_the_ttl() {
    let (_s, mut c) = setup();
    c.ex("SET k a EX 100", OK);
    c.ex("SET k b", OK);
    c.ex("TTL k", &int(-1));
    c.ex("GET k", &bulk("b"));
}

#[test]
fn set_ex_and_px_set_a_relative_ttl() {
    let (_s, mut c) = setup();
    c.ex("SET a v EX 100", OK);
    let ttl = c.i("TTL a");
    assert!((99..=100).contains(&ttl), "ttl {ttl}");
    c.ex("SET b v px 50000", OK);
    let pttl = c.i("PTTL b");
    assert!((49_000..=50_000).contains(&pttl), "pttl {pttl}");
    c.ex("GET b", &bulk("v"));
}

#[test]
fn set_exat_and_pxat_set_an_absolute_expiry() {
    let (_s, mut c) = setup();
    let at = now_ms() / 1000 + 100;
    c.expect(&["SET", "a", "v", "EXAT", &at.to_string()], OK);
    let ttl = c.i("TTL a");
    assert!((98..=100).contains(&ttl), "ttl {ttl}");
    let at_ms = now_ms() + 50_000;
    c.expect(&["SET", "b", "v", "PXAT", &at_ms.to_string()], OK);
    let pttl = c.i("PTTL b");
    assert!((48_000..=50_000).contains(&pttl), "pttl {pttl}");
}

#[test]
fn set_with_an_expiry_in_the_past_deletes_the_key() {
    let (_s, mut c) = setup();
    c.ex("SET k old", OK);
    c.ex("SET k v EXAT 1", OK);
    c.ex("GET k", NIL);
    c.ex("EXISTS k", &int(0));
    c.ex("SET k2 v PXAT 1000", OK);
    c.ex("GET k2", NIL);
}

#[test]
fn set_px_key_disappears_after_it_expires() {
    let (_s, mut c) = setup();
    c.ex("SET k v PX 100", OK);
    let gone = poll_until(Duration::from_secs(3), || c.call(&["GET", "k"]) == NIL);
    assert!(gone, "key with PX 100 still readable after 3s");
    c.ex("EXISTS k", &int(0));
    c.ex("TTL k", &int(-2));
}

#[test]
fn set_nx_only_sets_a_missing_key() {
    let (_s, mut c) = setup();
    c.ex("SET k first NX", OK);
    c.ex("SET k second NX", NIL);
    c.ex("GET k", &bulk("first"));
}

#[test]
fn set_xx_only_sets_an_existing_key() {
    let (_s, mut c) = setup();
    c.ex("SET k v XX", NIL);
    c.ex("EXISTS k", &int(0));
    c.ex("SET k a", OK);
    c.ex("SET k b xx", OK);
    c.ex("GET k", &bulk("b"));
}

#[test]
fn set_keepttl_preserves_the_existing_ttl() {
    let (_s, mut c) = setup();
    c.ex("SET k a EX 100", OK);
    c.ex("SET k b KEEPTTL", OK);
    let ttl = c.i("TTL k");
    assert!((99..=100).contains(&ttl), "ttl {ttl}");
    c.ex("GET k", &bulk("b"));
}

#[test]
fn set_get_returns_the_old_value() {
    let (_s, mut c) = setup();
    c.ex("SET k a GET", NIL);
    c.ex("GET k", &bulk("a"));
    c.ex("SET k b GET", &bulk("a"));
    c.ex("GET k", &bulk("b"));
    // NX + GET: returns the old value and does not overwrite.
    c.ex("SET k c NX GET", &bulk("b"));
    c.ex("GET k", &bulk("b"));
    // XX + GET on a missing key: nil, nothing set.
    c.ex("SET m c XX GET", NIL);
    c.ex("EXISTS m", &int(0));
}

#[test]
fn set_with_conflicting_or_unknown_options_is_a_syntax_error() {
    let (_s, mut c) = setup();
    let cases = "NX XX; EX 10 PX 100; EX 10 KEEPTTL; KEEPTTL PX 100; EX 10 EXAT 9999999999; \
                 EXAT 9999999999 PXAT 9999999999000; EX; PX; FOO; GET GET EXTRA";
    for extra in cases.split(';') {
        c.ex(&format!("SET k v {extra}"), SYNTAX);
    }
    c.ex("EXISTS k", &int(0));
}

#[test]
fn set_with_zero_negative_or_overflowing_expiry_is_an_error() {
    let (_s, mut c) = setup();
    let invalid = err("ERR invalid expire time in 'set' command");
    let cases = "EX 0; EX -1; PX 0; PX -100; EXAT 0; PXAT -5; EX 9223372036854775807; \
                 PX 9223372036854775807; EXAT 9223372036854775807";
    for opt in cases.split(';') {
        c.ex(&format!("SET k v {opt}"), &invalid);
    }
    c.ex("EXISTS k", &int(0));
}

#[test]
fn set_with_non_integer_expiry_is_an_error() {
    let (_s, mut c) = setup();
    c.ex("SET k v EX abc", NOT_INT);
    c.ex("SET k v PX 1.5", NOT_INT);
    c.ex("EXISTS k", &int(0));
}

// ---------------------------------------------------------------- SETNX SETEX PSETEX

#[test]
fn setnx_returns_whether_it_set_the_key() {
    let (_s, mut c) = setup();
    c.ex("SETNX k a", &int(1));
    c.ex("SETNX k b", &int(0));
    c.ex("GET k", &bulk("a"));
}

#[test]
fn setex_and_psetex_set_value_and_ttl() {
    let (_s, mut c) = setup();
    c.ex("SETEX a 100 x", OK);
    c.ex("GET a", &bulk("x"));
    let ttl = c.i("TTL a");
    assert!((99..=100).contains(&ttl), "ttl {ttl}");
    c.ex("PSETEX b 50000 y", OK);
    c.ex("GET b", &bulk("y"));
    let pttl = c.i("PTTL b");
    assert!((49_000..=50_000).contains(&pttl), "pttl {pttl}");
}

#[test]
fn setex_and_psetex_with_invalid_expiry_are_errors() {
    let (_s, mut c) = setup();
    c.ex(
        "SETEX k 0 v",
        &err("ERR invalid expire time in 'setex' command"),
    );
    c.ex(
        "SETEX k 9223372036854775807 v",
        &err("ERR invalid expire time in 'setex' command"),
    );
    c.ex(
        "PSETEX k -1 v",
        &err("ERR invalid expire time in 'psetex' command"),
    );
    c.ex("SETEX k abc v", NOT_INT);
    c.ex("EXISTS k", &int(0));
}

// ---------------------------------------------------------------- MGET MSET MSETNX

#[test]
fn mget_returns_values_and_nils_in_order() {
    let (_s, mut c) = setup();
    c.ex("SET {t}a 1", OK);
    c.ex("SET {t}c 3", OK);
    c.ex(
        "MGET {t}a {t}b {t}c {t}a",
        &format!("*4\r\n{}{NIL}{}{}", bulk("1"), bulk("3"), bulk("1")),
    );
}

#[test]
fn mset_sets_every_pair_and_later_pairs_win() {
    let s = Server::start(&[]);
    let mut c = s.client();
    let _: () = redis::cmd("MSET")
        .arg(&["{t}a", "1", "{t}b", "2", "{t}a", "3"])
        .query(&mut c)
        .unwrap();
    let v: Vec<Option<String>> = redis::cmd("MGET")
        .arg(&["{t}a", "{t}b", "{t}z"])
        .query(&mut c)
        .unwrap();
    assert_eq!(v, vec![Some("3".into()), Some("2".into()), None]);
}

#[test]
fn mset_and_msetnx_with_odd_arguments_are_arity_errors() {
    let (_s, mut c) = setup();
    c.ex("MSET {t}a", &arity("mset"));
    c.ex("MSET {t}a 1 {t}b", &arity("mset"));
    c.ex("MSETNX {t}a", &arity("msetnx"));
    c.ex("MSETNX {t}a 1 {t}b", &arity("msetnx"));
    c.ex("EXISTS {t}a", &int(0));
}

#[test]
fn msetnx_sets_nothing_if_any_key_exists() {
    let (_s, mut c) = setup();
    c.ex("MSETNX {t}a 1 {t}b 2", &int(1));
    c.ex("MSETNX {t}b x {t}c 3", &int(0));
    c.ex(
        "MGET {t}a {t}b {t}c",
        &format!("*3\r\n{}{}{NIL}", bulk("1"), bulk("2")),
    );
}

// ---------------------------------------------------------------- GETSET GETDEL GETEX

#[test]
fn getset_returns_the_old_value_and_clears_the_ttl() {
    let (_s, mut c) = setup();
    c.ex("GETSET k a", NIL);
    c.ex("EXPIRE k 100", &int(1));
    c.ex("GETSET k b", &bulk("a"));
    c.ex("GET k", &bulk("b"));
    c.ex("TTL k", &int(-1));
}

#[test]
fn getdel_returns_the_value_and_removes_the_key() {
    let (_s, mut c) = setup();
    c.ex("GETDEL k", NIL);
    c.ex("SET k v", OK);
    c.ex("GETDEL k", &bulk("v"));
    c.ex("EXISTS k", &int(0));
    c.ex("GETDEL k", NIL);
}

#[test]
fn getex_without_options_returns_the_value_and_keeps_the_ttl() {
    let (_s, mut c) = setup();
    c.ex("GETEX missing", NIL);
    c.ex("SET k v EX 100", OK);
    c.ex("GETEX k", &bulk("v"));
    let ttl = c.i("TTL k");
    assert!((99..=100).contains(&ttl), "ttl {ttl}");
}

#[test]
fn getex_sets_or_removes_the_ttl() {
    let (_s, mut c) = setup();
    c.ex("SET k v", OK);
    c.ex("GETEX k EX 100", &bulk("v"));
    let ttl = c.i("TTL k");
    assert!((99..=100).contains(&ttl), "ttl {ttl}");
    c.ex("GETEX k PX 50000", &bulk("v"));
    let pttl = c.i("PTTL k");
    assert!((49_000..=50_000).contains(&pttl), "pttl {pttl}");
    let at = now_ms() / 1000 + 200;
    c.expect(&["GETEX", "k", "EXAT", &at.to_string()], &bulk("v"));
    let ttl = c.i("TTL k");
    assert!((198..=200).contains(&ttl), "ttl {ttl}");
    let at_ms = now_ms() + 300_000;
    c.expect(&["GETEX", "k", "PXAT", &at_ms.to_string()], &bulk("v"));
    let pttl = c.i("PTTL k");
    assert!((298_000..=300_000).contains(&pttl), "pttl {pttl}");
    c.ex("GETEX k PERSIST", &bulk("v"));
    c.ex("TTL k", &int(-1));
    // A missing key stays missing.
    c.ex("GETEX m EX 100", NIL);
    c.ex("EXISTS m", &int(0));
}

#[test]
fn getex_with_a_past_expiry_returns_the_value_and_deletes_the_key() {
    let (_s, mut c) = setup();
    c.ex("SET k v", OK);
    c.ex("GETEX k PXAT 1000", &bulk("v"));
    c.ex("EXISTS k", &int(0));
}

#[test]
fn getex_with_bad_options_is_an_error() {
    let (_s, mut c) = setup();
    c.ex("SET k v", OK);
    c.ex("GETEX k PERSIST EX 10", SYNTAX);
    c.ex("GETEX k EX 10 PX 100", SYNTAX);
    c.ex("GETEX k EX", SYNTAX);
    c.ex("GETEX k FOO", SYNTAX);
    c.ex("GETEX missing FOO", SYNTAX);
    c.ex("GETEX k EX abc", NOT_INT);
    let invalid = err("ERR invalid expire time in 'getex' command");
    c.ex("GETEX k EX 0", &invalid);
    c.ex("GETEX k PX -1", &invalid);
    c.ex("GETEX k PX 9223372036854775807", &invalid);
    c.ex("TTL k", &int(-1));
}

// ---------------------------------------------------------------- APPEND STRLEN

#[test]
fn append_creates_or_extends_and_returns_the_new_length() {
    let (_s, mut c) = setup();
    c.ex("APPEND k hello", &int(5));
    c.expect(&["APPEND", "k", " world"], &int(11));
    c.expect(&["APPEND", "k", ""], &int(11));
    c.ex("GET k", &bulk("hello world"));
    c.ex("STRLEN k", &int(11));
}

#[test]
fn strlen_of_a_missing_key_is_zero() {
    let (_s, mut c) = setup();
    c.ex("STRLEN nope", &int(0));
    c.ex("SET n 12345", OK);
    c.ex("INCR n", &int(12346));
    c.ex("STRLEN n", &int(5));
}

#[test]
fn append_and_incr_keep_the_ttl() {
    let (_s, mut c) = setup();
    c.ex("SET s a EX 100", OK);
    c.ex("APPEND s b", &int(2));
    let ttl = c.i("TTL s");
    assert!((99..=100).contains(&ttl), "ttl {ttl}");
    c.ex("SET n 1 EX 100", OK);
    c.ex("INCR n", &int(2));
    c.ex("INCRBYFLOAT n 0.5", &bulk("2.5"));
    let ttl = c.i("TTL n");
    assert!((99..=100).contains(&ttl), "ttl {ttl}");
}

// ---------------------------------------------------------------- GETRANGE SETRANGE

#[test]
fn getrange_handles_negative_and_out_of_range_indices() {
    let (_s, mut c) = setup();
    c.expect(&["SET", "k", "Hello World"], OK);
    c.ex("GETRANGE k 0 4", &bulk("Hello"));
    c.ex("GETRANGE k -5 -1", &bulk("World"));
    c.ex("GETRANGE k 0 -1", &bulk("Hello World"));
    c.ex("GETRANGE k 6 1000", &bulk("World"));
    c.ex("GETRANGE k -100 2", &bulk("Hel"));
    c.ex("GETRANGE k 5 3", &bulk(""));
    c.ex("GETRANGE k 100 200", &bulk(""));
    c.ex("GETRANGE k -1 -5", &bulk(""));
    c.ex("GETRANGE missing 0 -1", &bulk(""));
    c.ex("GETRANGE k a b", NOT_INT);
}

#[test]
fn setrange_overwrites_and_pads_with_zero_bytes() {
    let (_s, mut c) = setup();
    c.expect(&["SET", "k", "Hello World"], OK);
    c.ex("SETRANGE k 6 Redis", &int(11));
    c.ex("GET k", &bulk("Hello Redis"));
    c.ex("SETRANGE k 9 XYZ", &int(12));
    c.ex("GET k", &bulk("Hello RedXYZ"));
    c.expect(&["SETRANGE", "k", "0", ""], &int(12));
    c.ex("SETRANGE new 3 ab", &int(5));
    c.ex("GET new", "$5\r\n\0\0\0ab\r\n");
}

#[test]
fn setrange_with_an_empty_value_on_a_missing_key_creates_nothing() {
    let (_s, mut c) = setup();
    c.expect(&["SETRANGE", "k", "5", ""], &int(0));
    c.expect(&["SETRANGE", "k", "536870912", ""], &int(0));
    c.ex("EXISTS k", &int(0));
}

#[test]
fn setrange_with_a_bad_offset_is_an_error() {
    let (_s, mut c) = setup();
    c.ex("SET k v", OK);
    c.ex("SETRANGE k -1 x", &err("ERR offset is out of range"));
    c.ex("SETRANGE k abc x", NOT_INT);
    let too_big = err("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
    c.ex("SETRANGE k 536870912 x", &too_big);
    c.ex("SETRANGE missing 536870912 x", &too_big);
    c.ex("GET k", &bulk("v"));
    c.ex("EXISTS missing", &int(0));
}

// ---------------------------------------------------------------- INCR family

#[test]
fn incr_family_counts_from_zero_on_a_missing_key() {
    let (_s, mut c) = setup();
    c.ex("INCR a", &int(1));
    c.ex("INCR a", &int(2));
    c.ex("DECR b", &int(-1));
    c.ex("INCRBY c 10", &int(10));
    c.ex("INCRBY c -15", &int(-5));
    c.ex("DECRBY d 7", &int(-7));
    c.ex("DECRBY d -10", &int(3));
    c.ex("GET c", &bulk("-5"));
    c.ex("SET e -42", OK);
    c.ex("DECR e", &int(-43));
    c.ex("GET e", &bulk("-43"));
}

#[test]
fn incr_reaches_the_integer_limits_exactly() {
    let (_s, mut c) = setup();
    c.ex("SET k 9223372036854775806", OK);
    c.ex("INCR k", &int(i64::MAX));
    c.ex("SET k -9223372036854775807", OK);
    c.ex("DECR k", &int(i64::MIN));
    c.ex("GET k", &bulk("-9223372036854775808"));
}

#[test]
fn incr_on_non_integer_is_an_error() {
    let (_s, mut c) = setup();
    for bad in [
        "abc",
        "1.5",
        "",
        " 1",
        "1 ",
        "+1",
        "010",
        "-0",
        "9223372036854775808",
    ] {
        c.expect(&["SET", "k", bad], OK);
        c.ex("INCR k", NOT_INT);
        c.ex("DECR k", NOT_INT);
        c.ex("INCRBY k 1", NOT_INT);
        c.ex("GET k", &bulk(bad));
    }
}

#[test]
fn incrby_with_a_non_integer_increment_is_an_error() {
    let (_s, mut c) = setup();
    c.ex("INCRBY k abc", NOT_INT);
    c.ex("INCRBY k 1.5", NOT_INT);
    c.ex("INCRBY k +5", NOT_INT);
    c.ex("DECRBY k 99999999999999999999", NOT_INT);
    c.ex("EXISTS k", &int(0));
}

#[test]
fn incr_overflow_is_an_error_and_leaves_the_value() {
    let (_s, mut c) = setup();
    c.ex("SET max 9223372036854775807", OK);
    c.ex("INCR max", OVERFLOW);
    c.ex("INCRBY max 1", OVERFLOW);
    c.ex("DECRBY max -1", OVERFLOW);
    c.ex("GET max", &bulk("9223372036854775807"));
    c.ex("SET min -9223372036854775808", OK);
    c.ex("DECR min", OVERFLOW);
    c.ex("INCRBY min -1", OVERFLOW);
    c.ex("GET min", &bulk("-9223372036854775808"));
    c.ex(
        "DECRBY z -9223372036854775808",
        &err("ERR decrement would overflow"),
    );
    c.ex("EXISTS z", &int(0));
}

// ---------------------------------------------------------------- INCRBYFLOAT

#[test]
fn incrbyfloat_formats_results_like_redis() {
    let (_s, mut c) = setup();
    c.ex("SET k 10.5", OK);
    c.ex("INCRBYFLOAT k 0.1", &bulk("10.6"));
    c.ex("GET k", &bulk("10.6"));
    c.ex("SET p 0.1", OK);
    c.ex("INCRBYFLOAT p 0.2", &bulk("0.3"));
    c.ex("INCRBYFLOAT e 3.0e3", &bulk("3000"));
    c.ex("INCRBYFLOAT e 2.0e2", &bulk("3200"));
    c.ex("INCRBYFLOAT e -3200", &bulk("0"));
    c.ex("SET i 5", OK);
    c.ex("INCRBYFLOAT i -1.5", &bulk("3.5"));
    c.ex("INCRBYFLOAT s 1e-5", &bulk("0.00001"));
    c.ex("SET n 5.0e3", OK);
    c.ex("INCRBYFLOAT n 1", &bulk("5001"));
}

#[test]
fn incrbyfloat_result_can_be_incremented_as_an_integer() {
    let (_s, mut c) = setup();
    c.ex("INCRBYFLOAT k 1.5", &bulk("1.5"));
    c.ex("INCRBYFLOAT k 0.5", &bulk("2"));
    c.ex("INCR k", &int(3));
}

#[test]
fn incrbyfloat_on_non_float_is_an_error() {
    let (_s, mut c) = setup();
    c.ex("INCRBYFLOAT k abc", NOT_FLOAT);
    c.ex("INCRBYFLOAT k nan", NOT_FLOAT);
    c.expect(&["INCRBYFLOAT", "k", " 1"], NOT_FLOAT);
    c.expect(&["INCRBYFLOAT", "k", ""], NOT_FLOAT);
    c.ex("EXISTS k", &int(0));
    c.ex("SET s abc", OK);
    c.ex("INCRBYFLOAT s 1", NOT_FLOAT);
    c.ex("GET s", &bulk("abc"));
}

#[test]
fn incrbyfloat_to_infinity_is_an_error() {
    let (_s, mut c) = setup();
    let nan_inf = err("ERR increment would produce NaN or Infinity");
    c.ex("INCRBYFLOAT k inf", &nan_inf);
    c.ex("INCRBYFLOAT k -inf", &nan_inf);
    c.ex("EXISTS k", &int(0));
    c.ex("SET k 1", OK);
    c.ex("INCRBYFLOAT k +inf", &nan_inf);
    c.ex("GET k", &bulk("1"));
}

// ---------------------------------------------------------------- arity

#[test]
fn wrong_argument_counts_are_arity_errors() {
    let (_s, mut c) = setup();
    let cases = "GET; GET a b; SET k; SETNX k; SETEX k 10; PSETEX k 10; MGET; MSET; GETSET k; \
                 GETDEL; GETEX; APPEND k; STRLEN; GETRANGE k 0; SETRANGE k 0; INCR; DECR a b; \
                 INCRBY k; DECRBY k; INCRBYFLOAT k";
    for cmd in cases.split(';') {
        let name = cmd.split_whitespace().next().unwrap().to_lowercase();
        c.ex(cmd, &arity(&name));
    }
    // Command names are case-insensitive; the error names the command in lower case.
    c.ex("gEt", &arity("get"));
    // The connection is still usable afterwards.
    c.ex("SET k v", OK);
    c.ex("GET k", &bulk("v"));
}
