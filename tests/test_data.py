"""minigan.data: IDX files, MNIST (bundled and from a folder, download with fake mirrors), toy faces,
ImageFolder with its cache, and the batch iterator.  Nothing here touches the network."""
import gzip
import hashlib
import io
import os
import urllib.error
import urllib.request

import numpy as np
import pytest
from PIL import Image

import minigan as mg
from minigan.data import faces as faces_module
from minigan.data import mnist as mnist_module
from minigan.data import (
    FACE_ATTRIBUTES, MNIST, DataLoader, DownloadError, IDXError, IDXSource, ImageFolder, load_idx_dataset,
    load_mnist, make_faces, read_idx, sample_batch, scale_images, write_idx,
)


# ---------------------------------------------------------------- IDX files
@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "float32", "float64"])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_idx_round_trip(tmp_path, dtype, suffix):
    array = (np.arange(2 * 3 * 5) - 7).astype(dtype).reshape(2, 3, 5)
    path = tmp_path / f"a-idx3{suffix}"
    write_idx(path, array)
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype) and back.shape == (2, 3, 5)
    np.testing.assert_array_equal(back, array)
    assert os.listdir(tmp_path) == [path.name]  # no temporary file left behind


def test_idx_is_big_endian(tmp_path):
    # magic 00 00 0B (int16) 01 (one dimension), size 2, then 1 and 256 big-endian
    (tmp_path / "f").write_bytes(bytes([0, 0, 0x0B, 1, 0, 0, 0, 2, 0, 1, 1, 0]))
    np.testing.assert_array_equal(read_idx(tmp_path / "f"), [1, 256])


def test_idx_gzip_is_recognised_by_content(tmp_path):
    write_idx(tmp_path / "x.gz", np.arange(4, dtype=np.uint8))
    os.rename(tmp_path / "x.gz", tmp_path / "x-ubyte")
    np.testing.assert_array_equal(read_idx(tmp_path / "x-ubyte"), np.arange(4))


@pytest.mark.parametrize("content, message", [
    (b"", "bad magic"),
    (b"\x08\x03\x00\x00", "bad magic"),
    (bytes([0, 0, 0x07, 1, 0, 0, 0, 1, 5]), "unknown IDX type code 0x07"),
    (bytes([0, 0, 0x08, 3, 0, 0, 0, 2]), "truncated header"),
    (bytes([0, 0, 0x08, 1, 0, 0, 0, 4, 1, 2, 3]), "truncated"),
    (bytes([0, 0, 0x08, 1, 0, 0, 0, 2, 1, 2, 3]), "extra bytes"),
    (b"\x1f\x8bnot really gzip", "not a valid gzip"),
])
def test_idx_corrupt_files_name_the_file(tmp_path, content, message):
    path = tmp_path / "broken-idx1-ubyte"
    path.write_bytes(content)
    with pytest.raises(IDXError, match=message) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_idx_truncated_gzip(tmp_path):
    whole = gzip.compress(bytes([0, 0, 8, 1, 0, 0, 4, 0]) + bytes(1024))
    (tmp_path / "cut.gz").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(IDXError, match="cut.gz.*not a valid gzip"):
        read_idx(tmp_path / "cut.gz")


def test_write_idx_rejects_dtypes_idx_cannot_hold(tmp_path):
    with pytest.raises(TypeError, match="int64"):
        write_idx(tmp_path / "x", np.arange(3, dtype=np.int64))


# ---------------------------------------------------------------- MNIST
def test_bundled_mnist_split():
    data = load_mnist()
    assert data.train_images.shape == (4000, 28, 28) and data.train_images.dtype == np.uint8
    assert data.test_images.shape == (1000, 28, 28) and data.test_labels.dtype == np.int64
    assert (np.bincount(data.train_labels) == 400).all() and (np.bincount(data.test_labels) == 100).all()
    np.testing.assert_array_equal(data.train_labels[:20], np.tile(np.arange(10), 2))
    # the two splits are the whole file, each image once, and the split is the same every time
    with np.load(os.path.join(os.path.dirname(mnist_module.__file__), "mnist_5k.npz")) as archive:
        everything = archive["images"].reshape(5000, -1)
    both = np.concatenate([data.train_images, data.test_images]).reshape(5000, -1)
    np.testing.assert_array_equal(np.unique(both, axis=0), np.unique(everything, axis=0))
    np.testing.assert_array_equal(load_mnist().test_images, data.test_images)
    assert "4000 images 28×28 uint8" in repr(data)


