//! The propagation feed: every applied write, as the RESP commands that redo it, in the order
//! the writes were applied. The AOF ([`Feed::take`]) and the replicas (the backlog,
//! [`Feed::read`]) consume it; its offsets are the replication offsets. On a replica only the
//! primary's stream is fed, byte for byte ([`Feed::append_raw`]). The primary's PINGs and
//! `REPLCONF GETACK` go to the AOF as well (Redis keeps them out of it; a replay ignores them).
//!
//! Appends happen while the writer still holds the shard locks of the keys it changed, so two
//! writes to one key are fed in the order they were applied; writes to keys of different shards
//! commute. A `SELECT db` is fed before an entry whose database differs from the previous
//! entry's, as Redis's `feedAppendOnlyFile` / `replicationFeedSlaves` do.
//!
//! Offsets count bytes since the feed was created (or since a replica's full resync,
//! [`Feed::reset`]): [`Feed::append`] returns the offset of the end of what it appended, and the
//! AOF [`Feed::take`]s bytes with the offset they start at.
//! While nobody consumes (`is_on` false), appending is one relaxed load.
//!
//! What is fed for each command (rewrites that make a replay deterministic, as Redis's
//! propagation does) is decided in `commands`: see `Ctx::propagate`.

use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

/// The feed. See the module documentation.
#[derive(Default)]
pub struct Feed {
    on: AtomicBool,
    inner: Mutex<Inner>,
    /// Set by a reader about to wait for more bytes ([`Feed::wait_past`]); the next append
    /// wakes it. One relaxed load per append while nobody waits.
    waiting: AtomicBool,
    more: tokio::sync::Notify,
    /// [`Feed::not_counted_for_evict`], refreshed under the lock after every change.
    not_counted: AtomicU64,
}

#[derive(Default)]
struct Inner {
    /// The offset of the end of everything fed (the replication offset).
    end: u64,
    /// The AOF consumes `buf`.
    aof: bool,
    /// Bytes the AOF has not taken yet; they end at `end`.
    buf: Vec<u8>,
    /// The last bytes fed, for replicas and partial resyncs; `None` until the first replica.
    backlog: Option<Backlog>,
    /// Encoding space when only the backlog consumes.
    scratch: Vec<u8>,
    /// Database of the last entry; `None` makes the next entry start with SELECT.
    db: Option<usize>,
    /// The next [`Feed::mark`] sets `barrier`.
    barrier_wanted: bool,
    /// [`Feed::take`] hands out nothing at or past this offset (until cleared): a consumer
    /// switching files there takes the bytes before it first.
    barrier: Option<u64>,
    /// A replica's feed: only its primary's stream is fed ([`Feed::append_raw`]); the
    /// node's own [`Feed::append`]s are dropped.
    proxy: bool,
}

/// The replication backlog: a window of the feed ending at its end.
struct Backlog {
    ring: std::collections::VecDeque<u8>,
    /// `repl-backlog-size`, bytes: what is kept for partial resyncs.
    size: usize,
    /// Readers' positions (replicas): bytes at or after the lowest one are kept even past
    /// `size`, up to `hard` bytes, so a replica that is still receiving its RDB loses nothing.
    pins: Vec<std::sync::Arc<std::sync::atomic::AtomicU64>>,
    /// The most kept for pinned readers, bytes (`client-output-buffer-limit replica` hard).
    hard: usize,
}

impl Inner {
    fn start_of_buf(&self) -> u64 {
        self.end - self.buf.len() as u64
    }

    /// Bytes held for the AOF and for lagging replicas: see [`Feed::not_counted_for_evict`].
    fn not_counted(&self) -> u64 {
        let aof = if self.aof { self.buf.capacity() } else { 0 };
        // While replicas hold the ring past its size, all of its allocation past the size is
        // theirs (the ring grows by doubling: 21 MB held can take 32 MB).
        let replicas = self.backlog.as_ref().map_or(0, |b| {
            if b.ring.len() > b.size {
                b.ring.capacity() - b.size
            } else {
                0
            }
        });
        (aof + replicas) as u64
    }

