"""Shared fixtures: every test that takes ``device`` runs on the CPU, and on the GPU when CuPy sees one."""
import numpy as np
import pytest

import minigan as mg
from minigan import backend

DEVICES = ["cpu"] + (["gpu"] if backend.gpu_available() else [])


@pytest.fixture(params=DEVICES)
def device(request):
    """'cpu', then 'gpu' where there is one; the default device is set for the test and restored after."""
    previous = mg.get_device()
    mg.set_device(request.param)
    mg.manual_seed(0)
    yield request.param
    mg.set_device(previous)


@pytest.fixture
def rng():
    return np.random.default_rng(0)
