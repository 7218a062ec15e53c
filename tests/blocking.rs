//! Blocking commands: BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP BZPOPMIN BZPOPMAX BZMPOP. Clients
//! woken by a push, by their timeout, by CLIENT UNBLOCK; cleanup on disconnect; FIFO order among
//! waiters; a push inside MULTI served only after EXEC; and a reliable queue built on BLMOVE.

mod support;

use std::collections::BTreeSet;
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::*;

const NULL_ARRAY: &str = "*-1\r\n";

#[test]
fn blpop_is_served_by_a_push_from_another_client() {
    let srv = Server::start(&[]);
    let (mut a, mut b) = (srv.raw(), srv.raw());
    a.send_cmd("BLPOP q1 q2 0");
    b.wait_blocked(1);
    let list = b.call(&["CLIENT", "LIST"]);
    assert!(
        list.contains("flags=b ") && list.contains("cmd=blpop "),
        "{list}"
    );
    b.ex("RPUSH q2 a b", &int(2));
    assert_eq!(a.reply(), arr(&["q2", "a"]));
    b.ex("LRANGE q2 0 -1", &arr(&["b"]));
    b.wait_blocked(0);
    // Data already there: no blocking at all.
    a.ex("BLPOP q1 q2 0", &arr(&["q2", "b"]));
    b.ex("EXISTS q2", &int(0));
    // BRPOP takes from the tail.
    b.ex("RPUSH r 1 2 3", &int(3));
    a.ex("BRPOP r 0", &arr(&["r", "3"]));
}

#[test]
fn waiters_are_served_first_come_first_served() {
    let srv = Server::start(&[]);
    let mut admin = srv.raw();
    let mut clients: Vec<Raw> = (0..3).map(|_| srv.raw()).collect();
    for (i, c) in clients.iter_mut().enumerate() {
        c.send_cmd("BLPOP fifo 0");
        admin.wait_blocked(i + 1);
    }
    // One element at a time: the earliest waiter gets each.
    for (i, c) in clients.iter_mut().enumerate() {
        admin.expect(&["RPUSH", "fifo", &format!("e{i}")], &int(1));
        assert_eq!(c.reply(), arr(&["fifo", &format!("e{i}")]));
    }
    // Several elements at once serve several waiters, in order.
    for (i, c) in clients.iter_mut().enumerate() {
        c.send_cmd("BLPOP fifo 0");
        admin.wait_blocked(i + 1);
    }
    admin.ex("RPUSH fifo x y", &int(2));
    assert_eq!(clients[0].reply(), arr(&["fifo", "x"]));
    assert_eq!(clients[1].reply(), arr(&["fifo", "y"]));
    admin.wait_blocked(1);
    admin.ex("RPUSH fifo z", &int(1));
    assert_eq!(clients[2].reply(), arr(&["fifo", "z"]));
}

#[test]
fn timeouts_with_decimals_reply_null() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    for (cmd, null) in [
        ("BLPOP q 0.2", NULL_ARRAY),
        ("BRPOP q 0.05", NULL_ARRAY),
        // Redis 7.0 answers every blocking timeout with the null array, BLMOVE's too.
        ("BLMOVE q d LEFT RIGHT 0.05", NULL_ARRAY),
        ("BRPOPLPUSH q d 0.05", NULL_ARRAY),
        ("BLMPOP 0.05 1 q LEFT", NULL_ARRAY),
        ("BZPOPMIN z 0.05", NULL_ARRAY),
        ("BZPOPMAX z 0.05", NULL_ARRAY),
        ("BZMPOP 0.05 2 z y MIN", NULL_ARRAY),
    ] {
        let t = Instant::now();
        c.ex(cmd, null);
        let ms = if cmd.contains("0.2") { 200 } else { 50 };
        assert!(
            t.elapsed() >= Duration::from_millis(ms - 5),
            "{cmd} answered after {:?}",
            t.elapsed()
        );
    }
    // RESP3: the null.
    let hello = c.call(&["HELLO", "3"]);
    assert!(hello.starts_with('%'));
    c.ex("BLPOP q 0.01", "_\r\n");
    c.ex("BLMOVE q d LEFT RIGHT 0.01", "_\r\n");
    // Nobody is left blocked.
    assert!(c.call(&["HELLO", "2"]).starts_with('*'));
    c.wait_blocked(0);
}

