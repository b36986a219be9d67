"""The ONNX graph being built from a trace: value names, initialisers, constants and nodes.

Values are named by the identity of the array they hold: an op's output array gets the name of the
node output that computes it, so an in-place op (whose output is its input's array) renames that
array for the ops after it, as data flow in the traced run had it.
"""
import numpy as np


class UnsupportedOperatorError(RuntimeError):
    """An op (or an op's option) that the ONNX exporter cannot express; the message names the op and
    the module that called it."""


class Graph:
    """Nodes and initialisers of the graph under construction, for exporters to add to.

    ``parameters``: {id(array): state_dict name} of the model's parameters and buffers; those used
    become initialisers under their state_dict names, any other captured array a constant.
    """

    def __init__(self, onnx, opset, parameters):
        self.onnx, self.helper, self.opset = onnx, onnx.helper, opset
        self.nodes, self.initializers = [], []
        self._parameters = parameters
        self._names = {}  # id(array) -> value name
        self._alive = []  # the arrays named, so that their ids stay theirs
        self._taken = set()
        self._counts = {}
        self.scope = ""  # the module path of the call being exported: nodes are named after it, as torch's

    # ---- names --------------------------------------------------------------------------------
    def fresh(self, stem):
        """A value or node name not used yet: stem, stem_1, stem_2, ..."""
        count = self._counts.get(stem, 0)
        name = stem if count == 0 and stem not in self._taken else f"{stem}_{count}"
        while name in self._taken:
            count += 1
            name = f"{stem}_{count}"
        self._counts[stem] = count + 1
        self._taken.add(name)
        return name

    def reserve(self, name):
        """Take ``name`` as it is (a graph input's or output's); returns it."""
        if name in self._taken:
            raise ValueError(f"ONNX export: the name {name!r} is used twice")
        self._taken.add(name)
        return name

    def bind(self, array, name):
        """``array`` is the value ``name`` from here on."""
        self._names[id(array)] = name
        self._alive.append(array)

    def name_of(self, array):
        """The value name ``array`` has so far (a node's output, a graph input), or None."""
        return self._names.get(id(array))

    def value(self, array):
        """The value name of ``array``: computed by an earlier node, a graph input, a parameter or
        buffer (an initialiser under its state_dict name), or else a constant made from it."""
        name = self._names.get(id(array))
        if name is None:
            parameter = self._parameters.get(id(array))
            name = self.constant(array, parameter) if parameter else self.constant(array)
            self.bind(array, name)
        return name

    # ---- building -----------------------------------------------------------------------------
    def constant(self, array, name=None):
        """An initialiser holding ``array`` (copied to the host); returns its name."""
        array = np.asarray(array.get() if hasattr(array, "get") else array)
        name = self.fresh(name or "const")
        self.initializers.append(self.onnx.numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def ints(self, values):
        """A 1-D int64 constant (shapes, axes, pads given as inputs)."""
        return self.constant(np.asarray(values, dtype=np.int64))

    def scalar(self, value, dtype):
        """A 0-d constant of ``dtype`` (a NumPy dtype)."""
        return self.constant(np.asarray(value, dtype=dtype))

    def node(self, op_type, inputs, outputs=1, name=None, **attributes):
        """Add a node; returns its output name (a list of them when ``outputs`` > 1), ``name`` if
        given (one output). Attributes that are None are left out."""
        names = [name] if name is not None else [self.fresh(op_type) for _ in range(outputs)]
        attributes = {key: value for key, value in attributes.items() if value is not None}
        node_name = self.fresh(f"/{self.scope}/{op_type}" if self.scope else f"/{op_type}")
        self.nodes.append(self.helper.make_node(op_type, list(inputs), names, name=node_name,
                                                **attributes))
        return names if outputs > 1 else names[0]

    def cast(self, name, source, target):
        """``name`` (of dtype ``source``) as ``target`` (NumPy dtypes); no node when they agree."""
        if np.dtype(source) == np.dtype(target):
            return name
        return self.node("Cast", [name], to=self.helper.np_dtype_to_tensor_dtype(np.dtype(target)))

    def reduce(self, op_type, name, axes, keepdims):
        """A Reduce* node over ``axes`` (a tuple of non-negative ints): the axes are an input of
        ReduceSum from opset 13 and of the other reductions from opset 18, an attribute before."""
        axes = [int(a) for a in axes]
        if op_type == "ReduceSum" and self.opset >= 13 or self.opset >= 18:
            return self.node(op_type, [name, self.ints(axes)], keepdims=int(keepdims))
        return self.node(op_type, [name], axes=axes, keepdims=int(keepdims))

    def squeeze(self, name, axes):
        return self.node("Squeeze", [name, self.ints(axes)])

    def unsqueeze(self, name, axes):
        return self.node("Unsqueeze", [name, self.ints(axes)])


class Call:
    """What an exporter sees of one recorded call: ``op`` (the node, or the Module for a module
    exporter), ``inputs`` (the value names of its Tensor inputs), ``arrays`` (their arrays as traced:
    shapes and dtypes), ``outputs`` (the output arrays) and ``graph`` (to add nodes to)."""

    def __init__(self, graph, recorded):
        self.graph, self.op, self.module = graph, recorded.op, recorded.module
        self.arrays = tuple(t._data for t in recorded.inputs)
        self.inputs = tuple(graph.value(array) for array in self.arrays)
        self.outputs = tuple(t._data for t in recorded.outputs)

    @property
    def name(self):
        return type(self.op).__name__

    def refuse(self, reason):
        """Raise the error that this call cannot be exported, naming the op, the reason and the module."""
        raise UnsupportedOperatorError(f"ONNX export: {self.name} called in {self.module} cannot be exported: "
                                       f"{reason}")
