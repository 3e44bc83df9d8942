"""Stage 01: gradient-descent linear regression agrees with scikit-learn's exact solver."""

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression

from journey import load_stage
from journey.data import linear_1d, standardised_split
from journey.estimator import ConvergenceWarning
from journey.gradcheck import check_gradient, relative_error

lr = load_stage("01", "from_scratch/linear_regression_numpy.py")


def _datasets():
    x, y = linear_1d(200, seed=0)
    X_train, X_test, y_train, _ = standardised_split("diabetes", seed=0)
    return {"1-D": (x, y, x), "diabetes": (X_train, y_train, X_test)}


@pytest.mark.exercise("01.1", "01.2")
@pytest.mark.parametrize("name", ["1-D", "diabetes"])
def test_gradient_descent_matches_sklearn(name):
    X, y, X_test = _datasets()[name]
    gd = lr.LinearRegressionGD(learning_rate=0.1).fit(X, y)
    sk = LinearRegression().fit(X, y)
    assert relative_error(np.r_[gd.coef_, gd.intercept_], np.r_[sk.coef_, sk.intercept_]) <= 1e-4
    assert relative_error(gd.predict(X_test), sk.predict(X_test)) <= 1e-6


@pytest.mark.exercise("01.3")
@pytest.mark.parametrize("name", ["1-D", "diabetes"])
def test_closed_form_matches_sklearn(name):
    X, y, _ = _datasets()[name]
    w, b = lr.closed_form(X, y)
    sk = LinearRegression().fit(X, y)
    assert relative_error(np.r_[w, b], np.r_[sk.coef_, sk.intercept_]) <= 1e-10


@pytest.mark.exercise("01.1", "01.2")
def test_recovers_the_generating_line():
    x, y = linear_1d(5000, slope=3.0, intercept=2.0, noise=0.5, seed=1)
    gd = lr.LinearRegressionGD().fit(x, y)
    assert gd.coef_[0] == pytest.approx(3.0, abs=0.05)
    assert gd.intercept_ == pytest.approx(2.0, abs=0.05)


@pytest.mark.exercise("01.1", "01.2")
def test_loss_decreases_monotonically_below_the_stability_bound():
    X, y, _ = _datasets()["diabetes"]
    model = lr.LinearRegressionGD(learning_rate=0.9 * lr.max_stable_learning_rate(X), max_iter=500)
    with pytest.warns(ConvergenceWarning, match="max_iter=500"):
        gd = model.fit(X, y)
    assert np.all(np.diff(gd.loss_history_) <= 1e-9)


@pytest.mark.exercise("01.1", "01.2")
def test_too_large_learning_rate_is_detected_not_silent_nan():
    X, y, _ = _datasets()["diabetes"]
    bound = lr.max_stable_learning_rate(X)
    with pytest.raises(lr.DivergenceError, match="stability bound"):
        lr.LinearRegressionGD(learning_rate=1.1 * bound).fit(X, y)


def test_stability_bound_matches_the_hessian_spectrum():
    """Independent route: the Hessian's largest eigenvalue by power iteration."""
    X, _, _ = _datasets()["diabetes"]
    X_tilde = np.column_stack([X, np.ones(len(X))])
    v = np.ones(X_tilde.shape[1])
    for _ in range(2000):
        v = X_tilde.T @ (X_tilde @ v)
        v /= np.linalg.norm(v)
    lam = 2.0 / len(X) * v @ (X_tilde.T @ (X_tilde @ v))
    assert lr.max_stable_learning_rate(X) == pytest.approx(2.0 / lam, rel=1e-8)


@pytest.mark.exercise("01.1")
def test_gradient_and_loss_match_finite_differences_and_their_definition():
    """An independent route to ∂L/∂w and ∂L/∂b: central differences of the loss itself."""
    X, y, _ = _datasets()["diabetes"]
    rng = np.random.default_rng(3)
    w, bias = rng.normal(size=X.shape[1]), np.array([0.7])  # b as an array: perturbed in place
    grad_w, grad_b, loss = lr.gradient(X, y, w, bias[0])

    def mse():
        return float(np.mean((X @ w + bias[0] - y) ** 2))

    # h = 1e-5: the loss is ~3e4 here, so a smaller step loses digits to rounding
    assert check_gradient(mse, w, grad_w, h=1e-5) <= 1e-8
    assert check_gradient(mse, bias, np.array([grad_b]), h=1e-5) <= 1e-8
    assert loss == pytest.approx(mse(), rel=1e-12)


@pytest.mark.exercise("01.1", "01.2")
def test_stopping_rule_includes_the_intercepts_gradient():
    """Centred x and a flat target: at w = 0, b = 0 the weights' gradient is exactly zero but
    the intercept's is not, so stopping there would return b = 0 instead of the mean of y."""
    x = np.array([[-2.0], [-1.0], [0.0], [1.0], [2.0]])
    y = np.full(5, 5.0)
    grad_w, grad_b, _ = lr.gradient(x, y, np.zeros(1), 0.0)
    assert np.all(grad_w == 0.0) and grad_b == pytest.approx(-10.0)
    gd = lr.LinearRegressionGD().fit(x, y)
    assert gd.n_iter_ > 1
    assert gd.intercept_ == pytest.approx(5.0, abs=1e-9)
    assert gd.coef_[0] == 0.0


@pytest.mark.parametrize("learning_rate", [0.0, -0.1, np.inf])
def test_learning_rate_must_be_a_positive_number(learning_rate):
    model = lr.LinearRegressionGD(learning_rate=learning_rate)
    with pytest.raises(ValueError, match="learning_rate"):
        model.fit(*linear_1d(20))
