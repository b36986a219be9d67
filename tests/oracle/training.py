"""The oracle's table of nn modules, nn.init, optimizers and LR schedulers.

A module case builds the layer on both sides from the same constructor call (``make(nn)``), loads
torch's initial state into both, then runs it in training mode twice (running statistics move) and
in eval mode once, on the same input; compared: the outputs, the buffers afterwards, the gradients of
the input and of every parameter (by name), and the state_dict keys. An optimizer case steps the same
parameters with the same gradients a few times; a scheduler case steps an SGD optimizer N times and
compares every learning rate (and momentum) on the way.
"""
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from oracle.cases import Lib
from oracle.harness import dtype_name, run


@dataclass
class ModuleCase:
    name: str
    make: Callable            # make(nn) -> module
    inputs: Callable          # inputs(m) -> positional args (m a cases.Lib; m.leaf for a compared gradient)
    train: bool = True        # also run in training mode (False for random layers: their masks differ)


def _x(*shape, offset=0.0):
    values = np.cos(np.arange(int(np.prod(shape))) * 0.7).reshape(shape) * 2 + offset
    return lambda m: (m.leaf(values),)


def _loss_inputs(shape, target):
    values = np.cos(np.arange(int(np.prod(shape))) * 0.9).reshape(shape)
    return lambda m: (m.leaf(values), target(m))


def M(name, make, inputs, train=True):
    return ModuleCase(name, make, inputs, train)


