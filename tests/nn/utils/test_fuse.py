"""nn.utils.fuse_batch_norm: folded Linear -> BatchNorm1d pairs match the unfused eval model."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn


def _randomize_statistics(model, rng):
    """Running statistics and affine parameters far from their initial values."""
    for module in model.modules():
        if isinstance(module, nn.BatchNorm1d):
            n = module.num_features
            if module.running_mean is None:
                continue
            module.running_mean.data[...] = rng.standard_normal(n) * 2
            module.running_var.data[...] = rng.uniform(0.2, 3.0, n)
            if module.weight is not None:
                module.weight.data[...] = rng.standard_normal(n)
                module.bias.data[...] = rng.standard_normal(n)


def _model(dtype="float32"):
    return nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 5, bias=False),
                         nn.BatchNorm1d(5, affine=False)).to(dtype)


def _reference(model, x):
    """The unfused eval-mode output, in float64, from the model's own parameters."""
    h = x.astype(np.float64)
    for module in model:
        if isinstance(module, nn.Linear):
            h = h @ module.weight.detach().numpy().T.astype(np.float64)
            h = h + (module.bias.detach().numpy() if module.bias is not None else 0)
        elif isinstance(module, nn.BatchNorm1d):
            h = (h - module.running_mean.numpy()) / np.sqrt(module.running_var.numpy() + module.eps)
            if module.weight is not None:
                h = h * module.weight.detach().numpy() + module.bias.detach().numpy()
        else:
            h = np.maximum(h, 0)
    return h


@pytest.mark.parametrize("dtype, tol", [("float32", 2e-5), ("float64", 1e-12)])
def test_fused_outputs_match_the_unfused_eval_model(dtype, tol, rng):
    model = _model(dtype)
    _randomize_statistics(model, rng)
    x = rng.standard_normal((16, 6)).astype(dtype)
    fused = nn.utils.fuse_batch_norm(model)
    expected = _reference(model, x)
    np.testing.assert_allclose(fused(mg.tensor(x)).detach().numpy(), expected, rtol=tol, atol=tol)
    model.eval()
    np.testing.assert_allclose(fused(mg.tensor(x)).detach().numpy(), model(mg.tensor(x)).detach().numpy(), rtol=tol, atol=tol)
    assert fused(mg.tensor(x)).dtype == dtype


def test_batch_norms_are_removed_and_the_original_is_untouched(rng):
    model = _model()
    _randomize_statistics(model, rng)
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    fused = nn.utils.fuse_batch_norm(model)
    assert model.training and not fused.training
    assert [type(m).__name__ for m in fused] == ["Linear", "ReLU", "Linear"]
    assert list(dict(fused.named_parameters())) == ["0.weight", "0.bias", "3.weight", "3.bias"]
    after = model.state_dict()
    assert before.keys() == after.keys() and all(np.array_equal(before[k], after[k].numpy()) for k in before)
    assert model[3].bias is None and len(model) == 5


def test_only_foldable_pairs_with_running_statistics_are_folded_inside_nested_sequentials(rng):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4, track_running_stats=False),
                                      nn.ReLU(), nn.BatchNorm1d(4), nn.Linear(4, 3), nn.BatchNorm1d(3))

        def forward(self, x):
            return self.body(x)

    net = Net()
    _randomize_statistics(net, rng)
    fused = nn.utils.fuse_batch_norm(net)
    assert [type(m).__name__ for m in fused.body] == ["Linear", "BatchNorm1d", "ReLU", "BatchNorm1d", "Linear"]
    x = mg.tensor(rng.standard_normal((10, 4)).astype(np.float32))
    net.eval()
    np.testing.assert_allclose(fused(x).detach().numpy(), net(x).detach().numpy(), rtol=2e-5, atol=2e-5)


def test_refuses_what_it_cannot_fuse():
    with pytest.raises(TypeError, match="fuse_batch_norm takes a Module, got list"):
        nn.utils.fuse_batch_norm([nn.Linear(2, 2)])
    mismatched = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(4))
    with pytest.raises(ValueError, match=r"cannot fold BatchNorm1d\(4\) into a Linear with 3 output channels"):
        nn.utils.fuse_batch_norm(mismatched)


@pytest.mark.gpu
def test_fuse_batch_norm_on_the_gpu_matches_the_cpu(rng):
    model = nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.ReLU())
    model(mg.randn(32, 6) * 3 + 1)  # running statistics away from their initial values
    x0 = rng.standard_normal((5, 6)).astype(np.float32)
    outputs = []
    for device in ("cpu", "cuda"):
        fused = nn.utils.fuse_batch_norm(model.to(device))
        outputs.append(fused(mg.tensor(x0, device=device)).detach().numpy())
    np.testing.assert_allclose(outputs[1], outputs[0], rtol=1e-5, atol=1e-5)
