//! Connection and server commands: PING ECHO QUIT RESET AUTH HELLO CLIENT INFO CONFIG TIME
//! LASTSAVE SLOWLOG MONITOR SHUTDOWN DEBUG COMMAND, unknown-command and arity errors, signals and
//! config-file errors.
//!
//! Every expectation here was checked against Redis 7.0.15 with
//! `SHOAL_TEST_AGAINST=redis cargo test --test server`; shoal-only behaviour is marked as such.

mod support;
use support::*;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

// === helpers: a small RESP2/RESP3 client keeping both the parsed reply and its exact bytes ===

/// A parsed reply.
#[derive(Debug, Clone, PartialEq)]
enum V {
    Simple(String),
    Err(String),
    Int(i64),
    Bulk(Option<String>),
    Arr(Option<Vec<V>>),
    Map(Vec<(V, V)>),
    Other(String),
}

impl V {
    fn text(&self) -> String {
        match self {
            V::Simple(s) | V::Err(s) | V::Other(s) | V::Bulk(Some(s)) => s.clone(),
            V::Int(i) => i.to_string(),
            other => panic!("not a string reply: {other:?}"),
        }
    }
    fn int(&self) -> i64 {
        match self {
            V::Int(i) => *i,
            other => panic!("not an integer reply: {other:?}"),
        }
    }
    fn items(&self) -> Vec<V> {
        match self {
            V::Arr(Some(v)) => v.clone(),
            V::Map(kv) => kv
                .iter()
                .flat_map(|(k, v)| [k.clone(), v.clone()])
                .collect(),
            other => panic!("not an array reply: {other:?}"),
        }
    }
    fn texts(&self) -> Vec<String> {
        self.items().iter().map(V::text).collect()
    }
    /// Value for `key` in a RESP3 map or a RESP2 flat array of pairs.
    fn field(&self, key: &str) -> V {
        let items = self.items();
        let pos = items.chunks(2).position(|kv| kv[0].text() == key);
        items[pos.unwrap_or_else(|| panic!("no field {key:?} in {self:?}")) * 2 + 1].clone()
    }
}

/// A raw connection that reads whole replies. Commands are given as one line, split on spaces,
/// or (`*_args`) as separate arguments.
struct Conn(Raw);

impl Conn {
    fn open(s: &Server) -> Conn {
        Conn(s.raw())
    }

    /// `127.0.0.1:port` as the server sees this connection.
    fn addr(&self) -> String {
        self.0.s.local_addr().unwrap().to_string()
    }

    fn send_args(&mut self, args: &[&str]) {
        let a: Vec<&[u8]> = args.iter().map(|x| x.as_bytes()).collect();
        self.0.send(&resp(&a));
    }

    /// Sends a command and returns its parsed reply.
    fn call(&mut self, line: &str) -> V {
        self.send_args(&line.split(' ').collect::<Vec<_>>());
        self.read().0
    }

    /// Sends a command and returns the exact bytes of its reply.
    fn raw_args(&mut self, args: &[&str]) -> String {
        self.send_args(args);
        self.read().1
    }

    /// Sends a command and asserts the exact bytes of its reply.
    fn expect(&mut self, line: &str, want: &str) {
        let got = self.raw_args(&line.split(' ').collect::<Vec<_>>());
        assert_eq!(got, want, "reply to {line:?}");
    }

    /// Whether the server closes the connection (within 10 s) without sending anything more.
    fn closes_silently(&mut self) -> bool {
        let mut rest = Vec::new();
        match self.0.s.read_to_end(&mut rest) {
            Ok(_) => rest.is_empty(),
            Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset && rest.is_empty(),
        }
    }

    /// Reads one complete reply: parsed, and its exact bytes.
    fn read(&mut self) -> (V, String) {
        let raw = self.0.read_reply();
        (
            decode(&raw, &mut 0),
            String::from_utf8_lossy(&raw).into_owned(),
        )
    }
}

/// Decodes the reply starting at `b[*pos..]` (bytes from `read_reply`, so complete and
/// well-formed) into a `V`, and moves `pos` past it.
fn decode(b: &[u8], pos: &mut usize) -> V {
    let len = b[*pos..].windows(2).position(|w| w == b"\r\n").unwrap();
    let l = String::from_utf8_lossy(&b[*pos..*pos + len]).into_owned();
    *pos += len + 2;
    let (kind, rest) = l.split_at(1);
    let n = || rest.parse::<i64>().unwrap();
    match kind {
        "+" => V::Simple(rest.to_string()),
        "-" => V::Err(rest.to_string()),
        ":" => V::Int(n()),
        "$" | "=" | "!" if n() < 0 => V::Bulk(None),
        "$" | "=" | "!" => {
            let body = &b[*pos..*pos + n() as usize];
            *pos += body.len() + 2;
            V::Bulk(Some(String::from_utf8_lossy(body).into_owned()))
        }
        "*" | "~" | ">" if n() < 0 => V::Arr(None),
        "*" | "~" | ">" => V::Arr(Some((0..n()).map(|_| decode(b, pos)).collect())),
        "%" | "|" => V::Map((0..n()).map(|_| (decode(b, pos), decode(b, pos))).collect()),
        _ => V::Other(l.clone()),
    }
}

