//! PyTorch-style printing: `tensor([[1.0000, 2.5000], ...], requires_grad=True)`.

use std::fmt;

use crate::tensor::Tensor;

/// Beyond this many elements, print only the first and last `EDGE` entries of each dimension.
const SUMMARIZE_ABOVE: usize = 1000;
const EDGE: usize = 3;

enum Style {
    Integer,
    Fixed,
    Scientific,
}

fn choose_style(values: &[f32]) -> Style {
    let finite: Vec<f32> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if finite.iter().all(|v| v.fract() == 0.0) {
        let max = finite.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        return if max < 1e8 {
            Style::Integer
        } else {
            Style::Scientific
        };
    }
    let nonzero: Vec<f32> = finite
        .iter()
        .map(|v| v.abs())
        .filter(|&v| v > 0.0)
        .collect();
    let max = nonzero.iter().fold(0.0f32, |m, &v| m.max(v));
    let min = nonzero.iter().fold(f32::INFINITY, |m, &v| m.min(v));
    if max >= 1e8 || (min < 1e-4 && !nonzero.is_empty()) || (max / min > 1000.0) {
        Style::Scientific
    } else {
        Style::Fixed
    }
}

fn format_value(v: f32, style: &Style) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    match style {
        Style::Integer => format!("{v:.0}."),
        Style::Fixed => format!("{v:.4}"),
        Style::Scientific => {
            let s = format!("{v:.4e}");
            // Rust prints `1.2345e-5`; PyTorch pads the exponent to two digits with a sign.
            match s.split_once('e') {
                Some((mantissa, exp)) => {
                    let (sign, digits) = exp
                        .strip_prefix('-')
                        .map(|d| ("-", d))
                        .unwrap_or(("+", exp));
                    format!("{mantissa}e{sign}{digits:0>2}")
                }
                None => s,
            }
        }
    }
}

struct Printer<'a> {
    data: &'a [f32],
    shape: &'a [usize],
    strides: Vec<usize>,
    summarize: bool,
    style: Style,
    width: usize,
}

impl Printer<'_> {
    fn indices(&self, len: usize) -> Vec<Option<usize>> {
        if self.summarize && len > 2 * EDGE {
            let mut v: Vec<Option<usize>> = (0..EDGE).map(Some).collect();
            v.push(None);
            v.extend((len - EDGE..len).map(Some));
            v
        } else {
            (0..len).map(Some).collect()
        }
    }

    fn write(&self, out: &mut String, dim: usize, offset: usize, indent: usize) {
        if dim == self.shape.len() {
            out.push_str(&format!(
                "{:>w$}",
                format_value(self.data[offset], &self.style),
                w = self.width
            ));
            return;
        }
        out.push('[');
        let last = dim + 1 == self.shape.len();
        for (n, idx) in self.indices(self.shape[dim]).iter().enumerate() {
            if n > 0 {
                out.push(',');
                if last {
                    out.push(' ');
                } else {
                    out.push_str(&"\n".repeat(self.shape.len() - dim - 1));
                    out.push_str(&" ".repeat(indent + 1));
                }
            }
            match idx {
                Some(i) => self.write(out, dim + 1, offset + i * self.strides[dim], indent + 1),
                None => out.push_str("..."),
            }
        }
        out.push(']');
    }
}

impl fmt::Display for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let data = self.to_vec();
        let shape = self.dims();
        let summarize = data.len() > SUMMARIZE_ABOVE;
        let style = choose_style(&data);
        let width = data
            .iter()
            .map(|&v| format_value(v, &style).len())
            .max()
            .unwrap_or(0);
        let printer = Printer {
            data: &data,
            shape,
            strides: crate::shape::contiguous_strides(shape),
            summarize,
            style,
            width,
        };
        let mut body = String::new();
        if data.is_empty() {
            body.push_str("[]");
        } else {
            printer.write(&mut body, 0, 0, "tensor(".len());
        }
        write!(f, "tensor({body}")?;
        if data.is_empty() && shape.len() != 1 {
            write!(f, ", size={shape:?}")?;
        }
        // As PyTorch: results of tracked ops name their backward node, leaves say requires_grad.
        match self.op() {
            Some(op) => write!(f, ", grad_fn=<{}Backward0>", op.name())?,
            None if self.requires_grad() => write!(f, ", requires_grad=True")?,
            None => {}
        }
        write!(f, ")")
    }
}
