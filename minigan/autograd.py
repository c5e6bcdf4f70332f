"""The autodiff engine: Tensor, Function, backward() and grad().

A Tensor holds an array (``.data``, NumPy or CuPy) and, when it was computed from tensors that
require gradients, the Function that made it (``.creator``).  A Function computes its output from
raw arrays in ``forward`` and says how gradients flow back in ``backward``, written with Tensor ops,
so a backward pass can itself be recorded and differentiated again (``create_graph=True``).

Backward visits Functions in decreasing *generation* (a function's generation is one more than the
newest of its inputs' creators), with a heap, iteratively: every Function runs once, after all the
Functions that use its output, and a graph 10,000 ops deep needs no recursion.

Making tensors (``mg.tensor``, ``zeros``, the default dtype) is ``minigan/creation.py``; the ops, and
Tensor's operators, are ``minigan/functional/``.
"""
from __future__ import annotations

import contextlib
import heapq
import threading
import weakref

import numpy as np

from minigan import _validate, backend


class _GradMode(threading.local):
    """Whether ops are recorded, per thread (``no_grad`` in one thread leaves the others recording)."""

    enabled = True  # a class attribute: the value every thread starts with


_grad_mode = _GradMode()


def is_grad_enabled() -> bool:
    """True when operations are being recorded for backward (in this thread)."""
    return _grad_mode.enabled


@contextlib.contextmanager
def _set_grad_enabled(mode: bool):
    previous = _grad_mode.enabled
    _grad_mode.enabled = mode
    try:
        yield
    finally:
        _grad_mode.enabled = previous


def no_grad():
    """Context manager (or decorator) that stops recording: results have no creator, no gradient."""
    return _set_grad_enabled(False)


def enable_grad():
    """Context manager that turns recording back on inside ``no_grad``."""
    return _set_grad_enabled(True)


class InplaceModificationError(RuntimeError):
    """A tensor that backward needs was changed in place after the forward pass used it."""


