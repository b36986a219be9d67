"""One scenario of the MPI tests, run on every rank: ``mpiexec -n N python worker.py SCENARIO [DIR]``.

A failed check raises, and init_process_group's hook aborts the whole job, so the launching test
sees a non-zero exit and the failing rank's traceback. Each rank prints ``OK <rank>`` at the end.
References are computed by every rank alone, on the global data, without communicating.
"""
import datetime
import os
import signal
import sys
import time
from pathlib import Path

import numpy as np

import minigrad as mg
import minigrad.distributed as dist
import minigrad.functional as F
import minigrad.nn as nn
import minigrad.optim as optim
from minigrad.data import DataLoader, DistributedSampler, TensorDataset

DDP = nn.parallel.DistributedDataParallel
WORKDIR = Path(sys.argv[2]) if len(sys.argv) > 2 else None  # a folder all ranks can write and read


def expect_error(kind, words, fn):
    """Run fn, which must raise ``kind`` with every one of ``words`` in its message."""
    try:
        fn()
    except kind as error:
        missing = [w for w in words if w not in str(error)]
        assert not missing, f"{kind.__name__} message lacks {missing}: {error}"
        return
    raise AssertionError(f"expected {kind.__name__} mentioning {words}")


def calls(name):
    return dist.process_group.world().calls[name]


