//! Behaviour of the optimizer driver: param groups, skipped params, exact resume, validation,
//! gradient clipping and a hand-computed Lion step.

use ferrograd_core::{Error, Tensor};
use ferrograd_nn::optim::{
    clip_grad_norm, clip_grad_value, AdadeltaConfig, AdagradConfig, AdamConfig, AdamWConfig,
    AdamaxConfig, GroupOptions, LionConfig, Optimizer, RmsPropConfig, Rule, SgdConfig,
};

fn param(data: &[f32]) -> Tensor {
    let t = Tensor::from_vec(data.to_vec(), &[data.len()]).unwrap();
    t.set_requires_grad(true).unwrap();
    t
}

fn set_grad(p: &Tensor, g: &[f32]) {
    p.set_grad(Some(Tensor::from_vec(g.to_vec(), p.dims()).unwrap()));
}

/// Deterministic pseudo-gradients that vary with the step and element.
fn grad_for(step: usize, which: usize, n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| ((step * 7 + which * 3 + i * 5) % 11) as f32 * 0.1 - 0.5)
        .collect()
}

fn run_steps<R: Rule>(opt: &mut Optimizer<R>, params: &[Tensor], steps: std::ops::Range<usize>) {
    for s in steps {
        for (j, p) in params.iter().enumerate() {
            set_grad(p, &grad_for(s, j, p.numel()));
        }
        opt.step().unwrap();
    }
}

/// 5 steps, save, 5 more; versus restoring the saved params and state into a fresh optimizer and
/// running the same 5: results must be bit-identical.
fn check_resume<R: Rule>(config: R) {
    let init = [vec![0.5, -1.0, 2.0, 0.25], vec![1.5, -0.5, 0.0]];
    let params: Vec<Tensor> = init.iter().map(|d| param(d)).collect();
    let mut a = Optimizer::new(params.clone(), config.clone()).unwrap();
    run_steps(&mut a, &params, 0..5);
    let saved_state = a.state_dict();
    let saved_params: Vec<Vec<f32>> = params.iter().map(Tensor::to_vec).collect();
    run_steps(&mut a, &params, 5..10);

    let fresh: Vec<Tensor> = saved_params.iter().map(|d| param(d)).collect();
    let mut b = Optimizer::new(fresh.clone(), config).unwrap();
    b.load_state_dict(&saved_state).unwrap();
    run_steps(&mut b, &fresh, 5..10);
    for (x, y) in params.iter().zip(&fresh) {
        let (x, y) = (x.to_vec(), y.to_vec());
        assert_eq!(
            x.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            y.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            "{} resume differs: {x:?} vs {y:?}",
            R::NAME
        );
    }
    assert_eq!(a.state_dict(), b.state_dict());

    // Without the state the run differs (so the comparison above is meaningful), except for
    // stateless plain SGD.
    let fresh2: Vec<Tensor> = saved_params.iter().map(|d| param(d)).collect();
    let mut c = Optimizer::new(fresh2.clone(), b.groups()[0].config.clone()).unwrap();
    run_steps(&mut c, &fresh2, 5..10);
    let differs = params
        .iter()
        .zip(&fresh2)
        .any(|(x, y)| x.to_vec() != y.to_vec());
    assert!(differs, "{}: state had no effect", R::NAME);
}

#[test]
fn exact_resume_every_algorithm() {
    check_resume(SgdConfig {
        lr: 0.1,
        momentum: 0.9,
        nesterov: true,
        weight_decay: 0.01,
        ..SgdConfig::default()
    });
    check_resume(AdamConfig {
        amsgrad: true,
        weight_decay: 0.1,
        ..AdamConfig::default()
    });
    check_resume(AdamWConfig::default());
    check_resume(RmsPropConfig {
        centered: true,
        momentum: 0.5,
        ..RmsPropConfig::default()
    });
    check_resume(AdagradConfig {
        lr_decay: 0.1,
        ..AdagradConfig::default()
    });
    check_resume(AdadeltaConfig::default());
    check_resume(AdamaxConfig::default());
    check_resume(LionConfig::default());
}