class Tensor:
    """An array with a gradient.

    ``data`` is the raw array; ``grad`` is a Tensor filled by ``backward()`` for tensors with
    ``requires_grad=True`` that no op created (leaves); ``creator`` is the Function that made it.
    Assigning ``t.data = ...`` (including ``t.data -= ...``) counts as an in-place change.

    The arithmetic operators (``+``, ``@``, ``x[idx]``, ``x.T`` ...) and methods such as ``x.sum()`` are
    the ops of ``minigan/functional/``, attached by ``minigan/functional/__init__.py:_install_operators``.
    Python's own protocols work as in PyTorch: ``bool``, ``float``, ``int`` and ``f"{t:.3f}"`` for a tensor
    with one element (``int(t)`` for an index needs an integer tensor), iteration over the first axis,
    ``np.asarray(t)``.
    """

    __array_priority__ = 200  # so ``ndarray + Tensor`` calls Tensor.__radd__
    __slots__ = ("_data", "grad", "creator", "generation", "requires_grad", "_version_counter", "__weakref__")

    def __init__(self, data, requires_grad: bool = False):
        self._data = data
        self.grad = None
        self.creator = None
        self.generation = 0
        self.requires_grad = requires_grad
        # how often the array was changed in place: a one-element list, which a view shares with its base
        self._version_counter = [0]

    # ------------------------------------------------------------ the array inside
    @property
    def data(self):
        return self._data

    @data.setter
    def data(self, value):
        self._data = value
        self._version_counter[0] += 1

    @property
    def _version(self) -> int:
        return self._version_counter[0]

    def _bump_version(self) -> None:
        """Record that ``data`` was modified in place (optimizers call this after an update)."""
        self._version_counter[0] += 1

    @property
    def shape(self) -> tuple:
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def size(self, dim=None):
        """PyTorch's ``size()``: the shape as a tuple (``x.size() == x.shape``), or with ``dim`` the length of that
        axis (``x.size(0)``, the batch size).  The number of elements is ``numel()`` (NumPy's ``array.size``)."""
        if dim is None:
            return self._data.shape
        return self._data.shape[_validate.axis(dim, self._data.ndim, "size", "dim")]

    def numel(self) -> int:
        """The number of elements (PyTorch's ``numel()``, NumPy's ``array.size``)."""
        return self._data.size

    def dim(self) -> int:
        """The number of dimensions (PyTorch's ``dim()``, NumPy's ``ndim``)."""
        return self._data.ndim

    def contiguous(self) -> "Tensor":
        """The tensor itself (PyTorch's ``contiguous()``): minigan's ops take arrays in any memory order."""
        return self

    def tolist(self):
        """The values as nested Python lists of floats (a number for a 0-d tensor), copied to the CPU."""
        return self.numpy().tolist()

    @property
    def dtype(self):
        return self._data.dtype

    @property
    def device(self) -> backend.Device:
        """'cpu' or 'gpu' (a ``mg.device``: a str, whose ``type`` is PyTorch's name, 'cpu' or 'cuda')."""
        return backend.device_object(self._data)

    @property
    def is_leaf(self) -> bool:
        return self.creator is None

    def __repr__(self) -> str:
        from minigan.creation import get_default_dtype

        body = np.array2string(backend.to_numpy(self._data), precision=4, prefix="tensor(")
        extra = f", device='{self.device}'" if self.device != "cpu" else ""
        if self._data.dtype != get_default_dtype():
            extra += f", dtype={self._data.dtype}"
        if self.creator is not None:
            extra += f", grad_fn=<{type(self.creator).__name__}>"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    # ------------------------------------------------------------ Python's protocols (as in PyTorch)
    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self._data)

    def __iter__(self):
        """The sub-tensors along the first axis, ``t[0]``, ``t[1]``, ... (each one an indexing op)."""
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self._data)))

    def _one_value(self, what: str):
        if self._data.size != 1:
            raise ValueError(f"{what} needs a tensor with one element, got shape {self.shape}")
        return self._data.item()

    def __bool__(self) -> bool:
        if self._data.size != 1:
            amount = "more than one value" if self._data.size else "no values"
            raise RuntimeError(f"Boolean value of Tensor with {amount} is ambiguous (shape {self.shape})")
        return bool(self._data.item())

    def __float__(self) -> float:
        return float(self._one_value("float()"))

    def __int__(self) -> int:
        return int(self._one_value("int()"))

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iu":
            raise TypeError(f"only integer tensors of a single element can be used as an index, "
                            f"got dtype {self.dtype}")
        return int(self._one_value("an index"))

    def __format__(self, format_spec: str) -> str:
        if self._data.ndim == 0:
            return format(self._data.item(), format_spec)
        return object.__format__(self, format_spec)

    def __array__(self, dtype=None, copy=None):
        """The values for NumPy (``np.asarray(t)``): the array itself on the CPU, a copy from the GPU."""
        array = self._data
        if backend.device_of(array) == "gpu" or (dtype is not None and np.dtype(dtype) != array.dtype):
            if copy is False:
                raise ValueError("np.asarray(tensor, copy=False): the values cannot be had without a copy")
            return backend.to_numpy(array).astype(dtype if dtype is not None else array.dtype, copy=False)
        return array.copy() if copy else array

    # ------------------------------------------------------------ conversions
    def numpy(self) -> np.ndarray:
        """The values as a NumPy array (a copy from the GPU; the array itself on the CPU)."""
        return backend.to_numpy(self._data)

    def item(self) -> float:
        """The single value of a one-element tensor, as a Python number."""
        return self._one_value("item()")

    def detach(self) -> "Tensor":
        """The same array, cut from the graph (no creator, no gradient); it shares this tensor's version counter."""
        detached = Tensor(self._data)
        detached._version_counter = self._version_counter
        return detached

    def to(self, *args, device=None, dtype=None, non_blocking: bool = False) -> "Tensor":
        """This tensor on another device and/or with another floating dtype, as PyTorch's ``to``: ``x.to("gpu")``,
        ``x.to(mg.float64)``, ``x.to(device, dtype)``, ``x.to(other)`` (other's device and dtype), or keywords.
        Gradients flow back across the move and the cast.  ``non_blocking`` is accepted; copies are synchronous."""
        from minigan.functional.shape import astype, to_device

        device, dtype = backend.to_arguments("to", args, device, dtype)
        moved = to_device(self, device) if device is not None else self
        return astype(moved, dtype) if dtype is not None else moved

    def cpu(self) -> "Tensor":
        return self.to("cpu")

    def gpu(self) -> "Tensor":
        return self.to("gpu")

    def astype(self, dtype) -> "Tensor":
        """This tensor with another floating dtype (differentiable)."""
        from minigan.functional.shape import astype

        return astype(self, dtype)

    def float(self) -> "Tensor":
        return self.astype(np.float32)

    def double(self) -> "Tensor":
        return self.astype(np.float64)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        self.requires_grad = requires_grad
        return self

    # ------------------------------------------------------------ in-place updates
    def zero_(self) -> "Tensor":
        """Set every value to 0, in place."""
        self._data.fill(0)
        self._version_counter[0] += 1
        return self

    def fill_(self, value) -> "Tensor":
        """Set every value to ``value``, in place."""
        self._data.fill(value)
        self._version_counter[0] += 1
        return self

    def copy_(self, source) -> "Tensor":
        """Overwrite the values with ``source`` (a Tensor or an array), keeping this tensor's dtype and device."""
        values = source._data if isinstance(source, Tensor) else source
        values = backend.to_device(values, self.device)
        if values.shape != self.shape:
            raise ValueError(f"copy_: shape {tuple(values.shape)} does not match {self.shape}")
        self._data[...] = values
        self._version_counter[0] += 1
        return self

    # ------------------------------------------------------------ gradients
    def backward(self, grad=None, create_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires a gradient.

        ``grad`` defaults to ones (so ``loss.backward()`` for a scalar loss).  The graph is kept, so
        calling backward twice adds the gradients twice, like PyTorch with ``retain_graph=True``.
        With ``create_graph=True`` the backward pass is recorded, and the gradients can be
        differentiated again.
        """
        _run_backward([self], [grad], create_graph=create_graph, inputs=None)


class Function:
    """One differentiable operation.

    Subclasses write ``forward(*arrays) -> array`` and ``backward(gy) -> tuple of Tensors`` (one per
    input, ``None`` where an input needs no gradient).  ``self.inputs`` are the input Tensors,
    ``self.output`` the output Tensor, and ``self.needs_grad[i]`` says whether input i wants a gradient.
    ``saves`` names what backward reads, so an in-place change of it before backward is caught:
    "inputs", "output", both, or neither (then only shapes are used).
    """

    saves = ("inputs",)
    view = False  # True where the output may be a view of input 0: it then shares input 0's version counter
    output_version = 0  # the output's version when it was made (a view's starts at its base's)

    def __call__(self, *inputs: Tensor) -> Tensor:
        arrays = [x._data for x in inputs]
        if len(arrays) > 1:
            _check_same_device_and_dtype(self, inputs)
        try:
            y = self.forward(*arrays)
        except Exception as err:  # keep the traceback (it shows the line of forward that failed), name the op
            shapes = ", ".join(str(tuple(a.shape)) for a in arrays)
            if hasattr(err, "add_note"):  # Python ≥ 3.11 prints notes below the message
                err.add_note(f"{self.name}: raised by {type(self).__name__}.forward (input shapes: {shapes})")
            raise
        if isinstance(y, np.generic):  # NumPy turns 0-d results into scalars; keep arrays
            y = np.asarray(y)
        output = Tensor(y)
        if self.view:
            base, x = y.base, arrays[0]
            if base is not None and (base is x or base is x.base or backend.array_module(y).may_share_memory(y, x)):
                # a view and its base are one array: an in-place change of either is a change of both
                output._version_counter = inputs[0]._version_counter
                self.output_version = output._version_counter[0]
        if _grad_mode.enabled:
            for x in inputs:
                if x.requires_grad:
                    break
            else:
                return output
            self.inputs = inputs
            self.needs_grad = tuple(x.requires_grad for x in inputs)
            self.generation = max(x.generation for x in inputs)
            self.versions = tuple(x._version_counter[0] for x in inputs)
            self._output = weakref.ref(output)
            output.creator = self
            output.requires_grad = True
            output.generation = self.generation + 1
        return output

    @property
    def name(self) -> str:
        return type(self).__name__.lower()

    @property
    def output(self) -> Tensor:
        return self._output()

    def forward(self, *arrays):
        raise NotImplementedError

    def backward(self, gy: Tensor):
        raise NotImplementedError

    def _check_saved(self) -> None:
        """Raise if a tensor this function saved for backward was modified in place since forward."""
        if "inputs" in self.saves:
            for x, version in zip(self.inputs, self.versions):
                if x._version_counter[0] != version:
                    _raise_inplace(self, x, version)
        if "output" in self.saves:
            y = self._output()
            if y is not None and y._version_counter[0] != self.output_version:
                _raise_inplace(self, y, self.output_version)


def _raise_inplace(function: Function, tensor: Tensor, version: int):
    raise InplaceModificationError(
        f"{function.name}: a tensor of shape {tensor.shape} that this op saved for backward (or a view of "
        f"the same array: W.T, x[i], a reshape, detach()) was modified in place after the forward pass "
        f"(version {version} -> {tensor._version}). "
        "This is the classic GAN bug: an optimizer step changed the parameters (for example D's) "
        "and then a loss computed before that step was backpropagated through them. "
        "Recompute the forward pass after the optimizer step."
    )


def _check_same_device_and_dtype(function: Function, inputs) -> None:
    first = inputs[0]._data
    for x in inputs[1:]:
        other = x._data
        if type(other) is not type(first) and backend.device_of(other) != backend.device_of(first):
            devices = ", ".join(backend.device_of(t._data) for t in inputs)
            raise backend.DeviceError(
                f"{function.name}: inputs are on different devices ({devices}); "
                "move them with .to(device) first"
            )
        if other.dtype != first.dtype:
            dtypes = ", ".join(str(t._data.dtype) for t in inputs)
            raise TypeError(
                f"{function.name}: inputs have different dtypes ({dtypes}); "
                "convert with .float() or .double() first"
            )


# ---------------------------------------------------------------- the backward pass
def _run_backward(outputs, grad_outputs, create_graph: bool, inputs):
    """Propagate gradients from ``outputs`` to the leaves (or to ``inputs``, when given).

    With ``inputs=None`` the gradients are added to each leaf's ``.grad`` (out of place: a new
    Tensor each time).  Otherwise they are returned, one per input, and no ``.grad`` is touched.
    """
    grads: dict[int, Tensor] = {}  # id(tensor) -> gradient flowing into it
    keep: dict[int, Tensor] = {}  # keeps the tensors behind those ids alive
    heap: list = []
    seen: set = set()
    given: set = set()  # ids of the arrays (their memory) that a .grad holds, or that the caller passed in
    counter = 0

    def push(function):
        nonlocal counter
        if function is not None and id(function) not in seen:
            seen.add(id(function))
            heapq.heappush(heap, (-function.generation, counter, function))
            counter += 1

    def accumulate(tensor, g):
        key = id(tensor)
        if key in grads:
            grads[key] = grads[key] + g
        else:
            grads[key] = g
            keep[key] = tensor

    for y, gy in zip(outputs, grad_outputs):
        if not y.requires_grad:
            raise RuntimeError(
                f"backward: a tensor of shape {y.shape} does not require grad and has no creator "
                "(was it computed inside no_grad, or from tensors without requires_grad=True?)"
            )
        if gy is not None:  # the caller's array: a .grad must not be it
            gy = _output_grad(y, gy)
            given.add(id(_memory(gy._data)))
        else:
            gy = _output_grad(y, None)
        accumulate(y, gy)
        push(y.creator)

    wanted = None if inputs is None else {id(x) for x in inputs}
    with _set_grad_enabled(create_graph):
        while heap:
            function = heapq.heappop(heap)[2]
            y = function._output()
            if y is None:
                continue
            if wanted is not None and id(y) in wanted:
                gy = grads.get(id(y))  # an input of grad() that is also an intermediate: keep it
            else:
                gy = grads.pop(id(y), None)  # consumed: free it as we go
            if gy is None:
                continue
            function._check_saved()
            gxs = function.backward(gy)
            if not isinstance(gxs, tuple):
                gxs = (gxs,)
            for x, gx, needed in zip(function.inputs, gxs, function.needs_grad):
                if gx is None or not needed:
                    continue
                if wanted is None and x.creator is None:
                    _add_to_leaf(x, gx, given)
                else:
                    accumulate(x, gx)
                    push(x.creator)
        if inputs is None:
            for y, _ in zip(outputs, grad_outputs):
                if y.creator is None:  # backward on a leaf: d(y)/d(y)
                    _add_to_leaf(y, grads[id(y)], given)
            return None
    return [grads.get(id(x)) for x in inputs]


def _output_grad(y: Tensor, gy) -> Tensor:
    """The gradient given for output ``y`` as a Tensor of ``y``'s dtype, device and shape (ones when None).

    Like PyTorch, a gradient of another floating dtype is cast; numbers, lists and arrays are taken too.
    """
    xp = backend.array_module(y._data)
    if gy is None:
        if y.numel() != 1:
            raise RuntimeError(
                f"backward: the output has shape {y.shape}; pass grad= of that shape "
                "(an implicit gradient of ones is only created for one-element outputs)"
            )
        return Tensor(xp.ones_like(y._data))
    if isinstance(gy, Tensor):
        if gy.device != y.device:
            raise backend.DeviceError(f"backward: grad is on {gy.device}, the output on {y.device}")
        if gy.dtype.kind != "f":
            raise TypeError(f"backward: grad must be floating point, got dtype {gy.dtype}")
    else:
        try:
            array = xp.asarray(backend.to_device(gy, y.device) if hasattr(gy, "shape") else gy)
        except (TypeError, ValueError) as err:
            raise TypeError(f"backward: grad must be a Tensor, an array or numbers, got {type(gy).__name__}") \
                from err
        if array.dtype.kind not in "biuf":
            raise TypeError(f"backward: grad must be a Tensor, an array or numbers, got dtype {array.dtype}")
        gy = Tensor(array)
    if gy.shape != y.shape:
        raise ValueError(f"backward: grad has shape {gy.shape}, output has shape {y.shape}")
    return gy if gy.dtype == y.dtype else gy.astype(y.dtype)


def _memory(array):
    """The array that owns ``array``'s memory (itself, or the base it is a view of)."""
    return array if array.base is None else array.base


