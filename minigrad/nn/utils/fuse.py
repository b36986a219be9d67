"""fuse_batch_norm: fold each eval-mode BatchNorm into the Linear or Conv layer before it."""
import copy

from ... import backend, nn
from ..module import Module, Parameter

# (layer class name, the BatchNorm class that may follow it); Conv layers take part where they exist
_FOLDABLE = (("Linear", "BatchNorm1d"), ("Conv1d", "BatchNorm1d"), ("Conv2d", "BatchNorm2d"))


def fuse_batch_norm(model):
    """An eval-mode deep copy of ``model`` in which each Linear -> BatchNorm1d, Conv1d -> BatchNorm1d and
    Conv2d -> BatchNorm2d pair that follow each other in a Sequential is folded into the first layer:

        weight' = weight * gamma / sqrt(running_var + eps)   (scaled per output channel, axis 0)
        bias'   = (bias - running_mean) * gamma / sqrt(running_var + eps) + beta

    and the BatchNorm removed from the Sequential (the other entries keep their names). The original
    model is untouched. The copy's outputs equal the eval-mode original's to float32 rounding (the folded
    parameters are computed in float64). Pairs are found only inside Sequentials, where order is data
    flow; a BatchNorm without running statistics (track_running_stats=False) is left as it is.

    Example::

        model = nn.Sequential(nn.Linear(64, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Linear(128, 10))
        fast = nn.utils.fuse_batch_norm(model)   # Sequential(Linear(64, 128), ReLU(), Linear(128, 10))
    """
    if not isinstance(model, Module):
        raise TypeError(f"fuse_batch_norm takes a Module, got {type(model).__name__}")
    fused = copy.deepcopy(model).eval()
    pairs = [(getattr(nn, layer), getattr(nn, norm)) for layer, norm in _FOLDABLE if hasattr(nn, layer)]
    for module in fused.modules():
        if isinstance(module, nn.Sequential):
            _fold_sequential(module, pairs)
    return fused


def _fold_sequential(sequential, pairs):
    entries = list(sequential._modules.items())
    folded = set()
    for (_, layer), (norm_name, norm) in zip(entries, entries[1:]):
        if id(layer) in folded:  # a layer may fold only one BatchNorm
            continue
        if any(type(layer) is layer_type and type(norm) is norm_type for layer_type, norm_type in pairs) \
                and norm.running_mean is not None:
            _fold(layer, norm)
            folded.add(id(layer))
            del sequential._modules[norm_name]
            object.__delattr__(sequential, norm_name)


def _fold(layer, norm):
    weight = layer.weight._data
    if weight.shape[0] != norm.num_features:
        raise ValueError(f"cannot fold {type(norm).__name__}({norm.num_features}) into a {type(layer).__name__} "
                         f"with {weight.shape[0]} output channels")
    xp = backend.array_module(weight)
    scale = 1.0 / xp.sqrt(norm.running_var._data.astype(xp.float64) + norm.eps)
    shift = -norm.running_mean._data.astype(xp.float64) * scale
    if norm.weight is not None:
        scale = scale * norm.weight._data
        shift = shift * norm.weight._data
    if norm.bias is not None:
        shift = shift + norm.bias._data
    bias = shift if layer.bias is None else layer.bias._data.astype(xp.float64) * scale + shift
    per_channel = scale.reshape((-1,) + (1,) * (weight.ndim - 1))
    layer.weight = Parameter((weight * per_channel).astype(weight.dtype))
    layer.register_parameter("bias", Parameter(bias.astype(weight.dtype)))
