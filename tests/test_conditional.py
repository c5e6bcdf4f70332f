"""Conditional generation: the loop (ascent, the matching-aware term, NaN guard, a toy it must learn), how c enters G
and D (embedding, concatenation, projection), mismatched conditions, tags in words, and the conditional metrics."""
import numpy as np
import pytest

import minigan as mg
from minigan import backend, nn, optim
from minigan.data import FACE_ATTRIBUTES, load_mnist, make_faces, scale_images
from minigan.data.face_tags import FACE_SIZES, TAGS, face_conditions, parse_tags, random_requests, tags_of
from minigan.metrics.conditional import conditional_digit_metrics, conditional_face_metrics
from minigan.models import conditional_face_networks
from minigan.train import MinibatchStdDev, TrainingDiverged
from minigan.train.conditional import mismatched, train_conditional_gan
from minigan.train.conditioning import (
    ConcatDiscriminator, ConditionalBatchNorm2d, ConditionalGenerator, ConditionalSequential, ConditionEmbedding,
    ProjectionDiscriminator,
)

SIZES = (3, 2)  # two attributes: three values and two


# ---------------------------------------------------------------- how c enters G and D
def test_embedding_of_a_condition_is_the_sum_of_its_attributes_rows(device):
    embed = ConditionEmbedding(SIZES, 4)
    c = np.array([[0, 1], [2, 0], [2, 1]])
    W = embed.embed.weight.numpy()  # rows 0-2: the first attribute's values, rows 3-4: the second's
    expected = W[c[:, 0]] + W[3 + c[:, 1]]
    np.testing.assert_allclose(embed(mg.tensor(c, dtype=np.int64)).numpy(), expected, rtol=1e-6)
    # a linear layer on the concatenated one-hot vectors
    multi_hot = np.concatenate([np.eye(3)[c[:, 0]], np.eye(2)[c[:, 1]]], axis=1)
    np.testing.assert_allclose(embed(c).numpy(), multi_hot @ W, rtol=1e-5, atol=1e-6)
    assert ConditionEmbedding((10,), 2)(np.array([3, 7])).shape == (2, 2)  # one attribute: a vector of labels


def test_a_value_outside_its_attribute_is_an_error_not_another_attributes_row():
    embed = ConditionEmbedding(SIZES, 4)
    with pytest.raises(IndexError, match=r"attribute 0 has 3 values \(0\.\.2\), got values from 0 to 3"):
        embed(np.array([[0, 0], [3, 0]]))  # row 3 exists (the second attribute's first value): it must not be read
    with pytest.raises(IndexError, match=r"attribute 1 has 2 values \(0\.\.1\), got values from 0 to 2"):
        embed(np.array([[0, 2], [1, 0]]))
    with pytest.raises(ValueError, match=r"shape \(m, 2\)"):
        embed(np.array([1, 2]))
    with pytest.raises(TypeError, match="must be integers"):
        embed(np.array([[0.0, 1.0]]))


def test_projection_discriminator_is_psi_of_phi_plus_the_inner_product(device):
    phi, psi, embed = nn.Linear(5, 3), nn.Linear(3, 1), ConditionEmbedding(SIZES, 3)
    D = ProjectionDiscriminator(phi, psi, embed)
    x, c = mg.randn(4, 5), np.array([[0, 0], [1, 1], [2, 0], [2, 1]])
    features = phi(x).numpy()
    expected = psi(phi(x)).numpy() + (embed(c).numpy() * features).sum(axis=1, keepdims=True)
    out = D(x, c)
    assert out.shape == (4, 1)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-6)
    out.sum().backward()
    assert np.abs(embed.embed.weight.grad.numpy()).sum() > 0  # c's vectors learn from D's verdicts


