"""The convolutions' largest work arrays, kept and handed out again instead of asked anew of the system.

An im2col matrix of a large batch is tens of MiB (batch 256, 64 channels, 7 × 7 positions, a 4 × 4
kernel: 51 MiB).  glibc's malloc gives every block above its mmap threshold (32 MiB at the most) back to
the kernel when it is freed, so the next one arrives as fresh pages that the kernel faults in and zeroes
one by one: in a dcgan iteration at batch 256 that was about 14 % of the time (docs/performance.md).

So on the CPU, ``empty`` keeps every array of more than ``MIN_BYTES`` it hands out, and hands it out
again once nothing but the workspace refers to it any more (a NumPy view of it, or a Function that saved
it for backward, holds a reference to it, so an array is never handed out twice while in use).  The
arrays it gives are written before they are read, so the results are the same, bit for bit, as with
fresh ones (tests/test_workspace.py).  Smaller arrays, and every array on the GPU (CuPy keeps its own
pool), are allocated as usual.  A kept array that is idle still counts in the process's memory, so
the workspace can raise a peak; with arrays of exactly 32 MiB kept as well, the conditional DCGAN's
peak at batch 256 rose by 23 MiB (of 506) for no time gained, hence "more than".  ``clear`` lets the
kept arrays go.
"""
from __future__ import annotations

import sys
import threading

import numpy as np

from minigan import backend

MIN_BYTES = 32 * 2**20  # glibc's largest mmap threshold: most smaller blocks come back from malloc's own free lists

_lock = threading.Lock()
_kept: dict = {}  # size in bytes -> the flat uint8 arrays of that size handed out so far


def _counts(blocks) -> list:
    """The reference count of each array of ``blocks``; ``_ALONE`` where nothing but ``blocks`` holds it."""
    return [sys.getrefcount(block) for block in blocks]


_ALONE = _counts([np.empty(0, dtype=np.uint8)])[0]  # measured, as the interpreter counts, the way empty() asks


def empty(shape, dtype, like) -> object:
    """An uninitialised array of ``shape`` and ``dtype`` on ``like``'s device (reused when large, on the CPU)."""
    xp = backend.array_module(like)
    dtype = np.dtype(dtype)
    size = int(np.prod(shape)) * dtype.itemsize
    if xp is not np or size <= MIN_BYTES:
        return xp.empty(shape, dtype=dtype)
    with _lock:
        kept = _kept.setdefault(size, [])
        for block, count in zip(kept, _counts(kept)):
            if count == _ALONE:
                return block.view(dtype).reshape(shape)
        for other in [s for s in _kept if s != size]:  # a new array: the idle ones of other sizes go
            _kept[other] = [block for block, count in zip(_kept[other], _counts(_kept[other])) if count != _ALONE]
        block = np.empty(size, dtype=np.uint8)
        kept.append(block)
        return block.view(dtype).reshape(shape)


def clear() -> None:
    """Let every kept array go (those still in use stay alive until their users drop them)."""
    with _lock:
        _kept.clear()


def kept_bytes() -> int:
    """How many bytes the workspace holds, in use or idle."""
    with _lock:
        return sum(size * len(blocks) for size, blocks in _kept.items())
