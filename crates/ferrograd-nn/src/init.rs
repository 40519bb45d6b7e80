//! Weight initializers with PyTorch's formulas (`torch.nn.init`) and Keras's names.
//!
//! Fans follow PyTorch's convention for a weight of shape `[out, in, k...]`: `fan_in = in · Πk`,
//! `fan_out = out · Πk`. Layers that store weights the other way round (a dense layer keeping
//! `[in, out]` so that the forward pass is `x · W`) pass their fans explicitly.

use ferrograd_core::{Error, Result, Tensor};

/// Which fan scales the variance (PyTorch's `mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FanMode {
    /// Preserve the variance of activations in the forward pass (default).
    FanIn,
    /// Preserve the variance of gradients in the backward pass.
    FanOut,
}

/// Nonlinearity that follows the layer, for `calculate_gain`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Nonlinearity {
    Linear,
    Sigmoid,
    Tanh,
    Relu,
    /// Leaky ReLU with the given negative slope.
    LeakyRelu(f32),
    Selu,
}

/// PyTorch's `calculate_gain`: the recommended scale of the weights for a nonlinearity.
pub fn calculate_gain(nonlinearity: Nonlinearity) -> f32 {
    match nonlinearity {
        Nonlinearity::Linear | Nonlinearity::Sigmoid => 1.0,
        Nonlinearity::Tanh => 5.0 / 3.0,
        Nonlinearity::Relu => 2f32.sqrt(),
        Nonlinearity::LeakyRelu(a) => (2.0 / (1.0 + a * a)).sqrt(),
        Nonlinearity::Selu => 0.75,
    }
}

/// `(fan_in, fan_out)` of a weight shaped `[out, in, k...]`, as `torch.nn.init` computes them.
pub fn fans(shape: &[usize]) -> Result<(usize, usize)> {
    if shape.len() < 2 {
        return Err(Error::InvalidArgument {
            op: "init",
            msg: format!(
                "fan in/out need a weight with at least 2 dimensions, got shape {shape:?}"
            ),
        });
    }
    let receptive: usize = shape[2..].iter().product();
    Ok((shape[1] * receptive, shape[0] * receptive))
}

/// How to fill a new parameter. Every variant is reproducible through `seed` or the global
/// generator (`manual_seed`).
#[derive(Debug, Clone, PartialEq)]
pub enum Initializer {
    Zeros,
    Ones,
    Constant(f32),
    /// `U(low, high)`; Keras's `RandomUniform` default (the course notes' "small uniform") is ±0.05.
    Uniform {
        low: f32,
        high: f32,
    },
    /// `N(mean, std)`.
    Normal {
        mean: f32,
        std: f32,
    },
    /// Glorot/Xavier uniform: `U(-a, a)`, `a = gain · √(6 / (fan_in + fan_out))`.
    XavierUniform {
        gain: f32,
    },
    /// Glorot/Xavier normal: `std = gain · √(2 / (fan_in + fan_out))`.
    XavierNormal {
        gain: f32,
    },
    /// He/Kaiming uniform: `U(-b, b)`, `b = gain · √(3 / fan)`.
    KaimingUniform {
        mode: FanMode,
        nonlinearity: Nonlinearity,
    },
    /// He/Kaiming normal: `std = gain / √fan`.
    KaimingNormal {
        mode: FanMode,
        nonlinearity: Nonlinearity,
    },
    /// LeCun uniform (Keras): `U(-b, b)`, `b = √(3 / fan_in)`.
    LecunUniform,
    /// LeCun normal: `std = √(1 / fan_in)` (Keras truncates the normal; this one does not).
    LecunNormal,
    /// A (semi-)orthogonal matrix scaled by `gain` (Saxe et al.), as `torch.nn.init.orthogonal_`.
    Orthogonal {
        gain: f32,
    },
}

