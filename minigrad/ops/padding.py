"""Constant padding of the trailing dims (torch's F.pad); the op is shape.py's ConstantPad."""
from .. import _args
from ..tensor import Tensor
from .shape import ConstantPad

__all__ = ["pad"]


def pad(input, pad, mode="constant", value=0):
    """Pad input with ``value``: ``pad`` = (left, right) for the last dim, then (left, right) for
    the one before, and so on (negative widths crop), as torch.nn.functional.pad. Only mode
    "constant" is supported. Example: ``F.pad(mg.ones(2, 3), (1, 1)).shape`` -> (2, 5)"""
    if mode != "constant":
        raise ValueError(f"pad: only mode='constant' is supported, got {mode!r}")
    if not isinstance(input, Tensor):
        raise TypeError(f"pad takes a Tensor, got {type(input).__name__}")
    widths = tuple(pad) if isinstance(pad, (tuple, list)) else None
    if widths is None or len(widths) % 2 or len(widths) > 2 * input.ndim \
            or not all(_args.is_int(w) for w in widths):
        raise ValueError(f"pad must be a tuple of ints of even length at most 2 * {input.ndim} (the input's "
                         f"dims), got {pad!r}")
    pairs = [(int(widths[i]), int(widths[i + 1])) for i in range(0, len(widths), 2)]
    per_dim = [(0, 0)] * (input.ndim - len(pairs)) + pairs[::-1]
    return ConstantPad(tuple(per_dim), value)(input)
