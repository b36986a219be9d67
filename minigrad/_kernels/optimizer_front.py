"""The optimizer kernels' front, written once for both devices: each function checks its arrays,
computes the step's coefficients in double (PyTorch's formulas), runs the device's loop on
C-contiguous arrays and writes the in-place results back into arrays of any other strides.

``loops`` is the device's loop module (``optimizers`` on the CPU, the CUDA launches on the GPU) and
``xp`` its array module; ``cpu.py`` and ``cuda.py`` bind them.
"""
import math

from ._checks import check_optimizer_arrays, check_step


def _run_in_place(xp, loop, param, grad, states, scalars):
    """loop(param, grad, *states, *scalars) on C-contiguous arrays. A None state is unused by the
    loop's configuration and gets a stand-in it never reads or writes. Arrays that had to be copied
    to be contiguous get the loop's results copied back."""
    updated = [param, *states]
    work = [None if a is None else xp.ascontiguousarray(a) for a in updated]
    loop(work[0], xp.ascontiguousarray(grad), *[work[0] if a is None else a for a in work[1:]], *scalars)
    for original, result in zip(updated, work):
        if original is not None and result is not original:
            original[...] = result


def adam_step(loops, xp, param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, lr, beta1, beta2, eps,
              weight_decay, step, amsgrad, maximize, decoupled_weight_decay):
    """Adam step number ``step`` (from 1; AdamW when ``decoupled_weight_decay``), in place on param
    (any shape), exp_avg, exp_avg_sq and, with amsgrad, max_exp_avg_sq (None otherwise)."""
    check_optimizer_arrays(param, grad, {"exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq,
                                         "max_exp_avg_sq": max_exp_avg_sq},
                           required=("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if amsgrad else ()))
    check_step(step)
    step_size = lr / (1 - beta1 ** step)
    bias_correction2_sqrt = math.sqrt(1 - beta2 ** step)
    _run_in_place(xp, loops.adam_step, param, grad, [exp_avg, exp_avg_sq, max_exp_avg_sq if amsgrad else None],
                  (lr, beta1, beta2, eps, weight_decay, step_size, bias_correction2_sqrt, bool(amsgrad),
                   bool(maximize), bool(decoupled_weight_decay)))


def rmsprop_step(loops, xp, param, grad, square_avg, grad_avg, momentum_buffer, lr, alpha, eps, weight_decay,
                 momentum, centered, maximize):
    """RMSprop step in place on param, square_avg, grad_avg (when ``centered``, else None) and
    momentum_buffer (when momentum > 0, else None)."""
    check_optimizer_arrays(param, grad, {"square_avg": square_avg, "grad_avg": grad_avg,
                                         "momentum_buffer": momentum_buffer},
                           required=("square_avg",) + (("grad_avg",) if centered else ())
                           + (("momentum_buffer",) if momentum > 0 else ()))
    _run_in_place(xp, loops.rmsprop_step, param, grad,
                  [square_avg, grad_avg if centered else None, momentum_buffer if momentum > 0 else None],
                  (lr, alpha, eps, weight_decay, momentum, bool(centered), bool(maximize)))


def adagrad_step(loops, xp, param, grad, state_sum, lr, lr_decay, weight_decay, eps, step, maximize):
    """Adagrad step number ``step`` (from 1) in place on param and state_sum."""
    check_optimizer_arrays(param, grad, {"state_sum": state_sum}, required=("state_sum",))
    check_step(step)
    clr = lr / (1 + (step - 1) * lr_decay)
    _run_in_place(xp, loops.adagrad_step, param, grad, [state_sum], (clr, eps, weight_decay, bool(maximize)))


def adadelta_step(loops, xp, param, grad, square_avg, acc_delta, lr, rho, eps, weight_decay, maximize):
    """Adadelta step in place on param, square_avg and acc_delta."""
    check_optimizer_arrays(param, grad, {"square_avg": square_avg, "acc_delta": acc_delta},
                           required=("square_avg", "acc_delta"))
    _run_in_place(xp, loops.adadelta_step, param, grad, [square_avg, acc_delta],
                  (lr, rho, eps, weight_decay, bool(maximize)))
