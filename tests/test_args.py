"""minigrad/_args.py: the argument checkers every user-facing function shares."""
import math

import numpy as np
import pytest

from minigrad import _args


def test_integer_and_positive_int():
    assert _args.integer(np.int64(3), "n", 1) == 3 and type(_args.integer(np.int64(3), "n")) is int
    assert _args.positive_int(2, "Linear: in_features") == 2
    with pytest.raises(TypeError, match=r"Linear: in_features must be a positive int, got bool True"):
        _args.positive_int(True, "Linear: in_features")
    for bad in (0, -1):
        with pytest.raises(ValueError, match=f"Linear: in_features must be a positive int, got {bad}"):
            _args.positive_int(bad, "Linear: in_features")
    with pytest.raises(ValueError, match=r"n must be an int >= 1, got 0"):
        _args.integer(0, "n", 1)
    with pytest.raises(TypeError, match="n must be an int, got float 2.0"):
        _args.integer(2.0, "n")


def test_wrong_type_is_a_type_error_that_old_value_error_handlers_still_catch():
    with pytest.raises(TypeError) as info:
        _args.probability("a", "dropout probability")
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("value, kwargs, message", [
    (0.0, dict(low=0, low_open=True), r"eps must be a number > 0, got 0.0"),
    (math.nan, dict(low=0, low_open=True), r"eps must be a number > 0, got nan"),
    (1.0, dict(low=0, high=1, high_open=True), r"eps must be a number in \[0, 1\), got 1.0"),
    (2, dict(high=1), r"eps must be a number <= 1, got 2"),
    (math.nan, {}, r"eps must be a number other than NaN, got nan"),
])
def test_real_refuses_values_outside_the_interval(value, kwargs, message):
    with pytest.raises(ValueError, match=message):
        _args.real(value, "eps", **kwargs)


def test_real_and_probability_accept_the_interval():
    assert _args.real(np.float32(0.5), "x", 0, 1) == 0.5
    assert _args.probability(0) == 0.0 and _args.probability(1) == 1.0
    with pytest.raises(ValueError, match=r"dropout probability must be a number in \[0, 1\], got 1.5"):
        _args.probability(1.5, "dropout probability")


def test_flag_choice_and_int_tuple():
    assert _args.flag(np.bool_(True), "bias") is True
    with pytest.raises(TypeError, match="bias must be a bool, got int 1"):
        _args.flag(1, "bias")
    assert _args.choice("sum", "reduction", ("mean", "sum", "none")) == "sum"
    with pytest.raises(ValueError, match="reduction must be one of 'mean', 'sum', 'none', got 'avg'"):
        _args.choice("avg", "reduction", ("mean", "sum", "none"))
    assert _args.int_tuple(3, 2, "kernel_size", 1) == (3, 3)
    assert _args.int_tuple([np.int32(1), 2], 2, "stride", 1) == (1, 2)
    with pytest.raises(TypeError, match=r"stride must be an int or 2 ints, got \(1, 2, 3\)"):
        _args.int_tuple((1, 2, 3), 2, "stride", 1)
    with pytest.raises(ValueError, match=r"padding must be an int >= 0 or 2 such ints, got -1"):
        _args.int_tuple(-1, 2, "padding")


def test_shape_and_dims():
    assert _args.shape((2, 3)) == (2, 3) and _args.shape(([2, 3],)) == (2, 3)
    with pytest.raises(TypeError, match="sizes must be ints"):
        _args.shape((2, 3.0))
    assert _args.dim_index(-1, 3) == 2 and _args.dim_index(-1, 0) == 0
    with pytest.raises(IndexError, match=r"dim 3 is out of range .* \[-3, 2\]"):
        _args.dim_index(3, 3)
    assert _args.dim_tuple((-1, 0), 3) == (0, 2) and _args.dim_tuple(None, 2) == (0, 1)
    with pytest.raises(ValueError, match="more than once"):
        _args.dim_tuple((1, -2), 3)
    assert _args.reduction_dims(None, False, [0, 1], True) == ((0, 1), True)
    with pytest.raises(TypeError, match="not both"):
        _args.reduction_dims(0, False, 1, None)
    assert _args.correction(None, None) == 1 and _args.correction(False, None) == 0
