//! Pub/sub: SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE PUBLISH SSUBSCRIBE SUNSUBSCRIBE SPUBLISH
//! PUBSUB, RESP2 subscribed mode, RESP3 pushes, cleanup, and client-output-buffer-limit.
//!
//! Every expectation here was checked against Redis 7.0.15 with
//! `SHOAL_TEST_AGAINST=redis cargo test --test pubsub`.

mod support;
use support::*;

use std::time::Duration;

/// A push of bulk strings ending in an integer: a (un)subscribe confirmation.
fn confirm(kind: &str, name: Option<&str>, n: i64) -> String {
    format!(
        "*3\r\n{}{}{}",
        bulk(kind),
        name.map_or(NIL.to_string(), bulk),
        int(n)
    )
}

fn message(channel: &str, payload: &str) -> String {
    arr(&["message", channel, payload])
}

fn pmessage(pattern: &str, channel: &str, payload: &str) -> String {
    arr(&["pmessage", pattern, channel, payload])
}

fn resp3(s: &str) -> String {
    format!(">{}", &s[1..])
}

fn subscriber(s: &Server, cmd: &[&str], confirmations: usize) -> Raw {
    let mut c = s.raw();
    let v: Vec<&[u8]> = cmd.iter().map(|a| a.as_bytes()).collect();
    c.send(&resp(&v));
    for _ in 0..confirmations {
        c.read_reply();
    }
    c
}

fn reply_of(c: &mut Raw) -> String {
    String::from_utf8_lossy(&c.read_reply()).into_owned()
}

#[test]
fn subscribe_confirms_each_channel_with_the_running_count() {
    let s = Server::start(&[]);
    let mut c = s.raw();
    c.send(&resp(&[b"SUBSCRIBE", b"a", b"b", b"a"]));
    assert_eq!(reply_of(&mut c), confirm("subscribe", Some("a"), 1));
    assert_eq!(reply_of(&mut c), confirm("subscribe", Some("b"), 2));
    assert_eq!(reply_of(&mut c), confirm("subscribe", Some("a"), 2));
    c.send(&resp(&[b"PSUBSCRIBE", b"p*", b"a"]));
    assert_eq!(reply_of(&mut c), confirm("psubscribe", Some("p*"), 3));
    assert_eq!(reply_of(&mut c), confirm("psubscribe", Some("a"), 4));
    c.expect(
        &["UNSUBSCRIBE", "zz"],
        &confirm("unsubscribe", Some("zz"), 4),
    );
    // Without arguments every subscription goes, in no particular order, counting down.
    c.send(&resp(&[b"PUNSUBSCRIBE"]));
    let (one, two) = (reply_of(&mut c), reply_of(&mut c));
    assert!(
        one.ends_with(":3\r\n") && two.ends_with(":2\r\n"),
        "{one}{two}"
    );
    assert!(one.contains("punsubscribe") && two.contains("punsubscribe"));
    assert_ne!(one.replace(":3", ""), two.replace(":2", ""));
    c.send(&resp(&[b"UNSUBSCRIBE"]));
    let (one, two) = (reply_of(&mut c), reply_of(&mut c));
    assert!(
        one.ends_with(":1\r\n") && two.ends_with(":0\r\n"),
        "{one}{two}"
    );
    c.expect(&["SUBSCRIBE"], &arity("subscribe"));
    c.expect(&["PSUBSCRIBE"], &arity("psubscribe"));
    c.expect(&["SSUBSCRIBE"], &arity("ssubscribe"));
}

#[test]
fn unsubscribe_with_nothing_subscribed_replies_nil_and_zero() {
    let s = Server::start(&[]);
    let mut c = s.raw();
    c.expect(&["UNSUBSCRIBE"], &confirm("unsubscribe", None, 0));
    c.expect(&["PUNSUBSCRIBE"], &confirm("punsubscribe", None, 0));
    c.expect(&["SUNSUBSCRIBE"], &confirm("sunsubscribe", None, 0));
    c.expect(&["PING"], "+PONG\r\n");
}

