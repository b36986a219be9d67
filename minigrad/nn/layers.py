"""Layers written in terms of functional ops."""
import math
import warnings

import numpy as np

from .. import _args
from .. import functional as F
from ..autograd import no_grad
from ..ops.activation import gelu_approximation, hardtanh_bounds
from ..ops.conv import conv_padding, conv_transpose, convolution, sliding_blocks
from ..ops.embedding import padding_index
from ..ops.normalization import normalized_shape_tuple, positive_eps
from ..ops.pool import pool_window, unsupported_pool_options
from . import init
from .._dtypes import float32, resolve_dtype
from ..tensor import Tensor
from .module import Module, Parameter

__all__ = ["ELU", "GELU", "AdaptiveAvgPool2d", "AvgPool1d", "AvgPool2d", "BatchNorm1d", "BatchNorm2d", "Conv1d",
           "Conv2d", "ConvTranspose1d", "ConvTranspose2d", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "Embedding",
           "Flatten", "Fold", "GroupNorm", "Hardswish", "Identity", "InstanceNorm1d", "InstanceNorm2d", "LayerNorm",
           "LeakyReLU", "Linear", "LogSigmoid", "LogSoftmax", "MaxPool1d", "MaxPool2d", "Mish", "ModuleDict", "ModuleList",
           "ReLU", "Sequential", "Sigmoid", "SiLU", "Softmax", "Softmin", "Softplus", "Softsign", "Tanh", "Hardtanh",
           "Unfold"]


def _reset_weight_and_bias(layer):
    """torch's default for Linear and Conv: kaiming_uniform_(a=sqrt(5)) for the weight, which is
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the same range for the bias."""
    init.kaiming_uniform_(layer.weight, a=math.sqrt(5))
    if layer.bias is not None:
        fan_in, _ = init._calculate_fan_in_and_fan_out(layer.weight)
        bound = 1 / math.sqrt(fan_in)
        init.uniform_(layer.bias, -bound, bound)


class Linear(Module):
    """y = x @ weight.T + bias; weight (out_features, in_features). PyTorch's initialisation:
    kaiming_uniform_(a=sqrt(5)) for weight, i.e. U(-1/sqrt(in), 1/sqrt(in)), and the same range
    for bias.

    Example: ``nn.Linear(784, 256)(mg.randn(64, 784)).shape`` -> (64, 256)
    """

    def __init__(self, in_features, out_features, bias=True, dtype=None, device="cpu"):
        super().__init__()
        in_features = _args.positive_int(in_features, "Linear: in_features")
        out_features = _args.positive_int(out_features, "Linear: out_features")
        self.in_features, self.out_features = in_features, out_features
        dtype = resolve_dtype(dtype) or float32
        self.weight = Parameter(Tensor(np.zeros((out_features, in_features)), dtype=dtype, device=device))
        self.register_parameter(
            "bias", Parameter(Tensor(np.zeros(out_features), dtype=dtype, device=device)) if bias else None)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_weight_and_bias(self)

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class ReLU(Module):
    """max(x, 0); inplace=True overwrites the input, as torch. Example: ``nn.ReLU()(mg.randn(4))``"""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return F.relu(x, self.inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """x where x > 0, else negative_slope * x. Example: ``nn.LeakyReLU(0.2)(mg.randn(4))``"""

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope, self.inplace)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class GELU(Module):
    """x * Phi(x), or its tanh approximation with approximate="tanh". Example: ``nn.GELU()(mg.randn(4))``"""

    def __init__(self, approximate="none"):
        super().__init__()
        gelu_approximation(approximate, "GELU")  # at construction, not at the first call
        self.approximate = approximate

    def forward(self, x):
        return F.gelu(x, self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Sigmoid(Module):
    def forward(self, x):
        return F.sigmoid(x)


class Tanh(Module):
    def forward(self, x):
        return F.tanh(x)


class Hardtanh(Module):
    """x limited to [min_val, max_val]. Example: ``nn.Hardtanh(-2.0, 2.0)(mg.randn(4))``"""

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__()
        self.min_val, self.max_val = hardtanh_bounds(min_val, max_val, "Hardtanh")
        self.inplace = inplace

    def forward(self, x):
        return F.hardtanh(x, self.min_val, self.max_val, self.inplace)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}" + (", inplace=True" if self.inplace else "")


