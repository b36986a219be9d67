"""In-place operations (torch's rules): results, memory, grad mode, gradients and refusals."""
import numpy as np
import pytest

import minigrad as mg

# Each in-place method with the float64 NumPy reference of its result, for a target a and operand b.
METHODS = {
    "add_": (lambda x, b: x.add_(b), lambda a, b: a + b),
    "add_ alpha": (lambda x, b: x.add_(b, alpha=-2.5), lambda a, b: a - 2.5 * b),
    "sub_": (lambda x, b: x.sub_(b), lambda a, b: a - b),
    "sub_ alpha": (lambda x, b: x.sub_(b, alpha=3), lambda a, b: a - 3 * b),
    "mul_": (lambda x, b: x.mul_(b), lambda a, b: a * b),
    "div_": (lambda x, b: x.div_(b), lambda a, b: a / b),
    "+=": (lambda x, b: x.__iadd__(b), lambda a, b: a + b),
    "-=": (lambda x, b: x.__isub__(b), lambda a, b: a - b),
    "*=": (lambda x, b: x.__imul__(b), lambda a, b: a * b),
    "/=": (lambda x, b: x.__itruediv__(b), lambda a, b: a / b),
    "copy_": (lambda x, b: x.copy_(b), lambda a, b: np.broadcast_to(b, a.shape)),
    "clamp_": (lambda x, b: x.clamp_(-0.5, 0.7), lambda a, b: np.clip(a, -0.5, 0.7)),
    "clamp_ min": (lambda x, b: x.clamp_(min=0.1), lambda a, b: np.maximum(a, 0.1)),
    "clamp_ max": (lambda x, b: x.clamp_(max=0.1), lambda a, b: np.minimum(a, 0.1)),
    "fill_": (lambda x, b: x.fill_(1.5), lambda a, b: np.full_like(a, 1.5)),
    "zero_": (lambda x, b: x.zero_(), lambda a, b: np.zeros_like(a)),
    "setitem": (lambda x, b: (x.__setitem__((slice(None), 1), b[0, 1]), x)[1], None),
}


def setitem_reference(a, b):
    out = a.copy()
    out[:, 1] = b[0, 1]
    return out


