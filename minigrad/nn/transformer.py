"""Attention and Transformer layers, as torch's: nn.MultiheadAttention, the encoder and decoder layers
and stacks, and nn.Transformer. Parameter names, shapes, initialisation and state_dict keys are
torch's, so a torch state_dict loads unchanged."""
import copy
import math

import numpy as np

from .. import _args
from .. import functional as F
from .._dtypes import float32, resolve_dtype
from ..creation import full, zeros
from ..ops.shape import cat
from ..tensor import Tensor
from . import init
from .layers import Dropout, LayerNorm, Linear, ModuleList
from .module import Module, Parameter

__all__ = ["MultiheadAttention", "Transformer", "TransformerDecoder", "TransformerDecoderLayer",
           "TransformerEncoder", "TransformerEncoderLayer"]


def _parameter(*shape, dtype, device):
    return Parameter(Tensor(np.zeros(shape), dtype=dtype, device=device))


def _canonical_mask(mask, name, layer, dtype):
    """mask as torch's layers take it: bool (True: not attended) becomes 0 / -inf in ``dtype``; a
    float mask of ``dtype`` is added as it is; None stays None."""
    if mask is None:
        return None
    if not isinstance(mask, Tensor):
        raise TypeError(f"{layer}: {name} must be a Tensor, got {type(mask).__name__}")
    if mask.dtype == np.bool_:
        return zeros(*mask.shape, dtype=dtype, device=mask.device).masked_fill(mask, -math.inf)
    if mask.dtype.kind != "f":
        raise TypeError(f"{layer}: only bool and floating {name} are supported, got {mask.dtype}")
    if mask.dtype != dtype:
        raise TypeError(f"{layer}: {name} is {mask.dtype} but the input is {dtype}; convert one of them")
    return mask