#[test]
fn param_groups_use_their_own_lr_and_config() {
    let a = param(&[1.0, 2.0]);
    let b = param(&[1.0, 2.0]);
    let c = param(&[1.0, 2.0]);
    let mut opt = Optimizer::new(
        vec![a.clone()],
        SgdConfig {
            lr: 0.1,
            ..SgdConfig::default()
        },
    )
    .unwrap();
    let gb = opt
        .add_param_group(
            vec![b.clone()],
            GroupOptions {
                lr: Some(0.01),
                config: None,
            },
        )
        .unwrap();
    opt.add_param_group(
        vec![c.clone()],
        GroupOptions {
            lr: None,
            config: Some(SgdConfig {
                lr: 0.5,
                weight_decay: 1.0,
                ..SgdConfig::default()
            }),
        },
    )
    .unwrap();
    assert_eq!(gb, 1);
    for p in [&a, &b, &c] {
        set_grad(p, &[1.0, -1.0]);
    }
    opt.step().unwrap();
    assert_eq!(a.to_vec(), vec![0.9, 2.1]);
    assert_eq!(b.to_vec(), vec![0.99, 2.01]);
    // c: g + wd * p = [2, 1], lr 0.5.
    assert_eq!(c.to_vec(), vec![0.0, 1.5]);

    opt.set_group_lr(1, 0.0).unwrap();
    opt.step().unwrap();
    assert_eq!(b.to_vec(), vec![0.99, 2.01], "lr 0 must freeze group 1");
    assert!(opt.set_group_lr(3, 0.1).is_err());
    assert!(opt.set_lr(-1.0).is_err());
    // A schedule's set_lr scales every group by the same factor relative to its initial LR
    // (0.1, 0.01, 0.5 -> 0.2, 0.02, 1.0), as PyTorch's multiplicative schedulers.
    opt.set_lr(0.2).unwrap();
    let lrs: Vec<f32> = opt.groups().iter().map(|g| g.lr).collect();
    for (got, want) in lrs.iter().zip([0.2f32, 0.02, 1.0]) {
        assert!((got - want).abs() < 1e-7, "{lrs:?}");
    }
}

#[test]
fn params_without_grad_are_skipped_and_keep_their_step_count() {
    let a = param(&[1.0, 2.0]);
    let b = param(&[3.0]);
    let mut opt = Optimizer::new(vec![a.clone(), b.clone()], AdamConfig::default()).unwrap();
    set_grad(&a, &[0.5, -0.5]);
    opt.step().unwrap();
    assert_eq!(b.to_vec(), vec![3.0]);
    assert_eq!(opt.param_step(0, 0), 1);
    assert_eq!(opt.param_step(0, 1), 0);
    assert!(opt.state_dict().groups[0].params[1].is_none());
    set_grad(&b, &[1.0]);
    opt.step().unwrap();
    assert_eq!(opt.param_step(0, 0), 2);
    assert_eq!(opt.param_step(0, 1), 1);
    // First Adam step moves by exactly lr * sign(g) (up to eps).
    assert!((b.to_vec()[0] - (3.0 - 1e-3)).abs() < 1e-6);

    opt.zero_grad();
    assert!(a.grad().is_none() && b.grad().is_none());
    let before = a.to_vec();
    opt.step().unwrap();
    assert_eq!(a.to_vec(), before, "no grads: nothing moves");
}

