"""ReLU, on the compiled kernels."""
from .. import _kernels
from ..autograd import Op


class ReLU(Op):
    def forward(self, x):
        self.kernels = _kernels.for_array(x)
        self.y = self.kernels.relu_forward(self.xp.ascontiguousarray(x))
        return self.y

    def backward(self, gy):
        return self.kernels.relu_backward(self.xp.ascontiguousarray(gy), self.y)