/// A default server and one connection to it.
fn start() -> (Server, Conn) {
    let s = Server::start(&[]);
    let c = Conn::open(&s);
    (s, c)
}

/// A bulk reply, parsed (unlike support's `bulk`, which gives its bytes).
fn bulk(text: &str) -> V {
    V::Bulk(Some(text.into()))
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// `INFO section` as text.
fn info(c: &mut Conn, section: &str) -> String {
    c.call(&format!("INFO {section}")).text()
}

/// The value of `field:` in an INFO text.
fn info_field(info: &str, field: &str) -> Option<String> {
    let prefix = format!("{field}:");
    info.lines()
        .find_map(|l| l.strip_prefix(&prefix).map(str::to_string))
}

/// An INFO field parsed as a number.
fn info_num(c: &mut Conn, section: &str, field: &str) -> f64 {
    let text = info(c, section);
    let v = info_field(&text, field).unwrap_or_else(|| panic!("no {field} in {text:?}"));
    v.parse().unwrap()
}

/// The value of `key=` in a CLIENT LIST / CLIENT INFO line.
fn client_field(line: &str, key: &str) -> String {
    let prefix = format!("{key}=");
    let v = line
        .trim_end()
        .split(' ')
        .find_map(|f| f.strip_prefix(&prefix));
    v.unwrap_or_else(|| panic!("no {key}= in {line:?}"))
        .to_string()
}

const NOAUTH: &str = "-NOAUTH Authentication required.\r\n";
const WRONGPASS: &str = "-WRONGPASS invalid username-password pair or user is disabled.\r\n";
const PONG: &str = "+PONG\r\n";

// === PING ECHO QUIT RESET ===

#[test]
fn ping_replies_pong_or_echoes_its_argument() {
    let (_s, mut c) = start();
    c.expect("PING", PONG);
    c.expect("PING hello", "$5\r\nhello\r\n");
    c.expect("PING a b", &arity("ping"));
}

#[test]
fn echo_returns_its_argument_and_needs_exactly_one() {
    let (_s, mut c) = start();
    assert_eq!(c.raw_args(&["ECHO", "hi there"]), "$8\r\nhi there\r\n");
    assert_eq!(c.raw_args(&["ECHO", ""]), "$0\r\n\r\n");
    c.expect("ECHO", &arity("echo"));
    c.expect("ECHO a b", &arity("echo"));
}

#[test]
fn quit_replies_ok_and_then_closes_the_connection() {
    let (_s, mut c) = start();
    c.expect("QUIT", OK);
    assert!(c.closes_silently(), "QUIT must close the connection");
}

#[test]
fn reset_returns_to_db_0_without_a_name_and_to_resp2() {
    let (_s, mut c) = start();
    c.expect("SELECT 3", OK);
    c.expect("SET k in-db-3", OK);
    c.expect("CLIENT SETNAME bob", OK);
    assert!(matches!(c.call("HELLO 3"), V::Map(_)));
    // After RESET a null is RESP2's `$-1` again, not RESP3's `_`.
    c.expect("RESET", "+RESET\r\n");
    c.expect("CLIENT GETNAME", NIL);
    c.expect("GET k", NIL);
    let line = c.call("CLIENT INFO").text();
    assert_eq!(client_field(&line, "db"), "0");
    assert_eq!(client_field(&line, "name"), "");
    c.expect("SELECT 3", OK);
    c.expect("GET k", "$7\r\nin-db-3\r\n");
}

// === AUTH and HELLO ===

#[test]
fn requirepass_refuses_commands_until_auth_succeeds() {
    let s = Server::start(&["--requirepass", "pw"]);
    let mut c = Conn::open(&s);
    c.expect("PING", NOAUTH);
    c.expect("SET k v", NOAUTH);
    c.expect("AUTH wrong", WRONGPASS);
    c.expect("AUTH nobody pw", WRONGPASS);
    c.expect("AUTH default wrong", WRONGPASS);
    c.expect("GET k", NOAUTH);
    c.expect("AUTH pw", OK);
    c.expect("PING", PONG);
    c.expect("AUTH default pw", OK);
    c.expect("AUTH a b c", SYNTAX);
    c.expect("AUTH", &arity("auth"));
}

#[test]
fn reset_forgets_authentication() {
    let s = Server::start(&["--requirepass", "pw"]);
    let mut c = Conn::open(&s);
    c.expect("AUTH default pw", OK);
    c.expect("RESET", "+RESET\r\n");
    c.expect("PING", NOAUTH);
}

#[test]
fn auth_without_a_configured_password_is_an_error() {
    let (_s, mut c) = start();
    let unset = "-ERR AUTH <password> called without any password configured for the default \
                 user. Are you sure your configuration is correct?\r\n";
    c.expect("AUTH x", unset);
    // The default user is `nopass`: the two-argument form accepts any password.
    c.expect("AUTH default x", OK);
}

fn hello_reply(proto: u8, id: i64) -> String {
    let head = if proto == 3 { "%7" } else { "*14" };
    format!(
        "{head}\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n\
         $5\r\nproto\r\n:{proto}\r\n$2\r\nid\r\n:{id}\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n\
         $4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"
    )
}

#[test]
fn hello_describes_the_server_in_resp2_and_resp3() {
    let (_s, mut c) = start();
    let id = c.call("CLIENT ID").int();
    let (two, three) = (hello_reply(2, id), hello_reply(3, id));
    c.expect("HELLO", &two);
    c.expect("HELLO 2", &two);
    c.expect("HELLO 3", &three);
    c.expect("GET missing", "_\r\n");
    c.expect("HELLO 2", &two);
    c.expect("GET missing", NIL);
}

#[test]
fn hello_rejects_unsupported_protocol_versions_and_bad_options() {
    let (_s, mut c) = start();
    let noproto = "-NOPROTO unsupported protocol version\r\n";
    let not_a_version = "-ERR Protocol version is not an integer or out of range\r\n";
    let bad_hello_option = "-ERR Syntax error in HELLO option 'SETNAME'\r\n";
    c.expect("HELLO 4", noproto);
    c.expect("HELLO 1", noproto);
    c.expect("HELLO abc", not_a_version);
    c.expect("HELLO 3 SETNAME", bad_hello_option);
    // A failed HELLO leaves the protocol alone.
    c.expect("GET missing", NIL);
}

#[test]
fn hello_can_authenticate_and_set_the_name_in_one_go() {
    let s = Server::start(&["--requirepass", "pw"]);
    let mut c = Conn::open(&s);
    let unauthenticated = "-NOAUTH HELLO must be called with the client already \
        authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate \
        the client and select the RESP protocol version at the same time\r\n";
    c.expect("HELLO 2", unauthenticated);
    c.expect("HELLO 3 AUTH default wrong", WRONGPASS);
    c.expect("PING", NOAUTH);
    let r = c.call("HELLO 3 AUTH default pw SETNAME n1");
    assert_eq!(r.field("proto"), V::Int(3));
    assert_eq!(r.field("server"), bulk("redis"));
    c.expect("CLIENT GETNAME", "$2\r\nn1\r\n");
    c.expect("PING", PONG);
}

// === CLIENT ===

#[test]
fn client_id_is_a_distinct_positive_integer_per_connection() {
    let s = Server::start(&[]);
    let (mut a, mut b) = (Conn::open(&s), Conn::open(&s));
    let (ia, ib) = (a.call("CLIENT ID").int(), b.call("CLIENT ID").int());
    assert!(ia > 0 && ib > 0 && ia != ib, "ids {ia} {ib}");
    assert_eq!(a.call("CLIENT ID").int(), ia);
}

#[test]
fn client_setname_and_getname_round_trip_and_reject_spaces() {
    let (_s, mut c) = start();
    c.expect("CLIENT GETNAME", NIL);
    c.expect("CLIENT SETNAME worker-1", OK);
    c.expect("CLIENT GETNAME", "$8\r\nworker-1\r\n");
    let bad = "-ERR Client names cannot contain spaces, newlines or special characters.\r\n";
    assert_eq!(c.raw_args(&["CLIENT", "SETNAME", "a b"]), bad);
    assert_eq!(c.raw_args(&["CLIENT", "SETNAME", "a\nb"]), bad);
    c.expect("CLIENT GETNAME", "$8\r\nworker-1\r\n");
    c.expect("CLIENT SETNAME a b", &arity("client|setname"));
    // An empty name clears it.
    assert_eq!(c.raw_args(&["CLIENT", "SETNAME", ""]), OK);
    c.expect("CLIENT GETNAME", NIL);
}

#[test]
fn client_setinfo_accepts_library_name_and_version() {
    let (_s, mut c) = start();
    if against_redis() {
        // CLIENT SETINFO arrived in Redis 7.2; 7.0.15 does not know it.
        let unknown = "-ERR unknown subcommand 'SETINFO'. Try CLIENT HELP.\r\n";
        return c.expect("CLIENT SETINFO LIB-NAME mylib", unknown);
    }
    // shoal-only: accepted, as clients send it right after connecting.
    c.expect("CLIENT SETINFO LIB-NAME mylib", OK);
    c.expect("CLIENT SETINFO lib-ver 1.2.3", OK);
    assert!(matches!(c.call("CLIENT SETINFO NO-SUCH x"), V::Err(e) if e.starts_with("ERR ")));
}

#[test]
fn client_list_and_info_describe_each_connection() {
    let s = Server::start(&[]);
    let (mut me, mut other) = (Conn::open(&s), Conn::open(&s));
    other.expect("CLIENT SETNAME other", OK);
    other.expect("SELECT 2", OK);
    me.expect("CLIENT SETNAME lister", OK);
    let my_id = me.call("CLIENT ID").int();

    let list = me.call("CLIENT LIST").text();
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 2, "{list:?}");
    let mine = lines.iter().find(|l| l.contains(" name=lister ")).unwrap();
    assert_eq!(client_field(mine, "id"), my_id.to_string());
    assert_eq!(client_field(mine, "addr"), me.addr());
    assert_eq!(client_field(mine, "db"), "0");
    assert_eq!(client_field(mine, "cmd"), "client|list");
    let theirs = lines.iter().find(|l| l.contains(" name=other ")).unwrap();
    assert_eq!(client_field(theirs, "addr"), other.addr());
    assert_eq!(client_field(theirs, "db"), "2");
    assert_eq!(client_field(theirs, "cmd"), "select");

    let info = me.call("CLIENT INFO").text();
    assert!(info.starts_with(&format!("id={my_id} addr=")), "{info:?}");
    assert!(info.ends_with('\n') && info.lines().count() == 1);
    assert_eq!(client_field(&info, "cmd"), "client|info");
    assert_eq!(client_field(&info, "name"), "lister");
}

