//! The RDB codec against redis-server 7.0.15 itself: files Redis writes are read by
//! `RdbReader` with equal contents and encodings, files `RdbWriter` writes load in Redis (and
//! pass redis-check-rdb), and DUMP payloads go both ways between Redis and shoal (tests/dump.rs).
//!
//! These tests always need both servers (they ignore SHOAL_TEST_AGAINST); they skip with a
//! message when /usr/bin/redis-server is absent.
mod redis_peer;
mod support;
use redis_peer::*;
use support::*;

use shoal::keyspace::{Entry, Value};
use shoal::persistence::rdb::{check_rdb, Checksum, RdbEvent, RdbReader, RdbWriter};
use std::collections::BTreeMap;
use std::process::Command;

/// (db, key) -> (entry, RDB type byte).
type Entries = BTreeMap<(u64, Vec<u8>), (Entry, u8)>;

fn parse(bytes: &[u8]) -> (Entries, Vec<(String, String)>) {
    let mut out = BTreeMap::new();
    let mut aux = Vec::new();
    let mut eof = false;
    for ev in RdbReader::new(bytes).unwrap() {
        match ev.unwrap() {
            RdbEvent::Entry {
                db,
                key,
                entry,
                rdb_type,
                ..
            } => {
                out.insert((db, key), (entry, rdb_type));
            }
            RdbEvent::Aux { key, value } => aux.push((
                String::from_utf8_lossy(&key).into_owned(),
                String::from_utf8_lossy(&value).into_owned(),
            )),
            RdbEvent::Eof { checksum } => {
                assert!(matches!(checksum, Checksum::Verified(_)));
                eof = true;
            }
            _ => {}
        }
    }
    assert!(eof);
    (out, aux)
}

#[test]
fn a_file_saved_by_redis_reads_back_with_equal_contents_encodings_and_ttls() {
    if !have_redis() {
        return;
    }
    let r = Redis::start(None);
    let mut c = r.client();
    populate(&mut c);
    let bytes = r.save();
    let (entries, aux) = parse(&bytes);
    let shoal = Server::start(&[]);
    let mut sc = shoal.client();
    let names: Vec<&str> = aux.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        ["redis-ver", "redis-bits", "ctime", "used-mem", "aof-base"]
    );
    assert_eq!(aux[0].1, "7.0.15");
    let mut n = 0;
    for db in [0u64, 1, 5] {
        for key in keys(&mut c, db) {
            let (e, _) = entries
                .get(&(db, key.clone()))
                .unwrap_or_else(|| panic!("{} missing", String::from_utf8_lossy(&key)));
            let name = String::from_utf8_lossy(&key).into_owned();
            assert_eq!(expected(&e.value, &mut sc), fetch(&mut c, &key), "{name}");
            assert_eq!(e.value.encoding(), encoding(&mut c, &key), "{name}");
            assert_eq!(e.expire_at(), pexpiretime(&mut c, &key), "{name}");
            n += 1;
        }
    }
    assert_eq!(n, entries.len());
    assert!(n >= 60);
}

