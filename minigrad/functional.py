"""Tensor -> Tensor functions that apply ops (Chainer's F, PyTorch's torch.nn.functional).

Arguments are checked here, so a wrong shape, dtype or hyper-parameter is a clear Python error
that names the problem before any kernel runs.
"""
import numbers

import numpy as np

from . import backend, ops
from .tensor import Tensor


def relu(x):
    """max(x, 0) elementwise. Example: ``F.relu(mg.tensor([-1.0, 2.0]))`` -> tensor([0., 2.])"""
    return ops.ReLU()(x)


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
    return ops.LinearOp()(x, weight) if bias is None else ops.LinearOp()(x, weight, bias)


def dropout(x, p=0.5, training=True):
    """Zero each element with probability p and scale the rest by 1/(1-p) (identity in eval).

    p = 0 is the identity, p = 1 gives zeros. Masks follow mg.manual_seed.
    Example: ``F.dropout(mg.ones(4), p=0.5)`` -> e.g. tensor([2., 0., 2., 0.])
    """
    p = _probability(p)
    if not training or p == 0:
        return x
    return ops.DropoutOp(p)(x)


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
    return op(*(t for t in (x, weight, bias) if t is not None))


def log_softmax(x, dim=-1):
    """log(softmax(x)) along ``dim``, stable for logits of any size."""
    return x.log_softmax(dim)


def softmax(x, dim=-1):
    """exp(x) / sum(exp(x)) along ``dim``, stable for logits of any size."""
    return x.softmax(dim)


def cross_entropy(logits, target):
    """Mean cross-entropy of logits (N, C) against integer class targets (N,) in [0, C).

    Example: ``F.cross_entropy(mg.randn(4, 10), np.array([1, 0, 9, 3]))``
    """
    if logits.ndim != 2:
        raise ValueError(f"cross_entropy expects logits of shape (N, C), got {logits.shape}")
    target = target.data if isinstance(target, Tensor) else target
    target = backend.to_device(target if hasattr(target, "dtype") else np.asarray(target), logits.device)
    if target.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy targets must be integer class indices, got dtype {target.dtype}")
    if target.shape != (logits.shape[0],):
        raise ValueError(f"cross_entropy targets must have shape ({logits.shape[0]},), got {target.shape}")
    if target.size and (int(target.min()) < 0 or int(target.max()) >= logits.shape[1]):
        raise ValueError(f"cross_entropy targets must be in [0, {logits.shape[1]}), got values in "
                         f"[{int(target.min())}, {int(target.max())}]")
    return ops.CrossEntropy(target)(logits)


def mse_loss(input, target):
    """Mean of (input - target)^2 over all elements; the shapes must match."""
    target = target if isinstance(target, Tensor) else Tensor(target, dtype=input.dtype, device=input.device)
    if input.shape != target.shape:
        raise ValueError(f"mse_loss: input shape {input.shape} and target shape {target.shape} differ")
    diff = input - target
    return (diff * diff).mean()


def _probability(p):
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0 <= p <= 1:
        raise ValueError(f"dropout probability must be a number in [0, 1], got {p!r}")
    return float(p)


def _check_same_dtype(x, **others):
    if x.dtype not in backend.FLOAT_DTYPES:
        raise TypeError(f"input must be float32 or float64, got {x.dtype}")
    for name, t in others.items():
        if t is not None and t.dtype != x.dtype:
            raise TypeError(f"dtype mismatch: input is {x.dtype} but {name} is {t.dtype}")


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
    return ops.MaxPool2dOp(kernel_size, stride, padding)(x)


def avg_pool2d(x, kernel_size, stride=None, padding=0, count_include_pad=True):
    """Mean over windows of x (N, C, H, W); stride defaults to kernel_size; zero padding (at most
    half a window), counted in the divisor when count_include_pad (torch's default).

    Example: ``F.avg_pool2d(mg.randn(8, 6, 24, 24), 2).shape`` -> (8, 6, 12, 12)
    """
    kernel_size, stride, padding = _pool_arguments(x, kernel_size, stride, padding, "avg_pool2d")
    return ops.AvgPool2dOp(kernel_size, stride, padding, bool(count_include_pad))(x)


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
    return ops.AdaptiveAvgPool2dOp(tuple(int(s) for s in output_size))(x)


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
    return op(x, weight) if bias is None else op(x, weight, bias)


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
