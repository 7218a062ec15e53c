//! A map from byte strings to values that keeps its entries in a vector, indexed by a hash
//! table of positions: the big encodings of hashes and sets (`hashtable`) and sorted sets
//! (`skiplist`'s member -> score dictionary) use it, so HSCAN, SSCAN and ZSCAN can walk
//! positions with a cursor, and SPOP/SRANDMEMBER can pick a position in O(1).
//!
//! Positions are dense (`0..len`). Inserting appends; removing moves the last entry into the
//! freed position (`swap_remove`). Nothing else moves an entry: the index is rehashed when it
//! grows, but it stores positions, not entries.
//!
//! # The scan cursor ([`scan_window`])
//! A scan walks positions from the top down. Cursor 0 starts at `len`; each call visits the
//! `count` positions below its cursor and answers the lowest one visited as the next cursor, or
//! 0 once position 0 was visited. A cursor above the current length starts at the length.
//!
//! Guarantee (Redis's SCAN guarantee): an entry present from the first call to the last is
//! returned at least once. An unvisited entry sits below the cursor; removing another entry
//! moves only the last entry, always to a lower position, so an unvisited entry stays below the
//! cursor (an already visited one may move below it and come again). Entries added during the
//! scan may or may not be returned. A call costs O(count), however the collection changed.

use super::elem::Elem;
use hashbrown::{DefaultHashBuilder, HashTable};
use std::hash::BuildHasher;
use std::ops::Range;

/// Byte-string keys to values `V`, in a vector with a hash index of positions. Keys of up to
/// [`super::value::INLINE_MAX`] bytes are held in the vector itself ([`Elem`]), so finding
/// one reads its index slot and its entry, nothing more.
#[derive(Clone, Default)]
pub struct PosMap<V> {
    items: Vec<(Elem, V)>,
    index: HashTable<u32>,
    hasher: DefaultHashBuilder,
}

impl<V: std::fmt::Debug> std::fmt::Debug for PosMap<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(
                self.items
                    .iter()
                    .map(|(k, v)| (String::from_utf8_lossy(k), v)),
            )
            .finish()
    }
}

impl<V> PosMap<V> {
    pub fn new() -> PosMap<V> {
        PosMap {
            items: Vec::new(),
            index: HashTable::new(),
            hasher: DefaultHashBuilder::default(),
        }
    }

