//! MIGRATE: moves keys to another node as DUMP payloads restored there (Redis 7.0.15's
//! `cluster.c`, `migrateCommand`, `migrateGetSocket`, `migrateGetKeys`), and the cache of
//! connections to target nodes ([`SocketCache`]).
//!
//! For each key that exists, the handler serializes the value (the bytes DUMP returns, through
//! `dump::dump_key`) with its remaining TTL, and writes to the target in one pipelined write:
//! `AUTH` when asked, `SELECT db` when the connection's last database differs, then per key
//! `RESTORE key ttl payload [REPLACE]`, or `RESTORE-ASKING` when `cluster-enabled` is on (the
//! target accepts it for a slot it is importing). It then reads one reply line per command. A
//! key whose RESTORE replied `+OK` is deleted here (unless COPY) and the deletions are fed to
//! the AOF and replicas as one `DEL key ...`; keys the target refused stay.
//!
//! Blocking: the handler runs under the shard locks dispatch took for the keys, and does its
//! network I/O with blocking `std::net` calls, each bounded by the command's timeout (ms; 0 or
//! less = 1000, as Redis). So the move is atomic per key: no command sees a key both here and
//! gone, or changes it between its serialization and its deletion. Redis blocks the whole
//! server meanwhile; here only this connection's task and the keys' shards wait. On a
//! multi-threaded runtime the wait runs in `tokio::task::block_in_place`, so the worker's other
//! connections move to another thread. A MIGRATE to this same node whose keys share a shard
//! with a key it restores waits for its own locks until the timeout, then fails with IOERR
//! (Redis, single-threaded, cannot answer itself either).
//!
//! Errors are Redis 7.0.15's, including its quirk that a refused or timed-out connect shows
//! as `IOERR error or timeout writing to target instance` (its blocking connect reports
//! success and the first write fails); only a host or port that does not resolve gives
//! `IOERR error or timeout connecting to the client`.
//!
//! Connections are cached per `host:port` as given (Redis's `migrateGetSocket`): at most 64,
//! reused by the next MIGRATE to the same target, closed after an I/O error, and closed when
//! unused for more than 10 s ([`SocketCache::close_idle`], called at each MIGRATE and
//! callable from a cron). A socket error that is not a timeout, before any RESTORE reply was
//! read, retries the command once on a fresh connection: a cached connection the target closed
//! meanwhile is the common case. Unlike Redis's single thread, two clients may MIGRATE to one
//! target at once: a connection is taken out of the cache while in use, so the second opens
//! its own.

use super::table::{acl, flag::*, Command, BASE};
use super::{notify, Args, CmdError, CmdResult, Ctx};
use crate::keyspace::feed::encode as encode_command;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::ops::Range;
use std::time::{Duration, Instant};

/// Cached connections kept at most (Redis's `MIGRATE_SOCKET_CACHE_ITEMS`).
pub const CACHE_ITEMS: usize = 64;

/// A cached connection unused for longer than this is closed (Redis's
/// `MIGRATE_SOCKET_CACHE_TTL`, 10 seconds).
pub const CACHE_TTL: Duration = Duration::from_secs(10);

/// The longest reply line read from a target, bytes (Redis reads replies into 1024-byte
/// buffers: a longer line is cut here and its rest read as the next reply, as in Redis).
const LINE_MAX: usize = 1023;

/// The pipeline is written in chunks of this many bytes, each within the timeout (as Redis).
const WRITE_CHUNK: usize = 64 * 1024;

const CONNECT_ERR: &str = "IOERR error or timeout connecting to the client";
const WRITE_ERR: &str = "IOERR error or timeout writing to target instance";
const READ_ERR: &str = "IOERR error or timeout reading to target instance";

/// The connections MIGRATE keeps to target nodes, by `host:port` (the arguments as given).
/// One per node ([`Shared::migrate`](crate::server::Shared)); the map's lock is held only to
/// take or return a connection, never during I/O.
#[derive(Default)]
pub struct SocketCache {
    conns: Mutex<HashMap<Vec<u8>, Conn>>,
}

/// One cached connection.
struct Conn {
    stream: TcpStream,
    /// Bytes read past the last reply line.
    rbuf: Vec<u8>,
    /// The database the last successful MIGRATE selected; `None` forces a SELECT.
    last_db: Option<i64>,
    last_use: Instant,
}

impl SocketCache {
    /// Connections cached now.
    pub fn len(&self) -> usize {
        self.conns.lock().len()
    }

