"""mg.load on files that are not minigrad checkpoints: one clear exception each, naming the path."""
import gc
import re
import warnings
import zipfile

import numpy as np
import pytest

import minigrad as mg

def _npy(path):
    with open(path, "wb") as file:  # np.save given a path would append ".npy" to its name
        np.save(file, np.arange(3.0))


def _empty(path):
    path.write_bytes(b"")


def _torch_zip(path):
    # the layout of torch.save's zip format: a pickle and raw storages, no .npy members
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", b"\x80\x02}q\x00.")
        archive.writestr("archive/data/0", b"\x00" * 16)
        archive.writestr("archive/version", b"3\n")


def _random_bytes(path):
    path.write_bytes(bytes(np.random.default_rng(0).integers(0, 256, 512, dtype=np.uint8)))


def _html(path):
    path.write_text("<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head><body>Not Found</body></html>")


def _pickle(path):
    path.write_bytes(b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00}\x94.")


def _truncated(path):
    mg.save({"w": mg.ones(100)}, path)
    path.write_bytes(path.read_bytes()[:150])


def _member_without_npy_header(path):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("w.npy", b"not an array")


def _strings(path):
    np.savez(path, names=np.array([b"weight", b"bias"]))


@pytest.mark.parametrize("make, problem", [
    (_npy, r"is a \.npy file \(one NumPy array\), not an \.npz state dict"),
    (_empty, r"is empty \(0 bytes\)"),
    (_torch_zip, "is a zip archive but not an .npz: it holds 'archive/data.pkl'.*PyTorch .pt checkpoint"),
    (_random_bytes, "is not an .npz file"),
    (_html, "is a text/HTML file, not an .npz"),
    (_pickle, "is a Python pickle, not an .npz; minigrad never unpickles"),
    (_truncated, "is a damaged or truncated .npz"),
    (_member_without_npy_header, "is a damaged .npz: member 'w' is not a NumPy array"),
    (_strings, "member 'names' has dtype \\|S6; minigrad loads numeric and bool arrays only"),
])
def test_load_says_what_the_file_is(tmp_path, make, problem):
    path = tmp_path / "checkpoint.npz"
    make(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match=re.escape(str(path)) + ".*" + problem):
            mg.load(path)
        gc.collect()  # a file left open would warn when collected
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


def test_a_missing_file_is_an_os_error_naming_it(tmp_path):
    path = tmp_path / "nowhere.npz"
    with pytest.raises(OSError, match=re.escape(str(path))):
        mg.load(path)


def test_a_good_checkpoint_still_loads(tmp_path):
    path = tmp_path / "good.npz"
    mg.save({"w": mg.ones(3)}, path)
    np.testing.assert_array_equal(mg.load(path)["w"].numpy(), [1, 1, 1])
