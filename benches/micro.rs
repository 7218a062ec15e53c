//! Micro-benchmarks of shoal's hot path, in process (divan): the RESP request parser, the hash
//! slot of a key, keyspace GET/SET through the locked view the command handlers use, and the
//! sorted set's ZADD and ZRANK.
//!
//! Run all with `cargo bench --bench micro`, or some with a filter:
//! `cargo bench --bench micro -- parse` (divan's options follow `--`, e.g. `--sample-count 20`).
//!
//! Every input (request bytes, keys, the pre-filled keyspace) is built outside the timed
//! closures; the closures take their inputs through [`black_box`] so nothing is folded away at
//! compile time. The process uses the server's own global allocator ([`shoal::memory::Counting`],
//! jemalloc with byte counting), so allocation costs are the server's.

use std::iter;
use std::ops::Range;
use std::sync::LazyLock;

use divan::counter::{BytesCount, ItemsCount};
use divan::{black_box, Bencher};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use shoal::keyspace::{Keyspace, Str, Value};
use shoal::protocol::{parse_request, ParseError, RequestLimits};

#[global_allocator]
static ALLOC: shoal::memory::Counting = shoal::memory::Counting;

fn main() {
    divan::main();
}

/// `key:%012d`: 16 bytes, the keys of the keyspace benchmarks and of the parsed SETs.
fn key(i: u64) -> Vec<u8> {
    format!("key:{i:012}").into_bytes()
}

/// A 16-byte value that is not an integer (so it is stored as a string, not an `int`).
const VALUE16: &[u8] = b"value-abcdefghij";

