"""The oracle's machinery, the same for both sides: run one call on minigrad and on torch with the
same inputs and upstream gradient, and list where the two results differ.

A ``Side`` is one library (``MG`` or ``TORCH``): ``side.lib`` is ``mg`` or ``torch``, with ``F``,
``nn`` and ``optim``. ``run(side, fn, sample, dtype)`` -> ``Result`` (outputs, their dtypes, the
gradients of the inputs, or the error raised); ``differences(mine, torch_result, dtype)`` -> a list
of ``Difference(aspect, text)``, aspect one of ASPECTS. The self-check (tests/oracle/test_self_check.py)
runs torch on both sides and must find nothing.
"""
import re
import types
from dataclasses import dataclass, field

import numpy as np
import torch

import minigrad as mg
import minigrad.functional as F
import minigrad.nn as mnn
import minigrad.optim as moptim
from op_db import Const

ASPECTS = ("missing-error", "spurious-error", "outputs", "shape", "dtype", "value", "grad")
# float64 agrees to rounding of a differently ordered sum; float32 as the op table's default
TOLERANCE = {"float64": (1e-7, 1e-10), "float32": (1e-4, 1e-5)}


@dataclass(frozen=True)
class Side:
    name: str
    lib: types.ModuleType
    F: types.ModuleType
    nn: types.ModuleType
    optim: types.ModuleType
    keeps_strides: bool = False   # tensors made from a NumPy view keep its strides (minigrad's as_tensor)

    @property
    def is_torch(self):
        return self.lib is torch

    def tensor(self, array, dtype=None, requires_grad=False):
        """A leaf of ``array``'s values (and strides, on minigrad) as ``dtype``."""
        array = np.asarray(array) if dtype is None else np.asarray(array).astype(dtype)
        if self.is_torch:
            t = torch.from_numpy(array.copy() if array.flags.owndata or not self.keeps_strides else array)
        else:
            t = mg.as_tensor(array.copy() if array.flags.owndata else array)
        return t.requires_grad_(True) if requires_grad else t

    def is_tensor(self, obj):
        return isinstance(obj, torch.Tensor if self.is_torch else mg.Tensor)

    def numpy(self, t):
        return t.detach().cpu().numpy() if self.is_torch else np.array(t.detach().numpy())


MG = Side("minigrad", mg, F, mnn, moptim, keeps_strides=True)
TORCH = Side("torch", torch, torch.nn.functional, torch.nn, torch.optim)
# torch on the strided views minigrad gets: at NaN/Inf a few of torch's kernels answer differently on
# their vectorised (contiguous) and scalar paths, so either answer is torch's
TORCH_STRIDED = Side("torch (strided)", torch, torch.nn.functional, torch.nn, torch.optim, keeps_strides=True)


def dtype_name(dtype):
    """'float32' for torch.float32, mg.float32, np.float32 or 'float32'."""
    return str(dtype).split(".")[-1].replace("<class '", "").replace("'>", "")


@dataclass
class Result:
    values: list = field(default_factory=list)
    dtypes: list = field(default_factory=list)
    grads: list = field(default_factory=list)
    error: str = None          # "<stage>: <ExceptionType>: message"


def outputs(result):
    """The leaves of a nested result: tensors, numbers, strings (a shape's sizes one by one)."""
    if isinstance(result, (tuple, list)):
        return [leaf for item in result for leaf in outputs(item)]
    return [result]


def upstream(shape, dtype):
    """The gradient fed into every float output: the same fixed pattern on both sides."""
    n = int(np.prod(shape))
    return (np.cos(np.arange(n) * 1.3) + 0.25).reshape(shape).astype(dtype)


def sample_args(side, sample, dtype, view=None):
    """The sample's positional args on ``side``: a float ndarray -> a leaf of ``dtype`` that requires
    grad (through ``view`` where the side keeps strides: the same values, other strides), ``Const`` -> a float tensor,
    an int or bool ndarray -> a tensor; anything else as it is. Returns (args, leaves)."""
    args, leaves = [], []
    for a in sample.args:
        if isinstance(a, Const) or (isinstance(a, np.ndarray) and a.dtype.kind == "f"):
            values = (a.array if isinstance(a, Const) else a).astype(dtype)
            if view is not None and side.keeps_strides:
                values = view(values)
            t = side.tensor(values, requires_grad=not isinstance(a, Const))
            if not isinstance(a, Const):
                leaves.append(t)
            args.append(t)
        elif isinstance(a, np.ndarray):
            args.append(side.tensor(a))
        else:
            args.append(a)
    return args, leaves


