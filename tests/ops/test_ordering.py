"""sort, argsort, topk, cumsum, cumprod, flip, roll, tril, triu: values against float64 NumPy references
written here, gradients (gradcheck in float64 and explicit scatters), float32, integer dtypes, and the
arguments they refuse. Every body runs on each backend through the ``device`` fixture."""
import numpy as np
import pytest

import minigrad as mg

NAN = float("nan")


# ---- references (plain Python / NumPy, float64) ----------------------------------------------------
def _rows(x, dim):
    """x with ``dim`` moved last and the rest flattened: (rows, n), and a function putting it back."""
    moved = np.moveaxis(np.asarray(x), dim, -1)
    shape = moved.shape

    def restore(rows, n=shape[-1]):
        return np.moveaxis(np.asarray(rows).reshape(shape[:-1] + (n,)), -1, dim)

    return moved.reshape(-1, shape[-1]), restore


def reference_sort(x, dim=-1, descending=False, k=None):
    """(values, indices) of a stable sort written with Python's sorted (stable also with reverse=True):
    NaN is the largest value."""
    rows, restore = _rows(x, dim)
    n = rows.shape[1] if k is None else k
    indices = []
    for row in rows:
        key = [(1, 0.0) if np.isnan(v) else (0, v) for v in row.astype(float)]
        order = sorted(range(len(row)), key=lambda i: key[i], reverse=descending)
        indices.append(order[:n])
    indices = np.array(indices, dtype=np.int64).reshape(len(rows), n)
    values = np.take_along_axis(rows, indices, axis=1)
    return restore(values, n), restore(indices, n)


def reference_cumprod_grad(x, g, dim):
    """d(sum(g * cumprod(x)))/dx written out: grad_j = sum_{i>=j} g_i * prod_{k<=i, k!=j} x_k."""
    rows, restore = _rows(x, dim)
    grows, _ = _rows(g, dim)
    out = np.zeros_like(rows)
    for r, (row, grow) in enumerate(zip(rows, grows)):
        n = len(row)
        for j in range(n):
            out[r, j] = sum(grow[i] * np.prod([row[k] for k in range(i + 1) if k != j]) for i in range(j, n))
    return restore(out)


def reference_roll(x, shifts, dims):
    """out[..., i, ...] = x[..., (i - shift) % n, ...] along each dim, by index arithmetic."""
    out = np.asarray(x)
    for shift, dim in zip(shifts, dims):
        n = out.shape[dim]
        out = np.take(out, [(i - shift) % n for i in range(n)], axis=dim)
    return out


def reference_triangle(x, diagonal, upper):
    x = np.array(x)
    rows, cols = x.shape[-2:]
    for i in range(rows):
        for j in range(cols):
            keep = j - i >= diagonal if upper else j - i <= diagonal
            if not keep:
                x[..., i, j] = 0
    return x


# ---- sort / argsort / topk -----------------------------------------------------------------------
SORT_CASES = [((5,), -1, False), ((5,), 0, True), ((3, 6), 1, False), ((3, 6), 0, True), ((2, 3, 4), 1, True),
              ((2, 3, 4), -3, False)]


@pytest.mark.parametrize("shape, dim, descending", SORT_CASES, ids=str)
def test_sort_matches_reference_and_gradcheck(shape, dim, descending, rng, device):
    x = rng.integers(0, 4, shape).astype(np.float64)  # many ties: the order among them is checked too
    values, indices = mg.tensor(x, device=device).sort(dim=dim, descending=descending)
    expected_values, expected_indices = reference_sort(x, dim, descending)
    np.testing.assert_array_equal(values.numpy(), expected_values)
    np.testing.assert_array_equal(indices.numpy(), expected_indices)
    assert indices.dtype == mg.int64 and not indices.requires_grad
    np.testing.assert_array_equal(mg.tensor(x, device=device).argsort(dim, descending).numpy(), expected_indices)
    t = mg.tensor(rng.standard_normal(shape), requires_grad=True, device=device)
    assert mg.gradcheck(lambda a: a.sort(dim, descending).values, [t])


