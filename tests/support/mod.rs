//! Test support: starts a real `shoal-server` process on a free loopback port and hands out
//! clients (the `redis` crate, `redis-cli`, raw TCP).
//!
//! Set `SHOAL_TEST_AGAINST=redis` to run the very same tests against Debian's `redis-server`
//! instead: that is how the expectations in these tests were checked against Redis 7.0.15.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub mod cluster;
pub mod cluster_load;

/// A server process started by a test; killed (by its own PID) when dropped.
pub struct Server {
    pub port: u16,
    child: Child,
    pub dir: PathBuf,
    /// Whether dropping the server removes `dir` (not when the test gave the directory).
    owns_dir: bool,
}

/// Which implementation the tests talk to.
pub fn against_redis() -> bool {
    std::env::var("SHOAL_TEST_AGAINST")
        .map(|v| v == "redis")
        .unwrap_or(false)
}

/// A port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> u16 {
    // Ports above 55535 are avoided so that port + 10000 (the cluster bus) stays valid.
    for _ in 0..100 {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let p = l.local_addr().unwrap().port();
        if p < 55535 {
            return p;
        }
    }
    panic!("no free port below 55535");
}

impl Server {
    /// Starts a server with default settings plus `extra` redis.conf-style arguments
    /// (e.g. `&["--requirepass", "pw"]`).
    pub fn start(extra: &[&str]) -> Server {
        Self::start_with_config(None, extra)
    }

    /// Starts a server with an optional config file (its text) and extra arguments.
    ///
    /// The port is picked free and then handed to the server, so another process can take it in
    /// between; if the server exits instead of listening, it is started again on a new port.
    pub fn start_with_config(config: Option<&str>, extra: &[&str]) -> Server {
        for _ in 0..5 {
            if let Some(s) = Self::try_start(config, extra, None) {
                return s;
            }
        }
        panic!("server did not start on any of 5 free ports");
    }

    /// Starts a server whose working directory is `dir` (kept when the server is dropped), so
    /// a test can restart a server on the files the previous one wrote.
    pub fn start_in(dir: &std::path::Path, extra: &[&str]) -> Server {
        for _ in 0..5 {
            if let Some(s) = Self::try_start(None, extra, Some(dir)) {
                return s;
            }
        }
        panic!("server did not start on any of 5 free ports");
    }

    fn try_start(
        config: Option<&str>,
        extra: &[&str],
        in_dir: Option<&std::path::Path>,
    ) -> Option<Server> {
        let port = free_port();
        let dir = match in_dir {
            Some(d) => d.to_path_buf(),
            None => {
                std::env::temp_dir().join(format!("shoal-test-{}-{}", std::process::id(), port))
            }
        };
        std::fs::create_dir_all(&dir).unwrap();
        let mut cmd = if against_redis() {
            Command::new("redis-server")
        } else {
            Command::new(env!("CARGO_BIN_EXE_shoal-server"))
        };
        cmd.current_dir(&dir);
        if let Some(text) = config {
            let path = dir.join("test.conf");
            std::fs::write(&path, text).unwrap();
            cmd.arg(&path);
        }
        cmd.args(["--port", &port.to_string(), "--bind", "127.0.0.1"]);
        if against_redis() {
            cmd.args(["--save", "", "--appendonly", "no", "--daemonize", "no"]);
        }
        cmd.args(extra);
        // SHOAL_TEST_LOGDIR=dir keeps each server's log as dir/<port>.log (for debugging).
        match std::env::var_os("SHOAL_TEST_LOGDIR") {
            Some(d) => {
                let log = std::fs::File::create(Path::new(&d).join(format!("{port}.log")))
                    .expect("create the server log");
                cmd.stdout(log.try_clone().unwrap()).stderr(log);
            }
            None => {
                cmd.stdout(Stdio::null()).stderr(Stdio::null());
            }
        }
        let child = cmd.spawn().expect("spawn server");
        let mut server = Server {
            port,
            child,
            dir,
            owns_dir: in_dir.is_none(),
        };
        server.wait_ready().then_some(server)
    }

