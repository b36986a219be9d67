"""Learning-rate schedules against PyTorch's closed forms (written out here), their state_dict, and
the inputs they refuse; CosineAnnealingWarmRestarts.step(epoch), CyclicLR, SequentialLR and
ChainedScheduler against values derived by hand."""
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


def _warm_restarts_closed_form(epoch, base, eta_min, T_0, T_mult):
    """SGDR: restarts at T_0, T_0 + T_0 * T_mult, ...; cosine over the current period."""
    start, period = 0, T_0
    while epoch >= start + period:
        start, period = start + period, period * T_mult
    return _cosine_closed_form(epoch - start, base, eta_min, period)


def _multiplicative_factor(epoch):
    return 0.9 if epoch % 2 else 1.1


CLOSED_FORMS = [
    (lambda o: lr_scheduler.StepLR(o, step_size=3, gamma=0.5), lambda e: 0.1 * 0.5 ** (e // 3)),
    (lambda o: lr_scheduler.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.3),
     lambda e: 0.1 * 0.3 ** ((e >= 2) + 2 * (e >= 5) + (e >= 9))),
    (lambda o: lr_scheduler.ExponentialLR(o, gamma=0.9), lambda e: 0.1 * 0.9 ** e),
    (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=7, eta_min=0.01),
     lambda e: _cosine_closed_form(e, 0.1, 0.01, 7)),  # past T_max the cosine continues (a wave)
    (lambda o: lr_scheduler.LambdaLR(o, lambda e: 1 / (1 + e)), lambda e: 0.1 / (1 + e)),
    (lambda o: lr_scheduler.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=6),
     lambda e: 0.1 * (0.2 + (0.9 - 0.2) * min(e, 6) / 6)),
    (lambda o: lr_scheduler.ConstantLR(o, factor=0.25, total_iters=4), lambda e: 0.1 * (0.25 if e < 4 else 1.0)),
    (lambda o: lr_scheduler.ConstantLR(o), lambda e: 0.1 * (1 / 3 if e < 5 else 1.0)),
    (lambda o: lr_scheduler.MultiplicativeLR(o, _multiplicative_factor),  # lr_lambda(0) is never used
     lambda e: 0.1 * math.prod(_multiplicative_factor(k) for k in range(1, e + 1))),
    (lambda o: lr_scheduler.PolynomialLR(o, total_iters=7, power=2.5), lambda e: 0.1 * (1 - min(e, 7) / 7) ** 2.5),
    (lambda o: lr_scheduler.PolynomialLR(o), lambda e: 0.1 * (1 - min(e, 5) / 5)),
    (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.01),
     lambda e: _warm_restarts_closed_form(e, 0.1, 0.01, 3, 2)),  # restarts at 3, 9, 21
    (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=4), lambda e: _cosine_closed_form(e % 4, 0.1, 0, 4)),
]


@pytest.mark.parametrize("make, closed_form", CLOSED_FORMS)
def test_schedules_follow_pytorchs_closed_forms(make, closed_form):
    scheduler = make(_opt())
    expected = [closed_form(e) for e in range(25)]
    np.testing.assert_allclose(_sequence(scheduler, 25), expected, rtol=1e-12, atol=1e-15)
    assert scheduler.last_epoch == 25
    assert scheduler.optimizer.param_groups[0]["lr"] == scheduler.get_last_lr()[0]


@pytest.mark.parametrize("make, closed_form", [(make, form) for make, form in CLOSED_FORMS
                                               if hasattr(make(_opt()), "_closed_form_lr")])
def test_the_closed_forms_sequential_lr_restarts_with_are_the_same_numbers(make, closed_form):
    # SequentialLR jumps a scheduler to epoch 0 with its closed form (PyTorch's _get_closed_form_lr)
    scheduler = make(_opt())
    for epoch in range(25):
        scheduler.last_epoch = epoch
        np.testing.assert_allclose(scheduler._closed_form_lr(), [closed_form(epoch)], rtol=1e-12, atol=1e-15)


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
    lambda o: lr_scheduler.MultiplicativeLR(o, lambda e: 0.9),
    lambda o: lr_scheduler.ConstantLR(o, factor=0.5, total_iters=6),
    lambda o: lr_scheduler.PolynomialLR(o, total_iters=8, power=0.5),
    lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=2),
    lambda o: lr_scheduler.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3, mode="triangular2"),
    lambda o: lr_scheduler.CyclicLR(o, 0.01, 0.1, step_size_up=3, scale_fn=lambda x: 0.8 ** x),
    lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.LinearLR(o, 0.5, total_iters=3),
                                            lr_scheduler.StepLR(o, 2, gamma=0.5)], milestones=[6]),
    lambda o: lr_scheduler.ChainedScheduler([lr_scheduler.ConstantLR(o, 0.5, total_iters=7),
                                             lr_scheduler.ExponentialLR(o, 0.9)]),
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
    assert getattr(resumed, "last_epoch", 4) == 4  # ChainedScheduler has none (as PyTorch)
    assert _sequence(resumed, 6) == expected


