"""Tensor -> Tensor functions that apply ops (Chainer's F, PyTorch's torch.nn.functional).

Arguments are checked here, so a wrong shape, dtype or hyper-parameter is a clear Python error
that names the problem before any kernel runs.
"""
import math
import numbers
import warnings

import numpy as np

from . import _args, backend, ops
from .autograd import no_grad
from .ops._broadcast import broadcast_shape as _broadcast_shape
from .tensor import Tensor


def _result(x, y, inplace):
    """``y``, or, with inplace=True (torch's option), x overwritten with y and returned, as torch:
    gradients are the same, and an in-place change torch would refuse (a leaf that requires grad)
    is refused too."""
    return x.copy_(y) if inplace else y


def relu(x, inplace=False):
    """max(x, 0) elementwise. Example: ``F.relu(mg.tensor([-1.0, 2.0]))`` -> tensor([0., 2.])"""
    return _result(x, ops.ReLU.apply(x), inplace)


def leaky_relu(x, negative_slope=0.01, inplace=False):
    """x where x > 0, else negative_slope * x. Example: ``F.leaky_relu(mg.tensor([-1.0, 2.0]))`` ->
    tensor([-0.01, 2.])"""
    if isinstance(negative_slope, bool) or not isinstance(negative_slope, numbers.Real):
        raise TypeError(f"negative_slope must be a number, got {negative_slope!r}")
    return _result(x, ops.LeakyReLU(float(negative_slope))._call_once(x), inplace)


def gelu(x, approximate="none"):
    """x * Phi(x), Phi the standard normal CDF; approximate="tanh" uses
    0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))). Example: ``F.gelu(mg.randn(4, 8))``"""
    return ops.GELU(approximate)._call_once(x)  # the kernel front refuses other approximations


def sigmoid(x):
    """1 / (1 + exp(-x)), computed without overflow. Example: ``F.sigmoid(mg.zeros(2))`` -> tensor([0.5, 0.5])"""
    return ops.Sigmoid.apply(x)


def tanh(x):
    """tanh(x) elementwise. Example: ``F.tanh(mg.zeros(2))`` -> tensor([0., 0.])"""
    return ops.Tanh.apply(x)


def silu(x, inplace=False):
    """x * sigmoid(x) (also called swish). Example: ``F.silu(mg.tensor([0.0, 1.0]))`` -> tensor([0., 0.7310586])"""
    return _saving_input(ops.SiLU.apply, _float_tensor(x, "silu"), inplace)


def softplus(x, beta=1.0, threshold=20.0):
    """log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold (as torch); computed
    without overflow. Example: ``F.softplus(mg.tensor([0.0, 30.0]))`` -> tensor([0.6931472, 30.])"""
    beta, threshold = _number(beta, "beta", "softplus"), _number(threshold, "threshold", "softplus")
    return ops.Softplus(beta, threshold)._call_once(_float_tensor(x, "softplus"))


def elu(x, alpha=1.0, inplace=False):
    """x where x > 0, else alpha * (exp(x) - 1). Example: ``F.elu(mg.tensor([-1.0, 2.0]))`` ->
    tensor([-0.6321206, 2.])"""
    alpha = _number(alpha, "alpha", "elu")
    return _saving_input(ops.ELU(alpha)._call_once, _float_tensor(x, "elu"), inplace)


def logsigmoid(x):
    """log(sigmoid(x)) = -softplus(-x), finite for large |x|. Example: ``F.logsigmoid(mg.tensor([-100.0]))``
    -> tensor([-100.])"""
    return ops.LogSigmoid.apply(_float_tensor(x, "logsigmoid"))


def mish(x, inplace=False):
    """x * tanh(softplus(x)). Example: ``F.mish(mg.tensor([0.0, 1.0]))`` -> tensor([0., 0.86509836])"""
    return _saving_input(ops.Mish.apply, _float_tensor(x, "mish"), inplace)


def hardswish(x, inplace=False):
    """x * relu6(x + 3) / 6: 0 for x <= -3, x for x >= 3. Example: ``F.hardswish(mg.tensor([-4.0, 1.0, 4.0]))``
    -> tensor([-0., 0.6666667, 4.])"""
    return _saving_input(ops.Hardswish.apply, _float_tensor(x, "hardswish"), inplace)


def _saving_input(apply, x, inplace):
    """apply(x) for an op that saves its input for backward; with inplace=True, x overwritten with the
    result and returned (as _result), the op reading a copy of x so that the overwrite leaves its saved
    input intact (a copy only when x requires grad)."""
    if not inplace:
        return apply(x)
    return x.copy_(apply(x.clone() if x.requires_grad else x))


