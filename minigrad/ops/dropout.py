"""Inverted dropout (elementwise, and whole channels for dropout1d/2d/3d) on the counter-based kernels."""
import warnings

import numpy as np

from .. import _args, _random
from .._kernels._checks import dropout_scale
from ..autograd import Op
from ..autograd.adjoint import constant
from ..tensor import Tensor
from ._tensor_checks import check_same_dtype
from .inplace import inplace_result

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d"]


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


def _feature_dropout(x, p, training, inplace, name, batched_dims=None):
    """torch's feature_dropout on the (N, C) slices of x: x of other than ``batched_dims`` dims (None:
    any dims count as batched) gets a batch of one first, as torch's dropout1d/3d. p = 0, eval and empty
    input return x untouched (before the dim check, as torch's); otherwise x needs at least 2 dims."""
    p = _args.probability(p, "dropout probability")
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} takes a Tensor, got {type(x).__name__}")
    if not training or p == 0 or x.numel() == 0:
        return x
    unbatched = batched_dims is not None and x.ndim != batched_dims
    batch = x.unsqueeze(0) if unbatched else x
    if batch.ndim < 2:
        raise RuntimeError(f"Feature dropout requires at least 2 dimensions in the input ({name} got {x.ndim}-D "
                           f"input of shape {x.shape})")
    check_same_dtype(x)
    y = FeatureDropoutOp(p)(batch)
    return inplace_result(x, y.squeeze(0) if unbatched else y, inplace)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of input (N, C, L) or unbatched (C, L) with probability p and scale the rest
    by 1/(1-p) (identity in eval); other dims are a RuntimeError, as torch.
    Example: ``F.dropout1d(mg.ones(8, 16, 10), p=0.2)``"""
    if isinstance(input, Tensor) and input.ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note that "
                           f"dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a "
                           f"channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _feature_dropout(input, p, training, inplace, "dropout1d", 3)


def _warn_other_dims(input, name, spatial):
    if isinstance(input, Tensor) and input.ndim not in (spatial + 1, spatial + 2):
        warnings.warn(f"{name}: Received a {input.ndim}-D input to {name}, which is deprecated and will result in "
                      f"an error in a future release. To retain the behavior and silence this warning, please use "
                      f"dropout instead. Note that {name} exists to provide channel-wise dropout on inputs with "
                      f"{spatial} spatial dimensions, a channel dimension, and an optional batch dimension (i.e. "
                      f"{spatial + 1}D or {spatial + 2}D inputs).", UserWarning, stacklevel=3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of input (N, C, H, W) with probability p and scale the rest by 1/(1-p)
    (identity in eval): every input[n, c] is kept or zeroed as one. As torch 2.13: 3-D input is taken as
    (N, C, L) (not as unbatched (C, H, W)), and any other dims (>= 2) run with torch's deprecation
    warning, one mask entry per input[n, c] (so 2-D input is element-wise dropout), each with torch's
    warning. Masks follow mg.manual_seed. Example: ``F.dropout2d(mg.ones(8, 16, 4, 4), p=0.2)``
    """
    _warn_other_dims(input, "dropout2d", 2)
    if isinstance(input, Tensor) and input.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
                      "This behavior will change in a future release to interpret the input as one without a "
                      "batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, "
                      "please switch to using dropout1d instead.", UserWarning, stacklevel=2)
    return _feature_dropout(input, p, training, inplace, "dropout2d")


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of input (N, C, D, H, W) or unbatched (C, D, H, W) with probability p and
    scale the rest by 1/(1-p) (identity in eval); other dims run with torch's deprecation warning (and,
    as torch, are given a batch of one, so the channels are their first dim).
    Example: ``F.dropout3d(mg.ones(2, 4, 3, 3, 3), p=0.5)``"""
    _warn_other_dims(input, "dropout3d", 3)
    return _feature_dropout(input, p, training, inplace, "dropout3d", 5)
