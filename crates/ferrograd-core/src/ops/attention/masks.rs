//! Attention masks turned into the additive views the kernels read.

use ferrograd_kernels::{AttentionDims, MaskView};

use super::AttentionOptions;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// An attention mask of shape `[Lq, Lk]` or `[B|1, H|1, Lq, Lk]`.
#[derive(Debug, Clone)]
pub enum AttnMask {
    /// Added to the scaled scores; `-inf` excludes a key.
    Additive(Tensor),
    /// Nonzero (`true`) = masked out, the `torch.nn.MultiheadAttention` convention.
    Boolean(Tensor),
}

/// Additive mask values plus the strides of the kernel view.
#[derive(Debug, Clone)]
pub(crate) struct OwnedMask {
    data: Vec<f32>,
    sb: usize,
    sh: usize,
    si: usize,
}

impl OwnedMask {
    pub(crate) fn view(&self) -> MaskView<'_> {
        MaskView {
            data: &self.data,
            sb: self.sb,
            sh: self.sh,
            si: self.si,
        }
    }
}

const OP: &str = "scaledDotProductAttention";

fn boolean_to_additive(t: &Tensor) -> Vec<f32> {
    t.to_vec()
        .into_iter()
        .map(|x| if x != 0.0 { f32::NEG_INFINITY } else { 0.0 })
        .collect()
}

/// Checks the masks against the problem and returns them as additive views.
pub(crate) fn prepare(g: &AttentionDims, o: &AttentionOptions) -> Result<Vec<OwnedMask>> {
    let mut out = Vec::new();
    if let Some(mask) = &o.mask {
        let (t, data) = match mask {
            AttnMask::Additive(t) => (t, t.to_vec()),
            AttnMask::Boolean(t) => (t, boolean_to_additive(t)),
        };
        let dims = t.dims();
        let bad = || {
            Error::mismatch(
                OP,
                dims,
                &[g.b, g.h, g.lq, g.lk],
                format!(
                    "the attention mask must be [Lq, Lk] = [{}, {}] or [B|1, H|1, Lq, Lk] with B = {}, H = {}",
                    g.lq, g.lk, g.b, g.h
                ),
            )
        };
        let (mb, mh) = match *dims {
            [i, j] if i == g.lq && j == g.lk => (1, 1),
            [mb, mh, i, j]
                if i == g.lq && j == g.lk && (mb == 1 || mb == g.b) && (mh == 1 || mh == g.h) =>
            {
                (mb, mh)
            }
            _ => return Err(bad()),
        };
        let plane = g.lq * g.lk;
        out.push(OwnedMask {
            data,
            sb: if mb == 1 { 0 } else { mh * plane },
            sh: if mh == 1 { 0 } else { plane },
            si: g.lk,
        });
    }
    if let Some(t) = &o.key_padding_mask {
        if t.dims() != [g.b, g.lk] {
            return Err(Error::mismatch(
                OP,
                t.dims(),
                &[g.b, g.lk],
                "the key padding mask must be [B, Lk]",
            ));
        }
        out.push(OwnedMask {
            data: boolean_to_additive(t),
            sb: g.lk,
            sh: 0,
            si: 0,
        });
    }
    Ok(out)
}
