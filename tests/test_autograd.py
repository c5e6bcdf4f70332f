"""The engine: backward order and depth, accumulation, no_grad, mg.grad, the in-place guard, clear errors."""
import time

import numpy as np
import pytest

import minigan as mg
from minigan import functional as F


# ---------------------------------------------------------------- the backward pass
def test_a_graph_10000_ops_deep_backpropagates_iteratively_and_fast():
    """Python's recursion limit is 1000: a recursive backward would fail long before 10,000 ops."""
    x = mg.tensor([0.5, -1.0], requires_grad=True, dtype=np.float64)
    y = x
    start = time.perf_counter()
    for _ in range(10_000):
        y = y + x
    y.sum().backward()
    elapsed = time.perf_counter() - start
    np.testing.assert_array_equal(x.grad.numpy(), [10_001, 10_001])
    assert elapsed < 5, f"10,000 adds forward and backward took {elapsed:.2f} s"


def test_a_graph_10000_ops_deep_differentiates_twice():
    x = mg.tensor([0.3], requires_grad=True, dtype=np.float64)
    y = x
    for _ in range(10_000):
        y = F.tanh(y)
    (g,) = mg.grad(y.sum(), [x], create_graph=True)
    g.sum().backward()
    # the same chain rule in NumPy, step by step:
    # v ← tanh v,  v' ← (1 − v²) v',  v'' ← (1 − v²) v'' − 2v (1 − v²) v'²
    v, d1, d2 = 0.3, 1.0, 0.0
    for _ in range(10_000):
        v = np.tanh(v)
        d1, d2 = (1 - v * v) * d1, (1 - v * v) * d2 - 2 * v * (1 - v * v) * d1 * d1
    np.testing.assert_allclose([g.item(), x.grad.item()], [d1, d2], rtol=1e-9)


def test_every_function_runs_once_after_all_its_consumers():
    """h feeds both a long chain and the final sum: its gradient must collect both paths before it moves on."""
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2.0
    z = h
    for _ in range(5):
        z = z * 1.5
    (z + h).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2 * (1.5**5 + 1)] * 2, rtol=1e-6)


