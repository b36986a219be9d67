"""Second derivatives of the NN ops (activations, losses, normalisations, convolution, pooling,
resampling, embedding, dropout, distances; issue 26) beyond the op table's gradgradcheck: tolerances
tight enough that a missing small term fails, float32 against float64, third derivatives (the ops whose
gradient is an op of its own: convolution, pooling, interpolation, embedding; and a few composed ones),
and a gradient penalty through a small convolutional network."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
from op_db import OPS
from test_ops import _gradient_samples, as_one_output, by_name, expect_failure_if_known, tensors

pytestmark = [pytest.mark.filterwarnings("ignore:reduction. 'mean' divides the total loss:UserWarning"),
              pytest.mark.filterwarnings("ignore:dropout2d. Received a 3D input:UserWarning")]

NN_OPS = {"F.relu", "leaky_relu", "elu", "gelu", "gelu_tanh", "silu", "mish", "hardtanh", "hardtanh_bounds", "softsign",
          "hardswish", "softplus", "logsigmoid", "softmax", "log_softmax", "softmin", "mse_loss", "l1_loss",
          "huber_loss", "smooth_l1_loss", "binary_cross_entropy", "binary_cross_entropy_weighted",
          "binary_cross_entropy_with_logits", "binary_cross_entropy_with_logits_weights", "cross_entropy",
          "nll_loss", "kl_div", "cosine_similarity", "normalize", "batch_norm_train", "batch_norm_eval",
          "layer_norm", "group_norm", "instance_norm", "conv1d", "conv2d", "max_pool1d", "max_pool2d",
          "avg_pool1d", "avg_pool2d", "adaptive_avg_pool2d", "adaptive_max_pool2d", "interpolate_nearest",
          "interpolate_linear", "embedding", "embedding_padding_idx", "dropout_mask", "dropout2d_mask"}
ENTRIES = [op for op in OPS if op.name in NN_OPS]
TIGHT = {"atol": 1e-7, "rtol": 1e-6}


def test_every_nn_entry_is_covered():
    assert {op.name for op in ENTRIES} == NN_OPS


def _outputs(result):
    return list(result) if isinstance(result, tuple) else [result]


@by_name(ENTRIES)
def test_gradgradcheck_with_tight_tolerances(op, device, request):
    expect_failure_if_known(op, "gradgradcheck", device, request)
    for sample, args, variables in _gradient_samples(op, device):
        assert mg.autograd.gradgradcheck(as_one_output(op, sample, args, variables), variables, **TIGHT), sample.name


def hessian_vector_products(op, sample, dtype, device):
    """For loss = sum(u * op(inputs)): the second derivatives along fixed random directions v, with
    respect to the inputs and to u (which create_graph keeps in the graph), as float64 arrays."""
    rng = np.random.default_rng(5)
    args, variables = tensors(sample, dtype, device)
    outputs = _outputs(op.op(*args, **sample.kwargs))
    upstream = [mg.tensor(rng.standard_normal(o.shape), dtype=dtype, device=device, requires_grad=True)
                for o in outputs]
    grads = mg.autograd.grad(outputs, variables, upstream, create_graph=True, materialize_grads=True)
    directions = [mg.tensor(rng.standard_normal(v.shape), dtype=dtype, device=device) for v in variables]
    projected = sum((g * d).sum() for g, d in zip(grads, directions))
    second = mg.autograd.grad(projected, variables + upstream, allow_unused=True, materialize_grads=True)
    return [mg.tensor(s.detach().cpu().numpy(), dtype=mg.float64).numpy() for s in second]


@by_name([op for op in ENTRIES if "float32" in op.dtypes])
def test_float32_second_derivatives_match_float64(op, device):
    for sample, _, _ in _gradient_samples(op, device):
        low = hessian_vector_products(op, sample, "float32", device)
        high = hessian_vector_products(op, sample, "float64", device)
        for a, b in zip(low, high):
            scale = max(1.0, float(np.abs(b).max()) if b.size else 1.0)
            np.testing.assert_allclose(a, b, rtol=2e-3, atol=2e-4 * scale, err_msg=sample.name)


THIRD_ORDER = {
    "conv2d": (lambda x, w: F.conv2d(x, w, stride=(2, 1), padding=1, groups=2) ** 2, [(2, 4, 4, 5), (4, 2, 3, 2)]),
    "conv1d": (lambda x, w: F.conv1d(x, w, padding=2, dilation=2) ** 2, [(2, 2, 6), (3, 2, 3)]),
    "max_pool2d": (lambda x: F.max_pool2d(x * x, 2, 1, 1), [(1, 2, 4, 3)]),
    "avg_pool2d": (lambda x: F.avg_pool2d(x * x, 3, 2, 1, count_include_pad=False), [(1, 2, 5, 4)]),
    "adaptive_avg_pool2d": (lambda x: F.adaptive_avg_pool2d(x * x, (2, 3)), [(1, 2, 5, 4)]),
    "adaptive_max_pool2d": (lambda x: F.adaptive_max_pool2d(x * x, (2, 3)), [(1, 2, 5, 4)]),
    "bilinear": (lambda x: F.interpolate(x * x, size=(3, 7), mode="bilinear"), [(1, 2, 4, 3)]),
    "embedding": (lambda w: F.embedding(mg.tensor(np.array([[0, 2], [2, 1]]), device=w.device), w, padding_idx=1) ** 3,
                  [(3, 4)]),
    "gelu": (lambda x: F.gelu(x), [(3, 4)]),
    "mish": (lambda x: F.mish(x), [(3, 4)]),
    "cross_entropy": (lambda x: F.cross_entropy(x, mg.tensor(np.array([0, 3, 1]), device=x.device),
                                                label_smoothing=0.1), [(3, 4)]),
    "binary_cross_entropy_with_logits": (lambda x, t: F.binary_cross_entropy_with_logits(x, t), [(3, 4), (3, 4)]),
    "batch_norm": (lambda x, w: F.batch_norm(x, None, None, w, training=True), [(4, 3), (3,)]),
    "layer_norm": (lambda x, w: F.layer_norm(x, (4,), w), [(3, 4), (4,)]),
}


@pytest.mark.parametrize("name", list(THIRD_ORDER))
def test_third_derivatives(name, device, rng):
    fn, shapes = THIRD_ORDER[name]
    inputs = [mg.tensor(rng.permutation(int(np.prod(s))).reshape(s) / np.prod(s) + 0.5, dtype=mg.float64,
                        device=device, requires_grad=True) for s in shapes]
    direction = [mg.tensor(rng.standard_normal(s), dtype=mg.float64, device=device) for s in shapes]

    def gradient_along_direction(*values):  # the first derivative, differentiated twice by gradgradcheck
        grads = mg.autograd.grad(fn(*values).sum(), values, create_graph=True)
        return sum((g * d).sum() for g, d in zip(grads, direction))

    assert mg.autograd.gradgradcheck(gradient_along_direction, inputs, **TIGHT)


def test_gradient_penalty_through_a_convolutional_network(device, rng):
    """WGAN-GP's term: || d critic(x) / dx ||^2, differentiated in the critic's weights, against
    central differences of the penalty itself."""
    x = mg.tensor(rng.standard_normal((2, 1, 6, 6)), dtype=mg.float64, device=device, requires_grad=True)
    weights = [mg.tensor(rng.standard_normal(s) * 0.5, dtype=mg.float64, device=device, requires_grad=True)
               for s in [(3, 1, 3, 3), (3,), (3,), (3,), (2, 27)]]

    def penalty(conv_w, norm_w, norm_b, conv_b, linear_w):
        with mg.enable_grad():  # gradcheck's central differences run under no_grad
            h = F.conv2d(x, conv_w, conv_b, padding=1)
            h = F.batch_norm(h, None, None, norm_w, norm_b, training=True)
            h = F.max_pool2d(F.gelu(h), 2)
            h = F.adaptive_avg_pool2d(h, 3).reshape(2, 27)
            critic = F.log_softmax(F.linear(h, linear_w), 1)[:, 0].sum()
            gx, = mg.autograd.grad(critic, [x], create_graph=True)
            return (gx * gx).sum()

    assert mg.gradcheck(penalty, weights, atol=1e-7, rtol=1e-6)
