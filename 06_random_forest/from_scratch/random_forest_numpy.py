"""Random forest from scratch: bagging of the stage-05 CART tree with random feature subsets.

One deep tree has low bias but high variance: a few different training samples and it grows
different questions. A random forest averages many such trees, each made different on
purpose, so that their errors partly cancel:

1. **Bootstrap** (bagging): tree b is grown on n samples drawn *with replacement* from the n
   training samples. About (1 − 1/n)ⁿ ≈ e⁻¹ ≈ 37 % of the samples are left out of each tree.
2. **Random features**: every split looks at only ``max_features`` randomly drawn features
   (√p for classification), which de-correlates the trees further.
3. **Vote**: the forest's probability is the mean of the trees' leaf proportions,
   P(k | x) = (1/B) Σ_b p_b(k | x), and the prediction is its arg max ("soft" vote, as
   scikit-learn does); ``predict_by_majority`` counts one vote per tree instead.

Why it works: for B trees whose errors each have variance σ² and pairwise correlation ρ,
the variance of their average is ρσ² + (1 − ρ)σ²/B. More trees shrink the second term;
random features shrink ρ, the part that averaging cannot remove.

**Out-of-bag (OOB) estimate**: every sample is predicted only by the trees that did *not* see
it (about 37 % of them). Their accuracy is an honest estimate of test accuracy, for free.

The trees are the stage-05 ``DecisionTreeClassifier``, imported with ``journey.load_stage``.
"""

import argparse
import warnings

import numpy as np

import journey
from journey.cli import ensemble_flags
from journey.data import load_bundled
from journey.estimator import BaseEstimator, ClassifierMixin
from journey.validation import (
    check_classification_data,
    check_fitted_input,
    check_int,
    check_is_fitted,
)

STAGE = "06_random_forest"
tree_module = journey.load_stage("05", "from_scratch/decision_tree_numpy.py")
tree_compat = journey.load_stage("05", "from_scratch/_sklearn_compat.py")
TREE_PARAMS = ("criterion", "max_depth", "min_samples_split", "min_samples_leaf", "max_features")


def tree_proba(tree, X: np.ndarray, n_classes: int) -> np.ndarray:
    """One tree's class probabilities in the forest's columns, (n, n_classes).

    A bootstrap sample may miss a class, so the tree knows fewer classes than the forest:
    its column j holds the forest's class ``tree.classes_[j]`` and goes to that column.
    """
    # BEGIN SOLUTION 06.1
    # task: put the tree's probability columns into the forest's n_classes columns
    # hint: start from np.zeros((len(X), n_classes)); column j goes to column tree.classes_[j]
    proba = np.zeros((len(X), n_classes))
    proba[:, tree.classes_] = tree.predict_proba(X)
    return proba
    # END SOLUTION


