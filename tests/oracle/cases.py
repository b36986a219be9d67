"""Calls written once for both libraries: the README's names that the op table does not drive
(creation, conversion, operators and dtype promotion, indexing, comparisons, in-place ops, grad modes,
hooks, functional options) and the edge classes of issue 19.

A case is ``fn(m)``: ``m.X`` is ``mg.X`` or ``torch.X``, ``m.F`` and ``m.nn`` the functional and nn
modules, ``m.t(values, dtype=None)`` a tensor, ``m.leaf(values, dtype="float64")`` one that requires
grad and whose gradient is compared. It returns a tensor, a number or a tuple of them.
"""
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from oracle.harness import run

A24 = np.arange(24.0).reshape(2, 3, 4)
MIXED = np.array([[1.5, -2.0, np.nan], [0.0, np.inf, -0.5]])
SPECIAL = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.5, 2.0])
MASK = np.array([True, False, True])


class Lib:
    """One side seen through the names both libraries share."""

    def __init__(self, side):
        self.side, self.F, self.nn, self.optim = side, side.F, side.nn, side.optim
        self.leaves = []

    def __getattr__(self, name):
        return getattr(self.side.lib, name)

    def t(self, values, dtype=None):
        return self.side.tensor(np.asarray(values), dtype)

    def leaf(self, values, dtype="float64"):
        t = self.side.tensor(np.asarray(values, dtype=np.float64), dtype, requires_grad=True)
        self.leaves.append(t)
        return t


@dataclass
class Case:
    name: str
    fn: Callable
    covers: tuple = ()       # README names the case exercises beyond those its source text shows


def run_case(side, case):
    m = Lib(side)
    return run(side, lambda: case.fn(m), m.leaves)


def C(name, fn, covers=""):
    return Case(name, fn, tuple(covers.split()))


def each(name, template, params, covers=""):
    """One case per parameter: ``template(m, p)``."""
    return [Case(f"{name}[{i if callable(p) else p}]", (lambda p: lambda m: template(m, p))(p), tuple(covers.split()))
            for i, p in enumerate(params)]


# ---- creation ------------------------------------------------------------------------------------------
def _shape_dtype(t):
    return tuple(t.shape), str(t.dtype).split(".")[-1]


CREATION = [
    *each("tensor", lambda m, d: m.tensor(d), [[1, 2], [1.0, 2.0], True, [[True, False]], 3, 2.5, [],
                                               np.arange(3.0), np.arange(3, dtype=np.int32), [[1, 2.5]]]),
    C("tensor-dtype", lambda m: m.tensor([[1, 2], [3, 4]], dtype=m.float64)),
    C("tensor-requires_grad", lambda m: m.tensor([1.0], requires_grad=True).requires_grad),
    C("Tensor", lambda m: m.Tensor([1, 2])),
    C("zeros", lambda m: (m.zeros(2, 3), m.zeros((2, 3)), m.zeros(2, dtype=m.int64), m.zeros([]))),
    C("ones", lambda m: (m.ones(2, 3), m.ones((0, 2)), m.ones(2, dtype=m.bool))),
    C("empty", lambda m: (_shape_dtype(m.empty(2, 3)), _shape_dtype(m.empty((4,), dtype=m.int32)))),
    *each("full", lambda m, v: m.full((2, 3), v), [1.5, 7, True, -0.0]),
    C("full-float64", lambda m: m.full((3,), 0.1, dtype=m.float64)),
    C("full-overflow", lambda m: m.full((2,), 1e300, dtype=m.float32)),
    C("randn", lambda m: (_shape_dtype(m.randn(2, 3)), _shape_dtype(m.rand((4,), dtype=m.float64)))),
    C("randint", lambda m: (_shape_dtype(m.randint(0, 5, (3, 2))), bool(((m.randint(2, 5, (50,)) >= 2)
                                                                        & (m.randint(2, 5, (50,)) < 5)).all()))),
    C("randperm", lambda m: (m.sort(m.randperm(6))[0], _shape_dtype(m.randperm(3)))),
    *each("arange", lambda m, a: m.arange(*a), [(5,), (1, 4), (0, 1, 0.25), (5.0,), (-1, -7, -2), (0, 0.3, 0.1)]),
    *each("arange-int64", lambda m, a: m.arange(*a, dtype=m.int64), [(0, 2.5), (9.84,), (0.5, 4)]),
    C("arange-float64", lambda m: m.arange(0, 1, 0.1, dtype=m.float64)),
    C("arange-wrong-sign", lambda m: m.arange(0, 5, -1)),
    *each("linspace", lambda m, a: m.linspace(*a), [(0, 1, 5), (0, 1, 1), (-1, 1, 4), (3, 3, 2), (0, 10, 0)]),
    C("linspace-float64", lambda m: m.linspace(0, 1, 7, dtype=m.float64)),
    C("eye", lambda m: (m.eye(3), m.eye(2, 4), m.eye(3, dtype=m.int64), m.eye(0))),
    C("like", lambda m: [f(m.t(np.arange(6.0).reshape(2, 3))) for f in (m.zeros_like, m.ones_like)]
      + [m.full_like(m.t([1, 2]), 2.7), m.zeros_like(m.t([1.0, 2.0]), dtype=m.int64),
         _shape_dtype(m.empty_like(m.t([[1, 2]]))), _shape_dtype(m.randn_like(m.t([1.0, 2.0], "float64"))),
         _shape_dtype(m.rand_like(m.t(np.zeros((2, 1)))))], "mg.zeros_like mg.ones_like"),
    C("new", lambda m: (lambda t: [t.new_zeros(2, 3), t.new_ones((2,)), _shape_dtype(t.new_empty(3)),
                                   t.new_full((2,), 0.1), t.new_tensor([1, 2]), t.new_zeros(2, dtype=m.int64)])(
        m.t([1.0], "float64"))),
    C("new_full-overflow", lambda m: m.t([1.0], "float32").new_full((2,), 1e300)),
    C("from_numpy", lambda m: (lambda a: (m.from_numpy(a), m.as_tensor(a), m.as_tensor([1, 2]),
                                          m.as_tensor(a, dtype=m.float32)))(np.arange(3.0))),
    C("from_numpy-shares", lambda m: (lambda a: (m.from_numpy(a).add_(1), a[0]))(np.zeros(2))[1]),
    C("is_tensor", lambda m: (m.is_tensor(m.t([1])), m.is_tensor([1]), m.is_tensor(np.zeros(1)))),
    C("device", lambda m: (str(m.device("cpu")), str(m.t([1]).device))),
    C("dtypes", lambda m: [str(d).split(".")[-1] for d in (m.float32, m.float64, m.int64, m.long, m.int32,
                                                           m.int, m.bool)]),
]

