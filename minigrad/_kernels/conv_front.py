"""TEMPORARY home of the convolution and pooling front methods until front.py lands from main."""
import numpy as np

from ._checks import check_input_shape, check_pool_gradient, conv2d_output_size, pool2d_output_size

FLOAT64 = np.dtype(np.float64)


class ConvPoolFront:
    def _contiguous(self, array):
        return array if array.flags.c_contiguous else self.xp.ascontiguousarray(array)

    # ---- Convolution -----------------------------------------------------------------------------
    # im2col over chunks of the batch: the column matrix of a chunk stays within WORKSPACE_BYTES (a
    # chunk holds at least one sample), and each chunk is one GEMM per group through xp.matmul.
    WORKSPACE_BYTES = 32 << 20

    def conv2d_forward(self, x, weight, bias, stride, padding, dilation, groups):
        """y (N, O, OH, OW) = the cross-correlation of x (N, C, H, W) with weight (O, C // groups,
        KH, KW), plus bias (O,) or None. stride, dilation: (h, w); padding: ((top, bottom),
        (left, right)). Example: ``cpu.conv2d_forward(x, w, None, (1, 1), ((1, 1), (1, 1)), (1, 1), 1)``
        """
        out_h, out_w = conv2d_output_size(x, weight, bias, stride, padding, dilation, groups)
        xp = self.xp
        x, weight = self._contiguous(x), self._contiguous(weight)
        N, O, L = x.shape[0], weight.shape[0], out_h * out_w
        geometry = self._conv_geometry(weight, stride, padding, dilation, out_h, out_w)
        y = xp.empty((N, O, out_h, out_w), dtype=x.dtype)
        y3 = y.reshape(N, O, L)
        weight3 = weight.reshape(groups, O // groups, -1)
        workspace, chunk = self._conv_workspace(x, geometry)
        for start in range(0, N, chunk):
            stop = min(N, start + chunk)
            cols = self._im2col(x[start:stop], workspace, geometry, groups)
            out = xp.matmul(weight3, cols).reshape(O, stop - start, L).transpose(1, 0, 2)
            if bias is None:
                y3[start:stop] = out
            else:
                xp.add(out, bias.reshape(O, 1), out=y3[start:stop])
        return y

    def conv2d_backward(self, gy, x, weight, stride, padding, dilation, groups, needs_x, needs_weight, needs_bias):
        """(gx, gweight, gbias) of conv2d_forward for the output gradient gy (N, O, OH, OW); each
        None unless asked for."""
        out_h, out_w = conv2d_output_size(x, weight, None, stride, padding, dilation, groups)
        N, O, L = x.shape[0], weight.shape[0], out_h * out_w
        check_pool_gradient(gy, (N, O, out_h, out_w), x.dtype)
        xp = self.xp
        x, weight, gy = self._contiguous(x), self._contiguous(weight), self._contiguous(gy)
        geometry = self._conv_geometry(weight, stride, padding, dilation, out_h, out_w)
        weight3 = weight.reshape(groups, O // groups, -1)
        gx = xp.empty_like(x) if needs_x else None
        gweight = xp.zeros(weight3.shape, dtype=x.dtype) if needs_weight else None
        gbias = gy.sum(axis=(0, 2, 3), dtype=FLOAT64).astype(x.dtype) if needs_bias else None
        if needs_x or needs_weight:
            self._conv_backward_chunks(gy, x, weight3, groups, geometry, gx, gweight)
        return gx, None if gweight is None else gweight.reshape(weight.shape), gbias

    def _conv_backward_chunks(self, gy, x, weight3, groups, geometry, gx, gweight):
        """Fill gx (None: skip) and accumulate gweight (None: skip), one chunk of the batch at a time."""
        xp = self.xp
        N, O, L = gy.shape[0], gy.shape[1], geometry[-2] * geometry[-1]
        workspace, chunk = self._conv_workspace(x, geometry)
        for start in range(0, N, chunk):
            stop = min(N, start + chunk)
            # (groups, O // groups, n * L): the chunk's output gradient laid out like its column matrix
            gy_cols = xp.ascontiguousarray(gy[start:stop].reshape(stop - start, O, L).transpose(1, 0, 2))
            gy_cols = gy_cols.reshape(groups, O // groups, -1)
            if gweight is not None:
                cols = self._im2col(x[start:stop], workspace, geometry, groups)
                gweight += xp.matmul(gy_cols, cols.transpose(0, 2, 1))
            if gx is not None:
                cols = xp.matmul(weight3.transpose(0, 2, 1), gy_cols)
                self.loops.col2im(cols.reshape(-1, cols.shape[2]), gx[start:stop], *geometry)

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

    # ---- Pooling ---------------------------------------------------------------------------------
    def max_pool2d_forward(self, x, kernel_size, stride, padding):
        """(y, indices) of max-pooling x (N, C, H, W): y (N, C, OH, OW); indices int64 like y, each
        window's argmax as a flat index h * W + w into its input plane. padding acts as -inf."""
        out_h, out_w = pool2d_output_size(x, kernel_size, stride, padding)
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
        out_h, out_w = pool2d_output_size(x, kernel_size, stride, padding)
        x = self._contiguous(x)
        y = self.xp.empty(x.shape[:2] + (out_h, out_w), dtype=x.dtype)
        self.loops.avg_pool2d_forward(x, y, *kernel_size, *stride, *padding, bool(count_include_pad))
        return y

    def avg_pool2d_backward(self, gy, input_shape, kernel_size, stride, padding, count_include_pad=True):
        """gx of input_shape: each gy entry spread evenly over its window."""
        check_input_shape(input_shape)
        probe = self.xp.empty((1, 1) + tuple(input_shape[2:]), dtype=gy.dtype)  # strides only, never read
        out_h, out_w = pool2d_output_size(probe, kernel_size, stride, padding)
        check_pool_gradient(gy, tuple(input_shape[:2]) + (out_h, out_w), gy.dtype)
        gx = self.xp.empty(input_shape, dtype=gy.dtype)
        self.loops.avg_pool2d_backward(self._contiguous(gy), gx, *kernel_size, *stride, *padding,
                                       bool(count_include_pad))
        return gx

    def adaptive_avg_pool2d_forward(self, x, output_size):
        """y (N, C, OH, OW): the mean over window [floor(i * H / OH), ceil((i + 1) * H / OH)) of x
        (N, C, H, W), the same along W. output_size: (OH, OW), each >= 1."""
        check_input_shape((1, 1) + tuple(output_size))
        pool2d_output_size(x, (1, 1), (1, 1), (0, 0))
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


class _Shim(ConvPoolFront):
    def __init__(self, loops, xp):
        self.loops, self.xp = loops, xp


def for_array(array):
    from types import SimpleNamespace

    from . import conv, pool
    loops = SimpleNamespace(**{name: getattr(m, name) for m in (conv, pool) for name in dir(m) if not name.startswith("_")})
    return _Shim(loops, np)
