"""Check that minigan's layers, state dicts and optimizers match PyTorch's (needs torch; not a test).

    python benchmarks/check_torch_compat.py

1. A Sequential of Linear, BatchNorm1d, LeakyReLU, Linear has the same state-dict keys and shapes in both.
2. A PyTorch state dict, converted with ``.numpy()``, loads into minigan and gives the same outputs in
   train mode (batch statistics), the same running statistics after it, and the same eval-mode outputs;
   minigan's state dict loads back into PyTorch.
3. SGD (momentum, weight decay, maximize) and Adam (weight decay, maximize) take the same steps.
Exits with status 1 and a message on any difference, 0 when everything matches.
"""
from __future__ import annotations

import sys

import numpy as np

try:
    import torch
except ImportError:
    sys.exit("check_torch_compat: PyTorch is not installed (pip install torch); nothing to compare against")

import minigan as mg
from minigan import nn, optim


def models():
    mg.manual_seed(0)
    torch.manual_seed(0)
    ours = nn.Sequential(nn.Linear(3, 5), nn.BatchNorm1d(5), nn.LeakyReLU(0.2), nn.Linear(5, 2))
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.BatchNorm1d(5), torch.nn.LeakyReLU(0.2),
                                 torch.nn.Linear(5, 2))
    return ours, theirs


def check_close(what: str, ours, theirs, atol: float = 1e-5) -> None:
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    if ours.shape != theirs.shape or not np.allclose(ours, theirs, atol=atol, rtol=1e-5):
        sys.exit(f"check_torch_compat: {what} differ:\nminigan {ours}\ntorch   {theirs}")
    print(f"ok  {what} (max difference {np.max(np.abs(ours - theirs), initial=0):.2e})")


def check_state_dicts() -> None:
    ours, theirs = models()
    our_shapes = {k: tuple(v.shape) for k, v in ours.state_dict().items()}
    their_shapes = {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    if list(our_shapes.items()) != list(their_shapes.items()):
        sys.exit(f"check_torch_compat: state dicts differ:\nminigan {our_shapes}\ntorch   {their_shapes}")
    print(f"ok  state-dict keys and shapes, in order: {list(our_shapes)}")

    with torch.no_grad():  # move torch's running statistics away from (0, 1), so loading them matters
        theirs[1].running_mean.uniform_(-1, 1)
        theirs[1].running_var.uniform_(0.5, 2)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((8, 3)).astype(np.float32)
    check_close("train-mode outputs", ours(mg.tensor(x)).numpy(), theirs(torch.from_numpy(x)).detach().numpy())
    for key in ("1.running_mean", "1.running_var", "1.num_batches_tracked"):
        check_close(f"{key} after a train step", ours.state_dict()[key], theirs.state_dict()[key].numpy())
    ours.eval()
    theirs.eval()
    check_close("eval-mode outputs", ours(mg.tensor(x)).numpy(), theirs(torch.from_numpy(x)).detach().numpy())

    _, fresh = models()  # and back: minigan's state dict loads into PyTorch
    fresh.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    fresh.eval()
    check_close("eval-mode outputs of torch after loading minigan's state dict",
                ours(mg.tensor(x)).numpy(), fresh(torch.from_numpy(x)).detach().numpy())


def check_optimizer(name: str, make_ours, make_theirs, steps: int = 3) -> None:
    rng = np.random.default_rng(1)
    theta = rng.standard_normal((4, 3)).astype(np.float32)
    ours = nn.Parameter(mg.tensor(theta))
    theirs = torch.nn.Parameter(torch.from_numpy(theta.copy()))
    opt_ours, opt_theirs = make_ours([ours]), make_theirs([theirs])
    for _ in range(steps):
        g = rng.standard_normal(theta.shape).astype(np.float32)
        ours.grad = mg.tensor(g)
        theirs.grad = torch.from_numpy(g.copy())
        opt_ours.step()
        opt_theirs.step()
    check_close(f"{name} after {steps} steps", ours.numpy(), theirs.detach().numpy(), atol=1e-6)


def main() -> None:
    check_state_dicts()
    check_optimizer("SGD", lambda p: optim.SGD(p, lr=0.1), lambda p: torch.optim.SGD(p, lr=0.1))
    check_optimizer("SGD momentum, weight decay, maximize",
                    lambda p: optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01, maximize=True),
                    lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01, maximize=True))
    check_optimizer("Adam", lambda p: optim.Adam(p, lr=0.01), lambda p: torch.optim.Adam(p, lr=0.01))
    check_optimizer("Adam weight decay, maximize, betas (0.5, 0.999)",
                    lambda p: optim.Adam(p, lr=0.01, betas=(0.5, 0.999), weight_decay=0.1, maximize=True),
                    lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.5, 0.999), weight_decay=0.1, maximize=True))
    print("check_torch_compat: minigan matches PyTorch", torch.__version__)


if __name__ == "__main__":
    main()