def operands(dtype, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((3, 4))
    b = rng.uniform(0.5, 2.0, (1, 4)) * rng.choice([-1, 1], (1, 4))  # broadcasts; no zeros to divide by
    return a.astype(dtype), b.astype(dtype)


@pytest.mark.parametrize("name", METHODS)
@pytest.mark.parametrize("dtype, tol", [("float64", 1e-12), ("float32", 1e-6)])
def test_in_place_methods_change_memory_return_self_and_bump_the_version(name, dtype, tol, device):
    method, reference = METHODS[name]
    reference = reference or setitem_reference
    a, b = operands(dtype)
    x = mg.tensor(a, device=device)
    array, view = x._data, x.reshape(12)
    result = method(x, mg.tensor(b, device=device))
    assert result is x and x._data is array and x._version == 1 and view._version == 1
    expected = reference(a.astype(np.float64), b.astype(np.float64))
    np.testing.assert_allclose(x.numpy(), expected, rtol=tol, atol=tol)
    np.testing.assert_allclose(view.numpy(), expected.reshape(12), rtol=tol, atol=tol)  # views see it
    assert x.dtype == dtype


def test_numbers_and_arrays_as_operands():
    x = mg.tensor([1.0, 2.0, 3.0])
    x += 1
    x *= np.array([2.0, 2.0, 2.0])
    x -= 0.5
    x /= 2
    x[0] = 10.0
    x[1:] = np.array([7.0, 8.0])
    np.testing.assert_allclose(x.numpy(), [10.0, 7.0, 8.0])
    assert x._version == 6


def test_integer_and_bool_tensors_change_in_place_within_their_dtype():
    counts = mg.tensor(np.array([1, 2]))
    counts += 1
    counts *= 3
    mask = mg.zeros(3, dtype="bool")
    mask[1] = True
    np.testing.assert_array_equal(counts.numpy(), [6, 9])
    np.testing.assert_array_equal(mask.numpy(), [False, True, False])
    assert counts.dtype == np.int64 and mask.dtype == np.bool_
    with pytest.raises(RuntimeError, match="can't be cast to the in-place target's dtype int64"):
        counts += 0.5


def test_no_grad_parameter_updates_change_the_parameters_in_their_memory():
    model = mg.nn.Linear(3, 2)
    params = list(model.parameters())
    before = [p.detach().numpy().copy() for p in params]
    arrays = [p._data for p in params]
    model(mg.randn(4, 3)).sum().backward()
    lr = 0.1
    with mg.no_grad():
        for p in params:
            p -= lr * p.grad
    for p, old, array in zip(params, before, arrays):
        assert p._data is array and p.requires_grad and p.is_leaf and p._version == 2  # 1: its initialisation
        np.testing.assert_allclose(p.detach().numpy(), old - lr * p.grad.numpy(), rtol=1e-6)


def test_in_place_on_a_leaf_that_requires_grad_is_refused_outside_no_grad():
    x = mg.randn(3, requires_grad=True)
    before = x.detach().numpy().copy()
    for change in (lambda: x.__iadd__(1.0), lambda: x.mul_(2.0), lambda: x.zero_(),
                   lambda: x.__setitem__(0, 1.0), lambda: x.copy_(mg.zeros(3))):
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
            change()
    np.testing.assert_array_equal(x.detach().numpy(), before)
    assert x._version == 0 and x.is_leaf and x.requires_grad


def test_in_place_on_tensors_outside_the_graph_writes_straight_in():
    x = mg.tensor([1.0, 2.0])
    array = x._data
    x.mul_(3.0).add_(1.0)
    assert x._data is array and not x.requires_grad and x.is_leaf
    np.testing.assert_allclose(x.numpy(), [4.0, 7.0])


def in_place_chain(x, w, w2):
    y = x * 2
    y += w
    y.mul_(w2)
    return y


def test_recorded_in_place_chain_matches_reference_and_gradchecks():
    rng = np.random.default_rng(1)
    x, w, w2 = (mg.tensor(rng.standard_normal(4), requires_grad=True, dtype="float64") for _ in range(3))
    y = in_place_chain(x, w, w2)
    assert not y.is_leaf and y.requires_grad and y._version == 2
    assert y.grad_fn.name() == "MulInPlaceBackward"
    np.testing.assert_allclose(y.detach().numpy(), (x.detach().numpy() * 2 + w.detach().numpy()) * w2.detach().numpy())
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * w2.detach().numpy())
    np.testing.assert_allclose(w.grad.numpy(), w2.detach().numpy())
    np.testing.assert_allclose(w2.grad.numpy(), x.detach().numpy() * 2 + w.detach().numpy())
    assert mg.gradcheck(in_place_chain, [x, w, w2])


def recorded(method):
    """``method`` applied in place to a non-leaf copy of x, so that it is recorded."""
    def fn(x, b):
        y = x * 1
        method(y, b)
        return y
    return fn


@pytest.mark.parametrize("name", sorted(set(METHODS) - {"clamp_", "clamp_ min", "clamp_ max"}))
def test_each_recorded_in_place_method_gradchecks_through_target_and_operand(name):
    a, b = operands("float64", seed=2)
    x, other = mg.tensor(a, requires_grad=True), mg.tensor(b, requires_grad=True)
    assert mg.gradcheck(recorded(METHODS[name][0]), [x, other])


def test_clamp_gradient_passes_inside_the_bounds_only():
    x = mg.tensor([-2.0, -0.3, 0.4, 3.0], dtype="float64", requires_grad=True)
    y = x * 1
    y.clamp_(-1.0, 1.0)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 1, 1, 0])
    assert mg.gradcheck(recorded(lambda y, _: y.clamp_(-1.0, 1.0)), [x, mg.zeros(1, dtype="float64")])


