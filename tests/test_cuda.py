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


@pytest.mark.parametrize("shape, normalized_shape", [((4096, 1024), (1024,)), ((8, 16, 24), (16, 24)), ((7, 3), (3,))])
@pytest.mark.parametrize("dtype, tol", [("float64", 1e-10), ("float32", 1e-4)])
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_outputs_and_gradients_match(shape, normalized_shape, dtype, tol, affine, rng):
    x = (rng.standard_normal(shape) * 2 + 3).astype(dtype)
    w0, b0 = rng.standard_normal(normalized_shape), rng.standard_normal(normalized_shape)
    gy = np.cos(np.arange(x.size)).reshape(shape)
    results = []
    for device in ("cpu", "cuda"):
        tx = mg.tensor(x, requires_grad=True, device=device)
        w = mg.tensor(w0, dtype=dtype, requires_grad=True, device=device) if affine else None
        b = mg.tensor(b0, dtype=dtype, requires_grad=True, device=device) if affine else None
        y = F.layer_norm(tx, normalized_shape, w, b)
        y.backward(mg.tensor(gy, dtype=dtype, device=device))
        results.append([y.numpy(), tx.grad.numpy()] + ([w.grad.numpy(), b.grad.numpy()] if affine else []))
    for name, a, b in zip(["y", "gx", "gw", "gb"], *results):
        np.testing.assert_allclose(b, a, rtol=tol, atol=tol * 10, err_msg=name)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("dtype, tol", [("float64", 1e-12), ("float32", 1e-6)])
def test_gelu_and_leaky_relu_match(approximate, dtype, tol, rng):
    x = (rng.standard_normal((300, 301)) * 4).astype(dtype)
    results = []
    for device in ("cpu", "cuda"):
        tx = mg.tensor(x, requires_grad=True, device=device)
        y = F.gelu(tx, approximate) + F.leaky_relu(tx, 0.1)
        y.backward(mg.tensor(np.sin(np.arange(x.size)).reshape(x.shape), dtype=dtype, device=device))
        results.append([y.numpy(), tx.grad.numpy()])
    for a, b in zip(*results):
        np.testing.assert_allclose(b, a, rtol=tol, atol=tol)


def test_losses_with_options_match(rng):
    logits, target = rng.standard_normal((2, 5, 3)), rng.integers(0, 5, (2, 3))
    target[0, 1] = -100
    probabilities, labels = rng.uniform(0.01, 0.99, (4, 3)), rng.uniform(0, 1, (4, 3))
    outs = []
    for device in ("cpu", "cuda"):
        tl = mg.tensor(logits, requires_grad=True, device=device)
        tp = mg.tensor(probabilities, requires_grad=True, device=device)
        weight = mg.tensor(np.linspace(0.5, 2, 5), device=device)
        loss = (F.cross_entropy(tl, mg.tensor(target, device=device), weight, label_smoothing=0.1)
                + F.nll_loss(F.log_softmax(tl, 1), target, reduction="sum")
                + F.binary_cross_entropy(tp, labels) + F.binary_cross_entropy_with_logits(
                    tp, labels, pos_weight=mg.tensor([1.0, 2.0, 3.0], dtype="float64", device=device))
                + F.l1_loss(tp, mg.tensor(labels, device=device), "sum") + F.pad(tp, (1, 2)).sum())
        loss.backward()
        outs.append([loss.numpy(), tl.grad.numpy(), tp.grad.numpy()])
    for a, b in zip(*outs):
        np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12)


OPTIMIZER_CASES = [
    (optim.Adam, dict(lr=0.05, weight_decay=0.1, amsgrad=True)),
    (optim.AdamW, dict(lr=0.05, maximize=True)),
    (optim.RMSprop, dict(momentum=0.9, centered=True, weight_decay=0.1)),
    (optim.RMSprop, dict()),
    (optim.Adagrad, dict(lr_decay=0.1, initial_accumulator_value=0.2)),
    (optim.Adadelta, dict(weight_decay=0.1, maximize=True)),
]


@pytest.mark.parametrize("cls, options", OPTIMIZER_CASES,
                         ids=[f"{c.__name__}-{i}" for i, (c, _) in enumerate(OPTIMIZER_CASES)])
@pytest.mark.parametrize("dtype, tol", [("float64", 1e-12), ("float32", 1e-5)])
def test_optimizer_kernels_match(cls, options, dtype, tol, rng):
    p0, grads = rng.standard_normal((33, 31)), rng.standard_normal((10, 33, 31))
    finals = []
    for device in ("cpu", "cuda"):
        p = mg.tensor(p0, dtype=dtype, requires_grad=True, device=device)
        opt = cls([p], **options)
        for g in grads:
            p.grad = mg.tensor(g, dtype=dtype, device=device)
            opt.step()
        finals.append([p.numpy()] + [value.get() if device == "cuda" else value
                                     for value in opt.state[p].values() if hasattr(value, "shape")])
    for a, b in zip(*finals):
        np.testing.assert_allclose(b, a, rtol=tol, atol=tol)


def test_optimizer_state_on_the_gpu_round_trips_and_strided_parameters_update_in_place(rng, tmp_path):
    import cupy

    p = mg.tensor(rng.standard_normal((6, 4)), requires_grad=True, device="cuda")
    p.data = cupy.asfortranarray(p.data)
    opt = optim.Adam([p], lr=0.1)
    p.grad = mg.tensor(rng.standard_normal((6, 4)), device="cuda")
    opt.step()
    assert p.data.flags.f_contiguous and opt.state[p]["exp_avg"].__class__ is cupy.ndarray
    mg.save(opt.state_dict(), tmp_path / "opt.npz")
    restored = optim.Adam([mg.tensor(p.numpy(), requires_grad=True, device="cuda")])
    restored.load_state_dict(mg.load(tmp_path / "opt.npz", device="cuda"))
    q = restored.param_groups[0]["params"][0]
    assert restored.state[q]["step"] == 1 and restored.state[q]["exp_avg"].__class__ is cupy.ndarray


