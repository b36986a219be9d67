"""Normalisation: batch, layer, group and instance norm (the first two on the compiled kernels), and
F.normalize (x / ||x||_p along a dim)."""
import math

from .. import _args, backend
from ..autograd import Op
from ..autograd.adjoint import constant
from ..tensor import Tensor
from ._tensor_checks import check_same_dtype, float_tensor

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm", "normalize"]


class BatchNormOp(Op):
    """Inputs: x (N, C, ...) and, when present, weight and bias (C,).

    In training the batch statistics normalise x and the running statistics (arrays, or None) are
    updated in place with factor ``momentum``; in eval the running statistics normalise x.
    """

    def __init__(self, training, running_mean, running_var, momentum, eps, has_weight, has_bias):
        self.training, self.momentum, self.eps = training, momentum, eps
        self.running_mean, self.running_var = running_mean, running_var
        self.has_weight, self.has_bias = has_weight, has_bias

    def forward(self, x, *affine):
        weight = affine[0] if self.has_weight else None
        bias = affine[-1] if self.has_bias else None
        x = self.xp.ascontiguousarray(x)  # once, for the forward and the backward kernel
        kernels = self.kernels
        if self.training:
            y, self.mean, self.invstd = kernels.batch_norm_forward_train(
                x, weight, bias, self.running_mean, self.running_var, self.momentum, self.eps)
        else:
            y = kernels.batch_norm_forward_eval(x, self.running_mean, self.running_var, weight, bias, self.eps)
            if any(self.needs_input_grad):
                xp = self.xp
                self.mean = self.running_mean.astype(xp.float64)
                self.invstd = 1.0 / xp.sqrt(self.running_var.astype(xp.float64) + self.eps)
        self.x, self.weight = x, weight
        return y

    def backward(self, gy):
        gx, gweight, gbias = self.kernels.batch_norm_backward(
            gy, self.x, self.mean, self.invstd, self.weight, self.training)
        return affine_grads(self, (gx, gweight, gbias))

    def backward_graph(self, inputs, gy):
        x, weight = inputs[0], inputs[1] if self.has_weight else None
        axes = (0,) + tuple(range(2, x.ndim))
        per_channel = (-1,) + (1,) * (x.ndim - 2)
        statistics = None
        if not self.training:  # the running statistics: constants
            statistics = tuple(constant(s.astype(x.dtype).reshape(per_channel)) for s in (self.mean, self.invstd))
        grads = normalization_backward_graph(
            x, gy, None if weight is None else weight.reshape(per_channel),
            lambda t: t.mean(axes, keepdim=True), lambda t: t.sum(axes), self.eps, statistics)
        return affine_grads(self, grads)


class LayerNormOp(Op):
    """Inputs: x (*, *normalized_shape) and, when present, weight and bias of normalized_shape.

    Each of the leading positions is normalised over the trailing ``normalized_ndim`` dims with its
    own mean and biased variance, then scaled by weight and shifted by bias (elementwise).
    """

    def __init__(self, normalized_ndim, eps, has_weight, has_bias):
        self.normalized_ndim, self.eps = normalized_ndim, eps
        self.has_weight, self.has_bias = has_weight, has_bias

    def forward(self, x, *affine):
        width = 1
        for size in x.shape[x.ndim - self.normalized_ndim:]:
            width *= size
        rows = self.xp.ascontiguousarray(x).reshape(-1, width)  # once, for the forward and the backward kernel
        weight = affine[0].reshape(-1) if self.has_weight else None
        bias = affine[-1].reshape(-1) if self.has_bias else None
        y, self.mean, self.invstd = self.kernels.layer_norm_forward(rows, weight, bias, self.eps)
        self.rows, self.weight, self.affine_shape = rows, weight, x.shape[x.ndim - self.normalized_ndim:]
        return y.reshape(x.shape)

    def backward(self, gy):
        needs = self.needs_input_grad
        gx, gweight, gbias = self.kernels.layer_norm_backward(
            gy.reshape(self.rows.shape), self.rows, self.mean, self.invstd, self.weight,
            self.has_weight and needs[1], self.has_bias and needs[-1], gx_shape=gy.shape,
            affine_shape=self.affine_shape)
        return affine_grads(self, (gx, gweight, gbias))

    def backward_graph(self, inputs, gy):
        width = self.rows.shape[1]
        weight = inputs[1].reshape(-1) if self.has_weight else None
        gx, gweight, gbias = normalization_backward_graph(
            inputs[0].reshape(-1, width), gy.reshape(-1, width), weight, lambda t: t.mean(1, keepdim=True),
            lambda t: t.sum(0), self.eps)
        return affine_grads(self, (gx.reshape(gy.shape), gweight.reshape(self.affine_shape),
                                    gbias.reshape(self.affine_shape)))


