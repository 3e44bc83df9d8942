"""Stage 07: the from-scratch SVMs solve the same problems as scikit-learn's SVC.

Linear SVM, on separable and slightly overlapping toy data: cosine(w, coef_) ≥ 0.999, margin
width 2/‖w‖ within 1 %, identical test predictions, and scikit-learn's support vectors are
exactly the points the scratch solution puts on or inside its margin.
Kernel SVM (linear, poly, rbf) on moons and circles, both sides at tol=1e-6 with the same C,
γ, degree and coef0: decision function ≤ 1e-4 relative, the same support vectors.
"""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_circles, make_moons
from sklearn.metrics import pairwise
from sklearn.svm import SVC

from journey import load_stage
from journey.estimator import ConvergenceWarning, NotFittedError
from journey.gradcheck import check_gradient, relative_error

svm = load_stage("07", "from_scratch/svm_numpy.py")
ksvm = load_stage("07", "from_scratch/kernel_svm_numpy.py")


def cosine(a, b):
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


@pytest.mark.exercise("07.2")
@pytest.mark.parametrize("C", [0.1, 1.0, 10.0])
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("kind", ["separable", "overlapping"])
def test_linear_svm_matches_svc(kind, seed, C):
    X, y = svm.toy_data(kind, 200, seed=seed)
    X_test, _ = svm.toy_data(kind, 1000, seed=seed + 100)
    # tol=1e-8 on both sides resolves "on the margin" (y·f = 1) from "just outside" (y·f = 1 + 1e-4)
    ours = svm.LinearSVM(C=C, tol=1e-8).fit(X, y)
    lib = SVC(kernel="linear", C=C, tol=1e-8).fit(X, y)

    assert cosine(ours.coef_[0], lib.coef_[0]) >= 0.999
    lib_margin = 2.0 / np.linalg.norm(lib.coef_)
    assert abs(ours.margin_width() - lib_margin) <= 0.01 * lib_margin
    np.testing.assert_array_equal(ours.predict(X_test), lib.predict(X_test))
    # the support vectors are exactly the points on or inside the scratch margin (y·f ≤ 1 + tol)
    np.testing.assert_array_equal(ours.on_or_inside_margin(X, y, tol=1e-6), np.sort(lib.support_))
    np.testing.assert_array_equal(ours.support_, np.sort(lib.support_))
    if kind == "overlapping":
        assert ours.score(X, y) < 1.0  # the data really overlap
    else:
        assert ours.score(X, y) == 1.0


@pytest.mark.exercise("07.2")
@pytest.mark.parametrize("kind", ["separable", "overlapping"])
def test_default_tolerance_meets_the_bars(kind):
    """At libsvm's default tol=1e-3 on both sides: same direction, margin, predictions, αᵢ > 0."""
    for seed in (4, 5):
        X, y = svm.toy_data(kind, 200, seed=seed)
        X_test, _ = svm.toy_data(kind, 1000, seed=seed + 100)
        for C in (0.1, 10.0):
            ours, lib = svm.LinearSVM(C=C).fit(X, y), SVC(kernel="linear", C=C).fit(X, y)
            assert cosine(ours.coef_[0], lib.coef_[0]) >= 0.999
            assert abs(ours.margin_width() * np.linalg.norm(lib.coef_) / 2 - 1) <= 0.01
            np.testing.assert_array_equal(ours.predict(X_test), lib.predict(X_test))
            np.testing.assert_array_equal(ours.support_, np.sort(lib.support_))


def test_a_point_just_outside_the_margin_is_not_a_support_vector():
    """Overlapping seed 4, C=0.1: one point sits at y·f ≈ 1.00076 at the optimum, with α = 0."""
    X, y = svm.toy_data("overlapping", 200, seed=4)
    ours = svm.LinearSVM(C=0.1, tol=1e-9).fit(X, y)
    lib = SVC(kernel="linear", C=0.1, tol=1e-9).fit(X, y)
    yf = np.where(y == 1, 1.0, -1.0) * ours.decision_function(X)
    near = np.flatnonzero((yf > 1 + 1e-6) & (yf < 1 + 1e-3))
    assert near.size >= 1
    assert not np.isin(near, lib.support_).any() and not np.isin(near, ours.support_).any()
    assert near.size == ours.on_or_inside_margin(X, y, tol=1e-3).size - ours.support_.size


