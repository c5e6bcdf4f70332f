"""The variational auto-encoder of the lecture (section 6.2).

    NN encoder: x ↦ m₁…m_n and σ₁…σ_n
    draw e₁…e_n from a normal distribution
    cᵢ = exp(σᵢ) × eᵢ + mᵢ
    NN decoder: c ↦ x̂ (the input reconstructed from c)
    minimise  reconstruction error + Σᵢ (exp(σᵢ) − (1 + σᵢ) + mᵢ²)

What σ means.  In the sampling line σ is the log *standard deviation*: c ~ N(m, exp(σ)²).  The slide's
penalty is the KL divergence to N(0, I) only if exp(σ) there is the *variance*.  We follow the sampling
line literally, and use the penalty that is exact for it:

    KL(N(m, exp(2σ)) ‖ N(0, I)) = ½ Σᵢ (exp(2σᵢ) − (1 + 2σᵢ) + mᵢ²)

— the slide's formula with σ replaced by 2σ (the log variance), and halved.  Reconstruction error + KL is
the negative ELBO, an upper bound on −log p(x); ``evaluate_negative_elbo`` reports it in nats per example.
"""
from __future__ import annotations

from minigan import functional as F
from minigan.autograd import Tensor, no_grad
from minigan.creation import randn, zeros
from minigan.nn import Module, Parameter
from minigan.train.autoencoder import LIKELIHOODS, batches_of, check_minimizes, progress_bar, reconstruction_error
from minigan.train.shared import apply_lr_schedule, finite, remember_initial_lr


def sample_code(m: Tensor, sigma: Tensor) -> Tensor:
    """c = exp(σ) × e + m with e ~ N(0, I): a code drawn around m, with standard deviation exp(σ)."""
    e = randn(*m.shape, dtype=m.dtype, device=m.device)
    # cᵢ = exp(σᵢ) × eᵢ + mᵢ
    return F.exp(sigma) * e + m


def kl_divergence(m: Tensor, sigma: Tensor) -> Tensor:
    """KL(N(m, exp(σ)²) ‖ N(0, I)) per example, in nats: the exact penalty for ``sample_code``'s σ."""
    # KL = ½ Σᵢ (exp(2σᵢ) − (1 + 2σᵢ) + mᵢ²)
    #    (the slide's Σᵢ (exp(σᵢ) − (1 + σᵢ) + mᵢ²) with σ → 2σ, halved)
    return 0.5 * F.sum(F.exp(2.0 * sigma) - (1.0 + 2.0 * sigma) + m * m, axis=1)


class VAE(Module):
    """encoder: x ↦ 2n numbers, read as (m₁…m_n, σ₁…σ_n); decoder: c ↦ x̂ (logits for ``"bernoulli"`` and
    ``"categorical"``).

    ``likelihood="gaussian"`` (real-valued data) adds one learned parameter per data coordinate,
    ``log_scale``: the log standard deviation of p(x | c) = N(decoder(c), exp(log_scale)²).
    """

    def __init__(self, encoder: Module, decoder: Module, latent_dim: int, likelihood: str = "bernoulli",
                 data_dim: int | None = None):
        super().__init__()
        if likelihood not in LIKELIHOODS:
            raise ValueError(f"VAE: likelihood must be one of {LIKELIHOODS}, got {likelihood!r}")
        if likelihood == "gaussian" and data_dim is None:
            raise ValueError("VAE: likelihood='gaussian' needs data_dim (one learned log_scale per coordinate)")
        self.encoder = encoder
        self.decoder = decoder
        self.latent_dim = latent_dim
        self.likelihood = likelihood
        if likelihood == "gaussian":
            self.log_scale = Parameter(zeros(data_dim))
        else:
            self.register_parameter("log_scale", None)

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(m, σ) for each example: the first n outputs of the encoder are m, the next n are σ."""
        h = self.encoder(x)
        n = self.latent_dim
        if h.ndim != 2 or h.shape[1] != 2 * n:
            raise ValueError(f"VAE: the encoder must output N×{2 * n} (m and σ for a {n}-D code), got {h.shape}")
        return h[:, :n], h[:, n:]

    def decode(self, c: Tensor) -> Tensor:
        """The mean of p(x | c), in the data's range (σ(logit) for pixels in [0, 1], softmax(logits) per position
        for words)."""
        out = self.decoder(c)
        if self.likelihood == "categorical":
            return F.softmax(out, axis=-1)
        return F.sigmoid(out) if self.likelihood == "bernoulli" else out

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """(decoder output for a drawn code, m, σ) for x."""
        m, sigma = self.encode(x)
        return self.decoder(sample_code(m, sigma)), m, sigma

    def generate(self, n: int, noise: bool = False) -> Tensor:
        """n new examples: codes c ~ N(0, I) decoded to the mean of p(x | c).

        ``noise=True`` (gaussian likelihood only) draws x ~ N(decoder(c), exp(log_scale)²) instead: a
        sample of the model's full p(x), whose coordinates are independent given c.
        """
        with no_grad():
            c = randn(n, self.latent_dim, device=next(self.parameters()).device)
            x = self.decode(c)
            if noise:
                if self.likelihood != "gaussian":
                    raise ValueError("VAE.generate(noise=True) needs likelihood='gaussian'")
                x = x + F.exp(self.log_scale) * randn(*x.shape, dtype=x.dtype, device=x.device)
        return x

    def negative_elbo(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(reconstruction error, KL) per example, for one drawn code each; their sum is −ELBO in nats."""
        x_hat, m, sigma = self(x)
        return reconstruction_error(x_hat, x, self.likelihood, self.log_scale), kl_divergence(m, sigma)


