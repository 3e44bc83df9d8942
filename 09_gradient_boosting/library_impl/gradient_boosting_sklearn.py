"""Gradient boosting with scikit-learn (``GradientBoostingRegressor`` / ``Classifier``) next to the scratch version.

With the same settings (``subsample=1.0``, no ``max_features``) scikit-learn grows the same
least-squares trees on the same negative gradients, with the same Newton leaf values for the
log-loss, so on data without tied splits the two ensembles predict the same numbers to
machine precision. The script checks that on Friedman's regression benchmark and on a
synthetic binary problem, and draws the staged test error of both.

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
    """How many scratch trees met a (near-)tie, where scikit-learn's random feature order could choose differently."""
    return sum(bool(tree.tied_splits_) for tree in model.estimators_)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    scratch = journey.load_stage("09", "from_scratch/gradient_boosting_numpy.py")
    params = settings(journey.is_quick())

    X_tr, X_te, y_tr, y_te = regression_data(args.seed)
    mine = scratch.GradientBoostingRegressor(**params).fit(X_tr, y_tr)
    lib = GradientBoostingRegressor(**params, random_state=args.seed).fit(X_tr, y_tr)
    mse_mine = [np.mean((p - y_te) ** 2) for p in mine.staged_predict(X_te)]
    mse_lib = [np.mean((p - y_te) ** 2) for p in lib.staged_predict(X_te)]
    print(
        f"regression (Friedman #1): test MSE scratch {mse_mine[-1]:.4f}, scikit-learn {mse_lib[-1]:.4f}; "
        f"trees with ties: {count_tied_trees(mine)}"
    )
    parity.at_most(
        "regressor: trees with tied splits (must be 0 for exact parity)", count_tied_trees(mine), 0
    )
    parity.close("regressor: test predictions", mine.predict(X_te), lib.predict(X_te), rtol=1e-8)
    parity.close(
        "regressor: train_score_ (MSE per stage)", mine.train_score_, lib.train_score_, rtol=1e-8
    )

    X_tr, X_te, y_tr, y_te = classification_data(args.seed)
    mine_c = scratch.GradientBoostingClassifier(**params).fit(X_tr, y_tr)
    lib_c = GradientBoostingClassifier(**params, random_state=args.seed).fit(X_tr, y_tr)
    print(
        f"classification: test accuracy scratch {np.mean(mine_c.predict(X_te) == y_te):.3f}, "
        f"scikit-learn {lib_c.score(X_te, y_te):.3f}; trees with ties: {count_tied_trees(mine_c)}"
    )
    parity.at_most(
        "classifier: trees with tied splits (must be 0 for exact parity)",
        count_tied_trees(mine_c),
        0,
    )
    parity.close(
        "classifier: test log-odds",
        mine_c.decision_function(X_te),
        lib_c.decision_function(X_te),
        rtol=1e-8,
    )
    parity.close(
        "classifier: test probabilities",
        mine_c.predict_proba(X_te),
        lib_c.predict_proba(X_te),
        rtol=1e-8,
    )
    parity.close(
        "classifier: train_score_ (deviance per stage)",
        mine_c.train_score_,
        lib_c.train_score_,
        rtol=1e-8,
    )
    parity.equal("classifier: test labels", mine_c.predict(X_te), lib_c.predict(X_te))

    plt = journey.plotting.pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(np.arange(1, len(mse_mine) + 1), mse_mine, label="scratch", lw=4, alpha=0.4)
    ax.plot(np.arange(1, len(mse_lib) + 1), mse_lib, "--", label="scikit-learn")
    ax.set(xlabel="trees", ylabel="test MSE", title="Friedman #1: the two curves coincide")
    ax.legend()
    journey.save_figure(fig, STAGE, "sklearn_vs_scratch_staged_mse")


if __name__ == "__main__":
    main()