class MultiheadAttention(Module):
    """Attention over num_heads heads of embed_dim // num_heads features each, as torch's.

    forward(query (L, N, E), key (S, N, kdim), value (S, N, vdim)) -> (output (L, N, E), weights (N, L, S)
    averaged over heads, or (N, num_heads, L, S), or None with need_weights=False); (N, L, E) with
    batch_first, (L, E) unbatched. key_padding_mask (N, S): True (or -inf) hides a key; attn_mask (L, S)
    or (N * num_heads, L, S), bool True hides, float is added. need_weights=False runs the fused
    F.scaled_dot_product_attention; need_weights=True computes the weights explicitly.
    Parameters: in_proj_weight (3E, E) (q_proj_weight, k_proj_weight, v_proj_weight when kdim or vdim
    differ from E), in_proj_bias (3E), bias_k, bias_v (1, 1, E) with add_bias_kv, out_proj.
    Example: ``nn.MultiheadAttention(64, 8)(x, x, x)[0].shape`` -> x.shape for x (10, 2, 64)
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, device="cpu", dtype=None):
        super().__init__()
        embed_dim = _args.positive_int(embed_dim, "MultiheadAttention: embed_dim")
        num_heads = _args.positive_int(num_heads, "MultiheadAttention: num_heads")
        if embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim ({embed_dim}) must be divisible by num_heads "
                             f"({num_heads})")
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.kdim = embed_dim if kdim is None else _args.positive_int(kdim, "MultiheadAttention: kdim")
        self.vdim = embed_dim if vdim is None else _args.positive_int(vdim, "MultiheadAttention: vdim")
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.dropout = _args.probability(dropout, "MultiheadAttention: dropout")
        self.batch_first, self.add_zero_attn = bool(batch_first), bool(add_zero_attn)
        dtype = resolve_dtype(dtype) or float32
        if self._qkv_same_embed_dim:
            self.in_proj_weight = _parameter(3 * embed_dim, embed_dim, dtype=dtype, device=device)
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = _parameter(embed_dim, embed_dim, dtype=dtype, device=device)
            self.k_proj_weight = _parameter(embed_dim, self.kdim, dtype=dtype, device=device)
            self.v_proj_weight = _parameter(embed_dim, self.vdim, dtype=dtype, device=device)
            self.register_parameter("in_proj_weight", None)
        self.register_parameter("in_proj_bias", _parameter(3 * embed_dim, dtype=dtype, device=device) if bias else None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype, device=device)
        for name in ("bias_k", "bias_v"):
            self.register_parameter(name, _parameter(1, 1, embed_dim, dtype=dtype, device=device) if add_bias_kv else None)
        self._reset_parameters()

    def _reset_parameters(self):
        # torch's: xavier_uniform_ projections, zero biases, xavier_normal_ bias_k / bias_v; out_proj.weight
        # keeps Linear's initialisation
        for weight in (self.in_proj_weight, self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
            if weight is not None:
                init.xavier_uniform_(weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        for bias in (self.bias_k, self.bias_v):
            if bias is not None:
                init.xavier_normal_(bias)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        name = "MultiheadAttention"
        batched = self._check_inputs(query, key, value)
        if not batched:
            query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        elif self.batch_first:
            query, key, value = query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)
        L, N, E = query.shape
        H, D = self.num_heads, self.head_dim
        key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", name, query.dtype)
        attn_mask = _canonical_mask(attn_mask, "attn_mask", name, query.dtype)
        if is_causal and attn_mask is None:
            raise RuntimeError(f"{name}: is_causal=True is a hint that needs attn_mask too (as torch)")
        fused_causal = bool(is_causal) and key_padding_mask is None and not need_weights
        if fused_causal:
            attn_mask = None
        q, k, v = self._in_projection(query, key, value)
        S = k.shape[0]
        if attn_mask is not None:
            attn_mask = self._check_attn_mask(attn_mask, L, S, N)
        if self.bias_k is not None:
            k = cat([k, self.bias_k.expand(1, N, E)])
            v = cat([v, self.bias_v.expand(1, N, E)])
            attn_mask = None if attn_mask is None else F.pad(attn_mask, (0, 1))
            key_padding_mask = None if key_padding_mask is None else F.pad(key_padding_mask, (0, 1))
        q = q.reshape(L, N * H, D).transpose(0, 1)
        k = k.reshape(k.shape[0], N * H, D).transpose(0, 1)
        v = v.reshape(v.shape[0], N * H, D).transpose(0, 1)
        if self.add_zero_attn:
            k = cat([k, zeros(N * H, 1, D, dtype=k.dtype, device=k.device)], dim=1)
            v = cat([v, zeros(N * H, 1, D, dtype=v.dtype, device=v.device)], dim=1)
            attn_mask = None if attn_mask is None else F.pad(attn_mask, (0, 1))
            key_padding_mask = None if key_padding_mask is None else F.pad(key_padding_mask, (0, 1))
        S = k.shape[1]
        if key_padding_mask is not None:
            if tuple(key_padding_mask.shape) != (N, S):
                raise ValueError(f"{name}: key_padding_mask must have shape (N, S) = {(N, S)}, got "
                                 f"{tuple(key_padding_mask.shape)}")
            padding = key_padding_mask.reshape(N, 1, 1, S).expand(N, H, 1, S).reshape(N * H, 1, S)
            attn_mask = padding if attn_mask is None else attn_mask + padding
        dropout_p = self.dropout if self.training else 0.0
        if need_weights:
            scores = (q * math.sqrt(1.0 / D)) @ k.transpose(-2, -1)
            if attn_mask is not None:
                scores = scores + attn_mask
            weights = F.softmax(scores, dim=-1)
            attended = F.dropout(weights, p=dropout_p) if dropout_p > 0 else weights
            out = (attended @ v).transpose(0, 1).reshape(L, N, E)
            weights = weights.reshape(N, H, L, S)
            if average_attn_weights:
                weights = weights.mean(dim=1)
        else:
            if attn_mask is not None:
                attn_mask = attn_mask.reshape(-1, attn_mask.shape[-2], S)
                attn_mask = attn_mask.unsqueeze(0) if attn_mask.shape[0] == 1 else attn_mask.reshape(N, H, -1, S)
            out = F.scaled_dot_product_attention(q.reshape(N, H, L, D), k.reshape(N, H, S, D), v.reshape(N, H, S, D),
                                                 attn_mask, dropout_p, fused_causal)
            out = out.permute(2, 0, 1, 3).reshape(L, N, E)
            weights = None
        out = self.out_proj(out)  # on (L, N, E), not (L * N, E): an ONNX export keeps the batch dynamic
        if not batched:
            return out.squeeze(1), (None if weights is None else weights.squeeze(0))
        return (out.transpose(0, 1) if self.batch_first else out), weights

    def _check_inputs(self, query, key, value):
        """Whether the input is batched (3-d); raises naming the shapes when they do not fit."""
        for what, t in (("query", query), ("key", key), ("value", value)):
            if not isinstance(t, Tensor):
                raise TypeError(f"MultiheadAttention: {what} must be a Tensor, got {type(t).__name__}")
        if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
            raise ValueError(f"MultiheadAttention: query, key and value must all be 3-d (batched) or 2-d "
                             f"(unbatched), got {tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)}")
        if (query.shape[-1], key.shape[-1], value.shape[-1]) != (self.embed_dim, self.kdim, self.vdim) \
                or key.shape[:-1] != value.shape[:-1]:
            raise ValueError(f"MultiheadAttention: expected query (..., {self.embed_dim}), key (..., {self.kdim}) "
                             f"and value (..., {self.vdim}) with one shape before the features, got "
                             f"{tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)}")
        batch_dim = 0 if self.batch_first else 1
        if query.ndim == 3 and query.shape[batch_dim] != key.shape[batch_dim]:
            raise ValueError(f"MultiheadAttention: query {tuple(query.shape)} and key {tuple(key.shape)} have "
                             f"different batch sizes")
        return query.ndim == 3

    def _in_projection(self, query, key, value):
        biases = (None, None, None) if self.in_proj_bias is None else self.in_proj_bias.chunk(3)
        if self._qkv_same_embed_dim:
            weights = self.in_proj_weight.chunk(3)
        else:
            weights = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)
        if self._qkv_same_embed_dim and query is key and key is value:  # self-attention: one product
            return F.linear(query, self.in_proj_weight, self.in_proj_bias).chunk(3, dim=-1)
        return tuple(F.linear(x, w, b) for x, w, b in zip((query, key, value), weights, biases))

    def _check_attn_mask(self, attn_mask, L, S, N):
        """attn_mask as (1, L, S) or (N * num_heads, L, S)."""
        if attn_mask.ndim == 2:
            if tuple(attn_mask.shape) != (L, S):
                raise ValueError(f"MultiheadAttention: the 2-d attn_mask has shape {tuple(attn_mask.shape)}, but "
                                 f"should be (L, S) = {(L, S)}")
            return attn_mask.unsqueeze(0)
        if attn_mask.ndim == 3:
            if tuple(attn_mask.shape) != (N * self.num_heads, L, S):
                raise ValueError(f"MultiheadAttention: the 3-d attn_mask has shape {tuple(attn_mask.shape)}, but "
                                 f"should be (N * num_heads, L, S) = {(N * self.num_heads, L, S)}")
            return attn_mask
        raise ValueError(f"MultiheadAttention: attn_mask must be 2-d or 3-d, got shape {tuple(attn_mask.shape)}")


def _activation(activation, layer):
    if activation == "relu":
        return F.relu
    if activation == "gelu":
        return F.gelu
    if callable(activation):
        return activation
    raise RuntimeError(f"{layer}: activation should be relu/gelu, not {activation}")


class _Block(Module):
    """What the encoder and decoder layers share: the feed-forward block and the norms' settings."""

    def _feed_forward(self, x, dropout):
        return dropout(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def _build_feed_forward(self, d_model, dim_feedforward, dropout, bias, dtype, device):
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype, device=device)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype, device=device)


