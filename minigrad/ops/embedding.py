"""Embedding lookup: rows of a weight matrix picked by integer indices."""
from .. import backend
from ..autograd import Op


class EmbeddingOp(Op):
    """weight[indices] for a (num_embeddings, dim) weight: output (*indices.shape, dim).
    Hyperparameters: indices (an integer array on the weight's device, already checked to be in
    range) and padding_idx (an int in range, or None). Rows picked several times add their
    gradients; the padding_idx row gets none."""

    def __init__(self, indices, padding_idx=None):
        self.indices, self.padding_idx = indices, padding_idx

    def forward(self, weight):
        self.weight_shape = weight.shape
        return self.xp.take(weight, self.indices, axis=0)

    def backward(self, gy):
        gw = self.xp.zeros(self.weight_shape, dtype=gy.dtype)
        backend.scatter_add(gw, self.indices.reshape(-1), gy.reshape(-1, self.weight_shape[1]))
        if self.padding_idx is not None:
            gw[self.padding_idx] = 0
        return gw
