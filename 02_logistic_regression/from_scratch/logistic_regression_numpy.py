"""Logistic regression from scratch: a stable sigmoid, cross-entropy and gradient descent.

The model turns a linear score into a probability:

    z = x·w + b            p = σ(z) = 1 / (1 + e^(−z))

so z is the *log-odds*: log(p / (1 − p)) = x·w + b. Raising feature j by one unit adds
w_j to the log-odds (multiplies the odds by e^(w_j)).

Training minimises the mean binary cross-entropy plus an optional L2 penalty,

    J(w, b) = (1/n) Σᵢ [log(1 + e^(zᵢ)) − yᵢ zᵢ] + (α/2) ‖w‖²,   α = 1 / (C·n)

which is scikit-learn's objective  C Σᵢ ℓᵢ + ½‖w‖²  divided by C·n (the same minimiser;
the intercept is not penalised, as in scikit-learn). The gradient is remarkably simple:

    ∂J/∂w = (1/n) Xᵀ (p − y) + α w        ∂J/∂b = (1/n) Σᵢ (pᵢ − yᵢ)

Numerical stability: e^(−z) overflows for z ≪ 0, so σ is evaluated through e^(−|z|), which
never overflows; log(1 + e^z) is ``np.logaddexp(0, z)``. Neither warns at |z| = 1000.
"""

import argparse

import numpy as np

from journey.validation import check_array, check_is_fitted, check_n_features, check_X_y

STAGE = "02_logistic_regression"


def sigmoid(z) -> np.ndarray:
    """σ(z) computed through e^(−|z|) ∈ (0, 1], so no overflow for any finite z."""
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def binary_cross_entropy_from_logits(z, y) -> float:
    """Mean of log(1 + e^z) − y·z: the cross-entropy of σ(z) against y, without computing σ."""
    z = np.asarray(z, dtype=np.float64)
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


def check_binary_X_y(X, y) -> tuple[np.ndarray, np.ndarray]:
    """Validated float arrays, with labels that are 0 or 1."""
    X, y = check_X_y(X, y)
    if not np.all(np.isin(y, (0.0, 1.0))):
        raise ValueError(f"labels must be 0 or 1, got values {np.unique(y)[:5]}")
    return X, y


class LogisticRegressionGD:
    """Binary logistic regression by full-batch gradient descent, scikit-learn's ``C`` convention.

    ``C`` is the inverse regularisation strength (``C=np.inf``: no penalty). Gradient descent
    stops when the gradient norm drops below ``tol``. Labels must be 0/1.
    Learned: ``coef_`` (1, n_features), ``intercept_`` (1,), ``loss_history_``, ``n_iter_``.
    """

    def __init__(
        self, C: float = 1.0, learning_rate: float = 0.5, max_iter: int = 200_000, tol: float = 1e-9
    ):
        if not C > 0:
            raise ValueError(f"C must be positive (np.inf for no penalty), got {C}")
        if not learning_rate > 0:
            raise ValueError(f"learning_rate must be positive, got {learning_rate}")
        self.C = C
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.tol = tol
        self.coef_ = None

    def _alpha(self, n: int) -> float:
        return 0.0 if np.isinf(self.C) else 1.0 / (self.C * n)

    def objective(self, X, y, w, b) -> float:
        """J(w, b): mean cross-entropy + (α/2)‖w‖²."""
        return binary_cross_entropy_from_logits(X @ w + b, y) + 0.5 * self._alpha(len(X)) * float(
            w @ w
        )

    def gradient(self, X, y, w, b) -> tuple[np.ndarray, float]:
        """(∂J/∂w, ∂J/∂b) = ((1/n) Xᵀ(p − y) + αw, mean(p − y))."""
        error = sigmoid(X @ w + b) - y
        return X.T @ error / len(X) + self._alpha(len(X)) * w, float(error.mean())

    def fit(self, X, y) -> "LogisticRegressionGD":
        X, y = check_binary_X_y(X, y)
        w, b = np.zeros(X.shape[1]), 0.0
        history = []
        for _ in range(self.max_iter):
            grad_w, grad_b = self.gradient(X, y, w, b)
            history.append(self.objective(X, y, w, b))
            if np.sqrt(grad_w @ grad_w + grad_b**2) < self.tol:
                break
            w -= self.learning_rate * grad_w
            b -= self.learning_rate * grad_b
        if not np.isfinite(history[-1]):
            raise RuntimeError(f"training diverged (objective {history[-1]}); lower learning_rate")
        self.coef_, self.intercept_ = w.reshape(1, -1), np.array([b])
        self.loss_history_, self.n_iter_, self.n_features_in_ = (
            np.array(history),
            len(history),
            X.shape[1],
        )
        self.classes_ = np.array([0, 1])
        return self

    def decision_function(self, X) -> np.ndarray:
        """The log-odds z = X·w + b."""
        check_is_fitted(self, "coef_")
        X = check_array(X)
        check_n_features(X, self.n_features_in_)
        return X @ self.coef_[0] + self.intercept_[0]

    def predict_proba(self, X) -> np.ndarray:
        """Columns [P(y=0), P(y=1)], as scikit-learn returns them."""
        p = sigmoid(self.decision_function(X))
        return np.column_stack([1.0 - p, p])

    def predict(self, X) -> np.ndarray:
        return (self.decision_function(X) > 0).astype(int)


