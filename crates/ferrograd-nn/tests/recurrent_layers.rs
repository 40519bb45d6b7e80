//! Behaviour of the recurrent layers beyond PyTorch parity: padding (lengths, `mask_value`,
//! `Embedding` padding ids) leaves results and gradients of the real steps unchanged, truncated
//! BPTT, merge modes, `return_sequences = false`, dropout modes, `TimeDistributed`, registry
//! round trips, `summary()` and error messages.

use std::collections::BTreeMap;

use ferrograd_core::{RnnCell, Tensor};
use ferrograd_nn::layers::{
    Embedding, LinearConfig, MergeMode, Recurrent, RecurrentConfig, TimeDistributed,
};
use ferrograd_nn::model::LayerRegistry;
use ferrograd_nn::module::{
    load_state_dict, named_parameters, state_dict, summary, Module, Network, Sequential,
};

fn randn(shape: &[usize], seed: u64) -> Tensor {
    Tensor::randn(shape, 0.0, 1.0, Some(seed)).unwrap()
}

fn assert_close(a: &[f32], b: &[f32], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: length");
    for (k, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= 1e-5 + 1e-4 * y.abs(),
            "{what}[{k}]: {x} vs {y}"
        );
    }
}

fn lengths(l: &[usize]) -> Tensor {
    Tensor::from_vec(l.iter().map(|&v| v as f32).collect(), &[l.len()]).unwrap()
}

fn all_cells() -> Vec<RnnCell> {
    vec![
        RnnCell::Tanh,
        RnnCell::Relu,
        RnnCell::Lstm {
            peephole: false,
            coupled: false,
        },
        RnnCell::Lstm {
            peephole: true,
            coupled: true,
        },
        RnnCell::Gru,
        RnnCell::Ugrnn,
    ]
}

fn layer(cell: RnnCell, bidirectional: bool, layers: usize) -> Recurrent {
    let mut c = RecurrentConfig::new(cell, 3, 5);
    c.bidirectional = bidirectional;
    c.num_layers = layers;
    c.return_state = true;
    c.seed = Some(7);
    Recurrent::new(c).unwrap()
}