#[test]
fn client_kill_by_id_closes_that_connection() {
    let s = Server::start(&[]);
    let (mut killer, mut victim) = (Conn::open(&s), Conn::open(&s));
    let id = victim.call("CLIENT ID").int();
    let bad_id = "-ERR client-id should be greater than 0\r\n";
    killer.expect(&format!("CLIENT KILL ID {id}"), ":1\r\n");
    assert!(victim.closes_silently());
    killer.expect(&format!("CLIENT KILL ID {id}"), ":0\r\n");
    killer.expect("CLIENT KILL ID abc", bad_id);
    killer.expect("CLIENT KILL FOO bar", SYNTAX);
}

#[test]
fn client_kill_by_address_in_new_and_old_form() {
    let s = Server::start(&[]);
    let mut killer = Conn::open(&s);
    let (mut v1, mut v2) = (Conn::open(&s), Conn::open(&s));
    v1.expect("PING", PONG);
    v2.expect("PING", PONG);
    let (a1, a2) = (v1.addr(), v2.addr());
    killer.expect(&format!("CLIENT KILL ADDR {a1}"), ":1\r\n");
    killer.expect(&format!("CLIENT KILL ADDR {a1}"), ":0\r\n");
    killer.expect(&format!("CLIENT KILL {a2}"), OK);
    killer.expect(&format!("CLIENT KILL {a2}"), "-ERR No such client\r\n");
    assert!(v1.closes_silently() && v2.closes_silently());
}

