"""Recurrent layers: one direction of one RNN, LSTM or GRU layer over a whole sequence as one op, and
torch's single-step functions (``mg.lstm_cell``, ``mg.gru_cell``, ``mg.rnn_tanh_cell``,
``mg.rnn_relu_cell``).

A sequence is given as its rows in time order, (T, input_size), with ``batch_sizes``: step t holds
the next batch_sizes[t] rows, and those are the first batch_sizes[t] sequences of the batch (torch's
PackedSequence layout; a padded (L, N, input_size) sequence is L steps of N rows). The forward does
one GEMM for the whole sequence's input projection and, per step, one for the recurrent projection
and one fused kernel for the pointwise part (the LSTM and GRU cells'; tanh or relu for the plain
RNN). The backward walks the steps once in reverse: per step the fused backward kernel and one GEMM
for the gradient of the previous state; the weights' and the input's gradients are one GEMM each
over all steps. For the LSTM without projection and the GRU, the step walks are one kernel call
each (the front's *_sequence_* methods: on the CPU the steps' GEMMs and pointwise parts run in
minigrad's threads with the GIL released); the plain RNN and the projected LSTM step in Python.
"""
from ..autograd import Op
from ..tensor import Tensor
from ._recompute import gradients_of_recomputed
from ._table import torch_function
from .shape import cat
from ._tensor_checks import check_same_dtype, float_tensor

__all__ = []  # torch.nn.functional has no recurrent functions; these are mg.* (torch.lstm_cell, ...)

GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