def test_clip_grad_norm_matches(rng):
    grads = [rng.standard_normal((40, 30)), rng.standard_normal(30)]
    totals = []
    for device in ("cpu", "cuda"):
        params = [mg.zeros(*g.shape, dtype="float64", requires_grad=True, device=device) for g in grads]
        for p, g in zip(params, grads):
            p.grad = mg.tensor(g, device=device)
        totals.append([nn.utils.clip_grad_norm_(params, 1.0).numpy()] + [p.grad.numpy() for p in params])
    for a, b in zip(*totals):
        np.testing.assert_allclose(b, a, rtol=1e-12)


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
# ---- convolution and pooling ---------------------------------------------------------------------
@pytest.mark.parametrize("dtype, tol", [("float64", 1e-10), ("float32", 1e-4)])
@pytest.mark.parametrize("stride, padding, dilation, groups", [(1, 1, 1, 1), (2, (2, 0), (1, 2), 2), (1, "same", 2, 1)])
def test_conv2d_outputs_and_gradients_match(stride, padding, dilation, groups, dtype, tol, rng):
    x, w, b = rng.standard_normal((5, 4, 11, 9)), rng.standard_normal((6, 4 // groups, 3, 2)), rng.standard_normal(6)
    results = []
    for device in ("cpu", "cuda"):
        tx, tw, tb = (mg.tensor(a, dtype=dtype, requires_grad=True, device=device) for a in (x, w, b))
        y = F.conv2d(tx, tw, tb, stride, padding, dilation, groups)
        y.backward(mg.tensor(np.cos(np.arange(y.numel())).reshape(y.shape), dtype=dtype, device=device))
        results.append([a.numpy() for a in (y, tx.grad, tw.grad, tb.grad)])
    for name, a, b in zip(["y", "gx", "gw", "gb"], *results):
        np.testing.assert_allclose(b, a, rtol=tol, atol=tol * np.abs(a).max(), err_msg=name)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("pool", [lambda t: F.max_pool2d(t, 2), lambda t: F.max_pool2d(t, 3, 2, 1),
                                  lambda t: F.avg_pool2d(t, 3, 2, 1), lambda t: F.avg_pool2d(t, 3, 1, 1, False),
                                  lambda t: F.adaptive_avg_pool2d(t, (3, 5)), lambda t: F.adaptive_avg_pool2d(t, 13)])
def test_pooling_outputs_and_gradients_match(pool, dtype, rng):
    x = rng.standard_normal((3, 4, 10, 9))
    results = []
    for device in ("cpu", "cuda"):
        tx = mg.tensor(x, dtype=dtype, requires_grad=True, device=device)
        y = pool(tx)
        y.backward(mg.tensor(np.sin(np.arange(y.numel())).reshape(y.shape), dtype=dtype, device=device))
        results.append([y.numpy(), tx.grad.numpy()])
    for name, a, b in zip(["y", "gx"], *results):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-6, err_msg=name)


def test_a_lenet_batchnorm_step_matches(rng):
    def lenet():
        return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(4, 8, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 3))
    mg.manual_seed(0)
    cpu_model, gpu_model = lenet(), lenet()
    gpu_model.load_state_dict(cpu_model.state_dict())
    gpu_model.to("cuda")
    x, y = rng.standard_normal((16, 1, 8, 8)).astype(np.float32), rng.integers(0, 3, 16)
    for model, device in ((cpu_model, "cpu"), (gpu_model, "cuda")):
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        for _ in range(2):
            loss = F.cross_entropy(model(mg.tensor(x, device=device)), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
    for (name, a), (_, b) in zip(cpu_model.state_dict().items(), gpu_model.state_dict().items()):
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-4, atol=1e-5, err_msg=name)
# ---- tools for looking inside, on the GPU ----------------------------------------------------------
def test_dlpack_shares_gpu_memory_both_ways():
    cp = mg.backend.require_cuda()
    t = mg.randn(3, 4, device="cuda")
    a = cp.from_dlpack(t)
    assert t.__dlpack_device__()[0] == 2
    a[1, 2] = 42.0
    assert float(t.data[1, 2]) == 42.0
    b = cp.arange(6, dtype=cp.float32).reshape(2, 3)
    u = mg.from_dlpack(b)
    assert u.device == "cuda" and u.data.data.ptr == b.data.ptr
    u.data[0, 0] = -1.0
    assert float(b[0, 0]) == -1.0


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


def test_anomaly_mode_and_fuse_batch_norm_on_the_gpu(rng):
    x = mg.tensor([1.0, 0.0], device="cuda", requires_grad=True)
    with mg.autograd.detect_anomaly(), pytest.raises(RuntimeError, match="Log produced inf"):
        x.log()
    model = nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.ReLU())
    model(mg.randn(32, 6) * 3 + 1)  # running statistics away from their initial values
    x0 = rng.standard_normal((5, 6)).astype(np.float32)
    outputs = []
    for device in ("cpu", "cuda"):
        fused = nn.utils.fuse_batch_norm(model.to(device))
        outputs.append(fused(mg.tensor(x0, device=device)).numpy())
    np.testing.assert_allclose(outputs[1], outputs[0], rtol=1e-5, atol=1e-5)
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
