//! The keyspace: databases of 16384 slot tables, grouped into shards behind one lock each.
//!
//! Layout: a [`Keyspace`] has `shards` (a power of two) [`Shard`]s; shard `i` owns the contiguous
//! slot range `i * SLOTS/shards ..`. Inside a shard each database that holds data has a
//! [`ShardDb`] with one [`SlotTable`] (a hash map) per slot. Databases are created on first write.
//!
//! Locking rule: a command locks the shards of its keys in ascending shard order
//! ([`Keyspace::lock_keys`]) and holds them for that one command; no lock is held across an
//! `.await`. Keyspace-wide commands (FLUSHDB, SWAPDB, KEYS, SCAN, ...) lock shards one at a time,
//! or all of them in order when they must be atomic.
//!
//! Time is an input: every lookup takes `now` (unix ms) so expiry is decided by the caller's clock.

pub mod elem;
pub mod evict;
pub mod expiry;
pub mod feed;
pub mod hash;
pub mod list;
pub mod posmap;
pub mod set;
pub mod signal;
pub mod slot;
pub mod snapshot;
pub mod stream;
pub mod table;
pub mod value;
pub mod walk;
pub mod zset;
mod ztree;

use parking_lot::{Mutex, MutexGuard};
use smallvec::SmallVec;

pub use signal::Change;
pub use slot::{key_slot, SLOTS};
pub use value::{Entry, Str, Value};

/// One slot's keys in one database.
#[derive(Default)]
pub struct SlotTable {
    pub map: table::KeyTable,
    /// Keys in `map` with an expiry.
    pub volatile: u32,
}

impl SlotTable {
    /// Bytes a key of `key_len` bytes takes in a slot table besides its value's own heap
    /// (MEMORY USAGE): its node (entry and key) and its bucket.
    pub fn entry_bytes(key_len: usize) -> usize {
        table::KeyTable::node_bytes(key_len)
    }

    /// Bytes of the table's bucket array (MEMORY STATS `overhead.hashtable.main`).
    pub fn table_bytes(&self) -> usize {
        self.map.allocation_size()
    }
}

/// One database's slot tables inside one shard.
pub struct ShardDb {
    pub tables: Box<[SlotTable]>,
    /// Keys in all tables.
    pub keys: usize,
    /// Keys with an expiry in all tables.
    pub volatile: usize,
    /// Where the active expiry cycle resumes (a table index).
    pub expire_cursor: usize,
    /// Running estimate of the average TTL of volatile keys, ms (INFO keyspace avg_ttl).
    pub avg_ttl: u64,
}

impl ShardDb {
    fn new(nslots: usize) -> ShardDb {
        let mut tables = Vec::with_capacity(nslots);
        tables.resize_with(nslots, SlotTable::default);
        ShardDb {
            tables: tables.into_boxed_slice(),
            keys: 0,
            volatile: 0,
            expire_cursor: 0,
            avg_ttl: 0,
        }
    }
}

/// Counters kept under the shard lock (no atomics on the hot path); INFO sums them.
#[derive(Default, Clone, Copy, Debug)]
pub struct ShardStats {
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub expired_keys: u64,
    /// Writes since start (INFO persistence rdb_changes_since_last_save until snapshots land).
    pub dirty: u64,
}

/// The data one shard lock guards.
pub struct ShardData {
    /// Indexed by database number; `None` until the database gets a key in this shard.
    pub dbs: Vec<Option<Box<ShardDb>>>,
    /// First slot this shard owns.
    pub first_slot: usize,
    /// Slots this shard owns.
    pub nslots: usize,
    pub stats: ShardStats,
}

impl ShardData {
    /// The slot table of `slot` in `db`, if the database exists here.
    #[inline]
    pub fn table(&self, db: usize, slot: usize) -> Option<&SlotTable> {
        self.dbs[db]
            .as_ref()
            .map(|d| &d.tables[slot - self.first_slot])
    }

    /// The database `db` in this shard, created if absent.
    pub fn db_mut(&mut self, db: usize) -> &mut ShardDb {
        let nslots = self.nslots;
        self.dbs[db].get_or_insert_with(|| Box::new(ShardDb::new(nslots)))
    }
}

