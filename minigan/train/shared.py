"""What the training loops share, once: holding a network fixed, the NaN guard, and the learning-rate schedule.

Each loop in this folder is the lecture's algorithm line by line; the few lines every loop needs around the
algorithm live here so that they are written (and fixed) once.
"""
from __future__ import annotations

import contextlib
import math


class TrainingDiverged(FloatingPointError):
    """A quantity of the training loop became NaN or Inf."""


@contextlib.contextmanager
def fixed(model):
    """Hold a network's parameters fixed: no gradients are computed for them inside the block."""
    params = [p for p in model.parameters() if p.requires_grad]
    for p in params:
        p.requires_grad = False
    try:
        yield
    finally:
        for p in params:
            p.requires_grad = True


def finite(value: float, what: str, step: int) -> float:
    """``value``, or ``TrainingDiverged`` naming ``what`` and the step when it is NaN or Inf (the NaN guard)."""
    if not math.isfinite(value):
        raise TrainingDiverged(
            f"step {step}: {what} became {value} — lower the learning rate, or check the data for NaN/Inf"
        )
    return value


def remember_initial_lr(*optimizers) -> None:
    """Note each parameter group's learning rate as ``initial_lr``, the rate a schedule's factor multiplies."""
    for opt in optimizers:
        for group in opt.param_groups:
            group.setdefault("initial_lr", group["lr"])


def apply_lr_schedule(lr_schedule, step: int, *optimizers) -> None:
    """Set each optimizer's learning rate to its initial rate × ``lr_schedule(step)`` (nothing when it is None)."""
    if lr_schedule is None:
        return
    for opt in optimizers:
        for group in opt.param_groups:
            group["lr"] = group["initial_lr"] * lr_schedule(step)


def linear_decay(steps: int):
    """The learning-rate factor 1 − step/steps: from 1 down to 0 over the run.

    A GAN's iterates circle around the equilibrium; shrinking steps let them settle there instead of
    oscillating (docs/lecture.md, section 3).
    """
    return lambda step: 1.0 - step / steps


def halfway_decay(steps: int):
    """The learning-rate factor of the image GANs: 1 for the first half of ``steps``, then linearly down to 0.

    The iterates of a GAN circle around the equilibrium; shrinking steps let them settle near it.
    """
    return lambda step: min(1.0, 2.0 * (1.0 - step / steps))
