//! Shape arithmetic shared by the ops: axis normalisation, broadcasting, element counts.

use crate::error::{Error, Result};

/// Number of elements of a shape (1 for a scalar).
pub fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// Row-major (C-contiguous) strides of a shape.
pub fn contiguous_strides(shape: &[usize]) -> Vec<usize> {
    let mut strides = vec![0; shape.len()];
    let mut acc = 1;
    for (stride, &dim) in strides.iter_mut().zip(shape).rev() {
        *stride = acc;
        acc *= dim;
    }
    strides
}

/// Resolves a possibly negative axis (`-1` = last) against a rank.
pub fn normalize_axis(op: &'static str, axis: isize, rank: usize) -> Result<usize> {
    let r = rank as isize;
    let resolved = if axis < 0 { axis + r } else { axis };
    if resolved < 0 || resolved >= r.max(0) {
        return Err(Error::shape(
            op,
            format!("axis {axis} is out of range for a tensor of rank {rank}"),
        ));
    }
    Ok(resolved as usize)
}

/// Resolves a list of axes, rejecting duplicates; the result is sorted.
pub fn normalize_axes(op: &'static str, axes: &[isize], rank: usize) -> Result<Vec<usize>> {
    let mut out = Vec::with_capacity(axes.len());
    for &a in axes {
        let d = normalize_axis(op, a, rank)?;
        if out.contains(&d) {
            return Err(Error::shape(
                op,
                format!("axis {a} appears more than once in {axes:?}"),
            ));
        }
        out.push(d);
    }
    out.sort_unstable();
    Ok(out)
}

/// NumPy broadcasting of two shapes.
pub fn broadcast_shapes(op: &'static str, a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let rank = a.len().max(b.len());
    let mut out = vec![0; rank];
    for i in 0..rank {
        let da = if i < rank - a.len() {
            1
        } else {
            a[i - (rank - a.len())]
        };
        let db = if i < rank - b.len() {
            1
        } else {
            b[i - (rank - b.len())]
        };
        out[i] = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => {
                return Err(Error::mismatch(
                    op,
                    a,
                    b,
                    format!("dimension {i} of the broadcast result: {da} vs {db}"),
                ))
            }
        };
    }
    Ok(out)
}

/// Resolves a user shape that may contain a single `-1` against an element count.
pub fn resolve_shape(op: &'static str, spec: &[isize], total: usize) -> Result<Vec<usize>> {
    let mut infer = None;
    let mut known = 1usize;
    for (i, &d) in spec.iter().enumerate() {
        if d == -1 {
            if infer.replace(i).is_some() {
                return Err(Error::shape(
                    op,
                    format!("only one dimension can be -1, got {spec:?}"),
                ));
            }
        } else if d < 0 {
            return Err(Error::shape(
                op,
                format!("invalid dimension {d} in {spec:?}"),
            ));
        } else {
            known *= d as usize;
        }
    }
    let mut out: Vec<usize> = spec.iter().map(|&d| d.max(0) as usize).collect();
    if let Some(i) = infer {
        if known == 0 || !total.is_multiple_of(known) {
            return Err(Error::shape(
                op,
                format!("cannot infer -1 in {spec:?} for {total} elements"),
            ));
        }
        out[i] = total / known;
    } else if known != total {
        return Err(Error::shape(
            op,
            format!("shape {spec:?} has {known} elements but the tensor has {total}"),
        ));
    }
    Ok(out)
}
