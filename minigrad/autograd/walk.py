"""The walk: backward from a tensor through the recorded nodes in reverse topological order
(iteratively: deep graphs never hit the recursion limit)."""
import itertools

import numpy as np

from .. import _observe, backend
from . import hooks
from .versions import check_saved_arrays, clock, inputs_at_forward

Tensor = None  # set by autograd/__init__.py once tensor.py has loaded


def backward(root, grad, retain_graph=False):
    """Accumulate d(root)/d(leaf) * grad into the ``.grad`` of every leaf that requires grad."""
    if root._creator is None:
        _accumulate_leaf(root, hooks.run_grad_hooks(getattr(root, "_grad_hooks", None) or (), grad))
        return
    grads = {(root._creator, root._index): grad}  # (node, output index) -> gradient of that output
    # id -> (leaf, summed gradient): a leaf's hooks see its total and its post-accumulate hooks run
    # once, after its .grad is complete, as torch's
    hooked_leaves = {}
    for op in _topological_order(root._creator):
        if op._released:
            raise RuntimeError(f"trying to backward through {type(op).__name__} a second time, but its saved "
                               "arrays were already freed; pass retain_graph=True to the first backward")
        if hooks.grad_hooks_in_use and getattr(op, "_output_hooks", None) is not None:
            hooks.run_output_hooks(op, grads)
        inputs = op.inputs
        if op._write_time < clock.last_write:  # something was written in place since op's forward
            check_saved_arrays(op)
            inputs = inputs_at_forward(op)
        dispatcher = _observe.dispatcher
        run_backward = op.backward if dispatcher is None else dispatcher.backward(op)
        if len(op._outputs) == 1:  # fast path: one gradient, no lists (bench engine chain 12% faster)
            gy = grads.pop((op, 0), None)
            grad_outputs = (_zeros_like(op._outputs[0][0]) if gy is None else gy,)
            grad_inputs = run_backward(grad_outputs[0])
        else:
            grad_outputs = [grads.pop((op, index), None) for index in range(len(op._outputs))]
            grad_outputs = [_zeros_like(out) if g is None else g for g, (out, _) in zip(grad_outputs, op._outputs)]
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
                grads[key] = add_arrays(grads[key], g) if key in grads else g
            elif (hooks.grad_hooks_in_use and getattr(t, "_grad_hooks", None)) or \
                    (hooks.leaf_hooks_in_use and getattr(t, "_post_accumulate_grad_hooks", None)):
                previous = hooked_leaves.get(id(t))
                hooked_leaves[id(t)] = (t, g if previous is None else add_arrays(previous[1], g))
            else:
                _accumulate_leaf(t, g, op, grad_outputs, grad_inputs)
        if not retain_graph:  # free what forward saved; hyperparameters live on in the op instance
            op.inputs = op._outputs = ()
            op.__dict__.clear()
            op._released = True
    for t, g in hooked_leaves.values():
        # no op: adopted only as a copy
        _accumulate_leaf(t, hooks.run_grad_hooks(getattr(t, "_grad_hooks", None) or (), g))


def _topological_order(start):
    """Nodes reachable from ``start``, each before every node that produced its inputs."""
    order, seen = [], {start}
    stack = [(start, iter(inputs_at_forward(start)))]
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
    """``g``, returned by ``op.backward`` for input ``t``, as an array of t's shape and dtype."""
    if type(g) is not np.ndarray and not isinstance(g, op.xp.ndarray):
        g = op.xp.asarray(g)  # NumPy returns 0-d results as scalars; a gradient stays an array
    if g.shape != t._data.shape:
        raise RuntimeError(f"{type(op).__name__}.backward returned a gradient of shape {g.shape} "
                           f"for an input of shape {t._data.shape}")
    return g if g.dtype == t._data.dtype else g.astype(t._data.dtype)


def _zeros_like(output):
    """The gradient of an output that no gradient reached, on the output's device (ToDevice's output
    is not on its input's device, so not ``op.xp``'s)."""
    return backend.array_module(output).zeros_like(output)


def add_arrays(a, b):
    """a + b as an array: NumPy returns the sum of two 0-d arrays as a scalar."""
    total = a + b
    return total if total.ndim else backend.array_module(a).asarray(total)


def _accumulate_leaf(t, grad, op=None, grad_outputs=(), grad_inputs=()):
    """Add ``grad``, returned by ``op.backward(*grad_outputs)`` among ``grad_inputs``, to ``t.grad``."""
    if t._grad is not None:
        t._grad._data = add_arrays(t._grad._data, grad)
    else:
        _adopt_first_grad(t, grad, op, grad_outputs, grad_inputs)
    if hooks.leaf_hooks_in_use:  # e.g. DDP's bucket reductions; a leaf without hooks pays one check
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
