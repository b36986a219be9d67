"""ReLU and GELU on the compiled kernels; LeakyReLU."""
from ..autograd import Op


class ReLU(Op):
    def forward(self, x):
        self.y = self.kernels.relu_forward(x)
        return self.y

    def backward(self, gy):
        return self.kernels.relu_backward(gy, self.y)


class LeakyReLU(Op):
    """x where x > 0, else negative_slope * x; NaN stays NaN."""

    def __init__(self, negative_slope):
        self.negative_slope = negative_slope

    def forward(self, x):
        self.positive = x > 0
        return self.xp.where(self.positive, x, x * self.negative_slope)

    def backward(self, gy):
        return self.xp.where(self.positive, gy, gy * self.negative_slope)


class GELU(Op):
    """x * Phi(x) (approximate="none") or its tanh approximation, on the compiled kernels."""

    def __init__(self, approximate="none"):
        self.approximate = approximate

    def forward(self, x):
        self.x = x
        return self.kernels.gelu_forward(x, self.approximate)

    def backward(self, gy):
        return self.kernels.gelu_backward(gy, self.x, self.approximate)