#[test]
fn client_kill_skips_the_caller_unless_skipme_no() {
    let (_s, mut c) = start();
    let (id, addr) = (c.call("CLIENT ID").int(), c.addr());
    c.expect(&format!("CLIENT KILL ID {id}"), ":0\r\n");
    c.expect(&format!("CLIENT KILL ADDR {addr} SKIPME yes"), ":0\r\n");
    c.expect(&format!("CLIENT KILL ID {id} SKIPME maybe"), SYNTAX);
    c.expect(&format!("CLIENT KILL ID {id} SKIPME no"), ":1\r\n");
    assert!(c.closes_silently());
}

#[test]
fn client_no_evict_takes_on_or_off() {
    let (_s, mut c) = start();
    c.expect("CLIENT NO-EVICT on", OK);
    c.expect("CLIENT NO-EVICT OFF", OK);
    c.expect("CLIENT NO-EVICT maybe", SYNTAX);
}

#[test]
fn client_reply_off_on_and_skip_suppress_exactly_the_right_replies() {
    let s = Server::start(&[]);
    let mut r = s.raw();
    let pipeline = "CLIENT REPLY OFF|ECHO silenced|CLIENT REPLY ON|PING|CLIENT REPLY SKIP|\
                    ECHO skipped|ECHO last";
    let req: Vec<u8> = pipeline
        .split('|')
        .flat_map(|cmd| resp(&cmd.split(' ').map(str::as_bytes).collect::<Vec<_>>()))
        .collect();
    r.roundtrip(&req, b"+OK\r\n+PONG\r\n$4\r\nlast\r\n");
    // Nothing else was queued behind those replies.
    r.roundtrip(&resp(&[b"ECHO", b"end"]), b"$3\r\nend\r\n");
    r.roundtrip(&resp(&[b"CLIENT", b"REPLY", b"MAYBE"]), SYNTAX.as_bytes());
}

