"""Learning-rate schedules (PyTorch's torch.optim.lr_scheduler), with PyTorch's step-by-step
formulas so the sequences are the same numbers.

Each scheduler sets ``group["lr"]`` of every parameter group when it is created (epoch 0) and at
each ``step()`` (call it after ``optimizer.step()``)::

    opt = optim.SGD(model.parameters(), lr=0.1)
    sched = optim.lr_scheduler.StepLR(opt, step_size=30, gamma=0.1)
    for epoch in range(100):
        train(...); opt.step(); sched.step()
"""
import math
import warnings
from bisect import bisect_right
from collections import Counter

from .. import _args
from .optimizer import Optimizer

__all__ = ["LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LambdaLR",
           "MultiplicativeLR", "LinearLR", "ConstantLR", "PolynomialLR", "CosineAnnealingWarmRestarts", "CyclicLR",
           "OneCycleLR", "ReduceLROnPlateau", "SequentialLR", "ChainedScheduler"]


def _per_group(what, optimizer, value):
    """A list with one value per parameter group from a number or a list of that length; ``what``
    names the argument in the error ("CyclicLR: max_lr")."""
    if isinstance(value, (list, tuple)):
        if len(value) != len(optimizer.param_groups):
            raise ValueError(f"{what} has {len(value)} values, the optimizer has "
                             f"{len(optimizer.param_groups)} parameter groups")
        return list(value)
    return [value] * len(optimizer.param_groups)


def _per_group_numbers(what, optimizer, value):
    """_per_group for learning rates and momenta: each value must be a real number (not a bool).
    Example: ``_per_group_numbers("CyclicLR: max_lr", opt, [0.1, 0.2])`` -> [0.1, 0.2]"""
    values = _per_group(what, optimizer, value)
    for i, v in enumerate(values):
        _args.real(v, f"{what}[{i}]" if isinstance(value, (list, tuple)) else what)
    return values


