"""Multinomial (softmax) logistic regression in NumPy, trained by full-batch gradient descent.

This is the *head* of transfer learning. A frozen backbone turns each image into a feature
vector x (512 numbers for ResNet-18); the head is a single linear layer followed by softmax:

    z = W x + b                      logits, W is (K, D), b is (K,)
    p_k = exp(z_k) / Σ_j exp(z_j)    class probabilities
    L(W, b) = -(1/n) Σ_i log p_{y_i}(x_i) + (λ/2) ||W||²
              mean cross-entropy + L2 on the weights (b is not penalised)

The gradient has a famously simple form. With Y the one-hot labels (n, K) and P the
probabilities (n, K):

    ∂L/∂Z = (P - Y) / n
    ∂L/∂W = (P - Y)ᵀ X / n + λ W
    ∂L/∂b = Σ_i (P - Y)_i / n

The loss is convex, so gradient descent with a small enough step reaches the global
minimum from any start (we start from zeros). "Small enough" is known in closed form: the
Hessian of the cross-entropy is bounded by ½·λ_max(X̃ᵀX̃)/n (X̃ = X with a column of ones),
so the step 1/L with L = ½·λ_max(X̃ᵀX̃)/n + λ never increases the loss (``lr="auto"``).

The script trains the head on the frozen-backbone features that
``library_impl/resnet18_transfer_pytorch.py`` caches under ``outputs/14_transfer_learning/cache``;
before that script has run once, it says so and trains on a synthetic NumPy problem instead.
"""

import argparse
import warnings
from pathlib import Path

import numpy as np

import journey
from journey import parity
from journey.estimator import BaseEstimator, ClassifierMixin
from journey.gradcheck import numerical_gradient
from journey.validation import (
    check_classification_data,
    check_fitted_input,
    check_float,
    check_int,
    check_option,
    warn_not_converged,
)

STAGE = "14_transfer_learning"

# The stable softmax / log-softmax (log-sum-exp trick) come from the stage-04 MLP: reused.
_MLP = journey.load_stage("04", "from_scratch/mlp_two_layer_numpy.py")
softmax, log_softmax = _MLP.softmax, _MLP.log_softmax


def one_hot(y: np.ndarray, n_classes: int) -> np.ndarray:
    Y = np.zeros((len(y), n_classes))
    Y[np.arange(len(y)), y] = 1.0
    return Y


def loss_and_gradients(W: np.ndarray, b: np.ndarray, X: np.ndarray, y: np.ndarray, l2: float):
    """Mean cross-entropy + (λ/2)||W||² and its gradients (∂L/∂W, ∂L/∂b) (module docstring)."""
    # BEGIN SOLUTION 14.1
    # task: the loss (mean cross-entropy + (λ/2)‖W‖²) and its gradients ∂L/∂W, ∂L/∂b
    # hint: Z = X @ W.T + b; dZ = (softmax(Z) − one_hot(y, K))/n; ∂L/∂W = dZᵀX + λW, ∂L/∂b = Σ dZ
    Z = X @ W.T + b
    n = len(X)
    loss = -log_softmax(Z)[np.arange(n), y].mean() + 0.5 * l2 * np.sum(W * W)
    dZ = (softmax(Z) - one_hot(y, W.shape[0])) / n
    return loss, dZ.T @ X + l2 * W, dZ.sum(axis=0)
    # END SOLUTION


def smoothness_step(X: np.ndarray, l2: float) -> float:
    """The safe step 1/L, L = ½·λ_max(X̃ᵀX̃)/n + λ (λ_max by power iteration on X̃ᵀX̃)."""
    # BEGIN SOLUTION 14.2
    # task: the safe step 1/L, L = ½·λ_max(X̃ᵀX̃)/n + λ, with X̃ = X plus a column of ones
    # hint: X̃ = np.hstack([X, ones]); λ_max by power iteration v ← X̃ᵀX̃v / ‖X̃ᵀX̃v‖ (or eigvalsh)
    Xt = np.hstack([X, np.ones((len(X), 1))])
    v = np.ones(Xt.shape[1]) / np.sqrt(Xt.shape[1])
    for _ in range(100):
        w = Xt.T @ (Xt @ v)
        v = w / np.linalg.norm(w)
    lam_max = float(v @ (Xt.T @ (Xt @ v)))
    return 1.0 / (0.5 * lam_max / len(X) + l2)
    # END SOLUTION


