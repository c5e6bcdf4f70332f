"""The array backend: NumPy on the CPU, CuPy on the GPU, behind one small module.

Everything above this file asks it three questions: which array module goes with this array
(``array_module``), which device new tensors go to (``get_device``), and where the random
numbers come from (``rng``).  Switching the whole library to the GPU is ``mg.set_device("gpu")``
or the environment variable ``MINIGAN_DEVICE=gpu``.
"""
from __future__ import annotations

import os

import numpy as np

try:  # CuPy is the optional ``[gpu]`` extra
    import cupy as _cupy
except Exception:  # ImportError, or a CuPy build that fails to load its CUDA libraries
    _cupy = None

_ALIASES = {"cpu": "cpu", "gpu": "gpu", "cuda": "gpu"}
_INSTALL_HINT = (
    "install CuPy for your CUDA version, e.g. `pip install \"minigan[gpu]\"` "
    "(CUDA 13: `pip install cupy-cuda13x`, CUDA 12: `pip install cupy-cuda12x`)"
)

_default_device = "cpu"
_generators: dict[str, object] = {}
_seed = None


class DeviceError(RuntimeError):
    """A device was asked for that is not there, or arrays from two devices met in one op."""


def normalize_device(device) -> str:
    """'cpu', 'gpu' (or 'cuda') -> 'cpu' / 'gpu'; anything else is an error naming the value."""
    name = _ALIASES.get(str(device).lower().split(":")[0]) if device is not None else None
    if name is None:
        raise DeviceError(f"unknown device {device!r}: use 'cpu' or 'gpu'")
    return name


class Device(str):
    """PyTorch's ``torch.device`` (``mg.device``): ``mg.device("cuda:0")`` or ``mg.device("cpu")``.

    It *is* minigan's device name, a str equal to 'cpu' or 'gpu', so it goes wherever a device name goes
    (``mg.randn(4, device=d)``, ``net.to(d)``, ``x.to(d)``).  ``type`` is PyTorch's name for it, 'cpu' or
    'cuda' (the DCGAN tutorial asks ``device.type == 'cuda'``), and ``index`` its number: minigan uses one
    GPU, so 0 (or None, as in ``torch.device("cuda")``).  Making one checks only the name; using a GPU
    device without a GPU raises DeviceError then, as in PyTorch.
    """

    def __new__(cls, type, index=None):  # noqa: A002 - PyTorch's argument name
        if isinstance(type, Device) and index is None:
            return type
        text = str(type)
        name, colon, number = text.partition(":")
        if colon:
            if index is not None:
                raise DeviceError(f"device: give the index in the name or as index=, not both: {text!r}, {index!r}")
            if not number.strip().isdigit():
                raise DeviceError(f"device: {text!r} has no device index after ':' (expected e.g. 'cuda:0')")
            index = int(number)
        self = super().__new__(cls, normalize_device(name))
        if index is not None:
            if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
                raise DeviceError(f"device: index must be an integer, got {index!r}")
            if int(index) != 0:
                raise DeviceError(f"device: index {index} of {text!r}: minigan has one CPU and one GPU, both index 0")
            index = int(index)
        self.index = index
        return self

    @property
    def type(self) -> str:
        """PyTorch's name for the device: 'cpu' or 'cuda'."""
        return "cuda" if self == "gpu" else "cpu"

    def __repr__(self) -> str:
        index = f", index={self.index}" if self.index is not None else ""
        return f"device(type='{self.type}'{index})"


_DEVICES = {"cpu": Device("cpu"), "gpu": Device("gpu")}


def device_object(array) -> Device:
    """The device of an array as a ``mg.device`` (what ``tensor.device`` returns): 'cpu' or 'gpu', with ``.type``."""
    return _DEVICES[device_of(array)]


def to_arguments(op: str, args: tuple, device=None, dtype=None) -> tuple:
    """PyTorch's arguments of ``to``: ``to(device)``, ``to(dtype)``, ``to(device, dtype)``, ``to(tensor)`` (its
    device and dtype), or the keywords; returns (device or None, dtype or None)."""
    if len(args) > 2:
        raise TypeError(f"{op}: expected a device, a dtype or a tensor (at most two of them), got {len(args)} arguments")
    for arg in args:
        if isinstance(arg, str):
            device = arg
        elif hasattr(arg, "device") and hasattr(arg, "dtype") and not isinstance(arg, (type, np.dtype)):  # a tensor
            device, dtype = arg.device, arg.dtype
        else:
            try:
                dtype = np.dtype(arg)
            except TypeError:
                raise TypeError(f"{op}: expected a device ('cpu', 'gpu', 'cuda'), a dtype or a tensor, "
                                f"got {arg!r}") from None
    try:
        dtype = np.dtype(dtype) if dtype is not None else None
    except TypeError:
        raise TypeError(f"{op}: dtype must be a dtype such as mg.float32, got {dtype!r}") from None
    return (normalize_device(device) if device is not None else None), dtype


