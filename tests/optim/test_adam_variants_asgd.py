"""Adamax, NAdam, RAdam and ASGD against torch 2.13's numbers (kept as literals: eight steps from
linspace(-1, 1.5, 5) with the gradients of ``_gradient``, computed with torch.optim under
torch.set_default_dtype(torch.float64), where torch's own scalar state (NAdam's mu_product, ASGD's
eta and mu) is double as minigrad's is), on both devices, in float64 and float32, and their refusals."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.optim as optim

STEPS = 8
START = np.linspace(-1, 1.5, 5)


def _gradient(step):
    return np.sin(np.arange(5) * (0.7 + step) + step) * (1 + step % 3)


TORCH_FINAL = [
    (optim.Adamax, {},
     [-1.003126563704376, -0.37748953278503744, 0.24746107074332352, 0.8747147024042702, 1.4941759650699398]),
    (optim.Adamax, dict(lr=0.05, betas=(0.5, 0.8), eps=1e-3, weight_decay=0.1, maximize=True),
     [-0.8972597273948573, -0.3119589127282324, 0.2849979120704499, 0.8188886822910155, 1.6269550517047597]),
    (optim.NAdam, {},
     [-1.0023350667135658, -0.3771879039126067, 0.24878020222282124, 0.8776632466378531, 1.494225619457772]),
    (optim.NAdam, dict(lr=0.05, betas=(0.6, 0.9), weight_decay=0.1, momentum_decay=0.1),
     [-0.9856764539833506, -0.4286705761378819, 0.22022585014550852, 0.9437619148153964, 1.3083254596116864]),
    (optim.NAdam, dict(lr=0.02, weight_decay=0.3, decoupled_weight_decay=True, maximize=True),
     [-0.9306615205487985, -0.33637802845677145, 0.24974801299483734, 0.8072364020175634, 1.485554439918224]),
    (optim.RAdam, {},
     [-1.0040966453054347, -0.3754970565909759, 0.24813350055887018, 0.8750172546617044, 1.4969311393103075]),
    # beta2 = 0.5: rho_t > 5 from the first step, so the rectified branch runs too
    (optim.RAdam, dict(lr=0.05, betas=(0.8, 0.5), weight_decay=0.1),
     [-1.112945794138575, -0.32217246069647587, 0.15511171807425927, 0.9057623999160225, 1.2473439626965628]),
    (optim.RAdam, dict(lr=0.02, betas=(0.9, 0.6), weight_decay=0.3, decoupled_weight_decay=True, maximize=True),
     [-0.881375524932575, -0.3680033683037998, 0.27577876789052863, 0.8134141865903255, 1.5103250623369133]),
    (optim.ASGD, {},
     [-1.0119532443608559, -0.36684522334738623, 0.2475487345098326, 0.906768967429888, 1.4673211797334755]),
    # t0 = 2: the average ax starts during the eight steps
    (optim.ASGD, dict(lr=0.1, lambd=0.5, alpha=0.5, t0=2, weight_decay=0.1, maximize=True),
     [-0.5664306629559062, -0.2920403936632545, 0.16092531559536863, 0.2957796200889727, 1.193606299513674]),
]
IDS = [f"{cls.__name__}-{i}" for i, (cls, _, _) in enumerate(TORCH_FINAL)]


def _run(cls, kwargs, dtype, device, steps=STEPS):
    p = mg.tensor(START, dtype=dtype, requires_grad=True, device=device)
    opt = cls([p], **kwargs)
    for step in range(steps):
        p.grad = mg.tensor(_gradient(step), dtype=dtype, device=device)
        opt.step()
    return p, opt


@pytest.mark.parametrize("cls, kwargs, expected", TORCH_FINAL, ids=IDS)
def test_float64_steps_equal_torch_to_rounding(cls, kwargs, expected, device):
    p, _ = _run(cls, kwargs, "float64", device)
    np.testing.assert_allclose(p.detach().numpy(), expected, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("cls, kwargs, expected", TORCH_FINAL, ids=IDS)
def test_float32_steps_follow_torch(cls, kwargs, expected, device):
    p, _ = _run(cls, kwargs, "float32", device)
    assert p.dtype == mg.float32
    np.testing.assert_allclose(p.detach().numpy(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cls, names", [
    (optim.Adamax, ["step", "exp_avg", "exp_inf"]), (optim.NAdam, ["step", "mu_product", "exp_avg", "exp_avg_sq"]),
    (optim.RAdam, ["step", "exp_avg", "exp_avg_sq"]), (optim.ASGD, ["step", "eta", "mu", "ax"]),
])
def test_state_is_named_as_torch_s(cls, names):
    _, opt = _run(cls, {}, "float64", "cpu", steps=2)
    state = opt.state_dict()["state"][0]
    assert list(state) == names and state["step"] == 2


def test_asgd_state_holds_torch_s_step_size_and_average():
    # torch's state after 8 steps: eta = lr / (1 + lambd lr t)^alpha; mu = 1 / max(1, t - t0)
    p, opt = _run(optim.ASGD, dict(lr=0.1, lambd=0.5, alpha=0.5, t0=2, weight_decay=0.1, maximize=True),
                  "float64", "cpu")
    state = opt.state[p]
    assert state["eta"] == pytest.approx(0.1 / (1 + 0.5 * 0.1 * 8) ** 0.5, rel=1e-15)
    assert state["mu"] == 1 / 6
    np.testing.assert_allclose(state["ax"], [-0.5792306792207793, -0.38176047367671945, 0.2577618267757238,
                                             0.47400367742522764, 1.2349314773131033], rtol=1e-14)


def test_asgd_ax_follows_the_parameter_before_t0():
    p, opt = _run(optim.ASGD, dict(lr=0.1), "float64", "cpu", steps=3)
    np.testing.assert_array_equal(opt.state[p]["ax"], p.detach().numpy())


def test_nadam_mu_product_is_the_product_of_the_momentum_schedule():
    p, opt = _run(optim.NAdam, dict(momentum_decay=0.1), "float64", "cpu", steps=3)
    mus = [0.9 * (1 - 0.5 * 0.96 ** (t * 0.1)) for t in (1, 2, 3)]
    assert opt.state[p]["mu_product"] == pytest.approx(np.prod(mus), rel=1e-15)


@pytest.mark.parametrize("cls, kwargs, match", [
    (optim.Adamax, dict(lr=-1e-3), r"Adamax: lr must be a number >= 0, got -0.001"),
    (optim.Adamax, dict(betas=(1.0, 0.9)), r"Adamax: betas\[0\] must be a number in \[0, 1\), got 1.0"),
    (optim.NAdam, dict(momentum_decay=-0.1), r"NAdam: momentum_decay must be a number >= 0, got -0.1"),
    (optim.NAdam, dict(eps=-1.0), r"NAdam: eps must be a number >= 0, got -1.0"),
    (optim.RAdam, dict(betas=(0.9, -0.5)), r"RAdam: betas\[1\] must be a number in \[0, 1\), got -0.5"),
    (optim.RAdam, dict(weight_decay=-1), r"RAdam: weight_decay must be a number >= 0, got -1"),
    (optim.ASGD, dict(lr=-0.1), r"ASGD: lr must be a number >= 0, got -0.1"),
    (optim.ASGD, dict(weight_decay=-0.1), r"ASGD: weight_decay must be a number >= 0, got -0.1"),
    (optim.ASGD, dict(t0="soon"), r"ASGD: t0 must be a number, got str 'soon'"),
])
def test_bad_hyperparameters_are_refused_naming_the_argument(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cls([mg.zeros(1, requires_grad=True)], **kwargs)


@pytest.mark.parametrize("cls", [optim.Adamax, optim.NAdam, optim.RAdam, optim.ASGD])
def test_a_torch_shaped_state_dict_from_another_optimizer_is_refused(cls):
    _, adam = _run(optim.Adam, {}, "float64", "cpu", steps=1)
    with pytest.raises(ValueError, match=f"is from a Adam optimizer, this one is {cls.__name__}"):
        cls([mg.zeros(5, dtype="float64", requires_grad=True)]).load_state_dict(adam.state_dict())
