"""The lecture's GAN loop: ascent, fixed networks, NaN guard, exact resume, and the 1-D toy reaching its target."""
import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

import minigan as mg
from minigan import nn, optim
from minigan.train import TrainingDiverged, load_checkpoint, save_checkpoint, train_gan
from minigan.train.gan import fixed
from minigan.train.objectives import Lecture

ROOT = Path(__file__).resolve().parents[1]


def tiny_gan(seed=0):
    mg.manual_seed(seed)
    G = nn.Sequential(nn.Linear(2, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1))
    D = nn.Sequential(nn.Linear(1, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1))
    opt_D = optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.999), maximize=True)
    opt_G = optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.999), maximize=True)
    return G, D, opt_D, opt_G


def sample_real(m):
    return mg.randn(m, 1) * 1.25 + 4.0


def sample_noise(m):
    return mg.randn(m, 2)


def run(G, D, opt_D, opt_G, steps, **kwargs):
    return train_gan(G, D, sample_real, sample_noise, opt_D, opt_G, steps=steps, m=16, progress=False, **kwargs)


def params(model):
    return [p.numpy().copy() for p in model.parameters()]


def test_optimizers_must_ascend():
    G, D, _, opt_G = tiny_gan()
    descending = optim.Adam(D.parameters(), lr=1e-3)
    with pytest.raises(ValueError, match="opt_D must be built with maximize=True"):
        run(G, D, descending, opt_G, steps=1)


def test_d_step_ascends_V_and_g_step_leaves_D_unchanged(device):
    G, D, opt_D, opt_G = tiny_gan()
    x, z = sample_real(64), sample_noise(64)
    before = Lecture().discriminator(D, x, G(z))[0].item()
    history = run(G, D, opt_D, opt_G, steps=1)
    after = Lecture().discriminator(D, x, G(z))[0].item()
    assert after > before  # one ascent step on Ṽ raises Ṽ
    assert set(history) == {"V_D", "V_G", "D_x", "D_G_z"} and all(len(v) == 1 for v in history.values())
    # Learning G holds D fixed: no gradient reaches D's parameters during G's step
    d_before = params(D)
    D.zero_grad()
    with fixed(D):
        V_G, _ = Lecture().generator_value(D, G(sample_noise(8)))
        opt_G.zero_grad()
        V_G.backward()
        opt_G.step()
    assert all(p.grad is None for p in D.parameters())
    assert all(p.requires_grad for p in D.parameters())
    for a, b in zip(d_before, params(D)):
        np.testing.assert_array_equal(a, b)


def test_history_values_match_their_definitions():
    G, D, opt_D, opt_G = tiny_gan()
    history = run(G, D, opt_D, opt_G, steps=3)
    for v_d, d_x, d_g_z in zip(history["V_D"], history["D_x"], history["D_G_z"]):
        assert v_d < 0 and 0 < d_x < 1 and 0 < d_g_z < 1
    # at D(x) = D(G(z)) = ½ on every example, Ṽ would be −2 log 2; early in training it is close to that
    assert abs(history["V_D"][0] + 2 * math.log(2)) < 0.5


def test_generator_objectives():
    D = nn.Sequential(nn.Linear(1, 1))
    with mg.no_grad():
        D[0].weight.copy_(np.array([[1.0]], dtype=np.float32))
        D[0].bias.copy_(np.array([0.0], dtype=np.float32))
    x_tilde = mg.tensor([[-2.0], [0.5]])
    d = 1 / (1 + np.exp(-np.array([-2.0, 0.5])))
    log_d, _ = Lecture("log D").generator_value(D, x_tilde)
    minimax, _ = Lecture("minimax").generator_value(D, x_tilde)
    np.testing.assert_allclose(log_d.item(), np.mean(np.log(d)), rtol=1e-6)
    np.testing.assert_allclose(minimax.item(), -np.mean(np.log(1 - d)), rtol=1e-6)
    with pytest.raises(ValueError, match="'log D' or 'minimax'"):
        Lecture("wasserstein")


def test_nan_guard_names_step_and_quantity():
    G, D, opt_D, opt_G = tiny_gan()
    calls = []

    def poisoned_real(m):  # real data turns to NaN from the second step on
        calls.append(m)
        return mg.full((m, 1), float("nan")) if len(calls) > 1 else sample_real(m)

    with pytest.raises(TrainingDiverged, match=r"step 1: Ṽ of D became nan"):
        train_gan(G, D, poisoned_real, sample_noise, opt_D, opt_G, steps=5, m=8, progress=False)


