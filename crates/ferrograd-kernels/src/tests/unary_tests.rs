use crate::testutil::{assert_close, data, erf64, levels, SIZES};
use crate::unary::unary_with;
use crate::{unary, KernelError, UnaryOp};

const SPECIALS: [f32; 16] = [
    0.0,
    -0.0,
    f32::INFINITY,
    f32::NEG_INFINITY,
    f32::NAN,
    1e-40,
    -1e-40,
    100.0,
    -100.0,
    88.7,
    -88.7,
    1e-6,
    -1e-6,
    2.5,
    -0.5,
    1e30,
];

fn reference(op: UnaryOp, x: f32) -> f64 {
    let v = f64::from(x);
    match op {
        UnaryOp::Neg => -v,
        UnaryOp::Exp => v.exp(),
        UnaryOp::Log => v.ln(),
        UnaryOp::Sqrt => v.sqrt(),
        UnaryOp::Abs => v.abs(),
        UnaryOp::Sign => {
            if v.is_nan() {
                v
            } else if v > 0.0 {
                1.0
            } else if v < 0.0 {
                -1.0
            } else {
                0.0
            }
        }
        UnaryOp::Recip => 1.0 / v,
        UnaryOp::Square => v * v,
        UnaryOp::Sigmoid => 1.0 / (1.0 + (-v).exp()),
        UnaryOp::Tanh => v.tanh(),
        UnaryOp::Relu => {
            if v.is_nan() {
                v
            } else {
                v.max(0.0)
            }
        }
        UnaryOp::Erf => erf64(v),
        UnaryOp::Softplus => {
            if v.is_nan() {
                v
            } else {
                v.max(0.0) + (-v.abs()).exp().ln_1p()
            }
        }
        UnaryOp::Sin => v.sin(),
        UnaryOp::Cos => v.cos(),
        UnaryOp::Floor => v.floor(),
        UnaryOp::Ceil => v.ceil(),
        UnaryOp::Round => v.round_ties_even(),
        UnaryOp::LeakyRelu(a) => {
            if v > 0.0 {
                v
            } else {
                v * f64::from(a)
            }
        }
        UnaryOp::Elu(a) => {
            if v > 0.0 {
                v
            } else {
                f64::from(a) * v.exp_m1()
            }
        }
        UnaryOp::PowScalar(p) => v.powf(f64::from(p)),
        UnaryOp::Clamp(lo, hi) => {
            if v.is_nan() {
                v
            } else {
                v.max(f64::from(lo)).min(f64::from(hi))
            }
        }
        UnaryOp::AddScalar(c) => f64::from(x + c),
        UnaryOp::MulScalar(c) => f64::from(x * c),
        UnaryOp::Step => {
            if v > 0.0 {
                1.0
            } else {
                0.0
            }
        }
    }
}

const OPS: [UnaryOp; 31] = [
    UnaryOp::Neg,
    UnaryOp::Exp,
    UnaryOp::Log,
    UnaryOp::Sqrt,
    UnaryOp::Abs,
    UnaryOp::Sign,
    UnaryOp::Recip,
    UnaryOp::Square,
    UnaryOp::Sigmoid,
    UnaryOp::Tanh,
    UnaryOp::Relu,
    UnaryOp::Erf,
    UnaryOp::Softplus,
    UnaryOp::Sin,
    UnaryOp::Cos,
    UnaryOp::Floor,
    UnaryOp::Ceil,
    UnaryOp::Round,
    UnaryOp::LeakyRelu(0.01),
    UnaryOp::Elu(1.5),
    UnaryOp::PowScalar(2.0),
    UnaryOp::PowScalar(3.0),
    UnaryOp::PowScalar(0.5),
    UnaryOp::PowScalar(-1.0),
    UnaryOp::PowScalar(-2.0),
    UnaryOp::PowScalar(0.0),
    UnaryOp::PowScalar(1.7),
    UnaryOp::Clamp(-0.5, 2.0),
    UnaryOp::AddScalar(1.25),
    UnaryOp::MulScalar(-3.0),
    UnaryOp::Step,
];

fn inputs(n: usize, seed: u64, lo: f32, hi: f32) -> Vec<f32> {
    let mut x = data(n, seed, lo, hi);
    for (d, s) in x.iter_mut().zip(SPECIALS) {
        *d = s;
    }
    x
}

