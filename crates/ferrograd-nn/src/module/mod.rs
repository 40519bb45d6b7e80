//! The `Module` abstraction: named parameters and buffers, train/eval mode, state dicts.
//!
//! As in PyTorch, a module owns its parameters (leaf tensors that require grad), buffers (state
//! that is saved but not trained, like batch-norm running statistics) and children; one recursive
//! traversal (`visit`) backs `parameters()`, `state_dict()`, `load_state_dict()`, freezing and
//! parameter counts, so a new layer only lists what it owns.

mod graph;
mod network;
mod sequential;
mod state;
mod summary;

pub use graph::{Graph, Merge, Node, NodeOp};
pub use network::Network;
pub use sequential::Sequential;
pub use state::{load_state_dict, state_dict, LoadReport};
pub use summary::summary;

use ferrograd_core::{Result, Tensor};

/// What a module owns, visited by name.
pub enum Slot<'a> {
    /// A trainable weight (a leaf tensor; `requires_grad` follows the module's trainable flag).
    Parameter(&'a Tensor),
    /// Saved state that is not trained (running statistics, counters).
    Buffer(&'a Tensor),
    /// A child module.
    Child(&'a dyn Module),
}

/// A layer or a model: a differentiable function of one tensor with named state.
pub trait Module: Send + Sync {
    /// The layer's class name as printed by `summary()` (`"Linear"`, `"BatchNorm1d"`, ...).
    fn type_name(&self) -> &'static str;

    /// Computes the output. Uses training-mode behaviour (dropout, batch statistics) when
    /// [`Module::is_training`] is true.
    fn forward(&self, input: &Tensor) -> Result<Tensor>;

    /// Forward for layers with several inputs or outputs: a recurrent layer given initial states
    /// (`[x, h0, c0]`) or returning its final states (`[y, h, c]`), attention over separate
    /// query/key/value, a decoder layer reading the encoder's memory (`[tgt, memory]`). The graph
    /// (functional API) calls this; the default accepts exactly one input and returns
    /// `[forward(input)]`.
    fn forward_multi(&self, inputs: &[Tensor]) -> Result<Vec<Tensor>> {
        match inputs {
            [x] => Ok(vec![self.forward(x)?]),
            _ => Err(ferrograd_core::Error::InvalidArgument {
                op: self.type_name(),
                msg: format!("takes one input, got {}", inputs.len()),
            }),
        }
    }

    /// Calls `f` with the name and slot of every parameter, buffer and child this module owns
    /// directly (children are not descended into here).
    fn visit(&self, f: &mut dyn FnMut(&str, Slot<'_>));

    /// Switches training-mode behaviour on or off, for this module and its children.
    fn set_training(&mut self, training: bool);

    /// Whether the module is in training mode.
    fn is_training(&self) -> bool;

    /// The layer's architecture as JSON, `{"type": <type_name>, ...hyper-parameters}`, which
    /// [`crate::model::LayerRegistry`] turns back into a freshly initialised layer (weights are
    /// saved separately, by `state_dict`). `None` (the default) means the module cannot be
    /// saved with [`crate::model::save_model`]; every built-in layer returns `Some`.
    fn config(&self) -> Option<serde_json::Value> {
        None
    }

    /// For a layer that reuses a sibling layer's `weight` (an output projection tied to an
    /// embedding): that sibling's name in the enclosing model (`"0"` in a sequential model, the
    /// layer name in a graph). The container calls [`Module::bind_tied`] after building.
    fn tied_to(&self) -> Option<&str> {
        None
    }

    /// Receives the `weight` parameter of the layer named by [`Module::tied_to`].
    fn bind_tied(&mut self, _weight: Tensor) -> Result<()> {
        Err(ferrograd_core::Error::InvalidArgument {
            op: self.type_name(),
            msg: "this layer does not tie weights".into(),
        })
    }

    /// Penalty added to the training loss (L1/L2 weight regularisation), summed over children by
    /// containers; `None` when the module has none.
    fn regularization_loss(&self) -> Result<Option<Tensor>> {
        Ok(None)
    }

    /// Projects constrained weights back into their allowed set (max-norm, unit-norm,
    /// non-negative), called by the training loop after every optimizer step.
    fn apply_constraints(&self) -> Result<()> {
        Ok(())
    }
}

/// Every parameter with its dotted name (`"0.weight"`, `"encoder.1.bias"`), in definition order.
pub fn named_parameters(module: &dyn Module) -> Vec<(String, Tensor)> {
    let mut out = Vec::new();
    walk(module, "", &mut |name, slot| {
        if let Slot::Parameter(t) = slot {
            out.push((name.to_owned(), t.clone()));
        }
    });
    out
}

/// Every buffer with its dotted name.
pub fn named_buffers(module: &dyn Module) -> Vec<(String, Tensor)> {
    let mut out = Vec::new();
    walk(module, "", &mut |name, slot| {
        if let Slot::Buffer(t) = slot {
            out.push((name.to_owned(), t.clone()));
        }
    });
    out
}

/// Number of parameter elements; `trainable_only` skips frozen ones.
pub fn parameter_count(module: &dyn Module, trainable_only: bool) -> usize {
    named_parameters(module)
        .iter()
        .filter(|(_, t)| !trainable_only || t.requires_grad())
        .map(|(_, t)| t.numel())
        .sum()
}

/// Freezes (`trainable = false`) or unfreezes every parameter of `module`: frozen parameters do
/// not require grad, so backward skips them and optimizers leave them alone.
pub fn set_trainable(module: &dyn Module, trainable: bool) -> Result<()> {
    for (_, t) in named_parameters(module) {
        t.set_requires_grad(trainable)?;
    }
    Ok(())
}

/// Depth-first traversal with dotted names; the single recursion behind every helper above.
pub(crate) fn walk(module: &dyn Module, prefix: &str, f: &mut dyn FnMut(&str, Slot<'_>)) {
    module.visit(&mut |name, slot| {
        let full = if prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{prefix}.{name}")
        };
        match slot {
            Slot::Child(child) => walk(child, &full, f),
            other => f(&full, other),
        }
    });
}

/// Creates a parameter: a leaf tensor that requires grad.
pub fn parameter(t: Tensor) -> Result<Tensor> {
    t.set_requires_grad(true)?;
    Ok(t)
}
