//! `shoal-server --local-cluster SPEC [--dir DIR] [--directive value ...]`: a whole cluster on
//! one machine with one command, for development and demos.
//!
//! SPEC is `key=value` pairs separated by commas, each optional ([`Spec::parse`]):
//! `shards` (primaries, default 3), `replicas` (per primary, default 1), `base-port` (default
//! 7000), `bind` or `ip` (default 127.0.0.1). The launcher
//! 1. starts `shards * (1 + replicas)` nodes, children of the current executable, on ports
//!    `base-port ..= base-port + N - 1` (primaries first, then replica `k` of shard `s` on
//!    `base-port + shards * (1 + k) + s`), each with `--port P --cluster-enabled yes
//!    --cluster-config-file nodes-P.conf --dir DIR/P --bind IP` and then every other directive
//!    given after the spec; their stdout and stderr go to `DIR/P/shoal.log` (appended);
//! 2. forms the cluster as `redis-cli --cluster create ... --cluster-replicas R` would: CLUSTER
//!    ADDSLOTSRANGE on each primary (16384 slots split in contiguous ranges as redis-cli splits
//!    them, [`slot_ranges`]), CLUSTER SET-CONFIG-EPOCH 1..N, CLUSTER MEET of the first node on
//!    every other node, a wait until every node knows all N, CLUSTER REPLICATE on each replica,
//!    then a wait until every node says `cluster_state:ok`, all nodes describe the same slot
//!    owners and roles, and every replica has its link to its primary up (a replica that never
//!    synced would not fail over). When every node's directory already holds its
//!    `nodes-P.conf` (the same local cluster started again) nothing is formed: the nodes start
//!    and the launcher waits for that agreement only;
//! 3. prints one line per node (address, pid, role, slots) and `cluster ready: redis-cli -c -p
//!    BASE`, then stays in the foreground. A node that exits is reported on stderr (the others
//!    keep running, so the cluster fails it over). SIGINT or SIGTERM stops every node it started
//!    (SIGTERM by pid, SIGKILL after 10 s) and exits 0.
//!
//! Every wait is a poll with a deadline ([`LISTEN_TIMEOUT`], [`FORM_TIMEOUT`]) whose error names
//! the node that did not get there; on any error the launcher stops the nodes it started and
//! exits 1, leaving DIR (and the logs) in place. The nodes run in their own process group, so a
//! Ctrl-C in the terminal reaches only the launcher, which stops them in order.
//!
//! Testing aid: the environment variable `SHOAL_LOCAL_CLUSTER_SERVER=/path/to/binary` replaces
//! the executable of the nodes, e.g. `/usr/bin/redis-server` (which takes the same arguments), to
//! check the forming logic against Redis itself.
//!
//! Files: this one runs the nodes and forms the cluster; `spec` parses the command line and
//! splits the slots; `resp` is the small synchronous RESP2 client ([`Conn`], over `std::net`)
//! the launcher talks to the nodes with; `nodes` reads CLUSTER NODES. The launcher owns nothing
//! of the server and no running node uses it.

mod nodes;
mod resp;
mod spec;

pub use resp::{Conn, Value};
pub use spec::{slot_ranges, Options, Spec, USAGE};

use nodes::{info_field, parse_cluster_nodes, signature, NodeLine};
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long the nodes have to accept connections after they are started.
pub const LISTEN_TIMEOUT: Duration = Duration::from_secs(20);
/// How long each stage of forming may take: all nodes meet, then all nodes agree and say ok.
pub const FORM_TIMEOUT: Duration = Duration::from_secs(30);
/// How long stopped nodes have to exit after SIGTERM before they get SIGKILL.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// The pause between two polls of a wait.
const POLL: Duration = Duration::from_millis(100);

/// Runs the launcher with the arguments after `--local-cluster` until SIGINT or SIGTERM;
/// returns the process exit code: 0 after a signal, 1 on a bad command line or when the
/// cluster could not be started or formed (the error is printed on stderr), or when every node
/// has exited.
pub fn run(args: &[String]) -> i32 {
    let opts = match Options::parse(args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("shoal-server --local-cluster: {e}\n{USAGE}");
            return 1;
        }
    };
    let stop = Arc::new(AtomicBool::new(false));
    let rt = match signal_runtime(stop.clone()) {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("shoal-server --local-cluster: cannot watch for signals: {e}");
            return 1;
        }
    };
    let mut cluster = Launcher {
        spec: opts.spec.clone(),
        dir: PathBuf::new(),
        nodes: Vec::new(),
        restart: false,
        stop,
    };
    let code = match cluster.start(&opts).and_then(|()| cluster.bring_up()) {
        Ok(()) => cluster.supervise(),
        Err(e) => {
            if cluster.stop.load(Ordering::SeqCst) {
                eprintln!("shoal-server --local-cluster: interrupted; stopping the nodes");
            } else {
                eprintln!("shoal-server --local-cluster: {e}");
            }
            1
        }
    };
    cluster.stop_all();
    rt.shutdown_background();
    code
}

