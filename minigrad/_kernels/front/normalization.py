"""BatchNorm (and the local parts of SyncBatchNorm) and LayerNorm."""
import numpy as np

from .._checks import (check_batch_norm_train, check_channel_vector, check_channels, check_float_array, check_like,
                       check_stat_vector)

FLOAT64 = np.dtype(np.float64)


class NormalizationKernels:
    """Methods of ``Kernels`` (a mixin: the helpers it calls are ``KernelsBase``'s)."""

    # ---- BatchNorm -------------------------------------------------------------------------------
    # Every BatchNorm kernel is two passes over x viewed as (N, C, S), S the product of the spatial
    # dims: ``channel_sums`` (s1 = sum a, s2 = sum a * (x - m), double accumulators) and
    # ``channel_affine`` (out = k1 * g + k2 * x + k3 per channel, in double), with per-channel
    # coefficient loops between them. The training forward and the backward are one loop each
    # (``batch_norm_train_pass``, ``batch_norm_backward_pass``), which the CPU runs channel by channel.
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
        check_batch_norm_train(x, (N, C, S), running_mean, running_var)
        weight, bias = self._vectors(x, C, weight=weight, bias=bias)
        check_channel_vector(running_mean, "running_mean", x, C)
        check_channel_vector(running_var, "running_var", x, C)
        xp = self.xp
        shift = x3[0, :, 0].astype(FLOAT64)  # data shifted by a sample of each channel: no cancellation
        s1, s2 = xp.zeros(C), xp.zeros(C)
        mean, invstd, k2, k3 = xp.empty(C), xp.empty(C), xp.empty(C), xp.empty(C)
        rm, rv = stand_ins = self._stand_ins(running_mean, running_var)
        y = xp.empty(x.shape, x.dtype)  # not a reshaped view: a leaf adopts a fresh array as its grad
        self.loops.batch_norm_train_pass(x3, shift, N * S, float(eps), float(momentum), weight, bias, rm, rv,
                                         s1, s2, mean, invstd, k2, k3, y.reshape(x3.shape))
        self._write_back((running_mean, running_var), stand_ins)
        return y, mean, invstd

    def batch_norm_forward_eval(self, x, running_mean, running_var, weight, bias, eps):
        """Normalise with the running statistics in one pass. x: (N, C, ...); running_mean,
        running_var: (C,) in x's dtype (required); weight, bias: (C,) or None. Returns y like x."""
        x3, (N, C, S) = self._channels(x, "x")
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
        k1, k2, k3 = xp.empty(C), xp.empty(C), xp.empty(C)
        gweight, gbias = xp.empty(C, dtype=x.dtype), xp.empty(C, dtype=x.dtype)
        gx = xp.empty(x.shape, x.dtype)
        self.loops.batch_norm_backward_pass(gy3, x3, mean, invstd, weight, N * S, bool(training), s1, s2, k1, k2,
                                            k3, gweight, gbias, gx.reshape(x3.shape))
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
        for name, v in (("weight", weight), ("bias", bias)):
            if v is not None:
                check_like(v, name, x, "x", shape=(x.shape[1],))
        x = self._contiguous(x)
        weight = xp.ones(x.shape[1], x.dtype) if weight is None else self._contiguous(weight)
        bias = xp.zeros(x.shape[1], x.dtype) if bias is None else self._contiguous(bias)
        y, mean, invstd = xp.empty_like(x), xp.empty(x.shape[0]), xp.empty(x.shape[0])
        self.loops.layer_norm_forward(x, weight, bias, float(eps), y, mean, invstd)
        return y, mean, invstd

    def layer_norm_backward(self, gy, x, mean, invstd, weight, needs_weight, needs_bias, gx_shape=None,
                            affine_shape=None):
        """(gx, gweight, gbias) of LayerNorm over rows of x (M, D), the last two in x's dtype or None
        when not needed. mean, invstd: float64 (M,) from the forward; weight: (D,) or None.
        gx_shape: gx's shape (M * D elements; default (M, D)); affine_shape: gweight's and gbias's (D
        elements; default (D,)). So an N-d input's gradients are arrays of their own, not views that
        the autograd walk would copy to adopt as a leaf's grad."""
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
        gx = xp.empty(x.shape if gx_shape is None else gx_shape, x.dtype)
        if gx.size != x.size:
            raise ValueError(f"layer_norm_backward: gx_shape {gx_shape} does not hold the {x.size} elements of x")
        affine_shape = D if affine_shape is None else affine_shape
        gweight, gbias = xp.empty(affine_shape, dtype=x.dtype), xp.empty(affine_shape, dtype=x.dtype)
        if gweight.size != D:
            raise ValueError(f"layer_norm_backward: affine_shape {affine_shape} does not hold the {D} elements "
                             "of a row of x")
        self.loops.layer_norm_backward(gy, x, mean, invstd, weight, gx.reshape(x.shape), gweight.reshape(D),
                                       gbias.reshape(D))
        return gx, (gweight if needs_weight else None), (gbias if needs_bias else None)