class Recurrent(Op):
    """One direction of one layer. Inputs: x (T, in), h0 (N, out), c0 (N, hidden) for the LSTM,
    weight_ih (G hidden, in), weight_hh (G hidden, out), then bias_ih, bias_hh (G hidden,) when
    ``has_bias``, then weight_hr (out, hidden) when ``has_proj`` (LSTM; out is hidden otherwise).
    Outputs: y (T, out), h_n (N, out) and, for the LSTM, c_n (N, hidden)."""

    def __init__(self, mode, batch_sizes, reverse=False, has_bias=True, has_proj=False):
        self.mode, self.batch_sizes, self.reverse = mode, tuple(batch_sizes), reverse
        self.has_bias, self.has_proj = has_bias, has_proj

    def _steps(self):
        """(first row, rows) of each step, in the order the forward takes them."""
        starts = [0]
        for size in self.batch_sizes[:-1]:
            starts.append(starts[-1] + size)
        steps = list(zip(starts, self.batch_sizes))
        return steps[::-1] if self.reverse else steps

    def forward(self, x, h0, *rest):
        lstm, gru = self.mode == "LSTM", self.mode == "GRU"
        c0, rest = (rest[0], rest[1:]) if lstm else (None, rest)
        w_ih, w_hh = rest[:2]
        b_ih, b_hh = rest[2:4] if self.has_bias else (None, None)
        w_hr = rest[-1] if self.has_proj else None
        one_call = self._one_call()
        both_biases = None if b_ih is None or gru else b_ih + b_hh
        if gru:
            input_bias = b_ih  # b_hh stays inside r * (W_hn h + b_hn)
        elif one_call:
            # the LSTM's sequence loop adds both biases to its steps' recurrent products, which saves a
            # pass over x_gates (1.3 ms of the benchmark's forward)
            input_bias = None
        else:
            input_bias = both_biases
        x_gates, = self.kernels.sequence_products(x, (w_ih.T,), (input_bias,))
        self.saved = dict(x=x, w_ih=w_ih, w_hh=w_hh, w_hr=w_hr)
        if one_call:
            if lstm:
                y, h, c, *kept = self.kernels.lstm_sequence_forward(x_gates, w_hh, self._steps(), h0, c0, both_biases)
                self.saved.update(zip(("gates", "h_prev", "c_prev", "c"), kept))
                return y, h, c
            y, h, *kept = self.kernels.gru_sequence_forward(x_gates, w_hh, b_hh, self._steps(), h0)
            self.saved.update(zip(("gates", "h_prev"), kept), y=y)
            return y, h
        return self._stepwise_forward(x_gates, h0, c0, w_hh, b_hh, w_hr)

    def _one_call(self):
        """Whether the step walks run as one kernel call each: the LSTM without projection and the GRU,
        on a device with sequence loops (the CPU)."""
        return self.mode in ("LSTM", "GRU") and not self.has_proj and self.kernels.has_sequence_loops

    def _stepwise_forward(self, x_gates, h0, c0, w_hh, b_hh, w_hr):
        """forward a step at a time (the plain RNN, the projected LSTM, and every layer on the GPU): the
        outputs, as forward's."""
        xp, lstm, gru, rows = self.xp, self.mode == "LSTM", self.mode == "GRU", x_gates.shape[0]
        h, y = h0.copy(), xp.empty((rows, h0.shape[1]), x_gates.dtype)
        h_prev = xp.empty_like(y)
        self.saved.update(h_prev=h_prev, y=y)
        if lstm or gru:
            hidden = w_hh.shape[0] // GATES[self.mode]
            gates = self.saved["gates"] = xp.empty((rows, 4 * hidden), x_gates.dtype)
        if lstm:
            c = c0.copy()
            c_prev, c_all = (xp.empty((rows, hidden), x_gates.dtype) for _ in range(2))
            h_raw = y if w_hr is None else xp.empty((rows, hidden), x_gates.dtype)
            self.saved.update(c_prev=c_prev, c=c_all, h_raw=h_raw)
        # a row-major copy of W_hh^T: BLAS takes (B, out) @ (out, G hidden) faster from it than from the
        # transposed view (1.7x at batch 32, hidden 256 when measured first; 4% on the 2-core host now)
        w_hh_t = xp.ascontiguousarray(w_hh.T)
        for start, size in self._steps():
            step = slice(start, start + size)
            h_prev[step] = h[:size]
            h_gates = self.kernels.matmul(h_prev[step], w_hh_t)
            if lstm:
                c_prev[step] = c[:size]
                self.kernels.lstm_cell_forward(x_gates[step], h_gates, c_prev[step], gates[step], h_raw[step],
                                               c_all[step])
                c[:size] = c_all[step]
                if w_hr is not None:
                    y[step] = self.kernels.matmul(h_raw[step], w_hr.T)
            elif gru:
                if b_hh is not None:
                    h_gates += b_hh
                self.kernels.gru_cell_forward(x_gates[step], h_gates, h_prev[step], gates[step], y[step])
            else:
                pre = xp.add(x_gates[step], h_gates, out=h_gates)
                y[step] = xp.tanh(pre) if self.mode == "RNN_TANH" else xp.maximum(pre, 0)
            h[:size] = y[step]
        return (y, h, c) if lstm else (y, h)

    def backward(self, gy, gh_n, gc_n=None):
        saved, lstm, gru = self.saved, self.mode == "LSTM", self.mode == "GRU"
        x, w_ih, w_hh, h_prev = (saved[k] for k in ("x", "w_ih", "w_hh", "h_prev"))
        gc = None
        if not self._one_call():
            x_gates_grad, h_gates_grad, gh, gc = self._stepwise_backward(gy, gh_n, gc_n)
        elif lstm:
            x_gates_grad, gh, gc = self.kernels.lstm_sequence_backward(gy, w_hh, self._steps(), saved["gates"],
                                                                       saved["c_prev"], saved["c"], gh_n, gc_n)
            h_gates_grad = x_gates_grad  # both parts of the pre-activations get the same gradient
        else:
            x_gates_grad, h_gates_grad, gh = self.kernels.gru_sequence_backward(gy, w_hh, self._steps(), saved["gates"],
                                                                                h_prev, gh_n)
        needs = self.needs_input_grad
        products = self.kernels.sequence_products
        grads = [products(x_gates_grad, (w_ih,))[0] if needs[0] else None, gh]
        if lstm:
            grads.append(gc)
        if h_gates_grad is x_gates_grad:
            # the LSTM: both weights' gradients from one packing of the gates' gradient (float32, CPU)
            grads += products(x_gates_grad.T, (x, h_prev))
        else:
            grads += [products(x_gates_grad.T, (x,))[0], products(h_gates_grad.T, (h_prev,))[0]]
        if self.has_bias:
            bias_grad = self.kernels.column_sums(x_gates_grad)
            grads += [bias_grad, self.kernels.column_sums(h_gates_grad) if gru else bias_grad.copy()]
        if self.has_proj:
            grads.append(self.kernels.matmul(saved["gh_all"].T, saved["h_raw"]))
        return tuple(grads)

    def _stepwise_backward(self, gy, gh_n, gc_n):
        """The backward walk of _stepwise_forward, a step at a time: the gradients of the input's and
        the recurrent projections' pre-activations (one array but for the GRU), gh0, and gc0 or None.
        The projected LSTM keeps its output gradients in saved["gh_all"] for the projection's gradient."""
        xp, saved, lstm, gru = self.xp, self.saved, self.mode == "LSTM", self.mode == "GRU"
        w_hh, w_hr, y = saved["w_hh"], saved["w_hr"], saved["y"]
        gh, gc = gh_n.copy(), (gc_n.copy() if lstm else None)
        x_gates_grad = xp.empty((y.shape[0], w_hh.shape[0]), y.dtype)
        h_gates_grad = xp.empty_like(x_gates_grad) if gru else x_gates_grad
        if w_hr is not None:
            gh_all = saved["gh_all"] = xp.empty_like(y)
        for start, size in reversed(self._steps()):
            step = slice(start, start + size)
            g = gy[step] + gh[:size]
            if lstm:
                if w_hr is not None:
                    gh_all[step] = g
                    g = self.kernels.matmul(g, w_hr)
                self.kernels.lstm_cell_backward(saved["gates"][step], saved["c_prev"][step], saved["c"][step], g,
                                                gc[:size], x_gates_grad[step], gc[:size])
            elif gru:  # gh gets h_prev's direct share here, the recurrent projection's below
                self.kernels.gru_cell_backward(saved["gates"][step], saved["h_prev"][step], g, x_gates_grad[step],
                                               h_gates_grad[step], gh[:size])
            else:
                out = y[step]
                x_gates_grad[step] = g * (1 - out * out) if self.mode == "RNN_TANH" else g * (out > 0)
            self.kernels.matmul(h_gates_grad[step], w_hh, out=gh[:size], accumulate=gru)
        return x_gates_grad, h_gates_grad, gh, gc

    def backward_graph(self, inputs, *grad_outputs):
        # the kernels keep only what the array backward reads: differentiate the forward recomputed
        # step by step with Tensor ops
        return gradients_of_recomputed(self, inputs, self._composed, grad_outputs)

    def _composed(self, x, h0, *rest):
        """forward's outputs from Tensor ops: the cell equations step by step."""
        lstm, gru = self.mode == "LSTM", self.mode == "GRU"
        c0, rest = (rest[0], rest[1:]) if lstm else (None, rest)
        w_ih, w_hh = rest[:2]
        b_ih, b_hh = rest[2:4] if self.has_bias else (None, None)
        w_hr = rest[-1] if self.has_proj else None
        x_gates = x @ w_ih.t() if b_ih is None else x @ w_ih.t() + b_ih
        h, c, rows = h0, c0, {}
        for start, size in self._steps():
            x_step = x_gates[start:start + size]
            h_gates = h[:size] @ w_hh.t() if b_hh is None else h[:size] @ w_hh.t() + b_hh
            if lstm:
                h_new, c_new = _lstm_cell(x_step + h_gates, c[:size], w_hr)
                c = _first_rows_replaced(c, c_new)
            elif gru:
                h_new = _gru_cell(x_step, h_gates, h[:size])
            else:
                h_new = (x_step + h_gates).tanh() if self.mode == "RNN_TANH" else (x_step + h_gates).relu()
            rows[start] = h_new
            h = _first_rows_replaced(h, h_new)
        y = cat([rows[start] for start in sorted(rows)]) if rows else h0[:0]
        return (y, h, c) if lstm else (y, h)


