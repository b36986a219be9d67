import numpy as np
import pytest

import minigrad as mg


class Swish(mg.Op):
    def forward(self, x):
        xp = self.xp
        self.s = 1 / (1 + xp.exp(-x))
        self.x = x
        return x * self.s

    def backward(self, gy):
        return gy * (self.s * (1 + self.x * (1 - self.s)))


def test_user_op_from_the_design_contract(device):
    t = mg.randn(4, 3, dtype="float64", requires_grad=True, device=device)
    y = Swish()(t)
    x = t.detach().numpy()
    np.testing.assert_allclose(y.detach().numpy(), x / (1 + np.exp(-x)), rtol=1e-12)
    assert mg.gradcheck(lambda a: Swish()(a), [t])


def test_a_chain_of_ten_thousand_ops_backpropagates_without_recursion():
    x = mg.tensor([1.0], dtype="float64", requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0001**10_000], rtol=1e-9)


def test_shared_subexpressions_accumulate_gradients():
    x = mg.tensor([3.0], dtype="float64", requires_grad=True)
    a = x * x
    (a + a * x).backward()  # x^2 + x^3
    np.testing.assert_allclose(x.grad.numpy(), [2 * 3 + 3 * 9])


def test_saved_arrays_are_released_and_a_second_backward_says_retain_graph():
    x = mg.tensor([2.0], requires_grad=True)
    y = (x * x).exp()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()
    z = (x * x).exp()
    x.grad = None
    z.backward(retain_graph=True)
    z.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * 2 * 2 * np.exp(4), rtol=1e-5)


def test_backward_errors_name_the_problem():
    with pytest.raises(RuntimeError, match="does not require grad"):
        mg.tensor([1.0]).backward()
    x = mg.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="shape \\(3,\\).*pass gradient="):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match="gradient has shape \\(2,\\)"):
        (x * 2).backward(mg.ones(2))


class WrongCount(mg.Op):
    def forward(self, a, b):
        return a + b

    def backward(self, gy):
        return gy


class WrongShape(mg.Op):
    def forward(self, x):
        return x.sum()

    def backward(self, gy):
        return gy


def test_op_contract_violations_name_the_op():
    a, b = mg.randn(2, requires_grad=True), mg.randn(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="WrongCount.backward returned 1 gradients for 2 inputs"):
        WrongCount()(a, b).sum().backward()
    with pytest.raises(RuntimeError, match="WrongShape.backward returned a gradient of shape \\(\\)"):
        WrongShape()(a).backward()
    with pytest.raises(TypeError, match="takes Tensors"):
        Swish()(np.ones(2))


def test_leaf_backward_and_needs_input_grad():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    x.backward(mg.ones(2))
    np.testing.assert_allclose(x.grad.numpy(), [1, 1])
    constant = mg.tensor([1.0, 2.0])
    y = x * constant
    assert y._creator.needs_input_grad == (True, False)


class SplitHalves(mg.Op):
    """Two outputs: the first and second half of a vector."""

    def forward(self, x):
        self.n = x.shape[0] // 2
        return x[:self.n] * 2, x[self.n:] * 3

    def backward(self, g_first, g_second):
        return self.xp.concatenate([g_first * 2, g_second * 3])


def test_multi_output_ops_get_zeros_for_unused_outputs():
    x = mg.tensor([1.0, 2.0, 3.0, 4.0], dtype="float64", requires_grad=True)
    first, second = SplitHalves()(x)
    assert first._index == 0 and second._index == 1
    first.sum().backward()  # the second output is unused: its gradient is zeros
    np.testing.assert_array_equal(x.grad.numpy(), [2, 2, 0, 0])
    assert mg.gradcheck(lambda t: SplitHalves()(t)[1] * mg.tensor([1.0, 5.0], dtype="float64"), [x])


# ---- reusable op instances -------------------------------------------------------------------------
class Scale(mg.Op):
    """y = factor * x, with the factor a hyperparameter."""

    def __init__(self, factor):
        self.factor = factor

    def forward(self, x):
        return self.factor * x

    def backward(self, gy):
        return self.factor * gy