class Softsign(Module):
    """x / (1 + |x|). Example: ``nn.Softsign()(mg.randn(4))``"""

    def forward(self, x):
        return F.softsign(x)


class _InplaceActivation(Module):
    """An activation whose only option is inplace (torch prints it only when True)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class SiLU(_InplaceActivation):
    """x * sigmoid(x). Example: ``nn.SiLU()(mg.randn(4))``"""

    def forward(self, x):
        return F.silu(x, self.inplace)


class Mish(_InplaceActivation):
    """x * tanh(softplus(x)). Example: ``nn.Mish()(mg.randn(4))``"""

    def forward(self, x):
        return F.mish(x, self.inplace)


class Hardswish(_InplaceActivation):
    """x * relu6(x + 3) / 6. Example: ``nn.Hardswish()(mg.randn(4))``"""

    def forward(self, x):
        return F.hardswish(x, self.inplace)

    def extra_repr(self):  # torch prints Hardswish() whatever inplace is
        return ""


class ELU(_InplaceActivation):
    """x where x > 0, else alpha * (exp(x) - 1). Example: ``nn.ELU(alpha=0.5)(mg.randn(4))``"""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__(inplace)
        _args.real(alpha, "ELU: alpha")  # at construction, not at the first call
        self.alpha = alpha

    def forward(self, x):
        return F.elu(x, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class Softplus(Module):
    """log(1 + exp(beta * x)) / beta, linear where beta * x > threshold. Example: ``nn.Softplus(beta=2)(mg.randn(4))``"""

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        _args.real(beta, "Softplus: beta")
        _args.real(threshold, "Softplus: threshold")
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class LogSigmoid(Module):
    """log(sigmoid(x)), stable for large |x|. Example: ``nn.LogSigmoid()(mg.randn(4))``"""

    def forward(self, x):
        return F.logsigmoid(x)


class _SoftmaxBase(Module):
    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def _dim(self, x):
        # dim=None: PyTorch's legacy choice, 0 for 0-, 1- and 3-d input, else 1
        return self.dim if self.dim is not None else (0 if x.ndim in (0, 1, 3) else 1)

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax(_SoftmaxBase):
    """softmax along ``dim``. Example: ``nn.Softmax(dim=1)(mg.randn(2, 5)).sum(1)`` -> ones"""

    def forward(self, x):
        return F.softmax(x, self._dim(x))


class LogSoftmax(_SoftmaxBase):
    """log softmax along ``dim``. Example: ``nn.LogSoftmax(dim=1)(mg.randn(2, 5))``"""

    def forward(self, x):
        return F.log_softmax(x, self._dim(x))


class Softmin(_SoftmaxBase):
    """softmax(-x) along ``dim``. Example: ``nn.Softmin(dim=1)(mg.randn(2, 5)).sum(1)`` -> ones"""

    def forward(self, x):
        return F.softmin(x, self._dim(x))


class Identity(Module):
    """Returns its input (any arguments to the constructor are ignored, as in PyTorch)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x

