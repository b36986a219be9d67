"""``mg.autograd.functional``: Jacobians, Hessians and their products with vectors, with the
signatures of torch.autograd.functional, built on autograd.grad (jvp by the double-vjp trick).

``inputs`` is a Tensor or a tuple of Tensors, and results follow its structure (and the output's):
a tuple where torch gives one. With ``create_graph=False`` the results are detached; ``strict=True``
raises where an output does not depend on an input (else its block is zeros).

Example::

    f = lambda x: (x ** 3).sum()
    H = mg.autograd.functional.hessian(f, mg.tensor([1.0, 2.0]))     # diag(6 x)
"""
from .differentiate import grad
from .grad_mode import enable_grad

Tensor = None  # set by autograd/__init__.py once tensor.py has loaded

__all__ = ["vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"]


def _as_tuple(values, what):
    is_tuple = isinstance(values, (tuple, list))
    values = tuple(values) if is_tuple else (values,)
    for v in values:
        if not isinstance(v, Tensor):
            raise TypeError(f"The {what} given to the function must be Tensors or a tuple of Tensors, "
                            f"got {type(v).__name__}")
    return is_tuple, values


def _prepare(inputs, create_graph):
    """The inputs as graph starts: views that keep their graph under create_graph, else detached."""
    with enable_grad():
        return tuple(t.view_as(t) if create_graph and t.requires_grad else t.detach().requires_grad_(True)
                     for t in inputs)


def _finish(values, create_graph, is_tuple):
    values = tuple(v if create_graph or v is None else v.detach() for v in values)
    return values if is_tuple else values[0]


def _vectors(v, reference, what):
    """``v`` (None for ones where the reference has one element) checked against ``reference``."""
    if v is None:
        if any(r.numel() != 1 for r in reference):
            raise RuntimeError(f"The vector v can only be None if the {what} to the user-provided function "
                               "is a single Tensor with a single element.")
        return tuple(r.detach() * 0 + 1 for r in reference)
    _, v = _as_tuple(v, "v")
    if len(v) != len(reference) or any(a.shape != b.shape for a, b in zip(v, reference)):
        raise RuntimeError(f"v has shapes {[tuple(a.shape) for a in v]}, but the {what} has shapes "
                           f"{[tuple(b.shape) for b in reference]}")
    return v


def _grads(outputs, inputs, grad_outputs, create_graph, strict, what):
    """autograd.grad with zeros (or, ``strict``, an error) for the inputs the outputs do not reach."""
    grads = grad(outputs, inputs, grad_outputs, retain_graph=True, create_graph=True, allow_unused=True)
    result = []
    for i, (g, t) in enumerate(zip(grads, inputs)):
        if g is None:
            if strict:
                raise RuntimeError(f"The {what} of the user-provided function is independent of input {i}. "
                                   "This is not allowed in strict mode.")
            g = t.detach() * 0
        result.append(g)
    return tuple(result)


def _call(func, inputs):
    with enable_grad():
        is_tuple, outputs = _as_tuple(func(*inputs), "outputs")
    return is_tuple, outputs


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T J): the vector-Jacobian product at ``inputs``, ``v`` of the output's shape."""
    inputs_tuple, inputs = _as_tuple(inputs, "inputs")
    inputs = _prepare(inputs, create_graph)
    outputs_tuple, outputs = _call(func, inputs)
    v = _vectors(v, outputs, "output")
    with enable_grad():
        result = _grads(outputs, inputs, v, create_graph, strict, "output")
    return _finish(outputs, create_graph, outputs_tuple), _finish(result, create_graph, inputs_tuple)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), J v): the Jacobian-vector product, ``v`` of the inputs' shape (by the
    double-vjp trick: J v is the gradient of u -> (u^T J) v)."""
    inputs_tuple, inputs = _as_tuple(inputs, "inputs")
    inputs = _prepare(inputs, create_graph)
    outputs_tuple, outputs = _call(func, inputs)
    v = _vectors(v, inputs, "input")
    with enable_grad():
        dummies = tuple((o.detach() * 0).requires_grad_(True) for o in outputs)
        vjps = _grads(outputs, inputs, dummies, True, strict, "output")
        result = _grads(vjps, dummies, v, create_graph, strict, "output")
    return _finish(outputs, create_graph, outputs_tuple), _finish(result, create_graph, outputs_tuple)


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: for output i and input j a Tensor of shape
    output_i.shape + input_j.shape (a tuple of tuples when both are tuples, as torch). ``vectorize``
    and ``strategy`` are accepted; the rows are computed one by one in reverse mode."""
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError(f"Expected strategy to be either 'forward-mode' or 'reverse-mode', got {strategy!r}")
    inputs_tuple, inputs = _as_tuple(inputs, "inputs")
    inputs = _prepare(inputs, create_graph)
    outputs_tuple, outputs = _call(func, inputs)
    blocks = []
    with enable_grad():
        for out in outputs:
            flat = out.reshape(-1)
            rows = [[] for _ in inputs]
            for k in range(flat.shape[0]):
                for j, g in enumerate(_grads(flat[k], inputs, None, create_graph, strict, "output")):
                    rows[j].append(g)
            blocks.append(tuple(_stack_rows(r, out, t) for r, t in zip(rows, inputs)))
    blocks = [_finish(b, create_graph, inputs_tuple) for b in blocks]
    return tuple(blocks) if outputs_tuple else blocks[0]


def _stack_rows(rows, out, t):
    from ..ops.shape import stack

    if not rows:
        return t.detach().new_zeros(tuple(out.shape) + tuple(t.shape))
    return stack(rows).reshape(tuple(out.shape) + tuple(t.shape))


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """The Hessian of scalar ``func`` at ``inputs``: input_i.shape + input_j.shape per pair (a tuple of
    tuples for a tuple of inputs), the Jacobian of the gradient."""
    inputs_tuple, inputs = _as_tuple(inputs, "inputs")

    def gradient(*values):
        _, out = _call(func, values)
        if len(out) != 1 or out[0].numel() != 1:
            raise RuntimeError("The function given to hessian should return a single Tensor with a single element")
        return _grads(out[0], values, None, True, strict, "output")

    result = jacobian(gradient, inputs, create_graph, strict, vectorize, outer_jacobian_strategy)
    return result if inputs_tuple else result[0][0]


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T H) for scalar ``func``: the gradient of (grad func) . v."""
    inputs_tuple, inputs = _as_tuple(inputs, "inputs")
    inputs = _prepare(inputs, create_graph)
    _, outputs = _call(func, inputs)
    if len(outputs) != 1 or outputs[0].numel() != 1:
        raise RuntimeError("The function given to vhp/hvp should return a single Tensor with a single element")
    v = _vectors(v, inputs, "input")
    with enable_grad():
        gradients = _grads(outputs[0], inputs, None, True, strict, "output")
        result = _grads(gradients, inputs, v, create_graph, strict, "gradient")
    return _finish(outputs, create_graph, False), _finish(result, create_graph, inputs_tuple)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), H v) for scalar ``func``; the Hessian is symmetric, so H v = (v^T H)^T: vhp's."""
    return vhp(func, inputs, v, create_graph, strict)
