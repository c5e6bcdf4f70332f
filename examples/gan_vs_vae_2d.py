"""GAN vs VAE on a 2-D target whose two coordinates depend on each other (lecture section 8).

The target (green) is a spiral with 1.5 turns and a little noise (minigan/data/curves.py): knowing x₁
says much about x₂.  The GAN's generator and the VAE's decoder are the same network,
2 → hidden → hidden → 2 with LeakyReLU (minigan/models.py: mlp), fed a 2-D code z ~ N(0, I); both get the same number of
parameter updates on batches of the same size, with Adam and the same learning-rate schedule: a linear
decay to 0, as for the 1-D toy GAN (docs/lecture.md, section 3: at a constant rate the GAN's iterates
circle around the target instead of settling; --constant-lr shows it).  The GAN is the lecture's loop
(minigan/train/gan.py, D of the same size as G); the VAE is minigan/train/vae.py with a Gaussian
p(x | c) whose per-coordinate standard deviation is learned.  With the lecture's loss from the first
update, that VAE tends to explain the spiral as wide noise and leave the code unused (its learned σ
stays near 0.6); so by default the KL's weight rises from 0 to 1 over the first half of the updates
(KL warm-up, Bowman et al. 2016), and the second half trains the lecture's loss.  --kl-warmup 0 turns
the warm-up off.

For each model, 5,000 generated points (blue; --eval-points) are measured against the target:

    share within 3σ   points no farther than 3σ from the noiseless curve (the target's own: ≈ 0.997)
    MMD²              unbiased squared maximum mean discrepancy to 5,000 target points, Gaussian
                      kernels of bandwidths 0.1, 0.3 and 1 added (the target against itself: ≈ 0)

The VAE generates the mean of p(x | c) (its decoder output, as G does); its full model adds independent
Gaussian noise to each coordinate, shown and measured as a third panel.

    python examples/gan_vs_vae_2d.py --seed 0       # figure gan_vs_vae_2d.png, metrics.json, *.npy
"""
import time

import numpy as np

import minigan as mg
from minigan import optim
from minigan.cli import example_parser
from minigan.data import DrawnBatches
from minigan.data.curves import Spiral2D
from minigan.io import save_json, save_samples
from minigan.metrics.sample_quality import mmd2, share_near_support
from minigan.models import mlp
from minigan.plot import pyplot, save, scatter_gif
from minigan.run import GIF, GIF_FRAMES, Checkpoints, fixed_noise, setup_run
from minigan.train import VAE, train_gan, train_vae
from minigan.train.shared import linear_decay

BANDWIDTHS = (0.1, 0.3, 1.0)  # from the noise σ = 0.05 up to the spiral's size (radius ≈ 2.2)


def measure(points: np.ndarray, target, reference: np.ndarray) -> dict:
    return {"share_within_3sigma": share_near_support(points, target, 3.0), "mmd2": mmd2(points, reference, BANDWIDTHS)}


def figure(target_points, panels, path) -> None:
    """One panel per model: the target in green, the generated points in blue (the lecture's colours)."""
    plt = pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 4.4), sharex=True, sharey=True)
    for ax, (title, points, numbers) in zip(axes, panels):
        ax.scatter(target_points[:, 0], target_points[:, 1], s=2, color="green", alpha=0.5, label="target")
        ax.scatter(points[:, 0], points[:, 1], s=2, color="blue", alpha=0.5, label="generated")
        ax.set_title(f"{title}\nwithin 3σ: {numbers['share_within_3sigma']:.3f}   MMD²: {numbers['mmd2']:.4f}",
                     fontsize=9)
        ax.set_aspect("equal")
        ax.set_xlim(-3, 3)
        ax.set_ylim(-3, 3)
    axes[0].legend(loc="lower left", markerscale=4, fontsize=8)
    save(fig, path)


