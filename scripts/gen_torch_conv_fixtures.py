#!/usr/bin/env python3
"""Generate PyTorch parity fixtures for ferrograd's convolution, pooling and resize ops.

Usage (torch 1.13 + numpy; on the dev box use Debian's interpreter):

    /usr/bin/python3 scripts/gen_torch_conv_fixtures.py            # writes fixtures/torch/conv.json
    /usr/bin/python3 scripts/gen_torch_conv_fixtures.py --out DIR  # write elsewhere (e.g. to diff)
    /usr/bin/python3 scripts/gen_torch_conv_fixtures.py --no-check # skip the finite-difference self-check

Same format, number encoding, determinism and self-check as ``gen_torch_fixtures.py`` (whose
helpers this script imports): float32 inputs, references computed by torch in float64 from those
inputs, one RNG stream per case name. Cases marked second-order also store ``v`` and ``grads2``.
Read by ``crates/ferrograd-core/tests/conv_parity.rs``; ops and attrs are documented in
``fixtures/README.md``.

Padding conventions of the fixtures (attrs are ferrograd's):
* ``conv2d`` / ``conv1d``: ``padding`` is per side, ``[top, bottom, left, right]`` / ``[left,
  right]``. With ``same: true`` the reference uses torch's ``padding='same'`` (stride 1), which
  checks ferrograd's ``same_padding`` helper; other asymmetric paddings use ``F.pad`` + a conv.
* ``sum_pool*``: ``F.avg_pool2d(divisor_override=1)``.
"""

import argparse
import json
import os
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import gen_torch_fixtures as base  # noqa: E402  (sets float64 default dtype, imports torch)
from gen_torch_fixtures import distinct, normal, quantized  # noqa: E402

torch = base.torch
F = base.F

GENERATOR = "scripts/gen_torch_conv_fixtures.py"
# torch notes that padding='same' with even kernels copies the input; expected here.
warnings.filterwarnings("ignore", message="Using padding='same'")


# ---------------------------------------------------------------------------
# ops (torch, float64)
# ---------------------------------------------------------------------------


