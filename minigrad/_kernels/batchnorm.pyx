"""BatchNorm loops (CPU). Statistics are per channel, axis 1 of x viewed as (N, C, S), S the product
of the spatial dims. The front (front/) checks, allocates and calls, per kernel, two passes over
memory with per-channel coefficient loops between them:

* ``channel_sums``: s1[c] += sum a,  s2[c] += sum a * (x - m[c])  (double accumulators). With a = x
  and m = a per-channel shift this gives the statistics; with a = dy and m = mean it gives the
  backward reductions sum dy and sum dy * (x - mean).
* ``channel_affine``: out = k1[c] * g + k2[c] * x + k3[c] (g may be None). The training and eval
  forward (no g) and the input gradient (g = dy) are all this one pass. It runs in double, so folding
  the mean into k3 (k3 - k2 * mean) loses nothing even for data far from zero.

The training forward and the backward run both passes and the coefficients between them channel by
channel (``batch_norm_train_pass``, ``batch_norm_backward_pass``): a channel's slab (N runs of S
values, 256 KiB for 64 images of 32x32 float32) is still in L2 for its second pass, where the pass
over all channels had read it back from memory (the second pass took 2-3x its in-cache time in a
ResNet step). The (N, C) layout, whose channels are columns, keeps the passes over all channels.
Each channel gets the same sums in the same order either way, so the results are the same bits.

The variance is computed from data shifted by each channel's first value, in double, so float32
data with a large mean (1e4 with std 1) keeps its variance to 1e-6; there is no E[x^2] - E[x]^2.
NaN and Inf propagate: a channel holding one gets NaN statistics and outputs (as torch).
"""
import numpy as np

from cython.parallel cimport prange

from ._types cimport PARALLEL_MIN, minigrad_max_threads, real

cdef extern from "batchnorm.h" nogil:
    double batch_norm_train_channel(double s1, double s2, double shift, long long count, double eps, double w,
                                    double b, double* mean, double* invstd, double* k2, double* k3)
    double batch_norm_running(double running, double stat, double momentum)
    double batch_norm_unbiased(double var, long long count)
    void batch_norm_eval_channel(double running_mean, double running_var, double w, double b, double eps,
                                 double* k2, double* k3)
    void batch_norm_backward_channel(double s1, double s2, double mean, double invstd, double w, long long count,
                                     int training, double* k1, double* k2, double* k3)

cdef enum:
    CHUNK = 1024  # columns per stack-held accumulator block in the (N, C, S > 1) layout: a 32x32 plane


def channel_sums(const real[:, :, ::1] a, const real[:, :, ::1] x, const double[::1] m, double[::1] s1,
                 double[::1] s2):
    """s1[c] = sum a[:, c], s2[c] = sum a[:, c] * (x[:, c] - m[c]), s1 and s2 given zeroed (the (N, C)
    layout adds into them). a, x: (N, C, S) contiguous, one dtype; m, s1, s2: float64 (C,)."""
    _channel_sums(a, x, m, s1, s2)


def train_coefficients(s1, s2, shift, Py_ssize_t count, double eps, double momentum, weight, bias, running_mean,
                       running_var, mean, invstd, k2, k3):
    """Batch statistics from the shifted sums, the running statistics (or None) updated in place, and
    the forward coefficients k2, k3. weight, bias: (C,) in x's dtype or None. Dispatched by hand:
    every x-dtype argument may be None, and Cython's fused dispatch looks at the first one only."""
    if _is_float32(weight, bias, running_mean):
        _train_coefficients[float](s1, s2, shift, count, eps, momentum, weight, bias, running_mean, running_var,
                                   mean, invstd, k2, k3)
    else:
        _train_coefficients[double](s1, s2, shift, count, eps, momentum, weight, bias, running_mean, running_var,
                                    mean, invstd, k2, k3)


def eval_coefficients(const real[::1] running_mean, const real[::1] running_var, const real[::1] weight,
                      const real[::1] bias, double eps, double[::1] k2, double[::1] k3):
    """k2 = w / sqrt(running_var + eps), k3 = b - k2 * running_mean."""
    _eval_coefficients(running_mean, running_var, weight, bias, eps, k2, k3)


