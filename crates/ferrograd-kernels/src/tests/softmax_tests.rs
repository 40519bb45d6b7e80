use crate::softmax::softmax_with;
use crate::testutil::{assert_close, data, levels, SIZES};
use crate::{softmax, KernelError};

fn reference(x: &[f32], outer: usize, len: usize, inner: usize, log: bool) -> Vec<f64> {
    let mut out = vec![0.0; x.len()];
    for o in 0..outer {
        for i in 0..inner {
            let idx = |l: usize| (o * len + l) * inner + i;
            let m = (0..len)
                .map(|l| f64::from(x[idx(l)]))
                .fold(f64::NEG_INFINITY, f64::max);
            let s: f64 = (0..len).map(|l| (f64::from(x[idx(l)]) - m).exp()).sum();
            for l in 0..len {
                let v = f64::from(x[idx(l)]) - m;
                out[idx(l)] = if log { v - s.ln() } else { v.exp() / s };
            }
        }
    }
    out
}

#[test]
fn softmax_matches_reference() {
    for level in levels() {
        for log in [false, true] {
            let mut shapes: Vec<(usize, usize, usize)> =
                SIZES[1..].iter().map(|&n| (2, n, 1)).collect();
            shapes.extend([(3, 7, 17), (2, 17, 5), (1, 1023, 33), (2, 5, 64), (1, 1, 3)]);
            for (outer, len, inner) in shapes {
                // Large logits: an unshifted exp would overflow.
                let x = data(outer * len * inner, len as u64, -80.0, 120.0);
                let mut out = vec![f32::NAN; x.len()];
                softmax_with(level, &x, outer, len, inner, &mut out, log).unwrap();
                let want = reference(&x, outer, len, inner, log);
                let (rel, abs) = if log { (2e-6, 2e-5) } else { (1e-5, 1e-9) };
                assert_close(
                    &format!("log={log} {level:?} [{outer},{len},{inner}]"),
                    &out,
                    &want,
                    rel,
                    abs,
                );
                if !log {
                    for o in 0..outer {
                        for i in 0..inner {
                            let s: f32 = (0..len).map(|l| out[(o * len + l) * inner + i]).sum();
                            assert!((s - 1.0).abs() < 1e-4, "row sum {s}");
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn nan_poisons_only_its_slice_and_errors() {
    for level in levels() {
        let mut x = vec![0.5f32; 2 * 20];
        x[3] = f32::NAN;
        let mut out = vec![0.0; x.len()];
        softmax_with(level, &x, 2, 20, 1, &mut out, false).unwrap();
        assert!(out[..20].iter().all(|v| v.is_nan()));
        assert!(out[20..].iter().all(|v| (v - 0.05).abs() < 1e-7));
    }
    let mut out = [0.0; 4];
    assert!(matches!(
        softmax(&[0.0; 3], 1, 4, 1, &mut out, false),
        Err(KernelError::BadLength { .. })
    ));
    softmax(&[], 0, 4, 1, &mut [], true).unwrap();
}

#[test]
fn large_softmax_is_thread_count_independent() {
    let _g = crate::testutil::THREAD_LOCK
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    for &(outer, len, inner) in &[(300, 1000, 1), (4, 300, 300)] {
        let x = data(outer * len * inner, 77, -10.0, 10.0);
        let mut runs = Vec::new();
        for t in [1, 2] {
            crate::set_num_threads(t).unwrap();
            let mut out = vec![0.0; x.len()];
            softmax(&x, outer, len, inner, &mut out, false).unwrap();
            runs.push(out);
        }
        assert_eq!(runs[0], runs[1]);
        let want = reference(&x, outer, len, inner, false);
        assert_close("large softmax", &runs[0], &want, 1e-5, 1e-9);
    }
}