# ---- tensor info and conversion ----------------------------------------------------------------------
CONVERSION = [
    C("tolist", lambda m: (m.t(MIXED).tolist(), m.t([[1, 2]]).tolist(), m.t(np.array(2.5)).tolist(),
                           m.t([True]).tolist())),
    C("item", lambda m: (m.t([2.5]).item(), m.t(3).item(), m.t(np.array([[True]])).item())),
    C("item-many", lambda m: m.t([1.0, 2.0]).item()),
    C("numpy-requires-grad", lambda m: m.leaf([1.0]).numpy()),
    C("asarray", lambda m: np.asarray(m.t(MIXED))),
    C("info", lambda m: (lambda t: (tuple(t.shape), tuple(t.size()), t.size(1), t.size(-1), t.dim(), t.ndim,
                                    t.numel(), len(t), [r.tolist() for r in t]))(m.t(A24))),
    C("size-bad-dim", lambda m: m.t(A24).size(3)),
    C("len-0d", lambda m: len(m.t(np.array(1.0)))),
    C("flags", lambda m: (lambda x: (lambda y: (x.requires_grad, x.is_leaf, y.requires_grad, y.is_leaf,
                                                y.grad_fn is None, x.grad_fn is None, y.detach().requires_grad,
                                                y.retains_grad))(x * 2))(m.leaf([1.0]))),
    *each("cast", lambda m, c: getattr(m.t(np.array([-1.7, 0.0, 2.5, -0.0, 300.0])), c)(),
          ["float", "double", "long", "int", "bool"], "Tensor.float Tensor.double Tensor.long Tensor.int Tensor.bool"),
    C("cast-bool-nan", lambda m: m.t(SPECIAL).bool()),
    *each("cast-int", lambda m, c: getattr(m.t([0, 3, -2]), c)(), ["float", "double", "bool", "int"]),
    C("cast-grad", lambda m: (m.leaf([1.5, -2.0], "float32").double() * 3, m.leaf([1.0, 2.0]).float() ** 2)),
    C("to", lambda m: (lambda t: (t.to(m.float64), t.to("cpu"), t.to("cpu", m.float32), t.to(m.t([1], "int32")),
                                  t.type(m.int64), t.type_as(m.t([1.0], "float64")), t.cpu(), t.contiguous()))(
        m.t([[1.5, 2.5]], "float32"))),
    C("to-grad", lambda m: m.leaf([1.5, 2.5], "float32").to(m.float64) * m.t([1.0, 3.0], "float64")),
    C("clone-detach", lambda m: (lambda x: (x.clone() * 2, x.detach() * 3))(m.leaf([1.0, -2.0]))),
    C("data", lambda m: (lambda x: (x.data * 2, x.data.requires_grad))(m.leaf([1.0, 2.0]))),
    C("data-assign", lambda m: (lambda x: (setattr(x, "data", m.t([5.0, 6.0], "float64")), x * 1)[1])(
        m.leaf([1.0, 2.0]))),
    C("backward-gradient", lambda m: (lambda x: ((x * x).backward(m.t([1.0, -2.0], "float64")), x.grad)[1])(
        m.leaf([3.0, 4.0]))),
    C("backward-retain", lambda m: (lambda x: (lambda y: (y.backward(retain_graph=True), y.backward(),
                                                          x.grad)[2])((x * x).sum()))(m.leaf([3.0, 4.0]))),
    C("backward-twice", lambda m: (lambda x: (lambda y: (y.backward(), y.backward()))((x.exp()).sum()))(
        m.leaf([3.0]))),
    C("backward-nonscalar", lambda m: (m.leaf([1.0, 2.0]) * 2).backward()),
    C("grad-accumulates", lambda m: (lambda x: ((x * 2).sum().backward(), (x * 3).sum().backward(), x.grad)[2])(
        m.leaf([1.0]))),
    # higher-order gradients (issue 26): the derivatives of tests/higher_order_cases.py are compared in
    # tests/oracle/test_higher_order.py; these cover the API's options
    C("autograd-grad-second-order", lambda m: (lambda x: m.autograd.grad(
        m.autograd.grad((x ** 3).sum(), x, create_graph=True)[0].sum(), x))(m.leaf([1.0, -2.0])), "mg.autograd.grad"),
    C("backward-create-graph", lambda m: (lambda x: ((x.sin() * x).sum().backward(create_graph=True),
                                                     x.grad.detach())[1])(m.leaf([0.5, 1.5]))),
    C("backward-inputs", lambda m: (lambda x, w: ((x * w).sum().backward(inputs=[w]), x.grad is None, w.grad)[1:])(
        m.leaf([0.5, 1.5]), m.leaf([2.0, 3.0]))),
    C("autograd-grad-unused", lambda m: (lambda x, unused: m.autograd.grad(
        (x * 2).sum(), [x, unused], materialize_grads=True))(m.leaf([1.0]), m.leaf([2.0, 3.0]))),
    C("gradgradcheck", lambda m: m.autograd.gradgradcheck(lambda t: (t.tanh() ** 3).sum(), [m.leaf([0.3, -0.7])]),
      "mg.autograd.gradgradcheck"),
    C("functional-hessian", lambda m: m.autograd.functional.hessian(lambda t: (t ** 3).sum() * t.prod(),
                                                                    m.t([0.5, -1.5], "float64")),
      "mg.autograd.functional"),
    C("functional-jacobian-jvp-vjp", lambda m: (lambda f, x, v: (
        m.autograd.functional.jacobian(f, x), m.autograd.functional.jvp(f, x, v)[1],
        m.autograd.functional.vjp(f, x, v)[1]))(lambda t: t.exp() * t.flip(0), m.t([0.5, -1.5], "float64"),
                                                m.t([1.0, 2.0], "float64"))),
    C("functional-hvp-vhp", lambda m: (lambda f, x, v: (m.autograd.functional.hvp(f, x, v)[1],
                                                        m.autograd.functional.vhp(f, x, v)[1]))(
        lambda t: t.tanh().prod(), m.t([0.5, -1.5], "float64"), m.t([1.0, 2.0], "float64"))),
]

# ---- operators and dtype promotion ----------------------------------------------------------------------
DTYPE_VALUES = {"bool": [True, False, True], "int32": [4, -3, 7], "int64": [5, 2, -6], "float32": [1.5, -2.0, 3.25],
                "float64": [0.5, 4.0, -1.25]}
# named, not spelled: a test id's "*" would read as a wildcard in known.py
OPERATORS = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
             "truediv": lambda a, b: a / b, "floordiv": lambda a, b: a // b, "mod": lambda a, b: a % b,
             "pow": lambda a, b: a ** b, "and": lambda a, b: a & b, "or": lambda a, b: a | b,
             "xor": lambda a, b: a ^ b, "lt": lambda a, b: a < b, "eq": lambda a, b: a == b}
BITWISE = ("and", "or", "xor")


def _operand(m, kind):
    return m.t(DTYPE_VALUES[kind], kind) if kind in DTYPE_VALUES else {"True": True, "3": 3, "2.5": 2.5}[kind]


PROMOTION = [C(f"op[{a}-{op}-{b}]", (lambda a, op, b: lambda m: OPERATORS[op](_operand(m, a), _operand(m, b)))(a, op, b),
               "Tensor.add Tensor.sub Tensor.mul Tensor.div")
             for op in OPERATORS for a in DTYPE_VALUES for b in [*DTYPE_VALUES, "True", "3", "2.5"]
             if not (op in BITWISE and ("float" in a or "float" in b or b == "2.5"))]
PROMOTION += [C(f"op[{a}-{op}-{b}]-reflected", (lambda a, op, b: lambda m: OPERATORS[op](_operand(m, b), _operand(m, a)))(
    a, op, b)) for op in ("add", "sub", "mul", "truediv", "pow") for a in DTYPE_VALUES for b in ("True", "3", "2.5")]

