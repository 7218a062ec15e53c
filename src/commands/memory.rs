//! The MEMORY family: USAGE, STATS, DOCTOR, MALLOC-STATS, PURGE, HELP
//! (<https://redis.io/commands/memory-usage/> and its siblings).

use super::table::{acl, flag::*, Command, BASE};
use super::{Args, CmdError, CmdResult, Ctx};
use crate::info::{share, MemoryReport, Spread};
use crate::keyspace::Value;
use crate::memory::{alloc_size, sampled, size_class};

/// MEMORY USAGE key [SAMPLES count]: bytes the key takes: its entry, key and value, with nested
/// values estimated from `count` sampled elements (default 5, 0 = all). Does not touch the
/// key's access time.
fn usage(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let mut samples = 5usize;
    let mut i = 3;
    while i < a.len() {
        if a.is(i, "samples") && i + 1 < a.len() {
            let n = a.i64(i + 1)?;
            if n < 0 {
                return Err(CmdError::Syntax);
            }
            samples = if n == 0 { usize::MAX } else { n as usize };
            i += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let key = &a[2];
    match ctx.ks.peek(key) {
        Some(e) => {
            let n =
                crate::keyspace::SlotTable::entry_bytes(key.len()) + value_usage(&e.value, samples);
            ctx.out.int(n as i64);
        }
        None => ctx.out.null(),
    }
    Ok(())
}

/// Heap bytes a value owns beyond the entry that holds it, estimated from up to `samples`
/// elements of a collection (Redis's `objectComputeSize`).
pub fn value_usage(v: &Value, samples: usize) -> usize {
    match v {
        Value::Str(s) => alloc_size(s.heap_size(), 1),
        Value::List(l) => {
            let items = &l.items;
            size_class(std::mem::size_of_val(&**l), 8)
                + size_class(items.capacity() * 16, 8)
                + sampled(
                    items.len(),
                    samples,
                    items.iter().map(|v| size_class(v.len(), 1)),
                )
        }
        Value::Hash(h) => h.mem_usage(samples),
        Value::Set(x) => size_class(std::mem::size_of_val(&**x), 8) + x.mem_usage(samples),
        Value::ZSet(z) => size_class(std::mem::size_of_val(&**z), 8) + z.mem_usage(samples),
        Value::Stream(st) => size_class(std::mem::size_of_val(&**st), 8) + st.mem_usage(samples),
    }
}

/// MEMORY STATS: where the memory goes, as Redis's map of named figures (bytes, ratios and
/// percentages as doubles).
fn stats(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    let m = MemoryReport::new(ctx.srv);
    let dbs = ctx.ks.db_overheads();
    let keys: u64 = dbs.iter().map(|d| d.1).sum();
    let net = m.used.saturating_sub(m.startup);
    let out = &mut *ctx.out;
    out.map_len(27 + dbs.len());
    let int = |out: &mut crate::protocol::Reply, k: &str, v: u64| {
        out.bulk(k.as_bytes());
        out.int(v as i64);
    };
    let dbl = |out: &mut crate::protocol::Reply, k: &str, v: f64| {
        out.bulk(k.as_bytes());
        out.double(v);
    };
    // A ratio and its bytes, signed: Redis replies with its size_t difference as a long long,
    // so a smaller first figure (RSS below used_memory, say) shows as negative, as in INFO.
    let spread = |out: &mut crate::protocol::Reply, ratio: &str, bytes: &str, s: Spread| {
        dbl(out, ratio, s.ratio);
        out.bulk(bytes.as_bytes());
        out.int(s.bytes);
    };
    int(out, "peak.allocated", m.peak);
    int(out, "total.allocated", m.used);
    int(out, "startup.allocated", m.startup);
    int(out, "replication.backlog", m.backlog);
    int(out, "clients.slaves", m.clients_replicas);
    int(out, "clients.normal", m.clients_normal);
    int(out, "cluster.links", 0);
    int(out, "aof.buffer", 0);
    int(out, "lua.caches", 0);
    int(out, "functions.caches", 0);
    for (db, _, main) in &dbs {
        out.bulk(format!("db.{db}").as_bytes());
        out.map_len(2);
        int(out, "overhead.hashtable.main", *main);
        int(out, "overhead.hashtable.expires", 0);
    }
    int(out, "overhead.total", m.overhead());
    int(out, "keys.count", keys);
    int(
        out,
        "keys.bytes-per-key",
        net.checked_div(keys).unwrap_or(0),
    );
    int(out, "dataset.bytes", m.dataset());
    dbl(out, "dataset.percentage", share(m.dataset(), net) * 100.0);
    dbl(out, "peak.percentage", share(m.used, m.peak) * 100.0);
    int(out, "allocator.allocated", m.alloc.allocated);
    int(out, "allocator.active", m.alloc.active);
    int(out, "allocator.resident", m.alloc.resident);
    let (ratio, bytes) = (
        "allocator-fragmentation.ratio",
        "allocator-fragmentation.bytes",
    );
    spread(out, ratio, bytes, m.allocator_frag());
    spread(
        out,
        "allocator-rss.ratio",
        "allocator-rss.bytes",
        m.allocator_rss(),
    );
    spread(
        out,
        "rss-overhead.ratio",
        "rss-overhead.bytes",
        m.rss_overhead(),
    );
    spread(
        out,
        "fragmentation",
        "fragmentation.bytes",
        m.fragmentation(),
    );
    Ok(())
}

/// MEMORY DOCTOR: a short report of memory problems, from the figures MEMORY STATS shows.
fn doctor(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    let text = doctor_report(&MemoryReport::new(ctx.srv), ctx.srv.clients.all().len());
    ctx.out.verbatim(text.as_bytes());
    Ok(())
}

/// The MEMORY DOCTOR text for a report `m` with `clients` connected.
fn doctor_report(m: &MemoryReport, clients: usize) -> String {
    if m.used < 5 * 1024 * 1024 {
        return "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.".into();
    }
    let mut issues = Vec::new();
    if m.peak as f64 / m.used as f64 > 1.5 {
        issues.push(format!(
            " * Peak memory: at some point used memory reached {} bytes, more than 150% of the {} used now. Memory freed since then may stay in the allocator and the RSS.",
            m.peak, m.used
        ));
    }
    let frag = m.rss as f64 / m.used as f64;
    if frag > 1.4 {
        issues.push(format!(
            " * High fragmentation: the RSS is {frag:.2} times used memory. MEMORY PURGE returns dirty pages to the system; a restart (loading from RDB/AOF) packs memory again."
        ));
    }
    if clients > 0 && m.clients_normal / clients as u64 > 200 * 1024 {
        issues.push(format!(
            " * Big client buffers: clients hold {} bytes of query and output buffers, over 200 KB each on average. Look at CLIENT LIST (qbuf, omem) for slow readers or huge pipelines.",
            m.clients_normal
        ));
    }
    if m.clients_replicas > 10 * 1024 * 1024 {
        issues.push(format!(
            " * Big replica buffers: replica links hold {} bytes. A replica may be too slow or the link congested.",
            m.clients_replicas
        ));
    }
    if issues.is_empty() {
        return "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.".into();
    }
    format!(
        "Sam, I detected a few issues in this instance memory implementation:\n\n{}\n",
        issues.join("\n\n")
    )
}

/// MEMORY MALLOC-STATS: jemalloc's statistics report.
fn malloc_stats(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    ctx.out.verbatim(crate::memory::malloc_stats().as_bytes());
    Ok(())
}

/// MEMORY PURGE: returns the allocator's dirty pages to the system.
fn purge(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    crate::memory::purge()
        .map_err(|e| CmdError::Other(format!("ERR Error purging dirty pages: {e}")))?;
    ctx.out.ok();
    Ok(())
}

/// MEMORY HELP.
fn help(ctx: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    super::server::help(
        ctx,
        "MEMORY",
        &[
            "DOCTOR",
            "    Return memory problems reports.",
            "MALLOC-STATS",
            "    Return internal statistics report from the memory allocator.",
            "PURGE",
            "    Attempt to purge dirty pages for reclamation by the allocator.",
            "STATS",
            "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
        ],
    );
    Ok(())
}

const SUB: Command = Command {
    arity: 2,
    group: "server",
    acl: acl::SLOW,
    since: "4.0.0",
    ..BASE
};

#[rustfmt::skip]
pub static COMMANDS: &[Command] = &[
    Command { name: "memory", arity: -2, group: "server", since: "4.0.0", acl: acl::SLOW,
        summary: "A container for memory diagnostics commands.", complexity: "Depends on subcommand.", subcommands: &[
        Command { name: "memory|doctor", summary: "Outputs a memory problems report.", complexity: "O(1)", handler: doctor, ..SUB },
        Command { name: "memory|help", flags: LOADING | STALE, summary: "Returns helpful text about the different subcommands.", complexity: "O(1)", handler: help, ..SUB },
        Command { name: "memory|malloc-stats", summary: "Returns the allocator statistics.", complexity: "Depends on how much memory is allocated, could be slow", handler: malloc_stats, ..SUB },
        Command { name: "memory|purge", summary: "Asks the allocator to release memory.", complexity: "Depends on how much memory is allocated, could be slow", handler: purge, ..SUB },
        Command { name: "memory|stats", summary: "Returns details about memory usage.", complexity: "O(1)", handler: stats, ..SUB },
        Command { name: "memory|usage", arity: -3, flags: READONLY, keys: (2, 2, 1), acl: acl::KEYSPACE | acl::SLOW,
            summary: "Estimates the memory usage of a key.", complexity: "O(N) where N is the number of samples.", handler: usage, ..SUB },
    ], ..BASE },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doctor_speaks_of_what_it_sees() {
        let mut m = MemoryReport {
            used: 1024,
            peak: 1024,
            startup: 0,
            rss: 4096,
            alloc: Default::default(),
            backlog: 0,
            clients_replicas: 0,
            clients_normal: 0,
        };
        assert!(doctor_report(&m, 1).contains("empty"));
        m.used = 100 << 20;
        m.peak = 100 << 20;
        m.rss = 110 << 20;
        assert!(doctor_report(&m, 1).contains("can't find any memory issue"));
        m.rss = 200 << 20;
        m.peak = 300 << 20;
        let r = doctor_report(&m, 1);
        assert!(
            r.contains("High fragmentation") && r.contains("Peak memory"),
            "{r}"
        );
    }
}