def test_conditional_batch_norm_scales_and_shifts_each_example_by_its_condition(device):
    """y = (1 + γ(c)) x̂ + β(c), x̂ normalised with the batch's statistics per channel; it starts as plain
    BatchNorm."""
    layer = ConditionalBatchNorm2d(3, SIZES)
    x_np = np.random.default_rng(0).standard_normal((4, 3, 2, 2)).astype(np.float32) * 2 + 1
    c = np.array([[0, 0], [1, 1], [2, 0], [2, 1]])
    x = mg.tensor(x_np)
    x_hat = (x_np - x_np.mean((0, 2, 3), keepdims=True)) / np.sqrt(x_np.var((0, 2, 3), keepdims=True) + 1e-5)
    np.testing.assert_allclose(layer(x, c).numpy(), x_hat, rtol=1e-4, atol=1e-5)  # tables at 0: BatchNorm2d
    rng = np.random.default_rng(1)
    for table in (layer.scale, layer.shift):
        table.embed.weight.data[...] = rng.standard_normal(table.embed.weight.shape).astype(np.float32)
    gamma, beta = layer.scale(c).numpy()[:, :, None, None], layer.shift(c).numpy()[:, :, None, None]
    out = layer(x, c)
    assert out.dtype == np.float32 and out.shape == x.shape
    np.testing.assert_allclose(out.numpy(), (1 + gamma) * x_hat + beta, rtol=1e-4, atol=1e-5)
    out.sum().backward()
    assert np.abs(layer.scale.embed.weight.grad.numpy()).sum() > 0 and layer.norm.running_mean.numpy().any()
    layer.eval()  # the running statistics, as in nn.BatchNorm2d
    running = nn.BatchNorm2d(3, affine=False)
    running.load_state_dict(layer.norm.state_dict())
    running.eval()
    np.testing.assert_allclose(layer(x, c).numpy(), (1 + gamma) * running(x).numpy() + beta, rtol=1e-5, atol=1e-5)


def test_conditional_batch_norm_gradcheck_first_and_second_order():
    rng = np.random.default_rng(2)
    c = np.array([[0, 1], [2, 0], [1, 1]])
    rows = [rng.standard_normal((5, 2)) for _ in range(2)]

    layer = ConditionalBatchNorm2d(2, SIZES).double()
    tables = (layer.scale.embed, layer.shift.embed)

    def layer_of(x, scale, shift):  # the layer with the check's inputs as its two tables
        saved = [table._parameters["weight"] for table in tables]
        for table, weight in zip(tables, (scale, shift)):
            table._parameters["weight"] = weight
        try:
            return layer(x, c)
        finally:
            for table, weight in zip(tables, saved):
                table._parameters["weight"] = weight

    inputs = [rng.standard_normal((3, 2, 2, 2))] + rows
    assert mg.gradcheck(layer_of, inputs)
    assert mg.gradcheck(layer_of, inputs, order=2)


def test_a_generator_with_conditional_batch_norm_hands_c_to_those_layers(device):
    layers = ConditionalSequential(nn.Linear(3, 2), nn.Unflatten(1, (2, 1, 1)), ConditionalBatchNorm2d(2, SIZES),
                                   nn.Flatten())
    G = ConditionalGenerator(layers, ConditionEmbedding(SIZES, 1))
    z, c = mg.randn(4, 2), np.array([[0, 0], [1, 1], [2, 0], [2, 1]])
    norm = layers[2]
    norm.shift.embed.weight.data[...] = np.arange(10, dtype=np.float32).reshape(5, 2)
    y = G(z, c)
    assert y.shape == (4, 2)
    # the batch mean of x̂ is 0 per channel, so each example's mean over the batch shifts by its own β(c)
    np.testing.assert_allclose(y.numpy().mean(0), norm.shift(c).numpy().mean(0), rtol=1e-5, atol=1e-5)


def test_concatenation_joins_the_condition_to_vectors_and_to_every_position_of_a_map(device):
    embed = ConditionEmbedding(SIZES, 2)
    D = ConcatDiscriminator(nn.Conv2d(1, 3, 3, padding=1), nn.Sequential(nn.Conv2d(5, 1, 4), nn.Flatten()), embed)
    x, c = mg.randn(2, 1, 4, 4), np.array([[1, 0], [2, 1]])
    joined = D.features(x), embed(c)
    out = D(x, c)
    assert out.shape == (2, 1)
    # the same as the head on [φ(x), e(c) broadcast over the 4 × 4 positions], assembled by hand
    maps = np.concatenate([joined[0].numpy(), np.broadcast_to(joined[1].numpy()[:, :, None, None], (2, 2, 4, 4))], 1)
    np.testing.assert_allclose(out.numpy(), D.head(mg.tensor(maps)).numpy(), rtol=1e-5, atol=1e-6)
    vectors = ConcatDiscriminator(nn.Linear(3, 4), nn.Linear(6, 1), embed)
    assert vectors(mg.randn(2, 3), c).shape == (2, 1)


