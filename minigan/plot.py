"""Figures with matplotlib, imported only when a figure is drawn (the engine never needs a display).

On a machine without a display the Agg backend is chosen, so the examples can always save PNGs.
"""
from __future__ import annotations

import os

import numpy as np


def pyplot():
    """``matplotlib.pyplot``, using the file-only Agg backend when there is no display."""
    import matplotlib

    if not os.environ.get("DISPLAY") and not os.environ.get("MPLBACKEND"):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig, path) -> None:
    """Save ``fig`` as a PNG and close it."""
    fig.savefig(path, dpi=110, bbox_inches="tight")
    pyplot().close(fig)


def image_grid(images, nrow: int | None = None, pad: int = 1) -> np.ndarray:
    """Tile N images (N×H×W, N×C×H×W or N×784) into one H'×W'×C array with values in [0, 1].

    Values in [−1, 1] (the generators' tanh output) are mapped to [0, 1]; the grid has ``nrow`` columns.
    """
    images = np.asarray(images, dtype=np.float32)
    if images.ndim == 2:  # N×784 flattened digits
        side = int(round(np.sqrt(images.shape[1])))
        if side * side != images.shape[1]:
            raise ValueError(f"image_grid: cannot make square images from rows of length {images.shape[1]}")
        images = images.reshape(-1, 1, side, side)
    if images.ndim == 3:
        images = images[:, None]
    if images.ndim != 4:
        raise ValueError(f"image_grid: expected N×C×H×W, N×H×W or N×D images, got shape {images.shape}")
    if images.min() < 0:
        images = (images + 1) / 2
    images = np.clip(images, 0, 1).transpose(0, 2, 3, 1)  # N×H×W×C
    n, h, w, c = images.shape
    nrow = nrow or int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / nrow))
    grid = np.ones((rows * (h + pad) + pad, nrow * (w + pad) + pad, c), dtype=np.float32)
    for i in range(n):
        r, col = divmod(i, nrow)
        grid[pad + r * (h + pad): pad + r * (h + pad) + h, pad + col * (w + pad): pad + col * (w + pad) + w] = images[i]
    return grid[..., 0] if c == 1 else grid


def save_image_grid(images, path, nrow: int | None = None, title: str | None = None) -> None:
    """Save a grid of images as a PNG (grey for one channel, RGB for three)."""
    plt = pyplot()
    grid = image_grid(images, nrow)
    fig, ax = plt.subplots(figsize=(max(2, grid.shape[1] / 40), max(2, grid.shape[0] / 40)))
    ax.imshow(grid, cmap="gray" if grid.ndim == 2 else None, vmin=0, vmax=1, interpolation="nearest")
    ax.axis("off")
    if title:
        ax.set_title(title)
    save(fig, path)


def gan_history_figure(history, path) -> None:
    """Ṽ of D, mean D(x) and mean D(G(z)) over training (a ``train_gan`` history), each as a running mean
    over 1/200 of the run so that the trend shows through the noise, with −2 log 2 marked."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 3))
    window = max(1, len(history["V_D"]) // 200)
    for key, label in (("V_D", "Ṽ (D)"), ("D_x", "mean D(x)"), ("D_G_z", "mean D(G(z))")):
        ax.plot(np.convolve(history[key], np.ones(window) / window, mode="valid"), label=label, linewidth=0.8)
    ax.axhline(-2 * np.log(2), color="gray", linestyle=":", label="−2 log 2")
    ax.set_xlabel("update")
    ax.legend(fontsize=8)
    save(fig, path)


def save_points(points, path, title: str | None = None) -> None:
    """Samples as a PNG: a histogram for 1-D points, a scatter for 2-D ones."""
    points = np.asarray(points, dtype=np.float64).reshape(len(points), -1)
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(4, 4) if points.shape[1] > 1 else (5, 3))
    if points.shape[1] == 1:
        ax.hist(points[:, 0], bins=min(100, max(10, len(points) // 20)), color="tab:blue", density=True)
        ax.set_xlabel("x")
    else:
        ax.scatter(points[:, 0], points[:, 1], s=3, color="tab:blue", alpha=0.6, linewidths=0)
        ax.set_aspect("equal")
    if title:
        ax.set_title(title, fontsize=9)
    save(fig, path)
