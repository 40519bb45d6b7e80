//! Convolution layers (NCHW): `Conv1d`, `Conv2d` and the transposed `ConvTranspose1d`,
//! `ConvTranspose2d`, with PyTorch's weight layout and names (`weight`, `bias`) so weights load
//! from PyTorch state dicts. `'same'` padding is resolved per input size (TensorFlow's rule:
//! an odd total pads one more at the bottom/right).

use ferrograd_core::{
    Conv1dOptions, Conv2dOptions, ConvTranspose1dOptions, ConvTranspose2dOptions, Error, Result,
    Tensor,
};
use serde_json::{json, Value};

use super::leaf_mode;
use crate::init::Initializer;
use crate::module::{parameter, Module, Slot};

/// How a convolution pads its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Padding {
    /// No padding.
    Valid,
    /// Output size `ceil(input / stride)`, padding split as TensorFlow does.
    Same,
    /// Explicit `(top, bottom, left, right)` (1-D layers use `left, right`).
    Explicit(usize, usize, usize, usize),
}

impl Padding {
    /// `"valid"`, `"same"` or `[top, bottom, left, right]`.
    pub fn to_json(self) -> Value {
        match self {
            Padding::Valid => json!("valid"),
            Padding::Same => json!("same"),
            Padding::Explicit(t, b, l, r) => json!([t, b, l, r]),
        }
    }

    /// Reads [`Padding::to_json`]'s forms.
    pub fn from_json(v: &Value) -> Option<Padding> {
        match v {
            Value::String(s) if s == "valid" => Some(Padding::Valid),
            Value::String(s) if s == "same" => Some(Padding::Same),
            Value::Array(a) if a.len() == 4 => {
                let p: Option<Vec<usize>> =
                    a.iter().map(|x| x.as_u64().map(|u| u as usize)).collect();
                p.map(|p| Padding::Explicit(p[0], p[1], p[2], p[3]))
            }
            _ => None,
        }
    }
}

/// Hyper-parameters shared by the convolution layers.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvConfig {
    /// Input channels.
    pub in_channels: usize,
    /// Output channels (filters).
    pub out_channels: usize,
    /// Kernel `(kh, kw)` (`kh = 1` for 1-D layers).
    pub kernel: (usize, usize),
    /// `(sh, sw)`.
    pub stride: (usize, usize),
    /// Padding of a convolution (transposed layers use `padding_t`).
    pub padding: Padding,
    /// `(dh, dw)`.
    pub dilation: (usize, usize),
    /// Channel groups (`in_channels` for depthwise).
    pub groups: usize,
    /// Learn a bias.
    pub bias: bool,
    /// Transposed layers: symmetric padding removed from the output, and output padding.
    pub padding_t: (usize, usize),
    /// Transposed layers: extra rows/columns at the bottom/right.
    pub output_padding: (usize, usize),
    /// Weight initializer (Glorot uniform by default, as Keras).
    pub kernel_initializer: Initializer,
    /// Bias initializer (zeros).
    pub bias_initializer: Initializer,
}

impl ConvConfig {
    /// Defaults for `in_channels -> out_channels` with a `kernel`.
    pub fn new(in_channels: usize, out_channels: usize, kernel: (usize, usize)) -> Self {
        ConvConfig {
            in_channels,
            out_channels,
            kernel,
            stride: (1, 1),
            padding: Padding::Valid,
            dilation: (1, 1),
            groups: 1,
            bias: true,
            padding_t: (0, 0),
            output_padding: (0, 0),
            kernel_initializer: Initializer::XavierUniform { gain: 1.0 },
            bias_initializer: Initializer::Zeros,
        }
    }

