"""Layers written in terms of functional ops."""
import math

import numpy as np

from .. import _random, functional as F
from ..tensor import Tensor, _resolve_dtype, float32
from .module import Module, Parameter


class Linear(Module):
    """y = x @ weight.T + bias; weight (out_features, in_features), PyTorch's default init
    uniform(-1/sqrt(in), 1/sqrt(in)) for weight and bias.

    Example: ``nn.Linear(784, 256)(mg.randn(64, 784)).shape`` -> (64, 256)
    """

    def __init__(self, in_features, out_features, bias=True, dtype=None, device="cpu"):
        super().__init__()
        if in_features < 1 or out_features < 1:
            raise ValueError(f"Linear needs positive feature counts, got ({in_features}, {out_features})")
        self.in_features, self.out_features = in_features, out_features
        bound = 1 / math.sqrt(in_features)
        dtype = _resolve_dtype(dtype) or float32
        uniform = _random.generator().uniform
        self.weight = Parameter(Tensor(uniform(-bound, bound, (out_features, in_features)), dtype=dtype, device=device))
        self.register_parameter(
            "bias", Parameter(Tensor(uniform(-bound, bound, out_features), dtype=dtype, device=device)) if bias else None)

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class ReLU(Module):
    def forward(self, x):
        return F.relu(x)


class Dropout(Module):
    """Inverted dropout with probability p in training; the identity in eval."""

    def __init__(self, p=0.5):
        super().__init__()
        self.p = F._probability(p)

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"


class _BatchNorm(Module):
    expected_dims = ()

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 dtype=None, device="cpu"):
        super().__init__()
        if num_features < 1:
            raise ValueError(f"num_features must be positive, got {num_features}")
        if not eps > 0:
            raise ValueError(f"eps must be > 0, got {eps}")
        if momentum is not None and not 0 <= momentum <= 1:
            raise ValueError(f"momentum must be in [0, 1] or None, got {momentum}")
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        dtype = _resolve_dtype(dtype) or float32
        if affine:
            self.weight = Parameter(Tensor(np.ones(num_features), dtype=dtype, device=device))
            self.bias = Parameter(Tensor(np.zeros(num_features), dtype=dtype, device=device))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features), dtype=dtype, device=device))
            self.register_buffer("running_var", Tensor(np.ones(num_features), dtype=dtype, device=device))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64), device=device))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def forward(self, x):
        if x.ndim not in self.expected_dims:
            dims = " or ".join(f"{d}D" for d in self.expected_dims)
            raise ValueError(f"{type(self).__name__} expected {dims} input (got {x.ndim}D input of shape {x.shape})")
        if x.shape[1] != self.num_features:
            raise ValueError(f"{type(self).__name__}({self.num_features}) got input with {x.shape[1]} channels "
                             f"(shape {x.shape}); channels are axis 1")
        # the running statistics are None exactly when they are not tracked; then the batch's are used
        update = self.training and self.track_running_stats
        momentum = self.momentum if self.momentum is not None else 0.0
        if update and self.momentum is None:  # cumulative average over the batches seen
            momentum = 1.0 / (int(self.num_batches_tracked.item()) + 1)
        use_batch_stats = self.training or not self.track_running_stats
        y = self._normalize(x, use_batch_stats, momentum)
        if update:
            self.num_batches_tracked.data += 1
        return y

    def _normalize(self, x, use_batch_stats, momentum):
        # SyncBatchNorm replaces this with its global-batch statistics
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, use_batch_stats,
                            momentum, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """BatchNorm over (N, C) or (N, C, L) input, statistics per channel (axis 1).

    Example: ``nn.BatchNorm1d(128)(mg.randn(64, 128))``
    """

    expected_dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """BatchNorm over (N, C, H, W) input, statistics per channel (axis 1)."""

    expected_dims = (4,)


class Flatten(Module):
    """Flatten dims start_dim..end_dim into one (default: all but the batch dim)."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        start = self.start_dim % x.ndim
        end = self.end_dim % x.ndim
        return x.reshape(x.shape[:start] + (-1,) + x.shape[end + 1:])


class Sequential(Module):
    """Modules applied in order. Example: ``nn.Sequential(nn.Linear(4, 8), nn.ReLU())``"""

    def __init__(self, *modules):
        super().__init__()
        for index, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(f"Sequential takes Modules, got {type(module).__name__} at position {index}")
            setattr(self, str(index), module)

    def forward(self, x):
        for module in self._modules.values():
            x = module(x)
        return x

    def __getitem__(self, index):
        return list(self._modules.values())[index]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())


class CrossEntropyLoss(Module):
    """Mean cross-entropy of logits (N, C) against integer targets (N,)."""

    def forward(self, logits, target):
        return F.cross_entropy(logits, target)


class MSELoss(Module):
    def forward(self, input, target):
        return F.mse_loss(input, target)
