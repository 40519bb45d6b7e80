//! Seeded data augmentation for image batches `[N, C, H, W]` (NCHW, the engine's layout): random
//! flips, crops with zero padding, translations, rotations, Gaussian noise, and per-channel
//! normalisation. Every sample draws its own transform from the counter-based generator seeded
//! by `seed`, so a pipeline is reproducible on any thread count. Host-side and linear in the
//! batch size; no autograd (augmentation happens before the model).

use ferrograd_core::{Error, Result, Tensor};

fn invalid(op: &'static str, msg: String) -> Error {
    Error::InvalidArgument { op, msg }
}

/// An augmentation applied independently to every sample of a batch.
#[derive(Debug, Clone, PartialEq)]
pub enum Augmentation {
    /// Mirror left-right and/or top-bottom, each with probability 1/2.
    RandomFlip {
        /// Flip along the width.
        horizontal: bool,
        /// Flip along the height.
        vertical: bool,
    },
    /// Pad every side by `padding` zeros, then crop back to `H × W` at a random offset.
    RandomCrop {
        /// Zeros added on each side.
        padding: usize,
    },
    /// Shift by up to `height·H` rows and `width·W` columns (uniform, whole pixels), zero fill.
    RandomTranslation {
        /// Largest shift as a fraction of the height.
        height: f32,
        /// Largest shift as a fraction of the width.
        width: f32,
    },
    /// Rotate about the centre by a uniform angle in `[-degrees, degrees]` (bilinear, zero fill).
    RandomRotation {
        /// Largest angle in degrees.
        degrees: f32,
    },
    /// Add `N(0, stddev²)` noise.
    GaussianNoise {
        /// Standard deviation.
        stddev: f32,
    },
    /// `(x - mean[c]) / std[c]` per channel.
    Normalize {
        /// Per-channel means.
        mean: Vec<f32>,
        /// Per-channel standard deviations (> 0).
        std: Vec<f32>,
    },
}

