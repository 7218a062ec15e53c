//! The RDB codec against redis-server 7.0.15 itself: files Redis writes are read by
//! `RdbReader` with equal contents and encodings, files `RdbWriter` writes load in Redis (and
//! pass redis-check-rdb), and DUMP payloads go both ways between Redis and shoal.
//!
//! These tests always need both servers (they ignore SHOAL_TEST_AGAINST); they skip with a
//! message when /usr/bin/redis-server is absent.
mod support;
use support::*;

use redis::Value as RV;
use shoal::keyspace::{Entry, Value};
use shoal::persistence::rdb::{check_rdb, Checksum, RdbEvent, RdbReader, RdbWriter};
use std::collections::BTreeMap;
use std::io::Write;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const REDIS: &str = "/usr/bin/redis-server";

fn have_redis() -> bool {
    if Path::new(REDIS).exists() {
        return true;
    }
    eprintln!("skipped: {REDIS} is not installed");
    false
}

/// A redis-server started by a test on a free port, with its own data directory; ended by its
/// own PID when dropped, and its directory removed.
struct Redis {
    port: u16,
    child: Child,
    dir: PathBuf,
}

impl Redis {
    /// Starts redis-server in a fresh directory, loading `rdb` as its dump.rdb if given.
    fn start(rdb: Option<&[u8]>) -> Redis {
        Redis::start_with(rdb, &[])
    }

    /// Like [`Redis::start`], with extra redis.conf-style arguments.
    fn start_with(rdb: Option<&[u8]>, extra: &[&str]) -> Redis {
        let dir =
            std::env::temp_dir().join(format!("shoal-rdb-{}-{}", std::process::id(), free_port()));
        std::fs::create_dir_all(&dir).unwrap();
        if let Some(b) = rdb {
            std::fs::write(dir.join("dump.rdb"), b).unwrap();
        }
        for _ in 0..5 {
            let port = free_port();
            let child = Command::new(REDIS)
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--dir", dir.to_str().unwrap(), "--dbfilename", "dump.rdb"])
                .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
                .args(extra)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn redis-server");
            let mut r = Redis {
                port,
                child,
                dir: dir.clone(),
            };
            if r.wait_ready() {
                return r;
            }
            let _ = r.child.kill();
            let _ = r.child.wait();
        }
        panic!("redis-server did not start");
    }

    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self.child.try_wait().unwrap().is_some() {
                return false;
            }
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) {
                s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                s.write_all(b"INFO server\r\n").unwrap();
                let r = read_reply(&mut s);
                let text = String::from_utf8_lossy(&r);
                if let Some(pid) = text.split("process_id:").nth(1) {
                    let pid = pid.split("\r\n").next().unwrap_or("").trim();
                    return pid == self.child.id().to_string();
                }
            }
            std::thread::sleep(Duration::from_millis(30));
        }
        false
    }

    fn client(&self) -> redis::Connection {
        redis::Client::open(format!("redis://127.0.0.1:{}/", self.port))
            .unwrap()
            .get_connection()
            .unwrap()
    }

    /// Runs SAVE and returns the bytes of dump.rdb.
    fn save(&self) -> Vec<u8> {
        let mut c = self.client();
        let _: () = redis::cmd("SAVE").query(&mut c).unwrap();
        std::fs::read(self.dir.join("dump.rdb")).unwrap()
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn big(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| b'a' + ((i * 7 + seed as usize) % 26) as u8)
        .collect()
}

