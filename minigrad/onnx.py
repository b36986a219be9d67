"""``minigrad.onnx``: importable so scripts that import it run; export is not written yet."""


def export(model, args, f, *more, **options):
    """Not implemented: exporting a model to ONNX is the issue "export to ONNX"."""
    raise NotImplementedError("minigrad.onnx.export is not implemented yet (see the issue \"export to ONNX\"); "
                              "save the weights with mg.save(model.state_dict(), path) instead")
