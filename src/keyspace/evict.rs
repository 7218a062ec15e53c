//! Eviction under `maxmemory`: the eight policies, the LRU clock and the LFU counter, and the
//! choice of victims by sampling, as Redis 7.0's `evict.c`
//! (<https://redis.io/docs/reference/eviction/>).
//!
//! - Every entry has one 32-bit `access` field. Under an LRU (or no) policy it is the time of the
//!   last access, unix seconds; under an LFU policy it is Redis's layout: the last decrement time
//!   in minutes (16 bits, `ldt`) above an 8-bit logarithmic counter. Switching policies at run
//!   time reinterprets the field, as Redis warns.
//! - Victims are approximated as Redis does: each round samples `maxmemory-samples` keys per
//!   database (from random slot tables of one random shard) into a pool of the 16 best
//!   candidates kept across rounds, and evicts the best one still present. The random policies
//!   take a random key directly.
//! - [`Keyspace::evict`] deletes keys until the memory measure given is at or below the limit,
//!   within the time `maxmemory-eviction-tenacity` allows; each deletion is fed to the AOF and
//!   replicas as a DEL and reported to the caller (for the `evicted` keyspace event).

use super::{Keyspace, SlotTable};
use rand::Rng;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicU8, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// A `maxmemory-policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    NoEviction,
    AllKeysLru,
    AllKeysLfu,
    AllKeysRandom,
    VolatileLru,
    VolatileLfu,
    VolatileRandom,
    VolatileTtl,
}

impl Policy {
    /// Every policy, in the order redis.conf lists them.
    pub const ALL: [Policy; 8] = [
        Policy::VolatileLru,
        Policy::AllKeysLru,
        Policy::VolatileLfu,
        Policy::AllKeysLfu,
        Policy::VolatileRandom,
        Policy::AllKeysRandom,
        Policy::VolatileTtl,
        Policy::NoEviction,
    ];

    /// The redis.conf name (`allkeys-lru`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Policy::NoEviction => "noeviction",
            Policy::AllKeysLru => "allkeys-lru",
            Policy::AllKeysLfu => "allkeys-lfu",
            Policy::AllKeysRandom => "allkeys-random",
            Policy::VolatileLru => "volatile-lru",
            Policy::VolatileLfu => "volatile-lfu",
            Policy::VolatileRandom => "volatile-random",
            Policy::VolatileTtl => "volatile-ttl",
        }
    }

    /// The policy of a redis.conf name, any case.
    pub fn parse(s: &str) -> Option<Policy> {
        Policy::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s))
    }

    /// Whether the `access` field holds an LFU counter.
    pub fn is_lfu(self) -> bool {
        matches!(self, Policy::AllKeysLfu | Policy::VolatileLfu)
    }

    /// Whether only keys with an expiry may be evicted.
    pub fn volatile_only(self) -> bool {
        matches!(
            self,
            Policy::VolatileLru
                | Policy::VolatileLfu
                | Policy::VolatileRandom
                | Policy::VolatileTtl
        )
    }

    fn index(self) -> u8 {
        Policy::ALL.iter().position(|p| *p == self).unwrap_or(7) as u8
    }
}

/// Redis's `LFU_INIT_VAL`: the counter of a new key, so it is not evicted before it had a
/// chance to be read.
pub const LFU_INIT_VAL: u8 = 5;

/// Candidates kept between rounds (Redis's `EVPOOL_SIZE`).
const POOL_SIZE: usize = 16;

/// The eviction settings (mirrored from the config) and counters, read on the hot path.
pub struct Settings {
    /// `maxmemory`, bytes; 0 = no limit.
    pub maxmemory: AtomicU64,
    policy: AtomicU8,
    /// `maxmemory-samples`: keys sampled per database per round.
    pub samples: AtomicU32,
    /// `maxmemory-eviction-tenacity` (0..=100).
    pub tenacity: AtomicU32,
    /// `lfu-log-factor`: how many hits it takes to grow the counter.
    pub lfu_log_factor: AtomicU32,
    /// `lfu-decay-time`, minutes: the counter halves... drops by one per this many minutes idle
    /// (0: never decays).
    pub lfu_decay_time: AtomicU32,
    /// Keys evicted since start or CONFIG RESETSTAT (INFO stats evicted_keys).
    pub evicted_keys: AtomicU64,
    /// Microseconds spent over the limit and evicting (INFO stats total_eviction_exceeded_time).
    pub exceeded_us: AtomicU64,
    /// Bumped when the policy changes: the threads' candidate pools, scored under the old one,
    /// are emptied on their next use.
    generation: AtomicU64,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            maxmemory: AtomicU64::new(0),
            policy: AtomicU8::new(Policy::NoEviction.index()),
            samples: AtomicU32::new(5),
            tenacity: AtomicU32::new(10),
            lfu_log_factor: AtomicU32::new(10),
            lfu_decay_time: AtomicU32::new(1),
            evicted_keys: AtomicU64::new(0),
            exceeded_us: AtomicU64::new(0),
            generation: AtomicU64::new(0),
        }
    }
}

