//! Registry entries of the recurrent layers (`RNN`, `LSTM`, `GRU`, `UGRNN`) and
//! `TimeDistributed`.

use ferrograd_core::RnnCell;

use super::{LayerFields, LayerRegistry, Result};
use crate::layers::{MergeMode, Recurrent, RecurrentConfig, TimeDistributed};

const COMMON: [&str; 13] = [
    "input_size",
    "hidden_size",
    "num_layers",
    "bias",
    "bidirectional",
    "merge_mode",
    "dropout",
    "recurrent_dropout",
    "return_sequences",
    "return_state",
    "mask_value",
    "tbptt_steps",
    "states_batch_first",
];

fn build(f: &LayerFields<'_>, cell: RnnCell) -> Result<Box<dyn crate::module::Module>> {
    let mut c = RecurrentConfig::new(cell, f.usize("input_size")?, f.usize("hidden_size")?);
    c.num_layers = f.usize("num_layers")?;
    c.bias = f.bool("bias")?;
    c.bidirectional = f.bool("bidirectional")?;
    c.merge_mode = MergeMode::from_name(f.str("merge_mode")?).map_err(|e| f.invalid(e))?;
    c.dropout = f.f32("dropout")?;
    c.recurrent_dropout = f.f32("recurrent_dropout")?;
    c.return_sequences = f.bool("return_sequences")?;
    c.return_state = f.bool("return_state")?;
    c.mask_value = f.opt_f32("mask_value")?;
    c.tbptt_steps = f.opt_usize("tbptt_steps")?;
    c.states_batch_first = f.opt_bool("states_batch_first")?.unwrap_or(false);
    Ok(Box::new(Recurrent::new(c).map_err(|e| f.invalid(e))?))
}

pub(super) fn register(r: &mut LayerRegistry) {
    r.register("RNN", |f, _| {
        let mut allowed = COMMON.to_vec();
        allowed.push("nonlinearity");
        f.only(&allowed)?;
        let cell = match f.str("nonlinearity")? {
            "tanh" => RnnCell::Tanh,
            "relu" => RnnCell::Relu,
            other => {
                return Err(f.error(
                    "nonlinearity",
                    format!("expected tanh or relu, got '{other}'"),
                ))
            }
        };
        build(f, cell)
    });
    r.register("LSTM", |f, _| {
        let mut allowed = COMMON.to_vec();
        allowed.extend(["peephole", "coupled"]);
        f.only(&allowed)?;
        let cell = RnnCell::Lstm {
            peephole: f.bool("peephole")?,
            coupled: f.bool("coupled")?,
        };
        build(f, cell)
    });
    r.register("GRU", |f, _| {
        f.only(&COMMON)?;
        build(f, RnnCell::Gru)
    });
    r.register("UGRNN", |f, _| {
        f.only(&COMMON)?;
        build(f, RnnCell::Ugrnn)
    });
    r.register("TimeDistributed", |f, reg| {
        f.only(&["layer"])?;
        let inner = reg.build_layer(f.get("layer")?, &format!("{}.layer", f.path()))?;
        Ok(Box::new(TimeDistributed::new(inner)))
    });
}
