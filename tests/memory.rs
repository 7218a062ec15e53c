//! MEMORY USAGE / STATS / DOCTOR / HELP / PURGE / MALLOC-STATS, INFO memory's fields and the
//! maxmemory directives' CONFIG SET/GET and errors.
//!
//! Checked against Redis 7.0.15 with `SHOAL_TEST_AGAINST=redis cargo test --test memory`.
//! Figures differ between the two (memory layouts do); the tests assert shapes, relations and
//! errors, which must hold for both.

mod support;
use support::*;

fn int_of(reply: &str) -> i64 {
    reply
        .strip_prefix(':')
        .and_then(|r| r.trim_end().parse().ok())
        .unwrap_or_else(|| panic!("not an integer reply: {reply:?}"))
}

#[test]
fn memory_usage_grows_with_the_value_and_ignores_missing_keys() {
    let s = Server::start(&[]);
    let mut c = s.raw();
    c.expect(&["MEMORY", "USAGE", "nokey"], "$-1\r\n");
    c.expect(&["SET", "small", "v"], "+OK\r\n");
    let big = "x".repeat(10_000);
    c.expect(&["SET", "big", &big], "+OK\r\n");
    let small = int_of(&c.call(&["MEMORY", "USAGE", "small"]));
    let large = int_of(&c.call(&["MEMORY", "USAGE", "big"]));
    assert!(small > 0 && small < 200, "a one-byte value: {small}");
    assert!(
        (10_000..12_000).contains(&large),
        "a 10000-byte value: {large}"
    );
    // A hash of 1000 fields: sampled, and all of them, both of the right order.
    for i in 0..1000 {
        c.call(&["HSET", "h", &format!("field:{i}"), &"v".repeat(100)]);
    }
    let sampled = int_of(&c.call(&["MEMORY", "USAGE", "h"]));
    let all = int_of(&c.call(&["MEMORY", "USAGE", "h", "SAMPLES", "0"]));
    for n in [sampled, all] {
        assert!(
            (100_000..400_000).contains(&n),
            "1000 fields of ~110 bytes: {n}"
        );
    }
    c.expect(
        &["MEMORY", "USAGE", "h", "SAMPLES", "-1"],
        "-ERR syntax error\r\n",
    );
    c.expect(&["MEMORY", "USAGE", "h", "FOO"], "-ERR syntax error\r\n");
    c.expect(
        &["MEMORY", "USAGE", "h", "SAMPLES", "x"],
        "-ERR value is not an integer or out of range\r\n",
    );
    c.expect(
        &["MEMORY", "USAGE"],
        "-ERR wrong number of arguments for 'memory|usage' command\r\n",
    );
}