impl Initializer {
    /// Keras-style name lookup (`"glorotUniform"`, `"heNormal"`, `"zeros"`, ...), with default
    /// parameters: He uses ReLU gain and fan-in, Glorot gain 1, uniform ±0.05, normal std 0.05.
    pub fn from_name(name: &str) -> Result<Initializer> {
        let relu = Nonlinearity::Relu;
        Ok(match name {
            "zeros" => Initializer::Zeros,
            "ones" => Initializer::Ones,
            "randomUniform" | "uniform" => Initializer::Uniform { low: -0.05, high: 0.05 },
            "randomNormal" | "normal" => Initializer::Normal { mean: 0.0, std: 0.05 },
            "glorotUniform" | "xavierUniform" => Initializer::XavierUniform { gain: 1.0 },
            "glorotNormal" | "xavierNormal" => Initializer::XavierNormal { gain: 1.0 },
            "heUniform" | "kaimingUniform" => Initializer::KaimingUniform { mode: FanMode::FanIn, nonlinearity: relu },
            "heNormal" | "kaimingNormal" => Initializer::KaimingNormal { mode: FanMode::FanIn, nonlinearity: relu },
            "lecunUniform" => Initializer::LecunUniform,
            "lecunNormal" => Initializer::LecunNormal,
            "orthogonal" => Initializer::Orthogonal { gain: 1.0 },
            other => {
                return Err(Error::InvalidArgument {
                    op: "init",
                    msg: format!(
                        "unknown initializer '{other}'; expected one of zeros, ones, randomUniform, randomNormal, \
                         glorotUniform, glorotNormal, heUniform, heNormal, lecunUniform, lecunNormal, orthogonal"
                    ),
                })
            }
        })
    }