@pytest.mark.parametrize("kind", ["separable", "overlapping"])
@pytest.mark.exercise("07.2")
def test_tight_tolerance_reaches_the_same_optimum(kind):
    """At tol=1e-9 both solvers sit on the optimum: same w, b, α and no duality gap."""
    X, y = svm.toy_data(kind, 200, seed=3)
    ours = svm.LinearSVM(C=1.0, tol=1e-9).fit(X, y)
    lib = SVC(kernel="linear", C=1.0, tol=1e-9).fit(X, y)
    assert relative_error(ours.coef_, lib.coef_) <= 1e-6
    assert relative_error(ours.intercept_, lib.intercept_) <= 1e-6
    order = np.argsort(lib.support_)
    np.testing.assert_array_equal(ours.support_, lib.support_[order])
    assert relative_error(ours.dual_coef_, lib.dual_coef_[:, order]) <= 1e-5
    signs = np.where(y == 1, 1.0, -1.0)
    alpha = np.zeros(len(X))
    alpha[ours.support_] = np.abs(ours.dual_coef_[0])
    dual = svm.dual_objective(alpha, X, signs)
    assert abs(ours.objective_ - dual) <= 1e-7 * ours.objective_  # strong duality at the optimum
    assert (
        svm.hinge_objective(lib.coef_[0], lib.intercept_[0], X, signs, 1.0)
        >= ours.objective_ - 1e-7
    )


@pytest.mark.exercise("07.2")
def test_kkt_conditions_hold():
    """α = 0 ⇒ y·f ≥ 1, 0 < α < C ⇒ y·f = 1, α = C ⇒ y·f ≤ 1 (within the stopping tolerance)."""
    X, y = svm.toy_data("overlapping", 200, seed=0)
    C = 1.0
    model = svm.LinearSVM(C=C, tol=1e-8).fit(X, y)
    yf = np.where(y == 1, 1.0, -1.0) * model.decision_function(X)
    alpha = np.zeros(len(X))
    alpha[model.support_] = np.abs(model.dual_coef_[0])
    assert np.all(yf[alpha == 0] >= 1 - 1e-7)
    free = (alpha > 0) & (alpha < C)
    assert free.any() and np.allclose(yf[free], 1.0, atol=1e-7)
    assert np.all(yf[alpha == C] <= 1 + 1e-7)
    assert np.isclose(alpha @ np.where(y == 1, 1.0, -1.0), 0.0, atol=1e-12)


@pytest.mark.exercise("07.1")
def test_subgradient_solver_approaches_the_smo_optimum():
    X, y = svm.toy_data("overlapping", 200, seed=0)
    exact = svm.LinearSVM(C=1.0, tol=1e-8).fit(X, y)
    rough = svm.LinearSVM(C=1.0, solver="subgradient", max_iter=3000).fit(X, y)
    assert exact.objective_ <= rough.objective_ <= exact.objective_ * (1 + 1e-4)
    assert cosine(rough.coef_[0], exact.coef_[0]) >= 0.999
    assert rough.objective_history_.min() == pytest.approx(rough.objective_)


@pytest.mark.exercise("07.1")
def test_hinge_subgradient_is_the_gradient_away_from_the_kinks():
    """Where no point sits exactly on yᵢfᵢ = 1 the primal is differentiable: the subgradient
    must equal its finite-difference gradient, with points inside, outside and across the margin."""
    X, y = svm.toy_data("overlapping", 60, seed=2)
    signs = np.where(y == 1, 1.0, -1.0)
    params = np.array([0.4, -0.7, 0.1])  # (w, b): some points inside the margin, some outside
    margins = signs * (X @ params[:2] + params[2])
    assert (margins < 0).any() and ((margins > 0) & (margins < 1)).any() and (margins > 1).any()
    assert np.abs(margins - 1).min() > 1e-4  # no kink within the finite-difference step

    def objective():
        return svm.hinge_objective(params[:2], params[2], X, signs, 2.0)

    grad_w, grad_b = svm.hinge_subgradient(params[:2], params[2], X, signs, 2.0)
    assert check_gradient(objective, params, np.append(grad_w, grad_b)) <= 1e-8


