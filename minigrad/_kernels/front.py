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
import math
import numpy as np

from ._checks import (check_batch_norm_train, check_channel_vector, check_channels, check_eps, check_float_array,
                      check_gelu_approximate, check_input_shape, check_like, check_linear, check_linear_backward,
                      check_mask, check_optimizer_arrays, check_pool_gradient, check_probability, check_sgd,
                      check_stat_vector, check_step, conv2d_output_size, dropout_scale, pool2d_output_size)

FLOAT64 = np.dtype(np.float64)


class Kernels:
    """The kernel functions for one device. Example: ``Kernels(cpu_loops, numpy).relu_forward(x)``."""

    def __init__(self, loops, xp):
        self._loops, self.xp = loops, xp

    @property
    def loops(self):
        """The device's loop module. Every loop is reached through here, so each one first gives the
        calling thread the process-wide thread count (OpenMP keeps one per thread; see runtime)."""
        self._loops.sync_threads()
        return self._loops

    def __repr__(self):
        return f"<minigrad kernels on {self.xp.__name__}>"

    def _contiguous(self, array):
        return array if array.flags.c_contiguous else self.xp.ascontiguousarray(array)

    def _stand_ins(self, *arrays):
        """Contiguous stand-ins for arrays that a loop updates in place (None passes through): the
        arrays themselves, or contiguous copies that ``_write_back`` copies into them after the loop
        (plain calls, not a context manager: an optimizer step runs this once per parameter)."""
        for a in arrays:
            if a is not None and not a.flags.c_contiguous:
                return [b if b is None or b.flags.c_contiguous else self.xp.ascontiguousarray(b) for b in arrays]
        return arrays

    @staticmethod
    def _write_back(arrays, stand_ins):
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
        rm, rv = stand_ins = self._stand_ins(running_mean, running_var)
        self.loops.train_coefficients(s1, s2, shift, N * S, float(eps), float(momentum), weight, bias, rm, rv,
                                      mean, invstd, k2, k3)
        self._write_back((running_mean, running_var), stand_ins)
        y = xp.empty(x.shape, x.dtype)  # not a reshaped view: a leaf adopts a fresh array as its grad
        if x3.size:
            self.loops.channel_affine(None, x3, y.reshape(x3.shape), None, k2, k3)
        return y, mean, invstd

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
        y = xp.empty(x.shape, x.dtype)
        if x3.size:
            self.loops.channel_affine(None, x3, y.reshape(x3.shape), None, k2, k3)
        return y

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
        gx = xp.empty(x.shape, x.dtype)
        if x3.size:
            self.loops.channel_affine(gy3, x3, gx.reshape(x3.shape), k1, k2, k3)
        return gx, gweight, gbias

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
        out = self.xp.empty(x.shape, x.dtype)
        if x3.size:
            self.loops.channel_affine(gy, x3, out.reshape(x3.shape), k1, self._contiguous(k2), k3 - k2 * mean)
        return out

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
        gy = self._contiguous(gy)  # e.g. a broadcast gradient (zero strides), which matmul takes slowly
        gx = xp.matmul(gy, weight) if needs_x else None
        gweight = xp.matmul(gy.T, x) if needs_weight else None
        gbias = None
        if needs_bias:
            sums = xp.zeros(gy.shape[1])
            self.loops.column_sum(gy, sums)
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
        p, buf = stand_ins = self._stand_ins(param, momentum_buffer)
        # the loop's typed parameters convert lr and the flags (and refuse what is not a number)
        self.loops.sgd_step(p, grad, p if buf is None else buf, lr, momentum, dampening, weight_decay, nesterov,
                            maximize, first_step)
        self._write_back((param, momentum_buffer), stand_ins)

    # ---- LayerNorm -------------------------------------------------------------------------------
    # Statistics per row of x viewed as (M, D); the loops have no branches for absent affine
    # parameters: ones and zeros stand in.
    def layer_norm_forward(self, x, weight, bias, eps):
        """Normalise each row of x (M, D); weight, bias: (D,) or None. Returns (y, mean, invstd),
        y like x, mean and invstd float64 (M,) for the backward.

        >>> y, mean, invstd = cpu.layer_norm_forward(np.ones((4, 3)), None, None, 1e-5)
        """
        xp = self.xp
        check_float_array(x, "x", ndim=2)
        check_eps(eps)
        for name, v in (("weight", weight), ("bias", bias)):
            if v is not None:
                check_like(v, name, x, "x", shape=(x.shape[1],))
        x = self._contiguous(x)
        weight = xp.ones(x.shape[1], x.dtype) if weight is None else self._contiguous(weight)
        bias = xp.zeros(x.shape[1], x.dtype) if bias is None else self._contiguous(bias)
        y, mean, invstd = xp.empty_like(x), xp.empty(x.shape[0]), xp.empty(x.shape[0])
        self.loops.layer_norm_forward(x, weight, bias, float(eps), y, mean, invstd)
        return y, mean, invstd

    def layer_norm_backward(self, gy, x, mean, invstd, weight, needs_weight, needs_bias):
        """(gx, gweight, gbias) of LayerNorm over rows of x (M, D), the last two (D,) in x's dtype
        or None when not needed. mean, invstd: float64 (M,) from the forward; weight: (D,) or None."""
        xp = self.xp
        check_float_array(x, "x", ndim=2)
        check_like(gy, "gy", x, "x")
        M, D = x.shape
        check_stat_vector(mean, "mean", M)
        check_stat_vector(invstd, "invstd", M)
        if weight is not None:
            check_like(weight, "weight", x, "x", shape=(D,))
        weight = xp.ones(D, x.dtype) if weight is None else self._contiguous(weight)
        gy, x, mean, invstd = self._contiguous(gy), self._contiguous(x), self._contiguous(mean), self._contiguous(invstd)
        gx, gweight, gbias = xp.empty_like(x), xp.empty(D, dtype=x.dtype), xp.empty(D, dtype=x.dtype)
        self.loops.layer_norm_backward(gy, x, mean, invstd, weight, gx, gweight, gbias)
        return gx, (gweight if needs_weight else None), (gbias if needs_bias else None)

    # ---- GELU ------------------------------------------------------------------------------------
    def gelu_forward(self, x, approximate):
        """GELU of x (any shape); approximate "none" (x * Phi(x)) or "tanh". Returns y like x."""
        check_float_array(x, "x")
        tanh_approximation = check_gelu_approximate(approximate)
        x = self._contiguous(x)
        y = self.xp.empty_like(x)
        self.loops.gelu_forward(x.reshape(-1), y.reshape(-1), tanh_approximation)
        return y

    def erf(self, x):
        """erf(x) elementwise (libm's on the CPU, CUDA's on the GPU, in double). x: any shape,
        float32/float64. Returns y like x. Example: ``cpu.erf(np.array([0.5]))`` -> [0.52049988]"""
        check_float_array(x, "x")
        x = self._contiguous(x)
        y = self.xp.empty_like(x)
        self.loops.erf_forward(x.reshape(-1), y.reshape(-1))
        return y

    def gelu_backward(self, gy, x, approximate):
        """gy * GELU'(x) for gy, x of one shape and dtype."""
        check_float_array(x, "x")
        check_like(gy, "gy", x, "x")
        tanh_approximation = check_gelu_approximate(approximate)
        gy, x = self._contiguous(gy), self._contiguous(x)
        gx = self.xp.empty_like(x)
        self.loops.gelu_backward(gy.reshape(-1), x.reshape(-1), gx.reshape(-1), tanh_approximation)
        return gx

    # ---- Adam, RMSprop, Adagrad, Adadelta --------------------------------------------------------
    # Each step checks its arrays (any shape and strides, one dtype and device), computes the step's
    # coefficients in double with PyTorch's formulas and runs one loop over the parameter and its
    # state. A state array a configuration does not use is None; the loop gets the parameter as a
    # stand-in that it never reads or writes.
    def adam_step(self, param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, lr, beta1, beta2, eps, weight_decay,
                  step, amsgrad, maximize, decoupled_weight_decay):
        """Adam step number ``step`` (from 1; AdamW when ``decoupled_weight_decay``), in place on
        param, exp_avg, exp_avg_sq and, with amsgrad, max_exp_avg_sq (None otherwise)::

            g = -grad if maximize else grad;  param *= 1 - lr * wd (AdamW) or g += wd * param (Adam)
            exp_avg = lerp(exp_avg, g, 1 - beta1);  exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * g^2
            v = max(max_exp_avg_sq, exp_avg_sq) with amsgrad, else exp_avg_sq
            param -= lr / (1 - beta1^step) * exp_avg / (sqrt(v) / sqrt(1 - beta2^step) + eps)
        """
        check_optimizer_arrays(param, grad, {"exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq,
                                             "max_exp_avg_sq": max_exp_avg_sq},
                               required=("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if amsgrad else ()))
        check_step(step)
        step_size = lr / (1 - beta1 ** step)
        bias_correction2_sqrt = math.sqrt(1 - beta2 ** step)
        grad = self._contiguous(grad)
        in_place = (param, exp_avg, exp_avg_sq, max_exp_avg_sq if amsgrad else None)
        p, m, v, v_max = stand_ins = self._stand_ins(*in_place)
        self.loops.adam_step(p, grad, m, v, p if v_max is None else v_max, float(lr), float(beta1), float(beta2),
                             float(eps), float(weight_decay), step_size, bias_correction2_sqrt, bool(amsgrad),
                             bool(maximize), bool(decoupled_weight_decay))
        self._write_back(in_place, stand_ins)

    def rmsprop_step(self, param, grad, square_avg, grad_avg, momentum_buffer, lr, alpha, eps, weight_decay, momentum,
                     centered, maximize):
        """RMSprop step in place on param, square_avg, grad_avg (when ``centered``, else None) and
        momentum_buffer (when momentum > 0, else None)::

            g = -grad if maximize else grad;  g += weight_decay * param
            square_avg = alpha * square_avg + (1 - alpha) * g^2
            avg = sqrt(square_avg - grad_avg^2) + eps with grad_avg = lerp(grad_avg, g, 1 - alpha) if
                centered, else sqrt(square_avg) + eps
            buf = momentum * buf + g / avg; param -= lr * buf   (momentum > 0)
            param -= lr * g / avg                               (otherwise)
        """
        check_optimizer_arrays(param, grad, {"square_avg": square_avg, "grad_avg": grad_avg,
                                             "momentum_buffer": momentum_buffer},
                               required=("square_avg",) + (("grad_avg",) if centered else ())
                               + (("momentum_buffer",) if momentum > 0 else ()))
        grad = self._contiguous(grad)
        in_place = (param, square_avg, grad_avg if centered else None, momentum_buffer if momentum > 0 else None)
        p, sq, g_avg, buf = stand_ins = self._stand_ins(*in_place)
        self.loops.rmsprop_step(p, grad, sq, p if g_avg is None else g_avg, p if buf is None else buf, float(lr),
                                float(alpha), float(eps), float(weight_decay), float(momentum), bool(centered),
                                bool(maximize))
        self._write_back(in_place, stand_ins)

    def adagrad_step(self, param, grad, state_sum, lr, lr_decay, weight_decay, eps, step, maximize):
        """Adagrad step number ``step`` (from 1) in place on param and state_sum::

            g = -grad if maximize else grad;  g += weight_decay * param;  state_sum += g^2
            param -= lr / (1 + (step - 1) * lr_decay) * g / (sqrt(state_sum) + eps)
        """
        check_optimizer_arrays(param, grad, {"state_sum": state_sum}, required=("state_sum",))
        check_step(step)
        clr = lr / (1 + (step - 1) * lr_decay)
        grad = self._contiguous(grad)
        p, total = stand_ins = self._stand_ins(param, state_sum)
        self.loops.adagrad_step(p, grad, total, clr, float(eps), float(weight_decay), bool(maximize))
        self._write_back((param, state_sum), stand_ins)

    def adadelta_step(self, param, grad, square_avg, acc_delta, lr, rho, eps, weight_decay, maximize):
        """Adadelta step in place on param, square_avg and acc_delta::

            g = -grad if maximize else grad;  g += weight_decay * param
            square_avg = rho * square_avg + (1 - rho) * g^2
            delta = sqrt(acc_delta + eps) / sqrt(square_avg + eps) * g
            acc_delta = rho * acc_delta + (1 - rho) * delta^2;  param -= lr * delta
        """
        check_optimizer_arrays(param, grad, {"square_avg": square_avg, "acc_delta": acc_delta},
                               required=("square_avg", "acc_delta"))
        grad = self._contiguous(grad)
        p, sq, acc = stand_ins = self._stand_ins(param, square_avg, acc_delta)
        self.loops.adadelta_step(p, grad, sq, acc, float(lr), float(rho), float(eps), float(weight_decay),
                                 bool(maximize))
        self._write_back((param, square_avg, acc_delta), stand_ins)
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
        return y, (cols if keep_columns and chunk >= N > 0 else None)

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

    def _conv_backward_chunks(self, gy, x, weight3, groups, geometry, gx, gweight, columns):
        """Fill gx (None: skip) and accumulate gweight (None: skip), one chunk of the batch at a
        time; columns (the whole batch's, or None) stand in for im2col."""
        xp = self.xp
        N, O, L = gy.shape[0], gy.shape[1], geometry[-2] * geometry[-1]
        workspace, chunk = (None, N) if columns is not None else self._conv_workspace(x, geometry)
        for start in range(0, N, chunk):
            stop = min(N, start + chunk)
            # (groups, O // groups, n * L): the chunk's output gradient laid out like its column matrix
            gy_cols = xp.ascontiguousarray(gy[start:stop].reshape(stop - start, O, L).transpose(1, 0, 2))
            gy_cols = gy_cols.reshape(groups, O // groups, -1)
            if gweight is not None:
                cols = columns if columns is not None else self._im2col(x[start:stop], workspace, geometry, groups)
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
