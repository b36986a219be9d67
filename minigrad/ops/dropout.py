"""Inverted dropout on the counter-based kernels."""
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
