use crate::reduce::reduce_with;
use crate::testutil::{assert_close, data, levels, SIZES, THREAD_LOCK};
use crate::{reduce, KernelError, ReduceOp};

const OPS: [ReduceOp; 6] = [
    ReduceOp::Sum,
    ReduceOp::Max,
    ReduceOp::Min,
    ReduceOp::ArgMax,
    ReduceOp::ArgMin,
    ReduceOp::LogSumExp,
];

fn reference(op: ReduceOp, x: &[f32], outer: usize, len: usize, inner: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(outer * inner);
    for o in 0..outer {
        for i in 0..inner {
            let v: Vec<f64> = (0..len)
                .map(|l| f64::from(x[(o * len + l) * inner + i]))
                .collect();
            let nan = v.iter().any(|x| x.is_nan());
            let first_nan = v.iter().position(|x| x.is_nan());
            let r = match op {
                ReduceOp::Sum => v.iter().sum(),
                ReduceOp::Max if nan => f64::NAN,
                ReduceOp::Min if nan => f64::NAN,
                ReduceOp::Max => v.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
                ReduceOp::Min => v.iter().cloned().fold(f64::INFINITY, f64::min),
                ReduceOp::ArgMax | ReduceOp::ArgMin if nan => first_nan.unwrap_or(0) as f64,
                ReduceOp::ArgMax => {
                    let m = v.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                    v.iter().position(|&x| x == m).unwrap_or(0) as f64
                }
                ReduceOp::ArgMin => {
                    let m = v.iter().cloned().fold(f64::INFINITY, f64::min);
                    v.iter().position(|&x| x == m).unwrap_or(0) as f64
                }
                ReduceOp::LogSumExp => {
                    let m = v.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                    if nan {
                        f64::NAN
                    } else if m.is_infinite() {
                        m
                    } else {
                        m + v.iter().map(|x| (x - m).exp()).sum::<f64>().ln()
                    }
                }
            };
            out.push(r);
        }
    }
    out
}

fn check(level: crate::SimdLevel, op: ReduceOp, x: &[f32], outer: usize, len: usize, inner: usize) {
    let mut out = vec![f32::NAN; outer * inner];
    reduce_with(level, op, x, outer, len, inner, &mut out).unwrap();
    let want = reference(op, x, outer, len, inner);
    // Sum tolerance scales with the magnitude of the terms (cancellation):
    // compare against Σ|x| rather than the possibly tiny result.
    let abs = if op == ReduceOp::Sum {
        let mags = reference(
            ReduceOp::Sum,
            &x.iter().map(|v| v.abs()).collect::<Vec<_>>(),
            outer,
            len,
            inner,
        );
        mags.iter().cloned().fold(0.0, f64::max) * 1e-6
    } else {
        1e-6
    };
    assert_close(
        &format!("{op:?} {level:?} [{outer},{len},{inner}]"),
        &out,
        &want,
        1e-6,
        abs,
    );
}

#[test]
fn rows_all_levels_all_sizes() {
    for level in levels() {
        for op in OPS {
            for &len in &SIZES[1..] {
                let mut x = data(3 * len, len as u64, -3.0, 3.0);
                if len > 10 {
                    // Ties: the first occurrence must win for arg-reductions.
                    x[len + 2] = 9.0;
                    x[len + 5] = 9.0;
                    x[2 * len + 4] = -9.0;
                    x[2 * len + 8] = -9.0;
                }
                check(level, op, &x, 3, len, 1);
            }
        }
    }
}

#[test]
fn columns_all_levels() {
    for level in levels() {
        for op in OPS {
            for &(outer, len, inner) in &[
                (1, 1, 7),
                (2, 7, 17),
                (3, 17, 5),
                (2, 1023, 33),
                (1, 100_003, 2),
                (4, 3, 70),
                (1, 33, 1000),
            ] {
                let mut x = data(outer * len * inner, (len * inner) as u64, -3.0, 3.0);
                if len > 5 {
                    x[2 * inner] = 50.0;
                    x[4 * inner] = 50.0;
                }
                check(level, op, &x, outer, len, inner);
            }
        }
    }
}