/// A runtime whose one task sets `stop` on the first SIGINT or SIGTERM.
fn signal_runtime(stop: Arc<AtomicBool>) -> io::Result<tokio::runtime::Runtime> {
    use tokio::signal::unix::{signal, SignalKind};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let (mut term, mut int) = {
        let _in_runtime = rt.enter();
        (
            signal(SignalKind::terminate())?,
            signal(SignalKind::interrupt())?,
        )
    };
    rt.spawn(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        stop.store(true, Ordering::SeqCst);
    });
    Ok(rt)
}

/// One node the launcher started.
struct Node {
    port: u16,
    /// `DIR/PORT`, the node's `--dir`.
    dir: PathBuf,
    /// `None` once the process exited and was reaped.
    child: Option<Child>,
    pid: u32,
    /// A connection kept between polls; dropped on any error and opened again.
    conn: Option<Conn>,
}

/// The outcome of one poll of a wait.
enum Step<T> {
    Done(T),
    /// Not yet: why (naming the node), kept for the error at the deadline.
    Wait(String),
}

struct Launcher {
    spec: Spec,
    /// Absolute path of the cluster's directory.
    dir: PathBuf,
    nodes: Vec<Node>,
    /// DIR held this cluster already: start the nodes, do not form.
    restart: bool,
    /// Set by the signal task.
    stop: Arc<AtomicBool>,
}

impl Launcher {
    fn addr(&self, i: usize) -> String {
        addr(self.spec.bind, self.nodes[i].port)
    }

    fn log_path(&self, i: usize) -> PathBuf {
        self.nodes[i].dir.join("shoal.log")
    }

