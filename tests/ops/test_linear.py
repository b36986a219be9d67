import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F


@pytest.mark.parametrize("x_shape", [(7, 4), (2, 3, 4), (4,)])
@pytest.mark.parametrize("with_bias", [True, False])
def test_linear_matches_numpy_and_gradchecks(x_shape, with_bias, rng, device):
    x, w, b = rng.standard_normal(x_shape), rng.standard_normal((5, 4)), rng.standard_normal(5)
    tx, tw, tb = (mg.tensor(a, requires_grad=True, device=device) for a in (x, w, b))
    expected = x @ w.T + (b if with_bias else 0)
    y = F.linear(tx, tw, tb if with_bias else None)
    np.testing.assert_allclose(y.detach().numpy(), expected, rtol=1e-12)
    if with_bias:
        assert mg.gradcheck(F.linear, [tx, tw, tb])
    else:
        assert mg.gradcheck(F.linear, [tx, tw])
    y32 = F.linear(*(mg.tensor(a, dtype="float32", device=device) for a in (x, w, b)))
    assert y32.dtype == np.float32
    np.testing.assert_allclose(y32.numpy(), x @ w.T + b, rtol=1e-4, atol=1e-5)


def test_linear_refuses_wrong_features_dtype_and_bias_shape():
    with pytest.raises(ValueError, match="last dimension must be in_features=4, got input of shape \\(2, 3\\)"):
        F.linear(mg.randn(2, 3), mg.randn(5, 4))
    with pytest.raises(TypeError, match="dtype mismatch: input is float32 but weight is float64"):
        F.linear(mg.randn(2, 4), mg.randn(5, 4, dtype="float64"))
    with pytest.raises(ValueError, match="bias must have shape \\(5,\\)"):
        F.linear(mg.randn(2, 4), mg.randn(5, 4), mg.randn(4))