def train_vae(vae: VAE, data, optimizer, epochs: int = 1, kl_weight=None, lr_schedule=None,
              progress: bool = True, callback=None, start_step: int = 0, history: dict | None = None) -> dict:
    """Train the VAE's encoder and decoder jointly, minimising reconstruction error + KL.

    data:      re-iterable batches of examples (a loader; it may yield ``(x, labels)``), gone through
               once per epoch.
    optimizer: over ``vae.parameters()``, minimising (``maximize=False``).
    kl_weight: optional step ↦ β, to minimise reconstruction error + β·KL instead: "KL warm-up", β rising
               from 0 to 1 (Bowman et al., 2016; Sønderby et al., 2016), lets the decoder learn to use the
               code before the KL pulls every code towards N(0, I).  Default: β = 1, the lecture's loss.
    lr_schedule: optional step ↦ factor; the learning rate is the optimizer's initial rate × factor
               (as in ``train_gan``, so both can be trained on the same schedule).
    callback:  optional ``callback(step, history)`` after every update.
    start_step, history: to continue a run restored from a checkpoint (minigan/run.py), with ``data`` a loader
               restored to where it was (``DataLoader.load_state_dict``).
    Returns the history, per update and averaged over the batch: ``loss`` (−ELBO per example, β = 1),
    ``reconstruction`` and ``kl``.
    """
    check_minimizes(optimizer)
    history = history if history is not None else {"loss": [], "reconstruction": [], "kl": []}
    remember_initial_lr(optimizer)
    bar = progress_bar(data, epochs, "VAE", progress, start_step)
    step = start_step
    for _ in range(start_step // len(data) if start_step else 0, epochs):  # a resumed run starts inside an epoch
        for x in batches_of(data):
            apply_lr_schedule(lr_schedule, step, optimizer)
            # NN encoder: x ↦ m, σ
            m, sigma = vae.encode(x)
            # draw e ~ N(0, I);  cᵢ = exp(σᵢ) × eᵢ + mᵢ
            c = sample_code(m, sigma)
            # NN decoder: c ↦ x̂
            x_hat = vae.decoder(c)
            # minimise reconstruction error + KL, per example, averaged over the batch
            reconstruction = reconstruction_error(x_hat, x, vae.likelihood, vae.log_scale).mean()
            kl = kl_divergence(m, sigma).mean()
            loss = reconstruction + (kl if kl_weight is None else kl_weight(step) * kl)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

            history["loss"].append(finite(reconstruction.item() + kl.item(), "−ELBO", step))
            history["reconstruction"].append(reconstruction.item())
            history["kl"].append(kl.item())
            if callback is not None:
                callback(step, history)
            step += 1
            bar.update(1)
            if step % 25 == 0:
                bar.set_postfix(loss=f"{history['loss'][-1]:.2f}", kl=f"{history['kl'][-1]:.2f}")
    bar.close()
    if step == 0:
        raise ValueError("train_vae: data gave no batches")
    return history


def evaluate_negative_elbo(vae: VAE, x: Tensor, batch_size: int = 500, samples: int = 10) -> dict:
    """The negative ELBO on held-out examples ``x``, in nats per example (lower is better).

    −ELBO = E_c[−log p(x | c)] + KL, with the expectation over c ~ N(m, exp(σ)²) estimated by averaging
    ``samples`` drawn codes per example.  Returns ``negative_elbo``, ``reconstruction`` and ``kl``.
    """
    if samples < 1 or batch_size < 1:
        raise ValueError(f"evaluate_negative_elbo: samples and batch_size must be ≥ 1, got {samples}, {batch_size}")
    totals = {"reconstruction": 0.0, "kl": 0.0}
    n = x.shape[0]
    with no_grad():
        for start in range(0, n, batch_size):
            batch = x[start:start + batch_size]
            m, sigma = vae.encode(batch)
            for _ in range(samples):
                x_hat = vae.decoder(sample_code(m, sigma))
                error = reconstruction_error(x_hat, batch, vae.likelihood, vae.log_scale)
                totals["reconstruction"] += error.sum().item() / samples
            totals["kl"] += kl_divergence(m, sigma).sum().item()
    result = {key: value / n for key, value in totals.items()}
    result["negative_elbo"] = result["reconstruction"] + result["kl"]
    return result
