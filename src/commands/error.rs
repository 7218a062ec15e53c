//! Command errors: one enum, each rendered once to Redis 7.0's exact error line.
//!
//! Handlers return `Err(CmdError::...)`; dispatch writes `-<text>\r\n`. The strings are public
//! API (clients match on them), so they live here and nowhere else.

use std::fmt;

/// An error reply of a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CmdError {
    /// `ERR syntax error`
    Syntax,
    /// `WRONGTYPE Operation against a key holding the wrong kind of value`
    WrongType,
    /// `ERR value is not an integer or out of range`
    NotInteger,
    /// `ERR value is not a valid float`
    NotFloat,
    /// `ERR increment or decrement would overflow`
    Overflow,
    /// `ERR increment would produce NaN or Infinity`
    NanOrInfinity,
    /// `ERR wrong number of arguments for '<name>' command`
    WrongArity(String),
    /// `ERR invalid expire time in '<name>' command`
    InvalidExpire(String),
    /// `ERR no such key`
    NoSuchKey,
    /// `ERR DB index is out of range`
    DbIndexOutOfRange,
    /// `ERR string exceeds maximum allowed size (proto-max-bulk-len)`
    StringTooLong,
    /// `NOAUTH Authentication required.`
    NoAuth,
    /// `WRONGPASS invalid username-password pair or user is disabled.`
    WrongPass,
    /// `ERR unknown subcommand '<sub>'. Try <CMD> HELP.`
    UnknownSubcommand { sub: String, cmd: String },
    /// `ERR Invalid stream ID specified as stream command argument`
    InvalidStreamId,
    /// A full error line given as is (code included), for one-off messages.
    Other(String),
}

impl CmdError {
    /// `ERR <msg>`.
    pub fn err(msg: impl Into<String>) -> CmdError {
        CmdError::Other(format!("ERR {}", msg.into()))
    }
}

impl fmt::Display for CmdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CmdError::Syntax => f.write_str("ERR syntax error"),
            CmdError::WrongType => {
                f.write_str("WRONGTYPE Operation against a key holding the wrong kind of value")
            }
            CmdError::NotInteger => f.write_str("ERR value is not an integer or out of range"),
            CmdError::NotFloat => f.write_str("ERR value is not a valid float"),
            CmdError::Overflow => f.write_str("ERR increment or decrement would overflow"),
            CmdError::NanOrInfinity => f.write_str("ERR increment would produce NaN or Infinity"),
            CmdError::WrongArity(c) => write!(f, "ERR wrong number of arguments for '{c}' command"),
            CmdError::InvalidExpire(c) => write!(f, "ERR invalid expire time in '{c}' command"),
            CmdError::NoSuchKey => f.write_str("ERR no such key"),
            CmdError::DbIndexOutOfRange => f.write_str("ERR DB index is out of range"),
            CmdError::StringTooLong => {
                f.write_str("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
            }
            CmdError::NoAuth => f.write_str("NOAUTH Authentication required."),
            CmdError::WrongPass => {
                f.write_str("WRONGPASS invalid username-password pair or user is disabled.")
            }
            CmdError::UnknownSubcommand { sub, cmd } => {
                write!(f, "ERR unknown subcommand '{sub}'. Try {cmd} HELP.")
            }
            CmdError::InvalidStreamId => {
                f.write_str("ERR Invalid stream ID specified as stream command argument")
            }
            CmdError::Other(s) => f.write_str(s),
        }
    }
}

/// `-ERR unknown command 'name', with args beginning with: 'a' 'b' ` (each shown arg truncated
/// to 128 bytes, as Redis does).
pub fn unknown_command(name: &[u8], args: &[&[u8]]) -> String {
    let mut s = format!(
        "ERR unknown command '{}', with args beginning with: ",
        trunc(name)
    );
    for a in args {
        s.push_str(&format!("'{}' ", trunc(a)));
    }
    s
}

fn trunc(b: &[u8]) -> String {
    String::from_utf8_lossy(&b[..b.len().min(128)]).into_owned()
}

pub type CmdResult = Result<(), CmdError>;
