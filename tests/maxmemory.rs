//! `maxmemory` and the eviction policies, as Redis 7.0 defines them
//! (<https://redis.io/docs/reference/eviction/>): the directives' names and defaults, the OOM
//! refusal under `noeviction` and the volatile policies, which keys each policy evicts,
//! `evicted_keys` and the `evicted` keyspace event, and evictions reaching a replica and the AOF
//! as deletions.
//!
//! Memory accounting differs between servers (baseline `used_memory`, bytes per key), so no
//! test hard-codes a limit: each reads `used_memory` after start-up and sets `maxmemory` to
//! that plus [`MARGIN`]; key counts are derived from what the server reports while filling.
//! Eviction is approximate (sampled) in Redis, so assertions are about proportions that an
//! approximate policy meets and a wrong policy (random instead of LRU, LRU instead of TTL, ...)
//! does not. Every expectation was checked against Redis 7.0.15 with
//! `SHOAL_TEST_AGAINST=redis cargo test --test maxmemory`.

mod support;
use support::*;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// Bytes of every value written here: large next to per-key overheads, so counts of keys
/// translate into memory the same way on both servers.
const VALUE_LEN: usize = 1000;
/// `maxmemory` is the server's `used_memory` after start-up plus this (bytes): room for about
/// 2000 keys of [`VALUE_LEN`] bytes.
const MARGIN: u64 = 2 << 20;
/// How far (bytes) `used_memory` may be above `maxmemory` after a command: the allocations of
/// the command just served (its reply, a client buffer) are not evicted for.
const SLACK: u64 = 128 << 10;
/// Commands sent in one write before the replies are read.
const BATCH: usize = 50;
/// Redis's refusal of a write over the limit (`shared.oomerr`).
const OOM: &str = "-OOM command not allowed when used memory > 'maxmemory'.\r\n";

/// A [`VALUE_LEN`]-byte value that is not a number, different for each `i`.
fn value(i: usize) -> String {
    let mut v = format!("value-{i:010}-");
    v.extend(std::iter::repeat_n('x', VALUE_LEN - v.len()));
    v
}

/// `field` of `INFO section` as a number.
fn num(c: &mut Raw, section: &str, field: &str) -> u64 {
    let v = c.info_field(section, field);
    v.parse()
        .unwrap_or_else(|_| panic!("INFO {section} {field} is not a number: {v:?}"))
}

/// Sends `cmds` as one pipeline and returns their replies, verbatim, in order.
fn pipeline(c: &mut Raw, cmds: &[Vec<String>]) -> Vec<String> {
    let mut bytes = Vec::new();
    for cmd in cmds {
        let args: Vec<&[u8]> = cmd.iter().map(|a| a.as_bytes()).collect();
        bytes.extend_from_slice(&resp(&args));
    }
    c.send(&bytes);
    cmds.iter().map(|_| c.reply()).collect()
}

/// A command from its words.
fn cmd(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

/// `SET key value(i) extra...`.
fn set(key: &str, i: usize, extra: &[&str]) -> Vec<String> {
    let mut c = vec!["SET".to_string(), key.to_string(), value(i)];
    c.extend(extra.iter().map(|w| w.to_string()));
    c
}

/// Runs `cmds` in pipelines of [`BATCH`] and asserts that every reply is `expected`.
#[track_caller]
fn all_reply(c: &mut Raw, cmds: &[Vec<String>], expected: &str) {
    for chunk in cmds.chunks(BATCH) {
        for (cmd, got) in chunk.iter().zip(pipeline(c, chunk)) {
            assert_eq!(got, expected, "reply to {} {}", cmd[0], cmd[1]);
        }
    }
}

/// Which of `keys` still exist (EXISTS, pipelined; it does not touch LRU/LFU data).
fn existing(c: &mut Raw, keys: &[String]) -> Vec<bool> {
    let mut out = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(BATCH) {
        let cmds: Vec<Vec<String>> = chunk.iter().map(|k| cmd(&["EXISTS", k])).collect();
        out.extend(pipeline(c, &cmds).into_iter().map(|r| r == int(1)));
    }
    out
}

/// The fraction of `keys` that still exist.
fn surviving(c: &mut Raw, keys: &[String]) -> f64 {
    let alive = existing(c, keys).into_iter().filter(|&e| e).count();
    alive as f64 / keys.len() as f64
}

/// Every key (KEYS *), sorted.
fn all_keys(c: &mut Raw) -> BTreeSet<String> {
    let text = c.call(&["KEYS", "*"]);
    let lines: Vec<&str> = text.split("\r\n").collect();
    lines
        .iter()
        .skip(1)
        .filter(|l| !l.starts_with('$') && !l.is_empty())
        .map(|l| l.to_string())
        .collect()
}

fn dbsize(c: &mut Raw) -> u64 {
    let r = c.call(&["DBSIZE"]);
    r.trim_start_matches(':').trim().parse().unwrap()
}

fn keys(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}:{i}")).collect()
}

