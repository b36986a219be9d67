"""In-place ops: forward writes its result into input 0's array and returns that array.

Tensor's in-place methods (``x += y``, ``x.mul_(2)``, ``x[i] = v`` ...) apply them; see
``Tensor._in_place`` for how the tensor takes its new place in the graph. Each op copies the
overwritten values only when its backward needs them (``needs_input_grad``).
"""
import numpy as np

from ..autograd import Op
from ..autograd.adjoint import constant
from ._broadcast import sum_to, sum_to_shape
from .shape import GetItem
from .shape import index_on_device


def inplace_result(x, y, inplace):
    """``y``, or, with inplace=True (torch's option), x overwritten with y and returned, as torch:
    gradients are the same, and an in-place change torch would refuse (a leaf that requires grad)
    is refused too. Example: ``inplace_result(x, ReLU.apply(x), inplace)``"""
    return x.copy_(y) if inplace else y


def _old_value(t, array):
    """Input ``t`` of an in-place op as it was before the op overwrote it: its saved copy ``array``,
    at t's place in the graph (t's own array holds the result now)."""
    old = type(t)._wrap(array, t._requires_grad)
    old._creator, old._index = t._creator, t._index
    return old


class _InPlaceOp(Op):
    """An op whose forward writes into input 0: backward_graph never reads input 0's array, which
    holds the result (the version check of create_graph leaves it out)."""

    overwrites_input = True


def _check_broadcast(op, target_shape, shape):
    """Refuse an operand shape that does not broadcast to the shape being written."""
    try:
        broadcast = np.broadcast_shapes(target_shape, shape)
    except ValueError:
        broadcast = None
    if broadcast != target_shape:
        raise RuntimeError(f"{type(op).__name__}: an operand of shape {shape} does not broadcast "
                           f"to the in-place target's shape {target_shape}")


def _check_fits(op, a, b, true_division=False):
    """Refuse an operand that does not broadcast to ``a`` or whose dtype ``a`` cannot hold
    (``true_division``: integers divide to float32, as torch's)."""
    _check_broadcast(op, a.shape, b.shape)
    result = np.result_type(a.dtype, b.dtype)
    if true_division and result.kind != "f":
        result = np.dtype(np.float32)
    if not np.can_cast(result, a.dtype, "same_kind"):
        raise RuntimeError(f"{type(op).__name__}: result type {result} can't be cast to the "
                           f"in-place target's dtype {a.dtype}")


class AddInPlace(_InPlaceOp):
    """a += alpha * b (sub_ is alpha = -alpha)."""

    def __init__(self, alpha=1):
        self.alpha = alpha

    def forward(self, a, b):
        _check_fits(self, a, b)
        self.b_shape = b.shape
        a += b if self.alpha == 1 else self.alpha * b
        return a

    def backward(self, gy):
        gb = sum_to_shape(gy if self.alpha == 1 else self.alpha * gy, self.b_shape) if self.needs_input_grad[1] else None
        return gy, gb

    def backward_graph(self, inputs, gy):
        gb = sum_to(gy if self.alpha == 1 else self.alpha * gy, self.b_shape) if self.needs_input_grad[1] else None
        return gy, gb


