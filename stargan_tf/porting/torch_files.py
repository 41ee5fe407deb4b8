"""Reading PyTorch checkpoint files (``torch.save``) into NumPy without torch and without
running code from the file: the pickle is read by an unpickler that resolves only what
``torch.load(weights_only=True)`` allows for tensors and containers, and never imports a
module the file names.

Both formats ``torch.save`` has written are read; confirmed in torch 2.13's
``torch/serialization.py`` (``_save``, ``_load``, ``_legacy_save``, ``_legacy_load``) and
``torch/_utils.py`` (``_rebuild_tensor``, ``_rebuild_tensor_v2``, ``_rebuild_tensor_v3``,
``_rebuild_parameter``, ``_rebuild_parameter_with_state``), and for the storage bytes of the
legacy format in ``torch/csrc/generic/serialization.cpp`` (``THPStorage_(writeFileRaw)`` /
``readFileRaw`` of the 2018 releases):

- zip (the default since torch 1.6, ``_save`` / ``_load``): one top folder ``<root>/``
  (torch names it after the file; this reader takes the first record's folder) holding ``data.pkl``, ``byteorder`` (``b"little"`` or ``b"big"``; when absent
  ``_load`` assumes little-endian), ``.format_version``, ``.storage_alignment`` and
  ``data/<key>``, the raw bytes of each storage. ``data.pkl``'s persistent ids are
  ``('storage', storage_type, key, location, numel)``, ``numel`` counted in elements of
  ``storage_type``'s dtype (bytes for ``UntypedStorage``).
- legacy (torch <= 1.5, and ``_use_new_zipfile_serialization=False``): four pickles in a
  row, then raw data: ``MAGIC_NUMBER = 0x1950A86A20F9469CFC6C``, ``PROTOCOL_VERSION =
  1001``, a ``sys_info`` dict (``little_endian``, ``type_sizes``), the object, whose
  persistent ids are ``('storage', storage_type, root_key, location, numel,
  view_metadata)`` with ``view_metadata`` ``None`` or ``(view_key, offset, size)`` in
  elements, then the list of storage keys; then, for each key in that list's order, an
  int64 element count (native byte order of the saving machine) and the storage's bytes,
  always little-endian (``writeFileRaw`` swaps on big-endian machines).
- tensors are pickled as ``_rebuild_tensor_v2(storage, storage_offset, size, stride,
  requires_grad, backward_hooks[, metadata])`` (``metadata`` ``{'neg': True}`` /
  ``{'conj': True}`` for lazily negated / conjugated views); older files use
  ``_rebuild_tensor(storage, storage_offset, size, stride)``, which torch's
  ``weights_only`` allowlist still accepts; dtypes without a legacy
  ``*Storage`` class (uint16, uint32, uint64) as ``_rebuild_tensor_v3(untyped_storage, ...,
  backward_hooks, dtype[, metadata])``. ``nn.Parameter`` wraps one of those in
  ``_rebuild_parameter(data, requires_grad, hooks)`` or ``_rebuild_parameter_with_state``.
  Offsets and strides count elements of the tensor's dtype.
- torch's own loader resolves any global whose name contains ``Storage`` by that name alone
  (``StorageType``), which is how ``torch.cuda.FloatStorage`` of GPU-saved 2018 checkpoints
  loads on a CPU; so does this reader.

The older tar format (``legacy_load`` in ``_legacy_load``: members ``storages``,
``tensors``, ``pickle``) is refused, as ``torch.load(weights_only=True)`` refuses it; so are
TorchScript archives (``torch.jit.save``).
"""

import collections
import os
import pickle
import struct
import tarfile
import zipfile

import numpy as np

from stargan_tf.errors import UserError

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001

