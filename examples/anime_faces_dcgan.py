"""Anime face generation (lecture section 4) with a DCGAN, and the latent traversal of section 1.

G turns z ~ N(0, I) into a colour image with transposed convolutions (4 → 8 → 16 → 32 pixels, 64 for
--size 64), D judges an image with strided convolutions (minigan/models.py: dcgan_generator and
dcgan_discriminator; Radford et al., "Unsupervised Representation
Learning with Deep Convolutional GANs", 2016: BatchNorm in both, ReLU in G, LeakyReLU(0.2) in D, tanh
output, Adam(2e-4, β₁ = 0.5)); here D judges pairs of faces (PacGAN packing, section 12) and sees how much its
features vary over groups of 4 pairs (the minibatch standard deviation of Karras et al., 2018), and the
learning rate decays linearly to 0 over the second half of training.  They are trained with the
loop of minigan/train/gan.py on toy anime faces drawn by ``minigan.data.make_faces`` (no download), or on
the images of a folder (--data).  In --out:

    samples_step00100.png ...  the same 64 z's drawn by G after 100, 1000, 2000, 5000, ... updates (as far as
                               the run goes), the lecture's "noise, then colour, then faces"
    samples_final.png          and at the end of training
    traversal.png              section 1: fix z, sweep one coordinate z_j from −3 to 3, one row per j; the rows
                               are the coordinates that change an attribute most, as the attribute
                               classifier of minigan/metrics/classifier.py measures it (named under each face)
    history.png                Ṽ of D, mean D(x) and mean D(G(z)) over training
    diagnostics.png            mean D(x), mean D(G(z)) and the gradient norm of each layer of D and G
    training.gif               the same 64 z's drawn by G, one frame per 1/40 of the run (--no-gif: none)
    checkpoint.npz             every --save-every updates, at the end and on Ctrl-C; --resume continues from it,
                               python -m minigan.generate draws new faces from it
    samples.npy                --samples generated faces, N×3×H×W in [−1, 1]
    metrics.json               per attribute, the total-variation distance between how often generated and
                               real faces show each value; the Fréchet distance of the classifier's features;
                               how much each coordinate of z changes each attribute

    python examples/anime_faces_dcgan.py                          # the default run (see docs/results.md)
    python examples/anime_faces_dcgan.py --data ~/faces --size 64 --steps 20000 --device gpu
"""
import time

import numpy as np

import minigan as mg
from minigan.cli import add_beta1_option, add_ema_option, example_parser
from minigan.data import FACE_ATTRIBUTES, ImageFolder, make_faces
from minigan.io import save_json, save_samples
from minigan.metrics.classifier import attribute_probabilities, face_classifier, face_metrics
from minigan.models import dcgan_discriminator, dcgan_generator, dcgan_init
from minigan.plot import diagnostics_figure, gan_history_figure, image_grid, pyplot, save, save_image_grid
from minigan.run import generate, setup_run, train_image_gan
from minigan.train import PacDiscriminator
from minigan.train.minibatch_std import groups_fit

REACH = 3.0  # the traversal sweeps z_j over [−REACH, REACH]: 3 standard deviations of the prior
SWEEP = 9  # faces per traversal row


# ---------------------------------------------------------------- section 1: one coordinate, one attribute
def traversal_strength(G, classifier, z_dim: int, bases: int) -> tuple[np.ndarray, np.ndarray]:
    """How much each coordinate of z changes each attribute, and the z's it was measured from.

    For each base z and each coordinate j, G draws z with z_j = −REACH and with z_j = +REACH; the change of
    an attribute is the total-variation distance between the classifier's p(value | face) for the two.
    Returns change[base, j, attribute] (in FACE_ATTRIBUTES order) and the base z's.
    """
    z = mg.randn(bases, z_dim).numpy()
    ends = np.repeat(z[:, None, None, :], z_dim, axis=1).repeat(2, axis=2)  # base, j, end, coordinate
    j = np.arange(z_dim)
    ends[:, j, 0, j], ends[:, j, 1, j] = -REACH, REACH
    p = attribute_probabilities(classifier, generate(G, mg.tensor(ends.reshape(-1, z_dim))))
    change = np.stack([0.5 * np.abs(np.diff(p[name].reshape(bases, z_dim, 2, -1), axis=2)).sum(axis=(2, 3))
                       for name in FACE_ATTRIBUTES], axis=-1)
    return change, z


