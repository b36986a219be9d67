"""Module-level forms of the Tensor methods (``mg.exp(x)`` is ``x.exp()``), and the functions that
join tensors: ``mg.cat``, ``mg.stack``, ``mg.where``. All differentiable where the method is."""
import builtins
import numbers

from . import _args, backend, ops
from .tensor import Tensor, _broadcast_shape, _condition, _like_value, _to_array

# Each name is a thin call of the Tensor method of the same name, with the same arguments.
_METHOD_FORMS = (
    "sqrt", "abs", "sin", "cos", "tanh", "sigmoid", "clamp", "clip", "pow",
    "sum", "mean", "prod", "std", "var", "max", "min", "amax", "amin", "argmax", "argmin", "all", "any",
    "norm", "flatten", "reshape", "transpose", "permute", "squeeze", "unsqueeze", "chunk", "split",
    "masked_fill", "t", "numel", "clone", "eq", "ne", "lt", "le", "gt", "ge", "matmul",
    "maximum", "minimum", "add", "sub", "mul", "div", "neg", "isnan", "isinf", "isfinite",
    "gather", "scatter", "scatter_add", "index_select", "take_along_dim", "masked_select", "nonzero", "unbind",
    "sort", "argsort", "topk", "cumsum", "cumprod", "flip", "roll", "tril", "triu",
    "log1p", "expm1", "rsqrt", "reciprocal", "square", "log2", "log10", "exp2", "sinh", "cosh",
    "sign", "floor", "ceil", "round", "trunc", "frac",
    "logsumexp", "erf", "lerp", "addmm", "outer", "dot", "broadcast_to", "narrow", "movedim", "moveaxis",
    "swapaxes", "swapdims", "diag", "trace", "nan_to_num", "logical_and", "logical_or", "logical_xor",
    "logical_not", "count_nonzero",
)


