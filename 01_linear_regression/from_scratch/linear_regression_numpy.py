"""Linear regression from scratch: batch gradient descent on the mean squared error.

The model predicts ŷ = X·w + b. Over n samples the loss is the mean squared error

    L(w, b) = (1/n) Σᵢ (xᵢ·w + b − yᵢ)²

Writing the residuals r = X·w + b − y, the chain rule gives the gradient

    ∂L/∂w = (2/n) Xᵀ r        ∂L/∂b = (2/n) Σᵢ rᵢ

and gradient descent repeats  w ← w − η ∂L/∂w,  b ← b − η ∂L/∂b  until the whole gradient
(∂L/∂w, ∂L/∂b) is (numerically) zero. L is a quadratic bowl whose curvature is the Hessian
H = (2/n) X̃ᵀX̃ with X̃ = [X, 1]; the steps shrink the error only when η < 2 / λ_max(H).
Above that bound every step overshoots further than the last: the loss grows
geometrically until it overflows to inf/NaN. ``fit`` detects that and raises
``DivergenceError`` with the bound, instead of returning NaN weights.

Setting the gradient to zero gives the normal equations X̃ᵀX̃ θ = X̃ᵀy, solved here with
``np.linalg.lstsq`` (stable even when X̃ᵀX̃ is badly conditioned): the closed form that
gradient descent converges to.
"""

import argparse

import numpy as np

from journey.estimator import BaseEstimator, RegressorMixin
from journey.validation import (
    check_fitted_input,
    check_float,
    check_int,
    check_X_y,
    warn_not_converged,
)

STAGE = "01_linear_regression"


def gradient(X, y, w, b) -> tuple[np.ndarray, float, float]:
    """(∂L/∂w, ∂L/∂b, L) at (w, b): ((2/n) Xᵀr, (2/n) Σ r, (1/n) rᵀr) with r = X·w + b − y."""
    # BEGIN SOLUTION 01.1
    # task: the MSE loss and its gradient with respect to w and b
    # hint: residuals r = X @ w + b - y; ∂L/∂w = (2/n) Xᵀr, ∂L/∂b = (2/n) Σ r, L = rᵀr / n
    residual = X @ w + b - y
    n = len(X)
    return 2.0 / n * (X.T @ residual), 2.0 / n * residual.sum(), float(residual @ residual / n)
    # END SOLUTION


class LinearRegressionGD(RegressorMixin, BaseEstimator):
    """Least squares fitted by batch gradient descent, with scikit-learn's attribute names.

    Parameters
    ----------
    learning_rate : step size η.
    max_iter : upper bound on the number of full-batch steps.
    tol : stop when the gradient's Euclidean norm ‖(∂L/∂w, ∂L/∂b)‖ falls below ``tol``
        (the intercept's slope counts too: a line with the right tilt at the wrong height
        is not a minimum).

    Learned attributes: ``coef_`` (n_features,), ``intercept_``, ``loss_history_`` (the
    loss before each step), ``n_iter_``, ``n_features_in_``.
    """

    def __init__(self, learning_rate: float = 0.1, max_iter: int = 100_000, tol: float = 1e-10):
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.tol = tol

    def fit(self, X, y) -> "LinearRegressionGD":
        X, y = check_inputs(self, X, y)
        w, b = np.zeros(X.shape[1]), 0.0
        history = []
        for _ in range(self.max_iter):
            grad_w, grad_b, loss = gradient(X, y, w, b)
            history.append(loss)
            check_not_diverging(history, self.learning_rate, X)
            # BEGIN SOLUTION 01.2
            # task: stop once the whole gradient is below tol, else take one descent step
            # hint: break when ‖(∂L/∂w, ∂L/∂b)‖ < tol; then w ← w − η ∂L/∂w, b ← b − η ∂L/∂b
            if np.sqrt(grad_w @ grad_w + grad_b**2) < self.tol:
                break
            w -= self.learning_rate * grad_w
            b -= self.learning_rate * grad_b
            # END SOLUTION
        else:
            warn_not_converged(self, "max_iter", self.max_iter)
        self.coef_, self.intercept_ = w, float(b)
        self.loss_history_ = np.array(history)
        self.n_iter_ = len(history)
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X) -> np.ndarray:
        """ŷ = X·w + b."""
        X = check_fitted_input(self, X, "coef_")
        return X @ self.coef_ + self.intercept_


