"""ReLU, GELU, Softplus and LogSigmoid on the compiled kernels, SiLU and Mish from the sigmoid, tanh and
softplus kernels; LeakyReLU, ELU, Hardswish (one xp body for both devices)."""
import math
import warnings

import numpy as np

from .. import _args
from ..autograd import Op
from ..autograd.adjoint import constant
from ..tensor import Tensor
from ._table import tensor_method
from ._tensor_checks import float_tensor
from .inplace import inplace_result
from .math import erf, exp, sigmoid, tanh  # F.sigmoid and F.tanh are torch.sigmoid and torch.tanh
from .shape import where

__all__ = ["relu", "leaky_relu", "gelu", "sigmoid", "tanh", "silu", "softplus", "elu", "logsigmoid", "mish", "hardswish", "softmin",
           "softsign", "hardtanh"]


class ReLU(Op):
    def forward(self, x):
        self.y = self.kernels.relu_forward(x)
        return self.y

    def backward(self, gy):
        return self.kernels.relu_backward(gy, self.y)

    def backward_graph(self, inputs, gy):
        return where(constant(self.y <= 0), 0.0, gy)  # NaN passes gy, as the kernel


class LeakyReLU(Op):
    """x where x > 0, else negative_slope * x; NaN stays NaN."""

    def __init__(self, negative_slope):
        self.negative_slope = negative_slope

    def forward(self, x):
        self.positive = x > 0
        return self.xp.where(self.positive, x, x * self.negative_slope)

    def backward(self, gy):
        return self.xp.where(self.positive, gy, gy * self.negative_slope)

    def backward_graph(self, inputs, gy):
        return where(constant(self.positive), gy, gy * self.negative_slope)


class GELU(Op):
    """x * Phi(x) (approximate="none") or its tanh approximation, on the compiled kernels."""

    def __init__(self, approximate="none"):
        self.approximate = approximate

    def forward(self, x):
        self.x = x
        return self.kernels.gelu_forward(x, self.approximate == "tanh")

    def backward(self, gy):
        return self.kernels.gelu_backward(gy, self.x, self.approximate == "tanh")

    def backward_graph(self, inputs, gy):
        x, = inputs
        if self.approximate == "tanh":  # d/dx 0.5 x (1 + t), t = tanh(u), u = k (x + 0.044715 x^3)
            k = math.sqrt(2 / math.pi)
            t = tanh(k * (x + 0.044715 * x ** 3))
            return gy * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * 0.044715 * x * x))
        cdf = 0.5 * (1 + erf(x * math.sqrt(0.5)))
        return gy * (cdf + x * exp(-0.5 * x * x) * (1 / math.sqrt(2 * math.pi)))


class SiLU(Op):
    """x * sigmoid(x); the gradient is s (1 + x (1 - s)). Infinite x gives torch's NaN (-inf * 0)."""

    def forward(self, x):
        self.x, self.s = x, self.kernels.sigmoid_forward(x)
        with np.errstate(invalid="ignore"):  # x = -inf: -inf * 0 is NaN, as torch's
            return x * self.s

    def backward(self, gy):
        s = self.s
        with np.errstate(invalid="ignore"):
            return gy * (s * (1 + self.x * (1 - s)))

    def backward_graph(self, inputs, gy):
        x, = inputs
        s = sigmoid(x)
        return gy * (s * (1 + x * (1 - s)))


