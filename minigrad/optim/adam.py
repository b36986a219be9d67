"""Adam and AdamW (PyTorch's update rules), one fused kernel pass per parameter."""
from .. import _args, _kernels
from .optimizer import Optimizer, zeros_like_param


def betas_pair(betas):
    """A list of betas as the tuple PyTorch keeps (anything else is left for the check)."""
    return tuple(betas) if isinstance(betas, list) else betas


def check_betas(optimizer, betas):
    """Raise unless ``betas`` is a pair of numbers in [0, 1), naming ``optimizer`` (its class name)."""
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise _args.ArgumentTypeError(f"{optimizer}: betas must be a pair (beta1, beta2), each in [0, 1), "
                                      f"got {betas!r}")
    for i, beta in enumerate(betas):
        _args.real(beta, f"{optimizer}: betas[{i}]", 0, 1, high_open=True)


class Adam(Optimizer):
    """Adam (Kingma & Ba) with PyTorch's rule and defaults: L2 weight decay added to the gradient,
    optional AMSGrad and maximize. State per parameter: ``step`` (int), ``exp_avg``, ``exp_avg_sq``
    and, with amsgrad, ``max_exp_avg_sq`` (arrays of the parameter's shape).

    Example::

        opt = optim.Adam(model.parameters(), lr=1e-3)
        loss.backward(); opt.step(); opt.zero_grad()
    """

    state_names = ("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    param_shaped = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    nonnegative = ("lr", "eps", "weight_decay")
    decoupled_weight_decay = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False,
                 maximize=False):
        super().__init__(params, dict(lr=lr, betas=betas_pair(betas), eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize))

    def _check_hyperparameters(self, group):
        super()._check_hyperparameters(group)
        check_betas(type(self).__name__, group["betas"])

    def update(self, param, grad, state, group):
        if not state:
            state["step"] = 0
            state["exp_avg"] = zeros_like_param(param)
            state["exp_avg_sq"] = zeros_like_param(param)
        if group["amsgrad"] and "max_exp_avg_sq" not in state:
            state["max_exp_avg_sq"] = zeros_like_param(param)
        beta1, beta2 = group["betas"]
        _kernels.for_array(param).adam_step(
            param, grad, state["exp_avg"], state["exp_avg_sq"], state.get("max_exp_avg_sq"), float(group["lr"]),
            float(beta1), float(beta2), float(group["eps"]), float(group["weight_decay"]), state["step"] + 1,
            bool(group["amsgrad"]), bool(group["maximize"]), self.decoupled_weight_decay)
        state["step"] += 1  # counted once the step is taken: a refused step changes nothing


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): each step first scales the parameter
    by (1 - lr * weight_decay). PyTorch's defaults (weight_decay=1e-2).

    Example::

        opt = optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    """

    decoupled_weight_decay = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False,
                 maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize)
