"""Stage 12: NumPy RNN/LSTM vs nn.RNN/nn.LSTM (float64), BPTT vs autograd, forecasters vs naive."""

import numpy as np
import pytest
import torch

import journey
from journey.gradcheck import check_gradient, relative_error

scratch = journey.load_stage("12", "from_scratch/rnn_lstm_numpy.py")
timeseries = journey.load_stage("12", "from_scratch/_timeseries.py")
adam = journey.load_stage("12", "from_scratch/adam_numpy.py")
library = journey.load_stage("12", "library_impl/lstm_forecaster_torch.py")

BATCH, STEPS, FEATURES, HIDDEN = 4, 7, 3, 5


def _inputs(num_layers, with_state, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(BATCH, STEPS, FEATURES, generator=g, dtype=torch.float64)
    if not with_state:
        return x, None, None
    h0 = torch.randn(num_layers, BATCH, HIDDEN, generator=g, dtype=torch.float64)
    c0 = torch.randn(num_layers, BATCH, HIDDEN, generator=g, dtype=torch.float64)
    return x, h0, c0


@pytest.mark.exercise("12.3")
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("with_state", [False, True])
def test_lstm_matches_torch(num_layers, with_state):
    torch.manual_seed(num_layers)
    ref = torch.nn.LSTM(FEATURES, HIDDEN, num_layers, batch_first=True).double()
    mine = scratch.LSTM(FEATURES, HIDDEN, num_layers, seed=99).load_state_dict(ref.state_dict())
    x, h0, c0 = _inputs(num_layers, with_state)
    with torch.no_grad():
        out, (h_n, c_n) = ref(x, None if h0 is None else (h0, c0))
    state = None if h0 is None else (h0.numpy(), c0.numpy())
    my_out, (my_h, my_c) = mine(x.numpy(), state)
    assert my_out.shape == (BATCH, STEPS, HIDDEN)
    assert relative_error(my_out, out) <= 1e-10
    assert relative_error(my_h, h_n) <= 1e-10
    assert relative_error(my_c, c_n) <= 1e-10


@pytest.mark.exercise("12.2")
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_matches_torch(num_layers, with_state, nonlinearity):
    torch.manual_seed(num_layers)
    ref = torch.nn.RNN(
        FEATURES, HIDDEN, num_layers, nonlinearity=nonlinearity, batch_first=True
    ).double()
    mine = scratch.RNN(FEATURES, HIDDEN, num_layers, nonlinearity=nonlinearity).load_state_dict(
        ref.state_dict()
    )
    x, h0, _ = _inputs(num_layers, with_state)
    with torch.no_grad():
        out, h_n = ref(x, h0)
    my_out, my_h = mine(x.numpy(), None if h0 is None else h0.numpy())
    assert relative_error(my_out, out) <= 1e-10
    assert relative_error(my_h, h_n) <= 1e-10


def test_parameter_names_and_shapes_are_pytorchs():
    for cls, ref_cls in ((scratch.LSTM, torch.nn.LSTM), (scratch.RNN, torch.nn.RNN)):
        mine = cls(FEATURES, HIDDEN, 2).state_dict()
        ref = ref_cls(FEATURES, HIDDEN, 2, batch_first=True).state_dict()
        assert {k: v.shape for k, v in mine.items()} == {k: tuple(v.shape) for k, v in ref.items()}


@pytest.mark.exercise("12.3")
def test_weights_copy_from_numpy_to_torch():
    mine = scratch.LSTM(FEATURES, HIDDEN, 2, seed=3)
    ref = torch.nn.LSTM(FEATURES, HIDDEN, 2, batch_first=True).double()
    ref.load_state_dict({k: torch.from_numpy(v) for k, v in mine.state_dict().items()})
    x, _, _ = _inputs(2, False)
    with torch.no_grad():
        out, _ = ref(x)
    assert relative_error(mine(x.numpy())[0], out) <= 1e-10


@pytest.mark.exercise("12.5")
@pytest.mark.parametrize("num_layers", [1, 2])
def test_lstm_backward_matches_autograd(num_layers):
    torch.manual_seed(5)
    ref = torch.nn.LSTM(FEATURES, HIDDEN, num_layers, batch_first=True).double()
    mine = scratch.LSTM(FEATURES, HIDDEN, num_layers).load_state_dict(ref.state_dict())
    x, h0, c0 = (t.requires_grad_() for t in _inputs(num_layers, True))
    out, (h_n, c_n) = ref(x, (h0, c0))
    g = torch.Generator().manual_seed(1)
    d_out, d_h, d_c = (
        torch.randn(t.shape, generator=g, dtype=torch.float64) for t in (out, h_n, c_n)
    )
    ((out * d_out).sum() + (h_n * d_h).sum() + (c_n * d_c).sum()).backward()

    mine.forward(x.detach().numpy(), (h0.detach().numpy(), c0.detach().numpy()))
    dx, (dh0, dc0) = mine.backward(d_out.numpy(), (d_h.numpy(), d_c.numpy()))
    assert relative_error(dx, x.grad) <= 1e-8
    assert relative_error(dh0, h0.grad) <= 1e-8
    assert relative_error(dc0, c0.grad) <= 1e-8
    for name, param in ref.named_parameters():
        assert relative_error(mine.grads[name], param.grad) <= 1e-8, name


@pytest.mark.exercise("12.4")
def test_lstm_cell_backward_matches_finite_differences():
    """One step alone: ∂L/∂z is ∂L/∂x_proj (z = x_proj + h W_hhᵀ), then ∂L/∂h_{t-1}, ∂L/∂c_{t-1}."""
    rng = np.random.default_rng(3)
    x_proj, h_prev, c_prev = (rng.normal(size=shape) for shape in ((2, 4 * 3), (2, 3), (2, 3)))
    w_hh = rng.normal(size=(4 * 3, 3))
    d_h, d_c = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))

    def loss():
        h, c, _ = scratch.lstm_cell(x_proj, h_prev, c_prev, w_hh)
        return float(np.sum(h * d_h) + np.sum(c * d_c))

    _, c, gates = scratch.lstm_cell(x_proj, h_prev, c_prev, w_hh)
    dz, dh_prev, dc_prev = scratch.lstm_cell_backward(d_h, d_c, gates, c_prev, c, w_hh)
    for array, grad in ((x_proj, dz), (h_prev, dh_prev), (c_prev, dc_prev)):
        assert check_gradient(loss, array, grad) <= 1e-8


