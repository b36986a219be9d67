"""log_softmax, softmax and the losses; log-probabilities are computed stably (shifted by the maximum)."""
import numpy as np

from ..autograd import Op
from ._broadcast import sum_to_shape
from .._dtypes import as_float


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
    """Cross-entropy of logits (M, C) against class indices target (M,), PyTorch's rules.

    Row n with target y (skipped when y == ignore_index; None: no row is skipped) costs
    (1 - s) * w[y] * -log p[n, y] + s / C * sum_c w[c] * -log p[n, c], s = label_smoothing,
    w = weight (ones when None). reduction "mean" divides the sum by sum of w[y] over kept rows
    (the number of kept rows without weight), "sum" adds, "none" returns the (M,) costs.
    """

    def __init__(self, target, weight=None, ignore_index=-100, label_smoothing=0.0, reduction="mean"):
        self.target, self.weight, self.ignore_index = target, weight, ignore_index
        self.label_smoothing, self.reduction = label_smoothing, reduction

    def forward(self, logits):
        xp, target, smoothing = self.xp, self.target, self.label_smoothing
        M, C = logits.shape
        log_p = _log_softmax(xp, logits, 1)
        kept = None if self.ignore_index is None else target != self.ignore_index
        self.plain = self.weight is None and not smoothing and self.reduction == "mean" and \
            (kept is None or bool(kept.all()))
        if self.plain:  # the everyday case: the mean of -log p[n, y], without the masks and weights below
            self.probabilities, self.rows = xp.exp(log_p), xp.arange(M)
            return -log_p[self.rows, target].mean()
        self.kept = xp.ones(M, dtype=bool) if kept is None else kept
        safe_target = xp.where(self.kept, target, 0)  # ignored rows index class 0, then are masked
        rows = xp.arange(M)
        target_weight = xp.ones(M, dtype=logits.dtype) if self.weight is None else self.weight[safe_target]
        self.target_weight = xp.where(self.kept, target_weight, 0)
        cost = -log_p[rows, safe_target] * self.target_weight * (1 - smoothing)
        if smoothing:
            class_weights = -log_p if self.weight is None else -log_p * self.weight
            cost = cost + smoothing / C * class_weights.sum(axis=1)
        cost = xp.where(self.kept, cost, 0)  # also where an ignored row holds NaN
        self.probabilities, self.rows, self.safe_target = xp.exp(log_p), rows, safe_target
        if self.reduction == "none":
            return cost
        total = cost.sum()
        if self.reduction == "sum":
            return total
        self.denominator = self.target_weight.sum()
        with np.errstate(invalid="ignore", divide="ignore"):  # every target ignored: NaN, as PyTorch
            return total / self.denominator

    def backward(self, gy):
        xp, smoothing = self.xp, self.label_smoothing
        M, C = self.probabilities.shape
        if self.plain:
            g = self.probabilities.copy()
            g[self.rows, self.target] -= 1
            g *= gy / M
            return g
        if self.reduction == "none":
            scale = gy[:, None]
        else:
            with np.errstate(invalid="ignore", divide="ignore"):  # every target ignored: masked below
                scale = gy / self.denominator if self.reduction == "mean" else gy
        g = self.probabilities * self.target_weight[:, None] * (1 - smoothing)
        g[self.rows, self.safe_target] -= self.target_weight * (1 - smoothing)
        if smoothing:
            weights = xp.ones(C, dtype=g.dtype) if self.weight is None else self.weight
            g += (smoothing / C) * (weights.sum() * self.probabilities - weights) * self.kept[:, None]
        # ignored rows get exactly 0, as PyTorch's, even when every row is ignored and scale is NaN
        with np.errstate(invalid="ignore"):
            return xp.where(self.kept[:, None], g * scale, 0)


class NLLLoss(Op):
    """Negative log-likelihood: row n costs -weight[y] * log_p[n, y] for target y != ignore_index.

    log_p: (M, C); target: (M,) class indices; weight: (C,) or None. Reductions as CrossEntropy.
    """

    def __init__(self, target, weight=None, ignore_index=-100, reduction="mean"):
        self.target, self.weight, self.ignore_index, self.reduction = target, weight, ignore_index, reduction

    def forward(self, log_p):
        xp = self.xp
        M = log_p.shape[0]
        kept = self.kept = self.target != self.ignore_index
        self.safe_target, self.rows = xp.where(kept, self.target, 0), xp.arange(M)
        target_weight = xp.ones(M, dtype=log_p.dtype) if self.weight is None else self.weight[self.safe_target]
        self.target_weight, self.shape = xp.where(kept, target_weight, 0), log_p.shape
        cost = xp.where(kept, -log_p[self.rows, self.safe_target] * self.target_weight, 0)
        if self.reduction == "none":
            return cost
        if self.reduction == "sum":
            return cost.sum()
        self.denominator = self.target_weight.sum()
        with np.errstate(invalid="ignore", divide="ignore"):  # every target ignored: NaN, as PyTorch
            return cost.sum() / self.denominator

    def backward(self, gy):
        with np.errstate(invalid="ignore", divide="ignore"):  # every target ignored: masked (see CrossEntropy)
            scale = gy / self.denominator if self.reduction == "mean" else gy
            g = self.xp.zeros(self.shape, dtype=gy.dtype)
            g[self.rows, self.safe_target] = self.xp.where(self.kept, -self.target_weight * scale, 0)
        return g


