"""What do we miss? A pixel-wise loss treats all mistakes alike (lecture section 7).

Take a real test digit as the target and make the lecture's two mistakes:

    1 pixel:  one pixel lit far from the strokes, in a place no handwriting would put ink
    6 pixels: six pixels lit that continue a stroke past its end: the digit still looks handwritten

L1 and L2 distances to the target prefer the 1-pixel mistake (1 < 6, 1 < √6): they look at each pixel on
its own.  A score that looks at the relations between pixels sees it the other way round.  Here that score
is a small convolutional discriminator D (two 3 × 3 convolutions, 8 and 16 channels, then one linear layer
to a logit: each unit of the second convolution sees a 7 × 7 neighbourhood), trained with the lecture's Ṽ on real training digits against
copies of them with 1 to 6 pixels lit at random places — the mistakes of a generator whose output pixels
are independent of each other.  D has never seen an extended stroke.

In --out: the figure what_do_we_miss.png (target, the two mistakes, their L1, L2 and D), the same comparison
over every test digit of the class (how often D prefers the 6-pixel mistake) in metrics.json, mistakes.npy
(target, 1-pixel mistake, 6-pixel mistake as rows of 784 pixels), training.gif (D's score of each as it
learns), and checkpoint.npz, written every --save-every updates, at the end and on Ctrl-C; --resume continues
from it (on the CPU to the same D, bit for bit, as a run never stopped).

    python examples/what_do_we_miss.py                 # a "1"; about 40 s on a 2-core CPU
    python examples/what_do_we_miss.py --digit 7 --index 3
"""
import time

import numpy as np

import minigan as mg
from minigan import backend, nn, optim
from minigan.cli import example_parser
from minigan.data import DataLoader, load_mnist, scale_images
from minigan.functional import sigmoid
from minigan.io import save_json, save_samples
from minigan.plot import pyplot, save
from minigan.run import Checkpoints, Frames, setup_run
from minigan.train.autoencoder import progress_bar
from minigan.train.objectives import Lecture

SIDE = 28
CENTRE = slice(4, 24)  # MNIST digits are drawn in the central 20 × 20 pixels of the 28 × 28 image
INK = 0.5  # a pixel with a value above this is part of a stroke


# ---------------------------------------------------------------- the two mistakes
def one_pixel_mistake(image: np.ndarray):
    """Light the background pixel farthest from any ink, within the central 20 × 20 (where digits are drawn)."""
    picture = image.reshape(SIDE, SIDE)
    ink_r, ink_c = np.nonzero(picture > INK)
    rows, cols = np.mgrid[0:SIDE, 0:SIDE]
    inside = np.zeros_like(picture, dtype=bool)
    inside[CENTRE, CENTRE] = True
    distance = np.sqrt((rows[..., None] - ink_r) ** 2 + (cols[..., None] - ink_c) ** 2).min(axis=-1)
    where = np.unravel_index(np.argmax(np.where(inside & (picture == 0), distance, -1)), picture.shape)
    mistaken = picture.copy()
    mistaken[where] = 1.0
    return mistaken.reshape(-1), [where]


def six_pixel_mistake(image: np.ndarray, n: int = 6):
    """Continue the digit's main stroke past its end: n pixels, two wide, along the ink's principal axis.

    The axis is the leading eigenvector of the ink pixels' covariance; the stroke is continued from its
    tip (the ink farthest along the axis) at whichever end has more room before the image border.
    """
    picture = image.reshape(SIDE, SIDE)
    ink = np.argwhere(picture > INK).astype(np.float64)
    centre = ink.mean(axis=0)
    _, vectors = np.linalg.eigh(np.cov((ink - centre).T))
    axis = vectors[:, -1]
    across = np.array([-axis[1], axis[0]])  # at right angles to the axis: the stroke's width
    reach = (ink - centre) @ axis
    ends = []
    for sign in (1.0, -1.0):
        tip = ink[sign * reach >= (sign * reach).max() - 1.0].mean(axis=0)
        room = sum(np.all((tip + t * sign * axis >= 0) & (tip + t * sign * axis <= SIDE - 1)) for t in range(1, SIDE))
        ends.append((room, tip, sign))
    _, tip, sign = max(ends, key=lambda end: end[0])
    mistaken, lit = picture.copy(), []
    for t in range(1, SIDE):
        for side in (-0.5, 0.5):
            r, c = np.rint(tip + t * sign * axis + side * across).astype(int)
            if len(lit) < n and 0 <= r < SIDE and 0 <= c < SIDE and mistaken[r, c] == 0:
                mistaken[r, c] = 1.0
                lit.append((r, c))
    return mistaken.reshape(-1), lit


