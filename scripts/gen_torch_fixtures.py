#!/usr/bin/env python3
"""Generate PyTorch parity fixtures for ferrograd.

Usage (needs a Python with torch >= 1.13 and numpy; on the dev box the
pyenv ``python3`` on PATH has no torch, so use Debian's interpreter):

    /usr/bin/python3 scripts/gen_torch_fixtures.py            # writes fixtures/torch/*.json
    /usr/bin/python3 scripts/gen_torch_fixtures.py --out DIR  # write elsewhere (e.g. to diff)
    /usr/bin/python3 scripts/gen_torch_fixtures.py --no-check # skip the finite-difference self-check

Output: one JSON file per op family in ``fixtures/torch/`` (format documented in
``fixtures/README.md``).  Every case stores float32 inputs (written with the
shortest decimal string that parses back to the same float32, whether parsed
directly as f32 or as f64 and then rounded to f32), random float32 upstream
gradients, and the reference outputs / input gradients computed by torch in
**float64** from those float32 inputs, written with 9 significant digits.

The script is deterministic: each case draws from its own
``numpy.random.default_rng([SEED, crc32(case_name)])`` stream, so regenerating
gives byte-identical files and adding/removing a case never perturbs the data
of the other cases.

Before writing, every differentiable case is checked against central finite
differences (float64, eps=1e-3) of L = sum_i <out_i, grad_out_i> (and, for
second_order.json, of sum_j <g_j, v_j>), which guards against inputs that sit
too close to a kink / tie and would make finite-difference tests meaningless.
"""

import argparse
import json
import math
import os
import sys
import zlib
from fractions import Fraction

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError as exc:  # pragma: no cover
    sys.exit("gen_torch_fixtures.py needs numpy and torch>=1.13 (%s); "
             "try: /usr/bin/python3 scripts/gen_torch_fixtures.py" % exc)

SEED = 0
GENERATOR = "scripts/gen_torch_fixtures.py"
MARGIN = 1e-2  # keep inputs this far away from kinks (relu 0, clamp bounds, ...)
FD_EPS = 1e-3
FD_ATOL = 1e-4
FD_RTOL = 1e-3

FILES = [
    "elementwise",
    "activations",
    "reductions",
    "matmul",
    "shape_ops",
    "indexing",
    "second_order",
]

torch.set_default_dtype(torch.float64)

# ---------------------------------------------------------------------------
# number formatting
# ---------------------------------------------------------------------------


def enc_f32(x):
    """Shortest decimal string that maps back to exactly this float32.

    Accepted only if the decimal is within 0.45 float32-ulp-gaps of the value,
    so both a correctly rounded decimal->f32 parse (Rust ``f32::from_str``) and
    decimal->f64->f32 (JSON.parse + Float32Array / serde_json f64 then ``as
    f32``) give back the identical float32.
    """
    x32 = np.float32(x)
    xv = float(x32)
    if not math.isfinite(xv):
        raise ValueError("non-finite input %r" % (x,))
    if xv == 0.0:
        return "0.0"
    up = float(np.nextafter(x32, np.float32(np.inf)))
    down = float(np.nextafter(x32, np.float32(-np.inf)))
    limit = Fraction(min(up - xv, xv - down)) * Fraction(45, 100)
    exact = Fraction(xv)
    for p in range(1, 10):
        s = repr(float("%.*g" % (p, xv)))
        if np.float32(float(s)) == x32 and abs(Fraction(s) - exact) < limit:
            return s
    return repr(xv)  # exact value of the float32 (always round-trips)


def enc_f64(x):
    """Reference value rounded to 9 significant digits."""
    x = float(x)
    if not math.isfinite(x):
        raise ValueError("non-finite reference value %r" % (x,))
    s = repr(float("%.9g" % x))
    if s == "-0.0":
        s = "0.0"
    return s


def tensor_json(shape, data_strs, requires_grad=None):
    parts = ['"shape": [%s]' % ", ".join(str(int(d)) for d in shape),
             '"data": [%s]' % ", ".join(data_strs)]
    if requires_grad is not None:
        parts.append('"requires_grad": %s' % ("true" if requires_grad else "false"))
    return "{" + ", ".join(parts) + "}"


def f32_tensor_json(arr, requires_grad=None):
    arr = np.asarray(arr, dtype=np.float32)
    return tensor_json(arr.shape, [enc_f32(v) for v in arr.reshape(-1)], requires_grad)


def f64_tensor_json(t):
    a = t.detach().to(torch.float64).numpy()
    return tensor_json(a.shape, [enc_f64(v) for v in a.reshape(-1)])


# ---------------------------------------------------------------------------
# input generators (each returns a float32 numpy array given a Generator)
# ---------------------------------------------------------------------------


class In:
    def __init__(self, gen, rg=True):
        self.gen = gen
        self.rg = rg


def _shape(shape):
    return tuple(int(s) for s in shape)


def _avoid(x, sampler, rng, avoid, margin):
    if not avoid:
        return x
    for _ in range(1000):
        bad = np.zeros(x.shape, dtype=bool)
        for p in avoid:
            bad |= np.abs(x - p) < margin
        if not bad.any():
            return x
        x = x.copy()
        x[bad] = sampler(rng, int(bad.sum()))
    raise RuntimeError("could not sample away from %r" % (avoid,))


def normal(shape, scale=1.0, mean=0.0, avoid=(), margin=MARGIN, rg=True):
    shape = _shape(shape)

    def sampler(rng, n):
        return rng.standard_normal(n) * scale + mean

    def gen(rng):
        x = sampler(rng, int(np.prod(shape, dtype=np.int64))).reshape(shape)
        x = _avoid(x, sampler, rng, avoid, margin)
        return x.astype(np.float32)

    return In(gen, rg)


def uniform(shape, lo, hi, avoid=(), margin=MARGIN, rg=True):
    shape = _shape(shape)

    def sampler(rng, n):
        return rng.uniform(lo, hi, n)

    def gen(rng):
        x = sampler(rng, int(np.prod(shape, dtype=np.int64))).reshape(shape)
        x = _avoid(x, sampler, rng, avoid, margin)
        return x.astype(np.float32)

    return In(gen, rg)


