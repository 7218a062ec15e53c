//! What HSCAN, SSCAN and ZSCAN share: the cursor and option parsing of Redis 7.0's
//! `parseScanCursorOrReply` and `scanGenericCommand`, and the reply's cursor line.
//!
//! The order of checks is Redis's: an invalid cursor fails first (even for a missing key), a
//! missing key then answers an empty scan without looking at the options, a key of another type
//! is WRONGTYPE, and only then are MATCH and COUNT parsed. How a collection turns a cursor into
//! positions lives with its type (`keyspace::posmap` documents the cursor and its guarantee).

use super::{Args, CmdError};
use crate::protocol::Reply;

/// A scan cursor as Redis's `parseScanCursorOrReply` reads it with C `strtoul`: decimal, an
/// optional sign (a negative value wraps), no leading white space, nothing after the digits,
/// no overflow; the empty string is 0. Anything else is `ERR invalid cursor`.
pub fn parse_cursor(b: &[u8]) -> Result<u64, CmdError> {
    let invalid = || CmdError::err("invalid cursor");
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    if b.is_empty() {
        return Ok(0);
    }
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(invalid());
    }
    let v: u64 = std::str::from_utf8(digits)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(invalid)?;
    Ok(if neg { v.wrapping_neg() } else { v })
}

/// MATCH and COUNT of a collection scan.
pub struct ScanOptions<'a> {
    /// `None` when absent or `*` (Redis skips matching then).
    pub pattern: Option<&'a [u8]>,
    /// Positions to visit per call (default 10).
    pub count: usize,
}

impl ScanOptions<'_> {
    /// Whether `item` passes MATCH.
    #[inline]
    pub fn matches(&self, item: &[u8]) -> bool {
        self.pattern
            .is_none_or(|p| crate::util::glob_match(p, item, false))
    }
}

/// Parses `[MATCH pattern] [COUNT count]` from argument `from` on: a COUNT below 1 is a syntax
/// error, a non-integer one `ERR value is not an integer or out of range`.
pub fn parse_options<'a>(a: &Args<'a>, from: usize) -> Result<ScanOptions<'a>, CmdError> {
    let mut o = ScanOptions {
        pattern: None,
        count: 10,
    };
    let mut i = from;
    while i < a.len() {
        let more = a.len() - i >= 2;
        if a.is(i, "count") && more {
            let n = a.i64(i + 1)?;
            if n < 1 {
                return Err(CmdError::Syntax);
            }
            o.count = usize::try_from(n).unwrap_or(usize::MAX);
        } else if a.is(i, "match") && more {
            let p = a.get(i + 1);
            o.pattern = (p != b"*").then_some(p);
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
    Ok(o)
}

/// Writes the reply's head: a 2-element array, the next cursor as a bulk string, then the
/// header of the `n` items that follow.
pub fn reply_head(out: &mut Reply, next: u64, n: usize) {
    out.array_len(2);
    out.bulk(itoa::Buffer::new().format(next).as_bytes());
    out.array_len(n);
}

#[cfg(test)]
mod tests {
    use super::parse_cursor;

    #[test]
    fn cursors_parse_like_strtoul() {
        for (ok, v) in [("0", 0), ("", 0), ("+1", 1), ("-1", u64::MAX), ("007", 7)] {
            assert_eq!(parse_cursor(ok.as_bytes()), Ok(v), "{ok}");
        }
        assert_eq!(parse_cursor(b"18446744073709551615"), Ok(u64::MAX));
        for bad in [
            " 0",
            "x",
            "1x",
            "-",
            "+",
            "18446744073709551616",
            "0 ",
            "--1",
        ] {
            assert!(parse_cursor(bad.as_bytes()).is_err(), "{bad}");
        }
    }
}
