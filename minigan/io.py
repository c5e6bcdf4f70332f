"""Checkpoints: ``mg.save(obj, path)`` and ``mg.load(path)``, as ``.npz`` files, never pickle.

A checkpoint is an ordinary ``.npz`` archive: one entry per array, plus one entry, ``__manifest__``,
holding JSON that describes the structure around them (dicts with int or str keys, lists, tuples,
numbers, strings, None).  Loading never unpickles anything (``allow_pickle=False``), so opening a
checkpoint from someone else cannot run their code.  A plain ``.npz`` without the manifest (say,
``np.savez(path, **{k: v.numpy() for k, v in torch_model.state_dict().items()})``) loads as a flat dict.

Writes are atomic: the archive goes to a temporary file in the same folder, is flushed and fsynced,
and only then renamed over ``path``; a crash midway leaves the previous checkpoint untouched.
"""
from __future__ import annotations

import json
import os
import uuid
import zipfile

import numpy as np

from minigan import backend
from minigan.autograd import Tensor

MANIFEST = "__manifest__"
FORMAT = "minigan-checkpoint"
VERSION = 1


class CheckpointError(ValueError):
    """A file could not be read as a checkpoint (truncated, corrupt, or not a minigan/NumPy .npz)."""


# ---------------------------------------------------------------- saving
def save(obj, path) -> None:
    """Write ``obj`` (a state dict, or any nesting of dicts, lists, tuples, arrays, Tensors, numbers,
    strings and None) to exactly ``path``, atomically.

    Arrays and Tensors are stored as NumPy arrays; those on the GPU are copied to the host, and the
    model they belong to stays where it is.
    """
    arrays: dict[str, np.ndarray] = {}
    root = _encode(obj, arrays, "obj")
    manifest = json.dumps({"format": FORMAT, "version": VERSION, "root": root})
    arrays[MANIFEST] = np.array(manifest)
    atomic_write(path, lambda file: np.savez(file, **arrays))


def atomic_write(path, write, binary: bool = True) -> None:
    """Call ``write(file)`` on a temporary file in ``path``'s folder, flush and fsync it, then rename it over
    ``path``: a crash midway leaves the previous file untouched.  The checkpoints, metrics and samples go through here."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot write {path!r}: the folder {folder!r} does not exist")
    temporary = os.path.join(folder, f".{os.path.basename(path)}.{uuid.uuid4().hex[:12]}.tmp")
    # "x": create it, never overwrite; unlike tempfile.mkstemp this keeps the usual permissions (umask)
    file = open(temporary, "xb" if binary else "x", **({} if binary else {"encoding": "utf-8"}))
    try:
        with file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
    _fsync_folder(folder)


def _plain(value):
    """NumPy/CuPy scalars and arrays as plain Python values, so json can write them."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist"):
        return backend.to_numpy(value).tolist() if hasattr(value, "shape") else value.tolist()
    return value


def save_json(obj, path) -> None:
    """Write ``obj`` (NumPy/CuPy numbers and arrays included) as indented JSON, atomically."""
    text = json.dumps(_plain(obj), indent=2) + "\n"
    atomic_write(path, lambda file: file.write(text), binary=False)


def save_samples(samples, path) -> None:
    """Save generated samples as ``.npy`` (NumPy, float32), atomically, so anyone can check the numbers."""
    array = np.asarray(backend.to_numpy(samples), dtype=np.float32)
    atomic_write(path, lambda file: np.save(file, array))