def test_a_scheduler_given_a_non_optimizer_is_a_type_error():
    for make in (lambda o: lr_scheduler.StepLR(o, 2), lambda o: lr_scheduler.OneCycleLR(o, 1.0, total_steps=3),
                 lambda o: lr_scheduler.LambdaLR(o, lambda e: 1.0)):
        with pytest.raises(TypeError, match="needs an Optimizer .* got list"):
            make([mg.zeros(1, requires_grad=True)])


@pytest.mark.parametrize("make, error, match", [
    (lambda o: lr_scheduler.StepLR(o, step_size=0), ValueError, "step_size must be a positive int, got 0"),
    (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=2.5), ValueError, "T_max must be a positive int"),
    (lambda o: lr_scheduler.MultiStepLR(o, milestones=[1.5]), ValueError,
     r"MultiStepLR: milestones\[0\] must be an int, got float 1.5"),
    (lambda o: lr_scheduler.LinearLR(o, start_factor=0), ValueError,
     r"LinearLR: start_factor must be a number in \(0, 1\], got 0"),
    (lambda o: lr_scheduler.LinearLR(o, end_factor=2), ValueError,
     r"LinearLR: end_factor must be a number in \[0, 1\], got 2"),
    (lambda o: lr_scheduler.LambdaLR(o, [lambda e: 1, lambda e: 1]), ValueError, "lr_lambda has 2 values"),
    (lambda o: lr_scheduler.LambdaLR(o, 0.5), TypeError, "lr_lambda must be callable"),
    (lambda o: lr_scheduler.OneCycleLR(o, 1.0), ValueError, "needs total_steps, or epochs and steps_per_epoch"),
    (lambda o: lr_scheduler.OneCycleLR(o, 1.0, total_steps=10, pct_start=1.5), ValueError, r"pct_start must be"),
    (lambda o: lr_scheduler.OneCycleLR(o, 1.0, total_steps=10, anneal_strategy="cosine"), ValueError,
     "OneCycleLR: anneal_strategy must be one of 'cos', 'linear', got 'cosine'"),
    (lambda o: lr_scheduler.StepLR(o, 2, last_epoch=3), KeyError, "no 'initial_lr'"),
    (lambda o: lr_scheduler.ConstantLR(o, factor=1.5), ValueError, r"factor must be a number in \[0, 1\], got 1.5"),
    (lambda o: lr_scheduler.ConstantLR(o, total_iters=0), ValueError, "total_iters must be a positive int, got 0"),
    (lambda o: lr_scheduler.PolynomialLR(o, total_iters=2.5), ValueError, "total_iters must be a positive int"),
    (lambda o: lr_scheduler.PolynomialLR(o, power="2"), ValueError,
     "PolynomialLR: power must be a number, got str '2'"),
    (lambda o: lr_scheduler.MultiplicativeLR(o, 0.9), TypeError, "lr_lambda must be callable"),
    (lambda o: lr_scheduler.MultiplicativeLR(o, [abs, abs]), ValueError, "lr_lambda has 2 values"),
    (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=0), ValueError, "T_0 must be a positive int, got 0"),
    (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=2.0), ValueError, "T_0 must be a positive int"),
    (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, 2, T_mult=0), ValueError, "T_mult must be a positive int"),
    (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, 2, eta_min="0"), ValueError, "eta_min must be a number"),
])
def test_bad_arguments_are_refused(make, error, match):
    with pytest.raises(error, match=match):
        make(_opt())


def test_one_cycle_needs_an_optimizer_with_momentum_to_cycle_it():
    with pytest.raises(ValueError, match="Adagrad has neither"):
        lr_scheduler.OneCycleLR(_opt(optim.Adagrad), 1.0, total_steps=10)
    lr_scheduler.OneCycleLR(_opt(optim.Adagrad), 1.0, total_steps=10, cycle_momentum=False)


# ---- ReduceLROnPlateau: sequences derived by hand from PyTorch's rule --------------------------
def _plateau_lrs(scheduler, metrics):
    lrs = []
    for metric in metrics:
        scheduler.step(metric)
        lrs.append(scheduler.get_last_lr())
    return lrs


