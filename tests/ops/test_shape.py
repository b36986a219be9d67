import numpy as np
import pytest

import minigrad as mg


def test_reshape_and_transpose_match_numpy_and_gradcheck(rng, device):
    x = rng.standard_normal((2, 3, 4))
    t = mg.tensor(x, requires_grad=True, device=device)
    np.testing.assert_array_equal(t.reshape(6, 4).numpy(), x.reshape(6, 4))
    np.testing.assert_array_equal(t.reshape((4, -1)).numpy(), x.reshape(4, -1))
    np.testing.assert_array_equal(t.permute(1, 0, 2).numpy(), x.transpose(1, 0, 2))
    np.testing.assert_array_equal(t.T.numpy(), x.T)
    assert mg.gradcheck(lambda a: a.reshape(4, 6) * mg.tensor(np.arange(24.0).reshape(4, 6), device=device), [t])
    assert mg.gradcheck(lambda a: a.permute(2, 0, 1) * mg.tensor(np.arange(24.0).reshape(4, 2, 3), device=device), [t])
    assert mg.tensor(x, dtype="float32").reshape(-1).dtype == np.float32


def test_reshape_and_transpose_refuse_bad_arguments():
    with pytest.raises(ValueError):
        mg.randn(2, 3).reshape(4, 2)
    with pytest.raises(ValueError, match="more than once"):
        mg.randn(2, 3).permute(0, 0)


INDICES = [1, -1, slice(1, 3), (slice(None), 2), (0, slice(None, None, 2)), [0, 2, 2], (np.array([0, 1, 1]), np.array([2, 0, 2]))]


@pytest.mark.parametrize("index", INDICES, ids=str)
def test_indexing_matches_numpy_and_scatters_gradients(index, rng, device):
    x = rng.standard_normal((3, 4))
    t = mg.tensor(x, requires_grad=True, device=device)
    np.testing.assert_array_equal(t[index].numpy(), x[index])
    assert mg.gradcheck(lambda a: a[index], [t])
    assert mg.tensor(x, dtype="float32")[index].dtype == np.float32


def test_repeated_indices_add_their_gradients_and_tensor_indices_work():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[mg.tensor(np.array([0, 0, 2]))].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2, 0, 1])
    with pytest.raises(IndexError, match="integer or bool"):
        x[mg.tensor([0.0])]
