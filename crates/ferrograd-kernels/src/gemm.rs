//! Single-precision GEMM: `C[m×n] (+)= A[m×k] · B[k×n]`.
//!
//! # Decision: own packed AVX-512 micro-kernel (no GEMM crate)
//!
//! Measured with `examples/gemm_bench.rs` (and a throwaway harness for the
//! crates) on the 2-vCPU AMD EPYC (Zen 5) VM, f32, row-major, release+LTO,
//! runtime dispatch (no `target-cpu=native`). Register-loop FMA peak
//! (`measure_peak_gflops`): ~255 GFLOP/s on 1 thread; on 2 threads either
//! ~255 (the two vCPUs behave like SMT siblings of one core) or ~510 (two
//! real cores) — the host switches between these states over minutes.
//!
//! | 1 thread, GFLOP/s | 256³ | 512³ | 1024³ | 2048³ |
//! |-------------------|------|------|-------|-------|
//! | this crate        | 228–237 | 225–238 | 221–230 (87–91% of peak) | 207–227 (81–87%) |
//! | `gemm` 0.19 (x86-v4) | 218–224 | 237–238 | 167–221 | 206–230 |
//! | `matrixmultiply` 0.3 | 196–202 | 193–207 | 186–191 | 156–181 |
//!
//! 2 threads, 1024³: 425–473 GFLOP/s = 85–90% of a ~505 peak (two-core state);
//! 206–225 GFLOP/s = 80–88% of a 255 peak (SMT state), where `gemm` 0.19 got
//! 209–230. `matrixmultiply` threads through its own thread-tree pool (a
//! second pool, against the one-pool rule) and is 15–25% slower anyway.
//! `gemm` 0.19 builds on stable with `x86-v4` and is as fast, but pulls in ~10
//! crates and its results depend on how it splits work. The own kernel
//! matches it, needs no dependency, runs on our pool, and gives bit-identical
//! results for every thread count (each C element always receives the same
//! FMA sequence).
//!
//! # Design
//!
//! * `kernel.rs`: 14×32 register tile (28 zmm accumulators, 2 B loads +
//!   14 broadcasts per k step); 6×16 with AVX2, 6×16 on NEON-width lanes,
//!   4×4 scalar. Same generic code, instantiated per instruction set.
//! * `pack.rs`: A packed in row panels (plain row copies for row-major A,
//!   the common case), B in k×32 column panels; edges zero-padded.
//! * `driver.rs`: Goto/BLIS blocking KC=512, MC=168, NC=1024 (see the
//!   constants for the measurements behind them).
//! * Threads: problems ≥ 256³ multiply-adds are split into one contiguous
//!   block of rows (or columns) per thread, each packing its own panels.
//!   Sharing one packed B between the threads (packed cooperatively, no
//!   duplicate work) was measured slower: 76–81% vs 82–85% of peak at 1024³,
//!   54% vs 73% at 256³, since each core then reads half of B from the other
//!   core's cache instead of its own L2.
//! * `gemv.rs`: `m == 1` / `n == 1` stream the matrix once (no packing).

mod driver;
mod gemv;
mod kernel;
mod pack;

use std::cell::Cell;

use rayon::prelude::*;

use crate::cpu::{simd_level, SimdLevel};
use crate::error::KernelError;
use crate::pool::{install, num_threads};
use crate::simd::dispatch;
use driver::{tile_dims, GemmArgs, GemmSerial, KC, MC, MR_MAX, NC, NR_MAX};
use pack::MatRef;

/// Below this many multiply-adds (`m·n·k`) a GEMM runs on one thread.
/// 256³ MACs take ~75 µs on one Zen 5 core; a fork/join costs ~15–20 µs on
/// this VM, and each thread packs its own copy of one operand, so smaller
/// products are faster single-threaded (measured: 128³ on 2 threads ran at
/// 60% of the 1-thread speed).
const PAR_WORK: usize = 256 * 256 * 256;

