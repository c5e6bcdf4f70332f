"""Checkpoints of the examples: Ctrl-C saves and exits 130, --resume continues bit for bit (CPU), and a checkpoint
from another example or other settings is refused, naming what differs."""
import json
import importlib
import signal

import numpy as np
import pytest

from minigan.train.checkpoint import read_checkpoint
from test_examples import TINY, as_array, load, restore_device  # noqa: F401  (the fixture restores the device)

# per kind of loop: the example, its tiny settings, and the update after which Ctrl-C comes
GAN_THEN_VAE = ["--steps", "10", "--hidden", "8", "--batch", "64", "--eval-points", "300", "--save-every", "4"]
CASES = {
    "gan": ("toy_1d_gan", TINY["toy_1d_gan"] + ["--save-every", "7", "--ema", "0.9"], 11),
    "gan-then-vae-in-the-gan": ("gan_vs_vae_2d", GAN_THEN_VAE, 6),
    "two-gans-in-the-second": ("gan_objectives", TINY["gan_objectives"] + ["--save-every", "7"], 26),
    "gan-then-vae-in-the-vae": ("gan_vs_vae_2d", GAN_THEN_VAE, 15),
    "gan-images": ("mnist_gan", TINY["mnist_gan"] + ["--save-every", "5"], 7),
    "vae": ("mnist_vae", ["--epochs", "2", "--hidden", "16", "--batch", "500", "--save-every", "3"], 5),
    "autoencoder": ("mnist_autoencoder", ["--epochs", "2", "--hidden", "16", "--batch", "500", "--save-every", "3"],
                    10),
    "discriminator-rounds": ("discriminator_generates", ["--rounds", "4", "--steps", "3", "--negatives", "40",
                                                         "--hidden", "8", "--save-every", "2"], 3),
    "discriminator-mid-epoch": ("what_do_we_miss", ["--epochs", "2", "--batch", "20", "--train-digits", "60",
                                                    "--save-every", "4"], 5),
    "sentences-gan-then-vae-in-the-vae": ("sentence_gan", TINY["sentence_gan"] + ["--save-every", "4"], 14),
    "conditional": ("conditional_mnist", TINY["conditional_mnist"] + ["--save-every", "5"], 7),
    "conditional-faces-concat-cbn": ("conditional_faces", TINY["conditional_faces"] + [
        "--steps", "6", "--save-every", "4", "--conditioning", "concat", "--g-conditioning", "batchnorm"], 5),
}
# the loop each example calls, as a name in the example's module, or "module:name" where the example reaches it
# through a library function (mnist_gan and the conditional examples train in minigan/run.py)
LOOPS = {"toy_1d_gan": "train_gan", "mnist_gan": "minigan.run:train_gan", "mnist_vae": "train_vae",
         "mnist_autoencoder": "train_autoencoder", "gan_vs_vae_2d": ("train_gan", "train_vae"),
         "gan_objectives": "train_gan", "discriminator_generates": "discriminator_generation",
         "what_do_we_miss": "train_discriminator", "sentence_gan": ("train_gan", "train_vae"),
         "conditional_mnist": "minigan.run:train_conditional_gan",
         "conditional_faces": "minigan.run:train_conditional_gan"}
UNITS = {"discriminator_generates": "round"}  # what the loop counts, where it is not updates


def interrupted_at(module, loops, update: int, monkeypatch):
    """Make ``module``'s training loops (one after the other) receive a real SIGINT right after the run's update
    ``update``."""
    done = [0]  # updates of the loops so far

    def wrap(train):
        def wrapped(*args, callback=None, **kwargs):
            def with_ctrl_c(step, history):
                done[0] += 1
                if done[0] == update:
                    signal.raise_signal(signal.SIGINT)
                callback(step, history)
            return train(*args, callback=with_ctrl_c, **kwargs)
        return wrapped

    for loop in (loops,) if isinstance(loops, str) else loops:
        owner, _, attribute = loop.rpartition(":")
        target = importlib.import_module(owner) if owner else module
        monkeypatch.setattr(target, attribute, wrap(getattr(target, attribute)))
    return module


