import numpy as np
import pytest

import minigrad as mg


F32_RTOL = 1e-5  # float32 results against the float64 reference


def _t(array, device, dtype="float64", grad=False):
    return mg.tensor(np.asarray(array), dtype=dtype, requires_grad=grad, device=device)


def test_reshape_and_transpose_match_numpy_and_gradcheck(rng, device):
    x = rng.standard_normal((2, 3, 4))
    t = mg.tensor(x, requires_grad=True, device=device)
    np.testing.assert_array_equal(t.reshape(6, 4).detach().numpy(), x.reshape(6, 4))
    np.testing.assert_array_equal(t.reshape((4, -1)).detach().numpy(), x.reshape(4, -1))
    np.testing.assert_array_equal(t.permute(1, 0, 2).detach().numpy(), x.transpose(1, 0, 2))
    np.testing.assert_array_equal(t.T.detach().numpy(), x.T)
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
    np.testing.assert_array_equal(t[index].detach().numpy(), x[index])
    assert mg.gradcheck(lambda a: a[index], [t])
    assert mg.tensor(x, dtype="float32")[index].dtype == np.float32


def test_repeated_indices_add_their_gradients_and_tensor_indices_work():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[mg.tensor(np.array([0, 0, 2]))].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2, 0, 1])
    with pytest.raises(IndexError, match="integer or bool"):
        x[mg.tensor([0.0])]