def test_nan_guard_stops_before_the_step_so_the_parameters_stay_finite():
    """Each Ṽ is checked before its update: at the error D and G hold the weights of the last good iteration."""
    G, D, opt_D, opt_G = tiny_gan()
    calls, after_first = [], []

    def poisoned_real(m):
        calls.append(m)
        return mg.full((m, 1), float("nan")) if len(calls) > 1 else sample_real(m)

    with pytest.raises(TrainingDiverged, match=r"step 1: Ṽ of D became nan"):
        train_gan(G, D, poisoned_real, sample_noise, opt_D, opt_G, steps=5, m=8, progress=False,
                  callback=lambda step, h: after_first.append(params(G) + params(D)))
    assert len(after_first) == 1
    for kept, now in zip(after_first[0], params(G) + params(D)):
        assert np.isfinite(now).all()
        np.testing.assert_array_equal(kept, now)


def test_lr_schedule_scales_initial_rate():
    G, D, opt_D, opt_G = tiny_gan()
    seen = []
    run(G, D, opt_D, opt_G, steps=4, lr_schedule=lambda step: 1 - step / 4,
        callback=lambda step, h: seen.append(opt_D.param_groups[0]["lr"]))
    np.testing.assert_allclose(seen, [1e-3, 0.75e-3, 0.5e-3, 0.25e-3])


def test_checkpoint_resume_is_exact(device, tmp_path):
    """On the CPU a resumed run is the uninterrupted run, bit for bit.  CuPy's generator state cannot be
    saved, so on the GPU the checkpoint re-seeds it: a resumed run is reproducible, but its noise differs."""
    schedule = lambda step: 1 - step / 40  # noqa: E731
    G, D, opt_D, opt_G = tiny_gan(seed=3)
    full = run(G, D, opt_D, opt_G, steps=40, lr_schedule=schedule)
    straight = params(G) + params(D)

    G, D, opt_D, opt_G = tiny_gan(seed=3)
    half = run(G, D, opt_D, opt_G, steps=20, lr_schedule=schedule)
    path = tmp_path / "run.npz"
    save_checkpoint(path, 20, {"G": G, "D": D}, {"D": opt_D, "G": opt_G}, half)
    mg.randn(100)  # disturb the generator: the checkpoint must restore it

    def resume():
        G, D, opt_D, opt_G = tiny_gan(seed=99)  # fresh networks, other weights
        step, history = load_checkpoint(path, {"G": G, "D": D}, {"D": opt_D, "G": opt_G})
        assert step == 20
        resumed = run(G, D, opt_D, opt_G, steps=40, start_step=step, history=history, lr_schedule=schedule)
        return params(G) + params(D), resumed

    weights, resumed = resume()
    if device == "gpu":
        mg.randn(100)
        straight, full = resume()
    for a, b in zip(straight, weights):
        np.testing.assert_array_equal(a, b)
    assert resumed == full


def test_load_checkpoint_names_missing_model(tmp_path):
    G, D, opt_D, opt_G = tiny_gan()
    path = tmp_path / "run.npz"
    save_checkpoint(path, 0, {"G": G}, {})
    with pytest.raises(KeyError, match="no models named \\['D'\\]"):
        load_checkpoint(path, {"G": G, "D": D}, {})


def _toy_example():
    spec = importlib.util.spec_from_file_location("toy_1d_gan", ROOT / "examples" / "toy_1d_gan.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_toy_1d_gan_reaches_target(seed, tmp_path):
    """The targets of `python examples/toy_1d_gan.py`, on the CPU.  What this asserts holds with margin on every
    kernel family: `python scripts/sweep.py toy_1d_gan --seeds 0-9 --blas Haswell,Sandybridge,SkylakeX` (30 runs of
    the defaults, 4,000 iterations, docs/results.md) gave |mean error| ≤ 0.026, |σ_G/σ_data − 1| ≤ 1.8 %, KS ≤ 0.016
    against the exact CDF and ≤ 0.017 against 10,000 data samples (targets 0.05, 5 %, 0.03); seeds 0 and 1 are the
    first two of those ten, not chosen among them.  (A GPU draws other noise from the same seed, so its runs are other
    samples of the same training.)"""
    metrics = _toy_example().main(["--seed", str(seed), "--out", str(tmp_path), "--no-progress", "--device", "cpu"])
    assert abs(metrics["mean_error"]) < 0.05
    assert abs(metrics["std_ratio_error"]) < 0.05
    assert metrics["ks_vs_exact_cdf"] < 0.03 and metrics["ks"] < 0.03
    assert abs(metrics["V_optimal_D"] - metrics["minus_2log2_plus_2JSD"]) < 1e-3
    for name in ("theory.png", "history.png", "samples.npy", "metrics.json"):
        assert (tmp_path / name).exists()
    assert np.load(tmp_path / "samples.npy").shape == (10_000, 1)