/// A server started with `--maxmemory 1gb --maxmemory-policy policy extra...` whose limit was
/// then lowered (CONFIG SET) to its `used_memory` plus [`MARGIN`].
struct Limited {
    srv: Server,
    c: Raw,
    /// The limit set, bytes.
    maxmemory: u64,
}

fn limited(policy: &str, extra: &[&str]) -> Limited {
    limited_with_margin(policy, extra, MARGIN)
}

/// [`limited`] with `margin` bytes of room instead of [`MARGIN`].
fn limited_with_margin(policy: &str, extra: &[&str], margin: u64) -> Limited {
    let mut args = vec!["--maxmemory", "1gb", "--maxmemory-policy", policy];
    args.extend_from_slice(extra);
    let srv = Server::start(&args);
    let mut c = srv.raw();
    c.expect(
        &["CONFIG", "GET", "maxmemory"],
        &arr(&["maxmemory", "1073741824"]),
    );
    c.expect(
        &["CONFIG", "GET", "maxmemory-policy"],
        &arr(&["maxmemory-policy", policy]),
    );
    let maxmemory = num(&mut c, "memory", "used_memory") + margin;
    c.expect(&["CONFIG", "SET", "maxmemory", &maxmemory.to_string()], OK);
    assert_eq!(num(&mut c, "memory", "maxmemory"), maxmemory);
    Limited { srv, c, maxmemory }
}

/// Writes `prefix:0`, `prefix:1`, ... (SET with `extra`) in batches until `used_memory`
/// reaches `target` bytes, at most `max` keys; asserts every write was accepted and nothing
/// was evicted. Returns the keys written.
fn fill_to(c: &mut Raw, prefix: &str, extra: &[&str], target: u64, max: usize) -> Vec<String> {
    let mut written = Vec::new();
    while num(c, "memory", "used_memory") < target {
        assert!(
            written.len() < max,
            "{max} keys did not reach {target} bytes"
        );
        let cmds: Vec<Vec<String>> = (written.len()..written.len() + BATCH)
            .map(|i| set(&format!("{prefix}:{i}"), i, extra))
            .collect();
        all_reply(c, &cmds, OK);
        written.extend(cmds.into_iter().map(|cmd| cmd[1].clone()));
    }
    assert_eq!(num(c, "stats", "evicted_keys"), 0, "evicted while filling");
    written
}

/// Writes `prefix:0`, `prefix:1`, ... (SET with `extra(i)` after the value) in pipelines of
/// [`BATCH`], calling `between` after each, until `done(keys written, evicted_keys)`; asserts
/// every write was accepted. At most 20000 keys and 30 s. Returns the keys written.
fn write_until(
    c: &mut Raw,
    prefix: &str,
    extra: impl Fn(usize) -> Vec<String>,
    mut between: impl FnMut(&mut Raw),
    mut done: impl FnMut(usize, u64) -> bool,
) -> Vec<String> {
    let mut written = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done(written.len(), num(c, "stats", "evicted_keys")) {
        assert!(
            written.len() < 20_000,
            "{prefix}: 20000 keys were not enough"
        );
        assert!(
            Instant::now() < deadline,
            "{prefix}: writing took over 30 s"
        );
        let n = written.len();
        let cmds: Vec<Vec<String>> = (n..n + BATCH)
            .map(|i| {
                let mut cmd = set(&format!("{prefix}:{i}"), i, &[]);
                cmd.extend(extra(i));
                cmd
            })
            .collect();
        all_reply(c, &cmds, OK);
        written.extend(cmds.into_iter().map(|cmd| cmd[1].clone()));
        between(c);
    }
    written
}

/// A `done` for [`write_until`]: true once `factor` times as many keys were written as when
/// the first eviction was seen.
fn past_first_eviction(factor: f64) -> impl FnMut(usize, u64) -> bool {
    let mut first = None;
    move |written, evicted| {
        if evicted > 0 && first.is_none() {
            first = Some(written);
        }
        first.is_some_and(|f| written as f64 >= f as f64 * factor)
    }
}

/// `evicted_keys` and DBSIZE with no eviction between them: DBSIZE is read between two
/// reads of `evicted_keys` until both give the same (a server may go on evicting between
/// commands, as Redis's eviction timer does). Not a transaction: Redis refuses to queue
/// commands in MULTI while over the limit.
fn counts(c: &mut Raw) -> (u64, u64) {
    for _ in 0..100 {
        let before = num(c, "stats", "evicted_keys");
        let size = dbsize(c);
        if num(c, "stats", "evicted_keys") == before {
            return (before, size);
        }
    }
    panic!("evicted_keys changed around each of 100 DBSIZEs");
}

