#!/usr/bin/env python3
"""Generate PyTorch parity fixtures for ferrograd's optimizers and LR schedules.

Usage (needs torch >= 1.13 and numpy; use Debian's interpreter on the dev box):

    /usr/bin/python3 scripts/gen_torch_optim_fixtures.py            # writes fixtures/torch/{optimizers,schedules}.json
    /usr/bin/python3 scripts/gen_torch_optim_fixtures.py --out DIR  # write elsewhere (e.g. to diff)

optimizers.json
    ``init``: two float32 parameters (shapes [3, 4] and [5]); ``grads``: 6 steps of
    float32 gradients for both.  Each case names an optimizer and its
    hyper-parameters (PyTorch names), optionally lists ``none_grads`` = [[step, param]]
    pairs whose gradient is ``None`` at that step (the optimizer must skip the
    param and not advance its state), and stores ``steps[k][j]`` = flat data of
    param j after step k.  Torch runs in float64 from the float32 inputs, and
    results are written with 9 significant digits.  ``lion`` is not in torch
    1.13: its reference is a direct float64 transcription of Algorithm 2 of
    Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms".

schedules.json
    Each case records ``lrs[t]`` = the LR in effect for step t (t = 0..29),
    i.e. ``get_last_lr()`` before the t-th ``scheduler.step()``.
    ``reduce_on_plateau`` cases store the metric fed after each step and the LR
    after that step.

The script is deterministic (fixed seeds, no dict-order dependence), so a rerun
gives byte-identical files.
"""

import argparse
import json
import math
import os
import sys
import warnings

try:
    import numpy as np
    import torch
    from torch.optim import lr_scheduler as L
except ImportError as exc:  # pragma: no cover
    sys.exit("needs numpy and torch>=1.13 (%s); try /usr/bin/python3" % exc)

GENERATOR = "scripts/gen_torch_optim_fixtures.py"
SEED = 1234
SHAPES = [[3, 4], [5]]
N_STEPS = 6
N_LR_STEPS = 30


def f32_list(a):
    # float(np.float32) is exact as a double, so parsing as f64 and rounding to f32 is lossless.
    return [float(v) for v in np.asarray(a, dtype=np.float32).reshape(-1)]


def ref_list(a):
    return [float("%.9g" % v) for v in np.asarray(a, dtype=np.float64).reshape(-1)]


def make_data():
    rng = np.random.default_rng(SEED)
    init = [rng.normal(0.0, 1.0, size=s).astype(np.float32) for s in SHAPES]
    grads = []
    for _ in range(N_STEPS):
        grads.append([rng.normal(0.0, 0.5, size=s).astype(np.float32) for s in SHAPES])
    return init, grads


OPT_CASES = [
    ("sgd_plain", "sgd", {"lr": 0.1}),
    ("sgd_momentum", "sgd", {"lr": 0.05, "momentum": 0.9}),
    ("sgd_momentum_dampening_wd", "sgd", {"lr": 0.05, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.01}),
    ("sgd_nesterov_wd", "sgd", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.05}),
    ("adam_default", "adam", {}),
    ("adam_lr_betas", "adam", {"lr": 0.01, "betas": [0.8, 0.95], "eps": 1e-6}),
    ("adam_weight_decay", "adam", {"lr": 0.01, "weight_decay": 0.1}),
    ("adam_amsgrad", "adam", {"lr": 0.01, "amsgrad": True}),
    ("adam_amsgrad_wd", "adam", {"lr": 0.02, "amsgrad": True, "weight_decay": 0.05, "betas": [0.5, 0.9]}),
    ("adamw_default", "adamw", {}),
    ("adamw_wd", "adamw", {"lr": 0.01, "weight_decay": 0.1}),
    ("adamw_amsgrad", "adamw", {"lr": 0.01, "weight_decay": 0.05, "amsgrad": True}),
    ("rmsprop_default", "rmsprop", {}),
    ("rmsprop_centered", "rmsprop", {"lr": 0.005, "centered": True}),
    ("rmsprop_momentum_wd", "rmsprop", {"lr": 0.005, "alpha": 0.9, "momentum": 0.7, "weight_decay": 0.02}),
    ("rmsprop_centered_momentum", "rmsprop", {"lr": 0.003, "centered": True, "momentum": 0.5, "eps": 1e-4}),
    ("adagrad_default", "adagrad", {}),
    ("adagrad_decay_init", "adagrad", {"lr": 0.1, "lr_decay": 0.05, "initial_accumulator_value": 0.5}),
    ("adagrad_wd_eps", "adagrad", {"lr": 0.05, "weight_decay": 0.1, "eps": 1e-3}),
    ("adadelta_default", "adadelta", {}),
    ("adadelta_rho_lr_wd", "adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-4, "weight_decay": 0.05}),
    ("adamax_default", "adamax", {}),
    ("adamax_wd", "adamax", {"lr": 0.01, "betas": [0.8, 0.99], "weight_decay": 0.1}),
    ("lion_default", "lion", {}),
    ("lion_wd", "lion", {"lr": 0.01, "betas": [0.8, 0.95], "weight_decay": 0.1}),
    # Params whose grad is None at a step must be skipped without touching their state.
    ("adam_skip_none_grads", "adam", {"lr": 0.01}, [[1, 1], [3, 1], [4, 0]]),
    ("sgd_momentum_skip_none_grads", "sgd", {"lr": 0.05, "momentum": 0.9}, [[0, 1], [2, 0]]),
]

