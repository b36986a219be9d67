"""F.adaptive_max_pool2d: torch's bins floor(i * H / OH) .. ceil((i + 1) * H / OH), the gradient to
each bin's maximum (the first one; a NaN wins, the last NaN as torch's loop), return_indices, 3-D
input, and the refusals. The reference is a loop over bins and their entries."""
import math

import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F


def reference(x, out_h, out_w):
    """(values, flat indices) of x (N, C, H, W), scanning each bin row by row as torch's kernel."""
    n, c, h, w = x.shape
    values, indices = np.zeros((n, c, out_h, out_w)), np.zeros((n, c, out_h, out_w), dtype=np.int64)
    for p in np.ndindex(n, c):
        for i in range(out_h):
            for j in range(out_w):
                best, where = -np.inf, (i * h // out_h) * w + (j * w // out_w)
                for r in range(i * h // out_h, math.ceil((i + 1) * h / out_h)):
                    for s in range(j * w // out_w, math.ceil((j + 1) * w / out_w)):
                        if x[p + (r, s)] > best or np.isnan(x[p + (r, s)]):
                            best, where = x[p + (r, s)], r * w + s
                values[p + (i, j)], indices[p + (i, j)] = best, where
    return values, indices


@pytest.mark.parametrize("shape, output_size, expected", [
    ((2, 3, 7, 5), (3, 2), (3, 2)),
    ((2, 3, 5, 5), 5, (5, 5)),
    ((1, 2, 4, 6), (8, None), (8, 6)),   # bins smaller than a pixel repeat it
    ((1, 2, 9, 4), 1, (1, 1)),
    ((3, 6, 5), (2, 4), (2, 4)),         # (C, H, W)
])
def test_values_indices_and_gradient_match_the_loop_reference(shape, output_size, expected, rng, device):
    x = rng.permutation(np.prod(shape)).reshape(shape).astype(np.float64)  # distinct: gradcheck is exact
    t = mg.tensor(x, requires_grad=True, device=device)
    values, indices = F.adaptive_max_pool2d(t, output_size, return_indices=True)
    image = x if x.ndim == 4 else x[None]
    ref_values, ref_indices = (r if x.ndim == 4 else r[0] for r in reference(image, *expected))
    np.testing.assert_array_equal(values.numpy(), ref_values)
    np.testing.assert_array_equal(indices.numpy(), ref_indices)
    assert indices.dtype == np.int64 and not indices.requires_grad and values.dtype == np.float64
    gy = rng.standard_normal(values.shape)
    values.backward(mg.tensor(gy, device=device))
    grad = np.zeros(image.shape[:2] + (image.shape[2] * image.shape[3],))
    for p in np.ndindex(*grad.shape[:2]):  # overlapping bins can pick one entry twice: gradients add
        for k, index in enumerate(ref_indices.reshape(grad.shape[:2] + (-1,))[p]):
            grad[p + (index,)] += gy.reshape(grad.shape[:2] + (-1,))[p + (k,)]
    np.testing.assert_allclose(t.grad.numpy(), grad.reshape(x.shape), rtol=1e-12)
    assert mg.gradcheck(lambda a: F.adaptive_max_pool2d(a, output_size), [mg.tensor(x, requires_grad=True,
                                                                                    device=device)])


def test_ties_take_the_first_maximum_and_nan_wins_at_its_last_position(device):
    x = np.array([[[[1.0, 3.0, 3.0], [3.0, 0.0, 2.0]],
                   [[np.nan, 1.0, np.nan], [5.0, 9.0, 0.0]],
                   [[-np.inf, -np.inf, -np.inf], [-np.inf, -np.inf, -np.inf]]]])
    t = mg.tensor(x, requires_grad=True, device=device)
    values, indices = F.adaptive_max_pool2d(t, 1, return_indices=True)
    np.testing.assert_array_equal(values.numpy().ravel(), [3.0, np.nan, -np.inf])
    np.testing.assert_array_equal(indices.numpy().ravel(), [1, 2, 0])
    np.testing.assert_array_equal(values.numpy().ravel(), reference(x, 1, 1)[0].ravel())
    values.sum().backward()
    assert t.grad.numpy()[0, 0, 0, 1] == 1 and t.grad.numpy()[0, 1, 0, 2] == 1 and t.grad.numpy().sum() == 3


def test_float32_equals_the_reference_exactly(rng, device):
    x = rng.standard_normal((2, 3, 7, 6)).astype(np.float32)
    values = F.adaptive_max_pool2d(mg.tensor(x, device=device), (4, 3))
    assert values.dtype == np.float32
    np.testing.assert_array_equal(values.numpy(), reference(x.astype(np.float64), 4, 3)[0].astype(np.float32))


def test_zero_output_size_and_zero_batch(device):
    assert F.adaptive_max_pool2d(mg.zeros(1, 2, 4, 4, device=device), (0, 3)).shape == (1, 2, 0, 3)
    assert F.adaptive_max_pool2d(mg.zeros(0, 2, 4, 4, device=device), 2).shape == (0, 2, 2, 2)


@pytest.mark.parametrize("shape, output_size, error, match", [
    ((4, 4), 2, RuntimeError, "expected a 3-D \\(C, H, W\\) or 4-D .* got 2-D"),
    ((1, 1, 1, 4, 4), 2, RuntimeError, "got 5-D"),
    ((1, 1, 0, 3), 2, RuntimeError, "non-batch dims must not be empty"),
    ((1, 1, 4, 4), (2, 2, 2), RuntimeError, "an int or 2 sizes"),
    ((1, 1, 4, 4), -1, RuntimeError, "must be >= 0"),
    ((1, 1, 4, 4), 2.0, TypeError, "must be an int or \\(OH, OW\\), got 2.0"),
    ((1, 1, 4, 4), (2, 1.5), TypeError, "must hold ints"),
])
def test_refusals(shape, output_size, error, match, device):
    with pytest.raises(error, match=match):
        F.adaptive_max_pool2d(mg.zeros(*shape, device=device), output_size)


def test_refuses_integer_input(device):
    with pytest.raises(NotImplementedError, match="not implemented for int64 input"):
        F.adaptive_max_pool2d(mg.zeros(1, 1, 4, 4, dtype=mg.int64, device=device), 2)
