"""nn.Embedding: a learned vector for each of ``num_embeddings`` integers (PyTorch's name and layout)."""
from __future__ import annotations

from minigan import _validate
from minigan import functional as F
from minigan.autograd import Tensor
from minigan.creation import zeros
from minigan.nn import init
from minigan.nn.module import Module, Parameter


class Embedding(Module):
    """y = W[input]: row ``input`` of W, with W of shape (num_embeddings, embedding_dim).

    Initialised as in PyTorch: W ~ N(0, 1).  The same as ``nn.Linear(num_embeddings, embedding_dim, bias=False)``
    applied to one-hot vectors, with the weight transposed (PyTorch stores it this way round).
    """

    def __init__(self, num_embeddings: int, embedding_dim: int):
        super().__init__()
        self.num_embeddings = _validate.integer(num_embeddings, "num_embeddings", "Embedding")
        self.embedding_dim = _validate.integer(embedding_dim, "embedding_dim", "Embedding")
        self.weight = Parameter(zeros(self.num_embeddings, self.embedding_dim))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw new initial values, W ~ N(0, 1)."""
        init.normal_(self.weight)

    def forward(self, input) -> Tensor:
        return F.embedding(input, self.weight)

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"
