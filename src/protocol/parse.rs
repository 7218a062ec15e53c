//! The request parser: multibulk (`*N\r\n$L\r\n...`) and inline (`SET a "b c"\n`) requests.
//!
//! [`parse_request`] looks at the start of the read buffer and returns
//! - `Ok(None)`: the request is incomplete; nothing was consumed or copied,
//! - `Ok(Some(req))`: one complete request of `req.len` bytes, its arguments as ranges,
//! - `Err(e)`: a protocol error; the connection replies `-ERR Protocol error: ...` and closes.
//!
//! Error strings follow Redis 7.0's `networking.c` to the letter.

use std::ops::Range;

/// Limits checked while parsing, from `proto-max-bulk-len` and `client-query-buffer-limit`.
#[derive(Clone, Copy, Debug)]
pub struct RequestLimits {
    /// Largest accepted bulk argument, bytes (`proto-max-bulk-len`, default 512 MB).
    pub max_bulk_len: usize,
    /// Largest inline request line, bytes (Redis: PROTO_INLINE_MAX_SIZE, 64 KB).
    pub max_inline_len: usize,
    /// False while the client still has to AUTH: then at most 10 arguments of at most 16 KB
    /// each are accepted, as Redis does, so an unauthenticated peer cannot make us buffer much.
    pub authenticated: bool,
}

impl Default for RequestLimits {
    fn default() -> Self {
        RequestLimits {
            max_bulk_len: 512 * 1024 * 1024,
            max_inline_len: 64 * 1024,
            authenticated: true,
        }
    }
}

/// A protocol error; `Display` gives the text after `-ERR Protocol error: `.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    InvalidMultibulkLength,
    InvalidBulkLength,
    TooBigMultibulkCount,
    TooBigBulkCount,
    ExpectedDollar(u8),
    UnbalancedQuotes,
    TooBigInline,
    UnauthenticatedMultibulkLength,
    UnauthenticatedBulkLength,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParseError::InvalidMultibulkLength => f.write_str("invalid multibulk length"),
            ParseError::InvalidBulkLength => f.write_str("invalid bulk length"),
            ParseError::TooBigMultibulkCount => f.write_str("too big mbulk count string"),
            ParseError::TooBigBulkCount => f.write_str("too big bulk count string"),
            ParseError::ExpectedDollar(c) => write!(f, "expected '$', got '{}'", *c as char),
            ParseError::UnbalancedQuotes => f.write_str("unbalanced quotes in request"),
            ParseError::TooBigInline => f.write_str("too big inline request"),
            ParseError::UnauthenticatedMultibulkLength => {
                f.write_str("unauthenticated multibulk length")
            }
            ParseError::UnauthenticatedBulkLength => f.write_str("unauthenticated bulk length"),
        }
    }
}

/// Where a request's arguments live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgSource {
    /// Ranges index the read buffer (multibulk requests).
    Buffer,
    /// Ranges index the caller's scratch buffer (inline requests, unescaped).
    Scratch,
}

/// One complete request.
#[derive(Debug)]
pub struct Request {
    /// Bytes of the read buffer this request occupied.
    pub len: usize,
    /// Which buffer `ranges` (filled by the parser) refer to.
    pub source: ArgSource,
}

/// Bulk lengths above this are read straight into a buffer sized for them (Redis: PROTO_MBULK_BIG_ARG).
pub const BIG_ARG: usize = 32 * 1024;

/// Parses one request from the start of `buf`.
///
/// `ranges` receives the argument ranges (cleared first); `scratch` receives unescaped inline
/// arguments. An empty inline line (`\r\n`) yields a request with no arguments, which callers skip.
/// `hint` is set to the total bytes needed when a large bulk is incomplete, so the caller can
/// reserve them once.
pub fn parse_request(
    buf: &[u8],
    limits: &RequestLimits,
    ranges: &mut Vec<Range<usize>>,
    scratch: &mut Vec<u8>,
    hint: &mut usize,
) -> Result<Option<Request>, ParseError> {
    ranges.clear();
    *hint = 0;
    if buf.is_empty() {
        return Ok(None);
    }
    if buf[0] == b'*' {
        parse_multibulk(buf, limits, ranges, hint)
    } else {
        parse_inline(buf, limits, ranges, scratch)
    }
}

/// Finds `\r\n` starting at `from`; returns the index of `\r`.
#[inline]
fn find_crlf(buf: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i + 1 < buf.len() {
        match memchr_cr(&buf[i..buf.len() - 1]) {
            Some(off) => {
                let p = i + off;
                if buf[p + 1] == b'\n' {
                    return Some(p);
                }
                i = p + 1;
            }
            None => return None,
        }
    }
    None
}

