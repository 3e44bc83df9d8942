"""Stage 04: the NumPy two-layer MLP against PyTorch (float64), autograd and finite differences."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import journey
from journey.data import logic_gate, standardised_split
from journey.gradcheck import numerical_gradient, relative_error

scratch = journey.load_stage("04", "from_scratch/mlp_two_layer_numpy.py")
library = journey.load_stage("04", "library_impl/mlp_two_layer_pytorch.py")

NAMES = ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]


def _data(n=40, d=5, k=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)), rng.integers(0, k, size=n)


def _pair(activation, d=5, h=7, k=3, seed=0):
    """A scratch model and a float64 torch model holding the very same weights."""
    ours = scratch.TwoLayerMLP(n_hidden=h, activation=activation, seed=seed).initialize(d, k)
    theirs = library.TwoLayerMLP(d, h, k, activation).double()
    library.copy_state_from_numpy(theirs, ours.state_dict())
    return ours, theirs


def _torch_loss_and_grads(model, X, y):
    model.zero_grad()
    loss = F.cross_entropy(model(torch.from_numpy(X)), torch.from_numpy(y))
    loss.backward()
    return loss.item(), {name: p.grad.numpy().copy() for name, p in model.named_parameters()}


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_parameter_names_and_shapes_match_nn_linear(activation):
    ours, _ = _pair(activation, d=6, h=4, k=3)
    reference = library.TwoLayerMLP(6, 4, 3, activation).state_dict()
    assert list(ours.state_dict()) == list(reference) == NAMES
    for name in NAMES:
        assert ours.state_dict()[name].shape == tuple(reference[name].shape)


@pytest.mark.exercise("04.1")
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_forward_logits_and_loss_match_torch(activation):
    ours, theirs = _pair(activation)
    X, y = _data()
    with torch.no_grad():
        logits_torch = theirs(torch.from_numpy(X))
        loss_torch = F.cross_entropy(logits_torch, torch.from_numpy(y)).item()
    assert relative_error(ours.decision_function(X), logits_torch.numpy()) <= 1e-10
    assert relative_error(ours.loss(X, y), loss_torch) <= 1e-10
    assert (
        relative_error(ours.predict_proba(X), torch.softmax(logits_torch, dim=1).numpy()) <= 1e-10
    )


@pytest.mark.exercise("04.1")
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_forward_caches_what_backward_needs(activation):
    """The cache holds the input, the pre-activation z1 = fc1(X) and the hidden units h = φ(z1)."""
    ours, theirs = _pair(activation)
    X, _ = _data()
    _, cache = scratch.forward(ours.params_, X, activation)
    with torch.no_grad():
        z1 = theirs.fc1(torch.from_numpy(X)).numpy()
    phi = np.tanh if activation == "tanh" else (lambda z: np.maximum(z, 0.0))
    np.testing.assert_array_equal(cache["X"], X)
    assert relative_error(cache["z1"], z1) <= 1e-12
    assert relative_error(cache["h"], phi(z1)) <= 1e-12


@pytest.mark.exercise("04.1")
def test_weights_copy_back_from_torch():
    theirs = library.build(5, 7, 3, "relu", seed=3, dtype=torch.float64)
    ours = scratch.TwoLayerMLP(n_hidden=7).load_state_dict(library.state_to_numpy(theirs))
    X, _ = _data()
    with torch.no_grad():
        expected = theirs(torch.from_numpy(X)).numpy()
    assert relative_error(ours.decision_function(X), expected) <= 1e-10


@pytest.mark.exercise("04.2", "04.3")
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_backprop_matches_autograd_and_finite_differences(activation):
    ours, theirs = _pair(activation, seed=1)
    X, y = _data(seed=1)
    loss, grads = ours.gradients(X, y)
    loss_torch, grads_torch = _torch_loss_and_grads(theirs, X, y)
    assert relative_error(loss, loss_torch) <= 1e-10
    for name in NAMES:
        assert relative_error(grads[name], grads_torch[name]) <= 1e-8, name
        numerical = numerical_gradient(lambda: ours.loss(X, y), ours.params_[name])
        assert relative_error(grads[name], numerical) <= 1e-8, name  # the manual-gradient bar
        assert np.abs(grads[name]).max() > 1e-6  # a zero gradient would pass trivially


@pytest.mark.exercise("04.2", "04.3")
def test_relu_derivative_at_zero_follows_torch_convention():
    """At z = 0 exactly ReLU has no derivative; both sides take 0 there."""
    ours, theirs = _pair("relu")
    X, y = np.zeros((4, 5)), np.array([0, 1, 2, 0])  # zero inputs and zero biases: z1 = 0 exactly
    _, grads = ours.gradients(X, y)
    _, grads_torch = _torch_loss_and_grads(theirs, X, y)
    for name in NAMES:
        assert relative_error(grads[name], grads_torch[name]) <= 1e-8, name


@pytest.mark.exercise("04.2", "04.3")
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_fifty_sgd_steps_on_identical_batches_agree(activation):
    ours, theirs = _pair(activation, d=6, h=16, k=4, seed=2)
    ours.learning_rate = 0.2
    X, y = _data(n=200, d=6, k=4, seed=2)
    optimizer = torch.optim.SGD(theirs.parameters(), lr=0.2)
    batches = []
    rng = np.random.default_rng(7)
    while len(batches) < 50:
        batches += scratch.minibatches(len(X), 16, rng)
    before = ours.state_dict()
    for idx in batches[:50]:
        loss = ours.train_step(X[idx], y[idx])
        loss_torch = library.train_step(
            theirs, optimizer, torch.from_numpy(X[idx]), torch.from_numpy(y[idx])
        )
        assert relative_error(loss, loss_torch) <= 1e-8
    after_torch = library.state_to_numpy(theirs)
    for name in NAMES:
        assert relative_error(ours.params_[name], after_torch[name]) <= 1e-8, name
        assert relative_error(ours.params_[name], before[name]) > 1e-3  # the weights really moved


@pytest.mark.parametrize("activation,fan", [("relu", "he"), ("tanh", "xavier")])
def test_initialisation_has_the_theoretical_spread(activation, fan):
    d, h, k = 400, 300, 200
    ours = scratch.TwoLayerMLP(n_hidden=h, activation=activation, seed=0).initialize(d, k).params_
    theirs = library.state_to_numpy(library.build(d, h, k, activation, seed=0))
    expected_std = np.sqrt(2.0 / d) if fan == "he" else np.sqrt(2.0 / (d + h))
    for params in (ours, theirs):
        assert abs(params["fc1.weight"].std() / expected_std - 1) < 0.02
        assert abs(params["fc2.weight"].std() / np.sqrt(2.0 / (h + k)) - 1) < 0.02
        assert not params["fc1.bias"].any() and not params["fc2.bias"].any()
    assert (
        scratch.TwoLayerMLP(seed=0).initialize(3, 2).state_dict()["fc1.weight"].tolist()
        == scratch.TwoLayerMLP(seed=0).initialize(3, 2).state_dict()["fc1.weight"].tolist()
    )


def test_log_softmax_is_stable_for_huge_logits():
    logits = np.array([[1000.0, 0.0, -1000.0], [5e300, 5e300, 0.0]])
    ours = scratch.log_softmax(logits)
    assert np.all(np.isfinite(ours[:, :2]))
    assert relative_error(ours, F.log_softmax(torch.from_numpy(logits), dim=1).numpy()) <= 1e-12


@pytest.mark.exercise("04.2", "04.3")
def test_float32_mode_agrees_with_float64_to_single_precision():
    X, y = _data(n=64, d=8, k=3)
    m64 = scratch.TwoLayerMLP(n_hidden=16, seed=0).initialize(8, 3)
    m32 = scratch.TwoLayerMLP(n_hidden=16, seed=0, dtype="float32").initialize(8, 3)
    _, g64 = m64.gradients(X, y)
    _, g32 = m32.gradients(X.astype(np.float32), y)
    assert g32["fc1.weight"].dtype == np.float32
    for name in NAMES:
        assert relative_error(g32[name], g64[name]) <= 1e-5


# ------------------------------------------------------------------ training quality, both sides


@pytest.mark.exercise("04.2", "04.3")
def test_both_sides_solve_xor():
    X, y = logic_gate("XOR")
    settings = dict(scratch.XOR_SETTINGS)
    ours = scratch.TwoLayerMLP(**settings, seed=0).fit(X, y)
    assert ours.score(X, y) == 1.0
    training = {k: settings.pop(k) for k in ("epochs", "learning_rate", "batch_size")}
    theirs = library.build(2, n_classes=2, seed=0, **settings)
    Xt, yt = torch.tensor(X, dtype=torch.float32), torch.tensor(y)
    library.fit(theirs, Xt, yt, seed=0, **training)
    assert library.accuracy(theirs, Xt, yt) == 1.0


def test_both_sides_reach_96_percent_on_digits():
    X_train, X_test, y_train, y_test = standardised_split("digits")
    ours = scratch.TwoLayerMLP(n_hidden=64, learning_rate=0.1, epochs=30, seed=0).fit(
        X_train, y_train
    )
    assert ours.score(X_test, y_test) >= 0.96
    assert ours.loss_curve_[-1] < ours.loss_curve_[0] / 5
    theirs = library.build(64, 64, 10, seed=0)
    curve = library.fit(
        theirs,
        torch.tensor(X_train, dtype=torch.float32),
        torch.tensor(y_train),
        epochs=30,
        learning_rate=0.1,
        seed=0,
    )
    assert (
        library.accuracy(theirs, torch.tensor(X_test, dtype=torch.float32), torch.tensor(y_test))
        >= 0.96
    )
    assert curve[-1] < curve[0] / 5


# ------------------------------------------------------------------ stage-specific bad input
# (NaN, empty or 1-D X, wrong widths, missing labels, non-integer sizes: the estimator contract)


def test_batch_methods_take_class_indices_of_the_right_width():
    model = scratch.TwoLayerMLP(n_hidden=4).initialize(5, 3)
    with pytest.raises(ValueError, match="6 features, but the model was fitted with 5"):
        model.train_step(np.zeros((2, 6)), [0, 1])
    for labels, match in [
        ([0, 1, 3], r"0\.\.2"),
        ([0, -1, 1], "0..K-1"),
        ([0, 1.5, 1], "integers"),
    ]:
        with pytest.raises(ValueError, match=match):
            model.train_step(np.zeros((3, 5)), labels)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"n_hidden": 0}, "n_hidden"),
        ({"activation": "sigmoid"}, "activation"),
        ({"learning_rate": -0.1}, "learning_rate"),
        ({"batch_size": 0}, "batch_size"),
        ({"epochs": 0}, "epochs"),
        ({"dtype": "int32"}, "dtype"),
    ],
)
def test_invalid_hyper_parameters_raise_at_fit_not_at_init(kwargs, match):
    model = scratch.TwoLayerMLP(**kwargs)  # __init__ only stores them
    X, y = _data()
    with pytest.raises(ValueError, match=match):
        model.fit(X, y)


@pytest.mark.exercise("04.2", "04.3")
def test_string_labels_name_the_probability_columns():
    X, y = _data()
    names = np.array(["cat", "ant", "bee"])
    model = scratch.TwoLayerMLP(n_hidden=8, epochs=5).fit(X, names[y])
    assert model.classes_.tolist() == ["ant", "bee", "cat"]
    proba = model.predict_proba(X)
    np.testing.assert_array_equal(model.predict(X), model.classes_[proba.argmax(axis=1)])


def test_bad_state_dicts_raise():
    model = scratch.TwoLayerMLP(n_hidden=7)
    state = library.state_to_numpy(library.build(5, 7, 3))
    with pytest.raises(ValueError, match=r"missing \['fc2.bias'\]"):
        model.load_state_dict({k: v for k, v in state.items() if k != "fc2.bias"})
    with pytest.raises(ValueError, match=r"fc1.weight has shape \(7, 5\), expected \(8, 5\)"):
        scratch.TwoLayerMLP(n_hidden=8).load_state_dict(state)
    with pytest.raises(ValueError, match=r"fc2.bias has shape \(4,\), expected \(3,\)"):
        model.load_state_dict({**state, "fc2.bias": np.zeros(4)})
    state["fc1.weight"][2, 1] = np.nan
    with pytest.raises(ValueError, match="fc1.weight contains NaN"):
        model.load_state_dict(state)


def test_load_state_dict_draws_no_weights(monkeypatch):
    state = library.state_to_numpy(library.build(5, 7, 3, seed=1))

    def no_drawing(*args, **kwargs):
        raise AssertionError("load_state_dict must not draw random weights")

    monkeypatch.setattr(scratch, "init_params", no_drawing)
    model = scratch.TwoLayerMLP(n_hidden=7).load_state_dict(state)
    for name in NAMES:
        np.testing.assert_array_equal(model.state_dict()[name], state[name])
    assert model.n_features_in_ == 5 and model.classes_.tolist() == [0, 1, 2]
