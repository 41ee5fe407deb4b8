"""read_torch_file against files torch itself wrote (tests/porting/make_fixtures.py), in both
formats; files written here by hand in the 2018 releases' dialect (torch.cuda storages,
storage views, big-endian data); refusals of unsafe, truncated and foreign files."""

import os
import pickle
import struct
import sys
import tarfile
import zipfile

import numpy as np
import pytest

from stargan_tf.errors import UserError
from stargan_tf.porting.torch_files import (
    MAGIC_NUMBER,
    PROTOCOL_VERSION,
    NotATorchFileError,
    UnsupportedTensorError,
    UntrustedCheckpointError,
    flatten_state,
    read_torch_file,
)

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


def fixture(name):
    return os.path.join(FIXTURES, name)


@pytest.fixture(scope="module")
def expected():
    with np.load(fixture("expected.npz")) as arrays:
        return {name: arrays[name] for name in arrays.files}


def assert_same(actual, wanted, name):
    assert isinstance(actual, np.ndarray), name
    assert actual.dtype == wanted.dtype, name
    assert actual.shape == wanted.shape, name
    np.testing.assert_array_equal(actual, wanted, err_msg=name)


@pytest.mark.parametrize("name", ["state_zip.pth", "state_legacy.pth"])
def test_state_dict_reads_as_torch_saved_it(name, expected):
    state = read_torch_file(fixture(name))
    wanted = {key[len("state/"):]: value for key, value in expected.items()
              if key.startswith("state/")}
    assert list(state) == list(wanted)  # the OrderedDict's order
    for key, value in state.items():
        assert_same(value, wanted[key], key)
        assert value.flags.c_contiguous and value.flags.writeable, key
    assert state["bn.num_batches_tracked"].shape == () and state["bn.num_batches_tracked"] == 3
    # Views of one storage come back as the views, not the storage.
    np.testing.assert_array_equal(state["views.transposed"], state["views.base"].T)
    np.testing.assert_array_equal(state["views.tail"], state["views.base"].ravel()[7:17])
    np.testing.assert_array_equal(state["views.strided"], state["views.base"][1:, ::2])


@pytest.mark.parametrize("name", ["nested_zip.pt", "nested_legacy.pt"])
def test_nested_state_dicts_flatten_to_dotted_names(name, expected):
    checkpoint = read_torch_file(fixture(name))
    assert checkpoint["iteration"] == 7
    assert checkpoint["meta"] == {"size": (2, 3), "device": "cuda:0", "dtype": "torch.float16",
                                  "name": b"ugatit", "lr": 1e-4}
    flat = flatten_state(checkpoint)
    wanted = {key[len("nested/"):]: value for key, value in expected.items()
              if key.startswith("nested/")}
    assert sorted(flat) == sorted(wanted)  # iteration and meta dropped
    assert next(iter(flat)) == "genA2B.conv.weight"
    for key, value in flat.items():
        assert_same(value, wanted[key], key)


def test_flatten_state_walks_lists_and_refuses_clashes():
    a, b = np.zeros(1), np.ones(2)
    assert flatten_state({"x": [a, {"y": b}], "n": 1, "s": "text"}) == {"x.0": a, "x.1.y": b}
    assert flatten_state(a) == {"": a}
    with pytest.raises(ValueError, match="a.b"):
        flatten_state({"a.b": a, "a": {"b": b}})