class _DropoutNd(Module):
    """Shared by the dropout layers (as torch's): p checked at construction, and the repr."""

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        self.p, self.inplace = _args.probability(p, "dropout probability"), inplace

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Inverted dropout with probability p in training; the identity in eval."""

    def forward(self, x):
        return F.dropout(x, self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    """Channel dropout (F.dropout1d) of (N, C, L) or (C, L) input.

    Example: ``nn.Dropout1d(0.2)(mg.randn(8, 16, 10)).shape`` -> (8, 16, 10)
    """

    def forward(self, x):
        return F.dropout1d(x, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """Channel dropout (F.dropout2d) with probability p in training: each channel of (N, C, H, W)
    input is zeroed or scaled by 1/(1-p) as a whole; the identity in eval. As torch 2.13, 3-D input is
    (N, C, L) and other dims run with a deprecation warning (2-D: element-wise).

    Example: ``nn.Dropout2d(0.2)(mg.randn(8, 16, 4, 4)).shape`` -> (8, 16, 4, 4)
    """

    def forward(self, x):
        return F.dropout2d(x, self.p, self.training, self.inplace)


class Dropout3d(_DropoutNd):
    """Channel dropout (F.dropout3d) of (N, C, D, H, W) or (C, D, H, W) input.

    Example: ``nn.Dropout3d(0.2)(mg.randn(2, 4, 3, 3, 3)).shape`` -> (2, 4, 3, 3, 3)
    """

    def forward(self, x):
        return F.dropout3d(x, self.p, self.training, self.inplace)


class Embedding(Module):
    """A lookup table: input of integer indices of any shape -> (*input.shape, embedding_dim), row
    i of ``weight`` (num_embeddings, embedding_dim) for index i. torch's initialisation: weight
    ~ N(0, 1), the padding_idx row (negative counts from the end) zeroed; that row gets no gradient.
    max_norm, scale_grad_by_freq and sparse are not supported.

    Example: ``nn.Embedding(1000, 64, padding_idx=0)(mg.tensor([[4, 7, 0]])).shape`` -> (1, 3, 64)
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, sparse=False, _weight=None, _freeze=False, device=None, dtype=None):
        super().__init__()
        num_embeddings = _args.positive_int(num_embeddings, "Embedding: num_embeddings")
        embedding_dim = _args.positive_int(embedding_dim, "Embedding: embedding_dim")
        if max_norm is not None:
            raise NotImplementedError("Embedding: max_norm (renormalising rows in place) is not supported; "
                                      "pass max_norm=None")
        if scale_grad_by_freq or sparse:
            raise NotImplementedError("Embedding: scale_grad_by_freq=True and sparse=True are not supported")
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = padding_index(padding_idx, num_embeddings, "Embedding")
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        if _weight is None:
            dtype = resolve_dtype(dtype) or float32
            self.weight = Parameter(Tensor(np.zeros((num_embeddings, embedding_dim)), dtype=dtype,
                                           device=device or "cpu"), requires_grad=not _freeze)
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ValueError(f"Embedding: _weight of shape {tuple(_weight.shape)} does not match "
                                 f"(num_embeddings, embedding_dim) = ({num_embeddings}, {embedding_dim})")
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self):
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx] = 0.0

    def forward(self, input):
        return F.embedding(input, self.weight, self.padding_idx)

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None, norm_type=2.0,
                        scale_grad_by_freq=False, sparse=False):
        """An Embedding whose weight is (a copy of) the 2-D float Tensor ``embeddings``, frozen
        (requires_grad=False) unless freeze=False. The padding_idx row is kept as given (not zeroed)
        but gets no gradient.

        Example: ``nn.Embedding.from_pretrained(mg.randn(10, 4), freeze=False)``
        """
        if not isinstance(embeddings, Tensor):
            raise TypeError(f"Embedding.from_pretrained takes a Tensor, got {type(embeddings).__name__}")
        if embeddings.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: embeddings must be 2-D (num_embeddings, embedding_dim), "
                             f"got shape {embeddings.shape}")
        if embeddings.dtype not in (np.float32, np.float64):
            raise TypeError(f"Embedding.from_pretrained: embeddings must be float32 or float64, got "
                            f"{embeddings.dtype}; convert them with .float()")
        rows, dim = embeddings.shape
        return cls(rows, dim, padding_idx=padding_idx, max_norm=max_norm, norm_type=norm_type,
                   scale_grad_by_freq=scale_grad_by_freq, sparse=sparse, _weight=embeddings, _freeze=freeze)

    def extra_repr(self):
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        return text


