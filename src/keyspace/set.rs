//! The set type. Owner: the sets family (`commands/sets.rs`).
//!
//! Two encodings, as Redis 7.0 (`t_set.c`, `intset.c`):
//! - `intset`: a sorted `Vec<i64>` searched by binary search, while every member is a canonical
//!   integer (`string2ll`, [`crate::util::parse_i64`]) and there are at most
//!   [`MAX_INTSET_ENTRIES`] (set-max-intset-entries) of them;
//! - `hashtable`: a [`PosMap`] (members in a `Vec` indexed by a hash table of positions), so a
//!   random member (SPOP, SRANDMEMBER) is O(1) and SSCAN can walk positions with a cursor.
//!
//! The conversion is one way: a `hashtable` set never goes back to `intset`.

use super::posmap::PosMap;

/// The `hashtable` encoding: members by position plus a hash index of positions.
pub type Table = PosMap<()>;

/// Redis's default `set-max-intset-entries`.
pub const MAX_INTSET_ENTRIES: usize = 512;

/// A member seen through either encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Member<'a> {
    Int(i64),
    Bytes(&'a [u8]),
}

impl Member<'_> {
    /// Calls `f` with the member's bytes without allocating.
    #[inline]
    pub fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            Member::Int(n) => f(itoa::Buffer::new().format(*n).as_bytes()),
            Member::Bytes(b) => f(b),
        }
    }

    pub fn to_vec(&self) -> Vec<u8> {
        self.with_bytes(|b| b.to_vec())
    }
}

/// A set of byte strings.
#[derive(Clone)]
pub enum Set {
    /// Sorted canonical integers (`intset`).
    Ints(Vec<i64>),
    /// Any members (`hashtable`).
    Table(Box<Table>),
}

impl Default for Set {
    fn default() -> Set {
        Set::Ints(Vec::new())
    }
}

impl std::fmt::Debug for Set {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut l = f.debug_set();
        for i in 0..self.len() {
            l.entry(&String::from_utf8_lossy(&self.get(i).to_vec()));
        }
        l.finish()
    }
}

impl PartialEq for Set {
    fn eq(&self, other: &Set) -> bool {
        self.len() == other.len() && (0..self.len()).all(|i| other.contains_member(self.get(i)))
    }
}