def signed_uniform(shape, lo, hi, rg=True):
    """|x| in [lo, hi) with a random sign (keeps away from 0)."""
    shape = _shape(shape)

    def gen(rng):
        n = int(np.prod(shape, dtype=np.int64))
        mag = rng.uniform(lo, hi, n)
        sgn = np.where(rng.random(n) < 0.5, -1.0, 1.0)
        return (mag * sgn).reshape(shape).astype(np.float32)

    return In(gen, rg)


def distinct(shape, lo, hi, rg=True):
    """All values pairwise separated by >= 0.3*(hi-lo)/n (no near-ties)."""
    shape = _shape(shape)

    def gen(rng):
        n = int(np.prod(shape, dtype=np.int64))
        perm = rng.permutation(n)
        u = rng.uniform(0.15, 0.85, n)
        return (lo + (hi - lo) * (perm + u) / n).reshape(shape).astype(np.float32)

    return In(gen, rg)


def quantized(shape, lo, hi, step, rg=True):
    """Multiples of `step` in [lo, hi] (deliberately produces ties)."""
    shape = _shape(shape)

    def gen(rng):
        k = rng.integers(int(round(lo / step)), int(round(hi / step)) + 1, size=shape)
        return (k * step).astype(np.float32)

    return In(gen, rg)


def const(values, shape=None, rg=True):
    arr = np.array(values, dtype=np.float32)
    if shape is not None:
        arr = arr.reshape(_shape(shape))

    return In(lambda rng: arr.copy(), rg)


def index(values, shape=None):
    """Integer indices / labels / boolean masks, stored as floats, no grad."""
    return const(values, shape, rg=False)


def random_index(shape, high):
    shape = _shape(shape)
    return In(lambda rng: rng.integers(0, high, size=shape).astype(np.float32), False)


# ---------------------------------------------------------------------------
# op implementations (torch, float64)
# ---------------------------------------------------------------------------


def _dims(x, attrs):
    d = attrs["dims"]
    return tuple(range(x.dim())) if d is None else tuple(d)


def _reduce(fn_dims, fn_all):
    def op(ts, a):
        x = ts[0]
        if x.dim() == 0:
            return fn_all(x)
        return fn_dims(x, _dims(x, a), a["keepdim"])

    return op


def _prod(ts, a):
    x = ts[0]
    nd = x.dim()
    if a["dims"] is None:
        y = torch.prod(x)
        return y.reshape([1] * nd) if a["keepdim"] else y
    dims = sorted({d % nd for d in a["dims"]}, reverse=True)
    for d in dims:  # torch 1.13 prod only takes a single dim
        x = torch.prod(x, dim=d, keepdim=a["keepdim"])
    return x


def _arg(fn):
    def op(ts, a):
        return fn(ts[0], dim=a["dim"], keepdim=a["keepdim"]).to(torch.float64)

    return op


def _cmp(fn):
    return lambda ts, a: fn(ts[0], ts[1]).to(torch.float64)


def _softplus(x):
    # log1p(exp(x)) computed stably; beta = 1, no threshold.
    return torch.clamp(x, min=0) + torch.log1p(torch.exp(-torch.abs(x)))


def _torch_pads(pads):
    out = []
    for before, after in reversed(pads):  # F.pad starts at the last dim
        out += [int(before), int(after)]
    return out


def _slice(ts, a):
    x = ts[0]
    idx = [slice(None)] * x.dim()
    idx[a["dim"] % x.dim()] = slice(a["start"], a["end"], a["step"])
    return x[tuple(idx)]