#[test]
fn unknown_subcommands_point_to_help() {
    let (_s, mut c) = start();
    for (cmd, sub) in [("CLIENT", "FOO"), ("CONFIG", "foo"), ("SLOWLOG", "FOO")] {
        let want = format!("-ERR unknown subcommand '{sub}'. Try {cmd} HELP.\r\n");
        c.expect(&format!("{cmd} {sub}"), &want);
    }
}

// === INFO ===

#[test]
fn info_server_names_the_version_process_and_port() {
    let s = Server::start(&[]);
    let text = info(&mut Conn::open(&s), "server");
    assert!(text.starts_with("# Server\r\n"), "{text:?}");
    let field = |f: &str| info_field(&text, f).unwrap_or_else(|| panic!("no {f} in {text:?}"));
    assert_eq!(field("redis_version"), "7.0.15");
    assert_eq!(field("redis_mode"), "standalone");
    assert_eq!(field("process_id"), s.pid().to_string());
    assert_eq!(field("tcp_port"), s.port.to_string());
    assert!(field("uptime_in_seconds").parse::<u64>().is_ok());
    if !against_redis() {
        assert!(!field("shoal_version").is_empty());
    }
}

#[test]
fn info_without_arguments_has_every_default_section() {
    let (_s, mut c) = start();
    let text = c.call("INFO").text();
    for header in "Server Clients Memory Persistence Stats Replication CPU Keyspace".split(' ') {
        assert!(text.contains(&format!("# {header}\r\n")), "{header}");
    }
    assert!(!text.contains("# Commandstats\r\n"));
    for field in "connected_clients used_memory total_commands_processed used_cpu_sys".split(' ') {
        assert!(info_field(&text, field).is_some(), "missing {field}");
    }
    assert_eq!(info_field(&text, "role").as_deref(), Some("master"));
    assert_eq!(info_field(&text, "loading").as_deref(), Some("0"));
    assert!(info_num(&mut c, "memory", "used_memory") > 0.0);
    c.expect("INFO nosuchsection", "$0\r\n\r\n");
}

#[test]
fn info_clients_counts_connected_clients() {
    let (s, mut c) = start();
    let mut others: Vec<Conn> = (0..2).map(|_| Conn::open(&s)).collect();
    for o in &mut others {
        o.expect("PING", PONG);
    }
    assert!(info(&mut c, "clients").starts_with("# Clients\r\n"));
    assert_eq!(info_num(&mut c, "clients", "connected_clients"), 3.0);
    others.pop();
    let two = || info_num(&mut c, "clients", "connected_clients") == 2.0;
    assert!(poll_until(Duration::from_secs(5), two));
}

#[test]
fn info_stats_count_processed_commands() {
    let (_s, mut c) = start();
    let before = info_num(&mut c, "stats", "total_commands_processed");
    for _ in 0..5 {
        c.expect("PING", PONG);
    }
    let after = info_num(&mut c, "stats", "total_commands_processed");
    assert!(after >= before + 5.0, "before {before}, after {after}");
    assert!(info_num(&mut c, "stats", "total_connections_received") >= 1.0);
}

#[test]
fn info_commandstats_and_keyspace_reflect_the_data() {
    let (_s, mut c) = start();
    assert_eq!(info(&mut c, "keyspace"), "# Keyspace\r\n");
    c.expect("SET a 1", OK);
    c.expect("SET b 2 EX 100", OK);
    c.expect("SELECT 5", OK);
    c.expect("SET c 3", OK);
    let stats = info(&mut c, "commandstats");
    assert!(stats.starts_with("# Commandstats\r\n"), "{stats:?}");
    let set = info_field(&stats, "cmdstat_set").expect("cmdstat_set");
    assert!(set.starts_with("calls=3,usec="), "{set:?}");
    let ks = info(&mut c, "keyspace");
    let db0 = info_field(&ks, "db0").unwrap();
    assert!(db0.starts_with("keys=2,expires=1,avg_ttl="), "{db0:?}");
    let ttl: u64 = db0.rsplit('=').next().unwrap().parse().unwrap();
    assert!(ttl <= 100_000, "avg_ttl {ttl}");
    let db5 = info_field(&ks, "db5");
    assert_eq!(db5.as_deref(), Some("keys=1,expires=0,avg_ttl=0"));
}