    /// Whether no connection is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Closes the connections unused for more than [`CACHE_TTL`] at `now` (Redis's
    /// `migrateCloseTimedoutSockets`, run from its cron); returns how many.
    pub fn close_idle(&self, now: Instant) -> usize {
        let mut m = self.conns.lock();
        let before = m.len();
        m.retain(|_, c| now.saturating_duration_since(c.last_use) <= CACHE_TTL);
        before - m.len()
    }

    /// Takes the cached connection to `name` out of the cache.
    fn take(&self, name: &[u8]) -> Option<Conn> {
        let now = Instant::now();
        self.close_idle(now);
        let mut c = self.conns.lock().remove(name)?;
        c.last_use = now;
        Some(c)
    }

    /// Returns a healthy connection to the cache, dropping another one (any) when full.
    fn put(&self, name: &[u8], mut c: Conn) {
        c.last_use = Instant::now();
        let mut m = self.conns.lock();
        if m.len() >= CACHE_ITEMS && !m.contains_key(name) {
            if let Some(k) = m.keys().next().cloned() {
                m.remove(&k);
            }
        }
        m.insert(name.to_vec(), c);
    }
}

/// What one MIGRATE sends.
struct Request<'a> {
    host: &'a [u8],
    port: &'a [u8],
    db: i64,
    /// Connect and per-operation timeout.
    timeout: Duration,
    /// AUTH [username] password.
    auth: Option<(Option<&'a [u8]>, &'a [u8])>,
    /// `RESTORE` or `RESTORE-ASKING`.
    restore: &'static [u8],
    replace: bool,
    items: &'a [Item<'a>],
}

/// A key to move: its name, relative TTL (ms, 0 = none) and DUMP payload.
struct Item<'a> {
    key: &'a [u8],
    ttl: i64,
    payload: Vec<u8>,
}

/// How the exchange with the target ended.
#[derive(Debug, Default)]
struct Outcome {
    /// Per item whose RESTORE reply was read: whether the target accepted it.
    acked: Vec<bool>,
    /// The first error line the target replied (AUTH's, SELECT's or a RESTORE's), without `-`.
    target_error: Option<Vec<u8>>,
    /// The IOERR to reply when no target error was: connecting, writing or reading.
    io_error: Option<&'static str>,
}

