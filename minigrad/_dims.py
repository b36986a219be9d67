"""Checking dims the way torch does: ints in [-ndim, ndim), IndexError when out of range."""
import numbers


def dim_index(dim, ndim):
    """``dim`` as an index in [0, ndim). A 0-d tensor accepts 0 and -1, as torch's reductions do.

    Example: ``dim_index(-1, 3)`` -> 2
    """
    if type(dim) is not int and (isinstance(dim, bool) or not isinstance(dim, numbers.Integral)):
        raise TypeError(f"dim must be an int, got {type(dim).__name__}")
    bound = max(ndim, 1)
    if not -bound <= dim < bound:
        raise IndexError(f"dim {dim} is out of range for a tensor with {ndim} dimensions "
                         f"(expected a dim in [{-bound}, {bound - 1}])")
    return int(dim) % bound


def dim_tuple(dim, ndim):
    """The sorted dims that ``dim`` names: all of them for None (or an empty tuple), else an int or a
    tuple/list of ints, each once. Example: ``dim_tuple((-1, 0), 3)`` -> (0, 2)"""
    if type(dim) is int and -ndim <= dim < ndim:  # the common case, kept short
        return (dim % ndim,)
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return tuple(range(ndim))
    dims = [dim_index(d, ndim) for d in (dim if isinstance(dim, (tuple, list)) else (dim,))]
    if len(set(dims)) != len(dims):
        raise ValueError(f"dim {tuple(dim)} names a dimension more than once")
    return tuple(sorted(d for d in dims if d < ndim))
