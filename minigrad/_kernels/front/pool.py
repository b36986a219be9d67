"""Max, average and adaptive average pooling over (N, C, H, W)."""
import numpy as np

from .._checks import check_float_array, check_input_shape, check_pool_gradient, pool2d_output_size


class PoolKernels:
    """Methods of ``Kernels`` (a mixin: the helpers it calls are ``KernelsBase``'s)."""

    # ---- Pooling ---------------------------------------------------------------------------------
    def max_pool2d_forward(self, x, kernel_size, stride, padding):
        """(y, indices) of max-pooling x (N, C, H, W): y (N, C, OH, OW); indices int64 like y, each
        window's argmax as a flat index h * W + w into its input plane. padding acts as -inf."""
        check_float_array(x, "x", ndim=4)
        out_h, out_w = pool2d_output_size(x.shape[2:], kernel_size, stride, padding)
        xp = self.xp
        x = self._contiguous(x)
        y = xp.empty(x.shape[:2] + (out_h, out_w), dtype=x.dtype)
        indices = xp.empty(y.shape, dtype=xp.int64)
        self.loops.max_pool2d_forward(x, y, indices, *kernel_size, *stride, *padding)
        return y, indices

    def max_pool2d_backward(self, gy, indices, input_shape):
        """gx of input_shape: each gy entry added at its window's argmax. ``indices`` must be those
        max_pool2d_forward returned (their values are not checked again)."""
        check_input_shape(input_shape)
        check_pool_gradient(gy, indices.shape, gy.dtype)
        if indices.dtype != np.int64 or indices.shape[:2] != tuple(input_shape[:2]):
            raise ValueError(f"indices must be int64 of shape {tuple(input_shape[:2])} + (OH, OW), "
                             f"got {indices.dtype} {indices.shape}")
        gx = self.xp.empty(input_shape, dtype=gy.dtype)
        self.loops.max_pool2d_backward(self._contiguous(gy), self._contiguous(indices), gx)
        return gx

    def avg_pool2d_forward(self, x, kernel_size, stride, padding, count_include_pad=True):
        """y (N, C, OH, OW): each window's mean over x (N, C, H, W); zero padding, counted in the
        divisor when count_include_pad (as torch)."""
        check_float_array(x, "x", ndim=4)
        out_h, out_w = pool2d_output_size(x.shape[2:], kernel_size, stride, padding)
        x = self._contiguous(x)
        y = self.xp.empty(x.shape[:2] + (out_h, out_w), dtype=x.dtype)
        self.loops.avg_pool2d_forward(x, y, *kernel_size, *stride, *padding, bool(count_include_pad))
        return y

    def avg_pool2d_backward(self, gy, input_shape, kernel_size, stride, padding, count_include_pad=True):
        """gx of input_shape: each gy entry spread evenly over its window."""
        check_input_shape(input_shape)
        out_h, out_w = pool2d_output_size(input_shape[2:], kernel_size, stride, padding)
        check_pool_gradient(gy, tuple(input_shape[:2]) + (out_h, out_w), gy.dtype)
        gx = self.xp.empty(input_shape, dtype=gy.dtype)
        self.loops.avg_pool2d_backward(self._contiguous(gy), gx, *kernel_size, *stride, *padding,
                                       bool(count_include_pad))
        return gx

    def adaptive_avg_pool2d_forward(self, x, output_size):
        """y (N, C, OH, OW): the mean over window [floor(i * H / OH), ceil((i + 1) * H / OH)) of x
        (N, C, H, W), the same along W. output_size: (OH, OW), each >= 1."""
        check_input_shape((1, 1) + tuple(output_size))
        check_float_array(x, "x", ndim=4)
        if min(x.shape[2:]) < 1:
            raise ValueError(f"x must have H, W >= 1, got shape {x.shape}")
        x = self._contiguous(x)
        y = self.xp.empty(x.shape[:2] + tuple(output_size), dtype=x.dtype)
        self.loops.adaptive_avg_pool2d_forward(x, y)
        return y

    def adaptive_avg_pool2d_backward(self, gy, input_shape):
        """gx of input_shape: each gy (N, C, OH, OW) entry spread evenly over its window."""
        check_input_shape(input_shape)
        check_pool_gradient(gy, tuple(input_shape[:2]) + tuple(gy.shape[2:]), gy.dtype)
        gx = self.xp.empty(input_shape, dtype=gy.dtype)
        self.loops.adaptive_avg_pool2d_backward(self._contiguous(gy), gx)
        return gx
