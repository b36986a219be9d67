"""The LSTM and GRU step kernels against float64 NumPy references, their serial and parallel branches,
and the front's refusals."""
import re

import numpy as np
import pytest

import minigrad as mg
from minigrad import _build
from minigrad._kernels import cpu

PARALLEL_MIN = int(re.search(r"PARALLEL_MIN = (\d+)", (_build.KERNELS_DIR / "_types.pxd").read_text()).group(1))


def sigmoid(v):
    return 1 / (1 + np.exp(-v))


def lstm_step(x_gates, h_gates, c_prev):
    i, f, g, o = np.split(x_gates + h_gates, 4, axis=1)
    i, f, g, o = sigmoid(i), sigmoid(f), np.tanh(g), sigmoid(o)
    c = f * c_prev + i * g
    return np.concatenate([i, f, g, o], axis=1), o * np.tanh(c), c


def run_lstm(x_gates, h_gates, c_prev):
    gates, h, c = np.empty_like(x_gates), np.empty_like(c_prev), np.empty_like(c_prev)
    cpu.lstm_cell_forward(x_gates, h_gates, c_prev, gates, h, c)
    return gates, h, c


# float32 runs in float (activation.h's sigmoid and tanh, within 2 ulps, as its activation tests ask):
# the gates to 2 ulps, h and c (a product and a sum of gates) to 3.5 ulps of scale 1
@pytest.mark.parametrize("dtype, tol, state_tol", [(np.float64, 1e-15, 1e-15), (np.float32, 2.4e-7, 4.2e-7)])
def test_lstm_forward_matches_numpy_over_tiny_huge_and_nonfinite_values(dtype, tol, state_tol, rng):
    """float64's tanh below 0.05 goes through its series, above through exp (float32's below 0.625
    through a polynomial): both within rounding of NumPy's, tiny values keep their relative
    precision, NaN stays NaN and +-inf saturate."""
    special = np.array([0.0, -0.0, 1e-30, -1e-8, 0.049, 0.051, -0.3, 20.0, -800.0, np.inf, -np.inf, np.nan])
    x_gates = np.concatenate([rng.standard_normal((3, 4 * 12)) * 4, np.tile(special, (1, 4))]).astype(dtype)
    h_gates = np.zeros_like(x_gates)
    c_prev = rng.standard_normal((4, 12)).astype(dtype)
    with np.errstate(all="ignore"):
        expected = lstm_step(x_gates.astype(np.float64), h_gates, c_prev.astype(np.float64))
    # the gates to relative rounding (tanh(1e-30) is 1e-30); h and c, sums that may cancel, absolutely
    for got, want, rtol, atol in zip(run_lstm(x_gates, h_gates, c_prev), expected, (tol, state_tol, state_tol),
                                     (0, state_tol, state_tol)):
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, equal_nan=True)


def test_gru_forward_keeps_the_gates_and_the_recurrent_n_part(rng):
    x_gates, h_gates, h_prev = rng.standard_normal((5, 9)), rng.standard_normal((5, 9)), rng.standard_normal((5, 3))
    gates, h = np.empty((5, 12)), np.empty((5, 3))
    cpu.gru_cell_forward(x_gates, h_gates, h_prev, gates, h)
    (xr, xz, xn), (hr, hz, hn) = np.split(x_gates, 3, axis=1), np.split(h_gates, 3, axis=1)
    r, z = sigmoid(xr + hr), sigmoid(xz + hz)
    n = np.tanh(xn + r * hn)
    np.testing.assert_allclose(gates, np.concatenate([r, z, n, hn], axis=1), rtol=1e-14)
    np.testing.assert_allclose(h, (1 - z) * n + z * h_prev, rtol=1e-14)