#[test]
fn invalid_hyper_parameters_are_errors() {
    let p = || vec![param(&[1.0])];
    let is_value_error = |e: Error| {
        assert_eq!(e.code(), "ValueError", "{e}");
    };
    let sgd = |c: SgdConfig| Optimizer::new(p(), c).map(|_| ());
    is_value_error(
        sgd(SgdConfig {
            lr: -0.1,
            ..SgdConfig::default()
        })
        .unwrap_err(),
    );
    is_value_error(
        sgd(SgdConfig {
            lr: f32::NAN,
            ..SgdConfig::default()
        })
        .unwrap_err(),
    );
    is_value_error(
        sgd(SgdConfig {
            nesterov: true,
            ..SgdConfig::default()
        })
        .unwrap_err(),
    );
    is_value_error(
        sgd(SgdConfig {
            momentum: -0.5,
            ..SgdConfig::default()
        })
        .unwrap_err(),
    );
    let adam = |c: AdamConfig| Optimizer::new(p(), c).map(|_| ());
    for betas in [(1.0, 0.999), (0.9, 1.0), (-0.1, 0.9), (0.9, f32::NAN)] {
        is_value_error(
            adam(AdamConfig {
                betas,
                ..AdamConfig::default()
            })
            .unwrap_err(),
        );
    }
    for eps in [0.0, -1e-8, f32::INFINITY] {
        is_value_error(
            adam(AdamConfig {
                eps,
                ..AdamConfig::default()
            })
            .unwrap_err(),
        );
    }
    is_value_error(
        adam(AdamConfig {
            weight_decay: -1.0,
            ..AdamConfig::default()
        })
        .unwrap_err(),
    );
    assert!(Optimizer::new(
        p(),
        RmsPropConfig {
            alpha: 1.5,
            ..RmsPropConfig::default()
        }
    )
    .is_err());
    assert!(Optimizer::new(
        p(),
        AdagradConfig {
            lr_decay: -1.0,
            ..AdagradConfig::default()
        }
    )
    .is_err());
    assert!(Optimizer::new(
        p(),
        AdadeltaConfig {
            rho: 1.0,
            ..AdadeltaConfig::default()
        }
    )
    .is_err());
    assert!(Optimizer::new(
        p(),
        LionConfig {
            betas: (0.9, 1.0),
            ..LionConfig::default()
        }
    )
    .is_err());
    assert!(Optimizer::new(
        p(),
        AdamaxConfig {
            eps: 0.0,
            ..AdamaxConfig::default()
        }
    )
    .is_err());

    // Group overrides are validated too, and a parameter cannot be in two groups.
    let shared = param(&[1.0]);
    let mut opt = Optimizer::new(vec![shared.clone()], SgdConfig::default()).unwrap();
    let bad_lr = GroupOptions {
        lr: Some(-1.0),
        config: None,
    };
    assert!(opt.add_param_group(p(), bad_lr).is_err());
    assert!(opt
        .add_param_group(vec![shared], GroupOptions::default())
        .is_err());
    let twice = param(&[2.0]);
    assert!(opt
        .add_param_group(vec![twice.clone(), twice], GroupOptions::default())
        .is_err());
    assert_eq!(opt.groups().len(), 1);
}

#[test]
fn mismatched_grad_is_an_error_and_changes_nothing() {
    let a = param(&[1.0, 2.0]);
    let b = param(&[3.0, 4.0]);
    let mut opt = Optimizer::new(vec![a.clone(), b.clone()], SgdConfig::default()).unwrap();
    set_grad(&a, &[1.0, 1.0]);
    b.set_grad(Some(Tensor::from_vec(vec![1.0, 1.0, 1.0], &[3]).unwrap()));
    assert!(opt.step().is_err());
    assert_eq!(
        a.to_vec(),
        vec![1.0, 2.0],
        "a must not be updated when b fails"
    );
    assert_eq!(opt.param_step(0, 0), 0);
}

#[test]
fn load_state_dict_rejects_mismatches() {
    let a = param(&[1.0, 2.0]);
    let mut adam = Optimizer::new(vec![a.clone()], AdamConfig::default()).unwrap();
    set_grad(&a, &[1.0, 1.0]);
    adam.step().unwrap();
    let state = adam.state_dict();
    assert_eq!(state.algorithm, "adam");
    assert_eq!(state.groups[0].params[0].as_ref().unwrap().step, 1);

    // Another algorithm.
    let mut adamw = Optimizer::new(vec![param(&[1.0, 2.0])], AdamWConfig::default()).unwrap();
    assert!(adamw.load_state_dict(&state).is_err());
    // Another shape.
    let mut other = Optimizer::new(vec![param(&[1.0, 2.0, 3.0])], AdamConfig::default()).unwrap();
    assert!(other.load_state_dict(&state).is_err());
    assert_eq!(
        other.param_step(0, 0),
        0,
        "failed load leaves state untouched"
    );
    // Another group layout.
    let mut two = Optimizer::new(vec![param(&[1.0, 2.0])], AdamConfig::default()).unwrap();
    two.add_param_group(vec![param(&[1.0])], GroupOptions::default())
        .unwrap();
    assert!(two.load_state_dict(&state).is_err());
    // Missing buffer.
    let mut broken = state.clone();
    if let Some(ps) = broken.groups[0].params[0].as_mut() {
        ps.buffers.retain(|(n, _)| n != "exp_avg_sq");
    }
    let mut fresh = Optimizer::new(vec![param(&[1.0, 2.0])], AdamConfig::default()).unwrap();
    assert!(fresh.load_state_dict(&broken).is_err());
    // Saved LR comes back.
    let mut lr_state = state;
    lr_state.groups[0].lr = 0.123;
    fresh.load_state_dict(&lr_state).unwrap();
    assert_eq!(fresh.lr(), 0.123);
}

