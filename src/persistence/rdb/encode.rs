//! Values to RDB bytes, in the types redis-server 7.0 writes (`rdbSaveObjectType`,
//! `rdbSaveObject`):
//!
//! | value | type | body |
//! |---|---|---|
//! | string | STRING (0) | one string (integer-encoded or LZF when it pays) |
//! | list | LIST_QUICKLIST_2 (18) | node count, then per node PACKED (2) + a listpack string of at most 8 KiB (`list-max-listpack-size -2`; a bigger element gets a node of its own) |
//! | set, `intset` | SET_INTSET (11) | the intset as a string |
//! | set, `hashtable` | SET (2) | count, members |
//! | hash, `listpack` | HASH_LISTPACK (16) | a listpack of field, value, ... |
//! | hash, `hashtable` | HASH (4) | count, field, value, ... |
//! | zset, `listpack` | ZSET_LISTPACK (17) | a listpack of member, score (`%.17g`, integers as integers), ... |
//! | zset, `skiplist` | ZSET_2 (5) | count, then member + binary double from the highest score down |
//! | stream | STREAM_LISTPACKS_2 (19) | nodes of listpacks, metadata, consumer groups ([`super::stream`]) |

use super::codec::{put_double_bin, put_int_string, put_len, put_string};
use super::packed::{build_intset, Listpack};
use super::{container, types};
use crate::keyspace::set::Set;
use crate::keyspace::{Str, Value};

/// A quicklist node's listpack stays within this many bytes (Redis's `list-max-listpack-size`
/// default of -2).
pub const QUICKLIST_NODE_BYTES: usize = 8192;
/// A listpack counts its elements in 16 bits; a node never holds more.
const NODE_MAX_COUNT: usize = 65535;

/// The RDB type byte `value` is written with.
pub fn value_type(value: &Value) -> u8 {
    match value {
        Value::Str(_) => types::STRING,
        Value::List(_) => types::LIST_QUICKLIST_2,
        Value::Set(s) => match **s {
            Set::Ints(_) => types::SET_INTSET,
            Set::Table(_) => types::SET,
        },
        Value::Hash(h) if h.encoding() == "listpack" => types::HASH_LISTPACK,
        Value::Hash(_) => types::HASH,
        Value::ZSet(z) if z.encoding() == "listpack" => types::ZSET_LISTPACK,
        Value::ZSet(_) => types::ZSET_2,
        Value::Stream(_) => types::STREAM_LISTPACKS_2,
    }
}

/// Appends the body of `value` (without its type byte) to `b`.
pub fn put_value(b: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Str(Str::Int(n)) => put_int_string(b, *n),
        Value::Str(s) => s.with_bytes(|s| put_string(b, s)),
        Value::List(l) => {
            let nodes = quicklist_nodes(l.items.iter().map(|x| &x[..]));
            put_len(b, nodes.len() as u64);
            for node in nodes {
                put_len(b, container::PACKED);
                put_string(b, &node);
            }
        }
        Value::Set(s) => match &**s {
            Set::Ints(v) => put_string(b, &build_intset(v)),
            Set::Table(_) => {
                put_len(b, s.len() as u64);
                for m in s.iter() {
                    m.with_bytes(|m| put_string(b, m));
                }
            }
        },
        Value::Hash(h) => {
            if h.encoding() == "listpack" {
                let mut lp = Listpack::new();
                for (f, v) in h.iter() {
                    lp.push(f);
                    lp.push(v);
                }
                put_string(b, &lp.finish());
            } else {
                put_len(b, h.len() as u64);
                for (f, v) in h.iter() {
                    put_string(b, f);
                    put_string(b, v);
                }
            }
        }
        Value::ZSet(z) => {
            if z.encoding() == "listpack" {
                let mut lp = Listpack::new();
                for (score, m) in z.iter() {
                    lp.push(m);
                    lp.push(crate::commands::zsets::format_score(score).as_bytes());
                }
                put_string(b, &lp.finish());
            } else {
                put_len(b, z.len() as u64);
                // Highest first, as Redis: its loader then inserts at the head in O(1).
                for i in (0..z.len()).rev() {
                    let (score, m) = z.get(i);
                    put_string(b, m);
                    put_double_bin(b, score);
                }
            }
        }
        Value::Stream(s) => super::stream::put_stream(b, s),
    }
}

/// Splits list elements into listpacks of at most [`QUICKLIST_NODE_BYTES`] bytes, as pushing
/// them one by one onto a Redis 7.0 quicklist does (`_quicklistNodeAllowInsert`).
pub fn quicklist_nodes<'a>(items: impl Iterator<Item = &'a [u8]>) -> Vec<Vec<u8>> {
    let mut nodes = Vec::new();
    let mut lp = Listpack::new();
    for it in items {
        let grown = lp.bytes() + Listpack::entry_size(it);
        if !lp.is_empty() && (grown > QUICKLIST_NODE_BYTES || lp.len() >= NODE_MAX_COUNT) {
            nodes.push(std::mem::take(&mut lp).finish());
        }
        lp.push(it);
    }
    if !lp.is_empty() {
        nodes.push(lp.finish());
    }
    nodes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::persistence::rdb::packed::parse_listpack;

    #[test]
    fn quicklist_nodes_stay_within_8k_and_keep_order() {
        let items: Vec<Vec<u8>> = (0..5000)
            .map(|i| format!("element-{i}").into_bytes())
            .collect();
        let nodes = quicklist_nodes(items.iter().map(|x| &x[..]));
        assert!(nodes.len() > 1);
        let mut all = Vec::new();
        for n in &nodes {
            assert!(n.len() <= QUICKLIST_NODE_BYTES);
            all.extend(parse_listpack(n).unwrap().iter().map(|e| e.to_vec()));
        }
        assert_eq!(all, items);
        let big = vec![b'x'; 20000];
        let nodes = quicklist_nodes([&b"a"[..], &big, b"b"].into_iter());
        assert_eq!(nodes.len(), 3);
    }
}
