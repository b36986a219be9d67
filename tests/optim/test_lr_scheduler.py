"""Learning-rate schedules against PyTorch's closed forms (written out here), their state_dict, and
the inputs they refuse."""
import math

import numpy as np
import pytest

import minigrad as mg
import minigrad.optim as optim
from minigrad.optim import lr_scheduler


def _opt(cls=optim.SGD, lr=0.1, groups=1, **kwargs):
    return cls([{"params": [mg.zeros(1, requires_grad=True)]} for _ in range(groups)], lr=lr, **kwargs)


def _sequence(scheduler, n):
    lrs = []
    for _ in range(n):
        lrs.append(scheduler.get_last_lr()[0])
        scheduler.optimizer.step()
        scheduler.step()
    return lrs


def _cosine_closed_form(epoch, base, eta_min, T):
    return eta_min + (base - eta_min) * (1 + math.cos(math.pi * epoch / T)) / 2


@pytest.mark.parametrize("make, closed_form", [
    (lambda o: lr_scheduler.StepLR(o, step_size=3, gamma=0.5), lambda e: 0.1 * 0.5 ** (e // 3)),
    (lambda o: lr_scheduler.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.3),
     lambda e: 0.1 * 0.3 ** ((e >= 2) + 2 * (e >= 5) + (e >= 9))),
    (lambda o: lr_scheduler.ExponentialLR(o, gamma=0.9), lambda e: 0.1 * 0.9 ** e),
    (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=7, eta_min=0.01),
     lambda e: _cosine_closed_form(e, 0.1, 0.01, 7)),  # past T_max the cosine continues (a wave)
    (lambda o: lr_scheduler.LambdaLR(o, lambda e: 1 / (1 + e)), lambda e: 0.1 / (1 + e)),
    (lambda o: lr_scheduler.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=6),
     lambda e: 0.1 * (0.2 + (0.9 - 0.2) * min(e, 6) / 6)),
])
def test_schedules_follow_pytorchs_closed_forms(make, closed_form):
    scheduler = make(_opt())
    expected = [closed_form(e) for e in range(25)]
    np.testing.assert_allclose(_sequence(scheduler, 25), expected, rtol=1e-12, atol=1e-15)
    assert scheduler.last_epoch == 25
    assert scheduler.optimizer.param_groups[0]["lr"] == scheduler.get_last_lr()[0]


def _one_cycle_closed_form(step, total, max_lr, pct_start=0.3, div=25.0, final_div=1e4, low=0.85, high=0.95):
    """PyTorch's two-phase 1cycle: cosine from max_lr/div up to max_lr at step pct_start*total - 1,
    then cosine down to max_lr/div/final_div at step total - 1; momentum mirrors it."""
    def cos(start, end, pct):
        return end + (start - end) / 2 * (math.cos(math.pi * pct) + 1)

    warmup_end = pct_start * total - 1
    if step <= warmup_end:
        pct = step / warmup_end
        return cos(max_lr / div, max_lr, pct), cos(high, low, pct)
    pct = (step - warmup_end) / (total - 1 - warmup_end)
    return cos(max_lr, max_lr / div / final_div, pct), cos(low, high, pct)


@pytest.mark.parametrize("cls, momentum_of", [
    (optim.SGD, lambda g: g["momentum"]),
    (optim.Adam, lambda g: g["betas"][0]),
])
def test_one_cycle_follows_the_closed_form_and_cycles_momentum_or_beta1(cls, momentum_of):
    opt = _opt(cls, momentum=0.9) if cls is optim.SGD else _opt(cls, betas=(0.9, 0.99))
    scheduler = lr_scheduler.OneCycleLR(opt, max_lr=0.5, total_steps=20)
    lrs, momenta = [], []
    for _ in range(20):
        lrs.append(scheduler.get_last_lr()[0])
        momenta.append(momentum_of(opt.param_groups[0]))
        opt.step()
        if len(lrs) < 20:
            scheduler.step()
    expected = [_one_cycle_closed_form(s, 20, 0.5) for s in range(20)]
    np.testing.assert_allclose(lrs, [lr for lr, _ in expected], rtol=1e-12)
    np.testing.assert_allclose(momenta, [m for _, m in expected], rtol=1e-12)
    if cls is optim.Adam:
        assert opt.param_groups[0]["betas"][1] == 0.99
    scheduler.step()  # step 20 == total_steps is still allowed (as torch)
    with pytest.raises(ValueError, match="stepped 21 times; it was created for total_steps=20"):
        scheduler.step()


