//! Point-in-time snapshots without fork: slot-granular copy-on-write.
//!
//! A snapshot (BGSAVE, SAVE, a replica's full sync, BGREWRITEAOF) begins under every shard lock:
//! from that instant its content is fixed. A walker then visits the 16384 slots in order and
//! encodes each one (every database's table of that slot) under the slot's shard lock. A command
//! that is about to change a slot the walker has not reached yet encodes that slot first, under
//! the lock it already holds, and hands the bytes to the walker; the slot is then done and later
//! writes to it are free. So every slot is encoded exactly once, as it was when the snapshot
//! began, with no fork and no copy of the dataset: the extra memory is at most the encoded form
//! of the slots written ahead of the walker, which the walker drains between slots.
//!
//! What "about to change" means: [`super::Locked`] calls [`Snapshot::before_write`] in every
//! path that hands out or changes an entry for writing (lookup for write, peek, insert, remove,
//! set_expire) and before FLUSH/SWAPDB. Lazy and active expiry need no copy: a key that expired
//! is left out of the snapshot anyway. While no snapshot runs, the check is one relaxed load.

use super::{Entry, Keyspace, ShardData, SLOTS};
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;

/// How a snapshot encodes what it sees. Implemented by the persistence layer (RDB entries).
pub trait SlotEncoder: Sync {
    /// Starts the entries of database `db` within a slot's chunk (RDB: SELECTDB).
    fn begin_db(&self, out: &mut Vec<u8>, db: usize);
    /// Encodes one live entry (RDB: optional EXPIRETIME_MS, type, key, value).
    fn entry(&self, out: &mut Vec<u8>, key: &[u8], entry: &Entry);
}

/// The running snapshot's shared state.
struct Running {
    /// One bit per slot: encoded already.
    done: Box<[AtomicU64]>,
    /// Chunks encoded by writers ahead of the walker.
    tx: mpsc::Sender<Vec<u8>>,
    encoder: &'static dyn SlotEncoder,
    /// The snapshot's clock (unix ms): entries expired by then are left out.
    now: u64,
}

impl Running {
    fn is_done(&self, slot: usize) -> bool {
        self.done[slot / 64].load(Ordering::Acquire) & (1 << (slot % 64)) != 0
    }

    fn mark_done(&self, slot: usize) {
        self.done[slot / 64].fetch_or(1 << (slot % 64), Ordering::Release);
    }

    /// Encodes `slot` of every database in `shard` into `out`.
    /// Returns the number of entries encoded.
    fn encode_slot(&self, shard: &ShardData, slot: usize, out: &mut Vec<u8>) -> u64 {
        let mut n = 0;
        for (db, sdb) in shard.dbs.iter().enumerate() {
            let Some(sdb) = sdb else { continue };
            let table = &sdb.tables[slot - shard.first_slot];
            let mut started = false;
            for (k, e) in table.map.iter() {
                if e.is_expired(self.now) {
                    continue;
                }
                if !started {
                    self.encoder.begin_db(out, db);
                    started = true;
                }
                self.encoder.entry(out, k, e);
                n += 1;
            }
        }
        n
    }
}

/// The keyspace's snapshot control: at most one snapshot runs at a time.
#[derive(Default)]
pub struct Snapshot {
    active: AtomicBool,
    running: Mutex<Option<std::sync::Arc<Running>>>,
    /// Bytes that writers encoded ahead of the walker in the last finished snapshot: what
    /// copy-on-write cost it (INFO `rdb_last_cow_size` / `aof_last_cow_size`).
    pub last_copied_ahead: AtomicU64,
    /// `rdb-key-save-delay`: microseconds the walker sleeps per entry it wrote (after
    /// releasing the slot's lock), as Redis's debugging knob of that name; 0 = none. Tests use
    /// it to keep a snapshot running while they write.
    pub key_delay_us: AtomicU64,
}

impl Snapshot {
    /// Whether a snapshot is running (one relaxed load).
    #[inline]
    pub fn active(&self) -> bool {
        self.active.load(Ordering::Relaxed)
    }

    /// Called with `shard` locked before a write to `slot`: encodes the slot for the running
    /// snapshot if the walker has not reached it yet.
    #[inline]
    pub fn before_write(&self, shard: &ShardData, slot: usize) {
        if self.active() {
            self.copy_slot(shard, slot);
        }
    }

