//! User errors of convolution, pooling and resize ops: each is a typed error (ShapeError or
//! ValueError) whose message names the op and the offending shapes or values. Huge shapes give
//! errors, never aborts.

use ferrograd_core::{
    Conv1dOptions, Conv2dOptions, ConvTranspose2dOptions, Error, Pool1dOptions, Pool2dOptions,
    Result, Tensor, UpsampleSize,
};

fn z(shape: &[usize]) -> Tensor {
    Tensor::zeros(shape)
}

/// Asserts `r` failed with `code`, and its message starts with `op:` and contains every `parts`.
#[track_caller]
fn expect_err(r: Result<Tensor>, code: &str, op: &str, parts: &[&str]) -> Error {
    let e = match r {
        Ok(t) => panic!(
            "expected {code} from {op}, got a tensor of shape {:?}",
            t.dims()
        ),
        Err(e) => e,
    };
    let msg = e.to_string();
    assert_eq!(e.code(), code, "{msg}");
    assert!(msg.starts_with(&format!("{op}:")), "{msg}");
    for p in parts {
        assert!(msg.contains(p), "{msg} does not mention {p}");
    }
    e
}

#[test]
fn conv2d_shape_errors() {
    let d = Conv2dOptions::default();
    let w = z(&[4, 3, 3, 3]);
    expect_err(
        z(&[3, 8, 8]).conv2d(&w, None, &d),
        "ShapeError",
        "conv2d",
        &["[3, 8, 8]", "4-D"],
    );
    expect_err(
        z(&[1, 3, 8, 8]).conv2d(&z(&[4, 3, 3]), None, &d),
        "ShapeError",
        "conv2d",
        &["[4, 3, 3]"],
    );
    // Channel mismatch: the error carries both shapes.
    let e = expect_err(
        z(&[1, 2, 8, 8]).conv2d(&w, None, &d),
        "ShapeError",
        "conv2d",
        &["2 channels"],
    );
    assert!(
        matches!(e, Error::ShapeMismatch { ref lhs, ref rhs, .. } if lhs == &[1, 2, 8, 8] && rhs == &[4, 3, 3, 3])
    );
    let g2 = Conv2dOptions { groups: 2, ..d };
    expect_err(
        z(&[1, 3, 8, 8]).conv2d(&w, None, &g2),
        "ShapeError",
        "conv2d",
        &["groups = 2"],
    );
    expect_err(
        z(&[1, 4, 8, 8]).conv2d(&z(&[3, 2, 3, 3]), None, &g2),
        "ShapeError",
        "conv2d",
        &["not divisible by groups = 2"],
    );
    expect_err(
        z(&[1, 3, 8, 8]).conv2d(&w, Some(&z(&[3])), &d),
        "ShapeError",
        "conv2d",
        &["bias", "[4]"],
    );
    // Kernel (dilated) larger than the padded input.
    expect_err(
        z(&[1, 3, 2, 8]).conv2d(&w, None, &d),
        "ShapeError",
        "conv2d",
        &["[1, 3, 2, 8]", "[4, 3, 3, 3]", "only 2"],
    );
    let dil = Conv2dOptions {
        dilation: (1, 4),
        ..d
    };
    expect_err(
        z(&[1, 3, 8, 8]).conv2d(&w, None, &dil),
        "ShapeError",
        "conv2d",
        &["spans 9", "only 8"],
    );
    let padded = Conv2dOptions {
        padding: (0, 1, 0, 0),
        ..d
    };
    assert_eq!(
        z(&[1, 3, 2, 8]).conv2d(&w, None, &padded).unwrap().dims(),
        &[1, 4, 1, 6]
    );
    expect_err(
        z(&[1, 3, 8, 8]).conv2d(&z(&[4, 3, 0, 3]), None, &d),
        "ShapeError",
        "conv2d",
        &["at least 1"],
    );
}

