"""Did G draw what was asked?  The shipped classifiers read the condition back from the samples.

``conditional_digit_metrics``: for digits drawn from requested labels, how often the digit classifier reads the
requested digit (overall and per digit), the classifier score of all samples beside that of real test digits, and
per digit the Fréchet distance of the classifier's features to the real test digits of that digit.
``conditional_face_metrics``: for faces drawn from requested tags, per attribute, how often the attribute
classifier reads the requested value, over the faces whose tags named that attribute.
"""
from __future__ import annotations

import numpy as np

from minigan.data.faces import FACE_ATTRIBUTES
from minigan.data.mnist import load_mnist, scale_images
from minigan.metrics.classifier import (
    attribute_probabilities, classifier_score, digit_classifier, face_classifier, features_and_logits,
    frechet_distance, softmax,
)


def _labels(labels, n: int, what: str) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.shape != (n,) or labels.dtype.kind not in "iu":
        raise ValueError(f"{what}: expected {n} integer labels, one per sample, got shape {labels.shape} "
                         f"and dtype {labels.dtype}")
    return labels


def conditional_digit_metrics(samples, labels, classifier=None) -> dict:
    """What the digit classifier says about ``samples`` (N×784 or N×1×28×28 in [−1, 1]) drawn for ``labels``.

    Returns ``agreement`` (the share of samples classified as their requested digit) and its smallest value over
    the digits, the classifier score of all samples (``classifier_score``) and of the 1,000 bundled real test
    digits (``classifier_score_real``), the Fréchet distance of all samples to those test digits, and ``per_digit``:
    for each requested digit, its agreement, the mean probability of the requested digit, the classifier score
    within that digit (near 1 when the classifier reads every sample as the same digit, as for real digits), and the
    Fréchet distance to the real test digits of that digit, beside the same distance for as many real training
    digits of that digit (the distance between two real sets; the estimate grows as the sets shrink).
    """
    classifier = classifier or digit_classifier()
    labels = _labels(labels, len(samples), "conditional_digit_metrics")
    digits = load_mnist()
    test, test_labels = scale_images(digits.test_images, flatten=True), digits.test_labels
    # the real baseline: as many training digits of each digit as there are test digits of it
    baseline = np.concatenate([np.flatnonzero(digits.train_labels == d)[:(test_labels == d).sum()] for d in range(10)])
    train, train_labels = scale_images(digits.train_images[baseline], flatten=True), digits.train_labels[baseline]
    features, logits = features_and_logits(classifier, samples)
    features_test, logits_test = features_and_logits(classifier, test)
    features_train, _ = features_and_logits(classifier, train)
    p, p_test = softmax(logits), softmax(logits_test)
    read = p.argmax(axis=1)
    per_digit = {}
    for d in np.unique(labels):
        mine, real = labels == d, test_labels == d
        per_digit[str(int(d))] = {
            "samples": int(mine.sum()),
            "agreement": float((read[mine] == d).mean()),
            "mean_probability": float(p[mine, d].mean()),
            "classifier_score": classifier_score(p[mine]),
            "classifier_score_real": classifier_score(p_test[real]),
            "frechet_distance": frechet_distance(features[mine], features_test[real]),
            "frechet_distance_real": frechet_distance(features_train[train_labels == d], features_test[real]),
        }
    return {
        "agreement": float((read == labels).mean()),
        "min_agreement_per_digit": min(v["agreement"] for v in per_digit.values()),
        "classifier_score": classifier_score(p),
        "classifier_score_real": classifier_score(p_test),
        "frechet_distance": frechet_distance(features, features_test),
        "per_digit": per_digit,
        "samples": len(samples),
    }


def conditional_face_metrics(samples, conditions: dict, classifier=None) -> dict:
    """What the attribute classifier says about ``samples`` (N×3×H×W in [−1, 1]) drawn for ``conditions``.

    ``conditions``: attribute name ↦ N requested value indices into ``FACE_ATTRIBUTES[name]``, −1 where the
    attribute was not requested.  Per attribute: ``agreement`` (the share of the faces that requested it whose
    classified value is the requested one), how many faces requested it, and the agreement per requested value;
    ``min_agreement``, the smallest agreement of any attribute.
    """
    classifier = classifier or face_classifier()
    p = attribute_probabilities(classifier, samples)
    per_attribute = {}
    for name, values in FACE_ATTRIBUTES.items():
        requested = _labels(conditions[name], len(samples), f"conditional_face_metrics: conditions[{name!r}]")
        asked = requested >= 0
        if not asked.any():
            continue
        read = p[name].argmax(axis=1)
        per_attribute[name] = {
            "agreement": float((read[asked] == requested[asked]).mean()),
            "requested": int(asked.sum()),
            "per_value": {value: float((read[requested == v] == v).mean())
                          for v, value in enumerate(values) if (requested == v).any()},
        }
    return {
        "agreement": {name: v["agreement"] for name, v in per_attribute.items()},
        "min_agreement": min(v["agreement"] for v in per_attribute.values()),
        "per_attribute": per_attribute,
        "samples": len(samples),
    }