class MulInPlace(_InPlaceOp):
    def forward(self, a, b):
        _check_fits(self, a, b)
        if self.needs_input_grad[1]:
            self.a = a.copy()  # the old a, about to be overwritten
        if self.needs_input_grad[0] and self.xp.may_share_memory(a, b):
            b = b.copy()  # x.mul_(x): keep the factor that backward needs
        self.b = b
        a *= b
        return a

    def backward(self, gy):
        ga = gy * self.b if self.needs_input_grad[0] else None
        gb = sum_to_shape(gy * self.a, self.b.shape) if self.needs_input_grad[1] else None
        return ga, gb

    def backward_graph(self, inputs, gy):
        a, b = inputs
        b = b if b is not a else _old_value(a, self.b)  # x.mul_(x): b was a, overwritten since
        ga = gy * b if self.needs_input_grad[0] else None
        gb = sum_to(gy * _old_value(a, self.a), b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class DivInPlace(_InPlaceOp):
    def forward(self, a, b):
        _check_fits(self, a, b, true_division=True)
        if self.needs_input_grad[1]:
            self.a = a.copy()
        if self.needs_input_grad[0] and self.xp.may_share_memory(a, b):
            b = b.copy()
        self.b = b
        a /= b
        return a

    def backward(self, gy):
        ga = gy / self.b if self.needs_input_grad[0] else None
        gb = sum_to_shape(-gy * (self.a / self.b / self.b), self.b.shape) if self.needs_input_grad[1] else None
        return ga, gb

    def backward_graph(self, inputs, gy):
        a, b = inputs
        b = b if b is not a else _old_value(a, self.b)
        ga = gy / b if self.needs_input_grad[0] else None
        gb = sum_to(-gy * (_old_value(a, self.a) / b / b), b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class ClampInPlace(_InPlaceOp):
    """a = min(max(a, low), high) with either bound None; the gradient passes where low <= a <= high."""

    def __init__(self, low=None, high=None):
        if low is None and high is None:
            raise ValueError("clamp_: at least one of 'min' or 'max' must not be None")
        self.low, self.high = low, high

    def forward(self, a):
        for bound in (self.low, self.high):
            if isinstance(bound, float) and a.dtype.kind != "f":
                raise RuntimeError(f"ClampInPlace: a float bound ({bound}) makes a float result, which can't be "
                                   f"cast to the in-place target's dtype {a.dtype}")
        if self.needs_input_grad[0]:
            inside = a == a  # NaN stays NaN and passes its gradient, as torch
            if self.low is not None:
                inside &= a >= self.low
            if self.high is not None:
                inside &= a <= self.high
            self.inside = inside
        self.xp.clip(a, self.low, self.high, out=a)
        return a

    def backward(self, gy):
        return gy * self.inside

    def backward_graph(self, inputs, gy):
        return gy * constant(self.inside.astype(gy.dtype))


class CopyInPlace(_InPlaceOp):
    """a[...] = b, b broadcast to a's shape and cast to a's dtype."""

    def forward(self, a, b):
        _check_broadcast(self, a.shape, b.shape)
        self.b_shape = b.shape
        a[...] = b
        return a

    def backward(self, gy):
        return None, sum_to_shape(gy, self.b_shape)

    def backward_graph(self, inputs, gy):
        return None, sum_to(gy, self.b_shape)


class FillInPlace(_InPlaceOp):
    """a[...] = value, value a one-element array."""

    def forward(self, a, value):
        if value.size != 1:
            raise RuntimeError(f"fill_ takes a number or a one-element tensor, got a tensor of shape {value.shape}")
        self.value_shape = value.shape
        a[...] = value.reshape(())
        return a

    def backward(self, gy):
        return None, gy.sum().reshape(self.value_shape)

    def backward_graph(self, inputs, gy):
        return None, gy.sum().reshape(self.value_shape)


class SetItemInPlace(_InPlaceOp):
    """a[index] = value, value broadcast to the indexed shape. With ``then`` (indexing.torch_index_steps:
    torch's rule for ints among index arrays), ``a[index][then] = value``: a[index] is a view."""

    def __init__(self, index, then=None):
        self.index, self.then = index, then

    def _indexed(self, a):
        """(the array that the last index writes or reads, that index)."""
        return (a, self.index) if self.then is None else (a[self.index], self.then)

    def forward(self, a, value):
        if self.xp is not np:
            self.index, self.then = (index_on_device(i, self.xp) for i in (self.index, self.then))
        target, index = self._indexed(a)
        _check_broadcast(self, target[index].shape, value.shape)
        self.value_shape = value.shape
        target[index] = value
        return a

    def backward(self, gy):
        ga = gv = None
        if self.needs_input_grad[0]:
            ga = gy.copy()
            target, index = self._indexed(ga)
            target[index] = 0  # the overwritten values do not reach the output
        if self.needs_input_grad[1]:
            target, index = self._indexed(gy)
            gv = sum_to_shape(target[index], self.value_shape)
        return ga, gv

    def backward_graph(self, inputs, gy):
        ga = gv = None
        if self.needs_input_grad[0]:
            kept = self.backward(self.xp.ones(gy.shape, gy.dtype))[0]  # 1 where a's values reach the output
            ga = gy * constant(kept)
        if self.needs_input_grad[1]:
            picked = GetItem(self.index)(gy)
            gv = sum_to(picked if self.then is None else GetItem(self.then)(picked), self.value_shape)
        return ga, gv
