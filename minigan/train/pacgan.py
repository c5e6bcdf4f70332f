"""PacGAN packing (Lin, Khetan, Fanti and Oh, "PacGAN: The power of two samples in generative
adversarial networks", NeurIPS 2018).

The discriminator judges *packs* of p samples instead of single samples: p real examples are
concatenated into one input and labelled real, p generated examples into one input and labelled fake.
A generator that drops modes produces packs that look alike, which a packed D spots far more easily
than any single sample; packing so penalises mode collapse without touching the GAN loop.

``PacDiscriminator(D, pack)`` is an ordinary module: given a batch of m examples it returns m / p logits,
so the loop of ``minigan/train/gan.py`` reads exactly as before (its means simply run over packs).
The m examples of a batch are drawn independently, so the packs of consecutive rows are packs of
independent samples, as the paper requires.
"""
from __future__ import annotations

from minigan.nn import Module


class PacDiscriminator(Module):
    """D applied to packs of ``pack`` examples, concatenated along the first axis after the batch axis.

    Vectors (m, d) become (m / pack, pack · d); images (m, C, H, W) become (m / pack, pack · C, H, W), the
    pack's images stacked as channels (as in the paper's image experiments). ``D`` must accept such inputs
    (e.g. ``nn.Linear(pack * 2, …)`` or ``nn.Conv2d(pack * 3, …)`` first).
    """

    def __init__(self, D: Module, pack: int):
        super().__init__()
        if isinstance(pack, bool) or not isinstance(pack, int) or pack < 1:
            raise ValueError(f"PacDiscriminator: pack must be a positive integer, got {pack!r}")
        self.D = D
        self.pack = pack

    def forward(self, x):
        m = x.shape[0]
        if m % self.pack:
            raise ValueError(
                f"PacDiscriminator: a batch of {m} examples cannot be cut into packs of {self.pack}; "
                f"use a batch size divisible by {self.pack}"
            )
        return self.D(x.reshape(m // self.pack, self.pack * x.shape[1], *x.shape[2:]))

    def extra_repr(self) -> str:
        return f"pack={self.pack}"
