"""Stage 02: gradient-descent logistic regression agrees with scikit-learn's L-BFGS."""

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss

from journey import load_stage
from journey.data import standardised_split, two_blobs
from journey.estimator import ConvergenceWarning
from journey.gradcheck import check_gradient, relative_error

logreg = load_stage("02", "from_scratch/logistic_regression_numpy.py")


def _data(name):
    if name == "blobs":
        X, y = two_blobs(400, seed=0)
        return X, y, X
    X_train, X_test, y_train, _ = standardised_split("breast_cancer", seed=0)
    return X_train, y_train, X_test


@pytest.mark.exercise("02.3")
@pytest.mark.parametrize("name", ["blobs", "breast_cancer"])
@pytest.mark.parametrize("C", [1.0, 0.1])
def test_matches_sklearn_with_matched_regularisation(name, C):
    X, y, X_test = _data(name)
    gd = logreg.LogisticRegressionGD(C=C).fit(X, y)
    sk = LogisticRegression(C=C, tol=1e-10, max_iter=10_000).fit(X, y)
    assert (
        relative_error(np.r_[gd.coef_[0], gd.intercept_], np.r_[sk.coef_[0], sk.intercept_]) <= 1e-4
    )
    assert np.max(np.abs(gd.predict_proba(X_test) - sk.predict_proba(X_test))) <= 1e-4
    np.testing.assert_array_equal(gd.predict(X_test), sk.predict(X_test))


@pytest.mark.exercise("02.4")
@pytest.mark.parametrize("C", [1.0, 0.1, 100.0])
def test_newton_solver_matches_sklearn_and_gradient_descent(C):
    X, y, X_test = _data("breast_cancer")
    newton = logreg.LogisticRegressionNewton(C=C).fit(X, y)
    sk = LogisticRegression(C=C, tol=1e-10, max_iter=10_000).fit(X, y)
    assert newton.n_iter_ <= 30
    assert (
        relative_error(np.r_[newton.coef_[0], newton.intercept_], np.r_[sk.coef_[0], sk.intercept_])
        <= 1e-4
    )
    if C == 1.0:
        gd = logreg.LogisticRegressionGD(C=C).fit(X, y)
        assert relative_error(newton.coef_, gd.coef_) <= 1e-6
    np.testing.assert_array_equal(newton.predict(X_test), sk.predict(X_test))


@pytest.mark.exercise("02.4")
def test_newton_steps_match_the_autograd_hessian():
    """Three Newton steps from θ = 0, each θ ← θ − H⁻¹∇J with ∇J and H from torch.autograd.

    A wrong Hessian often still converges, only more slowly: the steps themselves expose it.
    """
    X, y, _ = _data("breast_cancer")
    X_tilde = torch.from_numpy(np.column_stack([X, np.ones(len(X))]))
    targets, alpha = torch.from_numpy(y.astype(np.float64)), 1.0 / len(X)  # C = 1

    def objective(theta):
        z = X_tilde @ theta
        return torch.mean(F.softplus(z) - targets * z) + 0.5 * alpha * theta[:-1] @ theta[:-1]

    theta = torch.zeros(X_tilde.shape[1], dtype=torch.float64)
    for steps in (1, 2, 3):
        gradient = torch.autograd.functional.jacobian(objective, theta)
        hessian = torch.autograd.functional.hessian(objective, theta)
        theta = theta - torch.linalg.solve(hessian, gradient)
        with pytest.warns(ConvergenceWarning):
            newton = logreg.LogisticRegressionNewton(C=1.0, max_iter=steps).fit(X, y)
        ours = np.r_[newton.coef_[0], newton.intercept_]
        assert relative_error(ours, theta.numpy()) <= 1e-10, f"after {steps} Newton step(s)"


def test_wrong_regularisation_convention_would_be_caught():
    """Using α = 1/C (not 1/(C·n)) gives different weights: the parity bar detects it."""
    X, y, _ = _data("breast_cancer")
    sk = LogisticRegression(C=1.0 / len(X), tol=1e-10, max_iter=10_000).fit(X, y)
    gd = logreg.LogisticRegressionGD(C=1.0).fit(X, y)
    assert relative_error(gd.coef_[0], sk.coef_[0]) > 1e-2


@pytest.mark.exercise("02.3")
@pytest.mark.parametrize("C", [1.0, np.inf])
def test_gradient_matches_finite_differences(C):
    X, y, _ = _data("breast_cancer")
    model = logreg.LogisticRegressionGD(C=C)
    rng = np.random.default_rng(1)
    w, b = rng.normal(size=X.shape[1]), -0.2
    grad_w, grad_b = model.gradient(X, y, w, b)
    assert check_gradient(lambda: model.objective(X, y, w, b), w, grad_w) <= 1e-8
    bias = np.array([b])
    assert (
        check_gradient(lambda: model.objective(X, y, w, bias[0]), bias, np.array([grad_b])) <= 1e-8
    )


