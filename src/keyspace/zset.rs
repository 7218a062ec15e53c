//! The sorted set type. Owner: the sorted sets family (`commands/zsets.rs`).
//!
//! Two encodings, as Redis 7.0 (`t_zset.c`):
//! - `listpack`: a `Vec` of (score, member) kept sorted by (score, member), while there are at
//!   most [`MAX_LISTPACK_ENTRIES`] entries and every member has at most [`MAX_LISTPACK_VALUE`]
//!   bytes (zset-max-listpack-entries / zset-max-listpack-value);
//! - `skiplist`: a member -> score map (a [`PosMap`], whose positions ZSCAN walks with a cursor,
//!   see [`super::posmap`]) plus an order-statistic tree (a treap with subtree
//!   sizes, in an arena) ordered by (score, member), so rank, select-by-rank and range bounds are
//!   O(log n).
//!
//! The conversion is one way, except for the results of the store commands, which Redis
//! re-compacts ([`ZSet::from_sorted`]).

use super::posmap::PosMap;

/// Redis's default `zset-max-listpack-entries`.
pub const MAX_LISTPACK_ENTRIES: usize = 128;
/// Redis's default `zset-max-listpack-value`.
pub const MAX_LISTPACK_VALUE: usize = 64;

const NIL: u32 = u32::MAX;

/// Whether (s1, m1) sorts before (s2, m2).
#[inline]
fn less(s1: f64, m1: &[u8], s2: f64, m2: &[u8]) -> bool {
    s1 < s2 || (s1 == s2 && m1 < m2)
}

#[derive(Debug, Clone)]
struct Node {
    score: f64,
    member: Box<[u8]>,
    prio: u32,
    left: u32,
    right: u32,
    size: u32,
}

/// An order-statistic treap over (score, member).
#[derive(Debug, Clone)]
struct Treap {
    nodes: Vec<Node>,
    free: Vec<u32>,
    root: u32,
    seed: u64,
}

impl Treap {
    fn new() -> Treap {
        Treap {
            nodes: Vec::new(),
            free: Vec::new(),
            root: NIL,
            seed: 0x9E37_79B9_7F4A_7C15,
        }
    }

    #[inline]
    fn size(&self, t: u32) -> u32 {
        if t == NIL {
            0
        } else {
            self.nodes[t as usize].size
        }
    }

    #[inline]
    fn update(&mut self, t: u32) {
        let n = &self.nodes[t as usize];
        let s = self.size(n.left) + self.size(n.right) + 1;
        self.nodes[t as usize].size = s;
    }

    fn rand(&mut self) -> u32 {
        // xorshift64*
        let mut x = self.seed;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.seed = x;
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as u32
    }

    /// Splits `t` into its first `k` nodes and the rest.
    fn split_rank(&mut self, t: u32, k: u32) -> (u32, u32) {
        if t == NIL {
            return (NIL, NIL);
        }
        let n = &self.nodes[t as usize];
        let ls = self.size(n.left);
        if k <= ls {
            let (a, b) = self.split_rank(n.left, k);
            self.nodes[t as usize].left = b;
            self.update(t);
            (a, t)
        } else {
            let (a, b) = self.split_rank(n.right, k - ls - 1);
            self.nodes[t as usize].right = a;
            self.update(t);
            (t, b)
        }
    }

    fn merge(&mut self, a: u32, b: u32) -> u32 {
        if a == NIL {
            return b;
        }
        if b == NIL {
            return a;
        }
        if self.nodes[a as usize].prio > self.nodes[b as usize].prio {
            let r = self.merge(self.nodes[a as usize].right, b);
            self.nodes[a as usize].right = r;
            self.update(a);
            a
        } else {
            let l = self.merge(a, self.nodes[b as usize].left);
            self.nodes[b as usize].left = l;
            self.update(b);
            b
        }
    }

    fn insert(&mut self, score: f64, member: Box<[u8]>) {
        let prio = self.rand();
        let node = Node {
            score,
            member,
            prio,
            left: NIL,
            right: NIL,
            size: 1,
        };
        let id = match self.free.pop() {
            Some(id) => {
                self.nodes[id as usize] = node;
                id
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as u32
            }
        };
        self.root = self.insert_at(self.root, id);
    }

    /// Inserts node `id` under subtree `t` (descent, then rotations to restore the heap order);
    /// returns the new subtree root.
    fn insert_at(&mut self, t: u32, id: u32) -> u32 {
        if t == NIL {
            return id;
        }
        let (x, n) = (&self.nodes[id as usize], &self.nodes[t as usize]);
        let go_left = less(x.score, &x.member, n.score, &n.member);
        self.nodes[t as usize].size += 1;
        if go_left {
            let l = self.insert_at(self.nodes[t as usize].left, id);
            self.nodes[t as usize].left = l;
            if self.nodes[l as usize].prio > self.nodes[t as usize].prio {
                // Rotate right.
                self.nodes[t as usize].left = self.nodes[l as usize].right;
                self.nodes[l as usize].right = t;
                self.update(t);
                self.update(l);
                return l;
            }
        } else {
            let r = self.insert_at(self.nodes[t as usize].right, id);
            self.nodes[t as usize].right = r;
            if self.nodes[r as usize].prio > self.nodes[t as usize].prio {
                // Rotate left.
                self.nodes[t as usize].right = self.nodes[r as usize].left;
                self.nodes[r as usize].left = t;
                self.update(t);
                self.update(r);
                return r;
            }
        }
        t
    }

