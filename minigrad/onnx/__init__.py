"""``minigrad.onnx.export``: a model to an ONNX file, as torch.onnx.export (needs the ``onnx`` extra).

The model runs once on ``args`` while every op call is recorded (the trace); each recorded op is then
written as ONNX nodes by its exporter in ``minigrad/onnx/ops.py``, parameters and buffers becoming
initialisers under their state_dict names. The file is checked with ``onnx.checker`` before it is
written. Example::

    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2)).eval()
    mg.onnx.export(model, mg.randn(3, 4), "model.onnx", input_names=["x"], output_names=["y"],
                   dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})

    import onnxruntime                                    # the same numbers, for any batch size
    session = onnxruntime.InferenceSession("model.onnx")
    y = session.run(None, {"x": np.random.randn(10, 4).astype(np.float32)})[0]   # (10, 2)
"""
import os
import warnings

import numpy as np

from .. import backend
from ..autograd import no_grad
from ..nn.module import Module
from ..ops import recurrent
from ..tensor import Tensor
from ._graph import Call, Graph, UnsupportedOperatorError
from ._trace import Recorder
from .ops import MODULE_EXPORTERS, NOT_EXPORTED, OP_EXPORTERS, exports, exports_module

__all__ = ["export", "UnsupportedOperatorError", "exports", "exports_module", "OP_EXPORTERS", "MODULE_EXPORTERS",
           "NOT_EXPORTED", "DEFAULT_OPSET", "SUPPORTED_OPSETS"]

DEFAULT_OPSET = 17
SUPPORTED_OPSETS = range(17, 21)  # LayerNormalization needs 17; 21 changed GroupNormalization's meaning


def export(model, args, f, export_params=True, verbose=False, training=None, input_names=None, output_names=None,
           opset_version=None, dynamic_axes=None, do_constant_folding=True, **unsupported):
    """Write ``model`` (a Module) as an ONNX model to ``f`` (a path or a binary file object).

    args: the example input on which the model runs once to be traced: a Tensor, or a tuple of
    arguments (Tensors, or nested tuples and lists of them, such as an LSTM's (h, c)) whose last may
    be a dict of keyword arguments, as torch's. input_names / output_names: names of the graph's
    inputs and outputs, the Tensors of args and of the result in order (default "input_0", ...,
    "output_0", ...). dynamic_axes: torch's form, {name: {axis: "dim name"}} or {name: [axis,
    ...]}: those axes of those inputs/outputs may differ at run time (the batch, typically); every
    other size is the one traced. opset_version: 17 (default) to 20; an older one (9, 11 of scripts
    written for torch) writes 17, with a warning.

    The model is exported with eval-mode semantics: BatchNorm normalises with its running
    statistics, Dropout is the identity. A model in train mode is switched to eval mode for the
    export, with a warning, and switched back afterwards (``training`` is accepted for torch's
    signature; only eval-mode export exists). The trace follows the Python control flow of this one
    run: a branch on the batch size is fixed as traced; a branch on the values, or a value computed
    outside minigrad's ops (NumPy on x.numpy()), is refused where a second run on other input
    values shows it (the model runs twice).

    An op that has no ONNX exporter (or an option of an op that ONNX cannot express) raises
    UnsupportedOperatorError naming the op and the module that called it. Needs ``pip install
    "minigrad[onnx]"`` (the onnx package; onnxruntime to run the file). Returns None, as torch's.
    """
    _export(model, args, f, export_params, verbose, training, input_names, output_names, opset_version,
            dynamic_axes, do_constant_folding, **unsupported)


