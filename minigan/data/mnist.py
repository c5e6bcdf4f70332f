"""MNIST: the 5,000-digit subset shipped with minigan, or the standard IDX files from a folder.

    data = load_mnist()                                  # offline, bundled: 4,000 train / 1,000 test
    data = load_mnist("~/data/mnist", download=True)     # the full 60,000 / 10,000
    x = scale_images(data.train_images, flatten=True)    # float32 N×784 in [-1, 1] for the GAN / VAE
    fashion = load_idx_dataset("~/data/fashion", FASHION_MNIST, download=True)

The bundled split is fixed and stratified: of the 500 images of each digit (in file order), every
fifth one (the 5th, 10th, ...) is a test image, the other four are training images.  Each split is
ordered so that the digits cycle 0, 1, ..., 9, which makes ``train_images[:10]`` one of each.
"""
from __future__ import annotations

import dataclasses
import hashlib
import http.client
import io
import os
import sys
import tempfile
import time
import urllib.error
import urllib.request
from importlib import resources

import numpy as np

from minigan.data.idx import read_idx

BUNDLED_FILE = "mnist_5k.npz"
BUNDLED_SHA256 = "246e0c30eeea57c8d0037d3f38c8e00651ec204cc61b8022563e9aeeb9d756f4"
TEST_EVERY = 5  # one image in five of each digit is a test image in the bundled split
RETRY_DELAY_S = 1.0  # wait before the second try of a URL; doubled before the third, ...
CHUNK_BYTES = 1 << 20