# Torch dtype name -> the NumPy dtype its bytes are read as. bfloat16 has no NumPy dtype:
# read as uint16 and widened to float32 (its upper 16 bits), which holds it exactly.
_DTYPES = {
    "float32": np.float32, "float64": np.float64, "float16": np.float16,
    "bfloat16": np.uint16, "complex64": np.complex64, "complex128": np.complex128,
    "int64": np.int64, "int32": np.int32, "int16": np.int16, "int8": np.int8,
    "uint8": np.uint8, "uint16": np.uint16, "uint32": np.uint32, "uint64": np.uint64,
    "bool": np.bool_,
}
# Legacy storage class name -> its dtype (torch/storage.py, _dtype_to_storage_type_map).
_STORAGE_DTYPES = {
    "FloatStorage": "float32", "DoubleStorage": "float64", "HalfStorage": "float16",
    "BFloat16Storage": "bfloat16", "ComplexFloatStorage": "complex64",
    "ComplexDoubleStorage": "complex128", "LongStorage": "int64", "IntStorage": "int32",
    "ShortStorage": "int16", "CharStorage": "int8", "ByteStorage": "uint8",
    "BoolStorage": "bool",
}
# What torch can pickle but NumPy cannot hold: refused as unsupported, not as unsafe.
_UNSUPPORTED = {
    "torch._utils._rebuild_qtensor": "a quantized tensor",
    "torch._utils._rebuild_sparse_tensor": "a sparse tensor",
    "torch._utils._rebuild_nested_tensor": "a nested tensor",
    "torch._utils._rebuild_meta_tensor_no_storage": "a tensor without data (meta device)",
    "torch._utils._rebuild_wrapper_subclass": "a tensor subclass without data",
}
# Python 2 pickles (protocol 2) name builtins "__builtin__"; pickle's own find_class maps
# it, ours must too.
_MODULE_ALIASES = {"__builtin__": "builtins"}


class UntrustedCheckpointError(UserError, ValueError):
    """A checkpoint whose pickle names something other than tensors and containers."""


class NotATorchFileError(UserError, ValueError):
    """A file that is not a ``torch.save`` checkpoint, or one that is truncated or corrupt."""


class UnsupportedTensorError(UserError, ValueError):
    """A checkpoint holding a tensor NumPy cannot hold (quantized, sparse, float8, ...)."""


class _Corrupt(Exception):
    """Raised inside unpickling; read_torch_file turns it into NotATorchFileError."""


class _Marker:
    """Base of the stand-ins the unpickler hands out. A pickle can BUILD (set attributes
    on) any object it holds: refused here, so the stand-ins, and the functions it may call,
    keep what they were made with."""

    __slots__ = ()

    def __setstate__(self, state):
        raise _Corrupt("the pickle sets attributes on a tensor, storage or function")


class _Function(_Marker):
    """One of our functions, as the pickle may call it (and not modify it)."""

    __slots__ = ("function",)

    def __init__(self, function):
        self.function = function

    def __call__(self, *args):
        return self.function(*args)


class _DType(_Marker):
    """A torch dtype (``torch.float16``) or a storage class (``torch.HalfStorage``)."""

    __slots__ = ("name", "global_name")

    def __init__(self, name, global_name):
        self.name, self.global_name = name, global_name

    @property
    def numpy(self):
        return np.dtype(_DTYPES[self.name])


class _Storage(_Marker):
    """One storage: raw bytes read in ``dtype`` (its storage class's dtype); a view of a
    legacy root storage keeps the root and its byte range."""

    __slots__ = ("dtype", "nbytes", "data", "root", "byte_offset")

    def __init__(self, dtype, nbytes, data=None, root=None, byte_offset=0):
        self.dtype, self.nbytes, self.data = dtype, nbytes, data
        self.root, self.byte_offset = root, byte_offset

    def raw(self):
        if self.root is not None:
            root = self.root.raw()
            if self.byte_offset + self.nbytes > len(root):
                raise _Corrupt("a storage view reaches past its storage")
            return root[self.byte_offset:self.byte_offset + self.nbytes]
        if self.data is None:
            raise _Corrupt("a storage the pickle uses has no data in the file")
        return self.data