#[test]
fn argument_errors() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    c.ex("BLPOP q -1", &err("ERR timeout is negative"));
    c.ex(
        "BLPOP q abc",
        &err("ERR timeout is not a float or out of range"),
    );
    c.ex("BLPOP q inf", &err("ERR timeout is negative"));
    c.ex("BZPOPMIN q -0.5", &err("ERR timeout is negative"));
    c.ex("BLMOVE a b UP LEFT 0", SYNTAX);
    c.ex(
        "BLMPOP 0 0 k LEFT",
        &err("ERR numkeys should be greater than 0"),
    );
    c.ex("BLMPOP 0 2 k LEFT", SYNTAX);
    c.ex(
        "BLMPOP 0 1 k LEFT COUNT 0",
        &err("ERR count should be greater than 0"),
    );
    // The timeout is checked after the other arguments, as Redis does.
    c.ex("BLMPOP x 1 k MIDDLE", SYNTAX);
    c.ex(
        "BZMPOP 0 1 k MIN COUNT -1",
        &err("ERR count should be greater than 0"),
    );
    c.ex("BLPOP q", &arity("blpop"));
    c.ex("SET s x", OK);
    c.ex("BLPOP s 0", WRONGTYPE);
    c.ex("BZPOPMIN s 0", WRONGTYPE);
    c.ex("RPUSH l a", &int(1));
    c.ex("BLMOVE l s LEFT LEFT 0", WRONGTYPE);
    c.ex("LLEN l", &int(1));
}

#[test]
fn blocking_forms_are_served_by_their_writes() {
    let srv = Server::start(&[]);
    let (mut a, mut b) = (srv.raw(), srv.raw());
    // BLMOVE: the element lands in the destination.
    a.send_cmd("BLMOVE src dst RIGHT LEFT 0");
    b.wait_blocked(1);
    b.ex("RPUSH src 1 2", &int(2));
    assert_eq!(a.reply(), bulk("2"));
    b.ex("LRANGE dst 0 -1", &arr(&["2"]));
    b.ex("LRANGE src 0 -1", &arr(&["1"]));
    // BRPOPLPUSH.
    a.send_cmd("BRPOPLPUSH empty dst 0");
    b.wait_blocked(1);
    b.ex("LPUSH empty z", &int(1));
    assert_eq!(a.reply(), bulk("z"));
    b.ex("LRANGE dst 0 -1", &arr(&["z", "2"]));
    // BLMPOP with COUNT.
    a.send_cmd("BLMPOP 0 2 m1 m2 RIGHT COUNT 5");
    b.wait_blocked(1);
    b.ex("RPUSH m2 a b c", &int(3));
    assert_eq!(
        a.reply(),
        "*2\r\n$2\r\nm2\r\n*3\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n"
    );
    // BZPOPMIN / BZPOPMAX / BZMPOP served by ZADD.
    a.send_cmd("BZPOPMIN z1 z2 0");
    b.wait_blocked(1);
    b.ex("ZADD z2 2 two 1 one", &int(2));
    assert_eq!(a.reply(), arr(&["z2", "one", "1"]));
    a.send_cmd("BZPOPMAX z3 0");
    b.wait_blocked(1);
    b.ex("ZADD z3 1.5 x 7 y", &int(2));
    assert_eq!(a.reply(), arr(&["z3", "y", "7"]));
    a.send_cmd("BZMPOP 0 1 z4 MIN COUNT 2");
    b.wait_blocked(1);
    b.ex("ZADD z4 3 c 1 a 2 b", &int(3));
    assert_eq!(
        a.reply(),
        "*2\r\n$2\r\nz4\r\n*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"
    );
    b.ex("ZRANGE z4 0 -1", &arr(&["c"]));
}

