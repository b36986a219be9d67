"""gather, scatter, scatter_add, index_select, take_along_dim, masked_select, nonzero, unbind: float64
references written with explicit loops, gradcheck, float32, torch's refusals, every backend.

float32: these ops copy entries, so float32 results equal the float64 reference rounded to float32
exactly; only scatter_add adds, and is compared with rtol=1e-6."""
import numpy as np
import pytest

import minigrad as mg

from .torch_index_cases import CASES as TORCH_INDEX_CASES


def assert_same(result, expected, dtype=None):
    """Shape, dtype and values (assert_array_equal alone would broadcast a () against a (1,))."""
    expected = np.asarray(expected)
    assert result.shape == expected.shape, (result.shape, expected.shape)
    assert result.dtype == (dtype or expected.dtype)
    np.testing.assert_array_equal(result.detach().numpy(), expected)


def gather_reference(x, dim, index):
    x, index = np.atleast_1d(x), np.asarray(index)
    index1 = np.atleast_1d(index)
    out = np.empty(index1.shape, x.dtype)
    for position in np.ndindex(*index1.shape):
        source = list(position)
        source[dim] = index1[position]
        out[position] = x[tuple(source)]
    return out.reshape(index.shape)


def scatter_reference(x, dim, index, src, add=False):
    out = np.array(x, copy=True)
    for position in np.ndindex(*index.shape):
        target = list(position)
        target[dim] = index[position]
        value = src[position] if np.ndim(src) else src
        out[tuple(target)] = out[tuple(target)] + value if add else value
    return out


def index(values, device="cpu", dtype="int64"):
    return mg.tensor(np.asarray(values), dtype=dtype, device=device)


# ---- gather ---------------------------------------------------------------------------------------
GATHER_CASES = {
    "dim 1, repeats": ((3, 4), 1, [[0, 3, 3], [1, 1, 0]]),
    "dim 0, index smaller on dim 1": ((3, 4), 0, [[2, 0], [2, 2], [1, 0], [0, 0]]),
    "dim -1, one column": ((3, 4), -1, [[0], [3], [2]]),
    "3-d, dim 1": ((2, 3, 2), 1, [[[2, 0], [0, 0], [1, 2], [2, 2]], [[1, 1], [0, 2], [2, 1], [0, 0]]]),
    "0-d input, 1-d index": ((), 0, [0, 0, 0]),
    "1-d input, 0-d index": ((3,), 0, 2),
    "empty index": ((3, 4), 1, np.zeros((0, 2), dtype=np.int64)),
}


@pytest.mark.parametrize("case", sorted(GATHER_CASES))
def test_gather_matches_a_reference_and_gradcheck(case, rng, device):
    shape, dim, positions = GATHER_CASES[case]
    x, positions = rng.standard_normal(shape), np.asarray(positions)
    t = mg.tensor(x, requires_grad=True, device=device)
    i = index(positions, device)
    ref_dim = dim % max(len(shape), 1)
    assert_same(t.gather(dim, i), gather_reference(x, ref_dim, positions))
    assert_same(mg.gather(t, dim, i), gather_reference(x, ref_dim, positions))
    assert mg.gradcheck(lambda a: a.gather(dim, i), [t])
    x32 = mg.tensor(x, dtype="float32", device=device)
    assert_same(x32.gather(dim, i), gather_reference(x, ref_dim, positions).astype(np.float32))
    assert_same(x32.gather(dim, index(positions, device, "int32")), gather_reference(x, ref_dim, positions).astype(np.float32))


def test_gather_adds_the_gradients_of_repeated_indices(device):
    x = mg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True, device=device)
    y = x.gather(1, index([[0, 0, 2], [1, 1, 1]], device))
    assert_same(y, [[1.0, 1.0, 3.0], [5.0, 5.0, 5.0]], np.float32)
    y.backward(mg.tensor([[1.0, 10.0, 100.0], [1.0, 2.0, 4.0]], device=device))
    assert_same(x.grad, [[11.0, 0.0, 100.0], [0.0, 7.0, 0.0]], np.float32)
    assert y.grad_fn.name() == "GatherBackward"


