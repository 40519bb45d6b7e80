use super::binary_tests::{operands, reference, OPS};
use crate::strided::{binary_strided_with, where_strided_with};
use crate::testutil::{assert_close, data, levels};
use crate::{binary_strided, copy_strided, where_strided, BinaryOp, KernelError};

/// Element `idx` of a strided view.
fn at(d: &[f32], off: usize, st: &[usize], idx: &[usize]) -> f32 {
    d[off + idx.iter().zip(st).map(|(i, s)| i * s).sum::<usize>()]
}

/// All multi-indices of `shape` in row-major order.
fn indices(shape: &[usize]) -> Vec<Vec<usize>> {
    let n: usize = shape.iter().product();
    (0..n)
        .map(|mut f| {
            let mut idx = vec![0; shape.len()];
            for d in (0..shape.len()).rev() {
                idx[d] = f % shape[d];
                f /= shape[d];
            }
            idx
        })
        .collect()
}

fn contiguous_strides(shape: &[usize]) -> Vec<usize> {
    let mut st = vec![1; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        st[d] = st[d + 1] * shape[d + 1];
    }
    st
}

/// (shape, a strides, b strides, a offset, b offset) cases: contiguous,
/// broadcast rows/cols/scalars, transposed, and sliced views.
/// (shape, a strides, b strides, a offset, b offset)
type Case = (Vec<usize>, Vec<usize>, Vec<usize>, usize, usize);

fn cases() -> Vec<Case> {
    vec![
        (vec![], vec![], vec![], 0, 0),
        (vec![1023], vec![1], vec![1], 0, 0),
        (vec![100_003], vec![1], vec![0], 0, 3),
        (vec![4, 5], vec![5, 1], vec![0, 1], 0, 0),
        (vec![4, 5], vec![5, 1], vec![1, 0], 2, 0),
        (vec![7, 17], vec![1, 7], vec![17, 1], 0, 0),
        (vec![3, 4, 17], vec![68, 17, 1], vec![0, 1, 0], 0, 1),
        (vec![2, 3, 4, 5], vec![60, 20, 5, 1], vec![0, 1, 0, 0], 0, 0),
        (vec![300, 301], vec![1, 300], vec![0, 1], 0, 0),
        (vec![64, 130], vec![260, 2], vec![131, 1], 1, 0),
        (vec![1, 1, 9], vec![0, 0, 3], vec![9, 9, 1], 0, 0),
        (vec![5, 0, 3], vec![0, 3, 1], vec![3, 3, 1], 0, 0),
        (vec![40, 1000], vec![1000, 1], vec![0, 0], 0, 0),
        (vec![5000, 3], vec![1, 5000], vec![0, 1], 0, 2),
        (vec![700, 1000], vec![1000, 1], vec![0, 1], 0, 0),
        (vec![3000, 20], vec![20, 1], vec![1, 3000], 0, 0),
    ]
}

fn span(shape: &[usize], st: &[usize], off: usize) -> usize {
    if shape.contains(&0) {
        return off;
    }
    off + shape
        .iter()
        .zip(st)
        .map(|(n, s)| (n - 1) * s)
        .sum::<usize>()
        + 1
}

#[test]
fn binary_strided_matches_reference() {
    for level in levels() {
        for (shape, sa, sb, oa, ob) in cases() {
            let (a, _) = operands(span(&shape, &sa, oa), 11);
            let (_, b) = operands(span(&shape, &sb, ob), 12);
            let n: usize = shape.iter().product();
            for op in OPS {
                let mut out = vec![f32::NAN; n];
                binary_strided_with(level, op, &shape, (&a, oa, &sa), (&b, ob, &sb), &mut out)
                    .unwrap();
                let want: Vec<f64> = indices(&shape)
                    .iter()
                    .map(|i| reference(op, at(&a, oa, &sa, i), at(&b, ob, &sb, i)))
                    .collect();
                assert_close(
                    &format!("{op:?} {level:?} {shape:?} {sa:?} {sb:?}"),
                    &out,
                    &want,
                    0.0,
                    0.0,
                );
            }
        }
    }
}

