"""Second derivatives through every layer with parameters (issue 26): gradgradcheck of the layer as a
function of its input and its parameters, in float64 on each device, with tolerances tight enough that
a missing small term of the second derivative fails (central differences of the first-order gradient
are good to ~1e-9 here; gradgradcheck's defaults would hide terms below 1e-5)."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn

TIGHT = {"atol": 1e-7, "rtol": 1e-6}


def as_function(layer):
    """(call, parameters): call(x, *parameters) runs ``layer`` on x with the given Tensors in place of
    its own parameters (in named_parameters order), so that gradgradcheck can vary them."""
    names = [name for name, _ in layer.named_parameters()]

    def call(x, *parameters):
        for name, value in zip(names, parameters):
            object.__setattr__(layer, name, value)  # what forward reads; the registry keeps the Parameter
        return layer(x)
    return call, [p.detach().requires_grad_() for p in layer.parameters()]


LAYERS = {
    "Linear": (lambda: nn.Linear(4, 3), (2, 4)),
    "Linear-no-bias": (lambda: nn.Linear(4, 3, bias=False), (5, 4)),
    "Conv1d": (lambda: nn.Conv1d(2, 3, 3, stride=2, padding=1), (2, 2, 7)),
    "Conv2d": (lambda: nn.Conv2d(4, 4, (2, 3), padding=1, dilation=(2, 1), groups=2), (2, 4, 5, 4)),
    "BatchNorm1d": (lambda: nn.BatchNorm1d(3), (5, 3)),
    "BatchNorm1d-3d": (lambda: nn.BatchNorm1d(3), (4, 3, 2)),
    "BatchNorm2d": (lambda: nn.BatchNorm2d(2), (3, 2, 2, 3)),
    "BatchNorm2d-eval": (lambda: nn.BatchNorm2d(2).eval(), (3, 2, 2, 3)),
    "LayerNorm": (lambda: nn.LayerNorm((3, 4)), (2, 3, 4)),
    "GroupNorm": (lambda: nn.GroupNorm(2, 4), (3, 4, 3)),
    "InstanceNorm1d-affine": (lambda: nn.InstanceNorm1d(2, affine=True), (3, 2, 4)),
    "InstanceNorm2d-affine": (lambda: nn.InstanceNorm2d(3, affine=True), (2, 3, 2, 3)),
}


@pytest.mark.parametrize("name", list(LAYERS))
def test_gradgradcheck_through_layer(name, device, rng):
    make, shape = LAYERS[name]
    layer = make().double().to(device)
    with mg.no_grad():  # parameters away from their initial ones and zero, so that every term shows
        for p in layer.parameters():
            p.copy_(mg.tensor(rng.uniform(0.5, 1.5, p.shape), dtype=mg.float64, device=device))
    call, parameters = as_function(layer)
    x = mg.tensor(rng.standard_normal(shape), dtype=mg.float64, device=device, requires_grad=True)
    assert mg.autograd.gradgradcheck(call, [x, *parameters], **TIGHT)


def test_gradgradcheck_through_embedding(device, rng):
    layer = nn.Embedding(5, 3, padding_idx=1).double().to(device)
    indices = mg.tensor(np.array([[0, 1, 4], [4, 2, 1]]), device=device)
    weight = layer.weight.detach().requires_grad_()

    def call(w):
        object.__setattr__(layer, "weight", w)
        return layer(indices) ** 2  # squared: the second derivative in the weight is not zero

    assert mg.autograd.gradgradcheck(call, [weight], **TIGHT)
