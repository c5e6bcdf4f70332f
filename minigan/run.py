"""What a training run of an example does around the loop: the output folder, evaluation-mode sampling, and
the snapshots at the lecture's update counts."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from minigan import backend

LECTURE_UPDATES = (100, 1000, 2000, 5000, 10_000, 20_000, 50_000)  # the counts the lecture shows results at


def setup_run(args) -> Path:
    """Set the device and the seed from ``args``; create and return the output folder."""
    backend.set_device(args.device)
    backend.manual_seed(args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    return out


def generate(G, z, batch: int = 500) -> np.ndarray:
    """G(z) in evaluation mode (batch norm with its running statistics), in batches, as a NumPy array.

    G is put back in training mode afterwards.
    """
    from minigan.metrics.classifier import in_batches

    G.eval()
    try:
        return in_batches(G, z, batch)
    finally:
        G.train()


def lecture_snapshots(G, z, out: Path, steps: int, nrow: int):
    """A ``train_gan`` callback that saves G(z) for the same z as ``samples_stepNNNNN.png`` in ``out`` after
    each of the lecture's update counts that the run reaches (``LECTURE_UPDATES`` below ``steps``)."""
    from minigan.plot import save_image_grid

    shown_at = {n for n in LECTURE_UPDATES if n < steps}

    def callback(step, history):
        if step + 1 in shown_at:
            save_image_grid(generate(G, z), Path(out) / f"samples_step{step + 1:05d}.png", nrow=nrow,
                            title=f"after {step + 1} updates")

    return callback