def backward_coefficients(const double[::1] s1, const double[::1] s2, const double[::1] mean,
                          const double[::1] invstd, weight, Py_ssize_t count, bint training, double[::1] k1,
                          double[::1] k2, double[::1] k3, real[::1] gweight, real[::1] gbias):
    """The input-gradient coefficients k1, k2, k3 and gweight, gbias (x's dtype) from the sums.
    weight: (C,) in x's dtype or None (untyped here: the dtype is taken from gweight)."""
    cdef const real[::1] w = weight
    _backward_coefficients(s1, s2, mean, invstd, w, count, training, k1, k2, k3, gweight, gbias)


def channel_affine(g, const real[:, :, ::1] x, real[:, :, ::1] out, k1, const double[::1] k2,
                   const double[::1] k3):
    """out = k1 * g + k2 * x + k3 per channel; g and k1 None for out = k2 * x + k3. g, x, out:
    (N, C, S) contiguous, one dtype; k1, k2, k3: float64 (C,). g and k1 are untyped here (the
    dtype is taken from x); without them x and k2 stand in, never read."""
    cdef bint has_g = g is not None
    cdef const real[:, :, ::1] gv = g if has_g else x
    cdef const double[::1] k1v = k1 if has_g else k2
    _channel_affine(gv, x, out, k1v, k2, k3, has_g)


def batch_norm_train_pass(const real[:, :, ::1] x, const double[::1] shift, Py_ssize_t count, double eps,
                          double momentum, weight, bias, running_mean, running_var, double[::1] s1,
                          double[::1] s2, double[::1] mean, double[::1] invstd, double[::1] k2, double[::1] k3,
                          real[:, :, ::1] y):
    """The training forward: channel_sums(x, x, shift, s1, s2) (s1, s2 zeroed), train_coefficients,
    then y = channel_affine(None, x, y, None, k2, k3). x, y: (N, C, S) contiguous; weight, bias,
    running_mean, running_var: (C,) in x's dtype or None (untyped here: x's dtype is theirs)."""
    cdef const real[::1] w = weight
    cdef const real[::1] b = bias
    cdef real[::1] rm = running_mean
    cdef real[::1] rv = running_var
    cdef Py_ssize_t N = x.shape[0], C = x.shape[1], S = x.shape[2], c
    if S == 1 or N == 0 or C == 0:
        if x.size:
            _channel_sums(x, x, shift, s1, s2)
        _train_coefficients(s1, s2, shift, count, eps, momentum, w, b, rm, rv, mean, invstd, k2, k3)
        if x.size:
            _channel_affine(x, x, y, k2, k2, k3, False)
        return
    with nogil:
        for c in prange(C, schedule="static", use_threads_if=N * C * S > PARALLEL_MIN):
            _one_channel_sums(&x[0, c, 0], &x[0, c, 0], N, C * S, S, shift[c], &s1[c], &s2[c])
            _train_channel(c, s1, s2, shift, count, eps, momentum, w, b, rm, rv, mean, invstd, k2, k3)
            _channel_runs_affine(x, x, y, c, k2, k2, k3, False)


