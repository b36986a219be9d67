"""The differentiable backward of linear ops, and the constants that backward_graph bodies use.

A linear op (reshape, transpose, indexing, sum, cat, add, ...) has a backward that is linear in the
incoming gradient and does not read the inputs: the adjoint of the op. ``Adjoint`` makes that array
backward an op of its own, whose gradient is the linear op again: so a linear op's backward_graph
costs one node and reuses its array backward, and it differentiates to any order. An op opts in
with ``backward_graph = linear_backward_graph``; an affine op (a pad value, a fill) sets
``linear_part`` to the hyperparameters that make it linear (``{"value": 0}``).
"""
from .op import Op

Tensor = None  # set by autograd/__init__.py once tensor.py has loaded


def constant(array):
    """``array`` as a Tensor outside the graph: a mask, an index or a saved shape in backward_graph."""
    return Tensor._wrap(array, False)


def linear_backward_graph(self, inputs, *grad_outputs):
    """backward_graph of a linear op ``self`` (its node): one Adjoint node."""
    wanted = [i for i, needed in enumerate(self.needs_input_grad) if needed]
    grads = Adjoint(self, inputs, wanted)(*grad_outputs)
    result = [None] * len(inputs)
    for i, g in zip(wanted, grads if isinstance(grads, tuple) else (grads,)):
        result[i] = g
    return tuple(result)


class Adjoint(Op):
    """The array backward of linear ``node`` as an op: forward(*gys) -> the gradients of the node's
    inputs ``wanted``; its own gradient is the node's linear op applied to the incoming ones."""

    def __init__(self, node, inputs, wanted):
        self.node, self.wanted = node, wanted
        self.linear = object.__new__(type(node))  # the hyperparameters, kept after the walk frees node
        self.linear.__dict__.update(node.__dict__)
        self.linear.__dict__.update(getattr(node, "linear_part", {}))
        # what the linear op gets in place of each input: wanted ones take the incoming gradients,
        # other float ones zeros, the rest (indices, masks) the input itself
        self.shapes = [(t.shape, t.dtype) for t in inputs]
        self.operands = [None if i in wanted else
                         constant(node.xp.zeros(t.shape, t.dtype)) if t.dtype.kind == "f" else t
                         for i, t in enumerate(inputs)]

    def name(self):
        return f"{type(self.node).__name__}BackwardBackward"

    def forward(self, *grad_outputs):
        grads = self.node.backward(*grad_outputs)
        grads = grads if isinstance(grads, (tuple, list)) else (grads,)
        self.node = None  # only forward runs the node's backward
        return tuple(self._as_gradient(i, grads[i]) for i in self.wanted)

    def _as_gradient(self, i, g):
        shape, dtype = self.shapes[i]
        if g is None:
            return self.xp.zeros(shape, dtype)
        return self.xp.asarray(g).astype(dtype, copy=False).reshape(shape)

    def _operands(self, grads):
        operands = list(self.operands)
        for i, g in zip(self.wanted, grads):
            operands[i] = g
        return operands

    def backward(self, *grads):
        linear = object.__new__(type(self.linear))
        linear.__dict__.update(self.linear.__dict__)
        linear.xp = self.xp
        arrays = [t if not isinstance(t, Tensor) else t._data for t in self._operands(grads)]
        linear.needs_input_grad = (False,) * len(arrays)
        return linear.forward(*arrays)

    def backward_graph(self, inputs, *grads):
        return self.linear(*self._operands(grads))
