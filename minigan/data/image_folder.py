"""ImageFolder: every PNG or JPEG under a folder as one float32 array, cached for the next run.

    faces = ImageFolder("~/data/anime-faces", size=64)   # faces.images: float32 N×3×64×64 in [-1, 1]

Decoding thousands of images takes a while, so the decoded pixels are saved (as uint8) in
``<folder>/.minigan_cache/``, under a name that contains a hash of the file list (every file's
name, size and modification time) and of the arguments.  The next run with the same files loads
that cache in a moment; add, remove or change a file and the hash changes, so it is rebuilt.
"""
from __future__ import annotations

import glob
import hashlib
import os
import tempfile
import warnings
import zipfile

import numpy as np
from PIL import Image

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
CACHE_DIR = ".minigan_cache"
_UNREADABLE = (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError)  # what Pillow raises


class ImageFolder:
    """All PNG/JPEG files under ``root`` (searched recursively, in sorted order) as size×size RGB.

    ``crop=True`` cuts out each image's centre square and scales it to ``size``; ``crop=False``
    stretches the whole image to the square.  Attributes:

    - ``images``: float32 N×3×size×size in [-1, 1] (the range of a tanh generator);
    - ``paths``: the files the images came from, relative to ``root``;
    - ``skipped``: files that could not be decoded (a warning names them; they are left out);
    - ``from_cache``: whether this run loaded the cache instead of decoding.
    """

    def __init__(self, root, size: int, crop: bool = True, cache: bool = True):
        if int(size) != size or size < 1:
            raise ValueError(f"ImageFolder: size must be a positive integer, got {size!r}")
        self.root = os.path.abspath(os.path.expanduser(os.fspath(root)))
        self.size, self.crop = int(size), bool(crop)
        files = _scan(self.root)
        self.cache_path = os.path.join(self.root, CACHE_DIR, self._cache_name(self._fingerprint(files)))
        cached = _read_cache(self.cache_path) if cache else None
        self.from_cache = cached is not None
        if cached is None:
            cached = self._decode(files)
            if cache:
                _write_cache(self.cache_path, cached, stale=self._cache_name("*"))
        pixels, self.paths, self.skipped = cached
        if self.skipped:
            warnings.warn(f"ImageFolder: skipped {len(self.skipped)} unreadable file(s) under {self.root}: "
                          + ", ".join(self.skipped), stacklevel=2)
        # uint8 0..255 -> float32 [-1, 1]
        self.images = pixels.astype(np.float32) * np.float32(2.0 / 255.0) - np.float32(1.0)

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index):
        return self.images[index]

    def __repr__(self) -> str:
        return f"ImageFolder({self.root!r}, size={self.size}, crop={self.crop}): {len(self)} images"

    def _cache_name(self, fingerprint: str) -> str:
        """``images-<size>-<crop|resize>-<fingerprint>.npz``; the fingerprint ``*`` makes it a glob for any file list."""
        return f"images-{self.size}-{'crop' if self.crop else 'resize'}-{fingerprint}.npz"

    def _fingerprint(self, files) -> str:
        """A hash of every file's name, size and modification time, and of the arguments."""
        listing = hashlib.sha256(f"size={self.size} crop={self.crop}\n".encode())
        for relative, stat in files:
            listing.update(f"{relative}\t{stat.st_size}\t{stat.st_mtime_ns}\n".encode())
        return listing.hexdigest()[:16]

    def _decode(self, files):
        pixels, paths, skipped = [], [], []
        for relative, _ in files:
            try:
                pixels.append(_load_image(os.path.join(self.root, relative), self.size, self.crop))
                paths.append(relative)
            except _UNREADABLE as error:
                skipped.append(f"{relative} ({error})")
        if not pixels:
            raise ValueError(f"ImageFolder: none of the {len(files)} image files under {self.root} could be read: "
                             + ", ".join(skipped))
        # N×H×W×3 (how Pillow gives pixels) -> N×3×H×W (how Conv2d takes them)
        return np.stack(pixels).transpose(0, 3, 1, 2).copy(), paths, skipped


def _scan(root: str) -> list:
    """(path relative to root, os.stat result) for every image file, sorted; hidden folders are skipped."""
    if not os.path.exists(root):
        raise FileNotFoundError(f"ImageFolder: folder {root} does not exist")
    if not os.path.isdir(root):
        raise NotADirectoryError(f"ImageFolder: {root} is a file, not a folder of images")
    files = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]  # includes the cache
        for name in names:
            if name.lower().endswith(IMAGE_SUFFIXES):
                path = os.path.join(folder, name)
                files.append((os.path.relpath(path, root), os.stat(path)))
    if not files:
        raise FileNotFoundError(f"ImageFolder: no PNG or JPEG files ({', '.join(IMAGE_SUFFIXES)}) under {root}")
    return sorted(files, key=lambda item: item[0])


def _load_image(path: str, size: int, crop: bool) -> np.ndarray:
    """One image file as uint8 size×size×3."""
    with Image.open(path) as image:
        image.draft("RGB", (size, size))  # a JPEG decodes straight to a smaller scale when it can
        image = image.convert("RGB")
        if crop:  # the centre square, cut before resizing so nothing from outside it bleeds in
            width, height = image.size
            side = min(width, height)
            left, top = (width - side) // 2, (height - side) // 2
            image = image.crop((left, top, left + side, top + side))
        return np.asarray(image.resize((size, size), Image.Resampling.BICUBIC), dtype=np.uint8)


def _read_cache(path: str):
    if not os.path.exists(path):
        return None
    try:
        with np.load(path, allow_pickle=False) as archive:
            return archive["pixels"], archive["paths"].tolist(), archive["skipped"].tolist()
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:  # rebuilt, not fatal
        warnings.warn(f"ImageFolder: ignoring unreadable cache {path} ({error}); decoding the images again",
                      stacklevel=3)
        return None


def _write_cache(path: str, cached, stale: str) -> None:
    """Save atomically (temporary file, then rename) and remove caches of older file lists."""
    pixels, paths, skipped = cached
    folder = os.path.dirname(path)
    try:
        os.makedirs(folder, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=folder, suffix=".part")
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, pixels=pixels, paths=np.asarray(paths, dtype=str), skipped=np.asarray(skipped, dtype=str))
            os.replace(temp, path)
        except BaseException:
            os.unlink(temp)
            raise
        for old in glob.glob(os.path.join(glob.escape(folder), stale)):
            if old != path:
                os.unlink(old)
    except OSError as error:  # a read-only folder: still usable, just not cached
        warnings.warn(f"ImageFolder: could not write the cache {path} ({error}); the images will be decoded "
                      "again next time", stacklevel=3)
