"""Checkpoints of a training run: networks, optimizers, random-number state, step and history.

A run restored with ``load_checkpoint`` continues exactly as if it had never stopped (on the CPU, the
same numbers to the last bit): every random draw of minigan comes from one seeded generator, and its
state is saved with the weights.  ``extra`` holds whatever else a run needs to continue (the example's
name and settings, a data loader's position, the snapshots drawn so far); see minigan/run.py.
"""
from __future__ import annotations

from minigan import backend
from minigan.io import CheckpointError, load, save


def save_checkpoint(path, step: int, models: dict, optimizers: dict, history: dict | None = None,
                    extra: dict | None = None) -> None:
    """Write ``models`` and ``optimizers`` (name ↦ object), the step to continue from, the history and ``extra``
    (any nesting of dicts, lists, arrays, numbers and strings) to ``path``.

    The file is an ``.npz`` written atomically (see ``minigan.io.save``).
    """
    save({
        "step": int(step),
        "models": {name: model.state_dict() for name, model in models.items()},
        "optimizers": {name: opt.state_dict() for name, opt in optimizers.items()},
        "rng": backend.get_rng_state(),
        "history": history or {},
        "extra": extra or {},
    }, path)


def read_checkpoint(path) -> dict:
    """The checkpoint at ``path`` as a dict (``step``, ``models``, ``optimizers``, ``rng``, ``history``, ``extra``),
    without restoring anything; errors name the file."""
    state = load(path)
    missing = [key for key in ("step", "models", "optimizers", "rng") if not isinstance(state, dict) or key not in state]
    if missing:
        raise CheckpointError(f"{path}: not a training checkpoint (it has no {', '.join(missing)})")
    state.setdefault("history", {})
    state.setdefault("extra", {})
    return state


def restore(state: dict, models: dict, optimizers: dict, path="the checkpoint") -> tuple[int, dict]:
    """Restore ``models``, ``optimizers`` and the random state from a ``read_checkpoint`` dict; return (step, history)."""
    for kind, objects in (("models", models), ("optimizers", optimizers)):
        missing = sorted(set(objects) - set(state[kind]))
        if missing:
            raise KeyError(f"{path}: the checkpoint has no {kind} named {missing} (it has {sorted(state[kind])})")
        for name, obj in objects.items():
            obj.load_state_dict(state[kind][name])
    backend.set_rng_state(state["rng"])
    return state["step"], state["history"]


def load_checkpoint(path, models: dict, optimizers: dict) -> tuple[int, dict]:
    """Restore ``models`` and ``optimizers`` in place from ``path``; return (step to continue from, history)."""
    return restore(read_checkpoint(path), models, optimizers, path)
