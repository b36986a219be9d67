"""minigrad.onnx.export: every layer and the tutorial models round-trip through ONNX Runtime.

Each exported file passes onnx.checker and, run by ONNX Runtime, gives minigrad's eval-mode forward
to float32 rounding. Needs the onnx extra (part of the test extra); skipped without it.
"""
import io
import threading
import warnings

import numpy as np
import pytest

import minigrad as mg
import minigrad.onnx
from minigrad import nn

onnx = pytest.importorskip("onnx")
onnxruntime = pytest.importorskip("onnxruntime")


def _session(source):
    return onnxruntime.InferenceSession(source, providers=["CPUExecutionProvider"])


def _randomise_statistics(model):
    """Running statistics away from their (0, 1) start, so that eval mode is visible in the output."""
    with mg.no_grad():
        for name, buffer in model.named_buffers():
            if name.endswith("running_mean"):
                buffer.copy_(mg.randn(*buffer.shape) * 0.5)
            elif name.endswith("running_var"):
                buffer.copy_(mg.rand(*buffer.shape) + 0.5)
        for name, parameter in model.named_parameters():
            if name.endswith("weight") and parameter.ndim == 1:  # normalisation scales away from 1
                parameter.copy_(mg.rand(*parameter.shape) + 0.5)


def _flat(outputs):
    """The Tensors of nested tuples (an LSTM's (output, (h_n, c_n))), in order."""
    return (outputs,) if isinstance(outputs, mg.Tensor) else tuple(t for item in outputs for t in _flat(item))


def export_and_run(model, inputs, tmp_path, dynamic=False, runs=(), opset_version=None):
    """Export ``model`` on ``inputs`` (a tuple of Tensors), check the file, and compare ONNX
    Runtime's outputs with minigrad's on the inputs and on each of ``runs`` (more input tuples).
    Returns the loaded ONNX model."""
    model.eval()
    path = tmp_path / "model.onnx"
    names = [f"x{i}" for i in range(len(inputs))]
    dynamic_axes = {name: {0: "batch"} for name in names} if dynamic else None
    minigrad.onnx.export(model, inputs, path, input_names=names, dynamic_axes=dynamic_axes, opset_version=opset_version)
    exported = onnx.load(path)
    onnx.checker.check_model(exported, full_check=True)
    session = _session(str(path))
    for case in (inputs,) + tuple(runs):
        with mg.no_grad():
            expected = model(*case)
        expected = _flat(expected)
        got = session.run(None, {name: t.cpu().numpy() for name, t in zip(names, case)})
        for want, have in zip(expected, got):
            assert have.shape == want.shape
            np.testing.assert_allclose(have, want.cpu().numpy(), rtol=2e-5, atol=2e-5)
    return exported


class _WithInitialStates(nn.Module):
    """A recurrent layer given its initial states batch first, (N, layers * directions, size)."""

    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def forward(self, x, *states):
        states = tuple(s.transpose(0, 1) for s in states)
        return self.layer(x, states if len(states) > 1 else states[0])


