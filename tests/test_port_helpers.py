"""Small torch functions that ported scripts use: mm, bmm, isclose, allclose, randperm."""
import numpy as np
import pytest

import minigrad as mg


def test_mm_and_bmm_equal_float64_products_and_gradcheck(rng, device):
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    np.testing.assert_allclose(mg.mm(mg.tensor(a, device=device), mg.tensor(b, device=device)).numpy(), a @ b,
                               rtol=1e-12)
    x, y = rng.standard_normal((5, 3, 4)), rng.standard_normal((5, 4, 2))
    np.testing.assert_allclose(mg.bmm(mg.tensor(x, device=device), mg.tensor(y, device=device)).numpy(),
                               np.einsum("bij,bjk->bik", x, y), rtol=1e-12)
    f32 = mg.bmm(mg.tensor(x, dtype=mg.float32, device=device), mg.tensor(y, dtype=mg.float32, device=device))
    assert f32.dtype == mg.float32
    np.testing.assert_allclose(f32.numpy(), np.einsum("bij,bjk->bik", x, y), rtol=1e-5, atol=1e-5)
    tx, ty = (mg.tensor(v, requires_grad=True, device=device) for v in (x, y))
    assert mg.gradcheck(mg.bmm, [tx, ty])
    assert mg.gradcheck(mg.mm, [mg.tensor(a, requires_grad=True), mg.tensor(b, requires_grad=True)])


def test_mm_and_bmm_refuse_other_ranks_and_batches():
    with pytest.raises(ValueError, match="mm expects 2-D tensors, got input of shape \\(2, 3, 4\\)"):
        mg.mm(mg.zeros(2, 3, 4), mg.zeros(4, 2))
    with pytest.raises(ValueError, match="bmm expects 3-D tensors, got mat2 of shape \\(4, 2\\)"):
        mg.bmm(mg.zeros(2, 3, 4), mg.zeros(4, 2))
    with pytest.raises(ValueError, match="batch sizes differ"):
        mg.bmm(mg.zeros(2, 3, 4), mg.zeros(3, 4, 2))
    with pytest.raises(TypeError, match="mg.mm expects a Tensor as its first argument, got ndarray"):
        mg.mm(np.zeros((2, 2)), mg.zeros(2, 2))
    with pytest.raises(TypeError, match="mm expects Tensors, got ndarray for mat2"):
        mg.zeros(2, 2).mm(np.zeros((2, 2)))


def test_isclose_and_allclose_follow_torchs_tolerance_rule(device):
    a = mg.tensor([1.0, 2.0, np.nan, 100.0], dtype=mg.float64, device=device)
    b = mg.tensor([1.0 + 1e-9, 2.1, np.nan, 100.0 + 5e-4], dtype=mg.float64, device=device)
    np.testing.assert_array_equal(mg.isclose(a, b).numpy(), [True, False, False, True])
    assert mg.isclose(a, b, equal_nan=True).numpy()[2]
    assert mg.isclose(a, b).dtype == mg.bool
    assert not mg.allclose(a, b) and mg.allclose(a, a, equal_nan=True) and not mg.allclose(a, a)
    assert mg.allclose(a[:2], b[:2], rtol=0.1)
    with pytest.raises(TypeError, match="two Tensors"):
        mg.isclose(a, 1.0)


def test_randperm_is_a_seeded_permutation():
    mg.manual_seed(3)
    p = mg.randperm(10)
    assert p.dtype == mg.int64 and sorted(p.tolist()) == list(range(10))
    mg.manual_seed(3)
    assert mg.randperm(10).tolist() == p.tolist()
    assert mg.randperm(0).shape == (0,)
    assert mg.randperm(4, dtype=mg.float32).dtype == mg.float32
    for bad, message in ((-1, "randperm: n must be an int >= 0, got -1"),
                         (2.5, "randperm: n must be an int, got float 2.5"),
                         (True, "randperm: n must be an int, got bool True")):
        with pytest.raises(ValueError, match=message):
            mg.randperm(bad)