class LRScheduler:
    """Base class. Subclasses implement ``get_lr()``: the learning rates for epoch ``last_epoch``
    (which ``step()`` has just advanced), usually from the groups' current ``lr``."""

    def __init__(self, optimizer, last_epoch=-1):
        self._check_optimizer(optimizer)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"param_groups[{i}] has no 'initial_lr': resuming a schedule with "
                                   f"last_epoch={last_epoch} needs the optimizer's state_dict loaded first")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _what(self, name):
        """How an argument's error names it: "StepLR: step_size"."""
        return f"{type(self).__name__}: {name}"

    def _check_optimizer(self, optimizer):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__} needs an Optimizer (for example optim.SGD(...)), "
                            f"got {type(optimizer).__name__}")

    def _initial_step(self):
        """The step a scheduler makes when it is created (or when SequentialLR starts it)."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self):
        raise NotImplementedError

    def step(self):
        self._step_count += 1
        self._update_lr()

    def _update_lr(self, epoch=None):
        """Advance to the next epoch (``get_lr``), or jump to ``epoch``: then the closed form
        ``_closed_form_lr`` is used where the scheduler has one (SequentialLR restarts a scheduler
        this way, at epoch 0)."""
        if epoch is None:
            self.last_epoch += 1
            lrs = self.get_lr()
        else:
            self.last_epoch = epoch
            lrs = self._closed_form_lr() if hasattr(self, "_closed_form_lr") else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        """The learning rates (one per parameter group) set by the last ``step()``."""
        return list(self._last_lr)

    _not_state = ()  # attributes holding code (functions), left out of state_dict

    def state_dict(self):
        """Every attribute but the optimizer and functions (numbers, lists and strings: mg.save
        stores it)."""
        return {key: value for key, value in self.__dict__.items()
                if key != "optimizer" and key not in self._not_state}

    def load_state_dict(self, state_dict):
        self.__dict__.update({key: value for key, value in state_dict.items() if key not in self._not_state})


class StepLR(LRScheduler):
    """lr = initial_lr * gamma ** (epoch // step_size)."""

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        _args.positive_int(step_size, self._what("step_size"))
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return [group["lr"] for group in self.optimizer.param_groups]
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _closed_form_lr(self):
        return [base * self.gamma ** (self.last_epoch // self.step_size) for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """lr multiplied by gamma at each epoch in ``milestones`` (by gamma ** k for a milestone listed k
    times)."""

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        milestones = [_args.integer(m, self._what(f"milestones[{i}]")) for i, m in enumerate(milestones)]
        self.milestones = dict(Counter(milestones))
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        times = self.milestones.get(self.last_epoch, 0)
        return [group["lr"] * self.gamma ** times if times else group["lr"] for group in self.optimizer.param_groups]

    def _closed_form_lr(self):
        passed = sum(times for milestone, times in self.milestones.items() if milestone <= self.last_epoch)
        return [base * self.gamma ** passed for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    """lr = initial_lr * gamma ** epoch."""

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self._is_initial:
            return [group["lr"] for group in self.optimizer.param_groups]
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _closed_form_lr(self):
        return [base * self.gamma ** self.last_epoch for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (initial_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2, computed step by
    step as PyTorch does (the schedule continues past T_max as a cosine wave)."""

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        _args.positive_int(T_max, self._what("T_max"))
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        groups, epoch, T, eta_min = self.optimizer.param_groups, self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return [group["lr"] for group in groups]
        if self._step_count == 1 and epoch > 0:
            return [eta_min + (base - eta_min) * (1 + math.cos(epoch * math.pi / T)) / 2 for base in self.base_lrs]
        if (epoch - 1 - T) % (2 * T) == 0:
            return [group["lr"] + (base - eta_min) * (1 - math.cos(math.pi / T)) / 2
                    for base, group in zip(self.base_lrs, groups)]
        return [(1 + math.cos(math.pi * epoch / T)) / (1 + math.cos(math.pi * (epoch - 1) / T))
                * (group["lr"] - eta_min) + eta_min for group in groups]

    def _closed_form_lr(self):
        return [self.eta_min + (base - self.eta_min) * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
                for base in self.base_lrs]


class _LambdaScheduler(LRScheduler):
    """A schedule driven by ``lr_lambda`` (a function of the epoch, or one per parameter group);
    state_dict leaves the functions out (they are code, not state)."""

    _not_state = ("lr_lambdas",)

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        self._check_optimizer(optimizer)
        self.lr_lambdas = _per_group(self._what("lr_lambda"), optimizer, lr_lambda)
        for fn in self.lr_lambdas:
            if not callable(fn):
                raise TypeError(f"{self._what('lr_lambda')} must be callable (epoch -> factor), "
                                f"got {type(fn).__name__}")
        super().__init__(optimizer, last_epoch)


class LambdaLR(_LambdaScheduler):
    """lr = initial_lr * lr_lambda(epoch); ``lr_lambda`` is a function or one per parameter group.
    state_dict leaves the functions out (they are code, not state)."""

    def get_lr(self):
        return [base * fn(self.last_epoch) for fn, base in zip(self.lr_lambdas, self.base_lrs)]


class MultiplicativeLR(_LambdaScheduler):
    """Each step multiplies lr by lr_lambda(epoch): lr = initial_lr * prod(lr_lambda(e) for e in
    1..epoch). ``lr_lambda`` is a function or one per parameter group; state_dict leaves the
    functions out."""

    def get_lr(self):
        if self._is_initial:
            return [group["lr"] for group in self.optimizer.param_groups]
        return [group["lr"] * fn(self.last_epoch) for fn, group in zip(self.lr_lambdas, self.optimizer.param_groups)]


class LinearLR(LRScheduler):
    """The factor goes linearly from start_factor to end_factor over total_iters epochs, then stays:
    lr = initial_lr * (start + (end - start) * min(epoch, total_iters) / total_iters)."""

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5, last_epoch=-1):
        _args.real(start_factor, self._what("start_factor"), 0, 1, low_open=True)
        _args.real(end_factor, self._what("end_factor"), 0, 1)
        _args.positive_int(total_iters, self._what("total_iters"))
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        groups, start, end = self.optimizer.param_groups, self.start_factor, self.end_factor
        if self.last_epoch == 0:
            return [group["lr"] * start for group in groups]
        if self._is_initial or self.last_epoch > self.total_iters:
            return [group["lr"] for group in groups]
        factor = 1.0 + (end - start) / (self.total_iters * start + (self.last_epoch - 1) * (end - start))
        return [group["lr"] * factor for group in groups]

    def _closed_form_lr(self):
        done = min(self.total_iters, self.last_epoch) / self.total_iters
        return [base * (self.start_factor + (self.end_factor - self.start_factor) * done) for base in self.base_lrs]


class ConstantLR(LRScheduler):
    """lr = initial_lr * factor for the first total_iters epochs, then initial_lr."""

    def __init__(self, optimizer, factor=1.0 / 3, total_iters=5, last_epoch=-1):
        _args.real(factor, self._what("factor"), 0, 1)
        _args.positive_int(total_iters, self._what("total_iters"))
        self.factor, self.total_iters = factor, total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        groups = self.optimizer.param_groups
        if self.last_epoch == 0:
            return [group["lr"] * self.factor for group in groups]
        if self.last_epoch != self.total_iters:
            return [group["lr"] for group in groups]
        if self.factor == 0:
            raise ZeroDivisionError("ConstantLR with factor=0 cannot restore the learning rate at total_iters "
                                    "(it was multiplied by 0); PyTorch fails here too")
        return [group["lr"] * (1.0 / self.factor) for group in groups]

    def _closed_form_lr(self):
        return [base * (self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor))
                for base in self.base_lrs]


