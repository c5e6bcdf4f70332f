"""The networks the examples train, and how to draw from each example's saved run.

The networks live here, not in the examples, so that a saved run can be rebuilt from its checkpoint alone
(``python -m minigan.generate RUN_DIR``, minigan/generate.py), and so that two examples that train the same
networks share one definition.  ``SAMPLERS`` maps an example's name to what ``generate`` needs: which networks to
build from the run's settings, which of them draws, and how; a new example registers itself with ``register``
(a text example would register ``kind="text"`` and a ``draw`` that returns sentences).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from minigan import functional as F
from minigan import nn
from minigan.autograd import Tensor, no_grad
from minigan.creation import randn
from minigan.train.minibatch_std import MinibatchStdDev


# ---------------------------------------------------------------- the networks
def hidden_layers(n_in: int, hidden: int, layers: int = 2, activation=lambda: nn.LeakyReLU(0.2)) -> list:
    """The modules of n_in → hidden → … → hidden: ``layers`` Linear layers, ``activation()`` after each."""
    modules, width = [], n_in
    for _ in range(layers):
        modules += [nn.Linear(width, hidden), activation()]
        width = hidden
    return modules


def mlp(n_in: int, hidden: int, n_out: int, layers: int = 2, activation=lambda: nn.LeakyReLU(0.2)) -> nn.Sequential:
    """n_in → hidden → … → hidden → n_out, with ``layers`` hidden layers and ``activation()`` after each."""
    return nn.Sequential(*hidden_layers(n_in, hidden, layers, activation), nn.Linear(hidden if layers else n_in, n_out))


def relu_mlp(sizes) -> nn.Sequential:
    """Linear layers of the given sizes with ReLU between them (none after the last): the auto-encoder's and the
    VAE's encoder and decoder."""
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def toy_networks(z_dim: int, hidden: int):
    """The 1-D toy's G: z ↦ x and D: x ↦ logit, two small MLPs with LeakyReLU(0.2)."""
    return mlp(z_dim, hidden, 1), mlp(1, hidden, 1)


