"""Classifier-based image metrics: the formulas against their definitions, and the shipped classifiers."""
import math

import numpy as np
import pytest

import minigan as mg
from minigan.data import FACE_ATTRIBUTES, load_mnist, make_faces, scale_images
from minigan.metrics.classifier import (
    DigitClassifier, FaceAttributeClassifier, class_coverage, class_histogram, classifier_score, digit_classifier,
    digit_metrics, face_classifier, face_metrics, frechet_distance, in_batches, kl_from_uniform, softmax,
    total_variation,
)


def random_probabilities(rng, n, k):
    return softmax(rng.normal(scale=2.0, size=(n, k)))


# ---------------------------------------------------------------- the formulas
def test_classifier_score_matches_the_definition(rng):
    p = random_probabilities(rng, 50, 4)
    marginal = p.mean(axis=0)
    kl = [sum(p[i, y] * math.log(p[i, y] / marginal[y]) for y in range(4)) for i in range(50)]
    assert classifier_score(p) == pytest.approx(math.exp(np.mean(kl)), rel=1e-12)


def test_classifier_score_is_the_number_of_classes_for_sure_even_predictions_and_one_for_a_single_class():
    assert classifier_score(np.eye(10)[np.arange(100) % 10]) == pytest.approx(10.0)
    assert classifier_score(np.eye(10)[np.zeros(100, dtype=int)]) == pytest.approx(1.0)
    assert classifier_score(np.full((100, 10), 0.1)) == pytest.approx(1.0)  # unsure about every sample


def test_class_histogram_counts_the_most_probable_class_and_coverage_ignores_stragglers():
    p = np.eye(4)[[0, 0, 1, 3, 3, 3]]
    assert class_histogram(p).tolist() == pytest.approx([2 / 6, 1 / 6, 0, 3 / 6])
    assert class_coverage(class_histogram(p)) == 3
    histogram = np.array([0.5, 0.497, 0.003])  # 0.3 % < a tenth of the uniform share (3.3 %)
    assert class_coverage(histogram) == 2
    assert class_coverage(histogram, min_share=0.001) == 3


def test_kl_from_uniform():
    assert kl_from_uniform(np.full(10, 0.1)) == pytest.approx(0.0, abs=1e-15)
    assert kl_from_uniform(np.eye(10)[3]) == pytest.approx(math.log(10))
    h = np.array([0.2, 0.3, 0.5])
    assert kl_from_uniform(h) == pytest.approx(sum(v * math.log(v / (1 / 3)) for v in h))


def test_total_variation():
    assert total_variation([0.5, 0.5, 0.0], [0.0, 0.5, 0.5]) == pytest.approx(0.5)
    assert total_variation([0.2, 0.8], [0.2, 0.8]) == 0.0
    with pytest.raises(ValueError, match="3.*2"):
        total_variation([0.2, 0.3, 0.5], [0.5, 0.5])


def test_frechet_distance_in_one_dimension_is_the_gaussians_closed_form(rng):
    a, b = rng.normal(1.0, 2.0, size=(400, 1)), rng.normal(-0.5, 0.5, size=(300, 1))
    # W₂² between N(μa, σa²) and N(μb, σb²) = (μa − μb)² + (σa − σb)²
    expected = (a.mean() - b.mean()) ** 2 + (a.std(ddof=1) - b.std(ddof=1)) ** 2
    assert frechet_distance(a, b) == pytest.approx(expected, rel=1e-10)


def test_frechet_distance_matches_the_trace_of_the_general_matrix_square_root(rng):
    a = rng.normal(size=(200, 5)) @ rng.normal(size=(5, 5))
    b = rng.normal(size=(150, 5)) @ rng.normal(size=(5, 5)) + 1.0
    sa, sb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    # Tr (Σa Σb)^½ = Σ √λ over the eigenvalues of Σa Σb (real and ≥ 0, though Σa Σb is not symmetric)
    trace_sqrt = np.sqrt(np.linalg.eigvals(sa @ sb).real.clip(0)).sum()
    expected = ((a.mean(0) - b.mean(0)) ** 2).sum() + np.trace(sa) + np.trace(sb) - 2 * trace_sqrt
    assert frechet_distance(a, b) == pytest.approx(expected, rel=1e-8)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-8)


