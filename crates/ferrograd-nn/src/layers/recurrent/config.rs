//! Hyper-parameters of a recurrent layer.

use ferrograd_core::{Error, Result, RnnCell};

/// How the two directions of a bidirectional layer are combined in its output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeMode {
    /// `[fwd, rev]` along the feature axis (PyTorch; output width `2H`).
    Concat,
    /// `fwd + rev`
    Sum,
    /// `fwd ⊙ rev`
    Mul,
    /// `(fwd + rev) / 2`
    Ave,
}

impl MergeMode {
    /// Parses `concat`, `sum`, `mul` or `ave`.
    pub fn from_name(name: &str) -> Result<MergeMode> {
        match name {
            "concat" => Ok(MergeMode::Concat),
            "sum" => Ok(MergeMode::Sum),
            "mul" => Ok(MergeMode::Mul),
            "ave" => Ok(MergeMode::Ave),
            other => Err(Error::InvalidArgument {
                op: "Recurrent",
                msg: format!("unknown merge mode '{other}' (expected concat, sum, mul or ave)"),
            }),
        }
    }

    /// The config name.
    pub fn name(self) -> &'static str {
        match self {
            MergeMode::Concat => "concat",
            MergeMode::Sum => "sum",
            MergeMode::Mul => "mul",
            MergeMode::Ave => "ave",
        }
    }
}

/// Everything that defines a recurrent layer; the defaults of the constructors match
/// `torch.nn.RNN/LSTM/GRU(input_size, hidden_size, batch_first=True)`.
#[derive(Debug, Clone, PartialEq)]
pub struct RecurrentConfig {
    pub cell: RnnCell,
    pub input_size: usize,
    pub hidden_size: usize,
    pub num_layers: usize,
    pub bias: bool,
    pub bidirectional: bool,
    pub merge_mode: MergeMode,
    /// Dropout on the outputs of every layer but the last (training only), as PyTorch's `dropout`.
    pub dropout: f32,
    /// Dropout on the hidden state entering the recurrent projection, one mask per sequence
    /// (Keras' `recurrent_dropout`; training only).
    pub recurrent_dropout: f32,
    /// Output every step `[B, T, ·]` (true) or only the last real one `[B, ·]`.
    pub return_sequences: bool,
    /// `forward_multi` also returns the final states `h_n` (and `c_n`).
    pub return_state: bool,
    /// Steps whose features all equal this value are padding (Keras `Masking`).
    pub mask_value: Option<f32>,
    /// Truncated backpropagation through time: run in chunks of this many steps, detaching the
    /// state carried between chunks (unidirectional layers only).
    pub tbptt_steps: Option<usize>,
    /// Initial and final states are `[batch, layers·directions, hidden]` instead of PyTorch's
    /// `[layers·directions, batch, hidden]`, so they can be inputs and outputs of a graph
    /// model, whose tensors are all batch-first (the TypeScript API sets this).
    pub states_batch_first: bool,
    /// Seed of the weight initialisation (`None`: the global generator).
    pub seed: Option<u64>,
}

impl RecurrentConfig {
    /// A one-layer, unidirectional layer of `cell` returning sequences.
    pub fn new(cell: RnnCell, input_size: usize, hidden_size: usize) -> Self {
        RecurrentConfig {
            cell,
            input_size,
            hidden_size,
            num_layers: 1,
            bias: true,
            bidirectional: false,
            merge_mode: MergeMode::Concat,
            dropout: 0.0,
            recurrent_dropout: 0.0,
            return_sequences: true,
            return_state: false,
            mask_value: None,
            tbptt_steps: None,
            states_batch_first: false,
            seed: None,
        }
    }

    /// `torch.nn.LSTM`
    pub fn lstm(input_size: usize, hidden_size: usize) -> Self {
        Self::new(
            RnnCell::Lstm {
                peephole: false,
                coupled: false,
            },
            input_size,
            hidden_size,
        )
    }

    /// `torch.nn.GRU`
    pub fn gru(input_size: usize, hidden_size: usize) -> Self {
        Self::new(RnnCell::Gru, input_size, hidden_size)
    }

    /// `torch.nn.RNN` (`relu = false`: tanh)
    pub fn rnn(input_size: usize, hidden_size: usize, relu: bool) -> Self {
        let cell = if relu { RnnCell::Relu } else { RnnCell::Tanh };
        Self::new(cell, input_size, hidden_size)
    }

    /// Update-gate RNN (Collins et al. 2017).
    pub fn ugrnn(input_size: usize, hidden_size: usize) -> Self {
        Self::new(RnnCell::Ugrnn, input_size, hidden_size)
    }

    /// Number of directions (1 or 2).
    pub fn directions(&self) -> usize {
        if self.bidirectional {
            2
        } else {
            1
        }
    }

    /// The layer type name (`RNN`, `LSTM`, `GRU`, `UGRNN`).
    pub fn type_name(&self) -> &'static str {
        match self.cell {
            RnnCell::Tanh | RnnCell::Relu => "RNN",
            RnnCell::Lstm { .. } => "LSTM",
            RnnCell::Gru => "GRU",
            RnnCell::Ugrnn => "UGRNN",
        }
    }

    pub(crate) fn validate(&self) -> Result<()> {
        let op = self.type_name();
        let bad = |msg: String| Err(Error::InvalidArgument { op, msg });
        if self.input_size == 0 || self.hidden_size == 0 || self.num_layers == 0 {
            return bad(format!(
                "input_size, hidden_size and num_layers must be positive, got {}, {}, {}",
                self.input_size, self.hidden_size, self.num_layers
            ));
        }
        for (name, p) in [
            ("dropout", self.dropout),
            ("recurrent_dropout", self.recurrent_dropout),
        ] {
            if !(0.0..1.0).contains(&p) {
                return bad(format!("{name} must be in [0, 1), got {p}"));
            }
        }
        if self.tbptt_steps == Some(0) {
            return bad("tbptt_steps must be positive".into());
        }
        if self.tbptt_steps.is_some() && self.bidirectional {
            return bad("truncated BPTT (tbptt_steps) needs a unidirectional layer: the reverse direction would need the whole sequence".into());
        }
        if self.mask_value.is_some_and(|v| !v.is_finite()) {
            return bad("mask_value must be finite".into());
        }
        Ok(())
    }
}
