import numpy as np

import minigrad as mg
import minigrad.functional as F


def test_relu_matches_numpy_gradcheck_and_float32(rng, device):
    x = rng.standard_normal((5, 7))
    x[np.abs(x) < 1e-3] = 0.5  # keep central differences away from the kink
    t = mg.tensor(x, requires_grad=True, device=device)
    np.testing.assert_array_equal(F.relu(t).numpy(), np.maximum(x, 0))
    np.testing.assert_array_equal(t.relu().numpy(), np.maximum(x, 0))
    assert mg.gradcheck(F.relu, [t])
    y32 = F.relu(mg.tensor(x, dtype="float32", device=device))
    assert y32.dtype == np.float32
    np.testing.assert_array_equal(y32.numpy(), np.maximum(x.astype(np.float32), 0))


def test_relu_takes_non_contiguous_input_and_gradients():
    x = mg.randn(4, 6, requires_grad=True)
    y = F.relu(x.T)
    (y * mg.randn(6, 4)).sum().backward()
    assert x.grad.shape == (4, 6)