def test_bundled_mnist_cannot_download():
    with pytest.raises(ValueError, match="root folder"):
        load_mnist(download=True)


def test_bundled_mnist_checks_its_checksum(monkeypatch):
    monkeypatch.setattr(mnist_module, "BUNDLED_SHA256", "0" * 64)
    with pytest.raises(OSError, match="damaged"):
        load_mnist()


def test_scale_images():
    images = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)
    tanh = scale_images(images)
    assert tanh.dtype == np.float32 and tanh.shape == (1, 1, 2, 2)
    np.testing.assert_allclose(tanh.ravel(), [-1.0, 1.0, -0.6, -0.2], atol=1e-6)
    unit = scale_images(images, value_range=(0, 1), flatten=True)
    assert unit.shape == (1, 4)
    np.testing.assert_allclose(unit.ravel(), [0.0, 1.0, 0.2, 0.4], atol=1e-6)
    with pytest.raises(TypeError, match="uint8"):
        scale_images(tanh)


def _fake_mnist(seed=0):
    rng = np.random.default_rng(seed)
    return {"train_images": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
            "train_labels": rng.integers(0, 10, 6, dtype=np.uint8),
            "test_images": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
            "test_labels": rng.integers(0, 10, 3, dtype=np.uint8)}


def _write_standard_files(root, arrays, gz=("train_images",)):
    for field, array in arrays.items():
        write_idx(root / (MNIST.files[field] + (".gz" if field in gz else "")), array)


def _assert_loaded(data, arrays):
    for field, array in arrays.items():
        np.testing.assert_array_equal(getattr(data, field), array)
    assert data.train_labels.dtype == np.int64


def test_load_mnist_from_a_folder_of_idx_files(tmp_path):
    arrays = _fake_mnist()
    _write_standard_files(tmp_path, arrays)
    _assert_loaded(load_mnist(tmp_path), arrays)


def test_missing_files_say_what_to_put_where(tmp_path):
    arrays = _fake_mnist()
    del arrays["test_labels"]
    _write_standard_files(tmp_path, arrays)
    with pytest.raises(FileNotFoundError) as info:
        load_mnist(tmp_path)
    message = str(info.value)
    assert "t10k-labels-idx1-ubyte" in message and str(tmp_path) in message and "download=True" in message


def test_images_and_labels_of_different_lengths(tmp_path):
    arrays = _fake_mnist()
    arrays["test_labels"] = arrays["test_labels"][:2]
    _write_standard_files(tmp_path, arrays)
    with pytest.raises(ValueError, match="t10k-labels-idx1-ubyte"):
        load_mnist(tmp_path)


def test_a_corrupt_file_in_the_folder_is_named(tmp_path):
    _write_standard_files(tmp_path, _fake_mnist(), gz=())
    path = tmp_path / "train-labels-idx1-ubyte"
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(IDXError, match="train-labels-idx1-ubyte: truncated"):
        load_mnist(tmp_path)


# ---------------------------------------------------------------- download, with fake mirrors
class FakeWeb:
    """Stands in for urllib.request.urlopen: serves bytes (or raises) per URL, and records the calls."""

    def __init__(self, responses):
        self.responses, self.calls = responses, []

    def __call__(self, url, timeout=None):
        self.calls.append(url)
        answer = self.responses.get(url, urllib.error.URLError("no route to host"))
        if isinstance(answer, list):  # a list: one answer per call, for flaky servers
            answer = answer.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return io.BytesIO(answer)


