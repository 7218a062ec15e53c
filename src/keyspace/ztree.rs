//! The order of a `skiplist`-encoded sorted set: an order-statistic B+ tree over
//! (score, member). Owner: [`super::zset`].
//!
//! Redis keeps this order in a skip list (`zskiplist`, t_zset.c) whose nodes carry the span of
//! each link, so rank and select-by-rank are O(log n). This tree gives the same operations with
//! counts in its inner nodes: each inner node holds, per child, the number of entries under it.
//! A node holds up to [`CAP`] (32) entries or children, so a set of 100,000 members is four
//! levels deep, and a lookup binary-searches a node's scores (one `f64` array, four cache
//! lines) per level instead of following some 25 dependent pointers (the depth of the treap
//! this replaced; a skip list's walk takes as many steps): ZADD of an existing member at
//! `-P 16` spends its time in these descents (see docs/benchmarks.md).
//!
//! Layout: leaves and inner nodes live in two arenas (`Vec`s indexed by `u32`), scores apart
//! from members so a descent reads member bytes only on a score tie. An inner node's key `i`
//! (`i >= 1`) separates child `i - 1` from child `i`: it is greater than every entry under
//! child `i - 1` and no greater than any entry under child `i`. It is a copy of the key that
//! was first in child `i` when the key was set, and stays valid (not exact) when entries are
//! removed. Inserts even out a full node with a sibling that has room, or split it, on the way
//! down; removals refill a node that fell under [`MIN`] from a sibling, or merge the two, on
//! the way up.

use super::elem::Elem;

/// Entries per leaf, children per inner node, at most.
const CAP: usize = 32;
/// A node other than the root with fewer entries or children is refilled or merged.
const MIN: usize = CAP / 4;

/// Whether (s1, m1) sorts before (s2, m2): by score, then by member bytes (Redis's order).
#[inline]
pub(super) fn less(s1: f64, m1: &[u8], s2: f64, m2: &[u8]) -> bool {
    s1 < s2 || (s1 == s2 && m1 < m2)
}

