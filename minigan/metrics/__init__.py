"""Numbers that say how good a generator is.

``distributions``: comparing samples with samples or with a density (KS, Wasserstein-1, KDE).
``sample_quality``: samples in any dimension against a target (MMD², share near the target's support).
``modes``: mode coverage on a mixture with known modes (VEEGAN/PacGAN protocol).
``classifier``: generated images judged by a shipped classifier (MNIST digits, toy-face attributes):
classifier score, class coverage and balance, attribute TV distances, Fréchet distance.
``grammar`` and ``text``: sentences, by the exact parser of the toy language and by n-gram statistics.
"""
from minigan.metrics.classifier import (
    class_coverage, class_histogram, classifier_score, digit_classifier, digit_metrics, face_classifier, face_metrics,
    frechet_distance, kl_from_uniform, total_variation,
)
from minigan.metrics.distributions import gaussian_kde, ks_statistic, moments_error, wasserstein_1d
from minigan.metrics.modes import mode_metrics
from minigan.metrics.sample_quality import mmd2, share_near_support

__all__ = [
    "class_coverage", "class_histogram", "classifier_score", "digit_classifier", "digit_metrics", "face_classifier",
    "face_metrics", "frechet_distance", "kl_from_uniform", "total_variation",
    "gaussian_kde", "ks_statistic", "mmd2", "mode_metrics", "moments_error", "share_near_support", "wasserstein_1d",
]