def _export(model, args, f, export_params=True, verbose=False, training=None, input_names=None, output_names=None,
            opset_version=None, dynamic_axes=None, do_constant_folding=True, **unsupported):
    """torch's older ``torch.onnx._export`` (pytorch/examples' fast_neural_style calls it): export as
    ``export`` does, and return the model's eval-mode result on ``args``."""
    try:
        import onnx
    except ImportError:
        raise ImportError('minigrad.onnx.export needs the onnx package: pip install "minigrad[onnx]" '
                          '(or pip install onnx onnxruntime)') from None
    if unsupported:
        raise TypeError(f"minigrad.onnx.export: unsupported arguments {sorted(unsupported)}")
    if not isinstance(model, Module):
        raise TypeError(f"minigrad.onnx.export takes a Module, got {type(model).__name__}")
    if not export_params:
        raise NotImplementedError("minigrad.onnx.export: export_params=False is not supported (the parameters "
                                  "are always written as initialisers)")
    opset = DEFAULT_OPSET if opset_version is None else opset_version
    if not isinstance(opset, int) or opset >= SUPPORTED_OPSETS.stop:
        raise ValueError(f"minigrad.onnx.export: opset_version must be an int up to {SUPPORTED_OPSETS.stop - 1}, "
                         f"got {opset_version!r}")
    if opset < SUPPORTED_OPSETS.start:  # scripts written for torch ask for 9 or 11; the file is what they want
        warnings.warn(f"minigrad.onnx.export: opset_version={opset} is older than minigrad writes; writing opset "
                      f"{SUPPORTED_OPSETS.start}", UserWarning, stacklevel=3)
        opset = SUPPORTED_OPSETS.start
    if training:
        raise NotImplementedError("minigrad.onnx.export: only eval-mode export exists (training=None or False)")
    if not isinstance(f, (str, os.PathLike)) and not hasattr(f, "write"):
        raise TypeError(f"minigrad.onnx.export: f must be a path or a binary file object, got {type(f).__name__}")
    args, kwargs = _example_arguments(args)
    inputs = _leaves((args, kwargs), "args")
    was_training = model.training
    if was_training:
        warnings.warn("minigrad.onnx.export: the model is in train mode; it is exported in eval mode (BatchNorm "
                      "with its running statistics, Dropout as the identity). Call model.eval() first to "
                      "silence this warning.", UserWarning, stacklevel=3)
        model.eval()
    input_names = _names(input_names, len(inputs), "input")
    try:
        recorder, result = _trace(model, args, kwargs)
        probe, _ = _trace(model, *_replace_leaves((args, kwargs), _other_values(inputs)))
        _check_fixed_sequence_lengths(model, recorder, (args, kwargs), inputs, input_names,
                                      {name: axes for name, axes in (dynamic_axes or {}).items()
                                       if name in input_names})
    finally:
        if was_training:
            model.train()
    outputs = _leaves(result, "the model's result")
    parameters = {id(t._data): name for named in (model.named_parameters(), model.named_buffers()) for name, t in named}
    _check_constants(recorder, probe, inputs, parameters)
    output_names = _names(output_names, len(outputs), "output")
    dynamic = _dynamic_axes(dynamic_axes, input_names + output_names)

    graph = Graph(onnx, opset, parameters)
    for name, t in zip(input_names, inputs):
        graph.bind(t._data, graph.reserve(name))
    for name in output_names:
        graph.reserve(name)
    for recorded in recorder.calls:
        _export_call(graph, recorded)
    graph.scope = ""
    for name, t in zip(output_names, outputs):
        graph.node("Identity", [graph.value(t._data)], name=name)
    outputs_follow_inputs = any(name in dynamic for name in input_names)
    opsets = [onnx.helper.make_opsetid("", opset)]
    model_proto = onnx.helper.make_model(
        onnx.helper.make_graph(
            graph.nodes, type(model).__name__,
            [_value_info(onnx, name, t._data, dynamic.get(name, {}), False) for name, t in zip(input_names, inputs)],
            [_value_info(onnx, name, t._data, dynamic.get(name, {}), outputs_follow_inputs)
             for name, t in zip(output_names, outputs)],
            graph.initializers),
        opset_imports=opsets, producer_name="minigrad",
        ir_version=onnx.helper.find_min_ir_version_for(opsets))  # the oldest that holds it: older runtimes read it
    onnx.checker.check_model(model_proto, full_check=True)
    if hasattr(f, "write"):
        f.write(model_proto.SerializeToString())
    else:
        onnx.save_model(model_proto, os.fspath(f))
    if verbose:
        print(onnx.helper.printable_graph(model_proto.graph))
    return result


