use crate::binary::binary_contiguous_with;
use crate::testutil::{assert_close, data, levels, SIZES};
use crate::{binary_contiguous, BinaryOp, KernelError};

pub(crate) const OPS: [BinaryOp; 13] = [
    BinaryOp::Add,
    BinaryOp::Sub,
    BinaryOp::Mul,
    BinaryOp::Div,
    BinaryOp::Pow,
    BinaryOp::Maximum,
    BinaryOp::Minimum,
    BinaryOp::Eq,
    BinaryOp::Ne,
    BinaryOp::Lt,
    BinaryOp::Le,
    BinaryOp::Gt,
    BinaryOp::Ge,
];

pub(crate) fn reference(op: BinaryOp, a: f32, b: f32) -> f64 {
    let (x, y) = (f64::from(a), f64::from(b));
    let t = |c: bool| if c { 1.0 } else { 0.0 };
    match op {
        // Exact in f32: compare the f32 result.
        BinaryOp::Add => f64::from(a + b),
        BinaryOp::Sub => f64::from(a - b),
        BinaryOp::Mul => f64::from(a * b),
        BinaryOp::Div => f64::from(a / b),
        BinaryOp::Pow => f64::from(a.powf(b)),
        BinaryOp::Maximum => {
            if x.is_nan() || y.is_nan() {
                f64::NAN
            } else {
                x.max(y)
            }
        }
        BinaryOp::Minimum => {
            if x.is_nan() || y.is_nan() {
                f64::NAN
            } else {
                x.min(y)
            }
        }
        BinaryOp::Eq => t(a == b),
        BinaryOp::Ne => t(a != b),
        BinaryOp::Lt => t(a < b),
        BinaryOp::Le => t(a <= b),
        BinaryOp::Gt => t(a > b),
        BinaryOp::Ge => t(a >= b),
    }
}

pub(crate) fn operands(n: usize, seed: u64) -> (Vec<f32>, Vec<f32>) {
    let mut a = data(n, seed, -4.0, 4.0);
    let mut b = data(n, seed + 1, -4.0, 4.0);
    // Exact ties and NaNs exercise comparisons and NaN propagation.
    let specials = [
        (1.0, 1.0),
        (f32::NAN, 2.0),
        (2.0, f32::NAN),
        (0.0, -0.0),
        (f32::INFINITY, 1.0),
        (-3.0, 2.0),
        (2.0, 0.5),
    ];
    for (i, (x, y)) in specials.into_iter().enumerate().take(n) {
        a[i] = x;
        b[i] = y;
    }
    (a, b)
}

#[test]
fn all_ops_all_levels_all_sizes() {
    for level in levels() {
        for op in OPS {
            for &n in &SIZES {
                let (a, b) = operands(n, n as u64);
                let mut out = vec![f32::NAN; n];
                binary_contiguous_with(level, op, &a, &b, &mut out).unwrap();
                let want: Vec<f64> = a
                    .iter()
                    .zip(&b)
                    .map(|(&x, &y)| reference(op, x, y))
                    .collect();
                assert_close(&format!("{op:?} {level:?} n={n}"), &out, &want, 0.0, 0.0);
            }
        }
    }
}

#[test]
fn bad_lengths_are_errors() {
    let mut out = [0.0; 2];
    assert!(matches!(
        binary_contiguous(BinaryOp::Add, &[1.0, 2.0], &[1.0], &mut out),
        Err(KernelError::BadLength { .. })
    ));
    let mut out = [0.0; 3];
    assert!(binary_contiguous(BinaryOp::Add, &[1.0, 2.0], &[1.0, 2.0], &mut out).is_err());
}
