//! Keyspace-wide operations: DBSIZE, KEYS, SCAN, RANDOMKEY, FLUSHDB/FLUSHALL, SWAPDB and the
//! per-database counts of INFO keyspace.
//!
//! SCAN's cursor is a slot number: one call returns whole slot tables, so a table that grows or
//! shrinks between calls cannot make the iteration miss or repeat keys of other slots, and every
//! key present for the whole iteration is returned exactly once (Redis guarantees at least once).

use super::{key_slot, Entry, Keyspace, Locked, ShardData, ShardDb, SLOTS};
use rand::Rng;

/// Per-database counts for INFO keyspace.
#[derive(Debug, Default, Clone, Copy)]
pub struct DbInfo {
    pub keys: usize,
    pub expires: usize,
    /// Estimated average TTL of volatile keys, ms.
    pub avg_ttl: u64,
}

/// A filter for [`Locked::scan`]: SCAN's MATCH and TYPE.
pub struct ScanFilter<'a> {
    pub pattern: Option<&'a [u8]>,
    pub type_name: Option<&'a [u8]>,
}

impl Locked<'_> {
    /// Keys in database `db`, counting expired keys not yet reclaimed (as Redis's DBSIZE does).
    pub fn dbsize(&mut self, db: usize) -> usize {
        (0..self.ks.shards.len())
            .map(|i| self.with_shard(i, |g| g.dbs[db].as_ref().map_or(0, |d| d.keys)))
            .sum()
    }

    /// INFO keyspace counts of database `db`.
    pub fn db_info(&mut self, db: usize) -> DbInfo {
        let mut info = DbInfo::default();
        let (mut ttl_sum, mut ttl_n) = (0u64, 0u64);
        for i in 0..self.ks.shards.len() {
            self.with_shard(i, |g| {
                if let Some(d) = g.dbs[db].as_ref() {
                    info.keys += d.keys;
                    info.expires += d.volatile;
                    if d.avg_ttl > 0 {
                        ttl_sum += d.avg_ttl;
                        ttl_n += 1;
                    }
                }
            });
        }
        info.avg_ttl = ttl_sum.checked_div(ttl_n).unwrap_or(0);
        info
    }

    /// Calls `f` for every live key of database `db`, one shard lock at a time.
    pub fn for_each_key(&mut self, db: usize, now: u64, mut f: impl FnMut(&[u8], &Entry)) {
        for i in 0..self.ks.shards.len() {
            self.with_shard(i, |g| {
                if let Some(d) = g.dbs[db].as_ref() {
                    for t in d.tables.iter() {
                        for (k, e) in t.map.iter() {
                            if !e.is_expired(now) {
                                f(k, e);
                            }
                        }
                    }
                }
            });
        }
    }

    /// One SCAN step from `cursor` (a slot number) over database `db`: visits whole slots until
    /// at least `count` keys were examined or the keyspace ends, and returns the next cursor
    /// (0 when done) with the matching keys.
    pub fn scan(
        &mut self,
        db: usize,
        cursor: u64,
        count: usize,
        filter: &ScanFilter<'_>,
        now: u64,
        out: &mut Vec<Vec<u8>>,
    ) -> u64 {
        let mut slot = cursor as usize;
        let mut examined = 0usize;
        while slot < SLOTS && examined < count {
            let shard = self.ks.shard_of_slot(slot);
            self.with_shard(shard, |g| {
                let end = g.first_slot + g.nslots;
                while slot < end && examined < count {
                    if let Some(t) = g.table(db, slot) {
                        for (k, e) in t.map.iter() {
                            examined += 1;
                            if e.is_expired(now) {
                                continue;
                            }
                            if let Some(p) = filter.pattern {
                                if !crate::util::glob_match(p, k, false) {
                                    continue;
                                }
                            }
                            if let Some(ty) = filter.type_name {
                                if !ty.eq_ignore_ascii_case(e.value.type_name().as_bytes()) {
                                    continue;
                                }
                            }
                            out.push(k.to_vec());
                        }
                    }
                    slot += 1;
                }
            });
        }
        if slot >= SLOTS {
            0
        } else {
            slot as u64
        }
    }

    /// A random live key of database `db`, or `None` if it is empty.
    pub fn random_key(&mut self, db: usize, now: u64) -> Option<Vec<u8>> {
        let mut rng = rand::thread_rng();
        if self.dbsize(db) == 0 {
            return None;
        }
        // Random slots first; a sparse keyspace falls back to a walk from a random slot.
        for attempt in 0..(SLOTS * 2) {
            let slot = if attempt < 64 {
                rng.gen_range(0..SLOTS)
            } else {
                (attempt - 64) % SLOTS
            };
            let shard = self.ks.shard_of_slot(slot);
            let found = self.with_shard(shard, |g| {
                let t = g.table(db, slot)?;
                let live: Vec<&[u8]> = t
                    .map
                    .iter()
                    .filter(|(_, e)| !e.is_expired(now))
                    .map(|(k, _)| k)
                    .collect();
                if live.is_empty() {
                    return None;
                }
                Some(live[rand::thread_rng().gen_range(0..live.len())].to_vec())
            });
            if found.is_some() {
                return found;
            }
        }
        None
    }

    /// Empties database `db` atomically (all shards locked in order). The old tables are
    /// returned so the caller may free them elsewhere (FLUSHDB ASYNC).
    pub fn flush_db(&mut self, db: usize) -> Vec<Box<ShardDb>> {
        self.writes += 1;
        let (ks, now) = (self.ks, self.now);
        self.with_all(|shards| {
            ks.snapshot.before_keyspace_write(shards);
            shards[0].stats.dirty += 1;
            ks.signals
                .database_changed(db, |k| live(ks, shards, db, k, now));
            shards.iter_mut().filter_map(|g| g.dbs[db].take()).collect()
        })
    }

    /// Empties every database atomically; returns the old tables.
    pub fn flush_all(&mut self) -> Vec<Box<ShardDb>> {
        self.writes += 1;
        let (ks, now) = (self.ks, self.now);
        self.with_all(|shards| {
            ks.snapshot.before_keyspace_write(shards);
            shards[0].stats.dirty += 1;
            for db in 0..ks.databases() {
                ks.signals
                    .database_changed(db, |k| live(ks, shards, db, k, now));
            }
            let mut old = Vec::new();
            for g in shards.iter_mut() {
                for d in g.dbs.iter_mut() {
                    if let Some(x) = d.take() {
                        old.push(x);
                    }
                }
            }
            old
        })
    }

    /// Swaps databases `a` and `b` atomically (SWAPDB).
    pub fn swap_db(&mut self, a: usize, b: usize) {
        self.writes += 1;
        let (ks, now) = (self.ks, self.now);
        self.with_all(|shards| {
            ks.snapshot.before_keyspace_write(shards);
            shards[0].stats.dirty += 1;
            // Watchers of a key that exists on either side see it change; waiters look again.
            for (x, y) in [(a, b), (b, a)] {
                ks.signals.database_changed(x, |k| {
                    live(ks, shards, x, k, now) || live(ks, shards, y, k, now)
                });
            }
            for g in shards.iter_mut() {
                g.dbs.swap(a, b);
            }
        })
    }
}