PROBS = np.array([[0.2, 0.9, 0.5], [0.7, 0.1, 0.35]])
MODULES = [
    M("Identity", lambda nn: nn.Identity(), _x(2, 3)),
    M("Linear", lambda nn: nn.Linear(4, 3), _x(2, 4)),
    M("Linear-nobias-3d", lambda nn: nn.Linear(4, 2, bias=False), _x(2, 3, 4)),
    M("Linear-1d", lambda nn: nn.Linear(4, 2), _x(4)),
    *[M(f"activation-{i}", make, _x(2, 5)) for i, make in enumerate([
        lambda nn: nn.ReLU(), lambda nn: nn.LeakyReLU(0.2), lambda nn: nn.LeakyReLU(), lambda nn: nn.GELU(),
        lambda nn: nn.GELU(approximate="tanh"), lambda nn: nn.Sigmoid(), lambda nn: nn.Tanh(),
        lambda nn: nn.Softmax(dim=1), lambda nn: nn.LogSoftmax(dim=0), lambda nn: nn.Softmin(dim=1),
        lambda nn: nn.SiLU(), lambda nn: nn.Softplus(beta=2.0, threshold=3.0), lambda nn: nn.ELU(alpha=0.5),
        lambda nn: nn.LogSigmoid(), lambda nn: nn.Mish(), lambda nn: nn.Hardswish(), lambda nn: nn.Softsign(),
        lambda nn: nn.Hardtanh(-0.5, 2.0), lambda nn: nn.Softmax(dim=-1)])],
    M("Dropout-eval", lambda nn: nn.Dropout(0.4), _x(3, 4), train=False),
    M("Dropout-p0", lambda nn: nn.Dropout(0.0), _x(3, 4)),
    M("Dropout2d-eval", lambda nn: nn.Dropout2d(0.5), _x(2, 3, 2, 2), train=False),
    M("Dropout1d-eval", lambda nn: nn.Dropout1d(0.5), _x(2, 3, 2), train=False),
    M("Dropout3d-eval", lambda nn: nn.Dropout3d(0.5), _x(2, 3, 2, 2, 1), train=False),
    M("BatchNorm1d", lambda nn: nn.BatchNorm1d(3), _x(4, 3, offset=1.0)),
    M("BatchNorm1d-3d", lambda nn: nn.BatchNorm1d(3, eps=0.1, momentum=0.3), _x(4, 3, 5)),
    M("BatchNorm1d-cumulative", lambda nn: nn.BatchNorm1d(3, momentum=None), _x(4, 3)),
    M("BatchNorm1d-noaffine", lambda nn: nn.BatchNorm1d(3, affine=False), _x(4, 3)),
    M("BatchNorm1d-nostats", lambda nn: nn.BatchNorm1d(3, track_running_stats=False), _x(4, 3)),
    M("BatchNorm2d", lambda nn: nn.BatchNorm2d(2), _x(2, 2, 3, 3)),
    M("LayerNorm", lambda nn: nn.LayerNorm(4), _x(2, 3, 4)),
    M("LayerNorm-2d-noaffine", lambda nn: nn.LayerNorm((3, 4), eps=0.5, elementwise_affine=False), _x(2, 3, 4)),
    M("LayerNorm-nobias", lambda nn: nn.LayerNorm(4, bias=False), _x(3, 4)),
    M("GroupNorm", lambda nn: nn.GroupNorm(2, 4), _x(2, 4, 3)),
    M("GroupNorm-noaffine", lambda nn: nn.GroupNorm(1, 4, eps=0.1, affine=False), _x(2, 4, 2, 2)),
    M("InstanceNorm1d", lambda nn: nn.InstanceNorm1d(3), _x(2, 3, 5)),
    M("InstanceNorm1d-stats", lambda nn: nn.InstanceNorm1d(3, affine=True, track_running_stats=True), _x(2, 3, 5)),
    M("InstanceNorm2d-unbatched", lambda nn: nn.InstanceNorm2d(3), _x(3, 4, 4)),
    M("InstanceNorm1d-unbatched", lambda nn: nn.InstanceNorm1d(3, momentum=0.5, track_running_stats=True), _x(3, 6)),
    M("Flatten", lambda nn: nn.Flatten(), _x(2, 3, 4)),
    M("Flatten-dims", lambda nn: nn.Flatten(0, 1), _x(2, 3, 4)),
    M("Unflatten", lambda nn: nn.Unflatten(1, (2, 2)), _x(3, 4)),
    M("Upsample", lambda nn: nn.Upsample(scale_factor=2), _x(1, 2, 3)),
    M("Upsample-linear", lambda nn: nn.Upsample(size=5, mode="linear"), _x(1, 2, 3)),
    M("Upsample-bilinear-ac", lambda nn: nn.Upsample(scale_factor=1.5, mode="bilinear", align_corners=True),
      _x(1, 1, 3, 4)),
    M("UpsamplingNearest2d", lambda nn: nn.UpsamplingNearest2d(scale_factor=2), _x(1, 2, 2, 3)),
    M("UpsamplingBilinear2d", lambda nn: nn.UpsamplingBilinear2d(size=(3, 5)), _x(1, 2, 2, 3)),
    M("ZeroPad1d", lambda nn: nn.ZeroPad1d(2), _x(1, 2, 3)),
    M("ZeroPad2d", lambda nn: nn.ZeroPad2d((1, 0, 2, 1)), _x(1, 2, 3)),
    M("ZeroPad3d", lambda nn: nn.ZeroPad3d(1), _x(1, 2, 2, 2)),
    M("ConstantPad1d", lambda nn: nn.ConstantPad1d((1, -1), 2.5), _x(2, 3)),
    M("ConstantPad2d", lambda nn: nn.ConstantPad2d(1, -1.0), _x(1, 2, 3)),
    M("ConstantPad3d", lambda nn: nn.ConstantPad3d((1, 0, 0, 1, 1, 0), 0.5), _x(1, 1, 2, 2)),
    M("ReflectionPad1d", lambda nn: nn.ReflectionPad1d((2, 1)), _x(2, 4)),
    M("ReflectionPad2d", lambda nn: nn.ReflectionPad2d((1, 2, 0, 1)), _x(1, 2, 3, 3)),
    M("ReflectionPad3d", lambda nn: nn.ReflectionPad3d(1), _x(1, 1, 2, 3, 2)),
    M("ReplicationPad1d", lambda nn: nn.ReplicationPad1d(3), _x(1, 2, 2)),
    M("ReplicationPad2d", lambda nn: nn.ReplicationPad2d((2, 0, 1, 3)), _x(2, 3, 2)),
    M("ReplicationPad3d", lambda nn: nn.ReplicationPad3d((1, 0, 0, 2, 1, 1)), _x(1, 1, 2, 2, 2)),
    M("CircularPad1d", lambda nn: nn.CircularPad1d((1, 3)), _x(2, 3)),
    M("CircularPad2d", lambda nn: nn.CircularPad2d(1), _x(1, 2, 3, 2)),
    M("CircularPad3d", lambda nn: nn.CircularPad3d((0, 1, 1, 0, 2, 1)), _x(1, 2, 2, 3)),
    M("PixelShuffle", lambda nn: nn.PixelShuffle(2), _x(1, 8, 2, 3)),
    M("PixelUnshuffle", lambda nn: nn.PixelUnshuffle(3), _x(2, 3, 6)),
    M("Upsample-bicubic", lambda nn: nn.Upsample(scale_factor=2, mode="bicubic"), _x(1, 2, 3, 3)),
    M("Upsample-bicubic-ac", lambda nn: nn.Upsample(size=(5, 2), mode="bicubic", align_corners=True), _x(1, 1, 3, 4)),
    M("Embedding", lambda nn: nn.Embedding(5, 3, padding_idx=1), lambda m: (m.t([[0, 1], [4, 1]]),)),
    M("Embedding-from_pretrained", lambda nn: nn.Embedding.from_pretrained(
        nn.Linear(3, 4).weight.detach() * 0 + 1, freeze=False, padding_idx=0),
      lambda m: (m.t([0, 3, 3]),)),
    M("Conv2d", lambda nn: nn.Conv2d(2, 4, 3, stride=2, padding=1), _x(2, 2, 5, 5)),
    M("Conv2d-groups", lambda nn: nn.Conv2d(4, 2, (2, 3), dilation=2, groups=2, bias=False), _x(1, 4, 5, 7)),
    M("Conv2d-same", lambda nn: nn.Conv2d(2, 3, 4, padding="same"), _x(1, 2, 5, 5)),
    M("Conv2d-unbatched", lambda nn: nn.Conv2d(2, 3, 2), _x(2, 4, 4)),
    M("Conv1d", lambda nn: nn.Conv1d(3, 2, 2, stride=2, padding=1), _x(2, 3, 6)),
    M("ConvTranspose2d", lambda nn: nn.ConvTranspose2d(4, 2, 4, stride=2, padding=1), _x(2, 4, 3, 3)),
    M("ConvTranspose2d-options", lambda nn: nn.ConvTranspose2d(4, 6, (3, 2), stride=(2, 3), padding=(1, 0),
                                                               output_padding=(1, 2), groups=2, dilation=(1, 2)),
      _x(1, 4, 3, 4)),
    M("ConvTranspose2d-dilation", lambda nn: nn.ConvTranspose2d(2, 3, 2, dilation=3, output_padding=2, bias=False),
      _x(1, 2, 3, 3)),
    M("ConvTranspose2d-output_size", lambda nn: nn.ConvTranspose2d(2, 3, 3, stride=3, padding=1),
      lambda m: (m.leaf(np.cos(np.arange(18.0)).reshape(1, 2, 3, 3)), [8, 9])),
    M("ConvTranspose2d-unbatched", lambda nn: nn.ConvTranspose2d(2, 3, 2, stride=2), _x(2, 3, 3)),
    M("ConvTranspose1d", lambda nn: nn.ConvTranspose1d(4, 2, 3, stride=2, padding=1, output_padding=1, groups=2),
      _x(2, 4, 5)),
    M("Unfold", lambda nn: nn.Unfold((2, 3), dilation=(1, 2), padding=1, stride=(2, 1)), _x(2, 3, 5, 6)),
    M("Fold", lambda nn: nn.Fold((4, 5), 2, padding=(1, 0), stride=(2, 1)), _x(2, 12, 12)),
    M("MaxPool2d", lambda nn: nn.MaxPool2d(2), _x(1, 2, 4, 5)),
    M("MaxPool2d-options", lambda nn: nn.MaxPool2d(3, 2, 1), _x(1, 2, 5, 5)),
    M("AvgPool2d", lambda nn: nn.AvgPool2d(2), _x(1, 2, 4, 5)),
    M("AvgPool2d-options", lambda nn: nn.AvgPool2d(3, 1, 1, count_include_pad=False), _x(1, 2, 4, 4)),
    M("AdaptiveAvgPool2d", lambda nn: nn.AdaptiveAvgPool2d((2, 3)), _x(1, 2, 5, 7)),
    M("MaxPool1d", lambda nn: nn.MaxPool1d(2, 1), _x(2, 3, 5)),
    M("AvgPool1d", lambda nn: nn.AvgPool1d(3, 2, 1, count_include_pad=False), _x(2, 3, 7)),
    M("AdaptiveMaxPool2d", lambda nn: nn.AdaptiveMaxPool2d(2), _x(1, 2, 5, 5)),
    M("AdaptiveMaxPool2d-indices", lambda nn: nn.AdaptiveMaxPool2d((2, 3), return_indices=True), _x(1, 2, 5, 5)),
    M("Sequential", lambda nn: nn.Sequential(nn.Linear(4, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 2)),
      _x(3, 4)),
    M("Sequential-slice", lambda nn: nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 2))[1:], _x(3, 5)),
    M("MultiheadAttention", lambda nn: nn.MultiheadAttention(4, 2), lambda m: (*_x(3, 2, 4)(m), *_x(5, 2, 4)(m),
                                                                             *_x(5, 2, 4, offset=0.5)(m))),
    M("MultiheadAttention-fused-masks", lambda nn: nn.MultiheadAttention(4, 2),
      lambda m: (*_x(3, 2, 4)(m), *_x(5, 2, 4)(m), *_x(5, 2, 4, offset=0.5)(m),
                 m.t(np.array([[False] * 4 + [True], [True] + [False] * 4])), False, m.t(np.eye(3, 5) > 0))),
    M("MultiheadAttention-kdim-bias_kv-zero_attn", lambda nn: nn.MultiheadAttention(
        4, 2, kdim=3, vdim=5, add_bias_kv=True, add_zero_attn=True, batch_first=True),
      lambda m: (*_x(2, 3, 4)(m), *_x(2, 5, 3)(m), *_x(2, 5, 5)(m), None, True, None, False)),
    M("TransformerEncoderLayer", lambda nn: nn.TransformerEncoderLayer(4, 2, dim_feedforward=8, dropout=0.0),
      _x(3, 2, 4)),
    M("TransformerEncoderLayer-norm_first-gelu", lambda nn: nn.TransformerEncoderLayer(
        4, 2, dim_feedforward=8, dropout=0.0, activation="gelu", norm_first=True, batch_first=True), _x(2, 3, 4)),
    M("TransformerDecoderLayer", lambda nn: nn.TransformerDecoderLayer(4, 2, dim_feedforward=8, dropout=0.0),
      lambda m: (*_x(3, 2, 4)(m), *_x(5, 2, 4, offset=0.3)(m))),
    M("TransformerEncoder", lambda nn: nn.TransformerEncoder(
        nn.TransformerEncoderLayer(4, 2, dim_feedforward=8, dropout=0.0), 2, norm=nn.LayerNorm(4)),
      lambda m: (*_x(3, 2, 4)(m), m.t(np.triu(np.full((3, 3), -np.inf), 1)))),
    M("TransformerDecoder", lambda nn: nn.TransformerDecoder(
        nn.TransformerDecoderLayer(4, 2, dim_feedforward=8, dropout=0.0, norm_first=True), 2),
      lambda m: (*_x(3, 2, 4)(m), *_x(5, 2, 4, offset=0.3)(m))),
    M("Transformer", lambda nn: nn.Transformer(d_model=4, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                                                dim_feedforward=8, dropout=0.0),
      lambda m: (*_x(5, 2, 4)(m), *_x(3, 2, 4, offset=0.3)(m))),
    M("LSTM-proj-bidirectional-batch_first", lambda nn: nn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2,
                                                                 batch_first=True), _x(2, 5, 3, offset=-0.5)),
    M("LSTM-unbatched", lambda nn: nn.LSTM(3, 4, bias=False), _x(5, 3)),
    M("GRU-bidirectional-h0", lambda nn: nn.GRU(3, 4, num_layers=2, bidirectional=True),
      lambda m: (m.leaf(np.cos(np.arange(24.0)).reshape(4, 2, 3)), m.leaf(np.sin(np.arange(32.0)).reshape(4, 2, 4)))),
    M("RNN-relu", lambda nn: nn.RNN(3, 4, num_layers=2, nonlinearity="relu", batch_first=True), _x(2, 4, 3)),
    M("RNN-tanh-nobias", lambda nn: nn.RNN(3, 4, bias=False, bidirectional=True), _x(4, 2, 3)),
    M("LSTMCell", lambda nn: nn.LSTMCell(3, 4), _x(2, 3)),
    M("GRUCell-unbatched", lambda nn: nn.GRUCell(3, 4), _x(3)),
    M("RNNCell-relu", lambda nn: nn.RNNCell(3, 4, nonlinearity="relu"), _x(2, 3)),
    M("CrossEntropyLoss", lambda nn: nn.CrossEntropyLoss(), _loss_inputs((4, 3), lambda m: m.t([0, 2, 1, 2]))),
    M("CrossEntropyLoss-options", lambda nn: nn.CrossEntropyLoss(weight=nn.Linear(1, 3).bias.detach() * 0 + 2,
                                                                 ignore_index=1, label_smoothing=0.2),
      _loss_inputs((4, 3), lambda m: m.t([0, 2, 1, 2]))),
    M("NLLLoss", lambda nn: nn.NLLLoss(reduction="sum"), _loss_inputs((2, 3, 2), lambda m: m.t([[0, 2], [1, 1]]))),
    M("MSELoss", lambda nn: nn.MSELoss(reduction="none"), _loss_inputs((2, 3), lambda m: m.t(PROBS))),
    M("L1Loss", lambda nn: nn.L1Loss(), _loss_inputs((2, 3), lambda m: m.t(PROBS))),
    M("BCELoss", lambda nn: nn.BCELoss(reduction="sum"), lambda m: (m.leaf(PROBS), m.t(PROBS[::-1].copy()))),
    M("BCEWithLogitsLoss", lambda nn: nn.BCEWithLogitsLoss(pos_weight=nn.Linear(1, 3).bias.detach() * 0 + 3),
      _loss_inputs((2, 3), lambda m: m.t(PROBS))),
    M("SmoothL1Loss", lambda nn: nn.SmoothL1Loss(beta=0.5), _loss_inputs((2, 3), lambda m: m.t(PROBS))),
    M("HuberLoss", lambda nn: nn.HuberLoss(delta=0.3), _loss_inputs((2, 3), lambda m: m.t(PROBS))),
    M("KLDivLoss", lambda nn: nn.KLDivLoss(reduction="batchmean"), _loss_inputs((2, 3), lambda m: m.t(PROBS))),
    M("KLDivLoss-log_target", lambda nn: nn.KLDivLoss(reduction="sum", log_target=True),
      _loss_inputs((2, 3), lambda m: m.t(-PROBS))),
]


