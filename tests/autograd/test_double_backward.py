"""Hooks, version counters, anomaly mode and the profiler on graphs built by a backward
(create_graph=True)."""
import numpy as np
import pytest

import minigrad as mg


def t(values, requires_grad=True):
    return mg.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


def test_tensor_hooks_see_gradients_in_the_graph_and_may_replace_them():
    x = t([1.0, 2.0])
    h = x * x
    seen = []
    h.register_hook(lambda g: seen.append(g) or g * x)  # a replacement that depends on x
    (gx,) = mg.autograd.grad(h.sum(), x, create_graph=True)  # 2 x * x
    assert seen[0].requires_grad is False and gx.requires_grad
    (ggx,) = mg.autograd.grad(gx.sum(), x)
    np.testing.assert_allclose(ggx.numpy(), 4 * x.detach().numpy())


def test_leaf_hooks_and_post_accumulate_hooks_under_create_graph():
    x = t([3.0])
    x.register_hook(lambda g: g * 10)
    accumulated = []
    x.register_post_accumulate_grad_hook(lambda leaf: accumulated.append(leaf.grad))
    (x * x).sum().backward(create_graph=True)
    np.testing.assert_allclose(x.grad.detach().numpy(), [60.0])
    assert accumulated[0] is x.grad and x.grad.requires_grad


def test_retain_grad_keeps_a_gradient_in_the_graph():
    x = t([2.0])
    h = x * x
    h.retain_grad()
    (h * h).sum().backward(create_graph=True)
    assert h.grad.requires_grad
    (g,) = mg.autograd.grad(h.grad.sum(), x)  # h.grad = 2 h = 2 x^2
    np.testing.assert_allclose(g.numpy(), [8.0])


def test_an_in_place_change_to_what_the_double_backward_needs_is_detected():
    x = t([0.5, 1.0])
    h = x * 2
    (g,) = mg.autograd.grad(h.sin().sum(), x, create_graph=True)  # 2 cos(h): needs h
    h.mul_(3)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        g.sum().backward()


def test_an_input_written_after_forward_is_refused_by_create_graph():
    """The array backward of exp reads its output; backward_graph reads the input, so a write to the
    input is an error only under create_graph."""
    x = t([0.5])
    h = x * 1
    y = h.exp().sum()
    h.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward(create_graph=True)


def test_in_place_ops_have_a_double_backward():
    x = t([1.0, 2.0])
    h = x * 1
    h.mul_(x)  # x^2 in place
    h.add_(x * x, alpha=2)  # 3 x^2
    (g,) = mg.autograd.grad(h.sum(), x, create_graph=True)
    (gg,) = mg.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(g.detach().numpy(), [6.0, 12.0])
    np.testing.assert_allclose(gg.numpy(), [6.0, 6.0])


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
def test_anomaly_mode_names_the_op_of_the_backward_graph_that_made_an_inf():
    x = t([0.0])
    with mg.autograd.detect_anomaly():
        with pytest.raises(RuntimeError, match=r"Div produced inf in forward(.|\n)*test_double_backward.py"):
            mg.autograd.grad(x.sqrt().sum(), x, create_graph=True)  # 1 / (2 sqrt x): inf at 0


def test_anomaly_mode_checks_what_backward_graph_computes():
    x, zero = t([1.0]), t([0.0], requires_grad=False)
    y = x * zero
    with mg.autograd.detect_anomaly():
        with pytest.raises(RuntimeError, match=r"detect_anomaly: Mul produced nan"):  # inf * 0 in Mul's backward_graph
            mg.autograd.grad(y, x, t([float("inf")], requires_grad=False), create_graph=True)


def test_profiler_records_backward_graph_and_the_ops_it_runs():
    x = t([1.0, 2.0])
    with mg.profiler.profile() as prof:
        (g,) = mg.autograd.grad(x.tanh().sum(), x, create_graph=True)
        g.sum().backward()
    rows = {row.name: row for row in prof.key_averages()}
    assert rows["Tanh"].backward_calls >= 2  # the first backward (as backward_graph) and the second
    assert rows["Mul"].calls >= 1  # backward_graph's own ops are recorded as forward calls


@pytest.mark.parametrize("reduce", [lambda x: x.prod(), lambda x: x.cumprod(0).sum()], ids=["prod", "cumprod"])
def test_prod_and_cumprod_refuse_create_graph_at_a_zero_entry(reduce):
    x = t([2.0, 0.0, 3.0])
    with pytest.raises(RuntimeError, match="double backward .* not implemented for an input with zero entries"):
        mg.autograd.grad(reduce(x), x, create_graph=True)
    reduce(x).backward()  # first order is exact there
    assert x.grad is not None
