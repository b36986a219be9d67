"""Convolution (cross-correlation, as torch) over 2-D or 1-D input, on the im2col kernels."""
from .. import _args
from ..autograd import Op
from ..tensor import Tensor
from ._tensor_checks import check_same_dtype

__all__ = ["conv1d", "conv2d"]


class ConvolutionOp(Op):
    """Inputs: x (N, C, H, W) with weight (O, C // groups, KH, KW), or x (N, C, L) with weight
    (O, C // groups, K), and optionally bias (O,). Hyperparameters in 2-D form: stride and dilation
    (h, w), padding ((top, bottom), (left, right)); 1-D input runs as height-1 images."""

    def __init__(self, stride, padding, dilation, groups):
        self.stride, self.padding, self.dilation, self.groups = stride, padding, dilation, groups

    def forward(self, x, weight, bias=None):
        self.one_d = x.ndim == 3
        if self.one_d:
            x, weight = x[:, :, None, :], weight[:, :, None, :]
        self.x, self.weight, self.has_bias = x, weight, bias is not None
        # the column matrix is kept for the weight gradient when it fits the workspace (one chunk)
        y, self.columns = self.kernels.conv2d_forward(x, weight, bias, self.stride, self.padding, self.dilation,
                                                      self.groups, keep_columns=self.needs_input_grad[1])
        return y[:, :, 0, :] if self.one_d else y

    def backward(self, gy):
        if self.one_d:
            gy = gy[:, :, None, :]
        needs = self.needs_input_grad
        gx, gweight, gbias = self.kernels.conv2d_backward(
            gy, self.x, self.weight, self.stride, self.padding, self.dilation, self.groups, needs[0], needs[1],
            self.has_bias and needs[2], self.columns)
        if self.one_d:
            gx = None if gx is None else gx[:, :, 0, :]
            gweight = None if gweight is None else gweight[:, :, 0, :]
        return (gx, gweight, gbias) if self.has_bias else (gx, gweight)

    def backward_graph(self, inputs, gy):
        x, weight = inputs[0], inputs[1]
        if self.one_d:  # as forward: height-1 images
            x, weight, gy = x.unsqueeze(2), weight.unsqueeze(2), gy.unsqueeze(2)
        geometry = self.stride, self.padding, self.dilation, self.groups
        needs = self.needs_input_grad
        gx = ConvInputGrad(x.shape, *geometry)(gy, weight) if needs[0] else None
        gweight = ConvWeightGrad(weight.shape, *geometry)(x, gy) if needs[1] else None
        if self.one_d:
            gx = None if gx is None else gx.squeeze(2)
            gweight = None if gweight is None else gweight.squeeze(2)
        return (gx, gweight, gy.sum((0, 2, 3))) if self.has_bias else (gx, gweight)


class _ConvGradient(Op):
    """Base of the two gradients of a 2-D convolution as ops, so that they are differentiable to any
    order (each is bilinear; the gradients of each are the convolution and the other one).
    Hyperparameters: the shape of the gradient it computes, then ConvolutionOp's."""

    def __init__(self, shape, stride, padding, dilation, groups):
        self.shape, self.geometry = tuple(shape), (stride, padding, dilation, groups)

    def _convolution(self, x, weight):
        """The convolution's output (array) for arrays x and weight."""
        return self.kernels.conv2d_forward(x, weight, None, *self.geometry)[0]

    def _gradients(self, gy, x, weight, needs_x, needs_weight):
        """(gx, gweight) of the convolution of arrays x and weight, for its output gradient gy."""
        return self.kernels.conv2d_backward(gy, x, weight, *self.geometry, needs_x, needs_weight, False)[:2]

    def _placeholder(self, like):
        """An array of the gradient's shape, for the kernels that read only its shape."""
        return self.xp.empty(self.shape, dtype=like.dtype)


class ConvInputGrad(_ConvGradient):
    """The input gradient (N, C, H, W) of a convolution, as an op of its output gradient gy and its
    weight; ``shape`` is the input's."""

    def forward(self, gy, weight):
        self.gy, self.weight = gy, weight
        return self._gradients(gy, self._placeholder(gy), weight, True, False)[0]

    def backward(self, g):
        needs = self.needs_input_grad
        ggy = self._convolution(g, self.weight) if needs[0] else None
        gweight = self._gradients(self.gy, g, self.weight, False, True)[1] if needs[1] else None
        return ggy, gweight

    def backward_graph(self, inputs, g):
        gy, weight = inputs
        return ConvolutionOp(*self.geometry)(g, weight), ConvWeightGrad(weight.shape, *self.geometry)(g, gy)