def test_sort_is_stable_and_puts_nan_last_ascending_first_descending(device):
    x = [3.0, NAN, 1.0, 3.0, float("inf"), NAN, -float("inf"), 1.0]
    t = mg.tensor(x, device=device)
    ascending = t.sort()
    np.testing.assert_array_equal(ascending.indices.numpy(), [6, 2, 7, 0, 3, 4, 1, 5])
    np.testing.assert_array_equal(ascending.values.numpy(), [-np.inf, 1, 1, 3, 3, np.inf, np.nan, np.nan])
    descending = t.sort(descending=True)
    np.testing.assert_array_equal(descending.indices.numpy(), [1, 5, 4, 0, 3, 2, 7, 6])
    np.testing.assert_array_equal(t.argsort(descending=True, stable=True).numpy(), [1, 5, 4, 0, 3, 2, 7, 6])
    np.testing.assert_array_equal(t.topk(3).indices.numpy(), [1, 5, 4])
    np.testing.assert_array_equal(t.topk(3, largest=False).indices.numpy(), [6, 2, 7])
    for values, indices in (reference_sort(np.array(x), 0, False), reference_sort(np.array(x), 0, True)):
        assert np.isnan(values).sum() == 2  # the reference agrees on where NaN goes
    np.testing.assert_array_equal(reference_sort(np.array(x), 0, True)[1], descending.indices.numpy())


def test_sort_gradient_goes_back_through_the_indices(rng, device):
    x = rng.standard_normal((3, 5))
    g = rng.standard_normal((3, 5))
    t = mg.tensor(x, requires_grad=True, device=device)
    values, indices = t.sort(dim=1, descending=True)
    values.backward(mg.tensor(g, device=device))
    expected = np.zeros_like(x)
    for r in range(3):
        for i in range(5):
            expected[r, indices.numpy()[r, i]] = g[r, i]
    np.testing.assert_array_equal(t.grad.numpy(), expected)


TOPK_CASES = [((6,), 3, -1, True), ((6,), 6, 0, False), ((6,), 0, 0, True), ((3, 5), 2, 1, False),
              ((4, 3), 1, 0, True), ((2, 3, 4), 2, -1, True)]


@pytest.mark.parametrize("shape, k, dim, largest", TOPK_CASES, ids=str)
def test_topk_matches_reference_and_gradcheck(shape, k, dim, largest, rng, device):
    x = rng.integers(0, 3, shape).astype(np.float64)
    values, indices = mg.tensor(x, device=device).topk(k, dim=dim, largest=largest)
    expected_values, expected_indices = reference_sort(x, dim, largest, k)
    np.testing.assert_array_equal(values.numpy(), expected_values)
    np.testing.assert_array_equal(indices.numpy(), expected_indices)
    assert indices.dtype == mg.int64
    t = mg.tensor(rng.standard_normal(shape), requires_grad=True, device=device)
    assert mg.gradcheck(lambda a: a.topk(k, dim, largest).values * 1.0, [t])


def test_topk_gradient_reaches_only_the_chosen_entries(device):
    t = mg.tensor([[1.0, 5.0, 3.0, 4.0]], requires_grad=True, device=device)
    values, indices = t.topk(2, sorted=False)
    values.backward(mg.tensor([[10.0, 20.0]], device=device))
    np.testing.assert_array_equal(values.detach().numpy(), [[5.0, 4.0]])  # sorted even with sorted=False
    np.testing.assert_array_equal(indices.numpy(), [[1, 3]])
    np.testing.assert_array_equal(t.grad.numpy(), [[0.0, 10.0, 0.0, 20.0]])


def test_sort_results_are_namedtuples_and_module_forms_agree(rng, device):
    x = rng.standard_normal((3, 4))
    t = mg.tensor(x, device=device)
    result = mg.sort(t, dim=0, descending=True)
    assert type(result).__name__ == "sort" and result.values is result[0] and result.indices is result[1]
    np.testing.assert_array_equal(result.values.numpy(), -np.sort(-x, axis=0))
    top = mg.topk(t, 2)
    assert type(top).__name__ == "topk"
    np.testing.assert_array_equal(top.values.numpy(), -np.sort(-x, axis=1)[:, :2])
    np.testing.assert_array_equal(mg.argsort(t, dim=1).numpy(), np.argsort(x, axis=1, kind="stable"))


