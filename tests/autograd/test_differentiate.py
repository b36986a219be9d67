"""mg.autograd.grad and Tensor.backward(create_graph=..., inputs=...): torch's semantics."""
import numpy as np
import pytest

import minigrad as mg


def t(values, requires_grad=True):
    return mg.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


def test_grad_returns_a_tuple_and_leaves_dot_grad_alone():
    x = t([1.0, 2.0])
    (gx,) = mg.autograd.grad((x * x).sum(), x)
    np.testing.assert_allclose(gx.numpy(), [2.0, 4.0])
    assert x.grad is None and not gx.requires_grad


def test_second_and_third_derivatives_of_a_cube():
    x = t([1.0, -2.0])
    (d1,) = mg.autograd.grad((x ** 3).sum(), x, create_graph=True)
    assert d1.requires_grad
    (d2,) = mg.autograd.grad(d1.sum(), x, create_graph=True)
    (d3,) = mg.autograd.grad(d2.sum(), x)
    np.testing.assert_allclose(d1.detach().numpy(), [3.0, 12.0])
    np.testing.assert_allclose(d2.detach().numpy(), [6.0, -12.0])
    np.testing.assert_allclose(d3.numpy(), [6.0, 6.0])


def test_backward_create_graph_puts_leaf_grads_in_the_graph():
    x = t([0.5, 1.5])
    (x.sin() * x).sum().backward(create_graph=True)
    assert x.grad.requires_grad and x.grad.grad_fn is not None
    first = x.grad
    x.grad = None
    first.sum().backward()
    value = x.detach().numpy()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.cos(value) - value * np.sin(value))


def test_create_graph_accumulates_out_of_place_into_an_existing_grad():
    x = t([2.0])
    (x * x).sum().backward(create_graph=True)
    before = x.grad
    (x * x * x).sum().backward(create_graph=True)
    np.testing.assert_allclose(before.detach().numpy(), [4.0])  # not written in place
    np.testing.assert_allclose(x.grad.detach().numpy(), [16.0])
    (gx,) = mg.autograd.grad(x.grad.sum(), x)
    np.testing.assert_allclose(gx.numpy(), [2.0 + 12.0])


def test_retain_graph_defaults_to_create_graph():
    x = t([1.0])
    y = (x * x).sum()
    y.backward(create_graph=True)
    y.backward()  # the first kept the graph
    z = (x * x).sum()
    z.backward()
    with pytest.raises(RuntimeError, match="second time"):
        z.backward()


def test_grad_of_several_outputs_and_inputs_with_grad_outputs():
    x, w = t([1.0, 2.0]), t([3.0, 4.0])
    y1, y2 = x * w, (x * x).sum()
    gx, gw = mg.autograd.grad([y1, y2], [x, w], [t([1.0, 10.0], False), None])
    np.testing.assert_allclose(gx.numpy(), [3.0 + 2.0, 40.0 + 4.0])
    np.testing.assert_allclose(gw.numpy(), [1.0, 20.0])


def test_grad_of_a_computed_tensor_sees_its_gradient_after_its_hooks():
    x = t([1.0, 2.0])
    h = x * 3
    h.register_hook(lambda g: g * 2)
    (gh,) = mg.autograd.grad((h * h).sum(), h)
    np.testing.assert_allclose(gh.numpy(), 2 * 2 * np.array([3.0, 6.0]))


class Twice(mg.Op):
    """2 a, with a backward but no backward_graph."""

    def forward(self, a):
        return a * 2

    def backward(self, gy):
        return gy * 2


def test_grad_skips_branches_that_reach_no_input():
    x, w = t([1.0]), t([2.0])
    y = (x * x).sum() + Twice()(w).sum()
    (gx,) = mg.autograd.grad(y, x, create_graph=True)  # w's branch (no backward_graph) is not walked
    np.testing.assert_allclose(gx.detach().numpy(), [2.0])
    assert w.grad is None


def test_unused_inputs():
    x, unused = t([1.0]), t([5.0, 6.0])
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        mg.autograd.grad(y, [x, unused], retain_graph=True)
    assert mg.autograd.grad(y, [x, unused], retain_graph=True, allow_unused=True)[1] is None
    zeros = mg.autograd.grad(y, [x, unused], materialize_grads=True)[1]
    np.testing.assert_array_equal(zeros.numpy(), [0.0, 0.0])
    with pytest.raises(ValueError, match="allow_unused"):
        mg.autograd.grad(y, [x], allow_unused=False, materialize_grads=True)


def test_grad_errors():
    x = t([1.0, 2.0])
    with pytest.raises(RuntimeError, match="does not require grad"):
        mg.autograd.grad((x * 2).sum(), t([1.0], False))
    with pytest.raises(RuntimeError, match="does not require grad"):
        mg.autograd.grad(t([1.0], False), x)
    with pytest.raises(RuntimeError, match="one element"):
        mg.autograd.grad(x * 2, x)
    with pytest.raises(RuntimeError, match="shape"):
        mg.autograd.grad(x * 2, x, t([1.0], False))
    with pytest.raises(RuntimeError, match="grad_outputs has 2 entries for 1 outputs"):
        mg.autograd.grad(x * 2, x, [None, None])
    with pytest.raises(TypeError, match="Tensors"):
        mg.autograd.grad([3.0], x)


def test_grad_of_an_output_that_is_the_input():
    x = t([1.0, 2.0])
    (g,) = mg.autograd.grad(x, x, t([5.0, 6.0], False))
    np.testing.assert_allclose(g.numpy(), [5.0, 6.0])


def test_differentiating_through_grad_outputs():
    """A grad_output that requires grad is in the graph of the result (as gradgradcheck needs)."""
    x, v = t([1.0, 2.0]), t([3.0, 4.0])
    (g,) = mg.autograd.grad(x * x, x, v, create_graph=True)  # 2 x v
    gx, gv = mg.autograd.grad(g.sum(), [x, v])
    np.testing.assert_allclose(gx.numpy(), [6.0, 8.0])
    np.testing.assert_allclose(gv.numpy(), [2.0, 4.0])


def test_backward_inputs_accumulates_only_into_them():
    x, w = t([1.0]), t([2.0])
    h = x * w
    h.retain_grad()
    (h * h).sum().backward(inputs=[x, h])
    assert w.grad is None
    np.testing.assert_allclose(x.grad.numpy(), [2 * 2.0 * 2.0])
    np.testing.assert_allclose(h.grad.numpy(), [4.0])  # once, though it also retains its grad
    g = x * w
    (g * g).sum().backward(inputs=g)
    np.testing.assert_allclose(g.grad.numpy(), [4.0])
    with pytest.raises(RuntimeError, match="cannot be empty"):
        (x * 1).sum().backward(inputs=[])


def test_op_without_backward_graph_refuses_create_graph_clearly():
    x = t([1.0])
    y = Twice()(x).sum()
    with pytest.raises(RuntimeError, match=r"Twice: double backward \(create_graph=True\) is not implemented"):
        y.backward(create_graph=True)
    y.backward()  # the first-order backward still works
    np.testing.assert_allclose(x.grad.numpy(), [2.0])