/// Runs each sequence alone (unpadded) and the padded batch with `lengths`; outputs of real
/// steps, final states and all gradients (summed over the rows for the weights) must agree.
#[test]
fn padding_changes_nothing_for_real_steps() {
    let (b, t) = (3, 6);
    let lens = [6, 2, 4];
    for cell in all_cells() {
        for bidir in [false, true] {
            let l = layer(cell, bidir, 2);
            let x = randn(&[b, t, 3], 1);
            // Garbage in the padding must not matter.
            let xv = x.to_vec();
            let xb = Tensor::from_vec(xv.clone(), &[b, t, 3]).unwrap();
            xb.set_requires_grad(true).unwrap();
            let out = l.forward_multi(&[xb.clone(), lengths(&lens)]).unwrap();
            let wy = randn(out[0].dims(), 2);
            let loss = out[0].mul(&wy).unwrap().sum(None, false).unwrap();
            let loss = loss.add(&out[1].sum(None, false).unwrap()).unwrap();
            loss.backward().unwrap();
            let batch_grads: Vec<Vec<f32>> = named_parameters(&l)
                .iter()
                .map(|(_, p)| p.grad().unwrap().to_vec())
                .collect();
            for (_, p) in named_parameters(&l) {
                p.zero_grad();
            }
            let y = out[0].to_vec();
            let hn = out[1].to_vec();
            let gx = xb.grad().unwrap().to_vec();
            let width = out[0].dims()[2];
            let ld = out[1].dims()[0];
            let mut sums: Vec<Vec<f32>> = batch_grads.iter().map(|g| vec![0.0; g.len()]).collect();
            for (r, &len) in lens.iter().enumerate() {
                let xr = Tensor::from_vec(xv[r * t * 3..(r * t + len) * 3].to_vec(), &[1, len, 3])
                    .unwrap();
                xr.set_requires_grad(true).unwrap();
                let o = l.forward_multi(std::slice::from_ref(&xr)).unwrap();
                let wr = Tensor::from_vec(
                    wy.to_vec()[r * t * width..(r * t + len) * width].to_vec(),
                    &[1, len, width],
                )
                .unwrap();
                let lr = o[0].mul(&wr).unwrap().sum(None, false).unwrap();
                lr.add(&o[1].sum(None, false).unwrap())
                    .unwrap()
                    .backward()
                    .unwrap();
                let what = format!("{cell:?} bidir={bidir} row {r}");
                assert_close(
                    &y[r * t * width..(r * t + len) * width],
                    &o[0].to_vec(),
                    &format!("{what} y"),
                );
                assert!(
                    y[(r * t + len) * width..(r + 1) * t * width]
                        .iter()
                        .all(|&v| v == 0.0),
                    "{what}: padded outputs are zero"
                );
                let hr: Vec<f32> = (0..ld)
                    .flat_map(|k| hn[(k * b + r) * 5..(k * b + r + 1) * 5].to_vec())
                    .collect();
                assert_close(&hr, &o[1].to_vec(), &format!("{what} h_n"));
                assert_close(
                    &gx[r * t * 3..(r * t + len) * 3],
                    &xr.grad().unwrap().to_vec(),
                    &format!("{what} dx"),
                );
                assert!(
                    gx[(r * t + len) * 3..(r + 1) * t * 3]
                        .iter()
                        .all(|&v| v == 0.0),
                    "{what}: no gradient into padding"
                );
                for (s, (_, p)) in sums.iter_mut().zip(named_parameters(&l)) {
                    for (a, v) in s.iter_mut().zip(p.grad().unwrap().to_vec()) {
                        *a += v;
                    }
                    p.zero_grad();
                }
            }
            for (k, (a, s)) in batch_grads.iter().zip(&sums).enumerate() {
                assert_close(a, s, &format!("{cell:?} bidir={bidir} weight grad {k}"));
            }
        }
    }
}

#[test]
fn mask_value_equals_lengths() {
    let (b, t) = (3, 5);
    let lens = [5, 1, 3];
    let mut data = randn(&[b, t, 3], 3).to_vec();
    for (r, &len) in lens.iter().enumerate() {
        data[(r * t + len) * 3..(r + 1) * t * 3].fill(0.0);
    }
    let x = Tensor::from_vec(data, &[b, t, 3]).unwrap();
    let a = layer(RnnCell::Gru, true, 1);
    let mut cfg = a.config.clone();
    cfg.mask_value = Some(0.0);
    let m = Recurrent::new(cfg).unwrap();
    load_state_dict(&m, &state_dict(&a), true).unwrap();
    let ya = a.forward_multi(&[x.clone(), lengths(&lens)]).unwrap();
    let ym = m.forward_multi(&[x]).unwrap();
    assert_close(&ya[0].to_vec(), &ym[0].to_vec(), "y");
    assert_close(&ya[1].to_vec(), &ym[1].to_vec(), "h_n");
}

#[test]
fn embedding_padding_idx_feeds_masking() {
    let emb = Embedding::with_padding_idx(10, 3, 0, Some(1)).unwrap();
    let ids = Tensor::from_vec(vec![4., 2., 7., 3., 0., 0., 6., 0., 0.], &[3, 3]).unwrap();
    let e = emb.forward(&ids).unwrap();
    let ev = e.to_vec();
    for step in [4, 5, 7, 8] {
        assert!(
            ev[step * 3..step * 3 + 3].iter().all(|&v| v == 0.0),
            "padding id embeds to zeros"
        );
    }
    let mut cfg = RecurrentConfig::lstm(3, 4);
    cfg.mask_value = Some(0.0);
    cfg.return_sequences = false;
    cfg.seed = Some(3);
    let l = Recurrent::new(cfg.clone()).unwrap();
    cfg.mask_value = None;
    let plain = Recurrent::new(cfg).unwrap();
    load_state_dict(&plain, &state_dict(&l), true).unwrap();
    let y = l.forward(&e).unwrap();
    let y_len = plain
        .forward_multi(&[e.clone(), lengths(&[3, 1, 1])])
        .unwrap();
    assert_close(&y.to_vec(), &y_len[0].to_vec(), "masked by padding id");
    y.sum(None, false).unwrap().backward().unwrap();
    let g = emb.weight.grad().unwrap().to_vec();
    assert!(
        g[0..3].iter().all(|&v| v == 0.0),
        "the padding row gets no gradient"
    );
    assert!(g[12..15].iter().any(|&v| v != 0.0));
}

