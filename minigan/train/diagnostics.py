"""What to record to read a GAN's training: the gradient norm of each layer of D and of G.

Mean D(x) and mean D(G(z)) (``train_gan``'s history) say who is winning; the gradient norms say whether the
loser still learns.  When D separates real from generated examples perfectly, D(G(z)) → 0 and, for the minimax
objective log(1 − D(G(z))), G's gradient vanishes with it; the lecture's log D(G(z)) keeps it large exactly there
(docs/lecture.md, "Reading the curves").  The norms per layer also show the homework's question of weight
clipping against a gradient penalty: clipping leaves D's layers with gradients that explode or vanish from layer to
layer, the penalty keeps them even (Gulrajani et al., "Improved Training of Wasserstein GANs", 2017, figure 4).
"""
from __future__ import annotations

import math

POINTS = 200  # recordings per run


def layer_gradient_norms(model) -> dict:
    """‖∇‖ of each layer's parameters (weight and bias together), from the ``.grad`` the last backward left;
    layers are named by their path in the model and their class, e.g. ``"0 Linear"``."""
    kinds = {name: type(module).__name__ for name, module in model.named_modules()}
    squares: dict = {}
    for name, p in model.named_parameters():
        if p.grad is None:
            continue
        layer = name.rpartition(".")[0]
        key = f"{layer} {kinds.get(layer, '')}".strip()
        squares[key] = squares.get(key, 0.0) + float((p.grad.data * p.grad.data).sum())
    return {key: math.sqrt(value) for key, value in squares.items()}


class GradientNorms:
    """A ``train_gan`` callback: every 1/``points`` of the ``steps`` updates, the gradient norm of each layer of D
    (its last update's) and of G, into ``history["grad_norm"]`` = {"step": [...], "D": {layer: [...]}, "G": {...}}.

    It only reads the gradients, so the run is the same with or without it; in the history, it is kept by the
    checkpoints.
    """

    def __init__(self, G, D, steps: int, points: int = POINTS):
        self.G, self.D = G, D
        self.every = max(1, -(-steps // points))

    def __call__(self, step, history) -> None:
        if (step + 1) % self.every:
            return
        record = history.setdefault("grad_norm", {"step": [], "D": {}, "G": {}})
        record["step"].append(step + 1)
        for name, model in (("D", self.D), ("G", self.G)):
            for layer, norm in layer_gradient_norms(model).items():
                record[name].setdefault(layer, []).append(norm)