#[test]
fn conv_value_errors() {
    let (x, w) = (z(&[1, 3, 8, 8]), z(&[4, 3, 3, 3]));
    let d = Conv2dOptions::default();
    expect_err(
        x.conv2d(
            &w,
            None,
            &Conv2dOptions {
                stride: (0, 1),
                ..d
            },
        ),
        "ValueError",
        "conv2d",
        &["stride", "[0, 1]"],
    );
    expect_err(
        x.conv2d(
            &w,
            None,
            &Conv2dOptions {
                dilation: (1, 0),
                ..d
            },
        ),
        "ValueError",
        "conv2d",
        &["dilation", "[1, 0]"],
    );
    expect_err(
        x.conv2d(&w, None, &Conv2dOptions { groups: 0, ..d }),
        "ValueError",
        "conv2d",
        &["groups"],
    );
    let c1 = Conv1dOptions {
        stride: 0,
        ..Default::default()
    };
    expect_err(
        z(&[1, 3, 8]).conv1d(&z(&[2, 3, 3]), None, &c1),
        "ValueError",
        "conv1d",
        &["stride"],
    );
}

#[test]
fn conv1d_and_transposed_errors_name_their_op() {
    let c1 = Conv1dOptions::default();
    expect_err(
        z(&[1, 3, 8, 8]).conv1d(&z(&[2, 3, 3]), None, &c1),
        "ShapeError",
        "conv1d",
        &["3-D", "[N, C, L]"],
    );
    expect_err(
        z(&[1, 3, 2]).conv1d(&z(&[2, 3, 3]), None, &c1),
        "ShapeError",
        "conv1d",
        &["[1, 3, 2]", "[2, 3, 3]"],
    );
    let t = ConvTranspose2dOptions::default();
    let x = z(&[1, 3, 4, 4]);
    expect_err(
        x.conv_transpose2d(&z(&[2, 3, 3, 3]), None, &t),
        "ShapeError",
        "convTranspose2d",
        &["3 channels", "[2, 3, 3, 3]"],
    );
    let bad_op = ConvTranspose2dOptions {
        stride: (2, 2),
        output_padding: (2, 0),
        ..t
    };
    expect_err(
        x.conv_transpose2d(&z(&[3, 2, 3, 3]), None, &bad_op),
        "ValueError",
        "convTranspose2d",
        &["output_padding", "[2, 0]"],
    );
    let swallow = ConvTranspose2dOptions {
        padding: (3, 0),
        ..t
    };
    expect_err(
        x.conv_transpose2d(&z(&[3, 2, 3, 3]), None, &swallow),
        "ShapeError",
        "convTranspose2d",
        &["padding"],
    );
    expect_err(
        x.conv_transpose2d(&z(&[3, 2, 3, 3]), Some(&z(&[3])), &t),
        "ShapeError",
        "convTranspose2d",
        &["bias", "[2]"],
    );
    let g = ConvTranspose2dOptions { groups: 2, ..t };
    expect_err(
        x.conv_transpose2d(&z(&[3, 2, 3, 3]), None, &g),
        "ShapeError",
        "convTranspose2d",
        &["groups = 2"],
    );
}

#[test]
fn gradient_products_check_their_shapes() {
    let d = Conv2dOptions::default();
    let e = Tensor::conv2d_input_grad(&z(&[1, 4, 5, 5]), &z(&[4, 3, 3, 3]), (8, 8), &d);
    expect_err(
        e,
        "ShapeError",
        "conv2dInputGrad",
        &["[1, 4, 5, 5]", "[1, 4, 6, 6]"],
    );
    let e = Tensor::conv2d_weight_grad(&z(&[1, 3, 8, 8]), &z(&[1, 4, 6, 5]), (3, 3), &d);
    expect_err(
        e,
        "ShapeError",
        "conv2dWeightGrad",
        &["[1, 4, 6, 5]", "[1, 4, 6, 6]"],
    );
    let ok = Tensor::conv2d_weight_grad(&z(&[1, 3, 8, 8]), &z(&[1, 4, 6, 6]), (3, 3), &d).unwrap();
    assert_eq!(ok.dims(), &[4, 3, 3, 3]);
}