@pytest.mark.parametrize("call, message", [
    (lambda: classifier_score(np.ones((3, 2))), "probabilities"),
    (lambda: class_histogram(np.ones(4) / 4), "N×K"),
    (lambda: kl_from_uniform([0.5, 0.6]), "histogram"),
    (lambda: frechet_distance(np.zeros((5, 3)), np.zeros((5, 4))), r"\(5, 3\) and \(5, 4\)"),
    (lambda: frechet_distance(np.zeros((1, 3)), np.zeros((5, 3))), "N ≥ 2"),
])
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_classifiers_name_the_shape_they_take(device):
    with pytest.raises(ValueError, match=r"N×1×28×28.*\(5, 3, 28, 28\)"):
        DigitClassifier()(mg.zeros(5, 3, 28, 28))
    with pytest.raises(ValueError, match=r"N×3×32×32.*\(2, 3, 48, 48\)"):
        FaceAttributeClassifier()(mg.zeros(2, 3, 48, 48))


# ---------------------------------------------------------------- the shipped classifiers
def test_the_digit_classifier_reads_real_digits_on_every_device(device):
    data = load_mnist()
    model = digit_classifier(device)
    assert model.report["test_accuracy"] >= 0.97  # measured on all 1,000 test digits by the training script
    x = scale_images(data.test_images[:300], flatten=True)
    logits = model(mg.tensor(x[:4]))
    assert logits.shape == (4, 10) and logits.dtype == np.float32 and logits.device == device
    assert (in_batches(model, x).argmax(axis=1) == data.test_labels[:300]).mean() >= 0.95
    assert model.features(mg.tensor(x[:4])).shape == (4, 128)


def test_the_face_classifier_reads_every_attribute_of_new_faces(device):
    model = face_classifier(device)
    faces, attributes = make_faces(200, size=32, seed=123)
    logits = in_batches(model, faces)
    start = 0
    for name, values in FACE_ATTRIBUTES.items():
        assert model.report["test_accuracy"][name] >= 0.95
        predicted = logits[:, start:start + len(values)].argmax(axis=1)
        assert (predicted == attributes[name]).mean() >= 0.9, name
        start += len(values)
    big, _ = make_faces(4, size=64, seed=123)  # 64×64 faces are averaged down to 32×32
    assert model(mg.tensor(big)).shape == (4, sum(len(v) for v in FACE_ATTRIBUTES.values()))


def test_digit_metrics_tell_real_digits_from_a_collapsed_generator():
    data = load_mnist()
    test = scale_images(data.test_images[:300], flatten=True)
    train = scale_images(data.train_images[:300], flatten=True)
    real = digit_metrics(train, reference=test)
    assert real["classes_generated"] == 10 and real["class_kl_from_uniform"] < 0.02
    assert real["classifier_score"] > 0.9 * real["classifier_score_real"]
    ones = scale_images(data.train_images[data.train_labels == 1][:100], flatten=True)
    collapsed = digit_metrics(ones, reference=test)
    assert collapsed["class_histogram"][1] > 0.95 and collapsed["classes_generated"] <= 2  # a stray misreading
    assert collapsed["class_kl_from_uniform"] > 0.9 * math.log(10)  # log 10 if every sample were read as a 1
    assert collapsed["classifier_score"] < 1.5
    assert collapsed["frechet_distance"] > 5 * real["frechet_distance"]


def test_face_metrics_see_a_missing_hair_colour():
    reference, _ = make_faces(200, size=32, seed=5)
    same, _ = make_faces(200, size=32, seed=6)
    blue, _ = make_faces(200, size=32, seed=6, hair_color="blue")
    fair, biased = face_metrics(same, reference), face_metrics(blue, reference)
    assert fair["max_attribute_tv"] < 0.15  # two samples of 200 from one distribution
    # every face blue-haired: TV = 1 − (share of blue among real faces) ≈ 5/6; the rest stays as it was
    assert biased["attribute_tv"]["hair_color"] == pytest.approx(1 - fair["attribute_histograms"]["hair_color"]["real"][4],
                                                                 abs=0.05)
    assert biased["attribute_tv"]["hair_length"] < 0.1
    assert biased["frechet_distance"] > fair["frechet_distance"]