/// Commands that build keys of every type and encoding, small and big, some with TTLs, in
/// databases 0, 1 and 5. Both servers run them.
fn populate(c: &mut redis::Connection) {
    let q = |c: &mut redis::Connection, args: Vec<Vec<u8>>| {
        let mut cmd = redis::cmd(std::str::from_utf8(&args[0]).unwrap());
        for a in &args[1..] {
            cmd.arg(&a[..]);
        }
        let _: RV = cmd.query(c).unwrap();
    };
    let w = |s: &str| -> Vec<Vec<u8>> { s.split(' ').map(|x| x.as_bytes().to_vec()).collect() };
    let with = |s: &str, extra: Vec<Vec<u8>>| -> Vec<Vec<u8>> {
        let mut v = w(s);
        v.extend(extra);
        v
    };
    for db in [0, 1, 5] {
        q(c, w(&format!("SELECT {db}")));
        q(c, w("SET s:int 12345"));
        q(c, w("SET s:neg -7"));
        q(c, w("SET s:i64 5000000000"));
        q(c, w("SET s:emb hello"));
        q(c, w("SET s:lead0 0123"));
        q(c, with("SET s:raw", vec![big(100, db)]));
        q(c, with("SET s:lzf", vec![b"abc".repeat(200)]));
        q(c, with("SET s:bin", vec![(0..=255u8).collect()]));
        q(c, w("RPUSH l:small a b c 1 2 -300 70000 5000000000"));
        for chunk in 0..10 {
            let items = (0..500).map(|i| format!("element-{}", chunk * 500 + i).into_bytes());
            q(c, with("RPUSH l:big", items.collect()));
        }
        q(
            c,
            with("RPUSH l:huge a", vec![big(100_000, 3), b"b".to_vec()]),
        );
        q(c, w("SADD set:int 1 2 3 -5 100000"));
        q(c, w("SADD set:int64 9223372036854775807 -1"));
        q(c, w("SADD set:small a b c"));
        q(
            c,
            with(
                "SADD set:big",
                (0..1000)
                    .map(|i| format!("member:{i}").into_bytes())
                    .collect(),
            ),
        );
        q(
            c,
            with(
                "SADD set:manyints",
                (0..600).map(|i| (i * 3).to_string().into_bytes()).collect(),
            ),
        );
        q(c, w("HSET h:small f1 v1 f2 22 f3 -1"));
        q(c, with("HSET h:long f", vec![big(100, 1)]));
        let mut many = w("HSET h:many");
        for i in 0..600 {
            many.push(format!("f{i}").into_bytes());
            many.push(format!("v{i}").into_bytes());
        }
        q(c, many);
        q(c, w("ZADD z:small 1 a 2.5 b -3 c inf d 0.1 e 1e300 f"));
        let mut zb = w("ZADD z:big");
        for i in 0..300 {
            zb.push(format!("{}", i as f64 / 3.0).into_bytes());
            zb.push(format!("zm{i}").into_bytes());
        }
        q(c, zb);
        q(c, with("ZADD z:long 1", vec![big(100, 2)]));
        q(c, w("XADD st 1-1 a 1 b hello"));
        q(c, w("XADD st 1-2 a 2 b x"));
        q(c, w("XADD st 1-3 c only"));
        q(c, w("XADD st 2-0 a 1 b 2 c 3"));
        for i in 0..150 {
            q(
                c,
                with(
                    &format!("XADD st {}-{} f", 10 + i, i % 3),
                    vec![format!("v{i}").into_bytes()],
                ),
            );
        }
        q(c, with("XADD st 500-0 big", vec![big(5000, 9)]));
        q(c, w("XDEL st 1-2"));
        q(c, w("XGROUP CREATE st g1 0"));
        q(c, w("XGROUP CREATE st g2 $"));
        q(c, w("XREADGROUP GROUP g1 alice COUNT 2 STREAMS st >"));
        q(c, w("XREADGROUP GROUP g1 bob COUNT 1 STREAMS st >"));
        q(c, w("XACK st g1 1-1"));
        q(c, w("XGROUP CREATECONSUMER st g2 carol"));
        q(c, w("XGROUP CREATE st:empty g0 $ MKSTREAM"));
        q(c, w("XADD st:del 1-1 x y"));
        q(c, w("XDEL st:del 1-1"));
        q(c, w("PEXPIRE st 600000"));
        q(c, w("PEXPIRE s:emb 100000"));
        q(c, w("PEXPIRE l:small 200000"));
        q(c, w("EXPIRE h:many 300"));
        q(c, w("EXPIRE z:big 400"));
        q(c, w("EXPIRE set:int 500"));
    }
    q(c, w("SELECT 0"));
}

/// A value in a comparable form: type name, then its elements (sets and hashes sorted),
/// zset scores as Redis prints them.
type Canon = (String, Vec<Vec<u8>>);

