"""Embedding lookup (rows of a weight matrix picked by integer indices) and one_hot encoding."""
import numpy as np

from .. import _args, backend
from ..autograd import Op
from ..autograd.adjoint import constant, linear_backward_graph
from ..tensor import Tensor
from ._tensor_checks import check_same_dtype
from .shape import where

__all__ = ["embedding", "one_hot"]


class EmbeddingOp(Op):
    """weight[indices] for a (num_embeddings, dim) weight: output (*indices.shape, dim).
    Inputs (weight, indices): indices an integer array on the weight's device, already checked to be
    in range; an input (not a hyperparameter), so that changing it in place before backward is
    detected, as for Gather's index. Hyperparameter: padding_idx (an int in range, or None). Rows
    picked several times add their gradients; the padding_idx row gets none."""

    def __init__(self, padding_idx=None):
        self.padding_idx = padding_idx

    def forward(self, weight, indices):
        self.weight_shape, self.indices = weight.shape, indices
        return self.xp.take(weight, indices, axis=0)

    def backward(self, gy):
        gw = self.xp.zeros(self.weight_shape, dtype=gy.dtype)
        backend.scatter_add(gw, self.indices.reshape(-1), gy.reshape(-1, self.weight_shape[1]))
        if self.padding_idx is not None:
            gw[self.padding_idx] = 0
        return gw, None

    def backward_graph(self, inputs, gy):
        if self.padding_idx is not None:  # zeroed first: the adjoint of the scatter is then the lookup
            gy = where(constant((self.indices != self.padding_idx)[..., None]), gy, 0.0)
        return linear_backward_graph(self, inputs, gy)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """Rows of weight (num_embeddings, dim) picked by the integer (int64 or int32) indices input of
    any shape: returns (*input.shape, dim). Differentiable in weight: a row picked several times adds
    its gradients, and the padding_idx row (negative counts from the end) gets none. max_norm,
    scale_grad_by_freq and sparse are not supported.

    Example: ``F.embedding(mg.tensor([[0, 2], [1, 0]]), mg.randn(3, 4)).shape`` -> (2, 2, 4)
    """
    if max_norm is not None:
        raise NotImplementedError("embedding: max_norm (renormalising rows in place) is not supported; "
                                  "pass max_norm=None")
    if scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: scale_grad_by_freq=True and sparse=True are not supported")
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(f"embedding takes Tensors (indices, weight), got {type(input).__name__} and "
                        f"{type(weight).__name__}")
    if input.dtype not in (np.int64, np.int32):
        raise TypeError(f"embedding: indices must be int64 (or int32), got {input.dtype}; convert them with .long()")
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got shape {weight.shape}")
    check_same_dtype(weight)
    if input.device != weight.device:
        raise RuntimeError(f"embedding: indices are on {input.device} but weight is on {weight.device}; "
                           "move them to one device")
    num_embeddings = weight.shape[0]
    padding_idx = padding_index(padding_idx, num_embeddings, "embedding")
    indices = input._data
    if indices.size:
        lowest, highest = int(indices.min()), int(indices.max())
        if lowest < 0 or highest >= num_embeddings:
            raise IndexError(f"embedding: indices must be in [0, {num_embeddings}) for a weight of "
                             f"{num_embeddings} embeddings, got values in [{lowest}, {highest}]")
    return EmbeddingOp(padding_idx)(weight, input)


def padding_index(padding_idx, num_embeddings, name):
    """padding_idx as an int in [0, num_embeddings) (negative counts from the end), or None."""
    if padding_idx is None:
        return None
    padding_idx = _args.integer(padding_idx, f"{name}: padding_idx")
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(f"{name}: padding_idx must be within num_embeddings: in [{-num_embeddings}, "
                         f"{num_embeddings}), got {padding_idx}")
    return int(padding_idx) % num_embeddings


def one_hot(tensor, num_classes=-1):
    """int64 one-hot encoding: shape (*tensor.shape, num_classes), 1 at each index. num_classes=-1
    takes the largest index + 1. Example: ``F.one_hot(mg.tensor([0, 2]), 3)`` ->
    tensor([[1, 0, 0], [0, 0, 1]])"""
    indices = tensor._data if isinstance(tensor, Tensor) else tensor
    if not hasattr(indices, "dtype") or indices.dtype.kind not in "iu":
        raise TypeError(f"one_hot takes a tensor of integer class indices, got "
                        f"{getattr(indices, 'dtype', type(indices).__name__)}")
    num_classes = _args.integer(num_classes, "one_hot: num_classes", minimum=-1)  # -1: inferred
    xp = backend.array_module(indices)
    if indices.size and int(indices.min()) < 0:
        raise ValueError(f"one_hot: class values must be non-negative, got {int(indices.min())}")
    largest = int(indices.max()) if indices.size else -1
    if num_classes == -1:
        if not indices.size:
            raise ValueError("one_hot: cannot infer num_classes from an empty tensor; pass num_classes")
        num_classes = largest + 1
    elif largest >= num_classes:
        raise ValueError(f"one_hot: class values must be smaller than num_classes={num_classes}, got {largest}")
    encoded = (indices[..., None] == xp.arange(num_classes)).astype(xp.int64)
    return Tensor._wrap(encoded, False)
