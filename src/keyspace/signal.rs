//! Key signals: what a write to a key tells other clients.
//!
//! Two kinds of client listen to keys (Redis's `signalModifiedKey` and `signalKeyAsReady`):
//! - WATCH: a transaction's watched keys. Any write to one of them, its expiry, or a FLUSH that
//!   removes it marks the watcher dirty, and its EXEC then replies the null array.
//! - Blocked clients (BLPOP, BLMOVE, BZPOPMIN, XREAD BLOCK, ...): waiters queued per key in the
//!   order they blocked. A write that may have made data available wakes the first waiter of the
//!   key; the woken client runs its command again. When it is served it leaves every queue and
//!   wakes the next first waiter of its keys, so one push of N elements serves N waiters in FIFO
//!   order, and a waiter that finds nothing stays first in line. Nothing polls.
//!
//! Every write path of [`super::Locked`] calls [`Signals::modified`] while it still holds the
//! key's shard lock. That call costs one relaxed atomic load while nobody watches or blocks; only
//! then does it take the registry lock, a leaf lock (nothing else is locked while it is held).
//! Waiters register from inside their command, under the same shard lock, so a write that lands
//! after a client decided to block always finds it registered: no wake-up is lost.

use hashbrown::HashMap;
use parking_lot::Mutex;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use tokio::sync::Notify;

/// A watching transaction: set dirty by a write to any key it watches (WATCH).
#[derive(Debug, Default)]
pub struct WatchState {
    pub dirty: AtomicBool,
}

/// How a client waits while blocked; one per client, for its whole life.
#[derive(Debug, Default)]
pub struct Waiter {
    /// Woken by a write to a key the client waits on, or by CLIENT UNBLOCK.
    pub wake: Notify,
    /// Set by CLIENT UNBLOCK: [`UNBLOCK_TIMEOUT`] or [`UNBLOCK_ERROR`]; 0 otherwise.
    pub unblock: AtomicU8,
}

/// CLIENT UNBLOCK id TIMEOUT: the client is answered as if its timeout had passed.
pub const UNBLOCK_TIMEOUT: u8 = 1;
/// CLIENT UNBLOCK id ERROR: the client gets `-UNBLOCKED ...`.
pub const UNBLOCK_ERROR: u8 = 2;

/// What happened to a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Written, created or grown: watchers are dirty, the first waiter is woken.
    Written,
    /// Deleted or expired: watchers are dirty, and the first waiter is woken to look again, as
    /// Redis 7.0's `signalDeletedKeyAsReady` does (a blocked XREADGROUP then ends with
    /// `UNBLOCKED the stream key no longer exists`; other waiters find nothing and keep waiting).
    Deleted,
    /// Only its TTL changed: watchers are dirty; nothing to serve waiters.
    Removed,
}

/// A borrowed `(db, key)` that finds an owned one in the registry without allocating; it
/// hashes as the tuple does.
struct KeyRef<'a>(usize, &'a [u8]);

impl std::hash::Hash for KeyRef<'_> {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.0.hash(h);
        self.1.hash(h);
    }
}

impl hashbrown::Equivalent<(usize, Box<[u8]>)> for KeyRef<'_> {
    fn equivalent(&self, k: &(usize, Box<[u8]>)) -> bool {
        self.0 == k.0 && self.1 == &*k.1
    }
}

#[derive(Default)]
struct Listeners {
    watchers: Vec<Arc<WatchState>>,
    waiters: VecDeque<Arc<Waiter>>,
}

/// Listeners by (database, key).
type Registry = HashMap<(usize, Box<[u8]>), Listeners>;

/// The registry of watched keys and blocked clients, by (database, key).
#[derive(Default)]
pub struct Signals {
    /// Watch registrations plus queued waiters; 0 lets writes skip the registry.
    active: AtomicUsize,
    /// Clients blocked now (INFO clients `blocked_clients`); kept by the connections.
    pub blocked_clients: AtomicUsize,
    keys: Mutex<Registry>,
}

