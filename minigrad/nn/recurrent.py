"""Recurrent layers (torch's names, arguments, parameter names and initialisation): nn.RNN, nn.LSTM,
nn.GRU over whole sequences (padded or packed, several layers, both directions) and nn.RNNCell,
nn.LSTMCell, nn.GRUCell for one step. Each layer-direction is one op (ops/recurrent.py)."""
import math
import warnings

import numpy as np

from .. import _args
from .. import functional as F
from .._dtypes import float32, resolve_dtype
from ..autograd import no_grad
from ..creation import zeros
from ..ops import recurrent as recurrent_ops
from ..ops.recurrent import GATES, recurrent_layer
from ..ops.shape import cat, stack
from ..tensor import Tensor
from .module import Module, Parameter
from .utils.rnn import PackedSequence

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


def _parameter(shape, dtype, device):
    return Parameter(Tensor(np.zeros(shape), dtype=resolve_dtype(dtype) or float32, device=device))


def _reset_uniform(module):
    """torch's initialisation of every recurrent weight and bias: U(-1/sqrt(hidden), 1/sqrt(hidden))."""
    bound = 1 / math.sqrt(module.hidden_size) if module.hidden_size > 0 else 0
    with no_grad():
        for p in module.parameters():
            p.uniform_(-bound, bound)


