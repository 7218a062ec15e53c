//! Real cluster clients through a reshard and a failover: redis-py's `RedisCluster`
//! (tests/clients/redis_py_cluster.py, pip package `redis==5.2.1`) and the `redis` crate's
//! cluster client each run a CRUD workload (SET/GET, INCR, HSET/HGETALL, LPUSH/LRANGE,
//! DEL/GET on fresh keys of many slots, every read checked) while 2000 slots move between
//! primaries and a replica takes over with `CLUSTER FAILOVER`. The clients' own MOVED/ASK
//! handling must hide both: no wrong read and no error reaches the workload.
//!
//! Written against Redis 7.0.15 (`SHOAL_TEST_AGAINST=redis`); runs unchanged against shoal.

mod support;

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::cluster::{set_many, Cluster};
use support::TempDir;

const NODE_TIMEOUT_MS: u64 = 3000;

/// Counts of one workload run.
#[derive(Debug, Default)]
struct Counts {
    rounds: u64,
    ops: u64,
    wrong: Vec<String>,
    errors: Vec<String>,
}

/// The same rounds as the Python script, through the `redis` crate's cluster client, until
/// `stop` or `max_time`. An error is counted and answered with a fresh connection (this sync
/// client reloads its slot map on MOVED only).
fn crate_workload(
    client: redis::cluster::ClusterClient,
    prefix: &str,
    stop: Arc<AtomicBool>,
    max_time: Duration,
) -> Counts {
    let mut n = Counts::default();
    let mut counters: HashMap<String, i64> = HashMap::new();
    let started = Instant::now();
    let mut conn = None;
    let mut i = 0u64;
    while !stop.load(Ordering::Relaxed) && started.elapsed() < max_time && i < 10_000_000 {
        let c = match conn.as_mut() {
            Some(c) => c,
            None => match client.get_connection() {
                Ok(c) => conn.insert(c),
                Err(e) => {
                    n.errors.push(format!("connect: {e}"));
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                }
            },
        };
        match crate_round(c, prefix, i, &mut counters, &mut n) {
            Ok(()) => n.rounds += 1,
            Err(e) => {
                if n.errors.len() < 10 {
                    n.errors.push(format!("round {i}: {e}"));
                } else {
                    n.errors.push(String::new());
                }
                conn = None;
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        i += 1;
    }
    n
}

fn crate_round(
    c: &mut redis::cluster::ClusterConnection,
    p: &str,
    i: u64,
    counters: &mut HashMap<String, i64>,
    n: &mut Counts,
) -> redis::RedisResult<()> {
    let mut check = |what: String, ok: bool| {
        n.ops += 1;
        if !ok {
            n.wrong.push(what);
        }
    };
    let s = format!("{p}:s:{i}");
    redis::cmd("SET")
        .arg(&s)
        .arg(format!("v{i}"))
        .query::<()>(c)?;
    let got: Option<String> = redis::cmd("GET").arg(&s).query(c)?;
    check(format!("GET {s}: {got:?}"), got == Some(format!("v{i}")));

    // Out of the model while the INCR is in flight: after an error its value is read again.
    let ck = format!("{p}:c:{}", i % 50);
    let prev = match counters.remove(&ck) {
        Some(v) => v,
        None => redis::cmd("GET")
            .arg(&ck)
            .query::<Option<i64>>(c)?
            .unwrap_or(0),
    };
    let v: i64 = redis::cmd("INCR").arg(&ck).query(c)?;
    check(format!("INCR {ck}: {v}, want {}", prev + 1), v == prev + 1);
    let got: Option<i64> = redis::cmd("GET").arg(&ck).query(c)?;
    check(format!("GET {ck}: {got:?}, want {v}"), got == Some(v));
    counters.insert(ck, v);

    let h = format!("{p}:h:{i}");
    redis::cmd("HSET")
        .arg(&h)
        .arg("a")
        .arg(i.to_string())
        .arg("b")
        .arg("x")
        .query::<()>(c)?;
    let got: HashMap<String, String> = redis::cmd("HGETALL").arg(&h).query(c)?;
    let want = HashMap::from([("a".to_string(), i.to_string()), ("b".into(), "x".into())]);
    check(format!("HGETALL {h}: {got:?}"), got == want);

    let l = format!("{p}:l:{i}");
    redis::cmd("LPUSH")
        .arg(&l)
        .arg("a")
        .arg("b")
        .query::<()>(c)?;
    let got: Vec<String> = redis::cmd("LRANGE").arg(&l).arg(0).arg(-1).query(c)?;
    check(format!("LRANGE {l}: {got:?}"), got == ["b", "a"]);

    redis::cmd("DEL").arg(&s).query::<()>(c)?;
    let got: Option<String> = redis::cmd("GET").arg(&s).query(c)?;
    check(format!("GET {s} after DEL: {got:?}"), got.is_none());
    Ok(())
}

/// The Python interpreter has redis-py, or the test fails saying how to install it.
fn require_redis_py() {
    let out = Command::new("python3")
        .args(["-c", "import redis; print(redis.__version__)"])
        .output()
        .expect("python3 is needed for the redis-py cluster client test");
    assert!(
        out.status.success(),
        "redis-py is not installed for python3 (`python3 -m pip install redis==5.2.1`; \
         scripts/test.sh does it): {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn redis_py_and_the_redis_crate_see_no_error_or_wrong_read_through_reshard_and_failover() {
    require_redis_py();
    let c = Cluster::create_new(6, 1, NODE_TIMEOUT_MS);
    // Keys in every slot, so the reshard has data to move (and clients meet ASK).
    let pairs: Vec<(String, String)> = (0..20_000)
        .map(|i| (format!("fill:{i}"), i.to_string()))
        .collect();
    set_many(&mut c.client().get_connection().unwrap(), &pairs);
    let tmp = TempDir::new("py-cluster");
    let stop_file = tmp.0.join("stop");

    // redis-py, in its own process; its stdout lines arrive on a channel.
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/clients/redis_py_cluster.py"
    );
    let mut py = Command::new("python3")
        .arg(script)
        .args(["--port", &c.nodes[0].port.to_string(), "--prefix", "py"])
        .arg("--stop-file")
        .arg(&stop_file)
        .args(["--max-seconds", "240"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn python3");
    let lines = support::stdout_lines(&mut py);
    let first = lines.recv_timeout(Duration::from_secs(60));
    if first.as_deref() != Ok("ready") {
        let _ = py.kill();
        let out = py.wait_with_output().unwrap();
        panic!(
            "the redis-py workload did not start ({first:?}): {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // The redis crate's cluster client, in a thread.
    let stop = Arc::new(AtomicBool::new(false));
    let (client, flag) = (c.client(), stop.clone());
    let rust =
        std::thread::spawn(move || crate_workload(client, "rs", flag, Duration::from_secs(240)));
    std::thread::sleep(Duration::from_millis(500));

    // 2000 slots from one primary to another.
    let primaries = c.primaries(0);
    let (from, to) = (primaries[0], primaries[1]);
    let seed = c.nodes[0].addr();
    c.cluster_cli(
        "reshard",
        &[
            &seed,
            "--cluster-from",
            &c.id(from),
            "--cluster-to",
            &c.id(to),
            "--cluster-slots",
            "2000",
            "--cluster-yes",
        ],
        Duration::from_secs(300),
    );
    c.wait_check_ok(0, Duration::from_secs(60));

    // A replica of the primary that just gained slots takes over.
    let r = c.replicas_of(0, to)[0];
    assert_eq!(c.nodes[r].cli(&["CLUSTER", "FAILOVER"]), "OK");
    c.wait_replica_of(to, r, Duration::from_secs(30));
    std::thread::sleep(Duration::from_secs(1));

    std::fs::write(&stop_file, b"").unwrap();
    stop.store(true, Ordering::Relaxed);
    let rs = rust.join().expect("the crate workload panicked");
    let status = support::wait_child_exit(&mut py, Duration::from_secs(60));
    let mut err = String::new();
    let _ = std::io::Read::read_to_string(py.stderr.as_mut().unwrap(), &mut err);
    let summary = lines
        .recv_timeout(Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("no summary from the redis-py workload ({e}, {status}): {err}"));
    assert!(status.success(), "redis-py workload: {status}: {err}");
    eprintln!("redis-py: {summary}");
    eprintln!(
        "redis crate: {} rounds, {} ops, {} wrong, {} errors",
        rs.rounds,
        rs.ops,
        rs.wrong.len(),
        rs.errors.len()
    );

    let field = |name: &str| -> u64 {
        let rest = summary
            .split(&format!("\"{name}\": "))
            .nth(1)
            .unwrap_or_else(|| panic!("{name} missing from {summary}"));
        rest.split([',', '}'])
            .next()
            .unwrap()
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name} in {summary}"))
    };
    assert_eq!(field("wrong"), 0, "redis-py read wrong values: {summary}");
    assert_eq!(field("errors"), 0, "redis-py saw errors: {summary}");
    assert!(field("rounds") >= 20, "redis-py barely ran: {summary}");
    assert!(
        rs.wrong.is_empty(),
        "redis crate read wrong values: {:?}",
        &rs.wrong[..rs.wrong.len().min(10)]
    );
    assert!(
        rs.errors.is_empty(),
        "redis crate saw {} errors: {:?}",
        rs.errors.len(),
        &rs.errors[..rs.errors.len().min(10)]
    );
    assert!(
        rs.rounds >= 20,
        "the redis crate workload barely ran: {rs:?}"
    );
    c.wait_check_ok(0, Duration::from_secs(60));
}
