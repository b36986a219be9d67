"""GPU section: BatchNorm forward+backward and the MLP training step on CUDA, against a CuPy
composite of the same math and PyTorch CUDA when importable. Every timed call ends with a device
synchronisation so kernel time is counted."""
import numpy as np

import minigrad as mg
import minigrad.functional as F
import minigrad.optim as optim

from .cases import BN_SHAPES, MLP_SIZES, Case, mlp, numpy_batch_norm_train, torch, torch_mlp


def _synchronized(fn, sync):
    def run():
        fn()
        sync()

    return run


# ``--quick``: sizes that run in seconds on the CPU emulation of CuPy (every case's code path, no timing)
SMALL_BN_SHAPES = [(32, 16), (4, 8, 5, 5)]
SMALL_MLP_SIZES = [(16, 32, 24)]


def gpu_cases(small=False):
    """The GPU cases at the benchmark's sizes, or at ``SMALL_*`` sizes when ``small``."""
    bn_shapes, mlp_sizes = (SMALL_BN_SHAPES, SMALL_MLP_SIZES) if small else (BN_SHAPES, MLP_SIZES)
    reason = mg.cuda.unavailable_reason()
    if reason:
        raise SystemExit(f"the GPU section needs CUDA: {reason}")
    import cupy as cp

    sync = cp.cuda.Device().synchronize
    has_torch_cuda = torch is not None and torch.cuda.is_available()
    cases = []
    for dtype in (np.float32, np.float64):
        for shape in bn_shapes:
            rng = np.random.default_rng(0)
            x, gy = (rng.standard_normal(shape).astype(dtype) for _ in range(2))
            C = shape[1]
            w, b = np.ones(C, dtype), np.zeros(C, dtype)
            tx, tw, tb = (mg.tensor(a, requires_grad=True, device="cuda") for a in (x, w, b))
            rm, rv = mg.zeros(C, dtype=dtype, device="cuda"), mg.ones(C, dtype=dtype, device="cuda")
            tgy = mg.tensor(gy, device="cuda")

            def minigrad_run(tx=tx, tw=tw, tb=tb, rm=rm, rv=rv, tgy=tgy):
                tx.grad = tw.grad = tb.grad = None
                F.batch_norm(tx, rm, rv, tw, tb, training=True).backward(tgy)

            cx, cw, cb, cgy = (cp.asarray(a) for a in (x, w, b, gy))
            contenders = {"minigrad": _synchronized(minigrad_run, sync),
                          "numpy": _synchronized(lambda cx=cx, cw=cw, cb=cb, cgy=cgy: numpy_batch_norm_train(cx, cw, cb, cgy), sync)}
            if has_torch_cuda:
                px, pw, pb = (torch.tensor(a, device="cuda", requires_grad=True) for a in (x, w, b))
                prm, prv = torch.zeros(C, dtype=px.dtype, device="cuda"), torch.ones(C, dtype=px.dtype, device="cuda")
                pgy = torch.tensor(gy, device="cuda")

                def torch_run(px=px, pw=pw, pb=pb, prm=prm, prv=prv, pgy=pgy):
                    px.grad = pw.grad = pb.grad = None
                    torch.nn.functional.batch_norm(px, prm, prv, pw, pb, training=True).backward(pgy)

                contenders["torch"] = _synchronized(torch_run, torch.cuda.synchronize)
            cases.append(Case(f"cuda batchnorm train fwd+bwd {np.dtype(dtype).name} {shape} (numpy=cupy)", contenders))
    for batch, inputs, hidden in mlp_sizes:
        rng = np.random.default_rng(0)
        x, y = rng.standard_normal((batch, inputs)).astype(np.float32), rng.integers(0, 10, batch)
        model = mlp(inputs, hidden, device="cuda")
        opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        tx, ty = mg.tensor(x, device="cuda"), cp.asarray(y)

        def minigrad_step(model=model, opt=opt, tx=tx, ty=ty):
            F.cross_entropy(model(tx), ty).backward()
            opt.step()
            opt.zero_grad()

        contenders = {"minigrad": _synchronized(minigrad_step, sync)}
        if has_torch_cuda:
            tmodel = torch_mlp(inputs, hidden).cuda()
            topt = torch.optim.SGD(tmodel.parameters(), lr=0.01, momentum=0.9)
            px, py = torch.tensor(x, device="cuda"), torch.tensor(y, device="cuda")

            def torch_step(tmodel=tmodel, topt=topt, px=px, py=py):
                torch.nn.functional.cross_entropy(tmodel(px), py).backward()
                topt.step()
                topt.zero_grad()

            contenders["torch"] = _synchronized(torch_step, torch.cuda.synchronize)
        cases.append(Case(f"cuda mlp train step float32 (batch, in, hidden)={(batch, inputs, hidden)}", contenders))
    return cases
