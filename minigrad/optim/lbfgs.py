"""L-BFGS (PyTorch's torch.optim.LBFGS: its algorithm, defaults and closure API), in NumPy (CuPy on the
GPU) on the flat vector of all parameters: its work is a few dot products per iteration, not an
elementwise pass worth a kernel."""
import numpy as np

from .. import _args, backend
from ..tensor import Tensor
from .optimizer import Optimizer

LINE_SEARCHES = (None, "strong_wolfe")


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimizer of the cubic through (x1, f1) and (x2, f2) with slopes g1, g2, clamped to
    ``bounds`` (default: between x1 and x2); their midpoint when the cubic has no minimum."""
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 ** 2 - g1 * g2
    if d2_square >= 0:
        d2 = d2_square ** 0.5
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


class _Bracket:
    """The line search's interval: step sizes with their losses, gradients and slopes."""

    def __init__(self, steps, losses, grads, slopes):
        self.t, self.f, self.g, self.gtd = steps, losses, grads, slopes

    def set(self, i, t, f, g, gtd):
        self.t[i], self.f[i], self.g[i], self.gtd[i] = t, f, g, gtd


def _strong_wolfe(obj_func, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """PyTorch's strong-Wolfe line search along d from step size t (loss f, flat gradient g, slope
    gtd = g.d at 0): (loss, gradient, step size, evaluations) of the step it settles on."""
    d_norm = abs(d).max()
    g = g.copy()
    f_new, g_new = obj_func(t, d)
    ls_func_evals = 1
    gtd_new = g_new.dot(d)
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    bracket = None
    while ls_iter < max_ls:
        # bracketing phase: find an interval holding a point that satisfies the conditions
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket = _Bracket([t_prev, t], [f_prev, f_new], [g_prev, g_new.copy()], [gtd_prev, gtd_new])
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket = _Bracket([t], [f_new], [g_new], [gtd_new])
            done = True
            break
        if gtd_new >= 0:
            bracket = _Bracket([t_prev, t], [f_prev, f_new], [g_prev, g_new.copy()], [gtd_prev, gtd_new])
            break
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step))
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new.copy(), gtd_new
        f_new, g_new = obj_func(t, d)
        ls_func_evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1
    if ls_iter == max_ls:  # reached the evaluation budget: the interval from 0
        bracket = _Bracket([0, t], [f, f_new], [g, g_new], [None, None])

    # zoom phase: shrink the interval until a point satisfies the conditions
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket.f[0] <= bracket.f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket.t[1] - bracket.t[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(bracket.t[0], bracket.f[0], bracket.gtd[0], bracket.t[1], bracket.f[1],
                               bracket.gtd[1])
        # a point too close to an end of the interval moves to 10% inside it
        high, low = max(bracket.t), min(bracket.t)
        eps = 0.1 * (high - low)
        if min(high - t, t - low) < eps:
            if insuf_progress or t >= high or t <= low:
                t = high - eps if abs(t - high) < abs(t - low) else low + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = obj_func(t, d)
        ls_func_evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= bracket.f[low_pos]:
            bracket.set(high_pos, t, f_new, g_new.copy(), gtd_new)
            low_pos, high_pos = (0, 1) if bracket.f[0] <= bracket.f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket.t[high_pos] - bracket.t[low_pos]) >= 0:
                bracket.set(high_pos, bracket.t[low_pos], bracket.f[low_pos], bracket.g[low_pos],
                            bracket.gtd[low_pos])
            bracket.set(low_pos, t, f_new, g_new.copy(), gtd_new)
    return bracket.f[low_pos], bracket.g[low_pos], bracket.t[low_pos], ls_func_evals


