//! Server commands: INFO CONFIG (GET SET RESETSTAT REWRITE HELP) TIME LASTSAVE SLOWLOG (GET LEN
//! RESET HELP) MONITOR SHUTDOWN DEBUG (SLEEP SET-ACTIVE-EXPIRE HELP) and COMMAND (COUNT INFO DOCS
//! GETKEYS LIST HELP). Semantics follow redis.io and Redis 7.0's `server.c`, `config.c`,
//! `slowlog.c`, `debug.c`.

use super::table::{acl, flag, flag::*, Command, Table, BASE};
use super::{Action, Args, CmdError, CmdResult, Ctx};
use crate::config::{self, Config};
use crate::persistence::save;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

/// Writes a HELP reply: the header line, `lines`, then HELP's own entry, as status strings.
pub fn help(ctx: &mut Ctx<'_, '_>, cmd: &str, lines: &[&str]) {
    ctx.out.array_len(lines.len() + 3);
    ctx.out.simple(&format!(
        "{cmd} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    ));
    for l in lines {
        ctx.out.simple(l);
    }
    ctx.out.simple("HELP");
    ctx.out.simple("    Prints this help.");
}

/// INFO [section ...]. <https://redis.io/commands/info/>
fn info(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let args: Vec<&[u8]> = a.iter().skip(1).collect();
    let text = crate::info::render(
        ctx.srv,
        &mut ctx.ks,
        &crate::info::select_sections(&args),
        ctx.now,
    );
    ctx.out.verbatim(text.as_bytes());
    Ok(())
}

/// CONFIG GET parameter [parameter ...]: a map of matching directives. <https://redis.io/commands/config-get/>
fn config_get(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let cfg = ctx.srv.config.read().clone();
    let mut found: Vec<(&str, String)> = Vec::new();
    for p in a.iter().skip(2) {
        for d in config::DIRECTIVES {
            if crate::util::glob_match(p, d.name.as_bytes(), true)
                && !found.iter().any(|(n, _)| *n == d.name)
            {
                found.push((d.name, cfg.get(d)));
            }
        }
    }
    ctx.out.map_len(found.len());
    for (n, v) in found {
        ctx.out.bulk(n.as_bytes());
        ctx.out.bulk(v.as_bytes());
    }
    Ok(())
}

/// CONFIG SET parameter value [parameter value ...]: all or nothing. <https://redis.io/commands/config-set/>
fn config_set(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    if a.len() % 2 != 0 {
        return Err(CmdError::WrongArity("config|set".into()));
    }
    let mut next: Config = ctx.srv.config.read().clone();
    let mut seen = Vec::new();
    for i in (2..a.len()).step_by(2) {
        let name = a.str(i);
        let Some(d) = config::directive(&name) else {
            return Err(CmdError::err(format!(
                "Unknown option or number of arguments for CONFIG SET - '{name}'"
            )));
        };
        let fail = |why: &str| {
            CmdError::err(format!(
                "CONFIG SET failed (possibly related to argument '{name}') - {why}"
            ))
        };
        if seen.contains(&d.name) {
            return Err(fail("duplicate parameter"));
        }
        seen.push(d.name);
        if !d.mutable {
            return Err(fail("can't set immutable config"));
        }
        let value = a.str(i + 1);
        let args: Vec<String> = if d.name == "bind" || d.name == "client-output-buffer-limit" {
            value.split_whitespace().map(String::from).collect()
        } else {
            vec![value]
        };
        (d.set)(&mut next, &args).map_err(|e| fail(&e))?;
    }
    ctx.srv.apply_config(&next);
    *ctx.srv.config.write() = next;
    ctx.out.ok();
    Ok(())
}

/// CONFIG RESETSTAT. <https://redis.io/commands/config-resetstat/>
fn config_resetstat(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    let srv = ctx.srv;
    srv.keyspace.evict.evicted_keys.store(0, Relaxed);
    srv.keyspace.evict.exceeded_us.store(0, Relaxed);
    for st in srv.cmdstats.iter() {
        st.calls.store(0, Relaxed);
        st.usec.store(0, Relaxed);
        st.rejected.store(0, Relaxed);
        st.failed.store(0, Relaxed);
    }
    let s = &srv.stats;
    for c in [
        &s.connections_received,
        &s.rejected_connections,
        &s.commands_processed,
        &s.net_input_bytes,
        &s.net_output_bytes,
        &s.reads_processed,
        &s.writes_processed,
        &s.error_replies,
    ] {
        c.store(0, Relaxed);
    }
    ctx.ks.reset_stats();
    ctx.out.ok();
    Ok(())
}

/// CONFIG REWRITE. <https://redis.io/commands/config-rewrite/>
fn config_rewrite(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    let Some(path) = ctx.srv.config_file.as_ref() else {
        return Err(CmdError::err("The server is running without a config file"));
    };
    let old = std::fs::read_to_string(path).unwrap_or_default();
    let text = config::rewrite(&old, &ctx.srv.config.read());
    // Write beside and rename, so a crash never leaves half a config file.
    let tmp = path.with_extension("rewrite.tmp");
    std::fs::write(&tmp, text)
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(|e| CmdError::err(format!("Rewriting config file: {e}")))?;
    tracing::info!("CONFIG REWRITE executed with success.");
    ctx.out.ok();
    Ok(())
}

fn config_help(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    help(
        ctx,
        "CONFIG",
        &[
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ],
    );
    Ok(())
}

/// TIME: [unix seconds, microseconds]. <https://redis.io/commands/time/>
fn time(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    let us = crate::clock::now_us();
    ctx.out.array_len(2);
    ctx.out
        .bulk(itoa::Buffer::new().format(us / 1_000_000).as_bytes());
    ctx.out
        .bulk(itoa::Buffer::new().format(us % 1_000_000).as_bytes());
    Ok(())
}

/// LASTSAVE: unix seconds of the last successful save; the start time until snapshots exist,
/// as Redis initialises it. <https://redis.io/commands/lastsave/>
fn lastsave(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    ctx.out
        .int(ctx.srv.persistence.last_save_secs.load(Relaxed) as i64);
    Ok(())
}

/// SLOWLOG GET [count]. <https://redis.io/commands/slowlog-get/>
fn slowlog_get(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let mut count = 10i64;
    if a.len() == 3 {
        count = a
            .i64(2)
            .map_err(|_| CmdError::err("count should be greater than or equal to -1"))?;
        if count < -1 {
            return Err(CmdError::err("count should be greater than or equal to -1"));
        }
    }
    let log = ctx.srv.slowlog.lock();
    let n = if count == -1 {
        log.entries.len()
    } else {
        (count as usize).min(log.entries.len())
    };
    ctx.out.array_len(n);
    for e in log.entries.iter().take(n) {
        ctx.out.array_len(6);
        ctx.out.int(e.id as i64);
        ctx.out.int(e.time as i64);
        ctx.out.int(e.usec as i64);
        ctx.out.array_len(e.args.len());
        for x in &e.args {
            ctx.out.bulk(x);
        }
        ctx.out.bulk(e.addr.as_bytes());
        ctx.out.bulk(&e.name);
    }
    Ok(())
}

/// SLOWLOG LEN. <https://redis.io/commands/slowlog-len/>
fn slowlog_len(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    let n = ctx.srv.slowlog.lock().entries.len();
    ctx.out.int(n as i64);
    Ok(())
}

/// SLOWLOG RESET. <https://redis.io/commands/slowlog-reset/>
fn slowlog_reset(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    ctx.srv.slowlog.lock().reset();
    ctx.out.ok();
    Ok(())
}

fn slowlog_help(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    help(
        ctx,
        "SLOWLOG",
        &[
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
        ],
    );
    Ok(())
}

/// MONITOR: stream every command the server executes. <https://redis.io/commands/monitor/>
fn monitor(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    ctx.out.ok();
    ctx.action = Action::Monitor;
    Ok(())
}

/// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]. <https://redis.io/commands/shutdown/>
fn shutdown(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let (mut save, mut nosave, mut abort) = (false, false, false);
    for i in 1..a.len() {
        if a.is(i, "nosave") {
            nosave = true;
        } else if a.is(i, "save") {
            save = true;
        } else if a.is(i, "now") || a.is(i, "force") {
            // No shutdown delay or failing save step exists to skip.
        } else if a.is(i, "abort") {
            abort = true;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    if (save && nosave) || (abort && a.len() > 2) {
        return Err(CmdError::Syntax);
    }
    if abort {
        return Err(CmdError::err("No shutdown in progress."));
    }
    tracing::warn!("User requested shutdown...");
    // As Redis: save when asked, or by default when save points are configured.
    if !nosave && (save || !ctx.srv.config.read().save.is_empty()) {
        tracing::info!("Saving the final RDB snapshot before exiting.");
        if let Err(e) = save::save(ctx.srv) {
            tracing::warn!("Error trying to save the DB, can't exit: {e}");
            return Err(CmdError::err("Errors trying to SHUTDOWN. Check logs."));
        }
    }
    // Saved (or not wanted): the shutdown path must not save again.
    ctx.srv.persistence.shutdown_saved.store(true, Relaxed);
    ctx.action = Action::Shutdown;
    Ok(())
}

/// SAVE: writes the RDB file now; the caller waits, other clients go on.
/// <https://redis.io/commands/save/>
fn save_cmd(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    match save::save(ctx.srv) {
        Ok(_) => {
            ctx.out.ok();
            Ok(())
        }
        Err(save::SaveError::InProgress) => {
            Err(CmdError::err("Background save already in progress"))
        }
        Err(e) => {
            tracing::warn!("SAVE failed: {e}");
            Err(CmdError::Other("ERR".into()))
        }
    }
}

/// BGSAVE [SCHEDULE]: starts writing the RDB file in the background.
/// <https://redis.io/commands/bgsave/>
fn bgsave(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    if a.len() > 2 || (a.len() == 2 && !a.is(1, "schedule")) {
        return Err(CmdError::Syntax);
    }
    if ctx.ks.holds_all() {
        // Inside EXEC the snapshot cannot take the shard locks the transaction holds; Redis
        // schedules it too.
        ctx.srv.persistence.bgsave_scheduled.store(true, Relaxed);
        ctx.out.simple("Background saving scheduled");
        return Ok(());
    }
    if ctx.srv.aof.stats.rewrite_in_progress.load(Relaxed) {
        if a.len() == 2 {
            ctx.srv.persistence.bgsave_scheduled.store(true, Relaxed);
            ctx.out.simple("Background saving scheduled");
            return Ok(());
        }
        return Err(CmdError::err("Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible."));
    }
    let Some(srv) = ctx.srv.me() else {
        return Err(CmdError::err("server is shutting down"));
    };
    match save::bgsave(&srv) {
        Ok(()) => {
            ctx.out.simple("Background saving started");
            Ok(())
        }
        Err(save::SaveError::InProgress) => {
            Err(CmdError::err("Background save already in progress"))
        }
        Err(e) => Err(CmdError::err(format!("Background save failed: {e}"))),
    }
}

/// BGREWRITEAOF: rewrites the AOF in the background (a new base from a snapshot of the data,
/// a new incr file from that instant); scheduled while a background save runs or inside EXEC.
/// With `appendonly no` it writes an AOF of just a base. Replies and errors as Redis 7.0's
/// `bgrewriteaofCommand`. <https://redis.io/commands/bgrewriteaof/>
fn bgrewriteaof(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    use crate::persistence::aof::rewrite;
    let st = &ctx.srv.aof.stats;
    if st.rewrite_in_progress.load(Relaxed) {
        return Err(CmdError::err(
            "Background append only file rewriting already in progress",
        ));
    }
    if ctx.ks.holds_all() || ctx.srv.persistence.bgsave_in_progress.load(Relaxed) {
        st.rewrite_scheduled.store(true, Relaxed);
        ctx.out
            .simple("Background append only file rewriting scheduled");
        return Ok(());
    }
    let Some(srv) = ctx.srv.me() else {
        return Err(CmdError::err("server is shutting down"));
    };
    match rewrite::start(&srv) {
        Ok(rewrite::Started::Started) => {
            ctx.out
                .simple("Background append only file rewriting started");
            Ok(())
        }
        Ok(rewrite::Started::Scheduled) => {
            ctx.out
                .simple("Background append only file rewriting scheduled");
            Ok(())
        }
        Err(rewrite::RewriteError::InProgress) => Err(CmdError::err(
            "Background append only file rewriting already in progress",
        )),
        Err(e) => {
            tracing::warn!("Can't rewrite the AOF: {e}");
            Err(CmdError::err("Can't execute an AOF background rewriting. Please check the server logs for more information."))
        }
    }
}

/// DEBUG SLEEP seconds | SET-ACTIVE-EXPIRE 0|1 | RELOAD | CLUSTER-BUS-DROP yes|no | HELP. <https://redis.io/commands/debug/>
fn debug(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    if a.is(1, "sleep") && a.len() == 3 {
        let secs = a.f64(2)?;
        let d = Duration::from_secs_f64(secs.clamp(0.0, 3600.0));
        ctx.out.ok();
        ctx.action = Action::Sleep(d);
        return Ok(());
    }
    if a.is(1, "reload") && a.len() == 2 {
        // Save, empty the keyspace, load the file back: checks that a dump round-trips.
        if ctx.ks.holds_all() {
            return Err(CmdError::err(
                "DEBUG RELOAD is not allowed inside a transaction",
            ));
        }
        save::save(ctx.srv)
            .map_err(|e| CmdError::err(format!("Error trying to save the DB: {e}")))?;
        drop(ctx.ks.flush_all());
        let path = save::rdb_path(ctx.srv);
        save::load(ctx.srv, &path)
            .map_err(|e| CmdError::err(format!("Error trying to load the RDB dump: {e}")))?;
        tracing::info!("DB reloaded by DEBUG RELOAD");
        ctx.out.ok();
        return Ok(());
    }
    if a.is(1, "set-active-expire") && a.len() == 3 {
        let on = a.i64(2)? != 0;
        ctx.srv.limits.active_expire.store(on, Relaxed);
        ctx.out.ok();
        return Ok(());
    }
    if a.is(1, "cluster-bus-drop") && a.len() == 3 {
        // shoal's fault hook for partition tests: cut this node's cluster bus traffic.
        let on = match a.str(2).to_ascii_lowercase().as_str() {
            "yes" | "1" => true,
            "no" | "0" => false,
            _ => return Err(CmdError::Syntax),
        };
        let Some(c) = ctx.srv.cluster.consensus() else {
            return Err(CmdError::err("This instance has cluster support disabled"));
        };
        c.set_isolated(on);
        tracing::warn!("DEBUG CLUSTER-BUS-DROP {}", if on { "yes" } else { "no" });
        ctx.out.ok();
        return Ok(());
    }
    if a.is(1, "help") && a.len() == 2 {
        help(
            ctx,
            "DEBUG",
            &[
                "CLUSTER-BUS-DROP <yes|no>",
                "    shoal only: drop every cluster bus message in and out of this node (a",
                "    network partition of the node, for tests).",
                "SET-ACTIVE-EXPIRE <0|1>",
                "    Setting it to 0 disables expiring keys in background when they are not",
                "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
                "    default.",
                "SLEEP <seconds>",
                "    Stop the server for <seconds>. Decimals allowed.",
            ],
        );
        return Ok(());
    }
    Err(CmdError::err(format!(
        "unknown subcommand or wrong number of arguments for '{}'. Try DEBUG HELP.",
        a.str(1)
    )))
}

/// Writes one command's COMMAND INFO entry (10 fields, Redis 7.0's layout).
fn command_entry(ctx: &mut Ctx<'_, '_>, c: &Command) {
    let o = &mut *ctx.out;
    o.array_len(10);
    o.bulk(c.name.as_bytes());
    o.int(c.arity as i64);
    let mut flags: Vec<&str> = flag::NAMES
        .iter()
        .filter(|(b, _)| c.flags & b != 0)
        .map(|(_, n)| *n)
        .collect();
    if c.movable_keys() {
        flags.push("movablekeys");
    }
    o.set_len(flags.len());
    for f in flags {
        o.simple(f);
    }
    o.int(c.keys.0 as i64);
    o.int(c.keys.1 as i64);
    o.int(c.keys.2 as i64);
    let cats = c.acl();
    let names: Vec<&str> = acl::NAMES
        .iter()
        .enumerate()
        .filter(|(i, _)| cats & (1 << i) != 0)
        .map(|(_, n)| *n)
        .collect();
    o.set_len(names.len());
    for n in names {
        o.simple(&format!("@{n}"));
    }
    o.set_len(0);
    // Key specs: one range spec derived from (first, last, step).
    if c.keys.0 > 0 {
        o.array_len(1);
        o.map_len(3);
        o.bulk(b"flags");
        let kf: &[&str] = if c.flags & WRITE != 0 {
            &["RW", "UPDATE"]
        } else {
            &["RO", "ACCESS"]
        };
        o.set_len(kf.len());
        for f in kf {
            o.simple(f);
        }
        o.bulk(b"begin_search");
        o.map_len(2);
        o.bulk(b"type");
        o.bulk(b"index");
        o.bulk(b"spec");
        o.map_len(1);
        o.bulk(b"index");
        o.int(c.keys.0 as i64);
        o.bulk(b"find_keys");
        o.map_len(2);
        o.bulk(b"type");
        o.bulk(b"range");
        o.bulk(b"spec");
        o.map_len(3);
        o.bulk(b"lastkey");
        o.int(if c.keys.1 < 0 {
            c.keys.1 as i64
        } else {
            (c.keys.1 - c.keys.0) as i64
        });
        o.bulk(b"keystep");
        o.int(c.keys.2 as i64);
        o.bulk(b"limit");
        o.int(0);
    } else {
        o.array_len(0);
    }
    o.array_len(c.subcommands.len());
    for s in c.subcommands {
        command_entry(ctx, s);
    }
}

/// COMMAND: every command's info. <https://redis.io/commands/command/>
fn command(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    if a.len() > 1 {
        let e = CmdError::UnknownSubcommand {
            sub: a.str(1),
            cmd: "COMMAND".into(),
        };
        return Err(e);
    }
    all_commands(ctx);
    Ok(())
}

fn all_commands(ctx: &mut Ctx<'_, '_>) {
    let t = Table::get();
    ctx.out.array_len(t.commands.len());
    for c in &t.commands {
        command_entry(ctx, c);
    }
}

/// COMMAND COUNT. <https://redis.io/commands/command-count/>
fn command_count(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    ctx.out.int(Table::get().commands.len() as i64);
    Ok(())
}

/// Finds a command or `container|sub` / `container sub` by name.
fn find(name: &[u8]) -> Option<&'static Command> {
    let t = Table::get();
    let s = String::from_utf8_lossy(name).to_ascii_lowercase();
    match s.split_once('|') {
        Some((p, sub)) => t
            .lookup(p.as_bytes())
            .and_then(|c| c.subcommands.iter().find(|x| x.short_name() == sub)),
        None => t.lookup(name),
    }
}

/// COMMAND INFO [command ...]. <https://redis.io/commands/command-info/>
fn command_info(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    if a.len() == 2 {
        all_commands(ctx);
        return Ok(());
    }
    ctx.out.array_len(a.len() - 2);
    for n in a.iter().skip(2) {
        match find(n) {
            Some(c) => command_entry(ctx, c),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

fn doc_entry(ctx: &mut Ctx<'_, '_>, c: &Command) {
    let o = &mut *ctx.out;
    let subs = !c.subcommands.is_empty();
    o.map_len(4 + subs as usize);
    o.bulk(b"summary");
    o.bulk(c.summary.as_bytes());
    o.bulk(b"since");
    o.bulk(c.since.as_bytes());
    o.bulk(b"group");
    o.bulk(c.group.as_bytes());
    o.bulk(b"complexity");
    o.bulk(c.complexity.as_bytes());
    if subs {
        o.bulk(b"subcommands");
        o.map_len(c.subcommands.len());
        for s in c.subcommands {
            ctx.out.bulk(s.name.as_bytes());
            doc_entry(ctx, s);
        }
    }
}

/// COMMAND DOCS [command ...]. <https://redis.io/commands/command-docs/>
fn command_docs(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let list: Vec<&'static Command> = if a.len() == 2 {
        Table::get().commands.clone()
    } else {
        a.iter().skip(2).filter_map(find).collect()
    };
    ctx.out.map_len(list.len());
    for c in list {
        ctx.out.bulk(c.name.as_bytes());
        doc_entry(ctx, c);
    }
    Ok(())
}

/// COMMAND GETKEYS command [arg ...]. <https://redis.io/commands/command-getkeys/>
fn command_getkeys(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let t = Table::get();
    let Some(mut c) = t.lookup(&a[2]) else {
        return Err(CmdError::err("Invalid command specified"));
    };
    if !c.subcommands.is_empty() && a.len() > 3 {
        if let Some(s) = c
            .subcommands
            .iter()
            .find(|s| s.short_name().as_bytes().eq_ignore_ascii_case(&a[3]))
        {
            c = s;
        }
    }
    let argc = a.len() - 2;
    if !c.arity_ok(argc) {
        return Err(CmdError::err(
            "Invalid number of arguments specified for command",
        ));
    }
    if !c.has_keys() {
        return Err(CmdError::err("The command has no key arguments"));
    }
    let pos = c.all_key_positions(&a.skip(2));
    ctx.out.array_len(pos.len());
    for p in pos {
        ctx.out.bulk(&a[p + 2]);
    }
    Ok(())
}

/// COMMAND LIST [FILTERBY MODULE name | ACLCAT cat | PATTERN pattern]. <https://redis.io/commands/command-list/>
fn command_list(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let t = Table::get();
    let mut names: Vec<&str> = Vec::new();
    let filter = if a.len() == 5 && a.is(2, "filterby") {
        Some((a.get(3), a.get(4)))
    } else {
        None
    };
    if a.len() != 2 && filter.is_none() {
        return Err(CmdError::Syntax);
    }
    for c in t.rows.iter() {
        let keep = match filter {
            None => true,
            Some((kind, v)) if kind.eq_ignore_ascii_case(b"pattern") => {
                crate::util::glob_match(v, c.name.as_bytes(), true)
            }
            Some((kind, v)) if kind.eq_ignore_ascii_case(b"aclcat") => {
                let cats = c.acl();
                acl::NAMES
                    .iter()
                    .enumerate()
                    .any(|(i, n)| cats & (1 << i) != 0 && n.as_bytes().eq_ignore_ascii_case(v))
            }
            Some((kind, _)) if kind.eq_ignore_ascii_case(b"module") => false,
            Some(_) => return Err(CmdError::Syntax),
        };
        if keep {
            names.push(c.name);
        }
    }
    ctx.out.array_len(names.len());
    for n in names {
        ctx.out.bulk(n.as_bytes());
    }
    Ok(())
}

fn command_help(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    help(
        ctx,
        "COMMAND",
        &[
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
        ],
    );
    Ok(())
}

const SV: Command = Command {
    group: "server",
    ..BASE
};
const SUB: Command = Command {
    arity: 2,
    group: "server",
    ..BASE
};
const CMDSUB: Command = Command {
    arity: -2,
    flags: LOADING | STALE,
    group: "server",
    acl: acl::CONNECTION,
    ..BASE
};

pub static COMMANDS: &[Command] = &[
    Command { name: "info", arity: -1, flags: LOADING | STALE, acl: acl::DANGEROUS, since: "1.0.0",
        summary: "Returns information and statistics about the server.", complexity: "O(1)", handler: info, ..SV },
    Command { name: "config", arity: -2, since: "2.0.0", summary: "A container for server configuration commands.",
        complexity: "Depends on subcommand.", acl: acl::SLOW, subcommands: &[
        Command { name: "config|get", arity: -3, flags: ADMIN | NOSCRIPT | LOADING | STALE, since: "2.0.0",
            summary: "Returns the effective values of configuration parameters.", complexity: "O(N) when N is the number of configuration parameters provided", handler: config_get, ..SUB },
        Command { name: "config|help", flags: LOADING | STALE, since: "5.0.0", summary: "Returns helpful text about the different subcommands.", complexity: "O(1)", handler: config_help, ..SUB },
        Command { name: "config|resetstat", flags: ADMIN | NOSCRIPT | LOADING | STALE, since: "2.0.0", summary: "Resets the server's statistics.", complexity: "O(1)", handler: config_resetstat, ..SUB },
        Command { name: "config|rewrite", flags: ADMIN | NOSCRIPT | LOADING | STALE, since: "2.8.0", summary: "Persists the effective configuration to file.", complexity: "O(1)", handler: config_rewrite, ..SUB },
        Command { name: "config|set", arity: -4, flags: ADMIN | NOSCRIPT | LOADING | STALE, since: "2.0.0",
            summary: "Sets configuration parameters in-flight.", complexity: "O(N) when N is the number of configuration parameters provided", handler: config_set, ..SUB },
    ], ..SV },
    Command { name: "time", arity: 1, flags: LOADING | STALE | FAST, since: "2.6.0", summary: "Returns the server time.",
        complexity: "O(1)", handler: time, ..SV },
    Command { name: "save", arity: 1, flags: ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI, since: "1.0.0",
        summary: "Synchronously save the dataset to disk", complexity: "O(N) where N is the total number of keys in all databases", handler: save_cmd, ..SV },
    Command { name: "bgsave", arity: -1, flags: ADMIN | NOSCRIPT | NO_ASYNC_LOADING, since: "1.0.0",
        summary: "Asynchronously save the dataset to disk", complexity: "O(1)", handler: bgsave, ..SV },
    Command { name: "bgrewriteaof", arity: 1, flags: ADMIN | NOSCRIPT | NO_ASYNC_LOADING, since: "1.0.0",
        summary: "Asynchronously rewrite the append-only file to disk", complexity: "O(1)", handler: bgrewriteaof, ..SV },
    Command { name: "lastsave", arity: 1, flags: LOADING | STALE | FAST, acl: acl::DANGEROUS, since: "1.0.0",
        summary: "Returns the Unix timestamp of the last successful save to disk.", complexity: "O(1)", handler: lastsave, ..SV },
    Command { name: "slowlog", arity: -2, since: "2.2.12", summary: "A container for slow log commands.",
        complexity: "Depends on subcommand.", acl: acl::SLOW, subcommands: &[
        Command { name: "slowlog|get", arity: -2, flags: ADMIN | LOADING | STALE, since: "2.2.12", summary: "Returns the slow log's entries.",
            complexity: "O(N) where N is the number of entries returned", handler: slowlog_get, ..SUB },
        Command { name: "slowlog|help", flags: LOADING | STALE, since: "6.2.0", summary: "Show helpful text about the different subcommands", complexity: "O(1)", handler: slowlog_help, ..SUB },
        Command { name: "slowlog|len", flags: ADMIN | LOADING | STALE, since: "2.2.12", summary: "Returns the number of entries in the slow log.", complexity: "O(1)", handler: slowlog_len, ..SUB },
        Command { name: "slowlog|reset", flags: ADMIN | LOADING | STALE, since: "2.2.12", summary: "Clears all entries from the slow log.",
            complexity: "O(N) where N is the number of entries in the slowlog", handler: slowlog_reset, ..SUB },
    ], ..SV },
    Command { name: "monitor", arity: 1, flags: ADMIN | NOSCRIPT | LOADING | STALE, since: "1.0.0",
        summary: "Listens for all requests received by the server in real-time.", complexity: "", handler: monitor, ..SV },
    Command { name: "shutdown", arity: -1, flags: ADMIN | NOSCRIPT | LOADING | STALE | NO_MULTI | SENTINEL | ALLOW_BUSY, since: "1.0.0",
        summary: "Synchronously saves the database(s) to disk and shuts down the Redis server.",
        complexity: "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)", handler: shutdown, ..SV },
    Command { name: "debug", arity: -2, flags: ADMIN | NOSCRIPT | LOADING | STALE, since: "1.0.0",
        summary: "A container for debugging commands.", complexity: "Depends on subcommand.", handler: debug, ..SV },
    Command { name: "command", arity: -1, flags: LOADING | STALE, acl: acl::CONNECTION, since: "2.8.13",
        summary: "Returns detailed information about all commands.", complexity: "O(N) where N is the total number of Redis commands",
        handler: command, subcommands: &[
        Command { name: "command|count", arity: 2, since: "2.8.13", summary: "Returns a count of commands.", complexity: "O(1)", handler: command_count, ..CMDSUB },
        Command { name: "command|docs", since: "7.0.0", summary: "Returns documentary information about one, multiple or all commands.",
            complexity: "O(N) where N is the number of commands to look up", handler: command_docs, ..CMDSUB },
        Command { name: "command|getkeys", arity: -4, since: "2.8.13", summary: "Extracts the key names from an arbitrary command.",
            complexity: "O(N) where N is the number of arguments to the command", handler: command_getkeys, ..CMDSUB },
        Command { name: "command|help", arity: 2, since: "5.0.0", summary: "Returns helpful text about the different subcommands.", complexity: "O(1)", handler: command_help, ..CMDSUB },
        Command { name: "command|info", since: "2.8.13", summary: "Returns information about one, multiple or all commands.",
            complexity: "O(N) where N is the number of commands to look up", handler: command_info, ..CMDSUB },
        Command { name: "command|list", since: "7.0.0", summary: "Returns a list of command names.",
            complexity: "O(N) where N is the total number of Redis commands", handler: command_list, ..CMDSUB },
    ], ..SV },
];