def test_generator_takes_noise_and_condition_side_by_side(device):
    G = ConditionalGenerator(nn.Linear(3 + 2, 7), ConditionEmbedding(SIZES, 2))
    assert G(mg.randn(4, 3), np.array([[0, 1]] * 4)).shape == (4, 7)


# ---------------------------------------------------------------- mismatched conditions
def test_mismatched_changes_exactly_one_attribute_to_any_other_value(device):
    mg.manual_seed(0)
    c = np.stack([np.arange(3000) % 3, np.arange(3000) % 2], axis=1)
    c_hat = mismatched(mg.tensor(c, dtype=np.int64), SIZES)
    assert c_hat.shape == c.shape and c_hat.dtype == np.int64 and c_hat.device == device
    changed = c_hat.numpy() != c
    assert (changed.sum(axis=1) == 1).all()  # never the same condition, never two attributes at once
    assert abs(changed[:, 0].mean() - 0.5) < 0.05  # each attribute as likely to be the one changed
    # a digit: every other digit about equally often
    digits = mismatched(np.full(9000, 4), (10,))
    assert digits.shape == (9000,) and (digits.numpy() != 4).all()
    counts = np.bincount(digits.numpy(), minlength=10)
    assert counts[4] == 0 and np.abs(counts[np.arange(10) != 4] / 9000 - 1 / 9).max() < 0.02


# ---------------------------------------------------------------- the loop
def toy(seed=0, hidden=16):
    """x | c ~ N(3c − 3, 0.3²) for c ∈ {0, 1, 2}: G must move its samples to the mean of the requested class."""
    mg.manual_seed(seed)
    G = ConditionalGenerator(nn.Sequential(nn.Linear(2 + 4, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, 1)),
                             ConditionEmbedding((3,), 4))
    D = ProjectionDiscriminator(nn.Sequential(nn.Linear(1, hidden), nn.LeakyReLU(0.2)), nn.Linear(hidden, 1),
                                ConditionEmbedding((3,), hidden))
    opt_D = optim.Adam(D.parameters(), lr=5e-3, betas=(0.5, 0.999), maximize=True)
    opt_G = optim.Adam(G.parameters(), lr=5e-3, betas=(0.5, 0.999), maximize=True)
    return G, D, opt_D, opt_G


def sample_real(m):
    c = backend.rng("cpu").integers(3, size=m)
    return mg.randn(m, 1) * 0.3 + mg.tensor(3.0 * c[:, None] - 3.0), mg.tensor(c, dtype=np.int64)


def run(G, D, opt_D, opt_G, steps, **kwargs):
    return train_conditional_gan(G, D, sample_real, lambda m: mg.randn(m, 2), opt_D, opt_G, steps=steps, m=64,
                                 progress=False, **kwargs)


def test_optimizers_must_ascend():
    G, D, opt_D, _ = toy()
    with pytest.raises(ValueError, match="opt_G must be built with maximize=True"):
        run(G, D, opt_D, optim.Adam(G.parameters(), lr=1e-3), steps=1)


def test_history_records_the_mismatched_pairs_only_when_asked(device):
    G, D, opt_D, opt_G = toy()
    plain = run(G, D, opt_D, opt_G, steps=3)
    assert set(plain) == {"V_D", "V_G", "D_x", "D_G_z"} and all(len(v) == 3 for v in plain.values())
    aware = run(G, D, opt_D, opt_G, steps=3, mismatch=lambda c: mismatched(c, (3,)))
    assert set(aware) == set(plain) | {"D_x_mismatched"}
    assert all(0 < v < 1 for v in aware["D_x_mismatched"]) and all(v < 0 for v in aware["V_D"])


