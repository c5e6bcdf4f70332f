"""The device switch, its error messages, seeding, and what happens when arrays of two devices meet.

Without a GPU the GPU paths are exercised with stand-ins: ``backend._cupy`` set to None (no CuPy) or
to a fake module whose CUDA runtime sees no device, and a marked ndarray that ``device_of`` reports
as 'gpu'.  The tests marked ``needs_gpu`` repeat the device checks with real CuPy arrays.
"""
import os
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest

import minigan as mg
from minigan import backend
from minigan import functional as F

needs_gpu = pytest.mark.skipif(not backend.gpu_available(), reason="needs CuPy and a CUDA GPU")


@pytest.fixture(autouse=True)
def restore_backend_state(monkeypatch):
    """Each test starts with the CPU as the default device (also under MINIGAN_DEVICE=gpu: these tests
    describe the default, and the `device` fixture sets its own), may switch devices and reseed;
    monkeypatch puts the module's state back afterwards."""
    monkeypatch.setattr(backend, "_default_device", "cpu")
    monkeypatch.setattr(backend, "_generators", dict(backend._generators))
    monkeypatch.setattr(backend, "_seed", backend._seed)


# ---------------------------------------------------------------- choosing a device
def test_gpu_without_cupy_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(backend, "_cupy", None)
    assert not mg.gpu_available()
    for make_gpu_thing in (lambda: mg.set_device("gpu"), lambda: mg.zeros(2, device="gpu"),
                           lambda: mg.tensor([1.0], device="cuda"), lambda: mg.ones(2).to("gpu")):
        with pytest.raises(mg.DeviceError, match=r"needs CuPy, which is not installed.*pip install .*cupy-cuda12x"):
            make_gpu_thing()
    assert mg.get_device() == "cpu"


def fake_cupy(device_count):
    """A stand-in for the cupy module whose CUDA runtime reports ``device_count`` GPUs (or raises, like CuPy
    does when the driver is missing)."""

    def get_device_count():
        if isinstance(device_count, Exception):
            raise device_count
        return device_count

    return SimpleNamespace(ndarray=type("ndarray", (), {}), cuda=SimpleNamespace(runtime=SimpleNamespace(
        getDeviceCount=get_device_count)))


@pytest.mark.parametrize("device_count", [0, RuntimeError("cudaErrorNoDevice")], ids=["no device", "no driver"])
def test_cupy_without_a_visible_gpu_is_a_clear_error(monkeypatch, device_count):
    monkeypatch.setattr(backend, "_cupy", fake_cupy(device_count))
    assert not mg.gpu_available()
    with pytest.raises(mg.DeviceError, match=r"needs a CUDA GPU, but CuPy sees none \(check `nvidia-smi`.*pip install"):
        mg.set_device("gpu")
    assert mg.get_device() == "cpu"


@pytest.mark.parametrize("name", ["tpu", "mps", "", 0])
def test_unknown_device_names_are_errors(name):
    with pytest.raises(mg.DeviceError, match=f"unknown device {name!r}: use 'cpu' or 'gpu'"):
        mg.set_device(name)
    with pytest.raises(mg.DeviceError, match="unknown device"):
        mg.zeros(2, device=name)


def test_set_device_needs_a_name():
    with pytest.raises(mg.DeviceError, match="unknown device None"):
        mg.set_device(None)


@pytest.mark.parametrize("name, expected", [("cpu", "cpu"), ("CPU", "cpu"), ("gpu", "gpu"), ("cuda", "gpu"),
                                            ("cuda:0", "gpu")])
def test_device_names_and_aliases(name, expected):
    assert backend.normalize_device(name) == expected


def test_set_device_cpu_puts_new_tensors_on_the_cpu():
    mg.set_device("cpu")
    assert mg.get_device() == "cpu"
    for t in (mg.zeros(2), mg.ones(2), mg.full((2,), 3.0), mg.arange(3), mg.randn(2), mg.rand(2), mg.tensor([1.0])):
        assert t.device == "cpu" and isinstance(t.data, np.ndarray) and t.dtype == np.float32


def import_with_device(value):
    env = {**os.environ, "MINIGAN_DEVICE": value}
    return subprocess.run([sys.executable, "-c", "import minigan as mg; print(mg.get_device())"],
                          env=env, capture_output=True, text=True, timeout=60)


def test_minigan_device_environment_variable_is_read_at_import():
    assert import_with_device("cpu").stdout.strip() == "cpu"
    bad = import_with_device("tpu")
    assert bad.returncode != 0 and "DeviceError: unknown device 'tpu'" in bad.stderr


def test_minigan_device_gpu_at_import():
    result = import_with_device("gpu")
    if backend.gpu_available():
        assert result.stdout.strip() == "gpu"
    else:
        assert result.returncode != 0 and "DeviceError: device 'gpu' needs" in result.stderr