def test_reduce_on_plateau_min_rel_counts_bad_epochs_past_patience():
    # mode min, threshold 0.1 relative: a metric improves only below 0.9 * best.
    # step 1: 10 < inf, best 10 | 2-4: 9.5, 9.2, 9.1 are not < 9: bad 1, 2, 3 > patience 2 -> lr 0.5, bad 0
    # 5: 8.0 < 9, best 8 | 6-8: 8.0, 7.5, 7.3 not < 7.2: bad 3 at step 8 -> 0.25
    # 9-11: 7.3 three times -> 0.125 at step 11 | 12, 13: bad 1, 2
    opt = _opt(lr=1.0)
    scheduler = lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=2, threshold=0.1)
    assert scheduler.get_last_lr() == [1.0] and scheduler.last_epoch == 0
    lrs = _plateau_lrs(scheduler, [10, 9.5, 9.2, 9.1, 8.0, 8.0, 7.5, 7.3, 7.3, 7.3, 7.3, 7.3, 7.3])
    assert [lr for (lr,) in lrs] == [1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125, 0.125, 0.125]
    assert scheduler.last_epoch == 13 and scheduler.best == 8.0 and scheduler.num_bad_epochs == 2
    assert opt.param_groups[0]["lr"] == 0.125


def test_reduce_on_plateau_min_abs_threshold_is_a_difference():
    # the same metrics with threshold 0.1 absolute: below best - 0.1 improves.
    # 10 | 9.5 < 9.9 best 9.5 | 9.2 < 9.4 best 9.2 | 9.1 < 9.1? no: bad 1 | 8.0 best | 8.0 bad 1 | 7.5 best
    # | 7.3 best | 7.3 bad 1 | bad 2 | bad 3 -> 0.5 | bad 1 | bad 2
    scheduler = lr_scheduler.ReduceLROnPlateau(_opt(lr=1.0), factor=0.5, patience=2, threshold=0.1,
                                               threshold_mode="abs")
    lrs = _plateau_lrs(scheduler, [10, 9.5, 9.2, 9.1, 8.0, 8.0, 7.5, 7.3, 7.3, 7.3, 7.3, 7.3, 7.3])
    assert [lr for (lr,) in lrs] == [1] * 10 + [0.5] * 3


def test_reduce_on_plateau_max_mode_cooldown_and_min_lr():
    # mode max, threshold 0.5 absolute, patience 0, cooldown 2, factor 0.1, min_lr 0.002:
    # 1: best 1 | 2: 1.4 > 1.5? no, bad 1 > 0 -> 0.1, cooldown 2
    # 3: 2 > 1.5 best 2; cooldown 2 -> 1 | 4: bad, but cooldown 1 -> 0 clears it
    # 5: bad 1 -> 0.01, cooldown 2 | 6, 7: cooldown | 8: 3 > 2.5 best 3 | 9: bad -> max(0.001, 0.002)
    # 10, 11: cooldown | 12: bad -> max(0.0002, 0.002) = 0.002 changes nothing
    scheduler = lr_scheduler.ReduceLROnPlateau(_opt(lr=1.0), mode="max", factor=0.1, patience=0, threshold=0.5,
                                               threshold_mode="abs", cooldown=2, min_lr=0.002)
    lrs = _plateau_lrs(scheduler, [1, 1.4, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3])
    np.testing.assert_allclose([lr for (lr,) in lrs], [1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.01, 0.002, 0.002,
                                                       0.002, 0.002], rtol=1e-12)
    assert scheduler.cooldown_counter == 2  # set by the reduction at step 12 that changed no lr


def test_reduce_on_plateau_max_rel_and_per_group_min_lr_and_eps():
    # mode max, rel threshold 0.5: improves above 1.5 * best. Groups at lr 1 and 0.04, factor 0.1,
    # min_lr [0, 0.01], eps 0.025 (a cut of eps or less is skipped):
    # 1: best 2 | 2: 2.9 > 3? no, bad -> [0.1, max(0.004, 0.01) = 0.01] | 3: 3.1 > 3, best 3.1
    # 4: bad -> [0.01, 0.01] (second group: cut 0) | 5, 6: bad, but 0.01 -> 0.001 is a cut of 0.009 <= eps
    opt = optim.SGD([{"params": [mg.zeros(1, requires_grad=True)]},
                     {"params": [mg.zeros(1, requires_grad=True)], "lr": 0.04}], lr=1.0)
    scheduler = lr_scheduler.ReduceLROnPlateau(opt, mode="max", factor=0.1, patience=0, threshold=0.5,
                                               min_lr=[0, 0.01], eps=0.025)
    lrs = _plateau_lrs(scheduler, [2, 2.9, 3.1, 3.1, 3.1, 3.1])
    np.testing.assert_allclose(lrs, [[1, 0.04], [0.1, 0.01], [0.1, 0.01], [0.01, 0.01], [0.01, 0.01], [0.01, 0.01]],
                               rtol=1e-12)