def batch_norm_backward_pass(const real[:, :, ::1] gy, const real[:, :, ::1] x, const double[::1] mean,
                             const double[::1] invstd, weight, Py_ssize_t count, bint training, double[::1] s1,
                             double[::1] s2, double[::1] k1, double[::1] k2, double[::1] k3, real[::1] gweight,
                             real[::1] gbias, real[:, :, ::1] gx):
    """The backward: channel_sums(gy, x, mean, s1, s2) (s1, s2 zeroed), backward_coefficients, then
    gx = channel_affine(gy, x, gx, k1, k2, k3). gy, x, gx: (N, C, S) contiguous; weight: (C,) in x's
    dtype or None."""
    cdef const real[::1] w = weight
    cdef Py_ssize_t N = x.shape[0], C = x.shape[1], S = x.shape[2], c
    if S == 1 or N == 0 or C == 0:
        if x.size:
            _channel_sums(gy, x, mean, s1, s2)
        _backward_coefficients(s1, s2, mean, invstd, w, count, training, k1, k2, k3, gweight, gbias)
        if x.size:
            _channel_affine(gy, x, gx, k1, k2, k3, True)
        return
    with nogil:
        for c in prange(C, schedule="static", use_threads_if=N * C * S > PARALLEL_MIN):
            _one_channel_sums(&gy[0, c, 0], &x[0, c, 0], N, C * S, S, mean[c], &s1[c], &s2[c])
            _backward_channel(c, s1, s2, mean, invstd, w, count, training, k1, k2, k3, gweight, gbias)
            _channel_runs_affine(gy, x, gx, c, k1, k2, k3, True)


def _is_float32(*vectors):
    """Whether the first of the optional x-dtype vectors that is present is float32 (all absent:
    the fused loop's real-typed arguments are all None, either specialisation serves)."""
    for v in vectors:
        if v is not None:
            return v.dtype == np.float32
    return False


# ---- per-channel coefficients (C elements, one typed loop each) --------------------------------
# The passes compute out = k1 * g + k2 * x + k3 per channel; the mean is folded into k3. The
# formulas are batchnorm.h's, shared with cuda/batchnorm.cu.

cdef void _train_coefficients(const double[::1] s1, const double[::1] s2, const double[::1] shift,
                              Py_ssize_t count, double eps, double momentum, const real[::1] weight,
                              const real[::1] bias, real[::1] running_mean, real[::1] running_var,
                              double[::1] mean, double[::1] invstd, double[::1] k2,
                              double[::1] k3) noexcept nogil:
    """Batch statistics from the shifted sums, the running statistics updated in place
    (running = (1 - momentum) * running + momentum * stat, variance unbiased by n / (n - 1)), and
    the normalising coefficients k2 = w * invstd, k3 = b - k2 * mean."""
    cdef Py_ssize_t c
    for c in range(s1.shape[0]):
        _train_channel(c, s1, s2, shift, count, eps, momentum, weight, bias, running_mean, running_var, mean,
                       invstd, k2, k3)


cdef inline void _train_channel(Py_ssize_t c, const double[::1] s1, const double[::1] s2,
                                const double[::1] shift, Py_ssize_t count, double eps, double momentum,
                                const real[::1] weight, const real[::1] bias, real[::1] running_mean,
                                real[::1] running_var, double[::1] mean, double[::1] invstd, double[::1] k2,
                                double[::1] k3) noexcept nogil:
    cdef double var = batch_norm_train_channel(s1[c], s2[c], shift[c], count, eps,
                                               weight[c] if weight is not None else 1,
                                               bias[c] if bias is not None else 0, &mean[c], &invstd[c], &k2[c],
                                               &k3[c])
    if running_mean is not None:
        running_mean[c] = <real>batch_norm_running(running_mean[c], mean[c], momentum)
        running_var[c] = <real>batch_norm_running(running_var[c], batch_norm_unbiased(var, count), momentum)


cdef void _eval_coefficients(const real[::1] running_mean, const real[::1] running_var, const real[::1] weight,
                             const real[::1] bias, double eps, double[::1] k2, double[::1] k3) noexcept nogil:
    """k2 = w / sqrt(running_var + eps), k3 = b - k2 * running_mean."""
    cdef Py_ssize_t c
    cdef bint has_weight = weight is not None, has_bias = bias is not None
    for c in range(running_mean.shape[0]):
        batch_norm_eval_channel(running_mean[c], running_var[c], weight[c] if has_weight else 1,
                                bias[c] if has_bias else 0, eps, &k2[c], &k3[c])