def _fsync_folder(folder: str) -> None:
    """Make the rename itself durable (POSIX; Windows cannot open a folder, and needs no such step)."""
    if os.name != "posix":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _encode(obj, arrays: dict, where: str):
    """The JSON node describing ``obj``; its arrays go into ``arrays`` under fresh names."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return {"type": "value", "value": obj}
    if isinstance(obj, dict):
        items = []
        for key, value in obj.items():
            if isinstance(key, bool) or not isinstance(key, (int, str)):
                raise TypeError(f"mg.save: {where} has a key {key!r} of type {type(key).__name__}; "
                                "keys must be str or int")
            items.append([key, _encode(value, arrays, f"{where}[{key!r}]")])
        return {"type": "dict", "items": items}
    if isinstance(obj, (list, tuple)):
        kind = "list" if isinstance(obj, list) else "tuple"
        return {"type": kind, "items": [_encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(obj)]}
    if isinstance(obj, np.generic) and obj.dtype.kind in "biuf":
        # a NumPy number (say a float32 loss) stays in the manifest; float → JSON → float is exact
        return {"type": "scalar", "dtype": obj.dtype.str, "value": obj.item()}
    if isinstance(obj, Tensor):
        kind, array = "tensor", obj.data
    elif hasattr(obj, "shape") and hasattr(obj, "dtype"):
        kind, array = "array", obj
    else:
        raise TypeError(f"mg.save: {where} is a {type(obj).__name__}, which a checkpoint cannot hold "
                        "(use dicts, lists, tuples, arrays, Tensors, numbers, strings or None)")
    array = backend.to_numpy(array)
    if array.dtype.hasobject:
        raise TypeError(f"mg.save: {where} is an array of Python objects, which would need pickle")
    name = f"a{len(arrays)}"
    arrays[name] = array
    return {"type": kind, "name": name}


# ---------------------------------------------------------------- loading
def load(path):
    """Read a checkpoint written by ``save`` (or a plain ``.npz`` of arrays, as a flat dict).

    Arrays come back as NumPy arrays, Tensors as CPU Tensors; ``Module.load_state_dict`` and
    ``Optimizer.load_state_dict`` move them to the model's device.  Raises FileNotFoundError when
    ``path`` does not exist and CheckpointError when it is not a readable checkpoint.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"mg.load: no such checkpoint file: {path!r}")
    with open(path, "rb") as file:
        magic = file.read(6)
    if magic.startswith(b"\x93NUMPY"):
        raise CheckpointError(f"mg.load: {path!r} is a single-array .npy file, not a .npz checkpoint "
                              "(read it with numpy.load)")
    if not magic.startswith(b"PK"):
        raise CheckpointError(f"mg.load: {path!r} is not a .npz checkpoint (it is not a zip archive; "
                              "a pickle, text or other file?)")
    try:
        with np.load(path, allow_pickle=False) as archive:
            others = [name for name in archive.zip.namelist() if not name.endswith(".npy")]
            arrays = {} if others else {name: archive[name] for name in archive.files}
    except ValueError as err:
        if "pickle" in str(err) or "object" in str(err).lower():
            raise CheckpointError(f"mg.load: {path!r} holds object arrays (pickled Python objects), "
                                  "which mg.load refuses to unpickle") from None
        raise CheckpointError(f"mg.load: {path!r} is corrupt: {err}") from None
    except (zipfile.BadZipFile, EOFError, OSError, KeyError, RuntimeError) as err:
        raise CheckpointError(f"mg.load: {path!r} is truncated or corrupt ({type(err).__name__}: {err})") from None
    if others:  # np.load would hand these back as raw bytes
        raise CheckpointError(f"mg.load: {path!r} is a zip archive but not a .npz checkpoint: "
                              f"{others[0]!r} is not a NumPy array (.npy)")
    if MANIFEST not in arrays:
        return arrays
    try:
        manifest = json.loads(str(arrays.pop(MANIFEST)))
        if manifest.get("format") != FORMAT:
            raise ValueError(f"unknown format {manifest.get('format')!r}")
        if manifest.get("version", 0) > VERSION:
            raise ValueError(f"format version {manifest['version']} is newer than this minigan reads ({VERSION})")
        return _decode(manifest["root"], arrays)
    except (ValueError, KeyError, TypeError, AttributeError, IndexError) as err:
        raise CheckpointError(f"mg.load: {path!r} has a damaged manifest ({type(err).__name__}: {err})") from None


def _decode(node: dict, arrays: dict):
    kind = node["type"]
    if kind == "value":
        return node["value"]
    if kind == "dict":
        return {key: _decode(value, arrays) for key, value in node["items"]}
    if kind == "list":
        return [_decode(value, arrays) for value in node["items"]]
    if kind == "tuple":
        return tuple(_decode(value, arrays) for value in node["items"])
    if kind == "scalar":
        return np.dtype(node["dtype"]).type(node["value"])
    if kind == "array":
        return arrays[node["name"]]
    if kind == "tensor":
        return Tensor(arrays[node["name"]])
    raise ValueError(f"unknown node type {kind!r}")