def _export_call(graph, recorded):
    """Write one recorded call as nodes and name its outputs."""
    is_module = isinstance(recorded.op, Module)
    exporter = MODULE_EXPORTERS[type(recorded.op)].export if is_module else OP_EXPORTERS.get(type(recorded.op))
    graph.scope = recorded.module.path
    call = Call(graph, recorded)
    if exporter is None:
        call.refuse(NOT_EXPORTED.get(call.name, "it has no ONNX exporter (minigrad/onnx/ops.py lists the ops that "
                                                "have one; mg.onnx.exports adds one)"))
    names = exporter(call)
    names = names if isinstance(names, (tuple, list)) else (names,)
    if len(names) != len(call.outputs):
        raise RuntimeError(f"ONNX exporter of {call.name} gave {len(names)} outputs for {len(call.outputs)}")
    for array, name in zip(call.outputs, names):
        graph.bind(array, name)


def _trace(model, args, kwargs):
    recorder = Recorder(model, MODULE_EXPORTERS)
    with no_grad(), recorder.recording():
        result = model(*args, **kwargs)
    return recorder, result


def _sequence_lengths(recorder):
    """(module path, steps) of every recurrent call: the exporter writes each with its traced length."""
    return [(recorded.module.path, len(recorded.op.batch_sizes)) for recorded in recorder.calls
            if isinstance(recorded.op, recurrent.Recurrent)]


def _check_fixed_sequence_lengths(model, recorder, arguments, inputs, input_names, dynamic):
    """Refuse a dynamic input axis that changes a recurrent layer's number of steps. The RNN/LSTM/GRU
    exporter reshapes the layer's rows into the traced number of steps, so ONNX Runtime would read
    another length as another batch size (silently, wherever the rows divide): each dynamic axis is
    grown by one (its last slice repeated) and the model traced again."""
    lengths = _sequence_lengths(recorder)
    if not lengths:
        return
    for index, (name, t) in enumerate(zip(input_names, inputs)):
        for axis in map(int, dynamic.get(name, ())):
            grown = list(inputs)
            array = t._data
            last = array[(slice(None),) * axis + (slice(-1, None),)]
            grown[index] = Tensor._wrap(backend.array_module(array).concatenate([array, last], axis=axis), False)
            try:
                probe, _ = _trace(model, *_replace_leaves(arguments, grown))
            except Exception:  # a size the model cannot take at all: nothing to compare
                continue
            for (path, steps), (_, probe_steps) in zip(lengths, _sequence_lengths(probe)):
                if probe_steps != steps:
                    raise ValueError(
                        f"minigrad.onnx.export: dynamic axis {axis} of input {name!r} changes the number of "
                        f"steps of the recurrent layer '{path}' ({steps} traced); its ONNX RNN/LSTM/GRU node keeps "
                        "the traced length, so declare only the batch axis dynamic (or export one file per length)")


def _other_values(inputs):
    """Inputs of the same shapes and dtypes with other values: float ones drawn from a normal
    distribution of their mean and spread, integer and bool ones shuffled (indices stay in range)."""
    rng = np.random.default_rng(0)
    others = []
    for t in inputs:
        array = backend.to_device(t._data, "cpu")
        if array.dtype.kind == "f":
            finite = array[np.isfinite(array)]
            mean, spread = (float(finite.mean()), float(finite.std()) or 1.0) if finite.size else (0.0, 1.0)
            array = (rng.standard_normal(array.shape) * spread + mean).astype(array.dtype)
        else:
            array = rng.permutation(array.reshape(-1)).reshape(array.shape)
        others.append(Tensor._wrap(backend.to_device(np.ascontiguousarray(array), t.device), False))
    return tuple(others)


def _check_constants(recorder, probe, inputs, parameters):
    """Refuse a trace whose constants depend on the input values: an array that no recorded op
    computed (NumPy on x.numpy(), say) is written as a constant, which must then be the same in a run
    on other input values; so must the ops called. A check on one other run: it can miss a
    dependence, but what it refuses does depend on the values."""
    if [type(c.op) for c in recorder.calls] != [type(c.op) for c in probe.calls]:
        raise UnsupportedOperatorError(
            "ONNX export: the model calls other ops when its inputs have other values (control flow on the "
            "data); a trace records one path, so it cannot be exported")
    computed = {id(t._data) for t in inputs} | set(parameters)
    for call, other in zip(recorder.calls, probe.calls):
        for position, (t, u) in enumerate(zip(call.inputs, other.inputs)):
            if id(t._data) not in computed and not _same_values(t._data, u._data):
                raise UnsupportedOperatorError(
                    f"ONNX export: input {position} of {type(call.op).__name__} called in {call.module} is computed "
                    "from the model's inputs outside minigrad's recorded ops (NumPy on x.numpy(), say), so the file "
                    "would hold its traced value as a constant; compute it with Tensor ops that have an exporter "
                    "(minigrad/onnx/ops.py)")
        computed.update(id(t._data) for t in call.outputs)