    /// Waits until our own process accepts connections; false if it exited first.
    fn wait_ready(&mut self) -> bool {
        wait_listening(&mut self.child, self.port)
            .unwrap_or_else(|| panic!("server on port {} did not start within 20s", self.port))
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// A synchronous `redis` crate connection.
    pub fn client(&self) -> redis::Connection {
        redis::Client::open(self.url())
            .unwrap()
            .get_connection()
            .unwrap()
    }

    /// A raw TCP connection with a read timeout, for byte-exact protocol checks.
    pub fn raw(&self) -> Raw {
        Raw::connect(self.port)
    }

    /// Runs `redis-cli -p PORT args...` and returns its output.
    pub fn cli(&self, args: &[&str]) -> Output {
        Command::new("redis-cli")
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(args)
            .output()
            .expect("redis-cli (apt-get install redis-tools)")
    }

    /// Whether the process has exited, waiting up to `timeout` for it.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                return Some(st);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGKILL to our own process and reaps it (a crash, as `kill -9`).
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends SIGTERM to our own process (by its PID) and waits up to 30 s for it to exit.
    pub fn terminate(&mut self) -> Option<std::process::ExitStatus> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        self.wait_exit(Duration::from_secs(30))
    }
}

/// Waits until `child` (a server this test started) accepts connections on `port`: `Some(true)`
/// once it answers with its own process id, `Some(false)` if it exited first or the listener
/// on the port is another process's (a reused port), `None` after 20 s.
pub fn wait_listening(child: &mut std::process::Child, port: u16) -> Option<bool> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            return Some(false);
        }
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            return Some(listener_is(child, &mut s));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// Whether the server behind `s` is `child`: asks its process id with INFO.
fn listener_is(child: &mut std::process::Child, s: &mut TcpStream) -> bool {
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    // QUIT after INFO, and read until the server closes: by then the server has forgotten
    // this probe, so tests that count clients (maxclients, CLIENT LIST) do not see it.
    if s.write_all(b"INFO server\r\nQUIT\r\n").is_err() {
        return false;
    }
    let mut text = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => text.extend_from_slice(&buf[..n]),
        }
    }
    let t = String::from_utf8_lossy(&text);
    if t.starts_with('-') {
        // NOAUTH (requirepass): no process id to read; trust a process that stays up.
        std::thread::sleep(Duration::from_millis(200));
        return child.try_wait().unwrap().is_none();
    }
    match t.split("process_id:").nth(1) {
        Some(rest) => rest.split("\r\n").next().unwrap_or("").trim() == child.id().to_string(),
        None => false,
    }
}

