"""nn: Module bookkeeping, state dicts, layers against NumPy formulas, init, devices, dtypes, gradient checks."""
import math

import numpy as np
import pytest

import minigan as mg
from minigan import backend, nn
from minigan import functional as F
from minigan.nn import init


def numpy_of(t):
    return backend.to_numpy(t.data if isinstance(t, mg.Tensor) else t)


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.bn = nn.BatchNorm1d(4)
        self.out = nn.Linear(4, 1, bias=False)
        self.scale = nn.Parameter(mg.ones(1))

    def forward(self, x):
        return self.out(self.bn(self.fc(x)).relu()) * self.scale


# ---------------------------------------------------------------- Module bookkeeping
def test_registration_order_and_walks():
    model = TwoLayer()
    names = [name for name, _ in model.named_parameters()]
    assert names == ["scale", "fc.weight", "fc.bias", "bn.weight", "bn.bias", "out.weight"]
    assert [p.shape for p in model.parameters()] == [(1,), (4, 3), (4,), (4,), (4,), (1, 4)]
    buffers = [name for name, _ in model.named_buffers()]
    assert buffers == ["bn.running_mean", "bn.running_var", "bn.num_batches_tracked"]
    assert list(model.children()) == [model.fc, model.bn, model.out]
    assert [type(m).__name__ for m in model.modules()] == ["TwoLayer", "Linear", "BatchNorm1d", "Linear"]
    assert model.out.bias is None and "out.bias" not in model.state_dict()
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in model.parameters())


def test_shared_parameters_are_listed_once_and_reassignment_replaces():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(model.parameters())) == 2
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    model.append(nn.Tanh())
    model[0].weight = nn.Parameter(mg.zeros(2, 2))
    assert model[2].weight is model[0].weight and np.all(numpy_of(model[2].weight) == 0)


def test_assignment_errors_are_clear():
    class Forgot(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="super\\(\\).__init__"):
        Forgot()
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="parameter 'weight'"):
        layer.weight = np.zeros((2, 2), np.float32)
    with pytest.raises(TypeError, match="floating-point"):
        nn.Parameter(np.zeros(3, dtype=np.int64))
    with pytest.raises(AttributeError, match="no attribute 'missing'"):
        layer.missing
    with pytest.raises(ValueError, match="in_features must be a positive integer"):
        nn.Linear(0, 2)


def test_repr_shows_the_tree():
    text = repr(nn.Sequential(nn.Linear(2, 3), nn.LeakyReLU(0.2), nn.Sequential(nn.Dropout(0.3))))
    assert text == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (1): LeakyReLU(negative_slope=0.2)\n"
        "  (2): Sequential(\n"
        "    (0): Dropout(p=0.3)\n"
        "  )\n"
        ")"
    )
    assert repr(nn.Parameter(mg.zeros(2))).startswith("Parameter containing:\ntensor(")


def test_train_eval_and_zero_grad_reach_every_module():
    model = TwoLayer()
    assert model.eval() is model and not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    model(mg.randn(5, 3)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


# ---------------------------------------------------------------- state dicts
def test_state_dict_keys_match_pytorch_and_values_are_copies():
    model = nn.Sequential(nn.Linear(3, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 2))
    state = model.state_dict()
    # the keys and shapes of torch.nn.Sequential(Linear(3, 5), BatchNorm1d(5), ReLU(), Linear(5, 2))
    assert [(k, v.shape) for k, v in state.items()] == [
        ("0.weight", (5, 3)), ("0.bias", (5,)), ("1.weight", (5,)), ("1.bias", (5,)), ("1.running_mean", (5,)),
        ("1.running_var", (5,)), ("1.num_batches_tracked", ()), ("3.weight", (2, 5)), ("3.bias", (2,)),
    ]
    assert state["1.num_batches_tracked"].dtype == np.int64
    state["0.weight"][...] = 7
    assert not np.any(numpy_of(model[0].weight) == 7)


def test_load_state_dict_round_trip_gives_identical_outputs(device):
    mg.manual_seed(1)
    source = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Tanh())
    source(mg.randn(6, 3))  # move the running statistics away from their initial values
    mg.manual_seed(2)
    target = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Tanh())
    weight = target[0].weight
    # NumPy float64 arrays, Tensors and device arrays are all accepted, cast to float32 on the model's device
    state = {k: backend.to_numpy(v).astype(np.float64) if v.dtype.kind == "f" else v
             for k, v in source.state_dict().items()}
    state["0.bias"] = mg.tensor(state["0.bias"], device="cpu")
    result = target.load_state_dict(state)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert target[0].weight is weight and weight.dtype == np.float32 and weight.device == device
    for model in (source, target):
        model.eval()
    x = mg.randn(5, 3)
    np.testing.assert_array_equal(numpy_of(target(x)), numpy_of(source(x)))
    assert int(target[1].num_batches_tracked.item()) == 1


