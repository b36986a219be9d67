"""Tracing a model for export: one forward run that records every op call and the module it came from.

The recorder is an observer of ``_observe`` (the hook the profiler uses), so it sees each ``Op._run``
with the op's node (hyperparameters, and what forward stored on it), its input Tensors and its output
Tensors. Module calls are followed by wrapping ``Module.__call__`` for the duration of the run: that
gives the module path of each op call, and lets a module exporter (``exports_module``) stand for a
whole module call, the ops inside it then not being recorded. Tensor's comparisons, which compute
without an Op, are followed the same way.
"""
import contextlib
from dataclasses import dataclass

import numpy as np

from .. import _args, _observe
from ..nn.module import Module
from ..tensor import Tensor


@dataclass
class OpCall:
    """One recorded call: ``op`` is the node (an Op instance, or the Module of a module exporter),
    ``inputs`` and ``outputs`` its Tensors, ``module`` the path of the module that called it."""

    op: object
    inputs: tuple
    outputs: tuple
    module: str


class Recorder:
    """Records the op calls of one forward run (an ``_observe`` observer)."""

    def __init__(self, model, module_exporters):
        self.calls = []
        self._module_exporters = module_exporters
        self._paths = {id(m): name for name, m in model.named_modules()}
        self._stack = [_describe("", model)]
        self._claimed = 0  # > 0 inside a module call that a module exporter stands for

    # observer interface (minigrad/_observe.py)
    def call(self, op, inputs, proceed):
        outputs = proceed()
        if not self._claimed:
            self.calls.append(OpCall(op, tuple(inputs), _observe.as_tuple(outputs), self._stack[-1]))
        return outputs

    def backward(self, op, grad_outputs, proceed):
        return proceed()

    def _module_call(self, module, call, args, kwargs):
        claimed = not self._claimed and type(module) in self._module_exporters and \
            self._module_exporters[type(module)].claims(module)
        self._stack.append(_describe(self._paths.get(id(module), "?"), module))
        self._claimed += claimed
        try:
            outputs = call(module, *args, **kwargs)
        finally:
            self._claimed -= claimed
            self._stack.pop()
        if claimed:
            if kwargs:
                raise TypeError(f"ONNX export: {self._stack[-1]} was called with keyword arguments, which its "
                                "exporter does not take")
            self.calls.append(OpCall(module, tuple(args), _observe.as_tuple(outputs), _describe(
                self._paths.get(id(module), "?"), module)))
        return outputs

    def _compare(self, comparison, x, other, original):
        result = original(x, other)
        if not self._claimed and (isinstance(other, Tensor) or _args.is_real(other)):
            other = other if isinstance(other, Tensor) else Tensor._wrap(np.asarray(other), False)
            self.calls.append(OpCall(comparison, (x, other), (result,), self._stack[-1]))
        return result

    @contextlib.contextmanager
    def recording(self):
        """While open: op calls are recorded, and module calls and comparisons are followed (by
        wrapping Module.__call__ and Tensor's comparison methods)."""
        originals = {(Module, "__call__"): Module.__call__}
        originals.update({(Tensor, method): getattr(Tensor, method) for method in COMPARISONS})
        recorder = self

        def traced_call(module, *args, **kwargs):
            return recorder._module_call(module, originals[Module, "__call__"], args, kwargs)

        def traced_comparison(method):
            comparison, original = Comparison(method), originals[Tensor, method]
            return lambda x, other: recorder._compare(comparison, x, other, original)

        Module.__call__ = traced_call
        for method in COMPARISONS:
            setattr(Tensor, method, traced_comparison(method))
        _observe.add(self)
        try:
            yield self
        finally:
            _observe.remove(self)
            for (owner, method), original in originals.items():
                setattr(owner, method, original)


COMPARISONS = ("__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__")


@dataclass(frozen=True)
class Comparison:
    """A recorded comparison (Tensor's comparisons compute without an Op): ``method`` is the Tensor
    method, "__lt__" for x < other."""

    method: str


def _describe(path, module):
    """How an error names a module: its path in the model and its class, e.g. "'features.3' (Conv2d)"."""
    return f"'{path}' ({type(module).__name__})" if path else f"the model itself ({type(module).__name__})"