/// Waits up to `timeout` for `child` (a process the test started) to exit; kills it and panics
/// if it is still running then.
pub fn wait_child_exit(
    child: &mut std::process::Child,
    timeout: Duration,
) -> std::process::ExitStatus {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return st;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("process {} did not exit within {timeout:?}", child.id());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A fresh empty directory under the system temp dir for `name`, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let d = std::env::temp_dir().join(format!(
            "shoal-{name}-{}-{}",
            std::process::id(),
            free_port()
        ));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        TempDir(d)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if self.owns_dir {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// A raw socket speaking bytes.
pub struct Raw {
    pub s: TcpStream,
}

impl Raw {
    /// A connection to 127.0.0.1:`port` with a 10 s read timeout and TCP_NODELAY.
    pub fn connect(port: u16) -> Raw {
        let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.set_nodelay(true).unwrap();
        Raw { s }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.s.write_all(bytes).unwrap();
    }

    /// Reads until exactly `expected.len()` bytes arrived (or 10s passed) and returns them.
    pub fn read_exact_len(&mut self, n: usize) -> Vec<u8> {
        let mut buf = vec![0u8; n];
        let mut got = 0;
        let deadline = Instant::now() + Duration::from_secs(10);
        while got < n && Instant::now() < deadline {
            match self.s.read(&mut buf[got..]) {
                Ok(0) => break,
                Ok(k) => got += k,
                Err(_) => break,
            }
        }
        buf.truncate(got);
        buf
    }

    /// Sends `req` and asserts the reply is exactly `expected`.
    pub fn roundtrip(&mut self, req: &[u8], expected: &[u8]) {
        self.send(req);
        let got = self.read_exact_len(expected.len());
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(expected),
            "request {:?}",
            String::from_utf8_lossy(req)
        );
    }

    /// Reads everything until the peer closes (or 10s pass); returns bytes and whether it closed.
    pub fn read_to_close(&mut self) -> (Vec<u8>, bool) {
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            match self.s.read(&mut buf) {
                Ok(0) => return (out, true),
                Ok(k) => out.extend_from_slice(&buf[..k]),
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return (out, true),
                Err(_) => return (out, false),
            }
        }
        (out, false)
    }

    /// Reads exactly one complete reply (see [`read_reply`]) and returns its bytes.
    pub fn read_reply(&mut self) -> Vec<u8> {
        read_reply(&mut self.s)
    }

    /// Sends one command (as a RESP multibulk of `args`) and returns its complete reply, verbatim.
    pub fn call(&mut self, args: &[&str]) -> String {
        let v: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        self.send(&resp(&v));
        String::from_utf8_lossy(&self.read_reply()).into_owned()
    }

    /// Sends `args` and asserts the reply is exactly `expected` (raw RESP bytes).
    #[track_caller]
    pub fn expect(&mut self, args: &[&str], expected: &str) {
        let got = self.call(args);
        assert_eq!(got, expected, "reply to {args:?}");
    }

    /// Sends a command given as whitespace-separated words without reading its reply (a
    /// blocking command, a pipeline).
    /// The value of `field` in `INFO section` (panics when it is missing).
    pub fn info_field(&mut self, section: &str, field: &str) -> String {
        let info = self.call(&["INFO", section]);
        info.lines()
            .find_map(|l| l.strip_prefix(&format!("{field}:")))
            .unwrap_or_else(|| panic!("{field} missing from INFO {section}: {info}"))
            .trim()
            .to_string()
    }

    pub fn send_cmd(&mut self, cmd: &str) {
        let args: Vec<&[u8]> = cmd.split_whitespace().map(str::as_bytes).collect();
        self.send(&resp(&args));
    }

    /// Reads one complete reply as text.
    pub fn reply(&mut self) -> String {
        String::from_utf8_lossy(&self.read_reply()).into_owned()
    }

    /// Clients blocked now, from INFO clients (`blocked_clients`).
    pub fn blocked_clients(&mut self) -> usize {
        let info = self.call(&["INFO", "clients"]);
        info.lines()
            .find_map(|l| l.strip_prefix("blocked_clients:"))
            .and_then(|v| v.trim().parse().ok())
            .expect("blocked_clients in INFO")
    }

    /// Waits (up to 10 s) until exactly `n` clients are blocked.
    #[track_caller]
    pub fn wait_blocked(&mut self, n: usize) {
        assert!(
            poll_until(Duration::from_secs(10), || self.blocked_clients() == n),
            "expected {n} blocked clients, INFO says {}",
            self.blocked_clients()
        );
    }

    /// Like `expect`, with the command given as whitespace-separated words.
    #[track_caller]
    pub fn ex(&mut self, cmd: &str, expected: &str) {
        self.expect(&cmd.split_whitespace().collect::<Vec<_>>(), expected);
    }
}

/// Reads exactly one complete RESP2/RESP3 reply from `stream` and returns its bytes as sent.
///
/// Handles every reply type: `+ - : _ , # (` lines, `$ = !` bulks (`$-1` included), and the
/// `* ~ > % |` aggregates, nested (an attribute `|` is read together with the reply it annotates).
/// Nothing after the reply is consumed: header lines are read a byte at a time and bulk payloads
/// by their exact length, so the stream can still be used directly afterwards. Panics with what
/// arrived so far if the peer closes or the stream's read timeout passes inside the reply.
pub fn read_reply(stream: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    read_frame(stream, &mut out);
    out
}

fn read_frame(stream: &mut TcpStream, out: &mut Vec<u8>) {
    let start = out.len();
    while !out[start..].ends_with(b"\r\n") {
        let mut byte = [0u8; 1];
        read_or_panic(stream, &mut byte, out);
        out.push(byte[0]);
    }
    let line = &out[start..out.len() - 2];
    assert!(
        !line.is_empty(),
        "empty RESP header line after {:?}",
        String::from_utf8_lossy(out)
    );
    let kind = line[0];
    let n = || -> i64 {
        std::str::from_utf8(&line[1..])
            .ok()
            .and_then(|t| t.parse().ok())
            .unwrap_or_else(|| panic!("bad RESP header {:?}", String::from_utf8_lossy(line)))
    };
    match kind {
        b'+' | b'-' | b':' | b'_' | b',' | b'#' | b'(' => {}
        b'$' | b'=' | b'!' => {
            let len = n();
            if len >= 0 {
                let mut body = vec![0u8; len as usize + 2];
                read_or_panic(stream, &mut body, out);
                out.extend_from_slice(&body);
                assert!(
                    body.ends_with(b"\r\n"),
                    "bulk of {len} bytes not followed by CRLF: {:?}",
                    String::from_utf8_lossy(out)
                );
            }
        }
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let count = n();
            let elems = if matches!(kind, b'%' | b'|') {
                2 * count
            } else {
                count
            };
            for _ in 0..elems.max(0) {
                read_frame(stream, out);
            }
            if kind == b'|' {
                // An attribute is followed by the reply it annotates.
                read_frame(stream, out);
            }
        }
        other => panic!(
            "unexpected RESP type byte {:?} in {:?}",
            other as char,
            String::from_utf8_lossy(out)
        ),
    }
}

