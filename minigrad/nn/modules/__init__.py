"""torch's module paths for minigrad's layers: ``nn.modules.conv.Conv2d`` is ``nn.Conv2d``.

Scripts name layers by torch's file layout, above all in the allow-lists of weights-only loading
(``safe_globals([torch.nn.modules.conv.Conv2d, ...])``), so each of torch's files is a submodule here
holding the same classes as ``minigrad.nn`` (not copies: ``nn.modules.conv.Conv2d is nn.Conv2d``).
Example::

    from minigrad.nn.modules.rnn import LSTM
    with mg.serialization.safe_globals([mg.nn.modules.activation.ReLU]): ...
"""
import sys
import types

# torch's file -> the names minigrad.nn has from it
TORCH_FILES = {
    "activation": ["ELU", "GELU", "Hardswish", "Hardtanh", "LeakyReLU", "LogSigmoid", "LogSoftmax", "Mish",
                   "MultiheadAttention", "ReLU", "SiLU", "Sigmoid", "Softmax", "Softmin", "Softplus", "Softsign",
                   "Tanh"],
    "batchnorm": ["BatchNorm1d", "BatchNorm2d", "LazyBatchNorm1d", "LazyBatchNorm2d", "SyncBatchNorm"],
    "container": ["ModuleDict", "ModuleList", "Sequential"],
    "conv": ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d", "LazyConv1d", "LazyConv2d"],
    "dropout": ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d"],
    "flatten": ["Flatten", "Unflatten"],
    "fold": ["Fold", "Unfold"],
    "instancenorm": ["InstanceNorm1d", "InstanceNorm2d"],
    "linear": ["Identity", "LazyLinear", "Linear"],
    "loss": ["BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "HuberLoss", "KLDivLoss", "L1Loss", "MSELoss",
             "NLLLoss", "SmoothL1Loss"],
    "module": ["Module"],
    "normalization": ["GroupNorm", "LayerNorm"],
    "padding": ["CircularPad1d", "CircularPad2d", "CircularPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d",
                "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
                "ReplicationPad3d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d"],
    "pixelshuffle": ["PixelShuffle", "PixelUnshuffle"],
    "pooling": ["AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "AvgPool1d",
                "AvgPool2d", "MaxPool1d", "MaxPool2d"],
    "rnn": ["GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNCell"],
    "sparse": ["Embedding"],
    "transformer": ["Transformer", "TransformerDecoder", "TransformerDecoderLayer", "TransformerEncoder",
                    "TransformerEncoderLayer"],
    "upsampling": ["Upsample", "UpsamplingBilinear2d", "UpsamplingNearest2d"],
}


def _bind_torch_files():
    nn = sys.modules[__name__.rpartition(".")[0]]  # minigrad.nn, complete once this runs (it imports us last)
    for file, names in TORCH_FILES.items():
        submodule = types.ModuleType(f"{__name__}.{file}", f"torch.nn.modules.{file}'s classes, from minigrad.nn")
        for name in names:
            setattr(submodule, name, getattr(nn, name))
            globals()[name] = getattr(nn, name)
        globals()[file] = sys.modules[submodule.__name__] = submodule
    # torch's Linear subclass for MultiheadAttention.out_proj (a quantization marker, the same maths)
    linear.NonDynamicallyQuantizableLinear = nn.Linear  # noqa: F821 (bound just above)


_bind_torch_files()