    fn remove(&mut self, score: f64, member: &[u8]) {
        let mut found = NIL;
        self.root = self.unlink_at(self.root, score, member, &mut found);
        if found != NIL {
            self.release(found);
        }
    }

    /// Moves `member` from `old` to `score` (ZADD, ZINCRBY of a present member): its node and
    /// member bytes are kept, only its place in the tree changes.
    fn rescore(&mut self, old: f64, member: &[u8], score: f64) {
        let mut found = NIL;
        self.root = self.unlink_at(self.root, old, member, &mut found);
        if found == NIL {
            // Not in the tree (cannot happen while map and tree agree): add it.
            self.insert(score, member.into());
            return;
        }
        let n = &mut self.nodes[found as usize];
        n.score = score;
        n.left = NIL;
        n.right = NIL;
        n.size = 1;
        self.root = self.insert_at(self.root, found);
    }

    /// Unlinks (score, member) from subtree `t`, leaving its node id in `found` (NIL if absent);
    /// returns the new subtree root.
    fn unlink_at(&mut self, t: u32, score: f64, member: &[u8], found: &mut u32) -> u32 {
        if t == NIL {
            return NIL;
        }
        let n = &self.nodes[t as usize];
        if n.score == score && &*n.member == member {
            *found = t;
            return self.merge(n.left, n.right);
        }
        if less(score, member, n.score, &n.member) {
            let l = self.unlink_at(n.left, score, member, found);
            self.nodes[t as usize].left = l;
        } else {
            let r = self.unlink_at(n.right, score, member, found);
            self.nodes[t as usize].right = r;
        }
        self.update(t);
        t
    }

    fn release(&mut self, t: u32) {
        self.nodes[t as usize].member = Box::default();
        self.free.push(t);
    }

    /// Number of leading nodes for which `pred` holds.
    fn partition_point(&self, pred: &dyn Fn(f64, &[u8]) -> bool) -> usize {
        let (mut t, mut n) = (self.root, 0usize);
        while t != NIL {
            let x = &self.nodes[t as usize];
            if pred(x.score, &x.member) {
                n += self.size(x.left) as usize + 1;
                t = x.right;
            } else {
                t = x.left;
            }
        }
        n
    }

    fn select(&self, mut i: u32) -> (f64, &[u8]) {
        let mut t = self.root;
        loop {
            let x = &self.nodes[t as usize];
            let ls = self.size(x.left);
            if i < ls {
                t = x.left;
            } else if i == ls {
                return (x.score, &x.member);
            } else {
                i -= ls + 1;
                t = x.right;
            }
        }
    }

    /// Removes ranks `start..end`, calling `f` on each removed member.
    fn remove_ranks(&mut self, start: u32, end: u32, f: &mut dyn FnMut(&[u8])) {
        let (a, bc) = self.split_rank(self.root, start);
        let (b, c) = self.split_rank(bc, end - start);
        let mut stack = vec![b];
        while let Some(t) = stack.pop() {
            if t == NIL {
                continue;
            }
            stack.push(self.nodes[t as usize].left);
            stack.push(self.nodes[t as usize].right);
            f(&self.nodes[t as usize].member);
            self.release(t);
        }
        self.root = self.merge(a, c);
    }
}

#[derive(Debug, Clone)]
struct Big {
    /// Member -> score, positional so ZSCAN can walk it with a cursor.
    map: PosMap<f64>,
    tree: Treap,
}

#[derive(Debug, Clone)]
enum Repr {
    Small(Vec<(f64, Box<[u8]>)>),
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
                    tree: Treap::new(),
                })),
            }
        } else {
            ZSet::default()
        }
    }

    /// A set from entries sorted by (score, member) with distinct members, compacted as Redis's
    /// `zsetConvertToListpackIfNeeded` does for the store commands' results.
    pub fn from_sorted(v: Vec<(f64, Box<[u8]>)>) -> ZSet {
        let maxlen = v.iter().map(|(_, m)| m.len()).max().unwrap_or(0);
        if v.len() <= MAX_LISTPACK_ENTRIES && maxlen <= MAX_LISTPACK_VALUE {
            return ZSet {
                repr: Repr::Small(v),
            };
        }
        let mut z = ZSet::with_hint(v.len(), MAX_LISTPACK_VALUE + 1);
        for (s, m) in v {
            z.insert(s, &m);
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
                tree: Treap::new(),
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
    pub fn iter(&self) -> impl Iterator<Item = (f64, &[u8])> + '_ {
        (0..self.len()).map(|i| self.get(i))
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