/// Entries built in the test from shoal's own types: every encoding, TTLs, three databases.
fn shoal_entries(now: u64) -> Vec<(u64, Vec<u8>, Entry)> {
    // The same data as `populate`, built by running the commands on a shoal server would be
    // circular; build it here through the types' own insert methods instead.
    use shoal::keyspace::hash::Hash;
    use shoal::keyspace::list::List;
    use shoal::keyspace::set::Set;
    use shoal::keyspace::zset::ZSet;
    use shoal::keyspace::Str;
    let mut out = Vec::new();
    for db in [0u64, 2, 9] {
        let mut add = |k: &str, v: Value, ttl: u64| {
            let at = if ttl > 0 { now + ttl } else { 0 };
            out.push((db, k.as_bytes().to_vec(), Entry::loaded(v, at, 0)));
        };
        add("s:int", Value::Str(Str::Int(-42)), 0);
        add("s:i64", Value::Str(Str::Int(i64::MAX)), 0);
        add("s:emb", Value::Str(Str::from_bytes(b"hello")), 50_000);
        add("s:raw", Value::Str(Str::from_bytes(&big(300, 4))), 0);
        add(
            "s:bin",
            Value::Str(Str::from_bytes(&(0..=255u8).rev().collect::<Vec<_>>())),
            0,
        );
        let mut l = List::new();
        for i in 0..3000 {
            l.items.push_back(format!("item{i}").into_bytes().into());
        }
        l.items.push_back(big(20_000, 5).into());
        l.items.push_back(b"-12".to_vec().into());
        add("l:big", Value::List(Box::new(l)), 70_000);
        let mut l = List::new();
        l.items.push_back(b"x".to_vec().into());
        add("l:small", Value::List(Box::new(l)), 0);
        let mut s = Set::for_first(b"1");
        for i in [5i64, -70000, 3_000_000_000, 1] {
            s.insert(i.to_string().as_bytes());
        }
        add("set:int", Value::Set(Box::new(s)), 0);
        let mut s = Set::for_first(b"a");
        for i in 0..700 {
            s.insert(format!("m{i}").as_bytes());
        }
        add("set:big", Value::Set(Box::new(s)), 0);
        let mut s = Set::for_first(b"a");
        s.insert(b"a");
        s.insert(b"b");
        add("set:small", Value::Set(Box::new(s)), 0);
        let mut h = Hash::new();
        h.set(b"f", b"1");
        h.set(b"g", b"two");
        add("h:small", Value::Hash(h), 90_000);
        let mut h = Hash::new();
        for i in 0..700 {
            h.set(format!("f{i}").as_bytes(), format!("{i}").as_bytes());
        }
        add("h:many", Value::Hash(h), 0);
        let mut h = Hash::new();
        h.set(b"f", &big(65, 6));
        add("h:long", Value::Hash(h), 0);
        let mut z = ZSet::default();
        for (s, m) in [(1.5, "a"), (f64::NEG_INFINITY, "b"), (3.0, "c"), (0.1, "d")] {
            z.insert(s, m.as_bytes());
        }
        add("z:small", Value::ZSet(Box::new(z)), 0);
        let mut z = ZSet::default();
        for i in 0..200 {
            z.insert(i as f64 * 1.25, format!("zm{i}").as_bytes());
        }
        add("z:big", Value::ZSet(Box::new(z)), 120_000);
        add("st", Value::Stream(Box::new(sample_stream())), 0);
        add("st:empty", Value::Stream(Box::default()), 0);
    }
    out
}

/// A stream with two nodes' worth of entries, a deletion, a group with a PEL and consumers.
fn sample_stream() -> shoal::keyspace::stream::Stream {
    use shoal::keyspace::stream::{Consumer, Group, IdArg, Pending, Stream, StreamId};
    let mut s = Stream::new();
    for i in 1..=120u64 {
        let v = format!("v{i}");
        let pairs: Vec<&[u8]> = if i % 10 == 0 {
            vec![b"other", v.as_bytes()]
        } else {
            vec![b"f", v.as_bytes(), b"n", b"12"]
        };
        s.add(Some(IdArg::Id(StreamId::new(i, 0))), 0, pairs.into_iter())
            .unwrap();
    }
    s.delete(&[StreamId::new(5, 0)]);
    s.max_deleted = StreamId::new(5, 0);
    let mut g = Group::new(StreamId::new(3, 0), 3);
    for i in [1u64, 3] {
        g.pel.insert(
            StreamId::new(i, 0),
            Pending {
                consumer: b"alice".to_vec().into(),
                delivery_time: 1_700_000_000_000 + i,
                delivery_count: i,
            },
        );
    }
    g.consumers.insert(
        b"alice".to_vec().into(),
        Consumer {
            seen_time: 1_700_000_000_500,
            pel: [StreamId::new(1, 0), StreamId::new(3, 0)]
                .into_iter()
                .collect(),
        },
    );
    g.consumers
        .insert(b"bob".to_vec().into(), Consumer::default());
    s.groups.insert(b"g".to_vec().into(), g);
    s
}

