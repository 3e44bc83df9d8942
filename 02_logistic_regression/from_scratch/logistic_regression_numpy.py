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

Labels can be any two values (0/1, strings, …), as in scikit-learn: the larger of the two
(``classes_[1]``) is the class y = 1 whose probability the model predicts.
"""

import argparse

import numpy as np

from journey.estimator import BaseEstimator, ClassifierMixin
from journey.validation import (
    check_classification_data,
    check_fitted_input,
    check_float,
    check_int,
    warn_not_converged,
)

STAGE = "02_logistic_regression"


def sigmoid(z) -> np.ndarray:
    """σ(z) = 1 / (1 + e^(−z)) elementwise, on any shape, without overflow for any finite z.

    For z ≥ 0 it is 1 / (1 + e^(−z)); for z < 0 the same number written as e^z / (1 + e^z).
    Both only use e^(−|z|) ∈ (0, 1]. That may underflow to 0 (|z| > ~745 in float64), which
    is the exact limit, so the underflow is not reported. float32 input stays float32 and
    float64 stays float64; anything else (ints, lists) is computed in float64.
    """
    z = np.asarray(z)
    if z.dtype.kind != "f":
        z = z.astype(np.float64)
    # BEGIN SOLUTION 02.1
    # task: the sigmoid σ(z) = 1 / (1 + e^(−z)), without overflow for any finite z
    # hint: e = np.exp(-np.abs(z)); np.where(z >= 0, 1 / (1 + e), e / (1 + e))
    with np.errstate(under="ignore"):
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    # END SOLUTION


def binary_cross_entropy_from_logits(z, y) -> float:
    """Mean of log(1 + e^z) − y·z: the cross-entropy of σ(z) against y, without computing σ."""
    z = np.asarray(z, dtype=np.float64)
    # BEGIN SOLUTION 02.2
    # task: the mean binary cross-entropy computed from the logits z (never from σ(z))
    # hint: log(1 + e^z) is np.logaddexp(0, z); the loss is the mean of log(1 + e^z) − y·z
    return float(np.mean(np.logaddexp(0.0, z) - y * z))
    # END SOLUTION


def logit(p) -> np.ndarray:
    """log(p / (1 − p)), the inverse of the sigmoid."""
    p = np.asarray(p, dtype=np.float64)
    return np.log(p) - np.log1p(-p)


class _BinaryLogisticModel(ClassifierMixin, BaseEstimator):
    """The model both solvers share: p = σ(X·w + b), its objective J and J's gradient."""

    def _alpha(self, n: int) -> float:
        return 0.0 if np.isinf(self.C) else 1.0 / (self.C * n)

    def loss_and_gradient(self, X, y, w, b) -> tuple[float, np.ndarray, float]:
        """(J, ∂J/∂w, ∂J/∂b) at (w, b), from one pass z = X·w + b over the data."""
        z = X @ w + b
        alpha = self._alpha(len(X))
        # BEGIN SOLUTION 02.3
        # task: the objective J (cross-entropy + L2 penalty on w) and its gradient ∂J/∂w, ∂J/∂b
        # hint: J = BCE(z, y) + (α/2)‖w‖²; ∂J/∂w = Xᵀ(σ(z) − y) / n + αw; ∂J/∂b = mean(σ(z) − y)
        error = sigmoid(z) - y
        loss = binary_cross_entropy_from_logits(z, y) + 0.5 * alpha * float(w @ w)
        return loss, X.T @ error / len(X) + alpha * w, float(error.mean())
        # END SOLUTION

    def objective(self, X, y, w, b) -> float:
        """J(w, b): mean cross-entropy + (α/2)‖w‖²."""
        return self.loss_and_gradient(X, y, w, b)[0]

    def gradient(self, X, y, w, b) -> tuple[np.ndarray, float]:
        """(∂J/∂w, ∂J/∂b) = ((1/n) Xᵀ(p − y) + αw, mean(p − y))."""
        return self.loss_and_gradient(X, y, w, b)[1:]

    def _store(self, w, b, history, classes):
        """Set the learned attributes from the solver's result; return the model."""
        self.coef_, self.intercept_ = w.reshape(1, -1), np.array([b])
        self.loss_history_, self.n_iter_ = np.array(history), len(history)
        self.classes_, self.n_features_in_ = classes, len(w)
        return self

    def decision_function(self, X) -> np.ndarray:
        """The log-odds z = X·w + b of the class ``classes_[1]``."""
        X = check_fitted_input(self, X, "coef_")
        return X @ self.coef_[0] + self.intercept_[0]

    def predict_proba(self, X) -> np.ndarray:
        """Columns [P(classes_[0]), P(classes_[1])], as scikit-learn returns them."""
        p = sigmoid(self.decision_function(X))
        return np.column_stack([1.0 - p, p])

    def predict(self, X) -> np.ndarray:
        """``classes_[1]`` where the log-odds are positive (p > 0.5), else ``classes_[0]``."""
        positive = self.decision_function(X) > 0
        return self.classes_[positive.astype(int)]