#[test]
fn lion_matches_hand_computed_steps() {
    // Lion paper, Algorithm 2, with b1 = 0.9, b2 = 0.99, lr = 0.1, wd = 0.5, by hand:
    // step 1: m = 0; c = 0.1 g = [0.2, -0.3, 0]; p -= 0.1 (sign(c) + 0.5 p)
    //   p = [1 - 0.1 (1 + 0.5), -2 - 0.1 (-1 - 1), 0.5 - 0.1 (0 + 0.25)] = [0.85, -1.8, 0.475]
    //   m = 0.01 g = [0.02, -0.03, 0]
    // step 2: g = [-1, -1, 1]; c = 0.9 m + 0.1 g = [0.018 - 0.1, -0.027 - 0.1, 0.1]
    //   = [-0.082, -0.127, 0.1]; sign = [-1, -1, 1]
    //   p = [0.85 - 0.1 (-1 + 0.425), -1.8 - 0.1 (-1 - 0.9), 0.475 - 0.1 (1 + 0.2375)]
    //     = [0.9075, -1.61, 0.35125]
    let p = param(&[1.0, -2.0, 0.5]);
    let mut opt = Optimizer::new(
        vec![p.clone()],
        LionConfig {
            lr: 0.1,
            betas: (0.9, 0.99),
            weight_decay: 0.5,
        },
    )
    .unwrap();
    set_grad(&p, &[2.0, -3.0, 0.0]);
    opt.step().unwrap();
    for (g, w) in p.to_vec().iter().zip([0.85, -1.8, 0.475]) {
        assert!((g - w).abs() < 1e-6, "step 1: {:?}", p.to_vec());
    }
    let m = &opt.state_dict().groups[0].params[0]
        .clone()
        .unwrap()
        .buffers[0];
    assert_eq!(m.0, "exp_avg");
    for (g, w) in m.1.iter().zip([0.02, -0.03, 0.0]) {
        assert!((g - w).abs() < 1e-7);
    }
    set_grad(&p, &[-1.0, -1.0, 1.0]);
    opt.step().unwrap();
    for (g, w) in p.to_vec().iter().zip([0.9075, -1.61, 0.35125]) {
        assert!((g - w).abs() < 1e-6, "step 2: {:?}", p.to_vec());
    }
}

#[test]
fn clip_grad_norm_l2_inf_and_l1() {
    // Grads [3, 4] and [12]: L2 norm 13, L1 norm 19, inf norm 12.
    let a = param(&[0.0, 0.0]);
    let b = param(&[0.0]);
    let none = param(&[5.0]);
    let reset = || {
        set_grad(&a, &[3.0, 4.0]);
        set_grad(&b, &[12.0]);
    };
    reset();
    let params = [a.clone(), b.clone(), none.clone()];
    let total = clip_grad_norm(&params, 1.0, 2.0).unwrap();
    assert!((total - 13.0).abs() < 1e-5);
    let c = 1.0 / (13.0 + 1e-6);
    let ga = a.grad().unwrap().to_vec();
    let gb = b.grad().unwrap().to_vec();
    assert!((ga[0] - 3.0 * c).abs() < 1e-7 && (ga[1] - 4.0 * c).abs() < 1e-7);
    assert!((gb[0] - 12.0 * c).abs() < 1e-7);
    let new_norm = (ga[0] * ga[0] + ga[1] * ga[1] + gb[0] * gb[0]).sqrt();
    assert!((new_norm - 1.0).abs() < 1e-5);
    assert!(none.grad().is_none());

    // Under the limit: untouched, bit for bit.
    reset();
    assert!((clip_grad_norm(&params, 100.0, 2.0).unwrap() - 13.0).abs() < 1e-5);
    assert_eq!(a.grad().unwrap().to_vec(), vec![3.0, 4.0]);

    reset();
    assert_eq!(clip_grad_norm(&params, 6.0, f32::INFINITY).unwrap(), 12.0);
    let c = 6.0 / (12.0 + 1e-6);
    assert!((b.grad().unwrap().to_vec()[0] - 12.0 * c).abs() < 1e-6);

    reset();
    assert!((clip_grad_norm(&params, 100.0, 1.0).unwrap() - 19.0).abs() < 1e-5);

    assert_eq!(
        clip_grad_norm(std::slice::from_ref(&none), 1.0, 2.0).unwrap(),
        0.0
    );
    assert!(clip_grad_norm(&params, -1.0, 2.0).is_err());
    assert!(clip_grad_norm(&params, 1.0, 0.0).is_err());
    assert!(clip_grad_norm(&params, 1.0, f32::NAN).is_err());
}

