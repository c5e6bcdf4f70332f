"""Shared fixtures: every test that takes ``device`` runs on the CPU, and on the GPU when CuPy sees one."""
import importlib.util
import os
from pathlib import Path

if "PYTEST_XDIST_WORKER" in os.environ:
    # one test process per core already (setup.cfg's addopts): one BLAS thread each, so they do not oversubscribe
    # the cores; set before NumPy loads OpenBLAS, and only where the user has not chosen a number
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

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


ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def run_example():
    """``run_example(name, argv)``: run ``examples/<name>.py``'s ``main(argv)`` in this process and return its
    metrics; the default device is restored afterwards."""
    def run(name: str, argv: list) -> dict:
        spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        previous = mg.get_device()
        try:
            return module.main(argv)
        finally:
            mg.set_device(previous)
    return run
