"""Optimizers: SGD and Adam, with PyTorch's update rules, state dicts and parameter groups.

Both step against the same direction g: the gradient ∇ (−∇ with ``maximize=True``, the lecture's
gradient *ascent* θ ← θ + η∇), plus λθ when ``weight_decay`` λ is set.  The updates work in place on
``p.data`` (NumPy or CuPy) through scratch arrays that are kept between steps, and each updated
parameter's version is bumped, so a loss computed before the step can no longer be backpropagated
through the changed parameter by mistake.
"""
from __future__ import annotations

import math

from minigan import backend
from minigan.autograd import Tensor
from minigan.functional import _kernels


class Optimizer:
    """Base class: parameter groups, ``zero_grad``, ``step`` over the parameters that have a gradient, state dicts.

    ``params`` is an iterable of parameters, or of dicts ``{"params": [...], "lr": ...}`` (parameter
    groups, each overriding the defaults).  ``state[i]`` holds what the optimizer remembers about the
    i-th parameter (counted over all groups, in order).
    """

    state_arrays: tuple = ()  # the per-parameter arrays in ``state[i]``, each shaped like the parameter

    def __init__(self, params, defaults: dict):
        if isinstance(params, Tensor) or isinstance(params, dict):
            raise TypeError(
                f"{type(self).__name__}: params must be an iterable of Parameters or of dicts, got a single "
                f"{type(params).__name__} (pass model.parameters() or [tensor])"
            )
        self.defaults = defaults
        self.param_groups: list[dict] = []
        self.state: dict[int, dict] = {}
        self._scratch: dict[tuple, object] = {}
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict) -> None:
        """Add a group of parameters with its own hyperparameters (missing ones take the defaults)."""
        name = type(self).__name__
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        known = {id(p) for p in self._parameters()}
        for p in params:
            if not isinstance(p, Tensor) or not p.requires_grad:
                raise TypeError(f"{name}: can only optimize Tensors with requires_grad=True, got {p!r:.60}")
            if id(p) in known:
                raise ValueError(f"{name}: a parameter of shape {p.shape} appears in more than one place")
            known.add(id(p))
        unknown = set(group) - set(self.defaults) - {"params"}
        if unknown:
            raise ValueError(f"{name}: unknown hyperparameters {sorted(unknown)}; known: {sorted(self.defaults)}")
        group = {**self.defaults, **group, "params": params}
        self._check_hyperparameters(group)
        self.param_groups.append(group)

    def _check_hyperparameters(self, group: dict) -> None:
        if group["lr"] < 0:
            raise ValueError(f"{type(self).__name__}: invalid learning rate {group['lr']} (must be ≥ 0)")
        if group["weight_decay"] < 0:
            raise ValueError(f"{type(self).__name__}: invalid weight_decay {group['weight_decay']} "
                             "(must be ≥ 0)")

    def _parameters(self):
        for group in self.param_groups:
            yield from group["params"]

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient (``.grad = None``), before the next backward; ``set_to_none=False``
        (PyTorch's option) sets them to zeros in place instead."""
        for p in self._parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad.zero_()

    def step(self) -> None:
        """Update every parameter that has a gradient; parameters with ``.grad`` None are left alone."""
        index = 0
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    if p.grad.shape != p.shape:
                        raise ValueError(f"{type(self).__name__}: parameter {index} has shape {p.shape} "
                                         f"but its gradient has shape {p.grad.shape}")
                    self._update(index, p, self.state.setdefault(index, {}), group)
                    p._bump_version()
                index += 1

    def _update(self, index: int, p: Tensor, state: dict, group: dict) -> None:
        raise NotImplementedError

    def _work(self, index: int, p: Tensor, slot: int):
        """A scratch array shaped like parameter ``index``, reused from step to step."""
        array = self._scratch.get((index, slot))
        if array is None or array.shape != p.shape or array.dtype != p.dtype or \
                backend.device_of(array) != p.device:
            array = backend.array_module(p.data).empty_like(p.data)
            self._scratch[(index, slot)] = array
        return array

    def _direction(self, index: int, p: Tensor, group: dict):
        """g = ∇ (or −∇ when maximizing) + λθ: the direction both optimizers descend along."""
        grad = p.grad.data
        weight_decay, maximize = group["weight_decay"], group["maximize"]
        if weight_decay == 0 and not maximize:
            return grad
        xp = backend.array_module(grad)
        g = self._work(index, p, 0)
        if weight_decay == 0:
            # g = −∇: descending along −∇ is θ ← θ + η∇, the lecture's gradient ascent
            return xp.negative(grad, out=g)
        # g = ±∇ + λθ (weight decay pulls θ towards 0 whether we minimize or maximize)
        xp.multiply(p.data, weight_decay, out=g)
        if maximize:
            g -= grad
        else:
            g += grad
        return g

    # ------------------------------------------------------------ state dicts
    def state_dict(self) -> dict:
        """{"state": {i: {...}}, "param_groups": [{hyperparameters, "params": [i, ...]}]}, arrays copied."""
        groups, index = [], 0
        for group in self.param_groups:
            count = len(group["params"])
            groups.append({**{k: v for k, v in group.items() if k != "params"},
                           "params": list(range(index, index + count))})
            index += count
        state = {i: {k: (v.copy() if k in self.state_arrays else v) for k, v in s.items()}
                 for i, s in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore what ``state_dict`` returned (arrays are moved to each parameter's device and dtype)."""
        name = type(self).__name__
        if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
            raise ValueError(f"{name}.load_state_dict: expected a dict with keys 'state' and 'param_groups'")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: the state dict has {len(saved_groups)} parameter groups, "
                             f"the optimizer has {len(self.param_groups)}")
        for k, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"{name}.load_state_dict: parameter group {k} has {len(saved['params'])} "
                                 f"parameters in the state dict, {len(group['params'])} in the optimizer")
        params = list(self._parameters())
        state = {}
        for i, saved in state_dict["state"].items():
            i = int(i)
            if not 0 <= i < len(params):
                raise ValueError(f"{name}.load_state_dict: state for parameter {i}, but there are {len(params)}")
            state[i] = {key: self._converted(value, key, i, params[i]) for key, value in saved.items()}
        for saved, group in zip(saved_groups, self.param_groups):
            group.update({k: v for k, v in saved.items() if k != "params"})
        self.state = state
        self._scratch.clear()

    def _converted(self, value, key: str, index: int, p: Tensor):
        """A loaded state entry: arrays on the parameter's device and dtype, numbers as Python numbers."""
        value = value.data if isinstance(value, Tensor) else value
        if key not in self.state_arrays:
            return value.item() if hasattr(value, "item") else value
        shape = tuple(getattr(value, "shape", ()))
        if shape != p.shape:
            raise ValueError(f"{type(self).__name__}.load_state_dict: {key} of parameter {index} has shape "
                             f"{shape}, the parameter has shape {p.shape}")
        xp = backend.array_module(p.data)
        return xp.array(backend.to_device(value, p.device), dtype=p.dtype)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for k, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {k}")
            lines += [f"    {key}: {value}" for key, value in group.items() if key != "params"]
        return "\n".join(lines) + "\n)"


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum, as ``torch.optim.SGD``.

    b ← μ b + g (b = g at the first step);  θ ← θ − η b   (θ ← θ − η g without momentum).
    """

    state_arrays = ("momentum_buffer",)

    def __init__(self, params, lr: float, momentum: float = 0, weight_decay: float = 0, maximize: bool = False):
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay, maximize=maximize))

    def _check_hyperparameters(self, group: dict) -> None:
        super()._check_hyperparameters(group)
        if group["momentum"] < 0:
            raise ValueError(f"SGD: invalid momentum {group['momentum']} (must be ≥ 0)")

    def _update(self, index, p, state, group):
        xp = backend.array_module(p.data)
        g = self._direction(index, p, group)
        if group["momentum"] != 0:
            b = state.get("momentum_buffer")
            if b is None:
                # b = g at the first step
                b = state["momentum_buffer"] = g.copy()
            else:
                # b ← μ b + g
                b *= group["momentum"]
                b += g
            g = b
        # θ ← θ − η g
        step = xp.multiply(g, group["lr"], out=self._work(index, p, 1))
        xp.subtract(p.data, step, out=p.data)


class Adam(Optimizer):
    """Adam (Kingma & Ba), as ``torch.optim.Adam``: moving averages of g and g², with bias correction.

    m ← β₁ m + (1 − β₁) g;  v ← β₂ v + (1 − β₂) g²;
    θ ← θ − η / (1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
    (the textbook form, with m̂ and v̂, is ``adam_simple`` below).
    """

    state_arrays = ("exp_avg", "exp_avg_sq")

    def __init__(self, params, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, maximize: bool = False):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      maximize=maximize))

    def _check_hyperparameters(self, group: dict) -> None:
        super()._check_hyperparameters(group)
        beta1, beta2 = group["betas"]
        if not (0 <= beta1 < 1 and 0 <= beta2 < 1):
            raise ValueError(f"Adam: invalid betas {group['betas']} (each must be in [0, 1))")
        if group["eps"] < 0:
            raise ValueError(f"Adam: invalid eps {group['eps']} (must be ≥ 0)")

    def _update(self, index, p, state, group):
        # adam_simple below, rearranged to work in place: the bias corrections m̂ = m / (1 − β₁ᵗ) and
        # v̂ = v / (1 − β₂ᵗ) are folded into the step size and the denominator instead of made as arrays
        xp = backend.array_module(p.data)
        g = self._direction(index, p, group)
        beta1, beta2 = group["betas"]
        if not state:
            state.update(step=0, exp_avg=xp.zeros_like(p.data), exp_avg_sq=xp.zeros_like(p.data))
        state["step"] += 1
        t, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
        if _kernels.fused(p.data):
            # the lines below, fused into one GPU kernel (thirteen kernel launches per parameter become one)
            dtype = p.dtype.type
            _kernels.kernel("adam")(g, dtype(beta1), dtype(1 - beta1), dtype(beta2), dtype(1 - beta2),
                                    dtype(math.sqrt(1 - beta2 ** t)), dtype(group["eps"]),
                                    dtype(group["lr"] / (1 - beta1 ** t)), p.data, m, v)
            return
        work = self._work(index, p, 1)
        # m ← β₁ m + (1 − β₁) g
        m *= beta1
        m += xp.multiply(g, 1 - beta1, out=work)
        # v ← β₂ v + (1 − β₂) g²
        v *= beta2
        xp.multiply(g, g, out=work)
        work *= 1 - beta2
        v += work
        # θ ← θ − η / (1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
        denominator = xp.sqrt(v, out=work)
        denominator /= math.sqrt(1 - beta2 ** t)
        denominator += group["eps"]
        step = xp.divide(m, denominator, out=work)
        step *= group["lr"] / (1 - beta1 ** t)
        xp.subtract(p.data, step, out=p.data)


def adam_simple(theta, g, m, v, t: int, lr: float, betas=(0.9, 0.999), eps: float = 1e-8):
    """One Adam step as the paper writes it (Kingma & Ba, Algorithm 1), on arrays: the plain twin of
    ``Adam._update``.  Returns the new (θ, m, v); nothing is changed in place.

    m ← β₁ m + (1 − β₁) g;  v ← β₂ v + (1 − β₂) g²;  m̂ = m / (1 − β₁ᵗ);  v̂ = v / (1 − β₂ᵗ);
    θ ← θ − η m̂ / (√v̂ + ε)
    """
    beta1, beta2 = betas
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    theta = theta - lr * m_hat / (backend.array_module(v_hat).sqrt(v_hat) + eps)
    return theta, m, v
