"""minigrad/autograd/versions.py: an op recorded between two in-place changes of its input backpropagates
through the input as it was when the op ran, not as it is at backward."""
import numpy as np

import minigrad as mg


def test_an_op_between_two_in_place_changes_sees_its_input_at_that_point():
    # y = 3 * (2a) and the final h = 2a + 1: d(sum y + sum h)/da = 6 + 2 = 8 (torch's value). An op
    # recorded after the first change must not be taken as recorded before it (that gives 5).
    a = mg.tensor([1.0, -2.0], dtype="float64", requires_grad=True)
    h = a * 1
    h.mul_(2)
    y = h * 3
    h.add_(1)
    (y.sum() + h.sum()).backward()
    np.testing.assert_array_equal(a.grad.numpy(), [8, 8])
