#!/usr/bin/env python3
"""Writes PyTorch sequence models as safetensors state dicts plus their outputs, for the
TypeScript interop test (`__test__/torch_weights.spec.ts`): a bidirectional 2-layer nn.LSTM and a
pre-norm GELU nn.TransformerEncoderLayer, both batch_first.

    /usr/bin/python3 scripts/gen_torch_sequence_safetensors.py

Needs torch (1.13 here) and the `safetensors` package (see gen_safetensors_fixtures.py).
Output: fixtures/torch/lstm.safetensors, fixtures/torch/encoder_layer.safetensors and
fixtures/torch/sequence_models.json (inputs and expected outputs, flattened).
"""
import json
import os

import torch
from safetensors.torch import save_file

OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "torch")
torch.manual_seed(0)

lstm = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True)
x = torch.randn(2, 5, 3)
with torch.no_grad():
    y, (h, c) = lstm(x)
save_file({k: v.contiguous() for k, v in lstm.state_dict().items()}, os.path.join(OUT, "lstm.safetensors"))

enc = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation="gelu", batch_first=True, norm_first=True)
enc.eval()
xe = torch.randn(2, 6, 8)
with torch.no_grad():
    ye = enc(xe)
save_file({k: v.contiguous() for k, v in enc.state_dict().items()}, os.path.join(OUT, "encoder_layer.safetensors"))

fixture = {
    "lstm": {"x": x.flatten().tolist(), "x_shape": list(x.shape), "y": y.flatten().tolist(), "y_shape": list(y.shape),
             "h_n": h.flatten().tolist(), "h_shape": list(h.shape)},
    "encoder_layer": {"x": xe.flatten().tolist(), "x_shape": list(xe.shape), "y": ye.flatten().tolist()},
    "torch": torch.__version__,
}
with open(os.path.join(OUT, "sequence_models.json"), "w") as f:
    json.dump(fixture, f)
print("wrote", sorted(lstm.state_dict()), sorted(enc.state_dict()))