#[test]
fn clip_grad_value_clamps_elementwise() {
    let a = param(&[0.0, 0.0, 0.0]);
    set_grad(&a, &[-3.0, 0.2, 7.0]);
    clip_grad_value(std::slice::from_ref(&a), 0.5).unwrap();
    assert_eq!(a.grad().unwrap().to_vec(), vec![-0.5, 0.2, 0.5]);
    assert!(clip_grad_value(std::slice::from_ref(&a), -1.0).is_err());
    assert!(clip_grad_value(&[a], f32::NAN).is_err());
}

#[test]
fn works_with_autograd_grads_and_2d_params() {
    // A gradient produced by backward (not set by hand) on a 2-D parameter.
    let w = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]).unwrap();
    w.set_requires_grad(true).unwrap();
    let loss = w.mul(&w).unwrap().sum(None, false).unwrap();
    loss.backward().unwrap();
    let mut opt = Optimizer::new(
        vec![w.clone()],
        SgdConfig {
            lr: 0.25,
            ..SgdConfig::default()
        },
    )
    .unwrap();
    opt.step().unwrap();
    // d(sum w^2)/dw = 2w, so w - 0.25 * 2w = w / 2.
    assert_eq!(w.to_vec(), vec![0.5, 1.0, 1.5, 2.0]);
    assert!(w.requires_grad() && w.is_leaf());
}

#[test]
fn parallel_update_of_many_params_is_bit_identical_to_sequential() {
    // 4 x 12_000 elements crosses the parallel threshold; one optimizer per parameter never does.
    let make = || -> Vec<Tensor> {
        (0..4)
            .map(|j| {
                let d: Vec<f32> = (0..12_000)
                    .map(|i| ((i * 13 + j * 7) % 101) as f32 * 0.02 - 1.0)
                    .collect();
                param(&d)
            })
            .collect()
    };
    let config = AdamConfig {
        amsgrad: true,
        weight_decay: 0.01,
        ..AdamConfig::default()
    };
    let together = make();
    let mut opt = Optimizer::new(together.clone(), config.clone()).unwrap();
    let separate = make();
    let mut opts: Vec<_> = separate
        .iter()
        .map(|p| Optimizer::new(vec![p.clone()], config.clone()).unwrap())
        .collect();
    for step in 0..3 {
        for (j, (a, b)) in together.iter().zip(&separate).enumerate() {
            // Leave one parameter without a gradient on one step: it must be skipped.
            if step == 1 && j == 2 {
                a.set_grad(None);
                b.set_grad(None);
                continue;
            }
            let g = grad_for(step, j, a.numel());
            set_grad(a, &g);
            set_grad(b, &g);
        }
        opt.step().unwrap();
        for o in &mut opts {
            o.step().unwrap();
        }
    }
    for (a, b) in together.iter().zip(&separate) {
        let bits = |t: &Tensor| t.to_vec().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(a), bits(b));
    }
    assert_eq!(opt.param_step(0, 2), 2);
    assert_eq!(opt.param_step(0, 0), 3);
}
