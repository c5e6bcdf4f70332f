"""What D and G maximise: the lecture's objective, its minimax variant, LSGAN, hinge, WGAN-GP; PacGAN packing."""
import json
import math
from pathlib import Path

import numpy as np
import pytest

import minigan as mg
from minigan import functional as F
from minigan import nn, optim
from minigan.data.toy import Gaussian1D
from minigan.train import train_gan
from minigan.train.objectives import OBJECTIVES, Hinge, LeastSquares, Lecture, WassersteinGP
from minigan.train.pacgan import PacDiscriminator

ROOT = Path(__file__).resolve().parents[1]


def log_sigmoid(l):
    return -np.logaddexp(0, -l)


@pytest.fixture
def batch(device):
    """A linear D: x ↦ x·w + b, with real and generated examples and their scores, in NumPy too."""
    D = nn.Linear(3, 1)
    x, x_tilde = mg.randn(8, 3), mg.randn(8, 3) + 1.0
    w, b = D.weight.numpy().reshape(-1), D.bias.numpy()
    return D, x, x_tilde, x.numpy() @ w + b, x_tilde.numpy() @ w + b


def test_lecture_values_match_the_formulas(batch):
    D, x, x_tilde, real, fake = batch
    V, real_logit, fake_logit = Lecture().discriminator(D, x, x_tilde)
    # Ṽ = 1/m Σ log D(xⁱ) + 1/m Σ log(1 − D(x̃ⁱ))
    assert V.item() == pytest.approx(log_sigmoid(real).mean() + log_sigmoid(-fake).mean(), rel=1e-5)
    np.testing.assert_allclose(real_logit.numpy().reshape(-1), real, rtol=1e-5, atol=1e-6)
    assert Lecture("log D").generator_value(D, x_tilde)[0].item() == pytest.approx(log_sigmoid(fake).mean(), rel=1e-5)
    minimax = Lecture("minimax").generator_value(D, x_tilde)[0].item()
    assert minimax == pytest.approx(-log_sigmoid(-fake).mean(), rel=1e-5)
    assert V.dtype == np.float32


def test_lsgan_and_hinge_values_match_the_formulas(batch):
    D, x, x_tilde, real, fake = batch
    V, _, _ = LeastSquares().discriminator(D, x, x_tilde)
    assert V.item() == pytest.approx(-0.5 * ((real - 1) ** 2).mean() - 0.5 * (fake**2).mean(), rel=1e-5)
    value = LeastSquares().generator_value(D, x_tilde)[0].item()
    assert value == pytest.approx(-0.5 * ((fake - 1) ** 2).mean(), rel=1e-5)
    V, _, _ = Hinge().discriminator(D, x, x_tilde)
    expected = np.minimum(0, real - 1).mean() + np.minimum(0, -fake - 1).mean()
    assert V.item() == pytest.approx(expected, rel=1e-5)
    assert Hinge().generator_value(D, x_tilde)[0].item() == pytest.approx(fake.mean(), rel=1e-5)


def test_wgan_gp_penalty_of_a_linear_critic(batch):
    """‖∇ₓ(x·w + b)‖ = ‖w‖ everywhere: the penalty is λ(‖w‖ − 1)², and its gradient (a gradient of a
    gradient) is 2λ(‖w‖ − 1) w / ‖w‖."""
    D, x, x_tilde, real, fake = batch
    w = D.weight.numpy().reshape(-1)
    norm = np.linalg.norm(w)
    objective = WassersteinGP(penalty=10.0)
    penalty = objective.gradient_penalty(D, x, x_tilde)
    assert penalty.item() == pytest.approx(10 * (norm - 1) ** 2, rel=1e-4)
    penalty.backward()
    np.testing.assert_allclose(D.weight.grad.numpy().reshape(-1), 20 * (norm - 1) * w / norm, rtol=1e-4, atol=1e-6)
    V, _, _ = objective.discriminator(D, x, x_tilde)
    assert V.item() == pytest.approx(real.mean() - fake.mean() - 10 * (norm - 1) ** 2, rel=1e-4, abs=1e-5)


