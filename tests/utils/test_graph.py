"""mg.utils.make_dot: one node per op, shapes and dtypes, named parameters, save and render."""
import re
import shutil
import sys

import pytest

import minigrad as mg
import minigrad.functional as F
import minigrad.nn as nn


def _nodes(source):
    """{id: (shape attribute, label)} for every node statement of the DOT text, each id declared once."""
    found = {}
    for node, attrs in re.findall(r"^  (\w+) \[(.*label=.*)\];$", source, flags=re.M):
        assert node not in found, f"node {node} declared twice"
        label = re.search(r'label="((?:[^"\\]|\\.)*)"', attrs).group(1)
        found[node] = (re.search(r"shape=(\w+)", attrs).group(1), label.replace("\\n", "\n"))
    return found


def _edges(source):
    return re.findall(r"^  (\w+) -> (\w+)", source, flags=re.M)


def test_one_box_per_op_with_output_shape_and_dtype_and_edges_between_declared_nodes():
    x = mg.randn(4, 3, dtype="float64")
    w = mg.randn(5, 3, dtype="float64", requires_grad=True)
    hidden = F.relu(F.linear(x, w))
    doubled = hidden * 2.0
    loss = (doubled + doubled).sum()  # `doubled` is used twice: still one node
    source = mg.utils.make_dot(loss).source
    nodes = _nodes(source)
    ops = sorted(label.split("\n")[0] for kind, label in nodes.values() if kind == "box")
    assert ops == sorted(["LinearOp", "ReLU", "Mul", "Add", "Sum"])
    labels = {label.split("\n")[0]: label for kind, label in nodes.values() if kind == "box"}
    assert labels["LinearOp"].endswith("(4, 5) float64") and labels["Sum"].endswith("() float64")
    edges = _edges(source)
    assert all(a in nodes and b in nodes for a, b in edges)
    assert len(edges) == 2 + 1 + 2 + 2 + 1  # inputs of LinearOp (no bias), ReLU, Mul, Add, Sum
    add = next(n for n, (_, label) in nodes.items() if label.startswith("Add"))
    assert len([e for e in edges if e[1] == add]) == 2
    leaves = [label for kind, label in nodes.values() if kind == "ellipse"]
    assert sorted(leaves) == sorted(["input\n(4, 3) float64", "leaf\n(5, 3) float64",
                                     "input\n() float64"])  # the constant 2.0
    assert source.startswith("digraph") and source.rstrip().endswith("}")


def test_parameters_are_named_from_the_params_mapping():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    out = model(mg.randn(6, 3)).sum()
    source = mg.utils.make_dot(out, params=dict(model.named_parameters())).source
    leaves = sorted(label.split("\n")[0] for kind, label in _nodes(source).values() if kind == "ellipse")
    assert leaves == ["0.bias", "0.weight", "2.bias", "2.weight", "input"]
    assert '"0.weight\\n(4, 3) float32"' in source  # DOT's line break inside the label


def test_a_leaf_tensor_is_one_node_and_bad_arguments_are_refused():
    x = mg.randn(2, requires_grad=True)
    assert list(_nodes(mg.utils.make_dot(x, {"x": x}).source).values()) == [("ellipse", "x\n(2,) float32")]
    with pytest.raises(TypeError, match="make_dot takes a Tensor, got ndarray"):
        mg.utils.make_dot(x.detach().numpy())
    with pytest.raises(TypeError, match="params must be a mapping"):
        mg.utils.make_dot(x, params=[x])
    with pytest.raises(TypeError, match=r"params\['w'\] must be a Tensor"):
        mg.utils.make_dot(x, params={"w": 1.0})


def test_save_writes_the_source_and_render_explains_what_is_missing(tmp_path, monkeypatch):
    x = mg.randn(3, requires_grad=True)
    graph = mg.utils.make_dot((x * x).sum())
    path = graph.save(tmp_path / "g.dot")
    assert path.read_text() == graph.source
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` program here
    with pytest.raises(RuntimeError, match="needs Graphviz's `dot` program.*apt-get install graphviz"):
        graph.render(tmp_path / "g")
    monkeypatch.setitem(sys.modules, "graphviz", None)  # the Python package missing
    with pytest.raises(ImportError, match=r"minigrad\[viz\]"):
        graph.render(tmp_path / "g")


def test_utils_data_is_minigrad_data():
    import minigrad.data
    import minigrad.utils.data
    from minigrad.utils.data import DataLoader

    assert minigrad.utils.data is minigrad.data and DataLoader is minigrad.data.DataLoader


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's `dot` program is not installed")
def test_render_draws_a_png_where_dot_is_installed(tmp_path):
    x = mg.randn(3, requires_grad=True)
    written = mg.utils.make_dot((x * x).sum(), params={"x": x}).render(tmp_path / "graph", format="png")
    assert written.endswith("graph.png")
    assert (tmp_path / "graph.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.png"]  # no stray DOT file left