class TransformerEncoderLayer(_Block):
    """Self-attention and a feed-forward block, each with a residual connection and LayerNorm (after
    it, or before with norm_first), as torch's. forward(src (S, N, E) or (N, S, E) with batch_first,
    src_mask=None, src_key_padding_mask=None, is_causal=False) -> like src.
    Example: ``nn.TransformerEncoderLayer(d_model=64, nhead=8)(mg.randn(10, 2, 64)).shape`` -> (10, 2, 64)
    """

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu", layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device="cpu", dtype=None):
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first,
                                            device=device, dtype=dtype)
        self._build_feed_forward(d_model, dim_feedforward, dropout, bias, dtype, device)
        self.norm_first = bool(norm_first)
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype, device=device)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype, device=device)
        self.dropout1, self.dropout2 = Dropout(dropout), Dropout(dropout)
        self.activation = _activation(activation, "TransformerEncoderLayer")

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        x = src
        if self.norm_first:
            x = x + self._self_attention(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            return x + self._feed_forward(self.norm2(x), self.dropout2)
        x = self.norm1(x + self._self_attention(x, src_mask, src_key_padding_mask, is_causal))
        return self.norm2(x + self._feed_forward(x, self.dropout2))

    def _self_attention(self, x, attn_mask, key_padding_mask, is_causal):
        return self.dropout1(self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                                            need_weights=False, is_causal=is_causal)[0])


