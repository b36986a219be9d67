"""Benchmark cases. Each case builds, for each contender, a zero-argument function that runs one
repetition; contenders are minigrad, a plain NumPy composite of the same math, and PyTorch."""
import numpy as np

import minigrad as mg
import minigrad.functional as F
import minigrad.nn as nn
import minigrad.optim as optim

try:
    import torch
except ImportError:  # PyTorch is optional: its column is left empty
    torch = None

EPS = 1e-5
BN_SHAPES = [(256, 1024), (4096, 512), (64, 64, 32, 32)]
ADAM_HIDDEN = [256, 1200]  # 0.27M and 2.4M parameters
MLP_SIZES = [(64, 64, 128), (128, 784, 256), (512, 784, 1024)]


class Case:
    def __init__(self, name, contenders, bandwidth_bytes=None):
        self.name, self.contenders, self.bandwidth_bytes = name, contenders, bandwidth_bytes


def _axes(shape):
    return (0,) + tuple(range(2, len(shape)))


# ---- BatchNorm -------------------------------------------------------------------------------------
def numpy_batch_norm_train(x, w, b, gy):
    axes = _axes(x.shape)
    bs = (1, -1) + (1,) * (x.ndim - 2)
    mean = x.mean(axis=axes, keepdims=True)
    xc = x - mean
    var = (xc * xc).mean(axis=axes, keepdims=True)
    invstd = 1 / np.sqrt(var + EPS)
    xhat = xc * invstd
    y = xhat * w.reshape(bs) + b.reshape(bs)
    gb = gy.sum(axis=axes)
    gw = (gy * xhat).sum(axis=axes)
    m = x.size // x.shape[1]
    gx = (w.reshape(bs) * invstd / m) * (m * gy - gb.reshape(bs) - xhat * gw.reshape(bs))
    return y, gx, gw, gb


