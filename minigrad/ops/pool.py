"""Pooling over (N, C, H, W) input: max (argmax kept for backward), average, adaptive average."""
from .. import _args
from ..autograd import Op
from ..autograd.adjoint import linear_backward_graph
from ..tensor import Tensor
from ._tensor_checks import check_same_dtype
from .resample import plane_scatter

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool2d"]


class MaxPool2dOp(Op):
    """Hyperparameters: kernel_size, stride, padding, each (h, w)."""

    def __init__(self, kernel_size, stride, padding):
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def forward(self, x):
        y, self.indices = self.kernels.max_pool2d_forward(x, self.kernel_size, self.stride, self.padding)
        self.x_shape = x.shape
        return y

    def backward(self, gy):
        return self.kernels.max_pool2d_backward(gy, self.indices, self.x_shape)

    def backward_graph(self, inputs, gy):
        return plane_scatter(gy, self.indices, self.x_shape)


class AvgPool2dOp(Op):
    """Hyperparameters: kernel_size, stride, padding, each (h, w), and count_include_pad."""

    def __init__(self, kernel_size, stride, padding, count_include_pad=True):
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.count_include_pad = count_include_pad

    def forward(self, x):
        self.x_shape = x.shape
        return self.kernels.avg_pool2d_forward(x, self.kernel_size, self.stride, self.padding, self.count_include_pad)

    def backward(self, gy):
        return self.kernels.avg_pool2d_backward(gy, self.x_shape, self.kernel_size, self.stride, self.padding,
                                                self.count_include_pad)

    backward_graph = linear_backward_graph


class AdaptiveAvgPool2dOp(Op):
    """Hyperparameter: output_size (OH, OW)."""

    def __init__(self, output_size):
        self.output_size = output_size

    def forward(self, x):
        self.x_shape = x.shape
        return self.kernels.adaptive_avg_pool2d_forward(x, self.output_size)

    def backward(self, gy):
        return self.kernels.adaptive_avg_pool2d_backward(gy, self.x_shape)

    backward_graph = linear_backward_graph


def max_pool2d(x, kernel_size, stride=None, padding=0):
    """Maximum over windows of x (N, C, H, W) or (C, H, W); stride defaults to kernel_size; padding
    (at most half a window) acts as -inf. NaN in a window gives NaN. Returns (N, C, OH, OW) or (C, OH, OW).

    Example: ``F.max_pool2d(mg.randn(8, 6, 24, 24), 2).shape`` -> (8, 6, 12, 12)
    """
    kernel_size, stride, padding = _pool_arguments(x, kernel_size, stride, padding, "max_pool2d")
    return _per_image(MaxPool2dOp(kernel_size, stride, padding), x)


def avg_pool2d(x, kernel_size, stride=None, padding=0, count_include_pad=True):
    """Mean over windows of x (N, C, H, W) or (C, H, W); stride defaults to kernel_size; zero padding
    (at most half a window), counted in the divisor when count_include_pad (torch's default).

    Example: ``F.avg_pool2d(mg.randn(8, 6, 24, 24), 2).shape`` -> (8, 6, 12, 12)
    """
    kernel_size, stride, padding = _pool_arguments(x, kernel_size, stride, padding, "avg_pool2d")
    return _per_image(AvgPool2dOp(kernel_size, stride, padding, bool(count_include_pad)), x)


