"""What D and G maximise in each iteration of the GAN loop.

The lecture's objective is ``Lecture``: D maximises Ṽ = 1/m Σ log D(xⁱ) + 1/m Σ log(1 − D(x̃ⁱ)),
G maximises 1/m Σ log D(G(zⁱ)).  D outputs a *logit* l (a real number, larger means "more real");
D(x) = σ(l), and the logs are computed from the logit without ever taking log 0:

    log D(x)       = log σ(l)       = −softplus(−l)
    log(1 − D(x))  = log σ(−l)      = −softplus(l)

Every objective returns the quantity to *maximise* (the optimizers are built with ``maximize=True``, so
θ ← θ + η ∇Ṽ(θ) is what ``step()`` does), together with the logits D gave, which the loop records.
"""
from __future__ import annotations

from minigan import functional as F


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