#[test]
fn memory_stats_doctor_help_purge() {
    let s = Server::start(&[]);
    let mut c = s.raw();
    c.call(&["SET", "a", "1"]);
    let stats = c.call(&["MEMORY", "STATS"]);
    for name in [
        "peak.allocated",
        "total.allocated",
        "startup.allocated",
        "replication.backlog",
        "clients.normal",
        "db.0",
        "overhead.hashtable.main",
        "overhead.total",
        "keys.count",
        "keys.bytes-per-key",
        "dataset.bytes",
        "dataset.percentage",
        "allocator.allocated",
        "allocator.resident",
        "fragmentation",
    ] {
        assert!(
            stats.contains(&format!("\r\n{name}\r\n")),
            "{name} in {stats}"
        );
    }
    // keys.count is the dbsize: the line after its name.
    let lines: Vec<&str> = stats.split("\r\n").collect();
    let at = lines.iter().position(|l| *l == "keys.count").unwrap();
    assert_eq!(lines[at + 1], ":1");
    // Each ratio's bytes are the signed difference behind it: negative exactly when the ratio
    // is below 1 (Redis replies with them as a long long; they were once clamped at 0).
    // The value after `name`: an integer's line, or a double's (RESP2 sends it as a bulk
    // string, after its length line).
    let value = |name: &str| {
        let at = lines.iter().position(|l| *l == name).expect(name);
        let v = lines[at + 1];
        if v.starts_with('$') {
            lines[at + 2].to_string()
        } else {
            v.trim_start_matches([':', ',']).to_string()
        }
    };
    for (ratio, bytes) in [
        (
            "allocator-fragmentation.ratio",
            "allocator-fragmentation.bytes",
        ),
        ("allocator-rss.ratio", "allocator-rss.bytes"),
        ("rss-overhead.ratio", "rss-overhead.bytes"),
        ("fragmentation", "fragmentation.bytes"),
    ] {
        let r: f64 = value(ratio).parse().unwrap();
        let b: i64 = value(bytes).parse().unwrap();
        assert_eq!(r < 1.0, b < 0, "{ratio} {r} against {bytes} {b}");
    }
    let doctor = c.call(&["MEMORY", "DOCTOR"]);
    assert!(doctor.contains("Sam"), "{doctor}");
    let help = c.call(&["MEMORY", "HELP"]);
    for sub in [
        "DOCTOR",
        "MALLOC-STATS",
        "PURGE",
        "STATS",
        "USAGE <key> [SAMPLES <count>]",
    ] {
        assert!(help.contains(sub), "{sub} in {help}");
    }
    c.expect(&["MEMORY", "PURGE"], "+OK\r\n");
    let ms = c.call(&["MEMORY", "MALLOC-STATS"]);
    assert!(ms.len() > 100, "an allocator report: {ms}");
    c.expect(
        &["MEMORY", "FOO"],
        "-ERR unknown subcommand 'FOO'. Try MEMORY HELP.\r\n",
    );
}

/// MEMORY USAGE of big collections, short members (held in place) and long ones (on the heap),
/// against what building each one added to `used_memory`.
#[test]
fn memory_usage_of_big_collections_is_what_they_took() {
    let s = Server::start(&[]);
    let mut c = s.raw();
    let cases: [(&str, &str, usize); 6] = [
        ("set-short", "SADD", 15),
        ("set-long", "SADD", 60),
        ("hash-short", "HSET", 15),
        ("hash-long", "HSET", 60),
        ("zset-short", "ZADD", 15),
        ("zset-long", "ZADD", 60),
    ];
    for (key, cmd, len) in cases {
        let before: i64 = c.info_field("memory", "used_memory").parse().unwrap();
        for batch in 0..20 {
            let mut args = vec![cmd.to_string(), key.to_string()];
            for i in batch * 1000..(batch + 1) * 1000 {
                let member = format!("{i:0len$}");
                if cmd == "ZADD" {
                    args.push(i.to_string());
                }
                args.push(member);
                if cmd == "HSET" {
                    args.push(format!("{i:0len$}"));
                }
            }
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            assert_eq!(int_of(&c.call(&args)), 1000, "{key}");
        }
        let after: i64 = c.info_field("memory", "used_memory").parse().unwrap();
        let took = after - before;
        let usage = int_of(&c.call(&["MEMORY", "USAGE", key, "SAMPLES", "0"]));
        let ratio = usage as f64 / took as f64;
        assert!(
            (0.75..1.33).contains(&ratio),
            "{key}: MEMORY USAGE {usage}, used_memory grew by {took} (ratio {ratio:.2})"
        );
    }
}

