//! Per-thread scratch buffers for kernels that need temporary storage (im2col
//! columns, the middle pass of separable resampling), plus error collection for
//! tasks running on the pool.
//!
//! Reused rather than allocated per call: a fresh multi-MiB buffer costs a page
//! fault per 4 KiB, comparable to a small convolution. Allocation is fallible,
//! so an impossible request becomes [`KernelError::Alloc`] instead of an abort.

use std::cell::Cell;
use std::sync::Mutex;

use crate::error::KernelError;

/// Buffers larger than this (in floats, 32 MiB) are freed after use instead of
/// being kept for the next call, so one huge call does not pin memory forever.
const RETAIN_MAX: usize = 1 << 23;

thread_local! {
    static SCRATCH: Cell<Vec<f32>> = const { Cell::new(Vec::new()) };
}

/// Runs `f` with a scratch slice of exactly `len` floats (contents unspecified).
///
/// `take` leaves an empty buffer behind, so a nested call on the same thread
/// (rayon may run another task while this one waits) allocates its own.
pub(crate) fn with_scratch<R>(
    kernel: &'static str,
    len: usize,
    f: impl FnOnce(&mut [f32]) -> R,
) -> Result<R, KernelError> {
    let mut buf = SCRATCH.with(Cell::take);
    if buf.len() < len {
        let more = len - buf.len();
        buf.try_reserve_exact(more)
            .map_err(|_| KernelError::Alloc {
                kernel,
                elements: len,
            })?;
        buf.resize(len, 0.0);
    }
    let out = f(&mut buf[..len]);
    if buf.len() <= RETAIN_MAX {
        SCRATCH.with(|c| c.set(buf));
    }
    Ok(out)
}

/// The first error reported by any of a set of parallel tasks.
pub(crate) struct FirstError(Mutex<Option<KernelError>>);

impl FirstError {
    pub(crate) fn new() -> Self {
        FirstError(Mutex::new(None))
    }

    /// Keeps `result`'s error if it is the first one.
    pub(crate) fn record(&self, result: Result<(), KernelError>) {
        if let Err(e) = result {
            let mut slot = self.0.lock().unwrap_or_else(|p| p.into_inner());
            slot.get_or_insert(e);
        }
    }

    /// True once some task failed (later tasks may skip their work).
    pub(crate) fn failed(&self) -> bool {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).is_some()
    }

    pub(crate) fn into_result(self) -> Result<(), KernelError> {
        match self.0.into_inner().unwrap_or_else(|p| p.into_inner()) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}
