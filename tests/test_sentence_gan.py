"""examples/sentence_gan.py around its loops: what it writes, a text file instead of the toy language, the saved run
drawn again by ``python -m minigan.generate``, and the VAE's per-position likelihood."""
import json

import numpy as np
import pytest

import minigan as mg
from minigan import backend
from minigan import functional as F
from minigan.generate import load_generator
from minigan.generate import main as generate
from minigan.metrics import grammar
from minigan.data.text import toy_corpus
from minigan.models import sentence_discriminator, sentence_generator
from minigan.train.autoencoder import reconstruction_error
from minigan.train import MinibatchStdDev
from minigan.train.checkpoint import read_checkpoint
from test_examples import TINY, load, restore_device  # noqa: F401  (the fixture restores the device)


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory):
    """One finished tiny run on the toy language."""
    previous = mg.get_device()
    folder = tmp_path_factory.mktemp("sentence_run")
    metrics = load("sentence_gan").main([*TINY["sentence_gan"], "--out", str(folder), "--no-progress"])
    mg.set_device(previous)
    return folder, metrics


def lines(path):
    return path.read_text(encoding="utf-8").splitlines()


def test_the_run_writes_its_sentences_the_training_set_and_both_models_metrics(toy_run):
    folder, metrics = toy_run
    train, samples = lines(folder / "train.txt"), lines(folder / "samples.txt")
    assert len(train) == 200 and all(grammar.is_grammatical(s) for s in train)
    assert len(samples) == 50 and len(lines(folder / "vae_samples.txt")) == 50
    assert all(s == " ".join(s.split()) for s in samples)  # words separated by single spaces
    ids = np.load(folder / "samples.npy")
    assert ids.shape == (50, 12) and ids.dtype == np.int64
    for name in ("gan", "vae"):
        m = metrics[name]
        assert m["samples"] == 50 and 1 <= m["distinct"] <= 50
        assert 0 <= m["grammatical_and_new"] <= m["grammatical"] <= 1
        assert set(m["errors"]) == set(grammar.KINDS) and set(m) >= {"js_1", "js_2", "js_3", "js_4"}
    # the metrics of the GAN are those of samples.txt, against train.txt
    seen = set(train)
    assert metrics["gan"]["distinct"] == len(set(samples))
    assert metrics["gan"]["new"] == pytest.approx(sum(s not in seen for s in samples) / 50)
    assert json.loads((folder / "metrics.json").read_text())["gan"]["distinct"] == metrics["gan"]["distinct"]
    assert (folder / "errors.png").is_file() and (folder / "history.png").is_file()
    assert metrics["train_cpu_seconds"] > 0


def test_generate_rebuilds_g_and_draws_the_runs_own_sentences(toy_run, capsys):
    """The last checkpoint holds the random state samples.txt was drawn with: the rebuilt G draws the same."""
    folder, _ = toy_run
    path = folder / "checkpoint.npz"
    G, sampler, settings = load_generator(path)
    assert sampler.kind == "text"
    backend.set_rng_state(read_checkpoint(path)["rng"])
    assert sampler.draw(G, 50, settings, {}) == lines(folder / "samples.txt")
    printed = generate([str(folder), "--n", "7", "--seed", "3"])
    assert capsys.readouterr().out.splitlines() == printed and len(printed) == 7
    generate([str(folder), "--n", "5", "--out", str(folder / "five.txt")])
    assert len(lines(folder / "five.txt")) == 5
    with pytest.raises(SystemExit, match="a text model writes .txt"):
        generate([str(folder), "--n", "5", "--out", str(folder / "five.png")])


def test_a_text_file_trains_with_its_own_vocabulary(tmp_path):
    data = tmp_path / "lines.txt"
    words = ["red", "green", "blue", "sky", "sea", "is", "was"]
    rng = np.random.default_rng(0)
    data.write_text("\n".join(" ".join(rng.choice(words, size=rng.integers(2, 6))) for _ in range(300)) + "\n")
    out = tmp_path / "run"
    metrics = load("sentence_gan").main([*TINY["sentence_gan"], "--data", str(data), "--out", str(out),
                                         "--no-progress", "--no-gif"])
    assert metrics["data"] == str(data) and metrics["vocabulary_words"] == len(words)
    assert "grammatical" not in metrics["gan"] and metrics["gan"]["samples"] == 50
    assert len(lines(out / "train.txt")) == 270  # a tenth held out
    assert {w for s in lines(out / "samples.txt") for w in s.split()} <= set(words) | {"<unk>", "."}
    assert np.load(out / "samples.npy").shape == (50, 5)
    with pytest.raises(SystemExit, match="binary file"):
        (tmp_path / "image.txt").write_bytes(b"\x89PNG\x00\x00")
        load("sentence_gan").main([*TINY["sentence_gan"], "--data", str(tmp_path / "image.txt"), "--out",
                                   str(tmp_path / "bad"), "--no-progress"])


