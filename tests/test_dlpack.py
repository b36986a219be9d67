"""DLPack: zero-copy exchange with NumPy both ways (the CuPy parity test is in test_cuda.py)."""
import numpy as np
import pytest

import minigrad as mg


def test_numpy_reads_and_writes_a_tensor_through_dlpack():
    t = mg.randn(3, 4)
    a = np.from_dlpack(t)
    assert t.__dlpack_device__() == (1, 0)
    assert np.shares_memory(a, t._data)
    a[1, 2] = 42.0
    assert t.data[1, 2] == 42.0
    t.data[0, 0] = -7.0
    assert a[0, 0] == -7.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.bool_])
def test_from_dlpack_shares_memory_with_a_numpy_array(dtype):
    a = np.arange(12).reshape(3, 4).astype(dtype)
    t = mg.from_dlpack(a)
    assert t.dtype == a.dtype and t.shape == (3, 4) and not t.requires_grad
    assert np.shares_memory(a, t._data)
    t.data[2, 3] = 0
    assert a[2, 3] == 0


def test_from_dlpack_keeps_strides_and_the_result_takes_part_in_ops():
    base = np.arange(24.0).reshape(4, 6)
    view = base[:, ::2]
    t = mg.from_dlpack(view)
    assert t._data.strides == view.strides
    base[0, 2] = 100.0
    np.testing.assert_array_equal((t * 2.0).numpy(), view * 2)


def test_bad_exchanges_are_refused_with_the_reason():
    with pytest.raises(RuntimeError, match="requires grad.*detach"):
        np.from_dlpack(mg.randn(2, requires_grad=True))
    assert np.from_dlpack(mg.randn(2, requires_grad=True).detach()).shape == (2,)
    with pytest.raises(TypeError, match="float32 or float64, got float16"):
        mg.from_dlpack(np.zeros(3, np.float16))
    with pytest.raises(TypeError, match="from_dlpack takes an object with __dlpack__.*got list"):
        mg.from_dlpack([1.0, 2.0])
    with pytest.raises(TypeError, match="no complex128 tensors"):
        mg.from_dlpack(np.zeros(2, np.complex128))


@pytest.mark.gpu
def test_dlpack_shares_gpu_memory_both_ways():
    cp = mg.backend.require_cuda()
    t = mg.randn(3, 4, device="cuda")
    a = cp.from_dlpack(t)
    assert t.__dlpack_device__()[0] == 2
    a[1, 2] = 42.0
    assert float(t.data[1, 2]) == 42.0
    b = cp.arange(6, dtype=cp.float32).reshape(2, 3)
    u = mg.from_dlpack(b)
    assert u.device == "cuda" and u._data.data.ptr == b.data.ptr
    u.data[0, 0] = -1.0
    assert float(b[0, 0]) == -1.0
