"""PyTorch code runs unchanged: a DCGAN written for PyTorch, with every call of the PyTorch DCGAN tutorial's model,
initialisation and training step, on minigan.

``TUTORIAL_MODEL`` and ``TUTORIAL_LOOP`` are written here (not copied) in the tutorial's shape: its 64×64 networks
at small widths (8 channels, batch 4, 3 iterations), its weight initialisation, loss, optimizers and loop.  The
code runs with PyTorch's imports (``IMPORTS_TORCH``) or with the only change minigan needs (``IMPORTS_MINIGAN``).  The first test runs it on
minigan; the second, where PyTorch is installed, runs both from the same weights, data and noise and compares
the tutorial's five numbers per iteration.
"""
import numpy as np
import pytest

import minigan as mg

IMPORTS_TORCH = """
import torch
import torch.nn as nn
import torch.optim as optim
"""

IMPORTS_MINIGAN = """
import minigan as torch
from minigan import nn, optim
"""

# A DCGAN written here, for PyTorch, with every call the PyTorch DCGAN tutorial's model, initialisation and training
# step make (our own code and names, not the tutorial's text): torch.device / torch.cuda.is_available, Module
# subclasses around nn.Sequential, ConvTranspose2d / Conv2d with bias=False, BatchNorm2d, ReLU(True),
# LeakyReLU(0.2, inplace=True), Tanh, Sigmoid, .to(device), an init function that dispatches on
# m.__class__.__name__ with nn.init.normal_ / nn.init.constant_ on .data, Module.apply, nn.BCELoss, Adam with
# betas, torch.randn(..., device=), torch.full(..., dtype=torch.float, device=), .size(0), .view(-1), .fill_,
# .detach(), .mean().item(), zero_grad() on the modules, two backward() calls that add up in D's gradients,
# torch.no_grad() and .cpu().
TUTORIAL_MODEL = """
channels, z_size, g_width, d_width = 3, 100, 8, 8
rate, momentum = 2e-4, 0.5
use_gpu = False
device = torch.device("cuda:0" if use_gpu and torch.cuda.is_available() else "cpu")


def init_weights(module):
    kind = module.__class__.__name__
    if "Conv" in kind:
        nn.init.normal_(module.weight.data, 0.0, 0.02)
    elif "BatchNorm" in kind:
        nn.init.normal_(module.weight.data, 1.0, 0.02)
        nn.init.constant_(module.bias.data, 0)


def up(c_in, c_out, stride, padding):
    return [nn.ConvTranspose2d(c_in, c_out, 4, stride, padding, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(True)]


def down(c_in, c_out, norm=True):
    layers = [nn.Conv2d(c_in, c_out, 4, 2, 1, bias=False)]
    return layers + ([nn.BatchNorm2d(c_out)] if norm else []) + [nn.LeakyReLU(0.2, inplace=True)]


class Gen(nn.Module):
    def __init__(self):
        super(Gen, self).__init__()
        w = g_width
        self.net = nn.Sequential(*up(z_size, 8 * w, 1, 0), *up(8 * w, 4 * w, 2, 1), *up(4 * w, 2 * w, 2, 1),
                                 *up(2 * w, w, 2, 1), nn.ConvTranspose2d(w, channels, 4, 2, 1, bias=False),
                                 nn.Tanh())

    def forward(self, z):
        return self.net(z)


class Disc(nn.Module):
    def __init__(self):
        super(Disc, self).__init__()
        w = d_width
        self.net = nn.Sequential(*down(channels, w, norm=False), *down(w, 2 * w), *down(2 * w, 4 * w),
                                 *down(4 * w, 8 * w), nn.Conv2d(8 * w, 1, 4, 1, 0, bias=False), nn.Sigmoid())

    def forward(self, x):
        return self.net(x)


netG = Gen().to(device)
netG.apply(init_weights)
netD = Disc().to(device)
netD.apply(init_weights)
print(netG)
bce = nn.BCELoss()
shown_z = torch.randn(16, z_size, 1, 1, device=device)
REAL, FAKE = 1.0, 0.0
optD = optim.Adam(netD.parameters(), lr=rate, betas=(momentum, 0.999))
optG = optim.Adam(netG.parameters(), lr=rate, betas=(momentum, 0.999))
"""

