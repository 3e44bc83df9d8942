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

import journey
from journey.estimator import BaseEstimator, ClassifierMixin
from journey.params import checked_state, copy_params
from journey.progress import progress
from journey.validation import check_classification_data, check_is_fitted

checks = journey.load_stage("04", "from_scratch/_mlp_checks.py")
ACTIVATIONS = checks.ACTIVATIONS


# ---------------------------------------------------------------------- the network, by hand


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
    # BEGIN SOLUTION 04.1
    # task: the forward pass: z1, h = φ(z1) and the logits, plus the cache {"X", "z1", "h"}
    # hint: z1 = X @ W1.T + b1; h = activate(z1, activation); logits = h @ W2.T + b2
    z1 = X @ params["fc1.weight"].T + params["fc1.bias"]
    h = activate(z1, activation)
    logits = h @ params["fc2.weight"].T + params["fc2.bias"]
    return logits, {"X": X, "z1": z1, "h": h}
    # END SOLUTION


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
    # BEGIN SOLUTION 04.2
    # task: δ2 = ∂L/∂s, the gradient of the mean cross-entropy with respect to the logits
    # hint: δ2 = (softmax(s) − Y) / N with Y one-hot: subtract 1 at [np.arange(n), y]
    delta2 = softmax(logits)
    delta2[np.arange(n), y] -= 1.0
    delta2 /= n
    # END SOLUTION
    # BEGIN SOLUTION 04.3
    # task: backpropagate δ2 through fc2 and φ to the gradients of all four parameters
    # hint: ∂L/∂W2 = δ2ᵀh, ∂L/∂b2 = Σ_n δ2; δ1 = (δ2 W2) ⊙ φ'(z1); ∂L/∂W1 = δ1ᵀX, ∂L/∂b1 = Σ_n δ1
    grad_h = delta2 @ params["fc2.weight"]
    delta1 = grad_h * activation_derivative(cache["z1"], cache["h"], activation)
    return {
        "fc1.weight": delta1.T @ cache["X"],
        "fc1.bias": delta1.sum(axis=0),
        "fc2.weight": delta2.T @ cache["h"],
        "fc2.bias": delta2.sum(axis=0),
    }
    # END SOLUTION


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


# ---------------------------------------------------------------------- the model


class TwoLayerMLP(ClassifierMixin, BaseEstimator):
    """input → fc1 → ReLU/tanh → fc2 → softmax, trained by mini-batch SGD on cross-entropy.

    ``fit / predict / predict_proba / score`` as in scikit-learn (any labels: ``classes_``
    holds them, the network works with their indices 0..K-1). ``params_`` holds the weights
    under PyTorch's names (``state_dict`` / ``load_state_dict`` copy them across);
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
        seed: int = 0,
        dtype: str = "float64",
    ):
        self._store_hyperparameters(locals())

    def fit(self, X, y) -> "TwoLayerMLP":
        """Initialise, then ``epochs`` epochs of mini-batch SGD on shuffled batches."""
        X, classes, codes = check_classification_data(X, y)
        self.initialize(X.shape[1], len(classes))
        self.classes_ = classes
        X = X.astype(self.dtype, copy=False)
        for _ in progress(range(self.epochs), desc="epochs"):
            batches = minibatches(len(X), self.batch_size, self.rng_)
            losses = [self._step(X[idx], codes[idx]) for idx in batches]
            self.loss_curve_.append(
                float(np.average(losses, weights=[len(idx) for idx in batches]))
            )
        return self

    def _step(self, X: np.ndarray, y: np.ndarray) -> float:
        loss, grads = loss_and_gradients(self.params_, X, y, self.activation)
        sgd_update(self.params_, grads, self.learning_rate)
        return loss

    def decision_function(self, X) -> np.ndarray:
        """The logits s (N, K)."""
        X = checks.check_X(self, X)
        return forward(self.params_, X, self.activation)[0]

    def predict_proba(self, X) -> np.ndarray:
        """softmax(s): one row of class probabilities per sample, columns in ``classes_`` order."""
        return softmax(self.decision_function(X))

    def predict(self, X) -> np.ndarray:
        """The most probable class (the largest logit), as one of ``classes_``."""
        best = self.decision_function(X).argmax(axis=1)
        return self.classes_[best]

    # ------------------------------------------------------------------ parameters

    def initialize(self, n_features: int, n_classes: int) -> "TwoLayerMLP":
        """Check the hyper-parameters, draw He/Xavier weights from ``default_rng(seed)``."""
        checks.check_hyperparameters(self)
        self.rng_ = np.random.default_rng(self.seed)
        params = init_params(n_features, self.n_hidden, n_classes, self.activation, self.rng_)
        self.params_ = {name: value.astype(self.dtype) for name, value in params.items()}
        self.classes_ = np.arange(n_classes)
        self.n_features_in_ = n_features
        self.loss_curve_ = []
        return self

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of the parameters, keyed like ``nn.Module.state_dict()``."""
        check_is_fitted(self, "params_")
        return copy_params(self.params_)

    def load_state_dict(self, state: dict) -> "TwoLayerMLP":
        """Take the weights of a state dict (NumPy arrays or PyTorch tensors) as they are."""
        checks.check_hyperparameters(self)
        shapes = {k: np.shape(v) for k, v in state.items()} if isinstance(state, dict) else {}
        n_features = (shapes.get("fc1.weight") or (0,))[-1]
        n_classes = (shapes.get("fc2.weight") or (0,))[0]
        self.params_ = checked_state(
            state,
            checks.param_shapes(n_features, self.n_hidden, n_classes),
            dtype=self.dtype,
            owner=f"TwoLayerMLP(n_hidden={self.n_hidden})",
        )
        self.classes_ = np.arange(n_classes)
        self.n_features_in_ = n_features
        return self

    # ------------------------------------------------------------------ one batch at a time

    def loss(self, X, y) -> float:
        """Mean cross-entropy of the current parameters on (X, y), y as indices 0..K-1."""
        X, y = checks.check_batch(self, X, y)
        return cross_entropy(forward(self.params_, X, self.activation)[0], y)

    def gradients(self, X, y) -> tuple[float, dict]:
        """The loss and ∂L/∂θ of every parameter, by backpropagation (no update)."""
        X, y = checks.check_batch(self, X, y)
        return loss_and_gradients(self.params_, X, y, self.activation)

    def train_step(self, X, y) -> float:
        """One SGD step on the batch (X, y); returns the batch loss before the step."""
        X, y = checks.check_batch(self, X, y)
        return self._step(X, y)