def test_reduce_on_plateau_takes_tensor_metrics_and_nan_counts_as_bad():
    scheduler = lr_scheduler.ReduceLROnPlateau(_opt(lr=1.0), factor=0.5, patience=1)
    lrs = _plateau_lrs(scheduler, [mg.tensor(3.0), mg.tensor([2.0]), float("nan"), float("nan")])
    assert [lr for (lr,) in lrs] == [1, 1, 1, 0.5]
    with pytest.warns(UserWarning, match="deprecated"):
        scheduler.step(1.0, epoch=10)
    assert scheduler.last_epoch == 10 and scheduler.best == 1.0


def test_reduce_on_plateau_state_dict_round_trip_resumes_mid_plateau(tmp_path):
    # default threshold 1e-4 rel. 1: best 5 | 2: best 4 | 3: bad 1 (saved here) | 4: bad 2 | 5: 3.9 best
    # 6, 7, 8: bad 1, 2, 3 -> 0.5, cooldown 1 | 9: cooldown | 10, 11, 12: bad 1, 2, 3 -> 0.25 | 13: cooldown
    metrics = [5, 4, 4, 4, 3.9] + [3.9] * 8
    opt = _opt(lr=1.0)
    scheduler = lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=2, cooldown=1, min_lr=[0.1])
    _plateau_lrs(scheduler, metrics[:3])  # best 4, one bad epoch counted
    mg.save(scheduler.state_dict(), tmp_path / "sched.npz")
    mg.save(opt.state_dict(), tmp_path / "opt.npz")
    expected = _plateau_lrs(scheduler, metrics[3:])
    resumed_opt = _opt(lr=1.0)
    resumed = lr_scheduler.ReduceLROnPlateau(resumed_opt)
    resumed_opt.load_state_dict(mg.load(tmp_path / "opt.npz"))
    resumed.load_state_dict(mg.load(tmp_path / "sched.npz"))
    assert (resumed.best, resumed.num_bad_epochs, resumed.last_epoch, resumed.patience) == (4, 1, 3, 2)
    assert _plateau_lrs(resumed, metrics[3:]) == expected
    assert [lr for (lr,) in expected] == [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25]
    assert "optimizer" not in scheduler.state_dict()


@pytest.mark.parametrize("kwargs, error, match", [
    ({"factor": 1.0}, ValueError, r"factor must be a number in \[0, 1\)"),
    ({"factor": -0.5}, ValueError, "factor must be"),
    ({"mode": "avg"}, ValueError, "ReduceLROnPlateau: mode must be one of 'min', 'max', got 'avg'"),
    ({"threshold_mode": "relative"}, ValueError,
     "ReduceLROnPlateau: threshold_mode must be one of 'rel', 'abs', got 'relative'"),
    ({"patience": -1}, ValueError, "patience must be an int >= 0, got -1"),
    ({"cooldown": 1.5}, ValueError, "ReduceLROnPlateau: cooldown must be an int, got float 1.5"),
    ({"min_lr": [0.1, 0.2]}, ValueError, "min_lr has 2 values, the optimizer has 1 parameter groups"),
])
def test_reduce_on_plateau_refuses_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        lr_scheduler.ReduceLROnPlateau(_opt(), **kwargs)


def test_reduce_on_plateau_needs_an_optimizer_and_min_lrs_for_added_groups():
    with pytest.raises(TypeError, match="needs an Optimizer .* got list"):
        lr_scheduler.ReduceLROnPlateau([mg.zeros(1, requires_grad=True)])
    opt = _opt(lr=1.0)
    scheduler = lr_scheduler.ReduceLROnPlateau(opt, patience=0, min_lr=[0.0])
    opt.add_param_group({"params": [mg.zeros(1, requires_grad=True)], "lr": 2.0})
    scheduler.step(1.0)
    with pytest.raises(RuntimeError, match="2 parameter groups, but ReduceLROnPlateau was given 1 min_lr"):
        scheduler.step(2.0)
    shared = lr_scheduler.ReduceLROnPlateau(opt, patience=0, min_lr=0.5)  # one number serves any group count
    opt.add_param_group({"params": [mg.zeros(1, requires_grad=True)], "lr": 4.0})
    _plateau_lrs(shared, [1.0, 2.0])
    assert shared.get_last_lr() == [0.5, 0.5, 0.5]


def _cosine(t_cur, period):
    return _cosine_closed_form(t_cur, 0.1, 0.01, period)