/// Why an I/O step failed: a timeout (no retry) or anything else.
fn timed_out(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

impl Conn {
    /// Connects to `host:port` within `timeout`, trying every address the name resolves to
    /// (as `anetTcpGenericConnect`). The port is read as C's `atoi` reads it and, as
    /// `getaddrinfo` takes it, modulo 65536. `Err(None)` when the name or port does not resolve
    /// (Redis's "connecting" error), `Err(Some(timed_out))` when no address connects. Redis
    /// 7.0's blocking connect reports success in that case and its first write fails, so the
    /// caller treats it as a write error.
    fn connect(host: &[u8], port: &[u8], timeout: Duration) -> Result<Conn, Option<bool>> {
        let host = std::str::from_utf8(host).map_err(|_| None)?;
        let port = atoi(port);
        if port < 0 {
            return Err(None);
        }
        let port = (port & 0xffff) as u16;
        let addrs = (host, port).to_socket_addrs().map_err(|_| None)?;
        let deadline = Instant::now() + timeout;
        let mut timeout_hit = false;
        let mut tried = false;
        for addr in addrs {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                timeout_hit = true;
                break;
            }
            tried = true;
            match TcpStream::connect_timeout(&addr, left) {
                Ok(stream) => {
                    let _ = stream.set_nodelay(true);
                    return Ok(Conn {
                        stream,
                        rbuf: Vec::new(),
                        last_db: None,
                        last_use: Instant::now(),
                    });
                }
                Err(e) => timeout_hit = timed_out(&e),
            }
        }
        Err(tried.then_some(timeout_hit))
    }

    /// Writes `buf` in [`WRITE_CHUNK`] chunks, each within `timeout` (Redis's `syncWrite`).
    fn write_all(&mut self, buf: &[u8], timeout: Duration) -> io::Result<()> {
        for chunk in buf.chunks(WRITE_CHUNK) {
            let deadline = Instant::now() + timeout;
            let mut pos = 0;
            while pos < chunk.len() {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(io::ErrorKind::TimedOut.into());
                }
                self.stream.set_write_timeout(Some(left))?;
                match self.stream.write(&chunk[pos..]) {
                    Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                    Ok(n) => pos += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(())
    }

    /// Reads one reply line within `timeout`, without its `\r\n` (Redis's `syncReadLine`): at
    /// most [`LINE_MAX`] bytes. A bare `\n` is an error, as Redis takes a zero-length read
    /// for one.
    fn read_line(&mut self, timeout: Duration) -> io::Result<Vec<u8>> {
        let deadline = Instant::now() + timeout;
        loop {
            let scan = self.rbuf.len().min(LINE_MAX + 1);
            if let Some(p) = self.rbuf[..scan].iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.rbuf.drain(..=p).collect();
                line.pop();
                if line.is_empty() {
                    return Err(io::ErrorKind::InvalidData.into());
                }
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(line);
            }
            if self.rbuf.len() >= LINE_MAX {
                return Ok(self.rbuf.drain(..LINE_MAX).collect());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(io::ErrorKind::TimedOut.into());
            }
            self.stream.set_read_timeout(Some(left))?;
            let mut buf = [0u8; 4096];
            match self.stream.read(&mut buf) {
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => self.rbuf.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// C's `atoi`: leading whitespace, a sign, then digits up to the first non-digit; 0 when none.
fn atoi(s: &[u8]) -> i64 {
    let s = s.trim_ascii_start();
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut n: i64 = 0;
    for &b in digits.iter().take_while(|b| b.is_ascii_digit()) {
        n = n.saturating_mul(10).saturating_add((b - b'0') as i64);
    }
    if neg {
        -n
    } else {
        n
    }
}

impl SocketCache {
    /// Runs one MIGRATE exchange with the target, retrying once on a fresh connection after a
    /// socket error that is not a timeout and came before any RESTORE reply (Redis's
    /// `socket_err` / `try_again`).
    fn exchange(&self, req: &Request<'_>) -> Outcome {
        let mut name = req.host.to_vec();
        name.push(b':');
        name.extend_from_slice(req.port);
        let mut may_retry = true;
        loop {
            let conn = match self.take(&name) {
                Some(c) => Ok(c),
                None => Conn::connect(req.host, req.port, req.timeout),
            };
            let attempt = match conn {
                Ok(conn) => self.attempt(&name, conn, req),
                Err(Some(timeout)) => Attempt::WriteError { timeout },
                Err(None) => {
                    return Outcome {
                        io_error: Some(CONNECT_ERR),
                        ..Outcome::default()
                    }
                }
            };
            match attempt {
                Attempt::Done(o) => return o,
                Attempt::SocketError { timeout } if may_retry && !timeout => may_retry = false,
                Attempt::SocketError { .. } => {
                    return Outcome {
                        io_error: Some(READ_ERR),
                        ..Outcome::default()
                    }
                }
                Attempt::WriteError { timeout } if may_retry && !timeout => may_retry = false,
                Attempt::WriteError { .. } => {
                    return Outcome {
                        io_error: Some(WRITE_ERR),
                        ..Outcome::default()
                    }
                }
            }
        }
    }

    /// One try on `conn`: the connection goes back to the cache unless a socket error closed it.
    fn attempt(&self, name: &[u8], mut conn: Conn, req: &Request<'_>) -> Attempt {
        let mut buf = Vec::new();
        if let Some((user, pass)) = req.auth {
            match user {
                Some(u) => encode_command(&mut buf, &[b"AUTH", u, pass]),
                None => encode_command(&mut buf, &[b"AUTH", pass]),
            }
        }
        let select = conn.last_db != Some(req.db);
        let mut n = itoa::Buffer::new();
        if select {
            encode_command(&mut buf, &[b"SELECT", n.format(req.db).as_bytes()]);
        }
        for it in req.items {
            let mut t = itoa::Buffer::new();
            let ttl = t.format(it.ttl).as_bytes();
            if req.replace {
                encode_command(
                    &mut buf,
                    &[req.restore, it.key, ttl, &it.payload, b"REPLACE"],
                );
            } else {
                encode_command(&mut buf, &[req.restore, it.key, ttl, &it.payload]);
            }
        }
        if let Err(e) = conn.write_all(&buf, req.timeout) {
            return Attempt::WriteError {
                timeout: timed_out(&e),
            };
        }
        drop(buf);
        let auth_reply = match req.auth {
            Some(_) => match conn.read_line(req.timeout) {
                Ok(l) => Some(l),
                Err(e) => return socket_error(&e),
            },
            None => None,
        };
        let select_reply = if select {
            match conn.read_line(req.timeout) {
                Ok(l) => Some(l),
                Err(e) => return socket_error(&e),
            }
        } else {
            None
        };
        let is_err = |l: &Option<Vec<u8>>| l.as_ref().is_some_and(|l| l.first() == Some(&b'-'));
        let mut out = Outcome::default();
        let mut failure = None;
        for _ in req.items {
            let line = match conn.read_line(req.timeout) {
                Ok(l) => l,
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            };
            if is_err(&auth_reply) || is_err(&select_reply) || line.first() == Some(&b'-') {
                if out.target_error.is_none() {
                    conn.last_db = None;
                    let from = if is_err(&auth_reply) {
                        auth_reply.as_deref()
                    } else if is_err(&select_reply) {
                        select_reply.as_deref()
                    } else {
                        Some(&line[..])
                    };
                    out.target_error = from.map(|l| l[1..].to_vec());
                }
                out.acked.push(false);
            } else {
                out.acked.push(true);
            }
        }
        match failure {
            None => {
                if out.target_error.is_none() {
                    conn.last_db = Some(req.db);
                }
                self.put(name, conn);
            }
            // Nothing was applied for sure: the caller may retry on a fresh connection.
            Some(e) if out.acked.is_empty() => return socket_error(&e),
            // Some keys moved: no retry; the connection is closed (dropped).
            Some(_) => {
                if out.target_error.is_none() {
                    out.io_error = Some(READ_ERR);
                }
            }
        }
        out.into()
    }
}

/// One try's result.
enum Attempt {
    Done(Outcome),
    /// Writing failed; the connection was dropped.
    WriteError {
        timeout: bool,
    },
    /// Reading failed before any RESTORE reply; the connection was dropped.
    SocketError {
        timeout: bool,
    },
}

impl From<Outcome> for Attempt {
    fn from(o: Outcome) -> Attempt {
        Attempt::Done(o)
    }
}

fn socket_error(e: &io::Error) -> Attempt {
    Attempt::SocketError {
        timeout: timed_out(e),
    }
}

/// MIGRATE's options, parsed as `migrateCommand` does.
struct Options<'a> {
    copy: bool,
    replace: bool,
    auth: Option<(Option<&'a [u8]>, &'a [u8])>,
    /// Positions of the keys among the arguments.
    keys: Range<usize>,
}

/// Parses the options after the timeout: COPY, REPLACE, AUTH password, AUTH2 user password,
/// KEYS key... (the rest). Errors: `ERR syntax error`, and the KEYS form with a non-empty key.
fn parse<'a>(a: &Args<'a>) -> Result<Options<'a>, CmdError> {
    let mut o = Options {
        copy: false,
        replace: false,
        auth: None,
        keys: 3..4,
    };
    let mut j = 6;
    while j < a.len() {
        let more = a.len() - 1 - j;
        if a.is(j, "copy") {
            o.copy = true;
        } else if a.is(j, "replace") {
            o.replace = true;
        } else if a.is(j, "auth") {
            if more < 1 {
                return Err(CmdError::Syntax);
            }
            o.auth = Some((None, a.get(j + 1)));
            j += 1;
        } else if a.is(j, "auth2") {
            if more < 2 {
                return Err(CmdError::Syntax);
            }
            o.auth = Some((Some(a.get(j + 1)), a.get(j + 2)));
            j += 2;
        } else if a.is(j, "keys") {
            if !a.get(3).is_empty() {
                return Err(CmdError::err(
                    "When using MIGRATE KEYS option, the key argument must be set to the empty string",
                ));
            }
            o.keys = j + 1..a.len();
            break;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    Ok(o)
}

/// MIGRATE's key positions (Redis's `migrateGetKeys`): argument 3, or with the KEYS option
/// every argument after it; none when KEYS comes with a non-empty key argument (the handler
/// rejects that). Option words are skipped with their arguments (AUTH 1, AUTH2 2), so a
/// password spelled `keys` is not taken for the option. Dispatch locks these keys' shards and
/// the handler moves only keys among them (for valid arguments [`parse`] finds the same range).
pub fn migrate_keys(a: &Args<'_>) -> Range<usize> {
    let mut j = 6;
    while j < a.len() {
        if a.is(j, "keys") {
            if !a.get(3).is_empty() {
                return 0..0;
            }
            return j + 1..a.len();
        }
        if a.is(j, "auth") {
            j += 1;
        } else if a.is(j, "auth2") {
            j += 2;
        }
        j += 1;
    }
    3..4.min(a.len())
}

/// Runs blocking I/O: inside `block_in_place` on a multi-threaded runtime (the worker's other
/// tasks move to another thread), directly elsewhere.
fn blocking<R>(f: impl FnOnce() -> R) -> R {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(h) if h.runtime_flavor() == RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE] [AUTH password]
/// [AUTH2 username password] [KEYS key [key ...]].
///
/// Replies `+OK`, `+NOKEY` when none of the keys exists, `-IOERR error or timeout connecting
/// to the client` (the host or port does not resolve), `-IOERR error or timeout writing|reading
/// to target instance` (a refused or timed-out connection is a writing error, as in Redis
/// 7.0.15), or
/// `-ERR Target instance replied with error: <its error>` (the first one: AUTH's, SELECT's or
/// a RESTORE's, e.g. BUSYKEY). Keys the target accepted are deleted (without COPY) even when
/// another key failed. The timeout is in milliseconds (0 or less: 1000).
/// <https://redis.io/commands/migrate/>
fn migrate(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let o = parse(a)?;
    let timeout = a.i64(5)?;
    let db = a.i64(4)?;
    let timeout = Duration::from_millis(if timeout <= 0 { 1000 } else { timeout as u64 });
    let now = ctx.now as i64;
    let mut items = Vec::new();
    for i in o.keys.clone() {
        let key = a.get(i);
        if let Some((payload, at)) = super::dump::dump_key(ctx, key) {
            // A key expiring this millisecond still moves with 1 ms left, as Redis does.
            let ttl = at.map_or(0, |at| (at as i64).saturating_sub(now).max(1));
            items.push(Item { key, ttl, payload });
        }
    }
    if items.is_empty() {
        ctx.out.simple("NOKEY");
        return Ok(());
    }
    let restore: &'static [u8] = if ctx.srv.config.read().cluster_enabled {
        b"RESTORE-ASKING"
    } else {
        b"RESTORE"
    };
    let req = Request {
        host: a.get(1),
        port: a.get(2),
        db,
        timeout,
        auth: o.auth,
        restore,
        replace: o.replace,
        items: &items,
    };
    let cache = &ctx.srv.migrate;
    let out = blocking(|| cache.exchange(&req));

    let mut del: Vec<&[u8]> = vec![b"DEL"];
    if !o.copy {
        for (it, _) in items.iter().zip(&out.acked).filter(|(_, ok)| **ok) {
            ctx.ks.remove(it.key);
            ctx.notify(notify::GENERIC, "del", it.key);
            del.push(it.key);
        }
    }
    if del.len() > 1 {
        ctx.propagate(&del);
    } else {
        ctx.propagate_none();
    }
    if let Some(e) = out.target_error {
        let text: String = String::from_utf8_lossy(&e)
            .chars()
            .map(|c| if c == '\r' || c == '\n' { ' ' } else { c })
            .collect();
        return Err(CmdError::err(format!(
            "Target instance replied with error: {text}"
        )));
    }
    if let Some(e) = out.io_error {
        return Err(CmdError::Other(e.into()));
    }
    ctx.out.ok();
    Ok(())
}

#[rustfmt::skip]
pub static COMMANDS: &[Command] = &[
    Command { name: "migrate", arity: -6, flags: WRITE, keys: (0, 0, 0), key_find: Some(migrate_keys),
        acl: acl::KEYSPACE | acl::DANGEROUS, group: "generic", since: "2.6.0",
        summary: "Atomically transfers a key from one Redis instance to another.",
        complexity: "This command actually executes a DUMP+DEL in the source instance, and a RESTORE in the target instance. See the pages of these commands for time complexity. Also an O(N) data transfer between the two instances is performed.",
        handler: migrate, ..BASE },
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    use crate::commands::args::word_ranges as args;

    fn keys_of(words: &[&str]) -> Range<usize> {
        let (t, r) = args(words);
        migrate_keys(&Args::new(t.as_bytes(), &r))
    }

    #[test]
    fn key_positions_follow_migrate_get_keys() {
        assert_eq!(keys_of(&["migrate", "h", "1", "k", "0", "5"]), 3..4);
        assert_eq!(
            keys_of(&["migrate", "h", "1", "", "0", "5", "KEYS", "a", "b"]),
            7..9
        );
        // A password spelled like the option is skipped with AUTH.
        assert_eq!(
            keys_of(&["migrate", "h", "1", "", "0", "5", "AUTH", "keys", "KEYS", "a"]),
            9..10
        );
        assert_eq!(
            keys_of(&["migrate", "h", "1", "", "0", "5", "auth2", "keys", "keys", "keys", "x"]),
            10..11
        );
        assert_eq!(
            keys_of(&["migrate", "h", "1", "k", "0", "5", "KEYS", "a"]),
            0..0
        );
    }

    #[test]
    fn parse_rejects_what_redis_rejects() {
        let p = |w: &[&str]| {
            let (t, r) = args(w);
            parse(&Args::new(t.as_bytes(), &r)).map(|o| (o.copy, o.replace, o.keys))
        };
        assert_eq!(
            p(&["migrate", "h", "1", "k", "0", "5", "COPY", "replace"]),
            Ok((true, true, 3..4))
        );
        assert_eq!(
            p(&["migrate", "h", "1", "k", "0", "5", "nope"]),
            Err(CmdError::Syntax)
        );
        assert_eq!(
            p(&["migrate", "h", "1", "k", "0", "5", "AUTH"]),
            Err(CmdError::Syntax)
        );
        assert_eq!(
            p(&["migrate", "h", "1", "k", "0", "5", "AUTH2", "u"]),
            Err(CmdError::Syntax)
        );
        assert!(p(&["migrate", "h", "1", "k", "0", "5", "KEYS", "a"])
            .unwrap_err()
            .to_string()
            .starts_with("ERR When using MIGRATE KEYS option"));
        assert_eq!(
            p(&["migrate", "h", "1", "", "0", "5", "KEYS"]),
            Ok((false, false, 7..7))
        );
    }

    #[test]
    fn atoi_reads_like_c() {
        assert_eq!(atoi(b"6379"), 6379);
        assert_eq!(atoi(b" 12ab"), 12);
        assert_eq!(atoi(b"-5"), -5);
        assert_eq!(atoi(b"x"), 0);
        assert_eq!(atoi(b"99999999999999999999999"), i64::MAX);
    }

    fn cached(cache: &SocketCache, l: &TcpListener, name: &[u8], age: Duration) {
        let stream = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let conn = Conn {
            stream,
            rbuf: Vec::new(),
            last_db: Some(0),
            last_use: Instant::now(),
        };
        cache.put(name, conn);
        let mut m = cache.conns.lock();
        let c = m.get_mut(name).unwrap();
        c.last_use = Instant::now().checked_sub(age).unwrap();
    }

    #[test]
    fn idle_connections_close_after_ten_seconds() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let cache = SocketCache::default();
        cached(&cache, &l, b"a:1", Duration::from_secs(11));
        cached(&cache, &l, b"b:1", Duration::from_secs(9));
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.close_idle(Instant::now()), 1);
        assert_eq!(cache.len(), 1);
        assert!(cache.take(b"b:1").is_some_and(|c| c.last_db == Some(0)));
        assert!(cache.is_empty());
    }

    #[test]
    fn the_cache_keeps_at_most_64_connections() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let cache = SocketCache::default();
        for i in 0..CACHE_ITEMS + 3 {
            cached(&cache, &l, format!("h:{i}").as_bytes(), Duration::ZERO);
        }
        assert_eq!(cache.len(), CACHE_ITEMS);
    }

    #[test]
    fn reply_lines_are_read_as_redis_reads_them() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let stream = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (mut peer, _) = l.accept().unwrap();
        let mut c = Conn {
            stream,
            rbuf: Vec::new(),
            last_db: None,
            last_use: Instant::now(),
        };
        let long = vec![b'x'; LINE_MAX + 5];
        peer.write_all(b"+OK\r\n-ERR x\r\n").unwrap();
        peer.write_all(&long).unwrap();
        peer.write_all(b"\r\n\n").unwrap();
        let t = Duration::from_secs(5);
        assert_eq!(c.read_line(t).unwrap(), b"+OK");
        assert_eq!(c.read_line(t).unwrap(), b"-ERR x");
        assert_eq!(c.read_line(t).unwrap().len(), LINE_MAX);
        assert_eq!(c.read_line(t).unwrap(), b"xxxxx");
        assert!(c.read_line(t).is_err(), "a bare newline is an error");
        let start = Instant::now();
        let e = c.read_line(Duration::from_millis(50)).unwrap_err();
        assert!(timed_out(&e), "{e:?}");
        assert!(start.elapsed() < Duration::from_secs(5));
        drop(peer);
        assert!(!timed_out(&c.read_line(t).unwrap_err()));
    }
}
