"""minigrad.onnx without the onnx package: importable, and export names the extra to install."""
import sys

import pytest

import minigrad as mg


def test_onnx_module_imports_without_the_onnx_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx then raises ImportError
    import minigrad.onnx

    assert mg.onnx is minigrad.onnx
    with pytest.raises(ImportError, match=r'pip install "minigrad\[onnx\]"'):
        minigrad.onnx.export(mg.nn.Linear(2, 1), mg.zeros(1, 2), "model.onnx")
