"""Inverted dropout (elementwise, and whole channels for dropout2d) on the counter-based kernels."""
import warnings

import numpy as np

from .. import _args, _random
from .._kernels._checks import dropout_scale
from ..autograd import Op
from ..autograd.adjoint import constant
from ..tensor import Tensor
from ._tensor_checks import check_same_dtype
from .inplace import inplace_result

__all__ = ["dropout", "dropout2d"]


class DropoutOp(Op):
    def __init__(self, p):
        self.p = p

    def forward(self, x):
        seed, offset = _random.next_dropout_stream()
        y, self.mask = self.kernels.dropout_forward(x, self.p, seed, offset)
        return y

    def backward(self, gy):
        return self.kernels.dropout_backward(gy, self.mask, self.p)

    def backward_graph(self, inputs, gy):
        return gy * constant(self.mask.astype(gy.dtype) * gy.dtype.type(dropout_scale(self.p)))


class FeatureDropoutOp(Op):
    """Dropout of whole feature maps (torch's feature_dropout, behind dropout2d): x is (N, C, *),
    and each (n, c) slice is kept, scaled by 1/(1 - p), or zeroed, as one. The (N, C) mask comes
    from the same counter-based stream as DropoutOp (one offset per call), so it follows
    mg.manual_seed and is the same on CPU and GPU."""

    def __init__(self, p):
        self.p = p

    def forward(self, x):
        seed, offset = _random.next_dropout_stream()
        ones = self.xp.ones(x.shape[:2], dtype=x.dtype)
        scale, _ = self.kernels.dropout_forward(ones, self.p, seed, offset)  # 1/(1-p) where kept, else 0
        self.scale = scale.reshape(x.shape[:2] + (1,) * (x.ndim - 2))
        with np.errstate(invalid="ignore"):  # Inf * 0 is NaN on purpose (as torch)
            return x * self.scale

    def backward(self, gy):
        with np.errstate(invalid="ignore"):
            return gy * self.scale

    def backward_graph(self, inputs, gy):
        with np.errstate(invalid="ignore"):
            return gy * constant(self.scale)


def dropout(x, p=0.5, training=True, inplace=False):
    """Zero each element with probability p and scale the rest by 1/(1-p) (identity in eval).

    p = 0 is the identity, p = 1 gives zeros. Masks follow mg.manual_seed.
    Example: ``F.dropout(mg.ones(4), p=0.5)`` -> e.g. tensor([2., 0., 2., 0.])
    """
    p = _args.probability(p, "dropout probability")
    if not training or p == 0:
        return x
    return inplace_result(x, DropoutOp(p)(x), inplace)


def dropout2d(x, p=0.5, training=True, inplace=False):
    """Zero whole channels of x (N, C, H, W) with probability p and scale the rest by 1/(1-p)
    (identity in eval): every x[n, c] is kept or zeroed as one. As torch, 3-D input is taken as
    (N, C, L), one mask entry per x[n, c] (with torch's warning); other dims are refused.
    Masks follow mg.manual_seed. Example: ``F.dropout2d(mg.ones(8, 16, 4, 4), p=0.2)``
    """
    p = _args.probability(p, "dropout probability")
    if not isinstance(x, Tensor):
        raise TypeError(f"dropout2d takes a Tensor, got {type(x).__name__}")
    if x.ndim not in (3, 4):
        raise ValueError(f"dropout2d: expected 4-D input (N, C, H, W) or 3-D input (N, C, L), got {x.ndim}-D input "
                         f"of shape {x.shape}; use F.dropout for element-wise dropout")
    if x.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim "
                      "(as torch).", UserWarning, stacklevel=2)
    if not training or p == 0:
        return x
    check_same_dtype(x)
    return inplace_result(x, FeatureDropoutOp(p)(x), inplace)