@pytest.fixture
def fake_source(tmp_path):
    """A source like MNIST's, whose published MD5s are those of small .gz files made here."""
    arrays = _fake_mnist()
    made = tmp_path / "made"
    made.mkdir()
    _write_standard_files(made, arrays, gz=tuple(arrays))
    served = {path.name: path.read_bytes() for path in made.iterdir()}
    md5 = {name: hashlib.md5(content).hexdigest() for name, content in served.items()}
    source = IDXSource("Fake", MNIST.files, mirrors=("http://first/", "http://second/"), md5=md5)
    return source, arrays, served


@pytest.fixture(autouse=True)
def no_retry_delay(monkeypatch):
    monkeypatch.setattr(mnist_module, "RETRY_DELAY_S", 0.0)


def test_download_verifies_and_writes_the_files(tmp_path, monkeypatch, fake_source):
    source, arrays, served = fake_source
    web = FakeWeb({"http://first/" + name: content for name, content in served.items()})
    monkeypatch.setattr(urllib.request, "urlopen", web)
    _assert_loaded(load_idx_dataset(tmp_path / "new", source, download=True), arrays)
    assert sorted(os.listdir(tmp_path / "new")) == sorted(served)  # no .part files left
    assert len(web.calls) == 4
    load_idx_dataset(tmp_path / "new", source, download=True)
    assert len(web.calls) == 4  # files already there are not fetched again


def test_checksum_mismatch_moves_to_the_next_mirror(tmp_path, monkeypatch, fake_source):
    source, arrays, served = fake_source
    responses = {"http://first/" + name: b"a different file" for name in served}
    responses.update({"http://second/" + name: content for name, content in served.items()})
    web = FakeWeb(responses)
    monkeypatch.setattr(urllib.request, "urlopen", web)
    _assert_loaded(load_idx_dataset(tmp_path / "new", source, download=True, attempts=3), arrays)
    assert sum(url.startswith("http://first/") for url in web.calls) == 4  # one try each: no retry on a mismatch


def test_network_errors_are_retried(tmp_path, monkeypatch, fake_source):
    source, arrays, served = fake_source
    flaky = {"http://first/" + name: [urllib.error.URLError("timed out"), TimeoutError("read"), content]
             for name, content in served.items()}
    web = FakeWeb(flaky)
    monkeypatch.setattr(urllib.request, "urlopen", web)
    _assert_loaded(load_idx_dataset(tmp_path / "new", source, download=True, attempts=3), arrays)
    assert len(web.calls) == 12 and all(url.startswith("http://first/") for url in web.calls)


def test_http_404_is_not_retried(tmp_path, monkeypatch, fake_source):
    source, arrays, served = fake_source
    responses = {"http://first/" + name: urllib.error.HTTPError("u", 404, "Not Found", {}, None) for name in served}
    responses.update({"http://second/" + name: content for name, content in served.items()})
    web = FakeWeb(responses)
    monkeypatch.setattr(urllib.request, "urlopen", web)
    _assert_loaded(load_idx_dataset(tmp_path / "new", source, download=True), arrays)
    assert len(web.calls) == 8


def test_offline_download_says_where_to_put_the_files(tmp_path, monkeypatch):
    web = FakeWeb({})
    monkeypatch.setattr(urllib.request, "urlopen", web)
    with pytest.raises(DownloadError) as info:
        load_mnist(tmp_path, download=True, attempts=2)
    message = str(info.value)
    assert "train-images-idx3-ubyte.gz" in message and "t10k-labels-idx1-ubyte.gz" in message
    assert str(tmp_path) in message and "load_mnist() with no root" in message
    assert web.calls == [mirror + "train-images-idx3-ubyte.gz" for mirror in MNIST.mirrors for _ in range(2)]
    assert os.listdir(tmp_path) == []  # nothing half-written


# ---------------------------------------------------------------- toy anime faces
def _pixels_near(images, color, tolerance=0.02):
    """How many pixels of each image (N×3×H×W in [-1, 1]) are within ``tolerance`` of an RGB colour in [0, 1]."""
    rgb = (images + 1) / 2
    close = np.abs(rgb - np.asarray(color, dtype=np.float32)[:, None, None]).max(axis=1) <= tolerance
    return close.sum(axis=(1, 2))