# (id, module factory, input shape or a factory of the input tuple); each layer's test also runs a
# second batch size with the batch axis declared dynamic
LAYERS = [
    ("Linear", lambda: nn.Linear(5, 3), (4, 5)),
    ("Linear-3d-nobias", lambda: nn.Linear(5, 3, bias=False), (2, 4, 5)),
    ("Conv1d", lambda: nn.Conv1d(3, 4, 3, stride=2, padding=1), (2, 3, 10)),
    ("Conv1d-groups-dilation", lambda: nn.Conv1d(4, 6, 3, dilation=2, groups=2, padding="same"), (2, 4, 9)),
    ("Conv2d", lambda: nn.Conv2d(3, 4, 3, stride=2, padding=1), (2, 3, 9, 9)),
    ("Conv2d-asymmetric", lambda: nn.Conv2d(2, 4, (2, 3), padding="same", bias=False), (2, 2, 6, 7)),
    ("ConvTranspose1d", lambda: nn.ConvTranspose1d(3, 4, 3, stride=2, padding=1, output_padding=1), (2, 3, 7)),
    ("ConvTranspose2d", lambda: nn.ConvTranspose2d(4, 6, (2, 3), stride=(2, 1), padding=(0, 1), dilation=(1, 2),
                                                   groups=2), (2, 4, 5, 6)),
    ("ConvTranspose2d-output-padding", lambda: nn.ConvTranspose2d(3, 2, 3, stride=3, output_padding=(2, 1),
                                                                  bias=False), (2, 3, 4, 4)),
    ("MaxPool1d", lambda: nn.MaxPool1d(2), (2, 3, 10)),
    ("MaxPool2d", lambda: nn.MaxPool2d(3, stride=2, padding=1), (2, 3, 9, 9)),
    ("AvgPool1d", lambda: nn.AvgPool1d(3, stride=1, padding=1), (2, 3, 10)),
    ("AvgPool2d", lambda: nn.AvgPool2d(2), (2, 3, 8, 8)),
    ("AvgPool2d-exclude-pad", lambda: nn.AvgPool2d(3, 2, 1, count_include_pad=False), (2, 3, 9, 9)),
    ("AdaptiveAvgPool2d-global", lambda: nn.AdaptiveAvgPool2d(1), (2, 3, 5, 7)),
    ("AdaptiveAvgPool2d", lambda: nn.AdaptiveAvgPool2d((2, 3)), (2, 3, 4, 6)),
    ("AdaptiveMaxPool2d", lambda: nn.AdaptiveMaxPool2d((2, 3)), (2, 3, 4, 6)),
    ("AdaptiveMaxPool2d-global", lambda: nn.AdaptiveMaxPool2d(1), (2, 3, 5, 5)),
    ("BatchNorm1d", lambda: nn.BatchNorm1d(5), (4, 5)),
    ("BatchNorm1d-3d", lambda: nn.BatchNorm1d(3, affine=False), (4, 3, 6)),
    ("BatchNorm2d", lambda: nn.BatchNorm2d(3), (2, 3, 4, 4)),
    ("BatchNorm2d-batch-statistics", lambda: nn.BatchNorm2d(3, track_running_stats=False), (2, 3, 4, 4)),
    ("BatchNorm1d-batch-statistics", lambda: nn.BatchNorm1d(3, track_running_stats=False, affine=False), (4, 3)),
    ("LayerNorm", lambda: nn.LayerNorm(6), (2, 4, 6)),
    ("LayerNorm-2d-noaffine", lambda: nn.LayerNorm((4, 6), elementwise_affine=False), (2, 4, 6)),
    ("GroupNorm", lambda: nn.GroupNorm(2, 4), (2, 4, 3, 3)),
    ("InstanceNorm1d", lambda: nn.InstanceNorm1d(3), (2, 3, 8)),
    ("InstanceNorm2d-affine", lambda: nn.InstanceNorm2d(3, affine=True), (2, 3, 4, 5)),
    ("InstanceNorm2d-running", lambda: nn.InstanceNorm2d(3, track_running_stats=True), (2, 3, 4, 5)),
    ("ReLU", nn.ReLU, (3, 7)),
    ("ReLU-inplace", lambda: nn.ReLU(inplace=True), (3, 7)),
    ("LeakyReLU", lambda: nn.LeakyReLU(0.2), (3, 7)),
    ("GELU", nn.GELU, (3, 7)),
    ("GELU-tanh", lambda: nn.GELU("tanh"), (3, 7)),
    ("SiLU", nn.SiLU, (3, 7)),
    ("Sigmoid", nn.Sigmoid, (3, 7)),
    ("Tanh", nn.Tanh, (3, 7)),
    ("Softmax", lambda: nn.Softmax(dim=1), (3, 7)),
    ("LogSoftmax", lambda: nn.LogSoftmax(dim=-1), (3, 7)),
    ("Softmin", lambda: nn.Softmin(dim=1), (3, 7)),
    ("ELU", lambda: nn.ELU(0.5), (3, 7)),
    ("Softplus", lambda: nn.Softplus(beta=2.0, threshold=3.0), (3, 7)),
    ("LogSigmoid", nn.LogSigmoid, (3, 7)),
    ("Mish", nn.Mish, (3, 7)),
    ("Hardswish", nn.Hardswish, (3, 7)),
    ("Hardtanh", lambda: nn.Hardtanh(-0.5, 1.5), (3, 7)),
    ("Softsign", nn.Softsign, (3, 7)),
    ("Identity", nn.Identity, (3, 7)),
    ("Dropout", lambda: nn.Dropout(0.5), (3, 7)),
    ("Dropout2d", lambda: nn.Dropout2d(0.5), (2, 3, 4, 4)),
    ("Embedding", lambda: nn.Embedding(10, 4, padding_idx=0), lambda n: (mg.randint(0, 10, (n, 5)),)),
    ("MultiheadAttention", lambda: nn.MultiheadAttention(8, 2, batch_first=True),
     lambda n: (mg.randn(n, 3, 8), mg.randn(n, 5, 8), mg.randn(n, 5, 8))),
    ("MultiheadAttention-kdim-nobias", lambda: nn.MultiheadAttention(8, 2, kdim=6, vdim=4, bias=False,
                                                                     batch_first=True),
     lambda n: (mg.randn(n, 2, 8), mg.randn(n, 5, 6), mg.randn(n, 5, 4))),
    ("TransformerEncoderLayer", lambda: nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), (2, 5, 8)),
    ("TransformerEncoderLayer-norm-first-gelu", lambda: nn.TransformerEncoderLayer(8, 2, 16, activation="gelu",
                                                                                    norm_first=True), (5, 2, 8)),
    ("TransformerDecoderLayer", lambda: nn.TransformerDecoderLayer(8, 2, 16, batch_first=True),
     lambda n: (mg.randn(n, 4, 8), mg.randn(n, 6, 8))),
    ("Transformer", lambda: nn.Transformer(8, 2, 1, 1, 16, batch_first=True),
     lambda n: (mg.randn(n, 6, 8), mg.randn(n, 4, 8))),
    ("RNN", lambda: nn.RNN(4, 5, batch_first=True), (2, 6, 4)),
    ("RNN-relu-2-layers-nobias", lambda: nn.RNN(4, 5, 2, nonlinearity="relu", bias=False, batch_first=True),
     (2, 6, 4)),
    ("LSTM", lambda: nn.LSTM(4, 5, batch_first=True), (2, 6, 4)),
    ("LSTM-bidirectional-2-layers", lambda: nn.LSTM(4, 5, 2, bidirectional=True, batch_first=True), (2, 6, 4)),
    ("LSTM-initial-states", lambda: _WithInitialStates(nn.LSTM(4, 5, batch_first=True)),
     lambda n: (mg.randn(n, 6, 4), mg.randn(n, 1, 5), mg.randn(n, 1, 5))),
    ("GRU", lambda: nn.GRU(4, 5, batch_first=True), (2, 6, 4)),
    ("GRU-bidirectional-initial-state", lambda: _WithInitialStates(nn.GRU(4, 5, bidirectional=True, batch_first=True)),
     lambda n: (mg.randn(n, 6, 4), mg.randn(n, 2, 5))),
    ("Flatten", nn.Flatten, (2, 3, 4, 5)),
    ("Flatten-middle", lambda: nn.Flatten(1, 2), (2, 3, 4, 5)),
    ("Unflatten", lambda: nn.Unflatten(1, (2, 3)), (4, 6)),
    ("ConstantPad1d", lambda: nn.ConstantPad1d((1, 2), 3.5), (2, 3, 4)),
    ("ConstantPad2d-crop", lambda: nn.ConstantPad2d((1, -1, 2, 0), 0.5), (2, 3, 4, 4)),
    ("ConstantPad3d", lambda: nn.ConstantPad3d(1, -1.0), (2, 3, 2, 2, 2)),
    ("ZeroPad2d", lambda: nn.ZeroPad2d(1), (2, 3, 4, 4)),
    ("ReflectionPad1d", lambda: nn.ReflectionPad1d((2, 1)), (2, 3, 4)),
    ("ReflectionPad2d", lambda: nn.ReflectionPad2d((1, 2, 3, 0)), (2, 3, 4, 5)),
    ("ReplicationPad2d", lambda: nn.ReplicationPad2d((2, 0, 1, 3)), (2, 3, 4, 5)),
    ("ReplicationPad3d", lambda: nn.ReplicationPad3d(1), (2, 3, 2, 3, 2)),
    ("CircularPad2d", lambda: nn.CircularPad2d((1, 2, 2, 0)), (2, 3, 4, 5)),
    ("CircularPad1d-crop", lambda: nn.CircularPad1d((-1, 2)), (2, 3, 4)),
    ("Unfold", lambda: nn.Unfold((2, 3), dilation=(1, 2), padding=1, stride=(2, 1)), (2, 3, 5, 6)),
    ("Upsample-nearest", lambda: nn.Upsample(scale_factor=2), (2, 3, 4, 4)),
    ("Upsample-nearest-size", lambda: nn.Upsample(size=(5, 7)), (2, 3, 3, 4)),
    ("Upsample-linear", lambda: nn.Upsample(scale_factor=3, mode="linear"), (2, 3, 4)),
    ("Upsample-bilinear", lambda: nn.Upsample(size=(5, 7), mode="bilinear"), (2, 3, 3, 4)),
    ("Upsample-nearest-fractional", lambda: nn.Upsample(scale_factor=1.5), (2, 3, 5, 4)),
    ("Upsample-bilinear-scale", lambda: nn.Upsample(scale_factor=(1.5, 2), mode="bilinear"), (2, 3, 5, 4)),
    ("Upsample-bilinear-corners", lambda: nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True),
     (2, 3, 3, 4)),
    ("UpsamplingNearest2d", lambda: nn.UpsamplingNearest2d(scale_factor=2), (2, 3, 3, 3)),
    ("UpsamplingBilinear2d", lambda: nn.UpsamplingBilinear2d(size=(6, 5)), (2, 3, 3, 4)),
    ("Upsample-bicubic", lambda: nn.Upsample(size=(7, 5), mode="bicubic"), (2, 3, 4, 4)),
    ("Upsample-bicubic-scale", lambda: nn.Upsample(scale_factor=(2, 1.5), mode="bicubic"), (2, 3, 4, 4)),
    ("Upsample-bicubic-corners", lambda: nn.Upsample(scale_factor=2, mode="bicubic", align_corners=True),
     (2, 3, 3, 4)),
]