#[test]
fn info_memory_fields_follow_the_data() {
    let s = Server::start(&["--maxmemory", "100mb", "--maxmemory-policy", "allkeys-lru"]);
    let mut c = s.raw();
    let before: u64 = c.info_field("memory", "used_memory").parse().unwrap();
    assert_eq!(c.info_field("memory", "maxmemory"), "104857600");
    assert_eq!(c.info_field("memory", "maxmemory_human"), "100.00M");
    assert_eq!(c.info_field("memory", "maxmemory_policy"), "allkeys-lru");
    for f in [
        "used_memory_rss",
        "used_memory_peak",
        "used_memory_startup",
        "used_memory_dataset",
        "allocator_allocated",
        "mem_fragmentation_ratio",
        "mem_allocator",
    ] {
        c.info_field("memory", f);
    }
    // 1000 keys of 1000 bytes: used_memory grows by about a megabyte, peak follows.
    for i in 0..1000 {
        c.call(&["SET", &format!("k{i}"), &"v".repeat(1000)]);
    }
    let after: u64 = c.info_field("memory", "used_memory").parse().unwrap();
    assert!(
        (1_000_000..3_000_000).contains(&(after - before)),
        "1000 x 1000 bytes took {} bytes",
        after - before
    );
    let peak: u64 = c.info_field("memory", "used_memory_peak").parse().unwrap();
    assert!(peak >= after);
    c.call(&["FLUSHALL"]);
    let flushed: u64 = c.info_field("memory", "used_memory").parse().unwrap();
    assert!(flushed < after - 900_000, "FLUSHALL freed it: {flushed}");
    for f in ["evicted_keys", "keyspace_hits", "keyspace_misses"] {
        c.info_field("stats", f);
    }
}

/// The directives' range errors and a policy named in capitals; names, defaults and the policy
/// error are in tests/maxmemory.rs.
#[test]
fn maxmemory_directives_ranges_and_object_freq_idletime() {
    let s = Server::start(&[]);
    let mut c = s.raw();
    c.expect(
        &["CONFIG", "SET", "maxmemory-policy", "ALLKEYS-LFU"],
        "+OK\r\n",
    );
    c.expect(
        &["CONFIG", "GET", "maxmemory-policy"],
        "*2\r\n$16\r\nmaxmemory-policy\r\n$11\r\nallkeys-lfu\r\n",
    );
    c.expect(
        &["CONFIG", "SET", "maxmemory-samples", "0"],
        "-ERR CONFIG SET failed (possibly related to argument 'maxmemory-samples') - argument must be between 1 and 2147483647 inclusive\r\n",
    );
    c.expect(
        &["CONFIG", "SET", "maxmemory-eviction-tenacity", "101"],
        "-ERR CONFIG SET failed (possibly related to argument 'maxmemory-eviction-tenacity') - argument must be between 0 and 100 inclusive\r\n",
    );
    c.expect(
        &["CONFIG", "SET", "lfu-log-factor", "-1"],
        "-ERR CONFIG SET failed (possibly related to argument 'lfu-log-factor') - argument must be between 0 and 2147483647 inclusive\r\n",
    );
    // Under allkeys-lfu: OBJECT FREQ answers, IDLETIME refuses; back under LRU the other way.
    c.expect(&["SET", "k", "v"], "+OK\r\n");
    c.expect(&["OBJECT", "FREQ", "k"], ":5\r\n");
    c.expect(
        &["OBJECT", "IDLETIME", "k"],
        "-ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.\r\n",
    );
    c.expect(&["OBJECT", "FREQ", "nokey"], "$-1\r\n");
    c.expect(
        &["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"],
        "+OK\r\n",
    );
    c.expect(
        &["OBJECT", "FREQ", "k"],
        "-ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.\r\n",
    );
    c.expect(&["SET", "k", "v"], "+OK\r\n");
    c.expect(&["OBJECT", "IDLETIME", "k"], ":0\r\n");
}