/// A shard: a contiguous range of slots behind one lock.
pub struct Shard {
    pub data: Mutex<ShardData>,
    /// Per database, the address of its slot tables here as last seen under the lock (null
    /// before): where [`Keyspace::ahead`] aims its prefetch without taking the lock. It is
    /// only ever prefetched, never read through, so a stale one (the database was flushed or
    /// swapped since) costs a wasted load.
    tables_hint: Box<[std::sync::atomic::AtomicPtr<SlotTable>]>,
}

/// Where a key of a command further down a pipeline lives, worked out early so its lookup can
/// be warmed in three steps, each given time to land before the next: [`Keyspace::ahead`]
/// (the slot table), [`Keyspace::prefetch_buckets`] (its control bytes and buckets), then
/// [`Keyspace::prefetch_node`] (the key's node). A lookup of a random key otherwise waits on
/// those three or four cache misses one after another; Redis 8 prefetches a batch's keys for
/// the same reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ahead {
    shard: u32,
    db: u32,
    /// The slot's index within its shard.
    index: u32,
    hash: u64,
}

/// At most this many bytes of a string value are prefetched ([`Keyspace::prefetch_value`]):
/// a window's 16 values then take at most 32 KiB, a common L1 data cache's size. Past the
/// first lines of a bigger value the hardware's own stream prefetch takes over. (Prefetching
/// only the first 256 bytes of 1 KiB values made pipelined SETs 1–3 % slower.)
pub const VALUE_PREFETCH: usize = 2048;

/// All databases of the node.
pub struct Keyspace {
    shards: Box<[Shard]>,
    /// Watched keys and blocked clients; every write below tells it.
    pub signals: signal::Signals,
    /// The running snapshot, if any; every write below first lets it copy the slot.
    pub snapshot: snapshot::Snapshot,
    shard_shift: u32,
    databases: usize,
    /// Expired keys waiting for their `expired` notification.
    pub expired: expiry::ExpiredQueue,
    /// Keys a read looked for and did not find, waiting for their `keymiss` notification
    /// (notify-keyspace-events `m`).
    pub missed: expiry::ExpiredQueue,
    /// Applied writes as commands, for the AOF (and replicas); expiry below feeds its DELs.
    pub feed: feed::Feed,
    /// Set while this node is a replica: expired keys are hidden from commands but never
    /// deleted here (neither lazily nor by the active cycle); the primary's DEL removes them,
    /// as Redis's `expireIfNeeded` on a replica.
    pub expiry_held: std::sync::atomic::AtomicBool,
    /// maxmemory, the eviction policy and the LRU/LFU bookkeeping ([`evict`]).
    pub evict: evict::Settings,
}

impl Keyspace {
    /// A keyspace of `databases` databases (1..) split into `shards` shards (a power of two,
    /// 1..=16384; other values are rounded up to one).
    pub fn new(databases: usize, shards: usize) -> Keyspace {
        let shards = shards.clamp(1, SLOTS).next_power_of_two();
        let per = SLOTS / shards;
        let shards_vec: Vec<Shard> = (0..shards)
            .map(|i| Shard {
                data: Mutex::new(ShardData {
                    dbs: (0..databases).map(|_| None).collect(),
                    first_slot: i * per,
                    nslots: per,
                    stats: ShardStats::default(),
                }),
                tables_hint: (0..databases).map(|_| Default::default()).collect(),
            })
            .collect();
        Keyspace {
            shards: shards_vec.into_boxed_slice(),
            signals: signal::Signals::default(),
            snapshot: snapshot::Snapshot::default(),
            shard_shift: per.trailing_zeros(),
            databases,
            expired: Default::default(),
            missed: Default::default(),
            feed: Default::default(),
            expiry_held: Default::default(),
            evict: Default::default(),
        }
    }

    pub fn databases(&self) -> usize {
        self.databases
    }

    pub fn shards(&self) -> &[Shard] {
        &self.shards
    }

    /// The shard index owning `slot`.
    #[inline]
    pub fn shard_of_slot(&self, slot: usize) -> usize {
        slot >> self.shard_shift
    }

