"""Every difference between minigrad and torch that the oracle knows, by test id (fnmatch pattern).

``bug(...)``: a strict xfail, so a fix shows as an XPASS and its line goes. Reasons "issue 19: <class>"
are the classes issue 19 lists (being fixed in parallel); "oracle finding: ..." are differences the
oracle found beyond them. ``expected_difference(...)``: minigrad deliberately differs, for the reason
given; that aspect is not compared there.

Aspects: missing-error (torch raises, minigrad does not), spurious-error (the reverse), outputs
(their number), shape, dtype, value, grad."""
from oracle.harness import bug, expected_difference

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
    expected_difference("errors-max_pool1d-0", "spurious-error", "dilation > 1 is NotImplementedError (README)"),
    expected_difference("errors-pad-1", "spurious-error", "only mode='constant' (README)"),
]

CASES_KNOWN = [
    expected_difference("randint", "value", "random: only shape, dtype and range are comparable"),
    # beyond the issue
    expected_difference("Tensor", "dtype", "mg.Tensor is mg.tensor's alias (DESIGN.md); torch.Tensor is the legacy "
                                           "float32 constructor"),
    bug("data", "spurious-error", "oracle finding: .data is a NumPy array, not a Tensor (x.data * 2 has no "
                                  "requires_grad)"),
    bug("data-assign", "spurious-error", "oracle finding: assigning a Tensor to .data fails "
                                         "(\"device 'cuda' needs CuPy\")"),
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
]