@pytest.mark.exercise("12.5")
def test_forecaster_gradients_match_finite_differences():
    X, y = timeseries.make_windows(timeseries.sine_mixture(30, seed=2), window=6, horizon=3)
    model = scratch.LSTMForecaster(hidden_size=4, horizon=3, epochs=1, seed=1).fit(X, y)
    _, grads = model.loss_and_gradients(X, y)
    params = model.parameters()
    # h = 1e-5: the loss is O(1) and some gradients O(1e-2), so h = 1e-6 is round-off bound
    for name in params:
        error = check_gradient(
            lambda: model.loss_and_gradients(X, y)[0], params[name], grads[name], h=1e-5
        )
        assert error <= 1e-8, name


@pytest.mark.exercise("12.3")
def test_forecaster_loads_torch_weights_and_predicts_the_same():
    torch.manual_seed(0)
    ref = library.LSTMForecaster(hidden_size=8, num_layers=2, horizon=library.HORIZON).double()
    mine = scratch.LSTMForecaster(hidden_size=8, num_layers=2, horizon=library.HORIZON)
    mine.load_state_dict(ref.state_dict())
    X, _ = timeseries.make_windows(
        timeseries.sine_mixture(80, seed=1), library.WINDOW, library.HORIZON
    )
    assert relative_error(mine.predict(X), library.predict(ref, X)) <= 1e-10


def _improvement(forecast, X_test, y_test):
    naive = timeseries.naive_forecast(X_test, y_test.shape[1])
    return 1 - timeseries.mse(forecast, y_test) / timeseries.mse(naive, y_test)


QUICK_SPLIT = dict(n_steps=600, window=library.WINDOW, horizon=library.HORIZON)


def test_torch_forecaster_beats_naive_baseline_by_half():
    X_train, y_train, X_test, y_test = timeseries.forecasting_split(**QUICK_SPLIT)
    torch.manual_seed(0)
    model = library.LSTMForecaster()
    library.train_forecaster(
        model, X_train, y_train, X_test, y_test, epochs=8, device="cpu", log=lambda _: None
    )
    assert _improvement(library.predict(model, X_test), X_test, y_test) >= 0.5


def test_numpy_forecaster_beats_naive_baseline_by_half():
    X_train, y_train, X_test, y_test = timeseries.forecasting_split(**QUICK_SPLIT)
    model = scratch.LSTMForecaster(epochs=10, seed=0).fit(X_train, y_train)
    assert model.loss_curve_[-1] < model.loss_curve_[0]
    assert _improvement(model.predict(X_test), X_test, y_test) >= 0.5


@pytest.mark.slow
def test_full_size_forecasters_beat_naive_baseline():
    X_train, y_train, X_test, y_test = timeseries.forecasting_split(
        2000, library.WINDOW, library.HORIZON
    )
    torch.manual_seed(0)
    model = library.LSTMForecaster()
    library.train_forecaster(
        model, X_train, y_train, X_test, y_test, epochs=20, device="cpu", log=lambda _: None
    )
    assert _improvement(library.predict(model, X_test), X_test, y_test) >= 0.5
    numpy_model = scratch.LSTMForecaster(epochs=15, seed=0).fit(X_train, y_train)
    assert _improvement(numpy_model.predict(X_test), X_test, y_test) >= 0.5


def test_series_is_seeded_and_split_chronologically():
    a, b = timeseries.sine_mixture(100, seed=4), timeseries.sine_mixture(100, seed=4)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, timeseries.sine_mixture(100, seed=5))
    X_train, y_train, X_test, _ = timeseries.forecasting_split(
        100, 10, 5, test_fraction=0.3, seed=4
    )
    assert np.array_equal(X_test[0], a[70:80])
    assert np.array_equal(y_train[-1], a[65:70])  # the last training target ends at the cut
    assert len(X_train) == 70 - 15 + 1