class Softplus(Op):
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (as torch), on the compiled
    kernels: without overflow for any beta x; the gradient is sigmoid(beta x) (1 above the threshold)."""

    def __init__(self, beta=1.0, threshold=20.0):
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        self.x = x
        return self.kernels.softplus_forward(x, self.beta, self.threshold)

    def backward(self, gy):
        return self.kernels.softplus_backward(gy, self.x, self.beta, self.threshold)

    def backward_graph(self, inputs, gy):
        x, = inputs
        return where(constant(self.x * self.beta > self.threshold), gy, gy * sigmoid(x * self.beta))


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

    def backward_graph(self, inputs, gy):
        x, = inputs
        return where(constant(self.x > 0), gy, gy * (self.alpha * exp(x.clamp(max=0))))


class LogSigmoid(Op):
    """log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)) on the compiled kernels, finite for any finite x;
    the gradient is sigmoid(-x)."""

    def forward(self, x):
        self.x = x
        return self.kernels.logsigmoid_forward(x)

    def backward(self, gy):
        return self.kernels.logsigmoid_backward(gy, self.x)

    def backward_graph(self, inputs, gy):
        return gy * sigmoid(-inputs[0])


class Mish(Op):
    """x * tanh(softplus(x)); the gradient is t + x sigmoid(x) (1 - t^2), t = tanh(softplus(x))."""

    def forward(self, x):
        kernels = self.kernels
        self.x, self.t = x, kernels.tanh_forward(kernels.softplus_forward(x, 1.0, math.inf))
        with np.errstate(invalid="ignore"):  # x = -inf: -inf * 0 is NaN, as torch's
            return x * self.t

    def backward(self, gy):
        x, t = self.x, self.t
        with np.errstate(invalid="ignore"):
            return gy * (t + x * self.kernels.sigmoid_forward(x) * (1 - t * t))

    def backward_graph(self, inputs, gy):
        x, = inputs
        t = tanh(Softplus()(x))
        return gy * (t + x * sigmoid(x) * (1 - t * t))


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

    def backward_graph(self, inputs, gy):
        x, = inputs
        inside = where(constant(self.x >= 3), gy, gy * (x / 3 + 0.5))
        return where(constant(self.x <= -3), 0.0, inside)


@tensor_method
def relu(x, inplace=False):
    """max(x, 0) elementwise; integer tensors too, without gradient, as torch (bool is refused).
    Example: ``F.relu(mg.tensor([-1.0, 2.0]))`` -> tensor([0., 2.])"""
    if x.dtype.kind in "iub":
        if x.dtype.kind == "b":
            raise TypeError("relu: bool inputs are not supported (as torch's); convert with .long() or .float()")
        return inplace_result(x, x.clamp(min=0), inplace)
    return inplace_result(x, ReLU.apply(x), inplace)


def leaky_relu(x, negative_slope=0.01, inplace=False):
    """x where x > 0, else negative_slope * x. Example: ``F.leaky_relu(mg.tensor([-1.0, 2.0]))`` ->
    tensor([-0.01, 2.])"""
    negative_slope = _args.real(negative_slope, "leaky_relu: negative_slope")
    return inplace_result(x, LeakyReLU(negative_slope)(x), inplace)


def gelu(x, approximate="none"):
    """x * Phi(x), Phi the standard normal CDF; approximate="tanh" uses
    0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))). Example: ``F.gelu(mg.randn(4, 8))``"""
    return GELU(gelu_approximation(approximate, "gelu"))(x)


def gelu_approximation(approximate, fn):
    """``approximate`` if it is one of GELU's: "none" (exact) or "tanh"."""
    return _args.choice(approximate, f"{fn}: approximate", ("none", "tanh"))


def silu(x, inplace=False):
    """x * sigmoid(x) (also called swish). Example: ``F.silu(mg.tensor([0.0, 1.0]))`` -> tensor([0., 0.7310586])"""
    return _saving_input(SiLU(), float_tensor(x, "silu"), inplace)


def softplus(x, beta=1.0, threshold=20.0):
    """log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold (as torch); computed
    without overflow. Example: ``F.softplus(mg.tensor([0.0, 30.0]))`` -> tensor([0.6931472, 30.])"""
    beta, threshold = _args.real(beta, "softplus: beta"), _args.real(threshold, "softplus: threshold")
    return Softplus(beta, threshold)(float_tensor(x, "softplus"))


def elu(x, alpha=1.0, inplace=False):
    """x where x > 0, else alpha * (exp(x) - 1). Example: ``F.elu(mg.tensor([-1.0, 2.0]))`` ->
    tensor([-0.6321206, 2.])"""
    alpha = _args.real(alpha, "elu: alpha")
    return _saving_input(ELU(alpha), float_tensor(x, "elu"), inplace)


def logsigmoid(x):
    """log(sigmoid(x)) = -softplus(-x), finite for large |x|. Example: ``F.logsigmoid(mg.tensor([-100.0]))``
    -> tensor([-100.])"""
    return LogSigmoid.apply(float_tensor(x, "logsigmoid"))


def mish(x, inplace=False):
    """x * tanh(softplus(x)). Example: ``F.mish(mg.tensor([0.0, 1.0]))`` -> tensor([0., 0.86509836])"""
    return _saving_input(Mish(), float_tensor(x, "mish"), inplace)


def hardswish(x, inplace=False):
    """x * relu6(x + 3) / 6: 0 for x <= -3, x for x >= 3. Example: ``F.hardswish(mg.tensor([-4.0, 1.0, 4.0]))``
    -> tensor([-0., 0.6666667, 4.])"""
    return _saving_input(Hardswish(), float_tensor(x, "hardswish"), inplace)