fn canon(v: &Value) -> Canon {
    use shoal::commands::zsets::format_score;
    let items: Vec<Vec<u8>> = match v {
        Value::Str(s) => vec![s.to_vec()],
        Value::List(l) => l.items.iter().map(|x| x.to_vec()).collect(),
        Value::Set(s) => {
            let mut m: Vec<Vec<u8>> = s.iter().map(|m| m.to_vec()).collect();
            m.sort();
            m
        }
        Value::Hash(h) => {
            let mut p: Vec<(Vec<u8>, Vec<u8>)> =
                h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect();
            p.sort();
            p.into_iter().flat_map(|(f, v)| [f, v]).collect()
        }
        Value::ZSet(z) => z
            .iter()
            .flat_map(|(s, m)| [m.to_vec(), format_score(s).into_bytes()])
            .collect(),
        Value::Stream(_) => panic!("streams are compared through a shoal server (expected())"),
    };
    (v.type_name().to_string(), items)
}

/// What a server should show for `v`: [`canon`], or for a stream (whose full form is XINFO
/// STREAM FULL) what a shoal server shows after restoring it.
fn expected(v: &Value, shoal: &mut redis::Connection) -> Canon {
    if !matches!(v, Value::Stream(_)) {
        return canon(v);
    }
    let p = shoal::persistence::rdb::dump_payload(v);
    let _: () = redis::cmd("RESTORE")
        .arg("__probe")
        .arg(0)
        .arg(&p)
        .arg("REPLACE")
        .query(shoal)
        .unwrap();
    fetch(shoal, b"__probe")
}

/// A reply flattened to byte strings, arrays bracketed.
fn flatten(v: RV, out: &mut Vec<Vec<u8>>) {
    match v {
        RV::BulkString(b) => out.push(b),
        RV::Int(n) => out.push(n.to_string().into_bytes()),
        RV::SimpleString(s) => out.push(s.into_bytes()),
        RV::Okay => out.push(b"OK".to_vec()),
        RV::Nil => out.push(b"(nil)".to_vec()),
        RV::Array(items) => {
            out.push(b"[".to_vec());
            for x in items {
                flatten(x, out);
            }
            out.push(b"]".to_vec());
        }
        other => panic!("unexpected reply {other:?}"),
    }
}

fn bytes_list(v: RV) -> Vec<Vec<u8>> {
    match v {
        RV::Array(items) => items
            .into_iter()
            .map(|x| match x {
                RV::BulkString(b) => b,
                other => panic!("not a bulk: {other:?}"),
            })
            .collect(),
        other => panic!("not an array: {other:?}"),
    }
}

/// The same form read from a live server.
fn fetch(c: &mut redis::Connection, key: &[u8]) -> Canon {
    let t: String = redis::cmd("TYPE").arg(key).query(c).unwrap();
    let q = |c: &mut redis::Connection, cmd: &mut redis::Cmd| -> Vec<Vec<u8>> {
        bytes_list(cmd.query(c).unwrap())
    };
    let items = match t.as_str() {
        "string" => {
            let v: Vec<u8> = redis::cmd("GET").arg(key).query(c).unwrap();
            vec![v]
        }
        "list" => q(c, redis::cmd("LRANGE").arg(key).arg(0).arg(-1)),
        "set" => {
            let mut m = q(c, redis::cmd("SMEMBERS").arg(key));
            m.sort();
            m
        }
        "hash" => {
            let flat = q(c, redis::cmd("HGETALL").arg(key));
            let mut p: Vec<(Vec<u8>, Vec<u8>)> = flat
                .chunks(2)
                .map(|p| (p[0].clone(), p[1].clone()))
                .collect();
            p.sort();
            p.into_iter().flat_map(|(f, v)| [f, v]).collect()
        }
        "zset" => q(
            c,
            redis::cmd("ZRANGE")
                .arg(key)
                .arg(0)
                .arg(-1)
                .arg("WITHSCORES"),
        ),
        "stream" => {
            let v: RV = redis::cmd("XINFO")
                .arg("STREAM")
                .arg(key)
                .arg("FULL")
                .arg("COUNT")
                .arg(0)
                .query(c)
                .unwrap();
            let mut flat = Vec::new();
            flatten(v, &mut flat);
            // The radix tree figures depend on the node layout, which differs by design.
            let mut out = Vec::new();
            let mut skip = false;
            for x in flat {
                if skip {
                    skip = false;
                    continue;
                }
                skip = x == b"radix-tree-keys" || x == b"radix-tree-nodes";
                out.push(x);
            }
            out
        }
        other => panic!("unexpected type {other}"),
    };
    (t, items)
}

