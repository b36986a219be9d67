"""sum, mean and max over axes, NumPy style (axis None, an int or a tuple; keepdims)."""
from ..autograd import Op


def _axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, tuple) else (axis,)
    for a in axes:
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(f"axis {a} is out of bounds for a tensor with {ndim} dimensions")
    return tuple(sorted(a % max(ndim, 1) for a in axes))


class _Reduction(Op):
    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def _grad_like_input(self, gy):
        """gy broadcast back to the input's shape (a read-only view)."""
        if not self.keepdims:
            gy = gy.reshape(self.kept_shape)
        return self.xp.broadcast_to(gy, self.in_shape)

    def _setup(self, x):
        self.in_shape = x.shape
        self.axes = _axes(self.axis, x.ndim)
        self.kept_shape = tuple(1 if i in self.axes else s for i, s in enumerate(x.shape))
        return self.axes


class Sum(_Reduction):
    def forward(self, x):
        return x.sum(axis=self._setup(x), keepdims=self.keepdims)

    def backward(self, gy):
        return self._grad_like_input(gy)


class Mean(_Reduction):
    def forward(self, x):
        axes = self._setup(x)
        self.count = 1
        for a in axes:
            self.count *= x.shape[a]
        return x.mean(axis=axes, keepdims=self.keepdims)

    def backward(self, gy):
        return self._grad_like_input(gy / self.count)


class Max(_Reduction):
    """Max over axes; the gradient is shared equally among tied maxima."""

    def forward(self, x):
        axes = self._setup(x)
        if x.size == 0:
            raise ValueError("max of an empty tensor")
        y = x.max(axis=axes, keepdims=True)
        self.mask = x == y
        return y if self.keepdims else y.reshape(tuple(s for i, s in enumerate(y.shape) if i not in axes))

    def backward(self, gy):
        mask = self.mask
        ties = mask.sum(axis=self.axes, keepdims=True)
        return self._grad_like_input(gy) * mask / ties