def _initial_state(case, dtype):
    """torch's freshly initialised state (the values both sides start from), as NumPy arrays."""
    import torch

    torch.manual_seed(0)
    module = case.make(torch.nn).to(getattr(torch, dtype))
    return {k: v.detach().numpy().copy() for k, v in module.state_dict().items()}


def run_module(side, case, dtype, state):
    m = Lib(side)
    module = case.make(side.nn)
    module = module.double() if dtype == "float64" else module.float()
    own = module.state_dict()
    # by name, or by position where the names differ (a sliced Sequential's, see known.py)
    names = list(own) if set(own) != set(state) and len(own) == len(state) else list(state)
    module.load_state_dict({k: side.tensor(v, dtype=v.dtype) for k, v in zip(names, state.values()) if k in own})
    params = dict(module.named_parameters())
    keys = sorted(own)

    def call():
        args = case.inputs(m)
        args = [a.to(getattr(side.lib, dtype)) if side.is_tensor(a) and dtype_name(a.dtype).startswith("float") else a
                for a in args]
        m.leaves[:] = [a for a in args if side.is_tensor(a) and a.requires_grad]
        outs = []
        if case.train:
            module.train()
            outs += _flat(module(*args)) + _flat(module(*[a * 0.5 + 1 if side.is_tensor(a) and dtype_name(a.dtype).startswith("float")
                                                            else a for a in args]))
        module.eval()
        outs += _flat(module(*args))
        buffers = dict(module.named_buffers())
        return outs + [buffers[k].detach() * 1 for k in sorted(buffers)] + [",".join(keys)]
    leaves = m.leaves
    result = run(side, call, leaves)
    extra = [params[k] for k in sorted(params)]
    result.grads += [None if p.grad is None else side.numpy(p.grad) for p in extra]
    return result