def test_gather_of_integers_has_no_grad(device):
    y = index([[5, 6], [7, 8]], device).gather(0, index([[1, 0]], device))
    assert_same(y, [[7, 6]])
    assert not y.requires_grad


def test_gather_refuses_what_torch_refuses():
    x = mg.randn(3, 4)
    with pytest.raises(RuntimeError, match="index 4 is out of bounds for dimension 1 with size 4"):
        x.gather(1, index([[0, 4]]))
    with pytest.raises(RuntimeError, match="index -1 is out of bounds for dimension 1"):
        x.gather(1, index([[0, -1]]))
    with pytest.raises(RuntimeError, match="expected an int64 .* index, got dtype float32"):
        x.gather(1, mg.tensor([[0.0, 1.0]]))
    with pytest.raises(RuntimeError, match="index of shape \\(2,\\) must have as many dims as input"):
        x.gather(1, index([0, 1]))
    with pytest.raises(RuntimeError, match="larger than input of shape \\(3, 4\\) at dim 0"):
        x.gather(1, mg.zeros(4, 1, dtype=mg.long))
    with pytest.raises(IndexError, match="dim 2 is out of range"):
        x.gather(2, index([[0]]))
    with pytest.raises(TypeError, match="index must be an integer Tensor, got list"):
        x.gather(1, [[0]])


# ---- scatter and scatter_add ----------------------------------------------------------------------
SCATTER_CASES = {  # no repeated positions: torch's scatter is nondeterministic there
    "dim 0": ((3, 4), 0, [[0, 1, 2], [2, 0, 1]], (2, 3)),
    "dim 1, src larger than index": ((3, 4), 1, [[3, 0], [1, 2]], (2, 3)),
    "dim -1, 3-d": ((2, 2, 3), -1, [[[2, 0], [1, 2]], [[0, 1], [2, 1]]], (2, 2, 2)),
    "0-d self": ((), 0, [0], (1,)),
}


@pytest.mark.parametrize("case", sorted(SCATTER_CASES))
def test_scatter_matches_a_reference_and_gradcheck(case, rng, device):
    shape, dim, positions, src_shape = SCATTER_CASES[case]
    x, s, positions = rng.standard_normal(shape), rng.standard_normal(src_shape), np.asarray(positions)
    tx = mg.tensor(x, requires_grad=True, device=device)
    ts = mg.tensor(s, requires_grad=True, device=device)
    i = index(positions, device)
    ref_dim = dim % max(len(shape), 1)
    expected = scatter_reference(np.atleast_1d(x), ref_dim, positions, s).reshape(shape)
    assert_same(tx.scatter(dim, i, ts), expected)
    assert_same(mg.scatter(tx, dim, i, ts), expected)
    assert mg.gradcheck(lambda a, b: a.scatter(dim, i, b), [tx, ts])
    assert_same(tx.scatter(dim, i, 0.5), scatter_reference(np.atleast_1d(x), ref_dim, positions, 0.5).reshape(shape))
    assert mg.gradcheck(lambda a: a.scatter(dim, i, value=-2.0), [tx])
    x32, s32 = mg.tensor(x, dtype="float32", device=device), mg.tensor(s, dtype="float32", device=device)
    assert_same(x32.scatter(dim, i, s32), expected.astype(np.float32))


def test_scatter_gradients_zero_the_overwritten_entries_and_gather_for_src(device):
    x = mg.zeros(3, 4, dtype=mg.float64, requires_grad=True, device=device)
    src = mg.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, device=device)
    y = x.scatter(0, index([[0, 1, 2]], device), src)
    assert_same(y, [[0, 0, 0, 0], [0, 1, 0, 0], [0, 0, 2, 0]], np.float64)
    y.backward(mg.tensor(np.arange(12.0).reshape(3, 4) + 1, device=device))
    assert_same(x.grad, [[0, 2, 3, 4], [5, 0, 7, 8], [9, 10, 0, 12]], np.float64)
    assert_same(src.grad, [[1, 6, 11], [0, 0, 0]], np.float64)  # row 1 of src is never read