class _Tensor(_Marker):
    """A tensor to build once every storage's bytes are read (in the legacy format they
    follow the pickle)."""

    __slots__ = ("storage", "offset", "size", "stride", "dtype", "metadata")

    def __init__(self, storage, offset, size, stride, dtype, metadata=None):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride
        self.dtype, self.metadata = dtype, metadata


class _TensorType(_Marker):
    """``torch.Tensor`` / ``nn.Parameter`` as ``_rebuild_from_type_v2`` names them."""

    __slots__ = ()


_TENSOR_TYPE = _TensorType()


def _int(value, what):
    if type(value) is not int or value < 0:  # bool is an int subclass; not a count
        raise _Corrupt(f"{what} is {value!r}, not a non-negative integer")
    return value


def _int_tuple(value, what):
    if not isinstance(value, tuple):
        raise _Corrupt(f"{what} is {type(value).__name__}, not a tuple")
    return tuple(_int(v, what) for v in value)


def _rebuild_tensor(storage, storage_offset, size, stride, dtype=None, metadata=None):
    if not isinstance(storage, _Storage):
        raise _Corrupt("a tensor is rebuilt from something that is not a storage")
    dtype = storage.dtype if dtype is None else dtype
    if not isinstance(dtype, _DType):
        raise _Corrupt("a tensor's dtype is not a torch dtype")
    if metadata is not None and not isinstance(metadata, dict):
        raise _Corrupt("a tensor's metadata is not a dict")
    size, stride = _int_tuple(size, "a tensor's size"), _int_tuple(stride, "a tensor's stride")
    if len(size) != len(stride):
        raise _Corrupt("a tensor's size and stride differ in length")
    return _Tensor(storage, _int(storage_offset, "a tensor's offset"), size, stride, dtype,
                   metadata)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                       metadata=None):
    return _rebuild_tensor(storage, storage_offset, size, stride, metadata=metadata)


def _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                       dtype, metadata=None):
    return _rebuild_tensor(storage, storage_offset, size, stride, dtype, metadata)


def _rebuild_parameter(data, requires_grad=False, backward_hooks=None, state=None):
    # A parameter's Python attributes (state) are not weights: dropped.
    if not isinstance(data, _Tensor):
        raise _Corrupt("a parameter wraps something that is not a tensor")
    return data


def _rebuild_from_type_v2(func, new_type, args, state):
    if new_type is not _TENSOR_TYPE or not isinstance(func, _Function) or \
            not isinstance(args, tuple):
        raise _Corrupt("a tensor subclass is rebuilt from unexpected parts")
    return func(*args)


def _encode(text, encoding="utf-8"):
    # Protocol 2 pickles bytes as _codecs.encode(str, 'latin1'); other codecs are not data.
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise _Corrupt("_codecs.encode is called other than to rebuild bytes")
    return text.encode("latin1")


def _bytearray(data=b"", encoding=None):
    # Protocol 2 pickles bytearray(str, 'latin-1'); a count would allocate that many bytes.
    if isinstance(data, str) and encoding in ("latin1", "latin-1"):
        return bytearray(data, encoding)
    if not isinstance(data, bytes) or encoding is not None:
        raise _Corrupt("bytearray is called other than to rebuild bytes")
    return bytearray(data)


def _device(kind, index=None):
    # A torch.device leaf (training scripts save them) becomes its string, "cuda:0".
    return str(kind) if index is None else f"{kind}:{index}"


