//! Validation and simplification of strided views, and a row walker.
//!
//! Views are `(offset, strides)` over a shared `shape`; the output is always
//! contiguous. Before iterating we drop size-1 dims and merge dims that are
//! contiguous with each other in *every* operand, so e.g. a contiguous tensor
//! becomes one long row and `[B, C, H, W] + [1, C, 1, 1]` becomes 3 dims.

use crate::error::KernelError;

/// Checks ranks and bounds of one view and returns nothing on success.
pub(crate) fn check_view(
    kernel: &'static str,
    shape: &[usize],
    len: usize,
    offset: usize,
    strides: &[usize],
) -> Result<(), KernelError> {
    if strides.len() != shape.len() {
        return Err(KernelError::RankMismatch {
            kernel,
            expected: shape.len(),
            got: strides.len(),
        });
    }
    if shape.contains(&0) {
        return Ok(());
    }
    let mut last = offset;
    for (&n, &st) in shape.iter().zip(strides) {
        last = (n - 1)
            .checked_mul(st)
            .and_then(|x| x.checked_add(last))
            .ok_or(KernelError::Overflow { kernel })?;
    }
    if last >= len {
        return Err(KernelError::OutOfBounds {
            kernel,
            needed: last.saturating_add(1),
            got: len,
        });
    }
    Ok(())
}

/// Number of elements of `shape`, with overflow checking.
pub(crate) fn numel(kernel: &'static str, shape: &[usize]) -> Result<usize, KernelError> {
    shape
        .iter()
        .try_fold(1usize, |acc, &n| acc.checked_mul(n))
        .ok_or(KernelError::Overflow { kernel })
}

/// A simplified iteration space for `K` strided operands and a contiguous output.
#[derive(Debug, Clone)]
pub(crate) struct Walk<const K: usize> {
    /// Outer dims (everything but the innermost), outermost first.
    pub outer_shape: Vec<usize>,
    pub outer_strides: Vec<[usize; K]>,
    /// Length of the innermost dim (one output row).
    pub inner: usize,
    pub inner_strides: [usize; K],
    pub offsets: [usize; K],
}

impl<const K: usize> Walk<K> {
    /// Builds the walk; `strides[k]` is operand k's strides (already validated).
    pub(crate) fn new(shape: &[usize], offsets: [usize; K], strides: [&[usize]; K]) -> Self {
        let mut dims: Vec<(usize, [usize; K])> = Vec::with_capacity(shape.len());
        for (d, &n) in shape.iter().enumerate() {
            if n == 1 {
                continue;
            }
            let st: [usize; K] = std::array::from_fn(|k| strides[k][d]);
            if let Some(prev) = dims.last_mut() {
                // Mergeable if stepping the outer dim equals n steps of this one.
                if (0..K).all(|k| prev.1[k] == st[k].wrapping_mul(n)) {
                    prev.0 *= n;
                    prev.1 = st;
                    continue;
                }
            }
            dims.push((n, st));
        }
        let (inner, inner_strides) = dims.pop().unwrap_or((1, [0; K]));
        Walk {
            outer_shape: dims.iter().map(|d| d.0).collect(),
            outer_strides: dims.iter().map(|d| d.1).collect(),
            inner,
            inner_strides,
            offsets,
        }
    }

    /// Calls `f(row_offsets, row_index)` for rows `r0..r1` in order,
    /// updating offsets incrementally (no per-row division).
    #[inline]
    pub(crate) fn for_rows(&self, r0: usize, r1: usize, mut f: impl FnMut([usize; K], usize)) {
        if r0 >= r1 {
            return;
        }
        let nd = self.outer_shape.len();
        let mut idx = vec![0usize; nd];
        let mut offs = self.offsets;
        let mut rem = r0;
        for d in (0..nd).rev() {
            let n = self.outer_shape[d];
            idx[d] = rem % n;
            rem /= n;
            for (k, o) in offs.iter_mut().enumerate() {
                *o += idx[d] * self.outer_strides[d][k];
            }
        }
        for r in r0..r1 {
            f(offs, r);
            // Odometer increment, innermost outer dim first.
            for d in (0..nd).rev() {
                idx[d] += 1;
                if idx[d] < self.outer_shape[d] {
                    for (k, o) in offs.iter_mut().enumerate() {
                        *o += self.outer_strides[d][k];
                    }
                    break;
                }
                for (k, o) in offs.iter_mut().enumerate() {
                    *o -= (self.outer_shape[d] - 1) * self.outer_strides[d][k];
                }
                idx[d] = 0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coalesces_contiguous_and_broadcast() {
        let w = Walk::<2>::new(&[2, 3, 4], [0, 5], [&[12, 4, 1], &[0, 0, 0]]);
        assert!(w.outer_shape.is_empty());
        assert_eq!((w.inner, w.inner_strides), (24, [1, 0]));
        // Channel broadcast: [B, C, HW] with b = [0, 1, 0] keeps 3 dims -> 2 outer.
        let w = Walk::<2>::new(&[2, 3, 5], [0, 0], [&[15, 5, 1], &[0, 1, 0]]);
        assert_eq!(w.outer_shape, vec![2, 3]);
        assert_eq!((w.inner, w.inner_strides), (5, [1, 0]));
        let mut seen = Vec::new();
        w.for_rows(1, 5, |o, r| seen.push((r, o)));
        assert_eq!(
            seen,
            vec![(1, [5, 1]), (2, [10, 2]), (3, [15, 0]), (4, [20, 1])]
        );
    }

    #[test]
    fn validates_bounds() {
        assert!(check_view("t", &[2, 3], 6, 0, &[3, 1]).is_ok());
        assert!(check_view("t", &[2, 3], 5, 0, &[3, 1]).is_err());
        assert!(check_view("t", &[2, 3], 6, 1, &[3, 1]).is_err());
        assert!(check_view("t", &[0, 3], 0, 100, &[3, 1]).is_ok());
        assert!(check_view("t", &[2], 6, 0, &[3, 1]).is_err());
        assert!(check_view("t", &[2, 2], 10, 0, &[usize::MAX, 1]).is_err());
    }
}