def test_wgan_gp_penalty_gradient_matches_finite_differences(device, rng):
    """The penalty of a non-linear critic, differentiated with respect to the critic's weights (double backprop)."""
    x, x_tilde = rng.standard_normal((5, 2)), rng.standard_normal((5, 2))
    v = mg.tensor(rng.standard_normal((4, 1)), dtype=np.float64)

    def penalty(W):
        mg.manual_seed(1)  # the same interpolation points ε on every call
        critic = lambda h: F.tanh(h @ W) @ v  # noqa: E731
        real, fake = mg.tensor(x, dtype=np.float64), mg.tensor(x_tilde, dtype=np.float64)
        return WassersteinGP().gradient_penalty(critic, real, fake)

    assert mg.gradcheck(penalty, [rng.standard_normal((2, 4))])


def test_wgan_gp_takes_one_gradient_norm_per_pack(device):
    """A packed critic sees packs of 2 examples: the norm is over the pack, ‖w‖ for w ∈ R⁴, not per example."""
    inner = nn.Linear(4, 1)
    with mg.no_grad():
        inner.weight.copy_(mg.tensor([[0.6, 0.0, 0.0, 0.8]]))  # ‖w‖ = 1: no penalty for the pack
    D = PacDiscriminator(inner, 2)
    assert WassersteinGP().gradient_penalty(D, mg.randn(6, 2), mg.randn(6, 2)).item() == pytest.approx(0, abs=1e-8)


def test_wgan_gp_penalty_on_the_first_samples_pairs_only(device, rng):
    """``samples=n``: the penalty of the first n pairs, as if the batch held only them; the rows after them do not
    enter it; None (the default) and any n ≥ m use the whole batch."""
    W, v = mg.tensor(rng.standard_normal((2, 4))), mg.tensor(rng.standard_normal((4, 1)))
    critic = lambda h: F.tanh(h @ W) @ v  # noqa: E731
    x, x_tilde = mg.tensor(rng.standard_normal((6, 2))), mg.tensor(rng.standard_normal((6, 2)))

    def penalty(objective, real, fake):
        mg.manual_seed(1)  # the same interpolation points ε on every call
        return objective.gradient_penalty(critic, real, fake)

    first = penalty(WassersteinGP(), x[:3], x_tilde[:3])
    assert penalty(WassersteinGP(samples=3), x, x_tilde).item() == first.item()
    changed = mg.tensor(np.concatenate([x.numpy()[:3], rng.standard_normal((3, 2)).astype(np.float32)]))
    assert penalty(WassersteinGP(samples=3), changed, x_tilde).item() == first.item()
    whole = penalty(WassersteinGP(), x, x_tilde)
    assert penalty(WassersteinGP(samples=6), x, x_tilde).item() == penalty(WassersteinGP(samples=50), x, x_tilde).item()
    assert penalty(WassersteinGP(samples=6), x, x_tilde).item() == whole.item() != first.item()
    assert first.dtype == np.float32
    for bad in (0, -2, 2.5, True, "64"):
        with pytest.raises(ValueError, match="samples must be a positive int"):
            WassersteinGP(samples=bad)


def test_log_d_gives_strong_gradients_where_minimax_gives_weak_ones():
    """Early in training D rejects G's samples (logit −5, D(G(z)) ≈ 0.007): the gradient of log D(G(z)) is
    1 − D ≈ 0.99 per example, that of −log(1 − D(G(z))) only D ≈ 0.007 (section 11)."""
    for generator, expected in (("log D", 1 - 1 / (1 + math.e**5)), ("minimax", 1 / (1 + math.e**5))):
        logit = mg.tensor([[-5.0]], requires_grad=True)
        V, _ = Lecture(generator).generator_value(lambda x: x, logit)
        V.backward()
        assert logit.grad.item() == pytest.approx(expected, rel=1e-5)


def test_objectives_are_named_and_unknown_generator_objective_is_refused():
    assert set(OBJECTIVES) == {"gan", "minimax", "lsgan", "hinge", "wgan-gp"}
    assert Lecture().generator == "log D" and OBJECTIVES["minimax"]().generator == "minimax"
    with pytest.raises(ValueError, match="'log D' or 'minimax'"):
        Lecture("logD")