impl Set {
    /// An empty set in the encoding Redis's `setTypeCreate` picks for its first member.
    pub fn for_first(m: &[u8]) -> Set {
        if crate::util::parse_i64(m).is_some() {
            Set::Ints(Vec::new())
        } else {
            Set::Table(Box::new(PosMap::new()))
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Set::Ints(v) => v.len(),
            Set::Table(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// OBJECT ENCODING.
    pub fn encoding(&self) -> &'static str {
        match self {
            Set::Ints(_) => "intset",
            Set::Table(_) => "hashtable",
        }
    }

    /// The member at position `i` (< len); positions are stable until the set changes.
    #[inline]
    pub fn get(&self, i: usize) -> Member<'_> {
        match self {
            Set::Ints(v) => Member::Int(v[i]),
            Set::Table(t) => Member::Bytes(t.at(i).0),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = Member<'_>> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    pub fn contains(&self, m: &[u8]) -> bool {
        match self {
            Set::Ints(v) => crate::util::parse_i64(m).is_some_and(|n| v.binary_search(&n).is_ok()),
            Set::Table(t) => t.contains_key(m),
        }
    }

    pub fn contains_member(&self, m: Member<'_>) -> bool {
        match (self, m) {
            (Set::Ints(v), Member::Int(n)) => v.binary_search(&n).is_ok(),
            (_, m) => m.with_bytes(|b| self.contains(b)),
        }
    }

    /// Converts to `hashtable` (one way).
    fn make_table(&mut self) -> &mut Table {
        if let Set::Ints(v) = self {
            let mut t = Table::with_capacity(v.len() + 1);
            let mut buf = itoa::Buffer::new();
            for n in v.iter() {
                t.insert(buf.format(*n).as_bytes(), ());
            }
            *self = Set::Table(Box::new(t));
        }
        match self {
            Set::Table(t) => t,
            Set::Ints(_) => unreachable!("converted above"),
        }
    }

    /// Adds `m`; false if it was already a member. Converts as Redis's `setTypeAdd`.
    pub fn insert(&mut self, m: &[u8]) -> bool {
        if let Set::Ints(v) = self {
            match crate::util::parse_i64(m) {
                Some(n) => {
                    return match v.binary_search(&n) {
                        Ok(_) => false,
                        Err(at) => {
                            v.insert(at, n);
                            if v.len() > MAX_INTSET_ENTRIES {
                                self.make_table();
                            }
                            true
                        }
                    };
                }
                None => {
                    self.make_table();
                }
            }
        }
        match self {
            Set::Table(t) => t.insert(m, ()).is_none(),
            Set::Ints(_) => unreachable!("handled above"),
        }
    }

    /// Adds a member read from another set.
    pub fn insert_member(&mut self, m: Member<'_>) -> bool {
        match (&mut *self, m) {
            (Set::Ints(v), Member::Int(n)) => match v.binary_search(&n) {
                Ok(_) => false,
                Err(at) => {
                    v.insert(at, n);
                    if v.len() > MAX_INTSET_ENTRIES {
                        self.make_table();
                    }
                    true
                }
            },
            (_, m) => m.with_bytes(|b| self.insert(b)),
        }
    }

    /// Removes `m`; false if it was not a member.
    pub fn remove(&mut self, m: &[u8]) -> bool {
        match self {
            Set::Ints(v) => match crate::util::parse_i64(m).map(|n| v.binary_search(&n)) {
                Some(Ok(at)) => {
                    v.remove(at);
                    true
                }
                _ => false,
            },
            Set::Table(t) => t.remove(m).is_some(),
        }
    }

    /// Keeps only the members for which `f` is true.
    pub fn retain(&mut self, mut f: impl FnMut(Member<'_>) -> bool) {
        match self {
            Set::Ints(v) => v.retain(|&n| f(Member::Int(n))),
            Set::Table(t) => {
                let mut i = 0;
                while i < t.len() {
                    if f(Member::Bytes(t.at(i).0)) {
                        i += 1;
                    } else {
                        t.remove_at(i);
                    }
                }
            }
        }
    }

    /// Gives the set the encoding it would have if built by adding its members to an empty
    /// `intset` (what Redis's SINTERSTORE/SDIFFSTORE destination gets).
    pub fn compact(&mut self) {
        if let Set::Table(t) = self {
            if t.len() > MAX_INTSET_ENTRIES {
                return;
            }
            let mut v = Vec::with_capacity(t.len());
            for (m, _) in t.iter() {
                match crate::util::parse_i64(m) {
                    Some(n) => v.push(n),
                    None => return,
                }
            }
            v.sort_unstable();
            *self = Set::Ints(v);
        }
    }

    /// One SSCAN step from `cursor`: calls `f` on each member visited and returns the next
    /// cursor. An `intset` is visited whole (cursor 0), as Redis does; a `hashtable` visits
    /// `count` positions from the top down ([`super::posmap`] gives the guarantee).
    pub fn scan<'s>(&'s self, cursor: u64, count: usize, mut f: impl FnMut(Member<'s>)) -> u64 {
        match self {
            Set::Ints(v) => {
                for &n in v {
                    f(Member::Int(n));
                }
                0
            }
            Set::Table(t) => t.scan(cursor, count, |m, _| f(Member::Bytes(m))),
        }
    }

    /// The hash table's index, for the prefetch window; `None` for an intset.
    pub fn warm(&self) -> Option<super::posmap::Warm<'_>> {
        match self {
            Set::Table(t) => t.warm(),
            Set::Ints(_) => None,
        }
    }

    /// Heap bytes of the set beyond its own enum (MEMORY USAGE): the intset's vector, or the
    /// table's allocations plus what its members own beyond them, estimated from `samples`.
    pub fn mem_usage(&self, samples: usize) -> usize {
        use crate::memory::{alloc_size, size_class};
        match self {
            Set::Ints(v) => alloc_size(v.capacity() * 8, 8),
            Set::Table(t) => {
                size_class(std::mem::size_of::<Table>(), 8)
                    + t.table_bytes()
                    + t.sampled_heap(samples, |m, _| m.heap_size())
            }
        }
    }

    /// Removes and returns the member at position `i` (< len).
    pub fn remove_at(&mut self, i: usize) -> Vec<u8> {
        match self {
            Set::Ints(v) => itoa::Buffer::new().format(v.remove(i)).as_bytes().to_vec(),
            Set::Table(t) => t.remove_at(i).0.into_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intset_converts_one_way() {
        let mut s = Set::for_first(b"1");
        assert_eq!(s.encoding(), "intset");
        for i in 0..MAX_INTSET_ENTRIES as i64 {
            assert!(s.insert(i.to_string().as_bytes()));
        }
        assert!(!s.insert(b"5"));
        assert_eq!(s.encoding(), "intset");
        assert!(s.insert(b"100000"));
        assert_eq!(s.encoding(), "hashtable");
        assert_eq!(s.len(), MAX_INTSET_ENTRIES + 1);
        assert!(s.contains(b"100000") && s.contains(b"0") && !s.contains(b"01"));
        assert!(s.remove(b"100000"));
        assert_eq!(s.encoding(), "hashtable");
        let mut t = Set::for_first(b"7");
        assert!(t.insert(b"07"));
        assert_eq!(t.encoding(), "hashtable");
    }

    #[test]
    fn table_remove_at_keeps_the_index() {
        let mut s = Set::for_first(b"a");
        for m in ["a", "b", "c", "d"] {
            s.insert(m.as_bytes());
        }
        assert_eq!(s.remove_at(0), b"a");
        assert!(!s.contains(b"a"));
        for m in ["b", "c", "d"] {
            assert!(s.contains(m.as_bytes()), "{m}");
        }
        assert!(s.remove(b"d") && s.remove(b"b") && s.remove(b"c"));
        assert!(s.is_empty());
        let mut u = Set::for_first(b"x");
        u.insert(b"x");
        let mut v = Set::for_first(b"x");
        v.insert(b"x");
        assert_eq!(u, v);
    }
}
