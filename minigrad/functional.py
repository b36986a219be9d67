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