/// The number of leading indexes of `0..n` for which `pred` holds (it holds on a prefix):
/// a binary search, as `slice::partition_point`, over parallel arrays.
#[inline]
fn partition(n: usize, pred: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if pred(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// The number of entries of `scores`/`members` (sorted) that sort before (s, m).
#[inline]
fn lower_bound(scores: &[f64], members: &[Elem], s: f64, m: &[u8]) -> usize {
    partition(scores.len(), |i| less(scores[i], &members[i], s, m))
}

#[derive(Debug, Clone)]
struct Leaf {
    len: u32,
    scores: [f64; CAP],
    members: [Elem; CAP],
}

#[derive(Debug, Clone)]
struct Inner {
    /// Number of children.
    len: u32,
    /// Separator keys; index 0 is unused (empty).
    scores: [f64; CAP],
    members: [Elem; CAP],
    /// Entries under each child.
    counts: [u32; CAP],
    /// Arena index of each child: a leaf at height 1, an inner node above.
    children: [u32; CAP],
}

impl Leaf {
    fn new() -> Leaf {
        Leaf {
            len: 0,
            scores: [0.0; CAP],
            members: std::array::from_fn(|_| Elem::default()),
        }
    }
}

impl Inner {
    fn new() -> Inner {
        Inner {
            len: 0,
            scores: [0.0; CAP],
            members: std::array::from_fn(|_| Elem::default()),
            counts: [0; CAP],
            children: [0; CAP],
        }
    }

    /// The child whose range holds (s, m): the number of keys `1..len` no greater than it.
    #[inline]
    fn route(&self, s: f64, m: &[u8]) -> usize {
        let n = self.len as usize;
        lower_bound_le(&self.scores[1..n], &self.members[1..n], s, m)
    }

    /// The child holding rank `r` (< the node's count) of this node's entries; `r` becomes
    /// the rank within that child.
    #[inline]
    fn child_at_rank(&self, r: &mut u32) -> usize {
        let mut c = 0;
        while *r >= self.counts[c] {
            *r -= self.counts[c];
            c += 1;
        }
        c
    }

    /// Inserts key (s, m) and child `c` with `count` entries at position `at` (>= 1).
    fn insert_child(&mut self, at: usize, s: f64, m: Elem, c: u32, count: u32) {
        let n = self.len as usize;
        debug_assert!(n < CAP && at >= 1 && at <= n);
        self.scores.copy_within(at..n, at + 1);
        self.members[at..=n].rotate_right(1);
        self.counts.copy_within(at..n, at + 1);
        self.children.copy_within(at..n, at + 1);
        self.scores[at] = s;
        self.members[at] = m;
        self.counts[at] = count;
        self.children[at] = c;
        self.len += 1;
    }

    /// Removes child `at` (>= 1) and its key; returns the key's member bytes.
    fn remove_child(&mut self, at: usize) -> Elem {
        let n = self.len as usize;
        debug_assert!(at >= 1 && at < n);
        let m = std::mem::take(&mut self.members[at]);
        self.scores.copy_within(at + 1..n, at);
        self.members[at..n].rotate_left(1);
        self.counts.copy_within(at + 1..n, at);
        self.children.copy_within(at + 1..n, at);
        self.len -= 1;
        m
    }
}

/// The number of keys of `scores`/`members` (sorted) no greater than (s, m).
#[inline]
fn lower_bound_le(scores: &[f64], members: &[Elem], s: f64, m: &[u8]) -> usize {
    partition(scores.len(), |i| !less(s, m, scores[i], &members[i]))
}

/// Appends a node to an arena; returns its index. A full arena grows by an eighth, not by
/// `Vec`'s doubling: nodes are hundreds of bytes, and a doubled arena of a million-member set
/// held tens of megabytes it did not use (counted in `used_memory`). The copies of the extra
/// growth steps come to a few bytes per insert.
fn push<T>(arena: &mut Vec<T>, node: T) -> u32 {
    if arena.len() == arena.capacity() {
        arena.reserve_exact((arena.len() / 8).max(4));
    }
    arena.push(node);
    (arena.len() - 1) as u32
}

/// Two distinct elements of a slice, both mutable.
fn pair_mut<T>(v: &mut [T], a: usize, b: usize) -> (&mut T, &mut T) {
    assert_ne!(a, b);
    if a < b {
        let (x, y) = v.split_at_mut(b);
        (&mut x[a], &mut y[0])
    } else {
        let (x, y) = v.split_at_mut(a);
        (&mut y[0], &mut x[b])
    }
}

/// Which entry a removal takes.
enum Target<'a> {
    Key(f64, &'a [u8]),
    Rank(u32),
}

/// An order-statistic B+ tree of (score, member) entries with distinct keys.
#[derive(Debug, Clone)]
pub(super) struct Tree {
    leaves: Vec<Leaf>,
    inners: Vec<Inner>,
    free_leaves: Vec<u32>,
    free_inners: Vec<u32>,
    root: u32,
    /// 0 while the root is a leaf.
    height: u32,
    len: u32,
}

impl Tree {
    pub(super) fn new() -> Tree {
        Tree {
            leaves: vec![Leaf::new()],
            inners: Vec::new(),
            free_leaves: Vec::new(),
            free_inners: Vec::new(),
            root: 0,
            height: 0,
            len: 0,
        }
    }

    /// Bytes of the tree's node arenas at their capacity (MEMORY USAGE), not what the members
    /// own on the heap.
    pub(super) fn arena_bytes(&self) -> usize {
        use crate::memory::alloc_size;
        alloc_size(self.leaves.capacity() * std::mem::size_of::<Leaf>(), 8)
            + alloc_size(self.inners.capacity() * std::mem::size_of::<Inner>(), 8)
            + alloc_size(self.free_leaves.capacity() * 4, 8)
            + alloc_size(self.free_inners.capacity() * 4, 8)
    }

    /// Number of entries.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.len as usize
    }

    fn alloc_leaf(&mut self) -> u32 {
        match self.free_leaves.pop() {
            Some(id) => id,
            None => push(&mut self.leaves, Leaf::new()),
        }
    }

    fn alloc_inner(&mut self) -> u32 {
        match self.free_inners.pop() {
            Some(id) => id,
            None => push(&mut self.inners, Inner::new()),
        }
    }

    /// Entries (leaf) or children (inner node) of node `id` at height `h`.
    #[inline]
    fn node_len(&self, id: u32, h: u32) -> usize {
        if h == 0 {
            self.leaves[id as usize].len as usize
        } else {
            self.inners[id as usize].len as usize
        }
    }

    /// Inserts (score, member), which must not be present.
    pub(super) fn insert(&mut self, score: f64, member: Elem) {
        if self.node_len(self.root, self.height) == CAP {
            let r = self.alloc_inner();
            let root = &mut self.inners[r as usize];
            root.len = 1;
            root.children[0] = self.root;
            root.counts[0] = self.len;
            self.root = r;
            self.height += 1;
            let cut = self.cut(
                self.inners[r as usize].children[0],
                self.height - 1,
                score,
                &member,
            );
            self.split_child(r, 0, self.height - 1, cut);
        }
        let (mut node, mut h) = (self.root, self.height);
        while h > 0 {
            let mut i = self.inners[node as usize].route(score, &member);
            let child = self.inners[node as usize].children[i];
            if self.node_len(child, h - 1) == CAP {
                // A sibling with room takes some of the full child's entries, as a B* tree
                // does, before a split: splits alone leave nodes 60 % full under random
                // inserts and removals, this about 72 %.
                let x = &self.inners[node as usize];
                let room = |j: usize| self.node_len(x.children[j], h - 1) <= CAP - MIN;
                if i > 0 && room(i - 1) {
                    self.balance(node, i, h - 1);
                    i = self.inners[node as usize].route(score, &member);
                } else if i + 1 < x.len as usize && room(i + 1) {
                    self.balance(node, i + 1, h - 1);
                    i = self.inners[node as usize].route(score, &member);
                } else {
                    let cut = self.cut(child, h - 1, score, &member);
                    self.split_child(node, i, h - 1, cut);
                    let x = &self.inners[node as usize];
                    if !less(score, &member, x.scores[i + 1], &x.members[i + 1]) {
                        i += 1;
                    }
                }
            }
            let x = &mut self.inners[node as usize];
            x.counts[i] += 1;
            node = x.children[i];
            h -= 1;
        }
        let l = &mut self.leaves[node as usize];
        let n = l.len as usize;
        let at = lower_bound(&l.scores[..n], &l.members[..n], score, &member);
        l.scores.copy_within(at..n, at + 1);
        l.members[at..=n].rotate_right(1);
        l.scores[at] = score;
        l.members[at] = member;
        l.len += 1;
        self.len += 1;
    }

    /// Where to split full node `id` (at height `h`) that (s, m) is about to enter: how many
    /// entries or children stay in the left half. Half, except at either end: keys that arrive
    /// in order (scores that are timestamps) would leave every node half full, so there the
    /// node that stops receiving them keeps three quarters.
    fn cut(&self, id: u32, h: u32, s: f64, m: &[u8]) -> usize {
        let (scores, members, first) = if h == 0 {
            let l = &self.leaves[id as usize];
            (&l.scores, &l.members, 0)
        } else {
            let x = &self.inners[id as usize];
            (&x.scores, &x.members, 1)
        };
        if !less(s, m, scores[CAP - 1], &members[CAP - 1]) {
            CAP - MIN
        } else if less(s, m, scores[first], &members[first]) {
            MIN
        } else {
            CAP / 2
        }
    }

    /// Splits the full child `i` of inner node `p` (the child at height `ch`) in two, `cut`
    /// entries or children staying in the left; `p` must have room for one more child.
    fn split_child(&mut self, p: u32, i: usize, ch: u32, cut: usize) {
        let rest = CAP - cut;
        let child = self.inners[p as usize].children[i];
        let (new, sep_s, sep_m, moved) = if ch == 0 {
            let new = self.alloc_leaf();
            let (a, b) = pair_mut(&mut self.leaves, child as usize, new as usize);
            b.scores[..rest].copy_from_slice(&a.scores[cut..]);
            for (to, from) in b.members.iter_mut().zip(&mut a.members[cut..]) {
                *to = std::mem::take(from);
            }
            a.len = cut as u32;
            b.len = rest as u32;
            (new, b.scores[0], b.members[0].clone(), rest as u32)
        } else {
            let new = self.alloc_inner();
            let (a, b) = pair_mut(&mut self.inners, child as usize, new as usize);
            b.scores[..rest].copy_from_slice(&a.scores[cut..]);
            for (to, from) in b.members.iter_mut().zip(&mut a.members[cut..]) {
                *to = std::mem::take(from);
            }
            b.counts[..rest].copy_from_slice(&a.counts[cut..]);
            b.children[..rest].copy_from_slice(&a.children[cut..]);
            a.len = cut as u32;
            b.len = rest as u32;
            // The first child's key moves up to the parent; in `b` its slot is the unused 0.
            let m = std::mem::take(&mut b.members[0]);
            (new, b.scores[0], m, b.counts[..rest].iter().sum())
        };
        let parent = &mut self.inners[p as usize];
        parent.counts[i] -= moved;
        parent.insert_child(i + 1, sep_s, sep_m, new, moved);
    }

    /// Removes (score, member); returns its member bytes, or `None` if absent.
    pub(super) fn remove(&mut self, score: f64, member: &[u8]) -> Option<Elem> {
        let out = self.remove_from(self.root, self.height, &mut Target::Key(score, member));
        self.after_remove(out.is_some());
        out.map(|(_, m)| m)
    }

    /// Moves `member` from score `old` to `score` (ZADD, ZINCRBY of a present member): its
    /// member bytes are kept. A member that is not in the tree (cannot happen while the set's
    /// map and tree agree) is added.
    pub(super) fn rescore(&mut self, old: f64, member: &[u8], score: f64) {
        let m = self.remove(old, member).unwrap_or_else(|| member.into());
        self.insert(score, m);
    }

    /// Removes the entry of rank `i` (< len); returns it.
    fn remove_rank(&mut self, i: u32) -> (f64, Elem) {
        let out = self.remove_from(self.root, self.height, &mut Target::Rank(i));
        self.after_remove(out.is_some());
        out.expect("a rank below the length")
    }

    fn after_remove(&mut self, removed: bool) {
        if !removed {
            return;
        }
        self.len -= 1;
        while self.height > 0 && self.inners[self.root as usize].len == 1 {
            let old = self.root;
            self.root = self.inners[old as usize].children[0];
            self.inners[old as usize].len = 0;
            self.free_inners.push(old);
            self.height -= 1;
        }
    }

    fn remove_from(&mut self, node: u32, h: u32, t: &mut Target) -> Option<(f64, Elem)> {
        if h == 0 {
            let l = &mut self.leaves[node as usize];
            let n = l.len as usize;
            let at = match *t {
                Target::Key(s, m) => {
                    let at = lower_bound(&l.scores[..n], &l.members[..n], s, m);
                    if at == n || l.scores[at] != s || &*l.members[at] != m {
                        return None;
                    }
                    at
                }
                Target::Rank(r) => r as usize,
            };
            let s = l.scores[at];
            let m = std::mem::take(&mut l.members[at]);
            l.scores.copy_within(at + 1..n, at);
            l.members[at..n].rotate_left(1);
            l.len -= 1;
            return Some((s, m));
        }
        let x = &self.inners[node as usize];
        let i = match t {
            Target::Key(s, m) => x.route(*s, m),
            Target::Rank(r) => x.child_at_rank(r),
        };
        let child = x.children[i];
        let out = self.remove_from(child, h - 1, t)?;
        self.inners[node as usize].counts[i] -= 1;
        if self.node_len(child, h - 1) < MIN {
            self.refill(node, i, h - 1);
        }
        Some(out)
    }

    /// Child `i` of inner node `p` (at height `ch`) fell under [`MIN`]: merges it with a
    /// sibling if both fit in one node, else moves entries over from the sibling.
    fn refill(&mut self, p: u32, i: usize, ch: u32) {
        let x = &self.inners[p as usize];
        if x.len < 2 {
            return; // the root's only child: the root goes instead (`after_remove`)
        }
        let (l, r) = if i > 0 { (i - 1, i) } else { (i, i + 1) };
        let (lid, rid) = (x.children[l], x.children[r]);
        let (ln, rn) = (self.node_len(lid, ch), self.node_len(rid, ch));
        if ln + rn <= CAP {
            self.merge(p, r, ch);
        } else {
            self.balance(p, r, ch);
        }
    }

    /// Evens out children `r - 1` and `r` of inner node `p` (at height `ch`): moves half
    /// their difference from the longer to the shorter, and sets the key between them.
    fn balance(&mut self, p: u32, r: usize, ch: u32) {
        let l = r - 1;
        let x = &self.inners[p as usize];
        let (lid, rid) = (x.children[l], x.children[r]);
        let (ln, rn) = (self.node_len(lid, ch), self.node_len(rid, ch));
        if ch == 0 {
            let (a, b) = pair_mut(&mut self.leaves, lid as usize, rid as usize);
            let k = ln.abs_diff(rn) / 2;
            if ln < rn {
                // The first k of b go to the end of a.
                a.scores[ln..ln + k].copy_from_slice(&b.scores[..k]);
                for (to, from) in a.members[ln..].iter_mut().zip(&mut b.members[..k]) {
                    *to = std::mem::take(from);
                }
                b.scores.copy_within(k..rn, 0);
                b.members[..rn].rotate_left(k);
                a.len += k as u32;
                b.len -= k as u32;
            } else {
                // The last k of a go to the front of b.
                b.scores.copy_within(0..rn, k);
                b.members[..rn + k].rotate_right(k);
                b.scores[..k].copy_from_slice(&a.scores[ln - k..ln]);
                for (to, from) in b.members.iter_mut().zip(&mut a.members[ln - k..ln]) {
                    *to = std::mem::take(from);
                }
                a.len -= k as u32;
                b.len += k as u32;
            }
            let (s, m) = (b.scores[0], b.members[0].clone());
            let x = &mut self.inners[p as usize];
            x.scores[r] = s;
            x.members[r] = m;
            if ln < rn {
                x.counts[l] += k as u32;
                x.counts[r] -= k as u32;
            } else {
                x.counts[l] -= k as u32;
                x.counts[r] += k as u32;
            }
        } else {
            for _ in 0..ln.abs_diff(rn) / 2 {
                self.rotate(p, r, ln < rn);
            }
        }
    }

    /// Moves one child between inner siblings `r - 1` and `r` of `p`, through the key of `p`
    /// that separates them: from `r` to `r - 1` when `leftward`, else back.
    fn rotate(&mut self, p: u32, r: usize, leftward: bool) {
        let (lid, rid) = {
            let x = &self.inners[p as usize];
            (x.children[r - 1] as usize, x.children[r] as usize)
        };
        let (sep_s, sep_m) = {
            let x = &mut self.inners[p as usize];
            (x.scores[r], std::mem::take(&mut x.members[r]))
        };
        let (a, b) = pair_mut(&mut self.inners, lid, rid);
        let (up_s, up_m, moved) = if leftward {
            let (an, bn) = (a.len as usize, b.len as usize);
            a.scores[an] = sep_s;
            a.members[an] = sep_m;
            a.counts[an] = b.counts[0];
            a.children[an] = b.children[0];
            a.len += 1;
            let up = (b.scores[1], std::mem::take(&mut b.members[1]), b.counts[0]);
            b.scores.copy_within(1..bn, 0);
            b.members[..bn].rotate_left(1);
            b.counts.copy_within(1..bn, 0);
            b.children.copy_within(1..bn, 0);
            b.len -= 1;
            up
        } else {
            let (an, bn) = (a.len as usize, b.len as usize);
            b.scores.copy_within(0..bn, 1);
            b.members[..=bn].rotate_right(1);
            b.counts.copy_within(0..bn, 1);
            b.children.copy_within(0..bn, 1);
            b.scores[1] = sep_s;
            b.members[1] = sep_m;
            b.counts[0] = a.counts[an - 1];
            b.children[0] = a.children[an - 1];
            b.len += 1;
            a.len -= 1;
            (
                a.scores[an - 1],
                std::mem::take(&mut a.members[an - 1]),
                a.counts[an - 1],
            )
        };
        let x = &mut self.inners[p as usize];
        x.scores[r] = up_s;
        x.members[r] = up_m;
        if leftward {
            x.counts[r - 1] += moved;
            x.counts[r] -= moved;
        } else {
            x.counts[r - 1] -= moved;
            x.counts[r] += moved;
        }
    }

    /// Merges child `r` of `p` (at height `ch`) into child `r - 1`; both fit in one node.
    fn merge(&mut self, p: u32, r: usize, ch: u32) {
        let (lid, rid, rcount) = {
            let x = &self.inners[p as usize];
            (x.children[r - 1], x.children[r], x.counts[r])
        };
        let sep_s = self.inners[p as usize].scores[r];
        let sep_m = self.inners[p as usize].remove_child(r);
        self.inners[p as usize].counts[r - 1] += rcount;
        if ch == 0 {
            let (a, b) = pair_mut(&mut self.leaves, lid as usize, rid as usize);
            let (an, bn) = (a.len as usize, b.len as usize);
            a.scores[an..an + bn].copy_from_slice(&b.scores[..bn]);
            for (to, from) in a.members[an..].iter_mut().zip(&mut b.members[..bn]) {
                *to = std::mem::take(from);
            }
            a.len += bn as u32;
            b.len = 0;
            self.free_leaves.push(rid);
        } else {
            let (a, b) = pair_mut(&mut self.inners, lid as usize, rid as usize);
            let (an, bn) = (a.len as usize, b.len as usize);
            a.scores[an..an + bn].copy_from_slice(&b.scores[..bn]);
            a.counts[an..an + bn].copy_from_slice(&b.counts[..bn]);
            a.children[an..an + bn].copy_from_slice(&b.children[..bn]);
            for (to, from) in a.members[an + 1..].iter_mut().zip(&mut b.members[1..bn]) {
                *to = std::mem::take(from);
            }
            // b's first child had no key of its own: the parent's separator is its key.
            a.scores[an] = sep_s;
            a.members[an] = sep_m;
            a.len += bn as u32;
            b.len = 0;
            self.free_inners.push(rid);
        }
    }

    /// Number of leading entries for which `pred` holds (`pred` holds on a prefix of the
    /// order).
    pub(super) fn partition_point(&self, pred: &dyn Fn(f64, &[u8]) -> bool) -> usize {
        let (mut node, mut h, mut n) = (self.root, self.height, 0usize);
        while h > 0 {
            let x = &self.inners[node as usize];
            let len = x.len as usize;
            // Keys 1..len are sorted: pred holds on a prefix of them.
            let i = partition(len - 1, |j| pred(x.scores[j + 1], &x.members[j + 1]));
            n += x.counts[..i].iter().map(|&c| c as usize).sum::<usize>();
            node = x.children[i];
            h -= 1;
        }
        let l = &self.leaves[node as usize];
        n + partition(l.len as usize, |j| pred(l.scores[j], &l.members[j]))
    }

    /// The entry of rank `i` (< len).
    pub(super) fn select(&self, i: u32) -> (f64, &[u8]) {
        let (id, first) = self.leaf_of(i);
        let (l, j) = (&self.leaves[id as usize], (i - first) as usize);
        (l.scores[j], &l.members[j])
    }

    /// The leaf holding rank `i` (< len), and the rank of its first entry.
    fn leaf_of(&self, mut i: u32) -> (u32, u32) {
        let (mut node, mut h, mut first) = (self.root, self.height, 0);
        while h > 0 {
            let x = &self.inners[node as usize];
            let before = i;
            let c = x.child_at_rank(&mut i);
            first += before - i;
            node = x.children[c];
            h -= 1;
        }
        (node, first)
    }

    /// The entries of ranks `start..end` (`end` <= len), in order from either end: one descent
    /// per leaf, not per entry.
    pub(super) fn range(&self, start: u32, end: u32) -> Iter<'_> {
        debug_assert!(start <= end && end <= self.len);
        Iter {
            tree: self,
            front: start,
            back: end,
            fleaf: (NO_LEAF, 0),
            bleaf: (NO_LEAF, 0),
        }
    }

    /// Removes ranks `start..end` (`end` <= len), calling `f` on each removed member.
    pub(super) fn remove_ranks(&mut self, start: u32, end: u32, f: &mut dyn FnMut(&[u8])) {
        if start == 0 && end == self.len {
            // All of it (ZREMRANGEBYRANK 0 -1, ZPOPMIN of the whole set): no rebalancing.
            for (_, m) in self.range(start, end) {
                f(m);
            }
            *self = Tree::new();
            return;
        }
        for _ in start..end {
            let (_, m) = self.remove_rank(start);
            f(&m);
        }
    }
}