OPS = {
    # elementwise binary
    "add": lambda ts, a: ts[0] + ts[1],
    "sub": lambda ts, a: ts[0] - ts[1],
    "mul": lambda ts, a: ts[0] * ts[1],
    "div": lambda ts, a: ts[0] / ts[1],
    "pow": lambda ts, a: torch.pow(ts[0], ts[1]),
    "maximum": lambda ts, a: torch.maximum(ts[0], ts[1]),
    "minimum": lambda ts, a: torch.minimum(ts[0], ts[1]),
    # elementwise unary
    "neg": lambda ts, a: -ts[0],
    "exp": lambda ts, a: torch.exp(ts[0]),
    "log": lambda ts, a: torch.log(ts[0]),
    "sqrt": lambda ts, a: torch.sqrt(ts[0]),
    "abs": lambda ts, a: torch.abs(ts[0]),
    "sign": lambda ts, a: torch.sign(ts[0]),
    "square": lambda ts, a: torch.square(ts[0]),
    "recip": lambda ts, a: torch.reciprocal(ts[0]),
    "sin": lambda ts, a: torch.sin(ts[0]),
    "cos": lambda ts, a: torch.cos(ts[0]),
    "erf": lambda ts, a: torch.erf(ts[0]),
    "pow_scalar": lambda ts, a: torch.pow(ts[0], a["exponent"]),
    "clamp": lambda ts, a: torch.clamp(ts[0], min=a["min"], max=a["max"]),
    "add_scalar": lambda ts, a: ts[0] + a["value"],
    "mul_scalar": lambda ts, a: ts[0] * a["value"],
    # comparisons / select
    "eq": _cmp(torch.eq),
    "ne": _cmp(torch.ne),
    "lt": _cmp(torch.lt),
    "le": _cmp(torch.le),
    "gt": _cmp(torch.gt),
    "ge": _cmp(torch.ge),
    "where": lambda ts, a: torch.where(ts[0] != 0, ts[1], ts[2]),
    # activations
    "sigmoid": lambda ts, a: torch.sigmoid(ts[0]),
    "tanh": lambda ts, a: torch.tanh(ts[0]),
    "relu": lambda ts, a: torch.relu(ts[0]),
    "leaky_relu": lambda ts, a: F.leaky_relu(ts[0], negative_slope=a["alpha"]),
    "elu": lambda ts, a: F.elu(ts[0], alpha=a["alpha"]),
    "gelu": lambda ts, a: F.gelu(ts[0], approximate=a["approximate"]),
    "softplus": lambda ts, a: _softplus(ts[0]),
    "softsign": lambda ts, a: F.softsign(ts[0]),
    "silu": lambda ts, a: F.silu(ts[0]),
    "log_sigmoid": lambda ts, a: F.logsigmoid(ts[0]),
    "softmax": lambda ts, a: torch.softmax(ts[0], dim=a["dim"]),
    "log_softmax": lambda ts, a: torch.log_softmax(ts[0], dim=a["dim"]),
    # reductions
    "sum": _reduce(lambda x, d, k: torch.sum(x, dim=d, keepdim=k), torch.sum),
    "mean": _reduce(lambda x, d, k: torch.mean(x, dim=d, keepdim=k), torch.mean),
    "max": _reduce(lambda x, d, k: torch.amax(x, dim=d, keepdim=k), lambda x: x.clone()),
    "min": _reduce(lambda x, d, k: torch.amin(x, dim=d, keepdim=k), lambda x: x.clone()),
    "logsumexp": _reduce(lambda x, d, k: torch.logsumexp(x, dim=d, keepdim=k), lambda x: x.clone()),
    "var": lambda ts, a: torch.var(ts[0], dim=_dims(ts[0], a), unbiased=bool(a["correction"]),
                                   keepdim=a["keepdim"]),
    "std": lambda ts, a: torch.std(ts[0], dim=_dims(ts[0], a), unbiased=bool(a["correction"]),
                                   keepdim=a["keepdim"]),
    "prod": _prod,
    "argmax": _arg(torch.argmax),
    "argmin": _arg(torch.argmin),
    # matmul
    "matmul": lambda ts, a: torch.matmul(ts[0], ts[1]),
    # shape ops
    "reshape": lambda ts, a: ts[0].reshape(a["shape"]),
    "permute": lambda ts, a: ts[0].permute(a["dims"]),
    "transpose": lambda ts, a: ts[0].transpose(a["dim0"], a["dim1"]),
    "narrow": lambda ts, a: ts[0].narrow(a["dim"], a["start"], a["length"]),
    "expand": lambda ts, a: ts[0].expand(a["shape"]),
    "squeeze": lambda ts, a: ts[0].squeeze(a["dim"]),
    "unsqueeze": lambda ts, a: ts[0].unsqueeze(a["dim"]),
    "flatten": lambda ts, a: torch.flatten(ts[0], a["start_dim"], a["end_dim"]),
    "concat": lambda ts, a: torch.cat(ts, dim=a["dim"]),
    "stack": lambda ts, a: torch.stack(ts, dim=a["dim"]),
    "split": lambda ts, a: list(torch.split(ts[0], a["sizes"], dim=a["dim"])),
    "pad": lambda ts, a: F.pad(ts[0], _torch_pads(a["pads"]), mode="constant", value=a["value"]),
    "slice": _slice,
    # indexing
    "index_select": lambda ts, a: torch.index_select(ts[0], a["dim"], ts[1].long()),
    "gather": lambda ts, a: torch.gather(ts[0], a["dim"], ts[1].long()),
    "one_hot": lambda ts, a: F.one_hot(ts[0].long(), a["num_classes"]).to(torch.float64),
    "scatter_add": lambda ts, a: ts[0].scatter_add(a["dim"], ts[1].long(), ts[2]),
}

# ---------------------------------------------------------------------------
# case registry
# ---------------------------------------------------------------------------


class Case:
    def __init__(self, file, name, op, attrs, inputs, valid=None, fd=True, note=None):
        self.file = file
        self.name = name
        self.op = op
        self.attrs = attrs
        self.inputs = inputs
        self.valid = valid
        self.fd = fd
        self.note = note


CASES = {f: [] for f in FILES}


def case(file, name, op, attrs, inputs, **kw):
    assert op in OPS, op
    CASES[file].append(Case(file, name, op, attrs, inputs, **kw))


def no_near_ties(a, b):
    a, b = np.broadcast_arrays(a.astype(np.float64), b.astype(np.float64))
    return bool(np.all(np.abs(a - b) > MARGIN))


# ----------------------------- elementwise ---------------------------------
E = "elementwise"

BIN_SHAPES = {
    "same_2d": ([2, 3], [2, 3]),
    "same_1d": ([5], [5]),
    "broadcast_row": ([2, 3], [3]),
    "broadcast_col": ([2, 3], [2, 1]),
    "broadcast_both": ([2, 1, 4], [3, 1]),
    "broadcast_both_rev": ([3, 1], [2, 1, 4]),
    "scalar_rhs": ([2, 3], []),
    "scalar_lhs": ([], [4]),
    "scalar_scalar": ([], []),
}


def bin_cases(op, variants, gen_a, gen_b, **kw):
    for v in variants:
        sa, sb = BIN_SHAPES[v]
        case(E, "%s_%s" % (op, v), op, {}, [gen_a(sa), gen_b(sb)], **kw)


bin_cases("add", ["same_2d", "broadcast_row", "broadcast_both", "scalar_rhs"], normal, normal)
bin_cases("sub", ["same_1d", "broadcast_both_rev", "scalar_lhs"], normal, normal)
bin_cases("mul", ["same_2d", "broadcast_both", "scalar_scalar"], normal, normal)
bin_cases("div", ["same_2d", "broadcast_col", "broadcast_both"], normal,
          lambda s: signed_uniform(s, 0.5, 2.0))
bin_cases("pow", ["same_2d", "broadcast_both", "scalar_rhs"],
          lambda s: uniform(s, 0.5, 2.0), lambda s: uniform(s, -2.0, 2.0))
for _op in ("maximum", "minimum"):
    bin_cases(_op, ["same_2d", "broadcast_both", "scalar_rhs"], normal, normal, valid=no_near_ties)