@pytest.mark.parametrize("name, refused", [
    ("malicious.pth", "posix.system"),
    ("namespace.pth", "argparse.Namespace"),
    ("model.pth", "__main__.Net"),
])
def test_objects_are_refused_and_nothing_runs(name, refused, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # where the os.system payload would write its file
    with pytest.raises(UntrustedCheckpointError) as info:
        read_torch_file(fixture(name))
    message = str(info.value)
    assert isinstance(info.value, UserError)
    assert name in message and refused in message
    assert "weights_only=True" in message and "state_dict()" in message
    assert not (tmp_path / "torch_files_payload_ran.txt").exists()
    assert "torch" not in sys.modules


def test_malicious_fixture_really_carries_its_payload():
    with zipfile.ZipFile(fixture("malicious.pth")) as archive:
        pickled = archive.read("malicious/data.pkl")
    assert b"posix\nsystem" in pickled and b"echo payload > torch_files_payload_ran.txt" in pickled


# Hand-written pickles (protocol-0 opcodes, valid in protocol 2) for what torch 2.13 no longer
# writes: the 2018 releases' torch.cuda storages, legacy storage views, big-endian data.

def glob(module, name):
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def text(value):
    data = value.encode()
    return b"X" + struct.pack("<I", len(data)) + data


def integer(value):
    return b"J" + struct.pack("<i", value)


def ints(values):
    return b"(" + b"".join(integer(v) for v in values) + b"t"


def tensor(storage_id, offset, size, stride, rebuild="_rebuild_tensor_v2"):
    """A tensor as torch pickles it: ``rebuild((storage persistent id), offset, size,
    stride[, requires_grad, OrderedDict()])``."""
    extra = b"\x89" + glob("collections", "OrderedDict") + b")R" if rebuild.endswith("v2") else b""
    return (glob("torch._utils", rebuild) + b"(" + storage_id + b"tQ" + integer(offset) +
            ints(size) + ints(stride) + extra + b"tR")


def state(items):
    return b"\x80\x02}(" + b"".join(text(k) + v for k, v in items) + b"u."


def legacy_file(path, body, storages, little=True):
    """The legacy format: magic, protocol, sys_info, ``body``, the storage keys, then each
    storage as an int64 count and its bytes."""
    with open(path, "wb") as file:
        pickle.dump(MAGIC_NUMBER, file, protocol=2)
        pickle.dump(PROTOCOL_VERSION, file, protocol=2)
        pickle.dump({"protocol_version": PROTOCOL_VERSION, "little_endian": little}, file,
                    protocol=2)
        file.write(body)
        pickle.dump([key for key, _ in storages], file, protocol=2)
        for _, array in storages:
            file.write(struct.pack("<q" if little else ">q", array.size))
            file.write(array.astype(array.dtype.newbyteorder("<")).tobytes())
    return path


def test_legacy_2018_dialect_cuda_storages_views_and_old_rebuild(tmp_path):
    root = np.arange(12, dtype=np.float32) - 5.5
    longs = np.array([7, -1], dtype=np.int64)
    float_id = (b"(" + text("storage") + glob("torch.cuda", "FloatStorage") + text("140") +
                text("cuda:0") + integer(12))
    body = state([
        ("w", tensor(float_id + b"N", 0, (3, 4), (4, 1))),
        ("wt", tensor(float_id + b"N", 1, (2, 3), (1, 4))),  # a transposed, offset view
        # a legacy storage view: elements 4..11 of the root, as key "141"
        ("view", tensor(float_id + b"(" + text("141") + integer(4) + integer(8) + b"t", 2,
                        (3,), (2,))),
        ("old", tensor(float_id + b"N", 10, (2,), (1,), rebuild="_rebuild_tensor")),
        ("n", tensor(b"(" + text("storage") + glob("torch", "LongStorage") + text("9") +
                     text("cpu") + integer(2) + b"N", 0, (2,), (1,))),
        ("b", tensor(b"(" + text("storage") + glob("torch", "BoolStorage") + text("8") +
                     text("cpu") + integer(3) + b"N", 0, (3,), (1,))),
        ("s", glob("__builtin__", "set") + b"((" + integer(1) + b"ltR"),  # a Python 2 name
    ])
    storages = [("140", root), ("9", longs), ("8", np.array([0, 2, 1], np.uint8))]
    checkpoint = read_torch_file(legacy_file(tmp_path / "2018.ckpt", body, storages))
    np.testing.assert_array_equal(checkpoint["w"], root.reshape(3, 4))
    np.testing.assert_array_equal(checkpoint["wt"], [[root[1], root[5], root[9]],
                                                     [root[2], root[6], root[10]]])
    np.testing.assert_array_equal(checkpoint["view"], root[4:][2:7:2])
    np.testing.assert_array_equal(checkpoint["old"], root[10:12])
    assert checkpoint["n"].dtype == np.int64 and list(checkpoint["n"]) == [7, -1]
    assert checkpoint["b"].dtype == np.bool_
    assert checkpoint["b"].view(np.uint8).tolist() == [0, 1, 1]  # a stored 2 reads as True
    assert checkpoint["s"] == {1}


def test_big_endian_zip_is_swapped(tmp_path):
    values = np.array([1.5, -2.0, 3.25], dtype=np.float32)
    storage_id = (b"(" + text("storage") + glob("torch", "FloatStorage") + text("0") +
                  text("cpu") + integer(3))
    path = tmp_path / "big.pth"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("big/data.pkl", state([("x", tensor(storage_id, 0, (3,), (1,)))]))
        archive.writestr("big/byteorder", "big")
        archive.writestr("big/data/0", values.astype(">f4").tobytes())
    x = read_torch_file(path)["x"]
    assert x.dtype == np.float32 and x.dtype.isnative
    np.testing.assert_array_equal(x, values)


def test_a_tensor_past_its_storage_is_corrupt(tmp_path):
    storage_id = (b"(" + text("storage") + glob("torch", "FloatStorage") + text("0") +
                  text("cpu") + integer(3))
    path = tmp_path / "past.pth"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("past/data.pkl", state([("x", tensor(storage_id, 1, (3,), (1,)))]))
        archive.writestr("past/data/0", np.zeros(3, np.float32).tobytes())
    with pytest.raises(NotATorchFileError, match="past the end of its storage"):
        read_torch_file(path)


def test_nothing_named_in_the_file_is_imported(tmp_path, monkeypatch):
    # A module that, imported, would leave a file behind; the reader must not import it.
    (tmp_path / "porting_canary_module.py").write_text(
        "open(__file__ + '.imported', 'w').close()\nrun = print\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    path = tmp_path / "canary.pth"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("canary/data.pkl", state([
            ("x", glob("porting_canary_module", "run") + b"(" + text("hi") + b"tR")]))
    with pytest.raises(UntrustedCheckpointError, match="porting_canary_module.run"):
        read_torch_file(path)
    assert "porting_canary_module" not in sys.modules
    assert not (tmp_path / "porting_canary_module.py.imported").exists()


