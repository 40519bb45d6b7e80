//! Counter-based random numbers (Philox4x32-10, Salmon et al., SC'11).
//!
//! Element `i` of a fill gets a value that depends only on `(seed, offset + i)`:
//! element `e` uses 32-bit word `e % 4` of the Philox block with counter
//! `e / 4`. There is no sequential state, so chunks can be generated in any
//! order on any number of threads and the output is bit-identical; `offset`
//! lets callers continue a stream without reusing numbers.

use crate::pool::parallel_chunks_mut;

const M0: u32 = 0xD251_1F53;
const M1: u32 = 0xCD9E_8D57;
const W0: u32 = 0x9E37_79B9;
const W1: u32 = 0xBB67_AE85;

/// Elements per task before a fill is split across threads (Box–Muller costs
/// a log + sin/cos per pair, so the split pays off early).
const PAR_MIN: usize = 16 * 1024;

#[inline(always)]
fn mulhilo(a: u32, b: u32) -> (u32, u32) {
    let p = u64::from(a) * u64::from(b);
    ((p >> 32) as u32, p as u32)
}

/// The Philox4x32-10 bijection of block counter `ctr` under key `seed`.
#[inline]
pub(crate) fn philox(seed: u64, ctr: u64) -> [u32; 4] {
    let mut k = [seed as u32, (seed >> 32) as u32];
    let mut c = [ctr as u32, (ctr >> 32) as u32, 0, 0];
    for _ in 0..10 {
        let (hi0, lo0) = mulhilo(M0, c[0]);
        let (hi1, lo1) = mulhilo(M1, c[2]);
        c = [hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0];
        k[0] = k[0].wrapping_add(W0);
        k[1] = k[1].wrapping_add(W1);
    }
    c
}

/// Uniform in `[0, 1)` from the top 24 bits (every value exactly representable).
#[inline(always)]
fn unit(x: u32) -> f32 {
    (x >> 8) as f32 * (1.0 / 16_777_216.0)
}

/// Uniform in `(0, 1]`, safe to take the log of.
#[inline(always)]
fn unit_open0(x: u32) -> f32 {
    ((x >> 8) + 1) as f32 * (1.0 / 16_777_216.0)
}

/// Calls `f(k, block)` for every element `k` of `out` (absolute index
/// `first + k`), generating each Philox block once.
#[inline]
fn for_blocks(
    out: &mut [f32],
    seed: u64,
    first: u64,
    mut f: impl FnMut(&mut f32, usize, &[u32; 4]),
) {
    let mut cached = u64::MAX;
    let mut block = [0u32; 4];
    for (k, slot) in out.iter_mut().enumerate() {
        let e = first.wrapping_add(k as u64);
        let b = e / 4;
        if b != cached {
            block = philox(seed, b);
            cached = b;
        }
        f(slot, (e % 4) as usize, &block);
    }
}

/// Fills `out` with uniform samples in `[low, high)`.
///
/// `out[i]` depends only on `(seed, offset + i)`, so the result is identical
/// for any thread count or chunking.
pub fn fill_uniform(out: &mut [f32], seed: u64, offset: u64, low: f32, high: f32) {
    let span = high - low;
    parallel_chunks_mut(out, PAR_MIN, |start, chunk| {
        for_blocks(
            chunk,
            seed,
            offset.wrapping_add(start as u64),
            |slot, w, blk| {
                let v = low + span * unit(blk[w]);
                // Rounding of `low + span*u` can land on `high`; keep the range half-open.
                *slot = if v >= high && high > low {
                    high.next_down()
                } else {
                    v
                };
            },
        );
    });
}

/// Fills `out` with normal samples `N(mean, std²)` (Box–Muller).
///
/// Element `e` belongs to the pair `e / 2`, whose two uniforms are words
/// `2*(pair % 2)` and `+1` of block `e / 4`; even elements take the cosine
/// branch, odd ones the sine branch. Identical output for any thread count.
pub fn fill_normal(out: &mut [f32], seed: u64, offset: u64, mean: f32, std: f32) {
    parallel_chunks_mut(out, PAR_MIN, |start, chunk| {
        for_blocks(
            chunk,
            seed,
            offset.wrapping_add(start as u64),
            |slot, w, blk| {
                let pair = w & 2;
                // f64 keeps the transform accurate in the tails (tiny u1).
                let u1 = f64::from(unit_open0(blk[pair]));
                let u2 = f64::from(unit(blk[pair + 1]));
                let r = (-2.0 * u1.ln()).sqrt();
                let theta = std::f64::consts::TAU * u2;
                let z = if w & 1 == 0 {
                    r * theta.cos()
                } else {
                    r * theta.sin()
                };
                *slot = mean + std * z as f32;
            },
        );
    });
}
