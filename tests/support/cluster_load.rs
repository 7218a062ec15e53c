//! A bounded background load through the `redis` crate's cluster client, and pipelined bulk
//! SET/GET helpers, for the cluster tests (re-exported by `support::cluster`).
#![allow(dead_code)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What a [`Load`] did.
#[derive(Debug, Default)]
pub struct LoadReport {
    /// Completed SET+GET rounds.
    pub ok: u64,
    /// Failed operations: when (since the load started) and the error.
    pub errors: Vec<(Duration, String)>,
    /// GETs that returned something other than what the preceding SET wrote.
    pub wrong: u64,
    /// Indices whose SET was acknowledged (key `load:<name>:<i>`, value `v<i>`).
    pub acked: Vec<u64>,
    /// Operations that hit an I/O error and succeeded on a fresh connection (see [`Load`]).
    pub recovered: u64,
    /// When the load started.
    pub started: Option<Instant>,
}

/// Runs an idempotent `cmd` (SET or GET) on the load's connection, opening one first if
/// needed. After an I/O error (connection refused or reset) it opens a new connection, which
/// loads a fresh slot map, and tries once more, counting that in `recovered`: the sync cluster
/// client retries MOVED/ASK itself but keeps a slot map that points at a stopped node (after
/// `del-node`, or a failover) until it gets a MOVED, which a stopped node cannot send. Any other
/// error, or a second one, is returned.
fn run<T: redis::FromRedisValue>(
    client: &redis::cluster::ClusterClient,
    conn: &mut Option<redis::cluster::ClusterConnection>,
    cmd: &redis::Cmd,
    recovered: &mut u64,
) -> redis::RedisResult<T> {
    for attempt in 0..2 {
        let c = match conn.as_mut() {
            Some(c) => c,
            None => conn.insert(client.get_connection()?),
        };
        match cmd.query(c) {
            Ok(v) => {
                *recovered += attempt;
                return Ok(v);
            }
            Err(e) => {
                *conn = None;
                if attempt == 1 || !e.is_io_error() {
                    return Err(e);
                }
            }
        }
    }
    unreachable!("the loop returns on its second attempt")
}

/// A background cluster-client load: `SET load:<name>:<i> v<i>` then `GET` it back, for
/// i = 0, 1, ... until stopped, `max_ops` rounds, or `max_time`. A failed operation (see
/// [`run`] for the one retry after an I/O error) is recorded, then the load waits 20 ms and
/// goes on with a new cluster connection.
pub struct Load {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<LoadReport>>,
    pub name: String,
}

impl Load {
    pub fn start(client: redis::cluster::ClusterClient, name: &str) -> Load {
        Self::start_bounded(client, name, 2_000_000, Duration::from_secs(300))
    }

    pub fn start_bounded(
        client: redis::cluster::ClusterClient,
        name: &str,
        max_ops: u64,
        max_time: Duration,
    ) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let prefix = format!("load:{name}:");
        let handle = std::thread::spawn(move || {
            let started = Instant::now();
            let mut r = LoadReport {
                started: Some(started),
                ..Default::default()
            };
            let mut conn = None;
            let mut i = 0u64;
            while !flag.load(Ordering::Relaxed) && i < max_ops && started.elapsed() < max_time {
                let key = format!("{prefix}{i}");
                let val = format!("v{i}");
                let set = redis::cmd("SET").arg(&key).arg(&val).clone();
                if let Err(e) = run::<()>(&client, &mut conn, &set, &mut r.recovered) {
                    r.errors
                        .push((started.elapsed(), format!("SET {key}: {e}")));
                    std::thread::sleep(Duration::from_millis(20));
                    i += 1;
                    continue;
                }
                r.acked.push(i);
                let get = redis::cmd("GET").arg(&key).clone();
                match run::<Option<String>>(&client, &mut conn, &get, &mut r.recovered) {
                    Ok(Some(v)) if v == val => r.ok += 1,
                    Ok(other) => {
                        r.wrong += 1;
                        r.errors
                            .push((started.elapsed(), format!("GET {key}: {other:?}")));
                    }
                    Err(e) => {
                        r.errors
                            .push((started.elapsed(), format!("GET {key}: {e}")));
                        std::thread::sleep(Duration::from_millis(20));
                    }
                }
                i += 1;
            }
            r
        });
        Load {
            stop,
            handle: Some(handle),
            name: name.to_string(),
        }
    }

    /// Stops the load and returns its report.
    pub fn finish(mut self) -> LoadReport {
        self.stop.store(true, Ordering::Relaxed);
        self.handle
            .take()
            .unwrap()
            .join()
            .expect("the load thread panicked")
    }

    /// Reads back every acknowledged key of `report` through `conn`; returns the keys that are
    /// missing or hold another value.
    pub fn verify(
        name: &str,
        report: &LoadReport,
        conn: &mut redis::cluster::ClusterConnection,
    ) -> Vec<String> {
        let keys: Vec<String> = report
            .acked
            .iter()
            .map(|i| format!("load:{name}:{i}"))
            .collect();
        let got = get_many(conn, &keys);
        keys.iter()
            .zip(&report.acked)
            .zip(got)
            .filter(|((_, i), v)| v.as_deref() != Some(format!("v{i}").as_str()))
            .map(|((k, _), _)| k.clone())
            .collect()
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// SETs every `(key, value)` through the cluster client, pipelined 1000 at a time.
pub fn set_many(conn: &mut redis::cluster::ClusterConnection, pairs: &[(String, String)]) {
    for chunk in pairs.chunks(1000) {
        let mut p = redis::cluster::cluster_pipe();
        for (k, v) in chunk {
            p.cmd("SET").arg(k).arg(v).ignore();
        }
        p.query::<()>(conn)
            .unwrap_or_else(|e| panic!("pipelined SET of {} keys: {e}", chunk.len()));
    }
}

/// GETs every key through the cluster client, pipelined 1000 at a time.
pub fn get_many(
    conn: &mut redis::cluster::ClusterConnection,
    keys: &[String],
) -> Vec<Option<String>> {
    let mut out = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(1000) {
        let mut p = redis::cluster::cluster_pipe();
        for k in chunk {
            p.cmd("GET").arg(k);
        }
        let got: Vec<Option<String>> = p
            .query(conn)
            .unwrap_or_else(|e| panic!("pipelined GET of {} keys: {e}", chunk.len()));
        out.extend(got);
    }
    out
}

/// The first 10 errors with their times, and how many there were, for failure messages.
pub fn error_summary(errors: &[(Duration, String)]) -> String {
    let first: Vec<String> = errors
        .iter()
        .take(10)
        .map(|(t, e)| format!("{} ms: {e}", t.as_millis()))
        .collect();
    format!("{} errors, first: {first:#?}", errors.len())
}