def test_load_state_dict_errors_list_every_problem():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    state = model.state_dict()
    del state["1.running_var"], state["0.bias"]
    state["2.weight"] = np.zeros(3, np.float32)
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict(state)
    message = str(info.value)
    assert "missing keys: 0.bias, 1.running_var" in message and "unexpected keys: 2.weight" in message
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["0.bias", "1.running_var"] and result.unexpected_keys == ["2.weight"]

    state = model.state_dict()
    state["0.weight"] = np.zeros((4, 2), np.float32)
    before = numpy_of(model[0].bias).copy()
    state["0.bias"] = before + 1
    with pytest.raises(RuntimeError, match=r"0.weight: checkpoint \(4, 2\), model \(4, 3\)"):
        model.load_state_dict(state, strict=False)
    np.testing.assert_array_equal(numpy_of(model[0].bias), before)  # nothing was half-loaded


# ---------------------------------------------------------------- layers against formulas
def test_linear_matches_formula(rng):
    layer = nn.Linear(3, 2)
    x = rng.standard_normal((4, 3)).astype(np.float32)
    expected = x @ numpy_of(layer.weight).T + numpy_of(layer.bias)
    np.testing.assert_allclose(numpy_of(layer(mg.tensor(x))), expected, rtol=1e-6)
    no_bias = nn.Linear(3, 2, bias=False)
    np.testing.assert_allclose(numpy_of(no_bias(mg.tensor(x))), x @ numpy_of(no_bias.weight).T, rtol=1e-6)


def test_activations_flatten_unflatten(rng):
    x = rng.standard_normal((2, 12)).astype(np.float32)
    t = mg.tensor(x)
    np.testing.assert_allclose(numpy_of(nn.ReLU()(t)), np.maximum(x, 0))
    np.testing.assert_allclose(numpy_of(nn.LeakyReLU(0.2)(t)), np.where(x > 0, x, 0.2 * x), rtol=1e-6)
    np.testing.assert_allclose(numpy_of(nn.LeakyReLU()(t)), np.where(x > 0, x, 0.01 * x), rtol=1e-6)
    np.testing.assert_allclose(numpy_of(nn.Sigmoid()(t)), 1 / (1 + np.exp(-x)), rtol=1e-6)
    np.testing.assert_allclose(numpy_of(nn.Tanh()(t)), np.tanh(x), rtol=1e-6)
    np.testing.assert_allclose(numpy_of(nn.Softplus()(t)), np.log1p(np.exp(x)), rtol=1e-6)
    image = nn.Unflatten(1, (3, 2, 2))(t)
    assert image.shape == (2, 3, 2, 2)
    np.testing.assert_array_equal(numpy_of(nn.Flatten()(image)), x)
    assert nn.Flatten(0, 1)(image).shape == (6, 2, 2)
    with pytest.raises(ValueError, match=r"sizes \(5, 2\) have 10 elements.*has 12"):
        nn.Unflatten(1, (5, 2))(t)


def test_sequential_container():
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    model = nn.Sequential(a, b)
    assert len(model) == 2 and list(model) == [a, b] and model[-1] is b
    assert model.append(c) is model and model[2] is c and len(model) == 3
    assert list(model[1:]) == [b, c] and list(model[1:].state_dict()) == ["2.weight", "2.bias"]
    assert list(nn.Sequential({"fc": a, "act": b}).state_dict()) == ["fc.weight", "fc.bias"]
    assert model(mg.randn(4, 2)).shape == (4, 1)
    with pytest.raises(IndexError, match="index 3 is out of range for 3 modules"):
        model[3]
    with pytest.raises(TypeError, match="must be a Module"):
        nn.Sequential(nn.ReLU(), np.tanh)


