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

use super::elem::Elem;
use super::posmap::PosMap;

/// Redis 7.0's built-in `hash-max-listpack-entries` default (512; the example redis.conf shipped
/// with Redis sets 128, but a server started without that file, as the tests start Redis, uses 512).
pub const LISTPACK_MAX_ENTRIES: usize = 512;
/// Redis's `hash-max-listpack-value` default.
pub const LISTPACK_MAX_VALUE: usize = 64;

/// One field and its value.
pub type Field = (Elem, Elem);

/// The small encoding: one exact-size buffer, as Redis reallocates a listpack. The first two
/// bytes hold the number of fields (LE; at most [`LISTPACK_MAX_ENTRIES`]). Then come the
/// fields and values in insertion order, each as a one-byte length (they are at most
/// [`LISTPACK_MAX_VALUE`] bytes) and its bytes. That is one byte of overhead per field and per
/// value, instead of two pointers and two allocations. An empty hash has no buffer.
#[derive(Debug, Clone, Default)]
struct Packed {
    buf: Box<[u8]>,
}

/// Bytes before the first element.
const HEADER: usize = 2;

/// A packed element at byte `pos`: (its bytes, the position after it).
#[inline]
fn element(buf: &[u8], pos: usize) -> (&[u8], usize) {
    let len = buf[pos] as usize;
    let start = pos + 1;
    (&buf[start..start + len], start + len)
}

impl Packed {
    fn len(&self) -> usize {
        if self.buf.is_empty() {
            0
        } else {
            u16::from_le_bytes([self.buf[0], self.buf[1]]) as usize
        }
    }

    /// Edits the buffer through a vector (`f` gets it with the header), then stores it back
    /// at its exact size with `n` fields.
    fn edit(&mut self, n: usize, f: impl FnOnce(&mut Vec<u8>)) {
        let mut v = std::mem::take(&mut self.buf).into_vec();
        if v.is_empty() {
            v.extend_from_slice(&[0, 0]);
        }
        f(&mut v);
        v[..HEADER].copy_from_slice(&(n as u16).to_le_bytes());
        self.buf = if n == 0 {
            Box::default()
        } else {
            v.into_boxed_slice()
        };
    }

    /// The byte range of the pair whose field is `field`, and where its value starts.
    fn find(&self, field: &[u8]) -> Option<(usize, usize, usize)> {
        let mut pos = HEADER.min(self.buf.len());
        while pos < self.buf.len() {
            let (f, vpos) = element(&self.buf, pos);
            let (_, end) = element(&self.buf, vpos);
            if f == field {
                return Some((pos, vpos, end));
            }
            pos = end;
        }
        None
    }
}

fn push_element(v: &mut Vec<u8>, b: &[u8]) {
    v.push(b.len() as u8);
    v.extend_from_slice(b);
}

#[derive(Debug, Clone)]
enum Repr {
    Listpack(Packed),
    Table(Box<PosMap<Elem>>),
}

/// A hash of fields to values: 16 bytes, held inline in a [`super::Value`].
#[derive(Debug, Clone)]
pub struct Hash {
    repr: Repr,
}

