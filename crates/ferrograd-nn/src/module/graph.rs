//! `Graph`: layers wired as a directed acyclic graph (Keras' functional API).
//!
//! A graph has named input nodes, layer nodes, merge nodes (several inputs: concatenate, add,
//! multiply, ...) and output-selection nodes. A layer node usually reads one node, but layers
//! with several inputs (a recurrent layer given initial states, attention over separate
//! query/key/value, a decoder reading the encoder's memory) read several, through
//! [`Module::forward_multi`]; a layer node with several results (a recurrent layer returning its
//! final states) is read through `Output(k)` nodes, and reading it directly means its first
//! result. Nodes are stored in topological order, so the forward pass
//! is one loop. A layer may be used by several nodes: that is weight sharing (a siamese branch),
//! and its parameters appear once in the state dict, under the layer's name.

use ferrograd_core::{Error, Result, Tensor};

use super::{Module, Slot};

fn invalid(msg: impl Into<String>) -> Error {
    Error::InvalidArgument {
        op: "Graph",
        msg: msg.into(),
    }
}

/// A parameter-free node combining several tensors of the same shape (or, for `Concatenate`,
/// the same shape except along `axis`).
#[derive(Debug, Clone, PartialEq)]
pub enum Merge {
    /// Joins the inputs along `axis` (negative counts from the end; the batch axis is 0).
    Concatenate {
        /// Axis of the full tensor, batch included.
        axis: isize,
    },
    /// Element-wise sum.
    Add,
    /// `a - b` (exactly two inputs).
    Subtract,
    /// Element-wise product.
    Multiply,
    /// Element-wise mean.
    Average,
    /// Element-wise maximum.
    Maximum,
    /// Element-wise minimum.
    Minimum,
}

impl Merge {
    /// The name used in configs (`"concatenate"`, `"add"`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            Merge::Concatenate { .. } => "concatenate",
            Merge::Add => "add",
            Merge::Subtract => "subtract",
            Merge::Multiply => "multiply",
            Merge::Average => "average",
            Merge::Maximum => "maximum",
            Merge::Minimum => "minimum",
        }
    }

    /// Parses a config name; `axis` is used by `concatenate` only.
    pub fn from_name(name: &str, axis: isize) -> Option<Merge> {
        Some(match name {
            "concatenate" => Merge::Concatenate { axis },
            "add" => Merge::Add,
            "subtract" => Merge::Subtract,
            "multiply" => Merge::Multiply,
            "average" => Merge::Average,
            "maximum" => Merge::Maximum,
            "minimum" => Merge::Minimum,
            _ => return None,
        })
    }

    fn apply(&self, node: &str, inputs: &[Tensor]) -> Result<Tensor> {
        let fold = |f: fn(&Tensor, &Tensor) -> Result<Tensor>| -> Result<Tensor> {
            let mut acc = inputs[0].clone();
            for t in &inputs[1..] {
                if t.dims() != acc.dims() {
                    return Err(Error::ShapeMismatch {
                        op: "Graph",
                        lhs: acc.dims().to_vec(),
                        rhs: t.dims().to_vec(),
                        reason: format!(
                            "node '{node}' ({}) needs inputs of the same shape",
                            self.name()
                        ),
                    });
                }
                acc = f(&acc, t)?;
            }
            Ok(acc)
        };
        match self {
            Merge::Concatenate { axis } => Tensor::concat(inputs, *axis).map_err(|e| match e {
                Error::ShapeMismatch { lhs, rhs, .. } => Error::ShapeMismatch {
                    op: "Graph",
                    lhs,
                    rhs,
                    reason: format!(
                        "node '{node}' (concatenate, axis {axis}): shapes differ off the axis"
                    ),
                },
                other => other,
            }),
            Merge::Add => fold(Tensor::add),
            Merge::Subtract => fold(Tensor::sub),
            Merge::Multiply => fold(Tensor::mul),
            Merge::Maximum => fold(Tensor::maximum),
            Merge::Minimum => fold(Tensor::minimum),
            Merge::Average => fold(Tensor::add)?.mul_scalar(1.0 / inputs.len() as f32),
        }
    }
}