def _first_rows_replaced(state, new):
    """state (N, n) with its first new.shape[0] rows replaced by new (the sequences still running)."""
    return new if new.shape[0] == state.shape[0] else cat([new, state[new.shape[0]:]])


def _lstm_cell(gates, c, w_hr):
    """(h, c) of one LSTM step from its pre-activations (N, 4 hidden), gates in torch's order i, f, g, o."""
    hidden = c.shape[1]
    i, f, o = (gates[:, k * hidden:(k + 1) * hidden].sigmoid() for k in (0, 1, 3))
    c = f * c + i * gates[:, 2 * hidden:3 * hidden].tanh()
    h = o * c.tanh()
    return (h if w_hr is None else h @ w_hr.t()), c


def _gru_cell(x_gates, h_gates, h):
    """h of one GRU step from its two projections (N, 3 hidden), gates r, z, n: n = tanh(x_n + r * h_n)."""
    hidden = h.shape[1]
    r, z = ((x_gates[:, k * hidden:(k + 1) * hidden] + h_gates[:, k * hidden:(k + 1) * hidden]).sigmoid()
            for k in (0, 1))
    n = (x_gates[:, 2 * hidden:] + r * h_gates[:, 2 * hidden:]).tanh()
    return (1 - z) * n + z * h


def recurrent_layer(mode, input, batch_sizes, hx, weights, reverse=False, name=None):
    """One direction of one layer over a sequence of rows (see this module's docstring).

    mode: "LSTM", "GRU", "RNN_TANH" or "RNN_RELU". input: (T, input_size) with T = sum(batch_sizes),
    batch_sizes non-increasing; hx: h0 (N, out), or (h0, c0) for the LSTM, N = batch_sizes[0];
    weights: (weight_ih, weight_hh, bias_ih, bias_hh, weight_hr) with None for an absent bias or
    projection. Returns (output (T, out), h_n) or, for the LSTM, (output, h_n, c_n).

    Example: ``recurrent_layer("GRU", mg.randn(6, 4), [3, 2, 1], mg.zeros(3, 5), (w_ih, w_hh, None, None, None))``
    """
    name = name or mode.lower()
    w_ih, w_hh, b_ih, b_hh, w_hr = weights
    h0, c0 = hx if mode == "LSTM" else (hx, None)
    check_same_dtype(float_tensor(input, name), h0=h0, c0=c0, weight_ih=w_ih, weight_hh=w_hh, bias_ih=b_ih,
                     bias_hh=b_hh, weight_hr=w_hr)
    gates, (size, in_features) = GATES[mode], w_ih.shape
    hidden, out = size // gates, w_hh.shape[1]
    if input.ndim != 2 or input.shape[1] != in_features or input.shape[0] != sum(batch_sizes):
        raise ValueError(f"{name}: input must have shape ({sum(batch_sizes)}, {in_features}), got {tuple(input.shape)}")
    expected = {"h0": (h0, (batch_sizes[0] if batch_sizes else 0, out)), "c0": (c0, (h0.shape[0], hidden)),
                "weight_hh": (w_hh, (size, out)), "bias_ih": (b_ih, (size,)), "bias_hh": (b_hh, (size,)),
                "weight_hr": (w_hr, (out, hidden))}
    for key, (t, shape) in expected.items():
        if t is not None and tuple(t.shape) != shape:
            raise ValueError(f"{name}: {key} must have shape {shape}, got {tuple(t.shape)}")
    if (b_ih is None) != (b_hh is None):
        raise ValueError(f"{name}: give both biases or neither")
    if w_hr is None and out != hidden:
        raise ValueError(f"{name}: weight_hh must have shape {(size, hidden)}, got {tuple(w_hh.shape)}")
    op = Recurrent(mode, batch_sizes, reverse, b_ih is not None, w_hr is not None)
    tensors = [input, h0] + ([c0] if c0 is not None else []) + [w_ih, w_hh]
    tensors += [t for t in (b_ih, b_hh, w_hr) if t is not None]
    return op(*tensors)


