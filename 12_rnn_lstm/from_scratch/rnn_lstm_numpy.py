"""A vanilla RNN and an LSTM from scratch in NumPy, plus an LSTM forecaster trained by BPTT.

Recurrent networks read a sequence one step at a time and carry a hidden state h_t from
step to step, so what they output at step t can depend on everything seen before it.

Vanilla RNN (PyTorch's ``nn.RNN``, tanh):

    h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)

LSTM (PyTorch's ``nn.LSTM``), gates stacked in PyTorch's order i, f, g, o:

    [z_i; z_f; z_g; z_o] = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh     (4H numbers per sample)
    i = σ(z_i)   f = σ(z_f)   g = tanh(z_g)   o = σ(z_o)
    c_t = f ⊙ c_{t-1} + i ⊙ g           the cell state: a mostly-additive memory lane
    h_t = o ⊙ tanh(c_t)

The cell update is additive, so the gradient flowing back along c is multiplied by f at
each step instead of by W_hh and a tanh derivative: with f ≈ 1 it survives many steps.
That is why LSTMs learn longer dependencies than vanilla RNNs.

Parameters use PyTorch's names and shapes exactly (``weight_ih_l0`` (gates·H, I),
``weight_hh_l0`` (gates·H, H), ``bias_ih_l0``, ``bias_hh_l0``, then ``..._l1`` for the
second layer), so ``load_state_dict(torch_model.state_dict())`` copies weights across.
Everything is batch-first: inputs are (batch, seq_len, input_size).

Speed: the input projection W_ih x_t + b does not depend on the previous step, so it is
computed for ALL time steps in one matmul; only the W_hh h_{t-1} part loops over time.
"""

import argparse

import numpy as np

import journey
from journey import parity
from journey.cli import deep_learning_flags
from journey.estimator import BaseEstimator, RegressorMixin
from journey.timing import median_time
from journey.validation import check_is_fitted, check_option

sigmoid = journey.load_stage("02", "from_scratch/logistic_regression_numpy.py").sigmoid
_recurrent = journey.load_stage("12", "from_scratch/_recurrent.py")
Adam = journey.load_stage("12", "from_scratch/adam_numpy.py").Adam  # trains the forecaster


def rnn_cell(x_proj, h_prev, w_hh, activation=np.tanh):
    """One RNN step: h_t = φ(x_proj + h_{t-1} W_hhᵀ), where x_proj = x_t W_ihᵀ + b."""
    # BEGIN SOLUTION 12.2
    # task: one RNN step for the whole batch: h_t = φ(x_proj + h_{t-1} W_hhᵀ)
    # hint: h_prev is (B, H) and w_hh (H, H): the recurrent term is h_prev @ w_hh.T
    return activation(x_proj + h_prev @ w_hh.T)
    # END SOLUTION


def rnn_layer_forward(x, h0, w_ih, w_hh, bias, activation=np.tanh) -> np.ndarray:
    """Every step's hidden state (B, T, H): the cell applied along the sequence."""
    x_proj = x @ w_ih.T + bias  # all time steps in one matmul
    outputs = np.empty((*x.shape[:2], w_hh.shape[1]), dtype=x.dtype)
    h = h0
    for t in range(x.shape[1]):
        h = rnn_cell(x_proj[:, t], h, w_hh, activation)
        outputs[:, t] = h
    return outputs


def lstm_cell(x_proj, h_prev, c_prev, w_hh):
    """One LSTM step, gate by gate; ``x_proj`` = x_t W_ihᵀ + b was computed before the loop.

    Returns h_t, c_t and the four gate activations (i, f, g, o side by side) for backward.
    """
    # BEGIN SOLUTION 12.3
    # task: the four gates from x_proj + h_{t-1} W_hhᵀ, then c_t and h_t; return h, c, [i f g o]
    # hint: np.split(…, 4, axis=1) in PyTorch's order i, f, g, o; c = f⊙c_prev + i⊙g, h = o⊙tanh(c)
    z_i, z_f, z_g, z_o = np.split(x_proj + h_prev @ w_hh.T, 4, axis=1)
    i = sigmoid(z_i)  # input gate: how much of the candidate to write
    f = sigmoid(z_f)  # forget gate: how much of the old memory to keep
    g = np.tanh(z_g)  # candidate values
    o = sigmoid(z_o)  # output gate: how much of the memory to show
    c = f * c_prev + i * g
    h = o * np.tanh(c)
    return h, c, np.concatenate([i, f, g, o], axis=1)
    # END SOLUTION