#[test]
fn info_accepts_several_sections_at_once() {
    let (_s, mut c) = start();
    let text = c.call("INFO replication cpu persistence").text();
    for header in ["# Replication\r\n", "# CPU\r\n", "# Persistence\r\n"] {
        assert!(text.contains(header), "missing {header:?}");
    }
    assert!(!text.contains("# Server\r\n"));
    assert_eq!(info_field(&text, "connected_slaves").as_deref(), Some("0"));
    let sys: f64 = info_field(&text, "used_cpu_sys").unwrap().parse().unwrap();
    assert!(sys >= 0.0);
}

// === CONFIG ===

#[test]
fn config_get_returns_name_value_pairs_matching_a_glob() {
    let maxclients = "*2\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n";
    let (_s, mut c) = start();
    c.expect("CONFIG GET maxclients", maxclients);
    c.expect("CONFIG GET no-such-thing", "*0\r\n");
    c.expect("CONFIG GET", &arity("config|get"));
    // Pairs come in no particular order.
    let slowlog = c.call("CONFIG GET slowlog-*");
    assert_eq!(slowlog.items().len(), 4, "{slowlog:?}");
    assert_eq!(slowlog.field("slowlog-log-slower-than"), bulk("10000"));
    assert_eq!(slowlog.field("slowlog-max-len"), bulk("128"));
    let both = c.call("CONFIG GET maxclients timeout");
    assert_eq!(both.field("timeout"), bulk("0"));
    assert_eq!(both.field("maxclients"), bulk("10000"));
    assert_eq!(both.items().len(), 4);
}

#[test]
fn config_set_changes_what_config_get_reports() {
    let (_s, mut c) = start();
    c.expect("CONFIG SET maxclients 50", OK);
    c.expect("CONFIG SET timeout 30", OK);
    c.expect(
        "CONFIG SET slowlog-log-slower-than 5000 slowlog-max-len 8",
        OK,
    );
    let mut get = |k: &str| c.call(&format!("CONFIG GET {k}")).field(k).text();
    assert_eq!(get("maxclients"), "50");
    assert_eq!(get("timeout"), "30");
    assert_eq!(get("slowlog-log-slower-than"), "5000");
    assert_eq!(get("slowlog-max-len"), "8");
    assert_eq!(info_num(&mut c, "clients", "maxclients"), 50.0);
}

#[test]
fn config_set_rejects_unknown_parameters_and_bad_values() {
    let (_s, mut c) = start();
    let unknown = "-ERR Unknown option or number of arguments for CONFIG SET - 'no-such-param'\r\n";
    let not_int = "-ERR CONFIG SET failed (possibly related to argument 'timeout') - argument \
                   couldn't be parsed into an integer\r\n";
    c.expect("CONFIG SET no-such-param 1", unknown);
    c.expect("CONFIG SET timeout abc", not_int);
    c.expect("CONFIG SET timeout", &arity("config|set"));
    c.expect("CONFIG GET timeout", "*2\r\n$7\r\ntimeout\r\n$1\r\n0\r\n");
}

#[test]
fn config_resetstat_clears_command_statistics() {
    let (_s, mut c) = start();
    for _ in 0..20 {
        c.expect("SET k v", OK);
    }
    assert!(info(&mut c, "commandstats").contains("cmdstat_set:calls=20,"));
    assert!(info_num(&mut c, "stats", "total_commands_processed") >= 21.0);
    c.expect("CONFIG RESETSTAT", OK);
    assert!(!info(&mut c, "commandstats").contains("cmdstat_set:"));
    assert!(info_num(&mut c, "stats", "total_commands_processed") < 5.0);
}

#[test]
fn config_rewrite_persists_set_values_into_the_config_file() {
    let s = Server::start_with_config(Some("# test config\ntimeout 0\n"), &[]);
    let mut c = Conn::open(&s);
    c.expect("CONFIG SET timeout 77", OK);
    c.expect("CONFIG SET maxclients 123", OK);
    c.expect("CONFIG REWRITE", OK);
    let text = std::fs::read_to_string(s.dir.join("test.conf")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.contains(&"timeout 77"), "{text}");
    assert!(lines.contains(&"maxclients 123"), "{text}");
    assert!(!lines.contains(&"timeout 0"), "{text}");
}

#[test]
fn config_rewrite_without_a_config_file_is_an_error() {
    let (_s, mut c) = start();
    let no_file = "-ERR The server is running without a config file\r\n";
    c.expect("CONFIG REWRITE", no_file);
}

// === TIME LASTSAVE SLOWLOG MONITOR DEBUG ===

#[test]
fn time_returns_seconds_and_microseconds() {
    let (_s, mut c) = start();
    let t = c.call("TIME").texts();
    assert_eq!(t.len(), 2, "{t:?}");
    let (secs, micros): (i64, i64) = (t[0].parse().unwrap(), t[1].parse().unwrap());
    assert!((secs - now_secs()).abs() <= 2, "TIME {secs}");
    assert!((0..1_000_000).contains(&micros), "micros {micros}");
    c.expect("TIME x", &arity("time"));
}

