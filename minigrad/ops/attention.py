"""Scaled dot-product attention on the fused blockwise kernels (FlashAttention's recurrence: memory
O(L) per head, the weights never stored; see _kernels/attention.pyx)."""
import math

import numpy as np

from .. import _args, _random, backend
from .._kernels._checks import dropout_scale
from .._kernels.front.attention import CUDA_HEAD_DIM_MAX
from ..autograd import Op, grad_mode
from ..autograd.adjoint import constant
from ..tensor import Tensor
from ._recompute import gradients_of_recomputed
from ._tensor_checks import float_tensor

__all__ = ["scaled_dot_product_attention"]


class ScaledDotProductAttention(Op):
    """Inputs: q (B, L, E), k (B / group, S, E), v (B / group, S, Ev), and the float attn_mask where it
    requires grad; output (B, L, Ev). The mask as the kernels take it (an additive float array (M, L,
    S) and the int64 index of each head's mask) is made from attn_mask beforehand; ``mask_lead`` is
    attn_mask's shape with its batch dims padded to the query's, (*lead, L or 1, S or 1), with
    prod(lead) = M. ``mask_source`` is the array of the attn_mask (for the ONNX exporter to tell
    whether that was computed from the model's inputs)."""

    def __init__(self, scale, is_causal, dropout_p, mask=None, mask_index=None, mask_source=None, mask_lead=None):
        self.scale, self.is_causal, self.mask, self.mask_index = scale, is_causal, mask, mask_index
        self.dropout_p, self.mask_source, self.mask_lead = dropout_p, mask_source, mask_lead

    def forward(self, q, k, v, attn_mask=None):
        dropout = (0, 1.0, 0, 0)
        if self.dropout_p > 0:
            seed, offset = _random.next_dropout_stream()
            dropout = (min(int(self.dropout_p * 4294967296.0), 4294967296), dropout_scale(self.dropout_p), seed, offset)
        self.dropout = dropout
        out, self.lse = self.kernels.attention_forward(q, k, v, self.mask, self.mask_index, self.scale,
                                                       self.is_causal, dropout)
        self.q, self.k, self.v, self.out = q, k, v, out
        return out

    def backward(self, gout):
        grads = self.kernels.attention_backward(gout, self.q, self.k, self.v, self.out, self.lse, self.mask,
                                                self.mask_index, self.scale, self.is_causal, self.dropout)
        if len(self.needs_input_grad) < 4:
            return grads
        return (*grads, self._mask_grad(gout) if self.needs_input_grad[3] else None)

    def _mask_grad(self, gout):
        """attn_mask's gradient: the kernels' (M, L, S) summed over the dims attn_mask broadcast."""
        B, kv_heads, L, S = self.q.shape[0], self.k.shape[0], self.q.shape[1], self.k.shape[1]
        factors = self._dropout_factors(B, kv_heads, L, S, self.q.dtype) if self.dropout[0] else None
        gmask = self.kernels.attention_mask_backward(gout, self.q, self.k, self.v, self.out, self.lse, self.mask,
                                                     self.mask_index, self.scale, factors)
        lead = self.mask_lead
        gmask = gmask.reshape(*lead[:-2], L, S)
        broadcast = tuple(axis for axis in (-2, -1) if lead[axis] == 1 and gmask.shape[axis] != 1)
        if broadcast:
            gmask = gmask.sum(axis=broadcast, keepdims=True)
        return gmask.reshape(self.mask_source.shape)

    def backward_graph(self, inputs, gout):
        # the kernels never store the weights: differentiate the forward recomputed with Tensor ops
        # (mask, causal hiding and dropout factors as constants)
        return gradients_of_recomputed(self, inputs, lambda *views: (self._composed(*views),), (gout,))

    def _composed(self, q, k, v, attn_mask=None):
        """forward's output (B, L, Ev) from Tensor ops, the (B, L, S) weights in memory."""
        B, L, S = q.shape[0], q.shape[1], k.shape[1]
        group = B // k.shape[0] if k.shape[0] else 1
        if group > 1:  # query head b reads key/value head b // group
            k, v = (t.unsqueeze(1).expand(t.shape[0], group, *t.shape[1:]).reshape(B, *t.shape[1:]) for t in (k, v))
        xp = self.xp
        additive = xp.zeros((B, L, S), q.dtype) if self.mask is None else self.mask[self.mask_index]
        if self.is_causal:
            additive = xp.where(xp.tril(xp.ones((L, S), bool)), additive, -xp.inf)
        hidden_rows = (additive == -xp.inf).all(-1, keepdims=True)  # zeros out, no gradient
        if attn_mask is None:
            additive = constant(xp.where(hidden_rows, 0, additive).astype(q.dtype))
        else:  # the mask differentiable: attn_mask expanded to (M, L, S), each head's taken
            lead = self.mask_lead
            expanded = attn_mask.reshape(*lead).expand(*lead[:-2], L, S).reshape(-1, L, S)
            additive = expanded[Tensor(self.mask_index)].masked_fill(constant(hidden_rows), 0)
        scores = q @ k.transpose(1, 2) * self.scale + additive
        weights = scores.softmax(-1).masked_fill(constant(hidden_rows), 0)
        if self.dropout[0]:
            weights = weights * constant(self._dropout_factors(B, k.shape[0], L, S, q.dtype))
        return weights @ v

    def _dropout_factors(self, B, kv_heads, L, S, dtype):
        """forward's dropout factor (0, or 1 / (1 - p)) of each weight (B, L, S): the forward kernel on
        the same stream with uniform weights (q = k = 0) and v = columns of eye(S) gives factor / S
        for those columns (at most CUDA_HEAD_DIM_MAX at a time, the CUDA kernel's limit on Ev)."""
        xp, eye = self.xp, self.xp.eye(S, dtype=dtype)
        q, k = xp.zeros((B, L, 1), dtype), xp.zeros((kv_heads, S, 1), dtype)
        parts = []
        for first in range(0, S, CUDA_HEAD_DIM_MAX):
            v = xp.ascontiguousarray(xp.broadcast_to(eye[:, first:first + CUDA_HEAD_DIM_MAX],
                                                     (kv_heads, S, min(CUDA_HEAD_DIM_MAX, S - first))))
            parts.append(self.kernels.attention_forward(q, k, v, None, None, 1.0, False, self.dropout)[0])
        out = xp.concatenate(parts, axis=2) if parts else xp.zeros((B, L, 0), dtype)
        return xp.where(out > 0, xp.asarray(self.dropout[1], dtype), xp.zeros((), dtype))


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    """softmax(query @ key^T * scale + mask) @ value, as torch's, on a fused kernel that never stores
    the (L, S) weights.

    query (*batch, L, E), key (*batch, S, E), value (*batch, S, Ev) -> (*batch, L, Ev); the batch dims
    broadcast. attn_mask: bool (True takes part) or float (added to the scores), broadcastable to
    (*batch, L, S). is_causal: query i sees keys j <= i (top-left; not with attn_mask). scale: default
    1 / sqrt(E). dropout_p: drops weights (masks follow mg.manual_seed), whatever the module's mode.
    enable_gqa: key/value have H / g heads (dim -3) for the query's H; query head h reads head h // g.
    A row whose keys are all masked gives zeros and passes no gradient, as torch 2.13. A float attn_mask
    that requires grad gets the gradient of the softmax input, summed over the dims it broadcast.
    Example: ``F.scaled_dot_product_attention(mg.randn(2, 4, 16, 8), k, v, is_causal=True)``
    """
    name = "scaled_dot_product_attention"
    for what, t in (("query", query), ("key", key), ("value", value)):
        float_tensor(t, f"{name}: {what}")
        if t.ndim < 2:
            raise ValueError(f"{name}: {what} needs at least 2 dims (..., length, features), got shape {tuple(t.shape)}")
    if not query.dtype == key.dtype == value.dtype:
        raise TypeError(f"{name}: query, key and value must have one dtype, got {query.dtype}, {key.dtype}, "
                        f"{value.dtype}")
    if query.device != key.device or key.device != value.device:
        raise ValueError(f"{name}: query, key and value must be on one device")
    L, E, S, Ev = query.shape[-2], query.shape[-1], key.shape[-2], value.shape[-1]
    if key.shape[-1] != E or value.shape[-2] != S:
        raise ValueError(f"{name}: expected key (..., S, {E}) and value (..., S, Ev) with one S, got query "
                         f"{tuple(query.shape)}, key {tuple(key.shape)}, value {tuple(value.shape)}")
    dropout_p = _args.probability(dropout_p, f"{name}: dropout_p")
    is_causal = _args.flag(is_causal, f"{name}: is_causal")
    scale = 1.0 / math.sqrt(E) if scale is None else _args.real(scale, f"{name}: scale")
    if attn_mask is not None and is_causal:
        raise ValueError(f"{name}: give attn_mask or is_causal=True, not both (torch's rule)")
    heads, group = _heads(query, key, value, _args.flag(enable_gqa, f"{name}: enable_gqa"))
    try:
        lead = np.broadcast_shapes(query.shape[:-2 - heads], key.shape[:-2 - heads], value.shape[:-2 - heads])
    except ValueError:
        raise ValueError(f"{name}: the batch dims of query {tuple(query.shape)}, key {tuple(key.shape)} and value "
                         f"{tuple(value.shape)} do not broadcast") from None
    q_heads = tuple(query.shape[-3:-2]) if heads else ()
    kv_heads = tuple(key.shape[-3:-2]) if heads else ()
    q = _batched(query, lead + q_heads)
    k, v = _batched(key, lead + kv_heads), _batched(value, lead + kv_heads)
    mask, mask_index = _additive_mask(attn_mask, lead + q_heads, L, S, query)
    op = ScaledDotProductAttention(scale, is_causal, dropout_p, mask, mask_index,
                                   None if attn_mask is None else attn_mask._data,
                                   None if attn_mask is None else (1,) * (len(lead + q_heads) + 2 - attn_mask.ndim)
                                   + tuple(attn_mask.shape))
    differentiable_mask = attn_mask is not None and attn_mask.requires_grad and grad_mode.is_grad_enabled()
    out = op(q, k, v, attn_mask) if differentiable_mask else op(q, k, v)
    return out.reshape(*lead, *q_heads, L, Ev)


