import numpy as np
import pytest

import minigrad as mg
import minigrad.optim as optim


def _param(values, grad):
    p = mg.tensor(values, dtype="float64", requires_grad=True)
    p.grad = mg.tensor(grad, dtype="float64")
    return p


def test_momentum_trajectory_by_hand():
    p = _param([1.0, 2.0], [1.0, 1.0])
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    opt.step()
    np.testing.assert_allclose(p.detach().numpy(), [0.9, 1.9])
    opt.step()
    np.testing.assert_allclose(p.detach().numpy(), [0.71, 1.71])


def test_weight_decay_by_hand():
    p = _param([1.0], [0.0])
    optim.SGD([p], lr=0.1, weight_decay=0.5).step()
    np.testing.assert_allclose(p.detach().numpy(), [0.95])


def test_nesterov_dampening_and_maximize_follow_pytorch_rule():
    p = _param([1.0], [2.0])
    opt = optim.SGD([p], lr=0.1, momentum=0.5, nesterov=True)
    opt.step()  # buf = 2, d = 2 + 0.5 * 2 = 3
    np.testing.assert_allclose(p.detach().numpy(), [0.7])
    opt.step()  # buf = 0.5 * 2 + 2 = 3, d = 2 + 1.5 = 3.5
    np.testing.assert_allclose(p.detach().numpy(), [0.35])
    q = _param([1.0], [2.0])
    opt = optim.SGD([q], lr=0.1, momentum=0.5, dampening=0.5, maximize=True)
    opt.step()  # buf = -2
    opt.step()  # buf = 0.5 * -2 + 0.5 * -2 = -2
    np.testing.assert_allclose(q.detach().numpy(), [1.4])


def test_parameters_without_grad_are_skipped_and_groups_have_their_own_lr():
    a, b, c = _param([1.0], [1.0]), _param([1.0], [1.0]), mg.tensor([1.0], requires_grad=True)
    optim.SGD([{"params": [a]}, {"params": [b, c], "lr": 0.5}], lr=0.1).step()
    np.testing.assert_allclose([a.item(), b.item(), c.item()], [0.9, 0.5, 1.0])


def test_zero_grad_and_state_dict_round_trip():
    p = _param([1.0, 2.0], [1.0, 1.0])
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    opt.step()
    state = opt.state_dict()
    assert state["param_groups"][0]["params"] == [0]
    np.testing.assert_allclose(state["state"][0]["momentum_buffer"], [1, 1])
    q = _param([0.9, 1.9], [1.0, 1.0])
    restored = optim.SGD([q], lr=0.5, momentum=0.9)
    restored.load_state_dict(state)
    assert restored.param_groups[0]["lr"] == 0.1
    restored.step()
    np.testing.assert_allclose(q.detach().numpy(), [0.71, 1.71])
    restored.zero_grad()
    assert q.grad is None


@pytest.mark.parametrize("kwargs, match", [
    (dict(lr=-0.1), "SGD: lr must be a number >= 0, got -0.1"),
    (dict(lr=0.1, momentum=-1), "SGD: momentum must be a number >= 0, got -1"),
    (dict(lr=0.1, weight_decay=-1), "SGD: weight_decay must be a number >= 0, got -1"),
    (dict(lr=0.1, nesterov=True), "SGD: Nesterov momentum requires momentum > 0 and dampening = 0, got momentum=0, dampening=0"),
    (dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "dampening = 0"),
])
def test_bad_hyperparameters_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        optim.SGD([mg.zeros(1, requires_grad=True)], **kwargs)


def test_bad_parameter_lists_are_refused():
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors.*single Tensor"):
        optim.SGD(mg.zeros(1, requires_grad=True), lr=0.1)
    with pytest.raises(TypeError, match="needs a learning rate"):
        optim.SGD([mg.zeros(1, requires_grad=True)])
    with pytest.raises(TypeError, match="only optimize Tensors"):
        optim.SGD([np.zeros(1)], lr=0.1)


def test_load_state_dict_refuses_a_state_that_does_not_fit():
    p = _param([1.0, 2.0], [1.0, 1.0])
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    opt.step()
    state = opt.state_dict()
    with pytest.raises(ValueError, match="2 parameters in the state_dict and 1 in the optimizer"):
        other = optim.SGD([_param([1.0], [1.0])], lr=0.1, momentum=0.9)
        other.load_state_dict({"state": {}, "param_groups": [dict(state["param_groups"][0], params=[0, 1])]})
    with pytest.raises(ValueError, match="state_dict has 1 parameter groups, the optimizer has 2"):
        optim.SGD([{"params": [_param([1.0], [1.0])]}, {"params": [_param([1.0], [1.0])]}], lr=0.1).load_state_dict(state)
    with pytest.raises(ValueError, match="state 'momentum_buffer' of parameter 0 has shape \\(2,\\), the parameter has \\(3,\\)"):
        optim.SGD([_param([1.0, 2.0, 3.0], [1.0, 1.0, 1.0])], lr=0.1, momentum=0.9).load_state_dict(state)


@pytest.mark.gpu
@pytest.mark.parametrize("options", [dict(momentum=0.9, nesterov=True, weight_decay=0.01), dict(momentum=0.5, dampening=0.2, maximize=True)])
def test_sgd_matches(options, rng):
    p0, grads = rng.standard_normal(1000).astype(np.float32), rng.standard_normal((3, 1000)).astype(np.float32)
    finals = []
    for device in ("cpu", "cuda"):
        p = mg.tensor(p0, requires_grad=True, device=device)
        opt = optim.SGD([p], lr=0.1, **options)
        for g in grads:
            p.grad = mg.tensor(g, device=device)
            opt.step()
        finals.append(p.detach().numpy())
    np.testing.assert_allclose(finals[1], finals[0], rtol=1e-6, atol=1e-6)
