"""The walk: backward from tensors through the recorded nodes in reverse topological order
(iteratively: deep graphs never hit the recursion limit).

Gradients are arrays and each node's array ``backward`` runs, unless ``create_graph``: then they are
Tensors, each node's ``backward_graph`` builds them from differentiable ops under grad mode, and
the gradients are themselves in the graph (double backward).
"""
import itertools
import operator

import numpy as np

from .. import _observe, backend
from . import hooks
from .grad_mode import enable_grad
from .versions import check_saved_arrays, clock, inputs_at_forward

Tensor = None  # set by autograd/__init__.py once tensor.py has loaded


def backward(root, grad, retain_graph=False, create_graph=False, targets=None):
    """Accumulate d(root)/d(leaf) * grad into the ``.grad`` of every leaf that requires grad.

    ``root`` is a Tensor or a list of them and ``grad`` its gradient (a list alike): arrays, or
    Tensors when ``create_graph``. With ``targets`` (a list of tensors) nothing is accumulated: the
    gradients reaching them are returned instead, a list with None for a target not reached.
    """
    if create_graph:
        with enable_grad():
            return _walk(root, grad, retain_graph, True, targets)
    return _walk(root, grad, retain_graph, False, targets)


def _walk(roots, root_grads, retain_graph, create_graph, targets):
    if type(roots) is not list:
        roots, root_grads = [roots], [root_grads]
    add = operator.add if create_graph else add_arrays
    accumulate = accumulate_leaf_tensor if create_graph else accumulate_leaf
    # (node, output index) -> gradient of that output; id(leaf) -> (leaf, summed gradient) for the
    # leaves whose hooks must see their total (and whose post-accumulate hooks run once, after their
    # .grad is complete, as torch's) and for every leaf when capturing targets
    grads, collected = {}, {}
    for t, g in zip(roots, root_grads):
        if t._creator is None:
            _collect(collected, t, g, add)
        else:
            key = (t._creator, t._index)
            grads[key] = add(grads[key], g) if key in grads else g
    captured = None if targets is None else _Capture(targets)
    order = _topological_order([t._creator for t in roots if t._creator is not None])
    skip = () if captured is None else captured.prune(order)
    for op in order:
        if op._released:
            raise RuntimeError(f"trying to backward through {type(op).__name__} a second time, but its saved "
                               "arrays were already freed; pass retain_graph=True to the first backward")
        if hooks.grad_hooks_in_use and getattr(op, "_output_hooks", None) is not None:
            hooks.run_output_hooks(op, grads)
        if captured is not None:
            captured.take_outputs(op, grads)
            if op in skip:  # no target lies behind it
                continue
        inputs = op.inputs
        if op._write_time < clock.last_write:  # something was written in place since op's forward
            check_saved_arrays(op, every_input=create_graph)
            inputs = inputs_at_forward(op)
        if create_graph:
            run_backward = _graph_backward(op, inputs)
        else:
            dispatcher = _observe.dispatcher
            run_backward = op.backward if dispatcher is None else dispatcher.backward(op)
        if len(op._outputs) == 1:  # fast path: one gradient, no lists (bench engine chain 12% faster)
            gy = grads.pop((op, 0), None)
            grad_outputs = (_zeros_like(op._outputs[0][0], create_graph) if gy is None else gy,)
            grad_inputs = run_backward(grad_outputs[0])
        else:
            grad_outputs = [grads.pop((op, index), None) for index in range(len(op._outputs))]
            grad_outputs = [_zeros_like(out, create_graph) if g is None else g
                            for g, (out, _) in zip(grad_outputs, op._outputs)]
            grad_inputs = run_backward(*grad_outputs)
        if type(grad_inputs) is not tuple:
            grad_inputs = tuple(grad_inputs) if isinstance(grad_inputs, list) else (grad_inputs,)
        if len(grad_inputs) != len(inputs):
            raise RuntimeError(f"{type(op).__name__}.backward returned {len(grad_inputs)} gradients "
                               f"for {len(inputs)} inputs")
        for t, g, needed in zip(inputs, grad_inputs, op.needs_input_grad):
            if g is None or not needed:
                continue
            data = t._data
            if type(g) is not np.ndarray or g.shape != data.shape or g.dtype != data.dtype:
                g = _as_gradient_of(op, t, g)  # checked here, called only off the common case (bench: -6%)
            if t._creator is not None:
                key = (t._creator, t._index)
                grads[key] = add(grads[key], g) if key in grads else g
            elif captured is not None or (hooks.grad_hooks_in_use and getattr(t, "_grad_hooks", None)) or \
                    (hooks.leaf_hooks_in_use and getattr(t, "_post_accumulate_grad_hooks", None)):
                _collect(collected, t, g, add)
            else:
                accumulate(t, g, op, grad_outputs, grad_inputs)
        if not retain_graph:  # free what forward saved; hyperparameters live on in the op instance
            op.inputs = op._outputs = ()
            op.__dict__.clear()
            op._released = True
    for t, g in collected.values():
        g = hooks.run_grad_hooks(getattr(t, "_grad_hooks", None) or (), g)
        if captured is None:
            accumulate(t, g)  # no op: adopted only as a copy
        else:
            captured.take_leaf(t, g)
    return None if captured is None else captured.grads


def _collect(collected, t, g, add):
    previous = collected.get(id(t))
    collected[id(t)] = (t, g if previous is None else add(previous[1], g))