/// Applies `aug` to the batch `x` (`[N, C, H, W]`) with randomness drawn from `seed`.
pub fn augment(x: &Tensor, aug: &Augmentation, seed: u64) -> Result<Tensor> {
    const OP: &str = "augment";
    let &[n, c, h, w] = x.dims() else {
        return Err(invalid(
            OP,
            format!(
                "expects an image batch [N, C, H, W], got shape {:?}",
                x.dims()
            ),
        ));
    };
    let data = x.to_vec();
    let plane = h * w;
    // Up to three uniform draws per sample, from one seeded call.
    let draws = Tensor::rand(&[n.max(1), 3], 0.0, 1.0, Some(seed))?.to_vec();
    let u = |s: usize, k: usize| draws[s * 3 + k];
    let mut out = vec![0.0f32; data.len()];
    match aug {
        Augmentation::RandomFlip {
            horizontal,
            vertical,
        } => {
            for s in 0..n {
                let fh = *horizontal && u(s, 0) < 0.5;
                let fv = *vertical && u(s, 1) < 0.5;
                for ch in 0..c {
                    let base = (s * c + ch) * plane;
                    for i in 0..h {
                        let si = if fv { h - 1 - i } else { i };
                        for j in 0..w {
                            let sj = if fh { w - 1 - j } else { j };
                            out[base + i * w + j] = data[base + si * w + sj];
                        }
                    }
                }
            }
        }
        Augmentation::RandomCrop { padding } => {
            let p = *padding;
            for s in 0..n {
                // Offset of the crop in the padded image, 0..=2p; shift = offset - p.
                let dy = (u(s, 0) * (2 * p + 1) as f32).floor().min((2 * p) as f32) as isize
                    - p as isize;
                let dx = (u(s, 1) * (2 * p + 1) as f32).floor().min((2 * p) as f32) as isize
                    - p as isize;
                shift(&data, &mut out, s, c, h, w, dy, dx);
            }
        }
        Augmentation::RandomTranslation { height, width } => {
            if !(height.is_finite() && *height >= 0.0 && width.is_finite() && *width >= 0.0) {
                return Err(invalid(
                    OP,
                    format!("translation fractions must be >= 0, got {height}, {width}"),
                ));
            }
            let (my, mx) = (
                (height * h as f32).round() as isize,
                (width * w as f32).round() as isize,
            );
            for s in 0..n {
                let dy = (u(s, 0) * (2 * my + 1) as f32).floor().min((2 * my) as f32) as isize - my;
                let dx = (u(s, 1) * (2 * mx + 1) as f32).floor().min((2 * mx) as f32) as isize - mx;
                shift(&data, &mut out, s, c, h, w, dy, dx);
            }
        }
        Augmentation::RandomRotation { degrees } => {
            if !(degrees.is_finite() && *degrees >= 0.0) {
                return Err(invalid(
                    OP,
                    format!("degrees must be finite and >= 0, got {degrees}"),
                ));
            }
            let (cy, cx) = ((h as f32 - 1.0) / 2.0, (w as f32 - 1.0) / 2.0);
            for s in 0..n {
                let angle = (u(s, 0) * 2.0 - 1.0) * degrees.to_radians();
                let (sin, cos) = angle.sin_cos();
                for ch in 0..c {
                    let base = (s * c + ch) * plane;
                    for i in 0..h {
                        for j in 0..w {
                            // Inverse mapping: where in the source does output (i, j) come from?
                            let (y, x0) = (i as f32 - cy, j as f32 - cx);
                            let sy = cos * y + sin * x0 + cy;
                            let sx = -sin * y + cos * x0 + cx;
                            out[base + i * w + j] =
                                bilinear(&data[base..base + plane], h, w, sy, sx);
                        }
                    }
                }
            }
        }
        Augmentation::GaussianNoise { stddev } => {
            if !(stddev.is_finite() && *stddev >= 0.0) {
                return Err(invalid(
                    OP,
                    format!("stddev must be finite and >= 0, got {stddev}"),
                ));
            }
            let noise =
                Tensor::randn(x.dims(), 0.0, *stddev, Some(seed ^ 0x9e37_79b9_7f4a_7c15))?.to_vec();
            for (o, (v, e)) in out.iter_mut().zip(data.iter().zip(&noise)) {
                *o = v + e;
            }
        }
        Augmentation::Normalize { mean, std } => {
            if mean.len() != c || std.len() != c || std.iter().any(|s| !(s.is_finite() && *s > 0.0))
            {
                return Err(invalid(
                    OP,
                    format!(
                        "normalize needs {c} means and {c} positive stds, got {} and {:?}",
                        mean.len(),
                        std
                    ),
                ));
            }
            for (k, (o, v)) in out.iter_mut().zip(&data).enumerate() {
                let ch = (k / plane) % c;
                *o = (v - mean[ch]) / std[ch];
            }
        }
    }
    Tensor::from_vec(out, x.dims())
}

/// Copies sample `s` shifted by `(dy, dx)` pixels (content moves down/right for positive
/// shifts), filling uncovered pixels with 0.
#[allow(clippy::too_many_arguments)]
fn shift(
    data: &[f32],
    out: &mut [f32],
    s: usize,
    c: usize,
    h: usize,
    w: usize,
    dy: isize,
    dx: isize,
) {
    let plane = h * w;
    for ch in 0..c {
        let base = (s * c + ch) * plane;
        for i in 0..h {
            let si = i as isize - dy;
            for j in 0..w {
                let sj = j as isize - dx;
                out[base + i * w + j] =
                    if si >= 0 && sj >= 0 && (si as usize) < h && (sj as usize) < w {
                        data[base + si as usize * w + sj as usize]
                    } else {
                        0.0
                    };
            }
        }
    }
}

/// Bilinear sample of a `h × w` plane at `(y, x)`, 0 outside.
fn bilinear(p: &[f32], h: usize, w: usize, y: f32, x: f32) -> f32 {
    let (y0, x0) = (y.floor(), x.floor());
    let (fy, fx) = (y - y0, x - x0);
    let at = |yy: f32, xx: f32| -> f32 {
        if yy < 0.0 || xx < 0.0 || yy >= h as f32 || xx >= w as f32 {
            0.0
        } else {
            p[yy as usize * w + xx as usize]
        }
    };
    at(y0, x0) * (1.0 - fy) * (1.0 - fx)
        + at(y0, x0 + 1.0) * (1.0 - fy) * fx
        + at(y0 + 1.0, x0) * fy * (1.0 - fx)
        + at(y0 + 1.0, x0 + 1.0) * fy * fx
}