def _channel_parameters(layer, num_features, affine, bias, dtype, device):
    """A normalisation layer's per-channel weight (ones) and bias (zeros), or None for each left out."""
    dtype = resolve_dtype(dtype) or float32
    if affine:
        layer.weight = Parameter(Tensor(np.ones(num_features), dtype=dtype, device=device))
    else:
        layer.register_parameter("weight", None)
    if affine and bias:
        layer.bias = Parameter(Tensor(np.zeros(num_features), dtype=dtype, device=device))
    else:
        layer.register_parameter("bias", None)


def _running_statistics(layer, num_features, track_running_stats, dtype, device):
    """The buffers running_mean (zeros), running_var (ones) and num_batches_tracked, or None for each."""
    dtype = resolve_dtype(dtype) or float32
    if track_running_stats:
        layer.register_buffer("running_mean", Tensor(np.zeros(num_features), dtype=dtype, device=device))
        layer.register_buffer("running_var", Tensor(np.ones(num_features), dtype=dtype, device=device))
        layer.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64), device=device))
    else:
        for name in ("running_mean", "running_var", "num_batches_tracked"):
            layer.register_buffer(name, None)


def _init_normalization(layer, num_features, eps, momentum, affine, bias, track_running_stats, dtype, device):
    """The checked arguments, affine parameters and running statistics that BatchNorm and
    InstanceNorm layers share."""
    name = type(layer).__name__
    num_features = _args.positive_int(num_features, f"{name}: num_features")
    positive_eps(eps, name)
    if momentum is not None:
        _args.real(momentum, f"{name}: momentum (or None)", 0, 1)
    layer.num_features, layer.eps, layer.momentum = num_features, eps, momentum
    layer.affine, layer.track_running_stats = affine, track_running_stats
    _channel_parameters(layer, num_features, affine, bias, dtype, device)
    _running_statistics(layer, num_features, track_running_stats, dtype, device)


class _BatchNorm(Module):
    expected_dims = ()

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 dtype=None, device="cpu", *, bias=True):
        super().__init__()
        _init_normalization(self, num_features, eps, momentum, affine, bias, track_running_stats, dtype, device)

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
            self.num_batches_tracked._data += 1
        return y

    def _normalize(self, x, use_batch_stats, momentum):
        # SyncBatchNorm replaces this with its global-batch statistics
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, use_batch_stats,
                            momentum, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """BatchNorm over (N, C) or (N, C, L) input, statistics per channel (axis 1).

    Example: ``nn.BatchNorm1d(128)(mg.randn(64, 128))``
    """

    expected_dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """BatchNorm over (N, C, H, W) input, statistics per channel (axis 1)."""

    expected_dims = (4,)