def test_scatter_keeps_the_last_write_in_c_order_on_cpu():
    # documented minigrad behaviour (torch leaves the winner unspecified); cpu only
    y = mg.zeros(2, 3).scatter(1, index([[0, 0, 0], [2, 1, 2]]), mg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
    assert_same(y, [[3, 0, 0], [0, 5, 6]], np.float32)


def test_scatter_of_a_value_takes_the_tensors_dtype(device):
    y = index([[1, 2], [3, 4]], device).scatter(1, index([[1], [0]], device), 5.9)
    assert_same(y, [[1, 5], [5, 4]])  # a float value into an int64 tensor truncates, as torch
    x = mg.zeros(2, 2, dtype=mg.float64, device=device)
    assert_same(x.scatter(0, index([[1, 0]], device), value=3), [[0, 3], [3, 0]], np.float64)
    mask = mg.zeros(2, 3, dtype=mg.bool, device=device).scatter(1, index([[2], [0]], device), True)
    assert_same(mask, [[False, False, True], [True, False, False]])
    with pytest.raises(TypeError, match="src must be a Tensor or a number, got str"):
        x.scatter(0, index([[1, 0]], device), "1")


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_scatter_add_sums_repeated_positions_and_gradchecks(dim, rng, device):
    x, s = rng.standard_normal((3, 4)), rng.standard_normal((3, 5))
    positions = np.array([[0, 2, 2, 0], [2, 2, 2, 1], [0, 0, 1, 0]])  # repeats on both dims
    tx = mg.tensor(x, requires_grad=True, device=device)
    ts = mg.tensor(s, requires_grad=True, device=device)
    i = index(positions[:, :3] if dim == 0 else positions, device)
    expected = scatter_reference(x, dim % 2, i.numpy(), s, add=True)
    result = tx.scatter_add(dim, i, ts)
    assert result.dtype == np.float64
    np.testing.assert_allclose(result.detach().numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(mg.scatter_add(tx, dim, i, ts).detach().numpy(), expected, rtol=1e-12)
    assert mg.gradcheck(lambda a, b: a.scatter_add(dim, i, b), [tx, ts])
    r32 = mg.tensor(x, dtype="float32", device=device).scatter_add(dim, i, mg.tensor(s, dtype="float32", device=device))
    assert r32.dtype == np.float32
    np.testing.assert_allclose(r32.numpy(), expected, rtol=1e-6, atol=1e-6)


def test_scatter_add_gradients_are_full_for_self_and_gathered_for_src(device):
    x = mg.zeros(2, 3, dtype=mg.float64, requires_grad=True, device=device)
    src = mg.ones(1, 4, dtype=mg.float64, requires_grad=True, device=device)
    y = x.scatter_add(1, index([[0, 0, 2]], device), src)
    assert_same(y, [[2, 0, 1], [0, 0, 0]], np.float64)
    gy = np.arange(6.0).reshape(2, 3) + 1
    y.backward(mg.tensor(gy, device=device))
    assert_same(x.grad, gy)
    assert_same(src.grad, [[1, 1, 3, 0]], np.float64)


def test_scatter_and_scatter_add_refuse_what_torch_refuses():
    x, i = mg.zeros(3, 4), index([[0, 1, 2]])
    with pytest.raises(RuntimeError, match="src of dtype float64 must have the dtype of self, float32"):
        x.scatter(0, i, mg.zeros(1, 3, dtype=mg.float64))
    with pytest.raises(RuntimeError, match="larger than self of shape \\(3, 4\\) at dim 1"):
        x.scatter(0, index([[0, 1, 2, 0, 1]]), mg.zeros(1, 5))
    with pytest.raises(RuntimeError, match="larger than src of shape \\(1, 2\\) at dim 1"):
        x.scatter_add(0, i, mg.zeros(1, 2))
    with pytest.raises(RuntimeError, match="scatter_add\\(\\): index 3 is out of bounds for dimension 0 with size 3"):
        x.scatter_add(0, index([[3]]), mg.zeros(1, 1))
    with pytest.raises(RuntimeError, match="index -1 is out of bounds"):
        x.scatter(1, index([[-1]]), 1.0)
    with pytest.raises(RuntimeError, match="must have as many dims as self"):
        x.scatter(0, index([0]), mg.zeros(1, 2))
    with pytest.raises(RuntimeError, match="int64 .* index, got dtype bool"):
        x.scatter(0, mg.tensor([[True]]), 1.0)
    with pytest.raises(TypeError, match="src must be a Tensor, got float"):
        x.scatter_add(0, i, 5.0)
    with pytest.raises(TypeError, match="needs src"):
        x.scatter(0, i)
    with pytest.raises(TypeError, match="src or value, not both"):
        x.scatter(0, i, mg.zeros(1, 3), value=1.0)


# ---- index_select ---------------------------------------------------------------------------------
@pytest.mark.parametrize("dim, positions", [(0, [2, 0, 2]), (1, [3, 1]), (-1, [0, 0, 0, 1]), (1, 2), (0, [])],
                         ids=str)
def test_index_select_matches_numpy_take_and_gradchecks(dim, positions, rng, device):
    x, positions = rng.standard_normal((3, 4, 2)), np.asarray(positions, dtype=np.int64)
    t = mg.tensor(x, requires_grad=True, device=device)
    i = index(positions, device)
    expected = np.take(x, positions.reshape(-1), axis=dim)  # a 0-d index keeps the dim (size 1)
    assert_same(t.index_select(dim, i), expected)
    assert_same(mg.index_select(t, dim, index(positions, device, "int32")), expected)
    assert mg.gradcheck(lambda a: a.index_select(dim, i), [t])
    assert_same(mg.tensor(x, dtype="float32", device=device).index_select(dim, i), expected.astype(np.float32))


def test_index_select_adds_the_gradients_of_repeated_indices(device):
    x = mg.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True, device=device)
    y = x.index_select(0, index([2, 0, 2, 2], device))
    assert_same(y, [[5, 6], [1, 2], [5, 6], [5, 6]], np.float32)
    y.sum().backward()
    assert_same(x.grad, [[1, 1], [0, 0], [3, 3]], np.float32)
    assert_same(mg.tensor(7.0).index_select(0, index([0])), 7.0, np.float32)


def test_index_select_gradient_goes_to_the_rows_read_when_index_changes_before_backward(device):
    x = mg.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True, device=device)
    i = index([0, 1], device)
    y = x.index_select(0, i)
    with mg.no_grad():
        i[0] = 2
    y.sum().backward()
    assert_same(x.grad, [[1, 1], [1, 1], [0, 0]], np.float32)


