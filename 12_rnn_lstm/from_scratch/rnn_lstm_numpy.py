"""A vanilla RNN and an LSTM from scratch in NumPy, plus an LSTM forecaster trained by BPTT.

Recurrent networks read a sequence one step at a time and carry a hidden state h_t from
step to step, so what they output at step t can depend on everything seen before it.

Vanilla RNN (PyTorch's ``nn.RNN``, tanh):

    h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)

LSTM (PyTorch's ``nn.LSTM``), gates stacked in PyTorch's order i, f, g, o:

    [i; f; g; o] = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh          (4H numbers per sample)
    i = σ(i)   f = σ(f)   g = tanh(g)   o = σ(o)
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
import time

import numpy as np

import journey
from journey import parity
from journey.validation import check_array, check_is_fitted


def sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1 / (1 + e^-x), written as (1 + tanh(x/2)) / 2, which never overflows."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _to_numpy(value, dtype) -> np.ndarray:
    """A NumPy copy of an array or of a torch tensor (duck-typed: no torch import here)."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.array(value, dtype=dtype)


class _Recurrent:
    """What the RNN and the LSTM share: PyTorch-named parameters, state dicts and input checks."""

    gates = 1  # how many H-sized blocks the weights stack (1 for an RNN, 4 for an LSTM)

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        *,
        seed: int = 0,
        dtype=np.float64,
    ):
        for name, value in (
            ("input_size", input_size),
            ("hidden_size", hidden_size),
            ("num_layers", num_layers),
        ):
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        self.input_size, self.hidden_size, self.num_layers = (
            int(input_size),
            int(hidden_size),
            int(num_layers),
        )
        self.dtype = np.dtype(dtype)
        # PyTorch's default initialisation: every parameter ~ U(-1/√H, 1/√H).
        rng = np.random.default_rng(seed)
        bound = 1.0 / np.sqrt(hidden_size)
        self.params = {
            name: rng.uniform(-bound, bound, size=shape).astype(self.dtype)
            for name, shape in self._shapes().items()
        }

    def _shapes(self) -> dict[str, tuple[int, ...]]:
        """PyTorch's parameter names and shapes, layer by layer."""
        rows, shapes = self.gates * self.hidden_size, {}
        for layer in range(self.num_layers):
            layer_input = self.input_size if layer == 0 else self.hidden_size
            shapes[f"weight_ih_l{layer}"] = (rows, layer_input)
            shapes[f"weight_hh_l{layer}"] = (rows, self.hidden_size)
            shapes[f"bias_ih_l{layer}"] = (rows,)
            shapes[f"bias_hh_l{layer}"] = (rows,)
        return shapes

    def __getattr__(self, name):
        """``model.weight_ih_l0`` works as in PyTorch."""
        params = self.__dict__.get("params", {})
        if name in params:
            return params[name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def _layer(self, layer: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        p = self.params
        return (
            p[f"weight_ih_l{layer}"],
            p[f"weight_hh_l{layer}"],
            p[f"bias_ih_l{layer}"] + p[f"bias_hh_l{layer}"],
        )

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of the parameters under PyTorch's names."""
        return {name: value.copy() for name, value in self.params.items()}

    def load_state_dict(self, state: dict) -> "_Recurrent":
        """Copy parameters in from arrays or torch tensors with PyTorch's names and shapes."""
        expected = self._shapes()
        missing, unexpected = set(expected) - set(state), set(state) - set(expected)
        if missing or unexpected:
            raise ValueError(
                f"state dict does not match this model: missing {sorted(missing)}, "
                f"unexpected {sorted(unexpected)}; build the model with the same "
                "input_size, hidden_size and num_layers (and bias=True on the torch side)"
            )
        for name, shape in expected.items():
            value = _to_numpy(state[name], self.dtype)
            if value.shape != shape:
                raise ValueError(f"{name} has shape {value.shape}, expected {shape}")
            self.params[name] = value
        return self

    def _check_input(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim != 3:
            raise ValueError(
                f"x must be 3-D (batch, seq_len, input_size), got shape {x.shape}; "
                "add a batch axis with x[None] for a single sequence"
            )
        if x.shape[1] == 0:
            raise ValueError(
                "x has sequence length 0: a recurrent network needs at least one time step"
            )
        if x.shape[0] == 0:
            raise ValueError("x has batch size 0: pass at least one sequence")
        if x.shape[2] != self.input_size:
            raise ValueError(
                f"x has {x.shape[2]} features per step, but the model expects "
                f"input_size={self.input_size}"
            )
        if not np.all(np.isfinite(x)):
            raise ValueError(
                "x contains NaN or infinite values; clean or impute the sequence first"
            )
        return x

    def _check_state(self, state, batch: int, name: str) -> np.ndarray:
        expected = (self.num_layers, batch, self.hidden_size)
        if state is None:
            return np.zeros(expected, dtype=self.dtype)
        state = np.asarray(state, dtype=self.dtype)
        if state.shape != expected:
            raise ValueError(
                f"{name} must have shape (num_layers, batch, hidden_size) = {expected}, "
                f"got {state.shape}"
            )
        if not np.all(np.isfinite(state)):
            raise ValueError(f"{name} contains NaN or infinite values")
        return state


class RNN(_Recurrent):
    """Elman RNN: ``nn.RNN(input_size, hidden_size, num_layers, batch_first=True)``'s twin."""

    gates = 1

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        *,
        nonlinearity: str = "tanh",
        seed: int = 0,
        dtype=np.float64,
    ):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, num_layers, seed=seed, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, x, h0=None) -> tuple[np.ndarray, np.ndarray]:
        """Run the sequence; return ``(output (B, T, H) of the last layer, h_n (layers, B, H))``."""
        x = self._check_input(x)
        batch, steps, _ = x.shape
        h0 = self._check_state(h0, batch, "h0")
        activation = np.tanh if self.nonlinearity == "tanh" else (lambda z: np.maximum(z, 0.0))
        layer_input, h_n = x, []
        for layer in range(self.num_layers):
            w_ih, w_hh, bias = self._layer(layer)
            x_proj = layer_input @ w_ih.T + bias  # all time steps in one matmul
            outputs = np.empty((batch, steps, self.hidden_size), dtype=self.dtype)
            h = h0[layer]
            for t in range(steps):
                h = activation(x_proj[:, t] + h @ w_hh.T)
                outputs[:, t] = h
            h_n.append(h)
            layer_input = outputs
        return layer_input, np.stack(h_n)

    __call__ = forward


class LSTM(_Recurrent):
    """``nn.LSTM(input_size, hidden_size, num_layers, batch_first=True)``'s twin, with BPTT."""

    gates = 4

    def forward(self, x, state=None) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
        """Run the sequence; return ``(output (B, T, H), (h_n, c_n))`` like PyTorch.

        ``state`` is an optional ``(h0, c0)``, each (num_layers, batch, hidden_size); zeros if
        omitted. The activations are kept for ``backward``.
        """
        x = self._check_input(x)
        batch = x.shape[0]
        h0, c0 = (None, None) if state is None else state
        h0 = self._check_state(h0, batch, "h0")
        c0 = self._check_state(c0, batch, "c0")
        self._cache, layer_input, h_n, c_n = [], x, [], []
        for layer in range(self.num_layers):
            layer_input, cache = self._forward_layer(layer, layer_input, h0[layer], c0[layer])
            self._cache.append(cache)
            h_n.append(cache["h"][:, -1])
            c_n.append(cache["c"][:, -1])
        return layer_input, (np.stack(h_n), np.stack(c_n))

    __call__ = forward

    def _forward_layer(self, layer: int, x: np.ndarray, h0: np.ndarray, c0: np.ndarray):
        """One layer over all steps. h and c keep the initial state at index 0, step t at t + 1."""
        w_ih, w_hh, bias = self._layer(layer)
        batch, steps, _ = x.shape
        H = self.hidden_size
        x_proj = x @ w_ih.T + bias  # (B, T, 4H): every step's input part at once
        gates = np.empty((batch, steps, 4 * H), dtype=self.dtype)
        h = np.empty((batch, steps + 1, H), dtype=self.dtype)
        c = np.empty((batch, steps + 1, H), dtype=self.dtype)
        h[:, 0], c[:, 0] = h0, c0
        for t in range(steps):
            z = x_proj[:, t] + h[:, t] @ w_hh.T
            act = sigmoid(z)  # i, f and o take the sigmoid ...
            act[:, 2 * H : 3 * H] = np.tanh(z[:, 2 * H : 3 * H])  # ... g takes tanh
            i, f, g, o = np.split(act, 4, axis=1)  # views, in PyTorch's gate order
            c[:, t + 1] = f * c[:, t] + i * g
            h[:, t + 1] = o * np.tanh(c[:, t + 1])
            gates[:, t] = act
        return h[:, 1:], {"x": x, "gates": gates, "h": h, "c": c}

    def backward(self, d_output, d_state=None) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
        """Backpropagation through time for the last ``forward`` call.

        ``d_output`` = ∂L/∂output (B, T, H); ``d_state`` = optional (∂L/∂h_n, ∂L/∂c_n).
        Fills ``self.grads`` (same names as the parameters) and returns
        ``(∂L/∂x, (∂L/∂h0, ∂L/∂c0))``.
        """
        if not getattr(self, "_cache", None):
            raise RuntimeError("call forward(x) before backward(...)")
        d_layer_out = np.asarray(d_output, dtype=self.dtype)
        expected = self._cache[-1]["h"][:, 1:].shape
        if d_layer_out.shape != expected:
            raise ValueError(
                f"d_output must have the output's shape {expected}, got {d_layer_out.shape}"
            )
        batch, _, hidden = expected
        if d_state is None:
            dh_n = dc_n = np.zeros((self.num_layers, batch, hidden), dtype=self.dtype)
        else:
            dh_n, dc_n = (self._check_state(s, batch, "d_state") for s in d_state)
        self.grads, dh0, dc0 = {}, [], []
        for layer in reversed(range(self.num_layers)):
            d_layer_out, dh, dc = self._backward_layer(layer, d_layer_out, dh_n[layer], dc_n[layer])
            dh0.insert(0, dh)
            dc0.insert(0, dc)
        return d_layer_out, (np.stack(dh0), np.stack(dc0))

    def _backward_layer(
        self, layer: int, d_out: np.ndarray, dh_next: np.ndarray, dc_next: np.ndarray
    ):
        """BPTT through one layer, from the last step to the first.

        With s = tanh(c_t):   ∂L/∂o = dh ⊙ s,   dc = dc_next + dh ⊙ o ⊙ (1 - s²),
        ∂L/∂i = dc ⊙ g,   ∂L/∂g = dc ⊙ i,   ∂L/∂f = dc ⊙ c_{t-1},   dc_{t-1} = dc ⊙ f,
        then through the non-linearities (σ' = σ(1-σ), tanh' = 1-tanh²) to the pre-activations
        dz_t, and dh_{t-1} = dz_t W_hh. The weight gradients are sums over time of outer
        products, so they are computed after the loop in one matmul each.
        """
        cache = self._cache[layer]
        w_ih, w_hh, _ = self._layer(layer)
        gates, h, c = cache["gates"], cache["h"], cache["c"]
        H, steps = self.hidden_size, d_out.shape[1]
        dz = np.empty_like(gates)
        for t in reversed(range(steps)):
            i, f, g, o = np.split(gates[:, t], 4, axis=1)
            dh = d_out[:, t] + dh_next
            s = np.tanh(c[:, t + 1])
            dc = dc_next + dh * o * (1.0 - s * s)
            dz[:, t, :H] = dc * g * i * (1.0 - i)
            dz[:, t, H : 2 * H] = dc * c[:, t] * f * (1.0 - f)
            dz[:, t, 2 * H : 3 * H] = dc * i * (1.0 - g * g)
            dz[:, t, 3 * H :] = dh * s * o * (1.0 - o)
            dc_next = dc * f
            dh_next = dz[:, t] @ w_hh
        flat_dz = dz.reshape(-1, 4 * H)
        self.grads[f"weight_ih_l{layer}"] = flat_dz.T @ cache["x"].reshape(len(flat_dz), -1)
        self.grads[f"weight_hh_l{layer}"] = flat_dz.T @ h[:, :-1].reshape(-1, H)
        self.grads[f"bias_ih_l{layer}"] = flat_dz.sum(axis=0)
        self.grads[f"bias_hh_l{layer}"] = self.grads[f"bias_ih_l{layer}"].copy()
        return dz @ w_ih, dh_next, dc_next


class Adam:
    """Adam (Kingma & Ba) with PyTorch's defaults, updating a dict of arrays in place.

    m ← β1 m + (1-β1) g,   v ← β2 v + (1-β2) g²,   p ← p - lr · m̂ / (√v̂ + ε)
    with the bias corrections m̂ = m / (1-β1^t), v̂ = v / (1-β2^t).
    """

    def __init__(
        self, params: dict[str, np.ndarray], lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8
    ):
        if lr <= 0:
            raise ValueError(f"lr must be > 0, got {lr}")
        self.params, self.lr, self.betas, self.eps, self.t = params, lr, betas, eps, 0
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}

    def step(self, grads: dict[str, np.ndarray]) -> None:
        b1, b2 = self.betas
        self.t += 1
        for name, p in self.params.items():
            g = grads[name]
            self.m[name] = b1 * self.m[name] + (1 - b1) * g
            self.v[name] = b2 * self.v[name] + (1 - b2) * g * g
            m_hat = self.m[name] / (1 - b1**self.t)
            v_hat = self.v[name] / (1 - b2**self.t)
            p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class LSTMForecaster:
    """LSTM → Linear on the last hidden state: past window → the next ``horizon`` values.

    Twin of the stage's PyTorch ``LSTMForecaster`` (``lstm.*`` and ``head.weight`` /
    ``head.bias`` in its state dict). Trained with MSE and Adam:

        ŷ = W_head h_T + b_head,   L = mean((ŷ - y)²),   ∂L/∂ŷ = 2 (ŷ - y) / (n · horizon)
    """

    def __init__(
        self, hidden_size: int = 32, num_layers: int = 1, horizon: int = 10, *, seed: int = 0
    ):
        if not isinstance(horizon, (int, np.integer)) or horizon < 1:
            raise ValueError(f"horizon must be a positive integer, got {horizon!r}")
        self.horizon, self.seed = int(horizon), seed
        self.lstm = LSTM(1, hidden_size, num_layers, seed=seed)
        bound = 1.0 / np.sqrt(hidden_size)
        rng = np.random.default_rng(seed + 1)
        self.head = {
            "weight": rng.uniform(-bound, bound, (horizon, hidden_size)),
            "bias": rng.uniform(-bound, bound, horizon),
        }
        self.loss_curve_ = None

    def state_dict(self) -> dict[str, np.ndarray]:
        state = {f"lstm.{k}": v for k, v in self.lstm.state_dict().items()}
        state.update({f"head.{k}": v.copy() for k, v in self.head.items()})
        return state

    def load_state_dict(self, state: dict) -> "LSTMForecaster":
        missing = [f"head.{name}" for name in ("weight", "bias") if f"head.{name}" not in state]
        if missing:
            raise ValueError(
                f"state dict has no {missing}: save the whole forecaster, head included"
            )
        self.lstm.load_state_dict({k[5:]: v for k, v in state.items() if k.startswith("lstm.")})
        for name in ("weight", "bias"):
            value = _to_numpy(state[f"head.{name}"], np.float64)
            if value.shape != self.head[name].shape:
                raise ValueError(
                    f"head.{name} has shape {value.shape}, expected {self.head[name].shape}"
                )
            self.head[name] = value
        if self.loss_curve_ is None:
            self.loss_curve_ = []  # loaded weights count as fitted
        return self

    def _check_X(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim == 2 and X.shape[1] == 0:
            raise ValueError("X has windows of length 0: each window needs at least one past value")
        return check_array(X, ndim=2, name="X")[:, :, None]  # (n, window, 1 feature)

    def _forward(self, X3: np.ndarray) -> np.ndarray:
        output, _ = self.lstm.forward(X3)
        self._h_last = output[:, -1]
        return self._h_last @ self.head["weight"].T + self.head["bias"]

    def loss_and_gradients(self, X, y) -> tuple[float, dict[str, np.ndarray]]:
        """MSE on (X, y) and its gradient for every parameter, keyed like ``state_dict()``."""
        X3, y = self._check_X(X), check_array(y, ndim=2, name="y")
        if y.shape != (len(X3), self.horizon):
            raise ValueError(
                f"y must have shape (n_windows, horizon) = {(len(X3), self.horizon)}, got {y.shape}"
            )
        pred = self._forward(X3)
        d_pred = 2.0 * (pred - y) / y.size
        d_output = np.zeros_like(self.lstm._cache[-1]["h"][:, 1:])
        d_output[:, -1] = d_pred @ self.head["weight"]
        self.lstm.backward(d_output)
        grads = {f"lstm.{k}": v for k, v in self.lstm.grads.items()}
        grads["head.weight"] = d_pred.T @ self._h_last
        grads["head.bias"] = d_pred.sum(axis=0)
        return float(np.mean((pred - y) ** 2)), grads

    def fit(
        self, X, y, *, epochs: int = 30, batch_size: int = 64, lr: float = 1e-2
    ) -> "LSTMForecaster":
        """Mini-batch Adam on shuffled windows (the shuffling is seeded)."""
        if epochs < 1 or batch_size < 1:
            raise ValueError(
                f"epochs and batch_size must be ≥ 1, got epochs={epochs}, batch_size={batch_size}"
            )
        X, y = self._check_X(X)[:, :, 0], check_array(y, ndim=2, name="y")
        if len(X) != len(y):
            raise ValueError(
                f"X and y have different lengths: {len(X)} windows but {len(y)} targets"
            )
        rng = np.random.default_rng(self.seed)
        params = {f"lstm.{k}": v for k, v in self.lstm.params.items()}
        params.update({f"head.{k}": v for k, v in self.head.items()})
        optimiser, self.loss_curve_ = Adam(params, lr=lr), []
        for _ in journey.progress(range(epochs), desc="numpy LSTM epochs"):
            order, total = rng.permutation(len(X)), 0.0
            for start in range(0, len(X), batch_size):
                batch = order[start : start + batch_size]
                loss, grads = self.loss_and_gradients(X[batch], y[batch])
                optimiser.step(grads)
                total += loss * len(batch)
            self.loss_curve_.append(total / len(X))
        return self

    def predict(self, X) -> np.ndarray:
        """Forecasts (n_windows, horizon)."""
        check_is_fitted(self, "loss_curve_")
        return self._forward(self._check_X(X))


def main() -> None:
    from journey.plotting import pyplot

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10 if journey.is_quick() else 15)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--hidden-size", type=int, default=32)
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

    model = LSTMForecaster(args.hidden_size, horizon=horizon, seed=args.seed)
    start = time.perf_counter()
    model.fit(X_train, y_train, epochs=args.epochs)
    seconds = time.perf_counter() - start
    for epoch in sorted({0, len(model.loss_curve_) - 1}):
        print(f"epoch {epoch + 1:3d}  train MSE {model.loss_curve_[epoch]:.4f}")
    print(
        f"trained {args.epochs} epochs in {seconds:.1f} s "
        f"({seconds / args.epochs:.2f} s/epoch, NumPy BPTT)"
    )

    mse_model = timeseries.mse(model.predict(X_test), y_test)
    mse_naive = timeseries.mse(timeseries.naive_forecast(X_test, horizon), y_test)
    print(f"held-out MSE: NumPy LSTM {mse_model:.4f}, naive last value {mse_naive:.4f}")
    parity.at_least(
        "NumPy LSTM forecaster: improvement over naive baseline", 1 - mse_model / mse_naive, 0.5
    )

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(range(1, len(model.loss_curve_) + 1), model.loss_curve_, marker="o")
    ax.set(
        xlabel="epoch",
        ylabel="training MSE",
        yscale="log",
        title="NumPy LSTM forecaster (BPTT + Adam)",
    )
    journey.save_figure(fig, "12_rnn_lstm", "numpy_lstm_loss")


if __name__ == "__main__":
    main()
