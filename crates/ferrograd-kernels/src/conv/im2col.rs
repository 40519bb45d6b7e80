//! im2col and its adjoint col2im for NCHW data.
//!
//! Row `r` of the column matrix of channels `c0..` is the kernel tap
//! `(c0 + r / (kh·kw), (r / kw) % kh, r % kw)`; its columns are the output
//! positions `(image, oh, ow)` of a run of output rows. Positions that fall in
//! the padding read as zero (im2col) or are dropped (col2im).

use super::Conv2dGeometry;

/// Output positions `o < out_len` whose input coordinate `o*stride + tap - pad`
/// lies in `0..in_len`, as a (possibly empty) range `lo..hi`.
///
/// The geometry was validated, so `in_len + pad` and `o*stride + tap` fit.
#[inline]
pub(super) fn valid_range(
    out_len: usize,
    in_len: usize,
    stride: usize,
    tap: usize,
    pad: usize,
) -> (usize, usize) {
    let lo = if pad > tap {
        (pad - tap).div_ceil(stride)
    } else {
        0
    };
    let hi = if in_len + pad > tap {
        (in_len + pad - tap).div_ceil(stride)
    } else {
        0
    };
    let lo = lo.min(out_len);
    (lo, hi.min(out_len).max(lo))
}

/// Decomposes row `r` of a column matrix into (channel offset, tap row, tap column).
#[inline]
fn tap(g: &Conv2dGeometry, r: usize) -> (usize, usize, usize) {
    let (kh, kw) = g.kernel;
    (r / (kh * kw), (r / kw) % kh, r % kw)
}

/// True when consecutive output rows of one tap read consecutive input rows laid end to end:
/// stride 1 and output width = input width ('same'-style padding). Then all output rows of a tap
/// form one shifted copy of the input plane, except for the columns that wrap around an edge.
#[inline]
fn shifted_planes(g: &Conv2dGeometry) -> bool {
    g.stride == (1, 1) && g.out_w == g.in_w
}

/// Fills rows `r0..r0 + rows.len() / row_len` of the column matrix of channels starting at `c0`,
/// for the output rows `t0..t1` of the flattened `(image, oh)` axis (`row_len = (t1 - t0) * out_w`).
pub(super) fn im2col_rows(
    g: &Conv2dGeometry,
    x: &[f32],
    c0: usize,
    r0: usize,
    t0: usize,
    t1: usize,
    rows: &mut [f32],
) {
    let (ow, (h, w)) = (g.out_w, (g.in_h, g.in_w));
    let row_len = (t1 - t0) * ow;
    if row_len == 0 {
        return;
    }
    let (sh, sw) = g.stride;
    let (dh, dw) = g.dilation;
    let (pt, pl) = g.pad;
    let shifted = shifted_planes(g);
    for (ri, row) in rows.chunks_exact_mut(row_len).enumerate() {
        let (dc, ki, kj) = tap(g, r0 + ri);
        let c = c0 + dc;
        let (w_lo, w_hi) = valid_range(ow, w, sw, kj * dw, pl);
        let (h_lo, h_hi) = valid_range(g.out_h, h, sh, ki * dh, pt);
        // One image's share of the tile at a time: output rows a..b of image n.
        let mut t = t0;
        while t < t1 {
            let (n, a) = (t / g.out_h, t % g.out_h);
            let b = (g.out_h).min(a + (t1 - t));
            let seg = &mut row[(t - t0) * ow..(t - t0 + b - a) * ow];
            t += b - a;
            let (va, vb) = (a.max(h_lo), b.min(h_hi).max(a.max(h_lo)));
            if va == vb || w_lo == w_hi {
                seg.fill(0.0);
                continue;
            }
            seg[..(va - a) * ow].fill(0.0);
            seg[(vb - a) * ow..].fill(0.0);
            let plane = &x[(n * g.in_channels + c) * h * w..(n * g.in_channels + c + 1) * h * w];
            let ih0 = va * sh + ki * dh - pt;
            if shifted {
                // Output (oh, ow) reads plane[(ih0 + oh - va)·W + ow + kj·dw - pl]: one run from
                // the first valid column of row va to the last valid column of row vb - 1.
                let first = (va - a) * ow + w_lo;
                let last = (vb - a - 1) * ow + w_hi;
                let src = ih0 * w + w_lo + kj * dw - pl;
                seg[first..last].copy_from_slice(&plane[src..src + (last - first)]);
                // The run also picked up columns that wrapped around the edges: zero them
                // (one or two columns for usual kernels; plain stores, no per-row calls).
                zero_columns(&mut seg[(va - a) * ow..(vb - a) * ow], ow, w_lo, w_hi);
                continue;
            }
            for (i, dst) in seg[(va - a) * ow..(vb - a) * ow]
                .chunks_exact_mut(ow)
                .enumerate()
            {
                let src = &plane[(ih0 + i * sh) * w..(ih0 + i * sh + 1) * w];
                dst[..w_lo].fill(0.0);
                dst[w_hi..].fill(0.0);
                let first = w_lo * sw + kj * dw - pl;
                let run = &mut dst[w_lo..w_hi];
                if sw == 1 {
                    run.copy_from_slice(&src[first..first + run.len()]);
                } else {
                    for (o, d) in run.iter_mut().enumerate() {
                        *d = src[first + o * sw];
                    }
                }
            }
        }
    }
}