#[test]
fn pooling_errors() {
    let x = z(&[1, 2, 6, 6]);
    let p = Pool2dOptions::new;
    expect_err(
        z(&[2, 6, 6]).max_pool2d(&p((2, 2))),
        "ShapeError",
        "maxPool2d",
        &["[2, 6, 6]"],
    );
    expect_err(
        x.avg_pool2d(&Pool2dOptions {
            stride: (0, 1),
            ..p((2, 2))
        }),
        "ValueError",
        "avgPool2d",
        &["stride 0"],
    );
    expect_err(
        x.max_pool2d(&Pool2dOptions {
            padding: (2, 0),
            ..p((3, 3))
        }),
        "ValueError",
        "maxPool2d",
        &["padding 2", "kernel size 3"],
    );
    expect_err(
        x.max_pool2d(&p((7, 2))),
        "ShapeError",
        "maxPool2d",
        &["[1, 2, 6, 6]", "window of 7"],
    );
    expect_err(
        x.sum_pool2d(&p((0, 2))),
        "ValueError",
        "sumPool2d",
        &["kernel"],
    );
    expect_err(
        z(&[1, 2, 5]).max_pool1d(&Pool1dOptions::new(6)),
        "ShapeError",
        "maxPool1d",
        &["[1, 2, 5]", "window of 6"],
    );
    expect_err(
        x.avg_pool1d(&Pool1dOptions::new(2)),
        "ShapeError",
        "avgPool1d",
        &["3-D"],
    );
    expect_err(
        x.adaptive_avg_pool2d(0, 3),
        "ShapeError",
        "adaptiveAvgPool2d",
        &["output size 0"],
    );
    expect_err(
        z(&[1, 2, 0, 4]).adaptive_max_pool2d(2, 2),
        "ShapeError",
        "adaptiveMaxPool2d",
        &["[1, 2, 0, 4]"],
    );
    expect_err(
        z(&[2, 3]).global_avg_pool2d(false),
        "ShapeError",
        "globalAvgPool2d",
        &["[2, 3]"],
    );
}

#[test]
fn resize_errors() {
    let x = z(&[1, 2, 3, 4]);
    expect_err(
        z(&[2, 3, 4]).upsample_nearest2d(UpsampleSize::Size(2, 2)),
        "ShapeError",
        "upsampleNearest2d",
        &["[2, 3, 4]"],
    );
    expect_err(
        x.upsample_bilinear2d(UpsampleSize::Size(0, 5), false),
        "ValueError",
        "upsampleBilinear2d",
        &["height", "3 -> 0"],
    );
    expect_err(
        x.upsample_nearest2d(UpsampleSize::Scale(2.0, f64::NAN)),
        "ValueError",
        "upsampleNearest2d",
        &["width", "NaN"],
    );
    expect_err(
        x.upsample_nearest2d(UpsampleSize::Scale(-1.0, 2.0)),
        "ValueError",
        "upsampleNearest2d",
        &["-1"],
    );
}

#[test]
fn huge_shapes_are_value_errors_not_aborts() {
    let (x, w) = (z(&[1, 1, 1, 1]), z(&[1, 1, 1, 1]));
    let huge = 1usize << 40;
    let pad = Conv2dOptions {
        padding: (huge, huge, huge, huge),
        ..Default::default()
    };
    expect_err(
        x.conv2d(&w, None, &pad),
        "ValueError",
        "conv2d",
        &["too large"],
    );
    // 2^21 x 2^21 floats (16 TiB): the size fits in usize, the allocation fails.
    let big = 1usize << 20;
    let pad = Conv2dOptions {
        padding: (big, big, big, big),
        ..Default::default()
    };
    expect_err(
        x.conv2d(&w, None, &pad),
        "ValueError",
        "conv2d",
        &["allocate"],
    );
    let up = ConvTranspose2dOptions {
        stride: (1 << 22, 1 << 22),
        ..Default::default()
    };
    expect_err(
        z(&[1, 1, 2, 2]).conv_transpose2d(&z(&[1, 1, 2, 2]), None, &up),
        "ValueError",
        "conv2dInputGrad",
        &["allocate"],
    );
    expect_err(
        x.upsample_nearest2d(UpsampleSize::Size(1 << 31, 1 << 31)),
        "ValueError",
        "upsampleNearest2d",
        &["allocate"],
    );
    expect_err(
        x.upsample_bilinear2d(UpsampleSize::Scale(1e300, 1.0), false),
        "ValueError",
        "upsampleBilinear2d",
        &["scale factor"],
    );
    // Window tables grow with the output size: refused before they are built.
    expect_err(
        z(&[4, 4, 2, 2]).adaptive_avg_pool2d(1 << 40, 1),
        "ValueError",
        "adaptiveAvgPool2d",
        &["allocate"],
    );
}
