"""Gradient boosting with scikit-learn, next to the scratch version: same trees, same numbers.

With the same settings (``subsample=1.0``, no ``max_features``) scikit-learn's
``GradientBoostingRegressor`` / ``GradientBoostingClassifier`` grow the same least-squares
trees on the same negative gradients, with the same Newton leaf values for the log-loss, so on
data without tied splits the two ensembles predict the same numbers to machine precision and
rank the features identically. The script checks that on Friedman's regression benchmark and
on a synthetic binary problem, and draws the staged test error of both.

``criterion``: scikit-learn 1.9 deprecates the parameter (it now always uses squared error,
which ranks splits exactly as the older default ``friedman_mse`` did:
n_L·n_R/n·(ȳ_L − ȳ_R)² = S_L²/n_L + S_R²/n_R − S²/n), so it is left at its default here.
"""

import argparse

import numpy as np
from sklearn.datasets import make_classification, make_friedman1
from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor
from sklearn.model_selection import train_test_split

import journey
from journey import parity

STAGE = "09_gradient_boosting"
scratch = journey.load_stage("09", "from_scratch/gradient_boosting_numpy.py")


def settings(quick: bool) -> dict:
    """Shared by both sides. min_samples_leaf=20 avoids tiny leaves, where tied splits live."""
    return dict(
        n_estimators=30 if quick else 200, learning_rate=0.1, max_depth=3, min_samples_leaf=20
    )


def regression_data(seed: int = 0):
    X, y = make_friedman1(1000, noise=1.0, random_state=seed)
    return train_test_split(X, y, test_size=0.3, random_state=seed)


def classification_data(seed: int = 0):
    X, y = make_classification(1000, 10, n_informative=5, random_state=seed)
    return train_test_split(X, y, test_size=0.3, random_state=seed, stratify=y)


def count_tied_trees(model) -> int:
    """Scratch trees that met a (near-)tie, which scikit-learn's random feature order could
    break differently."""
    return sum(bool(tree.tied_splits_) for tree in model.estimators_)


def compare_regressors(params: dict, seed: int) -> tuple[list, list]:
    """Scratch vs scikit-learn on Friedman #1; returns both staged test-MSE curves."""
    X_tr, X_te, y_tr, y_te = regression_data(seed)
    mine = scratch.GradientBoostingRegressor(**params).fit(X_tr, y_tr)
    lib = GradientBoostingRegressor(**params, random_state=seed).fit(X_tr, y_tr)
    mse_mine = [np.mean((p - y_te) ** 2) for p in mine.staged_predict(X_te)]
    mse_lib = [np.mean((p - y_te) ** 2) for p in lib.staged_predict(X_te)]
    ties = count_tied_trees(mine)
    print(
        f"regression (Friedman #1): test MSE scratch {mse_mine[-1]:.4f}, "
        f"scikit-learn {mse_lib[-1]:.4f}; trees with ties: {ties}"
    )
    parity.at_most("regressor: trees with tied splits (must be 0 for exact parity)", ties, 0)
    parity.close("regressor: test predictions", mine.predict(X_te), lib.predict(X_te), rtol=1e-8)
    parity.close(
        "regressor: train_score_ (MSE per stage)", mine.train_score_, lib.train_score_, rtol=1e-8
    )
    parity.close(
        "regressor: feature_importances_",
        mine.feature_importances_,
        lib.feature_importances_,
        rtol=1e-12,
    )
    return mse_mine, mse_lib


def compare_classifiers(params: dict, seed: int) -> None:
    """Scratch vs scikit-learn on a synthetic binary problem: log-odds, probabilities, labels."""
    X_tr, X_te, y_tr, y_te = classification_data(seed)
    mine = scratch.GradientBoostingClassifier(**params).fit(X_tr, y_tr)
    lib = GradientBoostingClassifier(**params, random_state=seed).fit(X_tr, y_tr)
    ties = count_tied_trees(mine)
    print(
        f"classification: test accuracy scratch {mine.score(X_te, y_te):.3f}, "
        f"scikit-learn {lib.score(X_te, y_te):.3f}; trees with ties: {ties}"
    )
    parity.at_most("classifier: trees with tied splits (must be 0 for exact parity)", ties, 0)
    for name, ours, theirs in (
        ("test log-odds", mine.decision_function(X_te), lib.decision_function(X_te)),
        ("test probabilities", mine.predict_proba(X_te), lib.predict_proba(X_te)),
        ("train_score_ (deviance per stage)", mine.train_score_, lib.train_score_),
    ):
        parity.close(f"classifier: {name}", ours, theirs, rtol=1e-8)
    parity.close(
        "classifier: feature_importances_",
        mine.feature_importances_,
        lib.feature_importances_,
        rtol=1e-12,
    )
    parity.equal("classifier: test labels", mine.predict(X_te), lib.predict(X_te))


def staged_mse_figure(mse_mine: list, mse_lib: list):
    plt = journey.plotting.pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(np.arange(1, len(mse_mine) + 1), mse_mine, label="scratch", lw=4, alpha=0.4)
    ax.plot(np.arange(1, len(mse_lib) + 1), mse_lib, "--", label="scikit-learn")
    ax.set(xlabel="trees", ylabel="test MSE", title="Friedman #1: the two curves coincide")
    ax.legend()
    return fig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    params = settings(journey.is_quick())
    mse_mine, mse_lib = compare_regressors(params, args.seed)
    compare_classifiers(params, args.seed)
    journey.save_figure(
        staged_mse_figure(mse_mine, mse_lib), STAGE, "sklearn_vs_scratch_staged_mse"
    )


if __name__ == "__main__":
    main()