OPERATOR_CASES = [
    *each("neg", lambda m, k: -m.t(DTYPE_VALUES[k], k), list(DTYPE_VALUES), "Tensor.neg"),
    *each("invert", lambda m, k: ~m.t(DTYPE_VALUES[k], k), ["bool", "int32", "int64"]),
    *each("floordiv-mod", lambda m, k: (m.t([7, -7, 7, -7], k) // m.t([2, 2, -2, -2], k),
                                        m.t([7, -7, 7, -7], k) % m.t([2, 2, -2, -2], k)), ["int64", "float64", "float32"]),
    C("floordiv-mod-float-edges", lambda m: (m.t(SPECIAL) // m.t(SPECIAL[::-1].copy()),
                                             m.t(SPECIAL) % m.t(SPECIAL[::-1].copy()))),
    C("int-floordiv-zero", lambda m: m.t([3, 4]) // m.t([0, 1])),
    C("int-mod-zero", lambda m: m.t([3, 4]) % 0),
    C("int-pow-negative", lambda m: m.t([2, 3]) ** -1),
    C("int-pow-negative-tensor", lambda m: m.t([2, 1]) ** m.t([-1, -2])),
    C("bool-add-alpha", lambda m: m.t([True, False]).add(True, alpha=2)),
    C("bool-pow", lambda m: m.t([True, False]) ** True),
    C("arith-grad", lambda m: (lambda x, y: (x + 2, 2 - x, 3 / y, x ** 2, 2 ** x, -x, x @ y, x.add(y, alpha=2),
                                            x.sub(y, alpha=0.5), x.mul(y), x.div(y), x.neg(), x.matmul(y),
                                            1.5 * x, x - y, x * y, x / 2))(m.leaf([1.0, -2.0, 0.5]),
                                                                           m.leaf([2.0, 0.5, -3.0])),
      "Tensor.add Tensor.sub Tensor.mul Tensor.div Tensor.neg Tensor.matmul"),
    C("pow-special-grad", lambda m: (m.leaf([0.0, 2.0]) ** 0, m.leaf([0.0, 0.0]) ** m.leaf([-1.0, 2.0]),
                                     m.leaf([-2.0, 0.0]) ** m.leaf([0.5, 0.5]))),
    C("int-float-mixed", lambda m: (m.t([1, 2]) * 2.5, m.t([1, 2]) + m.t([0.5, 1.0], "float64"),
                                    m.t([1, 2]) / m.t([2, 4]), m.t([1, 2]) + 1, m.t([True, False]).sum(),
                                    m.t([1, 2], "int32") + m.t([1, 2]))),
    C("0d-float64-with-float32", lambda m: (m.t(np.array(2.0), "float64") * m.t([1.0], "float32"),
                                            m.t([1, 2]) * m.t(np.array(1.5), "float64"))),
]

# ---- indexing --------------------------------------------------------------------------------------
INDICES = {
    "int-slice-list": (0, slice(None), [1, 2]), "int-slice-mask": (0, slice(1, None), np.array([True, False, True, True])),
    "ellipsis-list": (Ellipsis, [0, 1]), "list-slice-list": ([0, 1], slice(None), [1, 2]), "int-list": (1, [0, 2]),
    "list-int": ([0, 1], 2), "None-int": (None, 1), "int-ellipsis-None": (1, Ellipsis, None), "neg": (-1,),
    "mask": (np.array([False, True]),), "mask-2d": (np.arange(6).reshape(2, 3) % 2 == 0,), "empty-list": ([],),
    "repeated": ([0, 0, 1],), "step": (slice(None, None, 2), slice(None, None, -1)), "int-tensor-0d": (np.array(1),),
    "two-lists-broadcast": ([[0], [1]], slice(None), [[0, 3]]), "bool-scalar": (True,), "slice-list-slice": (slice(None), [2, 0], slice(1, 3)),
}


def _index(m, key):
    return tuple(m.t(k) if isinstance(k, np.ndarray) else k for k in key)


INDEXING = [
    *each("getitem", lambda m, k: m.leaf(A24)[_index(m, INDICES[k])], list(INDICES), "Tensor.__getitem__"),
    *each("setitem", lambda m, k: (lambda y: (y.__setitem__(_index(m, INDICES[k]), -5.0), y)[1])(m.leaf(A24) * 1),
          list(INDICES)),
    C("setitem-tensor-value", lambda m: (lambda y, v: (y.__setitem__((0, slice(None), [1, 2]), v), y)[1])(
        m.leaf(A24) * 1, m.leaf(np.ones((3, 2))))),
    C("getitem-out-of-range", lambda m: m.t(A24)[2]),
    C("getitem-list-out-of-range", lambda m: m.t(A24)[:, [0, 3]]),
    C("getitem-int-index-tensor", lambda m: m.leaf(A24)[m.t(np.array([1, 0], np.int32))]),
]

# ---- ops without gradient ------------------------------------------------------------------------------
ZERO_D = {"isnan": lambda m, x: x.isnan(), "isinf": lambda m, x: x.isinf(), "isfinite": lambda m, x: x.isfinite(),
          "logical_not": lambda m, x: x.logical_not(), "isclose": lambda m, x: m.isclose(x, x),
          "invert": lambda m, x: ~(x > 0)}
NO_GRAD = [
    *each("compare", lambda m, op: getattr(m.t(MIXED), op)(m.t(MIXED[::-1].copy())), ["eq", "ne", "lt", "le", "gt", "ge"],
          "Tensor.eq Tensor.ne Tensor.lt Tensor.le Tensor.gt Tensor.ge"),
    *each("compare-0d", lambda m, op: (lambda y: (y, y.tolist(), y.sum(), y.float(), m.where(y, m.t(1.5), 0.0),
                                                  repr(y) == repr(y)))(OPERATORS[op](m.t(np.array(1.0)), 2)),
          ["lt", "eq"]),
    *each("0d-result", lambda m, k: (lambda y: (y, y.tolist(), y.sum(), y.float()))(
        ZERO_D[k](m, m.t(np.array(np.nan)))), list(ZERO_D), "Tensor.isnan Tensor.isinf Tensor.isfinite"),
    C("compare-scalar", lambda m: (m.t(MIXED) < 1, 0 >= m.t(MIXED), m.t([1, 2]) == 2.0, m.t([1, 2]) != m.t([1.0, 3.0]))),
    *each("argmax", lambda m, kw: (m.t(MIXED).argmax(**kw), m.t(MIXED).argmin(**kw)),
          [{}, {"dim": 1}, {"dim": 0, "keepdim": True}], "Tensor.argmax Tensor.argmin"),
    C("argmax-ties", lambda m: (m.t([1.0, 3.0, 3.0, 1.0]).argmax(), m.t([1.0, 3.0, 3.0, 1.0]).argmin(),
                                m.argmax(m.t([[2, 2], [1, 5]]), dim=1))),
    C("argmax-empty-dim", lambda m: m.zeros(5, 0).argmax(0)),
    C("max-dim-empty", lambda m: m.zeros(0, 3).max(dim=1)),
    C("argmax-0d", lambda m: (m.t(np.array(2.0)).argmax(), m.t(np.array(2.0)).argmax(0))),
    *each("argsort", lambda m, kw: m.t(MIXED).argsort(**kw), [{}, {"dim": 0}, {"descending": True}]),
    C("nonzero", lambda m: (m.t(MIXED).nonzero(), m.t(MIXED).nonzero(as_tuple=True), m.nonzero(m.t([0, 1, 0, 2])),
                            m.t(np.array(1.0)).nonzero())),
    *each("all-any", lambda m, kw: (m.t(MIXED).all(**kw), m.t(MIXED).any(**kw), m.t([[0, 2]]).all(**kw)),
          [{}, {"dim": 1}, {"dim": 0}], "Tensor.all Tensor.any"),
    C("isnan", lambda m: (m.t(SPECIAL).isnan(), m.t(SPECIAL).isinf(), m.t(SPECIAL).isfinite(), m.t([1, 2]).isnan())),
    *each("bitwise", lambda m, k: (lambda a, b: (~a, a & b, a | b, a ^ b))(m.t(DTYPE_VALUES[k], k), m.t(
        DTYPE_VALUES[k][::-1], k)), ["bool", "int64", "int32"]),
    *each("logical", lambda m, k: (lambda a, b: (a.logical_and(b), a.logical_or(b), a.logical_xor(b), a.logical_not()))(
        m.t(np.array([0, 1, 2, 0]).astype(k)), m.t(np.array([3, 0, 1, 0]).astype(k))), ["float64", "int64", "bool"],
        "Tensor.logical_and Tensor.logical_or Tensor.logical_xor Tensor.logical_not"),
    C("logical-nan", lambda m: m.t(SPECIAL).logical_not()),
    *each("count_nonzero", lambda m, kw: m.t(MIXED).count_nonzero(**kw), [{}, {"dim": 0}, {"dim": (0, 1)}]),
    C("isclose", lambda m: (m.isclose(m.t(SPECIAL), m.t(SPECIAL + 1e-9)), m.isclose(m.t(SPECIAL), m.t(SPECIAL),
                                                                                  equal_nan=True),
                            m.isclose(m.t([1.0, 2.0]), m.t([1.1, 2.0]), rtol=0.2, atol=0.0),
                            m.allclose(m.t([1.0, np.nan]), m.t([1.0, np.nan])),
                            m.allclose(m.t([1.0, np.nan]), m.t([1.0, np.nan]), equal_nan=True),
                            m.allclose(m.t([1.0]), m.t([1.01]), 0.1, 0.0))),
]


# ---- in place, grad modes, hooks ---------------------------------------------------------------------------
def _inplace(m, op):
    y = m.leaf([1.5, -2.0, 4.0]) * 1
    out = op(y, m)
    return out, y, y._version


def _step_in_no_grad(m):
    x = m.leaf([1.0])
    with m.no_grad():
        x.sub_(0.5)
    return x.detach() * 1, x.requires_grad, x.is_leaf


def _grad_mode(m, mode):
    x = m.leaf([1.0, 2.0])
    with {"no_grad": m.no_grad, "enable_grad": m.enable_grad, "inference_mode": m.inference_mode,
          "set_grad_enabled": lambda: m.set_grad_enabled(False)}[mode]():
        y = x * 2
        with m.enable_grad():
            z = x * 3
        enabled = m.is_grad_enabled()
    return y.requires_grad, z.requires_grad, enabled, m.is_grad_enabled(), z


def _hook(m, kind):
    x = m.leaf([1.0, -2.0])
    seen = []
    y = x * x
    if kind == "replace":
        y.register_hook(lambda g: g * 10)
    elif kind == "leaf":
        x.register_hook(lambda g: seen.append(g.tolist()))
    elif kind == "removed":
        y.register_hook(lambda g: g * 10).remove()
    elif kind == "retain":
        y.retain_grad()
    elif kind == "post-accumulate":
        x.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.tolist()))
    elif kind == "float64-for-float32":
        x = m.leaf([1.0, 2.0], "float32")
        y = x * 2
        y.register_hook(lambda g: g.double())
    (y * y).sum().backward()
    return x.grad, seen, (y.grad if kind == "retain" else None), y.retains_grad


