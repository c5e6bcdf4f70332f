"""Toy anime faces: a procedural stand-in for the lecture's anime-face data set, drawn in NumPy.

    images, attributes = make_faces(10_000, size=32, seed=0)   # float32 N×3×32×32 in [-1, 1]
    FACE_ATTRIBUTES["hair_color"][attributes["hair_color"][0]]   # e.g. 'blonde'

Every face has a known hair colour, hair length, eye colour, mouth (closed/open), blush and
background colour, each drawn independently and uniformly, so a generator's latent directions can
be compared with attributes that are known exactly.  Small random shifts, sizes and skin tones
(not labelled) keep the faces from being copies of one another.

Each part is a signed distance d(u, v) (negative inside) in face coordinates: u to the right,
v downwards, the face about [-0.6, 0.6] × [-0.5, 0.7].  A layer covers a pixel by
clip(0.5 − d / pixel, 0, 1), which anti-aliases every edge at any size; the layers are painted
back to front (background, hair behind, neck, face, hair in front, eyes, blush, mouth).
"""
from __future__ import annotations

import numpy as np

HAIR_COLORS = {
    "black": (0.16, 0.14, 0.20),
    "brown": (0.50, 0.30, 0.16),
    "blonde": (0.98, 0.84, 0.40),
    "red": (0.82, 0.18, 0.16),
    "blue": (0.24, 0.44, 0.92),
    "pink": (0.98, 0.56, 0.76),
}
EYE_COLORS = {
    "blue": (0.20, 0.50, 1.00),
    "green": (0.16, 0.70, 0.30),
    "red": (0.86, 0.10, 0.14),
    "purple": (0.58, 0.28, 0.86),
    "amber": (0.94, 0.62, 0.08),
}
BACKGROUND_COLORS = {
    "sky": (0.72, 0.86, 0.98),
    "cream": (0.99, 0.96, 0.80),
    "mint": (0.78, 0.95, 0.80),
    "lavender": (0.88, 0.80, 0.97),
}
FACE_ATTRIBUTES = {
    "hair_color": tuple(HAIR_COLORS),
    "hair_length": ("short", "long"),
    "eye_color": tuple(EYE_COLORS),
    "mouth": ("closed", "open"),
    "blush": ("no", "yes"),
    "background": tuple(BACKGROUND_COLORS),
}
SKIN = (1.00, 0.87, 0.76)
SKIN_LINE = (0.60, 0.36, 0.30)
SHIRT = (0.22, 0.26, 0.46)
BLUSH = (1.00, 0.50, 0.58)
MOUTH = (0.66, 0.14, 0.20)
TONGUE = (0.98, 0.52, 0.54)
LINE_PIXELS = 0.9  # outline width, in pixels at any size
_FAR = 10.0  # a distance outside everything: how a layer is switched off for one face
_PIXEL_BUDGET = 1 << 21  # faces are drawn in chunks of about this many pixels, to bound memory


