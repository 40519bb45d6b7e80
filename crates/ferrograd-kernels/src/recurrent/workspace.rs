//! Recycled buffers for the sequence tapes and gradient workspaces.
//!
//! One LSTM training step of the benchmark size allocates ~40 MB of tape and workspace; fresh
//! allocations of that size are mmapped, so each step paid a page fault per 4 KiB plus a memset
//! (measured: ~12% of the step under `perf`). Buffers are handed back when a tape is dropped or a
//! backward finishes and reused for the next request of the same length, as training repeats
//! shapes.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use super::K;
use crate::error::KernelError;

/// Smaller buffers are left to the allocator, which reuses them well.
const MIN_LEN: usize = 16 * 1024;
/// Upper bound on memory held here.
const MAX_BYTES: usize = 256 << 20;

#[derive(Default)]
struct Pool {
    by_len: HashMap<usize, Vec<Vec<f32>>>,
    bytes: usize,
}

static POOL: LazyLock<Mutex<Pool>> = LazyLock::new(|| Mutex::new(Pool::default()));

/// A buffer of `n` floats with unspecified (but initialised) contents.
pub(super) fn any(n: usize) -> Result<Vec<f32>, KernelError> {
    if n >= MIN_LEN {
        let mut pool = POOL.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(buf) = pool.by_len.get_mut(&n).and_then(Vec::pop) {
            pool.bytes -= buf.capacity() * 4;
            return Ok(buf);
        }
    }
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| KernelError::Alloc {
        kernel: K,
        elements: n,
    })?;
    v.resize(n, 0.0);
    Ok(v)
}

/// A zero-filled buffer of `n` floats.
pub(super) fn zeros(n: usize) -> Result<Vec<f32>, KernelError> {
    let mut v = any(n)?;
    v.fill(0.0);
    Ok(v)
}

/// Offers a buffer that is no longer needed for reuse.
pub(super) fn recycle(buf: Vec<f32>) {
    if buf.len() < MIN_LEN {
        return;
    }
    let mut pool = POOL.lock().unwrap_or_else(|p| p.into_inner());
    let bytes = buf.capacity() * 4;
    if pool.bytes + bytes > MAX_BYTES {
        return;
    }
    pool.bytes += bytes;
    pool.by_len.entry(buf.len()).or_default().push(buf);
}
