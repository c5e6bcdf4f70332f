"""What the image examples share (minigan/run.py, minigan/train/shared.py, minigan/plot.py): the schedule, evaluation-mode generation, the
snapshots at the lecture's update counts, and the history figure."""
import numpy as np
import pytest

import minigan as mg
from minigan import nn
from minigan.run import LECTURE_UPDATES, generate, lecture_snapshots
from minigan.train.shared import halfway_decay
from minigan.plot import gan_history_figure


def test_halfway_decay_holds_then_falls_linearly_to_zero():
    factor = halfway_decay(1000)
    assert [factor(s) for s in (0, 250, 500)] == [1.0, 1.0, 1.0]
    assert factor(750) == pytest.approx(0.5)
    assert factor(999) == pytest.approx(0.002)


def test_generate_uses_the_running_statistics_and_restores_training_mode(device):
    G = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    G(mg.randn(32, 3) * 4 + 1)  # one training batch moves the running statistics
    z = mg.randn(7, 3)
    out = generate(G, z, batch=3)  # in batches of 3, 3, 1
    assert G.training and isinstance(out, np.ndarray) and out.shape == (7, 4)
    G.eval()
    with mg.no_grad():
        expected = G(z).numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


def test_lecture_snapshots_are_saved_at_the_lecture_counts_only(tmp_path):
    G = nn.Sequential(nn.Linear(2, 4), nn.Tanh())
    callback = lecture_snapshots(G, mg.randn(4, 2), tmp_path, steps=2000, nrow=2)
    for step in range(1500):
        callback(step, {})
    saved = sorted(p.name for p in tmp_path.iterdir())
    assert saved == ["samples_step00100.png", "samples_step01000.png"]
    assert LECTURE_UPDATES[:3] == (100, 1000, 2000)


def test_gan_history_figure(tmp_path):
    history = {key: list(np.linspace(0, 1, 450)) for key in ("V_D", "D_x", "D_G_z")}
    gan_history_figure(history, tmp_path / "history.png")
    assert (tmp_path / "history.png").stat().st_size > 0