def _inputs(spec, batch):
    if callable(spec):
        return spec(batch)
    return (mg.randn(batch, *spec[1:]),)


@pytest.mark.parametrize("make, spec", [case[1:] for case in LAYERS], ids=[case[0] for case in LAYERS])
def test_layer_round_trips_through_onnx_runtime(make, spec, tmp_path):
    mg.manual_seed(0)
    model = make()
    _randomise_statistics(model)
    batch = 2 if callable(spec) else spec[0]
    exported = export_and_run(model, _inputs(spec, batch), tmp_path, dynamic=True, runs=[_inputs(spec, batch + 3)])
    initialisers = {i.name for i in exported.graph.initializer}
    assert set(dict(model.named_parameters())) <= initialisers  # under their state_dict names


TENSOR_OPS = [
    ("arithmetic", lambda x: (x * 2 + 1) / (x.abs() + 3) - x ** 2),
    ("matmul-transpose", lambda x: x @ x.transpose(0, 1)),
    ("permute-view-reshape", lambda x: x.view(x.size(0), -1).reshape(x.shape[0], 2, -1).permute(2, 0, 1)),
    ("cat-stack", lambda x: mg.cat([x, x * 2], dim=1) + mg.stack([x, x], dim=0).sum(0).repeat(1, 2)),
    ("slicing", lambda x: x[:, 1:3] + x[:, ::2][:, :2] + x[..., -1:, None].squeeze(-1)),
    ("index-int-and-list", lambda x: x[:, 0] + x[:, [1, 3]].sum(1)),
    ("reductions", lambda x: x.mean(1, keepdim=True) + x.sum(1, keepdim=True) + x.amax(1, keepdim=True)
        + x.var(1, keepdim=True) + x.std(1, keepdim=True) - x.norm(dim=1, keepdim=True)),
    ("unary", lambda x: x.exp().log1p() + x.sigmoid().sqrt() + x.tanh().clamp(-0.5, 0.5) + x.sin() * x.cos()),
    ("where-maximum", lambda x: mg.where(x > 0, x, -x) + mg.maximum(x, x * 0.5)),
    ("expand-unsqueeze", lambda x: x.unsqueeze(1).expand(-1, 3, -1).flatten(1)),
    ("math-functions", lambda x: x.sinh() + x.cosh() + x.abs().log2() + x.abs().log10() + x.exp2() + x.expm1()
        + (x.abs() + 1).rsqrt() + x.square() + (x + 5).reciprocal() + x.erf() - x + x.floor() + x.ceil()
        + (x * 3).round() + x.round(decimals=1) + x.sign() + x.abs().sqrt() + x.abs() ** x + 2 ** x),
    ("more-reductions", lambda x: x.prod(1, keepdim=True) + x.logsumexp(1, keepdim=True) + x.amin(1, keepdim=True)
        + x.norm(p=1, dim=1, keepdim=True) + x.sum() + mg.minimum(x, x * 0.5)),
    ("over-the-batch-axis", lambda x: x.var(0, keepdim=True) + x.mean(0) + x[-1:] * x[:1] + x[-1] + x[1:].sum(0)),
    ("in-place", lambda x: x.clone().add_(1).mul_(2).div_(3).clamp_(-1, 1) + x.abs().sub_(0.5)),
    ("max-min-with-dim", lambda x: x.max(1, keepdim=True).values + x.min(0).values + x.max(1).indices[:, None]),
    ("flip-roll-triangles-cumsum", lambda x: x.flip(1) + x.roll(1, 1) + x.roll(2) + x.triu(1) + x.tril(-1)
        + x.cumsum(1)),
    ("fill-nan-to-num", lambda x: x.clone().fill_(mg.tensor(2.0)) + x.clone().fill_(0.5)  # NaN and infinities
        + (x.log() + 1 / (x * 0)).nan_to_num(0.5) + (1 / (x * 0)).nan_to_num(posinf=7.0) + x.nan_to_num()),
    ("lerp-addmm-trunc-clamp", lambda x: mg.lerp(x, x * 3, x.sigmoid()) + mg.addmm(x, x, mg.eye(4), beta=0.5, alpha=2)
        + (x * 3).trunc() + (x * 3).frac() + x.clamp(min=x * 0.5) + x.clamp(max=x[:1]) + x.clamp(x[:1], x[:1] + 1)),
    ("casts-and-comparisons", lambda x: x.double().float() + x.long().float() + (x <= 0.5).float()
        + (x == x).float() + (x != 0).float() + (x > x * 2).float() + (0.1 < x).float()
        + ((x > 0) & (x < 1) | ~(x > -1) ^ (x > 0.5)).float() + x.argmax(1, keepdim=True) - x.argmin(0)
        + x.argmax()),
    ("functional", lambda x: mg.functional.pad(x, (1, 2), value=0.5)[:, 1:-2] + mg.functional.softmax(x, 1)
        + mg.functional.hardtanh(x, 0.0, 6.0) + mg.functional.gelu(x)),
]


