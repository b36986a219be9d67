"""minigrad.onnx imports; export is refused until the ONNX issue fills it."""
import pytest


def test_onnx_imports_and_export_says_it_is_not_implemented():
    import minigrad.onnx
    import minigrad as mg

    assert mg.onnx is minigrad.onnx
    with pytest.raises(NotImplementedError, match="export to ONNX"):
        minigrad.onnx.export(mg.nn.Linear(2, 1), (mg.zeros(1, 2),), "model.onnx")
