"""ReLU, on the compiled kernels."""
from ..autograd import Op


class ReLU(Op):
    def forward(self, x):
        self.y = self.kernels.relu_forward(x)
        return self.y

    def backward(self, gy):
        return self.kernels.relu_backward(gy, self.y)