def _float_tensor(x, name):
    """x, refused unless it is a float32 or float64 Tensor."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} takes a Tensor, got {type(x).__name__}")
    if x.dtype not in backend.FLOAT_DTYPES:
        raise TypeError(f"{name} needs a float32 or float64 tensor, got {x.dtype}; convert it with .float() "
                        f"(or .double())")
    return x


def _number(value, name, fn):
    """value as a float; TypeError unless it is a real number (bool refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{fn}: {name} must be a number, got {value!r}")
    return float(value)


def linear(x, weight, bias=None):
    """y = x @ weight.T + bias. x: (*, in); weight: (out, in); bias: (out,). Returns (*, out).

    Example: ``F.linear(mg.randn(8, 3), mg.randn(4, 3)).shape`` -> (8, 4)
    """
    if weight.ndim != 2:
        raise ValueError(f"weight must have shape (out_features, in_features), got {weight.shape}")
    if x.ndim < 1 or x.shape[-1] != weight.shape[1]:
        raise ValueError(f"input's last dimension must be in_features={weight.shape[1]}, got input of shape {x.shape}")
    _check_same_dtype(x, weight=weight, bias=bias)
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ValueError(f"bias must have shape ({weight.shape[0]},), got {bias.shape}")
    return ops.LinearOp.apply(x, weight) if bias is None else ops.LinearOp.apply(x, weight, bias)


def dropout(x, p=0.5, training=True, inplace=False):
    """Zero each element with probability p and scale the rest by 1/(1-p) (identity in eval).

    p = 0 is the identity, p = 1 gives zeros. Masks follow mg.manual_seed.
    Example: ``F.dropout(mg.ones(4), p=0.5)`` -> e.g. tensor([2., 0., 2., 0.])
    """
    p = _probability(p)
    if not training or p == 0:
        return x
    return _result(x, ops.DropoutOp(p)._call_once(x), inplace)


def dropout2d(x, p=0.5, training=True, inplace=False):
    """Zero whole channels of x (N, C, H, W) with probability p and scale the rest by 1/(1-p)
    (identity in eval): every x[n, c] is kept or zeroed as one. As torch, 3-D input is taken as
    (N, C, L), one mask entry per x[n, c] (with torch's warning); other dims are refused.
    Masks follow mg.manual_seed. Example: ``F.dropout2d(mg.ones(8, 16, 4, 4), p=0.2)``
    """
    p = _probability(p)
    if not isinstance(x, Tensor):
        raise TypeError(f"dropout2d takes a Tensor, got {type(x).__name__}")
    if x.ndim not in (3, 4):
        raise ValueError(f"dropout2d: expected 4-D input (N, C, H, W) or 3-D input (N, C, L), got {x.ndim}-D input "
                         f"of shape {x.shape}; use F.dropout for element-wise dropout")
    if x.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim "
                      "(as torch).", UserWarning, stacklevel=2)
    if not training or p == 0:
        return x
    _check_same_dtype(x)
    return _result(x, ops.FeatureDropoutOp(p)._call_once(x), inplace)


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Normalise x (N, C) or (N, C, *spatial) per channel (axis 1), then scale by weight and shift
    by bias (each (C,) or None).

    training=True uses the batch's mean and biased variance and updates running_mean/running_var
    (Tensors or None) in place: running = (1 - momentum) * running + momentum * batch_stat, with
    the variance unbiased. training=False normalises with the running statistics.
    Example: ``F.batch_norm(mg.randn(8, 3), None, None, training=True)``
    """
    if not isinstance(x, Tensor):
        raise TypeError(f"batch_norm takes a Tensor, got {type(x).__name__}")
    if x.ndim < 2:
        raise ValueError(f"batch_norm expects input of shape (N, C) or (N, C, *spatial), got {x.shape}")
    if not eps > 0:
        raise ValueError(f"eps must be > 0, got {eps}")
    if training and not 0 <= momentum <= 1:
        raise ValueError(f"momentum must be in [0, 1], got {momentum}")
    channels = x.shape[1]
    _check_same_dtype(x, weight=weight, bias=bias, running_mean=running_mean, running_var=running_var)
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and t.shape != (channels,):
            raise ValueError(f"{name} has shape {t.shape}, but the input has {channels} channels (axis 1)")
    if training and x.numel() // max(channels, 1) < 2:
        raise ValueError(f"expected more than 1 value per channel when training, got input of shape {x.shape}")
    if not training and (running_mean is None or running_var is None):
        raise ValueError("batch_norm in eval mode (training=False) needs running_mean and running_var")
    if (running_mean is None) != (running_var is None):
        raise ValueError("running_mean and running_var must both be given or both be None")
    op = ops.BatchNormOp(training, None if running_mean is None else running_mean.data,
                         None if running_var is None else running_var.data, float(momentum), float(eps),
                         weight is not None, bias is not None)
    return op._call_once(*(t for t in (x, weight, bias) if t is not None))


def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise x over its trailing dims ``normalized_shape`` (an int or a tuple), each leading
    position with its own mean and biased variance, then scale by weight and shift by bias (each
    of shape normalized_shape, or None).

    Example: ``F.layer_norm(mg.randn(8, 16, 32), (32,)).shape`` -> (8, 16, 32)
    """
    if not isinstance(x, Tensor):
        raise TypeError(f"layer_norm takes a Tensor, got {type(x).__name__}")
    normalized_shape = _normalized_shape(normalized_shape)
    n = len(normalized_shape)
    if x.ndim < n or x.shape[x.ndim - n:] != normalized_shape:
        raise ValueError(f"layer_norm: normalized_shape={normalized_shape} must equal the input's last {n} "
                         f"dimension(s), got input of shape {x.shape}")
    if not eps > 0:
        raise ValueError(f"eps must be > 0, got {eps}")
    _check_same_dtype(x, weight=weight, bias=bias)
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.shape != normalized_shape:
            raise ValueError(f"layer_norm: {name} must have shape normalized_shape={normalized_shape}, got {t.shape}")
    op = ops.LayerNormOp(n, float(eps), weight is not None, bias is not None)
    return op._call_once(*(t for t in (x, weight, bias) if t is not None))


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalise input (N, C, *) per sample and group of C / num_groups consecutive channels, with
    the group's mean and biased variance, then scale by weight and shift by bias (each (C,) or
    None), per channel. LayerNorm's kernel over each (sample, group) row, then the channel affine.

    Example: ``F.group_norm(mg.randn(8, 6, 4, 4), 3).shape`` -> (8, 6, 4, 4)
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"group_norm takes a Tensor, got {type(input).__name__}")
    if isinstance(num_groups, bool) or not isinstance(num_groups, numbers.Integral):
        raise TypeError(f"group_norm: num_groups must be an int, got {num_groups!r} ({type(num_groups).__name__})")
    if input.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.ndim}")
    if num_groups < 1:
        raise RuntimeError(f"Expected num groups to be greater than 0, got {num_groups}")
    shape, num_groups = input.shape, int(num_groups)
    channels = shape[1]
    if channels % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {shape} and num_groups={num_groups}")
    _check_channel_vectors("group_norm", input, weight=weight, bias=bias)
    if not eps > 0:
        raise ValueError(f"eps must be > 0, got {eps}")
    width = (channels // num_groups) * math.prod(shape[2:])  # values per (sample, group)
    if shape[0] * width == 1:  # torch's check: one value per group and a batch of one
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {shape}")
    if width == 0:  # nothing to normalise (an empty spatial dim); a result in the graph all the same
        y = input * 1
    else:
        y = layer_norm(input.reshape(shape[0], num_groups, width), width, eps=eps).reshape(shape)
    return _channel_affine(y, weight, bias)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """Normalise input (N, C, *) per sample and channel over its spatial dims (mean and biased
    variance), then scale by weight and shift by bias (each (C,) or None).

    With running_mean/running_var (Tensors, or None) and use_input_stats=True they are updated in
    place: running = (1 - momentum) * running + momentum * stat, stat the mean over the batch of the
    per-instance means and unbiased variances. use_input_stats=False normalises with them instead.
    Example: ``F.instance_norm(mg.randn(8, 3, 16, 16)).shape`` -> (8, 3, 16, 16)
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"instance_norm takes a Tensor, got {type(input).__name__}")
    if input.ndim < 2:
        raise ValueError(f"instance_norm expects input of shape (N, C, *spatial), got {input.shape}")
    shape = input.shape
    if use_input_stats and math.prod(shape[2:]) == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size {shape}")
    if (running_mean is None) != (running_var is None):
        raise ValueError("running_mean and running_var must either both be None or neither be None")
    if not use_input_stats and running_mean is None:
        raise RuntimeError("Expected running_mean and running_var to be defined when use_input_stats is false")
    _check_channel_vectors("instance_norm", input, weight=weight, bias=bias, running_mean=running_mean,
                           running_var=running_var)
    if not use_input_stats:  # the running statistics are per channel: BatchNorm's eval mode
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    n, channels = shape[0], shape[1]
    if input.numel() == 0:  # as torch: an empty batch makes the running statistics NaN, empty spatial dims keep them
        if running_mean is not None and n == 0:
            running_mean.data[...] = running_var.data[...] = float("nan")
        return _channel_affine(input * 1, weight, bias)
    # as torch: each (sample, channel) is a channel of BatchNorm on input viewed as (1, N * C, *spatial),
    # with the running statistics repeated N times, then averaged back over the batch
    xp = backend.array_module(input.data)
    repeated = [None if t is None else Tensor._wrap(xp.tile(t.data, n), False) for t in (running_mean, running_var)]
    y = batch_norm(input.reshape(1, n * channels, *shape[2:]), repeated[0], repeated[1],
                   None if weight is None else weight.repeat(n), None if bias is None else bias.repeat(n),
                   True, momentum, eps)
    if running_mean is not None:
        for running, updated in zip((running_mean, running_var), repeated):
            running.data[...] = updated.data.reshape(n, channels).mean(axis=0)
    return y.reshape(shape)


def _check_channel_vectors(fn, input, **vectors):
    """Each of ``vectors`` (Tensors or None) is a (C,) vector in input's float dtype."""
    _check_same_dtype(input, **vectors)
    for name, t in vectors.items():
        if t is not None and t.shape != (input.shape[1],):
            raise RuntimeError(f"{fn}: expected {name} to be a vector of size equal to the number of channels in "
                               f"input ({input.shape[1]}), but got {name} of shape {t.shape} and input of shape "
                               f"{input.shape}")


def _channel_affine(y, weight, bias):
    """y (N, C, *) * weight[c] + bias[c], each broadcast over the spatial dims (or skipped if None)."""
    per_channel = (-1,) + (1,) * (y.ndim - 2)
    if weight is not None:
        y = y * weight.reshape(per_channel)
    if bias is not None:
        y = y + bias.reshape(per_channel)
    return y


def _normalized_shape(normalized_shape):
    """normalized_shape as a tuple of positive ints (an int is a 1-tuple)."""
    shape = (normalized_shape,) if isinstance(normalized_shape, numbers.Integral) else normalized_shape
    try:
        shape = tuple(shape)
    except TypeError:
        raise TypeError(f"normalized_shape must be an int or a tuple of ints, got {normalized_shape!r}") from None
    if not shape or any(isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 1 for s in shape):
        raise ValueError(f"normalized_shape must be a non-empty tuple of positive ints, got {normalized_shape!r}")
    return tuple(int(s) for s in shape)


def log_softmax(x, dim=-1):
    """log(softmax(x)) along ``dim``, stable for logits of any size.

    Example: ``F.log_softmax(mg.randn(4, 10), dim=1).exp().sum(1)`` -> ones
    """
    return x.log_softmax(dim)


def softmax(x, dim=-1):
    """exp(x) / sum(exp(x)) along ``dim``, stable for logits of any size.

    Example: ``F.softmax(mg.randn(4, 10), dim=1).sum(1)`` -> ones
    """
    return x.softmax(dim)


def softmin(x, dim=None, dtype=None):
    """softmax(-x) along ``dim``: weights that favour the smallest entries. dtype casts x first (as
    torch). dim=None is torch's deprecated implicit choice (0 for 0-, 1- and 3-d input, else 1), with
    its warning. Example: ``F.softmin(mg.tensor([1.0, 2.0]), dim=0)`` -> tensor([0.7310586, 0.26894143])"""
    if not isinstance(x, Tensor):
        raise TypeError(f"softmin takes a Tensor, got {type(x).__name__}")
    if dim is None:
        warnings.warn("Implicit dimension choice for softmin has been deprecated. Change the call to include "
                      "dim=X as an argument.", UserWarning, stacklevel=2)
        dim = 0 if x.ndim in (0, 1, 3) else 1
    if dtype is not None:
        x = x.to(dtype)
    return (-x).softmax(dim)


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Cross-entropy of logits against targets, from a stable log-softmax over the class dim (1).

    input: (C,), (N, C) or (N, C, d1, ...) logits. target: class indices (int) of the input's shape
    without the class dim, with ignore_index marking positions that count for nothing; or class
    probabilities (float) of the input's shape. weight: (C,) per-class weights or None.
    label_smoothing in [0, 1] mixes the target with the uniform distribution. reduction "mean"
    (over kept positions, weighted by weight[target]), "sum" or "none".

    Example: ``F.cross_entropy(mg.randn(4, 10), mg.tensor([1, 0, 9, 3]), label_smoothing=0.1)``
    """
    _check_reduction(reduction)
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, numbers.Real) \
            or not 0 <= label_smoothing <= 1:
        raise ValueError(f"label_smoothing must be a number in [0, 1], got {label_smoothing!r}")
    target_array = _target_array(target, input)
    class_weights = _class_weights(weight, input, "cross_entropy")
    if target_array.dtype.kind == "f":
        return _cross_entropy_with_probabilities(input, target_array, class_weights, reduction, float(label_smoothing))
    rows, indices, out_shape, ignored = _class_rows(input, target_array, ignore_index, "cross_entropy")
    op = ops.CrossEntropy(indices, class_weights, ignore_index if ignored else None, float(label_smoothing), reduction)
    loss = op._call_once(rows)
    return loss.reshape(out_shape) if reduction == "none" else loss


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood of log-probabilities input (C,), (N, C) or (N, C, d1, ...) against
    class indices target: position n costs -weight[target[n]] * input[n, target[n]].

    Example: ``F.nll_loss(F.log_softmax(mg.randn(4, 10), dim=1), mg.tensor([1, 0, 9, 3]))``
    """
    _check_reduction(reduction)
    target_array = _target_array(target, input)
    if target_array.dtype.kind not in "iu":
        raise TypeError(f"nll_loss targets must be integer class indices, got dtype {target_array.dtype}")
    class_weights = _class_weights(weight, input, "nll_loss")
    rows, indices, out_shape, _ = _class_rows(input, target_array, ignore_index, "nll_loss")
    loss = ops.NLLLoss(indices, class_weights, ignore_index, reduction)._call_once(rows)
    return loss.reshape(out_shape) if reduction == "none" else loss


def mse_loss(input, target, reduction="mean"):
    """(input - target)^2 elementwise, reduced by reduction "mean", "sum" or "none"; the shapes
    must match. Example: ``F.mse_loss(mg.zeros(3), mg.ones(3))`` -> tensor(1.)"""
    _check_reduction(reduction)
    diff = input - _same_shape_target(input, target, "mse_loss")
    return _reduce(diff * diff, reduction)


def l1_loss(input, target, reduction="mean"):
    """|input - target| elementwise, reduced by reduction "mean", "sum" or "none"; the shapes must
    match. Example: ``F.l1_loss(mg.zeros(3), mg.ones(3))`` -> tensor(1.)"""
    _check_reduction(reduction)
    return _reduce((input - _same_shape_target(input, target, "l1_loss")).abs(), reduction)


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta, for d = input - target (beta = 0 is the L1
    loss, as torch); the shapes must match. reduction "mean", "sum" or "none".
    Example: ``F.smooth_l1_loss(mg.tensor([0.5, 3.0]), mg.zeros(2))`` -> tensor(1.3125)"""
    _check_reduction(reduction)
    beta = _number(beta, "beta", "smooth_l1_loss")
    if beta < 0:
        raise ValueError(f"smooth_l1_loss does not support negative values for beta, got {beta}")
    diff = input - _same_shape_target(input, target, "smooth_l1_loss")
    return _reduce(ops.SmoothL1(beta)._call_once(diff), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0):
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta), for d = input - target; the shapes
    must match. reduction "mean", "sum" or "none".
    Example: ``F.huber_loss(mg.tensor([0.5, 3.0]), mg.zeros(2), delta=2.0)`` -> tensor(2.0625)"""
    _check_reduction(reduction)
    delta = _number(delta, "delta", "huber_loss")
    if not delta > 0:
        raise ValueError(f"huber_loss does not support non-positive values for delta, got {delta}")
    diff = input - _same_shape_target(input, target, "huber_loss")
    return _reduce(ops.SmoothL1(delta, huber=True)._call_once(diff), reduction)


KL_DIV_REDUCTIONS = ("mean", "batchmean", "sum", "none")


def kl_div(input, target, reduction="mean", log_target=False):
    """KL divergence of log-probabilities input against probabilities target (log-probabilities with
    log_target=True), pointwise target * (log(target) - input) with 0 * log(0) = 0; input and target
    broadcast together, as torch. reduction "batchmean" (the sum divided by input.size(0): the KL
    divergence per sample), "sum", "none", or "mean" (over every element; torch's warning says so).
    Example: ``F.kl_div(F.log_softmax(mg.randn(4, 5), 1), F.softmax(mg.randn(4, 5), 1), reduction="batchmean")``"""
    if reduction not in KL_DIV_REDUCTIONS:
        raise ValueError(f"kl_div: reduction must be one of 'mean', 'batchmean', 'sum', 'none', got {reduction!r}")
    input = _float_tensor(input, "kl_div")
    if not isinstance(target, Tensor):
        target = Tensor(_target_array(target, input), dtype=input.dtype)
    elif target.device != input.device:
        target = target.to(input.device)
    _check_same_dtype(input, target=target)
    if _broadcast_shape(input.shape, target.shape) is None:
        raise ValueError(f"kl_div: input shape {input.shape} and target shape {target.shape} do not broadcast "
                         f"to one shape")
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      UserWarning, stacklevel=2)
    loss = ops.KLDiv(bool(log_target))._call_once(input, target)
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return _reduce(loss, reduction)


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """-weight * (t log x + (1 - t) log(1 - x)) for probabilities x = input and targets t, both in
    [0, 1] and of one shape; each log is clamped at -100, as PyTorch. weight broadcasts to input.

    Example: ``F.binary_cross_entropy(F.sigmoid(mg.randn(4)), mg.tensor([0.0, 1.0, 1.0, 0.0]))``
    """
    _check_reduction(reduction)
    t = _same_shape_target(input, target, "binary_cross_entropy").data.copy()  # kept for backward
    xp = backend.array_module(input.data)
    if bool(xp.any((t < 0) | (t > 1))):
        raise ValueError(f"binary_cross_entropy: target values must be in [0, 1], got values in "
                         f"[{float(t.min())}, {float(t.max())}]")
    x = input.data
    if bool(xp.any((x < 0) | (x > 1))):
        raise ValueError("binary_cross_entropy: input values must be probabilities in [0, 1] "
                         "(apply sigmoid, or use binary_cross_entropy_with_logits on logits)")
    weight = _broadcast_weight(weight, input, "weight", "binary_cross_entropy")
    return _reduce(ops.BinaryCrossEntropy(t, weight)._call_once(input), reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None):
    """binary_cross_entropy(sigmoid(input), target), computed stably for logits of any size.

    pos_weight (broadcast along the last dim, e.g. (C,)) multiplies the positive term; weight
    broadcasts to input. Example:
    ``F.binary_cross_entropy_with_logits(mg.randn(4, 3), mg.ones(4, 3), pos_weight=mg.tensor([1.0, 2.0, 3.0]))``
    """
    _check_reduction(reduction)
    t = _same_shape_target(input, target, "binary_cross_entropy_with_logits").data.copy()  # kept for backward
    weight = _broadcast_weight(weight, input, "weight", "binary_cross_entropy_with_logits")
    pos_weight = _broadcast_weight(pos_weight, input, "pos_weight", "binary_cross_entropy_with_logits")
    return _reduce(ops.BinaryCrossEntropyWithLogits(t, weight, pos_weight)._call_once(input), reduction)


REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of 'mean', 'sum', 'none', got {reduction!r}")


def _reduce(loss, reduction):
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def _target_array(target, input):
    """The target's array on the input's device (a Tensor's data, or an array / list)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"input must be a Tensor, got {type(input).__name__}")
    target = target.data if isinstance(target, Tensor) else target
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
    _check_same_dtype(input, target=target)
    return target


def _broadcast_weight(weight, input, name, fn):
    """weight (a Tensor or None) as an array broadcast to input's shape."""
    if weight is None:
        return None
    if not isinstance(weight, Tensor):
        raise TypeError(f"{fn}: {name} must be a Tensor or None, got {type(weight).__name__}")
    _check_same_dtype(input, **{name: weight})
    xp = backend.array_module(input.data)
    try:
        return xp.broadcast_to(weight.data.copy(), input.shape)  # kept by the op for backward (see _class_rows)
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
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, numbers.Integral):
        raise TypeError(f"{name}: ignore_index must be an int, got {ignore_index!r}")
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
        rows = ops.Transpose((0,) + tuple(range(2, input.ndim)) + (1,))._call_once(input).reshape(-1, classes)
    # a copy: the op keeps the indices for backward, and a caller may change its array in place before
    return rows, target.reshape(-1).copy(), expected, ignored