def mnist_generator(z_dim: int, hidden: int) -> nn.Module:
    """G: z ↦ x, widening layers with BatchNorm (it keeps every layer's outputs on a common scale while D's
    feedback changes), tanh at the end so that x lies in [−1, 1] like the scaled real digits."""
    sizes = [z_dim, hidden // 4, hidden // 2, hidden]
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers += [nn.Linear(a, b)] + ([nn.BatchNorm1d(b)] if i > 0 else []) + [nn.LeakyReLU(0.2)]
    return nn.Sequential(*layers, nn.Linear(hidden, 784), nn.Tanh())


def mnist_discriminator(hidden: int, dropout: float) -> nn.Module:
    """D: x ↦ logit.  Dropout keeps D from memorising the 4,000 training digits, which would leave G with
    no useful gradient."""
    return nn.Sequential(nn.Linear(784, hidden), nn.LeakyReLU(0.2), nn.Dropout(dropout),
                         nn.Linear(hidden, hidden // 2), nn.LeakyReLU(0.2), nn.Dropout(dropout),
                         nn.Linear(hidden // 2, 1))


def mnist_conv_generator(z_dim: int, channels: int) -> nn.Module:
    """G: z ↦ x, convolutional: a 7×7 map of 2c channels from z, then two transposed convolutions double the
    size (7 → 14 → 28) and narrow the channels (2c → c → 1); BatchNorm and ReLU between, tanh at the end, and
    the digit flattened to 784 numbers like the MLP's."""
    wide = 2 * channels
    return nn.Sequential(nn.Linear(z_dim, wide * 7 * 7, bias=False), nn.BatchNorm1d(wide * 7 * 7), nn.ReLU(),
                         nn.Unflatten(1, (wide, 7, 7)),
                         nn.ConvTranspose2d(wide, channels, 4, 2, 1, bias=False), nn.BatchNorm2d(channels), nn.ReLU(),
                         nn.ConvTranspose2d(channels, 1, 4, 2, 1), nn.Tanh(), nn.Flatten())


def mnist_conv_discriminator(channels: int, dropout: float) -> nn.Module:
    """D: x ↦ logit, convolutional: two strided convolutions halve the size (28 → 14 → 7) and widen the channels
    (1 → c → 2c), LeakyReLU(0.2) after each, then dropout and one linear layer to the logit."""
    wide = 2 * channels
    return nn.Sequential(nn.Unflatten(1, (1, 28, 28)), nn.Conv2d(1, channels, 4, 2, 1), nn.LeakyReLU(0.2),
                         nn.Conv2d(channels, wide, 4, 2, 1), nn.LeakyReLU(0.2), nn.Flatten(), nn.Dropout(dropout),
                         nn.Linear(wide * 7 * 7, 1))


def mnist_networks(settings: dict) -> tuple[nn.Module, nn.Module]:
    """mnist_gan's G and D for its settings: ``arch`` "conv" (``channels``) or "mlp" (``hidden``), both with
    ``z_dim`` and D's ``dropout`` (a run saved before ``--arch`` existed is an MLP)."""
    if settings.get("arch", "mlp") == "conv":
        return (mnist_conv_generator(settings["z_dim"], settings["channels"]),
                mnist_conv_discriminator(settings["channels"], settings["dropout"]))
    return mnist_generator(settings["z_dim"], settings["hidden"]), mnist_discriminator(settings["hidden"],
                                                                                      settings["dropout"])


def dcgan_generator(z_dim: int, channels: int, size: int, norm=nn.BatchNorm2d, sequential=nn.Sequential) -> nn.Module:
    """G: z ↦ image.  A 4×4 map from z, then each transposed convolution doubles the size and halves the
    channels, up to size × size × 3.  ``norm(channels)`` makes each normalisation layer and ``sequential`` holds
    them all (a conditional G passes ``ConditionalBatchNorm2d`` and ``ConditionalSequential``)."""
    doublings = int(math.log2(size // 4))  # 3 for 32×32, 4 for 64×64
    widths = [channels * 2 ** i for i in reversed(range(doublings))]  # e.g. 4c, 2c, c
    layers = [nn.Unflatten(1, (z_dim, 1, 1)), nn.ConvTranspose2d(z_dim, widths[0], 4, 1, 0, bias=False),
              norm(widths[0]), nn.ReLU()]
    for c_in, c_out in zip(widths[:-1], widths[1:]):
        layers += [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False), norm(c_out), nn.ReLU()]
    return sequential(*layers, nn.ConvTranspose2d(widths[-1], 3, 4, 2, 1), nn.Tanh())


def dcgan_discriminator(channels: int, size: int, in_channels: int = 3, minibatch_std: int = 0) -> nn.Module:
    """D: image ↦ logit.  Each strided convolution halves the size and doubles the channels down to 4×4;
    a 4×4 convolution gives one number (no BatchNorm on the first layer, as in DCGAN).  ``in_channels``:
    3 for one RGB image, 3p for a PacGAN pack of p images stacked as channels.  ``minibatch_std``: with a
    group size g > 0, the 4×4 map gets one more channel, the standard deviation of its features over groups of
    g inputs (``minigan/train/minibatch_std.py:MinibatchStdDev``); 0: none."""
    doublings = int(math.log2(size // 4))
    widths = [channels * 2 ** i for i in range(doublings)]  # e.g. c, 2c, 4c
    layers = [nn.Conv2d(in_channels, widths[0], 4, 2, 1), nn.LeakyReLU(0.2)]
    for c_in, c_out in zip(widths[:-1], widths[1:]):
        layers += [nn.Conv2d(c_in, c_out, 4, 2, 1, bias=False), nn.BatchNorm2d(c_out), nn.LeakyReLU(0.2)]
    if minibatch_std:
        layers.append(MinibatchStdDev(minibatch_std))
    return nn.Sequential(*layers, nn.Conv2d(widths[-1] + bool(minibatch_std), 1, 4, 1, 0), nn.Flatten())


def dcgan_init(module: nn.Module) -> None:
    """DCGAN's initialisation: convolution weights ~ N(0, 0.02²), BatchNorm scales ~ N(1, 0.02²), shifts 0."""
    for layer in module.modules():
        if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(layer.weight, 0.0, 0.02)
        elif isinstance(layer, nn.BatchNorm2d) and layer.affine:
            nn.init.normal_(layer.weight, 1.0, 0.02)
            nn.init.zeros_(layer.bias)


def mixture_generator(settings: dict) -> nn.Module:
    """mixture_gan's G: an MLP with ReLU (PacGAN's choice) or LeakyReLU(0.2) hidden units, z ↦ a 2-D point."""
    activation = nn.ReLU if settings["g_activation"] == "relu" else (lambda: nn.LeakyReLU(0.2))
    return mlp(settings["z_dim"], settings["hidden"], 2, settings["layers"], activation)


def sentence_decoder(z_dim: int, hidden: int, length: int, vocabulary_size: int, layers: int = 2) -> nn.Sequential:
    """z ↦ logits, one row over the vocabulary per position: (N, z_dim) → (N, length, vocabulary_size).  An MLP
    with ``layers`` ReLU layers of ``hidden`` units: its last layer makes every position's logits from the same
    hidden units, so the words are independent given them (lecture section 7).  The sentence GAN's G and the
    comparison VAE's decoder."""
    return nn.Sequential(mlp(z_dim, hidden, length * vocabulary_size, layers=layers, activation=nn.ReLU),
                         nn.Unflatten(1, (length, vocabulary_size)))


class StraightThrough(nn.Module):
    """Rows of probabilities ↦ the one-hot rows of their arg max, with the probabilities' gradient
    (``minigan/functional/words.py:straight_through``)."""

    def forward(self, y):
        return F.straight_through(y, dim=-1)


def sentence_generator(z_dim: int, hidden: int, length: int, vocabulary_size: int,
                       straight_through: bool = False, layers: int = 2) -> nn.Sequential:
    """G: z ↦ one distribution over the vocabulary per position (``sentence_decoder`` with ``layers`` hidden
    layers, then a softmax per row), so that G stays differentiable; a sentence is read from it by the arg max of
    each row.  ``straight_through``: G hands D the one-hot rows of those arg maxes instead, with the softmax's
    gradient (D then reads G's sentences exactly as it reads real ones, and cannot tell them apart by how sure the
    rows are)."""
    modules = [sentence_decoder(z_dim, hidden, length, vocabulary_size, layers), nn.Softmax(dim=-1)]
    return nn.Sequential(*modules, *([StraightThrough()] if straight_through else []))


def sentence_discriminator(hidden: int, length: int, vocabulary_size: int, minibatch_std: int = 0) -> nn.Sequential:
    """D: a whole sentence, as one row per position (one-hot for a real one, G's distributions for a generated
    one), ↦ one number.  An MLP over all positions at once: it judges the finished sentence (section 5's top-down
    view), so an agreement between words eight positions apart is as visible to it as one between neighbours.
    ``minibatch_std``: with g > 0, its last layer also reads the standard deviation of the features before it over
    groups of g sentences (``minigan/train/minibatch_std.py:MinibatchStdDev``), so it sees how alike a batch's
    sentences are; 0: none (the same layers and state dict as before the setting existed)."""
    if not minibatch_std:
        return nn.Sequential(nn.Flatten(), mlp(length * vocabulary_size, hidden, 1))
    body = hidden_layers(length * vocabulary_size, hidden)  # mlp's, with the statistic before its last Linear
    return nn.Sequential(nn.Flatten(), nn.Sequential(*body, MinibatchStdDev(minibatch_std), nn.Linear(hidden + 1, 1)))


# ---------------------------------------------------------------- drawing from a saved run
@dataclass
class Sampler:
    """How ``python -m minigan.generate`` draws from one example's saved run.

    build:     settings ↦ the network that draws (its weights come from the checkpoint's ``model``).
    model:     the names, in order of preference, of the checkpoint's networks that can draw: the average of G's
               weights (``G_average``) when the run kept one, else ``G``.
    draw:      (network, n, settings, condition) ↦ n samples as a NumPy array (or, for text, a list of strings).
    kind:      "images" (a .png grid), "points" (a .png scatter) or "text" (printed, or a .txt file).
    conditional: whether ``--label`` / ``--tags`` choose what is drawn.
    """
    build: Callable
    draw: Callable
    kind: str
    model: tuple = ("G_average", "G")
    conditional: bool = False


SAMPLERS = {}  # example name ↦ Sampler


def register(example: str, sampler: Sampler) -> None:
    """Let ``python -m minigan.generate`` draw from the saved runs of ``example`` (its name in the checkpoint)."""
    SAMPLERS[example] = sampler


def _noise_draw(scale=lambda settings: 1.0):
    """G(z) for z ~ N(0, I) of the run's --z-dim, in evaluation mode (batch norm's running statistics), × scale."""
    def draw(G, n, settings, condition):
        G.eval()
        with no_grad():
            x = G(randn(n, settings["z_dim"])).numpy()
        return x * np.float32(scale(settings))
    return draw


def _vae_draw(vae, n, settings, condition):
    return vae.generate(n).numpy()


def _vae_build(settings):
    from minigan.train.vae import VAE

    code, hidden = settings["code_dim"], settings["hidden"]
    return VAE(relu_mlp([784, hidden, 2 * code]), relu_mlp([code, hidden, 784]), code)


def _mixture_scale(settings):
    from minigan.data.mixtures import DATASETS

    return DATASETS[settings["data"]]().overall_std  # G learns the data divided by their standard deviation


register("toy_1d_gan", Sampler(build=lambda s: toy_networks(s["z_dim"], s["hidden"])[0], draw=_noise_draw(),
                               kind="points"))
register("mixture_gan", Sampler(build=mixture_generator, draw=_noise_draw(_mixture_scale), kind="points"))
register("mnist_gan", Sampler(build=lambda s: mnist_networks(s)[0], draw=_noise_draw(), kind="images"))
register("anime_faces_dcgan", Sampler(build=lambda s: dcgan_generator(s["z_dim"], s["g_channels"], s["size"]),
                                      draw=_noise_draw(), kind="images"))
register("gan_vs_vae_2d", Sampler(build=lambda s: mlp(s["z_dim"], s["hidden"], 2), draw=_noise_draw(), kind="points",
                                  model=("G",)))
register("mnist_vae", Sampler(build=_vae_build, draw=_vae_draw, kind="images", model=("vae",)))


def _sentence_corpus(settings):
    """The corpus a sentence_gan run trained on, rebuilt from its settings (the toy language by its seed, or its
    --data file read again)."""
    from minigan.data.text import text_corpus, toy_corpus

    if settings["data"] is None:
        return toy_corpus(settings["seed"], train=settings["train_sentences"])
    return text_corpus(settings["data"], settings["max_words"], settings["min_count"], seed=settings["seed"])


def _sentence_build(settings):
    corpus = _sentence_corpus(settings)
    G = sentence_generator(settings["z_dim"], settings["hidden"], corpus.length, len(corpus.vocabulary),
                           settings.get("relaxation") == "straight-through", settings.get("layers", 2))
    G.vocabulary = corpus.vocabulary  # how draw reads the rows back as words
    return G


def _sentence_draw(G, n, settings, condition):
    """n sentences: G(z) for z ~ N(0, I), the arg max of each position, cut at the first "." (or padding)."""
    with no_grad():
        probabilities = G(randn(n, settings["z_dim"])).numpy()
    return G.vocabulary.decode(probabilities.argmax(axis=-1))


register("sentence_gan", Sampler(build=_sentence_build, draw=_sentence_draw, kind="text"))

# ---------------------------------------------------------------- conditional generation (section 5)
DIGITS = (10,)  # a digit as a condition: one attribute with ten values


def conditional_mnist_networks(settings: dict):
    """conditional_mnist's G(z, c) and D(x, c), c a digit.  G is ``mnist_generator`` fed [z, e(c)]; D is
    ``mnist_discriminator``'s layers, with c entering by projection (the default: ψ(φ(x)) + ⟨e(c), φ(x)⟩ on its last
    hidden layer) or by concatenation (e(c) joined to its first hidden layer)."""
    from minigan.train.conditioning import (
        ConcatDiscriminator, ConditionalGenerator, ConditionEmbedding, ProjectionDiscriminator,
    )

    hidden, dropout, e_dim = settings["hidden"], settings["dropout"], settings["embed_dim"]
    G = ConditionalGenerator(mnist_generator(settings["z_dim"] + e_dim, hidden), ConditionEmbedding(DIGITS, e_dim))

    def block(n_in, n_out):
        return [nn.Linear(n_in, n_out), nn.LeakyReLU(0.2), nn.Dropout(dropout)]

    if settings["conditioning"] == "projection":
        D = ProjectionDiscriminator(nn.Sequential(*block(784, hidden), *block(hidden, hidden // 2)),
                                    nn.Linear(hidden // 2, 1), ConditionEmbedding(DIGITS, hidden // 2))
    else:
        D = ConcatDiscriminator(nn.Sequential(*block(784, hidden)),
                                nn.Sequential(*block(hidden + e_dim, hidden // 2), nn.Linear(hidden // 2, 1)),
                                ConditionEmbedding(DIGITS, e_dim))
    return G, D


def conditional_face_networks(settings: dict):
    """conditional_faces' G(z, c) and D(x, c), c the six attributes of a toy face.  G is ``dcgan_generator`` fed
    [z, e(c)], its batch normalisations plain (``g_conditioning`` "input", what runs saved before the setting
    existed used) or conditional batch normalisations with c (``g_conditioning`` "batchnorm", the example's default
    since 2026-12-04); D is ``dcgan_discriminator``'s convolutions, with c entering by projection (the default: on
    the flattened 4×4 map, ψ linear) or by concatenation (e(c) joined as channels to the 8×8 map, then the last two
    convolutions); with ``d_minibatch_std`` g > 0 (0 in runs saved before the setting existed), the 4×4 map gets the
    minibatch standard deviation over groups of g faces as one more channel, as in ``dcgan_discriminator``."""
    from minigan.data.face_tags import FACE_SIZES
    from minigan.train.conditioning import (
        ConcatDiscriminator, ConditionalBatchNorm2d, ConditionalGenerator, ConditionalSequential, ConditionEmbedding,
        ProjectionDiscriminator,
    )

    e_dim, channels, size = settings["embed_dim"], settings["d_channels"], 32
    layers = {}
    if settings.get("g_conditioning", "input") == "batchnorm":
        layers = {"norm": lambda width: ConditionalBatchNorm2d(width, FACE_SIZES), "sequential": ConditionalSequential}
    G = ConditionalGenerator(dcgan_generator(settings["z_dim"] + e_dim, settings["g_channels"], size, **layers),
                             ConditionEmbedding(FACE_SIZES, e_dim))
    dcgan_init(G.body)
    group = settings.get("d_minibatch_std", 0)
    minibatch_std = [MinibatchStdDev(group)] if group else []
    convolutions = list(dcgan_discriminator(channels, size))[:-2]  # down to the 4c × 4 × 4 map
    if settings["conditioning"] == "projection":
        features = nn.Sequential(*convolutions, *minibatch_std, nn.Flatten())
        dim = (4 * channels + len(minibatch_std)) * 4 * 4
        D = ProjectionDiscriminator(features, nn.Linear(dim, 1), ConditionEmbedding(FACE_SIZES, dim))
    else:
        head = nn.Sequential(nn.Conv2d(2 * channels + e_dim, 4 * channels, 4, 2, 1, bias=False),
                             nn.BatchNorm2d(4 * channels), nn.LeakyReLU(0.2), *minibatch_std,
                             nn.Conv2d(4 * channels + len(minibatch_std), 1, 4, 1, 0), nn.Flatten())
        D = ConcatDiscriminator(nn.Sequential(*convolutions[:5]), head, ConditionEmbedding(FACE_SIZES, e_dim))
    dcgan_init(D)
    return G, D


def conditional_samples(G, z, c, batch: int = 500) -> np.ndarray:
    """G(z, c) in evaluation mode, in batches, as a NumPy array (G is put back in training mode afterwards); c is an
    integer array (or Tensor) of conditions, one per z."""
    c = c.data if isinstance(c, Tensor) else np.asarray(c)
    G.eval()
    try:
        with no_grad():
            return np.concatenate([G(z[i:i + batch], c[i:i + batch]).numpy() for i in range(0, len(c), batch)])
    finally:
        G.train()


def draw_digits(G, labels, z_dim: int) -> np.ndarray:
    """G(z, c) for z ~ N(0, I), one sample per requested digit in ``labels``."""
    labels = np.asarray(labels, dtype=np.int64)
    return conditional_samples(G, randn(len(labels), z_dim), labels)


def draw_faces(G, requested: dict, n: int, z_dim: int) -> tuple[np.ndarray, np.ndarray]:
    """n faces G(z, c) for z ~ N(0, I) and the conditions c (n × 6) they were drawn for: the ``requested``
    attributes (an index, or one per face with −1 for "not requested"), the others drawn at random
    (``minigan.data.face_tags.face_conditions``)."""
    from minigan.data.face_tags import face_conditions

    c = face_conditions(requested, n)
    return conditional_samples(G, randn(n, z_dim), c), c


def parse_label(text) -> int:
    """``--label`` as a digit 0–9, or a ValueError saying what is accepted."""
    if str(text).strip() not in [str(d) for d in range(10)]:
        raise ValueError(f"--label {text!r}: a digit model draws the digits 0 to 9; give one of them")
    return int(text)


def _digit_draw(G, n, settings, condition):
    if condition.get("tags"):
        raise ValueError("--tags: a digit model is conditioned on --label (a digit 0-9), not on tags")
    # without --label, the ten digits in order, as many of each as n allows
    labels = np.full(n, parse_label(condition["label"])) if condition.get("label") else np.arange(n) * 10 // n
    return draw_digits(G, labels, settings["z_dim"])


def _face_draw(G, n, settings, condition):
    from minigan.data.face_tags import parse_tags

    if condition.get("label"):
        raise ValueError('--label: a face model is conditioned on --tags (e.g. "blue hair, red eyes"), not on a label')
    return draw_faces(G, parse_tags(condition.get("tags") or ""), n, settings["z_dim"])[0]


register("conditional_mnist", Sampler(build=lambda s: conditional_mnist_networks(s)[0], draw=_digit_draw,
                                      kind="images", conditional=True))
register("conditional_faces", Sampler(build=lambda s: conditional_face_networks(s)[0], draw=_face_draw,
                                      kind="images", conditional=True))

__all__ = ["DIGITS", "SAMPLERS", "Sampler", "conditional_face_networks", "conditional_mnist_networks",
           "conditional_samples", "dcgan_discriminator", "dcgan_generator", "dcgan_init", "draw_digits", "draw_faces",
           "hidden_layers", "mixture_generator", "mlp", "mnist_conv_discriminator", "mnist_conv_generator",
           "mnist_discriminator", "mnist_generator", "mnist_networks", "parse_label", "register", "relu_mlp",
           "sentence_decoder", "sentence_discriminator", "sentence_generator", "toy_networks"]