impl Settings {
    pub fn policy(&self) -> Policy {
        Policy::ALL[self.policy.load(Relaxed) as usize]
    }

    /// Sets the policy; the candidate pool, scored under the old one, is emptied.
    pub fn set_policy(&self, p: Policy) {
        if self.policy.swap(p.index(), Relaxed) != p.index() {
            self.generation.fetch_add(1, Relaxed);
        }
    }

    /// Whether the access field holds LFU counters now.
    #[inline]
    pub fn lfu(&self) -> bool {
        self.policy().is_lfu()
    }

    /// The access field of a new key at `now_ms`.
    #[inline]
    pub fn initial_access(&self, now_ms: u64) -> u32 {
        if self.lfu() {
            (lfu_minutes(now_ms) << 8) | LFU_INIT_VAL as u32
        } else {
            lru_clock(now_ms)
        }
    }

    /// The access field after a read or write of the key at `now_ms` (Redis's `updateLFU` or
    /// the LRU clock).
    #[inline]
    pub fn touched(&self, access: u32, now_ms: u64) -> u32 {
        if self.lfu() {
            let c = lfu_decayed(access, now_ms, self.lfu_decay_time.load(Relaxed));
            let c = lfu_log_incr(c, self.lfu_log_factor.load(Relaxed));
            (lfu_minutes(now_ms) << 8) | c as u32
        } else {
            lru_clock(now_ms)
        }
    }

    /// The access field of a key loaded with an idle time (seconds) or an LFU counter (RDB
    /// IDLE/FREQ opcodes, RESTORE IDLETIME/FREQ): each is used only under its kind of policy,
    /// else the field of a new key (Redis's `objectSetLRUOrLFU`).
    pub fn loaded_access(&self, idle: Option<u64>, freq: Option<u8>, now_ms: u64) -> u32 {
        if self.lfu() {
            match freq {
                Some(f) => (lfu_minutes(now_ms) << 8) | f as u32,
                None => self.initial_access(now_ms),
            }
        } else {
            match idle {
                Some(s) => lru_clock(now_ms).wrapping_sub(s.min(u32::MAX as u64) as u32),
                None => lru_clock(now_ms),
            }
        }
    }

    /// The LFU counter of an access field at `now_ms`, decayed (OBJECT FREQ).
    pub fn frequency(&self, access: u32, now_ms: u64) -> u8 {
        lfu_decayed(access, now_ms, self.lfu_decay_time.load(Relaxed))
    }

    /// How long one call may evict (Redis's `evictionTimeLimitUs`): 50 µs per tenacity step up
    /// to 10 (500 µs), then 15 % more per step; 100 = no limit.
    pub fn time_limit(&self) -> Option<Duration> {
        let t = self.tenacity.load(Relaxed).min(100);
        if t >= 100 {
            return None;
        }
        let us = if t <= 10 {
            50.0 * t as f64
        } else {
            500.0 * 1.15f64.powi(t as i32 - 10)
        };
        Some(Duration::from_micros(us.max(1.0) as u64))
    }
}

/// The LRU clock: unix seconds, truncated to 32 bits.
#[inline]
pub fn lru_clock(now_ms: u64) -> u32 {
    (now_ms / 1000) as u32
}

/// Seconds since the access recorded in an LRU access field (OBJECT IDLETIME).
#[inline]
pub fn idle_seconds(access: u32, now_ms: u64) -> u32 {
    lru_clock(now_ms).wrapping_sub(access)
}

/// Unix minutes modulo 2^16 (Redis's `LFUGetTimeInMinutes`).
#[inline]
fn lfu_minutes(now_ms: u64) -> u32 {
    ((now_ms / 60_000) & 0xffff) as u32
}