impl Signals {
    /// Whether anybody watches or waits on any key (one relaxed load).
    #[inline]
    pub fn active(&self) -> bool {
        self.active.load(Relaxed) != 0
    }

    /// Tells the listeners of `key` in database `db` that it changed.
    #[inline]
    pub fn modified(&self, db: usize, key: &[u8], change: Change) {
        if self.active() {
            self.modified_slow(db, key, change);
        }
    }

    #[cold]
    fn modified_slow(&self, db: usize, key: &[u8], change: Change) {
        let keys = self.keys.lock();
        if let Some(l) = keys.get(&KeyRef(db, key)) {
            for w in &l.watchers {
                w.dirty.store(true, Relaxed);
            }
            if change != Change::Removed {
                if let Some(w) = l.waiters.front() {
                    w.wake.notify_one();
                }
            }
        }
    }

    /// Registers `state` as watching `key` in `db` (WATCH).
    pub fn watch(&self, db: usize, key: &[u8], state: &Arc<WatchState>) {
        let mut keys = self.keys.lock();
        let l = keys.entry((db, Box::from(key))).or_default();
        if !l.watchers.iter().any(|w| Arc::ptr_eq(w, state)) {
            l.watchers.push(state.clone());
            self.active.fetch_add(1, Relaxed);
        }
    }

    /// Removes `state` from the watchers of each `(db, key)` (UNWATCH, EXEC, DISCARD, close).
    pub fn unwatch<'k>(
        &self,
        watched: impl Iterator<Item = (usize, &'k [u8])>,
        state: &Arc<WatchState>,
    ) {
        let mut keys = self.keys.lock();
        for (db, key) in watched {
            let k = (db, Box::from(key));
            let Some(l) = keys.get_mut(&k) else { continue };
            let before = l.watchers.len();
            l.watchers.retain(|w| !Arc::ptr_eq(w, state));
            self.active.fetch_sub(before - l.watchers.len(), Relaxed);
            if l.watchers.is_empty() && l.waiters.is_empty() {
                keys.remove(&k);
            }
        }
    }

