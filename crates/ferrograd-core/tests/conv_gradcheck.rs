//! Finite-difference gradient checks for convolution, pooling and resizing: every configuration
//! the ops distinguish (stride, dilation, groups, padding rules, output padding, ceil mode,
//! adaptive windows, interpolation modes), plus second-order checks through `create_graph`.

mod common;

use common::away_from_zero;
use ferrograd_core::grad_check::check_gradients;
use ferrograd_core::{
    BackwardOptions, Conv1dOptions, Conv2dOptions, ConvTranspose1dOptions, ConvTranspose2dOptions,
    Pool1dOptions, Pool2dOptions, Result, Tensor, UpsampleSize,
};

const EPS: f32 = 1e-3;
const ATOL: f32 = 2e-2;
const RTOL: f32 = 2e-2;

fn check(name: &str, inputs: Vec<Tensor>, f: impl Fn(&[Tensor]) -> Result<Tensor>) {
    if let Err(e) = check_gradients(f, &inputs, EPS, ATOL, RTOL) {
        panic!("{name}: {e}");
    }
}

/// Values at least 0.05 apart (shuffled), so max-pool windows have no near-ties that a
/// finite-difference step could flip.
fn distinct(shape: &[usize], seed: u64) -> Tensor {
    let n: usize = shape.iter().product();
    let mut order: Vec<usize> = (0..n).collect();
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for i in (1..n).rev() {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        order.swap(i, (s % (i as u64 + 1)) as usize);
    }
    let data = order
        .iter()
        .map(|&k| (k as f32 - n as f32 / 2.0) * 0.05)
        .collect();
    Tensor::from_vec(data, shape).unwrap()
}

fn conv(opts: Conv2dOptions, bias: bool) -> impl Fn(&[Tensor]) -> Result<Tensor> {
    move |v| v[0].conv2d(&v[1], if bias { v.get(2) } else { None }, &opts)
}

#[test]
fn conv2d_configurations() {
    let x = away_from_zero(&[2, 3, 6, 5], 1);
    let w = away_from_zero(&[4, 3, 3, 3], 2);
    let b = away_from_zero(&[4], 3);
    let d = Conv2dOptions::default;
    // dL/dx = col2im(Wᵀ·g), dL/dW = Σ g·colᵀ, dL/db = Σ_{n,h,w} g
    check(
        "conv2d_bias",
        vec![x.clone(), w.clone(), b.clone()],
        conv(d(), true),
    );
    check(
        "conv2d_no_bias",
        vec![x.clone(), w.clone()],
        conv(d(), false),
    );
    let strided = Conv2dOptions {
        stride: (2, 2),
        padding: (1, 1, 1, 1),
        ..d()
    };
    check(
        "conv2d_stride2_odd",
        vec![away_from_zero(&[2, 3, 7, 5], 4), w.clone(), b.clone()],
        conv(strided, true),
    );
    let dilated = Conv2dOptions {
        dilation: (2, 1),
        padding: (2, 2, 1, 0),
        ..d()
    };
    check(
        "conv2d_dilation",
        vec![x.clone(), w.clone()],
        conv(dilated, false),
    );
    let asym = Conv2dOptions {
        stride: (1, 2),
        padding: (0, 2, 1, 0),
        dilation: (1, 2),
        ..d()
    };
    check(
        "conv2d_asymmetric_padding",
        vec![x.clone(), w.clone(), b.clone()],
        conv(asym, true),
    );
    // Even kernel, 'same': the odd padding element goes to the bottom/right.
    let same = d().with_same_padding((6, 5), (4, 2));
    assert_eq!(same.padding, (1, 2, 0, 1));
    check(
        "conv2d_same_even_kernel",
        vec![
            x.clone(),
            away_from_zero(&[2, 3, 4, 2], 5),
            away_from_zero(&[2], 6),
        ],
        conv(same, true),
    );
    let same_strided = Conv2dOptions {
        stride: (2, 2),
        ..d()
    }
    .with_same_padding((6, 5), (3, 3));
    check(
        "conv2d_same_stride2",
        vec![x.clone(), w.clone()],
        conv(same_strided, false),
    );
    let grouped = Conv2dOptions {
        groups: 2,
        padding: (1, 1, 1, 1),
        ..d()
    };
    check(
        "conv2d_groups",
        vec![
            away_from_zero(&[2, 4, 5, 5], 7),
            away_from_zero(&[6, 2, 3, 3], 8),
            away_from_zero(&[6], 9),
        ],
        conv(grouped, true),
    );
    let depthwise = Conv2dOptions {
        groups: 3,
        stride: (2, 1),
        padding: (1, 1, 1, 1),
        ..d()
    };
    check(
        "conv2d_depthwise",
        vec![
            x.clone(),
            away_from_zero(&[3, 1, 3, 3], 10),
            away_from_zero(&[3], 11),
        ],
        conv(depthwise, true),
    );
    check(
        "conv2d_pointwise",
        vec![
            x.clone(),
            away_from_zero(&[5, 3, 1, 1], 12),
            away_from_zero(&[5], 13),
        ],
        conv(d(), true),
    );
    // Non-contiguous input: the op copies it.
    check(
        "conv2d_permuted_input",
        vec![away_from_zero(&[2, 5, 6, 3], 14), w.clone()],
        |v| v[0].permute(&[0, 3, 2, 1])?.conv2d(&v[1], None, &d()),
    );
}