/// Waits (up to 10 s) until eviction is over: `used_memory` is at most `maxmemory` plus
/// [`SLACK`] and [`counts`] stay the same over 100 ms; returns those counts
/// (`evicted_keys`, DBSIZE).
#[track_caller]
fn settle(c: &mut Raw, maxmemory: u64) -> (u64, u64) {
    let mut used = 0;
    let mut last = (u64::MAX, u64::MAX);
    let mut since = Instant::now();
    let ok = poll_until(Duration::from_secs(10), || {
        used = num(c, "memory", "used_memory");
        let now = counts(c);
        if now != last {
            (last, since) = (now, Instant::now());
            return false;
        }
        used <= maxmemory + SLACK && since.elapsed() >= Duration::from_millis(100)
    });
    assert!(
        ok,
        "eviction did not settle: used_memory {used}, maxmemory {maxmemory} + {SLACK}, counts {last:?}"
    );
    last
}

/// Writes `prefix:i` (SET with `extra`), `i` from `from` on, until the server refuses one with
/// the OOM error; returns the keys written. Writes in pipelines on a connection of its own
/// first, which it closes, and then one at a time on `c`: so the refusal happens with no
/// pipeline in any client's buffers, and stays while `c` sends small commands.
fn fill_until_refused(
    srv: &Server,
    c: &mut Raw,
    prefix: &str,
    from: usize,
    extra: &[&str],
) -> Vec<String> {
    let mut written = Vec::new();
    {
        let mut bulk = srv.raw();
        for b in 0..200 {
            let first = from + b * BATCH;
            let cmds: Vec<Vec<String>> = (first..first + BATCH)
                .map(|i| set(&format!("{prefix}:{i}"), i, extra))
                .collect();
            let replies = pipeline(&mut bulk, &cmds);
            let mut refused = false;
            for (cmd, got) in cmds.iter().zip(replies) {
                if got == OOM {
                    refused = true;
                } else {
                    assert_eq!(got, OK, "reply to SET {}", cmd[1]);
                    written.push(cmd[1].clone());
                }
            }
            if refused {
                break;
            }
        }
    }
    assert!(
        poll_until(Duration::from_secs(10), || c
            .info_field("clients", "connected_clients")
            == "1"),
        "the pipeline's connection is still counted"
    );
    for i in from + 200 * BATCH..from + 201 * BATCH + 10_000 {
        let key = format!("{prefix}:{i}");
        let got = c.call(
            &set(&key, i, extra)
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        );
        if got == OOM {
            return written;
        }
        assert_eq!(got, OK, "reply to SET {key}");
        written.push(key);
    }
    panic!(
        "{} keys of {VALUE_LEN} bytes were never refused",
        written.len()
    );
}

// ---------------------------------------------------------------------------------------------
// The directives
// ---------------------------------------------------------------------------------------------

#[test]
fn maxmemory_directives_have_redis_names_and_defaults() {
    let s = Server::start(&[]);
    let mut c = s.raw();
    for (name, default) in [
        ("maxmemory", "0"),
        ("maxmemory-policy", "noeviction"),
        ("maxmemory-samples", "5"),
        ("maxmemory-eviction-tenacity", "10"),
        ("lfu-log-factor", "10"),
        ("lfu-decay-time", "1"),
        ("replica-ignore-maxmemory", "yes"),
    ] {
        c.expect(&["CONFIG", "GET", name], &arr(&[name, default]));
    }
    assert_eq!(c.info_field("memory", "maxmemory"), "0");
    assert_eq!(c.info_field("memory", "maxmemory_human"), "0B");
    assert_eq!(c.info_field("memory", "maxmemory_policy"), "noeviction");

    for (set, get, human) in [
        ("104857600", "104857600", "100.00M"),
        ("1gb", "1073741824", "1.00G"),
        ("3mb", "3145728", "3.00M"),
    ] {
        c.expect(&["CONFIG", "SET", "maxmemory", set], OK);
        c.expect(&["CONFIG", "GET", "maxmemory"], &arr(&["maxmemory", get]));
        assert_eq!(c.info_field("memory", "maxmemory"), get);
        assert_eq!(c.info_field("memory", "maxmemory_human"), human);
    }
    for policy in [
        "volatile-lru",
        "volatile-lfu",
        "volatile-random",
        "volatile-ttl",
        "allkeys-lru",
        "allkeys-lfu",
        "allkeys-random",
        "noeviction",
    ] {
        c.expect(&["CONFIG", "SET", "maxmemory-policy", policy], OK);
        c.expect(
            &["CONFIG", "GET", "maxmemory-policy"],
            &arr(&["maxmemory-policy", policy]),
        );
        assert_eq!(c.info_field("memory", "maxmemory_policy"), policy);
    }
    c.expect(
        &["CONFIG", "SET", "maxmemory-policy", "lru"],
        &err("ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction"),
    );
    c.expect(&["CONFIG", "SET", "maxmemory-samples", "10"], OK);
    c.expect(
        &["CONFIG", "GET", "maxmemory-samples"],
        &arr(&["maxmemory-samples", "10"]),
    );
}