/// Zeroes columns `..lo` and `hi..` of the `width`-wide rows of `m`.
#[inline]
fn zero_columns(m: &mut [f32], width: usize, lo: usize, hi: usize) {
    for j in (0..lo).chain(hi.max(lo)..width) {
        for v in m.iter_mut().skip(j).step_by(width) {
            *v = 0.0;
        }
    }
}

/// Zeroes the entries of a column matrix (`rows` rows, `oh1 - oh0` whole output rows) that
/// correspond to padding columns, so [`col2im_add`] can add whole shifted runs without carrying
/// them into the neighbouring input row. Only needed (and only done) for shifted-plane geometries.
pub(super) fn mask_wrapped_columns(
    g: &Conv2dGeometry,
    col: &mut [f32],
    rows: usize,
    oh0: usize,
    oh1: usize,
) {
    let ow = g.out_w;
    let row_len = (oh1 - oh0) * ow;
    if !shifted_planes(g) || row_len == 0 {
        return;
    }
    for r in 0..rows {
        let (_, _, kj) = tap(g, r);
        let (w_lo, w_hi) = valid_range(ow, g.in_w, 1, kj * g.dilation.1, g.pad.1);
        if w_lo == 0 && w_hi == ow {
            continue;
        }
        zero_columns(&mut col[r * row_len..(r + 1) * row_len], ow, w_lo, w_hi);
    }
}

/// Adds the column matrix `col` (`rows` rows of `(oh1 - oh0) * out_w` columns, `col_rs` apart,
/// channels starting at `c0`, output rows `oh0..oh1` of one image) onto the
/// input positions the columns were read from. `dx` is that image's
/// `[C, H, W]` block, restricted to channels `c_lo..c_lo + dx.len() / (H·W)`
/// (so tasks can own disjoint channel ranges).
#[allow(clippy::too_many_arguments)]
pub(super) fn col2im_add(
    g: &Conv2dGeometry,
    col: &[f32],
    col_rs: usize,
    c0: usize,
    rows: usize,
    oh0: usize,
    oh1: usize,
    c_lo: usize,
    dx: &mut [f32],
) {
    let (ow, (h, w)) = (g.out_w, (g.in_h, g.in_w));
    let row_len = (oh1 - oh0) * ow;
    let plane = h * w;
    if row_len == 0 || plane == 0 {
        return;
    }
    let c_hi = c_lo + dx.len() / plane;
    let (sh, sw) = g.stride;
    let (dh, dw) = g.dilation;
    let (pt, pl) = g.pad;
    let (kh, kw) = g.kernel;
    // Only the rows of channels this call owns.
    let r_lo = c_lo.saturating_sub(c0).min(rows.div_ceil(kh * kw)) * kh * kw;
    let r_hi = ((c_hi.saturating_sub(c0)) * kh * kw).min(rows);
    for r in r_lo..r_hi {
        let (dc, ki, kj) = tap(g, r);
        let c = c0 + dc;
        let (w_lo, w_hi) = valid_range(ow, w, sw, kj * dw, pl);
        if w_lo == w_hi {
            continue;
        }
        let src_row = &col[r * col_rs..r * col_rs + row_len];
        if shifted_planes(g) {
            // Rows va..vb read one shifted run of the plane; the wrapped columns were masked to
            // zero by `mask_wrapped_columns`, so one long add is exact.
            let (h_lo, h_hi) = valid_range(g.out_h, h, sh, ki * dh, pt);
            let (va, vb) = (oh0.max(h_lo), oh1.min(h_hi).max(oh0.max(h_lo)));
            if va == vb {
                continue;
            }
            let first = (va - oh0) * ow + w_lo;
            let last = (vb - oh0 - 1) * ow + w_hi;
            let dst = (c - c_lo) * plane + (va * sh + ki * dh - pt) * w + w_lo + kj * dw - pl;
            for (d, s) in dx[dst..dst + (last - first)]
                .iter_mut()
                .zip(&src_row[first..last])
            {
                *d += s;
            }
            continue;
        }
        for (oh, src) in (oh0..oh1).zip(src_row.chunks_exact(ow)) {
            let ih = oh * sh + ki * dh;
            if ih < pt || ih - pt >= h {
                continue;
            }
            let base = (c - c_lo) * plane + (ih - pt) * w;
            let dst = &mut dx[base..base + w];
            let first = w_lo * sw + kj * dw - pl;
            let run = &src[w_lo..w_hi];
            if sw == 1 {
                for (d, s) in dst[first..first + run.len()].iter_mut().zip(run) {
                    *d += s;
                }
            } else {
                for (o, s) in run.iter().enumerate() {
                    dst[first + o * sw] += s;
                }
            }
        }
    }
}