def _class_weights(weight, input, name):
    """The (C,) array of a weight Tensor for input (C,) or (N, C, ...), or None."""
    if weight is None:
        return None
    if not isinstance(weight, Tensor):
        raise TypeError(f"{name}: weight must be a Tensor of shape (C,) or None, got {type(weight).__name__}")
    _check_same_dtype(input, weight=weight)
    classes = input.shape[min(1, input.ndim - 1)] if input.ndim else None  # 0-d input: refused later
    if classes is not None and weight.shape != (classes,):
        raise ValueError(f"{name}: weight must have shape ({classes},), one per class, got {weight.shape}")
    return weight.data.copy()  # kept by the op for backward (see _class_rows)


def _cross_entropy_with_probabilities(input, target, class_weights, reduction, label_smoothing):
    if target.shape != input.shape:
        raise ValueError(f"cross_entropy with probability targets needs target of the input's shape {input.shape}, "
                         f"got {target.shape}")
    class_dim = 0 if input.ndim == 1 else 1
    classes = input.shape[class_dim]
    target = target.astype(input.dtype, copy=False) * (1 - label_smoothing) + label_smoothing / classes
    if class_weights is not None:
        target = target * class_weights.reshape((classes,) + (1,) * (input.ndim - class_dim - 1))
    cost = -(log_softmax(input, class_dim) * Tensor._wrap(target, False)).sum(class_dim)
    return _reduce(cost, reduction)