def _same_values(a, b):
    a, b = backend.to_device(a, "cpu"), backend.to_device(b, "cpu")
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")


def _example_arguments(args):
    """torch's forms of ``args``: a Tensor, or a tuple of arguments whose last may be a dict of
    keyword arguments; an argument may be a (nested) tuple or list of Tensors (an LSTM's (h, c))."""
    args = (args,) if isinstance(args, Tensor) else args
    if not isinstance(args, (tuple, list)):
        raise TypeError(f"minigrad.onnx.export: args must be a Tensor or a tuple of Tensors, got {type(args).__name__}")
    if args and isinstance(args[-1], dict):
        return tuple(args[:-1]), dict(args[-1])
    return tuple(args), {}


def _leaves(structure, what):
    """The Tensors of nested tuples, lists and dicts, in order (the graph's inputs or outputs)."""
    if isinstance(structure, Tensor):
        return (structure,)
    if isinstance(structure, dict):
        structure = tuple(structure.values())
    if not isinstance(structure, (tuple, list)):
        raise TypeError(f"minigrad.onnx.export: {what} must be Tensors in tuples, lists or dicts, got "
                        f"{type(structure).__name__}")
    return tuple(leaf for item in structure for leaf in _leaves(item, what))


def _replace_leaves(structure, leaves):
    """``structure`` with its Tensors replaced by ``leaves`` in order."""
    leaves = iter(leaves)

    def rebuild(item):
        if isinstance(item, Tensor):
            return next(leaves)
        if isinstance(item, dict):
            return {key: rebuild(value) for key, value in item.items()}
        return type(item)(rebuild(value) for value in item)

    return rebuild(structure)


def _names(names, count, stem):
    """torch's rule: given names name the first inputs (outputs), defaults name the rest."""
    names = list(names or ())
    if len(names) > count:
        raise ValueError(f"minigrad.onnx.export: {len(names)} {stem} names given for {count} {stem}s")
    names += [f"{stem}_{i}" for i in range(len(names), count)]
    if len(set(names)) != len(names):
        raise ValueError(f"minigrad.onnx.export: {stem} names must be distinct, got {names}")
    return names


def _dynamic_axes(dynamic_axes, names):
    """{value name: {axis: dim name}} from torch's dict-of-dicts or dict-of-lists form."""
    dynamic = {}
    for name, axes in (dynamic_axes or {}).items():
        if name not in names:
            raise ValueError(f"minigrad.onnx.export: dynamic_axes names {name!r}, which is not an input or output "
                             f"name ({names})")
        if isinstance(axes, dict):
            dynamic[name] = {int(axis): str(dim) for axis, dim in axes.items()}
        else:
            dynamic[name] = {int(axis): f"{name}_dynamic_axes_{i + 1}" for i, axis in enumerate(axes)}
    return dynamic


def _value_info(onnx, name, array, dynamic, unknown_sizes):
    """A graph input or output: dtype and shape, the dynamic axes named (an output of a graph with
    dynamic inputs has its other sizes unstated: they may follow the inputs')."""
    ndim = array.ndim
    for axis in dynamic:
        if not -ndim <= axis < ndim:
            raise ValueError(f"minigrad.onnx.export: dynamic axis {axis} of {name!r} is out of range for its "
                             f"{ndim} dims")
    dynamic = {axis % max(ndim, 1): dim for axis, dim in dynamic.items()}
    shape = [dynamic.get(axis, None if unknown_sizes else size) for axis, size in enumerate(array.shape)]
    return onnx.helper.make_tensor_value_info(name, onnx.helper.np_dtype_to_tensor_dtype(array.dtype), shape)
