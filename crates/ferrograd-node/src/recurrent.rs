//! Eager fused recurrent sequences for custom TypeScript code (the recurrent layers use the same
//! op natively).

use ferrograd_core::{RnnCell, RnnOptions, RnnWeights, Tensor};
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::error::{core_err, fg_error, ErrorCode, FgResult};
use crate::tensor::NativeTensor;

const OP: &str = "rnnSequence";

/// Cell and run settings of [`rnn_sequence`].
#[napi(object)]
pub struct RnnArgs {
    /// `"tanh"`, `"relu"`, `"lstm"`, `"gru"` or `"ugrnn"`.
    pub cell: String,
    /// LSTM peephole connections (needs the `peephole` weights).
    pub peephole: bool,
    /// LSTM coupled input/forget gates.
    pub coupled: bool,
    /// Walk from the last step to the first.
    pub reverse: bool,
    /// Real length of every sequence (steps past it are padding).
    pub lengths: Option<Vec<u32>>,
}

fn cell(args: &RnnArgs) -> FgResult<RnnCell> {
    Ok(match args.cell.as_str() {
        "tanh" => RnnCell::Tanh,
        "relu" => RnnCell::Relu,
        "lstm" => RnnCell::Lstm {
            peephole: args.peephole,
            coupled: args.coupled,
        },
        "gru" => RnnCell::Gru,
        "ugrnn" => RnnCell::Ugrnn,
        other => {
            return Err(fg_error(
                ErrorCode::Core("ValueError"),
                format!("{OP}: cell must be tanh, relu, lstm, gru or ugrnn, got '{other}'"),
            ))
        }
    })
}

fn opt(t: Option<&NativeTensor>) -> FgResult<Option<Tensor>> {
    t.map(|t| t.get(OP)).transpose()
}

/// One recurrent layer in one direction over `x [B, T, I]`: `[output [B, T, H], h_n [B, H]]`
/// plus `c_n [B, H]` for an LSTM. Every tensor argument receives gradients.
#[napi(catch_unwind)]
#[allow(clippy::too_many_arguments)]
pub fn rnn_sequence(
    env: Env,
    x: &NativeTensor,
    weight_ih: &NativeTensor,
    weight_hh: &NativeTensor,
    bias_ih: Option<&NativeTensor>,
    bias_hh: Option<&NativeTensor>,
    peephole: Option<&NativeTensor>,
    h0: Option<&NativeTensor>,
    c0: Option<&NativeTensor>,
    args: RnnArgs,
) -> Result<Vec<NativeTensor>, ErrorCode> {
    let (x, w_ih, w_hh) = (x.get(OP)?, weight_ih.get(OP)?, weight_hh.get(OP)?);
    let (b_ih, b_hh, peep) = (opt(bias_ih)?, opt(bias_hh)?, opt(peephole)?);
    let (h0, c0) = (opt(h0)?, opt(c0)?);
    let lengths: Option<Vec<usize>> = args
        .lengths
        .as_ref()
        .map(|l| l.iter().map(|&v| v as usize).collect());
    let weights = RnnWeights {
        w_ih: &w_ih,
        w_hh: &w_hh,
        b_ih: b_ih.as_ref(),
        b_hh: b_hh.as_ref(),
        peephole: peep.as_ref(),
    };
    let mut options = RnnOptions::new(cell(&args)?);
    options.h0 = h0.as_ref();
    options.c0 = c0.as_ref();
    options.lengths = lengths.as_deref();
    options.reverse = args.reverse;
    let out = x.rnn_sequence(&weights, &options).map_err(core_err)?;
    let mut results = vec![out.output, out.h_n];
    results.extend(out.c_n);
    results
        .into_iter()
        .map(|t| NativeTensor::wrap(&env, t))
        .collect::<FgResult<Vec<_>>>()
}
