"""One step of an LSTM or GRU direction, pointwise part (recurrent.pyx, cuda/recurrent.cu). The
recurrent layer (ops/recurrent.py) writes each step into rows of arrays it keeps for the backward, so
these methods fill outputs they are given (C-contiguous, checked here) instead of allocating them."""
from .._checks import check_float_array, check_like


class RecurrentKernels:
    """Methods of ``Kernels`` (a mixin: the helpers it calls are ``KernelsBase``'s)."""

    def lstm_cell_forward(self, x_gates, h_gates, c_prev, gates, h, c):
        """One LSTM step over B rows of hidden size H. x_gates, h_gates: (B, 4H) pre-activation parts
        (i, f, g, o); c_prev: (B, H). Fills gates (B, 4H) with the activated gates, c and h (B, H).
        Example: ``cpu.lstm_cell_forward(xg, hg, c0, gates, h, c)`` with xg of shape (2, 12), c0 (2, 3)"""
        self._step("lstm_cell_forward", (x_gates, h_gates, c_prev), (gates, h, c), (4, 4, 1, 4, 1, 1))

    def lstm_cell_backward(self, gates, c_prev, c, gh, gc, gates_grad, gc_prev):
        """lstm_cell_forward's backward: fills gates_grad (B, 4H) and gc_prev (B, H), which may be gc."""
        self._step("lstm_cell_backward", (gates, c_prev, c, gh, gc), (gates_grad, gc_prev), (4, 1, 1, 1, 1, 4, 1))

    def gru_cell_forward(self, x_gates, h_gates, h_prev, gates, h):
        """One GRU step. x_gates, h_gates: (B, 3H) projections (r, z, n) with their biases; h_prev (B,
        H). Fills gates (B, 4H) with r, z, n and h_gates' n part, and h (B, H)."""
        self._step("gru_cell_forward", (x_gates, h_gates, h_prev), (gates, h), (3, 3, 1, 4, 1))

    def gru_cell_backward(self, gates, h_prev, gh, x_gates_grad, h_gates_grad, gh_prev):
        """gru_cell_forward's backward: fills x_gates_grad, h_gates_grad (B, 3H) and gh_prev (B, H)."""
        self._step("gru_cell_backward", (gates, h_prev, gh), (x_gates_grad, h_gates_grad, gh_prev), (4, 1, 1, 3, 3, 1))

    def _step(self, loop, inputs, outputs, widths):
        """Check the arguments of ``loop`` (inputs, then outputs, in its order) against its first (B, H)
        array: argument i must be (B, widths[i] * H) of its dtype and device. Inputs are made
        contiguous; outputs must be."""
        names = self._parameter_names.get(loop) or self._name_parameters(loop)
        arrays = (*inputs, *outputs)
        state_index = widths.index(1)
        state = arrays[state_index]
        check_float_array(state, names[state_index], ndim=2)
        rows, H = state.shape
        for name, array, width in zip(names, arrays, widths):
            check_like(array, name, state, names[state_index], shape=(rows, width * H))
        for name, array in zip(names[len(inputs):], outputs):
            if not array.flags.c_contiguous:
                raise ValueError(f"{loop}: the output {name} must be C-contiguous")
        getattr(self.loops, loop)(*[self._contiguous(a) for a in inputs], *outputs)
