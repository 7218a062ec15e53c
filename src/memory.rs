//! Memory accounting: how many bytes the node has allocated, as Redis's `used_memory`.
//!
//! [`Counting`] is the server's global allocator: jemalloc, plus a count of the bytes every
//! allocation really takes (its jemalloc size class, what `malloc_usable_size` would say), kept
//! in a few cache-line-padded counters so threads do not share one hot line. [`used`] sums them:
//! exact at every moment, cheap enough to read before each command (maxmemory), and the same
//! measure Redis's `zmalloc_used_memory()` gives (the allocator's usable sizes of live blocks).
//! INFO memory shows it as `used_memory`, next to jemalloc's own statistics.
//!
//! In a process that does not install [`Counting`] (the library's unit tests) [`used`] is 0.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering::Relaxed};

/// jemalloc with byte counting; `#[global_allocator]` in the server binary.
pub struct Counting;

const STRIPES: usize = 16;

#[repr(align(128))]
struct Stripe(AtomicI64);

static COUNTS: [Stripe; STRIPES] = [const { Stripe(AtomicI64::new(0)) }; STRIPES];
static NEXT_STRIPE: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    // Const-initialised and without a destructor, so reading it never allocates and works
    // inside the allocator at any point of a thread's life.
    static MY_STRIPE: Cell<usize> = const { Cell::new(usize::MAX) };
}

#[inline]
fn stripe() -> &'static AtomicI64 {
    let i = MY_STRIPE
        .try_with(|c| {
            let mut i = c.get();
            if i == usize::MAX {
                i = NEXT_STRIPE.fetch_add(1, Relaxed) % STRIPES;
                c.set(i);
            }
            i
        })
        .unwrap_or(0);
    &COUNTS[i].0
}

/// The size of the allocation that holds `bytes` bytes aligned to `align`, 0 when there are
/// none (an empty `Vec` or `Box` allocates nothing): [`size_class`] otherwise.
#[inline]
pub fn alloc_size(bytes: usize, align: usize) -> usize {
    if bytes == 0 {
        0
    } else {
        size_class(bytes, align)
    }
}

/// `len` elements' bytes estimated from the first `samples` of them (`sizes` gives each one's),
/// as Redis's `objectComputeSize` samples a collection for MEMORY USAGE; 0 when there are none.
pub fn sampled(len: usize, samples: usize, sizes: impl Iterator<Item = usize>) -> usize {
    let (mut n, mut sum) = (0usize, 0usize);
    for s in sizes.take(samples.min(len)) {
        n += 1;
        sum += s;
    }
    sum.checked_div(n).map_or(0, |avg| avg * len)
}

/// The size jemalloc (5.x, 4 KiB pages, 16-byte quantum) really hands out for a request of
/// `size` bytes aligned to `align`: 8; multiples of 16 up to 128; then four classes per
/// doubling (160, 192, 224, 256, 320, ...), the same rule for small, large and huge sizes.
#[inline]
pub fn size_class(size: usize, align: usize) -> usize {
    let s = size.max(align);
    if s <= 8 {
        8
    } else if s <= 128 {
        (s + 15) & !15
    } else {
        let lg = usize::BITS - 1 - (s - 1).leading_zeros();
        let delta = 1usize << (lg - 2);
        (s + delta - 1) & !(delta - 1)
    }
}

// SAFETY: every method forwards to jemalloc's GlobalAlloc with the caller's arguments unchanged
// and only adds relaxed counter updates, so the GlobalAlloc contract is jemalloc's.
unsafe impl GlobalAlloc for Counting {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees (non-zero size).
        let p = unsafe { tikv_jemallocator::Jemalloc.alloc(layout) };
        if !p.is_null() {
            stripe().fetch_add(size_class(layout.size(), layout.align()) as i64, Relaxed);
        }
        p
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as `alloc`.
        let p = unsafe { tikv_jemallocator::Jemalloc.alloc_zeroed(layout) };
        if !p.is_null() {
            stripe().fetch_add(size_class(layout.size(), layout.align()) as i64, Relaxed);
        }
        p
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator with this layout (the caller's guarantee).
        unsafe { tikv_jemallocator::Jemalloc.dealloc(ptr, layout) };
        stripe().fetch_sub(size_class(layout.size(), layout.align()) as i64, Relaxed);
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { tikv_jemallocator::Jemalloc.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            let old = size_class(layout.size(), layout.align()) as i64;
            let new = size_class(new_size, layout.align()) as i64;
            if new != old {
                stripe().fetch_add(new - old, Relaxed);
            }
        }
        p
    }
}

/// Bytes allocated and not yet freed by the whole process (jemalloc size classes), as Redis's
/// `used_memory`. 0 when [`Counting`] is not the global allocator.
#[inline]
pub fn used() -> u64 {
    let sum: i64 = COUNTS.iter().map(|c| c.0.load(Relaxed)).sum();
    sum.max(0) as u64
}

/// jemalloc's statistics after a refresh: (allocated, active, resident, mapped, retained) bytes.
/// Costs a stats merge over every arena: for INFO and MEMORY STATS, not for each command.
pub fn allocator_stats() -> AllocatorStats {
    use tikv_jemalloc_ctl::{epoch, stats};
    let _ = epoch::advance();
    AllocatorStats {
        allocated: stats::allocated::read().unwrap_or(0) as u64,
        active: stats::active::read().unwrap_or(0) as u64,
        resident: stats::resident::read().unwrap_or(0) as u64,
        mapped: stats::mapped::read().unwrap_or(0) as u64,
        retained: stats::retained::read().unwrap_or(0) as u64,
    }
}