# ---------------------------------------------------------------- seeding
def test_manual_seed_makes_randn_and_rand_reproducible(device):
    mg.manual_seed(123)
    first = mg.randn(3, 4).numpy(), mg.rand(5).numpy()
    mg.manual_seed(123)
    again = mg.randn(3, 4).numpy(), mg.rand(5).numpy()
    mg.manual_seed(124)
    other = mg.randn(3, 4).numpy()
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[0], other)
    assert first[0].dtype == np.float32 and first[0].shape == (3, 4)
    assert np.all((first[1] >= 0) & (first[1] < 1))


def test_rng_state_round_trip():
    mg.manual_seed(0)
    mg.randn(2)
    state = mg.get_rng_state()
    expected = mg.randn(4).numpy()
    mg.randn(7)
    mg.set_rng_state(state)
    np.testing.assert_array_equal(mg.randn(4).numpy(), expected)


@needs_gpu
def test_gpu_rng_state_round_trip_is_reproducible():
    """CuPy's generator state cannot be exported: set_rng_state re-seeds it, the same way every time."""
    mg.manual_seed(0)
    mg.randn(2, device="gpu")
    state = mg.get_rng_state()
    mg.set_rng_state(state)
    expected = mg.randn(4, device="gpu").numpy()
    mg.randn(7, device="gpu")
    mg.set_rng_state(state)
    np.testing.assert_array_equal(mg.randn(4, device="gpu").numpy(), expected)


# ---------------------------------------------------------------- two devices in one op
class MarkedGpuArray(np.ndarray):
    """An ordinary ndarray that the patched ``device_of`` below reports as living on the GPU."""


@pytest.fixture
def fake_gpu(monkeypatch):
    """Make ``device_of`` call MarkedGpuArray 'gpu'; return a function that puts a Tensor's values in one."""
    real_device_of = backend.device_of
    monkeypatch.setattr(backend, "device_of", lambda a: "gpu" if isinstance(a, MarkedGpuArray) else real_device_of(a))
    return lambda t: mg.Tensor(t.data.view(MarkedGpuArray), requires_grad=t.requires_grad)


MIXED = {
    "add": lambda cpu, gpu: cpu + gpu,
    "mul": lambda cpu, gpu: gpu * cpu,
    "matmul": lambda cpu, gpu: cpu.reshape(1, 3) @ gpu.reshape(3, 1),
    "linear": lambda cpu, gpu: F.linear(cpu.reshape(1, 3), gpu.reshape(1, 3)),
    "concatenate": lambda cpu, gpu: F.cat([cpu, gpu]),
    "maximum": lambda cpu, gpu: F.maximum(cpu, gpu),
}


@pytest.mark.parametrize("op", MIXED)
def test_arrays_from_two_devices_in_one_op_name_the_op_and_both_devices(op, fake_gpu):
    cpu = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    gpu = fake_gpu(mg.tensor([4.0, 5.0, 6.0]))
    assert gpu.device == "gpu" and cpu.device == "cpu"
    with pytest.raises(mg.DeviceError, match=rf"{op}: inputs are on different devices \((cpu, gpu|gpu, cpu)\).*\.to\("):
        MIXED[op](cpu, gpu)


def test_a_raw_gpu_array_as_the_other_operand_is_caught_too(fake_gpu):
    raw = np.ones(3, dtype=np.float32).view(MarkedGpuArray)
    with pytest.raises(mg.DeviceError, match=r"sub: inputs are on different devices \(cpu, gpu\)"):
        mg.ones(3) - raw


@needs_gpu
def test_real_cupy_and_numpy_arrays_in_one_op():
    gpu, cpu = mg.ones(3, device="gpu"), mg.ones(3, device="cpu")
    with pytest.raises(mg.DeviceError, match=r"add: inputs are on different devices \(cpu, gpu\)"):
        cpu + gpu
    with pytest.raises(mg.DeviceError, match=r"matmul: inputs are on different devices \(gpu, cpu\)"):
        gpu.reshape(1, 3) @ cpu.reshape(3, 1)


# ---------------------------------------------------------------- moving tensors
def test_to_the_device_a_tensor_is_on_is_the_same_tensor():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    assert x.to("cpu") is x and x.cpu() is x


@needs_gpu
def test_to_gpu_and_back_keeps_values_and_dtype():
    x = mg.tensor([[1.0, -2.0], [3.0, 4.5]])
    on_gpu = x.to("gpu")
    assert on_gpu.device == "gpu" and isinstance(on_gpu.data, backend.module_for("gpu").ndarray)
    back = on_gpu.to("cpu")
    assert back.device == "cpu" and back.dtype == np.float32
    np.testing.assert_array_equal(back.numpy(), x.numpy())


@needs_gpu
def test_gradients_flow_back_across_to():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x.to("gpu") ** 2).sum()
    assert y.device == "gpu"
    y.backward()
    assert x.grad.device == "cpu"
    np.testing.assert_allclose(x.grad.numpy(), [2, 4, 6])
    (g,) = mg.grad((F.tanh(x.gpu()) * 3).sum(), [x], create_graph=True)
    g.sum().backward()  # second order across the move as well
    assert x.grad.device == "cpu"