#[test]
fn nan_and_inf_semantics() {
    for level in levels() {
        for (inner, len) in [(1, 40), (3, 40), (1, 13)] {
            let mut x = data(len * inner, 4, -1.0, 1.0);
            x[7 * inner] = f32::NAN;
            x[9 * inner] = f32::NAN;
            x[11 * inner + (inner - 1)] = f32::INFINITY;
            for op in OPS {
                check(level, op, &x, 1, len, inner);
            }
            let all_neg_inf = vec![f32::NEG_INFINITY; len * inner];
            for op in OPS {
                check(level, op, &all_neg_inf, 1, len, inner);
            }
        }
    }
}

#[test]
fn sum_of_a_million_is_accurate() {
    // Positive terms: naive f32 summation drifts by ~1e-4 here.
    let x = data(1_000_000, 42, 0.0, 1.0);
    let exact: f64 = x.iter().map(|&v| f64::from(v)).sum();
    for level in levels() {
        let mut out = [0.0f32];
        reduce_with(level, ReduceOp::Sum, &x, 1, x.len(), 1, &mut out).unwrap();
        let rel = (f64::from(out[0]) - exact).abs() / exact;
        assert!(rel < 1e-6, "{level:?}: rel err {rel:e}");
        // Column path: [1, 500_000, 2].
        let mut out2 = [0.0f32; 2];
        reduce_with(level, ReduceOp::Sum, &x, 1, 500_000, 2, &mut out2).unwrap();
        for (c, &got) in out2.iter().enumerate() {
            let e: f64 = x.iter().skip(c).step_by(2).map(|&v| f64::from(v)).sum();
            let rel = (f64::from(got) - e).abs() / e;
            assert!(rel < 1e-6, "{level:?} col {c}: rel err {rel:e}");
        }
    }
}

#[test]
fn thread_count_does_not_change_results() {
    let _g = THREAD_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let x = data(3_000_000, 8, -1.0, 1.0);
    let run = |op, outer, len, inner| {
        let mut out = vec![0.0; outer * inner];
        reduce(op, &x[..outer * len * inner], outer, len, inner, &mut out).unwrap();
        out
    };
    for &(outer, len, inner) in &[
        (1, 3_000_000, 1),
        (3000, 1000, 1),
        (1, 1000, 3000),
        (7, 1000, 33),
    ] {
        for op in [ReduceOp::Sum, ReduceOp::LogSumExp, ReduceOp::ArgMax] {
            crate::set_num_threads(1).unwrap();
            let a = run(op, outer, len, inner);
            crate::set_num_threads(2).unwrap();
            let b = run(op, outer, len, inner);
            assert_eq!(a, b, "{op:?} [{outer},{len},{inner}]");
        }
    }
}

#[test]
fn empty_and_invalid() {
    let mut out = [5.0f32; 3];
    reduce(ReduceOp::Sum, &[], 3, 0, 1, &mut out).unwrap();
    assert_eq!(out, [0.0; 3]);
    for op in [
        ReduceOp::Max,
        ReduceOp::Min,
        ReduceOp::ArgMax,
        ReduceOp::LogSumExp,
    ] {
        assert_eq!(
            reduce(op, &[], 3, 0, 1, &mut out),
            Err(KernelError::EmptyReduction { kernel: "reduce" })
        );
    }
    assert!(matches!(
        reduce(ReduceOp::Sum, &[1.0; 5], 2, 3, 1, &mut out[..2]),
        Err(KernelError::BadLength { .. })
    ));
    assert!(matches!(
        reduce(ReduceOp::Sum, &[1.0; 6], 2, 3, 1, &mut out),
        Err(KernelError::BadLength { .. })
    ));
    assert!(matches!(
        reduce(ReduceOp::Sum, &[], usize::MAX, 2, 2, &mut out),
        Err(KernelError::Overflow { .. })
    ));
}