class LBFGS(Optimizer):
    """L-BFGS with PyTorch's algorithm (after minFunc) and defaults. One parameter group only;
    ``step(closure)`` needs a closure that zeroes the gradients, computes the loss, calls backward
    and returns the loss; it runs up to ``max_iter`` iterations (``max_eval`` closure calls, default
    max_iter * 5 // 4) and returns the closure's first loss. ``line_search_fn="strong_wolfe"`` picks
    each step size by a strong-Wolfe line search, None takes ``lr``. The state (of the first
    parameter, as in PyTorch): ``func_evals``, ``n_iter``, and after a step ``d``, ``t``,
    ``old_dirs``, ``old_stps``, ``ro``, ``H_diag``, ``prev_flat_grad``, ``prev_loss``, ``al``
    (arrays over all parameters' elements, flattened in order).

    Example::

        opt = optim.LBFGS(model.parameters(), line_search_fn="strong_wolfe")
        def closure():
            opt.zero_grad()
            loss = F.mse_loss(model(x), y)
            loss.backward()
            return loss
        opt.step(closure)
    """

    state_names = ("func_evals", "n_iter", "d", "t", "old_dirs", "old_stps", "ro", "H_diag", "prev_flat_grad",
                   "prev_loss", "al")

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7, tolerance_change=1e-9,
                 history_size=100, line_search_fn=None):
        if max_eval is None and _args.is_int(max_iter):
            max_eval = max_iter * 5 // 4
        super().__init__(params, dict(lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
                                      tolerance_change=tolerance_change, history_size=history_size,
                                      line_search_fn=line_search_fn))
        self._params = self.param_groups[0]["params"]

    def add_param_group(self, group):
        if self.param_groups:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups): it takes one group")
        super().add_param_group(group)

    def _check_hyperparameters(self, group):
        name = type(self).__name__
        _args.real(group["lr"], f"{name}: lr", 0)
        for key in ("tolerance_grad", "tolerance_change"):
            _args.real(group[key], f"{name}: {key}", 0)
        for key in ("max_iter", "max_eval", "history_size"):
            _args.positive_int(group[key], f"{name}: {key}")
        if group["line_search_fn"] not in LINE_SEARCHES:
            raise ValueError(f"{name}: line_search_fn must be None or 'strong_wolfe', got {group['line_search_fn']!r}")
        params = group["params"]
        if len({(p.dtype, p.device) for p in params}) > 1:
            raise ValueError(f"{name} needs all parameters in one dtype on one device, got "
                             f"{sorted({f'{p.dtype} on {p.device}' for p in params})}")

    # ---- the flat parameter vector -----------------------------------------------------------------
    def _gather_flat_grad(self):
        xp = backend.array_module(self._params[0]._data)
        return xp.concatenate([xp.zeros(p.numel(), p._data.dtype) if p.grad is None else p.grad._data.reshape(-1)
                               for p in self._params])

    def _add_grad(self, step_size, update):
        """Every parameter += step_size * its part of the flat ``update``."""
        step_size, offset = float(step_size), 0  # a Python float keeps float32 parameters' arithmetic in float32
        for p in self._params:
            numel = p.numel()
            p._data += step_size * update[offset:offset + numel].reshape(p.shape)
            p._bump_version()
            offset += numel

    def _set_param(self, arrays):
        for p, array in zip(self._params, arrays):
            p._data[...] = array
            p._bump_version()

    def _directional_evaluate(self, closure, x, t, d):
        """(loss, flat gradient) at the parameters x + t d; the parameters are left at x."""
        self._add_grad(t, d)
        loss = float(closure())
        flat_grad = self._gather_flat_grad()
        self._set_param(x)
        return loss, flat_grad

    def step(self, closure=None):
        """Up to ``max_iter`` L-BFGS iterations; returns the loss of the closure's first call."""
        if closure is None:
            raise TypeError("LBFGS.step needs a closure that re-evaluates the model and returns the loss: "
                            "step(closure)")
        group = self.param_groups[0]
        lr, max_iter, max_eval = float(group["lr"]), group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        line_search_fn, history_size = group["line_search_fn"], group["history_size"]

        state = self.state.setdefault(self._params[0], {})
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = closure()
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        if abs(flat_grad).max() <= tolerance_grad:  # already at a stationary point
            return orig_loss

        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        H_diag, prev_flat_grad, prev_loss = state.get("H_diag"), state.get("prev_flat_grad"), state.get("prev_loss")
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro, H_diag = [], [], [], 1
            else:
                # update the curvature pairs (kept while y.s stays positive)
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = y.dot(s)
                if ys > 1e-10:
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / y.dot(y)
                # the two-loop recursion: d = -H g with the inverse Hessian estimate H
                num_old = len(old_dirs)
                if "al" not in state:
                    state["al"] = [None] * history_size
                al = state["al"]
                q = -flat_grad
                for i in range(num_old - 1, -1, -1):
                    al[i] = old_stps[i].dot(q) * ro[i]
                    q += -al[i] * old_dirs[i]
                d = r = q * H_diag
                for i in range(num_old):
                    be_i = old_dirs[i].dot(r) * ro[i]
                    r += (al[i] - be_i) * old_stps[i]
            prev_flat_grad = flat_grad.copy()
            prev_loss = loss
            # the first iteration's step is at most 1 / |g|_1, later ones lr
            t = min(1.0, 1.0 / abs(flat_grad).sum()) * lr if state["n_iter"] == 1 else lr
            gtd = flat_grad.dot(d)
            if gtd > -tolerance_change:  # not a descent direction any more
                break

            ls_func_evals = 0
            if line_search_fn is not None:
                x_init = [p._data.copy() for p in self._params]
                loss, flat_grad, t, ls_func_evals = _strong_wolfe(
                    lambda step, direction: self._directional_evaluate(closure, x_init, step, direction),
                    t, d, loss, flat_grad, gtd, max_ls=max_eval - current_evals)
                self._add_grad(t, d)
                opt_cond = abs(flat_grad).max() <= tolerance_grad
            else:
                self._add_grad(t, d)
                if n_iter != max_iter:  # the last iteration's loss is the next step's first
                    loss = float(closure())
                    flat_grad = self._gather_flat_grad()
                    opt_cond = abs(flat_grad).max() <= tolerance_grad
                    ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals

            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if abs(d * t).max() <= tolerance_change or abs(loss - prev_loss) < tolerance_change:
                break  # no progress in the parameters or the loss

        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=H_diag,
                     prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        return orig_loss

    # ---- state_dict: flat vectors and lists of them ------------------------------------------------
    def state_dict(self):
        saved = super().state_dict()
        for state in saved["state"].values():
            for name, value in state.items():
                if isinstance(value, list):
                    state[name] = [item.copy() if hasattr(item, "shape") else item for item in value]
        return saved

    def _restored(self, name, value, index, p):
        if name not in self.state_names:
            raise ValueError(f"state {name!r} of parameter {index} is not kept by LBFGS "
                             f"(it keeps {', '.join(self.state_names)}): the state_dict is from another optimizer")
        if isinstance(value, list):
            return [self._restored(name, item, index, p) for item in value]
        value = value._data if isinstance(value, Tensor) else value
        if not hasattr(value, "shape"):
            return value
        if value.shape == ():  # a number of the parameters' dtype (y.s, H_diag, ...): a NumPy scalar
            return np.dtype(p._data.dtype).type(value.item())
        numel = sum(q.numel() for q in self._params)
        if value.shape != (numel,):
            raise ValueError(f"state {name!r} has shape {value.shape}, the parameters have {numel} elements")
        return backend.to_device(value, p.device).astype(p._data.dtype, copy=True)
