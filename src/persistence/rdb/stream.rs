//! Streams in RDB (`rdb.c` `rdbSaveObject` / `rdbLoadObject` for streams, `t_stream.c` for the
//! node layout): written as STREAM_LISTPACKS_2 (19) as Redis 7.0 writes it; read from 15 and 19.
//!
//! Body: node count, then per node its master id (16 bytes: ms, seq, both u64 big-endian) and
//! a listpack; then the length, last id, first id, max deleted id, entries added (19 only),
//! and the consumer groups: name, last id, entries read (19 only), the group's PEL (16-byte id,
//! delivery time as 8 bytes LE ms, delivery count), its consumers (name, seen time, their PEL
//! as bare ids).
//!
//! A node's listpack starts with the master entry: `count deleted n field_1..field_n 0`, then
//! each entry: `flags ms-diff seq-diff` and either the values alone (flag SAMEFIELDS: the
//! master's fields) or `n field value ...`, then `lp-count` (the entry's element count).
//! Nodes close at 100 entries or 4096 bytes (`stream-node-max-entries`/`-bytes` defaults).

use super::codec::{put_len, put_string, Input, PREALLOC_CAP};
use super::packed::{parse_listpack, Elem, Listpack};
use super::{types, RdbError};
use crate::keyspace::stream::{
    Consumer, Group, IdArg, Pending, Stream, StreamId, INVALID_ENTRIES_READ,
};
use std::io::Read;

/// Redis's `stream-node-max-entries` default.
const NODE_MAX_ENTRIES: usize = 100;
/// Redis's `stream-node-max-bytes` default.
const NODE_MAX_BYTES: usize = 4096;
const FLAG_DELETED: i64 = 1;
const FLAG_SAMEFIELDS: i64 = 2;

fn corrupt(what: impl Into<String>) -> RdbError {
    RdbError::Corrupt(what.into())
}

fn put_id_raw(b: &mut Vec<u8>, id: StreamId) {
    b.extend_from_slice(&id.ms.to_be_bytes());
    b.extend_from_slice(&id.seq.to_be_bytes());
}

fn put_id_len(b: &mut Vec<u8>, id: StreamId) {
    put_len(b, id.ms);
    put_len(b, id.seq);
}

/// Appends a stream's body as STREAM_LISTPACKS_2.
pub fn put_stream(b: &mut Vec<u8>, s: &Stream) {
    put_stream_as(b, s, true);
}

/// Appends a stream's body as STREAM_LISTPACKS_2 (`v2`) or the older STREAM_LISTPACKS.
fn put_stream_as(b: &mut Vec<u8>, s: &Stream, v2: bool) {
    let nodes = build_nodes(s);
    put_len(b, nodes.len() as u64);
    for (master, lp) in &nodes {
        let mut key = Vec::with_capacity(16);
        put_id_raw(&mut key, *master);
        put_string(b, &key);
        put_string(b, lp);
    }
    put_len(b, s.len() as u64);
    put_id_len(b, s.last_id);
    if v2 {
        put_id_len(b, s.first_id);
        put_id_len(b, s.max_deleted);
        put_len(b, s.entries_added);
    }
    put_len(b, s.groups.len() as u64);
    for (name, g) in &s.groups {
        put_string(b, name);
        put_id_len(b, g.last_id);
        if v2 {
            // -1 (unknown) is stored as its 64-bit two's complement, as Redis's rdbSaveLen.
            put_len(b, g.entries_read as u64);
        }
        put_len(b, g.pel.len() as u64);
        for (id, p) in &g.pel {
            put_id_raw(b, *id);
            b.extend_from_slice(&p.delivery_time.to_le_bytes());
            put_len(b, p.delivery_count);
        }
        put_len(b, g.consumers.len() as u64);
        for (cname, c) in &g.consumers {
            put_string(b, cname);
            b.extend_from_slice(&c.seen_time.to_le_bytes());
            put_len(b, c.pel.len() as u64);
            for id in &c.pel {
                put_id_raw(b, *id);
            }
        }
    }
}

