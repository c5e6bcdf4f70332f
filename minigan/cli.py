"""What every example script shares: the common options, the output folder, JSON and figures.

Each example is a plain script; this module keeps their first ten lines the same:

    parser = example_parser(__doc__)
    parser.add_argument("--steps", type=int, default=3000)
    args = parser.parse_args()
    out = setup_run(args)          # sets the device and the seed, creates --out
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

import numpy as np

from minigan import backend


def example_parser(description: str | None, out: str = "out") -> argparse.ArgumentParser:
    """An argument parser with ``--device``, ``--seed`` and ``--out`` already added."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default=os.environ.get("MINIGAN_DEVICE", "cpu"),
                        help="cpu or gpu (gpu needs CuPy and a CUDA device; default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    parser.add_argument("--out", default=out, help="folder for figures, metrics.json, samples.npy (default: %(default)s)")
    return parser


def ema_decay(text: str) -> float:
    """The argparse type of ``--ema``: β of the moving average of G's weights, in [0, 1) (0: no average)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"β must be in [0, 1), got {text}")
    return value


def add_ema_option(parser: argparse.ArgumentParser, default: float | None) -> None:
    """``--ema β``: the GAN examples draw their samples from G's weights averaged over training
    (minigan/train/ema.py), a stabiliser around the lecture's loop; 0 draws them from G's own weights."""
    shown = "" if default is None else " (default: %(default)s)"
    parser.add_argument("--ema", type=ema_decay, default=default,
                        help="β of the moving average of G's weights that samples are drawn from; 0: G's own "
                             f"weights{shown}")


def setup_run(args) -> Path:
    """Set the device and the seed from ``args``; create and return the output folder."""
    backend.set_device(args.device)
    backend.manual_seed(args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    return out


def _plain(value):
    """NumPy/CuPy scalars and arrays as plain Python values, so json can write them."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist"):
        return backend.to_numpy(value).tolist() if hasattr(value, "shape") else value.tolist()
    return value


def save_json(obj, path) -> None:
    """Write ``obj`` as indented JSON, atomically (a temporary file renamed into place)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(_plain(obj), f, indent=2)
            f.write("\n")
        os.chmod(tmp, 0o644)  # mkstemp makes the file private; a metrics file is for everyone to read
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def save_samples(samples, path) -> None:
    """Save generated samples as ``.npy`` (NumPy, float32) so anyone can check the numbers."""
    np.save(path, np.asarray(backend.to_numpy(samples), dtype=np.float32))


# ---------------------------------------------------------------- what the image GANs share
LECTURE_UPDATES = (100, 1000, 2000, 5000, 10_000, 20_000, 50_000)  # the counts the lecture shows results at


def halfway_decay(steps: int):
    """The learning-rate factor of the image GANs: 1 for the first half of ``steps``, then linearly down to 0.

    The iterates of a GAN circle around the equilibrium; shrinking steps let them settle near it.
    """
    return lambda step: min(1.0, 2.0 * (1.0 - step / steps))


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
