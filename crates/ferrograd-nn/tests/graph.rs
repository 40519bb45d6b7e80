//! The functional (graph) model: residual and multi-branch wiring, shared layers, multiple
//! inputs and outputs, config round trips, validation errors, and training through `Trainer`
//! (per-output losses, sample weights, gradient accumulation).

use std::sync::atomic::AtomicBool;

use ferrograd_core::Tensor;
use ferrograd_nn::layers::{Activation, ActivationKind, LinearConfig};
use ferrograd_nn::model::{load_model_bytes, network_from_config};
use ferrograd_nn::module::{
    named_parameters, state_dict, summary, Graph, Merge, Module, Network, Node, NodeOp, Sequential,
};
use ferrograd_nn::optim::{Sgd, SgdConfig};
use ferrograd_nn::train::{FitOptions, LossKind, MetricKind, NoCallback, Samples, Trainer};

fn linear(i: usize, o: usize, seed: u64) -> Box<dyn Module> {
    Box::new(LinearConfig::new(i, o).init(Some(seed)).unwrap())
}

fn node(name: &str, op: NodeOp, inputs: &[usize]) -> Node {
    Node {
        name: name.into(),
        op,
        inputs: inputs.to_vec(),
    }
}

fn close(a: &[f32], b: &[f32], tol: f32) {
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= tol, "index {i}: {x} vs {y}");
    }
}

/// x -> dense -> tanh -> (+ x): a residual block.
fn residual() -> Graph {
    Graph::new(
        vec![
            ("dense".into(), linear(3, 3, 1)),
            (
                "act".into(),
                Box::new(Activation::new(ActivationKind::Tanh)),
            ),
        ],
        vec![
            node("x", NodeOp::Input(0), &[]),
            node("dense", NodeOp::Layer(0), &[0]),
            node("act", NodeOp::Layer(1), &[1]),
            node("sum", NodeOp::Merge(Merge::Add), &[2, 0]),
        ],
        vec![3],
    )
    .unwrap()
}

#[test]
fn a_residual_graph_adds_its_input_to_the_branch() {
    let g = residual();
    let x = Tensor::randn(&[2, 3], 0.0, 1.0, Some(3)).unwrap();
    let params = named_parameters(&g);
    assert_eq!(params[0].0, "dense.weight");
    let (w, b) = (&params[0].1, &params[1].1);
    let expected = x
        .matmul(w)
        .unwrap()
        .add(b)
        .unwrap()
        .tanh()
        .unwrap()
        .add(&x)
        .unwrap();
    close(&g.forward(&x).unwrap().to_vec(), &expected.to_vec(), 1e-6);
}

/// Two inputs, a shared encoder applied to both, concatenation, and two heads.
fn siamese() -> Graph {
    Graph::new(
        vec![
            ("encoder".into(), linear(2, 4, 10)),
            ("head_sum".into(), linear(8, 1, 11)),
            ("head_cls".into(), linear(8, 2, 12)),
        ],
        vec![
            node("a", NodeOp::Input(0), &[]),
            node("b", NodeOp::Input(1), &[]),
            node("enc_a", NodeOp::Layer(0), &[0]),
            node("enc_b", NodeOp::Layer(0), &[1]),
            node(
                "joined",
                NodeOp::Merge(Merge::Concatenate { axis: -1 }),
                &[2, 3],
            ),
            node("sum", NodeOp::Layer(1), &[4]),
            node("cls", NodeOp::Layer(2), &[4]),
        ],
        vec![5, 6],
    )
    .unwrap()
}

