import pytest

import minigrad as mg


class WrongBackward(mg.Op):
    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, gy):
        return gy * self.x  # should be 2 * x * gy


def test_gradcheck_passes_a_correct_op_and_catches_a_wrong_backward():
    x = mg.randn(3, 2, dtype="float64", requires_grad=True)
    assert mg.gradcheck(lambda t: t * t, [x])
    with pytest.raises(mg.GradcheckError, match=r"input 0 \(shape \(3, 2\)\) at index \(\d, \d\): analytic .* numerical"):
        mg.gradcheck(lambda t: WrongBackward()(t), [x])


def test_gradcheck_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="requires_grad"):
        mg.gradcheck(lambda t: t * 2, [mg.randn(2)])


def test_gradcheck_works_on_float64_copies_of_float32_inputs():
    x = mg.randn(2, requires_grad=True)
    assert mg.gradcheck(lambda t: t.tanh(), [x])
    assert x.grad is None


class WrongDoubleBackward(mg.Op):
    """x^3 with a right first derivative and a backward_graph that misses a factor 3."""

    def forward(self, x):
        self.x = x
        return x ** 3

    def backward(self, gy):
        return 3 * self.x ** 2 * gy

    def backward_graph(self, inputs, gy):
        return inputs[0] ** 2 * gy  # should be 3 x^2 gy


def test_gradgradcheck_passes_correct_second_derivatives_and_catches_a_wrong_backward_graph():
    x = mg.randn(3, dtype="float64", requires_grad=True)
    w = mg.randn(3, dtype="float64", requires_grad=True)
    assert mg.autograd.gradgradcheck(lambda a, b: (a.tanh() ** 3 * b).sum(), [x, w])
    assert mg.autograd.gradgradcheck(lambda a: a.exp() * a, [x], [mg.randn(3, dtype="float64")])
    with pytest.raises(mg.GradcheckError, match=r"input 0 under create_graph \(backward_graph\) differs from backward's"):
        mg.autograd.gradgradcheck(lambda t: WrongDoubleBackward()(t), [x])
    assert mg.autograd.gradgradcheck(lambda t: WrongDoubleBackward()(t), [x], raise_exception=False) is False


def test_gradgradcheck_of_an_op_without_backward_graph_raises_the_clear_error():
    x = mg.randn(2, dtype="float64", requires_grad=True)
    with pytest.raises(RuntimeError, match="WrongBackward: double backward"):
        mg.autograd.gradgradcheck(lambda t: WrongBackward()(t), [x])
