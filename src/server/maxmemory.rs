//! The node's side of `maxmemory` (Redis's `performEvictions` as `processCommand` and the cron
//! call it): when eviction applies, the memory measure it uses, and the `evicted` events.
//! The policies themselves live in [`crate::keyspace::evict`].

use super::Shared;
use crate::keyspace::evict::Outcome;
use crate::protocol::Reply;
use std::sync::atomic::Ordering::Relaxed;

/// The error of a write refused over the limit (Redis 7.0's `shared.oomerr`).
pub const OOM: &str = "OOM command not allowed when used memory > 'maxmemory'.";

impl Shared {
    /// Evicts keys while used memory is over `maxmemory` (a no-op without a limit, and on a
    /// replica under `replica-ignore-maxmemory yes`, whose primary's DELs do it). `me` is the
    /// client whose command triggered it, served its own `evicted` events in RESP3.
    /// A command's call (`me` is Some) evicts for the time `maxmemory-eviction-tenacity` allows;
    /// the cron's, until done.
    /// `Outcome::Fail`: over the limit and nothing more can go: deny-OOM commands are refused.
    pub fn perform_evictions(&self, mut me: Option<(u64, &mut Reply)>, now_ms: u64) -> Outcome {
        let bounded = me.is_some();
        let ks = &self.keyspace;
        if ks.evict.maxmemory.load(Relaxed) == 0 {
            return Outcome::Ok;
        }
        if self.replication.link.is_replica() && self.limits.replica_ignore_maxmemory.load(Relaxed)
        {
            return Outcome::Ok;
        }
        let notify = self.limits.notify_flags.load(Relaxed) & super::notify::EVICTED != 0;
        // As Redis's getMaxmemoryState: the AOF buffer and replicas' backlog past its size
        // are not counted, as evicting keys cannot shrink them.
        let used = || crate::memory::used().saturating_sub(ks.feed.not_counted_for_evict());
        ks.evict(now_ms, bounded, used, |db, key| {
            if notify {
                let me = me.as_mut().map(|(id, out)| (*id, &mut **out));
                self.notify_keyspace(super::notify::EVICTED, "evicted", key, db, me);
            }
        })
    }
}