# ---------------------------------------------------------------- a score that respects structure
def random_pixel_mistakes(x: np.ndarray) -> np.ndarray:
    """Each image with 1 to 6 of its background pixels in the central 20 × 20 lit at random places."""
    x_tilde = x.copy().reshape(-1, SIDE, SIDE)
    generator = backend.rng("cpu")
    for picture in x_tilde:
        background = np.argwhere(picture[CENTRE, CENTRE] == 0) + CENTRE.start
        chosen = background[generator.choice(len(background), size=generator.integers(1, 7), replace=False)]
        picture[chosen[:, 0], chosen[:, 1]] = 1.0
    return x_tilde.reshape(len(x), -1)


def make_discriminator() -> nn.Sequential:
    """D: x ↦ logit, for x a row of 784 pixels."""
    # two 3 × 3 convolutions: each unit of the second sees a 7 × 7 neighbourhood, enough to tell a stroke's
    # end from a pixel on its own
    return nn.Sequential(nn.Unflatten(1, (1, SIDE, SIDE)), nn.Conv2d(1, 8, 3, 1, 1), nn.LeakyReLU(0.2),
                         nn.Conv2d(8, 16, 3, 2, 1), nn.LeakyReLU(0.2), nn.Flatten(), nn.Linear(16 * 14 * 14, 1))


