"""mg.load on files that are not minigrad checkpoints: one clear exception each, naming the path."""
import gc
import io
import json
import os
import re
import struct
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


def _zip_of_other_files(path):
    # neither an .npz (.npy members) nor torch.save's layout (one <name>/data.pkl)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("report/readme.txt", b"hello")
        archive.writestr("report/data.bin", b"\x00" * 16)


def _text(path):
    path.write_text("w,b\n1.0,2.0\n")


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
    (_zip_of_other_files, "is a zip archive but not a checkpoint: it holds 'report/readme.txt', and neither only "
                          r"NumPy arrays \(an .npz\) nor one data.pkl \(a PyTorch checkpoint; it has 0\)"),
    (_random_bytes, r"is not a checkpoint mg.load reads \(a PyTorch zip, an .npz or a .safetensors file\): it "
                    r"starts with bytes b'"),
    (_html, "is a text/HTML file, not a checkpoint"),
    (_text, r"is a text file \(it starts with 'w,b\\n1.0,2.0\\n'\), not a checkpoint"),
    (_pickle, "is a bare Python pickle, not a checkpoint: mg.load reads PyTorch's zip checkpoints, .npz and "
              ".safetensors files, never a pickle.dump'ed object"),
    (_truncated, "is a damaged or truncated zip archive"),
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


# ---- crafted and damaged zip archives: each one a ValueError naming the path, in bounded time and memory
def _checkpoint(path):
    mg.save({"w": mg.ones(3), "b": mg.zeros(2), "c": {"d": mg.ones(4)}}, path)
    return bytearray(path.read_bytes())


def _patch_central_directory(path, offset, fmt, change):
    """Rewrite one field of the first member's central-directory entry (and, for the flags and the
    compression method, the same field of its local header, at offset - 2)."""
    raw = _checkpoint(path)
    entry = raw.find(b"PK\x01\x02")
    value = struct.unpack_from(fmt, raw, entry + offset)[0]
    struct.pack_into(fmt, raw, entry + offset, change(value))
    if offset in (8, 10):
        struct.pack_into(fmt, raw, offset - 2, change(value))
    path.write_bytes(raw)


def _comment_length_swallows_the_rest(path):
    # the first entry's comment then spans the other entries: zipfile lists one member, no error
    raw = _checkpoint(path)
    first, end = raw.find(b"PK\x01\x02"), raw.find(b"PK\x05\x06")
    struct.pack_into("<H", raw, first + 32, end - raw.find(b"PK\x01\x02", first + 4))
    path.write_bytes(raw)


def _flag_bit(bit):
    return lambda path: _patch_central_directory(path, 8, "<H", lambda flags: flags | 1 << bit)


def _compression_method(path):
    _patch_central_directory(path, 10, "<H", lambda method: 99)


def _bad_crc(path):
    _patch_central_directory(path, 16, "<I", lambda crc: crc ^ 1)


def _flipped_data_byte(path):
    raw = _checkpoint(path)
    raw[raw.find(b"\x93NUMPY") + 130] ^= 0xFF  # inside a0's data, after its 128-byte .npy header
    path.write_bytes(raw)


def _npy_bytes(shape, dtype="<f4"):
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": dtype, "fortran_order": False, "shape": shape})
    return header.getvalue()


def _huge_declared_shape(path):
    with zipfile.ZipFile(path, "w") as archive:  # ~250 bytes declaring 4 TB
        archive.writestr("w.npy", _npy_bytes((10 ** 12,)))


def _huge_declared_deflated_shape(path):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("w.npy", _npy_bytes((10 ** 6,)) + bytes(1000))


def _trailing_bytes_in_a_member(path):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("w.npy", _npy_bytes((2,)) + bytes(8) + b"extra")


def _deep_structure(path, depth=100_000):
    text = '{"list": [' * depth + '{"value": 1}' + "]}" * depth
    np.savez(path, __structure__=np.frombuffer(text.encode(), dtype=np.uint8))


def _structure_missing_an_array(path):
    np.savez(path, a1=np.ones(2), __structure__=np.frombuffer(
        json.dumps({"dict": [["w", {"array": "a0", "tensor": True}]]}).encode(), dtype=np.uint8))


def _unreferenced_array(path):
    np.savez(path, a0=np.ones(2), a1=np.ones(3), __structure__=np.frombuffer(
        json.dumps({"dict": [["w", {"array": "a0", "tensor": True}]]}).encode(), dtype=np.uint8))


