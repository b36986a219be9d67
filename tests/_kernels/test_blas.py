"""The matmul loop (blas.pyx): BLAS on minigrad's threads, against a float64 NumPy reference, for
every transpose pair, strided and zero-size operands, batches, out= and accumulation, and its
refusals."""
import itertools
import os

import numpy as np
import pytest

import minigrad as mg
from minigrad._kernels import blas, cpu, cpu_loops

# (m, k, n); the last two are split (blas._gemm_block_count): into blocks of rows, and of columns
SHAPES = [(3, 4, 5), (1, 7, 1), (1, 1, 1), (70, 33, 90), (300, 64, 257), (200, 64, 600)]
TOLERANCE = {np.float32: 1e-5, np.float64: 1e-13}


def _operand(rng, rows, cols, dtype, layout):
    """A (rows, cols) array: row-major, a transposed view (column-major), every other column, or rows
    and columns in reverse (negative strides)."""
    if layout == "reversed":
        return rng.standard_normal((rows, cols)).astype(dtype)[::-1, ::-1]
    if layout == "transposed":
        return rng.standard_normal((cols, rows)).astype(dtype).T
    if layout == "strided":
        return rng.standard_normal((rows, 2 * cols)).astype(dtype)[:, ::2]
    return rng.standard_normal((rows, cols)).astype(dtype)


def _assert_product(result, a, b, dtype):
    reference = np.matmul(a.astype(np.float64), b.astype(np.float64))
    assert result.dtype == dtype and result.shape == reference.shape
    scale = np.matmul(np.abs(a).astype(np.float64), np.abs(b).astype(np.float64)) + 1
    np.testing.assert_array_less(np.abs(result - reference), TOLERANCE[dtype] * scale)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout_a, layout_b", list(itertools.product(["rows", "transposed", "strided", "reversed"], repeat=2)))
@pytest.mark.parametrize("m, k, n", SHAPES)
def test_every_layout_pair_matches_numpy(m, k, n, layout_a, layout_b, dtype, rng):
    a, b = _operand(rng, m, k, dtype, layout_a), _operand(rng, k, n, dtype, layout_b)
    _assert_product(cpu.matmul(a, b), a, b, dtype)


@pytest.mark.parametrize("m, k, n", [(0, 3, 4), (3, 0, 4), (3, 4, 0), (0, 0, 0)])
def test_zero_sizes(m, k, n, rng):
    a, b = np.ones((m, k)), np.ones((k, n))
    np.testing.assert_array_equal(cpu.matmul(a, b), np.zeros((m, n)))
    out = np.full((m, n), 2.0)
    cpu.matmul(a, b, out, accumulate=True)
    np.testing.assert_array_equal(out, np.full((m, n), 2.0))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape_a, shape_b", [((4, 30, 20), (20, 10)), ((30, 20), (4, 20, 10)), ((4, 30, 20), (4, 20, 10)),
                                              ((1, 30, 20), (6, 20, 10)), ((7, 200, 300), (300, 100))])
