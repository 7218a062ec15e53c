//! The propagation feed: every applied write, as the RESP commands that redo it, in the order
//! the writes were applied. The AOF (and replication, later) consume it.
//!
//! Appends happen while the writer still holds the shard locks of the keys it changed, so two
//! writes to one key are fed in the order they were applied; writes to keys of different shards
//! commute. A `SELECT db` is fed before an entry whose database differs from the previous
//! entry's, as Redis's `feedAppendOnlyFile` / `replicationFeedSlaves` do.
//!
//! Offsets count bytes since the feed was created: [`Feed::append`] returns the offset of the
//! end of what it appended, and a consumer [`Feed::take`]s bytes with the offset they start at.
//! While nobody consumes (`is_on` false), appending is one relaxed load.
//!
//! What is fed for each command (rewrites that make a replay deterministic, as Redis's
//! propagation does) is decided in `commands`: see `Ctx::propagate`.

use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

/// The feed. See the module documentation.
#[derive(Default)]
pub struct Feed {
    on: AtomicBool,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Bytes not yet taken.
    buf: Vec<u8>,
    /// Offset of `buf[0]`.
    start: u64,
    /// Database of the last entry; `None` makes the next entry start with SELECT.
    db: Option<usize>,
    /// The next [`Feed::mark`] sets `barrier`.
    barrier_wanted: bool,
    /// [`Feed::take`] hands out nothing at or past this offset (until cleared): a consumer
    /// switching files there takes the bytes before it first.
    barrier: Option<u64>,
}

impl Inner {
    fn end(&self) -> u64 {
        self.start + self.buf.len() as u64
    }

    fn select(&mut self, db: usize) {
        if self.db != Some(db) {
            let mut n = itoa::Buffer::new();
            encode(&mut self.buf, &[b"SELECT", n.format(db).as_bytes()]);
            self.db = Some(db);
        }
    }
}

/// Appends `args` as a RESP array of bulk strings (`*<n>\r\n$<len>\r\n<arg>\r\n...`), the form
/// Redis writes to the AOF and the replication stream.
pub fn encode(out: &mut Vec<u8>, args: &[&[u8]]) {
    let mut n = itoa::Buffer::new();
    out.push(b'*');
    out.extend_from_slice(n.format(args.len()).as_bytes());
    out.extend_from_slice(b"\r\n");
    for a in args {
        out.push(b'$');
        out.extend_from_slice(n.format(a.len()).as_bytes());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

impl Feed {
    /// Whether a consumer is attached (writes must be fed).
    #[inline]
    pub fn is_on(&self) -> bool {
        self.on.load(Relaxed)
    }

    /// Attaches (`true`) or detaches the consumer. Turning it off drops what was not taken;
    /// either way the next entry starts with SELECT.
    pub fn set_on(&self, on: bool) {
        let mut g = self.inner.lock();
        if !on {
            let n = g.buf.len() as u64;
            g.start += n;
            g.buf = Vec::new();
        }
        g.db = None;
        self.on.store(on, Relaxed);
    }

    /// Feeds one command run in database `db`; returns the offset of its end. Call it while
    /// holding the shard locks of the keys the command changed.
    pub fn append(&self, db: usize, args: &[&[u8]]) -> u64 {
        let mut g = self.inner.lock();
        g.select(db);
        encode(&mut g.buf, args);
        g.end()
    }

    /// The offset of the end of what was fed so far.
    pub fn end(&self) -> u64 {
        self.inner.lock().end()
    }

    /// The end offset, and makes the next entry start with SELECT: for a consumer that starts
    /// a new file at this point (BGREWRITEAOF's incremental file). Call it under every shard
    /// lock to fix a snapshot's instant.
    pub fn mark(&self) -> u64 {
        let mut g = self.inner.lock();
        g.db = None;
        let end = g.end();
        if std::mem::take(&mut g.barrier_wanted) {
            g.barrier = Some(end);
        }
        end
    }

    /// Makes the next [`Feed::mark`] a barrier: from then on [`Feed::take`] hands out only the
    /// bytes before the mark, until [`Feed::clear_barrier`]. BGREWRITEAOF uses it so no byte
    /// fed after its instant reaches the old incr file while it switches to a new one.
    pub fn want_barrier(&self) {
        self.inner.lock().barrier_wanted = true;
    }

    /// Lifts the barrier (and a wanted one that was not set).
    pub fn clear_barrier(&self) {
        let mut g = self.inner.lock();
        g.barrier = None;
        g.barrier_wanted = false;
    }

    /// Moves the bytes fed before offset `upto` (all of them for `u64::MAX`) into `out`
    /// (cleared first); returns the offset they start at.
    pub fn take(&self, out: &mut Vec<u8>, upto: u64) -> u64 {
        out.clear();
        let mut g = self.inner.lock();
        let start = g.start;
        let upto = upto.min(g.barrier.unwrap_or(u64::MAX));
        let n = (upto.saturating_sub(start) as usize).min(g.buf.len());
        if n == g.buf.len() {
            std::mem::swap(out, &mut g.buf);
        } else {
            out.extend_from_slice(&g.buf[..n]);
            g.buf.drain(..n);
        }
        g.start += n as u64;
        start
    }

    /// Bytes fed and not yet taken.
    pub fn pending(&self) -> usize {
        self.inner.lock().buf.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_resp_with_select_on_database_change() {
        let f = Feed::default();
        f.set_on(true);
        let a = f.append(0, &[b"SET", b"k", b"v"]);
        let b = f.append(0, &[b"DEL", b"k"]);
        let c = f.append(3, &[b"INCR", b"n"]);
        let mut out = Vec::new();
        assert_eq!(f.take(&mut out, u64::MAX), 0);
        let want = "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n\
                    *2\r\n$3\r\nDEL\r\n$1\r\nk\r\n\
                    *2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n";
        assert_eq!(String::from_utf8(out.clone()).unwrap(), want);
        assert_eq!(c, want.len() as u64);
        assert!(a < b && b < c);
        assert_eq!(f.end(), c);
    }

    #[test]
    fn take_upto_splits_at_the_offset_and_mark_forces_select() {
        let f = Feed::default();
        f.set_on(true);
        f.append(0, &[b"SET", b"a", b"1"]);
        let x = f.mark();
        f.append(0, &[b"SET", b"b", b"2"]);
        let mut out = Vec::new();
        assert_eq!(f.take(&mut out, x), 0);
        assert_eq!(out.len() as u64, x);
        assert_eq!(f.take(&mut out, u64::MAX), x);
        assert!(out.starts_with(b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nb"));
        assert_eq!(f.pending(), 0);
        f.set_on(false);
        assert!(!f.is_on());
    }

    #[test]
    fn a_barrier_holds_back_what_was_fed_after_the_mark() {
        let f = Feed::default();
        f.set_on(true);
        f.append(0, &[b"SET", b"a", b"1"]);
        f.want_barrier();
        let x = f.mark();
        f.append(0, &[b"SET", b"b", b"2"]);
        let mut out = Vec::new();
        f.take(&mut out, u64::MAX);
        assert_eq!(out.len() as u64, x, "only the bytes before the barrier");
        f.take(&mut out, u64::MAX);
        assert!(out.is_empty());
        f.clear_barrier();
        assert_eq!(f.take(&mut out, u64::MAX), x);
        assert!(!out.is_empty());
    }
}
