"""The command line every example shares: one parser with the common options, one spelling per idea.

Each example is a plain script; this module keeps their first lines the same:

    parser = example_parser(__doc__, out="out/mnist_gan")
    parser.add_argument("--steps", type=int, default=3000)
    args = parser.parse_args(argv)
    out = setup_run(args)          # minigan/run.py: sets the device and the seed, creates --out

The spellings the examples share: ``--steps`` (updates), ``--batch`` (m), ``--lr`` (η), ``--d-steps`` (k, D's
updates per iteration), ``--z-dim`` (the size of the noise z), ``--code-dim`` (the size of an auto-encoder's or
VAE's code c), ``--loss`` (what D and G maximise, a name of ``minigan.train.objectives.OBJECTIVES``), ``--ema``,
``--beta1`` (Adam's β₁ of G and D).
"""
from __future__ import annotations

import argparse
import os



def example_parser(description: str | None, out: str = "out", save_every: int | None = None,
                   unit: str = "updates") -> argparse.ArgumentParser:
    """An argument parser with the options every example has: ``--device``, ``--seed``, ``--out`` and
    ``--no-progress`` and ``--no-gif``; with ``save_every`` (the example trains), also ``--save-every`` and ``--resume``
    (checkpoint.npz in --out, minigan/run.py), ``--save-every`` counting ``unit`` (what the example's loop counts)."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default=os.environ.get("MINIGAN_DEVICE", "cpu"),
                        help="cpu or gpu (gpu needs CuPy and a CUDA device; default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    parser.add_argument("--out", default=out, help="folder for figures, metrics.json, samples.npy (default: %(default)s)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument("--no-gif", action="store_true", help="do not draw training.gif (quicker short runs)")
    if save_every is not None:
        parser.add_argument("--save-every", type=positive_int, default=save_every,
                            help=f"{unit} between checkpoints (checkpoint.npz in --out; also written at the end "
                                 "and on Ctrl-C) (default: %(default)s)")
        parser.add_argument("--resume", action="store_true",
                            help="continue the run saved in --out/checkpoint.npz (same settings)")
    return parser


def positive_int(text: str) -> int:
    """The argparse type of a count that must be at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def beta(text: str) -> float:
    """The argparse type of a β, a weight of the past in an average, in [0, 1): ``--ema`` (0: no average of G's
    weights), Adam's β₁."""
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
    parser.add_argument("--ema", type=beta, default=default,
                        help="β of the moving average of G's weights that samples are drawn from; 0: G's own "
                             f"weights{shown}")


def add_beta1_option(parser: argparse.ArgumentParser, default: float, beta2: float) -> None:
    """``--beta1 β``: Adam's β₁ of G and D, the weight of past gradients in its running mean.  0 steps along the
    newest gradient alone, which helps a two-player game whose gradient turns as the other player moves (Gidel et
    al., AISTATS 2019; docs/results.md measures it on sentences and on faces from tags)."""
    parser.add_argument("--beta1", type=beta, default=default,
                        help=f"Adam's β₁ of G and D (β₂ = {beta2}) (default: %(default)s)")


def fill_defaults(args: argparse.Namespace, defaults: dict) -> None:
    """Options whose default depends on another option (``--arch``, ``--data``): each left unset (None) takes its
    value from ``defaults``, the option ↦ value table for the choice made."""
    for option, value in defaults.items():
        if getattr(args, option) is None:
            setattr(args, option, value)
