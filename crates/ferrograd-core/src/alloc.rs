//! Fallible allocation of result buffers. Rust aborts the process when an infallible allocation
//! fails; a user asking for a 40 GB broadcast must get an error instead (Node must never abort).

use crate::error::{Error, Result};

/// A buffer of `len` copies of `value`, or a `ValueError` naming `op` if memory cannot be had.
pub(crate) fn filled(op: &'static str, len: usize, value: f32) -> Result<Vec<f32>> {
    let mut data = Vec::new();
    data.try_reserve_exact(len).map_err(|_| {
        Error::invalid(
            op,
            format!(
                "cannot allocate {len} elements ({} bytes)",
                len.saturating_mul(4)
            ),
        )
    })?;
    data.resize(len, value);
    Ok(data)
}