def test_quantized_storages_are_unsupported_not_untrusted(tmp_path):
    storage_id = (b"(" + text("storage") + glob("torch", "QInt8Storage") + text("0") +
                  text("cpu") + integer(3))
    path = tmp_path / "q.pth"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("q/data.pkl", state([("x", tensor(storage_id, 0, (3,), (1,)))]))
    with pytest.raises(UnsupportedTensorError, match="QInt8Storage"):
        read_torch_file(path)


def copy_truncated(name, tmp_path, keep):
    data = open(fixture(name), "rb").read()
    path = tmp_path / f"cut-{name}"
    path.write_bytes(data[:int(len(data) * keep)])
    return path


@pytest.mark.parametrize("name, keep", [
    ("state_zip.pth", 0.5),        # no central directory
    ("state_zip.pth", 0.98),
    ("state_legacy.pth", 0.3),     # inside the pickle
    ("state_legacy.pth", 0.9),     # inside the storages
    ("state_legacy.pth", 0.999),
])
def test_truncated_files_are_refused(name, keep, tmp_path):
    path = copy_truncated(name, tmp_path, keep)
    with pytest.raises(NotATorchFileError) as info:
        read_torch_file(path)
    assert str(path) in str(info.value)
    assert "truncated" in str(info.value) or "not a PyTorch" in str(info.value)


def rewrite_zip(tmp_path, change):
    path = tmp_path / "changed.pth"
    with zipfile.ZipFile(fixture("state_zip.pth")) as source, \
            zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            data = change(info.filename, source.read(info.filename))
            if data is not None:
                target.writestr(info.filename, data)
    return path


@pytest.mark.parametrize("change, message", [
    (lambda name, data: None if name.endswith("/data/0") else data, "no state_zip/data/0"),
    (lambda name, data: data[:-4] if name.endswith("/data/0") else data, "bytes, the pickle"),
    (lambda name, data: None if name.endswith("data.pkl") else data, "without state_zip/data"),
    (lambda name, data: data[:len(data) // 2] if name.endswith("data.pkl") else data,
     "truncated"),
])
def test_zip_missing_or_short_records_are_refused(change, message, tmp_path):
    with pytest.raises(NotATorchFileError, match=message):
        read_torch_file(rewrite_zip(tmp_path, change))


@pytest.mark.parametrize("content, message", [
    (b"", "empty"),
    (np.random.default_rng(0).bytes(3000), "not a PyTorch checkpoint"),
    (b"just some text\n", "not a PyTorch checkpoint"),
    (b"\x80\x02K\x07.", "wrong magic number"),  # a pickle, but not torch's
])
def test_foreign_files_are_refused(content, message, tmp_path):
    path = tmp_path / "foreign.bin"
    path.write_bytes(content)
    with pytest.raises(NotATorchFileError, match=message):
        read_torch_file(path)


def test_npz_and_tar_are_refused(tmp_path):
    np.savez(tmp_path / "weights.npz", a=np.zeros(2))
    with pytest.raises(NotATorchFileError, match="without a.npy/data.pkl"):
        read_torch_file(tmp_path / "weights.npz")
    with tarfile.open(tmp_path / "old.tar", "w") as archive:
        archive.add(fixture("expected.npz"), arcname="pickle")
    with pytest.raises(NotATorchFileError, match="a tar archive"):
        read_torch_file(tmp_path / "old.tar")


def test_reading_never_imports_torch():
    read_torch_file(fixture("state_zip.pth"))
    read_torch_file(fixture("state_legacy.pth"))
    assert "torch" not in sys.modules
