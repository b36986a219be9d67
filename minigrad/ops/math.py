"""Elementwise arithmetic with NumPy broadcasting, matmul, and the smooth elementwise functions."""
import math

import numpy as np

from ..autograd import Op
from ._broadcast import sum_to_shape
from ._dtypes import as_float, promote
from ._table import tensor_method


class Add(Op):
    def forward(self, a, b):
        if a.dtype is not b.dtype:  # checked inline: a call per op costs more than the test
            a, b = promote(a, b)
        self.shapes = a.shape, b.shape
        return a + b

    def backward(self, gy):
        return sum_to_shape(gy, self.shapes[0]), sum_to_shape(gy, self.shapes[1])


class Sub(Op):
    def forward(self, a, b):
        if a.dtype is not b.dtype:
            a, b = promote(a, b)
        self.shapes = a.shape, b.shape
        return a - b

    def backward(self, gy):
        gb = -sum_to_shape(gy, self.shapes[1]) if self.needs_input_grad[1] else None
        return sum_to_shape(gy, self.shapes[0]), gb


class Mul(Op):
    def forward(self, a, b):
        if a.dtype is not b.dtype:
            a, b = promote(a, b)
        # keep only the factor that a wanted gradient needs: backward refuses to run when an array it
        # kept was written in place since, so keeping an unneeded one (y * 2; y += 1) would refuse wrongly
        self.a = a if self.needs_input_grad[1] else None
        self.b = b if self.needs_input_grad[0] else None
        self.shapes = a.shape, b.shape
        return a * b

    def backward(self, gy):
        a_shape, b_shape = self.shapes
        ga = sum_to_shape(gy * self.b, a_shape) if self.needs_input_grad[0] else None
        gb = sum_to_shape(gy * self.a, b_shape) if self.needs_input_grad[1] else None
        return ga, gb


class Div(Op):
    """True division: integer operands divide as float32, as torch's true_divide."""

    def forward(self, a, b):
        if a.dtype is not b.dtype:
            a, b = promote(a, b)
        if a.dtype.kind != "f":
            a, b = as_float(a), as_float(b)
        self.a = a if self.needs_input_grad[1] else None  # only b's gradient needs a (see Mul)
        self.b = b
        self.a_shape = a.shape
        return a / b

    def backward(self, gy):
        a, b = self.a, self.b
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = sum_to_shape(gy / b, self.a_shape)
        if self.needs_input_grad[1]:
            gb = sum_to_shape(-gy * a / (b * b), b.shape)
        return ga, gb


class Pow(Op):
    """a ** b for tensors a and b (a number on either side arrives as a 0-d tensor)."""

    def forward(self, a, b):
        if a.dtype is not b.dtype:
            a, b = promote(a, b)
        self.a, self.b = a, b
        self.y = a ** b
        return self.y

    def backward(self, gy):
        xp, a, b = self.xp, self.a, self.b
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = sum_to_shape(gy * b * a ** (b - 1), a.shape)
        if self.needs_input_grad[1]:
            # d(a**b)/db = a**b log a, taken as 0 where a == 0 (the limit for b > 0)
            log_a = xp.log(xp.where(a == 0, 1, a))
            gb = sum_to_shape(gy * self.y * log_a, b.shape)
        return ga, gb


class Neg(Op):
    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy


class MatMul(Op):
    """NumPy matmul: 1-D operands are promoted to matrices, leading dimensions broadcast."""

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError("matmul needs operands with at least one dimension; use * for scalars")
        if a.dtype != b.dtype:
            raise TypeError(f"matmul: dtype mismatch between {a.dtype} and {b.dtype}")
        if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not align")
        self.a, self.b = a, b
        return self.xp.matmul(a, b)

    def backward(self, gy):
        a, b = self.a, self.b
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        if b.ndim == 1:  # b first: for 1-D @ 1-D the 0-d gy becomes (1,) then (1, 1)
            gy = self.xp.expand_dims(gy, -1)
        if a.ndim == 1:
            gy = self.xp.expand_dims(gy, -2)
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = sum_to_shape(gy @ self.xp.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape)
        if self.needs_input_grad[1]:
            gb = sum_to_shape(self.xp.swapaxes(a2, -1, -2) @ gy, b2.shape).reshape(b.shape)
        return ga, gb


class Exp(Op):
    def forward(self, x):
        x = as_float(x)
        self.y = self.xp.exp(x)
        return self.y

    def backward(self, gy):
        return gy * self.y


class Log(Op):
    def forward(self, x):
        x = as_float(x)
        self.x = x
        return self.xp.log(x)

    def backward(self, gy):
        return gy / self.x


