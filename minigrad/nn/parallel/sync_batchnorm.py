"""SyncBatchNorm: BatchNorm whose training statistics cover the global batch of all ranks."""
from ...autograd import Op
from ...distributed import process_group
from ...ops._tensor_checks import check_same_dtype
from ...ops.normalization import affine_grads, normalization_backward_graph
from ..layers import _BatchNorm


def merge_channel_statistics(counts, means, m2s):
    """Chan et al.'s parallel merge of per-rank (count, mean, M2) into the global ones.

    counts: (R,), means and m2s: (R, C) float64 (M2 = sum of squared deviations from the rank's
    mean). Returns (count, mean (C,), M2 (C,)). Merging in rank order on every rank gives every
    rank the same bits; no E[x^2] - E[x]^2 cancellation, and ranks with no samples add nothing.

    >>> merge_channel_statistics(np.array([2., 1.]), np.array([[1.], [4.]]), np.array([[2.], [0.]]))
    (3.0, array([2.]), array([8.]))
    """
    count, mean, m2 = float(counts[0]), means[0], m2s[0]
    for n_b, mean_b, m2_b in zip(counts[1:], means[1:], m2s[1:]):
        n_b = float(n_b)
        if n_b == 0:
            continue
        total = count + n_b
        delta = mean_b - mean
        mean = mean + delta * (n_b / total)
        m2 = m2 + m2_b + delta * delta * (count * n_b / total)
        count = total
    return count, mean, m2


class SyncBatchNormOp(Op):
    """Training-mode BatchNorm over the global batch. Inputs: x (N, C, ...) and, when present,
    weight and bias (C,). N may differ between ranks (and be 0 on some).

    Forward: each rank's (count, mean, M2) per channel from the BatchNorm kernels, one Allgather,
    Chan's merge; the running statistics (arrays or None) are updated in place. Backward: the local
    sums (sum gy, sum gy * (x - mean)) per channel, one Allreduce, then the input gradient; weight
    and bias gradients are this rank's sums (DDP averages them, as torch's SyncBatchNorm).
    """

    def __init__(self, group, running_mean, running_var, momentum, eps, has_weight, has_bias):
        self.group, self.momentum, self.eps = group, momentum, eps
        self.running_mean, self.running_var = running_mean, running_var
        self.has_weight, self.has_bias = has_weight, has_bias

    def forward(self, x, *affine):
        xp = self.xp
        weight = affine[0] if self.has_weight else None
        bias = affine[-1] if self.has_bias else None
        x = xp.ascontiguousarray(x)
        kernels = self.kernels
        channels = x.shape[1]
        local_count = x.size // channels
        stats = xp.zeros(1 + 2 * channels)
        stats[0] = local_count
        if local_count:
            stats[1:1 + channels], stats[1 + channels:] = kernels.batch_norm_stats(x)
        everyone = process_group.allgather_array(self.group, stats, "SyncBatchNorm forward")
        counts = everyone[:, 0].tolist()
        count, mean, m2 = merge_channel_statistics(counts, everyone[:, 1:1 + channels], everyone[:, 1 + channels:])
        if count < 2:
            raise ValueError(f"SyncBatchNorm needs more than 1 value per channel over the global batch when "
                             f"training, got {int(count)} (per-rank counts {[int(c) for c in counts]})")
        invstd = 1.0 / xp.sqrt(m2 / count + self.eps)
        if self.running_mean is not None:
            momentum = self.momentum
            self.running_mean[...] = (1 - momentum) * self.running_mean + momentum * mean
            self.running_var[...] = (1 - momentum) * self.running_var + momentum * (m2 / (count - 1))
        scale = invstd if weight is None else invstd * weight
        shift = xp.zeros(channels) if bias is None else bias.astype(xp.float64)
        y = kernels.batch_norm_elemt(x, mean, scale, shift)
        self.x, self.weight, self.mean, self.invstd, self.count = x, weight, mean, invstd, count
        return y

    def backward(self, gy):
        xp, x = self.xp, self.x
        gy = xp.ascontiguousarray(gy)
        channels = x.shape[1]
        if x.size:
            sum_gy, sum_gy_xmu = self.kernels.batch_norm_backward_reduce(gy, x, self.mean)
        else:
            sum_gy, sum_gy_xmu = xp.zeros(channels), xp.zeros(channels)
        gx = None
        if self.needs_input_grad[0]:
            sums = xp.concatenate([sum_gy, sum_gy_xmu])
            process_group.allreduce_array(self.group, sums, process_group.ReduceOp.SUM, "SyncBatchNorm backward")
            global_gy, global_gy_xmu = sums[:channels], sums[channels:]
            scale = self.invstd if self.weight is None else self.invstd * self.weight
            gx = self.kernels.batch_norm_elemt(
                x, self.mean, -scale * self.invstd * self.invstd * global_gy_xmu / self.count,
                -scale * global_gy / self.count, gy, scale)
        dtype = x.dtype
        grads = (gx,)
        if self.has_weight:
            grads += ((sum_gy_xmu * self.invstd).astype(dtype),)
        if self.has_bias:
            grads += (sum_gy.astype(dtype),)
        return grads

    def backward_graph(self, inputs, gy):
        """BatchNorm's differentiable backward with the means taken over the global batch: four
        differentiable Allreduces (each rank must run it in step, as the first-order backward)."""
        x, weight = inputs[0], inputs[1] if self.has_weight else None
        axes = (0,) + tuple(range(2, x.ndim))
        per_channel = (-1,) + (1,) * (x.ndim - 2)

        def global_mean(t):
            return GlobalSum(self.group)(t.sum(axes)).reshape(per_channel) / self.count

        grads = normalization_backward_graph(x, gy, None if weight is None else weight.reshape(per_channel),
                                             global_mean, lambda t: t.sum(axes), self.eps)
        return affine_grads(self, grads)