    /// An initializer from a Keras-style spec: a name (see [`Initializer::from_name`]) or an
    /// object `{type, ...}` with `value` (constant), `minval`/`maxval` (randomUniform),
    /// `mean`/`stddev` (randomNormal) or `gain` (glorot*, orthogonal).
    pub fn from_spec(spec: &serde_json::Value) -> Result<Initializer> {
        let bad = |msg: String| Error::InvalidArgument { op: "init", msg };
        let obj = match spec {
            serde_json::Value::String(name) => return Initializer::from_name(name),
            serde_json::Value::Object(obj) => obj,
            other => {
                return Err(bad(format!(
                    "an initializer is a name or an object with 'type', got {other}"
                )))
            }
        };
        let name = obj
            .get("type")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| bad(format!("initializer {spec} has no string 'type'")))?;
        let allowed: &[&str] = match name {
            "constant" => &["value"],
            "randomUniform" | "uniform" => &["minval", "maxval"],
            "randomNormal" | "normal" => &["mean", "stddev"],
            "glorotUniform" | "xavierUniform" | "glorotNormal" | "xavierNormal" | "orthogonal" => {
                &["gain"]
            }
            _ => &[],
        };
        if let Some(k) = obj
            .keys()
            .find(|k| *k != "type" && !allowed.contains(&k.as_str()))
        {
            return Err(bad(format!("initializer '{name}' has no option '{k}'")));
        }
        let num = |key: &str, default: f32| -> Result<f32> {
            match obj.get(key) {
                None => Ok(default),
                Some(v) => v
                    .as_f64()
                    .map(|x| x as f32)
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| {
                        bad(format!(
                            "initializer '{name}': '{key}' must be a finite number, got {v}"
                        ))
                    }),
            }
        };
        Ok(match name {
            "constant" => Initializer::Constant(num("value", 0.0)?),
            "randomUniform" | "uniform" => {
                let (low, high) = (num("minval", -0.05)?, num("maxval", 0.05)?);
                if low > high {
                    return Err(bad(format!(
                        "randomUniform needs minval <= maxval, got {low} > {high}"
                    )));
                }
                Initializer::Uniform { low, high }
            }
            "randomNormal" | "normal" => {
                let std = num("stddev", 0.05)?;
                if std < 0.0 {
                    return Err(bad(format!("randomNormal needs stddev >= 0, got {std}")));
                }
                Initializer::Normal {
                    mean: num("mean", 0.0)?,
                    std,
                }
            }
            "glorotUniform" | "xavierUniform" => Initializer::XavierUniform {
                gain: num("gain", 1.0)?,
            },
            "glorotNormal" | "xavierNormal" => Initializer::XavierNormal {
                gain: num("gain", 1.0)?,
            },
            "orthogonal" => Initializer::Orthogonal {
                gain: num("gain", 1.0)?,
            },
            other => Initializer::from_name(other)?,
        })
    }

    /// The spec [`Initializer::from_spec`] reads back (for saved architectures). Kaiming
    /// variants other than Keras' He defaults (fan-in, ReLU gain) are written with `None`
    /// returned: they cannot be named in a spec.
    pub fn to_spec(&self) -> Option<serde_json::Value> {
        use serde_json::json;
        let relu_in =
            |mode: FanMode, nl: Nonlinearity| mode == FanMode::FanIn && nl == Nonlinearity::Relu;
        Some(match *self {
            Initializer::Zeros => json!("zeros"),
            Initializer::Ones => json!("ones"),
            Initializer::Constant(v) => json!({"type": "constant", "value": v}),
            Initializer::Uniform { low, high } => {
                json!({"type": "randomUniform", "minval": low, "maxval": high})
            }
            Initializer::Normal { mean, std } => {
                json!({"type": "randomNormal", "mean": mean, "stddev": std})
            }
            Initializer::XavierUniform { gain } => json!({"type": "glorotUniform", "gain": gain}),
            Initializer::XavierNormal { gain } => json!({"type": "glorotNormal", "gain": gain}),
            Initializer::KaimingUniform { mode, nonlinearity } if relu_in(mode, nonlinearity) => {
                json!("heUniform")
            }
            Initializer::KaimingNormal { mode, nonlinearity } if relu_in(mode, nonlinearity) => {
                json!("heNormal")
            }
            Initializer::KaimingUniform { .. } | Initializer::KaimingNormal { .. } => return None,
            Initializer::LecunUniform => json!("lecunUniform"),
            Initializer::LecunNormal => json!("lecunNormal"),
            Initializer::Orthogonal { gain } => json!({"type": "orthogonal", "gain": gain}),
        })
    }

    /// A new tensor of `shape`. `fan` overrides `(fan_in, fan_out)` (otherwise computed by
    /// [`fans`]); `seed` draws independently of the global generator.
    pub fn init(
        &self,
        shape: &[usize],
        fan: Option<(usize, usize)>,
        seed: Option<u64>,
    ) -> Result<Tensor> {
        let fan_of = || -> Result<(f32, f32)> {
            let (i, o) = match fan {
                Some(f) => f,
                None => fans(shape)?,
            };
            if i == 0 || o == 0 {
                return Err(Error::InvalidArgument {
                    op: "init",
                    msg: format!("zero fan for shape {shape:?}"),
                });
            }
            Ok((i as f32, o as f32))
        };
        let pick = |mode: FanMode, (i, o): (f32, f32)| if mode == FanMode::FanIn { i } else { o };
        match *self {
            Initializer::Zeros => Tensor::try_full(shape, 0.0),
            Initializer::Ones => Tensor::try_full(shape, 1.0),
            Initializer::Constant(v) => Tensor::try_full(shape, v),
            Initializer::Uniform { low, high } => Tensor::rand(shape, low, high, seed),
            Initializer::Normal { mean, std } => Tensor::randn(shape, mean, std, seed),
            Initializer::XavierUniform { gain } => {
                let (i, o) = fan_of()?;
                let a = gain * (6.0 / (i + o)).sqrt();
                Tensor::rand(shape, -a, a, seed)
            }
            Initializer::XavierNormal { gain } => {
                let (i, o) = fan_of()?;
                Tensor::randn(shape, 0.0, gain * (2.0 / (i + o)).sqrt(), seed)
            }
            Initializer::KaimingUniform { mode, nonlinearity } => {
                let bound = calculate_gain(nonlinearity) * (3.0 / pick(mode, fan_of()?)).sqrt();
                Tensor::rand(shape, -bound, bound, seed)
            }
            Initializer::KaimingNormal { mode, nonlinearity } => {
                let std = calculate_gain(nonlinearity) / pick(mode, fan_of()?).sqrt();
                Tensor::randn(shape, 0.0, std, seed)
            }
            Initializer::LecunUniform => {
                let bound = (3.0 / fan_of()?.0).sqrt();
                Tensor::rand(shape, -bound, bound, seed)
            }
            Initializer::LecunNormal => Tensor::randn(shape, 0.0, (1.0 / fan_of()?.0).sqrt(), seed),
            Initializer::Orthogonal { gain } => orthogonal(shape, gain, seed),
        }
    }
}