def one_hot(tensor, num_classes=-1):
    """int64 one-hot encoding: shape (*tensor.shape, num_classes), 1 at each index. num_classes=-1
    takes the largest index + 1. Example: ``F.one_hot(mg.tensor([0, 2]), 3)`` ->
    tensor([[1, 0, 0], [0, 0, 1]])"""
    indices = tensor.data if isinstance(tensor, Tensor) else tensor
    if not hasattr(indices, "dtype") or indices.dtype.kind not in "iu":
        raise TypeError(f"one_hot takes a tensor of integer class indices, got "
                        f"{getattr(indices, 'dtype', type(indices).__name__)}")
    if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral) or num_classes < -1:
        raise ValueError(f"num_classes must be -1 or a non-negative int, got {num_classes!r}")
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
            or any(isinstance(w, bool) or not isinstance(w, numbers.Integral) for w in widths):
        raise ValueError(f"pad must be a tuple of ints of even length at most 2 * {input.ndim} (the input's "
                         f"dims), got {pad!r}")
    pairs = [(int(widths[i]), int(widths[i + 1])) for i in range(0, len(widths), 2)]
    per_dim = [(0, 0)] * (input.ndim - len(pairs)) + pairs[::-1]
    return ops.ConstantPad(tuple(per_dim), value)._call_once(input)


# ---- normalisation along a dim ------------------------------------------------------------------
def normalize(input, p=2.0, dim=1, eps=1e-12):
    """input / max(||input||_p, eps), the p-norm taken along ``dim`` (torch's F.normalize). p: a number
    > 0, inf or -inf. Example: ``F.normalize(mg.tensor([[3.0, 4.0]]))`` -> tensor([[0.6, 0.8]])"""
    input = _float_tensor(input, "normalize")
    eps = _number(eps, "eps", "normalize")
    return input / input.norm(p, _args.dim_index(dim, input.ndim), keepdim=True).clamp(min=eps)


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
    eps = _number(eps, "eps", "cosine_similarity")
    shape = _broadcast_shape(x1.shape, x2.shape)
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
    _check_same_dtype(weight)
    if input.device != weight.device:
        raise RuntimeError(f"embedding: indices are on {input.device} but weight is on {weight.device}; "
                           "move them to one device")
    num_embeddings = weight.shape[0]
    padding_idx = _padding_idx(padding_idx, num_embeddings, "embedding")
    indices = input.data
    if indices.size:
        lowest, highest = int(indices.min()), int(indices.max())
        if lowest < 0 or highest >= num_embeddings:
            raise IndexError(f"embedding: indices must be in [0, {num_embeddings}) for a weight of "
                             f"{num_embeddings} embeddings, got values in [{lowest}, {highest}]")
    return ops.EmbeddingOp(padding_idx)._call_once(weight, input)


def _padding_idx(padding_idx, num_embeddings, name):
    """padding_idx as an int in [0, num_embeddings) (negative counts from the end), or None."""
    if padding_idx is None:
        return None
    if isinstance(padding_idx, bool) or not isinstance(padding_idx, numbers.Integral):
        raise TypeError(f"{name}: padding_idx must be an int or None, got {padding_idx!r}")
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(f"{name}: padding_idx must be within num_embeddings: in [{-num_embeddings}, "
                         f"{num_embeddings}), got {padding_idx}")
    return int(padding_idx) % num_embeddings


def _probability(p):
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0 <= p <= 1:
        raise ValueError(f"dropout probability must be a number in [0, 1], got {p!r}")
    return float(p)


def _check_same_dtype(x, **others):
    if x.dtype not in backend.FLOAT_DTYPES:
        raise TypeError(f"input must be float32 or float64, got {x.dtype}; convert it with .float() (or .double())")
    for name, t in others.items():
        if t is not None and t.dtype != x.dtype:
            raise TypeError(f"dtype mismatch: input is {x.dtype} but {name} is {t.dtype}; "
                            + _DTYPE_FIXES[np.dtype(x.dtype).name])


# how a user makes an input and a layer agree, by the input's dtype
_DTYPE_FIXES = {
    "float64": "convert the input with x.float(), or the model with model.double() to compute in float64",
    "float32": "convert the input with x.double(), or the model with model.float() to compute in float32",
}


