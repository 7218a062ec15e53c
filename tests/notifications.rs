//! Keyspace notifications: `notify-keyspace-events` parsing and filtering, and the events the
//! common commands raise (<https://redis.io/docs/manual/keyspace-notifications/>).
//!
//! Every expectation here was checked against Redis 7.0.15 with
//! `SHOAL_TEST_AGAINST=redis cargo test --test notifications`.

mod support;
use support::*;

use std::time::Duration;

/// The bulk strings of one message frame (`*3`/`*4` of bulks).
fn parts(frame: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(frame);
    let lines: Vec<&str> = text.split("\r\n").collect();
    let mut out = Vec::new();
    let mut i = 1;
    while i + 1 < lines.len() {
        if lines[i].starts_with('$') {
            out.push(lines[i + 1].to_string());
            i += 2;
        } else {
            i += 1;
        }
    }
    out
}

/// A subscriber to every keyspace and keyevent channel plus the channel `end`.
struct Events {
    sub: Raw,
}

impl Events {
    fn new(s: &Server) -> Events {
        let mut sub = s.raw();
        sub.send(&resp(&[b"PSUBSCRIBE", b"__key*__:*"]));
        sub.read_reply();
        sub.send(&resp(&[b"SUBSCRIBE", b"end"]));
        sub.read_reply();
        Events { sub }
    }

    /// The (channel, payload) pairs received until the `end` message `c` publishes now.
    fn until_end(&mut self, c: &mut Raw) -> Vec<(String, String)> {
        c.call(&["PUBLISH", "end", "x"]);
        let mut got = Vec::new();
        loop {
            let p = parts(&self.sub.read_reply());
            if p[0] == "message" && p[1] == "end" {
                return got;
            }
            assert_eq!(p[0], "pmessage", "{p:?}");
            got.push((p[2].clone(), p[3].clone()));
        }
    }

    /// Only the keyevent notifications, as (event, key).
    fn keyevents(&mut self, c: &mut Raw) -> Vec<(String, String)> {
        self.until_end(c)
            .into_iter()
            .filter_map(|(ch, key)| {
                ch.strip_prefix("__keyevent@0__:")
                    .map(|ev| (ev.to_string(), key))
            })
            .collect()
    }
}