    /// An empty map with room for `n` entries (clamped to 64Ki: a hint, not a promise).
    pub fn with_capacity(n: usize) -> PosMap<V> {
        let n = n.min(1 << 16);
        PosMap {
            items: Vec::with_capacity(n),
            index: HashTable::with_capacity(n),
            hasher: DefaultHashBuilder::default(),
        }
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.items.len()
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    #[inline]
    fn position(&self, k: &[u8]) -> Option<usize> {
        let items = &self.items;
        self.index
            .find(self.hasher.hash_one(k), |&i| items[i as usize].0.matches(k))
            .map(|&i| i as usize)
    }

    /// The value of `k`.
    #[inline]
    pub fn get(&self, k: &[u8]) -> Option<&V> {
        self.position(k).map(|i| &self.items[i].1)
    }

    #[inline]
    pub fn get_mut(&mut self, k: &[u8]) -> Option<&mut V> {
        self.position(k).map(|i| &mut self.items[i].1)
    }

    pub fn contains_key(&self, k: &[u8]) -> bool {
        self.position(k).is_some()
    }

    /// Sets `k` to `v`; returns the previous value. A new key goes to the last position.
    pub fn insert(&mut self, k: &[u8], v: V) -> Option<V> {
        if let Some(i) = self.position(k) {
            return Some(std::mem::replace(&mut self.items[i].1, v));
        }
        self.push(Elem::new(k), v);
        None
    }

    /// Appends a key known to be absent.
    fn push(&mut self, k: Elem, v: V) {
        let PosMap {
            items,
            index,
            hasher,
        } = self;
        let pos = items.len() as u32;
        index.insert_unique(hasher.hash_one(&*k), pos, |&i| {
            hasher.hash_one(&*items[i as usize].0)
        });
        items.push((k, v));
    }

    /// Removes `k`; returns its value. The last entry moves into its position.
    pub fn remove(&mut self, k: &[u8]) -> Option<V> {
        let h = self.hasher.hash_one(k);
        let items = &self.items;
        let pos = match self
            .index
            .find_entry(h, |&i| items[i as usize].0.matches(k))
        {
            Ok(e) => e.remove().0 as usize,
            Err(_) => return None,
        };
        Some(self.fill_hole(pos).1)
    }

    /// Removes the entry at position `pos` (< len); the last entry moves into its position.
    pub fn remove_at(&mut self, pos: usize) -> (Elem, V) {
        let h = self.hasher.hash_one(&*self.items[pos].0);
        if let Ok(e) = self.index.find_entry(h, |&i| i as usize == pos) {
            e.remove();
        }
        self.fill_hole(pos)
    }

    /// Takes the entry at `pos` out of the vector once its index entry is gone: the last entry
    /// moves into the hole and its index entry follows.
    fn fill_hole(&mut self, pos: usize) -> (Elem, V) {
        let last = self.items.len() - 1;
        if pos != last {
            let hl = self.hasher.hash_one(&*self.items[last].0);
            if let Some(slot) = self.index.find_mut(hl, |&i| i as usize == last) {
                *slot = pos as u32;
            }
        }
        self.items.swap_remove(pos)
    }

    /// The map's index, to warm the cache ahead of lookups ([`Warm`]); `None` when empty.
    /// O(1): the index's address comes from a full bucket among its first 64 (one cache line
    /// of control bytes), or else from the last entry's bucket, found by one probe. (Walking
    /// to the first full bucket would cost O(buckets) in a table emptied down to a few
    /// entries: hashbrown does not shrink on removal.)
    pub fn warm(&self) -> Option<Warm<'_>> {
        let last = self.items.len().checked_sub(1)?;
        let i = (0..self.index.num_buckets().min(64))
            .find(|&b| self.index.get_bucket(b).is_some())
            .or_else(|| {
                let h = self.hasher.hash_one(&*self.items[last].0);
                self.index.find_bucket_index(h, |&p| p as usize == last)
            })?;
        let bucket = self.index.get_bucket(i)? as *const u32 as usize;
        Some(Warm {
            index: &self.index,
            hasher: &self.hasher,
            ctrl: bucket + (i + 1) * std::mem::size_of::<u32>(),
            items: self.items.as_ptr() as usize,
            item_size: std::mem::size_of::<(Elem, V)>(),
        })
    }

    /// Bytes of the map's own allocations (MEMORY USAGE): the entries' vector at its capacity
    /// and the index, not what the keys and values own on the heap.
    pub fn table_bytes(&self) -> usize {
        use crate::memory::alloc_size;
        alloc_size(self.items.capacity() * std::mem::size_of::<(Elem, V)>(), 8)
            + alloc_size(self.index.allocation_size(), 16)
    }

    /// Heap bytes the entries own beyond the vector, estimated from the first `samples` of
    /// them ([`crate::memory::sampled`]): `f` gives one entry's.
    pub fn sampled_heap(&self, samples: usize, f: impl Fn(&Elem, &V) -> usize) -> usize {
        crate::memory::sampled(self.len(), samples, self.items.iter().map(|(k, v)| f(k, v)))
    }

    /// The entry at position `i` (< len).
    #[inline]
    pub fn at(&self, i: usize) -> (&[u8], &V) {
        let (k, v) = &self.items[i];
        (k, v)
    }

    /// The entries in position order, as a slice.
    #[inline]
    pub fn entries(&self) -> &[(Elem, V)] {
        &self.items
    }