TORCH_OPTS = {
    "sgd": torch.optim.SGD,
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "rmsprop": torch.optim.RMSprop,
    "adagrad": torch.optim.Adagrad,
    "adadelta": torch.optim.Adadelta,
    "adamax": torch.optim.Adamax,
}


def torch_kwargs(cfg):
    kw = dict(cfg)
    if "betas" in kw:
        kw["betas"] = tuple(kw["betas"])
    return kw


def run_lion(cfg, init, grads, none_grads):
    """Lion, Algorithm 2 of Chen et al. (2023), transcribed in float64."""
    lr = cfg.get("lr", 1e-4)
    b1, b2 = cfg.get("betas", [0.9, 0.99])
    wd = cfg.get("weight_decay", 0.0)
    params = [p.astype(np.float64) for p in init]
    m = [np.zeros_like(p) for p in params]
    out = []
    for k, gs in enumerate(grads):
        for j, g32 in enumerate(gs):
            if [k, j] in none_grads:
                continue
            g = g32.astype(np.float64)
            c = b1 * m[j] + (1.0 - b1) * g
            params[j] = params[j] - lr * (np.sign(c) + wd * params[j])
            m[j] = b2 * m[j] + (1.0 - b2) * g
        out.append([ref_list(p) for p in params])
    return out


def run_torch_opt(kind, cfg, init, grads, none_grads):
    params = [torch.tensor(p.astype(np.float64), requires_grad=True) for p in init]
    opt = TORCH_OPTS[kind](params, **torch_kwargs(cfg))
    out = []
    for k, gs in enumerate(grads):
        for j, g in enumerate(gs):
            params[j].grad = None if [k, j] in none_grads else torch.tensor(g.astype(np.float64))
        opt.step()
        out.append([ref_list(p.detach().numpy()) for p in params])
    return out


def gen_optimizers():
    init, grads = make_data()
    cases = []
    for entry in OPT_CASES:
        name, kind, cfg = entry[:3]
        none_grads = entry[3] if len(entry) > 3 else []
        run = run_lion if kind == "lion" else (lambda *a: run_torch_opt(kind, *a))
        steps = run(cfg, init, grads, none_grads)
        case = {"name": name, "optimizer": kind, "config": cfg, "none_grads": none_grads, "steps": steps}
        cases.append(case)
    return {
        "generator": GENERATOR,
        "torch_version": torch.__version__,
        "seed": SEED,
        "init": [{"shape": s, "data": f32_list(p)} for s, p in zip(SHAPES, init)],
        "grads": [[{"shape": s, "data": f32_list(g)} for s, g in zip(SHAPES, gs)] for gs in grads],
        "cases": cases,
    }


def sched_opt(lr):
    p = torch.zeros(1, requires_grad=True)
    return torch.optim.SGD([p], lr=lr)


def record(opt, sched, n=N_LR_STEPS):
    lrs = []
    for _ in range(n):
        lrs.append(float("%.12g" % opt.param_groups[0]["lr"]))
        opt.step()
        sched.step()
    return lrs