#[test]
fn maxmemory_directives_are_read_from_the_config_file_and_the_command_line() {
    let s = Server::start_with_config(
        Some("maxmemory 10mb\nmaxmemory-policy allkeys-lfu\nlfu-log-factor 20\n"),
        &["--maxmemory-samples", "7", "--lfu-decay-time", "5"],
    );
    let mut c = s.raw();
    for (name, value) in [
        ("maxmemory", "10485760"),
        ("maxmemory-policy", "allkeys-lfu"),
        ("lfu-log-factor", "20"),
        ("maxmemory-samples", "7"),
        ("lfu-decay-time", "5"),
    ] {
        c.expect(&["CONFIG", "GET", name], &arr(&[name, value]));
    }
    assert_eq!(c.info_field("memory", "maxmemory_human"), "10.00M");
    assert_eq!(c.info_field("memory", "maxmemory_policy"), "allkeys-lfu");
}

// ---------------------------------------------------------------------------------------------
// noeviction
// ---------------------------------------------------------------------------------------------

#[test]
fn noeviction_refuses_writes_over_the_limit_and_evicts_nothing() {
    let Limited {
        srv,
        mut c,
        maxmemory,
    } = limited("noeviction", &[]);
    let written = fill_until_refused(&srv, &mut c, "k", 0, &[]);
    // Refused with the SET's own arguments allocated; a limit 64 KB lower refuses every write,
    // however small, and still evicts nothing under this policy.
    let maxmemory = maxmemory - (64 << 10);
    c.expect(&["CONFIG", "SET", "maxmemory", &maxmemory.to_string()], OK);
    assert!(num(&mut c, "memory", "used_memory") > maxmemory);

    // Every command that may grow memory gets exactly the OOM error, on new and existing keys.
    for write in [
        "SET k:0 v",
        "SET new v",
        "SETEX new 100 v",
        "APPEND k:0 more",
        "INCR counter",
        "LPUSH list a",
        "RPUSH list a",
        "SADD set a",
        "HSET hash f v",
        "ZADD zset 1 a",
        "MSET a 1 b 2",
        "XADD stream * f v",
    ] {
        c.ex(write, OOM);
    }
    // Reads, deletion-free admin commands and INFO still work; nothing was evicted.
    c.expect(&["GET", "k:0"], &bulk(&value(0)));
    c.ex("EXISTS k:1", &int(1));
    c.ex("PING", "+PONG\r\n");
    assert_eq!(counts(&mut c), (0, written.len() as u64));
    assert!(existing(&mut c, &written).into_iter().all(|e| e));

    // Lifting the limit lets writes in; restoring it refuses them again.
    c.ex("CONFIG SET maxmemory 0", OK);
    c.ex("SET lifted 1", OK);
    c.expect(&["CONFIG", "SET", "maxmemory", &maxmemory.to_string()], OK);
    c.ex("SET refused 1", OOM);

    // Deleting half of the keys makes room: writes work again.
    let (gone, kept) = written.split_at(written.len() / 2);
    for chunk in gone.chunks(BATCH) {
        let cmds: Vec<Vec<String>> = chunk.iter().map(|k| cmd(&["DEL", k])).collect();
        assert!(pipeline(&mut c, &cmds).iter().all(|r| r == &int(1)));
    }
    c.ex("SET after-del 1", OK);
    c.ex("LPUSH list a", &int(1));
    assert!(existing(&mut c, kept).into_iter().all(|e| e));
    assert_eq!(counts(&mut c), (0, kept.len() as u64 + 3));
}

// ---------------------------------------------------------------------------------------------
// allkeys-*
// ---------------------------------------------------------------------------------------------

/// GETs every key of `hot` (so its LRU/LFU data says it was used now).
fn read_all(c: &mut Raw, hot: &[String]) {
    for chunk in hot.chunks(BATCH) {
        let cmds: Vec<Vec<String>> = chunk.iter().map(|k| cmd(&["GET", k])).collect();
        pipeline(c, &cmds);
    }
}

