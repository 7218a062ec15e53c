//! The active expiry cycle: reclaims expired keys that nobody reads.
//!
//! Every tick (`hz` times a second) each shard is locked in turn and, per database, slot tables
//! that hold volatile keys are swept from a resumable cursor until `budget` entries were examined.
//! Tables without volatile keys are skipped by their counter, so the cost follows the slots that
//! hold expiring keys. With the default budget, 16 shards and hz 10, up to 640k entries a second
//! are examined, so expired keys are reclaimed within about a second unless more than that expire
//! at once. Like Redis's cycle, the work per lock hold is bounded; unlike it, sampling is replaced
//! by a sweep (slot-granular, so tables can grow between ticks without losing our place).

use super::signal::Change;
use super::{Keyspace, ShardData};
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

/// Keys that expired (lazily on access or in the active cycle), queued for the `expired`
/// keyspace notification while `on` (notify-keyspace-events has `x` and `K` or `E`). The server
/// drains it after each command and every cron tick; the keyspace itself knows nothing of
/// pub/sub. When off, recording costs one relaxed load.
#[derive(Default)]
pub struct ExpiredQueue {
    on: AtomicBool,
    keys: Mutex<Vec<(usize, Box<[u8]>)>>,
}

/// Queued keys beyond this are dropped (and their events lost) rather than held without bound.
const EXPIRED_QUEUE_MAX: usize = 1 << 20;

impl ExpiredQueue {
    /// Records that `key` of database `db` expired.
    #[inline]
    pub fn push(&self, db: usize, key: &[u8]) {
        if self.on.load(Relaxed) {
            let mut q = self.keys.lock();
            if q.len() < EXPIRED_QUEUE_MAX {
                q.push((db, key.into()));
            }
        }
    }

    /// Starts or stops recording; stopping forgets what was queued.
    pub fn set_on(&self, on: bool) {
        self.on.store(on, Relaxed);
        if !on {
            self.keys.lock().clear();
        }
    }

    /// Takes the queued keys, oldest first.
    pub fn drain(&self) -> Vec<(usize, Box<[u8]>)> {
        if !self.on.load(Relaxed) {
            return Vec::new();
        }
        std::mem::take(&mut *self.keys.lock())
    }
}

/// What one cycle did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CycleStats {
    pub examined: u64,
    pub expired: u64,
}

/// Entries examined per shard per database per tick.
pub const DEFAULT_BUDGET: usize = 4096;

impl Keyspace {
    /// Runs one active expiry tick at time `now` (unix ms) over every shard and database.
    pub fn active_expire_cycle(&self, now: u64, budget: usize) -> CycleStats {
        let mut total = CycleStats::default();
        if self.expiry_held.load(std::sync::atomic::Ordering::Relaxed) {
            // A replica: the primary deletes expired keys (its DELs arrive in the stream).
            return total;
        }
        for shard in self.shards() {
            let mut g = shard.data.lock();
            if self.snapshot.active() {
                // A key live when the snapshot began belongs in it: reclaiming waits until
                // the snapshot is done (lazy expiry still hides expired keys from commands).
                // Snapshots begin under every shard lock, so this check under one is exact.
                break;
            }
            let st = expire_shard(&mut g, self, now, budget);
            total.examined += st.examined;
            total.expired += st.expired;
        }
        total
    }
}

fn expire_shard(g: &mut ShardData, ks: &Keyspace, now: u64, budget: usize) -> CycleStats {
    let (signals, q, feed) = (&ks.signals, &ks.expired, &ks.feed);
    let mut st = CycleStats::default();
    let ShardData { dbs, stats, .. } = g;
    for (db, sdb) in dbs.iter_mut().enumerate() {
        let Some(sdb) = sdb else { continue };
        if sdb.volatile == 0 {
            continue;
        }
        let n = sdb.tables.len();
        let mut examined = 0usize;
        let mut visited = 0usize;
        let (mut ttl_sum, mut ttl_n) = (0u64, 0u64);
        while examined < budget && visited < n && sdb.volatile > 0 {
            let i = sdb.expire_cursor;
            sdb.expire_cursor = (i + 1) % n;
            visited += 1;
            let table = &mut sdb.tables[i];
            if table.volatile == 0 {
                continue;
            }
            let before = table.map.len();
            let mut gone_volatile = 0u32;
            examined += before;
            table.map.retain(|k, e| {
                if e.expire_at == 0 {
                    return true;
                }
                if e.expire_at <= now {
                    q.push(db, k);
                    if feed.is_on() {
                        feed.append(db, &[b"DEL", k]);
                    }
                    gone_volatile += 1;
                    signals.modified(db, k, Change::Deleted);
                    return false;
                }
                ttl_sum += e.expire_at - now;
                ttl_n += 1;
                true
            });
            table.volatile -= gone_volatile;
            let gone = (before - table.map.len()) as u64;
            sdb.volatile -= gone as usize;
            sdb.keys -= gone as usize;
            stats.expired_keys += gone;
            st.expired += gone;
        }
        st.examined += examined as u64;
        if let Some(sample) = ttl_sum.checked_div(ttl_n) {
            // Same smoothing as Redis's avg_ttl estimate: new = (old + sample) / 2.
            sdb.avg_ttl = if sdb.avg_ttl == 0 {
                sample
            } else {
                (sdb.avg_ttl + sample) / 2
            };
        }
        if sdb.volatile == 0 {
            sdb.avg_ttl = 0;
        }
    }
    st
}

#[cfg(test)]
mod tests {
    use crate::keyspace::{Keyspace, Locked, Str, Value};

    #[test]
    fn cycle_reclaims_unread_expired_keys_within_budget_ticks() {
        let ks = Keyspace::new(1, 4);
        for i in 0..1000u32 {
            let k = format!("k{i}");
            let mut l = ks.lock_keys(std::iter::once(k.as_bytes()), 0, 0);
            l.insert(
                k.as_bytes(),
                Value::Str(Str::from_bytes(b"v")),
                if i % 2 == 0 { 100 } else { 0 },
            );
        }
        let st = ks.active_expire_cycle(50, 100_000);
        assert_eq!(st.expired, 0);
        let mut expired = 0;
        for _ in 0..100 {
            expired += ks.active_expire_cycle(200, 64).expired;
        }
        assert_eq!(expired, 500);
        assert_eq!(Locked::none(&ks, 0, 0).stats().expired_keys, 500);
        assert_eq!(Locked::none(&ks, 0, 0).dbsize(0), 500);
    }
}
