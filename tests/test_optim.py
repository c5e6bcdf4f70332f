"""optim: SGD and Adam steps written out by formula in NumPy, groups, skipped parameters, state dicts."""
import numpy as np
import pytest

import minigan as mg
from minigan import backend, nn, optim

THETA0 = np.array([[0.5, -1.0, 2.0], [0.0, 0.25, -0.75]])
GRADS = [np.array([[0.1, -0.2, 0.3], [1.0, -1.0, 0.5]]),
         np.array([[-0.4, 0.0, 0.2], [0.3, 0.6, -0.9]]),
         np.array([[0.7, 0.1, -0.5], [-0.2, 0.4, 0.05]])]


def run(make_optimizer, device, steps=3):
    """θ after ``steps`` steps with the fixed gradients GRADS, in float32 on ``device``."""
    theta = nn.Parameter(mg.tensor(THETA0, device=device))
    opt = make_optimizer([theta])
    for g in GRADS[:steps]:
        theta.grad = mg.tensor(g, device=device)
        opt.step()
    assert theta.dtype == np.float32 and theta.device == device
    return backend.to_numpy(theta.data)


# ---------------------------------------------------------------- SGD by hand
def test_sgd_plain_and_maximize(device):
    # θ ← θ − η g, and θ ← θ + η g with maximize=True (the lecture's gradient ascent)
    expected = THETA0 - 0.1 * (GRADS[0] + GRADS[1])
    np.testing.assert_allclose(run(lambda p: optim.SGD(p, lr=0.1), device, steps=2), expected, rtol=1e-6)
    expected = THETA0 + 0.1 * (GRADS[0] + GRADS[1])
    np.testing.assert_allclose(run(lambda p: optim.SGD(p, lr=0.1, maximize=True), device, steps=2), expected,
                               rtol=1e-6)


@pytest.mark.parametrize("maximize", [False, True])
def test_sgd_momentum_and_weight_decay(device, maximize):
    lr, mu, wd = 0.1, 0.9, 0.01
    sign = -1.0 if maximize else 1.0
    theta = THETA0
    # step 1: g = ±∇ + λθ;  b = g;  θ ← θ − η b
    g1 = sign * GRADS[0] + wd * theta
    b = g1
    theta = theta - lr * b
    # steps 2, 3: b ← μ b + g
    for grad in GRADS[1:]:
        b = mu * b + (sign * grad + wd * theta)
        theta = theta - lr * b
    got = run(lambda p: optim.SGD(p, lr=lr, momentum=mu, weight_decay=wd, maximize=maximize), device)
    np.testing.assert_allclose(got, theta, rtol=1e-5, atol=1e-7)