/// The counter of an LFU access field at `now_ms`, less one per `decay` minutes since its last
/// decrement (Redis's `LFUDecrAndReturn`; RDB FREQ records).
pub fn lfu_counter(access: u32, now_ms: u64, decay: u32) -> u8 {
    lfu_decayed(access, now_ms, decay)
}

#[inline]
fn lfu_decayed(access: u32, now_ms: u64, decay: u32) -> u8 {
    // Masked: a field last written under an LRU policy holds seconds, not minutes.
    let ldt = (access >> 8) & 0xffff;
    let counter = (access & 0xff) as u8;
    let now = lfu_minutes(now_ms);
    let elapsed = if now >= ldt {
        now - ldt
    } else {
        65535 - ldt + now
    };
    let periods = elapsed.checked_div(decay).unwrap_or(0);
    counter.saturating_sub(periods.min(255) as u8)
}

/// Grows an LFU counter with probability 1 / ((counter - LFU_INIT_VAL) * factor + 1), so it
/// takes about a million hits to reach 255 at factor 10 (Redis's `LFULogIncr`).
#[inline]
fn lfu_log_incr(counter: u8, factor: u32) -> u8 {
    if counter == 255 {
        return 255;
    }
    let base = counter.saturating_sub(LFU_INIT_VAL) as f64;
    let p = 1.0 / (base * factor as f64 + 1.0);
    if p >= 1.0 || rand::thread_rng().gen::<f64>() < p {
        counter + 1
    } else {
        counter
    }
}

/// A candidate's key: inline up to 32 bytes, as most keys are.
type Key = smallvec::SmallVec<[u8; 32]>;

/// A key in the candidate pool: the higher `score`, the better a victim (idle seconds, 255 minus
/// the LFU counter, or the inverse of the expiry time).
#[derive(Debug, Clone)]
struct Candidate {
    score: u64,
    db: usize,
    /// FNV-1a of the key, compared before the bytes.
    hash: u64,
    key: Key,
}

thread_local! {
    /// This thread's candidate pool, tagged with the keyspace and policy generation it was
    /// filled for.
    static POOL: std::cell::RefCell<((usize, u64), Vec<Candidate>)> =
        std::cell::RefCell::new(((0, 0), Vec::with_capacity(POOL_SIZE + 1)));
}