TUTORIAL_LOOP = """
grids = []
for step, batch in enumerate(dataloader):
    # D: real images towards 1, generated ones towards 0; the two backward() calls add up in D's gradients
    netD.zero_grad()
    x = batch[0].to(device)
    m = x.size(0)
    target = torch.full((m,), REAL, dtype=torch.float, device=device)
    out = netD(x).view(-1)
    loss_real = bce(out, target)
    loss_real.backward()
    D_x = out.mean().item()
    z = torch.randn(m, z_size, 1, 1, device=device)
    fake = netG(z)
    target.fill_(FAKE)
    out = netD(fake.detach()).view(-1)
    loss_fake = bce(out, target)
    loss_fake.backward()
    D_G_z1 = out.mean().item()
    errD = loss_real + loss_fake
    optD.step()

    # G: the updated D should call the same fakes real
    netG.zero_grad()
    target.fill_(REAL)
    out = netD(fake).view(-1)
    errG = bce(out, target)
    errG.backward()
    D_G_z2 = out.mean().item()
    optG.step()

    print(f"step {step}: Loss_D {errD.item():.4f} Loss_G {errG.item():.4f} D(x) {D_x:.4f} "
          f"D(G(z)) {D_G_z1:.4f} / {D_G_z2:.4f}")
    stats.append((errD.item(), errG.item(), D_x, D_G_z1, D_G_z2))
    with torch.no_grad():
        grids.append(netG(shown_z).detach().cpu())
"""

BATCH, ITERATIONS = 4, 3


class _Noise:
    """The library bound to ``torch``, whose ``randn`` hands out the given noise batches in turn: so PyTorch and
    minigan, whose random generators differ, see the same z in the script's own ``torch.randn`` line."""

    def __init__(self, library, noises):
        self._library, self._noises = library, list(noises)

    def __getattr__(self, name):
        return getattr(self._library, name)

    def randn(self, *shape, device=None):
        return self._noises.pop(0)


def build(imports: str) -> dict:
    """The networks, initialisation, loss and optimizers under ``imports``: their namespace."""
    namespace = {}
    exec(imports + TUTORIAL_MODEL, namespace)
    return namespace


def train(namespace: dict, images, noises) -> list:
    """The loop over ``images`` (one batch each) with ``noises`` as z: its five numbers per iteration."""
    namespace.update(dataloader=[(image, None) for image in images], stats=[],
                     torch=_Noise(namespace["torch"], noises))
    exec(TUTORIAL_LOOP, namespace)
    return namespace["stats"]


def data(seed: int = 0):
    """``ITERATIONS`` batches of images in [−1, 1] (the tutorial normalises to that range) and of noise z."""
    rng = np.random.default_rng(seed)
    images = [rng.uniform(-1, 1, (BATCH, 3, 64, 64)).astype(np.float32) for _ in range(ITERATIONS)]
    noises = [rng.standard_normal((BATCH, 100, 1, 1)).astype(np.float32) for _ in range(ITERATIONS)]
    return images, noises


def test_a_pytorch_dcgan_runs_on_minigan_with_only_its_imports_changed(capsys):
    mg.manual_seed(999)
    namespace = {}
    images, _ = data()
    namespace["dataloader"] = [(mg.tensor(image), None) for image in images]
    namespace["stats"] = []
    exec(IMPORTS_MINIGAN + TUTORIAL_MODEL + TUTORIAL_LOOP, namespace)
    assert namespace["torch"] is mg and namespace["device"] == "cpu" and namespace["device"].type == "cpu"
    stats = np.array(namespace["stats"])
    assert stats.shape == (ITERATIONS, 5) and np.all(np.isfinite(stats))
    assert np.all((stats[:, 2:] > 0) & (stats[:, 2:] < 1))  # D(x), D(G(z)) are probabilities
    for name in ("errD", "errG", "out", "fake", "target", "z", "shown_z"):
        assert namespace[name].dtype == np.float32, name
    for net in (namespace["netG"], namespace["netD"]):
        assert all(p.dtype == np.float32 and p.grad.dtype == np.float32 for p in net.parameters())
    assert namespace["grids"][0].shape == (16, 3, 64, 64)
    printed = capsys.readouterr().out
    assert "ConvTranspose2d" in printed and "Loss_D" in printed


