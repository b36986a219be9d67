"""The exporter table: how each op (and each module exported whole) becomes ONNX nodes.

An exporter is a function of a ``Call`` (minigrad/onnx/_graph.py): ``call.op`` is the traced node,
whose hyperparameters (and what its forward stored) it reads; ``call.inputs`` are the value names of
the op's Tensor inputs and ``call.arrays`` their traced arrays; ``call.graph`` adds nodes
(``graph.node(op_type, inputs, **attributes)`` returns the output name) and constants
(``graph.constant``, ``graph.ints``, ``graph.scalar``). It returns the value name of each output.
Adding an op is one entry::

    @exports(ConvTranspose2dOp)
    def _conv_transpose(call):
        return call.graph.node("ConvTranspose", call.inputs, strides=list(call.op.stride), ...)

An option that ONNX cannot express is refused with ``call.refuse(reason)``, which names the op and
the module. A module whose ops do not trace to an ONNX graph that generalises (a batch size baked
into a reshape, say) gets an exporter for the whole module call: ``@exports_module(Layer, when=...)``,
``when(module)`` saying which calls it takes (the others are traced op by op).
"""
import math
from dataclasses import dataclass

import numpy as np

from ..nn import layers, spatial
from ..ops import activation, attention, conv, embedding, indexing, inplace, linear, loss, normalization, ordering, \
    padding, pool, recurrent, reduction, resample, rounding, shape
from ..ops import math as mathops
from ._trace import FollowedCall

OP_EXPORTERS = {}  # Op class -> exporter(call) -> output name(s)
MODULE_EXPORTERS = {}  # Module class -> ModuleExporter

# Op classes without an exporter, and why (the error says it); every other op of minigrad has one
_TRAINING_ONLY = "it runs in training only (export the model in eval mode, where it is not called)"
_GRADIENT = "it appears only in graphs built by a backward with create_graph=True (or SyncBatchNorm's double " \
    "backward), not in an inference graph"
_LOSS = "a loss is computed in training, not in an inference graph (export the model that gives its input)"
NOT_EXPORTED = {
    "DropoutOp": "dropout with training=True is random; " + _TRAINING_ONLY,
    "FeatureDropoutOp": "dropout with training=True is random; " + _TRAINING_ONLY,
    "SyncBatchNormOp": _TRAINING_ONLY,
    "CrossEntropy": _LOSS, "NLLLoss": _LOSS, "BinaryCrossEntropy": _LOSS, "BinaryCrossEntropyWithLogits": _LOSS,
    "KLDiv": _LOSS, "SmoothL1": _LOSS,
    "Cumprod": "ONNX has no running product",
    "PlaneGather": "it gathers at positions computed from the traced values (AdaptiveMaxPool2d is exported whole)",
    "SetItemInPlace": "assignment to an indexed part (x[i] = v) is not exported; build the result with cat or where",
    "Diag": "diag is not exported",
    "Adjoint": _GRADIENT, "ConvInputGrad": _GRADIENT, "ConvWeightGrad": _GRADIENT, "GlobalSum": _GRADIENT,
}


@dataclass(frozen=True)
class ModuleExporter:
    export: object  # exporter(call), call.op the module, call.inputs its positional Tensor arguments
    claims: object  # claims(module) -> whether this call is exported whole


def exports(*op_classes):
    """Register the decorated function as the exporter of ``op_classes`` (exact classes)."""
    def register(exporter):
        for op_class in op_classes:
            OP_EXPORTERS[op_class] = exporter
        return exporter
    return register


def exports_module(*module_classes, when=lambda module: True):
    """Register the decorated function as the exporter of whole calls of ``module_classes`` for which
    ``when(module)`` is true."""
    def register(exporter):
        for module_class in module_classes:
            MODULE_EXPORTERS[module_class] = ModuleExporter(exporter, when)
        return exporter
    return register


# ---- helpers ------------------------------------------------------------------------------------
def _same_dtype_inputs(call):
    """The inputs cast to the output's dtype (ONNX's arithmetic takes one dtype; minigrad promotes)."""
    graph, dtype = call.graph, call.outputs[0].dtype
    return [graph.cast(name, array.dtype, dtype) for name, array in zip(call.inputs, call.arrays)]


def _input_in_output_dtype(call):
    """Input 0 in the output's dtype (integer input to a float function computes as float, as minigrad's)."""
    return call.graph.cast(call.inputs[0], call.arrays[0].dtype, call.outputs[0].dtype)


def _scalar(call, value):
    """A 0-d constant in the output's dtype."""
    return call.graph.scalar(value, call.outputs[0].dtype)


def _axis(axis, ndim):
    return int(axis) % max(ndim, 1)


# ---- elementwise arithmetic -----------------------------------------------------------------------
_BINARY = {mathops.Add: "Add", mathops.Sub: "Sub", mathops.Mul: "Mul", mathops.Div: "Div", mathops.Pow: "Pow"}


@exports(*_BINARY)
def _binary(call):
    return call.graph.node(_BINARY[type(call.op)], _same_dtype_inputs(call))


@exports(mathops.Maximum)
def _maximum(call):
    return call.graph.node("Max" if call.op.largest else "Min", _same_dtype_inputs(call))


@exports(inplace.AddInPlace, inplace.MulInPlace, inplace.DivInPlace)
def _binary_inplace(call):
    graph, (a, b) = call.graph, _same_dtype_inputs(call)
    if isinstance(call.op, inplace.AddInPlace):
        if call.op.alpha != 1:
            b = graph.node("Mul", [b, _scalar(call, call.op.alpha)])
        return graph.node("Add", [a, b])
    return graph.node("Mul" if isinstance(call.op, inplace.MulInPlace) else "Div", [a, b])


@exports(inplace.CopyInPlace)
def _copy_inplace(call):
    """a[...] = b: b (in a's dtype) broadcast to a's shape."""
    graph, (a, b) = call.graph, _same_dtype_inputs(call)
    if call.arrays[1].shape == call.arrays[0].shape:
        return graph.node("Identity", [b])
    return graph.node("Expand", [b, graph.node("Shape", [a])])


