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

/// Sleeps until `deadline` (unix ms); forever when it is 0 (a blocking command's "no timeout").
pub async fn sleep_until_ms(deadline: u64) {
    if deadline == 0 {
        std::future::pending::<()>().await
    } else {
        let ms = deadline.saturating_sub(now_ms());
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await
    }
}
