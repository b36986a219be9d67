"""Averaged SGD (PyTorch's update rule), one fused kernel pass per parameter."""
from .. import _args, _kernels
from .optimizer import Optimizer, zeros_like_param


class ASGD(Optimizer):
    """Averaged stochastic gradient descent (Polyak & Juditsky) with PyTorch's rule and defaults:
    the step size eta_t = lr / (1 + lambd * lr * t)^alpha decays, and from step t0 on the average
    ``ax`` of the iterates is kept (before that ax follows the parameter). State per parameter:
    ``step`` (int), ``eta`` and ``mu`` (the next step's learning rate and averaging weight, floats)
    and ``ax`` (an array of the parameter's shape).

    Example::

        opt = optim.ASGD(model.parameters(), lr=1e-2, t0=100)
        # after training, the averaged weights: opt.state[p]["ax"] for each parameter p
    """

    state_names = ("step", "eta", "mu", "ax")
    param_shaped = ("ax",)
    nonnegative = ("lr", "weight_decay")

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, maximize=False):
        super().__init__(params, dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                                      maximize=maximize))

    def _check_hyperparameters(self, group):
        super()._check_hyperparameters(group)
        for name in ("lambd", "alpha", "t0"):  # any number, as PyTorch
            _args.real(group[name], f"{type(self).__name__}: {name}")

    def update(self, param, grad, state, group):
        lr, lambd = float(group["lr"]), float(group["lambd"])
        if not state:
            state["step"] = 0
            state["eta"] = lr
            state["mu"] = 1.0
            state["ax"] = zeros_like_param(param)
        _kernels.for_array(param).asgd_step(param, grad, state["ax"], lambd, state["eta"], state["mu"],
                                            float(group["weight_decay"]), bool(group["maximize"]))
        step = state["step"] = state["step"] + 1
        state["eta"] = lr / ((1 + lambd * lr * step) ** group["alpha"])
        state["mu"] = 1 / max(1, step - group["t0"])
