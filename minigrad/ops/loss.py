"""log_softmax, softmax and cross-entropy, computed stably (shifted by the maximum)."""
from ..autograd import Op
from ._dtypes import as_float


def _log_softmax(xp, x, dim):
    shifted = x - x.max(axis=dim, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))


class LogSoftmax(Op):
    def __init__(self, dim=-1):
        self.dim = dim

    def forward(self, x):
        self.y = _log_softmax(self.xp, as_float(x), self.dim)
        return self.y

    def backward(self, gy):
        return gy - self.xp.exp(self.y) * gy.sum(axis=self.dim, keepdims=True)


class Softmax(Op):
    def __init__(self, dim=-1):
        self.dim = dim

    def forward(self, x):
        self.y = self.xp.exp(_log_softmax(self.xp, as_float(x), self.dim))
        return self.y

    def backward(self, gy):
        return self.y * (gy - (gy * self.y).sum(axis=self.dim, keepdims=True))


class CrossEntropy(Op):
    """Mean over the batch of -log softmax(logits)[n, target[n]]; logits (N, C), target (N,) ints."""

    def __init__(self, target):
        self.target = target

    def forward(self, logits):
        xp = self.xp
        log_p = _log_softmax(xp, logits, 1)
        rows = xp.arange(logits.shape[0])
        self.probabilities, self.rows = xp.exp(log_p), rows
        return -log_p[rows, self.target].mean()

    def backward(self, gy):
        g = self.probabilities.copy()
        g[self.rows, self.target] -= 1
        g *= gy / g.shape[0]
        return g
