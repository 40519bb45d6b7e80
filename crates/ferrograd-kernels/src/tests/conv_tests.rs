use crate::conv::*;
use crate::pool::set_num_threads;
use crate::testutil::{assert_close, data, THREAD_LOCK};
use crate::KernelError;

/// Naive f64 forward, input gradient and weight gradient, straight from the definition.
fn reference(
    g: &Conv2dGeometry,
    x: &[f32],
    w: &[f32],
    b: Option<&[f32]>,
    dy: &[f32],
) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let (cg, og) = (g.in_channels / g.groups, g.out_channels / g.groups);
    let (kh, kw) = g.kernel;
    let mut y = vec![0f64; g.batch * g.out_channels * g.out_h * g.out_w];
    let mut dx = vec![0f64; x.len()];
    let mut dw = vec![0f64; w.len()];
    for n in 0..g.batch {
        for o in 0..g.out_channels {
            let grp = o / og;
            for oh in 0..g.out_h {
                for ow in 0..g.out_w {
                    let yi = ((n * g.out_channels + o) * g.out_h + oh) * g.out_w + ow;
                    let mut acc = b.map_or(0.0, |b| b[o] as f64);
                    for c in 0..cg {
                        let ci = grp * cg + c;
                        for i in 0..kh {
                            for j in 0..kw {
                                let ih = (oh * g.stride.0 + i * g.dilation.0) as isize
                                    - g.pad.0 as isize;
                                let iw = (ow * g.stride.1 + j * g.dilation.1) as isize
                                    - g.pad.1 as isize;
                                if ih < 0
                                    || iw < 0
                                    || ih >= g.in_h as isize
                                    || iw >= g.in_w as isize
                                {
                                    continue;
                                }
                                let xi = ((n * g.in_channels + ci) * g.in_h + ih as usize) * g.in_w
                                    + iw as usize;
                                let wi = ((o * cg + c) * kh + i) * kw + j;
                                acc += x[xi] as f64 * w[wi] as f64;
                                dx[xi] += dy[yi] as f64 * w[wi] as f64;
                                dw[wi] += dy[yi] as f64 * x[xi] as f64;
                            }
                        }
                    }
                    y[yi] = acc;
                }
            }
        }
    }
    (y, dx, dw)
}

fn out_size(inp: usize, k: usize, s: usize, d: usize, before: usize, after: usize) -> usize {
    (inp + before + after - d * (k - 1) - 1) / s + 1
}

#[allow(clippy::too_many_arguments)]
fn geom(
    batch: usize,
    c: usize,
    hw: (usize, usize),
    o: usize,
    k: (usize, usize),
    s: (usize, usize),
    pad: (usize, usize, usize, usize),
    d: (usize, usize),
    groups: usize,
) -> Conv2dGeometry {
    Conv2dGeometry {
        batch,
        in_channels: c,
        in_h: hw.0,
        in_w: hw.1,
        out_channels: o,
        out_h: out_size(hw.0, k.0, s.0, d.0, pad.0, pad.1),
        out_w: out_size(hw.1, k.1, s.1, d.1, pad.2, pad.3),
        kernel: k,
        stride: s,
        pad: (pad.0, pad.2),
        dilation: d,
        groups,
    }
}

fn check(name: &str, g: &Conv2dGeometry, with_bias: bool) {
    let cg = g.in_channels / g.groups;
    let x = data(g.batch * g.in_channels * g.in_h * g.in_w, 1, -1.0, 1.0);
    let w = data(g.out_channels * cg * g.kernel.0 * g.kernel.1, 2, -1.0, 1.0);
    let b = data(g.out_channels, 3, -1.0, 1.0);
    let dy = data(g.batch * g.out_channels * g.out_h * g.out_w, 4, -1.0, 1.0);
    let bias = with_bias.then_some(b.as_slice());
    let (ry, rdx, rdw) = reference(g, &x, &w, bias, &dy);
    for threads in [1, 2] {
        set_num_threads(threads).unwrap();
        let mut y = vec![f32::NAN; ry.len()];
        conv2d_forward(g, &x, &w, bias, &mut y).unwrap();
        assert_close(&format!("{name} forward t{threads}"), &y, &ry, 1e-4, 1e-4);
        let mut dx = vec![f32::NAN; rdx.len()];
        conv2d_backward_input(g, &dy, &w, &mut dx).unwrap();
        assert_close(
            &format!("{name} input grad t{threads}"),
            &dx,
            &rdx,
            1e-4,
            1e-4,
        );
        let mut dw = vec![f32::NAN; rdw.len()];
        conv2d_backward_weight(g, &x, &dy, &mut dw).unwrap();
        assert_close(
            &format!("{name} weight grad t{threads}"),
            &dw,
            &rdw,
            1e-4,
            1e-3,
        );
    }
}

