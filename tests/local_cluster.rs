//! `shoal-server --local-cluster`: the launcher starts the nodes, forms the cluster, prints the
//! seed, reports nodes that die, and stops every node it started on SIGTERM.
//!
//! The nodes are shoal-server itself. `SHOAL_TEST_LOCAL_CLUSTER_SERVER=/usr/bin/redis-server`
//! runs the same tests with Redis as the nodes (the launcher's testing aid
//! `SHOAL_LOCAL_CLUSTER_SERVER`), which is how the forming logic was checked against Redis.

mod support;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{free_port, poll_until, wait_child_exit, TempDir};

/// Longest wait for the ready line: the launcher's own bounds (20 s to listen, 30 s to meet,
/// 30 s to agree) plus slack for a loaded machine.
const READY_TIMEOUT: Duration = Duration::from_secs(120);

/// A base port such that `base .. base + n` and the same + 10000 were all free a moment ago.
fn free_base(n: u16) -> u16 {
    for _ in 0..100 {
        let base = free_port();
        if base as u32 + n as u32 + 10000 > 65535 {
            continue;
        }
        let held: Vec<_> = (0..n)
            .flat_map(|i| [base + i, base + i + 10000])
            .map_while(|p| TcpListener::bind(("127.0.0.1", p)).ok())
            .collect();
        if held.len() == 2 * n as usize {
            return base;
        }
    }
    panic!("no block of {n} free ports (and their bus ports) found");
}

/// `shoal-server --local-cluster ...` started by the test, its stdout lines arriving on a
/// channel and its stderr collected. Dropping it kills the launcher and any node still there.
struct Launcher {
    child: Child,
    lines: Receiver<String>,
    stdout: Vec<String>,
    stderr: Arc<Mutex<String>>,
    /// The pids of the nodes, from the summary.
    pids: Vec<u32>,
    dir: PathBuf,
}

impl Launcher {
    fn spawn(args: &[&str], dir: &Path) -> Launcher {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_shoal-server"));
        cmd.arg("--local-cluster").args(args).arg("--dir").arg(dir);
        match std::env::var_os("SHOAL_TEST_LOCAL_CLUSTER_SERVER") {
            Some(server) => cmd.env("SHOAL_LOCAL_CLUSTER_SERVER", server),
            None => cmd.env_remove("SHOAL_LOCAL_CLUSTER_SERVER"),
        };
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn shoal-server --local-cluster");
        let lines = support::stdout_lines(&mut child);
        let stderr = Arc::new(Mutex::new(String::new()));
        let (err, sink) = (child.stderr.take().unwrap(), stderr.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        Launcher {
            child,
            lines,
            stdout: Vec::new(),
            stderr,
            pids: Vec::new(),
            dir: std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf()),
        }
    }

    /// Starts a cluster of `nodes` nodes from `spec` (which gets `base-port=` appended), on a
    /// free block of ports, trying another block when a port was taken meanwhile; returns the
    /// launcher once it printed `cluster ready:`, and the base port.
    fn ready(spec: &str, nodes: u16, dir: &Path, extra: &[&str]) -> (Launcher, u16) {
        for _ in 0..3 {
            let base = free_base(nodes);
            let spec = format!("{spec},base-port={base}");
            let mut args = vec![spec.as_str()];
            args.extend_from_slice(extra);
            let mut l = Launcher::spawn(&args, dir);
            if l.wait_ready() {
                assert_eq!(l.pids.len(), nodes as usize, "summary: {:?}", l.stdout);
                return (l, base);
            }
            let status = wait_child_exit(&mut l.child, Duration::from_secs(30));
            let err = l.stderr();
            assert!(
                err.contains("is not free"),
                "launcher failed ({status}): {err}"
            );
        }
        panic!("no free block of ports in 3 attempts");
    }

