"""How good are generated images?  Ask a classifier trained on the real ones.

A GAN has no likelihood to report, so its images are judged by a network that knows the real data
(Salimans et al., "Improved Techniques for Training GANs", 2016; Heusel et al., "GANs Trained by a Two
Time-Scale Update Rule Converge to a Local Nash Equilibrium", 2017).  minigan ships two small conv nets,
trained with minigan itself by ``scripts/train_classifiers.py`` (weights in ``minigan/weights/``):

``DigitClassifier``          MNIST digits 0–9, for ``digit_metrics``: the classifier score (the Inception
                             score's formula with this classifier), which digits are generated and how
                             evenly, and the Fréchet distance of its features to real test digits.
``FaceAttributeClassifier``  the attributes of the toy anime faces (``minigan.data.FACE_ATTRIBUTES``), for
                             ``face_metrics``: per attribute, the total-variation distance between how
                             often generated and real faces show each value, and the Fréchet distance.

The formulas (``classifier_score``, ``class_histogram``, ``class_coverage``, ``kl_from_uniform``,
``total_variation``, ``frechet_distance``) take NumPy arrays and return Python floats.
"""
from __future__ import annotations

from importlib import resources

import numpy as np

from minigan import backend
from minigan import functional as F
from minigan import nn
from minigan.autograd import Tensor, no_grad
from minigan.creation import tensor
from minigan.data.faces import FACE_ATTRIBUTES
from minigan.data.mnist import load_mnist, scale_images
from minigan.io import load

DIGIT_WEIGHTS = "digit_classifier.npz"
FACE_WEIGHTS = "face_classifier.npz"
FEATURES = 128  # width of the penultimate layer, the features of the Fréchet distance
FACE_SIZE = 32
_loaded: dict = {}  # (weights file, device) ↦ classifier, so each is read from disk once