def sched_cases():
    # (name, schedule description for the Rust side, base lr, torch factory)
    out = []

    def add(name, spec, base_lr, make):
        opt = sched_opt(base_lr)
        sched = make(opt)
        out.append({"name": name, "schedule": spec, "base_lr": base_lr, "lrs": record(opt, sched)})

    add("constant", {"kind": "constant"}, 0.1, lambda o: L.LambdaLR(o, lambda t: 1.0))
    add("step", {"kind": "step", "step_size": 7, "gamma": 0.5}, 0.1, lambda o: L.StepLR(o, 7, gamma=0.5))
    add("step_default_gamma", {"kind": "step", "step_size": 10, "gamma": 0.1}, 1.0, lambda o: L.StepLR(o, 10))
    add("multistep", {"kind": "multistep", "milestones": [3, 10, 10, 22], "gamma": 0.3}, 0.2,
        lambda o: L.MultiStepLR(o, [3, 10, 10, 22], gamma=0.3))
    add("exponential", {"kind": "exponential", "gamma": 0.9}, 0.05, lambda o: L.ExponentialLR(o, 0.9))
    add("inverse_time", {"kind": "inverse_time", "k": 0.25}, 0.1, lambda o: L.LambdaLR(o, lambda t: 1.0 / (1.0 + 0.25 * t)))
    add("inverse_offset", {"kind": "inverse_offset", "c": 4.0}, 0.1, lambda o: L.LambdaLR(o, lambda t: 1.0 / (t + 4.0)))
    add("polynomial", {"kind": "polynomial", "total": 20, "power": 2.0}, 0.1, lambda o: L.PolynomialLR(o, total_iters=20, power=2.0))
    add("polynomial_linear", {"kind": "polynomial", "total": 25, "power": 1.0}, 0.3, lambda o: L.PolynomialLR(o, total_iters=25, power=1.0))
    add("cosine", {"kind": "cosine", "t_max": 30, "eta_min": 0.0}, 0.1, lambda o: L.CosineAnnealingLR(o, T_max=30))
    add("cosine_eta_min_beyond_tmax", {"kind": "cosine", "t_max": 10, "eta_min": 0.001}, 0.1,
        lambda o: L.CosineAnnealingLR(o, T_max=10, eta_min=0.001))
    add("cosine_restarts", {"kind": "cosine_restarts", "t_0": 7, "t_mult": 1, "eta_min": 0.0}, 0.1,
        lambda o: L.CosineAnnealingWarmRestarts(o, T_0=7))
    add("cosine_restarts_mult", {"kind": "cosine_restarts", "t_0": 3, "t_mult": 2, "eta_min": 0.01}, 0.1,
        lambda o: L.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.01))
    add("warmup_cosine", {"kind": "warmup", "steps": 5, "start_factor": 0.1,
                          "inner": {"kind": "cosine", "t_max": 25, "eta_min": 0.0}}, 0.1,
        lambda o: L.SequentialLR(o, [L.LinearLR(o, start_factor=0.1, total_iters=5),
                                     L.CosineAnnealingLR(o, T_max=25)], milestones=[5]))
    add("warmup_step", {"kind": "warmup", "steps": 4, "start_factor": 0.25,
                        "inner": {"kind": "step", "step_size": 5, "gamma": 0.5}}, 0.2,
        lambda o: L.SequentialLR(o, [L.LinearLR(o, start_factor=0.25, total_iters=4),
                                     L.StepLR(o, 5, gamma=0.5)], milestones=[4]))
    add("one_cycle", {"kind": "one_cycle", "total": 30, "pct_start": 0.3, "div_factor": 25.0,
                      "final_div_factor": 1e4}, 0.5,
        lambda o: L.OneCycleLR(o, max_lr=0.5, total_steps=30, cycle_momentum=False))
    add("one_cycle_custom", {"kind": "one_cycle", "total": 30, "pct_start": 0.25, "div_factor": 10.0,
                             "final_div_factor": 100.0}, 1.0,
        lambda o: L.OneCycleLR(o, max_lr=1.0, total_steps=30, pct_start=0.25, div_factor=10.0,
                               final_div_factor=100.0, cycle_momentum=False))
    return out


PLATEAU_METRICS = [1.0, 0.9, 0.95, 0.96, 0.97, 0.9, 0.899, 0.8999, 0.85, 0.86,
                   0.87, 0.88, 0.84, 0.85, 0.85, 0.85, 0.85, 0.83, 0.84, 0.84,
                   0.84, 0.84, 0.84, 0.84, 0.84, 0.84, 0.84, 0.84, 0.84, 0.84]


def plateau_cases():
    out = []
    specs = [
        ("plateau_min_default_patience2", 0.1, {"mode": "min", "factor": 0.5, "patience": 2}),
        ("plateau_min_cooldown_minlr", 0.1, {"mode": "min", "factor": 0.1, "patience": 1, "cooldown": 2,
                                            "min_lr": 1e-4}),
        ("plateau_min_threshold", 1.0, {"mode": "min", "factor": 0.5, "patience": 0, "threshold": 0.05}),
        ("plateau_max_abs", 1.0, {"mode": "max", "factor": 0.7, "patience": 1, "threshold": 0.01,
                                  "threshold_mode": "abs"}),
    ]
    for name, base_lr, cfg in specs:
        opt = sched_opt(base_lr)
        metrics = [-m if cfg["mode"] == "max" else m for m in PLATEAU_METRICS]
        sched = L.ReduceLROnPlateau(opt, **cfg)
        lrs = []
        for m in metrics:
            opt.step()
            sched.step(m)
            lrs.append(float("%.12g" % opt.param_groups[0]["lr"]))
        out.append({"name": name, "config": cfg, "base_lr": base_lr, "metrics": metrics, "lrs": lrs})
    return out


def gen_schedules():
    return {
        "generator": GENERATOR,
        "torch_version": torch.__version__,
        "cases": sched_cases(),
        "plateau_cases": plateau_cases(),
    }


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "fixtures", "torch"))
    args = ap.parse_args()
    # SequentialLR calls scheduler.step(0) internally, which triggers a deprecation warning.
    warnings.filterwarnings("ignore", message="The epoch parameter")
    torch.manual_seed(0)
    os.makedirs(args.out, exist_ok=True)
    for fname, data in [("optimizers.json", gen_optimizers()), ("schedules.json", gen_schedules())]:
        path = os.path.join(args.out, fname)
        with open(path, "w") as f:
            json.dump(data, f, indent=None, separators=(",", ":"), sort_keys=False)
            f.write("\n")
        print("wrote", path)


if __name__ == "__main__":
    main()
