"""The auto-encoder of lecture section 6.1 and the reconstruction error it shares with the VAE."""
import math

import numpy as np
import pytest

import minigan as mg
from minigan import nn, optim
from minigan.train.autoencoder import AutoEncoder, reconstruction_error, train_autoencoder


def test_bernoulli_error_is_the_summed_cross_entropy_of_the_logits(device, rng):
    logits = rng.normal(scale=3, size=(3, 2, 4)).astype(np.float32)
    x = rng.random((3, 2, 4)).astype(np.float32)
    error = reconstruction_error(mg.tensor(logits), mg.tensor(x))
    assert error.shape == (3,) and error.dtype == np.float32
    p = 1 / (1 + np.exp(-logits.astype(np.float64)))
    expected = -np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=(1, 2))
    assert np.allclose(error.numpy(), expected, rtol=1e-5)


def test_bernoulli_error_stays_finite_for_confident_logits(device):
    error = reconstruction_error(mg.tensor([[200.0, -200.0]]), mg.tensor([[0.0, 1.0]]))
    assert error.item() == pytest.approx(400.0)


def test_gaussian_error_is_the_negative_log_density(device, rng):
    mean, x = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    log_scale = rng.normal(scale=0.3, size=3)
    error = reconstruction_error(mg.tensor(mean), mg.tensor(x), "gaussian", mg.tensor(log_scale))
    s = np.exp(log_scale)
    expected = -np.sum(-0.5 * ((x - mean) / s) ** 2 - np.log(s) - 0.5 * math.log(2 * math.pi), axis=1)
    assert np.allclose(error.numpy(), expected, rtol=1e-5)
    plain = reconstruction_error(mg.tensor(mean), mg.tensor(x), "gaussian")
    assert np.allclose(plain.numpy(), np.sum(0.5 * (x - mean) ** 2, axis=1) + 1.5 * math.log(2 * math.pi), rtol=1e-5)


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
@pytest.mark.parametrize("order", [1, 2])
def test_reconstruction_error_gradients(likelihood, order, rng):
    x = mg.tensor(rng.random((3, 4)), dtype=np.float64)
    out = mg.tensor(rng.normal(size=(3, 4)), dtype=np.float64, requires_grad=True)
    if likelihood == "bernoulli":
        assert mg.gradcheck(lambda o: reconstruction_error(o, x), [out], order=order)
    else:
        s = mg.tensor(rng.normal(scale=0.3, size=4), dtype=np.float64, requires_grad=True)
        assert mg.gradcheck(lambda o, ls: reconstruction_error(o, x, "gaussian", ls), [out, s], order=order)


def test_reconstruction_error_names_a_wrong_likelihood_or_shape():
    with pytest.raises(ValueError, match="likelihood"):
        reconstruction_error(mg.zeros(2, 3), mg.zeros(2, 3), "poisson")
    with pytest.raises(ValueError, match="shape"):
        reconstruction_error(mg.zeros(2, 3), mg.zeros(2, 4))


def make_autoencoder(code=2):
    return AutoEncoder(nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, code)),
                       nn.Sequential(nn.Linear(code, 32), nn.ReLU(), nn.Linear(32, 8)))


def test_autoencoder_encodes_decodes_and_reconstructs(device):
    ae = make_autoencoder()
    x = mg.rand(5, 8)
    code = ae.encode(x)
    assert code.shape == (5, 2) and code.device == device
    image = ae.decode(code).numpy()
    assert np.allclose(image, 1 / (1 + np.exp(-ae(x).numpy())), atol=1e-6)  # σ(logits)
    with pytest.raises(ValueError, match="likelihood"):
        AutoEncoder(nn.Linear(8, 2), nn.Linear(2, 8), likelihood="laplace")


def test_train_autoencoder_learns_to_copy_patterns_through_a_2d_code(device):
    """Eight one-hot patterns through a 2-D code: the reconstruction error falls to a fraction of its start."""
    patterns = np.eye(8, dtype=np.float32)
    data = [mg.tensor(patterns)] * 300
    ae = make_autoencoder()
    history = train_autoencoder(ae, data, optim.Adam(ae.parameters(), lr=1e-2), epochs=1, progress=False)
    assert len(history["loss"]) == 300
    assert history["loss"][0] > 5.0 and history["loss"][-1] < 0.25 * history["loss"][0]
    # each pattern comes back as itself: the brightest output pixel is the pattern's own
    with mg.no_grad():
        assert np.array_equal(ae.decode(ae.encode(mg.tensor(patterns))).numpy().argmax(axis=1), np.arange(8))


def test_train_autoencoder_takes_loader_tuples_and_refuses_ascent_and_empty_data():
    ae = make_autoencoder()
    x, labels = mg.rand(4, 8), mg.tensor(np.arange(4))
    history = train_autoencoder(ae, [(x, labels)], optim.SGD(ae.parameters(), lr=0.1), progress=False)
    assert len(history["loss"]) == 1
    with pytest.raises(ValueError, match="maximize"):
        train_autoencoder(ae, [x], optim.SGD(ae.parameters(), lr=0.1, maximize=True), progress=False)
    with pytest.raises(ValueError, match="no batches"):
        train_autoencoder(ae, [], optim.SGD(ae.parameters(), lr=0.1), progress=False)