def _cell(mode, input, hx, weights, name):
    """One step of ``mode`` for input (N, in): recurrent_layer over one step of N rows. As torch's
    cell functions, 2-D only (nn.RNNCell and its kin take unbatched input too)."""
    states = tuple(hx) if isinstance(hx, (tuple, list)) else (hx,)
    for label, t in (("input", input),) + tuple(zip(("hx", "cx"), states)):
        if not isinstance(t, Tensor) or t.ndim != 2:
            raise RuntimeError(f"{name}: {label} must be 2-D (batch, size), got "
                               f"{tuple(t.shape) if isinstance(t, Tensor) else type(t).__name__}")
    _, *new_states = recurrent_layer(mode, input, (input.shape[0],), states if mode == "LSTM" else states[0],
                                     weights, name=name)
    return tuple(new_states) if mode == "LSTM" else new_states[0]


@torch_function
def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step (torch.lstm_cell): input (N, in), hx = (h, c) each (N, hidden); returns (h', c').
    Example: ``mg.lstm_cell(x, (h, c), w_ih, w_hh)``"""
    return _cell("LSTM", input, hx, (w_ih, w_hh, b_ih, b_hh, None), "lstm_cell")


@torch_function
def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One GRU step (torch.gru_cell): input (N, in), hx (N, hidden); returns h'."""
    return _cell("GRU", input, hx, (w_ih, w_hh, b_ih, b_hh, None), "gru_cell")


@torch_function
def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """h' = tanh(input @ w_ih.T + b_ih + hx @ w_hh.T + b_hh) (torch.rnn_tanh_cell)."""
    return _cell("RNN_TANH", input, hx, (w_ih, w_hh, b_ih, b_hh, None), "rnn_tanh_cell")


@torch_function
def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """h' = relu(input @ w_ih.T + b_ih + hx @ w_hh.T + b_hh) (torch.rnn_relu_cell)."""
    return _cell("RNN_RELU", input, hx, (w_ih, w_hh, b_ih, b_hh, None), "rnn_relu_cell")
