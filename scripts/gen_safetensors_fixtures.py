#!/usr/bin/env python3
"""Generate / verify the safetensors interop fixtures for ferrograd.

Usage (needs numpy, torch >= 1.13 and the ``safetensors`` package; use Debian's
interpreter, which has torch and numpy):

    /usr/bin/python3 scripts/gen_safetensors_fixtures.py          # write + verify
    /usr/bin/python3 scripts/gen_safetensors_fixtures.py --verify-only

Installing ``safetensors`` into that interpreter: Debian bookworm has no
``python3-safetensors`` package, and the system Python is "externally managed"
(PEP 668), so install it into the user site:

    /usr/bin/python3 -m pip install --user --break-system-packages safetensors

(the fixtures were generated with safetensors 0.8.0 and torch 1.13).

What it does:

1. Writes ``fixtures/safetensors/from_python.safetensors`` with
   ``safetensors.torch.save_file``: f32 tensors (scalar, 1-D, 3-D, empty [0, 3]),
   an f16, a bf16 and an f64 tensor (to exercise the widening/rounding
   conversions, including subnormals and +-inf/NaN), an int64 tensor (which the
   Rust reader must refuse with a DTypeError), and metadata. Next to it,
   ``from_python.json`` holds, for each tensor, the dtype, shape and the values
   as float32 (computed by torch's ``.float()``), non-finite values written as
   the strings "inf", "-inf", "nan".
2. If ``fixtures/safetensors/from_rust.safetensors`` exists (it is written and
   committed by the Rust test ``io_interop``, regenerate it with
   ``FERROGRAD_UPDATE_FIXTURES=1 cargo test -p ferrograd-nn --test io_interop``),
   loads it with both ``safetensors.numpy.load_file`` and
   ``safetensors.torch.load_file`` and checks every value against
   ``RUST_EXPECTED`` below (which mirrors ``rust_fixture_tensors`` in
   ``crates/ferrograd-nn/tests/io_interop.rs``), and checks that
   ``safetensors.numpy.save`` of the same tensors produces the same header (as
   parsed JSON, same key order and same length) and the same data bytes. (The
   reference stores metadata in a HashMap, so its metadata key order is random
   and a byte-for-byte file comparison is only possible with <= 1 key.)

The output is deterministic (no random data): rerunning gives identical files.
"""

import argparse
import json
import math
import os
import sys

import numpy as np
import safetensors
import torch
from safetensors.numpy import load_file as np_load_file
from safetensors.numpy import save as np_save
from safetensors.torch import load_file as torch_load_file
from safetensors.torch import save_file as torch_save_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "fixtures", "safetensors")


def python_tensors():
    inf = float("inf")
    return {
        "scalar": torch.tensor(2.5, dtype=torch.float32),
        "vec": torch.tensor([1.0, -2.0, 0.1, 1e-30, 3.4e38, -0.0], dtype=torch.float32),
        "layer.0.weight": (torch.arange(24, dtype=torch.float32).reshape(2, 3, 4) * 0.37 - 3.0),
        "empty": torch.zeros((0, 3), dtype=torch.float32),
        "half": torch.tensor(
            [0.0, 1.0, -2.5, 65504.0, 6e-8, 0.1, inf, -inf, float("nan")], dtype=torch.float16
        ),
        "brain": torch.tensor([0.0, 1.0, -2.5, 3.0e38, 1e-40, 0.1, inf, -inf], dtype=torch.bfloat16).reshape(
            2, 4
        ),
        "double": torch.tensor([1.0 / 3.0, -1e300, 2.0, 1e-50], dtype=torch.float64),
        "ints": torch.tensor([1, 2, 3], dtype=torch.int64),
    }


# A single key: the reference keeps metadata in a HashMap, so with several keys the written
# order (and thus the file) would change from run to run.
PYTHON_METADATA = {"format": "pt"}

DTYPE_NAMES = {
    torch.float32: "F32",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.float64: "F64",
    torch.int64: "I64",
}


