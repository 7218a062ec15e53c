//! [`KeyTable`]: a slot table's map from key to [`Entry`], laid out to cost little per key.
//!
//! Each key is one heap block, a node: the entry, the key's length (one byte for keys shorter
//! than 255 bytes), then the key's bytes. The hash table holds only thin pointers to nodes: 8
//! bytes a bucket, plus hashbrown's control byte. A `HashMap<Box<[u8]>, Entry>` has 64-byte
//! buckets, and a key pays for the empty buckets of a table that just grew: 16384 slot tables of
//! a few dozen keys each sit at 45-87 % load. It also pays for a second allocation, the key's.
//! A node avoids both. A 16-byte key's node is 64 bytes (40 of entry, 1 + 16 of key, in
//! jemalloc's 64-byte class); a 7-byte key's, 48.
//!
//! Hashes come from one process-wide random seed (hashbrown's default hasher), recomputed from the
//! key when the table grows. All `unsafe` code of the keyspace is in [`Node`] below.
//!
//! A lookup's time goes mostly to cache misses: the control bytes, the bucket, then the node.
//! [`KeyTable::prefetch_buckets`] and [`KeyTable::prefetch_node`] start those loads early for a
//! pipeline's later commands (see `Keyspace::ahead`); they only ever prefetch, never read what
//! they point at, so an out-of-date address costs a wasted load and nothing else.

use super::Entry;
use hashbrown::hash_table::{self, HashTable};
use std::alloc::Layout;
use std::hash::BuildHasher;
use std::ptr::NonNull;
use std::sync::OnceLock;

/// An owned node: the [`Entry`], then the key's length (one byte below 255, else 255 and eight
/// bytes LE), then the key's bytes, in one allocation. The length sits outside the entry, so
/// nothing a command does with `&mut Entry` can change it.
struct Node(NonNull<Entry>);

// SAFETY: a Node owns its block exclusively, as a Box would; Entry is Send and Sync.
unsafe impl Send for Node {}
// SAFETY: shared access only reads through `&self`.
unsafe impl Sync for Node {}

const ENTRY: usize = std::mem::size_of::<Entry>();

/// Bytes of the length prefix of a key of `len` bytes.
#[inline]
fn prefix_len(len: usize) -> usize {
    if len < 255 {
        1
    } else {
        9
    }
}

impl Node {
    fn layout(key_len: usize) -> Layout {
        Layout::from_size_align(
            ENTRY + prefix_len(key_len) + key_len,
            std::mem::align_of::<Entry>(),
        )
        .expect("key length fits a layout")
    }

    fn new(key: &[u8], entry: Entry) -> Node {
        let layout = Node::layout(key.len());
        // SAFETY: the layout has a non-zero size (the entry).
        let p = unsafe { std::alloc::alloc(layout) } as *mut Entry;
        let Some(p) = NonNull::new(p) else {
            std::alloc::handle_alloc_error(layout)
        };
        // SAFETY: `p` is a fresh block of `layout`: room for the entry, the prefix and the key.
        unsafe {
            p.as_ptr().write(entry);
            let mut at = (p.as_ptr() as *mut u8).add(ENTRY);
            if key.len() < 255 {
                at.write(key.len() as u8);
                at = at.add(1);
            } else {
                at.write(255);
                let len = (key.len() as u64).to_le_bytes();
                std::ptr::copy_nonoverlapping(len.as_ptr(), at.add(1), 8);
                at = at.add(9);
            }
            std::ptr::copy_nonoverlapping(key.as_ptr(), at, key.len());
        }
        Node(p)
    }

    #[inline]
    fn key(&self) -> &[u8] {
        // SAFETY: the prefix and the key bytes written in `new` follow the entry in the same
        // live block, and are never written again.
        unsafe {
            let at = (self.0.as_ptr() as *const u8).add(ENTRY);
            let b = at.read();
            if b < 255 {
                std::slice::from_raw_parts(at.add(1), b as usize)
            } else {
                let mut len = [0u8; 8];
                std::ptr::copy_nonoverlapping(at.add(1), len.as_mut_ptr(), 8);
                std::slice::from_raw_parts(at.add(9), u64::from_le_bytes(len) as usize)
            }
        }
    }

    #[inline]
    fn entry(&self) -> &Entry {
        // SAFETY: the entry is initialised while the Node exists.
        unsafe { self.0.as_ref() }
    }

    #[inline]
    fn entry_mut(&mut self) -> &mut Entry {
        // SAFETY: `&mut self` is the only access to the entry; the key bytes are elsewhere.
        unsafe { self.0.as_mut() }
    }