case(E, "maximum_ties", "maximum", {},
     [const([[1.0, -0.5, 2.0], [0.25, 3.0, -1.0]]), const([[1.0, 0.5, 2.0], [-0.75, 3.0, -2.0]])],
     note="exact ties a==b: torch splits the upstream gradient 0.5/0.5 between a and b")
case(E, "minimum_ties", "minimum", {},
     [const([1.0, -0.5, 2.0, 0.25]), const([1.0, 0.5, 2.0, -0.75])],
     note="exact ties a==b: torch splits the upstream gradient 0.5/0.5 between a and b")

# unary
case(E, "neg_2d", "neg", {}, [normal([2, 3])])
case(E, "neg_scalar", "neg", {}, [normal([])])
case(E, "exp_2d", "exp", {}, [normal([2, 3])])
case(E, "exp_1d_wide", "exp", {}, [uniform([5], -6.0, 4.0)])
case(E, "log_2d", "log", {}, [uniform([2, 3], 0.1, 5.0)])
case(E, "log_scalar", "log", {}, [uniform([], 0.5, 3.0)])
case(E, "sqrt_2d", "sqrt", {}, [uniform([2, 3], 0.1, 4.0)])
case(E, "sqrt_3d", "sqrt", {}, [uniform([2, 1, 3], 0.2, 9.0)])
case(E, "abs_2d", "abs", {}, [normal([3, 4], avoid=(0.0,))])
case(E, "abs_scalar_neg", "abs", {}, [const(-1.5, [])])
case(E, "sign_2d", "sign", {}, [normal([2, 3], avoid=(0.0,))],
     note="gradient of sign is zero everywhere (torch convention)")
case(E, "square_2d", "square", {}, [normal([2, 3])])
case(E, "square_1d", "square", {}, [normal([4], scale=2.0)])
case(E, "recip_2d", "recip", {}, [signed_uniform([2, 3], 0.3, 3.0)])
case(E, "recip_scalar", "recip", {}, [const(-0.5, [])])
case(E, "sin_2d", "sin", {}, [uniform([2, 3], -4.0, 4.0)])
case(E, "cos_2d", "cos", {}, [uniform([2, 3], -4.0, 4.0)])
case(E, "cos_1d", "cos", {}, [uniform([4], -1.0, 7.0)])
case(E, "erf_2d", "erf", {}, [normal([2, 3], scale=1.5)])
case(E, "pow_scalar_p2", "pow_scalar", {"exponent": 2.0}, [normal([2, 3])])
case(E, "pow_scalar_p0_5", "pow_scalar", {"exponent": 0.5}, [uniform([2, 3], 0.1, 4.0)])
case(E, "pow_scalar_pm1_5", "pow_scalar", {"exponent": -1.5}, [uniform([2, 3], 0.3, 3.0)])
case(E, "pow_scalar_p3", "pow_scalar", {"exponent": 3.0}, [normal([4])])
case(E, "pow_scalar_p3_scalar", "pow_scalar", {"exponent": 3.0}, [const(-1.25, [])])
case(E, "clamp_both", "clamp", {"min": -0.5, "max": 0.5},
     [normal([3, 4], avoid=(-0.5, 0.5))],
     note="gradient passes where min <= x <= max (inclusive bounds, torch)")
case(E, "clamp_min_only", "clamp", {"min": 0.0, "max": None}, [normal([2, 3], avoid=(0.0,))])
case(E, "clamp_max_only", "clamp", {"min": None, "max": 0.25}, [normal([2, 3], avoid=(0.25,))])
case(E, "add_scalar_2d", "add_scalar", {"value": 2.5}, [normal([2, 3])])
case(E, "add_scalar_scalar", "add_scalar", {"value": -1.25}, [normal([])])
case(E, "mul_scalar_2d", "mul_scalar", {"value": -3.0}, [normal([2, 3])])
case(E, "mul_scalar_1d", "mul_scalar", {"value": 0.5}, [normal([4])])

# comparisons (quantized values so that ties actually occur); no grads
for _op in ("eq", "ne", "lt", "le", "gt", "ge"):
    case(E, "%s_broadcast_row" % _op, _op, {},
         [quantized([3, 4], -0.5, 0.5, 0.5, rg=False), quantized([4], -0.5, 0.5, 0.5, rg=False)])
case(E, "eq_same_2d", "eq", {},
     [quantized([2, 3], -1.0, 1.0, 0.5, rg=False), quantized([2, 3], -1.0, 1.0, 0.5, rg=False)])
case(E, "lt_broadcast_both", "lt", {},
     [quantized([2, 1, 4], -1.0, 1.0, 0.5, rg=False), quantized([3, 1], -1.0, 1.0, 0.5, rg=False)])
case(E, "ge_scalar_rhs", "ge", {},
     [quantized([2, 3], -1.0, 1.0, 0.5, rg=False), const(0.0, [], rg=False)])

case(E, "where_same_2d", "where", {},
     [index([[1, 0, 1], [0, 0, 1]]), normal([2, 3]), normal([2, 3])])
case(E, "where_broadcast", "where", {},
     [index([[1], [0], [1]]), normal([2, 1, 4]), normal([4])],
     note="cond [3,1], a [2,1,4], b [4] -> [2,3,4]; grads of a/b are reduced over broadcast dims")
case(E, "where_scalar_b", "where", {},
     [index([1, 0, 0, 1, 1]), normal([5]), normal([])])

