//! The one process-wide thread pool used by every kernel.
//!
//! We deliberately do not use rayon's global pool: the global pool cannot be
//! resized after first use, and an embedding application (Node.js) wants to
//! change the thread count at run time. Instead a private pool lives behind an
//! `RwLock<Arc<..>>`; `set_num_threads` swaps in a new pool, and callers that
//! are still running on the old one keep their `Arc` until they finish, so
//! replacing the pool is safe from any thread at any time.

use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use rayon::prelude::*;
use rayon::ThreadPool;

use crate::error::KernelError;

/// Current pool. `None` until first use (lazy, so merely loading the library
/// spawns no threads) or if building a pool failed (then work runs inline).
static POOL: RwLock<Option<Arc<ThreadPool>>> = RwLock::new(None);
/// Largest accepted thread count. Compute kernels gain nothing from
/// oversubscription, and an unchecked value (e.g. `-1` wrapped to `u32::MAX`
/// by a binding) would otherwise make rayon try to spawn billions of threads.
pub const MAX_THREADS: usize = 1024;

/// Requested thread count; 0 means "not chosen yet, use the hardware default".
static THREADS: AtomicUsize = AtomicUsize::new(0);

fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// Number of threads kernels may use (default: `std::thread::available_parallelism()`).
pub fn num_threads() -> usize {
    match THREADS.load(Ordering::Relaxed) {
        0 => {
            // `available_parallelism` reads cgroup files on Linux (~24 µs measured), and every
            // kernel call asks: resolve the default once. A concurrent `set_num_threads` wins.
            let _ = THREADS.compare_exchange(
                0,
                default_threads(),
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
            THREADS.load(Ordering::Relaxed)
        }
        n => n,
    }
}

fn build_pool(n: usize) -> Option<Arc<ThreadPool>> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .thread_name(|i| format!("ferrograd-{i}"))
        .build()
        .ok()
        .map(Arc::new)
}

/// Sets the number of worker threads and rebuilds the pool.
///
/// `n` must be in `1..=MAX_THREADS` ([`KernelError::InvalidThreads`]
/// otherwise). Safe to call at any time from any thread: work already running
/// on the old pool finishes there; new work goes to the new pool.
pub fn set_num_threads(n: usize) -> Result<(), KernelError> {
    if n == 0 || n > MAX_THREADS {
        return Err(KernelError::InvalidThreads(n));
    }
    let pool = build_pool(n);
    let mut guard = POOL.write().unwrap_or_else(|e| e.into_inner());
    THREADS.store(n, Ordering::Relaxed);
    // Dropping the old Arc here only frees the pool once no caller holds it.
    *guard = pool;
    Ok(())
}

/// Returns the current pool, creating it on first use.
fn pool() -> Option<Arc<ThreadPool>> {
    {
        let guard = POOL.read().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = guard.as_ref() {
            return Some(Arc::clone(p));
        }
    }
    let mut guard = POOL.write().unwrap_or_else(|e| e.into_inner());
    if guard.is_none() {
        *guard = build_pool(num_threads());
    }
    guard.as_ref().map(Arc::clone)
}

/// Runs `f` inside the kernel pool, so any rayon parallelism inside it uses
/// that pool. If the caller already is a worker of the pool, `f` runs directly
/// (no re-entry, no deadlock).
pub fn install<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    match pool() {
        Some(p) if p.current_thread_index().is_some() => f(),
        Some(p) => p.install(f),
        None => f(),
    }
}

/// Number of chunks `parallel_for` would use for `len` items.
fn chunk_count(len: usize, min_chunk: usize) -> usize {
    let min_chunk = min_chunk.max(1);
    let threads = num_threads();
    if threads <= 1 || len < min_chunk.saturating_mul(2) {
        1
    } else {
        threads.min(len / min_chunk).max(1)
    }
}

/// Chunk length for `chunks` roughly equal pieces, rounded up to a multiple
/// of 64 so every chunk but the last starts on a cache-line/SIMD boundary.
fn chunk_len(len: usize, chunks: usize) -> usize {
    let per = len.div_ceil(chunks.max(1));
    per.div_ceil(64).saturating_mul(64).max(1)
}

/// Splits `0..len` into about `num_threads()` ranges of at least `min_chunk`
/// items and runs `f` on them in the pool.
///
/// Runs inline on the caller when `len < 2 * min_chunk` or only one thread is
/// configured: for small tensors the fork/join cost (a few µs) exceeds the work.
pub fn parallel_for(len: usize, min_chunk: usize, f: impl Fn(Range<usize>) + Sync + Send) {
    if len == 0 {
        return;
    }
    let chunks = chunk_count(len, min_chunk);
    if chunks <= 1 {
        f(0..len);
        return;
    }
    let step = chunk_len(len, chunks);
    install(|| {
        (0..len.div_ceil(step))
            .into_par_iter()
            .for_each(|c| f(c * step..((c + 1) * step).min(len)));
    });
}

/// Like [`parallel_for`] but hands each task a disjoint mutable chunk of
/// `out` (and its start offset), so kernels can write results without `unsafe`.
pub(crate) fn parallel_chunks_mut<T: Send>(
    out: &mut [T],
    min_chunk: usize,
    f: impl Fn(usize, &mut [T]) + Sync + Send,
) {
    let len = out.len();
    if len == 0 {
        return;
    }
    let chunks = chunk_count(len, min_chunk);
    if chunks <= 1 {
        f(0, out);
        return;
    }
    let step = chunk_len(len, chunks);
    install(|| {
        out.par_chunks_mut(step)
            .enumerate()
            .for_each(|(c, chunk)| f(c * step, chunk));
    });
}

/// Like [`parallel_chunks_mut`] but splits `out` into whole rows of `row_len`
/// items: tasks receive the first row index and a slice holding whole rows.
/// `min_rows` plays the role of `min_chunk`.
pub(crate) fn parallel_rows_mut<T: Send>(
    out: &mut [T],
    row_len: usize,
    min_rows: usize,
    f: impl Fn(usize, &mut [T]) + Sync + Send,
) {
    if row_len == 0 || out.is_empty() {
        return;
    }
    let rows = out.len() / row_len;
    let chunks = chunk_count(rows, min_rows);
    if chunks <= 1 {
        f(0, out);
        return;
    }
    let step = rows.div_ceil(chunks);
    install(|| {
        out.par_chunks_mut(step * row_len)
            .enumerate()
            .for_each(|(c, chunk)| f(c * step, chunk));
    });
}

/// Like [`parallel_rows_mut`] for two outputs with the same row structure
/// (`a` and `b` both hold whole rows of `row_len` items, the same count).
pub(crate) fn parallel_rows2_mut<A: Send, B: Send>(
    a: &mut [A],
    b: &mut [B],
    row_len: usize,
    min_rows: usize,
    f: impl Fn(usize, &mut [A], &mut [B]) + Sync + Send,
) {
    if row_len == 0 || a.is_empty() || a.len() != b.len() {
        return;
    }
    let rows = a.len() / row_len;
    let chunks = chunk_count(rows, min_rows);
    if chunks <= 1 {
        f(0, a, b);
        return;
    }
    let step = rows.div_ceil(chunks);
    install(|| {
        a.par_chunks_mut(step * row_len)
            .zip(b.par_chunks_mut(step * row_len))
            .enumerate()
            .for_each(|(c, (ca, cb))| f(c * step, ca, cb));
    });
}