# ---- convolution and pooling ------------------------------------------------------------------
def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation (torch's conv2d). x: (N, C, H, W); weight: (O, C // groups, KH, KW);
    bias: (O,) or None. stride, dilation: int or (h, w); padding: int, (h, w), "valid" (none) or
    "same" (output as large as the input; stride 1 only; an odd total goes to the bottom/right).
    Returns (N, O, OH, OW) with OH = (H + 2 * pad_h - dilation_h * (KH - 1) - 1) // stride_h + 1.

    Example: ``F.conv2d(mg.randn(8, 3, 32, 32), mg.randn(16, 3, 3, 3), padding=1).shape`` -> (8, 16, 32, 32)
    """
    return _convolution(x, weight, bias, stride, padding, dilation, groups, spatial_dims=2, layer="conv2d")


def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D cross-correlation (torch's conv1d). x: (N, C, L); weight: (O, C // groups, K); bias: (O,)
    or None; stride, padding, dilation as in conv2d, for one dim. Returns (N, O, OL).

    Example: ``F.conv1d(mg.randn(8, 3, 100), mg.randn(16, 3, 5)).shape`` -> (8, 16, 96)
    """
    return _convolution(x, weight, bias, stride, padding, dilation, groups, spatial_dims=1, layer="conv1d")


def max_pool2d(x, kernel_size, stride=None, padding=0):
    """Maximum over windows of x (N, C, H, W); stride defaults to kernel_size; padding (at most
    half a window) acts as -inf. NaN in a window gives NaN. Returns (N, C, OH, OW).

    Example: ``F.max_pool2d(mg.randn(8, 6, 24, 24), 2).shape`` -> (8, 6, 12, 12)
    """
    kernel_size, stride, padding = _pool_arguments(x, kernel_size, stride, padding, "max_pool2d")
    return ops.MaxPool2dOp(kernel_size, stride, padding)._call_once(x)


def avg_pool2d(x, kernel_size, stride=None, padding=0, count_include_pad=True):
    """Mean over windows of x (N, C, H, W); stride defaults to kernel_size; zero padding (at most
    half a window), counted in the divisor when count_include_pad (torch's default).

    Example: ``F.avg_pool2d(mg.randn(8, 6, 24, 24), 2).shape`` -> (8, 6, 12, 12)
    """
    kernel_size, stride, padding = _pool_arguments(x, kernel_size, stride, padding, "avg_pool2d")
    return ops.AvgPool2dOp(kernel_size, stride, padding, bool(count_include_pad))._call_once(x)


def max_pool1d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Maximum over windows of x (N, C, L) or (C, L); stride defaults to kernel_size; padding (at
    most half a window) acts as -inf. Runs max_pool2d on a height-1 image. dilation > 1,
    ceil_mode=True and return_indices=True are not supported.

    Example: ``F.max_pool1d(mg.randn(8, 6, 24), 2).shape`` -> (8, 6, 12)
    """
    _unsupported_pool_options("max_pool1d", dilation=dilation, ceil_mode=ceil_mode, return_indices=return_indices)
    image, kernel_size, stride, padding = _pool1d_arguments(x, kernel_size, stride, padding, "max_pool1d")
    return _pool1d_result(x, ops.MaxPool2dOp(kernel_size, stride, padding)._call_once(image))


def avg_pool1d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """Mean over windows of x (N, C, L) or (C, L); stride defaults to kernel_size; zero padding (at
    most half a window), counted in the divisor when count_include_pad (torch's default). Runs
    avg_pool2d on a height-1 image; ceil_mode=True is not supported.

    Example: ``F.avg_pool1d(mg.randn(8, 6, 24), 3, stride=1, padding=1).shape`` -> (8, 6, 24)
    """
    _unsupported_pool_options("avg_pool1d", ceil_mode=ceil_mode)
    image, kernel_size, stride, padding = _pool1d_arguments(x, kernel_size, stride, padding, "avg_pool1d")
    op = ops.AvgPool2dOp(kernel_size, stride, padding, bool(count_include_pad))
    return _pool1d_result(x, op._call_once(image))


def adaptive_avg_pool2d(x, output_size):
    """Mean over the windows that split x (N, C, H, W) into output_size (int, or (OH, OW) where None
    keeps that input size): window i spans [floor(i * H / OH), ceil((i + 1) * H / OH)).

    Example: ``F.adaptive_avg_pool2d(mg.randn(8, 64, 7, 7), 1).shape`` -> (8, 64, 1, 1)
    """
    _check_image_input(x, "adaptive_avg_pool2d")
    if isinstance(output_size, (int, np.integer)) or output_size is None:
        output_size = (output_size, output_size)
    if len(output_size) != 2:
        raise ValueError(f"adaptive_avg_pool2d: output_size must be an int or (OH, OW), got {output_size!r}")
    output_size = tuple(size if wanted is None else wanted for wanted, size in zip(output_size, x.shape[2:]))
    if any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1 for s in output_size):
        raise ValueError(f"adaptive_avg_pool2d: output_size must be ints >= 1, got {output_size}")
    return ops.AdaptiveAvgPool2dOp(tuple(int(s) for s in output_size))._call_once(x)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Maximum over the bins that split input (N, C, H, W) or (C, H, W) into output_size (int, or
    (OH, OW) where None keeps that input size): bin i spans [floor(i * H / OH), ceil((i + 1) * H / OH)),
    as torch. The gradient goes to each bin's maximum (the first one; a NaN wins, as max_pool2d).
    return_indices=True also returns the int64 flat positions h * W + w of the maxima in their planes.

    Example: ``F.adaptive_max_pool2d(mg.randn(8, 64, 7, 7), 1).shape`` -> (8, 64, 1, 1)
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"adaptive_max_pool2d takes a Tensor, got {type(input).__name__}")
    if input.ndim not in (3, 4):
        raise RuntimeError(f"adaptive_max_pool2d: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got "
                           f"{input.ndim}-D input of shape {input.shape}")
    if input.dtype not in backend.FLOAT_DTYPES:
        raise NotImplementedError(f"adaptive_max_pool2d is not implemented for {input.dtype} input; convert it "
                                  f"with .float() (or .double())")
    if min(input.shape[-3:]) == 0:
        raise RuntimeError(f"adaptive_max_pool2d: the input's non-batch dims must not be empty, got shape "
                           f"{input.shape}")
    if output_size is None or isinstance(output_size, numbers.Integral):
        output_size = (output_size, output_size)
    if not isinstance(output_size, (tuple, list)):
        raise TypeError(f"adaptive_max_pool2d: output_size must be an int or (OH, OW), got {output_size!r}")
    if len(output_size) != 2:
        raise RuntimeError(f"adaptive_max_pool2d: output_size must be an int or 2 sizes (OH, OW), got {output_size!r}")
    sizes = []
    for wanted, size in zip(output_size, input.shape[-2:]):
        if wanted is not None and (isinstance(wanted, bool) or not isinstance(wanted, numbers.Integral)):
            raise TypeError(f"adaptive_max_pool2d: output_size must hold ints (or None), got {output_size!r}")
        if wanted is not None and wanted < 0:
            raise RuntimeError(f"adaptive_max_pool2d: output_size must be >= 0, got {tuple(output_size)}")
        sizes.append(size if wanted is None else int(wanted))
    image = input if input.ndim == 4 else input.unsqueeze(0)
    indices = Tensor._wrap(ops.adaptive_max_pool2d_indices(image.data, tuple(sizes)), False)
    values = ops.PlaneGather.apply(image, indices)
    if input.ndim == 3:
        values, indices = values.squeeze(0), indices.squeeze(0)
    return (values, indices) if return_indices else values


# ---- interpolate --------------------------------------------------------------------------------
_LINEAR_MODES = {"linear": 3, "bilinear": 4}  # the input dims each accepts


def _spatial_arguments(value, name, spatial, shape, accepts):
    """``value`` (one value, or one per spatial dim) as a list of ``spatial`` values, each checked by
    ``accepts``; torch's errors for a wrong count."""
    if isinstance(value, (tuple, list)):
        if len(value) != spatial:
            what, fmt = (("output", "output size of", "output size"), "o") if name == "size" else \
                (("scale_factor", "scale_factor of shape", "scale_factor"), "s")
            raise ValueError(f"Input and {what[0]} must have the same number of spatial dimensions, but got input "
                             f"with spatial dimensions of {list(shape[2:])} and {what[1]} {tuple(value)}. Please "
                             f"provide input tensor in (N, C, d1, d2, ...,dK) format and {what[2]} in "
                             f"({fmt}1, {fmt}2, ...,{fmt}K) format.")
        values = list(value)
    else:
        values = [value] * spatial
    for v in values:
        if isinstance(v, bool) or not accepts(v):
            raise TypeError(f"interpolate: {name} must be {'an int' if name == 'size' else 'a number'} or a "
                            f"tuple of {spatial}, got {value!r}")
    return values


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resample the spatial dims of input (N, C, L) or (N, C, H, W) to ``size`` or by ``scale_factor``
    (one, or one per spatial dim; the output size is floor(in * scale)), as torch.nn.functional.interpolate.
    mode: "nearest" (torch's legacy nearest: source floor(dst * in / out), or floor(dst / scale_factor)
    when a scale_factor is given), "linear" (3-D input) or "bilinear" (4-D input), with align_corners
    (default False) aligning the corner samples instead of the pixel centres. recompute_scale_factor=True
    uses in / out rather than the given scale_factor. Other modes and antialias=True are not supported.

    Example: ``F.interpolate(mg.randn(1, 3, 8, 8), scale_factor=2, mode="bilinear").shape`` -> (1, 3, 16, 16)
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"interpolate takes a Tensor, got {type(input).__name__}")
    if mode not in ("nearest", "linear", "bilinear"):
        raise NotImplementedError(f"interpolate: mode {mode!r} is not supported; minigrad implements 'nearest', "
                                  f"'linear' (3-D input) and 'bilinear' (4-D input)")
    if mode == "nearest":
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: linear | bilinear")
    elif align_corners is None:
        align_corners = False
    elif not isinstance(align_corners, (bool, np.bool_)):
        raise TypeError(f"interpolate: align_corners must be a bool, got {align_corners!r}")
    spatial = input.ndim - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if size is not None:
        out_sizes = _spatial_arguments(size, "size", spatial, input.shape, lambda v: isinstance(v, numbers.Integral))
        scales = [None] * len(out_sizes)
    else:
        scales = _spatial_arguments(scale_factor, "scale_factor", spatial, input.shape,
                                    lambda v: isinstance(v, numbers.Real))
        scales = [float(s) for s in scales]
        out_sizes = [int(n * s) for n, s in zip(input.shape[2:], scales)]  # truncation, as torch's conversion
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if recompute_scale_factor:
        scales = [None] * len(scales)
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported")
    if input.ndim not in (3, 4):
        raise NotImplementedError(f"interpolate: only 3-D (N, C, L) and 4-D (N, C, H, W) input is supported "
                                  f"(got {input.ndim}-D input of shape {input.shape}) for mode {mode!r}")
    if mode in _LINEAR_MODES and input.ndim != _LINEAR_MODES[mode]:
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs {_LINEAR_MODES[mode]}D input")
    if input.dtype not in backend.FLOAT_DTYPES:
        raise NotImplementedError(f"interpolate: mode {mode!r} is not implemented for {input.dtype} input; convert "
                                  f"it with .float() (or .double())")
    if min(input.shape[2:]) <= 0 or min(out_sizes) <= 0:
        names = ("W",) if spatial == 1 else ("H", "W")
        shown = lambda sizes: ", ".join(f"{n}: {s}" for n, s in zip(names, sizes))  # noqa: E731
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input ({shown(input.shape[2:])}) "
                           f"output ({shown(out_sizes)})")
    op_mode = "nearest" if mode == "nearest" else "linear"
    return ops.Interpolate(op_mode, [int(s) for s in out_sizes], scales, bool(align_corners))._call_once(input)


