"""F.pad (constant, torch's order from the last dim, negative widths crop) with its gradient, and the
arguments it must refuse (the copying modes are in the op table, and their layers in tests/nn/test_spatial.py)."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F


@pytest.mark.parametrize("pad, numpy_widths", [
    ((1, 2), [(0, 0), (0, 0), (1, 2)]),
    ((0, 1, 3, 0), [(0, 0), (3, 0), (0, 1)]),
    ((1, 1, 0, 0, 2, 1), [(2, 1), (0, 0), (1, 1)]),
])
def test_pad_matches_numpy_pad_and_gradchecks(pad, numpy_widths, rng, device):
    x = rng.standard_normal((2, 3, 4))
    t = mg.tensor(x, requires_grad=True, device=device)
    np.testing.assert_array_equal(F.pad(t, pad, value=-1.5).detach().numpy(), np.pad(x, numpy_widths, constant_values=-1.5))
    assert mg.gradcheck(lambda a: F.pad(a, pad, value=2.0), [t])


def test_negative_widths_crop_and_the_gradient_flows_to_the_kept_part(device):
    x = np.arange(12.0).reshape(3, 4)
    t = mg.tensor(x, requires_grad=True, device=device)
    y = F.pad(t, (-1, 2, 1, -2))  # last dim: crop 1 left, pad 2 right; first dim: pad 1 top, crop 2 bottom
    expected = np.zeros((2, 5))
    expected[1, :3] = x[0, 1:]
    np.testing.assert_array_equal(y.detach().numpy(), expected)
    y.backward(mg.tensor(np.arange(10.0).reshape(2, 5), device=device))
    expected_grad = np.zeros((3, 4))
    expected_grad[0, 1:] = [5.0, 6.0, 7.0]
    np.testing.assert_array_equal(t.grad.numpy(), expected_grad)
    assert F.pad(mg.ones(2, 3, dtype="float32"), (1, 1)).dtype == np.float32


@pytest.mark.parametrize("pad, mode, error, match", [
    ((1,), "constant", ValueError, "even length"),
    ((1, 1, 1, 1, 1, 1), "constant", ValueError, "at most 2 \\* 2"),
    ((1.5, 1), "constant", ValueError, "tuple of ints"),
    ((1, 1), "reflection", NotImplementedError, "Unrecognised padding mode reflection"),
    ((1, 1, 1, 1), "reflect", NotImplementedError, "Padding size 4 is not supported for 2D input tensor"),
    ((-3, 0), "constant", ValueError, "leave a negative size for a dim of size 2"),
])
def test_pad_refuses_bad_arguments(pad, mode, error, match):
    with pytest.raises(error, match=match):
        F.pad(mg.ones(3, 2), pad, mode)
