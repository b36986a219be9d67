"""Optimizer base class: parameter groups, the per-parameter loop, zero_grad and state_dict, as in
PyTorch."""
from .. import _args, backend
from ..tensor import Tensor


def zeros_like_param(param):
    """A C-contiguous zero state array of the parameter's shape, dtype and device."""
    return backend.array_module(param).zeros(param.shape, param.dtype)


class Optimizer:
    """Holds ``param_groups`` (list of dicts with "params" and hyper-parameters) and per-parameter
    ``state`` (dict name -> array or number). ``step()`` walks the parameters that have a gradient
    and calls the subclass's ``update``.

    Subclasses set ``state_names`` (every state entry they keep; ``param_shaped`` names the arrays of
    the parameter's shape, the others are numbers) and ``nonnegative`` (the hyper-parameters that
    must be >= 0; other checks extend ``_check_hyperparameters``), and implement
    ``update(param, grad, state, group)`` on arrays: param (updated in place) and grad, the
    parameter's state dict (empty on its first step) and its group's hyper-parameters.
    """

    state_names = ()
    param_shaped = ()
    nonnegative = ("lr",)  # hyper-parameters that must be numbers >= 0

    def __init__(self, params, defaults):
        if isinstance(params, Tensor):
            raise TypeError("params must be an iterable of Tensors or dicts (for example "
                            "model.parameters()), got a single Tensor")
        if callable(getattr(params, "parameters", None)):
            raise TypeError(f"{type(self).__name__} takes the parameters to optimize, got the module "
                            f"{type(params).__name__} itself; pass model.parameters()")
        try:
            groups = list(params)
        except TypeError:
            raise TypeError(f"params must be an iterable of Tensors or dicts (for example model.parameters()), "
                            f"got {type(params).__name__}") from None
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        self.defaults = defaults
        self.param_groups = []
        self.state = {}
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group):
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("optimizer can only optimize leaf Tensors (parameters), not results of ops")
            if id(p) in seen:
                raise ValueError("a parameter appears in more than one parameter group")
            seen.add(id(p))
        full = dict(self.defaults)
        full.update({k: v for k, v in group.items() if k != "params"})
        full["params"] = params
        self._check_hyperparameters(full)
        self.param_groups.append(full)

    def _check_hyperparameters(self, group):
        """Raise an error naming the optimizer and a hyper-parameter of ``group`` that is not a
        number (_args.ArgumentTypeError) or out of range (ValueError), e.g. "SGD: lr must be a
        number >= 0, got -0.1". Runs when a group is added or loaded, never per step."""
        for name in self.nonnegative:
            _args.real(group[name], f"{type(self).__name__}: {name}", 0)

    def update(self, param, grad, state, group):
        raise NotImplementedError(f"{type(self).__name__} must implement update(param, grad, state, group)")

    def step(self, closure=None):
        """One update of every parameter that has a gradient. ``closure`` (optional) re-evaluates the
        model and returns the loss, which step returns."""
        loss = None
        if closure is not None:
            loss = closure()
        update = self.update
        for group in self.param_groups:
            for p in group["params"]:
                grad = p._grad  # the attribute behind p.grad: this loop runs per parameter and step
                if grad is None:
                    continue
                state = self.state.get(p)
                if state is None:
                    state = self.state[p] = {}
                elif state:
                    _follow_parameter(state, p._data)
                update(p._data, grad._data, state, group)
                p._bump_version()  # an op that saved p for backward now refuses to use it
        return loss

    def zero_grad(self, set_to_none=True):
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p._grad = None  # the attribute behind p.grad (its setter checks assigned Tensors)
                elif p.grad is not None:
                    p.grad._data[...] = 0

    def state_dict(self):
        """{"optimizer": class name, "state": {index: {name: array or number}},
        "param_groups": [{..., "params": [indices]}]}, parameters numbered in group order (as in
        PyTorch). State arrays are copies, on the parameters' device."""
        index_of, groups = {}, []
        for group in self.param_groups:
            indices = []
            for p in group["params"]:
                index_of.setdefault(id(p), len(index_of))
                indices.append(index_of[id(p)])
            groups.append({**{k: v for k, v in group.items() if k != "params"}, "params": indices})
        state = {index_of[id(p)]: {k: v.copy() if hasattr(v, "shape") else v for k, v in s.items()}
                 for p, s in self.state.items()}
        return {"optimizer": type(self).__name__, "state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore hyper-parameters and state saved by ``state_dict`` (also after mg.save / mg.load).
        A state_dict from another optimizer type or parameter layout is a ValueError."""
        kind = state_dict.get("optimizer", type(self).__name__)
        if kind != type(self).__name__:
            raise ValueError(f"state_dict is from a {kind} optimizer, this one is {type(self).__name__}")
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError(f"state_dict has {len(groups)} parameter groups, the optimizer has {len(self.param_groups)}")
        params = []
        for saved, group in zip(groups, self.param_groups):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"a parameter group has {len(saved['params'])} parameters in the state_dict "
                                 f"and {len(group['params'])} in the optimizer")
            missing = set(self.defaults) - set(saved)
            if missing:
                raise ValueError(f"state_dict's parameter groups lack {sorted(missing)}: it is not from a "
                                 f"{type(self).__name__} optimizer")
            params.extend(zip(saved["params"], group["params"]))
        state = {}
        saved_state = {int(k): v for k, v in state_dict["state"].items()}
        for index, p in params:
            if index in saved_state:
                state[p] = {name: self._restored(name, value, index, p) for name, value in saved_state[index].items()}
        for saved, group in zip(groups, self.param_groups):
            restored = {**group, **{k: v for k, v in saved.items() if k != "params"}}
            self._check_hyperparameters(restored)
            group.update(restored)
        self.state = state

    def _restored(self, name, value, index, p):
        if name not in self.state_names:
            raise ValueError(f"state {name!r} of parameter {index} is not kept by {type(self).__name__} "
                             f"(it keeps {', '.join(self.state_names)}): the state_dict is from another optimizer")
        value = value._data if isinstance(value, Tensor) else value
        if name not in self.param_shaped:
            return value.item() if hasattr(value, "item") else value
        if not hasattr(value, "shape") or tuple(value.shape) != p.shape:
            raise ValueError(f"state {name!r} of parameter {index} has shape {getattr(value, 'shape', '()')}, "
                             f"the parameter has {p.shape}")
        return backend.to_device(value, p.device).astype(p.dtype, copy=True)


def _follow_parameter(state, param):
    """Move state arrays to the parameter's device and dtype when the model moved (model.to(...))
    since the last step."""
    for name, value in state.items():
        if type(value) is type(param) and value.dtype is param.dtype:  # nothing moved: the common case
            continue
        if hasattr(value, "shape") and (type(value) is not type(param) or value.dtype != param.dtype):
            state[name] = backend.to_device(value, backend.device_of(param)).astype(param.dtype)