#[test]
fn publish_reaches_channel_then_pattern_subscribers_and_counts_deliveries() {
    let s = Server::start(&[]);
    let mut one = subscriber(&s, &["SUBSCRIBE", "news"], 1);
    let mut two = subscriber(&s, &["SUBSCRIBE", "news", "other"], 2);
    two.send(&resp(&[b"PSUBSCRIBE", b"n*", b"*s"]));
    two.read_reply();
    two.read_reply();
    let mut p = s.raw();
    p.expect(&["PUBLISH", "news", "hello"], &int(4));
    assert_eq!(reply_of(&mut one), message("news", "hello"));
    assert_eq!(reply_of(&mut two), message("news", "hello"));
    let mut pats = vec![reply_of(&mut two), reply_of(&mut two)];
    pats.sort();
    assert_eq!(
        pats,
        vec![
            pmessage("*s", "news", "hello"),
            pmessage("n*", "news", "hello")
        ]
    );
    p.expect(&["PUBLISH", "nothing-here", "x"], &int(1));
    assert_eq!(reply_of(&mut two), pmessage("n*", "nothing-here", "x"));
    p.expect(&["PUBLISH", "zzz", "x"], &int(0));
    p.expect(&["PUBLISH", "other", ""], &int(1));
    assert_eq!(reply_of(&mut two), message("other", ""));
    p.expect(&["PUBLISH", "x"], &arity("publish"));
}

#[test]
fn a_resp2_subscriber_may_only_run_subscription_commands_ping_quit_and_reset() {
    let s = Server::start(&[]);
    let mut c = subscriber(&s, &["SUBSCRIBE", "a"], 1);
    c.expect(
        &["GET", "k"],
        &err("ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"),
    );
    c.expect(
        &["CLIENT", "ID"],
        &err("ERR Can't execute 'client|id': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"),
    );
    c.expect(&["PING"], &arr(&["pong", ""]));
    c.expect(&["PING", "hi"], &arr(&["pong", "hi"]));
    c.expect(
        &["NOSUCH"],
        &err("ERR unknown command 'NOSUCH', with args beginning with: "),
    );
    c.expect(&["UNSUBSCRIBE"], &confirm("unsubscribe", Some("a"), 0));
    c.expect(&["GET", "k"], NIL);
    // A shard subscription alone is subscribed mode too.
    c.expect(&["SSUBSCRIBE", "x"], &confirm("ssubscribe", Some("x"), 1));
    c.expect(&["UNSUBSCRIBE"], &confirm("unsubscribe", None, 0));
    assert!(c
        .call(&["GET", "k"])
        .starts_with("-ERR Can't execute 'get'"));
    c.expect(&["RESET"], "+RESET\r\n");
    c.expect(&["GET", "k"], NIL);
    c.expect(&["SUBSCRIBE", "a"], &confirm("subscribe", Some("a"), 1));
    c.expect(&["QUIT"], OK);
    assert!(c.read_to_close().1);
}

#[test]
fn a_resp3_subscriber_gets_pushes_and_may_run_any_command() {
    let s = Server::start(&[]);
    let mut c = s.raw();
    c.call(&["HELLO", "3"]);
    c.expect(
        &["SUBSCRIBE", "a"],
        &resp3(&confirm("subscribe", Some("a"), 1)),
    );
    c.expect(
        &["PSUBSCRIBE", "a*"],
        &resp3(&confirm("psubscribe", Some("a*"), 2)),
    );
    c.expect(&["GET", "k"], "_\r\n");
    c.expect(&["PING"], "+PONG\r\n");
    let mut p = s.raw();
    p.expect(&["PUBLISH", "a", "m"], &int(2));
    assert_eq!(reply_of(&mut c), resp3(&message("a", "m")));
    assert_eq!(reply_of(&mut c), resp3(&pmessage("a*", "a", "m")));
    // Publishing to itself: the pushes come before the reply, as in Redis.
    c.send(&resp(&[b"PUBLISH", b"a", b"self"]));
    assert_eq!(reply_of(&mut c), resp3(&message("a", "self")));
    assert_eq!(reply_of(&mut c), resp3(&pmessage("a*", "a", "self")));
    assert_eq!(reply_of(&mut c), int(2));
    c.expect(
        &["UNSUBSCRIBE"],
        &resp3(&confirm("unsubscribe", Some("a"), 1)),
    );
    c.expect(
        &["PUNSUBSCRIBE"],
        &resp3(&confirm("punsubscribe", Some("a*"), 0)),
    );
    c.expect(&["UNSUBSCRIBE"], ">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n");
}