/// Checks that a strided `rows × cols` matrix starting at `start` fits in `len`.
fn check_matrix(
    kernel: &'static str,
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
    start: usize,
    len: usize,
) -> Result<(), KernelError> {
    if rows == 0 || cols == 0 {
        return Ok(());
    }
    let last = (rows - 1)
        .checked_mul(rs)
        .and_then(|x| (cols - 1).checked_mul(cs).and_then(|y| x.checked_add(y)))
        .and_then(|x| x.checked_add(start))
        .ok_or(KernelError::Overflow { kernel })?;
    if last >= len {
        return Err(KernelError::OutOfBounds {
            kernel,
            needed: last.saturating_add(1),
            got: len,
        });
    }
    Ok(())
}

/// C must hold `m` non-overlapping rows of `n` elements with stride `c_rs`.
fn check_c(
    kernel: &'static str,
    m: usize,
    n: usize,
    c_rs: usize,
    len: usize,
) -> Result<(), KernelError> {
    if m > 1 && c_rs < n {
        return Err(KernelError::BadLength {
            kernel,
            expected: n,
            got: c_rs,
        });
    }
    check_matrix(kernel, m, n, c_rs, 1, 0, len)
}

/// `C = A·B` (or `C += A·B` when `accumulate`) for f32 matrices.
///
/// `A` is `m×k` with element `(i, p)` at `a[i*a_rs + p*a_cs]`; `B` is `k×n`
/// with `(p, j)` at `b[p*b_rs + j*b_cs]`: any non-negative strides, so
/// transposed views need no copy. `C` is row-major: `(i, j)` at `c[i*c_rs + j]`
/// with `c_rs >= n` (rows must not overlap). Results are bit-identical for
/// any thread count.
#[allow(clippy::too_many_arguments)]
pub fn sgemm(
    m: usize,
    n: usize,
    k: usize,
    a: &[f32],
    a_rs: usize,
    a_cs: usize,
    b: &[f32],
    b_rs: usize,
    b_cs: usize,
    c: &mut [f32],
    c_rs: usize,
    accumulate: bool,
) -> Result<(), KernelError> {
    const K: &str = "sgemm";
    check_matrix(K, m, k, a_rs, a_cs, 0, a.len())?;
    check_matrix(K, k, n, b_rs, b_cs, 0, b.len())?;
    check_c(K, m, n, c_rs, c.len())?;
    let a = MatRef {
        data: a,
        off: 0,
        rs: a_rs,
        cs: a_cs,
    };
    let b = MatRef {
        data: b,
        off: 0,
        rs: b_rs,
        cs: b_cs,
    };
    gemm_validated(simd_level(), m, n, k, a, b, c, c_rs, accumulate, true);
    Ok(())
}

/// [`sgemm`] at an explicit SIMD level (tests cover every fallback with it).
#[cfg(test)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn sgemm_with(
    level: SimdLevel,
    m: usize,
    n: usize,
    k: usize,
    a: (&[f32], usize, usize),
    b: (&[f32], usize, usize),
    c: &mut [f32],
    c_rs: usize,
    accumulate: bool,
) -> Result<(), KernelError> {
    check_matrix("sgemm", m, k, a.1, a.2, 0, a.0.len())?;
    check_matrix("sgemm", k, n, b.1, b.2, 0, b.0.len())?;
    check_c("sgemm", m, n, c_rs, c.len())?;
    let am = MatRef {
        data: a.0,
        off: 0,
        rs: a.1,
        cs: a.2,
    };
    let bm = MatRef {
        data: b.0,
        off: 0,
        rs: b.1,
        cs: b.2,
    };
    gemm_validated(level, m, n, k, am, bm, c, c_rs, accumulate, true);
    Ok(())
}

/// A strided operand for [`sgemm_in`]: `(data, offset, row stride, column stride)`.
pub(crate) type Operand<'a> = (&'a [f32], usize, usize, usize);