cdef void _backward_coefficients(const double[::1] s1, const double[::1] s2, const double[::1] mean,
                                 const double[::1] invstd, const real[::1] weight, Py_ssize_t count,
                                 bint training, double[::1] k1, double[::1] k2, double[::1] k3,
                                 real[::1] gweight, real[::1] gbias) noexcept nogil:
    """dx = k1 * dy + k2 * (x - mean) + k3' with k1 = w * invstd and, in training, the terms from the
    batch statistics: k2 = -w * invstd^3 * s2 / M, k3' = -w * invstd * s1 / M (k3 = k3' - k2 * mean).
    gweight = s2 * invstd (sum dy * x_hat), gbias = s1 (sum dy)."""
    cdef Py_ssize_t c
    for c in range(s1.shape[0]):
        _backward_channel(c, s1, s2, mean, invstd, weight, count, training, k1, k2, k3, gweight, gbias)


cdef inline void _backward_channel(Py_ssize_t c, const double[::1] s1, const double[::1] s2,
                                   const double[::1] mean, const double[::1] invstd, const real[::1] weight,
                                   Py_ssize_t count, bint training, double[::1] k1, double[::1] k2, double[::1] k3,
                                   real[::1] gweight, real[::1] gbias) noexcept nogil:
    batch_norm_backward_channel(s1[c], s2[c], mean[c], invstd[c], weight[c] if weight is not None else 1, count,
                                training, &k1[c], &k2[c], &k3[c])
    gweight[c] = <real>(s2[c] * invstd[c])
    gbias[c] = <real>s1[c]


# ---- the two passes --------------------------------------------------------------------------
cdef void _channel_sums(const real[:, :, ::1] a, const real[:, :, ::1] x, const double[::1] m,
                        double[::1] s1, double[::1] s2) noexcept nogil:
    cdef Py_ssize_t N = x.shape[0], C = x.shape[1], S = x.shape[2]
    cdef Py_ssize_t c, block, blocks, width
    with nogil:
        if N * C * S <= PARALLEL_MIN:  # plain loops (see _types.pxd)
            if S == 1:
                _column_sums(&a[0, 0, 0], &x[0, 0, 0], N, C, 0, C, &m[0], &s1[0], &s2[0])
            else:
                for c in range(C):
                    _one_channel_sums(&a[0, c, 0], &x[0, c, 0], N, C * S, S, m[c], &s1[c], &s2[c])
        elif S == 1:
            # (N, C): each row is a contiguous run of channels; threads take blocks of channels
            blocks = minigrad_max_threads()
            width = (C + blocks - 1) // blocks
            for block in prange(blocks, schedule="static"):
                _column_sums(&a[0, 0, 0], &x[0, 0, 0], N, C, block * width, min(C, (block + 1) * width),
                             &m[0], &s1[0], &s2[0])
        else:
            for c in prange(C, schedule="static"):
                _one_channel_sums(&a[0, c, 0], &x[0, c, 0], N, C * S, S, m[c], &s1[c], &s2[c])


cdef void _column_sums(const real* a, const real* x, Py_ssize_t rows, Py_ssize_t stride,
                       Py_ssize_t start, Py_ssize_t stop, const double* m,
                       double* s1, double* s2) noexcept nogil:
    """For columns j in [start, stop): s1[j] += sum_r a[r, j], s2[j] += sum_r a[r, j] (x[r, j] - m[j]).

    Four rows per sweep, so the accumulators are loaded and stored once for every four elements.
    """
    cdef Py_ssize_t r = 0, j
    cdef const real* a0
    cdef const real* x0
    cdef double mj
    while r + 4 <= rows:
        a0, x0 = a + r * stride, x + r * stride
        for j in range(start, stop):
            mj = m[j]
            s1[j] += (<double>a0[j] + <double>a0[stride + j]) + (<double>a0[2 * stride + j] + <double>a0[3 * stride + j])
            s2[j] += ((a0[j] * (x0[j] - mj) + a0[stride + j] * (x0[stride + j] - mj))
                      + (a0[2 * stride + j] * (x0[2 * stride + j] - mj) + a0[3 * stride + j] * (x0[3 * stride + j] - mj)))
        r += 4
    while r < rows:
        a0, x0 = a + r * stride, x + r * stride
        for j in range(start, stop):
            s1[j] += a0[j]
            s2[j] += a0[j] * (x0[j] - m[j])
        r += 1