# ---------------------------------------------------------------------- main

# XOR: 4 samples, full-batch steps; 8 tanh units solve it reliably within 200 epochs
XOR_SETTINGS = dict(n_hidden=8, activation="tanh", learning_rate=0.5, batch_size=4, epochs=200)
QUICK_DIGITS_EPOCHS = 10  # quick mode (tests): enough for the 96 % bar


def main(argv=None) -> int:
    from journey import parity
    from journey.cli import deep_learning_flags
    from journey.data import logic_gate, moons, standardised_split
    from journey.plotting import pyplot

    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        parents=[deep_learning_flags(epochs=30, device=False)],
    )
    parser.add_argument("--hidden", type=int, default=64, help="hidden units (default: 64)")
    parser.add_argument("--activation", choices=ACTIVATIONS, default="relu")
    parser.add_argument("--lr", type=float, default=0.1, help="SGD step size (default: 0.1)")
    args = parser.parse_args(argv)
    figures = journey.load_stage("04", "from_scratch/_mlp_figures.py")
    quick = journey.is_quick()
    epochs = min(args.epochs, QUICK_DIGITS_EPOCHS) if quick else args.epochs

    X, y = logic_gate("XOR")
    xor = TwoLayerMLP(**XOR_SETTINGS, seed=args.seed).fit(X, y)
    print(f"XOR: accuracy {xor.score(X, y):.0%}, final loss {xor.loss_curve_[-1]:.4f}")
    parity.at_least("scratch MLP: XOR training accuracy", xor.score(X, y), 1.0)

    X_train, X_test, y_train, y_test = standardised_split("digits", seed=args.seed)
    digits = TwoLayerMLP(args.hidden, args.activation, args.lr, epochs=epochs, seed=args.seed)
    digits.fit(X_train, y_train)
    accuracy = digits.score(X_test, y_test)
    print(
        f"digits: {epochs} epochs, test accuracy {accuracy:.2%}, "
        f"final training loss {digits.loss_curve_[-1]:.4f}"
    )
    parity.at_least("scratch MLP: digits test accuracy", accuracy, 0.96)
    journey.save_figure(
        figures.plot_loss_curves({"NumPy MLP": digits.loss_curve_}, "digits: training loss"),
        "04_mlp",
        "scratch_digits_loss",
    )

    Xm, ym = moons(150 if quick else 400, noise=0.2, seed=args.seed)
    moon = TwoLayerMLP(32, args.activation, 0.2, epochs=100 if quick else 300, seed=args.seed)
    moon.fit(Xm, ym)
    print(f"moons: training accuracy {moon.score(Xm, ym):.2%}")
    fig, ax = pyplot().subplots(figsize=(5, 4))
    figures.plot_decision_regions(
        ax, moon.predict, Xm, ym, f"NumPy MLP on moons ({moon.score(Xm, ym):.0%} train acc.)"
    )
    journey.save_figure(fig, "04_mlp", "scratch_moons_decision_regions")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