def test_sort_float32_integer_bool_zero_dim_and_empty(rng, device):
    x = rng.standard_normal((4, 5))
    values = mg.tensor(x, dtype=mg.float32, device=device).sort(0).values
    assert values.dtype == mg.float32
    np.testing.assert_array_equal(values.numpy(), np.sort(x.astype(np.float32), axis=0))  # exact: no arithmetic
    ints = mg.tensor([[3, 1, 2], [0, 5, 5]], dtype=mg.int32, device=device)
    sorted_ints = ints.sort(descending=True)
    assert sorted_ints.values.dtype == mg.int32 and not sorted_ints.values.requires_grad
    np.testing.assert_array_equal(sorted_ints.values.numpy(), [[3, 2, 1], [5, 5, 0]])
    np.testing.assert_array_equal(sorted_ints.indices.numpy(), [[0, 2, 1], [1, 2, 0]])
    flags = mg.tensor([True, False, True], device=device).sort()
    np.testing.assert_array_equal(flags.values.numpy(), [False, True, True])
    np.testing.assert_array_equal(flags.indices.numpy(), [1, 0, 2])
    scalar = mg.tensor(2.5, requires_grad=True, device=device)
    values, indices = scalar.sort()
    assert values.shape == () and values.item() == 2.5 and indices.shape == () and indices.item() == 0
    assert scalar.topk(1).values.item() == 2.5 and scalar.argsort().item() == 0
    empty = mg.zeros(3, 0, device=device).sort(dim=0)
    assert empty.values.shape == (3, 0) and empty.indices.shape == (3, 0)
    assert mg.zeros(3, 4, device=device).topk(0).values.shape == (3, 0)


def test_sort_of_a_transposed_tensor_equals_the_contiguous_copy(rng, device):
    x = rng.standard_normal((4, 6))
    t = mg.tensor(x, requires_grad=True, device=device).t()
    np.testing.assert_array_equal(t.sort(1).values.detach().numpy(), np.sort(x.T, axis=1))
    assert mg.gradcheck(lambda a: a.t().topk(2, 1).values, [mg.tensor(x, requires_grad=True, device=device)])


def test_sort_and_topk_refuse_bad_arguments(device):
    t = mg.randn(2, 3, device=device)
    with pytest.raises(RuntimeError, match="k=4 is out of range .* size 3"):
        t.topk(4)
    with pytest.raises(RuntimeError, match="k=-1 is out of range"):
        t.topk(-1)
    with pytest.raises(RuntimeError, match="k=3 is out of range .* size 2"):
        t.topk(3, dim=0)
    with pytest.raises(TypeError, match="topk's k must be an int, got float"):
        t.topk(1.5)
    with pytest.raises(TypeError, match="topk's k must be an int, got bool"):
        t.topk(True)
    with pytest.raises(IndexError, match="dim 2 is out of range"):
        t.sort(dim=2)
    with pytest.raises(IndexError, match="dim -3 is out of range"):
        t.argsort(dim=-3)
    with pytest.raises(IndexError, match="dim 1 is out of range"):
        mg.tensor(1.0, device=device).sort(dim=1)
    with pytest.raises(TypeError, match="sort's descending must be a bool"):
        t.sort(0, 1)
    with pytest.raises(TypeError, match="argsort's stable must be a bool"):
        t.argsort(stable="yes")
    with pytest.raises(TypeError, match="topk's largest must be a bool"):
        t.topk(1, 0, None)
    with pytest.raises(TypeError, match="expects a Tensor"):
        mg.sort([3.0, 1.0])


# ---- cumsum / cumprod ------------------------------------------------------------------------------
RUNNING_CASES = [((5,), 0), ((3, 4), 1), ((3, 4), 0), ((2, 3, 4), -2)]