class Tanh(Op):
    def forward(self, x):
        x = as_float(x)
        self.y = self.xp.tanh(x)
        return self.y

    def backward(self, gy):
        return gy * (1 - self.y * self.y)


class Sigmoid(Op):
    def forward(self, x):
        # 0.5 (1 + tanh(x / 2)) never overflows, unlike 1 / (1 + exp(-x)) for very negative x
        x = as_float(x)
        self.y = 0.5 * (1 + self.xp.tanh(0.5 * x))
        return self.y

    def backward(self, gy):
        return gy * self.y * (1 - self.y)


class Abs(Op):
    """|x|; the gradient at 0 is 0, as torch's."""

    def forward(self, x):
        self.x = x
        return self.xp.abs(x)

    def backward(self, gy):
        return gy * self.xp.sign(self.x)


class Sqrt(Op):
    def forward(self, x):
        self.y = self.xp.sqrt(as_float(x))
        return self.y

    def backward(self, gy):
        return gy / (2 * self.y)


class Sin(Op):
    def forward(self, x):
        self.x = as_float(x)
        return self.xp.sin(self.x)

    def backward(self, gy):
        return gy * self.xp.cos(self.x)


class Cos(Op):
    def forward(self, x):
        self.x = as_float(x)
        return self.xp.cos(self.x)

    def backward(self, gy):
        return -gy * self.xp.sin(self.x)


class Clamp(Op):
    """min(max(x, low), high), either bound None; NaN stays NaN and the gradient flows where
    low <= x <= high, as torch's."""

    def __init__(self, low=None, high=None):
        self.low, self.high = low, high

    def forward(self, x):
        xp, low, high = self.xp, self.low, self.high
        y = x
        if low is not None:
            y = xp.where(y < low, xp.asarray(low, dtype=x.dtype), y)  # where, not maximum: NaN stays
        if high is not None:
            y = xp.where(y > high, xp.asarray(high, dtype=x.dtype), y)
        self.x = x
        return y

    def backward(self, gy):
        inside = True
        if self.low is not None:
            inside = self.x >= self.low
        if self.high is not None:
            inside = inside & (self.x <= self.high)
        return gy * inside


class Maximum(Op):
    """Elementwise max(a, b) (``largest=False``: min) with broadcasting; NaN wins, and a tie sends
    half the gradient to each side, as torch's maximum/minimum."""

    def __init__(self, largest=True):
        self.largest = largest

    def forward(self, a, b):
        if a.dtype is not b.dtype:
            a, b = promote(a, b)
        self.a, self.b = a, b
        return self.xp.maximum(a, b) if self.largest else self.xp.minimum(a, b)

    def backward(self, gy):
        xp, a, b = self.xp, self.a, self.b
        a_wins = (a > b if self.largest else a < b) | xp.isnan(a)
        share_a = xp.where(a == b, 0.5, a_wins.astype(gy.dtype))
        ga = sum_to_shape(gy * share_a, a.shape) if self.needs_input_grad[0] else None
        gb = sum_to_shape(gy * (1 - share_a), b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class Log1p(Op):
    """log(1 + x), accurate for small x."""

    def forward(self, x):
        self.x = as_float(x)
        return self.xp.log1p(self.x)

    def backward(self, gy):
        return gy / (1 + self.x)


class Expm1(Op):
    """exp(x) - 1, accurate for small x."""

    def forward(self, x):
        self.y = self.xp.expm1(as_float(x))
        return self.y

    def backward(self, gy):
        return gy * (self.y + 1)


class Rsqrt(Op):
    """1 / sqrt(x)."""

    def forward(self, x):
        self.y = 1 / self.xp.sqrt(as_float(x))
        return self.y

    def backward(self, gy):
        return gy * (-0.5 * self.y * self.y * self.y)


class Reciprocal(Op):
    """1 / x; integers give float32, as torch."""

    def forward(self, x):
        self.y = 1 / as_float(x)
        return self.y

    def backward(self, gy):
        return -gy * self.y * self.y


class Square(Op):
    """x * x; integers stay integers and bools become int64, as torch."""

    def forward(self, x):
        if x.dtype.kind == "b":
            x = x.astype("int64")
        self.x = x
        return x * x

    def backward(self, gy):
        return 2 * gy * self.x


class Log2(Op):
    """log(x) / log(base), base 2 (Log10: base 10)."""

    _function, _log_base = "log2", math.log(2)

    def forward(self, x):
        self.x = as_float(x)
        return getattr(self.xp, self._function)(self.x)

    def backward(self, gy):
        return gy / (self.x * self._log_base)


class Log10(Log2):
    _function, _log_base = "log10", math.log(10)


class Exp2(Op):
    """2 ** x."""

    def forward(self, x):
        self.y = self.xp.exp2(as_float(x))
        return self.y

    def backward(self, gy):
        return gy * self.y * math.log(2)


class Sinh(Op):
    _function, _derivative = "sinh", "cosh"

    def forward(self, x):
        self.x = as_float(x)
        return getattr(self.xp, self._function)(self.x)

    def backward(self, gy):
        return gy * getattr(self.xp, self._derivative)(self.x)


class Cosh(Sinh):
    _function, _derivative = "cosh", "sinh"


_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)


