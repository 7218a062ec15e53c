//! The stream type. Owner: the streams family (`commands/streams.rs`).
//!
//! A stream is an append-only log of entries ordered by [`StreamId`] (`ms-seq`, two u64s), each a
//! list of field/value pairs, plus consumer groups. Redis keeps entries in a radix tree of
//! listpacks of up to 100 entries ("nodes"); here they live in a `BTreeMap` keyed by id, each
//! entry packed into one buffer (`u32` little-endian length, bytes, for every field and value), so
//! an entry costs one allocation whatever its number of fields.
//!
//! Approximate trimming (`MAXLEN ~`, `MINID ~`) removes whole nodes only, as Redis does; the nodes
//! are modelled as consecutive runs of [`NODE_ENTRIES`] entries counted from the first entry, which
//! is what Redis's nodes are for a stream of small entries that had no XDEL.
//!
//! Consumer groups follow Redis 7.0: a group has its last delivered id, its `entries_read`
//! counter (for the lag), a pending entries list (PEL: id -> consumer, delivery time, delivery
//! count) and its consumers, each with the ids it owns in the PEL and its seen time.
//! Semantics: <https://redis.io/docs/data-types/streams/>, Redis 7.0's `t_stream.c`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Redis's `stream-node-max-entries` default: entries per node (approximate trimming, XINFO's
/// radix-tree-keys).
pub const NODE_ENTRIES: usize = 100;

/// Redis's `SCG_INVALID_ENTRIES_READ`: a group whose read counter is unknown.
pub const INVALID_ENTRIES_READ: i64 = -1;

/// A stream entry id: milliseconds and a sequence number, ordered as the pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl StreamId {
    /// `0-0`.
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    /// `18446744073709551615-18446744073709551615`.
    pub const MAX: StreamId = StreamId {
        ms: u64::MAX,
        seq: u64::MAX,
    };

    pub const fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    /// The smallest id greater than this one, or `None` after [`StreamId::MAX`].
    pub fn next(self) -> Option<StreamId> {
        if self.seq < u64::MAX {
            Some(StreamId::new(self.ms, self.seq + 1))
        } else if self.ms < u64::MAX {
            Some(StreamId::new(self.ms + 1, 0))
        } else {
            None
        }
    }

    /// The greatest id smaller than this one, or `None` before [`StreamId::MIN`].
    pub fn prev(self) -> Option<StreamId> {
        if self.seq > 0 {
            Some(StreamId::new(self.ms, self.seq - 1))
        } else if self.ms > 0 {
            Some(StreamId::new(self.ms - 1, u64::MAX))
        } else {
            None
        }
    }

    pub fn is_zero(self) -> bool {
        self == StreamId::MIN
    }

    /// The `ms-seq` text, as replies carry it.
    pub fn to_bytes(self) -> Vec<u8> {
        self.to_string().into_bytes()
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// Parses a number as Redis's `string2ull` accepts it: optional leading whitespace and sign,
/// decimal digits fitting a u64; a minus sign only on zero.
fn parse_u64(b: &[u8]) -> Option<u64> {
    let start = b.iter().position(|c| !c.is_ascii_whitespace())?;
    let b = &b[start..];
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let v: u64 = std::str::from_utf8(digits).ok()?.parse().ok()?;
    (!neg || v == 0).then_some(v)
}

/// How an id argument was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdArg {
    /// `ms-seq`, or `ms` alone (the sequence then is the caller's `missing_seq`).
    Id(StreamId),
    /// `ms-*` (XADD only): the sequence is to be generated.
    AutoSeq(u64),
}

/// Parses a stream id argument as Redis's `streamGenericParseIDOrReply`: `-` and `+` (unless
/// `strict`), `ms`, `ms-seq`, and `ms-*` when `auto_seq` is allowed. `None` = invalid.
pub fn parse_id(b: &[u8], missing_seq: u64, strict: bool, auto_seq: bool) -> Option<IdArg> {
    if b.len() > 127 {
        return None;
    }
    match b {
        b"-" if !strict => return Some(IdArg::Id(StreamId::MIN)),
        b"+" if !strict => return Some(IdArg::Id(StreamId::MAX)),
        _ => {}
    }
    match b.iter().position(|&c| c == b'-') {
        None => Some(IdArg::Id(StreamId::new(parse_u64(b)?, missing_seq))),
        Some(dash) => {
            let ms = parse_u64(&b[..dash])?;
            let rest = &b[dash + 1..];
            if auto_seq && rest == b"*" {
                return Some(IdArg::AutoSeq(ms));
            }
            Some(IdArg::Id(StreamId::new(ms, parse_u64(rest)?)))
        }
    }
}

