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

#[inline]
fn hash(key: &[u8]) -> u64 {
    hasher().hash_one(key)
}

/// A map from key bytes to [`Entry`]: one allocation per key (see the module docs).
#[derive(Default)]
pub struct KeyTable {
    t: HashTable<Node>,
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
}

impl<'a> Vacant<'a, '_> {
    pub fn insert(self, entry: Entry) -> &'a mut Entry {
        self.v
            .insert(Node::new(self.key, entry))
            .into_mut()
            .entry_mut()
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
        self.t.find(hash(key), |n| n.key() == key).map(Node::entry)
    }

    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut Entry> {
        self.t
            .find_mut(hash(key), |n| n.key() == key)
            .map(Node::entry_mut)
    }

    /// The key's place, found or not, with one hash and one probe.
    pub fn entry<'a, 'k>(&'a mut self, key: &'k [u8]) -> Slot<'a, 'k> {
        match self
            .t
            .entry(hash(key), |n| n.key() == key, |n| hash(n.key()))
        {
            hash_table::Entry::Occupied(o) => Slot::Occupied(Occupied(o)),
            hash_table::Entry::Vacant(v) => Slot::Vacant(Vacant { v, key }),
        }
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
        match self.t.find_entry(hash(key), |n| n.key() == key) {
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
    fn a_small_key_is_one_small_block() {
        assert_eq!(KeyTable::node_bytes(7), 48 + 9);
        assert_eq!(KeyTable::node_bytes(16), 64 + 9);
        assert_eq!(KeyTable::node_bytes(254), 320 + 9);
        assert_eq!(KeyTable::node_bytes(255), 320 + 9);
    }
}
