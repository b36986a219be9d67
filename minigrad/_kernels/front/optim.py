"""The optimizers' fused update steps, in place on a parameter and its state."""
import math

from .._checks import check_optimizer_arrays, check_sgd, check_step


class OptimizerKernels:
    """Methods of ``Kernels`` (a mixin: the helpers it calls are ``KernelsBase``'s)."""

    # ---- SGD -------------------------------------------------------------------------------------
    def sgd_step(self, param, grad, momentum_buffer, lr, momentum, dampening, weight_decay, nesterov, maximize,
                 first_step):
        """Update ``param`` (and ``momentum_buffer``) in place with PyTorch's SGD rule::

            d = -grad if maximize else grad;  d += weight_decay * param
            buf = d on the first step, else momentum * buf + (1 - dampening) * d
            d = d + momentum * buf if nesterov else buf;  param -= lr * d

        param, grad, momentum_buffer: one shape and dtype, any strides; momentum_buffer may be None
        when momentum == 0.
        """
        check_sgd(param, grad, momentum_buffer, momentum)
        grad = self._contiguous(grad).reshape(-1)
        p, buf = stand_ins = self._stand_ins(param, momentum_buffer)
        p = p.reshape(-1)
        # the loop's typed parameters convert lr and the flags (and refuse what is not a number)
        self.loops.sgd_step(p, grad, p if buf is None else buf.reshape(-1), lr, momentum, dampening, weight_decay,
                            nesterov, maximize, first_step)
        self._write_back((param, momentum_buffer), stand_ins)

    # ---- Adam, RMSprop, Adagrad, Adadelta --------------------------------------------------------
    # Each step checks its arrays (any shape and strides, one dtype and device), computes the step's
    # coefficients in double with PyTorch's formulas and runs one loop over the parameter and its
    # state. A state array a configuration does not use is None; the loop gets the parameter as a
    # stand-in that it never reads or writes.
    def adam_step(self, param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, lr, beta1, beta2, eps, weight_decay,
                  step, amsgrad, maximize, decoupled_weight_decay):
        """Adam step number ``step`` (from 1; AdamW when ``decoupled_weight_decay``), in place on
        param, exp_avg, exp_avg_sq and, with amsgrad, max_exp_avg_sq (None otherwise)::

            g = -grad if maximize else grad;  param *= 1 - lr * wd (AdamW) or g += wd * param (Adam)
            exp_avg = lerp(exp_avg, g, 1 - beta1);  exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * g^2
            v = max(max_exp_avg_sq, exp_avg_sq) with amsgrad, else exp_avg_sq
            param -= lr / (1 - beta1^step) * exp_avg / (sqrt(v) / sqrt(1 - beta2^step) + eps)
        """
        check_optimizer_arrays(param, grad, {"exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq,
                                             "max_exp_avg_sq": max_exp_avg_sq},
                               required=("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if amsgrad else ()))
        check_step(step)
        step_size = lr / (1 - beta1 ** step)
        bias_correction2_sqrt = math.sqrt(1 - beta2 ** step)
        grad = self._contiguous(grad).reshape(-1)
        in_place = (param, exp_avg, exp_avg_sq, max_exp_avg_sq if amsgrad else None)
        stand_ins = self._stand_ins(*in_place)
        p, m, v, v_max = self._flat(stand_ins)
        self.loops.adam_step(p, grad, m, v, p if v_max is None else v_max, float(lr), float(beta1), float(beta2),
                             float(eps), float(weight_decay), step_size, bias_correction2_sqrt, bool(amsgrad),
                             bool(maximize), bool(decoupled_weight_decay))
        self._write_back(in_place, stand_ins)

    def rmsprop_step(self, param, grad, square_avg, grad_avg, momentum_buffer, lr, alpha, eps, weight_decay, momentum,
                     centered, maximize):
        """RMSprop step in place on param, square_avg, grad_avg (when ``centered``, else None) and
        momentum_buffer (when momentum > 0, else None)::

            g = -grad if maximize else grad;  g += weight_decay * param
            square_avg = alpha * square_avg + (1 - alpha) * g^2
            avg = sqrt(square_avg - grad_avg^2) + eps with grad_avg = lerp(grad_avg, g, 1 - alpha) if
                centered, else sqrt(square_avg) + eps
            buf = momentum * buf + g / avg; param -= lr * buf   (momentum > 0)
            param -= lr * g / avg                               (otherwise)
        """
        check_optimizer_arrays(param, grad, {"square_avg": square_avg, "grad_avg": grad_avg,
                                             "momentum_buffer": momentum_buffer},
                               required=("square_avg",) + (("grad_avg",) if centered else ())
                               + (("momentum_buffer",) if momentum > 0 else ()))
        grad = self._contiguous(grad).reshape(-1)
        in_place = (param, square_avg, grad_avg if centered else None, momentum_buffer if momentum > 0 else None)
        stand_ins = self._stand_ins(*in_place)
        p, sq, g_avg, buf = self._flat(stand_ins)
        self.loops.rmsprop_step(p, grad, sq, p if g_avg is None else g_avg, p if buf is None else buf, float(lr),
                                float(alpha), float(eps), float(weight_decay), float(momentum), bool(centered),
                                bool(maximize))
        self._write_back(in_place, stand_ins)

    def adagrad_step(self, param, grad, state_sum, lr, lr_decay, weight_decay, eps, step, maximize):
        """Adagrad step number ``step`` (from 1) in place on param and state_sum::

            g = -grad if maximize else grad;  g += weight_decay * param;  state_sum += g^2
            param -= lr / (1 + (step - 1) * lr_decay) * g / (sqrt(state_sum) + eps)
        """
        check_optimizer_arrays(param, grad, {"state_sum": state_sum}, required=("state_sum",))
        check_step(step)
        clr = lr / (1 + (step - 1) * lr_decay)
        grad = self._contiguous(grad).reshape(-1)
        stand_ins = self._stand_ins(param, state_sum)
        p, total = self._flat(stand_ins)
        self.loops.adagrad_step(p, grad, total, clr, float(eps), float(weight_decay), bool(maximize))
        self._write_back((param, state_sum), stand_ins)

    def adadelta_step(self, param, grad, square_avg, acc_delta, lr, rho, eps, weight_decay, maximize):
        """Adadelta step in place on param, square_avg and acc_delta::

            g = -grad if maximize else grad;  g += weight_decay * param
            square_avg = rho * square_avg + (1 - rho) * g^2
            delta = sqrt(acc_delta + eps) / sqrt(square_avg + eps) * g
            acc_delta = rho * acc_delta + (1 - rho) * delta^2;  param -= lr * delta
        """
        check_optimizer_arrays(param, grad, {"square_avg": square_avg, "acc_delta": acc_delta},
                               required=("square_avg", "acc_delta"))
        grad = self._contiguous(grad).reshape(-1)
        stand_ins = self._stand_ins(param, square_avg, acc_delta)
        p, sq, acc = self._flat(stand_ins)
        self.loops.adadelta_step(p, grad, sq, acc, float(lr), float(rho), float(eps), float(weight_decay),
                                 bool(maximize))
        self._write_back((param, square_avg, acc_delta), stand_ins)

    # ---- Adamax, NAdam, RAdam, ASGD --------------------------------------------------------------
    def adamax_step(self, param, grad, exp_avg, exp_inf, lr, beta1, beta2, eps, weight_decay, step, maximize):
        """Adamax step number ``step`` (from 1) in place on param, exp_avg and exp_inf::

            g = -grad if maximize else grad;  g += weight_decay * param
            exp_avg = lerp(exp_avg, g, 1 - beta1);  exp_inf = max(beta2 * exp_inf, |g| + eps)
            param -= lr / (1 - beta1^step) * exp_avg / exp_inf
        """
        check_optimizer_arrays(param, grad, {"exp_avg": exp_avg, "exp_inf": exp_inf}, required=("exp_avg", "exp_inf"))
        check_step(step)
        clr = lr / (1 - beta1 ** step)
        grad = self._contiguous(grad).reshape(-1)
        stand_ins = self._stand_ins(param, exp_avg, exp_inf)
        p, m, u = self._flat(stand_ins)
        self.loops.adamax_step(p, grad, m, u, clr, float(beta1), float(beta2), float(eps), float(weight_decay),
                               bool(maximize))
        self._write_back((param, exp_avg, exp_inf), stand_ins)

    def nadam_step(self, param, grad, exp_avg, exp_avg_sq, lr, beta1, beta2, eps, weight_decay, mu, mu_next,
                   mu_product, step, maximize, decoupled_weight_decay):
        """NAdam step number ``step`` (from 1) in place on param, exp_avg and exp_avg_sq; mu and mu_next
        are the momentum schedule at steps t and t + 1, mu_product the product of mu over steps 1..t::

            g = -grad if maximize else grad;  param *= 1 - lr * wd (decoupled) or g += wd * param
            exp_avg = lerp(exp_avg, g, 1 - beta1);  exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * g^2
            denom = sqrt(exp_avg_sq / (1 - beta2^step)) + eps
            param -= lr * (1 - mu) / (1 - mu_product) * g / denom
            param -= lr * mu_next / (1 - mu_product * mu_next) * exp_avg / denom
        """
        check_optimizer_arrays(param, grad, {"exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq},
                               required=("exp_avg", "exp_avg_sq"))
        check_step(step)
        grad = self._contiguous(grad).reshape(-1)
        stand_ins = self._stand_ins(param, exp_avg, exp_avg_sq)
        p, m, v = self._flat(stand_ins)
        self.loops.nadam_step(p, grad, m, v, float(lr), float(beta1), float(beta2), float(eps), float(weight_decay),
                              1 - beta2 ** step, float(mu), float(mu_next), float(mu_product), bool(maximize),
                              bool(decoupled_weight_decay))
        self._write_back((param, exp_avg, exp_avg_sq), stand_ins)

    def radam_step(self, param, grad, exp_avg, exp_avg_sq, lr, beta1, beta2, eps, weight_decay, step, maximize,
                   decoupled_weight_decay):
        """RAdam step number ``step`` (from 1) in place on param, exp_avg and exp_avg_sq::

            g = -grad if maximize else grad;  param *= 1 - lr * wd (decoupled) or g += wd * param
            exp_avg = lerp(exp_avg, g, 1 - beta1);  exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * g^2
            rho_inf = 2 / (1 - beta2) - 1;  rho_t = rho_inf - 2 step beta2^step / (1 - beta2^step)
            param -= exp_avg / (1 - beta1^step) * lr * sqrt(1 - beta2^step) / (sqrt(exp_avg_sq) + eps) * r_t
                with r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t)) when
                rho_t > 5, else param -= exp_avg / (1 - beta1^step) * lr
        """
        check_optimizer_arrays(param, grad, {"exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq},
                               required=("exp_avg", "exp_avg_sq"))
        check_step(step)
        bias_correction2 = 1 - beta2 ** step
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
        rectified = rho_t > 5.0
        rect = 1.0
        if rectified:  # the variance rectification term r_t (undefined while rho_t <= 4)
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
        grad = self._contiguous(grad).reshape(-1)
        stand_ins = self._stand_ins(param, exp_avg, exp_avg_sq)
        p, m, v = self._flat(stand_ins)
        self.loops.radam_step(p, grad, m, v, float(lr), float(beta1), float(beta2), float(eps), float(weight_decay),
                              1 - beta1 ** step, bias_correction2 ** 0.5, rect, rectified, bool(maximize),
                              bool(decoupled_weight_decay))
        self._write_back((param, exp_avg, exp_avg_sq), stand_ins)

    def asgd_step(self, param, grad, ax, lambd, eta, mu, weight_decay, maximize):
        """ASGD step in place on param and its average ax, with the step's learning rate eta and
        averaging weight mu (kept by the optimizer)::

            g = -grad if maximize else grad;  g += weight_decay * param
            param = param * (1 - lambd * eta) - eta * g;  ax += (param - ax) * mu  (ax = param when mu == 1)
        """
        check_optimizer_arrays(param, grad, {"ax": ax}, required=("ax",))
        grad = self._contiguous(grad).reshape(-1)
        stand_ins = self._stand_ins(param, ax)
        p, average = self._flat(stand_ins)
        self.loops.asgd_step(p, grad, average, float(lambd), float(eta), float(mu), float(weight_decay),
                             bool(maximize))
        self._write_back((param, ax), stand_ins)
