//! Sorted set commands: ZADD ZINCRBY ZREM ZSCORE ZMSCORE ZCARD ZCOUNT ZLEXCOUNT ZRANK ZREVRANK,
//! the ZRANGE family (ZRANGE ZREVRANGE ZRANGEBYSCORE ZREVRANGEBYSCORE ZRANGEBYLEX ZREVRANGEBYLEX
//! ZRANGESTORE), ZPOPMIN ZPOPMAX ZMPOP, ZREMRANGEBYRANK/SCORE/LEX, ZRANDMEMBER, ZSCAN.
//! Semantics, replies and errors follow Redis 7.0's `t_zset.c`: scores are printed as `%.17g`
//! (RESP2 bulk strings, RESP3 doubles), WITHSCORES pairs are flat in RESP2 and nested in RESP3.

use super::table::{acl, flag::*, Command, BASE};
use super::{block_or_timeout, parse_block_timeout, Args, CmdError, CmdResult, Ctx};
use crate::keyspace::zset::ZSet;
use crate::keyspace::Value;
use crate::protocol::Reply;
use rand::Rng;

/// Formats a score as C's `%.17g` (what Redis 7.0 replies with), `inf`/`-inf` for infinities.
pub fn format_score(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if x == 0.0 {
        return if x.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let s = format!("{x:.16e}");
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let mut out = String::new();
    if mant.starts_with('-') {
        out.push('-');
    }
    if !(-4..17).contains(&exp) {
        let d = digits.trim_end_matches('0');
        out.push_str(&d[..1]);
        if d.len() > 1 {
            out.push('.');
            out.push_str(&d[1..]);
        }
        out.push_str(&format!(
            "e{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.abs()
        ));
    } else if exp >= 0 {
        let e = exp as usize;
        out.push_str(&digits[..e + 1]);
        let frac = digits[e + 1..].trim_end_matches('0');
        if !frac.is_empty() {
            out.push('.');
            out.push_str(frac);
        }
    } else {
        out.push_str("0.");
        for _ in 0..(-exp - 1) {
            out.push('0');
        }
        out.push_str(digits.trim_end_matches('0'));
    }
    out
}

/// Owned (score, member) pairs of a reply.
type Entries = Vec<(f64, Vec<u8>)>;

/// A score reply: a RESP3 double or a RESP2 bulk string, `%.17g`.
fn reply_score(out: &mut Reply, x: f64) {
    let s = format_score(x);
    if out.resp3() {
        out.buf.extend_from_slice(b",");
        out.buf.extend_from_slice(s.as_bytes());
        out.buf.extend_from_slice(b"\r\n");
    } else {
        out.bulk(s.as_bytes());
    }
}

/// Parses a score as Redis's `getDoubleFromObject` (strtod, no spaces, no NaN, no overflow).
fn parse_score(b: &[u8]) -> Option<f64> {
    if let Some(v) = parse_hex_float(b) {
        return v.is_finite().then_some(v);
    }
    let v = crate::util::parse_f64(b)?;
    let text = std::str::from_utf8(b).ok()?;
    if v.is_infinite() && !text.to_ascii_lowercase().contains("inf") {
        return None;
    }
    if v == 0.0 {
        let mant = text.split(['e', 'E']).next().unwrap_or("");
        if mant.bytes().any(|c| (b'1'..=b'9').contains(&c)) {
            return None;
        }
    }
    Some(v)
}

/// A C99 hexadecimal float (`0x1p3`, `-0x1.8`), which `strtod` accepts.
fn parse_hex_float(b: &[u8]) -> Option<f64> {
    let (neg, rest) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    if rest.len() < 3 || rest[0] != b'0' || !(rest[1] == b'x' || rest[1] == b'X') {
        return None;
    }
    let rest = &rest[2..];
    let (mant, exp) = match rest.iter().position(|&c| c == b'p' || c == b'P') {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let mut v = 0f64;
    let mut scale = 0i32;
    let mut seen_dot = false;
    let mut digits = 0;
    for &c in mant {
        if c == b'.' && !seen_dot {
            seen_dot = true;
            continue;
        }
        let d = (c as char).to_digit(16)?;
        v = v * 16.0 + d as f64;
        digits += 1;
        if seen_dot {
            scale -= 4;
        }
    }
    if digits == 0 {
        return None;
    }
    if let Some(e) = exp {
        let e = std::str::from_utf8(e).ok()?;
        if e.is_empty() || e.starts_with(' ') {
            return None;
        }
        scale += e.parse::<i32>().ok()?;
    }
    let v = v * 2f64.powi(scale);
    Some(if neg { -v } else { v })
}

/// Parses one bound of a score range as Redis's `zslParseRange` (strtod: leading spaces and an
/// empty string are accepted).
fn parse_bound(b: &[u8]) -> Option<(f64, bool)> {
    let (ex, rest) = match b.first() {
        Some(b'(') => (true, &b[1..]),
        _ => (false, b),
    };
    let t = std::str::from_utf8(rest).ok()?.trim_start();
    if t.is_empty() {
        return Some((0.0, ex));
    }
    let v: f64 = match parse_hex_float(t.as_bytes()) {
        Some(v) => v,
        None => t.parse().ok()?,
    };
    if v.is_nan() {
        return None;
    }
    Some((v, ex))
}

/// A score range `[min, max]` with exclusive flags.
#[derive(Clone, Copy)]
struct ScoreRange {
    min: f64,
    minex: bool,
    max: f64,
    maxex: bool,
}

impl ScoreRange {
    fn parse(min: &[u8], max: &[u8]) -> Result<ScoreRange, CmdError> {
        match (parse_bound(min), parse_bound(max)) {
            (Some((min, minex)), Some((max, maxex))) => Ok(ScoreRange {
                min,
                minex,
                max,
                maxex,
            }),
            _ => Err(CmdError::err("min or max is not a float")),
        }
    }

    /// Ranks `start..end` of the entries inside the range.
    fn ranks(&self, z: &ZSet) -> (usize, usize) {
        let r = *self;
        let start = z.partition_point(|s, _| if r.minex { s <= r.min } else { s < r.min });
        let end = z.partition_point(|s, _| if r.maxex { s < r.max } else { s <= r.max });
        (start, end.max(start))
    }
}

#[derive(Clone)]
enum Lex {
    Min,
    Max,
    Incl(Vec<u8>),
    Excl(Vec<u8>),
}

fn parse_lex(b: &[u8]) -> Option<Lex> {
    match b.first() {
        Some(b'+') if b.len() == 1 => Some(Lex::Max),
        Some(b'-') if b.len() == 1 => Some(Lex::Min),
        Some(b'[') => Some(Lex::Incl(b[1..].to_vec())),
        Some(b'(') => Some(Lex::Excl(b[1..].to_vec())),
        _ => None,
    }
}

struct LexRange {
    min: Lex,
    max: Lex,
}

impl LexRange {
    fn parse(min: &[u8], max: &[u8]) -> Result<LexRange, CmdError> {
        match (parse_lex(min), parse_lex(max)) {
            (Some(min), Some(max)) => Ok(LexRange { min, max }),
            _ => Err(CmdError::err("min or max not valid string range item")),
        }
    }

    fn ranks(&self, z: &ZSet) -> (usize, usize) {
        let start = z.partition_point(|_, m| match &self.min {
            Lex::Min => false,
            Lex::Max => true,
            Lex::Incl(x) => m < &x[..],
            Lex::Excl(x) => m <= &x[..],
        });
        let end = z.partition_point(|_, m| match &self.max {
            Lex::Min => false,
            Lex::Max => true,
            Lex::Incl(x) => m <= &x[..],
            Lex::Excl(x) => m < &x[..],
        });
        (start, end.max(start))
    }
}

/// Clamps a rank range as Redis does; `None` when empty.
fn rank_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let mut start = if start < 0 { start + len } else { start };
    let mut end = if end < 0 { end + len } else { end };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= len {
        return None;
    }
    if end >= len {
        end = len - 1;
    }
    Some((start as usize, end as usize + 1))
}

fn zset_ref(v: &Value) -> Result<&ZSet, CmdError> {
    match v {
        Value::ZSet(z) => Ok(z),
        _ => Err(CmdError::WrongType),
    }
}

fn zset_mut(v: &mut Value) -> Result<&mut ZSet, CmdError> {
    match v {
        Value::ZSet(z) => Ok(z),
        _ => Err(CmdError::WrongType),
    }
}

/// Writes (member, score) pairs: members only, or flat pairs (RESP2) / nested pairs (RESP3).
fn reply_entries(out: &mut Reply, items: &[(f64, Vec<u8>)], withscores: bool) {
    if !withscores {
        out.array_len(items.len());
        for (_, m) in items {
            out.bulk(m);
        }
        return;
    }
    let nested = out.resp3();
    out.array_len(if nested { items.len() } else { items.len() * 2 });
    for (s, m) in items {
        if nested {
            out.array_len(2);
        }
        out.bulk(m);
        reply_score(out, *s);
    }
}

/// ZADD and ZINCRBY, as Redis's `zaddGenericCommand`.
fn zadd_generic(ctx: &mut Ctx<'_, '_>, a: &Args<'_>, force_incr: bool) -> CmdResult {
    let (mut nx, mut xx, mut gt, mut lt, mut ch, mut incr) =
        (false, false, false, false, false, force_incr);
    let mut i = 2;
    while i < a.len() {
        if a.is(i, "nx") {
            nx = true;
        } else if a.is(i, "xx") {
            xx = true;
        } else if a.is(i, "gt") {
            gt = true;
        } else if a.is(i, "lt") {
            lt = true;
        } else if a.is(i, "ch") {
            ch = true;
        } else if a.is(i, "incr") {
            incr = true;
        } else {
            break;
        }
        i += 1;
    }
    let elements = a.len() - i;
    if elements % 2 != 0 || elements == 0 {
        return Err(CmdError::Syntax);
    }
    let elements = elements / 2;
    if nx && xx {
        return Err(CmdError::err(
            "XX and NX options at the same time are not compatible",
        ));
    }
    if ((gt || lt) && nx) || (gt && lt) {
        return Err(CmdError::err(
            "GT, LT, and/or NX options at the same time are not compatible",
        ));
    }
    if incr && elements > 1 {
        return Err(CmdError::err(
            "INCR option supports a single increment-element pair",
        ));
    }
    let mut scores = Vec::with_capacity(elements);
    for j in 0..elements {
        scores.push(parse_score(&a[i + 2 * j]).ok_or(CmdError::NotFloat)?);
    }
    let key = &a[1];
    let exists = match ctx.ks.lookup_write(key) {
        Some(e) => {
            zset_ref(&e.value)?;
            true
        }
        None => false,
    };
    let (mut added, mut updated, mut processed) = (0i64, 0i64, 0);
    let mut last = 0.0;
    if exists || !xx {
        if !exists {
            let maxlen = (0..elements)
                .map(|j| a[i + 2 * j + 1].len())
                .max()
                .unwrap_or(0);
            ctx.ks.insert(
                key,
                Value::ZSet(Box::new(ZSet::with_hint(elements, maxlen))),
                0,
            );
        }
        let e = ctx.ks.lookup_write(key).expect("present");
        let z = zset_mut(&mut e.value)?;
        let mut err = None;
        for (j, &score) in scores.iter().enumerate() {
            let m = &a[i + 2 * j + 1];
            match z.score(m) {
                Some(cur) => {
                    if nx {
                        continue;
                    }
                    let new = if incr { cur + score } else { score };
                    if new.is_nan() {
                        err = Some(CmdError::err("resulting score is not a number (NaN)"));
                        break;
                    }
                    if (lt && new >= cur) || (gt && new <= cur) {
                        continue;
                    }
                    if new != cur {
                        z.insert(new, m);
                        updated += 1;
                    }
                    last = new;
                    processed += 1;
                }
                None => {
                    if xx {
                        continue;
                    }
                    z.insert(score, m);
                    added += 1;
                    last = score;
                    processed += 1;
                }
            }
        }
        if added + updated > 0 {
            ctx.ks.touch_dirty(key);
        }
        ctx.notify_if(
            added + updated > 0,
            super::notify::ZSET,
            if incr { "zincr" } else { "zadd" },
            key,
        );
        if let Some(e) = err {
            return Err(e);
        }
    }
    if incr {
        if processed > 0 {
            reply_score(ctx.out, last);
        } else {
            ctx.out.null();
        }
    } else {
        ctx.out.int(if ch { added + updated } else { added });
    }
    Ok(())
}

/// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...].
/// <https://redis.io/commands/zadd/>
fn zadd(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    zadd_generic(ctx, a, false)
}

/// ZINCRBY key increment member. <https://redis.io/commands/zincrby/>
fn zincrby(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    zadd_generic(ctx, a, true)
}

/// ZREM key member [member ...]. <https://redis.io/commands/zrem/>
fn zrem(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let key = &a[1];
    let Some(e) = ctx.ks.lookup_write(key) else {
        ctx.out.int(0);
        return Ok(());
    };
    let z = zset_mut(&mut e.value)?;
    let mut n = 0;
    for m in a.iter().skip(2) {
        if z.remove(m).is_some() {
            n += 1;
        }
    }
    let empty = z.is_empty();
    ctx.notify_if(n > 0, super::notify::ZSET, "zrem", key);
    ctx.ks.settle(key, empty, n > 0);
    ctx.notify_emptied(empty, key);
    ctx.out.int(n);
    Ok(())
}

/// ZSCORE key member. <https://redis.io/commands/zscore/>
fn zscore(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let s = match ctx.ks.lookup_read(&a[1]) {
        Some(e) => zset_ref(&e.value)?.score(&a[2]),
        None => None,
    };
    match s {
        Some(s) => reply_score(ctx.out, s),
        None => ctx.out.null(),
    }
    Ok(())
}

/// ZMSCORE key member [member ...]. <https://redis.io/commands/zmscore/>
fn zmscore(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let scores: Vec<Option<f64>> = match ctx.ks.lookup_read(&a[1]) {
        Some(e) => {
            let z = zset_ref(&e.value)?;
            a.iter().skip(2).map(|m| z.score(m)).collect()
        }
        None => vec![None; a.len() - 2],
    };
    ctx.out.array_len(scores.len());
    for s in scores {
        match s {
            Some(s) => reply_score(ctx.out, s),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

/// ZCARD key. <https://redis.io/commands/zcard/>
fn zcard(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let n = match ctx.ks.lookup_read(&a[1]) {
        Some(e) => zset_ref(&e.value)?.len(),
        None => 0,
    };
    ctx.out.int(n as i64);
    Ok(())
}

/// ZCOUNT key min max. <https://redis.io/commands/zcount/>
fn zcount(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let r = ScoreRange::parse(&a[2], &a[3])?;
    let n = match ctx.ks.lookup_read(&a[1]) {
        Some(e) => {
            let (s, e) = r.ranks(zset_ref(&e.value)?);
            e - s
        }
        None => 0,
    };
    ctx.out.int(n as i64);
    Ok(())
}

/// ZLEXCOUNT key min max. <https://redis.io/commands/zlexcount/>
fn zlexcount(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let r = LexRange::parse(&a[2], &a[3])?;
    let n = match ctx.ks.lookup_read(&a[1]) {
        Some(e) => {
            let (s, e) = r.ranks(zset_ref(&e.value)?);
            e - s
        }
        None => 0,
    };
    ctx.out.int(n as i64);
    Ok(())
}

fn zrank_generic(ctx: &mut Ctx<'_, '_>, a: &Args<'_>, rev: bool) -> CmdResult {
    let r = match ctx.ks.lookup_read(&a[1]) {
        Some(e) => {
            let z = zset_ref(&e.value)?;
            z.score(&a[2]).map(|s| {
                let r = z.rank(s, &a[2]);
                if rev {
                    z.len() - 1 - r
                } else {
                    r
                }
            })
        }
        None => None,
    };
    match r {
        Some(r) => ctx.out.int(r as i64),
        None => ctx.out.null(),
    }
    Ok(())
}

/// ZRANK key member. <https://redis.io/commands/zrank/>
fn zrank(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    zrank_generic(ctx, a, false)
}

/// ZREVRANK key member. <https://redis.io/commands/zrevrank/>
fn zrevrank(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    zrank_generic(ctx, a, true)
}

#[derive(Clone, Copy, PartialEq)]
enum RangeType {
    Auto,
    Rank,
    Score,
    Lex,
}

/// The ZRANGE family, as Redis's `zrangeGenericCommand`: `src` is the source key's index,
/// `store` the destination's (ZRANGESTORE).
fn zrange_generic(
    ctx: &mut Ctx<'_, '_>,
    a: &Args<'_>,
    src: usize,
    store: Option<usize>,
    mut rtype: RangeType,
    rev_fixed: Option<bool>,
) -> CmdResult {
    let (mut withscores, mut offset, mut limit) = (false, 0i64, -1i64);
    let mut rev = rev_fixed;
    let mut j = src + 3;
    while j < a.len() {
        let left = a.len() - j - 1;
        if store.is_none() && a.is(j, "withscores") {
            withscores = true;
        } else if a.is(j, "limit") && left >= 2 {
            offset = a.i64(j + 1)?;
            limit = a.i64(j + 2)?;
            j += 2;
        } else if rev.is_none() && a.is(j, "rev") {
            rev = Some(true);
        } else if rtype == RangeType::Auto && a.is(j, "bylex") {
            rtype = RangeType::Lex;
        } else if rtype == RangeType::Auto && a.is(j, "byscore") {
            rtype = RangeType::Score;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    let rev = rev.unwrap_or(false);
    if rtype == RangeType::Auto {
        rtype = RangeType::Rank;
    }
    if limit != -1 && rtype == RangeType::Rank {
        return Err(CmdError::err(
            "syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if withscores && rtype == RangeType::Lex {
        return Err(CmdError::err(
            "syntax error, WITHSCORES not supported in combination with BYLEX",
        ));
    }
    let (mut mi, mut ma) = (src + 1, src + 2);
    if rev && rtype != RangeType::Rank {
        std::mem::swap(&mut mi, &mut ma);
    }
    enum R {
        Rank(i64, i64),
        Score(ScoreRange),
        Lex(LexRange),
    }
    let range = match rtype {
        RangeType::Score => R::Score(ScoreRange::parse(&a[mi], &a[ma])?),
        RangeType::Lex => R::Lex(LexRange::parse(&a[mi], &a[ma])?),
        _ => R::Rank(a.i64(mi)?, a.i64(ma)?),
    };
    let mut items: Vec<(f64, Vec<u8>)> = Vec::new();
    if let Some(e) = ctx.ks.lookup_read(&a[src]) {
        let z = zset_ref(&e.value)?;
        let len = z.len();
        // Ascending ranks start..end of the candidates.
        let (start, end, paged) = match &range {
            R::Rank(s, e) => match rank_range(*s, *e, len) {
                Some((s, e)) if rev => (len - e, len - s, false),
                Some((s, e)) => (s, e, false),
                None => (0, 0, false),
            },
            R::Score(r) => {
                let (s, e) = r.ranks(z);
                (s, e, true)
            }
            R::Lex(r) => {
                let (s, e) = r.ranks(z);
                (s, e, true)
            }
        };
        let n = end - start;
        let (skip, take) = if paged {
            if offset < 0 || (offset > 0 && offset as usize >= len) {
                (n, 0)
            } else {
                let skip = (offset as usize).min(n);
                let take = if limit < 0 {
                    n - skip
                } else {
                    (limit as usize).min(n - skip)
                };
                (skip, take)
            }
        } else {
            (0, n)
        };
        items.reserve(take);
        let own = |(s, m): (f64, &[u8])| (s, m.to_vec());
        if rev {
            items.extend(z.range(end - skip - take, end - skip).rev().map(own));
        } else {
            items.extend(z.range(start + skip, start + skip + take).map(own));
        }
    }
    match store {
        None => reply_entries(ctx.out, &items, withscores),
        Some(d) => {
            let n = items.len();
            let existed = n == 0 && ctx.ks.exists(&a[d]);
            store_result(ctx, &a[d], items);
            ctx.notify_store(super::notify::ZSET, n, existed, &a[0], &a[d]);
            ctx.out.int(n as i64);
        }
    }
    Ok(())
}

/// Stores `items` (any order, distinct members) at `dst`, or deletes `dst` when empty.
fn store_result(ctx: &mut Ctx<'_, '_>, dst: &[u8], mut items: Vec<(f64, Vec<u8>)>) {
    if items.is_empty() {
        ctx.ks.remove(dst);
        return;
    }
    items.sort_by(|x, y| x.0.total_cmp(&y.0).then_with(|| x.1.cmp(&y.1)));
    ctx.ks
        .insert(dst, Value::ZSet(Box::new(ZSet::from_sorted(items))), 0);
}

/// ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES].
/// <https://redis.io/commands/zrange/>
fn zrange(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    zrange_generic(ctx, a, 1, None, RangeType::Auto, None)
}

/// ZREVRANGE key start stop [WITHSCORES]. <https://redis.io/commands/zrevrange/>
fn zrevrange(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    zrange_generic(ctx, a, 1, None, RangeType::Rank, Some(true))
}

/// ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count].
/// <https://redis.io/commands/zrangebyscore/>
fn zrangebyscore(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    zrange_generic(ctx, a, 1, None, RangeType::Score, Some(false))
}

/// ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count].
/// <https://redis.io/commands/zrevrangebyscore/>
fn zrevrangebyscore(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    zrange_generic(ctx, a, 1, None, RangeType::Score, Some(true))
}

/// ZRANGEBYLEX key min max [LIMIT offset count]. <https://redis.io/commands/zrangebylex/>
fn zrangebylex(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    zrange_generic(ctx, a, 1, None, RangeType::Lex, Some(false))
}

/// ZREVRANGEBYLEX key max min [LIMIT offset count]. <https://redis.io/commands/zrevrangebylex/>
fn zrevrangebylex(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    zrange_generic(ctx, a, 1, None, RangeType::Lex, Some(true))
}

/// ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count].
/// <https://redis.io/commands/zrangestore/>
fn zrangestore(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    zrange_generic(ctx, a, 2, Some(1), RangeType::Auto, None)
}

fn zremrange_generic(ctx: &mut Ctx<'_, '_>, a: &Args<'_>, rtype: RangeType) -> CmdResult {
    enum R {
        Rank(i64, i64),
        Score(ScoreRange),
        Lex(LexRange),
    }
    let range = match rtype {
        RangeType::Score => R::Score(ScoreRange::parse(&a[2], &a[3])?),
        RangeType::Lex => R::Lex(LexRange::parse(&a[2], &a[3])?),
        _ => R::Rank(a.i64(2)?, a.i64(3)?),
    };
    let key = &a[1];
    let Some(e) = ctx.ks.lookup_write(key) else {
        ctx.out.int(0);
        return Ok(());
    };
    let z = zset_mut(&mut e.value)?;
    let (start, end) = match &range {
        R::Rank(s, e) => rank_range(*s, *e, z.len()).unwrap_or((0, 0)),
        R::Score(r) => r.ranks(z),
        R::Lex(r) => r.ranks(z),
    };
    let n = z.remove_ranks(start, end);
    let empty = z.is_empty();
    ctx.notify_if(
        n > 0,
        super::notify::ZSET,
        ["zremrangebyrank", "zremrangebyscore", "zremrangebylex"][rtype as usize - 1],
        key,
    );
    ctx.ks.settle(key, empty, n > 0);
    ctx.notify_emptied(empty, key);
    ctx.out.int(n as i64);
    Ok(())
}

/// ZREMRANGEBYRANK key start stop. <https://redis.io/commands/zremrangebyrank/>
fn zremrangebyrank(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    zremrange_generic(ctx, a, RangeType::Rank)
}

/// ZREMRANGEBYSCORE key min max. <https://redis.io/commands/zremrangebyscore/>
fn zremrangebyscore(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    zremrange_generic(ctx, a, RangeType::Score)
}

/// ZREMRANGEBYLEX key min max. <https://redis.io/commands/zremrangebylex/>
fn zremrangebylex(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    zremrange_generic(ctx, a, RangeType::Lex)
}

/// Pops up to `count` entries from the low (`max` false) or high end of `key`; deletes the key
/// when it becomes empty. `Ok(None)` when the key is missing.
fn pop_from(
    ctx: &mut Ctx<'_, '_>,
    key: &[u8],
    max: bool,
    count: usize,
) -> Result<Option<Entries>, CmdError> {
    let Some(e) = ctx.ks.lookup_write(key) else {
        return Ok(None);
    };
    let z = zset_mut(&mut e.value)?;
    let n = count.min(z.len());
    let len = z.len();
    let own = |(s, m): (f64, &[u8])| (s, m.to_vec());
    let items: Vec<_> = if max {
        z.range(len - n, len).rev().map(own).collect()
    } else {
        z.range(0, n).map(own).collect()
    };
    if max {
        z.remove_ranks(len - n, len);
    } else {
        z.remove_ranks(0, n);
    }
    let empty = z.is_empty();
    ctx.notify_if(
        n > 0,
        super::notify::ZSET,
        if max { "zpopmax" } else { "zpopmin" },
        key,
    );
    ctx.ks.settle(key, empty, n > 0);
    ctx.notify_emptied(empty, key);
    Ok(Some(items))
}

fn zpop_generic(ctx: &mut Ctx<'_, '_>, a: &Args<'_>, max: bool) -> CmdResult {
    if a.len() > 3 {
        return Err(CmdError::Syntax);
    }
    let count = if a.len() == 3 {
        let c = crate::util::parse_i64(&a[2]).unwrap_or(-1);
        if c < 0 {
            return Err(CmdError::err("value is out of range, must be positive"));
        }
        Some(c as usize)
    } else {
        None
    };
    let items = pop_from(ctx, &a[1], max, count.unwrap_or(1))?.unwrap_or_default();
    let nested = ctx.out.resp3() && count.is_some();
    ctx.out
        .array_len(if nested { items.len() } else { items.len() * 2 });
    for (s, m) in &items {
        if nested {
            ctx.out.array_len(2);
        }
        ctx.out.bulk(m);
        reply_score(ctx.out, *s);
    }
    Ok(())
}

/// ZPOPMIN key [count]. <https://redis.io/commands/zpopmin/>
fn zpopmin(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    zpop_generic(ctx, a, false)
}

/// ZPOPMAX key [count]. <https://redis.io/commands/zpopmax/>
fn zpopmax(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    zpop_generic(ctx, a, true)
}

/// Parses ZMPOP's `numkeys key [key ...] MIN|MAX [COUNT count]` from `a[1..]`; returns the
/// index of MIN|MAX (the keys are `a[2..where]`), whether it is MAX, and the count.
fn zmpop_args(a: &Args<'_>) -> Result<(usize, bool, usize), CmdError> {
    let numkeys = crate::util::parse_i64(&a[1]).unwrap_or(0);
    if numkeys <= 0 {
        return Err(CmdError::err("numkeys should be greater than 0"));
    }
    let numkeys = numkeys as usize;
    if numkeys > a.len() || 2 + numkeys >= a.len() {
        return Err(CmdError::Syntax);
    }
    let where_idx = 2 + numkeys;
    let max = if a.is(where_idx, "min") {
        false
    } else if a.is(where_idx, "max") {
        true
    } else {
        return Err(CmdError::Syntax);
    };
    let mut count: i64 = -1;
    let mut j = where_idx + 1;
    while j < a.len() {
        if count == -1 && a.is(j, "count") && j + 1 < a.len() {
            count = a.i64(j + 1)?;
            if count <= 0 {
                return Err(CmdError::err("count should be greater than 0"));
            }
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    Ok((where_idx, max, if count == -1 { 1 } else { count as usize }))
}

/// How a pop from the first sorted set among several keys replies.
#[derive(Clone, Copy)]
enum FirstPop {
    /// One entry: `[key, member, score]` (BZPOPMIN, BZPOPMAX).
    One,
    /// Up to this many: `[key, [[member, score], ...]]` (ZMPOP, BZMPOP).
    Many(usize),
}

/// Pops from the low (`max` false) or high end of the first of `keys` holding a sorted set and
/// replies as `how` says; false (nothing written) when none does. With `skip_wrong_type`, keys
/// of another type are passed over (a blocked client's re-run).
fn pop_first<'k>(
    ctx: &mut Ctx<'_, '_>,
    keys: impl Iterator<Item = &'k [u8]>,
    max: bool,
    how: FirstPop,
    skip_wrong_type: bool,
) -> Result<bool, CmdError> {
    let count = match how {
        FirstPop::One => 1,
        FirstPop::Many(n) => n,
    };
    for key in keys {
        if skip_wrong_type && !is_zset(ctx, key) {
            continue;
        }
        let Some(items) = pop_from(ctx, key, max, count)? else {
            continue;
        };
        if items.is_empty() {
            continue;
        }
        // Fed as the plain pop it was (BZPOPMIN and ZMPOP must not be replayed as themselves).
        let pop: &[u8] = if max { b"ZPOPMAX" } else { b"ZPOPMIN" };
        let mut n = itoa::Buffer::new();
        ctx.propagate(&[pop, key, n.format(items.len()).as_bytes()]);
        match how {
            FirstPop::One => {
                ctx.out.array_len(3);
                ctx.out.bulk(key);
            }
            FirstPop::Many(_) => {
                ctx.out.array_len(2);
                ctx.out.bulk(key);
                ctx.out.array_len(items.len());
            }
        }
        for (s, m) in &items {
            if let FirstPop::Many(_) = how {
                ctx.out.array_len(2);
            }
            ctx.out.bulk(m);
            reply_score(ctx.out, *s);
        }
        return Ok(true);
    }
    Ok(false)
}

/// Whether `key` holds a sorted set.
fn is_zset(ctx: &mut Ctx<'_, '_>, key: &[u8]) -> bool {
    matches!(ctx.ks.peek(key), Some(e) if matches!(e.value, Value::ZSet(_)))
}

/// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]. <https://redis.io/commands/zmpop/>
fn zmpop(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let (where_idx, max, count) = zmpop_args(a)?;
    let keys = (2..where_idx).map(|i| a.get(i));
    if !pop_first(ctx, keys, max, FirstPop::Many(count), false)? {
        ctx.out.null_array();
    }
    Ok(())
}

/// BZPOPMIN/BZPOPMAX key [key ...] timeout: `[key, member, score]` from the first non-empty
/// sorted set, else blocks; the null array on timeout.
fn bzpop_generic(ctx: &mut Ctx<'_, '_>, a: &Args<'_>, max: bool) -> CmdResult {
    let last = a.len() - 1;
    let deadline = parse_block_timeout(&a[last], ctx.now)?;
    let retry = ctx.is_retry();
    if pop_first(ctx, (1..last).map(|i| a.get(i)), max, FirstPop::One, retry)? {
        return Ok(());
    }
    block_or_timeout(ctx, (1..last).map(|i| a.get(i)), deadline, |o| {
        o.null_array()
    });
    Ok(())
}

/// BZPOPMIN key [key ...] timeout. <https://redis.io/commands/bzpopmin/>
fn bzpopmin(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    bzpop_generic(ctx, a, false)
}

/// BZPOPMAX key [key ...] timeout. <https://redis.io/commands/bzpopmax/>
fn bzpopmax(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    bzpop_generic(ctx, a, true)
}

/// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]: ZMPOP, or blocks; the null
/// array on timeout. <https://redis.io/commands/bzmpop/>
fn bzmpop(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let m = a.skip(1);
    let (where_idx, max, count) = zmpop_args(&m)?;
    let deadline = parse_block_timeout(&a[1], ctx.now)?;
    let retry = ctx.is_retry();
    let keys = (2..where_idx).map(|i| m.get(i));
    if !pop_first(ctx, keys, max, FirstPop::Many(count), retry)? {
        block_or_timeout(ctx, (2..where_idx).map(|i| m.get(i)), deadline, |o| {
            o.null_array()
        });
    }
    Ok(())
}

/// ZRANDMEMBER key [count [WITHSCORES]]. <https://redis.io/commands/zrandmember/>
fn zrandmember(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    if a.len() > 4 {
        return Err(CmdError::Syntax);
    }
    let mut withscores = false;
    let count = if a.len() >= 3 {
        let c = a.i64(2)?;
        if c == i64::MIN {
            return Err(CmdError::err(
                "value is out of range, value must between -9223372036854775807 and 9223372036854775807",
            ));
        }
        if a.len() == 4 {
            if !a.is(3, "withscores") {
                return Err(CmdError::Syntax);
            }
            withscores = true;
            if c < -(i64::MAX / 2) {
                return Err(CmdError::err("value is out of range"));
            }
        }
        Some(c)
    } else {
        None
    };
    let mut rng = rand::thread_rng();
    let Some(e) = ctx.ks.lookup_read(&a[1]) else {
        match count {
            None => ctx.out.null(),
            Some(_) => ctx.out.array_len(0),
        }
        return Ok(());
    };
    let z = zset_ref(&e.value)?;
    let len = z.len();
    let Some(c) = count else {
        let (_, m) = z.get(rng.gen_range(0..len));
        let m = m.to_vec();
        ctx.out.bulk(&m);
        return Ok(());
    };
    let mut items: Vec<(f64, Vec<u8>)> = Vec::new();
    if c < 0 {
        for _ in 0..c.unsigned_abs() {
            let (s, m) = z.get(rng.gen_range(0..len));
            items.push((s, m.to_vec()));
        }
    } else {
        let c = (c as usize).min(len);
        let picks = rand::seq::index::sample(&mut rng, len, c);
        for i in picks.iter() {
            let (s, m) = z.get(i);
            items.push((s, m.to_vec()));
        }
    }
    reply_entries(ctx.out, &items, withscores);
    Ok(())
}

/// ZSCAN key cursor [MATCH pattern] [COUNT count]. Replies the next cursor and a flat array
/// of member, score pairs (scores as `%.17g`).
///
/// A listpack answers every entry in order with cursor 0, as Redis does; a skiplist visits
/// COUNT positions of its member dictionary per call ([`ZSet::scan`]; `keyspace::posmap`
/// gives the guarantee: every member present for the whole iteration comes at least once, even
/// if its score changes). MATCH filters members after the visit.
/// <https://redis.io/commands/zscan/>
fn zscan(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let cursor = super::cursor::parse_cursor(&a[2])?;
    let Some(e) = ctx.ks.lookup_read(&a[1]) else {
        super::cursor::reply_head(ctx.out, 0, 0);
        return Ok(());
    };
    let z = zset_ref(&e.value)?;
    let o = super::cursor::parse_options(a, 3)?;
    let mut found: Vec<(&[u8], f64)> = Vec::new();
    let next = z.scan(cursor, o.count, |m, s| {
        if o.matches(m) {
            found.push((m, s));
        }
    });
    super::cursor::reply_head(ctx.out, next, found.len() * 2);
    for (m, s) in found {
        ctx.out.bulk(m);
        ctx.out.bulk(format_score(s).as_bytes());
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq)]
enum SetOp {
    Union,
    Inter,
    Diff,
}

/// The sorted-set view of one input of ZUNION/ZINTER/ZDIFF (a plain SET counts with score 1).
fn input_entries(v: &Value) -> Result<Vec<(f64, Vec<u8>)>, CmdError> {
    match v {
        Value::ZSet(z) => Ok(z.iter().map(|(s, m)| (s, m.to_vec())).collect()),
        Value::Set(s) => Ok(s.iter().map(|m| (1.0, m.to_vec())).collect()),
        _ => Err(CmdError::WrongType),
    }
}

/// ZUNION/ZINTER/ZDIFF[STORE] and ZINTERCARD, as Redis's `zunionInterDiffGenericCommand`:
/// `dst` is the destination's index for the STORE forms, `nk` the numkeys index.
fn zsetop_generic(
    ctx: &mut Ctx<'_, '_>,
    a: &Args<'_>,
    dst: Option<usize>,
    nk: usize,
    op: SetOp,
    cardinality_only: bool,
) -> CmdResult {
    let setnum = a.i64(nk)?;
    if setnum < 1 {
        return Err(CmdError::err(format!(
            "at least 1 input key is needed for '{}' command",
            String::from_utf8_lossy(&a[0]).to_lowercase()
        )));
    }
    if setnum > (a.len() - nk - 1) as i64 {
        return Err(CmdError::Syntax);
    }
    let setnum = setnum as usize;
    let mut inputs: Vec<Vec<(f64, Vec<u8>)>> = Vec::with_capacity(setnum);
    for i in 0..setnum {
        inputs.push(match ctx.ks.lookup_read(&a[nk + 1 + i]) {
            Some(e) => input_entries(&e.value)?,
            None => Vec::new(),
        });
    }
    let mut weights = vec![1.0f64; setnum];
    #[derive(Clone, Copy, PartialEq)]
    enum Agg {
        Sum,
        Min,
        Max,
    }
    let mut agg = Agg::Sum;
    let mut withscores = false;
    let mut limit = 0i64;
    let mut j = nk + 1 + setnum;
    while j < a.len() {
        let remaining = a.len() - j;
        if op != SetOp::Diff && !cardinality_only && remaining > setnum && a.is(j, "weights") {
            j += 1;
            for w in weights.iter_mut() {
                *w = parse_score(&a[j])
                    .ok_or_else(|| CmdError::err("weight value is not a float"))?;
                j += 1;
            }
        } else if op != SetOp::Diff && !cardinality_only && remaining >= 2 && a.is(j, "aggregate") {
            agg = if a.is(j + 1, "sum") {
                Agg::Sum
            } else if a.is(j + 1, "min") {
                Agg::Min
            } else if a.is(j + 1, "max") {
                Agg::Max
            } else {
                return Err(CmdError::Syntax);
            };
            j += 2;
        } else if dst.is_none() && !cardinality_only && a.is(j, "withscores") {
            withscores = true;
            j += 1;
        } else if cardinality_only && remaining >= 2 && a.is(j, "limit") {
            limit = a.i64(j + 1)?;
            if limit < 0 {
                return Err(CmdError::err("LIMIT can't be negative"));
            }
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let aggregate = |acc: &mut f64, v: f64| match agg {
        Agg::Sum => {
            *acc += v;
            if acc.is_nan() {
                *acc = 0.0;
            }
        }
        Agg::Min => *acc = acc.min(v),
        Agg::Max => *acc = acc.max(v),
    };
    let weighted = |s: f64, w: f64| {
        let v = s * w;
        if v.is_nan() {
            0.0
        } else {
            v
        }
    };
    let mut result: Vec<(f64, Vec<u8>)> = Vec::new();
    match op {
        SetOp::Union => {
            let mut order: Vec<usize> = (0..setnum).collect();
            order.sort_by_key(|&i| inputs[i].len());
            let mut at: hashbrown::HashMap<Vec<u8>, usize> = hashbrown::HashMap::new();
            for &i in &order {
                for (s, m) in &inputs[i] {
                    let v = weighted(*s, weights[i]);
                    match at.get(m) {
                        Some(&k) => aggregate(&mut result[k].0, v),
                        None => {
                            at.insert(m.clone(), result.len());
                            result.push((v, m.clone()));
                        }
                    }
                }
            }
        }
        SetOp::Inter => {
            let mut order: Vec<usize> = (0..setnum).collect();
            order.sort_by_key(|&i| inputs[i].len());
            let maps: Vec<hashbrown::HashMap<&[u8], f64>> = inputs
                .iter()
                .map(|v| v.iter().map(|(s, m)| (&m[..], *s)).collect())
                .collect();
            let first = order[0];
            'outer: for (s, m) in &inputs[first] {
                let mut score = weighted(*s, weights[first]);
                for &i in &order[1..] {
                    match maps[i].get(&m[..]) {
                        Some(&s2) => aggregate(&mut score, weighted(s2, weights[i])),
                        None => continue 'outer,
                    }
                }
                result.push((score, m.clone()));
                if cardinality_only && limit > 0 && result.len() as i64 >= limit {
                    break;
                }
            }
        }
        SetOp::Diff => {
            let others: Vec<hashbrown::HashSet<&[u8]>> = inputs[1..]
                .iter()
                .map(|v| v.iter().map(|(_, m)| &m[..]).collect())
                .collect();
            for (s, m) in &inputs[0] {
                if !others.iter().any(|o| o.contains(&m[..])) {
                    result.push((*s, m.clone()));
                }
            }
        }
    }
    if cardinality_only {
        ctx.out.int(result.len() as i64);
        return Ok(());
    }
    match dst {
        Some(d) => {
            let n = result.len();
            let existed = n == 0 && ctx.ks.exists(&a[d]);
            store_result(ctx, &a[d], result);
            ctx.notify_store(super::notify::ZSET, n, existed, &a[0], &a[d]);
            ctx.out.int(n as i64);
        }
        None => {
            result.sort_by(|x, y| x.0.total_cmp(&y.0).then_with(|| x.1.cmp(&y.1)));
            reply_entries(ctx.out, &result, withscores);
        }
    }
    Ok(())
}

/// ZUNION numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES].
/// <https://redis.io/commands/zunion/>
fn zunion(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    zsetop_generic(ctx, a, None, 1, SetOp::Union, false)
}

/// ZINTER numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES].
/// <https://redis.io/commands/zinter/>
fn zinter(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    zsetop_generic(ctx, a, None, 1, SetOp::Inter, false)
}

/// ZDIFF numkeys key [key ...] [WITHSCORES]. <https://redis.io/commands/zdiff/>
fn zdiff(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    zsetop_generic(ctx, a, None, 1, SetOp::Diff, false)
}

/// ZINTERCARD numkeys key [key ...] [LIMIT limit]. <https://redis.io/commands/zintercard/>
fn zintercard(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    zsetop_generic(ctx, a, None, 1, SetOp::Inter, true)
}

/// ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX].
/// <https://redis.io/commands/zunionstore/>
fn zunionstore(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    zsetop_generic(ctx, a, Some(1), 2, SetOp::Union, false)
}

/// ZINTERSTORE destination numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX].
/// <https://redis.io/commands/zinterstore/>
fn zinterstore(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    zsetop_generic(ctx, a, Some(1), 2, SetOp::Inter, false)
}

/// ZDIFFSTORE destination numkeys key [key ...]. <https://redis.io/commands/zdiffstore/>
fn zdiffstore(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    zsetop_generic(ctx, a, Some(1), 2, SetOp::Diff, false)
}

const Z: Command = Command {
    keys: (1, 1, 1),
    acl: acl::SORTEDSET,
    group: "sorted-set",
    ..BASE
};

#[rustfmt::skip]
pub static COMMANDS: &[Command] = &[
    Command { name: "zadd", elems: (3, 2), arity: -4, flags: WRITE | DENYOOM | FAST, since: "1.2.0",
        summary: "Add one or more members to a sorted set, or update its score if it already exists",
        complexity: "O(log(N)) for each item added, where N is the number of elements in the sorted set.", handler: zadd, ..Z },
    Command { name: "zincrby", elems: (3, 2), arity: 4, flags: WRITE | DENYOOM | FAST, since: "1.2.0",
        summary: "Increment the score of a member in a sorted set",
        complexity: "O(log(N)) where N is the number of elements in the sorted set.", handler: zincrby, ..Z },
    Command { name: "zrem", elems: (2, 1), arity: -3, flags: WRITE | FAST, since: "1.2.0",
        summary: "Remove one or more members from a sorted set",
        complexity: "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.", handler: zrem, ..Z },
    Command { name: "zscore", elems: (2, 1), arity: 3, flags: READONLY | FAST, since: "1.2.0",
        summary: "Get the score associated with the given member in a sorted set", complexity: "O(1)", handler: zscore, ..Z },
    Command { name: "zmscore", elems: (2, 1), arity: -3, flags: READONLY | FAST, since: "6.2.0",
        summary: "Get the score associated with the given members in a sorted set",
        complexity: "O(N) where N is the number of members being requested.", handler: zmscore, ..Z },
    Command { name: "zcard", arity: 2, flags: READONLY | FAST, since: "1.2.0",
        summary: "Get the number of members in a sorted set", complexity: "O(1)", handler: zcard, ..Z },
    Command { name: "zcount", arity: 4, flags: READONLY | FAST, since: "2.0.0",
        summary: "Count the members in a sorted set with scores within the given values",
        complexity: "O(log(N)) with N being the number of elements in the sorted set.", handler: zcount, ..Z },
    Command { name: "zlexcount", arity: 4, flags: READONLY | FAST, since: "2.8.9",
        summary: "Count the number of members in a sorted set between a given lexicographical range",
        complexity: "O(log(N)) with N being the number of elements in the sorted set.", handler: zlexcount, ..Z },
    Command { name: "zrank", elems: (2, 1), arity: 3, flags: READONLY | FAST, since: "2.0.0",
        summary: "Determine the index of a member in a sorted set", complexity: "O(log(N))", handler: zrank, ..Z },
    Command { name: "zrevrank", elems: (2, 1), arity: 3, flags: READONLY | FAST, since: "2.0.0",
        summary: "Determine the index of a member in a sorted set, with scores ordered from high to low",
        complexity: "O(log(N))", handler: zrevrank, ..Z },
    Command { name: "zrange", arity: -4, flags: READONLY, since: "1.2.0",
        summary: "Return a range of members in a sorted set",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.", handler: zrange, ..Z },
    Command { name: "zrevrange", arity: -4, flags: READONLY, since: "1.2.0",
        summary: "Return a range of members in a sorted set, by index, with scores ordered from high to low",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.", handler: zrevrange, ..Z },
    Command { name: "zrangebyscore", arity: -4, flags: READONLY, since: "1.0.5",
        summary: "Return a range of members in a sorted set, by score",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", handler: zrangebyscore, ..Z },
    Command { name: "zrevrangebyscore", arity: -4, flags: READONLY, since: "2.2.0",
        summary: "Return a range of members in a sorted set, by score, with scores ordered from high to low",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", handler: zrevrangebyscore, ..Z },
    Command { name: "zrangebylex", arity: -4, flags: READONLY, since: "2.8.9",
        summary: "Return a range of members in a sorted set, by lexicographical range",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", handler: zrangebylex, ..Z },
    Command { name: "zrevrangebylex", arity: -4, flags: READONLY, since: "2.8.9",
        summary: "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", handler: zrevrangebylex, ..Z },
    Command { name: "zrangestore", arity: -5, flags: WRITE | DENYOOM, keys: (1, 2, 1), since: "6.2.0",
        summary: "Store a range of members from sorted set into another key",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.", handler: zrangestore, ..Z },
    Command { name: "zremrangebyrank", arity: 4, flags: WRITE, since: "2.0.0",
        summary: "Remove all members in a sorted set within the given indexes",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", handler: zremrangebyrank, ..Z },
    Command { name: "zremrangebyscore", arity: 4, flags: WRITE, since: "1.2.0",
        summary: "Remove all members in a sorted set within the given scores",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", handler: zremrangebyscore, ..Z },
    Command { name: "zremrangebylex", arity: 4, flags: WRITE, since: "2.8.9",
        summary: "Remove all members in a sorted set between the given lexicographical range",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", handler: zremrangebylex, ..Z },
    Command { name: "zpopmin", arity: -2, flags: WRITE | FAST, since: "5.0.0",
        summary: "Remove and return members with the lowest scores in a sorted set",
        complexity: "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.", handler: zpopmin, ..Z },
    Command { name: "zpopmax", arity: -2, flags: WRITE | FAST, since: "5.0.0",
        summary: "Remove and return members with the highest scores in a sorted set",
        complexity: "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.", handler: zpopmax, ..Z },
    Command { name: "zmpop", arity: -4, flags: WRITE, keys: (0, 0, 0), keynum: (1, 1, 1), since: "7.0.0",
        summary: "Remove and return members with scores in a sorted set",
        complexity: "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.", handler: zmpop, ..Z },
    Command { name: "bzpopmin", arity: -3, flags: WRITE | NOSCRIPT | FAST | BLOCKING, keys: (1, -2, 1), since: "5.0.0",
        summary: "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available",
        complexity: "O(log(N)) with N being the number of elements in the sorted set.", handler: bzpopmin, ..Z },
    Command { name: "bzpopmax", arity: -3, flags: WRITE | NOSCRIPT | FAST | BLOCKING, keys: (1, -2, 1), since: "5.0.0",
        summary: "Remove and return the member with the highest score from one or more sorted sets, or block until one is available",
        complexity: "O(log(N)) with N being the number of elements in the sorted set.", handler: bzpopmax, ..Z },
    Command { name: "bzmpop", arity: -5, flags: WRITE | BLOCKING, keys: (0, 0, 0), keynum: (2, 1, 1), since: "7.0.0",
        summary: "Remove and return members with scores in a sorted set or block until one is available",
        complexity: "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.", handler: bzmpop, ..Z },
    Command { name: "zrandmember", arity: -2, flags: READONLY, since: "6.2.0",
        summary: "Get one or multiple random elements from a sorted set",
        complexity: "O(N) where N is the number of elements returned", handler: zrandmember, ..Z },
    Command { name: "zscan", arity: -3, flags: READONLY, since: "2.8.0",
        summary: "Incrementally iterate sorted sets elements and associated scores",
        complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..", handler: zscan, ..Z },
    Command { name: "zunion", arity: -3, flags: READONLY, keys: (0, 0, 0), keynum: (1, 1, 1), since: "6.2.0",
        summary: "Add multiple sorted sets",
        complexity: "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.", handler: zunion, ..Z },
    Command { name: "zinter", arity: -3, flags: READONLY, keys: (0, 0, 0), keynum: (1, 1, 1), since: "6.2.0",
        summary: "Intersect multiple sorted sets",
        complexity: "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.", handler: zinter, ..Z },
    Command { name: "zdiff", arity: -3, flags: READONLY, keys: (0, 0, 0), keynum: (1, 1, 1), since: "6.2.0",
        summary: "Subtract multiple sorted sets",
        complexity: "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.", handler: zdiff, ..Z },
    Command { name: "zintercard", arity: -3, flags: READONLY, keys: (0, 0, 0), keynum: (1, 1, 1), since: "7.0.0",
        summary: "Intersect multiple sorted sets and return the cardinality of the result",
        complexity: "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.", handler: zintercard, ..Z },
    Command { name: "zunionstore", arity: -4, flags: WRITE | DENYOOM, keynum: (2, 1, 1), since: "2.0.0",
        summary: "Add multiple sorted sets and store the resulting sorted set in a new key",
        complexity: "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.", handler: zunionstore, ..Z },
    Command { name: "zinterstore", arity: -4, flags: WRITE | DENYOOM, keynum: (2, 1, 1), since: "2.0.0",
        summary: "Intersect multiple sorted sets and store the resulting sorted set in a new key",
        complexity: "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.", handler: zinterstore, ..Z },
    Command { name: "zdiffstore", arity: -4, flags: WRITE | DENYOOM, keynum: (2, 1, 1), since: "6.2.0",
        summary: "Subtract multiple sorted sets and store the resulting sorted set in a new key",
        complexity: "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.", handler: zdiffstore, ..Z },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_print_as_percent_17g() {
        assert_eq!(format_score(0.1), "0.10000000000000001");
        assert_eq!(format_score(1e20), "1e+20");
        assert_eq!(format_score(1.5), "1.5");
        assert_eq!(format_score(-3.0), "-3");
        assert_eq!(format_score(123456789.0), "123456789");
        assert_eq!(format_score(0.0001), "0.0001");
        assert_eq!(format_score(0.00001), "1.0000000000000001e-05");
        assert_eq!(format_score(1e16), "10000000000000000");
        assert_eq!(format_score(1e17), "1e+17");
        assert_eq!(format_score(f64::INFINITY), "inf");
    }
}