/// One entry's fields and values, packed: for each, a `u32` LE length then the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fields(Box<[u8]>);

impl Fields {
    /// Packs `pairs` (field, value, field, value, ...).
    pub fn pack<'a>(pairs: impl Iterator<Item = &'a [u8]> + Clone) -> Fields {
        let size: usize = pairs.clone().map(|p| p.len() + 4).sum();
        let mut v = Vec::with_capacity(size);
        for p in pairs {
            v.extend_from_slice(&(p.len() as u32).to_le_bytes());
            v.extend_from_slice(p);
        }
        Fields(v.into_boxed_slice())
    }

    /// Fields and values in order (field, value, field, value, ...).
    pub fn iter(&self) -> FieldsIter<'_> {
        FieldsIter(&self.0)
    }

    /// Number of fields and values (twice the number of pairs).
    pub fn count(&self) -> usize {
        self.iter().count()
    }

    /// Heap bytes (MEMORY USAGE estimates).
    pub fn heap_size(&self) -> usize {
        self.0.len()
    }
}

/// Iterator over a packed entry's fields and values.
pub struct FieldsIter<'a>(&'a [u8]);

impl<'a> Iterator for FieldsIter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.0.len() < 4 {
            return None;
        }
        let (len, rest) = self.0.split_at(4);
        let n = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
        let n = n.min(rest.len());
        let (item, rest) = rest.split_at(n);
        self.0 = rest;
        Some(item)
    }
}

/// An entry of a group's pending entries list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The consumer that owns it.
    pub consumer: Box<[u8]>,
    /// Last delivery, unix ms.
    pub delivery_time: u64,
    /// Times delivered.
    pub delivery_count: u64,
}

/// A consumer of a group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Consumer {
    /// Last time it read or claimed, unix ms (XINFO CONSUMERS `idle` is now minus this).
    pub seen_time: u64,
    /// The ids it owns in the group's PEL.
    pub pel: BTreeSet<StreamId>,
}

/// A consumer group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The last id delivered to any consumer with `>`.
    pub last_id: StreamId,
    /// Entries the group has read (for the lag), or [`INVALID_ENTRIES_READ`].
    pub entries_read: i64,
    /// Pending entries: delivered, not acknowledged.
    pub pel: BTreeMap<StreamId, Pending>,
    /// Consumers by name (XINFO lists them in name order, as Redis's radix tree).
    pub consumers: BTreeMap<Box<[u8]>, Consumer>,
}

impl Group {
    pub fn new(last_id: StreamId, entries_read: i64) -> Group {
        Group {
            last_id,
            entries_read,
            pel: BTreeMap::new(),
            consumers: BTreeMap::new(),
        }
    }

    /// The consumer `name`, created (seen now) when missing; its seen time becomes `now`.
    pub fn consumer_seen(&mut self, name: &[u8], now: u64) -> &mut Consumer {
        let c = self.consumers.entry(name.into()).or_default();
        c.seen_time = now;
        c
    }

    /// Creates consumer `name` (seen now); false if it exists.
    pub fn create_consumer(&mut self, name: &[u8], now: u64) -> bool {
        if self.consumers.contains_key(name) {
            return false;
        }
        self.consumers.insert(
            name.into(),
            Consumer {
                seen_time: now,
                pel: BTreeSet::new(),
            },
        );
        true
    }

    /// Deletes consumer `name` and its pending entries; the number of pending entries it had.
    pub fn delete_consumer(&mut self, name: &[u8]) -> usize {
        let Some(c) = self.consumers.remove(name) else {
            return 0;
        };
        for id in &c.pel {
            self.pel.remove(id);
        }
        c.pel.len()
    }