const NO_LEAF: u32 = u32::MAX;

/// An iterator over a run of ranks of a [`Tree`] ([`Tree::range`]), from the front or the back.
pub(super) struct Iter<'t> {
    tree: &'t Tree,
    /// Ranks still to yield: `front..back`.
    front: u32,
    back: u32,
    /// The leaf last used from each end: (id, rank of its first entry).
    fleaf: (u32, u32),
    bleaf: (u32, u32),
}

impl<'t> Iter<'t> {
    /// Entry of rank `i` through the cached leaf `c`, refreshed when `i` is outside it.
    #[inline]
    fn at(tree: &'t Tree, c: &mut (u32, u32), i: u32) -> (f64, &'t [u8]) {
        if c.0 == NO_LEAF || i < c.1 || i - c.1 >= tree.leaves[c.0 as usize].len {
            *c = tree.leaf_of(i);
        }
        let l = &tree.leaves[c.0 as usize];
        let j = (i - c.1) as usize;
        (l.scores[j], &l.members[j])
    }
}

impl<'t> Iterator for Iter<'t> {
    type Item = (f64, &'t [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.front >= self.back {
            return None;
        }
        let e = Iter::at(self.tree, &mut self.fleaf, self.front);
        self.front += 1;
        Some(e)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = (self.back - self.front) as usize;
        (n, Some(n))
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.front >= self.back {
            return None;
        }
        self.back -= 1;
        Some(Iter::at(self.tree, &mut self.bleaf, self.back))
    }
}