# ---- collectives ---------------------------------------------------------------------------------
def collectives(rank, size):
    for dtype in (np.float32, np.float64):
        values = np.arange(6, dtype=np.float64).reshape(2, 3) * (rank + 1) - rank
        by_rank = [np.arange(6, dtype=np.float64).reshape(2, 3) * (r + 1) - r for r in range(size)]
        for op, reference in ((dist.ReduceOp.SUM, np.sum), (dist.ReduceOp.MAX, np.max), (dist.ReduceOp.MIN, np.min),
                              (dist.ReduceOp.AVG, np.mean)):
            t = mg.tensor(values, dtype=dtype)
            assert dist.all_reduce(t, op=op) is None
            np.testing.assert_allclose(t.numpy(), reference(by_rank, axis=0).astype(dtype), rtol=1e-6)
            assert t.dtype == dtype
        # a transposed (non-contiguous) tensor is reduced in place too
        base = mg.tensor(values, dtype=dtype)
        view = mg.Tensor._wrap(base._data.T, False)
        dist.all_reduce(view)
        np.testing.assert_allclose(base.numpy(), np.sum(by_rank, axis=0).astype(dtype), rtol=1e-6)

        t = mg.tensor(np.full(4, float(rank)), dtype=dtype)
        dist.broadcast(t, src=size - 1)
        np.testing.assert_array_equal(t.numpy(), np.full(4, size - 1, dtype=dtype))

        parts = [mg.zeros(2, 2, dtype=dtype) for _ in range(size)]
        dist.all_gather(parts, mg.tensor(np.full((2, 2), rank + 0.5), dtype=dtype))
        for r, part in enumerate(parts):
            np.testing.assert_array_equal(part.numpy(), np.full((2, 2), r + 0.5, dtype=dtype))
    counts = mg.tensor(np.array([rank, 1], dtype=np.int64))
    dist.all_reduce(counts)
    np.testing.assert_array_equal(counts.numpy(), [size * (size - 1) // 2, size])
    dist.barrier()

    # wrong use, on one rank or differing between ranks: the same error on every rank, no hang
    expect_error(ValueError, ["different", "rank 0", "(3,)", f"rank {size - 1}", f"({3 + size - 1},)"],
                 lambda: dist.all_reduce(mg.zeros(3 + rank)))
    expect_error(ValueError, ["different", "float32", "float64"],
                 lambda: dist.all_reduce(mg.zeros(3, dtype="float64" if rank == 1 else "float32")))
    expect_error(ValueError, ["different", "ReduceOp.MAX"],
                 lambda: dist.all_reduce(mg.zeros(3), op=dist.ReduceOp.MAX if rank == 0 else dist.ReduceOp.SUM))
    expect_error(ValueError, ["rank 1", "op must be a dist.ReduceOp"],
                 lambda: dist.all_reduce(mg.zeros(3), op="sum" if rank == 1 else dist.ReduceOp.SUM))
    expect_error(ValueError, [f"rank {size - 1}", "tensor_list must be a list of world_size"],
                 lambda: dist.all_gather([mg.zeros(2)] * (size if rank < size - 1 else 1), mg.zeros(2)))
    expect_error(ValueError, ["src must be a rank in [0,"], lambda: dist.broadcast(mg.zeros(2), src=size))
    expect_error(ValueError, ["AVG needs a float tensor"],
                 lambda: dist.all_reduce(mg.tensor(np.zeros(2, dtype=np.int64)), op=dist.ReduceOp.AVG))
    # after the errors the ranks are still in step
    t = mg.ones(3)
    dist.all_reduce(t)
    np.testing.assert_array_equal(t.numpy(), np.full(3, size, dtype=np.float32))

    expect_error(RuntimeError, ["already initialized", "destroy_process_group"], dist.init_process_group)
    dist.destroy_process_group()
    assert not dist.is_initialized()
    expect_error(RuntimeError, ["init_process_group"], lambda: dist.all_reduce(mg.ones(1)))
    dist.init_process_group()
    assert (dist.get_rank(), dist.get_world_size()) == (rank, size)


# ---- DistributedDataParallel ---------------------------------------------------------------------
def mlp(depth=3, width=6, batch_norm=False):
    layers = [nn.Linear(4, width)]
    for _ in range(depth - 1):
        layers += ([nn.BatchNorm1d(width)] if batch_norm else []) + [nn.ReLU(), nn.Linear(width, width)]
    return nn.Sequential(*layers).double()


def ddp(rank, size):
    rng = np.random.default_rng(7)
    x_all, target_all = rng.standard_normal((size * 4, 4)), rng.standard_normal((size * 4, 6))

    # construction broadcasts rank 0's parameters; gradients are the average over ranks
    mg.manual_seed(rank)  # a different model on each rank before the broadcast
    model = mlp(batch_norm=True)
    mg.manual_seed(0)
    reference = mlp(batch_norm=True)  # rank 0's model
    mg.manual_seed(rank)
    wrapped = DDP(model)
    for name, value in reference.state_dict().items():
        np.testing.assert_array_equal(model.state_dict()[name].numpy(), value.numpy(), err_msg=name)
    assert wrapped.module is model
    assert all(k.startswith("module.") for k in wrapped.state_dict())  # as torch
    assert list(wrapped.module.state_dict()) == list(model.state_dict())

    local = slice(rank * 4, rank * 4 + 4)
    before = calls("Iallreduce")
    F.mse_loss(wrapped(mg.tensor(x_all[local])), mg.tensor(target_all[local])).backward()
    assert calls("Iallreduce") - before == 1  # a small model: one bucket, one message
    # the reference: every rank's loss on its own quarter, averaged (what DDP's gradient means)
    ref_grads = {}
    for r in range(size):
        reference.zero_grad()
        part = slice(r * 4, r * 4 + 4)
        F.mse_loss(reference(mg.tensor(x_all[part])), mg.tensor(target_all[part])).backward()
        for name, p in reference.named_parameters():
            ref_grads[name] = ref_grads.get(name, 0) + p.grad.numpy() / size
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), ref_grads[name], rtol=1e-12, atol=1e-14, err_msg=name)

    # buckets: a small cap gives several messages, still far fewer than one per parameter
    model.zero_grad()
    del wrapped  # its hooks stop with it: one wrapper per model at a time
    # the first layer's gradients come last in backward; registered before DDP's, this hook sees
    # how many buckets were already on their way by then
    started_before_first_layer = []
    probe = model[0].weight.register_post_accumulate_grad_hook(
        lambda p: started_before_first_layer.append(calls("Iallreduce") - before))
    small = DDP(model, bucket_cap_mb=40 * 8 / 2 ** 20)
    n_params = len(list(model.parameters()))
    before = calls("Iallreduce")
    F.mse_loss(small(mg.tensor(x_all[local])), mg.tensor(target_all[local])).backward()
    probe.remove()
    messages = calls("Iallreduce") - before
    assert 1 < messages < n_params, (messages, n_params)
    assert 0 < started_before_first_layer[0] < messages, (started_before_first_layer, messages)
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), ref_grads[name], rtol=1e-12, atol=1e-14, err_msg=name)

    # no_sync: two local steps accumulate, the next synchronised one averages the total
    model.zero_grad()
    before = calls("Iallreduce")
    with small.no_sync():
        F.mse_loss(small(mg.tensor(x_all[local])), mg.tensor(target_all[local])).backward()
        assert calls("Iallreduce") == before
    F.mse_loss(small(mg.tensor(x_all[local])), mg.tensor(target_all[local])).backward()
    assert calls("Iallreduce") - before == messages
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), 2 * ref_grads[name], rtol=1e-12, atol=1e-14, err_msg=name)

    # gradients that arrive after their bucket was sent, or after all were averaged: an L2 term on
    # the parameters in the loss, and a layer used twice
    def l2(module):
        return sum(((q * q).sum() for q in module.parameters()), mg.tensor(0.0, dtype="float64"))

    tied = nn.Linear(6, 6)
    for late_model in (model, nn.Sequential(nn.Linear(4, 6), nn.ReLU(), tied, nn.ReLU(), tied).double()):
        wrapper = small if late_model is model else DDP(late_model, bucket_cap_mb=40 * 8 / 2 ** 20)
        expected = {}
        with wrapper.no_sync():  # the hooks stay quiet while the reference is computed
            for r in range(size):  # each rank's loss alone, averaged
                late_model.zero_grad()
                part = slice(r * 4, r * 4 + 4)
                (F.mse_loss(late_model(mg.tensor(x_all[part])), mg.tensor(target_all[part]))
                 + 0.01 * l2(late_model)).backward()
                for name, q in late_model.named_parameters():
                    expected[name] = expected.get(name, 0) + q.grad.numpy() / size
        late_model.zero_grad()
        (F.mse_loss(wrapper(mg.tensor(x_all[local])), mg.tensor(target_all[local])) + 0.01 * l2(late_model)
         ).backward()
        for name, q in late_model.named_parameters():
            np.testing.assert_allclose(q.grad.numpy(), expected[name], rtol=1e-12, atol=1e-14, err_msg=name)

    # a parameter left out of the loss: the next forward says which, instead of training on
    partly_used = DDP(PartlyUsed().double())
    F.mse_loss(partly_used(mg.tensor(x_all[local])), mg.tensor(target_all[local])).backward()
    expect_error(RuntimeError, ["did not give every parameter", "unused.weight", "unused.bias"],
                 lambda: partly_used(mg.tensor(x_all[local])))

    # checkpointing: rank 0 writes, every rank reads the same values back into a bare model
    path = WORKDIR / "checkpoint.npz"
    if rank == 0:
        mg.save(small.module.state_dict(), path)
    dist.barrier()
    mg.manual_seed(123)
    restored = mlp(batch_norm=True)
    restored.load_state_dict(mg.load(path))
    for name, value in model.state_dict().items():
        saved = mg.tensor(value.numpy().copy())
        dist.broadcast(saved, src=0)  # rank 0's values (plain BatchNorm's running statistics differ per rank)
        np.testing.assert_array_equal(restored.state_dict()[name].numpy(), saved.numpy(), err_msg=name)

    # dropout: with one seed each rank draws its own masks, the same again after reseeding
    masks = []
    for _ in range(2):
        mg.manual_seed(5)
        masks.append(F.dropout(mg.ones(4, 50), 0.5).numpy())
    np.testing.assert_array_equal(masks[0], masks[1])
    everyone = [mg.zeros(4, 50) for _ in range(size)]
    dist.all_gather(everyone, mg.tensor(masks[0]))
    assert all((everyone[0].numpy() != other.numpy()).any() for other in everyone[1:])

    # broadcast_buffers: each forward in training starts from rank 0's buffers, in one message per
    # dtype; eval mode leaves them alone
    frozen = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6, momentum=0.0)).double()
    frozen_ddp = DDP(frozen)
    frozen[1].running_mean.data[...] = rank
    frozen[1].num_batches_tracked.data[...] = 10 * rank
    before = calls("Bcast")
    frozen_ddp(mg.tensor(x_all[local]))
    assert calls("Bcast") - before == 2  # float64 and int64 buffers
    np.testing.assert_array_equal(frozen[1].running_mean.numpy(), np.zeros(6))
    assert frozen[1].num_batches_tracked.item() == 1
    frozen[1].running_mean.data[...] = rank
    frozen_ddp.eval()
    frozen_ddp(mg.tensor(x_all[local]))
    np.testing.assert_array_equal(frozen[1].running_mean.numpy(), np.full(6, float(rank)))

    # bad models: an error on every rank
    expect_error(ValueError, ["models differ", "rank 0 has", "(6, 4)", f"rank {size - 1} has", "(7, 4)"],
                 lambda: DDP(nn.Linear(4, 7 if rank == size - 1 else 6)))
    expect_error(ValueError, ["parameters that require grad", "ReLU"],
                 lambda: DDP(nn.ReLU()))
    expect_error(ValueError, ["DistributedDataParallel: bucket_cap_mb must be a number > 0, got 0"],
                 lambda: DDP(model, bucket_cap_mb=0))


