#!/usr/bin/env python3
"""Generate PyTorch parity fixtures for ferrograd's attention and transformer layers.

Usage (torch 1.13; on the dev box use Debian's interpreter):

    /usr/bin/python3 scripts/gen_torch_attention_fixtures.py   # writes fixtures/torch/attention.json

Each case builds a torch module (nn.MultiheadAttention, nn.TransformerEncoderLayer,
nn.TransformerDecoderLayer, nn.Transformer; batch_first=True, dropout 0, train mode so torch's
inference fast path is not taken), rounds its weights and the inputs to float32, runs it in float64
and stores: the module config, the state_dict by torch's names, the inputs (float32 values; key
padding masks as 0/1, attention masks as additive floats with -inf), the output(s), and the
gradients of loss = sum(out * proj) with respect to every float input and every parameter.
Read by ``crates/ferrograd-nn/tests/attention_parity.rs``. Also writes
``fixtures/torch/attention_encoder_layer.safetensors`` (torch's ``state_dict`` of one
TransformerEncoderLayer saved with ``safetensors.torch.save_file``; case
``safetensors_encoder_layer`` holds its input and output) so the Rust test loads weights from a
file torch wrote.
"""

import json
import math
import zlib
import os

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures", "torch", "attention.json")


def enc(t):
    return {"shape": list(t.shape), "data": [("-inf" if math.isinf(x) and x < 0 else float(x)) for x in t.reshape(-1).tolist()]}


def f32(t):
    return t.float().double()


def rand(gen, *shape, scale=1.0):
    return f32(torch.randn(*shape, generator=gen, dtype=torch.float64) * scale)


def causal(l, s=None):
    s = l if s is None else s
    m = torch.zeros(l, s, dtype=torch.float64)
    for i in range(l):
        for j in range(s):
            if j > i:
                m[i, j] = float("-inf")
    return m


def padding(b, s, pads):
    m = torch.zeros(b, s, dtype=torch.bool)
    for i, p in enumerate(pads):
        if p:
            m[i, s - p:] = True
    return m


def prepare(module, gen):
    module.double()
    with torch.no_grad():
        for p in module.parameters():
            # Non-trivial norms/biases too, rounded to float32.
            p.copy_(f32(p + 0.1 * torch.randn(p.shape, generator=gen, dtype=torch.float64)))
    module.train()
    return module


def finish(name, kind, config, module, inputs, masks, outs, gen):
    """inputs: dict name -> leaf tensor (requires grad); masks: dict name -> tensor or None."""
    out = outs[0]
    proj = rand(gen, *out.shape)
    loss = (out * proj).sum()
    params = dict(module.named_parameters())
    leaves = list(inputs.values()) + list(params.values())
    grads = torch.autograd.grad(loss, leaves, allow_unused=True)
    gi = {k: enc(g) for k, g in zip(inputs.keys(), grads[: len(inputs)])}
    gp = {k: enc(g if g is not None else torch.zeros_like(p)) for (k, p), g in zip(params.items(), grads[len(inputs):])}
    mk = {}
    for k, m in masks.items():
        if m is None:
            continue
        mk[k] = enc(m.double() if m.dtype == torch.bool else m)
    return {
        "name": name,
        "kind": kind,
        "config": config,
        "state_dict": {k: enc(v) for k, v in module.state_dict().items()},
        "inputs": {k: enc(v.detach()) for k, v in inputs.items()},
        "masks": mk,
        "proj": enc(proj),
        "outputs": [enc(o.detach()) for o in outs],
        "grad_inputs": gi,
        "grad_params": gp,
    }


def leaf(gen, *shape):
    return rand(gen, *shape).requires_grad_(True)


def mha_case(name, e, h, b, l, s, kdim=None, vdim=None, self_attn=True, need_weights=False, pads=None, causal_mask=False):
    gen = torch.Generator().manual_seed(zlib.crc32(name.encode()))
    m = prepare(nn.MultiheadAttention(e, h, dropout=0.0, batch_first=True, kdim=kdim, vdim=vdim), gen)
    if self_attn:
        x = leaf(gen, b, l, e)
        inputs = {"query": x}
        q = k = v = x
    else:
        q, k, v = leaf(gen, b, l, e), leaf(gen, b, s, kdim or e), leaf(gen, b, s, vdim or e)
        inputs = {"query": q, "key": k, "value": v}
    kpm = padding(b, s, pads) if pads else None
    am = causal(l, s) if causal_mask else None
    out, w = m(q, k, v, key_padding_mask=kpm, attn_mask=am, need_weights=need_weights)
    outs = [out] + ([w] if need_weights else [])
    config = {"embed_dim": e, "num_heads": h, "kdim": kdim or e, "vdim": vdim or e, "need_weights": need_weights}
    return finish(name, "mha", config, m, inputs, {"key_padding_mask": kpm, "attn_mask": am}, outs, gen)


