"""PyTorch's ``torch.cuda`` question, answered for minigan's GPU (CuPy): ``mg.cuda.is_available()``.

The DCGAN tutorial picks its device with
``torch.device("cuda:0" if (torch.cuda.is_available() and ngpu > 0) else "cpu")``; on minigan that line
gives ``mg.device`` 'gpu' where CuPy sees a GPU, and 'cpu' elsewhere.
"""
from minigan import backend


def is_available() -> bool:
    """True when CuPy is installed and sees a CUDA GPU (``mg.gpu_available()``)."""
    return backend.gpu_available()


__all__ = ["is_available"]
