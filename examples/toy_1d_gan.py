"""The lecture's GAN on a 1-D toy: learn N(4, 1.25²) from samples (sections 2, 3 and 11).

G turns noise z into a number, D scores numbers; both are small MLPs trained with the loop of
minigan/train/gan.py.  At several moments of training the script draws, on one axis each, the data
density, the generator's density, D(x) and the optimal D*(x) = P_data / (P_data + P_G), and at the end
it prints and saves the metrics: mean and σ error, KS and Wasserstein-1 distances on 10,000 samples,
and V(G, D) beside −2 log 2 + 2 JSD(P_data ‖ P_G).  The samples (and P_G) come from G with its weights
averaged over its last few hundred updates (--ema; at 4,000 updates the warm-up of minigan/train/ema.py sets the
span, about the last 450; --ema 0 for G's own weights).

    python examples/toy_1d_gan.py                       # ~25 s on a 2-core CPU
    python examples/toy_1d_gan.py --loss minimax        # the theory's G objective
    python examples/toy_1d_gan.py --data mixture        # two modes
"""
import math
import time

import numpy as np

import minigan as mg
from minigan import optim
from minigan.cli import add_ema_option, example_parser
from minigan.data.toy import Gaussian1D, Mixture1D
from minigan.io import save_json, save_samples
from minigan.metrics import gaussian_kde, ks_statistic, moments_error, wasserstein_1d
from minigan.models import toy_networks
from minigan.plot import diagnostics_figure, pyplot, save
from minigan.run import Checkpoints, Frames, fixed_noise, setup_run
from minigan.theory import jensen_shannon, optimal_discriminator, value_function
from minigan.train import AveragedModel, train_gan
from minigan.train.diagnostics import GradientNorms
from minigan.train.objectives import OBJECTIVES
from minigan.train.shared import linear_decay


def generate(G, n: int, z_dim: int) -> np.ndarray:
    with mg.no_grad():
        return G(mg.randn(n, z_dim)).numpy().reshape(-1)


def discriminate(D, grid: np.ndarray) -> np.ndarray:
    """D(x) = σ(logit) on a grid of x values (σ taken in float64, so log D and log(1 − D) stay finite)."""
    with mg.no_grad():
        logit = D(mg.tensor(grid.reshape(-1, 1))).numpy().reshape(-1).astype(np.float64)
    return 1.0 / (1.0 + np.exp(-logit))


def snapshot(G, D, data, grid, z_dim: int, step: int) -> dict:
    """Everything the theory figure draws at one moment of training."""
    p_g = gaussian_kde(generate(G, 5000, z_dim), grid)
    return {"step": step, "p_g": p_g, "D": discriminate(D, grid), "D_star": optimal_discriminator(data.pdf(grid), p_g)}


def theory_figure(snapshots, data, grid, path) -> None:
    plt = pyplot()
    fig, axes = plt.subplots(1, len(snapshots), figsize=(3.2 * len(snapshots), 3), sharey=True)
    for ax, snap in zip(np.atleast_1d(axes), snapshots):
        ax.plot(grid, data.pdf(grid), color="green", label="$P_{data}$")
        ax.plot(grid, snap["p_g"], color="blue", label="$P_G$")
        ax.plot(grid, snap["D"], color="red", label="$D(x)$")
        ax.plot(grid, snap["D_star"], color="red", linestyle=":", label="$D^*(x)$")
        ax.set_title(f"update {snap['step']}")
        ax.set_xlabel("x")
    np.atleast_1d(axes)[0].legend(loc="upper left", fontsize=8)
    save(fig, path)


def theory_frames(fig, data, grid):
    """training.gif: the theory figure, one frame per moment of training (D* from P_data and that moment's P_G)."""
    ax = fig.add_subplot(1, 1, 1)
    fig.subplots_adjust(bottom=0.16)
    p_data = data.pdf(grid)
    ax.plot(grid, p_data, color="green", label="$P_{data}$")
    p_g, = ax.plot(grid, p_data, color="blue", label="$P_G$", animated=True)
    d, = ax.plot(grid, p_data, color="red", label="$D(x)$", animated=True)
    d_star, = ax.plot(grid, p_data, color="red", linestyle=":", label="$D^*(x)$", animated=True)
    ax.set_ylim(0, max(1.05, 1.1 * p_data.max()))
    ax.set_xlabel("x")
    ax.legend(loc="upper left", fontsize=7)
    title = ax.set_title("", fontsize=9, animated=True)

    def update(frame):
        p_g.set_ydata(frame["p_g"])
        d.set_ydata(frame["D"])
        d_star.set_ydata(optimal_discriminator(p_data, frame["p_g"]))
        title.set_text(f"after {frame['step']} updates")
        return p_g, d, d_star, title
    return update


def history_figure(history, path) -> None:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 3))
    for key, label in (("V_D", "Ṽ (D)"), ("D_x", "mean D(x)"), ("D_G_z", "mean D(G(z))")):
        ax.plot(history[key], label=label, linewidth=0.8)
    ax.axhline(-2 * math.log(2), color="gray", linestyle=":", label="−2 log 2")
    ax.axhline(0.5, color="gray", linestyle="--", linewidth=0.5)
    ax.set_xlabel("update")
    ax.legend(fontsize=8)
    save(fig, path)


