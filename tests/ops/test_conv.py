"""Convolution through F.conv2d / F.conv1d: forward and every gradient against a float64 reference
written here (one strided slice per kernel tap), gradcheck, float32, the edges of tiles (CPU) and chunks (GPU), strides,
and the arguments it must refuse."""
import itertools

import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
from minigrad._kernels import conv as conv_loops
from minigrad._kernels import cpu

FLOAT32_TOLERANCE = 1e-4  # relative to the largest reference magnitude; GEMM sums in float32


def _padding_pairs(padding, kernel, dilation):
    if padding == "valid":
        return [(0, 0), (0, 0)]
    if padding == "same":
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return [(t // 2, t - t // 2) for t in totals]
    padding = (padding, padding) if isinstance(padding, int) else padding
    return [(p, p) for p in padding]


def _pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def _tap_slices(kh, kw, dilation, stride, out_h, out_w):
    """The padded-input window that kernel tap (kh, kw) meets at every output position."""
    h0, w0 = kh * dilation[0], kw * dilation[1]
    return (slice(h0, h0 + stride[0] * (out_h - 1) + 1, stride[0]),
            slice(w0, w0 + stride[1] * (out_w - 1) + 1, stride[1]))


def reference_conv2d(x, w, b, gy, stride, padding, dilation, groups):
    """(y, gx, gw, gb) in float64 by direct sums over kernel taps, groups done one at a time.
    gy=None: forward only."""
    stride, dilation = _pair(stride), _pair(dilation)
    pads = _padding_pairs(padding, w.shape[2:], dilation)
    xp = np.pad(x, [(0, 0), (0, 0)] + pads)
    N, C, Hp, Wp = xp.shape
    O, Cg, KH, KW = w.shape
    Og = O // groups
    out_h = (Hp - dilation[0] * (KH - 1) - 1) // stride[0] + 1
    out_w = (Wp - dilation[1] * (KW - 1) - 1) // stride[1] + 1
    y = np.zeros((N, O, out_h, out_w))
    gxp, gw = np.zeros_like(xp), np.zeros_like(w)
    for g, kh, kw in itertools.product(range(groups), range(KH), range(KW)):
        cs, os_ = slice(g * Cg, (g + 1) * Cg), slice(g * Og, (g + 1) * Og)
        hs, ws = _tap_slices(kh, kw, dilation, stride, out_h, out_w)
        window = xp[:, cs, hs, ws]  # (N, Cg, OH, OW)
        y[:, os_] += np.einsum("nchw,oc->nohw", window, w[os_, :, kh, kw])
        if gy is not None:
            gw[os_, :, kh, kw] += np.einsum("nohw,nchw->oc", gy[:, os_], window)
            gxp[:, cs, hs, ws] += np.einsum("nohw,oc->nchw", gy[:, os_], w[os_, :, kh, kw])
    if b is not None:
        y += b.reshape(1, -1, 1, 1)
    (top, _), (left, _) = pads
    gx = gxp[:, :, top:top + x.shape[2], left:left + x.shape[3]]
    gb = None if gy is None or b is None else gy.sum(axis=(0, 2, 3))
    return y, gx, gw, gb


GRID = [(stride, padding, dilation, groups, bias)
        for stride, padding, dilation, groups, bias in itertools.product(
            [1, 2, (2, 1)], [0, 1, (2, 0), "same", "valid"], [1, 2], [1, 2], [True, False])
        if not (padding == "same" and stride != 1)]


@pytest.mark.parametrize("stride, padding, dilation, groups, bias", GRID)
def test_conv2d_forward_and_gradients_match_reference(stride, padding, dilation, groups, bias, rng, device):
    x = rng.standard_normal((2, 4, 9, 8))
    w = rng.standard_normal((6, 4 // groups, 3, 2))
    b = rng.standard_normal(6) if bias else None
    tensors = [mg.tensor(a, requires_grad=True, device=device) for a in (x, w) + ((b,) if bias else ())]
    y = F.conv2d(*tensors[:2], tensors[2] if bias else None, stride, padding, dilation, groups)
    gy = rng.standard_normal(y.shape)
    y.backward(mg.tensor(gy, device=device))
    ref_y, ref_gx, ref_gw, ref_gb = reference_conv2d(x, w, b, gy, stride, padding, dilation, groups)
    np.testing.assert_allclose(y.detach().numpy(), ref_y, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(tensors[0].grad.numpy(), ref_gx, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(tensors[1].grad.numpy(), ref_gw, rtol=1e-10, atol=1e-10)
    if bias:
        np.testing.assert_allclose(tensors[2].grad.numpy(), ref_gb, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("stride, padding, dilation, groups", [(1, 1, 1, 1), (2, (1, 0), (1, 2), 2), (1, "same", 2, 3)])
def test_conv2d_gradchecks(stride, padding, dilation, groups, rng, device):
    x = mg.tensor(rng.standard_normal((2, 6, 5, 6)), requires_grad=True, device=device)
    w = mg.tensor(rng.standard_normal((6, 6 // groups, 3, 2)), requires_grad=True, device=device)
    b = mg.tensor(rng.standard_normal(6), requires_grad=True, device=device)
    assert mg.gradcheck(lambda *t: F.conv2d(*t, stride=stride, padding=padding, dilation=dilation, groups=groups),
                        [x, w, b])


@pytest.mark.parametrize("stride, padding, dilation", [(1, 0, 1), (2, 1, 1), (1, "same", 2)])
def test_float32_within_tolerance(stride, padding, dilation, rng, device):
    x, w, b = rng.standard_normal((3, 4, 10, 9)), rng.standard_normal((5, 4, 3, 3)), rng.standard_normal(5)
    tensors = [mg.tensor(a, dtype="float32", requires_grad=True, device=device) for a in (x, w, b)]
    y = F.conv2d(*tensors, stride=stride, padding=padding, dilation=dilation)
    gy = rng.standard_normal(y.shape)
    y.backward(mg.tensor(gy, dtype="float32", device=device))
    x32, w32, b32, gy32 = (a.astype(np.float32).astype(np.float64) for a in (x, w, b, gy))
    for got, want in zip([y] + [t.grad for t in tensors], reference_conv2d(x32, w32, b32, gy32, stride, padding, dilation, 1)):
        assert got.dtype == np.float32
        np.testing.assert_allclose(got.detach().numpy(), want, atol=FLOAT32_TOLERANCE * np.abs(want).max())


def test_conv1d_matches_the_reference_and_gradchecks(rng, device):
    x, w, b = rng.standard_normal((2, 4, 17)), rng.standard_normal((6, 2, 4)), rng.standard_normal(6)
    tensors = [mg.tensor(a, requires_grad=True, device=device) for a in (x, w, b)]
    y = F.conv1d(*tensors, stride=2, padding=3, dilation=2, groups=2)
    gy = rng.standard_normal(y.shape)
    y.backward(mg.tensor(gy, device=device))
    ref = reference_conv2d(x[:, :, None], w[:, :, None], b, gy[:, :, None], (1, 2), (0, 3), (1, 2), 2)
    for got, want in zip([y] + [t.grad for t in tensors], [ref[0][:, :, 0], ref[1][:, :, 0], ref[2][:, :, 0], ref[3]]):
        np.testing.assert_allclose(got.detach().numpy(), want, rtol=1e-10, atol=1e-10)
    small = [mg.tensor(rng.standard_normal(shape), requires_grad=True, device=device) for shape in ((2, 3, 6), (2, 3, 4))]
    assert mg.gradcheck(lambda *t: F.conv1d(*t, padding="same"), small)


# Tile edges of the CPU kernel (conv.pyx): tiles shrunk to 1, 7 or 40 columns (one output row or
# less, a few rows, several small images per tile with a shorter last stack), and the default. (x shape, w shape, stride, padding, dilation, groups); padding as in F.conv2d or as
# ((top, bottom), (left, right)) through F.pad.
TILE_EDGE_CASES = {
    "tile boundary inside an image": ((2, 3, 11, 7), (4, 3, 3, 3), 1, 1, 1, 1),
    "a single output row": ((2, 2, 3, 9), (3, 2, 3, 2), 1, 0, 1, 1),
    "N=1 with many tiles": ((1, 2, 17, 5), (3, 2, 3, 3), 1, 1, 1, 1),
    "groups=C": ((2, 4, 9, 6), (8, 1, 3, 3), 1, 1, 1, 4),
    "dilation with padding": ((2, 3, 10, 9), (2, 3, 3, 2), 1, 2, (2, 3), 1),
    "asymmetric padding": ((2, 3, 8, 7), (4, 3, 2, 3), (2, 1), ((0, 1), (2, 0)), 1, 1),
    "outputs smaller than a tile": ((3, 2, 4, 4), (3, 2, 3, 3), 2, 0, 1, 1),
    "zero-size batch": ((0, 3, 6, 6), (4, 3, 3, 3), 1, 1, 1, 1),
    "1x1 stride 1 (no packing)": ((2, 6, 5, 7), (4, 3, 1, 1), 1, 0, 1, 2),
    "1x1 stride 2": ((2, 3, 7, 6), (4, 3, 1, 1), 2, 0, 1, 1),
    "1x1 with padding": ((2, 3, 4, 5), (4, 3, 1, 1), 1, 1, 1, 1),
    "tall stride and kernel": ((2, 2, 23, 6), (3, 2, 5, 3), (3, 1), 2, (2, 1), 1),
    "small images, a shorter last stack": ((5, 3, 4, 4), (2, 3, 3, 3), 1, 1, 1, 1),
    "1x1 on small images (stacked, packed)": ((5, 4, 2, 3), (6, 2, 1, 1), 1, 0, 1, 2),
}


def _conv2d_with_padding(x, w, b, stride, padding, dilation, groups):
    if isinstance(padding, tuple) and isinstance(padding[0], tuple):  # asymmetric: F.pad, then none
        (top, bottom), (left, right) = padding
        x = F.pad(x, (left, right, top, bottom))
        padding = 0
    return F.conv2d(x, w, b, stride, padding, dilation, groups)


@pytest.mark.parametrize("tile_columns", [1, 7, 40, None])
@pytest.mark.parametrize("case", list(TILE_EDGE_CASES))
def test_tiles_give_the_reference_at_one_and_two_threads(case, tile_columns, rng, monkeypatch):
    monkeypatch.setattr(conv_loops, "DIRECT_WEIGHT_GRADIENT", False)  # its own tests: TestDirectWeightGradient
    if tile_columns is not None:
        monkeypatch.setattr(conv_loops, "TILE_BYTES", 0)
        monkeypatch.setattr(conv_loops, "MIN_TILE_COLUMNS", tile_columns)
    _check_against_the_reference_at_one_and_two_threads(*TILE_EDGE_CASES[case], rng)


# 3x3 stride-1 convolutions, on the Winograd path whatever their channel counts
WINOGRAD_EDGE_CASES = {
    "odd sizes": ((2, 3, 7, 9), (4, 3, 3, 3), 1, 1, 1, 1),
    "padding 0": ((2, 3, 8, 7), (4, 3, 3, 3), 1, 0, 1, 1),
    "padding 2": ((2, 3, 5, 6), (4, 3, 3, 3), 1, 2, 1, 1),
    "padding 3 (beyond the kernel)": ((1, 2, 4, 5), (3, 2, 3, 3), 1, 3, 1, 1),
    "asymmetric padding": ((2, 3, 6, 7), (4, 3, 3, 3), 1, ((0, 1), (2, 0)), 1, 1),
    "groups": ((2, 4, 7, 6), (6, 2, 3, 3), 1, 1, 1, 2),
    "channels not a multiple of the block": ((2, 5, 6, 6), (7, 5, 3, 3), 1, 1, 1, 1),
    "N=1": ((1, 3, 9, 5), (4, 3, 3, 3), 1, 1, 1, 1),
    "zero-size batch": ((0, 3, 6, 6), (4, 3, 3, 3), 1, 1, 1, 1),
    "one output": ((2, 3, 3, 3), (4, 3, 3, 3), 1, 0, 1, 1),
    "many small images": ((9, 3, 4, 3), (5, 3, 3, 3), 1, 1, 1, 1),
    "large enough for two threads": ((4, 16, 19, 20), (16, 16, 3, 3), 1, 1, 1, 1),
    # conv_winograd.h: rows of 19 blocks (two vectors, then one overlapping them; an odd last column)
    # and 20 output channels (a full channel vector and a partial one)
    "wide odd rows": ((2, 3, 5, 37), (20, 3, 3, 3), 1, 1, 1, 1),
}


@pytest.mark.parametrize("tile_bytes", [0, 3000, None])  # one block row per job, a few, the default
@pytest.mark.parametrize("case", list(WINOGRAD_EDGE_CASES))
def test_winograd_gives_the_reference_at_one_and_two_threads(case, tile_bytes, rng, monkeypatch):
    monkeypatch.setattr(conv_loops, "WINOGRAD_MIN_CHANNELS", 1)
    monkeypatch.setattr(conv_loops, "WINOGRAD_MIN_WIDTH", 1)
    if tile_bytes is not None:
        monkeypatch.setattr(conv_loops, "WINOGRAD_TILE_BYTES", tile_bytes)
    _check_against_the_reference_at_one_and_two_threads(*WINOGRAD_EDGE_CASES[case], rng)


def test_winograd_runs_for_wide_3x3_convolutions_only(rng, monkeypatch):
    # the switch changes the rounding of a wide 3x3 stride-1 convolution, and of nothing else
    monkeypatch.setattr(conv_loops, "WINOGRAD_MIN_CHANNELS", 16)
    x, w = rng.standard_normal((2, 16, 16, 16)).astype(np.float32), rng.standard_normal((16, 16, 3, 3)).astype(np.float32)

    def results():
        tx, tw = mg.tensor(x, requires_grad=True), mg.tensor(w, requires_grad=True)
        y = F.conv2d(tx, tw, padding=1)
        y.backward(mg.ones_like(y))
        narrow = F.conv2d(tx[:, :8], tw[:8, :8], padding=1).detach().numpy()
        strided = F.conv2d(tx, tw, padding=1, stride=2).detach().numpy()
        small = F.conv2d(tx[:, :, :8, :8], tw, padding=1).detach().numpy()
        return y.detach().numpy(), tx.grad.numpy(), narrow, strided, small

    winograd = results()
    monkeypatch.setattr(conv_loops, "WINOGRAD", False)
    tiled = results()
    assert not np.array_equal(winograd[0], tiled[0]) and not np.array_equal(winograd[1], tiled[1])
    np.testing.assert_array_equal(winograd[2], tiled[2])
    np.testing.assert_array_equal(winograd[3], tiled[3])
    np.testing.assert_array_equal(winograd[4], tiled[4])


def _check_against_the_reference_at_one_and_two_threads(x_shape, w_shape, stride, padding, dilation, groups, rng):
    """conv2d's output and gradients in float64 and float32 against the float64 reference, and the
    same bits at 1 and 2 threads. padding may be asymmetric ((top, bottom), (left, right))."""
    x, w, b = rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
    if isinstance(padding, tuple) and isinstance(padding[0], tuple):
        (top, bottom), (left, right) = padding
        ref_x, ref_padding = np.pad(x, [(0, 0), (0, 0), (top, bottom), (left, right)]), 0
    else:
        ref_x, ref_padding = x, padding
    y_shape = reference_conv2d(ref_x, w, b, None, stride, ref_padding, dilation, groups)[0].shape
    gy = rng.standard_normal(y_shape)
    ref_y, ref_gx, ref_gw, ref_gb = reference_conv2d(ref_x, w, b, gy, stride, ref_padding, dilation, groups)
    if ref_padding is not padding:
        ref_gx = ref_gx[:, :, top:top + x_shape[2], left:left + x_shape[3]]
    threads = mg.get_num_threads()
    results = []
    try:
        for n in (1, 2):
            mg.set_num_threads(n)
            for dtype in ("float64", "float32"):
                tensors = [mg.tensor(a, dtype=dtype, requires_grad=True) for a in (x, w, b)]
                y = _conv2d_with_padding(*tensors, stride, padding, dilation, groups)
                y.backward(mg.tensor(gy, dtype=dtype))
                results.append([y.detach().numpy()] + [t.grad.numpy() for t in tensors])
    finally:
        mg.set_num_threads(threads)
    for got, want in zip(results[0], (ref_y, ref_gx, ref_gw, ref_gb)):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)
    for got, want in zip(results[1], (ref_y, ref_gx, ref_gw, ref_gb)):
        np.testing.assert_allclose(got, want, atol=FLOAT32_TOLERANCE * np.abs(want).max(initial=1))
    for one_thread, two_threads in zip(results[:2], results[2:]):  # the same bits at 1 and 2 threads
        for a, c in zip(one_thread, two_threads):
            np.testing.assert_array_equal(a, c)


def test_the_weight_gradient_is_the_same_at_one_and_two_threads_over_many_tiles(rng, monkeypatch):
    # more tiles than partial sums (WEIGHT_BLOCKS), large enough for the parallel path
    monkeypatch.setattr(conv_loops, "DIRECT_WEIGHT_GRADIENT", False)
    monkeypatch.setattr(conv_loops, "TILE_BYTES", 0)
    monkeypatch.setattr(conv_loops, "MIN_TILE_COLUMNS", 40)
    x, gy = rng.standard_normal((24, 8, 20, 20)).astype(np.float32), rng.standard_normal((24, 8, 20, 20))
    w = rng.standard_normal((8, 8, 3, 3)).astype(np.float32)
    threads = mg.get_num_threads()
    grads = []
    try:
        for n in (1, 2, 1):
            mg.set_num_threads(n)
            tw = mg.tensor(w, requires_grad=True)
            F.conv2d(mg.tensor(x), tw, padding=1).backward(mg.tensor(gy, dtype="float32"))
            grads.append(tw.grad.numpy())
    finally:
        mg.set_num_threads(threads)
    np.testing.assert_array_equal(grads[0], grads[1])
    np.testing.assert_array_equal(grads[0], grads[2])
    want = reference_conv2d(x.astype(np.float64), w.astype(np.float64), None, gy, 1, 1, 1, 1)[2]
    np.testing.assert_allclose(grads[0], want, atol=FLOAT32_TOLERANCE * np.abs(want).max())


# The direct weight gradient (conv.pyx's _direct_weight_gradient) on every layer, whatever its pixels per
# job: the edge cases of the tiles and of Winograd, and more
DIRECT_WEIGHT_EDGE_CASES = {
    **{f"tiles: {name}": case for name, case in TILE_EDGE_CASES.items()},
    **{f"winograd: {name}": case for name, case in WINOGRAD_EDGE_CASES.items()},
    "output channels past a vector": ((2, 4, 6, 5), (19, 4, 3, 3), 1, 1, 1, 1),
    "several blocks of taps": ((2, 7, 6, 6), (5, 7, 3, 3), 1, 1, 1, 1),
    "one output channel per group": ((2, 4, 6, 6), (4, 1, 3, 3), 1, 1, 1, 4),
    "stride 2 leaving the last column unread": ((2, 3, 8, 10), (4, 3, 3, 3), 2, 0, 1, 1),
    "dilation 2": ((2, 3, 10, 9), (4, 3, 3, 3), 1, 2, 2, 1),
    "5x5 without padding": ((3, 2, 12, 12), (6, 2, 5, 5), 1, 0, 1, 1),
    "4x4 stride 2": ((2, 3, 16, 16), (8, 3, 4, 4), 2, 1, 1, 1),
    # pairs of output channel vectors (a last odd one alone) and 3-tap runs (mg_wg_*_taps' VECTORS, RUN)
    "a pair and a vector alone, odd width": ((2, 5, 7, 9), (40, 5, 3, 3), 1, 1, 1, 1),
    "pairs over several blocks of runs, stride (1, 2)": ((2, 11, 7, 12), (33, 11, 3, 3), (1, 2), 2, 1, 1),
    "pairs of 5x5 taps without runs": ((2, 3, 9, 9), (36, 3, 5, 5), 1, 2, 1, 1),
    "pairs at dilation (1, 2): no runs": ((2, 4, 9, 11), (34, 4, 3, 3), 1, 1, (1, 2), 1),
    "pairs in groups": ((2, 8, 6, 7), (64, 4, 3, 3), 1, 1, 1, 2),
    "one vector of 16, odd width, no padding": ((3, 5, 7, 9), (16, 5, 3, 3), 1, 0, 1, 1),
    "stride 2 pairs over an odd width": ((2, 6, 11, 13), (48, 6, 3, 3), 2, 1, 1, 1),
}


class TestDirectWeightGradient:
    @pytest.mark.parametrize("job_bytes", [0, 3000, None])  # one output row per job; a few rows or images; default
    @pytest.mark.parametrize("case", list(DIRECT_WEIGHT_EDGE_CASES))
    def test_gives_the_reference_at_one_and_two_threads(self, case, job_bytes, rng, monkeypatch):
        monkeypatch.setattr(conv_loops, "DIRECT_WEIGHT_MIN_PIXELS", 1)
        monkeypatch.setattr(conv_loops, "DIRECT_WEIGHT_MIN_LANES", 0)
        if job_bytes is not None:
            monkeypatch.setattr(conv_loops, "DIRECT_WEIGHT_BYTES", job_bytes)
        _check_against_the_reference_at_one_and_two_threads(*DIRECT_WEIGHT_EDGE_CASES[case], rng)

    @pytest.mark.parametrize("case", list(DIRECT_WEIGHT_EDGE_CASES))
    def test_pairs_and_runs_give_the_bits_of_single_vectors_and_taps(self, case, rng, monkeypatch):
        # the same sums in the same order, whichever micro-kernel instance adds them
        monkeypatch.setattr(conv_loops, "DIRECT_WEIGHT_MIN_PIXELS", 1)
        monkeypatch.setattr(conv_loops, "DIRECT_WEIGHT_MIN_LANES", 0)
        monkeypatch.setattr(conv_loops, "DIRECT_WEIGHT_BYTES", 3000)  # several jobs and partial sums
        x_shape, w_shape, stride, padding, dilation, groups = DIRECT_WEIGHT_EDGE_CASES[case]
        x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
        tx = _conv2d_with_padding(mg.tensor(x), mg.tensor(w), None, stride, padding, dilation, groups)
        gy = rng.standard_normal(tx.shape)

        def weight_gradients(pairs, runs):
            monkeypatch.setattr(conv_loops, "DIRECT_WEIGHT_PAIRS", pairs)
            monkeypatch.setattr(conv_loops, "DIRECT_WEIGHT_RUNS", runs)
            grads = []
            for dtype in ("float32", "float64"):
                tw = mg.tensor(w, dtype=dtype, requires_grad=True)
                y = _conv2d_with_padding(mg.tensor(x, dtype=dtype), tw, None, stride, padding, dilation, groups)
                y.backward(mg.tensor(gy, dtype=dtype))
                grads.append(tw.grad.numpy())
            return grads

        single = weight_gradients(False, False)
        for pairs, runs in [(True, True), (True, False), (False, True)]:
            for got, want in zip(weight_gradients(pairs, runs), single):
                np.testing.assert_array_equal(got, want)

    def test_3x3_layers_run_pairs_and_runs(self, monkeypatch):
        def plan(x_shape, out_channels, dilation=(1, 1), dtype="float32"):
            size = x_shape[2] - 2 * (dilation[0] - 1), x_shape[3] - 2 * (dilation[1] - 1)
            return conv_loops._direct_weight_plan(x_shape, 1, out_channels, (3, 3), (1, 1), (1, 1), dilation, size,
                                                 dtype)

        layer = plan((32, 64, 56, 56), 64)
        assert layer["pairs"] and layer["run"] == 3 and layer["vectors"] in (4, 8)  # 16 or 8 lanes
        assert plan((32, 64, 56, 56), 64, dilation=(1, 2))["run"] == 1
        narrow = plan((8, 16, 16, 16), 16)  # one vector with 16 float32 lanes, two with 8: a pair
        assert narrow["pairs"] == (narrow["vectors"] > 1)
        with pytest.raises(ValueError, match="16 output channels in 0 groups"):
            conv_loops._direct_weight_plan((8, 16, 16, 16), 0, 16, (3, 3), (1, 1), (1, 1), (1, 1), (16, 16), "float32")
        monkeypatch.setattr(conv_loops, "DIRECT_WEIGHT_PAIRS", False)
        monkeypatch.setattr(conv_loops, "DIRECT_WEIGHT_RUNS", False)
        layer = plan((32, 64, 56, 56), 64)
        assert not layer["pairs"] and layer["run"] == 1

    def test_runs_where_jobs_have_enough_pixels_only(self, rng, monkeypatch):
        # float32 rounding tells the paths apart: a narrow layer's weight gradient changes with the
        # switch; a layer with one output pixel per sample (DCGAN's first) and a depthwise layer stay
        # on the tiles; in float64 the two paths agree to rounding
        arrays = []
        for x_shape, w_shape, padding, groups in [((4, 16, 16, 16), (16, 16, 3, 3), 1, 1),
                                                  ((2, 64, 4, 4), (16, 64, 4, 4), 0, 1),
                                                  ((4, 16, 16, 16), (16, 1, 3, 3), 1, 16)]:
            x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
            gy = rng.standard_normal(F.conv2d(mg.tensor(x), mg.tensor(w), padding=padding, groups=groups).shape)
            arrays.append((x, w, gy, padding, groups))

        def weight_gradients(dtype):
            grads = []
            for x, w, gy, padding, groups in arrays:
                tw = mg.tensor(w, dtype=dtype, requires_grad=True)
                y = F.conv2d(mg.tensor(x, dtype=dtype), tw, padding=padding, groups=groups)
                y.backward(mg.tensor(gy, dtype=dtype))
                grads.append(tw.grad.numpy())
            return grads

        direct = weight_gradients("float32"), weight_gradients("float64")
        monkeypatch.setattr(conv_loops, "DIRECT_WEIGHT_GRADIENT", False)
        tiled = weight_gradients("float32"), weight_gradients("float64")
        assert not np.array_equal(direct[0][0], tiled[0][0])
        np.testing.assert_array_equal(direct[0][1], tiled[0][1])
        np.testing.assert_array_equal(direct[0][2], tiled[0][2])
        for got, want in zip(direct[1], tiled[1]):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12 * np.abs(want).max())

    def test_partial_sums_beyond_the_limit_need_more_pixels_per_job(self, rng, monkeypatch):
        # four 8x8 samples, one job of 64 pixels each: the direct path adds four partial sums, the tiles
        # sum in one product, so float32 bits tell them apart
        x, w, gy = (rng.standard_normal(shape).astype(np.float32) for shape in ((4, 16, 8, 8), (16, 16, 3, 3),
                                                                                  (4, 16, 8, 8)))
        monkeypatch.setattr(conv_loops, "DIRECT_WEIGHT_BYTES", 12000)

        def weight_gradient(direct, partial_bytes):
            monkeypatch.setattr(conv_loops, "DIRECT_WEIGHT_GRADIENT", direct)
            monkeypatch.setattr(conv_loops, "DIRECT_WEIGHT_PARTIAL_BYTES", partial_bytes)
            tw = mg.tensor(w, requires_grad=True)
            F.conv2d(mg.tensor(x), tw, padding=1).backward(mg.tensor(gy))
            return tw.grad.numpy()

        tiled = weight_gradient(False, 1 << 20)
        assert not np.array_equal(weight_gradient(True, 1 << 20), tiled)  # 9 KiB of partial sums: direct
        np.testing.assert_array_equal(weight_gradient(True, 4096), tiled)  # over the limit: the tiles


@pytest.mark.gpu
def test_chunks_of_the_batch_give_the_same_result_on_the_gpu(rng, monkeypatch):
    from minigrad._kernels import cuda_loops
    x, w, b = rng.standard_normal((5, 3, 7, 7)), rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4)
    gy = np.cos(np.arange(5 * 4 * 7 * 4)).reshape(5, 4, 7, 4)
    want = reference_conv2d(x, w, b, gy, (1, 2), 1, 1, 1)
    for workspace_bytes in (cuda_loops.CONV_WORKSPACE_BYTES, 1, 2 * 3 * 9 * 28 * 8):  # all, 1, 2 samples
        monkeypatch.setattr(cuda_loops, "CONV_WORKSPACE_BYTES", workspace_bytes)
        tensors = [mg.tensor(a, requires_grad=True, device="cuda") for a in (x, w, b)]
        y = F.conv2d(*tensors, padding=1, stride=(1, 2))
        y.backward(mg.tensor(gy, device="cuda"))
        for got, expected in zip([y.detach()] + [t.grad for t in tensors], want):
            np.testing.assert_allclose(got.numpy(), expected, rtol=1e-10, atol=1e-10)


def test_strided_inputs_give_the_result_of_contiguous_copies(rng):
    x = rng.standard_normal((6, 5, 3, 4)).transpose(3, 2, 1, 0)[::-1]  # (4, 3, 5, 6), no unit stride
    w = np.asfortranarray(rng.standard_normal((2, 3, 2, 3)))
    y_strided = F.conv2d(mg.tensor(x), mg.tensor(w), padding=1).numpy()
    y_copy = F.conv2d(mg.tensor(np.ascontiguousarray(x)), mg.tensor(np.ascontiguousarray(w)), padding=1).numpy()
    np.testing.assert_array_equal(y_strided, y_copy)


def test_only_the_gradients_asked_for_are_computed(rng):
    x = mg.tensor(rng.standard_normal((2, 3, 5, 5)))
    w = mg.tensor(rng.standard_normal((4, 3, 3, 3)), requires_grad=True)
    F.conv2d(x, w).sum().backward()
    assert x.grad is None and w.grad.shape == (4, 3, 3, 3)


@pytest.mark.parametrize("x_shape, w_shape, kwargs, message", [
    ((2, 3, 8, 8), (4, 2, 3, 3), {}, r"has 3 channels.*expects in_channels = weight.shape\[1\] \* groups = 2"),
    ((2, 3, 4, 4), (4, 3, 5, 5), {}, "larger than the padded input"),
    ((2, 3, 4, 4), (4, 3, 3, 3), dict(dilation=2), "larger than the padded input"),
    ((2, 4, 8, 8), (3, 2, 3, 3), dict(groups=2), "groups=2 must divide the 3 output channels"),
    ((8, 8), (4, 3, 3, 3), {}, r"expected 4-D input \(N, C, H, W\) or 3-D unbatched input, got 2-D"),
    ((2, 3, 8, 8), (4, 3, 3), {}, "weight must have 4 dims"),
    ((2, 3, 8, 8), (4, 3, 3, 3), dict(padding=-1), "padding must be an int >= 0"),
    ((2, 3, 8, 8), (4, 3, 3, 3), dict(stride=0), "stride must be an int >= 1"),
    ((2, 3, 8, 8), (4, 3, 3, 3), dict(stride=2, padding="same"), "padding='same' needs stride 1"),
    ((2, 3, 8, 8), (4, 3, 3, 3), dict(padding="full"), "'same' or 'valid'"),
    ((2, 3, 8, 8), (4, 3, 3, 3), dict(groups=0), "groups must be an int >= 1"),
    ((2, 3, 8, 8), (4, 3, 3, 3), dict(dilation=(1, 1, 1)), "conv2d: dilation must be an int or 2 ints, got \\(1, 1, 1\\)"),
])
def test_conv2d_refuses_bad_arguments_naming_the_rule(x_shape, w_shape, kwargs, message):
    with pytest.raises(ValueError, match=message) as info:
        F.conv2d(mg.ones(*x_shape), mg.ones(*w_shape), **kwargs)
    assert str(info.value).startswith("conv2d: ")


def test_conv2d_refuses_mixed_dtypes_and_a_bias_of_the_wrong_size():
    with pytest.raises(TypeError, match="dtype mismatch"):
        F.conv2d(mg.ones(1, 1, 3, 3), mg.ones(1, 1, 2, 2, dtype="float64"))
    with pytest.raises(ValueError, match=r"bias must have shape \(2,\)"):
        F.conv2d(mg.ones(1, 1, 3, 3), mg.ones(2, 1, 2, 2), mg.ones(3))
    with pytest.raises(ValueError, match="conv1d: expected 3-D input"):
        F.conv1d(mg.ones(1, 1, 3, 3), mg.ones(2, 1, 2))


def test_kernel_front_refuses_what_would_break_a_loop():
    kernels = cpu
    x, w = np.ones((1, 2, 4, 4)), np.ones((3, 2, 3, 3))
    with pytest.raises(ValueError, match="larger than the padded input"):
        kernels.conv2d_forward(x, np.ones((3, 2, 5, 5)), None, (1, 1), ((0, 0), (0, 0)), (1, 1), 1)
    with pytest.raises(ValueError, match="padding must be two ints >= 0"):
        kernels.conv2d_forward(x, w, None, (1, 1), ((-1, 0), (0, 0)), (1, 1), 1)
    with pytest.raises(TypeError, match="share dtype"):
        kernels.conv2d_forward(x, w.astype(np.float32), None, (1, 1), ((0, 0), (0, 0)), (1, 1), 1)
    with pytest.raises(ValueError, match=r"gy must be float64 of shape \(1, 3, 2, 2\)"):
        kernels.conv2d_backward(np.ones((1, 3, 3, 3)), x, w, (1, 1), ((0, 0), (0, 0)), (1, 1), 1, True, True, True)


@pytest.mark.parametrize("padding, stride", [(1, 1), (2, 2)])
def test_the_threaded_im2col_and_col2im_match_the_reference_every_time(padding, stride, rng):
    # large enough for the parallel path (N * C * KH * KW * OH * OW > PARALLEL_MIN) on 2 threads: a
    # loop variable shared between threads once made the padded edges differ from run to run
    threads = mg.get_num_threads()
    mg.set_num_threads(2)
    try:
        x = rng.standard_normal((64, 8, 16, 16))
        w = rng.standard_normal((4, 8, 3, 3))
        gy = rng.standard_normal(F.conv2d(mg.tensor(x), mg.tensor(w), stride=stride, padding=padding).shape)
        ref_y, ref_gx, ref_gw, _ = reference_conv2d(x, w, None, gy, stride, padding, 1, 1)
        for _ in range(3):
            tx, tw = mg.tensor(x, requires_grad=True), mg.tensor(w, requires_grad=True)
            y = F.conv2d(tx, tw, stride=stride, padding=padding)
            y.backward(mg.tensor(gy))
            np.testing.assert_allclose(y.detach().numpy(), ref_y, rtol=1e-10, atol=1e-10)
            np.testing.assert_allclose(tx.grad.numpy(), ref_gx, rtol=1e-10, atol=1e-10)
            np.testing.assert_allclose(tw.grad.numpy(), ref_gw, rtol=1e-10, atol=1e-10)
    finally:
        mg.set_num_threads(threads)


@pytest.mark.gpu
@pytest.mark.parametrize("dtype, tol", [("float64", 1e-10), ("float32", 1e-4)])
@pytest.mark.parametrize("stride, padding, dilation, groups", [(1, 1, 1, 1), (2, (2, 0), (1, 2), 2), (1, "same", 2, 1)])
def test_conv2d_outputs_and_gradients_match(stride, padding, dilation, groups, dtype, tol, rng):
    x, w, b = rng.standard_normal((5, 4, 11, 9)), rng.standard_normal((6, 4 // groups, 3, 2)), rng.standard_normal(6)
    results = []
    for device in ("cpu", "cuda"):
        tx, tw, tb = (mg.tensor(a, dtype=dtype, requires_grad=True, device=device) for a in (x, w, b))
        y = F.conv2d(tx, tw, tb, stride, padding, dilation, groups)
        y.backward(mg.tensor(np.cos(np.arange(y.numel())).reshape(y.shape), dtype=dtype, device=device))
        results.append([a.detach().numpy() for a in (y, tx.grad, tw.grad, tb.grad)])
    for name, a, b in zip(["y", "gx", "gw", "gb"], *results):
        np.testing.assert_allclose(b, a, rtol=tol, atol=tol * np.abs(a).max(), err_msg=name)


def test_unbatched_input_is_a_batch_of_one_as_torch():
    x = np.random.default_rng(0).standard_normal((3, 8))
    w = np.random.default_rng(1).standard_normal((2, 3, 2))
    tx, tw = mg.tensor(x, requires_grad=True), mg.tensor(w, requires_grad=True)
    y = F.conv1d(tx, tw)
    assert y.shape == (2, 7)
    batched = F.conv1d(mg.tensor(x[None]), mg.tensor(w))
    np.testing.assert_allclose(y.detach().numpy(), batched.detach().numpy()[0], rtol=1e-12)
    assert mg.gradcheck(lambda a, b: F.conv1d(a, b), [tx, tw])
    assert F.conv2d(mg.ones(3, 5, 5), mg.ones(4, 3, 2, 2), padding=1).shape == (4, 6, 6)


# ---- The direct convolution (conv_direct.h): the forward of every kernel but 1x1 and the input
# gradient of stride-1 convolutions with 8 or more input channels, on narrow layers. Runs of MGD_P output
# pixels (16 with AVX-512, 12 otherwise) and blocks of MGD_V channels (16 / 8 floats, 8 / 4 doubles):
# widths and channel counts around them; row blocks of one output row per job (buffer 0) and the default.
# Column stride 2 reads unsplit rows at a step of 2 (mgd_row_step2), strides above 2 rows split into phases;
# rows of MGD_P / 2 pixels or fewer run two at a time (mgd_two_rows), an odd last row of a job alone.
DIRECT_EDGE_CASES = {
    "odd width, a short last run": ((2, 9, 5, 17), (5, 9, 3, 3), 1, 1, 1, 1),
    "width over two runs, 33 channels (three blocks)": ((2, 4, 6, 37), (33, 4, 3, 3), 1, 1, 1, 1),
    "channels not a multiple of the block": ((2, 19, 6, 9), (7, 19, 3, 3), 1, 1, 1, 1),
    "padding 0": ((2, 3, 7, 8), (4, 3, 3, 3), 1, 0, 1, 1),
    "padding 2": ((2, 10, 5, 6), (9, 10, 3, 3), 1, 2, 1, 1),
    "padding beyond the kernel (the adjoint reads from inside)": ((1, 9, 4, 5), (3, 9, 3, 3), 1, 3, 1, 1),
    "asymmetric padding": ((2, 11, 6, 7), (4, 11, 2, 3), 1, ((0, 1), (2, 0)), 1, 1),
    "stride 2": ((2, 3, 11, 21), (17, 3, 3, 3), 2, 1, 1, 1),
    "stride (3, 2), 4x4 kernel": ((2, 3, 13, 26), (9, 3, 4, 4), (3, 2), 1, 1, 1),
    "dilation 2": ((2, 12, 9, 19), (6, 12, 3, 3), 1, 2, 2, 1),
    "dilation (1, 3) with stride 2": ((1, 2, 8, 23), (5, 2, 2, 3), (1, 2), 1, (1, 3), 1),
    "groups": ((2, 18, 7, 6), (34, 9, 3, 3), 1, 1, 1, 2),
    "depthwise": ((2, 5, 6, 18), (5, 1, 3, 3), 1, 1, 1, 5),
    "N=1": ((1, 9, 9, 5), (4, 9, 5, 5), 1, 2, 1, 1),
    "a single output pixel": ((2, 3, 3, 3), (20, 3, 3, 3), 1, 0, 1, 1),
    "a single input pixel": ((2, 9, 1, 1), (4, 9, 3, 3), 1, 1, 1, 1),
    "kernel larger than the image, padded": ((2, 9, 2, 3), (3, 9, 5, 5), 1, 2, 1, 1),
    "LeNet's 5x5": ((3, 6, 12, 12), (16, 6, 5, 5), 1, 0, 1, 1),
    "large enough for two threads": ((4, 16, 19, 20), (16, 16, 3, 3), 1, 1, 1, 1),
    "stride 2, padding 0, odd width over two runs and a tail": ((2, 5, 9, 69), (7, 5, 3, 3), 2, 0, 1, 1),
    "stride 2, padding 2, a run and a tail": ((2, 4, 8, 41), (18, 4, 3, 3), 2, 2, 1, 1),
    "stride 2, even width (the last padded column unread)": ((2, 3, 7, 20), (5, 3, 3, 3), 2, 1, 1, 1),
    "stride 2, asymmetric padding": ((2, 6, 9, 36), (5, 6, 3, 3), 2, ((1, 0), (0, 2)), 1, 1),
    "stride 2, asymmetric padding, odd widths": ((2, 3, 8, 33), (4, 3, 2, 3), 2, ((2, 1), (1, 0)), 1, 1),
    "stride (1, 2)": ((2, 5, 6, 35), (6, 5, 3, 3), (1, 2), 1, 1, 1),
    "stride (2, 1)": ((2, 5, 9, 20), (6, 5, 3, 3), (2, 1), 1, 1, 1),
    "stride 3, phases": ((2, 4, 10, 50), (6, 4, 3, 3), 3, 1, 1, 1),
    "stride (2, 3), dilation 2": ((1, 3, 12, 40), (5, 3, 3, 3), (2, 3), 2, 2, 1),
    "stride 2, dilation 2": ((2, 4, 11, 40), (6, 4, 3, 3), 2, 2, 2, 1),
    "stride 2, groups": ((2, 12, 8, 37), (20, 6, 3, 3), 2, 1, 1, 2),
    "stride 2, depthwise": ((2, 5, 7, 23), (5, 1, 3, 3), 2, 1, 1, 5),
    "stride 2, DCGAN's 4x4 kernel": ((2, 8, 16, 18), (24, 8, 4, 4), 2, 1, 1, 1),
    "stride 2, a single output column": ((2, 3, 5, 3), (4, 3, 3, 3), 2, 0, 1, 1),
    "stride 2, 128 channels on 17x17 outputs (direct at any width)": ((1, 128, 33, 34), (18, 128, 3, 3), 2, 1, 1, 1),
    "stride 2, large enough for two threads": ((4, 16, 23, 42), (16, 16, 3, 3), 2, 1, 1, 1),
    "two rows per run, width 8, an odd row count, stride 2": ((2, 5, 17, 16), (20, 5, 3, 3), 2, 1, 1, 1),
    "two rows per run, width 7, three blocks": ((2, 6, 7, 7), (33, 6, 3, 3), 1, 1, 1, 1),
    "two rows per run, width 6": ((2, 4, 9, 6), (9, 4, 3, 3), 1, 1, 1, 1),
    "two rows per run, width 3, stride (1, 2), dilation 2, asymmetric padding":
        ((2, 3, 9, 8), (5, 3, 3, 3), (1, 2), ((1, 2), (0, 1)), 2, 1),
    "two rows per run, width 7, stride 3 (phases)": ((2, 4, 14, 20), (6, 4, 3, 3), 3, 1, 1, 1),
    "two rows per run, groups": ((3, 8, 10, 10), (12, 4, 3, 3), 2, 1, 1, 2),
    "rows of 2 items copied (8 or 16 bytes)": ((2, 3, 5, 2), (4, 3, 3, 3), 1, 1, 1, 1),
    "rows of 4 items copied, padding 0": ((2, 5, 6, 4), (6, 5, 3, 3), 1, 0, 1, 1),
    "rows of 16 items copied (64 or 128 bytes)": ((2, 4, 5, 16), (5, 4, 3, 3), 1, 1, 1, 1),
    "rows of 24 items copied, padding (0, 2) columns": ((2, 3, 5, 24), (4, 3, 3, 3), 1, ((1, 1), (0, 2)), 1, 1),
    "rows of 1 item copied, 3x4 kernel, padding (0, 2) rows and (3, 0) columns": ((1, 3, 9, 1), (4, 3, 3, 4), 1, ((0, 2), (3, 0)), 1, 1),
}


# The strided input gradient's stride phases (conv_adjoint.h): at least 8 input channels, so that the
# written channels fill half a float32 vector and the direct path runs
DIRECT_STRIDED_ADJOINT_CASES = {
    "stride 2, odd sizes": ((2, 8, 11, 13), (12, 8, 3, 3), 2, 1, 1, 1),
    "stride 2, padding 0": ((2, 9, 10, 9), (7, 9, 3, 3), 2, 0, 1, 1),
    "stride 2, padding 2": ((1, 8, 9, 12), (5, 8, 3, 3), 2, 2, 1, 1),
    "stride 3": ((2, 8, 14, 17), (6, 8, 3, 3), 3, 1, 1, 1),
    "stride 3, 2x2 kernel (a phase without taps)": ((2, 8, 10, 11), (4, 8, 2, 2), 3, 0, 1, 1),
    "stride 4 beyond the kernel, rows and columns no window reads": ((2, 8, 10, 11), (4, 8, 3, 3), 4, 0, 1, 1),
    "stride (2, 3), 4x4 kernel, asymmetric padding": ((2, 8, 13, 16), (5, 8, 4, 4), (2, 3), ((1, 2), (0, 1)), 1, 1),
    "stride (1, 2)": ((2, 8, 6, 15), (5, 8, 3, 3), (1, 2), 1, 1, 1),
    "stride 2, dilation 2 (every tap in one phase)": ((2, 8, 12, 13), (6, 8, 3, 3), 2, 2, 2, 1),
    "stride 2, dilation 3": ((1, 8, 15, 14), (4, 8, 3, 3), 2, 3, 3, 1),
    "stride 2, groups": ((2, 16, 9, 11), (12, 8, 3, 3), 2, 1, 1, 2),
    "stride 2, 20 channels (two blocks), width over two runs": ((2, 20, 7, 70), (9, 20, 3, 3), 2, 1, 1, 1),
    "stride 2, DCGAN's 4x4 kernel": ((2, 16, 8, 8), (24, 16, 4, 4), 2, 1, 1, 1),
    "stride 2, a single output pixel": ((2, 8, 3, 3), (5, 8, 3, 3), 2, 0, 1, 1),
    "stride 2, large enough for two threads": ((4, 16, 24, 26), (32, 16, 3, 3), 2, 1, 1, 1),
}
ALL_DIRECT_CASES = {**DIRECT_EDGE_CASES, **DIRECT_STRIDED_ADJOINT_CASES}


@pytest.mark.parametrize("pair_bytes", [0, None])  # 0: two channel blocks per run wherever rows are wide enough
@pytest.mark.parametrize("buffer_bytes", [0, None])
@pytest.mark.parametrize("case", list(ALL_DIRECT_CASES))
def test_direct_convolution_gives_the_reference_at_one_and_two_threads(case, buffer_bytes, pair_bytes, rng,
                                                                        monkeypatch):
    if buffer_bytes is not None:
        monkeypatch.setattr(conv_loops, "DIRECT_BUFFER_BYTES", buffer_bytes)
    if pair_bytes is not None:
        monkeypatch.setattr(conv_loops, "DIRECT_PAIR_WEIGHT_BYTES", pair_bytes)
    _check_against_the_reference_at_one_and_two_threads(*ALL_DIRECT_CASES[case], rng)


# Two channel blocks per run must give each output the bits of single-block runs (the same taps in the same
# order): widths of a full run of pairs and a tail, the second block full or partial, bias, stride 2, the
# stride-1 input gradient (the adjoint packing) and the strided one (its stride phases, conv_adjoint.h).
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("x_shape, w_shape, stride", [
    ((3, 64, 8, 8), (64, 64, 3, 3), 1),        # ResNet-14's 8x8 layer: full runs, four blocks in float32
    ((2, 5, 6, 21), (40, 5, 3, 3), 1),         # 21 columns: two full runs and a tail; a partial last block
    ((2, 7, 9, 19), (20, 7, 3, 3), 2),         # stride 2, a partial second block in float32
    ((2, 9, 5, 30), (33, 9, 3, 3), (1, 2)),    # an odd block count: two blocks in a pair, one alone
    ((2, 20, 9, 19), (12, 20, 3, 3), 2),       # the strided input gradient's phases: 20 gx channels
    ((2, 40, 8, 8), (9, 40, 4, 4), (2, 3)),    # its phases with a 4x4 kernel: 40 gx channels, odd block count
])
def test_two_channel_blocks_per_run_give_the_bits_of_one(x_shape, w_shape, stride, dtype, rng, monkeypatch):
    x, w, b = (rng.standard_normal(shape).astype(dtype) for shape in (x_shape, w_shape, w_shape[:1]))

    def results():
        tx, tw, tb = (mg.tensor(a, requires_grad=True) for a in (x, w, b))
        y = F.conv2d(tx, tw, tb, stride=stride, padding=1)
        y.backward(mg.tensor(np.cos(np.arange(y.numel())).reshape(y.shape).astype(dtype)))
        return y.detach().numpy(), tx.grad.numpy()

    monkeypatch.setattr(conv_loops, "DIRECT_PAIR_WEIGHT_BYTES", 0)
    pairs = results()
    monkeypatch.setattr(conv_loops, "DIRECT_PAIR_WEIGHT_BYTES", 1 << 40)
    for a, c in zip(pairs, results()):
        np.testing.assert_array_equal(a, c)
    if dtype == "float64":  # the tiles round differently, so the direct kernels ran (float32's forward
        # can take the tiles' order of taps, and its input gradient of 5 channels runs on the tiles)
        monkeypatch.setattr(conv_loops, "DIRECT", False)
        assert any(not np.array_equal(a, c) for a, c in zip(pairs, results()))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", ["width over two runs, 33 channels (three blocks)", "stride 2", "groups",
                                  "padding beyond the kernel (the adjoint reads from inside)",
                                  "stride 2, padding 2, a run and a tail", "stride 2, asymmetric padding",
                                  "stride 2, groups", "stride 3, phases",
                                  *DIRECT_STRIDED_ADJOINT_CASES])
def test_direct_and_tiled_convolutions_agree_to_rounding(case, dtype, rng, monkeypatch):
    x_shape, w_shape, stride, padding, dilation, groups = ALL_DIRECT_CASES[case]
    x, w, b = (rng.standard_normal(shape).astype(dtype) for shape in (x_shape, w_shape, w_shape[:1]))

    def results():
        tx, tw, tb = (mg.tensor(a, requires_grad=True) for a in (x, w, b))
        y = _conv2d_with_padding(tx, tw, tb, stride, padding, dilation, groups)
        y.backward(mg.tensor(np.cos(np.arange(y.numel())).reshape(y.shape).astype(dtype)))
        return y.detach().numpy(), tx.grad.numpy()

    direct = results()
    monkeypatch.setattr(conv_loops, "DIRECT", False)
    tiled = results()
    for a, c in zip(direct, tiled):
        np.testing.assert_allclose(a, c, rtol=1e-5 if dtype == "float32" else 1e-12,
                                   atol=(1e-5 if dtype == "float32" else 1e-12) * np.abs(c).max())


def test_the_strided_input_gradient_runs_direct(rng, monkeypatch):
    # the agreement above holds whichever path runs: the direct one must change the rounding of gx
    x_shape, w_shape, stride, padding, _, _ = DIRECT_STRIDED_ADJOINT_CASES["stride 2, large enough for two threads"]
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)

    def input_gradient():
        tx = mg.tensor(x, requires_grad=True)
        F.conv2d(tx, mg.tensor(w), stride=stride, padding=padding).sum().backward()
        return tx.grad.numpy()

    direct = input_gradient()
    monkeypatch.setattr(conv_loops, "DIRECT", False)
    assert not np.array_equal(direct, input_gradient())


@pytest.mark.parametrize("gy_size, runs_direct", [(4, False), (8, False), (16, True)])
def test_the_strided_input_gradient_of_wide_channels_runs_tiled_on_a_small_gy(gy_size, runs_direct, rng,
                                                                             monkeypatch):
    # 128 -> 128 channels, stride 2, DCGAN's 4x4 kernel: the phases load each weight vector for gy's
    # few columns, and the tiles win below 16x16
    x = mg.tensor(rng.standard_normal((1, 128, 2 * gy_size, 2 * gy_size)), requires_grad=True)
    w = mg.tensor(rng.standard_normal((128, 128, 4, 4)))

    def input_gradient():
        x.grad = None
        F.conv2d(x, w, stride=2, padding=1).sum().backward()
        return x.grad.numpy()

    chosen = input_gradient()
    monkeypatch.setattr(conv_loops, "DIRECT", False)
    assert np.array_equal(chosen, input_gradient()) != runs_direct


def test_a_wide_stride_2_forward_runs_direct(rng, monkeypatch):
    # 128 channels on 17x17 outputs: the tiled GEMM at column stride 1, the direct loop at column stride 2
    x_shape, w_shape, stride, padding, _, _ = DIRECT_EDGE_CASES[
        "stride 2, 128 channels on 17x17 outputs (direct at any width)"]
    x, w = mg.tensor(rng.standard_normal(x_shape)), mg.tensor(rng.standard_normal(w_shape))

    def forwards():
        return [F.conv2d(x, w, stride=s, padding=padding).numpy() for s in (stride, (stride, 1))]

    direct = forwards()
    monkeypatch.setattr(conv_loops, "DIRECT", False)
    tiled = forwards()
    assert not np.array_equal(direct[0], tiled[0])  # the switch changes the rounding: stride 2 ran direct
    np.testing.assert_array_equal(direct[1], tiled[1])  # stride (2, 1): tiled either way


@pytest.mark.parametrize("kernel, stride", [(3, 1), (4, 2)])
def test_a_transposed_convolution_agrees_with_the_tiled_one(kernel, stride, rng, monkeypatch):
    # conv_transpose2d's forward is conv2d's input gradient: the direct one here (16 channels written),
    # stride 2 as in DCGAN's generator
    x, w = rng.standard_normal((2, 20, 5, 18)), rng.standard_normal((20, 16, kernel, kernel))
    want = F.conv_transpose2d(mg.tensor(x), mg.tensor(w), stride=stride, padding=1).numpy()
    monkeypatch.setattr(conv_loops, "DIRECT", False)
    np.testing.assert_allclose(F.conv_transpose2d(mg.tensor(x), mg.tensor(w), stride=stride, padding=1).numpy(),
                               want, rtol=1e-12, atol=1e-12)
