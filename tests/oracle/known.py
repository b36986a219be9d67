"""Every difference between minigrad and torch that the oracle knows, by test id (fnmatch pattern).

``bug(...)``: a strict xfail, so a fix shows as an XPASS and its line goes. Reasons "issue 19: <class>"
are the classes issue 19 lists (being fixed in parallel); "oracle finding: ..." are differences the
oracle found beyond them. ``expected_difference(...)``: minigrad deliberately differs, for the reason
given; that aspect is not compared there.

Aspects: missing-error (torch raises, minigrad does not), spurious-error (the reverse), outputs
(their number), shape, dtype, value, grad."""
from oracle.harness import bug, expected_difference

INDEXING = "issue 19: indexing that mixes an integer and an index list/mask across a slice"
SPECIAL_GRAD = "issue 19: gradient at special points"
EMPTY = "issue 19: empty tensors"
OPTIONS = "issue 19: missing torch options"
ERRORS = "issue 19: missing errors"
NO_GRAD_ARRIVES = "issue 19: gradients that silently do not arrive"
BOOL = "issue 19: bool dtypes of add(alpha) and **"
ZERO_D = "issue 19: 0-d results of comparisons, logical and bitwise ops"
INT_POW = "issue 19: missing torch options (int ** negative int)"
SCALAR_STATE = ("minigrad keeps NAdam's mu_product and ASGD's eta and mu in double; torch keeps them in its default "
                "dtype (float32), so a float64 run differs by ~1e-7 relative (under torch.set_default_dtype(float64) "
                "they agree bitwise: tests/optim/test_adam_variants_asgd.py)")
NEGATIVE_STEP = "minigrad takes negative slice steps (NumPy's); torch refuses them"

OP_TABLE = [
    expected_difference("dropout*_mask-*", "value grad",
                        "random masks: minigrad's Philox stream keyed by mg.manual_seed is not torch's generator; "
                        "shape and dtype are compared, the op table checks the mask's values"),
    bug("abs-*-nonfinite", "grad", SPECIAL_GRAD), bug("abs-*-edges", "grad", SPECIAL_GRAD),
    bug("pow-*-nonfinite", "grad", SPECIAL_GRAD), bug("pow-*-edge-pairs", "grad", SPECIAL_GRAD),
    bug("maximum-*-nonfinite", "grad", SPECIAL_GRAD), bug("maximum-*-edge-pairs", "grad", SPECIAL_GRAD),
    bug("minimum-*-nonfinite", "grad", SPECIAL_GRAD), bug("minimum-*-edge-pairs", "grad", SPECIAL_GRAD),
    # the same class, at points the issue does not name
    bug("pow_fractional-*-nonfinite", "grad", SPECIAL_GRAD + " ((-inf) ** 0.5: torch NaN, minigrad -0)"),
    bug("pow_fractional-*-edges", "grad", SPECIAL_GRAD + " ((-inf) ** 0.5: torch NaN, minigrad -0)"),
    bug("elu-*-nonfinite", "grad", SPECIAL_GRAD + " (elu at NaN: torch passes the upstream gradient)"),
    bug("elu-float32-*-edges", "grad", SPECIAL_GRAD + " (elu at NaN: torch passes the upstream gradient)"),
    bug("hardswish-*-nonfinite", "grad", SPECIAL_GRAD + " (hardswish at NaN: torch passes the upstream gradient)"),
    bug("hardswish-float32-*-edges", "grad", SPECIAL_GRAD + " (hardswish at NaN)"),
    bug("gelu_tanh-*-nonfinite", "grad", SPECIAL_GRAD + " (gelu tanh at +-inf: torch NaN, minigrad finite)"),
    bug("gelu_tanh-*-edges", "grad", SPECIAL_GRAD + " (gelu tanh at +-inf: torch NaN, minigrad finite)"),
    bug("softsign-*-nonfinite", "grad", SPECIAL_GRAD + " (softsign at +-inf: torch NaN, minigrad 0)"),
    bug("softsign-*-edges", "grad", SPECIAL_GRAD + " (softsign at +-inf: torch NaN, minigrad 0)"),
    bug("prod_empty-*", "spurious-error", EMPTY),
    expected_difference("prod-*-(2,3,4){'dim':(0,2)}", "missing-error",
                        "minigrad's prod takes a tuple of dims, as its sum does; torch's prod takes one int"),
    expected_difference("getitem(None,-1,slice(4,0,-2))-*", "missing-error", NEGATIVE_STEP),
    expected_difference("getitem(slice(1,None,2),Ellipsis,slice(None,None,-1))-*", "missing-error", NEGATIVE_STEP),
    *[bug(f"smooth_l1_loss-*-{shape}-{reduction}", "value grad shape",
          "oracle finding: F.smooth_l1_loss's third positional argument is reduction (README); torch's is the "
          "deprecated size_average, so the same positional call means another loss")
      for shape in ("(3,4)", "(5,)") for reduction in ("sum", "none")],
    bug("errors-hardtanh-2", "spurious-error", OPTIONS + " (integer input, as relu: hardtanh)"),
    bug("errors-softsign-0", "spurious-error", OPTIONS + " (integer input, as relu: softsign)"),
    expected_difference("errors-max_pool1d-0", "spurious-error", "dilation > 1 is NotImplementedError (README)"),
    expected_difference("errors-pad-1", "spurious-error", "only mode='constant' (README)"),
]

