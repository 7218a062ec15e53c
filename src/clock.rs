//! The only "now" of the server: unix time in milliseconds (and microseconds for TIME/MONITOR).
//! Handlers receive it in `Ctx::now`; keyspace functions take it as an argument, so tests can
//! pass any time they like.

use std::time::{SystemTime, UNIX_EPOCH};

/// Unix time, milliseconds.
#[inline]
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Unix time, microseconds.
pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}
