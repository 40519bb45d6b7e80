//! Forward, gradient and (for a few cases) second-order parity of convolution, pooling and resize
//! ops with PyTorch, from `fixtures/torch/conv.json` (regenerate with
//! `/usr/bin/python3 scripts/gen_torch_conv_fixtures.py`; no Python needed here).

mod common;

use common::assert_close;
use ferrograd_core::{
    BackwardOptions, Conv1dOptions, Conv2dOptions, ConvTranspose1dOptions, ConvTranspose2dOptions,
    Pool1dOptions, Pool2dOptions, Result, Tensor, UpsampleSize,
};
use serde_json::Value;

const RTOL: f32 = 1e-4;
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

fn uints(v: &Value) -> Vec<usize> {
    match v.as_array() {
        Some(a) => a.iter().map(|d| d.as_u64().unwrap() as usize).collect(),
        None => vec![v.as_u64().unwrap() as usize],
    }
}

fn two(v: &Value) -> (usize, usize) {
    let u = uints(v);
    (u[0], u[1])
}

fn one(v: &Value) -> usize {
    uints(v)[0]
}

fn pool2d(a: &Value) -> Pool2dOptions {
    Pool2dOptions {
        kernel: two(&a["kernel"]),
        stride: two(&a["stride"]),
        padding: two(&a["padding"]),
        ceil_mode: a["ceil_mode"].as_bool().unwrap(),
        count_include_pad: a["count_include_pad"].as_bool().unwrap(),
    }
}

fn pool1d(a: &Value) -> Pool1dOptions {
    Pool1dOptions {
        kernel: one(&a["kernel"]),
        stride: one(&a["stride"]),
        padding: one(&a["padding"]),
        ceil_mode: a["ceil_mode"].as_bool().unwrap(),
        count_include_pad: a["count_include_pad"].as_bool().unwrap(),
    }
}

fn upsample_size(a: &Value) -> UpsampleSize {
    match a["size"].as_array() {
        Some(s) => UpsampleSize::Size(
            s[0].as_u64().unwrap() as usize,
            s[1].as_u64().unwrap() as usize,
        ),
        None => {
            let f = a["scale_factor"].as_array().unwrap();
            UpsampleSize::Scale(f[0].as_f64().unwrap(), f[1].as_f64().unwrap())
        }
    }
}