#[test]
fn lastsave_is_a_unix_timestamp_not_in_the_future() {
    let (_s, mut c) = start();
    let t = c.call("LASTSAVE").int();
    assert!(t > 1_600_000_000 && t <= now_secs() + 1, "LASTSAVE {t}");
    c.expect("LASTSAVE x", &arity("lastsave"));
}

#[test]
fn slowlog_records_commands_above_the_threshold() {
    let (_s, mut c) = start();
    c.expect("SLOWLOG LEN", ":0\r\n");
    c.expect("CLIENT SETNAME slowpoke", OK);
    c.expect("CONFIG SET slowlog-log-slower-than 0", OK);
    c.expect("SET slowkey v", OK);
    assert!(c.call("SLOWLOG LEN").int() >= 1);

    let entries = c.call("SLOWLOG GET").items();
    let args_of = |e: &V| e.items()[3].texts();
    let e = entries
        .iter()
        .find(|e| args_of(e) == ["SET", "slowkey", "v"]);
    let f = e
        .unwrap_or_else(|| panic!("no SET entry in {entries:?}"))
        .items();
    assert_eq!(f.len(), 6, "{f:?}");
    assert!(f[0].int() >= 0 && f[2].int() >= 0, "{f:?}");
    assert!((f[1].int() - now_secs()).abs() <= 5, "timestamp {:?}", f[1]);
    assert_eq!((&f[4], &f[5]), (&bulk(&c.addr()), &bulk("slowpoke")));
    // Newest first, and GET n limits the count.
    let ids: Vec<i64> = entries.iter().map(|e| e.items()[0].int()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");
    assert_eq!(c.call("SLOWLOG GET 1").items().len(), 1);
    let negative = "-ERR count should be greater than or equal to -1\r\n";
    c.expect("SLOWLOG GET -2", negative);
    c.expect("SLOWLOG RESET", OK);
    let after = c.call("SLOWLOG GET -1").items();
    assert!(!after.iter().any(|e| args_of(e)[0] == "SET"), "{after:?}");
}

#[test]
fn monitor_streams_other_clients_commands() {
    let s = Server::start(&[]);
    let mut m = Conn::open(&s);
    m.expect("MONITOR", OK);
    let mut c = Conn::open(&s);
    c.expect("set k v", OK);
    let deadline = Instant::now() + Duration::from_secs(10);
    let line = loop {
        assert!(Instant::now() < deadline, "no MONITOR line for set");
        let l = m.read().0.text();
        if l.contains("\"set\" \"k\" \"v\"") {
            break l;
        }
    };
    let tail = format!("[0 {}] \"set\" \"k\" \"v\"", c.addr());
    assert!(line.ends_with(&tail), "{line:?}");
    let ts: f64 = line.split(' ').next().unwrap().parse().unwrap();
    assert!((ts - now_secs() as f64).abs() < 5.0, "{line:?}");
}

#[test]
fn debug_sleep_blocks_for_the_given_seconds() {
    // Redis refuses DEBUG unless it is enabled; shoal needs no such switch.
    let on: &[&str] = if against_redis() {
        &["--enable-debug-command", "local"]
    } else {
        &[]
    };
    let s = Server::start(on);
    let mut c = Conn::open(&s);
    c.expect("DEBUG SLEEP 0", OK);
    let t = Instant::now();
    c.expect("DEBUG SLEEP 0.2", OK);
    let slept = t.elapsed();
    assert!(slept >= Duration::from_millis(190), "{slept:?}");
    c.expect("DEBUG", &arity("debug"));
}

// === COMMAND ===

#[test]
fn command_count_matches_the_full_command_table() {
    let (_s, mut c) = start();
    let n = c.call("COMMAND COUNT").int();
    assert!(n > 50, "COMMAND COUNT {n}");
    let table = c.call("COMMAND").items();
    assert_eq!(table.len() as i64, n);
    let names: Vec<String> = table.iter().map(|e| e.items()[0].text()).collect();
    for name in ["get", "set", "ping", "client", "config", "command"] {
        assert!(names.iter().any(|x| x == name), "{name} missing");
    }
    c.expect("COMMAND COUNT x", &arity("command|count"));
}

#[test]
fn command_info_describes_get() {
    let (_s, mut c) = start();
    let all = c.call("COMMAND INFO get no-such-command").items();
    assert_eq!(all.len(), 2);
    assert_eq!(all[1], V::Bulk(None));
    let get = all[0].items();
    assert_eq!(get[..2], [bulk("get"), V::Int(2)]);
    let flags = get[2].texts();
    assert!(flags.contains(&"readonly".into()), "{flags:?}");
    assert!(flags.contains(&"fast".into()), "{flags:?}");
    assert_eq!(get[3..6], [V::Int(1), V::Int(1), V::Int(1)]);
    let cats = get[6].texts();
    assert!(cats.contains(&"@read".into()), "{cats:?}");
    assert!(cats.contains(&"@string".into()), "{cats:?}");
}

#[test]
fn command_docs_describes_get() {
    let (_s, mut c) = start();
    let docs = c.call("COMMAND DOCS get");
    assert_eq!(docs.items().len(), 2);
    let get = docs.field("get");
    assert_eq!(get.field("summary"), bulk("Get the value of a key"));
    assert_eq!(get.field("since"), bulk("1.0.0"));
    assert_eq!(get.field("group"), bulk("string"));
    assert_eq!(get.field("complexity"), bulk("O(1)"));
}

#[test]
fn command_getkeys_extracts_key_arguments() {
    let (_s, mut c) = start();
    let invalid = "-ERR Invalid command specified\r\n";
    let no_keys = "-ERR The command has no key arguments\r\n";
    let bad_count = "-ERR Invalid number of arguments specified for command\r\n";
    c.expect(
        "COMMAND GETKEYS MSET a 1 b 2",
        "*2\r\n$1\r\na\r\n$1\r\nb\r\n",
    );
    c.expect("COMMAND GETKEYS SET k v EX 10", "*1\r\n$1\r\nk\r\n");
    c.expect("COMMAND GETKEYS NOSUCH x", invalid);
    c.expect("COMMAND GETKEYS PING x", no_keys);
    c.expect("COMMAND GETKEYS GET a b", bad_count);
    c.expect("COMMAND GETKEYS GET", &arity("command|getkeys"));
}

// === unknown commands and arity ===

#[test]
fn unknown_commands_are_named_with_their_first_arguments() {
    let (_s, mut c) = start();
    let unknown =
        |args: &str| format!("-ERR unknown command 'foo', with args beginning with: {args}\r\n");
    c.expect("foo a", &unknown("'a' "));
    c.expect("foo a b", &unknown("'a' 'b' "));
    c.expect("foo", &unknown(""));
    // The connection is still usable.
    c.expect("PING", PONG);
}

#[test]
fn wrong_argument_counts_name_the_command_in_lower_case() {
    let (_s, mut c) = start();
    c.expect("GET", &arity("get"));
    c.expect("SET k", &arity("set"));
    c.expect("Get a b", &arity("get"));
    c.expect("CLIENT REPLY", &arity("client|reply"));
}

// === shutting down, signals and config-file errors ===

#[test]
fn shutdown_nosave_stops_the_process_cleanly() {
    let mut s = Server::start(&[]);
    let mut c = Conn::open(&s);
    c.expect("SHUTDOWN FOO", SYNTAX);
    c.send_args(&["SHUTDOWN", "NOSAVE"]);
    assert!(c.closes_silently(), "SHUTDOWN NOSAVE does not reply");
    let st = s
        .wait_exit(Duration::from_secs(10))
        .expect("still running after SHUTDOWN");
    assert!(st.success(), "{st:?}");
}

#[test]
fn sigterm_makes_the_server_exit() {
    let mut s = Server::start(&[]);
    let mut c = Conn::open(&s);
    c.expect("PING", PONG);
    let kill = Command::new("kill")
        .arg(s.pid().to_string())
        .status()
        .unwrap();
    assert!(kill.success());
    let st = s
        .wait_exit(Duration::from_secs(5))
        .expect("still running 5s after SIGTERM");
    assert!(st.success(), "{st:?}");
}

#[test]
fn an_unknown_config_directive_aborts_startup_naming_file_and_line() {
    let dir = std::env::temp_dir().join(format!("shoal-badconf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.conf");
    std::fs::write(&path, "# first line\nno-such-directive yes\n").unwrap();
    let bin = if against_redis() {
        "redis-server"
    } else {
        env!("CARGO_BIN_EXE_shoal-server")
    };
    let mut child = Command::new(bin)
        .arg(&path)
        .args(["--port", &free_port().to_string(), "--bind", "127.0.0.1"])
        .current_dir(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let exited = poll_until(Duration::from_secs(10), || {
        child.try_wait().unwrap().is_some()
    });
    if !exited {
        let _ = child.kill();
    }
    let out = child.wait_with_output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(exited, "server started despite an unknown directive");
    assert!(!out.status.success(), "{:?}", out.status);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2") || err.contains(":2"), "{err}");
    if !against_redis() {
        // shoal-only: the message names the file too.
        assert!(err.contains(&path.display().to_string()), "{err}");
        assert!(err.contains("no-such-directive"), "{err}");
    }
}
