"""Inverted dropout on the counter-based kernels."""
from .. import _kernels, _random
from ..autograd import Op


class DropoutOp(Op):
    def __init__(self, p):
        self.p = p

    def forward(self, x):
        seed, offset = _random.next_dropout_stream()
        self.kernels = _kernels.for_array(x)
        y, self.mask = self.kernels.dropout_forward(self.xp.ascontiguousarray(x), self.p, seed, offset)
        return y

    def backward(self, gy):
        return self.kernels.dropout_backward(self.xp.ascontiguousarray(gy), self.mask, self.p)
