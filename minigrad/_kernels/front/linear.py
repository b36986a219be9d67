"""Linear and 2-d convolution: products through matmul (BLAS, cuBLAS) and the loops around them."""
import numpy as np

from .._checks import (block_counts, check_float_array, check_linear, check_linear_backward,
                       check_pool_gradient, conv2d_output_size, conv_transpose2d_output_size)

FLOAT64 = np.dtype(np.float64)


class LinearKernels:
    """Methods of ``Kernels`` (a mixin: the helpers it calls are ``KernelsBase``'s)."""

    # ---- Linear ----------------------------------------------------------------------------------
    # The products go to the matmul loop (blas.pyx: BLAS on minigrad's threads; cuBLAS), which takes
    # any strides and transposed views as BLAS flags; the other loops are the epilogue: the bias added
    # into the product, and the bias gradient summed in double.
    def matmul(self, a, b, out=None, accumulate=False):
        """a @ b for 2-D (m, k) @ (k, n) or batched 3-D (B, m, k) @ (B, k, n) arrays, a 2-D operand
        shared by the batch; with out, written (or with accumulate, added) there. See blas.matmul.
        Example: ``cpu.matmul(gy.T, x)`` -> (out, in), no copy of the transposed view."""
        return self.loops.matmul(a, b, out, accumulate)

    def linear_forward(self, x, weight, bias):
        """y = x @ weight.T + bias. x: (N, in); weight: (out, in); bias: (out,) or None -> (N, out)."""
        check_linear(x, weight, bias)
        y = self.loops.matmul(x, weight.T)
        if bias is not None:
            self.loops.add_bias(y, self._contiguous(bias))
        return y

    def linear_backward(self, gy, x, weight, needs_x, needs_weight, needs_bias):
        """(gx, gweight, gbias) for y = x @ weight.T + bias, each None when not needed.
        gy: (N, out); x: (N, in); weight: (out, in), one dtype."""
        check_linear_backward(gy, x, weight)
        gy = self._contiguous(gy)  # e.g. a broadcast gradient (zero strides), read by every product below
        gx = self.loops.matmul(gy, weight) if needs_x else None
        gweight = self.loops.matmul(gy.T, x) if needs_weight else None
        return gx, gweight, self.column_sums(gy) if needs_bias else None

    def column_sums(self, a):
        """The sums of a (T, G)'s columns, accumulated in double, in a's dtype (a bias gradient).
        Example: ``cpu.column_sums(gy)`` -> (G,)"""
        check_float_array(a, "a", ndim=2)
        sums = self.xp.zeros(a.shape[1])
        self.loops.column_sum(self._contiguous(a), sums)
        return sums.astype(a.dtype)

    # ---- Convolution -----------------------------------------------------------------------------
    # Three loops do the work: conv_forward, conv_weight_gradient and conv_input_gradient, on the
    # weight as (groups, O // groups, C // groups * KH * KW). On the CPU they tile the output and run
    # GEMM per tile in minigrad's threads (conv.pyx); on the GPU, im2col over chunks of the batch and
    # cuBLAS (cuda_loops.py).
    def conv2d_forward(self, x, weight, bias, stride, padding, dilation, groups):
        """y (N, O, OH, OW): the cross-correlation of x (N, C, H, W) with weight (O, C // groups, KH,
        KW), plus bias (O,) or None. stride, dilation: (h, w); padding: ((top, bottom), (left, right)).
        Example: ``y = cpu.conv2d_forward(x, w, None, (1, 1), ((1, 1), (1, 1)), (1, 1), 1)``
        """
        out_h, out_w = conv2d_output_size(x, weight, bias, stride, padding, dilation, groups)
        geometry = self._conv_geometry(weight, stride, padding, dilation, out_h, out_w)
        return self._correlate(x, weight, bias, groups, geometry)

    def conv2d_backward(self, gy, x, weight, stride, padding, dilation, groups, needs_x, needs_weight, needs_bias):
        """(gx, gweight, gbias) of conv2d_forward for the output gradient gy (N, O, OH, OW); each
        None unless asked for."""
        out_h, out_w = conv2d_output_size(x, weight, None, stride, padding, dilation, groups)
        check_pool_gradient(gy, (x.shape[0], weight.shape[0], out_h, out_w), x.dtype)
        x, weight, gy = self._contiguous(x), self._contiguous(weight), self._contiguous(gy)
        geometry = self._conv_geometry(weight, stride, padding, dilation, out_h, out_w)
        weight3 = self._grouped(weight, groups)
        gx = gweight = None
        if needs_x:
            gx = self.xp.empty_like(x)
            self.loops.conv_input_gradient(gy, weight3, gx, *geometry)
        if needs_weight:
            gweight = self.xp.empty_like(weight3)
            self.loops.conv_weight_gradient(x, gy, gweight, *geometry)
            gweight = gweight.reshape(weight.shape)
        return gx, gweight, self._conv_bias_gradient(gy) if needs_bias else None

    # A transposed convolution is the input gradient of a convolution whose output is x; its input
    # gradient is that convolution's forward and its weight gradient that convolution's weight
    # gradient, with the roles of x and gy swapped.
    def conv_transpose2d_forward(self, x, weight, bias, stride, padding, output_padding, dilation, groups):
        """y (N, O, OH, OW) = the transposed convolution of x (N, C, H, W) with weight (C, O // groups,
        KH, KW), plus bias (O,) or None; OH = (H - 1) * stride_h - top - bottom + dilation_h * (KH - 1)
        + output_padding_h + 1. Arguments as conv2d_forward's; output_padding: (h, w).
        Example: ``cpu.conv_transpose2d_forward(x, w, None, (2, 2), ((1, 1), (1, 1)), (0, 0), (1, 1), 1)``
        """
        out_h, out_w = conv_transpose2d_output_size(x, weight, bias, stride, padding, output_padding, dilation,
                                                    groups)
        x, weight = self._contiguous(x), self._contiguous(weight)
        y = self.xp.empty((x.shape[0], weight.shape[1] * groups, out_h, out_w), dtype=x.dtype)
        geometry = self._conv_geometry(weight, stride, padding, dilation, *x.shape[2:])
        self.loops.conv_input_gradient(x, self._grouped(weight, groups), y, *geometry)
        if bias is not None:
            y += bias.reshape(-1, 1, 1)
        return y

    def conv_transpose2d_backward(self, gy, x, weight, stride, padding, output_padding, dilation, groups, needs_x,
                                  needs_weight, needs_bias):
        """(gx, gweight, gbias) of conv_transpose2d_forward for the output gradient gy (N, O, OH, OW);
        each None unless asked for."""
        out_size = conv_transpose2d_output_size(x, weight, None, stride, padding, output_padding, dilation, groups)
        check_pool_gradient(gy, (x.shape[0], weight.shape[1] * groups) + out_size, x.dtype)
        x, weight, gy = self._contiguous(x), self._contiguous(weight), self._contiguous(gy)
        geometry = self._conv_geometry(weight, stride, padding, dilation, *x.shape[2:])
        gx = self._correlate(gy, weight, None, groups, geometry) if needs_x else None
        gweight = None
        if needs_weight:
            gweight = self.xp.empty((groups, x.shape[1] // groups, weight[0].size), dtype=x.dtype)
            self.loops.conv_weight_gradient(gy, x, gweight, *geometry)
            gweight = gweight.reshape(weight.shape)
        return gx, gweight, self._conv_bias_gradient(gy) if needs_bias else None

    # unfold/fold: the column matrix itself, as (N, C * KH * KW, L) (torch's layout; im2col's is
    # (C * KH * KW, N * L), so one transposing copy each way)
    def unfold(self, x, kernel_size, stride, padding, dilation):
        """The sliding blocks (N, C * KH * KW, L) of x (N, C, H, W); each argument an (h, w) pair.
        Example: ``cpu.unfold(x, (3, 3), (1, 1), (1, 1), (1, 1))``"""
        check_float_array(x, "x", ndim=4)
        out_h, out_w = block_counts(x.shape[2:], kernel_size, stride, padding, dilation)
        N, C = x.shape[:2]
        cols = self.xp.empty((C * kernel_size[0] * kernel_size[1], N * out_h * out_w), dtype=x.dtype)
        self.loops.im2col(self._contiguous(x), cols, *kernel_size, *stride, *padding, *dilation, out_h, out_w)
        return self.xp.ascontiguousarray(cols.reshape(cols.shape[0], N, -1).transpose(1, 0, 2))

    def fold(self, blocks, image_size, kernel_size, stride, padding, dilation):
        """The images (N, C, *image_size) that the sliding blocks (N, C * KH * KW, L) sum into (the
        adjoint of unfold)."""
        check_float_array(blocks, "blocks", ndim=3)
        out_h, out_w = block_counts(image_size, kernel_size, stride, padding, dilation)
        N, rows, L = blocks.shape
        if rows % (kernel_size[0] * kernel_size[1]) or L != out_h * out_w:
            raise ValueError(f"blocks of shape {blocks.shape} do not fit kernel {kernel_size} and {out_h} * {out_w} "
                             f"block positions")
        cols = self.xp.ascontiguousarray(blocks.transpose(1, 0, 2)).reshape(rows, N * L)
        images = self.xp.empty((N, rows // (kernel_size[0] * kernel_size[1])) + tuple(image_size), dtype=blocks.dtype)
        self.loops.col2im(cols, images, *kernel_size, *stride, *padding, *dilation, out_h, out_w)
        return images

    def _correlate(self, x, weight, bias, groups, geometry):
        """conv2d_forward for checked arguments, its output size in ``geometry``."""
        x, weight = self._contiguous(x), self._contiguous(weight)
        y = self.xp.empty((x.shape[0], weight.shape[0]) + geometry[-2:], dtype=x.dtype)
        self.loops.conv_forward(x, self._grouped(weight, groups), None if bias is None else self._contiguous(bias),
                                y, *geometry)
        return y

    @staticmethod
    def _grouped(weight, groups):
        """weight (O, C // groups, KH, KW) as (groups, O // groups, C // groups * KH * KW)."""
        return weight.reshape(groups, weight.shape[0] // groups, -1)

    @staticmethod
    def _conv_bias_gradient(gy):
        return gy.sum(axis=(0, 2, 3), dtype=FLOAT64).astype(gy.dtype)

    @staticmethod
    def _conv_geometry(weight, stride, padding, dilation, out_h, out_w):
        """The loops' geometry arguments after their arrays."""
        return (weight.shape[2], weight.shape[3], stride[0], stride[1], padding[0][0], padding[1][0], dilation[0],
                dilation[1], out_h, out_w)