def run(side, call, leaves=()):
    """``call()`` on ``side``, then backward from every float output that requires grad, with
    ``upstream`` as its gradient; the gradients of ``leaves`` (None where none arrived)."""
    result = Result()
    try:
        outs = outputs(call())
    except Exception as error:  # torch raises RuntimeError where minigrad raises ValueError: both count
        result.error = f"forward: {type(error).__name__}: {error}"
        return result
    for o in outs:
        if side.is_tensor(o):
            result.values.append(side.numpy(o))
            result.dtypes.append(dtype_name(o.dtype))
        elif isinstance(o, (torch.dtype, np.dtype)):
            result.values.append(dtype_name(o))
            result.dtypes.append("dtype")
        else:
            result.values.append(o)
            result.dtypes.append(type(o).__name__)
    graded = [o for o in outs if side.is_tensor(o) and o.requires_grad and o.numel()]
    if leaves and graded:
        try:
            loss = None
            for o in graded:
                term = (o * side.tensor(upstream(tuple(o.shape), dtype_name(o.dtype)))).sum()
                loss = term if loss is None else loss + term
            loss.backward()
        except Exception as error:
            result.error = f"backward: {type(error).__name__}: {error}"
            return result
    result.grads = [None if leaf.grad is None else side.numpy(leaf.grad) for leaf in leaves]
    return result


@dataclass(frozen=True)
class Difference:
    aspect: str
    text: str

    def __str__(self):
        return f"[{self.aspect}] {self.text}"


def _short(value):
    text = np.array2string(np.asarray(value), threshold=12, precision=6) if isinstance(value, np.ndarray) else repr(value)
    return text if len(text) < 300 else text[:300] + "..."


def _mismatch(got, want, rtol, atol):
    """None when ``got`` matches ``want`` (NaN where NaN, infinities exactly), else a short account."""
    got, want = np.asarray(got), np.asarray(want)
    if want.dtype.kind in "fc" or got.dtype.kind in "fc":
        g, w = got.astype(np.float64), want.astype(np.float64)
        same = np.isclose(g, w, rtol=rtol, atol=atol, equal_nan=True) | (g == w)
    else:
        same = got == want
    if np.all(same):
        return None
    bad = np.argwhere(~np.broadcast_to(same, want.shape)) if want.ndim else [()]
    where = tuple(bad[0]) if len(bad) and want.ndim else ()
    return (f"{len(bad)} of {want.size} differ; first at {where}: minigrad {_short(got[where])}, "
            f"torch {_short(want[where])}")


def differences_from_either(mine, references, dtype="float64", rtol=None, atol=None):
    """The differences of ``mine`` from each torch Result in ``references`` that all of them show."""
    found = differences(mine, references[0], dtype, rtol, atol)
    for other in references[1:]:
        aspects = {d.aspect for d in differences(mine, other, dtype, rtol, atol)} if found else set()
        found = [d for d in found if d.aspect in aspects]
    return found


def differences(mine, theirs, dtype="float64", rtol=None, atol=None):
    """Where minigrad's Result ``mine`` differs from torch's ``theirs``."""
    default_rtol, default_atol = TOLERANCE.get(dtype, TOLERANCE["float64"])
    rtol, atol = rtol or default_rtol, atol or default_atol
    if theirs.error or mine.error:
        if theirs.error and not mine.error:
            return [Difference("missing-error", f"torch raises ({theirs.error[:200]}); minigrad does not")]
        if mine.error and not theirs.error:
            return [Difference("spurious-error", f"minigrad raises ({mine.error[:200]}); torch does not")]
        return []
    if len(mine.values) != len(theirs.values):
        return [Difference("outputs", f"{len(mine.values)} outputs, torch {len(theirs.values)}")]
    found = []
    for i, (got, want, got_dtype, want_dtype) in enumerate(zip(mine.values, theirs.values, mine.dtypes, theirs.dtypes)):
        if got_dtype != want_dtype:
            found.append(Difference("dtype", f"output {i}: {got_dtype}, torch {want_dtype}"))
        if np.shape(got) != np.shape(want):
            found.append(Difference("shape", f"output {i}: {np.shape(got)}, torch {np.shape(want)}"))
            continue
        if isinstance(want, np.ndarray) or isinstance(got, np.ndarray):
            # a float32 result is held to float32's relative tolerance whatever the inputs were
            loose = want_dtype == "float32" and dtype != "float32"
            text = _mismatch(got, want, max(rtol, TOLERANCE["float32"][0]) if loose else rtol, atol)
        else:
            text = None if (got == want or (got != got and want != want)) else f"{got!r}, torch {want!r}"
        if text:
            found.append(Difference("value", f"output {i}: {text}"))
    for i, (got, want) in enumerate(zip(mine.grads, theirs.grads)):
        if got is None and want is None:
            continue
        if got is None or want is None:  # None is no gradient at all: the same as zeros unless one has values
            got = np.zeros_like(want) if got is None else got
            want = np.zeros_like(got) if want is None else want
            if (got != 0).any() or (want != 0).any():
                found.append(Difference("grad", f"input {i}: minigrad {'None' if mine.grads[i] is None else 'a gradient'},"
                                                f" torch {'None' if theirs.grads[i] is None else 'a gradient'}"))
                continue
        if np.shape(got) != np.shape(want):
            found.append(Difference("grad", f"input {i}: gradient shape {np.shape(got)}, torch {np.shape(want)}"))
            continue
        text = _mismatch(got, want, rtol, atol)
        if text:
            found.append(Difference("grad", f"input {i}: {text}"))
    return found


