"""python -m minigan.generate on the conditional examples: --label and --tags choose what the rebuilt G draws, and it
draws what the run drew."""
import numpy as np
import pytest

from minigan import backend
from minigan.data import FACE_ATTRIBUTES
from minigan.data.face_tags import random_requests
from minigan.generate import load_generator, main
from minigan.models import draw_faces
from minigan.train.checkpoint import read_checkpoint
from test_examples import TINY, load, restore_device  # noqa: F401


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One finished tiny run of each conditional example."""
    folders = {}
    for name in ("conditional_mnist", "conditional_faces"):
        folders[name] = tmp_path_factory.mktemp(name)
        load(name).main([*TINY[name], "--out", str(folders[name]), "--no-progress", "--no-gif"])
    backend.set_device("cpu")
    return folders


def test_the_rebuilt_digit_generator_draws_the_runs_samples_in_order_of_the_labels(runs):
    folder = runs["conditional_mnist"]
    G, sampler, settings = load_generator(folder / "checkpoint.npz")
    saved, labels = np.load(folder / "samples.npy"), np.load(folder / "labels.npy")
    assert np.array_equal(labels, np.repeat(np.arange(10), len(labels) // 10))
    backend.set_rng_state(read_checkpoint(folder / "checkpoint.npz")["rng"])
    np.testing.assert_array_equal(sampler.draw(G, len(saved), settings, {}), saved)


def test_the_rebuilt_face_generator_draws_the_runs_samples_and_conditions(runs):
    folder = runs["conditional_faces"]
    G, _, settings = load_generator(folder / "checkpoint.npz")
    saved, conditions = np.load(folder / "samples.npy"), np.load(folder / "conditions.npz")
    assert sorted(conditions.files) == sorted(FACE_ATTRIBUTES)
    backend.set_rng_state(read_checkpoint(folder / "checkpoint.npz")["rng"])
    requests = random_requests(len(saved))
    samples, c = draw_faces(G, requests, len(saved), settings["z_dim"])
    np.testing.assert_array_equal(samples, saved)
    for a, name in enumerate(FACE_ATTRIBUTES):
        np.testing.assert_array_equal(requests[name], conditions[name])
        asked = conditions[name] >= 0
        np.testing.assert_array_equal(c[asked, a], conditions[name][asked])  # G was given what the tags asked


def test_label_and_tags_choose_what_is_drawn(runs, tmp_path):
    sevens = main([str(runs["conditional_mnist"]), "--label", "7", "--n", "12", "--out", str(tmp_path / "7.npy")])
    assert sevens.shape == (12, 784) and np.load(tmp_path / "7.npy").shape == (12, 784)
    # the same noise with another label gives other digits; with the same label, the same ones
    again = main([str(runs["conditional_mnist"]), "--label", "7", "--n", "12", "--out", str(tmp_path / "7.png")])
    np.testing.assert_array_equal(again, sevens)
    assert not np.array_equal(main([str(runs["conditional_mnist"]), "--label", "1", "--n", "12"]), sevens)
    faces = main([str(runs["conditional_faces"]), "--tags", "blue hair, long hair, red eyes", "--n", "5",
                  "--out", str(tmp_path / "faces.png")])
    assert faces.shape == (5, 3, 32, 32) and (tmp_path / "faces.png").stat().st_size > 0


@pytest.mark.parametrize("run, argv, message", [
    ("conditional_mnist", ["--label", "12"], r"--label '12': a digit model draws the digits 0 to 9"),
    ("conditional_mnist", ["--tags", "blue hair"], r"a digit model is conditioned on --label"),
    ("conditional_faces", ["--label", "7"], r"a face model is conditioned on --tags"),
    ("conditional_faces", ["--tags", "green hair"], r"unknown tag 'green hair'.*\n.*hair_color: black hair"),
    ("conditional_faces", ["--tags", "blue hair, pink hair"], r"contradictory tags 'blue hair' and 'pink hair'"),
])
def test_a_condition_the_model_does_not_take_is_a_clear_error(runs, argv, run, message):
    with pytest.raises(SystemExit, match=message):
        main([str(runs[run]), *argv, "--n", "2"])