fn encoding(c: &mut redis::Connection, key: &[u8]) -> String {
    redis::cmd("OBJECT")
        .arg("ENCODING")
        .arg(key)
        .query(c)
        .unwrap()
}

fn pexpiretime(c: &mut redis::Connection, key: &[u8]) -> Option<u64> {
    let t: i64 = redis::cmd("PEXPIRETIME").arg(key).query(c).unwrap();
    (t > 0).then_some(t as u64)
}

fn keys(c: &mut redis::Connection, db: u64) -> Vec<Vec<u8>> {
    let _: () = redis::cmd("SELECT").arg(db).query(c).unwrap();
    let mut k: Vec<Vec<u8>> = redis::cmd("KEYS").arg("*").query(c).unwrap();
    k.sort();
    k
}

/// Parses a whole file into (db, key) -> entry, checking the checksum was verified.
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
        add("h:small", Value::Hash(Box::new(h)), 90_000);
        let mut h = Hash::new();
        for i in 0..700 {
            h.set(format!("f{i}").as_bytes(), format!("{i}").as_bytes());
        }
        add("h:many", Value::Hash(Box::new(h)), 0);
        let mut h = Hash::new();
        h.set(b"f", &big(65, 6));
        add("h:long", Value::Hash(Box::new(h)), 0);
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
    w.aux_defaults(1_000_000).unwrap();
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

/// Sends one command on a raw connection and returns the reply bytes as text.
fn raw_call(s: &mut TcpStream, args: &[&[u8]]) -> String {
    s.write_all(&resp(args)).unwrap();
    String::from_utf8_lossy(&read_reply(s)).into_owned()
}

fn raw(port: u16) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

#[test]
fn dump_payloads_restore_across_redis_and_shoal_with_equal_contents() {
    if !have_redis() {
        return;
    }
    let r = Redis::start(None);
    let shoal = Server::start(&[]);
    let mut rc = r.client();
    let mut sc = shoal.client();
    populate(&mut rc);
    populate(&mut sc);
    for db in [0u64, 1, 5] {
        let ks = keys(&mut rc, db);
        assert_eq!(ks, keys(&mut sc, db));
        for key in ks {
            let name = String::from_utf8_lossy(&key).into_owned();
            let want = fetch(&mut rc, &key);
            // Redis -> shoal.
            let p: Vec<u8> = redis::cmd("DUMP").arg(&key).query(&mut rc).unwrap();
            let _: () = redis::cmd("RESTORE")
                .arg(b"copy")
                .arg(0)
                .arg(&p)
                .arg("REPLACE")
                .query(&mut sc)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(fetch(&mut sc, b"copy"), want, "{name} redis->shoal");
            assert_eq!(
                encoding(&mut sc, b"copy"),
                encoding(&mut rc, &key),
                "{name}"
            );
            // shoal -> Redis.
            let p: Vec<u8> = redis::cmd("DUMP").arg(&key).query(&mut sc).unwrap();
            let _: () = redis::cmd("RESTORE")
                .arg(b"copy")
                .arg(0)
                .arg(&p)
                .arg("REPLACE")
                .query(&mut rc)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            // Streams carry delivery and seen times, which differ between the two servers.
            let theirs = fetch(&mut sc, &key);
            assert_eq!(fetch(&mut rc, b"copy"), theirs, "{name} shoal->redis");
            if theirs.0 == "stream" {
                // Our nodes are cut where Redis cuts them: as many radix tree keys.
                let radix = |c: &mut redis::Connection, k: &[u8]| -> i64 {
                    let v: Vec<RV> = redis::cmd("XINFO").arg("STREAM").arg(k).query(c).unwrap();
                    match &v[3] {
                        RV::Int(n) => *n,
                        other => panic!("{other:?}"),
                    }
                };
                assert_eq!(
                    radix(&mut rc, b"copy"),
                    radix(&mut rc, &key),
                    "{name} nodes"
                );
            }
            assert_eq!(
                encoding(&mut rc, b"copy"),
                encoding(&mut sc, &key),
                "{name}"
            );
        }
    }
}

