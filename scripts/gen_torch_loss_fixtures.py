#!/usr/bin/env python3
"""Generates fixtures/torch/losses.json: PyTorch reference values and input gradients for every
loss in crates/ferrograd-nn/src/loss/ (checked by crates/ferrograd-nn/tests/loss_parity.rs).

Run with `/usr/bin/python3 scripts/gen_torch_loss_fixtures.py` (torch 1.13). Inputs are drawn as
float32 from a seeded generator, then every computation runs in float64. The output is
deterministic: rerunning produces a byte-identical file.

Case format: {name, loss, options, tensors: {name: {shape, data}}, diff: [names of differentiable
tensors], output: {shape, data}, grads: {name: {shape, data}} | null}. Gradients (upstream 1) are
stored for the mean / sum reductions only.
"""
import json
import os
import warnings

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "torch", "losses.json")

warnings.filterwarnings("ignore", message="reduction: 'mean' divides")
GEN = torch.Generator().manual_seed(20240611)
CASES = []


def randn(*shape, scale=1.0):
    return (torch.randn(*shape, generator=GEN, dtype=torch.float32) * scale).to(torch.float32)


def rand(*shape, lo=0.0, hi=1.0):
    return (torch.rand(*shape, generator=GEN, dtype=torch.float32) * (hi - lo) + lo).to(torch.float32)


def randint(hi, *shape):
    return torch.randint(0, hi, shape, generator=GEN)


def enc(t):
    t = t.detach().to(torch.float64)
    data = [float(v) for v in t.reshape(-1).tolist()]
    for v in data:
        assert v == v and abs(v) != float("inf"), "non-finite value in fixture"
    return {"shape": list(t.shape), "data": data}


def add(name, loss, options, tensors, diff, fn, with_grads=True):
    """tensors: name -> float32 tensor (class indices as float32 of exact integers)."""
    leaves = {}
    for k, v in tensors.items():
        x = v.to(torch.float64).clone()
        if k in diff:
            x.requires_grad_(True)
        leaves[k] = x
    out = fn(**leaves)
    grads = None
    if with_grads and options.get("reduction") in ("mean", "sum", "batchmean"):
        gs = torch.autograd.grad(out, [leaves[k] for k in diff])
        grads = {k: enc(g) for k, g in zip(diff, gs)}
    CASES.append({
        "name": name,
        "loss": loss,
        "options": options,
        "tensors": {k: enc(v) for k, v in tensors.items()},
        "diff": list(diff),
        "output": enc(out),
        "grads": grads,
    })


RED = ["mean", "sum", "none"]


def away_from(x, y, points, gap=0.05):
    """Nudges x so that |x - y| is not within `gap` of any kink in `points` (finite gradients agree)."""
    d = x - y
    for p in points:
        close = (d.abs() - p).abs() < gap
        d = torch.where(close, d + torch.sign(d) * 2 * gap, d)
    return (y + d).to(torch.float32)


# ---------------------------------------------------------------- regression
for r in RED:
    x, y = randn(3, 4, scale=2.0), randn(3, 4)
    x = away_from(x, y, [0.0])
    add(f"mse_{r}", "mse", {"reduction": r}, {"input": x, "target": y}, ["input"],
        lambda input, target: F.mse_loss(input, target, reduction=r))
    add(f"l1_{r}", "l1", {"reduction": r}, {"input": x, "target": y}, ["input"],
        lambda input, target: F.l1_loss(input, target, reduction=r))
    for delta in (1.0, 0.5):
        xx = away_from(x, y, [0.0, delta])
        add(f"huber_d{delta}_{r}", "huber", {"reduction": r, "delta": delta}, {"input": xx, "target": y}, ["input"],
            lambda input, target: F.huber_loss(input, target, reduction=r, delta=delta))
    for beta in (1.0, 0.5, 0.0):
        xx = away_from(x, y, [0.0, beta])
        add(f"smooth_l1_b{beta}_{r}", "smooth_l1", {"reduction": r, "beta": beta}, {"input": xx, "target": y},
            ["input"], lambda input, target: F.smooth_l1_loss(input, target, reduction=r, beta=beta))
add("mse_rank3_mean", "mse", {"reduction": "mean"}, {"input": randn(2, 3, 2), "target": randn(2, 3, 2)}, ["input"],
    lambda input, target: F.mse_loss(input, target))