def test_batches(shape_a, shape_b, dtype, rng):
    a, b = rng.standard_normal(shape_a).astype(dtype), rng.standard_normal(shape_b).astype(dtype)
    _assert_product(cpu.matmul(a, b), a, b, dtype)
    transposed = np.swapaxes(rng.standard_normal(shape_b[:-2] + shape_b[:-3:-1]).astype(dtype), -1, -2)
    _assert_product(cpu.matmul(a, transposed), a, transposed, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_out_is_written_or_added_to(dtype, rng):
    a, b = rng.standard_normal((40, 30)).astype(dtype), rng.standard_normal((30, 50)).astype(dtype)
    before = rng.standard_normal((40, 50)).astype(dtype)
    out = before.copy()
    assert cpu.matmul(a.T.copy().T, b, out) is out
    _assert_product(out, a, b, dtype)
    out = before.copy()
    cpu.matmul(a, b, out, accumulate=True)
    np.testing.assert_allclose(out, before + np.matmul(a.astype(np.float64), b), rtol=10 * TOLERANCE[dtype],
                               atol=100 * TOLERANCE[dtype])
    wide = np.zeros((40, 100), dtype)  # every other column: BLAS cannot write it in place
    cpu.matmul(a, b, wide[:, ::2], accumulate=True)
    _assert_product(wide[:, ::2], a, b, dtype)
    assert not wide[:, 1::2].any()


def test_out_that_overlaps_an_operand_is_not_read_while_written(rng):
    a = rng.standard_normal((20, 20))
    expected = a @ a
    cpu.matmul(a, a, a)
    np.testing.assert_allclose(a, expected, atol=1e-12)


@pytest.mark.parametrize("arguments, error, words", [
    ((np.ones((2, 3), np.float32), np.ones((3, 4))), TypeError, "float32"),
    ((np.ones((2, 3)), np.ones((4, 5))), ValueError, r"\(2, 3\) and \(4, 5\)"),
    ((np.ones(3), np.ones((3, 4))), ValueError, r"\(3,\) and \(3, 4\)"),
    ((np.ones((1, 2, 2, 3)), np.ones((3, 4))), ValueError, r"\(1, 2, 2, 3\)"),
    ((np.ones((2, 2, 3)), np.ones((3, 3, 4))), ValueError, r"batches of shapes \(2, 2, 3\) and \(3, 3, 4\)"),
    ((np.ones((2, 3), np.int64), np.ones((3, 4), np.int64)), TypeError, "int64"),
])
def test_refusals_name_the_shapes_and_dtypes(arguments, error, words):
    with pytest.raises(error, match=words):
        cpu.matmul(*arguments)


def test_refuses_a_wrong_out_and_accumulate_without_out():
    a, b = np.ones((2, 3)), np.ones((3, 4))
    with pytest.raises(ValueError, match=r"out has shape \(4, 2\), expected \(2, 4\)"):
        cpu.matmul(a, b, np.empty((4, 2)))
    with pytest.raises(TypeError, match="out has dtype float32"):
        cpu.matmul(a, b, np.empty((2, 4), np.float32))
    with pytest.raises(ValueError, match="accumulate needs an out"):
        cpu.matmul(a, b, accumulate=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape_a, shape_b", [((4, 301, 128), (128, 257)), ((509, 77), (77, 263)),
                                              ((263, 77), (77, 509)), ((3, 130, 130), (3, 130, 123))])
def test_the_same_bits_at_any_thread_count(shape_a, shape_b, dtype, rng):
    """The split into blocks depends on the shape only: 1, 2 or 3 threads run the same BLAS calls. BLAS
    rounds the last column's elements differently when a call's edges move (these shapes showed it
    when the split followed the thread count), so this compares bits, whole products and batches."""
    saved = mg.get_num_threads()
    a, b = rng.standard_normal(shape_a).astype(dtype), rng.standard_normal(shape_b).astype(dtype)
    try:
        results = []
        for threads in (1, 2, 3):
            mg.set_num_threads(threads)
            results.append([cpu.matmul(a, b), cpu.matmul(np.swapaxes(np.swapaxes(a, -1, -2).copy(), -1, -2), b),
                            cpu.matmul(a[..., :64, :], b)])
    finally:
        mg.set_num_threads(saved)
    for one, *others in zip(*results):
        for other in others:
            np.testing.assert_array_equal(one, other)
    _assert_product(results[0][0], a, b, dtype)


def test_the_split_into_blocks_depends_on_the_shape_only():
    """Under 2^21 multiply-adds one call (no parallel region to wake); above, blocks of >= 2^20
    multiply-adds and >= 128 rows or columns (not 64 x 64 over 512), at most as many as the cores, whatever
    set_num_threads says."""
    saved = mg.get_num_threads()
    shapes = [(128, 128, 127), (128, 128, 128), (127, 1024, 4096), (4096, 4096, 4096), (64, 64, 512)]
    try:
        counts = []
        for threads in (1, 2, 5):
            mg.set_num_threads(threads)
            counts.append([blas._gemm_block_count(m, n, k) for m, n, k in shapes])
    finally:
        mg.set_num_threads(saved)
    assert counts[0] == counts[1] == counts[2]
    cores = len(os.sched_getaffinity(0))  # what OpenMP counts as the machine
    assert counts[0] == [1, 1, min(cores, 32), cores, 1]


def test_the_loop_is_exported_under_its_name():
    assert cpu_loops.matmul.__module__ == "minigrad._kernels.blas"
