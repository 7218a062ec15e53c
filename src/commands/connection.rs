//! Connection commands: PING ECHO QUIT RESET AUTH HELLO and CLIENT (ID SETNAME GETNAME SETINFO
//! LIST INFO KILL NO-EVICT REPLY HELP). Semantics follow redis.io and Redis 7.0's `networking.c`
//! and `acl.c` (CLIENT SETINFO as in 7.2, since client libraries send it on connect).

use super::table::{acl, flag::*, Command, BASE};
use super::{Action, Args, CmdError, CmdResult, Ctx};
use crate::keyspace::signal::{UNBLOCK_ERROR, UNBLOCK_TIMEOUT};
use crate::server::client::{cflag, ReplyMode};
use std::sync::atomic::Ordering::Relaxed;

/// The Redis version whose behaviour we follow (INFO redis_version, HELLO version).
pub const REDIS_VERSION: &str = "7.0.15";

/// PING [message]. <https://redis.io/commands/ping/>
fn ping(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    if a.len() <= 2 && ctx.out.proto == 2 && ctx.client.subscriptions() > 0 {
        // RESP2 subscribed mode: PING answers as a message, `[pong, message or ""]`.
        ctx.out.array_len(2);
        ctx.out.bulk(b"pong");
        ctx.out.bulk(if a.len() == 2 { &a[1] } else { b"" });
        return Ok(());
    }
    match a.len() {
        1 => ctx.out.simple("PONG"),
        2 => ctx.out.bulk(&a[1]),
        _ => return Err(CmdError::WrongArity("ping".into())),
    }
    Ok(())
}

/// ECHO message. <https://redis.io/commands/echo/>
fn echo(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    ctx.out.bulk(&a[1]);
    Ok(())
}

/// QUIT: replies OK, then the connection closes. <https://redis.io/commands/quit/>
fn quit(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    ctx.out.ok();
    ctx.action = Action::Close;
    Ok(())
}

/// RESET: back to a fresh connection's state. <https://redis.io/commands/reset/>
fn reset(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    if let Some(subs) = ctx.client.pubsub.as_deref_mut() {
        ctx.srv.pubsub.unsubscribe_all(subs);
    }
    let c = &mut *ctx.client;
    c.release(&ctx.srv.keyspace);
    c.db = 0;
    c.info.db.store(0, Relaxed);
    c.reply_mode = ReplyMode::On;
    c.skip_next_reply = false;
    *c.info.name.lock() = None;
    c.info.resp.store(2, Relaxed);
    c.info.set_flag(cflag::NO_EVICT, false);
    c.authenticated = ctx.srv.config.read().requirepass.is_empty();
    ctx.out.proto = 2;
    ctx.out.simple("RESET");
    ctx.action = Action::Reset;
    Ok(())
}

/// Checks a username/password pair against the `default` user (requirepass).
fn check_password(ctx: &Ctx<'_, '_>, user: &[u8], pass: &[u8]) -> bool {
    if user != b"default" {
        return false;
    }
    let cfg = ctx.srv.config.read();
    // A default user without a password (nopass) accepts any password.
    cfg.requirepass.is_empty() || cfg.requirepass.as_bytes() == pass
}

/// AUTH [username] password. <https://redis.io/commands/auth/>
fn auth(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    if a.len() > 3 {
        return Err(CmdError::Syntax);
    }
    let (user, pass): (&[u8], &[u8]) = if a.len() == 2 {
        (b"default", &a[1])
    } else {
        (&a[1], &a[2])
    };
    if a.len() == 2 && ctx.srv.config.read().requirepass.is_empty() {
        return Err(CmdError::err(
            "AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
        ));
    }
    if !check_password(ctx, user, pass) {
        tracing::debug!("failed AUTH from client {}", ctx.client.id);
        return Err(CmdError::WrongPass);
    }
    ctx.client.authenticated = true;
    ctx.out.ok();
    Ok(())
}

/// Client names and library names: printable ASCII without spaces, as Redis requires.
fn valid_name(n: &[u8]) -> bool {
    n.iter().all(|&c| c > b' ' && c <= b'~')
}

