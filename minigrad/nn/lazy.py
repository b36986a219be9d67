"""Lazy modules, as torch's: their parameters are UninitializedParameter (buffers UninitializedBuffer)
until the first call reads in_features / in_channels / num_features off the input, materialises them
(the same objects, so an optimizer built before the first call keeps working, as in torch) and
turns the module into its ordinary class (``type(LazyLinear(3)(x)...)`` is then Linear).

Example::

    model = nn.Sequential(nn.LazyConv2d(6, 5, padding=2), nn.Sigmoid(), nn.Flatten(), nn.LazyLinear(10))
    model(mg.zeros(1, 1, 28, 28))      # in_channels = 1, in_features = 6 * 28 * 28
"""
import numpy as np

from .. import _args, backend
from .._dtypes import float32, resolve_dtype
from ..autograd import no_grad
from ..tensor import Tensor
from .layers import BatchNorm1d, BatchNorm2d, Conv1d, Conv2d, Linear, _ConvNd
from .module import Module, Parameter

__all__ = ["LazyBatchNorm1d", "LazyBatchNorm2d", "LazyConv1d", "LazyConv2d", "LazyLinear", "UninitializedBuffer",
           "UninitializedParameter"]

_SLOT = Tensor.__dict__["_data"]  # the array slot itself, under the property that refuses reads


def _refuse(tensor):
    raise ValueError(f"Attempted to use an uninitialized parameter of a lazy module ({type(tensor).__name__}): "
                     f"call the module with a batch first, which infers its shape and initialises it "
                     f"(torch's LazyModule rule)")


class UninitializedTensorMixin:
    """A tensor without values yet: it keeps only a dtype and a device (an empty placeholder array, as
    torch's), refuses to be read (a ValueError, or torch's RuntimeError for ``.shape``) and becomes
    ``cls_to_become`` when ``materialize(shape)`` gives it values."""

    __slots__ = ()  # the layout of the class it becomes
    _data = property(_refuse, _SLOT.__set__)
    dtype = property(lambda self: _SLOT.__get__(self).dtype)
    device = property(lambda self: backend.device_of(_SLOT.__get__(self)))

    @property
    def shape(self):
        raise RuntimeError("Can't access the shape of an uninitialized parameter or buffer. This error usually "
                           "happens in `load_state_dict` when trying to load an uninitialized parameter into an "
                           "initialized one. Call `forward` to initialize the parameters before accessing their "
                           "attributes.")

    def placeholder(self):
        """The empty array that carries the dtype and device the values will have."""
        return _SLOT.__get__(self)

    def materialize(self, shape, device=None, dtype=None):
        """Give the tensor zeros of ``shape`` (in its dtype and device unless given) and make it a
        ``cls_to_become``; the module initialises the values next."""
        placeholder = _SLOT.__get__(self)
        xp = backend.array_module(placeholder)
        array = xp.zeros(tuple(shape), dtype=dtype or placeholder.dtype)
        self.__class__ = self.cls_to_become
        self._data = backend.to_device(array, device) if device is not None else array

    def __repr__(self):
        return f"<{type(self).__name__}>"

    def __deepcopy__(self, memo):
        return memo.setdefault(id(self), type(self)(self.requires_grad, self.device, self.dtype))


def _placeholder(dtype, device):
    array = np.zeros(0, dtype=resolve_dtype(dtype) or float32)
    return array if device is None else backend.to_device(array, device)


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A Parameter whose shape a lazy module infers on its first call. Example: ``nn.LazyLinear(3).weight``"""

    __slots__ = ()
    cls_to_become = Parameter

    def __init__(self, requires_grad=True, device=None, dtype=None):
        super().__init__(_placeholder(dtype, device), requires_grad)


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer (running statistics) whose shape a lazy module infers on its first call."""

    __slots__ = ()
    cls_to_become = Tensor

    def __init__(self, requires_grad=False, device=None, dtype=None):
        super().__init__(_placeholder(dtype, device), requires_grad=requires_grad)


def is_lazy(tensor):
    return isinstance(tensor, UninitializedTensorMixin)


class LazyModuleMixin:
    """The first call: ``initialize_parameters(input)`` materialises and initialises the parameters,
    then the module becomes ``cls_to_become`` and runs its forward."""

    cls_to_become = None

    def has_uninitialized_params(self):
        """True while a parameter or buffer is still uninitialized."""
        return any(is_lazy(t) for t in (*self._parameters.values(), *self._buffers.values()))

    def initialize_parameters(self, input):
        raise NotImplementedError(f"initialize_parameters is not implemented for {type(self).__name__}")

    def forward(self, input):
        if not isinstance(input, Tensor):
            raise TypeError(f"{type(self).__name__} takes a Tensor, got {type(input).__name__}")
        with no_grad():
            self.initialize_parameters(input)
        if self.has_uninitialized_params():
            raise RuntimeError(f"module {type(self).__name__} has not been fully initialized")
        self.__class__ = self.cls_to_become
        return self.forward(input)