def test_float32_cells_run_within_a_few_ulps_of_the_float64_ones(rng):
    """float32 runs the same formulas in float: the forward and backward of both cells on float32
    inputs against the float64 kernels on the same values, to a few float32 ulps of scale 1."""
    H, rows = 40, 6
    x_gates, h_gates = ((rng.standard_normal((rows, 4 * H)) * 2).astype(np.float32) for _ in range(2))
    c_prev, gh, gc = (rng.standard_normal((rows, H)).astype(np.float32) for _ in range(3))
    results = {}
    for dtype in (np.float32, np.float64):
        xg, hg, cp, g_h, g_c = (a.astype(dtype) for a in (x_gates, h_gates, c_prev, gh, gc))
        gates, h, c = run_lstm(xg, hg, cp)
        gates_grad, gc_prev = np.empty_like(gates), np.empty_like(c)
        cpu.lstm_cell_backward(gates, cp, c, g_h, g_c, gates_grad, gc_prev)
        gru_gates, h_gru = np.empty((rows, 4 * H), dtype), np.empty((rows, H), dtype)
        cpu.gru_cell_forward(xg[:, :3 * H], hg[:, :3 * H], cp, gru_gates, h_gru)
        gru_grads = [np.empty((rows, 3 * H), dtype), np.empty((rows, 3 * H), dtype), np.empty((rows, H), dtype)]
        cpu.gru_cell_backward(gru_gates, cp, g_h, *gru_grads)
        results[dtype] = [gates, h, c, gates_grad, gc_prev, gru_gates, h_gru, *gru_grads]
    for single, double in zip(results[np.float32], results[np.float64]):
        assert single.dtype == np.float32
        np.testing.assert_allclose(single, double, rtol=8 * np.finfo(np.float32).eps,
                                   atol=8 * np.finfo(np.float32).eps * max(1, np.abs(double).max()))