fn set_name(ctx: &mut Ctx<'_, '_>, name: &[u8]) -> CmdResult {
    if !valid_name(name) {
        return Err(CmdError::err(
            "Client names cannot contain spaces, newlines or special characters.",
        ));
    }
    *ctx.client.info.name.lock() = if name.is_empty() {
        None
    } else {
        Some(name.to_vec())
    };
    Ok(())
}

/// HELLO [protover [AUTH username password] [SETNAME clientname]]. <https://redis.io/commands/hello/>
fn hello(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let mut ver = None;
    if a.len() >= 2 {
        let v = crate::util::parse_i64(&a[1])
            .ok_or_else(|| CmdError::err("Protocol version is not an integer or out of range"))?;
        if !(2..=3).contains(&v) {
            return Err(CmdError::Other(
                "NOPROTO unsupported protocol version".into(),
            ));
        }
        ver = Some(v as u8);
    }
    let mut creds = None;
    let mut name = None;
    let mut j = 2;
    while j < a.len() {
        let more = a.len() - 1 - j;
        if a.is(j, "auth") && more >= 2 {
            creds = Some((a.get(j + 1), a.get(j + 2)));
            j += 2;
        } else if a.is(j, "setname") && more >= 1 {
            name = Some(a.get(j + 1));
            j += 1;
        } else {
            return Err(CmdError::err(format!(
                "Syntax error in HELLO option '{}'",
                a.str(j)
            )));
        }
        j += 1;
    }
    if let Some((u, p)) = creds {
        if !check_password(ctx, u, p) {
            return Err(CmdError::WrongPass);
        }
        ctx.client.authenticated = true;
    }
    if !ctx.client.authenticated {
        return Err(CmdError::Other(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time".into(),
        ));
    }
    if let Some(n) = name {
        set_name(ctx, n)?;
    }
    if let Some(v) = ver {
        ctx.client.info.resp.store(v, Relaxed);
        ctx.out.proto = v;
    }
    let o = &mut *ctx.out;
    o.map_len(7);
    o.bulk(b"server");
    o.bulk(b"redis");
    o.bulk(b"version");
    o.bulk(REDIS_VERSION.as_bytes());
    o.bulk(b"proto");
    o.int(o.proto as i64);
    o.bulk(b"id");
    o.int(ctx.client.id as i64);
    o.bulk(b"mode");
    o.bulk(b"standalone");
    o.bulk(b"role");
    o.bulk(b"master");
    o.bulk(b"modules");
    o.array_len(0);
    Ok(())
}

/// CLIENT ID. <https://redis.io/commands/client-id/>
fn client_id(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    ctx.out.int(ctx.client.id as i64);
    Ok(())
}

/// CLIENT SETNAME name. <https://redis.io/commands/client-setname/>
fn client_setname(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    set_name(ctx, &a[2])?;
    ctx.out.ok();
    Ok(())
}

/// CLIENT GETNAME. <https://redis.io/commands/client-getname/>
fn client_getname(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    let n = ctx.client.info.name.lock().clone();
    ctx.out.bulk_opt(n.as_deref());
    Ok(())
}

/// CLIENT SETINFO LIB-NAME|LIB-VER value. <https://redis.io/commands/client-setinfo/>
fn client_setinfo(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let (attr, val) = (&a[2], &a[3]);
    let slot = if attr.eq_ignore_ascii_case(b"lib-name") {
        &ctx.client.info.lib_name
    } else if attr.eq_ignore_ascii_case(b"lib-ver") {
        &ctx.client.info.lib_ver
    } else {
        return Err(CmdError::err(format!("Unrecognized option '{}'", a.str(2))));
    };
    if !valid_name(val) {
        return Err(CmdError::err(format!(
            "{} cannot contain spaces, newlines or special characters.",
            a.str(2)
        )));
    }
    *slot.lock() = if val.is_empty() {
        None
    } else {
        Some(val.to_vec())
    };
    ctx.out.ok();
    Ok(())
}