class GroupNorm(Module):
    """GroupNorm over (N, C, *) input: statistics per sample and group of C / num_groups channels
    (mean and biased variance), then a per-channel weight (ones) and bias (zeros) when affine.

    Example: ``nn.GroupNorm(2, 6)(mg.randn(4, 6, 8, 8)).shape`` -> (4, 6, 8, 8)
    """

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        num_groups = _args.positive_int(num_groups, "GroupNorm: num_groups")
        num_channels = _args.positive_int(num_channels, "GroupNorm: num_channels")
        if num_channels % num_groups:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups ({num_groups})")
        positive_eps(eps, "GroupNorm")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        _channel_parameters(self, num_channels, affine, bias, dtype, device or "cpu")

    def forward(self, x):
        return F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class _InstanceNorm(Module):
    no_batch_dim = 0  # the input's number of dims without the batch dim

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False,
                 device=None, dtype=None, *, bias=True):
        super().__init__()
        _init_normalization(self, num_features, eps, momentum, affine, bias, track_running_stats, dtype,
                            device or "cpu")

    def forward(self, x):
        batched = self.no_batch_dim + 1
        if x.ndim not in (self.no_batch_dim, batched):
            raise ValueError(f"{type(self).__name__}: expected {self.no_batch_dim}D or {batched}D input "
                             f"(got {x.ndim}D input of shape {x.shape})")
        feature_dim = x.ndim - self.no_batch_dim
        if x.shape[feature_dim] != self.num_features:
            message = (f"expected input's size at dim={feature_dim} to match num_features ({self.num_features}), "
                       f"but got: {x.shape[feature_dim]}")
            if self.affine:
                raise ValueError(message)
            warnings.warn(message + "; num_features is not used because affine=False", stacklevel=2)
        # as torch: momentum=None (no cumulative average here) leaves the running statistics as they are,
        # and num_batches_tracked is not counted
        momentum = self.momentum if self.momentum is not None else 0.0
        use_input_stats = self.training or not self.track_running_stats
        unbatched = x.ndim == self.no_batch_dim
        y = F.instance_norm(x.unsqueeze(0) if unbatched else x, self.running_mean, self.running_var, self.weight,
                            self.bias, use_input_stats, momentum, self.eps)
        return y.squeeze(0) if unbatched else y

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class InstanceNorm1d(_InstanceNorm):
    """InstanceNorm over (N, C, L) or unbatched (C, L) input: statistics per sample and channel.

    Example: ``nn.InstanceNorm1d(3)(mg.randn(4, 3, 10)).shape`` -> (4, 3, 10)
    """

    no_batch_dim = 2


class InstanceNorm2d(_InstanceNorm):
    """InstanceNorm over (N, C, H, W) or unbatched (C, H, W) input: statistics per sample and channel."""

    no_batch_dim = 3