@exports(inplace.FillInPlace)
def _fill_inplace(call):
    """a[...] = value (a one-element tensor), in a's dtype and shape."""
    graph, (a, value) = call.graph, _same_dtype_inputs(call)
    return graph.node("Expand", [graph.node("Reshape", [value, graph.ints([])]), graph.node("Shape", [a])])


@exports(mathops.MatMul)
def _matmul(call):
    return call.graph.node("MatMul", _same_dtype_inputs(call))


_UNARY = {mathops.Neg: "Neg", mathops.Exp: "Exp", mathops.Log: "Log", mathops.Tanh: "Tanh",
          mathops.Sigmoid: "Sigmoid", mathops.Abs: "Abs", mathops.Sqrt: "Sqrt", mathops.Sin: "Sin",
          mathops.Cos: "Cos", mathops.Erf: "Erf", mathops.Reciprocal: "Reciprocal", mathops.Sinh: "Sinh",
          mathops.Cosh: "Cosh", rounding.Floor: "Floor", rounding.Ceil: "Ceil", rounding.Sign: "Sign",
          activation.ReLU: "Relu", activation.Softsign: "Softsign", activation.Hardswish: "HardSwish"}


@exports(*_UNARY)
def _unary(call):
    return call.graph.node(_UNARY[type(call.op)], [_input_in_output_dtype(call)])


@exports(mathops.Log1p, mathops.Expm1, mathops.Rsqrt, mathops.Square, mathops.Log2, mathops.Log10, mathops.Exp2)
def _composed_unary(call):
    graph, x, op = call.graph, _input_in_output_dtype(call), call.op
    if isinstance(op, mathops.Log1p):
        return graph.node("Log", [graph.node("Add", [x, _scalar(call, 1)])])
    if isinstance(op, mathops.Expm1):
        return graph.node("Sub", [graph.node("Exp", [x]), _scalar(call, 1)])
    if isinstance(op, mathops.Rsqrt):
        return graph.node("Reciprocal", [graph.node("Sqrt", [x])])
    if isinstance(op, mathops.Square):
        return graph.node("Mul", [x, x])
    if isinstance(op, mathops.Exp2):
        return graph.node("Pow", [_scalar(call, 2), x])
    return graph.node("Div", [graph.node("Log", [x]), _scalar(call, math.log(10 if type(op) is mathops.Log10 else 2))])


@exports(mathops.Clamp, inplace.ClampInPlace, activation.Hardtanh)
def _clip(call):
    op, graph, dtype = call.op, call.graph, call.outputs[0].dtype
    low, high = (op.min_val, op.max_val) if isinstance(op, activation.Hardtanh) else (op.low, op.high)
    bounds = [graph.scalar(b, dtype) if b is not None else "" for b in (low, high)]
    while bounds and bounds[-1] == "":
        bounds.pop()
    return graph.node("Clip", [_input_in_output_dtype(call)] + bounds)


@exports(rounding.Round)
def _round(call):
    graph, x, scale = call.graph, call.inputs[0], 10.0 ** call.op.decimals
    if call.op.decimals == 0:
        return graph.node("Round", [x])
    scaled = graph.node("Round", [graph.node("Mul", [x, _scalar(call, scale)])])
    return graph.node("Div", [scaled, _scalar(call, scale)])


@exports(mathops.ClampTensor)
def _clamp_tensor(call):
    graph, (x, *bounds) = call.graph, _same_dtype_inputs(call)
    if call.op.has_low:
        x = graph.node("Max", [x, bounds.pop(0)])
    if call.op.has_high:
        x = graph.node("Min", [x, bounds.pop(0)])
    return graph.node("Expand", [x, graph.ints(call.outputs[0].shape)]) if x is call.inputs[0] else x


@exports(rounding.Trunc, rounding.Frac)
def _trunc(call):
    graph, x = call.graph, call.inputs[0]
    if call.arrays[0].dtype.kind != "f":
        return graph.node("Identity", [x])
    negative = graph.node("Less", [x, _scalar(call, 0)])
    truncated = graph.node("Where", [negative, graph.node("Ceil", [x]), graph.node("Floor", [x])])
    return graph.node("Sub", [x, truncated]) if isinstance(call.op, rounding.Frac) else truncated


@exports(mathops.NanToNum)
def _nan_to_num(call):
    graph, op, x, array = call.graph, call.op, call.inputs[0], call.arrays[0]
    if array.dtype.kind != "f":
        return graph.node("Identity", [x])
    info = np.finfo(array.dtype)
    y = graph.node("Where", [graph.node("IsNaN", [x]), _scalar(call, op.nan), x])
    posinf, neginf = (info.max if op.posinf is None else op.posinf), (info.min if op.neginf is None else op.neginf)
    for value, positive in ((posinf, 1), (neginf, 0)):
        infinite = graph.node("IsInf", [x], detect_positive=positive, detect_negative=1 - positive)
        y = graph.node("Where", [infinite, _scalar(call, value), y])
    return y


@exports(mathops.Lerp)
def _lerp(call):
    """start + weight (end - start) where |weight| < 0.5, else end - (end - start)(1 - weight), as minigrad's."""
    graph, (start, end, weight) = call.graph, _same_dtype_inputs(call)
    difference = graph.node("Sub", [end, start])
    near_start = graph.node("Add", [start, graph.node("Mul", [weight, difference])])
    near_end = graph.node("Sub", [end, graph.node("Mul", [difference, graph.node("Sub", [_scalar(call, 1), weight])])])
    small = graph.node("Less", [graph.node("Abs", [weight]), _scalar(call, 0.5)])
    return graph.node("Where", [small, near_start, near_end])


