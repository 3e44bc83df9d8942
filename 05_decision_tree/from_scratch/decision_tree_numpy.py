"""Decision trees (CART) from scratch: classification (Gini, entropy) and regression.

A tree asks yes/no questions "is feature j ≤ t?" and predicts with the training samples
that end in the same leaf. CART grows it greedily, top down: at every node it tries every
feature j and every threshold t and keeps the split that makes the two children purest.

Impurity of a node with class proportions p_k (classification) or targets y (regression):

    Gini        G = 1 − Σ_k p_k²                (chance of mislabelling a random draw)
    entropy     H = −Σ_k p_k log₂ p_k           (bits needed to name the class)
    squared     V = (1/n) Σ_i (y_i − ȳ)²        (the variance; the leaf predicts ȳ)

A split sends n_L samples left and n_R right. It is good when the weighted impurity of the
children, n_L·I_L + n_R·I_R, is small, so the search maximises the *proxy*

    proxy = −n_L·I_L − n_R·I_R         (classification)
    proxy = S_L²/n_L + S_R²/n_R         (squared error, S = sum of y in the child)

(the second is the first with V expanded: n·V = Σy² − S²/n, and Σy² is the same for every
split). The impurity decrease n·I − n_L·I_L − n_R·I_R, summed per feature over the tree and
normalised, is the impurity-based ``feature_importances_``.

Vectorised split search. Sort the node's samples by a feature: "left of position i" is then
the first i+1 samples, and one ``cumsum`` of the one-hot labels (or of y) over an array
(features, samples, classes) gives the left counts (or sums) of *every* threshold of every
feature at once; right = total − left. The sort is done once, at the root: a child keeps its
samples in sorted order by filtering the parent's sorted index lists with a boolean mask.

What it takes to be scikit-learn's tree node for node (float32 features, its node arrays,
its feature draws, a record of exactly tied features) is in ``_sklearn_compat.py``.
"""

import argparse

import numpy as np

import journey
from journey.data import load_bundled
from journey.estimator import BaseEstimator, ClassifierMixin, RegressorMixin
from journey.validation import check_classification_data, check_is_fitted, check_X_y

compat = journey.load_stage("05", "from_scratch/_sklearn_compat.py")
EPSILON = np.finfo(np.float64).eps  # a node this pure is a leaf


# ------------------------------------------------------------------------------- impurity


def gini(counts: np.ndarray, n: np.ndarray) -> np.ndarray:
    """G = 1 − Σ_k (c_k / n)² for class counts ``counts[..., k]`` over ``n`` samples.

    Computed as 1 − (Σ_k c_k²) / n²: the counts are integers, so the sum of squares is exact.
    """
    # BEGIN SOLUTION 05.1
    # task: the Gini impurity of every node (or candidate child) from its class counts
    # hint: G = 1 − (Σ_k c_k²) / n²; np.einsum("...k,...k->...", counts, counts) is Σ_k c_k²
    sum_of_squares = np.einsum("...k,...k->...", counts, counts)
    return 1.0 - sum_of_squares / (n * n)
    # END SOLUTION


def entropy(counts: np.ndarray, n: np.ndarray) -> np.ndarray:
    """H = −Σ_k p_k log₂ p_k with p_k = c_k / n, and 0·log 0 = 0 (summed class by class)."""
    # BEGIN SOLUTION 05.2
    # task: the entropy in bits of every node from its class counts, with 0·log 0 = 0
    # hint: p = counts / n[..., None]; H = −Σ_k p_k·log(p_k)/log(2), skipping classes with p_k = 0
    p = counts / np.asarray(n)[..., None]
    p = np.where(p > 0.0, p, 1.0)  # log 1 = 0: an empty class contributes nothing
    h = np.zeros(counts.shape[:-1])
    for k in range(counts.shape[-1]):
        h = h - p[..., k] * (np.log(p[..., k]) / np.log(2.0))
    return h
    # END SOLUTION


def squared_error(y: np.ndarray) -> float:
    """V = mean(y²) − mean(y)², the variance of the node's targets."""
    return float(np.mean(y**2) - np.mean(y) ** 2)