    /// Acknowledges `id`: true if it was pending.
    pub fn ack(&mut self, id: StreamId) -> bool {
        let Some(p) = self.pel.remove(&id) else {
            return false;
        };
        if let Some(c) = self.consumers.get_mut(&p.consumer) {
            c.pel.remove(&id);
        }
        true
    }

    /// Makes `consumer` (which must exist) the owner of pending `id`, creating the PEL entry with
    /// `count` deliveries when missing. Sets the delivery time to `time`.
    pub fn assign(&mut self, id: StreamId, consumer: &[u8], time: u64, count: Option<u64>) {
        let p = self.pel.entry(id).or_insert_with(|| Pending {
            consumer: consumer.into(),
            delivery_time: time,
            delivery_count: 1,
        });
        if &*p.consumer != consumer {
            if let Some(old) = self.consumers.get_mut(&p.consumer) {
                old.pel.remove(&id);
            }
            p.consumer = consumer.into();
        }
        p.delivery_time = time;
        if let Some(n) = count {
            p.delivery_count = n;
        }
        if let Some(c) = self.consumers.get_mut(consumer) {
            c.pel.insert(id);
        }
    }
}

/// Why an XADD could not add.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddError {
    /// The id is not greater than the stream's last id.
    TooSmall,
    /// The last id is the greatest possible.
    Exhausted,
    /// `ms-*` with `ms` the last id's and its sequence at the maximum (Redis then answers
    /// "Elements are too large to be stored").
    SeqExhausted,
}

/// A trimming request (XADD / XTRIM options).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trim {
    /// Keep at most this many entries.
    MaxLen(u64),
    /// Remove entries with an id below this one.
    MinId(StreamId),
}

/// A stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stream {
    entries: BTreeMap<StreamId, Fields>,
    /// The greatest id ever added (or set by XSETID).
    pub last_id: StreamId,
    /// The first entry's id as last recorded (0-0 when empty), XINFO's recorded-first-entry-id.
    pub first_id: StreamId,
    /// The greatest id removed by XDEL.
    pub max_deleted: StreamId,
    /// Entries ever added.
    pub entries_added: u64,
    /// Consumer groups by name.
    pub groups: BTreeMap<Box<[u8]>, Group>,
}