#[test]
fn where_strided_matches_reference() {
    for level in levels() {
        for (shape, sa, sb, oa, ob) in cases() {
            let a = data(span(&shape, &sa, oa), 1, -1.0, 1.0);
            let b = data(span(&shape, &sb, ob), 2, -1.0, 1.0);
            // Condition broadcast along the last dim when there is one.
            let mut sc = contiguous_strides(&shape);
            if let Some(l) = sc.last_mut() {
                *l = 0;
            }
            let mut c: Vec<f32> = data(span(&shape, &sc, 0), 3, -1.0, 1.0)
                .into_iter()
                .map(|v| if v > 0.0 { 1.0 } else { 0.0 })
                .collect();
            if let Some(v) = c.first_mut() {
                *v = f32::NAN; // NaN counts as true
            }
            let n: usize = shape.iter().product();
            let mut out = vec![0.0; n];
            where_strided_with(
                level,
                &shape,
                (&c, 0, &sc),
                (&a, oa, &sa),
                (&b, ob, &sb),
                &mut out,
            )
            .unwrap();
            let want: Vec<f64> = indices(&shape)
                .iter()
                .map(|i| {
                    let cv = at(&c, 0, &sc, i);
                    f64::from(if cv != 0.0 {
                        at(&a, oa, &sa, i)
                    } else {
                        at(&b, ob, &sb, i)
                    })
                })
                .collect();
            assert_close(&format!("where {level:?} {shape:?}"), &out, &want, 0.0, 0.0);
        }
    }
}

#[test]
fn copy_strided_matches_reference() {
    for (shape, sa, _, oa, _) in cases() {
        let src = data(span(&shape, &sa, oa), 5, -1.0, 1.0);
        let n: usize = shape.iter().product();
        let mut out = vec![0.0; n];
        copy_strided(&shape, &src, oa, &sa, &mut out).unwrap();
        let want: Vec<f64> = indices(&shape)
            .iter()
            .map(|i| f64::from(at(&src, oa, &sa, i)))
            .collect();
        assert_close(&format!("copy {shape:?} {sa:?}"), &out, &want, 0.0, 0.0);
    }
    // Large transposes (tiled path) incl. a batch dim and odd sizes.
    for shape in [vec![513, 1031], vec![3, 200, 77], vec![1000, 1000]] {
        let nd = shape.len();
        let mut st = contiguous_strides(&shape);
        st.swap(nd - 1, nd - 2);
        // Make it a real transpose of a [.., n, m] contiguous buffer.
        st[nd - 1] = shape[nd - 2];
        st[nd - 2] = 1;
        let src = data(shape.iter().product(), 9, -1.0, 1.0);
        let mut out = vec![0.0; src.len()];
        copy_strided(&shape, &src, 0, &st, &mut out).unwrap();
        let want: Vec<f64> = indices(&shape)
            .iter()
            .map(|i| f64::from(at(&src, 0, &st, i)))
            .collect();
        assert_close(&format!("transpose {shape:?}"), &out, &want, 0.0, 0.0);
    }
}

#[test]
fn strided_validation_errors() {
    let a = [0.0f32; 6];
    let mut out = [0.0f32; 6];
    // Out-of-bounds view.
    assert!(matches!(
        binary_strided(
            BinaryOp::Add,
            &[2, 3],
            &a,
            1,
            &[3, 1],
            &a,
            0,
            &[3, 1],
            &mut out
        ),
        Err(KernelError::OutOfBounds { .. })
    ));
    // Rank mismatch.
    assert!(matches!(
        copy_strided(&[2, 3], &a, 0, &[1], &mut out),
        Err(KernelError::RankMismatch { .. })
    ));
    // Wrong output length.
    assert!(matches!(
        where_strided(
            &[2, 3],
            (&a, 0, &[3, 1]),
            (&a, 0, &[3, 1]),
            (&a, 0, &[3, 1]),
            &mut out[..5]
        ),
        Err(KernelError::BadLength { .. })
    ));
}
