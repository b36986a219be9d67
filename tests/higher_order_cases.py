"""Expressions whose second and third derivatives are checked: against finite differences of the
lower-order gradient (tests/autograd/test_higher_order.py) and against torch (tests/oracle).

Each case is (name, fn, input shapes, domain): ``fn(m, F, *tensors)`` returns a scalar, written with
Tensor methods and ``m`` (mg or torch) / ``F`` (its functional module) so that the same code runs on
both; domain "positive" draws inputs in [0.5, 2], "any" in [-1.5, 1.5] away from 0 (kinks of abs,
where, max stay outside the finite-difference step).
"""
import numpy as np

CASES = [
    ("tanh(x)**3 * y", lambda m, F, x, y: (x.tanh() ** 3 * y).sum(), [(3,), (3,)], "any"),
    ("logsumexp", lambda m, F, x: x.logsumexp(1).sum(), [(2, 3)], "any"),
    ("x @ W tanh", lambda m, F, x, w: (x @ w).tanh().sum(), [(2, 3), (3, 4)], "any"),
    ("quadratic form", lambda m, F, x, w: x @ (w @ x), [(3,), (3, 3)], "any"),
    ("batched matmul", lambda m, F, a, b: ((a @ b) ** 2).sum(), [(2, 2, 3), (3, 2)], "any"),
    ("norm", lambda m, F, x: x.norm() * x.sum(), [(4,)], "any"),
    ("norm p=3 dim", lambda m, F, x: x.norm(p=3, dim=1).sum() ** 2, [(2, 3)], "any"),
    ("where", lambda m, F, x: m.where(x > 0, x ** 2, x ** 3).sum(), [(5,)], "any"),
    ("abs * x", lambda m, F, x: (x.abs() * x * x).sum(), [(4,)], "any"),
    ("max * sum", lambda m, F, x: x.max() * (x * x).sum(), [(4,)], "any"),
    ("amax dim", lambda m, F, x: (x.amax(dim=0) ** 3).sum(), [(3, 2)], "any"),
    ("exp ratio", lambda m, F, x: x.exp().sum() / (1 + x * x).sum(), [(3,)], "any"),
    ("sigmoid log", lambda m, F, x, y: (x.sigmoid() * y.log()).sum(), [(3,), (3,)], "positive"),
    ("sqrt", lambda m, F, x: (x * x + 1).sqrt().sum(), [(3,)], "any"),
    ("sin cos", lambda m, F, x, y: (x.sin() * y.cos()).sum(), [(3,), (3,)], "any"),
    ("div", lambda m, F, x, y: (x / y).sum() * x.sum(), [(3,), (3,)], "positive"),
    ("pow tensor", lambda m, F, x, y: (x ** y).sum(), [(3,), (3,)], "positive"),
    ("pow fractional", lambda m, F, x: (x ** 2.5).sum() + (x ** -0.5).sum(), [(3,)], "positive"),
    ("cumsum", lambda m, F, x: (x.cumsum(0) * x).sum(), [(4,)], "any"),
    ("cumprod", lambda m, F, x: x.cumprod(0).sum(), [(4,)], "positive"),
    ("prod", lambda m, F, x: x.prod(1).sum(), [(2, 3)], "positive"),
    ("var std", lambda m, F, x: x.var(1).sum() * x.std(0).sum(), [(3, 4)], "any"),
    ("mean of squares", lambda m, F, x: (x * x).mean() ** 2, [(2, 3)], "any"),
    ("softmax by hand", lambda m, F, x: ((x.exp() / x.exp().sum(1, keepdim=True)) ** 2).sum(), [(2, 3)], "any"),
    ("log1p expm1", lambda m, F, x: (x.log1p() * x.expm1()).sum(), [(3,)], "positive"),
    ("rsqrt reciprocal", lambda m, F, x: (x.rsqrt() + x.reciprocal() * x.square()).sum(), [(3,)], "positive"),
    ("erf", lambda m, F, x: (x.erf() * x).sum(), [(3,)], "any"),
    ("clamp", lambda m, F, x: (x.clamp(-1.0, 1.0) * x ** 2).sum(), [(6,)], "any"),
    ("maximum", lambda m, F, x, y: (m.maximum(x, y) * x * y).sum(), [(4,), (4,)], "any"),
    ("lerp", lambda m, F, x, y, w: (m.lerp(x, y, w) ** 2).sum(), [(3,), (3,), (3,)], "any"),
    ("addmm", lambda m, F, b, x, w: (m.addmm(b, x, w, beta=0.5, alpha=2.0) ** 2).sum(), [(2,), (3, 4), (4, 2)], "any"),
    ("linear", lambda m, F, x, w, b: F.linear(x, w, b).tanh().sum(), [(3, 4), (2, 4), (2,)], "any"),
    ("indexing", lambda m, F, x: (x[1:, ::2] ** 3).sum() + (x[:, 0] * x[:, 1]).sum(), [(3, 4)], "any"),
    ("gather", lambda m, F, x: (x.gather(1, m.tensor([[0, 2], [1, 1]])) ** 3).sum(), [(2, 3)], "any"),
    ("cat stack transpose", lambda m, F, x, y: (m.cat([x, y.t()], 0) ** 2).sum() * m.stack([x, x * y.t()]).sum(),
     [(2, 3), (3, 2)], "any"),
    ("reshape expand", lambda m, F, x: (x.reshape(3, 2).expand(2, 3, 2) * x.reshape(1, 3, 2)).tanh().sum(),
     [(2, 3)], "any"),
    ("triu flip roll", lambda m, F, x: (x.triu() ** 2 * x.flip(0).roll(1, 1)).sum(), [(3, 3)], "any"),
    ("sinh cosh exp2 log2", lambda m, F, x: (x.sinh() * x.cosh() + x.exp2() * x.log2()).sum(), [(3,)], "positive"),
    ("tanh chain", lambda m, F, x: x.tanh().tanh().tanh().sum(), [(3,)], "any"),
    ("pad reflect replicate circular", lambda m, F, x: (F.pad(x, (2, 1), mode="reflect") ** 3).sum()
     + (F.pad(x, (1, 2), mode="replicate") ** 3).sum() * (F.pad(x, (0, 3), mode="circular") ** 2).sum(),
     [(1, 2, 4)], "any"),
    ("unfold fold", lambda m, F, x: (F.fold(F.unfold(x, 2) ** 2, (3, 3), 2) * x).sum(), [(1, 2, 3, 3)], "any"),
    # (torch has no double backward through output_padding: the op table's gradgradcheck covers it)
    ("conv_transpose2d", lambda m, F, x, w: F.conv_transpose2d(x, w, stride=2, dilation=2).tanh().sum(),
     [(1, 2, 3, 3), (2, 2, 2, 2)], "any"),
    ("conv_transpose1d bias", lambda m, F, x, w, b: (F.conv_transpose1d(x, w, b, stride=2, padding=1,
                                                                         groups=2) ** 2).tanh().sum(),
     [(2, 4, 3), (4, 1, 3), (2,)], "any"),
    ("attention causal", lambda m, F, q, k, v: (F.scaled_dot_product_attention(q, k, v, is_causal=True) ** 2).sum(),
     [(2, 4, 3), (2, 3, 3), (2, 3, 2)], "any"),
    # 3-D: torch's CPU flash kernel, which 4-D input gets, has no double backward
    ("attention bool mask", lambda m, F, q, k, v: F.scaled_dot_product_attention(
        q, k, v, attn_mask=m.ones(3, 5).tril(1) > 0, scale=0.7).tanh().sum(), [(2, 3, 2), (2, 5, 2), (2, 5, 2)],
     "any"),
    ("lstm_cell two steps", lambda m, F, x, h, c, w_ih, w_hh, b: (lambda h1, c1: (m.lstm_cell(x, (h1, c1), w_ih, w_hh, b, b)[0]
                                                                                   * c1).sum())(
        *m.lstm_cell(x, (h, c), w_ih, w_hh, b, b)), [(2, 3), (2, 2), (2, 2), (8, 3), (8, 2), (8,)], "any"),
    ("gru_cell rnn_tanh_cell", lambda m, F, x, h, w_ih, w_hh, w_ih1, w_hh1: (m.rnn_tanh_cell(
        x, m.gru_cell(x, h, w_ih, w_hh), w_ih1, w_hh1) ** 2).sum(), [(2, 3), (2, 2), (6, 3), (6, 2), (2, 3), (2, 2)],
     "any"),
]


def inputs(shapes, domain, seed=0):
    """float64 arrays of ``shapes`` in the case's domain."""
    rng = np.random.default_rng(seed)
    arrays = []
    for shape in shapes:
        if domain == "positive":
            arrays.append(rng.uniform(0.5, 2.0, shape))
        else:
            arrays.append(rng.uniform(0.2, 1.5, shape) * rng.choice([-1.0, 1.0], shape))
    return arrays