def closed_form(X, y) -> tuple[np.ndarray, float]:
    """Least-squares solution of X̃θ ≈ y (the normal equations), returned as (w, b)."""
    X, y = check_X_y(X, y)
    # BEGIN SOLUTION 01.3
    # task: solve the normal equations for (w, b) with a column of ones for the intercept
    # hint: X̃ = [X, 1]; θ = np.linalg.lstsq(X̃, y, rcond=None)[0]; w = θ[:-1], b = θ[-1]
    X_tilde = np.column_stack([X, np.ones(len(X))])
    theta, *_ = np.linalg.lstsq(X_tilde, y, rcond=None)
    return theta[:-1], float(theta[-1])
    # END SOLUTION


# --- the stability bound, and the checks around the loop ------------------------------------


class DivergenceError(RuntimeError):
    """Gradient descent blew up: the learning rate is above the stability bound."""


def max_stable_learning_rate(X: np.ndarray) -> float:
    """2 / λ_max(H) with H = (2/n) X̃ᵀX̃, X̃ = [X, 1]: gradient descent converges below it."""
    X_tilde = np.column_stack([X, np.ones(len(X))])
    hessian = 2.0 / len(X) * X_tilde.T @ X_tilde
    return 2.0 / float(np.linalg.eigvalsh(hessian)[-1])


def check_not_diverging(history: list[float], learning_rate: float, X: np.ndarray) -> None:
    """Raise ``DivergenceError`` once the loss is non-finite or a million times its start."""
    loss, start = history[-1], history[0]
    if np.isfinite(loss) and loss <= 1e6 * max(start, 1e-12):
        return
    raise DivergenceError(
        f"gradient descent diverged at step {len(history) - 1} (loss {loss:.3g}, started at "
        f"{start:.3g}): learning_rate={learning_rate} is above the stability bound "
        f"2/λ_max(H) = {max_stable_learning_rate(X):.4g} for this data; lower it "
        f"(or standardise the features)"
    )


def check_inputs(model: LinearRegressionGD, X, y) -> tuple[np.ndarray, np.ndarray]:
    """The hyper-parameters of ``model``, then X (2-D, finite) and y (finite, same length)."""
    check_float(model.learning_rate, "learning_rate", minimum=0.0, strict_minimum=True)
    check_int(model.max_iter, "max_iter", minimum=1)
    check_float(model.tol, "tol", minimum=0.0)
    return check_X_y(X, y)


# --- figure and script ------------------------------------------------------------------------


def plot_fit(x, y, model, stage=STAGE):
    """Scatter of the data, the fitted line, and the loss curve on a log scale."""
    from journey.plotting import pyplot, save_figure

    plt = pyplot()
    fig, (ax_fit, ax_loss) = plt.subplots(1, 2, figsize=(10, 4))
    grid = np.linspace(x.min(), x.max(), 100).reshape(-1, 1)
    ax_fit.scatter(x[:, 0], y, s=12, alpha=0.6, label="data")
    ax_fit.plot(grid[:, 0], model.predict(grid), color="C3", label="gradient descent fit")
    ax_fit.set(xlabel="x", ylabel="y", title="Fitted line")
    ax_fit.legend()
    ax_loss.semilogy(model.loss_history_)
    ax_loss.set(xlabel="step", ylabel="MSE (log scale)", title="Loss during gradient descent")
    return save_figure(fig, stage, "linear_regression_fit")


def main(argv=None) -> None:
    from journey import is_quick, parity
    from journey.data import linear_1d, standardised_split

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learning-rate", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    x, y = linear_1d(50 if is_quick() else 200, seed=args.seed)
    model = LinearRegressionGD(learning_rate=args.learning_rate).fit(x, y)
    w, b = closed_form(x, y)
    print(
        f"1-D data: gradient descent w={model.coef_[0]:.6f} b={model.intercept_:.6f} "
        f"in {model.n_iter_} steps; closed form w={w[0]:.6f} b={b:.6f}"
    )
    parity.close(
        "1-D: GD coefficients vs closed form",
        np.r_[model.coef_, model.intercept_],
        np.r_[w, b],
        rtol=1e-8,
    )
    plot_fit(x, y, model)

    X_train, X_test, y_train, _ = standardised_split("diabetes", seed=args.seed)
    model = LinearRegressionGD(learning_rate=args.learning_rate).fit(X_train, y_train)
    w, b = closed_form(X_train, y_train)
    print(f"diabetes: {model.n_iter_} steps, train MSE {model.loss_history_[-1]:.2f}")
    parity.close(
        "diabetes: GD coefficients vs closed form",
        np.r_[model.coef_, model.intercept_],
        np.r_[w, b],
        rtol=1e-8,
    )
    try:
        LinearRegressionGD(learning_rate=1.0).fit(X_train, y_train)
    except DivergenceError as exc:
        print(f"learning rate 1.0: {exc}")


if __name__ == "__main__":
    main()
