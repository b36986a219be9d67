"""minigrad.distributed in one process: without mpi4py, in a world of one, and the pieces that need
no communication (Chan's merge, the gradient hook)."""
import datetime
import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
import minigrad.distributed as dist
import minigrad.functional as F
import minigrad.nn as nn
from minigrad.data import DistributedSampler
from minigrad.nn.parallel.sync_batchnorm import merge_channel_statistics

ROOT = Path(__file__).resolve().parents[2]
needs_mpi4py = pytest.mark.skipif(importlib.util.find_spec("mpi4py") is None,
                                  reason="mpi4py is not installed (pip install 'minigrad[distributed]')")


def test_import_minigrad_works_without_mpi4py_and_init_says_what_to_install():
    script = textwrap.dedent("""
        import sys
        sys.modules["mpi4py"] = None  # as if it were not installed
        import numpy as np
        import minigrad as mg, minigrad.distributed as dist, minigrad.nn as nn
        from minigrad.data import DistributedSampler
        assert not dist.is_initialized()
        try:
            dist.init_process_group()
        except ImportError as error:
            assert 'pip install "minigrad[distributed]"' in str(error), error
        else:
            raise AssertionError("init_process_group without mpi4py must raise ImportError")
        # outside a process group SyncBatchNorm is BatchNorm, and a sampler takes explicit ranks
        x = mg.randn(6, 3, dtype="float64")
        np.testing.assert_array_equal(nn.SyncBatchNorm(3).double()(x).detach().numpy(), nn.BatchNorm1d(3).double()(x).detach().numpy())
        assert list(DistributedSampler(range(5), num_replicas=2, rank=1, shuffle=False)) == [1, 3, 0]
        assert "mpi4py" not in [m for m in sys.modules if sys.modules[m] is not None]
        print("fine")
    """)
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env={"PYTHONPATH": str(ROOT), "PATH": ""})
    assert result.returncode == 0 and "fine" in result.stdout, result.stderr


def test_collectives_and_ddp_need_a_process_group():
    assert not dist.is_initialized()
    for call in (dist.get_rank, dist.get_world_size, dist.barrier, dist.destroy_process_group,
                 lambda: dist.all_reduce(mg.ones(2)), lambda: dist.broadcast(mg.ones(2)),
                 lambda: dist.all_gather([mg.ones(2)], mg.ones(2))):
        with pytest.raises(RuntimeError, match="init_process_group"):
            call()
    with pytest.raises(RuntimeError, match="init_process_group"):
        nn.parallel.DistributedDataParallel(nn.Linear(2, 2))


def test_only_the_mpi_backend_exists():
    with pytest.raises(ValueError, match="backend must be 'mpi'.*'nccl'"):
        dist.init_process_group(backend="nccl")


@pytest.mark.parametrize("timeout", [30, datetime.timedelta(0), datetime.timedelta(seconds=-1)])
def test_the_timeout_is_a_positive_timedelta(timeout):
    with pytest.raises(ValueError, match="timeout must be a positive datetime.timedelta"):
        dist.init_process_group(timeout=timeout)
    assert not dist.is_initialized()


def test_the_errors_are_torch_s_runtime_errors():
    assert issubclass(dist.DistTimeoutError, dist.DistBackendError) and issubclass(dist.DistDesyncError, dist.DistError)
    assert issubclass(dist.DistBackendError, dist.DistError) and issubclass(dist.DistError, RuntimeError)


@pytest.fixture
def world_of_one():
    dist.init_process_group(backend="mpi")
    try:
        yield
    finally:
        dist.destroy_process_group()


@needs_mpi4py
def test_a_world_of_one_without_mpiexec(world_of_one):
    assert (dist.get_rank(), dist.get_world_size(), dist.is_initialized()) == (0, 1, True)
    with pytest.raises(RuntimeError, match="already initialized"):
        dist.init_process_group()
    t = mg.tensor([1.0, -2.0])
    for op in dist.ReduceOp:
        dist.all_reduce(t, op=op)
        np.testing.assert_array_equal(t.numpy(), [1.0, -2.0])
    parts = [mg.zeros(2)]
    dist.all_gather(parts, t)
    np.testing.assert_array_equal(parts[0].numpy(), [1.0, -2.0])
    with pytest.raises(ValueError, match="tensor must be a Tensor"):
        dist.all_reduce(np.ones(2))
    with pytest.raises(ValueError, match=r"tensor_list must be a list of world_size=1 tensors, got 2"):
        dist.all_gather([mg.zeros(2), mg.zeros(2)], t)
    with pytest.raises(ValueError, match=r"tensor_list\[0\] must be a float32 tensor of shape \(2,\)"):
        dist.all_gather([mg.zeros(3)], t)