#[test]
fn allkeys_lru_keeps_the_keys_in_use_and_evicts_the_idle_ones() {
    let Limited {
        srv: _srv,
        mut c,
        maxmemory,
    } = limited("allkeys-lru", &[]);
    let base = maxmemory - MARGIN;
    // Old keys to about 65% of the room, then 100 hot keys.
    let old = fill_to(&mut c, "old", &[], base + MARGIN * 65 / 100, 10_000);
    let hot = keys("hot", 100);
    let cmds: Vec<Vec<String>> = hot
        .iter()
        .enumerate()
        .map(|(i, k)| set(k, i, &[]))
        .collect();
    all_reply(&mut c, &cmds, OK);
    // The hot keys are read for a while (Redis's LRU clock ticks once a second), the old ones
    // are not.
    let until = Instant::now() + Duration::from_millis(2200);
    while Instant::now() < until {
        read_all(&mut c, &hot);
        std::thread::sleep(Duration::from_millis(50));
    }
    // New keys, while the hot keys are read after every batch, until three quarters of the
    // old keys' number was evicted: the evictions should take old keys.
    let new = write_until(
        &mut c,
        "new",
        |_| vec![],
        |c| read_all(c, &hot),
        |_, evicted| evicted >= old.len() as u64 * 3 / 4,
    );
    let (evicted, _) = settle(&mut c, maxmemory);
    let (hot_left, old_left, new_left) = (
        surviving(&mut c, &hot),
        surviving(&mut c, &old),
        surviving(&mut c, &new),
    );
    eprintln!(
        "allkeys-lru: {} old, {} new, evicted {evicted}; left: hot {hot_left:.2} old {old_left:.2} new {new_left:.2}",
        old.len(),
        new.len()
    );
    assert!(evicted > 0);
    assert!(hot_left >= 0.9, "only {hot_left:.2} of the hot keys left");
    assert!(old_left <= 0.5, "{old_left:.2} of the idle old keys left");
    assert!(
        new_left >= 0.8,
        "only {new_left:.2} of the newest keys left"
    );
}

#[test]
fn allkeys_lfu_keeps_the_keys_read_often_and_shows_their_frequency() {
    let Limited {
        srv: _srv,
        mut c,
        maxmemory,
    } = limited("allkeys-lfu", &[]);
    // 100 hot keys read 200 times each.
    let hot = keys("hot", 100);
    let cmds: Vec<Vec<String>> = hot
        .iter()
        .enumerate()
        .map(|(i, k)| set(k, i, &[]))
        .collect();
    all_reply(&mut c, &cmds, OK);
    for _ in 0..200 {
        read_all(&mut c, &hot);
    }
    // A flood of keys read once each, until about as many keys were evicted as fit.
    let mut flood = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while num(&mut c, "stats", "evicted_keys") < flood.len() as u64 / 2 || flood.len() < 1000 {
        assert!(
            flood.len() < 20_000,
            "20000 keys did not evict half of them"
        );
        assert!(Instant::now() < deadline, "the flood took over 30 s");
        let n = flood.len();
        let batch = keys("flood", n + BATCH).split_off(n);
        let cmds: Vec<Vec<String>> = batch
            .iter()
            .enumerate()
            .map(|(i, k)| set(k, n + i, &[]))
            .collect();
        all_reply(&mut c, &cmds, OK);
        read_all(&mut c, &batch);
        flood.extend(batch);
    }
    let (evicted, _) = settle(&mut c, maxmemory);
    let (hot_left, flood_left) = (surviving(&mut c, &hot), surviving(&mut c, &flood));
    eprintln!(
        "allkeys-lfu: {} flood keys, evicted {evicted}; left: hot {hot_left:.2} flood {flood_left:.2}",
        flood.len(),
    );
    assert!(hot_left >= 0.9, "only {hot_left:.2} of the hot keys left");
    assert!(flood_left <= 0.6, "{flood_left:.2} of the flood left");

    // OBJECT FREQ: the hot keys' counters are above a key read once.
    let freq = |c: &mut Raw, k: &str| -> i64 {
        let r = c.call(&["OBJECT", "FREQ", k]);
        r.strip_prefix(':')
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("OBJECT FREQ {k}: {r:?}"))
    };
    // The newest flood key still there (read once).
    let last = flood
        .iter()
        .zip(existing(&mut c, &flood))
        .rev()
        .find_map(|(k, e)| e.then(|| k.clone()))
        .expect("no flood key left");
    let cold = freq(&mut c, &last);
    let alive: Vec<&String> = hot
        .iter()
        .zip(existing(&mut c, &hot))
        .filter_map(|(k, e)| e.then_some(k))
        .collect();
    for k in alive {
        let f = freq(&mut c, k);
        assert!(f > cold, "OBJECT FREQ {k} = {f}, not above {last}'s {cold}");
    }
    c.ex("OBJECT FREQ missing", NIL);
    c.expect(
        &["OBJECT", "IDLETIME", &last],
        &err("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."),
    );
    // Under an LRU policy there is no frequency to show, and IDLETIME works.
    c.ex("CONFIG SET maxmemory-policy allkeys-lru", OK);
    c.expect(
        &["OBJECT", "FREQ", &last],
        &err("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."),
    );
    assert!(c.call(&["OBJECT", "IDLETIME", &last]).starts_with(':'));
}

