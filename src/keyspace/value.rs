//! Values and entries of the keyspace.
//!
//! An [`Entry`] holds a value, its absolute expiry time (unix ms, 0 = none) and the access time
//! used by OBJECT IDLETIME (and eviction later). Strings keep Redis's three encodings: `int`
//! (a canonical 64-bit integer), `embstr` (set whole, up to 44 bytes) and `raw`.

/// Strings up to this many bytes report the `embstr` encoding, as in Redis
/// (OBJ_ENCODING_EMBSTR_SIZE_LIMIT).
pub const EMBSTR_MAX: usize = 44;

/// Strings up to this many bytes set whole live inside the entry, with no allocation.
pub const INLINE_MAX: usize = 22;

/// Up to [`INLINE_MAX`] bytes stored in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inline {
    len: u8,
    buf: [u8; INLINE_MAX],
}

impl Inline {
    /// `b` in place; `None` if it is longer than [`INLINE_MAX`].
    pub fn new(b: &[u8]) -> Option<Inline> {
        if b.len() > INLINE_MAX {
            return None;
        }
        let mut buf = [0u8; INLINE_MAX];
        buf[..b.len()].copy_from_slice(b);
        Some(Inline {
            len: b.len() as u8,
            buf,
        })
    }

    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        &self.buf[..self.len as usize]
    }
}

/// A string value (24 bytes: with the other types' boxes, a [`Value`] is 24 bytes too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Str {
    /// A canonical integer (`string2ll` accepts it and it prints back the same).
    Int(i64),
    /// Short bytes set whole, in place.
    Inline(Inline),
    /// Bytes set whole (SET, GETSET, ...).
    Emb(Box<[u8]>),
    /// Bytes grown in place (APPEND, SETRANGE): keeps spare capacity like an sds. Boxed, so the
    /// rare grown string does not make every value bigger.
    Raw(Box<Vec<u8>>),
}

impl Str {
    /// The value for bytes set whole: `int` when they are a canonical integer of at most 20 chars.
    pub fn from_bytes(b: &[u8]) -> Str {
        if b.len() <= 20 {
            if let Some(n) = crate::util::parse_i64(b) {
                return Str::Int(n);
            }
        }
        Str::embstr(b)
    }

    /// Bytes set whole, never turned into an integer (OBJECT ENCODING `embstr` up to 44 bytes).
    pub fn embstr(b: &[u8]) -> Str {
        match Inline::new(b) {
            Some(i) => Str::Inline(i),
            None => Str::Emb(b.into()),
        }
    }

    /// Bytes to be grown in place (APPEND, SETRANGE): OBJECT ENCODING `raw`.
    pub fn raw(v: Vec<u8>) -> Str {
        Str::Raw(Box::new(v))
    }

    /// Length in bytes of the string form.
    pub fn len(&self) -> usize {
        match self {
            Str::Int(n) => itoa::Buffer::new().format(*n).len(),
            Str::Inline(i) => i.len as usize,
            Str::Emb(b) => b.len(),
            Str::Raw(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Calls `f` with the string form without allocating.
    #[inline]
    pub fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            Str::Int(n) => f(itoa::Buffer::new().format(*n).as_bytes()),
            Str::Inline(i) => f(i.as_slice()),
            Str::Emb(b) => f(b),
            Str::Raw(v) => f(v),
        }
    }

    /// The string form as an owned vector.
    pub fn to_vec(&self) -> Vec<u8> {
        self.with_bytes(|b| b.to_vec())
    }

    /// Makes the value mutable in place (APPEND, SETRANGE) and returns its bytes.
    pub fn make_raw(&mut self) -> &mut Vec<u8> {
        if !matches!(self, Str::Raw(_)) {
            *self = Str::raw(self.to_vec());
        }
        match self {
            Str::Raw(v) => v,
            _ => unreachable!("just made raw"),
        }
    }

    /// OBJECT ENCODING's answer.
    pub fn encoding(&self) -> &'static str {
        match self {
            Str::Int(_) => "int",
            Str::Inline(_) => "embstr",
            Str::Emb(b) if b.len() <= EMBSTR_MAX => "embstr",
            _ => "raw",
        }
    }

    /// The bytes a boxed string (`Emb`, `Raw`) keeps on the heap; `None` for a number or an
    /// inline string, whose bytes sit in the entry itself.
    #[inline]
    pub fn heap_bytes(&self) -> Option<&[u8]> {
        match self {
            Str::Int(_) | Str::Inline(_) => None,
            Str::Emb(b) => Some(b),
            Str::Raw(v) => Some(v),
        }
    }

    /// Heap bytes this value owns beyond its inline size (for memory accounting estimates).
    pub fn heap_size(&self) -> usize {
        match self {
            Str::Int(_) | Str::Inline(_) => 0,
            Str::Emb(b) => b.len(),
            Str::Raw(v) => std::mem::size_of::<Vec<u8>>() + v.capacity(),
        }
    }
}

