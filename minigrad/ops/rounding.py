"""Piecewise-constant elementwise functions (sign, floor, ceil, round, trunc): their gradient is 0
everywhere, as torch's; and frac (x - trunc(x)), whose gradient is 1."""
from .. import _args
from ..autograd import Op
from ._table import tensor_method


class _PiecewiseConstant(Op):
    """An elementwise function whose gradient is 0 (torch's, including at the jumps)."""

    def backward(self, gy):
        return self.xp.zeros_like(gy)

    def backward_graph(self, inputs, gy):
        return gy * 0.0


def _refuse_bool(x, name):
    if x.dtype.kind == "b":
        raise TypeError(f"{name}() is not defined for bool tensors, as in torch: convert with .long() or .float()")


class Sign(_PiecewiseConstant):
    """-1, 0 or 1 in the input's dtype (bools stay bools); NaN gives 0, as torch's sign."""

    def forward(self, x):
        if x.dtype.kind == "b":
            return x.copy()
        return (x > 0).astype(x.dtype) - (x < 0).astype(x.dtype)


class Floor(_PiecewiseConstant):
    def forward(self, x):
        _refuse_bool(x, "floor")
        return self.xp.floor(x) if x.dtype.kind == "f" else x.copy()


class Ceil(_PiecewiseConstant):
    def forward(self, x):
        _refuse_bool(x, "ceil")
        return self.xp.ceil(x) if x.dtype.kind == "f" else x.copy()


class Trunc(_PiecewiseConstant):
    def forward(self, x):
        _refuse_bool(x, "trunc")
        return self.xp.trunc(x) if x.dtype.kind == "f" else x.copy()


class Round(_PiecewiseConstant):
    """Rounding half to even to ``decimals`` places, as torch: with decimals >= 0,
    rint(x * 10**decimals) / 10**decimals; below 0, rint(x / 10**-decimals) * 10**-decimals, computed in
    the input's dtype. Integers (decimals 0 only) come back unchanged."""

    def __init__(self, decimals=0):
        self.decimals = decimals

    def forward(self, x):
        _refuse_bool(x, "round")
        xp, decimals = self.xp, self.decimals
        if x.dtype.kind != "f":
            if decimals != 0:
                raise TypeError(f"round(decimals={decimals}) is not defined for integer tensors "
                                f"(dtype {x.dtype}), as in torch: convert with .float() first")
            return x.copy()
        if decimals == 0:
            return xp.rint(x)
        scale = xp.asarray(10.0 ** abs(decimals), dtype=x.dtype)
        return xp.rint(x * scale) / scale if decimals > 0 else xp.rint(x / scale) * scale


class Frac(Op):
    """x - trunc(x) (the sign of x kept); float tensors only, as torch. The gradient is 1."""

    def forward(self, x):
        if x.dtype.kind != "f":
            raise TypeError(f"frac() needs a float tensor, got dtype {x.dtype}, as in torch: convert with .float() first")
        return x - self.xp.trunc(x)

    def backward(self, gy):
        return gy

    def backward_graph(self, inputs, gy):
        return gy


@tensor_method
def sign(input):
    """-1, 0 or 1 in this tensor's dtype (NaN gives 0, as torch).
    Example: ``mg.tensor([-2.0, 0.0, 3.0]).sign()`` -> tensor([-1., 0., 1.])"""
    return Sign.apply(input)


@tensor_method
def floor(input):
    """Rounded down (integer tensors unchanged). Example: ``mg.tensor([-1.5, 1.5]).floor()`` -> tensor([-2., 1.])"""
    return Floor.apply(input)


@tensor_method
def ceil(input):
    """Rounded up (integer tensors unchanged). Example: ``mg.tensor([-1.5, 1.5]).ceil()`` -> tensor([-1., 2.])"""
    return Ceil.apply(input)


@tensor_method
def trunc(input):
    """Rounded toward zero. Example: ``mg.tensor([-1.5, 1.5]).trunc()`` -> tensor([-1., 1.])"""
    return Trunc.apply(input)


@tensor_method
def round(input, *, decimals=0):
    """Rounded half to even (``mg.tensor([0.5, 1.5, 2.5]).round()`` -> [0., 2., 2.]), to ``decimals``
    decimal places (negative: to tens, hundreds, ...), as torch. Example: ``x.round(decimals=2)``"""
    return Round(_args.integer(decimals, "round: decimals"))(input)


@tensor_method
def frac(input):
    """x - trunc(x), with x's sign (float tensors only); the gradient is 1.
    Example: ``mg.tensor([-1.5, 2.25]).frac()`` -> tensor([-0.5, 0.25])"""
    return Frac.apply(input)
