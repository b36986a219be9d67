"""End to end: an MLP with Linear-BatchNorm-ReLU-Dropout learns a synthetic problem."""
import numpy as np

import minigrad as mg
import minigrad.functional as F
import minigrad.nn as nn
import minigrad.optim as optim


def test_mlp_with_batchnorm_and_dropout_reaches_95_percent():
    rng = np.random.default_rng(0)
    centers = rng.standard_normal((4, 10)) * 2
    labels = rng.integers(0, 4, 1200)
    x = (centers[labels] + rng.standard_normal((1200, 10))).astype(np.float32)
    model = nn.Sequential(nn.Linear(10, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Dropout(0.2), nn.Linear(64, 4))
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for epoch in range(5):
        order = rng.permutation(1000)
        for start in range(0, 1000, 50):
            batch = order[start:start + 50]
            loss = F.cross_entropy(model(mg.tensor(x[batch])), labels[batch])
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    with mg.no_grad():
        accuracy = (model(mg.tensor(x[1000:])).argmax(dim=1) == mg.tensor(labels[1000:])).float().mean().item()
    assert accuracy >= 0.95