def lstm_layer_forward(x, h0, c0, w_ih, w_hh, bias):
    """One LSTM layer over every step: its outputs (B, T, H) and what backward needs.

    The cache's h and c keep the initial state at index 0 and step t at index t + 1.
    """
    (batch, steps, _), hidden = x.shape, w_hh.shape[1]
    x_proj = x @ w_ih.T + bias  # (B, T, 4H): every step's input part at once
    gates = np.empty((batch, steps, 4 * hidden), dtype=x.dtype)
    h = np.empty((batch, steps + 1, hidden), dtype=x.dtype)
    c = np.empty((batch, steps + 1, hidden), dtype=x.dtype)
    h[:, 0], c[:, 0] = h0, c0
    for t in range(steps):
        h[:, t + 1], c[:, t + 1], gates[:, t] = lstm_cell(x_proj[:, t], h[:, t], c[:, t], w_hh)
    return h[:, 1:], {"x": x, "gates": gates, "h": h, "c": c}


def lstm_cell_backward(dh, dc_next, gates, c_prev, c, w_hh):
    """One step of BPTT: ∂L/∂z of the four gates, then dh_{t-1} and dc_{t-1}.

    With s = tanh(c_t):   ∂L/∂o = dh ⊙ s,   dc = dc_next + dh ⊙ o ⊙ (1 - s²),
    ∂L/∂i = dc ⊙ g,   ∂L/∂g = dc ⊙ i,   ∂L/∂f = dc ⊙ c_{t-1},   dc_{t-1} = dc ⊙ f,
    then through the non-linearities (σ' = σ(1-σ), tanh' = 1-tanh²) to the pre-activations
    dz_t, and dh_{t-1} = dz_t W_hh.
    """
    # BEGIN SOLUTION 12.4
    # task: one LSTM step backward: dz (the four gates' pre-activations), dh_{t-1} and dc_{t-1}
    # hint: follow the docstring; σ' = σ(1 − σ), tanh' = 1 − tanh²; return dz, dz @ w_hh, dc ⊙ f
    i, f, g, o = np.split(gates, 4, axis=1)
    s = np.tanh(c)
    dc = dc_next + dh * o * (1.0 - s * s)
    dz_i = dc * g * i * (1.0 - i)
    dz_f = dc * c_prev * f * (1.0 - f)
    dz_g = dc * i * (1.0 - g * g)
    dz_o = dh * s * o * (1.0 - o)
    dz = np.concatenate([dz_i, dz_f, dz_g, dz_o], axis=1)
    return dz, dz @ w_hh, dc * f
    # END SOLUTION


def lstm_layer_backward(d_out, dh_next, dc_next, cache, w_ih, w_hh):
    """BPTT through one layer, from the last step to the first.

    Returns ∂L/∂x, ∂L/∂h0, ∂L/∂c0 and the weight gradients. Those are sums over time of
    outer products, so they are computed after the loop in one matmul each.
    """
    gates, h, c = cache["gates"], cache["h"], cache["c"]
    # BEGIN SOLUTION 12.5
    # task: BPTT: steps T−1 … 0 through lstm_cell_backward, then the weight gradients and ∂L/∂x
    # hint: dh_t = d_out[:, t] + what step t+1 sent back; ∂L/∂W_hh = Σ_t dz_tᵀ h_{t-1}, b: Σ_t dz_t
    dz = np.empty_like(gates)
    for t in reversed(range(d_out.shape[1])):
        dh = d_out[:, t] + dh_next
        dz[:, t], dh_next, dc_next = lstm_cell_backward(
            dh, dc_next, gates[:, t], c[:, t], c[:, t + 1], w_hh
        )
    flat_dz = dz.reshape(-1, dz.shape[2])
    d_bias = flat_dz.sum(axis=0)
    grads = {
        "weight_ih": flat_dz.T @ cache["x"].reshape(len(flat_dz), -1),
        "weight_hh": flat_dz.T @ h[:, :-1].reshape(len(flat_dz), -1),
        "bias_ih": d_bias,
        "bias_hh": d_bias.copy(),
    }
    return dz @ w_ih, dh_next, dc_next, grads
    # END SOLUTION


