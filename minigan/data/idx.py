"""The IDX file format of MNIST (and Fashion-MNIST, KMNIST, ...): read one file, write one file.

An IDX file is a 4-byte magic number, one 4-byte size per dimension, then the values, all big-endian:

    magic = 0x00 0x00 <type code> <number of dimensions>
    dims  = d0 d1 ... (unsigned 32-bit each)
    data  = d0 * d1 * ... values of the type

(http://yann.lecun.com/exdb/mnist/, "FILE FORMATS FOR THE MNIST DATABASE").  Files ending in
``.gz`` are the same bytes, gzip-compressed; ``read_idx`` recognises gzip by its content.
"""
from __future__ import annotations

import gzip
import os
import tempfile
import zlib

import numpy as np

# type code -> big-endian NumPy dtype
IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


class IDXError(ValueError):
    """An IDX file that cannot be read: bad magic number, wrong size, or broken gzip."""


def _read_bytes(path: str) -> bytes:
    with open(path, "rb") as f:
        raw = f.read()
    if not raw.startswith(_GZIP_MAGIC):
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as error:  # BadGzipFile is an OSError; a cut-off file is an EOFError
        raise IDXError(f"{path}: not a valid gzip file ({error})") from None


def read_idx(path) -> np.ndarray:
    """The array stored in the IDX file ``path`` (plain or gzip), in native byte order.

    MNIST's image files give uint8 arrays of shape (N, 28, 28), its label files uint8 (N,).
    A file that is not IDX, is cut short, or has bytes left over raises ``IDXError`` naming it.
    """
    path = os.fspath(path)
    raw = _read_bytes(path)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise IDXError(f"{path}: not an IDX file (bad magic number {raw[:4].hex() or 'empty'}; "
                       "expected 0000 followed by a type code and the number of dimensions)")
    code, ndim = raw[2], raw[3]
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise IDXError(f"{path}: unknown IDX type code 0x{code:02X} (known: {known})")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise IDXError(f"{path}: truncated header ({len(raw)} bytes, {header} needed for {ndim} dimensions)")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    found = len(raw) - header
    if found != expected:
        problem = "truncated" if found < expected else "has extra bytes"
        raise IDXError(f"{path}: {problem}: shape {shape} of {dtype.name} needs {expected} bytes of data, "
                       f"the file holds {found}")
    array = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


def write_idx(path, array) -> None:
    """Write ``array`` to ``path`` as an IDX file, gzip-compressed when the name ends in ``.gz``.

    The dtype must be one IDX can hold (uint8, int8, int16, int32, float32, float64).  The file
    appears whole or not at all (written to a temporary file, then renamed).
    """
    path = os.fspath(path)
    array = np.asarray(array)
    codes = {dtype.newbyteorder("="): code for code, dtype in IDX_DTYPES.items()}
    native = array.dtype.newbyteorder("=")
    if native not in codes:
        raise TypeError(f"write_idx({path!r}): IDX cannot store dtype {array.dtype}; "
                        f"use one of {', '.join(d.name for d in codes)}")
    if array.ndim > 255:
        raise ValueError(f"write_idx({path!r}): IDX stores at most 255 dimensions, got {array.ndim}")
    code = codes[native]
    raw = (bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
           + np.ascontiguousarray(array, dtype=IDX_DTYPES[code]).tobytes())
    if path.endswith(".gz"):
        raw = gzip.compress(raw, mtime=0)  # mtime=0: the same array always gives the same bytes
    folder = os.path.dirname(os.path.abspath(path))
    fd, temp = tempfile.mkstemp(dir=folder, prefix=os.path.basename(path), suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
        os.replace(temp, path)
    except BaseException:
        os.unlink(temp)
        raise
