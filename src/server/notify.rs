//! Keyspace notifications (<https://redis.io/docs/manual/keyspace-notifications/>), as Redis
//! 7.0's `notify.c`: the `notify-keyspace-events` classes, their parsing and printing, and the
//! publishing of `__keyspace@<db>__:<key>` (message: the event) and `__keyevent@<db>__:<event>`
//! (message: the key).
//!
//! Commands raise events with `ctx.notify(class, "event", key)` (see `commands/mod.rs`); expired
//! keys are queued by the keyspace ([`crate::keyspace::expiry::ExpiredQueue`]) and published
//! after the command, or by the cron for the active expiry cycle.

use super::Shared;
use crate::protocol::Reply;
use crate::server::pubsub::Kind;
use std::sync::atomic::Ordering::Relaxed;

/// `K`: publish on `__keyspace@<db>__:<key>`.
pub const KEYSPACE: u32 = 1 << 0;
/// `E`: publish on `__keyevent@<db>__:<event>`.
pub const KEYEVENT: u32 = 1 << 1;
/// `g`: generic commands (DEL, EXPIRE, RENAME, ...).
pub const GENERIC: u32 = 1 << 2;
/// `$`: string commands.
pub const STRING: u32 = 1 << 3;
/// `l`: list commands.
pub const LIST: u32 = 1 << 4;
/// `s`: set commands.
pub const SET: u32 = 1 << 5;
/// `h`: hash commands.
pub const HASH: u32 = 1 << 6;
/// `z`: sorted set commands.
pub const ZSET: u32 = 1 << 7;
/// `x`: expired events (a key reached its expiry and was deleted).
pub const EXPIRED: u32 = 1 << 8;
/// `e`: evicted events (maxmemory).
pub const EVICTED: u32 = 1 << 9;
/// `t`: stream commands.
pub const STREAM: u32 = 1 << 10;
/// `m`: key-miss events (not part of `A`).
pub const KEY_MISS: u32 = 1 << 11;
/// `d`: module events.
pub const MODULE: u32 = 1 << 12;
/// `n`: new-key events (not part of `A`).
pub const NEW: u32 = 1 << 13;
/// `A`: alias for `g$lshzxetd`.
pub const ALL: u32 =
    GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;

/// Parses a `notify-keyspace-events` value; `None` on a character Redis rejects.
pub fn parse(s: &str) -> Option<u32> {
    let mut f = 0;
    for c in s.chars() {
        f |= match c {
            'A' => ALL,
            'g' => GENERIC,
            '$' => STRING,
            'l' => LIST,
            's' => SET,
            'h' => HASH,
            'z' => ZSET,
            'x' => EXPIRED,
            'e' => EVICTED,
            'K' => KEYSPACE,
            'E' => KEYEVENT,
            't' => STREAM,
            'm' => KEY_MISS,
            'd' => MODULE,
            'n' => NEW,
            _ => return None,
        };
    }
    Some(f)
}

/// The normalised text CONFIG GET shows (`A` for all of `g$lshzxetd`, then `K`, `E`, `m`).
pub fn format(f: u32) -> String {
    let mut s = String::new();
    if f & ALL == ALL {
        s.push('A');
    } else {
        for (bit, c) in [
            (GENERIC, 'g'),
            (STRING, '$'),
            (LIST, 'l'),
            (SET, 's'),
            (HASH, 'h'),
            (ZSET, 'z'),
            (EXPIRED, 'x'),
            (EVICTED, 'e'),
            (STREAM, 't'),
            (MODULE, 'd'),
            (NEW, 'n'),
        ] {
            if f & bit != 0 {
                s.push(c);
            }
        }
    }
    for (bit, c) in [(KEYSPACE, 'K'), (KEYEVENT, 'E'), (KEY_MISS, 'm')] {
        if f & bit != 0 {
            s.push(c);
        }
    }
    s
}

/// The event a push at `end` raises: `lpush` or `rpush`.
pub fn push_event(end: crate::keyspace::list::End) -> &'static str {
    match end {
        crate::keyspace::list::End::Left => "lpush",
        crate::keyspace::list::End::Right => "rpush",
    }
}

/// The event a pop at `end` raises: `lpop` or `rpop`.
pub fn pop_event(end: crate::keyspace::list::End) -> &'static str {
    match end {
        crate::keyspace::list::End::Left => "lpop",
        crate::keyspace::list::End::Right => "rpop",
    }
}

/// The classes that actually publish: none unless `K` or `E` is set.
pub fn effective(f: u32) -> u32 {
    if f & (KEYSPACE | KEYEVENT) == 0 {
        0
    } else {
        f
    }
}

impl Shared {
    /// Publishes event `event` of class `class` on `key` in database `db` (Redis's
    /// `notifyKeyspaceEvent`); `me` is the acting client, whose own subscriptions are served
    /// in its reply buffer. Call through `ctx.notify`, which checks the class first.
    pub fn notify_keyspace(
        &self,
        class: u32,
        event: &str,
        key: &[u8],
        db: usize,
        mut me: Option<(u64, &mut Reply)>,
    ) {
        let flags = self.limits.notify_flags.load(Relaxed);
        if flags & class == 0 {
            return;
        }
        let now = crate::clock::now_ms();
        if flags & KEYSPACE != 0 {
            let mut ch = format!("__keyspace@{db}__:").into_bytes();
            ch.extend_from_slice(key);
            let me = me.as_mut().map(|(id, out)| (*id, &mut **out));
            self.pubsub
                .publish(Kind::Channel, &ch, event.as_bytes(), now, me);
        }
        if flags & KEYEVENT != 0 {
            let ch = format!("__keyevent@{db}__:{event}").into_bytes();
            self.pubsub.publish(Kind::Channel, &ch, key, now, me);
        }
    }

    /// Publishes `expired` for the keys the keyspace queued as expired (lazily or actively).
    pub fn notify_expired(&self, mut me: Option<(u64, &mut Reply)>) {
        for (db, key) in self.keyspace.expired.drain() {
            let me = me.as_mut().map(|(id, out)| (*id, &mut **out));
            self.notify_keyspace(EXPIRED, "expired", &key, db, me);
        }
    }

    /// Publishes `keymiss` for the keys reads looked for and did not find (class `m`, as
    /// Redis's `lookupKey` raises it). They are published after the command, not during it.
    pub fn notify_missed(&self, mut me: Option<(u64, &mut Reply)>) {
        for (db, key) in self.keyspace.missed.drain() {
            let me = me.as_mut().map(|(id, out)| (*id, &mut **out));
            self.notify_keyspace(KEY_MISS, "keymiss", &key, db, me);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_parse_and_print_as_redis() {
        assert_eq!(format(parse("KEA").unwrap()), "AKE");
        assert_eq!(format(parse("Exgm").unwrap()), "gxEm");
        assert_eq!(format(parse("g$lshzxetdKE").unwrap()), "AKE");
        assert_eq!(format(parse("").unwrap()), "");
        assert_eq!(parse("Q"), None);
        assert_eq!(effective(parse("A").unwrap()), 0);
    }
}