fn fnv1a(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &x| {
        (h ^ x as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// What [`Keyspace::evict`] achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Memory is at or below the limit (or there is no limit).
    Ok,
    /// Still over the limit when the time allowed ran out, but keys were freed: the caller may
    /// run its command and evict more later (Redis's EVICT_RUNNING).
    Running,
    /// Over the limit and nothing (more) can be evicted under the policy.
    Fail,
}

impl Keyspace {
    /// Evicts keys until `used()` (bytes) is at or below `maxmemory`, under the configured
    /// policy, for at most the tenacity's time when `bounded` (a command waits for it), else
    /// until done (the cron, off the connections' threads). Each evicted key is fed as `DEL` to
    /// the AOF and replicas, counted in `evicted_keys`, and passed to `evicted(db, key)`.
    pub fn evict(
        &self,
        now_ms: u64,
        bounded: bool,
        used: impl Fn() -> u64,
        mut evicted: impl FnMut(usize, &[u8]),
    ) -> Outcome {
        let limit = self.evict.maxmemory.load(Relaxed);
        if limit == 0 || used() <= limit {
            return Outcome::Ok;
        }
        let policy = self.evict.policy();
        if policy == Policy::NoEviction {
            return Outcome::Fail;
        }
        let start = Instant::now();
        let deadline = if bounded {
            self.evict.time_limit().map(|d| start + d)
        } else {
            None
        };
        let mut outcome = Outcome::Ok;
        let mut freed_any = false;
        let mut n = 0u32;
        let mut misses = 0;
        while used() > limit {
            let Some((db, key)) = self.pick_victim(policy, now_ms) else {
                outcome = Outcome::Fail;
                break;
            };
            let mut l = self.lock_keys(std::iter::once(&key[..]), db, now_ms);
            if l.evict(&key, policy.volatile_only()) {
                misses = 0;
                drop(l);
                self.evict.evicted_keys.fetch_add(1, Relaxed);
                evicted(db, &key);
                freed_any = true;
            } else {
                // A candidate gone (or persisted) since it was sampled. Many in a row: the pool
                // is stale and sampling finds nothing that qualifies.
                misses += 1;
                if misses > 64 {
                    outcome = Outcome::Fail;
                    break;
                }
            }
            n += 1;
            if n % 16 == 0 && deadline.is_some_and(|d| Instant::now() >= d) {
                outcome = if used() <= limit {
                    Outcome::Ok
                } else {
                    Outcome::Running
                };
                break;
            }
        }
        if outcome == Outcome::Fail && freed_any && used() <= limit {
            outcome = Outcome::Ok;
        }
        self.evict
            .exceeded_us
            .fetch_add(start.elapsed().as_micros() as u64, Relaxed);
        outcome
    }

    /// The next key to evict under `policy`, or `None` when no key qualifies. The caller checks
    /// that it still exists (and still has an expiry for the volatile policies) as it evicts.
    fn pick_victim(&self, policy: Policy, now_ms: u64) -> Option<(usize, Key)> {
        let mut rng = rand::thread_rng();
        if matches!(policy, Policy::AllKeysRandom | Policy::VolatileRandom) {
            let volatile = policy.volatile_only();
            let mut found = None;
            self.visit_sample(&mut rng, volatile, 1, now_ms, |db, k, _| {
                found = Some((db, Key::from_slice(k)));
            });
            return found;
        }
        // Each thread keeps its own pool: no lock shared by the threads that evict at once, and
        // the pool is only a cache of good candidates, re-checked as they are evicted.
        POOL.with(|cell| {
            let mut guard = cell.borrow_mut();
            let (owner, pool) = &mut *guard;
            let me = (
                self as *const Keyspace as usize,
                self.evict.generation.load(Relaxed),
            );
            if *owner != me {
                *owner = me;
                pool.clear();
            }
            // A sampling round per eviction, as Redis does, then the best candidate so far.
            self.fill_pool(pool, &mut rng, policy, now_ms);
            pool.pop().map(|c| (c.db, c.key))
        })
    }

    /// One sampling round into `pool`.
    fn fill_pool(
        &self,
        pool: &mut Vec<Candidate>,
        rng: &mut impl Rng,
        policy: Policy,
        now_ms: u64,
    ) {
        let samples = self.evict.samples.load(Relaxed).clamp(1, 1024) as usize;
        let decay = self.evict.lfu_decay_time.load(Relaxed);
        self.visit_sample(
            rng,
            policy.volatile_only(),
            samples,
            now_ms,
            |db, key, e| {
                let score = match policy {
                    Policy::VolatileTtl => u64::MAX - e.expire_at,
                    p if p.is_lfu() => 255 - lfu_decayed(e.access, now_ms, decay) as u64,
                    _ => idle_seconds(e.access, now_ms) as u64,
                };
                pool_insert(pool, score, db, key);
            },
        );
    }

    /// Calls `f(db, key, entry)` for up to `n` keys per database taken from random slot tables
    /// of one random shard that holds keys (only keys with an expiry when `volatile`). Tries
    /// every shard, in a random rotation, before giving up; expired keys are skipped.
    fn visit_sample(
        &self,
        rng: &mut impl Rng,
        volatile: bool,
        n: usize,
        now_ms: u64,
        mut f: impl FnMut(usize, &[u8], &super::Entry),
    ) {
        let shards = self.shards.len();
        let first = rng.gen_range(0..shards);
        for s in 0..shards {
            let g = self.shards[(first + s) % shards].data.lock();
            let mut any = false;
            for (db, sdb) in g.dbs.iter().enumerate() {
                let Some(sdb) = sdb else { continue };
                if (volatile && sdb.volatile == 0) || sdb.keys == 0 {
                    continue;
                }
                let tables = &sdb.tables;
                let start = rng.gen_range(0..tables.len());
                let mut got = 0;
                for i in 0..tables.len() {
                    let t: &SlotTable = &tables[(start + i) % tables.len()];
                    let have = if volatile {
                        t.volatile as usize
                    } else {
                        t.map.len()
                    };
                    if have == 0 {
                        continue;
                    }
                    // A random run of the table's entries (they sit in hash order).
                    let skip = rng.gen_range(0..t.map.len().min(4096));
                    for (k, e) in t.map.iter().cycle().skip(skip).take(t.map.len()) {
                        if got >= n {
                            break;
                        }
                        if (volatile && e.expire_at == 0) || e.is_expired(now_ms) {
                            continue;
                        }
                        f(db, k, e);
                        got += 1;
                        any = true;
                    }
                    if got >= n {
                        break;
                    }
                }
            }
            if any {
                return;
            }
        }
    }
}

/// Puts a candidate in the pool (sorted by ascending score, best last), keeping the best
/// [`POOL_SIZE`] and no key twice.
fn pool_insert(pool: &mut Vec<Candidate>, score: u64, db: usize, key: &[u8]) {
    // Most samples are no better than the worst of a full pool: leave before reading the key
    // (a key already in the pool keeps its older score then).
    if pool.len() >= POOL_SIZE && score <= pool[0].score {
        return;
    }
    let hash = fnv1a(key);
    if let Some(i) = pool
        .iter()
        .position(|c| c.hash == hash && c.db == db && c.key[..] == *key)
    {
        // Sampled again: its score may have changed (it was read meanwhile).
        pool.remove(i);
    }
    if pool.len() >= POOL_SIZE && score <= pool[0].score {
        return;
    }
    let at = pool.partition_point(|c| c.score <= score);
    pool.insert(
        at,
        Candidate {
            score,
            db,
            hash,
            key: Key::from_slice(key),
        },
    );
    if pool.len() > POOL_SIZE {
        pool.remove(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::{Str, Value};
    use std::cell::Cell;

    fn val(n: usize) -> Value {
        Value::Str(Str::from_bytes(&vec![b'x'; n]))
    }

    #[test]
    fn policies_parse_and_print() {
        for p in Policy::ALL {
            assert_eq!(Policy::parse(&p.name().to_uppercase()), Some(p));
        }
        assert_eq!(Policy::parse("lru"), None);
        assert!(Policy::VolatileTtl.volatile_only() && !Policy::AllKeysLfu.volatile_only());
    }

    #[test]
    fn lfu_counter_grows_logarithmically_and_decays() {
        let s = Settings::default();
        s.set_policy(Policy::AllKeysLfu);
        let t0 = 1_700_000_000_000u64;
        let mut a = s.initial_access(t0);
        assert_eq!(s.frequency(a, t0), LFU_INIT_VAL);
        for _ in 0..10_000 {
            a = s.touched(a, t0);
        }
        let f = s.frequency(a, t0);
        // Redis's table for factor 10: 100 hits -> 10, 1K -> 18, 100K -> 142; about
        // 5 (c - 5)^2 hits reach c, so 10K hits give ~50.
        assert!((40..65).contains(&f), "10K hits at factor 10: {f}");
        // Ten idle minutes at decay time 1 take ten off.
        assert_eq!(s.frequency(a, t0 + 10 * 60_000), f - 10);
        s.lfu_decay_time.store(0, Relaxed);
        assert_eq!(s.frequency(a, t0 + 10 * 60_000), f);
    }

    #[test]
    fn time_limit_follows_tenacity() {
        let s = Settings::default();
        assert_eq!(s.time_limit(), Some(Duration::from_micros(500)));
        s.tenacity.store(100, Relaxed);
        assert_eq!(s.time_limit(), None);
    }

    #[test]
    fn pool_keeps_the_best_sixteen() {
        let mut pool = Vec::new();
        for i in 0..40u64 {
            pool_insert(&mut pool, i % 20, 0, format!("k{i}").as_bytes());
        }
        assert_eq!(pool.len(), POOL_SIZE);
        assert!(pool.windows(2).all(|w| w[0].score <= w[1].score));
        assert_eq!(pool.last().unwrap().score, 19);
        pool_insert(&mut pool, 100, 0, b"k39");
        assert_eq!(pool.iter().filter(|c| c.key[..] == b"k39"[..]).count(), 1);
        assert_eq!(pool.last().unwrap().key[..], b"k39"[..]);
    }

    /// Fills a keyspace and evicts down to a key budget, with the key count as the memory
    /// measure: what goes must be what the policy says.
    fn run(policy: Policy, setup: impl Fn(&Keyspace, u64)) -> Keyspace {
        let ks = Keyspace::new(1, 16);
        let now = 1_700_000_000_000u64;
        setup(&ks, now);
        ks.evict.set_policy(policy);
        ks.evict.maxmemory.store(50, Relaxed);
        ks.evict.tenacity.store(100, Relaxed);
        let count = || {
            let mut l = crate::keyspace::Locked::none(&ks, 0, now);
            l.dbsize(0) as u64
        };
        let evicted = Cell::new(0);
        let out = ks.evict(now, false, count, |_, _| evicted.set(evicted.get() + 1));
        assert_eq!(out, Outcome::Ok, "{policy:?}");
        assert_eq!(count(), 50);
        assert_eq!(ks.evict.evicted_keys.load(Relaxed), evicted.get());
        ks
    }

    fn key(i: usize) -> Vec<u8> {
        format!("key:{i}").into_bytes()
    }

    fn exists(ks: &Keyspace, i: usize) -> bool {
        let k = key(i);
        ks.lock_keys(std::iter::once(&k[..]), 0, 1_700_000_000_000)
            .exists(&k)
    }

    #[test]
    fn volatile_ttl_evicts_the_nearest_expiry_first() {
        let ks = run(Policy::VolatileTtl, |ks, now| {
            for i in 0..100 {
                let k = key(i);
                let mut l = ks.lock_keys(std::iter::once(&k[..]), 0, now);
                // Keys 0..20 have no expiry; the others expire later the higher they are.
                let at = if i < 20 {
                    0
                } else {
                    now + 1_000_000 + i as u64 * 1000
                };
                l.insert(&k, val(10), at);
            }
        });
        assert!((0..20).all(|i| exists(&ks, i)), "non-volatile keys stay");
        // 50 of the 80 volatile keys went; sampling is approximate, but the farthest expiries
        // must be there and most of the nearest gone.
        assert!((90..100).all(|i| exists(&ks, i)));
        let near_left = (20..45).filter(|&i| exists(&ks, i)).count();
        assert!(
            near_left <= 5,
            "{near_left} of the 25 nearest expiries left"
        );
    }

    #[test]
    fn allkeys_lru_keeps_recently_used_keys() {
        let ks = run(Policy::AllKeysLru, |ks, now| {
            for i in 0..100 {
                let k = key(i);
                // Keys 80.. were used an hour after the others.
                let t = if i >= 80 { now } else { now - 3_600_000 };
                let mut l = ks.lock_keys(std::iter::once(&k[..]), 0, t);
                l.insert(&k, val(10), 0);
            }
        });
        assert!((80..100).all(|i| exists(&ks, i)), "the recent keys stay");
    }

    #[test]
    fn volatile_policies_never_take_keys_without_expiry() {
        for policy in [
            Policy::VolatileLru,
            Policy::VolatileLfu,
            Policy::VolatileRandom,
        ] {
            let ks = Keyspace::new(1, 16);
            let now = 1_700_000_000_000u64;
            for i in 0..100 {
                let k = key(i);
                let mut l = ks.lock_keys(std::iter::once(&k[..]), 0, now);
                l.insert(&k, val(10), if i < 30 { now + 1_000_000 } else { 0 });
            }
            ks.evict.set_policy(policy);
            ks.evict.maxmemory.store(50, Relaxed);
            let count = || crate::keyspace::Locked::none(&ks, 0, now).dbsize(0) as u64;
            assert_eq!(
                ks.evict(now, false, count, |_, _| {}),
                Outcome::Fail,
                "{policy:?}"
            );
            assert_eq!(count(), 70, "{policy:?}: every volatile key went, no other");
            assert!((30..100).all(|i| exists(&ks, i)));
        }
    }

    #[test]
    fn noeviction_fails_and_random_evicts() {
        let ks = Keyspace::new(1, 16);
        let now = 1_700_000_000_000u64;
        for i in 0..100 {
            let k = key(i);
            ks.lock_keys(std::iter::once(&k[..]), 0, now)
                .insert(&k, val(10), 0);
        }
        ks.evict.maxmemory.store(50, Relaxed);
        let count = || crate::keyspace::Locked::none(&ks, 0, now).dbsize(0) as u64;
        assert_eq!(ks.evict(now, false, count, |_, _| {}), Outcome::Fail);
        assert_eq!(count(), 100);
        ks.evict.set_policy(Policy::AllKeysRandom);
        assert_eq!(ks.evict(now, false, count, |_, _| {}), Outcome::Ok);
        assert_eq!(count(), 50);
    }
}