class LogisticRegressionGD(_BinaryLogisticModel):
    """Binary logistic regression by full-batch gradient descent, scikit-learn's ``C`` convention.

    ``C`` is the inverse regularisation strength (``C=np.inf``: no penalty). Gradient descent
    stops when the gradient norm drops below ``tol``; reaching ``max_iter`` first emits a
    ``ConvergenceWarning`` (scale the features, or raise ``max_iter``).
    Learned: ``coef_`` (1, n_features), ``intercept_`` (1,), ``classes_``, ``loss_history_``,
    ``n_iter_``, ``n_features_in_``.
    """

    def __init__(
        self, C: float = 1.0, learning_rate: float = 0.5, max_iter: int = 200_000, tol: float = 1e-9
    ):
        self._store_hyperparameters(locals())

    def fit(self, X, y) -> "LogisticRegressionGD":
        check_float(self.learning_rate, "learning_rate", minimum=0.0, strict_minimum=True)
        X, y, classes = check_inputs(self, X, y)
        w, b = np.zeros(X.shape[1]), 0.0
        history = []
        for _ in range(self.max_iter):
            loss, grad_w, grad_b = self.loss_and_gradient(X, y, w, b)
            history.append(loss)
            if np.sqrt(grad_w @ grad_w + grad_b**2) < self.tol:
                break
            w -= self.learning_rate * grad_w
            b -= self.learning_rate * grad_b
        else:
            report_unconverged(self, history, "lower learning_rate")
        return self._store(w, b, history, classes)


class LogisticRegressionNewton(_BinaryLogisticModel):
    """The same model and objective, minimised by Newton's method (a.k.a. IRLS).

    Gradient descent only uses the slope; Newton also uses the curvature. With
    θ = (w, b), X̃ = [X, 1] and S = diag(pᵢ(1 − pᵢ)), the Hessian of J is

        H = (1/n) X̃ᵀ S X̃ + α·diag(1, …, 1, 0)

    and each step solves H·Δ = ∇J, then θ ← θ − Δ. Near the optimum the error is squared at
    every step, so ~10 steps replace the thousands of gradient-descent steps — the fast
    version of this stage, and roughly what scikit-learn's `newton-cg` / `lbfgs` exploit.
    ``max_iter`` bounds the Newton steps.
    """

    def __init__(self, C: float = 1.0, max_iter: int = 100, tol: float = 1e-9):
        self.C = C
        self.max_iter = max_iter
        self.tol = tol

    def fit(self, X, y) -> "LogisticRegressionNewton":
        X, y, classes = check_inputs(self, X, y)
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
            # BEGIN SOLUTION 02.4
            # task: one Newton step: build the Hessian H of J, solve H·Δ = ∇J, move θ by −Δ
            # hint: H = X̃ᵀ diag(p(1 − p)) X̃ / n + diag(penalty); Δ = np.linalg.solve(H, gradient)
            hessian = (X_tilde.T * (p * (1 - p))) @ X_tilde / n + np.diag(penalty)
            theta = theta - np.linalg.solve(hessian, gradient)
            # END SOLUTION
        else:
            report_unconverged(self, history, "set C lower (a stronger penalty)")
        return self._store(theta[:-1], theta[-1], history, classes)


# --- input checks and the end of an unconverged run --------------------------------------------


def check_inputs(model, X, y) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Check ``C``, ``max_iter``, ``tol``; return X, y as 0.0/1.0 codes, and the two classes.

    As scikit-learn: any two labels work (y = 1 means ``classes_[1]``, the larger one), and
    a ``y`` with a single class is refused (there is nothing to separate).
    """
    if model.C != np.inf:
        check_float(model.C, "C", minimum=0.0, strict_minimum=True)
    check_int(model.max_iter, "max_iter", minimum=1)
    check_float(model.tol, "tol", minimum=0.0)
    X, classes, codes = check_classification_data(X, y, min_classes=2)
    if len(classes) > 2:
        raise ValueError(
            f"{type(model).__name__} is binary but y has {len(classes)} classes "
            f"{classes[:5].tolist()}; keep two classes (softmax regression handles more)"
        )
    return X, codes.astype(np.float64), classes


def report_unconverged(model, history: list[float], fix: str) -> None:
    """The solver used all ``max_iter`` steps: raise if it diverged, else warn."""
    if not np.isfinite(history[-1]):
        raise RuntimeError(f"training diverged (objective {history[-1]}); {fix}")
    warn_not_converged(model, "max_iter", model.max_iter, f" (objective {history[-1]:.6g})")


# --- figure and script ------------------------------------------------------------------------


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
        f"2-D blobs: w={model.coef_[0].round(4)} b={model.intercept_[0]:.4f} "
        f"after {model.n_iter_} steps, train accuracy {model.score(X, y):.3f}"
    )
    plot_decision_boundary(X, y, model)
    parity.close(
        "log-odds: logit(predict_proba) = w·x + b",
        logit(model.predict_proba(X)[:, 1]),
        model.decision_function(X),
        rtol=1e-10,
    )

    X_train, X_test, y_train, y_test = standardised_split("breast_cancer", seed=args.seed)
    model = LogisticRegressionGD(C=args.C).fit(X_train, y_train)
    print(f"breast cancer: {model.n_iter_} steps, test accuracy {model.score(X_test, y_test):.3f}")
    rng = np.random.default_rng(args.seed)  # check away from the optimum, where ∇J is not ~0
    w, b = rng.normal(size=X_train.shape[1]), 0.3
    grad_w, _ = model.gradient(X_train, y_train, w, b)
    rel = check_gradient(lambda: model.objective(X_train, y_train, w, b), w, grad_w)
    parity.at_most("breast cancer: analytic gradient vs finite differences (rel error)", rel, 1e-8)
    with np.errstate(over="raise", invalid="raise"):
        print(f"σ(±1000) = {sigmoid(np.array([-1000.0, 1000.0]))}, no overflow warning")


if __name__ == "__main__":
    main()