cdef void _one_channel_sums(const real* a, const real* x, Py_ssize_t rows, Py_ssize_t stride,
                            Py_ssize_t width, double m, double* s1, double* s2) noexcept nogil:
    """Sums over one channel's (rows, width) slab, CHUNK columns at a time into vector
    accumulators (independent lanes, so the compiler can vectorise), then reduced."""
    cdef double acc1[CHUNK]
    cdef double acc2[CHUNK]
    cdef double shift[CHUNK]
    cdef Py_ssize_t j, chunk, start, n
    cdef double t1 = 0, t2 = 0
    for j in range(CHUNK):
        shift[j] = m
    for chunk in range((width + CHUNK - 1) // CHUNK):
        start = chunk * CHUNK
        n = min(CHUNK, width - start)
        for j in range(n):
            acc1[j] = 0
            acc2[j] = 0
        _column_sums(a + start, x + start, rows, stride, 0, n, shift, acc1, acc2)
        for j in range(n):
            t1 += acc1[j]
            t2 += acc2[j]
    s1[0] = t1
    s2[0] = t2


cdef void _channel_affine(const real[:, :, ::1] g, const real[:, :, ::1] x, real[:, :, ::1] out,
                          const double[::1] k1, const double[::1] k2, const double[::1] k3,
                          bint has_g) noexcept nogil:
    cdef Py_ssize_t N = x.shape[0], C = x.shape[1], S = x.shape[2]
    cdef Py_ssize_t n, c
    cdef bint parallel = N * C * S > PARALLEL_MIN
    with nogil:
        if S == 1 and parallel:
            for n in prange(N, schedule="static"):
                _row_affine(&g[n, 0, 0] if has_g else NULL, &x[n, 0, 0], &out[n, 0, 0], C, &k1[0], &k2[0], &k3[0])
        elif S == 1:  # a plain loop (see _types.pxd)
            for n in range(N):
                _row_affine(&g[n, 0, 0] if has_g else NULL, &x[n, 0, 0], &out[n, 0, 0], C, &k1[0], &k2[0], &k3[0])
        elif parallel:
            for c in prange(C, schedule="static"):
                _channel_runs_affine(g, x, out, c, k1, k2, k3, has_g)
        else:
            for c in range(C):
                _channel_runs_affine(g, x, out, c, k1, k2, k3, has_g)


cdef inline void _channel_runs_affine(const real[:, :, ::1] g, const real[:, :, ::1] x, real[:, :, ::1] out,
                                      Py_ssize_t c, const double[::1] k1, const double[::1] k2,
                                      const double[::1] k3, bint has_g) noexcept nogil:
    """Channel c of the (N, C, S) layout: N contiguous runs of S values, one coefficient set."""
    cdef Py_ssize_t n
    for n in range(x.shape[0]):
        _run_affine(&g[n, c, 0] if has_g else NULL, &x[n, c, 0], &out[n, c, 0], x.shape[2], k1[c], k2[c], k3[c])


cdef void _row_affine(const real* g, const real* x, real* out, Py_ssize_t width, const double* k1,
                      const double* k2, const double* k3) noexcept nogil:
    """One row of the (N, C) layout: a coefficient per column. g NULL: no gradient term."""
    cdef Py_ssize_t j
    if g == NULL:
        for j in range(width):
            out[j] = <real>(k2[j] * x[j] + k3[j])
    else:
        for j in range(width):
            out[j] = <real>(k1[j] * g[j] + k2[j] * x[j] + k3[j])


cdef void _run_affine(const real* g, const real* x, real* out, Py_ssize_t width, double k1,
                      double k2, double k3) noexcept nogil:
    """One contiguous run of a channel in the (N, C, S) layout: one coefficient set."""
    cdef Py_ssize_t j
    if g == NULL:
        for j in range(width):
            out[j] = <real>(k2 * x[j] + k3)
    else:
        for j in range(width):
            out[j] = <real>(k1 * g[j] + k2 * x[j] + k3)
