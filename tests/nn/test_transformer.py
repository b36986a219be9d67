"""nn.MultiheadAttention and the Transformer layers (nn/transformer.py): a torch 2.13 state_dict loaded
unchanged gives torch's outputs, attention weights and gradients (inputs and parameters) to float64
rounding (torch's numbers in data/transformer_torch.npz, written by make_transformer_fixtures.py);
parameter names and initialisation as torch's; the errors that name the layer and the shapes."""
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn

FIXTURES = np.load(Path(__file__).with_name("data") / "transformer_torch.npz")

MODULES = {
    "mha_weights": lambda: nn.MultiheadAttention(8, 2),
    "mha_fused": lambda: nn.MultiheadAttention(8, 2),
    "mha_kdim_bias_kv_zero_attn": lambda: nn.MultiheadAttention(8, 4, kdim=5, vdim=3, add_bias_kv=True,
                                                                add_zero_attn=True, batch_first=True),
    "encoder_layer": lambda: nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0),
    "encoder_layer_norm_first_gelu": lambda: nn.TransformerEncoderLayer(
        8, 2, dim_feedforward=16, dropout=0.0, activation="gelu", norm_first=True, batch_first=True),
    "transformer": lambda: nn.Transformer(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=1,
                                          dim_feedforward=16, dropout=0.0),
}


def _group(case, kind):
    prefix = f"{case}/{kind}/"
    return {key[len(prefix):]: FIXTURES[key] for key in FIXTURES.files if key.startswith(prefix)}


@pytest.mark.parametrize("case", sorted(MODULES))
def test_torch_state_dict_gives_torch_outputs_and_gradients(case):
    module = MODULES[case]().double()
    state = _group(case, "state")
    assert list(module.state_dict()) == list(state)  # torch's names, in torch's order
    module.load_state_dict({key: mg.tensor(value) for key, value in state.items()})
    inputs = {key: mg.tensor(value, requires_grad=True) for key, value in _group(case, "input").items()}
    options = {key: (mg.tensor(value) if value.ndim else value.item()) for key, value in _group(case, "option").items()}
    result = module(**inputs, **options)
    out = result[0] if isinstance(result, tuple) else result
    np.testing.assert_allclose(out.detach().numpy(), FIXTURES[f"{case}/out"], rtol=1e-10, atol=1e-12)
    if f"{case}/attn_weights" in FIXTURES.files:
        np.testing.assert_allclose(result[1].detach().numpy(), FIXTURES[f"{case}/attn_weights"], rtol=1e-10, atol=1e-12)
    (out * mg.tensor(FIXTURES[f"{case}/out_weight"])).sum().backward()
    for key, grad in _group(case, "input_grad").items():
        np.testing.assert_allclose(inputs[key].grad.numpy(), grad, rtol=1e-9, atol=1e-12, err_msg=key)
    for key, param in module.named_parameters():
        np.testing.assert_allclose(param.grad.numpy(), FIXTURES[f"{case}/grad/{key}"], rtol=1e-9, atol=1e-12,
                                   err_msg=key)


def test_parameter_shapes_and_initialisation_follow_torch():
    mg.manual_seed(0)
    mha = nn.MultiheadAttention(64, 8, kdim=32, vdim=16, add_bias_kv=True)
    shapes = {name: tuple(p.shape) for name, p in mha.named_parameters()}
    assert shapes == {"q_proj_weight": (64, 64), "k_proj_weight": (64, 32), "v_proj_weight": (64, 16),
                      "in_proj_bias": (192,), "bias_k": (1, 1, 64), "bias_v": (1, 1, 64),
                      "out_proj.weight": (64, 64), "out_proj.bias": (64,)}
    bound = np.sqrt(6 / (64 + 32))  # xavier_uniform_ over (fan_in + fan_out)
    assert np.abs(mha.k_proj_weight.detach().numpy()).max() <= bound
    np.testing.assert_array_equal(mha.in_proj_bias.detach().numpy(), 0)
    np.testing.assert_array_equal(mha.out_proj.bias.detach().numpy(), 0)
    layer = nn.TransformerEncoderLayer(16, 4)
    names = [name for name, _ in layer.named_parameters()]
    assert names[:4] == ["self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight",
                         "self_attn.out_proj.bias"]
    encoder = nn.TransformerEncoder(layer, num_layers=2)
    assert "layers.1.self_attn.in_proj_weight" in encoder.state_dict()
    mask = nn.Transformer.generate_square_subsequent_mask(3).numpy()
    np.testing.assert_array_equal(mask, [[0, -np.inf, -np.inf], [0, 0, -np.inf], [0, 0, 0]])


def test_need_weights_and_the_fused_path_agree():
    mg.manual_seed(1)
    mha = nn.MultiheadAttention(8, 2).double()
    x = mg.randn(5, 3, 8, dtype="float64")
    padding = mg.tensor([[False] * 4 + [True], [False] * 5, [True] + [False] * 4])
    explicit, weights = mha(x, x, x, key_padding_mask=padding)
    fused, none = mha(x, x, x, key_padding_mask=padding, need_weights=False)
    assert none is None and tuple(weights.shape) == (3, 5, 5)
    np.testing.assert_allclose(fused.detach().numpy(), explicit.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_bad_input_names_the_layer_and_the_shapes():
    with pytest.raises(ValueError, match=r"embed_dim \(10\) must be divisible by num_heads \(3\)"):
        nn.MultiheadAttention(10, 3)
    mha = nn.MultiheadAttention(8, 2)
    x = mg.randn(5, 3, 8)
    with pytest.raises(ValueError, match=r"MultiheadAttention: the 2-d attn_mask has shape \(4, 5\), but should be"):
        mha(x, x, x, attn_mask=mg.zeros(4, 5))
    with pytest.raises(TypeError, match="MultiheadAttention: only bool and floating attn_mask"):
        mha(x, x, x, attn_mask=mg.zeros(5, 5, dtype=mg.int64))
    with pytest.raises(ValueError, match=r"key_padding_mask must have shape \(N, S\) = \(3, 5\), got \(5, 3\)"):
        mha(x, x, x, key_padding_mask=mg.zeros(5, 3, dtype=mg.bool))
    with pytest.raises(ValueError, match=r"expected query \(\.\.\., 8\)"):
        mha(mg.randn(5, 3, 6), x, x)
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")
    model = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=8)
    with pytest.raises(RuntimeError, match="the batch number of src"):
        model(mg.randn(4, 2, 8), mg.randn(3, 5, 8))
