"""``mg.autograd.grad`` and what ``Tensor.backward`` checks before the walk (torch's semantics).

Example (a second derivative)::

    x = mg.tensor([1.0, 2.0], requires_grad=True)
    (dx,) = mg.autograd.grad((x ** 3).sum(), x, create_graph=True)     # 3 x^2, in the graph
    (ddx,) = mg.autograd.grad(dx.sum(), x)                              # 6 x
"""
from .. import backend
from .grad_mode import enable_grad
from .op import BUILT_UNDER_NO_GRAD
from . import hooks, walk

Tensor = None  # set by autograd/__init__.py once tensor.py has loaded


def seed_gradient(output, gradient, create_graph, what="backward()"):
    """The gradient that a walk from ``output`` starts with: ``gradient`` (a Tensor, array or None
    for ones on a one-element output) checked against ``output``, as an array, or as a Tensor (kept
    itself, graph included) when ``create_graph``."""
    if not output._requires_grad:
        if output._index == BUILT_UNDER_NO_GRAD:
            raise RuntimeError(
                f"{what} called on a tensor computed with grad mode off (inside mg.no_grad() or "
                "set_grad_enabled(False)), so no graph was recorded for it; compute it outside no_grad"
            )
        raise RuntimeError(
            f"{what} called on a tensor that does not require grad (no input of the "
            "expression was created with requires_grad=True)"
        )
    if gradient is None:
        if output._data.size != 1:
            raise RuntimeError(
                f"{what} without gradient works only on a tensor with one element; this one has "
                f"shape {output.shape}: pass gradient= of that shape"
            )
        gradient = backend.array_module(output._data).ones_like(output._data)
        return Tensor._wrap(gradient, False) if create_graph else gradient
    if gradient.shape != output.shape:
        raise RuntimeError(f"gradient has shape {gradient.shape}, but the tensor has shape {output.shape}")
    if create_graph and isinstance(gradient, Tensor):
        if gradient.device != output.device or gradient.dtype != output.dtype:
            gradient = gradient.to(output.device, output.dtype)
        return gradient
    array = gradient._data if isinstance(gradient, Tensor) else gradient
    array = backend.to_device(array, output.device).astype(output.dtype, copy=False)
    return Tensor._wrap(array, False) if create_graph else array


def _as_tensors(values, name):
    if isinstance(values, Tensor):
        return [values]
    values = list(values)
    for value in values:
        if not isinstance(value, Tensor):
            raise TypeError(f"{name} must be Tensors, got {type(value).__name__}")
    return values


def _check_targets(inputs, name):
    """``inputs`` (a Tensor or a sequence of them) as a non-empty list of tensors that require grad."""
    targets = _as_tensors(inputs, name)
    if not targets:
        raise RuntimeError(f"'{name}' argument to {'backward()' if name == 'inputs' else 'grad()'} cannot be empty.")
    if not all(t._requires_grad for t in targets):
        raise RuntimeError("One of the differentiated Tensors does not require grad")
    return targets


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of ``outputs`` with respect to ``inputs``, as torch.autograd.grad: the sum over
    outputs of d(output)/d(input) * grad_output, returned as a tuple (one per input) without touching
    any ``.grad``. With ``create_graph=True`` the results are in the graph, so they can be
    differentiated again (retain_graph then defaults to True).

    outputs, inputs: a Tensor or a sequence of Tensors. grad_outputs: one per output (None for ones
    on a one-element output). An input that no gradient reaches is an error unless ``allow_unused``
    (then None, or zeros with ``materialize_grads``).

    Example: ``(gx,) = mg.autograd.grad((x * x).sum(), x)``  # 2 x, x.grad untouched
    """
    if is_grads_batched:
        raise NotImplementedError("grad(is_grads_batched=True) is not supported; loop over the grad_outputs")
    if allow_unused is None:
        allow_unused = materialize_grads
    elif materialize_grads and not allow_unused:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, "
                         "but got: allow_unused=False.")
    outputs = _as_tensors(outputs, "outputs")
    targets = _check_targets(inputs, "inputs")
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    else:
        grad_outputs = [grad_outputs] if isinstance(grad_outputs, Tensor) else list(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"grad_outputs has {len(grad_outputs)} entries for {len(outputs)} outputs")
    seeds = [seed_gradient(out, g, create_graph, f"grad() of output {i}")
             for i, (out, g) in enumerate(zip(outputs, grad_outputs))]
    retain_graph = create_graph if retain_graph is None else retain_graph
    found = walk.backward(outputs, seeds, retain_graph, create_graph, targets)
    results = []
    for t, g in zip(targets, found):
        if g is None:
            if not allow_unused:
                raise RuntimeError("One of the differentiated Tensors appears to not have been used in the graph. "
                                   "Set allow_unused=True if this is the desired behavior.")
            if materialize_grads:
                g = Tensor._wrap(backend.array_module(t._data).zeros_like(t._data), False)
        elif not isinstance(g, Tensor):
            g = Tensor._wrap(g, False)
        results.append(g)
    return tuple(results)


def backward_into(output, gradient, retain_graph, create_graph, inputs):
    """Tensor.backward(inputs=...): accumulate into the ``.grad`` of ``inputs`` only (computed tensors
    included, as torch)."""
    targets = _check_targets(inputs, "inputs")
    found = walk.backward(output, gradient, retain_graph, create_graph, targets)
    for t, g in zip(targets, found):
        if g is None or hooks.retains_grad(t):  # retain_grad's hook has added it already
            continue
        if create_graph:
            with enable_grad():
                walk.accumulate_leaf_tensor(t, g)
        else:
            walk.accumulate_leaf(t, g)