INPLACE = [
    *each("inplace", _inplace, [
        lambda y, m: y.add_(m.t([1.0, 2.0, 3.0], "float64"), alpha=2), lambda y, m: y.sub_(2.0, alpha=0.5),
        lambda y, m: y.mul_(m.t(2.0, "float64")), lambda y, m: y.div_(4.0), lambda y, m: y.zero_(),
        lambda y, m: y.fill_(2.5), lambda y, m: y.clamp_(-1.0, 2.0), lambda y, m: y.copy_(m.t([7.0, 8.0, 9.0])),
        lambda y, m: y.__iadd__(1.0), lambda y, m: y.__isub__(m.t([1.0], "float64")), lambda y, m: y.__imul__(2),
        lambda y, m: y.__itruediv__(2), lambda y, m: y.clamp_(min=0.0)],
        "Tensor.add_ Tensor.sub_ Tensor.mul_ Tensor.div_ Tensor.zero_ Tensor.fill_ Tensor.clamp_ Tensor.copy_"),
    C("inplace-int-by-float", lambda m: (lambda t: t.__iadd__(1.5))(m.t([1, 2]))),
    C("inplace-int-truediv", lambda m: (lambda t: t.__itruediv__(2))(m.t([1, 2]))),
    C("inplace-leaf-requires-grad", lambda m: m.leaf([1.0]).add_(1.0)),
    C("inplace-leaf-no_grad", _step_in_no_grad),
    C("copy-float-grad-into-int", lambda m: (lambda t: (t.copy_(m.leaf([1.5, 2.5])), t.requires_grad, t)[1:])(
        m.t([0, 0]))),
    C("setitem-float-grad-into-int", lambda m: (lambda t: (t.__setitem__(0, m.leaf(1.5)), t.requires_grad, t)[1:])(
        m.t([0, 0]))),
    C("fill-overflow", lambda m: m.zeros(2).fill_(1e300)),
    C("version", lambda m: (lambda x: (x._version, x.add_(1)._version, x[0:1].mul_(2)._version, x._version))(
        m.zeros(3))),
    C("requires_grad_", lambda m: (lambda t: (t.requires_grad_(True).requires_grad, t.requires_grad_(False).is_leaf))(
        m.t([1.0]))),
    C("requires_grad_-int", lambda m: m.t([1]).requires_grad_(True)),
    *each("grad-mode", _grad_mode, ["no_grad", "enable_grad", "inference_mode", "set_grad_enabled"],
          "mg.no_grad mg.enable_grad mg.inference_mode mg.set_grad_enabled mg.is_grad_enabled"),
    *each("hook", _hook, ["replace", "leaf", "removed", "retain", "post-accumulate", "float64-for-float32"],
          "Tensor.register_hook Tensor.retain_grad Tensor.retains_grad Tensor.register_post_accumulate_grad_hook"),
]

# ---- differentiable ops: options and edges the op table does not sample ------------------------------------
def _loaded_lazy_linear(m):
    """A LazyLinear given its values by load_state_dict (then still lazy), as torch's load hook."""
    layer = m.nn.LazyLinear(2).double()
    layer.load_state_dict({"weight": m.t(np.arange(8.0).reshape(2, 4) / 10), "bias": m.t([0.5, -0.5])})
    return layer


def _x(m, values=None, dtype="float64"):
    return m.leaf(np.array([[0.5, -1.5, 2.0, 0.0], [3.0, 1.0, -0.25, 4.0], [1.0, 1.0, -2.0, 0.5]])
                  if values is None else values, dtype)