#[test]
fn conv_matches_reference() {
    let _g = THREAD_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let p0 = (0, 0, 0, 0);
    check(
        "3x3",
        &geom(2, 3, (7, 6), 4, (3, 3), (1, 1), p0, (1, 1), 1),
        true,
    );
    check(
        "same_pad",
        &geom(3, 2, (5, 5), 3, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1),
        false,
    );
    check(
        "asym_pad_even",
        &geom(2, 2, (6, 5), 3, (4, 2), (1, 1), (1, 2, 0, 1), (1, 1), 1),
        true,
    );
    check(
        "stride2",
        &geom(2, 3, (9, 8), 2, (3, 2), (2, 3), (1, 1, 2, 0), (1, 1), 1),
        true,
    );
    check(
        "dilation",
        &geom(2, 2, (9, 9), 2, (3, 3), (1, 2), (2, 2, 1, 1), (2, 3), 1),
        false,
    );
    check(
        "groups",
        &geom(2, 6, (5, 6), 4, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 2),
        true,
    );
    check(
        "depthwise",
        &geom(3, 4, (6, 5), 8, (3, 3), (2, 1), (1, 1, 1, 1), (1, 1), 4),
        true,
    );
    check(
        "pointwise",
        &geom(3, 5, (4, 6), 7, (1, 1), (1, 1), p0, (1, 1), 1),
        true,
    );
    check(
        "pointwise_groups",
        &geom(2, 4, (3, 3), 6, (1, 1), (1, 1), p0, (1, 1), 2),
        false,
    );
    check(
        "pointwise_stride",
        &geom(2, 3, (5, 5), 2, (1, 1), (2, 2), p0, (1, 1), 1),
        true,
    );
    check(
        "pad_only_rows",
        &geom(1, 1, (1, 4), 1, (3, 3), (1, 1), (3, 3, 1, 1), (1, 1), 1),
        true,
    );
    // Stride 1 with output width = input width: the shifted-plane im2col/col2im path.
    check(
        "shifted_dilated",
        &geom(2, 2, (7, 6), 3, (3, 3), (1, 1), (2, 2, 2, 2), (2, 2), 1),
        true,
    );
    check(
        "shifted_h_cropped",
        &geom(2, 3, (6, 5), 2, (3, 3), (1, 1), (0, 0, 1, 1), (1, 1), 1),
        false,
    );
    check(
        "shifted_wide_kernel",
        &geom(1, 2, (4, 3), 2, (2, 5), (1, 1), (0, 1, 2, 2), (1, 1), 1),
        true,
    );
    // Enough images for one block per thread, and single images (threaded GEMMs).
    check(
        "batch8",
        &geom(8, 3, (6, 6), 5, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1),
        true,
    );
    check(
        "batch1",
        &geom(1, 16, (12, 12), 32, (5, 5), (1, 1), (2, 2, 2, 2), (1, 1), 1),
        true,
    );
}

#[test]
fn conv_tiles_split_large_images() {
    let _g = THREAD_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    // K·OW = 576·64 floats per output row: the 1 Mi-float tile holds 28 of the 70 rows.
    check(
        "tiled",
        &geom(2, 64, (70, 64), 3, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1),
        true,
    );
}

#[test]
fn conv_tiles_span_images() {
    let _g = THREAD_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    // (K + O)·OW = 592·40 floats per output row: tiles of 44 rows cut the 10-row images at
    // different places (and threads cut the batch at image boundaries).
    let g = geom(6, 64, (10, 40), 16, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1);
    check("span_images", &g, true);
    let x = data(6 * 64 * 400, 8, -1.0, 1.0);
    let w = data(16 * 64 * 9, 9, -1.0, 1.0);
    let b = data(16, 10, -1.0, 1.0);
    let dy = data(6 * 16 * 400, 11, -1.0, 1.0);
    let run = |threads| {
        set_num_threads(threads).unwrap();
        let mut y = vec![0.0; dy.len()];
        let mut dx = vec![0.0; x.len()];
        let mut dw = vec![0.0; w.len()];
        conv2d_forward(&g, &x, &w, Some(&b), &mut y).unwrap();
        conv2d_backward_input(&g, &dy, &w, &mut dx).unwrap();
        conv2d_backward_weight(&g, &x, &dy, &mut dw).unwrap();
        (y, dx, dw)
    };
    let one = run(1);
    assert!(one == run(2));
    assert!(one == run(4));
    set_num_threads(2).unwrap();
}

#[test]
fn conv_results_do_not_depend_on_thread_count() {
    let _g = THREAD_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let g = geom(4, 8, (12, 12), 16, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1);
    let x = data(4 * 8 * 144, 5, -1.0, 1.0);
    let w = data(16 * 8 * 9, 6, -1.0, 1.0);
    let dy = data(4 * 16 * 144, 7, -1.0, 1.0);
    let run = |threads| {
        set_num_threads(threads).unwrap();
        let mut y = vec![0.0; dy.len()];
        let mut dx = vec![0.0; x.len()];
        let mut dw = vec![0.0; w.len()];
        conv2d_forward(&g, &x, &w, None, &mut y).unwrap();
        conv2d_backward_input(&g, &dy, &w, &mut dx).unwrap();
        conv2d_backward_weight(&g, &x, &dy, &mut dw).unwrap();
        (y, dx, dw)
    };
    assert!(run(1) == run(2));
    set_num_threads(2).unwrap();
}

#[test]
fn conv_rejects_bad_geometry_and_lengths() {
    let g = geom(1, 2, (4, 4), 2, (3, 3), (1, 1), (0, 0, 0, 0), (1, 1), 1);
    let (x, w) = (vec![0.0; 32], vec![0.0; 36]);
    let mut y = vec![0.0; 7];
    assert!(matches!(
        conv2d_forward(&g, &x, &w, None, &mut y),
        Err(KernelError::BadLength { .. })
    ));
    let mut y = vec![0.0; 8];
    let bad = Conv2dGeometry {
        stride: (0, 1),
        ..g
    };
    assert!(matches!(
        conv2d_forward(&bad, &x, &w, None, &mut y),
        Err(KernelError::InvalidGeometry { .. })
    ));
    let bad = Conv2dGeometry { groups: 3, ..g };
    assert!(matches!(
        conv2d_forward(&bad, &x, &w, None, &mut y),
        Err(KernelError::InvalidGeometry { .. })
    ));
    let huge = Conv2dGeometry {
        out_h: usize::MAX / 2,
        out_w: 4,
        stride: (4, 1),
        ..g
    };
    assert!(matches!(
        conv2d_forward(&huge, &x, &w, None, &mut y),
        Err(KernelError::Overflow { .. })
    ));
}