/// A snapshot of jemalloc's `stats.*` counters, bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct AllocatorStats {
    /// Bytes in live allocations (`stats.allocated`).
    pub allocated: u64,
    /// Bytes in active pages (`stats.active`): allocated plus the free space inside them.
    pub active: u64,
    /// Bytes in physically resident data pages (`stats.resident`).
    pub resident: u64,
    /// Bytes in mapped chunks (`stats.mapped`).
    pub mapped: u64,
    /// Bytes retained for reuse, not returned to the OS (`stats.retained`).
    pub retained: u64,
}

/// Resident set size of the process, bytes (`/proc/self/statm`), or 0 where unknown.
pub fn rss() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<u64>().ok())
        })
        .map(|pages| pages * page_size())
        .unwrap_or(0)
}

fn page_size() -> u64 {
    // SAFETY: sysconf has no memory effects.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if p > 0 {
        p as u64
    } else {
        4096
    }
}

/// Returns unused dirty pages of every jemalloc arena to the OS (MEMORY PURGE).
pub fn purge() -> Result<(), String> {
    // MALLCTL_ARENAS_ALL is 4096 in jemalloc 5. The ctl must be called with no old and no new
    // value at all (it refuses even a zero-length one), which only the raw mallctl can do.
    let name = b"arena.4096.purge\0";
    // SAFETY: a NUL-terminated name and null pointers, as "arena.<i>.purge" requires.
    let rc = unsafe {
        tikv_jemalloc_sys::mallctl(
            name.as_ptr().cast(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            0,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(format!("mallctl arena purge failed: error {rc}"))
    }
}

/// Turns jemalloc's background purge threads on or off (`jemalloc-bg-thread`, as Redis's
/// `set_jemalloc_bg_thread`); nothing when they already are. The threads return freed pages to
/// the OS (`dirty_decay_ms`) in bursts of a few milliseconds. They run at the lowest CPU
/// priority, nice 19: at normal priority, on a core shared with a serving thread, each burst
/// stalled every client for that long (LPOP of 1 KiB values: 13 stalls a second, p99 4.6 ms
/// against Redis's 2.6 ms). Now they run in the serving threads' idle time.
///
/// A thread inherits the nice value of the thread that creates it, and jemalloc creates its
/// first background thread in the thread that enables them (it starts any others itself), so a
/// short-lived thread lowers its own priority and then enables them. Errors: the mallctl's, as
/// text (jemalloc built without background threads).
pub fn set_background_purge(on: bool) -> Result<(), String> {
    use tikv_jemalloc_ctl::background_thread;
    if background_thread::read().map_err(|e| e.to_string())? == on {
        return Ok(());
    }
    if !on {
        return background_thread::write(false).map_err(|e| e.to_string());
    }
    let starter = std::thread::Builder::new()
        .name("purge-starter".into())
        .spawn(|| {
            if let Err(e) = crate::persistence::save::set_thread_nice(19) {
                tracing::debug!("could not lower the purge thread's priority: {e}");
            }
            background_thread::write(true).map_err(|e| e.to_string())
        })
        .map_err(|e| e.to_string())?;
    starter
        .join()
        .map_err(|_| "the purge starter thread panicked".to_string())?
}

/// jemalloc's own statistics report (MEMORY MALLOC-STATS), as text.
pub fn malloc_stats() -> String {
    let mut out = Vec::new();
    let _ = tikv_jemalloc_ctl::stats_print::stats_print(&mut out, Default::default());
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_classes_are_jemallocs() {
        for size in (1..4096).chain([5000, 16385, 100_000, 1 << 20, (1 << 20) + 1]) {
            let layout = Layout::from_size_align(size, 8).unwrap();
            // SAFETY: a non-zero layout; the block is freed below with the same layout.
            let p = unsafe { tikv_jemallocator::Jemalloc.alloc(layout) };
            assert!(!p.is_null());
            // SAFETY: `p` is a live jemalloc allocation.
            let usable = unsafe { tikv_jemallocator::usable_size(p) };
            // SAFETY: allocated above with this layout.
            unsafe { tikv_jemallocator::Jemalloc.dealloc(p, layout) };
            assert_eq!(size_class(size, 8), usable, "size {size}");
        }
    }

    #[test]
    fn counting_tracks_alloc_realloc_free() {
        let before: i64 = COUNTS.iter().map(|c| c.0.load(Relaxed)).sum();
        let layout = Layout::from_size_align(100, 8).unwrap();
        // SAFETY: a non-zero layout, freed below after a realloc to 1000 bytes.
        unsafe {
            let p = Counting.alloc(layout);
            let q = Counting.realloc(p, layout, 1000);
            assert!(!q.is_null());
            let mid: i64 = COUNTS.iter().map(|c| c.0.load(Relaxed)).sum();
            assert_eq!(mid - before, 1024);
            Counting.dealloc(q, Layout::from_size_align(1000, 8).unwrap());
        }
        let after: i64 = COUNTS.iter().map(|c| c.0.load(Relaxed)).sum();
        assert_eq!(after, before);
    }
}
