//! Optimizer parity with PyTorch 1.13 (`fixtures/torch/optimizers.json`, written by
//! `scripts/gen_torch_optim_fixtures.py`): every case starts from the same two parameters, feeds
//! the same 6 gradient sets (some set to `None`), and compares parameters after every step.

use ferrograd_core::Tensor;
use ferrograd_nn::optim::{
    AdadeltaConfig, AdagradConfig, AdamConfig, AdamWConfig, AdamaxConfig, LionConfig, Optimize,
    Optimizer, RmsPropConfig, SgdConfig,
};
use serde_json::Value;

const RTOL: f32 = 1e-5;
const ATOL: f32 = 1e-6;

fn fixture() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/torch/optimizers.json"
    );
    let text = std::fs::read_to_string(path).expect("read optimizers.json");
    serde_json::from_str(&text).expect("parse optimizers.json")
}

fn floats(v: &Value) -> Vec<f32> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number") as f32)
        .collect()
}

fn shape(v: &Value) -> Vec<usize> {
    v["shape"]
        .as_array()
        .expect("shape")
        .iter()
        .map(|x| x.as_u64().expect("dim") as usize)
        .collect()
}

fn f(cfg: &Value, key: &str, default: f32) -> f32 {
    cfg.get(key)
        .map_or(default, |v| v.as_f64().expect(key) as f32)
}

fn b(cfg: &Value, key: &str) -> bool {
    cfg.get(key).is_some_and(|v| v.as_bool().expect(key))
}

fn betas(cfg: &Value, default: (f32, f32)) -> (f32, f32) {
    cfg.get("betas").map_or(default, |v| {
        let v = floats(v);
        (v[0], v[1])
    })
}

/// Builds the optimizer a fixture case describes, filling unspecified fields with our defaults
/// (which must equal torch's, or the default cases fail).
fn build(kind: &str, cfg: &Value, params: Vec<Tensor>) -> Box<dyn Optimize> {
    match kind {
        "sgd" => {
            let d = SgdConfig::default();
            Box::new(
                Optimizer::new(
                    params,
                    SgdConfig {
                        lr: f(cfg, "lr", d.lr),
                        momentum: f(cfg, "momentum", d.momentum),
                        dampening: f(cfg, "dampening", d.dampening),
                        weight_decay: f(cfg, "weight_decay", d.weight_decay),
                        nesterov: b(cfg, "nesterov"),
                    },
                )
                .unwrap(),
            )
        }
        "adam" => {
            let d = AdamConfig::default();
            Box::new(
                Optimizer::new(
                    params,
                    AdamConfig {
                        lr: f(cfg, "lr", d.lr),
                        betas: betas(cfg, d.betas),
                        eps: f(cfg, "eps", d.eps),
                        weight_decay: f(cfg, "weight_decay", d.weight_decay),
                        amsgrad: b(cfg, "amsgrad"),
                    },
                )
                .unwrap(),
            )
        }
        "adamw" => {
            let d = AdamWConfig::default();
            Box::new(
                Optimizer::new(
                    params,
                    AdamWConfig {
                        lr: f(cfg, "lr", d.lr),
                        betas: betas(cfg, d.betas),
                        eps: f(cfg, "eps", d.eps),
                        weight_decay: f(cfg, "weight_decay", d.weight_decay),
                        amsgrad: b(cfg, "amsgrad"),
                    },
                )
                .unwrap(),
            )
        }
        "rmsprop" => {
            let d = RmsPropConfig::default();
            Box::new(
                Optimizer::new(
                    params,
                    RmsPropConfig {
                        lr: f(cfg, "lr", d.lr),
                        alpha: f(cfg, "alpha", d.alpha),
                        eps: f(cfg, "eps", d.eps),
                        weight_decay: f(cfg, "weight_decay", d.weight_decay),
                        momentum: f(cfg, "momentum", d.momentum),
                        centered: b(cfg, "centered"),
                    },
                )
                .unwrap(),
            )
        }
        "adagrad" => {
            let d = AdagradConfig::default();
            Box::new(
                Optimizer::new(
                    params,
                    AdagradConfig {
                        lr: f(cfg, "lr", d.lr),
                        lr_decay: f(cfg, "lr_decay", d.lr_decay),
                        weight_decay: f(cfg, "weight_decay", d.weight_decay),
                        initial_accumulator_value: f(
                            cfg,
                            "initial_accumulator_value",
                            d.initial_accumulator_value,
                        ),
                        eps: f(cfg, "eps", d.eps),
                    },
                )
                .unwrap(),
            )
        }
        "adadelta" => {
            let d = AdadeltaConfig::default();
            Box::new(
                Optimizer::new(
                    params,
                    AdadeltaConfig {
                        lr: f(cfg, "lr", d.lr),
                        rho: f(cfg, "rho", d.rho),
                        eps: f(cfg, "eps", d.eps),
                        weight_decay: f(cfg, "weight_decay", d.weight_decay),
                    },
                )
                .unwrap(),
            )
        }
        "adamax" => {
            let d = AdamaxConfig::default();
            Box::new(
                Optimizer::new(
                    params,
                    AdamaxConfig {
                        lr: f(cfg, "lr", d.lr),
                        betas: betas(cfg, d.betas),
                        eps: f(cfg, "eps", d.eps),
                        weight_decay: f(cfg, "weight_decay", d.weight_decay),
                    },
                )
                .unwrap(),
            )
        }
        "lion" => {
            let d = LionConfig::default();
            Box::new(
                Optimizer::new(
                    params,
                    LionConfig {
                        lr: f(cfg, "lr", d.lr),
                        betas: betas(cfg, d.betas),
                        weight_decay: f(cfg, "weight_decay", d.weight_decay),
                    },
                )
                .unwrap(),
            )
        }
        other => panic!("unknown optimizer {other}"),
    }
}