#[test]
fn allkeys_random_evicts_old_and_new_keys_alike_and_counts_them() {
    let Limited {
        srv: _srv,
        mut c,
        maxmemory,
    } = limited("allkeys-random", &[]);
    // Write until about as many keys were evicted as fit, then the same number again.
    let mut written = Vec::new();
    let mut target = None;
    while target.is_none_or(|t| written.len() < t) {
        assert!(written.len() < 20_000, "20000 keys did not evict enough");
        let n = written.len();
        let batch = keys("k", n + BATCH).split_off(n);
        let cmds: Vec<Vec<String>> = batch
            .iter()
            .enumerate()
            .map(|(i, k)| set(k, n + i, &[]))
            .collect();
        all_reply(&mut c, &cmds, OK);
        written.extend(batch);
        if target.is_none() && num(&mut c, "stats", "evicted_keys") > 0 {
            // The room is about `written` keys: write as many again.
            target = Some(2 * written.len());
        }
    }
    let (evicted, size) = settle(&mut c, maxmemory);
    assert!(evicted > 0);
    assert_eq!(
        evicted,
        written.len() as u64 - size,
        "evicted_keys is not the number of keys gone"
    );
    // Random: about e^-1 of the keys present when the room filled are still there; an
    // LRU-like policy would have evicted nearly all of the first quarter written.
    let first = &written[..written.len() / 4];
    let first_left = surviving(&mut c, first);
    let last_left = surviving(&mut c, &written[written.len() * 3 / 4..]);
    eprintln!(
        "allkeys-random: {} written, evicted {evicted}; left: first quarter {first_left:.2}, last quarter {last_left:.2}",
        written.len()
    );
    assert!(
        first_left >= 0.1,
        "only {first_left:.2} of the oldest keys left"
    );
    assert!(last_left <= 0.95, "{last_left:.2} of the newest keys left");
}

// ---------------------------------------------------------------------------------------------
// volatile-*
// ---------------------------------------------------------------------------------------------

/// Under `policy`: keys without a TTL are never evicted; volatile keys are, and once none is
/// left, writes are refused.
fn volatile_policy_spares_keys_without_ttl(policy: &str) {
    let Limited {
        srv,
        mut c,
        maxmemory,
    } = limited(policy, &[]);
    let base = maxmemory - MARGIN;
    // Persistent keys to 40% of the room, then volatile ones: twice as many as had been
    // written when the first eviction came.
    let persistent = fill_to(&mut c, "p", &[], base + MARGIN * 4 / 10, 10_000);
    let volatile = write_until(
        &mut c,
        "v",
        |_| cmd(&["EX", "10000"]),
        |_| {},
        past_first_eviction(2.0),
    );
    let (evicted, size) = settle(&mut c, maxmemory);
    assert!(evicted > 0, "{policy}: nothing evicted");
    assert!(
        existing(&mut c, &persistent).into_iter().all(|e| e),
        "{policy}: a key without TTL was evicted"
    );
    assert_eq!(size, (persistent.len() + volatile.len()) as u64 - evicted);

    // More keys without a TTL push out the remaining volatile ones; then writes are refused.
    let more = fill_until_refused(&srv, &mut c, "q", 0, &[]).len();
    assert_eq!(
        surviving(&mut c, &volatile),
        0.0,
        "{policy}: refused while volatile keys were left"
    );
    // Refused with the SET's own arguments allocated; 64 KB less refuses every write.
    let lower = maxmemory - (64 << 10);
    c.expect(&["CONFIG", "SET", "maxmemory", &lower.to_string()], OK);
    c.ex("SET x 1", OOM);
    c.ex("LPUSH l x", OOM);
    assert!(existing(&mut c, &persistent).into_iter().all(|e| e));
    assert_eq!(
        counts(&mut c),
        (volatile.len() as u64, (persistent.len() + more) as u64),
        "{policy}: (evicted_keys, DBSIZE)"
    );
}

#[test]
fn volatile_lru_evicts_only_keys_with_a_ttl() {
    volatile_policy_spares_keys_without_ttl("volatile-lru");
}

#[test]
fn volatile_lfu_evicts_only_keys_with_a_ttl() {
    volatile_policy_spares_keys_without_ttl("volatile-lfu");
}

#[test]
fn volatile_random_evicts_only_keys_with_a_ttl() {
    volatile_policy_spares_keys_without_ttl("volatile-random");
}

