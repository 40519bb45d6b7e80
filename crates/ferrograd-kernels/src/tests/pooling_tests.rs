use crate::pool::set_num_threads;
use crate::pooling::*;
use crate::resample::*;
use crate::testutil::{assert_close, data, THREAD_LOCK};
use crate::KernelError;

#[test]
fn max_pool_takes_first_maximum_and_its_index() {
    // One 3x4 plane with ties; windows: rows 0..2 / 1..3, columns 0..2 / 2..4.
    let x = [1.0, 5.0, 5.0, 0.0, 2.0, 5.0, -1.0, 7.0, 3.0, 3.0, 7.0, 7.0];
    let (mut out, mut idx) = ([0.0; 4], [0u32; 4]);
    max_pool2d(
        &x,
        1,
        3,
        4,
        &[(0, 2), (1, 3)],
        &[(0, 2), (2, 4)],
        &mut out,
        &mut idx,
    )
    .unwrap();
    assert_eq!(out, [5.0, 7.0, 5.0, 7.0]);
    assert_eq!(idx, [1, 7, 5, 7]);
    let nan = [1.0, f32::NAN, 3.0, 2.0];
    let (mut out, mut idx) = ([0.0; 1], [0u32; 1]);
    max_pool2d(&nan, 1, 2, 2, &[(0, 2)], &[(0, 2)], &mut out, &mut idx).unwrap();
    assert!(out[0].is_nan());
    assert_eq!(idx, [1]);
    assert!(matches!(
        max_pool2d(&x, 1, 3, 4, &[(2, 2)], &[(0, 1)], &mut out, &mut idx),
        Err(KernelError::InvalidGeometry { .. })
    ));
}

#[test]
fn gather_and_scatter_are_adjoint() {
    let _g = THREAD_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let (planes, in_plane, out_plane) = (300, 40, 70);
    let x = data(planes * in_plane, 1, -1.0, 1.0);
    let g = data(planes * out_plane, 2, -1.0, 1.0);
    let idx: Vec<u32> = (0..planes * out_plane)
        .map(|i| ((i * 7919) % in_plane) as u32)
        .collect();
    for threads in [1, 2] {
        set_num_threads(threads).unwrap();
        let mut gx = vec![0.0; planes * out_plane];
        gather_planes(&x, planes, in_plane, &idx, &mut gx).unwrap();
        let mut sg = vec![f32::NAN; planes * in_plane];
        scatter_add_planes(&g, planes, &idx, in_plane, &mut sg).unwrap();
        // <gather(x), g> == <x, scatter(g)>
        let lhs: f64 = gx.iter().zip(&g).map(|(a, b)| *a as f64 * *b as f64).sum();
        let rhs: f64 = x.iter().zip(&sg).map(|(a, b)| *a as f64 * *b as f64).sum();
        assert!((lhs - rhs).abs() < 1e-3, "{lhs} vs {rhs}");
        for p in [0, 17, planes - 1] {
            for q in 0..out_plane {
                assert_eq!(
                    gx[p * out_plane + q],
                    x[p * in_plane + idx[p * out_plane + q] as usize]
                );
            }
        }
    }
    let mut out = vec![0.0; 2];
    assert!(matches!(
        gather_planes(&x[..4], 1, 4, &[0, 4], &mut out),
        Err(KernelError::OutOfBounds { .. })
    ));
}

fn axis(in_len: usize, taps: &[(usize, &[f32])]) -> AxisMap {
    let mut m = AxisMap::new(in_len);
    for (s, w) in taps {
        m.push(*s, w).unwrap();
    }
    m
}

