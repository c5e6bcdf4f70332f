"""Section 6.1's figures for a model with a 2-D code (the auto-encoder and the VAE of the examples), and the
MNIST digits both are trained on.

    code_plane.png      the codes of the test digits, coloured by digit
    decoded_grid.png    the decoder's output on an even grid over the code range the test codes occupy
    interpolation.png   the decodes of points on the line between the codes of two "1"s
"""
from __future__ import annotations

import numpy as np

import minigan as mg
from minigan.data import load_mnist, scale_images
from minigan.io import save_samples
from minigan.plot import image_grid, pyplot, save

INTERPOLATION_STEPS = np.linspace(0.0, 1.0, 7)  # t of (1 − t)·a + t·b; t = 0.5 is the lecture's 0.5a + 0.5b


# ---------------------------------------------------------------- the data
def load_digits():
    """The bundled MNIST split as float32 N×784 pixels in [0, 1] (the Bernoulli likelihood's range), and labels."""
    data = load_mnist()
    x_train = scale_images(data.train_images, (0.0, 1.0), flatten=True)
    x_test = scale_images(data.test_images, (0.0, 1.0), flatten=True)
    return x_train, data.train_labels, x_test, data.test_labels


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
