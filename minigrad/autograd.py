"""The Op base class, grad mode, version counters and the backward graph walk.

An Op works on raw arrays (numpy or cupy). Calling it on Tensors runs ``forward`` on a per-call
copy of the op (the node) and, when grad mode is on and any input requires grad, records that node
as the creator of its outputs. ``backward`` walks the recorded nodes in reverse topological order
(iteratively: deep graphs never hit the recursion limit).

Version counters (as torch): every storage has a counter ``[version, write_time, regraph_time]``
shared by a tensor and its views; each in-place write bumps it and stamps it with a global write
clock (regraph_time: the last write that gave the tensor a new place in the graph). A node
remembers the clock at its forward; before its backward, if anything was written since, it checks
that no array it saved was among the writes. A view taken before its base moved in the graph is
refused as an op input: its gradient would reach the base's old place.
"""
import functools
import itertools
import threading

import numpy as np

from . import _kernels, backend

# The observers of op calls (profiler, anomaly mode): None unless one is active, so that ops pay a
# single check; set only by minigrad/_observe.py.
_hooks = None
# True once any tensor has a post-accumulate-grad hook (Tensor.register_post_accumulate_grad_hook).
leaf_hooks_in_use = False
# True once any tensor has a gradient hook (Tensor.register_hook, retain_grad): until then the walk
# pays one check per node for them.
grad_hooks_in_use = False
_FLOAT32, _FLOAT64 = backend.FLOAT_DTYPES
_NDARRAY = np.ndarray


class _GradMode(threading.local):
    """This thread's grad mode (on in every new thread, as torch) and the modes that the grad-mode
    blocks entered in this thread restore on exit (a stack, so blocks nest)."""

    def __init__(self):
        self.enabled = True
        self.restore = []


_mode = _GradMode()


def is_grad_enabled():
    """Whether ops called in this thread are recorded for backward."""
    return _mode.enabled


class _GradModeBlock:
    """Shared body of no_grad and enable_grad: a context manager and a decorator that runs the block
    (or function) with this thread's grad mode set to ``_enabled``."""

    _enabled = False

    def __enter__(self):
        _mode.restore.append(_mode.enabled)
        _mode.enabled = self._enabled

    def __exit__(self, *exc):
        _mode.enabled = _mode.restore.pop()

    def __call__(self, fn):
        enabled = self._enabled

        @functools.wraps(fn)
        def run_in_mode(*args, **kwargs):
            _mode.restore.append(_mode.enabled)
            _mode.enabled = enabled
            try:
                return fn(*args, **kwargs)
            finally:
                _mode.enabled = _mode.restore.pop()

        return run_in_mode


class no_grad(_GradModeBlock):
    """Stop recording ops in this thread: ``with mg.no_grad(): ...`` or ``@mg.no_grad()``."""

    _enabled = False


class enable_grad(_GradModeBlock):
    """Record ops again inside a no_grad block: ``with mg.enable_grad(): ...`` or ``@mg.enable_grad()``."""

    _enabled = True


class inference_mode(_GradModeBlock):
    """``with mg.inference_mode():`` (or ``@mg.inference_mode()``) records nothing, as torch's: here it
    is no_grad, since minigrad has no separate inference tensors; ``inference_mode(False)`` records."""

    def __init__(self, mode=True):
        self._enabled = not mode


class set_grad_enabled(_GradModeBlock):
    """Set this thread's grad mode to ``mode`` now (as torch), and restore the previous mode at the
    end of a ``with`` block; as a decorator it sets the mode only while the function runs.

    Example: ``with mg.set_grad_enabled(is_training): loss = model(x)``
    """

    def __init__(self, mode):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled(mode) takes a bool, got {type(mode).__name__}")
        self._enabled = mode
        self._previous = _mode.enabled
        _mode.enabled = mode

    def __enter__(self):
        _mode.restore.append(self._previous)

    def __call__(self, fn):
        _mode.enabled = self._previous  # decorating a function must not switch the mode now
        return super().__call__(fn)


_write_clock = itertools.count(1)  # next() is atomic under the GIL: writes in any thread get distinct times
_last_write = 0
_last_regraph = 0  # the last write that moved a tensor to a new place in the graph


def bump_version(counter, regraph=False):
    """Record an in-place write to the storage whose version counter is ``counter`` and return its
    time; ``regraph``: the write was recorded, so the tensor took a new place in the graph."""
    global _last_write, _last_regraph
    counter[0] += 1
    counter[1] = _last_write = next(_write_clock)
    if regraph:
        counter[2] = _last_regraph = _last_write
    return _last_write


