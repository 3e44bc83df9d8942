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
import numbers
import warnings

import numpy as np

import journey
from journey.validation import check_array, check_is_fitted, check_n_features, check_X_y

STAGE = "06_random_forest"
tree_module = journey.load_stage("05", "from_scratch/decision_tree_numpy.py")


class RandomForestClassifier:
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
        criterion="gini",
        max_depth=None,
        min_samples_split=2,
        min_samples_leaf=1,
        max_features="sqrt",
        bootstrap=True,
        oob_score=False,
        random_state=None,
    ):
        if not isinstance(n_estimators, numbers.Integral) or n_estimators < 1:
            raise ValueError(
                f"n_estimators must be a positive integer (the number of trees), got {n_estimators!r}"
            )
        if oob_score and not bootstrap:
            raise ValueError(
                "oob_score=True needs bootstrap=True: without bootstrap no sample is left out of a tree"
            )
        self.n_estimators = n_estimators
        self.tree_params = dict(
            criterion=criterion,
            max_depth=max_depth,
            min_samples_split=min_samples_split,
            min_samples_leaf=min_samples_leaf,
            max_features=max_features,
        )
        tree_module.DecisionTreeClassifier(**self.tree_params)  # validates the tree settings now
        self.bootstrap = bootstrap
        self.oob_score = oob_score
        self.random_state = random_state
        self.estimators_ = None

    def fit(self, X, y):
        X, y = check_X_y(X, y, y_numeric=False)
        self.classes_, encoded = np.unique(y, return_inverse=True)
        self.n_features_in_ = X.shape[1]
        rng = np.random.default_rng(self.random_state)
        n = len(X)
        self.estimators_, self.estimators_samples_ = [], []
        in_bag = np.zeros((self.n_estimators, n), dtype=bool)
        for b in journey.progress(range(self.n_estimators), desc="trees"):
            rows = rng.integers(0, n, size=n) if self.bootstrap else np.arange(n)
            in_bag[b, rows] = True
            tree = tree_module.DecisionTreeClassifier(
                random_state=rng.spawn(1)[0], **self.tree_params
            )
            self.estimators_.append(tree.fit(X[rows], encoded[rows]))
            self.estimators_samples_.append(rows)
        if self.oob_score:
            self._set_oob(X, encoded, in_bag)
        return self

    def _tree_proba(self, tree, X: np.ndarray) -> np.ndarray:
        """One tree's class probabilities as (n, n_classes): a bootstrap may miss a class."""
        proba = np.zeros((len(X), len(self.classes_)))
        proba[:, tree.classes_] = tree.predict_proba(X)
        return proba

    def _set_oob(self, X: np.ndarray, encoded: np.ndarray, in_bag: np.ndarray) -> None:
        """Average, for each sample, the trees that did not see it; score the arg max."""
        votes = np.zeros((len(X), len(self.classes_)))
        for tree, seen in zip(self.estimators_, in_bag):
            unseen = ~seen
            votes[unseen] += self._tree_proba(tree, X[unseen])
        n_trees = (~in_bag).sum(axis=0)
        covered = n_trees > 0
        if not covered.all():
            warnings.warn(
                f"{np.sum(~covered)} samples were in every bootstrap sample and have no OOB "
                f"prediction; use more trees for a reliable OOB estimate",
                UserWarning,
                stacklevel=2,
            )
        self.oob_decision_function_ = np.full_like(votes, np.nan)
        self.oob_decision_function_[covered] = votes[covered] / n_trees[covered, None]
        self.oob_score_ = float(np.mean(np.argmax(votes[covered], axis=1) == encoded[covered]))

    def _validate(self, X) -> np.ndarray:
        check_is_fitted(self, "estimators_")
        X = check_array(X, name="X")
        check_n_features(X, self.n_features_in_)
        return X

    def predict_proba(self, X) -> np.ndarray:
        """P(k | x) = mean over the trees of their leaf class proportions."""
        X = self._validate(X)
        return sum(self._tree_proba(tree, X) for tree in self.estimators_) / len(self.estimators_)

    def predict(self, X) -> np.ndarray:
        """The class with the highest mean probability (soft vote)."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def predict_by_majority(self, X) -> np.ndarray:
        """One vote per tree for its predicted class; the most voted class wins (hard vote)."""
        X = self._validate(X)
        votes = np.zeros((len(X), len(self.classes_)), dtype=np.intp)
        for tree in self.estimators_:
            votes[np.arange(len(X)), tree.predict(X)] += 1
        return self.classes_[np.argmax(votes, axis=1)]

    def score(self, X, y) -> float:
        """Accuracy of ``predict`` on (X, y), like scikit-learn's classifiers."""
        return float(np.mean(self.predict(X) == np.asarray(y)))

    @property
    def feature_importances_(self) -> np.ndarray:
        """The trees' impurity importances, averaged and renormalised (single-leaf trees skipped)."""
        check_is_fitted(self, "estimators_")
        return tree_module.mean_feature_importances(self.estimators_, self.n_features_in_)


def main() -> None:
    from journey.data import load_bundled

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--dataset", default="breast_cancer", choices=["iris", "wine", "breast_cancer"]
    )
    parser.add_argument(
        "--n-estimators", type=int, default=None, help="default: 100 (20 in quick mode)"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    n_estimators = args.n_estimators or (20 if journey.is_quick() else 100)

    X, y = load_bundled(args.dataset)
    rng = np.random.default_rng(args.seed)
    test = np.zeros(len(y), dtype=bool)
    test[rng.permutation(len(y))[: len(y) // 4]] = True
    single = tree_module.DecisionTreeClassifier().fit(X[~test], y[~test])
    forest = RandomForestClassifier(n_estimators, oob_score=True, random_state=args.seed).fit(
        X[~test], y[~test]
    )
    print(
        f"{args.dataset}: one full-depth tree, test accuracy {np.mean(single.predict(X[test]) == y[test]):.3f}"
    )
    print(
        f"{args.dataset}: forest of {n_estimators} trees, test accuracy "
        f"{np.mean(forest.predict(X[test]) == y[test]):.3f} (majority vote "
        f"{np.mean(forest.predict_by_majority(X[test]) == y[test]):.3f}), OOB estimate {forest.oob_score_:.3f}"
    )

    plt = journey.plotting.pyplot()
    order = np.argsort(forest.feature_importances_)[::-1][:10]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.barh([f"x[{j}]" for j in order[::-1]], forest.feature_importances_[order[::-1]])
    ax.set(
        xlabel="mean impurity decrease (normalised)",
        title=f"scratch forest: top features ({args.dataset})",
    )
    journey.save_figure(fig, STAGE, f"scratch_forest_importances_{args.dataset}")


if __name__ == "__main__":
    main()