class PartlyUsed(nn.Module):
    def __init__(self):
        super().__init__()
        self.used, self.unused = nn.Linear(4, 6), nn.Linear(6, 6)

    def forward(self, x):
        return self.used(x)


# ---- SyncBatchNorm -------------------------------------------------------------------------------
def reference_bn_forward_backward(x, weight, bias, upstream, eps=1e-5):
    """float64 NumPy BatchNorm over axis 1 in training: y and the gradients of sum(y * upstream)."""
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    count = x.size // x.shape[1]
    mean, var = x.mean(axis=axes), x.var(axis=axes)
    x_hat = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
    y = x_hat * weight.reshape(shape) + bias.reshape(shape)
    g_hat = upstream * weight.reshape(shape)
    gx = (g_hat - g_hat.mean(axis=axes).reshape(shape)
          - x_hat * (g_hat * x_hat).mean(axis=axes).reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
    assert count > 1
    return y, gx, (upstream * x_hat).sum(axis=axes), upstream.sum(axis=axes), mean, var * count / (count - 1)


def sync_batchnorm(rank, size):
    rng = np.random.default_rng(3)
    for layer, sizes, tail in ((nn.BatchNorm1d, [5, 2, 1], ()), (nn.BatchNorm1d, [3, 0, 4], (2,)),
                               (nn.BatchNorm2d, [2, 1, 3], (3, 2))):
        sizes = sizes[:size]
        channels = 4
        x_all = rng.standard_normal((sum(sizes), channels) + tail) * 3 + 50  # far from zero: no cancellation
        upstream_all = rng.standard_normal(x_all.shape)
        weight, bias = rng.uniform(0.5, 1.5, channels), rng.standard_normal(channels)
        y_ref, gx_ref, gw_ref, gb_ref, mean_ref, var_ref = reference_bn_forward_backward(x_all, weight, bias,
                                                                                       upstream_all)
        start = sum(sizes[:rank])
        local = slice(start, start + sizes[rank])
        for dtype, tolerance in (("float64", 1e-10), ("float32", 2e-4)):
            bn = nn.SyncBatchNorm.convert_sync_batchnorm(layer(channels, momentum=0.5)).to(dtype)
            assert isinstance(bn, nn.SyncBatchNorm)
            bn.weight.data[...] = weight
            bn.bias.data[...] = bias
            x = mg.tensor(x_all[local], dtype=dtype, requires_grad=True)
            gathers, reductions = calls("Allgather"), calls("Iallreduce")
            y = bn(x)
            assert calls("Allgather") - gathers == 1  # one collective in forward
            (y * mg.tensor(upstream_all[local], dtype=dtype)).sum().backward()
            assert calls("Iallreduce") - reductions == 1  # and one in backward
            np.testing.assert_allclose(y.detach().numpy(), y_ref[local], rtol=tolerance, atol=tolerance)
            np.testing.assert_allclose(x.grad.numpy(), gx_ref[local], rtol=tolerance, atol=tolerance)
            np.testing.assert_allclose(bn.running_mean.numpy(), 0.5 * mean_ref, rtol=tolerance)
            np.testing.assert_allclose(bn.running_var.numpy(), 0.5 + 0.5 * var_ref, rtol=tolerance)
            # weight and bias gradients are each rank's share; their sum over ranks is the total
            for p, total in ((bn.weight, gw_ref), (bn.bias, gb_ref)):
                summed = mg.tensor(p.grad.numpy())
                dist.all_reduce(summed)
                np.testing.assert_allclose(summed.numpy(), total, rtol=tolerance, atol=tolerance)
            # eval mode communicates nothing and uses the running statistics
            bn.eval()
            gathers, reductions = calls("Allgather"), calls("Iallreduce")
            y_eval = bn(mg.tensor(x_all[local], dtype=dtype))
            assert (calls("Allgather"), calls("Iallreduce")) == (gathers, reductions)
            shape = (1, -1) + (1,) * len(tail)
            expected = ((x_all[local] - bn.running_mean.numpy().reshape(shape))
                        / np.sqrt(bn.running_var.numpy().reshape(shape) + 1e-5) * weight.reshape(shape)
                        + bias.reshape(shape))
            np.testing.assert_allclose(y_eval.detach().numpy(), expected, rtol=tolerance, atol=tolerance)

    # a global batch of one sample: the same error on every rank
    bn = nn.SyncBatchNorm(3)
    one = mg.randn(1 if rank == 0 else 0, 3)
    expect_error(ValueError, ["more than 1 value per channel over the global batch", "got 1"], lambda: bn(one))


def sync_batchnorm_double_backward(rank, size):
    """create_graph through SyncBatchNorm: a gradient penalty's gradients (the second derivatives)
    on each rank's share equal BatchNorm's on the concatenated batch, computed by every rank alone."""
    rng = np.random.default_rng(4)
    sizes, channels = [3, 0, 4][:size], 3
    x_all = rng.standard_normal((sum(sizes), channels, 2)) * 2 + 5
    upstream_all, direction_all = rng.standard_normal(x_all.shape), rng.standard_normal(x_all.shape)
    local = slice(sum(sizes[:rank]), sum(sizes[:rank + 1]))

    def penalty_gradients(layer, x, upstream, direction):
        """(d/dx, d/dweight) of sum(direction * d(sum(layer(x) * upstream))/dx); the bias does not
        reach the input gradient, so it gets none."""
        x = mg.tensor(x, requires_grad=True)
        gx, = mg.autograd.grad((layer(x) * mg.tensor(upstream)).sum(), [x], create_graph=True)
        (gx * mg.tensor(direction)).sum().backward()
        assert layer.bias.grad is None
        return x.grad.numpy(), layer.weight.grad.numpy()

    weight, bias = rng.uniform(0.5, 1.5, channels), rng.standard_normal(channels)
    layers = [nn.BatchNorm1d(channels).double(), nn.SyncBatchNorm.convert_sync_batchnorm(nn.BatchNorm1d(channels))]
    for layer in layers:
        layer.double()
        layer.weight.data[...], layer.bias.data[...] = weight, bias
    reference = penalty_gradients(layers[0], x_all, upstream_all, direction_all)
    reductions = calls("Iallreduce")
    gx, gweight = penalty_gradients(layers[1], x_all[local], upstream_all[local], direction_all[local])
    assert calls("Iallreduce") > reductions  # the double backward's global means
    np.testing.assert_allclose(gx, reference[0][local], rtol=1e-9, atol=1e-10)
    summed = mg.tensor(gweight)  # each rank's share of the weight's gradient; their sum is the total
    dist.all_reduce(summed)
    np.testing.assert_allclose(summed.numpy(), reference[1], rtol=1e-9, atol=1e-10)


# ---- the pinned equivalence ----------------------------------------------------------------------
def equivalence(rank, size):
    """DDP + SyncBatchNorm + DistributedSampler on `size` processes train the same parameters and
    running statistics as one process on the global batch (float64, 1e-10)."""
    rng = np.random.default_rng(0)
    n, global_batch = 96, 16
    x, y = rng.standard_normal((n, 4)) * 2 + 1, rng.integers(0, 6, n)
    dataset = TensorDataset(x, y)

    def train(model, sampler, batch_size):
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        loader = DataLoader(dataset, batch_size=batch_size, sampler=sampler)
        for epoch in range(2):
            sampler.set_epoch(epoch)
            for xb, yb in loader:
                opt.zero_grad()
                F.cross_entropy(model(xb), yb).backward()
                opt.step()

    mg.manual_seed(0)
    reference = mlp(depth=3, batch_norm=True)
    train(reference, DistributedSampler(dataset, num_replicas=1, rank=0, seed=5), global_batch)

    mg.manual_seed(0)
    model = nn.SyncBatchNorm.convert_sync_batchnorm(mlp(depth=3, batch_norm=True))
    parallel = DDP(model, bucket_cap_mb=100 * 8 / 2 ** 20)  # several buckets
    train(parallel, DistributedSampler(dataset, seed=5), global_batch // size)
    reference_state = reference.state_dict()
    for name, value in parallel.module.state_dict().items():
        np.testing.assert_allclose(value.numpy(), reference_state[name].numpy(), rtol=0, atol=1e-10, err_msg=name)


# ---- CuPy arrays through the NCCL path (a stand-in NCCL on MPI, under the CPU emulation of CuPy) --
def nccl(rank, size):
    """Collectives, DDP (parameter broadcast, bucketed gradient averaging) and SyncBatchNorm on CUDA
    tensors give the CPU path's numbers, and every CuPy transfer went through NcclCommunicator."""
    import fake_nccl

    dist.process_group.nccl_bindings = lambda: fake_nccl
    cpu, cuda = (everything_on(device, rank, size) for device in ("cpu", "cuda"))
    for name in cpu:
        np.testing.assert_allclose(cuda[name], cpu[name], rtol=1e-12, atol=1e-14, err_msg=name)
    assert all(fake_nccl.calls[method] > 0 for method in ("allReduce", "bcast", "allGather")), fake_nccl.calls
    assert isinstance(dist.process_group.world().device, dist.process_group._NcclArrays)


def everything_on(device, rank, size):
    """name -> NumPy array of what this rank ends with after collectives and two DDP steps on device."""
    results = {}
    values = np.arange(6, dtype=np.float64).reshape(2, 3) * (rank + 1) - rank
    for op in dist.ReduceOp:
        for dtype in ("float32", "float64"):
            t = mg.tensor(values, dtype=dtype, device=device)
            dist.all_reduce(t, op=op)
            results[f"all_reduce {op} {dtype}"] = t.numpy()
    counts = mg.tensor(np.array([rank, 1], dtype=np.int64), device=device)
    dist.all_reduce(counts)
    results["all_reduce int64"] = counts.numpy()
    t = mg.tensor(values, device=device)
    dist.broadcast(t, src=size - 1)
    results["broadcast"] = t.numpy()
    parts = [mg.zeros(2, 3, device=device) for _ in range(size)]
    dist.all_gather(parts, mg.tensor(values, dtype="float32", device=device))
    results.update({f"all_gather {r}": part.numpy() for r, part in enumerate(parts)})

    mg.manual_seed(rank)  # different models before DDP broadcasts rank 0's
    model = nn.SyncBatchNorm.convert_sync_batchnorm(mlp(batch_norm=True)).to(device)
    parallel = DDP(model, bucket_cap_mb=40 * 8 / 2 ** 20)  # several buckets
    opt = optim.SGD(parallel.parameters(), lr=0.1, momentum=0.9)
    rng = np.random.default_rng(rank)
    for _ in range(2):
        x, target = rng.standard_normal((3 + rank, 4)), rng.standard_normal((3 + rank, 6))
        opt.zero_grad()
        F.mse_loss(parallel(mg.tensor(x, device=device)), mg.tensor(target, device=device)).backward()
        opt.step()
    results.update({name: value.numpy() for name, value in model.state_dict().items()})
    return results


# ---- a rank that raises --------------------------------------------------------------------------
def raises(rank, size):
    if rank == size - 1:
        raise RuntimeError(f"deliberate failure on rank {rank}")
    dist.barrier()  # the other ranks wait here; the abort must end them


def all_end_with_sys_exit(rank, size):
    """Every rank ends at the same point without destroy_process_group: a clean end (exit code 0)."""
    dist.all_reduce(mg.ones(2))
    print(f"OK {rank}", flush=True)
    sys.exit(0)


# ---- faults: each must end the job with a clear error within FAULT_TIMEOUT plus a few seconds ------
FAULT_TIMEOUT = datetime.timedelta(seconds=3)


def exits(rank, size):
    if rank == size - 1:
        sys.exit(1)  # SystemExit skips the excepthook: the exit check-in tells the others
    dist.barrier()


def sigterm(rank, size):
    if rank == size - 1:
        os.kill(os.getpid(), signal.SIGTERM)
    dist.barrier()


def skips_backward(rank, size):
    model = DDP(mlp())
    for step in range(3):
        loss = model(mg.ones(2, 4, dtype="float64")).sum()
        if not (rank == size - 1 and step == 1):
            loss.backward()


def extra_batch(rank, size):
    model = DDP(mlp())
    for _ in range(3 + (rank == size - 1)):
        model(mg.ones(2, 4, dtype="float64")).sum().backward()
    dist.barrier()


def allreduce_vs_barrier(rank, size):
    if rank == 0:
        dist.all_reduce(mg.ones(3))
    else:
        dist.barrier()


def extra_allreduce(rank, size):
    """The issue's case: rank 0 would get 10 + 2 = 12 instead of 10 + 11 = 21, then the job would hang."""
    if rank == 1:
        dist.all_reduce(mg.tensor([2.0]))
    shared = mg.tensor([10.0 + rank])
    dist.all_reduce(shared)
    print(f"rank {rank} summed {shared.item()}", flush=True)


def hangs(rank, size):
    if rank == size - 1:
        time.sleep(60)  # stuck outside any collective
    dist.all_reduce(mg.ones(3))


FAULTS = (exits, sigterm, skips_backward, extra_batch, allreduce_vs_barrier, extra_allreduce, hangs)
SCENARIOS = {f.__name__: f for f in (collectives, ddp, sync_batchnorm, sync_batchnorm_double_backward, equivalence, nccl,
                                     raises, all_end_with_sys_exit) + FAULTS}

if __name__ == "__main__":
    mg.set_num_threads(1)
    scenario = SCENARIOS[sys.argv[1]]
    dist.init_process_group(backend="mpi", timeout=FAULT_TIMEOUT if scenario in FAULTS else None)
    # CLOCK_MONOTONIC is system-wide: the test times the fault from here, not from a start slowed by imports
    print(f"STARTED {dist.get_rank()} at {time.monotonic()}", flush=True)
    scenario(dist.get_rank(), dist.get_world_size())
    dist.barrier()
    print(f"OK {dist.get_rank()}", flush=True)
    dist.destroy_process_group()
