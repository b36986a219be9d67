"""Compare analytic gradients with central differences."""
import numpy as np

from . import autograd
from .autograd import enable_grad, no_grad
from .backend import to_device
from ._dtypes import float64
from .ops.shape import cat
from .tensor import Tensor


class GradcheckError(AssertionError):
    """Raised by gradcheck when analytic and numerical gradients disagree."""


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3):
    """Check ``fn``'s gradients against central differences, in float64.

    fn: Tensors -> Tensor (any shape). inputs: Tensors; those with requires_grad are checked, on
    float64 copies. Returns True, or raises GradcheckError naming the input, its worst entry and
    both values.

    Example::

        x = mg.randn(4, 3, dtype="float64", requires_grad=True)
        mg.gradcheck(lambda t: (t * t).sum(dim=1), [x])
    """
    inputs = [Tensor(t.detach().numpy().astype(float64), requires_grad=t.requires_grad, device=t.device)
              for t in inputs]
    checked = [i for i, t in enumerate(inputs) if t.requires_grad]
    if not checked:
        raise ValueError("gradcheck needs at least one input with requires_grad=True")
    out = fn(*inputs)
    # A fixed random projection turns any output into a scalar whose gradient tests every entry.
    weights = np.random.default_rng(0).standard_normal(out.shape)
    projection = Tensor(weights, device=out.device)
    out.backward(projection)

    def objective_at(t, values):
        t._data = to_device(values, t.device)
        with no_grad():
            return float((fn(*inputs).numpy() * weights).sum())

    for i in checked:
        t = inputs[i]
        analytic = np.zeros(t.shape) if t.grad is None else t.grad.numpy()
        numeric = np.zeros(t.shape)
        values = t.detach().numpy().copy()
        for index in np.ndindex(*t.shape):
            original = values[index]
            values[index] = original + eps
            plus = objective_at(t, values)
            values[index] = original - eps
            minus = objective_at(t, values)
            values[index] = original
            numeric[index] = (plus - minus) / (2 * eps)
        t._data = to_device(values, t.device)
        error = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
        if error.size and error.max() > 0:
            worst = np.unravel_index(int(np.argmax(error)), error.shape)
            raise GradcheckError(
                f"gradcheck failed for input {i} (shape {t.shape}) at index {tuple(map(int, worst))}: "
                f"analytic {analytic[worst]:.8g}, numerical {numeric[worst]:.8g} "
                f"(atol={atol}, rtol={rtol})"
            )
    return True



def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
                  **unused_torch_options):
    """Check ``func``'s second derivatives (as torch.autograd.gradgradcheck): gradcheck of the map
    (inputs, grad_outputs) -> autograd.grad(func(inputs), inputs, grad_outputs, create_graph=True),
    against central differences of that first-order gradient, in float64.

    func: Tensors -> Tensor or tuple of Tensors. grad_outputs: one per output, random (a fixed
    seed) by default; they are checked as inputs too. Returns True, or raises GradcheckError naming
    the input (inputs first, then grad_outputs), its worst entry and both values (or returns False
    with ``raise_exception=False``). torch's other options (check_undefined_grad, fast_mode, ...) are
    accepted and ignored.

    Example::

        x = mg.randn(3, dtype="float64", requires_grad=True)
        mg.autograd.gradgradcheck(lambda t: (t.tanh() ** 3).sum(), [x])
    """
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    variables = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    if not variables:
        raise ValueError("gradgradcheck needs at least one input with requires_grad=True")
    with enable_grad():
        outputs = _as_list(func(*inputs))
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = [Tensor(rng.standard_normal(out.shape), device=out.device, requires_grad=True)
                        for out in outputs]
    else:
        grad_outputs = [Tensor(g.detach().numpy().astype(float64), device=g.device, requires_grad=True)
                        for g in _as_list(grad_outputs)]
    count = len(inputs)

    def first_derivatives(*values):
        """The gradient of func at values[:count] against values[count:], flattened into one Tensor."""
        with enable_grad():
            outs = _as_list(func(*values[:count]))
            wanted = [v for v in values[:count] if isinstance(v, Tensor) and v.requires_grad]
            grads = autograd.grad(outs, wanted, values[count:], create_graph=True, materialize_grads=True)
            return cat([g.reshape(-1) for g in grads])

    try:
        _check_graph_gradient_is_backwards(func, inputs, grad_outputs, atol, rtol)
        return gradcheck(first_derivatives, [*inputs, *grad_outputs], eps=eps, atol=atol, rtol=rtol)
    except GradcheckError:
        if raise_exception:
            raise
        return False


def _check_graph_gradient_is_backwards(func, inputs, grad_outputs, atol, rtol):
    """The first derivative that create_graph computes (with backward_graph) must be the array
    backward's: the finite differences of gradgradcheck see only its slope."""
    wanted = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    results = []
    for create_graph in (False, True):
        with enable_grad():
            outs = _as_list(func(*inputs))
            grads = autograd.grad(outs, wanted, grad_outputs, create_graph=create_graph, materialize_grads=True)
        results.append([g.detach().numpy() for g in grads])
    for i, (array, graph) in enumerate(zip(*results)):
        error = np.abs(graph - array) - (atol + rtol * np.abs(array))
        if error.size and error.max() > 0:
            worst = np.unravel_index(int(np.argmax(error)), error.shape)
            raise GradcheckError(
                f"gradgradcheck: the gradient of input {i} under create_graph (backward_graph) differs from "
                f"backward's at index {tuple(map(int, worst))}: {graph[worst]:.8g} vs {array[worst]:.8g}")


def _as_list(values):
    return [values] if isinstance(values, Tensor) else list(values)
