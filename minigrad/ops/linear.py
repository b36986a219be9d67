"""y = x @ weight.T + bias for x of shape (*, in_features)."""
import math

from ..autograd import Op
from ._tensor_checks import check_same_dtype

__all__ = ["linear"]


class LinearOp(Op):
    def forward(self, x, weight, bias=None):
        self.x_shape = x.shape
        x2 = x.reshape(_rows(x), x.shape[-1])  # not -1: with 0 in_features there is no size to infer
        self.x2, self.weight, self.has_bias = x2, weight, bias is not None
        y = self.kernels.linear_forward(x2, weight, bias)
        return y.reshape(x.shape[:-1] + (weight.shape[0],))

    def backward(self, gy):
        needs = self.needs_input_grad
        gx, gweight, gbias = self.kernels.linear_backward(
            gy.reshape(_rows(gy), gy.shape[-1]), self.x2, self.weight, needs[0], needs[1], self.has_bias and needs[2])
        if gx is not None and gx.shape != self.x_shape:  # reshaped only when needed: a fresh array, not a
            gx = gx.reshape(self.x_shape)                # view, is adopted as a leaf's grad without a copy
        return (gx, gweight, gbias) if self.has_bias else (gx, gweight)

    def backward_graph(self, inputs, gy):
        x, weight = inputs[:2]
        needs = self.needs_input_grad
        gy2 = gy.reshape(_rows(gy), gy.shape[-1])
        gx = (gy2 @ weight).reshape(self.x_shape) if needs[0] else None
        gweight = gy2.t() @ x.reshape(_rows(x), x.shape[-1]) if needs[1] else None
        if not self.has_bias:
            return gx, gweight
        return gx, gweight, gy2.sum(0) if needs[2] else None


def _rows(array):
    """The number of rows of ``array`` flattened to a matrix of its last dim."""
    return math.prod(array.shape[:-1])


def linear(x, weight, bias=None):
    """y = x @ weight.T + bias. x: (*, in); weight: (out, in); bias: (out,). Returns (*, out).

    Example: ``F.linear(mg.randn(8, 3), mg.randn(4, 3)).shape`` -> (8, 4)
    """
    if weight.ndim != 2:
        raise ValueError(f"weight must have shape (out_features, in_features), got {weight.shape}")
    if x.ndim < 1 or x.shape[-1] != weight.shape[1]:
        raise ValueError(f"input's last dimension must be in_features={weight.shape[1]}, got input of shape {x.shape}")
    check_same_dtype(x, weight=weight, bias=bias)
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ValueError(f"bias must have shape ({weight.shape[0]},), got {bias.shape}")
    return LinearOp.apply(x, weight) if bias is None else LinearOp.apply(x, weight, bias)