def gpu_available() -> bool:
    """True when CuPy is installed and sees at least one CUDA device."""
    if _cupy is None:
        return False
    try:
        return _cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def _require_gpu() -> None:
    if _cupy is None:
        raise DeviceError(f"device 'gpu' needs CuPy, which is not installed: {_INSTALL_HINT}")
    if not gpu_available():
        raise DeviceError(
            "device 'gpu' needs a CUDA GPU, but CuPy sees none (check `nvidia-smi` and that the "
            f"CuPy package matches your CUDA version: {_INSTALL_HINT})"
        )


def set_device(device) -> None:
    """Make ``device`` ('cpu' or 'gpu') where new tensors, parameters and noise are created."""
    global _default_device
    name = normalize_device(device)
    if name == "gpu":
        _require_gpu()
    _default_device = name


def get_device() -> str:
    """The device new tensors are created on ('cpu' unless set_device or MINIGAN_DEVICE said otherwise)."""
    return _default_device


def module_for(device) -> object:
    """The array module (numpy or cupy) that holds arrays on ``device``."""
    if normalize_device(device) == "gpu":
        _require_gpu()
        return _cupy
    return np


def array_module(array) -> object:
    """numpy for a NumPy array (or scalar), cupy for a CuPy array."""
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return _cupy
    return np


def device_of(array) -> str:
    """'gpu' for a CuPy array, 'cpu' for anything else."""
    return "gpu" if _cupy is not None and isinstance(array, _cupy.ndarray) else "cpu"


def to_device(array, device):
    """The same values on ``device``; no copy when they are already there."""
    device = normalize_device(device)
    if device_of(array) == device:
        return array
    if device == "gpu":
        _require_gpu()
        return _cupy.asarray(array)
    return _cupy.asnumpy(array)


def to_numpy(array) -> np.ndarray:
    """A NumPy array with the values of ``array`` (copied from the GPU when it lives there)."""
    return to_device(array, "cpu") if device_of(array) == "gpu" else np.asarray(array)


# ---------------------------------------------------------------- random numbers
def manual_seed(seed: int) -> None:
    """Seed every random generator minigan uses, on both devices."""
    global _seed
    _seed = int(seed)
    _generators.clear()
    _generators["cpu"] = np.random.Generator(np.random.PCG64(_seed))
    if gpu_available():
        _generators["gpu"] = _cupy.random.RandomState(_seed)


def rng(device=None):
    """The generator for ``device``: a NumPy ``Generator`` on the CPU, a CuPy ``RandomState`` on the GPU."""
    device = normalize_device(device or _default_device)
    if device not in _generators:
        if device == "gpu":
            _require_gpu()
            _generators["gpu"] = _cupy.random.RandomState(_seed)
        else:
            _generators["cpu"] = np.random.Generator(np.random.PCG64(_seed))
    return _generators[device]


def randn(shape, dtype, device=None):
    """Standard normal samples of ``dtype`` on ``device``."""
    return rng(device).standard_normal(size=shape, dtype=dtype)


def rand(shape, dtype, device=None):
    """Uniform samples in [0, 1) of ``dtype`` on ``device``."""
    gen = rng(device)
    if isinstance(gen, np.random.Generator):
        return gen.random(size=shape, dtype=dtype)
    return gen.random_sample(size=shape, dtype=dtype)


def get_rng_state() -> dict:
    """The state of the CPU generator (and the GPU one's seed, when it exists), for checkpoints."""
    state = {"cpu": rng("cpu").bit_generator.state}
    if "gpu" in _generators:
        state["gpu_seed"] = _seed
    return state


def set_rng_state(state: dict) -> None:
    """Restore what ``get_rng_state`` returned.

    The CPU generator continues exactly where it was.  CuPy's generator state cannot be exported, so the
    GPU generator is re-seeded from the saved seed and the CPU state: a resumed GPU run is reproducible,
    but its noise differs from that of an uninterrupted run.
    """
    rng("cpu").bit_generator.state = state["cpu"]
    if "gpu_seed" in state and gpu_available():
        mixed = (state["gpu_seed"] or 0) + int(state["cpu"]["state"]["state"])
        _generators["gpu"] = _cupy.random.RandomState(mixed % 2**32)


if os.environ.get("MINIGAN_DEVICE"):
    set_device(os.environ["MINIGAN_DEVICE"])