class BinaryCrossEntropy(Op):
    """-weight * (t log x + (1 - t) log(1 - x)) elementwise, each log clamped at -100 (as PyTorch).

    x: probabilities in [0, 1]; target t and weight: arrays broadcastable to x (weight may be None).
    """

    def __init__(self, target, weight=None):
        self.target, self.weight = target, weight

    def forward(self, x):
        xp, t = self.xp, self.target
        with np.errstate(divide="ignore"):
            cost = -(t * xp.maximum(xp.log(x), -100) + (1 - t) * xp.maximum(xp.log1p(-x), -100))
        self.x = x
        return cost if self.weight is None else cost * self.weight

    def backward(self, gy):
        x, t = self.x, self.target
        # PyTorch's gradient: (x - t) / max(x (1 - x), 1e-12), finite at x = 0 and x = 1
        g = gy * (x - t) / self.xp.maximum(x * (1 - x), 1e-12)
        return g if self.weight is None else g * self.weight


class BinaryCrossEntropyWithLogits(Op):
    """BCE on logits z, stable for any z: (1 - t) z + l (log1p(exp(-|z|)) + max(-z, 0)) with
    l = 1 + (pos_weight - 1) t, times weight. target, weight, pos_weight: arrays broadcastable to
    z (weight and pos_weight may be None)."""

    def __init__(self, target, weight=None, pos_weight=None):
        self.target, self.weight, self.pos_weight = target, weight, pos_weight

    def forward(self, z):
        xp, t = self.xp, self.target
        self.log_weight = 1 if self.pos_weight is None else 1 + (self.pos_weight - 1) * t
        cost = (1 - t) * z + self.log_weight * (xp.log1p(xp.exp(-xp.abs(z))) + xp.maximum(-z, 0))
        self.z = z
        return cost if self.weight is None else cost * self.weight

    def backward(self, gy):
        # d/dz: (1 - t) - l * sigmoid(-z), sigmoid(-z) = 0.5 (1 - tanh(z / 2)) without overflow
        g = gy * ((1 - self.target) - self.log_weight * 0.5 * (1 - self.xp.tanh(0.5 * self.z)))
        return g if self.weight is None else g * self.weight


class SmoothL1(Op):
    """Elementwise loss of the difference d = input - target: smooth L1 (huber=False) is
    0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (|d| when beta = 0); Huber (huber=True) is
    0.5 d^2 where |d| < beta (its delta), else beta (|d| - 0.5 beta). torch's gradients: d / beta
    (smooth L1) or d (Huber) clipped to +-1 or +-beta; with beta = 0, sign(d) and 0 at NaN (torch's L1)."""

    def __init__(self, beta=1.0, huber=False):
        self.beta, self.huber = beta, huber

    def forward(self, d):
        xp, beta = self.xp, self.beta
        self.d, ad = d, self.xp.abs(d)
        if self.huber:
            return xp.where(ad < beta, 0.5 * d * d, beta * (ad - 0.5 * beta))
        if beta == 0:
            return ad
        return xp.where(ad < beta, 0.5 * d * d / beta, ad - 0.5 * beta)

    def backward(self, gy):
        xp, d, beta = self.xp, self.d, self.beta
        if self.huber:
            return gy * xp.clip(d, -beta, beta)
        if beta == 0:
            return gy * ((d > 0).astype(d.dtype) - (d < 0).astype(d.dtype))
        return gy * xp.clip(d / beta, -1, 1)


class KLDiv(Op):
    """Pointwise KL divergence of log-probabilities x against target t (broadcasting together), as
    torch: t log t - t x with 0 log 0 = 0 (torch's xlogy); log_target=True takes t as log-probabilities,
    exp(t) (t - x). The target's gradient is torch's too: log t + t / t - x (NaN at t = 0)."""

    def __init__(self, log_target=False):
        self.log_target = log_target

    def forward(self, x, t):
        xp = self.xp
        self.x, self.t = x, t
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.log_target:
                self.exp_t = xp.exp(t)
                return self.exp_t * (t - x)
            self.log_t = xp.log(t)
            return xp.where(t == 0, xp.zeros((), dtype=t.dtype), t * self.log_t) - t * x

    def backward(self, gy):
        xp, x, t = self.xp, self.x, self.t
        gx = gt = None
        if self.needs_input_grad[0]:
            gx = sum_to_shape(-gy * (self.exp_t if self.log_target else t), x.shape)
        if self.needs_input_grad[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                if self.log_target:
                    dt = self.exp_t * (t - x + 1)
                else:  # xlogy(t, t)'s two partial derivatives, then -x
                    dt = xp.where(t != 0, self.log_t, xp.zeros((), dtype=t.dtype)) + t / t - x
            gt = sum_to_shape(gy * dt, t.shape)
        return gx, gt