impl ExactSizeIterator for Iter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    impl Tree {
        /// Checks every invariant; returns the entries in order.
        fn check(&self) -> Vec<(f64, Vec<u8>)> {
            let mut out = Vec::new();
            self.walk(self.root, self.height, true, &mut out);
            assert_eq!(out.len(), self.len());
            for w in out.windows(2) {
                assert!(less(w[0].0, &w[0].1, w[1].0, &w[1].1), "out of order");
            }
            out
        }

        /// Appends the entries under `node`; checks its fill, counts and keys.
        fn walk(&self, node: u32, h: u32, root: bool, out: &mut Vec<(f64, Vec<u8>)>) {
            if h == 0 {
                let l = &self.leaves[node as usize];
                let n = l.len as usize;
                assert!(root || n >= MIN, "leaf of {n}");
                assert!(l.members[n..].iter().all(|m| m.is_empty()));
                out.extend((0..n).map(|j| (l.scores[j], l.members[j].to_vec())));
                return;
            }
            let x = &self.inners[node as usize];
            let n = x.len as usize;
            assert!(n >= if root { 2 } else { MIN }, "inner node of {n}");
            assert!(x.members[0].is_empty() && x.members[n..].iter().all(|m| m.is_empty()));
            for c in 0..n {
                let from = out.len();
                self.walk(x.children[c], h - 1, false, out);
                assert_eq!(out.len() - from, x.counts[c] as usize, "count of child {c}");
                let (s, m) = (x.scores[c], &x.members[c]);
                if c > 0 {
                    // The key is no greater than the child's first entry, greater than the
                    // previous child's last.
                    assert!(!less(out[from].0, &out[from].1, s, m));
                    assert!(less(out[from - 1].0, &out[from - 1].1, s, m));
                }
            }
        }
    }

    fn lcg(x: &mut u64) -> u64 {
        *x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        *x >> 33
    }

    /// Random inserts, removals, rescores and rank removals against a sorted `Vec`, with
    /// `scores` distinct scores (1: every entry ties on score, ordered by member alone).
    fn against_a_model(scores: u64, seed: u64) {
        let mut t = Tree::new();
        let mut model: Vec<(f64, Vec<u8>)> = Vec::new();
        let mut x = seed;
        // Grows for the first half, then shrinks, so the tree both splits and merges.
        let find = |model: &Vec<(f64, Vec<u8>)>, m: &[u8]| model.iter().position(|e| e.1 == m);
        for step in 0..24_000 {
            let m = format!("m{}", lcg(&mut x) % 3000).into_bytes();
            let s = (lcg(&mut x) % scores) as f64;
            let r = lcg(&mut x) % 4;
            // 2: remove by key, 1: remove a run of ranks (every 50th step) or add, 0: add.
            let op = match (step < 12_000, r) {
                (true, 0) | (false, 0..=2) => 2,
                (true, 1) => 1,
                _ => 0,
            };
            match op {
                2 => {
                    let had = find(&model, &m).map(|i| model.remove(i));
                    let got = had.as_ref().and_then(|(s, m)| t.remove(*s, m));
                    assert_eq!(got.as_deref(), had.as_ref().map(|e| &e.1[..]));
                    assert!(t.remove(s, &m).is_none(), "absent, so not removed");
                }
                1 if !model.is_empty() && step % 50 == 0 => {
                    let a = (lcg(&mut x) as usize) % model.len();
                    let b = (a + (lcg(&mut x) as usize) % 40).min(model.len());
                    let mut gone = Vec::new();
                    t.remove_ranks(a as u32, b as u32, &mut |m| gone.push(m.to_vec()));
                    let want: Vec<_> = model.drain(a..b).map(|e| e.1).collect();
                    assert_eq!(gone, want);
                }
                _ => match find(&model, &m) {
                    Some(i) => {
                        let old = model.remove(i).0;
                        t.rescore(old, &m, s);
                        model.push((s, m));
                    }
                    None => {
                        t.insert(s, m.clone().into());
                        model.push((s, m));
                    }
                },
            }
            model.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            if step % 997 == 0 || step == 23_999 {
                assert_eq!(t.check(), model, "step {step}");
                assert!(t.height >= 1 || model.len() <= CAP);
            }
        }
        let all = t.check();
        let n = all.len() as u32;
        let whole: Vec<_> = t.range(0, n).map(|(s, m)| (s, m.to_vec())).collect();
        assert_eq!(whole, all);
        let (a, b) = (n / 3, n - n / 5);
        let back: Vec<_> = t.range(a, b).rev().map(|(s, m)| (s, m.to_vec())).collect();
        assert!(back.iter().rev().eq(&all[a as usize..b as usize]));
        let mut both = t.range(a, b);
        assert_eq!(both.len(), (b - a) as usize);
        let (first, last) = (both.next(), both.next_back());
        assert_eq!(first.map(|e| e.1), Some(&all[a as usize].1[..]));
        assert_eq!(last.map(|e| e.1), Some(&all[b as usize - 1].1[..]));
        assert_eq!(both.count(), (b - a - 2) as usize);
        for (i, (s, m)) in all.iter().enumerate() {
            assert_eq!(t.select(i as u32), (*s, &m[..]));
            assert_eq!(t.partition_point(&|s2, m2| less(s2, m2, *s, m)), i);
        }
    }

    #[test]
    fn the_tree_agrees_with_a_sorted_vec() {
        against_a_model(50, 7);
        against_a_model(1_000_000, 11);
    }

    #[test]
    fn the_tree_agrees_with_a_sorted_vec_when_every_score_ties() {
        against_a_model(1, 13);
    }

    #[test]
    fn a_tree_grown_deep_and_emptied_keeps_its_shape() {
        let mut t = Tree::new();
        let n = 40_000u32;
        for i in 0..n {
            t.insert(f64::from(i % 100), format!("{i:08}").into_bytes().into());
        }
        assert!(t.height >= 3, "height {}", t.height);
        t.check();
        for i in (0..n).step_by(2) {
            let m = format!("{i:08}").into_bytes();
            assert_eq!(t.remove(f64::from(i % 100), &m).as_deref(), Some(&m[..]));
        }
        t.check();
        for i in (1..n).step_by(2) {
            let m = format!("{i:08}").into_bytes();
            assert_eq!(t.remove(f64::from(i % 100), &m).as_deref(), Some(&m[..]));
        }
        assert_eq!(t.len(), 0);
        assert_eq!(t.height, 0);
        assert!(t.check().is_empty());
        // The arenas' nodes are reused: the same inserts again need no new node.
        let (leaves, inners) = (t.leaves.len(), t.inners.len());
        let fill = |t: &mut Tree| {
            for i in 0..n {
                t.insert(f64::from(i % 100), format!("{i:08}").into_bytes().into());
            }
        };
        fill(&mut t);
        let all = t.check();
        assert_eq!((t.leaves.len(), t.inners.len()), (leaves, inners));
        // Removing every rank at once hands each member over in order and leaves a new tree.
        let mut gone = Vec::new();
        t.remove_ranks(0, n, &mut |m| gone.push(m.to_vec()));
        assert!(gone.iter().eq(all.iter().map(|e| &e.1)));
        assert_eq!((t.len(), t.height, t.leaves.len()), (0, 0, 1));
        fill(&mut t);
        assert_eq!(t.check(), all);
    }

    #[test]
    fn keys_that_arrive_in_order_fill_their_leaves_three_quarters() {
        for ascending in [true, false] {
            let mut t = Tree::new();
            let n = 10_000;
            for i in 0..n {
                let s = if ascending { i } else { n - i };
                t.insert(f64::from(s), Elem::default());
            }
            let entries = t.check();
            assert_eq!(entries.len(), n as usize);
            let used = t.leaves.len() - t.free_leaves.len();
            assert!(used <= n as usize / (CAP - MIN) + 2, "{used} leaves");
        }
    }
}
