"""What D and G maximise in each iteration of the GAN loop.

The lecture's objective is ``Lecture``: D maximises Ṽ = 1/m Σ log D(xⁱ) + 1/m Σ log(1 − D(x̃ⁱ)),
G maximises 1/m Σ log D(G(zⁱ)).  D outputs a *logit* l (a real number, larger means "more real");
D(x) = σ(l), and the logs are computed from the logit without ever taking log 0:

    log D(x)       = log σ(l)       = −softplus(−l)
    log(1 − D(x))  = log σ(−l)      = −softplus(l)

Every objective returns the quantity to *maximise* (the optimizers are built with ``maximize=True``, so
θ ← θ + η ∇Ṽ(θ) is what ``step()`` does), together with the logits D gave, which the loop records.

Beyond the lecture (section 12, "the GAN zoo"), a few variants each change only what is maximised:
``LeastSquares`` (LSGAN), ``Hinge`` and ``WassersteinGP`` (WGAN-GP).  For them D's output is a score
rather than a logit; ``OBJECTIVES`` maps the names the examples accept to their constructors.
"""
from __future__ import annotations

from minigan import backend
from minigan import functional as F
from minigan.autograd import Tensor, grad


class Lecture:
    """The lecture's objective (Goodfellow et al., 2014), with G's choice of loss.

    ``generator="log D"`` (default): G maximises 1/m Σ log D(G(zⁱ)) — the lecture's practical choice
    (section 3 and end of section 11): strong gradients early, when D easily rejects G's samples.
    ``generator="minimax"``: G minimises 1/m Σ log(1 − D(G(zⁱ))), the game V(G, D) of the theory
    (section 11), i.e. maximises −1/m Σ log(1 − D(G(zⁱ))).
    """

    name = "lecture"

    def __init__(self, generator: str = "log D"):
        if generator not in ("log D", "minimax"):
            raise ValueError(f"generator objective must be 'log D' or 'minimax', got {generator!r}")
        self.generator = generator

    def discriminator(self, D, x, x_tilde):
        """(Ṽ, logits of x, logits of x̃) with Ṽ = 1/m Σ log D(xⁱ) + 1/m Σ log(1 − D(x̃ⁱ))."""
        real, fake = D(x), D(x_tilde)
        return F.log_sigmoid(real).mean() + F.log_sigmoid(-fake).mean(), real, fake

    def generator_value(self, D, x_tilde):
        """(Ṽ, logits of x̃): 1/m Σ log D(G(zⁱ)), or −1/m Σ log(1 − D(G(zⁱ))) for the minimax game."""
        fake = D(x_tilde)
        if self.generator == "log D":
            return F.log_sigmoid(fake).mean(), fake
        return -F.log_sigmoid(-fake).mean(), fake


class LeastSquares:
    """LSGAN (Mao et al., "Least Squares Generative Adversarial Networks", ICCV 2017), with a = 0, b = c = 1.

    D's output l is a score, not a logit: D minimises ½ E[(l(x) − 1)²] + ½ E[l(x̃)²] (real → 1, fake → 0),
    and G minimises ½ E[(l(G(z)) − 1)²].  Minimising the D objective is equivalent to minimising the Pearson
    χ² divergence between P_data + P_G and 2 P_G; the squared error keeps pushing samples that are already
    on the right side of the boundary but far from the data, so its gradients do not vanish like log(1 − D).
    """

    name = "lsgan"

    def discriminator(self, D, x, x_tilde):
        """(Ṽ, scores of x, scores of x̃), Ṽ = −½ 1/m Σ (D(xⁱ) − 1)² − ½ 1/m Σ D(x̃ⁱ)²."""
        real, fake = D(x), D(x_tilde)
        return -0.5 * ((real - 1.0) ** 2).mean() - 0.5 * (fake**2).mean(), real, fake

    def generator_value(self, D, x_tilde):
        """(Ṽ, scores of x̃), Ṽ = −½ 1/m Σ (D(G(zⁱ)) − 1)²."""
        fake = D(x_tilde)
        return -0.5 * ((fake - 1.0) ** 2).mean(), fake