def batch_norm_train_case(shape, dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(dtype)
    gy = rng.standard_normal(shape).astype(dtype)
    C = shape[1]
    w, b = np.ones(C, dtype), np.zeros(C, dtype)
    tx, tw, tb = (mg.tensor(a, requires_grad=True) for a in (x, w, b))
    rm, rv, tgy = mg.zeros(C, dtype=dtype), mg.ones(C, dtype=dtype), mg.tensor(gy)

    def minigrad_run():
        tx.grad = tw.grad = tb.grad = None
        F.batch_norm(tx, rm, rv, tw, tb, training=True).backward(tgy)

    contenders = {"minigrad": minigrad_run, "numpy": lambda: numpy_batch_norm_train(x, w, b, gy)}
    if torch is not None:
        px, pw, pb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
        prm, prv, pgy = torch.zeros(C, dtype=px.dtype), torch.ones(C, dtype=px.dtype), torch.tensor(gy)

        def torch_run():
            px.grad = pw.grad = pb.grad = None
            torch.nn.functional.batch_norm(px, prm, prv, pw, pb, training=True).backward(pgy)

        contenders["torch"] = torch_run
    name = f"batchnorm train fwd+bwd {np.dtype(dtype).name} {shape}"
    return Case(name, contenders, bandwidth_bytes=8 * x.nbytes)


def batch_norm_eval_case(shape, dtype=np.float32):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(dtype)
    C = shape[1]
    w, b, rm, rv = np.ones(C, dtype), np.zeros(C, dtype), np.zeros(C, dtype), np.ones(C, dtype)
    bs = (1, -1) + (1,) * (len(shape) - 2)
    tx, tw, tb, trm, trv = (mg.tensor(a) for a in (x, w, b, rm, rv))

    def numpy_run():
        scale = (w / np.sqrt(rv + EPS)).reshape(bs)
        return (x - rm.reshape(bs)) * scale + b.reshape(bs)

    contenders = {"minigrad": lambda: F.batch_norm(tx, trm, trv, tw, tb, training=False), "numpy": numpy_run}
    if torch is not None:
        px, pw, pb, prm, prv = (torch.tensor(a) for a in (x, w, b, rm, rv))

        def torch_run():
            with torch.no_grad():
                torch.nn.functional.batch_norm(px, prm, prv, pw, pb, training=False)

        contenders["torch"] = torch_run
    return Case(f"batchnorm eval fwd {np.dtype(dtype).name} {shape}", contenders, bandwidth_bytes=2 * x.nbytes)



# ---- LayerNorm ---------------------------------------------------------------------------------------
LN_SHAPES = [(4096, 1024), (256, 768)]
# the d2l / Transformer shapes of issue #21: (rows, D) with D 128-1024, and an image batch normalised
# over its last three dims (C, H, W); with the shapes above, the LayerNorm cases of issue #21
LN_MORE_SHAPES = [((64, 512), 1), ((16384, 128), 1), ((2048, 256), 1), ((32, 16, 28, 28), 3)]


def numpy_layer_norm(x, w, b, gy):
    mean = x.mean(axis=1, keepdims=True)
    xc = x - mean
    invstd = 1 / np.sqrt((xc * xc).mean(axis=1, keepdims=True) + EPS)
    xhat = xc * invstd
    g = gy * w
    gx = invstd * (g - g.mean(axis=1, keepdims=True) - xhat * (g * xhat).mean(axis=1, keepdims=True))
    return xhat * w + b, gx, (gy * xhat).sum(axis=0), gy.sum(axis=0)


def layer_norm_case(shape, normalized_ndim=1, dtype=np.float32):
    """fwd+bwd of LayerNorm over the last ``normalized_ndim`` dims of a ``shape`` batch."""
    rng = np.random.default_rng(0)
    x, gy = rng.standard_normal(shape).astype(dtype), rng.standard_normal(shape).astype(dtype)
    normalized = shape[len(shape) - normalized_ndim:]
    D = int(np.prod(normalized))
    w, b = np.ones(normalized, dtype), np.zeros(normalized, dtype)
    tx, tw, tb, tgy = mg.tensor(x, requires_grad=True), mg.tensor(w, requires_grad=True), \
        mg.tensor(b, requires_grad=True), mg.tensor(gy)

    def minigrad_run():
        tx.grad = tw.grad = tb.grad = None
        F.layer_norm(tx, normalized, tw, tb).backward(tgy)

    def numpy_run():
        return numpy_layer_norm(x.reshape(-1, D), w.reshape(D), b.reshape(D), gy.reshape(-1, D))

    contenders = {"minigrad": minigrad_run, "numpy": numpy_run}
    if torch is not None:
        px, pw, pb, pgy = (torch.tensor(a, requires_grad=r) for a, r in ((x, True), (w, True), (b, True), (gy, False)))

        def torch_run():
            px.grad = pw.grad = pb.grad = None
            torch.nn.functional.layer_norm(px, normalized, pw, pb).backward(pgy)

        contenders["torch"] = torch_run
    over = f" over last {normalized_ndim}" if normalized_ndim > 1 else ""
    return Case(f"layernorm fwd+bwd {np.dtype(dtype).name} {shape}{over}", contenders, bandwidth_bytes=6 * x.nbytes)

# ---- ReLU, sigmoid, tanh, softplus, logsigmoid and Dropout -----------------------------------------
def _activation_case(name, minigrad_fn, numpy_fn, torch_fn, n=1 << 20):
    """fwd+bwd of an activation on n float32 normal samples; numpy_fn(x, gy) returns (y, gx)."""
    x = np.random.default_rng(0).standard_normal(n).astype(np.float32)
    gy = np.ones_like(x)
    tx, tgy = mg.tensor(x, requires_grad=True), mg.tensor(gy)

    def minigrad_run():
        tx.grad = None
        minigrad_fn(tx).backward(tgy)

    contenders = {"minigrad": minigrad_run, "numpy": lambda: numpy_fn(x, gy)}
    if torch is not None:
        px, pgy = torch.tensor(x, requires_grad=True), torch.tensor(gy)

        def torch_run():
            px.grad = None
            torch_fn(px).backward(pgy)

        contenders["torch"] = torch_run
    return Case(f"{name} fwd+bwd float32 {n >> 20}M", contenders)


def relu_case():
    def numpy_relu(x, gy):
        y = np.maximum(x, 0)
        return y, gy * (y > 0)

    return _activation_case("relu", F.relu, numpy_relu, torch and torch.relu)


# sigmoid, tanh, softplus and logsigmoid at 1M and 16M elements (issue #21); the NumPy composites
# are the stable forms that minigrad's kernels compute in one pass
SMOOTH_ACTIVATION_SIZES = [1 << 20, 1 << 24]


def _numpy_sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1, e) / (1 + e)


