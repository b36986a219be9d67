"""Training-step cases of issue #21: forward, cross-entropy, backward and the optimizer's step of whole
models, minigrad against PyTorch from the same initial weights (run by ``python -m bench``; their
names contain "train step"; ``python -m bench.memory`` measures their peak memory).

- MLP 784-1024-1024-10 with BatchNorm, ReLU and Dropout, batch 256, SGD with momentum;
- LeNet-BN on 28x28, batch 256, SGD with momentum: d2l's (sigmoid, average pooling) and ReLU + max pooling;
- ResNet-14 (16/32/64 channels) on 32x32, batch 64, with SGD with momentum and with Adam;
- MLP 784-1024-1024-10 with LayerNorm and GELU, batch 256, AdamW.
"""
import functools

import numpy as np

from .cases import mlp_step_case, step_case
from .conv import D2L_LENET, lenet_step_case

# (batch, image side) of the ResNet cases; the quick sizes only check that every case runs
RESNET_SIZE, RESNET_QUICK = (64, 32), (4, 16)
MLP_SIZE, MLP_QUICK = (256, 784, 1024), (16, 64, 32)  # (batch, inputs, hidden)
LENET_BATCH, LENET_QUICK = 256, 8


def resnet14(module, widths=(16, 32, 64), blocks=2, classes=10):
    """The CIFAR ResNet of He et al. (2016, section 4.2) with 6 * blocks + 2 layers: a 3x3 stem, three
    stages of ``blocks`` basic blocks (two 3x3 convolutions, BatchNorm, ReLU) at ``widths``, the last
    two stages starting with stride 2 and a 1x1 projection shortcut, global average pooling and a
    Linear layer. ``module`` is minigrad.nn or torch.nn. Example: ``resnet14(nn)(mg.randn(2, 3, 32, 32))``."""
    m = module

    def conv_bn(c_in, c_out, kernel, stride):
        return [m.Conv2d(c_in, c_out, kernel, stride, kernel // 2, bias=False), m.BatchNorm2d(c_out)]

    class BasicBlock(m.Module):
        def __init__(self, c_in, c_out, stride):
            super().__init__()
            self.body = m.Sequential(*conv_bn(c_in, c_out, 3, stride), m.ReLU(), *conv_bn(c_out, c_out, 3, 1))
            self.shortcut = m.Sequential(*conv_bn(c_in, c_out, 1, stride)) if stride != 1 or c_in != c_out else m.Identity()
            self.relu = m.ReLU()

        def forward(self, x):
            return self.relu(self.body(x) + self.shortcut(x))

    layers = [*conv_bn(3, widths[0], 3, 1), m.ReLU()]
    c_in = widths[0]
    for stage, width in enumerate(widths):
        for i in range(blocks):
            layers.append(BasicBlock(c_in, width, 2 if stage and i == 0 else 1))
            c_in = width
    return m.Sequential(*layers, m.AdaptiveAvgPool2d(1), m.Flatten(), m.Linear(widths[-1], classes))


def resnet_step_case(batch, side, optimizer, **settings):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, 3, side, side)).astype(np.float32)
    y = rng.integers(0, 10, batch)
    return step_case(f"ResNet-14 train step f32 batch {batch} {side}x{side}, {optimizer}", resnet14, optimizer, x, y,
                     **settings)


def layer_norm_mlp(module, inputs, hidden):
    """inputs -> hidden -> hidden -> 10, each hidden layer Linear, LayerNorm, GELU."""
    m = module
    return m.Sequential(m.Linear(inputs, hidden), m.LayerNorm(hidden), m.GELU(),
                        m.Linear(hidden, hidden), m.LayerNorm(hidden), m.GELU(), m.Linear(hidden, 10))


def layer_norm_mlp_step_case(batch, inputs, hidden):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, inputs)).astype(np.float32)
    y = rng.integers(0, 10, batch)
    return step_case(f"mlp LayerNorm GELU train step f32 (batch, in, hidden)={(batch, inputs, hidden)}, AdamW",
                     lambda module: layer_norm_mlp(module, inputs, hidden), "AdamW", x, y, lr=1e-3, weight_decay=0.01)


def step_case_builders(small=False):
    """Zero-argument functions that each build one training-step case (``python -m bench.memory``
    builds one per process); small (``--quick``): sizes that run in milliseconds."""
    resnet, mlp_size, lenet_batch = (RESNET_QUICK, MLP_QUICK, LENET_QUICK) if small else (RESNET_SIZE, MLP_SIZE, LENET_BATCH)
    return [functools.partial(mlp_step_case, *mlp_size),
            functools.partial(lenet_step_case, lenet_batch, **D2L_LENET),
            functools.partial(lenet_step_case, lenet_batch),
            functools.partial(resnet_step_case, *resnet, "SGD", lr=0.01, momentum=0.9),
            functools.partial(resnet_step_case, *resnet, "Adam", lr=1e-3),
            functools.partial(layer_norm_mlp_step_case, *mlp_size)]


def step_cases(small=False):
    return [build() for build in step_case_builders(small)]