def test_backward_twice_adds_twice_into_a_new_grad_tensor():
    """Documented behaviour: the graph is kept, each backward adds, and .grad is replaced (never modified)."""
    x = mg.tensor([1.0, -2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    first = x.grad
    y.backward()
    assert x.grad is not first
    np.testing.assert_array_equal(first.numpy(), [2, -4])  # untouched by the second backward
    np.testing.assert_array_equal(x.grad.numpy(), [4, -8])
    x.grad = None
    (3 * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3, 3])


def test_backward_with_an_explicit_gradient_for_a_non_scalar():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).backward(mg.tensor([1.0, 0.0, -1.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [2, 0, -6])


def test_backward_errors_say_what_is_wrong():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"output has shape \(2,\); pass grad="):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        mg.tensor([1.0]).sum().backward()
    with pytest.raises(ValueError, match=r"grad has shape \(3,\), output has shape \(2,\)"):
        (x * 2).backward(mg.ones(3))


def test_detach_cuts_the_graph():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    d = (x * 2).detach()
    assert d.creator is None and not d.requires_grad
    assert (d * x).creator is not None and (d * d).creator is None


# ---------------------------------------------------------------- no_grad / enable_grad
def test_no_grad_records_nothing_and_enable_grad_turns_it_back_on():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with mg.no_grad():
        y = F.exp(x * 2)
        assert not mg.is_grad_enabled()
        with mg.enable_grad():
            z = x * 2
    assert mg.is_grad_enabled()
    assert y.creator is None and not y.requires_grad
    assert z.creator is not None and z.requires_grad


def test_no_grad_as_a_decorator_and_restored_after_an_exception():
    @mg.no_grad()
    def sample(t):
        return t * 2

    x = mg.tensor([1.0], requires_grad=True)
    assert sample(x).creator is None
    with pytest.raises(KeyError):
        with mg.no_grad():
            raise KeyError
    assert mg.is_grad_enabled() and (x * 2).creator is not None


# ---------------------------------------------------------------- mg.grad
def test_gradient_penalty_second_derivative_matches_the_analytic_value():
    """GP(w) = mean_b (‖∇ₓ D(x_b)‖ − 1)² with D(x) = tanh(x·w): ∇ₓ D = (1 − t²) w, t = tanh(x·w), so
    dGP/dw = mean_b 2(‖∇ₓD‖ − 1) [−2 t (1 − t²) ‖w‖ x_b + (1 − t²) w / ‖w‖]."""
    rng = np.random.default_rng(0)
    x_np, w_np = rng.standard_normal((4, 3)), rng.standard_normal((3, 1))
    x = mg.tensor(x_np, requires_grad=True, dtype=np.float64)
    w = mg.tensor(w_np, requires_grad=True, dtype=np.float64)
    D = F.tanh(x @ w).sum()
    (gx,) = mg.grad(D, [x], create_graph=True)
    gp = (((gx * gx).sum(axis=1).sqrt() - 1) ** 2).mean()
    gp.backward()

    t = np.tanh(x_np @ w_np)  # (4, 1)
    norm_w = np.linalg.norm(w_np)
    grad_norm = (1 - t**2) * norm_w
    np.testing.assert_allclose(gx.numpy(), (1 - t**2) * w_np.T, rtol=1e-12)
    per_point = 2 * (grad_norm - 1) * (-2 * t * (1 - t**2) * norm_w * x_np + (1 - t**2) * w_np.T / norm_w)
    np.testing.assert_allclose(w.grad.numpy(), per_point.mean(axis=0)[:, None], rtol=1e-10)


def test_grad_returns_gradients_without_touching_dot_grad():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    (g,) = mg.grad((x * x * x).sum(), [x])
    np.testing.assert_array_equal(g.numpy(), [3, 12])
    assert x.grad is None and g.creator is None  # no create_graph: a plain result


def test_grad_of_intermediate_tensors():
    a = mg.tensor([1.0, 2.0], requires_grad=True)
    h = a * 3.0
    y = (h * h).sum()
    (gh,) = mg.grad(y, [h])
    np.testing.assert_array_equal(gh.numpy(), [6, 12])  # 2h
    gh, ga = mg.grad(y, [h, a])
    np.testing.assert_array_equal(gh.numpy(), [6, 12])
    np.testing.assert_array_equal(ga.numpy(), [18, 36])  # 2h · 3


def test_grad_with_grad_outputs_and_several_outputs():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    (g,) = mg.grad([x * x, x * 3.0], [x], grad_outputs=[mg.tensor([1.0, 1.0]), mg.tensor([0.0, 1.0])])
    np.testing.assert_array_equal(g.numpy(), [2, 7])


def test_grad_allow_unused():
    x, unused = mg.tensor([1.0], requires_grad=True), mg.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"input 1 \(shape \(1,\)\) was not used.*allow_unused=True"):
        mg.grad((x * 2).sum(), [x, unused])
    gx, gu = mg.grad((x * 2).sum(), [x, unused], allow_unused=True)
    assert gu is None and gx.item() == 2
    with pytest.raises(RuntimeError, match="requires_grad=True"):
        mg.grad((x * 2).sum(), [mg.tensor([1.0])])


def test_backward_with_create_graph_gives_a_differentiable_grad():
    x = mg.tensor([2.0], requires_grad=True)
    (x**3).sum().backward(create_graph=True)
    first = x.grad  # 3x² = 12, itself a function of x
    (g2,) = mg.grad(first.sum(), [x])
    assert first.item() == 12 and g2.item() == 12  # 6x


# ---------------------------------------------------------------- the in-place guard
def sgd_step(p, lr=0.1):
    """What an optimizer does: change the parameter's values in place."""
    p.data -= lr * p.grad.data


def test_a_parameter_updated_before_backward_is_caught():
    """The classic GAN bug: D's weights change after G's loss used them, then G's loss is backpropagated."""
    x = mg.tensor([[1.0, 2.0]])
    W = mg.tensor([[0.5, -0.5]], requires_grad=True)
    d_loss = F.linear(x, W).sum()
    g_loss = -F.linear(x, W).sum()
    d_loss.backward()
    sgd_step(W)
    with pytest.raises(mg.InplaceModificationError, match=r"linear: a tensor of shape \(1, 2\).*modified in place"):
        g_loss.backward()
    F.linear(x, W).sum().backward()  # recomputing the forward pass after the step is the fix


@pytest.mark.parametrize("modify", [
    lambda t: t.copy_(np.array([3.0, 4.0], dtype=np.float32)),
    lambda t: t.zero_(),
    lambda t: setattr(t, "data", t.data * 2),
], ids=["copy_", "zero_", "assign .data"])
def test_every_kind_of_in_place_change_is_caught(modify):
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    y = (w * w).sum()
    modify(w)
    with pytest.raises(mg.InplaceModificationError, match="mul"):
        y.backward()