def _flat(out):
    """The outputs as one list: nested tuples (an LSTM's (output, (h_n, c_n))) flattened."""
    return [leaf for item in out for leaf in _flat(item)] if isinstance(out, tuple) else [out]


# ---- nn.init ------------------------------------------------------------------------------------------
INIT_SHAPE = (64, 32, 3, 3)


def init_statistics(side, name, kwargs):
    """(std, max |w|) of a large tensor filled by nn.init.<name>: the bounds and fans, not the stream.
    Seeded: the largest of 18432 normal draws moves by several percent from one stream to the next,
    which made the 3% comparison fail now and then with no fault on either side."""
    side.lib.manual_seed(0)
    t = side.lib.empty(INIT_SHAPE, dtype=side.lib.float64)
    getattr(side.nn.init, name)(t, **kwargs)
    values = side.numpy(t)
    return np.array([values.std(), np.abs(values).max(), values.mean()])


INIT_RANDOM = [("uniform_", {}), ("uniform_", {"a": -2.0, "b": 0.5}), ("normal_", {"mean": 1.0, "std": 0.3}),
               ("xavier_uniform_", {}), ("xavier_uniform_", {"gain": 2.0}), ("xavier_normal_", {"gain": 0.5}),
               ("kaiming_uniform_", {}), ("kaiming_uniform_", {"a": math.sqrt(5)}),
               ("kaiming_uniform_", {"mode": "fan_out", "nonlinearity": "relu"}),
               ("kaiming_normal_", {"a": 0.2, "mode": "fan_out"}), ("kaiming_normal_", {"nonlinearity": "tanh"}),
               ("orthogonal_", {}), ("orthogonal_", {"gain": 2.0}),
               ("trunc_normal_", {"mean": 0.5, "std": 0.5, "a": -0.2, "b": 1.0}),  # redraws outside [a, b]
               ("trunc_normal_", {"a": 1.5, "b": 2.5})]  # mass < 0.3: uniform proposals