#[test]
fn lfu_counters_and_idle_times_survive_a_reload() {
    let mut args = vec!["--maxmemory-policy", "allkeys-lfu", "--lfu-log-factor", "0"];
    if against_redis() {
        args.extend(["--enable-debug-command", "local"]);
    }
    let s = Server::start(&args);
    let mut c = s.raw();
    c.expect(&["SET", "hot", "v"], "+OK\r\n");
    c.expect(&["SET", "cold", "v"], "+OK\r\n");
    // Factor 0: every hit counts.
    for _ in 0..50 {
        c.call(&["GET", "hot"]);
    }
    let freq = int_of(&c.call(&["OBJECT", "FREQ", "hot"]));
    assert!(freq >= 50, "{freq}");
    c.expect(&["DEBUG", "RELOAD"], "+OK\r\n");
    assert_eq!(int_of(&c.call(&["OBJECT", "FREQ", "hot"])), freq);
    assert_eq!(int_of(&c.call(&["OBJECT", "FREQ", "cold"])), 5);
    // Under LRU the idle time is saved instead; a fresh reload keeps it at zero here, and a
    // RESTORE with IDLETIME sets it.
    c.expect(
        &["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"],
        "+OK\r\n",
    );
    let mut rc = s.client();
    let payload: Vec<u8> = redis::cmd("DUMP").arg("cold").query(&mut rc).unwrap();
    let () = redis::cmd("RESTORE")
        .arg("old")
        .arg(0)
        .arg(payload)
        .arg("IDLETIME")
        .arg(1000)
        .query(&mut rc)
        .unwrap();
    c.expect(&["DEBUG", "RELOAD"], "+OK\r\n");
    let idle = int_of(&c.call(&["OBJECT", "IDLETIME", "old"]));
    assert!((1000..1010).contains(&idle), "{idle}");
}

/// The nice value (field 19 of `/proc/<pid>/task/<tid>/stat`) of each of `pid`'s threads, with
/// its name.
#[cfg(target_os = "linux")]
fn thread_priorities(pid: u32) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    for t in std::fs::read_dir(format!("/proc/{pid}/task")).expect("the server's threads") {
        let dir = t.unwrap().path();
        let (Ok(comm), Ok(stat)) = (
            std::fs::read_to_string(dir.join("comm")),
            std::fs::read_to_string(dir.join("stat")),
        ) else {
            continue; // the thread ended meanwhile
        };
        // The name in field 2 may hold spaces: count fields after its closing parenthesis.
        let after = &stat[stat.rfind(')').expect("a stat line") + 2..];
        let nice = after.split(' ').nth(16).unwrap().parse().unwrap();
        out.push((comm.trim().to_string(), nice));
    }
    out
}

#[cfg(target_os = "linux")]
#[test]
fn freed_memory_goes_back_to_the_os_from_a_low_priority_thread() {
    if against_redis() {
        eprintln!("skipped against redis: its purge thread runs at normal priority");
        return;
    }
    let s = Server::start(&[]);
    let mut c = s.raw();
    let rss = |c: &mut support::Raw| -> u64 {
        c.info_field("memory", "used_memory_rss").parse().unwrap()
    };
    let start = rss(&mut c);
    let value = "v".repeat(64 * 1024);
    for i in 0..1000 {
        c.expect(&["SET", &format!("k{i}"), &value], "+OK\r\n");
    }
    let full = rss(&mut c);
    assert!(
        full > start + 50_000_000,
        "64 MB written: rss {start} -> {full}"
    );
    c.expect(&["FLUSHALL", "SYNC"], "+OK\r\n");
    // Idle from now on: only the background thread can return the pages (1 s dirty decay).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut now = rss(&mut c);
    while now > start + (full - start) / 4 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(200));
        now = rss(&mut c);
    }
    assert!(
        now <= start + (full - start) / 4,
        "rss stayed at {now} after FLUSHALL (start {start}, full {full})"
    );
    let threads = thread_priorities(s.pid());
    let purgers: Vec<_> = threads
        .iter()
        .filter(|(n, _)| n == "jemalloc_bg_thd")
        .collect();
    assert!(!purgers.is_empty(), "no purge thread among {threads:?}");
    assert!(purgers.iter().all(|(_, nice)| *nice == 19), "{threads:?}");
    // The threads that serve clients keep the process's priority (its main thread's).
    let base = threads
        .iter()
        .find(|(n, _)| n == "shoal-server")
        .map(|t| t.1);
    assert!(
        threads
            .iter()
            .filter(|(n, _)| n != "jemalloc_bg_thd")
            .all(|(_, nice)| Some(*nice) == base),
        "{threads:?}"
    );
}

