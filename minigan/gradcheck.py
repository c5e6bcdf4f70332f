"""Check an op's gradients against central finite differences, in float64.

``gradcheck(fn, inputs)`` compares the gradient the engine computes with
(f(x + ε v) − f(x − ε v)) / 2ε.  The output is first reduced to a number with a fixed random
weighting r, L(x) = Σ r ⊙ fn(x), so one backward pass checks a whole vector-Jacobian product.
Small inputs are perturbed one element at a time; large ones along a few random directions.
``order=2`` checks the gradients of the gradients: it applies the same test to
x ↦ Σᵢ ⟨∂L/∂xᵢ, wᵢ⟩, computed with ``create_graph=True``.
"""
from __future__ import annotations

import numpy as np

from minigan import backend
from minigan.autograd import Tensor, grad


class GradcheckError(AssertionError):
    """The analytic and numerical gradients disagree."""


def _as_float64_inputs(inputs, device):
    tensors = []
    for x in inputs:
        array = x.data if isinstance(x, Tensor) else x
        array = backend.to_device(np.asarray(backend.to_numpy(array), dtype=np.float64), device)
        tensors.append(Tensor(array, requires_grad=True))
    return tensors


def gradcheck(fn, inputs, order: int = 1, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              max_elements: int = 64, directions: int = 8, seed: int = 0, device=None) -> bool:
    """Raise GradcheckError unless ``fn``'s gradients match central differences; return True.

    fn:            takes Tensors (one per input) and returns a Tensor.
    inputs:        arrays or Tensors; they are copied to float64 tensors that require gradients.
    order:         1 checks gradients, 2 also checks gradients of gradients.
    max_elements:  inputs with at most this many elements are checked element by element;
                   larger ones along ``directions`` random unit directions.
    device:        where to run (default: the first input's device if it is a Tensor or a CuPy array;
                   for a NumPy array, the default device, where ``mg.tensor`` would put it).
    """
    if order not in (1, 2):
        raise ValueError(f"gradcheck: order must be 1 or 2, got {order}")
    if device is None:
        first = inputs[0].data if isinstance(inputs[0], Tensor) else inputs[0]
        has_own_device = isinstance(inputs[0], Tensor) or backend.device_of(first) == "gpu"
        device = backend.device_of(first) if has_own_device else backend.get_device()
    xs = _as_float64_inputs(inputs, device)
    rng = np.random.default_rng(seed)
    if order == 2:
        fn = _gradient_as_function(fn, xs, rng, device)
    _check_first_order(fn, xs, rng, eps, atol, rtol, max_elements, directions, device)
    return True


def _weighted_scalar(fn, xs, r_holder, rng, device):
    """L(x) = Σ r ⊙ fn(x), with r drawn once (at the first call) and reused after."""
    y = fn(*xs)
    if not isinstance(y, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(y).__name__}")
    if y.dtype != np.float64:
        raise GradcheckError(f"gradcheck: fn turned float64 inputs into {y.dtype}: an op does not keep its dtype")
    if not r_holder:
        r_holder.append(backend.to_device(rng.standard_normal(y.shape), device))
    return (y * Tensor(r_holder[0])).sum()


def _gradient_as_function(fn, xs, rng, device):
    """x ↦ Σᵢ ⟨∂L/∂xᵢ, wᵢ⟩: its gradient is the second derivative of L applied to w."""
    r_holder: list = []
    ws = [Tensor(backend.to_device(rng.standard_normal(x.shape), device)) for x in xs]

    def directional_gradient(*args):
        L = _weighted_scalar(fn, args, r_holder, rng, device)
        gs = grad(L, list(args), create_graph=True, allow_unused=True)
        total = None
        for g, w in zip(gs, ws):
            if g is not None:
                term = (g * w).sum()
                total = term if total is None else total + term
        if total is None:
            raise GradcheckError("gradcheck: fn does not depend on any input")
        return total

    return directional_gradient


def _check_first_order(fn, xs, rng, eps, atol, rtol, max_elements, directions, device):
    r_holder: list = []
    L = _weighted_scalar(fn, xs, r_holder, rng, device)
    # an output that does not depend on the inputs at all (say, the gradient of a linear op) has zero gradient
    analytic = grad(L, xs, allow_unused=True) if L.requires_grad else [None] * len(xs)

    def value_at(i, shifted):
        args = list(xs)
        args[i] = Tensor(shifted, requires_grad=True)  # order 2 differentiates inside fn
        return float(_weighted_scalar(fn, args, r_holder, rng, device).item())

    for i, (x, g) in enumerate(zip(xs, analytic)):
        g_np = np.zeros(x.shape) if g is None else backend.to_numpy(g.data)
        x_np = backend.to_numpy(x.data)
        if x.numel() <= max_elements:
            probes = [np.eye(1, x.numel(), k).reshape(x.shape) for k in range(x.numel())]
        else:
            probes = [v / np.linalg.norm(v) for v in rng.standard_normal((directions,) + x.shape)]
        for v in probes:
            plus = value_at(i, backend.to_device(x_np + eps * v, device))
            minus = value_at(i, backend.to_device(x_np - eps * v, device))
            numeric = (plus - minus) / (2 * eps)
            exact = float(np.sum(g_np * v))
            if not abs(numeric - exact) <= atol + rtol * abs(numeric):
                index = tuple(int(k) for k in np.unravel_index(int(np.argmax(np.abs(v))), x.shape))
                where = f"element {index}" if x.numel() <= max_elements else "a random direction"
                raise GradcheckError(
                    f"gradcheck: input {i} (shape {x.shape}), {where}: "
                    f"backward gives {exact:.8g}, finite differences give {numeric:.8g} "
                    f"(difference {abs(numeric - exact):.3g}, tolerance {atol + rtol * abs(numeric):.3g})"
                )
