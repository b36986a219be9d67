"""Stochastic gradient descent with PyTorch's update rule, one fused kernel pass per parameter."""
from .. import _kernels, backend
from .optimizer import Optimizer

_REQUIRED = object()


class SGD(Optimizer):
    """SGD with momentum, dampening, Nesterov momentum, weight decay and maximize (PyTorch's rule:
    the momentum buffer starts as the first gradient).

    Example::

        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        loss.backward(); opt.step(); opt.zero_grad()
    """

    state_names = param_shaped = ("momentum_buffer",)
    nonnegative = ("lr", "momentum", "weight_decay", "dampening")

    def __init__(self, params, lr=_REQUIRED, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                 maximize=False):
        if lr is _REQUIRED:
            raise TypeError("SGD needs a learning rate: SGD(params, lr=...)")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov, maximize=maximize))

    def _check_hyperparameters(self, group):
        super()._check_hyperparameters(group)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"{type(self).__name__}: Nesterov momentum requires momentum > 0 and dampening = 0, "
                             f"got momentum={group['momentum']!r}, dampening={group['dampening']!r}")

    def update(self, param, grad, state, group):
        momentum = float(group["momentum"])
        buffer = state.get("momentum_buffer")
        first = buffer is None
        if momentum != 0 and first:
            buffer = state["momentum_buffer"] = backend.array_module(param).empty(param.shape, param.dtype)
        _kernels.for_array(param).sgd_step(
            param, grad, buffer, float(group["lr"]), momentum, float(group["dampening"]),
            float(group["weight_decay"]), bool(group["nesterov"]), bool(group["maximize"]), first)
