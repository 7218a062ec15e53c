//! Cluster test support: N cluster-mode nodes (shoal-server, or redis-server when
//! `SHOAL_TEST_AGAINST=redis`) on free loopback ports, formed and checked with
//! `redis-cli --cluster`, plus the helpers the cluster tests share: reading CLUSTER NODES,
//! finding a slot's primary and replicas, killing and restarting a node by its own PID, a
//! `redis::cluster::ClusterClient`, and a bounded background write/read load.
//!
//! Every node gets its own directory under one [`TempDir`] and is started with
//! `--cluster-enabled yes --cluster-config-file nodes.conf --dir <dir>
//! --cluster-node-timeout <ms> --port <p>`; port + 10000 (the cluster bus) was free too.
//! Node logs go to `SHOAL_TEST_LOGDIR/<port>.log` when that variable is set (kept, as
//! `support` does), else to `<dir>/node.log`, whose last lines are printed when a test panics.
#![allow(dead_code)]

use super::{against_redis, free_port, poll_until, wait_listening, TempDir};
use std::io::Read;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

#[allow(unused_imports)]
pub use super::cluster_load::{error_summary, get_many, set_many, Load, LoadReport};

/// Longest wait for a `redis-cli --cluster` subcommand that moves no keys (create, add-node,
/// check, del-node); resharding gets its own bound from the caller.
pub const CLI_TIMEOUT: Duration = Duration::from_secs(120);

/// The slot of `key` (CRC16-XMODEM of the key or its `{tag}`, mod 16384), as Redis computes it.
pub fn slot(key: &str) -> u16 {
    redis::cluster_routing::get_slot(key.as_bytes())
}

/// A port that was free a moment ago on 127.0.0.1 and whose cluster bus port (+10000) was too.
pub fn free_cluster_port() -> u16 {
    for _ in 0..100 {
        let p = free_port();
        if TcpListener::bind(("127.0.0.1", p + 10000)).is_ok()
            && TcpListener::bind(("127.0.0.1", p)).is_ok()
        {
            return p;
        }
    }
    panic!("no free port whose port + 10000 is free too");
}

/// One line of CLUSTER NODES: `<id> <ip:port@cport[,hostname]> <flags> <master> <ping-sent>
/// <pong-recv> <config-epoch> <link-state> <slot>...` (<https://redis.io/commands/cluster-nodes/>).
#[derive(Debug, Clone)]
pub struct NodeLine {
    pub id: String,
    pub ip: String,
    pub port: u16,
    pub cport: u16,
    pub flags: Vec<String>,
    /// The primary's id for a replica; `None` for `-`.
    pub master: Option<String>,
    pub config_epoch: u64,
    pub link: String,
    /// Owned slot ranges, inclusive; `[slot->-id]` / `[slot-<-id]` migration entries skipped.
    pub slots: Vec<(u16, u16)>,
    /// The line as the node sent it.
    pub raw: String,
}

impl NodeLine {
    /// Parses one line; `None` when it does not have the 8 fixed fields.
    pub fn parse(line: &str) -> Option<NodeLine> {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 8 {
            return None;
        }
        let addr = f[1].split(',').next()?;
        let (ipport, cport) = addr.split_once('@')?;
        let (ip, port) = ipport.rsplit_once(':')?;
        let mut slots = Vec::new();
        for s in &f[8..] {
            if s.starts_with('[') {
                continue;
            }
            let (a, b) = s.split_once('-').unwrap_or((s, s));
            slots.push((a.parse().ok()?, b.parse().ok()?));
        }
        Some(NodeLine {
            id: f[0].to_string(),
            ip: ip.to_string(),
            port: port.parse().ok()?,
            cport: cport.parse().ok()?,
            flags: f[2].split(',').map(str::to_string).collect(),
            master: (f[3] != "-").then(|| f[3].to_string()),
            config_epoch: f[6].parse().ok()?,
            link: f[7].to_string(),
            slots,
            raw: line.to_string(),
        })
    }

    pub fn has_flag(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }

    pub fn is_primary(&self) -> bool {
        self.has_flag("master")
    }

    pub fn is_replica(&self) -> bool {
        self.has_flag("slave")
    }

    /// Flagged `fail` or `fail?` by the node that was asked.
    pub fn is_failing(&self) -> bool {
        self.has_flag("fail") || self.has_flag("fail?")
    }

    pub fn owns(&self, slot: u16) -> bool {
        self.slots.iter().any(|&(a, b)| a <= slot && slot <= b)
    }

    pub fn slot_count(&self) -> usize {
        self.slots.iter().map(|&(a, b)| (b - a) as usize + 1).sum()
    }
}