# ---------------------------------------------------------------- the networks
def _conv_stages(channels) -> list:
    """3×3 convolutions with ReLU, each followed by a 2×2 max pool that halves the size."""
    layers = []
    for c_in, c_out in zip(channels[:-1], channels[1:]):
        layers += [nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
    return layers


def _as_images(x, shape: tuple, name: str, device: str) -> Tensor:
    """``x`` (array or Tensor, N×C·H·W or N×C×H×W) as an N×C×H×W Tensor on ``device``, or an error naming its shape."""
    x = x.to(device) if isinstance(x, Tensor) else tensor(x, device=device)
    c, h, w = shape
    if x.ndim == 2 and x.shape[1] == c * h * w:
        return x.reshape(x.shape[0], c, h, w)
    if x.ndim == 4 and x.shape[1] == c and x.shape[2] == x.shape[3] and x.shape[2] % h == 0:
        return x
    raise ValueError(f"{name} takes N×{c}×{h}×{w} images (or N×{c * h * w} rows) with values in [-1, 1], "
                     f"got shape {tuple(x.shape)}")


class DigitClassifier(nn.Module):
    """MNIST digits (N×784 or N×1×28×28, values in [−1, 1]) ↦ 10 logits.

    28 → 14 → 7 → 3 pixels through three conv stages (16, 32, 64 channels), then 128 features, then
    the logits.  ``features(x)`` gives the 128 numbers before the last layer.
    """

    classes = 10

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(*_conv_stages([1, 16, 32, 64]), nn.Flatten(), nn.Linear(64 * 3 * 3, FEATURES),
                                  nn.ReLU())
        self.head = nn.Linear(FEATURES, self.classes)

    def features(self, x) -> Tensor:
        """The penultimate layer: N×128."""
        return self.body(_as_images(x, (1, 28, 28), "DigitClassifier", self.head.weight.device))

    def forward(self, x) -> Tensor:
        return self.head(self.features(x))


class FaceAttributeClassifier(nn.Module):
    """Toy anime faces (N×3×32×32, values in [−1, 1]) ↦ one set of logits per attribute.

    The logits of all attributes come side by side (N×21: hair colour, hair length, eye colour, mouth,
    blush, background, in ``FACE_ATTRIBUTES`` order).  Larger images whose side is a multiple of 32
    (64×64 faces) are averaged down to 32×32 first.
    """

    attributes = FACE_ATTRIBUTES

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(*_conv_stages([3, 16, 32, 64, 64]), nn.Flatten(), nn.Linear(64 * 2 * 2, FEATURES),
                                  nn.ReLU())
        self.head = nn.Linear(FEATURES, sum(len(values) for values in FACE_ATTRIBUTES.values()))

    def features(self, x) -> Tensor:
        """The penultimate layer: N×128."""
        x = _as_images(x, (3, FACE_SIZE, FACE_SIZE), "FaceAttributeClassifier", self.head.weight.device)
        if x.shape[2] != FACE_SIZE:
            x = F.avg_pool2d(x, x.shape[2] // FACE_SIZE)
        return self.body(x)

    def forward(self, x) -> Tensor:
        return self.head(self.features(x))


def load_classifier(model: nn.Module, filename: str, device=None) -> nn.Module:
    """Load the shipped weights ``minigan/weights/<filename>`` into ``model``, in eval mode, on ``device``.

    The file also holds what ``scripts/train_classifiers.py`` measured on held-out data; it becomes
    ``model.report`` (a dict).
    """
    with resources.as_file(resources.files("minigan").joinpath("weights", filename)) as path:
        if not path.is_file():
            raise FileNotFoundError(f"minigan/weights/{filename} is missing; rebuild it with "
                                    "`python scripts/train_classifiers.py` (or reinstall minigan)")
        saved = load(path)
    model.load_state_dict(saved["state_dict"])
    model.report = saved["report"]
    return model.to(device or backend.get_device()).eval()


def digit_classifier(device=None) -> DigitClassifier:
    """The shipped MNIST classifier (loaded once per device; do not train it)."""
    return _shared(DigitClassifier, DIGIT_WEIGHTS, device)


def face_classifier(device=None) -> FaceAttributeClassifier:
    """The shipped toy-face attribute classifier (loaded once per device; do not train it)."""
    return _shared(FaceAttributeClassifier, FACE_WEIGHTS, device)


def _shared(cls, filename: str, device):
    key = (filename, backend.normalize_device(device or backend.get_device()))
    if key not in _loaded:
        _loaded[key] = load_classifier(cls(), filename, key[1])
    return _loaded[key]


def in_batches(fn, images, batch: int = 500) -> np.ndarray:
    """``fn`` on the images in batches, without recording a graph, as one NumPy array."""
    if len(images) == 0:
        raise ValueError("no images to evaluate")
    with no_grad():
        return np.concatenate([backend.to_numpy(fn(images[i:i + batch]).data) for i in range(0, len(images), batch)])


def softmax(logits) -> np.ndarray:
    """p(y | x) from N×K logits: float64, rows summing to 1."""
    logits = np.asarray(logits, dtype=np.float64)
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True)


def features_and_logits(classifier, images, batch: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """The classifier's penultimate features (N×128) and its logits, from one pass over the images."""
    features = in_batches(classifier.features, images, batch)
    device = classifier.head.weight.device
    return features, in_batches(lambda f: classifier.head(tensor(f, device=device)), features, batch)


# ---------------------------------------------------------------- the formulas
def _probabilities(p, name: str) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    if p.ndim != 2 or len(p) == 0 or not np.all(np.isfinite(p)) or p.min() < 0 \
            or not np.allclose(p.sum(axis=1), 1.0, atol=1e-4):
        raise ValueError(f"{name}: expected an N×K array of probabilities (rows ≥ 0 summing to 1), "
                         f"got shape {p.shape}")
    return p


def classifier_score(p) -> float:
    """exp(E_x KL(p(y|x) ‖ p(y))), the Inception score's formula with p(y|x) from our classifier.

    p(y) = mean of p(y|x) over the samples.  It is high when each sample is classified confidently
    (sharp p(y|x)) and the classes are evenly used (flat p(y)); its maximum is the number of classes.
    """
    p = _probabilities(p, "classifier_score")
    marginal = p.mean(axis=0, keepdims=True)
    # KL(p(y|x) ‖ p(y)) = Σ_y p(y|x) (log p(y|x) − log p(y)), with 0 log 0 = 0
    kl = np.where(p > 0, p * (np.log(np.where(p > 0, p, 1.0)) - np.log(np.maximum(marginal, 1e-300))), 0.0)
    return float(np.exp(kl.sum(axis=1).mean()))


def class_histogram(p) -> np.ndarray:
    """The share of samples whose most probable class is each class (K numbers summing to 1)."""
    p = _probabilities(p, "class_histogram")
    return np.bincount(p.argmax(axis=1), minlength=p.shape[1]) / len(p)


def class_coverage(histogram, min_share: float | None = None) -> int:
    """How many classes are generated: those with at least ``min_share`` of the samples.

    The default, a tenth of the uniform share (1 % for ten digits), does not count a class that a
    handful of stray samples happen to be classified as.
    """
    histogram = np.asarray(histogram, dtype=np.float64)
    threshold = 0.1 / len(histogram) if min_share is None else min_share
    return int((histogram >= threshold).sum())


def kl_from_uniform(histogram) -> float:
    """KL(h ‖ uniform) = Σ_k h_k log(K h_k), in nats: 0 when every class is equally frequent."""
    h = np.asarray(histogram, dtype=np.float64)
    if h.ndim != 1 or h.min() < 0 or not np.isclose(h.sum(), 1.0):
        raise ValueError(f"kl_from_uniform: expected a histogram (K shares summing to 1), got {h!r}")
    nonzero = h[h > 0]
    return float((nonzero * np.log(len(h) * nonzero)).sum())


def total_variation(p, q) -> float:
    """½ Σ_k |p_k − q_k|: the largest difference in probability the two distributions give any event."""
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    if p.shape != q.shape:
        raise ValueError(f"total_variation: the distributions have {p.shape} and {q.shape} values")
    return float(0.5 * np.abs(p - q).sum())


def _sqrt_psd(a: np.ndarray) -> np.ndarray:
    """The symmetric square root of a symmetric positive semi-definite matrix."""
    w, v = np.linalg.eigh(a)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def frechet_distance(features_a, features_b) -> float:
    """The Fréchet distance between Gaussians fitted to two sets of features (N×D and M×D).

        d² = ‖μ_a − μ_b‖² + Tr(Σ_a + Σ_b − 2 (Σ_a Σ_b)^½)

    Tr (Σ_a Σ_b)^½ is the sum of the square roots of the eigenvalues of Σ_a^½ Σ_b Σ_a^½ (a symmetric
    matrix with the same eigenvalues as Σ_a Σ_b), so no general matrix square root is needed.
    The estimate grows as N shrinks: compare numbers computed from the same sample sizes.
    """
    a, b = np.asarray(features_a, dtype=np.float64), np.asarray(features_b, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1] or min(len(a), len(b)) < 2:
        raise ValueError(f"frechet_distance: expected two N×D feature arrays (N ≥ 2, same D), "
                         f"got shapes {a.shape} and {b.shape}")
    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    sigma_a, sigma_b = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    root_a = _sqrt_psd(sigma_a)
    eigenvalues = np.linalg.eigvalsh(root_a @ sigma_b @ root_a)
    trace_sqrt = np.sqrt(np.clip(eigenvalues, 0.0, None)).sum()
    # d² = ‖μ_a − μ_b‖² + Tr Σ_a + Tr Σ_b − 2 Tr (Σ_a Σ_b)^½
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(sigma_a) + np.trace(sigma_b) - 2 * trace_sqrt)


# ---------------------------------------------------------------- what the examples report
def real_test_digits() -> np.ndarray:
    """The bundled MNIST test split, N×784 in [−1, 1]: the reference ``digit_metrics`` compares with."""
    return scale_images(load_mnist().test_images, flatten=True)


def digit_metrics(samples, reference=None, classifier: DigitClassifier | None = None) -> dict:
    """Everything the MNIST example reports about generated digits (N×784 or N×1×28×28 in [−1, 1]).

    ``reference``: real digits to compare with (default: the 1,000 bundled test digits).  Returns the
    classifier score of the samples and of the reference, the class histogram, how many digits are
    generated (``class_coverage``), the histogram's KL from uniform, and the Fréchet distance of the
    classifier's features of the samples to those of the reference.
    """
    classifier = classifier or digit_classifier()
    reference = real_test_digits() if reference is None else reference
    features_fake, logits_fake = features_and_logits(classifier, samples)
    features_real, logits_real = features_and_logits(classifier, reference)
    histogram = class_histogram(softmax(logits_fake))
    return {
        "classifier_score": classifier_score(softmax(logits_fake)),
        "classifier_score_real": classifier_score(softmax(logits_real)),
        "class_histogram": histogram.tolist(),
        "classes_generated": class_coverage(histogram),
        "class_kl_from_uniform": kl_from_uniform(histogram),
        "frechet_distance": frechet_distance(features_fake, features_real),
        "samples": len(samples),
        "reference_samples": len(reference),
    }


def split_attributes(logits) -> dict:
    """N×21 logits of ``FaceAttributeClassifier`` ↦ attribute name ↦ N×(number of values) p(value | face)."""
    out, start = {}, 0
    for name, values in FACE_ATTRIBUTES.items():
        out[name] = softmax(logits[:, start:start + len(values)])
        start += len(values)
    return out


def attribute_probabilities(classifier: FaceAttributeClassifier, images, batch: int = 500) -> dict:
    """Attribute name ↦ N×(number of values) probabilities p(value | face)."""
    return split_attributes(in_batches(classifier, images, batch))


def face_metrics(samples, reference, classifier: FaceAttributeClassifier | None = None) -> dict:
    """Everything the face example reports about generated faces (N×3×H×W in [−1, 1], H a multiple of 32).

    ``reference``: real faces.  For each attribute, the share of generated and of real faces the
    classifier gives each value, and the total-variation distance between the two; the largest of
    those; and the Fréchet distance of the classifier's features.
    """
    classifier = classifier or face_classifier()
    features_fake, logits_fake = features_and_logits(classifier, samples)
    features_real, logits_real = features_and_logits(classifier, reference)
    p_fake, p_real = split_attributes(logits_fake), split_attributes(logits_real)
    tv, histograms = {}, {}
    for name, values in FACE_ATTRIBUTES.items():
        # the most probable value of each face, counted: how often the faces show each value
        fake, real = class_histogram(p_fake[name]), class_histogram(p_real[name])
        tv[name] = total_variation(fake, real)
        histograms[name] = {"values": list(values), "generated": fake.tolist(), "real": real.tolist()}
    return {
        "attribute_tv": tv,
        "max_attribute_tv": max(tv.values()),
        "attribute_histograms": histograms,
        "frechet_distance": frechet_distance(features_fake, features_real),
        "samples": len(samples),
        "reference_samples": len(reference),
    }