def test_faces_shapes_and_determinism():
    images, attributes = make_faces(6, size=32, seed=3)
    assert images.shape == (6, 3, 32, 32) and images.dtype == np.float32
    assert images.min() >= -1 and images.max() <= 1
    assert set(attributes) == set(FACE_ATTRIBUTES)
    for name, values in attributes.items():
        assert values.dtype == np.int64 and values.min() >= 0 and values.max() < len(FACE_ATTRIBUTES[name])
    again, same = make_faces(6, size=32, seed=3)
    np.testing.assert_array_equal(again, images)
    assert not np.array_equal(make_faces(6, size=32, seed=4)[0], images)
    assert make_faces(2, size=64)[0].shape == (2, 3, 64, 64)


def test_faces_attributes_vary_independently():
    _, attributes = make_faces(3000, size=8, seed=0)
    labels = np.stack(list(attributes.values())).astype(np.float64)
    correlation = np.corrcoef(labels) - np.eye(len(labels))
    assert np.abs(correlation).max() < 0.1
    for name, values in attributes.items():
        assert len(np.unique(values)) == len(FACE_ATTRIBUTES[name])


def test_face_colours_match_their_labels():
    images, attributes = make_faces(40, size=64, seed=1)
    hair = np.stack([_pixels_near(images, c) for c in faces_module.HAIR_COLORS.values()], axis=1)
    np.testing.assert_array_equal(hair.argmax(axis=1), attributes["hair_color"])
    assert (hair.max(axis=1) > 400).all()  # hair is a large part of every face
    eyes = np.stack([_pixels_near(images, c) for c in faces_module.EYE_COLORS.values()], axis=1)
    np.testing.assert_array_equal(eyes.argmax(axis=1), attributes["eye_color"])
    assert (eyes.max(axis=1) >= 20).all()
    backgrounds = np.asarray(list(faces_module.BACKGROUND_COLORS.values()), dtype=np.float32)
    np.testing.assert_allclose((images[:, :, 0, 0] + 1) / 2, backgrounds[attributes["background"]], atol=1e-5)
    # the top of the head (x = 0, y = -0.55 in [-1, 1] image coordinates) is hair of the labelled colour
    top = (images[:, :, 14, 32] + 1) / 2
    palette = np.asarray(list(faces_module.HAIR_COLORS.values()), dtype=np.float32)
    np.testing.assert_allclose(top, palette[attributes["hair_color"]], atol=1e-5)


def test_fixed_attributes_change_only_that_part():
    base, attributes = make_faces(8, size=64, seed=2)
    blue, fixed = make_faces(8, size=64, seed=2, hair_color="blue")
    assert (fixed["hair_color"] == FACE_ATTRIBUTES["hair_color"].index("blue")).all()
    for name in FACE_ATTRIBUTES:
        if name != "hair_color":
            np.testing.assert_array_equal(fixed[name], attributes[name])
    same_hair = attributes["hair_color"] == fixed["hair_color"]
    np.testing.assert_array_equal(blue[same_hair], base[same_hair])
    with pytest.raises(ValueError, match="hair_color"):
        make_faces(2, hair_color="green")
    with pytest.raises(TypeError, match="unknown attribute"):
        make_faces(2, hat="yes")