# ---------------------------------------------------------------- Adam by hand
@pytest.mark.parametrize("maximize, weight_decay", [(False, 0.0), (True, 0.0), (False, 0.1), (True, 0.1)])
def test_adam_three_steps(device, maximize, weight_decay):
    lr, (beta1, beta2), eps = 0.01, (0.5, 0.999), 1e-8
    sign = -1.0 if maximize else 1.0
    theta, m, v = THETA0, np.zeros_like(THETA0), np.zeros_like(THETA0)
    for t, grad in enumerate(GRADS, start=1):
        g = sign * grad + weight_decay * theta
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
    got = run(lambda p: optim.Adam(p, lr=lr, betas=(beta1, beta2), eps=eps, weight_decay=weight_decay,
                                   maximize=maximize), device)
    np.testing.assert_allclose(got, theta, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adam_agrees_with_the_textbook_adam_simple(device, dtype):
    theta = nn.Parameter(mg.tensor(THETA0, dtype=dtype))
    opt = optim.Adam([theta], lr=0.01, betas=(0.5, 0.999))
    xp = backend.module_for(device)
    plain, m, v = xp.asarray(THETA0, dtype=dtype), xp.zeros(THETA0.shape, dtype), xp.zeros(THETA0.shape, dtype)
    for t, g in enumerate(GRADS, start=1):
        theta.grad = mg.tensor(g, dtype=dtype)
        opt.step()
        plain, m, v = optim.adam_simple(plain, xp.asarray(g, dtype=dtype), m, v, t, lr=0.01, betas=(0.5, 0.999))
    tol = 1e-6 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(theta.numpy(), backend.to_numpy(plain), rtol=tol, atol=tol)
    np.testing.assert_allclose(backend.to_numpy(opt.state[0]["exp_avg_sq"]), backend.to_numpy(v), rtol=tol)


def test_adam_uses_its_kernel_only_where_the_fused_kernels_are_on(monkeypatch):
    """The same switch as the other kernels (MINIGAN_FUSED_KERNELS=0, float32/float64 on the GPU): _kernels.fused."""
    from minigan.functional import _kernels

    asked = []
    monkeypatch.setattr(_kernels, "kernel", lambda name: asked.append(name) or (lambda *args: None))
    theta = nn.Parameter(mg.tensor(THETA0, device="cpu"))
    opt = optim.Adam([theta])
    theta.grad = mg.tensor(GRADS[0])
    for on in (False, True):
        monkeypatch.setattr(_kernels, "fused", lambda array, on=on: on)
        opt.step()
    assert asked == ["adam"]


def test_adam_first_step_moves_each_weight_by_lr():
    # with bias correction, the first step is −η · g/|g| (up to ε): a property worth knowing by heart
    got = run(lambda p: optim.Adam(p, lr=0.01), "cpu", steps=1)
    expected = THETA0 - 0.01 * np.sign(GRADS[0])
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- behaviour around the step
@pytest.mark.parametrize("make", [lambda p: optim.SGD(p, lr=0.1, momentum=0.9), lambda p: optim.Adam(p)])
def test_parameters_without_gradient_are_skipped(make):
    used, unused = nn.Parameter(mg.ones(2)), nn.Parameter(mg.ones(3))
    opt = make([used, unused])
    used.grad = mg.ones(2)
    opt.step()
    np.testing.assert_array_equal(unused.numpy(), 1)
    assert not np.allclose(used.numpy(), 1)
    assert list(opt.state_dict()["state"]) == [0]


def test_step_bumps_versions_so_stale_graphs_fail():
    w = nn.Parameter(mg.ones(3))
    loss = (w * w).sum()
    opt = optim.SGD([w], lr=0.1)
    w.grad = mg.ones(3)
    opt.step()
    with pytest.raises(mg.InplaceModificationError):
        loss.backward()


def test_zero_grad_and_groups():
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    opt = optim.SGD([{"params": model[0].parameters()}, {"params": model[1].parameters(), "lr": 0.0}], lr=0.5)
    assert [g["lr"] for g in opt.param_groups] == [0.5, 0.0] and opt.param_groups[1]["momentum"] == 0
    frozen = model[1].weight.numpy().copy()
    model(mg.randn(4, 2)).sum().backward()
    opt.step()
    np.testing.assert_array_equal(model[1].weight.numpy(), frozen)
    opt.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    opt.param_groups[1]["lr"] = 1.0  # a schedule changes the group's value; the next step uses it
    model(mg.randn(4, 2)).sum().backward()
    opt.step()
    assert not np.array_equal(model[1].weight.numpy(), frozen)


def test_constructor_errors():
    w = nn.Parameter(mg.ones(2))
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam([])
    with pytest.raises(TypeError, match="single Parameter"):
        optim.SGD(w, lr=0.1)
    with pytest.raises(ValueError, match="invalid learning rate -1"):
        optim.SGD([w], lr=-1)
    with pytest.raises(ValueError, match="invalid betas"):
        optim.Adam([w], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="unknown hyperparameters \\['momentum'\\]"):
        optim.Adam([{"params": [w], "momentum": 0.9}])
    with pytest.raises(TypeError, match="requires_grad=True"):
        optim.SGD([mg.ones(2)], lr=0.1)
    with pytest.raises(ValueError, match="more than one place"):
        optim.SGD([w, w], lr=0.1)


# ---------------------------------------------------------------- state dicts
@pytest.mark.parametrize("make", [
    lambda p: optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01),
    lambda p: optim.Adam(p, lr=0.01, betas=(0.5, 0.999), maximize=True),
])
def test_state_dict_round_trip_continues_identically(device, make, tmp_path):
    def fresh():
        mg.manual_seed(0)
        return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))

    x = mg.randn(5, 3)

    def train(model, opt, steps):
        for _ in range(steps):
            opt.zero_grad()
            model(x).sum().backward()
            opt.step()

    model_a = fresh()
    opt_a = make(model_a.parameters())
    train(model_a, opt_a, 2)
    mg.save({"model": model_a.state_dict(), "opt": opt_a.state_dict()}, tmp_path / "run.ckpt")
    checkpoint = mg.load(tmp_path / "run.ckpt")
    model_b = fresh()
    opt_b = make(model_b.parameters())
    model_b.load_state_dict(checkpoint["model"])
    opt_b.load_state_dict(checkpoint["opt"])
    assert opt_b.param_groups[0]["lr"] == opt_a.param_groups[0]["lr"]
    train(model_a, opt_a, 2)
    train(model_b, opt_b, 2)
    for a, b in zip(model_a.parameters(), model_b.parameters()):
        assert b.device == device
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_state_dict_structure_and_copies():
    w, b = nn.Parameter(mg.ones(2, 2)), nn.Parameter(mg.zeros(2))
    opt = optim.Adam([w, b], lr=0.1)
    w.grad, b.grad = mg.ones(2, 2), mg.ones(2)
    opt.step()
    state = opt.state_dict()
    assert state["param_groups"] == [{"lr": 0.1, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0,
                                      "maximize": False, "params": [0, 1]}]
    assert sorted(state["state"][0]) == ["exp_avg", "exp_avg_sq", "step"] and state["state"][0]["step"] == 1
    state["state"][0]["exp_avg"][...] = 100.0
    assert np.all(backend.to_numpy(opt.state[0]["exp_avg"]) < 1)


def test_load_state_dict_errors():
    w, b = nn.Parameter(mg.ones(2, 2)), nn.Parameter(mg.zeros(2))
    opt = optim.SGD([w, b], lr=0.1, momentum=0.9)
    w.grad, b.grad = mg.ones(2, 2), mg.ones(2)
    opt.step()
    state = opt.state_dict()
    with pytest.raises(ValueError, match="group 0 has 2 parameters in the state dict, 1 in the optimizer"):
        optim.SGD([w], lr=0.1).load_state_dict(state)
    with pytest.raises(ValueError, match=r"momentum_buffer of parameter 0 has shape \(2, 2\), .* \(4,\)"):
        optim.SGD([nn.Parameter(mg.ones(4)), b], lr=0.1).load_state_dict(state)
    with pytest.raises(ValueError, match="2 parameter groups, the optimizer has 1"):
        opt.load_state_dict({"state": {}, "param_groups": state["param_groups"] * 2})
    with pytest.raises(ValueError, match="keys 'state' and 'param_groups'"):
        opt.load_state_dict({"0.weight": np.ones(2)})


def test_repr_lists_the_groups():
    text = repr(optim.SGD([nn.Parameter(mg.ones(1))], lr=0.1))
    assert text == (
        "SGD (\nParameter Group 0\n    lr: 0.1\n    momentum: 0\n    weight_decay: 0\n    maximize: False\n)"
    )