def test_lstm_backward_may_write_the_cell_gradient_over_its_input(rng):
    gates, c_prev, c = run_lstm(rng.standard_normal((4, 20)), np.zeros((4, 20)), rng.standard_normal((4, 5)))
    gh, gc = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    separate, in_place = np.empty((4, 20)), np.empty((4, 20))
    gc_prev = np.empty_like(gc)
    cpu.lstm_cell_backward(gates, c_prev, c, gh, gc, separate, gc_prev)
    shared = gc.copy()
    cpu.lstm_cell_backward(gates, c_prev, c, gh, shared, in_place, shared)
    np.testing.assert_array_equal(in_place, separate)
    np.testing.assert_array_equal(shared, gc_prev)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_parallel_and_serial_branches_agree_bitwise(dtype, rng):
    """Above PARALLEL_MIN // 16 state elements the rows go to threads; each half runs serially."""
    threads = mg.get_num_threads()
    mg.set_num_threads(2)
    try:
        rows, hidden = 2 * (PARALLEL_MIN // 16) // 64 + 3, 64
        x_gates, h_gates = (rng.standard_normal((rows, 4 * hidden)).astype(dtype) for _ in range(2))
        c_prev = rng.standard_normal((rows, hidden)).astype(dtype)
        whole = run_lstm(x_gates, h_gates, c_prev)
        half = rows // 2
        parts = [run_lstm(x_gates[s], h_gates[s], c_prev[s]) for s in (slice(0, half), slice(half, rows))]
        for w, a, b in zip(whole, *parts):
            np.testing.assert_array_equal(w, np.concatenate([a, b]))
        gh = rng.standard_normal((rows, hidden)).astype(dtype)
        grads = []
        for s in (slice(0, rows), slice(0, half), slice(half, rows)):
            gates_grad, gc_prev = np.empty((s.stop - s.start, 4 * hidden), dtype), np.empty((s.stop - s.start, hidden), dtype)
            cpu.lstm_cell_backward(whole[0][s], c_prev[s], whole[2][s], gh[s], gh[s], gates_grad, gc_prev)
            grads.append((gates_grad, gc_prev))
        for w, a, b in zip(*grads):
            np.testing.assert_array_equal(w, np.concatenate([a, b]))
    finally:
        mg.set_num_threads(threads)


def test_front_refuses_what_would_reach_memory_wrongly():
    x_gates, h_gates, c_prev = np.zeros((2, 8)), np.zeros((2, 8)), np.zeros((2, 2))
    gates, h, c = np.zeros((2, 8)), np.zeros((2, 2)), np.zeros((2, 2))
    with pytest.raises(ValueError, match=r"h_gates has shape \(2, 4\), expected \(2, 8\)"):
        cpu.lstm_cell_forward(x_gates, np.zeros((2, 4)), c_prev, gates, h, c)
    with pytest.raises(TypeError, match="c has dtype float32, but c_prev has float64"):
        cpu.lstm_cell_forward(x_gates, h_gates, c_prev, gates, h, c.astype(np.float32))
    with pytest.raises(ValueError, match="the output gates must be C-contiguous"):
        cpu.lstm_cell_forward(x_gates, h_gates, c_prev, np.zeros((8, 2)).T, h, c)
    with pytest.raises(ValueError, match=r"h_prev must have 2 dimension\(s\)"):
        cpu.gru_cell_forward(np.zeros(6), np.zeros(6), np.zeros(2), np.zeros(8), np.zeros(2))
    with pytest.raises(TypeError, match="h_prev must be float32 or float64, got int64"):
        cpu.gru_cell_backward(np.zeros((1, 4)), np.zeros((1, 1), np.int64), np.zeros((1, 1)), np.zeros((1, 3)),
                              np.zeros((1, 3)), np.zeros((1, 1)))


# ---- the sequence loops: a whole direction per call ----------------------------------------------
SEQUENCE_STEPS = [(0, 5), (5, 5), (10, 4), (14, 2), (16, 1)]  # packed: 5 sequences of lengths 5, 4, 3, 3, 2


def stepwise_lstm(x_gates, w_hh, steps, h0, c0, gy, gh_n, gc_n):
    """The sequence as the step kernels and NumPy products give it: (forward's outputs, backward's)."""
    h, c, rows = h0.copy(), c0.copy(), x_gates.shape[0]
    y, h_prev, c_prev, c_all = (np.empty((rows, h0.shape[1]), h0.dtype) for _ in range(4))
    gates = np.empty_like(x_gates)
    for start, size in steps:
        s = slice(start, start + size)
        h_prev[s], c_prev[s] = h[:size], c[:size]
        cpu.lstm_cell_forward(x_gates[s], h[:size] @ w_hh.T, c_prev[s], gates[s], y[s], c_all[s])
        h[:size], c[:size] = y[s], c_all[s]
    gh, gc, gates_grad = gh_n.copy(), gc_n.copy(), np.empty_like(gates)
    for start, size in reversed(steps):
        s = slice(start, start + size)
        cpu.lstm_cell_backward(gates[s], c_prev[s], c_all[s], gy[s] + gh[:size], gc[:size], gates_grad[s], gc[:size])
        gh[:size] = gates_grad[s] @ w_hh
    return (y, h, c, gates, h_prev, c_prev, c_all), (gates_grad, gh, gc)


def stepwise_gru(x_gates, w_hh, b_hh, steps, h0, gy, gh_n):
    h, rows, H = h0.copy(), x_gates.shape[0], h0.shape[1]
    y, h_prev, gates = np.empty((rows, H), h0.dtype), np.empty((rows, H), h0.dtype), np.empty((rows, 4 * H), h0.dtype)
    for start, size in steps:
        s = slice(start, start + size)
        h_prev[s] = h[:size]
        cpu.gru_cell_forward(x_gates[s], h[:size] @ w_hh.T + b_hh, h_prev[s], gates[s], y[s])
        h[:size] = y[s]
    gh, x_grad, h_grad = gh_n.copy(), np.empty_like(x_gates), np.empty_like(x_gates)
    for start, size in reversed(steps):
        s = slice(start, start + size)
        direct = np.empty((size, H), h0.dtype)
        cpu.gru_cell_backward(gates[s], h_prev[s], gy[s] + gh[:size], x_grad[s], h_grad[s], direct)
        gh[:size] = direct + h_grad[s] @ w_hh
    return (y, h, gates, h_prev), (x_grad, h_grad, gh)


def sequence_arrays(rng, dtype, gates, H, N, rows):
    """x_gates (rows, gates H), w_hh (gates H, H), h0, c0 (N, H), gy (rows, H)."""
    return (rng.standard_normal((rows, gates * H)).astype(dtype), (rng.standard_normal((gates * H, H)) / 4).astype(dtype),
            *(rng.standard_normal((N, H)).astype(dtype) for _ in range(2)), rng.standard_normal((rows, H)).astype(dtype))


def run_sequence(mode, arrays, steps, bias=None):
    """(forward's outputs, backward's) of the sequence loops; bias: the LSTM's (b_ih + b_hh) or the GRU's b_hh."""
    x_gates, w_hh, h0, c0, gy = arrays
    if mode == "LSTM":
        y, h, c, *kept = cpu.lstm_sequence_forward(x_gates, w_hh, steps, h0, c0, bias)
        return (y, h, c, *kept), cpu.lstm_sequence_backward(gy, w_hh, steps, kept[0], kept[2], kept[3], h0, c0)
    y, h, *kept = cpu.gru_sequence_forward(x_gates, w_hh, bias, steps, h0)
    return (y, h, *kept), cpu.gru_sequence_backward(gy, w_hh, steps, kept[0], kept[1], h0)


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
@pytest.mark.parametrize("size", ["small", "threaded"])  # "threaded": past the threshold for two threads
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-12), (np.float32, 2e-5)])
def test_sequence_loops_match_the_step_kernels_and_numpy_products(mode, size, reverse, dtype, tol, rng):
    """The outputs, the saved arrays and the gradients of the steps' walk in float64, packed sequences
    (fewer rows as they end), in either direction, at two threads. float32's products are
    recurrent_gemm.h's: the sizes leave partial row blocks (5, 3, 2 rows), partial column panels (12
    and 9 columns; 1280 and 960 with H = 320, 320 itself) and H = 320's 40 or 30 panels to split."""
    H, N, steps = (3, 5, SEQUENCE_STEPS) if size == "small" else (320, 64, [(0, 64), (64, 60), (124, 50), (174, 3)])
    steps = steps[::-1] if reverse else steps
    gates = 4 if mode == "LSTM" else 3
    arrays = sequence_arrays(rng, dtype, gates, H, N, sum(n for _, n in steps))
    bias = rng.standard_normal(gates * H).astype(dtype)
    threads = mg.get_num_threads()
    mg.set_num_threads(2)
    try:
        got = run_sequence(mode, arrays, steps, bias)
    finally:
        mg.set_num_threads(threads)
    x_gates, w_hh, h0, c0, gy, bias = (a.astype(np.float64) for a in (*arrays, bias))
    want = stepwise_lstm(x_gates + bias, w_hh, steps, h0, c0, gy, h0, c0) if mode == "LSTM" else \
        stepwise_gru(x_gates, w_hh, bias, steps, h0, gy, h0)
    for got_part, want_part in zip(got, want):
        for g, w in zip(got_part, want_part):
            assert g.dtype == dtype
            np.testing.assert_allclose(g, w, rtol=tol, atol=tol * max(1, np.abs(w).max()))


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sequence_loops_give_the_same_bits_at_one_and_two_threads(mode, dtype, rng):
    """Each product column is one GEMM call's at any thread count (blocks of whole columns), and each row
    one thread's pointwise work: the threads change nothing. 64 rows of 320: past the threshold for
    threads (16.7M multiply-adds a step)."""
    sizes = [64, 61, 40, 9]
    steps = [(sum(sizes[:s]), n) for s, n in enumerate(sizes)]
    gates = 4 if mode == "LSTM" else 3
    arrays = sequence_arrays(rng, dtype, gates, 320, 64, sum(sizes))
    bias = rng.standard_normal(gates * 320).astype(dtype)
    threads = mg.get_num_threads()
    results = []
    try:
        for n in (1, 2):
            mg.set_num_threads(n)
            results.append(run_sequence(mode, arrays, steps, bias))
    finally:
        mg.set_num_threads(threads)
    for one, two in zip(*results):
        for a, b in zip(one, two):
            assert a.dtype == dtype
            np.testing.assert_array_equal(a, b)


