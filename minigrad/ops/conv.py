"""Convolution (cross-correlation, as torch), transposed convolution, and unfold/fold (the
sliding blocks themselves), over 2-D or 1-D input, all on the im2col/col2im kernels."""
from .. import _args
from ..autograd import Op
from ..autograd.adjoint import linear_backward_graph
from ..tensor import Tensor
from ._tensor_checks import check_same_dtype
from .shape import ConstantPad

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "fold", "unfold"]


class _ImageOp(Op):
    """An op on (N, C, H, W) arrays that also takes (N, C, L) ones, run as height-1 images."""

    def _images(self, *arrays):
        return tuple(a if a is None or not self.one_d else a[:, :, None, :] for a in arrays)

    def _lines(self, *arrays):
        return tuple(a if a is None or not self.one_d else a[:, :, 0, :] for a in arrays)


class ConvolutionOp(_ImageOp):
    """Inputs: x (N, C, H, W) with weight (O, C // groups, KH, KW), or x (N, C, L) with weight
    (O, C // groups, K), and optionally bias (O,). Hyperparameters in 2-D form: stride and dilation
    (h, w), padding ((top, bottom), (left, right)); 1-D input runs as height-1 images."""

    def __init__(self, stride, padding, dilation, groups):
        self.stride, self.padding, self.dilation, self.groups = stride, padding, dilation, groups

    def forward(self, x, weight, bias=None):
        self.one_d = x.ndim == 3
        x, weight = self._images(x, weight)
        self.x, self.weight, self.has_bias = x, weight, bias is not None
        y = self.kernels.conv2d_forward(x, weight, bias, self.stride, self.padding, self.dilation, self.groups)
        return self._lines(y)[0]

    def backward(self, gy):
        needs = self.needs_input_grad
        gx, gweight, gbias = self.kernels.conv2d_backward(
            self._images(gy)[0], self.x, self.weight, self.stride, self.padding, self.dilation, self.groups,
            needs[0], needs[1], self.has_bias and needs[2])
        gx, gweight = self._lines(gx, gweight)
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
        return self.kernels.conv2d_forward(x, weight, None, *self.geometry)

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


class ConvTransposeOp(_ImageOp):
    """Inputs: x (N, C, H, W) with weight (C, O // groups, KH, KW), or x (N, C, L) with weight
    (C, O // groups, K), and optionally bias (O,). Hyperparameters in 2-D form, as ConvolutionOp's,
    and output_padding (h, w)."""

    def __init__(self, stride, padding, output_padding, dilation, groups):
        self.stride, self.padding, self.output_padding = stride, padding, output_padding
        self.dilation, self.groups = dilation, groups

    def _geometry(self):
        return self.stride, self.padding, self.output_padding, self.dilation, self.groups

    def forward(self, x, weight, bias=None):
        self.one_d = x.ndim == 3
        x, weight = self._images(x, weight)
        self.x, self.weight, self.has_bias = x, weight, bias is not None
        return self._lines(self.kernels.conv_transpose2d_forward(x, weight, bias, *self._geometry()))[0]

    def backward(self, gy):
        needs = self.needs_input_grad
        gx, gweight, gbias = self.kernels.conv_transpose2d_backward(
            self._images(gy)[0], self.x, self.weight, *self._geometry(), needs[0], needs[1],
            self.has_bias and needs[2])
        gx, gweight = self._lines(gx, gweight)
        return (gx, gweight, gbias) if self.has_bias else (gx, gweight)

    def backward_graph(self, inputs, gy):
        # forward is the input gradient of the convolution of y (gy's shape) with weight, so its
        # gradients are that convolution and its weight gradient (ConvInputGrad's, with gy for g)
        x, weight = inputs[0], inputs[1]
        if self.one_d:
            x, weight, gy = x.unsqueeze(2), weight.unsqueeze(2), gy.unsqueeze(2)
        geometry = self.stride, self.padding, self.dilation, self.groups
        # where output_padding >= stride, that convolution's output has rows/columns past x's,
        # which forward never reads: cropped from gx, zero in the weight gradient
        extra = [(size + sum(pad) - d * (k - 1) - 1) // s + 1 - x_size for size, pad, d, k, s, x_size in
                 zip(gy.shape[2:], self.padding, self.dilation, weight.shape[2:], self.stride, x.shape[2:])]
        needs = self.needs_input_grad
        gx = gweight = None
        if needs[0]:
            gx = ConvolutionOp(*geometry)(gy, weight)[:, :, :x.shape[2], :x.shape[3]]
        if needs[1]:
            gy_of_convolution = ConstantPad(((0, 0), (0, 0), (0, extra[0]), (0, extra[1])), 0)(x) if any(extra) else x
            gweight = ConvWeightGrad(weight.shape, *geometry)(gy, gy_of_convolution)
        if self.one_d:
            gx = None if gx is None else gx.squeeze(2)
            gweight = None if gweight is None else gweight.squeeze(2)
        return (gx, gweight, gy.sum((0, 2, 3))) if self.has_bias else (gx, gweight)


