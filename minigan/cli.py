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