def test_a_saved_output_modified_in_place_is_caught():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    h = F.exp(x)  # exp's backward reads its output
    y = h.sum()
    h.data += 1
    with pytest.raises(mg.InplaceModificationError, match="exp"):
        y.backward()


def test_changing_a_tensor_the_op_did_not_save_is_allowed():
    """add's backward needs no values, so changing its operand afterwards changes nothing."""
    a, b = mg.tensor([1.0, 2.0], requires_grad=True), mg.tensor([3.0, 4.0], requires_grad=True)
    y = (a + b).sum()
    a.data -= 10
    b.copy_(np.zeros(2, dtype=np.float32))
    y.backward()
    np.testing.assert_array_equal(a.grad.numpy(), [1, 1])
    np.testing.assert_array_equal(b.grad.numpy(), [1, 1])


# ---------------------------------------------------------------- clear errors
def int_tensor():
    return mg.tensor([1, 2], dtype=np.int64)


ERRORS = [
    ("matmul shapes", lambda: mg.ones(2, 3) @ mg.ones(4, 2), ValueError,
     r"matmul: shapes \(2, 3\) and \(4, 2\) do not fit"),
    ("matmul of a vector", lambda: F.matmul(mg.ones(3), mg.ones(4, 2)), ValueError,
     r"matmul: shapes \(3,\) and \(4, 2\) do not fit \(3 != 4\)"),
    ("matmul of a 0-d tensor", lambda: F.matmul(mg.tensor(2.0), mg.ones(3)), ValueError,
     r"matmul: both operands need at least 1 dimension, got shapes \(\) and \(3,\)"),
    ("add broadcasting", lambda: mg.ones(2, 3) + mg.ones(4), ValueError,
     r"(?s)operands could not be broadcast.*\nadd: raised by Add.forward \(input shapes: \(2, 3\), \(4,\)\)"),
    ("mul broadcasting", lambda: mg.ones(2, 3) * mg.ones(2), ValueError, r"(?s)\nmul: .*\(2, 3\), \(2,\)"),
    ("linear input", lambda: F.linear(mg.ones(5, 3), mg.ones(4, 2)), ValueError,
     r"linear: input of shape \(5, 3\) does not fit weight of shape \(4, 2\)"),
    ("linear bias", lambda: F.linear(mg.ones(5, 3), mg.ones(4, 3), mg.ones(3)), ValueError,
     r"(?s)\nlinear: .*\(input shapes: \(5, 3\), \(4, 3\), \(3,\)\)"),
    ("concatenate shapes", lambda: F.cat([mg.ones(2, 3), mg.ones(2, 4)]), ValueError,
     r"(?s)\nconcatenate: .*\(2, 3\), \(2, 4\)"),
    ("getitem out of range", lambda: mg.ones(3)[5], IndexError, r"(?s)\ngetitem: .*\(input shapes: \(3,\)\)"),
    ("int + number", lambda: int_tensor() + 1, TypeError,
     "add: left operand must be a floating-point tensor, got dtype int64"),
    ("float * int", lambda: mg.ones(2) * int_tensor(), TypeError, "mul: right operand must be a floating-point"),
    ("exp of int", lambda: F.exp(int_tensor()), TypeError, "exp: input must be a floating-point tensor"),
    ("sum of int", lambda: int_tensor().sum(), TypeError, "sum: input must be a floating-point tensor"),
    ("neg of int", lambda: -int_tensor(), TypeError, "neg: input must be a floating-point tensor"),
    ("relu of an array", lambda: F.relu(np.ones(2)), TypeError, "relu: input must be a Tensor, got ndarray"),
    ("mixed dtypes", lambda: mg.ones(2) * mg.ones(2, dtype=np.float64), TypeError,
     r"mul: inputs have different dtypes \(float32, float64\)"),
    ("float64 array operand", lambda: mg.ones(2, device="cpu") + np.ones(2), TypeError,
     r"add: inputs have different dtypes \(float32, float64\)"),
    ("mixed dtypes in linear", lambda: F.linear(mg.ones(2, 3, dtype=np.float64), mg.ones(4, 3)), TypeError,
     r"linear: inputs have different dtypes \(float64, float32\)"),
]


