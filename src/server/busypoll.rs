//! Busy polling: when the event loop runs out of ready connections, it keeps polling its
//! sockets for a few microseconds (`busy-poll-us`) before the thread sleeps in `epoll_wait`.
//!
//! Why: a thread that sleeps has to be woken by whoever sends it the next request, and the
//! waking costs the sender, not the sleeper. The sender's `sendto` runs the scheduler's
//! wake-up of the server thread (`try_to_wake_up`); on a virtual machine whose idle vCPU halts
//! (KVM with `guest_halt_poll_ns=0`, as on the machine of docs/benchmarks.md) that is also an
//! inter-processor interrupt and a VM exit. A server that needs less CPU per request than its
//! clients' rate idles more, and so sleeps more: measured with 50 redis-benchmark clients of
//! `LRANGE mylist 0 99` (`-P 1`), shoal slept 0.19 times per request where Redis (busier) slept
//! 0.02 times, and the client spent 1.5 µs more of kernel time per request against shoal,
//! about 9 µs per extra wake-up; the client was the bottleneck, so shoal served 12 % fewer
//! requests per second.
//!
//! How: one poller task per event loop. While reads keep coming, it yields
//! ([`tokio::task::yield_now`]); a runtime with a yielded task polls its I/O driver without
//! blocking (`epoll_wait` with a zero timeout) instead of sleeping in it, and runs whatever
//! became ready. When no read came for a whole window, the poller parks until the next read
//! ([`BusyPoll::input`]), and the thread sleeps as before.
//!
//! The window adapts, as the kernel's `haltpoll` cpuidle governor adapts its own polling time:
//! it starts at an eighth of `busy-poll-us`; when the poller parked and the next read came
//! sooner than `busy-poll-us` after the last one (a longer window would have caught it), it
//! doubles, up to `busy-poll-us`; when the next read came later, it halves, to 0 below a
//! microsecond. A server whose requests come further apart than `busy-poll-us` (an idle one,
//! or one client every millisecond) therefore stops polling after a few requests, and then
//! pays a task wake-up per read that follows a sleep; one under steady load polls through the
//! short gaps between its requests.
//!
//! Only a single-threaded event loop (`io-threads 1`, or one core) polls: with several
//! workers, the one that would poll cannot reach the I/O driver while another sleeps in it.

use futures_util::task::AtomicWaker;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

/// State shared between the poller task and the connections.
pub struct BusyPoll {
    /// The poller is parked: the next read wakes it.
    parked: AtomicBool,
    waker: AtomicWaker,
    /// When the read that woke the parked poller came, nanoseconds after `epoch`: the poller
    /// runs only after the whole batch that read started, too late to time the gap itself.
    woken_at: AtomicU64,
    epoch: Instant,
    /// Times the poller parked (the event loop went to sleep with nothing to poll for).
    pub parks: AtomicU64,
    /// The current window, nanoseconds (for INFO and tests).
    pub window_ns: AtomicU64,
}

impl Default for BusyPoll {
    fn default() -> Self {
        Self {
            parked: AtomicBool::new(false),
            waker: AtomicWaker::new(),
            woken_at: AtomicU64::new(0),
            epoch: Instant::now(),
            parks: AtomicU64::new(0),
            window_ns: AtomicU64::new(0),
        }
    }
}

impl BusyPoll {
    /// Called by a connection after each read that brought input: wakes a parked poller.
    /// One relaxed load when the poller is polling. A wake-up lost to a race (the poller
    /// parking on another thread at that instant) only delays polling until the next read.
    #[inline]
    pub fn input(&self) {
        if self.parked.load(Relaxed) && self.parked.swap(false, Relaxed) {
            self.woken_at
                .store(self.epoch.elapsed().as_nanos() as u64, Relaxed);
            self.waker.wake();
        }
    }