def test_one_op_instance_used_twice_in_a_graph_gradchecks():
    act = Swish()
    t = mg.randn(5, dtype="float64", requires_grad=True)
    x = t.detach().numpy()
    once = x / (1 + np.exp(-x))
    np.testing.assert_allclose(act(act(t)).detach().numpy(), once / (1 + np.exp(-once)), rtol=1e-12)
    assert mg.gradcheck(lambda a: act(act(a)), [t])
    assert mg.gradcheck(lambda a: act(a) * act(a * 2), [t])


def test_hyperparameters_survive_backward_and_forward_saves_nothing_on_the_instance():
    scale, act = Scale(3.0), Swish()
    x = mg.randn(4, dtype="float64", requires_grad=True)
    for _ in range(2):
        x.grad = None
        act(scale(x)).sum().backward()
        assert vars(scale) == {"factor": 3.0} and vars(act) == {}
    s = 1 / (1 + np.exp(-3 * x.detach().numpy()))
    np.testing.assert_allclose(x.grad.numpy(), 3 * (s * (1 + 3 * x.detach().numpy() * (1 - s))), rtol=1e-12)


def test_grad_fn_names_the_node_and_is_none_for_leaves():
    x = mg.randn(2, requires_grad=True)
    y = x * 2
    assert x.grad_fn is None and x.is_leaf
    assert repr(y.grad_fn) == "<MulBackward>" and y.grad_fn.name() == "MulBackward"
    assert y.grad_fn is not (x * 2).grad_fn and not y.is_leaf
    assert repr(Swish()) == "Swish()"
    with mg.no_grad():
        assert (x * 2).grad_fn is None


class ListGradients(mg.Op):
    def forward(self, a, b):
        return a * 2 + b

    def backward(self, gy):
        return [gy * 2, gy]


def test_backward_may_return_a_list():
    a, b = mg.randn(3, dtype="float64", requires_grad=True), mg.randn(3, dtype="float64", requires_grad=True)
    assert mg.gradcheck(lambda a, b: ListGradients()(a, b), [a, b])


# ---- version counters ------------------------------------------------------------------------------
def test_in_place_change_of_a_saved_output_makes_backward_name_the_op():
    x = mg.randn(3, requires_grad=True)
    y = x.exp()
    with mg.no_grad():
        y += 1
    assert y._version == 1
    with pytest.raises(RuntimeError, match="needed by Exp's backward \\(output 0.*version 1"):
        y.sum().backward()
    assert x.grad is None


def test_in_place_change_of_a_saved_input_makes_backward_name_the_op():
    x = mg.randn(3, requires_grad=True)
    a = x * 1
    y = a * x  # Mul saves a and x
    a.mul_(2.0)  # recorded, but Mul's saved a is now wrong
    with pytest.raises(RuntimeError, match="needed by Mul's backward \\(input 0"):
        y.sum().backward()


def test_in_place_change_of_a_base_is_seen_through_its_views():
    x = mg.randn(2, 3, dtype="float64", requires_grad=True)
    base = x * 1
    y = base[0].exp()  # Exp saves its own output: a later write to base does not matter to it
    z = base.reshape(6) * x.reshape(6)  # Mul saves a view of base
    base.add_(1.0)
    with pytest.raises(RuntimeError, match="Mul's backward \\(input 0, shape \\(6,\\)"):
        z.sum().backward()
    y.sum().backward(retain_graph=True)  # base's old place is shared with what follows
    np.testing.assert_allclose(x.grad.numpy()[0], np.exp(x.detach().numpy()[0]))
    x.grad = None
    fresh_view = base[1]  # taken after the write: its gradient reaches base's new place
    (fresh_view * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 0, 0], [3, 3, 3]])


def test_a_view_taken_before_its_base_moved_in_the_graph_is_refused_as_an_input():
    x = mg.randn(4, dtype="float64", requires_grad=True)
    base = x * 1
    stale_view = base[:2]
    base.mul_(2.0)  # recorded: gradients through base now pass this Mul
    with pytest.raises(RuntimeError, match="Mul: an input is a view taken before its base was changed"):
        stale_view * 1
    buffer = mg.zeros(4, dtype="float64")
    early_view = buffer.reshape(2, 2)  # not recorded: buffer required no grad then
    buffer += x  # now buffer is in the graph
    with pytest.raises(RuntimeError, match="view taken before its base was changed"):
        early_view.sum()
    with mg.no_grad():
        view = base[:2]
        base.add_(1.0)  # a write outside recording leaves the graph as it was
    assert (base[:2] * 1).requires_grad


