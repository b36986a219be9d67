"""Every difference between minigrad and torch that the oracle knows, by test id (fnmatch pattern).

``bug(...)``: a known, not yet fixed difference: a strict xfail, so a fix shows as an XPASS and its
line goes (none is left now: add one with its reason when a new difference is found and not fixed at
once). ``expected_difference(...)``: minigrad deliberately differs, for the reason given (the README's
"Semantics you can rely on" lists them); that aspect is not compared there.

Aspects: missing-error (torch raises, minigrad does not), spurious-error (the reverse), outputs
(their number), shape, dtype, value, grad."""
from oracle.harness import bug, expected_difference  # noqa: F401 - bug is the form for new findings

SCALAR_STATE = ("minigrad keeps NAdam's mu_product and ASGD's eta and mu in double; torch keeps them in its default "
                "dtype (float32), so a float64 run differs by ~1e-7 relative (under torch.set_default_dtype(float64) "
                "they agree bitwise: tests/optim/test_adam_variants_asgd.py)")
NEGATIVE_STEP = "minigrad takes negative slice steps (NumPy's); torch refuses them"

OP_TABLE = [
    expected_difference("dropout*_mask-*", "value grad",
                        "random masks: minigrad's Philox stream keyed by mg.manual_seed is not torch's generator; "
                        "shape and dtype are compared, the op table checks the mask's values"),
    # the same class, at points the issue does not name
    *[expected_difference(name, "grad", "torch's elu and hardswish gradient at NaN depends on the tensor's length: "
                                        "its scalar tail loop passes gy, its vectorised loop (16+ float64, 32+ "
                                        "float32 elements) gives NaN; minigrad gives NaN at any length")
      for name in ("elu-*-nonfinite", "elu-float32-*-edges", "hardswish-*-nonfinite", "hardswish-float32-*-edges")],
    expected_difference("prod-*-(2,3,4){'dim':(0,2)}", "missing-error",
                        "minigrad's prod takes a tuple of dims, as its sum does; torch's prod takes one int"),
    expected_difference("getitem(None,-1,slice(4,0,-2))-*", "missing-error", NEGATIVE_STEP),
    expected_difference("getitem(slice(1,None,2),Ellipsis,slice(None,None,-1))-*", "missing-error", NEGATIVE_STEP),
    expected_difference("interpolate_bicubic-*-(1,1,5,5){'scale_factor':1.1}", "grad",
                        "torch's bicubic backward copies the gradient when the size does not change, but its forward "
                        "resamples by the scale factor given (torch's own gradcheck fails there); minigrad's gradient "
                        "is its forward's (gradcheck passes)"),
    expected_difference("errors-pad_circular-*", "spurious-error",
                        "circular padding whose negative width crops the whole dim leaves nothing to wrap: minigrad "
                        "refuses it; torch reads uninitialised memory"),
    expected_difference("errors-max_pool1d-0", "spurious-error", "dilation > 1 is NotImplementedError (README)"),
    # recurrent_layer is the op behind nn.RNN/LSTM/GRU (one direction of one layer over a packed sequence):
    # torch has no public function of that form, so its twin fails; the modules are compared with torch
    # in tests/oracle/training.py (MODULES) and against torch's numbers in tests/nn/test_recurrent.py
    *[expected_difference(f"{prefix}{mode}_layer-*", "missing-error spurious-error",
                          "no torch function of this form; compared through nn.RNN/LSTM/GRU")
      for mode in ("lstm", "gru", "rnn_tanh", "rnn_relu") for prefix in ("", "errors-")],
]

CASES_KNOWN = [
    expected_difference("half-ops", "spurious-error", "float16 (mg.half) is storage only in minigrad: ops refuse it "
                        "(compute in float32); the README says so"),
    expected_difference("randint", "value", "random: only shape, dtype and range are comparable"),
    # beyond the issue
    expected_difference("Tensor", "dtype", "mg.Tensor is mg.tensor's alias (DESIGN.md); torch.Tensor is the legacy "
                                           "float32 constructor"),
    expected_difference("getitem[step]", "missing-error", NEGATIVE_STEP),
    expected_difference("setitem[step]", "missing-error", NEGATIVE_STEP),
    expected_difference("grad-mode[inference_mode]", "value grad",
                        "inference_mode is no_grad here (README): enable_grad inside it records a graph"),
    expected_difference("topk[*", "value grad", "ties: minigrad's sort and topk are stable (README); torch's order "
                                                "among equal values is unspecified, and the gradient follows it"),
    expected_difference("layer_norm-float32-offset", "grad", "minigrad's LayerNorm computes its statistics in "
                                                              "double (README); torch's float32 loses digits at a "
                                                              "1e4 offset"),
    expected_difference("loss-broadcast", "spurious-error", "a loss whose input and target shapes differ is a "
                                                            "ValueError (torch broadcasts with a warning)"),
    expected_difference("cross_entropy-int32-target", "missing-error", "int32 class indices are accepted "
                                                                       "(README: int64 or int32 indices)"),
]

TRAINING_KNOWN = [
    *[expected_difference(where, "value", SCALAR_STATE) for where in (
        "NAdam{'lr': 0.05, 'betas': (0.6, 0.9), 'weight_decay': 0.1, 'momentum_decay': 0.1}-float64",
        "ASGD{'lr': 0.1, 'lambd': 0.5, 'alpha': 0.5, 't0': 2, 'weight_decay': 0.1, 'maximize': True}-float64")],
]