class _Lambda(nn.Module):
    def __init__(self, function):
        super().__init__()
        self.function = function

    def forward(self, x):
        return self.function(x)


@pytest.mark.filterwarnings("ignore:(invalid value|divide by zero):RuntimeWarning")  # fill-nan-to-num's on purpose
@pytest.mark.parametrize("opset_version", [17, 18])  # 18 moved the axes of most reductions to an input
@pytest.mark.parametrize("function", [case[1] for case in TENSOR_OPS], ids=[case[0] for case in TENSOR_OPS])
def test_tensor_ops_round_trip(function, opset_version, tmp_path):
    mg.manual_seed(1)
    export_and_run(_Lambda(function), (mg.randn(3, 4),), tmp_path, dynamic=True, runs=[(mg.randn(5, 4),)],
                   opset_version=opset_version)


def test_a_comparison_with_a_float64_tensor_compares_in_float64(tmp_path):
    threshold = mg.tensor(0.1, dtype=mg.float64)  # float32's 0.1 is above it, float64's is not
    export_and_run(_Lambda(lambda x: (x > threshold).float() + (x > 0.1).float()), (mg.full((2, 3), 0.1),),
                   tmp_path)


def test_gather_scatter_stack_and_repeat_round_trip(tmp_path):  # constants of the batch size: not dynamic
    index = mg.tensor([[2, 0], [1, 1], [3, 2]])

    def function(x):
        picked = mg.gather(x, 1, index)
        scattered = x.scatter(1, index, x[:, :2] * 10) + x.scatter_add(1, index, x[:, 1:3]) \
            + x.scatter(0, index % 3, 0.5)
        return mg.stack([picked, picked * 2], dim=1).repeat(2, 1, 1, 2).sum((0, 2, 3))[:, None] + scattered

    export_and_run(_Lambda(function), (mg.randn(3, 4),), tmp_path)


# ---- whole models ---------------------------------------------------------------------------------
def _train_a_little(model, x, y, steps=3):
    """A few SGD steps in train mode: running statistics and weights away from their start."""
    model.train()
    optimizer = mg.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(steps):
        optimizer.zero_grad()
        mg.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    return model.eval()


def _lenet_bn():
    """The LeNet-BatchNorm of tutorials/07 for 8x8 digits (padded convolutions)."""
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.BatchNorm2d(6), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5, padding=2), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 2 * 2, 120), nn.BatchNorm1d(120), nn.ReLU(), nn.Linear(120, 10))


class BasicBlock(nn.Module):
    """ResNet's basic block with a downsampling shortcut."""

    def __init__(self, channels, out_channels, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, out_channels, 3, stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.downsample = nn.Sequential(nn.Conv2d(channels, out_channels, 1, stride, bias=False),
                                        nn.BatchNorm2d(out_channels))
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + self.downsample(x))


