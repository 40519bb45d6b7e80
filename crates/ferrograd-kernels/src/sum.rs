//! Accurate vectorized summation building blocks (shared by reductions and
//! softmax).
//!
//! Plain left-to-right f32 summation has error growing like O(n·ε): summing
//! 1e6 values can lose 4 digits. We use *cascade (pairwise) summation*:
//! blocks are summed with several vector accumulators, and block sums are
//! merged in a binary tree driven by a binary counter (no recursion, so it
//! inlines into the `#[target_feature]` kernels). The error is
//! O((block/lanes + log2 n)·ε) while running at full SIMD speed.

use crate::simd::{math, Simd};

/// Elements per leaf block of a contiguous sum.
pub(crate) const ROW_BLOCK: usize = 1024;
/// Rows per leaf block of a column (strided) sum.
pub(crate) const COL_BLOCK: usize = 32;
/// Maximum cascade depth (2^48 blocks is more than any addressable input).
const DEPTH: usize = 48;

/// Binary-counter pairwise accumulator of `T`-wide vector partial sums.
pub(crate) struct Cascade<S: Simd, const T: usize> {
    stack: [[S::V; T]; DEPTH],
    len: usize,
    count: usize,
}

impl<S: Simd, const T: usize> Cascade<S, T> {
    #[inline(always)]
    pub(crate) fn new(s: S) -> Self {
        Cascade {
            stack: [[s.splat(0.0); T]; DEPTH],
            len: 0,
            count: 0,
        }
    }

    /// Adds the sum of the next block; merges equal-sized subtrees.
    #[inline(always)]
    pub(crate) fn push(&mut self, s: S, mut v: [S::V; T]) {
        self.count += 1;
        let mut merges = self.count.trailing_zeros();
        while merges > 0 && self.len > 0 {
            self.len -= 1;
            let top = self.stack[self.len];
            for t in 0..T {
                v[t] = s.add(top[t], v[t]);
            }
            merges -= 1;
        }
        if self.len < DEPTH {
            self.stack[self.len] = v;
            self.len += 1;
        }
    }

    /// Sum of everything pushed.
    #[inline(always)]
    pub(crate) fn finish(&self, s: S) -> [S::V; T] {
        let mut acc = [s.splat(0.0); T];
        for level in self.stack[..self.len].iter().rev() {
            for t in 0..T {
                acc[t] = s.add(level[t], acc[t]);
            }
        }
        acc
    }
}

/// What to sum: the values themselves or `exp(x - shift)` (log-sum-exp, softmax).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Term {
    Value,
    ExpShift(f32),
}

/// Pairwise sum of `term(x[i])` over a contiguous slice.
#[inline(always)]
pub(crate) fn row_sum<S: Simd>(s: S, x: &[f32], term: Term) -> f32 {
    match term {
        Term::Value => row_sum_map(
            s,
            x,
            0.0,
            #[inline(always)]
            |v| v,
        ),
        Term::ExpShift(m) => {
            let mv = s.splat(m);
            // Padding with -inf makes exp(pad - m) = 0 in the tail vector.
            row_sum_map(
                s,
                x,
                f32::NEG_INFINITY,
                #[inline(always)]
                |v| math::exp(s, s.sub(v, mv)),
            )
        }
    }
}

/// Pairwise sum of `f(x)`; tail lanes are padded with `pad` where `f(pad) == 0`.
#[inline(always)]
fn row_sum_map<S: Simd>(s: S, x: &[f32], pad: f32, f: impl Fn(S::V) -> S::V) -> f32 {
    let l = S::LANES;
    let mut cascade = Cascade::<S, 1>::new(s);
    for block in x.chunks(ROW_BLOCK) {
        let mut acc = [s.splat(0.0); 4];
        let mut i = 0;
        let n = block.len();
        while i + 4 * l <= n {
            for (k, a) in acc.iter_mut().enumerate() {
                // SAFETY: i + 4*LANES <= n.
                let v = unsafe { s.load(block.as_ptr().add(i + k * l)) };
                *a = s.add(*a, f(v));
            }
            i += 4 * l;
        }
        while i + l <= n {
            // SAFETY: i + LANES <= n.
            let v = unsafe { s.load(block.as_ptr().add(i)) };
            acc[0] = s.add(acc[0], f(v));
            i += l;
        }
        if i < n {
            let mut buf = [pad; 16];
            buf[..n - i].copy_from_slice(&block[i..]);
            // SAFETY: buf holds 16 >= LANES floats.
            let v = unsafe { s.load(buf.as_ptr()) };
            acc[1] = s.add(acc[1], f(v));
        }
        let v = s.add(s.add(acc[0], acc[1]), s.add(acc[2], acc[3]));
        cascade.push(s, [v]);
    }
    s.reduce_add(cascade.finish(s)[0])
}

/// Loads `T` vectors of columns `c..` of row `r` from a `[rows, inner]` slab,
/// padding columns at or beyond `cols_end` with `pad`.
#[inline(always)]
pub(crate) fn load_cols<S: Simd, const T: usize>(
    s: S,
    x: &[f32],
    inner: usize,
    r: usize,
    c: usize,
    cols_end: usize,
    pad: f32,
) -> [S::V; T] {
    let l = S::LANES;
    let base = r * inner + c;
    // The second condition is implied by the callers' shapes, but checking
    // it keeps this safe function sound for any arguments.
    if c + T * l <= cols_end && base + T * l <= x.len() {
        // SAFETY: base + T*LANES <= x.len() (checked above).
        crate::simd::arr!(s, T, |t| unsafe { s.load(x.as_ptr().add(base + t * l)) })
    } else {
        crate::simd::arr!(s, T, |t| {
            let mut buf = [pad; 16];
            let start = c + t * l;
            if start < cols_end {
                let n = (cols_end - start).min(l);
                buf[..n].copy_from_slice(&x[r * inner + start..r * inner + start + n]);
            }
            // SAFETY: buf holds 16 >= LANES floats.
            unsafe { s.load(buf.as_ptr()) }
        })
    }
}

/// Column sums of `term(x[r, c..c+T*LANES])` over rows `0..rows` of a
/// `[rows, inner]` slab, pairwise over rows. `shift` holds the per-column
/// shifts for [`Term::ExpShift`] (ignored for `Term::Value`).
#[inline(always)]
pub(crate) fn col_sum<S: Simd, const T: usize>(
    s: S,
    x: &[f32],
    rows: usize,
    inner: usize,
    c: usize,
    cols_end: usize,
    shift: Option<[S::V; T]>,
) -> [S::V; T] {
    let mut cascade = Cascade::<S, T>::new(s);
    let mut r = 0;
    while r < rows {
        let end = (r + COL_BLOCK).min(rows);
        let mut acc = [s.splat(0.0); T];
        while r < end {
            let v = load_cols::<S, T>(s, x, inner, r, c, cols_end, 0.0);
            for t in 0..T {
                let term = match shift {
                    Some(m) => math::exp(s, s.sub(v[t], m[t])),
                    None => v[t],
                };
                acc[t] = s.add(acc[t], term);
            }
            r += 1;
        }
        cascade.push(s, acc);
    }
    cascade.finish(s)
}