def _numpy_log1p_exp_negative(x):
    return np.log1p(np.exp(-np.abs(x)))


def _numpy_smooth_activations():
    """{name: (minigrad fn, numpy fn(x, gy) -> (y, gx), torch fn)}."""
    def sigmoid(x, gy):
        y = _numpy_sigmoid(x)
        return y, gy * y * (1 - y)

    def tanh(x, gy):
        y = np.tanh(x)
        return y, gy * (1 - y * y)

    def softplus(x, gy):  # beta 1, threshold 20
        return np.where(x > 20, x, np.maximum(x, 0) + _numpy_log1p_exp_negative(x)), \
            gy * np.where(x > 20, 1, _numpy_sigmoid(x))

    def logsigmoid(x, gy):
        return np.minimum(x, 0) - _numpy_log1p_exp_negative(x), gy * _numpy_sigmoid(-x)

    t = torch.nn.functional if torch is not None else None
    return {"sigmoid": (F.sigmoid, sigmoid, t and t.sigmoid), "tanh": (F.tanh, tanh, t and t.tanh),
            "softplus": (F.softplus, softplus, t and t.softplus),
            "logsigmoid": (F.logsigmoid, logsigmoid, t and t.logsigmoid)}


def smooth_activation_cases():
    return [_activation_case(name, *fns, n=n) for n in SMOOTH_ACTIVATION_SIZES
            for name, fns in _numpy_smooth_activations().items()]


def dropout_case(n=1 << 20, p=0.5):
    x = np.random.default_rng(0).standard_normal(n).astype(np.float32)
    gy = np.ones_like(x)
    rng = np.random.default_rng(1)
    tx, tgy = mg.tensor(x, requires_grad=True), mg.tensor(gy)

    def minigrad_run():
        tx.grad = None
        F.dropout(tx, p).backward(tgy)

    def numpy_run():
        mask = rng.random(n, dtype=np.float32) >= p
        scale = np.float32(1 / (1 - p))
        return x * mask * scale, gy * mask * scale

    contenders = {"minigrad": minigrad_run, "numpy": numpy_run}
    if torch is not None:
        px, pgy = torch.tensor(x, requires_grad=True), torch.tensor(gy)

        def torch_run():
            px.grad = None
            torch.nn.functional.dropout(px, p, training=True).backward(pgy)

        contenders["torch"] = torch_run
    return Case(f"dropout fwd+bwd float32 1M p={p}", contenders)


# ---- SGD and the MLP training step ----------------------------------------------------------------
def mlp_layers(module, inputs, hidden):
    """inputs -> hidden -> hidden -> 10, each hidden layer Linear, BatchNorm1d, ReLU, Dropout(0.2);
    ``module`` is minigrad.nn or torch.nn."""
    m = module
    return m.Sequential(m.Linear(inputs, hidden), m.BatchNorm1d(hidden), m.ReLU(), m.Dropout(0.2),
                        m.Linear(hidden, hidden), m.BatchNorm1d(hidden), m.ReLU(), m.Dropout(0.2),
                        m.Linear(hidden, 10))


def mlp(inputs, hidden, device="cpu"):
    return mlp_layers(nn, inputs, hidden).to(device)


def torch_mlp(inputs, hidden):
    return mlp_layers(torch.nn, inputs, hidden)


def sgd_case(inputs=784, hidden=256):
    model = mlp(inputs, hidden)
    params = list(model.parameters())
    for p in params:
        p.grad = mg.ones(*p.shape)
    opt = optim.SGD(params, lr=0.01, momentum=0.9)
    arrays = [p.detach().numpy().copy() for p in params]
    grads = [np.ones_like(a) for a in arrays]
    buffers = [np.zeros_like(a) for a in arrays]

    def numpy_run():
        for a, g, buf in zip(arrays, grads, buffers):
            buf *= 0.9
            buf += g
            a -= 0.01 * buf

    contenders = {"minigrad": opt.step, "numpy": numpy_run}
    if torch is not None:
        tparams = [torch.tensor(a, requires_grad=True) for a in arrays]
        for p in tparams:
            p.grad = torch.ones_like(p)
        contenders["torch"] = torch.optim.SGD(tparams, lr=0.01, momentum=0.9).step
    return Case(f"sgd momentum step, MLP {inputs}-{hidden}x2-10 params", contenders)


