"""Recurrent benchmark cases: a multi-layer LSTM's forward and backward over a sequence, minigrad
against PyTorch with the same weights (one code drives both libraries)."""
import numpy as np

import minigrad as mg

from .cases import Case, torch

LSTM_SIZE = dict(seq=64, batch=32, input_size=256, hidden=256, layers=2)
LSTM_QUICK = dict(seq=8, batch=4, input_size=16, hidden=16, layers=2)


def lstm_case(seq, batch, input_size, hidden, layers):
    """nn.LSTM(input_size, hidden, layers) on (seq, batch, input_size) float32: output and its
    gradient through every layer to the weights."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((seq, batch, input_size)).astype(np.float32)
    gy = rng.standard_normal((seq, batch, hidden)).astype(np.float32)

    def step(model, x, gy):
        model.zero_grad()
        output, _ = model(x)
        output.backward(gy)

    model = mg.nn.LSTM(input_size, hidden, layers)
    tx, tgy = mg.tensor(x), mg.tensor(gy)
    contenders = {"minigrad": lambda: step(model, tx, tgy)}
    if torch is not None:
        tmodel = torch.nn.LSTM(input_size, hidden, layers)
        tmodel.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in model.state_dict().items()})
        px, pgy = torch.tensor(x), torch.tensor(gy)
        contenders["torch"] = lambda: step(tmodel, px, pgy)
    return Case(f"lstm fwd+bwd float32 (seq, batch, in, hidden, layers)={(seq, batch, input_size, hidden, layers)}",
                contenders)


def recurrent_cases(small=False):
    return [lstm_case(**(LSTM_QUICK if small else LSTM_SIZE))]