class LayerNorm(Module):
    """LayerNorm over the trailing dims ``normalized_shape`` (an int or a tuple): per position mean
    and biased variance, then an elementwise weight (ones) and bias (zeros) of normalized_shape.

    Example: ``nn.LayerNorm(768)(mg.randn(4, 10, 768)).shape`` -> (4, 10, 768)
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, dtype=None, device="cpu"):
        super().__init__()
        self.normalized_shape = normalized_shape_tuple(normalized_shape)
        positive_eps(eps, "LayerNorm")
        self.eps, self.elementwise_affine = eps, elementwise_affine
        dtype = resolve_dtype(dtype) or float32
        if elementwise_affine:
            self.weight = Parameter(Tensor(np.ones(self.normalized_shape), dtype=dtype, device=device))
        else:
            self.register_parameter("weight", None)
        if elementwise_affine and bias:
            self.bias = Parameter(Tensor(np.zeros(self.normalized_shape), dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)

    def forward(self, x):
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")

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
    """Modules applied in order; indexing with an int gives a module, with a slice a Sequential that
    keeps the selected modules' names (as torch's: ``seq[1:]`` holds "1", "2", ...).

    Example: ``nn.Sequential(nn.Linear(4, 8), nn.ReLU())[:1]`` -> Sequential((0): Linear(...))
    """

    def __init__(self, *modules):
        super().__init__()
        for index, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(f"Sequential takes Modules, got {type(module).__name__} at position {index}")
            self.add_module(str(index), module)

    def forward(self, x):
        for module in self._modules.values():
            x = module(x)
        return x

    def __getitem__(self, index):
        if isinstance(index, slice):
            selected = type(self)()
            for name, module in list(self._modules.items())[index]:
                selected.add_module(name, module)
            return selected
        modules = list(self._modules.values())
        return modules[_list_index(index, len(modules))]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())


def _list_index(index, length):
    if not _args.is_int(index):
        raise TypeError(f"index must be an int or a slice, got {type(index).__name__}")
    if not -length <= index < length:
        raise IndexError(f"index {index} is out of range for {length} modules")
    return index % length


class ModuleList(Module):
    """A list of modules, registered as children "0", "1", ... Example::

        layers = nn.ModuleList([nn.Linear(8, 8) for _ in range(3)])
        for layer in layers:
            x = layer(x)
    """

    def __init__(self, modules=()):
        super().__init__()
        self.extend(modules)

    def _check(self, module):
        if not isinstance(module, Module):
            raise TypeError(f"ModuleList holds Modules, got {type(module).__name__}")
        return module

    def append(self, module):
        self.add_module(str(len(self)), self._check(module))
        return self

    def extend(self, modules):
        for module in modules:
            self.append(module)
        return self

    def insert(self, index, module):
        modules = list(self._modules.values())
        modules.insert(index, self._check(module))
        self._modules.clear()
        self.extend(modules)

    def __getitem__(self, index):
        modules = list(self._modules.values())
        if isinstance(index, slice):
            return ModuleList(modules[index])
        return modules[_list_index(index, len(modules))]

    def __setitem__(self, index, module):
        self.add_module(str(_list_index(index, len(self))), self._check(module))

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleList has no forward: iterate over it and call its modules")


class ModuleDict(Module):
    """Modules by name (insertion order kept). Example: ``nn.ModuleDict({"act": nn.ReLU()})["act"]``"""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        if not isinstance(module, Module):
            raise TypeError(f"ModuleDict holds Modules, got {type(module).__name__} for key {key!r}")
        self.add_module(key, module)

    def __delitem__(self, key):
        del self._modules[key]
        object.__delattr__(self, key)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def update(self, modules):
        for key, module in (modules.items() if hasattr(modules, "items") else modules):
            self[key] = module

    def pop(self, key):
        module = self[key]
        del self[key]
        return module

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleDict has no forward: index it and call its modules")
# ---- convolution and pooling ------------------------------------------------------------------
class _ConvNd(Module):
    """Shared by Conv1d, Conv2d and the transposed ones: torch's attributes (kernel_size, stride,
    padding, dilation as tuples, padding "same"/"valid" kept as given) and default initialisation
    (kaiming_uniform with a=sqrt(5): weight and bias uniform in +-1/sqrt(fan_in), fan_in =
    weight.shape[1] * prod(kernel))."""

    spatial_dims = 0
    transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 dtype=None, device="cpu"):
        super().__init__()
        name, n = type(self).__name__, self.spatial_dims
        groups = _args.integer(groups, f"{name}: groups", 1)
        for label, channels in (("in_channels", in_channels), ("out_channels", out_channels)):
            _args.integer(channels, f"{name}: {label}", 1)
            if channels % groups:
                raise ValueError(f"{name}: {label}={channels} must be divisible by groups={groups}")
        self.in_channels, self.out_channels, self.groups = int(in_channels), int(out_channels), groups
        self.kernel_size = _args.int_tuple(kernel_size, n, f"{name}: kernel_size", minimum=1)
        self.stride = _args.int_tuple(stride, n, f"{name}: stride", minimum=1)
        self.dilation = _args.int_tuple(dilation, n, f"{name}: dilation", minimum=1)
        if isinstance(padding, str) and self.transposed:
            raise TypeError(f"{name}: padding must be an int or a tuple of ints, got {padding!r}")
        conv_padding(padding, self.kernel_size, self.stride, self.dilation, name)  # checks it
        self.padding = padding if isinstance(padding, str) else _args.int_tuple(padding, n, f"{name}: padding")
        dtype = resolve_dtype(dtype) or float32
        channels = (in_channels, out_channels // groups) if self.transposed else (out_channels, in_channels // groups)
        shape = channels + self.kernel_size
        self.weight = Parameter(Tensor(np.zeros(shape), dtype=dtype, device=device))
        self.register_parameter(
            "bias", Parameter(Tensor(np.zeros(out_channels), dtype=dtype, device=device)) if bias else None)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_weight_and_bias(self)

    def forward(self, x):
        return convolution(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups,
                           self.spatial_dims, type(self).__name__)

    def extra_repr(self):
        n = self.spatial_dims
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * n:
            text += f", padding={self.padding!r}" if isinstance(self.padding, str) else f", padding={self.padding}"
        if self.dilation != (1,) * n:
            text += f", dilation={self.dilation}"
        if self.transposed and self.output_padding != (0,) * n:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text


class Conv1d(_ConvNd):
    """1-D convolution over (N, C, L) input; weight (out_channels, in_channels // groups, K).

    Example: ``nn.Conv1d(3, 16, 5, padding="same")(mg.randn(8, 3, 100)).shape`` -> (8, 16, 100)
    """

    spatial_dims = 1


class Conv2d(_ConvNd):
    """2-D convolution over (N, C, H, W) input; weight (out_channels, in_channels // groups, KH, KW).
    padding: int, (h, w), "same" (stride 1) or "valid".

    Example: ``nn.Conv2d(1, 6, 5, padding=2)(mg.randn(8, 1, 28, 28)).shape`` -> (8, 6, 28, 28)
    """

    spatial_dims = 2


class _ConvTransposeNd(_ConvNd):
    """Shared by ConvTranspose1d and ConvTranspose2d: torch's constructor (padding_mode "zeros"
    only), weight (in_channels, out_channels // groups, *kernel_size)."""

    transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}, got '
                             f'{padding_mode!r}')
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, dtype,
                         device or "cpu")
        self.padding_mode = padding_mode
        self.output_padding = _args.int_tuple(output_padding, self.spatial_dims, f"{type(self).__name__}: "
                                              "output_padding", minimum=0)

    def forward(self, input, output_size=None):
        """output_size: the spatial size wanted (or with its N, C), which picks output_padding
        between the sizes the stride leaves open, as torch's."""
        return conv_transpose(input, self.weight, self.bias, self.stride, self.padding,
                              self._output_padding(input, output_size), self.groups, self.dilation,
                              self.spatial_dims, type(self).__name__)

    def _output_padding(self, input, output_size):
        if output_size is None:
            return self.output_padding
        n = self.spatial_dims
        output_size = tuple(output_size)
        if len(output_size) == input.ndim:  # with the non-spatial dims
            output_size = output_size[input.ndim - n:]
        if len(output_size) != n:
            raise ValueError(f"{type(self).__name__}: for {input.ndim}-D input, output_size must have {n} or "
                             f"{input.ndim} elements, got {len(output_size)}")
        smallest = [(size - 1) * s - 2 * p + d * (k - 1) + 1 for size, s, p, d, k in
                    zip(input.shape[-n:], self.stride, self.padding, self.dilation, self.kernel_size)]
        largest = [low + s - 1 for low, s in zip(smallest, self.stride)]
        if any(not low <= size <= high for size, low, high in zip(output_size, smallest, largest)):
            raise ValueError(f"{type(self).__name__}: requested an output size of {list(output_size)}, but valid "
                             f"sizes range from {smallest} to {largest} (for an input of {tuple(input.shape[-n:])})")
        return tuple(size - low for size, low in zip(output_size, smallest))


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution (the gradient of Conv1d) over (N, C, L) input; weight
    (in_channels, out_channels // groups, K). forward(input, output_size=None).

    Example: ``nn.ConvTranspose1d(16, 8, 4, stride=2, padding=1)(mg.randn(2, 16, 10)).shape`` -> (2, 8, 20)
    """

    spatial_dims = 1


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution (the gradient of Conv2d) over (N, C, H, W) input; weight
    (in_channels, out_channels // groups, KH, KW). forward(input, output_size=None): output_size
    picks output_padding.

    Example: ``nn.ConvTranspose2d(512, 256, 4, 2, 1)(mg.randn(8, 512, 4, 4)).shape`` -> (8, 256, 8, 8)
    """

    spatial_dims = 2


class Unfold(Module):
    """F.unfold as a module: (N, C, H, W) -> sliding blocks (N, C * prod(kernel_size), L).

    Example: ``nn.Unfold(3, padding=1)(mg.randn(2, 4, 5, 5)).shape`` -> (2, 36, 25)
    """

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size, self.dilation, self.padding, self.stride = kernel_size, dilation, padding, stride
        sliding_blocks(kernel_size, dilation, padding, stride, type(self).__name__)  # checks them

    def forward(self, input):
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={self.padding}, "
                f"stride={self.stride}")