def _add_to_leaf(x: Tensor, g: Tensor, given: set) -> None:
    """x.grad += g, out of place; a first gradient becomes x.grad as it is, unless its array is not x's own.

    An op's backward may hand the same array to two inputs (``a + b``), pass the caller's gradient
    through, or return a read-only broadcast view (``sum``): such an array is copied, so that every
    ``.grad`` is a writable array of its own (``zero_()`` and clipping in place are safe).
    """
    if x.grad is not None:
        try:
            x.grad = x.grad + g
        except (TypeError, ValueError, backend.DeviceError) as err:  # asked only on failure: no cost when it works
            raise TypeError(
                f"backward: the .grad of a leaf of shape {x.shape} holds {x.grad.dtype} {x.grad.shape} on "
                f"{x.grad.device}, the new gradient is {g.dtype} {g.shape} on {g.device} (set .grad = None, "
                "or zero_grad(), after changing a tensor's dtype or device)"
            ) from err
        return
    array = g._data
    memory = _memory(array)
    if id(memory) in given or not _writable(array):
        from minigan.functional.shape import clone

        g = clone(g)
        memory = g._data
    given.add(id(memory))
    x.grad = g


def _writable(array) -> bool:
    """Whether writing into ``array`` changes each element once: not read-only, not broadcast (stride 0)."""
    flags = array.flags
    if not getattr(flags, "writeable", True):  # NumPy marks broadcast views read-only; CuPy has no such flag
        return False
    return flags.c_contiguous or all(stride or n == 1 for stride, n in zip(array.strides, array.shape))