    /// Reads stdout until `cluster ready:` (true) or the launcher's exit (false); collects
    /// the node pids of the summary lines.
    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = match self.lines.recv_timeout(left) {
                Ok(line) => line,
                Err(mpsc::RecvTimeoutError::Disconnected) => return false,
                Err(mpsc::RecvTimeoutError::Timeout) => panic!(
                    "no ready line within {READY_TIMEOUT:?}; stdout {:?}, stderr {}",
                    self.stdout,
                    self.stderr()
                ),
            };
            if let Some(pid) = line.split("  pid ").nth(1) {
                let pid = pid.split_whitespace().next().unwrap_or("");
                self.pids
                    .push(pid.parse().unwrap_or_else(|_| panic!("pid in {line:?}")));
            }
            self.stdout.push(line.clone());
            if line.starts_with("cluster ready: ") {
                return true;
            }
        }
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Summary lines containing `what`.
    fn count(&self, what: &str) -> usize {
        self.stdout.iter().filter(|l| l.contains(what)).count()
    }

    /// Sends SIGTERM to the launcher (by its pid) and waits up to 30 s for its exit.
    fn terminate(&mut self) -> ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        wait_child_exit(&mut self.child, Duration::from_secs(30))
    }
}

/// Whether `pid` is a node of the cluster in `dir` (its working directory is under `dir`; the
/// command line will not do, as redis-server rewrites it), so a reused pid is not taken for one.
fn is_node(pid: u32, dir: &Path) -> bool {
    std::fs::read_link(format!("/proc/{pid}/cwd")).is_ok_and(|cwd| cwd.starts_with(dir))
}

/// The parent pid of `pid`, from /proc.
fn parent_of(pid: u32) -> Option<u32> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("PPid:"))?
        .trim()
        .parse()
        .ok()
}

impl Drop for Launcher {
    /// Lets a launcher still running stop its nodes (SIGTERM, 20 s), then kills it and any node
    /// left under its directory (found by /proc, as the pids of a launcher that never got
    /// ready are unknown).
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let pid = self.child.id().to_string();
            let _ = Command::new("kill").args(["-TERM", &pid]).status();
            let deadline = Instant::now() + Duration::from_secs(20);
            while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let Ok(procs) = std::fs::read_dir("/proc") else {
            return;
        };
        for pid in procs.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok()) {
            if is_node(pid, &self.dir) {
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status();
            }
        }
    }
}

fn cli(port: u16, args: &[&str]) -> Output {
    Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args)
        .output()
        .expect("redis-cli (apt-get install redis-tools)")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// `redis-cli --cluster check` passes: all slots covered and agreed.
#[track_caller]
fn assert_cluster_checks(port: u16) {
    let check = Command::new("redis-cli")
        .args(["--cluster", "check", &format!("127.0.0.1:{port}")])
        .output()
        .unwrap();
    let text = stdout(&check);
    assert!(check.status.success(), "cluster check failed: {text}");
    assert!(text.contains("[OK] All 16384 slots covered."), "{text}");
    assert!(
        text.contains("[OK] All nodes agree about slots configuration."),
        "{text}"
    );
}

#[test]
fn forms_a_cluster_that_redis_cli_uses_and_stops_every_node_on_sigterm() {
    let dir = TempDir::new("local-cluster");
    let (mut l, base) = Launcher::ready(
        "shards=3,replicas=1",
        6,
        &dir.0,
        &["--cluster-node-timeout", "5000"],
    );
    assert_eq!(l.count("  primary  slots "), 3, "{:?}", l.stdout);
    assert_eq!(l.count("  replica of 127.0.0.1:"), 3, "{:?}", l.stdout);
    assert!(l.stdout.iter().any(|s| s.contains(&format!(
        "127.0.0.1:{}  pid {}  primary  slots 10923-16383",
        base + 2,
        l.pids[2]
    ))));
    assert!(
        l.stdout
            .last()
            .unwrap()
            .starts_with(&format!("cluster ready: redis-cli -c -p {base}")),
        "{:?}",
        l.stdout
    );
    let launcher = l.child.id();
    for &pid in &l.pids {
        assert_eq!(parent_of(pid), Some(launcher), "node pid {pid}");
        assert!(is_node(pid, &l.dir), "node pid {pid}");
    }

    assert_cluster_checks(base);
    // "foo" hashes to slot 12182, served by the third primary: the seed answers MOVED, and
    // redis-cli -c follows it.
    let moved = stdout(&cli(base, &["GET", "foo"]));
    assert!(
        moved.contains(&format!("MOVED 12182 127.0.0.1:{}", base + 2)),
        "{moved}"
    );
    assert_eq!(
        stdout(&cli(base, &["-c", "SET", "foo", "bar"])).trim(),
        "OK"
    );
    assert_eq!(stdout(&cli(base, &["-c", "GET", "foo"])).trim(), "bar");

    // A node that dies is reported by port and pid; the launcher keeps running.
    let victim = l.pids[5];
    Command::new("kill")
        .args(["-KILL", &victim.to_string()])
        .status()
        .unwrap();
    let report = format!("node 127.0.0.1:{} (pid {victim}) exited", base + 5);
    assert!(
        poll_until(Duration::from_secs(10), || l.stderr().contains(&report)),
        "stderr: {}",
        l.stderr()
    );
    assert!(l.child.try_wait().unwrap().is_none(), "launcher exited");

    let status = l.terminate();
    assert_eq!(status.code(), Some(0), "stderr: {}", l.stderr());
    // The launcher reaped its nodes before exiting: none is left.
    for &pid in &l.pids {
        assert!(!is_node(pid, &l.dir), "node pid {pid} still running");
    }
}

