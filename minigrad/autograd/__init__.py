"""Reverse-mode autodiff, in small files:

    grad_mode.py   no_grad, enable_grad, set_grad_enabled, inference_mode (per thread, nesting)
    versions.py    version counters, the write clock, in-place ops taking a new place in the graph
    op.py          the Op base class; Op._run, the one body that runs every op
    hooks.py       gradient hooks, retain_grad, post-accumulate hooks and their handles
    walk.py        backward: the iterative walk in reverse topological order (arrays, or Tensors
                   in the graph under create_graph)
    adjoint.py     the differentiable backward of linear ops; constant() for backward_graph bodies
    differentiate.py  grad (torch.autograd.grad) and the checks of Tensor.backward
    functional.py  jacobian, hessian, vjp, jvp, vhp, hvp (torch.autograd.functional)

``mg.autograd.detect_anomaly`` (minigrad/anomaly.py) is here as torch.autograd's is.
"""
from .grad_mode import _mode, enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled  # noqa: F401
from .versions import bump_version, in_place  # noqa: F401
from .op import BUILT_UNDER_NO_GRAD, Op  # noqa: F401
from . import adjoint, differentiate, functional, hooks, op, walk
from .walk import backward  # noqa: F401
from .differentiate import grad  # noqa: F401
from ..anomaly import detect_anomaly  # noqa: F401

# Tensor and Op refer to each other: tensor.py imports the ops, which subclass Op, so it loads once
# Op exists, and these modules use it at call time.
from ..tensor import Tensor  # noqa: E402

op.Tensor = hooks.Tensor = walk.Tensor = differentiate.Tensor = adjoint.Tensor = functional.Tensor = Tensor
del Tensor

from ..gradcheck import gradcheck, gradgradcheck  # noqa: E402,F401
from .adjoint import constant, linear_backward_graph  # noqa: E402,F401
