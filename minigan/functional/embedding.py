"""Embedding: a look-up table of vectors, indexed by integers (a class, a tag, a word).

    F.embedding(input, weight)      # weight (num_embeddings, embedding_dim); out[..., :] = weight[input[...]]

Picking row i of W is the same as multiplying W by the one-hot vector of i, e_iᵀ W, so an embedding is a
linear layer whose input is one-hot, computed without the zeros.  Its gradient follows: ∂L/∂W adds each
output's gradient into the row it was read from (rows read twice get both), and nothing flows to the indices.
"""
from __future__ import annotations

from minigan import backend
from minigan.autograd import Function, Tensor
from minigan.functional._convert import check_tensor


class Embedding(Function):
    """y[..., :] = W[index[...], :]."""

    saves = ()

    def __init__(self, index):
        self.index = index

    def forward(self, weight):
        self.num_embeddings = weight.shape[0]
        return weight[self.index]

    def backward(self, gy):
        return EmbeddingGrad(self.index, self.num_embeddings)(gy)


class EmbeddingGrad(Function):
    """∂L/∂W: zeros of W's shape with each row of ``gy`` added into the row its index names."""

    saves = ()

    def __init__(self, index, num_embeddings):
        self.index, self.num_embeddings = index, num_embeddings

    def forward(self, gy):
        xp = backend.array_module(gy)
        dim = gy.shape[-1]
        gw = xp.zeros((self.num_embeddings, dim), dtype=gy.dtype)
        # gW_k = Σ over the positions p with index[p] = k of gy[p]
        xp.add.at(gw, self.index.reshape(-1), gy.reshape(-1, dim))
        return gw

    def backward(self, ggw):
        # the scatter-add is linear in gy; its transpose is the look-up again
        return embedding(self.index, ggw)


def _indices(input, num_embeddings: int, device: str):
    """``input`` (a Tensor, array or list of integers) as an integer array on ``device``, every value checked to
    lie in [0, num_embeddings)."""
    array = input.data if isinstance(input, Tensor) else input
    xp = backend.module_for(device)
    array = backend.to_device(array, device) if hasattr(array, "dtype") else xp.asarray(array)
    if array.dtype.kind not in "iu":
        raise TypeError(f"embedding: input must hold integer indices, got dtype {array.dtype}")
    if array.size and (int(array.min()) < 0 or int(array.max()) >= num_embeddings):
        raise IndexError(f"embedding: indices must be in [0, {num_embeddings - 1}] for a weight of "
                         f"{num_embeddings} rows; got values from {int(array.min())} to {int(array.max())}")
    return array


def embedding(input, weight: Tensor) -> Tensor:
    """Rows of ``weight`` (num_embeddings, embedding_dim) picked by the integer ``input``: the output has shape
    ``input.shape + (embedding_dim,)`` (PyTorch's ``F.embedding(input, weight)``)."""
    check_tensor(weight, "embedding", "weight")
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got shape {weight.shape}")
    index = _indices(input, weight.shape[0], backend.device_of(weight.data))
    return Embedding(index)(weight)
