//! The sorted set type. Owner: the sorted sets family (`commands/zsets.rs`).
//!
//! Two encodings, as Redis 7.0 (`t_zset.c`):
//! - `listpack`: a `Vec` of (score, member) kept sorted by (score, member), while there are at
//!   most [`MAX_LISTPACK_ENTRIES`] entries and every member has at most [`MAX_LISTPACK_VALUE`]
//!   bytes (zset-max-listpack-entries / zset-max-listpack-value);
//! - `skiplist`: a member -> score map (a [`PosMap`], whose positions ZSCAN walks with a cursor,
//!   see [`super::posmap`]) plus an order-statistic B+ tree ordered by (score, member)
//!   ([`super::ztree`]), so rank, select-by-rank and range bounds are O(log n).
//!
//! The conversion is one way, except for the results of the store commands, which Redis
//! re-compacts ([`ZSet::from_sorted`]).

use super::elem::Elem;
use super::posmap::PosMap;
use super::ztree::{less, Tree};

/// Redis's default `zset-max-listpack-entries`.
pub const MAX_LISTPACK_ENTRIES: usize = 128;
/// Redis's default `zset-max-listpack-value`.
pub const MAX_LISTPACK_VALUE: usize = 64;

#[derive(Debug, Clone)]
struct Big {
    /// Member -> score, positional so ZSCAN can walk it with a cursor.
    map: PosMap<f64>,
    tree: Tree,
}

#[derive(Debug, Clone)]
enum Repr {
    Small(Vec<(f64, Elem)>),
    Big(Box<Big>),
}

/// A sorted set of members with scores.
#[derive(Debug, Clone)]
pub struct ZSet {
    repr: Repr,
}

impl Default for ZSet {
    fn default() -> ZSet {
        ZSet {
            repr: Repr::Small(Vec::new()),
        }
    }
}

impl PartialEq for ZSet {
    fn eq(&self, other: &ZSet) -> bool {
        self.len() == other.len() && (0..self.len()).all(|i| self.get(i) == other.get(i))
    }
}

impl ZSet {
    /// An empty set in the encoding Redis's `zsetTypeCreate(size_hint, value_len_hint)` picks.
    pub fn with_hint(size: usize, max_member_len: usize) -> ZSet {
        if size > MAX_LISTPACK_ENTRIES || max_member_len > MAX_LISTPACK_VALUE {
            ZSet {
                repr: Repr::Big(Box::new(Big {
                    map: PosMap::with_capacity(size),
                    tree: Tree::new(),
                })),
            }
        } else {
            ZSet::default()
        }
    }

