"""Layers that resize, pad or reshape: Upsample (and UpsamplingNearest2d / UpsamplingBilinear2d),
the paddings, Unflatten, AdaptiveMaxPool2d and PixelShuffle / PixelUnshuffle, with torch's arguments and reprs."""
import math

from .. import _args
from .. import functional as F
from .module import Module

__all__ = ["AdaptiveMaxPool2d", "CircularPad1d", "CircularPad2d", "CircularPad3d", "ConstantPad1d", "ConstantPad2d",
           "ConstantPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d",
           "ReplicationPad2d", "ReplicationPad3d", "PixelShuffle", "PixelUnshuffle", "Unflatten", "Upsample",
           "UpsamplingBilinear2d", "UpsamplingNearest2d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d"]


class Upsample(Module):
    """F.interpolate with fixed arguments: resize (N, C, L) or (N, C, H, W) input to ``size`` or by
    ``scale_factor`` with mode "nearest", "linear" or "bilinear" (align_corners for the last two).

    Example: ``nn.Upsample(scale_factor=2)(mg.randn(1, 3, 4, 4)).shape`` -> (1, 3, 8, 8)
    """

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None):
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor = tuple(float(factor) for factor in scale_factor)
        elif scale_factor is None or _args.is_real(scale_factor):
            self.scale_factor = float(scale_factor) if scale_factor else None  # as torch: 0 means none
        else:
            raise TypeError(f"{self.name}: scale_factor must be a number or a tuple of numbers, got {scale_factor!r}")
        self.mode, self.align_corners = mode, align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):
        return F.interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                             recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self):
        info = f"scale_factor={self.scale_factor!r}" if self.scale_factor is not None else f"size={self.size!r}"
        return f"{info}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """Upsample with mode "nearest" for (N, C, H, W) input, as torch.

    Example: ``nn.UpsamplingNearest2d(scale_factor=2)(mg.randn(1, 3, 4, 4)).shape`` -> (1, 3, 8, 8)
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Upsample with mode "bilinear" and align_corners=True for (N, C, H, W) input, as torch.

    Example: ``nn.UpsamplingBilinear2d(size=(6, 6))(mg.randn(1, 3, 4, 4)).shape`` -> (1, 3, 6, 6)
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


def _widths(padding, count):
    """torch's _ntuple: an iterable as a tuple, anything else repeated ``count`` times (F.pad checks
    the widths when the layer runs)."""
    return tuple(padding) if isinstance(padding, (tuple, list)) else (padding,) * count


class _ConstantPadNd(Module):
    widths = 2  # 2 * the number of padded dims

    def __init__(self, padding, value):
        super().__init__()
        self.padding, self.value = _widths(padding, self.widths), value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim with ``value``: padding an int, or (left, right).

    Example: ``nn.ConstantPad1d(2, 3.5)(mg.randn(1, 2, 4)).shape`` -> (1, 2, 8)
    """


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dims with ``value``: padding an int, or (left, right, top, bottom).

    Example: ``nn.ConstantPad2d((1, 1, 2, 0), 0.5)(mg.randn(1, 2, 4, 4)).shape`` -> (1, 2, 6, 6)
    """

    widths = 4


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dims with ``value``: padding an int, or (left, right, top, bottom, front, back)."""

    widths = 6


class ZeroPad1d(ConstantPad1d):
    """Pad the last dim with zeros: padding an int, or (left, right)."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """Pad the last two dims with zeros: padding an int, or (left, right, top, bottom).

    Example: ``nn.ZeroPad2d(1)(mg.randn(1, 2, 4, 4)).shape`` -> (1, 2, 6, 6)
    """

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    """Pad the last three dims with zeros: padding an int, or (left, right, top, bottom, front, back)."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class _CopyPadNd(Module):
    """The paddings that copy the input's values: F.pad in ``mode`` over the last widths / 2 dims."""
    widths, mode = 2, None

    def __init__(self, padding):
        super().__init__()
        self.padding = _widths(padding, self.widths)

    def forward(self, input):
        return F.pad(input, self.padding, self.mode)

    def extra_repr(self):
        return f"{self.padding}"


class ReflectionPad1d(_CopyPadNd):
    """Mirror the last dim at its edges (the edge not repeated): padding an int, or (left, right), each
    < the dim's size. Input (C, W) or (N, C, W).

    Example: ``nn.ReflectionPad1d(2)(mg.arange(4.0).reshape(1, 1, 4))`` -> [[[2., 1., 0., 1., 2., 3., 2., 1.]]]
    """
    mode = "reflect"


class ReflectionPad2d(_CopyPadNd):
    """Mirror the last two dims: padding an int, or (left, right, top, bottom). Input (C, H, W) or (N, C, H, W).

    Example: ``nn.ReflectionPad2d(1)(mg.randn(1, 3, 4, 4)).shape`` -> (1, 3, 6, 6)
    """
    widths, mode = 4, "reflect"


class ReflectionPad3d(_CopyPadNd):
    """Mirror the last three dims: padding an int, or (left, right, top, bottom, front, back)."""
    widths, mode = 6, "reflect"