def encoder_case(name, norm_first, activation, pads=None, causal_mask=False, b=2, l=5, d=8, h=2, ff=16):
    gen = torch.Generator().manual_seed(zlib.crc32(name.encode()))
    m = prepare(nn.TransformerEncoderLayer(d, h, ff, dropout=0.0, activation=activation, batch_first=True, norm_first=norm_first), gen)
    x = leaf(gen, b, l, d)
    kpm = padding(b, l, pads) if pads else None
    am = causal(l) if causal_mask else None
    out = m(x, src_mask=am, src_key_padding_mask=kpm)
    config = {"d_model": d, "nhead": h, "dim_feedforward": ff, "activation": activation, "norm_first": norm_first}
    return finish(name, "encoder_layer", config, m, {"src": x}, {"src_key_padding_mask": kpm, "src_mask": am}, [out], gen)


def decoder_case(name, norm_first, activation, tgt_pads=None, mem_pads=None, b=2, t=4, s=6, d=8, h=2, ff=16):
    gen = torch.Generator().manual_seed(zlib.crc32(name.encode()))
    m = prepare(nn.TransformerDecoderLayer(d, h, ff, dropout=0.0, activation=activation, batch_first=True, norm_first=norm_first), gen)
    tgt, mem = leaf(gen, b, t, d), leaf(gen, b, s, d)
    tm = causal(t)
    tkpm = padding(b, t, tgt_pads) if tgt_pads else None
    mkpm = padding(b, s, mem_pads) if mem_pads else None
    out = m(tgt, mem, tgt_mask=tm, tgt_key_padding_mask=tkpm, memory_key_padding_mask=mkpm)
    config = {"d_model": d, "nhead": h, "dim_feedforward": ff, "activation": activation, "norm_first": norm_first}
    masks = {"tgt_key_padding_mask": tkpm, "memory_key_padding_mask": mkpm, "tgt_mask": tm}
    return finish(name, "decoder_layer", config, m, {"tgt": tgt, "memory": mem}, masks, [out], gen)


def transformer_case(name, norm_first, b=2, s=5, t=4, d=8, h=2, ff=16):
    gen = torch.Generator().manual_seed(zlib.crc32(name.encode()))
    m = prepare(nn.Transformer(d, h, 2, 2, ff, dropout=0.0, batch_first=True, norm_first=norm_first), gen)
    src, tgt = leaf(gen, b, s, d), leaf(gen, b, t, d)
    spm = padding(b, s, [0, 2])
    out = m(src, tgt, tgt_mask=causal(t), src_key_padding_mask=spm, memory_key_padding_mask=spm)
    config = {"d_model": d, "nhead": h, "dim_feedforward": ff, "activation": "relu", "norm_first": norm_first,
              "num_encoder_layers": 2, "num_decoder_layers": 2}
    return finish(name, "transformer", config, m, {"src": src, "tgt": tgt},
                  {"src_key_padding_mask": spm, "memory_key_padding_mask": spm}, [out], gen)


def save_safetensors(name, module):
    """torch's own state_dict file for the Rust loader test (needs the `safetensors` package)."""
    try:
        from safetensors.torch import save_file
    except ImportError:
        print("safetensors not installed: attention safetensors fixture not rewritten")
        return
    state = {k: v.detach().float().contiguous() for k, v in module.state_dict().items()}
    path = os.path.join(os.path.dirname(OUT), name)
    save_file(state, path, metadata={"generator": "scripts/gen_torch_attention_fixtures.py"})


def main():
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(zlib.crc32(b"safetensors"))
    layer = prepare(nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True), gen)
    save_safetensors("attention_encoder_layer.safetensors", layer)
    x = rand(gen, 2, 5, 8)
    st_case = finish("safetensors_encoder_layer", "safetensors", {"d_model": 8, "nhead": 2, "dim_feedforward": 16, "activation": "relu", "norm_first": False},
                     layer, {"src": x.requires_grad_(True)}, {}, [layer(x)], gen)
    cases = [st_case,
        mha_case("mha_self", 8, 2, 2, 5, 5),
        mha_case("mha_self_weights_causal_padding", 8, 2, 2, 5, 5, need_weights=True, pads=[0, 2], causal_mask=True),
        mha_case("mha_cross_packed", 8, 4, 2, 3, 6, self_attn=False, pads=[1, 3], need_weights=True),
        mha_case("mha_cross_kdim_vdim", 8, 2, 2, 4, 6, kdim=6, vdim=4, self_attn=False, pads=[0, 2]),
        encoder_case("enc_post_relu_padding_causal", False, "relu", pads=[0, 2], causal_mask=True),
        encoder_case("enc_pre_gelu_padding", True, "gelu", pads=[1, 0]),
        encoder_case("enc_post_gelu", False, "gelu"),
        encoder_case("enc_pre_relu_causal", True, "relu", causal_mask=True),
        decoder_case("dec_post_relu", False, "relu", tgt_pads=[0, 1], mem_pads=[2, 0]),
        decoder_case("dec_pre_gelu", True, "gelu", mem_pads=[0, 3]),
        transformer_case("transformer_post", False),
        transformer_case("transformer_pre", True),
    ]
    with open(OUT, "w") as fh:
        json.dump({"generator": "scripts/gen_torch_attention_fixtures.py", "torch": torch.__version__, "cases": cases}, fh)
    print(f"wrote {len(cases)} cases to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