@exports(mathops.AddMM)
def _addmm(call):
    graph, (bias, mat1, mat2) = call.graph, _same_dtype_inputs(call)
    return graph.node("Gemm", [mat1, mat2, bias], alpha=float(call.op.alpha), beta=float(call.op.beta))


@exports(shape.Where)
def _where(call):
    graph, dtype = call.graph, call.outputs[0].dtype
    (condition, a, b), (_, a_array, b_array) = call.inputs, call.arrays
    return graph.node("Where", [condition, graph.cast(a, a_array.dtype, dtype), graph.cast(b, b_array.dtype, dtype)])


def _operator(op_type, negate=False):
    """x < other and the like, in the operands' common dtype (a number arrives in x's float dtype)."""
    def export(call):
        graph, (x, other), (x_array, other_array) = call.graph, call.inputs, call.arrays
        dtype = np.result_type(x_array, other_array)
        result = graph.node(op_type, [graph.cast(x, x_array.dtype, dtype), graph.cast(other, other_array.dtype, dtype)])
        return graph.node("Not", [result]) if negate else result
    return export


def _bitwise(op_type, logical_type):
    def export(call):
        return call.graph.node(logical_type if call.outputs[0].dtype == bool else op_type, _same_dtype_inputs(call))
    return export


def _arg_extremum(call):
    """The indices of argmax, argmin, max(dim) and min(dim): the first extreme entry, as NumPy's."""
    graph, x = call.graph, call.inputs[0]
    arguments = dict(zip(("dim", "keepdim", "largest"), call.op.arguments), **call.op.options)
    dim, keepdim, largest = arguments["dim"], arguments["keepdim"], arguments["largest"]
    op_type = "ArgMax" if largest else "ArgMin"
    if dim is None:
        flat = graph.node(op_type, [graph.node("Reshape", [x, graph.ints([-1])])], axis=0, keepdims=0)
        return graph.node("Reshape", [flat, graph.ints(call.outputs[0].shape)])
    return graph.node(op_type, [x], axis=_axis(dim, call.arrays[0].ndim), keepdims=int(bool(keepdim)))


def _conversion(call):
    """Tensor.to between dtypes (or devices) where no op ran: integer and bool tensors."""
    return call.graph.node("Identity", call.inputs[:1]) if call.arrays[0].dtype == call.outputs[0].dtype else \
        call.graph.cast(call.inputs[0], call.arrays[0].dtype, call.outputs[0].dtype)


# the FOLLOWED functions (minigrad/onnx/_trace.py) by name
_TENSOR_METHODS = {
    "__lt__": _operator("Less"), "__le__": _operator("LessOrEqual"), "__gt__": _operator("Greater"),
    "__ge__": _operator("GreaterOrEqual"), "__eq__": _operator("Equal"), "__ne__": _operator("Equal", negate=True),
    "__and__": _bitwise("BitwiseAnd", "And"), "__or__": _bitwise("BitwiseOr", "Or"),
    "__xor__": _bitwise("BitwiseXor", "Xor"), "to": _conversion,
    "__invert__": lambda call: call.graph.node("Not" if call.outputs[0].dtype == bool else "BitwiseNot", call.inputs),
    "_arg_extremum": _arg_extremum,
}


@exports(FollowedCall)
def _followed(call):
    return _TENSOR_METHODS[call.op.name](call)


# ---- activations ----------------------------------------------------------------------------------
@exports(activation.LeakyReLU)
def _leaky_relu(call):
    return call.graph.node("LeakyRelu", [call.inputs[0]], alpha=float(call.op.negative_slope))


@exports(activation.ELU)
def _elu(call):
    return call.graph.node("Elu", [call.inputs[0]], alpha=float(call.op.alpha))


@exports(activation.GELU)
def _gelu(call):
    """x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)), or 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))
    (ONNX's Gelu arrives in opset 20)."""
    graph, x = call.graph, call.inputs[0]
    if call.op.approximate == "tanh":
        cube = graph.node("Mul", [graph.node("Mul", [x, x]), x])
        inner = graph.node("Add", [x, graph.node("Mul", [cube, _scalar(call, 0.044715)])])
        curve = graph.node("Tanh", [graph.node("Mul", [inner, _scalar(call, math.sqrt(2 / math.pi))])])
    else:
        curve = graph.node("Erf", [graph.node("Mul", [x, _scalar(call, 1 / math.sqrt(2))])])
    half_x = graph.node("Mul", [x, _scalar(call, 0.5)])
    return graph.node("Mul", [half_x, graph.node("Add", [curve, _scalar(call, 1)])])


@exports(activation.SiLU)
def _silu(call):
    x = call.inputs[0]
    return call.graph.node("Mul", [x, call.graph.node("Sigmoid", [x])])


@exports(activation.Mish)
def _mish(call):
    graph, x = call.graph, call.inputs[0]
    return graph.node("Mul", [x, graph.node("Tanh", [graph.node("Softplus", [x])])])


@exports(activation.LogSigmoid)
def _logsigmoid(call):
    graph = call.graph
    return graph.node("Neg", [graph.node("Softplus", [graph.node("Neg", [call.inputs[0]])])])


@exports(activation.Softplus)
def _softplus(call):
    """softplus(beta x) / beta, and x itself where beta x > threshold."""
    graph, x, op = call.graph, call.inputs[0], call.op
    scaled = graph.node("Mul", [x, _scalar(call, op.beta)])
    soft = graph.node("Div", [graph.node("Softplus", [scaled]), _scalar(call, op.beta)])
    return graph.node("Where", [graph.node("Greater", [scaled, _scalar(call, op.threshold)]), x, soft])


@exports(loss.Softmax, loss.LogSoftmax)
def _softmax(call):
    op_type = "Softmax" if isinstance(call.op, loss.Softmax) else "LogSoftmax"
    return call.graph.node(op_type, [_input_in_output_dtype(call)], axis=_axis(call.op.dim, call.arrays[0].ndim))