@pytest.mark.parametrize("call, error, message", [pytest.param(*e[1:], id=e[0]) for e in ERRORS])
def test_errors_name_the_op_and_what_was_wrong(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ---------------------------------------------------------------- views share their base's version counter
def test_the_stale_graph_through_W_T_of_the_issue_is_caught(device):
    W = mg.nn.Parameter(mg.tensor([[1.0, -1.0, 2.0]]))
    opt = mg.optim.SGD([W], lr=1.0)
    x = mg.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    old = (x @ W.T).sum()
    (W * W).sum().backward()
    opt.step()
    with pytest.raises(mg.InplaceModificationError, match=r"matmul: a tensor of shape \(3, 1\)"):
        old.backward()


VIEWS = {
    "W.T": lambda W: W.T,
    "reshape": lambda W: W.reshape(3, 1),
    "x[i]": lambda W: W[0],
    "slice": lambda W: W[:, 1:],
    "detach()": lambda W: W.detach(),
    "permute": lambda W: W.permute(1, 0),
    "flatten": lambda W: F.flatten(W, 0),
    "broadcast_to": lambda W: F.broadcast_to(W, (2, 1, 3)),
    "view of a view": lambda W: W.T.reshape(-1)[1:],
}


@pytest.mark.parametrize("view", VIEWS.values(), ids=VIEWS.keys())
def test_an_optimizer_step_is_caught_through_every_kind_of_view(view, device):
    """A graph through a view of W, then W updated in place, then that graph's backward."""
    W = mg.nn.Parameter(mg.tensor([[1.0, -1.0, 2.0]]))
    opt = mg.optim.SGD([W], lr=1.0)
    v, x = view(W), mg.tensor(2.0, requires_grad=True)
    old = (v * x).sum()  # mul saves the view
    (W * W).sum().backward()
    opt.step()
    with pytest.raises(mg.InplaceModificationError, match="mul"):
        old.backward()


def test_a_view_changed_in_place_is_a_change_of_its_base(device):
    W = mg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = (W * W).sum()
    W[0].zero_()
    with pytest.raises(mg.InplaceModificationError, match="mul"):
        y.backward()


def test_a_copy_is_not_a_view(device):
    """Integer-array indexing copies: changing the base afterwards leaves the copy's graph valid."""
    W = mg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    x = mg.tensor([1.0, 1.0], requires_grad=True)
    rows = W[np.array([1, 0])]
    y = (x * rows).sum()
    W.data *= 10
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4, 6])


def test_eval_mode_batch_norm_catches_a_changed_weight(device):
    bn = mg.nn.BatchNorm1d(2).eval()
    opt = mg.optim.SGD(bn.parameters(), lr=0.5)
    x = mg.randn(4, 2, requires_grad=True)
    old = bn(x).sum()  # multiplies by a reshape of bn.weight
    bn(x).sum().backward()
    opt.step()
    with pytest.raises(mg.InplaceModificationError):
        old.backward()


# ---------------------------------------------------------------- each leaf's .grad is its own array
def test_every_grad_is_a_writable_array_of_its_own(device):
    a, b = mg.tensor([1.0, 2.0], requires_grad=True), mg.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    assert a.grad is not b.grad
    a.grad.zero_()  # would fail on a read-only broadcast view, or zero b's gradient too
    np.testing.assert_array_equal(b.grad.numpy(), [1, 1])
    c = mg.tensor([1.0, 2.0], requires_grad=True)
    g = mg.tensor([5.0, 6.0])
    (c * 1.0 + c.detach()).backward(g)  # add hands the caller's gradient through
    c.grad.data *= 0
    np.testing.assert_array_equal(g.numpy(), [5, 6])
    c.grad = None
    c.backward(g)  # backward on a leaf: d(c)/d(c) = the caller's g, copied
    assert c.grad.data is not g.data


def test_a_grad_is_not_copied_when_it_is_already_its_own():
    """No copy on the hot path: linear's gradients are fresh arrays and become .grad as they are."""
    x, W = mg.randn(4, 3), mg.randn(2, 3, requires_grad=True)
    y = F.linear(x, W)
    y.backward(mg.ones(4, 2))
    assert W.grad.data.base is None and W.grad.creator is None


def test_clip_grad_in_place_after_a_broadcast():
    w = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (w.sum() * 4.0).backward()
    np.clip(w.grad.data, -1, 1, out=w.grad.data)
    np.testing.assert_array_equal(w.grad.numpy(), [1, 1, 1])


# ---------------------------------------------------------------- what backward takes
def test_backward_takes_what_pytorch_takes_and_casts_the_gradient(device):
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    (w * 2).backward(np.ones(2))  # float64 NumPy array for a float32 output: cast
    (w * 2).backward([1.0, 1.0])  # a list
    (w * 2).backward(mg.ones(2, dtype=np.float64))
    assert w.grad.dtype == np.float32
    np.testing.assert_array_equal(w.grad.numpy(), [6, 6])
    with pytest.raises(TypeError, match="backward: grad must be a Tensor, an array or numbers"):
        (w * 2).backward("ones")
    with pytest.raises(ValueError, match=r"backward: grad has shape \(3,\), output has shape \(2,\)"):
        (w * 2).backward([1.0, 1.0, 1.0])


