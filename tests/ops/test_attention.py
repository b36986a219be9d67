"""F.scaled_dot_product_attention (ops/attention.py) beyond the op table: dropout on the weights
(statistics, seeded masks, p = 0 exact, gradients through the same mask), memory that does not grow
with L x S, rows with every key masked (torch 2.13: zeros, zero gradients), a float mask's gradient
(summed over the dims it broadcast, blockwise) and refusals."""
import tracemalloc

import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
from minigrad._kernels import attention as attention_loops
from minigrad._kernels import dropout as dropout_loops

sdpa = F.scaled_dot_product_attention


def _one_hot_values(L, S, device, dtype="float64"):
    """q = k = 0 (uniform weights 1/S) and v = eye(S): out[i, j] = S^-1 * dropout factor of (i, j)."""
    q, k = mg.zeros(1, L, 4, dtype=dtype, device=device), mg.zeros(1, S, 4, dtype=dtype, device=device)
    return q, k, mg.eye(S, dtype=dtype, device=device).reshape(1, S, S)


@pytest.mark.parametrize("p", [0.2, 0.6])
def test_dropout_drops_a_fraction_p_and_scales_the_rest(p, device):
    L, S = (64, 128) if device == "cpu" else (16, 32)
    q, k, v = _one_hot_values(L, S, device)
    factors = sdpa(q, k, v, dropout_p=p).numpy() * S
    kept = factors != 0
    assert abs(kept.mean() - (1 - p)) < 4 * np.sqrt(p * (1 - p) / kept.size)
    np.testing.assert_allclose(factors[kept], 1 / (1 - p), rtol=1e-12)


def test_dropout_masks_follow_the_seed_and_p_zero_is_exact(device):
    q, k, v = (mg.randn(2, 9, 4, dtype="float64", device=device) for _ in range(3))
    mg.manual_seed(3)
    first = sdpa(q, k, v, dropout_p=0.4).numpy()
    mg.manual_seed(3)
    np.testing.assert_array_equal(sdpa(q, k, v, dropout_p=0.4).numpy(), first)
    assert not np.array_equal(sdpa(q, k, v, dropout_p=0.4).numpy(), first)  # the next call, a new mask
    np.testing.assert_array_equal(sdpa(q, k, v, dropout_p=0.0).numpy(), sdpa(q, k, v).numpy())
    np.testing.assert_array_equal(sdpa(q, k, v, dropout_p=1.0).numpy(), 0)


def test_dropout_gradient_goes_through_the_forward_mask(device):
    def seeded(q, k, v):
        mg.manual_seed(11)  # every call of gradcheck draws the same mask
        return sdpa(q, k, v, dropout_p=0.3, is_causal=True)
    inputs = [mg.randn(1, 2, 7, 3, dtype="float64", device=device, requires_grad=True) for _ in range(3)]
    assert mg.gradcheck(seeded, inputs)


@pytest.mark.parametrize("options", [{"is_causal": True}, {"enable_gqa": True}], ids=["causal", "gqa"])
def test_double_backward_with_dropout_goes_through_the_forward_mask(options, device):
    def seeded(q, k, v):
        mg.manual_seed(11)
        return sdpa(q, k, v, dropout_p=0.3, **options)
    rng = np.random.default_rng(0)
    inputs = [mg.tensor(rng.standard_normal(shape), device=device, requires_grad=True)
              for shape in ((1, 4, 5, 3), (1, 2, 6, 3), (1, 2, 6, 2))] if options.get("enable_gqa") else \
             [mg.tensor(rng.standard_normal((2, 5, 3)), device=device, requires_grad=True) for _ in range(3)]
    # gradgradcheck: the second derivatives against finite differences of the first-order gradient,
    # and the create_graph gradient against the kernel's
    assert mg.autograd.gradgradcheck(seeded, inputs)


def test_double_backward_reads_the_dropout_factors_in_column_chunks(device, monkeypatch):
    # the factors come back through the forward kernel at most CUDA_HEAD_DIM_MAX columns at a time
    monkeypatch.setattr("minigrad.ops.attention.CUDA_HEAD_DIM_MAX", 2)

    def seeded(q, k, v):
        mg.manual_seed(5)
        return sdpa(q, k, v, dropout_p=0.4)
    rng = np.random.default_rng(2)
    inputs = [mg.tensor(rng.standard_normal(shape), device=device, requires_grad=True)
              for shape in ((2, 3, 2), (2, 5, 2), (2, 5, 2))]
    assert mg.autograd.gradgradcheck(seeded, inputs)