def encode(v):
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def write_python_fixture():
    tensors = python_tensors()
    path = os.path.join(OUT_DIR, "from_python.safetensors")
    torch_save_file(tensors, path, metadata=PYTHON_METADATA)
    os.chmod(path, 0o644)  # the writer creates it 0600
    expected = {"safetensors_version": safetensors.__version__, "metadata": PYTHON_METADATA, "tensors": {}}
    for name in sorted(tensors):
        t = tensors[name]
        entry = {"dtype": DTYPE_NAMES[t.dtype], "shape": list(t.shape)}
        if t.dtype == torch.int64:
            entry["unsupported"] = True
        else:
            entry["values"] = [encode(x) for x in t.float().reshape(-1).tolist()]
        expected["tensors"][name] = entry
    with open(os.path.join(OUT_DIR, "from_python.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes) and from_python.json")


# Mirrors `rust_fixture_tensors()` in crates/ferrograd-nn/tests/io_interop.rs.
def rust_expected():
    return {
        "bias": np.array([0.5, -1.25, 3.0], dtype=np.float32),
        "conv.weight": (np.arange(12, dtype=np.float32) * np.float32(0.25) - np.float32(1.5)).reshape(2, 2, 3),
        "empty": np.zeros((0, 3), dtype=np.float32),
        "scalar": np.array(0.1, dtype=np.float32),
        'layer "1".\u03b2': np.array([[1e-7, -3.5e20]], dtype=np.float32),
    }


RUST_METADATA = {"format": "pt", "note": 'ferrograd "test" \u00fc\n'}


def split(b):
    n = int.from_bytes(b[:8], "little")
    return n, b[8 : 8 + n], b[8 + n :]


def verify_rust_fixture():
    path = os.path.join(OUT_DIR, "from_rust.safetensors")
    if not os.path.exists(path):
        print(f"skip: {path} does not exist (run the Rust io_interop test first)")
        return True
    expected = rust_expected()
    ok = True
    for loader_name, loaded in (
        ("numpy", np_load_file(path)),
        ("torch", {k: v.numpy() for k, v in torch_load_file(path).items()}),
    ):
        if sorted(loaded) != sorted(expected):
            print(f"FAIL {loader_name}: names {sorted(loaded)} != {sorted(expected)}")
            ok = False
            continue
        for name, want in expected.items():
            got = loaded[name]
            if got.dtype != np.float32 or got.shape != want.shape or got.tobytes() != want.tobytes():
                print(f"FAIL {loader_name}: tensor {name!r}: got {got!r}, want {want!r}")
                ok = False
    with open(path, "rb") as f:
        rust_bytes = f.read()
    with safetensors.safe_open(path, framework="numpy") as f:
        if f.metadata() != RUST_METADATA:
            print(f"FAIL metadata {f.metadata()!r} != {RUST_METADATA!r}")
            ok = False
    ref_bytes = np_save(expected, metadata=RUST_METADATA)
    rn, rheader, rdata = split(rust_bytes)
    pn, pheader, pdata = split(ref_bytes)
    rjson = json.loads(rheader)
    pjson = json.loads(pheader)
    if rn != pn or rjson != pjson or list(rjson) != list(pjson) or rdata != pdata:
        print("FAIL: Rust output differs from safetensors.numpy.save")
        print("  rust:", rheader)
        print("  ref: ", pheader)
        ok = False
    if ok:
        print(f"ok: {path} loads in numpy and torch and matches the reference writer")
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--verify-only", action="store_true", help="only verify from_rust.safetensors")
    args = ap.parse_args()
    print(f"safetensors {safetensors.__version__}, torch {torch.__version__}, numpy {np.__version__}")
    os.makedirs(OUT_DIR, exist_ok=True)
    if not args.verify_only:
        write_python_fixture()
    sys.exit(0 if verify_rust_fixture() else 1)


if __name__ == "__main__":
    main()