fn write_rdb(entries: &[(u64, Vec<u8>, Entry)], now: u64) -> Vec<u8> {
    let mut w = RdbWriter::new(Vec::new()).unwrap();
    w.aux_defaults(1_000_000, false).unwrap();
    let mut dbs: Vec<u64> = entries.iter().map(|e| e.0).collect();
    dbs.dedup();
    for db in dbs {
        let mine: Vec<_> = entries.iter().filter(|e| e.0 == db).collect();
        let exp = mine.iter().filter(|e| e.2.expire_at().is_some()).count();
        w.select_db(db, mine.len() as u64, exp as u64).unwrap();
        for (_, k, e) in mine {
            w.entry(k, e, now).unwrap();
        }
    }
    w.finish().unwrap()
}

#[test]
fn a_file_written_by_shoal_loads_in_redis_and_passes_redis_check_rdb() {
    if !have_redis() {
        return;
    }
    let now = shoal::clock::now_ms();
    let entries = shoal_entries(now);
    let bytes = write_rdb(&entries, now);

    let tmp = std::env::temp_dir().join(format!("shoal-rdb-check-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let path = tmp.join("shoal.rdb");
    std::fs::write(&path, &bytes).unwrap();
    let out = Command::new("redis-check-rdb").arg(&path).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("RDB looks OK"), "{text}");
    assert!(
        text.contains(&format!("{} keys read", entries.len())),
        "{text}"
    );
    // Our own checker agrees, and rejects a damaged copy.
    let rep = check_rdb(&path).unwrap();
    assert_eq!(rep.keys, entries.len() as u64);
    let bin = env!("CARGO_BIN_EXE_shoal-server");
    let ok = Command::new(bin)
        .arg("--check-rdb")
        .arg(&path)
        .output()
        .unwrap();
    assert!(ok.status.success());
    assert!(String::from_utf8_lossy(&ok.stdout).contains("RDB looks OK"));
    let cut = tmp.join("cut.rdb");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let bad = Command::new(bin)
        .arg("--check-rdb")
        .arg(&cut)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stdout).contains("RDB ERROR DETECTED"));
    std::fs::remove_dir_all(&tmp).unwrap();

    let r = Redis::start(Some(&bytes));
    let mut c = r.client();
    let shoal = Server::start(&[]);
    let mut sc = shoal.client();
    for (db, key, e) in &entries {
        let _: () = redis::cmd("SELECT").arg(*db).query(&mut c).unwrap();
        let name = String::from_utf8_lossy(key).into_owned();
        assert_eq!(fetch(&mut c, key), expected(&e.value, &mut sc), "{name}");
        assert_eq!(encoding(&mut c, key), e.value.encoding(), "{name}");
        assert_eq!(pexpiretime(&mut c, key), e.expire_at(), "{name}");
    }
    let _: () = redis::cmd("SELECT").arg(0).query(&mut c).unwrap();
    let xlen: i64 = redis::cmd("XLEN").arg("st").query(&mut c).unwrap();
    assert_eq!(xlen, 119);
    let total: usize = [0u64, 2, 9].iter().map(|&db| keys(&mut c, db).len()).sum();
    assert_eq!(total, entries.len());
}

