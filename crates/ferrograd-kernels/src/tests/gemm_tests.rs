use crate::testutil::{data, THREAD_LOCK};
use crate::{measure_peak_gflops, sgemm, sgemm_batched, KernelError};

/// Storage layout of a test operand.
#[derive(Clone, Copy, Debug)]
enum Layout {
    RowMajor,
    ColMajor,
    /// Row-major with padding between rows and a column stride of 2.
    Padded,
}

/// Returns (buffer, row stride, col stride) holding `rows × cols` values `f(i, j)`.
fn make(rows: usize, cols: usize, layout: Layout, seed: u64) -> (Vec<f32>, usize, usize) {
    let vals = data(rows * cols, seed, -1.0, 1.0);
    let (rs, cs, len) = match layout {
        Layout::RowMajor => (cols, 1, rows * cols),
        Layout::ColMajor => (1, rows, rows * cols),
        Layout::Padded => (2 * cols + 3, 2, rows * (2 * cols + 3)),
    };
    let mut buf = vec![f32::NAN; len.max(1)];
    for i in 0..rows {
        for j in 0..cols {
            buf[i * rs + j * cs] = vals[i * cols + j];
        }
    }
    (buf, rs, cs)
}

#[allow(clippy::too_many_arguments)]
fn reference(
    m: usize,
    n: usize,
    k: usize,
    a: &[f32],
    ars: usize,
    acs: usize,
    b: &[f32],
    brs: usize,
    bcs: usize,
    c0: &[f32],
    crs: usize,
    acc: bool,
) -> Vec<f64> {
    let mut out = Vec::with_capacity(m * n);
    for i in 0..m {
        for j in 0..n {
            let mut s = if acc { f64::from(c0[i * crs + j]) } else { 0.0 };
            for p in 0..k {
                s += f64::from(a[i * ars + p * acs]) * f64::from(b[p * brs + j * bcs]);
            }
            out.push(s);
        }
    }
    out
}

fn check_gemm(m: usize, n: usize, k: usize, la: Layout, lb: Layout, acc: bool, c_pad: usize) {
    check_gemm_at(crate::simd_level(), m, n, k, la, lb, acc, c_pad);
}

#[allow(clippy::too_many_arguments)]
fn check_gemm_at(
    level: crate::SimdLevel,
    m: usize,
    n: usize,
    k: usize,
    la: Layout,
    lb: Layout,
    acc: bool,
    c_pad: usize,
) {
    let (a, ars, acs) = make(m, k, la, 1 + m as u64);
    let (b, brs, bcs) = make(k, n, lb, 2 + n as u64);
    let crs = n + c_pad;
    let mut c = data((m * crs).max(1), 3, -1.0, 1.0);
    let c0 = c.clone();
    crate::gemm::sgemm_with(
        level,
        m,
        n,
        k,
        (&a, ars, acs),
        (&b, brs, bcs),
        &mut c,
        crs,
        acc,
    )
    .unwrap();
    let want = reference(m, n, k, &a, ars, acs, &b, brs, bcs, &c0, crs, acc);
    for i in 0..m {
        for j in 0..n {
            let (g, w) = (f64::from(c[i * crs + j]), want[i * n + j]);
            // Error bound of an f32 dot product of length k with |terms| <= 1.
            let tol = 1e-6 * (k as f64 + 1.0) + 1e-5;
            assert!(
                (g - w).abs() <= tol,
                "{level:?} {m}x{n}x{k} {la:?} {lb:?} acc={acc}: C[{i},{j}] = {g}, want {w}"
            );
        }
        // Padding between C rows is never written.
        for j in n..crs {
            if i * crs + j < c.len() {
                assert_eq!(c[i * crs + j].to_bits(), c0[i * crs + j].to_bits());
            }
        }
    }
}

#[test]
fn gemm_many_shapes_and_layouts() {
    let layouts = [Layout::RowMajor, Layout::ColMajor, Layout::Padded];
    let shapes = [
        (1, 1, 1),
        (1, 7, 5),
        (7, 1, 5),
        (5, 7, 1),
        (3, 3, 0),
        (17, 33, 9),
        (64, 64, 64),
        (1, 300, 200),
        (300, 1, 200),
        (31, 47, 129),
        (100, 130, 70),
    ];
    for &(m, n, k) in &shapes {
        for la in layouts {
            for lb in layouts {
                for acc in [false, true] {
                    check_gemm(m, n, k, la, lb, acc, if acc { 3 } else { 0 });
                }
            }
        }
    }
}

#[test]
fn gemm_every_simd_level() {
    // Shapes straddling every level's register tiles (14x32, 6x16, 4x4) and
    // the k block (256), plus the matrix-vector paths.
    let layouts = [Layout::RowMajor, Layout::ColMajor, Layout::Padded];
    for level in crate::testutil::levels() {
        for &(m, n, k) in &[
            (1, 45, 300),
            (45, 1, 300),
            (15, 33, 257),
            // 15–16 rows take two 8-row tiles with AVX-512; k crosses the KC block.
            (16, 40, 600),
            (29, 70, 40),
            (6, 16, 8),
        ] {
            for la in layouts {
                for lb in layouts {
                    check_gemm_at(level, m, n, k, la, lb, true, 2);
                }
            }
        }
    }
}

