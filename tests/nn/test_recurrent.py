"""nn.RNN / LSTM / GRU and the cells against PyTorch's numbers, kept as arrays (fixtures/recurrent.npz,
written by fixtures/make_recurrent.py with torch; these tests never import it): torch's state_dict and
inputs, loaded into minigrad's layer, give torch's outputs and gradients to float64 rounding. Then
shapes, layouts, dropout and the errors, which name the layer and the shapes."""
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

FIXTURES = Path(__file__).parent / "fixtures" / "recurrent.npz"

# name -> (class, constructor arguments, input shape, whether hx is given, packed lengths or None)
CASES = {
    "lstm_proj_bidirectional_batch_first": ("LSTM", dict(input_size=3, hidden_size=5, num_layers=2, bidirectional=True,
                                                         proj_size=2, batch_first=True), (3, 4, 3), True, None),
    "lstm_unbatched": ("LSTM", dict(input_size=3, hidden_size=4), (5, 3), True, None),
    "gru_bidirectional": ("GRU", dict(input_size=3, hidden_size=4, num_layers=2, bidirectional=True), (4, 3, 3), False,
                          None),
    "gru_batch_first_hx": ("GRU", dict(input_size=2, hidden_size=3, batch_first=True), (2, 5, 2), True, None),
    "rnn_relu_no_bias": ("RNN", dict(input_size=3, hidden_size=4, num_layers=2, nonlinearity="relu", bias=False,
                                     bidirectional=True), (4, 2, 3), True, None),
    "rnn_tanh_batch_first": ("RNN", dict(input_size=3, hidden_size=4, batch_first=True), (2, 3, 3), False, None),
    "lstm_packed": ("LSTM", dict(input_size=3, hidden_size=4, num_layers=2, bidirectional=True), (4, 4, 3), True,
                    [2, 4, 1, 3]),
    "lstm_proj_packed_batch_first": ("LSTM", dict(input_size=2, hidden_size=4, proj_size=3, batch_first=True,
                                                  bidirectional=True), (3, 5, 2), False, [5, 2, 3]),
    "gru_packed": ("GRU", dict(input_size=3, hidden_size=4, num_layers=2, bidirectional=True), (3, 3, 3), True,
                   [1, 3, 2]),
    "rnn_tanh_packed": ("RNN", dict(input_size=2, hidden_size=3, bidirectional=True), (4, 3, 2), False, [4, 4, 2]),
    "lstm_cell": ("LSTMCell", dict(input_size=3, hidden_size=4), (5, 3), True, None),
    "lstm_cell_unbatched": ("LSTMCell", dict(input_size=3, hidden_size=4), (3,), False, None),
    "gru_cell": ("GRUCell", dict(input_size=3, hidden_size=4), (5, 3), True, None),
    "rnn_cell_relu": ("RNNCell", dict(input_size=3, hidden_size=4, nonlinearity="relu"), (5, 3), True, None),
}


def hidden_shapes(kind, arguments, input_shape):
    """The shapes of h0 (and c0) for this case."""
    cell = kind.endswith("Cell")
    batched = len(input_shape) == (2 if cell else 3)
    batch = (input_shape[0] if cell or arguments.get("batch_first") else input_shape[1]) if batched else None
    hidden = arguments["hidden_size"]
    out = arguments.get("proj_size") or hidden
    layers = () if cell else (arguments.get("num_layers", 1) * (2 if arguments.get("bidirectional") else 1),)
    shapes = [layers + ((batch,) if batched else ()) + (out,)]
    return shapes + [shapes[0][:-1] + (hidden,)] if kind.startswith("LSTM") else shapes


def run(lib, name, arrays):
    """Run case ``name`` with library ``lib`` (torch or minigrad: the same calls) on the arrays
    (parameters under "param/", input, h0, c0): {result name: ndarray}. The loss weighs each output
    element by a fixed cosine, so that every gradient entry differs."""
    kind, arguments, input_shape, with_hx, lengths = CASES[name]
    module = getattr(lib.nn, kind)(**arguments).double()
    module.load_state_dict({key[6:]: lib.tensor(value) for key, value in arrays.items() if key.startswith("param/")})
    x = lib.tensor(arrays["input"], requires_grad=True)
    states = [lib.tensor(arrays[key], requires_grad=True) for key in ("h0", "c0") if key in arrays]
    hx = None if not with_hx else tuple(states) if kind.startswith("LSTM") else states[0]
    if lengths is None:
        result = module(x, hx)
    else:
        batch_first = arguments.get("batch_first", False)
        packed = lib.nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=False)
        output, final = module(packed, hx)
        padded, out_lengths = lib.nn.utils.rnn.pad_packed_sequence(output, batch_first=batch_first, padding_value=-1.0,
                                                                   total_length=input_shape[int(batch_first)] + 1)
        assert out_lengths.tolist() == lengths
        result = (padded, final)
    if kind.endswith("Cell"):
        outputs = list(result) if kind == "LSTMCell" else [result]
    else:
        outputs = [result[0]] + (list(result[1]) if kind == "LSTM" else [result[1]])
    loss = sum((o * lib.tensor(np.cos(np.arange(o.numel()) + i).reshape(tuple(o.shape)))).sum()
               for i, o in enumerate(outputs))
    loss.backward()
    got = {f"output{i}": o.detach().numpy() for i, o in enumerate(outputs)}
    got["grad/input"] = x.grad.numpy()
    if with_hx:
        got.update({f"grad/{key}": s.grad.numpy() for key, s in zip(("h0", "c0"), states)})
    got.update({f"grad/{key}": p.grad.numpy() for key, p in module.named_parameters()})
    return got