class _Capture:
    """The gradients that reach ``targets`` (autograd.grad's inputs), in ``grads``: a leaf's when the
    walk ends, a computed tensor's when the walk reaches its node (after its hooks ran)."""

    def __init__(self, targets):
        self.grads = [None] * len(targets)
        self.leaves = {id(t): i for i, t in enumerate(targets) if t._creator is None}
        self.outputs = {}  # node -> [(output index, target position)]
        for i, t in enumerate(targets):
            if t._creator is not None:
                self.outputs.setdefault(t._creator, []).append((t._index, i))

    def prune(self, order):
        """The nodes of ``order`` whose backward reaches no target: the walk skips them."""
        useful = set()
        for op in reversed(order):  # producers first
            if any(id(t) in self.leaves if t._creator is None else t._creator in useful or t._creator in self.outputs
                   for t in inputs_at_forward(op)):
                useful.add(op)
        return {op for op in order if op not in useful}

    def take_outputs(self, op, grads):
        for index, position in self.outputs.get(op, ()):
            self.grads[position] = grads.get((op, index))

    def take_leaf(self, t, g):
        position = self.leaves.get(id(t))
        if position is not None:
            self.grads[position] = g


def _graph_backward(op, inputs):
    """``op``'s differentiable backward, ``f(*grad_outputs)``, observed by the profiler and anomaly mode."""
    run = lambda *grad_outputs: op.backward_graph(inputs, *grad_outputs)  # noqa: E731
    dispatcher = _observe.dispatcher
    return run if dispatcher is None else dispatcher.backward(op, run)


def _topological_order(starts):
    """Nodes reachable from ``starts``, each before every node that produced its inputs."""
    order, seen, stack = [], set(), []
    for start in starts:
        if start in seen:
            continue
        seen.add(start)
        stack.append((start, iter(inputs_at_forward(start))))
        while stack:
            op, pending = stack[-1]
            for t in pending:
                creator = t._creator
                if creator is not None and creator not in seen:
                    seen.add(creator)
                    stack.append((creator, iter(inputs_at_forward(creator))))
                    break
            else:
                stack.pop()
                order.append(op)
    order.reverse()
    return order


def _as_gradient_of(op, t, g):
    """``g``, returned by ``op.backward`` (an array) or ``op.backward_graph`` (a Tensor) for input
    ``t``, as a gradient of t's shape and dtype."""
    if isinstance(g, Tensor):
        if g.shape != t.shape or g.device != t.device:
            raise RuntimeError(f"{type(op).__name__}.backward_graph returned a gradient of shape {g.shape} on "
                               f"{g.device} for an input of shape {t.shape} on {t.device}")
        return g if g.dtype == t.dtype else g.to(t.dtype)
    if type(g) is not np.ndarray and not isinstance(g, op.xp.ndarray):
        g = op.xp.asarray(g)  # NumPy returns 0-d results as scalars; a gradient stays an array
    if g.shape != t._data.shape:
        raise RuntimeError(f"{type(op).__name__}.backward returned a gradient of shape {g.shape} "
                           f"for an input of shape {t._data.shape}")
    return g if g.dtype == t._data.dtype else g.astype(t._data.dtype)


def _zeros_like(output, as_tensor=False):
    """The gradient of an output that no gradient reached, on the output's device (ToDevice's output
    is not on its input's device, so not ``op.xp``'s)."""
    zeros = backend.array_module(output).zeros_like(output)
    return Tensor._wrap(zeros, False) if as_tensor else zeros


def add_arrays(a, b):
    """a + b as an array: NumPy returns the sum of two 0-d arrays as a scalar."""
    total = a + b
    return total if total.ndim else backend.array_module(a).asarray(total)


def accumulate_leaf(t, grad, op=None, grad_outputs=(), grad_inputs=()):
    """Add ``grad``, returned by ``op.backward(*grad_outputs)`` among ``grad_inputs``, to ``t.grad``."""
    if t._grad is not None:
        t._grad._data = add_arrays(t._grad._data, grad)
    else:
        _adopt_first_grad(t, grad, op, grad_outputs, grad_inputs)
    if hooks.leaf_hooks_in_use:  # e.g. DDP's bucket reductions; a leaf without hooks pays one check
        for hook in getattr(t, "_post_accumulate_grad_hooks", None) or ():
            hook(t)


def accumulate_leaf_tensor(t, grad, *unused):
    """``t.grad`` becomes ``t.grad + grad`` for a gradient Tensor in the graph (create_graph): a new
    Tensor, never written in place, so that the graph of the earlier gradient stays valid. A first
    gradient is cloned (differentiably): the same Tensor may be another leaf's gradient too."""
    t._grad = grad.clone() if t._grad is None else t._grad + grad
    if hooks.leaf_hooks_in_use:
        for hook in getattr(t, "_post_accumulate_grad_hooks", None) or ():
            hook(t)


def _adopt_first_grad(t, grad, op, grad_outputs, grad_inputs):
    # A first gradient becomes the leaf's own array only when nothing else can hold its memory: not
    # a view, not passed through from grad_outputs, not handed to two inputs (as Add does), not kept
    # by the op. Otherwise it is copied, so an in-place change to one .grad never reaches another.
    shared = op is None or grad.base is not None or not grad.flags.c_contiguous
    if not shared:
        holders = 0  # grad_inputs' own entry is one
        for holder in itertools.chain(grad_outputs, grad_inputs, op.__dict__.values()):
            if holder is grad:
                holders += 1
        shared = holders > 1
    t._grad = Tensor._wrap(grad.copy() if shared else grad, False)
