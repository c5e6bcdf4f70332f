"""Mode coverage on the standard 2-D benchmarks: 8 Gaussians on a ring, 25 on a grid (sections 10 and 12).

A GAN trained with the lecture's loop (minigan/train/gan.py) on a mixture whose modes are known, then
judged with the VEEGAN/PacGAN protocol (minigan/metrics/modes.py): 2,500 samples; high quality = within
3σ of the nearest mode; a mode is captured when at least one high-quality sample is nearest to it;
reverse KL between the captured-mode histogram and the uniform one.

    python examples/mixture_gan.py --data ring                  # the default settings for the ring
    python examples/mixture_gan.py --data grid --loss wgan-gp   # another objective (section 12)
    python examples/mixture_gan.py --data grid --pack 1         # no PacGAN packing

Every setting has a default per data set (printed at the start and saved in metrics.json).
"""
import time

import numpy as np

import minigan as mg
from minigan import nn, optim
from minigan.cli import add_ema_option, example_parser, fill_defaults
from minigan.data.mixtures import DATASETS
from minigan.io import save_json, save_samples
from minigan.metrics.modes import N_SAMPLES, mode_metrics, nearest_mode
from minigan.models import mixture_generator, mlp
from minigan.functional import sigmoid
from minigan.plot import diagnostics_figure, pyplot, save
from minigan.run import Checkpoints, Frames, fixed_noise, setup_run
from minigan.train import AveragedModel, PacDiscriminator, train_gan
from minigan.train.diagnostics import GradientNorms
from minigan.train.objectives import OBJECTIVES
from minigan.train.shared import fixed, linear_decay

# per data set, the default settings; any of them can be overridden on the command line.  z ∈ R⁸ rather than R²:
# with a 2-D z, one run in five let a whole column of the grid empty late in training (reverse KL ≈ 0.2), and
# which run depended on the CPU's BLAS kernels; with z ∈ R⁸ no run of the sweep in docs/results.md did.  45,000
# updates rather than 30,000: with 30,000, one run in ten of each data set still left a few per cent of its samples
# between the modes; the longer decay put every run of the sweep above the high-quality targets
DEFAULTS = {
    "ring": dict(loss="gan", pack=2, steps=45000, batch=512, lr=2e-3, hidden=128, layers=2, z_dim=8, d_steps=1,
                 ema=0.0),
    "grid": dict(loss="gan", pack=2, steps=45000, batch=512, lr=2e-3, hidden=128, layers=2, z_dim=8, d_steps=1,
                 ema=0.0),
}
# Adam's β₁, β₂: the GAN papers' (0.5, 0.999); WGAN-GP's paper uses (0, 0.9)
BETAS = {"wgan-gp": (0.0, 0.9)}


def generate(G, n: int, z_dim: int, scale: float) -> np.ndarray:
    """n samples of G, back in the data's units (G learns the data divided by ``scale``)."""
    with mg.no_grad():
        return G(mg.randn(n, z_dim)).numpy() * scale


def scatter(ax, samples, data, title: str) -> None:
    """The generated points (high quality in blue, the others in grey) over the modes (red) and their 3σ circles."""
    _, distance = nearest_mode(samples, data.modes)
    good = distance <= 3 * data.std
    ax.scatter(*data.modes.T, s=30, color="red", marker="+", linewidths=0.6, zorder=0)
    ax.scatter(*samples[~good].T, s=2, color="0.6", alpha=0.5, linewidths=0)
    ax.scatter(*samples[good].T, s=2, color="tab:blue", alpha=0.5, linewidths=0)
    span = np.abs(data.modes).max() * 1.25
    ax.set_xlim(-span, span)
    ax.set_ylim(-span, span)
    ax.set_aspect("equal")
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])


def snapshots_figure(snapshots, data, path) -> None:
    plt = pyplot()
    fig, axes = plt.subplots(1, len(snapshots), figsize=(2.6 * len(snapshots), 2.8))
    for ax, (step, samples) in zip(np.atleast_1d(axes), snapshots):
        m = mode_metrics(samples, data.modes, data.std)
        scatter(ax, samples, data, f"update {step}\n{m['modes']} modes, {100 * m['high_quality']:.1f}% high quality")
    save(fig, path)


