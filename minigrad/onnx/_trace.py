"""Tracing a model for export: one forward run that records every op call and the module it came from.

The recorder is an observer of ``_observe`` (the hook the profiler uses), so it sees each ``Op._run``
with the op's node (hyperparameters, and what forward stored on it), its input Tensors and its output
Tensors. Module calls are followed by wrapping ``Module.__call__`` for the duration of the run: that
gives the module path of each op call, and lets a module exporter (``exports_module``) stand for a
whole module call, the ops inside it then not being recorded. The functions that compute Tensors
without an Op (comparisons, logical operators, dtype conversions, argmax) are followed the same way.
"""
import contextlib
import threading
from dataclasses import dataclass

import numpy as np

from .. import _args, _observe
from ..nn.module import Module
from ..ops import reduction
from ..tensor import Tensor


@dataclass(frozen=True)
class Scope:
    """Where a call happened: the path of the module that made it ("" for the model) and its class."""

    path: str
    kind: str

    def __str__(self):
        """How an error names the module, e.g. "'features.3' (Conv2d)"."""
        return f"'{self.path}' ({self.kind})" if self.path else f"the model itself ({self.kind})"


@dataclass
class OpCall:
    """One recorded call: ``op`` is the node (an Op instance, or the Module of a module exporter),
    ``inputs`` and ``outputs`` its Tensors, ``module`` the Scope of the module that called it."""

    op: object
    inputs: tuple
    outputs: tuple
    module: Scope


class Recorder:
    """Records the op calls of one forward run (an ``_observe`` observer)."""

    def __init__(self, model, module_exporters):
        self.calls = []
        self._module_exporters = module_exporters
        self._paths = {id(m): name for name, m in model.named_modules()}
        self._stack = [Scope("", type(model).__name__)]
        self._claimed = 0  # > 0 inside a module call that a module exporter stands for
        self._thread = threading.get_ident()  # the exporting thread: what other threads run is not recorded

    # observer interface (minigrad/_observe.py)
    def call(self, op, inputs, proceed):
        outputs = proceed()
        if not self._claimed and threading.get_ident() == self._thread:
            self.calls.append(OpCall(op, tuple(inputs), _observe.as_tuple(outputs), self._stack[-1]))
        return outputs

    def backward(self, op, grad_outputs, proceed):
        return proceed()

    def _module_call(self, module, call, args, kwargs):
        if threading.get_ident() != self._thread:
            return call(module, *args, **kwargs)
        claimed = not self._claimed and type(module) in self._module_exporters and \
            self._module_exporters[type(module)].claims(module)
        scope = Scope(self._paths.get(id(module), "?"), type(module).__name__)
        if claimed and kwargs:
            raise TypeError(f"ONNX export: {scope} was called with keyword arguments, which its exporter does "
                            "not take")
        self._stack.append(scope)
        self._claimed += claimed
        try:
            outputs = call(module, *args, **kwargs)
        finally:
            self._claimed -= claimed
            self._stack.pop()
        if claimed:
            self.calls.append(OpCall(module, tuple(args), _observe.as_tuple(outputs), scope))
        return outputs

    def _follow(self, name, x, args, kwargs, original):
        """A FOLLOWED function: recorded when it computed a new Tensor without recording an op."""
        before = len(self.calls)
        result = original(x, *args, **kwargs)
        if self._claimed or len(self.calls) != before or not isinstance(result, Tensor) or result is x or \
                threading.get_ident() != self._thread:
            return result
        inputs, arguments = [x], []
        for argument in args:
            if isinstance(argument, Tensor):
                inputs.append(argument)
            elif name in OPERATORS and _args.is_real(argument):  # x < 0.5: the number as an input, in x's
                weak = x.dtype.kind == "f" and not isinstance(argument, bool)  # float dtype (NumPy's rule)
                inputs.append(Tensor._wrap(np.asarray(argument, dtype=x.dtype if weak else None), False))
            else:
                arguments.append(argument)
        self.calls.append(OpCall(FollowedCall(name, tuple(arguments), dict(kwargs)), tuple(inputs), (result,),
                                 self._stack[-1]))
        return result

    @contextlib.contextmanager
    def recording(self):
        """While open: op calls are recorded, and module calls and the functions that compute
        without an op (FOLLOWED) are followed, by wrapping them where they are looked up."""
        originals = {(Module, "__call__"): Module.__call__}
        originals.update({(owner, name): getattr(owner, name) for owner, name in FOLLOWED})
        recorder = self

        def traced_call(module, *args, **kwargs):
            return recorder._module_call(module, originals[Module, "__call__"], args, kwargs)

        def traced(owner, name):
            original = originals[owner, name]
            return lambda x, *args, **kwargs: recorder._follow(name, x, args, kwargs, original)

        Module.__call__ = traced_call
        for owner, name in FOLLOWED:
            setattr(owner, name, traced(owner, name))
        _observe.add(self)
        try:
            yield self
        finally:
            _observe.remove(self)
            for (owner, name), original in originals.items():
                setattr(owner, name, original)


OPERATORS = ("__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__", "__and__", "__or__", "__xor__")
# what computes Tensors without an Op: (where it is looked up, its name); _arg_extremum gives the
# indices of argmax, argmin, max(dim) and min(dim)
FOLLOWED = tuple((Tensor, name) for name in OPERATORS + ("__invert__", "to")) + ((reduction, "_arg_extremum"),)


@dataclass
class FollowedCall:
    """A recorded call of a FOLLOWED function: ``name`` ("__lt__" for x < other, "to", ...),
    ``arguments`` and ``options`` its non-Tensor positional and keyword arguments (a number operand
    of an operator is an input, as a 0-d Tensor)."""

    name: str
    arguments: tuple
    options: dict