#[inline]
fn memchr_cr(s: &[u8]) -> Option<usize> {
    s.iter().position(|&b| b == b'\r')
}

/// Parses a signed decimal as Redis's `string2ll` does for protocol lengths.
fn parse_len(s: &[u8]) -> Option<i64> {
    crate::util::parse_i64(s)
}

fn parse_multibulk(
    buf: &[u8],
    limits: &RequestLimits,
    ranges: &mut Vec<Range<usize>>,
    hint: &mut usize,
) -> Result<Option<Request>, ParseError> {
    let Some(eol) = find_crlf(buf, 1) else {
        if buf.len() > limits.max_inline_len {
            return Err(ParseError::TooBigMultibulkCount);
        }
        return Ok(None);
    };
    let count = parse_len(&buf[1..eol]).ok_or(ParseError::InvalidMultibulkLength)?;
    if count > i32::MAX as i64 {
        return Err(ParseError::InvalidMultibulkLength);
    }
    if count > 10 && !limits.authenticated {
        return Err(ParseError::UnauthenticatedMultibulkLength);
    }
    let mut pos = eol + 2;
    if count <= 0 {
        return Ok(Some(Request {
            len: pos,
            source: ArgSource::Buffer,
        }));
    }
    let count = count as usize;
    if ranges.capacity() < count.min(1024) {
        ranges.reserve(count.min(1024));
    }
    for _ in 0..count {
        if pos >= buf.len() {
            return Ok(None);
        }
        if buf[pos] != b'$' {
            return Err(ParseError::ExpectedDollar(buf[pos]));
        }
        let Some(eol) = find_crlf(buf, pos + 1) else {
            if buf.len() - pos > limits.max_inline_len {
                return Err(ParseError::TooBigBulkCount);
            }
            return Ok(None);
        };
        let len = parse_len(&buf[pos + 1..eol]).ok_or(ParseError::InvalidBulkLength)?;
        if len < 0 || len as u64 > limits.max_bulk_len as u64 {
            return Err(ParseError::InvalidBulkLength);
        }
        if len > 16384 && !limits.authenticated {
            return Err(ParseError::UnauthenticatedBulkLength);
        }
        let len = len as usize;
        let start = eol + 2;
        let end = start + len;
        if end + 2 > buf.len() {
            if len >= BIG_ARG {
                *hint = end + 2;
            }
            return Ok(None);
        }
        // Redis does not check the trailing CRLF's bytes; it skips two bytes.
        ranges.push(start..end);
        pos = end + 2;
    }
    Ok(Some(Request {
        len: pos,
        source: ArgSource::Buffer,
    }))
}

fn parse_inline(
    buf: &[u8],
    limits: &RequestLimits,
    ranges: &mut Vec<Range<usize>>,
    scratch: &mut Vec<u8>,
) -> Result<Option<Request>, ParseError> {
    let Some(nl) = buf.iter().position(|&b| b == b'\n') else {
        if buf.len() > limits.max_inline_len {
            return Err(ParseError::TooBigInline);
        }
        return Ok(None);
    };
    let mut line = &buf[..nl];
    if line.last() == Some(&b'\r') {
        line = &line[..line.len() - 1];
    }
    scratch.clear();
    split_args(line, scratch, ranges).ok_or(ParseError::UnbalancedQuotes)?;
    Ok(Some(Request {
        len: nl + 1,
        source: ArgSource::Scratch,
    }))
}