def test_hair_length_mouth_and_blush_are_visible():
    n, size = 6, 64
    long_hair, attributes = make_faces(n, size, seed=5, hair_length="long")
    short_hair, _ = make_faces(n, size, seed=5, hair_length="short")
    hair = np.asarray(list(faces_module.HAIR_COLORS.values()))[attributes["hair_color"]]
    bottom = slice(7 * size // 8, size)  # the shoulders, below where short hair ends
    for i in range(n):
        assert _pixels_near(long_hair[i:i + 1, :, bottom], hair[i])[0] > 50
        assert _pixels_near(short_hair[i:i + 1, :, bottom], hair[i])[0] == 0
    open_mouth, _ = make_faces(n, size, seed=5, mouth=1)
    closed_mouth, _ = make_faces(n, size, seed=5, mouth=0)
    assert (_pixels_near(open_mouth, faces_module.MOUTH) >= 3).all()
    assert (_pixels_near(closed_mouth, faces_module.MOUTH) == 0).all()
    blush, _ = make_faces(n, size, seed=5, blush="yes")
    plain, _ = make_faces(n, size, seed=5, blush="no")
    changed = np.abs(blush - plain).max(axis=1) > 1e-3
    rows, cols = np.nonzero(changed.any(axis=0))
    assert rows.min() > size // 2 and rows.max() < 3 * size // 4  # on the cheeks, between eyes and chin
    redness = lambda images: (images[:, 0] - images[:, 1])[changed].mean()  # noqa: E731
    assert redness(blush) > redness(plain) + 0.1


# ---------------------------------------------------------------- ImageFolder
def _save(path, array, **options):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(array, dtype=np.uint8)).save(path, **options)


@pytest.fixture
def image_dir(tmp_path):
    stripes = np.zeros((20, 40, 3), dtype=np.uint8)  # blue | green (the centre square) | red
    stripes[:, :10, 2] = 255
    stripes[:, 10:30, 1] = 255
    stripes[:, 30:, 0] = 255
    _save(tmp_path / "a_stripes.png", stripes)
    _save(tmp_path / "sub" / "b_grey.jpg", np.full((30, 30), 128), quality=95)
    _save(tmp_path / "sub" / "c_alpha.png", np.full((16, 16, 4), 200))
    (tmp_path / "sub" / "d_broken.png").write_bytes(b"\x89PNG not an image")
    (tmp_path / "notes.txt").write_text("ignored")
    return tmp_path


def test_image_folder_reads_crops_and_caches(image_dir):
    with pytest.warns(UserWarning, match="d_broken.png"):
        first = ImageFolder(image_dir, size=8)
    assert first.images.shape == (3, 3, 8, 8) and first.images.dtype == np.float32
    assert first.paths == ["a_stripes.png", os.path.join("sub", "b_grey.jpg"), os.path.join("sub", "c_alpha.png")]
    assert not first.from_cache and os.path.exists(first.cache_path)
    np.testing.assert_allclose(first.images[0], np.array([-1, 1, -1])[:, None, None] * np.ones((8, 8)), atol=0.02)
    np.testing.assert_allclose(first.images[1], 128 / 127.5 - 1, atol=0.03)
    with pytest.warns(UserWarning, match="d_broken.png"):
        second = ImageFolder(image_dir, size=8)
    assert second.from_cache and second.paths == first.paths
    np.testing.assert_array_equal(second.images, first.images)


def test_image_folder_resize_keeps_the_whole_picture(image_dir):
    with pytest.warns(UserWarning):
        stretched = ImageFolder(image_dir, size=8, crop=False, cache=False)
    rgb = stretched.images[0]
    assert rgb[2, :, 0].min() > 0.9 and rgb[0, :, -1].min() > 0.9  # blue on the left, red on the right


def test_image_folder_rebuilds_when_the_folder_changes(image_dir):
    with pytest.warns(UserWarning):
        old = ImageFolder(image_dir, size=8)
    _save(image_dir / "e_new.png", np.zeros((8, 8, 3)))
    with pytest.warns(UserWarning):
        new = ImageFolder(image_dir, size=8)
    assert not new.from_cache and len(new) == 4 and new.cache_path != old.cache_path
    assert not os.path.exists(old.cache_path)  # the stale cache is removed
    with pytest.warns(UserWarning):
        other_size = ImageFolder(image_dir, size=4)
    assert not other_size.from_cache and os.path.exists(new.cache_path)  # each size keeps its own cache
    os.utime(image_dir / "e_new.png", ns=(0, 0))  # the same name and size, but a changed file
    with pytest.warns(UserWarning):
        assert not ImageFolder(image_dir, size=8).from_cache


