"""The public kernel functions, written once for both devices.

``Kernels(loops, xp)`` binds this front to one device: ``loops`` is the module of typed loops
(``cpu_loops``: the Cython kernels; ``cuda_loops``: the CuPy kernels, same names and arguments) and
``xp`` is numpy or cupy. A method checks its arguments (wrong input raises here, never reaching a
loop), makes strided inputs contiguous, allocates the outputs and calls the loop. Arrays updated in
place (parameters, running statistics, optimizer state) may have any strides: a loop runs on a
contiguous copy of such an array and the result is written back.

    >>> from minigrad._kernels import cpu
    >>> cpu.relu_forward(np.array([-1.0, 2.0]))
    array([0., 2.])
"""
from contextlib import contextmanager

import numpy as np

from ._checks import (check_batch_norm_train, check_channel_vector, check_channels, check_eps, check_float_array,
                      check_like, check_linear, check_linear_backward, check_mask, check_probability, check_sgd,
                      check_stat_vector, dropout_scale)

FLOAT64 = np.dtype(np.float64)


class Kernels:
    """The kernel functions for one device. Example: ``Kernels(cpu_loops, numpy).relu_forward(x)``."""

    def __init__(self, loops, xp):
        self.loops, self.xp = loops, xp

    def __repr__(self):
        return f"<minigrad kernels on {self.xp.__name__}>"

    def _contiguous(self, array):
        return array if array.flags.c_contiguous else self.xp.ascontiguousarray(array)

    @contextmanager
    def _updated_in_place(self, *arrays):
        """Contiguous stand-ins for arrays a loop updates in place (None passes through); results
        written to a stand-in that is a copy are written back to the caller's array."""
        stand_ins = [a if a is None or a.flags.c_contiguous else self.xp.ascontiguousarray(a) for a in arrays]
        yield stand_ins
        for original, stand_in in zip(arrays, stand_ins):
            if stand_in is not original:
                original[...] = stand_in

    # ---- ReLU ------------------------------------------------------------------------------------
    def relu_forward(self, x):
        """y = max(x, 0), NaN propagating. x: any shape, float32/float64. Returns y like x."""
        check_float_array(x, "x")
        x = self._contiguous(x)
        y = self.xp.empty_like(x)
        self.loops.relu_forward(x, y)
        return y

    def relu_backward(self, gy, y):
        """gx = gy where the forward output y is not <= 0, else 0 (NaN outputs pass gy, as torch)."""
        check_float_array(y, "y")
        check_like(gy, "gy", y, "y")
        gy, y = self._contiguous(gy), self._contiguous(y)
        gx = self.xp.empty_like(y)
        self.loops.relu_backward(gy, y, gx)
        return gx

    # ---- Dropout ---------------------------------------------------------------------------------
    def dropout_forward(self, x, p, seed, offset):
        """(y, mask): y = x * mask / (1 - p), mask uint8 (1 = kept), from the Philox stream
        (seed, offset). p = 1 gives x * 0: zeros, never 0/0 NaN; a NaN in x stays NaN (as torch)."""
        check_float_array(x, "x")
        check_probability(p)
        xp = self.xp
        if p >= 1.0:  # everything dropped; also keeps the threshold below 2**32 for the loop
            with np.errstate(invalid="ignore"):  # Inf * 0 is NaN on purpose (as torch)
                return x * x.dtype.type(0), xp.zeros(x.shape, dtype=xp.uint8)
        x = self._contiguous(x)
        y, mask = xp.empty_like(x), xp.empty(x.shape, dtype=xp.uint8)
        self.loops.dropout_forward(x, y, mask, int(p * 4294967296.0), dropout_scale(p), int(seed), int(offset))
        return y, mask

    def dropout_backward(self, gy, mask, p):
        """gx = gy * mask / (1 - p). gy: float32/float64; mask: uint8 of gy's shape."""
        check_float_array(gy, "gy")
        check_probability(p)
        check_mask(mask, gy.shape)
        gy, mask = self._contiguous(gy), self._contiguous(mask)
        gx = self.xp.empty_like(gy)
        self.loops.dropout_backward(gy, mask, gx, dropout_scale(p))
        return gx

    def philox4x32(self, block, offset, seed):
        """The four Philox-4x32-10 words of one counter block (for tests and device parity)."""
        return self.loops.philox4x32(int(block), int(offset), int(seed))

    # ---- BatchNorm -------------------------------------------------------------------------------
    # Every BatchNorm kernel is two passes over x viewed as (N, C, S), S the product of the spatial
    # dims: ``channel_sums`` (s1 = sum a, s2 = sum a * (x - m), double accumulators) and
    # ``channel_affine`` (out = k1 * g + k2 * x + k3 per channel, in double), with per-channel
    # coefficient loops between them.
    def _channels(self, x, name):
        dims = check_channels(x, name)
        return self._contiguous(x).reshape(dims), dims

    def _vectors(self, x, channels, **vectors):
        return [None if v is None else self._contiguous(check_channel_vector(v, name, x, channels))
                for name, v in vectors.items()]

    def batch_norm_forward_train(self, x, weight, bias, running_mean, running_var, momentum, eps):
        """Normalise with the batch statistics and update the running statistics in place.

        x: (N, C) or (N, C, *spatial), float32/float64. weight, bias: (C,) or None (1 and 0).
        running_mean, running_var: (C,) in x's dtype, updated as ``(1 - momentum) * running +
        momentum * batch_stat`` (variance unbiased), or None. A NaN or Inf in a channel makes that
        channel's outputs and statistics NaN. Returns (y like x, mean, invstd): the batch mean and
        1/sqrt(var + eps), float64 (C,), for backward.
        """
        x3, (N, C, S) = self._channels(x, "x")
        check_batch_norm_train(x, (N, C, S), eps, running_mean, running_var)
        weight, bias = self._vectors(x, C, weight=weight, bias=bias)
        check_channel_vector(running_mean, "running_mean", x, C)
        check_channel_vector(running_var, "running_var", x, C)
        xp = self.xp
        shift = x3[0, :, 0].astype(FLOAT64)  # data shifted by a sample of each channel: no cancellation
        s1, s2 = xp.zeros(C), xp.zeros(C)
        if x3.size:
            self.loops.channel_sums(x3, x3, shift, s1, s2)
        mean, invstd, k2, k3 = xp.empty(C), xp.empty(C), xp.empty(C), xp.empty(C)
        with self._updated_in_place(running_mean, running_var) as (rm, rv):
            self.loops.train_coefficients(s1, s2, shift, N * S, float(eps), float(momentum), weight, bias, rm, rv,
                                          mean, invstd, k2, k3)
        y = xp.empty_like(x3)
        if x3.size:
            self.loops.channel_affine(None, x3, y, None, k2, k3)
        return y.reshape(x.shape), mean, invstd

    def batch_norm_forward_eval(self, x, running_mean, running_var, weight, bias, eps):
        """Normalise with the running statistics in one pass. x: (N, C, ...); running_mean,
        running_var: (C,) in x's dtype (required); weight, bias: (C,) or None. Returns y like x."""
        x3, (N, C, S) = self._channels(x, "x")
        check_eps(eps)
        if running_mean is None or running_var is None:
            raise ValueError("running_mean and running_var are required in eval mode")
        running_mean, running_var, weight, bias = self._vectors(
            x, C, running_mean=running_mean, running_var=running_var, weight=weight, bias=bias)
        xp = self.xp
        k2, k3 = xp.empty(C), xp.empty(C)
        self.loops.eval_coefficients(running_mean, running_var, weight, bias, float(eps), k2, k3)
        y = xp.empty_like(x3)
        if x3.size:
            self.loops.channel_affine(None, x3, y, None, k2, k3)
        return y.reshape(x.shape)

    def batch_norm_backward(self, gy, x, mean, invstd, weight, training):
        """(gx, gweight, gbias) of BatchNorm. gy, x: (N, C, ...) of one dtype; mean, invstd: float64
        (C,) from the forward (eval: the running mean and 1/sqrt(running_var + eps)); weight: (C,) or
        None. ``training`` says whether mean and invstd came from this batch (then their gradient
        flows too). gweight = sum gy * x_hat, gbias = sum gy per channel, in x's dtype."""
        x3, (N, C, S) = self._channels(x, "x")
        check_like(gy, "gy", x, "x")
        gy3 = self._contiguous(gy).reshape(x3.shape)
        check_stat_vector(mean, "mean", C)
        check_stat_vector(invstd, "invstd", C)
        mean, invstd = self._contiguous(mean), self._contiguous(invstd)
        (weight,) = self._vectors(x, C, weight=weight)
        xp = self.xp
        s1, s2 = xp.zeros(C), xp.zeros(C)
        if x3.size:
            self.loops.channel_sums(gy3, x3, mean, s1, s2)
        k1, k2, k3 = xp.empty(C), xp.empty(C), xp.empty(C)
        gweight, gbias = xp.empty(C, dtype=x.dtype), xp.empty(C, dtype=x.dtype)
        self.loops.backward_coefficients(s1, s2, mean, invstd, weight, N * S, bool(training), k1, k2, k3,
                                         gweight, gbias)
        gx = xp.empty_like(x3)
        if x3.size:
            self.loops.channel_affine(gy3, x3, gx, k1, k2, k3)
        return gx.reshape(x.shape), gweight, gbias

    # ---- the local parts of a BatchNorm over several processes (SyncBatchNorm) -----------------
    # The same two passes; the statistics and sums of all processes are combined between them.
    def batch_norm_stats(self, x):
        """This process's per-channel (mean, M2) as float64 (C,): M2 is the sum of squared
        deviations from the mean, from data shifted by a sample of each channel (no cancellation).
        x: (N, C, ...) with at least one value per channel; the count is x.size // C.

        >>> cpu.batch_norm_stats(np.array([[1.0], [3.0]]))   # (array([2.]), array([2.]))
        """
        x3, (N, C, S) = self._channels(x, "x")
        if N * S == 0:
            raise ValueError(f"batch_norm_stats needs at least one value per channel, got x of shape {x.shape}")
        xp = self.xp
        shift = x3[0, :, 0].astype(FLOAT64)
        s1, s2 = xp.zeros(C), xp.zeros(C)
        self.loops.channel_sums(x3, x3, shift, s1, s2)
        count = N * S
        d = s1 / count - shift  # the mean of the shifted data
        m2 = s2 - shift * (s1 - count * shift) - count * d * d
        return shift + d, m2 * (m2 > 0)  # rounding can leave a tiny negative M2; NaN stays NaN

    def batch_norm_backward_reduce(self, gy, x, mean):
        """This process's (sum gy, sum gy * (x - mean)) per channel, float64 (C,) each.
        gy, x: (N, C, ...) of one dtype (N may be 0); mean: float64 (C,)."""
        x3, (N, C, S) = self._channels(x, "x")
        check_like(gy, "gy", x, "x")
        check_stat_vector(mean, "mean", C)
        xp = self.xp
        s1, s2 = xp.zeros(C), xp.zeros(C)
        if x3.size:
            self.loops.channel_sums(self._contiguous(gy).reshape(x3.shape), x3, self._contiguous(mean), s1, s2)
        return s1, s2

    def batch_norm_elemt(self, x, mean, k2, k3, gy=None, k1=None):
        """out = k1 * gy + k2 * (x - mean) + k3 per channel, without the gy term when gy is None,
        computed in double, in x's dtype. x, gy: (N, C, ...); mean, k1, k2, k3: float64 (C,).
        Normalising is k2 = weight * invstd, k3 = bias; an input gradient passes gy and k1."""
        x3, (N, C, S) = self._channels(x, "x")
        if (gy is None) != (k1 is None):
            raise ValueError("batch_norm_elemt takes gy and k1 together (both or neither)")
        if gy is not None:
            check_like(gy, "gy", x, "x")
            check_stat_vector(k1, "k1", C)
            gy, k1 = self._contiguous(gy).reshape(x3.shape), self._contiguous(k1)
        for v, name in ((mean, "mean"), (k2, "k2"), (k3, "k3")):
            check_stat_vector(v, name, C)
        out = self.xp.empty_like(x3)
        if x3.size:
            self.loops.channel_affine(gy, x3, out, k1, self._contiguous(k2), k3 - k2 * mean)
        return out.reshape(x.shape)

    # ---- Linear ----------------------------------------------------------------------------------
    # The products go to BLAS (cuBLAS) through matmul, which takes any strides; the loops are the
    # epilogue: the bias added into the product, and the bias gradient summed in double.
    def linear_forward(self, x, weight, bias):
        """y = x @ weight.T + bias. x: (N, in); weight: (out, in); bias: (out,) or None -> (N, out)."""
        check_linear(x, weight, bias)
        y = self.xp.matmul(x, weight.T)
        if bias is not None:
            self.loops.add_bias(y, self._contiguous(bias))
        return y

    def linear_backward(self, gy, x, weight, needs_x, needs_weight, needs_bias):
        """(gx, gweight, gbias) for y = x @ weight.T + bias, each None when not needed.
        gy: (N, out); x: (N, in); weight: (out, in), one dtype."""
        check_linear_backward(gy, x, weight)
        xp = self.xp
        gx = xp.matmul(gy, weight) if needs_x else None
        gweight = xp.matmul(gy.T, x) if needs_weight else None
        gbias = None
        if needs_bias:
            sums = xp.zeros(gy.shape[1])
            self.loops.column_sum(self._contiguous(gy), sums)
            gbias = sums.astype(gy.dtype)
        return gx, gweight, gbias

    # ---- SGD -------------------------------------------------------------------------------------
    def sgd_step(self, param, grad, momentum_buffer, lr, momentum, dampening, weight_decay, nesterov, maximize,
                 first_step):
        """Update ``param`` (and ``momentum_buffer``) in place with PyTorch's SGD rule::

            d = -grad if maximize else grad;  d += weight_decay * param
            buf = d on the first step, else momentum * buf + (1 - dampening) * d
            d = d + momentum * buf if nesterov else buf;  param -= lr * d

        param, grad, momentum_buffer: one shape and dtype, any strides; momentum_buffer may be None
        when momentum == 0.
        """
        check_sgd(param, grad, momentum_buffer, momentum)
        grad = self._contiguous(grad)
        with self._updated_in_place(param, momentum_buffer) as (p, buf):
            self.loops.sgd_step(p, grad, p if buf is None else buf, float(lr), float(momentum), float(dampening),
                                float(weight_decay), bool(nesterov), bool(maximize), bool(first_step))
