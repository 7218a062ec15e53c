//! An AOF base in command form (`aof-use-rdb-preamble no`): the keyspace as the commands that
//! rebuild it, as Redis's `rewriteAppendOnlyFileRio` writes it (`<prefix>.<n>.base.aof`).
//!
//! Per key: `SET`, or `RPUSH` / `SADD` / `ZADD` / `HSET` with at most 64 elements per command
//! (`AOF_REWRITE_ITEMS_PER_CMD`); a stream as one `XADD` per entry (an empty one as `XADD key
//! MAXLEN 0 0-1 x y`), then `XSETID key <last id> ENTRIESADDED n MAXDELETEDID id`, and
//! per consumer group `XGROUP CREATE ... ENTRIESREAD n`, one `XCLAIM ... 0 id TIME t
//! RETRYCOUNT n JUSTID FORCE` per pending entry, and `XGROUP CREATECONSUMER` for consumers
//! without pending entries; then `PEXPIREAT` when the key has a TTL. Each database starts with
//! `SELECT`. Scores are written as `%.17g`, so they read back exactly.

use crate::commands::zsets::format_score;
use crate::keyspace::feed::encode;
use crate::keyspace::snapshot::SlotEncoder;
use crate::keyspace::stream::{Stream, StreamId};
use crate::keyspace::{Entry, Value};

/// Elements per command for collections (Redis's `AOF_REWRITE_ITEMS_PER_CMD`).
pub const ITEMS_PER_CMD: usize = 64;

/// Encodes snapshot chunks as commands. See the module documentation.
pub struct CommandEncoder;

/// The one [`CommandEncoder`] (snapshots want a `&'static dyn SlotEncoder`).
pub static COMMAND_ENCODER: CommandEncoder = CommandEncoder;

impl SlotEncoder for CommandEncoder {
    fn begin_db(&self, out: &mut Vec<u8>, db: usize) {
        let mut n = itoa::Buffer::new();
        encode(out, &[b"SELECT", n.format(db).as_bytes()]);
    }

    fn entry(&self, out: &mut Vec<u8>, key: &[u8], e: &Entry) {
        match &e.value {
            Value::Str(s) => s.with_bytes(|v| encode(out, &[b"SET", key, v])),
            Value::List(l) => batched(out, b"RPUSH", key, l.items.iter().map(|x| x.to_vec())),
            Value::Set(s) => batched(out, b"SADD", key, s.iter().map(|m| m.to_vec())),
            Value::Hash(h) => batched(
                out,
                b"HSET",
                key,
                h.iter().flat_map(|(f, v)| [f.to_vec(), v.to_vec()]),
            ),
            Value::ZSet(z) => batched(
                out,
                b"ZADD",
                key,
                z.iter()
                    .flat_map(|(s, m)| [format_score(s).into_bytes(), m.to_vec()]),
            ),
            Value::Stream(s) => stream(out, key, s),
        }
        if let Some(at) = e.expire_at() {
            let mut n = itoa::Buffer::new();
            encode(out, &[b"PEXPIREAT", key, n.format(at).as_bytes()]);
        }
    }
}

/// `cmd key item...` with at most [`ITEMS_PER_CMD`] elements per command (a hash field and its
/// value, or a score and its member, count as one element: two items).
fn batched(out: &mut Vec<u8>, cmd: &[u8], key: &[u8], items: impl Iterator<Item = Vec<u8>>) {
    let per = if cmd == b"HSET" || cmd == b"ZADD" {
        ITEMS_PER_CMD * 2
    } else {
        ITEMS_PER_CMD
    };
    let mut batch: Vec<Vec<u8>> = Vec::with_capacity(per);
    let flush = |out: &mut Vec<u8>, batch: &mut Vec<Vec<u8>>| {
        if batch.is_empty() {
            return;
        }
        let mut args: Vec<&[u8]> = Vec::with_capacity(batch.len() + 2);
        args.push(cmd);
        args.push(key);
        args.extend(batch.iter().map(|b| &b[..]));
        encode(out, &args);
        batch.clear();
    };
    for item in items {
        batch.push(item);
        if batch.len() == per {
            flush(out, &mut batch);
        }
    }
    flush(out, &mut batch);
}

fn stream(out: &mut Vec<u8>, key: &[u8], s: &Stream) {
    let id = |x: StreamId| x.to_string().into_bytes();
    if s.is_empty() {
        // Creates the stream with no entry (id 0-1 is valid even when the last id is 0-0);
        // XSETID below sets the real last id.
        encode(out, &[b"XADD", key, b"MAXLEN", b"0", b"0-1", b"x", b"y"]);
    }
    for (eid, fields) in s.range(StreamId::MIN, StreamId::MAX) {
        let eid = id(eid);
        let mut args: Vec<&[u8]> = vec![b"XADD", key, &eid];
        args.extend(fields.iter());
        encode(out, &args);
    }
    let mut n = itoa::Buffer::new();
    let added = n.format(s.entries_added).as_bytes().to_vec();
    encode(
        out,
        &[
            b"XSETID",
            key,
            &id(s.last_id),
            b"ENTRIESADDED",
            &added,
            b"MAXDELETEDID",
            &id(s.max_deleted),
        ],
    );
    for (name, g) in &s.groups {
        let read = n.format(g.entries_read).as_bytes().to_vec();
        encode(
            out,
            &[
                b"XGROUP",
                b"CREATE",
                key,
                name,
                &id(g.last_id),
                b"ENTRIESREAD",
                &read,
            ],
        );
        for (pid, p) in &g.pel {
            let (mut t, mut c) = (itoa::Buffer::new(), itoa::Buffer::new());
            encode(
                out,
                &[
                    b"XCLAIM",
                    key,
                    name,
                    &p.consumer,
                    b"0",
                    &id(*pid),
                    b"TIME",
                    t.format(p.delivery_time).as_bytes(),
                    b"RETRYCOUNT",
                    c.format(p.delivery_count).as_bytes(),
                    b"JUSTID",
                    b"FORCE",
                ],
            );
        }
        for (cname, c) in &g.consumers {
            if c.pel.is_empty() {
                encode(out, &[b"XGROUP", b"CREATECONSUMER", key, name, cname]);
            }
        }
    }
}
