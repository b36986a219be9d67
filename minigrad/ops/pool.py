"""Pooling over (N, C, H, W) input: max (argmax kept for backward), average, adaptive average."""
from ..autograd import Op


class MaxPool2dOp(Op):
    """Hyperparameters: kernel_size, stride, padding, each (h, w)."""

    def __init__(self, kernel_size, stride, padding):
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def forward(self, x):
        y, self.indices = self.kernels.max_pool2d_forward(x, self.kernel_size, self.stride, self.padding)
        self.x_shape = x.shape
        return y

    def backward(self, gy):
        return self.kernels.max_pool2d_backward(gy, self.indices, self.x_shape)


class AvgPool2dOp(Op):
    """Hyperparameters: kernel_size, stride, padding, each (h, w), and count_include_pad."""

    def __init__(self, kernel_size, stride, padding, count_include_pad=True):
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.count_include_pad = count_include_pad

    def forward(self, x):
        self.x_shape = x.shape
        return self.kernels.avg_pool2d_forward(x, self.kernel_size, self.stride, self.padding, self.count_include_pad)

    def backward(self, gy):
        return self.kernels.avg_pool2d_backward(gy, self.x_shape, self.kernel_size, self.stride, self.padding,
                                                self.count_include_pad)


class AdaptiveAvgPool2dOp(Op):
    """Hyperparameter: output_size (OH, OW)."""

    def __init__(self, output_size):
        self.output_size = output_size

    def forward(self, x):
        self.x_shape = x.shape
        return self.kernels.adaptive_avg_pool2d_forward(x, self.output_size)

    def backward(self, gy):
        return self.kernels.adaptive_avg_pool2d_backward(gy, self.x_shape)