class Fold(Unfold):
    """F.fold as a module: sliding blocks (N, C * prod(kernel_size), L) -> summed into (N, C, *output_size).

    Example: ``nn.Fold((5, 5), 3, padding=1)(mg.randn(2, 36, 25)).shape`` -> (2, 4, 5, 5)
    """

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__(kernel_size, dilation, padding, stride)
        self.output_size = output_size
        _args.int_tuple(output_size, 2, "Fold: output_size", minimum=1)

    def forward(self, input):
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return f"output_size={self.output_size}, " + super().extra_repr()


class _Pool2d(Module):
    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        pool_window(kernel_size, stride, padding, 2, type(self).__name__)  # at construction, not at the first call
        self.kernel_size, self.padding = kernel_size, padding
        self.stride = kernel_size if stride is None else stride

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    """Maximum over kernel_size windows of (N, C, H, W) input (stride defaults to kernel_size).

    Example: ``nn.MaxPool2d(2)(mg.randn(8, 6, 24, 24)).shape`` -> (8, 6, 12, 12)
    """

    def forward(self, x):
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding)


class AvgPool2d(_Pool2d):
    """Mean over kernel_size windows of (N, C, H, W) input; zero padding counted when
    count_include_pad (torch's default).

    Example: ``nn.AvgPool2d(2)(mg.randn(8, 6, 24, 24)).shape`` -> (8, 6, 12, 12)
    """

    def __init__(self, kernel_size, stride=None, padding=0, count_include_pad=True):
        super().__init__(kernel_size, stride, padding)
        self.count_include_pad = bool(count_include_pad)

    def forward(self, x):
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.count_include_pad)