class SelfAttentionBlock(nn.Module):
    """A pre-norm transformer block written with Tensor ops: heads by view and transpose."""

    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.norm1, self.norm2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.qkv, self.out = nn.Linear(width, 3 * width), nn.Linear(width, width)
        self.mlp = nn.Sequential(nn.Linear(width, 2 * width), nn.GELU(), nn.Linear(2 * width, width))

    def forward(self, x):
        batch, length, width = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(batch, length, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
        weights = (q @ k.transpose(-2, -1) / (width // self.heads) ** 0.5).softmax(-1)
        x = x + self.out((weights @ v).transpose(1, 2).reshape(batch, length, width))
        return x + self.mlp(self.norm2(x))


def test_self_attention_block_with_dynamic_batch_and_length(tmp_path):
    mg.manual_seed(10)
    block = SelfAttentionBlock(8, heads=2).eval()
    path = tmp_path / "attention.onnx"
    minigrad.onnx.export(block, mg.randn(2, 5, 8), path, input_names=["x"], output_names=["y"],
                         dynamic_axes={"x": {0: "batch", 1: "length"}, "y": {0: "batch", 1: "length"}})
    session = _session(str(path))
    for shape in [(2, 5, 8), (3, 7, 8), (1, 1, 8)]:
        x = mg.randn(*shape)
        with mg.no_grad():
            np.testing.assert_allclose(session.run(None, {"x": x.numpy()})[0], block(x).numpy(), rtol=2e-5, atol=2e-5)


def test_mlp_with_batchnorm_and_dropout(tmp_path):
    mg.manual_seed(2)
    model = nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 4))
    _train_a_little(model, mg.randn(32, 8), mg.randint(0, 4, (32,)))
    exported = export_and_run(model, (mg.randn(6, 8),), tmp_path, dynamic=True, runs=[(mg.randn(1, 8),)])
    assert "Dropout" not in {node.op_type for node in exported.graph.node}
    assert "BatchNormalization" in {node.op_type for node in exported.graph.node}


def test_lenet_batchnorm_of_tutorial_7(tmp_path):
    mg.manual_seed(3)
    model = _train_a_little(_lenet_bn(), mg.randn(16, 1, 8, 8), mg.randint(0, 10, (16,)))
    exported = export_and_run(model, (mg.randn(4, 1, 8, 8),), tmp_path, dynamic=True,
                              runs=[(mg.randn(7, 1, 8, 8),)])
    assert [node.name for node in exported.graph.node][:3] == ["/0/Conv", "/1/BatchNormalization", "/2/Relu"]
    assert exported.graph.node[-1].name == "/Identity"  # nodes are named after the module that made them


def test_resnet_basic_block(tmp_path):
    mg.manual_seed(4)
    block = BasicBlock(4, 8, stride=2)
    _randomise_statistics(block)
    export_and_run(block, (mg.randn(2, 4, 8, 8),), tmp_path, dynamic=True, runs=[(mg.randn(3, 4, 8, 8),)])


def test_fused_batchnorm_model(tmp_path):
    mg.manual_seed(5)
    model = _train_a_little(_lenet_bn(), mg.randn(16, 1, 8, 8), mg.randint(0, 10, (16,)))
    fused = nn.utils.fuse_batch_norm(model)
    exported = export_and_run(fused, (mg.randn(4, 1, 8, 8),), tmp_path, dynamic=True)
    assert "BatchNormalization" not in {node.op_type for node in exported.graph.node}


def test_a_model_on_each_device_exports(device, tmp_path):
    model = nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3), nn.ReLU(), nn.Flatten(), nn.Linear(3 * 4 * 4, 2))
    _randomise_statistics(model)
    model.to(device)
    export_and_run(model, (mg.randn(2, 1, 6, 6, device=device),), tmp_path, dynamic=True,
                   runs=[(mg.randn(3, 1, 6, 6, device=device),)])


class _SequenceModel(nn.Module):
    """The exporters that read hyperparameter arrays: copy padding, masked attention, an LSTM."""

    def __init__(self):
        super().__init__()
        self.pad, self.lstm = nn.ReflectionPad1d((2, 1)), nn.LSTM(4, 4, batch_first=True)
        self.attention = nn.MultiheadAttention(4, 2, batch_first=True)

    def forward(self, x):
        x = self.pad(x.transpose(1, 2)).transpose(1, 2)
        mask = mg.ones(x.shape[1], x.shape[1], dtype=mg.bool, device=x.device).tril()
        return self.attention(x, x, x, attn_mask=~mask, need_weights=False)[0] + self.lstm(x)[0]


def test_sequence_exporters_on_each_device(device, tmp_path):
    mg.manual_seed(7)
    export_and_run(_SequenceModel().to(device), (mg.randn(2, 5, 4, device=device),), tmp_path, dynamic=True,
                   runs=[(mg.randn(3, 5, 4, device=device),)])


