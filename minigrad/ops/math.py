"""Elementwise arithmetic with NumPy broadcasting, matmul, and the smooth elementwise functions."""
import math
import numbers

import numpy as np

from .. import _args, backend
from .._dtypes import alpha_factor, as_float, check_fill, common_dtype, promote, result_dtype, to_array
from ..autograd import Op
from ..autograd.adjoint import constant, linear_backward_graph
from ..tensor import Tensor
from ._broadcast import broadcast_shape, sum_to, sum_to_shape
from ._table import tensor_method, torch_function
from .shape import Where, bool_mask, where


class Add(Op):
    def forward(self, a, b):
        if a.dtype is not b.dtype:  # checked inline: a call per op costs more than the test
            a, b = promote(a, b)
        self.shapes = a.shape, b.shape
        return a + b

    backward_graph = linear_backward_graph

    def backward(self, gy):
        return sum_to_shape(gy, self.shapes[0]), sum_to_shape(gy, self.shapes[1])


class Sub(Op):
    def forward(self, a, b):
        if a.dtype is not b.dtype:
            a, b = promote(a, b)
        self.shapes = a.shape, b.shape
        return a - b

    backward_graph = linear_backward_graph

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

    def backward_graph(self, inputs, gy):
        a, b = inputs
        ga = sum_to(gy * b, a.shape) if self.needs_input_grad[0] else None
        gb = sum_to(gy * a, b.shape) if self.needs_input_grad[1] else None
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
            gb = sum_to_shape(-gy * (a / b / b), b.shape)  # torch's order: b * b would overflow at 1e160
        return ga, gb

    def backward_graph(self, inputs, gy):
        a, b = inputs
        ga = sum_to(gy / b, a.shape) if self.needs_input_grad[0] else None
        gb = sum_to(-gy * (a / b / b), b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class Pow(Op):
    """a ** b for tensors a and b (a number on either side arrives as a 0-d tensor)."""

    def forward(self, a, b):
        if a.dtype is not b.dtype:
            a, b = promote(a, b)
        self.a, self.b = a, b
        # bools stay bool, as torch (NumPy's bool ** bool is int8): a ** True is a, a ** False is True
        if a.dtype.kind == "b":
            self.y = a | ~b
        else:
            self.y = _integer_power(self.xp, a, b) if b.dtype.kind in "iu" else _float_power(self.xp, a, b)
        return self.y

    def backward(self, gy):
        xp, a, b = self.xp, self.a, self.b
        ga = gb = None
        zero = xp.zeros((), dtype=gy.dtype)
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.needs_input_grad[0]:  # b a^(b-1), and 0 where b == 0 (torch's: x ** 0 is constant, at 0 too)
                ga = sum_to_shape(xp.where(b == 0, zero, gy * b * _float_power(xp, a, b - 1)), a.shape)
            if self.needs_input_grad[1]:
                # d(a**b)/db = a**b log a, and 0 where a == 0 <= b (the limit for b > 0, as torch's);
                # a == 0 > b gives inf * -inf = -inf, as torch's
                gb = sum_to_shape(xp.where((a == 0) & (b >= 0), zero, gy * self.y * xp.log(a)), b.shape)
        return ga, gb

    def backward_graph(self, inputs, gy):
        a, b = inputs
        ga = gb = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.needs_input_grad[0]:
                ga = sum_to(_masked(b._data == 0, gy * b * a ** (b - 1)), a.shape)
            if self.needs_input_grad[1]:
                gb = sum_to(_masked((a._data == 0) & (b._data >= 0), gy * a ** b * a.log()), b.shape)
        return ga, gb


def _masked(condition, t):
    """``t`` with 0 where the array ``condition`` holds (and no gradient flowing there)."""
    return where(constant(condition), 0.0, t)


def _float_power(xp, a, b):
    """a ** b, with torch's square roots for a number exponent: ** 0.5 is sqrt and ** -0.5 is 1 / sqrt
    (they differ from pow at -inf and -0: (-inf) ** 0.5 is NaN, (-0.) ** -0.5 is -inf)."""
    if b.ndim == 0 and b.dtype.kind == "f" and float(b) in (0.5, -0.5):
        root = xp.sqrt(a)
        return root if float(b) > 0 else 1 / root
    return a ** b


def _integer_power(xp, a, b):
    """a ** b for integers as torch: where b < 0 (NumPy refuses), 1 ** b is 1, (-1) ** b is -1 or
    1 by b's parity, any other base gives 0 (the truncated 1 / a ** |b|)."""
    negative = b < 0
    if not negative.any():
        return a ** b
    reciprocal = xp.where(a == 1, 1, xp.where(a == -1, 1 - 2 * (b % 2), 0)).astype(a.dtype)
    return xp.where(negative, reciprocal, a ** xp.where(negative, 0, b))


class Neg(Op):
    def forward(self, x):
        return -x

    backward_graph = linear_backward_graph

    def backward(self, gy):
        return -gy


FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _product(op, a, b):
    """a @ b by NumPy's matmul rules for arrays of 2 or more dims, one dtype, on the kernels' matmul
    (BLAS on minigrad's threads, transposed views read in place) where it takes the operands: float
    matrices, a stack of them with one batch shape, or a matrix shared by the batch (then the
    batch's rows make one product). Other cases (integers, batch shapes that broadcast) go to
    xp.matmul. Example: ``_product(self, gy, xp.swapaxes(b, -1, -2))``"""
    if a.dtype in FLOAT_DTYPES:
        if b.ndim == 2:  # (..., m, k) @ (k, n)
            rows = a if a.ndim == 2 else _matrix_of_rows(a)
            return op.kernels.matmul(rows, b).reshape(a.shape[:-1] + b.shape[-1:])
        if a.ndim == 2 or a.shape[:-2] == b.shape[:-2]:
            batch_a = a if a.ndim == 2 else _stack_of_matrices(a)
            out = op.kernels.matmul(batch_a, _stack_of_matrices(b))
            return out.reshape(b.shape[:-2] + out.shape[-2:])
    return op.xp.matmul(a, b)


def _matrix_of_rows(array):
    """(..., k) as (rows, k); sizes spelt out, not -1: with a 0 among them there is none to infer."""
    return array.reshape(math.prod(array.shape[:-1]), array.shape[-1])


def _stack_of_matrices(array):
    """(..., m, k) as (batch, m, k)."""
    return array.reshape((math.prod(array.shape[:-2]),) + array.shape[-2:])


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
        if a.ndim == 1 or b.ndim == 1:
            return self.xp.matmul(a, b)
        return _product(self, a, b)

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
            ga = sum_to_shape(_product(self, gy, self.xp.swapaxes(b2, -1, -2)), a2.shape).reshape(a.shape)
        if self.needs_input_grad[1]:
            if b2.ndim == 2 < a2.ndim:  # a matrix shared by the batch: its gradient summed over the
                gb = _product(self, _matrix_of_rows(a2).T, _matrix_of_rows(gy))  # batch in one product
            else:
                gb = sum_to_shape(_product(self, self.xp.swapaxes(a2, -1, -2), gy), b2.shape)
            gb = gb.reshape(b.shape)
        return ga, gb

    def backward_graph(self, inputs, gy):
        a, b = inputs
        a2 = a.unsqueeze(0) if a.ndim == 1 else a
        b2 = b.unsqueeze(-1) if b.ndim == 1 else b
        if b.ndim == 1:
            gy = gy.unsqueeze(-1)
        if a.ndim == 1:
            gy = gy.unsqueeze(-2)
        ga = sum_to(gy @ b2.transpose(-1, -2), a2.shape).reshape(a.shape) if self.needs_input_grad[0] else None
        gb = sum_to(a2.transpose(-1, -2) @ gy, b2.shape).reshape(b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class Exp(Op):
    def forward(self, x):
        x = as_float(x)
        self.y = self.xp.exp(x)
        return self.y

    def backward(self, gy):
        return gy * self.y

    def backward_graph(self, inputs, gy):
        return gy * inputs[0].exp()


class Log(Op):
    def forward(self, x):
        x = as_float(x)
        self.x = x
        return self.xp.log(x)

    def backward(self, gy):
        return gy / self.x

    def backward_graph(self, inputs, gy):
        return gy / inputs[0]


class Tanh(Op):
    """tanh on the compiled kernels (activation.h); the gradient gy (1 - y^2) from the output."""

    def forward(self, x):
        self.y = self.kernels.tanh_forward(as_float(x))
        return self.y

    def backward(self, gy):
        return self.kernels.tanh_backward(gy, self.y)

    def backward_graph(self, inputs, gy):
        y = inputs[0].tanh()
        return gy * (1 - y * y)


class Sigmoid(Op):
    """1 / (1 + exp(-x)) on the compiled kernels, in the stable form of activation.h (exact to
    float32's or float64's precision for negative x too); the gradient gy y (1 - y) from the output."""

    def forward(self, x):
        self.y = self.kernels.sigmoid_forward(as_float(x))
        return self.y

    def backward(self, gy):
        return self.kernels.sigmoid_backward(gy, self.y)

    def backward_graph(self, inputs, gy):
        y = inputs[0].sigmoid()
        return gy * y * (1 - y)


class Abs(Op):
    """|x|; the gradient at 0 and at NaN is 0, as torch's (its sign of NaN is 0)."""

    def forward(self, x):
        self.x = x
        return self.xp.abs(x)

    def backward(self, gy):
        x = self.x
        return gy * _sign(x, gy.dtype)

    def backward_graph(self, inputs, gy):
        return gy * constant(_sign(inputs[0]._data, gy.dtype))


def _sign(x, dtype):
    """torch's sign, 0 at NaN."""
    return (x > 0).astype(dtype) - (x < 0).astype(dtype)


class Sqrt(Op):
    def forward(self, x):
        self.y = self.xp.sqrt(as_float(x))
        return self.y

    def backward(self, gy):
        return gy / (2 * self.y)

    def backward_graph(self, inputs, gy):
        return gy / (2 * inputs[0].sqrt())


class Sin(Op):
    def forward(self, x):
        self.x = as_float(x)
        return self.xp.sin(self.x)

    def backward(self, gy):
        return gy * self.xp.cos(self.x)

    def backward_graph(self, inputs, gy):
        return gy * inputs[0].cos()


class Cos(Op):
    def forward(self, x):
        self.x = as_float(x)
        return self.xp.cos(self.x)

    def backward(self, gy):
        return -gy * self.xp.sin(self.x)

    def backward_graph(self, inputs, gy):
        return -gy * inputs[0].sin()


class Clamp(Op):
    """min(max(x, low), high), either bound None; NaN stays NaN, a NaN bound gives NaN, and the
    gradient flows where low <= x <= high (nowhere with a NaN bound), as torch's."""

    def __init__(self, low=None, high=None):
        self.low, self.high = low, high

    def forward(self, x):
        xp, y = self.xp, x
        for bound, beyond in ((self.low, xp.less), (self.high, xp.greater)):
            if bound is not None:  # where, not maximum: NaN stays; bound != bound: a NaN bound wins
                y = xp.where(beyond(y, bound) | (bound != bound), xp.asarray(bound, dtype=x.dtype), y)
        self.x = x
        return y

    def backward(self, gy):
        return gy * self._inside()

    def backward_graph(self, inputs, gy):
        return gy * constant(self.xp.asarray(self._inside(), gy.dtype))

    def _inside(self):
        inside = True
        if self.low is not None:
            inside = self.x >= self.low
        if self.high is not None:
            inside = inside & (self.x <= self.high)
        return inside


class ClampTensor(Op):
    """min(max(x, low), high) with tensor bounds (either may be absent: has_low, has_high say which
    arrive after x), all broadcast, in one dtype. torch's gradients: x's where low <= x <= high, low's
    where x < low < high, high's where x > high or high < low (there the result is high)."""

    def __init__(self, has_low, has_high):
        self.has_low, self.has_high = has_low, has_high

    def forward(self, x, *bounds):
        xp = self.xp
        bounds = iter(bounds)
        low = next(bounds) if self.has_low else None
        high = next(bounds) if self.has_high else None
        self.x, self.low, self.high = x, low, high
        y = x if low is None else xp.where((x < low) | (low != low), low, x)  # NaN stays, a NaN bound wins
        y = y if high is None else xp.where((y > high) | (high != high), high, y)
        return xp.broadcast_to(y, broadcast_shape(*(a.shape for a in (x, low, high) if a is not None))).copy()

    def backward(self, gy):
        return tuple(sum_to_shape(gy * mask, shape) for mask, shape in self._masks())

    def backward_graph(self, inputs, gy):
        return tuple(sum_to(gy * constant(mask.astype(gy.dtype)), shape) for mask, shape in self._masks())

    def _masks(self):
        """(where the gradient flows, the input's shape) for x, then low and high if present."""
        x, low, high = self.x, self.low, self.high
        inside, masks = True, []
        if low is not None:
            inside = x >= low
            below = (x < low) & (low < high) if high is not None else x < low
            masks.append((below, low.shape))
        if high is not None:
            inside = inside & (x <= high)
            above = (x > high) | (high < low) if low is not None else x > high
            masks.append((above, high.shape))
        return [(inside, x.shape), *masks]


class Maximum(Op):
    """Elementwise max(a, b) (``largest=False``: min) with broadcasting; NaN wins, and a tie sends
    half the gradient to each side, as torch's maximum/minimum. Each side gets the gradient unless it
    lost the comparison, so where either is NaN both get all of it, as torch's."""

    def __init__(self, largest=True):
        self.largest = largest

    def forward(self, a, b):
        if a.dtype is not b.dtype:
            a, b = promote(a, b)
        self.a, self.b = a, b
        return self.xp.maximum(a, b) if self.largest else self.xp.minimum(a, b)

    def backward(self, gy):
        return tuple(sum_to_shape(gy * share, shape) if needed else None
                     for (share, shape), needed in zip(self._shares(gy.dtype), self.needs_input_grad))

    def backward_graph(self, inputs, gy):
        return tuple(sum_to(gy * constant(share), shape) if needed else None
                     for (share, shape), needed in zip(self._shares(gy.dtype), self.needs_input_grad))

    def _shares(self, dtype):
        """(the share of the gradient, the input's shape) for a and b."""
        xp, a, b = self.xp, self.a, self.b
        a_loses, b_loses = (a < b, a > b) if self.largest else (a > b, a < b)
        tie = xp.where(a == b, 0.5, 1.0).astype(dtype)
        return (xp.where(a_loses, 0, tie), a.shape), (xp.where(b_loses, 0, tie), b.shape)


class Log1p(Op):
    """log(1 + x), accurate for small x."""

    def forward(self, x):
        self.x = as_float(x)
        return self.xp.log1p(self.x)

    def backward(self, gy):
        return gy / (1 + self.x)

    def backward_graph(self, inputs, gy):
        return gy / (1 + inputs[0])


class Expm1(Op):
    """exp(x) - 1, accurate for small x."""

    def forward(self, x):
        self.y = self.xp.expm1(as_float(x))
        return self.y

    def backward(self, gy):
        return gy * (self.y + 1)

    def backward_graph(self, inputs, gy):
        return gy * inputs[0].exp()


class Rsqrt(Op):
    """1 / sqrt(x)."""

    def forward(self, x):
        self.y = 1 / self.xp.sqrt(as_float(x))
        return self.y

    def backward(self, gy):
        return gy * (-0.5 * self.y * self.y * self.y)

    def backward_graph(self, inputs, gy):
        y = inputs[0].rsqrt()
        return gy * (-0.5 * y * y * y)


class Reciprocal(Op):
    """1 / x; integers give float32, as torch."""

    def forward(self, x):
        self.y = 1 / as_float(x)
        return self.y

    def backward(self, gy):
        return -gy * self.y * self.y

    def backward_graph(self, inputs, gy):
        y = inputs[0].reciprocal()
        return -gy * y * y


class Square(Op):
    """x * x; integers stay integers and bools become int64, as torch."""

    def forward(self, x):
        if x.dtype.kind == "b":
            x = x.astype("int64")
        self.x = x
        return x * x

    def backward(self, gy):
        return 2 * gy * self.x

    def backward_graph(self, inputs, gy):
        return 2 * gy * inputs[0]


class Log2(Op):
    """log(x) / log(base), base 2 (Log10: base 10)."""

    _function, _log_base = "log2", math.log(2)

    def forward(self, x):
        self.x = as_float(x)
        return getattr(self.xp, self._function)(self.x)

    def backward(self, gy):
        return gy / (self.x * self._log_base)

    def backward_graph(self, inputs, gy):
        return gy / (inputs[0] * self._log_base)


class Log10(Log2):
    _function, _log_base = "log10", math.log(10)


class Exp2(Op):
    """2 ** x."""

    def forward(self, x):
        self.y = self.xp.exp2(as_float(x))
        return self.y

    def backward(self, gy):
        return gy * self.y * math.log(2)

    def backward_graph(self, inputs, gy):
        return gy * inputs[0].exp2() * math.log(2)


class Sinh(Op):
    _function, _derivative = "sinh", "cosh"

    def forward(self, x):
        self.x = as_float(x)
        return getattr(self.xp, self._function)(self.x)

    def backward(self, gy):
        return gy * getattr(self.xp, self._derivative)(self.x)

    def backward_graph(self, inputs, gy):
        return gy * getattr(inputs[0], self._derivative)()


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

    def backward_graph(self, inputs, gy):
        x = inputs[0]
        return gy * (_TWO_OVER_SQRT_PI * (-x * x).exp())


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

    def backward_graph(self, inputs, gy):
        start, end, w = inputs
        gs = sum_to(gy * (1 - w), start.shape) if self.needs_input_grad[0] else None
        ge = sum_to(gy * w, end.shape) if self.needs_input_grad[1] else None
        gw = sum_to(gy * (end - start), w.shape) if self.needs_input_grad[2] else None
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
        y = _product(self, mat1, mat2)
        if self.alpha != 1:
            y = y * self.alpha
        if self.beta != 0:
            y = y + (input if self.beta == 1 else input * self.beta)
        return y

    def backward(self, gy):
        beta, alpha = self.beta, self.alpha
        gi = sum_to_shape(gy * beta, self.input_shape) if self.needs_input_grad[0] else None
        g1 = _product(self, gy, self.mat2.T) * alpha if self.needs_input_grad[1] else None
        g2 = _product(self, self.mat1.T, gy) * alpha if self.needs_input_grad[2] else None
        return gi, g1, g2

    def backward_graph(self, inputs, gy):
        _, mat1, mat2 = inputs
        gi = sum_to(gy * self.beta, self.input_shape) if self.needs_input_grad[0] else None
        g1 = (gy @ mat2.t()) * self.alpha if self.needs_input_grad[1] else None
        g2 = (mat1.t() @ gy) * self.alpha if self.needs_input_grad[2] else None
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

    def backward_graph(self, inputs, gy):
        return gy * constant(self.finite)


@tensor_method
def exp(input):
    """e ** input, elementwise. Example: ``mg.exp(mg.zeros(2))`` -> tensor([1., 1.])"""
    return Exp.apply(input)


@tensor_method
def log(input):
    """The natural logarithm, elementwise (-inf at 0, NaN below). Example: ``x.log()``"""
    return Log.apply(input)


@tensor_method
def sqrt(input):
    """The square root, elementwise (NaN below 0). Example: ``mg.tensor([4.0, 9.0]).sqrt()`` -> tensor([2., 3.])"""
    return Sqrt.apply(input)


@tensor_method
def abs(input):
    """The absolute value, elementwise. Example: ``mg.tensor([-1.5, 2.0]).abs()`` -> tensor([1.5, 2.])"""
    return Abs.apply(input)


@tensor_method
def sin(input):
    """The sine (radians), elementwise. Example: ``mg.zeros(2).sin()`` -> tensor([0., 0.])"""
    return Sin.apply(input)


@tensor_method
def cos(input):
    """The cosine (radians), elementwise. Example: ``mg.zeros(2).cos()`` -> tensor([1., 1.])"""
    return Cos.apply(input)


@tensor_method
def tanh(input):
    """The hyperbolic tangent, elementwise. Example: ``mg.zeros(2).tanh()`` -> tensor([0., 0.])"""
    return Tanh.apply(input)


@tensor_method
def sigmoid(input):
    """1 / (1 + exp(-x)), elementwise. Example: ``mg.zeros(2).sigmoid()`` -> tensor([0.5, 0.5])"""
    return Sigmoid.apply(input)


@tensor_method
def log1p(input):
    """log(1 + x), accurate near 0. Example: ``mg.zeros(2).log1p()`` -> tensor([0., 0.])"""
    return Log1p.apply(input)


@tensor_method
def expm1(input):
    """exp(x) - 1, accurate near 0. Example: ``mg.zeros(2).expm1()`` -> tensor([0., 0.])"""
    return Expm1.apply(input)


@tensor_method
def rsqrt(input):
    """1 / sqrt(x). Example: ``mg.tensor([4.0]).rsqrt()`` -> tensor([0.5])"""
    return Rsqrt.apply(input)


@tensor_method
def reciprocal(input):
    """1 / x (integers give float32, as torch).
    Example: ``mg.tensor([2, 4]).reciprocal()`` -> tensor([0.5, 0.25])"""
    return Reciprocal.apply(input)


@tensor_method
def square(input):
    """x * x (integers stay integers, bools become int64, as torch).
    Example: ``mg.tensor([2, 3]).square()`` -> tensor([4, 9])"""
    return Square.apply(input)


@tensor_method
def log2(input):
    """The base-2 logarithm, elementwise. Example: ``mg.tensor([1.0, 8.0]).log2()`` -> tensor([0., 3.])"""
    return Log2.apply(input)


@tensor_method
def log10(input):
    """The base-10 logarithm, elementwise. Example: ``mg.tensor([1.0, 10.0]).log10()`` -> tensor([0., 1.])"""
    return Log10.apply(input)


@tensor_method
def exp2(input):
    """2 ** x. Example: ``mg.tensor([3.0]).exp2()`` -> tensor([8.])"""
    return Exp2.apply(input)


@tensor_method
def sinh(input):
    """The hyperbolic sine, elementwise. Example: ``mg.zeros(2).sinh()`` -> tensor([0., 0.])"""
    return Sinh.apply(input)


@tensor_method
def cosh(input):
    """The hyperbolic cosine, elementwise. Example: ``mg.zeros(2).cosh()`` -> tensor([1., 1.])"""
    return Cosh.apply(input)


@tensor_method
def pow(input, exponent):
    """``input ** exponent`` (a tensor or number, broadcast). Example: ``mg.tensor([2.0, 3.0]).pow(2)`` -> tensor([4., 9.])"""
    return input ** exponent


@tensor_method(aliases=("clip",))
def clamp(input, min=None, max=None):
    """Values limited to [min, max] (either may be None); ``clip`` is the same.
    Example: ``mg.tensor([-2.0, 0.5, 2.0]).clamp(-1, 1)`` -> tensor([-1., 0.5, 1.])"""
    if min is None and max is None:
        raise ValueError("clamp needs at least one of min and max")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        return _clamp_tensor(input, min, max)
    for name, bound in (("min", min), ("max", max)):
        if bound is not None and not _args.is_real(bound):
            raise _args.ArgumentTypeError(f"clamp: {name} must be a number or None, got {type(bound).__name__}")
    if input._data.dtype.kind != "f" and any(isinstance(b, float) for b in (min, max)):
        return Clamp(min, max)(input.float())  # a float bound makes the result float32, as torch
    return Clamp(min, max)(input)


def _clamp_tensor(input, min, max):
    """clamp with a tensor bound (the other a tensor or None, as torch), in torch's result dtype."""
    if not all(b is None or isinstance(b, Tensor) for b in (min, max)):
        raise TypeError("clamp: min and max must both be tensors (or None) or both numbers, as torch's")
    bounds = [b for b in (min, max) if b is not None]
    dtype = common_dtype([result_dtype(input._data, bound._data) for bound in bounds])
    operands = [t if t.dtype == dtype else t.to(dtype) for t in (input, *bounds)]
    return ClampTensor(min is not None, max is not None)(*operands)


@tensor_method
def maximum(input, other):
    """Elementwise max with ``other`` (a tensor or number, broadcast); NaN wins, ties share the
    gradient equally, as torch. Example: ``mg.tensor([1.0, 5.0]).maximum(mg.tensor([3.0, 2.0]))`` -> [3., 5.]"""
    return Maximum(True)(input, input._operand(other))


@tensor_method
def minimum(input, other):
    """As maximum, for the elementwise min. Example: ``mg.tensor([1.0, 5.0]).minimum(mg.tensor([3.0, 2.0]))`` -> [1., 2.]"""
    return Maximum(False)(input, input._operand(other))


@tensor_method
def masked_fill(input, mask, value):
    """A copy with ``value`` (a number or one-element tensor, on any device; differentiable) wherever
    the bool ``mask`` (broadcastable to this shape) is True. A mask tensor must be on this tensor's
    device, as torch (0-d included); a list or array mask is built there.
    Example: ``x.masked_fill(x < 0, 0.0)``"""
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise ValueError(f"masked_fill's value must be a number or a one-element tensor, got shape {value.shape}")
        if value.requires_grad and input.dtype.kind == "f":  # torch differentiates w.r.t. the value too
            value = value.reshape(()).to(input.device, input.dtype)
        else:
            value = value.item()
    if not isinstance(mask, Tensor):  # a list or array has no device of its own
        mask = Tensor._wrap(backend.to_device(to_array(mask, None), input.device), False)
    elif mask.device != input.device:
        raise RuntimeError(f"masked_fill: expected the mask on the tensor's device ({input.device}), got it on "
                           f"{mask.device}; move it with mask.to({str(input.device)!r})")
    mask = bool_mask(mask, "masked_fill's mask")
    if broadcast_shape(mask.shape, input.shape) != input.shape:
        raise ValueError(f"masked_fill: mask of shape {mask.shape} does not broadcast to the tensor's shape {input.shape}")
    if not isinstance(value, Tensor):
        check_fill(value, input.dtype)
        value = Tensor._wrap(backend.to_device(np.asarray(value, dtype=input.dtype), input.device), False)
    return Where.apply(mask, value, input)


@tensor_method
def add(input, other, *deprecated, alpha=_args.NO_ALPHA):
    """input + alpha * other, in the dtype of input + other (alpha does not promote, as torch); torch's
    deprecated ``add(Number alpha, Tensor other)`` is accepted with its warning.
    Example: ``mg.tensor([1.0, 2.0]).add(mg.ones(2), alpha=10)`` -> tensor([11., 12.])"""
    other, alpha = _args.alpha_overload("add", other, deprecated, alpha)
    return input + _scaled(input, other, alpha, "add")


@tensor_method
def sub(input, other, *deprecated, alpha=_args.NO_ALPHA):
    """input - alpha * other (and torch's deprecated ``sub(Number alpha, Tensor other)``).
    Example: ``mg.tensor([1.0, 2.0]).sub(1)`` -> tensor([0., 1.])"""
    other, alpha = _args.alpha_overload("sub", other, deprecated, alpha)
    return input - _scaled(input, other, alpha, "sub")


def _scaled(input, other, alpha, what):
    """alpha * other for add and sub, in the dtype that input and other give (see alpha_factor)."""
    if type(alpha) is int and alpha == 1:
        return other
    other = input._operand(other)
    return other * alpha_factor(result_dtype(input._data, other._data), alpha, what)


@tensor_method
def mul(input, other):
    """``input * other`` (broadcast). Example: ``mg.tensor([1.0, 2.0]).mul(3)`` -> tensor([3., 6.])"""
    return input * other


@tensor_method
def div(input, other):
    """``input / other`` (true division; integers give float32). Example: ``mg.tensor([1, 2]).div(2)`` -> tensor([0.5, 1.])"""
    return input / other


@tensor_method
def neg(input):
    """``-input``. Example: ``mg.tensor([1.0, -2.0]).neg()`` -> tensor([-1., 2.])"""
    return -input


@tensor_method
def matmul(input, other):
    """``input @ other`` (NumPy's matmul rules: batched, 1-D operands as vectors). Example: ``mg.ones(2, 3).matmul(mg.ones(3)).shape`` -> (2,)"""
    return input @ other


@tensor_method
def isnan(input):
    """Where the entries are NaN, a bool tensor (no grad). Example: ``mg.tensor([1.0, float('nan')]).isnan()`` -> tensor([False, True])"""
    return Tensor._wrap(backend.array_module(input._data).isnan(input._data), False)


@tensor_method
def isinf(input):
    """Where the entries are +Inf or -Inf, a bool tensor (no grad). Example: ``mg.tensor([1.0, float('inf')]).isinf()`` -> tensor([False, True])"""
    return Tensor._wrap(backend.array_module(input._data).isinf(input._data), False)


@tensor_method
def isfinite(input):
    """Where the entries are neither NaN nor Inf, a bool tensor (no grad). Example: ``mg.tensor([1.0, float('inf')]).isfinite()`` -> tensor([True, False])"""
    return Tensor._wrap(backend.array_module(input._data).isfinite(input._data), False)


def _comparison(name, symbol):
    """``mg.<name>`` / ``x.<name>(other)``: the operator ``symbol`` as a function (torch.eq, torch.lt, ...)."""
    dunder = f"__{name}__"

    def compare(input, other):
        return getattr(input, dunder)(other)

    compare.__name__ = compare.__qualname__ = name
    compare.__doc__ = (f"``input {symbol} other`` as a bool tensor (no grad). "
                       f"Example: ``mg.tensor([1, 2]).{name}(2)``")
    return tensor_method(compare)


eq, ne, lt, le, gt, ge = (_comparison(name, symbol) for name, symbol in
                          (("eq", "=="), ("ne", "!="), ("lt", "<"), ("le", "<="), ("gt", ">"), ("ge", ">=")))


@tensor_method
def erf(input):
    """The error function 2/sqrt(pi) * integral_0^x exp(-t^2) dt (integers give float32).
    Example: ``mg.zeros(2).erf()`` -> tensor([0., 0.])"""
    return Erf.apply(input)


@tensor_method
def lerp(input, end, weight):
    """Linear interpolation ``input + weight * (end - input)``; end a tensor of input's dtype,
    weight a number or a tensor (of input's dtype, or 0-d); the three broadcast together, and all
    three get gradients. Example: ``mg.tensor([0.0, 2.0]).lerp(mg.tensor([4.0, 4.0]), 0.25)`` -> [1., 2.5]"""
    if not isinstance(end, Tensor):
        raise TypeError(f"lerp(): end must be a Tensor, got {type(end).__name__}")
    if input.dtype.kind != "f":
        raise TypeError(f"lerp() needs float tensors, got dtype {input.dtype}: convert with .float() first")
    if end.dtype != input.dtype:
        raise RuntimeError(f"lerp(): expected dtype {input.dtype} for end but got dtype {end.dtype}")
    if isinstance(weight, Tensor):
        if weight.dtype.kind != "f" or (weight.dtype != input.dtype and weight.ndim > 0):
            raise RuntimeError(f"lerp(): expected dtype {input.dtype} for weight but got dtype {weight.dtype}")
        weight = weight.to(input.dtype)
    elif isinstance(weight, numbers.Real):
        weight = Tensor._wrap(backend.to_device(np.asarray(weight, dtype=input.dtype), input.device), False)
    else:
        raise TypeError(f"lerp(): weight must be a number or a Tensor, got {type(weight).__name__}")
    if broadcast_shape(input.shape, end.shape, weight.shape) is None:
        raise RuntimeError(f"lerp(): self {input.shape}, end {end.shape} and weight {weight.shape} do not "
                           "broadcast to one shape")
    backend.common_array_module([input._data, end._data, weight._data], "lerp")
    return Lerp.apply(input, end, weight)


@tensor_method
def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """``beta * input + alpha * (mat1 @ mat2)`` (torch.addmm, input the input): mat1 (n, m) and mat2
    (m, p) matrices, input broadcastable to (n, p), all of one dtype; with beta=0 input is ignored
    (NaN in it does not propagate). Example: ``mg.addmm(bias, x, w.t())`` is a linear layer."""
    for label, t in (("mat1", mat1), ("mat2", mat2)):
        if not isinstance(t, Tensor):
            raise TypeError(f"addmm(): {label} must be a Tensor, got {type(t).__name__}")
        if t.ndim != 2:
            raise RuntimeError(f"addmm(): {label} must be a matrix, got a {t.ndim}-D tensor of shape {t.shape}")
    if mat1.shape[1] != mat2.shape[0]:
        raise RuntimeError(f"addmm(): mat1 and mat2 shapes cannot be multiplied "
                           f"({mat1.shape[0]}x{mat1.shape[1]} and {mat2.shape[0]}x{mat2.shape[1]})")
    if not input.dtype == mat1.dtype == mat2.dtype:
        raise RuntimeError(f"addmm(): self, mat1 and mat2 must have the same dtype, got {input.dtype}, "
                           f"{mat1.dtype} and {mat2.dtype}")
    shape = (mat1.shape[0], mat2.shape[1])
    if broadcast_shape(input.shape, shape) != shape:
        raise RuntimeError(f"addmm(): self of shape {input.shape} does not broadcast to the product's shape {shape}")
    for name, value in (("beta", beta), ("alpha", alpha)):
        if not isinstance(value, numbers.Real):
            raise TypeError(f"addmm(): {name} must be a number, got {type(value).__name__}")
        if input.dtype.kind != "f" and not isinstance(value, numbers.Integral):
            raise TypeError(f"addmm(): {name}={value!r} must be an int for integer tensors (dtype {input.dtype})")
    backend.common_array_module([input._data, mat1._data, mat2._data], "addmm")
    return AddMM(beta, alpha)(input, mat1, mat2)


@tensor_method
def outer(input, vec2):
    """The outer product of two 1-D tensors: ``out[i, j] = input[i] * vec2[j]`` (dtypes promote
    as for *). Example: ``mg.tensor([1.0, 2.0]).outer(mg.tensor([1.0, 10.0]))`` -> [[1., 10.], [2., 20.]]"""
    for label, t in (("self", input), ("vec2", vec2)):
        if not isinstance(t, Tensor):
            raise TypeError(f"outer(): {label} must be a Tensor, got {type(t).__name__}")
        if t.ndim != 1:
            raise RuntimeError(f"outer(): expected a 1-D argument {label}, but got {t.ndim}-D (shape {t.shape})")
    return input.reshape(-1, 1) * vec2


@tensor_method
def dot(input, other):
    """The inner product of two 1-D tensors of one dtype and size, a 0-d tensor (torch.dot:
    no broadcasting, no promotion). Example: ``mg.tensor([1.0, 2.0]).dot(mg.tensor([3.0, 4.0]))`` -> 11."""
    if not isinstance(other, Tensor):
        raise TypeError(f"dot(): other must be a Tensor, got {type(other).__name__}")
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"dot(): 1-D tensors expected, but got {input.ndim}-D and {other.ndim}-D tensors")
    if input.shape != other.shape:
        raise RuntimeError(f"dot(): inconsistent tensor size: {input.shape[0]} and {other.shape[0]} elements")
    if input.dtype != other.dtype:
        raise RuntimeError(f"dot(): expected both vectors to have the same dtype, but found {input.dtype} "
                           f"and {other.dtype}")
    return MatMul.apply(input, other)


@tensor_method
def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """NaN, +Inf and -Inf replaced by ``nan``, ``posinf`` and ``neginf`` (None: the dtype's largest
    and smallest finite values); integer tensors come back unchanged. The gradient is 0 where a
    value was replaced. Example: ``mg.tensor([float("nan"), 1.0]).nan_to_num()`` -> [0., 1.]"""
    for name, value in (("nan", nan), ("posinf", posinf), ("neginf", neginf)):
        if value is not None and not _args.is_real(value):
            raise _args.ArgumentTypeError(f"nan_to_num: {name} must be a number or None, got {type(value).__name__}")
    if nan is None:
        nan = 0.0
    return NanToNum(nan, posinf, neginf)(input)


@tensor_method
def logical_and(input, other):
    """Elementwise ``input != 0 and other != 0`` as a bool tensor (any dtypes; broadcast; no grad).
    Example: ``mg.tensor([0, 1, 2]).logical_and(mg.tensor([1, 1, 0]))`` -> tensor([False, True, False])"""
    return _logical(input, other, "logical_and")


@tensor_method
def logical_or(input, other):
    """Elementwise ``input != 0 or other != 0`` as a bool tensor (any dtypes; broadcast; no grad).
    Example: ``mg.tensor([0, 1]).logical_or(mg.tensor([0, 0]))`` -> tensor([False, True])"""
    return _logical(input, other, "logical_or")


@tensor_method
def logical_xor(input, other):
    """Elementwise: exactly one of ``input`` and ``other`` nonzero, as a bool tensor (broadcast; no grad).
    Example: ``mg.tensor([1, 1]).logical_xor(mg.tensor([0, 1]))`` -> tensor([True, False])"""
    return _logical(input, other, "logical_xor")


@tensor_method
def logical_not(input):
    """Elementwise ``input == 0`` as a bool tensor (NaN counts as nonzero, so gives False).
    Example: ``mg.tensor([0, 1]).logical_not()`` -> tensor([True, False])"""
    return Tensor._wrap(backend.array_module(input._data).logical_not(input._data), False)


def _logical(input, other, name):
    if not isinstance(other, Tensor):
        raise TypeError(f"{name}(): other must be a Tensor, got {type(other).__name__}")
    if broadcast_shape(input.shape, other.shape) is None:
        raise RuntimeError(f"{name}(): shapes {input.shape} and {other.shape} do not broadcast together")
    xp = backend.common_array_module([input._data, other._data], name)
    return Tensor._wrap(getattr(xp, name)(input._data, other._data), False)


@tensor_method
def mm(input, mat2):
    """Matrix product of two 2-D tensors (torch.mm): (n, m) @ (m, p) -> (n, p), differentiable.
    Example: ``mg.ones(2, 3).mm(mg.ones(3, 4)).shape`` -> (2, 4)"""
    return _matrix_product(input, mat2, 2, "mm")


@tensor_method
def bmm(input, mat2):
    """Batched matrix product of two 3-D tensors (torch.bmm): (b, n, m) @ (b, m, p) -> (b, n, p),
    differentiable; the batch sizes must be equal (no broadcasting, as torch).
    Example: ``mg.bmm(mg.ones(5, 2, 3), mg.ones(5, 3, 4)).shape`` -> (5, 2, 4)"""
    if isinstance(input, Tensor) and isinstance(mat2, Tensor) and input.ndim == mat2.ndim == 3 \
            and input.shape[0] != mat2.shape[0]:
        raise ValueError(f"bmm: batch sizes differ: {input.shape} and {mat2.shape}")
    return _matrix_product(input, mat2, 3, "bmm")


def _matrix_product(input, mat2, ndim, name):
    for label, t in (("input", input), ("mat2", mat2)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name} expects Tensors, got {type(t).__name__} for {label}")
        if t.ndim != ndim:
            raise ValueError(f"{name} expects {ndim}-D tensors, got {label} of shape {t.shape}")
    if input.shape[-1] != mat2.shape[-2]:  # torch's words: matmul's would name another op
        raise ValueError(f"{name}: mat1 and mat2 shapes cannot be multiplied ({'x'.join(map(str, input.shape[-2:]))} "
                         f"and {'x'.join(map(str, mat2.shape[-2:]))})")
    return input.matmul(mat2)


@torch_function
def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Elementwise |input - other| <= atol + rtol * |other| as a bool tensor (no gradient), as torch.
    Example: ``mg.isclose(mg.tensor([1.0, 2.0]), mg.tensor([1.0, 2.1]))`` -> tensor([True, False])"""
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError("isclose expects two Tensors")
    xp = backend.common_array_module([input._data, other._data], "isclose")
    return Tensor._wrap(xp.isclose(input._data, other._data, rtol=rtol, atol=atol, equal_nan=equal_nan), False)


@torch_function
def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True when every element is close (see isclose), as a Python bool (torch.allclose).
    Example: ``mg.allclose(x, x + 1e-9)`` -> True"""
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())