def test_a_pytorch_dcgan_gives_pytorchs_numbers_from_the_same_weights_data_and_noise():
    torch = pytest.importorskip("torch")
    torch.manual_seed(999)
    reference, ours = build(IMPORTS_TORCH), build(IMPORTS_MINIGAN)
    for net in ("netG", "netD"):  # PyTorch's weight layouts and state-dict keys are minigan's
        ours[net].load_state_dict({k: v.detach().numpy() for k, v in reference[net].state_dict().items()})
    images, noises = data()
    expected = train(reference, [torch.from_numpy(x) for x in images], [torch.from_numpy(z) for z in noises])
    got = train(ours, [mg.tensor(x) for x in images], [mg.tensor(z) for z in noises])
    names = ("errD", "errG", "D_x", "D_G_z1", "D_G_z2")
    relative = np.abs(np.array(got) - np.array(expected)) / np.abs(np.array(expected))
    print("relative differences per iteration:", dict(zip(names, relative.T.round(8).tolist())))
    assert np.all(relative < 1e-3), dict(zip(names, relative.T.tolist()))


TOP_LEVEL = ["abs", "argmax", "argmin", "cat", "chunk", "clamp", "exp", "flatten", "log", "log_softmax", "logsumexp",
             "matmul", "maximum", "mean", "minimum", "mm", "permute", "pow", "relu", "sigmoid", "softmax", "split",
             "sqrt", "squeeze", "stack", "std", "sum", "t", "tanh", "transpose", "unsqueeze", "var", "where"]


@pytest.mark.parametrize("name", TOP_LEVEL)
def test_pytorch_top_level_functions_are_minigans_functional_ones(name):
    assert getattr(mg, name) is getattr(mg.functional, name) and name in mg.__all__


def test_pytorch_top_level_functions_called_as_in_pytorch_code():
    """The calls a PyTorch conditional GAN makes (torch.cat([z, e], 1), torch.sum(x, dim=1), ...), as it makes them,
    against NumPy.  torch.max / torch.min are left out on purpose: with a dim they return (values, indices)."""
    torch = mg
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal((4, 2)).astype(np.float32)
    x, y = torch.tensor(a), torch.tensor(b)
    np.testing.assert_array_equal(torch.cat([x, y], 1).numpy(), np.concatenate([a, b], 1))
    np.testing.assert_array_equal(torch.cat((x, x), dim=0).numpy(), np.concatenate([a, a], 0))
    np.testing.assert_array_equal(torch.stack([x, x], dim=1).numpy(), np.stack([a, a], 1))
    np.testing.assert_allclose(torch.sum(x, dim=1, keepdim=True).numpy(), a.sum(1, keepdims=True), rtol=1e-6)
    np.testing.assert_allclose(torch.mean(x, 0).numpy(), a.mean(0), rtol=1e-6)
    np.testing.assert_allclose(torch.std(x, dim=0).numpy(), a.std(0, ddof=1), rtol=1e-5)
    np.testing.assert_allclose(torch.sigmoid(x).numpy(), 1 / (1 + np.exp(-a)), rtol=1e-6)
    np.testing.assert_allclose(torch.softmax(x, dim=1).numpy(), np.exp(a) / np.exp(a).sum(1, keepdims=True), rtol=1e-6)
    np.testing.assert_allclose(torch.matmul(x, torch.transpose(x, 0, 1)).numpy(), a @ a.T, rtol=1e-5)
    np.testing.assert_array_equal(torch.argmax(x, dim=1).numpy(), a.argmax(1))
    np.testing.assert_array_equal(torch.flatten(torch.unsqueeze(x, 0), 1).numpy(), a.reshape(1, 12))
    np.testing.assert_array_equal(torch.permute(torch.unsqueeze(x, 2), (2, 0, 1)).numpy(), a[None])
    np.testing.assert_allclose(torch.pow(torch.abs(x), 2).numpy(), a ** 2, rtol=1e-6)
    assert torch.cat([x, y], 1).dtype == torch.float32
    # gradients flow through them as through F's: d/dx Σ cat([x, x]) = 2
    leaf = torch.tensor(a, requires_grad=True)
    torch.sum(torch.cat([leaf, leaf], 1)).backward()
    np.testing.assert_array_equal(leaf.grad.numpy(), np.full_like(a, 2))


