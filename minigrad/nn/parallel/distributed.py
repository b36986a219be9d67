"""DistributedDataParallel: one model replica per process, gradients averaged across processes."""
import contextlib
import weakref

from ... import _args, backend
from ...autograd import is_grad_enabled
from ...distributed import process_group
from ..module import Module

_MB = 1 << 20


class _Bucket:
    """Parameters whose gradients travel in one flat message: same dtype and device, in the order
    gradients usually become ready (the reverse of registration)."""

    __slots__ = ("params", "offsets", "numel")

    def __init__(self, params):
        self.params = params
        self.offsets, self.numel = [], 0
        for p in params:
            self.offsets.append(self.numel)
            self.numel += p._data.size

    def flatten_grads(self):
        # dtype and device read now: the model may have been moved (ddp.double(), .to("cuda")) since
        first = self.params[0].grad._data
        flat = backend.array_module(first).empty(self.numel, dtype=first.dtype)
        for p, offset in zip(self.params, self.offsets):
            flat[offset:offset + p._data.size] = p.grad._data.reshape(-1)
        return flat

    def scatter_grads(self, flat):
        # views of a fresh buffer, never reused: no gradient a user holds is overwritten later
        for p, offset in zip(self.params, self.offsets):
            p.grad._data = flat[offset:offset + p._data.size].reshape(p._data.shape)


def _make_buckets(params, cap_bytes):
    buckets, current, current_bytes = [], [], 0
    for p in reversed(params):
        same_kind = not current or (p._data.dtype == current[0]._data.dtype and type(p._data) is type(current[0]._data))
        if current and (not same_kind or current_bytes + p._data.nbytes > cap_bytes):
            buckets.append(_Bucket(current))
            current, current_bytes = [], 0
        current.append(p)
        current_bytes += p._data.nbytes
    if current:
        buckets.append(_Bucket(current))
    return buckets