# ---------------------------------------------------------------- binary
for r in RED:
    p = torch.sigmoid(randn(4, 3, scale=2.0)).to(torch.float32)
    y = (rand(4, 3) > 0.5).to(torch.float32)
    soft = rand(4, 3)
    add(f"bce_{r}", "bce", {"reduction": r}, {"input": p, "target": y}, ["input"],
        lambda input, target: F.binary_cross_entropy(input, target, reduction=r))
    add(f"bce_soft_{r}", "bce", {"reduction": r}, {"input": p, "target": soft}, ["input"],
        lambda input, target: F.binary_cross_entropy(input, target, reduction=r))
    w = rand(3, lo=0.2, hi=2.0)
    add(f"bce_weight_{r}", "bce", {"reduction": r}, {"input": p, "target": y, "weight": w}, ["input"],
        lambda input, target, weight: F.binary_cross_entropy(input, target, weight=weight, reduction=r))
    wf = rand(4, 3, lo=0.0, hi=2.0)
    add(f"bce_weight_full_{r}", "bce", {"reduction": r}, {"input": p, "target": soft, "weight": wf}, ["input"],
        lambda input, target, weight: F.binary_cross_entropy(input, target, weight=weight, reduction=r))
# Saturated probabilities: the log clamp at -100 (values only: PyTorch's gradient there is 1e12-scaled).
pe = torch.tensor([0.0, 1.0, 1e-30, 1.0 - 2**-24, 0.5, 0.0], dtype=torch.float32)
ye = torch.tensor([1.0, 0.0, 1.0, 0.0, 0.5, 0.0], dtype=torch.float32)
add("bce_saturated_none", "bce", {"reduction": "none"}, {"input": pe, "target": ye}, ["input"],
    lambda input, target: F.binary_cross_entropy(input, target, reduction="none"))
add("bce_saturated_sum_value", "bce", {"reduction": "sum"}, {"input": pe, "target": ye}, ["input"],
    lambda input, target: F.binary_cross_entropy(input, target, reduction="sum"), with_grads=False)

for r in RED:
    x = randn(4, 3, scale=3.0)
    y = (rand(4, 3) > 0.5).to(torch.float32)
    soft = rand(4, 3)
    w = rand(4, 3, lo=0.1, hi=2.0)
    pw = rand(3, lo=0.5, hi=4.0)
    add(f"bce_logits_{r}", "bce_logits", {"reduction": r}, {"input": x, "target": y}, ["input"],
        lambda input, target: F.binary_cross_entropy_with_logits(input, target, reduction=r))
    add(f"bce_logits_soft_{r}", "bce_logits", {"reduction": r}, {"input": x, "target": soft}, ["input"],
        lambda input, target: F.binary_cross_entropy_with_logits(input, target, reduction=r))
    add(f"bce_logits_weight_{r}", "bce_logits", {"reduction": r}, {"input": x, "target": y, "weight": w}, ["input"],
        lambda input, target, weight: F.binary_cross_entropy_with_logits(input, target, weight=weight, reduction=r))
    add(f"bce_logits_pos_weight_{r}", "bce_logits", {"reduction": r}, {"input": x, "target": soft, "pos_weight": pw},
        ["input"], lambda input, target, pos_weight:
        F.binary_cross_entropy_with_logits(input, target, pos_weight=pos_weight, reduction=r))
    add(f"bce_logits_both_{r}", "bce_logits", {"reduction": r},
        {"input": x, "target": y, "weight": w[0], "pos_weight": pw}, ["input"],
        lambda input, target, weight, pos_weight:
        F.binary_cross_entropy_with_logits(input, target, weight=weight, pos_weight=pos_weight, reduction=r))
    xe = torch.tensor([[50.0, -50.0, 0.0], [-50.0, 50.0, 30.0], [-30.0, 0.0, 50.0]], dtype=torch.float32)
    ye = torch.tensor([[1.0, 1.0, 1.0], [0.0, 0.0, 0.3], [1.0, 0.0, 0.0]], dtype=torch.float32)
    add(f"bce_logits_extreme_{r}", "bce_logits", {"reduction": r}, {"input": xe, "target": ye, "pos_weight": pw},
        ["input"], lambda input, target, pos_weight:
        F.binary_cross_entropy_with_logits(input, target, pos_weight=pos_weight, reduction=r))
    add(f"bce_logits_extreme_plain_{r}", "bce_logits", {"reduction": r}, {"input": xe, "target": ye}, ["input"],
        lambda input, target: F.binary_cross_entropy_with_logits(input, target, reduction=r))

# ---------------------------------------------------------------- categorical
EXTREME = torch.tensor([[50.0, -50.0, 0.0, 10.0, -10.0], [-50.0, -50.0, 50.0, 0.0, 1.0],
                        [0.0, 0.0, 0.0, 0.0, 0.0], [50.0, 50.0, -50.0, -50.0, 0.0]], dtype=torch.float32)
