"""ReLU, sigmoid, tanh, softplus, logsigmoid, dropout and GELU (and erf): elementwise loops over flat arrays."""
import numpy as np

from .._checks import check_float_array, check_mask, dropout_scale


class ActivationKernels:
    """Methods of ``Kernels`` (a mixin: the helpers it calls are ``KernelsBase``'s)."""

    # ---- ReLU ------------------------------------------------------------------------------------
    def relu_forward(self, x):
        """y = max(x, 0), NaN propagating. x: any shape, float32/float64. Returns y like x."""
        return self.elementwise("relu_forward", x)

    def relu_backward(self, gy, y):
        """gx = gy where the forward output y is not <= 0, else 0 (NaN outputs pass gy, as torch)."""
        return self.elementwise("relu_backward", gy, y)

    # ---- Sigmoid ---------------------------------------------------------------------------------
    def sigmoid_forward(self, x):
        """y = 1 / (1 + exp(-x)), accurate for negative x (activation.h's stable form). x: any shape,
        float32/float64. Returns y like x. Example: ``cpu.sigmoid_forward(np.array([-20.0], np.float32))``
        -> [2.0611537e-09]"""
        return self.elementwise("sigmoid_forward", x)

    def sigmoid_backward(self, gy, y):
        """gx = gy * y * (1 - y) from the forward output y (gy like y)."""
        return self.elementwise("sigmoid_backward", gy, y)

    # ---- tanh, softplus, logsigmoid (activation.h's stable forms) -------------------------------
    def tanh_forward(self, x):
        """y = tanh(x), x: any shape, float32/float64. Returns y like x. Example:
        ``cpu.tanh_forward(np.array([-0.5]))`` -> [-0.46211716]"""
        return self.elementwise("tanh_forward", x)

    def tanh_backward(self, gy, y):
        """gx = gy * (1 - y^2) from the forward output y (gy like y)."""
        return self.elementwise("tanh_backward", gy, y)

    def softplus_forward(self, x, beta, threshold):
        """y = log(1 + exp(beta x)) / beta, and x where beta x > threshold (as torch), without overflow
        for any x. Returns y like x. Example: ``cpu.softplus_forward(np.array([-1000.0, 0.0]), 1, 20)``
        -> [0., 0.69314718]"""
        return self.elementwise("softplus_forward", x, scalars=(float(beta), float(threshold)))

    def softplus_backward(self, gy, x, beta, threshold):
        """gx = gy * sigmoid(beta x), and gy where beta x > threshold (gy like x)."""
        return self.elementwise("softplus_backward", gy, x, scalars=(float(beta), float(threshold)))

    def logsigmoid_forward(self, x):
        """y = log(sigmoid(x)), finite for finite x. Example: ``cpu.logsigmoid_forward(np.array([-1000.0]))``
        -> [-1000.]"""
        return self.elementwise("logsigmoid_forward", x)

    def logsigmoid_backward(self, gy, x):
        """gx = gy * sigmoid(-x) from the input x (gy like x)."""
        return self.elementwise("logsigmoid_backward", gy, x)

    # ---- Dropout ---------------------------------------------------------------------------------
    def dropout_forward(self, x, p, seed, offset):
        """(y, mask): y = x * mask / (1 - p), mask uint8 (1 = kept), from the Philox stream
        (seed, offset). p in [0, 1] (F.dropout checks it); p = 1 gives x * 0: zeros, never 0/0 NaN; a
        NaN in x stays NaN (as torch)."""
        check_float_array(x, "x")
        xp = self.xp
        if p >= 1.0:  # everything dropped; also keeps the threshold below 2**32 for the loop
            with np.errstate(invalid="ignore"):  # Inf * 0 is NaN on purpose (as torch)
                return x * x.dtype.type(0), xp.zeros(x.shape, dtype=xp.uint8)
        x = self._contiguous(x)
        y, mask = xp.empty_like(x), xp.empty(x.shape, dtype=xp.uint8)
        self.loops.dropout_forward(x.reshape(-1), y.reshape(-1), mask.reshape(-1), int(p * 4294967296.0), dropout_scale(p),
                                    int(seed), int(offset))
        return y, mask

    def dropout_backward(self, gy, mask, p):
        """gx = gy * mask / (1 - p). gy: float32/float64; mask: uint8 of gy's shape."""
        check_float_array(gy, "gy")
        check_mask(mask, gy.shape)
        gy, mask = self._contiguous(gy), self._contiguous(mask)
        gx = self.xp.empty_like(gy)
        self.loops.dropout_backward(gy.reshape(-1), mask.reshape(-1), gx.reshape(-1), dropout_scale(p))
        return gx

    def philox4x32(self, block, offset, seed):
        """The four Philox-4x32-10 words of one counter block (for tests and device parity)."""
        return self.loops.philox4x32(int(block), int(offset), int(seed))

    # ---- GELU ------------------------------------------------------------------------------------
    def gelu_forward(self, x, tanh_approximation):
        """GELU of x (any shape): x * Phi(x), or its tanh approximation when ``tanh_approximation``.
        Returns y like x."""
        return self.elementwise("gelu_forward", x, scalars=(bool(tanh_approximation),))

    def erf(self, x):
        """erf(x) elementwise (libm's on the CPU, CUDA's on the GPU, in double). x: any shape,
        float32/float64. Returns y like x. Example: ``cpu.erf(np.array([0.5]))`` -> [0.52049988]"""
        return self.elementwise("erf_forward", x)

    def gelu_backward(self, gy, x, tanh_approximation):
        """gy * GELU'(x) for gy, x of one shape and dtype (``tanh_approximation`` as in gelu_forward)."""
        return self.elementwise("gelu_backward", gy, x, scalars=(bool(tanh_approximation),))