def _duplicate_member(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile's "Duplicate name"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("w.npy", _npy_bytes((0,)))
            archive.writestr("w.npy", _npy_bytes((0,)))


@pytest.mark.parametrize("make, problem", [
    (_comment_length_swallows_the_rest, r"is a damaged zip archive: its zip index lists 1 members? but says it has 4"),
    (_flag_bit(0), r"is a damaged or truncated \.npz .*encrypted"),
    (_flag_bit(5), r"is a damaged or truncated \.npz .*compressed patched data"),
    (_flag_bit(6), r"is a damaged or truncated \.npz .*strong encryption"),
    (_compression_method, r"is a damaged or unsupported zip archive: member 'a0.npy' uses compression method 99"),
    (_bad_crc, r"is a damaged or truncated \.npz .*Bad CRC-32"),
    (_flipped_data_byte, r"is a damaged or truncated \.npz .*Bad CRC-32"),
    (_huge_declared_shape, r"is a damaged \.npz: member 'w' declares shape \(1000000000000,\) of float32 "
                           r"\(4000000000000 bytes\), more than its \d+ bytes can hold"),
    (_huge_declared_deflated_shape, r"is a damaged \.npz: member 'w' declares shape \(1000000,\) of float32 "
                                    r"\(4000000 bytes\), more than its \d+ bytes can hold"),
    (_trailing_bytes_in_a_member, r"is a damaged \.npz: member 'w' has 5 bytes after its array"),
    (_deep_structure, r"its __structure__ member is damaged \(nested too deeply\)"),
    (lambda path: _deep_structure(path, 101), r"its __structure__ member is damaged \(nested deeper than 100 levels\)"),
    (_structure_missing_an_array, r"its __structure__ member is damaged \(no array 'a0' in the file\)"),
    (_unreferenced_array, r"its __structure__ member is damaged \(the file holds arrays it does not name: a1\)"),
    (_duplicate_member, r"is a damaged zip archive: member 'w.npy' appears twice"),
])
def test_load_refuses_a_damaged_or_crafted_archive(tmp_path, make, problem):
    import time
    import tracemalloc

    path = tmp_path / "checkpoint.npz"
    make(path)
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(ValueError, match=re.escape(str(path)) + ".*" + problem):
            mg.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - start < 5 and peak < 32 << 20


@pytest.mark.parametrize("kind", ["fifo", "directory", "device"])
def test_load_refuses_special_files_without_blocking(tmp_path, kind):
    import threading

    if kind == "fifo":
        path = tmp_path / "checkpoint.npz"
        os.mkfifo(path)
    else:
        path = tmp_path if kind == "directory" else "/dev/zero"
    outcome = []

    def load():
        try:
            mg.load(path)
        except Exception as error:  # noqa: BLE001 - handed to the test's thread
            outcome.append(error)

    reader = threading.Thread(target=load, daemon=True)
    reader.start()
    reader.join(timeout=10)
    if reader.is_alive() and kind == "fifo":  # blocked in open(): a writer's open and close release it
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
        reader.join(timeout=10)
        pytest.fail("mg.load blocked on a FIFO")
    assert not reader.is_alive(), f"mg.load blocked on {path}"
    expected = {"fifo": (ValueError, "is a FIFO, not a regular file"),
                "directory": (IsADirectoryError, "Is a directory"),
                "device": (ValueError, "is a character device, not a regular file")}[kind]
    assert isinstance(outcome[0], expected[0]) and str(path) in str(outcome[0]), outcome
    assert expected[1] in str(outcome[0]), outcome


@pytest.mark.parametrize("name", ["big.npz", "big.pt"])  # the .npz format and torch's
def test_load_holds_about_one_copy_of_the_checkpoint(tmp_path, name):
    import tracemalloc

    path = tmp_path / name
    weights = {f"layer{i}": mg.tensor(np.full(1 << 20, i, dtype=np.float32)) for i in range(5)}  # 20 MB
    mg.save(weights, path)
    size = path.stat().st_size
    tracemalloc.start()
    try:
        loaded = mg.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [int(t.numpy()[0]) for t in loaded.values()] == list(range(5))
    assert peak < 1.2 * size, f"peak {peak / size:.2f} x the checkpoint's {size} bytes"


def test_unusual_but_valid_npz_files_still_load(tmp_path):
    arrays = {"fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)), "scalar": np.array(3, dtype=np.int16),
              "empty": np.zeros((0, 4), np.float32), "flags": np.array([True, False]),
              "big_endian": np.arange(3, dtype=">i4"), "small": np.arange(3, dtype=np.uint16)}
    np.savez_compressed(tmp_path / "compressed.npz", **arrays)
    np.savez(tmp_path / "stored.npz", **arrays)
    for name in ("compressed.npz", "stored.npz"):
        loaded = mg.load(tmp_path / name)
        assert loaded.keys() == arrays.keys()
        for key, array in arrays.items():
            assert loaded[key].dtype == array.dtype and loaded[key].shape == array.shape
            np.testing.assert_array_equal(loaded[key].numpy(), array)
    assert mg.load(tmp_path / "stored.npz")["fortran"].numpy().flags.f_contiguous