/// What a node computes.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeOp {
    /// The graph's input number `.0`.
    Input(usize),
    /// Applies layer number `.0` (an index into the graph's layers) to its inputs (one, or
    /// several for multi-input layers).
    Layer(usize),
    /// Combines its inputs.
    Merge(Merge),
    /// Result number `.0` of the layer node it reads (for layers with several results).
    Output(usize),
}

/// One node: a unique name, what it computes and the indices of the nodes it reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Unique within the graph (`"dense_1"`, `"add"`); output names in multi-output logs.
    pub name: String,
    /// The computation.
    pub op: NodeOp,
    /// Indices of earlier nodes.
    pub inputs: Vec<usize>,
}

/// A model whose layers form a DAG, with any number of inputs and outputs.
pub struct Graph {
    layers: Vec<(String, Box<dyn Module>)>,
    nodes: Vec<Node>,
    inputs: Vec<usize>,
    outputs: Vec<usize>,
    training: bool,
}

impl Graph {
    /// Validates and builds a graph. `layers` are named (the names prefix their parameters);
    /// `nodes` must be in topological order (each node reads only earlier nodes), input nodes
    /// numbered `0..k` exactly once; `outputs` are node indices.
    pub fn new(
        layers: Vec<(String, Box<dyn Module>)>,
        nodes: Vec<Node>,
        outputs: Vec<usize>,
    ) -> Result<Graph> {
        let mut names = std::collections::HashSet::new();
        for (name, _) in &layers {
            if name.is_empty() || name.contains('.') || !names.insert(name.as_str()) {
                return Err(invalid(format!(
                    "layer name '{name}' is empty, contains '.', or is used twice"
                )));
            }
        }
        let mut node_names = std::collections::HashSet::new();
        let mut input_slots: Vec<Option<usize>> = Vec::new();
        let mut layer_used = vec![false; layers.len()];
        for (i, node) in nodes.iter().enumerate() {
            if !node_names.insert(node.name.as_str()) {
                return Err(invalid(format!("node name '{}' is used twice", node.name)));
            }
            if let Some(&bad) = node.inputs.iter().find(|&&j| j >= i) {
                return Err(invalid(format!(
                    "node '{}' reads node {bad}, which does not come before it (nodes must be in topological order)",
                    node.name
                )));
            }
            let arity_ok = match &node.op {
                NodeOp::Input(k) => {
                    if input_slots.len() <= *k {
                        input_slots.resize(k + 1, None);
                    }
                    if input_slots[*k].replace(i).is_some() {
                        return Err(invalid(format!("input {k} is declared twice")));
                    }
                    node.inputs.is_empty()
                }
                NodeOp::Layer(l) => {
                    let used = layer_used.get_mut(*l).ok_or_else(|| {
                        invalid(format!(
                            "node '{}' uses layer {l}, but there are {} layers",
                            node.name,
                            layers.len()
                        ))
                    })?;
                    *used = true;
                    !node.inputs.is_empty()
                }
                NodeOp::Output(_) => {
                    node.inputs.len() == 1 && matches!(nodes[node.inputs[0]].op, NodeOp::Layer(_))
                }
                NodeOp::Merge(Merge::Subtract) => node.inputs.len() == 2,
                NodeOp::Merge(_) => node.inputs.len() >= 2,
            };
            if !arity_ok {
                return Err(invalid(format!(
                    "node '{}' has {} inputs, which its operation does not accept",
                    node.name,
                    node.inputs.len()
                )));
            }
        }
        let inputs = input_slots
            .into_iter()
            .enumerate()
            .map(|(k, slot)| slot.ok_or_else(|| invalid(format!("input {k} is missing"))))
            .collect::<Result<Vec<_>>>()?;
        if inputs.is_empty() {
            return Err(invalid("a graph needs at least one input"));
        }
        if outputs.is_empty() {
            return Err(invalid("a graph needs at least one output"));
        }
        if let Some(&bad) = outputs.iter().find(|&&o| o >= nodes.len()) {
            return Err(invalid(format!(
                "output node {bad} does not exist ({} nodes)",
                nodes.len()
            )));
        }
        if let Some(l) = layer_used.iter().position(|u| !u) {
            return Err(invalid(format!(
                "layer '{}' is not used by any node",
                layers[l].0
            )));
        }
        Ok(Graph {
            layers,
            nodes,
            inputs,
            outputs,
            training: true,
        })
    }