def zoom_figure(samples, real, data, path) -> None:
    """Two modes up close: the generated points (blue) and data (green) next to the protocol's 3σ circle."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(6, 3))
    for ax, mode in zip(axes, data.modes[[0, len(data.modes) // 2]]):
        ax.scatter(*real.T, s=3, color="green", alpha=0.4, linewidths=0)
        ax.scatter(*samples.T, s=3, color="tab:blue", alpha=0.4, linewidths=0)
        ax.add_patch(plt.Circle(mode, 3 * data.std, fill=False, color="red", linewidth=0.8))
        r = 8 * data.std
        ax.set_xlim(mode[0] - r, mode[0] + r)
        ax.set_ylim(mode[1] - r, mode[1] + r)
        ax.set_aspect("equal")
        ax.set_title(f"mode ({mode[0]:.2f}, {mode[1]:.2f})", fontsize=9)
    save(fig, path)


HEAT = 48  # the heat map of D is HEAT × HEAT points
ARROWS = 200  # G's samples that get an arrow


def gan_lab_view(G, D, objective, z, data, scale: float, pack: int) -> dict:
    """What GAN Lab shows (Kahng et al., "GAN Lab", VAST 2018) at one moment: the data, G's samples, D's output
    over the plane as a heat map, and for each sample the gradient of G's Ṽ with respect to it: the direction
    G's update moves it.  With PacGAN packing, D's output at a point is its output on a pack of copies of it."""
    span = np.abs(data.modes).max() * 1.25
    axis = np.linspace(-span, span, HEAT, dtype=np.float32)
    plane = np.stack(np.meshgrid(axis, axis), axis=-1).reshape(-1, 2) / scale
    with mg.no_grad():
        heat = sigmoid(D(mg.tensor(np.repeat(plane, pack, axis=0)))).numpy().reshape(HEAT, HEAT)
        x_tilde = G(z).numpy()
    x = mg.tensor(x_tilde, requires_grad=True)
    with fixed(D):
        V, _ = objective.generator_value(D, x)
        (push,) = mg.grad(V, [x])
    return {"samples": x_tilde * scale, "heat": heat, "push": push.numpy()[:ARROWS]}


def gan_lab_frames(fig, data, real, first):
    """training.gif: ``gan_lab_view``'s picture, one frame per moment of training."""
    ax = fig.add_axes([0.02, 0.02, 0.96, 0.88])
    span = np.abs(data.modes).max() * 1.25
    heat = ax.imshow(first["heat"], origin="lower", extent=(-span, span, -span, span), cmap="RdYlGn", vmin=0,
                     vmax=1, alpha=0.55, interpolation="bilinear", animated=True)
    ax.scatter(*real.T, s=3, color="green", linewidths=0, label="data")
    samples = ax.scatter(*first["samples"].T, s=3, color="purple", linewidths=0, label="G(z)", animated=True)
    arrows = ax.quiver(*first["samples"][:ARROWS].T, *first["push"].T, color="black", angles="xy",
                       scale_units="xy", scale=1 / (0.15 * span), width=0.003, animated=True)
    ax.set_xlim(-span, span)
    ax.set_ylim(-span, span)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.legend(loc="lower left", fontsize=6, markerscale=2)
    title = fig.suptitle("", fontsize=7, animated=True)

    def update(frame):
        heat.set_data(frame["heat"])
        samples.set_offsets(frame["samples"])
        push = frame["push"]
        push = push / (np.linalg.norm(push, axis=1).max() or 1.0)  # the longest arrow is 15 % of the view
        arrows.set_offsets(frame["samples"][:len(push)])
        arrows.set_UVC(push[:, 0], push[:, 1])
        title.set_text(f"after {frame['step']} updates: D's output (green: real), G's samples, where G moves them")
        return heat, samples, arrows, title
    return update


