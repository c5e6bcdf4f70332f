"""The VAE of lecture section 6.2: c = exp(σ)·e + m, its exact KL (checked by Monte Carlo), the loop, the ELBO."""
import math

import numpy as np
import pytest

import minigan as mg
from minigan import nn, optim
from minigan.train.vae import VAE, evaluate_negative_elbo, kl_divergence, sample_code, train_vae


def test_sample_code_draws_around_m_with_standard_deviation_exp_sigma(device):
    n = 100_000
    m = mg.tensor(np.tile([[1.5, -0.5, 0.0]], (n, 1)))
    sigma = mg.tensor(np.tile([[0.0, -1.0, 0.7]], (n, 1)))
    c = sample_code(m, sigma)
    assert c.dtype == np.float32 and c.device == device
    c = c.numpy()
    assert np.allclose(c.mean(axis=0), [1.5, -0.5, 0.0], atol=0.03)
    assert np.allclose(c.std(axis=0), np.exp([0.0, -1.0, 0.7]), rtol=0.02)


def test_kl_matches_the_formula_and_is_zero_at_the_prior(device):
    m = np.array([[0.3, -1.2], [0.0, 0.0]], dtype=np.float32)
    sigma = np.array([[-0.4, 0.5], [0.0, 0.0]], dtype=np.float32)
    kl = kl_divergence(mg.tensor(m), mg.tensor(sigma))
    assert kl.dtype == np.float32 and kl.shape == (2,)
    expected = 0.5 * np.sum(np.exp(2 * sigma) - (1 + 2 * sigma) + m * m, axis=1)
    assert np.allclose(kl.numpy(), expected, rtol=1e-6)
    assert kl.numpy()[1] == 0.0


def test_kl_agrees_with_a_monte_carlo_estimate_for_the_sampling_line():
    """KL(q ‖ p) = E_q[log q(c) − log p(c)] with c drawn by c = exp(σ)·e + m, q = N(m, exp(σ)²), p = N(0, I)."""
    mg.manual_seed(1)
    m = np.array([0.8, -0.3, 0.0, 1.5])
    sigma = np.array([-0.7, 0.4, 0.0, -1.5])
    n = 400_000
    c = sample_code(mg.tensor(np.tile(m, (n, 1)), dtype=np.float64),
                    mg.tensor(np.tile(sigma, (n, 1)), dtype=np.float64)).numpy()
    log_q = np.sum(-0.5 * ((c - m) / np.exp(sigma)) ** 2 - sigma, axis=1)  # the ½ log 2π terms cancel
    log_p = np.sum(-0.5 * c * c, axis=1)
    estimate, standard_error = np.mean(log_q - log_p), np.std(log_q - log_p) / math.sqrt(n)
    exact = kl_divergence(mg.tensor(m[None], dtype=np.float64), mg.tensor(sigma[None], dtype=np.float64)).item()
    assert abs(estimate - exact) < 4 * standard_error
    # the slide's Σ(exp(σ) − (1 + σ) + m²), read with σ as the log std, is a different number
    slide = np.sum(np.exp(sigma) - (1 + sigma) + m * m)
    assert abs(estimate - slide) > 20 * standard_error


@pytest.mark.parametrize("order", [1, 2])
def test_kl_gradients(order, rng):
    m = mg.tensor(rng.normal(size=(3, 2)), dtype=np.float64, requires_grad=True)
    sigma = mg.tensor(rng.normal(scale=0.5, size=(3, 2)), dtype=np.float64, requires_grad=True)
    assert mg.gradcheck(lambda a, b: kl_divergence(a, b), [m, sigma], order=order)


def small_vae(likelihood="bernoulli", data_dim=6, latent=2, hidden=16):
    encoder = nn.Sequential(nn.Linear(data_dim, hidden), nn.ReLU(), nn.Linear(hidden, 2 * latent))
    decoder = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, data_dim))
    return VAE(encoder, decoder, latent, likelihood=likelihood, data_dim=data_dim)


def test_encode_splits_m_and_sigma_and_names_a_wrong_encoder(device):
    vae = small_vae()
    m, sigma = vae.encode(mg.rand(5, 6))
    assert m.shape == sigma.shape == (5, 2)
    bad = VAE(nn.Linear(6, 3), nn.Linear(2, 6), latent_dim=2)
    with pytest.raises(ValueError, match=r"N×4.*\(5, 3\)"):
        bad.encode(mg.rand(5, 6))
    with pytest.raises(ValueError, match="data_dim"):
        VAE(nn.Linear(6, 4), nn.Linear(2, 6), latent_dim=2, likelihood="gaussian")


def test_negative_elbo_is_reconstruction_error_plus_kl_with_the_drawn_code(device):
    vae = small_vae()
    x = mg.rand(4, 6)
    mg.manual_seed(7)
    reconstruction, kl = vae.negative_elbo(x)
    mg.manual_seed(7)
    m, sigma = vae.encode(x)
    logits = vae.decoder(sample_code(m, sigma)).numpy()
    xn = x.numpy()
    p = 1 / (1 + np.exp(-logits.astype(np.float64)))
    expected = -np.sum(xn * np.log(p) + (1 - xn) * np.log(1 - p), axis=1)
    assert np.allclose(reconstruction.numpy(), expected, rtol=1e-5)
    assert np.allclose(kl.numpy(), kl_divergence(m, sigma).numpy())


