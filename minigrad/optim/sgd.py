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

    def __init__(self, params, lr=_REQUIRED, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                 maximize=False):
        if lr is _REQUIRED:
            raise TypeError("SGD needs a learning rate: SGD(params, lr=...)")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov, maximize=maximize))

    def _check_hyperparameters(self, group):
        for name in ("lr", "momentum", "weight_decay", "dampening"):
            value = group[name]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
                raise ValueError(f"invalid {name.replace('lr', 'learning rate')}: {value!r} (must be a number >= 0)")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum requires momentum > 0 and dampening = 0")

    def step(self):
        for group in self.param_groups:
            lr, momentum = float(group["lr"]), float(group["momentum"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state.get(p)
                first = state is None
                buffer = None
                if momentum != 0:
                    if first:
                        state = self.state[p] = {"momentum_buffer": backend.array_module(p.data).empty_like(p.data)}
                    buffer = state["momentum_buffer"]
                    if backend.device_of(buffer) != p.device:  # the model moved since the last step
                        buffer = state["momentum_buffer"] = backend.to_device(buffer, p.device)
                _kernels.for_array(p.data).sgd_step(
                    p.data, p.grad.data, buffer, lr, momentum, float(group["dampening"]),
                    float(group["weight_decay"]), bool(group["nesterov"]), bool(group["maximize"]), first)
                p._bump_version()