def test_clamp_gradient_at_exactly_a_bound_is_one_as_out_of_place_clamp():
    # torch passes the gradient where low <= x <= high: a value sitting on a bound keeps it
    x = mg.tensor([-1.0, -0.5, 1.0], dtype="float64", requires_grad=True)
    y = x * 1
    y.clamp_(-1.0, 1.0)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1, 1, 1])
    out_of_place = mg.tensor([-1.0, -0.5, 1.0], dtype="float64", requires_grad=True)
    out_of_place.clamp(-1.0, 1.0).sum().backward()
    np.testing.assert_array_equal(out_of_place.grad.numpy(), x.grad.numpy())


def test_an_operand_that_requires_grad_makes_the_in_place_op_recorded():
    w = mg.tensor([2.0, 3.0], dtype="float64", requires_grad=True)
    buffer = mg.zeros(2, dtype="float64")
    buffer += w * w
    assert buffer.requires_grad and not buffer.is_leaf
    buffer.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [4.0, 6.0])


def test_multiplying_by_itself_in_place_keeps_the_factor_backward_needs():
    x = mg.tensor([1.5, -2.0], dtype="float64", requires_grad=True)

    def square_in_place(t):
        y = t * 1
        y *= y
        return y

    np.testing.assert_allclose(square_in_place(x).detach().numpy(), [2.25, 4.0])
    assert mg.gradcheck(square_in_place, [x])


def test_setitem_broadcasts_and_sends_gradients_to_both_sides():
    x = mg.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    v = mg.tensor([10.0, 20.0, 30.0], dtype="float64", requires_grad=True)
    rows = mg.tensor(np.array([1]))

    def put(x, v):
        y = x * 1
        y[rows] = v  # an integer-array index
        y[0, :2] = 5.0
        return y * y

    expected = np.array([[5.0, 5.0, 2.0], [10.0, 20.0, 30.0]])
    np.testing.assert_allclose(put(x, v).detach().numpy(), expected ** 2)
    assert mg.gradcheck(put, [x.double(), v])
    put(x, v).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 0, 4], [0, 0, 0]])
    np.testing.assert_allclose(v.grad.numpy(), [20, 40, 60])


def test_fill_with_a_one_element_tensor_gets_its_gradient():
    value = mg.tensor(2.0, dtype="float64", requires_grad=True)
    y = mg.zeros(3, dtype="float64")
    y.fill_(value)
    (y * mg.tensor([1.0, 2.0, 3.0], dtype="float64")).sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), [2.0, 2.0, 2.0])
    assert value.grad.item() == 6.0


def test_copy_converts_dtype_and_passes_the_gradient_to_the_source():
    src = mg.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    y = mg.zeros(2, 2)  # float32
    y.copy_(src)
    assert y.dtype == np.float32 and y.requires_grad
    y.sum().backward()
    np.testing.assert_allclose(src.grad.numpy(), [2.0, 2.0])
    assert src.grad.dtype == np.float64


def test_bad_in_place_operands_are_refused_with_the_problem_named():
    x = mg.zeros(2, 3)
    with pytest.raises(RuntimeError, match="shape \\(4,\\) does not broadcast to the in-place target's shape \\(2, 3\\)"):
        x += mg.ones(4)
    with pytest.raises(RuntimeError, match="shape \\(3, 3\\) does not broadcast"):
        x.mul_(mg.ones(3, 3))
    with pytest.raises(RuntimeError, match="shape \\(2,\\) does not broadcast"):
        x[0] = mg.ones(2)
    with pytest.raises(RuntimeError, match="one-element tensor, got a tensor of shape \\(2,\\)"):
        x.fill_(mg.ones(2))
    with pytest.raises(ValueError, match="at least one of 'min' or 'max'"):
        x.clamp_()
    counts = mg.tensor(np.array([1, 2]))
    with pytest.raises(RuntimeError, match="can't be cast to the in-place target's dtype int64"):
        counts += mg.tensor([0.5, 0.5])
    with pytest.raises(RuntimeError, match="result type float32 can't be cast to the in-place target's dtype int64"):
        counts /= 2
    with pytest.raises(RuntimeError, match="float bound \\(0.5\\).*can't be cast to the in-place target's dtype int64"):
        counts.clamp_(0.5)
    assert x._version == 0 and counts._version == 0
    np.testing.assert_array_equal(x.numpy(), np.zeros((2, 3)))