# ---- known differences ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Known:
    """A difference the oracle knows: test ids matching ``where`` (``*`` a wildcard, e.g.
    "sigmoid-float32-*") may differ in ``aspects``. A reason starting "issue 19:" (a bug being fixed)
    or "oracle finding:" (a bug found here) is a strict xfail: once fixed the test XPASSes and the
    entry must go. Any other reason is an expected_difference: minigrad deliberately differs, the
    aspect is not compared there."""
    where: str
    aspects: tuple
    reason: str

    @property
    def is_bug(self):
        return self.reason.startswith(("issue 19:", "oracle finding:"))

    def matches(self, test_id):
        """``*`` is the only wildcard: test ids hold brackets."""
        return re.fullmatch(".*".join(map(re.escape, self.where.split("*"))), test_id) is not None


def expected_difference(where, aspects, reason):
    return Known(where, tuple(aspects.split()), reason)


def bug(where, aspects, reason):
    return Known(where, tuple(aspects.split()), reason)


def judge(test_id, found, known, request, fail):
    """Fail on differences that no Known entry explains; mark the test a strict xfail when a bug entry
    matches it (so a fixed bug shows as XPASS); tolerate expected differences."""
    entries = [k for k in known if k.matches(test_id)]
    unexplained = [d for d in found if not any(d.aspect in k.aspects for k in entries)]
    if unexplained:
        fail(f"{test_id}: minigrad differs from torch:\n  " + "\n  ".join(map(str, unexplained)))
    bugs = [k for k in entries if k.is_bug]
    if bugs:
        import pytest

        request.applymarker(pytest.mark.xfail(strict=True, reason="; ".join(sorted({k.reason for k in bugs}))))
        buggy = [d for d in found if any(d.aspect in k.aspects for k in bugs)]
        assert not buggy, "\n".join(map(str, buggy))


# ---- the torch twin of an op-table call ---------------------------------------------------------------
def _public_callables():
    """id(obj) -> torch's object of the same public name, for minigrad's mg.X and F.X."""
    table = {}
    for module, twin_module in ((F, torch.nn.functional), (mg, torch)):
        for name in dir(module):
            obj = getattr(module, name)
            if callable(obj) and not isinstance(obj, type) and hasattr(twin_module, name):
                table.setdefault(id(obj), getattr(twin_module, name))
    return table


_TWINS = None


def twin(fn):
    """The same call on torch: a public mg/F function becomes torch's function of that name; a function
    written against mg and F (an op-table lambda) is rebuilt with torch in their place (its closure's
    functions twinned too)."""
    global _TWINS
    if _TWINS is None:
        _TWINS = _public_callables()
    if id(fn) in _TWINS:
        return _TWINS[id(fn)]
    if not isinstance(fn, types.FunctionType):
        raise TypeError(f"no torch twin for {fn!r}")
    names = dict(fn.__globals__, mg=torch, F=torch.nn.functional)
    closure = None
    if fn.__closure__:
        closure = tuple(types.CellType(twin(c.cell_contents) if _is_call(c.cell_contents) else c.cell_contents)
                        for c in fn.__closure__)
    return types.FunctionType(fn.__code__, names, fn.__name__, fn.__defaults__, closure)


def _is_call(obj):
    return isinstance(obj, types.FunctionType) or (callable(obj) and id(obj) in (_TWINS or {}))


def source_names(text):
    """The public minigrad names that a case's source text calls: mg.X, F.X, nn.X, optim.X, .X."""
    found = set()
    for prefix, name in re.findall(r"\b(mg|F|nn|optim|lr_scheduler|init|utils)\.(\w+)", text):
        found.add(f"{prefix}.{name}")
    found |= {f"Tensor.{name}" for name in re.findall(r"\.(\w+)\b", text)}
    return found
