//! The pub/sub registry: channel, pattern and shard-channel subscriptions, message delivery to
//! subscribers' connections, and the `pubsub` class of `client-output-buffer-limit`.
//!
//! Follows Redis 7.0's `pubsub.c` (<https://redis.io/docs/manual/pubsub/>):
//! - PUBLISH delivers to every subscriber of the channel (`message`), then to every client of every
//!   matching pattern (`pmessage`, once per matching pattern), and returns that number of deliveries.
//! - SPUBLISH delivers to shard-channel subscribers (`smessage`); patterns never see shard channels.
//!
//! Delivery: each subscribing connection owns an [`Outbox`], a byte buffer that publishers append
//! encoded frames to (RESP2 arrays or RESP3 pushes, by the subscriber's protocol) before waking the
//! connection task, which writes it out (see `connection.rs`). The bytes queued or being written
//! are counted; a subscriber past the hard limit, or past the soft limit for longer than the soft
//! seconds, is closed, never buffered without bound.
//!
//! Locking: one `RwLock` over the maps (publishers share it); an outbox has its own small mutex.
//! The registry lock may be taken while shard locks are held (keyspace notifications), never the
//! other way round. Nothing here is touched by a command when nobody subscribes: [`PubSub::publish`]
//! returns at once on a zero subscription counter.

use super::client::ClientInfo;
use crate::protocol::Reply;
use bytes::BytesMut;
use hashbrown::HashMap;
use parking_lot::{Mutex, RwLock};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use tokio::sync::Notify;

/// The three kinds of subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// SUBSCRIBE / PUBLISH.
    Channel,
    /// PSUBSCRIBE (glob patterns over PUBLISH channels).
    Pattern,
    /// SSUBSCRIBE / SPUBLISH (shard channels, Redis 7.0).
    Shard,
}

/// The limits of the `pubsub` class of `client-output-buffer-limit`, mirrored into atomics.
#[derive(Default)]
pub struct OutputLimit {
    /// Bytes; 0 = no hard limit.
    pub hard: AtomicU64,
    /// Bytes; 0 = no soft limit.
    pub soft: AtomicU64,
    /// Seconds the soft limit may be exceeded before the client is closed.
    pub soft_secs: AtomicU64,
}

/// A subscriber's pending output: frames published to it and not yet written to its socket.
pub struct Outbox {
    pub info: Arc<ClientInfo>,
    buf: Mutex<BytesMut>,
    /// Bytes queued in `buf` plus bytes taken by the connection and not yet written.
    pending: AtomicUsize,
    /// Unix ms since when `pending` has been above the soft limit; 0 = it is not.
    soft_since: AtomicU64,
    /// Set once the client was closed for its output; nothing more is queued.
    closed: AtomicBool,
    /// Woken after bytes were queued.
    pub ready: Notify,
}

impl Outbox {
    /// An empty outbox for the client `info`.
    pub fn new(info: Arc<ClientInfo>) -> Outbox {
        Outbox {
            info,
            buf: Mutex::new(BytesMut::new()),
            pending: AtomicUsize::new(0),
            soft_since: AtomicU64::new(0),
            closed: AtomicBool::new(false),
            ready: Notify::new(),
        }
    }

    /// Takes everything queued; the caller writes it, then calls [`Outbox::written`].
    pub fn take(&self) -> BytesMut {
        std::mem::take(&mut *self.buf.lock())
    }

    /// `n` taken bytes reached the socket.
    pub fn written(&self, n: usize) {
        let left = self.pending.fetch_sub(n, Relaxed).saturating_sub(n);
        self.info.pubsub_omem.store(left, Relaxed);
        if left == 0 {
            self.soft_since.store(0, Relaxed);
        }
    }

    /// Bytes queued or being written (CLIENT LIST `omem` of a subscriber).
    pub fn pending(&self) -> usize {
        self.pending.load(Relaxed)
    }

