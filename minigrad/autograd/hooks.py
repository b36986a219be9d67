"""Tensor hooks: gradient hooks (``register_hook``, ``retain_grad``), post-accumulate hooks, handles.

A leaf keeps its gradient hooks itself (``_grad_hooks``); a computed tensor's live on the node that
made it (``node._output_hooks[index]``), where the walk holds its gradient. Until the first hook is
registered, the walk pays one flag check per node for them.
"""
import weakref

from .. import backend

Tensor = None  # set by autograd/__init__.py once tensor.py has loaded
# True once any tensor has a gradient hook (register_hook, retain_grad).
grad_hooks_in_use = False
# True once any tensor has a post-accumulate-grad hook (register_post_accumulate_grad_hook).
leaf_hooks_in_use = False


class HookHandle:
    """Returned by register_hook and register_post_accumulate_grad_hook: ``remove()`` unregisters
    the hook."""

    def __init__(self, hooks, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self):
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


class RetainGrad:
    """The gradient hook of retain_grad: adds the gradient into the tensor's ``.grad`` (held weakly:
    the node that keeps the hook must not keep the tensor alive)."""

    def __init__(self, tensor):
        self._tensor = weakref.ref(tensor)

    def __call__(self, grad):
        t = self._tensor()
        if t is None:
            return
        if grad.requires_grad:  # a gradient in the graph (create_graph): kept as it is, added out of place
            t._grad = grad if t._grad is None else t._grad + grad
        else:
            total = grad._data.copy() if t._grad is None else walk.add_arrays(t._grad._data, grad._data)
            t._grad = Tensor._wrap(total, False)


def gradient_hooks(tensor, create=True):
    """``tensor``'s gradient hooks (a list the caller may extend when ``create``)."""
    global grad_hooks_in_use
    if tensor._creator is None:
        hooks = getattr(tensor, "_grad_hooks", None)
        if hooks is None and create:
            hooks = tensor._grad_hooks = []
    else:
        node_hooks = getattr(tensor._creator, "_output_hooks", None)
        if node_hooks is None and create:
            node_hooks = tensor._creator._output_hooks = {}
        hooks = None if node_hooks is None else node_hooks.get(tensor._index)
        if hooks is None and create:
            hooks = node_hooks[tensor._index] = []
    if create:
        grad_hooks_in_use = True
    return hooks if hooks is not None else []


def register_hook(tensor, hook):
    """Tensor.register_hook: add ``hook`` before retain_grad's, which stays last so that ``.grad``
    holds what the other hooks made (as torch)."""
    if not tensor._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if not callable(hook):
        raise TypeError(f"hook must be callable, got {type(hook).__name__}")
    hooks = gradient_hooks(tensor)
    hooks.insert(len(hooks) - (bool(hooks) and isinstance(hooks[-1], RetainGrad)), hook)
    return HookHandle(hooks, hook)


def retain_grad(tensor):
    """Tensor.retain_grad: a no-op on a leaf, which keeps its gradient anyway."""
    if not tensor._requires_grad:
        raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    if tensor._creator is None:
        return
    hooks = gradient_hooks(tensor)
    if not any(isinstance(hook, RetainGrad) for hook in hooks):
        hooks.append(RetainGrad(tensor))


def retains_grad(tensor):
    return tensor._creator is not None and any(isinstance(hook, RetainGrad) for hook in gradient_hooks(tensor, False))


def register_post_accumulate_grad_hook(tensor, hook):
    """Tensor.register_post_accumulate_grad_hook: ``hook(tensor)`` after each accumulation."""
    global leaf_hooks_in_use
    if not tensor.requires_grad or tensor._creator is not None:
        raise RuntimeError("register_post_accumulate_grad_hook needs a leaf tensor that requires grad")
    if not callable(hook):
        raise TypeError(f"hook must be callable, got {type(hook).__name__}")
    hooks = getattr(tensor, "_post_accumulate_grad_hooks", None)
    if hooks is None:
        hooks = tensor._post_accumulate_grad_hooks = []
    hooks.append(hook)
    leaf_hooks_in_use = True
    return HookHandle(hooks, hook)


def run_grad_hooks(hooks, grad):
    """``grad`` passed through each hook (``hook(grad) -> Tensor or None``) in registration order:
    an array, or under create_graph a Tensor in the graph (which the hooks get as it is)."""
    in_graph = isinstance(grad, Tensor)
    for hook in list(hooks):
        result = hook(grad if in_graph else Tensor._wrap(grad, False))
        if result is None:
            continue
        if not isinstance(result, Tensor) or result.shape != grad.shape:
            got = f"shape {result.shape}" if isinstance(result, Tensor) else type(result).__name__
            raise RuntimeError(f"a gradient hook must return None or a Tensor of the gradient's shape "
                               f"{grad.shape}, got {got}")
        device = grad.device if in_graph else backend.device_of(grad)
        if result.dtype != grad.dtype or result.device != device:  # as torch: no silent cast or move
            raise RuntimeError(f"hook {getattr(hook, '__name__', hook)!r} has changed the type of value (was "
                               f"{grad.dtype} on {device}, got {result.dtype} on {result.device})")
        grad = result if in_graph else result._data
    return grad


def run_output_hooks(op, grads):
    """Replace the gradients of ``op``'s outputs in ``grads`` by what their tensors' hooks return."""
    for index, hooks in op._output_hooks.items():
        g = grads.get((op, index))
        if g is not None:  # an output that no gradient reached: its hooks do not run, as torch's
            grads[(op, index)] = run_grad_hooks(hooks, g)


from . import walk  # noqa: E402  (the walk runs these hooks; RetainGrad adds with its helper)
