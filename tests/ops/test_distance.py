"""F.cosine_similarity: a float64 reference written here, gradcheck, float32, zero and tiny vectors
(torch's clamps at eps), broadcasting and dtype promotion, bad arguments."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F


def ref_cosine(a, b, dim, eps):
    a, b = np.broadcast_arrays(a, b)
    na = np.maximum(np.sqrt((a * a).sum(axis=dim, keepdims=True)), eps)
    nb = np.maximum(np.sqrt((b * b).sum(axis=dim, keepdims=True)), eps)
    return ((a / na) * (b / nb)).sum(axis=dim)


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_cosine_similarity_broadcasts_and_gradchecks(dim, rng, device):
    a, b = rng.standard_normal((3, 4, 5)), rng.standard_normal((4, 1))
    ta, tb = mg.tensor(a, requires_grad=True, device=device), mg.tensor(b, requires_grad=True, device=device)
    y = F.cosine_similarity(ta, tb, dim)
    expected = ref_cosine(a, b, dim, 1e-8)
    assert y.shape == expected.shape == tuple(np.delete([3, 4, 5], dim % 3))
    np.testing.assert_allclose(y.detach().numpy(), expected, rtol=1e-12, atol=1e-15)
    assert mg.gradcheck(lambda u, v: F.cosine_similarity(u, v, dim), [ta, tb])
    y32 = F.cosine_similarity(mg.tensor(a, dtype="float32", device=device), mg.tensor(b, dtype="float32", device=device),
                              dim)
    assert y32.dtype == np.float32
    np.testing.assert_allclose(y32.numpy(), ref_cosine(a.astype(np.float32).astype(np.float64),
                                                       b.astype(np.float32).astype(np.float64), dim, 1e-8),
                               rtol=3e-6, atol=3e-7)


def test_cosine_similarity_is_bounded_and_clamps_without_differentiating_eps(device):
    big = mg.tensor([[1e150, 1e150], [3.0, 4.0], [1e-5, 3e-5]], dtype="float64", device=device)
    other = mg.tensor([[1e150, 2e150], [-3e150, -4e150], [1e150, 3e150]], dtype="float64", device=device)
    np.testing.assert_allclose(F.cosine_similarity(big, other).numpy(), [3 / np.sqrt(10), -1.0, 1.0], rtol=1e-15)
    parallel = mg.tensor(np.random.default_rng(0).uniform(0.1, 1, (1000, 7)), device=device)
    np.testing.assert_allclose(F.cosine_similarity(parallel, 3 * parallel).numpy(), 1.0, rtol=1e-15)  # within a few ulps of 1
    # a vector shorter than eps: the value uses max(||x||, eps) but, as torch, the gradient treats the
    # denominator as ||x|| (the clamp is not recorded): d/dx = w / n - (x . w) x / (n^2 ||x||)
    x = np.array([1e-10, -2e-10, 0.5e-10])
    w = np.array([1.0, 2.0, 3.0]) / np.sqrt(14.0)
    tx = mg.tensor(x[None], requires_grad=True, device=device)
    ty = mg.tensor(w[None] * 7, device=device)
    y = F.cosine_similarity(tx, ty, eps=1e-8)
    np.testing.assert_allclose(y.detach().numpy(), [x @ w / 1e-8], rtol=1e-12)
    y.backward(mg.ones(1, dtype="float64", device=device))
    expected = w / 1e-8 - (x @ w) * x / (1e-8 ** 2 * np.linalg.norm(x))
    np.testing.assert_allclose(tx.grad.numpy()[0], expected, rtol=1e-10)
    zero = mg.tensor([[0.0, 0.0, 0.0]], dtype="float64", requires_grad=True, device=device)
    F.cosine_similarity(zero, ty).backward(mg.ones(1, dtype="float64", device=device))
    np.testing.assert_allclose(zero.grad.numpy()[0], w / 1e-8, rtol=1e-12)


def test_cosine_similarity_promotes_dtypes_as_torch(device):
    f64 = mg.tensor([[1.0, 2.0, 2.0]], dtype="float64", device=device)
    f32 = mg.tensor([[1.0, 0.0, 0.0]], device=device)
    assert F.cosine_similarity(f64, f32).dtype == np.float64
    ints = mg.tensor([[1, 2, 2]], device=device)
    y = F.cosine_similarity(ints, f32)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), [1 / 3], rtol=1e-6)
    np.testing.assert_allclose(F.cosine_similarity(f64[0], f64[0], dim=0).numpy(), 1.0, rtol=1e-15)


@pytest.mark.parametrize("call, error, match", [
    (lambda: F.cosine_similarity(mg.tensor([[1, 2]]), mg.tensor([[1, 0]])), TypeError,
     "cosine_similarity needs a float tensor: x1 is int64 and x2 is int64"),
    (lambda: F.cosine_similarity(mg.ones(2, 3), mg.ones(4)), ValueError,
     "x1 of shape \\(2, 3\\) and x2 of shape \\(4,\\) do not broadcast"),
    (lambda: F.cosine_similarity(mg.ones(2, 3), mg.ones(2, 3), dim=2), IndexError, "dim 2 is out of range"),
    (lambda: F.cosine_similarity(np.ones((2, 3)), mg.ones(2, 3)), TypeError, "x1 must be a Tensor, got ndarray"),
    (lambda: F.cosine_similarity(mg.ones(2, 3), mg.ones(2, 3), eps="small"), TypeError, "eps must be a number"),
])
def test_cosine_similarity_refuses_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("dtype, big", [(mg.float64, 1e300), (mg.float32, 3e38)])
def test_cosine_similarity_of_huge_single_entries_as_torch(device, dtype, big):
    # torch 2.13 gives -1 (a norm over one element is |x|) and a 0 gradient; minigrad gave 0: x ** 2 overflowed
    x1 = mg.tensor([[big], [2.0]], dtype=dtype, device=device, requires_grad=True)
    x2 = mg.tensor([[-big], [-3.0]], dtype=dtype, device=device)
    y = F.cosine_similarity(x1, x2, dim=1)
    np.testing.assert_array_equal(y.detach().numpy(), [-1, -1])
    y.sum().backward()
    np.testing.assert_array_equal(x1.grad.numpy(), [[0], [0]])
    # over two entries torch's norm overflows too and the result is 0, as here
    with np.errstate(over="ignore"):
        assert F.cosine_similarity(mg.tensor([big, big], dtype=dtype), mg.tensor([-big, -big], dtype=dtype), dim=0).item() == 0