/// `torch.nn.init.orthogonal_`: rows = `shape[0]`, columns = the rest flattened; the QR
/// decomposition of a normal matrix (of the transpose when rows < columns), with Q's columns
/// sign-corrected by R's diagonal so the result is uniformly distributed. QR runs in f64
/// (modified Gram-Schmidt, re-orthogonalised once) — parameter init is not a hot path.
fn orthogonal(shape: &[usize], gain: f32, seed: Option<u64>) -> Result<Tensor> {
    if shape.len() < 2 {
        return Err(Error::InvalidArgument {
            op: "orthogonal",
            msg: format!("needs a weight with at least 2 dimensions, got shape {shape:?}"),
        });
    }
    let rows = shape[0];
    let cols: usize = shape[1..].iter().product();
    let (tall, short) = (rows.max(cols), rows.min(cols));
    // `tall x short` normal matrix stored by columns: we orthonormalise its `short` columns.
    let draw = Tensor::randn(&[short, tall], 0.0, 1.0, seed)?.to_vec();
    let mut q: Vec<Vec<f64>> = draw
        .chunks(tall.max(1))
        .map(|c| c.iter().map(|&v| v as f64).collect())
        .collect();
    for j in 0..short {
        let (done, rest) = q.split_at_mut(j);
        let column = &mut rest[0];
        for _pass in 0..2 {
            for previous in done.iter() {
                let dot: f64 = previous.iter().zip(column.iter()).map(|(a, b)| a * b).sum();
                for (x, p) in column.iter_mut().zip(previous) {
                    *x -= dot * p;
                }
            }
        }
        let norm = q[j].iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm < 1e-12 {
            return Err(Error::InvalidArgument {
                op: "orthogonal",
                msg: "degenerate random draw".into(),
            });
        }
        // Dividing by the positive norm is Q·sign(diag R) of a QR with R's diagonal made positive.
        for v in &mut q[j] {
            *v /= norm;
        }
    }
    // Q is `tall x short` with orthonormal columns; the weight is Q (rows >= cols) or Qᵀ.
    let mut data = vec![0.0f32; rows * cols];
    for (j, column) in q.iter().enumerate() {
        for (r, &v) in column.iter().enumerate() {
            let (row, col) = if rows >= cols { (r, j) } else { (j, r) };
            data[row * cols + col] = (v * gain as f64) as f32;
        }
    }
    Tensor::from_vec(data, shape)
}

/// Keras' fans for a weight stored input-major (`[in, out]`, or `[...kernel, in, out]`): the
/// layout of ferrograd's dense weights and of TypeScript `Module.parameter`. A vector has
/// fan-in = fan-out = its length; a scalar 1.
pub fn keras_fans(shape: &[usize]) -> (usize, usize) {
    match shape {
        [] => (1, 1),
        [n] => (*n, *n),
        _ => {
            let receptive: usize = shape[..shape.len() - 2].iter().product();
            (
                shape[shape.len() - 2] * receptive,
                shape[shape.len() - 1] * receptive,
            )
        }
    }
}
