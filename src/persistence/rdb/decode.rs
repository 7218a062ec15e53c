//! RDB bytes to values (`rdbLoadObject`): every type redis-server 7.0 writes and the older ones
//! it still loads.
//!
//! Values are built through the types' own constructors and insert methods, so a loaded value
//! gets the encoding shoal would have given it (the thresholds of `keyspace::{hash,set,zset}`),
//! as Redis converts loaded objects by its `*-max-*` settings. Duplicates (set members, hash
//! fields, zset members) and NaN scores are errors, as in Redis. An empty collection yields
//! `None`: Redis skips such keys when loading a file and rejects them in RESTORE.

use super::codec::{Input, PREALLOC_CAP};
use super::packed::{parse_intset, parse_listpack, parse_ziplist, parse_zipmap, Elem};
use super::{container, types, RdbError};
use crate::keyspace::hash::Hash;
use crate::keyspace::list::List;
use crate::keyspace::set::{Set, MAX_INTSET_ENTRIES};
use crate::keyspace::zset::ZSet;
use crate::keyspace::{Str, Value};
use std::io::Read;

fn corrupt(what: impl Into<String>) -> RdbError {
    RdbError::Corrupt(what.into())
}

/// Reads the body of a value of RDB type `ty`; `Ok(None)` for an empty collection.
pub fn read_value<R: Read>(inp: &mut Input<R>, ty: u8) -> Result<Option<Value>, RdbError> {
    let v = match ty {
        types::STRING => Value::Str(Str::from_bytes(&inp.string()?)),
        types::LIST => {
            let n = inp.count()?;
            let mut l = List::new();
            l.items.reserve(n.min(PREALLOC_CAP));
            for _ in 0..n {
                l.items.push_back(inp.string()?.into());
            }
            Value::List(Box::new(l))
        }
        types::LIST_ZIPLIST => {
            let blob = inp.string()?;
            let mut l = List::new();
            l.items
                .extend(parse_ziplist(&blob)?.iter().map(|e| e.to_vec().into()));
            Value::List(Box::new(l))
        }
        types::LIST_QUICKLIST | types::LIST_QUICKLIST_2 => {
            let nodes = inp.count()?;
            let mut l = List::new();
            for _ in 0..nodes {
                let kind = if ty == types::LIST_QUICKLIST_2 {
                    inp.length()?
                } else {
                    container::PACKED
                };
                let blob = inp.string()?;
                match kind {
                    container::PLAIN => l.items.push_back(blob.into()),
                    container::PACKED => {
                        let elems = if ty == types::LIST_QUICKLIST_2 {
                            parse_listpack(&blob)?
                        } else {
                            parse_ziplist(&blob)?
                        };
                        l.items.extend(elems.iter().map(|e| e.to_vec().into()));
                    }
                    _ => return Err(corrupt(format!("unknown quicklist container {kind}"))),
                }
            }
            Value::List(Box::new(l))
        }
        types::SET => {
            let n = inp.count()?;
            let mut s = if n > MAX_INTSET_ENTRIES {
                Set::Table(Box::default())
            } else {
                Set::default()
            };
            for _ in 0..n {
                if !s.insert(&inp.string()?) {
                    return Err(corrupt("duplicate set members"));
                }
            }
            Value::Set(Box::new(s))
        }
        types::SET_INTSET => {
            let ints = parse_intset(&inp.string()?)?;
            let s = if ints.len() <= MAX_INTSET_ENTRIES {
                Set::Ints(ints)
            } else {
                let mut s = Set::Table(Box::default());
                let mut buf = itoa::Buffer::new();
                for v in ints {
                    s.insert(buf.format(v).as_bytes());
                }
                s
            };
            Value::Set(Box::new(s))
        }
        types::ZSET | types::ZSET_2 => {
            let n = inp.count()?;
            let mut v = Vec::with_capacity(n.min(PREALLOC_CAP));
            for _ in 0..n {
                let m = inp.string()?;
                let score = if ty == types::ZSET_2 {
                    inp.double_bin()?
                } else {
                    inp.double_str()?
                };
                v.push((score, m.into_boxed_slice()));
            }
            zset_from(v)?
        }
        types::ZSET_ZIPLIST | types::ZSET_LISTPACK => {
            let blob = inp.string()?;
            let elems = if ty == types::ZSET_LISTPACK {
                parse_listpack(&blob)?
            } else {
                parse_ziplist(&blob)?
            };
            if elems.len() % 2 != 0 {
                return Err(corrupt("sorted set listpack with an odd element count"));
            }
            let mut v = Vec::with_capacity(elems.len() / 2);
            for pair in elems.chunks_exact(2) {
                let score = match pair[1] {
                    Elem::Int(n) => n as f64,
                    Elem::Bytes(b) => std::str::from_utf8(b)
                        .ok()
                        .and_then(|s| s.parse::<f64>().ok())
                        .ok_or_else(|| corrupt("unreadable score in a sorted set listpack"))?,
                };
                v.push((score, pair[0].to_vec().into_boxed_slice()));
            }
            zset_from(v)?
        }
        types::HASH => {
            let n = inp.count()?;
            let mut h = Hash::new();
            for _ in 0..n {
                let f = inp.string()?;
                let v = inp.string()?;
                if !h.set(&f, &v) {
                    return Err(corrupt("duplicate hash fields"));
                }
            }
            Value::Hash(h)
        }
        types::HASH_ZIPMAP => {
            let blob = inp.string()?;
            let items = parse_zipmap(&blob)?;
            hash_from(
                items
                    .chunks_exact(2)
                    .map(|p| (p[0].to_vec(), p[1].to_vec())),
            )?
        }
        types::HASH_ZIPLIST | types::HASH_LISTPACK => {
            let blob = inp.string()?;
            let elems = if ty == types::HASH_LISTPACK {
                parse_listpack(&blob)?
            } else {
                parse_ziplist(&blob)?
            };
            if elems.len() % 2 != 0 {
                return Err(corrupt("hash listpack with an odd element count"));
            }
            hash_from(
                elems
                    .chunks_exact(2)
                    .map(|p| (p[0].to_vec(), p[1].to_vec())),
            )?
        }
        types::STREAM_LISTPACKS | types::STREAM_LISTPACKS_2 => {
            // An empty stream is a valid key (XDEL of every entry, XGROUP CREATE MKSTREAM).
            return Ok(Some(Value::Stream(Box::new(super::stream::read_stream(
                inp, ty,
            )?))));
        }
        types::MODULE_PRE_GA | types::MODULE_2 => {
            return Err(RdbError::Unsupported(format!("module values (type {ty})")))
        }
        other => return Err(RdbError::Unsupported(format!("unknown value type {other}"))),
    };
    let empty = match &v {
        Value::Str(_) => false,
        Value::List(l) => l.is_empty(),
        Value::Set(s) => s.is_empty(),
        Value::Hash(h) => h.is_empty(),
        Value::ZSet(z) => z.is_empty(),
        Value::Stream(_) => false,
    };
    Ok((!empty).then_some(v))
}