#[test]
fn shard_channels_are_counted_and_delivered_apart() {
    let s = Server::start(&[]);
    let mut c = s.raw();
    c.send(&resp(&[b"SUBSCRIBE", b"x"]));
    c.read_reply();
    c.send(&resp(&[b"SSUBSCRIBE", b"x", b"y"]));
    assert_eq!(reply_of(&mut c), confirm("ssubscribe", Some("x"), 1));
    assert_eq!(reply_of(&mut c), confirm("ssubscribe", Some("y"), 2));
    let mut p = s.raw();
    p.expect(&["SPUBLISH", "x", "m"], &int(1));
    assert_eq!(reply_of(&mut c), arr(&["smessage", "x", "m"]));
    p.expect(&["PUBLISH", "x", "n"], &int(1));
    assert_eq!(reply_of(&mut c), message("x", "n"));
    p.expect(&["SPUBLISH", "nobody", "m"], &int(0));
    p.expect(
        &["PUBSUB", "SHARDNUMSUB", "x", "z"],
        &format!("*4\r\n{}{}{}{}", bulk("x"), int(1), bulk("z"), int(0)),
    );
    let mut names: Vec<String> = p
        .call(&["PUBSUB", "SHARDCHANNELS"])
        .split("\r\n")
        .filter(|l| !l.starts_with(['*', '$']) && !l.is_empty())
        .map(String::from)
        .collect();
    names.sort();
    assert_eq!(names, vec!["x", "y"]);
    p.expect(&["PUBSUB", "SHARDCHANNELS", "y*"], &arr(&["y"]));
    assert_eq!(p.info_field("stats", "pubsubshard_channels"), "2");
    c.send(&resp(&[b"SUNSUBSCRIBE"]));
    let mut both = vec![reply_of(&mut c), reply_of(&mut c)];
    both.sort();
    assert!(both[0].ends_with(":0\r\n") || both[1].ends_with(":0\r\n"));
    assert!(
        both[0].contains("\r\nx\r\n") && both[1].contains("\r\ny\r\n"),
        "{both:?}"
    );
    p.expect(&["SPUBLISH", "x", "m"], &int(0));
}

#[test]
fn pubsub_introspection_counts_channels_subscribers_and_patterns() {
    let s = Server::start(&[]);
    let _a = subscriber(&s, &["SUBSCRIBE", "a", "b"], 2);
    let _b = subscriber(&s, &["SUBSCRIBE", "a"], 1);
    let _c = subscriber(&s, &["PSUBSCRIBE", "p*", "q*"], 2);
    let _d = subscriber(&s, &["PSUBSCRIBE", "p*"], 1);
    let mut p = s.raw();
    p.expect(
        &["PUBSUB", "NUMSUB", "a", "b", "c"],
        &format!(
            "*6\r\n{}{}{}{}{}{}",
            bulk("a"),
            int(2),
            bulk("b"),
            int(1),
            bulk("c"),
            int(0)
        ),
    );
    p.expect(&["PUBSUB", "NUMSUB"], EMPTY);
    p.expect(&["PUBSUB", "NUMPAT"], &int(2));
    p.expect(&["PUBSUB", "CHANNELS", "a*"], &arr(&["a"]));
    p.expect(&["PUBSUB", "CHANNELS", "z*"], EMPTY);
    let all = p.call(&["PUBSUB", "CHANNELS"]);
    assert!(all.starts_with("*2\r\n") && all.contains(&bulk("a")) && all.contains(&bulk("b")));
    p.expect(
        &["PUBSUB", "CHANNELS", "a", "b"],
        &err(
            "ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.",
        ),
    );
    p.expect(&["PUBSUB", "NUMPAT", "x"], &arity("pubsub|numpat"));
    p.expect(
        &["PUBSUB", "FOO"],
        &err("ERR unknown subcommand 'FOO'. Try PUBSUB HELP."),
    );
    p.expect(&["PUBSUB"], &arity("pubsub"));
    assert!(p
        .call(&["PUBSUB", "HELP"])
        .starts_with("*14\r\n+PUBSUB <subcommand>"));
    assert_eq!(p.info_field("stats", "pubsub_channels"), "2");
    assert_eq!(p.info_field("stats", "pubsub_patterns"), "2");
}