def max_pool1d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Maximum over windows of x (N, C, L) or (C, L); stride defaults to kernel_size; padding (at
    most half a window) acts as -inf. Runs max_pool2d on a height-1 image. dilation > 1,
    ceil_mode=True and return_indices=True are not supported.

    Example: ``F.max_pool1d(mg.randn(8, 6, 24), 2).shape`` -> (8, 6, 12)
    """
    unsupported_pool_options("max_pool1d", dilation=dilation, ceil_mode=ceil_mode, return_indices=return_indices)
    image, kernel_size, stride, padding = _pool1d_arguments(x, kernel_size, stride, padding, "max_pool1d")
    return _pool1d_result(x, MaxPool2dOp(kernel_size, stride, padding)(image))


def avg_pool1d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """Mean over windows of x (N, C, L) or (C, L); stride defaults to kernel_size; zero padding (at
    most half a window), counted in the divisor when count_include_pad (torch's default). Runs
    avg_pool2d on a height-1 image; ceil_mode=True is not supported.

    Example: ``F.avg_pool1d(mg.randn(8, 6, 24), 3, stride=1, padding=1).shape`` -> (8, 6, 24)
    """
    unsupported_pool_options("avg_pool1d", ceil_mode=ceil_mode)
    image, kernel_size, stride, padding = _pool1d_arguments(x, kernel_size, stride, padding, "avg_pool1d")
    op = AvgPool2dOp(kernel_size, stride, padding, bool(count_include_pad))
    return _pool1d_result(x, op(image))


def adaptive_avg_pool2d(x, output_size):
    """Mean over the windows that split x (N, C, H, W) or (C, H, W) into output_size (int, or (OH, OW) where None
    keeps that input size): window i spans [floor(i * H / OH), ceil((i + 1) * H / OH)).

    Example: ``F.adaptive_avg_pool2d(mg.randn(8, 64, 7, 7), 1).shape`` -> (8, 64, 1, 1)
    """
    _check_image_input(x, "adaptive_avg_pool2d")
    if _args.is_int(output_size) or output_size is None:
        output_size = (output_size, output_size)
    if len(output_size) != 2:
        raise ValueError(f"adaptive_avg_pool2d: output_size must be an int or (OH, OW), got {output_size!r}")
    output_size = tuple(size if wanted is None else wanted for wanted, size in zip(output_size, x.shape[-2:]))
    if any(not _args.is_int(s) or s < 1 for s in output_size):
        raise ValueError(f"adaptive_avg_pool2d: output_size must be ints >= 1, got {output_size}")
    return _per_image(AdaptiveAvgPool2dOp(tuple(int(s) for s in output_size)), x)


def _per_image(op, x):
    """``op`` (of (N, C, H, W) arrays) on x, an unbatched (C, H, W) x as a batch of one, as torch."""
    return op(x) if x.ndim == 4 else op(x.unsqueeze(0)).squeeze(0)


def _check_image_input(x, layer):
    if not isinstance(x, Tensor):
        raise TypeError(f"{layer} takes a Tensor, got {type(x).__name__}")
    if x.ndim not in (3, 4):
        raise ValueError(f"{layer}: expected 4-D input (N, C, H, W) or 3-D input (C, H, W), got {x.ndim}-D input "
                         f"of shape {x.shape}")
    check_same_dtype(x)


def _pool_arguments(x, kernel_size, stride, padding, layer):
    """(kernel_size, stride, padding) as (h, w) pairs, checked against x (N, C, H, W) or (C, H, W)."""
    _check_image_input(x, layer)
    kernel_size, stride, padding = pool_window(kernel_size, stride, padding, 2, layer)
    for size, k, p in zip(x.shape[-2:], kernel_size, padding):
        if size + 2 * p < k:
            raise ValueError(f"{layer}: pooling window {kernel_size} is larger than the padded input: "
                             f"input of shape {x.shape} with padding {padding}")
    return kernel_size, stride, padding


def pool_window(kernel_size, stride, padding, n, layer):
    """(kernel_size, stride, padding) as tuples of n ints, stride defaulting to kernel_size, padding
    at most half a window; errors start with ``layer``. Layers call it at construction too.

    Example: ``pool_window(2, None, 0, 2, "MaxPool2d")`` -> ((2, 2), (2, 2), (0, 0))
    """
    kernel = _args.int_tuple(kernel_size, n, f"{layer}: kernel_size", minimum=1)
    step = kernel if stride is None else _args.int_tuple(stride, n, f"{layer}: stride", minimum=1)
    pad = _args.int_tuple(padding, n, f"{layer}: padding", minimum=0)
    if any(2 * p > k for p, k in zip(pad, kernel)):
        shown = (lambda t: t) if n > 1 else (lambda t: t[0])  # noqa: E731  (1-D: the numbers themselves)
        raise ValueError(f"{layer}: padding {shown(pad)} must be at most half of kernel_size {shown(kernel)}")
    return kernel, step, pad


def unsupported_pool_options(layer, dilation=1, ceil_mode=False, return_indices=False):
    """Refuse the options of torch's 1-D pooling that minigrad's pooling does not implement."""
    if _args.int_tuple(dilation, 1, f"{layer}: dilation", minimum=1) != (1,):
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
    check_same_dtype(x)
    (kernel,), (step,), (pad,) = pool_window(kernel_size, stride, padding, 1, layer)
    if x.shape[-1] + 2 * pad < kernel:
        raise ValueError(f"{layer}: pooling window {kernel} is larger than the padded input: input of shape "
                         f"{x.shape} with padding {pad}")
    image = x.unsqueeze(-2) if x.ndim == 3 else x.unsqueeze(0).unsqueeze(-2)
    return image, (1, kernel), (1, step), (0, pad)


def _pool1d_result(x, y):
    """The 2-D pooling result (N, C, 1, OL) back in x's layout: (N, C, OL), or (C, OL)."""
    y = y.squeeze(-2)
    return y if x.ndim == 3 else y.squeeze(0)