@pytest.mark.parametrize("shape, dim", RUNNING_CASES, ids=str)
def test_cumsum_matches_reference_and_gradcheck(shape, dim, rng, device):
    x = rng.standard_normal(shape)
    t = mg.tensor(x, requires_grad=True, device=device)
    rows, restore = _rows(x, dim)
    expected = restore([[sum(row[:i + 1]) for i in range(len(row))] for row in rows])
    np.testing.assert_allclose(t.cumsum(dim).detach().numpy(), expected, rtol=1e-12, atol=1e-12)
    assert mg.gradcheck(lambda a: a.cumsum(dim), [t])
    g = rng.standard_normal(shape)
    t.cumsum(dim).backward(mg.tensor(g, device=device))
    grows, _ = _rows(g, dim)  # the reverse cumsum of the gradient, written out
    np.testing.assert_allclose(t.grad.numpy(), restore([[sum(row[i:]) for i in range(len(row))] for row in grows]),
                               rtol=1e-12, atol=1e-12)
    single = mg.tensor(x, dtype=mg.float32, device=device).cumsum(dim)
    assert single.dtype == mg.float32
    np.testing.assert_allclose(single.numpy(), expected, rtol=1e-5, atol=1e-5)  # float32: within 1e-5


@pytest.mark.parametrize("shape, dim", RUNNING_CASES, ids=str)
def test_cumprod_matches_reference_and_gradcheck_with_and_without_zeros(shape, dim, rng, device):
    x = rng.standard_normal(shape)
    t = mg.tensor(x, requires_grad=True, device=device)
    np.testing.assert_allclose(t.cumprod(dim).detach().numpy(), np.cumprod(x, axis=dim), rtol=1e-12)
    assert mg.gradcheck(lambda a: a.cumprod(dim), [t])
    single = mg.tensor(x, dtype=mg.float32, device=device).cumprod(dim)
    assert single.dtype == mg.float32
    np.testing.assert_allclose(single.numpy(), np.cumprod(x, axis=dim), rtol=1e-5, atol=1e-6)
    x[rng.random(shape) < 0.35] = 0.0
    x.reshape(-1)[:2] = 0.0  # at least two zeros, in a row or two rows
    g = rng.standard_normal(shape)
    t = mg.tensor(x, requires_grad=True, device=device)
    t.cumprod(dim).backward(mg.tensor(g, device=device))
    np.testing.assert_allclose(t.grad.numpy(), reference_cumprod_grad(x, g, dim), rtol=1e-12, atol=1e-12)
    assert mg.gradcheck(lambda a: a.cumprod(dim), [mg.tensor(x, requires_grad=True, device=device)])


