"""``Tensor.data`` is torch's: a Tensor on the same storage, outside the graph, whose writes autograd
does not see; ``x.data = t`` gives x t's storage. Torch's numbers are kept as literals."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
from minigrad.nn import init


def test_data_is_a_tensor_outside_the_graph_on_the_same_storage(device):
    x = mg.tensor([1.0, 2.0, 3.0], dtype=mg.float64, requires_grad=True, device=device)
    d = x.data
    assert isinstance(d, mg.Tensor) and not d.requires_grad and d.grad_fn is None and d.is_leaf
    assert d.dtype == mg.float64 and d.device == device and d.shape == (3,)
    d[0] = 10.0  # a write through .data is seen in x ...
    x.data.mul_(2)
    assert x.tolist() == [20.0, 4.0, 6.0] and d.tolist() == [20.0, 4.0, 6.0]
    with mg.no_grad():
        x.add_(1.0)  # ... and a write to x in .data
    assert d.tolist() == [21.0, 5.0, 7.0]
    assert x.requires_grad and x.is_leaf  # x itself is unchanged in the graph
    assert (x.data * 2).requires_grad is False


def test_writes_through_data_are_unseen_by_autograd_as_torch():
    a = mg.tensor([1.0, 2.0], requires_grad=True)
    y = (a * a).sum()  # saves a
    a.data.mul_(3)
    assert a._version == 0  # torch: 0 (the .data tensor has its own counter)
    y.backward()  # torch: no error, and the gradient uses the new values
    assert a.grad.tolist() == [6.0, 12.0]
    b = mg.tensor([1.0, 2.0], requires_grad=True)
    z = (b * b).sum()
    b.detach().mul_(3)  # detach() shares the counter: that write is checked
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        z.backward()


def test_old_scripts_update_and_initialise_parameters_through_data(device):
    mg.manual_seed(0)
    model = nn.Linear(3, 2).to(device)
    weight, version = model.weight, model.weight._version
    model(mg.ones(4, 3, device=device)).sum().backward()
    before = weight.detach().numpy().copy()
    for p in model.parameters():  # word_language_model's update
        p.data.add_(p.grad, alpha=-0.1)
    np.testing.assert_allclose(weight.detach().numpy(), before - 0.1 * 4.0)
    for p in model.parameters():  # regression's update
        p.data.add_(-0.1 * p.grad)
    np.testing.assert_allclose(weight.detach().numpy(), before - 0.2 * 4.0, rtol=1e-6)
    model.bias.data.fill_(0.01)  # siamese_network's init
    init.normal_(model.weight.data, 0.0, 0.02)  # dcgan's init writes through .data too
    assert model.bias.tolist() == pytest.approx([0.01, 0.01]) and not np.allclose(weight.detach().numpy(), before)
    model.weight.data.copy_(mg.ones(2, 3))
    model.weight.data[0] = 5.0
    model.weight.data.mul_(2)
    model.weight.data *= 0.5  # x.data *= s: an in-place op on .data, then x.data = it (as torch)
    assert model.weight.tolist() == [[5.0] * 3, [1.0] * 3] and model.weight is weight
    assert weight.requires_grad and weight.is_leaf and weight._version == version and weight.device == device
    model(mg.ones(1, 3, device=device)).sum().backward()  # the module still trains


def test_assigning_data_takes_the_tensor_storage_as_torch(device):
    x = mg.zeros(3, requires_grad=True, device=device)
    (x * 2).sum().backward()
    source = mg.tensor([5.0, 6.0], dtype=mg.float64, device=device)
    x.data = source  # torch: shape and dtype may change; x stays a leaf that requires grad
    assert x.dtype == mg.float64 and x.shape == (2,) and x.device == device
    assert x.requires_grad and x.is_leaf and x.grad.tolist() == [2.0, 2.0, 2.0]  # torch keeps .grad
    source.add_(1.0)  # x now shares source's storage
    assert x.tolist() == [6.0, 7.0] and x._version == 0
    x.grad = None
    (x * x).sum().backward()
    assert x.grad.tolist() == [12.0, 14.0]
    computed = mg.ones(2, requires_grad=True) * 2
    computed.data = mg.tensor([3.0, 4.0])  # a non-leaf keeps its place in the graph
    assert computed.grad_fn is not None and computed.tolist() == [3.0, 4.0]


def test_assigning_data_to_a_view_makes_it_stop_being_one():
    base = mg.arange(6.0).reshape(2, 3)
    row = base[0]
    row.data = mg.zeros(3)  # torch: base is unchanged
    row.add_(1.0)
    assert base.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]] and row.tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("value, error, message", [
    (np.array([1.0, 2.0]), TypeError, "has to be a tensor, but got ndarray"),
    ([1.0, 2.0], TypeError, "has to be a tensor, but got list"),
    (3.0, TypeError, "has to be a tensor, but got float"),
    (mg.tensor([1, 2]), RuntimeError, "requires gradients must be floating point.*int64"),
])
def test_assigning_data_refuses_what_torch_refuses(value, error, message):
    x = mg.zeros(2, requires_grad=True)
    with pytest.raises(error, match=message):
        x.data = value
    assert x.tolist() == [0.0, 0.0] and x.dtype == mg.float32
    ints = mg.zeros(2, dtype=mg.int64)
    ints.data = mg.tensor([1, 2, 3])  # torch: only a tensor that requires grad needs a float
    assert ints.tolist() == [1, 2, 3]


@pytest.mark.gpu
def test_data_can_move_a_tensor_between_devices():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    x.data = x.data.cuda()  # older torch scripts' param.data = param.data.cuda()
    assert x.device == "cuda" and x.data.device == "cuda" and x.requires_grad
    (x * 3).sum().backward()
    assert x.grad.device == "cuda" and x.grad.tolist() == [3.0, 3.0]


def _d2l_batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum):
    """d2l's from-scratch batch norm (chapter 8.5), unchanged but for the module name."""
    if not mg.is_grad_enabled():
        X_hat = (X - moving_mean) / mg.sqrt(moving_var + eps)
    else:
        assert len(X.shape) in (2, 4)
        if len(X.shape) == 2:
            mean = X.mean(dim=0)
            var = ((X - mean) ** 2).mean(dim=0)
        else:
            mean = X.mean(dim=(0, 2, 3), keepdim=True)
            var = ((X - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
        X_hat = (X - mean) / mg.sqrt(var + eps)
        moving_mean = (1.0 - momentum) * moving_mean + momentum * mean
        moving_var = (1.0 - momentum) * moving_var + momentum * var
    Y = gamma * X_hat + beta
    return Y, moving_mean.data, moving_var.data


class _D2lBatchNorm(nn.Module):
    def __init__(self, num_features, num_dims):
        super().__init__()
        shape = (1, num_features) if num_dims == 2 else (1, num_features, 1, 1)
        self.gamma = nn.Parameter(mg.ones(shape))
        self.beta = nn.Parameter(mg.zeros(shape))
        self.moving_mean = mg.zeros(shape)
        self.moving_var = mg.ones(shape)

    def forward(self, X):
        if self.moving_mean.device != X.device:
            self.moving_mean = self.moving_mean.to(X.device)
            self.moving_var = self.moving_var.to(X.device)
        Y, self.moving_mean, self.moving_var = _d2l_batch_norm(
            X, self.gamma, self.beta, self.moving_mean, self.moving_var, eps=1e-5, momentum=0.1)
        return Y


def test_d2l_batch_norm_keeps_its_moving_statistics_as_tensors_outside_the_graph(device):
    x = mg.tensor(np.arange(24.0).reshape(2, 3, 2, 2), device=device)
    layer = _D2lBatchNorm(3, 4).to(device)  # the moving statistics follow x in forward
    layer(x).sum().backward()
    layer(x)
    array = x.numpy()
    mean, var = array.mean(axis=(0, 2, 3)), array.var(axis=(0, 2, 3))
    # float64 reference: two momentum-0.1 updates from (0, 1)
    expected_mean = (1 - 0.9 ** 2) * mean
    expected_var = 0.81 + (1 - 0.9 ** 2) * var
    for stat, expected in [(layer.moving_mean, expected_mean), (layer.moving_var, expected_var)]:
        assert isinstance(stat, mg.Tensor) and not stat.requires_grad and stat.grad_fn is None
        np.testing.assert_allclose(stat.numpy().reshape(3), expected, rtol=1e-6)
    with mg.no_grad():
        y = layer(x)  # eval path: mg.sqrt of the moving variance (an ndarray here failed before)
    np.testing.assert_allclose(y.numpy(), (array - expected_mean.reshape(1, 3, 1, 1))
                               / np.sqrt(expected_var.reshape(1, 3, 1, 1) + 1e-5), rtol=1e-5)