def train_discriminator(D, opt, loader, epochs: int, progress: bool = True, callback=None, start_step: int = 0,
                        history: dict | None = None) -> dict:
    """Train D with the lecture's Ṽ = 1/m Σ log D(x) + 1/m Σ log(1 − D(x̃)), ``epochs`` passes over ``loader``.

    x are the loader's real digits, x̃ the same digits with random pixel mistakes (``random_pixel_mistakes``);
    ``opt`` ascends Ṽ (``maximize=True``).  ``callback(step, history)`` after every update (GIF, checkpoints).
    start_step, history: to continue a run restored from a checkpoint (minigan/run.py), with ``loader`` restored
    to where it was (``DataLoader.load_state_dict``).  Returns the history: ``V``, Ṽ at each update.
    """
    objective = Lecture()
    history = history if history is not None else {"V": []}
    bar = progress_bar(loader, epochs, "D", progress, start_step)
    step = start_step
    for _ in range(start_step // len(loader), epochs):  # a resumed run starts inside an epoch
        for (x,) in loader:
            x_tilde = mg.tensor(random_pixel_mistakes(x.numpy()))
            V, _, _ = objective.discriminator(D, x, x_tilde)
            # θd ← θd + η ∇Ṽ(θd)
            opt.zero_grad()
            V.backward()
            opt.step()
            history["V"].append(V.item())
            if callback is not None:
                callback(step, history)
            step += 1
            bar.update(1)
    bar.close()
    return history


def score(D, images: np.ndarray) -> np.ndarray:
    """D(x) = σ(logit): how real D finds each image (1 = certainly a real digit)."""
    with mg.no_grad():
        return sigmoid(D(mg.tensor(images.reshape(len(images), -1)))).numpy().reshape(-1)


# ---------------------------------------------------------------- the figures
def scores_frames(fig, images):
    """training.gif: the three images, and D's score of each as D learns (frames of (update, scores))."""
    names = ["target", "1 pixel wrong", "6 pixels wrong"]
    for i, image in enumerate(images):
        ax = fig.add_axes([0.04 + 0.32 * i, 0.5, 0.28, 0.38])
        ax.imshow(image.reshape(SIDE, SIDE), cmap="gray", vmin=0, vmax=1)
        ax.set_title(names[i], fontsize=8)
        ax.axis("off")
    ax = fig.add_axes([0.1, 0.08, 0.85, 0.34])
    bars = ax.bar(names, [0, 0, 0], color=["green", "tab:orange", "tab:blue"], animated=True)
    ax.set_ylim(0, 1)
    ax.set_ylabel("D(x)", fontsize=8)
    ax.tick_params(labelsize=7)
    title = fig.suptitle("", fontsize=8, animated=True)

    def update(frame):
        step, scores = frame
        for bar, value in zip(bars, scores):
            bar.set_height(value)
        title.set_text(f"D after {step} updates: " + ", ".join(f"{v:.2f}" for v in scores))
        return (*bars, title)
    return update


def figure(images, lit, l1, l2, d, path) -> None:
    plt = pyplot()
    names = ["target (a real test digit)", "1 pixel wrong", "6 pixels wrong"]
    fig, axes = plt.subplots(1, 3, figsize=(9, 3.6))
    for i, ax in enumerate(axes):
        ax.imshow(images[i].reshape(SIDE, SIDE), cmap="gray", vmin=0, vmax=1)
        for r, c in lit[i]:
            ax.add_patch(plt.Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, edgecolor="red", linewidth=1.2))
        ax.set_xticks([])
        ax.set_yticks([])
        text = f"D = {d[i]:.3f}" if i == 0 else f"L1 = {l1[i]:.2f}   L2 = {l2[i]:.2f}\nD = {d[i]:.3f}"
        ax.set_title(f"{names[i]}\n{text}", fontsize=9)
    def preferred(values, lower_is_better):
        better_one = values[1] < values[2] if lower_is_better else values[1] > values[2]
        return "1 pixel" if better_one else "6 pixels"

    fig.suptitle(f"the mistake each score prefers — L1: {preferred(l1, True)},  L2: {preferred(l2, True)},  "
                 f"D (trained on real vs random-pixel digits): {preferred(d, False)}", fontsize=10)
    save(fig, path)