    /// Frees the node and returns its entry.
    fn into_entry(self) -> Entry {
        let layout = Node::layout(self.key().len());
        let p = self.0;
        std::mem::forget(self);
        // SAFETY: the entry is initialised; it is read out once, then the block is freed with
        // the layout it was allocated with and never touched again (`self` was forgotten).
        unsafe {
            let e = p.as_ptr().read();
            std::alloc::dealloc(p.as_ptr() as *mut u8, layout);
            e
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let layout = Node::layout(self.key().len());
        // SAFETY: the entry is initialised and dropped once; then the block is freed with its
        // allocation layout.
        unsafe {
            std::ptr::drop_in_place(self.0.as_ptr());
            std::alloc::dealloc(self.0.as_ptr() as *mut u8, layout);
        }
    }
}

fn hasher() -> &'static hashbrown::DefaultHashBuilder {
    static H: OnceLock<hashbrown::DefaultHashBuilder> = OnceLock::new();
    H.get_or_init(Default::default)
}

/// The hash a [`KeyTable`] files `key` under (also what the prefetch calls take): foldhash,
/// seeded once per process.
#[inline]
pub fn hash(key: &[u8]) -> u64 {
    hasher().hash_one(key)
}

/// A map from key bytes to [`Entry`]: one allocation per key (see the module docs).
#[derive(Default)]
pub struct KeyTable {
    t: HashTable<Node>,
    /// Address of the table's control bytes as last seen, 0 before: where
    /// [`KeyTable::prefetch_buckets`] aims. Set whenever [`KeyTable::entry`] finds or inserts a
    /// key, from that bucket's address and index, so it is wrong only between a growth and the
    /// next such call, which costs a wasted prefetch.
    ctrl: usize,
}

/// Size of a bucket: hashbrown stores bucket `i` at `ctrl - (i + 1) * BUCKET`.
const BUCKET: usize = std::mem::size_of::<Node>();

/// The control-byte address of the table `o` is in, from its bucket's address and index.
#[inline]
fn ctrl_of(o: &hash_table::OccupiedEntry<'_, Node>) -> usize {
    o.get() as *const Node as usize + (o.bucket_index() + 1) * BUCKET
}

/// Whether a node's key `a` equals `b`, reading no byte outside the two. libc's `memcmp` loads
/// 32 bytes at a time where the page allows: for a 16-byte key, which ends 57 bytes into its
/// 64-byte node, that is the next node's cache line, a miss no prefetch covered (it cost a
/// pipelined SET 6 % of its time). Keys of up to 24 bytes are compared as two or three
/// overlapping words (also a collection's short elements, [`super::elem::Elem::matches`]).
#[inline]
pub(super) fn key_eq(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], i: usize| u64::from_le_bytes(s[i..i + 8].try_into().expect("8 bytes"));
    let half = |s: &[u8], i: usize| u32::from_le_bytes(s[i..i + 4].try_into().expect("4 bytes"));
    match n {
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        17..=24 => {
            word(a, 0) == word(b, 0) && word(a, 8) == word(b, 8) && word(a, n - 8) == word(b, n - 8)
        }
        4..=7 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        0..=3 => a.iter().zip(b).all(|(x, y)| x == y),
        _ => a == b,
    }
}

/// A cache line, bytes: what one [`prefetch`] loads.
pub const LINE: usize = 64;

/// Starts loading the cache line at `addr` into every cache level (x86-64 `prefetcht0`; a no-op
/// elsewhere). It never faults and never reads for the program: any address will do.
#[inline(always)]
pub fn prefetch(addr: usize) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE is part of x86-64; a prefetch is a hint that reads nothing the program sees
    // and cannot fault, whatever the address.
    unsafe {
        core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(addr as *const i8)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = addr;
}

/// A key found by [`KeyTable::entry`]: read it, keep it, or remove it.
pub struct Occupied<'a>(hash_table::OccupiedEntry<'a, Node>);

impl<'a> Occupied<'a> {
    pub fn get(&self) -> &Entry {
        self.0.get().entry()
    }

    pub fn get_mut(&mut self) -> &mut Entry {
        self.0.get_mut().entry_mut()
    }

    pub fn into_mut(self) -> &'a mut Entry {
        self.0.into_mut().entry_mut()
    }

    /// Removes the key; returns its entry.
    pub fn remove(self) -> Entry {
        self.0.remove().0.into_entry()
    }
}

/// A key [`KeyTable::entry`] did not find: insert it.
pub struct Vacant<'a, 'k> {
    v: hash_table::VacantEntry<'a, Node>,
    key: &'k [u8],
    ctrl: &'a mut usize,
}

impl<'a> Vacant<'a, '_> {
    pub fn insert(self, entry: Entry) -> &'a mut Entry {
        let o = self.v.insert(Node::new(self.key, entry));
        *self.ctrl = ctrl_of(&o);
        o.into_mut().entry_mut()
    }
}