    /// A set from entries sorted by (score, member) with distinct members, compacted as Redis's
    /// `zsetConvertToListpackIfNeeded` does for the store commands' results.
    pub fn from_sorted<M: AsRef<[u8]> + Into<Elem>>(v: Vec<(f64, M)>) -> ZSet {
        let maxlen = v.iter().map(|(_, m)| m.as_ref().len()).max().unwrap_or(0);
        if v.len() <= MAX_LISTPACK_ENTRIES && maxlen <= MAX_LISTPACK_VALUE {
            return ZSet {
                repr: Repr::Small(v.into_iter().map(|(s, m)| (s, m.into())).collect()),
            };
        }
        let mut z = ZSet::with_hint(v.len(), MAX_LISTPACK_VALUE + 1);
        for (s, m) in v {
            z.insert(s, m.as_ref());
        }
        z
    }

    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Small(v) => v.len(),
            Repr::Big(b) => b.map.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// OBJECT ENCODING.
    pub fn encoding(&self) -> &'static str {
        match &self.repr {
            Repr::Small(_) => "listpack",
            Repr::Big(_) => "skiplist",
        }
    }

    /// The score of `member`.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match &self.repr {
            Repr::Small(v) => v.iter().find(|(_, m)| &**m == member).map(|(s, _)| *s),
            Repr::Big(b) => b.map.get(member).copied(),
        }
    }

    fn make_big(&mut self) {
        if let Repr::Small(v) = &mut self.repr {
            let v = std::mem::take(v);
            let mut big = Big {
                map: PosMap::with_capacity(v.len() + 1),
                tree: Tree::new(),
            };
            for (s, m) in v {
                big.map.insert(&m, s);
                big.tree.insert(s, m);
            }
            self.repr = Repr::Big(Box::new(big));
        }
    }

    /// Converts to the `skiplist` encoding (one way), as Redis 7.0's SORT does to a sorted set
    /// it sorts.
    pub fn make_skiplist(&mut self) {
        self.make_big();
    }

    /// Sets the score of `member`, adding it if absent; returns the previous score.
    /// Converts to `skiplist` as Redis's `zsetAdd` does.
    pub fn insert(&mut self, score: f64, member: &[u8]) -> Option<f64> {
        if let Repr::Small(v) = &self.repr {
            let present = v.iter().any(|(_, m)| &**m == member);
            if !present && (v.len() + 1 > MAX_LISTPACK_ENTRIES || member.len() > MAX_LISTPACK_VALUE)
            {
                self.make_big();
            }
        }
        match &mut self.repr {
            Repr::Small(v) => {
                // A listpack stores `-0` as the integer 0.
                let score = if score == 0.0 { 0.0 } else { score };
                let old = v
                    .iter()
                    .position(|(_, m)| &**m == member)
                    .map(|i| v.remove(i));
                let at = v.partition_point(|(s, m)| less(*s, m, score, member));
                let (prev, m) = match old {
                    Some((s, m)) => (Some(s), m),
                    None => (None, member.into()),
                };
                v.insert(at, (score, m));
                prev
            }
            Repr::Big(b) => {
                // One lookup in the map; a present member keeps its tree node.
                if let Some(s) = b.map.get_mut(member) {
                    let old = *s;
                    if old != score {
                        *s = score;
                        b.tree.rescore(old, member, score);
                    }
                    return Some(old);
                }
                b.tree.insert(score, member.into());
                b.map.insert(member, score);
                None
            }
        }
    }

    /// Removes `member`; returns its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        match &mut self.repr {
            Repr::Small(v) => {
                let i = v.iter().position(|(_, m)| &**m == member)?;
                Some(v.remove(i).0)
            }
            Repr::Big(b) => {
                let s = b.map.remove(member)?;
                b.tree.remove(s, member);
                Some(s)
            }
        }
    }

    /// The 0-based rank of an entry (score, member) in ascending order (the number of entries
    /// sorting before it).
    pub fn rank(&self, score: f64, member: &[u8]) -> usize {
        self.partition_point(|s, m| less(s, m, score, member))
    }

    /// The number of leading entries (ascending) for which `pred` holds; `pred` must hold on a
    /// prefix of the order.
    pub fn partition_point(&self, pred: impl Fn(f64, &[u8]) -> bool) -> usize {
        match &self.repr {
            Repr::Small(v) => v.partition_point(|(s, m)| pred(*s, m)),
            Repr::Big(b) => b.tree.partition_point(&pred),
        }
    }

    /// The entry of rank `i` (< len), ascending.
    pub fn get(&self, i: usize) -> (f64, &[u8]) {
        match &self.repr {
            Repr::Small(v) => (v[i].0, &v[i].1),
            Repr::Big(b) => b.tree.select(i as u32),
        }
    }

    /// All entries in ascending order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (f64, &[u8])> + '_ {
        self.range(0, self.len())
    }

    /// The entries of ranks `start..end` (`start <= end <= len`), ascending; `.rev()` gives
    /// them descending. A skiplist finds each leaf of the run once (ZRANGE, ZPOPMIN), where
    /// [`ZSet::get`] per rank would descend the tree per entry.
    pub fn range(
        &self,
        start: usize,
        end: usize,
    ) -> impl DoubleEndedIterator<Item = (f64, &[u8])> + ExactSizeIterator + '_ {
        match &self.repr {
            Repr::Small(v) => Either::Small(v[start..end].iter().map(|(s, m)| (*s, &m[..]))),
            Repr::Big(b) => Either::Big(b.tree.range(start as u32, end as u32)),
        }
    }

    /// One ZSCAN step from `cursor`: calls `f` on each (member, score) visited and returns the
    /// next cursor. A listpack is visited whole in order (cursor 0), as Redis does; a skiplist
    /// visits `count` positions of its member dictionary (see [`super::posmap`]).
    pub fn scan<'s>(&'s self, cursor: u64, count: usize, mut f: impl FnMut(&'s [u8], f64)) -> u64 {
        match &self.repr {
            Repr::Small(v) => {
                for (s, m) in v {
                    f(m, *s);
                }
                0
            }
            Repr::Big(b) => b.map.scan(cursor, count, |m, s| f(m, *s)),
        }
    }

    /// The member map's index, for the prefetch window; `None` for a listpack.
    pub fn warm(&self) -> Option<super::posmap::Warm<'_>> {
        match &self.repr {
            Repr::Big(b) => b.map.warm(),
            Repr::Small(_) => None,
        }
    }

    /// Heap bytes of the set beyond its own struct (MEMORY USAGE): the listpack's vector, or the
    /// member map's and the tree's allocations plus what the members own beyond them (twice:
    /// the map and the tree each hold a copy), estimated from `samples` members.
    pub fn mem_usage(&self, samples: usize) -> usize {
        use crate::memory::{alloc_size, sampled, size_class};
        match &self.repr {
            Repr::Small(v) => {
                alloc_size(v.capacity() * std::mem::size_of::<(f64, Elem)>(), 8)
                    + sampled(v.len(), samples, v.iter().map(|(_, m)| m.heap_size()))
            }
            Repr::Big(b) => {
                size_class(std::mem::size_of::<Big>(), 8)
                    + b.map.table_bytes()
                    + b.tree.arena_bytes()
                    + b.map.sampled_heap(samples, |m, _| 2 * m.heap_size())
            }
        }
    }

    /// Removes the entries of ranks `start..end` (ascending); returns how many.
    pub fn remove_ranks(&mut self, start: usize, end: usize) -> usize {
        let end = end.min(self.len());
        if start >= end {
            return 0;
        }
        match &mut self.repr {
            Repr::Small(v) => {
                v.drain(start..end);
            }
            Repr::Big(b) => {
                let Big { map, tree } = &mut **b;
                tree.remove_ranks(start as u32, end as u32, &mut |m| {
                    map.remove(m);
                });
            }
        }
        end - start
    }
}