_ALLOWED = {
    "collections.OrderedDict": collections.OrderedDict,
    "torch._utils._rebuild_tensor": _Function(_rebuild_tensor),
    "torch._utils._rebuild_tensor_v2": _Function(_rebuild_tensor_v2),
    "torch._utils._rebuild_tensor_v3": _Function(_rebuild_tensor_v3),
    "torch._utils._rebuild_parameter": _Function(_rebuild_parameter),
    "torch._utils._rebuild_parameter_with_state": _Function(_rebuild_parameter),
    "torch.nn.parameter.Parameter": _Function(_rebuild_parameter),
    "torch._tensor._rebuild_from_type_v2": _Function(_rebuild_from_type_v2),
    "torch.Tensor": _TENSOR_TYPE,
    "torch._tensor.Tensor": _TENSOR_TYPE,
    "torch.Size": tuple,
    "torch.device": _Function(_device),
    "torch.storage.UntypedStorage": _DType("uint8", "torch.storage.UntypedStorage"),
    "torch.UntypedStorage": _DType("uint8", "torch.UntypedStorage"),
    "_codecs.encode": _Function(_encode),
    "builtins.bytearray": _Function(_bytearray),
    "builtins.set": set,
    "builtins.frozenset": frozenset,
    "builtins.complex": complex,
    "builtins.slice": slice,
}


class _RestrictedUnpickler(pickle.Unpickler):
    """Resolves only the names of ``_ALLOWED``, storage classes and dtypes, to our own
    stand-ins; nothing is imported. Storages go through ``load_storage``."""

    def __init__(self, file, path, load_storage=None):
        super().__init__(file, encoding="utf-8")
        self._path = path
        self._load_storage = load_storage

    def find_class(self, module, name):
        module = _MODULE_ALIASES.get(module, module)
        full = f"{module}.{name}"
        if full in _ALLOWED:
            return _ALLOWED[full]
        if full in _UNSUPPORTED:
            raise UnsupportedTensorError(
                f"{self._path}: holds {_UNSUPPORTED[full]} ({full}), which this reader "
                "does not convert to NumPy.")
        # As torch's own StorageType: a storage class is known by its name, whichever module
        # (torch, torch.cuda) the saving machine had it in.
        if module in ("torch", "torch.cuda") and name in _STORAGE_DTYPES:
            return _DType(_STORAGE_DTYPES[name], full)
        if module == "torch" and name in _DTYPES:
            return _DType(name, full)
        if module in ("torch", "torch.cuda") and (name.endswith("Storage") or name.startswith(
                ("float8", "float4", "qint", "quint", "complex32", "bits"))):
            raise UnsupportedTensorError(
                f"{self._path}: holds a tensor of type {full}, which this reader does not "
                "convert to NumPy.")
        raise UntrustedCheckpointError(
            f"{self._path}: refused to load {full}: only tensors and containers are read "
            "(as torch.load(weights_only=True) does), and nothing named in the file is "
            "imported or run. The file may be malicious, or it may hold a pickled object "
            "(a whole model, an argparse.Namespace of flags, ...); if you trust it, load it "
            "with torch and re-save only the weights: torch.save(model.state_dict(), path).")

    def persistent_load(self, pid):
        if self._load_storage is None:
            raise _Corrupt("a storage reference where none is expected")
        if not isinstance(pid, tuple) or not pid:
            raise _Corrupt(f"an unknown persistent id {pid!r}")
        kind = pid[0].decode("ascii") if isinstance(pid[0], bytes) else pid[0]
        if kind == "module":
            # Legacy whole-model pickles; the class in the id was refused by find_class already.
            raise UntrustedCheckpointError(
                f"{self._path}: holds a pickled nn.Module, not a state dict; if you trust "
                "it, load it with torch and re-save torch.save(model.state_dict(), path).")
        if kind != "storage":
            raise _Corrupt(f"an unknown persistent id kind {kind!r}")
        return self._load_storage(pid[1:])


def _storage_args(args, n):
    if len(args) != n:
        raise _Corrupt(f"a storage reference has {len(args)} fields, not {n}")
    dtype, key, numel = args[0], args[1], args[3]
    if not isinstance(dtype, _DType):
        raise _Corrupt("a storage reference names no storage type")
    if isinstance(key, bytes):
        key = key.decode("ascii")
    if not isinstance(key, str):
        raise _Corrupt(f"a storage key is {key!r}")
    return dtype, key, _int(numel, "a storage's size") * dtype.numpy.itemsize