#[test]
fn a_shared_layer_has_one_weight_that_receives_gradient_from_both_uses() {
    let g = siamese();
    let names: Vec<String> = named_parameters(&g).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "encoder.weight",
            "encoder.bias",
            "head_sum.weight",
            "head_sum.bias",
            "head_cls.weight",
            "head_cls.bias"
        ]
    );
    let a = Tensor::randn(&[5, 2], 0.0, 1.0, Some(1)).unwrap();
    let b = Tensor::randn(&[5, 2], 0.0, 1.0, Some(2)).unwrap();
    let out = g.forward_many(&[a.clone(), b.clone()]).unwrap();
    assert_eq!(out[0].dims(), &[5, 1]);
    assert_eq!(out[1].dims(), &[5, 2]);
    // d(sum of encoder outputs)/dW = a^T·1 + b^T·1 when only the encoder is involved.
    let w = &named_parameters(&g)[0].1;
    let enc = g.layers()[0].1.as_ref();
    let total = enc
        .forward(&a)
        .unwrap()
        .sum(None, false)
        .unwrap()
        .add(&enc.forward(&b).unwrap().sum(None, false).unwrap())
        .unwrap();
    total.backward().unwrap();
    let ones = Tensor::ones(&[5, 4]);
    let expected = a
        .transpose(0, 1)
        .unwrap()
        .matmul(&ones)
        .unwrap()
        .add(&b.transpose(0, 1).unwrap().matmul(&ones).unwrap())
        .unwrap();
    close(&w.grad().unwrap().to_vec(), &expected.to_vec(), 1e-5);
}