def _heads(query, key, value, enable_gqa):
    """(1, group) with grouped-query heads (dim -3), (0, 1) without."""
    if not enable_gqa:
        return 0, 1
    if min(query.ndim, key.ndim, value.ndim) < 3:
        raise ValueError("scaled_dot_product_attention: enable_gqa needs heads at dim -3 of query, key and value")
    Hq, Hk = query.shape[-3], key.shape[-3]
    if value.shape[-3] != Hk or Hk == 0 or Hq % Hk:
        raise ValueError(f"scaled_dot_product_attention: with enable_gqa the key/value heads ({Hk}, "
                         f"{value.shape[-3]}) must be equal and divide the query heads ({Hq})")
    return 1, Hq // Hk


def _batched(t, batch):
    """t (..., n, d) broadcast to (*batch, n, d) and flattened to (prod(batch), n, d)."""
    shape = (*batch, *t.shape[-2:])
    if tuple(t.shape) != shape:
        t = t.expand(*shape)
    return t.reshape(math.prod(batch), *t.shape[-2:])


def _additive_mask(attn_mask, batch, L, S, query):
    """(mask (M, L, S) additive in query's dtype, mask_index int64 (prod(batch),)) or (None, None)."""
    if attn_mask is None:
        return None, None
    name = "scaled_dot_product_attention: attn_mask"
    if not isinstance(attn_mask, Tensor):
        raise TypeError(f"{name} must be a Tensor, got {type(attn_mask).__name__}")
    if attn_mask.dtype != np.bool_ and attn_mask.dtype != query.dtype:
        raise TypeError(f"{name} must be bool or the query's dtype {query.dtype}, got {attn_mask.dtype}")
    if attn_mask.device != query.device:
        raise ValueError(f"{name} is on {attn_mask.device}, query on {query.device}")
    try:
        np.broadcast_shapes(tuple(attn_mask.shape), (*batch, L, S))
        if attn_mask.ndim > len(batch) + 2:
            raise ValueError
    except ValueError:
        raise ValueError(f"{name} of shape {tuple(attn_mask.shape)} does not broadcast to (*batch, L, S) = "
                         f"{(*batch, L, S)}") from None
    array = attn_mask._data
    xp = backend.array_module(array)
    if array.dtype == np.bool_:
        array = xp.where(array, xp.zeros((), query.dtype), xp.full((), -np.inf, query.dtype))
    array = array.reshape((1,) * (len(batch) + 2 - array.ndim) + array.shape)
    lead = array.shape[:-2]
    mask = xp.ascontiguousarray(xp.broadcast_to(array, lead + (L, S))).reshape(math.prod(lead), L, S)
    index = xp.broadcast_to(xp.arange(mask.shape[0], dtype=np.int64).reshape(lead), batch).reshape(-1)
    return mask, xp.ascontiguousarray(index)