class RNNBase(Module):
    """The multi-layer recurrent network of one ``mode`` ("LSTM", "GRU", "RNN_TANH", "RNN_RELU").

    Parameters, per layer l and direction (suffix "" or "_reverse"): weight_ih_l{l} (G * hidden,
    in), weight_hh_l{l} (G * hidden, out), bias_ih_l{l}, bias_hh_l{l} (G * hidden,) and, for an LSTM
    with proj_size > 0, weight_hr_l{l} (proj_size, hidden); G is 4 (LSTM), 3 (GRU) or 1 (RNN), out is
    proj_size or hidden, and in is input_size for layer 0, else out times the directions.
    """

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device="cpu", dtype=None):
        super().__init__()
        name = type(self).__name__
        self.mode = mode
        self.input_size = _args.integer(input_size, f"{name}: input_size", minimum=0)
        self.hidden_size = _args.positive_int(hidden_size, f"{name}: hidden_size")
        self.num_layers = _args.positive_int(num_layers, f"{name}: num_layers")
        if not _args.is_real(dropout) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError(f"{name}: dropout should be a number in range [0, 1] representing the probability of "
                             f"an element being zeroed, got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"{name}: dropout option adds dropout after all but last recurrent layer, so non-zero "
                          f"dropout expects num_layers greater than 1, but got dropout={dropout} and "
                          f"num_layers={num_layers}", UserWarning, stacklevel=3)
        self.proj_size = _args.integer(proj_size, f"{name}: proj_size", minimum=0)
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if proj_size >= hidden_size:
            raise ValueError(f"{name}: proj_size has to be smaller than hidden_size, got proj_size={proj_size} and "
                             f"hidden_size={hidden_size}")
        self.bias, self.batch_first = bool(bias), bool(batch_first)
        self.dropout, self.bidirectional = float(dropout), bool(bidirectional)
        directions, out = 2 if bidirectional else 1, proj_size or hidden_size
        gate_rows = GATES[mode] * hidden_size
        self._flat_weights_names = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else out * directions
            for suffix in ("", "_reverse")[:directions]:
                shapes = {"weight_ih": (gate_rows, layer_input), "weight_hh": (gate_rows, out)}
                if bias:
                    shapes.update(bias_ih=(gate_rows,), bias_hh=(gate_rows,))
                if proj_size:
                    shapes["weight_hr"] = (proj_size, hidden_size)
                for key, shape in shapes.items():
                    self.register_parameter(f"{key}_l{layer}{suffix}", _parameter(shape, dtype, device))
                    self._flat_weights_names.append(f"{key}_l{layer}{suffix}")
        self.reset_parameters()

    def reset_parameters(self):
        _reset_uniform(self)

    def flatten_parameters(self):
        """A no-op kept for torch's scripts: torch packs cuDNN's weights into one buffer here; minigrad's
        layers read each parameter where it is."""

    @property
    def all_weights(self):
        """The parameters per layer and direction, in torch's order (weight_ih, weight_hh, biases, weight_hr)."""
        per = len(self._flat_weights_names) // (self.num_layers * (2 if self.bidirectional else 1))
        names = self._flat_weights_names
        return [[getattr(self, n) for n in names[i:i + per]] for i in range(0, len(names), per)]

    def _weights(self, layer, suffix):
        get = lambda key: getattr(self, f"{key}_l{layer}{suffix}", None)  # noqa: E731
        return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh"), get("weight_hr")

    def forward(self, input, hx=None):
        """input: (L, N, input_size), (N, L, input_size) with batch_first, unbatched (L, input_size) or
        a PackedSequence; hx: h0 (layers * directions, N, out) (LSTM: (h0, c0), c0 with hidden_size),
        zeros when None. Returns (output, h_n) (LSTM: (output, (h_n, c_n))); output (L, N, directions *
        out) as the input is laid out, or a PackedSequence."""
        name = type(self).__name__
        packed = isinstance(input, PackedSequence)
        if packed:
            data, batch_sizes = input.data, [int(b) for b in input.batch_sizes.tolist()]
            batch, unbatched = (batch_sizes[0] if batch_sizes else 0), False
        else:
            if not isinstance(input, Tensor):
                raise TypeError(f"{name}: input must be a Tensor or a PackedSequence, got {type(input).__name__}")
            if input.ndim not in (2, 3):
                raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.ndim}D tensor of shape "
                                 f"{tuple(input.shape)} instead")
            unbatched = input.ndim == 2
            x = input.unsqueeze(1) if unbatched else input.transpose(0, 1) if self.batch_first else input
            steps, batch = x.shape[:2]
            data, batch_sizes = x.reshape(steps * batch, x.shape[2]), [batch] * steps
        if data.shape[-1] != self.input_size:
            raise RuntimeError(f"{name}: input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                               f"got {data.shape[-1]} (input of shape {tuple(data.shape)})")
        weight = self.weight_ih_l0
        if data.dtype != weight.dtype:
            raise TypeError(f"{name}: input is {data.dtype} but the layer's parameters are {weight.dtype}; convert "
                            f"the input with .to({weight.dtype}) or the layer with .to({data.dtype})")
        states = self._initial_states(hx, batch, unbatched, data, input.sorted_indices if packed else None)
        output, finals, directions = data, [], self._directions()
        for layer in range(self.num_layers):
            results = []
            for d, suffix in enumerate(directions):
                index = layer * len(directions) + d
                hx = tuple(s[index] for s in states) if self.mode == "LSTM" else states[0][index]
                results.append(recurrent_layer(self.mode, output, batch_sizes, hx, self._weights(layer, suffix),
                                               reverse=bool(suffix), name=name))
            output = results[0][0] if len(results) == 1 else cat([r[0] for r in results], dim=-1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                output = F.dropout(output, self.dropout, training=True)
            finals += [r[1:] for r in results]
        final_states = [stack([f[k] for f in finals]) for k in range(len(states))]
        if packed:
            if input.unsorted_indices is not None:
                final_states = [s.index_select(1, input.unsorted_indices) for s in final_states]
            output = PackedSequence(output, input.batch_sizes, input.sorted_indices, input.unsorted_indices)
        else:
            output = output.reshape(steps, -1 if steps else batch, output.shape[-1])  # -1: ONNX export's batch varies
            if unbatched:
                output, final_states = output.squeeze(1), [s.squeeze(1) for s in final_states]
            elif self.batch_first:
                output = output.transpose(0, 1)
        return output, (tuple(final_states) if self.mode == "LSTM" else final_states[0])

    def _directions(self):
        return ("", "_reverse") if self.bidirectional else ("",)

    def _initial_states(self, hx, batch, unbatched, data, sorted_indices):
        """[h0] or [h0, c0] as (layers * directions, N, size) tensors, checked against the input."""
        name, layers = type(self).__name__, self.num_layers * len(self._directions())
        sizes = [self.proj_size or self.hidden_size] + ([self.hidden_size] if self.mode == "LSTM" else [])
        if hx is None:
            return [zeros(layers, batch, size, dtype=data.dtype, device=data.device) for size in sizes]
        given = list(hx) if self.mode == "LSTM" and isinstance(hx, (tuple, list)) else [hx]
        if len(given) != len(sizes) or not all(isinstance(h, Tensor) for h in given):
            raise TypeError(f"{name}: hx must be " + ("a tuple (h_0, c_0) of Tensors" if self.mode == "LSTM"
                                                      else "a Tensor") + f", got {type(hx).__name__}")
        states = []
        for i, (h, size) in enumerate(zip(given, sizes)):
            label = f"hx[{i}]" if self.mode == "LSTM" else "hx"
            if h.ndim != (2 if unbatched else 3):
                raise RuntimeError(f"{name}: for {'unbatched 2-D' if unbatched else 'batched 3-D'} input, {label} "
                                   f"should be {2 if unbatched else 3}-D but got {h.ndim}-D tensor of shape "
                                   f"{tuple(h.shape)}")
            h = h.unsqueeze(1) if unbatched else h
            if tuple(h.shape) != (layers, batch, size):
                raise RuntimeError(f"{name}: Expected hidden{f'[{i}]' if self.mode == 'LSTM' else ''} size "
                                   f"{(layers, batch, size)}, got {list(h.shape)}")
            if h.dtype != data.dtype:
                raise TypeError(f"{name}: {label} is {h.dtype} but the input is {data.dtype}")
            states.append(h if sorted_indices is None else h.index_select(1, sorted_indices))
        return states

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu, nonlinearity="relu").
    Example: ``output, h_n = nn.RNN(10, 20, num_layers=2)(mg.randn(5, 3, 10))``"""

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device="cpu", dtype=None):
        nonlinearity = _args.choice(nonlinearity, "RNN: nonlinearity", ("tanh", "relu"))
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size, num_layers,
                         bias, batch_first, dropout, bidirectional, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory, torch's gates i, f, g, o; proj_size > 0 projects h (weight_hr).
    Example: ``output, (h_n, c_n) = nn.LSTM(10, 20, batch_first=True)(mg.randn(3, 5, 10))``"""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device="cpu", dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device, dtype)