@dataclasses.dataclass(frozen=True, eq=False)  # eq=False: arrays have no single truth value to compare by
class ImageSplits:
    """Images (uint8, N×H×W, values 0..255) and their labels (int64, N, as PyTorch's targets), train and test."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray

    def __repr__(self) -> str:
        def describe(images):
            return f"{len(images)} images {'×'.join(map(str, images.shape[1:]))} {images.dtype}"
        return f"ImageSplits(train: {describe(self.train_images)}, test: {describe(self.test_images)})"


@dataclasses.dataclass(frozen=True)
class IDXSource:
    """A dataset in MNIST's IDX layout: its four file names, the mirrors that serve them, their MD5s.

    ``files`` maps each field of ``ImageSplits`` to a file name without ``.gz``; a mirror serves
    ``mirror + name + ".gz"``, and ``md5`` maps that ``.gz`` name to its published checksum.
    """

    name: str
    files: dict
    mirrors: tuple = ()
    md5: dict = dataclasses.field(default_factory=dict)


_STANDARD_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

# Mirrors and checksums as torchvision publishes them (torchvision/datasets/mnist.py), plus the
# copy TensorFlow downloads from; yann.lecun.com last, since it now often refuses downloads.
MNIST = IDXSource(
    name="MNIST",
    files=_STANDARD_FILES,
    mirrors=(
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ),
    md5={
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    },
)
FASHION_MNIST = IDXSource(
    name="Fashion-MNIST",
    files=_STANDARD_FILES,
    mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
    md5={
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    },
)
KMNIST = IDXSource(
    name="KMNIST",
    files=_STANDARD_FILES,
    mirrors=("http://codh.rois.ac.jp/kmnist/dataset/kmnist/",),
    md5={
        "train-images-idx3-ubyte.gz": "bdb82020997e1d708af4cf47b453dcf7",
        "train-labels-idx1-ubyte.gz": "e144d726b3acfaa3e44228e80efcd344",
        "t10k-images-idx3-ubyte.gz": "5c965bf0a639b31b8f53240b1b52f4d7",
        "t10k-labels-idx1-ubyte.gz": "7320c461ea6c1c855c0b718fb2a4b134",
    },
)


class DownloadError(OSError):
    """No mirror delivered a file with the published checksum."""


class _ChecksumMismatch(Exception):
    pass


# ---------------------------------------------------------------- the bundled subset
def load_mnist(root=None, download: bool = False, attempts: int = 3) -> ImageSplits:
    """MNIST as ``ImageSplits``: the bundled 5,000-digit subset, or the standard files in ``root``.

    With no ``root``: the subset shipped with minigan (4,000 train / 1,000 test, 400 / 100 of each
    digit, see the module docstring), checked against its sha256, no network needed.
    With ``root``: the four IDX files (plain or ``.gz``) read from that folder; ``download=True``
    fetches the missing ones first (see ``load_idx_dataset``).
    """
    if root is None:
        if download:
            raise ValueError("load_mnist(download=True) needs a root folder to download into")
        return _load_bundled()
    return load_idx_dataset(root, MNIST, download=download, attempts=attempts)


def _load_bundled() -> ImageSplits:
    raw = resources.files("minigan.data").joinpath(BUNDLED_FILE).read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != BUNDLED_SHA256:
        raise OSError(f"minigan/data/{BUNDLED_FILE} is damaged (sha256 {digest}, expected {BUNDLED_SHA256}); "
                      "reinstall minigan")
    with np.load(io.BytesIO(raw)) as archive:
        images, labels = archive["images"], archive["labels"].astype(np.int64)
    # rank[i] = how many images of the same digit come before image i in the file
    rank = np.empty(len(labels), dtype=np.int64)
    for digit in np.unique(labels):
        where = np.flatnonzero(labels == digit)
        rank[where] = np.arange(len(where))
    is_test = rank % TEST_EVERY == TEST_EVERY - 1

    def split(mask):
        index = np.flatnonzero(mask)
        index = index[np.lexsort((labels[index], rank[index]))]  # by rank, then digit: 0, 1, ..., 9, 0, 1, ...
        return images[index], labels[index]

    train_images, train_labels = split(~is_test)
    test_images, test_labels = split(is_test)
    return ImageSplits(train_images, train_labels, test_images, test_labels)


def scale_images(images, value_range=(-1.0, 1.0), flatten: bool = False) -> np.ndarray:
    """uint8 images (0..255) as float32 in ``value_range``: (-1, 1) for a tanh generator, (0, 1) for a sigmoid one.

    ``flatten=True`` gives N×(H·W) rows for linear models (N×784 for MNIST); otherwise grey
    images N×H×W get a channel axis, N×1×H×W, the layout ``nn.Conv2d`` takes.
    """
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise TypeError(f"scale_images expects uint8 images with values 0..255, got dtype {images.dtype}")
    if images.ndim not in (3, 4):
        raise ValueError(f"scale_images expects N×H×W or N×C×H×W images, got shape {images.shape}")
    low, high = (float(v) for v in value_range)
    scaled = images.astype(np.float32) * np.float32((high - low) / 255.0) + np.float32(low)
    if flatten:
        return scaled.reshape(len(scaled), -1)
    return scaled[:, None] if scaled.ndim == 3 else scaled


# ---------------------------------------------------------------- IDX files in a folder
def load_idx_dataset(root, source: IDXSource = MNIST, download: bool = False, attempts: int = 3) -> ImageSplits:
    """The four IDX files of ``source`` read from the folder ``root`` (each plain or ``.gz``).

    ``download=True`` first fetches the missing ones: each from the first mirror that delivers it
    with the published MD5, ``attempts`` tries per mirror for network errors, written atomically.
    Missing files without ``download`` raise ``FileNotFoundError``; a failed download raises
    ``DownloadError``; both say which files to put where.
    """
    root = os.path.abspath(os.path.expanduser(os.fspath(root)))
    paths = _find_files(root, source)
    missing = [source.files[field] for field, path in paths.items() if path is None]
    if missing and download:
        os.makedirs(root, exist_ok=True)
        for name in missing:
            _download(source, name + ".gz", root, attempts)
        paths = _find_files(root, source)
    elif missing:
        raise FileNotFoundError(f"{source.name}: {', '.join(missing)} (plain or .gz) not found in {root}; "
                                f"pass download=True, or {_where_to_put(source, root)}")
    arrays = {field: read_idx(path) for field, path in paths.items()}
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError(f"{source.name}: {paths[split + '_images']} holds images of shape {images.shape} "
                             f"and {paths[split + '_labels']} labels of shape {labels.shape}; expected "
                             "N×H×W images and N labels")
    arrays["train_labels"] = arrays["train_labels"].astype(np.int64)
    arrays["test_labels"] = arrays["test_labels"].astype(np.int64)
    return ImageSplits(**arrays)


def _find_files(root: str, source: IDXSource) -> dict:
    found = {}
    for field, name in source.files.items():
        candidates = [os.path.join(root, name), os.path.join(root, name + ".gz")]
        found[field] = next((path for path in candidates if os.path.isfile(path)), None)
    return found


def _where_to_put(source: IDXSource, root: str) -> str:
    names = ", ".join(name + ".gz" for name in source.files.values())
    where = f" (e.g. from {source.mirrors[0]})" if source.mirrors else ""
    hint = f"copy {names}{where} into {root}"
    if source is MNIST:
        hint += "; or call load_mnist() with no root for the bundled 5,000-digit subset"
    return hint


# ---------------------------------------------------------------- download
def _download(source: IDXSource, filename: str, root: str, attempts: int) -> None:
    """Fetch ``filename`` into ``root`` from the first mirror that serves the published bytes."""
    if not source.mirrors:
        raise DownloadError(f"{source.name} lists no mirrors to download {filename} from; "
                            f"{_where_to_put(source, root)}")
    md5 = source.md5.get(filename)
    failures = []
    for mirror in source.mirrors:
        url = mirror + filename
        for attempt in range(1, attempts + 1):
            print(f"minigan: downloading {url}", file=sys.stderr)
            try:
                _fetch(url, os.path.join(root, filename), md5)
                return
            except _ChecksumMismatch as error:
                failures.append(f"{url}: {error}")
                break  # this mirror serves other bytes; asking again will not change them
            except urllib.error.HTTPError as error:
                failures.append(f"{url}: HTTP {error.code} {error.reason}")
                if error.code < 500:
                    break  # 404, 403: the mirror does not have it; 5xx may pass
            except (OSError, http.client.HTTPException) as error:  # URLError, timeouts, cut connections
                failures.append(f"{url}: {error}")
            if attempt < attempts:
                time.sleep(RETRY_DELAY_S * 2 ** (attempt - 1))
    raise DownloadError(f"could not download {source.name} file {filename} from any mirror:\n  "
                        + "\n  ".join(failures) + f"\nWithout a network: {_where_to_put(source, root)}")


def _fetch(url: str, target: str, md5: str | None) -> None:
    """Stream ``url`` into a temporary file beside ``target``; rename it to ``target`` if the MD5 matches."""
    fd, temp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=os.path.basename(target), suffix=".part")
    try:
        digest = hashlib.md5(usedforsecurity=False)  # a checksum, not security
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=60) as response:
            while chunk := response.read(CHUNK_BYTES):
                digest.update(chunk)
                out.write(chunk)
        if md5 is not None and digest.hexdigest() != md5:
            raise _ChecksumMismatch(f"MD5 {digest.hexdigest()} does not match the published {md5}")
        os.replace(temp, target)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