/// What a finished (or timed out) tool run printed.
#[derive(Debug)]
pub struct ToolOutput {
    /// `None` when the run was killed at its deadline.
    pub status: Option<ExitStatus>,
    /// stdout followed by stderr.
    pub text: String,
}

impl ToolOutput {
    pub fn ok(&self) -> bool {
        self.status.is_some_and(|s| s.success())
    }
}

/// Runs `program args...` with stdin closed, collecting stdout and stderr, killing it (by its
/// own PID) at `timeout`.
pub fn run_tool(program: &str, args: &[&str], timeout: Duration) -> ToolOutput {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {program}: {e} (apt-get install redis-tools)"));
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = r.read_to_end(&mut v);
            String::from_utf8_lossy(&v).into_owned()
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break Some(st);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let text = out.join().unwrap_or_default() + &err.join().unwrap_or_default();
    ToolOutput { status, text }
}

/// One cluster node process started by the test.
pub struct Node {
    pub port: u16,
    /// Its `--dir` (holds nodes.conf).
    pub dir: PathBuf,
    child: Option<Child>,
    log: PathBuf,
    /// Part of the cluster (formed by `create` or added by `add_node`, not removed since).
    pub member: bool,
}

impl Node {
    /// Starts a node in `dir` on `port` (0: a free one, retried on up to 5 ports if the
    /// process exits before listening); on failure, the last lines of its log.
    fn spawn(dir: PathBuf, port: u16, node_timeout_ms: u64) -> Result<Node, String> {
        std::fs::create_dir_all(&dir).unwrap();
        let tries = if port == 0 { 5 } else { 1 };
        let mut why = String::new();
        for _ in 0..tries {
            let p = if port == 0 { free_cluster_port() } else { port };
            let log = match std::env::var_os("SHOAL_TEST_LOGDIR") {
                Some(d) => PathBuf::from(d).join(format!("{p}.log")),
                None => dir.join("node.log"),
            };
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&log)
                .expect("open the node log");
            let mut cmd = if against_redis() {
                Command::new("redis-server")
            } else {
                Command::new(env!("CARGO_BIN_EXE_shoal-server"))
            };
            cmd.current_dir(&dir)
                .args(["--port", &p.to_string(), "--bind", "127.0.0.1"])
                .args(["--cluster-enabled", "yes"])
                .args(["--cluster-config-file", "nodes.conf"])
                .arg("--dir")
                .arg(&dir)
                .args(["--cluster-node-timeout", &node_timeout_ms.to_string()]);
            if against_redis() {
                cmd.args(["--save", "", "--appendonly", "no", "--daemonize", "no"]);
            }
            let mut child = cmd
                .stdin(Stdio::null())
                .stdout(file.try_clone().unwrap())
                .stderr(file)
                .spawn()
                .expect("spawn a cluster node");
            match wait_listening(&mut child, p) {
                Some(true) => {
                    return Ok(Node {
                        port: p,
                        dir,
                        child: Some(child),
                        log,
                        member: false,
                    })
                }
                Some(false) => {
                    let _ = child.kill();
                    let status = child.wait();
                    let text = std::fs::read_to_string(&log).unwrap_or_default();
                    why = format!("{status:?}, last log lines:\n{}", tail(&text, 15));
                }
                None => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("node on port {p} did not listen within 20 s; log {log:?}");
                }
            }
        }
        Err(why)
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    /// Whether our process is still running (reaps it when it exited, e.g. after SHUTDOWN).
    pub fn alive(&mut self) -> bool {
        match self.child.as_mut() {
            Some(c) => c.try_wait().unwrap().is_none(),
            None => false,
        }
    }

    /// SIGKILL to our own process (by PID, as `kill -9`), then reaps it.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-KILL", &c.id().to_string()])
                .status();
            let _ = c.wait();
        }
    }

    /// A plain connection with 10 s read/write timeouts.
    pub fn conn(&self) -> redis::Connection {
        let c = redis::Client::open(format!("redis://{}/", self.addr()))
            .unwrap()
            .get_connection_with_timeout(Duration::from_secs(5))
            .unwrap_or_else(|e| panic!("connect to {}: {e}", self.addr()));
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        c.set_write_timeout(Some(Duration::from_secs(10))).unwrap();
        c
    }

    /// `redis-cli -p PORT args...` (no `-c`), its stdout trimmed.
    pub fn cli(&self, args: &[&str]) -> String {
        let port = self.port.to_string();
        let mut all = vec!["-h", "127.0.0.1", "-p", &port];
        all.extend_from_slice(args);
        run_tool("redis-cli", &all, Duration::from_secs(30))
            .text
            .trim()
            .to_string()
    }

    /// CLUSTER NODES as this node sees it; `None` when it does not answer.
    pub fn nodes(&self) -> Option<Vec<NodeLine>> {
        let text = self.query_text(&["CLUSTER", "NODES"])?;
        Some(text.lines().filter_map(NodeLine::parse).collect())
    }

    /// This node's own line of CLUSTER NODES.
    pub fn myself(&self) -> Option<NodeLine> {
        self.nodes()?.into_iter().find(|n| n.has_flag("myself"))
    }

    /// The value of `field` in CLUSTER INFO.
    pub fn cluster_info(&self, field: &str) -> Option<String> {
        let text = self.query_text(&["CLUSTER", "INFO"])?;
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{field}:")))
            .map(|v| v.trim().to_string())
    }

    /// A command whose reply is text, on a fresh short-lived connection; `None` on any error.
    fn query_text(&self, args: &[&str]) -> Option<String> {
        let c = redis::Client::open(format!("redis://{}/", self.addr())).ok()?;
        let mut c = c.get_connection_with_timeout(Duration::from_secs(2)).ok()?;
        c.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        redis::cmd(args[0]).arg(&args[1..]).query(&mut c).ok()
    }
}