def numpy_adam_step(arrays, grads, moments, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """Adam written with NumPy array operations (what a user would write by hand)."""
    t[0] += 1
    step_size, bias_correction2_sqrt = lr / (1 - beta1 ** t[0]), np.sqrt(1 - beta2 ** t[0])
    for param, grad, (m, v) in zip(arrays, grads, moments):
        m *= beta1
        m += (1 - beta1) * grad
        v *= beta2
        v += (1 - beta2) * grad * grad
        param -= step_size * m / (np.sqrt(v) / bias_correction2_sqrt + eps)


def adam_case(inputs, hidden, torch_fused):
    """Adam steps over an MLP's parameters (float32), against PyTorch's default Adam (the per-tensor
    loop on CPU) or its fused=True kernel."""
    model = mlp(inputs, hidden)
    params = list(model.parameters())
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(p.shape).astype(np.float32) for p in params]
    for p, g in zip(params, grads):
        p.grad = mg.tensor(g)
    opt = optim.Adam(params, lr=1e-3)
    arrays = [p.detach().numpy().copy() for p in params]
    moments = [(np.zeros_like(a), np.zeros_like(a)) for a in arrays]
    step_count = [0]
    contenders = {"minigrad": opt.step, "numpy": lambda: numpy_adam_step(arrays, grads, moments, step_count)}
    if torch is not None:
        tparams = [torch.tensor(a, requires_grad=True) for a in arrays]
        for p, g in zip(tparams, grads):
            p.grad = torch.tensor(g)
        contenders["torch"] = torch.optim.Adam(tparams, lr=1e-3, fused=True if torch_fused else None).step
    count = sum(p.numel() for p in params)
    against = "torch fused" if torch_fused else "torch default"
    # read param, grad, m, v; write param, m, v
    return Case(f"adam step, {count / 1e6:.2f}M params ({inputs}-{hidden}x2-10) vs {against}", contenders,
                bandwidth_bytes=7 * 4 * count)


def numpy_mlp_step(params, x, y, rng, lr=0.01):
    """The same training step written with NumPy arrays: forward, cross-entropy, backward, SGD."""
    (w1, b1, g1, c1, w2, b2, g2, c2, w3, b3), buffers = params
    cache, h = [], x
    for w, b, g, c in ((w1, b1, g1, c1), (w2, b2, g2, c2)):
        z = h @ w.T + b
        mean = z.mean(0)
        zc = z - mean
        invstd = 1 / np.sqrt((zc * zc).mean(0) + EPS)
        zhat = zc * invstd
        a = np.maximum(zhat * g + c, 0)
        mask = (rng.random(a.shape, dtype=np.float32) >= 0.2) * np.float32(1.25)
        cache.append((h, w, zhat, invstd, g, a, mask))
        h = a * mask
    logits = h @ w3.T + b3
    shifted = logits - logits.max(1, keepdims=True)
    p = np.exp(shifted)
    p /= p.sum(1, keepdims=True)
    n = x.shape[0]
    dlogits = p
    dlogits[np.arange(n), y] -= 1
    dlogits /= n
    grads = [None] * 10
    grads[8], grads[9] = dlogits.T @ h, dlogits.sum(0)
    dh = dlogits @ w3
    for layer in (1, 0):
        h_in, w, zhat, invstd, g, a, mask = cache[layer]
        da = dh * mask * (a > 0)
        gc, gg = da.sum(0), (da * zhat).sum(0)
        dz = (g * invstd / n) * (n * da - gc - zhat * gg)
        grads[4 * layer:4 * layer + 4] = [dz.T @ h_in, dz.sum(0), gg, gc]
        dh = dz @ w
    for param, grad, buf in zip(params[0], grads, buffers):
        buf *= 0.9
        buf += grad
        param -= lr * buf


def training_step(cross_entropy, model, optimizer, x, y):
    """One training step as a zero-argument function, written once for both libraries: the
    cross-entropy of model(x) against y, backward, the optimizer's step, gradients cleared."""
    def run():
        loss = cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    return run