def _convolution(x, weight, bias, stride, padding, dilation, groups, spatial_dims, layer):
    """Checks every argument of a convolution over ``spatial_dims`` dims (errors start with
    ``layer``) and applies the op with its 2-D hyperparameters."""
    if not isinstance(x, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(f"{layer} takes Tensors, got {type(x).__name__} and {type(weight).__name__}")
    dims = ("N, C, H, W", "N, C, L")[spatial_dims == 1]
    if x.ndim != spatial_dims + 2:
        raise ValueError(f"{layer}: expected {spatial_dims + 2}-D input ({dims}), got {x.ndim}-D input "
                         f"of shape {x.shape}")
    if weight.ndim != spatial_dims + 2:
        raise ValueError(f"{layer}: weight must have {spatial_dims + 2} dims (out_channels, in_channels // groups, "
                         f"*kernel_size), got shape {weight.shape}")
    _check_same_dtype(x, weight=weight, bias=bias)
    stride = _int_tuple(stride, spatial_dims, "stride", layer, minimum=1)
    dilation = _int_tuple(dilation, spatial_dims, "dilation", layer, minimum=1)
    padding = _conv_padding(padding, weight.shape[2:], stride, dilation, layer)
    groups = _groups(groups, layer)
    out_channels = weight.shape[0]
    if out_channels % groups:
        raise ValueError(f"{layer}: groups={groups} must divide the {out_channels} output channels "
                         f"(weight of shape {weight.shape})")
    if x.shape[1] != weight.shape[1] * groups:
        raise ValueError(f"{layer}: input of shape {x.shape} has {x.shape[1]} channels, but weight of shape "
                         f"{weight.shape} with groups={groups} expects in_channels = weight.shape[1] * groups "
                         f"= {weight.shape[1] * groups}")
    if bias is not None and bias.shape != (out_channels,):
        raise ValueError(f"{layer}: bias must have shape ({out_channels},), got {bias.shape}")
    for axis, (size, k, d, (before, after)) in enumerate(zip(x.shape[2:], weight.shape[2:], dilation, padding)):
        if k < 1 or size + before + after < d * (k - 1) + 1:
            raise ValueError(f"{layer}: kernel size {k} (dilation {d}) spans {d * (k - 1) + 1}, larger than "
                             f"the padded input: size {size} + padding {before + after} along spatial dim "
                             f"{axis} of input shape {x.shape}")
    if spatial_dims == 1:  # runs as a height-1 image
        stride, dilation, padding = (1,) + stride, (1,) + dilation, ((0, 0),) + padding
    op = ops.ConvolutionOp(stride, padding, dilation, groups)
    return op._call_once(x, weight) if bias is None else op._call_once(x, weight, bias)


def _int_tuple(value, n, name, layer, minimum):
    """``value`` (an int, or n ints) as a tuple of n ints >= minimum."""
    values = (value,) * n if isinstance(value, (int, np.integer)) else value
    if (not isinstance(values, (tuple, list)) or len(values) != n
            or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < minimum for v in values)):
        raise ValueError(f"{layer}: {name} must be an int >= {minimum} or {n} such ints, got {value!r}")
    return tuple(int(v) for v in values)


