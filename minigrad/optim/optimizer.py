"""Optimizer base class: parameter groups, zero_grad and state_dict, as in PyTorch."""
import numpy as np

from .. import backend
from ..tensor import Tensor


class Optimizer:
    """Holds ``param_groups`` (list of dicts with "params" and hyper-parameters) and per-parameter
    ``state``. Subclasses implement ``step``."""

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
        pass

    def zero_grad(self, set_to_none=True):
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad.data[...] = 0

    def state_dict(self):
        """{"state": {index: {name: array}}, "param_groups": [{..., "params": [indices]}]}, with
        parameters numbered in group order (as in PyTorch)."""
        index_of, groups = {}, []
        for group in self.param_groups:
            indices = []
            for p in group["params"]:
                index_of.setdefault(id(p), len(index_of))
                indices.append(index_of[id(p)])
            groups.append({**{k: v for k, v in group.items() if k != "params"}, "params": indices})
        state = {index_of[id(p)]: {k: backend.to_device(v, "cpu").copy() for k, v in s.items()}
                 for p, s in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError(f"state_dict has {len(groups)} parameter groups, the optimizer has {len(self.param_groups)}")
        params = []
        for saved, group in zip(groups, self.param_groups):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"a parameter group has {len(saved['params'])} parameters in the state_dict "
                                 f"and {len(group['params'])} in the optimizer")
            params.extend(zip(saved["params"], group["params"]))
        for saved, group in zip(groups, self.param_groups):
            for key, value in saved.items():
                if key != "params":
                    group[key] = value
            self._check_hyperparameters(group)
        saved_state = {int(k): v for k, v in state_dict["state"].items()}
        self.state = {}
        for index, p in params:
            if index in saved_state:
                entry = {}
                for name, value in saved_state[index].items():
                    value = value.data if isinstance(value, Tensor) else value
                    if not hasattr(value, "shape"):
                        value = np.asarray(value)
                    if value.shape != p.shape:
                        raise ValueError(f"state {name!r} of parameter {index} has shape {value.shape}, "
                                         f"the parameter has {p.shape}")
                    entry[name] = backend.to_device(value, p.device).astype(p.dtype, copy=True)
                self.state[p] = entry