/// Whether `key` holds a live entry in database `db`, given every shard.
fn live(ks: &Keyspace, shards: &[&mut ShardData], db: usize, key: &[u8], now: u64) -> bool {
    let slot = key_slot(key);
    shards[ks.shard_of_slot(slot)]
        .table(db, slot)
        .and_then(|t| t.map.get(key))
        .is_some_and(|e| !e.is_expired(now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::{Str, Value};

    fn fill(ks: &Keyspace, n: usize) {
        for i in 0..n {
            let k = format!("key:{i}");
            let mut l = ks.lock_keys(std::iter::once(k.as_bytes()), 0, 0);
            l.insert(k.as_bytes(), Value::Str(Str::from_bytes(b"v")), 0);
        }
    }

    #[test]
    fn scan_returns_every_key_once() {
        let ks = Keyspace::new(1, 16);
        fill(&ks, 5000);
        let f = ScanFilter {
            pattern: None,
            type_name: None,
        };
        let mut cursor = 0;
        let mut all = Vec::new();
        for _ in 0..100_000 {
            cursor = Locked::none(&ks, 0, 0).scan(0, cursor, 10, &f, 0, &mut all);
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(cursor, 0);
        all.sort();
        let n = all.len();
        all.dedup();
        assert_eq!((n, all.len()), (5000, 5000));
    }

    #[test]
    fn swap_and_flush() {
        let ks = Keyspace::new(2, 4);
        fill(&ks, 10);
        let mut v = Locked::none(&ks, 0, 0);
        v.swap_db(0, 1);
        assert_eq!((v.dbsize(0), v.dbsize(1)), (0, 10));
        assert!(v.random_key(1, 0).is_some());
        assert_eq!(v.random_key(0, 0), None);
        drop(v);
        // The same through a view that holds every shard (a command inside EXEC).
        let mut all = ks.lock_all_view(0, 0);
        assert_eq!(all.dbsize(1), 10);
        all.flush_all();
        assert_eq!(all.dbsize(1), 0);
    }
}
