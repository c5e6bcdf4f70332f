"""How the condition c enters G and D: G(z, c), and D(x, c) by concatenation or by projection.

A condition is a row of integers, one per attribute: the digit (one attribute with 10 values), or the six
attributes of a toy face (hair colour, hair length, eye colour, mouth, blush, background).  Each value of each
attribute has a learned vector, and c is embedded as the sum of its attributes' vectors,

    e(c) = Σₐ E[cₐ]                 (one table E, the values of all attributes one after the other)

which is a linear layer applied to the concatenated one-hot vectors of the attributes (``ConditionEmbedding``).

G(z, c) = G([z, e(c)]): the embedded condition is joined to the noise (``ConditionalGenerator``); a G whose
layers are a ``ConditionalSequential`` also gets c at each ``ConditionalBatchNorm2d``, which gives every layer's
channels a scale and shift of the condition, so c reaches the last, finest layers directly.  D has two ways to use
it:

``ConcatDiscriminator``      D(x, c) = head([φ(x), e(c)]): e(c) is joined to D's features φ(x) (as extra channels,
                             the same at every position, when φ(x) is a map) and the rest of D judges the two
                             together (Mirza and Osindero, "Conditional Generative Adversarial Nets", 2014).
``ProjectionDiscriminator``  D(x, c) = ψ(φ(x)) + ⟨e(c), φ(x)⟩ (Miyato and Koyama, "cGANs with Projection
                             Discriminator", ICLR 2018): the logit of the best D is log q(x)/p(x) + log q(c|x)/p(c|x),
                             and if p(c|x) is a softmax over linear functions of φ(x), the second term is an inner
                             product of φ(x) with a vector of c.  With independent attributes it is a sum of one such
                             product per attribute, which is ⟨e(c), φ(x)⟩ with e(c) as above.
"""
from __future__ import annotations

import numpy as np

from minigan import backend
from minigan import functional as F
from minigan.autograd import Tensor
from minigan.nn import BatchNorm2d, Embedding, Module, Sequential, init


def as_conditions(c, sizes) -> np.ndarray:
    """``c`` (a Tensor, array or list: one value per example, or one row of values per example) as an (m, A) integer
    array, every value checked against the number of values of its attribute (``sizes``, one per attribute)."""
    array = c.data if isinstance(c, Tensor) else c if hasattr(c, "dtype") else np.asarray(c)
    if array.dtype.kind not in "iu":
        raise TypeError(f"conditions must be integers (a value index per attribute), got dtype {array.dtype}")
    if array.ndim == 1 and len(sizes) == 1:
        array = array[:, None]
    if array.ndim != 2 or array.shape[1] != len(sizes):
        raise ValueError(f"conditions must have shape (m, {len(sizes)}), one value per attribute, "
                         f"got shape {tuple(array.shape)}")
    xp = backend.array_module(array)
    low, high = array.min(axis=0), array.max(axis=0)
    bad = [a for a, n in enumerate(sizes) if len(array) and (int(low[a]) < 0 or int(high[a]) >= n)]
    if bad:
        a = bad[0]
        raise IndexError(f"conditions: attribute {a} has {sizes[a]} values (0..{sizes[a] - 1}), got values from "
                         f"{int(low[a])} to {int(high[a])}")
    return xp.asarray(array)


class ConditionEmbedding(Module):
    """c (m, A) ↦ e(c) = Σₐ E[offsetₐ + cₐ] (m, dim), one learned vector per value of each attribute.

    ``sizes``: the number of values of each attribute ((10,) for a digit).  E is an ``nn.Embedding`` over all the
    values, the attributes' one after the other.
    """

    def __init__(self, sizes, dim: int):
        super().__init__()
        self.sizes = tuple(int(n) for n in sizes)
        if not self.sizes or min(self.sizes) < 2:
            raise ValueError(f"ConditionEmbedding: each attribute needs at least 2 values, got sizes {sizes!r}")
        self.offsets = np.cumsum((0,) + self.sizes[:-1])
        self.embed = Embedding(sum(self.sizes), dim)

    def forward(self, c) -> Tensor:
        array = as_conditions(c, self.sizes)
        xp = backend.array_module(array)
        # e(c) = Σₐ E[offsetₐ + cₐ]
        return F.sum(self.embed(array + xp.asarray(self.offsets)), axis=1)

    def extra_repr(self) -> str:
        return f"sizes={self.sizes}"