@pytest.mark.parametrize("make_index", [
    lambda: mg.tensor([0, 1]), lambda: np.array([0, 1]), lambda: mg.tensor([True, True, False]),
], ids=["int tensor", "int array", "bool tensor"])
def test_an_index_changed_in_place_before_backward_does_not_move_the_gradient(make_index):
    # GetItem keeps the index for backward: it must keep the positions that forward read
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    index = make_index()
    y = x[index]
    data = index._data if isinstance(index, mg.Tensor) else index
    data[...] = data[::-1]  # [1, 0], or [False, True, True]
    y.backward(mg.tensor([1.0, 10.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [1, 10, 0])


def test_masked_select_gradient_stays_on_the_entries_read_when_the_mask_changes_before_backward():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    mask = mg.tensor([True, False, True])
    y = x.masked_select(mask)
    mask.data[...] = [False, True, True]
    y.backward(mg.tensor([1.0, 10.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [1, 0, 10])


# Each case: (Tensor function, float64 NumPy reference written out, input shape)
SHAPE_CASES = {
    "transpose(0, 1) swaps two dims": (lambda a: a.transpose(0, 1), lambda x: np.swapaxes(x, 0, 1), (2, 3, 4)),
    "transpose(-1, 0)": (lambda a: a.transpose(-1, 0), lambda x: np.swapaxes(x, -1, 0), (2, 3, 4)),
    "permute": (lambda a: a.permute(2, 0, 1), lambda x: x.transpose(2, 0, 1), (2, 3, 4)),
    "permute tuple": (lambda a: a.permute((1, 2, 0)), lambda x: x.transpose(1, 2, 0), (2, 3, 4)),
    "t": (lambda a: a.t(), lambda x: x.T, (2, 3)),
    "T reverses": (lambda a: a.T, lambda x: x.transpose(2, 1, 0), (2, 3, 4)),
    "mT": (lambda a: a.mT, lambda x: np.swapaxes(x, -1, -2), (2, 3, 4)),
    "view": (lambda a: a.view(4, -1), lambda x: x.reshape(4, 6), (2, 3, 4)),
    "flatten": (lambda a: a.flatten(), lambda x: x.reshape(-1), (2, 3, 4)),
    "flatten(1)": (lambda a: a.flatten(1), lambda x: x.reshape(2, 12), (2, 3, 4)),
    "flatten(0, 1)": (lambda a: a.flatten(0, 1), lambda x: x.reshape(6, 4), (2, 3, 4)),
    "unsqueeze(1)": (lambda a: a.unsqueeze(1), lambda x: x[:, None], (2, 3)),
    "unsqueeze(-1)": (lambda a: a.unsqueeze(-1), lambda x: x[..., None], (2, 3)),
    "squeeze()": (lambda a: a.squeeze(), lambda x: x.reshape(2, 3), (1, 2, 1, 3)),
    "squeeze(2)": (lambda a: a.squeeze(2), lambda x: x.reshape(1, 2, 3), (1, 2, 1, 3)),
    "squeeze(1) keeps a dim that is not 1": (lambda a: a.squeeze(1), lambda x: x, (1, 2, 1, 3)),
    "expand": (lambda a: a.expand(2, -1, 4), lambda x: np.broadcast_to(x, (2, 3, 4)), (3, 1)),
    "repeat": (lambda a: a.repeat(2, 1, 3), lambda x: np.tile(x, (2, 1, 3)), (2, 3)),
    "contiguous of a transpose": (lambda a: a.t().contiguous(), lambda x: np.ascontiguousarray(x.T), (2, 3)),
    "clone": (lambda a: a.clone(), lambda x: x.copy(), (2, 3)),
}


@pytest.mark.parametrize("case", sorted(SHAPE_CASES))
def test_shape_ops_match_numpy_and_gradcheck(case, rng, device):
    function, reference, shape = SHAPE_CASES[case]
    x = rng.standard_normal(shape)
    t = mg.tensor(x, requires_grad=True, device=device)
    result = function(t)
    np.testing.assert_array_equal(result.detach().numpy(), reference(x))
    assert mg.gradcheck(function, [t])
    assert function(mg.tensor(x, dtype="float32", device=device)).dtype == np.float32


def test_transpose_of_a_matrix_is_no_longer_the_identity():
    x = mg.tensor([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(x.transpose(0, 1).numpy(), [[1, 3], [2, 4]])
    np.testing.assert_array_equal(x.transpose(1, 1).numpy(), x.numpy())


@pytest.mark.parametrize("method, sizes", [("split", 2), ("split", [1, 3, 0]), ("chunk", 3)], ids=str)
def test_split_and_chunk_cover_the_dim_and_send_gradients_back(method, sizes, rng):
    x = rng.standard_normal((3, 4))
    t = mg.tensor(x, requires_grad=True)
    pieces = getattr(t, method)(sizes, dim=1)
    np.testing.assert_array_equal(np.concatenate([p.detach().numpy() for p in pieces], axis=1), x)
    weights = [np.arange(p.numel(), dtype=float).reshape(p.shape) for p in pieces]
    assert mg.gradcheck(lambda a: mg.cat([p * mg.tensor(w) for p, w in zip(getattr(a, method)(sizes, dim=1), weights)], 1), [t])


def test_split_and_chunk_sizes_as_torch():
    assert [p.shape[0] for p in mg.arange(5).split(2)] == [2, 2, 1]
    assert [p.shape[0] for p in mg.arange(5).chunk(3)] == [2, 2, 1]
    assert [p.shape[0] for p in mg.arange(6).chunk(4)] == [2, 2, 2]
    assert [p.shape[0] for p in mg.arange(2).chunk(5)] == [1, 1]
    assert [p.shape for p in mg.zeros(0).chunk(5)] == [(0,)] * 5  # an empty dim: `chunks` empty pieces
    assert [p.shape for p in mg.zeros(2, 0).chunk(3, 1)] == [(2, 0)] * 3
    assert [p.shape for p in mg.zeros(0).split(0)] == [(0,)]  # size 0 only on an empty dim
    with pytest.raises(ValueError, match="positive int \\(or 0 on a dim of size 0"):
        mg.zeros(3).split(0)


def test_view_shares_memory_and_refuses_non_contiguous_data():
    x = mg.arange(6.0)
    v = x.view(2, 3)
    assert np.shares_memory(v._data, x._data) and v.view_as(x).shape == (6,)
    assert mg.zeros(2, 3).reshape_as(mg.zeros(3, 2)).shape == (3, 2)
    with pytest.raises(RuntimeError, match="use .reshape"):
        v.t().view(6)
    np.testing.assert_array_equal(v.t().reshape(6).numpy(), [0, 3, 1, 4, 2, 5])


def test_expand_sums_gradients_over_the_broadcast_dims():
    x = mg.tensor([[1.0], [2.0]], requires_grad=True)
    x.expand(3, 2, 4).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[12], [12]])
    assert mg.zeros(3).expand_as(mg.zeros(2, 3)).shape == (2, 3)


def test_shape_ops_refuse_bad_arguments():
    x = mg.randn(2, 3)
    with pytest.raises(ValueError, match=r"size 6 into shape \(4,\s?2\)"):
        x.view(4, 2)
    with pytest.raises(ValueError, match="size 4 at dim 1 does not match"):
        x.expand(2, 4)
    with pytest.raises(ValueError, match="at least 2 sizes"):
        x.expand(3)
    with pytest.raises(ValueError, match="-1 is not allowed"):
        x.expand(-1, 2, 3)
    with pytest.raises(ValueError, match="at least 2 non-negative sizes"):
        x.repeat(2)
    with pytest.raises(IndexError, match="out of range"):
        x.transpose(0, 2)
    with pytest.raises(IndexError, match="out of range"):
        x.unsqueeze(3)
    with pytest.raises(ValueError, match="needs 2 dims"):
        x.permute(1, 0, 2)
    with pytest.raises(ValueError, match="at most 2 dims"):
        mg.randn(2, 3, 4).t()
    with pytest.raises(ValueError, match="add up to 3"):
        x.split([1, 1], dim=1)
    with pytest.raises(ValueError, match="positive"):
        x.chunk(0)
    with pytest.raises(ValueError, match="start_dim"):
        mg.randn(2, 3, 4).flatten(2, 1)
    with pytest.raises(TypeError, match="sizes must be ints"):
        x.reshape(2.0, 3)


def ref_diag(x, k):
    if x.ndim == 1:
        n = len(x) + abs(k)
        out = np.zeros((n, n), dtype=x.dtype)
        for i, v in enumerate(x):
            out[i + max(-k, 0), i + max(k, 0)] = v
        return out
    return np.array([x[i, i + k] for i in range(x.shape[0]) if 0 <= i + k < x.shape[1]], dtype=x.dtype)


# ---- shape: broadcast_to, narrow, movedim, swapaxes ----------------------------------------------
def test_broadcast_to_and_expand_as(rng, device):
    x = rng.normal(size=(3, 1))
    t = _t(x, device, grad=True)
    np.testing.assert_array_equal(mg.broadcast_to(t, (2, -1, 4)).detach().numpy(), np.broadcast_to(x, (2, 3, 4)))
    assert t.expand_as(_t(np.zeros((3, 5)), device)).shape == (3, 5)
    assert mg.gradcheck(lambda a: a.broadcast_to((2, 3, 4)), [t])
    with pytest.raises(ValueError, match="does not match"):
        t.broadcast_to((4, 2))


@pytest.mark.parametrize("dim, start, length", [(1, 1, 2), (1, -2, 2), (0, 0, 3), (-1, 4, 0), (0, -3, 1)])
def test_narrow_matches_slicing_and_gradcheck(dim, start, length, rng, device):
    x = rng.normal(size=(3, 4))
    t = _t(x, device, grad=True)
    begin = start % x.shape[dim] if start < 0 else start
    expected = x[(slice(None),) * (dim % 2) + (slice(begin, begin + length),)]
    np.testing.assert_array_equal(t.narrow(dim, start, length).detach().numpy(), expected)
    np.testing.assert_array_equal(mg.narrow(t, dim, mg.tensor(start), length).detach().numpy(), expected)
    assert mg.gradcheck(lambda a: a.narrow(dim, start, length), [t])


def test_narrow_refuses_bad_input(device):
    t = _t(np.ones((3, 4)), device)
    with pytest.raises(IndexError, match=r"start out of range \(expected to be in range of \[-4, 4\], but got 5\)"):
        t.narrow(1, 5, 0)
    with pytest.raises(RuntimeError, match=r"start \(2\) \+ length \(3\) exceeds dimension size \(4\)"):
        t.narrow(1, 2, 3)
    with pytest.raises(RuntimeError, match="length must be non-negative"):
        t.narrow(1, 0, -1)
    with pytest.raises(IndexError, match="out of range"):
        t.narrow(2, 0, 1)
    with pytest.raises(RuntimeError, match="0-dim"):
        _t(1.0, device).narrow(0, 0, 1)
    with pytest.raises(TypeError, match="start must be an int"):
        t.narrow(1, 1.0, 2)


@pytest.mark.parametrize("source, destination", [(0, -1), ((0, 1), (2, 0)), ([2], [0]), ((0, 1, 2), (1, 2, 0)),
                                                 ((), ())])
def test_movedim_matches_numpy_and_gradcheck(source, destination, rng, device):
    x = rng.normal(size=(2, 3, 4))
    t = _t(x, device, grad=True)
    expected = np.moveaxis(x, source, destination)
    np.testing.assert_array_equal(mg.movedim(t, source, destination).detach().numpy(), expected)
    np.testing.assert_array_equal(t.moveaxis(source, destination).detach().numpy(), expected)
    assert mg.gradcheck(lambda a: a.movedim(source, destination), [t])


def test_movedim_refuses_bad_input(device):
    t = _t(np.ones((2, 3, 4)), device)
    with pytest.raises(RuntimeError, match="must name as many dims"):
        t.movedim((0, 1), (2,))
    with pytest.raises(RuntimeError, match="repeated dim in source"):
        t.movedim((0, 0), (2, 1))
    with pytest.raises(RuntimeError, match="repeated dim in destination"):
        t.movedim((0, 1), (2, -1))
    with pytest.raises(IndexError, match="out of range"):
        t.movedim(3, 0)


def test_swapaxes_and_swapdims_are_transpose(rng, device):
    x = rng.normal(size=(2, 3, 4))
    t = _t(x, device, grad=True)
    np.testing.assert_array_equal(mg.swapaxes(t, 0, 2).detach().numpy(), np.swapaxes(x, 0, 2))
    np.testing.assert_array_equal(t.swapdims(-1, 1).detach().numpy(), np.swapaxes(x, -1, 1))
    assert mg.gradcheck(lambda a: mg.swapdims(a, 0, 1), [t])
    with pytest.raises(IndexError, match="out of range"):
        t.swapaxes(0, 3)


# ---- diag, trace -----------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(4,), (3, 5), (5, 3), (3, 3), (0,)])
@pytest.mark.parametrize("k", [0, 1, -2, 4, -5])
def test_diag_matches_reference_and_gradcheck(shape, k, rng, device):
    x = rng.normal(size=shape)
    t = _t(x, device, grad=True)
    expected = ref_diag(x, k)
    result = mg.diag(t, k)
    assert result.shape == expected.shape
    np.testing.assert_array_equal(result.detach().numpy(), expected)
    assert mg.gradcheck(lambda a: a.diag(k), [t])
    y32 = _t(x, device, "float32").diag(k)
    assert y32.dtype == mg.float32
    np.testing.assert_allclose(y32.numpy(), expected, rtol=F32_RTOL)


def test_diag_of_integers_and_refusals(device):
    assert mg.tensor([1, 2], device=device).diag(-1).tolist() == [[0, 0, 0], [1, 0, 0], [0, 2, 0]]
    with pytest.raises(RuntimeError, match="1-D or 2-D tensors, got 3-D"):
        _t(np.ones((2, 2, 2)), device).diag()
    with pytest.raises(RuntimeError, match="got 0-D"):
        _t(1.0, device).diag()
    with pytest.raises(TypeError, match="diagonal must be an int"):
        _t(np.ones((2, 2)), device).diag(1.0)


# ---- repeat_interleave -----------------------------------------------------------------------
@pytest.mark.parametrize("repeats, dim", [(2, None), (3, 0), (2, -1), ([1, 0, 2], 0), ([2], 1), ([0, 1, 3, 1], 1),
                                          ([1, 2, 0, 1, 1, 2, 3, 0, 1, 1, 2, 1], None)])
def test_repeat_interleave_matches_numpy_and_gradcheck(repeats, dim, rng, device):
    x = rng.normal(size=(3, 4))
    t = _t(x, device, grad=True)
    counts = mg.tensor(repeats, device=device) if isinstance(repeats, list) else repeats
    np_counts = np.asarray(repeats)
    size = x.size if dim is None else x.shape[dim]
    expected = np.repeat(x.reshape(-1) if dim is None else x, np.broadcast_to(np_counts, (size,)) if np_counts.ndim
                         else np_counts, axis=0 if dim is None else dim)
    np.testing.assert_array_equal(t.repeat_interleave(counts, dim).detach().numpy(), expected)
    np.testing.assert_array_equal(mg.repeat_interleave(t, counts, dim=dim).detach().numpy(), expected)
    assert mg.gradcheck(lambda a: a.repeat_interleave(counts, dim), [t])


def test_repeat_interleave_gradients_of_copies_add(device):
    x = _t([1.0, 2.0], device, grad=True)
    x.repeat_interleave(mg.tensor([3, 1], device=device)).backward(_t([1.0, 10.0, 100.0, 5.0], device))
    np.testing.assert_array_equal(x.grad.numpy(), [111.0, 5.0])
    y32 = _t([1.0, 2.0], device, "float32").repeat_interleave(2)
    assert y32.dtype == mg.float32 and y32.tolist() == [1.0, 1.0, 2.0, 2.0]


def test_repeat_interleave_one_argument_form_and_scalars(device):
    assert mg.repeat_interleave(mg.tensor([1, 0, 2], device=device)).tolist() == [0, 2, 2]
    assert mg.tensor(5, device=device).repeat_interleave(3).tolist() == [5, 5, 5]
    assert mg.tensor([[1, 2]], device=device).repeat_interleave(mg.tensor(2), dim=1).tolist() == [[1, 1, 2, 2]]


def test_repeat_interleave_refuses_bad_input(device):
    t = mg.tensor([[1, 2], [3, 4]], device=device)
    with pytest.raises(RuntimeError, match="same size as input along dim 0, but got 3 repeats and size 2"):
        t.repeat_interleave(mg.tensor([1, 2, 3]), dim=0)
    with pytest.raises(RuntimeError, match="can not be negative"):
        t.repeat_interleave(mg.tensor([1, -2]), dim=0)
    with pytest.raises(RuntimeError, match="can not be negative"):
        t.repeat_interleave(-1)
    with pytest.raises(TypeError, match="integer tensor"):
        t.repeat_interleave(mg.tensor([1.0, 2.0]), dim=0)
    with pytest.raises(RuntimeError, match="0-dim or 1-dim"):
        t.repeat_interleave(mg.tensor([[1, 2]]), dim=0)
    with pytest.raises(TypeError, match="repeats must be an int"):
        t.repeat_interleave(2.0)
    with pytest.raises(IndexError, match="out of range"):
        t.repeat_interleave(2, dim=2)
    scalar = mg.tensor(1.5, device=device)
    for dim in (0, -1, 1):  # torch: a 0-d tensor has no dim to repeat along (dim=None repeats it)
        with pytest.raises(IndexError, match=f"repeat_interleave: dim specified as {dim} but the tensor has no dim"):
            scalar.repeat_interleave(2, dim=dim)
    assert scalar.repeat_interleave(2).tolist() == [1.5, 1.5]
    with pytest.raises(RuntimeError, match="output_size=3"):
        t.repeat_interleave(2, output_size=3)


@pytest.mark.parametrize("shape, start, end", [((5,), 0, -1), ((2, 3, 4), 1, 1), ((2, 3, 4), -1, 2), ((2, 3), 0, 0)])
def test_flatten_of_a_single_dim_is_the_same_shape(shape, start, end):
    # start_dim == end_dim merges one dim with itself: torch returns the shape unchanged
    x = mg.randn(*shape, requires_grad=True)
    y = x.flatten(start, end)
    assert y.shape == shape
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones(shape))


def test_cat_skips_a_1d_empty_tensor_beside_others_but_for_its_dtype():
    x = mg.ones(2, 3, requires_grad=True)
    joined = mg.cat([mg.zeros(0), x], dim=1)  # torch's legacy rule
    assert joined.shape == (2, 3) and joined.dtype == mg.float32
    joined.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((2, 3)))
    assert mg.cat([mg.zeros(0, dtype=mg.float64), mg.ones(2, 3)]).dtype == mg.float64
    assert mg.cat([mg.zeros(0), mg.zeros(0)]).shape == (0,)
