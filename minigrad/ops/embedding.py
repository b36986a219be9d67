"""Embedding lookup: rows of a weight matrix picked by integer indices."""
from .. import backend
from ..autograd import Op


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