    /// Queues `waiter` last on each of `keys` in `db` (a client blocks).
    pub fn block<'k>(&self, db: usize, keys: impl Iterator<Item = &'k [u8]>, waiter: &Arc<Waiter>) {
        let mut reg = self.keys.lock();
        for key in keys {
            let l = reg.entry((db, Box::from(key))).or_default();
            if !l.waiters.iter().any(|w| Arc::ptr_eq(w, waiter)) {
                l.waiters.push_back(waiter.clone());
                self.active.fetch_add(1, Relaxed);
            }
        }
    }

    /// Takes `waiter` off the queues of `keys` in `db` (served, timed out, or disconnected).
    /// With `pass_on`, wakes whoever is first on each key now: a served client may have left
    /// data behind for the next one.
    pub fn unblock<'k>(
        &self,
        db: usize,
        keys: impl Iterator<Item = &'k [u8]>,
        waiter: &Arc<Waiter>,
        pass_on: bool,
    ) {
        let mut reg = self.keys.lock();
        for key in keys {
            let k = (db, Box::from(key));
            let Some(l) = reg.get_mut(&k) else { continue };
            let before = l.waiters.len();
            l.waiters.retain(|w| !Arc::ptr_eq(w, waiter));
            self.active.fetch_sub(before - l.waiters.len(), Relaxed);
            if pass_on {
                if let Some(w) = l.waiters.front() {
                    w.wake.notify_one();
                }
            }
            if l.watchers.is_empty() && l.waiters.is_empty() {
                reg.remove(&k);
            }
        }
    }

    /// Wakes the waiter queued right behind `waiter` on each of `keys` in `db`. For waiters that
    /// want different things from one key (XREAD readers with different ids): one that was woken
    /// but found nothing for itself keeps its place and hands the wake-up on, so a reader further
    /// back that the write did serve is not left waiting. Each hand-off goes one step back, so a
    /// write costs at most one re-run per queued waiter.
    pub fn wake_next<'k>(
        &self,
        db: usize,
        keys: impl Iterator<Item = &'k [u8]>,
        waiter: &Arc<Waiter>,
    ) {
        let reg = self.keys.lock();
        for key in keys {
            let Some(l) = reg.get(&KeyRef(db, key)) else {
                continue;
            };
            if let Some(pos) = l.waiters.iter().position(|w| Arc::ptr_eq(w, waiter)) {
                if let Some(w) = l.waiters.get(pos + 1) {
                    w.wake.notify_one();
                }
            }
        }
    }

    /// A database was emptied or swapped (FLUSHDB, FLUSHALL, SWAPDB): watchers of its keys for
    /// which `affected(key)` holds are dirty (Redis touches only keys that existed), and the
    /// first waiter of every key of the database is woken to look again.
    pub fn database_changed(&self, db: usize, mut affected: impl FnMut(&[u8]) -> bool) {
        if !self.active() {
            return;
        }
        let reg = self.keys.lock();
        for ((d, key), l) in reg.iter() {
            if *d != db {
                continue;
            }
            if !l.watchers.is_empty() && affected(key) {
                for w in &l.watchers {
                    w.dirty.store(true, Relaxed);
                }
            }
            if let Some(w) = l.waiters.front() {
                w.wake.notify_one();
            }
        }
    }

    /// Number of queued waiters on `key` in `db` (tests, DEBUG).
    pub fn waiters(&self, db: usize, key: &[u8]) -> usize {
        self.keys
            .lock()
            .get(&KeyRef(db, key))
            .map_or(0, |l| l.waiters.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_dirty_watchers_and_wake_the_first_waiter_only() {
        let s = Signals::default();
        s.modified(0, b"k", Change::Written); // nobody listens: no effect, no panic
        let w = Arc::new(WatchState::default());
        s.watch(0, b"k", &w);
        s.modified(1, b"k", Change::Written);
        assert!(!w.dirty.load(Relaxed), "other database");
        s.modified(0, b"k", Change::Removed);
        assert!(w.dirty.load(Relaxed));
        s.unwatch([(0usize, &b"k"[..])].into_iter(), &w);
        assert!(!s.active());

        let (a, b) = (Arc::new(Waiter::default()), Arc::new(Waiter::default()));
        s.block(0, [&b"k"[..], b"j"].into_iter(), &a);
        s.block(0, [&b"k"[..]].into_iter(), &b);
        assert_eq!(s.waiters(0, b"k"), 2);
        s.modified(0, b"k", Change::Written);
        // `a` holds a permit now, `b` none.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        rt.block_on(async {
            tokio::time::timeout(std::time::Duration::from_secs(1), a.wake.notified())
                .await
                .expect("first waiter woken");
            assert!(
                tokio::time::timeout(std::time::Duration::from_millis(20), b.wake.notified())
                    .await
                    .is_err()
            );
        });
        s.unblock(0, [&b"k"[..], b"j"].into_iter(), &a, true);
        rt.block_on(async {
            tokio::time::timeout(std::time::Duration::from_secs(1), b.wake.notified())
                .await
                .expect("served waiter passes the key on");
        });
        // A woken waiter that found nothing hands the wake-up to the one behind it.
        let c = Arc::new(Waiter::default());
        s.block(0, [&b"k"[..]].into_iter(), &c);
        s.wake_next(0, [&b"k"[..], b"none"].into_iter(), &b);
        rt.block_on(async {
            tokio::time::timeout(std::time::Duration::from_secs(1), c.wake.notified())
                .await
                .expect("the waiter behind is woken");
        });
        s.unblock(0, [&b"k"[..]].into_iter(), &c, false);
        s.unblock(0, [&b"k"[..]].into_iter(), &b, false);
        assert!(!s.active());
        assert_eq!(s.waiters(0, b"k"), 0);
    }
}