/// Listpack bytes of integer `v` as one element.
fn int_size(v: i64) -> usize {
    Listpack::entry_size(itoa::Buffer::new().format(v).as_bytes())
}

/// One node being filled: its master id and fields, entries, and its listpack's exact size.
struct Node {
    master: StreamId,
    fields: Vec<Vec<u8>>,
    entries: Vec<(StreamId, Vec<Vec<u8>>, bool)>,
    bytes: usize,
}

impl Node {
    fn new(master: StreamId, items: &[Vec<u8>]) -> Node {
        let fields: Vec<Vec<u8>> = items.chunks(2).map(|p| p[0].clone()).collect();
        // Header and terminator, then `count deleted n fields... 0`.
        let bytes = 7
            + int_size(1)
            + int_size(0)
            + int_size(fields.len() as i64)
            + fields
                .iter()
                .map(|f| Listpack::entry_size(f))
                .sum::<usize>()
            + int_size(0);
        Node {
            master,
            fields,
            entries: Vec::new(),
            bytes,
        }
    }

    fn add(&mut self, id: StreamId, items: Vec<Vec<u8>>) {
        let ms = id.ms.wrapping_sub(self.master.ms) as i64;
        let seq = id.seq.wrapping_sub(self.master.seq) as i64;
        let pairs = items.len() / 2;
        let same = pairs == self.fields.len()
            && items.chunks(2).zip(&self.fields).all(|(p, f)| p[0] == *f);
        self.bytes += int_size(ms) + int_size(seq);
        if same {
            self.bytes += int_size(FLAG_SAMEFIELDS) + int_size(pairs as i64 + 3);
            self.bytes += items
                .chunks(2)
                .map(|p| Listpack::entry_size(&p[1]))
                .sum::<usize>();
        } else {
            self.bytes += int_size(0) + int_size(pairs as i64) + int_size(2 * pairs as i64 + 4);
            self.bytes += items.iter().map(|x| Listpack::entry_size(x)).sum::<usize>();
        }
        self.entries.push((id, items, same));
    }

    fn finish(self) -> (StreamId, Vec<u8>) {
        let mut lp = Listpack::new();
        lp.push_int(self.entries.len() as i64);
        lp.push_int(0);
        lp.push_int(self.fields.len() as i64);
        for f in &self.fields {
            lp.push(f);
        }
        lp.push_int(0);
        for (id, items, same) in &self.entries {
            let ms = id.ms.wrapping_sub(self.master.ms) as i64;
            let seq = id.seq.wrapping_sub(self.master.seq) as i64;
            let pairs = items.len() / 2;
            if *same {
                lp.push_int(FLAG_SAMEFIELDS);
                lp.push_int(ms);
                lp.push_int(seq);
                for p in items.chunks(2) {
                    lp.push(&p[1]);
                }
                lp.push_int(pairs as i64 + 3);
            } else {
                lp.push_int(0);
                lp.push_int(ms);
                lp.push_int(seq);
                lp.push_int(pairs as i64);
                for x in items {
                    lp.push(x);
                }
                lp.push_int(2 * pairs as i64 + 4);
            }
        }
        (self.master, lp.finish())
    }
}

/// The stream's entries as Redis's nodes, (master id, listpack), cut where `streamAppendItem`
/// starts a new node: when the listpack's bytes plus the new entry's field and value bytes
/// reach 4096, or the node holds 100 entries.
fn build_nodes(s: &Stream) -> Vec<(StreamId, Vec<u8>)> {
    let mut out = Vec::new();
    let mut cur: Option<Node> = None;
    for (id, fields) in s.range(StreamId::MIN, StreamId::MAX) {
        let items: Vec<Vec<u8>> = fields.iter().map(|x| x.to_vec()).collect();
        let size: usize = items.iter().map(|x| x.len()).sum();
        if let Some(n) = cur.take() {
            if n.bytes + size >= NODE_MAX_BYTES || n.entries.len() >= NODE_MAX_ENTRIES {
                out.push(n.finish());
            } else {
                cur = Some(n);
            }
        }
        cur.get_or_insert_with(|| Node::new(id, &items))
            .add(id, items);
    }
    if let Some(n) = cur {
        out.push(n.finish());
    }
    out
}