# ----------------------------- activations ---------------------------------
A = "activations"
case(A, "sigmoid_2d", "sigmoid", {}, [normal([2, 3], scale=2.0)])
case(A, "sigmoid_large", "sigmoid", {}, [const([-30.0, -8.0, 0.5, 8.0, 30.0])])
case(A, "tanh_2d", "tanh", {}, [normal([2, 3], scale=1.5)])
case(A, "tanh_scalar", "tanh", {}, [normal([])])
case(A, "relu_2d", "relu", {}, [normal([3, 4], avoid=(0.0,))])
case(A, "relu_1d", "relu", {}, [normal([5], avoid=(0.0,))])
case(A, "leaky_relu_a0_01", "leaky_relu", {"alpha": 0.01}, [normal([3, 4], avoid=(0.0,))])
case(A, "leaky_relu_a0_2", "leaky_relu", {"alpha": 0.2}, [normal([2, 1, 3], avoid=(0.0,))])
case(A, "elu_a1", "elu", {"alpha": 1.0}, [normal([3, 4], scale=1.5, avoid=(0.0,))])
case(A, "elu_a0_5", "elu", {"alpha": 0.5}, [normal([5], scale=2.0, avoid=(0.0,))])
case(A, "gelu_exact", "gelu", {"approximate": "none"}, [normal([3, 4], scale=2.0)])
case(A, "gelu_tanh", "gelu", {"approximate": "tanh"}, [normal([3, 4], scale=2.0)])
case(A, "softplus_2d", "softplus", {}, [normal([3, 4], scale=2.0, avoid=(0.0,))])
case(A, "softplus_large", "softplus", {}, [const([-40.0, -5.0, 0.5, 5.0, 40.0])])
case(A, "softsign_2d", "softsign", {}, [normal([2, 3], scale=2.0, avoid=(0.0,))])
case(A, "silu_2d", "silu", {}, [normal([3, 4], scale=2.0)])
case(A, "log_sigmoid_2d", "log_sigmoid", {}, [normal([3, 4], scale=2.0)])
case(A, "log_sigmoid_large", "log_sigmoid", {}, [const([-40.0, -5.0, 0.5, 5.0, 40.0])])
for _op in ("softmax", "log_softmax"):
    case(A, "%s_last_dim" % _op, _op, {"dim": -1}, [normal([2, 5], scale=2.0)])
    case(A, "%s_dim0_3d" % _op, _op, {"dim": 0}, [normal([3, 2, 4], scale=2.0)])
    case(A, "%s_large" % _op, _op, {"dim": 1},
         [const([[50.0, -50.0, 49.0, 0.5], [-50.0, -49.5, -48.0, 50.0]])])
    case(A, "%s_1d" % _op, _op, {"dim": 0}, [normal([5])])

# ----------------------------- reductions ----------------------------------
R = "reductions"


def red(op, name, shape, dims, keepdim, gen=None, extra=None, **kw):
    attrs = {"dims": dims, "keepdim": keepdim}
    if extra:
        attrs.update(extra)
    case(R, "%s_%s" % (op, name), op, attrs, [gen(shape) if gen else normal(shape)], **kw)


red("sum", "all", [2, 3], None, False)
red("sum", "dim1_keepdim", [2, 3, 4], [1], True)
red("sum", "dims0_2", [2, 3, 4], [0, 2], False)
red("sum", "neg_dim_1d", [4], [-1], False)
red("sum", "scalar", [], None, False)
red("mean", "all_keepdim", [2, 3], None, True)
red("mean", "dim_m2", [2, 3, 4], [-2], False)
red("mean", "dims0_m1_keepdim", [2, 3, 4], [0, -1], True)

_dist = lambda s: distinct(s, -3.0, 3.0)
red("max", "dim1", [3, 4], [1], False, _dist)
red("max", "all", [2, 3, 4], None, False, _dist)
red("max", "dims0_2_keepdim", [2, 3, 4], [0, 2], True, _dist)
red("max", "ties_last_dim", [2, 4], [-1], False,
    lambda s: const([[1.0, 3.0, 3.0, -2.0], [2.5, 2.5, 2.5, 0.0]], s), fd=False,
    note="exact ties: torch.amax splits the gradient evenly among the tied maxima")
red("max", "ties_all", [2, 3], None, False,
    lambda s: const([[1.0, 4.0, -1.0], [4.0, 0.5, 4.0]], s), fd=False,
    note="exact ties: torch.amax splits the gradient evenly among the tied maxima")
red("min", "dim0", [3, 4], [0], False, _dist)
red("min", "all_keepdim", [2, 3], None, True, _dist)
red("min", "ties_dim0", [3, 2], [0], False,
    lambda s: const([[-1.0, 2.0], [-1.0, 0.5], [0.0, 0.5]], s), fd=False,
    note="exact ties: torch.amin splits the gradient evenly among the tied minima")
red("logsumexp", "last_dim", [3, 4], [-1], False)
red("logsumexp", "all", [2, 3], None, False)
red("logsumexp", "large_dims0_2_keepdim", [2, 2, 2], [0, 2], True,
    lambda s: const([[[50.0, -50.0], [49.0, 1.0]], [[-48.0, 50.0], [-50.0, -49.0]]], s))
red("var", "dim1_unbiased", [3, 4], [1], False, extra={"correction": 1})
red("var", "all_biased", [2, 3], None, False, extra={"correction": 0})
red("var", "dims0_2_keepdim", [2, 3, 4], [0, 2], True, extra={"correction": 1})
red("std", "last_dim_biased_keepdim", [3, 4], [-1], True, extra={"correction": 0})
red("std", "all_unbiased", [2, 3], None, False, extra={"correction": 1})
red("std", "dims0_1", [2, 3, 4], [0, 1], False, extra={"correction": 1})
_pgen = lambda s: signed_uniform(s, 0.5, 1.5)
red("prod", "dim1", [3, 4], [1], False, _pgen)
red("prod", "all", [2, 3], None, False, _pgen)
red("prod", "dims0_2_keepdim", [2, 3, 2], [0, 2], True, _pgen)


def argred(op, name, shape, dim, keepdim, gen=None, **kw):
    g = gen(shape) if gen else distinct(shape, -3.0, 3.0, rg=False)
    case(R, "%s_%s" % (op, name), op, {"dim": dim, "keepdim": keepdim}, [g], **kw)


argred("argmax", "dim1", [3, 4], 1, False)
argred("argmax", "last_dim_keepdim", [2, 3, 4], -1, True)
argred("argmax", "flat", [2, 3], None, False)
argred("argmax", "ties_dim1", [2, 4], 1, False,
       lambda s: const([[1.0, 3.0, 3.0, -2.0], [2.5, 0.0, 2.5, 2.5]], s, rg=False),
       note="exact ties: torch returns the first (lowest) index of the maximum")