class TransformerDecoderLayer(_Block):
    """Self-attention, attention over the encoder's output (memory) and a feed-forward block, each with a
    residual connection and LayerNorm, as torch's. forward(tgt (T, N, E), memory (S, N, E), tgt_mask,
    memory_mask, tgt_key_padding_mask, memory_key_padding_mask, tgt_is_causal, memory_is_causal) -> like tgt.
    Example: ``nn.TransformerDecoderLayer(64, 8)(mg.randn(5, 2, 64), mg.randn(10, 2, 64)).shape`` -> (5, 2, 64)
    """

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu", layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device="cpu", dtype=None):
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first,
                                            device=device, dtype=dtype)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                                 batch_first=batch_first, device=device, dtype=dtype)
        self._build_feed_forward(d_model, dim_feedforward, dropout, bias, dtype, device)
        self.norm_first = bool(norm_first)
        self.norm1, self.norm2, self.norm3 = (LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype,
                                                        device=device) for _ in range(3))
        self.dropout1, self.dropout2, self.dropout3 = Dropout(dropout), Dropout(dropout), Dropout(dropout)
        self.activation = _activation(activation, "TransformerDecoderLayer")

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        x = tgt
        self_attention = (tgt_mask, tgt_key_padding_mask, tgt_is_causal)
        cross_attention = (memory, memory_mask, memory_key_padding_mask, memory_is_causal)
        if self.norm_first:
            x = x + self._self_attention(self.norm1(x), *self_attention)
            x = x + self._cross_attention(self.norm2(x), *cross_attention)
            return x + self._feed_forward(self.norm3(x), self.dropout3)
        x = self.norm1(x + self._self_attention(x, *self_attention))
        x = self.norm2(x + self._cross_attention(x, *cross_attention))
        return self.norm3(x + self._feed_forward(x, self.dropout3))

    def _self_attention(self, x, attn_mask, key_padding_mask, is_causal):
        return self.dropout1(self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                                            need_weights=False, is_causal=is_causal)[0])

    def _cross_attention(self, x, memory, attn_mask, key_padding_mask, is_causal):
        return self.dropout2(self.multihead_attn(x, memory, memory, attn_mask=attn_mask,
                                                 key_padding_mask=key_padding_mask, need_weights=False,
                                                 is_causal=is_causal)[0])


def _is_causal_mask(mask, is_causal, size):
    """torch's _detect_is_causal_mask: is_causal as given, or (None) whether mask is the square
    subsequent mask of its size."""
    if is_causal is not None or mask is None:
        return bool(is_causal)
    if tuple(mask.shape) != (size, size):
        return False
    causal = Transformer.generate_square_subsequent_mask(size, dtype=mask.dtype if mask.dtype.kind == "f" else None)
    if mask.dtype == np.bool_:
        return bool((mask.detach().cpu().numpy() == ~np.isfinite(causal.numpy())).all())
    return bool((mask.detach().cpu().numpy() == causal.numpy()).all())


def _clones(layer, num_layers, what):
    return ModuleList([copy.deepcopy(layer) for _ in range(_args.integer(num_layers, f"{what}: num_layers", 0))])