#[test]
fn resample_matches_dense_map_and_its_transpose() {
    let _g = THREAD_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let h = axis(5, &[(0, &[0.5, 0.5]), (1, &[0.25, 0.25, 0.5]), (4, &[1.0])]);
    let w = axis(
        4,
        &[
            (0, &[1.0]),
            (1, &[0.75, 0.25]),
            (3, &[2.0]),
            (2, &[-1.0, 1.0]),
        ],
    );
    // The same maps as dense matrices.
    let dh = [
        [0.5, 0.5, 0.0, 0.0, 0.0],
        [0.0, 0.25, 0.25, 0.5, 0.0],
        [0.0, 0.0, 0.0, 0.0, 1.0],
    ];
    let dw = [
        [1.0, 0.0, 0.0, 0.0],
        [0.0, 0.75, 0.25, 0.0],
        [0.0, 0.0, 0.0, 2.0],
        [0.0, 0.0, -1.0, 1.0],
    ];
    let planes = 700;
    let x = data(planes * 20, 3, -1.0, 1.0);
    let g = data(planes * 12, 4, -1.0, 1.0);
    let mut want = vec![0f64; planes * 12];
    let mut want_t = vec![0f64; planes * 20];
    for p in 0..planes {
        for i in 0..3 {
            for j in 0..4 {
                for a in 0..5 {
                    for b in 0..4 {
                        let m: f64 = dh[i][a] * dw[j][b];
                        want[p * 12 + i * 4 + j] += m * x[p * 20 + a * 4 + b] as f64;
                        want_t[p * 20 + a * 4 + b] += m * g[p * 12 + i * 4 + j] as f64;
                    }
                }
            }
        }
    }
    for threads in [1, 2] {
        set_num_threads(threads).unwrap();
        let mut out = vec![f32::NAN; planes * 12];
        resample2d(&x, planes, &h, &w, &mut out).unwrap();
        assert_close("resample", &out, &want, 1e-5, 1e-6);
        let mut out_t = vec![f32::NAN; planes * 20];
        resample2d_transposed(&g, planes, &h, &w, &mut out_t).unwrap();
        assert_close("resample_t", &out_t, &want_t, 1e-5, 1e-6);
    }
    assert!(AxisMap::new(3).push(2, &[1.0, 1.0]).is_err());
}

#[test]
fn max_pool_regular_windows_match_the_scan() {
    let _g = THREAD_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    // Few distinct values (many ties), signed zeros, -inf and a NaN in some windows.
    let (planes, h, w) = (5, 9, 11);
    let mut x: Vec<f32> = data(planes * h * w, 3, -3.0, 3.0)
        .iter()
        .map(|v| v.round())
        .collect();
    for (i, v) in [
        (7, f32::NAN),
        (8, -0.0),
        (9, 0.0),
        (40, f32::NEG_INFINITY),
        (100, f32::NAN),
    ] {
        x[i] = v;
    }
    for (k, s) in [(2, 2), (3, 2), (3, 3), (2, 1), (4, 3)] {
        let win = |len: usize| -> Vec<(usize, usize)> {
            (0..(len - k) / s + 1).map(|i| (i * s, i * s + k)).collect()
        };
        let (wh, ww) = (win(h), win(w));
        let n = planes * wh.len() * ww.len();
        let (mut out, mut idx) = (vec![0.0; n], vec![0u32; n]);
        max_pool2d(&x, planes, h, w, &wh, &ww, &mut out, &mut idx).unwrap();
        let mut q = 0;
        for p in 0..planes {
            for &(h0, h1) in &wh {
                for &(w0, w1) in &ww {
                    let (mut m, mut at) = (f32::NEG_INFINITY, h0 * w + w0);
                    for a in h0..h1 {
                        for b in w0..w1 {
                            let v = x[p * h * w + a * w + b];
                            if v > m || v.is_nan() {
                                (m, at) = (v, a * w + b);
                            }
                        }
                    }
                    assert_eq!(idx[q] as usize, at, "k{k} s{s} output {q}");
                    assert_eq!(out[q].to_bits(), m.to_bits(), "k{k} s{s} output {q}");
                    q += 1;
                }
            }
        }
    }
}
