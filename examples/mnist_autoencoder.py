"""Can a generator learn by itself? An MNIST auto-encoder with a 2-D code (lecture section 6.1).

encoder 784 → 400 → 2 and decoder 2 → 400 → 784 are trained jointly on the bundled MNIST train split
(4,000 digits) to make the output as close as possible to the input (minigan/train/autoencoder.py).
The decoder alone is then a generator of digits from 2-D codes.  Figures in --out:

    code_plane.png      the codes of the 1,000 test digits, coloured by digit
    decoded_grid.png    the decoder's output on an even grid over the code range the test codes occupy
                        (their 1st to 99th percentile per axis; the lecture's grid is [−1.5, 1.5]²)
    interpolation.png   codes a and b of two "1"s (an upright and a slanted one) and the decodes of
                        points on the line between them, 0.5a + 0.5b among them
    reconstructions.png test digits (odd rows) and their reconstructions (even rows)

and metrics.json, history.png, and the arrays behind the figures as .npy.

    python examples/mnist_autoencoder.py                 # 40 epochs, about a minute on a 2-core CPU
"""
import time

import numpy as np

import minigan as mg
from minigan import nn, optim
from minigan.cli import example_parser, save_json, save_samples, setup_run
from minigan.data import DataLoader, load_mnist, scale_images
from minigan.plot import image_grid, pyplot, save, save_image_grid
from minigan.train import AutoEncoder, reconstruction_error, train_autoencoder

INTERPOLATION_STEPS = np.linspace(0.0, 1.0, 7)  # t of (1 − t)·a + t·b; t = 0.5 is the lecture's 0.5a + 0.5b


# ---------------------------------------------------------------- data and the model
def load_digits():
    """The bundled MNIST split as float32 N×784 pixels in [0, 1] (the Bernoulli likelihood's range), and labels."""
    data = load_mnist()
    x_train = scale_images(data.train_images, (0.0, 1.0), flatten=True)
    x_test = scale_images(data.test_images, (0.0, 1.0), flatten=True)
    return x_train, data.train_labels, x_test, data.test_labels


def mlp(sizes):
    """Linear layers of the given sizes with ReLU between them (none after the last)."""
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def in_batches(fn, x: np.ndarray, batch: int = 500) -> np.ndarray:
    """fn applied to the rows of x in batches, without recording a graph; a NumPy array."""
    with mg.no_grad():
        return np.concatenate([fn(mg.tensor(x[i:i + batch])).numpy() for i in range(0, len(x), batch)])


# ---------------------------------------------------------------- what the figures show
def code_range(codes: np.ndarray):
    """The box the codes occupy: the 1st and 99th percentile of each coordinate (a few outliers left out)."""
    return np.percentile(codes, 1, axis=0), np.percentile(codes, 99, axis=0)


def grid_codes(low, high, n: int) -> np.ndarray:
    """n × n codes evenly spaced over the box, row by row from the top (largest c₂) to the bottom."""
    c1 = np.linspace(low[0], high[0], n)
    c2 = np.linspace(high[1], low[1], n)
    return np.array([[a, b] for b in c2 for a in c1], dtype=np.float32)


def slant(images: np.ndarray) -> np.ndarray:
    """How much each digit leans: the ink-weighted slope d(column)/d(row) of its pixels (0 = upright)."""
    rows, cols = np.mgrid[0:28, 0:28]
    ink = images.reshape(-1, 28, 28)
    total = ink.sum(axis=(1, 2))
    mean_r = (ink * rows).sum(axis=(1, 2)) / total
    mean_c = (ink * cols).sum(axis=(1, 2)) / total
    cov = (ink * (rows - mean_r[:, None, None]) * (cols - mean_c[:, None, None])).sum(axis=(1, 2)) / total
    var_r = (ink * (rows - mean_r[:, None, None]) ** 2).sum(axis=(1, 2)) / total
    return -cov / var_r  # rows grow downwards: a "/" digit has column falling as row grows