def _joined(features: Tensor, e: Tensor) -> Tensor:
    """[φ, e]: e joined to a feature vector, or to every position of a feature map as extra channels."""
    if features.ndim == 2:
        return F.cat([features, e], axis=1)
    m, _, h, w = features.shape
    return F.cat([features, F.broadcast_to(e.reshape(m, -1, 1, 1), (m, e.shape[1], h, w))], axis=1)


class ConditionalBatchNorm2d(Module):
    """Batch normalisation whose scale and shift are those of the condition (de Vries et al., "Modulating early
    visual processing by language", 2017; the generator of Miyato and Koyama's projection paper):

        y = (1 + γ(c)) · (x − μ) / √(σ² + ε) + β(c),    γ(c) = Σₐ Γ[cₐ],  β(c) = Σₐ B[cₐ]

    one scale and one shift per channel for each value of each attribute, summed like ``ConditionEmbedding``.  The
    tables start at 0, so the layer starts as BatchNorm2d with γ = 1, β = 0; the statistics μ, σ² are the batch's
    (running ones in eval), as in ``nn.BatchNorm2d``.  Called as ``layer(x, c)``.
    """

    def __init__(self, num_features: int, sizes):
        super().__init__()
        self.norm = BatchNorm2d(num_features, affine=False)
        self.scale, self.shift = ConditionEmbedding(sizes, num_features), ConditionEmbedding(sizes, num_features)
        for table in (self.scale, self.shift):
            init.zeros_(table.embed.weight)

    def forward(self, x: Tensor, c) -> Tensor:
        m, channels = x.shape[0], self.norm.num_features
        gamma = self.scale(c).reshape(m, channels, 1, 1)
        beta = self.shift(c).reshape(m, channels, 1, 1)
        # y = (1 + γ(c)) x̂ + β(c)
        return self.norm(x) * (gamma + 1.0) + beta


class ConditionalSequential(Sequential):
    """Layers applied one after another, ``ConditionalBatchNorm2d`` ones with the condition: ``body(x, c)``."""

    def forward(self, x: Tensor, c) -> Tensor:
        for module in self:
            x = module(x, c) if isinstance(module, ConditionalBatchNorm2d) else module(x)
        return x


class ConditionalGenerator(Module):
    """G(z, c) = body([z, e(c)]): ``body`` takes the noise and the embedded condition side by side (and, when it is
    a ``ConditionalSequential``, the condition again at each of its ``ConditionalBatchNorm2d`` layers)."""

    def __init__(self, body: Module, embed: ConditionEmbedding):
        super().__init__()
        self.body, self.embed = body, embed

    def forward(self, z: Tensor, c) -> Tensor:
        joined = F.cat([z, self.embed(c)], axis=1)
        return self.body(joined, c) if isinstance(self.body, ConditionalSequential) else self.body(joined)


class ConcatDiscriminator(Module):
    """D(x, c) = head([φ(x), e(c)]), one logit per example; ``features`` is φ, ``head`` judges φ(x) and e(c)
    together (it needs a non-linearity: a linear head would add a score of x to a score of c, and never check that
    they agree).  ``D(x, c, ĉ)`` judges x with each condition, computing φ(x) once, and returns a logit tensor for
    each."""

    def __init__(self, features: Module, head: Module, embed: ConditionEmbedding):
        super().__init__()
        self.features, self.head, self.embed = features, head, embed

    def forward(self, x: Tensor, c, *more):
        phi = self.features(x)
        logits = tuple(self.head(_joined(phi, self.embed(condition))) for condition in (c, *more))
        return logits if more else logits[0]


class ProjectionDiscriminator(Module):
    """D(x, c) = ψ(φ(x)) + ⟨e(c), φ(x)⟩, one logit per example (m, 1); ``features`` is φ (x ↦ (m, dim)), ``psi`` a
    module (m, dim) ↦ (m, 1), and ``embed`` gives e(c) of the same dim.  ``D(x, c, ĉ)`` judges x with each condition,
    computing φ(x) and ψ(φ(x)) once, and returns a logit tensor for each."""

    def __init__(self, features: Module, psi: Module, embed: ConditionEmbedding):
        super().__init__()
        self.features, self.psi, self.embed = features, psi, embed

    def forward(self, x: Tensor, c, *more):
        phi = self.features(x)
        psi = self.psi(phi)
        # logit = ψ(φ(x)) + ⟨e(c), φ(x)⟩
        logits = tuple(psi + F.sum(self.embed(condition) * phi, axis=1, keepdims=True) for condition in (c, *more))
        return logits if more else logits[0]