#[test]
fn optimizers_match_torch() {
    let fx = fixture();
    let init: Vec<(Vec<usize>, Vec<f32>)> = fx["init"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (shape(t), floats(&t["data"])))
        .collect();
    let grads: Vec<Vec<Vec<f32>>> = fx["grads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|step| {
            step.as_array()
                .unwrap()
                .iter()
                .map(|g| floats(&g["data"]))
                .collect()
        })
        .collect();
    let cases = fx["cases"].as_array().unwrap();
    assert!(cases.len() >= 20, "fixture unexpectedly small");
    let mut failures = Vec::new();
    let mut seen_kinds = std::collections::BTreeSet::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let kind = case["optimizer"].as_str().unwrap();
        seen_kinds.insert(kind.to_string());
        let none_grads: Vec<(usize, usize)> = case["none_grads"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                let p = p.as_array().unwrap();
                (
                    p[0].as_u64().unwrap() as usize,
                    p[1].as_u64().unwrap() as usize,
                )
            })
            .collect();
        let params: Vec<Tensor> = init
            .iter()
            .map(|(s, d)| Tensor::from_vec(d.clone(), s).unwrap())
            .collect();
        let mut opt = build(kind, &case["config"], params.clone());
        for (k, expected_step) in case["steps"].as_array().unwrap().iter().enumerate() {
            for (j, p) in params.iter().enumerate() {
                if none_grads.contains(&(k, j)) {
                    p.set_grad(None);
                } else {
                    let g = Tensor::from_vec(grads[k][j].clone(), p.dims()).unwrap();
                    p.set_grad(Some(g));
                }
            }
            opt.step().unwrap();
            for (j, p) in params.iter().enumerate() {
                let want = floats(&expected_step[j]);
                let got = p.to_vec();
                for (i, (&g, &w)) in got.iter().zip(&want).enumerate() {
                    if (g - w).abs() > ATOL + RTOL * w.abs() || g.is_nan() {
                        failures.push(format!(
                            "{name} step {k} param {j}[{i}]: got {g}, want {w} (diff {})",
                            (g - w).abs()
                        ));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures[..failures.len().min(30)].join("\n")
    );
    let want_kinds = [
        "adadelta", "adagrad", "adam", "adamax", "adamw", "lion", "rmsprop", "sgd",
    ];
    assert_eq!(
        seen_kinds.iter().map(String::as_str).collect::<Vec<_>>(),
        want_kinds
    );
}