/// Nodes of one cluster test; every node process is killed when dropped, the directory removed.
pub struct Cluster {
    pub nodes: Vec<Node>,
    pub node_timeout_ms: u64,
    root: TempDir,
}

impl Cluster {
    /// Starts `n` unjoined nodes with `--cluster-node-timeout node_timeout_ms`.
    pub fn start(n: usize, node_timeout_ms: u64) -> Cluster {
        let mut c = Cluster {
            nodes: Vec::new(),
            node_timeout_ms,
            root: TempDir::new("cluster"),
        };
        for _ in 0..n {
            c.start_node();
        }
        c
    }

    /// Starts one more unjoined node (`redis-cli --cluster add-node` joins it); its index.
    pub fn start_node(&mut self) -> usize {
        let dir = self.root.0.join(format!("node{}", self.nodes.len()));
        let node = Node::spawn(dir, 0, self.node_timeout_ms)
            .unwrap_or_else(|e| panic!("a cluster node did not start on 5 free ports: {e}"));
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    /// Starts `n` nodes and forms them with `create(replicas)`.
    pub fn create_new(n: usize, replicas: usize, node_timeout_ms: u64) -> Cluster {
        let mut c = Cluster::start(n, node_timeout_ms);
        c.create(replicas);
        c
    }

    /// `redis-cli --cluster create <every node> --cluster-replicas R --cluster-yes`, then waits
    /// for `cluster_state:ok` on every node and a passing `--cluster check`. Panics with the
    /// tool's output and each node's CLUSTER NODES on failure.
    pub fn create(&mut self, replicas: usize) {
        let mut args = vec!["--cluster".to_string(), "create".to_string()];
        args.extend(self.nodes.iter().map(Node::addr));
        args.extend(["--cluster-replicas".into(), replicas.to_string()]);
        args.push("--cluster-yes".into());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run_tool("redis-cli", &args, CLI_TIMEOUT);
        assert!(
            out.ok() && out.text.contains("[OK] All 16384 slots covered"),
            "redis-cli --cluster create failed ({:?}):\n{}\n{}",
            out.status,
            out.text,
            self.dump()
        );
        for n in &mut self.nodes {
            n.member = true;
        }
        self.wait_state_ok(Duration::from_secs(60));
        self.wait_check_ok(0, Duration::from_secs(60));
        // `create` returns once the slots agree; roles reach every node a little later.
        let (n, primaries) = (self.nodes.len(), self.nodes.len() / (replicas + 1));
        let settled = poll_until(Duration::from_secs(60), || {
            self.nodes.iter().all(|node| {
                node.nodes().is_some_and(|v| {
                    v.len() == n
                        && v.iter().filter(|l| l.is_primary()).count() == primaries
                        && v.iter().filter(|l| l.is_replica()).count() == n - primaries
                        && v.iter().all(|l| l.link == "connected" && !l.is_failing())
                })
            })
        });
        assert!(
            settled,
            "roles never settled on every node:\n{}",
            self.dump()
        );
    }

    /// `redis-cli --cluster add-node` node `i` through node `seed`, as a primary or (with
    /// `replica_of`) as a replica of that node (`--cluster-slave --cluster-master-id`); waits
    /// until every member lists it (and, for a replica, it replicates its primary).
    pub fn add_node(&mut self, i: usize, seed: usize, replica_of: Option<usize>) {
        let (addr, seed_addr) = (self.nodes[i].addr(), self.nodes[seed].addr());
        let mut args = vec![addr.as_str(), seed_addr.as_str()];
        let primary_id = replica_of.map(|p| self.id(p));
        if let Some(id) = &primary_id {
            args.extend(["--cluster-slave", "--cluster-master-id", id]);
        }
        self.cluster_cli("add-node", &args, CLI_TIMEOUT);
        self.nodes[i].member = true;
        let id = self.id(i);
        self.wait_known_everywhere(&id);
        if let Some(p) = replica_of {
            self.wait_replica_of(i, p, Duration::from_secs(60));
        }
    }

    /// `redis-cli --cluster del-node` node `i` (it must own no slots) through node `seed`, then
    /// kills it (Redis 7.0 resets the removed node, it does not stop it) and waits until every
    /// remaining member forgot it.
    pub fn del_node(&mut self, i: usize, seed: usize) {
        let id = self.id(i);
        let seed_addr = self.nodes[seed].addr();
        self.cluster_cli("del-node", &[&seed_addr, &id], CLI_TIMEOUT);
        self.nodes[i].member = false;
        self.kill9(i);
        let ok = poll_until(Duration::from_secs(30), || {
            self.running()
                .all(|n| n.nodes().is_some_and(|v| v.iter().all(|l| l.id != id)))
        });
        assert!(ok, "members still list {id}:\n{}", self.dump());
    }

    /// Waits until every member lists node `id` in CLUSTER NODES.
    #[track_caller]
    pub fn wait_known_everywhere(&self, id: &str) {
        let ok = poll_until(Duration::from_secs(30), || {
            self.running()
                .all(|n| n.nodes().is_some_and(|v| v.iter().any(|l| l.id == id)))
        });
        assert!(ok, "node {id} not known everywhere:\n{}", self.dump());
    }

    /// `redis-cli --cluster <sub> args...`, bounded by `timeout`; panics with the output and
    /// every node's view unless it exits 0.
    pub fn cluster_cli(&self, sub: &str, args: &[&str], timeout: Duration) -> String {
        let mut all = vec!["--cluster", sub];
        all.extend_from_slice(args);
        let out = run_tool("redis-cli", &all, timeout);
        assert!(
            out.ok(),
            "redis-cli --cluster {sub} {args:?} failed ({:?}):\n{}\n{}",
            out.status,
            tail(&out.text, 60),
            self.dump()
        );
        out.text
    }

    /// `redis-cli --cluster check` through node `via`: (passed, output).
    pub fn check(&self, via: usize) -> (bool, String) {
        let out = run_tool(
            "redis-cli",
            &["--cluster", "check", &self.nodes[via].addr()],
            CLI_TIMEOUT,
        );
        let ok = out.ok()
            && out.text.contains("[OK] All 16384 slots covered")
            && out
                .text
                .contains("[OK] All nodes agree about slots configuration");
        (ok, out.text)
    }

    /// Polls `check(via)` until it passes (nodes may take a few gossip rounds to agree after a
    /// change); panics with the last output at the deadline.
    #[track_caller]
    pub fn wait_check_ok(&self, via: usize, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let (ok, text) = self.check(via);
            if ok {
                return text;
            }
            if Instant::now() > deadline {
                panic!(
                    "redis-cli --cluster check never passed in {timeout:?}:\n{text}\n{}",
                    self.dump()
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Waits until every running node reports `cluster_state:ok`; panics with the views.
    #[track_caller]
    pub fn wait_state_ok(&self, timeout: Duration) {
        let ok = poll_until(timeout, || {
            self.running()
                .all(|n| n.cluster_info("cluster_state").as_deref() == Some("ok"))
        });
        assert!(ok, "cluster_state never ok on all nodes:\n{}", self.dump());
    }

    /// Members whose process is running (by our child handle).
    pub fn running(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter().filter(|n| n.child.is_some() && n.member)
    }

    /// The index of the node listening on `port`.
    pub fn index_of_port(&self, port: u16) -> usize {
        self.nodes
            .iter()
            .position(|n| n.port == port)
            .unwrap_or_else(|| panic!("no node of this test on port {port}"))
    }

    /// The index of the node with id `id`, as node `via` knows it.
    pub fn index_of_id(&self, via: usize, id: &str) -> usize {
        let lines = self.nodes[via].nodes().expect("CLUSTER NODES");
        let line = lines
            .iter()
            .find(|l| l.id == id)
            .unwrap_or_else(|| panic!("node {via} does not know {id}"));
        self.index_of_port(line.port)
    }

    /// The node id of node `i` (CLUSTER MYID).
    pub fn id(&self, i: usize) -> String {
        self.nodes[i]
            .query_text(&["CLUSTER", "MYID"])
            .unwrap_or_else(|| panic!("CLUSTER MYID on node {i}"))
    }

    /// The primary of `slot` as node `via` sees it (a primary not flagged failing).
    pub fn primary_of_slot(&self, via: usize, slot: u16) -> usize {
        let lines = self.nodes[via].nodes().expect("CLUSTER NODES");
        let p = lines
            .iter()
            .find(|l| l.is_primary() && !l.is_failing() && l.owns(slot))
            .unwrap_or_else(|| panic!("no primary of slot {slot}:\n{}", self.dump()));
        self.index_of_port(p.port)
    }

    /// The replicas of node `primary` as node `via` sees them.
    pub fn replicas_of(&self, via: usize, primary: usize) -> Vec<usize> {
        let id = self.id(primary);
        let lines = self.nodes[via].nodes().expect("CLUSTER NODES");
        lines
            .iter()
            .filter(|l| l.is_replica() && l.master.as_deref() == Some(id.as_str()))
            .map(|l| self.index_of_port(l.port))
            .collect()
    }

    /// Indices of the nodes `via` sees as primaries owning slots.
    pub fn primaries(&self, via: usize) -> Vec<usize> {
        let lines = self.nodes[via].nodes().expect("CLUSTER NODES");
        lines
            .iter()
            .filter(|l| l.is_primary() && !l.is_failing() && !l.slots.is_empty())
            .map(|l| self.index_of_port(l.port))
            .collect()
    }

    /// SIGKILL node `i` (our own PID).
    pub fn kill9(&mut self, i: usize) {
        self.nodes[i].kill9();
    }

    /// Restarts node `i` (stopped) on its old port and directory, so it reads its nodes.conf.
    pub fn restart(&mut self, i: usize) {
        assert!(self.nodes[i].child.is_none(), "node {i} is still running");
        let (dir, port) = (self.nodes[i].dir.clone(), self.nodes[i].port);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match Node::spawn(dir.clone(), port, self.node_timeout_ms) {
                Ok(mut n) => {
                    n.member = self.nodes[i].member;
                    self.nodes[i] = n;
                    return;
                }
                Err(e) => assert!(
                    Instant::now() < deadline,
                    "node {i} did not restart on port {port}: {e}"
                ),
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// `redis://` URLs of every running node.
    pub fn urls(&self) -> Vec<String> {
        self.running()
            .map(|n| format!("redis://{}/", n.addr()))
            .collect()
    }

    /// A cluster client seeded with every running node (connect 2 s, response 10 s).
    pub fn client(&self) -> redis::cluster::ClusterClient {
        redis::cluster::ClusterClient::builder(self.urls())
            .connection_timeout(Duration::from_secs(2))
            .response_timeout(Duration::from_secs(10))
            .build()
            .unwrap()
    }

    /// Every running node's CLUSTER NODES, for failure messages.
    pub fn dump(&self) -> String {
        let mut s = String::new();
        for n in &self.nodes {
            let view = match n.child {
                None => "(not running)".to_string(),
                Some(_) => n
                    .query_text(&["CLUSTER", "NODES"])
                    .unwrap_or_else(|| "(no answer)".into()),
            };
            s.push_str(&format!("--- CLUSTER NODES of :{}\n{view}\n", n.port));
        }
        s
    }

    /// Waits until node `i` sees itself as a replica of node `primary`, and `primary` sees
    /// itself as a primary; panics with the views at the deadline.
    #[track_caller]
    pub fn wait_replica_of(&self, i: usize, primary: usize, timeout: Duration) {
        let want = self.id(primary);
        let ok = poll_until(timeout, || {
            let me = self.nodes[i].myself();
            let p = self.nodes[primary].myself();
            me.is_some_and(|m| m.is_replica() && m.master.as_deref() == Some(want.as_str()))
                && p.is_some_and(|p| p.is_primary())
        });
        assert!(
            ok,
            "node {i} (:{}) never became a replica of node {primary} (:{}):\n{}",
            self.nodes[i].port,
            self.nodes[primary].port,
            self.dump()
        );
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for n in &mut self.nodes {
            n.kill9();
        }
        if std::thread::panicking() && std::env::var_os("SHOAL_TEST_LOGDIR").is_none() {
            for n in &self.nodes {
                let log = std::fs::read_to_string(&n.log).unwrap_or_default();
                eprintln!("--- last lines of node :{} log\n{}", n.port, tail(&log, 30));
            }
        }
    }
}

/// The last `n` lines of `text`.
pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