impl Stream {
    pub fn new() -> Stream {
        Stream::default()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Approximate heap bytes of the entries (B-tree slots and packed fields), estimated from
    /// the first `samples` entries, plus ~100 bytes per consumer group (MEMORY USAGE).
    pub fn mem_usage(&self, samples: usize) -> usize {
        let entries = self
            .entries
            .values()
            .map(|f| crate::memory::size_class(f.0.len(), 1) + 48);
        crate::memory::sampled(self.entries.len(), samples, entries) + self.groups.len() * 100
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The id the next auto-id XADD at `now_ms` gets: `now-0` when the clock is ahead of the
    /// last id, else the last id plus one.
    pub fn next_id(&self, now_ms: u64) -> Option<StreamId> {
        if now_ms > self.last_id.ms {
            Some(StreamId::new(now_ms, 0))
        } else {
            self.last_id.next()
        }
    }

    /// Resolves an XADD id (`None` = `*`) and appends the entry; returns its id.
    pub fn add<'a>(
        &mut self,
        id: Option<IdArg>,
        now_ms: u64,
        pairs: impl Iterator<Item = &'a [u8]> + Clone,
    ) -> Result<StreamId, AddError> {
        if self.last_id == StreamId::MAX {
            return Err(AddError::Exhausted);
        }
        let id = match id {
            None => self.next_id(now_ms).ok_or(AddError::Exhausted)?,
            Some(IdArg::Id(id)) => id,
            Some(IdArg::AutoSeq(ms)) if ms == self.last_id.ms => {
                if self.last_id.seq == u64::MAX {
                    return Err(AddError::SeqExhausted);
                }
                StreamId::new(ms, self.last_id.seq + 1)
            }
            Some(IdArg::AutoSeq(ms)) => StreamId::new(ms, 0),
        };
        if id <= self.last_id {
            return Err(AddError::TooSmall);
        }
        self.entries.insert(id, Fields::pack(pairs));
        self.last_id = id;
        self.entries_added += 1;
        if self.entries.len() == 1 {
            self.first_id = id;
        }
        Ok(id)
    }

    /// The entry `id`.
    pub fn get(&self, id: StreamId) -> Option<&Fields> {
        self.entries.get(&id)
    }

    pub fn contains(&self, id: StreamId) -> bool {
        self.entries.contains_key(&id)
    }

    /// Entries with ids in `start..=end`, ascending.
    pub fn range(
        &self,
        start: StreamId,
        end: StreamId,
    ) -> impl DoubleEndedIterator<Item = (StreamId, &Fields)> {
        let r = if start <= end {
            Some(self.entries.range(start..=end))
        } else {
            None
        };
        r.into_iter().flatten().map(|(k, v)| (*k, v))
    }

    /// The first entry.
    pub fn first(&self) -> Option<(StreamId, &Fields)> {
        self.entries.iter().next().map(|(k, v)| (*k, v))
    }

    /// The last entry.
    pub fn last(&self) -> Option<(StreamId, &Fields)> {
        self.entries.iter().next_back().map(|(k, v)| (*k, v))
    }

    /// The id of the last entry present (0-0 when empty): Redis's `streamLastValidID`.
    pub fn last_valid_id(&self) -> StreamId {
        self.last().map_or(StreamId::MIN, |(id, _)| id)
    }

    fn record_first(&mut self) {
        self.first_id = self.first().map_or(StreamId::MIN, |(id, _)| id);
    }

    /// Deletes the entries `ids` (XDEL); returns how many existed. Updates the max deleted id and
    /// the recorded first id.
    pub fn delete(&mut self, ids: &[StreamId]) -> usize {
        let mut n = 0;
        for &id in ids {
            if self.entries.remove(&id).is_some() {
                self.max_deleted = self.max_deleted.max(id);
                n += 1;
            }
        }
        if n > 0 {
            self.record_first();
        }
        n
    }

    /// Trims the stream (XTRIM, XADD's MAXLEN/MINID). `approx` removes whole nodes only;
    /// `limit` (approximate trimming only, 0 = none) caps the entries removed, counted in whole
    /// nodes. Returns the number removed.
    pub fn trim(&mut self, how: Trim, approx: bool, limit: u64) -> u64 {
        let mut removed: u64 = 0;
        loop {
            let len = self.entries.len() as u64;
            if len == 0 {
                break;
            }
            if let Trim::MaxLen(max) = how {
                if len <= max {
                    break;
                }
            }
            let node = len.min(NODE_ENTRIES as u64);
            if limit > 0 && removed + node > limit {
                break;
            }
            let whole = match how {
                Trim::MaxLen(max) => len - node >= max,
                Trim::MinId(min) => self
                    .entries
                    .keys()
                    .nth(node as usize - 1)
                    .is_some_and(|&last| last < min),
            };
            if whole {
                for _ in 0..node {
                    self.entries.pop_first();
                }
                removed += node;
                continue;
            }
            if approx {
                break;
            }
            // Exact: remove single entries from this node, then stop.
            loop {
                let done = match how {
                    Trim::MaxLen(max) => self.entries.len() as u64 <= max,
                    Trim::MinId(min) => self.first().is_none_or(|(id, _)| id >= min),
                };
                if done {
                    break;
                }
                self.entries.pop_first();
                removed += 1;
            }
            break;
        }
        self.record_first();
        removed
    }

    /// Radix tree keys, as XINFO reports them: the number of nodes.
    pub fn nodes(&self) -> usize {
        self.entries.len().div_ceil(NODE_ENTRIES)
    }

    /// Whether a deleted entry may lie in `start..=end` (Redis's `streamRangeHasTombstones`).
    pub fn has_tombstones(&self, start: StreamId, end: StreamId) -> bool {
        if self.is_empty() || self.max_deleted.is_zero() || self.max_deleted < self.first_id {
            // Empty, never deleted from, or the latest deletion lies before the first entry.
            return false;
        }
        start <= self.max_deleted && self.max_deleted <= end
    }

    /// Estimated number of entries added up to `id` (Redis's
    /// `streamEstimateDistanceFromFirstEverEntry`), or [`INVALID_ENTRIES_READ`].
    pub fn estimate_distance(&self, id: StreamId) -> i64 {
        let added = self.entries_added as i64;
        if self.entries_added == 0 {
            return 0;
        }
        if self.is_empty() && id <= self.last_id {
            return added;
        }
        match id.cmp(&self.last_id) {
            std::cmp::Ordering::Equal => return added,
            std::cmp::Ordering::Greater => return INVALID_ENTRIES_READ,
            _ => {}
        }
        let len = self.len() as i64;
        if self.max_deleted.is_zero() || self.max_deleted < self.first_id {
            match id.cmp(&self.first_id) {
                std::cmp::Ordering::Less => return added - len,
                std::cmp::Ordering::Equal => return added - len + 1,
                _ => {}
            }
        }
        INVALID_ENTRIES_READ
    }

    /// A group's lag (XINFO GROUPS), `None` when it cannot be known.
    pub fn lag(&self, g: &Group) -> Option<i64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if g.entries_read != INVALID_ENTRIES_READ && !self.has_tombstones(g.last_id, StreamId::MAX)
        {
            return Some(self.entries_added as i64 - g.entries_read);
        }
        let read = self.estimate_distance(g.last_id);
        (read != INVALID_ENTRIES_READ).then(|| self.entries_added as i64 - read)
    }

