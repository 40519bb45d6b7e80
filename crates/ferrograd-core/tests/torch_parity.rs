//! Forward, first- and second-order gradient parity with PyTorch, from the committed fixtures in
//! `fixtures/torch/` (regenerate with `scripts/gen_torch_fixtures.py`; no Python needed here).

mod common;

use common::assert_close;
use ferrograd_core::{BackwardOptions, Result, Tensor};
use serde_json::Value;

const RTOL: f32 = 1e-4;
const ATOL: f32 = 1e-5;
/// Ops the fixtures cover that the engine deliberately does not provide (yet).
const NOT_IMPLEMENTED: &[&str] = &["prod"];

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

fn axes(v: &Value) -> Option<Vec<isize>> {
    v.as_array()
        .map(|a| a.iter().map(|d| d.as_i64().unwrap() as isize).collect())
}

fn int(v: &Value) -> isize {
    v.as_i64().unwrap() as isize
}

fn run(op: &str, a: &Value, x: &[Tensor]) -> Result<Vec<Tensor>> {
    let one = |r: Result<Tensor>| r.map(|t| vec![t]);
    let f = |k: &str| a[k].as_f64().unwrap() as f32;
    let opt = |k: &str| a[k].as_f64().map(|v| v as f32);
    let keep = a["keepdim"].as_bool().unwrap_or(false);
    let dims = axes(&a["dims"]);
    let dims = dims.as_deref();
    match op {
        "add" => one(x[0].add(&x[1])),
        "sub" => one(x[0].sub(&x[1])),
        "mul" => one(x[0].mul(&x[1])),
        "div" => one(x[0].div(&x[1])),
        "pow" => one(x[0].pow(&x[1])),
        "maximum" => one(x[0].maximum(&x[1])),
        "minimum" => one(x[0].minimum(&x[1])),
        "eq" => one(x[0].eq(&x[1])),
        "ne" => one(x[0].ne(&x[1])),
        "lt" => one(x[0].lt(&x[1])),
        "le" => one(x[0].le(&x[1])),
        "gt" => one(x[0].gt(&x[1])),
        "ge" => one(x[0].ge(&x[1])),
        "where" => one(Tensor::where_cond(&x[0], &x[1], &x[2])),
        "neg" => one(x[0].neg()),
        "exp" => one(x[0].exp()),
        "log" => one(x[0].log()),
        "sqrt" => one(x[0].sqrt()),
        "abs" => one(x[0].abs()),
        "sign" => one(x[0].sign()),
        "square" => one(x[0].square()),
        "recip" => one(x[0].recip()),
        "sin" => one(x[0].sin()),
        "cos" => one(x[0].cos()),
        "erf" => one(x[0].erf()),
        "pow_scalar" => one(x[0].pow_scalar(f("exponent"))),
        "clamp" => one(x[0].clamp(opt("min"), opt("max"))),
        "add_scalar" => one(x[0].add_scalar(f("value"))),
        "mul_scalar" => one(x[0].mul_scalar(f("value"))),
        "sigmoid" => one(x[0].sigmoid()),
        "tanh" => one(x[0].tanh()),
        "relu" => one(x[0].relu()),
        "leaky_relu" => one(x[0].leaky_relu(f("alpha"))),
        "elu" => one(x[0].elu(f("alpha"))),
        "gelu" => one(x[0].gelu(a["approximate"].as_str() == Some("tanh"))),
        "softplus" => one(x[0].softplus()),
        "softsign" => one(x[0].softsign()),
        "silu" => one(x[0].silu()),
        "log_sigmoid" => one(x[0].log_sigmoid()),
        "softmax" => one(x[0].softmax(int(&a["dim"]))),
        "log_softmax" => one(x[0].log_softmax(int(&a["dim"]))),
        "sum" => one(x[0].sum(dims, keep)),
        "mean" => one(x[0].mean(dims, keep)),
        "max" => one(x[0].max(dims, keep)),
        "min" => one(x[0].min(dims, keep)),
        "logsumexp" => one(x[0].logsumexp(dims, keep)),
        "var" => one(x[0].var(dims, keep, a["correction"].as_u64().unwrap() as usize)),
        "std" => one(x[0].std(dims, keep, a["correction"].as_u64().unwrap() as usize)),
        "argmax" => one(x[0].argmax(a["dim"].as_i64().map(|d| d as isize), keep)),
        "argmin" => one(x[0].argmin(a["dim"].as_i64().map(|d| d as isize), keep)),
        "matmul" => one(x[0].matmul(&x[1])),
        "reshape" => one(x[0].reshape(&axes(&a["shape"]).unwrap())),
        "permute" => one(x[0].permute(&axes(&a["dims"]).unwrap())),
        "transpose" => one(x[0].transpose(int(&a["dim0"]), int(&a["dim1"]))),
        "narrow" => one(x[0].narrow(
            int(&a["dim"]),
            int(&a["start"]) as usize,
            int(&a["length"]) as usize,
        )),
        "expand" => one(x[0].expand(&axes(&a["shape"]).unwrap())),
        "squeeze" => one(x[0].squeeze(a["dim"].as_i64().map(|d| d as isize))),
        "unsqueeze" => one(x[0].unsqueeze(int(&a["dim"]))),
        "flatten" => one(x[0].flatten(int(&a["start_dim"]), int(&a["end_dim"]))),
        "concat" => one(Tensor::concat(x, int(&a["dim"]))),
        "stack" => one(Tensor::stack(x, int(&a["dim"]))),
        "split" => {
            let sizes: Vec<usize> = axes(&a["sizes"])
                .unwrap()
                .iter()
                .map(|&s| s as usize)
                .collect();
            x[0].split(&sizes, int(&a["dim"]))
        }
        "pad" => {
            let pads: Vec<(usize, usize)> = a["pads"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    (
                        p[0].as_u64().unwrap() as usize,
                        p[1].as_u64().unwrap() as usize,
                    )
                })
                .collect();
            one(x[0].pad(&pads, f("value")))
        }
        "slice" => one(x[0].slice(
            int(&a["dim"]),
            int(&a["start"]),
            int(&a["end"]),
            int(&a["step"]) as usize,
        )),
        "index_select" => one(x[0].index_select(int(&a["dim"]), &x[1])),
        "gather" => one(x[0].gather(int(&a["dim"]), &x[1])),
        "scatter_add" => one(x[0].scatter_add(int(&a["dim"]), &x[1], &x[2])),
        "one_hot" => one(x[0].one_hot(a["num_classes"].as_u64().unwrap() as usize)),
        other => panic!("fixture op {other} has no mapping in this test"),
    }
}

