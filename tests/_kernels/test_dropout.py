"""Dropout kernels against a NumPy Philox-4x32-10 written here, and their argument checks."""
import numpy as np
import pytest

from minigrad._kernels import cpu, dropout

M32 = np.uint64(0xFFFFFFFF)


def reference_philox(blocks, offset, seed):
    """Philox-4x32-10 words for counter (block, offset) and key seed; vectorised over blocks."""
    blocks = np.asarray(blocks, dtype=np.uint64)
    c = [blocks & M32, blocks >> np.uint64(32), np.full_like(blocks, offset & 0xFFFFFFFF), np.full_like(blocks, offset >> 32)]
    k0, k1 = np.uint64(seed & 0xFFFFFFFF), np.uint64(seed >> 32)
    for _ in range(10):
        p0, p1 = np.uint64(0xD2511F53) * c[0], np.uint64(0xCD9E8D57) * c[2]
        c = [((p1 >> np.uint64(32)) ^ c[1] ^ k0) & M32, p1 & M32, ((p0 >> np.uint64(32)) ^ c[3] ^ k1) & M32, p0 & M32]
        k0, k1 = (k0 + np.uint64(0x9E3779B9)) & M32, (k1 + np.uint64(0xBB67AE85)) & M32
    return np.stack(c, axis=1)  # (blocks, 4)


def test_philox_matches_the_random123_known_answers():
    assert dropout.philox4x32(0, 0, 0) == [0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8]
    ones = 2**64 - 1
    assert dropout.philox4x32(ones, ones, ones) == [0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD]
    assert reference_philox([0], 0, 0)[0].tolist() == dropout.philox4x32(0, 0, 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [7, 300_001])  # a partial last block; the parallel path
def test_forward_and_backward_equal_the_reference_mask(dtype, n, rng):
    p, seed, offset = 0.3, 12345678901, 7
    x = rng.standard_normal(n).astype(dtype)
    y, mask = cpu.dropout_forward(x, p, seed, offset)
    words = reference_philox(np.arange((n + 3) // 4), offset, seed).reshape(-1)[:n]
    expected_mask = words >= np.uint64(int(p * 2**32))
    np.testing.assert_array_equal(mask.astype(bool), expected_mask)
    np.testing.assert_allclose(y, np.where(expected_mask, x / (1 - p), 0), rtol=1e-6)
    gy = rng.standard_normal(n).astype(dtype)
    np.testing.assert_allclose(cpu.dropout_backward(gy, mask, p), np.where(expected_mask, gy / (1 - p), 0), rtol=1e-6)


def test_mask_keeps_shape_and_depends_only_on_seed_and_offset(rng):
    x = rng.standard_normal((3, 5, 7))
    _, a = cpu.dropout_forward(x, 0.5, 1, 2)
    _, b = cpu.dropout_forward(x * 2, 0.5, 1, 2)
    _, c = cpu.dropout_forward(x, 0.5, 1, 3)
    assert a.shape == x.shape and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)
    assert (a != c).any()


def test_bad_arguments_are_refused():
    with pytest.raises(TypeError, match="float32 or float64, got int64"):
        cpu.dropout_forward(np.ones(3, dtype=np.int64), 0.5, 0, 0)
    with pytest.raises(ValueError, match="mask must be uint8 of shape \\(3,\\)"):
        cpu.dropout_backward(np.ones(3), np.ones(3, dtype=bool), 0.5)
    with pytest.raises(ValueError, match="mask must be uint8 of shape \\(3,\\)"):
        cpu.dropout_backward(np.ones(3), np.ones(4, dtype=np.uint8), 0.5)