def case_arrays(name):
    with np.load(FIXTURES) as fixtures:
        prefix = f"{name}/"
        return {key[len(prefix):]: fixtures[key] for key in fixtures.files if key.startswith(prefix)}


@pytest.mark.parametrize("name", sorted(CASES))
def test_torch_state_dict_gives_torchs_outputs_and_gradients(name):
    arrays = case_arrays(name)
    expected = {key[9:]: value for key, value in arrays.items() if key.startswith("expected/")}
    got = run(mg, name, {key: value for key, value in arrays.items() if not key.startswith("expected/")})
    assert sorted(got) == sorted(expected)
    for key, value in expected.items():
        assert got[key].shape == value.shape, key
        np.testing.assert_allclose(got[key], value, rtol=1e-10, atol=1e-12, err_msg=f"{name}: {key}")


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_stepwise_walk_gives_torchs_numbers_too(name, monkeypatch):
    """The GPU's path (the layer steps in Python over the cell kernels, no sequence loops) on the CPU."""
    from minigrad._kernels.front.recurrent import RecurrentKernels
    monkeypatch.setattr(RecurrentKernels, "has_sequence_loops", False)
    test_torch_state_dict_gives_torchs_outputs_and_gradients(name)


def test_parameters_have_torchs_names_shapes_and_initial_range():
    lstm = nn.LSTM(3, 6, num_layers=2, bidirectional=True, proj_size=2)
    shapes = {name: tuple(p.shape) for name, p in lstm.named_parameters()}
    assert list(shapes)[:5] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_hr_l0"]
    assert shapes["weight_ih_l1_reverse"] == (24, 4) and shapes["weight_hh_l1"] == (24, 2)
    assert shapes["weight_hr_l0_reverse"] == (2, 6) and len(shapes) == 20
    bound = 1 / np.sqrt(6)
    assert all(np.abs(p.detach().numpy()).max() <= bound for p in lstm.parameters())
    assert len(lstm.all_weights) == 4 and lstm.all_weights[1][0] is lstm.weight_ih_l0_reverse
    assert repr(lstm) == "LSTM(3, 6, proj_size=2, num_layers=2, bidirectional=True)"
    assert lstm.flatten_parameters() is None
    cell = nn.GRUCell(3, 5, bias=False)
    assert [n for n, _ in cell.named_parameters()] == ["weight_ih", "weight_hh"] and cell.bias_ih is None


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_float32_and_float64_layers_keep_their_dtype(dtype):
    gru = nn.GRU(3, 4, num_layers=2, dtype=dtype)
    output, h_n = gru(mg.randn(5, 2, 3, dtype=dtype))
    assert output.dtype == h_n.dtype == mg.float32 if dtype == "float32" else mg.float64
    assert output.shape == (5, 2, 4) and h_n.shape == (2, 2, 4)


def test_dropout_between_layers_only_in_training():
    mg.manual_seed(0)
    lstm = nn.LSTM(3, 4, num_layers=2, dropout=0.5)
    x = mg.randn(6, 2, 3)
    lstm.eval()
    first, second = lstm(x)[0].detach().numpy(), lstm(x)[0].detach().numpy()
    np.testing.assert_array_equal(first, second)
    lstm.train()
    assert not np.allclose(lstm(x)[0].detach().numpy(), first)


