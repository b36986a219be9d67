import numpy as np
import pytest

from minigrad._kernels import cpu


def reference_sgd(p, g, buf, lr, momentum, dampening, wd, nesterov, maximize, first):
    d = -g if maximize else g.copy()
    d = d + wd * p
    if momentum:
        buf = d.copy() if first else momentum * buf + (1 - dampening) * d
        d = d + momentum * buf if nesterov else buf
    return p - lr * d, buf


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("options", [
    dict(momentum=0, dampening=0, wd=0, nesterov=False, maximize=False),
    dict(momentum=0.9, dampening=0, wd=0.01, nesterov=True, maximize=False),
    dict(momentum=0.8, dampening=0.3, wd=0, nesterov=False, maximize=True),
])
def test_sgd_step_equals_the_numpy_rule_over_several_steps(dtype, options, rng):
    p = rng.standard_normal(200_001).astype(dtype)
    buf = np.empty_like(p) if options["momentum"] else None
    ref_p, ref_buf = p.astype(np.float64), None
    for step in range(3):
        g = rng.standard_normal(p.shape).astype(dtype)
        cpu.sgd_step(p, g, buf, 0.1, options["momentum"], options["dampening"], options["wd"],
                     options["nesterov"], options["maximize"], step == 0)
        ref_p, ref_buf = reference_sgd(ref_p, g.astype(np.float64), ref_buf, 0.1, options["momentum"],
                                       options["dampening"], options["wd"], options["nesterov"],
                                       options["maximize"], step == 0)
    np.testing.assert_allclose(p, ref_p, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-6)


def test_sgd_step_refuses_wrong_input():
    p = np.ones(3)
    with pytest.raises(ValueError, match="grad has shape \\(2,\\), expected \\(3,\\)"):
        cpu.sgd_step(p, np.ones(2), None, 0.1, 0, 0, 0, False, False, True)
    with pytest.raises(TypeError, match="grad has dtype float32, but param has float64"):
        cpu.sgd_step(p, np.ones(3, np.float32), None, 0.1, 0, 0, 0, False, False, True)
    with pytest.raises(ValueError, match="momentum_buffer is required"):
        cpu.sgd_step(p, np.ones(3), None, 0.1, 0.9, 0, 0, False, False, True)
    # a buffer given with momentum 0 is checked too (the loop would take it as given)
    with pytest.raises(TypeError, match="momentum_buffer has dtype float32, but param has float64"):
        cpu.sgd_step(p, np.ones(3), np.zeros(3, np.float32), 0.1, 0, 0, 0, False, False, True)
    with pytest.raises(ValueError, match=r"momentum_buffer has shape \(2,\), expected \(3,\)"):
        cpu.sgd_step(p, np.ones(3), np.zeros(2), 0.1, 0, 0, 0, False, False, True)