fn ev(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

fn setup(flags: &str) -> (Server, Raw, Events) {
    // Redis refuses DEBUG (SET-ACTIVE-EXPIRE) unless it is enabled; shoal needs no such switch.
    let on: &[&str] = if against_redis() {
        &["--enable-debug-command", "local"]
    } else {
        &[]
    };
    let s = Server::start(on);
    let mut c = s.raw();
    c.expect(&["CONFIG", "SET", "notify-keyspace-events", flags], OK);
    let e = Events::new(&s);
    (s, c, e)
}

#[test]
fn notify_keyspace_events_is_parsed_and_shown_as_redis_does() {
    let s = Server::start(&[]);
    let mut c = s.raw();
    c.expect(
        &["CONFIG", "GET", "notify-keyspace-events"],
        &arr(&["notify-keyspace-events", ""]),
    );
    for (set, shown) in [
        ("KEA", "AKE"),
        ("Exgm", "gxEm"),
        ("g$lshzxetdKE", "AKE"),
        ("nmKEA", "AKEm"),
        ("ngK", "gnK"),
        ("", ""),
    ] {
        c.expect(&["CONFIG", "SET", "notify-keyspace-events", set], OK);
        c.expect(
            &["CONFIG", "GET", "notify-keyspace-events"],
            &arr(&["notify-keyspace-events", shown]),
        );
    }
    c.expect(
        &["CONFIG", "SET", "notify-keyspace-events", "KQ"],
        &err("ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'."),
    );
}

#[test]
fn string_and_generic_commands_raise_their_events() {
    let (_s, mut c, mut e) = setup("KEA");
    c.call(&["SET", "k", "v"]);
    c.call(&["SET", "k", "v", "EX", "100"]);
    c.call(&["SET", "k", "v", "NX"]);
    c.call(&["MSET", "{t}a", "1", "{t}b", "2"]);
    c.call(&["INCR", "n"]);
    c.call(&["INCRBYFLOAT", "n", "1.5"]);
    c.call(&["APPEND", "k", "x"]);
    c.call(&["SETRANGE", "k", "0", "y"]);
    c.call(&["EXPIRE", "k", "100"]);
    c.call(&["PERSIST", "k"]);
    c.call(&["PERSIST", "k"]);
    c.call(&["RENAME", "{t}a", "{t}c"]);
    c.call(&["DEL", "{t}b", "{t}nothing"]);
    c.call(&["GETDEL", "n"]);
    c.call(&["EXPIRE", "k", "-1"]);
    assert_eq!(
        e.keyevents(&mut c),
        ev(&[
            ("set", "k"),
            ("set", "k"),
            ("expire", "k"),
            ("set", "{t}a"),
            ("set", "{t}b"),
            ("incrby", "n"),
            ("incrbyfloat", "n"),
            ("append", "k"),
            ("setrange", "k"),
            ("expire", "k"),
            ("persist", "k"),
            ("rename_from", "{t}a"),
            ("rename_to", "{t}c"),
            ("del", "{t}b"),
            ("del", "n"),
            ("del", "k"),
        ])
    );
}

#[test]
fn keyspace_channels_carry_the_event_and_keyevent_channels_the_key() {
    let (_s, mut c, mut e) = setup("KE$");
    c.call(&["SET", "k", "v"]);
    assert_eq!(
        e.until_end(&mut c),
        ev(&[("__keyspace@0__:k", "set"), ("__keyevent@0__:set", "k")])
    );
    c.call(&["SELECT", "3"]);
    c.call(&["SET", "k", "v"]);
    assert_eq!(
        e.until_end(&mut c),
        ev(&[("__keyspace@3__:k", "set"), ("__keyevent@3__:set", "k")])
    );
}

#[test]
fn only_the_configured_classes_and_channels_are_published() {
    let (_s, mut c, mut e) = setup("Kl");
    c.call(&["SET", "k", "v"]);
    c.call(&["LPUSH", "l", "a"]);
    c.call(&["DEL", "k"]);
    assert_eq!(e.until_end(&mut c), ev(&[("__keyspace@0__:l", "lpush")]));
    c.expect(&["CONFIG", "SET", "notify-keyspace-events", "g$"], OK);
    c.call(&["SET", "k", "v"]);
    assert_eq!(e.until_end(&mut c), ev(&[]), "no K or E: nothing at all");
    c.expect(&["CONFIG", "SET", "notify-keyspace-events", "Eg"], OK);
    c.call(&["SET", "k", "v"]);
    c.call(&["DEL", "k"]);
    assert_eq!(e.keyevents(&mut c), ev(&[("del", "k")]));
}

#[test]
fn list_hash_set_and_zset_commands_raise_their_events() {
    let (_s, mut c, mut e) = setup("EA");
    c.call(&["LPUSH", "l", "a", "b"]);
    c.call(&["RPUSH", "l", "c"]);
    c.call(&["LPUSHX", "missing", "a"]);
    c.call(&["LPOP", "l"]);
    c.call(&["RPOP", "l", "5"]);
    c.call(&["HSET", "h", "f", "v", "g", "w"]);
    c.call(&["HDEL", "h", "nope"]);
    c.call(&["HDEL", "h", "f", "g"]);
    c.call(&["HINCRBY", "h", "n", "1"]);
    c.call(&["SADD", "s", "a", "b"]);
    c.call(&["SADD", "s", "a"]);
    c.call(&["SREM", "s", "a", "b"]);
    c.call(&["ZADD", "z", "1", "a", "2", "b"]);
    c.call(&["ZADD", "z", "1", "a"]);
    c.call(&["ZINCRBY", "z", "1", "a"]);
    c.call(&["ZREM", "z", "a"]);
    c.call(&["ZPOPMIN", "z"]);
    assert_eq!(
        e.keyevents(&mut c),
        ev(&[
            ("lpush", "l"),
            ("rpush", "l"),
            ("lpop", "l"),
            ("rpop", "l"),
            ("del", "l"),
            ("hset", "h"),
            ("hdel", "h"),
            ("del", "h"),
            ("hincrby", "h"),
            ("sadd", "s"),
            ("srem", "s"),
            ("del", "s"),
            ("zadd", "z"),
            ("zincr", "z"),
            ("zrem", "z"),
            ("zpopmin", "z"),
            ("del", "z"),
        ])
    );
}

#[test]
fn moving_commands_raise_events_on_both_keys() {
    let (_s, mut c, mut e) = setup("EA");
    c.call(&["RPUSH", "{t}src", "a"]);
    c.call(&["LMOVE", "{t}src", "{t}dst", "LEFT", "RIGHT"]);
    c.call(&["SADD", "{t}s1", "m"]);
    c.call(&["SMOVE", "{t}s1", "{t}s2", "m"]);
    c.call(&["SADD", "{t}s3", "x"]);
    c.call(&["SUNIONSTORE", "{t}u", "{t}s2", "{t}s3"]);
    c.call(&["SINTERSTORE", "{t}u", "{t}s2", "{t}s3"]);
    c.call(&["ZADD", "{t}z", "1", "a"]);
    c.call(&["ZUNIONSTORE", "{t}zu", "1", "{t}z"]);
    assert_eq!(
        e.keyevents(&mut c),
        ev(&[
            ("rpush", "{t}src"),
            ("rpush", "{t}dst"),
            ("lpop", "{t}src"),
            ("del", "{t}src"),
            ("sadd", "{t}s1"),
            ("srem", "{t}s1"),
            ("del", "{t}s1"),
            ("sadd", "{t}s2"),
            ("sadd", "{t}s3"),
            ("sunionstore", "{t}u"),
            ("del", "{t}u"),
            ("zadd", "{t}z"),
            ("zunionstore", "{t}zu"),
        ])
    );
}

#[test]
fn expired_keys_raise_expired_lazily_and_actively() {
    let (_s, mut c, mut e) = setup("Ex");
    c.expect(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"], OK);
    c.call(&["SET", "lazy", "v", "PX", "20"]);
    std::thread::sleep(Duration::from_millis(60));
    c.expect(&["GET", "lazy"], NIL);
    assert_eq!(e.keyevents(&mut c), ev(&[("expired", "lazy")]));
    c.expect(&["DEBUG", "SET-ACTIVE-EXPIRE", "1"], OK);
    c.call(&["SET", "active", "v", "PX", "20"]);
    // Nobody touches the key: the active cycle reclaims it and says so.
    let mut got = Vec::new();
    assert!(poll_until(Duration::from_secs(5), || {
        got.extend(e.keyevents(&mut c));
        !got.is_empty()
    }));
    assert_eq!(got, ev(&[("expired", "active")]));
}

#[test]
fn reads_of_missing_keys_raise_keymiss_and_object_writes_and_hits_do_not() {
    // Redis's lookupKey: a read that finds nothing raises `keymiss` (class m); writes,
    // hits and OBJECT (LOOKUP_NONOTIFY) do not.
    let (_s, mut c, mut e) = setup("Em");
    c.call(&["SET", "here", "v"]);
    c.call(&["GET", "here"]);
    c.call(&["GET", "gone"]);
    c.call(&["EXISTS", "nope", "here"]);
    c.call(&["TTL", "absent"]);
    c.call(&["MGET", "here", "m1", "m2"]);
    c.call(&["OBJECT", "ENCODING", "quiet"]);
    c.call(&["APPEND", "new", "x"]);
    c.call(&["DEL", "new"]);
    assert_eq!(
        e.keyevents(&mut c),
        ev(&[
            ("keymiss", "gone"),
            ("keymiss", "nope"),
            ("keymiss", "absent"),
            ("keymiss", "m1"),
            ("keymiss", "m2"),
        ])
    );
    // Without m, nothing.
    c.expect(&["CONFIG", "SET", "notify-keyspace-events", "E$"], OK);
    c.call(&["GET", "gone"]);
    assert_eq!(e.keyevents(&mut c), ev(&[]));
}
