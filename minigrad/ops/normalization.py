"""Batch normalisation over axis 1, on the compiled kernels."""
from ..autograd import Op


class BatchNormOp(Op):
    """Inputs: x (N, C, ...) and, when present, weight and bias (C,).

    In training the batch statistics normalise x and the running statistics (arrays, or None) are
    updated in place with factor ``momentum``; in eval the running statistics normalise x.
    """

    def __init__(self, training, running_mean, running_var, momentum, eps, has_weight, has_bias):
        self.training, self.momentum, self.eps = training, momentum, eps
        self.running_mean, self.running_var = running_mean, running_var
        self.has_weight, self.has_bias = has_weight, has_bias

    def forward(self, x, *affine):
        weight = affine[0] if self.has_weight else None
        bias = affine[-1] if self.has_bias else None
        x = self.xp.ascontiguousarray(x)  # once, for the forward and the backward kernel
        kernels = self.kernels
        if self.training:
            y, self.mean, self.invstd = kernels.batch_norm_forward_train(
                x, weight, bias, self.running_mean, self.running_var, self.momentum, self.eps)
        else:
            y = kernels.batch_norm_forward_eval(x, self.running_mean, self.running_var, weight, bias, self.eps)
            if any(self.needs_input_grad):
                xp = self.xp
                self.mean = self.running_mean.astype(xp.float64)
                self.invstd = 1.0 / xp.sqrt(self.running_var.astype(xp.float64) + self.eps)
        self.x, self.weight = x, weight
        return y

    def backward(self, gy):
        gx, gweight, gbias = self.kernels.batch_norm_backward(
            gy, self.x, self.mean, self.invstd, self.weight, self.training)
        return (gx,) + ((gweight,) if self.has_weight else ()) + ((gbias,) if self.has_bias else ())


class LayerNormOp(Op):
    """Inputs: x (*, *normalized_shape) and, when present, weight and bias of normalized_shape.

    Each of the leading positions is normalised over the trailing ``normalized_ndim`` dims with its
    own mean and biased variance, then scaled by weight and shifted by bias (elementwise).
    """

    def __init__(self, normalized_ndim, eps, has_weight, has_bias):
        self.normalized_ndim, self.eps = normalized_ndim, eps
        self.has_weight, self.has_bias = has_weight, has_bias

    def forward(self, x, *affine):
        width = 1
        for size in x.shape[x.ndim - self.normalized_ndim:]:
            width *= size
        rows = self.xp.ascontiguousarray(x).reshape(-1, width)  # once, for the forward and the backward kernel
        weight = affine[0].reshape(-1) if self.has_weight else None
        bias = affine[-1].reshape(-1) if self.has_bias else None
        y, self.mean, self.invstd = self.kernels.layer_norm_forward(rows, weight, bias, self.eps)
        self.rows, self.weight, self.affine_shape = rows, weight, x.shape[x.ndim - self.normalized_ndim:]
        return y.reshape(x.shape)

    def backward(self, gy):
        needs = self.needs_input_grad
        gx, gweight, gbias = self.kernels.layer_norm_backward(
            gy.reshape(self.rows.shape), self.rows, self.mean, self.invstd, self.weight,
            self.has_weight and needs[1], self.has_bias and needs[-1])
        grads = [gx.reshape(gy.shape)]
        if self.has_weight:
            grads.append(None if gweight is None else gweight.reshape(self.affine_shape))
        if self.has_bias:
            grads.append(None if gbias is None else gbias.reshape(self.affine_shape))
        return tuple(grads)
