"""Can the discriminator generate? The lecture's algorithm with no generator at all (section 9).

Positive examples come from the data; negatives start random.  Each round (1) D learns to score the
positives high and the negatives low, (2) new negatives are generated as x̃ = arg max D(x), (3) they join
the negatives of the next round.  In 1-D the arg max is found by enumerating a grid; in 2-D by gradient
ascent on x from many random starts, with the engine's gradient with respect to the input.  After each
round the script draws D(x) with the positives and the negatives, as in the lecture's 1-D figure: the
false peaks of D are pushed down round after round until D is high only where the data is.

    python examples/discriminator_generates.py            # 1-D: arg max by enumeration, D(x) per round
    python examples/discriminator_generates.py --dim 2    # 2-D: arg max by gradient ascent, heat maps

In --out: rounds_1d.png or rounds_2d.png (D(x) after some of the rounds), training.gif (D(x) and x̃ after every
round), samples.npy (the final negatives), metrics.json, and checkpoint.npz, written every --save-every rounds
(not updates: a round is the unit here), at the end and on Ctrl-C; --resume continues from it, and on the CPU
an interrupted and resumed run ends with the same figures, samples and metrics as one never stopped.

The algorithm is minigan/train/discriminator_generation.py.
"""
import time

import numpy as np

import minigan as mg
from minigan import functional as F
from minigan import nn, optim
from minigan.cli import example_parser
from minigan.io import save_json, save_samples
from minigan.data.mixtures import ring
from minigan.data.toy import Gaussian1D, Mixture1D
from minigan.metrics import ks_statistic, mmd2
from minigan.metrics.modes import mode_metrics
from minigan.plot import curves_gif, pyplot, save, scatter_gif
from minigan.run import GIF, Checkpoints, setup_run
from minigan.train.discriminator_generation import (
    argmax_by_enumeration, argmax_by_gradient_ascent, discriminator_generation,
)