#[test]
fn all_ops_all_levels_all_sizes() {
    for level in levels() {
        for op in OPS {
            for (si, &n) in SIZES.iter().enumerate() {
                // Mix of moderate and wide ranges; specials at the front.
                let (lo, hi) = if si % 2 == 0 {
                    (-10.0, 10.0)
                } else {
                    (-120.0, 120.0)
                };
                let x = inputs(n, si as u64 + 7, lo, hi);
                let mut out = vec![f32::NAN; n];
                unary_with(level, op, &x, &mut out).unwrap();
                let want: Vec<f64> = x.iter().map(|&v| reference(op, v)).collect();
                // Polynomial approximations: ~2e-6 relative; absolute floor
                // covers results that are tiny because of cancellation
                // (sin near kπ, erf/tanh near 0 are relative-accurate anyway).
                let (rel, abs) = match op {
                    UnaryOp::Sin | UnaryOp::Cos => (2e-6, 2e-7),
                    _ => (2e-6, 1e-7),
                };
                assert_close(&format!("{op:?} {level:?} n={n}"), &out, &want, rel, abs);
            }
        }
    }
}

#[test]
fn dense_accuracy_of_transcendentals() {
    // A fine sweep catches polynomial/branch-boundary errors (e.g. erf at |x|=1,
    // tanh at 0.625) that random data could miss.
    let x: Vec<f32> = (-200_000..200_000).map(|i| i as f32 * 4e-5).collect();
    for level in levels() {
        for op in [
            UnaryOp::Exp,
            UnaryOp::Tanh,
            UnaryOp::Sigmoid,
            UnaryOp::Erf,
            UnaryOp::Softplus,
            UnaryOp::Sin,
            UnaryOp::Cos,
            UnaryOp::Elu(1.0),
        ] {
            let mut out = vec![0.0; x.len()];
            unary_with(level, op, &x, &mut out).unwrap();
            let want: Vec<f64> = x.iter().map(|&v| reference(op, v)).collect();
            assert_close(&format!("{op:?} {level:?} sweep"), &out, &want, 2e-6, 1e-7);
        }
        let pos: Vec<f32> = (1..400_000).map(|i| i as f32 * 1e-4).collect();
        let mut out = vec![0.0; pos.len()];
        unary_with(level, UnaryOp::Log, &pos, &mut out).unwrap();
        let want: Vec<f64> = pos.iter().map(|&v| f64::from(v).ln()).collect();
        assert_close(&format!("log {level:?} sweep"), &out, &want, 2e-6, 1e-7);
    }
}

#[test]
fn large_arguments_are_stable() {
    let x = [100.0f32, -100.0, 1e6, -1e6, 30.0, -30.0];
    for level in levels() {
        for op in [UnaryOp::Sigmoid, UnaryOp::Tanh, UnaryOp::Softplus] {
            let mut out = [0.0; 6];
            unary_with(level, op, &x, &mut out).unwrap();
            assert!(
                out.iter().all(|v| v.is_finite()),
                "{op:?} {level:?}: {out:?}"
            );
        }
        let mut out = [0.0; 6];
        unary_with(level, UnaryOp::Sin, &x, &mut out).unwrap();
        assert!((out[2] - 1e6f32.sin()).abs() < 1e-6);
    }
}

#[test]
fn length_mismatch_is_an_error() {
    let mut out = [0.0; 3];
    assert_eq!(
        unary(UnaryOp::Exp, &[1.0, 2.0], &mut out),
        Err(KernelError::BadLength {
            kernel: "unary",
            expected: 2,
            got: 3
        })
    );
}

#[test]
fn result_is_independent_of_thread_count() {
    let _g = crate::testutil::THREAD_LOCK
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let x = data(300_001, 3, -5.0, 5.0);
    let mut a = vec![0.0; x.len()];
    let mut b = vec![0.0; x.len()];
    crate::set_num_threads(1).unwrap();
    unary(UnaryOp::Erf, &x, &mut a).unwrap();
    crate::set_num_threads(2).unwrap();
    unary(UnaryOp::Erf, &x, &mut b).unwrap();
    assert_eq!(a, b);
}