def torch_twin(model, twin):
    """``twin``, a torch.nn.Module of ``model``'s structure, given ``model``'s parameters and buffers."""
    twin.load_state_dict({key: torch.tensor(value.detach().numpy()) for key, value in model.state_dict().items()})
    return twin


def step_case(name, build, optimizer, x, y, **settings):
    """A training step (cross-entropy, backward, ``optimizer``) of ``build(module)`` on the batch (x, y),
    for minigrad and for PyTorch from the same initial weights. ``build`` takes minigrad.nn or torch.nn;
    ``optimizer`` names a class that both optim modules have, ``settings`` its arguments. The case
    keeps minigrad's model as ``case.model``. Example: ``step_case("mlp", lambda m: m.Linear(4, 10), "SGD", x, y, lr=0.1)``."""
    mg.manual_seed(0)
    model = build(nn)
    contenders = {"minigrad": training_step(F.cross_entropy, model, getattr(optim, optimizer)(model.parameters(), **settings),
                                            mg.tensor(x), y)}
    if torch is not None:
        twin = torch_twin(model, build(torch.nn))
        contenders["torch"] = training_step(torch.nn.functional.cross_entropy, twin,
                                            getattr(torch.optim, optimizer)(twin.parameters(), **settings),
                                            torch.tensor(x), torch.tensor(y))
    case = Case(name, contenders)
    case.model = model
    return case


def mlp_step_case(batch, inputs, hidden):
    """The MLP of ``mlp`` (BatchNorm, ReLU, Dropout 0.2), SGD with momentum; a NumPy composite too."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, inputs)).astype(np.float32)
    y = rng.integers(0, 10, batch)
    case = step_case(f"mlp train step float32 (batch, in, hidden)={(batch, inputs, hidden)}",
                     lambda module: mlp_layers(module, inputs, hidden), "SGD", x, y, lr=0.01, momentum=0.9)
    arrays = [p.detach().numpy().copy() for p in case.model.parameters()]
    state = (arrays, [np.zeros_like(a) for a in arrays])
    case.contenders["numpy"] = lambda: numpy_mlp_step(state, x, y, rng)
    return case


# ---- Engine overhead -------------------------------------------------------------------------------
def engine_chain_case(length=100):
    """Forward and backward of a chain of ``length`` ops on 1-element tensors: the time is all
    per-op bookkeeping (milliseconds per chain x 10 = microseconds per op for length 100)."""
    def chain(x, a):  # the same code drives both libraries
        x.grad = a.grad = None
        y = x
        for _ in range(length // 2):
            y = y * a + a
        y.backward()

    x, a = np.ones(1, np.float32), np.full(1, 1.0001, np.float32)
    tx, ta = mg.tensor(x, requires_grad=True), mg.tensor(a, requires_grad=True)
    contenders = {"minigrad": lambda: chain(tx, ta)}
    if torch is not None:
        px, pa = torch.tensor(x, requires_grad=True), torch.tensor(a, requires_grad=True)
        contenders["torch"] = lambda: chain(px, pa)
    return Case(f"engine overhead: {length}-op chain fwd+bwd, 1 element", contenders)


def cpu_cases(small=False):
    """small (``--quick``): the cases that have a small size take it."""
    cases = [batch_norm_train_case(shape, dtype) for dtype in (np.float32, np.float64) for shape in BN_SHAPES]
    cases += [batch_norm_eval_case(shape) for shape in BN_SHAPES]
    cases += [layer_norm_case(shape) for shape in LN_SHAPES]
    cases += [layer_norm_case(shape, ndim) for shape, ndim in LN_MORE_SHAPES]
    cases += [relu_case()] + smooth_activation_cases() + [dropout_case(), sgd_case()]
    cases += [adam_case(784, hidden, fused) for hidden in ADAM_HIDDEN for fused in (False, True)]
    cases += [mlp_step_case(*size) for size in MLP_SIZES]
    cases += [engine_chain_case()]
    from .conv import conv_cases  # imports this module's Case

    cases += conv_cases(small)
    from .steps import step_cases

    cases += step_cases(small)
    from .data import data_cases

    cases += data_cases()
    from .attention import attention_cases

    cases += attention_cases(small)

    from .recurrent import recurrent_cases

    cases += recurrent_cases(small)
    return cases