/// A CLIENT LIST/KILL `TYPE` argument: `normal`, `pubsub`, or `master`/`replica`/`slave` (no
/// such clients exist on this node yet); `None` when unknown.
fn client_type(v: &[u8]) -> Option<&'static str> {
    if v.eq_ignore_ascii_case(b"normal") {
        Some("normal")
    } else if v.eq_ignore_ascii_case(b"pubsub") {
        Some("pubsub")
    } else if [&b"master"[..], b"replica", b"slave"]
        .iter()
        .any(|t| v.eq_ignore_ascii_case(t))
    {
        Some("replica")
    } else {
        None
    }
}

/// CLIENT LIST [TYPE normal|master|replica|pubsub] [ID id ...]. <https://redis.io/commands/client-list/>
fn client_list(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let mut ids: Option<Vec<u64>> = None;
    let mut ctype = None;
    if a.len() == 4 && a.is(2, "type") {
        ctype = Some(
            client_type(a.get(3))
                .ok_or_else(|| CmdError::err(format!("Unknown client type '{}'", a.str(3))))?,
        );
    } else if a.len() > 3 && a.is(2, "id") {
        let mut v = Vec::new();
        for i in 3..a.len() {
            let id = crate::util::parse_i64(&a[i])
                .filter(|x| *x > 0)
                .ok_or_else(|| CmdError::err("Invalid client ID"))?;
            v.push(id as u64);
        }
        ids = Some(v);
    } else if a.len() != 2 {
        return Err(CmdError::Syntax);
    }
    let mut s = String::new();
    for c in ctx.srv.clients.all() {
        if ids.as_ref().is_some_and(|v| !v.contains(&c.id))
            || ctype.is_some_and(|t| t != c.client_type())
        {
            continue;
        }
        s.push_str(&c.line(ctx.now));
        s.push('\n');
    }
    ctx.out.verbatim(s.as_bytes());
    Ok(())
}

/// CLIENT INFO. <https://redis.io/commands/client-info/>
fn client_info(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    let mut s = ctx.client.info.line(ctx.now);
    s.push('\n');
    ctx.out.verbatim(s.as_bytes());
    Ok(())
}

