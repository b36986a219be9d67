import numpy as np
import pytest

import minigrad as mg


class Swish(mg.Op):
    def forward(self, x):
        xp = self.xp
        self.s = 1 / (1 + xp.exp(-x))
        self.x = x
        return x * self.s

    def backward(self, gy):
        return gy * (self.s * (1 + self.x * (1 - self.s)))


def test_user_op_from_the_design_contract(device):
    t = mg.randn(4, 3, dtype="float64", requires_grad=True, device=device)
    y = Swish()(t)
    x = t.numpy()
    np.testing.assert_allclose(y.numpy(), x / (1 + np.exp(-x)), rtol=1e-12)
    assert mg.gradcheck(lambda a: Swish()(a), [t])


def test_a_chain_of_ten_thousand_ops_backpropagates_without_recursion():
    x = mg.tensor([1.0], dtype="float64", requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0001**10_000], rtol=1e-9)


def test_shared_subexpressions_accumulate_gradients():
    x = mg.tensor([3.0], dtype="float64", requires_grad=True)
    a = x * x
    (a + a * x).backward()  # x^2 + x^3
    np.testing.assert_allclose(x.grad.numpy(), [2 * 3 + 3 * 9])


def test_saved_arrays_are_released_and_a_second_backward_says_retain_graph():
    x = mg.tensor([2.0], requires_grad=True)
    y = (x * x).exp()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()
    z = (x * x).exp()
    x.grad = None
    z.backward(retain_graph=True)
    z.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * 2 * 2 * np.exp(4), rtol=1e-5)


def test_backward_errors_name_the_problem():
    with pytest.raises(RuntimeError, match="does not require grad"):
        mg.tensor([1.0]).backward()
    x = mg.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="shape \\(3,\\).*pass gradient="):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match="gradient has shape \\(2,\\)"):
        (x * 2).backward(mg.ones(2))


class WrongCount(mg.Op):
    def forward(self, a, b):
        return a + b

    def backward(self, gy):
        return gy


class WrongShape(mg.Op):
    def forward(self, x):
        return x.sum()

    def backward(self, gy):
        return gy


def test_op_contract_violations_name_the_op():
    a, b = mg.randn(2, requires_grad=True), mg.randn(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="WrongCount.backward returned 1 gradients for 2 inputs"):
        WrongCount()(a, b).sum().backward()
    with pytest.raises(RuntimeError, match="WrongShape.backward returned a gradient of shape \\(\\)"):
        WrongShape()(a).backward()
    with pytest.raises(TypeError, match="takes Tensors"):
        Swish()(np.ones(2))


def test_leaf_backward_and_needs_input_grad():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    x.backward(mg.ones(2))
    np.testing.assert_allclose(x.grad.numpy(), [1, 1])
    constant = mg.tensor([1.0, 2.0])
    y = x * constant
    assert y._creator.needs_input_grad == (True, False)


class SplitHalves(mg.Op):
    """Two outputs: the first and second half of a vector."""

    def forward(self, x):
        self.n = x.shape[0] // 2
        return x[:self.n] * 2, x[self.n:] * 3

    def backward(self, g_first, g_second):
        return self.xp.concatenate([g_first * 2, g_second * 3])


def test_multi_output_ops_get_zeros_for_unused_outputs():
    x = mg.tensor([1.0, 2.0, 3.0, 4.0], dtype="float64", requires_grad=True)
    first, second = SplitHalves()(x)
    assert first._index == 0 and second._index == 1
    first.sum().backward()  # the second output is unused: its gradient is zeros
    np.testing.assert_array_equal(x.grad.numpy(), [2, 2, 0, 0])
    assert mg.gradcheck(lambda t: SplitHalves()(t)[1] * mg.tensor([1.0, 5.0], dtype="float64"), [x])
