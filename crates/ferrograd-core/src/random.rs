//! The process-wide random generator state: a seed plus a counter.
//!
//! Kernels generate element `i` of a draw from `(seed, counter + i)` alone (counter-based RNG), so a
//! seed gives the same numbers whatever the thread count; each draw advances the counter past the
//! values it consumed, like PyTorch's Philox offset.

use parking_lot::Mutex;

/// PyTorch's default seed: runs are reproducible unless the user reseeds.
const DEFAULT_SEED: u64 = 67_280_421_310_721;

static STATE: Mutex<(u64, u64)> = Mutex::new((DEFAULT_SEED, 0));

/// Reseeds the global generator (like `torch.manual_seed`).
pub fn manual_seed(seed: u64) {
    *STATE.lock() = (seed, 0);
}

/// Reserves `count` counter values and returns `(seed, first counter)`.
pub(crate) fn reserve(count: u64) -> (u64, u64) {
    let mut state = STATE.lock();
    let start = state.1;
    state.1 = state.1.wrapping_add(count);
    (state.0, start)
}

/// A new seed for a counter-based op that draws its own stream (attention dropout): derived from
/// the global seed and counter, so `manual_seed` makes such ops reproducible too.
pub fn fresh_seed() -> u64 {
    let (seed, ctr) = reserve(1);
    // SplitMix64 finaliser: nearby counters give unrelated seeds.
    let mut z = seed ^ ctr.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