#[test]
fn conv1d_configurations() {
    let x = away_from_zero(&[2, 3, 9], 21);
    let w = away_from_zero(&[4, 3, 3], 22);
    let b = away_from_zero(&[4], 23);
    let plain = Conv1dOptions::default();
    check("conv1d", vec![x.clone(), w.clone(), b.clone()], move |v| {
        v[0].conv1d(&v[1], Some(&v[2]), &plain)
    });
    let same = Conv1dOptions {
        dilation: 2,
        ..plain
    }
    .with_same_padding(9, 4);
    check(
        "conv1d_same_even_dilated",
        vec![x.clone(), away_from_zero(&[4, 3, 4], 24)],
        move |v| v[0].conv1d(&v[1], None, &same),
    );
    let strided = Conv1dOptions {
        stride: 2,
        padding: (2, 1),
        groups: 3,
        ..plain
    };
    check(
        "conv1d_stride_groups",
        vec![x, away_from_zero(&[6, 1, 3], 25), away_from_zero(&[6], 26)],
        move |v| v[0].conv1d(&v[1], Some(&v[2]), &strided),
    );
}

#[test]
fn transposed_convolutions() {
    let x = away_from_zero(&[2, 3, 4, 3], 31);
    let w = away_from_zero(&[3, 2, 3, 3], 32);
    let b = away_from_zero(&[2], 33);
    let d = ConvTranspose2dOptions::default;
    let plain = d();
    check(
        "conv_transpose2d",
        vec![x.clone(), w.clone(), b.clone()],
        move |v| v[0].conv_transpose2d(&v[1], Some(&v[2]), &plain),
    );
    let up = ConvTranspose2dOptions {
        stride: (2, 2),
        padding: (1, 1),
        output_padding: (1, 0),
        ..d()
    };
    check(
        "conv_transpose2d_stride_output_padding",
        vec![x.clone(), w.clone(), b.clone()],
        move |v| v[0].conv_transpose2d(&v[1], Some(&v[2]), &up),
    );
    let dil = ConvTranspose2dOptions {
        dilation: (2, 3),
        output_padding: (1, 2),
        padding: (0, 2),
        ..d()
    };
    check(
        "conv_transpose2d_dilation_output_padding",
        vec![x.clone(), w.clone()],
        move |v| v[0].conv_transpose2d(&v[1], None, &dil),
    );
    let grouped = ConvTranspose2dOptions {
        groups: 3,
        stride: (2, 1),
        ..d()
    };
    check(
        "conv_transpose2d_groups",
        vec![
            x.clone(),
            away_from_zero(&[3, 2, 2, 3], 34),
            away_from_zero(&[6], 35),
        ],
        move |v| v[0].conv_transpose2d(&v[1], Some(&v[2]), &grouped),
    );
    let one = ConvTranspose1dOptions {
        stride: 3,
        padding: 1,
        output_padding: 2,
        ..Default::default()
    };
    check(
        "conv_transpose1d",
        vec![
            away_from_zero(&[2, 3, 5], 36),
            away_from_zero(&[3, 2, 4], 37),
            away_from_zero(&[2], 38),
        ],
        move |v| v[0].conv_transpose1d(&v[1], Some(&v[2]), &one),
    );
}