class Hardtanh(Op):
    """x limited to [min_val, max_val], on the compiled kernels; the gradient passes strictly inside
    the bounds (0 at them, as torch)."""

    def __init__(self, min_val, max_val):
        self.min_val, self.max_val = min_val, max_val

    def forward(self, x):
        self.x = x
        return self.kernels.elementwise("hardtanh_forward", x, scalars=(self.min_val, self.max_val))

    def backward(self, gy):
        return self.kernels.elementwise("hardtanh_backward", gy, self.x, scalars=(self.min_val, self.max_val))

    def backward_graph(self, inputs, gy):
        return where(constant((self.x <= self.min_val) | (self.x >= self.max_val)), 0.0, gy)  # NaN passes gy


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """input limited to [min_val, max_val] (torch's F.hardtanh; relu6 is hardtanh(x, 0, 6)).
    Integer input is clamped to the bounds truncated to integers, without gradient (as torch; bool, and
    unsigned input with a negative bound, are refused). Example: ``F.hardtanh(mg.tensor([-2.0, 0.5, 3.0]))``
    -> tensor([-1., 0.5, 1.])"""
    min_val, max_val = hardtanh_bounds(min_val, max_val)
    if isinstance(input, Tensor) and input.dtype.kind in "iub":
        if input.dtype.kind == "b":
            raise TypeError("hardtanh: bool inputs are not supported (as torch's); convert with .long() or .float()")
        if input.dtype.kind == "u" and min(min_val, max_val) < 0:
            raise ValueError("hardtanh: cannot do hardtanh on an unsigned type with negative limits")
        return inplace_result(input, input.clamp(int(min_val), int(max_val)), inplace)
    return _saving_input(Hardtanh(min_val, max_val), float_tensor(input, "hardtanh"), inplace)


def hardtanh_bounds(min_val, max_val, what="hardtanh"):
    """(min_val, max_val) as floats with min_val <= max_val: F.hardtanh's and nn.Hardtanh's check."""
    min_val, max_val = _args.real(min_val, f"{what}: min_val"), _args.real(max_val, f"{what}: max_val")
    if min_val > max_val:
        raise ValueError(f"{what}: min_val ({min_val}) cannot be greater than max_val ({max_val})")
    return min_val, max_val


class Softsign(Op):
    """x / (1 + |x|); the gradient is 1 / (1 + |x|)^2, and NaN at +-inf (torch differentiates the
    quotient: inf / inf there)."""

    def forward(self, x):
        self.x, self.denominator = x, 1 + self.xp.abs(x)
        return x / self.denominator

    def backward(self, gy):
        xp = self.xp
        return xp.where(xp.isinf(self.x), xp.nan, gy / self.denominator ** 2).astype(gy.dtype, copy=False)

    def backward_graph(self, inputs, gy):  # the same gradient in Tensor ops, differentiable again
        x, = inputs
        return (gy / (1 + x.abs()) ** 2).masked_fill(x.isinf(), float("nan"))


def softsign(input):
    """x / (1 + |x|), elementwise; integer input gives float32, as torch's true division (bool is refused).
    Example: ``F.softsign(mg.tensor([1.0, -3.0]))`` -> tensor([0.5, -0.75])"""
    if isinstance(input, Tensor) and input.dtype.kind in "iu":
        input = input.float()
    return Softsign.apply(float_tensor(input, "softsign"))


def _saving_input(apply, x, inplace):
    """apply(x) for an op that saves its input for backward; with inplace=True, x overwritten with the
    result and returned (as inplace_result), the op reading a copy of x so that the overwrite leaves its saved
    input intact (a copy only when x requires grad)."""
    if not inplace:
        return apply(x)
    return x.copy_(apply(x.clone() if x.requires_grad else x))


def softmin(x, dim=None, dtype=None):
    """softmax(-x) along ``dim``: weights that favour the smallest entries. dtype casts x first (as
    torch). dim=None is torch's deprecated implicit choice (0 for 0-, 1- and 3-d input, else 1), with
    its warning. Example: ``F.softmin(mg.tensor([1.0, 2.0]), dim=0)`` -> tensor([0.7310586, 0.26894143])"""
    if not isinstance(x, Tensor):
        raise TypeError(f"softmin takes a Tensor, got {type(x).__name__}")
    if dim is None:
        warnings.warn("Implicit dimension choice for softmin has been deprecated. Change the call to include "
                      "dim=X as an argument.", UserWarning, stacklevel=2)
        dim = 0 if x.ndim in (0, 1, 3) else 1
    return (-x).softmax(dim, dtype=dtype)