def _same_padding(size, k, s, d):
    """TensorFlow/Keras 'same' (odd leftover after), as ferrograd's same_padding."""
    out = -(-size // s)
    total = max((out - 1) * s + d * (k - 1) + 1 - size, 0)
    return [total // 2, total - total // 2]


def _bias(ts):
    return ts[2] if len(ts) > 2 else None


def _conv2d(ts, a):
    x, w, b = ts[0], ts[1], _bias(ts)
    if a.get("same"):
        return F.conv2d(x, w, b, stride=1, padding="same", dilation=a["dilation"], groups=a["groups"])
    t, bo, l, r = a["padding"]
    if t == bo and l == r:
        return F.conv2d(x, w, b, a["stride"], (t, l), a["dilation"], a["groups"])
    return F.conv2d(F.pad(x, (l, r, t, bo)), w, b, a["stride"], 0, a["dilation"], a["groups"])


def _conv1d(ts, a):
    x, w, b = ts[0], ts[1], _bias(ts)
    if a.get("same"):
        return F.conv1d(x, w, b, stride=1, padding="same", dilation=a["dilation"], groups=a["groups"])
    l, r = a["padding"]
    if l == r:
        return F.conv1d(x, w, b, a["stride"], l, a["dilation"], a["groups"])
    return F.conv1d(F.pad(x, (l, r)), w, b, a["stride"], 0, a["dilation"], a["groups"])


def _conv_t2d(ts, a):
    return F.conv_transpose2d(ts[0], ts[1], _bias(ts), a["stride"], a["padding"],
                              a["output_padding"], a["groups"], a["dilation"])


def _conv_t1d(ts, a):
    return F.conv_transpose1d(ts[0], ts[1], _bias(ts), a["stride"], a["padding"],
                              a["output_padding"], a["groups"], a["dilation"])


def _pool_args(a):
    return dict(kernel_size=a["kernel"], stride=a["stride"], padding=a["padding"],
                ceil_mode=a["ceil_mode"])


def _interp(mode):
    def op(ts, a):
        kw = {"mode": mode}
        if mode == "bilinear":
            kw["align_corners"] = a["align_corners"]
        if a.get("size") is not None:
            kw["size"] = tuple(a["size"])
        else:
            kw["scale_factor"] = tuple(a["scale_factor"])
        return F.interpolate(ts[0], **kw)

    return op


OPS = {
    "conv2d": _conv2d,
    "conv1d": _conv1d,
    "conv_transpose2d": _conv_t2d,
    "conv_transpose1d": _conv_t1d,
    "max_pool2d": lambda ts, a: F.max_pool2d(ts[0], **_pool_args(a)),
    "avg_pool2d": lambda ts, a: F.avg_pool2d(ts[0], count_include_pad=a["count_include_pad"],
                                             **_pool_args(a)),
    "sum_pool2d": lambda ts, a: F.avg_pool2d(ts[0], divisor_override=1, **_pool_args(a)),
    "max_pool1d": lambda ts, a: F.max_pool1d(ts[0], **_pool_args(a)),
    "avg_pool1d": lambda ts, a: F.avg_pool1d(ts[0], count_include_pad=a["count_include_pad"],
                                             **_pool_args(a)),
    "sum_pool1d": lambda ts, a: F.avg_pool2d(
        ts[0].unsqueeze(2), kernel_size=(1, a["kernel"]), stride=(1, a["stride"]),
        padding=(0, a["padding"]), ceil_mode=a["ceil_mode"], divisor_override=1).squeeze(2),
    "adaptive_avg_pool2d": lambda ts, a: F.adaptive_avg_pool2d(ts[0], a["output_size"]),
    "adaptive_max_pool2d": lambda ts, a: F.adaptive_max_pool2d(ts[0], a["output_size"]),
    "adaptive_avg_pool1d": lambda ts, a: F.adaptive_avg_pool1d(ts[0], a["output_size"]),
    "adaptive_max_pool1d": lambda ts, a: F.adaptive_max_pool1d(ts[0], a["output_size"]),
    "global_avg_pool2d": lambda ts, a: ts[0].mean(dim=(2, 3), keepdim=a["keepdim"]),
    "global_max_pool2d": lambda ts, a: torch.amax(ts[0], dim=(2, 3), keepdim=a["keepdim"]),
    "upsample_nearest2d": _interp("nearest"),
    "upsample_bilinear2d": _interp("bilinear"),
}
base.OPS.update(OPS)

CASES = []


def case(name, op, attrs, inputs, second_order=False, **kw):
    assert op in OPS, op
    c = base.Case("conv", name, op, attrs, inputs, **kw)
    c.second_order = second_order
    CASES.append(c)


def conv2d_attrs(stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1), groups=1, same=False):
    return {"stride": list(stride), "padding": list(padding), "dilation": list(dilation),
            "groups": groups, "same": same}


def same2d(hw, k, dilation=(1, 1), stride=(1, 1)):
    ph = _same_padding(hw[0], k[0], stride[0], dilation[0])
    pw = _same_padding(hw[1], k[1], stride[1], dilation[1])
    return ph + pw


# ----------------------------- conv2d --------------------------------------
case("conv2d_basic_bias", "conv2d", conv2d_attrs(),
     [normal([2, 3, 6, 5]), normal([4, 3, 3, 3]), normal([4])])
case("conv2d_stride2_pad1_no_bias", "conv2d", conv2d_attrs(stride=(2, 2), padding=(1, 1, 1, 1)),
     [normal([2, 3, 7, 6]), normal([2, 3, 3, 3])])
case("conv2d_dilation", "conv2d", conv2d_attrs(dilation=(2, 3), padding=(2, 2, 3, 3)),
     [normal([1, 2, 9, 8]), normal([3, 2, 3, 3]), normal([3])])
case("conv2d_groups2", "conv2d", conv2d_attrs(padding=(1, 1, 1, 1), groups=2),
     [normal([2, 4, 5, 5]), normal([6, 2, 3, 3]), normal([6])])
case("conv2d_depthwise_stride2", "conv2d", conv2d_attrs(stride=(2, 2), padding=(1, 1, 1, 1), groups=3),
     [normal([2, 3, 6, 6]), normal([3, 1, 3, 3]), normal([3])])
case("conv2d_depthwise_multiplier2", "conv2d", conv2d_attrs(groups=2),
     [normal([1, 2, 5, 5]), normal([4, 1, 3, 3])])
case("conv2d_same_odd_kernel", "conv2d",
     conv2d_attrs(padding=same2d((6, 7), (3, 5)), same=True),
     [normal([2, 2, 6, 7]), normal([3, 2, 3, 5]), normal([3])])
case("conv2d_same_even_kernel", "conv2d",
     conv2d_attrs(padding=same2d((6, 6), (4, 4)), same=True),
     [normal([1, 2, 6, 6]), normal([2, 2, 4, 4]), normal([2])],
     note="'same' with an even kernel: torch pads 1 before and 2 after (extra at the bottom/right)")
case("conv2d_same_even_dilated", "conv2d",
     conv2d_attrs(padding=same2d((5, 6), (2, 4), dilation=(2, 1)), dilation=(2, 1), same=True),
     [normal([2, 2, 5, 6]), normal([2, 2, 2, 4])])
case("conv2d_asymmetric_padding", "conv2d", conv2d_attrs(stride=(1, 2), padding=(0, 2, 1, 0)),
     [normal([2, 2, 5, 6]), normal([3, 2, 2, 3]), normal([3])])
case("conv2d_same_stride2_tf", "conv2d",
     conv2d_attrs(stride=(2, 2), padding=same2d((7, 8), (3, 3), stride=(2, 2))),
     [normal([1, 2, 7, 8]), normal([3, 2, 3, 3]), normal([3])],
     note="TensorFlow 'same' with stride 2 (asymmetric), reference via F.pad")
case("conv2d_pointwise", "conv2d", conv2d_attrs(),
     [normal([2, 5, 4, 3]), normal([3, 5, 1, 1]), normal([3])])
case("conv2d_pointwise_stride2", "conv2d", conv2d_attrs(stride=(2, 2)),
     [normal([1, 3, 5, 5]), normal([2, 3, 1, 1])])
case("conv2d_odd_everything", "conv2d",
     conv2d_attrs(stride=(2, 1), padding=(1, 0, 2, 1), dilation=(1, 2)),
     [normal([3, 3, 7, 5]), normal([5, 3, 2, 3]), normal([5])])

# ----------------------------- conv1d --------------------------------------
case("conv1d_basic_bias", "conv1d",
     {"stride": 1, "padding": [0, 0], "dilation": 1, "groups": 1, "same": False},
     [normal([2, 3, 10]), normal([4, 3, 3]), normal([4])])
case("conv1d_same_even_kernel", "conv1d",
     {"stride": 1, "padding": _same_padding(9, 4, 1, 1), "dilation": 1, "groups": 1, "same": True},
     [normal([2, 2, 9]), normal([3, 2, 4]), normal([3])])
case("conv1d_stride_dilation_groups", "conv1d",
     {"stride": 2, "padding": [2, 1], "dilation": 2, "groups": 2, "same": False},
     [normal([2, 4, 11]), normal([6, 2, 3])])

# ----------------------------- transposed ----------------------------------


def convt_attrs(stride, padding, output_padding, dilation, groups):
    return {"stride": stride, "padding": padding, "output_padding": output_padding,
            "dilation": dilation, "groups": groups}


case("conv_transpose2d_basic", "conv_transpose2d", convt_attrs([1, 1], [0, 0], [0, 0], [1, 1], 1),
     [normal([2, 3, 4, 3]), normal([3, 2, 3, 3]), normal([2])])
case("conv_transpose2d_stride2_output_padding", "conv_transpose2d",
     convt_attrs([2, 2], [1, 1], [1, 1], [1, 1], 1),
     [normal([2, 3, 3, 4]), normal([3, 4, 3, 3]), normal([4])])
case("conv_transpose2d_dilation_output_padding", "conv_transpose2d",
     convt_attrs([1, 2], [1, 0], [1, 1], [2, 1], 1),
     [normal([1, 2, 4, 4]), normal([2, 3, 3, 2])],
     note="output_padding 1 is allowed along H because it is smaller than the dilation 2")
case("conv_transpose2d_groups", "conv_transpose2d", convt_attrs([2, 2], [0, 0], [0, 0], [1, 1], 2),
     [normal([2, 4, 3, 3]), normal([4, 3, 2, 2])])
case("conv_transpose2d_kernel2_stride2", "conv_transpose2d",
     convt_attrs([2, 2], [0, 0], [0, 0], [1, 1], 1),
     [normal([2, 3, 4, 4]), normal([3, 2, 2, 2]), normal([2])])
case("conv_transpose1d_stride3_output_padding2", "conv_transpose1d",
     convt_attrs(3, 1, 2, 1, 1),
     [normal([2, 3, 5]), normal([3, 2, 4]), normal([2])])

# ----------------------------- pooling -------------------------------------


def pool_attrs(kernel, stride, padding=0, ceil_mode=False, count_include_pad=True):
    return {"kernel": kernel, "stride": stride, "padding": padding, "ceil_mode": ceil_mode,
            "count_include_pad": count_include_pad}


case("max_pool2d_2x2", "max_pool2d", pool_attrs([2, 2], [2, 2], [0, 0]),
     [distinct([2, 3, 6, 6], -3.0, 3.0)])
case("max_pool2d_3x3_stride2_pad1", "max_pool2d", pool_attrs([3, 3], [2, 2], [1, 1]),
     [distinct([2, 2, 7, 7], -3.0, 3.0)])
case("max_pool2d_ceil_mode", "max_pool2d", pool_attrs([3, 2], [2, 2], [1, 0], ceil_mode=True),
     [distinct([1, 2, 7, 6], -3.0, 3.0)])
case("max_pool2d_ties", "max_pool2d", pool_attrs([2, 2], [1, 1], [0, 0]),
     [quantized([1, 2, 4, 4], -1.0, 1.0, 0.5)], fd=False,
     note="exact ties inside windows: the gradient goes to the first maximum in row-major order")
case("avg_pool2d_2x2", "avg_pool2d", pool_attrs([2, 2], [2, 2], [0, 0]),
     [normal([2, 3, 6, 6])])
case("avg_pool2d_pad_count_included", "avg_pool2d", pool_attrs([3, 3], [2, 2], [1, 1]),
     [normal([2, 2, 7, 7])])
case("avg_pool2d_pad_count_excluded", "avg_pool2d",
     pool_attrs([3, 3], [2, 2], [1, 1], count_include_pad=False),
     [normal([2, 2, 7, 7])])
case("avg_pool2d_ceil_mode_pad", "avg_pool2d",
     pool_attrs([3, 3], [2, 2], [1, 1], ceil_mode=True),
     [normal([1, 2, 6, 8])],
     note="ceil mode: the last window hangs past the padding and is divided by its clipped size")
case("sum_pool2d_pad", "sum_pool2d", pool_attrs([3, 3], [2, 2], [1, 1]),
     [normal([2, 2, 7, 6])])
case("max_pool1d_k3_s2_p1", "max_pool1d", pool_attrs(3, 2, 1),
     [distinct([2, 3, 11], -3.0, 3.0)])
case("avg_pool1d_pad_excluded_ceil", "avg_pool1d",
     pool_attrs(4, 3, 2, ceil_mode=True, count_include_pad=False),
     [normal([2, 3, 10])])
case("sum_pool1d", "sum_pool1d", pool_attrs(3, 2, 0), [normal([2, 3, 9])])
case("adaptive_avg_pool2d_uneven", "adaptive_avg_pool2d", {"output_size": [3, 4]},
     [normal([2, 3, 7, 5])])
case("adaptive_avg_pool2d_upsampling", "adaptive_avg_pool2d", {"output_size": [5, 7]},
     [normal([1, 2, 3, 4])])
case("adaptive_max_pool2d_uneven", "adaptive_max_pool2d", {"output_size": [3, 2]},
     [distinct([2, 2, 7, 5], -3.0, 3.0)])
case("adaptive_avg_pool1d", "adaptive_avg_pool1d", {"output_size": 4}, [normal([2, 3, 10])])
case("adaptive_max_pool1d", "adaptive_max_pool1d", {"output_size": 4},
     [distinct([2, 2, 9], -3.0, 3.0)])
case("global_avg_pool2d", "global_avg_pool2d", {"keepdim": False}, [normal([2, 3, 4, 5])])
case("global_max_pool2d_keepdim", "global_max_pool2d", {"keepdim": True},
     [distinct([2, 3, 4, 5], -3.0, 3.0)])

# ----------------------------- resize --------------------------------------
case("upsample_nearest2d_scale2", "upsample_nearest2d", {"size": None, "scale_factor": [2.0, 2.0]},
     [normal([2, 2, 3, 4])])
case("upsample_nearest2d_size_uneven", "upsample_nearest2d", {"size": [7, 3], "scale_factor": None},
     [normal([1, 2, 4, 5])])
case("upsample_nearest2d_scale_fractional", "upsample_nearest2d",
     {"size": None, "scale_factor": [1.5, 2.5]}, [normal([1, 2, 4, 5])])
case("upsample_bilinear2d_size_up", "upsample_bilinear2d",
     {"size": [7, 9], "scale_factor": None, "align_corners": False}, [normal([2, 2, 3, 4])])
case("upsample_bilinear2d_size_down", "upsample_bilinear2d",
     {"size": [4, 3], "scale_factor": None, "align_corners": False}, [normal([1, 2, 6, 7])])
case("upsample_bilinear2d_align_corners", "upsample_bilinear2d",
     {"size": [5, 7], "scale_factor": None, "align_corners": True}, [normal([1, 2, 3, 4])])
case("upsample_bilinear2d_scale", "upsample_bilinear2d",
     {"size": None, "scale_factor": [2.0, 1.5], "align_corners": False}, [normal([1, 2, 4, 3])])

# ----------------------------- second order --------------------------------
case("conv2d_second_order", "conv2d", conv2d_attrs(stride=(2, 1), padding=(1, 1, 0, 1)),
     [normal([2, 2, 5, 4]), normal([3, 2, 3, 2]), normal([3])], second_order=True)
case("conv_transpose2d_second_order", "conv_transpose2d",
     convt_attrs([2, 2], [1, 0], [1, 1], [1, 1], 1),
     [normal([2, 2, 3, 3]), normal([2, 3, 3, 2]), normal([3])], second_order=True)
case("max_pool2d_second_order", "max_pool2d", pool_attrs([3, 2], [2, 2], [1, 0]),
     [distinct([1, 2, 5, 4], -3.0, 3.0)], second_order=True)
case("avg_pool2d_second_order", "avg_pool2d", pool_attrs([3, 2], [2, 1], [1, 1]),
     [normal([1, 2, 5, 4])], second_order=True)
case("upsample_bilinear2d_second_order", "upsample_bilinear2d",
     {"size": [7, 3], "scale_factor": None, "align_corners": False}, [normal([1, 2, 5, 4])],
     second_order=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(HERE, "..", "fixtures", "torch"),
                    help="output directory (default: fixtures/torch next to this script)")
    ap.add_argument("--no-check", action="store_true", help="skip finite-difference self-check")
    args = ap.parse_args()

    torch.manual_seed(base.SEED)
    names = [c.name for c in CASES]
    if len(set(names)) != len(names):
        sys.exit("duplicate case name")
    clash = set(names) & {c.name for f in base.FILES for c in base.CASES[f]}
    if clash:
        sys.exit("case names clash with gen_torch_fixtures.py: %s" % sorted(clash))

    blocks, problems = [], []
    for c in CASES:
        text, msgs = base.run_case(c, second_order=c.second_order, check=not args.no_check)
        blocks.append(text)
        problems += msgs
    doc = ("{\n"
           '  "generator": %s,\n' % json.dumps(GENERATOR)
           + '  "torch_version": %s,\n' % json.dumps(str(torch.__version__))
           + '  "seed": %d,\n' % base.SEED
           + '  "cases": [\n' + ",\n".join(blocks) + "\n  ]\n}\n")
    json.loads(doc)
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "conv.json")
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(doc)
    print("%-40s %3d cases %8d bytes" % (os.path.relpath(path), len(CASES), len(doc)))
    if problems:
        print("\nfinite-difference self-check FAILED:", file=sys.stderr)
        for m in problems:
            print("  " + m, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
