"""A two-layer neural network (input → hidden → output) and backpropagation, in NumPy.

    z1 = X W1ᵀ + b1          (N, H)   first affine layer, "fc1"
    h  = φ(z1)               (N, H)   hidden units, φ = ReLU or tanh
    s  = h W2ᵀ + b2          (N, K)   second affine layer, "fc2": the logits
    p  = softmax(s)          (N, K)   class probabilities
    L  = -(1/N) Σ_n log p[n, y_n]     mean cross-entropy

The parameters are stored under the names and shapes PyTorch's ``nn.Linear`` uses
(``fc1.weight`` (H, D), ``fc1.bias`` (H,), ``fc2.weight`` (K, H), ``fc2.bias`` (K,)), so a
state dict copies into the PyTorch twin and back unchanged. Training is mini-batch SGD:
θ ← θ - η ∂L/∂θ on a freshly shuffled order of the samples every epoch.

Why a hidden layer at all? A single neuron draws one straight line (stage 03) and cannot
solve XOR. The hidden layer maps the inputs to a new space h = φ(X W1ᵀ + b1) in which the
classes *are* linearly separable, and the output layer draws its line there.

Run: python mlp_two_layer_numpy.py [--epochs N] [--seed 0] [--hidden 64] [--activation relu]
"""

import argparse

import numpy as np

from journey.validation import (
    check_array,
    check_is_fitted,
    check_labels,
    check_n_features,
    check_X_y,
)

ACTIVATIONS = ("relu", "tanh")
PARAM_SHAPES = {
    "fc1.weight": ("H", "D"),
    "fc1.bias": ("H",),
    "fc2.weight": ("K", "H"),
    "fc2.bias": ("K",),
}


# ---------------------------------------------------------------------- initialisation


def init_params(
    n_features: int, n_hidden: int, n_classes: int, activation: str, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Weights drawn so that signals keep their scale from layer to layer; biases at zero.

    A unit's pre-activation sums fan_in terms, so its variance is fan_in · Var(w) · Var(input).
    - He (Kaiming) for ReLU: ReLU zeroes half of its inputs, halving the variance, so
      Var(w) = 2 / fan_in keeps it constant: w ~ N(0, 2 / fan_in).
    - Xavier (Glorot) for tanh and for the output layer: balance the forward (fan_in) and
      backward (fan_out) passes, Var(w) = 2 / (fan_in + fan_out), drawn as
      w ~ U(-a, a) with a = √(6 / (fan_in + fan_out)).
    Random weights break the symmetry between hidden units; all-zero weights would keep
    every hidden unit identical forever.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
    for name, value in (
        ("n_features", n_features),
        ("n_hidden", n_hidden),
        ("n_classes", n_classes),
    ):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")

    def xavier_uniform(fan_out, fan_in):
        a = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-a, a, size=(fan_out, fan_in))

    if activation == "relu":
        w1 = rng.standard_normal((n_hidden, n_features)) * np.sqrt(2.0 / n_features)
    else:
        w1 = xavier_uniform(n_hidden, n_features)
    return {
        "fc1.weight": w1,
        "fc1.bias": np.zeros(n_hidden),
        "fc2.weight": xavier_uniform(n_classes, n_hidden),
        "fc2.bias": np.zeros(n_classes),
    }


# ---------------------------------------------------------------------- building blocks


def activate(z: np.ndarray, activation: str) -> np.ndarray:
    """φ(z): ReLU max(0, z) or tanh(z)."""
    return np.maximum(z, 0.0) if activation == "relu" else np.tanh(z)