#[test]
fn what_a_slow_replica_holds_is_not_counted_against_maxmemory() {
    // Redis's freeMemoryGetNotCountedMemory: the stream kept for a replica past
    // repl-backlog-size (its output buffer) is left out of maxmemory, as evicting keys cannot
    // shrink it. Counted, a replica that stops reading would make the primary evict its data.
    let mut args = vec![
        "--maxmemory",
        "30mb",
        "--maxmemory-policy",
        "allkeys-lru",
        "--repl-backlog-size",
        "1mb",
    ];
    if against_redis() {
        // Redis waits 5 s for more replicas before a diskless sync; shoal starts at once.
        args.extend(["--repl-diskless-sync-delay", "0"]);
    }
    let s = Server::start(&args);
    let mut c = s.raw();
    // A replica that asks for the stream, then reads nothing.
    let mut replica = s.raw();
    replica.expect(&["REPLCONF", "listening-port", "1"], "+OK\r\n");
    replica.send(&resp(&[b"PSYNC", b"?", b"-1"]));
    // 10 MB of data written three times: 30 MB of stream for the replica.
    let value = "v".repeat(10 * 1024);
    for _ in 0..3 {
        for batch in 0..10 {
            let mut pipe = Vec::new();
            for i in 0..100 {
                let key = format!("key:{}", batch * 100 + i);
                pipe.extend(resp(&[b"SET", key.as_bytes(), value.as_bytes()]));
            }
            c.send(&pipe);
            for _ in 0..100 {
                assert_eq!(c.read_reply(), b"+OK\r\n");
            }
        }
    }
    let held: u64 = c
        .info_field("memory", "mem_not_counted_for_evict")
        .parse()
        .unwrap();
    let used: u64 = c.info_field("memory", "used_memory").parse().unwrap();
    assert!(
        held > 10 << 20 && used > 30 << 20,
        "the replica did not fall behind: {held} bytes held, used_memory {used}"
    );
    assert_eq!(c.info_field("stats", "evicted_keys"), "0");
    assert_eq!(c.call(&["DBSIZE"]), ":1000\r\n");
    drop(replica);
}

#[test]
fn jemalloc_bg_thread_is_a_directive_that_config_set_turns_off_and_on() {
    let s = Server::start(&[]);
    let mut c = s.raw();
    let get = "*2\r\n$18\r\njemalloc-bg-thread\r\n$3\r\nyes\r\n";
    c.expect(&["CONFIG", "GET", "jemalloc-bg-thread"], get);
    c.expect(&["CONFIG", "SET", "jemalloc-bg-thread", "no"], "+OK\r\n");
    c.expect(
        &["CONFIG", "GET", "jemalloc-bg-thread"],
        &get.replace("$3\r\nyes", "$2\r\nno"),
    );
    c.expect(
        &["CONFIG", "SET", "jemalloc-bg-thread", "maybe"],
        "-ERR CONFIG SET failed (possibly related to argument 'jemalloc-bg-thread') - argument must be 'yes' or 'no'\r\n",
    );
    if against_redis() {
        // Redis's purge threads run at normal priority; the rest is shoal's.
        return;
    }
    #[cfg(target_os = "linux")]
    {
        let purgers = |pid: u32| -> Vec<i64> {
            thread_priorities(pid)
                .into_iter()
                .filter(|(n, _)| n == "jemalloc_bg_thd")
                .map(|t| t.1)
                .collect()
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !purgers(s.pid()).is_empty() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        assert_eq!(
            purgers(s.pid()),
            Vec::<i64>::new(),
            "still purging after no"
        );
        c.expect(&["CONFIG", "SET", "jemalloc-bg-thread", "yes"], "+OK\r\n");
        // jemalloc creates the thread before CONFIG SET returns, but the thread names itself
        // once it runs: until then it carries its creator's name.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while purgers(s.pid()).is_empty() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let p = purgers(s.pid());
        assert!(!p.is_empty() && p.iter().all(|&n| n == 19), "{p:?}");
    }
}