#[test]
fn gradient_products_are_differentiable() {
    let opts = Conv2dOptions {
        stride: (2, 1),
        padding: (1, 0, 1, 1),
        dilation: (1, 2),
        groups: 1,
    };
    // conv2d_input_grad(dy, w) is bilinear: d/d(dy) = conv2d(g, w), d/dw = conv2d_weight_grad(g, dy).
    check(
        "conv2d_input_grad",
        vec![
            away_from_zero(&[2, 4, 3, 5], 41),
            away_from_zero(&[4, 3, 3, 2], 42),
        ],
        move |v| Tensor::conv2d_input_grad(&v[0], &v[1], (6, 5), &opts),
    );
    // conv2d_weight_grad(x, dy): d/dx = conv2d_input_grad(dy, g), d/d(dy) = conv2d(x, g).
    check(
        "conv2d_weight_grad",
        vec![
            away_from_zero(&[2, 3, 6, 5], 43),
            away_from_zero(&[2, 4, 3, 5], 44),
        ],
        move |v| Tensor::conv2d_weight_grad(&v[0], &v[1], (3, 2), &opts),
    );
}

/// `grad_x sum(f(x, ...)^2 · c)` with `create_graph`, as a function of the inputs: checking its
/// gradient by finite differences checks the double-backward rules.
fn grad_of(
    f: impl Fn(&[Tensor]) -> Result<Tensor>,
    wrt: usize,
) -> impl Fn(&[Tensor]) -> Result<Tensor> {
    move |v| {
        // Finite-difference probes pass plain tensors: make them leaves to differentiate.
        let v: Vec<Tensor> = v
            .iter()
            .map(|t| {
                if t.requires_grad() {
                    Ok(t.clone())
                } else {
                    let leaf = t.detach();
                    leaf.set_requires_grad(true)?;
                    Ok(leaf)
                }
            })
            .collect::<Result<_>>()?;
        let v = &v[..];
        let y = f(v)?;
        let loss = y.square()?.mul_scalar(0.5)?.sum(None, false)?;
        let opts = BackwardOptions {
            gradient: None,
            create_graph: true,
        };
        let g = loss.grad_wrt(&[v[wrt].clone()], opts)?;
        Ok(g.into_iter()
            .next()
            .flatten()
            .unwrap_or_else(|| v[wrt].zeros_like()))
    }
}