OPTIONS = [
    C("clip-round", lambda m: (_x(m).clip(-1, 1), _x(m).clip(min=0.5), _x(m).round(decimals=1) * 1,
                               m.t([0.125, 2.5, -0.5, 1.25]).round(decimals=1), m.t([15.0, 25.0]).round(decimals=-1))),
    C("clamp-nan-bound", lambda m: (_x(m).clamp(min=float("nan")), _x(m).clamp(max=float("nan")))),
    C("clamp-tensor-bounds", lambda m: _x(m).clamp(m.t([0.0, -1.0, 0.5, 0.0], "float64"), m.t(1.0, "float64"))),
    C("clamp-min-above-max", lambda m: _x(m).clamp(1.0, -1.0)),
    C("clamp-int", lambda m: (m.t([1, 5, -3]).clamp(0, 2), m.t([1, 5, -3]).clamp(0.5, 2.5))),
    C("max-other", lambda m: (_x(m).max(_x(m) * 0.5), _x(m).min(m.t(1.0, "float64")))),
    C("maximum-nan-grad", lambda m: (m.maximum(m.leaf([np.nan, 1.0, 2.0]), m.leaf([0.0, np.nan, 2.0])),
                                     m.minimum(m.leaf([np.nan, 1.0]), m.leaf([0.0, 1.0])))),
    C("abs-nan-grad", lambda m: m.leaf([np.nan, 0.0, -0.0, -1.0]).abs()),
    C("sigmoid-tail", lambda m: (m.t([-20.0, -88.0, -100.0], "float32").sigmoid(), m.t([-40.0, -700.0]).sigmoid())),
    C("softmax-dtype", lambda m: (m.F.softmax(_x(m, dtype="float32"), dim=1, dtype=m.float64),
                                  m.F.log_softmax(_x(m, dtype="float32"), dim=0, dtype=m.float64))),
    *each("softmax-empty", lambda m, f: getattr(m.F, f)(m.leaf(np.zeros((0, 3))), dim=1),
          ["softmax", "log_softmax", "softmin"]),
    C("softmin-implicit-dim", lambda m: m.F.softmin(_x(m), dim=None)),
    C("logsumexp-inf", lambda m: (m.leaf([[-np.inf, -np.inf], [np.inf, 1.0]]).logsumexp(1),
                                  m.logsumexp(_x(m), dim=(0, 1)))),
    C("nan_to_num-default", lambda m: (m.leaf(SPECIAL).nan_to_num(), m.t(SPECIAL, "float32").nan_to_num(nan=1.0))),
    C("reduce-aliases", lambda m: (_x(m).sum(axis=1), _x(m).mean(axis=0, keepdims=True), _x(m).sum(dtype=m.float32),
                                   m.t([1, 2]).sum(dtype=m.float64), m.t([1, 2]).mean(dtype=m.float64),
                                   _x(m).amax(dim=(0, 1)), m.t([True, True]).sum(), m.t([1, 2], "int32").sum(),
                                   m.t([1, 2], "int32").prod())),
    C("reduce-empty", lambda m: (m.leaf(np.zeros((0, 3))).sum(0), m.leaf(np.zeros((0, 3))).mean(0),
                                 m.leaf(np.zeros((0, 3))).prod(0), m.leaf(np.zeros(0)).prod(), m.leaf(np.zeros((2, 0))).amax(1))),
    C("amax-empty", lambda m: m.zeros(0).amax()),
    C("mean-int", lambda m: m.t([1, 2]).mean()),
    *each("var", lambda m, kw: (_x(m).var(**kw), _x(m).std(**kw)),
          [{"correction": 0}, {"correction": 2, "dim": 0}, {"dim": 1, "correction": 4}, {"unbiased": False},
           {"dim": 1, "keepdim": True}]),
    C("var-one-element", lambda m: (m.leaf([2.0]).var(), m.leaf([2.0]).std(), m.leaf([[1.0, 3.0]]).var(0))),
    *each("norm", lambda m, p: (_x(m).norm(p=p), _x(m).norm(p=p, dim=1), _x(m).norm(p=p, dim=0, keepdim=True)),
          ["fro", 1, 2, 3, math.inf, -math.inf, 0, 0.5]),
    C("norm-int", lambda m: m.t([3, 4]).norm(p=math.inf)),
    C("norm-zero-grad", lambda m: (m.leaf([0.0, 0.0]).norm(), m.leaf([0.0, 0.0]).norm(p=1), m.leaf([0.0, 0.0]).norm(p=3))),
    C("max-ties-grad", lambda m: (m.leaf([1.0, 3.0, 3.0]).max(), m.leaf([[1.0, 3.0, 3.0]]).max(dim=1),
                                  m.leaf([2.0, 2.0]).amax(), m.leaf([[2.0, 2.0]]).min(1, keepdim=True),
                                  m.leaf([[np.nan, 1.0]]).max(1))),
    C("max-binary-ties-grad", lambda m: (m.maximum(m.leaf([1.0, 2.0]), m.leaf([1.0, 3.0])),
                                         m.minimum(m.leaf([1.0]), m.leaf([1.0])))),
    C("prod-zeros-grad", lambda m: (m.leaf([0.0, 2.0, 3.0]).prod(), m.leaf([[0.0, 0.0, 3.0]]).prod(1),
                                    m.leaf([0.0, 2.0, 0.0]).cumprod(0))),
    C("cum-empty-negdim", lambda m: (m.leaf(np.zeros((2, 0))).cumsum(-1), _x(m).cumsum(-2), _x(m).cumprod(-1))),
    C("cumsum-int", lambda m: (m.t([1, 2, 3]).cumsum(0), m.t([True, True]).cumsum(0))),
    C("shape-methods", lambda m: (lambda x: (x.view(4, 3), x.view(-1), x.view_as(m.zeros(2, 6)), x.reshape_as(
        m.zeros(12)), x.flatten(), x.flatten(0, 1), x.T, x.mT, x.swapaxes(0, 1), x.swapdims(1, 0),
        x.moveaxis(0, 1), x.expand_as(m.zeros(2, 3, 4)), x.unsqueeze(0).squeeze(0), x.narrow(1, -2, 2),
        x.transpose(-1, -2), m.flatten(x), m.reshape(x, (4, 3)), m.transpose(x, 0, 1), m.permute(x, (1, 0)),
        m.softmax(x, 1), m.exp(x)))(_x(m))),
    C("squeeze-tuple", lambda m: (m.leaf(np.zeros((1, 3, 1))).squeeze((0, 2)), m.leaf(np.zeros((1, 3))).squeeze(1))),
    C("view-noncontiguous", lambda m: _x(m).t().view(12)),
    *each("chunk", lambda m, a: m.leaf(np.arange(float(a[0])))[None].chunk(a[1], 1), [(5, 3), (6, 4), (2, 5), (0, 5)]),
    C("chunk-empty-1d", lambda m: m.zeros(0).chunk(5)),
    C("split", lambda m: (_x(m).split(3, 1), _x(m).split([1, 2], 0), m.split(_x(m), 2, dim=-1), m.chunk(_x(m), 2))),
    C("split-bad-sizes", lambda m: _x(m).split([1, 1], 0)),
    C("unbind-neg", lambda m: _x(m).unbind(-1)),
    C("flip-no-dims", lambda m: m.t([1.0, 2.0]).flip(())),
    C("flip-neg", lambda m: (_x(m).flip(-1), m.flip(_x(m), (0, 1)), _x(m).flip([0]))),
    C("roll", lambda m: (_x(m).roll(1), _x(m).roll((1, -1), (0, 1)), _x(m).roll(-5, 1))),
    C("roll-0d-dim", lambda m: m.t(1.0).roll(1, 1)),
    C("repeat_interleave", lambda m: (_x(m).repeat_interleave(2), _x(m).repeat_interleave(m.t([1, 0, 2]), dim=0),
                                      m.repeat_interleave(m.t([2, 0, 1])), _x(m).repeat_interleave(2, dim=-1))),
    C("repeat_interleave-0d-dim", lambda m: m.t(1.0).repeat_interleave(2, dim=1)),
    C("tril-triu-batch", lambda m: (m.leaf(A24).tril(1), m.leaf(A24).triu(-1), m.tril(_x(m), -5), m.triu(_x(m), 9))),
    C("diag-offsets", lambda m: (_x(m).diag(-1), _x(m).diag(2), m.leaf([1.0, 2.0]).diag(-1), _x(m).trace())),
    C("movedim-lists", lambda m: (m.movedim(m.leaf(A24), (0, 1), (2, 0)), m.moveaxis(m.leaf(A24), -1, 0))),
    C("cat-stack", lambda m: (m.cat([_x(m), _x(m)], dim=-1), m.stack([_x(m), _x(m)], dim=-1), m.cat((_x(m),)),
                              m.stack([m.leaf(1.0), m.leaf(2.0)]))),
    C("cat-legacy-empty", lambda m: m.cat([m.zeros(0), m.leaf(np.ones((2, 3)))])),
    C("cat-dtypes", lambda m: m.cat([m.t([1, 2]), m.t([1.5], "float32")])),
    C("expand-neg", lambda m: (m.leaf([[1.0], [2.0]]).expand(-1, 3), m.leaf([1.0]).expand(2, 2, 1),
                               m.broadcast_to(m.leaf([1.0, 2.0]), (3, 2)))),
    C("where-numbers", lambda m: (m.where(m.t(MASK), m.leaf([1.0, 2.0, 3.0]), 0.0), m.where(m.t(MASK), 1.0, 0.0),
                                  m.where(m.t(MASK), m.t([1, 2, 3]), m.t([0.5, 0.5, 0.5], "float64")),
                                  m.where(m.t(np.array(True)), m.leaf(2.0), m.leaf([1.0, 3.0])))),
    C("where-cond-int", lambda m: m.where(m.t([1, 0]), m.t([1.0, 2.0]), 0.0)),
    C("masked_fill-grad-value", lambda m: m.leaf([1.0, 2.0]).masked_fill(m.t([True, False]), m.leaf(np.array(5.0)))),
    C("masked_fill-int", lambda m: (m.t([1, 2]).masked_fill(m.t([True, False]), 7),
                                    m.t([1, 2]).masked_fill(m.t([True, False]), 2.5))),
    C("lerp-tensor", lambda m: (m.lerp(m.leaf([1.0, 2.0]), m.leaf([3.0, -1.0]), m.leaf([0.25, 2.0])),
                                m.leaf([1.0]).lerp(m.leaf([2.0]), 0.5))),
    *each("sort", lambda m, kw: m.sort(m.leaf([3.0, np.nan, 1.0, 3.0, -np.inf, 1.0]), **kw),
          [{}, {"descending": True}, {"stable": True}, {"dim": 0, "descending": True, "stable": True}]),
    *each("topk", lambda m, kw: m.topk(m.leaf([3.0, np.nan, 1.0, 3.0, -1.0, 0.0]), **kw),
          [{"k": 2}, {"k": 3, "largest": False}, {"k": 0}, {"k": 6, "sorted": True}, {"k": 2, "dim": 0}]),
    C("topk-too-large", lambda m: m.topk(m.t([1.0, 2.0]), 3)),
    C("index-int32", lambda m: (m.leaf(A24).gather(1, m.t(np.zeros((2, 1, 4), np.int32))),
                                m.index_select(m.leaf(A24), 2, m.t(np.array([3, 0], np.int32))),
                                m.take_along_dim(m.leaf(A24), m.t(np.array([[[1]], [[2]]])), dim=1),
                                m.take_along_dim(m.leaf(A24), m.t(np.array([0, 23, 5]))))),
    C("scatter-value", lambda m: (m.leaf(np.zeros((2, 3))).scatter(1, m.t([[0], [2]]), 4.0),
                                  m.leaf(np.zeros((2, 3))).scatter(1, m.t([[0, 1], [2, 0]]), m.leaf(np.ones((2, 2)))),
                                  m.scatter_add(m.leaf(np.zeros(3)), 0, m.t([1, 1, 2]), m.leaf([1.0, 2.0, 3.0])))),
    C("gather-0d", lambda m: m.leaf(2.0).gather(0, m.t(0))),
    C("index-errors", lambda m: m.leaf(np.zeros(3)).gather(0, m.t([3]))),
    C("masked_select-broadcast", lambda m: (m.masked_select(m.leaf([[1.0], [2.0]]), m.t(MASK)),
                                            m.leaf(A24).masked_select(m.t(A24 > 10)))),
    C("matmul-int", lambda m: (m.t([[1, 2]]) @ m.t([[3], [4]]), m.matmul(m.t([1, 2]), m.t([3, 4])))),
    C("matmul-mixed-dtype", lambda m: m.t([[1.0]], "float32") @ m.t([[1.0]], "float64")),
    C("dot-outer-addmm", lambda m: (m.leaf([1.0, 2.0]).dot(m.leaf([3.0, 4.0])), m.leaf([1.0]).outer(m.leaf([2.0, 3.0])),
                                    m.leaf(np.ones((2, 2))).addmm(m.leaf(np.eye(2)), m.leaf([[1.0, 2.0], [3.0, 4.0]]),
                                                                   beta=0, alpha=-1),
                                    m.mm(m.leaf(np.eye(2)), m.leaf(np.ones((2, 3)))),
                                    m.bmm(m.leaf(np.ones((2, 1, 2))), m.leaf(np.ones((2, 2, 1)))))),
    C("dot-2d", lambda m: m.dot(m.t(np.ones((2, 2))), m.t(np.ones((2, 2))))),
    C("bmm-batch-mismatch", lambda m: m.bmm(m.t(np.ones((2, 1, 2))), m.t(np.ones((3, 2, 1))))),
    C("cosine_similarity-huge", lambda m: m.F.cosine_similarity(m.leaf([[1e300, 1e300]]), m.leaf([[-1e300, -1e300]]))),
    C("cosine_similarity-eps", lambda m: (m.F.cosine_similarity(m.leaf([[0.0, 0.0]]), m.leaf([[1.0, 2.0]]), eps=0.5),
                                          m.F.cosine_similarity(m.leaf([1.0, 2.0]), m.leaf([[2.0, 1.0]]), dim=-1))),
    C("normalize-eps", lambda m: (m.F.normalize(m.leaf([[0.0, 0.0], [3.0, 4.0]]), eps=0.1),
                                  m.F.normalize(m.leaf([[1.0, -2.0]]), p=math.inf, dim=1),
                                  m.F.normalize(m.leaf([1.0, -2.0]), dim=0))),
    C("relu-int", lambda m: (m.t([-1, 2]).relu(), m.F.relu(m.t([-1, 2])))),
    C("linear-zero-features", lambda m: (m.F.linear(m.leaf(np.ones((2, 0))), m.leaf(np.ones((3, 0))), m.leaf(np.ones(3))),
                                         m.F.linear(m.leaf(np.ones((2, 3))), m.leaf(np.ones((0, 3)))))),
    C("prod-empty-grad", lambda m: m.leaf(np.zeros((0, 3))).prod(0)),
    C("one_hot", lambda m: (m.F.one_hot(m.t([0, 2, 1])), m.F.one_hot(m.t([[1], [0]]), num_classes=4),
                            m.F.one_hot(m.t(np.zeros(0, np.int64)), 3))),
    C("one_hot-bad", lambda m: m.F.one_hot(m.t([0, 3]), num_classes=3)),
    C("one_hot-float", lambda m: m.F.one_hot(m.t([0.0, 1.0]))),
    C("pad-options", lambda m: (m.F.pad(m.leaf(np.ones((2, 3))), (1, 1, 2, 0), value=3.0),
                                m.F.pad(m.leaf(np.ones((1, 1, 2, 3))), (0, 0, -1, 1)),
                                m.F.pad(m.leaf(np.ones(3)), (2, -3)))),
    C("lazy-modules", lambda m: (m.nn.LazyLinear(3)(m.t(np.ones((2, 5)))).shape[1], m.nn.LazyConv2d(4, 3)(
        m.t(np.ones((1, 2, 5, 5)))).shape[1], m.nn.LazyBatchNorm1d()(m.leaf(A24[0].T.copy())),
        m.nn.LazyLinear(2).has_uninitialized_params(), m.nn.LazyConv1d(2, 2)(m.t(np.ones((3, 4)))).shape[0],
        m.nn.LazyBatchNorm2d(affine=False)(m.leaf(A24[None])),
        isinstance(m.nn.LazyLinear(2).weight, m.nn.UninitializedParameter),
        isinstance(m.nn.LazyBatchNorm2d().running_mean, m.nn.UninitializedBuffer))),
    C("lazy-load_state_dict", lambda m: _loaded_lazy_linear(m)(m.leaf(A24[0]))),
    C("add-deprecated-alpha-first", lambda m: (m.t([1.0, 2.0]).add_(-0.5, m.t([2.0, 4.0])),
                                               m.t([1.0, 2.0]).sub_(2, m.t([1.0, 1.0])),
                                               m.add(m.leaf([1.0, 2.0]), 3, m.leaf([0.5, 1.0])),
                                               m.leaf([1.0]).sub(0.5, m.leaf([3.0])))),
    C("add-deprecated-alpha-twice", lambda m: m.t([1.0]).add_(-0.5, m.t([2.0]), alpha=2)),
    C("embedding-options", lambda m: (m.F.embedding(m.t([[0, 2], [2, 2]]), m.leaf(np.arange(6.0).reshape(3, 2)),
                                                    padding_idx=2),
                                      m.F.embedding(m.t(np.array([1, 0], np.int32)), m.leaf(np.eye(2)),
                                                    padding_idx=-1))),
    C("dropout-p1", lambda m: (m.F.dropout(m.leaf([1.0, np.inf]), p=1.0), m.F.dropout(m.leaf([1.0, 2.0]), 0.3,
                                                                                   training=False))),
    C("dropout-p-bad", lambda m: m.F.dropout(m.t([1.0]), p=-0.1)),
    C("dropout2d-3d", lambda m: m.F.dropout2d(m.leaf(np.ones((2, 3, 4))), 0.0)),
    C("dropout2d-other-dims", lambda m: (m.F.dropout2d(m.leaf(np.ones((2, 3))), 1.0), m.F.dropout2d(m.leaf(np.ones(3)), 0.5,
                                                                                              training=False))),
    C("dropout2d-1d-train", lambda m: m.F.dropout2d(m.t(np.ones(3)), 0.5)),
    C("dropout1d-3d", lambda m: (m.F.dropout1d(m.leaf(np.ones((2, 3))), 1.0), m.F.dropout3d(m.leaf(np.ones((2, 2, 2, 2))), 1.0))),
    C("dropout1d-4d", lambda m: m.F.dropout1d(m.t(np.ones((2, 3, 4, 4))), 0.5)),
    *each("pool-unbatched", lambda m, f: f(m)(m.leaf(A24[None, 0])), [
        lambda m: lambda x: m.F.max_pool2d(x, 2), lambda m: lambda x: m.F.avg_pool2d(x, 2),
        lambda m: lambda x: m.F.adaptive_avg_pool2d(x, 2), lambda m: lambda x: m.F.adaptive_max_pool2d(x, 2),
        lambda m: lambda x: m.F.max_pool1d(x[0], 2), lambda m: lambda x: m.F.avg_pool1d(x[0], 3, 1, 1)],
        "F.max_pool2d F.avg_pool2d F.adaptive_avg_pool2d F.adaptive_max_pool2d F.max_pool1d F.avg_pool1d"),
    C("adaptive_max_pool2d-indices", lambda m: m.F.adaptive_max_pool2d(m.leaf(A24[None]), (2, 3), return_indices=True)),
    C("pool-nan", lambda m: (m.F.max_pool2d(m.leaf(np.array([[[[np.nan, 1.0], [2.0, 3.0]]]])), 2),
                             m.F.adaptive_max_pool2d(m.leaf(np.array([[[[1.0, np.nan], [2.0, 3.0]]]])), 1))),
    C("max_pool2d-stride-padding", lambda m: m.F.max_pool2d(m.leaf(A24[None]), (2, 3), stride=(1, 2), padding=(1, 1))),
    C("avg_pool1d-options", lambda m: (m.F.avg_pool1d(m.leaf(A24), 3, 2, 1, count_include_pad=False),
                                       m.F.avg_pool1d(m.leaf(A24), 2, ceil_mode=False))),
    C("interpolate-scale", lambda m: (m.F.interpolate(m.leaf(A24[None]), scale_factor=1.5),
                                      m.F.interpolate(m.leaf(A24), scale_factor=2.5, mode="linear"),
                                      m.F.interpolate(m.leaf(A24[None]), scale_factor=1.7, mode="bilinear",
                                                      recompute_scale_factor=True),
                                      m.F.interpolate(m.leaf(A24[None]), size=(3, 5), mode="bilinear",
                                                      align_corners=True))),
    C("conv-options", lambda m: (m.F.conv2d(m.leaf(A24[None]), m.leaf(np.ones((4, 2, 2, 2))), None, (1, 2), 1, 1),
                                 m.F.conv1d(m.leaf(A24), m.leaf(np.ones((2, 3, 2))), m.leaf([1.0, -1.0]), 2, "valid"),
                                 m.F.conv1d(m.leaf(A24), m.leaf(np.ones((3, 1, 3))), groups=3, padding="same",
                                            dilation=2))),
    C("conv-same-stride", lambda m: m.F.conv1d(m.t(A24), m.t(np.ones((2, 3, 2))), stride=2, padding="same")),
    C("conv-unbatched", lambda m: m.F.conv1d(m.leaf(A24[0]), m.leaf(np.ones((2, 3, 2))))),
    C("batch_norm-running", lambda m: (lambda rm, rv: (m.F.batch_norm(m.leaf(A24), rm, rv, training=True, momentum=0.3),
                                                       rm, rv))(m.t(np.zeros(3)), m.t(np.ones(3)))),
    C("batch_norm-nan", lambda m: (lambda rm, rv: (m.F.batch_norm(m.leaf(np.where(A24 == 5, np.nan, A24)), rm, rv,
                                                                  training=True), rm, rv))(m.t(np.zeros(3)),
                                                                                           m.t(np.ones(3)))),
    C("instance_norm-running", lambda m: (lambda rm, rv: (m.F.instance_norm(m.leaf(A24), rm, rv, momentum=0.5), rm, rv))(
        m.t(np.zeros(3)), m.t(np.ones(3)))),
    C("instance_norm-stats", lambda m: m.F.instance_norm(m.leaf(A24), m.t(np.ones(3)), m.t(np.full(3, 4.0)),
                                                         use_input_stats=False)),
    C("group_norm-eps", lambda m: m.F.group_norm(m.leaf(A24), 3, eps=0.5)),
    C("layer_norm-float32-offset", lambda m: m.F.layer_norm(m.leaf(A24 + 1e4, "float32"), (4,))),
    C("gelu-nan", lambda m: (m.F.gelu(m.leaf([np.nan, 1.0])), m.F.leaky_relu(m.leaf([np.nan, -1.0]), 0.5))),
    C("activation-inplace", lambda m: [f(m.leaf(np.array([-1.0, 0.5, 4.0])) * 1, inplace=True) for f in (
        m.F.silu, m.F.elu, m.F.mish, m.F.hardswish, m.F.hardtanh)]),
    C("softplus-extremes", lambda m: (m.F.softplus(m.leaf([-800.0, 800.0, 0.0])), m.F.logsigmoid(m.leaf([-800.0, 800.0])),
                                      m.F.softplus(m.leaf([-1.0, 30.0]), beta=-2.0))),
    C("bce-target-grad", lambda m: (m.F.binary_cross_entropy(m.leaf([0.3, 0.9]), m.leaf([1.0, 0.0])),
                                    m.F.binary_cross_entropy_with_logits(m.leaf([0.3, -2.0]), m.leaf([0.2, 0.7])),
                                    m.nn.BCELoss()(m.leaf([0.3]), m.leaf([0.5])),
                                    m.nn.BCEWithLogitsLoss()(m.leaf([0.3]), m.leaf([0.5])))),
    C("bce-nan-input", lambda m: m.F.binary_cross_entropy(m.t([np.nan, 0.5]), m.t([1.0, 0.0]))),
    C("bce-out-of-range", lambda m: m.F.binary_cross_entropy(m.t([1.5]), m.t([1.0]))),
    C("bce-edges", lambda m: (m.F.binary_cross_entropy(m.leaf([0.0, 1.0, 1.0]), m.leaf([0.0, 1.0, 0.5])),
                              m.F.binary_cross_entropy_with_logits(m.leaf([-1000.0, 1000.0]), m.leaf([1.0, 0.0]),
                                                                   pos_weight=m.t([2.0, 3.0], "float64")))),
    C("loss-grad-target", lambda m: (m.F.mse_loss(m.leaf([1.0, 2.0]), m.leaf([0.0, 3.0])),
                                     m.F.l1_loss(m.leaf([1.0, 2.0]), m.leaf([0.0, 3.0]), reduction="sum"),
                                     m.F.smooth_l1_loss(m.leaf([1.0, 2.0]), m.leaf([0.0, 1.5]), beta=0.0),
                                     m.F.huber_loss(m.leaf([1.0, 2.0]), m.leaf([0.0, 1.5]), delta=0.8),
                                     m.F.kl_div(m.leaf([-1.0, -2.0]), m.leaf([0.3, 0.0]), reduction="batchmean"),
                                     m.F.kl_div(m.leaf([[-1.0, -2.0]]), m.leaf([0.3, 0.1]), reduction="sum",
                                                log_target=True))),
    C("loss-broadcast", lambda m: m.F.mse_loss(m.leaf([[1.0, 2.0]]), m.leaf([[0.0], [3.0]]))),
    C("loss-empty", lambda m: (m.F.mse_loss(m.leaf(np.zeros(0)), m.t(np.zeros(0))),
                               m.F.cross_entropy(m.leaf(np.zeros((0, 3))), m.t(np.zeros(0, np.int64)), reduction="sum"))),
    C("cross_entropy-unbatched", lambda m: (m.F.cross_entropy(m.leaf([1.0, 2.0, 0.5]), m.t(2)),
                                            m.F.cross_entropy(m.leaf([1.0, 2.0, 0.5]), m.leaf([0.2, 0.3, 0.5])))),
    C("cross_entropy-all-ignored", lambda m: m.F.cross_entropy(m.leaf([[1.0, 2.0]]), m.t([-100]))),
    C("cross_entropy-int32-target", lambda m: m.F.cross_entropy(m.leaf([[1.0, 2.0]]), m.t(np.array([1], np.int32)))),
    C("nll_loss-ignore", lambda m: m.F.nll_loss(m.leaf([[-1.0, -2.0], [-0.5, -0.1]]), m.t([1, 5]), ignore_index=5,
                                                reduction="mean")),
]