    /// Checks the ports, prepares the directories and starts every node (none is started when
    /// a port is taken or a directory cannot be made).
    fn start(&mut self, opts: &Options) -> Result<(), String> {
        let spec = &self.spec;
        std::fs::create_dir_all(&opts.dir)
            .map_err(|e| format!("cannot create {}: {e}", opts.dir.display()))?;
        self.dir = std::fs::canonicalize(&opts.dir)
            .map_err(|e| format!("cannot resolve {}: {e}", opts.dir.display()))?;
        self.restart = self.formed_before()?;
        for i in 0..spec.nodes() {
            for port in [spec.port(i), spec.port(i) + 10000] {
                TcpListener::bind((spec.bind, port))
                    .map_err(|e| format!("port {port} on {} is not free: {e}", spec.bind))?;
            }
        }
        let exe = match std::env::var_os("SHOAL_LOCAL_CLUSTER_SERVER") {
            Some(p) => PathBuf::from(p),
            None => std::env::current_exe()
                .map_err(|e| format!("cannot find the shoal-server executable: {e}"))?,
        };
        let n = spec.nodes();
        println!(
            "starting {n} nodes ({} shards, {} replica{} each) on {} ports {}-{}, in {}",
            spec.shards,
            spec.replicas,
            if spec.replicas == 1 { "" } else { "s" },
            spec.bind,
            spec.port(0),
            spec.port(n - 1),
            self.dir.display()
        );
        if self.restart {
            println!(
                "every node has its nodes-PORT.conf: restarting the cluster without forming it"
            );
        }
        for i in 0..n {
            let port = spec.port(i);
            let dir = self.dir.join(port.to_string());
            std::fs::create_dir_all(&dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            let log = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(dir.join("shoal.log"))
                .map_err(|e| format!("cannot open {}: {e}", dir.join("shoal.log").display()))?;
            let log2 = log.try_clone().map_err(|e| e.to_string())?;
            let child = {
                use std::os::unix::process::CommandExt;
                Command::new(&exe)
                    .args(["--port", &port.to_string(), "--cluster-enabled", "yes"])
                    .args(["--cluster-config-file", &format!("nodes-{port}.conf")])
                    .arg("--dir")
                    .arg(&dir)
                    .args(["--bind", &spec.bind.to_string()])
                    .args(&opts.directives)
                    .current_dir(&dir)
                    .stdin(Stdio::null())
                    .stdout(log)
                    .stderr(log2)
                    .process_group(0)
                    .spawn()
                    .map_err(|e| format!("cannot start {}: {e}", exe.display()))?
            };
            self.nodes.push(Node {
                port,
                dir,
                pid: child.id(),
                child: Some(child),
                conn: None,
            });
        }
        Ok(())
    }

    /// Waits for the nodes to listen, forms the cluster unless it was formed before, waits
    /// for agreement and prints the summary.
    fn bring_up(&mut self) -> Result<(), String> {
        self.wait_listening()?;
        if !self.restart {
            self.form()?;
        }
        let view = self.wait_agreed()?;
        self.print_summary(&view);
        Ok(())
    }

    /// Whether DIR holds this cluster already (every node's `nodes-PORT.conf` exists), decided
    /// before any node starts, as a node writes its file as soon as it starts. Some files but
    /// not all is an error: DIR holds another cluster.
    fn formed_before(&self) -> Result<bool, String> {
        let conf = |i: usize| {
            let port = self.spec.port(i);
            self.dir
                .join(port.to_string())
                .join(format!("nodes-{port}.conf"))
        };
        let have: Vec<bool> = (0..self.spec.nodes()).map(|i| conf(i).exists()).collect();
        match (have.iter().position(|&h| h), have.iter().position(|&h| !h)) {
            (Some(i), Some(j)) => Err(format!(
                "{} exists but {} does not: {} holds another cluster's files; remove it or \
                 choose another --dir",
                conf(i).display(),
                conf(j).display(),
                self.dir.display()
            )),
            (Some(_), None) => Ok(true),
            _ => Ok(false),
        }
    }

    /// Sends one command to node `i` (over its kept connection) and returns the reply; an I/O
    /// or protocol error drops the connection.
    fn call(&mut self, i: usize, args: &[&str]) -> Result<Value, String> {
        let addr = self.addr(i);
        let node = &mut self.nodes[i];
        if node.conn.is_none() {
            let sa = SocketAddr::new(self.spec.bind, node.port);
            node.conn = Some(Conn::connect(sa).map_err(|e| format!("node {addr}: {e}"))?);
        }
        let conn = node.conn.as_mut().expect("connected above");
        conn.call(args).map_err(|e| {
            node.conn = None;
            format!("node {addr}: {} failed: {e}", args.join(" "))
        })
    }

    /// Sends a command that must reply `+OK`.
    fn ok(&mut self, i: usize, args: &[&str]) -> Result<(), String> {
        match self.call(i, args)? {
            Value::Status(s) if s == "OK" => Ok(()),
            other => Err(format!(
                "node {}: {} replied {other}",
                self.addr(i),
                args.join(" ")
            )),
        }
    }

    /// Sends a command that must reply with a bulk string, returned as text.
    fn text(&mut self, i: usize, args: &[&str]) -> Result<String, String> {
        match self.call(i, args)? {
            Value::Bulk(b) => Ok(String::from_utf8_lossy(&b).into_owned()),
            other => Err(format!(
                "node {}: {} replied {other}",
                self.addr(i),
                args.join(" ")
            )),
        }
    }

    /// Fails when a node exited (naming it and its log) or a signal asked to stop.
    fn check_alive(&mut self) -> Result<(), String> {
        if self.stop.load(Ordering::SeqCst) {
            return Err("interrupted".into());
        }
        for i in 0..self.nodes.len() {
            let status = match self.nodes[i].child.as_mut().map(Child::try_wait) {
                Some(Ok(Some(status))) => status,
                _ => continue,
            };
            self.nodes[i].child = None;
            return Err(format!(
                "node {} (pid {}) exited during start-up ({status}); see {}",
                self.addr(i),
                self.nodes[i].pid,
                self.log_path(i).display()
            ));
        }
        Ok(())
    }

    /// Polls `f` every 100 ms until it is done, a node dies, a signal arrives or `timeout`
    /// passes (the error then says what was awaited and the last reason to wait).
    fn poll<T>(
        &mut self,
        what: &str,
        timeout: Duration,
        mut f: impl FnMut(&mut Self) -> Step<T>,
    ) -> Result<T, String> {
        let deadline = Instant::now() + timeout;
        loop {
            self.check_alive()?;
            let why = match f(self) {
                Step::Done(t) => return Ok(t),
                Step::Wait(why) => why,
            };
            if Instant::now() >= deadline {
                return Err(format!(
                    "{what}: not done after {} s: {why}",
                    timeout.as_secs()
                ));
            }
            std::thread::sleep(POLL);
        }
    }

    /// Waits until every node answers, and answers as the process the launcher started (the
    /// `process_id` of INFO server), so a stranger on a port is noticed.
    fn wait_listening(&mut self) -> Result<(), String> {
        let mut i = 0;
        self.poll("waiting for the nodes to listen", LISTEN_TIMEOUT, |l| {
            while i < l.nodes.len() {
                let info = match l.text(i, &["INFO", "server"]) {
                    Ok(t) => t,
                    Err(e) => return Step::Wait(e),
                };
                let pid = info_field(&info, "process_id").unwrap_or_default();
                if pid != l.nodes[i].pid.to_string() {
                    return Step::Wait(format!(
                        "port {} answers as pid {pid:?}, not as the node started there (pid {})",
                        l.nodes[i].port, l.nodes[i].pid
                    ));
                }
                i += 1;
            }
            Step::Done(())
        })
    }

    /// Forms the cluster as `redis-cli --cluster create` does.
    fn form(&mut self) -> Result<(), String> {
        let spec = self.spec.clone();
        let n = spec.nodes();
        for (s, (first, last)) in slot_ranges(spec.shards).into_iter().enumerate() {
            let (first, last) = (first.to_string(), last.to_string());
            self.ok(s, &["CLUSTER", "ADDSLOTSRANGE", &first, &last])?;
        }
        for i in 0..n {
            self.ok(i, &["CLUSTER", "SET-CONFIG-EPOCH", &(i + 1).to_string()])?;
        }
        let (ip, seed) = (spec.bind.to_string(), spec.port(0).to_string());
        for i in 1..n {
            self.ok(i, &["CLUSTER", "MEET", &ip, &seed])?;
        }
        self.poll("waiting for all nodes to meet", FORM_TIMEOUT, |l| {
            for i in 0..n {
                let known = match l.text(i, &["CLUSTER", "NODES"]) {
                    Ok(t) => parse_cluster_nodes(&t),
                    Err(e) => return Step::Wait(e),
                };
                let joined = known.iter().filter(|k| !k.handshake).count();
                if joined != n || known.len() != n {
                    return Step::Wait(format!("node {} knows {joined} of {n} nodes", l.addr(i)));
                }
            }
            Step::Done(())
        })?;
        let mut ids = Vec::with_capacity(spec.shards);
        for s in 0..spec.shards {
            ids.push(self.text(s, &["CLUSTER", "MYID"])?);
        }
        for i in spec.shards..n {
            let primary = spec.primary_of(i).expect("a replica");
            self.ok(i, &["CLUSTER", "REPLICATE", &ids[primary]])?;
        }
        Ok(())
    }

    /// Waits until every node says `cluster_state:ok`, knows N nodes, all describe the same
    /// slot owners and roles, and every replica's link to its primary is up (INFO replication
    /// `master_link_status:up`); returns the first node's view.
    fn wait_agreed(&mut self) -> Result<Vec<NodeLine>, String> {
        let n = self.spec.nodes();
        self.poll("waiting for the cluster to agree", FORM_TIMEOUT, |l| {
            let mut first: Option<(Vec<NodeLine>, String)> = None;
            for i in 0..n {
                let view = match l.text(i, &["CLUSTER", "NODES"]) {
                    Ok(t) => parse_cluster_nodes(&t),
                    Err(e) => return Step::Wait(e),
                };
                if view.len() != n {
                    let k = view.len();
                    return Step::Wait(format!("node {} knows {k} nodes, not {n}", l.addr(i)));
                }
                let sig = signature(&view);
                match &first {
                    None => first = Some((view, sig)),
                    Some((_, s0)) if *s0 != sig => {
                        return Step::Wait(format!(
                            "node {} sees other slot owners or roles than node {}",
                            l.addr(i),
                            l.addr(0)
                        ))
                    }
                    Some(_) => {}
                }
                let state = match l.text(i, &["CLUSTER", "INFO"]) {
                    Ok(t) => info_field(&t, "cluster_state").unwrap_or_default(),
                    Err(e) => return Step::Wait(e),
                };
                if state != "ok" {
                    return Step::Wait(format!("node {} says cluster_state:{state}", l.addr(i)));
                }
                // A replica that never synced refuses to fail over (its data looks too old),
                // so the cluster is ready once every replica's link to its primary is up.
                let own = first.as_ref().and_then(|(v, _)| {
                    v.iter()
                        .find(|v| v.port == l.nodes[i].port)
                        .map(|v| v.primary)
                });
                if own == Some(false) {
                    let link = match l.text(i, &["INFO", "replication"]) {
                        Ok(t) => info_field(&t, "master_link_status").unwrap_or_default(),
                        Err(e) => return Step::Wait(e),
                    };
                    if link != "up" {
                        return Step::Wait(format!(
                            "replica {} says master_link_status:{link}",
                            l.addr(i)
                        ));
                    }
                }
            }
            Step::Done(first.map(|(v, _)| v).unwrap_or_default())
        })
    }

    /// One line per node (sorted by port), then the `cluster ready:` line.
    fn print_summary(&self, view: &[NodeLine]) {
        let by_id = |id: &str| view.iter().find(|v| v.id == id).map(|v| v.port);
        for node in &self.nodes {
            let role = match view.iter().find(|v| v.port == node.port) {
                Some(v) if v.primary => {
                    let count: usize = v.slots.iter().map(|(a, b)| (b - a + 1) as usize).sum();
                    let ranges: Vec<String> = v
                        .slots
                        .iter()
                        .map(|&(a, b)| {
                            if a == b {
                                a.to_string()
                            } else {
                                format!("{a}-{b}")
                            }
                        })
                        .collect();
                    format!("primary  slots {} ({count} slots)", ranges.join(","))
                }
                Some(v) => match v.master.as_deref().and_then(by_id) {
                    Some(p) => format!("replica of {}", addr(self.spec.bind, p)),
                    None => "replica".to_string(),
                },
                None => "unknown".to_string(),
            };
            println!(
                "  {}  pid {}  {role}",
                addr(self.spec.bind, node.port),
                node.pid
            );
        }
        let host = match self.spec.bind {
            IpAddr::V4(ip) if ip == Ipv4Addr::LOCALHOST => String::new(),
            ip => format!(" -h {ip}"),
        };
        println!(
            "cluster ready: redis-cli -c{host} -p {}   (logs: {}/PORT/shoal.log; Ctrl-C stops it)",
            self.spec.port(0),
            self.dir.display()
        );
    }

    /// Stays in the foreground until a signal, reporting nodes that exit; 0 after a signal,
    /// 1 once no node is left.
    fn supervise(&mut self) -> i32 {
        loop {
            if self.stop.load(Ordering::SeqCst) {
                return 0;
            }
            for i in 0..self.nodes.len() {
                let Some(Ok(Some(status))) = self.nodes[i].child.as_mut().map(Child::try_wait)
                else {
                    continue;
                };
                self.nodes[i].child = None;
                eprintln!(
                    "node {} (pid {}) exited ({status}); the others keep running; see {}",
                    self.addr(i),
                    self.nodes[i].pid,
                    self.log_path(i).display()
                );
            }
            if self.nodes.iter().all(|n| n.child.is_none()) {
                eprintln!("every node has exited");
                return 1;
            }
            std::thread::sleep(POLL);
        }
    }

    /// Sends SIGTERM to every node still running (by its pid), waits up to [`STOP_TIMEOUT`] for
    /// them to exit, then SIGKILLs and reaps the rest.
    fn stop_all(&mut self) {
        for node in &mut self.nodes {
            node.conn = None;
            if let Some(child) = &mut node.child {
                if let Ok(None) = child.try_wait() {
                    // SAFETY: kill(2) takes plain integers; the pid is our own unreaped child,
                    // so it cannot have been reused by another process.
                    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
                }
            }
        }
        let deadline = Instant::now() + STOP_TIMEOUT;
        loop {
            for node in &mut self.nodes {
                if let Some(Ok(Some(_)) | Err(_)) = node.child.as_mut().map(Child::try_wait) {
                    node.child = None;
                }
            }
            if self.nodes.iter().all(|n| n.child.is_none()) || Instant::now() >= deadline {
                break;
            }
            std::thread::sleep(POLL);
        }
        for node in &mut self.nodes {
            if let Some(mut child) = node.child.take() {
                eprintln!(
                    "node {} (pid {}) did not stop within {} s; killing it",
                    addr(self.spec.bind, node.port),
                    node.pid,
                    STOP_TIMEOUT.as_secs()
                );
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

/// `ip:port`, with brackets around an IPv6 address.
fn addr(ip: IpAddr, port: u16) -> String {
    SocketAddr::new(ip, port).to_string()
}