#[test]
fn restarting_on_the_same_dir_keeps_the_cluster_without_forming_it() {
    let dir = TempDir::new("local-cluster-restart");
    let (mut l, base) = Launcher::ready("shards=2,replicas=1", 4, &dir.0, &[]);
    let ids = |base: u16| -> Vec<String> {
        (0..4)
            .map(|i| {
                stdout(&cli(base + i, &["CLUSTER", "MYID"]))
                    .trim()
                    .to_string()
            })
            .collect()
    };
    let before = ids(base);
    assert!(before.iter().all(|id| id.len() == 40), "{before:?}");
    assert_eq!(l.terminate().code(), Some(0), "stderr: {}", l.stderr());

    let spec = format!("shards=2,replicas=1,base-port={base}");
    let mut l = Launcher::spawn(&[&spec], &dir.0);
    assert!(l.wait_ready(), "no ready line; stderr: {}", l.stderr());
    assert_eq!(
        l.count("restarting the cluster without forming it"),
        1,
        "{:?}",
        l.stdout
    );
    assert_eq!(ids(base), before);
    assert_eq!(l.count("  replica of 127.0.0.1:"), 2, "{:?}", l.stdout);
    assert_cluster_checks(base);
    assert_eq!(l.terminate().code(), Some(0), "stderr: {}", l.stderr());
}

#[test]
fn bad_command_lines_exit_non_zero_with_a_clear_message_and_start_nothing() {
    let tmp = TempDir::new("local-cluster-bad");
    let dir = tmp.0.join("cluster");
    for (args, message) in [
        (
            &["shards=x"][..],
            "bad spec \"shards=x\": shards must be an integer from 1 to 100, got \"x\"",
        ),
        (&["shards=3,nodes=6"], "unknown key \"nodes\""),
        (&["replicas"], "\"replicas\" is not key=value"),
        (&["base-port=65000"], "must stay below 65536"),
        (
            &["shards=1", "--port", "7000"],
            "--port is set by the launcher",
        ),
    ] {
        let mut l = Launcher::spawn(args, &dir);
        let status = wait_child_exit(&mut l.child, Duration::from_secs(10));
        assert_eq!(status.code(), Some(1), "{args:?}");
        assert!(
            poll_until(Duration::from_secs(5), || l.stderr().contains(message)),
            "{args:?}: {}",
            l.stderr()
        );
        assert!(l.stderr().contains("Usage: shoal-server --local-cluster"));
        assert!(!dir.exists(), "{args:?} created {}", dir.display());
    }
}

#[test]
fn a_directory_of_another_cluster_is_refused_before_any_node_starts() {
    let tmp = TempDir::new("local-cluster-other");
    let base = free_base(3);
    // Only the first node has a cluster config: not this cluster's directory.
    let first = tmp.0.join(base.to_string());
    std::fs::create_dir_all(&first).unwrap();
    std::fs::write(first.join(format!("nodes-{base}.conf")), "x").unwrap();
    let spec = format!("shards=3,replicas=0,base-port={base}");
    let mut l = Launcher::spawn(&[&spec], &tmp.0);
    let status = wait_child_exit(&mut l.child, Duration::from_secs(10));
    assert_eq!(status.code(), Some(1));
    assert!(
        poll_until(Duration::from_secs(5), || l
            .stderr()
            .contains("holds another cluster's files")),
        "{}",
        l.stderr()
    );
    assert!(!tmp.0.join((base + 1).to_string()).exists());
}