def main(argv=None) -> dict:
    """Run the example with command-line arguments ``argv`` (default: sys.argv); return its metrics."""
    parser = example_parser(__doc__, out="out/what_do_we_miss", save_every=100)
    parser.add_argument("--digit", type=int, default=1, help="class of the target digit (default: %(default)s)")
    parser.add_argument("--index", type=int, default=0, help="which test digit of that class (default: %(default)s)")
    parser.add_argument("--epochs", type=int, default=15,
                        help="passes of D over the training digits (default: %(default)s)")
    parser.add_argument("--batch", type=int, default=128, help="m, real examples per update (default: %(default)s)")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate of D (default: %(default)s)")
    parser.add_argument("--train-digits", type=int, default=4000,
                        help="real training digits D learns from (default: all %(default)s)")
    args = parser.parse_args(argv)
    out = setup_run(args)
    start = time.perf_counter()

    data = load_mnist()
    x_train = scale_images(data.train_images[:args.train_digits], (0.0, 1.0), flatten=True)
    x_test = scale_images(data.test_images, (0.0, 1.0), flatten=True)
    of_class = np.flatnonzero(data.test_labels == args.digit)
    if not 0 <= args.index < len(of_class):
        parser.error(f"--index must be in 0..{len(of_class) - 1} (test digits of class {args.digit})")

    target = x_test[of_class[args.index]]
    one, one_lit = one_pixel_mistake(target)
    six, six_lit = six_pixel_mistake(target)
    images = np.stack([target, one, six])

    D = make_discriminator()
    opt = optim.Adam(D.parameters(), lr=args.lr, maximize=True)
    loader = DataLoader(x_train, batch_size=args.batch)
    # training.gif: D's scores of the three images as it learns
    frames = Frames(args, args.epochs * len(loader), lambda update: (update, score(D, images)))
    # checkpoint.npz in --out: every --save-every updates, at the end, on Ctrl-C; --resume continues from it
    checkpoints = Checkpoints(args, "what_do_we_miss", out, {"D": D}, {"D": opt},
                              state={"loader": loader, "frames": frames.frames}, argv=argv)
    start_step, history = checkpoints.resume()
    with checkpoints:
        history = train_discriminator(D, opt, loader, args.epochs, progress=not args.no_progress, start_step=start_step,
                                      history=history, callback=checkpoints.callback(frames.callback))
    checkpoints.save(len(history["V"]), history)
    frames.save(out, lambda fig: scores_frames(fig, images), figsize=(4.5, 3.6))
    l1 = np.abs(images - target).sum(axis=1)
    l2 = np.sqrt(((images - target) ** 2).sum(axis=1))
    d = score(D, images)
    figure(images, [[], one_lit, six_lit], l1, l2, d, out / "what_do_we_miss.png")
    save_samples(images, out / "mistakes.npy")

    # the same two mistakes on every test digit of the class
    pairs = [(one_pixel_mistake(x)[0], six_pixel_mistake(x)[0]) for x in x_test[of_class]]
    d_one = score(D, np.stack([p[0] for p in pairs]))
    d_six = score(D, np.stack([p[1] for p in pairs]))
    l1_one, l1_six = (np.array([np.abs(p[k] - x).sum() for p, x in zip(pairs, x_test[of_class])]) for k in (0, 1))
    real_test = score(D, x_test)
    mistaken_test = score(D, random_pixel_mistakes(x_test))

    metrics = {
        "target_test_index": int(of_class[args.index]),
        "L1": {"one_pixel": l1[1], "six_pixels": l1[2]},
        "L2": {"one_pixel": l2[1], "six_pixels": l2[2]},
        "D": {"target": d[0], "one_pixel": d[1], "six_pixels": d[2]},
        "over_class": {
            "digits": len(of_class),
            "share_D_prefers_six_pixels": float(np.mean(d_six > d_one)),
            "share_L1_prefers_six_pixels": float(np.mean(l1_six < l1_one)),
            "median_D_one_pixel": float(np.median(d_one)),
            "median_D_six_pixels": float(np.median(d_six)),
        },
        "D_accuracy_on_test": {"real": float(np.mean(real_test > 0.5)),
                               "random_pixel_mistakes": float(np.mean(mistaken_test < 0.5))},
        "seconds": time.perf_counter() - start,
        "settings": vars(args),
    }
    save_json(metrics, out / "metrics.json")
    print(f"{'':>16}{'L1':>8}{'L2':>8}{'D(x)':>8}")
    for name, i in (("target", 0), ("1 pixel wrong", 1), ("6 pixels wrong", 2)):
        print(f"{name:>16}{l1[i]:8.2f}{l2[i]:8.2f}{d[i]:8.3f}")
    over = metrics["over_class"]
    print(f"over all {over['digits']} test {args.digit}s: D prefers the 6-pixel mistake in "
          f"{100 * over['share_D_prefers_six_pixels']:.0f} % (median D {over['median_D_six_pixels']:.3f} vs "
          f"{over['median_D_one_pixel']:.3f}); L1 in {100 * over['share_L1_prefers_six_pixels']:.0f} %")
    accuracy = metrics["D_accuracy_on_test"]
    print(f"D on test digits: {100 * accuracy['real']:.0f} % of real ones and "
          f"{100 * accuracy['random_pixel_mistakes']:.0f} % of random-pixel mistakes classified right")
    print(f"figure, mistakes.npy and metrics.json in {out}/")
    return metrics


if __name__ == "__main__":
    main()