class _Spawner(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear, self.other = nn.Linear(3, 3), nn.Linear(3, 3)

    def forward(self, x):
        thread = threading.Thread(target=lambda: self.other(mg.randn(2, 3).exp()))
        thread.start()
        thread.join()
        return self.linear(x)


def test_what_other_threads_run_meanwhile_is_not_recorded(tmp_path):
    exported = export_and_run(_Spawner(), (mg.randn(2, 3),), tmp_path)
    assert [node.op_type for node in exported.graph.node] == ["Gemm", "Identity"]


def test_multiple_inputs_and_outputs_and_a_file_object():
    class TwoWay(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(3, 2)

        def forward(self, a, b):
            return self.linear(a) + b, a.sum(1)

    mg.manual_seed(6)
    model, a, b = TwoWay().eval(), mg.randn(4, 3), mg.randn(4, 2)
    buffer = io.BytesIO()
    minigrad.onnx.export(model, (a, b), buffer, input_names=["a", "b"], output_names=["y", "total"],
                         dynamic_axes={"a": [0], "b": [0], "y": [0], "total": [0]})
    exported = onnx.load_from_string(buffer.getvalue())
    assert [i.name for i in exported.graph.input] == ["a", "b"]
    assert [o.name for o in exported.graph.output] == ["y", "total"]
    assert exported.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "a_dynamic_axes_1"
    y, total = _session(buffer.getvalue()).run(None, {"a": a.numpy(), "b": b.numpy()})
    with mg.no_grad():
        want_y, want_total = model(a, b)
    np.testing.assert_allclose(y, want_y.numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(total, want_total.numpy(), rtol=1e-6, atol=1e-6)


class _Recurrent(nn.Module):
    """A step of a recurrent cell: (x, (h, c)) in, (y, (h, c)) out, as word_language_model passes hidden."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(6, 8)

    def forward(self, x, hidden, scale=None):
        h, c = hidden
        gates = self.linear(mg.cat([x, h], dim=1))
        c = c * gates[:, :4].sigmoid() + gates[:, 4:].tanh()
        h = c.tanh() * scale
        return h * 2, (h, c)


def test_nested_arguments_keyword_arguments_and_nested_outputs(tmp_path):
    model, x, h, c, scale = _Recurrent().eval(), mg.randn(3, 2), mg.randn(3, 4), mg.randn(3, 4), mg.rand(4)
    path = tmp_path / "step.onnx"
    minigrad.onnx.export(model, (x, (h, c), {"scale": scale}), path, input_names=["x", "h0", "c0", "scale"],
                         output_names=["y", "h1", "c1"])
    got = _session(str(path)).run(None, {"x": x.numpy(), "h0": h.numpy(), "c0": c.numpy(), "scale": scale.numpy()})
    with mg.no_grad():
        y, (h1, c1) = model(x, (h, c), scale=scale)
    for have, want in zip(got, (y, h1, c1)):
        np.testing.assert_allclose(have, want.numpy(), rtol=1e-6, atol=1e-6)


def test_a_fixed_batch_is_fixed_in_the_file(tmp_path):
    path = tmp_path / "fixed.onnx"
    minigrad.onnx.export(nn.Linear(3, 2).eval(), mg.randn(4, 3), path)
    session = _session(str(path))
    assert session.get_inputs()[0].shape == [4, 3]
    with pytest.raises(Exception, match="(?i)dimension|shape"):
        session.run(None, {"input_0": np.zeros((5, 3), np.float32)})


def test_float64_model(tmp_path):
    mg.manual_seed(7)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()
    export_and_run(model, (mg.randn(5, 3, dtype=mg.float64),), tmp_path)


# ---- refusals and train mode ----------------------------------------------------------------------
class Swish(mg.Op):
    """A user's op: it has no exporter until one is registered."""

    def forward(self, x):
        return x / (1 + np.exp(-x))


class _SwishLayer(nn.Module):
    def forward(self, x):
        return Swish()(x)


def _op_classes():
    """Every concrete Op class of minigrad (a name with a leading underscore is a base class)."""
    found, stack = set(), [mg.Op]
    while stack:
        for subclass in stack.pop().__subclasses__():
            if subclass not in found:
                found.add(subclass)
                stack.append(subclass)
    return {c for c in found if c.__module__.startswith("minigrad.") and not c.__name__.startswith("_")}


def test_every_op_of_minigrad_has_an_exporter_or_says_why_not():
    """A new op needs an entry in minigrad/onnx/ops.py: an exporter, or its reason in NOT_EXPORTED."""
    missing = {c.__name__ for c in _op_classes()} - {c.__name__ for c in minigrad.onnx.OP_EXPORTERS} - \
        set(minigrad.onnx.NOT_EXPORTED)
    assert not missing, f"ops without an ONNX exporter or a NOT_EXPORTED reason: {sorted(missing)}"


def test_an_op_listed_as_not_exported_gives_its_reason(tmp_path):
    class Dropping(nn.Module):
        def forward(self, x):
            return mg.functional.dropout(x, 0.5, training=True)

    with pytest.raises(minigrad.onnx.UnsupportedOperatorError, match=r"DropoutOp called in the model itself "
                       r"\(Dropping\) cannot be exported: dropout with training=True is random"):
        minigrad.onnx.export(Dropping().eval(), mg.randn(2, 3), tmp_path / "x.onnx")


def test_a_module_exported_whole_refuses_keyword_arguments_naming_it(tmp_path):
    class KeywordCaller(nn.Module):
        def __init__(self):
            super().__init__()
            self.norm = nn.InstanceNorm1d(3)

        def forward(self, x):
            return self.norm(x=x)

    with pytest.raises(TypeError, match=r"'norm' \(InstanceNorm1d\) was called with keyword arguments"):
        minigrad.onnx.export(KeywordCaller().eval(), mg.randn(2, 3, 4), tmp_path / "x.onnx")


def test_an_op_without_an_exporter_names_the_op_and_the_module(tmp_path):
    model = nn.Sequential(nn.Linear(3, 3), nn.Sequential(nn.ReLU(), _SwishLayer())).eval()
    with pytest.raises(minigrad.onnx.UnsupportedOperatorError,
                       match=r"Swish called in '1\.1' \(_SwishLayer\) cannot be exported: it has no ONNX exporter"):
        minigrad.onnx.export(model, mg.randn(2, 3), tmp_path / "x.onnx")
    assert not (tmp_path / "x.onnx").exists()


def test_a_user_op_exports_once_it_has_an_exporter(tmp_path, monkeypatch):
    monkeypatch.setitem(minigrad.onnx.OP_EXPORTERS, Swish, None)  # removed again after the test

    @minigrad.onnx.exports(Swish)
    def _swish(call):
        x = call.inputs[0]
        return call.graph.node("Mul", [x, call.graph.node("Sigmoid", [x])])

    export_and_run(nn.Sequential(nn.Linear(3, 3), _SwishLayer()), (mg.randn(2, 3),), tmp_path)


def test_fold_round_trips_with_opset_18_and_is_refused_before(tmp_path):
    mg.manual_seed(3)
    fold = nn.Fold((5, 6), (2, 3), dilation=(1, 2), padding=1, stride=(2, 1))
    blocks = lambda n: (mg.randn(n, 3 * 6, 3 * 4),)  # noqa: E731 (C * KH * KW rows, 3 * 4 blocks)
    export_and_run(fold, blocks(2), tmp_path, dynamic=True, runs=[blocks(5)], opset_version=18)
    with pytest.raises(minigrad.onnx.UnsupportedOperatorError, match=r"FoldOp called in the model itself \(Fold\) "
                       r"cannot be exported: fold needs ONNX's Col2Im, of opset 18 \(exporting opset 17\)"):
        minigrad.onnx.export(fold, blocks(2), tmp_path / "x.onnx", opset_version=17)


class _Attention(nn.Module):
    """F.scaled_dot_product_attention of (N, H, L, E) inputs, with the mask a constant of the model."""

    def __init__(self, mask=None, **options):
        super().__init__()
        self.mask, self.options = mask, options

    def forward(self, q, k, v):
        return mg.functional.scaled_dot_product_attention(q, k, v, self.mask, **self.options)


_BOOL_MASK = mg.tensor([[True, False, True, True, False], [False, False, False, False, False],
                        [True, True, True, True, True]])  # its second row masks every key: a row of zeros


@pytest.mark.parametrize("mask, options, kv_heads", [
    (None, {}, 2), (None, dict(is_causal=True, scale=0.3), 2), (_BOOL_MASK, {}, 2),
    (mg.randn(1, 2, 3, 5), {}, 2), (None, dict(enable_gqa=True), 1), (None, dict(enable_gqa=True, is_causal=True), 1),
], ids=["plain", "causal-scale", "bool-mask", "float-mask-per-head", "gqa", "gqa-causal"])
def test_scaled_dot_product_attention_round_trips(mask, options, kv_heads, tmp_path):
    mg.manual_seed(4)
    shapes = lambda n: (mg.randn(n, 2, 3, 4), mg.randn(n, kv_heads, 5, 4), mg.randn(n, kv_heads, 5, 6))  # noqa: E731
    export_and_run(_Attention(mask, **options), shapes(2), tmp_path, dynamic=True, runs=[shapes(4)])


def test_attention_with_dropout_is_refused(tmp_path):
    with pytest.raises(minigrad.onnx.UnsupportedOperatorError, match=r"ScaledDotProductAttention called in the model "
                       r"itself \(_Attention\) cannot be exported: dropout_p=0.5 is random"):
        minigrad.onnx.export(_Attention(dropout_p=0.5).eval(), (mg.randn(1, 2, 3, 4),) * 3, tmp_path / "x.onnx")


class _CausalTransformer(nn.Module):
    def __init__(self):
        super().__init__()
        self.transformer = nn.Transformer(8, 2, 1, 1, 16, batch_first=True)

    def forward(self, src, tgt):
        return self.transformer(src, tgt, tgt_mask=nn.Transformer.generate_square_subsequent_mask(tgt.shape[1]))


def test_transformer_with_a_causal_mask_made_in_the_model(tmp_path):
    mg.manual_seed(6)
    pair = lambda n: (mg.randn(n, 6, 8), mg.randn(n, 4, 8))  # noqa: E731
    export_and_run(_CausalTransformer(), pair(2), tmp_path, dynamic=True, runs=[pair(5)])


class _PaddedSelfAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.attention = nn.MultiheadAttention(8, 2, batch_first=True)

    def forward(self, x, padding):
        return self.attention(x, x, x, key_padding_mask=padding, need_weights=False)[0]


def test_an_attention_mask_from_the_inputs_is_refused_not_frozen(tmp_path):
    padding = mg.tensor([[False, False, True], [False, True, True]])
    with pytest.raises(minigrad.onnx.UnsupportedOperatorError, match=r"ScaledDotProductAttention called in "
                       r"'attention' \(MultiheadAttention\) cannot be exported: its attn_mask .* is computed from "
                       "the model's inputs"):
        minigrad.onnx.export(_PaddedSelfAttention().eval(), (mg.randn(2, 3, 8), padding), tmp_path / "x.onnx")


class _PackedLSTM(nn.Module):
    def __init__(self, **options):
        super().__init__()
        self.lstm = nn.LSTM(4, 5, **options)

    def forward(self, x):
        packed = nn.utils.rnn.pack_padded_sequence(x, [3, 2], batch_first=True)
        return self.lstm(packed)[1][0]


def test_a_sequence_first_lstm_keeps_its_batch_dim_1_dynamic(tmp_path):
    mg.manual_seed(9)
    lstm = nn.LSTM(4, 5, 2).eval()
    path = tmp_path / "lstm.onnx"
    minigrad.onnx.export(lstm, mg.randn(6, 2, 4), path, input_names=["x"], output_names=["y", "h", "c"],
                         dynamic_axes={"x": {1: "batch"}, "y": {1: "batch"}, "h": {1: "batch"}, "c": {1: "batch"}})
    x = mg.randn(6, 5, 4)
    with mg.no_grad():
        y, (h, c) = lstm(x)
    for want, have in zip((y, h, c), _session(str(path)).run(None, {"x": x.numpy()})):
        np.testing.assert_allclose(have, want.numpy(), rtol=2e-5, atol=2e-5)


@pytest.mark.parametrize("batch_first, dynamic", [(False, {0: "steps", 1: "batch"}), (False, [0]),
                                                   (True, {1: "steps"}), (True, [0, 1])])
def test_a_dynamic_sequence_length_into_a_recurrent_layer_is_refused(batch_first, dynamic, tmp_path):
    # the node keeps the traced length: 7 steps of 2 would otherwise be read as 6 steps of a batch of 7/3
    gru = nn.GRU(4, 5, batch_first=batch_first).eval()
    x = mg.randn(2, 6, 4) if batch_first else mg.randn(6, 2, 4)
    with pytest.raises(ValueError, match=r"dynamic axis 1? ?.*of input 'x' changes the number of steps of the "
                                         r"recurrent layer '' \(6 traced\)"):
        minigrad.onnx.export(gru, x, tmp_path / "gru.onnx", input_names=["x"], dynamic_axes={"x": dynamic})
    # the batch axis alone is dynamic: exported
    minigrad.onnx.export(gru, x, tmp_path / "gru.onnx", input_names=["x"], dynamic_axes={"x": [int(batch_first) ^ 1]})


@pytest.mark.parametrize("layer, match", [
    (_PackedLSTM(), "a packed sequence .* is not exported; pad it"),
    (nn.LSTM(4, 5, proj_size=3), "an LSTM with proj_size has no ONNX counterpart"),
])
def test_recurrent_options_without_onnx_counterpart_are_refused(layer, match, tmp_path):
    with pytest.raises(minigrad.onnx.UnsupportedOperatorError, match=r"Recurrent called in .* cannot be exported: " +
                       match):
        minigrad.onnx.export(layer.eval(), mg.randn(2, 3, 4), tmp_path / "x.onnx")


class _NumpySigns(nn.Module):
    def forward(self, x):
        return x * mg.tensor(np.sign(x.numpy()))  # computed in NumPy: it would be a constant in the file


class _DataBranch(nn.Module):
    def forward(self, x):
        return x.exp() if x.sum().item() > 6 else x.abs()  # the ones of the test sum to 6


def test_values_computed_outside_the_recorded_ops_are_refused_not_frozen(tmp_path):
    model = nn.Sequential(nn.Linear(3, 3), _NumpySigns())
    with pytest.raises(minigrad.onnx.UnsupportedOperatorError,
                       match=r"input 1 of Mul called in '1' \(_NumpySigns\) is computed from the model's inputs "
                             "outside minigrad's recorded ops"):
        minigrad.onnx.export(model.eval(), mg.randn(4, 3), tmp_path / "x.onnx")


def test_control_flow_on_the_data_is_refused(tmp_path):
    with pytest.raises(minigrad.onnx.UnsupportedOperatorError, match="control flow on the data"):
        minigrad.onnx.export(_DataBranch().eval(), mg.ones(2, 3), tmp_path / "x.onnx")


def test_an_unsupported_option_names_the_op_the_option_and_the_module(tmp_path):
    model = nn.Sequential(nn.AdaptiveAvgPool2d((2, 2))).eval()
    with pytest.raises(minigrad.onnx.UnsupportedOperatorError,
                       match=r"AdaptiveAvgPool2dOp called in '0' \(AdaptiveAvgPool2d\).*does not divide"):
        minigrad.onnx.export(model, mg.randn(1, 1, 5, 5), tmp_path / "x.onnx")


def test_a_model_in_train_mode_is_exported_in_eval_mode_with_a_warning(tmp_path):
    mg.manual_seed(8)
    model = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4), nn.Dropout(0.9))
    _randomise_statistics(model)
    x = mg.randn(3, 4)
    with pytest.warns(UserWarning, match="train mode; it is exported in eval mode"):
        minigrad.onnx.export(model, x, tmp_path / "m.onnx")
    assert model.training and all(m.training for m in model.modules())  # switched back
    got = _session(str(tmp_path / "m.onnx")).run(None, {"input_0": x.numpy()})[0]
    with mg.no_grad():
        want = model.eval()(x)
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-6, atol=1e-6)


