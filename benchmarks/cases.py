"""The benchmark cases: one function per scratch/library pair, at a standard realistic size.

Each ``prepare(quick)`` builds the data once and returns the two callables. ``quick`` shrinks
sizes so the test suite can exercise every case in seconds; ``make bench`` uses full sizes.
"""

import numpy as np

from benchmarks.harness import Case, Prepared
from journey import load_stage
from journey.gradcheck import relative_error


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def disagreement(a, b) -> float:
    """Fraction of predicted labels that differ."""
    return float(np.mean(np.asarray(a) != np.asarray(b)))


def linear_regression(quick: bool) -> Prepared:
    from sklearn.linear_model import LinearRegression

    scratch = load_stage("01", "from_scratch/linear_regression_numpy.py")
    n, d = (2_000, 10) if quick else (20_000, 50)
    X = _rng().normal(size=(n, d))
    y = X @ _rng(1).normal(size=d) + 0.1 * _rng(2).normal(size=n)
    return Prepared(lambda: np.r_[scratch.closed_form(X, y)[0]],
                    lambda: LinearRegression().fit(X, y).coef_,
                    relative_error, tolerance=1e-10)


def logistic_regression(quick: bool) -> Prepared:
    from sklearn.linear_model import LogisticRegression

    scratch = load_stage("02", "from_scratch/logistic_regression_numpy.py")
    n, d = (1_000, 10) if quick else (10_000, 30)
    X = _rng().normal(size=(n, d))
    y = (X @ _rng(1).normal(size=d) + _rng(2).logistic(size=n) > 0).astype(int)
    return Prepared(lambda: scratch.LogisticRegressionNewton(C=1.0, tol=1e-8).fit(X, y).coef_,
                    lambda: LogisticRegression(C=1.0, tol=1e-8, max_iter=1_000).fit(X, y).coef_,
                    relative_error, tolerance=1e-4)


CASES = [
    Case("linear regression fit (lstsq vs LinearRegression)", "20,000 × 50", 3, linear_regression),
    Case("logistic regression fit (Newton vs lbfgs)", "10,000 × 30", 3, logistic_regression),
]
