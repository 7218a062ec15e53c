//! MULTI / EXEC / DISCARD / WATCH / UNWATCH: replies, queueing errors, WATCH invalidation by
//! writes, expiry and FLUSH, races between clients, and atomicity against concurrent readers.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::*;

const QUEUED: &str = "+QUEUED\r\n";
const NULL_ARRAY: &str = "*-1\r\n";

#[test]
fn exec_runs_the_queue_in_order_and_replies_each_result() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    c.ex("MULTI", OK);
    c.ex("SET a 1", QUEUED);
    c.ex("INCR a", QUEUED);
    c.ex("GET a", QUEUED);
    c.ex("LPUSH a x", QUEUED);
    c.ex("INCR a", QUEUED);
    // A runtime error inside EXEC does not stop the rest.
    c.ex(
        "EXEC",
        &format!("*5\r\n{OK}{}{}{WRONGTYPE}{}", int(2), bulk("2"), int(3)),
    );
    c.ex("GET a", &bulk("3"));
    // CLIENT LIST shows the x flag and the queue length while in MULTI.
    c.ex("MULTI", OK);
    c.ex("PING", QUEUED);
    c.ex("PING", QUEUED);
    let mut other = srv.raw();
    let list = other.call(&["CLIENT", "LIST"]);
    assert!(
        list.contains("flags=x db=0 sub=0 psub=0 ssub=0 multi=2 "),
        "{list}"
    );
    c.ex("EXEC", "*2\r\n+PONG\r\n+PONG\r\n");
    let list = other.call(&["CLIENT", "LIST"]);
    assert!(!list.contains("flags=x"), "{list}");
    // An empty transaction.
    c.ex("MULTI", OK);
    c.ex("EXEC", EMPTY);
}

#[test]
fn misuse_and_queueing_errors() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    c.ex("EXEC", &err("ERR EXEC without MULTI"));
    c.ex("DISCARD", &err("ERR DISCARD without MULTI"));
    // Nested MULTI and WATCH inside MULTI are refused without aborting the transaction.
    c.ex("MULTI", OK);
    c.ex("MULTI", &err("ERR MULTI calls can not be nested"));
    c.ex("WATCH x", &err("ERR WATCH inside MULTI is not allowed"));
    c.ex("SET a 1", QUEUED);
    c.ex("EXEC", &format!("*1\r\n{OK}"));
    // An unknown command or a wrong arity while queueing aborts EXEC.
    c.ex("MULTI", OK);
    c.ex("SET b 1", QUEUED);
    c.ex(
        "NOSUCHCMD x",
        &err("ERR unknown command 'NOSUCHCMD', with args beginning with: 'x' "),
    );
    c.ex(
        "EXEC",
        &err("EXECABORT Transaction discarded because of previous errors."),
    );
    c.ex("EXISTS b", &int(0));
    c.ex("MULTI", OK);
    c.ex("GET", &arity("get"));
    c.ex(
        "EXEC",
        &err("EXECABORT Transaction discarded because of previous errors."),
    );
    // Commands flagged no-multi are refused and abort too.
    c.ex("MULTI", OK);
    c.ex(
        "SHUTDOWN",
        &err("ERR Command not allowed inside a transaction"),
    );
    c.ex(
        "EXEC",
        &err("EXECABORT Transaction discarded because of previous errors."),
    );
    // DISCARD drops the queue.
    c.ex("MULTI", OK);
    c.ex("SET c 1", QUEUED);
    c.ex("DISCARD", OK);
    c.ex("EXISTS c", &int(0));
    c.ex("EXEC", &err("ERR EXEC without MULTI"));
    c.ex("MULTI EXTRA", &arity("multi"));
}

