"""GPU tests that belong in files another helper of issue 18 owns: the CUDA kernels' refusals and
SyncBatchNorm's kernel entries (tests/_kernels/), the profiler's CUDA events (tests/test_profiler.py)
and anomaly mode (tests/test_anomaly.py). Each runs on a machine with CuPy and an NVIDIA GPU and is
skipped, with the reason, elsewhere."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
import minigrad.nn as nn
from minigrad._kernels import cpu

REASON = mg.cuda.unavailable_reason()
pytestmark = [pytest.mark.gpu, pytest.mark.skipif(REASON is not None, reason=str(REASON))]


def test_cuda_kernels_refuse_bad_input_like_the_cpu_kernels():
    from minigrad._kernels import cuda
    import cupy

    for module in (cpu, cuda):
        xp = np if module is cpu else cupy
        with pytest.raises(TypeError, match="float32 or float64"):
            module.relu_forward(xp.arange(3))
        with pytest.raises(ValueError, match="more than 1 value per channel"):
            module.batch_norm_forward_train(xp.ones((1, 3)), None, None, None, None, 0.1, 1e-5)
        with pytest.raises(ValueError, match="probability"):
            module.dropout_forward(xp.ones(3), 2.0, 0, 0)


def test_optimizer_kernels_refuse_bad_input_like_the_cpu_kernels():
    from minigrad._kernels import cuda
    import cupy

    for module, xp in ((cpu, np), (cuda, cupy)):
        with pytest.raises(ValueError, match="max_exp_avg_sq is required"):
            module.adam_step(xp.ones(3), xp.ones(3), xp.zeros(3), xp.zeros(3), None, 1e-3, 0.9, 0.999, 1e-8, 0, 1,
                             True, False, False)
        with pytest.raises(TypeError, match="different devices"):
            module.adagrad_step(xp.ones(3), np.ones(3) if xp is cupy else cupy.ones(3), xp.zeros(3), 0.1, 0, 0,
                                1e-10, 1, False)


def test_profiler_times_gpu_ops_with_cuda_events_and_counts_match_the_cpu(rng):
    x0 = rng.standard_normal((512, 256)).astype(np.float32)
    counts = []
    for device in ("cpu", "cuda"):
        model = nn.Sequential(nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10)).to(device)
        with mg.profiler.profile(use_cuda=device == "cuda") as prof:
            F.cross_entropy(model(mg.tensor(x0, device=device)), np.arange(512) % 10).backward()
        stats = prof.key_averages()
        counts.append({s.name: (s.calls, s.backward_calls) for s in stats})
        if device == "cuda":
            assert all(s.device_ns > 0 for s in stats)
            assert "CUDA" in prof.table().splitlines()[1]
    assert counts[0] == counts[1]


def test_anomaly_mode_on_the_gpu():
    x = mg.tensor([1.0, 0.0], device="cuda", requires_grad=True)
    with mg.autograd.detect_anomaly(), pytest.raises(RuntimeError, match="Log produced inf"):
        x.log()


@pytest.mark.parametrize("shape", [(256, 70), (4, 6, 33), (7, 3)])
@pytest.mark.parametrize("dtype, tol", [("float64", 1e-10), ("float32", 1e-4)])
def test_sync_batch_norm_kernel_entries_match(shape, dtype, tol, rng):
    import cupy as cp

    from minigrad._kernels import cuda

    x = (rng.standard_normal(shape) * 2 + 3).astype(dtype)
    gy = rng.standard_normal(shape).astype(dtype)
    C = shape[1]
    mean, k1, k2, k3 = (rng.standard_normal(C) for _ in range(4))
    expected = [*cpu.batch_norm_stats(x), *cpu.batch_norm_backward_reduce(gy, x, mean),
                cpu.batch_norm_elemt(x, mean, k2, k3), cpu.batch_norm_elemt(x, mean, k2, k3, gy, k1)]
    xg, gyg, mg_, k1g, k2g, k3g = (cp.asarray(a) for a in (x, gy, mean, k1, k2, k3))
    found = [*cuda.batch_norm_stats(xg), *cuda.batch_norm_backward_reduce(gyg, xg, mg_),
             cuda.batch_norm_elemt(xg, mg_, k2g, k3g), cuda.batch_norm_elemt(xg, mg_, k2g, k3g, gyg, k1g)]
    for name, a, b in zip(["mean", "m2", "sum_gy", "sum_gy_xmu", "elemt", "elemt_gy"], expected, found):
        np.testing.assert_allclose(cp.asnumpy(b), a, rtol=tol, atol=tol, err_msg=name)
