"""LSTM and GRU kernels (recurrent.pyx, cuda/recurrent.cu). The step methods: the pointwise part of one
step, for a layer (ops/recurrent.py) that writes each step into rows of arrays it keeps for the
backward, so they fill outputs they are given (C-contiguous, checked here). The sequence methods: a
whole direction of a layer (each step's recurrent product and pointwise part) in one loop call; they
allocate what they return, and run on the CPU only (``has_sequence_loops``).

A sequence is T rows, taken in ``steps``: (first row, row count) pairs in the order the forward takes
them, each count at most the batch N (the state's rows) and its rows the state's first ones."""
import numpy as np

from .._checks import check_float_array, check_like

# The loops that only the CPU has: on the GPU every step's product is a cuBLAS call anyway, and the
# layer (ops/recurrent.py) walks the steps in Python over the cell kernels there; its whole-sequence
# products are cuBLAS's too (packed_products is the CPU's float32 kernel for them).
SEQUENCE_LOOPS = ("gru_sequence_backward", "gru_sequence_forward", "lstm_sequence_backward", "lstm_sequence_forward",
                  "packed_products")


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

    def sequence_products(self, a, b_parts, biases=None):
        """[a @ b + bias for b, bias in zip(b_parts, biases)], each (m, n_i), for a (m, k), b_parts
        (k, n_i) and biases (n_i,) or None (no bias; ``biases`` None: none at all) of a's dtype and
        device, a and the parts of any strides (transposed views included). A layer's whole-sequence
        products: float32 on the CPU runs them on the step products' packed kernel (recurrent.pyx:
        ``packed_products``), a's packing shared by the parts, each bias added to its output's rows
        once their last slice of k is in;
        otherwise a matmul each, its bias added after.
        Example: ``x_gates, = cpu.sequence_products(x, (w_ih.T,), (b_ih,))``"""
        biases = (None,) * len(b_parts) if biases is None else tuple(biases)
        if len(biases) != len(b_parts):
            raise ValueError(f"sequence_products: {len(biases)} biases for {len(b_parts)} parts")
        check_float_array(a, "a", ndim=2)
        for b, bias in zip(b_parts, biases):
            check_float_array(b, "b", ndim=2)
            check_like(b, "b", a, "a", shape=(a.shape[1], b.shape[1]))
            if bias is not None:
                check_like(bias, "bias", a, "a", shape=(b.shape[1],))
        if a.dtype != np.float32 or not self.has_sequence_loops:
            outs = [self.loops.matmul(a, b) for b in b_parts]
            for out, bias in zip(outs, biases):
                if bias is not None:
                    self.xp.add(out, bias, out=out)
            return outs
        outs = tuple(self.xp.empty((a.shape[0], b.shape[1]), a.dtype) for b in b_parts)
        self.loops.packed_products(a, tuple(b_parts), outs,
                                   tuple(None if bias is None else self._contiguous(bias) for bias in biases))
        return list(outs)

    @property
    def has_sequence_loops(self):
        """Whether this device has the sequence methods' loops (SEQUENCE_LOOPS: the CPU)."""
        return hasattr(self.loops, SEQUENCE_LOOPS[0])

    def lstm_sequence_forward(self, x_gates, w_hh, steps, h0, c0, bias=None):
        """One direction of an LSTM layer without projection. x_gates: (T, 4H) input projection; w_hh:
        (4H, H); h0, c0: (N, H); bias: (4H,) both biases (b_ih + b_hh), added to each step's recurrent
        projection, or None (x_gates has them). Returns y (T, H), h_n, c_n (N, H) and what the
        backward takes: gates (T, 4H), h_prev, c_prev, c (T, H), per row the state it read and the
        new cell. Example: ``y, h_n, c_n, *saved = cpu.lstm_sequence_forward(xg, w_hh, [(0, 2), (2, 2)], h0, c0)``"""
        xp, (T, (N, H)) = self.xp, (x_gates.shape[0], h0.shape)
        checked = (("x_gates", x_gates, (T, 4 * H)), ("w_hh", w_hh, (4 * H, H)), ("c0", c0, (N, H)))
        steps = self._sequence_steps(steps, T, h0, checked if bias is None else checked + (("bias", bias, (4 * H,)),))
        h, c = h0.copy(), c0.copy()
        y, h_prev, c_prev, c_all = (xp.empty((T, H), h0.dtype) for _ in range(4))
        gates = xp.empty((T, 4 * H), h0.dtype)
        self.loops.lstm_sequence_forward(self._contiguous(x_gates), self._contiguous(w_hh),
                                         None if bias is None else self._contiguous(bias), steps, h, c,
                                         xp.empty((N, 4 * H), h0.dtype), gates, h_prev, c_prev, c_all, y)
        return y, h, c, gates, h_prev, c_prev, c_all

    def lstm_sequence_backward(self, gy, w_hh, steps, gates, c_prev, c, gh_n, gc_n):
        """lstm_sequence_forward's backward: gy (T, H), the forward's steps (not reversed), its gates,
        c_prev and c, and the final state's gradients gh_n, gc_n (N, H). Returns the pre-activations'
        gradient (T, 4H) and the initial state's, gh0 and gc0 (N, H)."""
        xp, (T, (N, H)) = self.xp, (gy.shape[0], gh_n.shape)
        steps = self._sequence_steps(steps, T, gh_n, (("gy", gy, (T, H)), ("w_hh", w_hh, (4 * H, H)),
                                                      ("gates", gates, (T, 4 * H)), ("c_prev", c_prev, (T, H)),
                                                      ("c", c, (T, H)), ("gc_n", gc_n, (N, H))))
        gh, gc, gates_grad = gh_n.copy(), gc_n.copy(), xp.empty((T, 4 * H), gy.dtype)
        self.loops.lstm_sequence_backward(*[self._contiguous(a) for a in (gy, w_hh)], steps[::-1].copy(),
                                          *[self._contiguous(a) for a in (gates, c_prev, c)], gh, gc,
                                          xp.empty_like(gh), gates_grad)
        return gates_grad, gh, gc

    def gru_sequence_forward(self, x_gates, w_hh, b_hh, steps, h0):
        """One direction of a GRU layer. x_gates: (T, 3H) input projection with b_ih; w_hh: (3H, H);
        b_hh: (3H,) or None; h0: (N, H). Returns y (T, H), h_n (N, H) and what the backward takes:
        gates (T, 4H) and h_prev (T, H)."""
        xp, (T, (N, H)) = self.xp, (x_gates.shape[0], h0.shape)
        b_hh = xp.zeros(3 * H, h0.dtype) if b_hh is None else b_hh
        steps = self._sequence_steps(steps, T, h0, (("x_gates", x_gates, (T, 3 * H)), ("w_hh", w_hh, (3 * H, H)),
                                                    ("b_hh", b_hh, (3 * H,))))
        h, y, h_prev = h0.copy(), xp.empty((T, H), h0.dtype), xp.empty((T, H), h0.dtype)
        gates = xp.empty((T, 4 * H), h0.dtype)
        self.loops.gru_sequence_forward(self._contiguous(x_gates), self._contiguous(w_hh),
                                        self._contiguous(b_hh), steps, h, xp.empty((N, 3 * H), h0.dtype), gates,
                                        h_prev, y)
        return y, h, gates, h_prev

    def gru_sequence_backward(self, gy, w_hh, steps, gates, h_prev, gh_n):
        """gru_sequence_forward's backward: gy (T, H), the forward's steps (not reversed), its gates
        and h_prev, and gh_n (N, H). Returns the gradients of the input and recurrent projections (T,
        3H each) and gh0 (N, H)."""
        xp, (T, (N, H)) = self.xp, (gy.shape[0], gh_n.shape)
        steps = self._sequence_steps(steps, T, gh_n, (("gy", gy, (T, H)), ("w_hh", w_hh, (3 * H, H)),
                                                      ("gates", gates, (T, 4 * H)), ("h_prev", h_prev, (T, H))))
        gh, x_gates_grad, h_gates_grad = gh_n.copy(), xp.empty((T, 3 * H), gy.dtype), xp.empty((T, 3 * H), gy.dtype)
        self.loops.gru_sequence_backward(*[self._contiguous(a) for a in (gy, w_hh)], steps[::-1].copy(),
                                         *[self._contiguous(a) for a in (gates, h_prev)], gh, xp.empty_like(gh),
                                         x_gates_grad, h_gates_grad)
        return x_gates_grad, h_gates_grad, gh

    @staticmethod
    def _sequence_steps(steps, T, state, arrays):
        """Check a sequence method's ``arrays``, (name, array, shape) triples, against ``state`` (N, H)
        and return ``steps`` as an (S, 2) int64 host array, checked to stay inside the T rows and N."""
        check_float_array(state, "state", ndim=2)
        for name, array, shape in arrays:
            check_like(array, name, state, "state", shape=shape)
        steps = np.asarray(steps, dtype=np.int64).reshape(-1, 2)
        starts, sizes = steps[:, 0], steps[:, 1]
        if ((starts < 0) | (sizes < 1) | (sizes > state.shape[0]) | (starts + sizes > T)).any():
            raise ValueError(f"steps must be (first row, rows) pairs inside the {T} rows, at most "
                             f"{state.shape[0]} rows each")
        return steps