INIT_EXACT = [
    lambda m: m.nn.init.constant_(m.t(np.zeros((2, 3))), 0.3),
    lambda m: m.nn.init.constant_(m.t(np.zeros(2, np.float32)), 1e300),
    lambda m: m.nn.init.zeros_(m.t(np.ones((2, 3)))),
    lambda m: m.nn.init.ones_(m.t(np.zeros(2))),
    lambda m: [m.nn.init.calculate_gain(n) for n in ("linear", "conv2d", "sigmoid", "tanh", "relu", "selu")]
    + [m.nn.init.calculate_gain("leaky_relu", p) for p in (None, 0.2)],
    lambda m: m.nn.init.calculate_gain("softmax"),
    lambda m: m.nn.init.xavier_uniform_(m.t(np.zeros(3))),
    lambda m: (m.nn.init.eye_(m.t(np.zeros((2, 3)))), m.nn.init.eye_(m.t(np.zeros((4, 2))))),
    lambda m: (m.nn.init.dirac_(m.t(np.zeros((4, 2, 3)))), m.nn.init.dirac_(m.t(np.zeros((4, 3, 2, 3))), groups=2),
               m.nn.init.dirac_(m.t(np.zeros((2, 2, 1, 2, 3))))),
    lambda m: (m.nn.init.sparse_(m.t(np.zeros((10, 4))), 0.25) == 0).sum(0),
    lambda m: m.nn.init.eye_(m.t(np.zeros((2, 2, 2)))),
    lambda m: m.nn.init.dirac_(m.t(np.zeros((3, 3)))),
    lambda m: m.nn.init.dirac_(m.t(np.zeros((3, 3, 3))), groups=2),
    lambda m: m.nn.init.orthogonal_(m.t(np.zeros(3))),
    lambda m: m.nn.init.sparse_(m.t(np.zeros((2, 2, 2))), 0.5),
]