# ---- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [scratch.RNN, scratch.LSTM])
def test_bad_sequences_raise_clear_errors(cls):
    model = cls(FEATURES, HIDDEN)
    with pytest.raises(ValueError, match="sequence length 0"):
        model(np.zeros((2, 0, FEATURES)))
    with pytest.raises(ValueError, match="input_size=3"):
        model(np.zeros((2, 4, FEATURES + 1)))
    with pytest.raises(ValueError, match="3-D"):
        model(np.zeros((4, FEATURES)))
    x = np.zeros((2, 4, FEATURES))
    x[1, 2, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model(x)


def test_bad_states_and_weights_raise_clear_errors():
    model = scratch.LSTM(FEATURES, HIDDEN, 2)
    x = np.zeros((2, 4, FEATURES))
    with pytest.raises(ValueError, match="h0 must have shape"):
        model(x, (np.zeros((1, 2, HIDDEN)), np.zeros((2, 2, HIDDEN))))
    with pytest.raises(ValueError, match="c0 contains NaN"):
        model(x, (np.zeros((2, 2, HIDDEN)), np.full((2, 2, HIDDEN), np.nan)))
    with pytest.raises(ValueError, match="missing"):
        model.load_state_dict(torch.nn.LSTM(FEATURES, HIDDEN, 1, batch_first=True).state_dict())
    with pytest.raises(ValueError, match="weight_ih_l0 has shape"):
        model.load_state_dict(torch.nn.LSTM(FEATURES + 1, HIDDEN, 2, batch_first=True).state_dict())
    with pytest.raises(RuntimeError, match="forward"):
        scratch.LSTM(FEATURES, HIDDEN).backward(np.zeros((2, 4, HIDDEN)))
    model(x)
    with pytest.raises(ValueError, match="d_output must have"):
        model.backward(np.zeros((2, 3, HIDDEN)))


def test_non_finite_weights_are_refused():
    model = scratch.LSTM(FEATURES, HIDDEN)
    state = model.state_dict()
    state["weight_hh_l0"][0, 0] = np.nan
    with pytest.raises(ValueError, match="weight_hh_l0 contains NaN"):
        model.load_state_dict(state)
    X, y = timeseries.make_windows(timeseries.sine_mixture(30), window=6, horizon=2)
    forecaster = scratch.LSTMForecaster(hidden_size=4, horizon=2, epochs=1).fit(X, y)
    state = forecaster.state_dict()
    state["head.bias"][1] = np.inf
    with pytest.raises(ValueError, match="head.bias contains NaN or infinite"):
        forecaster.load_state_dict(state)


def test_bad_layer_settings_and_forecaster_shapes():
    with pytest.raises(ValueError, match="hidden_size must be at least 1"):
        scratch.LSTM(FEATURES, 0)
    with pytest.raises(ValueError, match="num_layers"):
        scratch.RNN(FEATURES, HIDDEN, num_layers=0)
    with pytest.raises(ValueError, match="nonlinearity"):
        scratch.RNN(FEATURES, HIDDEN, nonlinearity="sigmoid")
    X, y = np.zeros((3, 5)), np.zeros((3, 2))
    with pytest.raises(ValueError, match="horizon must be at least 1"):
        scratch.LSTMForecaster(horizon=0).fit(X, y)
    with pytest.raises(ValueError, match="learning_rate"):
        scratch.LSTMForecaster(horizon=2, learning_rate=0.0).fit(X, y)
    model = scratch.LSTMForecaster(hidden_size=4, horizon=4, epochs=1)
    with pytest.raises(ValueError, match=r"y must have shape \(n_windows, horizon\)"):
        model.fit(X, y)
    state = scratch.LSTMForecaster(hidden_size=4, horizon=2, epochs=1).fit(X, y).state_dict()
    headless = {k: v for k, v in state.items() if not k.startswith("head.")}
    with pytest.raises(ValueError, match="missing.*head"):
        scratch.LSTMForecaster(hidden_size=4, horizon=2).load_state_dict(headless)
    with pytest.raises(ValueError, match="too short"):
        timeseries.make_windows(np.zeros(5), window=4, horizon=2)


@pytest.mark.exercise("12.1")
def test_adam_matches_torch_over_several_steps():
    """Same gradients in, same parameters out: a missing bias correction would fail at step 1."""
    rng = np.random.default_rng(0)
    ours = {"w": rng.normal(size=(3, 4)), "b": rng.normal(size=4)}
    theirs = [torch.tensor(v, requires_grad=True) for v in ours.values()]
    optimizer = adam.Adam(ours, lr=0.05)
    torch_optimizer = torch.optim.Adam(theirs, lr=0.05)
    for _ in range(6):
        grads = {name: rng.normal(size=v.shape) for name, v in ours.items()}
        for param, grad in zip(theirs, grads.values(), strict=True):
            param.grad = torch.from_numpy(grad.copy())
        torch_optimizer.step()
        optimizer.step(grads)
        for mine, reference in zip(ours.values(), theirs, strict=True):
            assert relative_error(mine, reference.detach()) <= 1e-12