def activation_derivative(z: np.ndarray, h: np.ndarray, activation: str) -> np.ndarray:
    """φ'(z), using the already computed h = φ(z) where that is cheaper.

    ReLU: 1 where z > 0, else 0 (at z = 0 exactly we take 0, as PyTorch does).
    tanh: 1 - tanh(z)² = 1 - h².
    """
    return (z > 0).astype(z.dtype) if activation == "relu" else 1.0 - h * h


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """log p = s - log Σ_k exp(s_k), computed stably.

    exp(1000) overflows, so subtract the row maximum m first (log-sum-exp trick):
    log Σ_k exp(s_k) = m + log Σ_k exp(s_k - m), where every exponent is ≤ 0.
    """
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def softmax(logits: np.ndarray) -> np.ndarray:
    """p_k = exp(s_k) / Σ_j exp(s_j), via the stable log-softmax."""
    return np.exp(log_softmax(logits))


def forward(params: dict, X: np.ndarray, activation: str) -> tuple[np.ndarray, dict]:
    """Logits s = φ(X W1ᵀ + b1) W2ᵀ + b2, and the intermediate values backward needs."""
    z1 = X @ params["fc1.weight"].T + params["fc1.bias"]
    h = activate(z1, activation)
    logits = h @ params["fc2.weight"].T + params["fc2.bias"]
    return logits, {"X": X, "z1": z1, "h": h}


def cross_entropy(logits: np.ndarray, y: np.ndarray) -> float:
    """Mean cross-entropy L = -(1/N) Σ_n log softmax(s_n)[y_n] (PyTorch's F.cross_entropy)."""
    return float(-log_softmax(logits)[np.arange(len(y)), y].mean())


def backward(params: dict, cache: dict, logits: np.ndarray, y: np.ndarray, activation: str) -> dict:
    """∂L/∂θ for every parameter, by the chain rule from the loss back to the input layer.

    1. Softmax + cross-entropy. For one sample, L_n = -s_y + log Σ_k exp(s_k), so
       ∂L_n/∂s_k = p_k - [k = y]. With the mean over N samples:
           δ2 = ∂L/∂s = (P - Y) / N                          (N, K), Y one-hot
    2. Output layer s = h W2ᵀ + b2, i.e. s_nk = Σ_j h_nj W2_kj + b2_k:
           ∂L/∂W2 = δ2ᵀ h                                   (K, H)
           ∂L/∂b2 = Σ_n δ2_n                                (K,)
           ∂L/∂h  = δ2 W2                                   (N, H)
    3. Hidden activation h = φ(z1), element by element:
           δ1 = ∂L/∂z1 = ∂L/∂h ⊙ φ'(z1)                     (N, H)
    4. First layer z1 = X W1ᵀ + b1, the same pattern as step 2:
           ∂L/∂W1 = δ1ᵀ X                                   (H, D)
           ∂L/∂b1 = Σ_n δ1_n                                (H,)
    Every step is one matrix product over the whole batch: no loop over samples.
    """
    n = len(y)
    delta2 = softmax(logits)
    delta2[np.arange(n), y] -= 1.0
    delta2 /= n
    grad_h = delta2 @ params["fc2.weight"]
    delta1 = grad_h * activation_derivative(cache["z1"], cache["h"], activation)
    return {
        "fc1.weight": delta1.T @ cache["X"],
        "fc1.bias": delta1.sum(axis=0),
        "fc2.weight": delta2.T @ cache["h"],
        "fc2.bias": delta2.sum(axis=0),
    }


def loss_and_gradients(
    params: dict, X: np.ndarray, y: np.ndarray, activation: str
) -> tuple[float, dict]:
    """One forward and one backward pass: the mean loss and ∂L/∂θ for every parameter."""
    logits, cache = forward(params, X, activation)
    return cross_entropy(logits, y), backward(params, cache, logits, y, activation)


def sgd_update(params: dict, grads: dict, learning_rate: float) -> None:
    """Plain SGD, in place: θ ← θ - η ∂L/∂θ (what torch.optim.SGD does without momentum)."""
    for name, grad in grads.items():
        params[name] -= learning_rate * grad


