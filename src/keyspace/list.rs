//! The list type. Owner: the lists family (`commands/lists.rs`).
//!
//! A ring buffer of byte strings: O(1) push and pop at both ends and O(1) access by index, which
//! covers LPUSH/RPUSH/LPOP/RPOP/LINDEX/LSET/LRANGE cheaply; LINSERT/LREM/LTRIM are O(N) as in
//! Redis. Redis 7.0 stores every list as a quicklist (the listpack list encoding came in 7.2), so
//! OBJECT ENCODING always answers `quicklist` and there is no conversion to model.

use std::collections::VecDeque;

/// A list of byte strings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct List {
    pub items: VecDeque<Box<[u8]>>,
}

/// Which end of a list (Redis's `LIST_HEAD` / `LIST_TAIL`, the `LEFT` / `RIGHT` arguments).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Left,
    Right,
}

impl List {
    pub fn new() -> List {
        List::default()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// OBJECT ENCODING: Redis 7.0 reports every list as `quicklist`, small or big.
    pub fn encoding(&self) -> &'static str {
        "quicklist"
    }

    /// Pushes one element at `end`.
    #[inline]
    pub fn push(&mut self, end: End, v: Box<[u8]>) {
        match end {
            End::Left => self.items.push_front(v),
            End::Right => self.items.push_back(v),
        }
    }

    /// Pops one element from `end`.
    #[inline]
    pub fn pop(&mut self, end: End) -> Option<Box<[u8]>> {
        match end {
            End::Left => self.items.pop_front(),
            End::Right => self.items.pop_back(),
        }
    }

    /// The position of a Redis index (negative counts from the tail), if it is in range.
    #[inline]
    pub fn position(&self, index: i64) -> Option<usize> {
        let len = self.items.len() as i64;
        let i = if index < 0 { index + len } else { index };
        (0..len).contains(&i).then_some(i as usize)
    }

    /// The element at a Redis index (negative counts from the tail).
    #[inline]
    pub fn get(&self, index: i64) -> Option<&[u8]> {
        self.position(index).map(|i| &*self.items[i])
    }

    /// The inclusive position range LRANGE/LTRIM select for `start..=end` (negative from the
    /// tail, clamped as Redis does); `None` when it is empty.
    pub fn range(&self, start: i64, end: i64) -> Option<(usize, usize)> {
        let len = self.items.len() as i64;
        let mut start = if start < 0 { start + len } else { start };
        let mut end = if end < 0 { end + len } else { end };
        if start < 0 {
            start = 0;
        }
        if start > end || start >= len {
            return None;
        }
        if end >= len {
            end = len - 1;
        }
        Some((start as usize, end as usize))
    }

    /// Keeps only positions `start..=end` (or nothing for `None`).
    pub fn trim(&mut self, keep: Option<(usize, usize)>) {
        match keep {
            None => self.items.clear(),
            Some((s, e)) => {
                self.items.truncate(e + 1);
                self.items.drain(..s);
            }
        }
    }

    /// Inserts `v` before (or after) the first element equal to `pivot`; false if none is.
    pub fn insert_at_pivot(&mut self, pivot: &[u8], v: Box<[u8]>, after: bool) -> bool {
        match self.items.iter().position(|x| &**x == pivot) {
            None => false,
            Some(i) => {
                self.items.insert(i + after as usize, v);
                true
            }
        }
    }

    /// Removes elements equal to `v`: up to `count` from the head (count > 0), up to `-count`
    /// from the tail (count < 0), or all (0). Returns how many were removed.
    pub fn remove_matching(&mut self, v: &[u8], count: i64) -> usize {
        let len = self.items.len();
        // Positions in `from..` may be removed; `limit` bounds how many.
        let (from, limit) = if count >= 0 {
            let limit = if count == 0 {
                usize::MAX
            } else {
                count.min(len as i64) as usize
            };
            (0, limit)
        } else {
            let want = count.unsigned_abs().min(len as u64) as usize;
            let mut seen = 0;
            let mut from = 0;
            for (i, x) in self.items.iter().enumerate().rev() {
                if &**x == v {
                    seen += 1;
                    from = i;
                    if seen == want {
                        break;
                    }
                }
            }
            (from, want)
        };
        let mut removed = 0;
        let mut i = 0;
        self.items.retain(|x| {
            let keep = i < from || removed >= limit || &**x != v;
            if !keep {
                removed += 1;
            }
            i += 1;
            keep
        });
        removed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> List {
        List {
            items: items.iter().map(|s| s.as_bytes().into()).collect(),
        }
    }

    fn strs(l: &List) -> Vec<String> {
        l.items
            .iter()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .collect()
    }

    #[test]
    fn remove_matching_from_either_end() {
        let mut l = list(&["a", "b", "a", "c", "a"]);
        assert_eq!(l.remove_matching(b"a", -2), 2);
        assert_eq!(strs(&l), ["a", "b", "c"]);
        let mut l = list(&["a", "b", "a", "c", "a"]);
        assert_eq!(l.remove_matching(b"a", 2), 2);
        assert_eq!(strs(&l), ["b", "c", "a"]);
        let mut l = list(&["a", "b", "a", "c", "a"]);
        assert_eq!(l.remove_matching(b"a", 0), 3);
        assert_eq!(strs(&l), ["b", "c"]);
        let mut l = list(&["a", "b"]);
        assert_eq!(l.remove_matching(b"z", -1), 0);
        assert_eq!(l.remove_matching(b"a", i64::MIN), 1);
        assert_eq!(strs(&l), ["b"]);
    }

    #[test]
    fn ranges_clamp_like_redis() {
        let l = list(&["a", "b", "c"]);
        assert_eq!(l.range(0, -1), Some((0, 2)));
        assert_eq!(l.range(-100, 100), Some((0, 2)));
        assert_eq!(l.range(2, 1), None);
        assert_eq!(l.range(3, 5), None);
        assert_eq!(l.range(i64::MIN, i64::MAX), Some((0, 2)));
        let mut t = l.clone();
        t.trim(Some((1, 1)));
        assert_eq!(strs(&t), ["b"]);
        assert_eq!(l.get(-1), Some(&b"c"[..]));
        assert_eq!(l.get(-4), None);
        assert_eq!(l.get(i64::MIN), None);
    }
}
