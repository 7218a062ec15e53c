//! A real redis-server 7.0.15 for the RDB and DUMP/RESTORE tests: started on a free loopback
//! port in its own directory and ended by its own PID; data of every type and encoding; values
//! in a comparable form, from a server or from shoal's types.
#![allow(dead_code)]

use crate::support::{free_port, read_reply, resp};
use redis::Value as RV;
use shoal::keyspace::Value;
use std::collections::BTreeMap;
use std::io::Write;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const REDIS: &str = "/usr/bin/redis-server";

pub fn have_redis() -> bool {
    if Path::new(REDIS).exists() {
        return true;
    }
    eprintln!("skipped: {REDIS} is not installed");
    false
}

/// A redis-server started by a test on a free port, with its own data directory; ended by its
/// own PID when dropped, and its directory removed.
pub struct Redis {
    pub port: u16,
    child: Child,
    pub dir: PathBuf,
}

impl Redis {
    /// Starts redis-server in a fresh directory, loading `rdb` as its dump.rdb if given.
    pub fn start(rdb: Option<&[u8]>) -> Redis {
        Redis::start_with(rdb, &[])
    }

    /// Like [`Redis::start`], with extra redis.conf-style arguments.
    pub fn start_with(rdb: Option<&[u8]>, extra: &[&str]) -> Redis {
        // A name of its own: two tests asking for a free port at once can be given the same one.
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("shoal-rdb-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        if let Some(b) = rdb {
            std::fs::write(dir.join("dump.rdb"), b).unwrap();
        }
        Redis::start_with_dir(&dir, extra)
    }

