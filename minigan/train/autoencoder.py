"""The auto-encoder of the lecture (section 6.1): can a generator learn by itself?

    image ──NN encoder──▶ code c ──NN decoder──▶ image
    encoder and decoder are trained jointly: output as close as possible to the input.

After training, the decoder alone is a generator: give it a code, it draws an image.
``train_autoencoder`` below is that training, one step per batch; ``reconstruction_error`` is the
"as close as possible", shared with the VAE (``minigan/train/vae.py``).
"""
from __future__ import annotations

import math

from tqdm.auto import tqdm

from minigan import functional as F
from minigan.autograd import Tensor
from minigan.nn import Module
from minigan.train.shared import finite

LIKELIHOODS = ("bernoulli", "gaussian", "categorical")


def reconstruction_error(x_hat: Tensor, x, likelihood: str = "bernoulli", log_scale: Tensor | None = None) -> Tensor:
    """How far the decoder's output is from the input, per example: −log p(x | decoder output), in nats.

    ``"bernoulli"``: ``x_hat`` holds logits l, one per pixel of x in [0, 1];
        −log p(x | l) = Σ_pixels −[x log σ(l) + (1 − x) log(1 − σ(l))] = Σ_pixels softplus(l) − x·l
        (the binary cross-entropy with logits, summed over pixels: never the log of 0).
    ``"gaussian"``: ``x_hat`` holds means μ, ``log_scale`` s the log standard deviation per coordinate
        (0 if not given); −log p(x | μ) = Σ ½((x − μ)/exp(s))² + s + ½ log 2π.
    ``"categorical"``: ``x_hat`` holds logits l, a row per position over the words of a vocabulary, and x the
        one-hot rows of the words; −log p(x | l) = Σ_positions −log softmax(l)[word], each position on its own
        (the decoder's words are independent given its input: lecture section 7).
    Returns a tensor with one value per example (summed over every axis but the first).
    """
    if likelihood not in LIKELIHOODS:
        raise ValueError(f"reconstruction_error: likelihood must be one of {LIKELIHOODS}, got {likelihood!r}")
    if likelihood == "bernoulli":
        per_value = F.binary_cross_entropy_with_logits(x_hat, x, reduction="none")
    elif likelihood == "categorical":
        per_value = -(x * F.log_softmax(x_hat, axis=-1))
    else:
        if log_scale is None:
            z = x_hat - x
            per_value = 0.5 * z * z + 0.5 * math.log(2 * math.pi)
        else:
            z = (x_hat - x) / F.exp(log_scale)
            per_value = 0.5 * z * z + log_scale + 0.5 * math.log(2 * math.pi)
    return F.sum(F.reshape(per_value, per_value.shape[0], -1), axis=1)


def check_minimizes(optimizer, name: str = "optimizer") -> None:
    """Refuse an optimizer built with ``maximize=True``: the reconstruction error is minimised."""
    if any(group.get("maximize", False) for group in optimizer.param_groups):
        raise ValueError(f"{name} was built with maximize=True, but this loop minimises a loss: "
                         "θ ← θ − η∇L(θ)")


def batches_of(data):
    """The examples of each batch: a loader may yield ``x`` or ``(x, labels)``; labels are not used."""
    for batch in data:
        yield batch[0] if isinstance(batch, (tuple, list)) else batch


def progress_bar(data, epochs: int, desc: str, progress: bool, start_step: int = 0):
    """A tqdm bar counting updates (its total is known when ``data`` has a length)."""
    total = epochs * len(data) if hasattr(data, "__len__") else None
    return tqdm(total=total, initial=start_step, desc=desc, unit="step", disable=not progress, dynamic_ncols=True)


class AutoEncoder(Module):
    """encoder: x ↦ code c, decoder: c ↦ x̂.  With ``likelihood="bernoulli"`` the decoder outputs logits."""

    def __init__(self, encoder: Module, decoder: Module, likelihood: str = "bernoulli"):
        super().__init__()
        if likelihood not in LIKELIHOODS:
            raise ValueError(f"AutoEncoder: likelihood must be one of {LIKELIHOODS}, got {likelihood!r}")
        self.encoder = encoder
        self.decoder = decoder
        self.likelihood = likelihood

    def encode(self, x: Tensor) -> Tensor:
        """The code c of each example."""
        return self.encoder(x)

    def decode(self, code: Tensor) -> Tensor:
        """The image a code stands for, in the data's range (σ(logit) for pixels in [0, 1])."""
        out = self.decoder(code)
        return F.sigmoid(out) if self.likelihood == "bernoulli" else out

    def forward(self, x: Tensor) -> Tensor:
        """The decoder's raw output for x (logits for ``"bernoulli"``), what ``reconstruction_error`` takes."""
        return self.decoder(self.encoder(x))


def train_autoencoder(autoencoder: AutoEncoder, data, optimizer, epochs: int = 1, progress: bool = True,
                      callback=None, start_step: int = 0, history: dict | None = None) -> dict:
    """Train encoder and decoder jointly so that the output is as close as possible to the input.

    data:      re-iterable batches of examples (a loader; it may yield ``(x, labels)``), gone through
               once per epoch.
    optimizer: over ``autoencoder.parameters()``, minimising (``maximize=False``).
    callback:  optional ``callback(step, history)`` after every update.
    start_step, history: to continue a run restored from a checkpoint (minigan/run.py), with ``data`` a loader
               restored to where it was (``DataLoader.load_state_dict``).
    Returns the history: ``loss``, the mean reconstruction error per example at each update.
    """
    check_minimizes(optimizer)
    history = history if history is not None else {"loss": []}
    bar = progress_bar(data, epochs, "auto-encoder", progress, start_step)
    step = start_step
    for _ in range(start_step // len(data) if start_step else 0, epochs):  # a resumed run starts inside an epoch
        for x in batches_of(data):
            # encoder: x ↦ code c;  decoder: c ↦ x̂
            code = autoencoder.encoder(x)
            x_hat = autoencoder.decoder(code)
            # output as close as possible to the input: minimise the reconstruction error
            loss = reconstruction_error(x_hat, x, autoencoder.likelihood).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

            history["loss"].append(finite(loss.item(), "the reconstruction error", step))
            if callback is not None:
                callback(step, history)
            step += 1
            bar.update(1)
            if step % 25 == 0:
                bar.set_postfix(loss=f"{history['loss'][-1]:.2f}")
    bar.close()
    if step == 0:
        raise ValueError("train_autoencoder: data gave no batches")
    return history
