"""Compare analytic gradients with central differences."""
import numpy as np

from .autograd import no_grad
from .backend import to_device
from ._dtypes import float64
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