# ---- torch's other names (issue 23): aliases, legacy types, fills, formatting, device queries -------------
def _filled_diagonal(m, y):
    y.fill_diagonal_(7.0)
    return y


NAMES = [
    C("square-subsequent-mask", lambda m: (m.nn.Transformer.generate_square_subsequent_mask(4),
                                           m.nn.Transformer.generate_square_subsequent_mask(2, dtype=m.float64)),
      covers="nn.Transformer.generate_square_subsequent_mask"),
    C("dtype-aliases", lambda m: [m.float, m.double, m.short, m.int16, m.int8, m.uint8, m.half, m.float16]),
    C("dtype-small-ints", lambda m: [m.tensor([1, -2, 3], dtype=dtype) + 1 for dtype in (m.short, m.int8)]
      + [m.tensor([1, 2, 250], dtype=m.uint8) + 1]),
    C("half-tensor", lambda m: (m.zeros(2, dtype=m.half), m.tensor([0.1, 1.5, 70000.0], dtype=m.float16),
                                m.t([0.1, -2.5]).half(), m.t([0.1, -2.5]).to(m.half).float(), m.t([3]).half())),
    C("half-ops", lambda m: m.zeros(2, dtype=m.half) + 1),
    C("legacy", lambda m: (m.FloatTensor([1, 2]), m.DoubleTensor([1, 2]), m.LongTensor([1.7, 2]), m.IntTensor([3]),
                           m.BoolTensor([1, 0]), m.ByteTensor([1, 2]), m.FloatTensor((2, 3)), m.FloatTensor(),
                           _shape_dtype(m.FloatTensor(2, 3)), _shape_dtype(m.LongTensor(4)))),
    C("legacy-isinstance", lambda m: (isinstance(m.zeros(2), m.FloatTensor), isinstance(m.t([1.0], "float64"),
                                                                                        m.FloatTensor),
                                      isinstance(m.t([1.0], "float64"), m.DoubleTensor),
                                      isinstance(m.t([1]), m.LongTensor), isinstance(m.t([1]), m.IntTensor))),
    C("legacy-number", lambda m: m.FloatTensor(2.5)),
    C("legacy-other-dtype", lambda m: m.FloatTensor(m.t([1.0], "float64"))),
    C("format", lambda m: (f"{m.t(np.array(1.23456)):.4f}", f"{m.t(np.array(3)):>5}", f"{m.t([1.0, 2.0], 'float32')}",
                           f"{m.t(np.array(2.5)).requires_grad_():.2f}"), "Tensor.__format__"),
    C("format-one-element", lambda m: f"{m.t([1.5]):.2f}"),
    C("format-many", lambda m: f"{m.t([1.0, 2.0]):.4f}"),
    C("is_cuda", lambda m: (m.zeros(2).is_cuda, m.t([1]).is_cuda)),
    C("is_xpu-is_mps-is_meta", lambda m: (m.zeros(2).is_xpu, m.zeros(2).is_mps, m.zeros(2).is_meta)),
    # torch's module paths name the classes of nn: the same class names, and the same layer behind them
    C("nn-modules-paths", lambda m: ([m.nn.modules.conv.Conv2d.__name__, m.nn.modules.rnn.LSTM.__name__,
                                      m.nn.modules.linear.NonDynamicallyQuantizableLinear.__mro__[0].__name__ in
                                      ("Linear", "NonDynamicallyQuantizableLinear")],
                                     m.nn.modules.activation.ReLU()(m.t([-1.0, 2.0]))), "nn.modules.conv nn.modules.rnn"),
    C("mm-bmm-methods", lambda m: (m.leaf(A24[0]).mm(m.leaf(A24[1].T)), m.leaf(A24).bmm(m.leaf(A24.transpose(0, 2, 1))))),
    C("mm-method-inner-mismatch", lambda m: m.t(A24[0]).mm(m.t(A24[0]))),
    C("bmm-method-batch-mismatch", lambda m: m.t(A24).bmm(m.t(np.ones((3, 4, 2))))),
    C("random-fills-degenerate", lambda m: (m.zeros(3).normal_(5.0, 0.0), m.zeros(3, dtype=m.float64).uniform_(2.0, 2.0),
                                            m.zeros(3, dtype=m.float64).exponential_(math.inf))),
    C("random-fills-kind", lambda m: [(_shape_dtype(x), bool((x >= 0).all())) for x in (
        m.zeros(2, 3).exponential_(), m.zeros(4, dtype=m.float64).uniform_(), m.empty(3).normal_(0, 1).abs())],
      "Tensor.exponential_ Tensor.uniform_ Tensor.normal_"),
    *each("random-fill-refused", lambda m, f: f(m), [
        lambda m: m.zeros(2).normal_(0, -1), lambda m: m.zeros(2).uniform_(2, 1), lambda m: m.zeros(2).exponential_(0),
        lambda m: m.zeros(2).exponential_(-1), lambda m: m.zeros(2, dtype=m.int64).normal_(),
        lambda m: m.zeros(2, dtype=m.int64).exponential_(), lambda m: m.leaf([1.0]).normal_(),
        lambda m: m.leaf([1.0]).uniform_(), lambda m: m.leaf([1.0]).exponential_()]),
    *each("random-fill-grad", lambda m, op: _inplace(m, op), [
        lambda y, m: y.normal_(3.0, 0.0), lambda y, m: y.uniform_(1.0, 1.0), lambda y, m: y.exponential_(math.inf)]),
    C("fill_diagonal_", lambda m: (m.zeros(2, 3).fill_diagonal_(1.0), m.zeros(7, 3).fill_diagonal_(5, wrap=True),
                                   m.zeros(7, 3).fill_diagonal_(5), m.zeros(3, 5).fill_diagonal_(5, wrap=True),
                                   m.zeros(4, 3).fill_diagonal_(5, wrap=True), m.zeros(3, 3, 3).fill_diagonal_(1),
                                   m.zeros(2, 3, dtype=m.int64).fill_diagonal_(2.7),
                                   m.zeros(2, 3, dtype=m.bool).fill_diagonal_(1), m.zeros(0, 3).fill_diagonal_(1))),
    C("fill_diagonal_-grad", lambda m: _filled_diagonal(m, m.leaf(np.ones((3, 4))) * 2)),
    *each("fill_diagonal_-refused", lambda m, f: f(m), [
        lambda m: m.zeros(3).fill_diagonal_(1), lambda m: m.zeros(3, 3, 2).fill_diagonal_(1),
        lambda m: m.leaf(np.ones((2, 2))).fill_diagonal_(1)]),
    C("accelerator", lambda m: (m.accelerator.is_available(), m.accelerator.current_accelerator(),
                                m.accelerator.device_count(), m.cuda.device_count()),
      "mg.accelerator.is_available mg.accelerator.current_accelerator mg.accelerator.device_count mg.cuda.device_count"),
    C("cuda-current_device-without-gpu", lambda m: m.cuda.current_device(), "mg.cuda.current_device"),
    C("cuda-synchronize-without-gpu", lambda m: m.cuda.synchronize(), "mg.cuda.synchronize"),
    C("backends", lambda m: (m.backends.cudnn.benchmark, m.backends.cudnn.deterministic, m.backends.cudnn.enabled,
                             m.backends.cudnn.is_available(), m.backends.mps.is_available()),
      "mg.backends.cudnn mg.backends.mps"),
]

