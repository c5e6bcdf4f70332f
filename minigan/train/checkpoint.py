"""Checkpoints of a training run: networks, optimizers, random-number state, step and history.

A run restored with ``load_checkpoint`` continues exactly as if it had never stopped (on the CPU, the
same numbers to the last bit): every random draw of minigan comes from one seeded generator, and its
state is saved with the weights.
"""
from __future__ import annotations

from minigan import backend
from minigan.io import load, save


def save_checkpoint(path, step: int, models: dict, optimizers: dict, history: dict | None = None) -> None:
    """Write ``models`` and ``optimizers`` (name ↦ object), the step to continue from and the history to ``path``.

    The file is an ``.npz`` written atomically (see ``minigan.io.save``).
    """
    save({
        "step": int(step),
        "models": {name: model.state_dict() for name, model in models.items()},
        "optimizers": {name: opt.state_dict() for name, opt in optimizers.items()},
        "rng": backend.get_rng_state(),
        "history": history or {},
    }, path)


def load_checkpoint(path, models: dict, optimizers: dict) -> tuple[int, dict]:
    """Restore ``models`` and ``optimizers`` in place from ``path``; return (step to continue from, history)."""
    state = load(path)
    for kind, objects in (("models", models), ("optimizers", optimizers)):
        missing = sorted(set(objects) - set(state[kind]))
        if missing:
            raise KeyError(f"{path}: the checkpoint has no {kind} named {missing} (it has {sorted(state[kind])})")
        for name, obj in objects.items():
            obj.load_state_dict(state[kind][name])
    backend.set_rng_state(state["rng"])
    return state["step"], state["history"]
