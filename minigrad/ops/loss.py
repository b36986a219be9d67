"""log_softmax, softmax and the losses; log-probabilities are computed stably (shifted by the maximum)."""
import warnings

import numpy as np

from .. import _args, backend
from ..autograd import Op
from ..autograd.adjoint import constant
from ..tensor import Tensor
from ._broadcast import broadcast_shape
from ._broadcast import sum_to, sum_to_shape
from .._dtypes import as_float, resolve_dtype
from ._table import tensor_method
from ._tensor_checks import check_same_dtype, float_tensor
from .activation import LogSigmoid
from .math import sigmoid
from .shape import Transpose, where

__all__ = ["softmax", "log_softmax", "cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "kl_div", "binary_cross_entropy", "binary_cross_entropy_with_logits", "REDUCTIONS", "KL_DIV_REDUCTIONS"]


def _log_softmax(xp, x, dim):
    if x.size == 0:  # nothing to normalise (and no maximum to shift by)
        return x.copy()
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

    def backward_graph(self, inputs, gy):
        return gy - Softmax(self.dim)(inputs[0]) * gy.sum(self.dim, keepdim=True)


class Softmax(Op):
    def __init__(self, dim=-1):
        self.dim = dim

    def forward(self, x):
        self.y = self.xp.exp(_log_softmax(self.xp, as_float(x), self.dim))
        return self.y

    def backward(self, gy):
        return self.y * (gy - (gy * self.y).sum(axis=self.dim, keepdims=True))

    def backward_graph(self, inputs, gy):
        y = Softmax(self.dim)(inputs[0])
        return y * (gy - (gy * y).sum(self.dim, keepdim=True))


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

    def backward_graph(self, inputs, gy):
        xp, smoothing = self.xp, self.label_smoothing
        probabilities = Softmax(1)(inputs[0])
        M, C = self.probabilities.shape
        one_hot = xp.zeros((M, C), dtype=self.probabilities.dtype)
        if self.plain:
            one_hot[self.rows, self.target] = 1
            return (probabilities - constant(one_hot)) * (gy / M)
        one_hot[self.rows, self.safe_target] = 1
        g = (probabilities - constant(one_hot)) * constant(self.target_weight[:, None] * (1 - smoothing))
        if smoothing:
            weights = xp.ones(C, dtype=one_hot.dtype) if self.weight is None else self.weight
            g = g + (probabilities * float(weights.sum()) - constant(weights)) * constant(
                (smoothing / C) * self.kept[:, None].astype(one_hot.dtype))
        return where(constant(self.kept[:, None]), g * _loss_scale(self, gy), 0.0)


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

    def backward_graph(self, inputs, gy):
        xp = self.xp
        picked = xp.zeros(self.shape, dtype=bool)
        picked[self.rows, self.safe_target] = self.kept
        weights = xp.zeros(self.shape, dtype=self.target_weight.dtype)
        weights[self.rows, self.safe_target] = -self.target_weight
        return where(constant(picked), constant(weights) * _loss_scale(self, gy), 0.0)


def _loss_scale(op, gy):
    """The factor of each row's gradient in the differentiable backward of CrossEntropy and NLLLoss:
    gy per row ("none"), gy over the summed target weights ("mean"), or gy ("sum")."""
    if op.reduction == "none":
        return gy[:, None]
    if op.reduction == "sum":
        return gy
    with np.errstate(invalid="ignore", divide="ignore"):  # every target ignored: masked by the caller
        return gy / float(op.denominator)


_BCE_EPS = float(np.float32(1e-12))


class BinaryCrossEntropy(Op):
    """-weight * (t log x + (1 - t) log(1 - x)) elementwise, each log clamped at -100 (as PyTorch),
    for probabilities x and targets t of one shape; weight: an array broadcastable to x, or None.
    Both x and t get gradients: the target's is -weight * logit(x) (unclamped, as torch's)."""

    def __init__(self, weight=None):
        self.weight = weight

    def forward(self, x, t):
        xp = self.xp
        with np.errstate(divide="ignore"):
            cost = -(t * xp.maximum(xp.log(x), -100) + (1 - t) * xp.maximum(xp.log1p(-x), -100))
        self.x, self.t = x, t.copy()  # a copy: a target changed through .data keeps the gradient (test_loss)
        return cost if self.weight is None else cost * self.weight

    def backward(self, gy):
        x, t = self.x, self.t
        if self.weight is not None:
            gy = gy * self.weight
        # PyTorch's gradient: (x - t) / max(x (1 - x), eps), finite at x = 0 and x = 1; torch's eps is
        # 1e-12 rounded to float32 (9.99999996e-13), in float64 too
        gx = gy * (x - t) / self.xp.maximum(x * (1 - x), _BCE_EPS) if self.needs_input_grad[0] else None
        with np.errstate(divide="ignore"):  # x = 0 or 1: an infinite logit, as torch's
            gt = -gy * self.xp.log(x / (1 - x)) if self.needs_input_grad[1] else None
        return gx, gt

    def backward_graph(self, inputs, gy):
        x, t = inputs[0], _graph_target(self, inputs)
        if self.weight is not None:
            gy = gy * constant(self.weight)
        gx = gy * (x - t) / (x * (1 - x)).clamp(min=_BCE_EPS) if self.needs_input_grad[0] else None
        with np.errstate(divide="ignore"):
            gt = -gy * (x / (1 - x)).log() if self.needs_input_grad[1] else None
        return gx, gt


def _graph_target(op, inputs):
    """The target of a binary cross-entropy node for its differentiable backward: the input Tensor
    when it requires grad, else the copy forward kept (see BinaryCrossEntropy)."""
    return inputs[1] if op.needs_input_grad[1] else constant(op.t)


class BinaryCrossEntropyWithLogits(Op):
    """BCE on logits z, stable for any z: (1 - t) z + l (log1p(exp(-|z|)) + max(-z, 0)) with
    l = 1 + (pos_weight - 1) t, times weight. Inputs z and target t of one shape; weight,
    pos_weight: arrays broadcastable to z, or None. The target's gradient is
    weight * (-z - (pos_weight - 1) log(sigmoid(z))), as torch's."""

    def __init__(self, weight=None, pos_weight=None):
        self.weight, self.pos_weight = weight, pos_weight

    def forward(self, z, t):
        xp = self.xp
        self.log_weight = 1 if self.pos_weight is None else 1 + (self.pos_weight - 1) * t
        self.softplus_minus_z = xp.log1p(xp.exp(-xp.abs(z))) + xp.maximum(-z, 0)  # -log(sigmoid(z))
        cost = (1 - t) * z + self.log_weight * self.softplus_minus_z
        self.z, self.t = z, t.copy()  # see BinaryCrossEntropy
        return cost if self.weight is None else cost * self.weight

    def backward(self, gy):
        if self.weight is not None:
            gy = gy * self.weight
        gz = gt = None
        if self.needs_input_grad[0]:
            # d/dz: (1 - t) - l * sigmoid(-z), sigmoid(-z) = 0.5 (1 - tanh(z / 2)) without overflow
            gz = gy * ((1 - self.t) - self.log_weight * 0.5 * (1 - self.xp.tanh(0.5 * self.z)))
        if self.needs_input_grad[1]:
            gt = -gy * self.z
            if self.pos_weight is not None:
                gt = gt + gy * (self.pos_weight - 1) * self.softplus_minus_z
        return gz, gt

    def backward_graph(self, inputs, gy):
        z, t = inputs[0], _graph_target(self, inputs)
        if self.weight is not None:
            gy = gy * constant(self.weight)
        positive_factor = None if self.pos_weight is None else constant(self.pos_weight - 1)
        gz = gt = None
        if self.needs_input_grad[0]:
            log_weight = 1 if positive_factor is None else 1 + positive_factor * t
            gz = gy * ((1 - t) - log_weight * sigmoid(-z))
        if self.needs_input_grad[1]:
            gt = -gy * z
            if positive_factor is not None:
                gt = gt - gy * positive_factor * LogSigmoid.apply(z)
        return gz, gt


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

    def backward_graph(self, inputs, gy):
        d, beta = inputs[0], self.beta
        if self.huber:
            return gy * d.clamp(-beta, beta)
        if beta == 0:
            return gy * constant((self.d > 0).astype(self.d.dtype) - (self.d < 0).astype(self.d.dtype))
        return gy * (d / beta).clamp(-1, 1)


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

    def backward_graph(self, inputs, gy):
        x, t = inputs
        gx = gt = None
        if self.needs_input_grad[0]:
            gx = sum_to(-gy * (t.exp() if self.log_target else t), x.shape)
        if self.needs_input_grad[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                if self.log_target:
                    dt = t.exp() * (t - x + 1)
                else:  # as backward: log t (0 at t = 0) + t / t - x
                    dt = where(constant(self.t != 0), t, 1.0).log() + t / t - x
            gt = sum_to(gy * dt, t.shape)
        return gx, gt


@tensor_method
def log_softmax(x, dim=-1, *, dtype=None):
    """log(softmax(x)) along ``dim``, stable for logits of any size; ``dtype`` (float32 or float64)
    casts x first, as torch (differentiable: the gradient comes back in x's dtype).

    Example: ``F.log_softmax(mg.randn(4, 10), dim=1).exp().sum(1)`` -> ones
    """
    return LogSoftmax(_args.dim_index(dim, x.ndim))(_cast_first(x, dtype, "log_softmax"))


@tensor_method
def softmax(x, dim=-1, *, dtype=None):
    """exp(x) / sum(exp(x)) along ``dim``, stable for logits of any size; ``dtype`` (float32 or
    float64) casts x first, as torch: ``F.softmax(half_precision_logits, 1, dtype=mg.float64)``.

    Example: ``F.softmax(mg.randn(4, 10), dim=1).sum(1)`` -> ones
    """
    return Softmax(_args.dim_index(dim, x.ndim))(_cast_first(x, dtype, "softmax"))


def _cast_first(x, dtype, name):
    """x in ``dtype`` (a float dtype), or x itself for None."""
    if dtype is None:
        return x
    dtype = resolve_dtype(dtype)
    if dtype not in backend.FLOAT_DTYPES:
        raise TypeError(f"{name}(): dtype must be float32 or float64, got {dtype}")
    return x.to(dtype)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    """Cross-entropy of logits against targets, from a stable log-softmax over the class dim (1).

    input: (C,), (N, C) or (N, C, d1, ...) logits. target: class indices (int) of the input's shape
    without the class dim, with ignore_index marking positions that count for nothing; or class
    probabilities (float) of the input's shape. weight: (C,) per-class weights or None.
    label_smoothing in [0, 1] mixes the target with the uniform distribution. reduction "mean"
    (over kept positions, weighted by weight[target]), "sum" or "none".

    Example: ``F.cross_entropy(mg.randn(4, 10), mg.tensor([1, 0, 9, 3]), label_smoothing=0.1)``
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    _args.choice(reduction, "reduction", REDUCTIONS)
    label_smoothing = _args.real(label_smoothing, "cross_entropy: label_smoothing", 0, 1)
    target_array = _target_array(target, input)
    class_weights = _class_weights(weight, input, "cross_entropy")
    if target_array.dtype.kind == "f":
        # a Tensor target stays in the graph: torch's gradient reaches a target that requires grad
        target = target if isinstance(target, Tensor) and target.device == input.device \
            else Tensor._wrap(target_array, False)
        return _cross_entropy_with_probabilities(input, target, class_weights, reduction, float(label_smoothing))
    rows, indices, out_shape, ignored = _class_rows(input, target_array, ignore_index, "cross_entropy")
    op = CrossEntropy(indices, class_weights, ignore_index if ignored else None, float(label_smoothing), reduction)
    loss = op(rows)
    return loss.reshape(out_shape) if reduction == "none" else loss


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """Negative log-likelihood of log-probabilities input (C,), (N, C) or (N, C, d1, ...) against
    class indices target: position n costs -weight[target[n]] * input[n, target[n]].

    Example: ``F.nll_loss(F.log_softmax(mg.randn(4, 10), dim=1), mg.tensor([1, 0, 9, 3]))``
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    _args.choice(reduction, "reduction", REDUCTIONS)
    target_array = _target_array(target, input)
    if target_array.dtype.kind not in "iu":
        raise TypeError(f"nll_loss targets must be integer class indices, got dtype {target_array.dtype}")
    class_weights = _class_weights(weight, input, "nll_loss")
    rows, indices, out_shape, _ = _class_rows(input, target_array, ignore_index, "nll_loss")
    loss = NLLLoss(indices, class_weights, ignore_index, reduction)(rows)
    return loss.reshape(out_shape) if reduction == "none" else loss


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """(input - target)^2 elementwise, reduced by reduction "mean", "sum" or "none"; the shapes
    must match. Example: ``F.mse_loss(mg.zeros(3), mg.ones(3))`` -> tensor(1.)"""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _args.choice(reduction, "reduction", REDUCTIONS)
    diff = input - _same_shape_target(input, target, "mse_loss")
    return _reduce(diff * diff, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """|input - target| elementwise, reduced by reduction "mean", "sum" or "none"; the shapes must
    match. Example: ``F.l1_loss(mg.zeros(3), mg.ones(3))`` -> tensor(1.)"""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _args.choice(reduction, "reduction", REDUCTIONS)
    return _reduce((input - _same_shape_target(input, target, "l1_loss")).abs(), reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta, for d = input - target (beta = 0 is the L1
    loss, as torch); the shapes must match. reduction "mean", "sum" or "none".
    Example: ``F.smooth_l1_loss(mg.tensor([0.5, 3.0]), mg.zeros(2))`` -> tensor(1.3125)"""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _args.choice(reduction, "reduction", REDUCTIONS)
    beta = smooth_l1_beta(beta, "smooth_l1_loss")
    diff = input - _same_shape_target(input, target, "smooth_l1_loss")
    return _reduce(SmoothL1(beta)(diff), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0):
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta), for d = input - target; the shapes
    must match. reduction "mean", "sum" or "none".
    Example: ``F.huber_loss(mg.tensor([0.5, 3.0]), mg.zeros(2), delta=2.0)`` -> tensor(2.0625)"""
    _args.choice(reduction, "reduction", REDUCTIONS)
    delta = huber_delta(delta, "huber_loss")
    diff = input - _same_shape_target(input, target, "huber_loss")
    return _reduce(SmoothL1(delta, huber=True)(diff), reduction)


KL_DIV_REDUCTIONS = ("mean", "batchmean", "sum", "none")


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """KL divergence of log-probabilities input against probabilities target (log-probabilities with
    log_target=True), pointwise target * (log(target) - input) with 0 * log(0) = 0; input and target
    broadcast together, as torch. reduction "batchmean" (the sum divided by input.size(0): the KL
    divergence per sample), "sum", "none", or "mean" (over every element; torch's warning says so).
    Example: ``F.kl_div(F.log_softmax(mg.randn(4, 5), 1), F.softmax(mg.randn(4, 5), 1), reduction="batchmean")``"""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _args.choice(reduction, "kl_div: reduction", KL_DIV_REDUCTIONS)
    input = float_tensor(input, "kl_div")
    if not isinstance(target, Tensor):
        target = Tensor(_target_array(target, input), dtype=input.dtype)
    elif target.device != input.device:
        target = target.to(input.device)
    check_same_dtype(input, target=target)
    if broadcast_shape(input.shape, target.shape) is None:
        raise ValueError(f"kl_div: input shape {input.shape} and target shape {target.shape} do not broadcast "
                         f"to one shape")
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      UserWarning, stacklevel=2)
    loss = KLDiv(bool(log_target))(input, target)
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return _reduce(loss, reduction)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """-weight * (t log x + (1 - t) log(1 - x)) for probabilities x = input and targets t, both in
    [0, 1] and of one shape; each log is clamped at -100, as PyTorch. weight broadcasts to input.

    Example: ``F.binary_cross_entropy(F.sigmoid(mg.randn(4)), mg.tensor([0.0, 1.0, 1.0, 0.0]))``
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    _args.choice(reduction, "reduction", REDUCTIONS)
    target = _same_shape_target(input, target, "binary_cross_entropy")
    xp, t = backend.array_module(input._data), target._data
    if not bool(xp.all((t >= 0) & (t <= 1))):  # NaN is refused too, as torch's
        raise ValueError(f"binary_cross_entropy: target values must be in [0, 1], NaN excluded, got values in "
                         f"[{float(t.min())}, {float(t.max())}]")
    x = input._data
    if not bool(xp.all((x >= 0) & (x <= 1))):  # NaN is refused too, as torch's
        raise ValueError("binary_cross_entropy: input values must be probabilities in [0, 1], NaN excluded "
                         "(apply sigmoid, or use binary_cross_entropy_with_logits on logits)")
    weight = _broadcast_weight(weight, input, "weight", "binary_cross_entropy")
    return _reduce(BinaryCrossEntropy(weight)(input, target), reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    """binary_cross_entropy(sigmoid(input), target), computed stably for logits of any size.

    pos_weight (broadcast along the last dim, e.g. (C,)) multiplies the positive term; weight
    broadcasts to input. Example:
    ``F.binary_cross_entropy_with_logits(mg.randn(4, 3), mg.ones(4, 3), pos_weight=mg.tensor([1.0, 2.0, 3.0]))``
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    _args.choice(reduction, "reduction", REDUCTIONS)
    target = _same_shape_target(input, target, "binary_cross_entropy_with_logits")
    weight = _broadcast_weight(weight, input, "weight", "binary_cross_entropy_with_logits")
    pos_weight = _broadcast_weight(pos_weight, input, "pos_weight", "binary_cross_entropy_with_logits")
    return _reduce(BinaryCrossEntropyWithLogits(weight, pos_weight)(input, target), reduction)


REDUCTIONS = ("mean", "sum", "none")


def legacy_reduction(size_average, reduce, reduction):
    """reduction, or torch's mapping of the deprecated size_average and reduce (None counts as True)
    where either is given: both true "mean", reduce alone "sum", else "none", with torch's UserWarning.
    Example: ``legacy_reduction(False, None, "mean")`` -> "sum" """
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{reduction}' instead.",
                  UserWarning, stacklevel=3)
    return reduction


def smooth_l1_beta(beta, fn):
    """beta as a float >= 0 (0 is the L1 loss), in torch's words; ``fn`` names the function or layer."""
    beta = _args.real(beta, f"{fn}: beta")
    if beta < 0:
        raise ValueError(f"{fn} does not support negative values for beta, got {beta}")
    return beta


def huber_delta(delta, fn):
    """delta as a float > 0, in torch's words; ``fn`` names the function or layer."""
    delta = _args.real(delta, f"{fn}: delta")
    if not delta > 0:
        raise ValueError(f"{fn} does not support non-positive values for delta, got {delta}")
    return delta


def _reduce(loss, reduction):
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def _target_array(target, input):
    """The target's array on the input's device (a Tensor's data, or an array / list)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"input must be a Tensor, got {type(input).__name__}")
    target = target._data if isinstance(target, Tensor) else target
    return backend.to_device(target if hasattr(target, "dtype") else np.asarray(target), input.device)


def _same_shape_target(input, target, name):
    """target as a Tensor of input's dtype and device, required to have input's shape."""
    if not isinstance(input, Tensor):  # checked first: a Tensor target would fail on input.device
        raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
    target = target if isinstance(target, Tensor) else Tensor(_target_array(target, input), dtype=input.dtype)
    if target.device != input.device:
        target = target.to(input.device)
    if input.shape != target.shape:
        raise ValueError(f"{name}: input shape {input.shape} and target shape {target.shape} differ")
    check_same_dtype(input, target=target)
    return target


def _broadcast_weight(weight, input, name, fn):
    """weight (a Tensor or None) as an array broadcast to input's shape."""
    if weight is None:
        return None
    if not isinstance(weight, Tensor):
        raise TypeError(f"{fn}: {name} must be a Tensor or None, got {type(weight).__name__}")
    check_same_dtype(input, **{name: weight})
    if weight.requires_grad:
        raise RuntimeError(f"{fn} is not differentiable with respect to {name} (as torch): pass {name}.detach()")
    xp = backend.array_module(input._data)
    try:
        return xp.broadcast_to(weight._data.copy(), input.shape)  # kept by the op for backward (see _class_rows)
    except ValueError:
        raise ValueError(f"{fn}: {name} of shape {weight.shape} does not broadcast to the input's shape "
                         f"{input.shape}") from None


def _class_rows(input, target, ignore_index, name):
    """(logits as (M, C) rows, target indices (M,), the shape of the unreduced loss, whether any
    position is ignored), with input (C,), (N, C) or (N, C, d1, ...) and integer target of the input's
    shape without dim 1."""
    if input.ndim < 1:
        raise ValueError(f"{name} expects input of shape (C,), (N, C) or (N, C, d1, ...), got {input.shape}")
    if target.dtype.kind not in "iu":
        raise TypeError(f"{name} targets must be integer class indices or float probabilities, got dtype {target.dtype}")
    _args.integer(ignore_index, f"{name}: ignore_index")
    classes = input.shape[0] if input.ndim == 1 else input.shape[1]
    expected = () if input.ndim == 1 else (input.shape[0],) + input.shape[2:]
    if target.shape != expected:
        raise ValueError(f"{name} targets must have shape {expected} for input of shape {input.shape}, "
                         f"got {target.shape}")
    ignored = False
    if target.size:  # the extremes decide the everyday case (no target out of range, none ignored)
        lowest, highest = int(target.min()), int(target.max())
        if lowest < 0 or highest >= classes:  # out of range unless those positions are ignored
            kept = target[target != ignore_index]
            if kept.size and (int(kept.min()) < 0 or int(kept.max()) >= classes):
                raise ValueError(f"{name} targets must be in [0, {classes}), got values in [{int(kept.min())}, "
                                 f"{int(kept.max())}] (ignore_index={ignore_index} marks positions to skip)")
        ignored = lowest <= ignore_index <= highest and bool((target == ignore_index).any())
    if input.ndim == 1:
        rows = input.reshape(1, classes)
    elif input.ndim == 2:
        rows = input
    else:  # classes last, then one row per position
        rows = Transpose((0,) + tuple(range(2, input.ndim)) + (1,))(input).reshape(-1, classes)
    # a copy: the op keeps the indices for backward, and a caller may change its array in place before
    return rows, target.reshape(-1).copy(), expected, ignored


def _class_weights(weight, input, name):
    """The (C,) array of a weight Tensor for input (C,) or (N, C, ...), or None."""
    if weight is None:
        return None
    if not isinstance(weight, Tensor):
        raise TypeError(f"{name}: weight must be a Tensor of shape (C,) or None, got {type(weight).__name__}")
    check_same_dtype(input, weight=weight)
    classes = input.shape[min(1, input.ndim - 1)] if input.ndim else None  # 0-d input: refused later
    if classes is not None and weight.shape != (classes,):
        raise ValueError(f"{name}: weight must have shape ({classes},), one per class, got {weight.shape}")
    return weight._data.copy()  # kept by the op for backward (see _class_rows)


def _cross_entropy_with_probabilities(input, target, class_weights, reduction, label_smoothing):
    if target.shape != input.shape:
        raise ValueError(f"cross_entropy with probability targets needs target of the input's shape {input.shape}, "
                         f"got {target.shape}")
    class_dim = 0 if input.ndim == 1 else 1
    classes = input.shape[class_dim]
    target = target.to(input.dtype) * (1 - label_smoothing) + label_smoothing / classes
    if class_weights is not None:
        target = target * Tensor._wrap(class_weights.reshape((classes,) + (1,) * (input.ndim - class_dim - 1)), False)
    cost = -(log_softmax(input, class_dim) * target).sum(class_dim)
    return _reduce(cost, reduction)