/// CLIENT KILL ip:port | CLIENT KILL [ID id] [ADDR ip:port] [LADDR ip:port] [USER name]
/// [TYPE type] [SKIPME yes|no] [MAXAGE secs]. <https://redis.io/commands/client-kill/>
fn client_kill(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    if a.len() == 3 {
        let addr = a.get(2);
        for c in ctx.srv.clients.all() {
            if c.addr.as_bytes() == addr && !c.killed.load(Relaxed) {
                c.kill();
                if c.id == ctx.client.id {
                    ctx.action = Action::Close;
                }
                ctx.out.ok();
                return Ok(());
            }
        }
        return Err(CmdError::err("No such client"));
    }
    if a.len() % 2 != 0 {
        return Err(CmdError::Syntax);
    }
    let (mut id, mut addr, mut laddr, mut user, mut maxage) = (None, None, None, None, None);
    let mut ctype = None;
    let mut skipme = true;
    let mut i = 2;
    while i + 1 < a.len() {
        let v = a.get(i + 1);
        if a.is(i, "id") {
            let n = crate::util::parse_i64(v)
                .filter(|x| *x > 0)
                .ok_or_else(|| CmdError::err("client-id should be greater than 0"))?;
            id = Some(n as u64);
        } else if a.is(i, "type") {
            ctype =
                Some(client_type(v).ok_or_else(|| {
                    CmdError::err(format!("Unknown client type '{}'", a.str(i + 1)))
                })?);
        } else if a.is(i, "addr") {
            addr = Some(v);
        } else if a.is(i, "laddr") {
            laddr = Some(v);
        } else if a.is(i, "user") {
            user = Some(v);
        } else if a.is(i, "skipme") {
            skipme = if v.eq_ignore_ascii_case(b"yes") {
                true
            } else if v.eq_ignore_ascii_case(b"no") {
                false
            } else {
                return Err(CmdError::Syntax);
            };
        } else if a.is(i, "maxage") {
            maxage = Some(a.i64(i + 1)?);
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
    let mut killed = 0;
    for c in ctx.srv.clients.all() {
        if id.is_some_and(|x| x != c.id)
            || addr.is_some_and(|x| x != c.addr.as_bytes())
            || laddr.is_some_and(|x| x != c.laddr.as_bytes())
            || user.is_some_and(|x| x != b"default")
            || ctype.is_some_and(|t| t != c.client_type())
            || maxage.is_some_and(|m| ((ctx.now.saturating_sub(c.created_ms)) / 1000) as i64 <= m)
            || (skipme && c.id == ctx.client.id)
            || c.killed.load(Relaxed)
        {
            continue;
        }
        c.kill();
        if c.id == ctx.client.id {
            ctx.action = Action::Close;
        }
        killed += 1;
    }
    ctx.out.int(killed);
    Ok(())
}

/// CLIENT UNBLOCK client-id [TIMEOUT|ERROR]: ends another client's blocking command, as if it
/// timed out or with `-UNBLOCKED`; 1 if that client was blocked, else 0.
/// <https://redis.io/commands/client-unblock/>
fn client_unblock(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let id = a.i64(2)?;
    let how = if a.len() == 3 || a.is(3, "timeout") {
        UNBLOCK_TIMEOUT
    } else if a.len() == 4 && a.is(3, "error") {
        UNBLOCK_ERROR
    } else {
        return Err(CmdError::err(
            "CLIENT UNBLOCK reason should be TIMEOUT or ERROR",
        ));
    };
    let target = u64::try_from(id)
        .ok()
        .and_then(|id| ctx.srv.clients.get(id));
    let n = match target {
        Some(c) if c.has_flag(cflag::BLOCKED) => {
            c.waiter.unblock.store(how, Relaxed);
            c.waiter.wake.notify_one();
            1
        }
        _ => 0,
    };
    ctx.out.int(n);
    Ok(())
}

/// CLIENT NO-EVICT on|off. <https://redis.io/commands/client-no-evict/>
fn client_no_evict(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let on = if a.is(2, "on") {
        true
    } else if a.is(2, "off") {
        false
    } else {
        return Err(CmdError::Syntax);
    };
    ctx.client.info.set_flag(cflag::NO_EVICT, on);
    ctx.out.ok();
    Ok(())
}

/// CLIENT REPLY ON|OFF|SKIP. <https://redis.io/commands/client-reply/>
fn client_reply(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    if a.is(2, "on") {
        ctx.client.reply_mode = ReplyMode::On;
        ctx.out.ok();
    } else if a.is(2, "off") {
        ctx.client.reply_mode = ReplyMode::Off;
    } else if a.is(2, "skip") {
        if ctx.client.reply_mode == ReplyMode::On {
            ctx.client.skip_next_reply = true;
        }
    } else {
        return Err(CmdError::Syntax);
    }
    Ok(())
}

/// CLIENT HELP.
fn client_help(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    super::server::help(
        ctx,
        "CLIENT",
        &[
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are:",
            "    * ADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made from the specified address",
            "    * LADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made to specified local address",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Kill connections by type.",
            "    * USER <username>",
            "      Kill connections authenticated by <username>.",
            "    * SKIPME (YES|NO)",
            "      Skip killing current connection (default: yes).",
            "    * ID <client-id>",
            "      Kill connections by client id.",
            "    * MAXAGE <maxage>",
            "      Kill connections older than the specified age.",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
            "SETINFO <option> <value>",
            "    Set client meta attr. Options are:",
            "    * LIB-NAME: the client lib name.",
            "    * LIB-VER: the client lib version.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
        ],
    );
    Ok(())
}

const C: Command = Command {
    group: "connection",
    acl: acl::CONNECTION,
    ..BASE
};
const CL: Command = Command {
    arity: 2,
    flags: NOSCRIPT | LOADING | STALE,
    group: "connection",
    acl: acl::CONNECTION,
    ..BASE
};

pub static COMMANDS: &[Command] = &[
    Command {
        name: "ping",
        arity: -1,
        flags: FAST,
        since: "1.0.0",
        summary: "Returns the server's liveliness response.",
        complexity: "O(1)",
        handler: ping,
        ..C
    },
    Command {
        name: "echo",
        arity: 2,
        flags: FAST,
        since: "1.0.0",
        summary: "Returns the given string.",
        complexity: "O(1)",
        handler: echo,
        ..C
    },
    Command {
        name: "quit",
        arity: -1,
        flags: ALLOW_BUSY | NOSCRIPT | LOADING | STALE | FAST | NO_AUTH,
        since: "1.0.0",
        summary: "Closes the connection.",
        complexity: "O(1)",
        handler: quit,
        ..C
    },
    Command {
        name: "reset",
        arity: 1,
        flags: NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
        since: "6.2.0",
        summary: "Resets the connection.",
        complexity: "O(1)",
        handler: reset,
        ..C
    },
    Command {
        name: "auth",
        arity: -2,
        flags: NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | SENTINEL | ALLOW_BUSY,
        since: "1.0.0",
        summary: "Authenticates the connection.",
        complexity: "O(N) where N is the number of passwords defined for the user",
        handler: auth,
        ..C
    },
    Command {
        name: "hello",
        arity: -1,
        flags: NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | SENTINEL | ALLOW_BUSY,
        since: "6.0.0",
        summary: "Handshakes with the Redis server.",
        complexity: "O(1)",
        handler: hello,
        ..C
    },
    Command {
        name: "client",
        arity: -2,
        since: "2.4.0",
        summary: "A container for client connection commands.",
        complexity: "Depends on subcommand.",
        acl: acl::SLOW,
        subcommands: &[
            Command {
                name: "client|getname",
                since: "2.6.9",
                summary: "Returns the name of the connection.",
                complexity: "O(1)",
                handler: client_getname,
                ..CL
            },
            Command {
                name: "client|help",
                since: "5.0.0",
                summary: "Returns helpful text about the different subcommands.",
                complexity: "O(1)",
                handler: client_help,
                ..CL
            },
            Command {
                name: "client|id",
                since: "5.0.0",
                summary: "Returns the unique client ID of the connection.",
                complexity: "O(1)",
                handler: client_id,
                ..CL
            },
            Command {
                name: "client|info",
                since: "6.2.0",
                summary: "Returns information about the connection.",
                complexity: "O(1)",
                handler: client_info,
                ..CL
            },
            Command {
                name: "client|kill",
                arity: -3,
                flags: ADMIN | NOSCRIPT | LOADING | STALE,
                since: "2.4.0",
                summary: "Terminates open connections.",
                complexity: "O(N) where N is the number of client connections",
                handler: client_kill,
                ..CL
            },
            Command {
                name: "client|list",
                arity: -2,
                flags: ADMIN | NOSCRIPT | LOADING | STALE,
                since: "2.4.0",
                summary: "Lists open connections.",
                complexity: "O(N) where N is the number of client connections",
                handler: client_list,
                ..CL
            },
            Command {
                name: "client|unblock",
                arity: -3,
                flags: ADMIN | NOSCRIPT | LOADING | STALE,
                since: "5.0.0",
                summary:
                    "Unblock a client blocked in a blocking command from a different connection.",
                complexity: "O(log N) where N is the number of client connections",
                handler: client_unblock,
                ..CL
            },
            Command {
                name: "client|no-evict",
                arity: 3,
                flags: ADMIN | NOSCRIPT | LOADING | STALE,
                since: "7.0.0",
                summary: "Sets the client eviction mode of the connection.",
                complexity: "O(1)",
                handler: client_no_evict,
                ..CL
            },
            Command {
                name: "client|reply",
                arity: 3,
                since: "3.2.0",
                summary: "Instructs the server whether to reply to commands.",
                complexity: "O(1)",
                handler: client_reply,
                ..CL
            },
            Command {
                name: "client|setinfo",
                arity: 4,
                since: "7.2.0",
                summary: "Sets information specific to the client or connection.",
                complexity: "O(1)",
                handler: client_setinfo,
                ..CL
            },
            Command {
                name: "client|setname",
                arity: 3,
                since: "2.6.9",
                summary: "Sets the connection name.",
                complexity: "O(1)",
                handler: client_setname,
                ..CL
            },
        ],
        ..C
    },
];