#[test]
fn volatile_ttl_evicts_the_keys_that_expire_soonest() {
    let Limited {
        srv: _srv,
        mut c,
        maxmemory,
    } = limited("volatile-ttl", &[]);
    let base = maxmemory - MARGIN;
    // A quarter of the room in keys whose TTL is far (5000 s), then keys with TTLs spread
    // over 1000..2000 s in an order unrelated to the TTL, twice as many as had been written
    // when the first eviction came: about half of them go, ideally those under 1500 s.
    let probe = fill_to(&mut c, "probe", &["EX", "5000"], base + MARGIN / 4, 10_000);
    let ttl = |i: usize| 1000 + (i * 7919) % 1000;
    let ks = write_until(
        &mut c,
        "t",
        |i| cmd(&["EX", &ttl(i).to_string()]),
        |_| {},
        past_first_eviction(2.0),
    );
    let n = ks.len();
    let (evicted, _) = settle(&mut c, maxmemory);
    assert!(evicted > 0);
    // The far-expiring probes outlive nearly all of the others.
    let probe_left = surviving(&mut c, &probe);
    let alive = existing(&mut c, &ks);
    let third = |lo: usize, hi: usize| {
        let (mut total, mut left) = (0, 0);
        for (i, a) in alive.iter().enumerate() {
            if (lo..hi).contains(&ttl(i)) {
                total += 1;
                left += usize::from(*a);
            }
        }
        left as f64 / total as f64
    };
    let (near, mid, far) = (third(1000, 1333), third(1333, 1667), third(1667, 2000));
    eprintln!(
        "volatile-ttl: {n} keys, evicted {evicted}; left: probes {probe_left:.2}, TTL 1000-1333 {near:.2}, 1333-1667 {mid:.2}, 1667-2000 {far:.2}"
    );
    assert!(
        probe_left >= 0.9,
        "only {probe_left:.2} of the far probes left"
    );
    // (Keys written last stay whatever their TTL: Redis keeps about 1 in 6 of the nearest
    // third; random or LRU eviction would keep about half of each third.)
    assert!(near <= 0.3, "{near:.2} of the nearest third left");
    assert!(far >= 0.8, "only {far:.2} of the farthest third left");
}

// ---------------------------------------------------------------------------------------------
// What an eviction does besides freeing memory
// ---------------------------------------------------------------------------------------------