#[test]
fn disconnect_reset_and_client_kill_drop_subscriptions() {
    let s = Server::start(&[]);
    let mut p = s.raw();
    let gone = subscriber(&s, &["SUBSCRIBE", "a"], 1);
    let mut reset = subscriber(&s, &["SUBSCRIBE", "a"], 1);
    let mut killed = subscriber(&s, &["PSUBSCRIBE", "a*"], 1);
    killed.send(&resp(&[b"SUBSCRIBE", b"b", b"c"]));
    killed.read_reply();
    killed.read_reply();
    killed.send(&resp(&[b"SSUBSCRIBE", b"s"]));
    killed.read_reply();
    let list = p.call(&["CLIENT", "LIST"]);
    let line = list
        .lines()
        .find(|l| l.contains("psub=1"))
        .expect("the pattern subscriber in CLIENT LIST");
    assert!(
        line.contains(" flags=P ") && line.contains(" sub=2 psub=1 ssub=1 "),
        "{line}"
    );
    p.expect(
        &["PUBSUB", "NUMSUB", "a"],
        &format!("*2\r\n{}{}", bulk("a"), int(2)),
    );
    let subscribers = p.call(&["CLIENT", "LIST", "TYPE", "pubsub"]);
    assert_eq!(subscribers.matches("id=").count(), 3, "{subscribers}");
    let normal = p.call(&["CLIENT", "LIST", "TYPE", "normal"]);
    assert_eq!(normal.matches("id=").count(), 1, "{normal}");
    drop(gone);
    assert!(poll_until(Duration::from_secs(5), || {
        p.call(&["PUBSUB", "NUMSUB", "a"]) == format!("*2\r\n{}{}", bulk("a"), int(1))
    }));
    reset.expect(&["RESET"], "+RESET\r\n");
    p.expect(
        &["PUBSUB", "NUMSUB", "a"],
        &format!("*2\r\n{}{}", bulk("a"), int(0)),
    );
    p.expect(&["PUBLISH", "a", "x"], &int(1));
    p.expect(&["CLIENT", "KILL", "TYPE", "pubsub"], &int(1));
    let _ = killed.read_to_close();
    assert!(poll_until(Duration::from_secs(5), || {
        p.call(&["PUBSUB", "NUMPAT"]) == int(0)
    }));
    p.expect(&["PUBLISH", "a", "x"], &int(0));
    p.expect(
        &["PUBSUB", "SHARDNUMSUB", "s"],
        &format!("*2\r\n{}{}", bulk("s"), int(0)),
    );
    let list = p.call(&["CLIENT", "LIST"]);
    assert!(
        list.lines()
            .filter(|l| l.starts_with("id="))
            .all(|l| l.contains(" sub=0 psub=0 ssub=0 ")),
        "{list}"
    );
}

#[test]
fn a_subscriber_that_does_not_read_is_closed_at_the_pubsub_output_limit() {
    let s = Server::start(&[]);
    let mut p = s.raw();
    p.expect(
        &[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "pubsub 1mb 256kb 60",
        ],
        OK,
    );
    assert_eq!(
        p.call(&["CONFIG", "GET", "client-output-buffer-limit"]),
        arr(&[
            "client-output-buffer-limit",
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 262144 60"
        ])
    );
    let before: u64 = p.info_field("memory", "used_memory").parse().unwrap();
    // Subscribes, then never reads again.
    let _sleeper = subscriber(&s, &["SUBSCRIBE", "big"], 1);
    let payload = "x".repeat(1024 * 1024);
    let mut delivered = 0;
    for _ in 0..100 {
        let r = p.call(&["PUBLISH", "big", &payload]);
        delivered += r.trim_start_matches(':').trim().parse::<i64>().unwrap();
    }
    assert!(delivered < 100, "the subscriber was never closed");
    assert!(poll_until(Duration::from_secs(10), || {
        p.call(&["PUBSUB", "NUMSUB", "big"]) == format!("*2\r\n{}{}", bulk("big"), int(0))
    }));
    let after: u64 = p.info_field("memory", "used_memory").parse().unwrap();
    assert!(
        after < before + 32 * 1024 * 1024,
        "memory grew from {before} to {after} for 100MB published"
    );
    p.expect(&["CONFIG", "SET", "client-output-buffer-limit", "pubsub 1 2"], &err("ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - Wrong number of arguments in buffer limit configuration."));
    p.expect(&["CONFIG", "SET", "client-output-buffer-limit", "foo 1 2 3"], &err("ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - Invalid client class specified in buffer limit configuration."));
    p.expect(&["CONFIG", "SET", "client-output-buffer-limit", "pubsub x 2 3"], &err("ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - Error in hard, soft or soft_seconds setting in buffer limit configuration."));
}