/// `SET <key> <value>` as a RESP multibulk request.
fn set_request(key: &[u8], value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 + key.len() + value.len());
    out.extend_from_slice(b"*3\r\n$3\r\nSET\r\n");
    for arg in [key, value] {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// The RESP parser, `shoal::protocol::parse_request`.
mod parse {
    use super::*;

    /// The parser's reusable state, as a connection (`Conn`) holds it.
    struct Parser {
        limits: RequestLimits,
        ranges: Vec<Range<usize>>,
        scratch: Vec<u8>,
        hint: usize,
    }

    impl Parser {
        fn new() -> Parser {
            Parser {
                limits: RequestLimits::default(),
                ranges: Vec::with_capacity(16),
                scratch: Vec::with_capacity(64),
                hint: 0,
            }
        }

        /// One request from the start of `buf`: its length in bytes, 0 when incomplete.
        #[inline]
        fn one(&mut self, buf: &[u8]) -> Result<usize, ParseError> {
            let r = parse_request(
                buf,
                &self.limits,
                &mut self.ranges,
                &mut self.scratch,
                &mut self.hint,
            )?;
            Ok(r.map_or(0, |r| r.len))
        }

        /// Every complete request in `buf`, one after another, as `Conn::process` walks its read
        /// buffer: returns (requests with arguments, bytes consumed).
        #[inline]
        fn all(&mut self, buf: &[u8]) -> Result<(usize, usize), ParseError> {
            let (mut n, mut pos) = (0, 0);
            loop {
                let len = self.one(&buf[pos..])?;
                if len == 0 {
                    return Ok((n, pos));
                }
                if !self.ranges.is_empty() {
                    n += 1;
                }
                pos += len;
            }
        }
    }

    /// Times parsing the single request `req`, after checking once that it parses whole into
    /// `args` arguments.
    fn bench_one(bencher: Bencher, req: &[u8], args: usize) {
        let mut p = Parser::new();
        assert_eq!(p.one(req), Ok(req.len()));
        assert_eq!(p.ranges.len(), args);
        bencher
            .counter(BytesCount::of_slice(req))
            .bench_local(|| p.one(black_box(req)));
    }

    /// `SET key:000000012345 <16-byte value>`, 49 bytes.
    #[divan::bench]
    fn set_16b(bencher: Bencher) {
        bench_one(bencher, &set_request(&key(12345), VALUE16), 3);
    }

    /// 16 such SETs (different keys) in one buffer, parsed one after another.
    #[divan::bench]
    fn set_16b_pipeline_16(bencher: Bencher) {
        let buf: Vec<u8> = (0..16)
            .flat_map(|i| set_request(&key(12345 + i), VALUE16))
            .collect();
        let mut p = Parser::new();
        assert_eq!(p.all(&buf), Ok((16, buf.len())));
        bencher
            .counter(BytesCount::of_slice(&buf))
            .counter(ItemsCount::new(16usize))
            .bench_local(|| p.all(black_box(&buf)));
    }

    /// `SET key:000000012345 <1024-byte value>`.
    #[divan::bench]
    fn set_1kb(bencher: Bencher) {
        let value: Vec<u8> = (0..1024).map(|i| b'a' + (i % 26) as u8).collect();
        bench_one(bencher, &set_request(&key(12345), &value), 3);
    }

    /// The inline command `PING\r\n` (arguments copied into the scratch buffer).
    #[divan::bench]
    fn inline_ping(bencher: Bencher) {
        bench_one(bencher, b"PING\r\n", 1);
    }
}

/// Hash slots: `shoal::keyspace::key_slot` (CRC16 of the key or its `{hash tag}`) and `crc16`.
mod slot {
    use super::*;
    use shoal::keyspace::key_slot;
    use shoal::keyspace::slot::crc16;

    fn kb_key() -> Vec<u8> {
        (0..1024).map(|i| b'a' + (i % 26) as u8).collect()
    }

    /// `key:000000012345`, 16 bytes, no tag.
    #[divan::bench]
    fn key_slot_16b(bencher: Bencher) {
        let k = key(12345);
        bencher
            .counter(BytesCount::of_slice(&k))
            .bench_local(|| key_slot(black_box(&k)));
    }

    /// `{user:1000}:followers`, 21 bytes: the tag is found, then only `user:1000` is hashed.
    #[divan::bench]
    fn key_slot_hash_tag(bencher: Bencher) {
        let k = b"{user:1000}:followers".to_vec();
        bencher
            .counter(BytesCount::of_slice(&k))
            .bench_local(|| key_slot(black_box(&k)));
    }

    /// A 1024-byte key without braces (the tag scan reads it all, then CRC16 does).
    #[divan::bench]
    fn key_slot_1kb(bencher: Bencher) {
        let k = kb_key();
        bencher
            .counter(BytesCount::of_slice(&k))
            .bench_local(|| key_slot(black_box(&k)));
    }

    /// CRC16 alone on the 16-byte key.
    #[divan::bench]
    fn crc16_16b(bencher: Bencher) {
        let k = key(12345);
        bencher
            .counter(BytesCount::of_slice(&k))
            .bench_local(|| crc16(black_box(&k)));
    }

    /// CRC16 alone on the 1024-byte key.
    #[divan::bench]
    fn crc16_1kb(bencher: Bencher) {
        let k = kb_key();
        bencher
            .counter(BytesCount::of_slice(&k))
            .bench_local(|| crc16(black_box(&k)));
    }
}

/// Keyspace GET/SET as `commands::strings::get` and `set_generic` do them: `lock_keys` on the
/// key, then `Locked::lookup_read` (GET) or `lookup_write` + `insert` (SET), in database 0.
mod keyspace {
    use super::*;
    use shoal::commands::strings::as_str;

    /// Keys pre-filled: `key:000000000000` .. `key:000000099999`.
    const KEYS: u64 = 100_000;
    /// Pre-drawn random existing keys the timed loops cycle through (a power of two).
    const DRAWN: usize = 1 << 16;
    /// The commands' clock, unix ms: fixed, since no key has an expiry.
    ///
    /// The benchmarks below run 1000 samples of 100 iterations (100,000 operations), not
    /// divan's default of 100 samples sized to the timer (here 1 operation each), so that the
    /// drawn keys are cycled through and one cold cache line does not make a sample.
    const NOW: u64 = 1_700_000_000_000;

    /// A keyspace as the server makes it (16 databases, the `shards` default), holding `KEYS`
    /// keys with 16-byte string values.
    fn filled() -> Keyspace {
        let shards = shoal::config::Config::default().shards;
        let ks = Keyspace::new(16, shards);
        for i in 0..KEYS {
            let k = key(i);
            let mut l = ks.lock_keys(iter::once(&k[..]), 0, NOW);
            l.insert(&k, Value::Str(Str::from_bytes(VALUE16)), 0);
        }
        ks
    }

    /// Shared by the GET and overwrite benchmarks, which do not change its size.
    static FILLED: LazyLock<Keyspace> = LazyLock::new(filled);

    /// The shared pre-filled keyspace (for `keyspace_threads`).
    pub(super) fn filled_keyspace() -> &'static Keyspace {
        &FILLED
    }

    /// The drawn keys (for `keyspace_threads`).
    pub(super) fn drawn_keys() -> Vec<Vec<u8>> {
        drawn()
    }

    /// The commands' clock (for `keyspace_threads`).
    pub(super) const CLOCK: u64 = NOW;

    /// `DRAWN` existing keys drawn uniformly with a fixed seed.
    fn drawn() -> Vec<Vec<u8>> {
        let mut rng = StdRng::seed_from_u64(8);
        (0..DRAWN).map(|_| key(rng.gen_range(0..KEYS))).collect()
    }

    /// GET of a random existing key: lock its shard, look it up for a read, read its bytes.
    #[divan::bench(sample_count = 1000, sample_size = 100)]
    fn get_existing(bencher: Bencher) {
        let ks = &*FILLED;
        let keys = drawn();
        let mut i = 0usize;
        bencher.counter(ItemsCount::new(1usize)).bench_local(|| {
            let k = black_box(&keys[i % DRAWN][..]);
            i = i.wrapping_add(1);
            let mut l = ks.lock_keys(iter::once(k), 0, NOW);
            match l.lookup_read(k) {
                Some(e) => as_str(e).map_or(0, |s| s.with_bytes(|b| black_box(b).len())),
                None => panic!("pre-filled key missing"),
            }
        });
    }

    /// Sixteen GETs of random existing keys, as a pipeline of 16 runs them: each looks its key
    /// up only when the one before is done, so their cache misses come one after another.
    #[divan::bench(sample_count = 1000, sample_size = 10)]
    fn get_16(bencher: Bencher) {
        get_batch(bencher, false);
    }

    /// The same sixteen GETs after the connection's prefetch window warmed their keys
    /// (`Keyspace::ahead`, `prefetch_buckets`, `prefetch_node`, each over all 16 keys): the
    /// misses overlap. Compare its time per GET with `get_16`'s.
    #[divan::bench(sample_count = 1000, sample_size = 10)]
    fn get_16_prefetched(bencher: Bencher) {
        get_batch(bencher, true);
    }

    fn get_batch(bencher: Bencher, prefetch: bool) {
        let ks = &*FILLED;
        let keys = drawn();
        let mut i = 0usize;
        bencher.counter(ItemsCount::new(16usize)).bench_local(|| {
            let batch: [&[u8]; 16] = std::array::from_fn(|j| &keys[(i + j) % DRAWN][..]);
            i = i.wrapping_add(16);
            if prefetch {
                let ahead = batch.map(|k| ks.ahead(0, black_box(k)));
                ahead.iter().for_each(|a| ks.prefetch_buckets(a));
                ahead.iter().for_each(|a| ks.prefetch_node(a));
            }
            let mut n = 0;
            for k in batch {
                let k = black_box(k);
                let mut l = ks.lock_key(k, 0, NOW);
                n += match l.lookup_read(k) {
                    Some(e) => as_str(e).map_or(0, |s| s.with_bytes(|b| black_box(b).len())),
                    None => panic!("pre-filled key missing"),
                };
            }
            n
        });
    }

    /// SET of a random existing key (no options): lock, look up for a write, replace the entry.
    #[divan::bench(sample_count = 1000, sample_size = 100)]
    fn set_existing(bencher: Bencher) {
        let ks = &*FILLED;
        let keys = drawn();
        let value = b"value-0123456789".to_vec();
        let mut i = 0usize;
        bencher.counter(ItemsCount::new(1usize)).bench_local(|| {
            let k = black_box(&keys[i % DRAWN][..]);
            i = i.wrapping_add(1);
            let mut l = ks.lock_keys(iter::once(k), 0, NOW);
            let found = l.lookup_write(k).is_some();
            l.insert(k, Value::Str(Str::from_bytes(black_box(&value))), 0);
            found
        });
    }

    /// SET of a new key (`new:%012d`, counting up) into a keyspace of its own that starts with
    /// `KEYS` keys and grows by every insert, table resizes included (amortised).
    #[divan::bench(sample_count = 1000, sample_size = 100)]
    fn set_new(bencher: Bencher) {
        let ks = filled();
        let mut n = 0u64;
        bencher
            .counter(ItemsCount::new(1usize))
            .with_inputs(|| {
                n += 1;
                format!("new:{n:012}").into_bytes()
            })
            .bench_local_refs(|k| {
                let k = black_box(&k[..]);
                let mut l = ks.lock_keys(iter::once(k), 0, NOW);
                let found = l.lookup_write(k).is_some();
                l.insert(k, Value::Str(Str::from_bytes(black_box(VALUE16))), 0);
                found
            });
    }
}

