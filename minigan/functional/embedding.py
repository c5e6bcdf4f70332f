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
        rows, gy2 = self.index.reshape(-1), gy.reshape(-1, gy.shape[-1])
        if rows.size * self.num_embeddings <= ONE_HOT_LIMIT:
            return one_hot_product(rows, gy2, self.num_embeddings)
        return scatter_add(rows, gy2, self.num_embeddings)

    def backward(self, ggw):
        # the scatter-add is linear in gy; its transpose is the look-up again
        return embedding(self.index, ggw)


ONE_HOT_LIMIT = 1 << 20  # entries of the one-hot matrix up to which the matrix product is the way to the gradient


def scatter_add(rows, gy, num_embeddings: int):
    """gW_k = Σ over the positions p with rows[p] = k of gy[p]: the plain version, one addition per position."""
    xp = backend.array_module(gy)
    gw = xp.zeros((num_embeddings, gy.shape[1]), dtype=gy.dtype)
    xp.add.at(gw, rows, gy)
    return gw


def one_hot_product(rows, gy, num_embeddings: int):
    """The same sums as ``scatter_add``, as one matrix product gW = onehot(rows)ᵀ gy: for a small table the product
    (BLAS, or one GPU kernel) is many times faster than ``add.at``, which adds one row at a time."""
    xp = backend.array_module(gy)
    one_hot = (rows[:, None] == xp.arange(num_embeddings)).astype(gy.dtype)
    return one_hot.T @ gy


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