CLASSIFICATION_CRITERIA = {"gini": gini, "entropy": entropy, "log_loss": entropy}


# ------------------------------------------------------------------- the best split of a node


def best_split(values, Y_sorted, total, proxy, min_samples_leaf: int):
    """Score every split of every feature at once; return ``(f, i, scores)`` or None.

    ``values[f]``: the node's column of feature f in increasing order; ``Y_sorted[f]``: the
    target rows in that order. "The first i+1 samples go left" is scored for every f and i
    from cumulative sums. A threshold must fall between two different values and leave
    ``min_samples_leaf`` samples on each side. ``argmax`` keeps the first maximum: among tied
    thresholds the smallest wins, among tied features the first visited one.
    """
    # BEGIN SOLUTION 05.3
    # task: score every allowed split of every feature at once and return the best one
    # hint: left sums = cumsum of Y_sorted over samples; mask ties and small leaves with −inf
    left_sums = np.cumsum(Y_sorted, axis=1)[:, :-1]  # (f, n-1, k)
    n = values.shape[1]
    n_left = np.arange(1, n, dtype=np.float64)  # (n-1,)
    allowed = values[:, 1:] > values[:, :-1] + compat.FEATURE_THRESHOLD
    allowed &= (n_left >= min_samples_leaf) & (n - n_left >= min_samples_leaf)
    scores = np.where(allowed, proxy(left_sums, total, n_left, n - n_left), -np.inf)
    best_pos = np.argmax(scores, axis=1)
    best_scores = scores[np.arange(len(scores)), best_pos]
    winner = int(np.argmax(best_scores))
    if best_scores[winner] == -np.inf:
        return None
    return winner, int(best_pos[winner]), scores
    # END SOLUTION


# ------------------------------------------------------------------------- growing the tree