/// The same GET and SET on 1 and 2 threads at once (divan's `threads`): each thread cycles
/// through the drawn keys from its own starting point. Every shard has its own lock, so two
/// threads should each keep most of one thread's rate: the aggregate throughput is
/// `threads x 1 / (time per operation)`, which `benches/README.md` turns into the scaling
/// figure. On a machine with fewer cores than threads the threads share a core and it cannot
/// grow.
mod keyspace_threads {
    use super::*;
    use std::cell::Cell;

    thread_local! {
        /// This thread's position in the drawn keys; threads start far apart.
        static NEXT: Cell<usize> = const { Cell::new(usize::MAX) };
    }

    /// The next drawn key for this thread.
    fn next_key(keys: &[Vec<u8>]) -> &[u8] {
        let i = NEXT.with(|c| {
            let mut i = c.get();
            if i == usize::MAX {
                // A different start per thread: the address of its own cell, scrambled.
                i = (c as *const Cell<usize> as usize).wrapping_mul(0x9E37_79B9);
            }
            c.set(i.wrapping_add(1));
            i
        });
        &keys[i % keys.len()]
    }

    static KEYS: LazyLock<Vec<Vec<u8>>> = LazyLock::new(super::keyspace::drawn_keys);

    #[divan::bench(threads = [1, 2], sample_count = 200, sample_size = 500)]
    fn get_existing(bencher: Bencher) {
        let ks = super::keyspace::filled_keyspace();
        let keys = &*KEYS;
        bencher.counter(ItemsCount::new(1usize)).bench(|| {
            let k = black_box(next_key(keys));
            let mut l = ks.lock_keys(iter::once(k), 0, super::keyspace::CLOCK);
            l.lookup_read(k).is_some()
        });
    }