class _Pool1d(Module):
    """Shared by MaxPool1d and AvgPool1d: checks kernel_size, stride and padding at construction."""

    def __init__(self, kernel_size, stride, padding):
        super().__init__()
        pool_window(kernel_size, stride, padding, 1, type(self).__name__)


class MaxPool1d(_Pool1d):
    """Maximum over kernel_size windows of (N, C, L) or (C, L) input (stride defaults to
    kernel_size). dilation > 1, return_indices and ceil_mode are not supported.

    Example: ``nn.MaxPool1d(2)(mg.randn(8, 6, 24)).shape`` -> (8, 6, 12)
    """

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__(kernel_size, stride, padding)
        unsupported_pool_options("MaxPool1d", dilation=dilation, ceil_mode=ceil_mode, return_indices=return_indices)
        self.kernel_size, self.padding, self.dilation = kernel_size, padding, dilation
        self.stride = kernel_size if stride is None else stride
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, x):
        return F.max_pool1d(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool1d(_Pool1d):
    """Mean over kernel_size windows of (N, C, L) or (C, L) input; zero padding counted when
    count_include_pad (torch's default). ceil_mode is not supported. As torch, kernel_size, stride
    and padding are kept as 1-tuples.

    Example: ``nn.AvgPool1d(3, stride=1, padding=1)(mg.randn(8, 6, 24)).shape`` -> (8, 6, 24)
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        super().__init__(kernel_size, stride, padding)
        unsupported_pool_options("AvgPool1d", ceil_mode=ceil_mode)
        self.kernel_size, self.stride, self.padding = pool_window(kernel_size, stride, padding, 1, "AvgPool1d")
        self.ceil_mode, self.count_include_pad = ceil_mode, bool(count_include_pad)

    def forward(self, x):
        return F.avg_pool1d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Mean over the windows that split (N, C, H, W) input into output_size (int or (OH, OW), None
    keeps a dim). Example: ``nn.AdaptiveAvgPool2d(1)(mg.randn(8, 64, 7, 7)).shape`` -> (8, 64, 1, 1)
    """

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        return F.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"