fn read_id_raw<R: Read>(inp: &mut Input<R>) -> Result<StreamId, RdbError> {
    let mut b = [0u8; 16];
    inp.fill(&mut b)?;
    Ok(id_from_key(&b))
}

fn id_from_key(b: &[u8; 16]) -> StreamId {
    let mut ms = [0u8; 8];
    let mut seq = [0u8; 8];
    ms.copy_from_slice(&b[..8]);
    seq.copy_from_slice(&b[8..]);
    StreamId::new(u64::from_be_bytes(ms), u64::from_be_bytes(seq))
}

fn read_id_len<R: Read>(inp: &mut Input<R>) -> Result<StreamId, RdbError> {
    Ok(StreamId::new(inp.length()?, inp.length()?))
}

fn int(e: Option<&Elem<'_>>) -> Result<i64, RdbError> {
    match e {
        Some(Elem::Int(n)) => Ok(*n),
        _ => Err(corrupt("stream listpack: integer expected")),
    }
}

/// Reads a stream body of type `ty` (STREAM_LISTPACKS or STREAM_LISTPACKS_2).
pub fn read_stream<R: Read>(inp: &mut Input<R>, ty: u8) -> Result<Stream, RdbError> {
    let v2 = ty == types::STREAM_LISTPACKS_2;
    let mut s = Stream::new();
    let nodes = inp.count()?;
    for _ in 0..nodes {
        let key = inp.string()?;
        let key: [u8; 16] = key
            .as_slice()
            .try_into()
            .map_err(|_| corrupt("stream node key is not 16 bytes"))?;
        let master = id_from_key(&key);
        let lp = inp.string()?;
        let elems = parse_listpack(&lp)?;
        if elems.is_empty() {
            return Err(corrupt("empty listpack inside stream"));
        }
        let mut it = elems.iter();
        let _count = int(it.next())?;
        let _deleted = int(it.next())?;
        let nf = usize::try_from(int(it.next())?).map_err(|_| corrupt("stream master fields"))?;
        let mut mfields = Vec::with_capacity(nf.min(elems.len()));
        for _ in 0..nf {
            mfields.push(
                it.next()
                    .ok_or_else(|| corrupt("stream master fields"))?
                    .to_vec(),
            );
        }
        if int(it.next())? != 0 {
            return Err(corrupt("stream master entry without terminator"));
        }
        while let Some(first) = it.next() {
            let flags = int(Some(first))?;
            let ms = master.ms.wrapping_add(int(it.next())? as u64);
            let seq = master.seq.wrapping_add(int(it.next())? as u64);
            let mut items: Vec<Vec<u8>> = Vec::new();
            if flags & FLAG_SAMEFIELDS != 0 {
                for f in &mfields {
                    let v = it.next().ok_or_else(|| corrupt("stream entry values"))?;
                    items.push(f.clone());
                    items.push(v.to_vec());
                }
            } else {
                let n = usize::try_from(int(it.next())?)
                    .map_err(|_| corrupt("stream entry field count"))?;
                for _ in 0..n.saturating_mul(2) {
                    items.push(
                        it.next()
                            .ok_or_else(|| corrupt("stream entry fields"))?
                            .to_vec(),
                    );
                }
            }
            let _lp_count = int(it.next())?;
            if flags & FLAG_DELETED != 0 {
                continue;
            }
            let id = StreamId::new(ms, seq);
            s.add(Some(IdArg::Id(id)), 0, items.iter().map(|x| &x[..]))
                .map_err(|_| corrupt("stream entries out of order"))?;
        }
    }
    let length = inp.length()?;
    if length != s.len() as u64 {
        return Err(corrupt("stream length does not match its entries"));
    }
    let last_id = read_id_len(inp)?;
    if s.last().is_some_and(|(id, _)| id > last_id) {
        return Err(corrupt("stream last id below its last entry"));
    }
    s.last_id = last_id;
    if v2 {
        s.first_id = read_id_len(inp)?;
        s.max_deleted = read_id_len(inp)?;
        s.entries_added = inp.length()?;
    } else {
        s.first_id = s.first().map(|(id, _)| id).unwrap_or(StreamId::MIN);
        s.max_deleted = StreamId::MIN;
        s.entries_added = length;
    }
    let ngroups = inp.count()?;
    for _ in 0..ngroups {
        let name = inp.string()?;
        let last = read_id_len(inp)?;
        let entries_read = if v2 {
            inp.length()? as i64
        } else {
            s.estimate_distance(last)
        };
        let mut g = Group::new(last, entries_read.max(INVALID_ENTRIES_READ));
        let npel = inp.count()?;
        let mut pel = Vec::with_capacity(npel.min(PREALLOC_CAP));
        for _ in 0..npel {
            let id = read_id_raw(inp)?;
            let time = inp.u64_le()?;
            let count = inp.length()?;
            pel.push((id, time, count));
        }
        pel.sort_by_key(|p| p.0);
        let nconsumers = inp.count()?;
        for _ in 0..nconsumers {
            let cname = inp.string()?;
            let seen = inp.u64_le()?;
            let n = inp.count()?;
            let mut c = Consumer {
                seen_time: seen,
                ..Consumer::default()
            };
            for _ in 0..n {
                let id = read_id_raw(inp)?;
                let Ok(i) = pel.binary_search_by(|p| p.0.cmp(&id)) else {
                    return Err(corrupt("consumer PEL entry not in the group PEL"));
                };
                let (_, time, count) = pel[i];
                if g.pel.contains_key(&id) {
                    return Err(corrupt("PEL entry owned by two consumers"));
                }
                g.pel.insert(
                    id,
                    Pending {
                        consumer: cname.clone().into_boxed_slice(),
                        delivery_time: time,
                        delivery_count: count,
                    },
                );
                c.pel.insert(id);
            }
            if g.consumers.insert(cname.into_boxed_slice(), c).is_some() {
                return Err(corrupt("duplicate stream consumer"));
            }
        }
        if g.pel.len() != pel.len() {
            return Err(corrupt("stream group PEL entry without consumer"));
        }
        if s.groups.insert(name.into_boxed_slice(), g).is_some() {
            return Err(corrupt("duplicate stream consumer group"));
        }
    }
    Ok(s)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::persistence::rdb::codec::Input;

    fn id(ms: u64, seq: u64) -> StreamId {
        StreamId::new(ms, seq)
    }

    /// A stream with same-field and other-field entries, numbers, a deletion, several nodes,
    /// and two groups with PELs and consumers.
    pub fn sample_stream() -> Stream {
        let mut s = Stream::new();
        let add = |s: &mut Stream, i: StreamId, kv: &[&[u8]]| {
            s.add(Some(IdArg::Id(i)), 0, kv.iter().copied()).unwrap();
        };
        add(&mut s, id(1, 1), &[b"a", b"1", b"b", b"hello"]);
        add(&mut s, id(1, 2), &[b"a", b"-5000", b"b", b"x"]);
        add(&mut s, id(1, 3), &[b"c", b"only"]);
        add(&mut s, id(2, 0), &[b"a", b"1", b"b", b"2", b"c", b"3"]);
        let long = vec![b'L'; 3000];
        for i in 0..250u64 {
            let v = format!("v{i}");
            add(&mut s, id(10 + i, i % 3), &[b"f", v.as_bytes()]);
            if i % 50 == 0 {
                add(&mut s, id(10 + i, 7), &[b"big", &long]);
            }
        }
        s.delete(&[id(1, 2)]);
        let mut g = Group::new(id(1, 3), 3);
        for (i, owner) in [(id(1, 1), "alice"), (id(1, 3), "bob"), (id(2, 0), "alice")] {
            g.pel.insert(
                i,
                Pending {
                    consumer: owner.as_bytes().into(),
                    delivery_time: 1_700_000_000_123,
                    delivery_count: 2,
                },
            );
            g.consumers
                .entry(owner.as_bytes().into())
                .or_default()
                .pel
                .insert(i);
        }
        g.consumers.get_mut(&b"alice"[..]).unwrap().seen_time = 1_700_000_000_999;
        g.consumers
            .insert(b"idle".to_vec().into(), Consumer::default());
        s.groups.insert(b"g1".to_vec().into(), g);
        s.groups.insert(
            b"g2".to_vec().into(),
            Group::new(s.last_id, INVALID_ENTRIES_READ),
        );
        s
    }

    fn round_trip(s: &Stream, v2: bool) -> Result<Stream, RdbError> {
        let mut b = Vec::new();
        put_stream_as(&mut b, s, v2);
        let ty = if v2 {
            types::STREAM_LISTPACKS_2
        } else {
            types::STREAM_LISTPACKS
        };
        let mut inp = Input::new(&b[..]);
        let r = read_stream(&mut inp, ty)?;
        assert_eq!(inp.offset(), b.len() as u64);
        Ok(r)
    }

    #[test]
    fn streams_round_trip_as_type_19() {
        let s = sample_stream();
        assert_eq!(round_trip(&s, true).unwrap(), s);
        let empty = Stream::new();
        assert_eq!(round_trip(&empty, true).unwrap(), empty);
        let nodes = build_nodes(&s);
        assert!(nodes.len() >= 3, "{}", nodes.len());
        for (_, lp) in &nodes {
            let n = parse_listpack(lp).unwrap();
            assert!(matches!(n[0], Elem::Int(c) if (1..=100).contains(&c)));
        }
    }

    #[test]
    fn type_15_streams_derive_the_newer_metadata() {
        let s = sample_stream();
        let r = round_trip(&s, false).unwrap();
        assert_eq!(r.len(), s.len());
        assert_eq!(r.last_id, s.last_id);
        assert_eq!(r.entries_added, s.len() as u64);
        assert_eq!(r.first_id, s.first().unwrap().0);
        assert_eq!(r.max_deleted, StreamId::MIN);
        assert_eq!(r.groups[&b"g1"[..]].pel, s.groups[&b"g1"[..]].pel);
    }

    #[test]
    fn malformed_streams_are_errors() {
        let mut b = Vec::new();
        put_stream(&mut b, &sample_stream());
        for cut in 0..b.len() {
            let mut inp = Input::new(&b[..cut]);
            assert!(read_stream(&mut inp, types::STREAM_LISTPACKS_2).is_err());
        }
        for i in (0..b.len()).step_by(7) {
            for x in [0u8, 0x7f, 0x80, 0xff] {
                let mut bad = b.clone();
                bad[i] = x;
                let _ = read_stream(&mut Input::new(&bad[..]), types::STREAM_LISTPACKS_2);
            }
        }
        // Seeded random damage inside the (uncompressed) node listpacks and the metadata.
        use rand::{Rng, SeedableRng};
        let mut small = Stream::new();
        for i in 1..=30u64 {
            let v = i.to_string();
            let kv: [&[u8]; 4] = [b"f", v.as_bytes(), b"g", b"x"];
            small
                .add(Some(IdArg::Id(id(i, 0))), 0, kv.into_iter())
                .unwrap();
        }
        small.groups = sample_stream().groups;
        let mut b = Vec::new();
        put_stream(&mut b, &small);
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        for _ in 0..3000 {
            let mut bad = b.clone();
            for _ in 0..rng.gen_range(1..4) {
                let i = rng.gen_range(0..bad.len());
                bad[i] = rng.gen();
            }
            for ty in [types::STREAM_LISTPACKS, types::STREAM_LISTPACKS_2] {
                let _ = read_stream(&mut Input::new(&bad[..]), ty);
            }
        }
    }
}