class BaseDecisionTree(compat.TreeQueries, BaseEstimator):
    """Growing, ``apply``, importances; a subclass gives the target matrix ``Y`` (one-hot
    labels, or y as one column), ``_impurity`` (of a node) and ``_split_proxy``."""

    tie_tolerance = 0.0  # relative gap under which two candidate splits count as tied

    def _fit(self, X: np.ndarray, Y: np.ndarray):
        """Grow the tree on float32-rounded ``X`` and the target matrix ``Y`` (n, k)."""
        compat.check_hyperparameters(self, self._criteria)
        self.n_features_in_ = X.shape[1]
        self.max_features_ = compat.resolve_max_features(self.max_features, X.shape[1])
        self._rng = np.random.default_rng(self.random_state)
        self._X, self._Y = compat.to_float32(X), Y
        self._max_depth = np.iinfo(np.intp).max if self.max_depth is None else self.max_depth
        self._min_split = max(self.min_samples_split, 2 * self.min_samples_leaf)
        self.tied_splits_ = []
        # presort once: row j lists the sample indices in increasing order of feature j
        sorted_idx = np.argsort(self._X, axis=0, kind="stable").T.copy()
        self.tree_ = compat.Tree(X.shape[1], Y.shape[1])
        self._grow(sorted_idx, depth=0)
        self.tree_.finalise()
        del self._X, self._Y, self._rng, self._max_depth, self._min_split
        return self

    def _grow(self, sorted_idx: np.ndarray, depth: int) -> int:
        """Add the node holding the samples ``sorted_idx[0]`` and, recursively, its subtree."""
        samples = sorted_idx[0]
        Y_node = self._Y[samples]
        n = len(samples)
        impurity = self._impurity(Y_node)
        node = self.tree_.add_node(impurity, n, Y_node.sum(axis=0) / n)  # the mean row of Y
        # BEGIN SOLUTION 05.4
        # task: stop (a leaf) or split the node's samples and grow both children, depth first
        # hint: leaf at max depth, below min split or when pure; else mask = x_f ≤ t, recurse
        if depth >= self._max_depth or n < self._min_split or impurity <= EPSILON:
            return node
        split = self._best_split(sorted_idx, Y_node.sum(axis=0), node)
        if split is None:  # every feature is constant here, or min_samples_leaf forbids a split
            return node
        feature, threshold = split
        goes_left = np.zeros(len(self._X), dtype=bool)
        goes_left[samples] = self._X[samples, feature] <= threshold
        mask = goes_left[sorted_idx]  # boolean filtering keeps each row's sorted order
        n_left = int(mask[0].sum())
        left = self._grow(sorted_idx[mask].reshape(len(sorted_idx), n_left), depth + 1)
        right = self._grow(sorted_idx[~mask].reshape(len(sorted_idx), n - n_left), depth + 1)
        self.tree_.set_split(node, feature, threshold, left, right)
        return node
        # END SOLUTION

    def _best_split(self, sorted_idx: np.ndarray, total: np.ndarray, node: int):
        """The (feature, threshold) of the best allowed split, or None."""
        features = compat.features_to_visit(self._X, sorted_idx, self.max_features_, self._rng)
        if features.size == 0:
            return None
        idx = sorted_idx[features]  # (f, n): the node's samples sorted by each feature
        values = self._X[idx, features[:, None]]
        found = best_split(values, self._Y[idx], total, self._split_proxy, self.min_samples_leaf)
        if found is None:
            return None
        winner, pos, scores = found
        compat.record_ties(
            self.tied_splits_, node, features, scores, winner, pos, self.tie_tolerance
        )
        threshold = values[winner, pos] / 2.0 + values[winner, pos + 1] / 2.0  # the midpoint
        return int(features[winner]), float(threshold)

    def apply(self, X) -> np.ndarray:
        """The index of the leaf each sample lands in (all samples walk down together)."""
        X, t = compat.check_X_predict(self, X), self.tree_
        node = np.zeros(len(X), dtype=np.intp)
        rows = np.flatnonzero(~t.is_leaf[node])
        while rows.size:
            at = node[rows]
            go_left = X[rows, t.feature[at]] <= t.threshold[at]
            node[rows] = np.where(go_left, t.children_left[at], t.children_right[at])
            rows = rows[~t.is_leaf[node[rows]]]
        return node

    @property
    def feature_importances_(self) -> np.ndarray:
        """Σ over the nodes splitting on j of n·I − n_L·I_L − n_R·I_R, over n_root, summing to 1."""
        check_is_fitted(self, "tree_")
        t = self.tree_
        internal = np.flatnonzero(~t.is_leaf)
        left, right = t.children_left[internal], t.children_right[internal]
        decrease = (
            t.n_node_samples[internal] * t.impurity[internal]
            - t.n_node_samples[left] * t.impurity[left]
            - t.n_node_samples[right] * t.impurity[right]
        )
        importances = np.zeros(t.n_features)
        np.add.at(importances, t.feature[internal], decrease)
        importances /= t.n_node_samples[0]
        total = importances.sum()
        return importances / total if total > 0.0 else importances


class DecisionTreeClassifier(ClassifierMixin, BaseDecisionTree):
    """CART classifier with scikit-learn's interface (``fit``, ``predict``, ``predict_proba``).

    Parameters: ``criterion`` ('gini', 'entropy' or its alias 'log_loss'), ``max_depth``
    (None = grow until pure), ``min_samples_split``, ``min_samples_leaf``, ``max_features``
    (None, 'sqrt', 'log2', int or fraction: how many random features each split looks at),
    ``random_state`` (seeds that feature draw; unused when every feature is looked at).
    Learned: ``classes_``, ``n_classes_``, ``tree_``, ``feature_importances_``, ``tied_splits_``.
    """

    _criteria = tuple(CLASSIFICATION_CRITERIA)

    def __init__(
        self,
        *,
        criterion: str = "gini",
        max_depth: int | None = None,
        min_samples_split: int = 2,
        min_samples_leaf: int = 1,
        max_features: int | float | str | None = None,
        random_state: int | np.random.Generator | None = None,
    ):
        self._store_hyperparameters(locals())

    def fit(self, X, y):
        X, self.classes_, codes = check_classification_data(X, y)
        self.n_classes_ = len(self.classes_)
        one_hot = np.zeros((len(codes), self.n_classes_))
        one_hot[np.arange(len(codes)), codes] = 1.0
        return self._fit(X, one_hot)

    def _impurity(self, Y_node):
        counts = Y_node.sum(axis=0)
        return float(CLASSIFICATION_CRITERIA[self.criterion](counts, np.float64(len(Y_node))))

    def _split_proxy(self, left_counts, total, n_left, n_right):
        """−n_R·I_R − n_L·I_L for every candidate, from the left class counts (f, n-1, k)."""
        impurity = CLASSIFICATION_CRITERIA[self.criterion]
        impurity_left = impurity(left_counts, n_left)
        impurity_right = impurity(total - left_counts, n_right)
        return -n_right * impurity_right - n_left * impurity_left

    def predict_proba(self, X) -> np.ndarray:
        """The class proportions of the training samples in each sample's leaf."""
        leaves = self.apply(X)  # validates X and checks that the tree is fitted
        return self.tree_.value[leaves, 0]

    def predict(self, X) -> np.ndarray:
        """The majority class of each sample's leaf."""
        majority = np.argmax(self.predict_proba(X), axis=1)
        return self.classes_[majority]