def test_index_select_refuses_what_torch_refuses():
    with pytest.raises(IndexError, match="a 0-d tensor takes an index of one value, got 2"):
        mg.tensor(7.0).index_select(0, index([0, 0]))
    x = mg.randn(3, 4)
    with pytest.raises(IndexError, match="index 4 is out of bounds for dimension 1 with size 4"):
        x.index_select(1, index([0, 4]))
    with pytest.raises(IndexError, match="index -1 is out of bounds"):
        x.index_select(1, index([0, -1]))
    with pytest.raises(IndexError, match="must be 1-D \\(or 0-d\\), got shape \\(1, 2\\)"):
        x.index_select(1, index([[0, 1]]))
    with pytest.raises(RuntimeError, match="int64 .* index, got dtype float32"):
        x.index_select(1, mg.tensor([1.0]))
    with pytest.raises(IndexError, match="dim 2 is out of range"):
        x.index_select(2, index([0]))


# ---- take_along_dim -------------------------------------------------------------------------------
def take_along_reference(x, indices, dim):
    shape = np.broadcast_shapes(x.shape[:dim] + (1,) + x.shape[dim + 1:],
                                indices.shape[:dim] + (1,) + indices.shape[dim + 1:])
    x = np.broadcast_to(x, shape[:dim] + (x.shape[dim],) + shape[dim + 1:])
    indices = np.broadcast_to(indices, shape[:dim] + (indices.shape[dim],) + shape[dim + 1:])
    out = np.empty(indices.shape)
    for position in np.ndindex(*indices.shape):
        source = list(position)
        source[dim] = indices[position] % x.shape[dim]  # negative indices count from the end
        out[position] = x[tuple(source)]
    return out