def main(name, argv, interrupt=None, monkeypatch=None):
    module = load(name)
    if interrupt is not None:
        interrupted_at(module, LOOPS[name], interrupt, monkeypatch)
    return module.main(argv)


@pytest.mark.parametrize("kind", sorted(CASES))
def test_interrupted_and_resumed_run_ends_with_the_same_samples(kind, tmp_path, capsys, monkeypatch):
    name, argv, update = CASES[kind]
    unit = UNITS.get(name, "update")
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    handler = signal.getsignal(signal.SIGINT)  # Python's default, or "ignore" when the tests run in the background
    main(name, [*argv, "--out", str(whole), "--no-progress"])
    with pytest.raises(SystemExit) as stop:
        main(name, [*argv, "--out", str(parts), "--no-progress"], interrupt=update, monkeypatch=monkeypatch)
    assert stop.value.code == 130
    printed = capsys.readouterr().out
    assert f"stopped after {unit} {update}" in printed and "--resume" in printed.splitlines()[-1]
    assert (parts / "checkpoint.npz").is_file() and not list(parts.glob("*.npy"))
    assert signal.getsignal(signal.SIGINT) == handler  # Ctrl-C does again what it did before the run
    main(name, [*argv, "--out", str(parts), "--no-progress", "--resume"])
    assert f"resuming {parts / 'checkpoint.npz'} from {unit} {update}" in capsys.readouterr().out
    arrays = sorted(p.name for p in whole.glob("*.npy"))
    assert {"samples.npy", "reconstructions.npy", "gan_samples.npy", "mistakes.npy"} & set(arrays)
    for file in arrays:
        np.testing.assert_array_equal(np.load(parts / file), np.load(whole / file), err_msg=file)
    # the trained networks and the random state at the end, and every metric but the times and the options
    ends = [read_checkpoint(run / "checkpoint.npz") for run in (parts, whole)]
    assert ends[0]["step"] == ends[1]["step"] and ends[0]["rng"] == ends[1]["rng"]
    for network, weights in ends[1]["models"].items():
        for key, value in weights.items():
            np.testing.assert_array_equal(as_array(ends[0]["models"][network][key]), as_array(value),
                                          err_msg=f"{network}.{key}")
    metrics = [{key: value for key, value in json.loads((run / "metrics.json").read_text()).items()
                if "seconds" not in key and key != "settings"} for run in (parts, whole)]
    assert metrics[0] == metrics[1]
    # the frames taken before Ctrl-C were kept in the checkpoint
    assert (parts / "training.gif").read_bytes() == (whole / "training.gif").read_bytes()


def test_resume_refuses_another_example_or_other_settings(tmp_path, capsys):
    argv = TINY["toy_1d_gan"] + ["--out", str(tmp_path), "--no-progress"]
    main("toy_1d_gan", argv)
    with pytest.raises(SystemExit, match=r"--lr: 0\.002 in the checkpoint, 0\.01 now"):
        main("toy_1d_gan", argv + ["--resume", "--lr", "0.01"])
    with pytest.raises(SystemExit, match=r"a checkpoint of 'toy_1d_gan', not of 'mixture_gan'"):
        main("mixture_gan", TINY["mixture_gan"] + ["--out", str(tmp_path), "--no-progress", "--resume"])
    with pytest.raises(SystemExit, match=r"there is no checkpoint .*nothing.*checkpoint\.npz"):
        main("toy_1d_gan", TINY["toy_1d_gan"] + ["--out", str(tmp_path / "nothing"), "--resume"])
    (tmp_path / "checkpoint.npz").write_bytes(b"PK\x03\x04 damaged")
    with pytest.raises(SystemExit, match=r"cannot read .*checkpoint\.npz"):
        main("toy_1d_gan", argv + ["--resume"])
