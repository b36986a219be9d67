import numpy as np
import pytest

import minigrad as mg

AXES = [None, 0, 1, -1, (0, 2)]


@pytest.mark.parametrize("name", ["sum", "mean", "max"])
@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions_match_numpy_and_gradcheck(name, axis, keepdims, rng, device):
    x = rng.standard_normal((2, 3, 4))
    t = mg.tensor(x, requires_grad=True, device=device)
    result = getattr(t, name)(axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(result.numpy(), getattr(x, name)(axis=axis, keepdims=keepdims), rtol=1e-12)
    assert mg.gradcheck(lambda a: getattr(a, name)(axis=axis, keepdims=keepdims), [t])
    t32 = mg.tensor(x, dtype="float32", device=device)
    np.testing.assert_allclose(getattr(t32, name)(axis=axis).numpy(), getattr(x, name)(axis=axis), rtol=1e-5, atol=1e-6)


def test_max_shares_the_gradient_between_ties():
    x = mg.tensor([1.0, 3.0, 3.0], requires_grad=True)
    x.max().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0, 0.5, 0.5])


def test_reductions_refuse_bad_axes_and_empty_max():
    with pytest.raises(ValueError, match="axis 3 is out of bounds"):
        mg.randn(2, 3).sum(axis=3)
    with pytest.raises(ValueError, match="empty"):
        mg.zeros(0).max()
