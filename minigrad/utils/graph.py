"""make_dot: the graph behind a tensor as Graphviz DOT source."""
import shutil

from ..tensor import Tensor

_VIZ_HINT = "pip install 'minigrad[viz]' (the graphviz package)"


class Graph:
    """DOT source of a graph; ``.save(path)`` writes it, ``.render(path, format='png')`` draws it.

    Example::

        graph = mg.utils.make_dot(loss, params=dict(model.named_parameters()))
        graph.save("model.dot"); graph.render("model", format="png")   # writes model.png
    """

    def __init__(self, source):
        self.source = source

    def __str__(self):
        return self.source

    def save(self, path):
        """Write the DOT source to ``path``; returns the path."""
        with open(path, "w") as f:
            f.write(self.source)
        return path

    def render(self, path, format="png"):
        """Draw the graph with Graphviz into ``path`` + '.' + format (the suffix is added unless
        ``path`` already ends with it); returns the written file's path. Needs the graphviz Python
        package and the ``dot`` program."""
        try:
            import graphviz
        except ImportError:
            raise ImportError(f"Graph.render needs the graphviz Python package: {_VIZ_HINT}; "
                              "or write the DOT text with .save(path)") from None
        if shutil.which("dot") is None:
            raise RuntimeError(
                "Graph.render needs Graphviz's `dot` program, which is not on PATH: install Graphviz "
                "(apt-get install graphviz, brew install graphviz or conda install graphviz), or write the "
                "DOT text with .save(path) and draw it elsewhere")
        path = str(path)
        suffix = "." + format
        outfile = path if path.endswith(suffix) else path + suffix
        return graphviz.Source(self.source).render(outfile=outfile, format=format, cleanup=True)

    def _repr_svg_(self):  # inline pictures in Jupyter, where graphviz and dot are installed
        try:
            import graphviz

            return graphviz.Source(self.source).pipe(format="svg", encoding="utf-8")
        except Exception:
            return None


def _label(*lines):
    """A quoted DOT label of ``lines``, each escaped, joined by DOT's line break."""
    return '"' + "\\n".join(str(line).replace("\\", "\\\\").replace('"', '\\"') for line in lines) + '"'


def _shape_text(shape, dtype):
    return f"{tuple(shape)} {dtype}"


def _output_meta(op):
    """(shape, dtype) of each output an op node recorded (as ``_output_meta``, or as the
    ``_outputs`` (array, version counter) pairs of the per-call-node engine)."""
    meta = getattr(op, "_output_meta", None)
    if meta is None:
        meta = [(array.shape, array.dtype) for array, _ in getattr(op, "_outputs", ())]
    return meta


def make_dot(tensor, params=None):
    """The graph of ops behind ``tensor`` (before its backward frees it) as a Graph.

    One box per op, labelled with its name and each output's shape and dtype; one ellipse per leaf
    tensor the graph reads, named from ``params`` (a mapping name -> Tensor, e.g.
    ``dict(model.named_parameters())``) when it is there; an edge from each input to the op that uses it.
    Leaves that require grad are filled blue, the output's op is filled green.

    Example::

        x = mg.randn(4, 3, requires_grad=True)
        print(mg.utils.make_dot((x * 2).sum(), params={"x": x}).source)
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"make_dot takes a Tensor, got {type(tensor).__name__}")
    if params is None:
        params = {}
    if not hasattr(params, "items"):
        raise TypeError(f"params must be a mapping name -> Tensor (e.g. dict(model.named_parameters())), "
                        f"got {type(params).__name__}")
    names = {}
    for name, value in params.items():
        if not isinstance(value, Tensor):
            raise TypeError(f"params[{name!r}] must be a Tensor, got {type(value).__name__}")
        names[id(value)] = name

    lines = ["digraph minigrad {", '  graph [rankdir=BT, fontsize=11];',
             '  node [fontname="Helvetica", fontsize=11];', '  edge [fontname="Helvetica", fontsize=9];']
    ids = {}

    def node_id(obj, prefix):
        key = id(obj)
        if key not in ids:
            ids[key] = f"{prefix}{len(ids)}"
        return ids[key]

    def leaf(t):
        key = node_id(t, "t")
        name = names.get(id(t), "input" if not t.requires_grad else "leaf")
        fill = ', style=filled, fillcolor="lightblue"' if t.requires_grad else ""
        lines.append(f"  {key} [shape=ellipse, label={_label(name, _shape_text(t.shape, t.dtype))}{fill}];")
        return key

    root = tensor._creator
    if root is None:
        leaf(tensor)
        lines.append("}")
        return Graph("\n".join(lines) + "\n")

    seen, pending, leaves = {id(root)}, [root], set()
    while pending:
        op = pending.pop()
        op_key = node_id(op, "op")
        outputs = [_shape_text(shape, dtype) for shape, dtype in _output_meta(op)]
        released = ["(saved arrays freed by backward)"] if getattr(op, "_released", False) else []
        fill = "darkseagreen1" if op is root else "lightgrey"
        lines.append(f"  {op_key} [shape=box, style=filled, fillcolor={fill}, "
                     f"label={_label(type(op).__name__, *outputs, *released)}];")
        for index, t in enumerate(op.inputs):
            creator = t._creator
            if creator is None:
                if id(t) not in leaves:
                    leaves.add(id(t))
                    leaf(t)
                source = ids[id(t)]
            else:
                source = node_id(creator, "op")
                if id(creator) not in seen:
                    seen.add(id(creator))
                    pending.append(creator)
            label = f' [label="{index}"]' if len(op.inputs) > 1 else ""
            lines.append(f"  {source} -> {op_key}{label};")
    lines.append("}")
    return Graph("\n".join(lines) + "\n")