def test_a_nan_stops_training_with_the_parameters_still_finite():
    G, D, opt_D, opt_G = toy()
    poisoned = ProjectionDiscriminator(D.features, nn.Linear(16, 1), D.embed)
    poisoned.psi.bias.data[...] = np.nan
    before = [p.numpy().copy() for p in poisoned.parameters()]
    with pytest.raises(TrainingDiverged, match="step 0: Ṽ of D became nan"):
        run(G, poisoned, optim.Adam(poisoned.parameters(), lr=1e-3, maximize=True), opt_G, steps=2)
    for a, b in zip(before, poisoned.parameters()):
        np.testing.assert_array_equal(a, b.numpy())


@pytest.mark.parametrize("matching_aware", [False, True])
def test_generator_learns_to_draw_the_requested_class(matching_aware):
    G, D, opt_D, opt_G = toy()
    run(G, D, opt_D, opt_G, steps=300, mismatch=(lambda c: mismatched(c, (3,))) if matching_aware else None)
    with mg.no_grad():
        for c in range(3):
            x = G(mg.randn(2000, 2), np.full(2000, c)).numpy()
            # the class means are 3 apart: nearer the requested one than halfway to another, with a margin
            assert abs(x.mean() - (3 * c - 3)) < 1.0, f"class {c}: mean {x.mean():.3f}"


# ---------------------------------------------------------------- tags in words
def test_every_value_of_every_attribute_has_a_tag_and_tags_of_reads_it_back():
    assert len(TAGS) == sum(FACE_SIZES)
    for name, values in FACE_ATTRIBUTES.items():
        for index in range(len(values)):
            phrase = tags_of({name: index})
            assert parse_tags(phrase) == {name: index}
    row = [4, 1, 2, 1, 0, 2]
    assert parse_tags(tags_of(row)) == dict(zip(FACE_ATTRIBUTES, row))


def test_tags_with_or_without_commas_in_any_case():
    expected = {"hair_color": 4, "hair_length": 1, "eye_color": 2}
    assert parse_tags("blue hair, long hair, red eyes") == expected
    assert parse_tags("Blue hair  long hair red EYES") == expected
    assert parse_tags("blush, blush") == {"blush": 1}  # a tag said twice
    assert parse_tags("no blush, open mouth") == {"blush": 0, "mouth": 1}
    assert parse_tags("") == {}


@pytest.mark.parametrize("tags, message", [
    ("green hair", r"unknown tag 'green hair'"),
    ("blue hair, red", r"unknown tag 'red' in 'blue hair, red'"),
    ("blue hair, red hair", r"contradictory tags 'blue hair' and 'red hair' \(two values of hair_color\)"),
    ("blush, no blush", r"contradictory tags 'blush' and 'no blush'"),
])
def test_unknown_or_contradictory_tags_list_what_is_accepted(tags, message):
    with pytest.raises(ValueError, match=message) as error:
        parse_tags(tags)
    assert all(phrase in str(error.value) for phrase in TAGS)


def test_attributes_not_named_are_drawn_at_random():
    mg.manual_seed(0)
    c = face_conditions({"hair_color": 4, "mouth": np.array([1, -1] * 3000)}, 6000)
    assert c.shape == (6000, 6) and (c[:, 0] == 4).all() and (c[0::2, 3] == 1).all()
    assert abs(c[1::2, 3].mean() - 0.5) < 0.05  # the faces that did not name the mouth: either, half the time
    for a, size in enumerate(FACE_SIZES):
        if a not in (0, 3):
            assert np.abs(np.bincount(c[:, a], minlength=size) / 6000 - 1 / size).max() < 0.03
    requests = random_requests(4000)
    assert set(requests) == set(FACE_ATTRIBUTES)
    assert all(abs((r == -1).mean() - 0.5) < 0.05 and r.max() < n for r, n in zip(requests.values(), FACE_SIZES))
    with pytest.raises(ValueError, match=r"hair_length takes indices 0\.\.1"):
        face_conditions({"hair_length": 2}, 3)