    /// Waits until [`BusyPoll::input`] is called, unless `reads` moved past `seen` already.
    /// Returns when the read that ended the wait came.
    async fn park(&self, reads: &AtomicU64, seen: u64) -> Instant {
        self.parked.store(true, Relaxed);
        self.parks.fetch_add(1, Relaxed);
        std::future::poll_fn(|cx| {
            self.waker.register(cx.waker());
            if !self.parked.load(Relaxed) {
                let at = self.epoch + Duration::from_nanos(self.woken_at.load(Relaxed));
                Poll::Ready(at)
            } else if reads.load(Relaxed) != seen {
                self.parked.store(false, Relaxed);
                Poll::Ready(Instant::now())
            } else {
                Poll::Pending
            }
        })
        .await
    }
}

/// The adaptive polling window (see the module doc). `max` of zero means no polling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Current window.
    pub now: Duration,
}

impl Window {
    /// Adjusts the window after the poller parked: `gap` is the time from the last read
    /// before it parked to the read that woke it. A gap within `max` grows the window
    /// (doubling, from `max / 8`); a longer gap halves it, to zero below a microsecond.
    pub fn adapt(&mut self, gap: Duration, max: Duration) {
        if max.is_zero() {
            self.now = Duration::ZERO;
        } else if gap <= max {
            self.now = (self.now * 2).max(max / 8).min(max);
        } else {
            self.now /= 2;
            if self.now < Duration::from_micros(1) {
                self.now = Duration::ZERO;
            }
        }
        self.now = self.now.min(max);
    }
}

/// The poller task, spawned by `server::run` when there is one worker; runs until aborted at
/// shutdown. A read from a client (`ServerStats::reads_processed` moving) is what it polls
/// for and what resets its window's clock.
pub async fn run(state: Arc<super::Shared>) {
    let bp = &state.busy_poll;
    let reads = &state.stats.reads_processed;
    let mut window = Window {
        now: Duration::ZERO,
    };
    let max = || Duration::from_micros(state.limits.busy_poll_us.load(Relaxed));
    let mut seen = reads.load(Relaxed);
    let mut last_read = Instant::now();
    loop {
        // Poll while reads keep coming within the window.
        while !window.now.is_zero() {
            tokio::task::yield_now().await;
            let r = reads.load(Relaxed);
            let now = Instant::now();
            if r != seen {
                seen = r;
                last_read = now;
                // A lower `busy-poll-us` (CONFIG SET, itself a read) applies at once.
                if window.now > max() {
                    window.now = max();
                    bp.window_ns.store(window.now.as_nanos() as u64, Relaxed);
                }
            } else if now.duration_since(last_read) >= window.now {
                break;
            }
        }
        let woken = bp.park(reads, seen).await;
        window.adapt(woken.saturating_duration_since(last_read), max());
        bp.window_ns.store(window.now.as_nanos() as u64, Relaxed);
        seen = reads.load(Relaxed);
        last_read = Instant::now();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_grows_on_short_gaps_and_shrinks_to_zero_on_long_ones() {
        let max = Duration::from_micros(64);
        let mut w = Window {
            now: Duration::ZERO,
        };
        w.adapt(Duration::from_micros(10), max);
        assert_eq!(w.now, Duration::from_micros(8));
        w.adapt(Duration::from_micros(10), max);
        assert_eq!(w.now, Duration::from_micros(16));
        for _ in 0..10 {
            w.adapt(Duration::from_micros(30), max);
        }
        assert_eq!(w.now, max, "never past busy-poll-us");
        // One client a millisecond: six halvings take 64 µs to zero.
        for _ in 0..6 {
            w.adapt(Duration::from_millis(1), max);
        }
        assert_eq!(w.now, Duration::from_micros(1));
        w.adapt(Duration::from_millis(1), max);
        assert_eq!(w.now, Duration::ZERO);
        w.adapt(Duration::from_millis(1), max);
        assert_eq!(w.now, Duration::ZERO, "stays off while gaps stay long");
        // busy-poll-us 0 turns it off whatever the gaps.
        w.adapt(Duration::from_micros(1), max);
        assert_eq!(w.now, Duration::from_micros(8));
        w.adapt(Duration::from_micros(1), Duration::ZERO);
        assert_eq!(w.now, Duration::ZERO);
    }
}