def pick_two_ones(images: np.ndarray, labels: np.ndarray):
    """Indices of an upright "1" (slant nearest 0) and a slanted one (slant at the 90th percentile)."""
    ones = np.flatnonzero(labels == 1)
    s = slant(images[ones])
    upright = ones[np.argmin(np.abs(s))]
    slanted = ones[np.argmin(np.abs(s - np.percentile(s, 90)))]
    return upright, slanted


def code_plane_figure(codes, labels, path, title, line=None) -> None:
    """Scatter of the codes coloured by digit; ``line`` = (a, b) marks a, b and 0.5a + 0.5b."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 5.2))
    cmap = plt.get_cmap("tab10")
    for digit in range(10):
        c = codes[labels == digit]
        ax.scatter(c[:, 0], c[:, 1], s=6, color=cmap(digit), label=str(digit), alpha=0.8)
    if line is not None:
        a, b = line
        ax.plot([a[0], b[0]], [a[1], b[1]], color="black", linewidth=1)
        for point, name in ((a, "a"), (b, "b"), ((a + b) / 2, "0.5a+0.5b")):
            ax.scatter([point[0]], [point[1]], color="black", marker="x", s=50, zorder=3)
            ax.annotate(name, point, xytext=(4, 4), textcoords="offset points", fontsize=9)
    ax.set_xlabel("$c_1$")
    ax.set_ylabel("$c_2$")
    ax.set_title(title)
    ax.legend(markerscale=3, fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5))
    save(fig, path)


def decoded_grid_figure(images, low, high, n: int, path, title) -> None:
    """The decodes of ``grid_codes`` as one picture, with the code axes along its edges."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 6))
    ax.imshow(image_grid(images, nrow=n, pad=0), cmap="gray", vmin=0, vmax=1,
              extent=(low[0], high[0], low[1], high[1]), aspect="auto", interpolation="nearest")
    ax.set_xlabel("$c_1$")
    ax.set_ylabel("$c_2$")
    ax.set_title(title, fontsize=10)
    save(fig, path)


def interpolation_figure(x_a, x_b, decoded, ts, path, title) -> None:
    """Top: the two input "1"s; bottom: decodes of (1 − t)a + t b."""
    plt = pyplot()
    fig, axes = plt.subplots(2, len(ts), figsize=(1.3 * len(ts), 3.0))
    for ax in axes.ravel():
        ax.axis("off")
    for ax, image, name in ((axes[0, 0], x_a, "input → a"), (axes[0, -1], x_b, "input → b")):
        ax.imshow(image.reshape(28, 28), cmap="gray", vmin=0, vmax=1)
        ax.set_title(name, fontsize=8)
    for ax, image, t in zip(axes[1], decoded, ts):
        ax.imshow(image.reshape(28, 28), cmap="gray", vmin=0, vmax=1)
        ax.set_title("0.5a+0.5b" if np.isclose(t, 0.5) else f"{1 - t:.2g}a+{t:.2g}b", fontsize=8)
    fig.suptitle(title, fontsize=10)
    save(fig, path)


def history_figure(history, path, keys) -> None:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 3))
    for key in keys:
        ax.plot(history[key], label=key, linewidth=0.8)
    ax.set_xlabel("update")
    ax.set_ylabel("nats per image")
    ax.legend(fontsize=8)
    save(fig, path)


def interleave(originals: np.ndarray, reconstructions: np.ndarray, per_row: int = 10) -> np.ndarray:
    """Rows of originals followed by rows of their reconstructions, for one image grid."""
    rows = []
    for start in range(0, len(originals), per_row):
        rows += [originals[start:start + per_row], reconstructions[start:start + per_row]]
    return np.concatenate(rows)


