"""Scaled dot-product attention: the fused blockwise kernels (attention.pyx, cuda/attention.cu)."""
import numpy as np

from .._checks import check_float_array, check_like

INT64 = np.dtype(np.int64)
FLOAT64 = np.dtype(np.float64)
CUDA_HEAD_DIM_MAX = 256  # the CUDA kernels keep a row's output in registers: 8 values a lane
MASK_GRAD_BLOCK = 1 << 20  # elements of the (B, rows, S) weights that attention_mask_backward holds at once


class AttentionKernels:
    """Methods of ``Kernels`` (a mixin: the helpers it calls are ``KernelsBase``'s).

    Shapes: q (B, L, E); k (B / group, S, E); v (B / group, S, Ev), query head b reading key/value head
    b // group. mask: None or an additive float mask (M, L, S) in q's dtype, head b taking
    mask[mask_index[b]] (mask_index: int64 (B,)). dropout: (threshold, scale, seed, offset) with an
    element dropped when its Philox word is below threshold (0: none), kept ones scaled by ``scale``.
    """

    def _check_attention(self, q, k, v, mask, mask_index):
        check_float_array(q, "q", ndim=3)
        B, L, E = q.shape
        check_float_array(k, "k", ndim=3)
        check_like(k, "k", q, "q", shape=k.shape)
        check_like(v, "v", q, "q", shape=v.shape)
        if v.ndim != 3 or k.shape[2] != E or v.shape[:2] != k.shape[:2] or (B % k.shape[0] if k.shape[0] else B):
            raise ValueError(f"attention needs q (B, L, E), k (B / group, S, E), v (B / group, S, Ev); got q "
                             f"{q.shape}, k {k.shape}, v {v.shape}")
        if self.xp is not np and max(E, v.shape[2]) > CUDA_HEAD_DIM_MAX:
            raise ValueError(f"attention on cuda takes head dims up to {CUDA_HEAD_DIM_MAX}, got E={E}, "
                             f"Ev={v.shape[2]}")
        if mask is None:
            return None, None
        check_like(mask, "mask", q, "q", shape=mask.shape)
        if mask.ndim != 3 or mask.shape[1:] != (L, k.shape[1]) or mask.shape[0] == 0:
            raise ValueError(f"mask must have shape (M, L, S) = (M, {L}, {k.shape[1]}), got {mask.shape}")
        if type(mask_index) is not type(q) or mask_index.dtype != INT64 or mask_index.shape != (B,):
            raise ValueError(f"mask_index must be an int64 array of shape ({B},) on q's device")
        if B and not (0 <= int(mask_index.min()) and int(mask_index.max()) < mask.shape[0]):
            raise ValueError(f"mask_index must lie in [0, {mask.shape[0]})")
        return self._contiguous(mask), self._contiguous(mask_index)

    def attention_forward(self, q, k, v, mask, mask_index, scale, is_causal, dropout):
        """(out (B, L, Ev), lse (B, L)): softmax(q k^T * scale + mask) v, row by row, with causal
        masking (key j hidden from query i when j > i) and dropout on the weights; lse is each row's
        logsumexp of its scores (-inf where every key is masked)."""
        mask, mask_index = self._check_attention(q, k, v, mask, mask_index)
        q, k, v = self._contiguous(q), self._contiguous(k), self._contiguous(v)
        xp = self.xp
        out = xp.empty(q.shape[:2] + v.shape[2:], q.dtype)
        lse = xp.empty(q.shape[:2], q.dtype)
        if out.size:
            self.loops.attention_forward(q, k, v, mask, mask_index, out, lse, float(scale), bool(is_causal),
                                         *dropout)
        return out, lse

    def attention_backward(self, gout, q, k, v, out, lse, mask, mask_index, scale, is_causal, dropout):
        """(gq, gk, gv) like q, k, v from gout like out and the forward's out and lse (same arguments)."""
        mask, mask_index = self._check_attention(q, k, v, mask, mask_index)
        check_like(out, "out", q, "q", shape=q.shape[:2] + v.shape[2:])
        check_like(gout, "gout", out, "out")
        check_like(lse, "lse", q, "q", shape=q.shape[:2])
        gout, q, k, v, out, lse = (self._contiguous(a) for a in (gout, q, k, v, out, lse))
        xp = self.xp
        gq, gk, gv = xp.zeros_like(q), xp.empty_like(k), xp.empty_like(v)
        delta = xp.empty(q.shape[:2], FLOAT64)
        if gq.size or gk.size or gv.size:
            self.loops.attention_backward(gout, q, k, v, out, lse, mask, mask_index, delta, gq, gk, gv, float(scale),
                                          bool(is_causal), *dropout)
        return gq, gk, gv

    def attention_mask_backward(self, gout, q, k, v, out, lse, mask, mask_index, scale, dropout_factors=None):
        """The additive mask's gradient (M, L, S), like mask: for each head, the gradient of its
        softmax input, P * (dP - delta) with the weights P = exp(scores - lse), dP = gout v^T (times
        the dropout factors, (B, L, S) or None) and delta the row sums of gout * out; summed over the
        heads that share a mask (mask_index). Blockwise over the query rows, MASK_GRAD_BLOCK
        weights at a time, with the device's batched products; a row whose keys are all masked
        (lse = -inf) passes none. Example: ``cpu.attention_mask_backward(go, q, k, v, out, lse, m, i, 0.5)``"""
        mask, mask_index = self._check_attention(q, k, v, mask, mask_index)
        check_like(out, "out", q, "q", shape=q.shape[:2] + v.shape[2:])
        check_like(gout, "gout", out, "out")
        check_like(lse, "lse", q, "q", shape=q.shape[:2])
        xp, (B, L, E), (heads, S, Ev) = self.xp, q.shape, v.shape
        group = B // heads if heads else 1
        delta = (gout * out).sum(-1, dtype=FLOAT64).astype(q.dtype)
        # +inf for the fully masked rows: their exp(scores - lse) is then 0, not exp(+inf)
        lse = xp.where(lse == -np.inf, xp.asarray(np.inf, q.dtype), lse)
        shares = xp.zeros((mask.shape[0], B), q.dtype)  # shares[m, b] = 1 where head b takes mask m
        shares[mask_index, xp.arange(B)] = 1
        k_t, v_t = k.transpose(0, 2, 1), v.transpose(0, 2, 1)
        gmask = xp.empty_like(mask)
        rows = max(1, MASK_GRAD_BLOCK // max(1, B * S))
        for first in range(0, L, rows):
            block = slice(first, min(L, first + rows))
            n = block.stop - first
            # query head b = kv head * group + g: a kv head's queries as one (group n, E) matrix
            scores = self.matmul(q[:, block].reshape(heads, group * n, E), k_t).reshape(B, n, S) * q.dtype.type(scale)
            weights = xp.exp(scores + mask[mask_index, block] - lse[:, block, None])
            dp = self.matmul(gout[:, block].reshape(heads, group * n, Ev), v_t).reshape(B, n, S)
            if dropout_factors is not None:
                dp *= dropout_factors[:, block]
            gscores = weights * (dp - delta[:, block, None])
            gmask[:, block] = self.matmul(shares, gscores.reshape(B, n * S)).reshape(-1, n, S)
        return gmask