#[test]
fn keyspace_wide_commands_and_select_inside_exec() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    c.ex("SET k v", OK);
    c.ex("MULTI", OK);
    c.ex("SELECT 1", QUEUED);
    c.ex("SET k other", QUEUED);
    c.ex("DBSIZE", QUEUED);
    c.ex("KEYS *", QUEUED);
    c.ex("SELECT 0", QUEUED);
    c.ex("GET k", QUEUED);
    c.ex("FLUSHDB", QUEUED);
    c.ex("DBSIZE", QUEUED);
    c.ex(
        "EXEC",
        &format!(
            "*8\r\n{OK}{OK}{}{}{OK}{}{OK}{}",
            int(1),
            arr(&["k"]),
            bulk("v"),
            int(0)
        ),
    );
    c.ex("SELECT 1", OK);
    c.ex("GET k", &bulk("other"));
    // INFO inside EXEC (it reads keyspace counters under the transaction's locks).
    c.ex("MULTI", OK);
    c.ex("INFO keyspace", QUEUED);
    let r = c.call(&["EXEC"]);
    assert!(r.starts_with("*1\r\n$") && r.contains("db1:keys=1"), "{r}");
}

#[test]
fn watch_aborts_exec_when_another_client_writes() {
    let srv = Server::start(&[]);
    let (mut a, mut b) = (srv.raw(), srv.raw());
    a.ex("SET k 1", OK);
    a.ex("WATCH k", OK);
    b.ex("SET k 2", OK);
    a.ex("MULTI", OK);
    a.ex("SET k 3", QUEUED);
    a.ex("EXEC", NULL_ARRAY);
    a.ex("GET k", &bulk("2"));
    // EXEC unwatched: the next transaction runs.
    a.ex("MULTI", OK);
    a.ex("SET k 3", QUEUED);
    a.ex("EXEC", &format!("*1\r\n{OK}"));
    // Without a write in between, EXEC runs.
    a.ex("WATCH k", OK);
    b.ex("GET k", &bulk("3"));
    a.ex("MULTI", OK);
    a.ex("INCR k", QUEUED);
    a.ex("EXEC", &format!("*1\r\n{}", int(4)));
    // The client's own write before MULTI counts too; so do EXPIRE and DEL.
    a.ex("WATCH k", OK);
    a.ex("SET k 5", OK);
    a.ex("MULTI", OK);
    a.ex("EXEC", NULL_ARRAY);
    a.ex("WATCH k", OK);
    b.ex("EXPIRE k 100", &int(1));
    a.ex("MULTI", OK);
    a.ex("EXEC", NULL_ARRAY);
    a.ex("WATCH k", OK);
    b.ex("DEL k", &int(1));
    a.ex("MULTI", OK);
    a.ex("EXEC", NULL_ARRAY);
    // A write to a watched key that does not exist yet.
    a.ex("WATCH newkey", OK);
    b.ex("LPUSH newkey x", &int(1));
    a.ex("MULTI", OK);
    a.ex("EXEC", NULL_ARRAY);
    // UNWATCH and DISCARD forget the keys.
    a.ex("WATCH k", OK);
    a.ex("UNWATCH", OK);
    b.ex("SET k 9", OK);
    a.ex("MULTI", OK);
    a.ex("EXEC", EMPTY);
    a.ex("WATCH k", OK);
    a.ex("MULTI", OK);
    a.ex("DISCARD", OK);
    b.ex("SET k 10", OK);
    a.ex("MULTI", OK);
    a.ex("EXEC", EMPTY);
    // The same key name in another database is another key.
    a.ex("WATCH k", OK);
    b.ex("SELECT 1", OK);
    b.ex("SET k other-db", OK);
    a.ex("MULTI", OK);
    a.ex("EXEC", EMPTY);
}

#[test]
fn watch_null_reply_is_null_in_resp3() {
    let srv = Server::start(&[]);
    let (mut a, mut b) = (srv.raw(), srv.raw());
    let hello = a.call(&["HELLO", "3"]);
    assert!(hello.starts_with('%'), "{hello}");
    a.ex("WATCH k", OK);
    b.ex("SET k 1", OK);
    a.ex("MULTI", OK);
    a.ex("EXEC", "_\r\n");
}

