"""Faces from tags (lecture section 5, text to image in miniature): "blue hair, long hair, red eyes" → that face.

The exercise that follows the anime faces in the course: draw a face from tags.  G(z, c) draws a toy face from
noise z ~ N(0, I) and c, all six attributes of minigan.data.make_faces (hair colour, hair length, eye colour, mouth,
blush, background); D(x, c) judges a face together with its attributes (minigan/models.py:
conditional_face_networks, the DCGAN of examples/anime_faces_dcgan.py with c embedded).  They are trained on toy
faces and the attributes each was drawn with, by the loop of minigan/train/conditional.py: D learns that a real
face with its own attributes is real, that G(z, c) with c is fake, and (matching-aware, the default) that a real
face with one attribute changed is fake too.  c enters D by projection (--conditioning projection, the default) or
by concatenation (--conditioning concat); c enters G joined to z and also as the scale and shift of each of its
batch norms (--g-conditioning batchnorm, the default), or joined to z only (--g-conditioning input).  Tags are words
(minigan/data/face_tags.py: "blue hair", "long hair", "red eyes", "open mouth", "blush", "mint background", ...);
attributes the tags do not name are drawn at random.
In --out:

    samples_step00100.png ...  the tag grid (below) after 100, 1000, 2000, 5000, ... updates (as far as the run goes)
    tags.png                   one tag set per row (--tags: every row those tags), one z per column
    tag_sweep.png              z and the other attributes fixed, one attribute's tag changed along each row
    history.png                Ṽ of D, mean D(x, c) on real pairs and mean D(G(z, c), c) over training
    diagnostics.png            mean D(x, c), mean D(G(z, c), c) and the gradient norm of each layer of D and G
    training.gif               the tag grid, one frame per 1/40 of the run (--no-gif: none)
    checkpoint.npz             every --save-every updates, at the end and on Ctrl-C; --resume continues from it,
                               python -m minigan.generate RUN --tags "pink hair, open mouth" draws new faces from it
    samples.npy                --samples faces, N×3×32×32 in [−1, 1], each from a random tag set: every attribute
                               named with probability ½, with a random value
    conditions.npz             per attribute, the value each face's tags asked for (an index into
                               FACE_ATTRIBUTES[name]), −1 where they did not name it
    metrics.json               judged by the shipped attribute classifier (minigan/metrics/conditional.py): per
                               attribute, how often it reads the value the tags asked for; and, as for the DCGAN, the
                               attribute frequencies against real faces and the Fréchet distance of its features

    python examples/conditional_faces.py                              # the default run (see docs/results.md)
    python examples/conditional_faces.py --tags "blue hair, long hair, red eyes"
    python -m minigan.generate out/conditional_faces --tags "blonde hair, open mouth, blush" --n 16
"""
import argparse
import time
from pathlib import Path

import numpy as np

import minigan as mg
from minigan.cli import add_beta1_option, add_ema_option, example_parser
from minigan.data import FACE_ATTRIBUTES, make_faces
from minigan.data.face_tags import FACE_SIZES, parse_tags, random_requests, tags_of
from minigan.io import atomic_write, save_json, save_samples
from minigan.metrics.classifier import face_metrics
from minigan.metrics.conditional import conditional_face_metrics
from minigan.models import conditional_face_networks, conditional_samples, draw_faces
from minigan.plot import diagnostics_figure, gan_history_figure, image_grid, pyplot, save
from minigan.run import LECTURE_UPDATES, setup_run, train_conditional_image_gan
from minigan.train.minibatch_std import groups_fit

COLUMNS = 8  # faces per row of the grids
TAG_SETS = (  # the rows of tags.png without --tags
    "blue hair, long hair, red eyes",
    "blonde hair, short hair, green eyes, open mouth",
    "pink hair, long hair, purple eyes, blush",
    "black hair, short hair, amber eyes, mint background",
    "red hair, long hair, blue eyes, lavender background",
    "brown hair, short hair, red eyes, open mouth, cream background",
    "blue hair, short hair, amber eyes, no blush, sky background",
    "pink hair, long hair, green eyes, closed mouth, blush",
)


