"""Gradient hooks (Tensor.register_hook), retain_grad and inference_mode, with torch's rules: a hook
sees the gradient of its tensor and may replace it; a leaf's hooks see the gradient summed over every
use in the graph, before it is added into .grad; retain_grad's hook runs after the others."""
import numpy as np
import pytest

import minigrad as mg


def test_a_hook_on_a_result_replaces_the_gradient_that_flows_on(rng):
    x = rng.standard_normal(4)
    w = mg.tensor(x, requires_grad=True)
    h = w * w  # dh/dw = 2w
    seen = []
    h.register_hook(lambda g: seen.append(g.numpy().copy()))
    h.register_hook(lambda g: g * 3)  # hooks run in registration order; the first returns None: kept
    (h * 2).sum().backward()
    np.testing.assert_array_equal(seen[0], np.full(4, 2.0))
    np.testing.assert_allclose(w.grad.numpy(), 3 * 2.0 * 2 * x, rtol=1e-15)


def test_a_leafs_hooks_see_its_gradient_summed_over_every_use_once_per_backward(rng):
    x = rng.standard_normal(3)
    w = mg.tensor(x, requires_grad=True)
    calls = []
    w.register_hook(lambda g: calls.append(g.numpy().copy()) or g.clamp(-1.0, 1.0))
    ((w * 2).sum() + (w * w).sum()).backward()  # two uses: gradients 2 and 2w, summed
    assert len(calls) == 1
    np.testing.assert_allclose(calls[0], 2 + 2 * x, rtol=1e-15)
    np.testing.assert_allclose(w.grad.numpy(), np.clip(2 + 2 * x, -1, 1), rtol=1e-15)
    (w * 5).sum().backward()  # accumulated after the hook, as torch
    np.testing.assert_allclose(w.grad.numpy(), np.clip(2 + 2 * x, -1, 1) + 1.0, rtol=1e-15)


def test_retain_grad_keeps_a_results_gradient_after_the_other_hooks_and_accumulates(rng):
    x = rng.standard_normal(3)
    w = mg.tensor(x, requires_grad=True)
    h = w.exp()
    h.retain_grad()
    h.register_hook(lambda g: g * 10)  # registered later, still runs before retain_grad's
    loss = (h * h).sum()  # dloss/dh = 2h
    loss.backward(retain_graph=True)
    np.testing.assert_allclose(h.grad.numpy(), 10 * 2 * np.exp(x), rtol=1e-14)
    np.testing.assert_allclose(w.grad.numpy(), 10 * 2 * np.exp(x) * np.exp(x), rtol=1e-14)
    loss.backward()
    np.testing.assert_allclose(h.grad.numpy(), 2 * 10 * 2 * np.exp(x), rtol=1e-14)
    assert h.retains_grad and not w.retains_grad and not h.is_leaf
    w.retain_grad()  # a leaf keeps its gradient anyway: a no-op
    assert not w.retains_grad
    h2 = w.exp()
    h2.register_hook(lambda g: g * 10)  # registered first: runs before retain_grad's either way
    h2.retain_grad()
    (h2 * h2).sum().backward()
    np.testing.assert_allclose(h2.grad.numpy(), 10 * 2 * np.exp(x), rtol=1e-14)


def test_removed_hooks_do_not_run_and_hooks_on_roots_and_leaf_roots_do():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.register_hook(lambda g: g * 2).remove()
    y.register_hook(lambda g: g * 3)
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), 3 * 2 * np.array([1.0, 2.0]))
    leaf = mg.tensor(3.0, requires_grad=True)
    leaf.register_hook(lambda g: g + 1)
    leaf.backward()
    assert leaf.grad.item() == 2.0


class _TwoOutputs(mg.Op):
    def forward(self, x):
        return x * 2, x * 3

    def backward(self, ga, gb):
        return 2 * ga + 3 * gb


def test_an_output_no_gradient_reached_does_not_run_its_hooks_and_float32_stays_float32():
    x = mg.tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    a, b = _TwoOutputs()(x)
    calls = []
    b.register_hook(lambda g: calls.append(g))
    a.register_hook(lambda g: calls.append(g.dtype) or g * 2)
    a.sum().backward()
    assert calls == [mg.float32]
    assert x.grad.dtype == mg.float32
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 4.0])


def test_hooks_refuse_what_torch_refuses():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't require gradient"):
        mg.tensor([1.0]).register_hook(lambda g: g)
    with pytest.raises(RuntimeError, match="can't retain_grad on Tensor that has requires_grad=False"):
        mg.tensor([1.0]).retain_grad()
    with pytest.raises(TypeError, match="hook must be callable, got int"):
        x.register_hook(3)
    y = x * 2
    y.register_hook(lambda g: mg.ones(3))
    with pytest.raises(RuntimeError, match=r"gradient's shape \(2,\), got shape \(3,\)"):
        y.sum().backward()
    z = x * 2
    z.register_hook(lambda g: g.numpy())
    with pytest.raises(RuntimeError, match="must return None or a Tensor .* got ndarray"):
        z.sum().backward()


@pytest.mark.parametrize("leaf", [True, False], ids=["leaf", "result"])
def test_a_hook_that_changes_the_gradients_dtype_is_an_error_as_in_torch(leaf):
    """torch: "hook '<lambda>' has changed the type of value (was torch.FloatTensor got
    torch.DoubleTensor)"; the float64 gradient was cast back to float32 silently."""
    for changed in (lambda g: g.double(), lambda g: g.long()):
        x = mg.tensor([1.0, 2.0], requires_grad=True)
        hooked = x if leaf else x * 2
        hooked.register_hook(changed)
        with pytest.raises(RuntimeError, match=r"hook '<lambda>' has changed the type of value \(was float32 on cpu, "
                                               r"got (float64|int64) on cpu\)"):
            (hooked * 3).sum().backward()


def test_inference_mode_records_nothing_nests_and_decorates():
    w = mg.tensor([1.0], requires_grad=True)
    with mg.inference_mode():
        assert not (w * 2).requires_grad and not mg.is_grad_enabled()
        with mg.enable_grad():
            assert (w * 2).requires_grad
    assert mg.is_grad_enabled()
    with mg.inference_mode(False):
        assert (w * 2).requires_grad

    @mg.inference_mode()
    def predict(t):
        return t * 3

    assert not predict(w).requires_grad and mg.is_grad_enabled()


def test_post_accumulate_grad_hook_runs_once_per_backward_after_the_leaf_grad_is_complete():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    w.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.numpy().copy()))
    (w * 2 + w * w + w).sum().backward()  # three uses of w
    np.testing.assert_array_equal(np.array(seen), [[5.0, 7.0]])  # torch: one call, the whole 2 + 2w + 1
    (w * 3).sum().backward()
    np.testing.assert_array_equal(np.array(seen), [[5.0, 7.0], [8.0, 10.0]])