# ---- CosineAnnealingWarmRestarts.step(epoch) ------------------------------------------------------
def test_warm_restarts_step_to_fractional_epochs():
    # T_0=2, T_mult=3: periods 2, 6, 18 starting at epochs 0, 2, 8. (epoch, T_cur, T_i) by hand:
    scheduler = lr_scheduler.CosineAnnealingWarmRestarts(_opt(), T_0=2, T_mult=3, eta_min=0.01)
    for epoch, t_cur, period in [(0.5, 0.5, 2), (1.9, 1.9, 2), (2.0, 0.0, 6), (3.75, 1.75, 6), (7.5, 5.5, 6),
                                 (8.0, 0.0, 18), (12.25, 4.25, 18), (1.0, 1.0, 2)]:
        scheduler.step(epoch)
        assert scheduler.last_epoch == math.floor(epoch)
        assert (scheduler.T_cur, scheduler.T_i) == pytest.approx((t_cur, period), abs=1e-12)
        np.testing.assert_allclose(scheduler.get_last_lr(), [_cosine(t_cur, period)], rtol=1e-12)
    # a plain step after step(1.0) goes on from there: T_cur 2 reaches T_i 2, a restart into period 6
    scheduler.step()
    assert (scheduler.last_epoch, scheduler.T_cur, scheduler.T_i) == (2, 0, 6)
    scheduler.step(), scheduler.step()
    assert scheduler.get_last_lr() == pytest.approx([_cosine(2, 6)], rel=1e-12)


def test_warm_restarts_t_mult_one_wraps_fractional_epochs_and_plain_steps_continue():
    scheduler = lr_scheduler.CosineAnnealingWarmRestarts(_opt(), T_0=3, eta_min=0.01)
    scheduler.step(7.5)  # 7.5 % 3 = 1.5
    assert scheduler.get_last_lr() == pytest.approx([_cosine(1.5, 3)], rel=1e-12)
    assert scheduler.last_epoch == 7
    scheduler.step()  # epoch 8: T_cur 2.5
    assert scheduler.get_last_lr() == pytest.approx([_cosine(2.5, 3)], rel=1e-12)
    scheduler.step()  # T_cur 3.5 >= 3: wraps to 0.5
    assert (scheduler.last_epoch, scheduler.T_cur) == (9, pytest.approx(0.5))
    with pytest.raises(ValueError, match="epoch must be a number >= 0, got -1"):
        scheduler.step(-1)


# ---- CyclicLR ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode, expected", [
    ("triangular", [1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3]),
    ("triangular2", [1, 2, 3, 2, 1, 1.5, 2, 1.5, 1, 1.25, 1.5]),  # the amplitude halves each cycle
    ("exp_range", [1 + 2 * h * 0.5 ** t for t, h in enumerate([0, .5, 1, .5, 0, .5, 1, .5, 0, .5, 1])]),
])
def test_cyclic_modes_by_hand(mode, expected):
    opt = _opt(lr=123.0, momentum=0.5)
    scheduler = lr_scheduler.CyclicLR(opt, base_lr=1.0, max_lr=3.0, step_size_up=2, mode=mode, gamma=0.5,
                                      cycle_momentum=False)
    assert opt.param_groups[0]["lr"] == 1.0  # creating it sets lr to base_lr
    np.testing.assert_allclose(_sequence(scheduler, 11), expected, rtol=1e-12)
    assert opt.param_groups[0]["momentum"] == 0.5


def _cyclic_closed_form(step, base, top, up, down, scale):
    """A triangle wave over cycles of up + down steps: rising for up steps, falling for down."""
    inside = step % (up + down)
    height = inside / up if inside <= up else (up + down - inside) / down
    return base + (top - base) * height * scale


