"""Tensor -> Tensor functions that apply ops (Chainer's F, PyTorch's torch.nn.functional).

Each function lives in the ops topic file of its concept, beside its Op classes and argument
checks (minigrad/ops/<topic>.py); this module re-exports each topic's ``__all__``.
"""
from .ops.activation import *  # noqa: F401,F403
from .ops.attention import *  # noqa: F401,F403
from .ops.conv import *  # noqa: F401,F403
from .ops.distance import *  # noqa: F401,F403
from .ops.dropout import *  # noqa: F401,F403
from .ops.embedding import *  # noqa: F401,F403
from .ops.linear import *  # noqa: F401,F403
from .ops.loss import *  # noqa: F401,F403
from .ops.normalization import *  # noqa: F401,F403
from .ops.padding import *  # noqa: F401,F403
from .ops.pool import *  # noqa: F401,F403
from .ops.resample import *  # noqa: F401,F403
