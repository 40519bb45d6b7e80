//! Parity of the recurrent layers with torch.nn.RNN / LSTM / GRU from
//! `fixtures/torch/recurrent.json` (regenerate with
//! `/usr/bin/python3 scripts/gen_torch_rnn_fixtures.py`; no Python needed here): forward outputs,
//! final states and gradients of the input, the initial states and every weight, after loading
//! torch's weights by name with `load_state_dict` (strict).

use std::collections::BTreeMap;

use ferrograd_core::Tensor;
use ferrograd_nn::layers::{Recurrent, RecurrentConfig};
use ferrograd_nn::module::{load_state_dict, named_parameters, Module};
use serde_json::Value;

const RTOL: f32 = 1e-5;
const ATOL: f32 = 1e-5;

fn tensor(v: &Value) -> Tensor {
    let shape: Vec<usize> = v["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    let data: Vec<f32> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect();
    Tensor::from_vec(data, &shape).unwrap()
}

fn close(what: &str, got: &Tensor, want: &Value) {
    let want = tensor(want);
    assert_eq!(got.dims(), want.dims(), "{what}: shape");
    for (k, (a, b)) in got.to_vec().iter().zip(want.to_vec()).enumerate() {
        assert!(
            (a - b).abs() <= ATOL + RTOL * b.abs(),
            "{what}[{k}]: ours {a} vs torch {b}"
        );
    }
}

fn fixtures() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/torch/recurrent.json"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["cases"].as_array().unwrap().clone()
}

fn layer_for(c: &Value) -> Recurrent {
    let (i, h) = (
        c["input_size"].as_u64().unwrap() as usize,
        c["hidden_size"].as_u64().unwrap() as usize,
    );
    let mut cfg = match c["kind"].as_str().unwrap() {
        "lstm" => RecurrentConfig::lstm(i, h),
        "gru" => RecurrentConfig::gru(i, h),
        _ => RecurrentConfig::rnn(i, h, c["nonlinearity"] == "relu"),
    };
    cfg.num_layers = c["num_layers"].as_u64().unwrap() as usize;
    cfg.bidirectional = c["bidirectional"].as_bool().unwrap();
    cfg.bias = c["bias"].as_bool().unwrap();
    cfg.return_state = true;
    cfg.seed = Some(0);
    Recurrent::new(cfg).unwrap()
}

#[test]
fn matches_torch() {
    let cases = fixtures();
    assert!(cases.len() >= 30);
    for c in &cases {
        let name = c["name"].as_str().unwrap();
        let layer = layer_for(c);
        let weights: BTreeMap<String, Tensor> = c["weights"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), tensor(v)))
            .collect();
        load_state_dict(&layer, &weights, true).unwrap();
        let x = tensor(&c["x"]);
        x.set_requires_grad(true).unwrap();
        let mut inputs = vec![x.clone()];
        let h0 = c.get("h0").map(tensor);
        let c0 = c.get("c0").map(tensor);
        for s in h0.iter().chain(c0.iter()) {
            s.set_requires_grad(true).unwrap();
            inputs.push(s.clone());
        }
        if let Some(l) = c["lengths"].as_array() {
            let l: Vec<f32> = l.iter().map(|v| v.as_f64().unwrap() as f32).collect();
            let n = l.len();
            inputs.push(Tensor::from_vec(l, &[n]).unwrap());
        }
        let out = layer.forward_multi(&inputs).unwrap();
        close(&format!("{name} y"), &out[0], &c["y"]);
        close(&format!("{name} h_n"), &out[1], &c["h_n"]);
        let mut loss = out[0]
            .mul(&tensor(&c["wy"]))
            .unwrap()
            .sum(None, false)
            .unwrap()
            .add(
                &out[1]
                    .mul(&tensor(&c["wh"]))
                    .unwrap()
                    .sum(None, false)
                    .unwrap(),
            )
            .unwrap();
        if let Some(cn) = c.get("c_n") {
            close(&format!("{name} c_n"), &out[2], cn);
            let lc = out[2]
                .mul(&tensor(&c["wc"]))
                .unwrap()
                .sum(None, false)
                .unwrap();
            loss = loss.add(&lc).unwrap();
        }
        loss.backward().unwrap();
        close(&format!("{name} grad x"), &x.grad().unwrap(), &c["grad_x"]);
        if let Some(h0) = &h0 {
            close(
                &format!("{name} grad h0"),
                &h0.grad().unwrap(),
                &c["grad_h0"],
            );
        }
        if let Some(c0) = &c0 {
            close(
                &format!("{name} grad c0"),
                &c0.grad().unwrap(),
                &c["grad_c0"],
            );
        }
        let grads = c["grads"].as_object().unwrap();
        let params = named_parameters(&layer);
        assert_eq!(params.len(), grads.len(), "{name}: parameter count");
        for (pname, p) in params {
            close(
                &format!("{name} grad {pname}"),
                &p.grad().unwrap(),
                &grads[&pname],
            );
        }
    }
}