fn hex_val(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// C's `isspace` in the C locale (`sdssplitargs` skips and ends quoted arguments with it).
#[inline]
pub fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// Splits an inline line into arguments as Redis's `sdssplitargs` does: spaces separate,
/// `"..."` understands `\n \r \t \b \a \\ \" \xHH`, `'...'` understands `\'`, and a closing quote
/// must be followed by a space or the end. Returns `None` on unbalanced quotes.
pub fn split_args(line: &[u8], out: &mut Vec<u8>, ranges: &mut Vec<Range<usize>>) -> Option<()> {
    let mut i = 0;
    let n = line.len();
    loop {
        while i < n && is_space(line[i]) {
            i += 1;
        }
        if i >= n {
            return Some(());
        }
        let start = out.len();
        let mut inq = false;
        let mut insq = false;
        loop {
            if inq {
                if i >= n {
                    return None;
                }
                if line[i] == b'\\'
                    && i + 3 < n
                    && line[i + 1] == b'x'
                    && hex_val(line[i + 2]).is_some()
                    && hex_val(line[i + 3]).is_some()
                {
                    out.push(hex_val(line[i + 2])? * 16 + hex_val(line[i + 3])?);
                    i += 3;
                } else if line[i] == b'\\' && i + 1 < n {
                    i += 1;
                    out.push(match line[i] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 8,
                        b'a' => 7,
                        c => c,
                    });
                } else if line[i] == b'"' {
                    if i + 1 < n && !is_space(line[i + 1]) {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    out.push(line[i]);
                }
            } else if insq {
                if i >= n {
                    return None;
                }
                if line[i] == b'\\' && i + 1 < n && line[i + 1] == b'\'' {
                    i += 1;
                    out.push(b'\'');
                } else if line[i] == b'\'' {
                    if i + 1 < n && !is_space(line[i + 1]) {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    out.push(line[i]);
                }
            } else {
                if i >= n {
                    break;
                }
                match line[i] {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => {
                        break;
                    }
                    b'"' => inq = true,
                    b'\'' => insq = true,
                    c => out.push(c),
                }
            }
            i += 1;
        }
        ranges.push(start..out.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Parsed = Option<(usize, Vec<Vec<u8>>)>;

    fn parse(buf: &[u8]) -> Result<Parsed, ParseError> {
        let mut r = Vec::new();
        let mut s = Vec::new();
        let mut h = 0;
        let lim = RequestLimits::default();
        Ok(
            parse_request(buf, &lim, &mut r, &mut s, &mut h)?.map(|req| {
                let src: &[u8] = if req.source == ArgSource::Buffer {
                    buf
                } else {
                    &s
                };
                (req.len, r.iter().map(|x| src[x.clone()].to_vec()).collect())
            }),
        )
    }

    #[test]
    fn multibulk_complete_and_incomplete() {
        let full = b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
        let (len, args) = parse(full).unwrap().unwrap();
        assert_eq!(len, full.len());
        assert_eq!(args, vec![b"GET".to_vec(), b"k".to_vec()]);
        for cut in 1..full.len() {
            assert_eq!(parse(&full[..cut]).unwrap(), None, "cut at {cut}");
        }
    }

    #[test]
    fn multibulk_errors_match_redis() {
        assert_eq!(parse(b"*abc\r\n"), Err(ParseError::InvalidMultibulkLength));
        assert_eq!(parse(b"*1\r\n$x\r\n"), Err(ParseError::InvalidBulkLength));
        assert_eq!(parse(b"*1\r\n$-1\r\n"), Err(ParseError::InvalidBulkLength));
        assert_eq!(
            parse(b"*1\r\nfoo\r\n"),
            Err(ParseError::ExpectedDollar(b'f'))
        );
        assert_eq!(
            ParseError::ExpectedDollar(b'f').to_string(),
            "expected '$', got 'f'"
        );
    }

    #[test]
    fn inline_splits_quotes_and_escapes() {
        let (len, args) = parse(b"SET a \"b c\\x41\\n\" 'd\\'e'\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(len, 26);
        assert_eq!(
            args,
            vec![
                b"SET".to_vec(),
                b"a".to_vec(),
                b"b cA\n".to_vec(),
                b"d'e".to_vec()
            ]
        );
        assert_eq!(parse(b"SET a \"b\n"), Err(ParseError::UnbalancedQuotes));
        assert_eq!(parse(b"SET a \"b\"c\n"), Err(ParseError::UnbalancedQuotes));
        assert_eq!(parse(b"\r\n").unwrap().unwrap().1.len(), 0);
        assert_eq!(parse(b"PING").unwrap(), None);
    }

    #[test]
    fn unauthenticated_clients_get_small_limits() {
        let lim = RequestLimits {
            authenticated: false,
            ..Default::default()
        };
        let (mut r, mut s, mut h) = (Vec::new(), Vec::new(), 0);
        let e = parse_request(b"*11\r\n", &lim, &mut r, &mut s, &mut h).unwrap_err();
        assert_eq!(e.to_string(), "unauthenticated multibulk length");
        let e = parse_request(b"*2\r\n$16385\r\n", &lim, &mut r, &mut s, &mut h).unwrap_err();
        assert_eq!(e.to_string(), "unauthenticated bulk length");
        let auth = b"*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n";
        assert!(parse_request(auth, &lim, &mut r, &mut s, &mut h)
            .unwrap()
            .is_some());
    }

    #[test]
    fn bulk_above_limit_is_rejected() {
        let lim = RequestLimits {
            max_bulk_len: 10,
            ..Default::default()
        };
        let (mut r, mut s, mut h) = (Vec::new(), Vec::new(), 0);
        let e = parse_request(b"*1\r\n$11\r\n", &lim, &mut r, &mut s, &mut h).unwrap_err();
        assert_eq!(e, ParseError::InvalidBulkLength);
    }
}