impl Default for Hash {
    fn default() -> Hash {
        Hash {
            repr: Repr::Listpack(Packed::default()),
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
pub struct Iter<'a>(IterRepr<'a>);

enum IterRepr<'a> {
    Packed {
        buf: &'a [u8],
        pos: usize,
        left: usize,
    },
    Table(std::slice::Iter<'a, Field>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], &'a [u8]);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            IterRepr::Packed { buf, pos, left } => {
                if *pos >= buf.len() {
                    return None;
                }
                let (f, vpos) = element(buf, *pos);
                let (v, end) = element(buf, vpos);
                *pos = end;
                *left -= 1;
                Some((f, v))
            }
            IterRepr::Table(it) => it.next().map(|(f, v)| (&f[..], &v[..])),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.0 {
            IterRepr::Packed { left, .. } => (*left, Some(*left)),
            IterRepr::Table(it) => it.size_hint(),
        }
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl Hash {
    pub fn new() -> Hash {
        Hash::default()
    }

    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Listpack(p) => p.len(),
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
            Repr::Listpack(p) => p.find(field).map(|(_, vpos, _)| element(&p.buf, vpos).0),
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
            Repr::Listpack(p) => match p.find(field) {
                Some((_, vpos, end)) => {
                    let n = p.len();
                    p.edit(n, |v| {
                        let mut el = Vec::with_capacity(value.len() + 1);
                        push_element(&mut el, value);
                        v.splice(vpos..end, el);
                    });
                    false
                }
                None => {
                    let n = p.len() + 1;
                    p.edit(n, |v| {
                        v.reserve_exact(field.len() + value.len() + 2);
                        push_element(v, field);
                        push_element(v, value);
                    });
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
            Repr::Listpack(p) => match p.find(field) {
                Some((start, _, end)) => {
                    let n = p.len() - 1;
                    p.edit(n, |v| {
                        v.drain(start..end);
                    });
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
            Repr::Listpack(p) => Iter(IterRepr::Packed {
                buf: &p.buf,
                pos: HEADER.min(p.buf.len()),
                left: p.len(),
            }),
            Repr::Table(m) => Iter(IterRepr::Table(m.entries().iter())),
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
            Repr::Listpack(_) => {
                for (k, x) in self.iter() {
                    f(k, x);
                }
                0
            }
            Repr::Table(m) => m.scan(cursor, count, |k, x| f(k, x)),
        }
    }

    /// The hash table's index, for the prefetch window; `None` for a listpack.
    pub fn warm(&self) -> Option<super::posmap::Warm<'_>> {
        match &self.repr {
            Repr::Table(m) => m.warm(),
            Repr::Listpack(_) => None,
        }
    }

    /// Heap bytes of the hash beyond its own struct (MEMORY USAGE): the packed buffer, or the
    /// table's allocations plus what its fields and values own beyond them, estimated from
    /// `samples` of them.
    pub fn mem_usage(&self, samples: usize) -> usize {
        use crate::memory::{alloc_size, size_class};
        match &self.repr {
            Repr::Listpack(p) => alloc_size(p.buf.len(), 1),
            Repr::Table(m) => {
                size_class(std::mem::size_of::<PosMap<Elem>>(), 8)
                    + m.table_bytes()
                    + m.sampled_heap(samples, |f, v| f.heap_size() + v.heap_size())
            }
        }
    }

    /// Turns a listpack into a hash table (no-op for a hash table).
    fn convert(&mut self) {
        if let Repr::Listpack(_) = &self.repr {
            let m: PosMap<Elem> = self.iter().map(|(f, v)| (f.into(), v.into())).collect();
            self.repr = Repr::Table(Box::new(m));
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

    #[test]
    fn packed_listpack_replaces_values_of_any_length_in_place() {
        let mut h = Hash::new();
        for i in 0..20 {
            assert!(h.set(format!("field:{i:02}").as_bytes(), b"abcdefghijklmnop"));
        }
        assert!(!h.set(b"field:05", b""));
        assert!(!h.set(b"field:06", &[b'x'; 64]));
        assert!(h.set(b"", b"empty field"));
        assert_eq!(h.get(b"field:05"), Some(&b""[..]));
        assert_eq!(h.get(b"field:06"), Some(&[b'x'; 64][..]));
        assert_eq!(h.get(b""), Some(&b"empty field"[..]));
        assert_eq!(h.get(b"field:07"), Some(&b"abcdefghijklmnop"[..]));
        assert_eq!(h.len(), 21);
        assert_eq!(h.iter().len(), 21);
        let order: Vec<_> = h.iter().map(|(f, _)| f.to_vec()).collect();
        assert_eq!(order[5], b"field:05");
        assert_eq!(order[20], b"");
        assert!(h.remove(b"field:00"));
        assert_eq!(h.iter().next().unwrap().0, b"field:01");
        assert_eq!(h.encoding(), "listpack");
        // 20 pairs of about 8 + 16 bytes, one of 64, one of 0 + 11, a 2-byte count: 582 bytes
        // packed, in one allocation of jemalloc's 640-byte class.
        assert_eq!(h.mem_usage(5), 640);
        assert_eq!(std::mem::size_of::<Hash>(), 16);
        for f in h.iter().map(|(f, _)| f.to_vec()).collect::<Vec<_>>() {
            assert!(h.remove(&f));
        }
        assert!(h.is_empty() && h.iter().next().is_none() && h.mem_usage(5) == 0);
    }
}
