"""The LayerNorm and GELU sections of the kernel front: checks and allocation, written once for both
devices, around the loops of either device.

(Until the shared front, ``front.Kernels``, lands, this class stands alone; its methods move into
that class under "LayerNorm" and "GELU" headers.)
"""
from ._checks import FLOAT64, check_eps, check_float_array, check_like


class LayersKernels:
    def __init__(self, loops, xp):
        self.loops, self.xp = loops, xp

    # ---- LayerNorm ------------------------------------------------------------------------------
    def layer_norm_forward(self, x, weight, bias, eps):
        """Normalise each row of x (M, D); weight, bias: (D,) or None. Returns (y, mean, invstd),
        y like x, mean and invstd float64 (M,) for the backward.

        >>> y, mean, invstd = kernels.layer_norm_forward(np.ones((4, 3)), None, None, 1e-5)
        """
        xp = self.xp
        check_float_array(x, "x", ndim=2, contiguous=False)
        check_eps(eps)
        for name, v in (("weight", weight), ("bias", bias)):
            if v is not None:
                check_like(v, name, x, "x", shape=(x.shape[1],), contiguous=False)
        x = xp.ascontiguousarray(x)
        # absent affine parameters become ones and zeros: the loops have no branches for them
        weight = xp.ones(x.shape[1], x.dtype) if weight is None else xp.ascontiguousarray(weight)
        bias = xp.zeros(x.shape[1], x.dtype) if bias is None else xp.ascontiguousarray(bias)
        y = xp.empty_like(x)
        mean, invstd = xp.empty(x.shape[0]), xp.empty(x.shape[0])
        self.loops.layer_norm_forward(x, weight, bias, float(eps), y, mean, invstd)
        return y, mean, invstd

    def layer_norm_backward(self, gy, x, mean, invstd, weight, needs_weight, needs_bias):
        """Gradients of LayerNorm over rows of x (M, D): returns (gx, gweight, gbias), the last two
        (D,) in x's dtype, or None when not needed. mean, invstd: float64 (M,) from the forward."""
        xp = self.xp
        check_float_array(x, "x", ndim=2, contiguous=False)
        check_like(gy, "gy", x, "x", contiguous=False)
        M, D = x.shape
        for name, v in (("mean", mean), ("invstd", invstd)):
            check_float_array(v, name, ndim=1)
            if v.dtype != FLOAT64 or v.shape != (M,):
                raise ValueError(f"{name} must be float64 of shape ({M},), got {v.dtype} {v.shape}")
        if weight is None:
            weight = xp.ones(D, x.dtype)
        else:
            check_like(weight, "weight", x, "x", shape=(D,), contiguous=False)
            weight = xp.ascontiguousarray(weight)
        gy, x = xp.ascontiguousarray(gy), xp.ascontiguousarray(x)
        gx, gweight, gbias = xp.empty_like(x), xp.empty(D, dtype=x.dtype), xp.empty(D, dtype=x.dtype)
        self.loops.layer_norm_backward(gy, x, mean, invstd, weight, gx, gweight, gbias)
        return gx, (gweight if needs_weight else None), (gbias if needs_bias else None)

    # ---- GELU -----------------------------------------------------------------------------------
    def gelu_forward(self, x, approximate):
        """GELU of x (any shape); approximate "none" (x * Phi(x)) or "tanh". Returns y like x."""
        check_float_array(x, "x", contiguous=False)
        tanh_approximation = check_gelu_approximate(approximate)
        x = self.xp.ascontiguousarray(x)
        y = self.xp.empty_like(x)
        self.loops.gelu_forward(x.reshape(-1), y.reshape(-1), tanh_approximation)
        return y

    def gelu_backward(self, gy, x, approximate):
        """gy * GELU'(x) for gy, x of one shape and dtype."""
        check_float_array(x, "x", contiguous=False)
        check_like(gy, "gy", x, "x", contiguous=False)
        tanh_approximation = check_gelu_approximate(approximate)
        gy, x = self.xp.ascontiguousarray(gy), self.xp.ascontiguousarray(x)
        gx = self.xp.empty_like(x)
        self.loops.gelu_backward(gy.reshape(-1), x.reshape(-1), gx.reshape(-1), tanh_approximation)
        return gx


def check_gelu_approximate(approximate):
    """True for "tanh", False for "none"; anything else is an error."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
    return approximate == "tanh"