#[test]
fn disconnect_while_blocked_leaves_no_waiter_behind() {
    let srv = Server::start(&[]);
    let mut b = srv.raw();
    {
        let mut a = srv.raw();
        a.send_cmd("BLPOP gone 0");
        b.wait_blocked(1);
    } // a's socket closes here
    b.wait_blocked(0);
    // A later push stays in the list: nobody took it.
    b.ex("RPUSH gone x", &int(1));
    b.ex("LLEN gone", &int(1));
    // And a second waiter behind a departed one is still served.
    b.ex("DEL gone", &int(1));
    let mut first = srv.raw();
    let mut second = srv.raw();
    first.send_cmd("BLPOP gone 0");
    b.wait_blocked(1);
    second.send_cmd("BLPOP gone 0");
    b.wait_blocked(2);
    drop(first);
    b.wait_blocked(1);
    b.ex("RPUSH gone y", &int(1));
    assert_eq!(second.reply(), arr(&["gone", "y"]));
}

#[test]
fn a_push_inside_multi_is_served_after_exec() {
    let srv = Server::start(&[]);
    let (mut a, mut b) = (srv.raw(), srv.raw());
    a.send_cmd("BLPOP mq 0");
    b.wait_blocked(1);
    b.ex("MULTI", OK);
    b.ex("LPUSH mq a", "+QUEUED\r\n");
    b.ex("LPUSH mq b", "+QUEUED\r\n");
    b.ex("LPUSH mq c", "+QUEUED\r\n");
    b.ex("EXEC", &format!("*3\r\n{}{}{}", int(1), int(2), int(3)));
    // The waiter sees the list as EXEC left it: c b a.
    assert_eq!(a.reply(), arr(&["mq", "c"]));
    // LPUSH + DEL in one transaction wakes nobody for good.
    a.send_cmd("BLPOP mq2 0");
    b.wait_blocked(1);
    b.ex("MULTI", OK);
    b.ex("LPUSH mq2 a", "+QUEUED\r\n");
    b.ex("DEL mq2", "+QUEUED\r\n");
    b.ex("EXEC", &format!("*2\r\n{}{}", int(1), int(1)));
    b.wait_blocked(1);
    b.ex("RPUSH mq2 later", &int(1));
    assert_eq!(a.reply(), arr(&["mq2", "later"]));
    // Inside MULTI a blocking pop answers at once.
    b.ex("MULTI", OK);
    b.ex("BLPOP nothing 0", "+QUEUED\r\n");
    b.ex("BLMOVE nothing d LEFT LEFT 0", "+QUEUED\r\n");
    // ... and BLMOVE's is the null bulk string there (the null array only on a timeout).
    b.ex("EXEC", &format!("*2\r\n{NULL_ARRAY}{NIL}"));
}

#[test]
fn a_key_of_another_type_does_not_serve_the_waiter() {
    let srv = Server::start(&[]);
    let (mut a, mut b) = (srv.raw(), srv.raw());
    a.send_cmd("BLPOP t 0");
    b.wait_blocked(1);
    b.ex("SET t string", OK);
    b.ex("DEL t", &int(1));
    b.ex("RPUSH t x", &int(1));
    assert_eq!(a.reply(), arr(&["t", "x"]));
    // SWAPDB brings a list in under a waiter.
    a.send_cmd("BLPOP sw 0");
    b.wait_blocked(1);
    b.ex("SELECT 1", OK);
    b.ex("RPUSH sw from-db1", &int(1));
    b.ex("SWAPDB 0 1", OK);
    assert_eq!(a.reply(), arr(&["sw", "from-db1"]));
}