argred("argmin", "dim0", [3, 4], 0, False)
argred("argmin", "flat_keepdim", [2, 3], None, True,
       note="dim=null with keepdim=true: torch returns shape [1]*ndim holding the flat index")

# ------------------------------- matmul ------------------------------------
M = "matmul"
for _name, _sa, _sb in [
    ("2d_2d", [3, 4], [4, 5]),
    ("1d_2d", [4], [4, 5]),
    ("2d_1d", [3, 4], [4]),
    ("1d_1d", [4], [4]),
    ("3d_3d_batched", [2, 3, 4], [2, 4, 5]),
    ("4d_3d_broadcast", [2, 1, 3, 4], [3, 4, 5]),
    ("3d_2d", [2, 3, 4], [4, 5]),
    ("2d_3d", [3, 4], [2, 4, 2]),
    ("1d_3d", [4], [2, 4, 3]),
    ("3d_1d", [2, 3, 4], [4]),
]:
    case(M, "matmul_" + _name, "matmul", {}, [normal(_sa), normal(_sb)])

# ------------------------------ shape ops ----------------------------------
S = "shape_ops"
case(S, "reshape_infer", "reshape", {"shape": [4, -1]}, [normal([2, 3, 4])])
case(S, "reshape_add_unit_dim", "reshape", {"shape": [2, 1, 3]}, [normal([6])])
case(S, "reshape_scalar", "reshape", {"shape": [1, 1]}, [normal([])])
case(S, "permute_3d", "permute", {"dims": [2, 0, 1]}, [normal([2, 3, 4])])
case(S, "permute_2d", "permute", {"dims": [1, 0]}, [normal([3, 4])])
case(S, "transpose_0_2", "transpose", {"dim0": 0, "dim1": 2}, [normal([2, 3, 4])])
case(S, "transpose_neg", "transpose", {"dim0": -1, "dim1": -2}, [normal([3, 4])])
case(S, "narrow_dim1", "narrow", {"dim": 1, "start": 1, "length": 2}, [normal([3, 4])])
case(S, "narrow_neg_dim", "narrow", {"dim": -1, "start": 0, "length": 3}, [normal([2, 3, 5])])
case(S, "expand_new_leading", "expand", {"shape": [2, -1, 4]}, [normal([3, 1])])
case(S, "expand_size1", "expand", {"shape": [3, -1]}, [normal([1, 4])])
case(S, "expand_scalar", "expand", {"shape": [2, 3]}, [normal([])])
case(S, "squeeze_dim1", "squeeze", {"dim": 1}, [normal([2, 1, 3])])
case(S, "squeeze_neg", "squeeze", {"dim": -1}, [normal([3, 1])])
case(S, "squeeze_to_scalar", "squeeze", {"dim": 0}, [normal([1])])
case(S, "unsqueeze_front", "unsqueeze", {"dim": 0}, [normal([2, 3])])
case(S, "unsqueeze_middle", "unsqueeze", {"dim": 1}, [normal([2, 3])])
case(S, "unsqueeze_neg", "unsqueeze", {"dim": -1}, [normal([2, 3])])
case(S, "unsqueeze_scalar", "unsqueeze", {"dim": 0}, [normal([])])
case(S, "flatten_tail", "flatten", {"start_dim": 1, "end_dim": -1}, [normal([2, 3, 4])])
case(S, "flatten_head", "flatten", {"start_dim": 0, "end_dim": 1}, [normal([2, 3, 4])])
case(S, "flatten_all", "flatten", {"start_dim": 0, "end_dim": -1}, [normal([2, 3, 2])])
case(S, "concat_dim0", "concat", {"dim": 0}, [normal([2, 3]), normal([1, 3])])
case(S, "concat_neg_three", "concat", {"dim": -1}, [normal([2, 1]), normal([2, 3]), normal([2, 2])])
case(S, "concat_3d_dim1", "concat", {"dim": 1}, [normal([2, 1, 3]), normal([2, 2, 3])])
case(S, "stack_dim0", "stack", {"dim": 0}, [normal([3]), normal([3])])
case(S, "stack_neg_three", "stack", {"dim": -1}, [normal([2, 3]), normal([2, 3]), normal([2, 3])])
case(S, "stack_dim1", "stack", {"dim": 1}, [normal([2, 3]), normal([2, 3])])
case(S, "split_dim0", "split", {"dim": 0, "sizes": [1, 2]}, [normal([3, 4])])
case(S, "split_neg_three", "split", {"dim": -1, "sizes": [2, 1, 3]}, [normal([2, 6])])
case(S, "split_3d_dim1", "split", {"dim": 1, "sizes": [2, 2]}, [normal([2, 4, 3])])
case(S, "pad_2d", "pad", {"pads": [[1, 0], [2, 1]], "value": 0.0}, [normal([2, 3])])
case(S, "pad_3d_value", "pad", {"pads": [[0, 0], [1, 1], [0, 2]], "value": -1.5}, [normal([2, 3, 4])])
case(S, "pad_1d", "pad", {"pads": [[2, 3]], "value": 0.5}, [normal([4])])
case(S, "slice_step2", "slice", {"dim": 0, "start": 1, "end": 5, "step": 2}, [normal([5, 4])])
case(S, "slice_neg_dim_step3", "slice", {"dim": -1, "start": 0, "end": 4, "step": 3}, [normal([2, 3, 4])])
case(S, "slice_neg_start_end", "slice", {"dim": 1, "start": -4, "end": -1, "step": 1}, [normal([2, 5])])

# ------------------------------- indexing ----------------------------------
I = "indexing"
case(I, "index_select_dim0_repeat", "index_select", {"dim": 0},
     [normal([4, 3]), index([2, 0, 2])],
     note="repeated indices accumulate gradient")