    /// Number of inputs.
    pub fn num_inputs(&self) -> usize {
        self.inputs.len()
    }

    /// Number of outputs.
    pub fn num_outputs(&self) -> usize {
        self.outputs.len()
    }

    /// Names of the output nodes, in output order.
    pub fn output_names(&self) -> Vec<String> {
        self.outputs
            .iter()
            .map(|&o| self.nodes[o].name.clone())
            .collect()
    }

    /// The named layers.
    pub fn layers(&self) -> &[(String, Box<dyn Module>)] {
        &self.layers
    }

    /// The nodes, in topological order.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// Runs the graph and returns the value of every node (for `summary()` shapes); a layer
    /// node with several results is represented by its first.
    pub fn forward_trace(&self, inputs: &[Tensor]) -> Result<Vec<Tensor>> {
        // `forward_all` guarantees every node has at least one result.
        Ok(self
            .forward_all(inputs)?
            .into_iter()
            .flat_map(|results| results.into_iter().take(1))
            .collect())
    }

    /// Every result of every node.
    fn forward_all(&self, inputs: &[Tensor]) -> Result<Vec<Vec<Tensor>>> {
        if inputs.len() != self.inputs.len() {
            return Err(invalid(format!(
                "expects {} inputs, got {}",
                self.inputs.len(),
                inputs.len()
            )));
        }
        let mut values: Vec<Vec<Tensor>> = Vec::with_capacity(self.nodes.len());
        for node in &self.nodes {
            let first = |j: usize| -> Result<Tensor> {
                values[j]
                    .first()
                    .cloned()
                    .ok_or_else(|| invalid(format!("node '{}' has no result", self.nodes[j].name)))
            };
            let value = match &node.op {
                NodeOp::Input(k) => vec![inputs[*k].clone()],
                NodeOp::Layer(l) => {
                    let args = node
                        .inputs
                        .iter()
                        .map(|&j| first(j))
                        .collect::<Result<Vec<_>>>()?;
                    let layer = &self.layers[*l].1;
                    let annotated = |e| annotate(e, &node.name, layer.type_name());
                    layer.forward_multi(&args).map_err(annotated)?
                }
                NodeOp::Merge(m) => {
                    let args = node
                        .inputs
                        .iter()
                        .map(|&j| first(j))
                        .collect::<Result<Vec<_>>>()?;
                    vec![m.apply(&node.name, &args)?]
                }
                NodeOp::Output(k) => {
                    let source = node.inputs[0];
                    let results = &values[source];
                    let picked = results.get(*k).cloned().ok_or_else(|| {
                        invalid(format!(
                            "node '{}' selects result {k} of '{}', which returned {} results",
                            node.name,
                            self.nodes[source].name,
                            results.len()
                        ))
                    })?;
                    vec![picked]
                }
            };
            if value.is_empty() {
                return Err(invalid(format!("node '{}' returned no result", node.name)));
            }
            values.push(value);
        }
        Ok(values)
    }

    /// The outputs for `inputs` (one tensor per graph input, in order).
    pub fn forward_many(&self, inputs: &[Tensor]) -> Result<Vec<Tensor>> {
        let values = self.forward_trace(inputs)?;
        Ok(self.outputs.iter().map(|&o| values[o].clone()).collect())
    }
}