    /// First step of warming the cache for `key` in database `db` (see [`Ahead`]): computes its
    /// slot and hash, and starts loading its slot table's fields, without a lock.
    #[inline]
    pub fn ahead(&self, db: usize, key: &[u8]) -> Ahead {
        let slot = key_slot(key);
        let shard = self.shard_of_slot(slot);
        let index = slot & ((1 << self.shard_shift) - 1);
        if let Some(hint) = self.shards[shard].tables_hint.get(db) {
            let tables = hint.load(std::sync::atomic::Ordering::Relaxed);
            if !tables.is_null() {
                table::prefetch(tables.wrapping_add(index) as usize);
            }
        }
        Ahead {
            shard: shard as u32,
            db: db as u32,
            index: index as u32,
            hash: table::hash(key),
        }
    }

    /// Runs `f` on the slot table of `a`, when its shard's lock is free this instant and the
    /// database exists there; refreshes the shard's hint of where the tables are.
    #[inline]
    fn with_ahead(&self, a: &Ahead, f: impl FnOnce(&SlotTable)) {
        let shard = &self.shards[a.shard as usize];
        let Some(data) = shard.data.try_lock() else {
            return;
        };
        let db = a.db as usize;
        let tables = data.dbs.get(db).and_then(|d| d.as_deref());
        let at = tables.map_or(std::ptr::null_mut(), |d| {
            d.tables.as_ptr() as *mut SlotTable
        });
        // Stored only when it moved: with several io-threads an unconditional store would
        // bounce the hint's cache line between their cores on every prefetch.
        if let Some(hint) = shard.tables_hint.get(db) {
            if hint.load(std::sync::atomic::Ordering::Relaxed) != at {
                hint.store(at, std::sync::atomic::Ordering::Relaxed);
            }
        }
        if let Some(t) = tables.and_then(|d| d.tables.get(a.index as usize)) {
            f(t);
        }
    }

    /// Second step for `a`: starts loading its table's control bytes and buckets. Takes the
    /// shard's lock for a moment if it is free, and does nothing if not.
    #[inline]
    pub fn prefetch_buckets(&self, a: &Ahead) {
        self.with_ahead(a, |t| t.map.prefetch_buckets(a.hash));
    }

    /// Third step for `a`: starts loading the key's node. As [`Keyspace::prefetch_buckets`].
    #[inline]
    pub fn prefetch_node(&self, a: &Ahead) {
        self.with_ahead(a, |t| t.map.prefetch_node(a.hash));
    }

    /// Fourth step, for a key whose pipelined command reads or overwrites its string value
    /// (GET, SET, ...): starts loading up to [`VALUE_PREFETCH`] bytes of it when it is a boxed
    /// string. As [`Keyspace::prefetch_buckets`].
    #[inline]
    pub fn prefetch_value(&self, a: &Ahead, key: &[u8]) {
        self.with_ahead(a, |t| {
            if let Some(e) = t.map.get_hashed(a.hash, key) {
                e.value.prefetch_bytes(VALUE_PREFETCH);
            }
        });
    }

