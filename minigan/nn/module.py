"""Module and Parameter: how a network keeps its weights, buffers and sub-networks.

A Module registers what is assigned to it: ``self.weight = Parameter(...)`` becomes a parameter,
``self.fc = Linear(...)`` a submodule, ``register_buffer("running_mean", ...)`` a buffer (state that
is saved but not trained).  From that bookkeeping come ``parameters()`` for the optimizer,
``state_dict()`` / ``load_state_dict()`` for checkpoints (PyTorch's keys, e.g. ``0.weight``), and
``train()`` / ``eval()`` / ``to(device)`` for the whole tree at once.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from minigan import backend
from minigan.autograd import Tensor, no_grad


class Parameter(Tensor):
    """A Tensor that is a learnable weight of a Module (``requires_grad=True`` by default).

    ``Parameter(data)`` wraps ``data`` (an array or a Tensor's array) without copying it.
    """

    __slots__ = ()

    def __init__(self, data, requires_grad: bool = True):
        if isinstance(data, Tensor):
            data = data.data
        if not hasattr(data, "dtype") or data.dtype.kind != "f":
            raise TypeError(
                f"Parameter needs a floating-point array or Tensor, got {type(data).__name__}"
                + (f" of dtype {data.dtype}" if hasattr(data, "dtype") else "")
            )
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Module:
    """Base class of every layer and network: subclass it, assign layers in ``__init__``, write ``forward``."""

    def __init__(self):
        # object.__setattr__: these dictionaries must exist before __setattr__ can sort values into them
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)

    # ------------------------------------------------------------ registration
    def __setattr__(self, name: str, value) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"cannot assign {name!r} before Module.__init__() is called "
                f"(add super().__init__() at the top of {type(self).__name__}.__init__)"
            )
        if isinstance(value, Parameter):
            self._forget(name)
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._forget(name)
            self._modules[name] = value
        elif name in self._parameters:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as parameter {name!r} "
                                "(use nn.Parameter or None)")
            self._parameters[name] = None
        elif name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign {type(value).__name__} as buffer {name!r} (use a Tensor or None)")
            self._buffers[name] = value
        elif name in self._modules:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as submodule {name!r} "
                                "(use a Module or None)")
            self._modules[name] = None
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str) -> None:
        """Drop ``name`` from every registry, so a new value can take the name."""
        self.__dict__.pop(name, None)
        for registry in (self._parameters, self._buffers, self._modules):
            registry.pop(name, None)

    def __getattr__(self, name: str):
        # only called when normal lookup fails: parameters, buffers and submodules live in the registries
        for registry in ("_parameters", "_buffers", "_modules"):
            values = self.__dict__.get(registry)
            if values is not None and name in values:
                return values[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        if name in self._parameters or name in self._buffers or name in self._modules:
            self._forget(name)
        else:
            object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (``None`` reserves the name, e.g. ``bias`` of a layer built with ``bias=False``)."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: {name!r} must be a Parameter or None, "
                            f"got {type(param).__name__}")
        self._forget(name)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None) -> None:
        """Add a buffer: a Tensor that is part of the state (saved, moved by ``to``) but not trained."""
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer: {name!r} must be a Tensor or None, got {type(tensor).__name__}")
        self._forget(name)
        self._buffers[name] = tensor

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a submodule under ``name`` (what attribute assignment does, for names that are not identifiers)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {name!r} must be a Module or None, got {type(module).__name__}")
        self._forget(name)
        self._modules[name] = module

    # ------------------------------------------------------------ walking the tree
    def named_modules(self, prefix: str = "", remove_duplicate: bool = True):
        """(name, module) for this module and every module below it, depth first.

        A module used in two places is listed once, unless ``remove_duplicate=False`` (the state dict
        lists it under each name, as PyTorch does).
        """
        seen = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if remove_duplicate and id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{key}" if name else key, child) for key, child in module._modules.items()
                        if child is not None]
            stack.extend(reversed(children))

    def modules(self):
        """This module and every module below it."""
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        """(name, module) for the direct submodules."""
        for name, module in self._modules.items():
            if module is not None:
                yield name, module

    def children(self):
        """The direct submodules."""
        for _, module in self.named_children():
            yield module

    def apply(self, fn) -> Module:
        """Call ``fn(module)`` for every submodule, children first, then for this one (PyTorch's order; the
        DCGAN tutorial initialises its weights with ``netG.apply(weights_init)``).  Returns ``self``."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def _named_members(self, registry: str, recurse: bool):
        seen = set()
        modules = self.named_modules() if recurse else [("", self)]
        for prefix, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield (f"{prefix}.{name}" if prefix else name), value

    def named_parameters(self, recurse: bool = True):
        """(name, parameter) in registration order, names as in the state dict; shared parameters once."""
        return self._named_members("_parameters", recurse)

    def parameters(self, recurse: bool = True):
        """The parameters, in registration order: what an optimizer is given."""
        for _, param in self.named_parameters(recurse):
            yield param

    def named_buffers(self, recurse: bool = True):
        """(name, buffer) in registration order."""
        return self._named_members("_buffers", recurse)

    def buffers(self, recurse: bool = True):
        """The buffers (running statistics and other untrained state)."""
        for _, buffer in self.named_buffers(recurse):
            yield buffer

    # ------------------------------------------------------------ state dicts
    def _state_items(self):
        """(key, tensor) for every parameter and buffer, with PyTorch's keys (shared tensors under each name)."""
        for prefix, module in self.named_modules(remove_duplicate=False):
            for registry in (module._parameters, module._buffers):
                for name, value in registry.items():
                    if value is not None:
                        yield (f"{prefix}.{name}" if prefix else name), value

    def state_dict(self) -> dict:
        """Copies of every parameter and buffer array (NumPy or CuPy, where they live), by PyTorch's keys."""
        return {key: value.data.copy() for key, value in self._state_items()}

    def load_state_dict(self, state_dict: dict, strict: bool = True) -> IncompatibleKeys:
        """Copy the values of ``state_dict`` into the parameters and buffers, in place.

        Values may be NumPy arrays, CuPy arrays or Tensors; each is converted to the device and
        dtype of the tensor it is loaded into.  With ``strict=True`` a missing or unexpected key is an
        error that lists them all; a shape mismatch is always an error.  Returns the missing and
        unexpected keys.
        """
        own = dict(self._state_items())
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own]
        mismatched = []
        for key, target in own.items():
            if key in state_dict:
                shape = tuple(np.shape(_raw(state_dict[key])))
                if shape != target.shape:
                    mismatched.append(f"{key}: checkpoint {shape}, model {target.shape}")
        problems = []
        if strict and missing:
            problems.append("missing keys: " + ", ".join(missing))
        if strict and unexpected:
            problems.append("unexpected keys: " + ", ".join(unexpected))
        if mismatched:
            problems.append("shape mismatches: " + "; ".join(mismatched))
        if problems:
            raise RuntimeError(f"load_state_dict for {type(self).__name__}: " + ". ".join(problems))
        with no_grad():
            for key, target in own.items():
                if key in state_dict:
                    value = backend.to_device(_raw(state_dict[key]), target.device)
                    target.copy_(backend.array_module(target.data).asarray(value, dtype=target.dtype))
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------ modes, devices, gradients
    def train(self, mode: bool = True) -> Module:
        """Training mode for this module and all below it (BatchNorm uses batch statistics, Dropout drops)."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """Evaluation mode: ``train(False)``."""
        return self.train(False)

    def to(self, *args, device=None, dtype=None, non_blocking: bool = False) -> Module:
        """Move (and/or cast) every parameter and buffer in place; returns ``self``.  The arguments are PyTorch's:
        ``net.to(device)``, ``net.to(mg.float64)``, ``net.to(device, dtype)``, ``net.to(tensor)``, or keywords.

        The Parameter objects stay the same, so an optimizer built before the move keeps working.
        ``dtype`` casts the floating-point tensors only (a step counter stays an integer).
        """
        device, dtype = backend.to_arguments("Module.to", args, device, dtype)
        if dtype is not None and dtype.kind != "f":
            raise TypeError(f"Module.to: the dtype must be a floating one, got {dtype}")

        def moved(data):
            if device is not None:
                data = backend.to_device(data, device)
            if dtype is not None and data.dtype.kind == "f":
                data = data.astype(dtype, copy=False)
            return data

        for tensor in list(self.parameters()) + list(self.buffers()):
            data = moved(tensor.data)
            if data is not tensor.data:
                tensor.data = data
            if tensor.grad is not None:  # the gradient follows its tensor, as in PyTorch
                grad = moved(tensor.grad.data)
                if grad is not tensor.grad.data:
                    tensor.grad = Tensor(grad)
        return self

    def float(self) -> Module:
        """Cast floating-point parameters and buffers to float32."""
        return self.to(dtype=np.float32)

    def double(self) -> Module:
        """Cast floating-point parameters and buffers to float64 (what gradient checks need)."""
        return self.to(dtype=np.float64)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients of every parameter (``.grad = None``); ``set_to_none=False`` (PyTorch's option)
        sets them to zeros in place instead."""
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad.zero_()

    # ------------------------------------------------------------ calling and printing
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward() method")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def extra_repr(self) -> str:
        """The arguments shown between the parentheses of ``repr`` (layers override it)."""
        return ""

    def __repr__(self) -> str:
        children = [f"({name}): " + repr(module).replace("\n", "\n  ") for name, module in self.named_children()]
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = ([self.extra_repr()] if self.extra_repr() else []) + children
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"


def _raw(value):
    """The array inside a Tensor, or the value itself (NumPy/CuPy array, number)."""
    return value.data if isinstance(value, Tensor) else value
