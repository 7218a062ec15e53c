//! The launcher's synchronous RESP2 client: one request, one bounded reply, over `std::net`.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// Read and write timeout of one request to a node, and the connect timeout.
pub const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// A RESP2 reply, as far as the launcher reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Status(String),
    Error(String),
    Int(i64),
    Bulk(Vec<u8>),
    Nil,
    Array(Vec<Value>),
}

impl std::fmt::Display for Value {
    /// The reply as an error message shows it: `-ERR ...`, `+OK`, `:1`, `"text"`, `nil`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Status(s) => write!(f, "+{s}"),
            Value::Error(e) => write!(f, "-{e}"),
            Value::Int(n) => write!(f, ":{n}"),
            Value::Bulk(b) => write!(f, "{:?}", String::from_utf8_lossy(b)),
            Value::Nil => write!(f, "nil"),
            Value::Array(a) => write!(f, "an array of {}", a.len()),
        }
    }
}

/// Longest header line, bulk string and array the client accepts: replies of CLUSTER NODES
/// or INFO are far smaller; anything bigger is a protocol error, not a memory blow-up.
const MAX_LINE: u64 = 64 * 1024;
const MAX_BULK: usize = 16 * 1024 * 1024;
const MAX_ARRAY: usize = 1 << 20;
const MAX_DEPTH: usize = 8;

/// A synchronous RESP2 client connection: one request, one reply, with [`IO_TIMEOUT`] on
/// every read and write (protocol spec: <https://redis.io/docs/reference/protocol-spec/>).
pub struct Conn {
    reader: BufReader<TcpStream>,
}

impl Conn {
    /// Connects (bounded by [`IO_TIMEOUT`]) and sets the read and write timeouts.
    pub fn connect(addr: SocketAddr) -> io::Result<Conn> {
        let s = TcpStream::connect_timeout(&addr, IO_TIMEOUT)?;
        s.set_read_timeout(Some(IO_TIMEOUT))?;
        s.set_write_timeout(Some(IO_TIMEOUT))?;
        s.set_nodelay(true)?;
        Ok(Conn {
            reader: BufReader::new(s),
        })
    }

    /// Sends `args` as a multibulk request and reads one reply; an error reply is
    /// `Ok(Value::Error)`, a broken or malformed stream an `Err`.
    pub fn call(&mut self, args: &[&str]) -> io::Result<Value> {
        let mut req = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            req.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
        }
        self.reader.get_mut().write_all(&req)?;
        read_value(&mut self.reader, 0)
    }
}

fn protocol_error(what: impl std::fmt::Display) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("protocol error: {what}"),
    )
}

/// Reads one RESP2 reply (nested arrays up to [`MAX_DEPTH`]).
fn read_value(r: &mut impl BufRead, depth: usize) -> io::Result<Value> {
    let mut line = Vec::new();
    r.by_ref().take(MAX_LINE).read_until(b'\n', &mut line)?;
    if !line.ends_with(b"\r\n") {
        return Err(protocol_error(if line.is_empty() {
            "connection closed".to_string()
        } else {
            format!("bad line {:?}", String::from_utf8_lossy(&line))
        }));
    }
    line.truncate(line.len() - 2);
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let number = |b: &[u8]| -> io::Result<i64> {
        std::str::from_utf8(b)
            .ok()
            .and_then(|t| t.parse().ok())
            .ok_or_else(|| protocol_error(format!("bad number {:?}", text(b))))
    };
    let Some((&kind, rest)) = line.split_first() else {
        return Err(protocol_error("empty line"));
    };
    match kind {
        b'+' => Ok(Value::Status(text(rest))),
        b'-' => Ok(Value::Error(text(rest))),
        b':' => Ok(Value::Int(number(rest)?)),
        b'$' => {
            let Ok(len) = usize::try_from(number(rest)?) else {
                return Ok(Value::Nil);
            };
            if len > MAX_BULK {
                return Err(protocol_error(format!("bulk of {len} bytes")));
            }
            let mut body = vec![0; len + 2];
            r.read_exact(&mut body)?;
            if !body.ends_with(b"\r\n") {
                return Err(protocol_error("bulk not followed by CRLF"));
            }
            body.truncate(len);
            Ok(Value::Bulk(body))
        }
        b'*' => {
            let Ok(len) = usize::try_from(number(rest)?) else {
                return Ok(Value::Nil);
            };
            if len > MAX_ARRAY || depth >= MAX_DEPTH {
                return Err(protocol_error(format!("array of {len} at depth {depth}")));
            }
            (0..len)
                .map(|_| read_value(r, depth + 1))
                .collect::<io::Result<_>>()
                .map(Value::Array)
        }
        other => Err(protocol_error(format!(
            "unexpected type byte {:?}",
            other as char
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_read_and_bounded() {
        let read = |b: &[u8]| read_value(&mut io::Cursor::new(b.to_vec()), 0);
        assert_eq!(read(b"+OK\r\n").unwrap(), Value::Status("OK".into()));
        assert_eq!(read(b"-ERR x\r\n").unwrap(), Value::Error("ERR x".into()));
        assert_eq!(read(b":-3\r\n").unwrap(), Value::Int(-3));
        assert_eq!(read(b"$-1\r\n").unwrap(), Value::Nil);
        assert_eq!(
            read(b"$3\r\na\r\n\r\n").unwrap(),
            Value::Bulk(b"a\r\n".to_vec())
        );
        assert_eq!(
            read(b"*2\r\n:1\r\n*0\r\n").unwrap(),
            Value::Array(vec![Value::Int(1), Value::Array(vec![])])
        );
        for bad in [
            &b"$3\r\nab"[..],
            b"$99999999999\r\n",
            b"*1\r\n",
            b"?\r\n",
            b"+OK",
            b"",
            b":x\r\n",
        ] {
            assert!(read(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
        let deep = "*1\r\n".repeat(MAX_DEPTH + 1);
        assert!(read(deep.as_bytes()).is_err());
    }
}