class Erf(Op):
    """The error function, on the compiled kernels (libm's erf on the CPU, CUDA's on the GPU, in
    double); integers give float32, as torch. d/dx erf(x) = 2/sqrt(pi) exp(-x^2)."""

    def forward(self, x):
        self.x = as_float(x)
        return self.kernels.erf(self.x)

    def backward(self, gy):
        return gy * (_TWO_OVER_SQRT_PI * self.xp.exp(-self.x * self.x))


class Lerp(Op):
    """start + weight * (end - start), the three broadcast together; computed as torch does (from
    the nearer end: end - (end - start) * (1 - weight) when |weight| >= 0.5)."""

    def forward(self, start, end, weight):
        xp = self.xp
        self.shapes = start.shape, end.shape, weight.shape
        diff = end - start
        self.weight = weight
        self.diff = diff if self.needs_input_grad[2] else None
        return xp.where(xp.abs(weight) < 0.5, start + weight * diff, end - diff * (1 - weight))

    def backward(self, gy):
        w, (start_shape, end_shape, weight_shape) = self.weight, self.shapes
        gs = sum_to_shape(gy * (1 - w), start_shape) if self.needs_input_grad[0] else None
        ge = sum_to_shape(gy * w, end_shape) if self.needs_input_grad[1] else None
        gw = sum_to_shape(gy * self.diff, weight_shape) if self.needs_input_grad[2] else None
        return gs, ge, gw


class AddMM(Op):
    """beta * input + alpha * (mat1 @ mat2) for matrices mat1 (n, m), mat2 (m, p) and an input that
    broadcasts to (n, p); with beta == 0 the input is not read (its NaN and Inf do not propagate),
    as torch's addmm."""

    def __init__(self, beta=1, alpha=1):
        self.beta, self.alpha = beta, alpha

    def forward(self, input, mat1, mat2):
        self.input_shape = input.shape
        self.mat1 = mat1 if self.needs_input_grad[2] else None
        self.mat2 = mat2 if self.needs_input_grad[1] else None
        y = self.xp.matmul(mat1, mat2)
        if self.alpha != 1:
            y = y * self.alpha
        if self.beta != 0:
            y = y + (input if self.beta == 1 else input * self.beta)
        return y

    def backward(self, gy):
        beta, alpha = self.beta, self.alpha
        gi = sum_to_shape(gy * beta, self.input_shape) if self.needs_input_grad[0] else None
        g1 = (gy @ self.mat2.T) * alpha if self.needs_input_grad[1] else None
        g2 = (self.mat1.T @ gy) * alpha if self.needs_input_grad[2] else None
        return gi, g1, g2


class NanToNum(Op):
    """NaN, +Inf and -Inf replaced by ``nan``, ``posinf`` and ``neginf`` (None: the dtype's largest
    and smallest finite values); integer and bool arrays come back as copies. The gradient passes
    where the input was finite and is 0 where a value was replaced, as torch's."""

    def __init__(self, nan=0.0, posinf=None, neginf=None):
        self.nan, self.posinf, self.neginf = nan, posinf, neginf

    def forward(self, x):
        xp = self.xp
        if x.dtype.kind != "f":
            return x.copy()
        info = np.finfo(x.dtype)
        posinf = xp.asarray(info.max if self.posinf is None else self.posinf, dtype=x.dtype)
        neginf = xp.asarray(info.min if self.neginf is None else self.neginf, dtype=x.dtype)
        nan = xp.asarray(self.nan, dtype=x.dtype)
        self.finite = xp.isfinite(x)
        y = xp.where(xp.isnan(x), nan, x)
        y = xp.where(x == math.inf, posinf, y)
        return xp.where(x == -math.inf, neginf, y)

    def backward(self, gy):
        return gy * self.finite


@tensor_method
def exp(input):
    """e ** input, elementwise. Example: ``mg.exp(mg.zeros(2))`` -> tensor([1., 1.])"""
    return Exp.apply(input)


@tensor_method
def log(input):
    """The natural logarithm, elementwise (-inf at 0, NaN below). Example: ``x.log()``"""
    return Log.apply(input)