@pytest.mark.parametrize("cls, momentum_of", [
    (optim.SGD, lambda g: g["momentum"]),
    (optim.Adam, lambda g: g["betas"][0]),
])
def test_cyclic_uneven_halves_per_group_bounds_and_momentum_cycling(cls, momentum_of):
    opt = _opt(cls, groups=2, momentum=0.9) if cls is optim.SGD else _opt(cls, groups=2, betas=(0.9, 0.99))
    scheduler = lr_scheduler.CyclicLR(opt, base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=3, step_size_down=5,
                                      mode="triangular2", base_momentum=[0.7, 0.75], max_momentum=0.95)
    lrs, momenta = [], []
    for _ in range(30):
        lrs.append(scheduler.get_last_lr())
        momenta.append([momentum_of(group) for group in opt.param_groups])
        opt.step()
        scheduler.step()
    for step in range(30):
        scale = 0.5 ** (step // 8)  # triangular2: cycle number step // 8 + 1
        np.testing.assert_allclose(lrs[step], [_cyclic_closed_form(step, 0.01, 0.1, 3, 5, scale),
                                               _cyclic_closed_form(step, 0.02, 0.1, 3, 5, scale)], rtol=1e-12)
        # momentum mirrors lr: max_momentum at base_lr, base_momentum at max_lr
        np.testing.assert_allclose(momenta[step], [0.95 - (0.95 - low) * (_cyclic_closed_form(step, 0, 1, 3, 5, scale))
                                                   for low in (0.7, 0.75)], rtol=1e-12)
    if cls is optim.Adam:
        assert [group["betas"][1] for group in opt.param_groups] == [0.99, 0.99]
    assert opt.param_groups[1]["base_momentum"] == 0.75 and opt.param_groups[0]["max_momentum"] == 0.95


def test_cyclic_custom_scale_fn_in_iterations_or_cycles_and_fractional_step_size():
    # step_size_up 2.5, down 2.5: heights 0, .4, .8, .8, .4, 0, ... (a cycle of 5 steps)
    heights = [0, .4, .8, .8, .4, 0, .4, .8, .8, .4]
    by_step = lr_scheduler.CyclicLR(_opt(), 0.0, 1.0, step_size_up=2.5, scale_fn=lambda x: 1 / (1 + x),
                                    scale_mode="iterations", cycle_momentum=False)
    np.testing.assert_allclose(_sequence(by_step, 10), [h / (1 + t) for t, h in enumerate(heights)], atol=1e-12)
    by_cycle = lr_scheduler.CyclicLR(_opt(), 0.0, 1.0, step_size_up=2.5, scale_fn=lambda x: 1 / (1 + x),
                                     mode="anything", cycle_momentum=False)  # mode is ignored with scale_fn
    np.testing.assert_allclose(_sequence(by_cycle, 10), [h / (2 + t // 5) for t, h in enumerate(heights)], atol=1e-12)
    assert "_scale_fn_custom" not in by_cycle.state_dict()


def test_cyclic_builtin_modes_fix_scale_mode_and_step_size_down_zero_is_a_sawtooth():
    scheduler = lr_scheduler.CyclicLR(_opt(), 0.0, 1.0, step_size_up=4, step_size_down=0, mode="exp_range",
                                      gamma=0.9, scale_mode="cycle", cycle_momentum=False)
    assert scheduler.scale_mode == "iterations"  # as PyTorch: exp_range scales by the step
    np.testing.assert_allclose(_sequence(scheduler, 9), [(t % 4) / 4 * 0.9 ** t for t in range(9)], atol=1e-12)


# ---- SequentialLR -----------------------------------------------------------------------------------
def test_sequential_warmup_then_decay():
    opt = _opt()
    warmup = lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=5)
    decay = lr_scheduler.ExponentialLR(opt, gamma=0.9)
    scheduler = lr_scheduler.SequentialLR(opt, [warmup, decay], milestones=[5])
    expected = [0.1 * (0.1 + 0.9 * e / 5) if e < 5 else 0.1 * 0.9 ** (e - 5) for e in range(15)]
    np.testing.assert_allclose(_sequence(scheduler, 15), expected, rtol=1e-12)
    assert scheduler.last_epoch == 15 and warmup.last_epoch == 4 and decay.last_epoch == 10


def test_sequential_restarts_each_scheduler_at_its_epoch_0_from_initial_lr():
    # ConstantLR until 3, then StepLR restarted at initial_lr (0.1, not ConstantLR's 0.05), then
    # MultiStepLR whose epoch-0 closed form already counts its milestone 0: 0.1 * 0.5.
    opt = _opt()
    scheduler = lr_scheduler.SequentialLR(opt, [lr_scheduler.ConstantLR(opt, factor=0.5, total_iters=10),
                                                lr_scheduler.StepLR(opt, 3, gamma=0.5),
                                                lr_scheduler.MultiStepLR(opt, [0, 2, 2, 5], gamma=0.5)],
                                          milestones=[3, 9])

    def expected(e):
        if e < 3:
            return 0.05
        if e < 9:
            return 0.1 * 0.5 ** ((e - 3) // 3)
        return 0.1 * 0.5 ** sum(m <= e - 9 for m in [0, 2, 2, 5])
    np.testing.assert_allclose(_sequence(scheduler, 18), [expected(e) for e in range(18)], rtol=1e-12)


def test_sequential_milestone_0_starts_with_the_second_and_schedulers_without_closed_form_use_get_lr():
    opt = _opt()
    scheduler = lr_scheduler.SequentialLR(opt, [lr_scheduler.ExponentialLR(opt, 0.5),
                                                lr_scheduler.LinearLR(opt, 0.5, total_iters=2)], milestones=[0])
    np.testing.assert_allclose(_sequence(scheduler, 4), [0.05, 0.075, 0.1, 0.1], rtol=1e-12)
    opt = _opt()
    # MultiplicativeLR has no closed form: at the milestone it multiplies the current lr by lr_lambda(0)
    scheduler = lr_scheduler.SequentialLR(opt, [lr_scheduler.ConstantLR(opt, 0.5, total_iters=9),
                                                lr_scheduler.MultiplicativeLR(opt, lambda e: 0.8 if e else 0.6)],
                                          milestones=[2])
    np.testing.assert_allclose(_sequence(scheduler, 5), [0.05, 0.05, 0.03, 0.024, 0.0192], rtol=1e-12)


def test_chained_inside_sequential_first_and_not_at_a_milestone():
    opt = _opt()
    chained = lr_scheduler.ChainedScheduler([lr_scheduler.ExponentialLR(opt, 0.9), lr_scheduler.StepLR(opt, 2, 0.5)])
    scheduler = lr_scheduler.SequentialLR(opt, [chained, lr_scheduler.ConstantLR(opt, 0.5, total_iters=2)],
                                          milestones=[4])
    # restarting a ChainedScheduler steps its schedulers out of their initial step (as PyTorch): the
    # ExponentialLR multiplies at its epoch 0 already
    np.testing.assert_allclose(_sequence(scheduler, 7), [0.09, 0.081, 0.03645, 0.032805, 0.05, 0.05, 0.1], rtol=1e-12)
    opt = _opt()
    late = lr_scheduler.SequentialLR(opt, [lr_scheduler.StepLR(opt, 2), lr_scheduler.ChainedScheduler(
        [lr_scheduler.ExponentialLR(opt, 0.9)])], milestones=[1])
    with pytest.raises(NotImplementedError, match="ChainedScheduler cannot be restarted at a SequentialLR milestone"):
        late.step()


# ---- ChainedScheduler -------------------------------------------------------------------------------
def test_chained_composes_the_schedulers_steps():
    opt = _opt(groups=2)
    scheduler = lr_scheduler.ChainedScheduler([lr_scheduler.ConstantLR(opt, factor=0.1, total_iters=5),
                                               lr_scheduler.ExponentialLR(opt, gamma=0.9)], optimizer=opt)
    expected = [0.1 * 0.9 ** e * (0.1 if e < 5 else 1.0) for e in range(12)]
    lrs = []
    for _ in range(12):
        lrs.append(scheduler.get_last_lr())
        opt.step()
        scheduler.step()
    np.testing.assert_allclose(lrs, [[lr, lr] for lr in expected], rtol=1e-12)
    assert not hasattr(scheduler, "last_epoch")  # as PyTorch: only its schedulers count epochs


def test_composite_state_dict_needs_as_many_schedulers():
    opt = _opt()
    one = lr_scheduler.ChainedScheduler([lr_scheduler.StepLR(opt, 2)])
    two = lr_scheduler.ChainedScheduler([lr_scheduler.StepLR(opt, 2), lr_scheduler.ExponentialLR(opt, 0.9)])
    with pytest.raises(ValueError, match="holds 1 schedulers' states, this ChainedScheduler has 2"):
        two.load_state_dict(one.state_dict())


# ---- refusals ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("make, error, match", [
    (lambda o: lr_scheduler.CyclicLR(o, 0.1, 1.0, mode="tri"), ValueError,
     "CyclicLR: mode must be one of 'triangular', 'triangular2', 'exp_range', got 'tri'"),
    (lambda o: lr_scheduler.CyclicLR(o, 0.1, 1.0, step_size_up=0), ValueError,
     "CyclicLR: step_size_up must be a number > 0, got 0"),
    # not numbers: clear TypeErrors before anything is set (were Python's "unsupported operand type(s)")
    (lambda o: lr_scheduler.CyclicLR(o, 0.1, "1.0"), TypeError, "CyclicLR: max_lr must be a number, got str '1.0'"),
    (lambda o: lr_scheduler.CyclicLR(o, [None], 1.0), TypeError,
     r"CyclicLR: base_lr\[0\] must be a number, got NoneType None"),
    (lambda o: lr_scheduler.CyclicLR(o, 0.1, 1.0, mode="exp_range", gamma=None), TypeError,
     "gamma must be a number, got None"),
    (lambda o: lr_scheduler.CyclicLR(o, 0.1, 1.0, max_momentum="0.9"), TypeError, "max_momentum must be a number"),
    (lambda o: lr_scheduler.OneCycleLR(o, "1.0", total_steps=10), TypeError, "max_lr must be a number"),
    (lambda o: lr_scheduler.OneCycleLR(o, 1.0, total_steps=10, base_momentum=True), TypeError,
     "base_momentum must be a number"),
    (lambda o: lr_scheduler.CyclicLR(o, 0.1, 1.0, step_size_down=-1), ValueError,
     "CyclicLR: step_size_down must be a number >= 0, got -1"),
    (lambda o: lr_scheduler.CyclicLR(o, 0.1, 1.0, scale_fn=abs, scale_mode="cycles"), ValueError,
     "CyclicLR: scale_mode must be one of 'cycle', 'iterations', got 'cycles'"),
    (lambda o: lr_scheduler.CyclicLR(o, 0.1, 1.0, scale_fn=0.5), TypeError, "scale_fn must be callable"),
    (lambda o: lr_scheduler.CyclicLR(o, 0.1, [1.0, 2.0]), ValueError, "max_lr has 2 values, the optimizer has 1"),
    (lambda o: lr_scheduler.CyclicLR(o, 0.1, 1.0, base_momentum=[0.8, 0.8]), ValueError, "base_momentum has 2"),
    (lambda o: lr_scheduler.CyclicLR([o], 0.1, 1.0), TypeError, "needs an Optimizer .* got list"),
    (lambda o: lr_scheduler.SequentialLR(o, [], []), ValueError, "SequentialLR needs at least one scheduler"),
    (lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.StepLR(o, 2)] * 2, []), ValueError,
     "one milestone fewer than schedulers: got 2 schedulers and 0 milestones"),
    (lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.StepLR(o, 2)] * 3, [5, 2]), ValueError,
     r"SequentialLR: milestones must be in increasing order, got \[5, 2\]"),
    (lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.StepLR(o, 2)] * 2, [2.5]), ValueError,
     r"SequentialLR: milestones\[0\] must be an int, got float 2.5"),
    (lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.StepLR(o, 2), o], [2]), TypeError,
     r"schedulers\[1\] is a SGD, not a learning-rate scheduler"),
    (lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.StepLR(_opt(), 2)], []), ValueError,
     r"schedulers\[0\] \(StepLR\) belongs to another optimizer"),
    (lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.ReduceLROnPlateau(o)], []), ValueError,
     "cannot drive ReduceLROnPlateau"),
    (lambda o: lr_scheduler.SequentialLR(None, [lr_scheduler.StepLR(o, 2)], []), TypeError,
     "needs an Optimizer .* got NoneType"),
    (lambda o: lr_scheduler.ChainedScheduler([]), ValueError, "ChainedScheduler needs at least one scheduler"),
    (lambda o: lr_scheduler.ChainedScheduler([lr_scheduler.StepLR(o, 2), lr_scheduler.StepLR(_opt(), 2)]),
     ValueError, r"schedulers\[1\] \(StepLR\) belongs to another optimizer"),
    (lambda o: lr_scheduler.ChainedScheduler([lr_scheduler.StepLR(o, 2)], optimizer=_opt()), ValueError,
     r"schedulers\[0\] \(StepLR\) belongs to another optimizer"),
    (lambda o: lr_scheduler.ChainedScheduler([lr_scheduler.ReduceLROnPlateau(o)]), ValueError,
     "cannot drive ReduceLROnPlateau"),
    (lambda o: lr_scheduler.ChainedScheduler([3]), TypeError, r"schedulers\[0\] is a int"),
])
def test_cyclic_and_composite_bad_arguments_are_refused(make, error, match):
    with pytest.raises(error, match=match):
        make(_opt(momentum=0.9))


