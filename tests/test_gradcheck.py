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