def test_batchnorm1d_train_and_eval(rng):
    layer = nn.BatchNorm1d(3, momentum=0.1)
    layer.weight.copy_(np.array([1.0, 2.0, 0.5], np.float32))
    layer.bias.copy_(np.array([0.0, -1.0, 3.0], np.float32))
    x = (rng.standard_normal((6, 3)) * 3 + 1).astype(np.float32)
    y = numpy_of(layer(mg.tensor(x)))
    mu, sigma2 = x.mean(0), x.var(0)
    gamma, beta = numpy_of(layer.weight), numpy_of(layer.bias)
    np.testing.assert_allclose(y, gamma * (x - mu) / np.sqrt(sigma2 + 1e-5) + beta, rtol=1e-5, atol=1e-5)
    # running statistics: r ← 0.9 r + 0.1 · batch statistic (the unbiased variance, as PyTorch)
    np.testing.assert_allclose(numpy_of(layer.running_mean), 0.1 * mu, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(numpy_of(layer.running_var), 0.9 + 0.1 * x.var(0, ddof=1), rtol=1e-5)
    assert int(layer.num_batches_tracked.item()) == 1
    layer.eval()
    running = numpy_of(layer.running_mean).copy(), numpy_of(layer.running_var).copy()
    y_eval = numpy_of(layer(mg.tensor(x)))
    np.testing.assert_allclose(y_eval, gamma * (x - running[0]) / np.sqrt(running[1] + 1e-5) + beta, rtol=1e-5,
                               atol=1e-5)
    np.testing.assert_array_equal(numpy_of(layer.running_mean), running[0])  # eval leaves them alone
    assert int(layer.num_batches_tracked.item()) == 1


def test_batchnorm_options(rng):
    x = rng.standard_normal((4, 2, 5)).astype(np.float32)
    cumulative = nn.BatchNorm1d(2, momentum=None, affine=False)
    assert list(cumulative.parameters()) == []
    cumulative(mg.tensor(x))
    cumulative(mg.tensor(2 * x))
    # momentum=None: the running mean is the plain average of the batch means
    np.testing.assert_allclose(numpy_of(cumulative.running_mean), 1.5 * x.mean((0, 2)), rtol=1e-5, atol=1e-7)
    untracked = nn.BatchNorm1d(2, track_running_stats=False).eval()
    assert list(untracked.state_dict()) == ["weight", "bias"]
    y = numpy_of(untracked(mg.tensor(x)))  # no running statistics: batch statistics even in eval
    np.testing.assert_allclose(y.mean((0, 2)), 0, atol=1e-6)
    with pytest.raises(ValueError, match="input has 3 channels.*num_features=2"):
        untracked(mg.randn(4, 3))
    with pytest.raises(ValueError, match=r"BatchNorm2d: expected a \(N, C, H, W\) input, got \(4, 2\)"):
        nn.BatchNorm2d(2)(mg.randn(4, 2))


def test_batchnorm2d_statistics_per_channel(rng):
    x = (rng.standard_normal((3, 2, 4, 4)) * np.array([1.0, 5.0]).reshape(1, 2, 1, 1)).astype(np.float32)
    layer = nn.BatchNorm2d(2)
    y = numpy_of(layer(mg.tensor(x)))
    mu, sigma2 = x.mean((0, 2, 3), keepdims=True), x.var((0, 2, 3), keepdims=True)
    np.testing.assert_allclose(y, (x - mu) / np.sqrt(sigma2 + 1e-5), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(numpy_of(layer.running_var), 0.9 + 0.1 * x.var((0, 2, 3), ddof=1), rtol=1e-5)


def test_dropout_train_and_eval():
    layer = nn.Dropout(0.25)
    x = mg.ones(200, 50)
    y = numpy_of(layer(x))
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1 / 0.75, rtol=1e-6)
    assert abs(kept.mean() - 0.75) < 0.02  # 10,000 draws: the standard error is 0.004
    layer.eval()
    np.testing.assert_array_equal(numpy_of(layer(x)), numpy_of(x))
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\), got 1.5"):
        nn.Dropout(1.5)


# ---------------------------------------------------------------- initialisation
def test_fan_in_and_fan_out_follow_pytorch():
    assert init.calculate_fan_in_and_fan_out((5, 3)) == (3, 5)
    assert init.calculate_fan_in_and_fan_out((8, 3, 5, 5)) == (75, 200)  # Conv2d (out, in, kh, kw)
    assert init.calculate_fan_in_and_fan_out(mg.zeros(3, 8, 4, 4)) == (128, 48)  # ConvTranspose2d (in, out, ...)
    with pytest.raises(ValueError, match="at least 2 axes"):
        init.calculate_fan_in_and_fan_out((5,))


def test_linear_init_bounds_and_statistics():
    mg.manual_seed(0)
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w, b = numpy_of(layer.weight), numpy_of(layer.bias)
    assert w.dtype == b.dtype == np.float32
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert np.abs(w).max() > 0.99 * bound  # the whole interval is used
    # U(−c, c) has mean 0 and variance c²/3; 120,000 samples pin both to well under 1 %
    assert abs(w.mean()) < 0.01 * bound and abs(w.var() / (bound**2 / 3) - 1) < 0.02