class RNN(_recurrent.Recurrent):
    """Elman RNN: ``nn.RNN(input_size, hidden_size, num_layers, batch_first=True)``'s twin."""

    def __init__(
        self, input_size, hidden_size, num_layers=1, *, nonlinearity="tanh", seed=0, dtype=float
    ):
        check_option(nonlinearity, "nonlinearity", ("tanh", "relu"))
        super().__init__(input_size, hidden_size, num_layers, seed=seed, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, x, h0=None) -> tuple[np.ndarray, np.ndarray]:
        """Run the sequence; return ``(output (B, T, H) of the last layer, h_n (layers, B, H))``."""
        x = self.check_input(x)
        h0 = self.check_state(h0, len(x), "h0")
        activation = np.tanh if self.nonlinearity == "tanh" else lambda z: np.maximum(z, 0.0)
        h_n = []
        for layer in range(self.num_layers):
            x = rnn_layer_forward(x, h0[layer], *self.layer_weights(layer), activation)
            h_n.append(x[:, -1])
        return x, np.stack(h_n)

    __call__ = forward


class LSTM(_recurrent.Recurrent):
    """``nn.LSTM(input_size, hidden_size, num_layers, batch_first=True)``'s twin, with BPTT."""

    gates = 4

    def forward(self, x, state=None) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
        """Run the sequence; return ``(output (B, T, H), (h_n, c_n))`` like PyTorch.

        ``state`` is an optional ``(h0, c0)``, each (num_layers, batch, hidden_size); zeros if
        omitted. The activations are kept for ``backward``.
        """
        x = self.check_input(x)
        h0, c0 = (None, None) if state is None else state
        h0, c0 = self.check_state(h0, len(x), "h0"), self.check_state(c0, len(x), "c0")
        self._caches, h_n, c_n = [], [], []
        for layer in range(self.num_layers):
            x, cache = lstm_layer_forward(x, h0[layer], c0[layer], *self.layer_weights(layer))
            self._caches.append(cache)
            h_n.append(cache["h"][:, -1])
            c_n.append(cache["c"][:, -1])
        return x, (np.stack(h_n), np.stack(c_n))

    __call__ = forward

    def backward(self, d_output, d_state=None) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
        """Backpropagation through time for the last ``forward`` call, top layer first.

        ``d_output`` = ∂L/∂output (B, T, H); ``d_state`` = optional (∂L/∂h_n, ∂L/∂c_n).
        Fills ``self.grads`` (same names as the parameters) and returns
        ``(∂L/∂x, (∂L/∂h0, ∂L/∂c0))``.
        """
        d_output, dh_n, dc_n = self.check_backward(d_output, d_state)
        self.grads, dh0, dc0 = {}, [], []
        for layer in reversed(range(self.num_layers)):
            w_ih, w_hh, _ = self.layer_weights(layer)
            d_output, dh, dc, grads = lstm_layer_backward(
                d_output, dh_n[layer], dc_n[layer], self._caches[layer], w_ih, w_hh
            )
            self.grads.update({f"{name}_l{layer}": grad for name, grad in grads.items()})
            dh0.insert(0, dh)
            dc0.insert(0, dc)
        return d_output, (np.stack(dh0), np.stack(dc0))