class LazyLinear(LazyModuleMixin, Linear):
    """Linear whose in_features is the last dim of its first input (0 until then).

    Example: ``nn.LazyLinear(10)(mg.randn(4, 84)).shape`` -> (4, 10), and the layer is then a Linear(84, 10)
    """

    cls_to_become = Linear

    def __init__(self, out_features, bias=True, dtype=None, device="cpu"):
        Module.__init__(self)
        self.in_features, self.out_features = 0, _args.positive_int(out_features, "LazyLinear: out_features")
        self.weight = UninitializedParameter(dtype=dtype, device=device)
        self.register_parameter("bias", UninitializedParameter(dtype=dtype, device=device) if bias else None)

    def initialize_parameters(self, input):
        if self.has_uninitialized_params():
            if input.ndim == 0:
                raise RuntimeError(f"LazyLinear: the input must have at least one dim (in_features is its last), "
                                   f"got a 0-d tensor")
            self.in_features = input.shape[-1]
            self.weight.materialize((self.out_features, self.in_features))
            if self.bias is not None:
                self.bias.materialize((self.out_features,))
            self.reset_parameters()
        elif self.in_features == 0:  # the values were loaded from a state dict
            self.in_features = self.weight.shape[-1]


class _LazyConvNd(LazyModuleMixin, _ConvNd):
    """Conv whose in_channels is axis 1 of a batched first input (axis 0 unbatched)."""

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 dtype=None, device="cpu"):
        # the ordinary constructor checks everything with a stand-in in_channels (groups divides it)
        self.cls_to_become.__init__(self, groups, out_channels, kernel_size, stride, padding, dilation, groups,
                                    bias, dtype, device)
        self.in_channels = 0
        self.weight = UninitializedParameter(dtype=self.weight.dtype, device=device)
        if bias:
            self.bias = UninitializedParameter(dtype=self.bias.dtype, device=device)

    def initialize_parameters(self, input):
        if self.has_uninitialized_params():
            n, name = self.spatial_dims, type(self).__name__
            if input.ndim not in (n + 1, n + 2):
                raise RuntimeError(f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to {name}, but got "
                                   f"input of size: {list(input.shape)}")
            self.in_channels = input.shape[1] if input.ndim == n + 2 else input.shape[0]
            if self.in_channels % self.groups:
                raise ValueError(f"{name}: in_channels={self.in_channels} (the input's channels) must be divisible "
                                 f"by groups={self.groups}")
            self.weight.materialize((self.out_channels, self.in_channels // self.groups) + self.kernel_size)
            if self.bias is not None:
                self.bias.materialize((self.out_channels,))
            self.reset_parameters()
        elif self.in_channels == 0:  # the values were loaded from a state dict
            self.in_channels = self.weight.shape[1] * self.groups


class LazyConv1d(_LazyConvNd, Conv1d):
    """Conv1d(in_channels inferred, out_channels, kernel_size, ...). Example: ``nn.LazyConv1d(16, 3)``"""

    cls_to_become = Conv1d


class LazyConv2d(_LazyConvNd, Conv2d):
    """Conv2d(in_channels inferred, out_channels, kernel_size, ...).

    Example: ``nn.LazyConv2d(6, kernel_size=5, padding=2)(mg.randn(8, 1, 28, 28)).shape`` -> (8, 6, 28, 28)
    """

    cls_to_become = Conv2d


class _LazyBatchNorm(LazyModuleMixin):
    """BatchNorm whose num_features is axis 1 of its first input; weight, bias, running_mean and
    running_var are uninitialized until then (num_batches_tracked is a tensor from the start)."""

    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, dtype=None, device="cpu"):
        self.cls_to_become.__init__(self, 1, eps, momentum, affine, track_running_stats, dtype, device)
        self.num_features = 0
        for registry, make in ((self._parameters, UninitializedParameter), (self._buffers, UninitializedBuffer)):
            for name, value in list(registry.items()):
                if value is not None and name != "num_batches_tracked":
                    lazy = make(dtype=value.dtype, device=device)
                    registry[name] = lazy
                    object.__setattr__(self, name, lazy)

    def initialize_parameters(self, input):
        if self.has_uninitialized_params():
            if input.ndim < 2:
                raise ValueError(f"{type(self).__name__} expected 2D or more input (N, C, ...) to infer "
                                 f"num_features, got {input.ndim}D input of shape {input.shape}")
            self.num_features = input.shape[1]
            for name, value in (*self._parameters.items(), *self._buffers.items()):
                if is_lazy(value):
                    value.materialize((self.num_features,))
                    value._data[...] = name in ("weight", "running_var")  # ones; bias and running_mean zeros
        elif self.num_features == 0:  # the values were loaded from a state dict
            self.num_features = next(t for t in (self.weight, self.running_mean) if t is not None).shape[0]


class LazyBatchNorm1d(_LazyBatchNorm, BatchNorm1d):
    """BatchNorm1d(num_features inferred from (N, C) or (N, C, L) input, eps, momentum, affine, track_running_stats).

    Example: ``nn.LazyBatchNorm1d()(mg.randn(8, 120))`` (then a BatchNorm1d(120))
    """

    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyBatchNorm, BatchNorm2d):
    """BatchNorm2d(num_features inferred from (N, C, H, W) input, eps, momentum, affine, track_running_stats).

    Example: ``nn.LazyBatchNorm2d()(mg.randn(8, 6, 28, 28))`` (then a BatchNorm2d(6))
    """

    cls_to_become = BatchNorm2d