def normalization_backward_graph(x, gy, weight, mean, total, eps, statistics=None):
    """(gx, gweight, gbias) of y = x_hat * weight + bias (weight None: 1), as Tensors in the graph:
    the differentiable backward of the normalisations. x_hat = (x - mu) * invstd with mu and the biased
    variance from ``mean`` (Tensor -> its mean over the normalised positions, kept broadcastable) and
    invstd = 1 / sqrt(var + eps); statistics: (mu, invstd) Tensors to use instead, constants (BatchNorm's
    eval mode). ``total`` sums the affine gradients over the positions that share a weight entry."""
    if statistics is None:
        centered = x - mean(x)
        invstd = (mean(centered * centered) + eps) ** -0.5
    else:
        centered, invstd = x - statistics[0], statistics[1]
    x_hat = centered * invstd
    g = gy if weight is None else gy * weight
    if statistics is None:  # mu and var depend on x: the two mean terms
        gx = invstd * (g - mean(g) - x_hat * mean(g * x_hat))
    else:
        gx = g * invstd
    return gx, total(gy * x_hat), total(gy)


def affine_grads(op, grads):
    """(gx, gweight, gbias) cut to the op's inputs (x, weight if it has one, bias if it has one)."""
    gx, gweight, gbias = grads
    return (gx,) + ((gweight,) if op.has_weight else ()) + ((gbias,) if op.has_bias else ())


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
    eps = positive_eps(eps, "batch_norm")
    if training:
        momentum = _args.real(momentum, "batch_norm: momentum", 0, 1)
    channels = x.shape[1]
    check_same_dtype(x, weight=weight, bias=bias, running_mean=running_mean, running_var=running_var)
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and t.shape != (channels,):
            raise ValueError(f"{name} has shape {t.shape}, but the input has {channels} channels (axis 1)")
    if training and x.numel() // max(channels, 1) < 2:
        raise ValueError(f"expected more than 1 value per channel when training, got input of shape {x.shape}")
    if not training and (running_mean is None or running_var is None):
        raise ValueError("batch_norm in eval mode (training=False) needs running_mean and running_var")
    if (running_mean is None) != (running_var is None):
        raise ValueError("running_mean and running_var must both be given or both be None")
    op = BatchNormOp(training, None if running_mean is None else running_mean._data,
                     None if running_var is None else running_var._data, float(momentum), eps,
                     weight is not None, bias is not None)
    return op(*(t for t in (x, weight, bias) if t is not None))