/// A value of any type. Collections are boxed so an entry stays small; each type lives in its
/// own module (`list.rs`, `hash.rs`, `set.rs`, `zset.rs`, `stream.rs`) with its compact small encoding.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(Str),
    List(Box<super::list::List>),
    /// Held inline: a small hash is one buffer, so boxing it would cost a second allocation.
    Hash(super::hash::Hash),
    Set(Box<super::set::Set>),
    ZSet(Box<super::zset::ZSet>),
    Stream(Box<super::stream::Stream>),
}

impl Value {
    /// The TYPE command's name for this value.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
            Value::Stream(_) => "stream",
        }
    }

    /// The index of a hash's, a set's or a sorted set's elements when it is a hash table
    /// (for the prefetch window); `None` for other types and small encodings.
    pub fn warm(&self) -> Option<super::posmap::Warm<'_>> {
        match self {
            Value::Hash(h) => h.warm(),
            Value::Set(s) => s.warm(),
            Value::ZSet(z) => z.warm(),
            _ => None,
        }
    }

    /// Starts loading the first `max` bytes (at least one cache line) of a boxed string's
    /// bytes, for the prefetch window: GET copies them into the reply, SET's new value is
    /// likely to land in the block the old one frees. Nothing for other values.
    #[inline]
    pub fn prefetch_bytes(&self, max: usize) {
        if let Value::Str(s) = self {
            if let Some(b) = s.heap_bytes() {
                let start = b.as_ptr() as usize;
                // From the line the bytes start in to the one the last loaded byte is in.
                let end = start + b.len().min(max);
                let mut line = start & !(super::table::LINE - 1);
                while line < end {
                    super::table::prefetch(line);
                    line += super::table::LINE;
                }
            }
        }
    }

    /// OBJECT ENCODING's answer, as Redis 7.0 reports it at its default thresholds.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Str(s) => s.encoding(),
            Value::List(l) => l.encoding(),
            Value::Hash(h) => h.encoding(),
            Value::Set(x) => x.encoding(),
            Value::ZSet(z) => z.encoding(),
            Value::Stream(_) => "stream",
        }
    }
}

/// One key's entry in a slot table.
#[derive(Debug, Clone)]
pub struct Entry {
    pub value: Value,
    /// Absolute expiry, unix milliseconds; 0 = no expiry. Changed only through the keyspace,
    /// which keeps the per-slot count of volatile keys.
    pub(in crate::keyspace) expire_at: u64,
    /// Last access, unix seconds (truncated to 32 bits), for OBJECT IDLETIME.
    pub access: u32,
}

impl Entry {
    pub fn new(value: Value, now_ms: u64) -> Entry {
        Entry {
            value,
            expire_at: 0,
            access: (now_ms / 1000) as u32,
        }
    }

    /// An entry made by a loader (RDB file, RESTORE): expiry `expire_at` (unix ms, 0 = none) and
    /// last access `access` (unix seconds). Store it with `Locked::insert_entry`, which counts
    /// the expiry in the volatile-key totals.
    pub fn loaded(value: Value, expire_at: u64, access: u32) -> Entry {
        Entry {
            value,
            expire_at,
            access,
        }
    }

    /// Absolute expiry in unix ms, or `None`.
    #[inline]
    pub fn expire_at(&self) -> Option<u64> {
        (self.expire_at != 0).then_some(self.expire_at)
    }

    #[inline]
    pub fn is_expired(&self, now_ms: u64) -> bool {
        self.expire_at != 0 && self.expire_at <= now_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_encodings_follow_redis() {
        assert_eq!(Str::from_bytes(b"12345").encoding(), "int");
        assert_eq!(Str::from_bytes(b"012").encoding(), "embstr");
        assert_eq!(Str::from_bytes(&[b'a'; 44]).encoding(), "embstr");
        assert_eq!(Str::from_bytes(&[b'a'; 45]).encoding(), "raw");
        let mut s = Str::from_bytes(b"12");
        s.make_raw().push(b'3');
        assert_eq!(s.encoding(), "raw");
        assert_eq!(s.to_vec(), b"123");
        assert_eq!(
            Str::from_bytes(&[b'a'; 22]),
            Str::Inline(Inline::new(&[b'a'; 22]).unwrap())
        );
        assert!(matches!(Str::from_bytes(&[b'a'; 23]), Str::Emb(_)));
        assert_eq!(Str::from_bytes(b"").to_vec(), b"");
    }

    #[test]
    fn a_value_is_24_bytes_and_an_entry_40() {
        assert_eq!(std::mem::size_of::<Str>(), 24);
        assert_eq!(std::mem::size_of::<Value>(), 24);
        assert_eq!(std::mem::size_of::<Entry>(), 40);
    }
}