#[test]
fn graph_configs_round_trip_with_weights_and_summary_shows_connections() {
    let g = siamese();
    let config = g.config().unwrap();
    let rebuilt = network_from_config(&config).unwrap();
    assert_eq!(rebuilt.config().unwrap(), config);
    assert_eq!(rebuilt.num_inputs(), 2);
    assert_eq!(rebuilt.output_names(), ["sum", "cls"]);

    let dir = std::env::temp_dir().join(format!("fg-graph-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("g.safetensors");
    ferrograd_nn::model::save_model(&path, &g).unwrap();
    let loaded = load_model_bytes(&std::fs::read(&path).unwrap()).unwrap();
    let a = Tensor::randn(&[3, 2], 0.0, 1.0, Some(4)).unwrap();
    let b = Tensor::randn(&[3, 2], 0.0, 1.0, Some(5)).unwrap();
    let before = g.forward_many(&[a.clone(), b.clone()]).unwrap();
    let after = loaded.forward_many(&[a, b]).unwrap();
    for (x, y) in before.iter().zip(&after) {
        assert_eq!(x.to_vec(), y.to_vec());
    }
    assert_eq!(state_dict(&g).len(), state_dict(&loaded).len());
    std::fs::remove_dir_all(&dir).ok();

    let text = summary(&Network::from(siamese()), &[vec![1, 2], vec![1, 2]]).unwrap();
    let joined = text
        .lines()
        .find(|l| l.starts_with("joined (concatenate)"))
        .unwrap();
    assert!(
        joined.contains("[1, 8]") && joined.ends_with("enc_a, enc_b"),
        "{text}"
    );
    let enc_b = text
        .lines()
        .find(|l| l.starts_with("enc_b (Linear)"))
        .unwrap();
    assert!(
        enc_b.contains("[1, 4]") && enc_b.ends_with(" 0  b"),
        "{text}"
    );
    // The shared encoder's 12 parameters are counted once: 12 + 9 + 18.
    assert!(
        text.ends_with("Total params: 39 (trainable 39, frozen 0)\n"),
        "{text}"
    );
}

#[test]
fn invalid_graphs_are_rejected_with_the_reason() {
    let err = |layers: Vec<(String, Box<dyn Module>)>, nodes: Vec<Node>, outputs: Vec<usize>| {
        Graph::new(layers, nodes, outputs)
            .err()
            .unwrap()
            .to_string()
    };
    let e = err(
        vec![("d".into(), linear(2, 2, 0))],
        vec![
            node("x", NodeOp::Input(0), &[]),
            node("d", NodeOp::Layer(0), &[1]),
        ],
        vec![1],
    );
    assert!(e.contains("topological order"), "{e}");
    let e = err(
        vec![
            ("d".into(), linear(2, 2, 0)),
            ("unused".into(), linear(2, 2, 0)),
        ],
        vec![
            node("x", NodeOp::Input(0), &[]),
            node("d", NodeOp::Layer(0), &[0]),
        ],
        vec![1],
    );
    assert!(e.contains("'unused' is not used"), "{e}");
    let e = err(vec![], vec![node("x", NodeOp::Input(1), &[])], vec![0]);
    assert!(e.contains("input 0 is missing"), "{e}");
    let e = err(
        vec![],
        vec![
            node("x", NodeOp::Input(0), &[]),
            node("s", NodeOp::Merge(Merge::Add), &[0]),
        ],
        vec![1],
    );
    assert!(e.contains("node 's' has 1 inputs"), "{e}");

    // Shape errors at run time name the merge node.
    let g = Graph::new(
        vec![("d".into(), linear(2, 3, 0))],
        vec![
            node("x", NodeOp::Input(0), &[]),
            node("d", NodeOp::Layer(0), &[0]),
            node("sum", NodeOp::Merge(Merge::Add), &[0, 1]),
        ],
        vec![2],
    )
    .unwrap();
    let e = g
        .forward(&Tensor::zeros(&[1, 2]))
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("node 'sum' (add)"), "{e}");

    // Malformed configs name the problem.
    let bad = serde_json::json!({"type": "Graph", "layers": [], "nodes": [{"name": "y", "op": "add", "inputs": ["nope"]}], "outputs": ["y"]});
    let e = network_from_config(&bad).err().unwrap().to_string();
    assert!(e.contains("not an earlier node"), "{e}");
}

fn sgd(model: &dyn Module, lr: f32) -> Box<Sgd> {
    let params = named_parameters(model)
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    Box::new(
        Sgd::new(
            params,
            SgdConfig {
                lr,
                ..SgdConfig::default()
            },
        )
        .unwrap(),
    )
}

#[test]
fn a_two_output_graph_trains_each_head_with_its_own_loss() {
    let g = siamese();
    let opt = sgd(&g, 0.05);
    let mut t = Trainer::new(g, LossKind::Mse, opt, vec![MetricKind::Accuracy]);
    t.set_output_losses(
        vec![
            LossKind::Mse,
            LossKind::SparseCategoricalCrossEntropy { from_logits: true },
        ],
        vec![1.0, 0.5],
    )
    .unwrap();
    let n = 256;
    let a = Tensor::randn(&[n, 2], 0.0, 1.0, Some(21)).unwrap();
    let b = Tensor::randn(&[n, 2], 0.0, 1.0, Some(22)).unwrap();
    let (av, bv) = (a.to_vec(), b.to_vec());
    let sum: Vec<f32> = (0..n).map(|i| av[2 * i] + bv[2 * i + 1]).collect();
    let cls: Vec<f32> = sum
        .iter()
        .map(|&s| if s > 0.0 { 1.0 } else { 0.0 })
        .collect();
    let data = Samples {
        xs: vec![a, b],
        ys: vec![
            Tensor::from_vec(sum, &[n, 1]).unwrap(),
            Tensor::from_vec(cls, &[n]).unwrap(),
        ],
        weights: None,
    };
    let before = t.evaluate_samples(&data, 64).unwrap();
    let opts = FitOptions {
        epochs: 30,
        batch_size: 16,
        ..FitOptions::default()
    };
    let h = t
        .fit_samples(&data, &opts, &mut NoCallback, &AtomicBool::new(false))
        .unwrap();
    let after = t.evaluate_samples(&data, 64).unwrap();
    for key in [
        "loss",
        "sum_loss",
        "cls_loss",
        "sum_accuracy",
        "cls_accuracy",
    ] {
        assert!(h.epochs[0].logs.contains_key(key), "missing {key}");
    }
    assert!(
        after["sum_loss"] < 0.05 * before["sum_loss"],
        "{before:?} -> {after:?}"
    );
    assert!(after["cls_accuracy"] > 0.95, "{after:?}");
    let total = after["sum_loss"] + 0.5 * after["cls_loss"];
    assert!((after["loss"] - total).abs() < 1e-5, "{after:?}");
}

fn small_seq(seed: u64) -> Sequential {
    Sequential::new(vec![
        linear(3, 5, seed),
        Box::new(Activation::new(ActivationKind::Tanh)),
        linear(5, 1, seed + 1),
    ])
}

fn regression(n: usize) -> (Tensor, Tensor) {
    let x = Tensor::randn(&[n, 3], 0.0, 1.0, Some(7)).unwrap();
    let y: Vec<f32> = x
        .to_vec()
        .chunks(3)
        .map(|r| r[0] - 2.0 * r[1] + r[2] * r[0])
        .collect();
    (x, Tensor::from_vec(y, &[n, 1]).unwrap())
}

fn weights_after(model: Sequential, lr: f32, data: Samples, opts: FitOptions) -> Vec<f32> {
    let opt = sgd(&model, lr);
    let mut t = Trainer::new(model, LossKind::Mse, opt, vec![]);
    t.fit_samples(&data, &opts, &mut NoCallback, &AtomicBool::new(false))
        .unwrap();
    named_parameters(&t.model)
        .into_iter()
        .flat_map(|(_, p)| p.to_vec())
        .collect()
}

#[test]
fn accumulated_batches_step_exactly_like_one_large_batch() {
    let (x, y) = regression(100);
    let data = Samples {
        xs: vec![x],
        ys: vec![y],
        weights: None,
    };
    let base = FitOptions {
        epochs: 3,
        shuffle: true,
        seed: 5,
        ..FitOptions::default()
    };
    let big = weights_after(
        small_seq(1),
        0.1,
        data.clone(),
        FitOptions {
            batch_size: 40,
            ..base.clone()
        },
    );
    // 40 = 4 x 10; the last group of each epoch (20 samples) is 2 batches of 10.
    let acc = weights_after(
        small_seq(1),
        0.1,
        data.clone(),
        FitOptions {
            batch_size: 10,
            accumulate_steps: 4,
            ..base.clone()
        },
    );
    close(&acc, &big, 2e-5);
    let plain = weights_after(
        small_seq(1),
        0.1,
        data,
        FitOptions {
            batch_size: 10,
            ..base
        },
    );
    assert!(plain.iter().zip(&big).any(|(a, b)| (a - b).abs() > 1e-3));
}

#[test]
fn zero_sample_weights_remove_samples_and_weights_scale_the_loss() {
    let (x, y) = regression(64);
    let clean = Samples {
        xs: vec![x.narrow(0, 0, 32).unwrap()],
        ys: vec![y.narrow(0, 0, 32).unwrap()],
        weights: None,
    };
    // The second half gets garbage targets and weight 0.
    let garbage = Tensor::full(&[32, 1], 100.0);
    let mixed_y = Tensor::concat(&[y.narrow(0, 0, 32).unwrap(), garbage], 0).unwrap();
    let w: Vec<f32> = (0..64).map(|i| if i < 32 { 1.0 } else { 0.0 }).collect();
    let mixed = Samples {
        xs: vec![x],
        ys: vec![mixed_y],
        weights: Some(Tensor::from_vec(w, &[64]).unwrap()),
    };
    let opts = FitOptions {
        epochs: 2,
        shuffle: false,
        ..FitOptions::default()
    };
    // Keras' weighted mean divides by the batch size (64), so the clean half alone needs half the LR.
    let weighted = weights_after(
        small_seq(3),
        0.2,
        mixed,
        FitOptions {
            batch_size: 64,
            ..opts.clone()
        },
    );
    let half = weights_after(
        small_seq(3),
        0.1,
        clean,
        FitOptions {
            batch_size: 32,
            ..opts
        },
    );
    close(&weighted, &half, 1e-5);
}

#[test]
fn binary_accuracy_thresholds_logits_at_zero_and_probabilities_at_one_half() {
    let x = Tensor::from_vec(vec![0.2, -0.2, 0.3, -0.4], &[4, 1]).unwrap();
    let y = Tensor::from_vec(vec![1.0, 0.0, 1.0, 0.0], &[4, 1]).unwrap();
    let accuracy = |loss: LossKind| {
        let layer = LinearConfig::new(1, 1).init(Some(0)).unwrap();
        layer.weight.assign_data(&[1.0]).unwrap();
        layer.bias.as_ref().unwrap().assign_data(&[0.0]).unwrap();
        let model = Sequential::new(vec![Box::new(layer)]);
        let opt = sgd(&model, 0.1);
        let mut t = Trainer::new(model, loss, opt, vec![MetricKind::Accuracy]);
        t.evaluate(&x, &y, 4).unwrap()["accuracy"]
    };
    assert_eq!(accuracy(LossKind::BinaryCrossEntropyWithLogits), 1.0);
    assert_eq!(accuracy(LossKind::Hinge), 1.0);
    assert_eq!(accuracy(LossKind::Mse), 0.5);
}

/// A two-input, two-result layer standing in for a recurrent layer with states:
/// `[x, s] -> [x + s, x * s]`.
struct SumAndProduct;

impl Module for SumAndProduct {
    fn type_name(&self) -> &'static str {
        "SumAndProduct"
    }
    fn forward(&self, x: &Tensor) -> ferrograd_core::Result<Tensor> {
        Ok(x.clone())
    }
    fn forward_multi(&self, inputs: &[Tensor]) -> ferrograd_core::Result<Vec<Tensor>> {
        Ok(vec![inputs[0].add(&inputs[1])?, inputs[0].mul(&inputs[1])?])
    }
    fn visit(&self, _: &mut dyn FnMut(&str, ferrograd_nn::module::Slot<'_>)) {}
    fn set_training(&mut self, _: bool) {}
    fn is_training(&self) -> bool {
        false
    }
    fn config(&self) -> Option<serde_json::Value> {
        Some(serde_json::json!({"type": "SumAndProduct"}))
    }
}

#[test]
fn layer_nodes_take_several_inputs_and_output_nodes_select_their_results() {
    let g = Graph::new(
        vec![("both".into(), Box::new(SumAndProduct) as Box<dyn Module>)],
        vec![
            node("x", NodeOp::Input(0), &[]),
            node("s", NodeOp::Input(1), &[]),
            node("both", NodeOp::Layer(0), &[0, 1]),
            node("sum", NodeOp::Output(0), &[2]),
            node("product", NodeOp::Output(1), &[2]),
        ],
        vec![4, 3],
    )
    .unwrap();
    let x = Tensor::from_vec(vec![1.0, 2.0], &[1, 2]).unwrap();
    let s = Tensor::from_vec(vec![3.0, 5.0], &[1, 2]).unwrap();
    let out = g.forward_many(&[x, s]).unwrap();
    assert_eq!(out[0].to_vec(), vec![3.0, 10.0]);
    assert_eq!(out[1].to_vec(), vec![4.0, 7.0]);
    let config = g.config().unwrap();
    let product = &config["nodes"][4];
    assert_eq!(product["op"], "output");
    assert_eq!(product["index"], 1);
    assert_eq!(product["inputs"][0], "both");
}

#[test]
fn output_nodes_must_read_a_layer_and_select_an_existing_result() {
    let bad = Graph::new(
        vec![("both".into(), Box::new(SumAndProduct) as Box<dyn Module>)],
        vec![
            node("x", NodeOp::Input(0), &[]),
            node("s", NodeOp::Input(1), &[]),
            node("both", NodeOp::Layer(0), &[0, 1]),
            node("pick", NodeOp::Output(0), &[0]),
        ],
        vec![3],
    );
    assert!(bad.is_err());
    let g = Graph::new(
        vec![("both".into(), Box::new(SumAndProduct) as Box<dyn Module>)],
        vec![
            node("x", NodeOp::Input(0), &[]),
            node("s", NodeOp::Input(1), &[]),
            node("both", NodeOp::Layer(0), &[0, 1]),
            node("third", NodeOp::Output(2), &[2]),
        ],
        vec![3],
    )
    .unwrap();
    let x = Tensor::from_vec(vec![1.0], &[1, 1]).unwrap();
    let err = g.forward_many(&[x.clone(), x]).unwrap_err().to_string();
    assert!(
        err.contains("selects result 2 of 'both', which returned 2 results"),
        "{err}"
    );
}