def _inputs_at_forward(op):
    """``op``'s inputs as they stood in the graph when it ran: a tensor that a recorded in-place op
    has moved since is replaced by the hidden tensor that keeps its earlier place. Callers skip
    this when no tensor moved since op ran (``op._write_time >= _last_regraph``)."""
    placed = []
    for t in op.inputs:
        for move_time, previous in getattr(t, "_moves", ()):
            if move_time > op._write_time:
                t = previous
                break
        placed.append(t)
    return placed


# ``_index`` of a tensor computed with grad mode off from tensors that required grad (or from such
# tensors): backward on it then says that no graph was recorded, rather than that nothing required grad.
BUILT_UNDER_NO_GRAD = -1


class Op:
    """Base class of every differentiable operation.

    Subclasses implement ``forward(*arrays)`` returning an array (or a tuple of arrays) and
    ``backward(*grad_outputs)`` returning one gradient array (or None) per input. ``self.xp`` is
    numpy or cupy, read from the inputs; ``self.needs_input_grad`` says which inputs want a gradient.
    Hyperparameters go in ``__init__``. Each call runs forward on its own copy of the instance (the
    node that ``grad_fn`` returns), so one instance may be called any number of times; what forward
    stores on ``self`` is released after backward unless retain_graph=True. An op whose outputs are
    views of input 0 sets ``output_is_view = True``: they share its version counter.

    Example::

        class Square(mg.Op):
            def forward(self, x):
                self.x = x
                return x * x
            def backward(self, gy):
                return 2 * self.x * gy

        square = Square()
        y = square(square(mg.randn(3, requires_grad=True)))
    """

    # _output_hooks: {output index: [hook, ...]}, the gradient hooks of the tensors this node made (a
    # slot, set only by Tensor.register_hook / retain_grad: freeing the node's saved arrays keeps them)
    __slots__ = ("inputs", "needs_input_grad", "xp", "_outputs", "_write_time", "_output_hooks", "__dict__")
    output_is_view = False
    _released = False  # set on the node when backward frees what forward saved

    @property
    def kernels(self):
        """The compiled kernels of this op's device (``_kernels.cpu`` or ``_kernels.cuda``)."""
        return _kernels.for_xp(self.xp)

    def forward(self, *arrays):
        raise NotImplementedError(f"{type(self).__name__} must implement forward")

    def backward(self, *grad_outputs):
        raise NotImplementedError(f"{type(self).__name__} must implement backward")

    def name(self):
        """The node's name as torch prints grad_fn: ``"MulBackward"`` for a Mul."""
        return f"{type(self).__name__}Backward"

    def __repr__(self):
        return f"<{self.name()}>" if hasattr(self, "inputs") else f"{type(self).__name__}()"

    def __call__(self, *inputs):
        node = object.__new__(type(self))  # this call's own node: saved arrays never mix between calls
        node.__dict__.update(self.__dict__)
        return node._run(inputs)

    @classmethod
    def apply(cls, *inputs):
        """Call an op that takes no hyperparameters without making an instance: ``Mul.apply(a, b)``."""
        return object.__new__(cls)._run(inputs)

    def _call_once(self, *inputs):
        """Call an instance made for this one call (``F.dropout`` makes ``DropoutOp(p)``): it becomes
        the node itself, without the copy that ``__call__`` makes for instances called again."""
        return self._run(inputs)

    def _run(self, inputs):
        """Run forward on this node and record it as its outputs' creator when grad is needed."""
        if _hooks is not None and _hooks.intercepts(self):
            return _hooks.call(self, inputs)
        Tensor = _tensor.Tensor
        arrays, flags, on_cpu = [], [], True
        for t in inputs:  # one pass: type, dtype, device and which inputs require grad
            if not isinstance(t, Tensor):
                raise TypeError(f"{type(self).__name__} takes Tensors, got {type(t).__name__}")
            data = t.data
            dtype = data.dtype
            if dtype is not _FLOAT32 and dtype is not _FLOAT64 and dtype not in backend.FLOAT_DTYPES:
                _check_non_float_input(self, t)
            on_cpu = on_cpu and type(data) is np.ndarray
            if t._base is not None and t._counter[2] > t._view_time:
                raise RuntimeError(
                    f"{type(self).__name__}: an input is a view taken before its base was changed by a "
                    "recorded in-place operation, so its gradient would miss that change; take the view "
                    "again after the in-place operation"
                )
            flags.append(t._requires_grad)
            arrays.append(data)
        wants_grad = True in flags
        record = wants_grad and _mode.enabled
        xp = self.xp = np if on_cpu else backend.common_array_module(arrays, type(self).__name__)
        self.needs_input_grad = tuple(flags) if record else (False,) * len(flags)
        result = self.forward(*arrays)
        view_of = inputs[0] if self.output_is_view else None
        outputs, saved_outputs = [], []
        for index, array in enumerate(result if type(result) is tuple else (result,)):
            if type(array) is not xp.ndarray and not isinstance(array, xp.ndarray):
                array = xp.asarray(array)  # e.g. the NumPy scalar a full reduction returns
            t = Tensor._wrap(array, record)
            if view_of is not None:
                t._counter, t._view_time = view_of._counter, _last_write
                t._base = view_of if view_of._base is None else view_of._base
            if record:
                t._creator, t._index = self, index
                saved_outputs.append((array, t._counter))
            outputs.append(t)
        if record:
            self.inputs, self._outputs, self._write_time = inputs, saved_outputs, _last_write
        elif wants_grad or any([t._index == BUILT_UNDER_NO_GRAD for t in inputs]):
            for t in outputs:
                t._index = BUILT_UNDER_NO_GRAD
        return tuple(outputs) if type(result) is tuple else outputs[0]