def grad(outputs, inputs, grad_outputs=None, create_graph: bool = False, allow_unused: bool = False):
    """Gradients of ``outputs`` with respect to ``inputs``, returned (not stored in ``.grad``).

    ``outputs`` is a Tensor or a list of them; ``grad_outputs`` the matching gradients (ones for
    one-element outputs when omitted).  With ``create_graph=True`` the returned gradients are
    themselves differentiable: the way to a gradient penalty or a second-order check.
    An input the outputs do not depend on gives an error unless ``allow_unused=True`` (then None).
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    single = isinstance(inputs, Tensor)
    inputs = [inputs] if single else list(inputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs]
    for x in inputs:
        if not isinstance(x, Tensor) or not x.requires_grad:
            raise RuntimeError("grad: every input must be a Tensor with requires_grad=True")
    result = _run_backward(outputs, list(grad_outputs), create_graph=create_graph, inputs=inputs)
    for i, (x, g) in enumerate(zip(inputs, result)):
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"grad: input {i} (shape {x.shape}) was not used to compute the outputs; "
                    "pass allow_unused=True to get None for it"
                )
        elif g.shape != x.shape:  # defensive: every backward must return input-shaped gradients
            raise RuntimeError(f"grad: gradient shape {g.shape} differs from input shape {x.shape}")
    return tuple(result)

