//! A minimal SIMD abstraction so every elementwise kernel and transcendental
//! is written once and instantiated per instruction set.
//!
//! A [`Simd`] value is a zero-sized *token*: it can only be obtained through
//! [`dispatch`], which checks the CPU first, so holding one proves the
//! instructions are available. Kernels are generic `#[inline(always)]` code
//! over `S: Simd`; `dispatch` calls them from inside a
//! `#[target_feature]` function, so LLVM compiles the whole inlined body with
//! AVX-512 / AVX2 enabled even though the crate targets baseline x86-64.

pub(crate) mod math;
pub(crate) mod portable;
#[cfg(target_arch = "x86_64")]
pub(crate) mod x86;

use crate::cpu::SimdLevel;

/// Vector operations on `LANES` f32 lanes (plus a lane mask type).
///
/// `max`/`min` follow x86 `maxps` semantics: `max(a, b) = if a > b { a } else { b }`,
/// so a NaN in `a` yields `b` and a NaN in `b` yields `b`. Kernels choose the
/// operand order to get PyTorch's NaN propagation.
pub(crate) trait Simd: Copy + Send + Sync + 'static {
    /// Number of f32 lanes.
    const LANES: usize;
    /// Vector of f32.
    type V: Copy;
    /// Lane mask produced by comparisons.
    type M: Copy;

    fn splat(self, x: f32) -> Self::V;
    /// # Safety
    /// `p` must be valid for reading `LANES` f32 (no alignment needed).
    unsafe fn load(self, p: *const f32) -> Self::V;
    /// # Safety
    /// `p` must be valid for writing `LANES` f32 (no alignment needed).
    unsafe fn store(self, p: *mut f32, v: Self::V);

    fn add(self, a: Self::V, b: Self::V) -> Self::V;
    fn sub(self, a: Self::V, b: Self::V) -> Self::V;
    fn mul(self, a: Self::V, b: Self::V) -> Self::V;
    fn div(self, a: Self::V, b: Self::V) -> Self::V;
    /// `a * b + c` (fused where the hardware has it).
    fn fma(self, a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    fn max(self, a: Self::V, b: Self::V) -> Self::V;
    fn min(self, a: Self::V, b: Self::V) -> Self::V;
    fn sqrt(self, a: Self::V) -> Self::V;
    fn abs(self, a: Self::V) -> Self::V;
    fn neg(self, a: Self::V) -> Self::V;
    fn floor(self, a: Self::V) -> Self::V;
    fn ceil(self, a: Self::V) -> Self::V;
    /// Round half to even (PyTorch / IEEE `roundeven`).
    fn round(self, a: Self::V) -> Self::V;
    /// Magnitude of `mag` with the sign bit of `sign`.
    fn copysign(self, mag: Self::V, sign: Self::V) -> Self::V;

    fn lt(self, a: Self::V, b: Self::V) -> Self::M;
    fn le(self, a: Self::V, b: Self::V) -> Self::M;
    fn gt(self, a: Self::V, b: Self::V) -> Self::M;
    fn ge(self, a: Self::V, b: Self::V) -> Self::M;
    fn eq(self, a: Self::V, b: Self::V) -> Self::M;
    /// Not-equal, true when either lane is NaN (IEEE `!=`).
    fn ne(self, a: Self::V, b: Self::V) -> Self::M;
    fn is_nan(self, a: Self::V) -> Self::M;
    fn mask_or(self, a: Self::M, b: Self::M) -> Self::M;
    fn any(self, m: Self::M) -> bool;
    /// `m ? a : b` per lane.
    fn select(self, m: Self::M, a: Self::V, b: Self::V) -> Self::V;

    /// `2^n` for integral-valued `n` in `[-126, 127]` (built from exponent bits).
    fn pow2i(self, n: Self::V) -> Self::V;
    /// `x * 2^n` for integral-valued `n` in `[-252, 254]`, with correct
    /// overflow to infinity and gradual underflow to subnormals.
    #[inline(always)]
    fn ldexp(self, x: Self::V, n: Self::V) -> Self::V {
        // Two steps so each power of two stays a normal float.
        let n1 = self.floor(self.mul(n, self.splat(0.5)));
        let n2 = self.sub(n, n1);
        self.mul(self.mul(x, self.pow2i(n1)), self.pow2i(n2))
    }
    /// For positive normal `x = m * 2^e` with `m` in `[1, 2)`: returns `(m, e)`.
    fn frexp(self, x: Self::V) -> (Self::V, Self::V);

    fn reduce_add(self, v: Self::V) -> f32;
    /// Horizontal maximum (NaN lanes must have been handled by the caller).
    fn reduce_max(self, v: Self::V) -> f32;
    /// Horizontal minimum (NaN lanes must have been handled by the caller).
    fn reduce_min(self, v: Self::V) -> f32;
}

/// Generic kernel body: `run` is instantiated once per instruction set.
pub(crate) trait Kernel {
    type Output;
    fn run<S: Simd>(self, s: S) -> Self::Output;
}

/// Runs `k` with the best implementation of `level` (falls back to the
/// portable 1-lane scalar version when `level` is not supported by the CPU,
/// so callers can never execute unsupported instructions).
#[inline]
pub(crate) fn dispatch<K: Kernel>(level: SimdLevel, k: K) -> K::Output {
    match level {
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx512 if crate::cpu::supported(SimdLevel::Avx512) => {
            // SAFETY: the CPU supports AVX-512F, AVX2 and FMA (checked above).
            unsafe { x86::run_avx512(k) }
        }
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx2Fma if crate::cpu::supported(SimdLevel::Avx2Fma) => {
            // SAFETY: the CPU supports AVX2 and FMA (checked above).
            unsafe { x86::run_avx2(k) }
        }
        SimdLevel::Neon => k.run(portable::Lanes4),
        _ => k.run(portable::Scalar1),
    }
}

/// `[e(0), …, e(N-1)]` for vectors, as a plain loop. `std::array::from_fn`
/// takes a closure that LLVM may decline to inline; an out-of-line closure
/// would be compiled *without* the caller's `#[target_feature]`s and turn
/// every intrinsic into a call.
macro_rules! arr {
    ($s:expr, $n:expr, |$t:ident| $e:expr) => {{
        let mut a = [$s.splat(0.0); $n];
        for ($t, slot) in a.iter_mut().enumerate() {
            *slot = $e;
        }
        a
    }};
}
pub(crate) use arr;
