"""k-nearest neighbours with scikit-learn: brute-force search, k chosen by cross-validation.

A professional does not guess k: ``GridSearchCV`` scores every (k, weights) pair by
5-fold cross-validation on the training set only, refits the best one on the whole
training set, and the untouched test set gives the final accuracy. ``algorithm="brute"``
computes all distances (the same method as the from-scratch model); for 64 features and
~1,300 points it is as fast as a k-d tree and returns the exact neighbours.
"""

import argparse

import numpy as np
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neighbors import KNeighborsClassifier

import journey
from journey.plotting import pyplot

STAGE = "08_knn_naive_bayes"


def grid_search(X_train, y_train, ks, folds: int) -> GridSearchCV:
    """Cross-validated search over k and the vote weighting."""
    search = GridSearchCV(
        KNeighborsClassifier(algorithm="brute"),
        {"n_neighbors": list(ks), "weights": ["uniform", "distance"]},
        cv=folds,
        n_jobs=1,
    )
    return search.fit(X_train, y_train)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="seed of the train/test split")
    args = parser.parse_args()

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=args.seed, stratify=y
    )
    ks, folds = ((1, 3, 5, 15), 3) if journey.is_quick() else ((1, 3, 5, 7, 9, 15, 25), 5)
    search = grid_search(X_train, y_train, ks, folds)
    table = pd.DataFrame(search.cv_results_["params"]).assign(
        cv_accuracy=search.cv_results_["mean_test_score"]
    )
    print(
        table.pivot(index="n_neighbors", columns="weights", values="cv_accuracy")
        .round(4)
        .to_string()
    )
    best = search.best_estimator_
    print(
        f"best {search.best_params_}: cv accuracy {search.best_score_:.4f}, "
        f"test accuracy {best.score(X_test, y_test):.4f}"
    )

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 5))
    ConfusionMatrixDisplay.from_estimator(best, X_test, y_test, ax=ax, colorbar=False)
    ax.set_title(f"KNN (k={best.n_neighbors}, {best.weights}) on the digits test set")
    journey.save_figure(fig, STAGE, "knn_sklearn_confusion")
    print(
        f"misclassified test digits: {int(np.sum(best.predict(X_test) != y_test))} of {len(y_test)}"
    )


if __name__ == "__main__":
    main()
