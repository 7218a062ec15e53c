//! The hash type. Owner: the hashes family (`commands/hashes.rs`).
//!
//! Two encodings, as Redis 7.0 keeps them:
//! - `listpack`: a vector of (field, value) pairs in insertion order (HGETALL returns that order,
//!   a deletion keeps the others' order), searched linearly;
//! - `hashtable`: a [`PosMap`] (entries in a vector, a hash index of positions), once the hash
//!   has more than [`LISTPACK_MAX_ENTRIES`] fields or a
//!   field or value longer than [`LISTPACK_MAX_VALUE`] bytes (Redis's `hash-max-listpack-entries`
//!   and `hash-max-listpack-value` defaults). The conversion is one way, as in Redis.
//!
//! HSCAN ([`Hash::scan`]): a listpack answers every field in one call with cursor 0, as Redis
//! does; a hash table walks positions with a cursor ([`super::posmap`] states the guarantee).

use super::posmap::PosMap;

/// Redis 7.0's built-in `hash-max-listpack-entries` default (512; the example redis.conf shipped
/// with Redis sets 128, but a server started without that file, as the tests start Redis, uses 512).
pub const LISTPACK_MAX_ENTRIES: usize = 512;
/// Redis's `hash-max-listpack-value` default.
pub const LISTPACK_MAX_VALUE: usize = 64;

/// One field and its value.
pub type Field = (Box<[u8]>, Box<[u8]>);

#[derive(Debug, Clone)]
enum Repr {
    Listpack(Vec<Field>),
    Table(PosMap<Box<[u8]>>),
}

/// A hash of fields to values.
#[derive(Debug, Clone)]
pub struct Hash {
    repr: Repr,
}

impl Default for Hash {
    fn default() -> Hash {
        Hash {
            repr: Repr::Listpack(Vec::new()),
        }
    }
}

/// Equal when they hold the same fields and values, whatever the encoding or order.
impl PartialEq for Hash {
    fn eq(&self, other: &Hash) -> bool {
        self.len() == other.len() && self.iter().all(|(f, v)| other.get(f) == Some(v))
    }
}

impl Eq for Hash {}

/// Iterator over a hash's (field, value) pairs.
pub struct Iter<'a>(std::slice::Iter<'a, Field>);

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], &'a [u8]);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(f, v)| (&f[..], &v[..]))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl Hash {
    pub fn new() -> Hash {
        Hash::default()
    }

    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Listpack(v) => v.len(),
            Repr::Table(m) => m.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// OBJECT ENCODING.
    pub fn encoding(&self) -> &'static str {
        match &self.repr {
            Repr::Listpack(_) => "listpack",
            Repr::Table(_) => "hashtable",
        }
    }

    /// The value of `field`.
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match &self.repr {
            Repr::Listpack(v) => v.iter().find(|(f, _)| &f[..] == field).map(|(_, x)| &x[..]),
            Repr::Table(m) => m.get(field).map(|x| &x[..]),
        }
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// Sets `field` to `value`; true when the field is new. Converts to a hash table when the
    /// field or value is too long for a listpack or the hash grows past the entry limit.
    pub fn set(&mut self, field: &[u8], value: &[u8]) -> bool {
        if field.len() > LISTPACK_MAX_VALUE || value.len() > LISTPACK_MAX_VALUE {
            self.convert();
        }
        let new = match &mut self.repr {
            Repr::Listpack(v) => match v.iter_mut().find(|(f, _)| &f[..] == field) {
                Some((_, x)) => {
                    *x = value.into();
                    false
                }
                None => {
                    v.push((field.into(), value.into()));
                    true
                }
            },
            Repr::Table(m) => m.insert(field, value.into()).is_none(),
        };
        if new && self.len() > LISTPACK_MAX_ENTRIES {
            self.convert();
        }
        new
    }

    /// Removes `field`; true if it was there. A listpack keeps the others' order.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match &mut self.repr {
            Repr::Listpack(v) => match v.iter().position(|(f, _)| &f[..] == field) {
                Some(i) => {
                    v.remove(i);
                    true
                }
                None => false,
            },
            Repr::Table(m) => m.remove(field).is_some(),
        }
    }

    /// The (field, value) pairs: insertion order for a listpack, arbitrary for a hash table.
    pub fn iter(&self) -> Iter<'_> {
        match &self.repr {
            Repr::Listpack(v) => Iter(v.iter()),
            Repr::Table(m) => Iter(m.entries().iter()),
        }
    }

    /// One HSCAN step from `cursor`: calls `f` on each (field, value) visited and returns the
    /// next cursor. A listpack is visited whole (cursor 0); a hash table visits `count`
    /// positions (see [`super::posmap`]).
    pub fn scan<'s>(
        &'s self,
        cursor: u64,
        count: usize,
        mut f: impl FnMut(&'s [u8], &'s [u8]),
    ) -> u64 {
        match &self.repr {
            Repr::Listpack(v) => {
                for (k, x) in v {
                    f(k, x);
                }
                0
            }
            Repr::Table(m) => m.scan(cursor, count, |k, x| f(k, x)),
        }
    }

    /// Turns a listpack into a hash table (no-op for a hash table).
    fn convert(&mut self) {
        if let Repr::Listpack(v) = &mut self.repr {
            let m: PosMap<Box<[u8]>> = std::mem::take(v).into_iter().collect();
            self.repr = Repr::Table(m);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listpack_keeps_order_and_converts_at_redis_thresholds() {
        let mut h = Hash::new();
        assert!(h.set(b"b", b"1"));
        assert!(h.set(b"a", b"2"));
        assert!(h.set(b"c", b"3"));
        assert!(!h.set(b"a", b"4"));
        assert!(h.remove(b"b"));
        assert!(!h.remove(b"b"));
        let v: Vec<_> = h.iter().collect();
        assert_eq!(v, vec![(&b"a"[..], &b"4"[..]), (&b"c"[..], &b"3"[..])]);
        assert_eq!(h.encoding(), "listpack");
        for i in 0..LISTPACK_MAX_ENTRIES - 2 {
            h.set(format!("f{i}").as_bytes(), b"x");
        }
        assert_eq!(h.len(), 512);
        assert_eq!(h.encoding(), "listpack");
        let before = h.clone();
        h.set(b"one-more", b"x");
        assert_eq!(h.encoding(), "hashtable");
        h.remove(b"one-more");
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h, before);

        let mut h = Hash::new();
        h.set(b"f", &[b'v'; 64]);
        assert_eq!(h.encoding(), "listpack");
        h.set(b"f", &[b'v'; 65]);
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.get(b"f"), Some(&[b'v'; 65][..]));
    }
}