class TransformerEncoder(Module):
    """num_layers copies of encoder_layer, then ``norm`` (a module or None), as torch's.
    forward(src, mask=None, src_key_padding_mask=None, is_causal=None). enable_nested_tensor is
    accepted (torch's sparse fast path; minigrad computes the same values densely).
    Example: ``nn.TransformerEncoder(nn.TransformerEncoderLayer(64, 8), num_layers=2)``
    """

    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True, mask_check=True):
        super().__init__()
        self.layers = _clones(encoder_layer, num_layers, "TransformerEncoder")
        self.num_layers, self.norm = len(self.layers), norm
        self.enable_nested_tensor, self.mask_check = enable_nested_tensor, mask_check

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        batch_first = self.layers[0].self_attn.batch_first if len(self.layers) else False
        is_causal = _is_causal_mask(mask, is_causal, src.shape[1 if batch_first and src.ndim == 3 else 0])
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, is_causal=is_causal, src_key_padding_mask=src_key_padding_mask)
        return x if self.norm is None else self.norm(x)


class TransformerDecoder(Module):
    """num_layers copies of decoder_layer, then ``norm`` (a module or None), as torch's.
    forward(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
    memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False).
    Example: ``nn.TransformerDecoder(nn.TransformerDecoderLayer(64, 8), num_layers=2)``
    """

    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers = _clones(decoder_layer, num_layers, "TransformerDecoder")
        self.num_layers, self.norm = len(self.layers), norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False):
        batch_first = self.layers[0].self_attn.batch_first if len(self.layers) else False
        tgt_is_causal = _is_causal_mask(tgt_mask, tgt_is_causal, tgt.shape[1 if batch_first and tgt.ndim == 3 else 0])
        x = tgt
        for layer in self.layers:
            x = layer(x, memory, tgt_mask=tgt_mask, memory_mask=memory_mask, tgt_key_padding_mask=tgt_key_padding_mask,
                      memory_key_padding_mask=memory_key_padding_mask, tgt_is_causal=tgt_is_causal,
                      memory_is_causal=memory_is_causal)
        return x if self.norm is None else self.norm(x)


class Transformer(Module):
    """An encoder-decoder Transformer, as torch's (Vaswani et al. 2017): encoder and decoder stacks with
    final LayerNorms; weights with more than one dim re-initialised xavier_uniform_.
    forward(src (S, N, E), tgt (T, N, E), src_mask, tgt_mask, memory_mask, src_key_padding_mask,
    tgt_key_padding_mask, memory_key_padding_mask, src_is_causal, tgt_is_causal, memory_is_causal) -> (T, N, E).
    Example: ``nn.Transformer(d_model=64, nhead=4, num_encoder_layers=2, num_decoder_layers=2)``
    """

    def __init__(self, d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6, dim_feedforward=2048,
                 dropout=0.1, activation="relu", custom_encoder=None, custom_decoder=None, layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device="cpu", dtype=None):
        super().__init__()
        settings = dict(dim_feedforward=dim_feedforward, dropout=dropout, activation=activation,
                        layer_norm_eps=layer_norm_eps, batch_first=batch_first, norm_first=norm_first, bias=bias,
                        device=device, dtype=dtype)
        norm = dict(eps=layer_norm_eps, bias=bias, dtype=dtype, device=device)
        self.encoder = custom_encoder if custom_encoder is not None else TransformerEncoder(
            TransformerEncoderLayer(d_model, nhead, **settings), num_encoder_layers, LayerNorm(d_model, **norm))
        self.decoder = custom_decoder if custom_decoder is not None else TransformerDecoder(
            TransformerDecoderLayer(d_model, nhead, **settings), num_decoder_layers, LayerNorm(d_model, **norm))
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None, src_key_padding_mask=None,
                tgt_key_padding_mask=None, memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None,
                memory_is_causal=False):
        batch_dim = 0 if self.batch_first else 1
        if src.ndim == 3 and src.shape[batch_dim] != tgt.shape[batch_dim]:
            raise RuntimeError(f"Transformer: the batch number of src {tuple(src.shape)} and tgt {tuple(tgt.shape)} "
                               f"must be equal")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise RuntimeError(f"Transformer: the feature number of src {tuple(src.shape)} and tgt "
                               f"{tuple(tgt.shape)} must be equal to d_model ({self.d_model})")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask, tgt_is_causal=tgt_is_causal,
                            memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz, device="cpu", dtype=None):
        """(sz, sz) float mask: 0 on and below the diagonal, -inf above (position i sees j <= i)."""
        return full((sz, sz), -math.inf, dtype=resolve_dtype(dtype) or float32, device=device).triu(diagonal=1)
