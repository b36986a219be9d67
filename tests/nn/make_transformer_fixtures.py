"""Writes data/transformer_torch.npz, torch 2.13's numbers that test_transformer.py compares with: for
each case a module's state_dict, its inputs and masks, its outputs and the gradients of sum(out * w)
for the inputs and parameters, all float64. Run once with torch installed (tests never import torch):
    python tests/nn/make_transformer_fixtures.py
"""
from pathlib import Path

import numpy as np
import torch
from torch import nn

CASES = {
    # name: (module factory, input shapes, keyword masks (as numpy), call)
    "mha_weights": (lambda: nn.MultiheadAttention(8, 2), dict(query=(4, 3, 8), key=(5, 3, 8), value=(5, 3, 8)),
                    lambda rng: dict(key_padding_mask=np.array([[0, 0, 0, 1, 1], [0, 0, 0, 0, 0], [0, 1, 0, 0, 0]], bool),
                                     attn_mask=rng.standard_normal((4, 5)))),
    "mha_fused": (lambda: nn.MultiheadAttention(8, 2), dict(query=(4, 3, 8), key=(5, 3, 8), value=(5, 3, 8)),
                  lambda rng: dict(key_padding_mask=np.array([[0, 0, 0, 1, 1], [0, 0, 0, 0, 0], [0, 1, 0, 0, 0]], bool),
                                   attn_mask=rng.random((6, 4, 5)) < 0.3, need_weights=False)),
    "mha_kdim_bias_kv_zero_attn": (
        lambda: nn.MultiheadAttention(8, 4, kdim=5, vdim=3, add_bias_kv=True, add_zero_attn=True, batch_first=True),
        dict(query=(2, 4, 8), key=(2, 6, 5), value=(2, 6, 3)),
        lambda rng: dict(average_attn_weights=False)),
    "encoder_layer": (lambda: nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0), dict(src=(5, 3, 8)),
                      lambda rng: dict(src_mask=nn.Transformer.generate_square_subsequent_mask(5).double().numpy(),
                                       is_causal=True)),
    "encoder_layer_norm_first_gelu": (
        lambda: nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, activation="gelu", norm_first=True,
                                           batch_first=True),
        dict(src=(3, 5, 8)),
        lambda rng: dict(src_key_padding_mask=np.array([[0, 0, 0, 0, 1], [0, 0, 0, 0, 0], [0, 0, 1, 1, 1]], bool))),
    "transformer": (
        lambda: nn.Transformer(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=16,
                               dropout=0.0),
        dict(src=(6, 2, 8), tgt=(4, 2, 8)),
        lambda rng: dict(tgt_mask=nn.Transformer.generate_square_subsequent_mask(4).double().numpy(),
                         src_key_padding_mask=np.array([[0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0]], bool))),
}


def main():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    arrays = {}
    for name, (factory, shapes, masks) in CASES.items():
        module = factory().double()
        inputs = {key: torch.tensor(rng.standard_normal(shape), requires_grad=True) for key, shape in shapes.items()}
        options = masks(rng)
        call = {key: torch.tensor(value) if isinstance(value, np.ndarray) else value for key, value in options.items()}
        result = module(**inputs, **call)
        out = result[0] if isinstance(result, tuple) else result
        weight = torch.tensor(rng.standard_normal(tuple(out.shape)))
        (out * weight).sum().backward()
        arrays[f"{name}/out"] = out.detach().numpy()
        arrays[f"{name}/out_weight"] = weight.numpy()
        if isinstance(result, tuple) and result[1] is not None:
            arrays[f"{name}/attn_weights"] = result[1].detach().numpy()
        for key, value in module.state_dict().items():
            arrays[f"{name}/state/{key}"] = value.numpy()
        for key, param in module.named_parameters():
            arrays[f"{name}/grad/{key}"] = param.grad.numpy()
        for key, t in inputs.items():
            arrays[f"{name}/input/{key}"] = t.detach().numpy()
            arrays[f"{name}/input_grad/{key}"] = t.grad.numpy()
        for key, value in options.items():
            arrays[f"{name}/option/{key}"] = np.asarray(value)
    np.savez_compressed(Path(__file__).with_name("data") / "transformer_torch.npz", **arrays)


if __name__ == "__main__":
    main()