#[test]
fn truncated_bptt_keeps_values_and_cuts_gradients() {
    let x = randn(&[2, 6, 3], 5);
    let full = layer(
        RnnCell::Lstm {
            peephole: false,
            coupled: false,
        },
        false,
        2,
    );
    let mut cfg = full.config.clone();
    cfg.tbptt_steps = Some(2);
    let tb = Recurrent::new(cfg).unwrap();
    load_state_dict(&tb, &state_dict(&full), true).unwrap();
    let xs = [x.detach(), x.detach()];
    for t in &xs {
        t.set_requires_grad(true).unwrap();
    }
    let a = full.forward_multi(&[xs[0].clone()]).unwrap();
    let b = tb.forward_multi(&[xs[1].clone()]).unwrap();
    for k in 0..3 {
        assert_close(&a[k].to_vec(), &b[k].to_vec(), &format!("result {k}"));
    }
    for o in [&a, &b] {
        o[0].narrow(1, 5, 1)
            .unwrap()
            .sum(None, false)
            .unwrap()
            .backward()
            .unwrap();
    }
    let (ga, gb) = (
        xs[0].grad().unwrap().to_vec(),
        xs[1].grad().unwrap().to_vec(),
    );
    // Loss on the last step: the truncated run only reaches back to the last chunk (steps 4, 5).
    for r in 0..2 {
        let early = |g: &[f32]| g[r * 18..r * 18 + 12].iter().map(|v| v.abs()).sum::<f32>();
        assert!(early(&ga) > 0.0);
        assert_eq!(early(&gb), 0.0);
        assert_close(
            &gb[r * 18 + 12..(r + 1) * 18],
            &ga[r * 18 + 12..(r + 1) * 18],
            "last chunk dx",
        );
    }
}

#[test]
fn merge_modes_and_last_step() {
    let x = randn(&[2, 4, 3], 9);
    let base = layer(RnnCell::Gru, true, 1);
    let cat = base.forward(&x).unwrap().to_vec();
    let (f, r): (Vec<f32>, Vec<f32>) = (
        cat.chunks(10).flat_map(|c| c[..5].to_vec()).collect(),
        cat.chunks(10).flat_map(|c| c[5..].to_vec()).collect(),
    );
    for (mode, op) in [
        (
            MergeMode::Sum,
            (|a: f32, b: f32| a + b) as fn(f32, f32) -> f32,
        ),
        (MergeMode::Mul, |a, b| a * b),
        (MergeMode::Ave, |a, b| (a + b) / 2.0),
    ] {
        let mut cfg = base.config.clone();
        cfg.merge_mode = mode;
        let l = Recurrent::new(cfg).unwrap();
        load_state_dict(&l, &state_dict(&base), true).unwrap();
        let want: Vec<f32> = f.iter().zip(&r).map(|(&a, &b)| op(a, b)).collect();
        assert_close(&l.forward(&x).unwrap().to_vec(), &want, mode.name());
    }
    // return_sequences = false: forward direction's last step, reverse direction's first.
    let mut cfg = base.config.clone();
    cfg.return_sequences = false;
    let last = Recurrent::new(cfg).unwrap();
    load_state_dict(&last, &state_dict(&base), true).unwrap();
    let y = last.forward(&x).unwrap();
    assert_eq!(y.dims(), [2, 10]);
    let yv = y.to_vec();
    for bi in 0..2 {
        assert_close(
            &yv[bi * 10..bi * 10 + 5],
            &cat[(bi * 4 + 3) * 10..(bi * 4 + 3) * 10 + 5],
            "fwd last",
        );
        assert_close(
            &yv[bi * 10 + 5..bi * 10 + 10],
            &cat[bi * 40 + 5..bi * 40 + 10],
            "rev first",
        );
    }
}

