"""Adam, AdamW, RMSprop, Adagrad and Adadelta against float64 NumPy references of PyTorch's
documented algorithms (torch.optim docs), over many steps, in float64 (to rounding) and float32."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.optim as optim


def _lerp(start, end, weight):
    return start + weight * (end - start) if weight < 0.5 else end - (end - start) * (1 - weight)


def reference_adam(p, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False,
                   maximize=False, decoupled=False):
    beta1, beta2 = betas
    m, v, v_max = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)
    for t, g in enumerate(grads, start=1):
        g = -g if maximize else g
        if decoupled:
            p = p * (1 - lr * weight_decay)
        elif weight_decay:
            g = g + weight_decay * p
        m = _lerp(m, g, 1 - beta1)
        v = v * beta2 + (1 - beta2) * g * g
        if amsgrad:
            v_max = np.maximum(v_max, v)
        denom = np.sqrt(v_max if amsgrad else v) / np.sqrt(1 - beta2 ** t) + eps
        p = p - lr / (1 - beta1 ** t) * (m / denom)
    return p


def reference_rmsprop(p, grads, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                      maximize=False):
    sq, g_avg, buf = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)
    for g in grads:
        g = -g if maximize else g
        g = g + weight_decay * p
        sq = sq * alpha + (1 - alpha) * g * g
        if centered:
            g_avg = _lerp(g_avg, g, 1 - alpha)
            avg = np.sqrt(sq - g_avg * g_avg) + eps
        else:
            avg = np.sqrt(sq) + eps
        if momentum > 0:
            buf = buf * momentum + g / avg
            p = p - lr * buf
        else:
            p = p - lr * (g / avg)
    return p


def reference_adagrad(p, grads, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                      maximize=False):
    total = np.full_like(p, initial_accumulator_value)
    for t, g in enumerate(grads, start=1):
        g = -g if maximize else g
        g = g + weight_decay * p
        total = total + g * g
        p = p - lr / (1 + (t - 1) * lr_decay) * (g / (np.sqrt(total) + eps))
    return p


def reference_adadelta(p, grads, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False):
    sq, acc = np.zeros_like(p), np.zeros_like(p)
    for g in grads:
        g = -g if maximize else g
        g = g + weight_decay * p
        sq = sq * rho + (1 - rho) * g * g
        delta = np.sqrt(acc + eps) / np.sqrt(sq + eps) * g
        acc = acc * rho + (1 - rho) * delta * delta
        p = p - lr * delta
    return p


CASES = [
    (optim.Adam, reference_adam, {}),
    (optim.Adam, reference_adam, dict(lr=0.05, betas=(0.3, 0.8), weight_decay=0.1, amsgrad=True)),
    (optim.Adam, reference_adam, dict(lr=0.01, eps=1e-3, maximize=True)),
    (optim.AdamW, lambda p, g, **kw: reference_adam(p, g, decoupled=True, weight_decay=1e-2, **kw), {}),
    (optim.AdamW, lambda p, g, **kw: reference_adam(p, g, decoupled=True, **kw),
     dict(lr=0.02, weight_decay=0.3, amsgrad=True, maximize=True)),
    (optim.RMSprop, reference_rmsprop, {}),
    (optim.RMSprop, reference_rmsprop, dict(alpha=0.7, centered=True, weight_decay=0.1)),
    (optim.RMSprop, reference_rmsprop, dict(lr=1e-3, momentum=0.9, centered=True, maximize=True)),
    (optim.RMSprop, reference_rmsprop, dict(momentum=0.5, eps=1e-2)),
    (optim.Adagrad, reference_adagrad, {}),
    (optim.Adagrad, reference_adagrad, dict(lr=0.1, lr_decay=0.05, weight_decay=0.2, initial_accumulator_value=0.3,
                                            maximize=True)),
    (optim.Adadelta, reference_adadelta, {}),
    (optim.Adadelta, reference_adadelta, dict(lr=0.5, rho=0.4, eps=1e-4, weight_decay=0.1, maximize=True)),
]
IDS = [f"{cls.__name__}-{i}" for i, (cls, _, _) in enumerate(CASES)]


def _run(cls, kwargs, p0, grads, dtype, device="cpu"):
    p = mg.tensor(p0.astype(dtype), requires_grad=True, device=device)
    opt = cls([p], **kwargs)
    for g in grads:
        p.grad = mg.tensor(g.astype(dtype), device=device)
        opt.step()
    return p.detach().numpy()


@pytest.mark.parametrize("cls, reference, kwargs", CASES, ids=IDS)
def test_float64_steps_equal_the_reference_to_rounding(cls, reference, kwargs, device, rng):
    p0, grads = rng.standard_normal((7, 13)), rng.standard_normal((60, 7, 13))
    expected = reference(p0, grads, **kwargs)
    np.testing.assert_allclose(_run(cls, kwargs, p0, grads, "float64", device), expected, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("cls, reference, kwargs", CASES, ids=IDS)
def test_float32_steps_follow_the_float64_reference(cls, reference, kwargs, device, rng):
    p0, grads = rng.standard_normal(300), rng.standard_normal((20, 300))
    expected = reference(p0, grads, **kwargs)
    # each step rounds to float32 (relative 6e-8); 20 steps of adaptive updates stay well within 1e-5
    np.testing.assert_allclose(_run(cls, kwargs, p0, grads, "float32", device), expected, rtol=1e-5, atol=1e-5)


def test_adam_first_step_by_hand():
    # step 1: m = 0.1 g, v = 0.001 g^2, so the update is lr * g / (|g| + eps / ...) = lr * sign(g)
    p = mg.tensor([1.0, -2.0], dtype="float64", requires_grad=True)
    p.grad = mg.tensor([3.0, -0.5], dtype="float64")
    optim.Adam([p], lr=0.1, eps=0.0).step()
    np.testing.assert_allclose(p.detach().numpy(), [0.9, -1.9], rtol=1e-14)


def test_parameters_of_any_shape_and_strides_are_updated_like_contiguous_ones(rng):
    base = rng.standard_normal((6, 8))
    grads = rng.standard_normal((5, 8, 6))
    results = []
    for transposed in (False, True):
        data = base.T if transposed else np.ascontiguousarray(base.T)
        p = mg.tensor(np.zeros((8, 6)), dtype="float64", requires_grad=True)
        p._data = data  # a parameter whose array is a transposed view
        opt = optim.Adam([p], lr=0.1, amsgrad=True)
        for g in grads:
            p.grad = mg.tensor(np.asfortranarray(g)) if transposed else mg.tensor(g)
            opt.step()
        assert p._data is data  # updated in place, never replaced
        results.append((p.detach().numpy(), opt.state[p]["exp_avg_sq"]))
    np.testing.assert_array_equal(results[1][0], results[0][0])
    np.testing.assert_array_equal(results[1][1], results[0][1])


def test_a_parameter_group_without_grads_keeps_no_state_and_groups_have_their_own_settings():
    a = mg.tensor([1.0], requires_grad=True)
    b = mg.tensor([1.0], requires_grad=True)
    c = mg.tensor([1.0], requires_grad=True)
    a.grad, b.grad = mg.tensor([1.0]), mg.tensor([1.0])
    opt = optim.Adam([{"params": [a]}, {"params": [b, c], "lr": 0.5}], lr=0.1)
    opt.step()
    np.testing.assert_allclose([a.item(), b.item(), c.item()], [0.9, 0.5, 1.0], rtol=1e-6)
    assert c not in opt.state and opt.state[a]["step"] == 1


def test_zero_grad_sets_to_none_or_zeroes_in_place():
    p = mg.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    p.grad = mg.tensor([3.0, 4.0])
    grad = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is grad
    np.testing.assert_array_equal(grad.numpy(), [0, 0])
    opt.zero_grad()
    assert p.grad is None


def test_step_takes_a_closure_and_returns_its_loss():
    p = mg.tensor([2.0], requires_grad=True)
    opt = optim.RMSprop([p])

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    assert opt.step(closure).item() == 4.0
    assert p.item() < 2.0


def test_training_with_adam_lowers_the_loss():
    mg.manual_seed(0)
    model = mg.nn.Sequential(mg.nn.Linear(4, 16), mg.nn.ReLU(), mg.nn.Linear(16, 1))
    x = mg.randn(64, 4)
    y = (x * mg.tensor([1.0, -2.0, 0.5, 3.0])).sum(1, True)
    opt = optim.AdamW(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(100):
        loss = mg.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.05 * losses[0]


@pytest.mark.parametrize("cls, kwargs, match", [
    (optim.Adam, dict(lr=-1e-3), r"Adam: lr must be a number >= 0, got -0.001"),
    (optim.Adam, dict(eps=-1e-8), r"Adam: eps must be a number >= 0, got -1e-08"),
    (optim.Adam, dict(betas=(1.0, 0.999)), r"Adam: betas\[0\] must be a number in \[0, 1\), got 1.0"),
    (optim.Adam, dict(betas=(0.9, -0.1)), r"Adam: betas\[1\] must be a number in \[0, 1\), got -0.1"),
    (optim.Adam, dict(betas=0.9), r"Adam: betas must be a pair \(beta1, beta2\), each in \[0, 1\), got 0.9"),
    (optim.AdamW, dict(weight_decay=-0.1), r"AdamW: weight_decay must be a number >= 0, got -0.1"),
    (optim.RMSprop, dict(alpha=-0.5), r"RMSprop: alpha must be a number >= 0, got -0.5"),
    (optim.RMSprop, dict(momentum=-0.9), r"RMSprop: momentum must be a number >= 0, got -0.9"),
    (optim.Adagrad, dict(lr_decay=-1), r"Adagrad: lr_decay must be a number >= 0, got -1"),
    (optim.Adagrad, dict(initial_accumulator_value=-1), r"Adagrad: initial_accumulator_value must be a number >= 0, got -1"),
    (optim.Adadelta, dict(rho=1.5), r"Adadelta: rho must be a number in \[0, 1\], got 1.5"),
    (optim.Adadelta, dict(lr="fast"), r"Adadelta: lr must be a number, got str 'fast'"),
])
def test_bad_hyperparameters_are_refused_naming_the_argument(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cls([mg.zeros(1, requires_grad=True)], **kwargs)


def test_bad_hyperparameters_in_an_added_group_are_refused():
    opt = optim.Adam([mg.zeros(1, requires_grad=True)])
    with pytest.raises(ValueError, match=r"Adam: betas\[0\] must be a number in \[0, 1\), got 1.5"):
        opt.add_param_group({"params": [mg.zeros(1, requires_grad=True)], "betas": (1.5, 0.9)})


def test_a_gradient_of_another_shape_or_dtype_is_a_clear_error():
    p = mg.zeros(3, dtype="float64", requires_grad=True)
    opt = optim.Adam([p])
    with pytest.raises(RuntimeError, match="assigned grad has shape"):
        p.grad = mg.zeros(4, dtype="float64")
    p.grad = mg.zeros(3, dtype="float64")
    p.grad._data = np.zeros(4)  # the array behind a gradient can still be swapped: the kernel checks too
    with pytest.raises(ValueError, match=r"grad has shape \(4,\), expected \(3,\)"):
        opt.step()
    p.grad._data = np.zeros(3, dtype=np.float32)
    with pytest.raises(TypeError, match="grad has dtype float32, but param has float64"):
        opt.step()


class _CountingParameter(mg.Tensor):
    """A parameter that records the in-place writes an optimizer reports (the engine's version
    counter hook)."""

    bumps = 0

    def _bump_version(self):
        self.bumps += 1


@pytest.mark.parametrize("cls, kwargs", [(optim.SGD, dict(lr=0.1, momentum=0.9)), (optim.Adam, {}), (optim.AdamW, {}),
                                         (optim.RMSprop, {}), (optim.Adagrad, {}), (optim.Adadelta, {}),
                                         (optim.Adamax, {}), (optim.NAdam, {}), (optim.RAdam, {}), (optim.ASGD, {})])
def test_each_step_reports_the_in_place_write_of_every_updated_parameter(cls, kwargs):
    updated = _CountingParameter(np.ones(3), requires_grad=True)
    untouched = _CountingParameter(np.ones(3), requires_grad=True)
    opt = cls([updated, untouched], **kwargs)
    updated.grad = mg.ones(3, dtype="float64")
    opt.step()
    opt.step()
    assert (updated.bumps, untouched.bumps) == (2, 0)


def test_a_new_optimizer_only_implements_update():
    class SignSGD(optim.Optimizer):
        state_names = ("steps",)

        def __init__(self, params, lr=0.1):
            super().__init__(params, dict(lr=lr))

        def update(self, param, grad, state, group):
            state["steps"] = state.get("steps", 0) + 1
            param -= group["lr"] * np.sign(grad)

    p = mg.tensor([1.0, -1.0], dtype="float64", requires_grad=True)
    opt = SignSGD([p])
    p.grad = mg.tensor([3.0, -0.5], dtype="float64")
    opt.step()
    opt.step()
    np.testing.assert_allclose(p.detach().numpy(), [0.8, -0.8])
    restored = SignSGD([mg.zeros(2, dtype="float64", requires_grad=True)])
    restored.load_state_dict(opt.state_dict())
    assert list(restored.state.values())[0] == {"steps": 2}
    with pytest.raises(ValueError, match=r"SignSGD: lr must be a number >= 0, got -1"):
        SignSGD([p], lr=-1)


OPTIMIZER_CASES = [
    (optim.Adam, dict(lr=0.05, weight_decay=0.1, amsgrad=True)),
    (optim.AdamW, dict(lr=0.05, maximize=True)),
    (optim.RMSprop, dict(momentum=0.9, centered=True, weight_decay=0.1)),
    (optim.RMSprop, dict()),
    (optim.Adagrad, dict(lr_decay=0.1, initial_accumulator_value=0.2)),
    (optim.Adadelta, dict(weight_decay=0.1, maximize=True)),
    (optim.Adamax, dict(lr=0.05, weight_decay=0.1)),
    (optim.NAdam, dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    (optim.RAdam, dict(lr=0.05, betas=(0.9, 0.6), weight_decay=0.1, maximize=True)),
    (optim.ASGD, dict(lr=0.05, t0=3, weight_decay=0.1)),
]


@pytest.mark.gpu
@pytest.mark.parametrize("cls, options", OPTIMIZER_CASES,
                         ids=[f"{c.__name__}-{i}" for i, (c, _) in enumerate(OPTIMIZER_CASES)])
@pytest.mark.parametrize("dtype, tol", [("float64", 1e-12), ("float32", 1e-5)])
def test_optimizer_kernels_match(cls, options, dtype, tol, rng):
    p0, grads = rng.standard_normal((33, 31)), rng.standard_normal((10, 33, 31))
    finals = []
    for device in ("cpu", "cuda"):
        p = mg.tensor(p0, dtype=dtype, requires_grad=True, device=device)
        opt = cls([p], **options)
        for g in grads:
            p.grad = mg.tensor(g, dtype=dtype, device=device)
            opt.step()
        finals.append([p.detach().numpy()] + [value.get() if device == "cuda" else value
                                     for value in opt.state[p].values() if hasattr(value, "shape")])
    for a, b in zip(*finals):
        np.testing.assert_allclose(b, a, rtol=tol, atol=tol)
