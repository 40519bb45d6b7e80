//! Activation layers (no parameters).

use ferrograd_core::{Error, Result, Tensor};

use super::leaf_mode;
use crate::module::{Module, Slot};

/// Which activation an [`Activation`] layer applies.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ActivationKind {
    /// Identity.
    Linear,
    /// `1 / (1 + e^(-steepness·x))`; steepness 1 is the standard logistic.
    Sigmoid {
        steepness: f32,
    },
    Tanh,
    Relu,
    LeakyRelu {
        alpha: f32,
    },
    Elu {
        alpha: f32,
    },
    /// Exact (erf) GELU, or the tanh approximation.
    Gelu {
        approximate: bool,
    },
    Softplus,
    Softsign,
    Silu,
    /// Softmax over `axis`.
    Softmax {
        axis: isize,
    },
    /// Maxout: the last dimension is split into groups of `pieces` and each group's maximum kept.
    Maxout {
        pieces: usize,
    },
}

/// Config name of an activation (snake_case, as Keras).
pub(crate) fn activation_name(kind: &ActivationKind) -> &'static str {
    match kind {
        ActivationKind::Linear => "linear",
        ActivationKind::Sigmoid { .. } => "sigmoid",
        ActivationKind::Tanh => "tanh",
        ActivationKind::Relu => "relu",
        ActivationKind::LeakyRelu { .. } => "leaky_relu",
        ActivationKind::Elu { .. } => "elu",
        ActivationKind::Gelu { .. } => "gelu",
        ActivationKind::Softplus => "softplus",
        ActivationKind::Softsign => "softsign",
        ActivationKind::Silu => "silu",
        ActivationKind::Softmax { .. } => "softmax",
        ActivationKind::Maxout { .. } => "maxout",
    }
}

/// The activation's single hyper-parameter as JSON (`null` when it has none).
pub(crate) fn activation_param(kind: &ActivationKind) -> serde_json::Value {
    use serde_json::json;
    match *kind {
        ActivationKind::Sigmoid { steepness } => json!(steepness),
        ActivationKind::LeakyRelu { alpha } | ActivationKind::Elu { alpha } => json!(alpha),
        ActivationKind::Gelu { approximate } => json!(approximate),
        ActivationKind::Softmax { axis } => json!(axis),
        ActivationKind::Maxout { pieces } => json!(pieces),
        _ => serde_json::Value::Null,
    }
}

/// A parameter-free layer applying an [`ActivationKind`].
pub struct Activation {
    pub kind: ActivationKind,
    training: bool,
}

impl Activation {
    /// A layer applying `kind`.
    pub fn new(kind: ActivationKind) -> Self {
        Activation {
            kind,
            training: true,
        }
    }
}

impl Module for Activation {
    fn type_name(&self) -> &'static str {
        "Activation"
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        match self.kind {
            ActivationKind::Linear => Ok(x.clone()),
            ActivationKind::Sigmoid { steepness } => {
                if steepness == 1.0 {
                    x.sigmoid()
                } else {
                    x.mul_scalar(steepness)?.sigmoid()
                }
            }
            ActivationKind::Tanh => x.tanh(),
            ActivationKind::Relu => x.relu(),
            ActivationKind::LeakyRelu { alpha } => x.leaky_relu(alpha),
            ActivationKind::Elu { alpha } => x.elu(alpha),
            ActivationKind::Gelu { approximate } => x.gelu(approximate),
            ActivationKind::Softplus => x.softplus(),
            ActivationKind::Softsign => x.softsign(),
            ActivationKind::Silu => x.silu(),
            ActivationKind::Softmax { axis } => x.softmax(axis),
            ActivationKind::Maxout { pieces } => {
                let last = x.dims().last().copied().unwrap_or(0);
                if pieces == 0 || last % pieces != 0 {
                    return Err(Error::ShapeMismatch {
                        op: "Maxout",
                        lhs: x.dims().to_vec(),
                        rhs: vec![pieces],
                        reason: format!(
                            "the last dimension ({last}) must be a multiple of pieces ({pieces})"
                        ),
                    });
                }
                let mut shape: Vec<isize> = x.dims()[..x.rank() - 1]
                    .iter()
                    .map(|&d| d as isize)
                    .collect();
                shape.extend([(last / pieces) as isize, pieces as isize]);
                x.reshape(&shape)?.max(Some(&[-1]), false)
            }
        }
    }

    fn visit(&self, _f: &mut dyn FnMut(&str, Slot<'_>)) {}

    fn config(&self) -> Option<serde_json::Value> {
        Some(serde_json::json!({
            "type": "Activation",
            "activation": activation_name(&self.kind),
            "param": activation_param(&self.kind),
        }))
    }

    leaf_mode!();
}