def main(argv=None) -> dict:
    """Run the example with command-line arguments ``argv`` (default: sys.argv); return its metrics."""
    parser = example_parser(__doc__, out="out/mixture_gan", save_every=2000)
    parser.add_argument("--data", choices=sorted(DATASETS), default="ring")
    parser.add_argument("--loss", choices=sorted(OBJECTIVES), help="what D and G maximise (default per data set)")
    parser.add_argument("--pack", type=int, help="PacGAN: examples per discriminator input (1 = no packing)")
    parser.add_argument("--steps", type=int, help="training iterations")
    parser.add_argument("--batch", type=int, help="m, examples per step")
    parser.add_argument("--lr", type=float, help="initial learning rate η of both Adams (decays linearly to 0)")
    parser.add_argument("--hidden", type=int, help="units per hidden layer of G and D")
    parser.add_argument("--layers", type=int, help="hidden layers of G and D")
    parser.add_argument("--z-dim", type=int, help="dimension of the noise z")
    parser.add_argument("--d-steps", type=int, help="k, updates of D per iteration")
    add_ema_option(parser, default=None)
    parser.add_argument("--g-activation", choices=["relu", "leaky_relu"], default="relu",
                        help="G's hidden activation (default: %(default)s; D always uses LeakyReLU(0.2))")
    args = parser.parse_args(argv)
    fill_defaults(args, DEFAULTS[args.data])
    out = setup_run(args)
    print("settings:", {key: getattr(args, key) for key in DEFAULTS[args.data]})
    start = time.perf_counter()

    data = DATASETS[args.data]()
    # G learns the data divided by their standard deviation (the usual input normalisation: the grid spans
    # ±4, which would otherwise take G's last layer thousands of updates to reach); samples are scaled back
    scale = data.overall_std
    # G with ReLU, as in PacGAN: its flat pieces map whole regions of z onto one mode, so few samples are left
    # on the bridges between modes (ring, seed 0: 98.2 % of the samples high quality with ReLU, 85.4 % with
    # LeakyReLU(0.2); docs/results.md).  D with LeakyReLU(0.2), so that its gradient never vanishes.
    G = mixture_generator(vars(args))
    D = mlp(2 * args.pack, args.hidden, 1, args.layers, lambda: nn.LeakyReLU(0.2))
    if args.pack > 1:
        D = PacDiscriminator(D, args.pack)
    betas = BETAS.get(args.loss, (0.5, 0.999))
    opt_D = optim.Adam(D.parameters(), lr=args.lr, betas=betas, maximize=True)
    opt_G = optim.Adam(G.parameters(), lr=args.lr, betas=betas, maximize=True)
    # the learning rate decays linearly to 0, so the samples settle into the modes instead of jittering
    # around them (a jitter of a few σ = 0.01 is enough to leave the 3σ circle of the ring)
    schedule = linear_decay(args.steps)

    # samples come from G's weights averaged over the last updates when --ema is set (a stabiliser around the
    # lecture's loop; minigan/train/ema.py)
    G_average = AveragedModel(G, args.ema) if args.ema > 0 else None
    G_sample = G_average or G
    snap_steps = sorted({args.steps // 10, args.steps // 4, args.steps // 2, args.steps - 1})
    snapshots = []

    def callback(step, history):
        if step in snap_steps:
            snapshots.append((step + 1, generate(G_sample, N_SAMPLES, args.z_dim, scale)))

    sample_real = lambda m: data.sample(m) * (1 / scale)  # noqa: E731
    objective = OBJECTIVES[args.loss]()
    # training.gif: the GAN Lab view every 1/40 of the run, for the same 512 z's (noise of their own)
    z_frames = fixed_noise(args.seed, 512, args.z_dim)
    frames = Frames(args, args.steps, lambda step: {
        "step": step, **gan_lab_view(G_sample, D, objective, z_frames, data, scale, args.pack)})
    # checkpoint.npz in --out: every --save-every updates, at the end, on Ctrl-C; --resume continues from it
    models = {"G": G, "D": D, **({"G_average": G_average} if G_average else {})}
    checkpoints = Checkpoints(args, "mixture_gan", out, models, {"D": opt_D, "G": opt_G},
                              state={"snapshots": snapshots, "frames": frames.frames}, argv=argv)
    start_step, history = checkpoints.resume()
    norms = GradientNorms(G, D, args.steps)  # each layer's gradient norm, for diagnostics.png
    with checkpoints:
        history = train_gan(G, D, sample_real, lambda m: mg.randn(m, args.z_dim), opt_D, opt_G, steps=args.steps,
                            m=args.batch, k=args.d_steps, objective=objective, lr_schedule=schedule,
                            start_step=start_step, history=history,
                            callback=checkpoints.callback(norms, callback, frames.callback),
                            progress=not args.no_progress, average=G_average)
    checkpoints.save(args.steps, history)
    seconds = time.perf_counter() - start

    samples = generate(G_sample, N_SAMPLES, args.z_dim, scale)
    metrics = {**mode_metrics(samples, data.modes, data.std), "seconds": seconds,
               "final_V_D": history["V_D"][-1], "settings": vars(args)}
    snapshots_figure(snapshots, data, out / f"{args.data}_training.png")
    real = data.sample(N_SAMPLES).numpy()
    zoom_figure(samples, real, data, out / f"{args.data}_zoom.png")
    diagnostics_figure(history, out / "diagnostics.png")
    frames.save(out, lambda fig: gan_lab_frames(fig, data, real[:1000], frames.frames[0]), figsize=(4, 4.2))
    save_samples(samples, out / "samples.npy")
    save_json(metrics, out / "metrics.json")
    print(f"{args.data}, {args.loss}, pack {args.pack}, seed {args.seed}: {metrics['modes']}/{len(data.modes)} modes, "
          f"{100 * metrics['high_quality']:.1f}% high quality, reverse KL {metrics['reverse_kl']:.3f}, "
          f"{seconds:.0f} s")
    print(f"figures, samples.npy and metrics.json in {out}/")
    return metrics


if __name__ == "__main__":
    main()