def test_init_functions_fill_in_place():
    mg.manual_seed(0)
    t = nn.Parameter(mg.zeros(200, 100))
    assert init.normal_(t, 0.5, 0.02) is t
    values = numpy_of(t)
    assert abs(values.mean() - 0.5) < 0.001 and abs(values.std() / 0.02 - 1) < 0.02 and values.dtype == np.float32
    init.uniform_(t, -2, -1)
    assert -2 <= numpy_of(t).min() and numpy_of(t).max() < -1
    init.kaiming_uniform_(t, a=0, mode="fan_out")  # ReLU gain √2: bound √(6 / fan_out)
    bound = math.sqrt(6 / 200)
    assert 0.99 * bound < np.abs(numpy_of(t)).max() <= bound
    np.testing.assert_array_equal(numpy_of(init.ones_(t)), 1)
    np.testing.assert_array_equal(numpy_of(init.zeros_(t)), 0)


def test_a_seed_gives_the_same_weights_on_every_device(device):
    mg.manual_seed(3)
    here = nn.Linear(4, 3)
    mg.manual_seed(3)
    with_cpu_default = _on_cpu(lambda: nn.Linear(4, 3))
    assert here.weight.device == device
    np.testing.assert_array_equal(numpy_of(here.weight), numpy_of(with_cpu_default.weight))
    np.testing.assert_array_equal(numpy_of(here.bias), numpy_of(with_cpu_default.bias))


def _on_cpu(make):
    previous = mg.get_device()
    mg.set_device("cpu")
    try:
        return make()
    finally:
        mg.set_device(previous)


# ---------------------------------------------------------------- devices and dtypes
def test_module_to_moves_parameters_and_buffers_in_place(device):
    model = _on_cpu(TwoLayer)
    params = list(model.parameters())
    model(mg.tensor(np.ones((4, 3)), device="cpu")).sum().backward()
    assert model.to(device) is model
    assert list(model.parameters()) == params  # the same objects: an optimizer built earlier still holds them
    assert all(t.device == device for t in list(model.parameters()) + list(model.buffers()))
    assert all(p.grad.device == device for p in model.parameters())
    assert model(mg.randn(4, 3, device=device)).device == device
    model.double()
    assert model.fc.weight.dtype == np.float64 and model.bn.num_batches_tracked.dtype == np.int64


LAYERS = [
    (lambda: nn.Linear(4, 3), (5, 4)), (nn.ReLU, (5, 4)), (nn.LeakyReLU, (5, 4)), (nn.Sigmoid, (5, 4)),
    (nn.Tanh, (5, 4)), (nn.Softplus, (5, 4)), (lambda: nn.BatchNorm1d(4), (5, 4)),
    (lambda: nn.BatchNorm2d(2), (3, 2, 2, 2)), (lambda: nn.Dropout(0.5), (5, 4)), (nn.Flatten, (3, 2, 2, 2)),
    (lambda: nn.Unflatten(1, (2, 2)), (5, 4)),
]


@pytest.mark.parametrize("make, shape", LAYERS)
def test_every_layer_keeps_float32(device, make, shape):
    layer = make()
    for mode in (True, False):
        layer.train(mode)
        x = mg.randn(*shape, requires_grad=True)
        y = layer(x)
        assert y.dtype == np.float32 and y.device == device
        y.sum().backward()
        assert x.grad.dtype == np.float32
        assert all(p.grad.dtype == np.float32 for p in layer.parameters())
        assert all(b.dtype == np.float32 for b in layer.buffers() if b.dtype.kind == "f")


# ---------------------------------------------------------------- gradient checks (train mode, float64)
def _forward_with(module, names):
    """module(x) with the parameters ``names`` replaced by gradcheck's inputs, so their gradients are checked."""
    def forward(x, *params):
        saved = dict(module._parameters)
        module._parameters.update(zip(names, params))
        try:
            return module(x)
        finally:
            module._parameters.update(saved)
    return forward


@pytest.mark.parametrize("make, shape", [
    (lambda: nn.Linear(3, 2), (4, 3)),
    (lambda: nn.BatchNorm1d(3), (4, 3)),
    (lambda: nn.BatchNorm1d(2), (3, 2, 2)),
    (lambda: nn.BatchNorm2d(2), (2, 2, 2, 3)),
])
@pytest.mark.parametrize("order", [1, 2])
def test_gradcheck_modules_in_train_mode(device, rng, make, shape, order):
    module = make().double()
    names = [name for name, _ in module.named_parameters()]
    params = [numpy_of(p) + 0.1 * rng.standard_normal(p.shape) for p in module.parameters()]
    x = backend.to_device(rng.standard_normal(shape), device)
    assert mg.gradcheck(_forward_with(module, names), [x, *params], order=order)