@needs_mpi4py
def test_rank_zero_draws_the_dropout_masks_of_a_single_process():
    mg.manual_seed(3)
    alone = F.dropout(mg.ones(8, 40), 0.3).numpy()
    dist.init_process_group()
    try:
        mg.manual_seed(3)
        np.testing.assert_array_equal(F.dropout(mg.ones(8, 40), 0.3).numpy(), alone)
    finally:
        dist.destroy_process_group()


@needs_mpi4py
@pytest.mark.parametrize("shape", [(7, 3), (4, 3, 5), (3, 3, 2, 2)])
def test_sync_batchnorm_in_a_world_of_one_is_batchnorm_and_gradchecks(world_of_one, shape, rng):
    x = rng.standard_normal(shape) * 2 + 5
    layer = nn.BatchNorm1d if len(shape) < 4 else nn.BatchNorm2d
    bn, sync = layer(3, momentum=0.3).double(), nn.SyncBatchNorm(3, momentum=0.3).double()
    for module in (bn, sync):
        module.weight.data[...] = mg.tensor([0.5, 1.0, 2.0], dtype=mg.float64)
        module.bias.data[...] = mg.tensor([0.1, -0.2, 0.3], dtype=mg.float64)
    tx, sx = mg.tensor(x, requires_grad=True), mg.tensor(x, requires_grad=True)
    upstream = mg.tensor(rng.standard_normal(shape))
    (bn(tx) * upstream).sum().backward()
    y = sync(sx)
    (y * upstream).sum().backward()
    axes = (0,) + tuple(range(2, len(shape)))
    view = (1, -1) + (1,) * (len(shape) - 2)
    expected = ((x - x.mean(axis=axes).reshape(view)) / np.sqrt(x.var(axis=axes).reshape(view) + 1e-5)
                * np.array([0.5, 1.0, 2.0]).reshape(view) + np.array([0.1, -0.2, 0.3]).reshape(view))
    np.testing.assert_allclose(y.detach().numpy(), expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(sx.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    for name in ("weight", "bias"):
        np.testing.assert_allclose(getattr(sync, name).grad.numpy(), getattr(bn, name).grad.numpy(), rtol=1e-10)
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        np.testing.assert_allclose(getattr(sync, name).numpy(), getattr(bn, name).numpy(), rtol=1e-12)
    weight, bias = mg.tensor(rng.uniform(0.5, 1.5, 3), requires_grad=True), mg.tensor(rng.standard_normal(3),
                                                                                      requires_grad=True)

    def gradcheck_target(a, w, b):  # the op itself, so that weight and bias are inputs gradcheck varies
        op = nn.parallel.sync_batchnorm.SyncBatchNormOp(dist.process_group.world(), None, None, 0.1, 1e-5, True, True)
        return op(a, w, b) * upstream

    assert mg.gradcheck(gradcheck_target, [mg.tensor(x, requires_grad=True), weight, bias])


@needs_mpi4py
@pytest.mark.parametrize("affine", [True, False])
def test_sync_batchnorm_double_backward_in_a_world_of_one(world_of_one, affine, rng):
    def sync_batchnorm(x, *weight_and_bias):
        op = nn.parallel.sync_batchnorm.SyncBatchNormOp(dist.process_group.world(), None, None, 0.1, 1e-5, affine,
                                                       affine)
        return op(x, *weight_and_bias)

    inputs = [mg.tensor(rng.standard_normal((4, 3, 2)), requires_grad=True)]
    if affine:
        inputs += [mg.tensor(rng.uniform(0.5, 1.5, 3), requires_grad=True), mg.tensor(rng.standard_normal(3),
                                                                                        requires_grad=True)]
    assert mg.autograd.gradgradcheck(sync_batchnorm, inputs, atol=1e-7, rtol=1e-6)


@needs_mpi4py
def test_sync_batchnorm_float32_keeps_the_variance_of_data_far_from_zero(world_of_one, rng):
    x = (rng.standard_normal((512, 4)) + 1e4).astype(np.float32)
    sync = nn.SyncBatchNorm(4, momentum=1.0)
    sync(mg.tensor(x))
    np.testing.assert_allclose(sync.running_var.numpy(), x.astype(np.float64).var(axis=0, ddof=1), rtol=1e-4)
    assert sync.running_var.dtype == np.float32


@needs_mpi4py
def test_sync_batchnorm_refuses_bad_input(world_of_one):
    sync = nn.SyncBatchNorm(3)
    with pytest.raises(ValueError, match="more than 1 value per channel over the global batch"):
        sync(mg.randn(1, 3))
    with pytest.raises(ValueError, match="got input with 4 channels"):
        sync(mg.randn(5, 4))
    with pytest.raises(TypeError, match="float64.*float32|float32.*float64"):
        sync(mg.randn(5, 3, dtype="float64"))


@needs_mpi4py
def test_ddp_in_a_world_of_one_leaves_gradients_as_they_are(world_of_one, rng):
    mg.manual_seed(0)
    plain = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 2)).double()
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 2)).double()
    wrapped = nn.parallel.DistributedDataParallel(model, bucket_cap_mb=1e-4)
    x = mg.tensor(rng.standard_normal((6, 4)))
    plain(x).sum().backward()
    wrapped(x).sum().backward()
    for (name, p), q in zip(plain.named_parameters(), model.parameters()):
        np.testing.assert_allclose(q.grad.numpy(), p.grad.numpy(), rtol=1e-15, err_msg=name)
    assert list(wrapped.state_dict()) == ["module." + k for k in model.state_dict()]
    with pytest.raises(TypeError, match="wraps an nn.Module"):
        nn.parallel.DistributedDataParallel(lambda t: t)
    with pytest.raises(ValueError, match="parameters that require grad"):
        nn.parallel.DistributedDataParallel(nn.Sequential(nn.ReLU()))