CASES_KNOWN = [
    expected_difference("randint", "value", "random: only shape, dtype and range are comparable"),
    bug("sigmoid-tail", "value", "issue 19: sigmoid precision for negative inputs"),
    bug("clamp-nan-bound", "value", "issue 19: clamp with a NaN bound"),
    *[bug(f"arange-int64[{a}]", "shape value", "issue 19: arange with an int64 dtype and float bounds")
      for a in ("(0, 2.5)", "(9.84,)")],
    bug("arange-wrong-sign", "missing-error", ERRORS),
    bug("bce-target-grad", "grad", NO_GRAD_ARRIVES), bug("bce-edges", "grad", NO_GRAD_ARRIVES),
    bug("cross_entropy-unbatched", "grad", NO_GRAD_ARRIVES + " (cross_entropy's probability target too)"),
    bug("bool-add-alpha", "dtype value", BOOL), bug("bool-pow", "dtype", BOOL), bug("op[bool-pow-True]", "dtype", BOOL),
    bug("op[bool-pow-bool]", "missing-error", BOOL + " (torch: pow is not implemented for bool ** bool)"),
    bug("op[bool-pow-True]-reflected", "missing-error", BOOL + " (torch: pow is not implemented for bool ** bool)"),
    bug("pow-special-grad", "grad", SPECIAL_GRAD), bug("maximum-nan-grad", "grad", SPECIAL_GRAD),
    bug("abs-nan-grad", "grad", SPECIAL_GRAD),
    bug("compare-0d*", "spurious-error", ZERO_D), bug("0d-result*", "spurious-error", ZERO_D),
    *[bug(name, "spurious-error outputs", EMPTY) for name in (
        "argmax-empty-dim", "max-dim-empty", "prod-empty-grad", "linear-zero-features")],
    *[bug(name, "spurious-error", OPTIONS) for name in (
        "clamp-tensor-bounds", "softmax-dtype", "norm[0]", "relu-int", "pool-unbatched[0]", "pool-unbatched[1]",
        "pool-unbatched[2]")],
    bug("conv-unbatched", "spurious-error", OPTIONS + " (unbatched input, as pooling: conv1d/conv2d)"),
    *[bug(name, "spurious-error", INT_POW) for name in (
        "op[int32-pow-int32]", "op[int32-pow-int64]", "op[int64-pow-int32]", "op[int64-pow-int64]",
        "op[bool-pow-int32]", "op[bool-pow-int64]", "int-pow-negative-tensor", "op[int32-pow-True]-reflected",
        "op[int64-pow-True]-reflected", "op[int32-pow-3]-reflected", "op[int64-pow-3]-reflected")],
    *[bug(name, "missing-error", ERRORS) for name in (
        "int-floordiv-zero", "int-mod-zero", "numpy-requires-grad", "norm-int", "full-overflow", "new_full-overflow",
        "fill-overflow", "bce-nan-input", "hook[float64-for-float32]")],
    *[bug(name, "missing-error", ERRORS + " (- on bool tensors)") for name in (
        *[f"op[bool-sub-{b}]" for b in ("int32", "int64", "float32", "float64", "3", "2.5")],
        *[f"op[{a}-sub-{b}]" for a in ("int32", "int64", "float32", "float64") for b in ("bool", "True")],
        *[f"op[{a}-sub-True]-reflected" for a in ("int32", "int64", "float32", "float64")],
        "op[bool-sub-3]-reflected", "op[bool-sub-2.5]-reflected")],
    # beyond the issue
    bug("Tensor", "dtype", "oracle finding: mg.Tensor(data) keeps data's dtype (int64 here); torch.Tensor is "
                           "always float32"),
    bug("data", "spurious-error", "oracle finding: .data is a NumPy array, not a Tensor (x.data * 2 has no "
                                  "requires_grad)"),
    bug("data-assign", "spurious-error", "oracle finding: assigning a Tensor to .data fails "
                                         "(\"device 'cuda' needs CuPy\")"),
    *[bug(name, "spurious-error", "oracle finding: // and % refuse bool tensors (torch computes them as 0/1)")
      for name in [f"op[bool-{op}-{b}]" for op in ("floordiv", "mod") for b in ("int32", "int64", "float32", "float64",
                                                                               "3", "2.5")]
      + [f"op[{a}-{op}-bool]" for op in ("floordiv", "mod") for a in ("float32", "float64")]],
    bug("hook[post-accumulate]", "outputs value", "oracle finding: register_post_accumulate_grad_hook fires once "
                                                  "per use of the leaf; torch once per backward"),
    bug("cat-legacy-empty", "spurious-error", "oracle finding: mg.cat refuses a 1-D empty tensor beside others "
                                              "(torch skips it)"),
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
    bug("Conv2d-unbatched-*", "spurious-error", OPTIONS + " (unbatched input, as pooling: nn.Conv2d)"),
    bug("1", "missing-error", ERRORS + " (1e300 into float32 through nn.init.constant_)"),
    bug("Sequential-slice-*", "value", "oracle finding: slicing nn.Sequential renumbers its modules from 0 "
                                       "(torch keeps their names, so state_dict keys differ)"),
    bug("structure", "value", "oracle finding: repr of BatchNorm and LayerNorm lacks torch 2.13's ', bias=True'; "
                              "a sliced Sequential renumbers its modules"),
    *[expected_difference(where, "value", SCALAR_STATE) for where in (
        "NAdam{'lr': 0.05, 'betas': (0.6, 0.9), 'weight_decay': 0.1, 'momentum_decay': 0.1}-float64",
        "ASGD{'lr': 0.1, 'lambd': 0.5, 'alpha': 0.5, 't0': 2, 'weight_decay': 0.1, 'maximize': True}-float64")],
]
