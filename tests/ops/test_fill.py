"""Tensor.normal_/uniform_/exponential_/fill_diagonal_ (minigrad/ops/fill.py); expected values are
torch 2.13's where the draw does not matter."""
import numpy as np
import pytest

import minigrad as mg

RANDOM_FILLS = {"normal_": (1.0, 2.0), "uniform_": (-1.0, 3.0), "exponential_": (4.0,)}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_random_fills_have_their_distribution(device, dtype):
    n = 200_000
    x = mg.empty(n, dtype=dtype, device=device)
    assert x.normal_(1.0, 2.0) is x and x.dtype == dtype and x.device == device
    np.testing.assert_allclose([x.numpy().mean(), x.numpy().std()], [1.0, 2.0], atol=0.02)
    x.uniform_(-1.0, 3.0)
    values = x.numpy()
    assert values.min() >= -1.0 and values.max() < 3.0
    np.testing.assert_allclose([values.mean(), values.var()], [1.0, 16 / 12], atol=0.02)
    x.exponential_(4.0)
    values = x.numpy()
    assert values.min() >= 0.0
    np.testing.assert_allclose([values.mean(), values.std()], [0.25, 0.25], atol=0.005)


def test_random_fill_defaults():
    x = mg.empty(100_000, dtype=mg.float64)
    np.testing.assert_allclose([x.normal_().numpy().mean(), x.numpy().std()], [0.0, 1.0], atol=0.02)
    assert 0.0 <= x.uniform_().numpy().min() and x.numpy().max() < 1.0
    np.testing.assert_allclose(x.exponential_().numpy().mean(), 1.0, atol=0.02)
    assert x.uniform_(to=5.0).numpy().max() > 1.0  # torch's keyword for the upper bound


@pytest.mark.parametrize("name", RANDOM_FILLS)
def test_random_fills_follow_manual_seed_as_nn_init(device, name):
    args = RANDOM_FILLS[name]
    mg.manual_seed(3)
    first = getattr(mg.empty(2, 3, device=device), name)(*args).numpy()
    mg.manual_seed(3)
    second = getattr(mg.empty(2, 3, device=device), name)(*args).numpy()
    np.testing.assert_array_equal(first, second)
    if name != "exponential_":  # nn.init has no exponential_
        mg.manual_seed(3)
        np.testing.assert_array_equal(getattr(mg.nn.init, name)(mg.empty(2, 3), *args).numpy(), first)


@pytest.mark.parametrize("name", [*RANDOM_FILLS, "fill_diagonal_"])
def test_fills_are_in_place_ops(name):
    args = RANDOM_FILLS.get(name, (7.0,))
    leaf = mg.ones(3, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        getattr(leaf, name)(*args)
    with mg.no_grad():
        getattr(leaf, name)(*args)
    assert leaf._version == 1 and leaf.requires_grad
    # torch: the overwritten values get no gradient
    x = mg.ones(3, 3, requires_grad=True)
    y = x * 2
    getattr(y, name)(*args)
    (y * 1).sum().backward()
    expected = np.full((3, 3), 2.0) * (1 - np.eye(3)) if name == "fill_diagonal_" else np.zeros((3, 3))
    np.testing.assert_array_equal(x.grad.numpy(), expected)


@pytest.mark.parametrize("name", RANDOM_FILLS)
def test_random_fills_refuse_integer_tensors(name):
    with pytest.raises(TypeError, match=f"{name} needs a float32 or float64 tensor"):
        getattr(mg.zeros(3, dtype=mg.long), name)()


@pytest.mark.parametrize("call, error, message", [
    (lambda x: x.normal_(0, -1), ValueError, "std must be a number >= 0"),
    (lambda x: x.normal_(float("nan")), ValueError, "mean must be a number other than NaN"),
    (lambda x: x.normal_("0"), TypeError, "mean must be a number"),
    (lambda x: x.uniform_(2, 1), ValueError, r"from=2 > to=1"),
    (lambda x: x.uniform_(float("nan"), 1), ValueError, "from must be a number other than NaN"),
    (lambda x: x.uniform_(0, float("inf")), ValueError, "from and to must be finite"),
    (lambda x: x.exponential_(0), ValueError, "lambd must be a number > 0"),
    (lambda x: x.exponential_(-1), ValueError, "lambd must be a number > 0"),
])
def test_random_fill_refusals(call, error, message):
    with pytest.raises(error, match=message):
        call(mg.zeros(3))


def test_fill_diagonal(device):
    # torch 2.13's results
    eye = mg.zeros(2, 3, device=device).fill_diagonal_(1.0)
    np.testing.assert_array_equal(eye.numpy(), [[1, 0, 0], [0, 1, 0]])
    np.testing.assert_array_equal(mg.zeros(3, 5, device=device).fill_diagonal_(5, wrap=True).numpy(),
                                  5 * np.eye(3, 5))
    tall = np.zeros((7, 3))
    tall[[0, 1, 2], [0, 1, 2]] = 5
    np.testing.assert_array_equal(mg.zeros(7, 3, device=device).fill_diagonal_(5).numpy(), tall)
    tall[[4, 5, 6], [0, 1, 2]] = 5  # wrap: the diagonal restarts after a row of zeros
    np.testing.assert_array_equal(mg.zeros(7, 3, device=device).fill_diagonal_(5, wrap=True).numpy(), tall)
    np.testing.assert_array_equal(mg.zeros(4, 3, device=device).fill_diagonal_(5, wrap=True).numpy(),
                                  5 * np.eye(4, 3))  # rows == columns + 1: nothing wraps
    cube = mg.zeros(3, 3, 3, device=device).fill_diagonal_(1)
    assert cube.sum().item() == 3 and cube[1, 1, 1].item() == 1
    assert mg.zeros(0, 3, device=device).fill_diagonal_(1).shape == (0, 3)


def test_fill_diagonal_dtypes():
    ints = mg.zeros(2, 3, dtype=mg.long).fill_diagonal_(2.7)
    assert ints.dtype == mg.long and ints.tolist() == [[2, 0, 0], [0, 2, 0]]
    assert mg.zeros(2, 3, dtype=mg.bool).fill_diagonal_(1).tolist() == [[True, False, False], [False, True, False]]


def test_fill_diagonal_gradient_is_checked():
    def filled(x):
        y = x * 1
        y.fill_diagonal_(3.0)
        return y

    assert mg.gradcheck(filled, (mg.randn(3, 4, dtype=mg.float64, requires_grad=True),))


@pytest.mark.parametrize("call, error, message", [
    (lambda: mg.zeros(3).fill_diagonal_(1), ValueError, "at least 2 dimensions"),
    (lambda: mg.zeros(3, 3, 2).fill_diagonal_(1), ValueError, "all dimensions of input must be of equal length"),
    (lambda: mg.zeros(3, 3).fill_diagonal_("1"), TypeError, "fill_value must be a number"),
    (lambda: mg.zeros(3, 3).fill_diagonal_(1, wrap="yes"), TypeError, "wrap"),
])
def test_fill_diagonal_refusals(call, error, message):
    with pytest.raises(error, match=message):
        call()