def test_a_model_in_eval_mode_exports_without_warning(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        minigrad.onnx.export(nn.Linear(2, 2).eval(), mg.randn(1, 2), tmp_path / "m.onnx")


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(args=[1.0]), TypeError, "args must be Tensors in tuples, lists or dicts, got float"),
    (dict(args=3), TypeError, "args must be a Tensor or a tuple of Tensors, got int"),
    (dict(opset_version=21), ValueError, "opset_version must be an int up to 20"),
    (dict(dynamic_axes={"nope": [0]}), ValueError, "dynamic_axes names 'nope'"),
    (dict(input_names=["a", "b"]), ValueError, "2 input names given for 1 input"),
    (dict(f=3), TypeError, "f must be a path or a binary file object"),
    (dict(operator_export_type="x"), TypeError, "unsupported arguments"),
])
def test_bad_arguments_are_refused(kwargs, error, match, tmp_path):
    arguments = dict(model=nn.Linear(2, 2).eval(), args=mg.randn(1, 2), f=tmp_path / "m.onnx") | kwargs
    with pytest.raises(error, match=match):
        minigrad.onnx.export(**arguments)


def test_an_older_opset_writes_17_with_a_warning(tmp_path):
    with pytest.warns(UserWarning, match="opset_version=11 is older than minigrad writes; writing opset 17"):
        minigrad.onnx.export(nn.Linear(2, 2).eval(), mg.randn(1, 2), tmp_path / "m.onnx", opset_version=11)
    assert onnx.load(tmp_path / "m.onnx").opset_import[0].version == 17


def test_torch_older_export_returns_the_result_as_fast_neural_style_uses_it(tmp_path):
    model, x = nn.Sequential(nn.Conv2d(3, 2, 3), nn.InstanceNorm2d(2, affine=True)).eval(), mg.randn(1, 3, 6, 6)
    output = minigrad.onnx._export(model, x, str(tmp_path / "style.onnx"))
    with mg.no_grad():
        np.testing.assert_array_equal(output.numpy(), model(x).numpy())
    assert minigrad.onnx.export(model, x, tmp_path / "again.onnx") is None  # as torch's


def test_opset_20_also_exports(tmp_path):
    mg.manual_seed(9)
    model = nn.Sequential(nn.Linear(4, 6), nn.LayerNorm(6), nn.GELU())
    path = tmp_path / "m.onnx"
    minigrad.onnx.export(model.eval(), mg.randn(2, 4), path, opset_version=20)
    x = mg.randn(2, 4)
    got = _session(str(path)).run(None, {"input_0": x.numpy()})[0]
    with mg.no_grad():
        np.testing.assert_allclose(got, model(x).numpy(), rtol=1e-5, atol=1e-5)