class ReplicationPad1d(_CopyPadNd):
    """Repeat the last dim's edge values: padding an int, or (left, right). Input (C, W) or (N, C, W).

    Example: ``nn.ReplicationPad1d((1, 2))(mg.arange(3.0).reshape(1, 3))`` -> [[0., 0., 1., 2., 2., 2.]]
    """
    mode = "replicate"


class ReplicationPad2d(_CopyPadNd):
    """Repeat the edge values of the last two dims: padding an int, or (left, right, top, bottom)."""
    widths, mode = 4, "replicate"


class ReplicationPad3d(_CopyPadNd):
    """Repeat the edge values of the last three dims: padding an int, or six widths."""
    widths, mode = 6, "replicate"


class _CircularPadNd(_CopyPadNd):
    """torch checks the input's dims in the circular modules (the other modes leave it to F.pad)."""
    mode = "circular"

    def forward(self, input):
        low = self.widths // 2 + 1
        if input.ndim not in (low, low + 1):
            raise ValueError(f"expected {low}D or {low + 1}D input (got {input.ndim}D input)")
        return super().forward(input)


class CircularPad1d(_CircularPadNd):
    """Wrap the last dim around: padding an int, or (left, right), each <= the dim's size. Input (C, W)
    or (N, C, W); other dims are a ValueError, as torch.

    Example: ``nn.CircularPad1d(1)(mg.arange(3.0).reshape(1, 3))`` -> [[2., 0., 1., 2., 0.]]
    """


class CircularPad2d(_CircularPadNd):
    """Wrap the last two dims around: padding an int, or (left, right, top, bottom)."""
    widths = 4


class CircularPad3d(_CircularPadNd):
    """Wrap the last three dims around: padding an int, or six widths."""
    widths = 6


class Unflatten(Module):
    """Split dim ``dim`` into ``unflattened_size`` (a tuple or list of ints, one of which may be -1),
    as torch's Tensor.unflatten. Named dims are not supported.

    Example: ``nn.Unflatten(1, (2, 3))(mg.randn(4, 6)).shape`` -> (4, 2, 3)
    """

    def __init__(self, dim, unflattened_size):
        super().__init__()
        if isinstance(dim, str):
            raise TypeError(f"Unflatten: named dims are not supported, got dim={dim!r}")
        if not _args.is_int(dim):
            raise TypeError(f"Unflatten: invalid argument type for dim parameter: {type(dim).__name__}")
        if not isinstance(unflattened_size, (tuple, list)):
            raise TypeError(f"unflattened_size must be a tuple of ints, but found type {type(unflattened_size).__name__}")
        for position, size in enumerate(unflattened_size):
            if not _args.is_int(size):
                raise TypeError(f"unflattened_size must be tuple of ints, but found element of type "
                                f"{type(size).__name__} at pos {position}")
        self.dim, self.unflattened_size = dim, unflattened_size

    def forward(self, input):
        dim = _args.dim_index(self.dim, input.ndim)
        sizes = [int(s) for s in self.unflattened_size]
        length = input.shape[dim]
        if not sizes:
            raise RuntimeError("unflatten: sizes must be non-empty")
        if sizes.count(-1) > 1:
            raise RuntimeError(f"unflatten: only one dimension can be inferred, got sizes {sizes}")
        if any(s < -1 for s in sizes):
            raise RuntimeError(f"unflatten: invalid size {min(sizes)} in sizes {sizes}")
        known = math.prod(s for s in sizes if s != -1)
        if -1 in sizes:
            if known == 0:
                raise RuntimeError(f"unflatten: cannot infer the -1 in sizes {sizes} for a dim of size {length}: "
                                   f"the other sizes multiply to 0")
            if length % known == 0:
                sizes[sizes.index(-1)] = length // known
        if math.prod(sizes) != length or -1 in sizes:
            raise RuntimeError(f"unflatten: Provided sizes {list(self.unflattened_size)} don't multiply up to the "
                               f"size of dim {self.dim} ({length}) in the input tensor")
        return input.reshape(input.shape[:dim] + tuple(sizes) + input.shape[dim + 1:])

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class AdaptiveMaxPool2d(Module):
    """Maximum over the bins that split (N, C, H, W) or (C, H, W) input into output_size (int or
    (OH, OW), None keeps a dim); return_indices=True also returns the argmax positions.

    Example: ``nn.AdaptiveMaxPool2d((2, 3))(mg.randn(8, 4, 7, 7)).shape`` -> (8, 4, 2, 3)
    """

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, input):
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class PixelShuffle(Module):
    """F.pixel_shuffle: (*, C * r^2, H, W) -> (*, C, H * r, W * r) with r = upscale_factor.

    Example: ``nn.PixelShuffle(2)(mg.randn(1, 8, 3, 3)).shape`` -> (1, 2, 6, 6)
    """

    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input):
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self):
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """F.pixel_unshuffle: (*, C, H * r, W * r) -> (*, C * r^2, H, W) with r = downscale_factor.

    Example: ``nn.PixelUnshuffle(2)(mg.randn(1, 2, 6, 6)).shape`` -> (1, 8, 3, 3)
    """

    def __init__(self, downscale_factor):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input):
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self):
        return f"downscale_factor={self.downscale_factor}"