#[test]
fn second_order() {
    let x = away_from_zero(&[2, 2, 5, 4], 51);
    let w = away_from_zero(&[3, 2, 3, 2], 52);
    let b = away_from_zero(&[3], 53);
    let opts = Conv2dOptions {
        stride: (2, 1),
        padding: (1, 1, 0, 1),
        ..Default::default()
    };
    let f = move |v: &[Tensor]| v[0].conv2d(&v[1], Some(&v[2]), &opts);
    check(
        "conv2d_grad_x",
        vec![x.clone(), w.clone(), b.clone()],
        grad_of(f, 0),
    );
    check(
        "conv2d_grad_w",
        vec![x.clone(), w.clone(), b.clone()],
        grad_of(f, 1),
    );
    check(
        "conv2d_grad_b",
        vec![x.clone(), w.clone(), b.clone()],
        grad_of(f, 2),
    );
    let t = ConvTranspose2dOptions {
        stride: (2, 2),
        padding: (1, 0),
        output_padding: (1, 1),
        ..Default::default()
    };
    let ft = move |v: &[Tensor]| v[0].conv_transpose2d(&v[1], None, &t);
    let wt = away_from_zero(&[2, 3, 3, 2], 54);
    check(
        "conv_transpose2d_grad_x",
        vec![x.clone(), wt.clone()],
        grad_of(ft, 0),
    );
    check(
        "conv_transpose2d_grad_w",
        vec![x.clone(), wt],
        grad_of(ft, 1),
    );
    // Max pool: the routing is fixed, so d(grad)/dx comes only through the upstream gradient.
    let xp = distinct(&[1, 2, 5, 4], 55);
    let mp = |v: &[Tensor]| {
        v[0].max_pool2d(&Pool2dOptions {
            padding: (1, 0),
            ..Pool2dOptions::new((3, 2))
        })
    };
    check("max_pool2d_grad_x", vec![xp.clone()], grad_of(mp, 0));
    let ap = |v: &[Tensor]| {
        v[0].avg_pool2d(&Pool2dOptions {
            padding: (1, 1),
            stride: (2, 1),
            ..Pool2dOptions::new((3, 2))
        })
    };
    check("avg_pool2d_grad_x", vec![xp.clone()], grad_of(ap, 0));
    let bl = |v: &[Tensor]| v[0].upsample_bilinear2d(UpsampleSize::Size(7, 3), false);
    check("bilinear_grad_x", vec![xp], grad_of(bl, 0));
}

#[test]
fn pooling_configurations() {
    let x = distinct(&[2, 2, 7, 6], 61);
    let p = Pool2dOptions::new;
    check("max_pool2d_2x2", vec![x.clone()], |v| {
        v[0].max_pool2d(&p((2, 2)))
    });
    let overlap = Pool2dOptions {
        stride: (2, 2),
        padding: (1, 1),
        ..p((3, 3))
    };
    check("max_pool2d_overlap_padding", vec![x.clone()], move |v| {
        v[0].max_pool2d(&overlap)
    });
    let ceil = Pool2dOptions {
        stride: (2, 3),
        ceil_mode: true,
        ..p((3, 2))
    };
    check("max_pool2d_ceil", vec![x.clone()], move |v| {
        v[0].max_pool2d(&ceil)
    });
    check("avg_pool2d_2x2", vec![x.clone()], |v| {
        v[0].avg_pool2d(&p((2, 2)))
    });
    let padded = Pool2dOptions {
        stride: (2, 2),
        padding: (1, 1),
        ..p((3, 3))
    };
    check("avg_pool2d_pad_included", vec![x.clone()], move |v| {
        v[0].avg_pool2d(&padded)
    });
    let excluded = Pool2dOptions {
        count_include_pad: false,
        ..padded
    };
    check("avg_pool2d_pad_excluded", vec![x.clone()], move |v| {
        v[0].avg_pool2d(&excluded)
    });
    let ceil_avg = Pool2dOptions {
        stride: (2, 2),
        padding: (1, 0),
        ceil_mode: true,
        ..p((2, 3))
    };
    check("avg_pool2d_ceil", vec![x.clone()], move |v| {
        v[0].avg_pool2d(&ceil_avg)
    });
    check("sum_pool2d", vec![x.clone()], move |v| {
        v[0].sum_pool2d(&padded)
    });
    check("adaptive_avg_pool2d_uneven", vec![x.clone()], |v| {
        v[0].adaptive_avg_pool2d(3, 4)
    });
    check("adaptive_avg_pool2d_up", vec![x.clone()], |v| {
        v[0].adaptive_avg_pool2d(9, 5)
    });
    check("adaptive_max_pool2d_uneven", vec![x.clone()], |v| {
        v[0].adaptive_max_pool2d(4, 4)
    });
    check("global_avg_pool2d", vec![x.clone()], |v| {
        v[0].global_avg_pool2d(false)
    });
    check("global_max_pool2d", vec![x.clone()], |v| {
        v[0].global_max_pool2d(true)
    });
    let y = distinct(&[2, 3, 11], 62);
    let p1 = Pool1dOptions {
        stride: 2,
        padding: 1,
        ..Pool1dOptions::new(3)
    };
    check("max_pool1d", vec![y.clone()], move |v| v[0].max_pool1d(&p1));
    let p1c = Pool1dOptions {
        ceil_mode: true,
        count_include_pad: false,
        ..p1
    };
    check("avg_pool1d", vec![y.clone()], move |v| {
        v[0].avg_pool1d(&p1c)
    });
    check("sum_pool1d", vec![y.clone()], move |v| v[0].sum_pool1d(&p1));
    check("adaptive_avg_pool1d", vec![y.clone()], |v| {
        v[0].adaptive_avg_pool1d(4)
    });
    check("adaptive_max_pool1d", vec![y], |v| {
        v[0].adaptive_max_pool1d(3)
    });
}