def test_image_folder_rebuilds_a_damaged_cache(image_dir):
    os.remove(image_dir / "sub" / "d_broken.png")
    first = ImageFolder(image_dir, size=8)
    with open(first.cache_path, "wb") as f:
        f.write(b"PK\x03\x04 garbage")
    with pytest.warns(UserWarning, match="ignoring unreadable cache"):
        again = ImageFolder(image_dir, size=8)
    assert not again.from_cache
    np.testing.assert_array_equal(again.images, first.images)


def test_image_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ImageFolder(tmp_path / "missing", size=8)
    with pytest.raises(FileNotFoundError, match="no PNG or JPEG"):
        ImageFolder(tmp_path, size=8)
    (tmp_path / "file.png").write_bytes(b"nothing")
    with pytest.raises(NotADirectoryError):
        ImageFolder(tmp_path / "file.png", size=8)
    with pytest.raises(ValueError, match="none of the 1 image files"):
        ImageFolder(tmp_path, size=8)
    with pytest.raises(ValueError, match="size"):
        ImageFolder(tmp_path, size=0)


# ---------------------------------------------------------------- batches
def test_dataloader_visits_every_example_once_per_epoch(device):
    x = np.arange(10, dtype=np.float64)[:, None] * np.ones((1, 3))
    y = np.arange(10)
    loader = DataLoader(x, y, batch_size=4, seed=0)
    assert len(loader) == 3
    epochs = []
    for _ in range(2):
        batches = list(loader)
        assert [len(b[0]) for b in batches] == [4, 4, 2]
        xb, yb = batches[0]
        assert isinstance(xb, mg.Tensor) and xb.dtype == np.float32 and yb.dtype == np.int64
        assert xb.device == device and yb.device == device
        order = np.concatenate([b[1].numpy() for b in batches])
        np.testing.assert_array_equal(np.concatenate([b[0].numpy()[:, 0] for b in batches]), order)  # rows stay paired
        assert sorted(order) == list(range(10))
        epochs.append(order)
    assert not np.array_equal(epochs[0], epochs[1])  # a new order each epoch
    replay = DataLoader(x, y, batch_size=4, seed=0)
    replay.set_epoch(1)
    np.testing.assert_array_equal(np.concatenate([b[1].numpy() for b in replay]), epochs[1])


def test_dataloader_drop_last_no_shuffle_and_global_seed(device):
    y = np.arange(10)
    loader = DataLoader(y, batch_size=4, shuffle=False, drop_last=True)
    assert len(loader) == 2
    np.testing.assert_array_equal(np.concatenate([b.numpy() for (b,) in loader]), np.arange(8))
    orders = []
    for _ in range(2):
        mg.manual_seed(7)
        orders.append(np.concatenate([b.numpy() for (b,) in DataLoader(y, batch_size=3)]))
    np.testing.assert_array_equal(orders[0], orders[1])


def test_dataloader_errors():
    with pytest.raises(ValueError, match="argument 0: 5, argument 1: 4"):
        DataLoader(np.zeros((5, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(np.zeros(5), batch_size=0)
    with pytest.raises(TypeError, match="at least one array"):
        DataLoader()


def test_sample_batch(device):
    x = np.arange(50, dtype=np.float32)[:, None] * np.ones((1, 2), dtype=np.float32)
    y = np.arange(50)
    mg.manual_seed(1)
    state = mg.get_rng_state()
    xb, yb = sample_batch(x, y, m=8)
    assert xb.shape == (8, 2) and xb.device == device
    np.testing.assert_array_equal(xb.numpy()[:, 0], yb.numpy())
    assert len(set(yb.numpy().tolist())) == 8  # without replacement
    mg.set_rng_state(state)
    np.testing.assert_array_equal(sample_batch(y, m=8).numpy(), yb.numpy())  # resumable from a checkpoint
    assert sample_batch(mg.tensor(x), m=50).shape == (50, 2)
    with pytest.raises(ValueError, match="from 1 to the number of examples"):
        sample_batch(y, m=51)