# ---- nn.utils.rnn: packing and padding variable-length sequences -----------------------------------
RNN_UTILS = [
    C("pack_padded-pad_packed", lambda m: m.nn.utils.rnn.pad_packed_sequence(
        m.nn.utils.rnn.pack_padded_sequence(m.leaf(A24), [1, 2, 2], enforce_sorted=False), batch_first=True,
        padding_value=-1.0, total_length=3), "nn.utils.rnn"),
    C("pack_padded-batch_first", lambda m: tuple(m.nn.utils.rnn.pack_padded_sequence(m.leaf(A24), [3, 1],
                                                                                      batch_first=True))[:2]),
    C("pad_sequence", lambda m: m.nn.utils.rnn.pad_sequence([m.leaf(A24[0]), m.leaf(A24[1, :1])], batch_first=True,
                                                            padding_value=0.5)),
    C("pack_sequence", lambda m: m.nn.utils.rnn.pack_sequence([m.leaf(A24[1, :1]), m.leaf(A24[0])],
                                                              enforce_sorted=False).data),
]

CASES = (CREATION + CONVERSION + PROMOTION + OPERATOR_CASES + INDEXING + NO_GRAD + INPLACE + OPTIONS + NAMES
         + RNN_UTILS)
assert len({c.name for c in CASES}) == len(CASES), [c.name for c in CASES if [d.name for d in CASES].count(c.name) > 1]