/// Checked GEMM for other kernels (convolution): like [`sgemm`], but operands
/// start at an offset and `parallel` says whether this call may split across
/// the pool. Callers already running one task per thread pass `false`, so
/// threads are never oversubscribed by nested splitting.
#[allow(clippy::too_many_arguments)]
pub(crate) fn sgemm_in(
    kernel: &'static str,
    m: usize,
    n: usize,
    k: usize,
    a: Operand<'_>,
    b: Operand<'_>,
    c: &mut [f32],
    c_rs: usize,
    accumulate: bool,
    parallel: bool,
) -> Result<(), KernelError> {
    check_matrix(kernel, m, k, a.2, a.3, a.1, a.0.len())?;
    check_matrix(kernel, k, n, b.2, b.3, b.1, b.0.len())?;
    check_c(kernel, m, n, c_rs, c.len())?;
    let am = MatRef {
        data: a.0,
        off: a.1,
        rs: a.2,
        cs: a.3,
    };
    let bm = MatRef {
        data: b.0,
        off: b.1,
        rs: b.2,
        cs: b.3,
    };
    gemm_validated(simd_level(), m, n, k, am, bm, c, c_rs, accumulate, parallel);
    Ok(())
}

/// Raw C pointer shared by the threads of one GEMM.
#[derive(Clone, Copy)]
struct CPtr(*mut f32);
// SAFETY: the threads of one GEMM write disjoint row or column ranges of C,
// and the `&mut [f32]` it came from outlives the parallel section.
unsafe impl Send for CPtr {}
unsafe impl Sync for CPtr {}

impl CPtr {
    /// Method access makes closures capture the whole (Sync) wrapper rather
    /// than the raw pointer field.
    fn at(self, off: usize) -> *mut f32 {
        self.0.wrapping_add(off)
    }
}

thread_local! {
    /// Packing buffers reused across calls: a fresh multi-MiB allocation per
    /// call would cost page faults comparable to a small GEMM.
    static PACK_A: Cell<Vec<f32>> = const { Cell::new(Vec::new()) };
    static PACK_B: Cell<Vec<f32>> = const { Cell::new(Vec::new()) };
}

/// Runs one sub-problem on this thread with this thread's packing buffers.
fn run_serial(level: SimdLevel, g: GemmArgs<'_>) {
    // `take` leaves an empty Vec behind, so a re-entrant call would simply
    // allocate its own buffers instead of aliasing these.
    let mut abuf = PACK_A.with(Cell::take);
    let mut bbuf = PACK_B.with(Cell::take);
    let a_len = (MC + MR_MAX) * KC;
    let b_len = (NC.min(g.n.next_multiple_of(NR_MAX)) + NR_MAX) * KC;
    if abuf.len() < a_len {
        abuf.resize(a_len, 0.0);
    }
    if bbuf.len() < b_len {
        bbuf.resize(b_len, 0.0);
    }
    dispatch(
        level,
        GemmSerial {
            g,
            abuf: &mut abuf,
            bbuf: &mut bbuf,
        },
    );
    PACK_A.with(|c| c.set(abuf));
    PACK_B.with(|c| c.set(bbuf));
}

/// Register-tile width in floats for `level`.
fn lanes(level: SimdLevel) -> usize {
    match level {
        SimdLevel::Avx512 => 16,
        SimdLevel::Avx2Fma => 8,
        SimdLevel::Neon => 4,
        SimdLevel::Scalar => 1,
    }
}