    /// Starts redis-server with `dir` as its `dir` (its files are loaded; the directory is
    /// removed when the server is dropped), with extra arguments.
    pub fn start_with_dir(dir: &Path, extra: &[&str]) -> Redis {
        let dir = dir.to_path_buf();
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
            if r.wait_ready() && r.wait_loaded() {
                return r;
            }
            // Try again on another port, in the same directory: dropping `r` would remove it (and
            // the dump.rdb to load), so that every later attempt failed at once.
            let _ = r.child.kill();
            let _ = r.child.wait();
            r.dir = PathBuf::new();
        }
        panic!("redis-server did not start");
    }

    fn wait_ready(&mut self) -> bool {
        crate::support::wait_listening(&mut self.child, self.port).unwrap_or(false)
    }

    /// Waits until the server has loaded its files: it answers INFO while loading, and other
    /// commands with -LOADING.
    fn wait_loaded(&self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut c = self.client();
        while Instant::now() < deadline {
            let info: String = redis::cmd("INFO")
                .arg("persistence")
                .query(&mut c)
                .unwrap_or_default();
            if info.contains("loading:0") {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// The server's process id (ours: started by this test).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn client(&self) -> redis::Connection {
        redis::Client::open(format!("redis://127.0.0.1:{}/", self.port))
            .unwrap()
            .get_connection()
            .unwrap()
    }

    /// Runs SAVE and returns the bytes of dump.rdb.
    pub fn save(&self) -> Vec<u8> {
        let mut c = self.client();
        let _: () = redis::cmd("SAVE").query(&mut c).unwrap();
        std::fs::read(self.dir.join("dump.rdb")).unwrap()
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // An empty `dir`: a failed start, whose directory the next attempt uses.
        if !self.dir.as_os_str().is_empty() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

pub fn big(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| b'a' + ((i * 7 + seed as usize) % 26) as u8)
        .collect()
}

/// Commands that build keys of every type and encoding, small and big, some with TTLs, in
/// databases 0, 1 and 5. Both servers run them.
pub fn populate(c: &mut redis::Connection) {
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
pub type Canon = (String, Vec<Vec<u8>>);

pub fn canon(v: &Value) -> Canon {
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
pub fn expected(v: &Value, shoal: &mut redis::Connection) -> Canon {
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
pub fn flatten(v: RV, out: &mut Vec<Vec<u8>>) {
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

pub fn bytes_list(v: RV) -> Vec<Vec<u8>> {
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

/// A flattened reply without the value that follows each of the field `names` (the names stay).
pub fn without_values_of(flat: Vec<Vec<u8>>, names: &[&[u8]]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut skip = false;
    for x in flat {
        if skip {
            skip = false;
            continue;
        }
        skip = names.contains(&&x[..]);
        out.push(x);
    }
    out
}

/// The same form read from a live server.
pub fn fetch(c: &mut redis::Connection, key: &[u8]) -> Canon {
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
            without_values_of(flat, &[b"radix-tree-keys", b"radix-tree-nodes"])
        }
        other => panic!("unexpected type {other}"),
    };
    (t, items)
}

pub fn encoding(c: &mut redis::Connection, key: &[u8]) -> String {
    redis::cmd("OBJECT")
        .arg("ENCODING")
        .arg(key)
        .query(c)
        .unwrap()
}

pub fn pexpiretime(c: &mut redis::Connection, key: &[u8]) -> Option<u64> {
    let t: i64 = redis::cmd("PEXPIRETIME").arg(key).query(c).unwrap();
    (t > 0).then_some(t as u64)
}

pub fn keys(c: &mut redis::Connection, db: u64) -> Vec<Vec<u8>> {
    let _: () = redis::cmd("SELECT").arg(db).query(c).unwrap();
    let mut k: Vec<Vec<u8>> = redis::cmd("KEYS").arg("*").query(c).unwrap();
    k.sort();
    k
}

/// Parses a whole file into (db, key) -> entry, checking the checksum was verified.
/// Sends one command on a raw connection and returns the reply bytes as text.
pub fn raw_call(s: &mut TcpStream, args: &[&[u8]]) -> String {
    s.write_all(&resp(args)).unwrap();
    String::from_utf8_lossy(&read_reply(s)).into_owned()
}

pub fn raw(port: u16) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

/// A whole dataset: (database, key) -> (value, absolute expiry in unix ms).
pub type Contents = BTreeMap<(u64, Vec<u8>), (Canon, Option<u64>)>;

/// Every key of databases `dbs` with its value and absolute expiry. A stream consumer's
/// `seen-time` is left out: a replay sets it to the time of the replay (in Redis too).
pub fn contents(c: &mut redis::Connection, dbs: &[u64]) -> Contents {
    let mut out = BTreeMap::new();
    for &db in dbs {
        for k in keys(c, db) {
            let (t, mut items) = fetch(c, &k);
            if t == "stream" {
                items = without_values_of(items, &[b"seen-time"]);
            }
            let at = pexpiretime(c, &k);
            out.insert((db, k), ((t, items), at));
        }
    }
    let _: () = redis::cmd("SELECT").arg(0).query(c).unwrap();
    out
}

/// Asserts two [`contents`] are equal, naming the first key that differs.
#[track_caller]
pub fn assert_same(got: &Contents, want: &Contents) {
    for (k, v) in want {
        match got.get(k) {
            None => panic!("{:?} missing", (k.0, String::from_utf8_lossy(&k.1))),
            Some(g) if g != v => panic!(
                "{:?} differs: {:?} != {:?}",
                (k.0, String::from_utf8_lossy(&k.1)),
                (
                    &g.0 .0,
                    g.0 .1.len(),
                    g.1,
                    g.0 .1
                        .iter()
                        .take(12)
                        .map(|x| String::from_utf8_lossy(x).into_owned())
                        .collect::<Vec<_>>()
                ),
                (
                    &v.0 .0,
                    v.0 .1.len(),
                    v.1,
                    v.0 .1
                        .iter()
                        .take(12)
                        .map(|x| String::from_utf8_lossy(x).into_owned())
                        .collect::<Vec<_>>()
                )
            ),
            _ => {}
        }
    }
    for k in got.keys() {
        assert!(
            want.contains_key(k),
            "{:?} unexpected",
            (k.0, String::from_utf8_lossy(&k.1))
        );
    }
}
