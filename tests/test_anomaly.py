"""mg.autograd.detect_anomaly: the first non-finite forward output or gradient raises, naming the op
and the user's file:line."""
import inspect

import numpy as np
import pytest

import minigrad as mg
from minigrad import _observe


class Reciprocal(mg.Op):
    """1 / x: Inf at 0 in forward."""

    def forward(self, x):
        self.y = 1 / x
        return self.y

    def backward(self, gy):
        return -gy * self.y * self.y


class Root(mg.Op):
    """sqrt(x): finite at 0 in forward, Inf gradient there."""

    def forward(self, x):
        self.y = self.xp.sqrt(x)
        return self.y

    def backward(self, gy):
        return gy / (2 * self.y)


def _here():
    """file:line of the caller's next line."""
    frame = inspect.currentframe().f_back
    return f"{frame.f_code.co_filename}:{frame.f_lineno + 1}"


def test_forward_raises_at_the_first_op_with_a_non_finite_output_naming_op_and_line():
    x = mg.tensor([1.0, 0.0, 2.0], requires_grad=True)
    with np.errstate(divide="ignore"), mg.autograd.detect_anomaly():
        y = Root()(x)  # finite
        with pytest.raises(RuntimeError) as error:
            site = _here()
            Reciprocal()(x)
    message = str(error.value)
    assert "Reciprocal produced inf in forward, in output 0 of shape (3,) (float32) from finite inputs" in message
    assert site in message and "Reciprocal()(x)" in message
    assert y.shape == (3,)


def test_backward_raises_at_the_first_op_with_a_non_finite_gradient_naming_the_forward_line():
    x = mg.tensor([4.0, 0.0, 1.0], dtype="float64", requires_grad=True)
    with np.errstate(divide="ignore", invalid="ignore"), mg.autograd.detect_anomaly():
        site = _here()
        y = Root()(x)
        loss = (y * 2.0).sum()
        with pytest.raises(RuntimeError) as error:
            loss.backward()
    message = str(error.value)
    assert "Root.backward returned inf in the gradient for input 0" in message
    assert site in message and "y = Root()(x)" in message
    assert "already non-finite" not in message  # the ops after Root passed finite gradients
    assert x.grad is None


def test_anomaly_mode_is_off_by_default_and_after_the_block():
    x = mg.tensor([0.0], requires_grad=True)
    with np.errstate(divide="ignore"):
        with mg.autograd.detect_anomaly():
            pass
        assert _observe.dispatcher is None
        y = Reciprocal()(x)  # no error: NaN/Inf propagate as in torch
    assert np.isinf(y.detach().numpy()).all()


def test_a_non_finite_input_is_named_as_the_cause():
    x = mg.tensor([np.nan, 1.0])
    with mg.autograd.detect_anomaly(), pytest.raises(RuntimeError, match=r"Root produced nan in forward.*\(its "
                                                                         r"input 0 was already non-finite\)"):
        Root()(x)


def test_check_nan_false_records_sites_without_raising_and_decorator_form():
    x = mg.tensor([0.0, 1.0], requires_grad=True)

    @mg.autograd.detect_anomaly()
    def forward_with_anomaly_mode(t):
        return Reciprocal()(t)

    with np.errstate(divide="ignore"):
        with mg.autograd.detect_anomaly(check_nan=False):
            y = Reciprocal()(x)
        assert y._creator is not None
        with pytest.raises(RuntimeError, match="Reciprocal produced inf"):
            forward_with_anomaly_mode(x)
    assert _observe.dispatcher is None


def test_ops_created_before_anomaly_mode_say_their_site_is_unknown():
    x = mg.tensor([0.0, 1.0], requires_grad=True)
    y = Root()(x).sum()
    with np.errstate(divide="ignore"), mg.autograd.detect_anomaly():
        with pytest.raises(RuntimeError, match="created before anomaly mode was turned on"):
            y.backward()


def test_profiler_and_anomaly_mode_work_together():
    x = mg.tensor([1.0, 0.0], requires_grad=True)
    with mg.profiler.profile() as prof, mg.autograd.detect_anomaly():
        with pytest.raises(RuntimeError, match="Reciprocal produced inf"), np.errstate(divide="ignore"):
            Reciprocal()(x)
        Root()(x + 1.0).sum().backward()
    assert {s.name: s.calls for s in prof.key_averages()}["Reciprocal"] == 1
    assert np.allclose(x.grad.numpy(), 0.5 / np.sqrt([2.0, 1.0]))
    assert _observe.dispatcher is None


class Split(mg.Op):
    """Two outputs, (x, 1 / x); and a one-output tuple when ``one`` is set."""

    def __init__(self, one=False):
        self.one = one

    def forward(self, x):
        return (2 * x,) if self.one else (2 * x, 1 / x)

    def backward(self, *grads):
        return 2 * grads[0]


class LogOfSecond(mg.Op):
    """log(b) * a: its gradient for b is non-finite at b = 0, which matters only if b needs one."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return self.xp.log(self.b + 1) * a

    def backward(self, gy):
        return gy * self.xp.log(self.b + 1), gy * self.a / self.b


def test_results_keep_their_form_and_only_wanted_gradients_are_checked():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with mg.autograd.detect_anomaly():
        single = Split(one=True)(x)
        pair = Split()(x)
        assert isinstance(single, tuple) and len(single) == 1 and len(pair) == 2
        constant = mg.tensor([0.0, 0.0])
        with np.errstate(divide="ignore", invalid="ignore"):
            LogOfSecond()(x, constant).sum().backward()  # constant's gradient is inf, and not wanted
            b = mg.tensor([0.0, 0.0], requires_grad=True)
            with pytest.raises(RuntimeError, match="LogOfSecond.backward returned inf in the gradient for input 1"):
                LogOfSecond()(x, b).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.0])


def test_an_in_place_update_under_no_grad_that_makes_nan_raises_naming_the_line():
    weight = mg.tensor([1.0, 2.0], requires_grad=True)
    step = mg.tensor([np.nan, 0.0])
    with mg.autograd.detect_anomaly(), mg.no_grad():
        with pytest.raises(RuntimeError, match=r"AddInPlace produced nan .*its input 1 was already") as error:
            where = _here()
            weight.sub_(step)
    assert where in str(error.value)
    buffer = mg.tensor([1.0, 2.0])  # requires no grad: the in-place op records nothing
    with mg.autograd.detect_anomaly(), np.errstate(divide="ignore"):
        with pytest.raises(RuntimeError, match="DivInPlace produced inf in forward.* written in place over its input 0"):
            buffer.div_(0.0)


@pytest.mark.gpu
def test_anomaly_mode_on_the_gpu():
    x = mg.tensor([1.0, 0.0], device="cuda", requires_grad=True)
    with mg.autograd.detect_anomaly(), pytest.raises(RuntimeError, match="Log produced inf"):
        x.log()