class Hinge:
    """The hinge loss (Lim and Ye, "Geometric GAN", 2017; Miyato et al., "Spectral Normalization for GANs",
    ICLR 2018).

    D maximises E[min(0, −1 + D(x))] + E[min(0, −1 − D(x̃))]: real scores are pushed above +1 and fake ones
    below −1, and examples already beyond their margin stop contributing.  G maximises E[D(G(z))].
    """

    name = "hinge"

    def discriminator(self, D, x, x_tilde):
        """(Ṽ, scores of x, scores of x̃), Ṽ = 1/m Σ min(0, D(xⁱ) − 1) + 1/m Σ min(0, −D(x̃ⁱ) − 1)."""
        real, fake = D(x), D(x_tilde)
        # min(0, t) = −relu(−t)
        return -F.relu(1.0 - real).mean() - F.relu(1.0 + fake).mean(), real, fake

    def generator_value(self, D, x_tilde):
        """(Ṽ, scores of x̃), Ṽ = 1/m Σ D(G(zⁱ))."""
        fake = D(x_tilde)
        return fake.mean(), fake


class WassersteinGP:
    """WGAN-GP (Gulrajani et al., "Improved Training of Wasserstein GANs", NeurIPS 2017).

    D is a critic whose output estimates the Wasserstein-1 distance: it maximises
    E[D(x)] − E[D(x̃)] − λ E[(‖∇ₓ̂ D(x̂)‖ − 1)²], with x̂ = εx + (1 − ε)x̃, ε ~ U[0, 1] per example.
    The penalty keeps D close to 1-Lipschitz; it is a gradient *of a gradient* when D is trained, which the
    engine computes with ``grad(..., create_graph=True)``.  G maximises E[D(G(z))].  The paper trains the
    critic k = 5 times per G step with Adam(lr=1e-4, betas=(0, 0.9)).

    ``samples``: estimate the penalty's expectation over x̂ on the first ``samples`` pairs (x, x̃) of the batch
    only (None: all m).  The estimate is as unbiased as with all m, with more variance, and the gradient of a
    gradient, the costliest part of D's step, is computed on fewer rows; for a packed D, a multiple of the pack.
    """

    name = "wgan-gp"

    def __init__(self, penalty: float = 10.0, samples: int | None = None):
        if samples is not None and (isinstance(samples, bool) or not isinstance(samples, int) or samples < 1):
            raise ValueError(f"WassersteinGP: samples must be a positive int or None, got {samples!r}")
        self.penalty = penalty
        self.samples = samples

    def gradient_penalty(self, D, x, x_tilde):
        """λ · 1/n Σ (‖∇ D(x̂)‖ − 1)², one norm per output of D (per pack, for a packed D), over the first
        ``samples`` pairs of the batch (all of them by default)."""
        if self.samples is not None and self.samples < x.shape[0]:
            x, x_tilde = x[:self.samples], x_tilde[:self.samples]
        xp = backend.array_module(x.data)
        eps = backend.rand((x.shape[0],) + (1,) * (x.ndim - 1), x.dtype, backend.device_of(x.data))
        x_hat = Tensor(eps * x.data + (xp.asarray(1, dtype=x.dtype) - eps) * x_tilde.data, requires_grad=True)
        out = D(x_hat)
        (g,) = grad(out.sum(), [x_hat], create_graph=True)
        # one gradient per output: flatten the rows that went into each output (p rows for a pack of p)
        g = g.reshape(out.shape[0], -1)
        norm = ((g * g).sum(axis=1) + 1e-12).sqrt()
        return self.penalty * ((norm - 1.0) ** 2).mean()

    def discriminator(self, D, x, x_tilde):
        """(Ṽ, critic values of x, of x̃), Ṽ = 1/m Σ D(xⁱ) − 1/m Σ D(x̃ⁱ) − λ 1/m Σ (‖∇D(x̂ⁱ)‖ − 1)²."""
        real, fake = D(x), D(x_tilde)
        return real.mean() - fake.mean() - self.gradient_penalty(D, x, x_tilde), real, fake

    def generator_value(self, D, x_tilde):
        """(Ṽ, critic values of x̃), Ṽ = 1/m Σ D(G(zⁱ))."""
        fake = D(x_tilde)
        return fake.mean(), fake


OBJECTIVES = {
    "gan": lambda: Lecture("log D"),
    "minimax": lambda: Lecture("minimax"),
    "lsgan": LeastSquares,
    "hinge": Hinge,
    "wgan-gp": WassersteinGP,
}