class DistributedDataParallel(Module):
    """Data parallelism: every rank holds the same model and trains it on its own part of the batch.

    At construction the parameters and buffers are broadcast from rank 0 (the ranks' models must
    have the same parameter names, shapes and dtypes: otherwise every rank raises). During backward
    each parameter's gradient joins a bucket of about ``bucket_cap_mb`` megabytes; a bucket's
    non-blocking allreduce (``Iallreduce``) starts as soon as all its gradients are ready, so the
    messages overlap the rest of backward; the last bucket waits for all of them and leaves every
    ``.grad`` as the average over ranks. Gradients that arrive later (a parameter used by several
    ops) are averaged too; a parameter that gets none makes the next forward raise, naming it. With
    ``broadcast_buffers`` (torch's default) every forward in training first copies rank 0's buffers
    (e.g. plain BatchNorm's running statistics) to all.

    Each backward's reduction starts with one check-in (see minigrad.distributed) naming how many
    training forwards (grad enabled) this wrapper has run, so a rank that skipped a backward, or
    ran one more batch than the others, is reported on every rank instead of averaging gradients of
    different steps.

    ``.module`` is the wrapped model. As in torch, ``state_dict()`` keys carry a ``"module."`` prefix
    (the wrapped model is the child named ``module``); save ``ddp.module.state_dict()`` for keys that
    load into the bare model.

    Example::

        dist.init_process_group()
        model = nn.parallel.DistributedDataParallel(nn.SyncBatchNorm.convert_sync_batchnorm(model))
        loss = F.cross_entropy(model(xb), yb); loss.backward(); opt.step()
    """

    def __init__(self, module, bucket_cap_mb=25, broadcast_buffers=True):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel wraps an nn.Module, got {type(module).__name__}")
        _args.real(bucket_cap_mb, "DistributedDataParallel: bucket_cap_mb", 0, low_open=True)
        group = process_group.world()
        if group is None:
            raise RuntimeError("DistributedDataParallel needs a process group; call "
                               "minigrad.distributed.init_process_group() first")
        self.module = module
        self.broadcast_buffers = bool(broadcast_buffers)
        params = [p for p in module.parameters() if p.requires_grad]
        problem = None if params else (f"DistributedDataParallel needs a module with parameters that require "
                                       f"grad; {type(module).__name__} has none")
        _check_same_model(group, module, problem)
        _broadcast_from_rank_0(group, list(module.parameters()) + list(module.buffers()),
                               "DistributedDataParallel parameters and buffers")
        self._group = group
        self._buckets = _make_buckets(params, bucket_cap_mb * _MB)
        self._bucket_index = {id(p): index for index, b in enumerate(self._buckets) for p in b.params}
        self._bucket_sizes = " + ".join(str(b.numel) for b in self._buckets)
        self._forwards = 0  # training forwards with grad enabled: the step a reduction belongs to
        self._require_sync = True
        self._reset_reduction()
        this = weakref.ref(self)  # the hooks never keep a discarded wrapper alive
        self._hook_handles = [p.register_post_accumulate_grad_hook(
            lambda p, this=this: this() is not None and this()._on_grad_ready(p)) for p in params]

    def forward(self, *args, **kwargs):
        if self._ready and not self._finished:
            missing = [name for name, p in self.module.named_parameters() if p.requires_grad
                       and id(p) not in self._ready]
            self._reset_reduction()
            raise RuntimeError(
                "DistributedDataParallel: the previous backward did not give every parameter a gradient, so its "
                "gradients were not averaged across ranks (parameters without a gradient: " + ", ".join(missing)
                + "); every parameter must take part in the loss")
        self._reset_reduction()
        if self.training and is_grad_enabled():
            self._forwards += 1
        if self.broadcast_buffers and self.training:
            _broadcast_from_rank_0(self._group, list(self.module.buffers()),
                                   "DistributedDataParallel buffers", f"forward #{self._forwards}")
        return self.module(*args, **kwargs)

    @contextlib.contextmanager
    def no_sync(self):
        """Inside, backward accumulates gradients locally without communicating; the first backward
        after it averages the accumulated gradients. Example::

            with ddp.no_sync():
                ddp(x1).sum().backward()
            ddp(x2).sum().backward()      # averages the sum of both steps' gradients
        """
        previous = self._require_sync
        self._require_sync = False
        try:
            yield
        finally:
            self._require_sync = previous

    # ---- the reduction during backward ---------------------------------------------------------
    # A leaf's gradient arrives once per op that uses it, so a parameter can get more after its
    # bucket was sent (an L2 term in the loss, a layer used twice). Every rank runs the same graph
    # and sees the same sequence, so such late gradients are reduced the same way everywhere: a sent
    # bucket that got one is reduced again from the final gradients, and one arriving after all
    # buckets were averaged is averaged on its own and added.
    def _reset_reduction(self):
        self._ready = set()
        self._ready_count = [0] * len(self._buckets)
        self._pending = []
        self._checked_in = False  # whether this backward's check-in is done (its first gradient does it)
        self._late_buckets = set()
        self._finished = False
        self._averaged = {}  # id(param) -> (its grad Tensor, the averaged array), once finished

    def _on_grad_ready(self, p):
        if not self._require_sync:
            return
        if self._finished:
            self._average_late_gradient(p)
            return
        index = self._bucket_index[id(p)]
        if id(p) in self._ready:
            if index < len(self._pending):
                self._late_buckets.add(index)
            return  # not sent yet: the added gradient will be in the bucket
        self._ready.add(id(p))
        self._ready_count[index] += 1
        if not self._checked_in:
            # the first gradient of a backward waits for every rank's: then each bucket's message
            # starts as soon as it is ready, overlapping the rest of backward
            try:
                process_group.check_in(self._group, "DistributedDataParallel gradients",
                                       f"the backward of forward #{self._forwards}",
                                       f"buckets of {self._bucket_sizes} {self._buckets[0].params[0].dtype}")
            except Exception:
                self._reset_reduction()  # the error is this backward's, not the next forward's
                raise
            self._checked_in = True
        # buckets start in index order, so every rank starts the same collectives in the same order
        pending = self._pending
        while len(pending) < len(self._buckets) and \
                self._ready_count[len(pending)] == len(self._buckets[len(pending)].params):
            bucket = self._buckets[len(pending)]
            pending.append(process_group.start_allreduce(self._group, bucket.flatten_grads(), process_group.ReduceOp.AVG,
                                                         "DistributedDataParallel gradients"))
        if len(pending) < len(self._buckets):
            for reduction in pending:
                reduction.test()
            return
        for index, (bucket, reduction) in enumerate(zip(self._buckets, pending)):
            averaged = reduction.wait()
            if index in self._late_buckets:
                averaged = bucket.flatten_grads()
                process_group.allreduce_array(self._group, averaged, process_group.ReduceOp.AVG,
                                              "DistributedDataParallel late gradients")
            bucket.scatter_grads(averaged)
        self._finished = True
        self._averaged = {id(q): (q.grad, q.grad._data) for b in self._buckets for q in b.params}

    def _average_late_gradient(self, p):
        grad_tensor, averaged = self._averaged[id(p)]
        if p.grad is grad_tensor and p.grad._data is averaged:  # relies on out-of-place accumulation
            raise RuntimeError("DistributedDataParallel: a late gradient was added in place into an averaged one "
                               "and cannot be told apart from it")
        added = p.grad._data - averaged if p.grad is grad_tensor else p.grad._data.copy()
        process_group.allreduce_array(self._group, added, process_group.ReduceOp.AVG,
                                      "DistributedDataParallel late gradients")
        p.grad._data = (averaged if p.grad is grad_tensor else 0) + added
        self._averaged[id(p)] = (p.grad, p.grad._data)


