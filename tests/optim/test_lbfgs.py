"""LBFGS against torch 2.13's numbers (kept as literals, from torch.optim.LBFGS in float64) on the
Rosenbrock function from (-1.5, 2): the iterates of the first steps, the iteration and evaluation
counts of ten steps, the minimum; the closure API, state_dict and refusals."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.optim as optim

# torch's iterates after steps 1-3, the losses step returned, and (n_iter, func_evals) after each of ten steps
TORCH = {
    None: dict(
        iterates=[[-0.781122729831648, 0.6131352916809746], [0.08303252319322772, 0.005052944696990406],
                  [1.054969018030194, 0.8137053551938505]],
        losses=[12.5, 3.173287752667091, 0.8411684492507328],
        counts=[(20, 20), (40, 40), (60, 60), (80, 80), (89, 89), (90, 90), (91, 91), (92, 92), (93, 93), (94, 94)]),
    "strong_wolfe": dict(
        iterates=[[-0.08511855589860293, -0.028757058413769698], [0.9995835472529905, 0.9991550319577943],
                  [0.9999979943196398, 0.9999973438921637]],
        losses=[12.5, 1.3070983150500495, 1.884048137837783e-07],
        counts=[(19, 25), (38, 50), (41, 53), (42, 54), (43, 55), (44, 56), (45, 57), (46, 58), (47, 59), (48, 60)]),
}
# without a line search lr = 1 overshoots on the curved valley, and a few steps amplify rounding
# (1e-13 after step 1, 1e-9 after step 2, 1e-7 after step 3); the strong-Wolfe iterates stay within 1e-12
TOLERANCE = {None: [1e-12, 1e-8, 1e-5], "strong_wolfe": [1e-12, 1e-12, 1e-12]}


def _rosenbrock_problem(line_search_fn, dtype="float64", device="cpu", **kwargs):
    x = mg.tensor([-1.5, 2.0], dtype=dtype, requires_grad=True, device=device)
    opt = optim.LBFGS([x], line_search_fn=line_search_fn, **kwargs)

    def closure():
        opt.zero_grad()
        loss = (1 - x[0]) ** 2 + 100 * (x[1] - x[0] * x[0]) ** 2
        loss.backward()
        return loss
    return x, opt, closure


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_rosenbrock_iterates_and_counts_are_torch_s(line_search_fn, device):
    x, opt, closure = _rosenbrock_problem(line_search_fn, device=device)
    expected = TORCH[line_search_fn]
    for step in range(10):
        loss = opt.step(closure)
        if step < 3:
            np.testing.assert_allclose(x.detach().numpy(), expected["iterates"][step], rtol=TOLERANCE[line_search_fn][step])
            assert loss.item() == pytest.approx(expected["losses"][step], rel=1e-5)
        assert (opt.state[x]["n_iter"], opt.state[x]["func_evals"]) == expected["counts"][step]
    np.testing.assert_allclose(x.detach().numpy(), [1.0, 1.0], atol=1e-5)


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_float32_reaches_the_minimum(line_search_fn):
    x, opt, closure = _rosenbrock_problem(line_search_fn, dtype="float32")
    for _ in range(10):
        opt.step(closure)
    assert x.dtype == mg.float32
    np.testing.assert_allclose(x.detach().numpy(), [1.0, 1.0], atol=1e-3)


def test_step_returns_the_first_loss_and_calls_the_closure_at_most_max_eval_times():
    x, opt, closure = _rosenbrock_problem(None, max_iter=4)
    calls = []
    first = opt.step(lambda: calls.append(1) or closure())
    assert first.item() == 12.5 and len(calls) == 4  # max_eval = max_iter * 5 // 4 = 5; the last iteration skips it
    assert opt.param_groups[0]["max_eval"] == 5


def test_several_parameters_make_one_flat_vector():
    # the Rosenbrock problem split over two parameters takes the same steps
    a = mg.tensor([-1.5], dtype="float64", requires_grad=True)
    b = mg.tensor([[2.0]], dtype="float64", requires_grad=True)
    opt = optim.LBFGS([a, b], line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = ((1 - a) ** 2 + 100 * (b.reshape(1) - a * a) ** 2).sum()
        loss.backward()
        return loss
    opt.step(closure)
    np.testing.assert_allclose([a.item(), b.item()], TORCH["strong_wolfe"]["iterates"][0], rtol=1e-12)


def test_state_dict_round_trip_continues_identically():
    x, opt, closure = _rosenbrock_problem("strong_wolfe")
    opt.step(closure)
    saved = opt.state_dict()
    assert sorted(saved["state"][0]) == sorted(optim.LBFGS.state_names)
    y, restored, restored_closure = _rosenbrock_problem("strong_wolfe")
    y.data[...] = x.detach().numpy()
    restored.load_state_dict(saved)
    opt.step(closure)
    restored.step(restored_closure)
    np.testing.assert_array_equal(y.detach().numpy(), x.detach().numpy())
    assert restored.state[y]["n_iter"] == opt.state[x]["n_iter"] == 38


def test_a_state_dict_of_another_size_is_refused():
    x, opt, closure = _rosenbrock_problem(None, max_iter=2)
    opt.step(closure)
    other = optim.LBFGS([mg.zeros(3, dtype="float64", requires_grad=True)])
    with pytest.raises(ValueError, match=r"state 'd' has shape \(2,\), the parameters have 3 elements"):
        other.load_state_dict(opt.state_dict())


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(lr=-1), ValueError, r"LBFGS: lr must be a number >= 0, got -1"),
    (dict(max_iter=0), ValueError, r"LBFGS: max_iter must be a positive int, got 0"),
    (dict(history_size=2.5), TypeError, r"LBFGS: history_size must be a positive int, got float 2.5"),
    (dict(tolerance_grad=-1e-7), ValueError, r"LBFGS: tolerance_grad must be a number >= 0"),
    (dict(line_search_fn="armijo"), ValueError, r"LBFGS: line_search_fn must be None or 'strong_wolfe', got 'armijo'"),
])
def test_bad_hyperparameters_are_refused_naming_the_argument(kwargs, error, match):
    with pytest.raises(error, match=match):
        optim.LBFGS([mg.zeros(2, requires_grad=True)], **kwargs)


def test_parameter_groups_and_a_missing_closure_are_refused():
    a, b = mg.zeros(1, requires_grad=True), mg.zeros(1, requires_grad=True)
    with pytest.raises(ValueError, match="LBFGS doesn't support per-parameter options"):
        optim.LBFGS([{"params": [a]}, {"params": [b]}])
    with pytest.raises(TypeError, match=r"LBFGS.step needs a closure"):
        optim.LBFGS([a]).step()
