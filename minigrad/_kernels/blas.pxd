# BLAS inside minigrad's own threads. The kernels call GEMM through SciPy's Cython BLAS (function
# pointers taken from scipy.linalg at import: nothing to link), from OpenMP threads with the GIL
# released; each call runs on the calling thread only (minigrad sets the BLAS libraries to one thread,
# runtime.pyx), so no second thread pool spins beside minigrad's.
from scipy.linalg.cython_blas cimport dgemm, sgemm

from ._types cimport real


cdef inline void gemm(bint trans_a, bint trans_b, int m, int n, int k, real alpha, const real* a, int lda,
                      const real* b, int ldb, real beta, real* c, int ldc) noexcept nogil:
    """Row-major C (m, n) = alpha op(A) op(B) + beta C on the calling thread; op(A) is (m, k), op(B)
    (k, n); lda, ldb, ldc are the row strides in elements. BLAS is column-major, where a row-major
    matrix is its own transpose: C^T = op(B)^T op(A)^T is the same call with A and B swapped."""
    cdef char op_a = b"T" if trans_a else b"N"
    cdef char op_b = b"T" if trans_b else b"N"
    if m == 0 or n == 0:
        return
    if real is float:
        sgemm(&op_b, &op_a, &n, &m, &k, &alpha, <float*>b, &ldb, <float*>a, &lda, &beta, c, &ldc)
    else:
        dgemm(&op_b, &op_a, &n, &m, &k, &alpha, <double*>b, &ldb, <double*>a, &lda, &beta, c, &ldc)


cdef void parallel_gemm(bint trans_a, bint trans_b, int m, int n, int k, real alpha, const real* a, int lda,
                        const real* b, int ldb, real beta, real* c, int ldc) noexcept nogil