# ---- optimizers -------------------------------------------------------------------------------------------
OPTIMIZERS = [
    ("SGD", {"lr": 0.1}), ("SGD", {"lr": 0.1, "momentum": 0.9}), ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.05, "momentum": 0.5, "dampening": 0.3, "weight_decay": 0.1, "maximize": True}),
    ("Adam", {}), ("Adam", {"lr": 0.01, "betas": (0.8, 0.9), "eps": 1e-6, "weight_decay": 0.1, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "maximize": True}), ("AdamW", {}), ("AdamW", {"lr": 0.02, "weight_decay": 0.5, "amsgrad": True}),
    ("RMSprop", {}), ("RMSprop", {"lr": 0.01, "alpha": 0.9, "momentum": 0.5, "centered": True, "weight_decay": 0.1}),
    ("RMSprop", {"maximize": True, "eps": 1e-3}), ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.1, "weight_decay": 0.2, "initial_accumulator_value": 0.5, "eps": 1e-5}),
    ("Adadelta", {}), ("Adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-4, "weight_decay": 0.1, "maximize": True}),
    ("Adamax", {}), ("Adamax", {"lr": 0.05, "betas": (0.5, 0.8), "eps": 1e-3, "weight_decay": 0.1, "maximize": True}),
    ("NAdam", {}), ("NAdam", {"lr": 0.05, "betas": (0.6, 0.9), "weight_decay": 0.1, "momentum_decay": 0.1}),
    ("NAdam", {"lr": 0.02, "weight_decay": 0.3, "decoupled_weight_decay": True, "maximize": True}),
    ("RAdam", {}), ("RAdam", {"lr": 0.05, "betas": (0.8, 0.5), "weight_decay": 0.1}),
    ("RAdam", {"lr": 0.02, "betas": (0.9, 0.6), "weight_decay": 0.3, "decoupled_weight_decay": True, "maximize": True}),
    ("ASGD", {}), ("ASGD", {"lr": 0.1, "lambd": 0.5, "alpha": 0.5, "t0": 2, "weight_decay": 0.1, "maximize": True}),
]
OPTIMIZER_ERRORS = [("SGD", {"lr": -0.1}), ("SGD", {"lr": 0.1, "nesterov": True}), ("Adam", {"betas": (1.0, 0.9)}),
                    ("Adam", {"eps": -1.0}), ("RMSprop", {"alpha": -0.5}), ("Adagrad", {"lr_decay": -1}),
                    ("Adadelta", {"rho": 1.5}), ("AdamW", {"weight_decay": -0.1}), ("SGD", {"lr": 0.1, "momentum": -1}),
                    ("Adamax", {"betas": (0.9, 1.0)}), ("NAdam", {"momentum_decay": -1.0}), ("RAdam", {"eps": -1.0}),
                    ("ASGD", {"lr": -0.1}), ("ASGD", {"weight_decay": -1.0}), ("LBFGS", {"lr": -1.0})]
STEPS = 6


def _gradient(step, shape):
    n = int(np.prod(shape))
    return np.sin(np.arange(n) * (0.3 + step) + step).reshape(shape) * (1 + step % 3)


def run_optimizer(side, name, kwargs, dtype):
    def call():
        params = [side.tensor(np.linspace(-1, 1, 12).reshape(3, 4), dtype, requires_grad=True),
                  side.tensor(np.array([0.5, -0.25, 2.0, 0.0]), dtype, requires_grad=True)]
        opt = getattr(side.optim, name)([{"params": params[:1]}, {"params": params[1:], "lr": 0.03}], **kwargs)
        trace = []
        for step in range(STEPS):
            for p in params:
                p.grad = side.tensor(_gradient(step, tuple(p.shape)), dtype)
            opt.step()
            trace += [side.numpy(p).copy() for p in params]
        opt.zero_grad()
        return trace + [[p.grad is None for p in params], [g["lr"] for g in opt.param_groups]]
    return run(side, call)