class PolynomialLR(LRScheduler):
    """lr = initial_lr * (1 - min(epoch, total_iters) / total_iters) ** power, computed step by step
    as PyTorch does (0 from total_iters on)."""

    def __init__(self, optimizer, total_iters=5, power=1.0, last_epoch=-1):
        _args.positive_int(total_iters, self._what("total_iters"))
        _args.real(power, self._what("power"))
        self.total_iters, self.power = total_iters, power
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        epoch, total = self.last_epoch, self.total_iters
        if self._is_initial or epoch > total:
            return [group["lr"] for group in self.optimizer.param_groups]
        decay = ((1.0 - epoch / total) / (1.0 - (epoch - 1) / total)) ** self.power
        return [group["lr"] * decay for group in self.optimizer.param_groups]

    def _closed_form_lr(self):
        return [base * (1.0 - min(self.total_iters, self.last_epoch) / self.total_iters) ** self.power
                for base in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    """SGDR: lr = eta_min + (initial_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2, where T_cur
    counts the epochs since the last restart and the period T_i starts at T_0 and is multiplied by
    T_mult at each restart. ``step(epoch)`` jumps to an epoch, which may be fractional (for
    example ``epoch + batch / batches`` after every batch)::

        for epoch in range(20):
            for i, batch in enumerate(batches):
                train(batch); opt.step(); scheduler.step(epoch + i / len(batches))
    """

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0, last_epoch=-1):
        _args.positive_int(T_0, self._what("T_0"))
        _args.positive_int(T_mult, self._what("T_mult"))
        _args.real(eta_min, self._what("eta_min"))
        self.T_0 = self.T_i = T_0
        self.T_mult, self.eta_min = T_mult, eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [self.eta_min + (base - self.eta_min) * (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
                for base in self.base_lrs]

    def step(self, epoch=None):
        """Advance one epoch, or with ``epoch`` (a number >= 0, fractional allowed) go to that point
        of the schedule; later plain steps continue from floor(epoch) + 1."""
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:  # a restart
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        else:
            _args.real(epoch, f"{type(self).__name__}.step: epoch", 0)
            if epoch < self.T_0:
                self.T_i, self.T_cur = self.T_0, epoch
            elif self.T_mult == 1:
                self.T_cur = epoch % self.T_0
            else:  # restart n began at epoch T_0 * (T_mult ** n - 1) / (T_mult - 1)
                n = int(math.log((epoch / self.T_0 * (self.T_mult - 1) + 1), self.T_mult))
                self.T_cur = epoch - self.T_0 * (self.T_mult ** n - 1) / (self.T_mult - 1)
                self.T_i = self.T_0 * self.T_mult ** n
        self._update_lr(math.floor(epoch))


def _set_momentum(group, value, use_beta1):
    if use_beta1:
        group["betas"] = (value, *group["betas"][1:])
    else:
        group["momentum"] = value


def _start_momentum_cycle(scheduler, optimizer, base_momentum, max_momentum, last_epoch):
    """Check that the optimizer has SGD's momentum or Adam's betas, record which, and (for a new
    schedule) set it to max_momentum and store both bounds in each group. Returns the per-group
    (base_momentums, max_momentums)."""
    if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
        raise ValueError(f"cycle_momentum=True needs an optimizer with momentum or betas; "
                         f"{type(optimizer).__name__} has neither (pass cycle_momentum=False)")
    scheduler.use_beta1 = "betas" in optimizer.defaults
    lows = _per_group_numbers(scheduler._what("base_momentum"), optimizer, base_momentum)
    highs = _per_group_numbers(scheduler._what("max_momentum"), optimizer, max_momentum)
    if last_epoch == -1:
        for group, high, low in zip(optimizer.param_groups, highs, lows):
            _set_momentum(group, high, scheduler.use_beta1)
            group["max_momentum"], group["base_momentum"] = high, low
    return lows, highs


class CyclicLR(LRScheduler):
    """Cyclical learning rates (Smith): lr goes linearly from base_lr up to max_lr in step_size_up
    steps and back down in step_size_down (default: step_size_up), the amplitude scaled by
    ``mode``: "triangular" (constant), "triangular2" (halved each cycle) or "exp_range"
    (gamma ** step), or by ``scale_fn(x)`` with x the cycle number (scale_mode "cycle") or the
    step ("iterations"). Creating it sets each group's lr to base_lr. Momentum (SGD's momentum, or
    beta1 for Adam-like optimizers) cycles the other way between max_momentum and base_momentum.
    Step it after every batch. state_dict leaves a ``scale_fn`` out (it is code)."""

    _not_state = ("_scale_fn_custom",)

    def __init__(self, optimizer, base_lr, max_lr, step_size_up=2000, step_size_down=None, mode="triangular",
                 gamma=1.0, scale_fn=None, scale_mode="cycle", cycle_momentum=True, base_momentum=0.8,
                 max_momentum=0.9, last_epoch=-1):
        self._check_optimizer(optimizer)
        base_lrs = _per_group_numbers(self._what("base_lr"), optimizer, base_lr)
        self.max_lrs = _per_group_numbers(self._what("max_lr"), optimizer, max_lr)
        _args.real(gamma, self._what("gamma"))
        if last_epoch == -1:
            for group, lr in zip(optimizer.param_groups, base_lrs):
                group["lr"] = lr
        _args.real(step_size_up, self._what("step_size_up"), 0, low_open=True)
        step_size_down = step_size_up if step_size_down is None else step_size_down
        _args.real(step_size_down, self._what("step_size_down"), 0)
        self.total_size = float(step_size_up) + float(step_size_down)
        self.step_ratio = float(step_size_up) / self.total_size
        if scale_fn is None:
            _args.choice(mode, self._what("mode"), ("triangular", "triangular2", "exp_range"))
            scale_mode = "iterations" if mode == "exp_range" else "cycle"
        elif not callable(scale_fn):
            raise TypeError(f"{self._what('scale_fn')} must be callable (x -> scale in [0, 1]), "
                            f"got {type(scale_fn).__name__}")
        _args.choice(scale_mode, self._what("scale_mode"), ("cycle", "iterations"))
        self.mode, self.gamma, self.scale_mode, self._scale_fn_custom = mode, gamma, scale_mode, scale_fn
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.base_momentums, self.max_momentums = _start_momentum_cycle(self, optimizer, base_momentum,
                                                                             max_momentum, last_epoch)
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def scale_fn(self, x):
        """The amplitude's scale at x (the cycle number or the step, per scale_mode)."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.gamma ** x

    def get_lr(self):
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle  # position in the cycle, in [0, 1)
        if x <= self.step_ratio:
            height = x / self.step_ratio
        else:
            height = (x - 1) / (self.step_ratio - 1)
        scale = self.scale_fn(cycle if self.scale_mode == "cycle" else self.last_epoch)
        lrs = [base + (top - base) * height * scale for base, top in zip(self.base_lrs, self.max_lrs)]
        if self.cycle_momentum:
            for group, low, high in zip(self.optimizer.param_groups, self.base_momentums, self.max_momentums):
                _set_momentum(group, high - (high - low) * height * scale, self.use_beta1)
        return lrs


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin) with PyTorch's phases: lr rises from max_lr / div_factor to
    max_lr over the first pct_start of total_steps, then anneals to initial_lr / final_div_factor
    (three_phase: back to initial_lr first). Momentum (SGD's momentum, or beta1 for Adam-like
    optimizers) cycles the other way between max_momentum and base_momentum. Step it after every
    batch; stepping past total_steps is an error.
    """

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None, pct_start=0.3,
                 anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85, max_momentum=0.95,
                 div_factor=25.0, final_div_factor=1e4, three_phase=False, last_epoch=-1):
        self._check_optimizer(optimizer)
        if total_steps is not None:
            self.total_steps = _args.positive_int(total_steps, self._what("total_steps"))
        elif epochs is not None and steps_per_epoch is not None:
            self.total_steps = (_args.positive_int(epochs, self._what("epochs"))
                                * _args.positive_int(steps_per_epoch, self._what("steps_per_epoch")))
        else:
            raise ValueError(f"{type(self).__name__} needs total_steps, or epochs and steps_per_epoch")
        _args.probability(pct_start, self._what("pct_start"))
        self.anneal_strategy = _args.choice(anneal_strategy, self._what("anneal_strategy"), ("cos", "linear"))
        warmup_end = float(pct_start * self.total_steps) - 1
        # (end step, start lr, end lr, start momentum, end momentum) per phase: names of group entries
        if three_phase:
            self._phases = [(warmup_end, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                            (float(2 * pct_start * self.total_steps) - 2, "max_lr", "initial_lr", "base_momentum",
                             "max_momentum"),
                            (self.total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum")]
        else:
            self._phases = [(warmup_end, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                            (self.total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")]
        if last_epoch == -1:
            peaks = _per_group_numbers(self._what("max_lr"), optimizer, max_lr)
            for group, peak in zip(optimizer.param_groups, peaks):
                group["initial_lr"] = peak / div_factor
                group["max_lr"] = peak
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            _start_momentum_cycle(self, optimizer, base_momentum, max_momentum, last_epoch)
        super().__init__(optimizer, last_epoch)

    def _anneal(self, start, end, pct):
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self):
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"OneCycleLR stepped {step} times; it was created for total_steps={self.total_steps}")
        lrs = []
        for group in self.optimizer.param_groups:
            phase_start = 0.0
            for i, (phase_end, lr_from, lr_to, momentum_from, momentum_to) in enumerate(self._phases):
                if step <= phase_end or i == len(self._phases) - 1:
                    pct = (step - phase_start) / (phase_end - phase_start)
                    lrs.append(self._anneal(group[lr_from], group[lr_to], pct))
                    if self.cycle_momentum:
                        _set_momentum(group, self._anneal(group[momentum_from], group[momentum_to], pct),
                                      self.use_beta1)
                    break
                phase_start = phase_end
        return lrs


class ReduceLROnPlateau(LRScheduler):
    """Multiply each group's lr by ``factor`` (never below its ``min_lr``) once the metric passed to
    ``step(metrics)`` has not improved for more than ``patience`` steps, with PyTorch's rule:

    - the metric improves when it beats the best so far by the threshold: in mode "min",
      metric < best * (1 - threshold) ("rel") or metric < best - threshold ("abs"); in mode "max",
      metric > best * (1 + threshold) or metric > best + threshold. The first step always improves.
    - each step without improvement counts one bad epoch; an improving step resets the count.
    - for ``cooldown`` steps after a reduction the count stays 0.
    - when the count exceeds ``patience``, each lr becomes max(lr * factor, min_lr) (unless that
      changes it by eps or less) and the count restarts.

    ``min_lr`` is a number or one per parameter group. Example::

        scheduler = optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=3)
        for epoch in range(100):
            train(...); scheduler.step(validation_loss)
    """

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4, threshold_mode="rel",
                 cooldown=0, min_lr=0, eps=1e-8):
        self._check_optimizer(optimizer)
        _args.real(factor, self._what("factor"), 0, 1, high_open=True)
        _args.integer(patience, self._what("patience"), 0)
        _args.integer(cooldown, self._what("cooldown"), 0)
        self.optimizer = optimizer
        self.min_lrs = _per_group(self._what("min_lr"), optimizer, min_lr)
        self.default_min_lr = None if isinstance(min_lr, (list, tuple)) else min_lr
        self.factor, self.patience, self.cooldown, self.eps = factor, patience, cooldown, eps
        self.mode, self.threshold, self.threshold_mode = mode, threshold, threshold_mode
        self._check_mode()
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]
        self.best = self.mode_worse
        self.num_bad_epochs = 0
        self.cooldown_counter = 0

    def _check_mode(self):
        _args.choice(self.mode, self._what("mode"), ("min", "max"))
        _args.choice(self.threshold_mode, self._what("threshold_mode"), ("rel", "abs"))
        self.mode_worse = math.inf if self.mode == "min" else -math.inf

    @property
    def in_cooldown(self):
        return self.cooldown_counter > 0

    def _is_better(self, current, best):
        """Whether ``current`` improves on ``best`` by the threshold (see the class docstring)."""
        if self.mode == "min":
            bar = best * (1 - self.threshold) if self.threshold_mode == "rel" else best - self.threshold
            return current < bar
        bar = best * (1 + self.threshold) if self.threshold_mode == "rel" else best + self.threshold
        return current > bar

    def step(self, metrics, epoch=None):
        """Record one epoch's metric (a number or a one-element Tensor) and reduce the learning
        rates if it has stopped improving. ``epoch`` is deprecated, as in PyTorch."""
        try:
            current = float(metrics)
        except (TypeError, ValueError) as error:
            raise TypeError(f"ReduceLROnPlateau.step(metrics): metrics must be a number or a one-element "
                            f"Tensor ({error})") from None
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            warnings.warn("passing epoch to ReduceLROnPlateau.step() is deprecated (as in PyTorch)", UserWarning,
                          stacklevel=2)
        self.last_epoch = epoch
        if self._is_better(current, self.best):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:  # bad epochs during a cooldown do not count
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _reduce_lr(self):
        groups = self.optimizer.param_groups
        if len(self.min_lrs) != len(groups):  # a group was added since construction
            if self.default_min_lr is None:
                raise RuntimeError(f"the optimizer has {len(groups)} parameter groups, but ReduceLROnPlateau "
                                   f"was given {len(self.min_lrs)} min_lr values; set scheduler.min_lrs to one "
                                   "per group")
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, min_lr in zip(groups, self.min_lrs):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr

    def get_lr(self):
        raise NotImplementedError("ReduceLROnPlateau sets the learning rates in step(metrics); use get_last_lr()")

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        self._check_mode()


class _CompositeScheduler(LRScheduler):
    """A scheduler driving others on the same optimizer; its state_dict holds theirs under
    "_schedulers"."""

    def _take_schedulers(self, optimizer, schedulers):
        schedulers = list(schedulers)
        name = type(self).__name__
        if not schedulers:
            raise ValueError(f"{name} needs at least one scheduler, got none")
        for i, scheduler in enumerate(schedulers):
            if not hasattr(scheduler, "optimizer"):
                raise TypeError(f"{name}: schedulers[{i}] is a {type(scheduler).__name__}, not a learning-rate "
                                "scheduler (it has no optimizer)")
            if isinstance(scheduler, ReduceLROnPlateau):
                raise ValueError(f"{name} cannot drive ReduceLROnPlateau (schedulers[{i}]): its step() needs the "
                                 "metric")
            if scheduler.optimizer is not optimizer:
                raise ValueError(f"{name}: schedulers[{i}] ({type(scheduler).__name__}) belongs to another "
                                 "optimizer; all schedulers must share one")
        self._schedulers = schedulers
        self.optimizer = optimizer

    def get_lr(self):
        raise NotImplementedError(f"a {type(self).__name__} cannot be restarted at a SequentialLR milestone "
                                  "(PyTorch cannot either); make it SequentialLR's first scheduler")

    def state_dict(self):
        state = {key: value for key, value in self.__dict__.items() if key not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [scheduler.state_dict() for scheduler in self._schedulers]
        return state

    def load_state_dict(self, state_dict):
        states = state_dict["_schedulers"]
        if len(states) != len(self._schedulers):
            raise ValueError(f"the state_dict holds {len(states)} schedulers' states, this {type(self).__name__} "
                             f"has {len(self._schedulers)} schedulers")
        self.__dict__.update({key: value for key, value in state_dict.items() if key != "_schedulers"})
        for scheduler, state in zip(self._schedulers, states):
            scheduler.load_state_dict(state)


def _undo_initial_steps(schedulers):
    """Take back the step each scheduler made when it was created (SequentialLR restarts the first
    one itself)."""
    for scheduler in schedulers:
        if hasattr(scheduler, "_schedulers"):
            _undo_initial_steps(scheduler._schedulers)
        else:
            scheduler.last_epoch -= 1


class SequentialLR(_CompositeScheduler):
    """Run ``schedulers`` one after another: schedulers[i] takes over at epoch milestones[i - 1],
    restarted at its own epoch 0 (its closed form from initial_lr where PyTorch has one), e.g. a
    warmup then a decay::

        warmup = optim.lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=5)
        decay = optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)
        scheduler = optim.lr_scheduler.SequentialLR(opt, [warmup, decay], milestones=[5])

    Creating it resets each group's lr to its initial_lr and starts schedulers[0] again.
    """

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        self._check_optimizer(optimizer)
        self._take_schedulers(optimizer, schedulers)
        milestones = [_args.integer(m, self._what(f"milestones[{i}]")) for i, m in enumerate(milestones)]
        if len(milestones) != len(self._schedulers) - 1:
            raise ValueError(f"SequentialLR needs one milestone fewer than schedulers: got {len(self._schedulers)} "
                             f"schedulers and {len(milestones)} milestones")
        if milestones != sorted(milestones):
            raise ValueError(f"{self._what('milestones')} must be in increasing order, got {milestones!r}")
        self._milestones = milestones
        self.last_epoch = last_epoch + 1
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        _undo_initial_steps(self._schedulers)
        first = self._schedulers[bisect_right(milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    def step(self):
        self.last_epoch += 1
        index = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[index]
        if index > 0 and self._milestones[index - 1] == self.last_epoch:
            scheduler._update_lr(0)  # its turn begins: restart it at epoch 0
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()


class ChainedScheduler(_CompositeScheduler):
    """Step every scheduler in ``schedulers`` at each ``step()``, so their changes compose, e.g.
    ConstantLR(opt, factor=0.1, total_iters=2) chained with ExponentialLR(opt, gamma=0.9) gives
    lr = initial_lr * 0.9 ** epoch * (0.1 for epochs below 2). ``optimizer`` defaults to the
    schedulers' one. As in PyTorch, it has no last_epoch of its own (its schedulers have)."""

    def __init__(self, schedulers, optimizer=None):
        schedulers = list(schedulers)
        if optimizer is None and schedulers:
            optimizer = getattr(schedulers[0], "optimizer", None)
        self._take_schedulers(optimizer, schedulers)
        self._last_lr = [group["lr"] for group in self._schedulers[-1].optimizer.param_groups]

    def step(self):
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = [group["lr"] for group in self._schedulers[-1].optimizer.param_groups]