def _method_form(name, method=None):
    """mg.<name>(input, ...): the Tensor method, with a clear error when input is not a Tensor."""
    method = method or getattr(Tensor, name)

    def function(input, *args, **kwargs):
        if not isinstance(input, Tensor):
            raise TypeError(f"mg.{name} expects a Tensor as its first argument, got {type(input).__name__}")
        return method(input, *args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"``mg.{name}(x, ...)`` is ``x.{name}(...)``:\n\n{method.__doc__ or ''}"
    return function


# Several of these names (sum, max, all, abs, ...) shadow builtins here: the code below says builtins.
globals().update({name: _method_form(name) for name in _METHOD_FORMS})
globals().update({name: _method_form(name, fn) if name in ops.TENSOR_METHODS else fn
                  for name, fn in ops.TORCH_FUNCTIONS.items()})
__all__ = list(_METHOD_FORMS) + list(ops.TORCH_FUNCTIONS) + ["cat", "stack", "where", "mm", "bmm", "isclose", "allclose", "repeat_interleave"]


def _tensors(tensors, what):
    tensors = list(tensors) if isinstance(tensors, (list, tuple)) else None
    if not tensors or not builtins.all(isinstance(t, Tensor) for t in tensors):
        raise TypeError(f"{what} expects a non-empty list or tuple of Tensors")
    backend.common_array_module([t.data for t in tensors], what)
    return tensors


def cat(tensors, dim=0):
    """Tensors joined along an existing ``dim``; all shapes must agree except along ``dim``.

    Example: ``mg.cat([mg.zeros(2, 3), mg.ones(1, 3)]).shape`` -> (3, 3)
    """
    tensors = _tensors(tensors, "cat")
    first = tensors[0]
    dim = _args.dim_index(dim, first.ndim)
    for i, t in enumerate(tensors):
        if t.ndim != first.ndim or t.shape[:dim] + t.shape[dim + 1:] != first.shape[:dim] + first.shape[dim + 1:]:
            raise ValueError(f"cat: tensor {i} has shape {t.shape}, but tensor 0 has {first.shape}; "
                             f"shapes must match except along dim {dim}")
    if first.ndim == 0:
        raise ValueError("cat: zero-dimensional tensors cannot be concatenated; use mg.stack")
    return ops.Cat(dim)._call_once(*tensors)


def stack(tensors, dim=0):
    """Tensors of one shape stacked along a new ``dim`` (in [-ndim-1, ndim]).

    Example: ``mg.stack([mg.zeros(3), mg.ones(3)], dim=1).shape`` -> (3, 2)
    """
    tensors = _tensors(tensors, "stack")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise ValueError(f"stack: tensor {i} has shape {t.shape}, but tensor 0 has {tensors[0].shape}; "
                             "all must have the same shape")
    return ops.Stack(_args.dim_index(dim, tensors[0].ndim + 1))._call_once(*tensors)


def where(condition, input, other):
    """``input`` where the bool ``condition`` is True, else ``other``; the three broadcast together.
    input/other may be numbers (they take the other operand's dtype, as torch).

    Example: ``mg.where(x > 0, x, 0.0)`` is relu(x), with gradients to x where x > 0.
    """
    condition = _condition(condition, "where's condition")
    reference = input if isinstance(input, Tensor) else other if isinstance(other, Tensor) else None
    input, other = (_operand(value, reference, condition) for value in (input, other))
    if _broadcast_shape(condition.shape, input.shape, other.shape) is None:
        raise ValueError(f"where: condition {condition.shape}, input {input.shape} and other {other.shape} "
                         "do not broadcast to one shape")
    backend.common_array_module([condition.data, input.data, other.data], "where")
    return ops.Where.apply(condition, input, other)


def _operand(value, reference, condition):
    """A number as a 0-d tensor in the dtype torch gives it next to ``reference`` (mg.tensor's dtype
    when both sides are numbers), on the condition's device."""
    if isinstance(value, Tensor):
        return value
    if not isinstance(value, numbers.Number):
        raise TypeError(f"where's input and other must be Tensors or numbers, got {type(value).__name__}")
    array = _to_array(value, None) if reference is None else _like_value(reference.data, value)
    return Tensor._wrap(backend.to_device(array, condition.device), False)



def mm(input, mat2):
    """Matrix product of two 2-D tensors (torch.mm): (n, m) @ (m, p) -> (n, p), differentiable."""
    return _matrix_product(input, mat2, 2, "mm")


def bmm(input, mat2):
    """Batched matrix product of two 3-D tensors (torch.bmm): (b, n, m) @ (b, m, p) -> (b, n, p),
    differentiable; the batch sizes must be equal (no broadcasting, as torch)."""
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
    return input.matmul(mat2)


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Elementwise |input - other| <= atol + rtol * |other| as a bool tensor (no gradient), as torch."""
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError("isclose expects two Tensors")
    xp = backend.common_array_module([input.data, other.data], "isclose")
    return Tensor._wrap(xp.isclose(input.data, other.data, rtol=rtol, atol=atol, equal_nan=equal_nan), False)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True when every element is close (see isclose), as a Python bool (torch.allclose)."""
    return bool(isclose(input, other, rtol, atol, equal_nan).data.all())


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """``input.repeat_interleave(repeats, dim)``; with one argument, as torch, ``input`` holds the counts
    (a 1-D integer tensor) and the result repeats each index that often:
    ``mg.repeat_interleave(mg.tensor([1, 0, 2]))`` -> tensor([0, 2, 2])"""
    if not isinstance(input, Tensor):
        raise TypeError(f"mg.repeat_interleave expects a Tensor as its first argument, got {type(input).__name__}")
    if repeats is None:
        if input.ndim != 1 or input.dtype.kind not in "iu":
            raise RuntimeError(f"repeat_interleave(repeats): repeats must be a 1-D integer tensor, got dtype "
                               f"{input.dtype} and shape {input.shape}")
        xp = backend.array_module(input.data)
        positions = Tensor._wrap(xp.arange(input.shape[0], dtype="int64"), False)
        return positions.repeat_interleave(input, output_size=output_size)
    return input.repeat_interleave(repeats, dim, output_size=output_size)
