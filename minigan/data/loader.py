"""Batches for the training loops, as Tensors on the device.

Two ways to feed a loop:

    for x, y in DataLoader(images, labels, batch_size=64):   # epochs: every example once, shuffled
        ...
    x = sample_batch(images, m=64)                           # the lecture: "sample m examples from the database"

The arrays stay where they are (NumPy, or CuPy already on the GPU); each batch is cut out of them
and moved to the device.  Floating-point data becomes the default dtype (float32), as
``mg.tensor`` does; integer labels stay integers.
"""
from __future__ import annotations

import numpy as np

from minigan import backend
from minigan.autograd import Tensor
from minigan.creation import get_default_dtype


def _as_arrays(arrays, caller: str) -> tuple:
    """The arrays as NumPy/CuPy arrays of one common length, or an error naming the one that is not."""
    if not arrays:
        raise TypeError(f"{caller} needs at least one array")
    arrays = tuple(a.data if isinstance(a, Tensor) else a if backend.device_of(a) == "gpu" else np.asarray(a)
                   for a in arrays)
    for i, array in enumerate(arrays):
        if array.ndim == 0:
            raise ValueError(f"{caller}: argument {i} is a scalar; each array needs one row per example")
    lengths = [len(a) for a in arrays]
    if len(set(lengths)) > 1:
        listed = ", ".join(f"argument {i}: {n}" for i, n in enumerate(lengths))
        raise ValueError(f"{caller}: the arrays have different lengths ({listed}); row i of each must belong "
                         "to the same example")
    if lengths[0] == 0:
        raise ValueError(f"{caller}: the arrays are empty")
    return arrays


def _take(array, index: np.ndarray, device: str) -> Tensor:
    """Rows ``index`` of ``array`` as a Tensor on ``device``."""
    xp = backend.array_module(array)
    rows = array[xp.asarray(index)]
    if rows.dtype.kind == "f" and rows.dtype != get_default_dtype():
        rows = rows.astype(get_default_dtype())  # cast before the move: half the bytes to copy for float64
    return Tensor(backend.to_device(rows, device))


class DataLoader:
    """Batches of rows of ``arrays`` (all the same length), each batch a tuple of Tensors.

    ``shuffle=True`` visits the examples in a new random order every epoch.  With ``seed=None`` the
    order comes from minigan's CPU generator (``mg.manual_seed`` makes it reproducible, and
    ``mg.get_rng_state`` saves it in a checkpoint); with a ``seed``, epoch e's order depends only
    on (seed, e), and ``set_epoch`` resumes it.  The last batch is smaller when the batch size does
    not divide the number of examples, unless ``drop_last=True`` leaves it out.  ``device=None``
    means the current device (``mg.get_device()``) at the time of each epoch.
    """

    def __init__(self, *arrays, batch_size: int = 64, shuffle: bool = True, seed: int | None = None,
                 drop_last: bool = False, device=None):
        self.arrays = _as_arrays(arrays, "DataLoader")
        if int(batch_size) != batch_size or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got {batch_size!r}")
        self.batch_size = int(batch_size)
        self.shuffle, self.seed, self.drop_last = shuffle, seed, drop_last
        self.device = None if device is None else backend.normalize_device(device)
        self.epoch = 0
        self._order_now, self._taken = None, 0  # the current epoch's order, and how many of its batches are out
        self._resume_at = None

    def __len__(self) -> int:
        """Batches per epoch."""
        n = len(self.arrays[0])
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def set_epoch(self, epoch: int) -> None:
        """Make the next epoch number ``epoch`` (with a ``seed``, this picks its order: for resuming)."""
        self.epoch = int(epoch)

    def _order(self) -> np.ndarray:
        n = len(self.arrays[0])
        if not self.shuffle:
            return np.arange(n)
        if self.seed is None:
            return backend.rng("cpu").permutation(n)
        return np.random.Generator(np.random.PCG64([self.seed, self.epoch])).permutation(n)

    def state_dict(self) -> dict:
        """Where the loader is: the epoch count, the current epoch's order and how many of its batches were
        taken; ``load_state_dict`` makes the next ``iter`` continue that epoch (for resuming a checkpoint)."""
        return {"epoch": self.epoch, "order": self._order_now, "taken": self._taken}

    def load_state_dict(self, state: dict) -> None:
        self.epoch = int(state["epoch"])
        self._order_now, self._taken = state["order"], int(state["taken"])
        unfinished = self._order_now is not None and self._taken < len(self)
        self._resume_at = (np.asarray(self._order_now), self._taken) if unfinished else None

    def __iter__(self):
        if self._resume_at is not None:  # the rest of an epoch a checkpoint stopped in
            order, first = self._resume_at
            self._resume_at = None
        else:
            order, first = self._order(), 0
            self.epoch += 1
        self._order_now = order
        device = self.device or backend.get_device()
        for b in range(first, len(self)):
            index = order[b * self.batch_size:(b + 1) * self.batch_size]
            self._taken = b + 1
            yield tuple(_take(array, index, device) for array in self.arrays)


def sample_batch(*arrays, m: int, device=None):
    """m examples drawn at random (without replacement) from the arrays' rows, as Tensors on the device.

    The lecture's "sample m examples {x¹, ..., xᵐ} from the database", once per training step.
    The indices come from minigan's seeded CPU generator, so ``mg.manual_seed`` fixes them and a
    checkpoint with ``mg.get_rng_state`` resumes them exactly.  One array gives one Tensor,
    several give a tuple.
    """
    arrays = _as_arrays(arrays, "sample_batch")
    n = len(arrays[0])
    if int(m) != m or not 1 <= m <= n:
        raise ValueError(f"sample_batch: m must be an integer from 1 to the number of examples ({n}), got {m!r}")
    index = backend.rng("cpu").choice(n, size=int(m), replace=False)
    device = backend.get_device() if device is None else backend.normalize_device(device)
    batch = tuple(_take(array, index, device) for array in arrays)
    return batch[0] if len(batch) == 1 else batch


class DrawnBatches:
    """``steps`` batches, each made by calling ``draw()`` (new samples of a known distribution, or
    ``sample_batch`` of a dataset): what a loop over a dataset of its own, such as ``train_vae``, iterates over
    when it should see as many examples as another loop's updates.  ``taken`` counts the batches handed out; a
    checkpoint keeps it (``state_dict``), so a resumed run gets the rest."""

    def __init__(self, draw, steps: int):
        self.draw, self.steps = draw, steps
        self.taken = 0

    def __len__(self) -> int:
        return self.steps

    def __iter__(self):
        while self.taken < self.steps:
            self.taken += 1
            yield self.draw()

    def state_dict(self) -> dict:
        return {"taken": self.taken}

    def load_state_dict(self, state: dict) -> None:
        self.taken = int(state["taken"])