def test_evaluate_negative_elbo_averages_codes_and_examples(device):
    vae = small_vae()
    x = mg.rand(10, 6)
    mg.manual_seed(3)
    result = evaluate_negative_elbo(vae, x, batch_size=10, samples=2)
    mg.manual_seed(3)
    with mg.no_grad():
        m, sigma = vae.encode(x)
        errors = [mg.functional.binary_cross_entropy_with_logits(vae.decoder(sample_code(m, sigma)), x,
                                                                 reduction="sum").item() for _ in range(2)]
        kl = kl_divergence(m, sigma).numpy().mean()
    assert result["reconstruction"] == pytest.approx(np.mean(errors) / 10, rel=1e-5)
    assert result["kl"] == pytest.approx(kl, rel=1e-5)
    assert result["negative_elbo"] == pytest.approx(result["reconstruction"] + result["kl"])


def test_train_vae_lowers_the_held_out_negative_elbo(device):
    """Four binary patterns: after training, the code carries them (−ELBO well below 6 log 2)."""
    patterns = np.array([[1, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 1], [1, 0, 1, 0, 1, 0], [0, 1, 0, 1, 0, 1]], np.float32)
    data = [mg.tensor(patterns[np.arange(16) % 4]) for _ in range(150)]
    vae = small_vae()
    before = evaluate_negative_elbo(vae, mg.tensor(patterns))["negative_elbo"]
    history = train_vae(vae, data, optim.Adam(vae.parameters(), lr=1e-2), epochs=1, progress=False)
    after = evaluate_negative_elbo(vae, mg.tensor(patterns))["negative_elbo"]
    assert len(history["loss"]) == len(history["kl"]) == 150
    # a model that ignores the code does best with every pixel Bernoulli(½): 6 log 2 nats per pattern
    assert before > 6 * math.log(2) - 0.5 and after < 6 * math.log(2) - 1.0
    # −ELBO ≥ −log p(x) ≥ 0 for binary pixels; 4 equally likely patterns need at least log 4 nats each
    assert after > math.log(4) - 0.05


def test_kl_weight_scales_the_penalty_but_the_history_records_the_full_negative_elbo(device):
    """With β = 0 the codes are free to spread (the KL grows); β = 1 keeps them near N(0, I)."""
    x = mg.rand(32, 6)
    kls = {}
    for beta in (0.0, 1.0):
        mg.manual_seed(5)
        vae = small_vae()
        history = train_vae(vae, [x] * 60, optim.Adam(vae.parameters(), lr=1e-2), kl_weight=lambda step: beta,
                            progress=False)
        assert np.allclose(history["loss"], np.add(history["reconstruction"], history["kl"]), rtol=1e-5)
        kls[beta] = np.mean(history["kl"][-10:])
    assert kls[0.0] > 2 * kls[1.0]


def test_lr_schedule_scales_the_learning_rate_at_every_step():
    vae = small_vae()
    optimizer = optim.SGD(vae.parameters(), lr=0.1)
    seen = []
    train_vae(vae, [mg.rand(4, 6)] * 4, optimizer, lr_schedule=lambda step: 1.0 - step / 4, progress=False,
              callback=lambda step, history: seen.append(optimizer.param_groups[0]["lr"]))
    assert seen == pytest.approx([0.1, 0.075, 0.05, 0.025])


def test_gaussian_vae_learns_its_noise_scale_and_generates(device):
    """Points on the line x₂ = x₁ plus noise 0.1: the learned log_scale falls from 0 towards log 0.1."""
    mg.manual_seed(0)
    vae = small_vae("gaussian", data_dim=2, latent=1)
    t = mg.randn(300, 1)
    data = [mg.functional.concatenate([t, t], axis=1)[i * 50:(i + 1) * 50] + 0.1 * mg.randn(50, 2)
            for i in range(6)]
    train_vae(vae, data, optim.Adam(vae.parameters(), lr=1e-2), epochs=40, progress=False)
    assert np.all(vae.log_scale.numpy() < -1.0)
    means, noisy = vae.generate(500), vae.generate(500, noise=True)
    assert means.shape == noisy.shape == (500, 2) and means.dtype == np.float32
    # the means lie close to the line; adding independent noise to each coordinate spreads them off it
    off_line = lambda a: np.abs(a[:, 0] - a[:, 1]).mean()  # noqa: E731
    assert off_line(means.numpy()) < off_line(noisy.numpy())


def test_generate_gives_probabilities_for_bernoulli_pixels(device):
    vae = small_vae()
    x = vae.generate(8)
    assert x.shape == (8, 6) and x.device == device and 0 <= x.numpy().min() and x.numpy().max() <= 1
    with pytest.raises(ValueError, match="gaussian"):
        vae.generate(2, noise=True)


def test_train_vae_refuses_gradient_ascent_and_empty_data():
    vae = small_vae()
    with pytest.raises(ValueError, match="maximize"):
        train_vae(vae, [mg.rand(2, 6)], optim.Adam(vae.parameters(), maximize=True), progress=False)
    with pytest.raises(ValueError, match="no batches"):
        train_vae(vae, [], optim.Adam(vae.parameters()), progress=False)