def test_after_double_the_old_grads_follow_and_backward_works():
    layer = mg.nn.Linear(3, 2)
    layer(mg.randn(4, 3)).sum().backward()
    layer.double()
    assert layer.weight.grad.dtype == np.float64
    layer(mg.randn(4, 3, dtype=np.float64)).sum().backward()
    assert layer.weight.grad.dtype == np.float64


def test_a_grad_of_another_dtype_is_an_error_that_says_so():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    w.grad = mg.zeros(2, dtype=np.float64)
    with pytest.raises(TypeError, match=r"\.grad of a leaf of shape \(2,\) holds float64.*zero_grad"):
        (w * 2).sum().backward()


def test_an_error_in_forward_keeps_its_traceback_and_names_the_op():
    class Broken(mg.autograd.Function):
        def forward(self, x):
            return x.no_such_method()  # the student's line

    with pytest.raises(AttributeError) as info:
        Broken()(mg.ones(2))
    assert info.traceback[-1].name == "forward"  # the frame of the failing line is kept
    assert "broken: raised by Broken.forward (input shapes: (2,))" in info.value.__notes__


# ---------------------------------------------------------------- grad mode is per thread
def test_no_grad_in_one_thread_leaves_the_others_recording():
    import threading

    inside, release = threading.Event(), threading.Event()

    def sampler():
        with mg.no_grad():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=sampler)
    thread.start()
    inside.wait(5)
    try:
        assert mg.is_grad_enabled()
        assert (mg.tensor([1.0], requires_grad=True) * 2).creator is not None
    finally:
        release.set()
        thread.join()


# ---------------------------------------------------------------- Python's protocols, as in PyTorch
def test_python_protocols_behave_as_in_pytorch(device):
    assert bool(mg.tensor([0.0])) is False and bool(mg.tensor(2.0)) is True
    with pytest.raises(RuntimeError, match="more than one value is ambiguous"):
        bool(mg.tensor([1.0, 2.0]))
    assert float(mg.tensor([2.5])) == 2.5 and int(mg.tensor(-2.7)) == -2
    assert f"{mg.tensor(1 / 3):.3f}" == "0.333"
    with pytest.raises(TypeError):
        f"{mg.tensor([1.0, 2.0]):.3f}"
    assert [1, 2, 3][mg.tensor(1, dtype=np.int64)] == 2
    with pytest.raises(TypeError, match="only integer tensors"):
        [1, 2][mg.tensor(1.0)]
    with pytest.raises(ValueError, match="one element"):
        float(mg.tensor([1.0, 2.0]))
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        list(mg.tensor(1.0))
    with pytest.raises(TypeError, match="len"):
        len(mg.tensor(1.0))
    x = mg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    rows = list(x)
    assert len(rows) == 2 and rows[1].shape == (2,)
    sum(rows).sum().backward()  # each row is an indexing op: gradients flow
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((2, 2)))
    array = np.asarray(x)
    assert array.dtype == np.float32 and array.shape == (2, 2)
    np.testing.assert_array_equal(np.asarray([mg.tensor(1.0), mg.tensor(2.0)]), [1, 2])
    assert isinstance(np.ones(2, dtype=np.float32) + mg.tensor([1.0, 2.0]), mg.Tensor)



def test_fill_is_an_in_place_change_and_pytorchs_dtype_names_exist():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    y = (w * w).sum()
    assert w.fill_(3.0) is w
    np.testing.assert_array_equal(w.numpy(), [3, 3])
    with pytest.raises(mg.InplaceModificationError):
        y.backward()
    assert mg.float32 == mg.float == np.float32 and mg.float64 == mg.double == np.float64
    assert mg.zeros(2, dtype=mg.float64).dtype == np.float64


def test_size_is_pytorchs_method_and_numel_counts_the_elements():
    x = mg.zeros(4, 3, 2)
    assert x.size() == x.shape == (4, 3, 2) and x.size(0) == 4 and x.size(-1) == 2 and x.size(dim=1) == 3
    assert x.numel() == 24 and mg.tensor(5.0).numel() == 1 and mg.tensor(5.0).size() == ()
    with pytest.raises(IndexError, match="size: dim 3 is out of range"):
        x.size(3)