def main(argv=None) -> dict:
    """Run the example with command-line arguments ``argv`` (default: sys.argv); return its metrics."""
    parser = example_parser(__doc__, out="out/gan_vs_vae_2d", save_every=1000)
    parser.add_argument("--steps", type=int, default=5000,
                        help="parameter updates of each model (default: %(default)s)")
    parser.add_argument("--batch", type=int, default=256, help="m, examples per update (default: %(default)s)")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate of both (default: %(default)s)")
    parser.add_argument("--hidden", type=int, default=64, help="hidden units of every network (default: %(default)s)")
    parser.add_argument("--z-dim", type=int, default=2, help="dimension of z (GAN) and c (VAE) (default: %(default)s)")
    parser.add_argument("--kl-warmup", type=float, default=0.5,
                        help="share of the VAE's updates over which the KL's weight rises from 0 to 1 "
                             "(default: %(default)s)")
    parser.add_argument("--eval-points", type=int, default=5000,
                        help="generated and target points each model is measured on (default: %(default)s)")
    parser.add_argument("--constant-lr", action="store_true", help="keep both learning rates constant (no decay)")
    args = parser.parse_args(argv)
    out = setup_run(args)
    start = time.perf_counter()
    target = Spiral2D()
    schedule = None if args.constant_lr else linear_decay(args.steps)

    # training.gif: G's (then the VAE decoder's) points for the same 1,000 z's (noise of its own), 1/40 of each run
    z_frames, every, frames = fixed_noise(args.seed, 1000, args.z_dim), max(1, -(-args.steps // GIF_FRAMES)), []

    def snapshot(title, draw):
        def callback(step, history):
            if not args.no_gif and (step + 1) % every == 0:
                with mg.no_grad():
                    frames.append({"title": f"{title}, after {step + 1} updates", "points": draw(z_frames).numpy()})
        return callback

    # ---- GAN: G and D, the lecture's loop
    G, D = mlp(args.z_dim, args.hidden, 2), mlp(2, args.hidden, 1)
    opt_D = optim.Adam(D.parameters(), lr=args.lr, betas=(0.5, 0.999), maximize=True)
    opt_G = optim.Adam(G.parameters(), lr=args.lr, betas=(0.5, 0.999), maximize=True)
    # checkpoint.npz in --out: every --save-every updates (the GAN's, then the VAE's), at the end, on Ctrl-C
    batches = DrawnBatches(lambda: target.sample(args.batch), args.steps)  # the VAE sees as many examples as D
    checkpoints = Checkpoints(args, "gan_vs_vae_2d", out, {"G": G, "D": D}, {"D": opt_D, "G": opt_G},
                              state={"frames": frames, "batches": batches}, argv=argv)

    def make_vae():
        """The VAE: its decoder is G's network; the encoder is as big, with 2n outputs (m and σ)."""
        vae = VAE(mlp(2, args.hidden, 2 * args.z_dim), mlp(args.z_dim, args.hidden, 2), args.z_dim,
                  likelihood="gaussian", data_dim=2)
        checkpoints.models["vae"] = vae
        checkpoints.optimizers["vae"] = optim.Adam(vae.parameters(), lr=args.lr)
        return vae

    # a checkpoint saved during the VAE's training holds it: build it now so that it is restored
    vae = make_vae() if "vae" in checkpoints.saved_models() else None
    done, saved = checkpoints.resume()
    saved = saved or {}
    with checkpoints:
        gan_history = train_gan(G, D, target.sample, lambda m: mg.randn(m, args.z_dim), opt_D, opt_G,
                                steps=args.steps, m=args.batch, lr_schedule=schedule, progress=not args.no_progress,
                                start_step=min(done, args.steps), history=saved.get("gan"),
                                callback=checkpoints.callback(snapshot("GAN: G(z)", lambda z: G(z)),
                                                              history_of=lambda h: {"gan": h}))
        gan_seconds = time.perf_counter() - start

        # ---- VAE, built after the GAN's training, from the random numbers that follow it
        vae = vae or make_vae()
        warmup_steps = args.kl_warmup * args.steps
        kl_weight = (lambda step: min(1.0, step / warmup_steps)) if warmup_steps > 0 else None
        vae_history = train_vae(vae, batches, checkpoints.optimizers["vae"], kl_weight=kl_weight, lr_schedule=schedule,
                                progress=not args.no_progress, start_step=max(0, done - args.steps),
                                history=saved.get("vae"),
                                callback=checkpoints.callback(snapshot("VAE: decoder(c)", lambda c: vae.decode(c)),
                                                              offset=args.steps,
                                                              history_of=lambda h: {"gan": gan_history, "vae": h}))
    checkpoints.save(2 * args.steps, {"gan": gan_history, "vae": vae_history})
    vae_seconds = time.perf_counter() - start - gan_seconds

    # ---- measure --eval-points points of each against fresh target points
    with mg.no_grad():
        gan_points = G(mg.randn(args.eval_points, args.z_dim)).numpy()
    vae_points = vae.generate(args.eval_points).numpy()
    vae_noisy = vae.generate(args.eval_points, noise=True).numpy()
    reference, target_points = target.sample(args.eval_points).numpy(), target.sample(args.eval_points).numpy()
    results = {
        "gan": measure(gan_points, target, reference),
        "vae": measure(vae_points, target, reference),
        "vae_with_noise": measure(vae_noisy, target, reference),
        "target_itself": measure(target_points, target, reference),
    }
    figure(target_points, [("GAN: G(z)", gan_points, results["gan"]),
                           ("VAE: decoder(c), the mean of p(x | c)", vae_points, results["vae"]),
                           ("VAE: x ~ p(x | c), independent noise", vae_noisy, results["vae_with_noise"])],
           out / "gan_vs_vae_2d.png")
    if frames:
        scatter_gif(frames, out / GIF, target_points[:2000], span=3.0)
    for name, points in (("gan_samples", gan_points), ("vae_samples", vae_points),
                         ("vae_samples_with_noise", vae_noisy), ("target_samples", target_points)):
        save_samples(points, out / f"{name}.npy")

    metrics = {
        **results,
        "vae_learned_noise_std": np.exp(vae.log_scale.numpy()),
        "target": {"spiral": repr(target), "noise_sigma": target.noise},
        "mmd_bandwidths": BANDWIDTHS,
        "parameters": {"G": sum(p.data.size for p in G.parameters()), "D": sum(p.data.size for p in D.parameters()),
                       "vae_decoder": sum(p.data.size for p in vae.decoder.parameters()),
                       "vae_encoder": sum(p.data.size for p in vae.encoder.parameters())},
        "gan_seconds": gan_seconds,
        "vae_seconds": vae_seconds,
        "settings": vars(args),
    }
    save_json(metrics, out / "metrics.json")
    print(f"{'':>16}{'within 3σ':>11}{'MMD²':>9}")
    for name in ("gan", "vae", "vae_with_noise", "target_itself"):
        print(f"{name:>16}{results[name]['share_within_3sigma']:11.3f}{results[name]['mmd2']:9.4f}")
    print(f"GAN {gan_seconds:.0f} s, VAE {vae_seconds:.0f} s; figure, samples and metrics.json in {out}/")
    return metrics


if __name__ == "__main__":
    main()