def test_more_of_pytorchs_calls_as_pytorch_code_makes_them():
    """torch.clamp / clip, where, masked_fill, split, chunk, expand, mm, t, dim, tolist, contiguous, linspace, eye,
    empty, is_tensor, numel, against NumPy."""
    torch = mg
    a = np.arange(-6, 6, dtype=np.float32).reshape(3, 4) / 4
    x = torch.tensor(a)
    np.testing.assert_array_equal(torch.clamp(x, min=-0.5, max=0.5).numpy(), np.clip(a, -0.5, 0.5))
    np.testing.assert_array_equal(torch.clip(x, -0.5).numpy(), np.maximum(a, -0.5))
    np.testing.assert_array_equal(x.clamp(max=0.25).numpy(), np.minimum(a, 0.25))
    np.testing.assert_array_equal(torch.where(x > 0, x, torch.zeros_like(x)).numpy(), np.maximum(a, 0))
    np.testing.assert_array_equal(x.masked_fill(x < 0, -1.0).numpy(), np.where(a < 0, -1, a))
    assert [p.shape for p in torch.split(x, 3, dim=1)] == [(3, 3), (3, 1)]
    assert [p.shape for p in x.split([1, 2], 0)] == [(1, 4), (2, 4)]
    assert [p.shape for p in torch.chunk(x, 2)] == [(2, 4), (1, 4)]
    assert [p.shape for p in x.chunk(4, dim=1)] == [(3, 1)] * 4
    assert [p.shape for p in torch.chunk(torch.zeros(5), 4)] == [(2,), (2,), (1,)]  # as in PyTorch: 3 pieces
    assert x[:, :1].expand(-1, 5).shape == (3, 5) and x.expand(2, 3, 4).shape == (2, 3, 4)
    np.testing.assert_allclose(torch.mm(x, x.t()).numpy(), a @ a.T, rtol=1e-6)
    assert x.dim() == 2 and x.contiguous() is x and torch.is_tensor(x) and not torch.is_tensor(a)
    assert torch.numel(x) == 12 and x[0, :2].tolist() == [-1.5, -1.25] and x.sum().tolist() == float(a.sum())
    np.testing.assert_array_equal(torch.linspace(0, 1, 5).numpy(), [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_array_equal(torch.eye(2, 3).numpy(), np.eye(2, 3))
    assert torch.empty(2, 3).shape == (2, 3) and not torch.empty(2, 3).numpy().any()
    for made in (torch.linspace(0, 1, 3), torch.eye(2), torch.empty(2), x.clamp(0), torch.where(x > 0, x, 0.0)):
        assert made.dtype == torch.float32
    assert torch.linspace(0, 1, 3, dtype=torch.float64).dtype == torch.float64


def test_where_keeps_the_condition_it_was_given():
    """The gradient follows the mask as it was at the call, not as it is changed afterwards (the op keeps a copy)."""
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    mask = np.array([True, False, True])
    y = mg.where(mask, x, 0.0)
    mask[:] = False
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1, 0, 1])


@pytest.mark.parametrize("call, error, message", [
    (lambda x: mg.where(x, x, x), TypeError, r"where: condition must be a boolean tensor.*float32"),
    (lambda x: mg.where(np.ones((2, 2), bool), x, x), ValueError, r"where: shapes \(2, 2\) \(condition\), \(3, 4\)"),
    (lambda x: mg.split(x, [1, 1], dim=0), ValueError, r"split: sections \[1, 1\] must .* add up to 3, .* dim 0"),
    (lambda x: mg.split(x, 0), ValueError, r"split: split_size must be a positive int, got 0"),
    (lambda x: mg.split(x, 1.5), TypeError, r"split: split_size_or_sections must be an int or a list"),
    (lambda x: mg.split(x, 2, dim=2), IndexError, r"split: dim 2 is out of range"),
    (lambda x: mg.chunk(x, 0), ValueError, r"chunk: chunks must be a positive int, got 0"),
    (lambda x: x.expand(3, 5), ValueError, r"expand: shape \(3, 4\) cannot be expanded to \(3, 5\)"),
    (lambda x: x.expand(4), ValueError, r"expand: 1 sizes \(4,\) for a tensor of 2 dims"),
    (lambda x: x.expand(-1, 3, 4), ValueError, r"expand: -1 is not allowed for the new leading dim 0"),
    (lambda x: x.reshape(3, 2, 2).t(), ValueError, r"t: expects a tensor of at most 2 dims, got shape \(3, 2, 2\)"),
    (lambda x: mg.mm(x, x[0]), ValueError, r"mm: mat2 must be a matrix \(2 dims\), got shape \(4,\)"),
    (lambda x: mg.linspace(0, 1, 2.5), ValueError, r"linspace: steps must be a non-negative int, got 2.5"),
])
def test_pytorchs_calls_reject_bad_arguments_by_name(call, error, message):
    with pytest.raises(error, match=message):
        call(mg.zeros(3, 4))