def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise x over its trailing dims ``normalized_shape`` (an int or a tuple), each leading
    position with its own mean and biased variance, then scale by weight and shift by bias (each
    of shape normalized_shape, or None).

    Example: ``F.layer_norm(mg.randn(8, 16, 32), (32,)).shape`` -> (8, 16, 32)
    """
    if not isinstance(x, Tensor):
        raise TypeError(f"layer_norm takes a Tensor, got {type(x).__name__}")
    normalized_shape = normalized_shape_tuple(normalized_shape)
    n = len(normalized_shape)
    if x.ndim < n or x.shape[x.ndim - n:] != normalized_shape:
        raise ValueError(f"layer_norm: normalized_shape={normalized_shape} must equal the input's last {n} "
                         f"dimension(s), got input of shape {x.shape}")
    eps = positive_eps(eps, "layer_norm")
    check_same_dtype(x, weight=weight, bias=bias)
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.shape != normalized_shape:
            raise ValueError(f"layer_norm: {name} must have shape normalized_shape={normalized_shape}, got {t.shape}")
    op = LayerNormOp(n, eps, weight is not None, bias is not None)
    return op(*(t for t in (x, weight, bias) if t is not None))


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalise input (N, C, *) per sample and group of C / num_groups consecutive channels, with
    the group's mean and biased variance, then scale by weight and shift by bias (each (C,) or
    None), per channel. LayerNorm's kernel over each (sample, group) row, then the channel affine.

    Example: ``F.group_norm(mg.randn(8, 6, 4, 4), 3).shape`` -> (8, 6, 4, 4)
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"group_norm takes a Tensor, got {type(input).__name__}")
    num_groups = _args.integer(num_groups, "group_norm: num_groups")
    if input.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.ndim}")
    if num_groups < 1:
        raise RuntimeError(f"Expected num groups to be greater than 0, got {num_groups}")
    shape = input.shape
    channels = shape[1]
    if channels % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {shape} and num_groups={num_groups}")
    _check_channel_vectors("group_norm", input, weight=weight, bias=bias)
    eps = positive_eps(eps, "group_norm")
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
            running_mean._data[...] = running_var._data[...] = float("nan")
        return _channel_affine(input * 1, weight, bias)
    # as torch: each (sample, channel) is a channel of BatchNorm on input viewed as (1, N * C, *spatial),
    # with the running statistics repeated N times, then averaged back over the batch
    xp = backend.array_module(input._data)
    repeated = [None if t is None else Tensor._wrap(xp.tile(t._data, n), False) for t in (running_mean, running_var)]
    y = batch_norm(input.reshape(1, n * channels, *shape[2:]), repeated[0], repeated[1],
                   None if weight is None else weight.repeat(n), None if bias is None else bias.repeat(n),
                   True, momentum, eps)
    if running_mean is not None:
        for running, updated in zip((running_mean, running_var), repeated):
            running._data[...] = updated._data.reshape(n, channels).mean(axis=0)
    return y.reshape(shape)


def _check_channel_vectors(fn, input, **vectors):
    """Each of ``vectors`` (Tensors or None) is a (C,) vector in input's float dtype."""
    check_same_dtype(input, **vectors)
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


def positive_eps(eps, fn):
    """eps as a float > 0: the normalisations divide by sqrt(var + eps). ``fn`` names the function or
    layer in the message. Example: ``positive_eps(1e-5, "BatchNorm1d")`` -> 1e-05"""
    return _args.real(eps, f"{fn}: eps", 0, low_open=True)


def normalized_shape_tuple(normalized_shape):
    """normalized_shape as a tuple of positive ints (an int is a 1-tuple)."""
    if type(normalized_shape) is tuple and normalized_shape and \
            all([type(s) is int and s > 0 for s in normalized_shape]):
        return normalized_shape  # every F.layer_norm call parses its shape: a tuple of ints in one pass
    shape = (normalized_shape,) if _args.is_int(normalized_shape) else normalized_shape
    try:
        shape = tuple(shape)
    except TypeError:
        raise TypeError(f"normalized_shape must be an int or a tuple of ints, got {normalized_shape!r}") from None
    if not shape or any(not _args.is_int(s) or s < 1 for s in shape):
        raise ValueError(f"normalized_shape must be a non-empty tuple of positive ints, got {normalized_shape!r}")
    return tuple(int(s) for s in shape)


def normalize(input, p=2.0, dim=1, eps=1e-12):
    """input / max(||input||_p, eps), the p-norm taken along ``dim`` (torch's F.normalize). p: a number
    > 0, inf or -inf. Example: ``F.normalize(mg.tensor([[3.0, 4.0]]))`` -> tensor([[0.6, 0.8]])"""
    input = float_tensor(input, "normalize")
    eps = _args.real(eps, "normalize: eps")
    return input / input.norm(p, _args.dim_index(dim, input.ndim), keepdim=True).clamp(min=eps)
