//! The reply encoder: writes RESP2 or RESP3 frames into the connection's output buffer.
//!
//! Handlers call the typed methods (`bulk`, `int`, `null`, `map_len`, ...) and the protocol the
//! client chose with HELLO decides the bytes: a RESP3 map is a RESP2 array of twice the length, a
//! RESP3 null (`_`) is `$-1` or `*-1` in RESP2, a RESP3 double (`,`) is a bulk string in RESP2.

use bytes::BytesMut;

/// The output buffer of one connection plus its protocol version (2 or 3).
#[derive(Debug)]
pub struct Reply {
    /// Encoded replies waiting to be written.
    pub buf: BytesMut,
    /// 2 or 3.
    pub proto: u8,
}

impl Default for Reply {
    fn default() -> Self {
        Reply::new()
    }
}

impl Reply {
    pub fn new() -> Reply {
        Reply {
            buf: BytesMut::with_capacity(16 * 1024),
            proto: 2,
        }
    }

    #[inline]
    pub fn resp3(&self) -> bool {
        self.proto >= 3
    }

    #[inline]
    fn len_line(&mut self, prefix: u8, n: i64) {
        let mut b = itoa::Buffer::new();
        let s = b.format(n);
        self.buf.reserve(s.len() + 3);
        self.buf.extend_from_slice(&[prefix]);
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }

    /// `+OK`
    #[inline]
    pub fn ok(&mut self) {
        self.buf.extend_from_slice(b"+OK\r\n");
    }

    /// A simple string `+s`; `s` must not contain CR or LF.
    pub fn simple(&mut self, s: &str) {
        self.buf.reserve(s.len() + 3);
        self.buf.extend_from_slice(b"+");
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }

    /// An error line; `msg` is the full text including its code (`ERR ...`, `WRONGTYPE ...`).
    /// CR/LF inside `msg` are replaced by spaces, as Redis does.
    pub fn error(&mut self, msg: &str) {
        self.buf.reserve(msg.len() + 3);
        self.buf.extend_from_slice(b"-");
        for &b in msg.as_bytes() {
            self.buf
                .extend_from_slice(&[if b == b'\r' || b == b'\n' { b' ' } else { b }]);
        }
        self.buf.extend_from_slice(b"\r\n");
    }

    /// An integer `:n`.
    #[inline]
    pub fn int(&mut self, n: i64) {
        self.len_line(b':', n);
    }

    /// A bulk string `$len\r\n...\r\n`.
    #[inline]
    pub fn bulk(&mut self, s: &[u8]) {
        self.len_line(b'$', s.len() as i64);
        self.buf.reserve(s.len() + 2);
        self.buf.extend_from_slice(s);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// An integer sent as a bulk string (GET of an int-encoded value).
    #[inline]
    pub fn bulk_int(&mut self, n: i64) {
        let mut b = itoa::Buffer::new();
        self.bulk(b.format(n).as_bytes());
    }

    /// An optional bulk string: `None` is the null reply.
    #[inline]
    pub fn bulk_opt(&mut self, s: Option<&[u8]>) {
        match s {
            Some(s) => self.bulk(s),
            None => self.null(),
        }
    }

    /// The null bulk string: `$-1` (RESP2) or `_` (RESP3).
    #[inline]
    pub fn null(&mut self) {
        if self.resp3() {
            self.buf.extend_from_slice(b"_\r\n");
        } else {
            self.buf.extend_from_slice(b"$-1\r\n");
        }
    }

    /// The null array: `*-1` (RESP2) or `_` (RESP3).
    pub fn null_array(&mut self) {
        if self.resp3() {
            self.buf.extend_from_slice(b"_\r\n");
        } else {
            self.buf.extend_from_slice(b"*-1\r\n");
        }
    }

    /// An array header of `n` elements; the caller writes them next.
    #[inline]
    pub fn array_len(&mut self, n: usize) {
        self.len_line(b'*', n as i64);
    }

    /// A push header of `n` elements: `>n` (RESP3) or `*n` (RESP2); pub/sub messages and
    /// (un)subscribe confirmations (<https://redis.io/docs/reference/protocol-spec/#pushes>).
    pub fn push_len(&mut self, n: usize) {
        if self.resp3() {
            self.len_line(b'>', n as i64);
        } else {
            self.len_line(b'*', n as i64);
        }
    }

    /// A map header of `n` pairs: `%n` (RESP3) or `*2n` (RESP2).
    pub fn map_len(&mut self, n: usize) {
        if self.resp3() {
            self.len_line(b'%', n as i64);
        } else {
            self.len_line(b'*', 2 * n as i64);
        }
    }

    /// A set header of `n` elements: `~n` (RESP3) or `*n` (RESP2).
    pub fn set_len(&mut self, n: usize) {
        if self.resp3() {
            self.len_line(b'~', n as i64);
        } else {
            self.len_line(b'*', n as i64);
        }
    }

    /// A double: `,x` (RESP3) or a bulk string (RESP2), formatted as Redis does (`inf`, `-inf`,
    /// shortest round-trip decimal otherwise).
    pub fn double(&mut self, x: f64) {
        let s = crate::util::format_double(x);
        if self.resp3() {
            self.buf.extend_from_slice(b",");
            self.buf.extend_from_slice(s.as_bytes());
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(s.as_bytes());
        }
    }

    /// A boolean: `#t`/`#f` (RESP3) or `:1`/`:0` (RESP2).
    pub fn boolean(&mut self, b: bool) {
        if self.resp3() {
            self.buf
                .extend_from_slice(if b { b"#t\r\n" } else { b"#f\r\n" });
        } else {
            self.int(b as i64);
        }
    }

    /// A verbatim string (`=len\r\ntxt:...`, RESP3) or a bulk string (RESP2); used by INFO and
    /// CLIENT LIST/INFO as Redis does.
    pub fn verbatim(&mut self, s: &[u8]) {
        if self.resp3() {
            self.len_line(b'=', s.len() as i64 + 4);
            self.buf.extend_from_slice(b"txt:");
            self.buf.extend_from_slice(s);
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(s);
        }
    }

    /// Bytes written so far; with [`Reply::truncate`] drops a command's reply (CLIENT REPLY OFF).
    #[inline]
    pub fn mark(&self) -> usize {
        self.buf.len()
    }

    #[inline]
    pub fn truncate(&mut self, mark: usize) {
        self.buf.truncate(mark);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resp2_and_resp3_differ_where_redis_does() {
        let mut r = Reply::new();
        r.null();
        r.map_len(2);
        r.double(1.5);
        assert_eq!(&r.buf[..], b"$-1\r\n*4\r\n$3\r\n1.5\r\n");
        let mut r = Reply {
            proto: 3,
            ..Reply::new()
        };
        r.null();
        r.map_len(2);
        r.double(1.5);
        assert_eq!(&r.buf[..], b"_\r\n%2\r\n,1.5\r\n");
    }

    #[test]
    fn error_strips_newlines() {
        let mut r = Reply::new();
        r.error("ERR a\r\nb");
        assert_eq!(&r.buf[..], b"-ERR a  b\r\n");
    }
}