#[test]
fn each_eviction_is_counted_and_published_as_an_evicted_event() {
    let Limited {
        srv,
        mut c,
        maxmemory,
    } = limited("allkeys-random", &["--notify-keyspace-events", "Ee"]);
    let mut sub = srv.raw();
    sub.send(&resp(&[b"SUBSCRIBE", b"__keyevent@0__:evicted", b"end"]));
    sub.read_reply();
    sub.read_reply();
    let written = keys("k", 4000);
    let cmds: Vec<Vec<String>> = written
        .iter()
        .enumerate()
        .map(|(i, k)| set(k, i, &[]))
        .collect();
    all_reply(&mut c, &cmds, OK);
    settle(&mut c, maxmemory);
    // The marker, the count and the keys at one instant (a transaction): the events before
    // the marker are those of the evictions counted.
    let (_, info, left): (i64, String, BTreeSet<String>) = redis::pipe()
        .atomic()
        .cmd("PUBLISH")
        .arg("end")
        .arg("x")
        .cmd("INFO")
        .arg("stats")
        .cmd("KEYS")
        .arg("*")
        .query(&mut srv.client())
        .unwrap();
    let evicted: u64 = info
        .lines()
        .find_map(|l| l.strip_prefix("evicted_keys:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap();
    assert!(evicted > 0);
    assert_eq!(evicted, (written.len() - left.len()) as u64);
    // The events name exactly the keys that are gone, once each.
    let mut published = BTreeSet::new();
    loop {
        let msg = sub.reply();
        let parts: Vec<&str> = msg.split("\r\n").collect();
        assert_eq!(parts[2], "message", "{msg:?}");
        if parts[4] == "end" {
            break;
        }
        assert_eq!(parts[4], "__keyevent@0__:evicted");
        assert!(
            published.insert(parts[6].to_string()),
            "{} published twice",
            parts[6]
        );
    }
    let gone: BTreeSet<String> = written.into_iter().filter(|k| !left.contains(k)).collect();
    assert_eq!(published, gone);
}

#[test]
fn a_replica_without_a_limit_ends_with_the_primarys_keys() {
    let Limited {
        srv: primary,
        mut c,
        maxmemory,
    } = limited_with_margin("allkeys-lru", &[], 2 * MARGIN);
    let replica = Server::start(&["--replicaof", "127.0.0.1", &primary.port.to_string()]);
    let mut r = replica.raw();
    assert!(
        poll_until(Duration::from_secs(20), || r
            .info_field("replication", "master_link_status")
            == "up"),
        "the replica did not connect"
    );
    // One slot ({r}), and room for the replication backlog (1 MB, counted in used_memory as
    // in Redis): this test is about which keys the replica ends with.
    let written = keys("{r}k", 6000);
    let cmds: Vec<Vec<String>> = written
        .iter()
        .enumerate()
        .map(|(i, k)| set(k, i, &[]))
        .collect();
    all_reply(&mut c, &cmds, OK);
    let (evicted, size) = settle(&mut c, maxmemory);
    assert!(evicted > 0);
    assert_eq!(size, written.len() as u64 - evicted);
    let mut replica_size = 0;
    assert!(
        poll_until(Duration::from_secs(20), || {
            replica_size = dbsize(&mut r);
            replica_size == size
        }),
        "replica DBSIZE {replica_size}, primary {size}"
    );
    let (mut on_replica, mut on_primary) = (BTreeSet::new(), BTreeSet::new());
    assert!(
        poll_until(Duration::from_secs(10), || {
            (on_replica, on_primary) = (all_keys(&mut r), all_keys(&mut c));
            on_replica == on_primary
        }),
        "keys only on the replica: {:?}; only on the primary: {:?}",
        on_replica.difference(&on_primary).collect::<Vec<_>>(),
        on_primary.difference(&on_replica).collect::<Vec<_>>()
    );
    assert_eq!(num(&mut r, "stats", "evicted_keys"), 0);
}

#[test]
fn evictions_are_in_the_aof_and_stay_evicted_after_a_restart() {
    let dir = TempDir::new("maxmemory-aof");
    let before;
    {
        let mut srv = Server::start_in(
            &dir.0,
            &[
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--maxmemory-policy",
                "allkeys-random",
            ],
        );
        let mut c = srv.raw();
        let maxmemory = num(&mut c, "memory", "used_memory") + MARGIN;
        c.expect(&["CONFIG", "SET", "maxmemory", &maxmemory.to_string()], OK);
        let written = keys("k", 4000);
        let cmds: Vec<Vec<String>> = written
            .iter()
            .enumerate()
            .map(|(i, k)| set(k, i, &[]))
            .collect();
        all_reply(&mut c, &cmds, OK);
        assert!(settle(&mut c, maxmemory).0 > 0);
        before = all_keys(&mut c);
        assert!(before.len() < written.len());
        drop(c);
        assert!(srv.terminate().is_some(), "the server did not stop");
    }
    // Started again without a limit: the AOF replays the evictions as deletions.
    let srv = Server::start_in(&dir.0, &["--appendonly", "yes"]);
    let mut c = srv.raw();
    assert!(
        poll_until(Duration::from_secs(20), || c
            .info_field("persistence", "loading")
            == "0"),
        "still loading"
    );
    assert_eq!(dbsize(&mut c), before.len() as u64);
    assert_eq!(all_keys(&mut c), before);
}

#[test]
fn lowering_maxmemory_below_usage_evicts_at_once() {
    let s = Server::start(&["--maxmemory-policy", "allkeys-lru"]);
    let mut c = s.raw();
    // A database's slot tables (a fixed 786 KB) come with its first key in each shard: 512
    // keys reach all 16 shards. Measure from there, so that "half of what the keys take" is
    // about the keys.
    for k in keys("warm", 512) {
        c.expect(&["SET", &k, "x"], OK);
        c.expect(&["DEL", &k], ":1\r\n");
    }
    let base = num(&mut c, "memory", "used_memory");
    let written = keys("k", 2000);
    let cmds: Vec<Vec<String>> = written
        .iter()
        .enumerate()
        .map(|(i, k)| set(k, i, &[]))
        .collect();
    all_reply(&mut c, &cmds, OK);
    let used = num(&mut c, "memory", "used_memory");
    assert!(used > base + 2000 * VALUE_LEN as u64);
    // Half of what the keys take.
    let maxmemory = base + (used - base) / 2;
    c.expect(&["CONFIG", "SET", "maxmemory", &maxmemory.to_string()], OK);
    c.ex("PING", "+PONG\r\n");
    let (evicted, size) = counts(&mut c);
    assert!(evicted > 0 && size < 2000, "nothing evicted at once");
    let (evicted, size) = settle(&mut c, maxmemory);
    assert!(
        (600..=1400).contains(&size),
        "{size} of 2000 keys left after halving the room"
    );
    assert_eq!(evicted, 2000 - size);
    assert_eq!(num(&mut c, "memory", "maxmemory"), maxmemory);
    assert_eq!(c.info_field("memory", "maxmemory_policy"), "allkeys-lru");
}