@pytest.mark.parametrize("kind", ["GRU", "LSTM"])
def test_dropout_between_layers_is_one_layer_dropout_another(kind, device):
    """Training-mode nn.GRU/LSTM(num_layers=2, dropout=p) is layer 0, F.dropout, layer 1: with the same seed
    (so the same mask) the output, final states and every gradient equal the composition's, on each device."""
    rng = np.random.default_rng(0)
    full = getattr(nn, kind)(3, 4, num_layers=2, dropout=0.4).double().to(device)
    layers = [getattr(nn, kind)(n, 4).double().to(device) for n in (3, 4)]
    for index, layer in enumerate(layers):
        own = {k: v for k, v in full.state_dict().items() if k.endswith(f"l{index}")}
        layer.load_state_dict({k.replace(f"l{index}", "l0"): v for k, v in own.items()})
    x, h0, c0, weights = (rng.standard_normal(shape) for shape in [(6, 5, 3), (2, 5, 4), (2, 5, 4), (6, 5, 4)])

    def run(composed):
        mg.manual_seed(3)
        xs, hs, cs = (mg.tensor(a, device=device, requires_grad=True) for a in (x, h0, c0))
        state = (lambda i: (hs[i:i + 1], cs[i:i + 1])) if kind == "LSTM" else (lambda i: hs[i:i + 1])
        if composed:
            out, first = layers[0](xs, state(0))
            out, second = layers[1](mg.nn.functional.dropout(out, 0.4), state(1))
            finals = [mg.cat([a, b]) for a, b in zip(*[f if kind == "LSTM" else (f,) for f in (first, second)])]
        else:
            out, final = full(xs, (hs, cs) if kind == "LSTM" else hs)
            finals = list(final) if kind == "LSTM" else [final]
        (out * mg.tensor(weights, device=device)).sum().backward()
        params = [p for m in (layers if composed else [full]) for p in m.parameters()]
        grads = [xs.grad, hs.grad] + ([cs.grad] if kind == "LSTM" else []) + [p.grad for p in params]
        return [t.detach().cpu().numpy() for t in [out, *finals, *grads]]

    for got, want in zip(run(False), run(True), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_packed_outputs_equal_each_sequence_run_alone():
    """A packed batch of sequences of different lengths gives, per sequence, what it gives alone."""
    mg.manual_seed(1)
    gru = nn.GRU(2, 3, bidirectional=True, dtype="float64")
    sequences = [mg.randn(n, 2, dtype="float64") for n in (2, 5, 3)]
    packed = nn.utils.rnn.pack_sequence(sequences, enforce_sorted=False)
    output, h_n = gru(packed)
    assert isinstance(output, PackedSequence) and output.batch_sizes.tolist() == [3, 3, 2, 1, 1]
    padded, lengths = pad_packed_sequence(output)
    for j, s in enumerate(sequences):
        alone, h_alone = gru(s)
        np.testing.assert_allclose(padded[:s.shape[0], j].detach().numpy(), alone.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(h_n[:, j].detach().numpy(), h_alone.detach().numpy(), rtol=1e-12)


def test_errors_name_the_layer_and_the_shapes():
    lstm = nn.LSTM(3, 4, num_layers=2)
    with pytest.raises(RuntimeError, match=r"LSTM: input.size\(-1\) must be equal to input_size. Expected 3, got 5"):
        lstm(mg.randn(2, 1, 5))
    with pytest.raises(ValueError, match="LSTM: Expected input to be 2D or 3D, got 4D tensor"):
        lstm(mg.randn(2, 1, 1, 3))
    with pytest.raises(RuntimeError, match=r"LSTM: Expected hidden\[0\] size \(2, 1, 4\), got \[1, 1, 4\]"):
        lstm(mg.randn(2, 1, 3), (mg.zeros(1, 1, 4), mg.zeros(2, 1, 4)))
    with pytest.raises(RuntimeError, match=r"LSTM: Expected hidden\[1\] size \(2, 1, 4\), got \[2, 1, 3\]"):
        lstm(mg.randn(2, 1, 3), (mg.zeros(2, 1, 4), mg.zeros(2, 1, 3)))
    with pytest.raises(RuntimeError, match="GRU: for unbatched 2-D input, hx should be 2-D but got 3-D"):
        nn.GRU(3, 4)(mg.randn(2, 3), mg.zeros(1, 1, 4))
    with pytest.raises(TypeError, match="LSTM: input is float64 but the layer's parameters are float32"):
        lstm(mg.randn(2, 1, 3, dtype="float64"))
    with pytest.raises(TypeError, match="RNN: hx is float64 but the input is float32"):
        nn.RNN(3, 4)(mg.randn(2, 1, 3), mg.zeros(1, 1, 4, dtype="float64"))
    for dropout in (-0.1, 1.5, "0.2"):
        with pytest.raises(ValueError, match="GRU: dropout should be a number in range"):
            nn.GRU(3, 4, num_layers=2, dropout=dropout)
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="only supported for LSTM"):
        nn.RNNBase("GRU", 3, 4, proj_size=2)
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.LSTM(3, 4, dropout=0.3)
    with pytest.raises(RuntimeError, match="LSTMCell: input has inconsistent input_size: got 2 expected 3"):
        nn.LSTMCell(3, 4)(mg.randn(5, 2))
    with pytest.raises(RuntimeError, match=r"GRUCell: hidden state must have shape \(5, 4\)"):
        nn.GRUCell(3, 4)(mg.randn(5, 3), mg.zeros(4, 4))
    with pytest.raises(ValueError, match="RNNCell: Expected input to be 1D or 2D, got 3D"):
        nn.RNNCell(3, 4)(mg.randn(1, 5, 3))


def test_pack_padded_sequence_refusals_and_layouts():
    x = mg.arange(12.0).reshape(3, 2, 2)  # (L, N, features)
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order"):
        pack_padded_sequence(x, [1, 3])
    with pytest.raises(RuntimeError, match="has to be greater than 0"):
        pack_padded_sequence(x, [3, 0])
    packed = pack_padded_sequence(x, [3, 1])
    assert packed.batch_sizes.tolist() == [2, 1, 1] and packed.sorted_indices is None
    assert packed.data[:, 0].tolist() == [0.0, 2.0, 4.0, 8.0]
    with pytest.raises(ValueError, match="Expected total_length to be at least"):
        pad_packed_sequence(packed, total_length=2)
    padded, lengths = pad_packed_sequence(packed, batch_first=True, padding_value=-1.0)
    assert padded.shape == (2, 3, 2) and lengths.tolist() == [3, 1] and padded[1, 1:].tolist() == [[-1.0] * 2] * 2
    left = nn.utils.rnn.pad_sequence([mg.ones(1), mg.ones(3)], batch_first=True, padding_side="left")
    assert left.tolist() == [[0.0, 0.0, 1.0], [1.0, 1.0, 1.0]]


@pytest.mark.parametrize("name", ["lstm_proj_bidirectional_batch_first", "gru_packed", "rnn_relu_no_bias"])
def test_every_device_gives_torchs_numbers(name, device):
    """The fixtures again on each device (the GPU's step kernels are recurrent.cu's)."""
    arrays = case_arrays(name)
    inputs = {key: value for key, value in arrays.items() if not key.startswith("expected/")}
    kind, arguments, input_shape, with_hx, lengths = CASES[name]
    module = getattr(nn, kind)(**arguments).double().to(device)
    module.load_state_dict({key[6:]: mg.tensor(value) for key, value in inputs.items() if key.startswith("param/")})
    x = mg.tensor(inputs["input"], device=device)
    hx = None
    if with_hx:
        states = [mg.tensor(inputs[key], device=device) for key in ("h0", "c0") if key in inputs]
        hx = tuple(states) if kind == "LSTM" else states[0]
    if lengths is not None:
        x = pack_padded_sequence(x, lengths, batch_first=arguments.get("batch_first", False), enforce_sorted=False)
    output, _ = module(x, hx)
    if lengths is not None:
        output, _ = pad_packed_sequence(output, batch_first=arguments.get("batch_first", False), padding_value=-1.0,
                                        total_length=input_shape[int(arguments.get("batch_first", False))] + 1)
    assert output.device.type == device
    np.testing.assert_allclose(output.detach().cpu().numpy(), arrays["expected/output0"], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_float32_layers_over_a_long_sequence_match_float64(kind):
    """float32 runs the packed product kernel (recurrent_gemm.h) where float64 runs BLAS: a sequence of
    40 x 8 rows takes the weights' gradients (k: the rows) in slices of 256 with a partial last one,
    the gate rows (48 LSTM, 36 GRU) whole and partial blocks of 8, the gates' gradients a transposed
    view; every output and gradient within float32 rounding of the same layer in float64."""
    rng = np.random.default_rng(3)
    layer = getattr(nn, kind)(20, 12, num_layers=2)
    x = rng.standard_normal((40, 8, 20))
    weights = rng.standard_normal((40, 8, 12))
    results = []
    for dtype in (np.float32, np.float64):
        module = getattr(nn, kind)(20, 12, num_layers=2, dtype=np.dtype(dtype).name)
        module.load_state_dict({k: mg.tensor(v.detach().numpy().astype(dtype)) for k, v in layer.state_dict().items()})
        inputs = mg.tensor(x.astype(dtype), requires_grad=True)
        output = module(inputs)[0]
        (output * mg.tensor(weights.astype(dtype))).sum().backward()
        results.append([output.detach().numpy(), inputs.grad.numpy()] + [p.grad.numpy() for p in module.parameters()])
    for single, double in zip(*results):
        assert single.dtype == np.float32
        np.testing.assert_allclose(single, double, rtol=1e-4, atol=2e-5 * np.abs(double).max())
