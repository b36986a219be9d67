"""Ops that read or write a tensor at the positions an index tensor names along one dim, as torch's
gather, scatter and scatter_add. Repeated indices add their gradients (np.add.at on cpu,
cupyx.scatter_add on cuda, through backend.scatter_add, as GetItem's backward)."""
from .. import backend
from ..autograd import Op

INDEX_DTYPES = ("int64", "int32")  # torch's index dtypes


def check_index_dtype(index, what):
    if index.dtype.name not in INDEX_DTYPES:
        raise RuntimeError(f"{what}(): expected an int64 (or int32) index, got dtype {index.dtype}")


def check_index_range(index, size, dim, what, error=RuntimeError):
    """Every entry of ``index`` in [0, size) (negative indices are refused, as torch's gather)."""
    if index.size:
        low, high = int(index.min()), int(index.max())
        if low < 0 or high >= size:
            raise error(f"{what}(): index {low if low < 0 else high} is out of bounds for dimension {dim} "
                        f"with size {size}")


def positions_along(index, dim):
    """The advanced index that puts ``index`` at ``dim`` and each entry's own position on the other
    dims: ``a[positions_along(index, dim)]`` is torch's ``a.gather(dim, index)``."""
    xp = backend.array_module(index)
    return tuple(index if d == dim else xp.arange(n).reshape((-1,) + (1,) * (index.ndim - d - 1))
                 for d, n in enumerate(index.shape))


def _at_least_1d(array):
    """A 0-d array as shape (1,): torch lets a 0-d input meet a 0-d or 1-d index (and src)."""
    return array.reshape(1) if array.ndim == 0 else array


def _check_shapes(what, dim, self_shape, index, src_shape=None, self_name="input"):
    """torch's shape rules: one ndim for all; index no larger than self on every dim but ``dim``,
    and no larger than src on every dim."""
    for name, shape in ((self_name, self_shape), ("src", src_shape)):
        if shape is not None and len(shape) != index.ndim:
            raise RuntimeError(f"{what}(): index of shape {index.shape} must have as many dims as {name} "
                               f"of shape {shape}")
    for d, n in enumerate(index.shape):
        if d != dim and n > self_shape[d]:
            raise RuntimeError(f"{what}(): index of shape {index.shape} is larger than {self_name} of shape "
                               f"{self_shape} at dim {d} (only dim {dim} may be larger)")
        if src_shape is not None and n > src_shape[d]:
            raise RuntimeError(f"{what}(): index of shape {index.shape} is larger than src of shape "
                               f"{src_shape} at dim {d}")


class Gather(Op):
    """out[i][j][k] = x[index[i][j][k]][j][k] (for dim 0; likewise for other dims), of index's shape.
    The gradient adds each output's gradient at the position it was read from."""

    def __init__(self, dim):
        self.dim = dim

    def forward(self, x, index):
        x1, index1 = _at_least_1d(x), _at_least_1d(index)
        check_index_dtype(index, "gather")
        _check_shapes("gather", self.dim, x1.shape, index1)
        check_index_range(index1, x1.shape[self.dim], self.dim, "gather")
        self.in_shape, self.positions = x.shape, positions_along(index1, self.dim)
        return x1[self.positions].reshape(index.shape)

    def backward(self, gy):
        gx = self.xp.zeros(self.in_shape or (1,), dtype=gy.dtype)
        backend.scatter_add(gx, self.positions, gy.reshape(self.positions[self.dim].shape))
        return gx.reshape(self.in_shape), None


class Scatter(Op):
    """A copy of x with src's entries written (or, with ``accumulate``, added) at the positions index
    names along ``dim``: out[index[i][j]][j] = src[i][j] for dim 0. Inputs (x, index, src), or
    (x, index) with a number ``value`` in place of src. Only src's leading index.shape block is read.

    Where index repeats a position, scatter keeps the last write in NumPy's (C) order on cpu; on cuda
    which write wins is unspecified, as torch's scatter. scatter_add sums repeated positions.
    Gradients: x gets the output's gradient (zeroed where scatter overwrote it); src gets the output's
    gradient gathered at index (zero where src was not read)."""

    def __init__(self, dim, accumulate=False, value=None):
        self.dim, self.accumulate, self.value = dim, accumulate, value

    def forward(self, x, index, src=None):
        what = "scatter_add" if self.accumulate else "scatter"
        x1, index1 = _at_least_1d(x), _at_least_1d(index)
        check_index_dtype(index, what)
        src1 = None if src is None else _at_least_1d(src)
        if src is not None and src.dtype != x.dtype:
            raise RuntimeError(f"{what}(): src of dtype {src.dtype} must have the dtype of self, {x.dtype}")
        _check_shapes(what, self.dim, x1.shape, index1, None if src1 is None else src1.shape, "self")
        check_index_range(index1, x1.shape[self.dim], self.dim, what)
        self.positions = positions_along(index1, self.dim)
        self.src_shape = None if src is None else src.shape
        self.read = tuple(slice(0, n) for n in index1.shape)  # the block of src that is read
        values = self.value if src1 is None else src1[self.read]
        out = x1.copy()
        if self.accumulate:
            backend.scatter_add(out, self.positions, values)
        else:
            out[self.positions] = values
        return out.reshape(x.shape)

    def backward(self, gy):
        xp = self.xp
        gy1 = _at_least_1d(gy)
        gx = None
        if self.needs_input_grad[0]:
            gx = gy
            if not self.accumulate:
                gx = gy1.copy()
                gx[self.positions] = 0
                gx = gx.reshape(gy.shape)
        if self.src_shape is None:
            return gx, None
        gsrc = None
        if self.needs_input_grad[2]:
            gathered = gy1[self.positions]
            gsrc = xp.zeros(self.src_shape or (1,), dtype=gy.dtype)
            gsrc[self.read] = gathered
            gsrc = gsrc.reshape(self.src_shape)
        return gx, None, gsrc