    /// Queues `frame` (encoded with a `*` header) for this subscriber, as a push for RESP3.
    /// Closes the client instead when it would pass its output limits.
    fn push(&self, frame: &[u8], limit: &OutputLimit, now_ms: u64) {
        if self.closed.load(Relaxed) {
            return;
        }
        let total = self.pending.load(Relaxed) + frame.len();
        let (hard, soft) = (limit.hard.load(Relaxed), limit.soft.load(Relaxed));
        let mut over = hard > 0 && total as u64 > hard;
        if !over && soft > 0 && total as u64 > soft {
            let since = self.soft_since.load(Relaxed);
            if since == 0 {
                self.soft_since.store(now_ms.max(1), Relaxed);
            } else if now_ms.saturating_sub(since) > limit.soft_secs.load(Relaxed) * 1000 {
                over = true;
            }
        } else if !over {
            self.soft_since.store(0, Relaxed);
        }
        if over {
            if !self.closed.swap(true, Relaxed) {
                tracing::warn!(
                    "Client id={} addr={} scheduled to be closed ASAP for overcoming of output buffer limits.",
                    self.info.id,
                    self.info.addr
                );
                self.buf.lock().clear();
                self.info.kill();
            }
            return;
        }
        let resp3 = self.info.resp.load(Relaxed) >= 3;
        {
            let mut b = self.buf.lock();
            let start = b.len();
            b.extend_from_slice(frame);
            if resp3 {
                b[start] = b'>';
            }
        }
        let now_pending = self.pending.fetch_add(frame.len(), Relaxed) + frame.len();
        self.info.pubsub_omem.store(now_pending, Relaxed);
        self.ready.notify_one();
    }
}

/// One connection's subscriptions (connection-local; the registry holds the reverse maps).
pub struct ClientSubs {
    pub outbox: Arc<Outbox>,
    pub channels: BTreeSet<Box<[u8]>>,
    pub patterns: BTreeSet<Box<[u8]>>,
    pub shard: BTreeSet<Box<[u8]>>,
}

impl ClientSubs {
    /// No subscriptions yet, with a fresh outbox for the client `info`.
    pub fn new(info: Arc<ClientInfo>) -> ClientSubs {
        ClientSubs {
            outbox: Arc::new(Outbox::new(info)),
            channels: BTreeSet::new(),
            patterns: BTreeSet::new(),
            shard: BTreeSet::new(),
        }
    }

    fn set(&mut self, k: Kind) -> &mut BTreeSet<Box<[u8]>> {
        match k {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
            Kind::Shard => &mut self.shard,
        }
    }

    /// The count SUBSCRIBE/UNSUBSCRIBE replies carry: channels + patterns, or shard channels for
    /// the S variants (Redis 7.0).
    pub fn count(&self, k: Kind) -> usize {
        match k {
            Kind::Shard => self.shard.len(),
            _ => self.channels.len() + self.patterns.len(),
        }
    }

    /// All subscriptions of every kind.
    pub fn total(&self) -> usize {
        self.channels.len() + self.patterns.len() + self.shard.len()
    }

    /// Mirrors the counts into the shared client info (CLIENT LIST `sub psub ssub`, flag `P`).
    fn publish_counts(&self) {
        let i = &self.outbox.info;
        i.sub.store(self.channels.len(), Relaxed);
        i.psub.store(self.patterns.len(), Relaxed);
        i.ssub.store(self.shard.len(), Relaxed);
    }
}

type Subscribers = Vec<Arc<Outbox>>;

#[derive(Default)]
struct Maps {
    channels: HashMap<Box<[u8]>, Subscribers>,
    patterns: HashMap<Box<[u8]>, Subscribers>,
    shard: HashMap<Box<[u8]>, Subscribers>,
}

impl Maps {
    fn map(&mut self, k: Kind) -> &mut HashMap<Box<[u8]>, Subscribers> {
        match k {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
            Kind::Shard => &mut self.shard,
        }
    }

