"""Every example, end to end with tiny settings: one family of options, main(argv) returning the metrics it saves."""
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import minigan as mg
from minigan.train.checkpoint import read_checkpoint

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p.stem for p in (ROOT / "examples").glob("*.py"))

# the smallest settings that still run each example's whole path
TINY = {
    "toy_1d_gan": ["--steps", "30", "--batch", "32"],
    "mnist_gan": ["--steps", "12", "--batch", "16", "--hidden", "32", "--z-dim", "8", "--samples", "40",
                  "--refine-steps", "2"],
    "mixture_gan": ["--steps", "20", "--batch", "64", "--hidden", "16"],
    "anime_faces_dcgan": ["--steps", "3", "--batch", "8", "--faces", "40", "--samples", "20", "--g-channels", "4",
                          "--d-channels", "4", "--z-dim", "4", "--traversal-rows", "2", "--traversal-bases", "3"],
    "mnist_vae": ["--epochs", "1", "--hidden", "16", "--batch", "500"],
    "mnist_autoencoder": ["--epochs", "1", "--hidden", "16", "--batch", "500"],
    "gan_vs_vae_2d": ["--steps", "20", "--hidden", "8", "--batch", "64", "--eval-points", "300"],
    "gan_objectives": ["--steps", "20", "--d-head-start", "5", "--eval-every", "10"],
    "discriminator_generates": ["--rounds", "2", "--steps", "5", "--negatives", "40"],
    "what_do_we_miss": ["--epochs", "1", "--batch", "100", "--train-digits", "200"],
    "sentence_gan": ["--steps", "10", "--batch", "16", "--hidden", "16", "--d-hidden", "16", "--z-dim", "4",
                     "--samples", "50", "--train-sentences", "200", "--eval-every", "5", "--d-steps", "1"],
    "conditional_mnist": ["--steps", "12", "--batch", "16", "--hidden", "32", "--z-dim", "8", "--embed-dim", "4",
                          "--samples", "40"],
    "conditional_faces": ["--steps", "3", "--batch", "8", "--faces", "40", "--samples", "20", "--g-channels", "4",
                          "--d-channels", "4", "--z-dim", "4", "--embed-dim", "4"],
}
COMMON = ("--device", "--seed", "--out", "--no-progress", "--no-gif")
GAN_RUNS = ("toy_1d_gan", "mnist_gan", "mixture_gan", "anime_faces_dcgan", "conditional_mnist",
            "conditional_faces")  # they write diagnostics.png


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"example_{name}", ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def restore_device():
    previous = mg.get_device()
    yield
    mg.set_device(previous)


def as_array(value) -> np.ndarray:
    return value.numpy() if hasattr(value, "numpy") else np.asarray(value)


def run(name: str, out: Path, *extra: str) -> dict:
    return load(name).main([*TINY[name], "--out", str(out), "--no-progress", *extra])


def test_every_example_has_tiny_settings():
    assert sorted(TINY) == EXAMPLES


@pytest.mark.parametrize("name", EXAMPLES)
def test_help_lists_the_common_options(name, capsys):
    with pytest.raises(SystemExit) as stop:
        load(name).main(["--help"])
    assert stop.value.code == 0
    text = capsys.readouterr().out
    for option in COMMON:
        assert option in text, f"{name} --help lacks {option}"
    assert "--resume" in text and "--save-every" in text, f"{name} --help lacks --resume (every example trains)"


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_runs_end_to_end_and_returns_what_it_saves(name, tmp_path):
    metrics = run(name, tmp_path)
    assert isinstance(metrics, dict) and metrics
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert set(saved) == {str(key) for key in metrics}
    assert saved["settings"]["out"] == str(tmp_path) and saved["settings"]["no_progress"] is True
    assert list(tmp_path.glob("*.png")) and list(tmp_path.glob("*.npy"))
    assert (tmp_path / "diagnostics.png").is_file() == (name in GAN_RUNS)
    assert (tmp_path / "checkpoint.npz").is_file()
    gif = tmp_path / "training.gif"
    assert gif.stat().st_size < 5_000_000
    with Image.open(gif) as image:
        assert image.format == "GIF" and 1 <= image.n_frames <= 40


@pytest.mark.parametrize("name", ["anime_faces_dcgan", "mixture_gan", "mnist_vae"])
def test_the_gif_does_not_change_the_run(name, tmp_path):
    """Its snapshots draw no random numbers from minigan and leave the networks as they were (batch norm's
    running statistics included): the trained weights are the same bit for bit with and without --no-gif."""
    run(name, tmp_path / "gif")
    run(name, tmp_path / "no_gif", "--no-gif")
    assert (tmp_path / "gif" / "training.gif").is_file() and not (tmp_path / "no_gif" / "training.gif").exists()
    watched, unwatched = (read_checkpoint(tmp_path / run_ / "checkpoint.npz") for run_ in ("gif", "no_gif"))
    assert watched["rng"] == unwatched["rng"]
    for network, weights in unwatched["models"].items():
        for key, value in weights.items():
            np.testing.assert_array_equal(as_array(watched["models"][network][key]), as_array(value),
                                          err_msg=f"{network}.{key}")


@pytest.mark.parametrize("name", EXAMPLES)
def test_no_example_imports_another(name):
    source = (ROOT / "examples" / f"{name}.py").read_text()
    for other in EXAMPLES:
        assert f"import {other}" not in source and f"from {other} " not in source, f"{name} imports {other}"
    assert "sys.path" not in source