def _read_zip(file, path):
    """The object of a zip checkpoint, storages read (tensors still ``_Tensor``)."""
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise NotATorchFileError(
            f"{path}: a zip archive that cannot be read, truncated or corrupt ({exc}).") from exc
    with archive:
        return _read_archive(archive, path)


def _read_archive(archive, path):
    order = archive.namelist()
    if not order:
        raise NotATorchFileError(f"{path}: an empty zip archive, not a PyTorch checkpoint.")
    # The archive's folder is its first record's, as torch's PyTorchStreamReader takes it.
    root, names = order[0].split("/", 1)[0], set(order)
    if f"{root}/constants.pkl" in names:
        raise NotATorchFileError(
            f"{path}: a TorchScript archive (torch.jit.save), not a torch.save checkpoint; "
            "load it with torch.jit.load and re-save torch.save(model.state_dict(), path).")
    if f"{root}/data.pkl" not in names:
        raise NotATorchFileError(
            f"{path}: a zip archive without {root}/data.pkl: not a PyTorch checkpoint, or a "
            "corrupt one.")
    byteorder = "little"
    if f"{root}/byteorder" in names:
        byteorder = archive.read(f"{root}/byteorder").decode("ascii", "replace")
        if byteorder not in ("little", "big"):
            raise NotATorchFileError(f"{path}: unknown byte order {byteorder!r} in the file.")
    storages = {}

    def load_storage(args):
        dtype, key, nbytes = _storage_args(args, 4)
        if key not in storages:
            name = f"{root}/data/{key}"
            if name not in names:
                raise _Corrupt(f"the archive has no {name}")
            info = archive.getinfo(name)
            if info.file_size != nbytes:
                raise _Corrupt(f"{name} holds {info.file_size} bytes, the pickle expects "
                               f"{nbytes}")
            storages[key] = _Storage(dtype, nbytes, archive.read(name))
        return storages[key]

    obj = _RestrictedUnpickler(archive.open(f"{root}/data.pkl"), path, load_storage).load()
    return obj, byteorder


def _read_legacy(file, path, size):
    """The object of a legacy checkpoint, storages read (tensors still ``_Tensor``)."""
    def next_pickle(what):
        try:
            return _RestrictedUnpickler(file, path).load()
        except (UserError, _Corrupt):
            raise
        except Exception as exc:
            raise NotATorchFileError(
                f"{path}: not a PyTorch checkpoint: no zip archive, and its {what} cannot be "
                f"read as a pickle ({type(exc).__name__}: {exc}).") from exc

    if next_pickle("start") != MAGIC_NUMBER:
        raise NotATorchFileError(
            f"{path}: not a PyTorch checkpoint: neither a zip archive nor a legacy "
            "torch.save file (wrong magic number).")
    version = next_pickle("protocol version")
    if version != PROTOCOL_VERSION:
        raise NotATorchFileError(f"{path}: legacy torch.save protocol {version!r}, not "
                                 f"{PROTOCOL_VERSION}; not a file this reader knows.")
    sys_info = next_pickle("sys_info")
    little = not isinstance(sys_info, dict) or sys_info.get("little_endian", True)
    storages = {}

    def load_storage(args):
        dtype, key, nbytes = _storage_args(args, 5)
        view = args[4]
        if key not in storages:
            storages[key] = _Storage(dtype, nbytes)
        root = storages[key]
        if view is None:
            return root
        if not isinstance(view, tuple) or len(view) != 3:
            raise _Corrupt("a storage view is not (key, offset, size)")
        itemsize = dtype.numpy.itemsize
        return _Storage(dtype, _int(view[2], "a view's size") * itemsize, root=root,
                        byte_offset=_int(view[1], "a view's offset") * itemsize)

    obj = _RestrictedUnpickler(file, path, load_storage).load()
    keys = _RestrictedUnpickler(file, path).load()
    if not isinstance(keys, list):
        raise _Corrupt("the list of storage keys is missing")
    for key in keys:
        storage = storages.get(key.decode("ascii") if isinstance(key, bytes) else key)
        if storage is None:
            raise _Corrupt(f"storage {key!r} is listed but never used")
        head = file.read(8)
        if len(head) != 8:
            raise _Corrupt(f"the file ends before storage {key!r}")
        count, = struct.unpack("<q" if little else ">q", head)
        if count * storage.dtype.numpy.itemsize != storage.nbytes:
            raise _Corrupt(f"storage {key!r} holds {count} elements, the pickle expects "
                           f"{storage.nbytes // storage.dtype.numpy.itemsize}")
        # Checked before reading: a forged count must not make us allocate it.
        if file.tell() + storage.nbytes > size:
            raise _Corrupt(f"the file ends inside storage {key!r}")
        storage.data = file.read(storage.nbytes)
    # Legacy storage bytes are little-endian on every machine (writeFileRaw).
    return obj, "little"