    #[divan::bench(threads = [1, 2], sample_count = 200, sample_size = 500)]
    fn set_existing(bencher: Bencher) {
        let ks = super::keyspace::filled_keyspace();
        let keys = &*KEYS;
        bencher.counter(ItemsCount::new(1usize)).bench(|| {
            let k = black_box(next_key(keys));
            let mut l = ks.lock_keys(iter::once(k), 0, super::keyspace::CLOCK);
            let found = l.lookup_write(k).is_some();
            l.insert(k, Value::Str(Str::from_bytes(black_box(VALUE16))), 0);
            found
        });
    }
}

/// A sorted set of the `skiplist` encoding (`shoal::keyspace::zset::ZSet`), as redis-benchmark's
/// ZADD test drives it (`ZADD myzset <rand> element:<rand>`, `-r 100000`): one set of 100,000
/// members, each ZADD giving a random member a random score, so nearly every call moves a
/// present member in the order (the tree's remove and insert descents).
mod zset {
    use super::*;
    use shoal::keyspace::zset::ZSet;

    const MEMBERS: u64 = 100_000;

    fn member(i: u64) -> Vec<u8> {
        format!("element:{i:06}").into_bytes()
    }

    /// (score, member) pairs drawn with a fixed seed, cycled through by the timed loop.
    fn drawn() -> Vec<(f64, Vec<u8>)> {
        let mut rng = StdRng::seed_from_u64(9);
        (0..1 << 16)
            .map(|_| {
                let s = rng.gen_range(0..MEMBERS) as f64;
                (s, member(rng.gen_range(0..MEMBERS)))
            })
            .collect()
    }

    /// A set of `MEMBERS` members with random scores.
    fn filled() -> ZSet {
        let mut z = ZSet::with_hint(MEMBERS as usize, 0);
        let mut rng = StdRng::seed_from_u64(10);
        for i in 0..MEMBERS {
            z.insert(rng.gen_range(0..MEMBERS) as f64, &member(i));
        }
        z
    }

    #[divan::bench(sample_count = 1000, sample_size = 100)]
    fn zadd_100k(bencher: Bencher) {
        let mut z = filled();
        let ops = drawn();
        let mut i = 0usize;
        bencher.counter(ItemsCount::new(1usize)).bench_local(|| {
            let (s, m) = &ops[i % ops.len()];
            i = i.wrapping_add(1);
            z.insert(black_box(*s), black_box(m))
        });
    }

    /// ZRANK's walk: the rank of a random present member.
    #[divan::bench(sample_count = 1000, sample_size = 100)]
    fn zrank_100k(bencher: Bencher) {
        let z = filled();
        let ops = drawn();
        let mut i = 0usize;
        bencher.counter(ItemsCount::new(1usize)).bench_local(|| {
            let m = &ops[i % ops.len()].1;
            i = i.wrapping_add(1);
            let s = z.score(black_box(m)).expect("a present member");
            z.rank(s, m)
        });
    }
}