@pytest.mark.parametrize("x_shape, positions, dim", [
    ((3, 4), [[0, -1], [2, 3], [1, 1]], 1),
    ((3, 4), [[0], [2], [1]], -1),
    ((1, 4), [[0], [1]], 1),                     # input broadcast on dim 0
    ((3, 1), [[0, 0, 0, 0]], 0),                 # index broadcast on dim 1
    ((2, 3, 2), [[[1, 0]], [[2, -3]]], 1),
], ids=str)
def test_take_along_dim_broadcasts_and_gradchecks(x_shape, positions, dim, rng, device):
    x, positions = rng.standard_normal(x_shape), np.asarray(positions)
    t = mg.tensor(x, requires_grad=True, device=device)
    i = index(positions, device)
    expected = take_along_reference(x, positions, dim % len(x_shape))
    assert_same(mg.take_along_dim(t, i, dim), expected)
    assert_same(t.take_along_dim(i, dim=dim), expected)
    assert mg.gradcheck(lambda a: mg.take_along_dim(a, i, dim), [t])
    assert_same(mg.tensor(x, dtype="float32", device=device).take_along_dim(i, dim), expected.astype(np.float32))


def test_take_along_dim_without_dim_flattens_and_takes_argmax_indices(rng, device):
    x = rng.standard_normal((3, 4))
    t = mg.tensor(x, requires_grad=True, device=device)
    assert_same(mg.take_along_dim(t, index([11, 0, 5, -1], device)), x.reshape(-1)[[11, 0, 5, -1]])
    assert mg.gradcheck(lambda a: mg.take_along_dim(a, index([[1, 1], [4, 0]], device)), [t])
    top = t.take_along_dim(t.argmax(1, keepdim=True), 1)
    assert_same(top, x.max(axis=1, keepdims=True))


def test_take_along_dim_refuses_what_torch_refuses():
    x = mg.randn(3, 4)
    with pytest.raises(RuntimeError, match="index 4 is out of bounds for dimension 1 with size 4"):
        mg.take_along_dim(x, index([[0, 4]]), 1)
    with pytest.raises(RuntimeError, match="index -5 is out of bounds"):
        mg.take_along_dim(x, index([[-5]]), 1)
    with pytest.raises(RuntimeError, match="must have the same number of dims"):
        mg.take_along_dim(x, index([0, 1]), 1)
    with pytest.raises(RuntimeError, match="do not broadcast on the dims other than 1"):
        mg.take_along_dim(x, index([[0], [1]]), 1)
    with pytest.raises(RuntimeError, match="int64 .* index, got dtype float32"):
        mg.take_along_dim(x, mg.tensor([[0.0]]), 1)


# ---- masked_select --------------------------------------------------------------------------------
@pytest.mark.parametrize("x_shape, mask_shape", [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (3, 4)), ((), ())],
                         ids=str)
def test_masked_select_broadcasts_and_gradchecks(x_shape, mask_shape, rng, device):
    x, m = rng.standard_normal(x_shape), rng.random(mask_shape) > 0.4
    t = mg.tensor(x, requires_grad=True, device=device)
    mask = mg.tensor(m, device=device)
    shape = np.broadcast_shapes(x_shape, mask_shape)
    bx, bm = np.broadcast_to(x, shape), np.broadcast_to(m, shape)
    expected = np.array([bx[p] for p in np.ndindex(*shape) if bm[p]], dtype=np.float64)
    assert_same(t.masked_select(mask), expected)
    assert_same(mg.masked_select(t, mask), expected)
    assert mg.gradcheck(lambda a: a.masked_select(mask), [t])
    assert_same(mg.tensor(x, dtype="float32", device=device).masked_select(mask), expected.astype(np.float32))


def test_masked_select_sums_the_gradient_over_a_broadcast_input(device):
    x = mg.tensor([[1.0], [2.0]], requires_grad=True, device=device)
    y = x.masked_select(mg.tensor([[True, False, True], [False, False, True]], device=device))
    assert_same(y, [1.0, 1.0, 2.0], np.float32)
    y.backward(mg.tensor([1.0, 10.0, 100.0], device=device))
    assert_same(x.grad, [[11.0], [100.0]], np.float32)