# (options, dtype): 18 iterations without a line search amplify float32 rounding (of the gradients, whose
# last bits differ from torch's) beyond the float32 tolerance, so the third case runs in float64 only
LBFGS_CASES = [*[(kwargs, dtype) for kwargs in ({"max_iter": 3}, {"max_iter": 5, "line_search_fn": "strong_wolfe"})
                 for dtype in ("float64", "float32")],
               ({"lr": 0.5, "history_size": 2, "max_iter": 6, "tolerance_change": 1e-3}, "float64")]


def run_lbfgs(side, kwargs, dtype):
    """Three LBFGS steps on the Rosenbrock function from (-1.5, 2): iterates, losses and counts."""
    def call():
        x = side.tensor(np.array([-1.5, 2.0]), dtype, requires_grad=True)
        opt = side.optim.LBFGS([x], **kwargs)

        def closure():
            opt.zero_grad()
            loss = (1 - x[0]) ** 2 + 100 * (x[1] - x[0] * x[0]) ** 2
            loss.backward()
            return loss
        trace = []
        for _ in range(3):
            loss = opt.step(closure)
            trace += [side.numpy(x).copy(), np.array(float(loss)), opt.state[x]["n_iter"], opt.state[x]["func_evals"]]
        return trace
    return run(side, call)


def run_optimizer_error(side, name, kwargs):
    return run(side, lambda: getattr(side.optim, name)([side.tensor(np.zeros(2), requires_grad=True)], **kwargs))


# ---- LR schedulers ------------------------------------------------------------------------------------------
SCHEDULERS = [
    ("StepLR", lambda s, o: s.StepLR(o, step_size=3, gamma=0.5)),
    ("MultiStepLR", lambda s, o: s.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.3)),
    ("ExponentialLR", lambda s, o: s.ExponentialLR(o, gamma=0.9)),
    ("CosineAnnealingLR", lambda s, o: s.CosineAnnealingLR(o, T_max=5, eta_min=0.01)),
    ("LambdaLR", lambda s, o: s.LambdaLR(o, lambda e: 1 / (e + 1))),
    ("LinearLR", lambda s, o: s.LinearLR(o, start_factor=0.25, end_factor=0.8, total_iters=6)),
    ("LinearLR-defaults", lambda s, o: s.LinearLR(o)),
    ("OneCycleLR", lambda s, o: s.OneCycleLR(o, max_lr=1.0, total_steps=16)),
    ("OneCycleLR-linear", lambda s, o: s.OneCycleLR(o, max_lr=[0.5], epochs=2, steps_per_epoch=8, pct_start=0.4,
                                                    anneal_strategy="linear", div_factor=10,
                                                    final_div_factor=100, three_phase=True)),
    ("ConstantLR", lambda s, o: s.ConstantLR(o, factor=0.5, total_iters=4)),
    ("MultiplicativeLR", lambda s, o: s.MultiplicativeLR(o, lambda e: 0.9 if e % 2 else 1.0)),
    ("PolynomialLR", lambda s, o: s.PolynomialLR(o, total_iters=8, power=2.0)),
    ("CosineAnnealingWarmRestarts", lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.001)),
    ("CyclicLR", lambda s, o: s.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3)),
    ("CyclicLR-exp", lambda s, o: s.CyclicLR(o, 0.01, 0.1, step_size_up=2, step_size_down=4, mode="exp_range",
                                             gamma=0.9, base_momentum=0.7, max_momentum=0.95)),
    ("CyclicLR-triangular2", lambda s, o: s.CyclicLR(o, 0.01, 0.1, step_size_up=2, mode="triangular2",
                                                     cycle_momentum=False)),
    ("SequentialLR", lambda s, o: s.SequentialLR(o, [s.ConstantLR(o, factor=0.1, total_iters=2),
                                                     s.ExponentialLR(o, gamma=0.9)], milestones=[3])),
    ("ChainedScheduler", lambda s, o: s.ChainedScheduler([s.ConstantLR(o, factor=0.1, total_iters=2),
                                                          s.ExponentialLR(o, gamma=0.9)])),
]
PLATEAU = [{}, {"mode": "max", "factor": 0.5, "patience": 1, "threshold": 0.1, "threshold_mode": "abs", "cooldown": 1},
           {"patience": 0, "min_lr": 0.02, "eps": 1e-3}]
METRICS = [1.0, 0.9, 0.95, 0.95, 0.96, 0.9, 0.9, 0.91, 0.5, 0.6, 0.7, 0.8, 0.8, 0.8, 0.8, 0.8]
SCHEDULER_STEPS = 16


def _trace(opt):
    group = opt.param_groups[0]
    return [group["lr"], group.get("momentum", group.get("betas", (0,))[0])]