    /// Moves group `name`'s last delivered id forward to `id` (delivered with `>`), keeping its
    /// read counter as Redis does.
    pub fn advance_group(&mut self, name: &[u8], id: StreamId) {
        let tomb = self.has_tombstones(id, StreamId::MAX);
        let est = self.estimate_distance(id);
        let added = self.entries_added;
        let Some(g) = self.groups.get_mut(name) else {
            return;
        };
        if id <= g.last_id {
            return;
        }
        if g.entries_read != INVALID_ENTRIES_READ && !tomb {
            g.entries_read += 1;
        } else if added > 0 {
            g.entries_read = est;
        }
        g.last_id = id;
    }

    /// Approximate heap bytes (MEMORY USAGE).
    pub fn heap_size(&self) -> usize {
        self.entries
            .values()
            .map(|f| f.heap_size() + 48)
            .sum::<usize>()
            + self
                .groups
                .values()
                .map(|g| g.pel.len() * 64 + g.consumers.len() * 64)
                .sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(ms: u64, seq: u64) -> StreamId {
        StreamId::new(ms, seq)
    }

    fn add(s: &mut Stream, i: StreamId) {
        s.add(Some(IdArg::Id(i)), 0, [&b"f"[..], b"v"].into_iter())
            .unwrap();
    }

    #[test]
    fn ids_parse_like_redis() {
        assert_eq!(parse_id(b"1-2", 0, true, false), Some(IdArg::Id(id(1, 2))));
        assert_eq!(parse_id(b"5", 7, true, false), Some(IdArg::Id(id(5, 7))));
        assert_eq!(
            parse_id(b"-", 0, false, false),
            Some(IdArg::Id(StreamId::MIN))
        );
        assert_eq!(
            parse_id(b"+", 0, false, false),
            Some(IdArg::Id(StreamId::MAX))
        );
        assert_eq!(parse_id(b"-", 0, true, false), None);
        assert_eq!(parse_id(b"3-*", 0, true, true), Some(IdArg::AutoSeq(3)));
        assert_eq!(parse_id(b"3-*", 0, true, false), None);
        for bad in [
            "",
            "x",
            "1-x",
            "1-2-3",
            "-1",
            "1--1",
            "18446744073709551616",
        ] {
            assert_eq!(parse_id(bad.as_bytes(), 0, true, false), None, "{bad}");
        }
        assert_eq!(
            parse_id(b"18446744073709551615-18446744073709551615", 0, true, false),
            Some(IdArg::Id(StreamId::MAX))
        );
        assert_eq!(StreamId::MAX.next(), None);
        assert_eq!(StreamId::MIN.prev(), None);
        assert_eq!(id(1, u64::MAX).next(), Some(id(2, 0)));
        assert_eq!(id(2, 0).prev(), Some(id(1, u64::MAX)));
    }

    #[test]
    fn fields_round_trip() {
        let f = Fields::pack([&b"a"[..], b"", b"long value"].into_iter());
        let v: Vec<&[u8]> = f.iter().collect();
        assert_eq!(v, vec![&b"a"[..], b"", b"long value"]);
        assert_eq!(f.count(), 3);
    }

    #[test]
    fn add_checks_ids_and_generates_them() {
        let mut s = Stream::new();
        let p = [&b"f"[..], b"v"];
        assert_eq!(s.add(None, 10, p.into_iter()), Ok(id(10, 0)));
        assert_eq!(s.add(None, 5, p.into_iter()), Ok(id(10, 1)));
        assert_eq!(
            s.add(Some(IdArg::Id(id(10, 1))), 0, p.into_iter()),
            Err(AddError::TooSmall)
        );
        assert_eq!(
            s.add(Some(IdArg::AutoSeq(10)), 0, p.into_iter()),
            Ok(id(10, 2))
        );
        assert_eq!(
            s.add(Some(IdArg::AutoSeq(11)), 0, p.into_iter()),
            Ok(id(11, 0))
        );
        assert_eq!((s.len(), s.entries_added, s.first_id), (4, 4, id(10, 0)));
        s.add(Some(IdArg::Id(StreamId::MAX)), 0, p.into_iter())
            .unwrap();
        assert_eq!(s.add(None, 0, p.into_iter()), Err(AddError::Exhausted));
    }

    #[test]
    fn delete_tracks_max_deleted_and_first() {
        let mut s = Stream::new();
        for i in 1..=3 {
            add(&mut s, id(i, 0));
        }
        assert_eq!(s.delete(&[id(2, 0), id(9, 9)]), 1);
        assert_eq!(s.max_deleted, id(2, 0));
        assert_eq!(s.delete(&[id(1, 0)]), 1);
        assert_eq!(s.first_id, id(3, 0));
        assert_eq!(s.delete(&[id(3, 0)]), 1);
        assert_eq!(s.first_id, StreamId::MIN);
        assert_eq!(s.last_id, id(3, 0));
    }

    #[test]
    fn trim_exact_and_by_whole_nodes() {
        let mut s = Stream::new();
        for i in 1..=250 {
            add(&mut s, id(i, 0));
        }
        assert_eq!(s.trim(Trim::MaxLen(200), true, 0), 0);
        assert_eq!(s.trim(Trim::MaxLen(100), true, 0), 100);
        assert_eq!(s.len(), 150);
        assert_eq!(s.trim(Trim::MaxLen(10), false, 0), 140);
        assert_eq!(s.first_id, id(241, 0));
        assert_eq!(s.trim(Trim::MinId(id(245, 0)), false, 0), 4);
        assert_eq!(s.trim(Trim::MinId(id(300, 0)), true, 0), 6);
        assert!(s.is_empty());
        let mut s = Stream::new();
        for i in 1..=300 {
            add(&mut s, id(i, 0));
        }
        assert_eq!(s.trim(Trim::MaxLen(0), true, 150), 100);
    }

    #[test]
    fn group_pel_follows_owners() {
        let mut g = Group::new(StreamId::MIN, 0);
        g.consumer_seen(b"a", 1);
        g.consumer_seen(b"b", 1);
        g.assign(id(1, 0), b"a", 5, None);
        g.assign(id(2, 0), b"a", 5, None);
        g.assign(id(1, 0), b"b", 6, Some(3));
        assert_eq!(g.consumers[&b"a"[..]].pel.len(), 1);
        assert_eq!(g.pel[&id(1, 0)].delivery_count, 3);
        assert!(g.ack(id(2, 0)));
        assert!(!g.ack(id(2, 0)));
        assert_eq!(g.delete_consumer(b"b"), 1);
        assert!(g.pel.is_empty());
    }

    #[test]
    fn lag_follows_redis_estimates() {
        let mut s = Stream::new();
        for i in 1..=3 {
            add(&mut s, id(i, 0));
        }
        let g = Group::new(StreamId::MIN, INVALID_ENTRIES_READ);
        assert_eq!(s.lag(&g), Some(3));
        let g = Group::new(id(3, 0), INVALID_ENTRIES_READ);
        assert_eq!(s.lag(&g), Some(0));
        s.delete(&[id(2, 0)]);
        let g = Group::new(id(1, 0), INVALID_ENTRIES_READ);
        assert_eq!(s.lag(&g), None);
    }
}