    /// Fifth step, for a key whose pipelined commands name elements of its collection (HSET's
    /// fields, SADD's and ZADD's members): appends each element's hash in that collection to
    /// `hashes` and starts loading the index group it probes first. Nothing (and nothing
    /// appended) when the key is not a big hash, set or sorted set, or its shard is busy.
    pub fn prefetch_elem_index<'e>(
        &self,
        a: &Ahead,
        key: &[u8],
        elems: impl Iterator<Item = &'e [u8]>,
        hashes: &mut Vec<u64>,
    ) {
        self.with_ahead(a, |t| {
            let Some(w) = t.map.get_hashed(a.hash, key).and_then(|e| e.value.warm()) else {
                return;
            };
            for elem in elems {
                let h = w.hash(elem);
                w.index(h);
                hashes.push(h);
            }
        });
    }

    /// Sixth step: starts loading the entries the elements of [`Keyspace::prefetch_elem_index`]
    /// may be, once their index groups have had time to land.
    pub fn prefetch_elem_entries(&self, a: &Ahead, key: &[u8], hashes: &[u64]) {
        if hashes.is_empty() {
            return;
        }
        self.with_ahead(a, |t| {
            if let Some(w) = t.map.get_hashed(a.hash, key).and_then(|e| e.value.warm()) {
                for &h in hashes {
                    w.entry(h);
                }
            }
        });
    }

    /// Locks the shards of `keys` in ascending order and returns a view for database `db`.
    pub fn lock_keys<'a, 'k>(
        &'a self,
        keys: impl Iterator<Item = &'k [u8]>,
        db: usize,
        now: u64,
    ) -> Locked<'a> {
        let mut memo = SlotMemo::EMPTY;
        let mut idx: SmallVec<[usize; 4]> =
            keys.map(|k| self.shard_of_slot(memo.slot(k))).collect();
        if idx.len() > 1 {
            idx.sort_unstable();
            idx.dedup();
        }
        let guards = idx
            .iter()
            .map(|&i| (i, self.shards[i].data.lock()))
            .collect();
        Locked::holding(self, guards, db, now, memo)
    }

    /// Locks the shard of `key` and returns a view for database `db`: [`Keyspace::lock_keys`]
    /// for the commonest case, one key.
    #[inline]
    pub fn lock_key(&self, key: &[u8], db: usize, now: u64) -> Locked<'_> {
        let mut memo = SlotMemo::EMPTY;
        let i = self.shard_of_slot(memo.slot(key));
        let mut guards = SmallVec::new();
        guards.push((i, self.shards[i].data.lock()));
        Locked::holding(self, guards, db, now, memo)
    }

    /// Locks every shard in ascending order (for commands that must see the keyspace atomically).
    pub fn lock_all(&self) -> Vec<MutexGuard<'_, ShardData>> {
        self.shards.iter().map(|s| s.data.lock()).collect()
    }

    /// A view holding every shard's lock, taken in ascending order: for EXEC, which runs a
    /// whole transaction under it, and for commands that reach keys not named in their
    /// arguments (SORT ... BY/GET patterns).
    pub fn lock_all_view(&self, db: usize, now: u64) -> Locked<'_> {
        let guards = self
            .shards
            .iter()
            .enumerate()
            .map(|(i, s)| (i, s.data.lock()))
            .collect();
        Locked::holding(self, guards, db, now, SlotMemo::EMPTY)
    }
}