/// Fills `buf` from `stream`, or panics saying why (EOF, timeout, error) and what came before.
fn read_or_panic(stream: &mut TcpStream, buf: &mut [u8], so_far: &[u8]) {
    if let Err(e) = stream.read_exact(buf) {
        let why = match e.kind() {
            std::io::ErrorKind::UnexpectedEof => "connection closed".to_string(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
                format!(
                    "timed out ({:?} read timeout)",
                    stream.read_timeout().ok().flatten()
                )
            }
            _ => format!("read failed ({e})"),
        };
        panic!(
            "{why} inside a reply; got so far {:?}",
            String::from_utf8_lossy(so_far)
        );
    }
}

/// Encodes a command as a RESP multibulk frame.
pub fn resp(args: &[&[u8]]) -> Vec<u8> {
    let mut v = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        v.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        v.extend_from_slice(a);
        v.extend_from_slice(b"\r\n");
    }
    v
}

/// Polls `f` every 20 ms until it returns true or `timeout` passes; returns the last result.
pub fn poll_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if f() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ---------------------------------------------------------------------------------------------
// Reply literals: the exact RESP2 bytes Redis 7.0.15 sends.
// ---------------------------------------------------------------------------------------------

pub const OK: &str = "+OK\r\n";
pub const NIL: &str = "$-1\r\n";
pub const EMPTY: &str = "*0\r\n";
pub const SYNTAX: &str = "-ERR syntax error\r\n";
pub const NOT_INT: &str = "-ERR value is not an integer or out of range\r\n";
pub const NOT_FLOAT: &str = "-ERR value is not a valid float\r\n";
pub const WRONGTYPE: &str =
    "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

/// A bulk string reply.
pub fn bulk(s: &str) -> String {
    format!("${}\r\n{}\r\n", s.len(), s)
}

/// An integer reply.
pub fn int(n: i64) -> String {
    format!(":{n}\r\n")
}

/// An error reply with message `msg` (which starts with its code, e.g. `ERR ...`).
pub fn err(msg: &str) -> String {
    format!("-{msg}\r\n")
}

/// The wrong-number-of-arguments error for `cmd`.
pub fn arity(cmd: &str) -> String {
    err(&format!(
        "ERR wrong number of arguments for '{cmd}' command"
    ))
}

/// An array of bulk strings.
pub fn arr(items: &[&str]) -> String {
    let mut s = format!("*{}\r\n", items.len());
    for i in items {
        s.push_str(&bulk(i));
    }
    s
}

/// Runs a full collection scan (`HSCAN`, `SSCAN` or `ZSCAN` `key` with `extra` options) from
/// cursor 0 back to 0, calling `between(conn, step)` after each call so a test can change the
/// collection mid-iteration. Returns every item of every call, flat (HSCAN/ZSCAN pairs stay
/// adjacent), and the number of calls. Panics after 100000 calls.
pub fn scan_collection(
    r: &mut redis::Connection,
    cmd: &str,
    key: &str,
    extra: &[&str],
    mut between: impl FnMut(&mut redis::Connection, usize),
) -> (Vec<String>, usize) {
    let mut items = Vec::new();
    let mut cursor = "0".to_string();
    for step in 0..100_000 {
        let (next, got): (String, Vec<String>) = redis::cmd(cmd)
            .arg(key)
            .arg(&cursor)
            .arg(extra)
            .query(r)
            .unwrap_or_else(|e| panic!("{cmd} {key} {cursor}: {e}"));
        items.extend(got);
        between(r, step);
        if next == "0" {
            return (items, step + 1);
        }
        cursor = next;
    }
    panic!("{cmd} {key} did not return to cursor 0");
}

/// The stdout lines of `child` (spawned with `Stdio::piped()` stdout), arriving on a channel
/// from a reader thread that ends with the output or when the receiver is dropped.
pub fn stdout_lines(child: &mut Child) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead;
    let (tx, lines) = std::sync::mpsc::channel();
    let out = std::io::BufReader::new(child.stdout.take().expect("stdout is piped"));
    std::thread::spawn(move || {
        for line in out.lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    lines
}
