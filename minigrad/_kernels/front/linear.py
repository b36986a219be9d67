"""Linear and 2-d convolution: products through matmul (BLAS, cuBLAS) and the loops around them."""
import numpy as np

from .._checks import (block_counts, check_float_array, check_like, check_linear, check_linear_backward,
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
        gbias = None
        if needs_bias:
            sums = self.xp.zeros(gy.shape[1])
            self.loops.column_sum(gy, sums)
            gbias = sums.astype(gy.dtype)
        return gx, gweight, gbias

    # ---- Convolution -----------------------------------------------------------------------------
    # im2col over chunks of the batch: the column matrix of a chunk stays within WORKSPACE_BYTES (a
    # chunk holds at least one sample), and each chunk is one GEMM per group through xp.matmul.
    WORKSPACE_BYTES = 32 << 20

    def conv2d_forward(self, x, weight, bias, stride, padding, dilation, groups, keep_columns=False):
        """(y, columns): y (N, O, OH, OW) = the cross-correlation of x (N, C, H, W) with weight (O,
        C // groups, KH, KW), plus bias (O,) or None. stride, dilation: (h, w); padding: ((top,
        bottom), (left, right)). columns: with keep_columns and a batch that fits one chunk, the
        column matrix (groups, C // groups * KH * KW, N * OH * OW) for conv2d_backward to reuse for
        the weight gradient; else None.
        Example: ``y, _ = cpu.conv2d_forward(x, w, None, (1, 1), ((1, 1), (1, 1)), (1, 1), 1)``
        """
        out_h, out_w = conv2d_output_size(x, weight, bias, stride, padding, dilation, groups)
        geometry = self._conv_geometry(weight, stride, padding, dilation, out_h, out_w)
        return self._correlate(x, weight, bias, groups, geometry, keep_columns)

    def conv2d_backward(self, gy, x, weight, stride, padding, dilation, groups, needs_x, needs_weight, needs_bias,
                        columns=None):
        """(gx, gweight, gbias) of conv2d_forward for the output gradient gy (N, O, OH, OW); each
        None unless asked for. columns: what conv2d_forward kept (None: rebuilt from x)."""
        out_h, out_w = conv2d_output_size(x, weight, None, stride, padding, dilation, groups)
        N, O, L = x.shape[0], weight.shape[0], out_h * out_w
        check_pool_gradient(gy, (N, O, out_h, out_w), x.dtype)
        if columns is not None:
            check_like(columns, "columns", x, "x", shape=(groups, x.shape[1] // groups * weight[0, 0].size, N * L))
        xp = self.xp
        x, weight, gy = self._contiguous(x), self._contiguous(weight), self._contiguous(gy)
        geometry = self._conv_geometry(weight, stride, padding, dilation, out_h, out_w)
        weight3 = weight.reshape(groups, O // groups, -1)
        gx = xp.empty_like(x) if needs_x else None
        gweight = xp.zeros(weight3.shape, dtype=x.dtype) if needs_weight else None
        gbias = gy.sum(axis=(0, 2, 3), dtype=FLOAT64).astype(x.dtype) if needs_bias else None
        if needs_x or needs_weight:
            self._conv_backward_chunks(gy, x, weight3, groups, geometry, gx, gweight, columns)
        return gx, None if gweight is None else gweight.reshape(weight.shape), gbias

    # A transposed convolution is the input gradient of a convolution whose output is x (the column
    # product, then col2im); its input gradient is that convolution's forward and its weight
    # gradient that convolution's weight gradient, with the roles of x and gy swapped.
    def conv_transpose2d_forward(self, x, weight, bias, stride, padding, output_padding, dilation, groups):
        """y (N, O, OH, OW) = the transposed convolution of x (N, C, H, W) with weight (C, O // groups,
        KH, KW), plus bias (O,) or None; OH = (H - 1) * stride_h - top - bottom + dilation_h * (KH - 1)
        + output_padding_h + 1. Arguments as conv2d_forward's; output_padding: (h, w).
        Example: ``cpu.conv_transpose2d_forward(x, w, None, (2, 2), ((1, 1), (1, 1)), (0, 0), (1, 1), 1)``
        """
        out_h, out_w = conv_transpose2d_output_size(x, weight, bias, stride, padding, output_padding, dilation,
                                                    groups)
        xp = self.xp
        x, weight = self._contiguous(x), self._contiguous(weight)
        y = xp.empty((x.shape[0], weight.shape[1] * groups, out_h, out_w), dtype=x.dtype)
        geometry = self._conv_geometry(weight, stride, padding, dilation, *x.shape[2:])
        self._conv_backward_chunks(x, None, weight.reshape(groups, x.shape[1] // groups, -1), groups, geometry, y,
                                   None, None)
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
        gx = gweight = None
        if needs_weight:
            gweight = self.xp.zeros((groups, x.shape[1] // groups, weight[0].size), dtype=x.dtype)
        if needs_x:  # one im2col of gy per chunk serves both gradients
            gx = self._correlate(gy, weight, None, groups, geometry, weight_gradient=(x, gweight))[0]
        elif needs_weight:
            self._conv_backward_chunks(x, gy, None, groups, geometry, None, gweight, None)
        gweight = None if gweight is None else gweight.reshape(weight.shape)
        gbias = gy.sum(axis=(0, 2, 3), dtype=FLOAT64).astype(x.dtype) if needs_bias else None
        return gx, gweight, gbias

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

    def _correlate(self, x, weight, bias, groups, geometry, keep_columns=False, weight_gradient=(None, None)):
        """conv2d_forward for checked arguments, its output size in ``geometry``. weight_gradient:
        (gy, gweight) to also accumulate into gweight (not None) the weight gradient of this
        convolution for the output gradient gy, from the same column matrices."""
        xp = self.xp
        x, weight = self._contiguous(x), self._contiguous(weight)
        N, O, L = x.shape[0], weight.shape[0], geometry[-2] * geometry[-1]
        y = xp.empty((N, O) + geometry[-2:], dtype=x.dtype)
        y3 = y.reshape(N, O, L)
        weight3 = weight.reshape(groups, O // groups, -1)
        gy, gweight = weight_gradient
        workspace, chunk = self._conv_workspace(x, geometry)
        for start in range(0, N, chunk):
            stop = min(N, start + chunk)
            cols = self._im2col(x[start:stop], workspace, geometry, groups)
            if gweight is not None:
                gweight += self._product_with_transpose(self._output_columns(gy[start:stop], groups), cols)
            out = xp.matmul(weight3, cols).reshape(O, stop - start, L).transpose(1, 0, 2)
            if bias is None:
                y3[start:stop] = out
            else:
                xp.add(out, bias.reshape(O, 1), out=y3[start:stop])
        return y, (cols if keep_columns and chunk >= N > 0 else None)

    def _conv_backward_chunks(self, gy, x, weight3, groups, geometry, gx, gweight, columns):
        """Fill gx (None: skip) and accumulate gweight (None: skip), one chunk of the batch at a
        time; columns (the whole batch's, or None) stand in for im2col. x is only read for gweight."""
        xp = self.xp
        N = gy.shape[0]
        workspace, chunk = (None, N) if columns is not None else self._conv_workspace(
            gx if x is None else x, geometry)
        for start in range(0, N, chunk):
            stop = min(N, start + chunk)
            gy_cols = self._output_columns(gy[start:stop], groups)
            if gweight is not None:
                cols = columns if columns is not None else self._im2col(x[start:stop], workspace, geometry, groups)
                gweight += self._product_with_transpose(gy_cols, cols)
            if gx is not None:
                cols = xp.matmul(weight3.transpose(0, 2, 1), gy_cols)
                self.loops.col2im(cols.reshape(-1, cols.shape[2]), gx[start:stop], *geometry)

    def _output_columns(self, gy, groups):
        """(groups, O // groups, n * L): gy (n, O, OH, OW) laid out like a column matrix."""
        n, O = gy.shape[:2]
        return self.xp.ascontiguousarray(gy.reshape(n, O, -1).transpose(1, 0, 2)).reshape(groups, O // groups, -1)

    def _product_with_transpose(self, a, b):
        """a @ b.T per group, for a (groups, M, K) and b (groups, N, K) with K long (the batch's
        positions). OpenBLAS runs such a product several times faster with the larger of M and N as
        the rows of the result (measured 4-18x on the weight gradients of conv2d and
        conv_transpose2d), so the smaller side's product is taken transposed."""
        if a.shape[1] >= b.shape[1]:
            return self.xp.matmul(a, b.transpose(0, 2, 1))
        return self.xp.matmul(b, a.transpose(0, 2, 1)).transpose(0, 2, 1)

    @staticmethod
    def _conv_geometry(weight, stride, padding, dilation, out_h, out_w):
        """The loops' geometry arguments after (x, cols)."""
        return (weight.shape[2], weight.shape[3], stride[0], stride[1], padding[0][0], padding[1][0], dilation[0],
                dilation[1], out_h, out_w)

    def _conv_workspace(self, x, geometry):
        """(flat column buffer, samples per chunk) for x (N, C, H, W)."""
        kernel_h, kernel_w, out_h, out_w = geometry[0], geometry[1], geometry[-2], geometry[-1]
        per_sample = x.shape[1] * kernel_h * kernel_w * out_h * out_w
        chunk = max(1, min(x.shape[0], self.WORKSPACE_BYTES // (per_sample * x.dtype.itemsize)))
        return self.xp.empty(per_sample * chunk, dtype=x.dtype), chunk

    def _im2col(self, x, workspace, geometry, groups):
        """The column matrix of x (n, C, H, W) in workspace, as (groups, C // groups * KH * KW, n * L)."""
        n, C = x.shape[:2]
        rows = C * geometry[0] * geometry[1]
        cols = workspace[:rows * n * geometry[-2] * geometry[-1]].reshape(rows, -1)
        self.loops.im2col(x, cols, *geometry)
        return cols.reshape(groups, rows // groups, -1)
