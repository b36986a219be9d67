"""Inverted dropout on the counter-based kernels."""
import numpy as np

from .. import _random
from ..autograd import Op


class DropoutOp(Op):
    def __init__(self, p):
        self.p = p

    def forward(self, x):
        seed, offset = _random.next_dropout_stream()
        y, self.mask = self.kernels.dropout_forward(x, self.p, seed, offset)
        return y

    def backward(self, gy):
        return self.kernels.dropout_backward(gy, self.mask, self.p)


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