def test_convert_sync_batchnorm_replaces_batchnorm_at_any_depth_sharing_state():
    inner = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4, momentum=None))
    model = nn.Sequential(inner, nn.BatchNorm2d(2))
    weight, running_mean = inner[1].weight, inner[1].running_mean
    model.eval()
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert converted is model
    assert isinstance(inner[1], nn.SyncBatchNorm) and isinstance(model[1], nn.SyncBatchNorm)
    assert inner[1].weight is weight and inner[1].running_mean is running_mean and inner[1].momentum is None
    assert not inner[1].training and list(model.state_dict()) == list(converted.state_dict())
    assert isinstance(nn.SyncBatchNorm.convert_sync_batchnorm(nn.BatchNorm1d(3)), nn.SyncBatchNorm)


def test_distributed_sampler_takes_any_int_seed_and_epoch_as_torch():
    def shares(seed, epoch):
        samplers = [DistributedSampler(range(10), num_replicas=2, rank=r, seed=seed) for r in range(2)]
        for sampler in samplers:
            sampler.set_epoch(epoch)
        return [list(sampler) for sampler in samplers]

    for seed, epoch in ((-1, 0), (0, -1), (-(2 ** 70), 3), (2 ** 70, -5)):
        first, second = shares(seed, epoch)
        assert sorted(first + second) == list(range(10)) and shares(seed, epoch) == [first, second]
    assert shares(-1, 0) != shares(1, 0)
    assert shares(3, 4)[0] == [int(i) for i in np.random.default_rng(7).permutation(10)[0::2]]  # as before


@pytest.mark.parametrize("sizes", [[5, 3, 4], [1, 0, 6, 2], [0, 4], [7]])
def test_chan_merge_equals_the_statistics_of_the_concatenated_data(sizes, rng):
    parts = [rng.standard_normal((n, 3)) * 2 + 1e3 for n in sizes]
    counts = np.array([len(p) for p in parts], dtype=np.float64)
    means = np.array([p.mean(axis=0) if len(p) else np.zeros(3) for p in parts])
    m2s = np.array([((p - p.mean(axis=0)) ** 2).sum(axis=0) if len(p) else np.zeros(3) for p in parts])
    count, mean, m2 = merge_channel_statistics(counts, means, m2s)
    whole = np.concatenate(parts)
    assert count == len(whole)
    np.testing.assert_allclose(mean, whole.mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(m2, ((whole - whole.mean(axis=0)) ** 2).sum(axis=0), rtol=1e-10)


def test_post_accumulate_grad_hook_sees_each_backwards_accumulated_gradient():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    handle = w.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.numpy().copy()))
    (w * 3.0).sum().backward()
    (w * w).sum().backward()  # w is both inputs of one op: one call with the summed gradient, as torch's
    assert [s.tolist() for s in seen] == [[3.0, 3.0], [5.0, 7.0]]
    handle.remove()
    (w * 1.0).sum().backward()
    assert len(seen) == 2
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        (w * 2.0).register_post_accumulate_grad_hook(print)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        mg.ones(2).register_post_accumulate_grad_hook(print)
    with pytest.raises(TypeError, match="hook must be callable"):
        w.register_post_accumulate_grad_hook(3)


@pytest.mark.gpu
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
            results.append([a.detach().numpy() for a in (y, tx.grad, bn.weight.grad, bn.running_var, t)])
    finally:
        dist.destroy_process_group()
    for name, a, b in zip(["y", "gx", "gw", "running_var", "all_reduce"], *results):
        np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12, err_msg=name)