case(I, "index_select_neg_dim", "index_select", {"dim": -1}, [normal([2, 5]), index([4, 1])])
case(I, "index_select_3d_dim1", "index_select", {"dim": 1}, [normal([2, 3, 4]), index([1])])
case(I, "gather_dim1", "gather", {"dim": 1},
     [normal([3, 4]), index([[3, 0], [1, 1], [2, 0]])])
case(I, "gather_dim0_repeat", "gather", {"dim": 0},
     [normal([3, 4]), index([[0, 2, 2, 1], [0, 0, 1, 2]])])
case(I, "gather_3d_neg_dim", "gather", {"dim": -1},
     [normal([2, 3, 4]), random_index([2, 3, 2], 4)])
case(I, "one_hot_1d", "one_hot", {"num_classes": 5}, [index([0, 3, 4, 3])])
case(I, "one_hot_2d", "one_hot", {"num_classes": 4}, [index([[1, 0, 3], [2, 2, 0]])])
case(I, "one_hot_scalar", "one_hot", {"num_classes": 3}, [index(2, [])])
case(I, "scatter_add_dim1_dups", "scatter_add", {"dim": 1},
     [normal([3, 5]), index([[0, 0], [4, 1], [2, 2]]), normal([3, 2])],
     note="duplicate indices accumulate; grad_src = gather(grad_out, dim, index)")
case(I, "scatter_add_dim0", "scatter_add", {"dim": 0},
     [normal([4, 3]), index([[3, 0, 1], [3, 2, 1]]), normal([2, 3])])
case(I, "scatter_add_3d_neg_dim", "scatter_add", {"dim": -1},
     [normal([2, 2, 4]), random_index([2, 2, 3], 4), normal([2, 2, 3])])

# ----------------------------- second order --------------------------------
O = "second_order"
case(O, "so_mul_broadcast", "mul", {}, [normal([2, 3]), normal([3])])
case(O, "so_mul_same", "mul", {}, [normal([4]), normal([4])])
case(O, "so_exp", "exp", {}, [normal([2, 3])])
case(O, "so_tanh", "tanh", {}, [normal([2, 3], scale=1.5)])
case(O, "so_sigmoid", "sigmoid", {}, [normal([4], scale=2.0)])
case(O, "so_matmul_2d", "matmul", {}, [normal([3, 4]), normal([4, 2])])
case(O, "so_matmul_batched_broadcast", "matmul", {}, [normal([2, 2, 3]), normal([3, 2])])
case(O, "so_sum_dim1", "sum", {"dims": [1], "keepdim": False}, [normal([2, 3])])
case(O, "so_softmax", "softmax", {"dim": -1}, [normal([2, 4], scale=1.5)])
case(O, "so_log_softmax_dim0", "log_softmax", {"dim": 0}, [normal([3, 2], scale=1.5)])
case(O, "so_pow_scalar_p3", "pow_scalar", {"exponent": 3.0}, [normal([2, 3])])
case(O, "so_pow_scalar_p0_5", "pow_scalar", {"exponent": 0.5}, [uniform([4], 0.2, 3.0)])
case(O, "so_pow_scalar_pm1_5", "pow_scalar", {"exponent": -1.5}, [uniform([4], 0.3, 3.0)])
case(O, "so_relu", "relu", {}, [normal([2, 3], avoid=(0.0,))],
     note="second derivative of relu is zero (grads2 all zeros)")
case(O, "so_gelu_exact", "gelu", {"approximate": "none"}, [normal([2, 3], scale=1.5)])
case(O, "so_gelu_tanh", "gelu", {"approximate": "tanh"}, [normal([2, 3], scale=1.5)])
case(O, "so_softplus", "softplus", {}, [normal([2, 3], scale=2.0, avoid=(0.0,))])
case(O, "so_div_broadcast", "div", {}, [normal([2, 3]), signed_uniform([3], 0.5, 2.0)])
case(O, "so_log", "log", {}, [uniform([2, 3], 0.2, 4.0)])
case(O, "so_mean_all", "mean", {"dims": None, "keepdim": False}, [normal([2, 3])])
case(O, "so_logsumexp_last", "logsumexp", {"dims": [-1], "keepdim": False}, [normal([2, 4])])
case(O, "so_logsumexp_keepdim", "logsumexp", {"dims": [0], "keepdim": True}, [normal([3, 2])])

# ---------------------------------------------------------------------------
# evaluation
# ---------------------------------------------------------------------------


def _as_list(o):
    return list(o) if isinstance(o, (list, tuple)) else [o]


def _to_t(arr, rg):
    return torch.tensor(np.asarray(arr, dtype=np.float64), dtype=torch.float64, requires_grad=rg)


def forward(c, arrs64, rgs):
    ts = [_to_t(a, rg) for a, rg in zip(arrs64, rgs)]
    outs = [o.to(torch.float64) for o in _as_list(OPS[c.op](ts, c.attrs))]
    return ts, outs


def first_grads(ts, outs, gos, create_graph):
    grads = [None] * len(ts)
    diff_idx = [i for i, t in enumerate(ts) if t.requires_grad]
    pairs = [(o, g) for o, g in zip(outs, gos) if o.requires_grad]
    if not diff_idx:
        return grads
    if not pairs:
        for i in diff_idx:
            grads[i] = torch.zeros_like(ts[i])
        return grads
    gs = torch.autograd.grad([o for o, _ in pairs], [ts[i] for i in diff_idx],
                             [g for _, g in pairs], allow_unused=True,
                             create_graph=create_graph)
    for i, g in zip(diff_idx, gs):
        grads[i] = torch.zeros_like(ts[i]) if g is None else g
    return grads


def second_grads(ts, grads, vs):
    total = None
    for g, v in zip(grads, vs):
        if g is None or v is None or not g.requires_grad:
            continue
        term = (g * v).sum()
        total = term if total is None else total + term
    out = [None] * len(ts)
    diff_idx = [i for i, t in enumerate(ts) if t.requires_grad]
    if total is None:
        for i in diff_idx:
            out[i] = torch.zeros_like(ts[i])
        return out
    gs = torch.autograd.grad(total, [ts[i] for i in diff_idx], allow_unused=True)
    for i, g in zip(diff_idx, gs):
        out[i] = torch.zeros_like(ts[i]) if g is None else g
    return out


