"""RMSprop, Adagrad and Adadelta (PyTorch's update rules), one fused kernel pass per parameter."""
from .. import _args, _kernels, backend
from .optimizer import Optimizer, zeros_like_param


class RMSprop(Optimizer):
    """RMSprop with PyTorch's rule and defaults: optional centering (divide by the running standard
    deviation of the gradient instead of its root mean square), momentum, weight decay, maximize.
    State: ``step`` (int), ``square_avg``, ``grad_avg`` (centered), ``momentum_buffer`` (momentum > 0).

    Example::

        opt = optim.RMSprop(model.parameters(), lr=1e-2, momentum=0.9, centered=True)
    """

    state_names = ("step", "square_avg", "grad_avg", "momentum_buffer")
    param_shaped = ("square_avg", "grad_avg", "momentum_buffer")
    nonnegative = ("lr", "eps", "momentum", "weight_decay", "alpha")

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 maximize=False):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                                      centered=centered, maximize=maximize))

    def update(self, param, grad, state, group):
        if not state:
            state["step"] = 0
            state["square_avg"] = zeros_like_param(param)
        if group["centered"] and "grad_avg" not in state:
            state["grad_avg"] = zeros_like_param(param)
        if group["momentum"] > 0 and "momentum_buffer" not in state:
            state["momentum_buffer"] = zeros_like_param(param)
        _kernels.for_array(param).rmsprop_step(
            param, grad, state["square_avg"], state.get("grad_avg"), state.get("momentum_buffer"),
            float(group["lr"]), float(group["alpha"]), float(group["eps"]), float(group["weight_decay"]),
            float(group["momentum"]), bool(group["centered"]), bool(group["maximize"]))
        state["step"] += 1


class Adagrad(Optimizer):
    """Adagrad with PyTorch's rule and defaults: per-element learning rates from the running sum of
    squared gradients, learning-rate decay lr / (1 + (step - 1) * lr_decay). State: ``step`` (int),
    ``sum``.

    Example::

        opt = optim.Adagrad(model.parameters(), lr=1e-2)
    """

    state_names = ("step", "sum")
    param_shaped = ("sum",)
    nonnegative = ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps")

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 maximize=False):
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, eps=eps,
                                      maximize=maximize))

    def update(self, param, grad, state, group):
        if not state:
            state["step"] = 0
            state["sum"] = backend.array_module(param).full(param.shape, group["initial_accumulator_value"],
                                                            param.dtype)
        _kernels.for_array(param).adagrad_step(
            param, grad, state["sum"], float(group["lr"]), float(group["lr_decay"]), float(group["weight_decay"]),
            float(group["eps"]), state["step"] + 1, bool(group["maximize"]))
        state["step"] += 1


class Adadelta(Optimizer):
    """Adadelta (Zeiler) with PyTorch's rule and defaults. State: ``step`` (int), ``square_avg``,
    ``acc_delta``.

    Example::

        opt = optim.Adadelta(model.parameters())
    """

    state_names = ("step", "square_avg", "acc_delta")
    param_shaped = ("square_avg", "acc_delta")
    nonnegative = ("lr", "eps", "weight_decay")

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False):
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize))

    def _check_hyperparameters(self, group):
        super()._check_hyperparameters(group)
        _args.real(group["rho"], f"{type(self).__name__}: rho", 0, 1)

    def update(self, param, grad, state, group):
        if not state:
            state["step"] = 0
            state["square_avg"] = zeros_like_param(param)
            state["acc_delta"] = zeros_like_param(param)
        _kernels.for_array(param).adadelta_step(
            param, grad, state["square_avg"], state["acc_delta"], float(group["lr"]), float(group["rho"]),
            float(group["eps"]), float(group["weight_decay"]), bool(group["maximize"]))
        state["step"] += 1
