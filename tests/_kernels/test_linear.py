import numpy as np
import pytest

from minigrad._kernels import cpu


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-12), (np.float32, 1e-4)])
def test_linear_kernels_equal_numpy(dtype, tol, rng):
    x, w, b = (rng.standard_normal(s).astype(dtype) for s in ((600, 300), (200, 300), (200,)))
    gy = rng.standard_normal((600, 200)).astype(dtype)
    np.testing.assert_allclose(cpu.linear_forward(x, w, b), x @ w.T + b, rtol=tol, atol=tol)
    np.testing.assert_allclose(cpu.linear_forward(x, w, None), x @ w.T, rtol=tol, atol=tol)
    gx, gw, gb = cpu.linear_backward(gy, x, w, True, True, True)
    np.testing.assert_allclose(gx, gy @ w, rtol=tol, atol=tol)
    np.testing.assert_allclose(gw, gy.T @ x, rtol=tol, atol=tol * 10)
    np.testing.assert_allclose(gb, gy.astype(np.float64).sum(0), rtol=tol, atol=tol)
    assert gb.dtype == dtype
    assert cpu.linear_backward(gy, x, w, False, False, True)[:2] == (None, None)


def test_linear_kernels_refuse_wrong_input():
    x, w = np.ones((4, 3)), np.ones((2, 3))
    with pytest.raises(ValueError, match="x has 4 features"):
        cpu.linear_forward(np.ones((4, 4)), w, None)
    with pytest.raises(TypeError, match="weight has dtype float32, but x has float64"):
        cpu.linear_forward(x, w.astype(np.float32), None)
    with pytest.raises(ValueError, match="bias has shape \\(3,\\), expected \\(2,\\)"):
        cpu.linear_forward(x, w, np.ones(3))
    with pytest.raises(ValueError, match="x must have 2 dimension"):
        cpu.linear_forward(np.ones(3), w, None)
    with pytest.raises(ValueError, match="shapes do not fit"):
        cpu.linear_backward(np.ones((4, 5)), x, w, True, True, True)