def test_sequence_front_refuses_steps_outside_the_rows_and_wrong_shapes():
    x_gates, w_hh, h0 = np.zeros((4, 8)), np.zeros((8, 2)), np.zeros((2, 2))
    for steps in ([(0, 2), (2, 3)], [(3, 2)], [(0, 0)], [(-1, 1)]):
        with pytest.raises(ValueError, match="steps must be"):
            cpu.lstm_sequence_forward(x_gates, w_hh, steps, h0, h0)
    with pytest.raises(ValueError, match=r"w_hh has shape \(6, 2\), expected \(8, 2\)"):
        cpu.lstm_sequence_forward(x_gates, np.zeros((6, 2)), [(0, 2)], h0, h0)
    with pytest.raises(ValueError, match=r"bias has shape \(6,\), expected \(8,\)"):
        cpu.lstm_sequence_forward(x_gates, w_hh, [(0, 2)], h0, h0, np.zeros(6))
    with pytest.raises(TypeError, match="b_hh has dtype float32"):
        cpu.gru_sequence_forward(np.zeros((4, 6)), np.zeros((6, 2)), np.zeros(6, np.float32), [(0, 2)], h0)


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-13), (np.float32, 2e-6)])
def test_sequence_products_match_numpy_for_strided_operands_and_empty_sides(dtype, tol, rng):
    """float32 on the CPU runs recurrent_gemm.h's kernel (float64: matmul): transposed views as a
    weight's gradient and the input projection take them, two parts sharing a's packing, partial row
    blocks (13 rows) and panels (45 columns), an inner size of several slices with a partial last one
    (700: 256 + 256 + 188), and no rows, inner size or columns."""
    for m, k, widths in [(13, 7, (45, 5)), (1, 1, (1,)), (40, 300, (33, 64)), (19, 700, (45, 33)), (0, 4, (3,)),
                         (5, 0, (2,)), (9, 6, (0, 4))]:
        a_t = rng.standard_normal((k, m)).astype(dtype)  # a = a_t.T: a transposed view
        parts = [rng.standard_normal((n, k)).astype(dtype).T for n in widths[:1]]
        parts += [rng.standard_normal((k, n)).astype(dtype) for n in widths[1:]]
        got = cpu.sequence_products(a_t.T, parts)
        for g, b in zip(got, parts):
            want = a_t.T.astype(np.float64) @ b.astype(np.float64)
            assert g.dtype == dtype and g.shape == want.shape and g.flags.c_contiguous
            np.testing.assert_allclose(g, want, rtol=tol, atol=tol * max(1, k))
    # reversed and stepped views: negative strides must divide signed
    a = rng.standard_normal((11, 9)).astype(dtype)
    b = rng.standard_normal((27, 40)).astype(dtype)
    for view_a, view_b in [(a[::-1], b[::-3]), (a[:, ::-1], b[:9, ::-1]), (a[::-2], b[4:13].T[::-1].T)]:
        got, = cpu.sequence_products(view_a, (view_b,))
        np.testing.assert_allclose(got, view_a.astype(np.float64) @ view_b, rtol=tol, atol=tol * 9)


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-13), (np.float32, 2e-6)])
def test_sequence_products_start_each_output_from_its_bias(dtype, tol, rng):
    """A part's bias (n_i,) is in every row of its output: float32 adds it to the rows after their
    last slice of k, the same bits as adding it to the product afterwards; partial row blocks and panels, inner sizes
    of one and of several slices, a part without a bias beside one with, a strided bias, no rows,
    inner size or columns."""
    for m, k, widths in [(13, 7, (45, 5)), (1, 1, (1,)), (40, 300, (33, 64)), (19, 700, (45, 33)), (0, 4, (3,)),
                         (5, 0, (2,)), (9, 6, (0, 4))]:
        a = rng.standard_normal((k, m)).astype(dtype).T
        parts = [rng.standard_normal((k, n)).astype(dtype) for n in widths]
        biases = [rng.standard_normal(2 * widths[0]).astype(dtype)[::2]] + [None] * (len(widths) - 1)
        got = cpu.sequence_products(a, parts, biases)
        unbiased = cpu.sequence_products(a, parts)
        for g, plain, b, bias in zip(got, unbiased, parts, biases):
            want = a.astype(np.float64) @ b + (0 if bias is None else bias)
            assert g.dtype == dtype and g.shape == want.shape and g.flags.c_contiguous
            np.testing.assert_allclose(g, want, rtol=tol, atol=tol * max(1, k))
            np.testing.assert_array_equal(g, plain if bias is None else plain + bias)