class DecisionTreeRegressor(RegressorMixin, BaseDecisionTree):
    """CART regressor (squared error): each leaf predicts the mean target of its samples;
    stage 09's boosting grows these on residuals. Sums of real targets round differently
    from scikit-learn's, so near-ties (within ``TIE_RTOL``) are recorded in ``tied_splits_``."""

    _criteria = ("squared_error",)
    tie_tolerance = compat.TIE_RTOL

    def __init__(
        self,
        *,
        criterion: str = "squared_error",
        max_depth: int | None = None,
        min_samples_split: int = 2,
        min_samples_leaf: int = 1,
        max_features: int | float | str | None = None,
        random_state: int | np.random.Generator | None = None,
    ):
        self._store_hyperparameters(locals())

    def fit(self, X, y):
        X, y = check_X_y(X, y)
        return self._fit(X, y[:, None])

    def _impurity(self, Y_node):
        return squared_error(Y_node[:, 0])

    def _split_proxy(self, left_sums, total, n_left, n_right):
        """S_L²/n_L + S_R²/n_R for every candidate, from the left sums of y (f, n-1, 1)."""
        s_left = left_sums[..., 0]
        s_right = total[0] - s_left
        return s_left * s_left / n_left + s_right * s_right / n_right

    def predict(self, X) -> np.ndarray:
        """The mean training target of each sample's leaf."""
        leaves = self.apply(X)  # validates X and checks that the tree is fitted
        return self.tree_.value[leaves, 0, 0]


# ------------------------------------------------------------------------------------ script


def held_out_split(X, y, *, seed: int = 0):
    """A seeded split with a quarter held out; the library script and stage 06 use it too."""
    test = np.zeros(len(y), dtype=bool)
    test[np.random.default_rng(seed).permutation(len(y))[: len(y) // 4]] = True
    return X[~test], X[test], y[~test], y[test]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", default="iris", choices=["iris", "wine", "breast_cancer"])
    parser.add_argument("--criterion", default="gini", choices=["gini", "entropy"])
    parser.add_argument("--max-depth", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0, help="seed of the train/test split")
    args = parser.parse_args()

    drawing = journey.load_stage("05", "from_scratch/_tree_drawing.py")
    X_tr, X_te, y_tr, y_te = held_out_split(*load_bundled(args.dataset), seed=args.seed)
    tree = DecisionTreeClassifier(criterion=args.criterion, max_depth=args.max_depth)
    tree.fit(X_tr, y_tr)
    print(
        f"{args.dataset}: depth {tree.get_depth()}, {tree.get_n_leaves()} leaves, "
        f"test accuracy {tree.score(X_te, y_te):.3f} ({len(y_te)} samples)"
    )
    print(drawing.export_text(tree))
    fig = drawing.plot_tree(tree, class_names=[str(c) for c in tree.classes_])
    journey.save_figure(fig, "05_decision_tree", f"scratch_tree_{args.dataset}")


if __name__ == "__main__":
    main()
