"""Convolution, pooling and LeNet-BatchNorm cases: minigrad, a NumPy im2col composite (the way
Chainer and DeZero do it: a strided copy per kernel tap, tensordot, and the adjoint scatter), and
PyTorch (run by ``python -m bench``). ``python -m bench.conv`` measures peak memory (see peak_memory),
``python -m bench.conv --rate`` each convolution's GFLOP/s beside the machine's GEMM rate (see conv_rates)."""
import numpy as np

import minigrad as mg
import minigrad.functional as F

from .cases import Case, step_case, torch

# (N, C, H, W), out_channels, kernel, stride, padding
CONV_SHAPES = [((256, 1, 28, 28), 6, 5, 1, 0), ((256, 6, 12, 12), 16, 5, 1, 0), ((32, 64, 56, 56), 64, 3, 1, 1),
               ((64, 128, 28, 28), 128, 3, 1, 1), ((32, 64, 56, 56), 128, 3, 2, 1)]


def numpy_im2col(x, k, stride, pad):
    N, C, H, W = x.shape
    out_h, out_w = (H + 2 * pad - k) // stride + 1, (W + 2 * pad - k) // stride + 1
    xp = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    cols = np.empty((N, C, k, k, out_h, out_w), dtype=x.dtype)
    for i in range(k):
        for j in range(k):
            cols[:, :, i, j] = xp[:, :, i:i + stride * out_h:stride, j:j + stride * out_w:stride]
    return cols


def numpy_col2im(cols, x_shape, k, stride, pad):
    N, C, H, W = x_shape
    out_h, out_w = cols.shape[4:]
    gxp = np.zeros((N, C, H + 2 * pad + stride - 1, W + 2 * pad + stride - 1), dtype=cols.dtype)
    for i in range(k):
        for j in range(k):
            gxp[:, :, i:i + stride * out_h:stride, j:j + stride * out_w:stride] += cols[:, :, i, j]
    return gxp[:, :, pad:pad + H, pad:pad + W]


def numpy_conv_fwd_bwd(x, w, b, gy, stride, pad):
    k = w.shape[2]
    cols = numpy_im2col(x, k, stride, pad)
    y = np.tensordot(cols, w, ((1, 2, 3), (1, 2, 3))).transpose(0, 3, 1, 2) + b.reshape(1, -1, 1, 1)
    gw = np.tensordot(gy, cols, ((0, 2, 3), (0, 4, 5)))
    gcols = np.tensordot(w, gy, (0, 1)).transpose(3, 0, 1, 2, 4, 5)
    return y, numpy_col2im(gcols, x.shape, k, stride, pad), gw, gy.sum(axis=(0, 2, 3))