def test_reset_running_stats():
    bn = nn.BatchNorm2d(3)
    bn(mg.randn(4, 3, 2, 2) * 5 + 2)
    bn.reset_running_stats()
    assert np.all(bn.running_mean.numpy() == 0) and np.all(bn.running_var.numpy() == 1)
    assert int(bn.num_batches_tracked.item()) == 0


def test_numpy_integers_are_taken_as_sizes(device):
    n = np.int64(3)
    assert nn.Linear(n, np.int32(2)).weight.shape == (2, 3)
    assert nn.Conv2d(n, 4, np.int64(3), stride=(np.int64(1), 2)).weight.shape == (4, 3, 3, 3)
    assert nn.BatchNorm1d(n).weight.shape == (3,)
    assert isinstance(nn.Linear(n, 2).in_features, int)
    assert nn.Unflatten(1, (np.int64(2), 3))(mg.zeros(4, 6)).shape == (4, 2, 3)
    for bad in (1.5, True, 0, "3"):
        with pytest.raises(ValueError, match="Linear: in_features must be a positive integer"):
            nn.Linear(bad, 2)


def test_to_moves_and_casts_the_gradients_too(device):
    layer = nn.Linear(3, 2)
    layer(mg.randn(4, 3)).sum().backward()
    layer.to(dtype=np.float64)
    assert layer.weight.grad.dtype == layer.bias.grad.dtype == np.float64
    layer.float()
    assert layer.weight.grad.dtype == np.float32



def test_pytorch_code_runs_unchanged_dcgan_style(device):
    """The DCGAN tutorial's spellings: ReLU(True), LeakyReLU(0.2, inplace=True), apply(weights_init) with
    nn.init.normal_/constant_ on m.weight.data, and the loss modules."""
    def weights_init(m):
        classname = m.__class__.__name__
        if classname.find("Conv") != -1:
            nn.init.normal_(m.weight.data, 0.0, 0.02)
        elif classname.find("BatchNorm") != -1:
            nn.init.normal_(m.weight.data, 1.0, 0.02)
            nn.init.constant_(m.bias.data, 0)

    net = nn.Sequential(nn.ConvTranspose2d(4, 8, 4, 1, 0, bias=False), nn.BatchNorm2d(8), nn.ReLU(True),
                        nn.Conv2d(8, 1, 4, 1, 0, bias=False), nn.LeakyReLU(0.2, inplace=True), nn.Flatten())
    seen = []
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    assert seen[-1] == "Sequential" and seen[0] == "ConvTranspose2d"  # children first, then the module
    net.apply(weights_init)
    assert abs(float(net[0].weight.data.std()) - 0.02) < 0.005 and float(abs(net[1].bias).sum()) == 0
    out = net(mg.randn(5, 4, 1, 1))
    target = mg.ones(5, 1)
    for loss, functional in ((nn.BCEWithLogitsLoss(), F.binary_cross_entropy_with_logits),
                             (nn.MSELoss(reduction="sum"), lambda a, b: F.mse_loss(a, b, "sum")),
                             (nn.L1Loss(), F.l1_loss)):
        assert loss(out, target).item() == functional(out, target).item()
    p = F.sigmoid(out)
    assert nn.BCELoss(reduction="none")(p, target).shape == (5, 1)
    nn.BCEWithLogitsLoss()(out, target).backward()
    assert net[0].weight.grad.shape == net[0].weight.shape
    with pytest.raises(ValueError, match="reduction must be"):
        nn.MSELoss(reduction="avg")


def test_init_constant_fills_a_tensor():
    w = nn.Parameter(mg.zeros(2, 3))
    assert nn.init.constant_(w, 0.5) is w
    np.testing.assert_array_equal(w.numpy(), np.full((2, 3), 0.5))


def test_zero_grad_set_to_none_false_zeroes_in_place():
    layer = nn.Linear(3, 2)
    optimizer = mg.optim.SGD(layer.parameters(), lr=0.1)
    for zero_grad in (layer.zero_grad, optimizer.zero_grad):
        layer(mg.ones(4, 3)).sum().backward()
        grad = layer.weight.grad
        zero_grad(set_to_none=False)
        assert layer.weight.grad is grad and not grad.numpy().any()
        zero_grad()
        assert layer.weight.grad is None and layer.bias.grad is None
        zero_grad(set_to_none=False)  # no gradient yet: stays None, as in PyTorch
        assert layer.weight.grad is None