fn run(op: &str, a: &Value, x: &[Tensor]) -> Result<Tensor> {
    let bias = x.get(2);
    match op {
        "conv2d" => {
            let p = uints(&a["padding"]);
            let mut o = Conv2dOptions {
                stride: two(&a["stride"]),
                padding: (p[0], p[1], p[2], p[3]),
                dilation: two(&a["dilation"]),
                groups: one(&a["groups"]),
            };
            if a["same"].as_bool() == Some(true) {
                // torch computed this case with padding='same': our helper must agree.
                let (d, w) = (x[0].dims(), x[1].dims());
                let same = o.with_same_padding((d[2], d[3]), (w[2], w[3]));
                assert_eq!(same.padding, o.padding, "same_padding disagrees with torch");
                o = same;
            }
            x[0].conv2d(&x[1], bias, &o)
        }
        "conv1d" => {
            let mut o = Conv1dOptions {
                stride: one(&a["stride"]),
                padding: two(&a["padding"]),
                dilation: one(&a["dilation"]),
                groups: one(&a["groups"]),
            };
            if a["same"].as_bool() == Some(true) {
                let same = o.with_same_padding(x[0].dims()[2], x[1].dims()[2]);
                assert_eq!(same.padding, o.padding, "same_padding disagrees with torch");
                o = same;
            }
            x[0].conv1d(&x[1], bias, &o)
        }
        "conv_transpose2d" => x[0].conv_transpose2d(
            &x[1],
            bias,
            &ConvTranspose2dOptions {
                stride: two(&a["stride"]),
                padding: two(&a["padding"]),
                output_padding: two(&a["output_padding"]),
                dilation: two(&a["dilation"]),
                groups: one(&a["groups"]),
            },
        ),
        "conv_transpose1d" => x[0].conv_transpose1d(
            &x[1],
            bias,
            &ConvTranspose1dOptions {
                stride: one(&a["stride"]),
                padding: one(&a["padding"]),
                output_padding: one(&a["output_padding"]),
                dilation: one(&a["dilation"]),
                groups: one(&a["groups"]),
            },
        ),
        "max_pool2d" => x[0].max_pool2d(&pool2d(a)),
        "avg_pool2d" => x[0].avg_pool2d(&pool2d(a)),
        "sum_pool2d" => x[0].sum_pool2d(&pool2d(a)),
        "max_pool1d" => x[0].max_pool1d(&pool1d(a)),
        "avg_pool1d" => x[0].avg_pool1d(&pool1d(a)),
        "sum_pool1d" => x[0].sum_pool1d(&pool1d(a)),
        "adaptive_avg_pool2d" => {
            let (h, w) = two(&a["output_size"]);
            x[0].adaptive_avg_pool2d(h, w)
        }
        "adaptive_max_pool2d" => {
            let (h, w) = two(&a["output_size"]);
            x[0].adaptive_max_pool2d(h, w)
        }
        "adaptive_avg_pool1d" => x[0].adaptive_avg_pool1d(one(&a["output_size"])),
        "adaptive_max_pool1d" => x[0].adaptive_max_pool1d(one(&a["output_size"])),
        "global_avg_pool2d" => x[0].global_avg_pool2d(a["keepdim"].as_bool().unwrap()),
        "global_max_pool2d" => x[0].global_max_pool2d(a["keepdim"].as_bool().unwrap()),
        "upsample_nearest2d" => x[0].upsample_nearest2d(upsample_size(a)),
        "upsample_bilinear2d" => {
            x[0].upsample_bilinear2d(upsample_size(a), a["align_corners"].as_bool().unwrap())
        }
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

/// Checks one case; returns whether it had second-order data.
fn check_case(case: &Value) -> bool {
    let name = case["name"].as_str().unwrap();
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
    let out = run(case["op"].as_str().unwrap(), &case["attrs"], &inputs)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let expected = tensor(&case["outputs"][0]);
    assert_eq!(out.dims(), expected.dims(), "{name}: output shape");
    assert_close(
        &out.to_vec(),
        &expected.to_vec(),
        RTOL,
        ATOL,
        &format!("{name} output"),
    );

    let second = case.get("grads2").is_some();
    let loss = out
        .mul(&tensor(&case["grad_outputs"][0]))
        .unwrap()
        .sum(None, false)
        .unwrap();
    let opts = BackwardOptions {
        gradient: None,
        create_graph: second,
    };
    let grads = zeros_where_none(loss.grad_wrt(&inputs, opts).unwrap(), &inputs);
    for (i, (g, e)) in grads
        .iter()
        .zip(case["grads"].as_array().unwrap())
        .enumerate()
    {
        let e = tensor(e);
        assert_eq!(g.dims(), e.dims(), "{name}: grad {i} shape");
        assert_close(
            &g.to_vec(),
            &e.to_vec(),
            RTOL,
            ATOL,
            &format!("{name} grad {i}"),
        );
    }
    if second {
        let vs = case["v"].as_array().unwrap();
        let mut s = Tensor::scalar(0.0);
        for (g, v) in grads.iter().zip(vs) {
            s = s
                .add(&g.mul(&tensor(v)).unwrap().sum(None, false).unwrap())
                .unwrap();
        }
        let grads2 = if s.requires_grad() {
            zeros_where_none(
                s.grad_wrt(&inputs, BackwardOptions::default()).unwrap(),
                &inputs,
            )
        } else {
            inputs.iter().map(|x| x.zeros_like()).collect()
        };
        for (i, (g, e)) in grads2
            .iter()
            .zip(case["grads2"].as_array().unwrap())
            .enumerate()
        {
            assert_close(
                &g.to_vec(),
                &tensor(e).to_vec(),
                RTOL,
                ATOL,
                &format!("{name} grad2 {i}"),
            );
        }
    }
    second
}

#[test]
fn conv_pool_resize_match_torch() {
    let path = format!(
        "{}/../../fixtures/torch/conv.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let doc: Value = serde_json::from_str(&text).unwrap();
    let cases = doc["cases"].as_array().unwrap();
    let second = cases.iter().filter(|c| check_case(c)).count();
    assert!(cases.len() >= 50, "only {} cases", cases.len());
    assert!(second >= 5, "only {second} second-order cases");
}

#[test]
fn parity_holds_on_two_threads_and_one() {
    // The kernels choose different parallel paths (per-image blocks vs threaded GEMMs) by thread
    // count; results must match torch either way.
    let path = format!(
        "{}/../../fixtures/torch/conv.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    for threads in [1, 2] {
        ferrograd_core::set_num_threads(threads).unwrap();
        for case in doc["cases"].as_array().unwrap() {
            if case["op"].as_str().unwrap().starts_with("conv") {
                check_case(case);
            }
        }
    }
}