for r in RED:
    for ls in (0.0, 0.1):
        for extreme in (False, True):
            x = EXTREME if extreme else randn(4, 5, scale=2.0)
            probs = torch.softmax(randn(4, 5), 1).to(torch.float32)
            onehot = F.one_hot(randint(5, 4), 5).to(torch.float32)
            w = rand(5, lo=0.2, hi=2.0)
            tag = f"{'extreme_' if extreme else ''}ls{ls}_{r}"
            opts = {"reduction": r, "label_smoothing": ls}
            add(f"ce_probs_{tag}", "cross_entropy", opts, {"input": x, "target": probs}, ["input"],
                lambda input, target: F.cross_entropy(input, target, reduction=r, label_smoothing=ls))
            add(f"ce_onehot_{tag}", "cross_entropy", opts, {"input": x, "target": onehot}, ["input"],
                lambda input, target: F.cross_entropy(input, target, reduction=r, label_smoothing=ls))
            add(f"ce_weight_{tag}", "cross_entropy", opts, {"input": x, "target": probs, "weight": w}, ["input"],
                lambda input, target, weight:
                F.cross_entropy(input, target, weight=weight, reduction=r, label_smoothing=ls))

            t = randint(5, 4)
            ti = t.clone()
            ti[1] = -100
            for wt in (False, True):
                for ig in (False, True):
                    tensors = {"input": x, "target": (ti if ig else t).to(torch.float32)}
                    if wt:
                        tensors["weight"] = w
                    o = dict(opts, ignore_index=-100 if ig else None)
                    nm = f"sparse_ce_{'w_' if wt else ''}{'ig_' if ig else ''}{tag}"

                    def f(input, target, weight=None, r=r, ls=ls):
                        return F.cross_entropy(input, target.long(), weight=weight, ignore_index=-100,
                                               reduction=r, label_smoothing=ls)
                    add(nm, "sparse_cross_entropy", o, tensors, ["input"], f)
    # K-dimensional: [N, C, d] logits, [N, d] targets.
    xk = randn(2, 3, 4, scale=2.0)
    tk = randint(3, 2, 4)
    tk[0, 1] = -100
    wk = rand(3, lo=0.2, hi=2.0)
    add(f"sparse_ce_kdim_{r}", "sparse_cross_entropy",
        {"reduction": r, "label_smoothing": 0.2, "ignore_index": -100},
        {"input": xk, "target": tk.to(torch.float32), "weight": wk}, ["input"],
        lambda input, target, weight: F.cross_entropy(input, target.long(), weight=weight, ignore_index=-100,
                                                      reduction=r, label_smoothing=0.2))
    pk = torch.softmax(randn(2, 3, 4), 1).to(torch.float32)
    add(f"ce_probs_kdim_{r}", "cross_entropy", {"reduction": r, "label_smoothing": 0.05},
        {"input": xk, "target": pk, "weight": wk}, ["input"],
        lambda input, target, weight: F.cross_entropy(input, target, weight=weight, reduction=r,
                                                      label_smoothing=0.05))
    # Single sample: [C] logits, 0-d target.
    add(f"sparse_ce_single_{r}", "sparse_cross_entropy", {"reduction": r, "label_smoothing": 0.0, "ignore_index": None},
        {"input": randn(6), "target": torch.tensor(4.0)}, ["input"],
        lambda input, target: F.cross_entropy(input, target.long(), reduction=r))

    # NLL on log-probabilities.
    lp = torch.log_softmax(randn(5, 4, scale=2.0), 1).to(torch.float32)
    t = randint(4, 5)
    ti = t.clone()
    ti[2] = -100
    ti[4] = -100
    w = rand(4, lo=0.2, hi=2.0)
    add(f"nll_{r}", "nll", {"reduction": r, "ignore_index": None}, {"input": lp, "target": t.to(torch.float32)},
        ["input"], lambda input, target: F.nll_loss(input, target.long(), reduction=r))
    add(f"nll_weight_{r}", "nll", {"reduction": r, "ignore_index": None},
        {"input": lp, "target": t.to(torch.float32), "weight": w}, ["input"],
        lambda input, target, weight: F.nll_loss(input, target.long(), weight=weight, reduction=r))
    add(f"nll_weight_ignore_{r}", "nll", {"reduction": r, "ignore_index": -100},
        {"input": lp, "target": ti.to(torch.float32), "weight": w}, ["input"],
        lambda input, target, weight: F.nll_loss(input, target.long(), weight=weight, ignore_index=-100,
                                                 reduction=r))
    add(f"nll_ignore_class_{r}", "nll", {"reduction": r, "ignore_index": 1},
        {"input": lp, "target": t.to(torch.float32)}, ["input"],
        lambda input, target: F.nll_loss(input, target.long(), ignore_index=1, reduction=r))