@pytest.mark.parametrize("order", [1, 2])
def test_the_categorical_likelihood_is_minus_the_log_probability_of_each_positions_word(order, device):
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((2, 3, 4))
    words = np.array([[0, 3, 3], [1, 2, 0]])
    x = F.one_hot(mg.tensor(words, dtype=np.int64), 4).float()
    error = reconstruction_error(mg.tensor(logits), x, "categorical").numpy()
    log_p = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    expected = -np.take_along_axis(log_p, words[..., None], -1)[..., 0].sum(1)
    assert error.shape == (2,) and error.dtype == np.float32
    np.testing.assert_allclose(error, expected, rtol=1e-5)
    assert mg.gradcheck(lambda logit: reconstruction_error(logit, x.double(), "categorical"), [logits], order=order,
                        device=device)


def test_a_straight_through_g_hands_d_one_hot_rows_with_the_softmaxs_gradient(device):
    """--relaxation straight-through: G's output is the one-hot row of each position's arg max, and the gradient
    that reaches G's weights is the one the softmax rows would get."""
    mg.manual_seed(0)
    soft = sentence_generator(4, 8, 5, 7).to(device)
    hard = sentence_generator(4, 8, 5, 7, straight_through=True).to(device)
    hard.load_state_dict(soft.state_dict())
    z = mg.randn(6, 4, device=device)
    weights = mg.randn(6, 5, 7, device=device)
    rows, one_hot = soft(z), hard(z)
    np.testing.assert_array_equal(one_hot.numpy(), np.eye(7, dtype=np.float32)[rows.numpy().argmax(-1)])
    (rows * weights).sum().backward()
    (one_hot * weights).sum().backward()
    for p, q in zip(soft.parameters(), hard.parameters()):
        np.testing.assert_allclose(q.grad.numpy(), p.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_d_hidden_sets_the_width_of_d_alone(tmp_path):
    """--d-hidden 24 beside --hidden 16: D has the parameters of sentence_discriminator(24, …) (with the default
    minibatch standard deviation over groups of 4), G those of sentence_generator(…, 16, …) (three layers by default),
    on the toy language's 12 positions and vocabulary."""
    args = [*TINY["sentence_gan"], "--d-hidden", "24", "--out", str(tmp_path), "--no-progress"]
    counts = load("sentence_gan").main(args)["parameters"]
    corpus = toy_corpus(0, train=10, heldout=10)
    length, size = corpus.length, len(corpus.vocabulary)

    def count(module):
        return sum(p.data.size for p in module.parameters())

    assert counts["D"] == count(sentence_discriminator(24, length, size, minibatch_std=4))
    assert counts["G"] == count(sentence_generator(4, 16, length, size, layers=3))  # the tiny run's --z-dim, --hidden


def test_layers_sets_the_depth_of_g_and_the_vaes_decoder_and_generate_rebuilds_it(tmp_path):
    """--layers 1: G has the parameters of sentence_generator(…, layers=1), the VAE's decoder as many, and
    ``python -m minigan.generate`` rebuilds that G from the checkpoint's settings and loads its weights."""
    args = [*TINY["sentence_gan"], "--layers", "1", "--out", str(tmp_path), "--no-progress"]
    counts = load("sentence_gan").main(args)["parameters"]
    corpus = toy_corpus(0, train=10, heldout=10)
    one_layer = sentence_generator(4, 16, corpus.length, len(corpus.vocabulary), layers=1)
    assert counts["G"] == sum(p.data.size for p in one_layer.parameters())
    assert counts["G"] < sum(p.data.size for p in sentence_generator(4, 16, corpus.length, len(corpus.vocabulary),
                                                                        layers=2).parameters())
    decoder = {k: v for k, v in read_checkpoint(tmp_path / "checkpoint.npz")["models"]["vae"].items()
               if k.startswith("decoder.")}
    assert sum(v.size for v in decoder.values()) == counts["G"]  # G's network up to its softmax
    G, _, settings = load_generator(tmp_path / "checkpoint.npz")
    assert settings["layers"] == 1 and len(generate([str(tmp_path), "--n", "3"])) == 3
    assert sum(p.data.size for p in G.parameters()) == counts["G"]


def test_pack_and_minibatch_std_shape_d_and_bad_values_are_named(tmp_path, capsys):
    """--pack 2 --d-minibatch-std 4: D judges packs of two sentences (PacDiscriminator around
    sentence_discriminator(…, 2 · length, …, 4)); a pack or group that does not divide D's batches is refused."""
    args = [*TINY["sentence_gan"], "--gp-samples", "8", "--out", str(tmp_path), "--no-progress"]
    counts = load("sentence_gan").main([*args, "--pack", "2", "--d-minibatch-std", "4"])["parameters"]
    corpus = toy_corpus(0, train=10, heldout=10)
    packed = sentence_discriminator(16, 2 * corpus.length, len(corpus.vocabulary), minibatch_std=4)
    assert counts["D"] == sum(p.data.size for p in packed.parameters())
    assert sum(isinstance(m, MinibatchStdDev) for m in packed.modules()) == 1
    saved = read_checkpoint(tmp_path / "checkpoint.npz")["models"]["D"]
    assert all(name.startswith("D.") for name in saved)  # the PacDiscriminator's own D
    for bad, message in ((["--pack", "3"], "--pack 3 must be a positive divisor of D's batches of 8 and 16 sentences"),
                         (["--pack", "2", "--d-minibatch-std", "3"],
                          "--d-minibatch-std 3 must be 0 or a positive divisor of the inputs D judges per batch: 8 "
                          "and 16 sentences (--batch, --gp-samples) in packs of 2")):
        with pytest.raises(SystemExit):
            load("sentence_gan").main([*args, *bad])
        assert message in capsys.readouterr().err


def test_sentences_come_from_the_average_of_gs_weights_unless_ema_is_0(toy_run, tmp_path):
    """The default run keeps G_average beside G (its weights differ from G's: it is what samples.txt was drawn
    from, test_generate_rebuilds_g_… above); --ema 0 keeps G alone."""
    models = read_checkpoint(toy_run[0] / "checkpoint.npz")["models"]
    average, own = models["G_average"], models["G"]
    assert not all(np.array_equal(average[f"module.{name}"], value) for name, value in own.items())
    own_metrics = toy_run[1]["gan_own_weights"]  # what the average changed, measured on as many sentences
    assert own_metrics["samples"] == 50 and set(own_metrics["errors"]) == set(grammar.KINDS)
    metrics = load("sentence_gan").main([*TINY["sentence_gan"], "--ema", "0", "--out", str(tmp_path),
                                         "--no-progress"])
    assert set(read_checkpoint(tmp_path / "checkpoint.npz")["models"]) == {"G", "D", "vae"}
    assert "gan_own_weights" not in metrics


def test_gp_samples_applies_to_wgan_gp_only(tmp_path, capsys):
    with pytest.raises(SystemExit):
        load("sentence_gan").main([*TINY["sentence_gan"], "--loss", "gan", "--gp-samples", "8", "--out", str(tmp_path)])
    assert "--gp-samples applies to --loss wgan-gp, not to --loss gan" in capsys.readouterr().err


def test_beta1_sets_adams_first_beta_of_g_and_d(toy_run, tmp_path, capsys):
    """0 by default (the toy run), and what --beta1 says otherwise; the VAE keeps Adam's own (0.9, 0.999)."""
    def betas(folder):
        optimizers = read_checkpoint(folder / "checkpoint.npz")["optimizers"]
        return [tuple(optimizers[name]["param_groups"][0]["betas"]) for name in ("G", "D", "vae")]

    assert betas(toy_run[0]) == [(0.0, 0.9), (0.0, 0.9), (0.9, 0.999)]
    load("sentence_gan").main([*TINY["sentence_gan"], "--beta1", "0.3", "--out", str(tmp_path), "--no-progress"])
    assert betas(tmp_path) == [(0.3, 0.9), (0.3, 0.9), (0.9, 0.999)]
    with pytest.raises(SystemExit):
        load("sentence_gan").main([*TINY["sentence_gan"], "--beta1", "1", "--out", str(tmp_path)])
    assert "argument --beta1: β must be in [0, 1), got 1" in capsys.readouterr().err
