"""New samples from a saved run, without training: ``python -m minigan.generate RUN_DIR``.

    python -m minigan.generate runs/mnist --n 64 --seed 3 --out sevens.png   # a grid of 64 new digits
    python -m minigan.generate runs/mnist --n 1000 --out digits.npy          # the samples as an array
    python -m minigan.generate runs/sentences --n 20                          # a text model prints its sentences

RUN_DIR is an example's --out folder (or its checkpoint.npz).  The checkpoint names the example and its
settings; ``minigan.models.SAMPLERS`` says how to rebuild that example's generator from them, so no example code
runs.  When the run kept an average of G's weights (--ema), the samples come from it, as the example's own do.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

from minigan import backend
from minigan.io import CheckpointError, save_samples
from minigan.models import SAMPLERS
from minigan.run import CHECKPOINT
from minigan.train.checkpoint import read_checkpoint


def checkpoint_path(run: str) -> Path:
    path = Path(run)
    return path / CHECKPOINT if path.is_dir() or not path.suffix else path


def load_generator(path: Path):
    """(the network that draws, its Sampler, the run's settings) from the checkpoint at ``path``."""
    state = read_checkpoint(path)
    extra = state["extra"]
    example = extra.get("example")
    if example not in SAMPLERS:
        known = ", ".join(sorted(SAMPLERS))
        raise CheckpointError(f"{path}: a checkpoint of {example!r}, which minigan.generate cannot draw from "
                              f"(it can: {known})")
    sampler = SAMPLERS[example]
    settings = extra["settings"]
    name = next((n for n in sampler.model if n in state["models"]), None)
    if name is None:
        raise CheckpointError(f"{path}: the checkpoint has no network named {' or '.join(sampler.model)}")
    weights = state["models"][name]
    if name.endswith("_average"):  # an AveragedModel's state dict: the copy's weights under module.*
        weights = {k[len("module."):]: v for k, v in weights.items() if k.startswith("module.")}
    model = sampler.build(settings)
    model.load_state_dict(weights)
    model.eval()
    return model, sampler, settings


def write(samples, kind: str, path: Path | None, title: str) -> None:
    """Save ``samples`` as .png (a grid or a scatter), .npy or .txt; text without a file is printed."""
    if kind == "text":
        lines = "\n".join(samples)
        if path is None:
            print(lines)
        elif path.suffix == ".txt":
            path.write_text(lines + "\n", encoding="utf-8")
        else:
            raise SystemExit(f"--out {path}: a text model writes .txt (or prints, without --out)")
        return
    suffix = path.suffix.lower()
    if suffix == ".npy":
        save_samples(samples, path)
    elif suffix == ".png":
        from minigan.plot import save_image_grid, save_points

        if kind == "images":
            save_image_grid(samples, path, nrow=int(np.ceil(np.sqrt(len(samples)))), title=title)
        else:
            save_points(samples, path, title=title)
    elif suffix == ".txt":
        np.savetxt(path, np.asarray(samples).reshape(len(samples), -1), fmt="%.6g")
    else:
        raise SystemExit(f"--out {path}: write .png, .npy or .txt")


def main(argv=None) -> np.ndarray | list:
    parser = argparse.ArgumentParser(prog="python -m minigan.generate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", help="an example's --out folder (or its checkpoint.npz)")
    parser.add_argument("--n", type=int, default=64, help="how many samples (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the noise (default: %(default)s)")
    parser.add_argument("--out", help="file to write: .png (grid or scatter), .npy (the samples) or .txt "
                                      "(default: RUN_DIR/generated.png; a text model prints)")
    parser.add_argument("--label", help="conditional models: the class to draw")
    parser.add_argument("--tags", help="conditional models: the attributes to draw, comma-separated")
    parser.add_argument("--device", default=os.environ.get("MINIGAN_DEVICE", "cpu"), help="cpu or gpu")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error(f"--n must be at least 1, got {args.n}")
    path = checkpoint_path(args.run)
    backend.set_device(args.device)
    try:
        model, sampler, settings = load_generator(path)
    except (FileNotFoundError, CheckpointError, KeyError, ValueError, RuntimeError) as err:
        raise SystemExit(f"minigan.generate: cannot use {path}: {err}") from None
    condition = {"label": args.label, "tags": args.tags}
    if (args.label or args.tags) and not sampler.conditional:
        raise SystemExit(f"minigan.generate: {path} is not a conditional model; --label and --tags do not apply")
    backend.manual_seed(args.seed)
    try:
        samples = sampler.draw(model, args.n, settings, condition)
    except ValueError as err:  # a --label or --tags the model does not take
        raise SystemExit(f"minigan.generate: {err}") from None
    out = Path(args.out) if args.out else (None if sampler.kind == "text" else path.parent / "generated.png")
    write(samples, sampler.kind, out, title=f"{args.n} samples, seed {args.seed}")
    if out is not None:
        print(f"{args.n} samples of {path} (seed {args.seed}) in {out}")
    return samples


if __name__ == "__main__":
    main(sys.argv[1:])