#[test]
fn restore_replies_and_errors_match_redis() {
    if !have_redis() {
        return;
    }
    let r = Redis::start(None);
    let shoal = Server::start(&[]);
    let mut rr = raw(r.port);
    let mut ss = raw(shoal.port);
    let mut both = |args: &[&[u8]]| -> String {
        let a = raw_call(&mut rr, args);
        let b = raw_call(&mut ss, args);
        assert_eq!(
            b,
            a,
            "{:?}",
            args.iter()
                .map(|x| String::from_utf8_lossy(x))
                .collect::<Vec<_>>()
        );
        a
    };
    both(&[b"SET", b"k", b"v"]);
    both(&[b"RPUSH", b"l", b"a", b"b"]);
    let p = {
        let mut s = raw(r.port);
        s.write_all(&resp(&[b"DUMP", b"k"])).unwrap();
        let rep = read_reply(&mut s);
        let start = rep.iter().position(|&b| b == b'\n').unwrap() + 1;
        rep[start..rep.len() - 2].to_vec()
    };
    assert_eq!(both(&[b"DUMP", b"nosuch"]), NIL);
    assert_eq!(
        both(&[b"RESTORE", b"k", b"0", &p]),
        err("BUSYKEY Target key name already exists.")
    );
    both(&[b"RESTORE", b"k", b"-1", &p, b"REPLACE"]);
    both(&[b"RESTORE", b"k", b"abc", &p, b"REPLACE"]);
    both(&[b"RESTORE", b"n", b"0", b"\x00\x01", b"REPLACE"]);
    both(&[b"RESTORE", b"n", b"0", b"junkjunkjunkjunk"]);
    let mut bad = p.clone();
    bad[1] ^= 0x20;
    both(&[b"RESTORE", b"n", b"0", &bad]);
    both(&[b"RESTORE", b"n", b"0", &p, b"IDLETIME", b"-1"]);
    both(&[b"RESTORE", b"n", b"0", &p, b"IDLETIME", b"x"]);
    both(&[b"RESTORE", b"n", b"0", &p, b"FREQ", b"256"]);
    both(&[b"RESTORE", b"n", b"0", &p, b"FREQ", b"1", b"IDLETIME", b"1"]);
    both(&[b"RESTORE", b"n", b"0", &p, b"IDLETIME"]);
    both(&[b"RESTORE", b"n", b"0", &p, b"BOGUS"]);
    both(&[b"RESTORE", b"n", b"0"]);
    both(&[b"DUMP"]);
    // A past absolute TTL stores nothing; REPLACE deletes the old key.
    assert_eq!(
        both(&[b"RESTORE", b"l", b"1", &p, b"ABSTTL", b"REPLACE"]),
        OK
    );
    assert_eq!(both(&[b"EXISTS", b"l"]), int(0));
    assert_eq!(
        both(&[b"RESTORE", b"n", b"0", &p, b"IDLETIME", b"1000"]),
        OK
    );
    assert_eq!(both(&[b"RESTORE", b"t", b"5000", &p]), OK);
    assert_eq!(both(&[b"RESTORE", b"huge", b"9223372036854775807", &p]), OK);
    assert_eq!(both(&[b"EXISTS", b"huge"]), int(0));
    let mut longer = p.clone();
    longer.push(b'x');
    both(&[b"RESTORE", b"x", b"0", &longer]);
    assert_eq!(
        both(&[
            b"RESTORE",
            b"i",
            b"0",
            &p,
            b"IDLETIME",
            b"5",
            b"IDLETIME",
            b"7"
        ]),
        OK
    );
    both(&[
        b"RESTORE", b"i2", b"0", &p, b"REPLACE", b"REPLACE", b"ABSTTL",
    ]);
    assert_eq!(both(&[b"GET", b"t"]), bulk("v"));
    // Clocks move between the two calls: compare with a margin.
    let num = |s: &mut TcpStream, args: &[&[u8]]| -> i64 {
        let r = raw_call(s, args);
        r[1..r.len() - 2].parse().unwrap()
    };
    for s in [&mut rr, &mut ss] {
        let idle = num(s, &[b"OBJECT", b"IDLETIME", b"n"]);
        assert!((1000..=1002).contains(&idle), "{idle}");
        let pttl = num(s, &[b"PTTL", b"t"]);
        assert!((4000..=5000).contains(&pttl), "{pttl}");
    }
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