def test_dropout_matches_the_naive_attention_with_the_same_mask():
    L, S = 5, 7
    q, k, v = _one_hot_values(L, S, "cpu")
    mg.manual_seed(5)
    factors = sdpa(q, k, v, dropout_p=0.5).numpy()[0] * S  # the mask of the next call with this seed
    rng = np.random.default_rng(0)
    qa, ka, va = rng.standard_normal((1, L, 3)), rng.standard_normal((1, S, 3)), rng.standard_normal((1, S, 2))
    scores = qa[0] @ ka[0].T / np.sqrt(3)
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    expected = (weights / weights.sum(-1, keepdims=True) * factors) @ va[0]
    mg.manual_seed(5)
    out = sdpa(mg.tensor(qa), mg.tensor(ka), mg.tensor(va), dropout_p=0.5)
    np.testing.assert_allclose(out.numpy()[0], expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("options", [{}, {"is_causal": True}, {"enable_gqa": True}, {"mask": True}],
                         ids=["plain", "causal", "gqa", "mask"])
def test_gradients_across_the_cpu_kernels_blocks(options):
    """gradcheck with L and S past the kernel's 64-row query blocks and 128-key blocks (the op table
    keeps these samples forward-only, for the emulated GPU's sake)."""
    rng = np.random.default_rng(0)
    kv_heads = 1 if options.get("enable_gqa") else 2
    q = mg.tensor(rng.standard_normal((2, 67, 2)), requires_grad=True)
    k = mg.tensor(rng.standard_normal((kv_heads, 130, 2)), requires_grad=True)
    v = mg.tensor(rng.standard_normal((kv_heads, 130, 1)), requires_grad=True)
    mask = mg.tensor(rng.random((67, 130)) < 0.8) if options.pop("mask", False) else None
    assert mg.gradcheck(lambda q, k, v: sdpa(q, k, v, attn_mask=mask, **options), [q, k, v])


def test_cpu_kernel_drops_the_weights_that_the_philox_rule_names():
    """attention.h's rule: weight x = (b * L + i) * S + j is kept when word x % 4 of Philox block x // 4
    is at least the threshold; rows of S = 37 keys start inside a block, and span several batches of
    blocks."""
    B, L, S, threshold, seed, offset = 2, 3, 37, 2**31, 12345678901, 7
    q, k = np.zeros((B, L, 4)), np.zeros((B, S, 4))
    v = np.broadcast_to(np.eye(S), (B, S, S)).copy()  # out[b, i, j] = factor of weight (b, i, j) / S
    out, lse = np.empty((B, L, S)), np.empty((B, L))
    attention_loops.attention_forward(q, k, v, None, None, out, lse, 0.5, False, threshold, 2.0, seed, offset)
    words = [word for block in range((B * L * S + 3) // 4) for word in dropout_loops.philox4x32(block, offset, seed)]
    kept = np.array(words[:B * L * S]).reshape(B, L, S) >= threshold
    np.testing.assert_allclose(out * S, np.where(kept, 2.0, 0.0), rtol=1e-12)


@pytest.mark.parametrize("options", [{}, {"is_causal": True}, {"dropout_p": 0.3}], ids=["plain", "causal", "dropout"])
def test_cpu_kernels_give_the_same_bits_on_one_and_two_threads(options):
    """Work past the kernels' one-thread limit, blocks cut short at both ends: each task's GEMM calls
    and sums do not depend on how many threads share the tasks."""
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((3, 4, 200, 24)).astype(np.float32) for _ in range(4)]
    results = []
    threads = mg.get_num_threads()
    try:
        for count in (1, 2):
            mg.set_num_threads(count)
            mg.manual_seed(0)
            q, k, v = (mg.tensor(a, requires_grad=True) for a in arrays[:3])
            out = sdpa(q, k, v, **options)
            out.backward(mg.tensor(arrays[3]))
            results.append([t.detach().numpy() for t in (out, q.grad, k.grad, v.grad)])
    finally:
        mg.set_num_threads(threads)
    for one, two in zip(*results):
        np.testing.assert_array_equal(one, two)


def test_memory_grows_with_the_sequence_not_its_square():
    L = S = 2048  # the (L, S) float32 weights would be 16 MiB
    q, k, v = (mg.randn(1, L, 16, requires_grad=True) for _ in range(3))
    grad = mg.randn(1, L, 16)
    tracemalloc.start()
    sdpa(q, k, v, is_causal=True).backward(grad)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 4 << 20, f"forward + backward peaked at {peak} bytes"


def test_rows_with_every_key_masked_give_zeros_and_zero_gradients(device):
    # torch 2.13 (CPU): out[0, 1] = 0 and the gradients are finite, zero through that row
    q, k, v = (mg.randn(1, n, 4, dtype="float64", device=device, requires_grad=True) for n in (3, 5, 5))
    mask = mg.ones(3, 5, dtype=mg.bool, device=device)
    mask[1] = False
    out = sdpa(q, k, v, attn_mask=mask)
    out.sum().backward()
    np.testing.assert_array_equal(out.detach().numpy()[0, 1], 0)
    np.testing.assert_array_equal(q.grad.numpy()[0, 1], 0)
    for t in (q, k, v):
        assert np.isfinite(t.grad.numpy()).all()
    float_mask = mg.zeros(3, 5, dtype="float64", device=device).masked_fill(~mask, -np.inf)
    np.testing.assert_array_equal(sdpa(q, k, v, attn_mask=float_mask).detach().numpy(), out.detach().numpy())


def _naive_mask_gradient(q, k, v, mask, gout, scale, factors=None):
    """d(sum(out * gout))/d(mask) by the textbook formula, (B, L, S) before summing broadcast dims."""
    scores = q @ np.swapaxes(k, -1, -2) * scale + mask
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    dp = gout @ np.swapaxes(v, -1, -2) * (1 if factors is None else factors)
    return weights * (dp - (weights * dp).sum(-1, keepdims=True))


@pytest.mark.parametrize("dropout_p", [0.0, 0.3])
def test_mask_gradient_sums_over_heads_and_broadcast_dims_blockwise(dropout_p, device, monkeypatch):
    """A (1, 1, S) float mask broadcast over 2 batches, 2 heads and the query rows: its gradient is the
    softmax input's summed over those dims; 3 query rows a block (the block size is 1M weights). (A
    mask broadcast over the keys has gradient 0: it adds one constant to a row's scores.)"""
    monkeypatch.setattr("minigrad._kernels.front.attention.MASK_GRAD_BLOCK", 3 * 4 * 7)
    rng = np.random.default_rng(4)
    qa, ka, va = rng.standard_normal((2, 2, 8, 3)), rng.standard_normal((2, 2, 7, 3)), rng.standard_normal((2, 2, 7, 2))
    mask_a, gout = rng.standard_normal((1, 1, 7)), rng.standard_normal((2, 2, 8, 2))
    q, k, v = (mg.tensor(a, device=device) for a in (qa, ka, va))
    mask = mg.tensor(mask_a, device=device, requires_grad=True)
    mg.manual_seed(2)
    sdpa(q, k, v, attn_mask=mask, dropout_p=dropout_p).backward(mg.tensor(gout, device=device))
    factors = None
    if dropout_p:
        one_hot = _one_hot_values(8, 7, device)
        mg.manual_seed(2)  # the same stream: the same dropout factors, read through one-hot values
        factors = sdpa(*(t.expand(4, *t.shape[1:]) for t in one_hot), dropout_p=dropout_p).numpy().reshape(2, 2, 8, 7) * 7
    expected = _naive_mask_gradient(qa, ka, va, mask_a, gout, 1 / np.sqrt(3), factors).sum(axis=(0, 1, 2))
    assert np.abs(expected).min() > 1e-3
    np.testing.assert_allclose(mask.grad.numpy(), expected.reshape(1, 1, 7), rtol=1e-10, atol=1e-12)


def test_mask_gradient_is_zero_where_the_mask_is_minus_inf_and_on_fully_masked_rows(device):
    rng = np.random.default_rng(5)
    q, k, v = (mg.tensor(rng.standard_normal((2, 4, 3)), device=device) for _ in range(3))
    mask_a = rng.standard_normal((4, 4))
    mask_a[1] = -np.inf
    mask_a[2, 0] = -np.inf
    mask = mg.tensor(mask_a, device=device, requires_grad=True)
    sdpa(q, k, v, attn_mask=mask).sum().backward()
    grad = mask.grad.numpy()
    assert np.isfinite(grad).all() and (grad[1] == 0).all() and grad[2, 0] == 0 and (grad[0] != 0).all()


def test_refuses_out_of_range_mask_indices():
    q = mg.randn(2, 3, 4)
    from minigrad._kernels import cpu
    a = q.numpy()
    with pytest.raises(ValueError, match="mask_index must lie in"):
        cpu.attention_forward(a, a, a, np.zeros((1, 3, 3), np.float32), np.array([0, 1]), 1.0, False, (0, 1.0, 0, 0))