@pytest.mark.parametrize("name", sorted(OBJECTIVES))
def test_each_objective_is_ascended_by_d_and_trains_in_the_lecture_loop(device, name):
    """D's updates raise its Ṽ against a fixed G; then 20 iterations of train_gan run without NaN."""
    mg.manual_seed(0)
    G = nn.Sequential(nn.Linear(2, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1))
    D = nn.Sequential(nn.Linear(1, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1))
    opt_D = optim.Adam(D.parameters(), lr=5e-3, betas=(0.5, 0.9), maximize=True)
    opt_G = optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.9), maximize=True)
    objective, data = OBJECTIVES[name](), Gaussian1D()
    with mg.no_grad():
        x_tilde = G(mg.randn(256, 2))
    x = data.sample(256)
    before = objective.discriminator(D, x, x_tilde)[0].item()
    for _ in range(30):
        V, _, _ = objective.discriminator(D, x, x_tilde)
        opt_D.zero_grad()
        V.backward()
        opt_D.step()
    assert objective.discriminator(D, x, x_tilde)[0].item() > before + 0.1
    history = train_gan(G, D, data.sample, lambda m: mg.randn(m, 2), opt_D, opt_G, steps=20, m=64,
                        objective=objective, progress=False)
    assert len(history["V_G"]) == 20 and all(np.isfinite(history["V_D"] + history["V_G"]))


def test_pac_discriminator_packs_consecutive_examples(device):
    inner = nn.Linear(6, 1)
    D = PacDiscriminator(inner, 3)
    x = mg.randn(12, 2)
    out = D(x)
    assert out.shape == (4, 1)
    np.testing.assert_allclose(out.numpy(), inner(x.reshape(4, 6)).numpy(), rtol=1e-6)
    assert [name for name, _ in D.named_parameters()] == ["D.weight", "D.bias"]
    with pytest.raises(ValueError, match="batch of 10 examples cannot be cut into packs of 3"):
        D(mg.randn(10, 2))
    with pytest.raises(ValueError, match="pack must be a positive integer"):
        PacDiscriminator(inner, 0)


def test_pac_discriminator_stacks_packed_images_as_channels(device):
    conv = nn.Conv2d(2 * 3, 1, 3)
    D = PacDiscriminator(conv, 2)
    x = mg.randn(4, 3, 5, 5)
    out = D(x)
    assert out.shape == (2, 1, 3, 3)
    stacked = np.concatenate([x.numpy()[0::2], x.numpy()[1::2]], axis=1)  # images 0|1 and 2|3, channels side by side
    np.testing.assert_allclose(out.numpy(), conv(mg.tensor(stacked)).numpy(), rtol=1e-5, atol=1e-6)


def test_packed_gan_trains_in_the_unchanged_loop(device):
    mg.manual_seed(0)
    G = nn.Sequential(nn.Linear(2, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1))
    D = PacDiscriminator(nn.Sequential(nn.Linear(2, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1)), 2)
    opt_D = optim.Adam(D.parameters(), lr=1e-3, maximize=True)
    opt_G = optim.Adam(G.parameters(), lr=1e-3, maximize=True)
    history = train_gan(G, D, Gaussian1D().sample, lambda m: mg.randn(m, 2), opt_D, opt_G, steps=10, m=64,
                        progress=False)
    assert history["D_x"][-1] > history["D_G_z"][-1]


def test_gan_objectives_example_writes_figures_samples_and_metrics(run_example, tmp_path, device, monkeypatch):
    metrics = run_example("gan_objectives", ["--device", device, "--out", str(tmp_path), "--steps", "30",
                                             "--d-head-start", "5", "--eval-every", "10", "--no-progress"])
    for name in ("objectives.png", "training.png", "samples.npy", "samples_minimax.npy", "metrics.json"):
        assert (tmp_path / name).is_file(), name
    assert np.load(tmp_path / "samples.npy").shape == (10_000, 1)
    saved = json.loads((tmp_path / "metrics.json").read_text())
    for name in ("gan", "minimax"):
        assert saved[name]["V_optimal_D"] == pytest.approx(metrics[name]["minus_2log2_plus_2JSD"], abs=1e-6)
