"""Plumbing shared by the NumPy RNN and LSTM: PyTorch-named parameters, state dicts, input checks.

Not part of the lesson: ``rnn_lstm_numpy.py`` holds the maths. Everything here makes the
NumPy layers interchangeable with ``nn.RNN`` / ``nn.LSTM`` (same parameter names and shapes,
so state dicts copy across) and refuses bad input with a message that says what to do.
"""

import numpy as np

from journey.params import checked_state, copy_params
from journey.validation import check_array, check_float, check_int, check_is_fitted


class Recurrent:
    """PyTorch-named parameters (``weight_ih_l0`` …), state dicts and input checks.

    ``gates`` is how many H-sized blocks the weights stack: 1 for an RNN, 4 for an LSTM.
    """

    gates = 1

    def __init__(self, input_size, hidden_size, num_layers=1, *, seed=0, dtype=np.float64):
        for name, value in (
            ("input_size", input_size),
            ("hidden_size", hidden_size),
            ("num_layers", num_layers),
        ):
            check_int(value, name, minimum=1)
        self.input_size, self.hidden_size = int(input_size), int(hidden_size)
        self.num_layers = int(num_layers)
        self.dtype = np.dtype(dtype)
        # PyTorch's default initialisation: every parameter ~ U(-1/√H, 1/√H).
        rng = np.random.default_rng(seed)
        bound = 1.0 / np.sqrt(hidden_size)
        self.params = {
            name: rng.uniform(-bound, bound, size=shape).astype(self.dtype)
            for name, shape in self.parameter_shapes().items()
        }

    def parameter_shapes(self) -> dict[str, tuple[int, ...]]:
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

    def layer_weights(self, layer: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(W_ih, W_hh, b_ih + b_hh)`` of one layer: only the sum of the two biases matters."""
        p = self.params
        bias = p[f"bias_ih_l{layer}"] + p[f"bias_hh_l{layer}"]
        return p[f"weight_ih_l{layer}"], p[f"weight_hh_l{layer}"], bias

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of the parameters under PyTorch's names."""
        return copy_params(self.params)

    def load_state_dict(self, state: dict) -> "Recurrent":
        """Copy parameters in from arrays or torch tensors with PyTorch's names and shapes."""
        self.params = checked_state(
            state,
            self.parameter_shapes(),
            dtype=self.dtype,
            owner=f"this {type(self).__name__}",
            hint="build the model with the same input_size, hidden_size and num_layers "
            "(and bias=True on the torch side)",
        )
        return self

    def check_input(self, x) -> np.ndarray:
        """``x`` as a finite (batch, seq_len, input_size) array of the model's dtype."""
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim != 3:
            raise ValueError(
                f"x must be 3-D (batch, seq_len, input_size), got shape {x.shape}; "
                "add a batch axis with x[None] for a single sequence"
            )
        if x.shape[1] == 0:
            raise ValueError("x has sequence length 0: a recurrent network needs one step or more")
        if x.shape[0] == 0:
            raise ValueError("x has batch size 0: pass at least one sequence")
        if x.shape[2] != self.input_size:
            raise ValueError(
                f"x has {x.shape[2]} features per step, but the model expects "
                f"input_size={self.input_size}"
            )
        if not np.all(np.isfinite(x)):
            raise ValueError("x contains NaN or infinite values; clean or impute the sequence")
        return x

    def check_state(self, state, batch: int, name: str) -> np.ndarray:
        """An initial (or upstream-gradient) state of shape (num_layers, batch, hidden_size)."""
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

    def check_backward(self, d_output, d_state):
        """``backward``'s arguments, checked against the last ``forward`` call."""
        if not getattr(self, "_caches", None):
            raise RuntimeError("call forward(x) before backward(...)")
        d_output = np.asarray(d_output, dtype=self.dtype)
        expected = self._caches[-1]["h"][:, 1:].shape
        if d_output.shape != expected:
            raise ValueError(
                f"d_output must have the output's shape {expected}, got {d_output.shape}"
            )
        dh_n, dc_n = (None, None) if d_state is None else d_state
        batch = expected[0]
        return (
            d_output,
            self.check_state(dh_n, batch, "d_state"),
            self.check_state(dc_n, batch, "d_state"),
        )


class ForecasterWeights:
    """The weights under the PyTorch twin's names: ``lstm.weight_ih_l0`` …, ``head.bias``.

    Mixed into ``LSTMForecaster``, which builds ``lstm_`` and ``head_`` in ``_init_network``.
    """

    def parameters(self) -> dict[str, np.ndarray]:
        """The live arrays (updating them updates the model), keyed like the state dict."""
        params = {f"lstm.{k}": v for k, v in self.lstm_.params.items()}
        params.update({f"head.{k}": v for k, v in self.head_.items()})
        return params

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of the weights, ready for the PyTorch twin's ``load_state_dict``."""
        check_is_fitted(self, "lstm_")
        return {name: value.copy() for name, value in self.parameters().items()}

    def load_state_dict(self, state: dict):
        """Load a whole forecaster's weights (from NumPy or PyTorch); the model counts as fitted."""
        check_forecaster(self)
        self._init_network()
        expected = {f"lstm.{k}": s for k, s in self.lstm_.parameter_shapes().items()}
        expected.update({"head.weight": self.head_["weight"].shape, "head.bias": (self.horizon,)})
        arrays = checked_state(
            state,
            expected,
            owner="LSTMForecaster",
            hint="save the whole forecaster, head included, from a model with the same "
            "hidden_size, num_layers and horizon",
        )
        self.lstm_.params = {k[5:]: v for k, v in arrays.items() if k.startswith("lstm.")}
        self.head_ = {k[5:]: v for k, v in arrays.items() if k.startswith("head.")}
        return self


def check_forecaster(model) -> None:
    """The forecaster's hyper-parameters, checked at fit as in scikit-learn."""
    for name in ("hidden_size", "num_layers", "horizon", "batch_size", "epochs"):
        check_int(getattr(model, name), name, minimum=1)
    check_float(model.learning_rate, "learning_rate", minimum=0.0, strict_minimum=True)


def check_windows(X, y=None, horizon: int | None = None):
    """Windows X (n, window) of finite numbers and, with ``y``, targets (n, horizon)."""
    X = check_array(X, ndim=2, name="X")
    if y is None:
        return X
    y = check_array(y, ndim=2, name="y")
    if len(X) != len(y):
        raise ValueError(f"X and y have different lengths: {len(X)} windows but {len(y)} targets")
    if y.shape[1] != horizon:
        raise ValueError(
            f"y must have shape (n_windows, horizon) = {(len(X), horizon)}, got {y.shape}; "
            "set horizon to the number of future values per window"
        )
    return X, y