    fn get(&self, k: Kind) -> &HashMap<Box<[u8]>, Subscribers> {
        match k {
            Kind::Channel => &self.channels,
            Kind::Pattern => &self.patterns,
            Kind::Shard => &self.shard,
        }
    }
}

/// The node's subscriptions.
#[derive(Default)]
pub struct PubSub {
    maps: RwLock<Maps>,
    /// Subscriptions of every kind on the node; zero lets PUBLISH skip the lock.
    total: AtomicUsize,
    /// The `pubsub` output limits.
    pub limit: OutputLimit,
}

impl PubSub {
    /// Adds `name` to the client's subscriptions of kind `k`; false if it was already there.
    pub fn subscribe(&self, subs: &mut ClientSubs, k: Kind, name: &[u8]) -> bool {
        if subs.set(k).contains(name) {
            return false;
        }
        subs.set(k).insert(name.into());
        self.maps
            .write()
            .map(k)
            .entry(name.into())
            .or_default()
            .push(subs.outbox.clone());
        self.total.fetch_add(1, Relaxed);
        subs.publish_counts();
        true
    }

    /// Removes `name` from the client's subscriptions of kind `k`; false if it was not there.
    pub fn unsubscribe(&self, subs: &mut ClientSubs, k: Kind, name: &[u8]) -> bool {
        if !subs.set(k).remove(name) {
            return false;
        }
        let mut maps = self.maps.write();
        let map = maps.map(k);
        if let Some(v) = map.get_mut(name) {
            v.retain(|o| !Arc::ptr_eq(o, &subs.outbox));
            if v.is_empty() {
                map.remove(name);
            }
        }
        self.total.fetch_sub(1, Relaxed);
        subs.publish_counts();
        true
    }

    /// Drops every subscription of a client (disconnect, RESET), without replies.
    pub fn unsubscribe_all(&self, subs: &mut ClientSubs) {
        for k in [Kind::Channel, Kind::Pattern, Kind::Shard] {
            let names: Vec<Box<[u8]>> = subs.set(k).iter().cloned().collect();
            for n in names {
                self.unsubscribe(subs, k, &n);
            }
        }
    }

    /// Publishes `msg` on `channel` (kind `Channel` or `Shard`) at `now_ms`; returns the number of
    /// deliveries as PUBLISH replies it. `me` is the publishing client's id and reply buffer: a
    /// message to itself goes there, so it precedes the command's own reply as in Redis.
    pub fn publish(
        &self,
        k: Kind,
        channel: &[u8],
        msg: &[u8],
        now_ms: u64,
        mut me: Option<(u64, &mut Reply)>,
    ) -> usize {
        if self.total.load(Relaxed) == 0 {
            return 0;
        }
        let maps = self.maps.read();
        let mut n = 0;
        let (map, kind) = match k {
            Kind::Shard => (&maps.shard, &b"smessage"[..]),
            _ => (&maps.channels, &b"message"[..]),
        };
        if let Some(subs) = map.get(channel) {
            let frame = encode(&[kind, channel, msg]);
            for s in subs {
                self.deliver(s, &frame, now_ms, &mut me);
                n += 1;
            }
        }
        if k == Kind::Channel && !maps.patterns.is_empty() {
            for (pat, subs) in &maps.patterns {
                if crate::util::glob_match(pat, channel, false) {
                    let frame = encode(&[b"pmessage", pat, channel, msg]);
                    for s in subs {
                        self.deliver(s, &frame, now_ms, &mut me);
                        n += 1;
                    }
                }
            }
        }
        n
    }

    fn deliver(&self, s: &Outbox, frame: &[u8], now_ms: u64, me: &mut Option<(u64, &mut Reply)>) {
        match me {
            Some((id, out)) if *id == s.info.id => {
                let start = out.buf.len();
                out.buf.extend_from_slice(frame);
                if out.resp3() {
                    out.buf[start] = b'>';
                }
            }
            _ => s.push(frame, &self.limit, now_ms),
        }
    }

