"""Similarity between vectors along a dim: cosine_similarity."""
import numpy as np

from .. import _args, backend
from ..autograd import no_grad
from ..tensor import Tensor
from ._broadcast import broadcast_shape

__all__ = ["cosine_similarity"]


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """The cosine of the angle between x1 and x2 along ``dim``, as torch computes it now:
    sum((x1 / max(||x1||, eps)) * (x2 / max(||x2||, eps))), so |result| <= 1 and nothing overflows.
    x1 and x2 broadcast together; their float dtypes promote, an integer one takes the other's
    (both integer is refused). As torch, the clamp at eps is not differentiated: the gradient is that of
    x / ||x|| with the clamped value. Example:
    ``F.cosine_similarity(mg.tensor([[1.0, 0.0]]), mg.tensor([[1.0, 1.0]]))`` -> tensor([0.70710677])"""
    for name, t in (("x1", x1), ("x2", x2)):
        if not isinstance(t, Tensor):
            raise TypeError(f"cosine_similarity: {name} must be a Tensor, got {type(t).__name__}")
    floats = [t.dtype for t in (x1, x2) if t.dtype in backend.FLOAT_DTYPES]
    if not floats:
        raise TypeError(f"cosine_similarity needs a float tensor: x1 is {x1.dtype} and x2 is {x2.dtype}; convert "
                        f"one with .float() (or .double())")
    dtype = np.result_type(*floats)
    eps = _args.real(eps, "cosine_similarity: eps")
    shape = broadcast_shape(x1.shape, x2.shape)
    if shape is None:
        raise ValueError(f"cosine_similarity: x1 of shape {x1.shape} and x2 of shape {x2.shape} do not broadcast "
                         f"to one shape")
    dim = _args.dim_index(dim, len(shape))
    normalized = []
    for t in (x1, x2):
        t = (t if t.dtype == dtype else t.to(dtype)).expand(*shape)
        norm = t.norm(2, dim, keepdim=True).clone()
        with no_grad():  # torch clamps the norm in place without recording it
            norm.clamp_(min=eps)
        normalized.append(t / norm)
    return (normalized[0] * normalized[1]).sum(dim)
