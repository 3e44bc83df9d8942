"""Random forest with scikit-learn: OOB score, impurity vs permutation importance.

Fits a forest on the breast-cancer training split, compares its out-of-bag estimate with the
held-out test accuracy, and draws the two kinds of feature importance side by side:
impurity importance (``feature_importances_``, from the training data, free) and
permutation importance (``sklearn.inspection.permutation_importance`` on the test set: how
much the score drops when one feature's values are shuffled).
"""

import argparse

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from sklearn.inspection import permutation_importance
from sklearn.model_selection import train_test_split

import journey
from journey.cli import ensemble_flags

STAGE = "06_random_forest"


def fit_forest(X, y, *, n_estimators=300, random_state=0) -> RandomForestClassifier:
    """A forest with an OOB estimate; ``n_jobs=1`` keeps the timings honest and reproducible."""
    return RandomForestClassifier(
        n_estimators=n_estimators, oob_score=True, random_state=random_state, n_jobs=1
    ).fit(X, y)


def importance_figure(names, impurity, permutation_mean, permutation_std, top: int = 12):
    """Two bar charts, features in the order of impurity importance."""
    plt = journey.plotting.pyplot()
    order = np.argsort(impurity)[::-1][:top][::-1]
    labels = [names[j] for j in order]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True)
    axes[0].barh(labels, impurity[order], color="tab:blue")
    axes[0].set(
        title="impurity importance (training data)", xlabel="mean decrease in Gini, normalised"
    )
    axes[1].barh(labels, permutation_mean[order], xerr=permutation_std[order], color="tab:orange")
    axes[1].set(
        title="permutation importance (test set)", xlabel="drop in test accuracy when shuffled"
    )
    fig.tight_layout()
    return fig


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        parents=[ensemble_flags(n_estimators=300, quick_n_estimators=50)],
    )
    args = parser.parse_args()

    data = load_breast_cancer()
    X_tr, X_te, y_tr, y_te = train_test_split(
        data.data, data.target, test_size=0.3, random_state=args.seed, stratify=data.target
    )
    forest = fit_forest(X_tr, y_tr, n_estimators=args.n_estimators, random_state=args.seed)
    print(
        f"forest of {args.n_estimators} trees: OOB accuracy {forest.oob_score_:.3f}, "
        f"test accuracy {forest.score(X_te, y_te):.3f}"
    )
    repeats = 3 if journey.is_quick() else 10
    perm = permutation_importance(
        forest, X_te, y_te, n_repeats=repeats, random_state=args.seed, n_jobs=1
    )
    top_impurity = data.feature_names[np.argmax(forest.feature_importances_)]
    top_permutation = data.feature_names[np.argmax(perm.importances_mean)]
    print(f"most important feature: impurity → {top_impurity}; permutation → {top_permutation}")
    fig = importance_figure(
        list(data.feature_names),
        forest.feature_importances_,
        perm.importances_mean,
        perm.importances_std,
    )
    journey.save_figure(fig, STAGE, "sklearn_importances_impurity_vs_permutation")


if __name__ == "__main__":
    main()