/// One of two iterators: a listpack's or a skiplist's.
enum Either<A, B> {
    Small(A),
    Big(B),
}

impl<'a, A, B> Iterator for Either<A, B>
where
    A: Iterator<Item = (f64, &'a [u8])>,
    B: Iterator<Item = (f64, &'a [u8])>,
{
    type Item = (f64, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Either::Small(a) => a.next(),
            Either::Big(b) => b.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Either::Small(a) => a.size_hint(),
            Either::Big(b) => b.size_hint(),
        }
    }
}

impl<'a, A, B> DoubleEndedIterator for Either<A, B>
where
    A: DoubleEndedIterator<Item = (f64, &'a [u8])>,
    B: DoubleEndedIterator<Item = (f64, &'a [u8])>,
{
    fn next_back(&mut self) -> Option<Self::Item> {
        match self {
            Either::Small(a) => a.next_back(),
            Either::Big(b) => b.next_back(),
        }
    }
}

impl<'a, A, B> ExactSizeIterator for Either<A, B>
where
    A: ExactSizeIterator<Item = (f64, &'a [u8])>,
    B: ExactSizeIterator<Item = (f64, &'a [u8])>,
{
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listpack_converts_to_skiplist_one_way() {
        let mut z = ZSet::default();
        for i in 0..MAX_LISTPACK_ENTRIES {
            assert_eq!(z.insert(i as f64, format!("m{i}").as_bytes()), None);
        }
        assert_eq!(z.encoding(), "listpack");
        assert_eq!(z.insert(5.0, b"m5"), Some(5.0));
        assert_eq!(z.encoding(), "listpack");
        z.insert(-1.0, b"new");
        assert_eq!(z.encoding(), "skiplist");
        assert_eq!(z.get(0), (-1.0, &b"new"[..]));
        assert_eq!(z.remove(b"new"), Some(-1.0));
        assert_eq!(z.encoding(), "skiplist");
        let mut s = ZSet::default();
        s.insert(1.0, &[b'x'; 65]);
        assert_eq!(s.encoding(), "skiplist");
    }

    #[test]
    fn big_and_small_agree() {
        let mut small: Vec<(f64, Vec<u8>)> = Vec::new();
        let mut z = ZSet::with_hint(1000, 0);
        let mut x: u64 = 7;
        for _ in 0..3000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let m = format!("k{}", (x >> 33) % 300).into_bytes();
            let s = ((x >> 20) % 50) as f64;
            match (x >> 60) % 3 {
                0 => {
                    let had = small.iter().position(|(_, mm)| *mm == m);
                    let r = z.remove(&m);
                    assert_eq!(r, had.map(|i| small.remove(i).0));
                }
                _ => {
                    let had = small.iter().position(|(_, mm)| *mm == m);
                    let prev = had.map(|i| small.remove(i).0);
                    small.push((s, m.clone()));
                    assert_eq!(z.insert(s, &m), prev);
                }
            }
            small.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap().then(a.1.cmp(&b.1)));
            assert_eq!(z.len(), small.len());
        }
        assert!(z.iter().eq(small.iter().map(|(s, m)| (*s, &m[..]))));
        assert!(z
            .range(5, 50)
            .rev()
            .eq(small[5..50].iter().rev().map(|(s, m)| (*s, &m[..]))));
        for (i, (s, m)) in small.iter().enumerate() {
            assert_eq!(z.get(i), (*s, &m[..]));
            assert_eq!(z.rank(*s, m), i);
            assert_eq!(z.score(m), Some(*s));
        }
        let n = z.remove_ranks(10, 20);
        assert_eq!(n, 10);
        small.drain(10..20);
        for (i, (s, m)) in small.iter().enumerate() {
            assert_eq!(z.get(i), (*s, &m[..]));
        }
        assert_eq!(z.len(), small.len());
    }
}