    /// The entries in position order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&[u8], &V)> + '_ {
        self.items.iter().map(|(k, v)| (&k[..], v))
    }

    /// Calls `f` on the entries of one scan step from `cursor` (see the module docs) and
    /// returns the next cursor.
    pub fn scan<'s>(
        &'s self,
        cursor: u64,
        count: usize,
        mut f: impl FnMut(&'s [u8], &'s V),
    ) -> u64 {
        let (range, next) = scan_window(self.len(), cursor, count);
        for i in range.rev() {
            let (k, v) = self.at(i);
            f(k, v);
        }
        next
    }
}

/// A [`PosMap`]'s index seen from the prefetch window (`server/window.rs`), the same for every
/// value type: [`Warm::index`] starts loading the index group an element's hash probes first,
/// then, once that has landed, [`Warm::entry`] starts loading the entries whose control byte
/// matches. The pipeline's lookups that follow then find them cached, as the keyspace's own
/// lookups do (`KeyTable::prefetch_buckets`). Both only prefetch: nothing they compute is read
/// as the map's contents, so a wrong address costs a wasted load, never a wrong answer.
pub struct Warm<'a> {
    index: &'a HashTable<u32>,
    hasher: &'a DefaultHashBuilder,
    /// Address of the index's control bytes: hashbrown keeps bucket `i` at
    /// `ctrl - (i + 1) * 4`.
    ctrl: usize,
    /// Address of entry 0, and an entry's size in bytes.
    items: usize,
    item_size: usize,
}

impl Warm<'_> {
    /// The hash the map files `elem` under.
    #[inline]
    pub fn hash(&self, elem: &[u8]) -> u64 {
        self.hasher.hash_one(elem)
    }

    /// Address of bucket `b`, from the control bytes' address and hashbrown's layout.
    #[inline]
    fn bucket_addr(&self, b: usize) -> usize {
        self.ctrl.wrapping_sub((b + 1) * std::mem::size_of::<u32>())
    }

    /// First step for an element of hash `h`: the control bytes and the buckets of the group
    /// its probe starts at.
    #[inline]
    pub fn index(&self, h: u64) {
        use super::table::prefetch;
        let mask = self.index.num_buckets() - 1;
        let pos = h as usize & mask;
        prefetch(self.ctrl + pos);
        prefetch(self.ctrl + pos + 15);
        // 16 buckets of 4 bytes: at most two cache lines.
        for k in [0, 15] {
            prefetch(self.bucket_addr((pos + k) & mask));
        }
    }

    /// The positions of the entries whose control byte matches `h`: where the element of hash
    /// `h` is, if it is there.
    #[inline]
    fn candidates(&self, h: u64) -> impl Iterator<Item = usize> + '_ {
        self.index
            .iter_hash_buckets(h)
            .filter_map(|b| self.index.get_bucket(b).map(|&pos| pos as usize))
    }

    /// Second step: the entries whose control byte matches `h` (without comparing their keys,
    /// which would wait for them).
    #[inline]
    pub fn entry(&self, h: u64) {
        use super::table::prefetch;
        for pos in self.candidates(h) {
            let at = self.items + pos * self.item_size;
            prefetch(at);
            prefetch(at + self.item_size - 1);
        }
    }
}

impl<V> FromIterator<(Elem, V)> for PosMap<V> {
    /// Builds a map from distinct keys.
    fn from_iter<I: IntoIterator<Item = (Elem, V)>>(it: I) -> PosMap<V> {
        let it = it.into_iter();
        let mut m = PosMap::with_capacity(it.size_hint().0);
        for (k, v) in it {
            m.push(k, v);
        }
        m
    }
}