def test_a_refused_cyclic_lr_leaves_the_learning_rates_alone():
    opt = _opt(momentum=0.9)
    for bad in ({"max_lr": [1.0, 2.0]}, {"max_lr": "1.0"}, {"max_lr": 1.0, "gamma": None}):
        with pytest.raises((TypeError, ValueError)):
            lr_scheduler.CyclicLR(opt, base_lr=0.01, **bad)
        assert opt.param_groups[0]["lr"] == 0.1


def test_cyclic_momentum_needs_momentum_or_betas():
    with pytest.raises(ValueError, match="Adagrad has neither"):
        lr_scheduler.CyclicLR(_opt(optim.Adagrad), 0.1, 1.0)
    assert lr_scheduler.CyclicLR(_opt(optim.Adagrad), 0.1, 1.0, cycle_momentum=False).get_last_lr() == [0.1]


def test_constant_factor_0_holds_lr_at_0_then_cannot_restore_it():
    scheduler = lr_scheduler.ConstantLR(_opt(), factor=0, total_iters=2)
    scheduler.step()
    assert scheduler.get_last_lr() == [0.0] and scheduler.last_epoch == 1
    with pytest.raises(ZeroDivisionError, match="factor=0 cannot restore the learning rate at total_iters"):
        scheduler.step()


def test_reduce_on_plateau_step_names_a_metric_that_is_not_a_number():
    opt = optim.SGD([mg.zeros(1, requires_grad=True)], lr=0.1)
    scheduler = lr_scheduler.ReduceLROnPlateau(opt)
    for bad in (None, "loss", mg.tensor([1.0, 2.0])):
        with pytest.raises(TypeError, match=r"step\(metrics\): metrics must be a number or a one-element Tensor"):
            scheduler.step(bad)
    assert scheduler.last_epoch == 0 and opt.param_groups[0]["lr"] == 0.1  # nothing recorded