#[test]
fn gemm_large_shapes_cross_block_boundaries() {
    let _g = THREAD_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    for &(m, n, k) in &[
        (128, 784, 256),
        (257, 261, 300),
        (513, 67, 1100),
        (40, 1500, 33),
        // Shared packed B across several NC and KC blocks, ragged on every side.
        (120, 1100, 600),
    ] {
        for threads in [1, 2] {
            crate::set_num_threads(threads).unwrap();
            check_gemm(m, n, k, Layout::RowMajor, Layout::RowMajor, false, 0);
            check_gemm(m, n, k, Layout::ColMajor, Layout::RowMajor, true, 5);
            check_gemm(m, n, k, Layout::RowMajor, Layout::ColMajor, false, 0);
        }
    }
    crate::set_num_threads(2).unwrap();
}

#[test]
fn gemm_is_thread_count_independent() {
    let _g = THREAD_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let (m, n, k) = (300, 400, 500);
    let a = data(m * k, 1, -1.0, 1.0);
    let b = data(k * n, 2, -1.0, 1.0);
    let mut outs = Vec::new();
    for t in [1, 2] {
        crate::set_num_threads(t).unwrap();
        let mut c = vec![0.0; m * n];
        sgemm(m, n, k, &a, k, 1, &b, n, 1, &mut c, n, false).unwrap();
        outs.push(c);
    }
    assert_eq!(outs[0], outs[1]);
}

#[test]
fn gemm_k_zero_and_empty() {
    let mut c = vec![3.0f32; 6];
    sgemm(2, 3, 0, &[], 0, 1, &[], 3, 1, &mut c, 3, true).unwrap();
    assert_eq!(c, vec![3.0; 6]);
    sgemm(2, 3, 0, &[], 0, 1, &[], 3, 1, &mut c, 3, false).unwrap();
    assert_eq!(c, vec![0.0; 6]);
    sgemm(0, 3, 4, &[], 4, 1, &[0.0; 12], 3, 1, &mut [], 3, false).unwrap();
}

#[test]
fn gemm_validation() {
    let a = [1.0f32; 6];
    let mut c = [0.0f32; 4];
    assert!(matches!(
        sgemm(2, 2, 3, &a[..5], 3, 1, &a, 2, 1, &mut c, 2, false),
        Err(KernelError::OutOfBounds { .. })
    ));
    assert!(matches!(
        sgemm(2, 2, 3, &a, 3, 1, &a, 2, 1, &mut c[..3], 2, false),
        Err(KernelError::OutOfBounds { .. })
    ));
    // Overlapping C rows (c_rs < n) are rejected.
    assert!(sgemm(2, 2, 3, &a, 3, 1, &a, 2, 1, &mut c, 1, false).is_err());
}

#[test]
fn batched_matches_single() {
    let _g = THREAD_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    crate::set_num_threads(2).unwrap();
    for &(batch, m, n, k) in &[
        (5, 3, 4, 5),
        (8, 64, 64, 64),
        (3, 200, 150, 100),
        (1, 1, 1, 1),
        (0, 2, 2, 2),
    ] {
        let a = data(batch * m * k + 1, 4, -1.0, 1.0);
        // B is shared by every batch entry (broadcast offset 0) and transposed.
        let b = data(k * n, 5, -1.0, 1.0);
        let a_off: Vec<usize> = (0..batch).map(|i| i * m * k + 1).collect();
        let b_off = vec![0; batch];
        for acc in [false, true] {
            let mut c = data(batch * m * n, 6, -1.0, 1.0);
            let c0 = c.clone();
            sgemm_batched(
                batch, m, n, k, &a, &a_off, k, 1, &b, &b_off, 1, k, &mut c, acc,
            )
            .unwrap();
            for i in 0..batch {
                let want = reference(
                    m,
                    n,
                    k,
                    &a[a_off[i]..],
                    k,
                    1,
                    &b,
                    1,
                    k,
                    &c0[i * m * n..],
                    n,
                    acc,
                );
                for (j, (&g, &w)) in c[i * m * n..(i + 1) * m * n].iter().zip(&want).enumerate() {
                    assert!(
                        (f64::from(g) - w).abs() < 1e-4,
                        "batch {i} elem {j}: {g} vs {w}"
                    );
                }
            }
        }
    }
    let mut c = [0.0; 8];
    assert!(matches!(
        sgemm_batched(
            2,
            2,
            2,
            2,
            &[0.0; 8],
            &[0],
            2,
            1,
            &[0.0; 8],
            &[0, 4],
            2,
            1,
            &mut c,
            false
        ),
        Err(KernelError::BadLength { .. })
    ));
    assert!(matches!(
        sgemm_batched(
            2,
            2,
            2,
            2,
            &[0.0; 8],
            &[0, 5],
            2,
            1,
            &[0.0; 8],
            &[0, 4],
            2,
            1,
            &mut c,
            false
        ),
        Err(KernelError::OutOfBounds { .. })
    ));
}

#[test]
fn peak_probe_is_positive() {
    let _g = THREAD_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let p1 = measure_peak_gflops(1);
    assert!(p1.is_finite() && p1 > 1.0, "peak {p1}");
    for level in crate::testutil::levels() {
        assert!(crate::peak::measure_peak_with(level, 1) > 0.1);
    }
}

#[test]
fn overwrite_ignores_nan_in_c() {
    // C = A·B must not read C (BLAS beta = 0): NaN garbage is overwritten.
    for &(m, n, k) in &[(1, 40, 30), (40, 1, 30), (30, 50, 20), (300, 300, 300)] {
        let a = data(m * k, 1, -1.0, 1.0);
        let b = data(k * n, 2, -1.0, 1.0);
        let mut c = vec![f32::NAN; m * n];
        sgemm(m, n, k, &a, k, 1, &b, n, 1, &mut c, n, false).unwrap();
        assert!(c.iter().all(|v| v.is_finite()), "{m}x{n}x{k}");
    }
}
