"""An exponential moving average of G's weights: a stabiliser around the lecture's loop, not part of it.

G's iterates circle around the equilibrium instead of stopping on it (section 3; docs/lecture.md), and where
training ends on that circle depends on the last bits of every sum, so on the seed and the CPU.  The average
of the recent iterates sits nearer the centre than any one of them (Yazıcı et al., "The Unusual
Effectiveness of Averaging in GAN Training", ICLR 2019).  The average is a second copy of G that is never
trained; after each update of G,

    θ̄g ← β θ̄g + (1 − β) θg,       β = min(decay, (1 + n) / (10 + n)) after n updates

(the warm-up keeps the first random weights from weighing on the average for long), and samples are drawn
from G with θ̄g.  The name and the call are PyTorch's (``torch.optim.swa_utils.AveragedModel``, with
``update_parameters(model)``); its state dict is ``module.*`` and ``n_averaged``, so checkpoints keep it.
"""
from __future__ import annotations

import copy

from minigan import backend
from minigan.autograd import Tensor, no_grad
from minigan.nn.module import Module


class AveragedModel(Module):
    """A copy of ``model`` whose parameters are the exponential moving average of ``model``'s.

    ``decay``: β, the weight of the old average (0 ≤ β < 1); 0.999 averages over about the last 1,000 updates,
    once n ≥ 8,991.  Before that the warm-up's (1 + n) / (10 + n) is the smaller and sets β, so after n updates
    the average spans about the last (10 + n) / 9 of them (~330 after 3,000, ~450 after 4,000) whatever ``decay``
    ≥ (1 + n) / (10 + n) is asked for: in shorter runs 0.999 and 0.9995 give the same average.
    Buffers (batch norm's running statistics, themselves averages) are copied from ``model`` at each update.
    Calling the averaged model runs the copy with the averaged weights.
    """

    def __init__(self, model: Module, decay: float = 0.999):
        super().__init__()
        if not isinstance(model, Module):
            raise TypeError(f"AveragedModel: model must be an nn.Module, got {type(model).__name__}")
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"AveragedModel: decay must be in [0, 1), got {decay}")
        self.module = copy.deepcopy(model)
        for p in self.module.parameters():
            p.requires_grad = False
        self.decay = float(decay)
        params = list(self.module.parameters())
        xp = backend.array_module(params[0].data) if params else backend.module_for(backend.get_device())
        self.register_buffer("n_averaged", Tensor(xp.zeros((), dtype=xp.int64)))

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def update_parameters(self, model: Module) -> None:
        """θ̄ ← β θ̄ + (1 − β) θ with ``model``'s current θ (the first update copies θ)."""
        mine, theirs = list(self.module.parameters()), list(model.parameters())
        if len(mine) != len(theirs) or any(a.shape != b.shape for a, b in zip(mine, theirs)):
            raise ValueError("AveragedModel.update_parameters: model does not have the parameters of the "
                             "model this average was made from")
        n = int(self.n_averaged.item())
        beta = 0.0 if n == 0 else min(self.decay, (1.0 + n) / (10.0 + n))
        with no_grad():
            for average, p in zip(mine, theirs):
                average.data *= average.data.dtype.type(beta)
                average.data += average.data.dtype.type(1.0 - beta) * p.data
            for average, b in zip(self.module.buffers(), model.buffers()):
                average.data[...] = b.data
        self.n_averaged.data[...] = n + 1