# ---------------------------------------------------------------- the metrics, on real data with its own labels
def test_digit_metrics_read_real_digits_as_their_labels():
    digits = load_mnist()
    test, labels = scale_images(digits.test_images, flatten=True), digits.test_labels.copy()
    right = labels == labels  # the first 500 digits keep their labels, the others are asked for as the next digit
    right[500:] = False
    labels[~right] = (labels[~right] + 1) % 10
    metrics = conditional_digit_metrics(test, labels)
    # the classifier reads 98.1 % of the real test digits right (its report): about half of 98.1 % agree here
    assert 0.475 < metrics["agreement"] <= 0.5
    assert sorted(metrics["per_digit"]) == [str(d) for d in range(10)]
    assert all(v["samples"] == 100 and v["agreement"] < 0.6 for v in metrics["per_digit"].values())
    assert metrics["classifier_score"] == metrics["classifier_score_real"]  # the samples are the real test digits
    assert metrics["frechet_distance"] < 1e-6
    assert all(v["frechet_distance"] > v["frechet_distance_real"] > 0 for v in metrics["per_digit"].values())


def test_face_metrics_count_only_the_attributes_that_were_requested():
    faces, attributes = make_faces(200, seed=3)
    requests = {name: np.where(np.arange(200) % 2 == 0, values, -1) for name, values in attributes.items()}
    requests["mouth"][:] = -1  # an attribute no face asked for is not reported
    metrics = conditional_face_metrics(faces, requests)
    assert metrics["min_agreement"] > 0.95
    assert set(metrics["agreement"]) == set(FACE_ATTRIBUTES) - {"mouth"}
    assert all(v["requested"] == 100 for v in metrics["per_attribute"].values())
    shifted = dict(requests, hair_color=np.where(requests["hair_color"] >= 0, (requests["hair_color"] + 1) % 6, -1))
    assert conditional_face_metrics(faces, shifted)["agreement"]["hair_color"] < 0.1


@pytest.mark.parametrize("kind", ["projection", "concat"])
def test_judging_x_with_two_conditions_is_judging_it_twice(kind, device):
    embed = ConditionEmbedding(SIZES, 4)
    if kind == "projection":
        D = ProjectionDiscriminator(nn.Linear(5, 4), nn.Linear(4, 1), embed)
    else:
        D = ConcatDiscriminator(nn.Linear(5, 4), nn.Sequential(nn.Linear(8, 3), nn.ReLU(), nn.Linear(3, 1)), embed)
    x, c = mg.randn(6, 5), np.array([[0, 0], [1, 1], [2, 0]] * 2)
    c_hat = mismatched(c, SIZES)
    both = D(x, c, c_hat)
    assert isinstance(both, tuple) and len(both) == 2
    for logits, condition in zip(both, (c, c_hat)):
        np.testing.assert_allclose(logits.numpy(), D(x, condition).numpy(), rtol=1e-6)


@pytest.mark.parametrize("conditioning", ["projection", "concat"])
def test_face_discriminators_take_the_minibatch_standard_deviation_before_their_last_layer(conditioning, device):
    settings = dict(embed_dim=4, d_channels=4, z_dim=4, g_channels=4, conditioning=conditioning)
    _, plain = conditional_face_networks(settings)
    _, D = conditional_face_networks({**settings, "d_minibatch_std": 4})
    assert sum(isinstance(m, MinibatchStdDev) for m in D.modules()) == 1
    assert not any(isinstance(m, MinibatchStdDev) for m in plain.modules())  # runs saved before the setting
    x, c = mg.randn(8, 3, 32, 32), np.zeros((8, 6), dtype=np.int64)
    assert D(x, c).shape == (8, 1)
    D.eval()  # batch norm with its running statistics: the examples meet only in the deviation
    x.requires_grad = True
    # one face's features reach the other faces of its group through the deviation, not those of other groups
    D(x, c)[1].sum().backward()
    touched = np.abs(x.grad.numpy()).sum(axis=(1, 2, 3)) > 0
    assert touched.tolist() == [False, True, False, True, False, True, False, True]