def make_discriminator(dim: int, hidden: int):
    """D: x ↦ logit, a smooth (tanh) MLP: its arg maxes then move gradually from round to round."""
    return nn.Sequential(nn.Linear(dim, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(),
                         nn.Linear(hidden, 1))


def d_of(D, x: np.ndarray) -> np.ndarray:
    """D(x) = σ(logit) at the points x (N, d)."""
    with mg.no_grad():
        return F.sigmoid(D(mg.tensor(x))).numpy().reshape(-1)


def subsample(points: np.ndarray, n: int = 2000) -> np.ndarray:
    """At most n of the points, chosen at random (MMD² costs N × M kernel evaluations)."""
    if len(points) <= n:
        return points
    return points[np.random.default_rng(0).choice(len(points), n, replace=False)]


def shown_rounds(rounds: int) -> list:
    return sorted({0, 1, 2, 4, rounds // 2, rounds - 1} & set(range(rounds)))


def figure_1d(snapshots, positives, grid, path) -> None:
    plt = pyplot()
    fig, axes = plt.subplots(1, len(snapshots), figsize=(3 * len(snapshots), 2.8), sharey=True)
    bins = np.linspace(grid[0], grid[-1], 61)
    for ax, snap in zip(np.atleast_1d(axes), snapshots):
        density = lambda s: np.histogram(s, bins, density=True)[0]  # noqa: E731
        scale = 1 / density(positives).max()  # histograms scaled so that the data's peak is at height 1
        ax.stairs(density(positives) * scale, bins, color="green", label="positives (data)")
        ax.stairs(density(snap["negatives"]) * scale, bins, color="blue", label="negatives so far")
        ax.stairs(density(snap["x_tilde"]) * scale, bins, color="red", fill=True, alpha=0.3,
                  label="x̃ = arg max D (this round)")
        ax.plot(grid, snap["D"], color="black", label="D(x)")
        ax.set_title(f"round {snap['round'] + 1}: KS {snap['ks']:.3f}", fontsize=9)
        ax.set_xlabel("x")
    np.atleast_1d(axes)[0].legend(loc="upper left", fontsize=6)
    save(fig, path)


def histogram_on(points: np.ndarray, grid: np.ndarray, bins: np.ndarray, peak: float) -> np.ndarray:
    """The histogram of 1-D points as a step curve on the grid, scaled so that ``peak`` is at height 1."""
    density = np.histogram(points, bins, density=True)[0] / peak
    return density[np.clip(np.digitize(grid, bins) - 1, 0, len(density) - 1)]


def figure_2d(snapshots, positives, box, path) -> None:
    plt = pyplot()
    fig, axes = plt.subplots(1, len(snapshots), figsize=(2.2 * len(snapshots), 2.4))
    for ax, snap in zip(np.atleast_1d(axes), snapshots):
        ax.imshow(snap["D"], origin="lower", extent=(-box, box, -box, box), cmap="viridis", vmin=0, vmax=1,
                  interpolation="nearest")
        ax.scatter(*positives[:300].T, s=2, color="white", linewidths=0, label="positives")
        ax.scatter(*snap["x_tilde"][:300].T, s=3, color="red", linewidths=0, label="x̃ = arg max D")
        ax.set_title(f"round {snap['round'] + 1}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    np.atleast_1d(axes)[0].legend(loc="lower left", fontsize=6, markerscale=3)
    save(fig, path)


def main(argv=None) -> dict:
    """Run the example with command-line arguments ``argv`` (default: sys.argv); return its metrics."""
    parser = example_parser(__doc__, out="out/discriminator_generates", save_every=5, unit="rounds")
    parser.add_argument("--dim", type=int, choices=[1, 2], default=1, help="1-D (enumeration) or 2-D (gradient ascent)")
    parser.add_argument("--data", choices=["gaussian", "mixture"], default="gaussian", help="1-D positives")
    parser.add_argument("--rounds", type=int, default=20, help="rounds of the algorithm (default: %(default)s)")
    parser.add_argument("--steps", type=int, default=150, help="updates of D per round (default: %(default)s)")
    parser.add_argument("--negatives", type=int, default=500,
                        help="negatives generated per round (default: %(default)s)")
    parser.add_argument("--k", type=int, default=5,
                        help="1-D: each x̃ is the arg max of D over k random grid points (default: %(default)s)")
    parser.add_argument("--ascent-steps", type=int, default=30,
                        help="2-D: gradient-ascent steps (default: %(default)s)")
    parser.add_argument("--ascent-lr", type=float, default=0.02,
                        help="2-D: gradient-ascent step η (default: %(default)s)")
    parser.add_argument("--replace", action="store_true",
                        help="each round's negatives replace the earlier ones (keep=False) instead of joining them")
    parser.add_argument("--hidden", type=int, default=64, help="hidden units of D (default: %(default)s)")
    parser.add_argument("--lr", type=float, default=3e-3, help="Adam's learning rate for D (default: %(default)s)")
    args = parser.parse_args(argv)
    out = setup_run(args)
    start = time.perf_counter()

    D = make_discriminator(args.dim, args.hidden)
    opt = optim.Adam(D.parameters(), lr=args.lr, betas=(0.5, 0.999), maximize=True)
    # what the figures show of each round: kept in the checkpoint, so that a resumed run draws every round
    snapshots, rounds_ks, frames = [], [], []
    if args.dim == 1:
        data = Gaussian1D() if args.data == "gaussian" else Mixture1D()
        lo, hi = data.overall_mean - 5 * data.overall_std, data.overall_mean + 5 * data.overall_std
        positives = data.sample(2000)
        grid = np.linspace(lo, hi, 1201)
        grid_t = mg.tensor(grid[:, None])
        start_negatives = mg.rand(args.negatives, 1) * (hi - lo) + lo  # random negatives over X = [lo, hi]
        generate = lambda D: argmax_by_enumeration(D, grid_t, args.negatives, args.k)  # noqa: E731
        bins = np.linspace(lo, hi, 61)
        peak = np.histogram(positives.numpy(), bins, density=True)[0].max()

        def callback(r, history):
            negatives, x_tilde = history["negatives"], history["x_tilde"]
            ks = ks_statistic(negatives.numpy(), positives.numpy())
            rounds_ks.append(ks)
            if r in shown_rounds(args.rounds):
                snapshots.append({"round": r, "D": d_of(D, grid[:, None]), "negatives": negatives.numpy(),
                                  "x_tilde": x_tilde.numpy(), "ks": ks})
            if not args.no_gif:  # training.gif: D(x) and this round's x̃, every round
                frames.append({"title": f"round {r + 1}: KS {ks:.3f}", "curves": [
                    d_of(D, grid[:, None]), histogram_on(x_tilde.numpy().reshape(-1), grid, bins, peak)]})
    else:
        data = ring(std=0.1)  # wider modes than the benchmark's, so that the heat maps can show them
        box = 1.6
        positives = data.sample(2000)
        start_negatives = mg.rand(args.negatives, 2) * (2 * box) - box
        axis = np.linspace(-box, box, 121)
        plane = np.stack(np.meshgrid(axis, axis), axis=-1).reshape(-1, 2)

        def generate(D):
            starts = mg.rand(args.negatives, 2) * (2 * box) - box
            return argmax_by_gradient_ascent(D, starts, args.ascent_steps, args.ascent_lr, -box, box)

        def callback(r, history):
            negatives, x_tilde = history["negatives"], history["x_tilde"]
            rounds_ks.append(mmd2(subsample(negatives.numpy()), positives.numpy()))
            if r in shown_rounds(args.rounds):
                snapshots.append({"round": r, "D": d_of(D, plane).reshape(len(axis), len(axis)),
                                  "x_tilde": x_tilde.numpy()})
            if not args.no_gif:  # training.gif: D(x) over the plane and this round's x̃, every round
                frames.append({"title": f"round {r + 1}: D(x) and x̃ = arg max D", "points": x_tilde.numpy()[:300],
                               "heat": d_of(D, plane).reshape(len(axis), len(axis))})

    # checkpoint.npz in --out: every --save-every rounds, at the end, on Ctrl-C; --resume continues from it
    checkpoints = Checkpoints(args, "discriminator_generates", out, {"D": D}, {"D": opt}, argv=argv, unit="round",
                              state={"snapshots": snapshots, "rounds_ks": rounds_ks, "frames": frames})
    start_round, history = checkpoints.resume()
    with checkpoints:
        history = discriminator_generation(D, opt, positives, start_negatives, generate, args.rounds, args.steps,
                                           keep=not args.replace, callback=checkpoints.callback(callback),
                                           progress=not args.no_progress, start_round=start_round, history=history)
    checkpoints.save(args.rounds, history)
    negatives, x_tilde = history["negatives"].numpy(), history["x_tilde"].numpy()
    metrics = {"V_per_round": history["V"], "seconds": time.perf_counter() - start, "settings": vars(args)}
    if args.dim == 1:
        metrics.update(ks_negatives_vs_positives=rounds_ks[-1], ks_per_round=rounds_ks,
                       ks_last_round_vs_positives=ks_statistic(x_tilde, positives.numpy()),
                       ks_start_vs_positives=ks_statistic(start_negatives.numpy(), positives.numpy()))
        figure_1d(snapshots, positives.numpy(), grid, out / "rounds_1d.png")
        if frames:
            curves_gif(frames, grid, out / GIF, styles=[{"color": "black", "label": "D(x)"},
                                                        {"color": "red", "label": "x̃ = arg max D (this round)"}],
                       static=[(histogram_on(positives.numpy().reshape(-1), grid, bins, peak),
                                {"color": "green", "label": "positives (data)"})], ylim=(0, 1.3))
    else:
        modes = mode_metrics(subsample(negatives, 2500), data.modes, data.std)
        metrics.update(mmd2_negatives_vs_positives=rounds_ks[-1], mmd2_per_round=rounds_ks,
                       mode_metrics_of_negatives=modes,
                       mmd2_start_vs_positives=mmd2(start_negatives.numpy(), positives.numpy()))
        figure_2d(snapshots, positives.numpy(), box, out / "rounds_2d.png")
        if frames:
            scatter_gif(frames, out / GIF, positives.numpy()[:300], span=box)
    save_samples(negatives, out / "samples.npy")
    save_json(metrics, out / "metrics.json")
    for key in ("ks_start_vs_positives", "ks_negatives_vs_positives", "ks_last_round_vs_positives",
                "mmd2_start_vs_positives", "mmd2_negatives_vs_positives", "seconds"):
        if key in metrics:
            print(f"{key:>28}: {metrics[key]:.4f}")
    if args.dim == 2:
        print(f"{'negatives near the modes':>28}: {modes['modes']}/8 modes, "
              f"{100 * modes['high_quality']:.1f}% within 3σ")
    print(f"figures, samples.npy (the final negatives) and metrics.json in {out}/")
    return metrics


if __name__ == "__main__":
    main()