# ---------------------------------------------------------------- PyTorch's torch.device and torch.cuda
@pytest.mark.parametrize("spec, name, kind, index", [
    (("cpu",), "cpu", "cpu", None), (("cuda:0",), "gpu", "cuda", 0), (("cuda", 0), "gpu", "cuda", 0),
    (("cuda",), "gpu", "cuda", None), (("gpu",), "gpu", "cuda", None), (("cpu:0",), "cpu", "cpu", 0),
])
def test_mg_device_is_minigans_device_name_with_pytorchs_type(spec, name, kind, index):
    d = mg.device(*spec)
    assert d == name and isinstance(d, str) and d.type == kind and d.index == index
    assert mg.device(d) is d and backend.normalize_device(d) == name
    assert repr(d).startswith(f"device(type='{kind}'")


def test_mg_device_goes_wherever_a_device_name_goes(device):
    d = mg.device("cuda:0" if (mg.cuda.is_available() and device == "gpu") else "cpu")
    assert mg.cuda.is_available() == mg.gpu_available()
    for made in (mg.zeros(2, device=d), mg.ones(2, device=d), mg.full((2,), 1.0, device=d), mg.randn(2, device=d),
                 mg.rand(2, device=d), mg.arange(2, device=d), mg.tensor([1.0, 2.0], device=d),
                 mg.zeros_like(mg.ones(2), device=d), mg.tensor([1.0, 2.0], device="cpu").to(d)):
        assert made.device == d and made.dtype.kind in "fi"
    assert mg.nn.Linear(2, 3).to(d).weight.device == d


@pytest.mark.parametrize("spec, message", [
    (("mps",), "unknown device 'mps'"), (("cuda:1",), "index 1 of 'cuda:1'"), (("cuda:x",), "no device index"),
    (("cuda:0", 0), "not both"), (("cuda", 1.0), "index must be an integer"),
])
def test_mg_device_names_what_is_wrong(spec, message):
    with pytest.raises(mg.DeviceError, match=message):
        mg.device(*spec)


def test_like_factories_take_the_shape_dtype_and_device_of_their_tensor(device):
    x = mg.ones(2, 3, dtype=mg.float64)
    for made, value in ((mg.zeros_like(x), 0.0), (mg.ones_like(x), 1.0), (mg.full_like(x, 7.0), 7.0)):
        assert made.shape == (2, 3) and made.dtype == np.float64 and made.device == device
        np.testing.assert_array_equal(made.numpy(), np.full((2, 3), value))
    assert mg.randn_like(x).dtype == np.float64 and mg.rand_like(x, dtype=mg.float32).dtype == np.float32
    assert mg.full(3, 1.0).shape == (3,) and mg.ones_like(x, requires_grad=True).requires_grad
    with pytest.raises(TypeError, match="zeros_like: expected a Tensor"):
        mg.zeros_like(np.ones(2))


def test_a_tensors_device_is_a_mg_device_with_pytorchs_type(device):
    x = mg.ones(2)
    assert x.device == device and isinstance(x.device, mg.device)
    assert x.device.type == ("cuda" if device == "gpu" else "cpu")


def test_to_takes_pytorchs_arguments_device_dtype_tensor_or_keywords(device):
    x = mg.tensor([1.0, -2.0], requires_grad=True)
    double = mg.zeros(1, dtype=mg.float64, device=device)
    for moved in (x.to(device, mg.float64), x.to(double), x.to(device=device, dtype=mg.float64),
                  x.to(mg.device(device)).to(mg.float64), x.to(dtype=np.float64).to(device)):
        assert moved.device == device and moved.dtype == np.float64
        np.testing.assert_array_equal(backend.to_numpy(moved.data), [1.0, -2.0])
    assert x.to(mg.float32) is x and x.to(dtype=mg.float32, device="cpu") is x  # nothing to change: the same tensor
    (x.to(device, mg.float64) * mg.tensor([3.0, 4.0], dtype=mg.float64, device=device)).sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.device == "cpu"  # the gradient comes back across the cast
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])


def test_module_to_takes_pytorchs_arguments(device):
    net = mg.nn.Linear(2, 3).to(mg.float64)
    assert net.weight.dtype == np.float64 and net.bias.dtype == np.float64
    net.to(mg.zeros(1, dtype=mg.float32, device=device))
    assert net.weight.dtype == np.float32 and net.weight.device == device
    assert net.to(device, mg.float64).weight.dtype == np.float64


@pytest.mark.parametrize("args, message", [((5j,), "expected a device"), (("cpu", mg.float32, 1), "at most two"),
                                            ((np.int64,), "floating")])
def test_to_names_a_wrong_argument(args, message):
    with pytest.raises(TypeError, match=message):
        mg.tensor([1.0]).to(*args)
    with pytest.raises(TypeError, match=message):
        mg.nn.Linear(1, 1).to(*args)
