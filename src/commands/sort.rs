//! SORT and SORT_RO: sort the elements of a list, set or sorted set, optionally by the values of
//! other keys (`BY pattern`), fetching other keys' values (`GET pattern`), and store the result
//! as a list (`STORE`, SORT only).
//!
//! Semantics follow redis.io's SORT page and Redis 7.0's `sort.c`, option by option:
//! - numeric sort (default) reads each element, or the value its `BY` pattern names, as a C
//!   `strtod` double; an unconvertible one fails the whole command with `ERR One or more scores
//!   can't be converted into double`; equal scores fall back to comparing the elements' bytes;
//! - `ALPHA` compares bytes (Redis uses `strcoll`, byte order in the C locale; like `strcoll`
//!   the comparison stops at a NUL byte unless the result is stored);
//! - `BY` with a pattern without `*` (e.g. `nosort`) skips sorting: lists and sorted sets keep
//!   their order (reversed by `DESC`) and `LIMIT` selects the range directly; a set with `STORE`
//!   is sorted `ALPHA` instead, so the stored list is deterministic;
//! - a pattern's first `*` is replaced by the element; `key->field` reads a hash field; `#` is
//!   the element itself; a missing key, field or a value of another type reads as nil (and as
//!   an empty string in a stored list, and as score 0 when sorting `BY` it);
//! - Redis 7.0 converts a sorted set it sorts to the `skiplist` encoding; so does this.
//!
//! The command runs holding every shard lock (`flag::LOCK_ALL`): its patterns reach keys its
//! arguments do not name. COMMAND GETKEYS reports the sorted key and the last `STORE` target,
//! as Redis's `sortGetKeys`.

use super::table::{acl, flag::*, Command, BASE};
use super::{Args, CmdError, CmdResult, Ctx};
use crate::keyspace::list::List;
use crate::keyspace::{Locked, Value};
use std::cmp::Ordering;

/// The parsed options of one SORT call.
struct Options<'a> {
    /// The `BY` pattern (the last one given).
    by: Option<&'a [u8]>,
    /// Set by any `BY` pattern without `*`, and never unset by a later one (as Redis).
    dontsort: bool,
    limit_start: i64,
    /// Negative: to the end.
    limit_count: i64,
    gets: Vec<&'a [u8]>,
    desc: bool,
    alpha: bool,
    store: Option<&'a [u8]>,
}