class RandomForestClassifier(ClassifierMixin, BaseEstimator):
    """Bagged CART trees with random feature subsets, with scikit-learn's interface.

    Parameters: ``n_estimators`` (number of trees), ``criterion``, ``max_depth``,
    ``min_samples_split``, ``min_samples_leaf``, ``max_features`` (default 'sqrt') — passed to
    every tree —, ``bootstrap``, ``oob_score`` and ``random_state`` (seeds the bootstrap draws
    and every tree's feature draws).
    Learned: ``classes_``, ``estimators_``, ``estimators_samples_`` (each tree's bootstrap
    row indices), ``feature_importances_``, and with
    ``oob_score=True`` ``oob_score_`` and ``oob_decision_function_``.
    """

    def __init__(
        self,
        n_estimators: int = 100,
        *,
        criterion: str = "gini",
        max_depth: int | None = None,
        min_samples_split: int = 2,
        min_samples_leaf: int = 1,
        max_features: int | float | str | None = "sqrt",
        bootstrap: bool = True,
        oob_score: bool = False,
        random_state: int | None = None,
    ):
        self._store_hyperparameters(locals())

    def fit(self, X, y):
        """Grow each tree on its own bootstrap sample (n rows drawn with replacement)."""
        X, self.classes_, encoded = check_classification_data(X, y)
        self._check_params()
        self.n_features_in_ = X.shape[1]
        rng = np.random.default_rng(self.random_state)
        n = len(X)
        self.estimators_, self.estimators_samples_ = [], []
        for _ in journey.progress(range(self.n_estimators), desc="trees"):
            # BEGIN SOLUTION 06.2
            # task: the tree's training rows: a bootstrap sample, or every row without bootstrap
            # hint: n indices drawn with replacement from 0..n−1: rng.integers(0, n, size=n)
            rows = rng.integers(0, n, size=n) if self.bootstrap else np.arange(n)
            # END SOLUTION
            tree = self._new_tree(random_state=rng.spawn(1)[0])
            self.estimators_.append(tree.fit(X[rows], encoded[rows]))
            self.estimators_samples_.append(rows)
        if self.oob_score:
            self._set_oob(X, encoded)
        return self

    def predict_proba(self, X) -> np.ndarray:
        """P(k | x) = mean over the trees of their leaf class proportions."""
        X = check_fitted_input(self, X, "estimators_")
        # BEGIN SOLUTION 06.3
        # task: the soft vote: the mean over the trees of their class probabilities
        # hint: P(k | x) = (1/B) Σ_b tree_proba(tree_b, X, n_classes)
        total = sum(tree_proba(tree, X, len(self.classes_)) for tree in self.estimators_)
        return total / len(self.estimators_)
        # END SOLUTION

    def predict(self, X) -> np.ndarray:
        """The class with the highest mean probability (soft vote)."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def predict_by_majority(self, X) -> np.ndarray:
        """One vote per tree for its predicted class; the most voted class wins (hard vote)."""
        X = check_fitted_input(self, X, "estimators_")
        votes = np.zeros((len(X), len(self.classes_)), dtype=np.intp)
        for tree in self.estimators_:
            votes[np.arange(len(X)), tree.predict(X)] += 1
        return self.classes_[np.argmax(votes, axis=1)]

    @property
    def feature_importances_(self) -> np.ndarray:
        """The mean of the trees' normalised impurity importances, renormalised (single-leaf
        trees skipped): scikit-learn's convention for forests."""
        check_is_fitted(self, "estimators_")
        return tree_compat.mean_feature_importances(self.estimators_, self.n_features_in_)

    def _set_oob(self, X: np.ndarray, encoded: np.ndarray) -> None:
        """Average, for each sample, the trees that did not see it; score the arg max."""
        n_classes = len(self.classes_)
        # BEGIN SOLUTION 06.4
        # task: oob_decision_function_: each row the mean tree_proba of the trees that left it out
        # hint: per tree, unseen = rows not in its bootstrap; sum and count per row; NaN if count 0
        votes = np.zeros((len(X), n_classes))
        n_trees = np.zeros(len(X), dtype=np.intp)
        for tree, rows in zip(self.estimators_, self.estimators_samples_, strict=True):
            unseen = np.ones(len(X), dtype=bool)
            unseen[rows] = False
            if unseen.any():  # a small bootstrap can draw every row
                votes[unseen] += tree_proba(tree, X[unseen], n_classes)
            n_trees += unseen
        covered = n_trees > 0
        self.oob_decision_function_ = np.full_like(votes, np.nan)
        self.oob_decision_function_[covered] = votes[covered] / n_trees[covered, None]
        # END SOLUTION
        covered = ~np.isnan(self.oob_decision_function_).any(axis=1)
        if not covered.all():
            warnings.warn(
                f"{np.sum(~covered)} samples were in every bootstrap sample and have no OOB "
                f"prediction; use more trees for a reliable OOB estimate",
                UserWarning,
                stacklevel=3,
            )
        best = np.argmax(self.oob_decision_function_[covered], axis=1)
        self.oob_score_ = float(np.mean(best == encoded[covered]))

    # -- settings and input checks ---------------------------------------------------------

    def _new_tree(self, random_state):
        """A stage-05 tree with the forest's ``TREE_PARAMS`` and its own feature-draw seed."""
        settings = {name: getattr(self, name) for name in TREE_PARAMS}
        return tree_module.DecisionTreeClassifier(**settings, random_state=random_state)

    def _check_params(self) -> None:
        check_int(self.n_estimators, "n_estimators", minimum=1)
        if self.oob_score and not self.bootstrap:
            raise ValueError(
                "oob_score=True needs bootstrap=True: without bootstrap no sample is left out "
                "of a tree"
            )


def importance_figure(forest: RandomForestClassifier, dataset: str, top: int = 10):
    """The ``top`` features by the forest's impurity importance, as horizontal bars."""
    order = np.argsort(forest.feature_importances_)[::-1][:top][::-1]
    fig, ax = journey.plotting.pyplot().subplots(figsize=(6, 3.5))
    ax.barh([f"x[{j}]" for j in order], forest.feature_importances_[order])
    ax.set(
        xlabel="mean impurity decrease (normalised)",
        title=f"scratch forest: top features ({dataset})",
    )
    return fig


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        parents=[ensemble_flags(n_estimators=100, quick_n_estimators=20)],
    )
    parser.add_argument(
        "--dataset", default="breast_cancer", choices=["iris", "wine", "breast_cancer"]
    )
    args = parser.parse_args()

    X_tr, X_te, y_tr, y_te = tree_module.held_out_split(*load_bundled(args.dataset), seed=args.seed)
    single = tree_module.DecisionTreeClassifier().fit(X_tr, y_tr)
    forest = RandomForestClassifier(args.n_estimators, oob_score=True, random_state=args.seed)
    forest.fit(X_tr, y_tr)
    majority = np.mean(forest.predict_by_majority(X_te) == y_te)
    print(f"{args.dataset}: one full-depth tree, test accuracy {single.score(X_te, y_te):.3f}")
    print(
        f"{args.dataset}: forest of {args.n_estimators} trees, test accuracy "
        f"{forest.score(X_te, y_te):.3f} (majority vote {majority:.3f}), "
        f"OOB estimate {forest.oob_score_:.3f}"
    )
    fig = importance_figure(forest, args.dataset)
    journey.save_figure(fig, STAGE, f"scratch_forest_importances_{args.dataset}")


if __name__ == "__main__":
    main()
