"""Adamax, NAdam and RAdam (PyTorch's update rules), one fused kernel pass per parameter."""
from .. import _kernels
from .adam import betas_pair, check_betas
from .optimizer import Optimizer, zeros_like_param


class _BetasOptimizer(Optimizer):
    """An optimizer with Adam's ``betas`` hyper-parameter (checked as Adam checks it)."""

    nonnegative = ("lr", "eps", "weight_decay")

    def _check_hyperparameters(self, group):
        super()._check_hyperparameters(group)
        check_betas(type(self).__name__, group["betas"])

    def _start_state(self, param, state, **scalars):
        """A parameter's state before its first step, in torch's key order: ``step`` 0, the given
        scalars, then a zero array for each of ``param_shaped``."""
        if not state:
            state.update(step=0, **scalars)
            state.update((name, zeros_like_param(param)) for name in self.param_shaped)


class Adamax(_BetasOptimizer):
    """Adamax (Adam with the infinity norm, Kingma & Ba) with PyTorch's rule and defaults. State per
    parameter: ``step`` (int), ``exp_avg`` and ``exp_inf`` (arrays of the parameter's shape).

    Example::

        opt = optim.Adamax(model.parameters(), lr=2e-3)
        loss.backward(); opt.step(); opt.zero_grad()
    """

    state_names = ("step", "exp_avg", "exp_inf")
    param_shaped = ("exp_avg", "exp_inf")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, maximize=False):
        super().__init__(params, dict(lr=lr, betas=betas_pair(betas), eps=eps, weight_decay=weight_decay,
                                      maximize=maximize))

    def update(self, param, grad, state, group):
        self._start_state(param, state)
        beta1, beta2 = group["betas"]
        _kernels.for_array(param).adamax_step(
            param, grad, state["exp_avg"], state["exp_inf"], float(group["lr"]), float(beta1), float(beta2),
            float(group["eps"]), float(group["weight_decay"]), state["step"] + 1, bool(group["maximize"]))
        state["step"] += 1  # counted once the step is taken: a refused step changes nothing


class NAdam(_BetasOptimizer):
    """NAdam (Adam with Nesterov momentum, Dozat) with PyTorch's rule and defaults: the momentum
    schedule mu_t = beta1 (1 - 0.5 * 0.96^(t momentum_decay)), L2 weight decay or, with
    ``decoupled_weight_decay=True``, AdamW's. State per parameter: ``step`` (int), ``mu_product``
    (the product of mu over the steps taken, a float), ``exp_avg`` and ``exp_avg_sq`` (arrays).

    Example::

        opt = optim.NAdam(model.parameters(), lr=2e-3, momentum_decay=4e-3)
    """

    state_names = ("step", "mu_product", "exp_avg", "exp_avg_sq")
    param_shaped = ("exp_avg", "exp_avg_sq")
    nonnegative = ("lr", "eps", "weight_decay", "momentum_decay")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, maximize=False):
        super().__init__(params, dict(lr=lr, betas=betas_pair(betas), eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize))

    def update(self, param, grad, state, group):
        self._start_state(param, state, mu_product=1.0)
        beta1, beta2 = group["betas"]
        step, momentum_decay = state["step"] + 1, group["momentum_decay"]
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
        mu_product = state["mu_product"] * mu
        _kernels.for_array(param).nadam_step(
            param, grad, state["exp_avg"], state["exp_avg_sq"], float(group["lr"]), float(beta1), float(beta2),
            float(group["eps"]), float(group["weight_decay"]), mu, mu_next, mu_product, step,
            bool(group["maximize"]), bool(group["decoupled_weight_decay"]))
        state["step"], state["mu_product"] = step, mu_product


class RAdam(_BetasOptimizer):
    """RAdam (rectified Adam, Liu et al.) with PyTorch's rule and defaults: plain bias-corrected
    momentum while the variance estimate is unreliable (rho_t <= 5), rectified Adam after; L2 weight
    decay or, with ``decoupled_weight_decay=True``, AdamW's. State per parameter: ``step`` (int),
    ``exp_avg`` and ``exp_avg_sq`` (arrays of the parameter's shape).

    Example::

        opt = optim.RAdam(model.parameters(), lr=1e-3)
    """

    state_names = ("step", "exp_avg", "exp_avg_sq")
    param_shaped = ("exp_avg", "exp_avg_sq")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
                 maximize=False):
        super().__init__(params, dict(lr=lr, betas=betas_pair(betas), eps=eps, weight_decay=weight_decay,
                                      decoupled_weight_decay=decoupled_weight_decay, maximize=maximize))

    def update(self, param, grad, state, group):
        self._start_state(param, state)
        beta1, beta2 = group["betas"]
        _kernels.for_array(param).radam_step(
            param, grad, state["exp_avg"], state["exp_avg_sq"], float(group["lr"]), float(beta1), float(beta2),
            float(group["eps"]), float(group["weight_decay"]), state["step"] + 1, bool(group["maximize"]),
            bool(group["decoupled_weight_decay"]))
        state["step"] += 1