/// A hash from (field, value) pairs, rejecting duplicate fields.
fn hash_from(pairs: impl Iterator<Item = (Vec<u8>, Vec<u8>)>) -> Result<Value, RdbError> {
    let mut h = Hash::new();
    for (f, v) in pairs {
        if !h.set(&f, &v) {
            return Err(corrupt("duplicate hash fields"));
        }
    }
    Ok(Value::Hash(h))
}

/// A sorted set from (score, member) pairs in any order, rejecting NaN and duplicates; small
/// sets get the `listpack` encoding as Redis's loader converts them.
fn zset_from(mut v: Vec<(f64, Box<[u8]>)>) -> Result<Value, RdbError> {
    if v.iter().any(|(s, _)| s.is_nan()) {
        return Err(corrupt("sorted set with a NaN score"));
    }
    v.sort_by(|a, b| a.1.cmp(&b.1));
    if v.windows(2).any(|w| w[0].1 == w[1].1) {
        return Err(corrupt("duplicate sorted set members"));
    }
    // No NaN is left, so partial_cmp is total here (and -0 equals 0, as in a skiplist).
    v.sort_by(|a, b| {
        a.0.partial_cmp(&b.0)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.1.cmp(&b.1))
    });
    Ok(Value::ZSet(Box::new(ZSet::from_sorted(v))))
}