/// The result of [`KeyTable::entry`].
pub enum Slot<'a, 'k> {
    Occupied(Occupied<'a>),
    Vacant(Vacant<'a, 'k>),
}

impl KeyTable {
    pub fn len(&self) -> usize {
        self.t.len()
    }

    pub fn is_empty(&self) -> bool {
        self.t.is_empty()
    }

    /// Keys the table holds before it grows.
    pub fn capacity(&self) -> usize {
        self.t.capacity()
    }

    /// Bytes of the bucket array (pointers and control bytes), as allocated.
    pub fn allocation_size(&self) -> usize {
        self.t.allocation_size()
    }

    /// Bytes one key of `key_len` bytes takes: its node's allocation (a jemalloc size class)
    /// and its bucket (an 8-byte pointer and a control byte), at full load.
    pub fn node_bytes(key_len: usize) -> usize {
        crate::memory::size_class(ENTRY + prefix_len(key_len) + key_len, 8) + 9
    }

    pub fn get(&self, key: &[u8]) -> Option<&Entry> {
        self.t
            .find(hash(key), |n| key_eq(n.key(), key))
            .map(Node::entry)
    }

    /// [`KeyTable::get`] for a key whose [`hash`] is known.
    #[inline]
    pub fn get_hashed(&self, h: u64, key: &[u8]) -> Option<&Entry> {
        self.t.find(h, |n| key_eq(n.key(), key)).map(Node::entry)
    }

    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut Entry> {
        self.t
            .find_mut(hash(key), |n| key_eq(n.key(), key))
            .map(Node::entry_mut)
    }

    /// The key's place, found or not, with one hash and one probe.
    pub fn entry<'a, 'k>(&'a mut self, key: &'k [u8]) -> Slot<'a, 'k> {
        match self
            .t
            .entry(hash(key), |n| key_eq(n.key(), key), |n| hash(n.key()))
        {
            hash_table::Entry::Occupied(o) => {
                self.ctrl = ctrl_of(&o);
                Slot::Occupied(Occupied(o))
            }
            hash_table::Entry::Vacant(v) => Slot::Vacant(Vacant {
                v,
                key,
                ctrl: &mut self.ctrl,
            }),
        }
    }

    /// First step of warming the cache for a lookup of the key hashed `hash` ([`hash`]):
    /// starts loading the control bytes and the buckets of the probe's first group. The
    /// table's own fields (this `KeyTable`) should be cached already, or this waits for them.
    #[inline]
    pub fn prefetch_buckets(&self, hash: u64) {
        if self.ctrl == 0 || self.t.is_empty() {
            return;
        }
        let mask = self.t.num_buckets() - 1;
        let pos = hash as usize & mask;
        // A group is 16 control bytes; its 16 buckets span up to three cache lines.
        prefetch(self.ctrl + pos);
        prefetch(self.ctrl + pos + 15);
        for k in [0, 7, 15] {
            let b = (pos + k) & mask;
            prefetch(self.ctrl.wrapping_sub((b + 1) * BUCKET));
        }
    }

    /// Second step, once [`KeyTable::prefetch_buckets`]'s loads have had time to land: probes
    /// for `hash` and starts loading every node whose control byte matches, without comparing
    /// keys (that would wait for the nodes).
    #[inline]
    pub fn prefetch_node(&self, hash: u64) {
        if self.t.is_empty() {
            return;
        }
        let _ = self.t.find(hash, |n| {
            prefetch(n.0.as_ptr() as usize);
            false
        });
    }

    /// Inserts or replaces; returns the replaced entry.
    pub fn insert(&mut self, key: &[u8], entry: Entry) -> Option<Entry> {
        match self.entry(key) {
            Slot::Occupied(mut o) => Some(std::mem::replace(o.get_mut(), entry)),
            Slot::Vacant(v) => {
                v.insert(entry);
                None
            }
        }
    }

    pub fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        match self.t.find_entry(hash(key), |n| key_eq(n.key(), key)) {
            Ok(o) => Some(o.remove().0.into_entry()),
            Err(_) => None,
        }
    }