def test_labels_are_mapped_like_svc():
    X, y = svm.toy_data("overlapping", 100, seed=1)
    names = np.array(["cat", "dog"])[y]
    ours = svm.LinearSVM().fit(X, names)
    lib = SVC(kernel="linear").fit(X, names)
    np.testing.assert_array_equal(ours.classes_, lib.classes_)
    assert (
        cosine(ours.coef_[0], lib.coef_[0]) >= 0.999
    )  # positive f means classes_[1] on both sides
    np.testing.assert_array_equal(ours.predict(X), lib.predict(X))


def test_subgradient_warns_until_its_best_objective_settles():
    """SMO's warning is the contract test's; the subgradient run has its own convergence rule."""
    X, y = svm.toy_data("overlapping", 200, seed=0)
    with pytest.warns(ConvergenceWarning, match="max_iter=200"):
        short = svm.LinearSVM(solver="subgradient", max_iter=200).fit(X, y)
    assert not short.converged_
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        long = svm.LinearSVM(solver="subgradient", max_iter=3000).fit(X, y)
    assert long.converged_
    history = long.objective_history_
    improvement = history[: len(history) // 2].min() - history.min()
    assert 0 <= improvement <= 1e-3 * history.min()


def test_subgradient_settled_rule():
    assert svm.subgradient_settled(np.array([5.0, 4.0, 4.0, 4.0]), tol=1e-3)
    assert not svm.subgradient_settled(np.array([5.0, 4.0, 4.0, 3.0]), tol=1e-3)
    assert not svm.subgradient_settled(np.array([5.0]), tol=1e-3)  # too short to tell


@pytest.mark.parametrize(
    "C, message",
    [(0.0, "greater than 0"), (-1.0, "greater than 0"), (np.nan, "finite"), (np.inf, "finite")],
)
def test_rejects_bad_C_at_fit(C, message):
    X, y = svm.toy_data("separable", 20)
    model = svm.LinearSVM(C=C)  # __init__ only stores it
    with pytest.raises(ValueError, match=f"C must be {message}"):
        model.fit(X, y)


def test_bad_input_only_the_svm_has():
    """NaN, shapes, labels, unfitted use and max_iter=2.5 are the contract test's."""
    X, y = svm.toy_data("separable", 20)
    with pytest.raises(ValueError, match="solver must be one of"):
        svm.LinearSVM(solver="newton").fit(X, y)
    with pytest.raises(ValueError, match="tol must be greater than 0"):
        svm.LinearSVM(tol=0.0).fit(X, y)
    with pytest.raises(ValueError, match="max_iter must be at least 1"):
        svm.LinearSVM(max_iter=0).fit(X, y)
    with pytest.raises(NotFittedError, match="fit"):
        svm.LinearSVM().margin_width()
    with pytest.raises(NotFittedError, match="fit"):
        svm.LinearSVM().on_or_inside_margin(X, y)
    with pytest.raises(ValueError, match="binary classifier: y has 3 classes"):
        svm.LinearSVM().fit(X, np.arange(20) % 3)
    model = svm.LinearSVM().fit(X, y)
    with pytest.raises(ValueError, match="one label per row"):
        model.on_or_inside_margin(X, y[:-1])
    with pytest.raises(ValueError, match="one label per row"):
        model.score(X, y[:-1])
    with pytest.raises(ValueError, match="one label per row"):
        model.score(X, y[:, None].repeat(2, axis=1))
    with pytest.raises(ValueError, match="kind must be one of"):
        svm.toy_data("spiral")


CURVED = {
    "moons": make_moons(200, noise=0.2, random_state=0),
    "circles": make_circles(200, noise=0.1, factor=0.45, random_state=0),
}
KERNEL_SETTINGS = {
    "linear": {"kernel": "linear"},
    "poly": {"kernel": "poly", "degree": 3, "coef0": 1.0},
    "rbf": {"kernel": "rbf"},
}


def probe_points(X, n=500, seed=1):
    """Points spread over the data's bounding box: where the decision functions are compared."""
    return np.random.default_rng(seed).uniform(X.min(axis=0), X.max(axis=0), size=(n, 2))


@pytest.mark.exercise("07.3")
def test_kernels_match_sklearn_pairwise():
    rng = np.random.default_rng(0)
    X, Z = rng.normal(size=(30, 3)), rng.normal(size=(20, 3))
    assert relative_error(ksvm.linear_kernel(X, Z), pairwise.linear_kernel(X, Z)) <= 1e-12
    ours = ksvm.polynomial_kernel(X, Z, gamma=0.7, degree=3, coef0=1.5)
    lib = pairwise.polynomial_kernel(X, Z, gamma=0.7, degree=3, coef0=1.5)
    assert relative_error(ours, lib) <= 1e-12
    assert relative_error(ksvm.rbf_kernel(X, Z, 0.4), pairwise.rbf_kernel(X, Z, gamma=0.4)) <= 1e-12
    assert np.allclose(np.diag(ksvm.rbf_kernel(X, X, 2.0)), 1.0)  # K(x, x) = exp(0)


@pytest.mark.exercise("07.2", "07.3")
@pytest.mark.parametrize("C", [0.1, 1.0, 10.0])
@pytest.mark.parametrize("kernel", list(KERNEL_SETTINGS))
@pytest.mark.parametrize("data", list(CURVED))
def test_kernel_svc_matches_svc(data, kernel, C):
    X, y = CURVED[data]
    settings = {**KERNEL_SETTINGS[kernel], "C": C, "tol": 1e-6}
    ours, lib = ksvm.KernelSVC(**settings).fit(X, y), SVC(**settings).fit(X, y)
    probes = probe_points(X)
    assert relative_error(ours.decision_function(probes), lib.decision_function(probes)) <= 1e-4
    np.testing.assert_array_equal(ours.support_, np.sort(lib.support_))
    np.testing.assert_array_equal(ours.n_support_, lib.n_support_)
    order = np.argsort(lib.support_)  # libsvm lists the support vectors class by class
    assert relative_error(ours.dual_coef_, lib.dual_coef_[:, order]) <= 1e-4
    assert relative_error(ours.intercept_, lib.intercept_) <= 1e-4
    np.testing.assert_array_equal(ours.predict(X), lib.predict(X))


@pytest.mark.parametrize(
    "settings",
    [
        {"kernel": "rbf", "gamma": 0.3},
        {"kernel": "rbf", "gamma": 8.0, "C": 10.0},
        {"kernel": "rbf", "gamma": "auto"},
        {"kernel": "poly", "degree": 2, "gamma": 0.5, "coef0": 2.0},
        {"kernel": "poly", "degree": 4, "gamma": "auto", "coef0": 0.5},
    ],
    ids=str,
)
def test_matched_gamma_degree_and_coef0(settings):
    for X, y in CURVED.values():
        ours = ksvm.KernelSVC(tol=1e-6, **settings).fit(X, y)
        lib = SVC(tol=1e-6, **settings).fit(X, y)
        assert ours.gamma_ == pytest.approx(lib._gamma, rel=1e-15)
        probes = probe_points(X)
        assert relative_error(ours.decision_function(probes), lib.decision_function(probes)) <= 1e-4
        np.testing.assert_array_equal(ours.support_, np.sort(lib.support_))


def test_gamma_scale_is_one_over_features_times_variance():
    X, y = CURVED["moons"]
    X = X * [1.0, 3.0]
    model = ksvm.KernelSVC().fit(X, y)
    assert model.gamma_ == pytest.approx(1.0 / (2 * X.var()))
    assert model.gamma_ == pytest.approx(SVC().fit(X, y)._gamma)
    assert ksvm.resolve_gamma("scale", np.ones((4, 2))) == 1.0  # Var(X) = 0, as scikit-learn


def test_default_tolerance_finds_the_same_support_vectors():
    for X, y in CURVED.values():
        for C in (0.1, 1.0, 10.0):
            ours, lib = ksvm.KernelSVC(C=C).fit(X, y), SVC(C=C).fit(X, y)
            np.testing.assert_array_equal(ours.support_, np.sort(lib.support_))


def test_linear_kernel_runs_the_linear_svm_solver():
    """One SMO for both: the same K = X Xᵀ gives the same αs, bit for bit."""
    X, y = CURVED["moons"]
    kernel = ksvm.KernelSVC(kernel="linear", C=0.5).fit(X, y)
    linear = svm.LinearSVM(C=0.5).fit(X, y)
    np.testing.assert_array_equal(kernel.dual_coef_, linear.dual_coef_)
    np.testing.assert_array_equal(kernel.intercept_, linear.intercept_)
    assert kernel.n_iter_ == linear.n_iter_
    probes = probe_points(X)
    f_kernel, f_linear = kernel.decision_function(probes), linear.decision_function(probes)
    assert relative_error(f_kernel, f_linear) <= 1e-12


def test_only_the_support_vectors_matter():
    """Refit on the support vectors alone: the same decision function (the αᵢ = 0 drop out)."""
    X, y = CURVED["moons"]
    full = ksvm.KernelSVC(C=1.0, tol=1e-8).fit(X, y)
    sv = full.support_
    # the same γ: "scale" would recompute it from the smaller set's variance
    reduced = ksvm.KernelSVC(C=1.0, gamma=full.gamma_, tol=1e-8).fit(X[sv], y[sv])
    probes = probe_points(X)
    assert relative_error(full.decision_function(probes), reduced.decision_function(probes)) <= 1e-6
    assert len(reduced.support_) == len(sv)


@pytest.mark.exercise("07.3")
def test_rbf_bends_where_a_line_cannot():
    X, y = ksvm.circles(200, seed=0)
    X_test, y_test = ksvm.circles(1000, seed=100)
    assert np.allclose(np.linalg.norm(X[y == 1], axis=1).mean(), 0.45, atol=0.05)
    linear = ksvm.KernelSVC(kernel="linear").fit(X, y)
    rbf = ksvm.KernelSVC(kernel="rbf").fit(X, y)
    assert linear.score(X_test, y_test) < 0.7 < 0.95 < rbf.score(X_test, y_test)


def test_bad_input_only_the_kernel_svm_has():
    """NaN, shapes, labels, unfitted use and degree/max_iter=2.5 are the contract test's."""
    X, y = CURVED["moons"]
    with pytest.raises(ValueError, match="kernel must be one of"):
        ksvm.KernelSVC(kernel="sigmoid").fit(X, y)
    with pytest.raises(ValueError, match="gamma must be one of"):
        ksvm.KernelSVC(gamma="large").fit(X, y)
    with pytest.raises(ValueError, match="gamma must be at least 0"):
        ksvm.KernelSVC(gamma=-1.0).fit(X, y)
    with pytest.raises(ValueError, match="degree must be at least 0"):
        ksvm.KernelSVC(kernel="poly", degree=-1).fit(X, y)
    with pytest.raises(TypeError, match="coef0 must be a number"):
        ksvm.KernelSVC(coef0="one").fit(X, y)
    with pytest.raises(ValueError, match="C must be greater than 0"):
        ksvm.KernelSVC(C=0.0).fit(X, y)
    with pytest.raises(ValueError, match="KernelSVC is a binary classifier: y has 3 classes"):
        ksvm.KernelSVC().fit(X, np.arange(len(X)) % 3)