    fn validate(&self, op: &'static str, transposed: bool) -> Result<()> {
        let positive = [
            self.in_channels,
            self.out_channels,
            self.kernel.0,
            self.kernel.1,
            self.stride.0,
            self.stride.1,
            self.dilation.0,
            self.dilation.1,
            self.groups,
        ];
        if positive.contains(&0)
            || !self.in_channels.is_multiple_of(self.groups)
            || !self.out_channels.is_multiple_of(self.groups)
        {
            return Err(Error::InvalidArgument {
                op,
                msg: format!(
                    "needs positive channels, kernel, stride, dilation and groups, with groups dividing both channel counts; got {self:?}"
                ),
            });
        }
        if transposed && self.padding != Padding::Valid {
            return Err(Error::InvalidArgument {
                op,
                msg: "transposed convolutions take symmetric `padding_t`, not `padding`".into(),
            });
        }
        Ok(())
    }

    fn weights(&self, shape: &[usize], seed: Option<u64>) -> Result<(Tensor, Option<Tensor>)> {
        let weight = parameter(self.kernel_initializer.init(shape, None, seed)?)?;
        let bias = if self.bias {
            let fan = crate::init::fans(shape)?;
            Some(parameter(self.bias_initializer.init(
                &[self.out_channels],
                Some(fan),
                seed.map(|s| s ^ 0xb1a5),
            )?)?)
        } else {
            None
        };
        Ok((weight, bias))
    }

    fn json(&self, kind: &str) -> Value {
        let mut c = json!({
            "type": kind,
            "in_channels": self.in_channels,
            "out_channels": self.out_channels,
            "kernel": [self.kernel.0, self.kernel.1],
            "stride": [self.stride.0, self.stride.1],
            "dilation": [self.dilation.0, self.dilation.1],
            "groups": self.groups,
            "bias": self.bias,
        });
        if kind.starts_with("ConvTranspose") {
            c["padding"] = json!([self.padding_t.0, self.padding_t.1]);
            c["output_padding"] = json!([self.output_padding.0, self.output_padding.1]);
        } else {
            c["padding"] = self.padding.to_json();
        }
        c
    }
}

/// A 2-D (or, with `one_d`, 1-D) convolution over `[N, C, H, W]` (`[N, C, L]`) input.
pub struct Conv {
    /// `[out, in/groups, kh, kw]` (`[out, in/groups, k]` for 1-D).
    pub weight: Tensor,
    /// `[out]`.
    pub bias: Option<Tensor>,
    config: ConvConfig,
    one_d: bool,
    transposed: bool,
    training: bool,
}

impl Conv {
    /// A `Conv2d` layer (`seed` for reproducible initialisation).
    pub fn conv2d(config: ConvConfig, seed: Option<u64>) -> Result<Conv> {
        Conv::build(config, seed, false, false)
    }

    /// A `Conv1d` layer (`kernel.0` and `stride.0`, `dilation.0` must be 1).
    pub fn conv1d(config: ConvConfig, seed: Option<u64>) -> Result<Conv> {
        Conv::build(config, seed, true, false)
    }

    /// A `ConvTranspose2d` layer (weight `[in, out/groups, kh, kw]`).
    pub fn conv_transpose2d(config: ConvConfig, seed: Option<u64>) -> Result<Conv> {
        Conv::build(config, seed, false, true)
    }

    /// A `ConvTranspose1d` layer.
    pub fn conv_transpose1d(config: ConvConfig, seed: Option<u64>) -> Result<Conv> {
        Conv::build(config, seed, true, true)
    }

    fn build(config: ConvConfig, seed: Option<u64>, one_d: bool, transposed: bool) -> Result<Conv> {
        let op = match (one_d, transposed) {
            (false, false) => "Conv2d",
            (true, false) => "Conv1d",
            (false, true) => "ConvTranspose2d",
            (true, true) => "ConvTranspose1d",
        };
        config.validate(op, transposed)?;
        if one_d && (config.kernel.0, config.stride.0, config.dilation.0) != (1, 1, 1) {
            return Err(Error::InvalidArgument {
                op,
                msg: "1-D layers keep kernel, stride and dilation in the second component".into(),
            });
        }
        let g = config.groups;
        let (a, b) = if transposed {
            (config.in_channels, config.out_channels / g)
        } else {
            (config.out_channels, config.in_channels / g)
        };
        let shape: Vec<usize> = if one_d {
            vec![a, b, config.kernel.1]
        } else {
            vec![a, b, config.kernel.0, config.kernel.1]
        };
        let (weight, bias) = config.weights(&shape, seed)?;
        Ok(Conv {
            weight,
            bias,
            config,
            one_d,
            transposed,
            training: true,
        })
    }

