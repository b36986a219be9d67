"""Convolution (cross-correlation, as torch) over 2-D or 1-D input, on the im2col kernels."""
from ..autograd import Op


class ConvolutionOp(Op):
    """Inputs: x (N, C, H, W) with weight (O, C // groups, KH, KW), or x (N, C, L) with weight
    (O, C // groups, K), and optionally bias (O,). Hyperparameters in 2-D form: stride and dilation
    (h, w), padding ((top, bottom), (left, right)); 1-D input runs as height-1 images."""

    def __init__(self, stride, padding, dilation, groups):
        self.stride, self.padding, self.dilation, self.groups = stride, padding, dilation, groups

    def forward(self, x, weight, bias=None):
        self.one_d = x.ndim == 3
        if self.one_d:
            x, weight = x[:, :, None, :], weight[:, :, None, :]
        self.x, self.weight, self.has_bias = x, weight, bias is not None
        # the column matrix is kept for the weight gradient when it fits the workspace (one chunk)
        y, self.columns = self.kernels.conv2d_forward(x, weight, bias, self.stride, self.padding, self.dilation,
                                                      self.groups, keep_columns=self.needs_input_grad[1])
        return y[:, :, 0, :] if self.one_d else y

    def backward(self, gy):
        if self.one_d:
            gy = gy[:, :, None, :]
        needs = self.needs_input_grad
        gx, gweight, gbias = self.kernels.conv2d_backward(
            gy, self.x, self.weight, self.stride, self.padding, self.dilation, self.groups, needs[0], needs[1],
            self.has_bias and needs[2], self.columns)
        if self.one_d:
            gx = None if gx is None else gx[:, :, 0, :]
            gweight = None if gweight is None else gweight[:, :, 0, :]
        return (gx, gweight, gbias) if self.has_bias else (gx, gweight)