def _to_array(tensor, byteorder):
    dtype = tensor.dtype.numpy
    raw = tensor.storage.raw()
    itemsize = dtype.itemsize
    base = np.frombuffer(raw, dtype=dtype.newbyteorder("<" if byteorder == "little" else ">"),
                         count=len(raw) // itemsize)
    if 0 in tensor.size:
        array = np.zeros(tensor.size, dtype)
    else:
        last = tensor.offset + sum((n - 1) * s for n, s in zip(tensor.size, tensor.stride))
        if last >= base.size:
            raise _Corrupt("a tensor reaches past the end of its storage")
        view = np.lib.stride_tricks.as_strided(
            base[tensor.offset:], tensor.size, tuple(s * itemsize for s in tensor.stride))
        array = np.array(view, dtype=dtype.newbyteorder("="), order="C", copy=True)
    if tensor.dtype.name == "bfloat16":
        array = (array.astype(np.uint32) << 16).view(np.float32)
    elif tensor.dtype.name == "bool":
        array = array.view(np.uint8) != 0  # any non-zero byte is True, as in torch
    metadata = tensor.metadata or {}
    if metadata.get("neg"):
        array = -array
    if metadata.get("conj"):
        array = np.conj(array)
    return array


def _resolve(obj, byteorder, memo):
    """``obj`` with every stand-in replaced: tensors and bare storages by arrays, dtypes and
    storage classes by their torch name. Containers are changed in place (tuples rebuilt),
    so shared and cyclic references stay shared."""
    if id(obj) in memo:
        return memo[id(obj)]
    if isinstance(obj, _Tensor):
        result = _to_array(obj, byteorder)
    elif isinstance(obj, _Storage):
        result = _to_array(_Tensor(obj, 0, (obj.nbytes // obj.dtype.numpy.itemsize,), (1,),
                                   obj.dtype), byteorder)
    elif isinstance(obj, _DType):
        result = obj.global_name
    elif isinstance(obj, _TensorType):
        result = "torch.Tensor"
    elif isinstance(obj, dict):
        memo[id(obj)] = obj
        for key, value in obj.items():
            obj[key] = _resolve(value, byteorder, memo)
        return obj
    elif isinstance(obj, list):
        memo[id(obj)] = obj
        obj[:] = [_resolve(value, byteorder, memo) for value in obj]
        return obj
    elif isinstance(obj, tuple):
        result = tuple(_resolve(value, byteorder, memo) for value in obj)
    else:
        return obj  # scalars, strings, bytes, sets (their members are hashable scalars)
    memo[id(obj)] = result
    return result


def read_torch_file(path):
    """Read a ``torch.save`` file into NumPy, never running code from it.

    Both formats are read: the zip archive of torch >= 1.6 and the legacy format of
    torch <= 1.5 (the 2018 releases' ``.ckpt`` / ``.pth``). Tensors become C-contiguous
    ``numpy.ndarray`` copies with torch's dtype (bfloat16 as float32, bool as bool; views'
    offsets, strides and negation honoured); ``nn.Parameter`` becomes its array; dicts,
    ``OrderedDict``, lists, tuples and Python scalars stay as they are; ``torch.Size``
    becomes a tuple, ``torch.device`` its string (``"cuda:0"``), a dtype its name
    (``"torch.float16"``).

    Args:
        path: the checkpoint file.

    Returns:
        The unpickled object, e.g. a state dict ``{name: ndarray}``.

    Raises:
        UntrustedCheckpointError: the pickle names anything else than tensors and
            containers (``os.system``, a model class, ``argparse.Namespace``, ...), as
            ``torch.load(weights_only=True)`` would; nothing it names is imported.
        UnsupportedTensorError: a quantized, sparse or float8 tensor.
        NotATorchFileError: neither format, PyTorch's oldest (tar) format, a
            TorchScript archive, or a truncated or corrupt file (a missing ``data.pkl`` or
            storage, a pickle that ends early, a storage shorter than its size).
        OSError: the file cannot be opened.
    """
    path = os.fspath(path)
    with open(path, "rb") as file:
        size = os.fstat(file.fileno()).st_size
        if size == 0:
            raise NotATorchFileError(f"{path}: the file is empty, not a PyTorch checkpoint.")
        head = file.read(4)
        file.seek(0)
        try:
            # As torch's _is_zipfile: a zip local-file header at the very start.
            if head == b"PK\x03\x04":
                obj, byteorder = _read_zip(file, path)
            elif tarfile.is_tarfile(path):
                raise NotATorchFileError(
                    f"{path}: a tar archive: PyTorch's oldest checkpoint format (or not a "
                    "checkpoint at all), which this reader does not read "
                    "(torch.load(weights_only=True) refuses it too); if you trust the file, "
                    "load it with torch and re-save torch.save(state_dict, path).")
            else:
                obj, byteorder = _read_legacy(file, path, size)
            return _resolve(obj, byteorder, {})
        except UserError:
            raise
        except _Corrupt as exc:
            raise NotATorchFileError(
                f"{path}: a truncated or corrupt PyTorch checkpoint: {exc}.") from exc
        except Exception as exc:
            # Whatever a damaged pickle or archive makes the parsers raise (EOFError,
            # UnpicklingError, BadZipFile, a CRC error, RecursionError, ...).
            raise NotATorchFileError(
                f"{path}: a truncated or corrupt PyTorch checkpoint "
                f"({type(exc).__name__}: {exc}).") from exc


def flatten_state(obj):
    """The tensors of a (nested) checkpoint under dotted names.

    ``{"genA2B": {"conv.weight": a}, "step": 7}`` becomes ``{"genA2B.conv.weight": a}``:
    dicts (and lists, by index) are walked, keys joined with ``"."``, so a checkpoint that
    holds several networks (U-GAT-IT-pytorch's ``{'genA2B': ..., 'disGA': ...}``) reads like
    one state dict. Non-array leaves (step counters, flags, strings) are dropped: read them
    from ``read_torch_file``'s object.

    Args:
        obj: what ``read_torch_file`` returned.

    Returns:
        ``{dotted name: ndarray}``, in the file's order.

    Raises:
        ValueError: two paths give one name (``{"a.b": x, "a": {"b": y}}``).
    """
    flat = {}

    def walk(value, prefix):
        if isinstance(value, np.ndarray):
            if prefix in flat:
                raise ValueError(f"two tensors of the checkpoint are both named {prefix!r}")
            flat[prefix] = value
            return
        if isinstance(value, dict):
            items = value.items()
        elif isinstance(value, (list, tuple)):
            items = enumerate(value)
        else:
            return
        for key, child in items:
            walk(child, f"{prefix}.{key}" if prefix else str(key))

    walk(obj, "")
    return flat
