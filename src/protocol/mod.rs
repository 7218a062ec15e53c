//! RESP2/RESP3: the request parser and the reply encoder.
//!
//! Requests are parsed in place from the connection's read buffer into argument ranges
//! ([`parse`]); nothing is copied for multibulk requests. Replies are encoded straight into the
//! connection's output buffer ([`reply::Reply`]), in RESP2 or RESP3 as the client negotiated with
//! HELLO. Source: <https://redis.io/docs/reference/protocol-spec/>.

pub mod parse;
pub mod reply;

pub use parse::{parse_request, ParseError, Request, RequestLimits};
pub use reply::Reply;
