"""Module: a container of parameters, buffers and sub-modules, as in PyTorch."""
import numbers
import os
from collections import OrderedDict, namedtuple
from collections.abc import Mapping

from .. import backend
from .._dtypes import resolve_dtype
from ..tensor import Tensor

__all__ = ["Module", "Parameter"]


class Parameter(Tensor):
    """A Tensor that a Module registers as a parameter; requires grad by default.

    Example: ``w = nn.Parameter(mg.randn(3, 4))``
    """

    __slots__ = ()

    def __init__(self, data, requires_grad=True):
        array = data._data if isinstance(data, Tensor) else data
        super().__init__(array, requires_grad=requires_grad, device=backend.device_of(array)
                         if hasattr(array, "flags") else None)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


# ends the error raised when a Module's input is not a Tensor, so that enclosing modules pass it on
_RAW_INPUT_HINT = "make one with mg.tensor(data) (or mg.from_numpy(array) to share a NumPy array's memory)"


def _is_raw_data(value):
    if isinstance(value, (list, tuple)):
        return not any(isinstance(v, (Tensor, Module)) for v in value)
    return isinstance(value, numbers.Number) or hasattr(value, "__array_interface__") \
        or hasattr(value, "__cuda_array_interface__")


IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Module:
    """Base class of layers and models: assign Parameters, Modules and buffers as attributes and
    they are registered; ``__call__`` runs ``forward``.

    Example::

        class TwoLayer(nn.Module):
            def __init__(self):
                super().__init__()
                self.hidden = nn.Linear(4, 8)
                self.out = nn.Linear(8, 2)
            def forward(self, x):
                return self.out(F.relu(self.hidden(x)))
    """

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "training", True)

    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"call super().__init__() in {type(self).__name__}.__init__ before assigning attributes")
        params, buffers, modules = self._parameters, self._buffers, self._modules
        if isinstance(value, Parameter):
            buffers.pop(name, None), modules.pop(name, None)
            params[name] = value
        elif isinstance(value, Module):
            params.pop(name, None), buffers.pop(name, None)
            modules[name] = value
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"buffer {name!r} must be a Tensor or None, got {type(value).__name__}")
            buffers[name] = value
        elif name in params or name in modules:
            if value is not None:
                kind = "Parameter" if name in params else "Module"
                raise TypeError(f"cannot assign {type(value).__name__} to {name!r} ({kind} or None expected)")
            (params if name in params else modules)[name] = None
        object.__setattr__(self, name, value)

    def register_parameter(self, name, param):
        """Register a Parameter (or None, an absent parameter such as a disabled bias)."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"parameter {name!r} must be a Parameter or None, got {type(param).__name__}")
        self._parameters[name] = param
        object.__setattr__(self, name, param)

    def add_module(self, name, module):
        """Register ``module`` (or None) as the child ``name``, as ``setattr(self, name, module)``."""
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"module name must be a non-empty string without '.', got {name!r}")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{name!r} must be a Module or None, got {type(module).__name__}")
        self._parameters.pop(name, None), self._buffers.pop(name, None)
        self._modules[name] = module
        object.__setattr__(self, name, module)

    def register_module(self, name, module):
        """Alias of add_module."""
        self.add_module(name, module)

    def register_buffer(self, name, tensor, persistent=True):
        """Register a Tensor (or None) that is state but not a parameter (e.g. running_mean). It
        moves with ``to()``; with persistent=False it is left out of state_dict().

        Example: ``self.register_buffer("steps", mg.zeros(1), persistent=False)``
        """
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"buffer name must be a non-empty string without '.', got {name!r}")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"buffer {name!r} must be a Tensor or None, got {type(tensor).__name__}")
        if name in self._parameters or name in self._modules:
            raise KeyError(f"attribute {name!r} already exists as a parameter or module")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)
        object.__setattr__(self, name, tensor)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement forward")

    def __call__(self, *args, **kwargs):
        try:
            return self.forward(*args, **kwargs)
        except (AttributeError, TypeError) as error:
            # checked only after a failure, so a working call pays nothing for it
            if not args or not _is_raw_data(args[0]) or str(error).endswith(_RAW_INPUT_HINT):
                raise
            kind = type(args[0])
            kind = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"
            raise TypeError(f"{type(self).__name__} takes a Tensor as its input, got a {kind}; {_RAW_INPUT_HINT}") \
                from error

    # ---- traversal -------------------------------------------------------------------------
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """(dotted name, module) for this module and every descendant, depth first, parents before
        children; a module reached twice is yielded once unless remove_duplicate=False.

        Example: ``[n for n, _ in nn.Sequential(nn.Linear(2, 2)).named_modules()]`` -> ['', '0']
        """
        memo = set() if memo is None else memo
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if remove_duplicate:
                if module in memo:
                    continue
                memo.add(module)
            yield name, module
            stack.extend(reversed([(f"{name}.{child}" if name else child, m) for child, m in module._modules.items()
                                   if m is not None]))

    def modules(self):
        return (m for _, m in self.named_modules())

    def named_children(self):
        seen = set()
        for name, m in self._modules.items():
            if m is not None and m not in seen:
                seen.add(m)
                yield name, m

    def children(self):
        return (m for _, m in self.named_children())

    def _named_members(self, registry_name, prefix, recurse, remove_duplicate):
        seen = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in getattr(module, registry_name).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        return (p for _, p in self.named_parameters(recurse=recurse))

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        return (b for _, b in self.named_buffers(recurse=recurse))

    def apply(self, fn):
        """Call ``fn(module)`` on every child (recursively), then on this module; returns self.

        Example: ``model.apply(lambda m: nn.init.zeros_(m.bias) if isinstance(m, nn.Linear) else None)``
        """
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ---- state -----------------------------------------------------------------------------
    def train(self, mode=True):
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Set requires_grad on every parameter (False freezes the module); returns self."""
        for p in self.parameters():
            p.requires_grad = bool(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Drop every parameter's gradient (set_to_none=True) or set it to zeros (the same grad
        Tensor, holding a fresh array: a first gradient may share memory with another array)."""
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad._data = backend.array_module(p.grad._data).zeros_like(p.grad._data)

    def state_dict(self):
        """Parameters and buffers by dotted name, as Tensors sharing this module's arrays."""
        state = OrderedDict()
        for prefix, module in self.named_modules():
            for registry in (module._parameters, module._buffers):
                for name, value in registry.items():
                    if value is not None and not (registry is module._buffers and name in module._non_persistent_buffers):
                        # an uninitialized (lazy) tensor has nothing to detach: it goes in as it is, as torch's
                        lazy = hasattr(value, "materialize")
                        state[f"{prefix}.{name}" if prefix else name] = value if lazy else value.detach()
        return state

    def load_state_dict(self, state, strict=True):
        """Copy arrays from ``state`` (name -> Tensor or array) into this module's parameters and
        buffers, keeping their device and dtype. With strict=True, missing and unexpected keys are
        an error; shape mismatches always are. Returns (missing_keys, unexpected_keys)."""
        if isinstance(state, (str, bytes, os.PathLike)):
            raise TypeError(f"load_state_dict takes a state dict, not a path ({state!r}); read the file "
                            f"first: model.load_state_dict(mg.load({os.fspath(state)!r}))")
        if not isinstance(state, Mapping):
            raise TypeError(f"load_state_dict takes a state dict (a mapping of names to Tensors), got "
                            f"{type(state).__name__}")
        own = self.state_dict()
        for name, target in own.items():  # a lazy module takes the loaded shapes, as torch's load hook
            if hasattr(target, "materialize") and name in state and not hasattr(state[name], "materialize"):
                target.materialize(tuple(state[name].shape))
        missing = [k for k in own if k not in state]
        unexpected = [k for k in state if k not in own]
        mismatched = [f"{k}: checkpoint {tuple(state[k].shape)}, model {own[k].shape}"
                      for k in own if k in state and tuple(state[k].shape) != own[k].shape]
        problems = []
        if mismatched:
            problems.append("size mismatch for " + "; ".join(mismatched))
        if strict and missing:
            problems.append("missing keys: " + ", ".join(missing))
        if strict and unexpected:
            problems.append("unexpected keys: " + ", ".join(unexpected))
        if problems:
            raise RuntimeError(f"error loading state_dict into {type(self).__name__}: " + " | ".join(problems))
        for name, target in own.items():
            if name in state:
                value = state[name]
                value = value._data if isinstance(value, Tensor) else value
                target._data[...] = backend.to_device(value, target.device).astype(target.dtype, copy=False)
                target._bump_version()  # a graph that saved the old values now refuses backward, as torch's
        return IncompatibleKeys(missing, unexpected)

    # ---- device and dtype ------------------------------------------------------------------
    def to(self, target):
        """Move parameters, their gradients and buffers to a device ('cpu', 'cuda') or float dtype,
        in place (the same Parameter objects, so an optimizer keeps working). Returns self."""
        is_device = isinstance(target, str) and target.split(":")[0] in ("cpu", "cuda")
        if is_device:
            device = backend.normalize_device(target)
            convert = lambda a: backend.to_device(a, device)  # noqa: E731
        else:
            dtype = resolve_dtype(target)
            if dtype not in backend.FLOAT_DTYPES:
                raise TypeError(f"Module.to takes a device or a float dtype, got {target!r}")
            convert = lambda a: a.astype(dtype, copy=False) if a.dtype in backend.FLOAT_DTYPES else a  # noqa: E731
        for t in list(self.parameters()) + list(self.buffers()):
            t._data = convert(t.placeholder() if hasattr(t, "materialize") else t._data)
            if t.grad is not None:
                t.grad._data = convert(t.grad._data)
        return self

    def cuda(self):
        return self.to("cuda")

    def cpu(self):
        return self.to("cpu")

    def double(self):
        return self.to("float64")

    def float(self):
        return self.to("float32")

    # ---- printing --------------------------------------------------------------------------
    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = [f"({name}): " + repr(m).replace("\n", "\n  ") for name, m in self.named_children()]
        if not lines:
            return f"{type(self).__name__}({self.extra_repr()})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"