class SoftmaxRegression(ClassifierMixin, BaseEstimator):
    """Multinomial logistic regression, scikit-learn style (``fit``/``predict``/``predict_proba``).

    Parameters
    ----------
    l2 : float, the L2 strength λ on the weights (0 = none). Same objective as PyTorch's
         ``nn.Linear`` + ``cross_entropy`` with SGD ``weight_decay=λ`` on the weight only.
    lr : float or "auto" (the safe step 1/L, see ``smoothness_step``).
    n_iter : number of full-batch gradient-descent steps.
    tol : stop early when the gradient's largest entry falls below ``tol`` (0 = never stop
          early; with ``tol > 0`` a run that uses all ``n_iter`` steps warns).

    Learned: ``coef_`` (K, D) and ``intercept_`` (K,) — the shapes of ``nn.Linear``'s
    ``weight`` and ``bias``, so they copy across — ``classes_`` (any labels, strings too),
    ``loss_history_``, ``lr_``, ``n_iter_``, ``n_features_in_``.
    """

    def __init__(self, l2: float = 0.0, lr="auto", n_iter: int = 500, tol: float = 0.0):
        self._store_hyperparameters(locals())

    def fit(self, X, y) -> "SoftmaxRegression":
        X, self.classes_, codes = check_classification_data(X, y, min_classes=2)
        l2, n_iter, tol, lr = self._checked_hyperparameters()
        self.lr_ = smoothness_step(X, l2) if lr == "auto" else lr
        W = np.zeros((len(self.classes_), X.shape[1]))
        b = np.zeros(len(self.classes_))
        self.loss_history_ = []
        for _ in range(n_iter):
            loss, dW, db = loss_and_gradients(W, b, X, codes, l2)
            self.loss_history_.append(loss)
            # BEGIN SOLUTION 14.3
            # task: stop when every gradient entry is below tol, else one gradient-descent step
            # hint: break if max(|dW|.max(), |db|.max()) < tol; else W ← W − η·dW, b ← b − η·db
            if max(np.abs(dW).max(), np.abs(db).max()) < tol:
                break
            W -= self.lr_ * dW
            b -= self.lr_ * db
            # END SOLUTION
        else:
            if tol > 0:
                warn_not_converged(self, "n_iter", n_iter, f" (largest gradient entry ≥ tol={tol})")
        self.coef_, self.intercept_ = W, b
        self.n_iter_ = len(self.loss_history_)
        self.n_features_in_ = X.shape[1]
        return self

    def _checked_hyperparameters(self):
        l2 = check_float(self.l2, "l2", minimum=0.0)
        n_iter = check_int(self.n_iter, "n_iter", minimum=1)
        tol = check_float(self.tol, "tol", minimum=0.0)
        if isinstance(self.lr, str):
            check_option(self.lr, "lr", ["auto"])
            return l2, n_iter, tol, "auto"
        return l2, n_iter, tol, check_float(self.lr, "lr", minimum=0.0, strict_minimum=True)

    def decision_function(self, X) -> np.ndarray:
        X = check_fitted_input(self, X, "coef_")
        return X @ self.coef_.T + self.intercept_

    def predict_proba(self, X) -> np.ndarray:
        return softmax(self.decision_function(X))

    def predict(self, X) -> np.ndarray:
        scores = self.decision_function(X)
        return self.classes_[np.argmax(scores, axis=1)]


def standardise(train: np.ndarray, *others: np.ndarray):
    """Centre and scale every column with the *training* mean and std (constant columns → 0)."""
    # BEGIN SOLUTION 14.4
    # task: centre and scale train and every other array with the training mean and std
    # hint: mean, std = train.mean(axis=0), train.std(axis=0); std 0 → 1; (a − mean) / std
    mean, std = train.mean(axis=0), train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return [(a - mean) / std for a in (train, *others)]
    # END SOLUTION


