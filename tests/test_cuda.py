"""CPU-vs-GPU parity for every op, layer and the optimizer, and device handling. Each test runs
on a machine with CuPy and an NVIDIA GPU and is skipped, with the reason, elsewhere. (The op tests
in tests/ops also run their bodies on the GPU through the ``device`` fixture.)"""
import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
import minigrad.nn as nn
import minigrad.optim as optim
from minigrad._kernels import cpu
from minigrad._kernels import dropout as cpu_dropout

REASON = mg.cuda.unavailable_reason()
pytestmark = [pytest.mark.gpu, pytest.mark.skipif(REASON is not None, reason=str(REASON))]


@pytest.mark.parametrize("shape", [(256, 1024), (64, 16, 8, 8), (7, 3)])
@pytest.mark.parametrize("dtype, tol", [("float64", 1e-10), ("float32", 1e-4)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_outputs_gradients_and_running_stats_match(shape, dtype, tol, training, rng):
    x = (rng.standard_normal(shape) * 2 + 3).astype(dtype)
    C = shape[1]
    w0 = rng.standard_normal(C)
    results = []
    for device in ("cpu", "cuda"):
        tx = mg.tensor(x, requires_grad=True, device=device)
        w = mg.tensor(w0, dtype=dtype, requires_grad=True, device=device)
        b = mg.tensor(np.linspace(-1, 1, C), dtype=dtype, requires_grad=True, device=device)
        rm = mg.tensor(np.linspace(0, 1, C), dtype=dtype, device=device)
        rv = mg.tensor(np.linspace(1, 2, C), dtype=dtype, device=device)
        y = F.batch_norm(tx, rm, rv, w, b, training=training, momentum=0.1)
        y.backward(mg.tensor(np.cos(np.arange(x.size)).reshape(shape), dtype=dtype, device=device))
        results.append([a.numpy() for a in (y, tx.grad, w.grad, b.grad, w, rm, rv)])
    for name, a, b in zip(["y", "gx", "gw", "gb", "w", "running_mean", "running_var"], *results):
        np.testing.assert_allclose(b, a, rtol=tol, atol=tol, err_msg=name)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dropout_masks_are_bit_identical_across_devices(dtype):
    x = mg.randn(1000, 37, dtype=dtype)
    mg.manual_seed(11)
    cpu_y = F.dropout(x, 0.3).numpy()
    mg.manual_seed(11)
    gpu_y = F.dropout(x.to("cuda"), 0.3).numpy()
    np.testing.assert_array_equal(gpu_y, cpu_y)
    from minigrad._kernels import cuda

    assert cuda.philox4x32(5, 7, 12345678901) == cpu_dropout.philox4x32(5, 7, 12345678901)


def test_relu_linear_and_losses_match(rng):
    x, w, b = rng.standard_normal((32, 20)), rng.standard_normal((10, 20)), rng.standard_normal(10)
    target = rng.integers(0, 10, 32)
    outs = []
    for device in ("cpu", "cuda"):
        tx, tw, tb = (mg.tensor(a, requires_grad=True, device=device) for a in (x, w, b))
        loss = F.cross_entropy(F.relu(F.linear(tx, tw, tb)), target) + F.mse_loss(F.softmax(tx), F.log_softmax(tx))
        loss.backward()
        outs.append([loss.numpy(), tx.grad.numpy(), tw.grad.numpy(), tb.grad.numpy()])
    for a, b in zip(*outs):
        np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("options", [dict(momentum=0.9, nesterov=True, weight_decay=0.01), dict(momentum=0.5, dampening=0.2, maximize=True)])
def test_sgd_matches(options, rng):
    p0, grads = rng.standard_normal(1000).astype(np.float32), rng.standard_normal((3, 1000)).astype(np.float32)
    finals = []
    for device in ("cpu", "cuda"):
        p = mg.tensor(p0, requires_grad=True, device=device)
        opt = optim.SGD([p], lr=0.1, **options)
        for g in grads:
            p.grad = mg.tensor(g, device=device)
            opt.step()
        finals.append(p.numpy())
    np.testing.assert_allclose(finals[1], finals[0], rtol=1e-6, atol=1e-6)


def _model():
    return nn.Sequential(nn.Linear(20, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 4))


def test_a_training_step_matches_and_optimizer_state_follows_the_model(rng, tmp_path):
    mg.manual_seed(0)
    cpu_model = _model()
    gpu_model = _model()
    gpu_model.load_state_dict(cpu_model.state_dict())
    opt_cpu = optim.SGD(cpu_model.parameters(), lr=0.1, momentum=0.9)
    opt_gpu = optim.SGD(gpu_model.parameters(), lr=0.1, momentum=0.9)
    opt_gpu.step()  # no grads yet: nothing happens
    gpu_model.to("cuda")
    assert all(p.device == "cuda" for p in gpu_model.parameters())
    assert gpu_model[1].running_mean.device == "cuda"
    x, y = rng.standard_normal((16, 20)).astype(np.float32), rng.integers(0, 4, 16)
    for model, opt, device in ((cpu_model, opt_cpu, "cpu"), (gpu_model, opt_gpu, "cuda")):
        mg.manual_seed(3)
        loss = F.cross_entropy(model(mg.tensor(x, device=device)), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    for (name, a), (_, b) in zip(cpu_model.state_dict().items(), gpu_model.state_dict().items()):
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-4, atol=1e-5, err_msg=name)
    gpu_model.to("cpu")  # the momentum buffers follow at the next step
    gpu_model(mg.tensor(x)).sum().backward()
    opt_gpu.step()
    assert opt_gpu.state[gpu_model[0].weight]["momentum_buffer"].__class__ is np.ndarray
    # saving never moves a model; loading onto a device works
    gpu_model.to("cuda")
    mg.save(gpu_model.state_dict(), tmp_path / "m.npz")
    assert gpu_model[0].weight.device == "cuda"
    loaded = mg.load(tmp_path / "m.npz", device="cuda")
    assert loaded["0.weight"].device == "cuda"


def test_mixing_devices_names_both_devices():
    with pytest.raises(RuntimeError, match="cpu and cuda"):
        mg.ones(3) + mg.ones(3, device="cuda")


def test_tensor_moves_are_differentiable():
    x = mg.randn(4, requires_grad=True)
    (x.cuda() * 2).sum().backward()
    assert x.grad.device == "cpu"
    np.testing.assert_array_equal(x.grad.numpy(), 2)


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


# ---- SyncBatchNorm's kernel entries and a world of one -----------------------------------------
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


def test_sync_batch_norm_in_a_world_of_one_matches_on_the_gpu(rng):
    pytest.importorskip("mpi4py", reason="mpi4py is not installed (pip install 'minigrad[distributed]')")
    import minigrad.distributed as dist

    x = rng.standard_normal((16, 5, 3)) + 2
    dist.init_process_group()
    try:
        results = []
        for device in ("cpu", "cuda"):
            bn = nn.SyncBatchNorm(5).double().to(device)
            tx = mg.tensor(x, requires_grad=True, device=device)
            y = bn(tx)
            y.backward(mg.tensor(np.cos(np.arange(x.size)).reshape(x.shape), device=device))
            t = mg.tensor(np.arange(3.0), device=device)
            dist.all_reduce(t)
            results.append([a.numpy() for a in (y, tx.grad, bn.weight.grad, bn.running_var, t)])
    finally:
        dist.destroy_process_group()
    for name, a, b in zip(["y", "gx", "gw", "running_var", "all_reduce"], *results):
        np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12, err_msg=name)