def code_plane_figures(decode, codes, x_test, y_test, out, model: str, grid_n: int) -> dict:
    """The three figures of section 6.1 for a model with a 2-D code; returns what they show, for metrics.json."""
    low, high = code_range(codes)
    grid = in_batches(decode, grid_codes(low, high, grid_n))
    a_index, b_index = pick_two_ones(x_test, y_test)
    a, b = codes[a_index], codes[b_index]
    line = np.array([(1 - t) * a + t * b for t in INTERPOLATION_STEPS], dtype=np.float32)
    decoded_line = in_batches(decode, line)

    code_plane_figure(codes, y_test, out / "code_plane.png", f"{model}: codes of the test digits", line=(a, b))
    decoded_grid_figure(grid, low, high, grid_n, out / "decoded_grid.png",
                        f"{model}: decoded {grid_n}×{grid_n} grid over [{low[0]:.2f}, {high[0]:.2f}] × "
                        f"[{low[1]:.2f}, {high[1]:.2f}]\n(1st–99th percentile of the test codes)")
    interpolation_figure(x_test[a_index], x_test[b_index], decoded_line, INTERPOLATION_STEPS,
                         out / "interpolation.png", f"{model}: decoding the line from a to b")
    save_samples(codes, out / "test_codes.npy")
    save_samples(grid, out / "decoded_grid.npy")
    save_samples(decoded_line, out / "interpolation.npy")
    return {"code_range_low": low, "code_range_high": high, "test_index_a": int(a_index), "test_index_b": int(b_index),
            "code_a": a, "code_b": b}


# ---------------------------------------------------------------- the run
def main():
    parser = example_parser(__doc__, out="out/mnist_autoencoder")
    parser.add_argument("--epochs", type=int, default=40,
                        help="passes over the 4,000 training digits (default: %(default)s)")
    parser.add_argument("--batch", type=int, default=128, help="examples per update (default: %(default)s)")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (default: %(default)s)")
    parser.add_argument("--hidden", type=int, default=400,
                        help="hidden units of encoder and decoder (default: %(default)s)")
    parser.add_argument("--grid", type=int, default=15,
                        help="decoded grid is grid × grid codes (default: %(default)s)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    args = parser.parse_args()
    out = setup_run(args)
    start = time.perf_counter()

    x_train, _, x_test, y_test = load_digits()
    ae = AutoEncoder(mlp([784, args.hidden, 2]), mlp([2, args.hidden, 784]))
    optimizer = optim.Adam(ae.parameters(), lr=args.lr)
    history = train_autoencoder(ae, DataLoader(x_train, batch_size=args.batch), optimizer, epochs=args.epochs,
                                progress=not args.no_progress)
    train_seconds = time.perf_counter() - start

    codes = in_batches(ae.encode, x_test)
    reconstructions = in_batches(lambda x: ae.decode(ae.encode(x)), x_test)
    test_error = np.mean(in_batches(lambda x: reconstruction_error(ae(x), x), x_test))
    shown = code_plane_figures(ae.decode, codes, x_test, y_test, out, "auto-encoder", args.grid)
    save_image_grid(interleave(x_test[:50], reconstructions[:50]), out / "reconstructions.png", nrow=10,
                    title="test digits and their reconstructions")
    history_figure(history, out / "history.png", ["loss"])
    save_samples(reconstructions, out / "reconstructions.npy")

    metrics = {
        "test_reconstruction_error_nats": float(test_error),
        "final_train_loss_nats": history["loss"][-1],
        **shown,
        "train_seconds": train_seconds,
        "seconds": time.perf_counter() - start,
        "settings": vars(args),
    }
    save_json(metrics, out / "metrics.json")
    print(f"test reconstruction error: {test_error:.2f} nats per image (Bernoulli, summed over 784 pixels)")
    low, high = shown["code_range_low"], shown["code_range_high"]
    print(f"code range (1st–99th percentile): c₁ ∈ [{low[0]:.2f}, {high[0]:.2f}], c₂ ∈ [{low[1]:.2f}, {high[1]:.2f}]")
    print(f"training took {train_seconds:.1f} s; figures, .npy arrays and metrics.json in {out}/")


if __name__ == "__main__":
    main()