#[test]
fn redis_check_rdb_accepts_what_shoal_check_rdb_accepts_on_a_redis_file() {
    if !have_redis() {
        return;
    }
    let r = Redis::start(None);
    let mut c = r.client();
    populate(&mut c);
    r.save();
    let path = r.dir.join("dump.rdb");
    let out = Command::new(env!("CARGO_BIN_EXE_shoal-server"))
        .arg("--check-rdb")
        .arg(&path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("Checksum OK") && text.contains("RDB looks OK"),
        "{text}"
    );
    let redis_says = Command::new("redis-check-rdb").arg(&path).output().unwrap();
    let rt = String::from_utf8_lossy(&redis_says.stdout);
    let keys_line = |t: &str| {
        t.lines()
            .find(|l| l.contains("keys read"))
            .map(str::to_string)
    };
    assert_eq!(keys_line(&text), keys_line(&rt));
}

/// Every event of a file, checked to end with EOF.
fn events(bytes: &[u8]) -> Vec<RdbEvent> {
    let ev: Vec<RdbEvent> = RdbReader::new(bytes)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(matches!(ev.last(), Some(RdbEvent::Eof { .. })));
    ev
}

#[test]
fn redis_files_with_functions_lru_lfu_info_and_no_checksum_read() {
    if !have_redis() {
        return;
    }
    // A function library, and LRU idle times.
    let r = Redis::start_with(None, &["--maxmemory-policy", "allkeys-lru"]);
    let mut c = r.client();
    let code = "#!lua name=mylib\nredis.register_function('f', function() return 1 end)";
    let _: String = redis::cmd("FUNCTION")
        .arg("LOAD")
        .arg(code)
        .query(&mut c)
        .unwrap();
    let _: () = redis::cmd("SET").arg("k").arg("v").query(&mut c).unwrap();
    let ev = events(&r.save());
    assert!(ev
        .iter()
        .any(|e| matches!(e, RdbEvent::Function { code: c } if c == code.as_bytes())));
    assert!(ev.iter().any(|e| matches!(
        e,
        RdbEvent::Entry {
            idle: Some(_),
            freq: None,
            ..
        }
    )));
    drop(r);
    // LFU counters, and a file saved without a checksum.
    let r = Redis::start_with(
        None,
        &["--maxmemory-policy", "allkeys-lfu", "--rdbchecksum", "no"],
    );
    let mut c = r.client();
    let _: () = redis::cmd("SET").arg("k").arg("v").query(&mut c).unwrap();
    let ev = events(&r.save());
    assert!(ev.iter().any(|e| matches!(
        e,
        RdbEvent::Entry {
            idle: None,
            freq: Some(_),
            ..
        }
    )));
    assert!(matches!(
        ev.last(),
        Some(RdbEvent::Eof {
            checksum: Checksum::NotComputed
        })
    ));
}

#[test]
fn a_keyspace_snapshot_written_through_rdb_encoder_loads_in_redis() {
    if !have_redis() {
        return;
    }
    use shoal::keyspace::Keyspace;
    use shoal::persistence::rdb::RDB_ENCODER;
    let now = shoal::clock::now_ms();
    let entries = shoal_entries(now);
    let ks = Keyspace::new(16, 16);
    for (db, key, e) in &entries {
        let mut l = ks.lock_keys([&key[..]].into_iter(), *db as usize, now);
        l.insert(key, e.value.clone(), e.expire_at().unwrap_or(0));
    }
    let mut w = RdbWriter::new(Vec::new()).unwrap();
    w.aux_defaults(0, false).unwrap();
    ks.snapshot(&RDB_ENCODER, now, |chunk| w.chunk(chunk))
        .unwrap();
    let bytes = w.finish().unwrap();
    let r = Redis::start(Some(&bytes));
    let mut c = r.client();
    let shoal = Server::start(&[]);
    let mut sc = shoal.client();
    for (db, key, e) in &entries {
        let _: () = redis::cmd("SELECT").arg(*db).query(&mut c).unwrap();
        let name = String::from_utf8_lossy(key).into_owned();
        assert_eq!(fetch(&mut c, key), expected(&e.value, &mut sc), "{name}");
        assert_eq!(pexpiretime(&mut c, key), e.expire_at(), "{name}");
    }
}