#[test]
fn dropout_only_in_training() {
    let mut cfg = RecurrentConfig::lstm(3, 6);
    cfg.num_layers = 2;
    cfg.dropout = 0.5;
    cfg.recurrent_dropout = 0.5;
    cfg.seed = Some(1);
    let mut l = Recurrent::new(cfg.clone()).unwrap();
    cfg.dropout = 0.0;
    cfg.recurrent_dropout = 0.0;
    let plain = Recurrent::new(cfg).unwrap();
    load_state_dict(&plain, &state_dict(&l), true).unwrap();
    let x = randn(&[2, 5, 3], 4);
    let y_train = l.forward(&x).unwrap().to_vec();
    l.set_training(false);
    let y_eval = l.forward(&x).unwrap().to_vec();
    assert_close(
        &y_eval,
        &plain.forward(&x).unwrap().to_vec(),
        "eval = no dropout",
    );
    assert!(y_train
        .iter()
        .zip(&y_eval)
        .any(|(a, b)| (a - b).abs() > 1e-4));
}

#[test]
fn time_distributed_is_per_step() {
    let lin = LinearConfig::new(4, 2).init(Some(3)).unwrap();
    let td = TimeDistributed::new(Box::new(LinearConfig::new(4, 2).init(Some(3)).unwrap()));
    let x = randn(&[3, 5, 4], 2);
    let y = td.forward(&x).unwrap();
    assert_eq!(y.dims(), [3, 5, 2]);
    let want = lin.forward(&x.reshape_to(&[15, 4]).unwrap()).unwrap();
    assert_close(&y.to_vec(), &want.to_vec(), "time distributed");
    let names: Vec<String> = named_parameters(&td).into_iter().map(|(n, _)| n).collect();
    assert!(names.iter().all(|n| n.starts_with("layer.")), "{names:?}");
}

#[test]
fn registry_round_trip_and_names() {
    let reg = LayerRegistry::with_builtins();
    let mut layers: Vec<Box<dyn Module>> = Vec::new();
    for cell in all_cells() {
        let mut c = RecurrentConfig::new(cell, 3, 4);
        c.bidirectional = true;
        c.num_layers = 2;
        c.merge_mode = MergeMode::Ave;
        c.dropout = 0.25;
        c.recurrent_dropout = 0.1;
        c.return_sequences = false;
        c.return_state = true;
        c.mask_value = Some(0.0);
        layers.push(Box::new(Recurrent::new(c).unwrap()));
    }
    let mut c = RecurrentConfig::gru(3, 4);
    c.tbptt_steps = Some(8);
    c.bias = false;
    layers.push(Box::new(Recurrent::new(c).unwrap()));
    layers.push(Box::new(TimeDistributed::new(Box::new(
        LinearConfig::new(3, 2).init(None).unwrap(),
    ))));
    layers.push(Box::new(
        Embedding::with_padding_idx(5, 3, 0, None).unwrap(),
    ));
    for l in &layers {
        let cfg = l.config().unwrap();
        let built = reg.build_layer(&cfg, "0").unwrap();
        assert_eq!(built.config().unwrap(), cfg);
        let shapes = |m: &dyn Module| -> BTreeMap<String, Vec<usize>> {
            named_parameters(m)
                .into_iter()
                .map(|(n, t)| (n, t.dims().to_vec()))
                .collect()
        };
        assert_eq!(shapes(built.as_ref()), shapes(l.as_ref()), "{cfg}");
    }
    let lstm = Recurrent::new({
        let mut c = RecurrentConfig::new(
            RnnCell::Lstm {
                peephole: true,
                coupled: false,
            },
            3,
            4,
        );
        c.bidirectional = true;
        c
    })
    .unwrap();
    let names: Vec<String> = named_parameters(&lstm)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(
        names,
        [
            "weight_ih_l0",
            "weight_hh_l0",
            "bias_ih_l0",
            "bias_hh_l0",
            "weight_peephole_l0",
            "weight_ih_l0_reverse",
            "weight_hh_l0_reverse",
            "bias_ih_l0_reverse",
            "bias_hh_l0_reverse",
            "weight_peephole_l0_reverse",
        ]
    );
    let bad = serde_json::json!({"type": "GRU", "input_size": 3, "hidden_size": 4, "num_layers": 1,
        "bias": true, "bidirectional": true, "merge_mode": "max", "dropout": 0.0,
        "recurrent_dropout": 0.0, "return_sequences": true, "return_state": false,
        "mask_value": null, "tbptt_steps": null});
    let e = reg.build_layer(&bad, "3").err().unwrap().to_string();
    assert!(e.contains("merge mode 'max'"), "{e}");
}