    /// Called with every shard locked before FLUSHDB/FLUSHALL/SWAPDB: encodes every slot the
    /// walker has not reached yet.
    pub fn before_keyspace_write(&self, shards: &[&mut ShardData]) {
        if !self.active() {
            return;
        }
        for shard in shards {
            for slot in shard.first_slot..shard.first_slot + shard.nslots {
                self.copy_slot(shard, slot);
            }
        }
    }

    #[cold]
    fn copy_slot(&self, shard: &ShardData, slot: usize) {
        let Some(r) = self.running.lock().clone() else {
            return;
        };
        if r.is_done(slot) {
            return;
        }
        let mut out = Vec::new();
        r.encode_slot(shard, slot, &mut out);
        r.mark_done(slot);
        if !out.is_empty() {
            // The walker holds the receiver until every slot is done, so this cannot fail
            // while the slot was not done.
            let _ = r.tx.send(out);
        }
    }
}

/// Errors of [`Keyspace::snapshot`].
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("a snapshot is already in progress")]
    Busy,
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// A snapshot whose instant is fixed ([`Keyspace::begin_snapshot`]) and whose walk has not run
/// yet. Either [`SnapshotRun::run`] or [`SnapshotRun::abort`] it (with the same keyspace):
/// until then writers keep copying slots for it. It owns no borrow, so a background thread can
/// take it.
pub struct SnapshotRun {
    running: std::sync::Arc<Running>,
    rx: mpsc::Receiver<Vec<u8>>,
    /// The keyspace's write counter at the snapshot's instant (sum of the shards' `dirty`).
    pub dirty: u64,
    /// The propagation feed's offset at the snapshot's instant ([`super::feed::Feed::mark`]):
    /// the snapshot holds exactly the writes fed before it.
    pub feed_offset: u64,
}

impl Keyspace {
    /// Fixes a snapshot's instant at `now` (unix ms): takes every shard lock for a moment, so
    /// the snapshot holds exactly the writes acknowledged before this call returns. Must not be
    /// called while holding a shard lock. [`SnapshotError::Busy`] while another one runs.
    pub fn begin_snapshot(
        &self,
        encoder: &'static dyn SlotEncoder,
        now: u64,
    ) -> Result<SnapshotRun, SnapshotError> {
        let (tx, rx) = mpsc::channel();
        let running = std::sync::Arc::new(Running {
            done: (0..SLOTS / 64).map(|_| AtomicU64::new(0)).collect(),
            tx,
            encoder,
            now,
        });
        let all = self.lock_all();
        let dirty = all.iter().map(|g| g.stats.dirty).sum();
        let mut slot = self.snapshot.running.lock();
        if slot.is_some() {
            return Err(SnapshotError::Busy);
        }
        *slot = Some(running.clone());
        self.snapshot.active.store(true, Ordering::Relaxed);
        let feed_offset = self.feed.mark();
        Ok(SnapshotRun {
            running,
            rx,
            dirty,
            feed_offset,
        })
    }

    /// [`Keyspace::begin_snapshot`] then [`SnapshotRun::run`], on the calling thread.
    pub fn snapshot(
        &self,
        encoder: &'static dyn SlotEncoder,
        now: u64,
        sink: impl FnMut(&[u8]) -> std::io::Result<()>,
    ) -> Result<u64, SnapshotError> {
        self.begin_snapshot(encoder, now)?.run(self, sink)
    }
}

impl SnapshotRun {
    /// Walks the slots of `ks` (the keyspace that began it), handing encoded chunks to `sink`
    /// in an unspecified slot order (each chunk starts with `begin_db`). Commands on other
    /// threads go on meanwhile. Returns the number of chunk bytes. Ends the snapshot, also on
    /// error.
    pub fn run(
        self,
        ks: &Keyspace,
        mut sink: impl FnMut(&[u8]) -> std::io::Result<()>,
    ) -> Result<u64, SnapshotError> {
        let mut ahead = 0u64;
        let walked = self.walk(ks, &mut sink, &mut ahead);
        // Every slot is done (or the walk failed): no writer copies any more.
        self.end(ks);
        let mut bytes = walked?;
        for chunk in self.rx.try_iter() {
            sink(&chunk)?;
            bytes += chunk.len() as u64;
            ahead += chunk.len() as u64;
        }
        ks.snapshot
            .last_copied_ahead
            .store(ahead, Ordering::Relaxed);
        Ok(bytes)
    }

    /// Ends the snapshot without walking it.
    pub fn abort(self, ks: &Keyspace) {
        self.end(ks);
    }

