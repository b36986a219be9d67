"""Gradient clipping (PyTorch's torch.nn.utils.clip_grad_norm_ / clip_grad_value_)."""
import math

import numpy as np

from ... import _args, backend
from ...tensor import Tensor


def _grads(parameters, what):
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for p in parameters:
        if not isinstance(p, Tensor):
            raise TypeError(f"{what} takes Tensors (for example model.parameters()), got {type(p).__name__}")
    return [p.grad._data for p in parameters if p.grad is not None]


def _norm(array, norm_type):
    """The vector norm of ``array`` (all its entries) of order norm_type, accumulated in float64,
    as a 0-d float64 array on array's device."""
    xp = backend.array_module(array)
    magnitude = xp.abs(array.astype(np.float64, copy=False))
    if norm_type == math.inf:
        return magnitude.max() if magnitude.size else xp.zeros((), np.float64)
    if norm_type == 0:
        return (magnitude != 0).sum().astype(np.float64)
    if norm_type == 1:
        return magnitude.sum()
    if norm_type == 2:
        return xp.sqrt((magnitude * magnitude).sum())
    return (magnitude ** norm_type).sum() ** (1.0 / norm_type)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale the gradients of ``parameters`` in place so that their total norm (the norm of the
    vector of every gradient entry, of order norm_type: a positive number, 0 or math.inf) is at most
    max_norm: each gradient is multiplied by min(1, max_norm / (total_norm + 1e-6)). Returns the total
    norm before clipping as a 0-d Tensor. As in PyTorch, a NaN or infinite total norm scales the
    gradients by NaN or 0, unless error_if_nonfinite=True, which raises instead. Parameters
    without a gradient are skipped.

    Example::

        loss.backward()
        total = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        opt.step()
    """
    if isinstance(norm_type, str) and norm_type == "inf":
        norm_type = math.inf
    norm_type = _args.real(norm_type, "clip_grad_norm_: norm_type", 0)
    max_norm = float(max_norm)
    grads = _grads(parameters, "clip_grad_norm_")
    if not grads:
        return Tensor(np.zeros((), np.float32))
    xp = backend.common_array_module(grads, "clip_grad_norm_")
    dtype = np.result_type(*grads)
    # PyTorch takes the norm of each gradient (in its dtype), then the norm of those norms
    norms = xp.stack([xp.asarray(_norm(g, norm_type), dtype=dtype) for g in grads])
    total = xp.asarray(_norm(norms, norm_type), dtype=dtype)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(f"the total norm of order {norm_type} of the gradients is {float(total)}, so they cannot "
                           "be clipped; pass error_if_nonfinite=False to scale them by it anyway")
    coefficient = xp.minimum(dtype.type(max_norm) / (total + dtype.type(1e-6)), dtype.type(1.0))
    with np.errstate(invalid="ignore"):  # an infinite entry times a zero coefficient is NaN, as in PyTorch
        for g in grads:
            g *= coefficient.astype(g.dtype)
    return Tensor(total)


def clip_grad_value_(parameters, clip_value):
    """Clamp every gradient entry of ``parameters`` to [-clip_value, clip_value] in place (NaN stays
    NaN). Parameters without a gradient are skipped.

    Example: ``nn.utils.clip_grad_value_(model.parameters(), 0.5)``
    """
    _args.real(clip_value, "clip_grad_value_: clip_value", 0)
    for g in _grads(parameters, "clip_grad_value_"):
        backend.array_module(g).clip(g, -clip_value, clip_value, out=g)