/// GEMM on validated inputs; `parallel` allows splitting across the pool.
#[allow(clippy::too_many_arguments)]
fn gemm_validated(
    level: SimdLevel,
    m: usize,
    n: usize,
    k: usize,
    a: MatRef<'_>,
    b: MatRef<'_>,
    c: &mut [f32],
    c_rs: usize,
    accumulate: bool,
    parallel: bool,
) {
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            for i in 0..m {
                c[i * c_rs..i * c_rs + n].fill(0.0);
            }
        }
        return;
    }
    if m == 1 || n == 1 {
        gemv::gemv_path(level, m, n, k, a, b, c, c_rs, accumulate, parallel);
        return;
    }
    let cp = CPtr(c.as_mut_ptr());
    let sub = |i0: usize, i1: usize, j0: usize, j1: usize| GemmArgs {
        m: i1 - i0,
        n: j1 - j0,
        k,
        a: MatRef {
            off: a.off + i0 * a.rs,
            ..a
        },
        b: MatRef {
            off: b.off + j0 * b.cs,
            ..b
        },
        // (i0, j0) lies inside the validated C, so the offset is in bounds.
        c: cp.at(i0 * c_rs + j0),
        c_rs,
        accumulate,
        packed_b: None,
    };
    let threads = if parallel { num_threads() } else { 1 };
    let work = m.saturating_mul(n).saturating_mul(k);
    if threads <= 1 || work < PAR_WORK {
        run_serial(level, sub(0, m, 0, n));
        return;
    }
    // One contiguous part per thread, aligned to whole register tiles so no
    // extra ragged edges appear. Every thread packs its share of one operand
    // and *all* of the other, so split the dimension whose operand is more
    // expensive to pack in full (copies cost 1, transposes/gathers more).
    let (mr, nr) = tile_dims(lanes(level));
    let cost_a = if a.cs == 1 || a.rs == 1 { 1 } else { 3 };
    let cost_b = if b.cs == 1 { 1 } else { 2 };
    let t = threads;
    let split_m_cost = cost_b * n * t + cost_a * m;
    let split_n_cost = cost_a * m * t + cost_b * n;
    // On a tie split N: NR = 32 divides common sizes, so the parts come out
    // equal (MR = 14 rarely does).
    let split_n = split_n_cost <= split_m_cost;
    let (dim, align) = if split_n { (n, nr) } else { (m, mr) };
    let step = dim.div_ceil(threads).next_multiple_of(align);
    let parts = dim.div_ceil(step);
    if parts <= 1 {
        run_serial(level, sub(0, m, 0, n));
        return;
    }
    install(|| {
        (0..parts).into_par_iter().for_each(|t| {
            let (lo, hi) = (t * step, ((t + 1) * step).min(dim));
            let g = if split_n {
                sub(0, m, lo, hi)
            } else {
                sub(lo, hi, 0, n)
            };
            run_serial(level, g);
        });
    });
}

/// Batched GEMM: for each `i < batch`, `C_i (+)= A_i · B_i`, where `A_i`
/// starts at `a[a_offsets[i]]`, `B_i` at `b[b_offsets[i]]` (same strides for
/// all; equal offsets broadcast an operand), and `C_i` is the contiguous
/// `m×n` block at `c[i*m*n]`.
///
/// Small matrices are spread over the pool one GEMM per task; large ones run
/// one after another, each using all threads.
#[allow(clippy::too_many_arguments)]
pub fn sgemm_batched(
    batch: usize,
    m: usize,
    n: usize,
    k: usize,
    a: &[f32],
    a_offsets: &[usize],
    a_rs: usize,
    a_cs: usize,
    b: &[f32],
    b_offsets: &[usize],
    b_rs: usize,
    b_cs: usize,
    c: &mut [f32],
    accumulate: bool,
) -> Result<(), KernelError> {
    const K: &str = "sgemm_batched";
    for got in [a_offsets.len(), b_offsets.len()] {
        if got != batch {
            return Err(KernelError::BadLength {
                kernel: K,
                expected: batch,
                got,
            });
        }
    }
    let mn = m
        .checked_mul(n)
        .ok_or(KernelError::Overflow { kernel: K })?;
    let total = mn
        .checked_mul(batch)
        .ok_or(KernelError::Overflow { kernel: K })?;
    if c.len() != total {
        return Err(KernelError::BadLength {
            kernel: K,
            expected: total,
            got: c.len(),
        });
    }
    for (&ao, &bo) in a_offsets.iter().zip(b_offsets) {
        check_matrix(K, m, k, a_rs, a_cs, ao, a.len())?;
        check_matrix(K, k, n, b_rs, b_cs, bo, b.len())?;
    }
    if mn == 0 {
        return Ok(());
    }
    let level = simd_level();
    let one = |i: usize, ci: &mut [f32], parallel: bool| {
        let am = MatRef {
            data: a,
            off: a_offsets[i],
            rs: a_rs,
            cs: a_cs,
        };
        let bm = MatRef {
            data: b,
            off: b_offsets[i],
            rs: b_rs,
            cs: b_cs,
        };
        gemm_validated(level, m, n, k, am, bm, ci, n, accumulate, parallel);
    };
    let work = mn.saturating_mul(k);
    if work >= PAR_WORK || batch == 1 || num_threads() == 1 {
        for (i, ci) in c.chunks_mut(mn).enumerate() {
            one(i, ci, true);
        }
    } else {
        install(|| {
            c.par_chunks_mut(mn)
                .enumerate()
                .with_min_len(PAR_WORK.div_ceil(work.max(1)))
                .for_each(|(i, ci)| one(i, ci, false));
        });
    }
    Ok(())
}