#[test]
fn summary_of_a_text_classifier() {
    let mut c = RecurrentConfig::lstm(8, 16);
    c.mask_value = Some(0.0);
    c.return_sequences = false;
    c.bidirectional = true;
    let model = Network::Sequential(Sequential::new(vec![
        Box::new(Embedding::with_padding_idx(20, 8, 0, Some(1)).unwrap()),
        Box::new(Recurrent::new(c).unwrap()),
        Box::new(LinearConfig::new(32, 3).init(Some(2)).unwrap()),
    ]));
    let text = summary(&model, &[vec![2, 7]]).unwrap();
    assert!(text.contains("LSTM"), "{text}");
    assert!(text.contains("[2, 32]"), "{text}");
}

#[test]
fn errors_name_the_problem() {
    let l = layer(RnnCell::Gru, false, 1);
    let msg = |r: ferrograd_core::Result<Vec<Tensor>>| r.err().unwrap().to_string();
    assert!(msg(l.forward_multi(&[randn(&[2, 3], 1)])).contains("[batch, steps, features]"));
    assert!(msg(l.forward_multi(&[randn(&[2, 3, 4], 1)])).contains("4 features"));
    let x = randn(&[2, 3, 3], 1);
    assert!(msg(l.forward_multi(&[x.clone(), randn(&[2, 2, 5], 2)]))
        .contains("h0 must have shape [1, 2, 5]"));
    assert!(msg(l.forward_multi(&[x.clone(), lengths(&[4, 1])])).contains("lengths[0] = 4"));
    assert!(msg(l.forward_multi(&[x.clone(), lengths(&[0, 1])])).contains("lengths[0] = 0"));
    assert!(
        msg(l.forward_multi(&[x.clone(), lengths(&[1])])).contains("1 entries for a batch of 2")
    );
    let s = randn(&[1, 2, 5], 3);
    assert!(msg(l.forward_multi(&[x.clone(), s.clone(), s])).contains("at most 1"));
    let mut c = RecurrentConfig::gru(3, 5);
    c.bidirectional = true;
    c.tbptt_steps = Some(2);
    assert!(Recurrent::new(c)
        .err()
        .unwrap()
        .to_string()
        .contains("unidirectional"));
    assert!(MergeMode::from_name("max")
        .err()
        .unwrap()
        .to_string()
        .contains("unknown merge mode"));
    let mut c = RecurrentConfig::lstm(3, 5);
    c.dropout = 1.0;
    assert!(Recurrent::new(c)
        .err()
        .unwrap()
        .to_string()
        .contains("dropout"));
}
