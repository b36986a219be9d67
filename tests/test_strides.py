"""Layers and the optimizer accept parameters and inputs of any strides a user can make (views,
transposed arrays), with the results of contiguous ones."""
import numpy as np

import minigrad as mg
import minigrad.functional as F
import minigrad.nn as nn
import minigrad.optim as optim


def _train_step(model, x, target):
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=0.01)
    for _ in range(2):
        opt.zero_grad()
        F.cross_entropy(model(x), target).backward()
        opt.step()
    return [p.detach().numpy().copy() for p in model.parameters()] + [b.numpy().copy() for b in model.buffers()]


def test_a_model_with_strided_parameters_trains_like_a_contiguous_one(rng):
    mg.manual_seed(0)
    reference = nn.Sequential(nn.Linear(6, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 3))
    strided = nn.Sequential(nn.Linear(6, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 3))
    strided.load_state_dict(reference.state_dict())
    # a transposed array, views with steps and negative steps as parameter data
    strided[0].weight._data = np.ascontiguousarray(strided[0].weight._data.T).T
    strided[1].weight._data = np.repeat(strided[1].weight._data, 2)[::2]
    strided[1].bias._data = strided[1].bias._data[::-1].copy()[::-1]
    strided[1].running_var._data = np.repeat(strided[1].running_var._data, 3)[1::3]
    strided[3].bias._data = np.repeat(strided[3].bias._data, 2)[1::2]
    x = mg.tensor(np.asfortranarray(rng.standard_normal((8, 6)).astype(np.float32)))
    target = np.arange(8) % 3
    for got, want in zip(_train_step(strided, x, target), _train_step(reference, x, target)):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def test_functional_calls_take_views_of_weights():
    B = mg.randn(8, 3)
    x = mg.randn(4, 3)
    np.testing.assert_allclose(F.linear(x, B[::2]).numpy(), x.numpy() @ B.numpy()[::2].T, rtol=1e-6)
    w = mg.randn(6)
    y = F.batch_norm(mg.randn(10, 3), None, None, w[::2], w[1::2], training=True)
    assert y.shape == (10, 3) and np.isfinite(y.numpy()).all()
