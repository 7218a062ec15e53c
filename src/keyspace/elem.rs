//! [`Elem`]: the bytes of a collection element (a hash field or value, a set member, a sorted
//! set member) in 24 bytes, with up to [`INLINE_MAX`](super::value::INLINE_MAX) bytes held in place.
//!
//! Most fields and members are short (ids, names, `element:000000012345`). Held in place, such
//! an element costs no allocation (a boxed 20-byte member took 16 bytes of pointer and length
//! plus a 32-byte jemalloc block), and looking it up reads the entry that holds it, not a
//! second cache line somewhere else on the heap.
//!
//! Invariant: an element of at most `INLINE_MAX` (22) bytes is always [`Elem::Inline`], its unused
//! bytes zero. So two elements are equal exactly when their representations are, and a short
//! lookup key is compared as a few words, without `memcmp`.

use super::value::{Inline, INLINE_MAX};

/// A collection element's bytes: in place up to `INLINE_MAX` (22) bytes, boxed beyond.
#[derive(Clone, PartialEq, Eq)]
pub enum Elem {
    /// At most `INLINE_MAX` bytes, zero-padded.
    Inline(Inline),
    /// More than `INLINE_MAX` bytes.
    Heap(Box<[u8]>),
}

const _: () = assert!(std::mem::size_of::<Elem>() == 24);

impl Elem {
    /// `b`, in place when it fits.
    #[inline]
    pub fn new(b: &[u8]) -> Elem {
        match Inline::new(b) {
            Some(i) => Elem::Inline(i),
            None => Elem::Heap(b.into()),
        }
    }

    /// The bytes.
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        match self {
            Elem::Inline(i) => i.as_slice(),
            Elem::Heap(b) => b,
        }
    }

    /// True when the element's bytes are `k`. A short element is compared as two or three
    /// overlapping words ([`super::table::key_eq`]); a boxed one only with a key too long to
    /// be in place.
    #[inline]
    pub fn matches(&self, k: &[u8]) -> bool {
        match self {
            Elem::Inline(a) => super::table::key_eq(a.as_slice(), k),
            Elem::Heap(a) => k.len() > INLINE_MAX && **a == *k,
        }
    }

    /// Heap bytes the element owns beyond its 24 (an estimate for MEMORY USAGE): the
    /// allocation's size class for a boxed element, 0 in place.
    pub fn heap_size(&self) -> usize {
        match self {
            Elem::Inline(_) => 0,
            Elem::Heap(b) => crate::memory::size_class(b.len(), 1),
        }
    }

    pub fn into_vec(self) -> Vec<u8> {
        match self {
            Elem::Inline(i) => i.as_slice().to_vec(),
            Elem::Heap(b) => b.into_vec(),
        }
    }
}

impl Default for Elem {
    /// The empty element.
    fn default() -> Elem {
        Elem::new(b"")
    }
}

impl std::ops::Deref for Elem {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl From<&[u8]> for Elem {
    #[inline]
    fn from(b: &[u8]) -> Elem {
        Elem::new(b)
    }
}

impl From<Box<[u8]>> for Elem {
    /// Keeps the box when the bytes do not fit in place (no copy), frees it when they do.
    fn from(b: Box<[u8]>) -> Elem {
        match Inline::new(&b) {
            Some(i) => Elem::Inline(i),
            None => Elem::Heap(b),
        }
    }
}

impl From<Vec<u8>> for Elem {
    fn from(v: Vec<u8>) -> Elem {
        Elem::from(v.into_boxed_slice())
    }
}

impl std::fmt::Debug for Elem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_elements_live_in_place_and_compare_by_bytes() {
        for len in (0..=INLINE_MAX + 2).chain([100]) {
            let a: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            let e = Elem::new(&a);
            assert_eq!(matches!(e, Elem::Inline(_)), len <= INLINE_MAX, "len {len}");
            assert_eq!(&*e, &a[..]);
            assert_eq!(Elem::from(a.clone().into_boxed_slice()), e);
            assert!(e.matches(&a));
            assert_eq!(e.clone().into_vec(), a);
            // Any one byte different, one byte longer, one byte shorter: no match.
            for i in 0..len {
                let mut b = a.clone();
                b[i] ^= 1;
                assert!(!e.matches(&b), "len {len}, byte {i}");
            }
            if len > 0 {
                assert!(!e.matches(&a[..len - 1]), "len {len}");
            }
            let mut c = a.clone();
            c.push(0);
            assert!(!e.matches(&c), "len {len}");
        }
    }
}
