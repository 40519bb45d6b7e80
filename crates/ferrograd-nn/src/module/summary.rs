//! Keras-style `summary()`: one row per layer (or graph node) with its output shape and
//! parameter count.

use ferrograd_core::{no_grad, Result, Tensor};

use super::{parameter_count, Graph, Network, NodeOp, Sequential};

/// Renders the table for `model` fed with zero batches of `input_shapes` (one shape per model
/// input, batch dimension included), e.g.
///
/// ```text
/// Layer (type)        Output shape     Param #
/// 0 (Linear)          [1, 16]               80
/// ...
/// Total params: 131 (trainable 131, frozen 0)
/// ```
///
/// Graphs get a fourth column naming the nodes each node reads; a shared layer's parameters are
/// counted at its first use only, so the rows add up to the total.
pub fn summary(model: &Network, input_shapes: &[Vec<usize>]) -> Result<String> {
    let inputs = input_shapes
        .iter()
        .map(|s| Tensor::try_full(s, 0.0))
        .collect::<Result<Vec<_>>>()?;
    let mut rows = match model {
        Network::Sequential(s) => sequential_rows(s, &inputs)?,
        Network::Graph(g) => graph_rows(g, &inputs)?,
    };
    let mut header = vec!["Layer (type)", "Output shape", "Param #"];
    if matches!(model, Network::Graph(_)) {
        header.push("Connected to");
    }
    rows.insert(0, header.into_iter().map(str::to_owned).collect());
    let columns = rows[0].len();
    let widths: Vec<usize> = (0..columns)
        .map(|c| rows.iter().map(|r| r[c].len()).max().unwrap_or(0))
        .collect();
    let mut text = String::new();
    for row in &rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            let w = widths[c];
            if c == 2 {
                line.push_str(&format!("{cell:>w$}  "));
            } else {
                line.push_str(&format!("{cell:<w$}  "));
            }
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    let total = parameter_count(model, false);
    let trainable = parameter_count(model, true);
    text.push_str(&format!(
        "Total params: {total} (trainable {trainable}, frozen {})\n",
        total - trainable
    ));
    Ok(text)
}

fn sequential_rows(model: &Sequential, inputs: &[Tensor]) -> Result<Vec<Vec<String>>> {
    let input = match inputs {
        [x] => x,
        _ => {
            return Err(ferrograd_core::Error::InvalidArgument {
                op: "summary",
                msg: format!(
                    "a Sequential model has 1 input, got {} shapes",
                    inputs.len()
                ),
            })
        }
    };
    let outputs = no_grad(|| model.forward_trace(input))?;
    Ok(model
        .layers()
        .iter()
        .zip(&outputs)
        .enumerate()
        .map(|(i, (layer, out))| {
            vec![
                format!("{i} ({})", layer.type_name()),
                format!("{:?}", out.dims()),
                parameter_count(layer.as_ref(), false).to_string(),
            ]
        })
        .collect())
}

fn graph_rows(graph: &Graph, inputs: &[Tensor]) -> Result<Vec<Vec<String>>> {
    let values = no_grad(|| graph.forward_trace(inputs))?;
    let mut counted = vec![false; graph.layers().len()];
    let nodes = graph.nodes();
    Ok(nodes
        .iter()
        .zip(&values)
        .map(|(node, value)| {
            let (kind, params) = match &node.op {
                NodeOp::Input(_) => ("Input".to_owned(), 0),
                NodeOp::Layer(l) => {
                    let layer = graph.layers()[*l].1.as_ref();
                    let first_use = !std::mem::replace(&mut counted[*l], true);
                    let n = if first_use {
                        parameter_count(layer, false)
                    } else {
                        0
                    };
                    (layer.type_name().to_owned(), n)
                }
                NodeOp::Merge(m) => (m.name().to_owned(), 0),
                NodeOp::Output(k) => (format!("Output {k}"), 0),
            };
            let from: Vec<&str> = node
                .inputs
                .iter()
                .map(|&j| nodes[j].name.as_str())
                .collect();
            vec![
                format!("{} ({kind})", node.name),
                format!("{:?}", value.dims()),
                params.to_string(),
                from.join(", "),
            ]
        })
        .collect())
}
