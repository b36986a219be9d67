"""Padding the trailing dims (torch's F.pad): constant (shape.py's ConstantPad) and the modes that
copy the input's own values, reflect, replicate and circular (an index gather along each padded dim,
whose gradient scatter-adds back into the source positions)."""
import numpy as np

from .. import _args, backend
from ..autograd import Op
from ..autograd.adjoint import linear_backward_graph
from ..tensor import Tensor
from .shape import ConstantPad

__all__ = ["pad"]

_MODES = ("constant", "reflect", "replicate", "circular")


def reflect_sources(size, before, after):
    """Source index of each output position of a dim of ``size`` reflected by (before, after) (negative
    widths crop): -1 reads 1, size reads size - 2 (the edge itself is not repeated)."""
    j = np.arange(-before, size + after)
    return np.where(j < 0, -j, np.where(j >= size, 2 * (size - 1) - j, j))


def replicate_sources(size, before, after):
    """The edge value repeated: source min(max(j, 0), size - 1)."""
    return np.clip(np.arange(-before, size + after), 0, size - 1)


def circular_sources(size, before, after):
    """Wrapped around what is left after cropping (as torch: negative widths crop first): the kept
    entries start..start + kept - 1 are read at start + (j mod kept)."""
    start, kept = max(-before, 0), size - max(-before, 0) - max(-after, 0)
    return start + np.arange(-max(before, 0), kept + max(after, 0)) % kept


_SOURCES = {"reflect": reflect_sources, "replicate": replicate_sources, "circular": circular_sources}


class GatherPad(Op):
    """y = x indexed by ``sources[k]`` along axis ``axes[k]``, for each k: every output entry copies one
    input entry (an input entry may feed several, and their gradients add up)."""

    def __init__(self, axes, sources):
        self.axes, self.sources = tuple(axes), tuple(sources)

    def forward(self, x):
        self.in_shape = x.shape
        self.device_sources = [s if self.xp is np else self.xp.asarray(s) for s in self.sources]
        for axis, index in zip(self.axes, self.device_sources):
            x = self.xp.take(x, index, axis=axis)
        return x

    backward_graph = linear_backward_graph

    def backward(self, gy):
        for axis, index in reversed(list(zip(self.axes, self.device_sources))):
            g = self.xp.zeros(gy.shape[:axis] + (self.in_shape[axis],) + gy.shape[axis + 1:], dtype=gy.dtype)
            backend.scatter_add(g, (slice(None),) * axis + (index,), gy)
            gy = g
        return gy


def pad(input, pad, mode="constant", value=None):
    """Pad input's last dims: ``pad`` = (left, right) for the last dim, then (left, right) for the one
    before, and so on, as torch.nn.functional.pad. mode:

    - "constant": fill with ``value`` (default 0); any number of dims, negative widths crop.
    - "reflect": mirror at the edge without repeating it (widths < the dim's size);
    - "replicate": repeat the edge value;
    - "circular": wrap around (widths <= the dim's size).

    The last three pad the last 1, 2 or 3 dims of a (C, *) or (N, C, *) input (pad of length 2: 2-D or
    3-D input; 4: 3-D or 4-D; 6: 4-D or 5-D), take no ``value``, and their gradient adds each output
    entry's gradient into the input entry it copies.

    Example: ``F.pad(mg.arange(4.0).reshape(1, 4), (2, 1), mode="reflect")`` -> tensor([[2., 1., 0., 1., 2., 3., 2.]])
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"pad takes a Tensor, got {type(input).__name__}")
    if mode not in _MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}; F.pad takes one of {', '.join(_MODES)}")
    widths = tuple(pad) if isinstance(pad, (tuple, list)) else None
    if widths is None or len(widths) % 2 or len(widths) > 2 * input.ndim \
            or not all(_args.is_int(w) for w in widths):
        raise ValueError(f"pad must be a tuple of ints of even length at most 2 * {input.ndim} (the input's "
                         f"dims), got {pad!r}")
    pairs = [(int(widths[i]), int(widths[i + 1])) for i in range(0, len(widths), 2)]
    if mode == "constant":
        per_dim = [(0, 0)] * (input.ndim - len(pairs)) + pairs[::-1]
        return ConstantPad(tuple(per_dim), 0 if value is None else value)(input)
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    padded = len(pairs)
    if padded not in (1, 2, 3) or input.ndim not in (padded + 1, padded + 2):
        raise NotImplementedError(f"Padding size {len(widths)} is not supported for {input.ndim}D input tensor: "
                                  f"mode {mode!r} takes 2 widths for 2D or 3D input, 4 for 3D or 4D input, 6 for 4D "
                                  f"or 5D input (the last 1, 2 or 3 dims of a (C, *) or (N, C, *) input)")
    if mode != "circular" and 0 in input.shape[input.ndim - padded - 1:]:
        raise RuntimeError(f"Expected {padded + 1}D or {padded + 2}D (batch mode) tensor with possibly 0 batch size "
                           f"and other non-zero dimensions for input, but got: {list(input.shape)}")
    axes, sources = [], []
    for k, (before, after) in enumerate(pairs):
        axis = input.ndim - 1 - k
        size = input.shape[axis]
        _check_widths(mode, before, after, size, axis, input.shape)
        axes.append(axis)
        sources.append(_SOURCES[mode](size, before, after))
    return GatherPad(axes, sources)(input)


def _check_widths(mode, before, after, size, axis, shape):
    """torch's limits: a result of at least one entry (circular: may be empty), reflect widths < the
    size (a mirror image needs that many entries past the edge), circular widths <= the size, and
    something left to wrap around after a negative width crops."""
    out_size, name = size + before + after, "WHD"[len(shape) - 1 - axis]
    if out_size < (0 if mode == "circular" else 1):
        raise RuntimeError(f"input ({name}: {size}) is too small. Calculated output {name}: {out_size} (padding "
                           f"({before}, {after}) in {mode} mode)")
    if mode == "reflect" and not (before < size and after < size):
        raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input dimension, but "
                           f"got: padding ({before}, {after}) at dimension {axis} of input {list(shape)}")
    if mode == "circular" and not (before <= size and after <= size):
        raise RuntimeError(f"Padding value causes wrapping around more than once: padding ({before}, {after}) at "
                           f"dimension {axis} of size {size} (circular widths must be <= the size)")
    if mode == "circular" and out_size and size - max(-before, 0) - max(-after, 0) <= 0:  # torch reads garbage
        raise RuntimeError(f"circular padding ({before}, {after}) crops all of dimension {axis} of size {size} "
                           f"and leaves nothing to wrap around")