class LogisticRegressionNewton(LogisticRegressionGD):
    """The same model and objective, minimised by Newton's method (a.k.a. IRLS).

    Gradient descent only uses the slope; Newton also uses the curvature. With
    θ = (w, b), X̃ = [X, 1] and S = diag(pᵢ(1 − pᵢ)), the Hessian of J is

        H = (1/n) X̃ᵀ S X̃ + α·diag(1, …, 1, 0)

    and each step solves H·Δ = ∇J, then θ ← θ − Δ. Near the optimum the error is squared at
    every step, so ~10 steps replace the thousands of gradient-descent steps — the fast
    version of this stage, and roughly what scikit-learn's `newton-cg` / `lbfgs` exploit.
    ``learning_rate`` is unused; ``max_iter`` bounds the Newton steps.
    """

    def __init__(self, C: float = 1.0, max_iter: int = 100, tol: float = 1e-9):
        super().__init__(C=C, max_iter=max_iter, tol=tol)

    def fit(self, X, y) -> "LogisticRegressionNewton":
        X, y = check_binary_X_y(X, y)
        n, d = X.shape
        X_tilde = np.column_stack([X, np.ones(n)])
        penalty = np.r_[np.full(d, self._alpha(n)), 0.0]  # the intercept is not penalised
        theta, history = np.zeros(d + 1), []
        for _ in range(self.max_iter):
            z = X_tilde @ theta  # one pass over the data per step
            p = sigmoid(z)
            history.append(binary_cross_entropy_from_logits(z, y) + 0.5 * float(penalty @ theta**2))
            gradient = X_tilde.T @ (p - y) / n + penalty * theta
            if np.sqrt(gradient @ gradient) < self.tol:
                break
            hessian = (X_tilde.T * (p * (1 - p))) @ X_tilde / n + np.diag(penalty)
            theta = theta - np.linalg.solve(hessian, gradient)
        self.coef_, self.intercept_ = theta[:-1].reshape(1, -1), np.array([theta[-1]])
        self.loss_history_, self.n_iter_, self.n_features_in_ = np.array(history), len(history), d
        self.classes_ = np.array([0, 1])
        return self


def logit(p) -> np.ndarray:
    """log(p / (1 − p)), the inverse of the sigmoid."""
    p = np.asarray(p, dtype=np.float64)
    return np.log(p) - np.log1p(-p)


def plot_decision_boundary(X, y, model, stage=STAGE, name="decision_boundary"):
    """Predicted probability over the plane, the 0.5 contour (the line w·x + b = 0) and the data."""
    from journey.plotting import pyplot, save_figure

    plt = pyplot()
    xx, yy = np.meshgrid(
        np.linspace(X[:, 0].min() - 1, X[:, 0].max() + 1, 200),
        np.linspace(X[:, 1].min() - 1, X[:, 1].max() + 1, 200),
    )
    proba = model.predict_proba(np.c_[xx.ravel(), yy.ravel()])[:, 1].reshape(xx.shape)
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    filled = ax.contourf(xx, yy, proba, levels=20, cmap="RdBu_r", alpha=0.7)
    ax.contour(xx, yy, proba, levels=[0.5], colors="k")
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu_r", edgecolors="k", s=18)
    fig.colorbar(filled, ax=ax, label="P(y = 1)")
    ax.set(xlabel="x₁", ylabel="x₂", title="Logistic regression: P(y=1) and the boundary")
    return save_figure(fig, stage, name)


def main(argv=None) -> None:
    from journey import is_quick, parity
    from journey.data import standardised_split, two_blobs
    from journey.gradcheck import check_gradient

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--C", type=float, default=1.0, help="inverse L2 strength, as in scikit-learn"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    X, y = two_blobs(100 if is_quick() else 400, seed=args.seed)
    model = LogisticRegressionGD(C=args.C).fit(X, y)
    print(
        f"2-D blobs: w={model.coef_[0].round(4)} b={model.intercept_[0]:.4f} after {model.n_iter_} steps, "
        f"train accuracy {np.mean(model.predict(X) == y):.3f}"
    )
    plot_decision_boundary(X, y, model)

    z = model.decision_function(X)
    parity.close(
        "log-odds: logit(predict_proba) = w·x + b",
        logit(model.predict_proba(X)[:, 1]),
        z,
        rtol=1e-10,
    )

    X_train, X_test, y_train, y_test = standardised_split("breast_cancer", seed=args.seed)
    model = LogisticRegressionGD(C=args.C).fit(X_train, y_train)
    print(
        f"breast cancer: {model.n_iter_} steps, test accuracy {np.mean(model.predict(X_test) == y_test):.3f}"
    )
    rng = np.random.default_rng(
        args.seed
    )  # check away from the optimum, where the gradient is not ~0
    w, b = rng.normal(size=X_train.shape[1]), 0.3
    grad_w, _ = model.gradient(X_train, y_train, w, b)
    rel = check_gradient(lambda: model.objective(X_train, y_train, w, b), w, grad_w)
    parity.at_most("breast cancer: analytic gradient vs finite differences (rel error)", rel, 1e-8)
    with np.errstate(over="raise", invalid="raise"):
        print(f"σ(±1000) = {sigmoid(np.array([-1000.0, 1000.0]))}, no overflow warning")


if __name__ == "__main__":
    main()