def _broadcast_from_rank_0(group, tensors, name, where=""):
    """Rank 0's values into ``tensors`` on every rank: one check-in as collective ``name``, then one
    message per dtype and device. Nothing at all without tensors (a model without buffers)."""
    if group.size == 1 or not tensors:
        return
    kinds = {}
    for t in tensors:
        kinds.setdefault((t.dtype, t.device), []).append(t)
    flats = [backend.array_module(same_kind[0]._data).concatenate([t._data.reshape(-1) for t in same_kind])
             for same_kind in kinds.values()]
    process_group.broadcast_arrays(group, flats, 0, name, where)
    for same_kind, flat in zip(kinds.values(), flats):
        offset = 0
        for t in same_kind:
            t._data[...] = flat[offset:offset + t._data.size].reshape(t.shape)
            t._bump_version()
            offset += t._data.size


def _check_same_model(group, module, problem):
    """Every rank raises when a rank's model has no trainable parameter or the ranks' models differ
    in parameter or buffer names, shapes or dtypes."""
    lines = [f"{kind} {name}: {t.dtype} {tuple(t.shape)} requires_grad={t.requires_grad}"
             for kind, members in (("parameter", module.named_parameters()), ("buffer", module.named_buffers()))
             for name, t in members]
    reports = process_group.agree(group, "DistributedDataParallel model", "\n".join(lines), problem)
    if reports is None:
        return
    failing = [f"rank {rank}: {p}" for rank, (_, p) in enumerate(reports) if p is not None]
    if failing:
        raise ValueError("; ".join(failing))
    reference = reports[0][0].split("\n")
    differences = []
    for rank, (description, _) in enumerate(reports[1:], start=1):
        theirs = description.split("\n")
        first = next((i for i, (a, b) in enumerate(zip(reference, theirs)) if a != b), min(len(reference), len(theirs)))
        differences.append(f"rank 0 has {reference[first] if first < len(reference) else 'nothing more'!r}, "
                           f"rank {rank} has {theirs[first] if first < len(theirs) else 'nothing more'!r}")
    raise ValueError("DistributedDataParallel: the ranks' models differ (every rank must build the same model): "
                     + "; ".join(d for d, (desc, _) in zip(differences, reports[1:]) if desc != reports[0][0]))
