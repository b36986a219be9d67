"""y = x @ weight.T + bias for x of shape (*, in_features)."""
from ..autograd import Op


class LinearOp(Op):
    def forward(self, x, weight, bias=None):
        self.x_shape = x.shape
        x2 = x.reshape(-1, x.shape[-1])
        self.x2, self.weight, self.has_bias = x2, weight, bias is not None
        y = self.kernels.linear_forward(x2, weight, bias)
        return y.reshape(x.shape[:-1] + (weight.shape[0],))

    def backward(self, gy):
        needs = self.needs_input_grad
        gx, gweight, gbias = self.kernels.linear_backward(
            gy.reshape(-1, gy.shape[-1]), self.x2, self.weight, needs[0], needs[1], self.has_bias and needs[2])
        if gx is not None and gx.shape != self.x_shape:  # reshaped only when needed: a fresh array, not a
            gx = gx.reshape(self.x_shape)                # view, is adopted as a leaf's grad without a copy
        return (gx, gweight, gbias) if self.has_bias else (gx, gweight)