def run_scheduler(side, make, plateau=None, warm_restart_epochs=None):
    def call():
        p = side.tensor(np.ones(2), requires_grad=True)
        p.grad = side.tensor(np.ones(2))
        opt = side.optim.SGD([p], lr=0.1, momentum=0.9)
        sched = side.optim.lr_scheduler.ReduceLROnPlateau(opt, **plateau) if plateau is not None else make(
            side.optim.lr_scheduler, opt)
        trace = [_trace(opt)]
        for step in range(SCHEDULER_STEPS):
            opt.step()
            if plateau is not None:
                sched.step(METRICS[step])
            elif warm_restart_epochs:
                sched.step(warm_restart_epochs[step])
            else:
                sched.step()
            trace.append(_trace(opt) + ([] if plateau is not None else [sched.get_last_lr()[0], sched.last_epoch]))
        return [np.array(row, dtype=float) for row in trace]
    return run(side, call)


WARM_RESTART_EPOCHS = [0.5, 1.0, 1.7, 2.5, 3.0, 4.2, 5.9, 7.0, 8.5, 9.0, 9.5, 12.0, 20.0, 21.0, 0.3, 1.3]


# ---- nn.utils -------------------------------------------------------------------------------------------------
def run_clip(side, kind, grads, kwargs):
    def call():
        params = [side.tensor(np.zeros_like(g), requires_grad=True) for g in grads]
        for p, g in zip(params, grads):
            p.grad = side.tensor(g)
        fn = getattr(side.nn.utils, kind)
        returned = fn(params, **kwargs)
        return [returned] + [p.grad for p in params]
    return run(side, call)


CLIP = [("clip_grad_norm_", {"max_norm": 1.0}), ("clip_grad_norm_", {"max_norm": 0.5, "norm_type": 1.0}),
        ("clip_grad_norm_", {"max_norm": 2.0, "norm_type": math.inf}), ("clip_grad_norm_", {"max_norm": 100.0}),
        ("clip_grad_value_", {"clip_value": 0.3})]
CLIP_GRADS = {"finite": [np.array([[0.5, -2.0], [1.0, 0.25]]), np.array([3.0, -0.1])],
              "nonfinite": [np.array([np.inf, 1.0]), np.array([np.nan])]}


def module_structure(side):
    """What a nested model shows of itself: names, keys, flags, repr."""
    nn = side.nn
    model = nn.Sequential(nn.Linear(4, 5), nn.BatchNorm1d(5), nn.ReLU(),
                          nn.Sequential(nn.Linear(5, 2, bias=False), nn.Dropout(0.1)))
    model.add_module("extra", nn.ModuleDict({"act": nn.Tanh(), "lin": nn.Linear(2, 2)}))
    model.heads = nn.ModuleList([nn.Identity(), nn.LayerNorm(3)])
    model.register_buffer("scale", side.tensor(np.ones(2)))
    model.free = nn.Parameter(side.tensor(np.ones(3)))
    model.register_buffer("scratch", side.tensor(np.zeros(1)), persistent=False)
    counted = []
    model.apply(lambda mod: counted.append(type(mod).__name__))
    model.eval()
    flags = [mod.training for mod in model.modules()]
    model.train()
    model[0].requires_grad_(False)
    model.double()
    return [isinstance(model, nn.Module), [n for n, _ in model.named_parameters()], [n for n, _ in model.named_buffers()], list(model.state_dict()),
            [n for n, _ in model.named_modules()], len(list(model.children())), len(list(model.parameters())),
            len(list(model.buffers())), counted, flags, [p.requires_grad for p in model.parameters()],
            [str(p.dtype).split(".")[-1] for p in model.parameters()], repr(model), repr(model[1:3]),
            [n for n, _ in model.named_parameters(prefix="m", recurse=False)], model.training]


def load_state_mismatch(side):
    model = side.nn.Linear(2, 3)
    return model.load_state_dict({"weight": side.tensor(np.zeros((3, 2), np.float32))})


def load_state_nonstrict(side):
    model = side.nn.Linear(2, 3)
    out = model.load_state_dict({"weight": side.tensor(np.ones((3, 2), np.float32)), "junk": side.tensor(np.ones(1))},
                                strict=False)
    return sorted(out.missing_keys), sorted(out.unexpected_keys), model.weight * 1


def load_state_shape(side):
    return side.nn.Linear(2, 3).load_state_dict({"weight": side.tensor(np.zeros((2, 2), np.float32)),
                                                 "bias": side.tensor(np.zeros(3, np.float32))})


def zero_grad_modes(side):
    lin = side.nn.Linear(2, 1)
    lin(side.tensor(np.ones((1, 2), np.float32))).sum().backward()
    lin.zero_grad(set_to_none=False)
    kept = lin.weight.grad * 1
    lin.zero_grad()
    return kept, lin.weight.grad is None


STRUCTURE = {"structure": module_structure, "load_state-missing": load_state_mismatch,
             "load_state-nonstrict": load_state_nonstrict, "load_state-shape": load_state_shape,
             "zero_grad": zero_grad_modes}