def test_masked_select_refuses_a_mask_that_is_not_bool_or_does_not_broadcast():
    x = mg.randn(3, 4)
    with pytest.raises(RuntimeError, match="mask must be a bool tensor, got int64"):
        x.masked_select(index([1, 0, 1, 1]))
    with pytest.raises(RuntimeError, match="mask of shape \\(3,\\) and the tensor's shape \\(3, 4\\) do not broadcast"):
        x.masked_select(mg.tensor([True, False, True]))


# ---- nonzero --------------------------------------------------------------------------------------
@pytest.mark.parametrize("values", [
    [[0.0, 1.0], [2.0, float("nan")]], [[0, 3, 0], [0, 0, -1]], [True, False, True], 5, 0, np.zeros((2, 0, 3)),
], ids=str)
def test_nonzero_lists_indices_in_c_order(values, device):
    x = np.asarray(values)
    t = mg.tensor(x, device=device)
    found = [p for p in np.ndindex(*x.shape) if x[p] != 0]  # NaN != 0
    expected = np.array(found, dtype=np.int64).reshape(len(found), x.ndim)
    assert_same(t.nonzero(), expected)
    assert_same(mg.nonzero(t), expected)
    as_tuple = mg.nonzero(t, as_tuple=True)
    assert len(as_tuple) == max(x.ndim, 1)  # a 0-d tensor gives one 1-d tensor, as torch
    columns = expected.T if x.ndim else np.zeros((1, len(found)), dtype=np.int64)
    for got, column in zip(as_tuple, columns):
        assert_same(got, column)
    assert not t.nonzero().requires_grad


# ---- unbind ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_unbind_returns_views_and_gradchecks(dim, rng, device):
    x = rng.standard_normal((2, 3, 4))
    t = mg.tensor(x, requires_grad=True, device=device)
    pieces = t.unbind(dim)
    assert isinstance(pieces, tuple) and len(pieces) == x.shape[dim]
    for k, piece in enumerate(pieces):
        assert_same(piece, np.take(x, k, axis=dim))
        if device == "cpu":
            assert np.shares_memory(piece.data, t.data)
    assert len(mg.unbind(t, dim)) == x.shape[dim]
    weights = np.arange(1.0, x.shape[dim] + 1)
    assert mg.gradcheck(lambda a: sum(float(w) * p for w, p in zip(weights, a.unbind(dim))), [t])
    assert mg.tensor(x, dtype="float32", device=device).unbind(dim)[0].dtype == np.float32


def test_unbind_refuses_a_0d_tensor_and_a_bad_dim():
    with pytest.raises(IndexError, match="0-d tensor has no dimension"):
        mg.tensor(3.0).unbind()
    with pytest.raises(IndexError, match="dim 2 is out of range"):
        mg.zeros(2, 3).unbind(2)


# ---- t[index] and t[index] = v: torch's rule for ints mixed with index tensors ---------------------
class _IndexOf:
    def __getitem__(self, index):
        return index


def torch_case_index(expression, device):
    """The index that ``expression`` (a case of torch_index_cases) writes, its tensors on ``device``."""
    return eval(f"_[{expression}]", {"_": _IndexOf(), "T": lambda values: mg.tensor(values, device=device)})


def _case_id(case):
    return f"{case[0]}[{case[1]}]"


def _unique_positions(case):
    return len(set(case[3])) == len(case[3])


