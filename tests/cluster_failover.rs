//! Failover in cluster mode: a primary killed with SIGKILL is replaced by its replica within
//! the node timeout, keeping every write its replica acknowledged (WAIT); a manual
//! `CLUSTER FAILOVER` swaps the roles without a failed or lost write; and (shoal only) a
//! primary cut off the cluster bus stops accepting writes before its replica starts to, and
//! rejoins as a replica once healed.
//!
//! Written against Redis 7.0.15 (`SHOAL_TEST_AGAINST=redis`), which is only the reference
//! here: its failover is timing-based, so its bound is looser than shoal's. Expectations follow
//! <https://redis.io/docs/reference/cluster-spec/#failover> and
//! <https://redis.io/commands/cluster-failover/>.

mod support;

use std::time::{Duration, Instant};
use support::against_redis;
use support::cluster::{error_summary, slot, Cluster, Load};

/// `--cluster-node-timeout` of these tests, ms.
const NODE_TIMEOUT_MS: u64 = 3000;

/// Longest kill-to-first-write time allowed: node timeout + 2 s for shoal (its promotion is a
/// committed log entry right after the failure is detected); Redis adds up to ~1 s of election
/// delay and a rank delay on top of its failure-report gossip, so it gets a looser bound.
fn failover_bound() -> Duration {
    let slack = if against_redis() { 10_000 } else { 2_000 };
    Duration::from_millis(NODE_TIMEOUT_MS + slack)
}

/// SET `key` `value` on a plain connection.
fn set(conn: &mut redis::Connection, key: &str, value: &str) -> redis::RedisResult<()> {
    redis::cmd("SET").arg(key).arg(value).query(conn)
}

