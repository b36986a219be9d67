"""Optimizer state_dict: numbers and arrays of any shape, round trips through mg.save / mg.load with
bit-identical continuation, and clear errors for a state_dict that does not fit."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
import minigrad.nn as nn
import minigrad.optim as optim

OPTIMIZERS = [
    (optim.Adam, dict(lr=1e-2, amsgrad=True)),
    (optim.AdamW, dict(lr=1e-2, weight_decay=0.1)),
    (optim.RMSprop, dict(lr=1e-2, momentum=0.9, centered=True)),
    (optim.Adagrad, dict(lr=0.1, lr_decay=0.01)),
    (optim.Adadelta, dict()),
    (optim.SGD, dict(lr=0.1, momentum=0.9)),
    (optim.Adamax, dict(lr=1e-2)),
    (optim.NAdam, dict(lr=1e-2, weight_decay=0.1)),
    (optim.RAdam, dict(lr=1e-2, betas=(0.9, 0.6))),
    (optim.ASGD, dict(lr=0.1, t0=2)),
]


def _model_and_data():
    mg.manual_seed(1)
    model = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 2))
    x = mg.randn(16, 5)
    y = mg.randn(16, 2)
    return model, x, y


def _train(model, opt, x, y, steps):
    for _ in range(steps):
        loss = mg.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()


@pytest.mark.parametrize("cls, kwargs", OPTIMIZERS, ids=[c.__name__ for c, _ in OPTIMIZERS])
def test_checkpoint_round_trip_continues_bit_identically(cls, kwargs, tmp_path):
    model, x, y = _model_and_data()
    opt = cls(model.parameters(), **kwargs)
    _train(model, opt, x, y, 3)
    mg.save(model.state_dict(), tmp_path / "model.npz")
    mg.save(opt.state_dict(), tmp_path / "opt.npz")
    _train(model, opt, x, y, 4)
    uninterrupted = [p.detach().numpy().copy() for p in model.parameters()]

    resumed_model, _, _ = _model_and_data()
    resumed_model.load_state_dict(mg.load(tmp_path / "model.npz"))
    resumed = cls(resumed_model.parameters(), lr=123.0)  # hyper-parameters come from the checkpoint
    resumed.load_state_dict(mg.load(tmp_path / "opt.npz"))
    _train(resumed_model, resumed, x, y, 4)
    for a, b in zip(uninterrupted, resumed_model.parameters()):
        np.testing.assert_array_equal(b.detach().numpy(), a)


def test_adam_state_keeps_an_int_step_and_arrays_and_state_dict_copies_them():
    p = mg.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.Adam([p], amsgrad=True)
    p.grad = mg.tensor([0.5, -0.5])
    opt.step()
    opt.step()
    saved = opt.state_dict()
    assert saved["optimizer"] == "Adam"
    assert saved["param_groups"][0]["params"] == [0] and saved["param_groups"][0]["betas"] == (0.9, 0.999)
    entry = saved["state"][0]
    assert entry["step"] == 2 and isinstance(entry["step"], int)
    assert sorted(entry) == ["exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step"]
    np.testing.assert_allclose(entry["exp_avg"], [0.5 * (1 - 0.9 ** 2), -0.5 * (1 - 0.9 ** 2)], rtol=1e-6)
    opt.step()
    assert entry["step"] == 2  # a snapshot, not the live state
    np.testing.assert_allclose(entry["exp_avg"], [0.095, -0.095], rtol=1e-6)


def test_loaded_state_takes_the_parameter_dtype_and_device():
    p = mg.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    opt = optim.Adam([p])
    saved = {"optimizer": "Adam",
             "state": {0: {"step": np.array(3), "exp_avg": np.ones(2, np.float32), "exp_avg_sq": np.ones(2)}},
             "param_groups": [dict(opt.state_dict()["param_groups"][0])]}
    opt.load_state_dict(saved)
    state = opt.state[p]
    assert state["step"] == 3 and isinstance(state["step"], int)
    assert state["exp_avg"].dtype == np.float64
    p.grad = mg.tensor([1.0, 1.0], dtype="float64")
    opt.step()
    assert opt.state[p]["step"] == 4



@pytest.mark.parametrize("make", [lambda p: optim.Adam([p]), lambda p: optim.SGD([p], lr=0.1, momentum=0.9)])
def test_load_state_dict_copies_so_later_steps_leave_the_dict_alone(make):
    p = mg.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    opt = make(p)
    p.grad = mg.tensor([0.5, -0.5], dtype="float64")
    opt.step()
    saved = opt.state_dict()
    before = {name: np.array(value) for name, value in saved["state"][0].items()}
    resumed = make(p)
    resumed.load_state_dict(saved)
    resumed.step()
    resumed.step()
    for name, value in saved["state"][0].items():
        np.testing.assert_array_equal(value, before[name], err_msg=name)


def test_state_follows_a_model_converted_to_another_dtype():
    model = nn.Linear(3, 2)
    opt = optim.Adam(model.parameters())
    model(mg.randn(4, 3)).sum().backward()
    opt.step()
    model.double()
    model(mg.randn(4, 3, dtype="float64")).sum().backward()
    opt.step()
    assert opt.state[model.weight]["exp_avg"].dtype == np.float64


def _stepped(cls, *shapes, **kwargs):
    params = [mg.zeros(*shape, requires_grad=True) for shape in shapes]
    opt = cls(params, **kwargs)
    for p in params:
        p.grad = mg.ones(*p.shape)
    opt.step()
    return opt


def test_a_state_dict_from_another_optimizer_type_is_refused():
    with pytest.raises(ValueError, match="state_dict is from a SGD optimizer, this one is Adam"):
        _stepped(optim.Adam, (2,)).load_state_dict(_stepped(optim.SGD, (2,), lr=0.1, momentum=0.9).state_dict())
    with pytest.raises(ValueError, match="state_dict is from a Adam optimizer, this one is AdamW"):
        _stepped(optim.AdamW, (2,)).load_state_dict(_stepped(optim.Adam, (2,)).state_dict())
    untyped = _stepped(optim.SGD, (2,), lr=0.1, momentum=0.9).state_dict()
    del untyped["optimizer"]  # as a hand-made or older state_dict
    with pytest.raises(ValueError, match=r"lack \['amsgrad', 'betas', 'eps'\]: it is not from a Adam optimizer"):
        _stepped(optim.Adam, (2,)).load_state_dict(untyped)
    untyped["param_groups"][0].update(betas=(0.9, 0.999), eps=1e-8, amsgrad=False)
    with pytest.raises(ValueError, match="state 'momentum_buffer' of parameter 0 is not kept by Adam"):
        _stepped(optim.Adam, (2,)).load_state_dict(untyped)


def test_a_state_dict_for_another_parameter_layout_is_refused_and_changes_nothing():
    saved = _stepped(optim.Adam, (2,), (3,)).state_dict()
    target = _stepped(optim.Adam, (3,), (2,), lr=0.5)
    with pytest.raises(ValueError, match=r"state 'exp_avg' of parameter 0 has shape \(2,\), the parameter has \(3,\)"):
        target.load_state_dict(saved)
    assert target.param_groups[0]["lr"] == 0.5 and target.state[target.param_groups[0]["params"][0]]["step"] == 1
    with pytest.raises(ValueError, match="a parameter group has 2 parameters in the state_dict and 1"):
        _stepped(optim.Adam, (2,)).load_state_dict(saved)


def test_a_state_dict_with_bad_hyperparameters_is_refused():
    saved = _stepped(optim.Adam, (2,)).state_dict()
    saved["param_groups"][0]["betas"] = (1.0, 0.5)
    with pytest.raises(ValueError, match=r"Adam: betas\[0\] must be a number in \[0, 1\), got 1.0"):
        _stepped(optim.Adam, (2,)).load_state_dict(saved)


def _model():
    return nn.Sequential(nn.Linear(20, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 4))


@pytest.mark.gpu
def test_a_training_step_matches_and_optimizer_state_follows_the_model(rng, tmp_path, same_state):
    mg.manual_seed(0)
    cpu_model = _model()
    gpu_model = _model()
    gpu_model.load_state_dict(cpu_model.state_dict())
    opt_cpu = optim.SGD(cpu_model.parameters(), lr=0.1, momentum=0.9)
    opt_gpu = optim.SGD(gpu_model.parameters(), lr=0.1, momentum=0.9)
    opt_gpu.step()  # no grads yet: nothing happens
    gpu_model.to("cuda")
    assert all(p.device == "cuda" for p in gpu_model.parameters())
    assert gpu_model[1].running_mean.device == "cuda"
    x, y = rng.standard_normal((16, 20)).astype(np.float32), rng.integers(0, 4, 16)
    for model, opt, device in ((cpu_model, opt_cpu, "cpu"), (gpu_model, opt_gpu, "cuda")):
        mg.manual_seed(3)
        loss = F.cross_entropy(model(mg.tensor(x, device=device)), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    same_state(cpu_model, gpu_model)
    gpu_model.to("cpu")  # the momentum buffers follow at the next step
    gpu_model(mg.tensor(x)).sum().backward()
    opt_gpu.step()
    assert opt_gpu.state[gpu_model[0].weight]["momentum_buffer"].__class__ is np.ndarray
    # saving never moves a model; loading onto a device works
    gpu_model.to("cuda")
    mg.save(gpu_model.state_dict(), tmp_path / "m.npz")
    assert gpu_model[0].weight.device == "cuda"
    loaded = mg.load(tmp_path / "m.npz", device="cuda")
    assert loaded["0.weight"].device == "cuda"


@pytest.mark.gpu
def test_optimizer_state_on_the_gpu_round_trips_and_strided_parameters_update_in_place(rng, tmp_path):
    import cupy

    p = mg.tensor(rng.standard_normal((6, 4)), requires_grad=True, device="cuda")
    p._data = cupy.asfortranarray(p._data)
    opt = optim.Adam([p], lr=0.1)
    p.grad = mg.tensor(rng.standard_normal((6, 4)), device="cuda")
    opt.step()
    assert p._data.flags.f_contiguous and opt.state[p]["exp_avg"].__class__ is cupy.ndarray
    mg.save(opt.state_dict(), tmp_path / "opt.npz")
    restored = optim.Adam([mg.tensor(p.detach().numpy(), requires_grad=True, device="cuda")])
    restored.load_state_dict(mg.load(tmp_path / "opt.npz", device="cuda"))
    q = restored.param_groups[0]["params"][0]
    assert restored.state[q]["step"] == 1 and restored.state[q]["exp_avg"].__class__ is cupy.ndarray