class UnfoldOp(Op):
    """x (N, C, H, W) -> its sliding blocks (N, C * KH * KW, L); hyperparameters (h, w) pairs."""

    backward_graph = linear_backward_graph

    def __init__(self, kernel_size, stride, padding, dilation):
        self.blocks = kernel_size, stride, padding, dilation

    def forward(self, x):
        self.image_size = x.shape[2:]
        return self.kernels.unfold(x, *self.blocks)

    def backward(self, gy):
        return self.kernels.fold(gy, self.image_size, *self.blocks)


class FoldOp(UnfoldOp):
    """blocks (N, C * KH * KW, L) -> the images (N, C, H, W) they sum into (the adjoint of UnfoldOp)."""

    def __init__(self, image_size, kernel_size, stride, padding, dilation):
        super().__init__(kernel_size, stride, padding, dilation)
        self.image_size = image_size

    def forward(self, blocks):
        return self.kernels.fold(blocks, self.image_size, *self.blocks)

    def backward(self, gy):
        return self.kernels.unfold(gy, *self.blocks)


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


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-D transposed convolution (torch's conv_transpose2d; the input gradient of conv2d). input:
    (N, C, H, W) or unbatched (C, H, W); weight: (C, O // groups, KH, KW); bias: (O,) or None.
    stride, padding, output_padding, dilation: int or (h, w); output_padding (extra rows and
    columns on the bottom/right) must be below the stride or the dilation. Returns (N, O, OH, OW)
    with OH = (H - 1) * stride_h - 2 * padding_h + dilation_h * (KH - 1) + output_padding_h + 1.

    Example: ``F.conv_transpose2d(mg.randn(8, 16, 4, 4), mg.randn(16, 3, 4, 4), stride=2, padding=1).shape``
    -> (8, 3, 8, 8)
    """
    return conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 2,
                          "conv_transpose2d")


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """1-D transposed convolution (torch's conv_transpose1d). input: (N, C, L) or unbatched (C, L);
    weight: (C, O // groups, K); bias: (O,) or None; the rest as conv_transpose2d's, for one dim.
    Returns (N, O, OL), OL = (L - 1) * stride - 2 * padding + dilation * (K - 1) + output_padding + 1.

    Example: ``F.conv_transpose1d(mg.randn(8, 16, 10), mg.randn(16, 4, 3), stride=2).shape`` -> (8, 4, 21)
    """
    return conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 1,
                          "conv_transpose1d")


def convolution(x, weight, bias, stride, padding, dilation, groups, spatial_dims, layer):
    """Checks every argument of a convolution over ``spatial_dims`` dims (errors start with
    ``layer``) and applies the op with its 2-D hyperparameters."""
    if _unbatched(x, weight, bias, spatial_dims, layer, "out_channels, in_channels // groups"):
        return convolution(x.unsqueeze(0), weight, bias, stride, padding, dilation, groups, spatial_dims,
                           layer).squeeze(0)
    stride, dilation, groups = _strides(stride, dilation, groups, spatial_dims, layer)
    padding = conv_padding(padding, weight.shape[2:], stride, dilation, layer)
    out_channels = weight.shape[0]
    if out_channels % groups:
        raise ValueError(f"{layer}: groups={groups} must divide the {out_channels} output channels "
                         f"(weight of shape {weight.shape})")
    if x.shape[1] != weight.shape[1] * groups:
        raise ValueError(f"{layer}: input of shape {x.shape} has {x.shape[1]} channels, but weight of shape "
                         f"{weight.shape} with groups={groups} expects in_channels = weight.shape[1] * groups "
                         f"= {weight.shape[1] * groups}")
    _check_bias(bias, out_channels, layer)
    for axis, (size, k, d, (before, after)) in enumerate(zip(x.shape[2:], weight.shape[2:], dilation, padding)):
        if k < 1 or size + before + after < d * (k - 1) + 1:
            raise ValueError(f"{layer}: kernel size {k} (dilation {d}) spans {d * (k - 1) + 1}, larger than "
                             f"the padded input: size {size} + padding {before + after} along spatial dim "
                             f"{axis} of input shape {x.shape}")
    op = ConvolutionOp(*_two_d(spatial_dims, (stride, 1), (padding, (0, 0)), (dilation, 1)), groups)
    return op(x, weight) if bias is None else op(x, weight, bias)


def conv_transpose(x, weight, bias, stride, padding, output_padding, groups, dilation, spatial_dims, layer):
    """Checks every argument of a transposed convolution over ``spatial_dims`` dims (errors start
    with ``layer``) and applies the op with its 2-D hyperparameters."""
    if _unbatched(x, weight, bias, spatial_dims, layer, "in_channels, out_channels // groups"):
        return conv_transpose(x.unsqueeze(0), weight, bias, stride, padding, output_padding, groups, dilation,
                              spatial_dims, layer).squeeze(0)
    stride, dilation, groups = _strides(stride, dilation, groups, spatial_dims, layer)
    if isinstance(padding, str):
        raise TypeError(f"{layer}: padding must be an int or a tuple of ints, got {padding!r}")
    padding = _args.int_tuple(padding, spatial_dims, f"{layer}: padding", minimum=0)
    output_padding = _args.int_tuple(output_padding, spatial_dims, f"{layer}: output_padding", minimum=0)
    in_channels = weight.shape[0]
    if in_channels % groups:
        raise ValueError(f"{layer}: groups={groups} must divide the {in_channels} input channels "
                         f"(weight of shape {weight.shape})")
    if x.shape[1] != in_channels:
        raise ValueError(f"{layer}: input of shape {x.shape} has {x.shape[1]} channels, but weight of shape "
                         f"{weight.shape} expects in_channels = weight.shape[0] = {in_channels}")
    _check_bias(bias, weight.shape[1] * groups, layer)
    if any(extra >= max(s, d) for extra, s, d in zip(output_padding, stride, dilation)):
        raise ValueError(f"{layer}: output_padding {output_padding} must be smaller than either stride {stride} "
                         f"or dilation {dilation}")
    for axis, (size, k, s, p, extra, d) in enumerate(zip(x.shape[2:], weight.shape[2:], stride, padding,
                                                         output_padding, dilation)):
        if k < 1 or (size - 1) * s - 2 * p + d * (k - 1) + extra + 1 < 1:
            raise ValueError(f"{layer}: output size {(size - 1) * s - 2 * p + d * (k - 1) + extra + 1} along "
                             f"spatial dim {axis} is too small (input shape {x.shape}, kernel size {k}, stride "
                             f"{s}, padding {p}, dilation {d}, output_padding {extra})")
    op = ConvTransposeOp(*_two_d(spatial_dims, (stride, 1), (tuple((p, p) for p in padding), (0, 0)),
                                 (output_padding, 0), (dilation, 1)), groups)
    return op(x, weight) if bias is None else op(x, weight, bias)


def _unbatched(x, weight, bias, spatial_dims, layer, weight_dims):
    """Whether x is unbatched (no N); raises unless x and weight are tensors of fitting dims and
    x, weight, bias share a dtype."""
    if not isinstance(x, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(f"{layer} takes Tensors, got {type(x).__name__} and {type(weight).__name__}")
    dims = ("N, C, H, W", "N, C, L")[spatial_dims == 1]
    if x.ndim not in (spatial_dims + 1, spatial_dims + 2):
        raise ValueError(f"{layer}: expected {spatial_dims + 2}-D input ({dims}) or {spatial_dims + 1}-D "
                         f"unbatched input, got {x.ndim}-D input of shape {x.shape}")
    if weight.ndim != spatial_dims + 2:
        raise ValueError(f"{layer}: weight must have {spatial_dims + 2} dims ({weight_dims}, *kernel_size), got "
                         f"shape {weight.shape}")
    check_same_dtype(x, weight=weight, bias=bias)
    return x.ndim == spatial_dims + 1


def _strides(stride, dilation, groups, spatial_dims, layer):
    return (_args.int_tuple(stride, spatial_dims, f"{layer}: stride", minimum=1),
            _args.int_tuple(dilation, spatial_dims, f"{layer}: dilation", minimum=1),
            _args.integer(groups, f"{layer}: groups", 1))


def _check_bias(bias, out_channels, layer):
    if bias is not None and bias.shape != (out_channels,):
        raise ValueError(f"{layer}: bias must have shape ({out_channels},), got {bias.shape}")


def _two_d(spatial_dims, *values_and_fills):
    """Per-dim hyperparameters in 2-D form: 1-D input runs as a height-1 image, whose height takes
    the fill value."""
    return tuple(values if spatial_dims == 2 else (fill,) + values for values, fill in values_and_fills)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """The sliding blocks of images (torch's unfold, im2col): input (N, C, H, W) or unbatched
    (C, H, W) -> (N, C * KH * KW, L), L the number of block positions (product over h, w of
    (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1); channel c, tap (kh, kw) is
    row (c * KH + kh) * KW + kw. kernel_size, dilation, padding, stride: int or (h, w).

    Example: ``F.unfold(mg.randn(2, 3, 5, 5), 3).shape`` -> (2, 27, 9)
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"unfold takes a Tensor, got {type(input).__name__}")
    if input.ndim == 3:
        return unfold(input.unsqueeze(0), kernel_size, dilation, padding, stride).squeeze(0)
    if input.ndim != 4:
        raise ValueError(f"unfold: expected 4-D input (N, C, H, W) or 3-D unbatched input, got shape {input.shape}")
    blocks = sliding_blocks(kernel_size, dilation, padding, stride, "unfold")
    _block_counts(input.shape[2:], *blocks, "unfold")
    return UnfoldOp(*blocks)(input)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sums sliding blocks back into images (torch's fold, col2im; the adjoint of unfold, which it
    inverts where blocks do not overlap): input (N, C * KH * KW, L) or unbatched (C * KH * KW, L)
    -> (N, C, *output_size); L must be the number of block positions in output_size.

    Example: ``F.fold(mg.randn(2, 27, 9), (5, 5), 3).shape`` -> (2, 3, 5, 5)
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"fold takes a Tensor, got {type(input).__name__}")
    if input.ndim == 2:
        return fold(input.unsqueeze(0), output_size, kernel_size, dilation, padding, stride).squeeze(0)
    if input.ndim != 3:
        raise ValueError(f"fold: expected 3-D input (N, C * prod(kernel_size), L) or 2-D unbatched input, got "
                         f"shape {input.shape}")
    output_size = _args.int_tuple(output_size, 2, "fold: output_size", minimum=1)
    blocks = sliding_blocks(kernel_size, dilation, padding, stride, "fold")
    kernel_h, kernel_w = blocks[0]
    if input.shape[1] % (kernel_h * kernel_w):
        raise ValueError(f"fold: input.shape[1] = {input.shape[1]} must be divisible by the product of kernel_size "
                         f"{blocks[0]} = {kernel_h * kernel_w}")
    counts = _block_counts(output_size, *blocks, "fold")
    if input.shape[2] != counts[0] * counts[1]:
        raise ValueError(f"fold: output_size={output_size}, kernel_size={blocks[0]}, dilation={blocks[3]}, "
                         f"padding={blocks[2]}, stride={blocks[1]} give {counts[0]} * {counts[1]} = "
                         f"{counts[0] * counts[1]} sliding blocks, but input.shape[2] = {input.shape[2]}")
    return FoldOp(output_size, *blocks)(input)


def sliding_blocks(kernel_size, dilation, padding, stride, name):
    """(kernel_size, stride, padding, dilation) of unfold/fold, each checked and made an (h, w)
    pair, in the order UnfoldOp takes."""
    return (_args.int_tuple(kernel_size, 2, f"{name}: kernel_size", minimum=1),
            _args.int_tuple(stride, 2, f"{name}: stride", minimum=1),
            _args.int_tuple(padding, 2, f"{name}: padding", minimum=0),
            _args.int_tuple(dilation, 2, f"{name}: dilation", minimum=1))


def _block_counts(image_size, kernel_size, stride, padding, dilation, name):
    """The block positions (along h, along w) in images of image_size; raises when there are none."""
    counts = tuple((size + 2 * p - d * (k - 1) - 1) // s + 1
                   for size, k, s, p, d in zip(image_size, kernel_size, stride, padding, dilation))
    if min(counts) < 1:
        raise ValueError(f"{name}: kernel_size={kernel_size} with dilation={dilation} does not fit images of size "
                         f"{tuple(image_size)} with padding={padding}: no sliding block")
    return counts


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
