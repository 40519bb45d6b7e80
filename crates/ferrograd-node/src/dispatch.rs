//! Name-based dispatch from the JS op names to the core tensor ops.
//!
//! The TypeScript layer exposes one typed method per op; the binding stays thin by routing each
//! family through one entry point. The same functions back the sync and the async (`AsyncTask`)
//! forms, so both always compute exactly the same thing.

use ferrograd_core::{Error, Result, Tensor};

fn unknown(family: &'static str, name: &str) -> Error {
    Error::InvalidArgument {
        op: family,
        msg: format!("unknown op '{name}'"),
    }
}

fn need(op: &'static str, value: Option<f64>, what: &str) -> Result<f32> {
    value
        .map(|v| v as f32)
        .ok_or_else(|| Error::InvalidArgument {
            op,
            msg: format!("missing argument '{what}'"),
        })
}

/// Elementwise unary ops; `a` and `b` are the optional scalar parameters.
pub fn unary(x: &Tensor, op: &str, a: Option<f64>, b: Option<f64>) -> Result<Tensor> {
    match op {
        "neg" => x.neg(),
        "exp" => x.exp(),
        "log" => x.log(),
        "sqrt" => x.sqrt(),
        "abs" => x.abs(),
        "sign" => x.sign(),
        "reciprocal" => x.recip(),
        "square" => x.square(),
        "sigmoid" => x.sigmoid(),
        "tanh" => x.tanh(),
        "relu" => x.relu(),
        "erf" => x.erf(),
        "softplus" => x.softplus(),
        "softsign" => x.softsign(),
        "silu" => x.silu(),
        "logSigmoid" => x.log_sigmoid(),
        "sin" => x.sin(),
        "cos" => x.cos(),
        "floor" => x.floor(),
        "ceil" => x.ceil(),
        "round" => x.round(),
        "gelu" => x.gelu(false),
        "geluTanh" => x.gelu(true),
        "leakyRelu" => x.leaky_relu(need("leakyRelu", a, "alpha")?),
        "elu" => x.elu(need("elu", a, "alpha")?),
        "powScalar" => x.pow_scalar(need("pow", a, "exponent")?),
        "addScalar" => x.add_scalar(need("add", a, "value")?),
        "mulScalar" => x.mul_scalar(need("mul", a, "value")?),
        "clamp" => x.clamp(a.map(|v| v as f32), b.map(|v| v as f32)),
        "contiguous" => x.contiguous(),
        _ => Err(unknown("unary", op)),
    }
}

/// Broadcasting binary ops and comparisons.
pub fn binary(x: &Tensor, y: &Tensor, op: &str) -> Result<Tensor> {
    match op {
        "add" => x.add(y),
        "sub" => x.sub(y),
        "mul" => x.mul(y),
        "div" => x.div(y),
        "pow" => x.pow(y),
        "maximum" => x.maximum(y),
        "minimum" => x.minimum(y),
        "eq" => x.eq(y),
        "ne" => x.ne(y),
        "lt" => x.lt(y),
        "le" => x.le(y),
        "gt" => x.gt(y),
        "ge" => x.ge(y),
        "matmul" => x.matmul(y),
        _ => Err(unknown("binary", op)),
    }
}

/// Reductions over `axes` (`None` = all). `correction` applies to var/std.
pub fn reduce(
    x: &Tensor,
    op: &str,
    axes: Option<&[isize]>,
    keepdim: bool,
    correction: usize,
) -> Result<Tensor> {
    let single = |name: &'static str| -> Result<Option<isize>> {
        match axes {
            None => Ok(None),
            Some([a]) => Ok(Some(*a)),
            Some(other) => Err(Error::InvalidArgument {
                op: name,
                msg: format!("takes one axis, got {other:?}"),
            }),
        }
    };
    let softmax_axis = |name: &'static str| -> Result<isize> { Ok(single(name)?.unwrap_or(-1)) };
    match op {
        "sum" => x.sum(axes, keepdim),
        "mean" => x.mean(axes, keepdim),
        "max" => x.max(axes, keepdim),
        "min" => x.min(axes, keepdim),
        "logsumexp" => x.logsumexp(axes, keepdim),
        "var" => x.var(axes, keepdim, correction),
        "std" => x.std(axes, keepdim, correction),
        "argmax" => x.argmax(single("argmax")?, keepdim),
        "argmin" => x.argmin(single("argmin")?, keepdim),
        "softmax" => x.softmax(softmax_axis("softmax")?),
        "logSoftmax" => x.log_softmax(softmax_axis("logSoftmax")?),
        _ => Err(unknown("reduce", op)),
    }
}