def _check_saved_arrays(op):
    """Raise if an array that ``op``'s forward may have saved (an input, an output, or a view of
    one) was written in place after the forward ran."""
    written = [(f"input {i}", t.data, t._counter) for i, t in enumerate(op.inputs)
               if t._counter[1] > op._write_time]
    written += [(f"output {i}", a, c) for i, (a, c) in enumerate(op._outputs) if c[1] > op._write_time]
    if not written:
        return
    saved = []
    for value in op.__dict__.values():
        saved.extend(value if isinstance(value, (tuple, list)) else (value,))
    saved = [a for a in saved if isinstance(a, op.xp.ndarray)]
    for where, array, counter in written:
        if any(op.xp.may_share_memory(array, a) for a in saved):
            name = type(op).__name__
            raise RuntimeError(
                f"one of the arrays needed by {name}'s backward ({where}, shape {array.shape}, {array.dtype}) "
                f"was modified by an in-place operation after {name}'s forward (it is now at version "
                f"{counter[0]}); make the in-place change after backward, or apply it to a .clone()"
            )


def _check_non_float_input(op, t):
    """Integer and bool tensors are inputs without gradients (indices, masks, counts)."""
    if t.data.dtype.kind not in "iub":
        raise TypeError(f"{type(op).__name__}: unsupported dtype {t.data.dtype}; minigrad computes in "
                        "float32 or float64 and keeps integer and bool tensors for indices and masks")
    if t.requires_grad:
        raise TypeError(f"{type(op).__name__}: a {t.data.dtype} tensor cannot require grad; "
                        "only float32 and float64 tensors can")


def _topological_order(start):
    """Nodes reachable from ``start``, each before every node that produced its inputs."""
    order, seen = [], {start}
    stack = [(start, iter(start.inputs if start._write_time >= _last_regraph else _inputs_at_forward(start)))]
    while stack:
        op, pending = stack[-1]
        for t in pending:
            creator = t._creator
            if creator is not None and creator not in seen:
                seen.add(creator)
                stack.append((creator, iter(creator.inputs if creator._write_time >= _last_regraph
                                            else _inputs_at_forward(creator))))
                break
        else:
            stack.pop()
            order.append(op)
    order.reverse()
    return order


def _run_grad_hooks(hooks, grad):
    """``grad`` passed through each hook (``hook(grad) -> Tensor or None``) in registration order."""
    for hook in list(hooks):
        result = hook(_tensor.Tensor._wrap(grad, False))
        if result is None:
            continue
        if not isinstance(result, _tensor.Tensor) or result.shape != grad.shape:
            got = f"shape {result.shape}" if isinstance(result, _tensor.Tensor) else type(result).__name__
            raise RuntimeError(f"a gradient hook must return None or a Tensor of the gradient's shape "
                               f"{grad.shape}, got {got}")
        grad = result.data.astype(grad.dtype, copy=False)
    return grad


def _run_output_hooks(op, grads):
    """Replace the gradients of ``op``'s outputs in ``grads`` by what their tensors' hooks return."""
    for index, hooks in op._output_hooks.items():
        g = grads.get((op, index))
        if g is not None:  # an output that no gradient reached: its hooks do not run, as torch's
            grads[(op, index)] = _run_grad_hooks(hooks, g)


def _add(a, b):
    """a + b as an array: NumPy returns the sum of two 0-d arrays as a scalar."""
    total = a + b
    return total if total.ndim else backend.array_module(a).asarray(total)


