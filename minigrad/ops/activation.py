"""ReLU and GELU on the compiled kernels; LeakyReLU, SiLU, Softplus, ELU, LogSigmoid, Mish, Hardswish
(one xp body for both devices)."""
import numpy as np

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


def _sigmoid(xp, x):
    """1 / (1 + exp(-x)) accurate in float32 and float64 for any x: exp(-|x|) never overflows, and
    the negative side is exp(x) / (1 + exp(x)), not 1 - (a number near 1). NaN stays NaN."""
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _softplus(xp, x):
    """log(1 + exp(x)) without overflow: max(x, 0) + log1p(exp(-|x|)). NaN stays NaN."""
    return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))


class SiLU(Op):
    """x * sigmoid(x); the gradient is s (1 + x (1 - s)). Infinite x gives torch's NaN (-inf * 0)."""

    def forward(self, x):
        self.x, self.s = x, _sigmoid(self.xp, x)
        with np.errstate(invalid="ignore"):  # x = -inf: -inf * 0 is NaN, as torch's
            return x * self.s

    def backward(self, gy):
        s = self.s
        with np.errstate(invalid="ignore"):
            return gy * (s * (1 + self.x * (1 - s)))


class Softplus(Op):
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (as torch). Computed without
    overflow for any beta x; the gradient is sigmoid(beta x) (1 above the threshold)."""

    def __init__(self, beta=1.0, threshold=20.0):
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        xp = self.xp
        self.bx = bx = x * self.beta
        with np.errstate(divide="ignore", invalid="ignore"):  # beta = 0 gives torch's inf / NaN
            return xp.where(bx > self.threshold, x, _softplus(xp, bx) / self.beta)

    def backward(self, gy):
        bx = self.bx
        return gy * self.xp.where(bx > self.threshold, 1, _sigmoid(self.xp, bx)).astype(gy.dtype, copy=False)


class ELU(Op):
    """x where x > 0, else alpha (exp(x) - 1). The gradient is 1 where x > 0, else alpha exp(x) (alpha
    at 0, NaN at NaN: torch's vectorised CPU loop gives NaN there, its scalar loop gy)."""

    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def forward(self, x):
        xp = self.xp
        self.x = x
        return xp.where(x > 0, x, self.alpha * xp.expm1(xp.minimum(x, 0)))  # minimum: no overflow, NaN stays

    def backward(self, gy):
        xp, x = self.xp, self.x
        return gy * xp.where(x > 0, 1, self.alpha * xp.exp(xp.minimum(x, 0))).astype(gy.dtype, copy=False)


class LogSigmoid(Op):
    """log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)), finite for any finite x; gradient sigmoid(-x)."""

    def forward(self, x):
        xp = self.xp
        self.x = x
        return xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, gy):
        return gy * _sigmoid(self.xp, -self.x)


class Mish(Op):
    """x * tanh(softplus(x)); the gradient is t + x sigmoid(x) (1 - t^2), t = tanh(softplus(x))."""

    def forward(self, x):
        xp = self.xp
        self.x, self.t = x, xp.tanh(_softplus(xp, x))
        with np.errstate(invalid="ignore"):  # x = -inf: -inf * 0 is NaN, as torch's
            return x * self.t

    def backward(self, gy):
        x, t = self.x, self.t
        with np.errstate(invalid="ignore"):
            return gy * (t + x * _sigmoid(self.xp, x) * (1 - t * t))


class Hardswish(Op):
    """x * min(max(x + 3, 0), 6) / 6. torch's gradient: 0 where x <= -3, 1 where x >= 3, x / 3 + 1/2
    between (and NaN at NaN, as torch's vectorised CPU loop; its scalar loop gives gy)."""

    def forward(self, x):
        xp = self.xp
        self.x = x
        with np.errstate(invalid="ignore"):  # x = -inf: -inf * 0 is NaN, as torch's
            return x * xp.minimum(xp.maximum(x + 3, 0), 6) / 6  # maximum, minimum: NaN stays NaN

    def backward(self, gy):
        xp, x = self.xp, self.x
        slope = xp.where(x <= -3, 0, xp.where(x >= 3, 1, x / 3 + 0.5))
        return gy * slope.astype(gy.dtype, copy=False)