/// The shards a command locked, viewed as one database.
///
/// Lookups expire keys lazily against `now`. The expiry of an entry is changed only through
/// [`Locked::set_expire`] and [`Locked::insert`], which keep the volatile counts right.
pub struct Locked<'a> {
    ks: &'a Keyspace,
    guards: SmallVec<[(usize, MutexGuard<'a, ShardData>); 2]>,
    /// The selected database; a handler may switch it (MOVE, COPY DB) while the locks are held,
    /// since a key's shard is the same in every database.
    pub db: usize,
    /// The command's clock, unix ms.
    pub now: u64,
    /// Writes made through this view (each counted in the shards' `dirty` too): dispatch
    /// feeds a command to the AOF only when it wrote.
    pub writes: u32,
    /// The slot of the key this view looked at last.
    memo: SlotMemo,
}

/// The slot of one short key, remembered so that a command's lock, lookup and store of the
/// same key compute CRC16 once. The key's bytes are kept (not its address), so a different key
/// that happens to sit at the same address is never taken for it.
struct SlotMemo {
    /// Length of the remembered key; `u8::MAX` when nothing is remembered.
    len: u8,
    slot: u16,
    key: [u8; SlotMemo::MAX],
}

impl SlotMemo {
    /// Longest key remembered, bytes (longer keys have their slot computed every time).
    const MAX: usize = 44;

    const EMPTY: SlotMemo = SlotMemo {
        len: u8::MAX,
        slot: 0,
        key: [0; SlotMemo::MAX],
    };

    /// The slot of `key` (0..16384), from memory when it is the remembered key.
    #[inline]
    fn slot(&mut self, key: &[u8]) -> usize {
        // `get`: the empty memo's length (255) is longer than the kept bytes.
        if key.len() == self.len as usize && self.key.get(..key.len()) == Some(key) {
            return self.slot as usize;
        }
        let slot = key_slot(key);
        if key.len() <= Self::MAX {
            self.key[..key.len()].copy_from_slice(key);
            self.len = key.len() as u8;
            self.slot = slot as u16;
        }
        slot
    }
}

/// [`Locked::find`]'s `access` bit: update the entry's access field (LRU clock or LFU counter).
const TOUCH: u8 = 1;
/// [`Locked::find`]'s `access` bit: count a keyspace hit or miss.
const STATS: u8 = 2;
/// [`Locked::find`]'s `access` bit: queue a miss for its `keymiss` notification.
const NOTIFY: u8 = 4;

/// A lookup found no (live) `key` in database `db`: counts the miss and queues its `keymiss`, as
/// [`Locked::find`]'s `access` asks.
#[inline]
fn missed(stats: &mut ShardStats, ks: &Keyspace, access: u8, db: usize, key: &[u8]) {
    if access & STATS != 0 {
        stats.keyspace_misses += 1;
    }
    if access & NOTIFY != 0 {
        ks.missed.push(db, key);
    }
}

impl<'a> Locked<'a> {
    /// A view with no locks, for commands without keys.
    pub fn none(ks: &'a Keyspace, db: usize, now: u64) -> Locked<'a> {
        Locked::holding(ks, SmallVec::new(), db, now, SlotMemo::EMPTY)
    }

    /// A view of database `db` through `guards` (shard index, lock), taken in ascending order.
    fn holding(
        ks: &'a Keyspace,
        guards: SmallVec<[(usize, MutexGuard<'a, ShardData>); 2]>,
        db: usize,
        now: u64,
        memo: SlotMemo,
    ) -> Locked<'a> {
        Locked {
            ks,
            guards,
            db,
            now,
            writes: 0,
            memo,
        }
    }

    /// Whether this view holds every shard's lock (EXEC, LOCK_ALL commands).
    #[inline]
    pub fn holds_all(&self) -> bool {
        self.guards.len() == self.ks.shards.len()
    }

    /// Runs `f` on shard `i`: through the held lock when this view holds every shard, else by
    /// locking shard `i` for the call, which needs a view that holds no lock (a command
    /// without keys), or the lock order would break.
    pub fn with_shard<R>(&mut self, i: usize, f: impl FnOnce(&mut ShardData) -> R) -> R {
        if self.holds_all() {
            f(&mut self.guards[i].1)
        } else {
            assert!(self.guards.is_empty(), "keyspace walk from a partial view");
            f(&mut self.ks.shards[i].data.lock())
        }
    }

    /// Runs `f` with every shard locked at once (FLUSHDB, SWAPDB): the held locks, or all of
    /// them taken in order for the call.
    pub fn with_all<R>(&mut self, f: impl FnOnce(&mut [&mut ShardData]) -> R) -> R {
        if self.holds_all() {
            let mut v: Vec<&mut ShardData> =
                self.guards.iter_mut().map(|(_, g)| &mut **g).collect();
            f(&mut v)
        } else {
            assert!(self.guards.is_empty(), "keyspace walk from a partial view");
            let mut guards = self.ks.lock_all();
            let mut v: Vec<&mut ShardData> = guards.iter_mut().map(|g| &mut **g).collect();
            f(&mut v)
        }
    }

    /// Sum of the shard counters.
    pub fn stats(&mut self) -> ShardStats {
        let mut t = ShardStats::default();
        for i in 0..self.ks.shards.len() {
            self.with_shard(i, |g| {
                t.keyspace_hits += g.stats.keyspace_hits;
                t.keyspace_misses += g.stats.keyspace_misses;
                t.expired_keys += g.stats.expired_keys;
                t.dirty += g.stats.dirty;
            });
        }
        t
    }

    /// For each database holding keys: (database, keys, bytes of its slot tables' bucket
    /// arrays), walking the shards one at a time (MEMORY STATS).
    pub fn db_overheads(&mut self) -> Vec<(usize, u64, u64)> {
        let mut out: Vec<(usize, u64, u64)> = (0..self.ks.databases).map(|d| (d, 0, 0)).collect();
        for i in 0..self.ks.shards.len() {
            self.with_shard(i, |g| {
                for (db, sdb) in g.dbs.iter().enumerate() {
                    if let Some(sdb) = sdb {
                        out[db].1 += sdb.keys as u64;
                        out[db].2 += sdb
                            .tables
                            .iter()
                            .map(|t| t.table_bytes() as u64)
                            .sum::<u64>();
                    }
                }
            });
        }
        out.retain(|d| d.1 > 0);
        out
    }

    /// Zeroes the hit/miss/expired counters (CONFIG RESETSTAT).
    pub fn reset_stats(&mut self) {
        for i in 0..self.ks.shards.len() {
            self.with_shard(i, |g| {
                g.stats = ShardStats {
                    dirty: g.stats.dirty,
                    ..ShardStats::default()
                };
            });
        }
    }

    /// The locked shard holding `key`.
    #[inline]
    fn shard_of_key(&mut self, key: &[u8]) -> &mut ShardData {
        let slot = self.memo.slot(key);
        self.shard(slot)
    }

    #[inline]
    fn shard(&mut self, slot: usize) -> &mut ShardData {
        let i = self.ks.shard_of_slot(slot);
        let pos = if self.guards.len() == 1 {
            0
        } else if self.holds_all() {
            i
        } else {
            self.guards
                .iter()
                .position(|(s, _)| *s == i)
                .expect("command did not lock this key's shard")
        };
        debug_assert_eq!(
            self.guards[pos].0, i,
            "command did not lock this key's shard"
        );
        &mut self.guards[pos].1
    }

    /// The entry of `key` if present and not expired; an expired entry is deleted here.
    /// `access`: [`TOUCH`] updates the access field (LRU clock or LFU counter), [`STATS`]
    /// counts a keyspace hit or miss, [`NOTIFY`] queues a miss for `keymiss`; 0 does none.
    /// One hash lookup in every case.
    #[inline]
    fn find(&mut self, key: &[u8], access: u8) -> Option<&mut Entry> {
        let slot = self.memo.slot(key);
        let (db, now, ks) = (self.db, self.now, self.ks);
        let signals = &ks.signals;
        let shard = self.shard(slot);
        ks.snapshot.before_write(shard, slot);
        let ShardData {
            dbs,
            stats,
            first_slot,
            ..
        } = shard;
        let Some(sdb) = dbs[db].as_mut() else {
            missed(stats, ks, access, db, key);
            return None;
        };
        let table = &mut sdb.tables[slot - *first_slot];
        match table.map.entry(key) {
            table::Slot::Occupied(o) => {
                if o.get().is_expired(now) {
                    if ks.expiry_held.load(std::sync::atomic::Ordering::Relaxed) {
                        missed(stats, ks, access, db, key);
                        return None;
                    }
                    ks.expired.push(db, key);
                    if ks.feed.is_on() {
                        ks.feed.append(db, &[b"DEL", key]);
                    }
                    o.remove();
                    signals.modified(db, key, Change::Deleted);
                    count_volatile(&mut table.volatile, &mut sdb.volatile, true, false);
                    sdb.keys -= 1;
                    stats.expired_keys += 1;
                    missed(stats, ks, access, db, key);
                    return None;
                }
                if access & STATS != 0 {
                    stats.keyspace_hits += 1;
                }
                let e = o.into_mut();
                if access & TOUCH != 0 {
                    e.access = ks.evict.touched(e.access, now);
                }
                Some(e)
            }
            table::Slot::Vacant(_) => {
                missed(stats, ks, access, db, key);
                None
            }
        }
    }

    /// The entry of `key` if present and not expired (an expired one is deleted here); touches
    /// no stats and no access time.
    #[inline]
    pub fn peek(&mut self, key: &[u8]) -> Option<&mut Entry> {
        self.find(key, 0)
    }

    /// Lookup for a read: counts a keyspace hit or miss and updates the access time.
    #[inline]
    pub fn lookup_read(&mut self, key: &[u8]) -> Option<&mut Entry> {
        self.find(key, TOUCH | STATS | NOTIFY)
    }

    /// Lookup that counts a keyspace hit or miss but leaves the access time alone: EXISTS, TYPE
    /// and the TTL family, as Redis's `lookupKeyReadWithFlags(.., LOOKUP_NOTOUCH)`, so asking
    /// about a key does not make it look recently used to eviction or OBJECT IDLETIME.
    #[inline]
    pub fn lookup_read_notouch(&mut self, key: &[u8]) -> Option<&mut Entry> {
        self.find(key, STATS | NOTIFY)
    }

    /// As [`Locked::lookup_read_notouch`], without a `keymiss` notification on a miss: OBJECT,
    /// as Redis's `objectCommandLookup` (LOOKUP_NOTOUCH | LOOKUP_NONOTIFY).
    #[inline]
    pub fn lookup_read_quiet(&mut self, key: &[u8]) -> Option<&mut Entry> {
        self.find(key, STATS)
    }

    /// Lookup for a write: updates the access time, counts no hit or miss.
    #[inline]
    pub fn lookup_write(&mut self, key: &[u8]) -> Option<&mut Entry> {
        self.find(key, TOUCH)
    }

    /// Whether `key` exists (not expired), without touching stats or access time.
    pub fn exists(&mut self, key: &[u8]) -> bool {
        self.peek(key).is_some()
    }

    /// Stores `value` at `key` with expiry `expire_at` (unix ms, 0 = none), replacing any entry.
    pub fn insert(&mut self, key: &[u8], value: Value, expire_at: u64) {
        let slot = self.memo.slot(key);
        let (db, now) = (self.db, self.now);
        self.ks.signals.modified(db, key, Change::Written);
        self.writes += 1;
        let ks = self.ks;
        let shard = self.shard(slot);
        ks.snapshot.before_write(shard, slot);
        let first = shard.first_slot;
        shard.stats.dirty += 1;
        let sdb = shard.db_mut(db);
        let table = &mut sdb.tables[slot - first];
        let mut entry = Entry::new(value, now);
        entry.expire_at = expire_at;
        entry.access = ks.evict.initial_access(now);
        match table.map.entry(key) {
            table::Slot::Occupied(mut o) => {
                let was = o.get().expire_at != 0;
                if ks.evict.lfu() {
                    // An overwritten key keeps its frequency (Redis's dbSetValue).
                    entry.access = o.get().access;
                }
                *o.get_mut() = entry;
                count_volatile(&mut table.volatile, &mut sdb.volatile, was, expire_at != 0);
            }
            table::Slot::Vacant(v) => {
                v.insert(entry);
                sdb.keys += 1;
                count_volatile(
                    &mut table.volatile,
                    &mut sdb.volatile,
                    false,
                    expire_at != 0,
                );
            }
        }
    }

    /// Stores an entry taken from elsewhere (RENAME, MOVE, COPY), keeping its expiry and access.
    pub fn insert_entry(&mut self, key: &[u8], entry: Entry) {
        let access = entry.access;
        let at = entry.expire_at;
        self.insert(key, entry.value, at);
        if let Some(e) = self.peek(key) {
            e.access = access;
        }
    }

    /// Removes `key`; returns its entry if it existed and had not expired.
    pub fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        let e = self.take(key)?;
        self.shard_of_key(key).stats.dirty += 1;
        self.writes += 1;
        Some(e)
    }

    /// Evicts `key` (maxmemory): removes it and feeds a DEL to the AOF and replicas. Not a
    /// write of this view's command and not a change for the save points, as in Redis.
    /// Returns whether a live key (one with an expiry, when `volatile_only`) was removed.
    pub fn evict(&mut self, key: &[u8], volatile_only: bool) -> bool {
        match self.peek(key) {
            Some(e) if !volatile_only || e.expire_at != 0 => {}
            _ => return false,
        }
        if self.take(key).is_none() {
            return false;
        }
        if self.ks.feed.is_on() {
            self.ks.feed.append(self.db, &[b"DEL", key]);
        }
        true
    }

    /// Removes `key` with its bookkeeping (counts, signals, snapshot, expiry); returns its entry
    /// if it existed and had not expired.
    fn take(&mut self, key: &[u8]) -> Option<Entry> {
        let slot = self.memo.slot(key);
        let (db, now, ks) = (self.db, self.now, self.ks);
        let signals = &ks.signals;
        let shard = self.shard(slot);
        ks.snapshot.before_write(shard, slot);
        let first = shard.first_slot;
        let sdb = shard.dbs[db].as_mut()?;
        let table = &mut sdb.tables[slot - first];
        let e = table.map.remove(key)?;
        signals.modified(db, key, Change::Deleted);
        sdb.keys -= 1;
        count_volatile(
            &mut table.volatile,
            &mut sdb.volatile,
            e.expire_at != 0,
            false,
        );
        if e.is_expired(now) {
            ks.expired.push(db, key);
            shard.stats.expired_keys += 1;
            if ks.feed.is_on() {
                ks.feed.append(db, &[b"DEL", key]);
            }
            return None;
        }
        Some(e)
    }

    /// Sets (`Some(ms)`) or clears (`None`) the expiry of an existing key; returns false if the
    /// key does not exist.
    pub fn set_expire(&mut self, key: &[u8], at: Option<u64>) -> bool {
        let slot = self.memo.slot(key);
        if self.peek(key).is_none() {
            return false;
        }
        let db = self.db;
        self.ks.signals.modified(db, key, Change::Removed);
        self.writes += 1;
        let ks = self.ks;
        let shard = self.shard(slot);
        ks.snapshot.before_write(shard, slot);
        let first = shard.first_slot;
        shard.stats.dirty += 1;
        let sdb = shard.db_mut(db);
        let table = &mut sdb.tables[slot - first];
        let e = table.map.get_mut(key).expect("peeked above");
        let new = at.unwrap_or(0);
        count_volatile(
            &mut table.volatile,
            &mut sdb.volatile,
            e.expire_at != 0,
            new != 0,
        );
        e.expire_at = new;
        true
    }

    /// After a collection at `key` was changed in place: deletes the key when the collection is
    /// now `empty` (Redis never keeps empty collections), else counts the write if `changed`.
    pub fn settle(&mut self, key: &[u8], empty: bool, changed: bool) {
        if empty {
            self.remove(key);
        } else if changed {
            self.touch_dirty(key);
        }
    }

    /// Counts a write that changed a value in place (INCR, APPEND, ...).
    pub fn touch_dirty(&mut self, key: &[u8]) {
        self.ks.signals.modified(self.db, key, Change::Written);
        self.shard_of_key(key).stats.dirty += 1;
        self.writes += 1;
    }
}

/// Keeps a slot table's and its database's volatile-key counts right when a key goes from
/// `was` (had an expiry) to `now` (has one).
#[inline]
fn count_volatile(table: &mut u32, db: &mut usize, was: bool, now: bool) {
    match (was, now) {
        (true, false) => {
            *table -= 1;
            *db -= 1;
        }
        (false, true) => {
            *table += 1;
            *db += 1;
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[u8]) -> Value {
        Value::Str(Str::from_bytes(v))
    }

    #[test]
    fn insert_lookup_expire_and_counts() {
        let ks = Keyspace::new(2, 16);
        let mut l = ks.lock_keys([&b"a"[..], b"b"].into_iter(), 0, 1000);
        l.insert(b"a", s(b"1"), 0);
        l.insert(b"b", s(b"2"), 1500);
        assert!(l.exists(b"a"));
        assert_eq!(l.peek(b"b").unwrap().expire_at(), Some(1500));
        l.now = 1500;
        assert!(!l.exists(b"b"), "expired at its expiry time");
        assert!(l.set_expire(b"a", Some(3000)));
        assert!(l.set_expire(b"a", None));
        assert!(!l.set_expire(b"b", Some(1)));
        drop(l);
        let st = Locked::none(&ks, 0, 0).stats();
        assert_eq!(st.expired_keys, 1);
        let g = ks.shards()[ks.shard_of_slot(key_slot(b"a"))].data.lock();
        let db = g.dbs[0].as_ref().unwrap();
        assert_eq!((db.keys, db.volatile), (1, 0));
    }

    #[test]
    fn slot_memo_gives_every_key_its_own_slot() {
        let mut m = SlotMemo::EMPTY;
        // Lengths around the memo's size and its empty marker (255): computed, never mixed up.
        for len in [0, 1, 16, 43, 44, 45, 254, 255, 256, 1000] {
            let a = vec![b'a'; len];
            let mut b = a.clone();
            if let Some(last) = b.last_mut() {
                *last = b'b';
            }
            for _ in 0..2 {
                assert_eq!(m.slot(&a), key_slot(&a), "len {len}");
                assert_eq!(m.slot(&b), key_slot(&b), "len {len}");
            }
            // A fresh memo meets the key first.
            let mut fresh = SlotMemo::EMPTY;
            assert_eq!(fresh.slot(&a), key_slot(&a), "len {len}");
        }
        // Same length and address, other bytes: the slot of the new bytes.
        let mut k = *b"{user1}:x";
        let first = m.slot(&k);
        k[5] = b'2';
        assert_eq!(first, key_slot(b"{user1}:x"));
        assert_eq!(m.slot(&k), key_slot(b"{user2}:x"));
    }

    #[test]
    fn shards_partition_the_slots() {
        let ks = Keyspace::new(1, 16);
        assert_eq!(ks.shard_of_slot(0), 0);
        assert_eq!(ks.shard_of_slot(1023), 0);
        assert_eq!(ks.shard_of_slot(1024), 1);
        assert_eq!(ks.shard_of_slot(16383), 15);
        let ks = Keyspace::new(1, 3);
        assert_eq!(ks.shards().len(), 4);
    }
}
