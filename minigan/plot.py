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


# ---------------------------------------------------------------- training.gif
def save_gif(frames, draw, path, figsize=(4, 4), fps: int = 6, dpi: int = 72) -> None:
    """An animated GIF with one frame per item of ``frames``, written atomically.

    ``draw(fig)`` draws the figure once and returns ``update(frame)``, which changes what moves and returns those
    artists (made with ``animated=True``).  Only they are redrawn per frame, over the saved rest of the figure
    (matplotlib's blitting: a 40-frame GIF takes a fraction of a second); Pillow writes the frames as one GIF,
    as matplotlib's ``PillowWriter`` does.
    """
    from PIL import Image

    from minigan.io import atomic_write

    if not len(frames):
        raise ValueError(f"save_gif: no frames for {path}")
    plt = pyplot()
    fig = plt.figure(figsize=figsize, dpi=dpi)
    try:
        update = draw(fig)
        fig.canvas.draw()
        background = fig.canvas.copy_from_bbox(fig.bbox)
        images = []
        for frame in frames:
            fig.canvas.restore_region(background)
            for artist in update(frame):
                fig.draw_artist(artist)
            # a palette per frame by the fast octree (median cut, Pillow's default for GIFs, is 4× slower)
            rgb = Image.fromarray(np.asarray(fig.canvas.buffer_rgba())[..., :3].copy())
            images.append(rgb.quantize(256, method=getattr(Image, "Quantize", Image).FASTOCTREE))
    finally:
        plt.close(fig)
    atomic_write(path, lambda file: images[0].save(file, format="GIF", save_all=True, append_images=images[1:],
                                                   duration=round(1000 / fps), loop=0))


def as_uint8(images, low: float = -1.0) -> np.ndarray:
    """Images with values in [low, 1] as bytes 0…255 (a quarter of float32's size, for GIF frames kept in a
    checkpoint)."""
    images = (np.asarray(images, dtype=np.float32) - low) / (1.0 - low)
    return np.round(np.clip(images, 0, 1) * 255).astype(np.uint8)


def image_grid_gif(frames, path, nrow: int | None = None, what: str = "G(z) for the same z's") -> None:
    """training.gif of image grids: ``frames`` are (update, images as ``as_uint8`` bytes)."""
    def grid_of(images):
        return image_grid(np.asarray(images, dtype=np.float32) / 255.0, nrow)

    def draw(fig):
        ax = fig.add_axes([0, 0, 1, 0.92])
        grid = grid_of(frames[0][1])
        image = ax.imshow(grid, cmap="gray" if grid.ndim == 2 else None, vmin=0, vmax=1, interpolation="nearest",
                          animated=True)
        ax.axis("off")
        title = fig.suptitle("", fontsize=8, animated=True)

        def update(frame):
            step, images = frame
            image.set_data(grid_of(images))
            title.set_text(f"{what}, after {step} updates")
            return image, title
        return update

    save_gif(frames, draw, path, figsize=(3.6, 3.8))


def curves_gif(frames, x, path, styles, static=(), ylim=(0, 1.05), figsize=(5, 3.2)) -> None:
    """training.gif of curves over ``x``: each frame is ``{"title": str, "curves": [y, ...]}``, drawn with
    ``styles`` (one dict of line properties each, e.g. ``{"color": "blue", "label": "$P_G$"}``) over the
    ``static`` curves ``[(y, style), ...]``."""
    def draw(fig):
        ax = fig.add_subplot(1, 1, 1)
        fig.subplots_adjust(bottom=0.16)
        for y, style in static:
            ax.plot(x, y, **style)
        lines = [ax.plot(x, np.zeros_like(x), animated=True, **style)[0] for style in styles]
        ax.set_ylim(*ylim)
        ax.set_xlabel("x")
        ax.legend(handles=ax.get_lines(), loc="upper left", fontsize=7)
        title = ax.set_title("", fontsize=9, animated=True)

        def update(frame):
            for line, y in zip(lines, frame["curves"]):
                line.set_ydata(y)
            title.set_text(frame["title"])
            return (*lines, title)
        return update

    save_gif(frames, draw, path, figsize=figsize)


def scatter_gif(frames, path, reference, span: float, figsize=(4, 4.2)) -> None:
    """training.gif of 2-D points: each frame is ``{"title": str, "points": (n, 2)}``, and optionally ``"heat"``, a
    square map of values in [0, 1] over the view, drawn under the ``reference`` points (green) and the frame's
    (blue)."""
    def draw(fig):
        ax = fig.add_axes([0.02, 0.02, 0.96, 0.88])
        first = frames[0]
        heat = None
        if "heat" in first:
            heat = ax.imshow(first["heat"], origin="lower", extent=(-span, span, -span, span), cmap="viridis",
                             vmin=0, vmax=1, interpolation="nearest", animated=True)
        ax.scatter(*np.asarray(reference).T, s=2, color="green", alpha=0.5, linewidths=0, label="data")
        points = ax.scatter(*first["points"].T, s=2, color="tab:blue" if heat is None else "red", linewidths=0,
                            label="generated", animated=True)
        ax.set_xlim(-span, span)
        ax.set_ylim(-span, span)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        title = fig.suptitle("", fontsize=8, animated=True)

        def update(frame):
            points.set_offsets(frame["points"])
            title.set_text(frame["title"])
            if heat is None:
                return points, title
            heat.set_data(frame["heat"])
            return heat, points, title
        return update

    save_gif(frames, draw, path, figsize=figsize)


def diagnostics_figure(history, path) -> None:
    """diagnostics.png of a GAN run: mean D(x) and mean D(G(z)) (running means over 1/200 of the run), and the
    gradient norm of each layer of D and of G (``minigan.train.diagnostics.GradientNorms``) on a log scale."""
    plt = pyplot()
    norms = history.get("grad_norm", {"step": [], "D": {}, "G": {}})
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.4))
    window = max(1, len(history["D_x"]) // 200)
    for key, label, color in (("D_x", "mean D(x)", "green"), ("D_G_z", "mean D(G(z))", "blue")):
        axes[0].plot(np.convolve(history[key], np.ones(window) / window, mode="valid"), label=label, color=color,
                     linewidth=0.8)
    axes[0].axhline(0.5, color="gray", linestyle=":", linewidth=0.8, label="½ (D* when P_G = P_data)")
    axes[0].set_ylim(-0.02, 1.02)
    axes[0].set_title("who is winning", fontsize=9)
    axes[0].legend(fontsize=7)
    for ax, name in ((axes[1], "D"), (axes[2], "G")):
        cmap = plt.get_cmap("viridis")
        layers = list(norms[name].items())
        for i, (layer, values) in enumerate(layers):
            ax.semilogy(norms["step"], np.maximum(values, 1e-12), label=layer, linewidth=0.9,
                        color=cmap(i / max(1, len(layers) - 1)))
        ax.set_title(f"gradient norm of each layer of {name}", fontsize=9)
        if layers:
            ax.legend(fontsize=6, ncol=2)
    for ax in axes:
        ax.set_xlabel("update")
    save(fig, path)