#[test]
fn a_killed_primary_is_replaced_by_its_replica_which_kept_every_acknowledged_write() {
    let mut c = Cluster::create_new(6, 1, NODE_TIMEOUT_MS);
    let p = c.primary_of_slot(0, slot("{f}"));
    let r = c.replicas_of(0, p)[0];
    let load = Load::start(c.client(), "kill");
    let load_start = Instant::now();

    // Writes to the doomed primary, each batch acknowledged by its replica (WAIT 1).
    let mut pc = c.nodes[p].conn();
    let mut acked = Vec::new();
    for batch in 0..20 {
        let keys: Vec<String> = (0..50)
            .map(|j| format!("{{f}}w:{}", batch * 50 + j))
            .collect();
        for k in &keys {
            set(&mut pc, k, &format!("{k}=v")).unwrap();
        }
        let n: i64 = redis::cmd("WAIT").arg(1).arg(5000).query(&mut pc).unwrap();
        assert!(n >= 1, "WAIT 1 5000 returned {n}");
        acked.extend(keys);
    }
    std::thread::sleep(Duration::from_millis(300));

    let killed = Instant::now();
    c.kill9(p);
    // The first write the replica serves as the new primary.
    let mut rc = c.nodes[r].conn();
    let mut promoted = None;
    let mut last_err = String::new();
    for i in 0..10_000 {
        if killed.elapsed() > Duration::from_secs(60) {
            break;
        }
        match set(&mut rc, "{f}probe", &i.to_string()) {
            Ok(()) => {
                promoted = Some(Instant::now());
                break;
            }
            Err(e) => last_err = e.to_string(),
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let promoted = promoted.unwrap_or_else(|| {
        panic!(
            "the replica never accepted a write (last: {last_err}):\n{}",
            c.dump()
        )
    });
    let took = promoted - killed;
    println!("failover took {} ms", took.as_millis());
    assert!(
        took <= failover_bound(),
        "failover took {took:?}, bound {:?}",
        failover_bound()
    );

    // Every WAIT-acknowledged key is on the new primary.
    let lost: Vec<&String> = acked
        .iter()
        .filter(|k| {
            redis::cmd("GET")
                .arg(k.as_str())
                .query::<Option<String>>(&mut rc)
                .unwrap()
                != Some(format!("{k}=v"))
        })
        .collect();
    assert!(lost.is_empty(), "acknowledged writes lost: {lost:?}");

    // The load keeps going on the new layout; it saw errors only between the kill and the
    // promotion (plus 2 s for the other nodes and the client to learn of it).
    c.wait_state_ok(Duration::from_secs(30));
    std::thread::sleep(Duration::from_millis(500));
    let report = load.finish();
    let window = (killed - load_start)..(promoted - load_start + Duration::from_secs(2));
    let outside: Vec<_> = report
        .errors
        .iter()
        .filter(|(t, _)| !window.contains(t))
        .cloned()
        .collect();
    assert!(
        outside.is_empty(),
        "errors outside the failover window {window:?}: {}",
        error_summary(&outside)
    );
    assert_eq!(report.wrong, 0, "{}", error_summary(&report.errors));
    assert!(report.ok > 10, "the load barely ran: {report:?}");
    eprintln!(
        "kill load: {} rounds, {} errors in the window, {} recovered",
        report.ok,
        report.errors.len(),
        report.recovered
    );

    // The old primary, restarted on its own directory, rejoins as a replica of the new one.
    c.restart(p);
    c.wait_replica_of(p, r, Duration::from_secs(60));
    c.wait_state_ok(Duration::from_secs(30));
    c.wait_check_ok(0, Duration::from_secs(60));
}

#[test]
fn manual_failover_under_writes_swaps_roles_without_a_failed_or_lost_write() {
    let c = Cluster::create_new(6, 1, NODE_TIMEOUT_MS);
    let p = c.primary_of_slot(0, slot("{m}"));
    let r = c.replicas_of(0, p)[0];
    let load = Load::start(c.client(), "manual");
    // Writes aimed at the primary being replaced (the load spreads over all of them).
    let tagged = Load::start(c.client(), "{m}");
    std::thread::sleep(Duration::from_millis(500));

    let reply = c.nodes[r].cli(&["CLUSTER", "FAILOVER"]);
    assert_eq!(reply, "OK");
    c.wait_replica_of(p, r, Duration::from_secs(30));
    assert!(c.nodes[r].myself().unwrap().owns(slot("{m}")));
    std::thread::sleep(Duration::from_millis(500));

    let mut conn = c.client().get_connection().unwrap();
    for (name, load) in [("manual", load), ("{m}", tagged)] {
        let report = load.finish();
        assert!(
            report.errors.is_empty() && report.wrong == 0,
            "load {name}: {} wrong, {}",
            report.wrong,
            error_summary(&report.errors)
        );
        assert!(report.ok > 10, "the load barely ran: {} rounds", report.ok);
        let lost = Load::verify(name, &report, &mut conn);
        assert!(lost.is_empty(), "acknowledged writes lost: {lost:?}");
    }
    c.wait_check_ok(0, Duration::from_secs(60));
}

/// One write attempt of the partition test: when it was sent and answered, and whether the
/// node accepted it.
struct Attempt {
    sent: Instant,
    answered: Instant,
    accepted: bool,
}

/// Tries `SET key i` on `node`'s connection (reconnecting after an I/O error).
fn attempt(
    c: &Cluster,
    node: usize,
    conn: &mut Option<redis::Connection>,
    key: &str,
    i: u64,
) -> Attempt {
    let sent = Instant::now();
    let accepted = match conn {
        Some(cn) => match set(cn, key, &i.to_string()) {
            Ok(()) => true,
            Err(e) => {
                if e.is_io_error() || e.is_timeout() {
                    *conn = None;
                }
                false
            }
        },
        None => false,
    };
    if conn.is_none() {
        *conn = Some(c.nodes[node].conn());
    }
    Attempt {
        sent,
        answered: Instant::now(),
        accepted,
    }
}

#[test]
fn an_isolated_primary_stops_accepting_writes_before_its_replica_starts_and_rejoins_as_replica() {
    if against_redis() {
        eprintln!(
            "skipped against redis: DEBUG CLUSTER-BUS-DROP is shoal's partition hook, Redis has none"
        );
        return;
    }
    let c = Cluster::create_new(6, 1, NODE_TIMEOUT_MS);
    let key = "{p}probe";
    let p = c.primary_of_slot(0, slot(key));
    let r = c.replicas_of(0, p)[0];
    let load = Load::start(c.client(), "partition");
    let mut pc = Some(c.nodes[p].conn());
    let mut rc = Some(c.nodes[r].conn());
    assert!(attempt(&c, p, &mut pc, key, 0).accepted);

    let reply = c.nodes[p].cli(&["DEBUG", "CLUSTER-BUS-DROP", "yes"]);
    assert_eq!(reply, "OK");
    let cut = Instant::now();
    // Poll both every ~20 ms until the replica has taken over and the old primary has refused
    // writes for a second since.
    let (mut on_p, mut on_r) = (Vec::new(), Vec::new());
    let mut done = false;
    for i in 1..10_000u64 {
        if cut.elapsed() > Duration::from_secs(60) {
            break;
        }
        on_p.push(attempt(&c, p, &mut pc, key, i));
        on_r.push(attempt(&c, r, &mut rc, key, i));
        let r_first = on_r.iter().find(|a| a.accepted).map(|a| a.sent);
        let p_last = on_p.iter().rev().find(|a| a.accepted).map(|a| a.answered);
        if let Some(rf) = r_first {
            if Instant::now() - rf > Duration::from_secs(1)
                && p_last.is_none_or(|pl| Instant::now() - pl > Duration::from_secs(1))
            {
                done = true;
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let r_first = on_r.iter().find(|a| a.accepted).map(|a| a.sent);
    let p_last = on_p.iter().rev().find(|a| a.accepted).map(|a| a.answered);
    let ms = |t: Option<Instant>| t.map(|t| t.saturating_duration_since(cut).as_millis());
    eprintln!(
        "partition: old primary last accepted at {:?} ms, replica first at {:?} ms",
        ms(p_last),
        ms(r_first)
    );
    // The windows do not overlap: the old primary's last accepted write was answered before the
    // new primary's first accepted write was even sent.
    if let (Some(pl), Some(rf)) = (p_last, r_first) {
        assert!(
            pl < rf,
            "both accepted writes for slot {}: old primary until {:?} ms, new from {:?} ms",
            slot(key),
            ms(Some(pl)),
            ms(Some(rf))
        );
    }

    assert!(
        done,
        "the replica never took over with the old primary refusing:\n{}",
        c.dump()
    );
    let reply = c.nodes[p].cli(&["DEBUG", "CLUSTER-BUS-DROP", "no"]);
    assert_eq!(reply, "OK");
    c.wait_replica_of(p, r, Duration::from_secs(60));
    c.wait_state_ok(Duration::from_secs(30));
    let report = load.finish();
    assert_eq!(report.wrong, 0, "{}", error_summary(&report.errors));
    c.wait_check_ok(0, Duration::from_secs(60));
}