def fd_check(c, arrs64, rgs, gos, analytic, scalar_fn, what):
    """Central differences of scalar_fn(arrays) vs analytic grads; returns messages."""
    msgs = []
    for i, (a, rg) in enumerate(zip(arrs64, rgs)):
        if not rg:
            continue
        an = analytic[i].detach().numpy().reshape(-1)
        flat = a.reshape(-1)
        for k in range(flat.size):
            plus = [x.copy() for x in arrs64]
            minus = [x.copy() for x in arrs64]
            plus[i].reshape(-1)[k] += FD_EPS
            minus[i].reshape(-1)[k] -= FD_EPS
            fd = (scalar_fn(plus) - scalar_fn(minus)) / (2 * FD_EPS)
            if abs(fd - an[k]) > FD_ATOL + FD_RTOL * max(abs(fd), abs(an[k])):
                msgs.append("%s: %s input %d elem %d: fd=%.9g analytic=%.9g"
                            % (c.name, what, i, k, fd, an[k]))
    return msgs


def run_case(c, second_order, check):
    rng = np.random.default_rng([SEED, zlib.crc32(c.name.encode("utf-8"))])
    for _ in range(1000):
        arrs = [spec.gen(rng) for spec in c.inputs]
        if c.valid is None or c.valid(*arrs):
            break
    else:
        raise RuntimeError("%s: could not draw valid inputs" % c.name)
    rgs = [spec.rg for spec in c.inputs]
    arrs64 = [np.asarray(a, dtype=np.float32).astype(np.float64) for a in arrs]

    ts, outs = forward(c, arrs64, rgs)
    gos32 = [rng.standard_normal(tuple(o.shape)).astype(np.float32) for o in outs]
    gos = [torch.tensor(g.astype(np.float64)) for g in gos32]
    grads = first_grads(ts, outs, gos, create_graph=second_order)

    vs32 = grads2 = None
    if second_order:
        vs32 = [rng.standard_normal(a.shape).astype(np.float32) if rg else None
                for a, rg in zip(arrs, rgs)]
        vs = [None if v is None else torch.tensor(v.astype(np.float64)) for v in vs32]
        grads2 = second_grads(ts, grads, vs)

    msgs = []
    if check and c.fd and any(rgs):
        def loss(xs):
            with torch.no_grad():
                _, os_ = forward(c, xs, [False] * len(xs))
                return float(sum((o * g).sum() for o, g in zip(os_, gos)))

        msgs += fd_check(c, arrs64, rgs, gos, grads, loss, "grad")
        if second_order:
            def h(xs):
                ts_, os_ = forward(c, xs, rgs)
                gs_ = first_grads(ts_, os_, gos, create_graph=False)
                return float(sum((g * v).sum() for g, v in zip(gs_, vs) if g is not None and v is not None))

            msgs += fd_check(c, arrs64, rgs, gos, grads2, h, "grad2")

    for t in outs + [g for g in grads if g is not None] + [g for g in (grads2 or []) if g is not None]:
        if not torch.isfinite(t).all():
            raise RuntimeError("%s: non-finite reference values" % c.name)

    lines = []
    lines.append('"name": %s' % json.dumps(c.name))
    lines.append('"op": %s' % json.dumps(c.op))
    lines.append('"attrs": %s' % json.dumps(c.attrs, sort_keys=True))
    if c.note:
        lines.append('"note": %s' % json.dumps(c.note))
    lines.append(_list_block("inputs", [f32_tensor_json(a, rg) for a, rg in zip(arrs, rgs)]))
    lines.append(_list_block("outputs", [f64_tensor_json(o) for o in outs]))
    lines.append(_list_block("grad_outputs", [f32_tensor_json(g) for g in gos32]))
    lines.append(_list_block("grads", ["null" if g is None else f64_tensor_json(g) for g in grads]))
    if second_order:
        lines.append(_list_block("v", ["null" if v is None else f32_tensor_json(v) for v in vs32]))
        lines.append(_list_block("grads2", ["null" if g is None else f64_tensor_json(g) for g in grads2]))
    text = "    {\n" + ",\n".join("      " + ln for ln in lines) + "\n    }"
    return text, msgs


def _list_block(key, items):
    return '"%s": [\n' % key + ",\n".join("        " + it for it in items) + "\n      ]"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "fixtures", "torch"),
                    help="output directory (default: fixtures/torch next to this script)")
    ap.add_argument("--no-check", action="store_true", help="skip finite-difference self-check")
    args = ap.parse_args()

    torch.manual_seed(SEED)  # not used for data, but keep torch deterministic too
    names = set()
    for f in FILES:
        for c in CASES[f]:
            if c.name in names:
                sys.exit("duplicate case name %s" % c.name)
            names.add(c.name)

    os.makedirs(args.out, exist_ok=True)
    problems = []
    for f in FILES:
        blocks = []
        for c in CASES[f]:
            text, msgs = run_case(c, second_order=(f == "second_order"), check=not args.no_check)
            blocks.append(text)
            problems += msgs
        doc = ("{\n"
               '  "generator": %s,\n' % json.dumps(GENERATOR)
               + '  "torch_version": %s,\n' % json.dumps(str(torch.__version__))
               + '  "seed": %d,\n' % SEED
               + '  "cases": [\n' + ",\n".join(blocks) + "\n  ]\n}\n")
        json.loads(doc)  # sanity: valid JSON
        path = os.path.join(args.out, f + ".json")
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(doc)
        print("%-40s %3d cases %8d bytes" % (os.path.relpath(path), len(CASES[f]), len(doc)))
    if problems:
        print("\nfinite-difference self-check FAILED:", file=sys.stderr)
        for m in problems:
            print("  " + m, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