    /// Every key and entry, in table order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &Entry)> + Clone + '_ {
        self.t.iter().map(|n| (n.key(), n.entry()))
    }

    pub fn keys(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.t.iter().map(Node::key)
    }

    /// Keeps the keys for which `f` answers true.
    pub fn retain(&mut self, mut f: impl FnMut(&[u8], &mut Entry) -> bool) {
        self.t.retain(|n| {
            // The key and the entry are disjoint parts of the block.
            let key: *const [u8] = n.key();
            // SAFETY: `key` points into the node's key bytes, which `entry_mut` does not
            // reach; the node outlives the call.
            f(unsafe { &*key }, n.entry_mut())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::{Str, Value};

    fn e(v: &[u8]) -> Entry {
        Entry::new(Value::Str(Str::from_bytes(v)), 0)
    }

    fn val(e: &Entry) -> Vec<u8> {
        match &e.value {
            Value::Str(s) => s.to_vec(),
            _ => unreachable!(),
        }
    }

    #[test]
    fn insert_replace_get_remove_retain() {
        let mut t = KeyTable::default();
        for i in 0..1000 {
            assert!(t.insert(format!("key:{i}").as_bytes(), e(b"a")).is_none());
        }
        assert_eq!(t.len(), 1000);
        let old = t.insert(b"key:7", e(b"b")).unwrap();
        assert_eq!(val(&old), b"a");
        assert_eq!(val(t.get(b"key:7").unwrap()), b"b");
        t.get_mut(b"key:8").unwrap().value = Value::Str(Str::from_bytes(b"c"));
        assert_eq!(val(t.get(b"key:8").unwrap()), b"c");
        assert_eq!(val(&t.remove(b"key:8").unwrap()), b"c");
        assert!(t.remove(b"key:8").is_none() && t.get(b"key:8").is_none());
        // Keys of every length, the empty one included.
        t.insert(b"", e(b"empty"));
        let long = vec![b'z'; 10_000];
        t.insert(&long, e(b"long"));
        assert_eq!(val(t.get(&long).unwrap()), b"long");
        assert_eq!(val(t.get(b"").unwrap()), b"empty");
        t.retain(|k, _| k.len() != 10_000 && !k.ends_with(b"1"));
        assert!(t.get(&long).is_none() && t.get(b"key:1").is_none());
        assert_eq!(t.len(), 999 - 100 + 1);
        let n = t.iter().filter(|(k, _)| k.starts_with(b"key:")).count();
        assert_eq!(n, t.keys().filter(|k| k.starts_with(b"key:")).count());
        match t.entry(b"key:2") {
            Slot::Occupied(o) => assert_eq!(val(&o.remove()), b"a"),
            Slot::Vacant(_) => panic!("key:2 is there"),
        }
        match t.entry(b"new") {
            Slot::Vacant(v) => {
                v.insert(e(b"n"));
            }
            Slot::Occupied(_) => panic!("new is not there"),
        }
        assert_eq!(val(t.get(b"new").unwrap()), b"n");
    }

    #[test]
    fn the_prefetch_hint_is_where_hashbrown_keeps_the_buckets() {
        // The hint's arithmetic (bucket i at ctrl - (i + 1) * BUCKET) is hashbrown's layout,
        // not its API: if a new hashbrown moved things, prefetches would miss, silently.
        let mut t = KeyTable::default();
        for i in 0..2000usize {
            let key = format!("key:{i}");
            t.insert(key.as_bytes(), e(b"v"));
            if !(i + 1).is_power_of_two() && i % 97 != 0 {
                continue;
            }
            // A lookup of any key refreshes the hint; every key's bucket is where it says.
            let _ = t.entry(b"key:0");
            for j in 0..=i {
                let key = format!("key:{j}");
                let h = hash(key.as_bytes());
                let index =
                    t.t.find_bucket_index(h, |n| n.key() == key.as_bytes())
                        .unwrap();
                let bucket = t.t.get_bucket(index).unwrap() as *const Node as usize;
                assert_eq!(bucket, t.ctrl - (index + 1) * BUCKET, "key {j} of {i}");
            }
        }
        // Prefetching, right or wrong, changes nothing.
        for i in 0..100 {
            t.prefetch_buckets(hash(format!("key:{i}").as_bytes()));
            t.prefetch_node(hash(format!("key:{i}").as_bytes()));
        }
        assert_eq!(t.len(), 2000);
    }

    #[test]
    fn keys_compare_equal_exactly_when_their_bytes_do() {
        let base: Vec<u8> = (0..40u8).map(|i| b'a' + i % 26).collect();
        for len in 0..=base.len() {
            let a = &base[..len];
            // Equal bytes at another address.
            let copy = a.to_vec();
            assert!(key_eq(a, &copy), "len {len}");
            assert!(!key_eq(a, &base[..len.saturating_sub(1)]) || len == 0);
            // One byte differs, anywhere.
            for at in 0..len {
                let mut b = a.to_vec();
                b[at] ^= 0x20;
                assert!(!key_eq(a, &b), "len {len} at {at}");
            }
        }
    }

    #[test]
    fn a_small_key_is_one_small_block() {
        assert_eq!(KeyTable::node_bytes(7), 48 + 9);
        assert_eq!(KeyTable::node_bytes(16), 64 + 9);
        assert_eq!(KeyTable::node_bytes(254), 320 + 9);
        assert_eq!(KeyTable::node_bytes(255), 320 + 9);
    }
}
