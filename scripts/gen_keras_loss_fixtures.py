#!/usr/bin/env python3
"""Generates fixtures/torch/keras_losses.json: reference values and prediction gradients of the
Keras-style losses `compile`/`fit` accept beyond PyTorch's built-ins (kld, hinge, squaredHinge,
cosineSimilarity, logCosh, poisson). Keras is not installed here, so each Keras formula (from
keras/losses.py) is written out and evaluated in float64 with PyTorch autograd. Checked by
crates/ferrograd-nn/tests/loss_kind_parity.rs.

Run with `/usr/bin/python3 scripts/gen_keras_loss_fixtures.py`. Deterministic output.

Case format: {name, spec, pred, target, loss (mean over the batch), grad (d loss / d pred)}.
"""
import json
import os

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "torch", "keras_losses.json")
GEN = torch.Generator().manual_seed(20261122)
EPS = 1e-7


def enc(t):
    t = t.detach().to(torch.float64)
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


def kld(p, y):
    y = y.clamp(EPS, 1)
    p = p.clamp(EPS, 1)
    return (y * torch.log(y / p)).sum(-1)


def hinge(p, y):
    y = torch.where((y == 0) | (y == 1), 2 * y - 1, y)
    return torch.clamp(1 - y * p, min=0).mean(-1)


def squared_hinge(p, y):
    y = torch.where((y == 0) | (y == 1), 2 * y - 1, y)
    return (torch.clamp(1 - y * p, min=0) ** 2).mean(-1)


def cosine_similarity(p, y):
    def unit(t):
        return t / torch.sqrt(torch.clamp((t * t).sum(-1, keepdim=True), min=1e-12))
    return -(unit(p) * unit(y)).sum(-1)


def log_cosh(p, y):
    x = p - y
    return (x + torch.nn.functional.softplus(-2 * x) - torch.log(torch.tensor(2.0, dtype=x.dtype))).mean(-1)


def poisson(p, y):
    return (p - y * torch.log(p + EPS)).mean(-1)


def softmax_rows(n, c):
    return torch.softmax(torch.randn(n, c, generator=GEN), -1)


CASES = []


def add(name, spec, fn, pred, target):
    p = pred.to(torch.float32).to(torch.float64).clone().requires_grad_(True)
    y = target.to(torch.float32).to(torch.float64)
    loss = fn(p, y).mean()
    (g,) = torch.autograd.grad(loss, [p])
    CASES.append({"name": name, "spec": spec, "pred": enc(p), "target": enc(y), "loss": float(loss), "grad": enc(g)})


add("kld", "kld", kld, softmax_rows(5, 4), softmax_rows(5, 4))
add("hinge_pm1", "hinge", hinge, torch.randn(6, 3, generator=GEN), torch.randint(0, 2, (6, 3), generator=GEN) * 2.0 - 1)
add("hinge_01", "hinge", hinge, torch.randn(6, 1, generator=GEN), torch.randint(0, 2, (6, 1), generator=GEN).double())
add("squared_hinge", "squaredHinge", squared_hinge, torch.randn(6, 3, generator=GEN), torch.randint(0, 2, (6, 3), generator=GEN) * 2.0 - 1)
add("cosine_similarity", "cosineSimilarity", cosine_similarity, torch.randn(4, 5, generator=GEN), torch.randn(4, 5, generator=GEN))
add("log_cosh", "logCosh", log_cosh, torch.randn(5, 3, generator=GEN) * 3, torch.randn(5, 3, generator=GEN))
add("poisson", "poisson", poisson, torch.rand(5, 3, generator=GEN) * 3 + 0.1, torch.randint(0, 5, (5, 3), generator=GEN).double())

with open(OUT, "w") as f:
    json.dump({"generator": "scripts/gen_keras_loss_fixtures.py", "torch": torch.__version__, "cases": CASES}, f, indent=1)
print(f"wrote {len(CASES)} cases to {OUT}")