def conv_case(x_shape, out_channels, k, stride, pad, dtype=np.float32):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = (rng.standard_normal((out_channels, x_shape[1], k, k)) * 0.1).astype(dtype)
    b = rng.standard_normal(out_channels).astype(dtype)
    out = [(s + 2 * pad - k) // stride + 1 for s in x_shape[2:]]
    gy = rng.standard_normal((x_shape[0], out_channels, *out)).astype(dtype)
    tx, tw, tb = (mg.tensor(a, requires_grad=True) for a in (x, w, b))
    tgy = mg.tensor(gy)

    def minigrad_run():
        tx.grad = tw.grad = tb.grad = None
        F.conv2d(tx, tw, tb, stride, pad).backward(tgy)

    contenders = {"minigrad": minigrad_run, "numpy": lambda: numpy_conv_fwd_bwd(x, w, b, gy, stride, pad)}
    if torch is not None:
        px, pw, pb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
        pgy = torch.tensor(gy)

        def torch_run():
            px.grad = pw.grad = pb.grad = None
            torch.nn.functional.conv2d(px, pw, pb, stride, pad).backward(pgy)

        contenders["torch"] = torch_run
    return Case(f"conv2d fwd+bwd f32 {x_shape}->{out_channels} k{k} s{stride} p{pad}", contenders)


def max_pool_case(shape=(64, 64, 56, 56), dtype=np.float32):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(dtype)
    gy = rng.standard_normal(shape[:2] + (shape[2] // 2, shape[3] // 2)).astype(dtype)
    tx, tgy = mg.tensor(x, requires_grad=True), mg.tensor(gy)

    def minigrad_run():
        tx.grad = None
        F.max_pool2d(tx, 2).backward(tgy)

    def numpy_run():
        N, C, H, W = shape
        windows = x.reshape(N, C, H // 2, 2, W // 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(N, C, H // 2, W // 2, 4)
        arg = windows.argmax(axis=-1)
        y = np.take_along_axis(windows, arg[..., None], -1)[..., 0]
        g = np.zeros_like(windows)
        np.put_along_axis(g, arg[..., None], gy[..., None], -1)
        return y, g.reshape(N, C, H // 2, W // 2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(shape)

    contenders = {"minigrad": minigrad_run, "numpy": numpy_run}
    if torch is not None:
        px, pgy = torch.tensor(x, requires_grad=True), torch.tensor(gy)

        def torch_run():
            px.grad = None
            torch.nn.functional.max_pool2d(px, 2).backward(pgy)

        contenders["torch"] = torch_run
    return Case(f"max_pool2d 2x2 fwd+bwd f32 {shape}", contenders)


def lenet(module, batch_norm=True, activation="ReLU", pool="MaxPool2d", hidden=(120,)):
    """LeNet-5 for 28x28 input, BatchNorm after each convolution and each hidden Linear layer;
    ``module`` is minigrad.nn or torch.nn. d2l's BN-LeNet is ``lenet(module, **D2L_LENET)``."""
    def block(layer, norm, n):
        return [layer, *([getattr(module, norm)(n)] if batch_norm else []), getattr(module, activation)()]
    widths = (256,) + tuple(hidden)
    head = [layer for n_in, n_out in zip(widths, widths[1:]) for layer in block(module.Linear(n_in, n_out), "BatchNorm1d", n_out)]
    return module.Sequential(
        *block(module.Conv2d(1, 6, 5), "BatchNorm2d", 6), getattr(module, pool)(2),
        *block(module.Conv2d(6, 16, 5), "BatchNorm2d", 16), getattr(module, pool)(2), module.Flatten(),
        *head, module.Linear(widths[-1], 10))


# d2l.ai's "Batch Normalization" LeNet: sigmoid and average pooling, two hidden layers (120, 84)
D2L_LENET = dict(activation="Sigmoid", pool="AvgPool2d", hidden=(120, 84))


def lenet_step_case(batch=256, **variant):
    """A LeNet-BN training step (SGD with momentum) on (batch, 1, 28, 28); ``variant``: lenet's options."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, batch)
    kind = "d2l LeNet-BN (sigmoid, avg-pool)" if variant else "LeNet-BN"
    return step_case(f"{kind} train step f32 batch {batch} 28x28, SGD momentum",
                     lambda module: lenet(module, **variant), "SGD", x, y, lr=0.1, momentum=0.9)


# DCGAN's generator (nz=100, ngf=64): the latent (N, 100, 1, 1) -> 512x4x4 (kernel 4, stride 1, padding 0),
# then kernel 4, stride 2, padding 1 up to 3x64x64; no bias (DCGAN's BatchNorm follows each layer)
DCGAN_CHANNELS = [100, 512, 256, 128, 64, 3]


def dcgan_generator_case(batch=64):
    """The generator's five transposed convolutions alone (no BatchNorm/ReLU between them), forward
    and backward: the gradients of the latent and of every weight."""
    rng = np.random.default_rng(0)
    z = rng.standard_normal((batch, DCGAN_CHANNELS[0], 1, 1)).astype(np.float32)
    weights = [(rng.standard_normal((c_in, c_out, 4, 4)) * 0.02).astype(np.float32)
               for c_in, c_out in zip(DCGAN_CHANNELS, DCGAN_CHANNELS[1:])]
    gy = rng.standard_normal((batch, 3, 64, 64)).astype(np.float32)

    def runner(conv_transpose2d, leaf, tensor):
        leaves = [leaf(a) for a in [z] + weights]
        upstream = tensor(gy)

        def run():
            for t in leaves:
                t.grad = None
            x = leaves[0]
            for i, w in enumerate(leaves[1:]):
                x = conv_transpose2d(x, w, None, *((1, 0) if i == 0 else (2, 1)))
            x.backward(upstream)
        return run

    contenders = {"minigrad": runner(F.conv_transpose2d, lambda a: mg.tensor(a, requires_grad=True), mg.tensor)}
    if torch is not None:
        contenders["torch"] = runner(torch.nn.functional.conv_transpose2d,
                                     lambda a: torch.tensor(a, requires_grad=True), torch.tensor)
    return Case(f"DCGAN generator conv_transpose2d x5 fwd+bwd f32 batch {batch}", contenders)


def conv_cases(small=False):
    """small: the DCGAN case at batch 8 (``--quick``). The LeNet steps are in bench/steps.py."""
    return [conv_case(*shape) for shape in CONV_SHAPES] + [max_pool_case(), dcgan_generator_case(8 if small else 64)]



# ---- peak memory -----------------------------------------------------------------------------------
MEMORY_CASE = ((64, 64, 56, 56), 64, 3, 1, 1)


def _peak_memory_child(contender):
    """Peak resident memory (MiB) that one Conv2d fwd+bwd adds on top of its inputs, in this process."""
    import resource

    (shape, out_channels, k, stride, pad) = MEMORY_CASE
    case = conv_case(shape, out_channels, k, stride, pad)
    run = case.contenders[contender]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    run()
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print((after - before) / 1024)


def peak_memory():
    """Each contender in a fresh process (peak RSS cannot be reset): MiB above the inputs."""
    import subprocess
    import sys

    shape, out_channels, k, stride, pad = MEMORY_CASE
    x_mib = np.prod(shape) * 4 / 2 ** 20
    print(f"peak memory of one Conv2d fwd+bwd, float32 {shape}->{out_channels} k{k} p{pad} "
          f"(input {x_mib:.0f} MiB), MiB above the inputs:")
    for contender in ("minigrad", "numpy", "torch"):
        out = subprocess.run([sys.executable, "-m", "bench.conv", "--memory-child", contender],
                             capture_output=True, text=True)
        print(f"  {contender:<9} {out.stdout.strip() or out.stderr.strip()[-200:]}")


# ---- GFLOP/s against the machine's GEMM rate ------------------------------------------------------------
# ResNet-14's convolutions (batch 64, 32x32 images) and LeNet's second one: (N, C, H, W), O, kernel, stride,
# padding; with CONV_SHAPES after them
RESNET_CONV_SHAPES = [((64, 3, 32, 32), 16, 3, 1, 1), ((64, 16, 32, 32), 16, 3, 1, 1), ((64, 16, 32, 32), 32, 3, 2, 1),
                      ((64, 32, 16, 16), 32, 3, 1, 1), ((64, 32, 16, 16), 64, 3, 2, 1), ((64, 64, 8, 8), 64, 3, 1, 1)]


def _best_ms(run, repeats=5):
    import time

    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times) * 1e3


def sgemm_rate(n=1024):
    """GFLOP/s of one float32 (n, n) @ (n, n) product on the calling thread."""
    a, b = np.ones((n, n), np.float32), np.ones((n, n), np.float32)
    return 2 * n ** 3 / _best_ms(lambda: a @ b) / 1e6


def conv_rates():
    """Each convolution's forward and backward (both gradients: twice the forward's multiply-adds)
    GFLOP/s at one thread, for minigrad and torch, beside the one-thread sgemm rate of this run."""
    threads = mg.get_num_threads()
    mg.set_num_threads(1)
    if torch is not None:
        torch.set_num_threads(1)
    try:
        print(f"one-thread sgemm (1024^3): {sgemm_rate():.1f} GFLOP/s; convolutions, float32, GFLOP/s "
              f"(forward / backward):")
        for x_shape, out_channels, k, stride, pad in RESNET_CONV_SHAPES + CONV_SHAPES:
            rng = np.random.default_rng(0)
            x = rng.standard_normal(x_shape).astype(np.float32)
            w = (rng.standard_normal((out_channels, x_shape[1], k, k)) * 0.1).astype(np.float32)
            y_shape = F.conv2d(mg.tensor(x[:1]), mg.tensor(w), None, stride, pad).shape[1:]
            gy = rng.standard_normal((x_shape[0],) + y_shape).astype(np.float32)
            gflop = 2 * x_shape[0] * np.prod(y_shape) * x_shape[1] * k * k / 1e9
            line = f"  {str(x_shape):<18} -> {out_channels:<3} k{k} s{stride}"
            libraries = [("minigrad", mg, F.conv2d)] + ([("torch", torch, torch.nn.functional.conv2d)] if torch else [])
            for name, lib, conv2d in libraries:
                tx, tw, tgy = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True), lib.tensor(gy)

                def forward():
                    with lib.no_grad():
                        conv2d(tx, tw, None, stride, pad)

                forward_ms = _best_ms(forward)
                both_ms = _best_ms(lambda: conv2d(tx, tw, None, stride, pad).backward(tgy))
                backward_ms = max(both_ms - forward_ms, 1e-6)
                line += f"   {name} {gflop / forward_ms * 1e3:5.1f} / {2 * gflop / backward_ms * 1e3:5.1f}"
            print(line, flush=True)
    finally:
        mg.set_num_threads(threads)


if __name__ == "__main__":
    import sys

    if "--memory-child" in sys.argv:
        _peak_memory_child(sys.argv[sys.argv.index("--memory-child") + 1])
    elif "--rate" in sys.argv:
        conv_rates()
    else:
        peak_memory()