def _accumulate_leaf(t, grad, op=None, grad_outputs=(), grad_inputs=()):
    """Add ``grad``, returned by ``op.backward(*grad_outputs)`` among ``grad_inputs``, to ``t.grad``."""
    if t._grad is not None:
        t._grad.data = _add(t._grad.data, grad)
    else:
        _adopt_first_grad(t, grad, op, grad_outputs, grad_inputs)
    if leaf_hooks_in_use:  # e.g. DDP's bucket reductions; a leaf without hooks pays one check
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
    t._grad = _tensor.Tensor._wrap(grad.copy() if shared else grad, False)


def backward(root, grad, retain_graph=False):
    """Accumulate d(root)/d(leaf) * grad into the ``.grad`` of every leaf that requires grad."""
    if root._creator is None:
        hooks = getattr(root, "_grad_hooks", None)
        _accumulate_leaf(root, _run_grad_hooks(hooks, grad) if hooks else grad)
        return
    grads = {(root._creator, root._index): grad}
    hooked_leaves = {}  # id -> (leaf, summed gradient): a leaf's hooks see its total, as torch's
    for op in _topological_order(root._creator):
        if op._released:
            raise RuntimeError(
                f"trying to backward through {type(op).__name__} a second time, but its saved "
                "arrays were already freed; pass retain_graph=True to the first backward"
            )
        if grad_hooks_in_use and getattr(op, "_output_hooks", None) is not None:
            _run_output_hooks(op, grads)
        inputs = op.inputs
        if op._write_time < _last_write:  # something was written in place since op's forward
            _check_saved_arrays(op)
            if op._write_time < _last_regraph:  # and a tensor moved in the graph (_last_regraph <= _last_write)
                inputs = _inputs_at_forward(op)
        outputs = op._outputs
        run_backward = op.backward if _hooks is None else _hooks.backward(op)
        if len(outputs) == 1:  # the common case, kept short: one gradient, no list
            gy = grads.pop((op, 0), None)
            grad_outputs = (op.xp.zeros_like(outputs[0][0]) if gy is None else gy,)
            grad_inputs = run_backward(grad_outputs[0])
        else:
            grad_outputs = [grads.pop((op, index), None) for index in range(len(outputs))]
            grad_outputs = [op.xp.zeros_like(out) if g is None else g for g, (out, _) in zip(grad_outputs, outputs)]
            grad_inputs = run_backward(*grad_outputs)
        if type(grad_inputs) is not tuple:
            grad_inputs = tuple(grad_inputs) if isinstance(grad_inputs, list) else (grad_inputs,)
        if len(grad_inputs) != len(inputs):
            raise RuntimeError(
                f"{type(op).__name__}.backward returned {len(grad_inputs)} gradients "
                f"for {len(inputs)} inputs"
            )
        for t, g, needed in zip(inputs, grad_inputs, op.needs_input_grad):
            if g is None or not needed:
                continue
            if type(g) is not _NDARRAY and not isinstance(g, op.xp.ndarray):
                g = op.xp.asarray(g)  # NumPy returns 0-d results as scalars; a gradient stays an array
            if g.shape != t.data.shape:
                raise RuntimeError(
                    f"{type(op).__name__}.backward returned a gradient of shape {g.shape} "
                    f"for an input of shape {t.data.shape}"
                )
            if g.dtype is not t.data.dtype and g.dtype != t.data.dtype:
                g = g.astype(t.data.dtype)
            if t._creator is not None:
                key = (t._creator, t._index)
                previous = grads.get(key)
                grads[key] = g if previous is None else _add(previous, g)
            elif grad_hooks_in_use and getattr(t, "_grad_hooks", None):
                previous = hooked_leaves.get(id(t))
                hooked_leaves[id(t)] = (t, g if previous is None else _add(previous[1], g))
            elif t._grad is not None and g.ndim and not leaf_hooks_in_use:  # a leaf's later gradients, kept short
                t._grad.data = t._grad.data + g
            else:
                _accumulate_leaf(t, g, op, grad_outputs, grad_inputs)
        if not retain_graph:  # free what forward saved; hyperparameters live on in the op instance
            op.inputs = op._outputs = ()
            op.__dict__.clear()
            op._released = True
    for t, g in hooked_leaves.values():
        _accumulate_leaf(t, _run_grad_hooks(t._grad_hooks, g))  # no op: adopted only as a copy


# Tensor and Op refer to each other: tensor.py is imported once Op exists, and used at call time.
from . import tensor as _tensor  # noqa: E402
from .anomaly import detect_anomaly  # noqa: E402,F401  (mg.autograd.detect_anomaly, as torch.autograd's)
