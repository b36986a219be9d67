"""Version counters and in-place rewiring (as torch).

Every storage has a version counter, shared by a tensor and its views: a list indexed by VERSION,
WRITE_TIME and REGRAPH_TIME (a list because every new tensor gets one, and a list is the cheapest
object to make). Each in-place write bumps the version and stamps the counter with the global
write clock; REGRAPH_TIME is the last write that gave the tensor a new place in the graph. A node
remembers the clock at its forward; before its backward, if anything was written since, it checks
that no array it saved was among the writes. A view taken before its base moved in the graph is
refused as an op input: its gradient would reach the base's old place.
"""
import itertools

from .grad_mode import _mode

VERSION, WRITE_TIME, REGRAPH_TIME = 0, 1, 2


class _WriteClock:
    """``last_write``: the time of the latest in-place write to any storage; ``last_regraph``: of the
    latest that moved a tensor to a new place in the graph (so last_regraph <= last_write)."""

    __slots__ = ("last_write", "last_regraph", "_ticks")

    def __init__(self):
        self.last_write = self.last_regraph = 0
        self._ticks = itertools.count(1)  # next() is atomic under the GIL: writes in any thread get distinct times

    def tick(self, regraph):
        self.last_write = time = next(self._ticks)
        if regraph:
            self.last_regraph = time
        return time


clock = _WriteClock()


def bump_version(counter, regraph=False):
    """Record an in-place write to the storage whose version counter is ``counter`` and return its
    time; ``regraph``: the write was recorded, so the tensor took a new place in the graph."""
    counter[VERSION] += 1
    counter[WRITE_TIME] = time = clock.tick(regraph)
    if regraph:
        counter[REGRAPH_TIME] = time
    return time


def in_place(tensor, op, *operands):
    """Run in-place ``op`` (its forward writes into input 0 and returns it) on ``tensor`` and
    ``operands`` (Tensors, numbers or arrays); return ``tensor``. ``Tensor._in_place`` is this.

    Without recording it writes straight into ``tensor._data``. When recording, the tensor takes a
    new place in the graph: its previous one moves to a hidden tensor that is the op's input 0.
    """
    others = [tensor._operand(o) for o in operands]
    if not (_mode.enabled and (tensor._requires_grad or any([o._requires_grad for o in others]))):
        op(tensor, *others)  # records nothing, but the profiler and anomaly mode see the call
        bump_version(tensor._counter)
        return tensor
    if tensor._creator is None and tensor._requires_grad:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    if tensor._base is not None:
        raise RuntimeError(
            f"{type(op).__name__}: in-place change of a view (a slice, reshape or transpose of another "
            "tensor) while recording for backward is not supported; change the base tensor, or use "
            "the out-of-place form (y = x + ...) or x.clone() first"
        )
    previous = type(tensor)._wrap(tensor._data, tensor._requires_grad)
    previous._creator, previous._index, previous._counter = tensor._creator, tensor._index, tensor._counter
    others = [previous if o is tensor else o for o in others]  # x *= x: the old x on both sides
    tensor._creator = op(previous, *others)._creator
    tensor._index, tensor._requires_grad = 0, True
    moves = getattr(tensor, "_moves", None)
    if moves is None:
        moves = tensor._moves = []
    # nodes that took the tensor as an input before now must keep seeing its earlier place
    moves.append((bump_version(tensor._counter, regraph=True), previous))
    return tensor


def inputs_at_forward(op):
    """``op``'s inputs as they stood in the graph when it ran: a tensor that a recorded in-place op
    has moved since is replaced by the hidden tensor that keeps its earlier place."""
    if op._write_time >= clock.last_regraph:  # no tensor moved since op ran
        return op.inputs
    placed = []
    for t in op.inputs:
        for move_time, previous in getattr(t, "_moves", ()):
            if move_time > op._write_time:
                t = previous
                break
        placed.append(t)
    return placed


def check_saved_arrays(op, every_input=False):
    """Raise if an array that ``op``'s forward may have saved (an input, an output, or a view of
    one) was written in place after the forward ran; with ``every_input`` (create_graph: backward_graph
    reads the inputs themselves), if any input was."""
    written = [(f"input {i}", t._data, t._counter) for i, t in enumerate(op.inputs)
               if t._counter[WRITE_TIME] > op._write_time]
    written += [(f"output {i}", a, c) for i, (a, c) in enumerate(op._outputs) if c[WRITE_TIME] > op._write_time]
    if not written:
        return
    saved = []
    for value in op.__dict__.values():
        saved.extend(value if isinstance(value, (tuple, list)) else (value,))
    saved = [a for a in saved if isinstance(a, op.xp.ndarray)]
    if every_input:
        saved += [t._data for t in op.inputs[1 if op.overwrites_input else 0:]]
    for where, array, counter in written:
        if any(op.xp.may_share_memory(array, a) for a in saved):
            name = type(op).__name__
            raise RuntimeError(
                f"one of the arrays needed by {name}'s backward ({where}, shape {array.shape}, {array.dtype}) "
                f"was modified by an in-place operation after {name}'s forward (it is now at version "
                f"{counter[VERSION]}); make the in-place change after backward, or apply it to a .clone()"
            )