class GlobalSum(Op):
    """The sum over the ranks of the group of an array (every rank gets it): one Allreduce. Its
    gradient is the sum over the ranks of their gradients, another GlobalSum; so it is differentiable
    to any order, each rank differentiating in step."""

    def __init__(self, group):
        self.group = group

    def forward(self, x):
        total = self.xp.array(x, copy=True, order="C")
        process_group.allreduce_array(self.group, total, process_group.ReduceOp.SUM, "SyncBatchNorm double backward")
        return total

    def backward(self, gy):
        return self.forward(gy)

    def backward_graph(self, inputs, gy):
        return GlobalSum(self.group)(gy)


class SyncBatchNorm(_BatchNorm):
    """BatchNorm whose training statistics are those of the global batch across all ranks of the
    process group (input (N, C, *spatial), any number of spatial dims; N may differ per rank).

    Outside a process group, or in eval mode, it is exactly BatchNorm and communicates nothing.
    Build models with BatchNorm and convert them: ``SyncBatchNorm.convert_sync_batchnorm(model)``.

    Example::

        model = nn.SyncBatchNorm.convert_sync_batchnorm(nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8)))
    """

    expected_dims = tuple(range(2, 8))

    def _normalize(self, x, use_batch_stats, momentum):
        group = process_group.world()
        if not (self.training and group is not None):
            return super()._normalize(x, use_batch_stats, momentum)
        check_same_dtype(x, weight=self.weight, bias=self.bias, running_mean=self.running_mean,
                         running_var=self.running_var)
        op = SyncBatchNormOp(group, None if self.running_mean is None else self.running_mean._data,
                             None if self.running_var is None else self.running_var._data, momentum, self.eps,
                             self.weight is not None, self.bias is not None)
        return op(x, *(t for t in (self.weight, self.bias) if t is not None))

    @classmethod
    def convert_sync_batchnorm(cls, module):
        """``module`` with every BatchNorm1d/2d (at any depth) replaced by a SyncBatchNorm sharing its
        parameters, buffers and mode; a BatchNorm ``module`` itself gives a new SyncBatchNorm.

        Example: ``model = nn.SyncBatchNorm.convert_sync_batchnorm(model)``
        """
        if isinstance(module, _BatchNorm) and not isinstance(module, cls):
            converted = cls.__new__(cls)
            converted.__dict__.update(module.__dict__)  # the same Parameter and buffer objects
            return converted
        for name, child in list(module._modules.items()):
            if child is not None:
                replacement = cls.convert_sync_batchnorm(child)
                if replacement is not child:
                    setattr(module, name, replacement)
        return module
