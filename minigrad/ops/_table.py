"""The one table that binds ops to names: ``Tensor.<name>`` and ``mg.<name>``.

A lowercase function in ``ops/<topic>.py`` that torch also offers as a Tensor method is decorated
with ``@tensor_method``; one that torch offers only at module level (``torch.cat``) with
``@torch_function``. tensor.py binds ``TENSOR_METHODS`` onto Tensor and minigrad/__init__.py binds
``TORCH_FUNCTIONS`` into ``mg``; nothing else lists these names. ``F.<name>`` (minigrad.functional)
re-exports each topic module's ``__all__``.

Example (ops/math.py)::

    @tensor_method
    def exp(input):
        \"\"\"e ** input, elementwise.\"\"\"
        return Exp.apply(input)
    # now x.exp() and mg.exp(x)
"""
TENSOR_METHODS = {}  # name -> function(tensor, ...): Tensor.<name>
TORCH_FUNCTIONS = {}  # name -> function(...): mg.<name>


def tensor_method(fn=None, *, aliases=(), function=True):
    """Bind ``fn`` as ``Tensor.<name>`` for its name and each alias, and (unless ``function=False``,
    as for in-place methods such as ``add_``) as ``mg.<name>`` too."""
    def bind(fn):
        for name in (fn.__name__, *aliases):
            _add(TENSOR_METHODS, name, fn)
            if function:
                _add(TORCH_FUNCTIONS, name, fn)
        return fn

    return bind if fn is None else bind(fn)


def torch_function(fn=None, *, aliases=()):
    """Bind ``fn`` as ``mg.<name>`` only (``mg.cat``, ``mg.stack``: no Tensor method in torch)."""
    def bind(fn):
        for name in (fn.__name__, *aliases):
            _add(TORCH_FUNCTIONS, name, fn)
        return fn

    return bind if fn is None else bind(fn)


def _add(table, name, fn):
    if name in table and table[name] is not fn:  # two topics claiming one name is a bug, not an override
        raise RuntimeError(f"{name} is bound twice: {table[name].__module__} and {fn.__module__}")
    table[name] = fn