def minibatches(n_samples: int, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """One epoch: a fresh random order of 0..n-1 cut into batches (the last may be smaller)."""
    order = rng.permutation(n_samples)
    return [order[i : i + batch_size] for i in range(0, n_samples, batch_size)]


# ---------------------------------------------------------------------- the model


class TwoLayerMLP:
    """input → fc1 → ReLU/tanh → fc2 → softmax, trained by mini-batch SGD on cross-entropy.

    ``fit / predict / predict_proba / score`` as in scikit-learn; ``params_`` holds the
    weights under PyTorch's names (``state_dict`` / ``load_state_dict`` copy them across);
    ``loss_curve_`` is the mean training loss of each epoch. ``dtype="float64"`` (default) is
    for parity and gradient checks; ``"float32"`` halves the cost of the matrix products,
    as in PyTorch's default, for timing comparisons.
    """

    def __init__(
        self,
        n_hidden: int = 64,
        activation: str = "relu",
        learning_rate: float = 0.1,
        batch_size: int = 32,
        epochs: int = 30,
        n_classes: int | None = None,
        seed: int = 0,
        dtype: str = "float64",
    ):
        if not isinstance(n_hidden, (int, np.integer)) or n_hidden < 1:
            raise ValueError(f"n_hidden must be a positive integer, got {n_hidden!r}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
        if not np.isfinite(learning_rate) or learning_rate <= 0:
            raise ValueError(f"learning_rate must be a positive number, got {learning_rate!r}")
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        if not isinstance(epochs, (int, np.integer)) or epochs < 1:
            raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
        if n_classes is not None and (
            not isinstance(n_classes, (int, np.integer)) or n_classes < 2
        ):
            raise ValueError(
                f"n_classes must be an integer ≥ 2 (or None to read it from y), got {n_classes!r}"
            )
        if np.dtype(dtype) not in (np.float32, np.float64):
            raise ValueError(
                "dtype must be 'float64' (parity, gradient checks) or 'float32' (speed), "
                f"got {dtype!r}"
            )
        self.n_hidden = int(n_hidden)
        self.activation = activation
        self.learning_rate = float(learning_rate)
        self.batch_size = int(batch_size)
        self.epochs = int(epochs)
        self.n_classes = n_classes
        self.seed = seed
        self.dtype = np.dtype(dtype)
        self.params_ = None

    # ------------------------------------------------------------------ parameters

    def initialize(self, n_features: int, n_classes: int) -> "TwoLayerMLP":
        """Draw fresh He/Xavier weights from ``default_rng(seed)``; training may start from here."""
        self.rng_ = np.random.default_rng(self.seed)
        params = init_params(n_features, self.n_hidden, n_classes, self.activation, self.rng_)
        self.params_ = {name: value.astype(self.dtype) for name, value in params.items()}
        self.loss_curve_ = []
        return self

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of the parameters, keyed like ``nn.Module.state_dict()``."""
        check_is_fitted(self, "params_")
        return {name: value.copy() for name, value in self.params_.items()}

    def load_state_dict(self, state: dict) -> "TwoLayerMLP":
        """Take parameters from a state dict (e.g. a PyTorch one turned into NumPy arrays)."""
        if set(state) != set(PARAM_SHAPES):
            raise ValueError(
                f"state dict must have exactly the keys {sorted(PARAM_SHAPES)}, got {sorted(state)}"
            )
        params = {name: np.array(state[name], dtype=self.dtype) for name in PARAM_SHAPES}
        n_hidden, n_features = params["fc1.weight"].shape
        n_classes = params["fc2.weight"].shape[0]
        sizes = {"H": n_hidden, "D": n_features, "K": n_classes}
        for name, dims in PARAM_SHAPES.items():
            expected = tuple(sizes[d] for d in dims)
            if params[name].shape != expected:
                raise ValueError(
                    f"{name} has shape {params[name].shape}, expected {expected} "
                    f"for H={n_hidden}, D={n_features}, K={n_classes}"
                )
            check_array(params[name], ndim=len(dims), name=name)
        if n_hidden != self.n_hidden:
            raise ValueError(
                f"the state dict has {n_hidden} hidden units but this model was built with "
                f"n_hidden={self.n_hidden}"
            )
        if self.params_ is None:
            self.initialize(n_features, n_classes)
        self.params_ = params
        return self

    @property
    def n_features_in_(self) -> int:
        check_is_fitted(self, "params_")
        return self.params_["fc1.weight"].shape[1]

    @property
    def n_classes_(self) -> int:
        check_is_fitted(self, "params_")
        return self.params_["fc2.weight"].shape[0]

    # ------------------------------------------------------------------ checks

    def _check_X(self, X) -> np.ndarray:
        check_is_fitted(self, "params_")
        X = check_array(X)
        check_n_features(X, self.n_features_in_)
        return X.astype(self.dtype, copy=False)

    def _check_X_y(self, X, y) -> tuple[np.ndarray, np.ndarray]:
        X, y = check_X_y(X, y, y_numeric=False)
        if self.params_ is not None:
            check_n_features(X, self.n_features_in_)
        n_classes = self.n_classes_ if self.params_ is not None else self.n_classes
        return X.astype(self.dtype, copy=False), check_labels(y, n_classes=n_classes)

    def _check_batch(self, X, y) -> tuple[np.ndarray, np.ndarray]:
        check_is_fitted(self, "params_")
        return self._check_X_y(X, y)

    # ------------------------------------------------------------------ training

    def loss(self, X, y) -> float:
        """Mean cross-entropy of the current parameters on (X, y)."""
        X, y = self._check_batch(X, y)
        return cross_entropy(forward(self.params_, X, self.activation)[0], y)

    def gradients(self, X, y) -> tuple[float, dict]:
        """The loss and ∂L/∂θ of every parameter, by backpropagation (no update)."""
        X, y = self._check_batch(X, y)
        return loss_and_gradients(self.params_, X, y, self.activation)

    def train_step(self, X, y) -> float:
        """One SGD step on the batch (X, y); returns the batch loss before the step."""
        X, y = self._check_batch(X, y)
        return self._step(X, y)

    def _step(self, X: np.ndarray, y: np.ndarray) -> float:
        loss, grads = loss_and_gradients(self.params_, X, y, self.activation)
        sgd_update(self.params_, grads, self.learning_rate)
        return loss

    def fit(self, X, y) -> "TwoLayerMLP":
        """Initialise, then ``epochs`` epochs of mini-batch SGD on shuffled batches."""
        from journey import progress

        self.params_ = None
        X, y = self._check_X_y(X, y)
        n_classes = self.n_classes or max(2, int(y.max()) + 1)
        self.initialize(X.shape[1], n_classes)
        for _ in progress(range(self.epochs), desc="epochs"):
            batches = minibatches(len(X), self.batch_size, self.rng_)
            losses = [self._step(X[idx], y[idx]) for idx in batches]
            self.loss_curve_.append(
                float(np.average(losses, weights=[len(idx) for idx in batches]))
            )
        return self

    # ------------------------------------------------------------------ prediction

    def decision_function(self, X) -> np.ndarray:
        """The logits s (N, K)."""
        return forward(self.params_, self._check_X(X), self.activation)[0]

    def predict_proba(self, X) -> np.ndarray:
        """softmax(s): one row of class probabilities per sample."""
        return softmax(self.decision_function(X))

    def predict(self, X) -> np.ndarray:
        """The most probable class (the largest logit)."""
        return self.decision_function(X).argmax(axis=1)

    def score(self, X, y) -> float:
        """Accuracy on (X, y)."""
        return float(np.mean(self.predict(X) == check_labels(y)))


# ---------------------------------------------------------------------- figures


def plot_decision_regions(ax, predict, X, y, title: str, resolution: int = 200) -> None:
    """Colour the plane by ``predict`` (any model's) and scatter the samples on top."""
    lo, hi = X.min(axis=0) - 0.5, X.max(axis=0) + 0.5
    xx, yy = np.meshgrid(
        np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
    )
    zz = predict(np.c_[xx.ravel(), yy.ravel()]).reshape(xx.shape)
    n_classes = int(max(y.max(), zz.max())) + 1
    ax.contourf(xx, yy, zz, levels=np.arange(n_classes + 1) - 0.5, cmap="coolwarm", alpha=0.35)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", edgecolor="k", s=18)
    ax.set(xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]), title=title, xlabel="x₁", ylabel="x₂")


def plot_loss_curves(curves: dict, title: str):
    """One line per named loss curve (mean training loss per epoch)."""
    from journey.plotting import pyplot

    fig, ax = pyplot().subplots(figsize=(6, 3.8))
    for (name, curve), style in zip(curves.items(), ["-", "--", ":", "-."], strict=False):
        ax.plot(np.arange(1, len(curve) + 1), curve, ls=style, lw=2, label=name)
    ax.set(xlabel="epoch", ylabel="mean training cross-entropy", yscale="log", title=title)
    ax.legend()
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------- main

# XOR: 4 samples, full-batch steps; 8 tanh units solve it reliably within 200 epochs
XOR_SETTINGS = {
    "n_hidden": 8,
    "activation": "tanh",
    "learning_rate": 0.5,
    "batch_size": 4,
    "epochs": 200,
}


def main(argv=None) -> int:
    import journey
    from journey import parity
    from journey.data import logic_gate, moons, standardised_split
    from journey.plotting import pyplot

    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--epochs", type=int, default=30, help="digits epochs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--hidden", type=int, default=64, help="hidden units for digits")
    parser.add_argument("--activation", choices=ACTIVATIONS, default="relu")
    parser.add_argument("--lr", type=float, default=0.1, help="SGD learning rate for digits")
    parser.add_argument(
        "--device", default="cpu", help="accepted for symmetry with PyTorch; NumPy runs on the CPU"
    )
    parser.add_argument(
        "--data-dir",
        default=None,
        help="unused: the data are generated or bundled with scikit-learn",
    )
    args = parser.parse_args(argv)
    quick = journey.is_quick()

    X, y = logic_gate("XOR")
    xor = TwoLayerMLP(**XOR_SETTINGS, seed=args.seed).fit(X, y)
    print(f"XOR: accuracy {xor.score(X, y):.0%}, final loss {xor.loss_curve_[-1]:.4f}")
    parity.at_least("scratch MLP: XOR training accuracy", xor.score(X, y), 1.0)

    X_train, X_test, y_train, y_test = standardised_split("digits", seed=args.seed)
    digits = TwoLayerMLP(
        n_hidden=args.hidden,
        activation=args.activation,
        learning_rate=args.lr,
        epochs=args.epochs,
        seed=args.seed,
    ).fit(X_train, y_train)
    accuracy = digits.score(X_test, y_test)
    print(
        f"digits: {args.epochs} epochs, test accuracy {accuracy:.2%}, "
        f"final training loss {digits.loss_curve_[-1]:.4f}"
    )
    parity.at_least("scratch MLP: digits test accuracy", accuracy, 0.96)
    journey.save_figure(
        plot_loss_curves({"NumPy MLP": digits.loss_curve_}, "digits: training loss"),
        "04_mlp",
        "scratch_digits_loss",
    )

    Xm, ym = moons(150 if quick else 400, noise=0.2, seed=args.seed)
    moon = TwoLayerMLP(
        n_hidden=32,
        activation=args.activation,
        learning_rate=0.2,
        epochs=100 if quick else 300,
        seed=args.seed,
    ).fit(Xm, ym)
    print(f"moons: training accuracy {moon.score(Xm, ym):.2%}")
    fig, ax = pyplot().subplots(figsize=(5, 4))
    plot_decision_regions(
        ax, moon.predict, Xm, ym, f"NumPy MLP on moons ({moon.score(Xm, ym):.0%} train acc.)"
    )
    journey.save_figure(fig, "04_mlp", "scratch_moons_decision_regions")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