#[test]
fn watch_sees_expiry_and_flush() {
    let srv = Server::start(&[]);
    let (mut a, mut b) = (srv.raw(), srv.raw());
    // A key that expires after WATCH aborts EXEC, whether or not anybody deleted it yet.
    a.ex("SET k v PX 100", OK);
    a.ex("WATCH k", OK);
    assert!(poll_until(Duration::from_secs(5), || b
        .call(&["EXISTS", "k"])
        == int(0)));
    a.ex("MULTI", OK);
    a.ex("PING", QUEUED);
    a.ex("EXEC", NULL_ARRAY);
    a.ex("SET j v PX 100", OK);
    a.ex("WATCH j", OK);
    std::thread::sleep(Duration::from_millis(150)); // let j expire; nobody reads it
    a.ex("MULTI", OK);
    a.ex("EXEC", NULL_ARRAY);
    // FLUSHDB / FLUSHALL touch watched keys that existed...
    a.ex("SET k v", OK);
    a.ex("WATCH k", OK);
    b.ex("FLUSHDB", OK);
    a.ex("MULTI", OK);
    a.ex("EXEC", NULL_ARRAY);
    a.ex("SET k v", OK);
    a.ex("WATCH k", OK);
    b.ex("FLUSHALL", OK);
    a.ex("MULTI", OK);
    a.ex("EXEC", NULL_ARRAY);
    // ...but not keys that did not exist.
    a.ex("WATCH missing", OK);
    b.ex("FLUSHALL", OK);
    a.ex("MULTI", OK);
    a.ex("EXEC", EMPTY);
    // SWAPDB touches a watched key present on either side.
    b.ex("SELECT 1", OK);
    b.ex("SET s 1", OK);
    a.ex("WATCH s", OK);
    b.ex("SWAPDB 0 1", OK);
    a.ex("MULTI", OK);
    a.ex("EXEC", NULL_ARRAY);
}

/// Optimistic locking under contention: every client increments a counter with
/// WATCH/GET/MULTI/SET/EXEC and retries on a null EXEC; no increment may be lost.
#[test]
fn watch_race_between_clients_loses_no_increment() {
    let srv = Server::start(&[]);
    const CLIENTS: usize = 4;
    const INCREMENTS: usize = 150;
    let port = srv.port;
    let deadline = Instant::now() + Duration::from_secs(60);
    let handles: Vec<_> = (0..CLIENTS)
        .map(|_| {
            std::thread::spawn(move || {
                let mut c = support::Raw::connect(port);
                let mut retries = 0u64;
                for _ in 0..INCREMENTS {
                    loop {
                        assert!(Instant::now() < deadline, "race test ran out of time");
                        c.ex("WATCH counter", OK);
                        let v = c.call(&["GET", "counter"]);
                        let n: i64 = v.lines().nth(1).map_or(0, |l| l.parse().unwrap());
                        c.ex("MULTI", OK);
                        c.expect(&["SET", "counter", &(n + 1).to_string()], QUEUED);
                        if c.call(&["EXEC"]) != NULL_ARRAY {
                            break;
                        }
                        retries += 1;
                    }
                }
                retries
            })
        })
        .collect();
    let retries: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    let mut c = srv.raw();
    c.ex("GET counter", &bulk(&(CLIENTS * INCREMENTS).to_string()));
    eprintln!("{retries} retries for {} increments", CLIENTS * INCREMENTS);
}

/// EXEC is atomic: a reader never sees a transaction half applied, even for keys in
/// different shards.
#[test]
fn exec_is_atomic_for_concurrent_readers() {
    let srv = Server::start(&[]);
    let port = srv.port;
    srv.raw().ex("MSET x 0 {other}y 0", OK);
    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut c = support::Raw::connect(port);
            let mut reads = 0;
            while !stop.load(Ordering::Relaxed) && reads < 100_000 {
                let r = c.call(&["MGET", "x", "{other}y"]);
                // *2 $n x $n y
                let v: Vec<&str> = r.split("\r\n").collect();
                assert_eq!(v.len(), 6, "{r:?}");
                assert_eq!(v[2], v[4], "half-applied transaction seen: {r:?}");
                reads += 1;
            }
            reads
        })
    };
    let mut w = srv.raw();
    for _ in 0..500 {
        w.ex("MULTI", OK);
        w.ex("INCR x", QUEUED);
        w.ex("INCR {other}y", QUEUED);
        let r = w.call(&["EXEC"]);
        assert!(r.starts_with("*2\r\n:"), "{r}");
    }
    stop.store(true, Ordering::Relaxed);
    let reads = reader.join().unwrap();
    assert!(reads > 0);
    w.ex("MGET x {other}y", &arr(&["500", "500"]));
}