def labelled_grid(images, rows: list[str], path: Path, title: str, captions=None, columns: int = COLUMNS) -> None:
    """Images in rows of ``columns``, each row named on the left, optionally a caption under each image."""
    plt = pyplot()
    side = images.shape[-1] + 1  # pixels per face in the grid, with its 1-pixel border
    fig, ax = plt.subplots(figsize=(columns * 0.95 + 2.2, len(rows) * 1.0 + 0.5))
    ax.imshow(image_grid(images, nrow=columns), interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([side * (r + 0.5) for r in range(len(rows))], rows, fontsize=6)
    for i, caption in enumerate(captions or []):
        if caption:
            r, c = divmod(i, columns)
            ax.text(side * (c + 0.5), side * (r + 1) - 1.5, caption, fontsize=4.5, ha="center", va="bottom",
                    color="white", bbox={"facecolor": "black", "alpha": 0.6, "pad": 0.4, "linewidth": 0})
    ax.set_title(title, fontsize=7)
    save(fig, path)


def grid_conditions(tag_sets) -> np.ndarray:
    """The conditions of the tag grid: ``COLUMNS`` faces per tag set, the attributes not named drawn once here (from
    a generator of their own, so the run's random numbers are untouched) and kept for every snapshot."""
    gen = np.random.default_rng(2016)
    rows = []
    for tags in tag_sets:
        named = parse_tags(tags)
        for _ in range(COLUMNS):
            rows.append([named.get(name, gen.integers(size)) for name, size in zip(FACE_ATTRIBUTES, FACE_SIZES)])
    return np.asarray(rows, dtype=np.int64)


def tag_sweep(G, z_dim: int, path: Path) -> None:
    """One row per attribute: the same z and the same other attributes, the attribute's tag changed column by
    column through all its values."""
    gen = np.random.default_rng(2018)
    columns = max(FACE_SIZES)
    base = [int(gen.integers(size)) for size in FACE_SIZES]
    z = np.repeat(gen.standard_normal((1, z_dim), dtype=np.float32), len(FACE_SIZES) * columns, axis=0)
    conditions, captions = [], []
    for a, name in enumerate(FACE_ATTRIBUTES):
        for value in range(columns):
            conditions.append(base[:a] + [min(value, FACE_SIZES[a] - 1)] + base[a + 1:])
            captions.append(tags_of({name: value}) if value < FACE_SIZES[a] else "")
    images = conditional_samples(G, mg.tensor(z), np.asarray(conditions, dtype=np.int64))
    images[[caption == "" for caption in captions]] = 1.0  # blank cells past an attribute's last value
    labelled_grid(images, [name.replace("_", " ") for name in FACE_ATTRIBUTES], path,
                  f"z and the other tags fixed ({tags_of(base)}); one tag changed along each row", captions, columns)


def main(argv=None) -> dict:
    parser = example_parser(__doc__, out="out/conditional_faces", save_every=500)
    parser.add_argument("--tags", help='tags.png shows these tags in every row, e.g. "blue hair, long hair, red eyes" '
                                       "(default: eight tag sets, one per row)")
    parser.add_argument("--faces", type=int, default=10_000, help="toy faces to train on (default: %(default)s)")
    parser.add_argument("--steps", type=int, default=5000, help="training iterations (default: %(default)s)")
    parser.add_argument("--batch", type=int, default=64, help="m, examples per step (default: %(default)s)")
    parser.add_argument("--lr", type=float, default=2e-4, help="Adam learning rate η (default: %(default)s)")
    parser.add_argument("--z-dim", type=int, default=32, help="dimension of the noise z (default: %(default)s)")
    parser.add_argument("--embed-dim", type=int, default=32,
                        help="size of the attributes' vector e(c) joined to z (and to D's map for concat) "
                             "(default: %(default)s)")
    parser.add_argument("--g-channels", type=int, default=24,
                        help="channels of G's last layer; they double per layer inwards (default: %(default)s)")
    parser.add_argument("--d-channels", type=int, default=32,
                        help="channels of D's first layer; they double per layer (default: %(default)s)")
    parser.add_argument("--d-minibatch-std", type=int, default=0, metavar="GROUP",
                        help="D sees the standard deviation of its features over groups of this many faces, 0 for "
                             "none (minigan/train/minibatch_std.py) (default: %(default)s)")
    parser.add_argument("--conditioning", choices=["projection", "concat"], default="projection",
                        help="how the attributes enter D: ψ(φ(x)) + ⟨e(c), φ(x)⟩, or e(c) joined to D's 8×8 map "
                             "(default: %(default)s)")
    parser.add_argument("--g-conditioning", choices=["input", "batchnorm"], default="batchnorm",
                        help="c enters G at its input only, joined to z, or also as the scale and shift of every "
                             "batch normalisation (conditional batch norm) (default: %(default)s)")
    parser.add_argument("--mismatch", action=argparse.BooleanOptionalAction, default=True,
                        help="the matching-aware D: real faces with one attribute changed count as fake "
                             "(default: on)")
    parser.add_argument("--samples", type=int, default=4000,
                        help="faces generated for samples.npy and the metrics (default: %(default)s)")
    add_beta1_option(parser, default=0.5, beta2=0.999)
    add_ema_option(parser, default=0.0)
    args = parser.parse_args(argv)
    if args.d_minibatch_std < 0 or (args.d_minibatch_std and not groups_fit(args.batch, args.d_minibatch_std)):
        parser.error(f"--d-minibatch-std {args.d_minibatch_std} must be 0 or a positive divisor of --batch "
                     f"{args.batch}")
    try:
        tag_sets = [args.tags] * len(TAG_SETS) if args.tags else list(TAG_SETS)
        shown_conditions = grid_conditions(tag_sets)
    except ValueError as err:
        parser.error(f"--tags: {err}")
    out = setup_run(args)
    start, cpu_start = time.perf_counter(), time.process_time()

    x_train, attributes = make_faces(args.faces, size=32, seed=args.seed)
    c_train = np.stack([attributes[name] for name in FACE_ATTRIBUTES], axis=1)  # faces × 6 attribute values
    G, D = conditional_face_networks(vars(args))
    z_shown = mg.randn(COLUMNS, args.z_dim)[np.tile(np.arange(COLUMNS), len(tag_sets))]  # one z per column
    title = "one tag set per row, one z per column"
    shown_at = {n for n in LECTURE_UPDATES if n < args.steps}

    def snapshots(G):  # the tag grid after each of the lecture's update counts
        def callback(step, history):
            if step + 1 in shown_at:
                labelled_grid(conditional_samples(G, z_shown, shown_conditions), tag_sets,
                              out / f"samples_step{step + 1:05d}.png", f"{title}, after {step + 1} updates")
        return callback

    G, history = train_conditional_image_gan(args, "conditional_faces", out, G, D, x_train, c_train, FACE_SIZES,
                                             z_shown, shown_conditions, snapshots, nrow=COLUMNS, argv=argv)
    train_seconds, train_cpu = time.perf_counter() - start, time.process_time() - cpu_start

    # each face from a random tag set (attributes named with probability ½), as python -m minigan.generate would
    requests = random_requests(args.samples)
    samples, _ = draw_faces(G, requests, args.samples, args.z_dim)
    labelled_grid(conditional_samples(G, z_shown, shown_conditions), tag_sets, out / "tags.png",
                  f"{title}, after {args.steps} updates")
    tag_sweep(G, args.z_dim, out / "tag_sweep.png")
    gan_history_figure(history, out / "history.png")
    diagnostics_figure(history, out / "diagnostics.png")
    save_samples(samples, out / "samples.npy")
    atomic_write(out / "conditions.npz", lambda file: np.savez(file, **requests))
    reference, _ = make_faces(args.samples, size=32, seed=args.seed + 1)
    metrics = {
        **conditional_face_metrics(samples, requests),
        "attribute_frequencies": face_metrics(samples, reference),
        "train_seconds": train_seconds,
        "train_cpu_seconds": train_cpu,
        "seconds": time.perf_counter() - start,
        "cpu_seconds": time.process_time() - cpu_start,
        "settings": vars(args),
    }
    save_json(metrics, out / "metrics.json")
    print("the classifier reads the requested value of: "
          + ", ".join(f"{name} {value:.1%}" for name, value in metrics["agreement"].items())
          + f" (smallest {metrics['min_agreement']:.1%})")
    print(f"Fréchet distance of the classifier's features to real faces: "
          f"{metrics['attribute_frequencies']['frechet_distance']:.2f}")
    print(f"training took {train_seconds:.0f} s ({train_cpu:.0f} s of CPU time); "
          f"figures, samples.npy, conditions.npz and metrics.json in {out}/")
    return metrics


if __name__ == "__main__":
    main()
