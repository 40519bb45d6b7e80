//! `Network`: the top-level model a trainer drives — a `Sequential` chain or a `Graph`.
//!
//! An enum rather than a trait object because the two differ exactly where training needs to
//! know: how many inputs and outputs there are, what the outputs are called, and how to trace
//! every intermediate value for `summary()`.

use ferrograd_core::{Error, Result, Tensor};

use super::{Graph, Module, Sequential, Slot};

/// A trainable model: a chain of layers or a DAG of layers.
pub enum Network {
    /// One input, one output, layers in order.
    Sequential(Sequential),
    /// Any number of inputs and outputs.
    Graph(Graph),
}

impl From<Sequential> for Network {
    fn from(s: Sequential) -> Self {
        Network::Sequential(s)
    }
}

impl From<Graph> for Network {
    fn from(g: Graph) -> Self {
        Network::Graph(g)
    }
}

impl Network {
    fn inner(&self) -> &dyn Module {
        match self {
            Network::Sequential(s) => s,
            Network::Graph(g) => g,
        }
    }

    fn inner_mut(&mut self) -> &mut dyn Module {
        match self {
            Network::Sequential(s) => s,
            Network::Graph(g) => g,
        }
    }

    /// Number of input tensors `forward_many` expects.
    pub fn num_inputs(&self) -> usize {
        match self {
            Network::Sequential(_) => 1,
            Network::Graph(g) => g.num_inputs(),
        }
    }

    /// Number of output tensors `forward_many` returns.
    pub fn num_outputs(&self) -> usize {
        match self {
            Network::Sequential(_) => 1,
            Network::Graph(g) => g.num_outputs(),
        }
    }

    /// Output names (node names of a graph; `"output"` for a chain).
    pub fn output_names(&self) -> Vec<String> {
        match self {
            Network::Sequential(_) => vec!["output".into()],
            Network::Graph(g) => g.output_names(),
        }
    }

    /// The outputs for one tensor per input.
    pub fn forward_many(&self, inputs: &[Tensor]) -> Result<Vec<Tensor>> {
        match self {
            Network::Sequential(s) => match inputs {
                [x] => Ok(vec![s.forward(x)?]),
                _ => Err(Error::InvalidArgument {
                    op: "Sequential",
                    msg: format!("expects 1 input, got {}", inputs.len()),
                }),
            },
            Network::Graph(g) => g.forward_many(inputs),
        }
    }
}

impl Module for Network {
    fn type_name(&self) -> &'static str {
        self.inner().type_name()
    }

    fn forward(&self, input: &Tensor) -> Result<Tensor> {
        self.inner().forward(input)
    }

    fn visit(&self, f: &mut dyn FnMut(&str, Slot<'_>)) {
        self.inner().visit(f)
    }

    fn set_training(&mut self, training: bool) {
        self.inner_mut().set_training(training)
    }

    fn is_training(&self) -> bool {
        self.inner().is_training()
    }

    fn config(&self) -> Option<serde_json::Value> {
        self.inner().config()
    }

    fn regularization_loss(&self) -> Result<Option<Tensor>> {
        self.inner().regularization_loss()
    }

    fn apply_constraints(&self) -> Result<()> {
        self.inner().apply_constraints()
    }
}