def test_one_cycle_three_phase_linear_and_per_group_max_lr():
    opt = _opt(groups=2, momentum=0.9)
    scheduler = lr_scheduler.OneCycleLR(opt, max_lr=[1.0, 2.0], epochs=2, steps_per_epoch=5, three_phase=True,
                                        anneal_strategy="linear", cycle_momentum=False, pct_start=0.4)
    lrs = [scheduler.get_last_lr()]
    for _ in range(9):
        scheduler.step()
        lrs.append(scheduler.get_last_lr())
    # phases end at steps 3 (up to max_lr), 6 (back to initial_lr) and 9 (down to min_lr)
    initial = np.array([1.0, 2.0]) / 25
    expected = [initial + (np.array([1.0, 2.0]) - initial) * min(s, 3) / 3 for s in range(4)]
    expected += [np.array([1.0, 2.0]) + (initial - np.array([1.0, 2.0])) * (s - 3) / 3 for s in (4, 5, 6)]
    expected += [initial + (initial / 1e4 - initial) * (s - 6) / 3 for s in (7, 8, 9)]
    np.testing.assert_allclose(lrs, expected, rtol=1e-12)
    assert opt.param_groups[0]["momentum"] == 0.9


def test_groups_keep_their_own_base_lr():
    opt = optim.SGD([{"params": [mg.zeros(1, requires_grad=True)]},
                     {"params": [mg.zeros(1, requires_grad=True)], "lr": 1.0}], lr=0.1)
    scheduler = lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    scheduler.step()
    assert scheduler.get_last_lr() == [0.05, 0.5]
    assert scheduler.base_lrs == [0.1, 1.0]


@pytest.mark.parametrize("make", [
    lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=5),
    lambda o: lr_scheduler.MultiStepLR(o, milestones=[1, 3]),
    lambda o: lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=12),
    lambda o: lr_scheduler.LambdaLR(o, lambda e: 0.9 ** e),
])
def test_state_dict_round_trip_through_save_and_load_resumes_the_sequence(make, tmp_path):
    opt = _opt(momentum=0.9)
    scheduler = make(opt)
    _sequence(scheduler, 4)
    mg.save(scheduler.state_dict(), tmp_path / "sched.npz")
    mg.save(opt.state_dict(), tmp_path / "opt.npz")
    expected = _sequence(scheduler, 6)
    resumed_opt = _opt(momentum=0.9)
    resumed = make(resumed_opt)
    resumed_opt.load_state_dict(mg.load(tmp_path / "opt.npz"))
    resumed.load_state_dict(mg.load(tmp_path / "sched.npz"))
    assert resumed.last_epoch == 4
    assert _sequence(resumed, 6) == expected


def test_a_scheduler_given_a_non_optimizer_is_a_type_error():
    for make in (lambda o: lr_scheduler.StepLR(o, 2), lambda o: lr_scheduler.OneCycleLR(o, 1.0, total_steps=3),
                 lambda o: lr_scheduler.LambdaLR(o, lambda e: 1.0)):
        with pytest.raises(TypeError, match="needs an Optimizer .* got list"):
            make([mg.zeros(1, requires_grad=True)])


@pytest.mark.parametrize("make, error, match", [
    (lambda o: lr_scheduler.StepLR(o, step_size=0), ValueError, "step_size must be a positive int, got 0"),
    (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=2.5), ValueError, "T_max must be a positive int"),
    (lambda o: lr_scheduler.MultiStepLR(o, milestones=[1.5]), ValueError, "milestones must be ints"),
    (lambda o: lr_scheduler.LinearLR(o, start_factor=0), ValueError, r"start_factor must be in \(0, 1\]"),
    (lambda o: lr_scheduler.LinearLR(o, end_factor=2), ValueError, r"end_factor must be in \[0, 1\]"),
    (lambda o: lr_scheduler.LambdaLR(o, [lambda e: 1, lambda e: 1]), ValueError, "lr_lambda has 2 values"),
    (lambda o: lr_scheduler.LambdaLR(o, 0.5), TypeError, "lr_lambda must be callable"),
    (lambda o: lr_scheduler.OneCycleLR(o, 1.0), ValueError, "needs total_steps, or epochs and steps_per_epoch"),
    (lambda o: lr_scheduler.OneCycleLR(o, 1.0, total_steps=10, pct_start=1.5), ValueError, r"pct_start must be"),
    (lambda o: lr_scheduler.OneCycleLR(o, 1.0, total_steps=10, anneal_strategy="cosine"), ValueError,
     "anneal_strategy must be 'cos' or 'linear', got 'cosine'"),
    (lambda o: lr_scheduler.StepLR(o, 2, last_epoch=3), KeyError, "no 'initial_lr'"),
])
def test_bad_arguments_are_refused(make, error, match):
    with pytest.raises(error, match=match):
        make(_opt())


def test_one_cycle_needs_an_optimizer_with_momentum_to_cycle_it():
    with pytest.raises(ValueError, match="Adagrad has neither"):
        lr_scheduler.OneCycleLR(_opt(optim.Adagrad), 1.0, total_steps=10)
    lr_scheduler.OneCycleLR(_opt(optim.Adagrad), 1.0, total_steps=10, cycle_momentum=False)
