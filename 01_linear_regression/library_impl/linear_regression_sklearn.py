"""Linear regression with scikit-learn's ``LinearRegression`` (an exact least-squares solver).

``LinearRegression`` solves the same least-squares problem as the from-scratch gradient
descent, directly (via ``scipy.linalg.lstsq``), with no learning rate and no iterations.
"""

import argparse

import numpy as np
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_squared_error, r2_score

from journey.data import linear_1d, standardised_split


def fit_linear_regression(X, y) -> LinearRegression:
    """Fit ordinary least squares with an intercept."""
    return LinearRegression().fit(X, y)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    x, y = linear_1d(200, seed=args.seed)
    model = fit_linear_regression(x, y)
    print(f"1-D data: w={model.coef_[0]:.6f} b={model.intercept_:.6f} (true w=3, b=2)")

    X_train, X_test, y_train, y_test = standardised_split("diabetes", seed=args.seed)
    model = fit_linear_regression(X_train, y_train)
    pred = model.predict(X_test)
    mse, r2 = mean_squared_error(y_test, pred), r2_score(y_test, pred)
    print(f"diabetes: test MSE {mse:.1f}, R² {r2:.3f}")
    print("coefficients:", np.round(model.coef_, 2))


if __name__ == "__main__":
    main()