#[test]
fn client_unblock_and_pipelined_commands_behind_a_blocked_one() {
    let srv = Server::start(&[]);
    let (mut a, mut b) = (srv.raw(), srv.raw());
    let id = a.call(&["CLIENT", "ID"]);
    let id = id.trim_start_matches(':').trim().to_string();
    b.expect(&["CLIENT", "UNBLOCK", &id], &int(0));
    // A pipeline: the PING behind BLPOP is answered only once BLPOP is.
    let mut p = resp(&[b"BLPOP", b"u", b"0"]);
    p.extend(resp(&[b"PING"]));
    a.send(&p);
    b.wait_blocked(1);
    b.expect(&["CLIENT", "UNBLOCK", &id], &int(1));
    assert_eq!(a.reply(), NULL_ARRAY);
    assert_eq!(a.reply(), "+PONG\r\n");
    a.send_cmd("BLPOP u 0");
    b.wait_blocked(1);
    b.expect(&["CLIENT", "UNBLOCK", &id, "ERROR"], &int(1));
    assert_eq!(
        a.reply(),
        err("UNBLOCKED client unblocked via CLIENT UNBLOCK")
    );
    b.expect(
        &["CLIENT", "UNBLOCK", &id, "NOW"],
        &err("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"),
    );
    b.ex("CLIENT UNBLOCK x", NOT_INT);
    b.wait_blocked(0);
    a.ex("PING", "+PONG\r\n");
}

/// A reliable queue: producers RPUSH, consumers BLMOVE into a processing list and LREM it on
/// ack. Every item is consumed exactly once and both lists end empty.
#[test]
fn reliable_queue_consumes_every_item_exactly_once() {
    let srv = Server::start(&[]);
    const PRODUCERS: usize = 4;
    const CONSUMERS: usize = 4;
    const PER_PRODUCER: usize = 400;
    const TOTAL: usize = PRODUCERS * PER_PRODUCER;
    let port = srv.port;
    let deadline = Instant::now() + Duration::from_secs(60);
    let connect = move || {
        let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        Raw { s }
    };
    let consumed = Arc::new(AtomicUsize::new(0));
    let seen = Arc::new(Mutex::new(Vec::with_capacity(TOTAL)));
    let consumers: Vec<_> = (0..CONSUMERS)
        .map(|i| {
            let (consumed, seen) = (consumed.clone(), seen.clone());
            std::thread::spawn(move || {
                let mut c = connect();
                let processing = format!("processing:{i}");
                while consumed.load(Ordering::SeqCst) < TOTAL {
                    assert!(Instant::now() < deadline, "queue test ran out of time");
                    let r = c.call(&["BLMOVE", "jobs", &processing, "LEFT", "RIGHT", "0.5"]);
                    if r == NULL_ARRAY {
                        continue;
                    }
                    let item = r.split("\r\n").nth(1).unwrap().to_string();
                    seen.lock().unwrap().push(item.clone());
                    c.expect(&["LREM", &processing, "1", &item], &int(1));
                    consumed.fetch_add(1, Ordering::SeqCst);
                }
                c.expect(&["LLEN", &processing], &int(0));
            })
        })
        .collect();
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            std::thread::spawn(move || {
                let mut c = connect();
                for j in 0..PER_PRODUCER {
                    let r = c.call(&["RPUSH", "jobs", &format!("job:{p}:{j}")]);
                    assert!(r.starts_with(':'), "{r}");
                }
            })
        })
        .collect();
    for h in producers.into_iter().chain(consumers) {
        h.join().unwrap();
    }
    let seen = seen.lock().unwrap();
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(seen.len(), TOTAL, "items consumed");
    assert_eq!(unique.len(), TOTAL, "an item was consumed twice");
    let expected: BTreeSet<String> = (0..PRODUCERS)
        .flat_map(|p| (0..PER_PRODUCER).map(move |j| format!("job:{p}:{j}")))
        .collect();
    assert!(unique.iter().all(|i| expected.contains(*i)));
    let mut c = connect();
    c.ex("LLEN jobs", &int(0));
    c.wait_blocked(0);
}