    /// The layer's hyper-parameters.
    pub fn config_ref(&self) -> &ConvConfig {
        &self.config
    }

    fn name(&self) -> &'static str {
        match (self.one_d, self.transposed) {
            (false, false) => "Conv2d",
            (true, false) => "Conv1d",
            (false, true) => "ConvTranspose2d",
            (true, true) => "ConvTranspose1d",
        }
    }
}

impl Module for Conv {
    fn type_name(&self) -> &'static str {
        self.name()
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let c = &self.config;
        let bias = self.bias.as_ref();
        match (self.one_d, self.transposed) {
            (false, false) => {
                let mut o = Conv2dOptions {
                    stride: c.stride,
                    padding: (0, 0, 0, 0),
                    dilation: c.dilation,
                    groups: c.groups,
                };
                o = match c.padding {
                    Padding::Valid => o,
                    Padding::Explicit(t, b, l, r) => Conv2dOptions {
                        padding: (t, b, l, r),
                        ..o
                    },
                    Padding::Same => {
                        let d = x.dims();
                        if d.len() != 4 {
                            return Err(Error::ShapeMismatch {
                                op: "Conv2d",
                                lhs: d.to_vec(),
                                rhs: vec![],
                                reason: "expected [N, C, H, W] input".into(),
                            });
                        }
                        o.with_same_padding((d[2], d[3]), c.kernel)
                    }
                };
                x.conv2d(&self.weight, bias, &o)
            }
            (true, false) => {
                let mut o = Conv1dOptions {
                    stride: c.stride.1,
                    padding: (0, 0),
                    dilation: c.dilation.1,
                    groups: c.groups,
                };
                o = match c.padding {
                    Padding::Valid => o,
                    Padding::Explicit(_, _, l, r) => Conv1dOptions {
                        padding: (l, r),
                        ..o
                    },
                    Padding::Same => {
                        let d = x.dims();
                        if d.len() != 3 {
                            return Err(Error::ShapeMismatch {
                                op: "Conv1d",
                                lhs: d.to_vec(),
                                rhs: vec![],
                                reason: "expected [N, C, L] input".into(),
                            });
                        }
                        o.with_same_padding(d[2], c.kernel.1)
                    }
                };
                x.conv1d(&self.weight, bias, &o)
            }
            (false, true) => x.conv_transpose2d(
                &self.weight,
                bias,
                &ConvTranspose2dOptions {
                    stride: c.stride,
                    padding: c.padding_t,
                    output_padding: c.output_padding,
                    dilation: c.dilation,
                    groups: c.groups,
                },
            ),
            (true, true) => x.conv_transpose1d(
                &self.weight,
                bias,
                &ConvTranspose1dOptions {
                    stride: c.stride.1,
                    padding: c.padding_t.1,
                    output_padding: c.output_padding.1,
                    dilation: c.dilation.1,
                    groups: c.groups,
                },
            ),
        }
    }

    fn visit(&self, f: &mut dyn FnMut(&str, Slot<'_>)) {
        f("weight", Slot::Parameter(&self.weight));
        if let Some(b) = &self.bias {
            f("bias", Slot::Parameter(b));
        }
    }

    fn config(&self) -> Option<Value> {
        let mut c = self.config.json(self.name());
        let defaults = ConvConfig::new(1, 1, (1, 1));
        if self.config.kernel_initializer != defaults.kernel_initializer {
            c["kernel_initializer"] = self.config.kernel_initializer.to_spec()?;
        }
        if self.config.bias_initializer != defaults.bias_initializer {
            c["bias_initializer"] = self.config.bias_initializer.to_spec()?;
        }
        Some(c)
    }

    leaf_mode!();
}