/// Prefixes a layer's error message with the node it happened in, keeping the error's category.
fn annotate(e: Error, node: &str, type_name: &str) -> Error {
    match e {
        Error::ShapeMismatch {
            op,
            lhs,
            rhs,
            reason,
        } => Error::ShapeMismatch {
            op,
            lhs,
            rhs,
            reason: format!("in node '{node}' ({type_name}): {reason}"),
        },
        Error::InvalidArgument { op, msg } => Error::InvalidArgument {
            op,
            msg: format!("in node '{node}' ({type_name}): {msg}"),
        },
        other => other,
    }
}

impl Module for Graph {
    fn type_name(&self) -> &'static str {
        "Graph"
    }

    /// Single-input, single-output graphs only (so a graph can be a layer of another model);
    /// use [`Graph::forward_many`] otherwise.
    fn forward(&self, input: &Tensor) -> Result<Tensor> {
        if self.inputs.len() != 1 || self.outputs.len() != 1 {
            return Err(invalid(format!(
                "forward takes one tensor, but this graph has {} inputs and {} outputs",
                self.inputs.len(),
                self.outputs.len()
            )));
        }
        let mut out = self.forward_many(std::slice::from_ref(input))?;
        Ok(out.remove(0))
    }

    fn visit(&self, f: &mut dyn FnMut(&str, Slot<'_>)) {
        for (name, layer) in &self.layers {
            f(name, Slot::Child(layer.as_ref()));
        }
    }

    fn set_training(&mut self, training: bool) {
        self.training = training;
        for (_, layer) in &mut self.layers {
            layer.set_training(training);
        }
    }

    fn is_training(&self) -> bool {
        self.training
    }

    fn regularization_loss(&self) -> Result<Option<Tensor>> {
        let mut total: Option<Tensor> = None;
        for (_, layer) in &self.layers {
            if let Some(p) = layer.regularization_loss()? {
                total = Some(match total {
                    Some(t) => t.add(&p)?,
                    None => p,
                });
            }
        }
        Ok(total)
    }

    fn apply_constraints(&self) -> Result<()> {
        for (_, layer) in &self.layers {
            layer.apply_constraints()?;
        }
        Ok(())
    }

    /// `{"type": "Graph", "layers": [{"name", "config"}], "nodes": [...], "outputs": [names]}`;
    /// nodes reference their inputs and layers by name.
    fn config(&self) -> Option<serde_json::Value> {
        let layers = self
            .layers
            .iter()
            .map(|(name, l)| Some(serde_json::json!({"name": name, "config": l.config()?})))
            .collect::<Option<Vec<_>>>()?;
        let nodes: Vec<serde_json::Value> = self
            .nodes
            .iter()
            .map(|n| {
                let inputs: Vec<&str> = n
                    .inputs
                    .iter()
                    .map(|&j| self.nodes[j].name.as_str())
                    .collect();
                match &n.op {
                    NodeOp::Input(k) => {
                        serde_json::json!({"name": n.name, "op": "input", "index": k})
                    }
                    NodeOp::Layer(l) => serde_json::json!({
                        "name": n.name, "op": "layer", "layer": self.layers[*l].0, "inputs": inputs
                    }),
                    NodeOp::Output(k) => serde_json::json!({
                        "name": n.name, "op": "output", "index": k, "inputs": inputs
                    }),
                    NodeOp::Merge(Merge::Concatenate { axis }) => serde_json::json!({
                        "name": n.name, "op": "concatenate", "axis": axis, "inputs": inputs
                    }),
                    NodeOp::Merge(m) => {
                        serde_json::json!({"name": n.name, "op": m.name(), "inputs": inputs})
                    }
                }
            })
            .collect();
        Some(serde_json::json!({
            "type": "Graph",
            "layers": layers,
            "nodes": nodes,
            "outputs": self.output_names(),
        }))
    }
}
