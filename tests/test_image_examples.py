"""The image examples run end to end with tiny settings and write every file they promise."""
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import minigan as mg
from minigan import nn
from minigan.data import FACE_ATTRIBUTES
from minigan.models import mnist_networks
from minigan.train.checkpoint import read_checkpoint

ROOT = Path(__file__).resolve().parents[1]


def example(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def restore_device():
    """The examples set the device and the seed; leave the next test the CPU it expects."""
    previous = mg.get_device()
    yield
    mg.set_device(previous)


def written_json(path: Path) -> dict:
    return json.loads((path / "metrics.json").read_text())


@pytest.mark.parametrize("arch", [["--arch", "conv", "--channels", "4"], ["--arch", "mlp", "--hidden", "32"]])
def test_mnist_gan_writes_grids_samples_and_metrics(tmp_path, device, arch):
    metrics = example("mnist_gan").main(["--device", device, "--out", str(tmp_path), "--steps", "101", "--batch", "16",
                                         *arch, "--z-dim", "8", "--samples", "50", "--no-progress"])
    for name in ("samples_step00100.png", "samples_final.png", "samples_refined.png", "history.png", "samples.npy",
                 "metrics.json"):
        assert (tmp_path / name).is_file(), name
    samples = np.load(tmp_path / "samples.npy")
    assert samples.shape == (50, 784) and samples.dtype == np.float32
    assert samples.min() >= -1 and samples.max() <= 1
    saved = written_json(tmp_path)
    assert saved["classifier_score"] == pytest.approx(metrics["classifier_score"])
    assert 1 <= saved["classifier_score"] <= 10 and 9 < saved["classifier_score_real"] <= 10
    assert 0 <= saved["classes_generated"] <= 10 and len(saved["class_histogram"]) == 10
    assert saved["train_cpu_seconds"] > 0 and saved["settings"]["steps"] == 101
    assert saved["settings"]["arch"] == arch[1] and saved["settings"]["lr"] == {"conv": 2e-4, "mlp": 1e-3}[arch[1]]
    # G's own samples are judged too, and D's correction moved them
    alone = saved["generator_alone"]
    assert alone["classifier_score_real"] == saved["classifier_score_real"] and alone["samples"] == 50
    assert alone["frechet_distance"] != saved["frechet_distance"]


@pytest.mark.parametrize("option, value", [("--refine-steps", "-1"), ("--refine-step-size", "0"),
                                           ("--refine-beta", "-2")])
def test_mnist_gan_rejects_bad_refinement_settings_before_training(option, value, tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        example("mnist_gan").main(["--out", str(tmp_path / "never"), option, value])
    assert stop.value.code == 2 and "--refine-steps must be at least 0" in capsys.readouterr().err
    assert not (tmp_path / "never").exists()


def test_mnist_networks_of_each_arch_and_of_a_run_saved_before_arch_existed():
    settings = {"z_dim": 8, "channels": 4, "hidden": 32, "dropout": 0.3}
    for arch in ("conv", "mlp", None):
        G, D = mnist_networks({**settings, **({"arch": arch} if arch else {})})
        convolutional = any(isinstance(m, nn.Conv2d) for m in D.modules())
        assert any(isinstance(m, nn.ConvTranspose2d) for m in G.modules()) == convolutional == (arch == "conv")
        G.eval()
        D.eval()
        x = G(mg.randn(5, 8))
        assert x.shape == (5, 784) and D(x).shape == (5, 1)


def test_mnist_gan_without_refinement_reports_g_alone(tmp_path):
    metrics = example("mnist_gan").main(["--out", str(tmp_path), "--steps", "3", "--batch", "16", "--hidden", "32",
                                         "--z-dim", "8", "--samples", "40", "--refine-steps", "0", "--no-progress"])
    assert metrics["classifier_score"] == pytest.approx(metrics["generator_alone"]["classifier_score"])
    assert metrics["frechet_distance"] == pytest.approx(metrics["generator_alone"]["frechet_distance"])


def test_anime_faces_dcgan_writes_grids_traversal_samples_and_metrics(tmp_path):
    metrics = example("anime_faces_dcgan").main([
        "--out", str(tmp_path), "--steps", "3", "--batch", "8", "--faces", "40", "--samples", "20",
        "--g-channels", "4", "--d-channels", "4", "--z-dim", "4", "--traversal-rows", "2", "--traversal-bases", "3", "--no-progress"])
    for name in ("samples_final.png", "traversal.png", "history.png", "samples.npy", "metrics.json"):
        assert (tmp_path / name).is_file(), name
    samples = np.load(tmp_path / "samples.npy")
    assert samples.shape == (20, 3, 32, 32) and samples.min() >= -1 and samples.max() <= 1
    saved = written_json(tmp_path)
    assert set(saved["attribute_tv"]) == set(FACE_ATTRIBUTES)
    assert saved["max_attribute_tv"] == pytest.approx(max(metrics["attribute_tv"].values()))
    assert len(saved["traversal"]) == 2
    row = saved["traversal"][0]
    assert 0 <= row["dimension"] < 4 and row["attribute"] in FACE_ATTRIBUTES
    assert len(row["predicted_along_row"]) == 9
    # the rows are the coordinates with the largest change, in decreasing order
    assert row["mean_change"] == pytest.approx(max(max(v) for v in saved["traversal_change"].values()))
    assert saved["traversal"][0]["mean_change"] >= saved["traversal"][1]["mean_change"]


@pytest.mark.parametrize("argv, packs", [(["--d-minibatch-std", "3"], 32), (["--d-minibatch-std", "-1"], 32),
                                         (["--batch", "24", "--pack", "2", "--d-minibatch-std", "8"], 12)])
def test_anime_faces_dcgan_rejects_groups_that_do_not_divide_the_packs(argv, packs, tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        example("anime_faces_dcgan").main(["--out", str(tmp_path / "never"), *argv])
    assert stop.value.code == 2 and f"positive divisor of the {packs} packs D judges" in capsys.readouterr().err
    assert not (tmp_path / "never").exists()


@pytest.mark.parametrize("argv", [["--d-minibatch-std", "5"], ["--d-minibatch-std", "-4"]])
def test_conditional_faces_rejects_groups_that_do_not_divide_the_batch(argv, tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        example("conditional_faces").main(["--out", str(tmp_path / "never"), *argv])
    assert stop.value.code == 2 and "positive divisor of --batch 64" in capsys.readouterr().err
    assert not (tmp_path / "never").exists()


@pytest.mark.parametrize("argv, expected", [([], 0.5), (["--beta1", "0"], 0.0)])
def test_beta1_sets_adams_first_beta_of_g_and_d_in_the_image_runs(argv, expected, tmp_path):
    """0.5 by default (DCGAN's choice), what --beta1 says otherwise; β₂ stays 0.999 (minigan/run.py:_image_run)."""
    example("conditional_faces").main([
        "--out", str(tmp_path), "--steps", "2", "--batch", "8", "--faces", "40", "--samples", "20", "--g-channels", "4",
        "--d-channels", "4", "--z-dim", "4", "--embed-dim", "4", "--no-progress", "--no-gif", *argv])
    optimizers = read_checkpoint(tmp_path / "checkpoint.npz")["optimizers"]
    assert [tuple(optimizers[name]["param_groups"][0]["betas"]) for name in ("G", "D")] == [(expected, 0.999)] * 2


def test_anime_faces_dcgan_trains_on_a_folder_of_images(tmp_path):
    folder = tmp_path / "faces"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(12):
        Image.fromarray(rng.integers(0, 256, size=(40, 40, 3), dtype=np.uint8)).save(folder / f"{i}.png")
    out = tmp_path / "out"
    example("anime_faces_dcgan").main([
        "--data", str(folder), "--out", str(out), "--steps", "2", "--batch", "8", "--samples", "10",
        "--g-channels", "4", "--d-channels", "4", "--z-dim", "4", "--traversal-rows", "1", "--traversal-bases", "2", "--no-progress"])
    assert np.load(out / "samples.npy").shape == (10, 3, 32, 32)
    assert written_json(out)["reference_samples"] == 10