@pytest.mark.parametrize("m, k", [(2048, 256), (1021, 600), (96, 2048)])
def test_sequence_products_give_the_same_bits_at_one_and_two_threads(m, k, rng):
    """Each row block of the output is one thread's, each element one chain over k (also when k is
    taken in slices: 600 = 256 + 256 + 88, the weight gradient's transposed view, a partial last row
    block; 96 rows: groups of fewer row blocks, so that 4 threads each get one); past the threshold
    for threads."""
    a = rng.standard_normal((m, k)).astype(np.float32) if k == 256 else rng.standard_normal((k, m)).astype(np.float32).T
    b = rng.standard_normal((k, 64)).astype(np.float32)
    bias = rng.standard_normal(64).astype(np.float32)
    threads = mg.get_num_threads()
    results = []
    try:
        for n in (1, 2, 4):
            mg.set_num_threads(n)
            results.append(cpu.sequence_products(a, (b, b[:, :7], b), (None, bias[:7], bias)))
    finally:
        mg.set_num_threads(threads)
    for one, *others in zip(*results):
        for other in others:
            np.testing.assert_array_equal(one, other)


def test_sequence_products_refuse_mismatched_operands():
    a = np.zeros((4, 3), np.float32)
    with pytest.raises(ValueError, match=r"b has shape \(2, 5\), expected \(3, 5\)"):
        cpu.sequence_products(a, (np.zeros((2, 5), np.float32),))
    with pytest.raises(TypeError, match="b has dtype float64, but a has float32"):
        cpu.sequence_products(a, (np.zeros((3, 5)),))
    with pytest.raises(ValueError, match="a must have 2 dimension"):
        cpu.sequence_products(np.zeros(4, np.float32), (np.zeros((4, 5), np.float32),))
    with pytest.raises(ValueError, match="b must have 2 dimension"):
        cpu.sequence_products(a, (np.float32(1),))
    b = np.zeros((3, 5), np.float32)
    with pytest.raises(ValueError, match=r"bias has shape \(4,\), expected \(5,\)"):
        cpu.sequence_products(a, (b,), (np.zeros(4, np.float32),))
    with pytest.raises(TypeError, match="bias has dtype float64, but a has float32"):
        cpu.sequence_products(a, (b,), (np.zeros(5),))
    with pytest.raises(ValueError, match="2 biases for 1 parts"):
        cpu.sequence_products(a, (b,), (None, None))