@pytest.mark.parametrize("case", TORCH_INDEX_CASES, ids=_case_id)
def test_getitem_matches_torch_and_its_gradient_adds_at_the_positions_read(case, device):
    shape, expression, result_shape, positions = case
    size, positions = int(np.prod(shape)), np.asarray(positions, dtype=np.int64)
    t = mg.arange(size, device=device).reshape(shape)
    assert_same(t[torch_case_index(expression, device)], np.reshape(positions, result_shape))
    values = np.random.default_rng(19).standard_normal(size)
    x = mg.tensor(values.reshape(shape), requires_grad=True, device=device)
    y = x[torch_case_index(expression, device)]
    assert_same(y, values[positions].reshape(result_shape))
    weights = np.arange(1.0, len(positions) + 1)
    y.backward(mg.tensor(weights.reshape(result_shape), device=device))
    expected = np.bincount(positions, weights, minlength=size)  # float64 reference
    np.testing.assert_allclose(x.grad.numpy(), expected.reshape(shape), rtol=1e-15)
    x32 = mg.tensor(values.reshape(shape), dtype="float32", device=device)
    assert_same(x32[torch_case_index(expression, device)], values.astype(np.float32)[positions].reshape(result_shape))


@pytest.mark.parametrize("case", [c for c in TORCH_INDEX_CASES if "T(" not in c[1] or c[3]][::4], ids=_case_id)
def test_getitem_with_torch_cases_gradchecks(case):
    x = mg.tensor(np.random.default_rng(0).standard_normal(case[0]), requires_grad=True)
    assert mg.gradcheck(lambda a: a[torch_case_index(case[1], "cpu")], [x])


@pytest.mark.parametrize("case", [c for c in TORCH_INDEX_CASES if _unique_positions(c)], ids=_case_id)
def test_setitem_writes_where_torch_reads_and_sends_gradients_to_both_sides(case, device):
    shape, expression, result_shape, positions = case
    size, positions = int(np.prod(shape)), np.asarray(positions, dtype=np.int64)
    source = mg.zeros(shape, dtype=mg.float64, device=device, requires_grad=True)
    written = np.arange(1.0, len(positions) + 1).reshape(result_shape)
    value = mg.tensor(written, requires_grad=True, device=device)
    target = source * 1
    target[torch_case_index(expression, device)] = value
    expected = np.zeros(size)
    expected[positions] = written.reshape(-1)
    assert_same(target, expected.reshape(shape))
    gradient = np.random.default_rng(1).standard_normal(size)
    target.backward(mg.tensor(gradient.reshape(shape), device=device))
    kept = gradient.copy()
    kept[positions] = 0  # the overwritten entries do not reach the output
    np.testing.assert_array_equal(source.grad.numpy(), kept.reshape(shape))
    np.testing.assert_array_equal(value.grad.numpy(), gradient[positions].reshape(result_shape))


def test_setitem_with_an_int_and_an_index_list_broadcasts_the_value_as_torch():
    t = mg.zeros(2, 3, 4)
    t[0, :, [1, 2]] = mg.tensor([10.0, 20.0])  # the indexed shape is (3, 2), as torch's
    expected = np.zeros((2, 3, 4))
    expected[0, :, 1], expected[0, :, 2] = 10, 20
    assert_same(t, expected.astype(np.float32))


def test_an_empty_index_list_selects_nothing_as_torch(device):
    x = mg.arange(12.0, device=device).reshape(3, 4).requires_grad_()
    picked = x[[]]
    assert_same(picked, np.zeros((0, 4), dtype=np.float32))
    picked.sum().backward()
    assert_same(x.grad, np.zeros((3, 4), dtype=np.float32))
    x = mg.arange(12.0, device=device).reshape(3, 4)
    x[[]] = 5.0
    assert_same(x, np.arange(12.0, dtype=np.float32).reshape(3, 4))


def test_a_list_written_by_index_keeps_the_tensor_s_precision(device):
    """x[i] = [...] reads the list in x's dtype (it went through float32 before: 0.1 became
    0.10000000149 in a float64 tensor); torch refuses lists here, NumPy reads them so."""
    x = mg.zeros(3, dtype=mg.float64, device=device)
    x[...] = [0.1, 0.2, 1e-320]
    assert x.tolist() == [0.1, 0.2, 1e-320]
    x[1:] = (0.3, 0.7)
    assert x.tolist() == [0.1, 0.3, 0.7]
    ints = mg.zeros(2, dtype=mg.int64, device=device)
    ints[...] = [2 ** 40, -3]
    assert ints.tolist() == [2 ** 40, -3] and ints.dtype == mg.int64