def make_faces(n: int, size: int = 32, seed: int = 0, **fixed):
    """``n`` anime faces, ``size``×``size`` RGB, and the attributes each was drawn with.

    Returns ``(images, attributes)``: float32 images N×3×H×W in [-1, 1], and a dict mapping each
    name in ``FACE_ATTRIBUTES`` to an int64 array of N indices into that attribute's values.
    The same ``seed`` gives the same faces.  Keyword arguments fix an attribute for every face,
    by index or by name, e.g. ``make_faces(8, hair_color="blue", mouth="open")``; everything else
    about the faces stays as it was for that seed, which makes side-by-side comparisons easy.
    """
    if int(n) != n or n < 0:
        raise ValueError(f"make_faces: n must be a non-negative integer, got {n!r}")
    if int(size) != size or size < 8:
        raise ValueError(f"make_faces: size must be an integer of at least 8 pixels, got {size!r}")
    unknown = set(fixed) - set(FACE_ATTRIBUTES)
    if unknown:
        raise TypeError(f"make_faces: unknown attribute {sorted(unknown)}; known: {', '.join(FACE_ATTRIBUTES)}")
    n, size = int(n), int(size)
    rng = np.random.default_rng(seed)
    attributes = {name: rng.integers(len(values), size=n) for name, values in FACE_ATTRIBUTES.items()}
    looks = {  # the unlabelled variation: position, size, skin tone, where the bangs' points fall
        "dx": rng.uniform(-0.04, 0.04, n),
        "dy": rng.uniform(-0.03, 0.03, n),
        "scale": rng.uniform(0.94, 1.04, n),
        "skin": rng.uniform(-0.03, 0.03, (n, 1)),
        "bangs_phase": rng.uniform(0.0, 1.0, n),
    }
    for name, value in fixed.items():
        index = _attribute_index(name, value)
        if index.ndim and index.shape != (n,):
            raise ValueError(f"make_faces: {name} has shape {index.shape}; give one value, or one per face ({n},)")
        attributes[name] = np.broadcast_to(index, (n,)).astype(np.int64)
    images = np.empty((n, 3, size, size), dtype=np.float32)
    chunk = max(1, _PIXEL_BUDGET // (size * size))
    for start in range(0, n, chunk):
        part = slice(start, start + chunk)
        images[part] = _draw({k: a[part] for k, a in attributes.items()}, {k: a[part] for k, a in looks.items()},
                             size)
    # [0, 1] -> [-1, 1], the range of a tanh generator
    images *= np.float32(2.0)
    images -= np.float32(1.0)
    return images, attributes


def _attribute_index(name: str, value) -> np.ndarray:
    values = FACE_ATTRIBUTES[name]
    if isinstance(value, str):
        if value not in values:
            raise ValueError(f"make_faces: {name}={value!r} is not one of {values}")
        return np.asarray(values.index(value))
    index = np.asarray(value)
    if index.dtype.kind not in "iu" or index.min(initial=0) < 0 or index.max(initial=0) >= len(values):
        raise ValueError(f"make_faces: {name} must be a name in {values} or indices 0..{len(values) - 1}, "
                         f"got {value!r}")
    return index


# ---------------------------------------------------------------- signed distances
def _ellipse(u, v, cx, cy, rx, ry):
    """Approximate signed distance to an ellipse (exact for circles, close near the edge otherwise)."""
    k = np.sqrt(((u - cx) / rx) ** 2 + ((v - cy) / ry) ** 2)
    return (k - 1.0) * min(rx, ry)


def _box(u, v, cx, cy, half_width, half_height):
    """Signed distance to an axis-aligned rectangle."""
    qx = np.abs(u - cx) - half_width
    qy = np.abs(v - cy) - half_height
    outside = np.sqrt(np.maximum(qx, 0.0) ** 2 + np.maximum(qy, 0.0) ** 2)
    return outside + np.minimum(np.maximum(qx, qy), 0.0)


def _only(flag):
    """0 where ``flag`` is set, far outside elsewhere: added to a distance, it hides the layer for other faces."""
    return np.where(flag, np.float32(0.0), np.float32(_FAR))[:, None, None]


class _Canvas:
    """N images being painted layer by layer, each layer a signed distance and a colour."""

    def __init__(self, background, size, pixel):
        self.rgb = np.repeat(background[:, :, None, None], size, axis=2).repeat(size, axis=3).astype(np.float32)
        self.pixel = pixel  # the width of one pixel in face units, per face (N, 1, 1)

    def fill(self, d, color, opacity=1.0, softness=1.0):
        # coverage = clip(0.5 − d / pixel, 0, 1): 1 inside, 0 outside, a one-pixel ramp on the edge
        alpha = np.clip(0.5 - d / (self.pixel * softness), 0.0, 1.0).astype(np.float32) * np.float32(opacity)
        alpha = np.broadcast_to(alpha, (len(self.rgb),) + self.rgb.shape[2:])
        # blend only inside the rows and columns the layer touches (an eye is a small part of the picture)
        touched = alpha.max(axis=0) > 0
        rows, cols = np.flatnonzero(touched.any(axis=1)), np.flatnonzero(touched.any(axis=0))
        if len(rows) == 0:
            return
        box = (slice(None), slice(None), slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
        rgb = self.rgb[box]
        # rgb ← rgb + alpha · (color − rgb), in place: this blend is most of the drawing time
        change = np.subtract(np.asarray(color, dtype=np.float32).reshape(-1, 3, 1, 1), rgb)
        change *= alpha[:, None][box]
        rgb += change

    def outlined(self, d, color, line_color):
        """A shape with a dark line around it, as a cartoon draws it."""
        self.fill(d - LINE_PIXELS * self.pixel, line_color)
        self.fill(d, color)


# ---------------------------------------------------------------- the face, back to front
def _draw(attributes, looks, size):
    n = len(attributes["hair_color"])
    hair = np.asarray(list(HAIR_COLORS.values()), dtype=np.float32)[attributes["hair_color"]]
    eyes = np.asarray(list(EYE_COLORS.values()), dtype=np.float32)[attributes["eye_color"]]
    background = np.asarray(list(BACKGROUND_COLORS.values()), dtype=np.float32)[attributes["background"]]
    skin = np.clip(np.asarray(SKIN, dtype=np.float32) + looks["skin"], 0.0, 1.0)
    is_long = attributes["hair_length"] == 1

    # pixel centres in [-1, 1], moved and scaled per face into face coordinates (u across, v down)
    grid = ((np.arange(size) + 0.5) * (2.0 / size) - 1.0).astype(np.float32)
    scale = looks["scale"].astype(np.float32)[:, None, None]
    u = (grid[None, None, :] - looks["dx"].astype(np.float32)[:, None, None]) / scale  # (N, 1, W)
    v = (grid[None, :, None] - looks["dy"].astype(np.float32)[:, None, None]) / scale  # (N, H, 1)
    canvas = _Canvas(background, size, (2.0 / size) / scale)

    canvas.fill(_ellipse(u, v, 0.0, 1.32, 0.82, 0.44), np.broadcast_to(SHIRT, (n, 3)))

    # hair behind the head: a dome, with sides that stop at the jaw (short) or fall past the shoulders (long)
    dome = _ellipse(u, v, 0.0, -0.04, 0.64, 0.70)
    short_sides = _box(u, v, 0.0, 0.12, 0.60, 0.18) + _only(~is_long)
    flare = 0.60 + 0.10 * np.clip(v / 0.9, 0.0, 1.0)  # long hair widens a little towards its ends
    long_sides = np.maximum(np.abs(u) - flare, np.maximum(v - 0.98, -v)) + _only(is_long)
    canvas.outlined(np.minimum(dome, np.minimum(short_sides, long_sides)), hair, hair * 0.5)

    canvas.outlined(_box(u, v, 0.0, 0.72, 0.13, 0.26), skin * 0.88, np.broadcast_to(SKIN_LINE, (n, 3)))
    # the face: an ellipse whose width narrows towards the chin
    taper = 1.0 - 0.5 * np.clip((v - 0.10) / 0.58, 0.0, 1.0) ** 2
    face = _ellipse(u / taper, v, 0.0, 0.10, 0.50, 0.58)
    canvas.outlined(face, skin, np.broadcast_to(SKIN_LINE, (n, 3)))

    # hair in front: bangs whose lower edge is a row of points, and two locks framing the face
    period = 0.26
    phase = looks["bangs_phase"].astype(np.float32)[:, None, None]
    tooth = np.abs(((u / period + phase) % 1.0) - 0.5) * 2.0  # 0 at a point's tip, 1 between points
    bangs = np.maximum(_ellipse(u, v, 0.0, -0.06, 0.60, 0.66), v - (-0.08 - 0.22 * tooth))
    lock_end = np.where(is_long, np.float32(0.80), np.float32(0.40))[:, None, None]
    lock_width = 0.10 * np.clip((lock_end - v) / 0.35, 0.0, 1.0)  # narrows to a point at its end
    locks = np.maximum(np.abs(np.abs(u) - 0.52) - lock_width, np.maximum(v - lock_end, -0.30 - v))
    canvas.outlined(np.minimum(bangs, locks), hair, hair * 0.5)

    # big eyes: a dark upper lash, the white, the iris, a darker pupil, two highlights
    def both_eyes(shape, dx, *rest):
        return np.minimum(shape(u, v, 0.23 + dx, *rest), shape(u, v, -0.23 - dx, *rest))

    white = both_eyes(_ellipse, 0.0, 0.15, 0.15, 0.17)
    lash = np.maximum(both_eyes(_ellipse, 0.0, 0.15, 0.185, 0.205), v - 0.10)
    canvas.fill(lash, np.broadcast_to((0.12, 0.08, 0.10), (n, 3)))
    canvas.fill(white, np.ones((n, 3), dtype=np.float32))
    iris = np.maximum(both_eyes(_ellipse, 0.0, 0.17, 0.115, 0.15), white)
    canvas.fill(iris, eyes)
    canvas.fill(np.maximum(iris, v - 0.06), eyes * 0.6)  # the lash's shadow on the iris
    canvas.fill(both_eyes(_ellipse, 0.0, 0.14, 0.05, 0.08), eyes * 0.3)
    canvas.fill(both_eyes(_ellipse, -0.045, 0.08, 0.042, 0.042), np.ones((n, 3), dtype=np.float32))
    canvas.fill(both_eyes(_ellipse, 0.05, 0.23, 0.022, 0.022), np.ones((n, 3), dtype=np.float32))

    blush = both_eyes(_ellipse, 0.10, 0.38, 0.10, 0.05) + _only(attributes["blush"] == 1)
    canvas.fill(blush, np.broadcast_to(BLUSH, (n, 3)), opacity=0.65, softness=3.0)

    # mouth: a small smile line (closed) or a D-shaped open mouth with a tongue
    is_open = attributes["mouth"] == 1
    smile = np.maximum(np.abs(v - (0.47 - 2.5 * u ** 2)) - 0.022, np.abs(u) - 0.08) + _only(~is_open)
    canvas.fill(smile, np.broadcast_to(SKIN_LINE, (n, 3)))
    mouth = np.maximum(_ellipse(u, v, 0.0, 0.43, 0.10, 0.11), 0.43 - v) + _only(is_open)
    canvas.outlined(mouth, np.broadcast_to(MOUTH, (n, 3)), np.broadcast_to(SKIN_LINE, (n, 3)))
    canvas.fill(np.maximum(_ellipse(u, v, 0.0, 0.535, 0.06, 0.035), mouth), np.broadcast_to(TONGUE, (n, 3)))
    return canvas.rgb