def test_in_place_on_a_view_while_recording_is_refused():
    base = mg.randn(2, 3, requires_grad=True) * 1
    for view in (base[0], base.reshape(6), base.transpose(0, 1), base.unsqueeze(0), base.expand(4, 2, 3)):
        with pytest.raises(RuntimeError, match="in-place change of a view"):
            view.mul_(2.0)
    leaf = mg.randn(4, requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place change of a view"):
        leaf[:2].add_(1.0)
    with mg.no_grad():  # outside recording a view writes into its base, as in torch
        view = leaf[:2]
        view += 1.0
    assert leaf._version == 1


def test_requires_grad_in_place():
    w = mg.zeros(3)
    assert w.requires_grad_() is w and w.requires_grad
    assert not w.requires_grad_(False).requires_grad


def test_ops_recorded_before_an_in_place_change_keep_the_earlier_place_in_the_graph():
    x = mg.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    w = mg.tensor([5.0, 7.0], dtype="float64", requires_grad=True)
    y = x * 2
    z = y + 3  # took y before the changes below (Add saves nothing, so they are allowed)
    y += w
    y *= 2
    (z * z).sum().backward(retain_graph=True)
    np.testing.assert_allclose(x.grad.numpy(), 2 * (2 * x.detach().numpy() + 3) * 2)
    assert w.grad is None  # z never saw w
    x.grad = None
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 4.0])
    np.testing.assert_allclose(w.grad.numpy(), [2.0, 2.0])

    def reused_after_change(x, w):
        y = x * 2
        z = y + 3
        y += w
        return z * y

    assert mg.gradcheck(reused_after_change, [x, w])


def test_a_buffer_that_joins_the_graph_in_place_does_not_reroute_earlier_ops():
    w = mg.tensor([2.0, 3.0], dtype="float64", requires_grad=True)
    buffer = mg.ones(2, dtype="float64")
    earlier = buffer + w  # buffer took part as a constant
    buffer += w
    earlier.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [1.0, 1.0])
    buffer.sum().backward()  # buffer's own graph was not freed by the backward above
    np.testing.assert_allclose(w.grad.numpy(), [2.0, 2.0])


def test_torchs_deprecated_number_alpha_first_overload_works_with_its_warning(device):
    """Older scripts' SGD step ``p.data.add_(-lr, p.grad)``: torch 2.13 accepts add_(Number alpha, Tensor other)
    (and add, sub, sub_, torch.add) with a deprecation UserWarning."""
    p = mg.nn.Parameter(mg.ones(3, device=device))
    p.grad = mg.full((3,), 2.0, device=device)
    with pytest.warns(UserWarning, match="This overload of add_ is deprecated"):
        assert p.data.add_(-0.1, p.grad) is not None
    np.testing.assert_allclose(p.detach().numpy(), [0.8] * 3, rtol=1e-6)
    x, g = mg.ones(3, device=device), mg.full((3,), 2.0, device=device)
    with pytest.warns(UserWarning, match="This overload of sub_ is deprecated"):
        np.testing.assert_allclose(x.clone().sub_(-0.1, g).numpy(), [1.2] * 3, rtol=1e-6)
    with pytest.warns(UserWarning, match="This overload of add is deprecated"):
        np.testing.assert_allclose(mg.add(x, 3, g).numpy(), [7.0] * 3)
    with pytest.warns(UserWarning, match="This overload of sub is deprecated"):
        np.testing.assert_allclose(x.sub(0.5, g).numpy(), [0.0] * 3)


def test_the_deprecated_overload_refuses_what_torch_refuses(device):
    x, g = mg.ones(3, device=device), mg.ones(3, device=device)
    with pytest.raises(TypeError, match="unrecognized keyword arguments: alpha"):
        x.add_(-0.1, g, alpha=2)
    with pytest.raises(TypeError, match="add\\(\\) takes 1 positional argument but 2 were given"):
        x.add(g, 2)
    assert x.add_(g, 2) is x and x.tolist() == [3.0] * 3  # minigrad's positional alpha of add_ still works
