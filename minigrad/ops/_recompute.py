"""backward_graph for fused ops that keep too little to express their backward directly: the forward
recomputed from the input Tensors with differentiable ops, then differentiated with create_graph."""
from ..autograd import differentiate


def gradients_of_recomputed(node, inputs, forward, grad_outputs):
    """The gradients (a tuple, None where ``node`` needs none) of ``node``'s ``inputs`` through
    ``forward(*inputs)`` (its outputs, recomputed with Tensor ops) for ``grad_outputs`` (None: that
    output gets no gradient), in the graph.
    Example: ``gradients_of_recomputed(self, inputs, lambda q, k: (q @ k,), (gout,))``"""
    # forward runs on a fresh view of each input: the gradient stops there, so it is the partial
    # derivative even where one input depends on another (a cell's state computed from its
    # weights), and the views keep it differentiable with respect to the inputs
    views = [t.view_as(t) for t in inputs]
    pairs = [(out, g) for out, g in zip(forward(*views), grad_outputs) if g is not None]
    wanted = [view for view, needed in zip(views, node.needs_input_grad) if needed]
    grads = iter(differentiate.grad([out for out, _ in pairs], wanted, [g for _, g in pairs], create_graph=True,
                                    allow_unused=True, materialize_grads=True))
    return tuple(next(grads) if needed else None for needed in node.needs_input_grad)