def test_cumprod_gradient_at_first_second_and_later_zeros(device):
    x = [2.0, 0.0, 3.0, 0.0, 5.0]
    t = mg.tensor(x, dtype=mg.float64, requires_grad=True, device=device)
    t.cumprod(0).sum().backward()
    # outputs: 2, 0, 0, 0, 0. d/dx0 = 1; d/dx1 = 2 + 2*3 = 8 (the zero itself); after it, only outputs
    # that also hold x1 = 0 remain except d/dx3, which still multiplies x1: all 0.
    np.testing.assert_array_equal(t.grad.numpy(), [1.0, 8.0, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(t.grad.numpy(), reference_cumprod_grad(np.array(x), np.ones(5), 0))


def test_running_ops_integer_dtypes_zero_dim_and_dtype_argument(device):
    ints = mg.tensor([1, 2, 3], dtype=mg.int32, device=device)
    assert ints.cumsum(0).dtype == mg.int64 and ints.cumprod(0).dtype == mg.int64
    np.testing.assert_array_equal(ints.cumsum(0).numpy(), [1, 3, 6])
    np.testing.assert_array_equal(ints.cumprod(0).numpy(), [1, 2, 6])
    flags = mg.tensor([True, False, True], device=device)
    assert flags.cumsum(0).dtype == mg.int64
    np.testing.assert_array_equal(flags.cumsum(0).numpy(), [1, 1, 2])
    converted = ints.cumsum(0, dtype=mg.float64)
    assert converted.dtype == mg.float64
    np.testing.assert_array_equal(converted.numpy(), [1.0, 3.0, 6.0])
    scalar = mg.tensor(3.0, dtype=mg.float64, requires_grad=True, device=device)
    assert scalar.cumsum(0).shape == () and scalar.cumprod(-1).item() == 3.0
    assert mg.gradcheck(lambda a: a.cumprod(0), [scalar]) and mg.gradcheck(lambda a: a.cumsum(-1), [scalar])
    np.testing.assert_array_equal(mg.cumsum(mg.tensor([[1.0, 2.0]], device=device), dim=1).numpy(), [[1.0, 3.0]])
    assert mg.zeros(0, 3, device=device).cumprod(0).shape == (0, 3)


def test_running_ops_refuse_bad_arguments(device):
    t = mg.randn(2, 3, device=device)
    with pytest.raises(TypeError):
        t.cumsum()  # dim is required, as torch
    with pytest.raises(IndexError, match="dim 2 is out of range"):
        t.cumsum(2)
    with pytest.raises(IndexError, match="dim -3 is out of range"):
        t.cumprod(-3)
    with pytest.raises(TypeError, match="dim must be an int"):
        t.cumsum(1.0)
    with pytest.raises(TypeError, match="unknown dtype"):
        t.cumsum(0, dtype="complex-ish")


# ---- flip / roll / tril / triu -------------------------------------------------------------------
REARRANGE_CASES = {
    "flip(0)": (lambda a: a.flip(0), lambda x: x[::-1], (3, 4)),
    "flip(0, 1)": (lambda a: a.flip(0, 1), lambda x: x[::-1, ::-1], (3, 4)),
    "flip([-1])": (lambda a: a.flip([-1]), lambda x: x[..., ::-1], (2, 3, 4)),
    "flip(dims=(0, 2))": (lambda a: a.flip(dims=(0, 2)), lambda x: x[::-1, :, ::-1], (2, 3, 4)),
    "flip(())": (lambda a: a.flip(()), lambda x: x, (2, 3)),
    "mg.flip(x, (1,))": (lambda a: mg.flip(a, (1,)), lambda x: x[:, ::-1], (2, 3)),
    "roll(2)": (lambda a: a.roll(2), lambda x: reference_roll(x.reshape(-1), [2], [0]).reshape(x.shape), (3, 4)),
    "roll(-1)": (lambda a: a.roll(-1), lambda x: reference_roll(x.reshape(-1), [-1], [0]).reshape(x.shape), (3, 4)),
    "roll(1, 0)": (lambda a: a.roll(1, 0), lambda x: reference_roll(x, [1], [0]), (3, 4)),
    "roll(5, -1)": (lambda a: a.roll(5, -1), lambda x: reference_roll(x, [5], [1]), (3, 4)),
    "roll((1, -2), (0, 2))": (lambda a: a.roll((1, -2), (0, 2)), lambda x: reference_roll(x, [1, -2], [0, 2]), (2, 3, 4)),
    "roll((1, 1), (1, 1))": (lambda a: a.roll((1, 1), (1, 1)), lambda x: reference_roll(x, [2], [1]), (2, 3)),
    "mg.roll(x, shifts=1, dims=1)": (lambda a: mg.roll(a, shifts=1, dims=1), lambda x: reference_roll(x, [1], [1]), (2, 3)),
    "tril()": (lambda a: a.tril(), lambda x: reference_triangle(x, 0, False), (4, 4)),
    "tril(1) wide": (lambda a: a.tril(1), lambda x: reference_triangle(x, 1, False), (3, 5)),
    "tril(-1) batched": (lambda a: a.tril(-1), lambda x: reference_triangle(x, -1, False), (2, 4, 3)),
    "tril(-9)": (lambda a: a.tril(-9), lambda x: reference_triangle(x, -9, False), (3, 4)),
    "triu()": (lambda a: a.triu(), lambda x: reference_triangle(x, 0, True), (4, 4)),
    "triu(2) tall": (lambda a: a.triu(2), lambda x: reference_triangle(x, 2, True), (5, 3)),
    "triu(-1) batched": (lambda a: a.triu(-1), lambda x: reference_triangle(x, -1, True), (2, 2, 3, 4)),
    "mg.triu(x, diagonal=1)": (lambda a: mg.triu(a, diagonal=1), lambda x: reference_triangle(x, 1, True), (3, 3)),
    "mg.tril(x, 0) of a transpose": (lambda a: mg.tril(a.mT, 0), lambda x: reference_triangle(np.swapaxes(x, -1, -2), 0, False), (3, 4)),
}


@pytest.mark.parametrize("case", sorted(REARRANGE_CASES))
def test_rearranging_ops_match_reference_and_gradcheck(case, rng, device):
    function, reference, shape = REARRANGE_CASES[case]
    x = rng.standard_normal(shape)
    t = mg.tensor(x, requires_grad=True, device=device)
    np.testing.assert_array_equal(function(t).detach().numpy(), reference(x))
    assert mg.gradcheck(function, [t])
    single = function(mg.tensor(x, dtype=mg.float32, device=device))
    assert single.dtype == mg.float32
    np.testing.assert_array_equal(single.numpy(), reference(x.astype(np.float32)))  # exact: no arithmetic
    ints = function(mg.tensor(np.arange(x.size).reshape(shape), device=device))
    assert ints.dtype == mg.int64 and not ints.requires_grad
    np.testing.assert_array_equal(ints.numpy(), reference(np.arange(x.size).reshape(shape)))


def test_flip_returns_a_copy_and_zero_dim_tensors_pass_through(device):
    t = mg.tensor([1.0, 2.0, 3.0], device=device)
    flipped = t.flip(0)
    flipped[0] = 10.0  # a copy, as torch: the input is unchanged
    np.testing.assert_array_equal(t.numpy(), [1.0, 2.0, 3.0])
    scalar = mg.tensor(4.0, device=device)
    assert scalar.flip(0).item() == 4.0 and scalar.roll(3).item() == 4.0
    for flipped in (scalar.flip(0), scalar.flip(())):  # still 0-d (np.ascontiguousarray makes 0-d arrays 1-d)
        assert flipped.shape == ()
    leaf = mg.tensor(4.0, dtype=mg.float64, requires_grad=True, device=device)
    (leaf.flip(0) * 3).backward()
    assert leaf.grad.shape == () and leaf.grad.item() == 3.0
    assert mg.zeros(0, 3, device=device).roll(1).shape == (0, 3)
    mask = mg.ones(3, 3, dtype=mg.bool, device=device).tril()
    assert mask.dtype == mg.bool
    np.testing.assert_array_equal(mask.numpy(), np.tri(3, dtype=bool))


def test_flip_roll_and_triangles_refuse_bad_arguments(device):
    t = mg.randn(2, 3, device=device)
    with pytest.raises(RuntimeError, match="dim 0 appears more than once"):
        t.flip(0, 0)
    with pytest.raises(RuntimeError, match=r"dim 1 appears more than once in dims \(1, -1\)"):
        t.flip((1, -1))
    with pytest.raises(IndexError, match="dim 2 is out of range"):
        t.flip(2)
    with pytest.raises(TypeError, match="flip takes dims"):
        t.flip(0, dims=1)
    with pytest.raises(RuntimeError, match="shifts and dims must align, got 2 shifts"):
        t.roll((1, 2), 0)
    with pytest.raises(RuntimeError, match="shifts and dims must align, got 1 shifts"):
        t.roll(1, (0, 1))
    with pytest.raises(RuntimeError, match="without dims the flattened tensor is rolled by one shift"):
        t.roll((1, 2))
    with pytest.raises(RuntimeError, match="without dims"):
        t.roll(())
    with pytest.raises(TypeError, match="roll's shifts must be an int, got float"):
        t.roll(1.5, 0)
    with pytest.raises(IndexError, match="dim 2 is out of range"):
        t.roll(1, 2)
    with pytest.raises(TypeError, match="flip\\(\\) missing 1 required argument: 'dims'"):
        t.flip()
    with pytest.raises(TypeError, match="missing 1 required argument: 'dims'"):
        mg.flip(t)


@pytest.mark.parametrize("dim", [0, -1, 1, (0,)], ids=str)
def test_rolling_a_0d_tensor_along_a_dim_is_an_error_as_in_torch(dim, device):
    """torch: "Dimension specified as 0 but tensor has no dimensions" for every dim (dims=None rolls it)."""
    t = mg.tensor(1.5, device=device)
    with pytest.raises(IndexError, match=r"roll: dim specified as -?\d but the tensor has no dimensions"):
        t.roll(1, dim)
    assert t.roll(3).item() == 1.5
    with pytest.raises(RuntimeError, match="tril: expects a tensor with at least 2 dims.*shape \\(3,\\)"):
        mg.randn(3, device=device).tril()
    with pytest.raises(RuntimeError, match="triu: expects a tensor with at least 2 dims"):
        mg.tensor(1.0, device=device).triu()
    with pytest.raises(TypeError, match="tril's diagonal must be an int, got float"):
        t.tril(0.5)