def traversal_figure(G, classifier, change, z, rows: int, path) -> list:
    """For each attribute, the coordinate j of z that changes it most, swept on the z where it changes most.

    Rows are ordered by that change, largest first (at most ``rows`` of them).  Returns, per row, the
    coordinate, the attribute, its mean change, the largest mean change of any *other* attribute (how
    entangled the coordinate is), and what the classifier reads along the row.
    """
    names = list(FACE_ATTRIBUTES)
    mean_change = change.mean(axis=0)  # j, attribute
    best = [(mean_change[:, a].max(), int(mean_change[:, a].argmax()), a) for a in range(len(names))]
    sweep = np.linspace(-REACH, REACH, SWEEP)
    shown, images = [], []
    for _, j, a in sorted(best, reverse=True)[:rows]:
        base = int(change[:, j, a].argmax())  # the z on which this coordinate changes the attribute most
        zs = np.repeat(z[base][None], SWEEP, axis=0)
        zs[:, j] = sweep
        row = generate(G, mg.tensor(zs))
        predicted = attribute_probabilities(classifier, row)[names[a]].argmax(axis=1)
        images.append(row)
        others = np.delete(mean_change[j], a)
        shown.append({"dimension": j, "attribute": names[a], "mean_change": float(mean_change[j, a]),
                      "largest_other_change": float(others.max()),
                      "row_change": float(change[base, j, a]), "base": base,
                      "predicted_along_row": [FACE_ATTRIBUTES[names[a]][v] for v in predicted]})
    plt = pyplot()
    side = images[0].shape[-1] + 1  # pixels per face in the grid, with its 1-pixel border
    fig, ax = plt.subplots(figsize=(SWEEP * 0.95 + 1.6, len(images) * 1.05 + 0.5))
    ax.imshow(image_grid(np.concatenate(images), nrow=SWEEP), interpolation="nearest")
    ax.set_xticks([side * (c + 0.5) for c in range(SWEEP)], [f"z_j = {v:+.1f}" for v in sweep], fontsize=6)
    ax.xaxis.tick_top()
    ax.set_yticks([side * (r + 0.5) for r in range(len(images))],
                  [f"z[{info['dimension']}]: {info['attribute']}\nchange {info['mean_change']:.2f}"
                   f"\n(others ≤ {info['largest_other_change']:.2f})" for info in shown], fontsize=6)
    for r, info in enumerate(shown):
        for c, value in enumerate(info["predicted_along_row"]):
            ax.text(side * (c + 0.5), side * (r + 1) - 1.5, value, fontsize=5, ha="center", va="bottom",
                    color="white", bbox={"facecolor": "black", "alpha": 0.6, "pad": 0.5, "linewidth": 0})
    ax.set_title("fix z, sweep one coordinate z_j (one row each); labels: what the attribute classifier reads",
                 fontsize=7)
    save(fig, path)
    return shown


# ---------------------------------------------------------------- the run
def load_data(args) -> tuple[np.ndarray, np.ndarray]:
    """Training images and a separate set of real images for the metrics, N×3×size×size in [−1, 1]."""
    if args.data is None:
        train, _ = make_faces(args.faces, size=args.size, seed=args.seed)
        reference, _ = make_faces(args.samples, size=args.size, seed=args.seed + 1)
        return train, reference
    images = ImageFolder(args.data, size=args.size).images
    if len(images) < args.batch:
        raise SystemExit(f"--data {args.data}: {len(images)} readable images, fewer than --batch {args.batch}")
    # a folder has no second set: the metrics compare with (up to --samples of) the training images
    return images, images[:args.samples]