/// One step of a top-down positional scan over `len` positions (module docs): the positions to
/// visit (walked from the highest) and the next cursor (0: done).
pub fn scan_window(len: usize, cursor: u64, count: usize) -> (Range<usize>, u64) {
    let end = if cursor == 0 || cursor > len as u64 {
        len
    } else {
        cursor as usize
    };
    let start = end.saturating_sub(count.max(1));
    (start..end, start as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn insert_remove_keep_the_index() {
        let mut m = PosMap::new();
        for i in 0..100u32 {
            assert_eq!(m.insert(format!("k{i}").as_bytes(), i), None);
        }
        assert_eq!(m.insert(b"k5", 500), Some(5));
        for i in (0..100u32).step_by(3) {
            assert!(m.remove(format!("k{i}").as_bytes()).is_some());
        }
        assert_eq!(m.remove(b"k0"), None);
        for i in 0..100u32 {
            let want = (i % 3 != 0).then_some(if i == 5 { 500 } else { i });
            assert_eq!(m.get(format!("k{i}").as_bytes()).copied(), want, "k{i}");
        }
        assert_eq!(m.len(), 66);
    }

    /// The prefetch addresses follow the map: the bucket layout assumed matches hashbrown's, and
    /// the element's position is among the candidates of its hash.
    #[test]
    fn warm_aims_at_the_index_and_the_entries() {
        let mut m = PosMap::new();
        assert!(m.warm().is_none());
        for i in 0..5000u32 {
            m.insert(format!("member:{i}").as_bytes(), i);
        }
        for i in (0..5000u32).step_by(7) {
            m.remove(format!("member:{i}").as_bytes());
        }
        let w = m.warm().expect("not empty");
        for b in m.index.iter_buckets() {
            let at = m.index.get_bucket(b).unwrap() as *const u32 as usize;
            assert_eq!(w.bucket_addr(b), at, "bucket {b}");
        }
        for i in 0..5000u32 {
            let k = format!("member:{i}");
            let mut c = w.candidates(w.hash(k.as_bytes()));
            match m.position(k.as_bytes()) {
                Some(pos) => assert!(c.any(|p| p == pos), "{k}"),
                None => assert!(c.all(|p| &*m.items[p].0 != k.as_bytes()), "{k}"),
            }
        }
        assert_eq!(w.items, m.items.as_ptr() as usize);
        // Emptied down to a few entries (the index keeps its size), none in the first 64
        // buckets: the address comes from the last entry's bucket, and is the same.
        let ctrl = w.ctrl;
        for i in 0..4990u32 {
            m.remove(format!("member:{i}").as_bytes());
        }
        let low: Vec<Vec<u8>> = m
            .iter()
            .map(|(k, _)| k.to_vec())
            .filter(|k| {
                let pos = m.position(k).unwrap();
                let h = m.hasher.hash_one(&k[..]);
                m.index
                    .find_bucket_index(h, |&p| p as usize == pos)
                    .unwrap()
                    < 64
            })
            .collect();
        for k in low {
            m.remove(&k);
        }
        assert!(!m.is_empty() && (0..64).all(|b| m.index.get_bucket(b).is_none()));
        let w = m.warm().expect("not empty");
        assert_eq!(w.ctrl, ctrl);
        for b in m.index.iter_buckets() {
            let at = m.index.get_bucket(b).unwrap() as *const u32 as usize;
            assert_eq!(w.bucket_addr(b), at, "bucket {b}");
        }
    }

    #[test]
    fn scan_returns_every_entry_present_throughout() {
        let mut m = PosMap::new();
        for i in 0..1000u32 {
            m.insert(format!("k{i}").as_bytes(), i);
        }
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut step = 0u32;
        loop {
            cursor = m.scan(cursor, 10, |k, _| {
                seen.insert(k.to_vec());
            });
            // Churn: remove some never-kept keys, add new ones.
            for j in 0..7 {
                m.remove(format!("k{}", (step * 7 + j) % 500 + 500).as_bytes());
                m.insert(format!("new{step}-{j}").as_bytes(), 0);
            }
            step += 1;
            if cursor == 0 {
                break;
            }
        }
        for i in 0..500 {
            assert!(seen.contains(format!("k{i}").as_bytes()), "k{i}");
        }
    }
}
