"""python -m minigan.generate: a saved run's generator, rebuilt from the checkpoint alone, draws what the run drew."""
import numpy as np
import pytest

import minigan as mg
from minigan import backend
from minigan.generate import load_generator, main
from minigan.train.checkpoint import read_checkpoint
from test_examples import TINY, load, restore_device  # noqa: F401


EXTRA = {"mnist_gan": ["--refine-steps", "0", "--samples", "30"], "toy_1d_gan": ["--ema", "0.9"]}


def trained(name, folder):
    load(name).main([*TINY[name], "--out", str(folder), "--no-progress", *EXTRA[name]])
    return folder / "checkpoint.npz"


@pytest.fixture(scope="module")
def mnist_run(tmp_path_factory):
    """One finished tiny MNIST GAN run for the tests of this file."""
    previous = mg.get_device()
    folder = tmp_path_factory.mktemp("mnist_run")
    trained("mnist_gan", folder)
    mg.set_device(previous)
    return folder


@pytest.mark.parametrize("name", ["mnist_gan", "toy_1d_gan"])
def test_the_rebuilt_generator_draws_the_runs_own_samples(name, tmp_path, mnist_run):
    """The run's last checkpoint holds the random state its samples.npy was drawn with: from the same state,
    the rebuilt G (the average of G's weights for --ema) must draw the same numbers."""
    folder = mnist_run if name == "mnist_gan" else tmp_path
    path = folder / "checkpoint.npz" if name == "mnist_gan" else trained(name, folder)
    G, sampler, settings = load_generator(path)
    saved = np.load(folder / "samples.npy")
    backend.set_rng_state(read_checkpoint(path)["rng"])
    drawn = sampler.draw(G, len(saved), settings, {})
    np.testing.assert_array_equal(drawn.reshape(saved.shape), saved)


def test_generate_writes_a_grid_or_the_samples(tmp_path, mnist_run):
    samples = main([str(mnist_run), "--n", "64", "--seed", "3", "--out", str(tmp_path / "sevens.npy")])
    assert samples.shape == (64, 784) and np.load(tmp_path / "sevens.npy").shape == (64, 784)
    assert samples.min() >= -1 and samples.max() <= 1
    again = main([str(mnist_run / "checkpoint.npz"), "--n", "64", "--seed", "3", "--out", str(tmp_path / "grid.png")])
    np.testing.assert_array_equal(again, samples)  # the seed decides the samples
    assert (tmp_path / "grid.png").stat().st_size > 0
    assert not np.array_equal(main([str(mnist_run), "--n", "64", "--seed", "4"]), samples)
    assert (mnist_run / "generated.png").is_file()


def test_missing_damaged_or_foreign_checkpoints_name_the_file(tmp_path, mnist_run):
    with pytest.raises(SystemExit, match=r"nowhere.*checkpoint\.npz"):
        main([str(tmp_path / "nowhere")])
    (tmp_path / "damaged").mkdir()
    (tmp_path / "damaged" / "checkpoint.npz").write_bytes(b"PK\x03\x04 cut short")
    with pytest.raises(SystemExit, match=r"damaged.*checkpoint\.npz"):
        main([str(tmp_path / "damaged")])
    mg.save({"G": {}}, tmp_path / "weights.npz")
    with pytest.raises(SystemExit, match=r"weights\.npz: not a training checkpoint"):
        main([str(tmp_path / "weights.npz")])
    with pytest.raises(SystemExit, match="not a conditional model"):
        main([str(mnist_run), "--label", "7"])


@pytest.mark.parametrize("name", ["discriminator_generates", "what_do_we_miss"])
def test_a_run_without_a_generator_is_refused_by_name(name, tmp_path):
    """These examples train a discriminator alone: their checkpoints resume, but hold nothing to draw from."""
    load(name).main([*TINY[name], "--out", str(tmp_path), "--no-progress", "--no-gif"])
    with pytest.raises(SystemExit, match=rf"checkpoint\.npz: a checkpoint of '{name}', which minigan\.generate "
                                         r"cannot draw from \(it can: .*mnist_gan"):
        main([str(tmp_path)])
