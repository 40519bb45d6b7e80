//! Keras-style `summary()`: one row per layer with its output shape and parameter count.

use ferrograd_core::{no_grad, Result, Tensor};

use super::{parameter_count, Sequential};

/// Renders the table for `model` fed with a zero batch of `input_shape` (batch dimension
/// included), e.g.
///
/// ```text
/// Layer (type)        Output shape     Param #
/// 0 (Linear)          [1, 16]               80
/// ...
/// Total params: 131 (trainable 131, frozen 0)
/// ```
pub fn summary(model: &Sequential, input_shape: &[usize]) -> Result<String> {
    let input = Tensor::try_full(input_shape, 0.0)?;
    let outputs = no_grad(|| model.forward_trace(&input))?;
    let mut rows = vec![(
        "Layer (type)".to_owned(),
        "Output shape".to_owned(),
        "Param #".to_owned(),
    )];
    for (i, (layer, out)) in model.layers().iter().zip(&outputs).enumerate() {
        rows.push((
            format!("{i} ({})", layer.type_name()),
            format!("{:?}", out.dims()),
            parameter_count(layer.as_ref(), false).to_string(),
        ));
    }
    let w0 = rows.iter().map(|r| r.0.len()).max().unwrap_or(0) + 2;
    let w1 = rows.iter().map(|r| r.1.len()).max().unwrap_or(0) + 2;
    let w2 = rows.iter().map(|r| r.2.len()).max().unwrap_or(0);
    let mut text = String::new();
    for (a, b, c) in &rows {
        text.push_str(&format!("{a:<w0$}{b:<w1$}{c:>w2$}\n"));
    }
    let total = parameter_count(model, false);
    let trainable = parameter_count(model, true);
    text.push_str(&format!(
        "Total params: {total} (trainable {trainable}, frozen {})\n",
        total - trainable
    ));
    Ok(text)
}