    /// Names of active channels of kind `k` matching `pattern` (all when `None`).
    pub fn channels(&self, k: Kind, pattern: Option<&[u8]>) -> Vec<Box<[u8]>> {
        self.maps
            .read()
            .get(k)
            .keys()
            .filter(|c| pattern.is_none_or(|p| crate::util::glob_match(p, c, false)))
            .cloned()
            .collect()
    }

    /// Subscribers of the channel `name` of kind `k`.
    pub fn numsub(&self, k: Kind, name: &[u8]) -> usize {
        self.maps.read().get(k).get(name).map_or(0, |v| v.len())
    }

    /// Distinct channels (or patterns) of kind `k` with subscribers (INFO `pubsub_channels`,
    /// `pubsub_patterns`, `pubsubshard_channels`; PUBSUB NUMPAT).
    pub fn count(&self, k: Kind) -> usize {
        self.maps.read().get(k).len()
    }
}

/// Encodes `parts` as a RESP2 array of bulk strings; [`Outbox::push`] turns it into a push.
pub fn encode(parts: &[&[u8]]) -> Vec<u8> {
    let mut r = Reply::new();
    r.buf = BytesMut::with_capacity(16 + parts.iter().map(|p| p.len() + 16).sum::<usize>());
    r.array_len(parts.len());
    for p in parts {
        r.bulk(p);
    }
    r.buf.to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(id: u64) -> ClientSubs {
        ClientSubs::new(Arc::new(ClientInfo::new(
            id,
            "a:1".into(),
            "b:2".into(),
            0,
            0,
        )))
    }

    #[test]
    fn publish_counts_channel_and_pattern_deliveries() {
        let ps = PubSub::default();
        let (mut a, mut b) = (client(1), client(2));
        assert!(ps.subscribe(&mut a, Kind::Channel, b"news"));
        assert!(!ps.subscribe(&mut a, Kind::Channel, b"news"));
        ps.subscribe(&mut a, Kind::Pattern, b"n*");
        ps.subscribe(&mut b, Kind::Pattern, b"n*");
        ps.subscribe(&mut b, Kind::Pattern, b"*s");
        assert_eq!(ps.publish(Kind::Channel, b"news", b"hi", 0, None), 4);
        assert_eq!(ps.publish(Kind::Shard, b"news", b"hi", 0, None), 0);
        assert_eq!(
            &a.outbox.take()[..],
            b"*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$2\r\nhi\r\n"
        );
        assert_eq!(ps.count(Kind::Pattern), 2);
        ps.unsubscribe_all(&mut b);
        assert_eq!(ps.count(Kind::Pattern), 1);
        assert_eq!(ps.numsub(Kind::Channel, b"news"), 1);
    }

    #[test]
    fn a_subscriber_past_the_hard_limit_is_closed() {
        let ps = PubSub::default();
        ps.limit.hard.store(100, Relaxed);
        let mut a = client(1);
        ps.subscribe(&mut a, Kind::Channel, b"c");
        ps.publish(Kind::Channel, b"c", &[b'x'; 60], 0, None);
        assert!(!a.outbox.info.killed.load(Relaxed));
        ps.publish(Kind::Channel, b"c", &[b'x'; 60], 0, None);
        assert!(a.outbox.info.killed.load(Relaxed));
        assert!(a.outbox.take().is_empty());
    }

    #[test]
    fn a_subscriber_above_the_soft_limit_too_long_is_closed() {
        let ps = PubSub::default();
        ps.limit.soft.store(10, Relaxed);
        ps.limit.soft_secs.store(1, Relaxed);
        let mut a = client(1);
        ps.subscribe(&mut a, Kind::Channel, b"c");
        ps.publish(Kind::Channel, b"c", b"x", 1000, None);
        ps.publish(Kind::Channel, b"c", b"x", 2000, None);
        assert!(!a.outbox.info.killed.load(Relaxed));
        ps.publish(Kind::Channel, b"c", b"x", 2001, None);
        assert!(a.outbox.info.killed.load(Relaxed));
    }
}