# ---- layers -------------------------------------------------------------------------------------
def _computed_from_constants(graph, name):
    """Whether value ``name`` is an initialiser or computed from initialisers only (no graph input)."""
    constants = {i.name for i in graph.initializers}
    producers = {output: node for node in graph.nodes for output in node.output}
    pending, seen = [name], set()
    while pending:
        value = pending.pop()
        if value in seen or value in constants or value == "":
            continue
        seen.add(value)
        if value not in producers:
            return False
        pending.extend(producers[value].input)
    return True


@exports(attention.ScaledDotProductAttention)
def _attention(call):
    """softmax(q k^T * scale + mask) v on (B, L, E) arrays: the mask a constant (the traced attn_mask),
    causal a triangle of -inf built to the traced lengths' shape at run time, grouped-query key/value
    heads repeated (query b reads head b // group); rows whose keys are all masked give 0, as minigrad's."""
    op, graph, (q, k, v) = call.op, call.graph, call.inputs
    if op.dropout_p > 0:
        call.refuse(f"dropout_p={op.dropout_p} is random; export in eval mode (where MultiheadAttention passes 0)")
    source = None if op.mask_source is None else graph.name_of(op.mask_source)
    if source is not None and not _computed_from_constants(graph, source):
        call.refuse("its attn_mask (or key_padding_mask) is computed from the model's inputs, and the file would "
                    "hold its traced value as a constant")
    dtype = call.outputs[0].dtype
    group = call.arrays[0].shape[0] // max(call.arrays[1].shape[0], 1)
    if group > 1:
        k, v = (graph.node("Reshape", [graph.node("Expand", [graph.unsqueeze(t, [1]), graph.ints([1, group, 1, 1])]),
                                       graph.node("Concat", [graph.ints([-1]), graph.node("Shape", [t], start=1)],
                                                  axis=0)]) for t in (k, v))
    scores = graph.node("MatMul", [graph.node("Mul", [q, _scalar(call, op.scale)]),
                                   graph.node("Transpose", [k], perm=[0, 2, 1])])
    mask = None
    if op.is_causal:
        lengths = graph.node("Concat", [graph.node("Shape", [t], start=1, end=2) for t in (q, k)], axis=0)
        minus_infinity = graph.helper.make_tensor("value", graph.helper.np_dtype_to_tensor_dtype(dtype), [1],
                                                  [-np.inf])
        mask = graph.node("Trilu", [graph.node("ConstantOfShape", [lengths], value=minus_infinity), graph.ints(1)],
                          upper=1)
    elif op.mask is not None:
        masks = np.asarray(op.mask.get() if hasattr(op.mask, "get") else op.mask)
        index = np.asarray(op.mask_index.get() if hasattr(op.mask_index, "get") else op.mask_index)
        period = next((p for p in range(1, len(index) + 1) if len(index) % p == 0 and
                       np.array_equal(index, np.tile(index[:p], len(index) // p))), 1)
        mask = graph.constant(masks[index[:period]])  # the masks of a batch (of heads, say) that repeats
    if op.mask is not None and period > 1:  # scores (B, L, S) as (B / period, period, L, S)
        by_period = graph.node("Concat", [graph.ints([-1, period]), graph.node("Shape", [scores], start=1)], axis=0)
        scores = graph.node("Reshape", [graph.node("Add", [graph.node("Reshape", [scores, by_period]), mask]),
                                        graph.node("Shape", [scores])])
    elif mask is not None:
        scores = graph.node("Add", [scores, mask])
    weights = graph.node("Softmax", [scores], axis=-1)
    if op.mask is not None:  # softmax of an all -inf row is NaN
        weights = graph.node("Where", [graph.node("IsNaN", [weights]), _scalar(call, 0), weights])
    return graph.node("MatMul", [weights, v])


# torch's gate blocks in ONNX's order: LSTM i, f, g, o -> i, o, f, c; GRU r, z, n -> z, r, h
_GATE_ORDER = {"LSTM": (0, 3, 1, 2), "GRU": (1, 0, 2), "RNN_TANH": (0,), "RNN_RELU": (0,)}


@exports(recurrent.Recurrent)
def _recurrent(call):
    """One direction of one layer as an ONNX LSTM, GRU or RNN node over (L, N, in): the op's rows are
    L steps of N; initial states that are constant zeros (the module's default) are left to ONNX's
    default, so that the batch may vary."""
    op, graph = call.op, call.graph
    if len(set(op.batch_sizes)) > 1:
        call.refuse("a packed sequence (steps of unequal batch sizes) is not exported; pad it")
    if op.has_proj:
        call.refuse("an LSTM with proj_size has no ONNX counterpart")
    lstm = op.mode == "LSTM"
    x, h0, *rest = call.inputs
    states, rest = ([h0, rest[0]], rest[1:]) if lstm else ([h0], rest)
    hidden = call.arrays[-1 if not op.has_bias else -3].shape[0] // recurrent.GATES[op.mode]
    rows = np.concatenate([np.arange(g * hidden, (g + 1) * hidden) for g in _GATE_ORDER[op.mode]])

    def onnx_gates(weight):  # (G hidden, ...) in ONNX's gate order, with a leading direction dim
        return graph.unsqueeze(graph.node("Gather", [weight, graph.ints(rows)], axis=0), [0])
    weights = [onnx_gates(w) for w in rest[:2]]
    bias = [graph.node("Concat", [onnx_gates(b) for b in rest[2:4]], axis=1)] if op.has_bias else [""]
    initial = [graph.unsqueeze(s, [0]) if not (_computed_from_constants(graph, s) and not bool(array.any())) else ""
               for s, array in zip(states, call.arrays[1:1 + len(states)])]
    # the traced length L: the rows of other lengths do not split into L steps of one batch
    steps = graph.node("Reshape", [x, graph.ints([len(op.batch_sizes), -1, call.arrays[0].shape[1]])])
    attributes = dict(hidden_size=hidden, direction="reverse" if op.reverse else "forward")
    if op.mode == "GRU":
        attributes["linear_before_reset"] = 1
    elif op.mode != "LSTM":
        attributes["activations"] = ["Tanh" if op.mode == "RNN_TANH" else "Relu"]
    op_type = op.mode if op.mode in ("LSTM", "GRU") else "RNN"
    outputs = graph.node(op_type, [steps] + weights + bias + ["", *initial], outputs=2 + lstm, **attributes)
    y = graph.node("Reshape", [graph.squeeze(outputs[0], [1]), graph.ints([-1, hidden])])
    return [y] + [graph.squeeze(state, [0]) for state in outputs[1:]]


@exports(linear.LinearOp)
def _linear(call):
    graph, (x, weight, *bias), x_array = call.graph, call.inputs, call.arrays[0]
    if x_array.ndim == 2:
        return graph.node("Gemm", [x, weight] + bias, transB=1)
    y = graph.node("MatMul", [x, graph.node("Transpose", [weight], perm=[1, 0])])
    return graph.node("Add", [y, bias[0]]) if bias else y


def _image_geometry(call, op):
    """ONNX's strides, dilations and pads of an op whose hyperparameters are in 2-D form (padding
    ((top, bottom), (left, right))): pads are (begins..., ends...); 1-D input ran as height-1 images,
    so its height entries are dropped."""
    (top, bottom), (left, right) = op.padding
    if call.arrays[0].ndim == 3:
        return dict(strides=[op.stride[1]], dilations=[op.dilation[1]], pads=[left, right])
    return dict(strides=list(op.stride), dilations=list(op.dilation), pads=[top, left, bottom, right])


@exports(conv.ConvolutionOp)
def _convolution(call):
    return call.graph.node("Conv", list(call.inputs), group=call.op.groups, kernel_shape=list(call.arrays[1].shape[2:]),
                           **_image_geometry(call, call.op))


@exports(conv.ConvTransposeOp)
def _conv_transpose(call):
    op = call.op
    output_padding = list(op.output_padding[1:]) if call.arrays[0].ndim == 3 else list(op.output_padding)
    return call.graph.node("ConvTranspose", list(call.inputs), group=op.groups, output_padding=output_padding,
                           kernel_shape=list(call.arrays[1].shape[2:]), **_image_geometry(call, op))


def _block_geometry(blocks):
    kernel_size, stride, (pad_h, pad_w), dilation = blocks
    return dict(strides=list(stride), dilations=list(dilation), pads=[pad_h, pad_w, pad_h, pad_w])


@exports(conv.UnfoldOp)
def _unfold(call):
    """A grouped Conv whose kernel picks one block position per output channel (channel c * K + k
    reads position k of channel c, K = KH * KW, as unfold's rows), then the block grid flattened."""
    kernel_size, channels = call.op.blocks[0], call.arrays[0].shape[1]
    positions = math.prod(kernel_size)
    picks = np.tile(np.eye(positions, dtype=call.outputs[0].dtype).reshape(positions, 1, *kernel_size),
                    (channels, 1, 1, 1))
    graph = call.graph
    columns = graph.node("Conv", [call.inputs[0], graph.constant(picks)], group=channels,
                         kernel_shape=list(kernel_size), **_block_geometry(call.op.blocks))
    return graph.node("Reshape", [columns, graph.ints([0, 0, -1])])


@exports(conv.FoldOp)
def _fold(call):
    if call.graph.opset < 18:
        call.refuse(f"fold needs ONNX's Col2Im, of opset 18 (exporting opset {call.graph.opset})")
    graph, kernel_size = call.graph, call.op.blocks[0]
    return graph.node("Col2Im", [call.inputs[0], graph.ints(call.op.image_size), graph.ints(kernel_size)],
                      **_block_geometry(call.op.blocks))


@exports(pool.MaxPool2dOp, pool.AvgPool2dOp)
def _pool(call):
    op = call.op
    attributes = dict(kernel_shape=list(op.kernel_size), strides=list(op.stride), pads=list(op.padding) * 2)
    if isinstance(op, pool.MaxPool2dOp):
        return call.graph.node("MaxPool", call.inputs, **attributes)
    return call.graph.node("AveragePool", call.inputs, count_include_pad=int(op.count_include_pad), **attributes)


def _adaptive_pool(call, x, in_sizes, out_sizes, kind):
    """Global{kind}Pool for a (1, 1) output, {kind}Pool where the output size divides the input's
    (equal windows); torch's unequal windows have no ONNX op."""
    if tuple(out_sizes) == (1, 1):
        return call.graph.node(f"Global{kind}Pool", [x])
    if any(size % out for size, out in zip(in_sizes, out_sizes)):
        call.refuse(f"output size {tuple(out_sizes)} does not divide the input size {tuple(in_sizes)} (unequal "
                    "windows have no ONNX op)")
    kernel = [size // out for size, out in zip(in_sizes, out_sizes)]
    return call.graph.node(f"{kind}Pool", [x], kernel_shape=kernel, strides=kernel)


@exports(pool.AdaptiveAvgPool2dOp)
def _adaptive_avg_pool(call):
    return _adaptive_pool(call, call.inputs[0], call.arrays[0].shape[2:], call.op.output_size, "Average")


@exports_module(spatial.AdaptiveMaxPool2d)
def _adaptive_max_pool(call):
    """Exported whole: traced, it is a gather at indices computed from the traced values."""
    if call.op.return_indices:
        call.refuse("return_indices=True is not exported")
    graph, x, array = call.graph, call.inputs[0], call.arrays[0]
    unbatched = array.ndim == 3
    y = _adaptive_pool(call, graph.unsqueeze(x, [0]) if unbatched else x, array.shape[-2:],
                       call.outputs[0].shape[-2:], "Max")
    return graph.squeeze(y, [0]) if unbatched else y


@exports(normalization.BatchNormOp)
def _batch_norm(call):
    op, graph = call.op, call.graph
    if op.training:
        return _batch_statistics_norm(call)
    x, *affine = call.inputs
    channels, dtype = call.arrays[0].shape[1], call.arrays[0].dtype
    weight = affine[0] if op.has_weight else graph.constant(np.ones(channels, dtype))
    bias = affine[-1] if op.has_bias else graph.constant(np.zeros(channels, dtype))
    statistics = [graph.value(op.running_mean), graph.value(op.running_var)]
    return graph.node("BatchNormalization", [x, weight, bias] + statistics, epsilon=float(op.eps))


def _batch_statistics_norm(call):
    """BatchNorm with the batch's mean and biased variance per channel (a BatchNorm without running
    statistics, in eval mode too; the running statistics that training updates are not outputs)."""
    op, graph, (x, *affine), ndim = call.op, call.graph, call.inputs, call.arrays[0].ndim
    axes = [0] + list(range(2, ndim))
    centered = graph.node("Sub", [x, graph.reduce("ReduceMean", x, axes, True)])
    variance = graph.reduce("ReduceMean", graph.node("Mul", [centered, centered]), axes, True)
    y = graph.node("Div", [centered, graph.node("Sqrt", [graph.node("Add", [variance, _scalar(call, op.eps)])])])
    per_channel = graph.ints([-1] + [1] * (ndim - 2))
    if op.has_weight:
        y = graph.node("Mul", [y, graph.node("Reshape", [affine[0], per_channel])])
    if op.has_bias:
        y = graph.node("Add", [y, graph.node("Reshape", [affine[-1], per_channel])])
    return y


@exports(normalization.LayerNormOp)
def _layer_norm(call):
    op, graph = call.op, call.graph
    x, *affine = call.inputs
    array = call.arrays[0]
    normalized_shape = array.shape[array.ndim - op.normalized_ndim:]
    weight = affine[0] if op.has_weight else graph.constant(np.ones(normalized_shape, array.dtype))
    bias = [affine[-1]] if op.has_bias else []
    return graph.node("LayerNormalization", [x, weight] + bias, axis=-op.normalized_ndim, epsilon=float(op.eps))


@exports_module(layers.InstanceNorm1d, layers.InstanceNorm2d,
                when=lambda module: module.training or not module.track_running_stats)
def _instance_norm(call):
    """Statistics per sample and channel (traced op by op, they would be a BatchNorm over a
    reshape that fixes the batch size)."""
    module, graph = call.op, call.graph
    array, x = call.arrays[0], call.inputs[0]
    channels, dtype = module.num_features, array.dtype
    unbatched = array.ndim == module.no_batch_dim
    if unbatched:
        x = graph.unsqueeze(x, [0])
    weight = graph.value(module.weight._data) if module.weight is not None else \
        graph.constant(np.ones(channels, dtype))
    bias = graph.value(module.bias._data) if module.bias is not None else graph.constant(np.zeros(channels, dtype))
    y = graph.node("InstanceNormalization", [x, weight, bias], epsilon=float(module.eps))
    return graph.squeeze(y, [0]) if unbatched else y


@exports(embedding.EmbeddingOp)
def _embedding(call):
    weight, indices = call.inputs
    return call.graph.node("Gather", [weight, call.graph.cast(indices, call.arrays[1].dtype, np.int64)], axis=0)


@exports(resample.Interpolate)
def _interpolate(call):
    """Resize of the trailing dims: by the scale factors the user gave (torch then steps by 1 /
    scale, as ONNX does), else to the traced sizes (the leading dims taken from the input, so the
    batch may vary)."""
    op, graph, array = call.op, call.graph, call.arrays[0]
    leading = array.ndim - len(op.out_sizes)
    if op.mode == "nearest":
        modes = dict(mode="nearest", coordinate_transformation_mode="asymmetric", nearest_mode="floor")
    else:  # linear, or cubic with torch's coefficient (indices clamped to the edge, as ONNX's)
        modes = dict(mode=op.mode, coordinate_transformation_mode="align_corners" if op.align_corners
                     else "pytorch_half_pixel", cubic_coeff_a=-0.75 if op.mode == "cubic" else None)
    if all(scale is not None for scale in op.scales):
        scales = graph.constant(np.array([1.0] * leading + [float(s) for s in op.scales], np.float32))
        return graph.node("Resize", [call.inputs[0], "", scales], **modes)
    leading_sizes = graph.node("Shape", [call.inputs[0]], start=0, end=leading)
    sizes = graph.node("Concat", [leading_sizes, graph.ints(op.out_sizes)], axis=0)
    return graph.node("Resize", [call.inputs[0], "", "", sizes], **modes)


# ---- shape and indexing ---------------------------------------------------------------------------
@exports(shape.Reshape)
def _reshape(call):
    """The traced target shape, with the sizes that a dynamic dim would change read at run time: the
    leading sizes equal to the input's are 0 (ONNX: "copy the input's"), the trailing ones equal to
    the input's are taken from its Shape, and the first size between them is inferred (-1) unless
    the caller asked for another -1; so a dynamic batch merged into or split from a neighbour dim
    (attention's (N, H, L, D) <-> (N * H, L, D)) and a dynamic length after it stay dynamic."""
    graph, x, in_shape, target = call.graph, call.inputs[0], call.arrays[0].shape, list(call.outputs[0].shape)
    requested = list(call.op.shape) if isinstance(call.op.shape, (tuple, list)) else [call.op.shape]
    if len(requested) == len(target) and requested.count(-1) == 1:
        target[requested.index(-1)] = -1  # kept inferred, as asked
    common = min(len(target), len(in_shape))
    copied = 0
    while copied < common and target[copied] == in_shape[copied] != 0:
        copied += 1
    kept = 0
    while kept < common - copied and target[-1 - kept] == in_shape[-1 - kept] != 0:
        kept += 1
    middle = [0] * copied + target[copied:len(target) - kept]
    if -1 not in middle and len(middle) > copied and call.outputs[0].size:
        middle[copied] = -1
    if not kept:
        return graph.node("Reshape", [x, graph.ints(middle)])
    trailing = graph.node("Shape", [x], start=len(in_shape) - kept)
    return graph.node("Reshape", [x, graph.node("Concat", [graph.ints(middle), trailing], axis=0)])


@exports(shape.Transpose)
def _transpose(call):
    ndim = call.arrays[0].ndim
    axes = call.op.axes if call.op.axes is not None else tuple(reversed(range(ndim)))
    return call.graph.node("Transpose", call.inputs, perm=[_axis(a, ndim) for a in axes])


@exports(shape.Expand)
def _expand(call):
    """Broadcast to the traced shape, 1 where the input's size is kept (ONNX's Expand broadcasts
    both ways, so a dynamic batch dim stays dynamic)."""
    in_shape, target = call.arrays[0].shape, list(call.outputs[0].shape)
    offset = len(target) - len(in_shape)
    for axis, size in enumerate(in_shape):
        if size == target[offset + axis]:
            target[offset + axis] = 1
    return call.graph.node("Expand", [call.inputs[0], call.graph.ints(target)])


@exports(shape.Repeat)
def _repeat(call):
    graph, x, repeats = call.graph, call.inputs[0], call.op.repeats
    new_dims = len(repeats) - call.arrays[0].ndim
    if new_dims:
        x = graph.unsqueeze(x, list(range(new_dims)))
    return graph.node("Tile", [x, graph.ints(repeats)])


@exports(shape.Cat)
def _cat(call):
    return call.graph.node("Concat", _same_dtype_inputs(call), axis=_axis(call.op.dim, call.outputs[0].ndim))


@exports(shape.Stack)
def _stack(call):
    axis = _axis(call.op.dim, call.outputs[0].ndim)
    parts = [call.graph.unsqueeze(name, [axis]) for name in _same_dtype_inputs(call)]
    return call.graph.node("Concat", parts, axis=axis)


@exports(shape.Clone, shape.ToDevice)
def _identity(call):
    return call.graph.node("Identity", call.inputs)


@exports(shape.Cast)
def _cast(call):
    return call.graph.cast(call.inputs[0], call.arrays[0].dtype, call.outputs[0].dtype) \
        if call.arrays[0].dtype != call.outputs[0].dtype else call.graph.node("Identity", call.inputs)


@exports(shape.ConstantPad)
def _pad(call):
    """Pad (or, with negative widths, crop) with the constant value."""
    graph, dtype = call.graph, call.outputs[0].dtype
    befores, afters = zip(*call.op.widths)
    value = graph.scalar(call.op.value, dtype)
    return graph.node("Pad", [call.inputs[0], graph.ints(befores + afters), value], mode="constant")


@exports(padding.GatherPad)
def _gather_pad(call):
    """Reflect, replicate and circular padding as what the op runs: a Gather of the source positions
    along each padded dim (exact for every mode, negative widths included, in every opset; the
    padded dims are trailing ones, so the batch may vary)."""
    x = call.inputs[0]
    for axis, sources in zip(call.op.axes, call.op.sources):
        x = call.graph.node("Gather", [x, call.graph.ints(sources)], axis=axis)
    return x


_END = 2 ** 63 - 1  # a slice's open end, for ONNX's Slice


@exports(shape.GetItem)
def _getitem(call):
    """Basic indexing (ints, slices, None, ...) as Slice, Squeeze and Unsqueeze; one integer
    array (or list) index as Gather."""
    graph, array, index = call.graph, call.arrays[0], call.op.index
    items = list(index) if isinstance(index, tuple) else [index]
    arrays = [i for i, item in enumerate(items) if isinstance(item, list) or getattr(item, "ndim", 0) > 0]
    if arrays and (len(arrays) > 1 or any(item is None or item is Ellipsis for item in items)):
        call.refuse("only basic indices and a single integer-array index are exported")
    at = next((i for i, item in enumerate(items) if item is Ellipsis), None)
    if at is not None:
        used = sum(1 for item in items if item is not None and item is not Ellipsis)
        items[at:at + 1] = [slice(None)] * (array.ndim - used)
    starts, ends, axes, steps, squeezed, inserted = [], [], [], [], [], []
    axis = out_axis = 0
    for item in items:  # Python's start, stop and step as given: ONNX's Slice reads them alike, so that
        if item is None:  # x[-1] and x[1:] follow a dynamic size
            inserted.append(out_axis)
            out_axis += 1
            continue
        if isinstance(item, slice):
            step = 1 if item.step is None else int(item.step)
            start = (0 if step > 0 else _END) if item.start is None else int(item.start)
            stop = (_END if step > 0 else -_END) if item.stop is None else int(item.stop)
            if (start, stop, step) != (0, _END, 1):
                starts.append(start), ends.append(stop), axes.append(axis), steps.append(step)
            out_axis += 1
        elif not (isinstance(item, list) or getattr(item, "ndim", 0) > 0):  # an int
            position = int(item)
            starts.append(position), ends.append(position + 1 if position != -1 else _END), axes.append(axis)
            steps.append(1)
            squeezed.append(axis)
        else:
            array_axis = axis
            out_axis += 1
        axis += 1
    x = call.inputs[0]
    if axes:
        x = graph.node("Slice", [x, graph.ints(starts), graph.ints(ends), graph.ints(axes), graph.ints(steps)])
    if arrays:
        indices = np.asarray(items[arrays[0]].get() if hasattr(items[arrays[0]], "get") else items[arrays[0]])
        if indices.dtype == bool:
            call.refuse("boolean mask indices are not exported")
        gather_axis = array_axis - sum(1 for a in squeezed if a < array_axis)
        x = graph.squeeze(x, squeezed) if squeezed else x
        return graph.node("Gather", [x, graph.constant(indices.astype(np.int64))], axis=gather_axis)
    if squeezed:
        x = graph.squeeze(x, squeezed)
    if inserted:
        x = graph.unsqueeze(x, inserted)
    return x if x is not call.inputs[0] else graph.node("Identity", [x])


@exports(ordering.Flip)
def _flip(call):
    ndim = call.arrays[0].ndim
    dims = [_axis(d, ndim) for d in (call.op.dims if isinstance(call.op.dims, (tuple, list)) else (call.op.dims,))]
    graph = call.graph
    return graph.node("Slice", [call.inputs[0], graph.ints([-1] * len(dims)), graph.ints([-_END] * len(dims)),
                                graph.ints(dims), graph.ints([-1] * len(dims))])


@exports(ordering.Roll)
def _roll(call):
    """Per dim, the last ``shift`` entries moved to the front: a Concat of two Slices."""
    graph, op, x, array = call.graph, call.op, call.inputs[0], call.arrays[0]
    flat = op.dims is None
    if flat:
        x = graph.node("Reshape", [x, graph.ints([-1])])
    shifts = (op.shifts,) if flat or not isinstance(op.shifts, (tuple, list)) else op.shifts
    dims = (0,) if flat else (op.dims if isinstance(op.dims, (tuple, list)) else (op.dims,))
    sizes = (array.size,) if flat else tuple(array.shape[_axis(d, array.ndim)] for d in dims)
    for shift, dim, size in zip(shifts, dims, sizes):
        shift = int(shift) % size if size else 0
        if shift:
            parts = [graph.node("Slice", [x, graph.ints([start]), graph.ints([stop]), graph.ints([dim])])
                     for start, stop in ((-shift, _END), (0, -shift))]
            x = graph.node("Concat", parts, axis=_axis(dim, array.ndim if not flat else 1))
    return graph.node("Reshape", [x, graph.node("Shape", [call.inputs[0]])]) if flat else graph.node("Identity", [x])


@exports(ordering.Triangle)
def _triangle(call):
    return call.graph.node("Trilu", [call.inputs[0], call.graph.ints(call.op.diagonal)], upper=int(call.op.upper))


@exports(ordering.Cumsum)
def _cumsum(call):
    x = _input_in_output_dtype(call)
    return call.graph.node("CumSum", [x, call.graph.ints(_axis(call.op.dim, call.arrays[0].ndim))])


@exports(reduction.TakeAlongDim)
def _take_along_dim(call):
    graph, (x, index), axis = call.graph, call.inputs, _axis(call.op.dim, call.arrays[0].ndim)
    taken = graph.node("GatherElements", [x, graph.cast(index, call.arrays[1].dtype, np.int64)], axis=axis)
    return taken if call.op.keepdim else graph.squeeze(taken, [axis])


@exports(indexing.Scatter)
def _scatter(call):
    """ScatterElements of src's leading index.shape block (or of the number ``value``) into x."""
    graph, op, (x, index, *src) = call.graph, call.op, call.inputs
    index_array = call.arrays[1]
    if index_array.ndim == 0:
        call.refuse("a 0-d index is not exported")
    if src:
        updates = graph.node("Slice", [src[0], graph.ints([0] * index_array.ndim), graph.ints(index_array.shape),
                                       graph.ints(range(index_array.ndim))])
    else:
        updates = graph.constant(np.full(index_array.shape, op.value, dtype=call.outputs[0].dtype))
    return graph.node("ScatterElements", [x, graph.cast(index, index_array.dtype, np.int64), updates],
                      axis=_axis(op.dim, call.arrays[0].ndim), reduction="add" if op.accumulate else None)


@exports(indexing.Gather)
def _gather(call):
    x, index = call.inputs
    return call.graph.node("GatherElements", [x, call.graph.cast(index, call.arrays[1].dtype, np.int64)],
                           axis=_axis(call.op.dim, call.arrays[0].ndim))


# ---- reductions ---------------------------------------------------------------------------------
_REDUCTIONS = {reduction.Sum: "ReduceSum", reduction.Mean: "ReduceMean", reduction.Prod: "ReduceProd",
               reduction.LogSumExp: "ReduceLogSumExp"}


@exports(*_REDUCTIONS)
def _reduce(call):
    return call.graph.reduce(_REDUCTIONS[type(call.op)], _input_in_output_dtype(call), call.op.axes, call.op.keepdim)


@exports(reduction.Extremum)
def _extremum(call):
    return call.graph.reduce("ReduceMax" if call.op.largest else "ReduceMin", call.inputs[0], call.op.axes,
                             call.op.keepdim)


@exports(reduction.Var, reduction.Std)
def _variance(call):
    """sum((x - mean)^2) / (count - correction), and its square root for Std; the count is read from
    the input's shape, so that a reduction over a dynamic axis follows it."""
    graph, op, x = call.graph, call.op, call.inputs[0]
    centered = graph.node("Sub", [x, graph.reduce("ReduceMean", x, op.axes, True)])
    total = graph.reduce("ReduceSum", graph.node("Mul", [centered, centered]), op.axes, op.keepdim)
    sizes = graph.node("Gather", [graph.node("Shape", [x]), graph.ints(op.axes)], axis=0)
    count = graph.cast(graph.reduce("ReduceProd", sizes, [0], False), np.int64, call.outputs[0].dtype)
    divisor = graph.node("Max", [graph.node("Sub", [count, _scalar(call, op.correction)]), _scalar(call, 0)])
    variance = graph.node("Div", [total, divisor])
    return graph.node("Sqrt", [variance]) if isinstance(op, reduction.Std) else variance


@exports(reduction.Norm)
def _norm(call):
    op, graph, x = call.op, call.graph, call.inputs[0]
    if op.p == 2:
        return graph.reduce("ReduceL2", x, op.axes, op.keepdim)
    if op.p == 1:
        return graph.reduce("ReduceL1", x, op.axes, op.keepdim)
    call.refuse(f"p={op.p} (only the 1- and 2-norm are exported)")