def _conv_padding(padding, kernel_size, stride, dilation, layer):
    """((before, after), ...) per spatial dim from an int, a tuple, "valid" or "same"."""
    if padding == "valid":
        return ((0, 0),) * len(kernel_size)
    if padding == "same":
        if any(s != 1 for s in stride):
            raise ValueError(f"{layer}: padding='same' needs stride 1, got stride={stride}")
        totals = [d * (k - 1) for k, d in zip(kernel_size, dilation)]
        return tuple((total // 2, total - total // 2) for total in totals)
    if isinstance(padding, str):
        raise ValueError(f"{layer}: padding must be an int, a tuple of ints, 'same' or 'valid', got {padding!r}")
    return tuple((p, p) for p in _int_tuple(padding, len(kernel_size), "padding", layer, minimum=0))


def _groups(groups, layer):
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{layer}: groups must be an int >= 1, got {groups!r}")
    return int(groups)


def _check_image_input(x, layer):
    if not isinstance(x, Tensor):
        raise TypeError(f"{layer} takes a Tensor, got {type(x).__name__}")
    if x.ndim != 4:
        raise ValueError(f"{layer}: expected 4-D input (N, C, H, W), got {x.ndim}-D input of shape {x.shape}")
    _check_same_dtype(x)


def _pool_arguments(x, kernel_size, stride, padding, layer):
    """(kernel_size, stride, padding) as (h, w) pairs, checked against x (N, C, H, W)."""
    _check_image_input(x, layer)
    kernel_size = _int_tuple(kernel_size, 2, "kernel_size", layer, minimum=1)
    stride = kernel_size if stride is None else _int_tuple(stride, 2, "stride", layer, minimum=1)
    padding = _int_tuple(padding, 2, "padding", layer, minimum=0)
    if any(2 * p > k for p, k in zip(padding, kernel_size)):
        raise ValueError(f"{layer}: padding {padding} must be at most half of kernel_size {kernel_size}")
    for size, k, p in zip(x.shape[2:], kernel_size, padding):
        if size + 2 * p < k:
            raise ValueError(f"{layer}: pooling window {kernel_size} is larger than the padded input: "
                             f"input of shape {x.shape} with padding {padding}")
    return kernel_size, stride, padding


def _unsupported_pool_options(layer, dilation=1, ceil_mode=False, return_indices=False):
    """Refuse the options of torch's 1-D pooling that minigrad's pooling does not implement."""
    if _int_tuple(dilation, 1, "dilation", layer, minimum=1) != (1,):
        raise NotImplementedError(f"{layer}: dilation={dilation!r} is not supported (only dilation=1)")
    if ceil_mode:
        raise NotImplementedError(f"{layer}: ceil_mode=True is not supported (only ceil_mode=False)")
    if return_indices:
        raise NotImplementedError(f"{layer}: return_indices=True is not supported (only return_indices=False)")


def _pool1d_arguments(x, kernel_size, stride, padding, layer):
    """(x as a height-1 image (N, C, 1, L), then kernel_size, stride, padding as the (h, w) pairs of
    the 2-D pooling ops), checked against x (N, C, L) or (C, L)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{layer} takes a Tensor, got {type(x).__name__}")
    if x.ndim not in (2, 3):
        raise ValueError(f"{layer}: expected 3-D input (N, C, L) or 2-D input (C, L), got {x.ndim}-D input "
                         f"of shape {x.shape}")
    _check_same_dtype(x)
    (kernel,) = _int_tuple(kernel_size, 1, "kernel_size", layer, minimum=1)
    (step,) = (kernel,) if stride is None else _int_tuple(stride, 1, "stride", layer, minimum=1)
    (pad,) = _int_tuple(padding, 1, "padding", layer, minimum=0)
    if 2 * pad > kernel:
        raise ValueError(f"{layer}: padding {pad} must be at most half of kernel_size {kernel}")
    if x.shape[-1] + 2 * pad < kernel:
        raise ValueError(f"{layer}: pooling window {kernel} is larger than the padded input: input of shape "
                         f"{x.shape} with padding {pad}")
    image = x.unsqueeze(-2) if x.ndim == 3 else x.unsqueeze(0).unsqueeze(-2)
    return image, (1, kernel), (1, step), (0, pad)


def _pool1d_result(x, y):
    """The 2-D pooling result (N, C, 1, OL) back in x's layout: (N, C, OL), or (C, OL)."""
    y = y.squeeze(-2)
    return y if x.ndim == 3 else y.squeeze(0)