def main(argv=None) -> dict:
    parser = example_parser(__doc__, out="out/toy_1d_gan", save_every=1000)
    parser.add_argument("--data", choices=["gaussian", "mixture"], default="gaussian")
    parser.add_argument("--loss", choices=sorted(OBJECTIVES), default="gan",
                        help="what D and G maximise: gan, the lecture's (G maximises log D(G(z))), minimax (G "
                             "minimises log(1 − D(G(z)))), or a variant of section 12 (default: %(default)s)")
    parser.add_argument("--steps", type=int, default=4000, help="training iterations (default: %(default)s)")
    parser.add_argument("--batch", type=int, default=256, help="m, examples per step (default: %(default)s)")
    parser.add_argument("--lr", type=float, default=2e-3, help="initial learning rate η (default: %(default)s)")
    parser.add_argument("--d-steps", type=int, default=3, help="k, updates of D per iteration (default: %(default)s)")
    parser.add_argument("--hidden", type=int, default=32, help="hidden units of G and D (default: %(default)s)")
    parser.add_argument("--z-dim", type=int, default=4, help="dimension of the noise z (default: %(default)s)")
    add_ema_option(parser, default=0.999)
    args = parser.parse_args(argv)
    out = setup_run(args)
    start = time.perf_counter()

    data = Gaussian1D() if args.data == "gaussian" else Mixture1D()
    G, D = toy_networks(args.z_dim, args.hidden)
    opt_D = optim.Adam(D.parameters(), lr=args.lr, betas=(0.5, 0.999), maximize=True)
    opt_G = optim.Adam(G.parameters(), lr=args.lr, betas=(0.5, 0.999), maximize=True)
    # The learning rate decays linearly to 0: a GAN's iterates circle around the equilibrium, and shrinking
    # steps let them settle there instead of oscillating (see docs/lecture.md, section 3).
    schedule = linear_decay(args.steps)

    grid = np.linspace(data.overall_mean - 5 * data.overall_std, data.overall_mean + 5 * data.overall_std, 801)
    # Samples come from G's weights averaged over the last updates when --ema is set (a stabiliser, not the
    # lecture's algorithm: see minigan/train/ema.py and docs/lecture.md, section 3)
    G_average = AveragedModel(G, args.ema) if args.ema > 0 else None
    G_sample = G_average or G
    snap_steps = sorted({0, args.steps // 10, args.steps // 3, args.steps - 1})
    snapshots = []

    def callback(step, history):
        if step in snap_steps:
            snapshots.append(snapshot(G_sample, D, data, grid, args.z_dim, step + 1))

    # training.gif: the theory figure every 1/40 of the run, P_G from the same 1,000 z's (noise of its own)
    z_frames = fixed_noise(args.seed, 1000, args.z_dim)

    def theory_now(step):
        with mg.no_grad():
            x = G_sample(z_frames).numpy().reshape(-1)
        return {"step": step, "p_g": gaussian_kde(x, grid), "D": discriminate(D, grid)}

    frames = Frames(args, args.steps, theory_now)

    # checkpoint.npz in --out: every --save-every updates, at the end, on Ctrl-C; --resume continues from it
    models = {"G": G, "D": D, **({"G_average": G_average} if G_average else {})}
    checkpoints = Checkpoints(args, "toy_1d_gan", out, models, {"D": opt_D, "G": opt_G},
                              state={"snapshots": snapshots, "frames": frames.frames}, argv=argv)
    start_step, history = checkpoints.resume()
    objective = OBJECTIVES[args.loss]()
    norms = GradientNorms(G, D, args.steps)  # each layer's gradient norm, for diagnostics.png
    with checkpoints:
        history = train_gan(G, D, data.sample, lambda m: mg.randn(m, args.z_dim), opt_D, opt_G, steps=args.steps,
                            m=args.batch, k=args.d_steps, objective=objective, lr_schedule=schedule,
                            start_step=start_step, history=history,
                            callback=checkpoints.callback(norms, callback, frames.callback),
                            progress=not args.no_progress, average=G_average)
    checkpoints.save(args.steps, history)

    # ---- metrics on 10,000 samples
    samples = generate(G_sample, 10_000, args.z_dim)
    real = data.sample(10_000).numpy().reshape(-1)
    dx = grid[1] - grid[0]
    p_data, p_g = data.pdf(grid), gaussian_kde(samples, grid)
    metrics = {
        **moments_error(samples, data.overall_mean, data.overall_std),
        "ks": ks_statistic(samples, real),
        "ks_vs_exact_cdf": ks_statistic(samples, cdf=data.cdf),
        "wasserstein_1": wasserstein_1d(samples, real),
        # V(G, D) with the trained D, and at the optimum D*: −2 log 2 + 2 JSD(P_data ‖ P_G)
        "V_trained_D": value_function(p_data, p_g, discriminate(D, grid), dx),
        "V_optimal_D": value_function(p_data, p_g, optimal_discriminator(p_data, p_g), dx),
        "minus_2log2_plus_2JSD": -2 * math.log(2) + 2 * jensen_shannon(p_data, p_g, dx),
        "seconds": time.perf_counter() - start,
        "settings": vars(args),
    }
    theory_figure(snapshots, data, grid, out / "theory.png")
    history_figure(history, out / "history.png")
    diagnostics_figure(history, out / "diagnostics.png")
    frames.save(out, lambda fig: theory_frames(fig, data, grid), figsize=(5, 3.2))
    save_samples(samples[:, None], out / "samples.npy")
    save_json(metrics, out / "metrics.json")
    for key in ("mean_error", "std_ratio_error", "ks", "ks_vs_exact_cdf", "wasserstein_1", "V_trained_D",
                "V_optimal_D", "minus_2log2_plus_2JSD", "seconds"):
        print(f"{key:>24}: {metrics[key]:+.4f}")
    print(f"figures, samples.npy and metrics.json in {out}/")
    return metrics


if __name__ == "__main__":
    main()