/// A `k×n` B operand packed once into the micro-kernel's panel layout, for callers that multiply
/// many different A matrices by the same B (the recurrent weights, once per time step): the
/// per-call packing of B would otherwise cost as much as a small GEMM.
pub(crate) struct PackedB {
    level: SimdLevel,
    k: usize,
    n: usize,
    data: Vec<f32>,
}

impl PackedB {
    /// Packs the strided `k×n` matrix `b` for the current SIMD level.
    pub(crate) fn new(
        kernel: &'static str,
        k: usize,
        n: usize,
        b: Operand<'_>,
    ) -> Result<PackedB, KernelError> {
        check_matrix(kernel, k, n, b.2, b.3, b.1, b.0.len())?;
        let level = simd_level();
        let (_, nr) = tile_dims(lanes(level));
        let mut len = 0usize;
        for jc in (0..n).step_by(NC) {
            let nc = NC.min(n - jc);
            len = nc
                .div_ceil(nr)
                .checked_mul(nr * k)
                .and_then(|x| x.checked_add(len))
                .ok_or(KernelError::Overflow { kernel })?;
        }
        let mut data = Vec::new();
        data.try_reserve_exact(len)
            .map_err(|_| KernelError::Alloc {
                kernel,
                elements: len,
            })?;
        data.resize(len, 0.0);
        let bm = MatRef {
            data: b.0,
            off: b.1,
            rs: b.2,
            cs: b.3,
        };
        let mut off = 0;
        for jc in (0..n).step_by(NC) {
            let nc = NC.min(n - jc);
            for pc in (0..k).step_by(KC) {
                let kc = KC.min(k - pc);
                let size = nc.div_ceil(nr) * nr * kc;
                pack::pack_b(bm, pc, kc, jc, nc, nr, &mut data[off..off + size]);
                off += size;
            }
        }
        Ok(PackedB { level, k, n, data })
    }
}

/// Single-threaded `C (+)= A · B` with a pre-packed B (see [`PackedB`]); A and C as in
/// [`sgemm_in`].
pub(crate) fn sgemm_prepacked(
    kernel: &'static str,
    m: usize,
    a: Operand<'_>,
    b: &PackedB,
    c: &mut [f32],
    c_rs: usize,
    accumulate: bool,
) -> Result<(), KernelError> {
    let (n, k) = (b.n, b.k);
    check_matrix(kernel, m, k, a.2, a.3, a.1, a.0.len())?;
    check_c(kernel, m, n, c_rs, c.len())?;
    if m == 0 || n == 0 {
        return Ok(());
    }
    if k == 0 {
        if !accumulate {
            for i in 0..m {
                c[i * c_rs..i * c_rs + n].fill(0.0);
            }
        }
        return Ok(());
    }
    let g = GemmArgs {
        m,
        n,
        k,
        a: MatRef {
            data: a.0,
            off: a.1,
            rs: a.2,
            cs: a.3,
        },
        b: MatRef {
            data: &[],
            off: 0,
            rs: 0,
            cs: 0,
        },
        c: c.as_mut_ptr(),
        c_rs,
        accumulate,
        packed_b: Some(&b.data),
    };
    run_serial(b.level, g);
    Ok(())
}