class GRU(RNNBase):
    """Gated recurrent unit, torch's gates r, z, n with n = tanh(W_in x + b_in + r * (W_hn h + b_hn)).
    Example: ``output, h_n = nn.GRU(10, 20, bidirectional=True)(mg.randn(5, 3, 10))``"""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, device="cpu", dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)


class RNNCellBase(Module):
    """One step: weight_ih (G * hidden, input_size), weight_hh (G * hidden, hidden), bias_ih,
    bias_hh (G * hidden,); input (N, input_size) or (input_size,)."""

    def __init__(self, mode, input_size, hidden_size, bias=True, device="cpu", dtype=None):
        super().__init__()
        name = type(self).__name__
        self.mode = mode
        self.input_size = _args.integer(input_size, f"{name}: input_size", minimum=0)
        self.hidden_size = _args.positive_int(hidden_size, f"{name}: hidden_size")
        self.bias = bool(bias)
        gate_rows = GATES[mode] * hidden_size
        self.weight_ih = _parameter((gate_rows, input_size), dtype, device)
        self.weight_hh = _parameter((gate_rows, hidden_size), dtype, device)
        for key in ("bias_ih", "bias_hh"):
            self.register_parameter(key, _parameter((gate_rows,), dtype, device) if bias else None)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_uniform(self)

    def _step(self, input, hx):
        name = type(self).__name__
        if not isinstance(input, Tensor) or input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got "
                             f"{f'{input.ndim}D' if isinstance(input, Tensor) else type(input).__name__} instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"{name}: input has inconsistent input_size: got {input.shape[-1]} expected "
                               f"{self.input_size} (input of shape {tuple(input.shape)})")
        if input.dtype != self.weight_ih.dtype:
            raise TypeError(f"{name}: input is {input.dtype} but the cell's parameters are {self.weight_ih.dtype}; "
                            f"convert the input with .to({self.weight_ih.dtype}) or the cell with .to({input.dtype})")
        shape = tuple(input.shape[:-1]) + (self.hidden_size,)
        if hx is None:
            hx = zeros(*shape, dtype=input.dtype, device=input.device)
            hx = (hx, hx) if self.mode == "LSTM" else hx
        for i, h in enumerate(hx if self.mode == "LSTM" else (hx,)):
            if not isinstance(h, Tensor) or tuple(h.shape) != shape:
                raise RuntimeError(f"{name}: hidden state{f' {i}' if self.mode == 'LSTM' else ''} must have shape "
                                   f"{shape} for input of shape {tuple(input.shape)}, got "
                                   f"{tuple(getattr(h, 'shape', ())) or type(h).__name__}")
        function = {"LSTM": recurrent_ops.lstm_cell, "GRU": recurrent_ops.gru_cell,
                    "RNN_TANH": recurrent_ops.rnn_tanh_cell, "RNN_RELU": recurrent_ops.rnn_relu_cell}[self.mode]
        if input.ndim == 2:
            return function(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        states = function(input.unsqueeze(0), tuple(h.unsqueeze(0) for h in hx) if self.mode == "LSTM"
                          else hx.unsqueeze(0), self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return tuple(h.squeeze(0) for h in states) if self.mode == "LSTM" else states.squeeze(0)

    def forward(self, input, hx=None):
        """input (N, input_size) or (input_size,); hx like (N, hidden_size), zeros when None (LSTMCell:
        (h, c)). Returns h' (LSTMCell: (h', c'))."""
        return self._step(input, hx)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s


class RNNCell(RNNCellBase):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu). Example: ``nn.RNNCell(10, 20)(mg.randn(3, 10))``"""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device="cpu", dtype=None):
        nonlinearity = _args.choice(nonlinearity, "RNNCell: nonlinearity", ("tanh", "relu"))
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size, bias, device,
                         dtype)
        self.nonlinearity = nonlinearity


class LSTMCell(RNNCellBase):
    """One LSTM step; forward returns (h', c'). Example: ``h, c = nn.LSTMCell(10, 20)(mg.randn(3, 10))``"""

    def __init__(self, input_size, hidden_size, bias=True, device="cpu", dtype=None):
        super().__init__("LSTM", input_size, hidden_size, bias, device, dtype)


class GRUCell(RNNCellBase):
    """One GRU step. Example: ``h = nn.GRUCell(10, 20)(mg.randn(3, 10))``"""

    def __init__(self, input_size, hidden_size, bias=True, device="cpu", dtype=None):
        super().__init__("GRU", input_size, hidden_size, bias, device, dtype)