def main(argv=None) -> dict:
    parser = example_parser(__doc__, out="out/anime_faces_dcgan", save_every=500)
    parser.add_argument("--data", help="a folder of face images (PNG/JPEG) instead of the toy faces")
    parser.add_argument("--size", type=int, choices=[32, 64], default=32, help="image side (default: %(default)s)")
    parser.add_argument("--faces", type=int, default=10_000, help="toy faces to train on (default: %(default)s)")
    parser.add_argument("--steps", type=int, default=4000, help="training iterations (default: %(default)s)")
    parser.add_argument("--batch", type=int, default=64, help="m, examples per step (default: %(default)s)")
    parser.add_argument("--lr", type=float, default=2e-4, help="Adam learning rate η (default: %(default)s)")
    parser.add_argument("--z-dim", type=int, default=32, help="dimension of the noise z (default: %(default)s)")
    parser.add_argument("--g-channels", type=int, default=24,
                        help="channels of G's last layer; they double per layer inwards (default: %(default)s)")
    parser.add_argument("--d-channels", type=int, default=32,
                        help="channels of D's first layer; they double per layer (default: %(default)s)")
    parser.add_argument("--pack", type=int, default=2,
                        help="PacGAN: D judges packs of this many faces, 1 for none (default: %(default)s)")
    parser.add_argument("--d-minibatch-std", type=int, default=4, metavar="GROUP",
                        help="D sees the standard deviation of its features over groups of this many of its "
                             "inputs (packs), 0 for none (minigan/train/minibatch_std.py) (default: %(default)s)")
    parser.add_argument("--samples", type=int, default=2000,
                        help="faces generated for samples.npy and the metrics (default: %(default)s)")
    parser.add_argument("--traversal-rows", type=int, default=6, help="rows of traversal.png (default: %(default)s)")
    parser.add_argument("--traversal-bases", type=int, default=32,
                        help="z's the change of each coordinate is averaged over (default: %(default)s)")
    add_beta1_option(parser, default=0.5, beta2=0.999)
    add_ema_option(parser, default=0.0)
    args = parser.parse_args(argv)
    if args.pack < 1 or args.batch % args.pack:
        parser.error(f"--pack {args.pack} must be a positive divisor of --batch {args.batch}")
    inputs = args.batch // args.pack  # what D sees per batch: packs of faces
    if args.d_minibatch_std < 0 or (args.d_minibatch_std and not groups_fit(inputs, args.d_minibatch_std)):
        parser.error(f"--d-minibatch-std {args.d_minibatch_std} must be 0 or a positive divisor of the "
                     f"{inputs} packs D judges per batch (--batch {args.batch} / --pack {args.pack})")
    out = setup_run(args)
    start, cpu_start = time.perf_counter(), time.process_time()

    x_train, reference = load_data(args)
    # D's first layer has 32 channels: with 16 the small attributes (the iris, the blush) came out wrong more
    # often, on every seed and kernel family swept; D sees the minibatch standard deviation over groups of 4 packs:
    # without it the largest attribute TV over the sweep was 0.089 (median) / 0.1115 (max), with it 0.0795 / 0.1005
    # (docs/results.md)
    G = dcgan_generator(args.z_dim, args.g_channels, args.size)
    D = dcgan_discriminator(args.d_channels, args.size, 3 * args.pack, minibatch_std=args.d_minibatch_std)
    dcgan_init(G)
    dcgan_init(D)
    if args.pack > 1:  # section 12: D judges packs of --pack faces, which penalises unbalanced attributes
        D = PacDiscriminator(D, args.pack)
    z_shown = mg.randn(64, args.z_dim)  # the same z's in every grid, so the grids show G changing
    G, history = train_image_gan(args, "anime_faces_dcgan", out, G, D, x_train, z_shown, nrow=8, argv=argv)
    train_seconds, train_cpu = time.perf_counter() - start, time.process_time() - cpu_start

    classifier = face_classifier()
    samples = generate(G, mg.randn(args.samples, args.z_dim))
    save_image_grid(generate(G, z_shown), out / "samples_final.png", nrow=8, title=f"after {args.steps} updates")
    change, z = traversal_strength(G, classifier, args.z_dim, args.traversal_bases)
    shown = traversal_figure(G, classifier, change, z, args.traversal_rows, out / "traversal.png")
    gan_history_figure(history, out / "history.png")
    diagnostics_figure(history, out / "diagnostics.png")
    save_samples(samples, out / "samples.npy")
    metrics = {
        **face_metrics(samples, reference, classifier),
        "traversal": shown,
        # mean over the base z's of the change of each attribute, per coordinate of z
        "traversal_change": {name: change.mean(axis=0)[:, a].tolist() for a, name in enumerate(FACE_ATTRIBUTES)},
        "train_seconds": train_seconds,
        "train_cpu_seconds": train_cpu,
        "seconds": time.perf_counter() - start,
        "cpu_seconds": time.process_time() - cpu_start,
        "settings": vars(args),
    }
    save_json(metrics, out / "metrics.json")
    print("attribute TV distance, generated vs real: "
          + ", ".join(f"{name} {tv:.3f}" for name, tv in metrics["attribute_tv"].items()))
    print(f"Fréchet distance of the classifier's features: {metrics['frechet_distance']:.2f}")
    best = shown[0]
    print(f"traversal: z[{best['dimension']}] changes {best['attribute']} most (mean change {best['mean_change']:.2f}): "
          + " → ".join(best["predicted_along_row"]))
    print(f"training took {train_seconds:.0f} s ({train_cpu:.0f} s of CPU time); "
          f"figures, samples.npy and metrics.json in {out}/")
    return metrics


if __name__ == "__main__":
    main()