#[test]
fn resizing() {
    let x = away_from_zero(&[2, 2, 3, 4], 71);
    check("nearest_scale2", vec![x.clone()], |v| {
        v[0].upsample_nearest2d(UpsampleSize::Scale(2.0, 2.0))
    });
    check("nearest_size_uneven", vec![x.clone()], |v| {
        v[0].upsample_nearest2d(UpsampleSize::Size(5, 7))
    });
    check("nearest_down", vec![x.clone()], |v| {
        v[0].upsample_nearest2d(UpsampleSize::Size(2, 3))
    });
    check("bilinear_up", vec![x.clone()], |v| {
        v[0].upsample_bilinear2d(UpsampleSize::Size(7, 9), false)
    });
    check("bilinear_down", vec![x.clone()], |v| {
        v[0].upsample_bilinear2d(UpsampleSize::Size(2, 3), false)
    });
    check("bilinear_scale", vec![x.clone()], |v| {
        v[0].upsample_bilinear2d(UpsampleSize::Scale(1.5, 2.5), false)
    });
    check("bilinear_align_corners", vec![x], |v| {
        v[0].upsample_bilinear2d(UpsampleSize::Size(5, 6), true)
    });
}

#[test]
fn lenet_block_end_to_end() {
    // conv 'same' + relu + maxpool, as in the benchmark CNN, through one backward. Finite
    // differences are only meaningful without near-ties in the pooling windows, so the test
    // first asserts that every window's best two activations differ by more than 0.05.
    let x = away_from_zero(&[2, 1, 8, 8], 81);
    let w = away_from_zero(&[3, 1, 5, 5], 82);
    let b = away_from_zero(&[3], 83);
    let opts = Conv2dOptions::default().with_same_padding((8, 8), (5, 5));
    let act = x
        .conv2d(&w, Some(&b), &opts)
        .unwrap()
        .relu()
        .unwrap()
        .to_vec();
    for plane in act.chunks(64) {
        for (i, j) in (0..4).flat_map(|i| (0..4).map(move |j| (i, j))) {
            let mut win: Vec<f32> = [(0, 0), (0, 1), (1, 0), (1, 1)]
                .iter()
                .map(|(a, b)| plane[(2 * i + a) * 8 + 2 * j + b])
                .collect();
            win.sort_by(|a, b| b.total_cmp(a));
            assert!(win[0] - win[1] > 0.05 || win[0] == 0.0, "near-tie {win:?}");
        }
    }
    check("lenet_block", vec![x, w, b], move |v| {
        v[0].conv2d(&v[1], Some(&v[2]), &opts)?
            .relu()?
            .max_pool2d(&Pool2dOptions::new((2, 2)))
    });
}