    /// Ends this snapshot (a later snapshot's state is left alone).
    fn end(&self, ks: &Keyspace) {
        let mut slot = ks.snapshot.running.lock();
        if slot
            .as_ref()
            .is_some_and(|r| std::sync::Arc::ptr_eq(r, &self.running))
        {
            ks.snapshot.active.store(false, Ordering::Relaxed);
            *slot = None;
        }
    }

    fn walk(
        &self,
        ks: &Keyspace,
        sink: &mut impl FnMut(&[u8]) -> std::io::Result<()>,
        ahead: &mut u64,
    ) -> Result<u64, SnapshotError> {
        let (running, rx) = (&self.running, &self.rx);
        let mut bytes = 0u64;
        let mut out = Vec::with_capacity(64 * 1024);
        for slot in 0..SLOTS {
            for chunk in rx.try_iter() {
                sink(&chunk)?;
                bytes += chunk.len() as u64;
                *ahead += chunk.len() as u64;
            }
            if running.is_done(slot) {
                continue;
            }
            out.clear();
            let encoded = {
                let g = ks.shards()[ks.shard_of_slot(slot)].data.lock();
                if running.is_done(slot) {
                    continue;
                }
                let n = running.encode_slot(&g, slot, &mut out);
                running.mark_done(slot);
                n
            };
            let delay = ks.snapshot.key_delay_us.load(Ordering::Relaxed);
            if delay > 0 && encoded > 0 {
                std::thread::sleep(std::time::Duration::from_micros(delay * encoded));
            }
            if !out.is_empty() {
                sink(&out)?;
                bytes += out.len() as u64;
            }
        }
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::{Str, Value};

    /// Encodes `db:key=value;` for tests.
    struct Plain;
    impl SlotEncoder for Plain {
        fn begin_db(&self, out: &mut Vec<u8>, db: usize) {
            out.extend_from_slice(format!("#{db};").as_bytes());
        }
        fn entry(&self, out: &mut Vec<u8>, key: &[u8], entry: &Entry) {
            out.extend_from_slice(key);
            out.push(b'=');
            if let Value::Str(s) = &entry.value {
                s.with_bytes(|b| out.extend_from_slice(b));
            }
            out.push(b';');
        }
    }

    fn set(ks: &Keyspace, key: &str, v: &str) {
        let mut l = ks.lock_keys(std::iter::once(key.as_bytes()), 0, 0);
        l.insert(key.as_bytes(), Value::Str(Str::from_bytes(v.as_bytes())), 0);
    }

    #[test]
    fn writes_during_a_snapshot_do_not_change_it() {
        let ks = Keyspace::new(1, 16);
        for i in 0..2000 {
            set(&ks, &format!("k{i}"), "old");
        }
        let mut seen = Vec::new();
        let mut writes = 0;
        ks.snapshot(&Plain, 0, |chunk| {
            // Every chunk the walker writes gives other "clients" a turn: overwrite keys
            // (some ahead of the walker, some behind), add and delete some.
            if writes < 2000 {
                for j in 0..4 {
                    let i = (writes * 7 + j * 501) % 2000;
                    set(&ks, &format!("k{i}"), "new");
                    set(&ks, &format!("added{writes}-{j}"), "new");
                    let k = format!("k{}", (i + 13) % 2000);
                    ks.lock_keys(std::iter::once(k.as_bytes()), 0, 0)
                        .remove(k.as_bytes());
                }
                writes += 1;
            }
            seen.extend_from_slice(chunk);
            Ok(())
        })
        .unwrap();
        let text = String::from_utf8(seen).unwrap();
        let mut keys: Vec<&str> = text
            .split(';')
            .filter(|p| !p.is_empty() && !p.starts_with('#'))
            .collect();
        assert!(writes > 100, "the test wrote during the snapshot");
        assert!(
            keys.iter().all(|kv| kv.ends_with("=old")),
            "a later write leaked in"
        );
        keys.sort();
        let n = keys.len();
        keys.dedup();
        assert_eq!((n, keys.len()), (2000, 2000), "every key exactly once");
        assert!(!ks.snapshot.active());
        // A second snapshot sees the new state.
        let mut again = Vec::new();
        ks.snapshot(&Plain, 0, |c| {
            again.extend_from_slice(c);
            Ok(())
        })
        .unwrap();
        assert!(String::from_utf8(again).unwrap().contains("=new;"));
    }
}
