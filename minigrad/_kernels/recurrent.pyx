"""LSTM and GRU step loops (CPU): the pointwise part of one step of one direction, over the B rows of
the batch that take part in it. The kernel front checks and allocates (front/recurrent.py); the
arrays are C-contiguous rows of one dtype. The per-element math and the row loops are recurrent.h's,
shared with cuda/recurrent.cu; the math runs in double for both dtypes."""
from cython.parallel cimport prange

from ._types cimport PARALLEL_MIN, real

cdef extern from "recurrent.h" nogil:
    void lstm_forward_row_float(const float* x_gates, const float* h_gates, const float* c_prev, float* gates,
                                float* h, float* c, long long H)
    void lstm_forward_row_double(const double* x_gates, const double* h_gates, const double* c_prev, double* gates,
                                 double* h, double* c, long long H)
    void lstm_backward_row_float(const float* gates, const float* c_prev, const float* c, const float* gh,
                                 const float* gc, float* gates_grad, float* gc_prev, long long H)
    void lstm_backward_row_double(const double* gates, const double* c_prev, const double* c, const double* gh,
                                  const double* gc, double* gates_grad, double* gc_prev, long long H)
    void gru_forward_row_float(const float* x_gates, const float* h_gates, const float* h_prev, float* gates,
                               float* h, long long H)
    void gru_forward_row_double(const double* x_gates, const double* h_gates, const double* h_prev, double* gates,
                                double* h, long long H)
    void gru_backward_row_float(const float* gates, const float* h_prev, const float* gh, float* x_gates_grad,
                                float* h_gates_grad, float* gh_prev, long long H)
    void gru_backward_row_double(const double* gates, const double* h_prev, const double* gh, double* x_gates_grad,
                                 double* h_gates_grad, double* gh_prev, long long H)

cdef enum:
    # a few exps per element: threads pay off at fewer elements than a copy-like loop
    STEP_PARALLEL_MIN = PARALLEL_MIN // 16

# One step is tens to hundreds of microseconds of work at the sizes that matter, so these loops take
# ``use_threads_if`` and its parallel region's microsecond (see _types.pxd) instead of a second, plain loop.


def lstm_cell_forward(const real[:, ::1] x_gates, const real[:, ::1] h_gates, const real[:, ::1] c_prev,
                      real[:, ::1] gates, real[:, ::1] h, real[:, ::1] c):
    """One LSTM step. x_gates, h_gates: (B, 4H) pre-activation parts (input and recurrent
    projections, biases included); c_prev: (B, H). Fills gates (B, 4H) with the activated i, f, g, o,
    c (B, H) with the new cell and h (B, H) with o * tanh(c)."""
    cdef Py_ssize_t r, rows = c_prev.shape[0], H = c_prev.shape[1]
    if H == 0:
        return
    for r in prange(rows, schedule="static", use_threads_if=rows * H > STEP_PARALLEL_MIN, nogil=True):
        if real is float:
            lstm_forward_row_float(&x_gates[r, 0], &h_gates[r, 0], &c_prev[r, 0], &gates[r, 0], &h[r, 0], &c[r, 0], H)
        else:
            lstm_forward_row_double(&x_gates[r, 0], &h_gates[r, 0], &c_prev[r, 0], &gates[r, 0], &h[r, 0], &c[r, 0], H)


def lstm_cell_backward(const real[:, ::1] gates, const real[:, ::1] c_prev, const real[:, ::1] c,
                       const real[:, ::1] gh, const real[:, ::1] gc, real[:, ::1] gates_grad, real[:, ::1] gc_prev):
    """The backward of lstm_cell_forward. gates: (B, 4H) as it filled them; c_prev, c: (B, H); gh,
    gc: (B, H) gradients of h and c. Fills gates_grad (B, 4H), the pre-activations' gradient (of both
    projections), and gc_prev (B, H). gc_prev may be gc itself (each element is read, then written)."""
    cdef Py_ssize_t r, rows = c.shape[0], H = c.shape[1]
    if H == 0:
        return
    for r in prange(rows, schedule="static", use_threads_if=rows * H > STEP_PARALLEL_MIN, nogil=True):
        if real is float:
            lstm_backward_row_float(&gates[r, 0], &c_prev[r, 0], &c[r, 0], &gh[r, 0], &gc[r, 0], &gates_grad[r, 0],
                                    &gc_prev[r, 0], H)
        else:
            lstm_backward_row_double(&gates[r, 0], &c_prev[r, 0], &c[r, 0], &gh[r, 0], &gc[r, 0], &gates_grad[r, 0],
                                     &gc_prev[r, 0], H)


def gru_cell_forward(const real[:, ::1] x_gates, const real[:, ::1] h_gates, const real[:, ::1] h_prev,
                     real[:, ::1] gates, real[:, ::1] h):
    """One GRU step. x_gates, h_gates: (B, 3H) input and recurrent projections (r, z, n), each with
    its own bias; h_prev: (B, H). Fills gates (B, 4H) with r, z, n and h_gates' n part (what the
    backward needs) and h (B, H)."""
    cdef Py_ssize_t r, rows = h_prev.shape[0], H = h_prev.shape[1]
    if H == 0:
        return
    for r in prange(rows, schedule="static", use_threads_if=rows * H > STEP_PARALLEL_MIN, nogil=True):
        if real is float:
            gru_forward_row_float(&x_gates[r, 0], &h_gates[r, 0], &h_prev[r, 0], &gates[r, 0], &h[r, 0], H)
        else:
            gru_forward_row_double(&x_gates[r, 0], &h_gates[r, 0], &h_prev[r, 0], &gates[r, 0], &h[r, 0], H)


def gru_cell_backward(const real[:, ::1] gates, const real[:, ::1] h_prev, const real[:, ::1] gh,
                      real[:, ::1] x_gates_grad, real[:, ::1] h_gates_grad, real[:, ::1] gh_prev):
    """The backward of gru_cell_forward. gates: (B, 4H) as it filled them; h_prev, gh: (B, H). Fills
    x_gates_grad and h_gates_grad (B, 3H), the two projections' gradients, and gh_prev (B, H), h_prev's
    direct share (the recurrent projection's share is h_gates_grad @ weight_hh)."""
    cdef Py_ssize_t r, rows = h_prev.shape[0], H = h_prev.shape[1]
    if H == 0:
        return
    for r in prange(rows, schedule="static", use_threads_if=rows * H > STEP_PARALLEL_MIN, nogil=True):
        if real is float:
            gru_backward_row_float(&gates[r, 0], &h_prev[r, 0], &gh[r, 0], &x_gates_grad[r, 0], &h_gates_grad[r, 0],
                                   &gh_prev[r, 0], H)
        else:
            gru_backward_row_double(&gates[r, 0], &h_prev[r, 0], &gh[r, 0], &x_gates_grad[r, 0], &h_gates_grad[r, 0],
                                    &gh_prev[r, 0], H)