class LSTMForecaster(_recurrent.ForecasterWeights, RegressorMixin, BaseEstimator):
    """LSTM → Linear on the last hidden state: past window (n, window) → next ``horizon`` values.

    Twin of the stage's PyTorch ``LSTMForecaster`` (``lstm.*`` and ``head.weight`` /
    ``head.bias`` in its state dict). Trained with MSE and mini-batch Adam:

        ŷ = W_head h_T + b_head,   L = mean((ŷ - y)²),   ∂L/∂ŷ = 2 (ŷ - y) / (n · horizon)
    """

    def __init__(
        self,
        hidden_size=32,
        num_layers=1,
        horizon=10,
        *,
        learning_rate=1e-2,
        batch_size=64,
        epochs=30,
        seed=0,
    ):
        self._store_hyperparameters(locals())

    def fit(self, X, y) -> "LSTMForecaster":
        """Mini-batch Adam on shuffled windows (the shuffling is seeded)."""
        _recurrent.check_forecaster(self)
        X, y = _recurrent.check_windows(X, y, self.horizon)
        self._init_network()
        optimizer = Adam(self.parameters(), lr=self.learning_rate)
        rng = np.random.default_rng(self.seed)
        self.loss_curve_ = []
        for _ in journey.progress(range(self.epochs), desc="numpy LSTM epochs"):
            order, total = rng.permutation(len(X)), 0.0
            for start in range(0, len(X), self.batch_size):
                batch = order[start : start + self.batch_size]
                loss, grads = self.loss_and_gradients(X[batch], y[batch])
                optimizer.step(grads)
                total += loss * len(batch)
            self.loss_curve_.append(total / len(X))
        return self

    def _forward(self, X) -> tuple[np.ndarray, np.ndarray]:
        """Forecasts and the last hidden state h_T for windows X (n, window)."""
        output, _ = self.lstm_.forward(X[:, :, None])  # one feature per time step
        h_last = output[:, -1]
        return h_last @ self.head_["weight"].T + self.head_["bias"], h_last

    def loss_and_gradients(self, X, y) -> tuple[float, dict[str, np.ndarray]]:
        """MSE on (X, y) and its gradient for every parameter, keyed like ``state_dict()``."""
        pred, h_last = self._forward(X)
        d_pred = 2.0 * (pred - y) / y.size
        d_output = np.zeros((*X.shape, self.lstm_.hidden_size))
        d_output[:, -1] = d_pred @ self.head_["weight"]  # only h_T feeds the head
        self.lstm_.backward(d_output)
        grads = {f"lstm.{k}": v for k, v in self.lstm_.grads.items()}
        grads["head.weight"] = d_pred.T @ h_last
        grads["head.bias"] = d_pred.sum(axis=0)
        return float(np.mean((pred - y) ** 2)), grads

    def predict(self, X) -> np.ndarray:
        """Forecasts (n_windows, horizon)."""
        check_is_fitted(self, "lstm_")
        return self._forward(_recurrent.check_windows(X))[0]

    def _init_network(self) -> None:
        """A fresh LSTM and head, each parameter ~ U(-1/√H, 1/√H) like PyTorch's."""
        self.lstm_ = LSTM(1, self.hidden_size, self.num_layers, seed=self.seed)
        bound = 1.0 / np.sqrt(self.hidden_size)
        rng = np.random.default_rng(self.seed + 1)
        self.head_ = {
            "weight": rng.uniform(-bound, bound, (self.horizon, self.hidden_size)),
            "bias": rng.uniform(-bound, bound, self.horizon),
        }


def main() -> None:
    from journey.plotting import pyplot

    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        parents=[deep_learning_flags(epochs=10 if journey.is_quick() else 15, device=False)],
        epilog="The series is generated from --seed, so --data-dir is not used by this stage.",
    )
    parser.add_argument("--hidden-size", type=int, default=32, help="LSTM units (default: 32)")
    args = parser.parse_args()
    timeseries = journey.load_stage("12", "from_scratch/_timeseries.py")

    n_steps, window, horizon = (600 if journey.is_quick() else 2000), 40, 10
    X_train, y_train, X_test, y_test = timeseries.forecasting_split(
        n_steps, window, horizon, seed=args.seed
    )
    print(
        f"{len(X_train)} training windows, {len(X_test)} held-out windows "
        f"(window {window}, horizon {horizon})"
    )

    model = LSTMForecaster(args.hidden_size, horizon=horizon, epochs=args.epochs, seed=args.seed)
    seconds, _ = median_time(lambda: model.fit(X_train, y_train), repeats=1, warmup=0)
    curve = model.loss_curve_
    print(
        f"train MSE {curve[0]:.4f} after epoch 1, {curve[-1]:.4f} after epoch {len(curve)}; "
        f"{seconds / args.epochs:.2f} s/epoch (NumPy BPTT)"
    )

    mse_model = timeseries.mse(model.predict(X_test), y_test)
    mse_naive = timeseries.mse(timeseries.naive_forecast(X_test, horizon), y_test)
    print(f"held-out MSE: NumPy LSTM {mse_model:.4f}, naive last value {mse_naive:.4f}")
    parity.at_least(
        "NumPy LSTM forecaster: improvement over naive baseline", 1 - mse_model / mse_naive, 0.5
    )

    fig, ax = pyplot().subplots(figsize=(6, 3.5))
    ax.semilogy(range(1, len(model.loss_curve_) + 1), model.loss_curve_, marker="o")
    ax.set(xlabel="epoch", ylabel="training MSE", title="NumPy LSTM forecaster (BPTT + Adam)")
    journey.save_figure(fig, "12_rnn_lstm", "numpy_lstm_loss")


if __name__ == "__main__":
    main()