# ---------------------------------------------------------------- KL
for r in ("mean", "batchmean", "sum", "none"):
    for log_target in (False, True):
        x = torch.log_softmax(randn(3, 4), 1).to(torch.float32)
        p = torch.softmax(randn(3, 4, scale=2.0), 1)
        p[0, 1] = 0.0
        p = p.to(torch.float32)
        tgt = torch.log_softmax(randn(3, 4), 1).to(torch.float32) if log_target else p
        add(f"kl_{'log_' if log_target else ''}{r}", "kl_div", {"reduction": r, "log_target": log_target},
            {"input": x, "target": tgt}, ["input"],
            lambda input, target: F.kl_div(input, target, reduction=r, log_target=log_target))

# ---------------------------------------------------------------- margin
for r in RED:
    y = (rand(4, 3) > 0.5).to(torch.float32) * 2 - 1
    x = randn(4, 3, scale=1.5)
    x = torch.where(((1 - x * y).abs() < 0.05), x + 0.2, x).to(torch.float32)
    add(f"hinge_{r}", "hinge", {"reduction": r}, {"input": x, "target": y}, ["input"],
        lambda input, target: torch.clamp_min(1 - target * input, 0).sum() if r == "sum" else (
            torch.clamp_min(1 - target * input, 0).mean() if r == "mean" else torch.clamp_min(1 - target * input, 0)))
    add(f"squared_hinge_{r}", "squared_hinge", {"reduction": r}, {"input": x, "target": y}, ["input"],
        lambda input, target: (torch.clamp_min(1 - target * input, 0) ** 2).sum() if r == "sum" else (
            (torch.clamp_min(1 - target * input, 0) ** 2).mean() if r == "mean"
            else torch.clamp_min(1 - target * input, 0) ** 2))


def reduce(v, r):
    return v.sum() if r == "sum" else (v.mean() if r == "mean" else v)


# ---------------------------------------------------------------- embeddings
for r in RED:
    a, b = randn(6, 5), randn(6, 5)
    y = torch.tensor([1, -1, 1, -1, -1, 1], dtype=torch.float32)
    for margin in (0.0, 0.5, -0.2):
        add(f"cosine_m{margin}_{r}", "cosine_embedding", {"reduction": r, "margin": margin},
            {"x1": a, "x2": b, "target": y}, ["x1", "x2"],
            lambda x1, x2, target: F.cosine_embedding_loss(x1, x2, target, margin=margin, reduction=r))
    add(f"cosine_single_{r}", "cosine_embedding", {"reduction": r, "margin": 0.1},
        {"x1": randn(4), "x2": randn(4), "target": torch.tensor(-1.0)}, ["x1", "x2"],
        lambda x1, x2, target: F.cosine_embedding_loss(x1.unsqueeze(0), x2.unsqueeze(0), target.reshape(1),
                                                       margin=0.1, reduction=r).reshape(())
        if r == "none" else F.cosine_embedding_loss(x1.unsqueeze(0), x2.unsqueeze(0), target.reshape(1),
                                                    margin=0.1, reduction=r))

    ya = torch.tensor([1, 0, 1, 0, 0, 1], dtype=torch.float32)
    for margin in (1.0, 3.0):
        def contrastive(x1, x2, target, margin=margin, r=r):
            d = F.pairwise_distance(x1, x2)
            return reduce(target * d ** 2 + (1 - target) * torch.clamp_min(margin - d, 0) ** 2, r)
        add(f"contrastive_m{margin}_{r}", "contrastive", {"reduction": r, "margin": margin},
            {"x1": a, "x2": b, "target": ya}, ["x1", "x2"], contrastive)

    an, po, ne = randn(5, 4), randn(5, 4), randn(5, 4)
    for margin, p, swap in ((1.0, 2.0, False), (0.5, 2.0, True), (1.0, 1.0, False), (2.0, 3.0, True), (0.0, 2.0, False)):
        add(f"triplet_m{margin}_p{p}_swap{int(swap)}_{r}", "triplet_margin",
            {"reduction": r, "margin": margin, "p": p, "eps": 1e-6, "swap": swap},
            {"anchor": an, "positive": po, "negative": ne}, ["anchor", "positive", "negative"],
            lambda anchor, positive, negative, margin=margin, p=p, swap=swap:
            F.triplet_margin_loss(anchor, positive, negative, margin=margin, p=p, eps=1e-6, swap=swap, reduction=r))

names = [c["name"] for c in CASES]
assert len(names) == len(set(names)), "duplicate case names"
with open(OUT, "w") as fh:
    fh.write('{"torch_version": "%s", "count": %d, "cases": [\n' % (torch.__version__.split("a")[0], len(CASES)))
    fh.write(",\n".join(json.dumps(c, sort_keys=True, separators=(",", ":")) for c in CASES))
    fh.write("\n]}\n")
print(f"wrote {len(CASES)} cases to {os.path.normpath(OUT)}")
