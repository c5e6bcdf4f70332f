"""The minibatch standard deviation of D's features (Karras, Aila, Laine and Lehtinen, "Progressive Growing of
GANs for Improved Quality, Stability, and Variation", ICLR 2018, section 3): a stabiliser around the lecture's
loop, not part of it.

D judges each example on its own, so how often G draws a value of an attribute (an amber iris, an open mouth)
reaches D only through the examples' scores one by one.  This layer lets D see a statistic of the whole
batch: the examples are cut into groups of ``group_size``; for every feature at every position, the standard
deviation over a group's members; their mean over features and positions is one number per group, appended
to each member's features as one more channel.  A G whose drawings are too alike, or whose features vary
otherwise than the data's, gets a batch whose number D tells apart.  In the lecture's loop D is called on a
batch of real examples and on a batch of generated ones separately, so each group is all real or all
generated.  For a group {xᵢ} of g members and a feature map x of shape (C, H, W):

    s = mean over (c, h, w) of  sqrt( mean over i of (xᵢ[c, h, w] − x̄[c, h, w])²  +  10⁻⁸ ),
    x̄ = mean over i of xᵢ

and the same over the features f of a feature vector x of shape (F,), whose s becomes one more feature (an MLP's D,
such as the sentence GAN's).

Example i of a batch of n belongs to group i mod (n / g), as in the paper's code.
"""
from __future__ import annotations

from minigan import functional as F
from minigan.nn.module import Module

EPS = 1e-8  # under the square root: the gradient stays finite for a group of identical examples


def groups_fit(n: int, group_size: int) -> bool:
    """Whether a batch of ``n`` inputs can be cut into groups of ``group_size`` (a smaller batch is one group)."""
    return n < group_size or n % group_size == 0


class MinibatchStdDev(Module):
    """(N, C, H, W) ↦ (N, C + 1, H, W): the features, and the standard deviation of the features over each
    example's group as a last channel; likewise (N, F) ↦ (N, F + 1), as a last feature.

    ``group_size``: examples per group; a batch smaller than it is one group.  A batch of N ≥ group_size must
    be divisible by it.  No parameters, so the state dict of a D is that of its other layers.
    """

    def __init__(self, group_size: int = 4):
        super().__init__()
        if isinstance(group_size, bool) or not isinstance(group_size, int) or group_size < 1:
            raise ValueError(f"MinibatchStdDev: group_size must be a positive integer, got {group_size!r}")
        self.group_size = group_size

    def forward(self, x):
        if x.ndim not in (2, 4):
            raise ValueError("MinibatchStdDev: expects feature maps (N, C, H, W) or feature vectors (N, F), got "
                             f"shape {tuple(x.shape)}")
        n, features = x.shape[0], x.shape[1:]
        if not groups_fit(n, self.group_size):
            raise ValueError(f"MinibatchStdDev: a batch of {n} examples cannot be cut into groups of "
                             f"{self.group_size}; use a batch (of D's inputs) divisible by {self.group_size}")
        g = min(self.group_size, n)
        y = x.reshape(g, n // g, *features)  # y[j, k] is example j·(n/g) + k, a member of group k
        y = y - y.mean(axis=0, keepdims=True)  # xᵢ − x̄ within each group
        s = ((y * y).mean(axis=0) + EPS).sqrt().mean(axis=tuple(range(1, x.ndim)))  # one s per group
        spread = (1,) + features[1:]  # s fills one channel of the map, or is one feature
        s = s.reshape(1, n // g, *(1,) * len(features)).expand(g, n // g, *spread).reshape(n, *spread)
        return F.concatenate([x, s], axis=1)

    def extra_repr(self) -> str:
        return f"group_size={self.group_size}"