@pytest.mark.exercise("02.2")
def test_stable_sigmoid_and_loss_at_extreme_scores():
    z = np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            p = logreg.sigmoid(z)
            loss = logreg.binary_cross_entropy_from_logits(z, np.array([1.0, 1.0, 1.0, 0.0, 0.0]))
    np.testing.assert_allclose(p[1:4], 1.0 / (1.0 + np.exp(-z[1:4])), rtol=1e-15)
    assert p[0] == 0.0 and p[-1] == 1.0
    assert loss == pytest.approx((1000.0 + 40.0 + np.log(2.0) + 40.0 + 1000.0) / 5, rel=1e-12)


@pytest.mark.exercise("02.3")
def test_log_odds_are_linear_in_the_features():
    X, y, X_test = _data("breast_cancer")
    model = logreg.LogisticRegressionGD().fit(X, y)
    z = X_test @ model.coef_[0] + model.intercept_[0]
    assert relative_error(logreg.logit(model.predict_proba(X_test)[:, 1]), z) <= 1e-10
    shifted = X_test.copy()
    shifted[:, 3] += 1.0
    delta = model.decision_function(shifted) - model.decision_function(X_test)
    np.testing.assert_allclose(delta, model.coef_[0, 3], rtol=1e-9)


@pytest.mark.exercise("02.1")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_keeps_dtype_and_shape_and_never_warns(dtype):
    z = np.array([[-1000.0, -745.5, -40.0], [0.0, 40.0, 1000.0]], dtype=dtype)[None]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            p = logreg.sigmoid(z)
    assert p.dtype == dtype and p.shape == z.shape
    expected = 1.0 / (1.0 + np.exp(-np.clip(z.astype(np.float64), -700, 700)))
    np.testing.assert_allclose(p, expected, rtol=np.finfo(dtype).eps * 4, atol=1e-300)
    assert p[0, 0, 0] == 0.0 and p[0, 1, 2] == 1.0 and p[0, 1, 0] == 0.5


@pytest.mark.exercise("02.1")
def test_sigmoid_of_ints_and_scalars_is_float64():
    assert logreg.sigmoid(np.array([0, 2])).dtype == np.float64
    assert float(logreg.sigmoid(0)) == 0.5


@pytest.mark.exercise("02.2")
def test_cross_entropy_from_logits_equals_sklearn_log_loss():
    rng = np.random.default_rng(3)
    z, y = 3 * rng.standard_normal(50), rng.integers(0, 2, 50)
    expected = log_loss(y, logreg.sigmoid(z))
    assert logreg.binary_cross_entropy_from_logits(z, y) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("solver", ["LogisticRegressionGD", "LogisticRegressionNewton"])
def test_zero_iterations_are_refused_with_a_clear_message(solver):
    X, y, _ = _data("blobs")
    with pytest.raises(ValueError, match="max_iter must be at least 1"):
        getattr(logreg, solver)(max_iter=0).fit(X, y)


def test_more_than_two_classes_are_refused():
    X = np.random.default_rng(0).standard_normal((6, 2))
    with pytest.raises(ValueError, match="binary but y has 3 classes"):
        logreg.LogisticRegressionGD().fit(X, [0, 1, 2, 0, 1, 2])


@pytest.mark.parametrize("C", [0.0, -1.0, np.nan])
def test_C_must_be_positive_at_fit(C):
    X, y, _ = _data("blobs")
    with pytest.raises(ValueError, match="C must be"):
        logreg.LogisticRegressionGD(C=C).fit(X, y)


@pytest.mark.exercise("02.4")
def test_no_penalty_is_C_infinity():
    X, y, _ = _data("blobs")
    free = logreg.LogisticRegressionNewton(C=np.inf).fit(X, y)
    sk = LogisticRegression(C=np.inf, tol=1e-10, max_iter=10_000).fit(X, y)
    assert relative_error(free.coef_, sk.coef_) <= 1e-4


def _badly_scaled_blobs():
    """Features ×300: gradient descent's default step crawls along the flat directions."""
    X, y = two_blobs(400, seed=0)
    return 300.0 * X, y


def test_unconverged_gradient_descent_warns_instead_of_failing_silently():
    X, y = _badly_scaled_blobs()
    with pytest.warns(ConvergenceWarning, match="max_iter=2000"):
        gd = logreg.LogisticRegressionGD(max_iter=2000).fit(X, y)
    sk = LogisticRegression(tol=1e-10, max_iter=10_000).fit(X, y)
    assert relative_error(gd.coef_, sk.coef_) > 0.5  # what the warning is about


@pytest.mark.slow
def test_unconverged_gradient_descent_warns_with_default_settings():
    X, y = _badly_scaled_blobs()
    with pytest.warns(ConvergenceWarning, match="max_iter=200000"):
        logreg.LogisticRegressionGD().fit(X, y)