/// Parses the options after the key as Redis's `sortCommandGeneric` does; `STORE` is a syntax
/// error for SORT_RO (`readonly`).
fn parse<'a>(a: &Args<'a>, readonly: bool) -> Result<Options<'a>, CmdError> {
    let mut o = Options {
        by: None,
        dontsort: false,
        limit_start: 0,
        limit_count: -1,
        gets: Vec::new(),
        desc: false,
        alpha: false,
        store: None,
    };
    let mut j = 2;
    while j < a.len() {
        let left = a.len() - j - 1;
        if a.is(j, "asc") {
            o.desc = false;
        } else if a.is(j, "desc") {
            o.desc = true;
        } else if a.is(j, "alpha") {
            o.alpha = true;
        } else if a.is(j, "limit") && left >= 2 {
            o.limit_start = a.i64(j + 1)?;
            o.limit_count = a.i64(j + 2)?;
            j += 2;
        } else if !readonly && a.is(j, "store") && left >= 1 {
            o.store = Some(a.get(j + 1));
            j += 1;
        } else if a.is(j, "by") && left >= 1 {
            let p = a.get(j + 1);
            if !c_str(p).contains(&b'*') {
                o.dontsort = true;
            }
            o.by = Some(p);
            j += 1;
        } else if a.is(j, "get") && left >= 1 {
            o.gets.push(a.get(j + 1));
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    Ok(o)
}

/// The bytes before the first NUL: what the C string functions Redis applies to patterns see.
fn c_str(b: &[u8]) -> &[u8] {
    &b[..b.iter().position(|&c| c == 0).unwrap_or(b.len())]
}

/// Redis's `lookupKeyByPattern`: the value `pattern` names for element `subst`. `#` is the
/// element itself; otherwise the first `*` is replaced by the element and the key read as a
/// string, or as a hash field after `->`. Missing keys, fields and other types give `None`.
fn lookup_by_pattern(ks: &mut Locked<'_>, pattern: &[u8], subst: &[u8]) -> Option<Vec<u8>> {
    let cpat = c_str(pattern);
    if cpat == b"#" {
        return Some(subst.to_vec());
    }
    let star = cpat.iter().position(|&c| c == b'*')?;
    // A field follows the first "->" after the star, if it is not empty.
    let arrow = cpat[star + 1..]
        .windows(2)
        .position(|w| w == b"->")
        .map(|i| star + 1 + i)
        .filter(|&f| f + 2 < cpat.len());
    let (postfix, field) = match arrow {
        Some(f) => (&pattern[star + 1..f], Some(&pattern[f + 2..])),
        None => (&pattern[star + 1..], None),
    };
    let mut key = Vec::with_capacity(star + subst.len() + postfix.len());
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(subst);
    key.extend_from_slice(postfix);
    let e = ks.lookup_read(&key)?;
    match (&e.value, field) {
        (Value::Hash(h), Some(f)) => h.get(f).map(<[u8]>::to_vec),
        (Value::Str(s), None) => Some(s.to_vec()),
        _ => None,
    }
}

/// A score as Redis's SORT reads one with C `strtod`: leading white space, an optional sign,
/// a decimal or hexadecimal float or `inf`/`infinity`, and nothing after it up to the first
/// NUL; the empty string is 0. `None` (a conversion error) for anything else, NaN, or a value
/// out of range (`ERANGE`: overflow to infinity, or underflow below the smallest normal double).
fn strtod(b: &[u8]) -> Option<f64> {
    let b = c_str(b);
    if b.is_empty() {
        return Some(0.0);
    }
    let s = &b[b.iter().position(|c| !is_c_space(*c))?..];
    let (neg, body) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if matches!(body.first(), Some(b'+' | b'-')) {
        return None;
    }
    let v = if body.len() > 2 && body[0] == b'0' && (body[1] | 0x20) == b'x' {
        parse_hex(&body[2..])?
    } else {
        let t = std::str::from_utf8(body).ok()?;
        // Rust's parser and strtod agree on decimal floats and inf/infinity; both reject the rest
        // except NaN, rejected below as Redis does.
        if t.bytes().any(|c| c == b'_') {
            return None;
        }
        let v: f64 = t.parse().ok()?;
        let literal_inf = t
            .bytes()
            .any(|c| c.is_ascii_alphabetic() && (c | 0x20) == b'i');
        if v.is_infinite() && !literal_inf {
            return None;
        }
        let nonzero_digits = t
            .bytes()
            .take_while(|c| (c | 0x20) != b'e')
            .any(|c| (b'1'..=b'9').contains(&c));
        if nonzero_digits && v.abs() < f64::MIN_POSITIVE {
            return None;
        }
        v
    };
    if v.is_nan() {
        return None;
    }
    Some(if neg { -v } else { v })
}

fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// A C99 hexadecimal float after its `0x`: hex digits with an optional point, then an optional
/// binary exponent `p[+-]digits`. At least one hex digit; nothing may follow.
fn parse_hex(s: &[u8]) -> Option<f64> {
    let mut mant: f64 = 0.0;
    let mut exp: i64 = 0;
    let mut digits = 0;
    let mut i = 0;
    let mut point = false;
    while i < s.len() {
        let c = s[i];
        if c == b'.' && !point {
            point = true;
        } else if let Some(d) = (c as char).to_digit(16) {
            mant = mant * 16.0 + d as f64;
            if point {
                exp -= 4;
            }
            digits += 1;
        } else {
            break;
        }
        i += 1;
    }
    if digits == 0 {
        return None;
    }
    if i < s.len() {
        if s[i] | 0x20 != b'p' {
            return None;
        }
        let (neg, digits) = match s.get(i + 1) {
            Some(b'-') => (true, &s[i + 2..]),
            Some(b'+') => (false, &s[i + 2..]),
            _ => (false, &s[i + 1..]),
        };
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        // Saturates: any exponent past +-100000 over- or underflows a double anyway.
        let mag = digits
            .iter()
            .fold(0i64, |n, d| (n * 10 + (d - b'0') as i64).min(100_000));
        let e = if neg { -mag } else { mag };
        exp = exp.saturating_add(e);
    }
    let v = mant * 2f64.powi(exp.clamp(-100_000, 100_000) as i32);
    if v.is_infinite() || (mant != 0.0 && v < f64::MIN_POSITIVE) {
        return None;
    }
    Some(v)
}

/// Compares as C `strcoll` in the C locale: bytes up to the first NUL.
fn collate(a: &[u8], b: &[u8]) -> Ordering {
    c_str(a).cmp(c_str(b))
}

/// One element to sort and what it sorts by.
struct Item {
    obj: Vec<u8>,
    /// Numeric sort key (0 when a `BY` key is missing).
    score: f64,
    /// `ALPHA BY` sort key (`None` when missing: sorts first).
    cmp: Option<Vec<u8>>,
}

impl Item {
    fn new(obj: Vec<u8>) -> Item {
        Item {
            obj,
            score: 0.0,
            cmp: None,
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    List,
    Set,
    ZSet,
}

/// SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]
/// [STORE destination]. Replies the sorted elements (or, with GET, the looked-up values, nil
/// for missing ones), or with STORE the number of elements stored.
/// <https://redis.io/commands/sort/>
fn sort(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    sort_generic(ctx, a, false)
}

/// SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]: SORT
/// without STORE. <https://redis.io/commands/sort_ro/>
fn sort_ro(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    sort_generic(ctx, a, true)
}

fn sort_generic(ctx: &mut Ctx<'_, '_>, a: &Args<'_>, readonly: bool) -> CmdResult {
    let o = parse(a, readonly)?;
    let (mut dontsort, mut alpha, mut by) = (o.dontsort, o.alpha, o.by);
    let (kind, len) = match ctx.ks.lookup_read(&a[1]).map(|e| &mut e.value) {
        None => (Kind::List, 0),
        Some(Value::List(l)) => (Kind::List, l.len()),
        Some(Value::Set(s)) => (Kind::Set, s.len()),
        Some(Value::ZSet(z)) => {
            z.make_skiplist();
            (Kind::ZSet, z.len())
        }
        Some(_) => return Err(CmdError::WrongType),
    };
    // A set has no order of its own: what is stored must not depend on it.
    if dontsort && kind == Kind::Set && o.store.is_some() {
        dontsort = false;
        alpha = true;
        by = None;
    }

    let vlen = len as i64;
    let mut start = o.limit_start.max(0);
    let mut end = if o.limit_count < 0 {
        vlen - 1
    } else {
        start.saturating_add(o.limit_count) - 1
    };
    if start >= vlen {
        start = vlen - 1;
        end = vlen - 2;
    }
    if end >= vlen {
        end = vlen - 1;
    }

    // Load the elements; a list or sorted set left unsorted loads just the selected range.
    let mut items: Vec<Item> = Vec::new();
    if let Some(e) = ctx.ks.peek(&a[1]) {
        match &e.value {
            Value::List(l) if dontsort => {
                let n = (end - start + 1).max(0) as usize;
                let s = start.max(0) as usize;
                items.reserve(n);
                if o.desc {
                    for i in (0..len.saturating_sub(s)).rev().take(n) {
                        items.push(Item::new(l.items[i].to_vec()));
                    }
                } else {
                    for v in l.items.iter().skip(s).take(n) {
                        items.push(Item::new(v.to_vec()));
                    }
                }
                if n > 0 {
                    end -= start;
                    start = 0;
                }
            }
            Value::List(l) => items.extend(l.items.iter().map(|v| Item::new(v.to_vec()))),
            Value::Set(s) => items.extend(s.iter().map(|m| Item::new(m.to_vec()))),
            Value::ZSet(z) if dontsort => {
                let n = (end - start + 1).max(0) as usize;
                items.reserve(n);
                for k in 0..n {
                    let rank = if o.desc {
                        len - 1 - start as usize - k
                    } else {
                        start as usize + k
                    };
                    items.push(Item::new(z.get(rank).1.to_vec()));
                }
                end -= start;
                start = 0;
            }
            Value::ZSet(z) => items.extend(z.iter().map(|(_, m)| Item::new(m.to_vec()))),
            _ => {}
        }
    }

    let mut bad_score = false;
    if !dontsort {
        for it in items.iter_mut() {
            let byval = match by {
                Some(p) => match lookup_by_pattern(&mut ctx.ks, p, &it.obj) {
                    Some(v) => v,
                    None => continue,
                },
                None => {
                    if !alpha {
                        match strtod(&it.obj) {
                            Some(x) => it.score = x,
                            None => bad_score = true,
                        }
                    }
                    continue;
                }
            };
            if alpha {
                it.cmp = Some(byval);
            } else {
                match strtod(&byval) {
                    Some(x) => it.score = x,
                    None => bad_score = true,
                }
            }
        }
        let store = o.store.is_some();
        let by_pattern = by.is_some();
        let desc = o.desc;
        items.sort_by(|x, y| {
            let c = if !alpha {
                x.score
                    .partial_cmp(&y.score)
                    .unwrap_or(Ordering::Equal)
                    .then_with(|| x.obj.cmp(&y.obj))
            } else if by_pattern {
                match (&x.cmp, &y.cmp) {
                    (None, None) => Ordering::Equal,
                    (None, Some(_)) => Ordering::Less,
                    (Some(_), None) => Ordering::Greater,
                    (Some(p), Some(q)) if store => p.cmp(q),
                    (Some(p), Some(q)) => collate(p, q),
                }
            } else if store {
                x.obj.cmp(&y.obj)
            } else {
                collate(&x.obj, &y.obj)
            };
            if desc {
                c.reverse()
            } else {
                c
            }
        });
    }

    let selected = (end - start + 1).max(0) as usize;
    let outputlen = if o.gets.is_empty() {
        selected
    } else {
        selected.saturating_mul(o.gets.len())
    };
    if bad_score {
        return Err(CmdError::err(
            "One or more scores can't be converted into double",
        ));
    }
    let range = if selected == 0 {
        &items[..0]
    } else {
        &items[start as usize..=end as usize]
    };
    match o.store {
        None => {
            ctx.out.array_len(outputlen);
            for it in range {
                if o.gets.is_empty() {
                    ctx.out.bulk(&it.obj);
                }
                for g in &o.gets {
                    let v = lookup_by_pattern(&mut ctx.ks, g, &it.obj);
                    ctx.out.bulk_opt(v.as_deref());
                }
            }
        }
        Some(dst) => {
            let mut list = List::new();
            for it in range {
                if o.gets.is_empty() {
                    list.items.push_back(it.obj.as_slice().into());
                }
                for g in &o.gets {
                    let v = lookup_by_pattern(&mut ctx.ks, g, &it.obj).unwrap_or_default();
                    list.items.push_back(v.into());
                }
            }
            if list.is_empty() {
                ctx.ks.remove(dst);
            } else {
                ctx.ks.insert(dst, Value::List(Box::new(list)), 0);
            }
            ctx.out.int(outputlen as i64);
        }
    }
    Ok(())
}

/// Redis's `sortGetKeys`: the sorted key, plus the argument after the last `STORE` (options
/// with arguments are skipped, so a pattern named `store` is not taken for the keyword).
fn sort_keys(a: &Args<'_>) -> Vec<usize> {
    let mut keys = vec![1];
    let mut store = None;
    let mut i = 2;
    while i < a.len() {
        if a.is(i, "limit") {
            i += 2;
        } else if a.is(i, "get") || a.is(i, "by") {
            i += 1;
        } else if a.is(i, "store") && i + 1 < a.len() {
            store = Some(i + 1);
        }
        i += 1;
    }
    keys.extend(store);
    keys
}

/// SORT_RO's keys: only the sorted one (its BY/GET keys cannot be known in advance, which
/// makes it `movablekeys` in Redis 7.0).
fn sort_ro_keys(_: &Args<'_>) -> Vec<usize> {
    vec![1]
}

const G: Command = Command {
    group: "generic",
    acl: acl::SET | acl::SORTEDSET | acl::LIST | acl::DANGEROUS,
    keys: (1, 1, 1),
    ..BASE
};

#[rustfmt::skip]
pub static COMMANDS: &[Command] = &[
    Command { name: "sort", arity: -2, flags: WRITE | DENYOOM | LOCK_ALL, getkeys: Some(sort_keys),
        since: "1.0.0",
        summary: "Sort the elements in a list, set or sorted set, optionally storing the result.",
        complexity: "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).",
        handler: sort, ..G },
    Command { name: "sort_ro", arity: -2, flags: READONLY | LOCK_ALL, getkeys: Some(sort_ro_keys),
        since: "7.0.0",
        summary: "Returns the sorted elements of a list, a set, or a sorted set.",
        complexity: "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).",
        handler: sort_ro, ..G },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strtod_follows_c() {
        assert_eq!(strtod(b""), Some(0.0));
        assert_eq!(strtod(b"  12"), Some(12.0));
        assert_eq!(strtod(b"-1.5e2"), Some(-150.0));
        assert_eq!(strtod(b"+.5"), Some(0.5));
        assert_eq!(strtod(b"0x10"), Some(16.0));
        assert_eq!(strtod(b"-0x1p-1"), Some(-0.5));
        assert_eq!(strtod(b"0x1.8p+1"), Some(3.0));
        assert_eq!(strtod(b"0x1p99999999999999999999"), None);
        assert_eq!(strtod(b"0x1p1x"), None);
        assert_eq!(strtod(b"inf"), Some(f64::INFINITY));
        assert_eq!(strtod(b"-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(strtod(b"1\0junk"), Some(1.0));
        for bad in [
            &b" "[..],
            b"12 ",
            b"abc",
            b"nan",
            b"1e400",
            b"1e-400",
            b"0x",
            b"0x1p",
            b"1_0",
            b"--1",
        ] {
            assert_eq!(strtod(bad), None, "{}", String::from_utf8_lossy(bad));
        }
        assert_eq!(strtod(b"0e-400"), Some(0.0));
    }

    #[test]
    fn sort_keys_finds_the_last_store() {
        let words = [
            "sort", "k", "by", "store", "store", "a", "limit", "store", "1", "store", "b",
        ];
        let text = words.join(" ");
        let mut ranges = Vec::new();
        let mut at = 0;
        for w in &words {
            ranges.push(at..at + w.len());
            at += w.len() + 1;
        }
        assert_eq!(sort_keys(&Args::new(text.as_bytes(), &ranges)), vec![1, 10]);
    }
}