    /// Appends one command (after a SELECT when the database changes; `None`: a command of no
    /// database, as PING) to every consumer.
    fn push(&mut self, db: Option<usize>, args: &[&[u8]]) {
        let Inner {
            aof,
            buf,
            scratch,
            backlog,
            db: cur,
            end,
            ..
        } = self;
        let out = if *aof { buf } else { scratch };
        let mark = out.len();
        if let Some(db) = db.filter(|&d| *cur != Some(d)) {
            let mut n = itoa::Buffer::new();
            encode(out, &[b"SELECT", n.format(db).as_bytes()]);
            *cur = Some(db);
        }
        encode(out, args);
        let added = &out[mark..];
        *end += added.len() as u64;
        if let Some(b) = backlog {
            b.ring.extend(added);
            b.trim(*end);
        }
        if !*aof {
            out.clear();
        }
    }
}

impl Backlog {
    fn first(&self, end: u64) -> u64 {
        end - self.ring.len() as u64
    }

    /// Drops bytes past `size`, except those a pinned reader still needs (up to `hard`).
    fn trim(&mut self, end: u64) {
        if self.ring.len() <= self.size {
            return;
        }
        let keep_from = self
            .pins
            .iter()
            .map(|p| p.load(Relaxed))
            .min()
            .unwrap_or(end)
            .max(end.saturating_sub(self.hard as u64));
        let keep = ((end - keep_from.min(end)) as usize).max(self.size);
        let drop = self.ring.len().saturating_sub(keep);
        self.ring.drain(..drop);
        // A replica that lagged grew the ring past the backlog's size: give that memory back
        // once it is no longer needed, or it would stay allocated for good.
        if self.ring.capacity() > 4 * keep {
            self.ring.shrink_to(keep);
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

    fn update_on(&self, g: &Inner) {
        self.on.store(g.aof || g.backlog.is_some(), Relaxed);
        self.count(g);
    }

    /// Refreshes [`Feed::not_counted_for_evict`]; call with the lock held, after a change.
    #[inline]
    fn count(&self, g: &Inner) {
        self.not_counted.store(g.not_counted(), Relaxed);
    }

    /// Bytes of the feed that maxmemory does not count, as Redis's
    /// `freeMemoryGetNotCountedMemory` (INFO `mem_not_counted_for_evict`): the AOF buffer, and
    /// what the backlog holds past `repl-backlog-size` for replicas still reading older bytes
    /// (Redis's replica output buffers). Evicting keys cannot shrink either, so counting them
    /// would let a slow replica or disk empty the dataset. One relaxed load.
    pub fn not_counted_for_evict(&self) -> u64 {
        self.not_counted.load(Relaxed)
    }

    /// Attaches (`true`) or detaches the AOF. Turning it off drops what it had not taken;
    /// either way the next entry starts with SELECT.
    pub fn set_on(&self, on: bool) {
        let mut g = self.inner.lock();
        if !on {
            g.buf = Vec::new();
        }
        g.aof = on;
        g.db = None;
        self.update_on(&g);
    }

    /// Creates the replication backlog (or resizes it): from now on the last `size` bytes fed
    /// are kept, and readers may pin older ones up to `hard` bytes.
    pub fn ensure_backlog(&self, size: usize, hard: usize) {
        let mut g = self.inner.lock();
        match g.backlog.as_mut() {
            Some(b) => {
                b.size = size.max(1);
                b.hard = hard.max(b.size);
            }
            None => {
                g.backlog = Some(Backlog {
                    ring: Default::default(),
                    size: size.max(1),
                    pins: Vec::new(),
                    hard: hard.max(size),
                });
                g.db = None;
            }
        }
        self.update_on(&g);
    }

    /// Frees the backlog (`repl-backlog-ttl` passed with no replica): partial resyncs are no
    /// longer possible.
    pub fn drop_backlog(&self) {
        let mut g = self.inner.lock();
        g.backlog = None;
        self.update_on(&g);
    }

    /// Whether the backlog exists.
    pub fn has_backlog(&self) -> bool {
        self.inner.lock().backlog.is_some()
    }

    /// Keeps the bytes from `offset` on (a reader's position, moved by the reader as it
    /// reads); the pin goes away with [`Feed::unpin`].
    pub fn pin(&self, offset: u64) -> std::sync::Arc<std::sync::atomic::AtomicU64> {
        let p = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(offset));
        if let Some(b) = self.inner.lock().backlog.as_mut() {
            b.pins.push(p.clone());
        }
        p
    }

    /// Removes a pin made by [`Feed::pin`].
    pub fn unpin(&self, pin: &std::sync::Arc<std::sync::atomic::AtomicU64>) {
        let mut g = self.inner.lock();
        let end = g.end;
        if let Some(b) = g.backlog.as_mut() {
            b.pins.retain(|p| !std::sync::Arc::ptr_eq(p, pin));
            // What was kept only for this reader goes now, not at the next write.
            b.trim(end);
        }
        self.count(&g);
    }

    /// Copies at most `max` bytes from offset `from` on into `out` (appended); returns how
    /// many, or `None` when `from` is no longer in the backlog (or there is none).
    pub fn read(&self, from: u64, out: &mut Vec<u8>, max: usize) -> Option<usize> {
        let g = self.inner.lock();
        let b = g.backlog.as_ref()?;
        let first = b.first(g.end);
        if from < first || from > g.end {
            return None;
        }
        let skip = (from - first) as usize;
        let n = (b.ring.len() - skip).min(max);
        out.extend(b.ring.range(skip..skip + n));
        Some(n)
    }

    /// Whether offset `from` can be read from the backlog (a partial resync from it).
    pub fn has(&self, from: u64) -> bool {
        let g = self.inner.lock();
        g.backlog
            .as_ref()
            .is_some_and(|b| from >= b.first(g.end) && from <= g.end)
    }

    /// Waits until the feed's end is past `offset`.
    pub async fn wait_past(&self, offset: u64) {
        loop {
            let n = self.more.notified();
            tokio::pin!(n);
            n.as_mut().enable();
            self.waiting.store(true, Relaxed);
            if self.end() > offset {
                return;
            }
            n.await;
        }
    }

    /// INFO replication's backlog figures: (first byte offset, bytes held, size, active).
    /// As Redis, offsets of bytes count from 1.
    pub fn backlog_info(&self) -> (u64, u64, u64, bool) {
        let g = self.inner.lock();
        match g.backlog.as_ref() {
            Some(b) => (b.first(g.end) + 1, b.ring.len() as u64, b.size as u64, true),
            None => (0, 0, 1024 * 1024, false),
        }
    }

    /// Feeds one command run in database `db`; returns the offset of its end. Call it while
    /// holding the shard locks of the keys the command changed. On a replica ([`Feed::set_proxy`])
    /// it feeds nothing and returns the end.
    pub fn append(&self, db: usize, args: &[&[u8]]) -> u64 {
        let end = {
            let mut g = self.inner.lock();
            if g.proxy {
                return g.end;
            }
            g.push(Some(db), args);
            self.count(&g);
            g.end
        };
        if self.waiting.load(Relaxed) && self.waiting.swap(false, Relaxed) {
            self.more.notify_waiters();
        }
        end
    }

    /// Feeds a command of no database (the primary's PING to its replicas, REPLCONF GETACK).
    pub fn append_global(&self, args: &[&[u8]]) -> u64 {
        let end = {
            let mut g = self.inner.lock();
            if g.proxy {
                return g.end;
            }
            g.push(None, args);
            self.count(&g);
            g.end
        };
        if self.waiting.load(Relaxed) && self.waiting.swap(false, Relaxed) {
            self.more.notify_waiters();
        }
        end
    }

    /// Makes this the feed of a replica (`true`): from now on only [`Feed::append_raw`] feeds
    /// (the primary's stream, byte for byte, so offsets stay the primary's, as Redis's
    /// `replicationFeedStreamFromMasterStream`), and [`Feed::append`] feeds nothing. Turning it
    /// off (a promotion) makes the next entry start with SELECT.
    pub fn set_proxy(&self, on: bool) {
        let mut g = self.inner.lock();
        g.proxy = on;
        g.db = None;
    }

    /// Whether this is a replica's feed ([`Feed::set_proxy`]).
    pub fn is_proxy(&self) -> bool {
        self.inner.lock().proxy
    }

    /// Feeds `bytes` as they are (a replica applying its primary's stream: whole commands);
    /// `db` is the database the stream has selected after them. Returns the new end offset.
    pub fn append_raw(&self, bytes: &[u8], db: usize) -> u64 {
        let end = {
            let mut g = self.inner.lock();
            let Inner {
                aof,
                buf,
                backlog,
                end,
                db: cur,
                ..
            } = &mut *g;
            if *aof {
                buf.extend_from_slice(bytes);
            }
            *end += bytes.len() as u64;
            if let Some(b) = backlog {
                b.ring.extend(bytes);
                b.trim(*end);
            }
            *cur = Some(db);
            let end = *end;
            self.count(&g);
            end
        };
        if self.waiting.load(Relaxed) && self.waiting.swap(false, Relaxed) {
            self.more.notify_waiters();
        }
        end
    }

    /// Moves the end to `offset` and empties the backlog (a replica's full resync: the stream
    /// continues from the primary's offset, and what the backlog held is of another history).
    /// Bytes the AOF had not taken yet are of the old history too and are dropped: the caller
    /// rebases the AOF (`Aof::rebase`) and rewrites it from the new data.
    pub fn reset(&self, offset: u64) {
        let mut g = self.inner.lock();
        g.end = offset;
        g.buf.clear();
        g.db = None;
        if let Some(b) = g.backlog.as_mut() {
            b.ring.clear();
        }
        self.count(&g);
    }

    /// The offset of the end of what was fed so far.
    pub fn end(&self) -> u64 {
        self.inner.lock().end
    }

    /// The end offset, and makes the next entry start with SELECT: for a consumer that starts
    /// at this point (BGREWRITEAOF's incremental file, a replica's full sync). Call it under
    /// every shard lock to fix a snapshot's instant.
    pub fn mark(&self) -> u64 {
        let mut g = self.inner.lock();
        g.db = None;
        let end = g.end;
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
        let start = g.start_of_buf();
        let upto = upto.min(g.barrier.unwrap_or(u64::MAX));
        let n = (upto.saturating_sub(start) as usize).min(g.buf.len());
        if n == g.buf.len() {
            std::mem::swap(out, &mut g.buf);
        } else {
            out.extend_from_slice(&g.buf[..n]);
            g.buf.drain(..n);
        }
        self.count(&g);
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

    #[test]
    fn the_backlog_keeps_its_size_or_what_a_pinned_reader_still_needs() {
        let f = Feed::default();
        f.ensure_backlog(100, 1000);
        assert!(f.is_on());
        let mut out = Vec::new();
        for i in 0..50 {
            f.append(0, &[b"SET", b"k", format!("{i:04}").as_bytes()]);
        }
        let end = f.end();
        assert!(end > 1000);
        let (first, held, size, active) = f.backlog_info();
        assert!(active);
        assert_eq!((held, size), (100, 100));
        assert_eq!(first, end - 100 + 1);
        assert_eq!(f.read(end - 100, &mut out, 1 << 20), Some(100));
        assert_eq!(f.read(end - 101, &mut out, 1 << 20), None, "dropped");
        assert!(f.has(end) && !f.has(end - 101));
        // A pinned reader keeps its bytes past the size, up to the hard limit.
        let pin = f.pin(end);
        for _ in 0..10 {
            f.append(0, &[b"INCR", b"n"]);
        }
        out.clear();
        assert!(f.read(end, &mut out, 1 << 20).unwrap() > 100);
        assert!(out.starts_with(b"*2\r\n$4\r\nINCR"));
        for _ in 0..100 {
            f.append(0, &[b"INCR", b"n"]);
        }
        assert_eq!(f.read(end, &mut out, 1 << 20), None, "past the hard limit");
        f.unpin(&pin);
        assert!(!f.has(end));
    }

    #[test]
    fn what_a_pinned_reader_holds_past_the_backlog_is_not_counted_and_is_freed_after() {
        let f = Feed::default();
        f.ensure_backlog(1000, 1 << 20);
        let value = [b'v'; 100];
        f.append(0, &[b"SET", b"k", &value]);
        assert_eq!(f.not_counted_for_evict(), 0, "the backlog itself counts");
        let pin = f.pin(f.end());
        for _ in 0..1000 {
            f.append(0, &[b"SET", b"k", &value]);
        }
        let held = f.not_counted_for_evict();
        assert!(
            held >= 100_000,
            "{held} bytes past the backlog for the reader"
        );
        f.unpin(&pin);
        assert_eq!(f.not_counted_for_evict(), 0);
        // The ring gave back what the reader made it grow to.
        let g = f.inner.lock();
        let cap = g.backlog.as_ref().unwrap().ring.capacity();
        assert!(
            cap <= 4 * 1000 + 64,
            "ring capacity {cap} after the reader left"
        );
        drop(g);
        // The AOF's pending bytes are not counted either, until it takes them.
        f.set_on(true);
        f.append(0, &[b"SET", b"k", &value]);
        assert!(f.not_counted_for_evict() > 100);
        let mut out = Vec::new();
        f.take(&mut out, u64::MAX);
        assert_eq!(f.not_counted_for_evict(), 0);
    }
}