def cached_features_file(quick: bool) -> Path:
    """Where the library script leaves the frozen-backbone features it used last (quick or full)."""
    return journey.OUTPUTS_DIR / STAGE / "cache" / f"features_{'quick' if quick else 'full'}.npz"


def synthetic_problem(seed: int, n_classes: int = 10, n_features: int = 64, n: int = 1200):
    """Ten overlapping Gaussian clouds in 64-D: a stand-in for backbone features, NumPy only."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n_classes, n_features))
    y = np.arange(n) % n_classes
    X = centres[y] + 1.5 * rng.standard_normal((n, n_features))
    cut = int(0.75 * n)
    return X[:cut], y[:cut], X[cut:], y[cut:], "synthetic Gaussian clouds (64-D)"


def load_features(seed: int):
    """Cached frozen-backbone features if the library script wrote them, else the synthetic set."""
    path = cached_features_file(journey.is_quick())
    if not path.exists():
        warnings.warn(
            f"no cached ResNet-18 features at {path} yet: run "
            "library_impl/resnet18_transfer_pytorch.py once (it writes them); training on a "
            "synthetic 10-class problem instead",
            UserWarning,
            stacklevel=2,
        )
        return synthetic_problem(seed)
    with np.load(path) as f:
        arrays = [
            f[k].astype(np.float64 if k.endswith("x") else np.int64)
            for k in ("train_x", "train_y", "test_x", "test_y")
        ]
        description = f"{path.name} ({f['description']})"
    return (*arrays, description)


def check_gradients(X: np.ndarray, codes: np.ndarray, n_classes: int, args) -> None:
    """The analytic gradient against central finite differences at random (W, b)."""
    rng = np.random.default_rng(args.seed)
    W = 0.1 * rng.standard_normal((n_classes, X.shape[1]))
    b = 0.1 * rng.standard_normal(n_classes)
    _, dW, db = loss_and_gradients(W, b, X, codes, args.l2)

    def loss() -> float:
        return loss_and_gradients(W, b, X, codes, args.l2)[0]

    for name, analytic, array in (("W", dW, W), ("b", db, b)):
        parity.close(
            f"softmax head ∂L/∂{name}: analytic vs finite differences",
            analytic,
            numerical_gradient(loss, array),
            rtol=1e-8,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--l2", type=float, default=1e-2, help="L2 strength λ on the weights")
    parser.add_argument(
        "--iters", type=int, default=None, help="gradient-descent steps (default 2000, quick 300)"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    n_iter = args.iters or (300 if journey.is_quick() else 2000)

    X_train, y_train, X_test, y_test, description = load_features(args.seed)
    X_train, X_test = standardise(X_train, X_test)
    print(f"features: {description}; train {X_train.shape}, test {X_test.shape}")

    model = SoftmaxRegression(l2=args.l2, n_iter=n_iter).fit(X_train, y_train)
    print(
        f"step 1/L = {model.lr_:.4g}; "
        f"loss {model.loss_history_[0]:.4f} → {model.loss_history_[-1]:.4f} "
        f"after {len(model.loss_history_)} steps"
    )
    print(
        f"train accuracy {model.score(X_train, y_train):.3f}, "
        f"test accuracy {model.score(X_test, y_test):.3f}"
    )

    codes = np.searchsorted(model.classes_, y_train[:50])
    check_gradients(X_train[:50, :32], codes, len(model.classes_), args)
    parity.at_most(
        "GD with step 1/L never increases the loss",
        float(np.max(np.diff(model.loss_history_))),
        1e-12,
    )

    plt = journey.plotting.pyplot()
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot(model.loss_history_)
    ax.set(
        xlabel="gradient-descent step",
        ylabel="training loss",
        yscale="log",
        title="NumPy softmax head on frozen features",
    )
    journey.save_figure(fig, STAGE, "softmax_head_numpy_loss")


if __name__ == "__main__":
    main()
