"""Attention cases: F.scaled_dot_product_attention forward+backward and a TransformerEncoderLayer
training step, minigrad against PyTorch (run by ``python -m bench``).

``python -m bench.attention [--quick] [--repeat N]`` runs only these (``--quick``: small sizes);
``python -m bench.attention --memory [--quick]`` measures the peak memory of one SDPA forward+backward,
each contender in a fresh process: the growth of peak RSS (ru_maxrss) over the inputs, since
tracemalloc does not see torch's allocations."""
from .__main__ import format_row, run_case, set_threads  # set_threads imports minigrad before torch: its passive OpenMP wait reaches torch too

import numpy as np  # noqa: E402

import minigrad as mg  # noqa: E402
import minigrad.functional as F  # noqa: E402
import minigrad.nn as nn  # noqa: E402
import minigrad.optim as optim  # noqa: E402

from .cases import Case, torch, training_step  # noqa: E402

SDPA_SHAPE, SDPA_QUICK = (8, 8, 1024, 64), (2, 4, 256, 32)  # (batch, heads, seq, head dim)
ENCODER, ENCODER_QUICK = (256, 8, 128, 32), (64, 4, 32, 8)  # (d_model, nhead, seq, batch)


def sdpa_case(shape, causal=False):
    rng = np.random.default_rng(0)
    q, k, v, gy = (rng.standard_normal(shape).astype(np.float32) for _ in range(4))
    tensors = [mg.tensor(a, requires_grad=True) for a in (q, k, v)]
    grad = mg.tensor(gy)

    def minigrad_run():
        for t in tensors:
            t.grad = None
        F.scaled_dot_product_attention(*tensors, is_causal=causal).backward(grad)

    contenders = {"minigrad": minigrad_run}
    if torch is not None:
        twins = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
        pgrad = torch.tensor(gy)

        def torch_run():
            for t in twins:
                t.grad = None
            torch.nn.functional.scaled_dot_product_attention(*twins, is_causal=causal).backward(pgrad)

        contenders["torch"] = torch_run
    causal_name = " causal" if causal else ""
    return Case(f"sdpa fwd+bwd f32 (N, H, L, E)={shape}{causal_name}", contenders)


def encoder_layer_step_case(d_model, nhead, seq, batch):
    """One training step (forward, MSE loss, backward, Adam) of a TransformerEncoderLayer (dropout 0.1,
    dim_feedforward 4 * d_model) on batch_first input (batch, seq, d_model); both start from minigrad's
    initial state."""
    rng = np.random.default_rng(0)
    x, target = (rng.standard_normal((batch, seq, d_model)).astype(np.float32) for _ in range(2))
    settings = dict(dim_feedforward=4 * d_model, batch_first=True)
    mg.manual_seed(0)
    layer = nn.TransformerEncoderLayer(d_model, nhead, **settings)
    step = training_step(F.mse_loss, layer, optim.Adam(layer.parameters(), lr=1e-4), mg.tensor(x), mg.tensor(target))
    contenders = {"minigrad": step}
    if torch is not None:
        twin = torch.nn.TransformerEncoderLayer(d_model, nhead, **settings)
        twin.load_state_dict({key: torch.tensor(value.detach().numpy()) for key, value in layer.state_dict().items()})
        contenders["torch"] = training_step(torch.nn.functional.mse_loss, twin, torch.optim.Adam(twin.parameters(), lr=1e-4),
                                            torch.tensor(x), torch.tensor(target))
    return Case(f"TransformerEncoderLayer train step d{d_model} h{nhead} seq {seq} batch {batch}", contenders)


def attention_cases(quick=False):
    return [sdpa_case(SDPA_QUICK if quick else SDPA_SHAPE), encoder_layer_step_case(*(ENCODER_QUICK if quick else ENCODER))]


def _peak_memory_child(contender, quick):
    import resource

    case = sdpa_case(SDPA_QUICK if quick else SDPA_SHAPE)
    run = case.contenders[contender]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    run()
    print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024)


def peak_memory(quick):
    import subprocess
    import sys

    shape = SDPA_QUICK if quick else SDPA_SHAPE
    print(f"peak memory of one sdpa fwd+bwd, float32 (N, H, L, E)={shape} (q, k, v, grad: "
          f"{4 * np.prod(shape) * 4 / 2 ** 20:.0f} MiB), MiB of peak RSS above the inputs:")
    for contender in ("minigrad", "torch"):
        command = [sys.executable, "-m", "bench.attention", "--memory-child", contender] + (["--quick"] if quick else [])
        out = subprocess.run(command, capture_output=True, text=True)
        print(f"  {contender:<9} {out.stdout.strip() or out.stderr.strip()[-200:]}")


def main():
    import argparse

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes")
    parser.add_argument("--memory", action="store_true", help="peak memory instead of time")
    parser.add_argument("--memory-child", help=argparse.SUPPRESS)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if args.memory_child:
        return _peak_memory_child(args.memory_child, args.quick)
    if args.memory:
        return peak_memory(args.quick)
    import os

    set_threads(args.threads or os.cpu_count())
    for case in attention_cases(args.quick):
        print(format_row(case.name, run_case(case, args.repeat, warmup=1), None), flush=True)


if __name__ == "__main__":
    main()