class ConvWeightGrad(_ConvGradient):
    """The weight gradient (O, C // groups, KH, KW) of a convolution, as an op of its input x and its
    output gradient gy; ``shape`` is the weight's."""

    def forward(self, x, gy):
        self.x, self.gy = x, gy
        return self._gradients(gy, x, self._placeholder(gy), False, True)[1]

    def backward(self, g):
        needs = self.needs_input_grad
        gx = self._gradients(self.gy, self.x, g, True, False)[0] if needs[0] else None
        ggy = self._convolution(self.x, g) if needs[1] else None
        return gx, ggy

    def backward_graph(self, inputs, g):
        x, gy = inputs
        return ConvInputGrad(x.shape, *self.geometry)(gy, g), ConvolutionOp(*self.geometry)(x, g)


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation (torch's conv2d). x: (N, C, H, W) or unbatched (C, H, W); weight: (O, C // groups, KH, KW);
    bias: (O,) or None. stride, dilation: int or (h, w); padding: int, (h, w), "valid" (none) or
    "same" (output as large as the input; stride 1 only; an odd total goes to the bottom/right).
    Returns (N, O, OH, OW) with OH = (H + 2 * pad_h - dilation_h * (KH - 1) - 1) // stride_h + 1.

    Example: ``F.conv2d(mg.randn(8, 3, 32, 32), mg.randn(16, 3, 3, 3), padding=1).shape`` -> (8, 16, 32, 32)
    """
    return convolution(x, weight, bias, stride, padding, dilation, groups, spatial_dims=2, layer="conv2d")


def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D cross-correlation (torch's conv1d). x: (N, C, L) or unbatched (C, L); weight: (O, C // groups, K); bias: (O,)
    or None; stride, padding, dilation as in conv2d, for one dim. Returns (N, O, OL).

    Example: ``F.conv1d(mg.randn(8, 3, 100), mg.randn(16, 3, 5)).shape`` -> (8, 16, 96)
    """
    return convolution(x, weight, bias, stride, padding, dilation, groups, spatial_dims=1, layer="conv1d")


def convolution(x, weight, bias, stride, padding, dilation, groups, spatial_dims, layer):
    """Checks every argument of a convolution over ``spatial_dims`` dims (errors start with
    ``layer``) and applies the op with its 2-D hyperparameters."""
    if not isinstance(x, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(f"{layer} takes Tensors, got {type(x).__name__} and {type(weight).__name__}")
    dims = ("N, C, H, W", "N, C, L")[spatial_dims == 1]
    if x.ndim == spatial_dims + 1:  # unbatched (C, ...) input, as torch's: a batch of one
        return convolution(x.unsqueeze(0), weight, bias, stride, padding, dilation, groups, spatial_dims,
                           layer).squeeze(0)
    if x.ndim != spatial_dims + 2:
        raise ValueError(f"{layer}: expected {spatial_dims + 2}-D input ({dims}) or {spatial_dims + 1}-D "
                         f"unbatched input, got {x.ndim}-D input of shape {x.shape}")
    if weight.ndim != spatial_dims + 2:
        raise ValueError(f"{layer}: weight must have {spatial_dims + 2} dims (out_channels, in_channels // groups, "
                         f"*kernel_size), got shape {weight.shape}")
    check_same_dtype(x, weight=weight, bias=bias)
    stride = _args.int_tuple(stride, spatial_dims, f"{layer}: stride", minimum=1)
    dilation = _args.int_tuple(dilation, spatial_dims, f"{layer}: dilation", minimum=1)
    padding = conv_padding(padding, weight.shape[2:], stride, dilation, layer)
    groups = _args.integer(groups, f"{layer}: groups", 1)
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
    op = ConvolutionOp(stride, padding, dilation, groups)
    return op(x, weight) if bias is None else op(x, weight, bias)


def conv_padding(padding, kernel_size, stride, dilation, layer):
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
    return tuple((p, p) for p in _args.int_tuple(padding, len(kernel_size), f"{layer}: padding", minimum=0))