def test_changes_that_backward_does_not_need_are_allowed():
    x = mg.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    s = x * 2
    t = s + 1  # Add saves nothing
    s.add_(5.0)
    t.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])
    d = x.detach()
    assert d._version == x._version == 0
    with mg.no_grad():
        d.mul_(1.0)  # detach shares the version counter, as torch
    assert x._version == 1


def test_a_factor_whose_gradient_is_not_wanted_may_change_after_a_product():
    x = mg.tensor([1.0, -2.0], dtype="float64", requires_grad=True)
    y = x * 1
    doubled = y * 2  # the gradient for y needs only the constant 2, not y itself
    halved = y / 2
    y.add_(1.0)
    (doubled + halved + y * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5.5, 5.5])


def test_parameter_updates_between_forward_and_backward_are_caught():
    model = mg.nn.Linear(3, 2)
    loss = model(mg.randn(4, 3)).sum()
    with mg.no_grad():
        model.weight -= 0.1
    with pytest.raises(RuntimeError, match="LinearOp's backward \\(input 1, shape \\(2, 3\\).*version 2"):  # init was 1
        loss.backward()
    loss = model(mg.randn(4, 3)).sum()
    loss.backward()
    optimizer = mg.optim.SGD(model.parameters(), lr=0.1)
    loss = model(mg.randn(4, 3)).sum()
    optimizer.step()  # SGD bumps the version of what it updates
    assert model.weight._version == 3
    with pytest.raises(RuntimeError, match="LinearOp's backward"):
        loss.backward()


# ---- backward's arguments and messages -------------------------------------------------------------
def test_backward_on_a_result_computed_under_no_grad_says_so():
    model = mg.nn.Linear(3, 2)
    with mg.no_grad():
        loss = mg.functional.mse_loss(model(mg.randn(4, 3)), mg.zeros(4, 2))
    with pytest.raises(RuntimeError, match="computed with grad mode off.*no_grad"):
        loss.backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        (mg.randn(2) * 2).sum().backward()


def test_backward_takes_gradient_by_keyword():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).backward(gradient=mg.tensor([1.0, 0.5]))
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 1.5])


def test_gradients_of_0d_tensors_are_arrays_first_accumulated_and_summed():
    # NumPy returns 0-d results as scalars: a gradient must stay an array (it is a Tensor's data)
    a = mg.tensor(3.0, dtype=mg.float64, requires_grad=True)
    (a * a).backward()  # the first gradient, from Mul's backward on 0-d arrays
    assert type(a.grad._data) is np.ndarray and a.grad.item() == 6.0
    (a * a).backward()  # accumulated into the leaf
    assert type(a.grad._data) is np.ndarray and a.grad.item() == 12.0
    b = mg.tensor(2.0, dtype=mg.float64, requires_grad=True)
    y = b * b
    (y * y + y).backward()  # y feeds two ops: its gradients are summed in the walk
    assert type(b.grad._data) is np.ndarray and b.grad.item() == (2 * 4.0 + 1) * 2 * 2.0
    assert repr(b.grad) == "tensor(36., dtype=float64)"
    assert mg.gradcheck(lambda t: t * t * t.sin(), [mg.tensor(0.7, dtype=mg.float64, requires_grad=True)])


def test_a_second_backward_updates_the_grad_tensor_but_not_an_array_taken_from_it_earlier(device):
    # minigrad's rule (torch adds into .grad's memory instead): .grad stays the same Tensor with the
    # new total, while an array taken with .grad.numpy() keeps the values it had. DDP's reduction of
    # late gradients tells a new gradient from an averaged one by this.
    x = mg.tensor([1.0, 2.0], dtype="float64", requires_grad=True, device=device)
    (x * 2).sum().backward()
    grad, taken = x.grad, x.grad.numpy()
    (x * 3).sum().backward()
    assert x.grad is grad
    np.testing.assert_array_equal(x.grad.numpy(), [5, 5])
    np.testing.assert_array_equal(taken, [2, 2])