fn zeros_where_none(grads: Vec<Option<Tensor>>, inputs: &[Tensor]) -> Vec<Tensor> {
    grads
        .into_iter()
        .zip(inputs)
        .map(|(g, x)| g.unwrap_or_else(|| x.zeros_like()))
        .collect()
}

fn check_file(name: &str) -> usize {
    let path = format!("{}/../../fixtures/torch/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let doc: Value = serde_json::from_str(&text).unwrap();
    let mut checked = 0;
    for case in doc["cases"].as_array().unwrap() {
        let (cname, op) = (case["name"].as_str().unwrap(), case["op"].as_str().unwrap());
        if NOT_IMPLEMENTED.contains(&op) {
            continue;
        }
        let inputs: Vec<Tensor> = case["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                let t = tensor(i);
                t.set_requires_grad(i["requires_grad"].as_bool().unwrap())
                    .unwrap();
                t
            })
            .collect();
        let outs = run(op, &case["attrs"], &inputs).unwrap_or_else(|e| panic!("{cname}: {e}"));
        let expected_outs = case["outputs"].as_array().unwrap();
        assert_eq!(outs.len(), expected_outs.len(), "{cname}: output count");
        for (o, e) in outs.iter().zip(expected_outs) {
            let e = tensor(e);
            assert_eq!(o.dims(), e.dims(), "{cname}: output shape");
            assert_close(
                &o.to_vec(),
                &e.to_vec(),
                RTOL,
                ATOL,
                &format!("{cname} output"),
            );
        }
        let expected_grads = case["grads"].as_array().unwrap();
        let tracked: Vec<usize> = (0..inputs.len())
            .filter(|&i| !expected_grads[i].is_null())
            .collect();
        if tracked.is_empty() {
            checked += 1;
            continue;
        }
        let second = case.get("grads2").is_some();
        let gouts: Vec<Tensor> = case["grad_outputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(tensor)
            .collect();
        let mut loss = Tensor::scalar(0.0);
        for (o, g) in outs.iter().zip(&gouts) {
            loss = loss
                .add(&o.mul(g).unwrap().sum(None, false).unwrap())
                .unwrap();
        }
        let wrt: Vec<Tensor> = tracked.iter().map(|&i| inputs[i].clone()).collect();
        let opts = BackwardOptions {
            gradient: None,
            create_graph: second,
        };
        let grads = zeros_where_none(loss.grad_wrt(&wrt, opts).unwrap(), &wrt);
        for (g, &i) in grads.iter().zip(&tracked) {
            let e = tensor(&expected_grads[i]);
            assert_eq!(g.dims(), e.dims(), "{cname}: grad {i} shape");
            assert_close(
                &g.to_vec(),
                &e.to_vec(),
                RTOL,
                ATOL,
                &format!("{cname} grad {i}"),
            );
        }
        if second {
            let vs = case["v"].as_array().unwrap();
            let mut s = Tensor::scalar(0.0);
            for (g, &i) in grads.iter().zip(&tracked) {
                s = s
                    .add(&g.mul(&tensor(&vs[i])).unwrap().sum(None, false).unwrap())
                    .unwrap();
            }
            let grads2 = if s.requires_grad() {
                zeros_where_none(s.grad_wrt(&wrt, BackwardOptions::default()).unwrap(), &wrt)
            } else {
                wrt.iter().map(|w| w.zeros_like()).collect()
            };
            let expected2 = case["grads2"].as_array().unwrap();
            for (g, &i) in grads2.iter().zip(&tracked) {
                assert_close(
                    &g.to_vec(),
                    &tensor(&expected2[i]).to_vec(),
                    RTOL,
                    ATOL,
                    &format!("{cname} grad2 {i}"),
                );
            }
        }
        checked += 1;
    }
    checked
}

macro_rules! parity {
    ($($test:ident => $file:literal, $min:literal;)*) => {$(
        #[test]
        fn $test() {
            let n = check_file($file);
            assert!(n >= $min, "only {n} cases of {} were checked", $file);
        }
    )*};
}

parity! {
    elementwise_matches_torch => "elementwise.json", 60;
    activations_match_torch => "activations.json", 20;
    reductions_match_torch => "reductions.json", 25;
    matmul_matches_torch => "matmul.json", 10;
    shape_ops_match_torch => "shape_ops.json", 35;
    indexing_matches_torch => "indexing.json", 10;
    second_order_matches_torch => "second_order.json", 20;
}
