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

Vectorised split search. Sort the node's samples by a feature; then "left of position i"
is simply the first i+1 samples, and a cumulative sum of the one-hot labels (or of y) gives
the left class counts (or sums) for *every* threshold at once; right = total − left. Done
for all features together this is one ``cumsum`` over an array (features, samples, classes),
instead of a Python loop over thresholds × samples. The sort is done once, at the root
("presorting"): a child keeps its samples in sorted order by filtering the parent's sorted
index lists with a boolean mask, which keeps their order.

Matching scikit-learn exactly, on purpose:

- the features are cast to float32 before fitting and predicting (scikit-learn's trees work
  on float32 copies), and a threshold is the midpoint of two consecutive distinct float32
  values, x_lo/2 + x_hi/2, computed in float64;
- values closer than 1e-7 count as equal (no threshold between them);
- nodes are numbered depth first (node, left subtree, right subtree), leaves carry
  feature −2 and threshold −2, and ``value`` holds the class proportions (or the mean);
- ties: among equally good thresholds of one feature the smallest wins. Among equally good
  *features* the lowest index wins here, whereas scikit-learn visits the features in a
  random order (its ``random_state``), so its choice among exactly tied splits can differ.
  ``tied_splits_`` lists the nodes where that happened, so a comparison can detect it.
"""

import argparse
import numbers

import numpy as np

from journey.validation import check_array, check_is_fitted, check_n_features, check_X_y

STAGE = "05_decision_tree"
TREE_LEAF = -1  # children of a leaf
TREE_UNDEFINED = -2  # feature and threshold of a leaf
FEATURE_THRESHOLD = 1e-7  # values closer than this are treated as equal
EPSILON = np.finfo(np.float64).eps  # a node this pure is a leaf
TIE_RTOL = 1e-12  # proxies this close count as tied


# ------------------------------------------------------------------------------- impurity


def gini(counts: np.ndarray, n: np.ndarray) -> np.ndarray:
    """G = 1 − Σ_k (c_k / n)² for class counts ``counts[..., k]`` over ``n`` samples.

    Computed as scikit-learn does, 1 − (Σ_k c_k²) / n²: the counts are integers, so the sum
    of squares is exact and the result is bit-for-bit scikit-learn's.
    """
    sum_of_squares = np.einsum("...k,...k->...", counts, counts)
    return 1.0 - sum_of_squares / (n * n)


def entropy(counts: np.ndarray, n: np.ndarray) -> np.ndarray:
    """H = −Σ_k p_k log₂ p_k with p_k = c_k / n, and 0·log 0 = 0.

    The terms are summed class by class, in scikit-learn's order (rounding depends on it).
    """
    p = counts / np.asarray(n)[..., None]
    p = np.where(p > 0.0, p, 1.0)  # log 1 = 0: an empty class contributes nothing
    terms = np.moveaxis(p * (np.log(p) / np.log(2.0)), -1, 0).copy()
    h = np.zeros(counts.shape[:-1])
    for term in terms:
        h = h - term
    return h


CLASSIFICATION_CRITERIA = {"gini": gini, "entropy": entropy, "log_loss": entropy}


# --------------------------------------------------------------------------- the tree arrays


class Tree:
    """A fitted tree as parallel arrays, one entry per node, numbered depth first.

    The same layout and names as scikit-learn's ``tree_``: node ``i`` tests
    ``X[:, feature[i]] <= threshold[i]`` and sends a sample to ``children_left[i]`` (yes) or
    ``children_right[i]`` (no); a leaf has children −1. ``value[i, 0]`` holds the class
    proportions (classifier) or the mean target (regressor) of the node's training samples.
    """

    def __init__(self, n_features: int, n_values: int):
        self.n_features = n_features
        self.n_values = n_values
        self._nodes: list[list] = []

    def add_node(self, impurity: float, n_samples: int, value: np.ndarray) -> int:
        self._nodes.append(
            [
                TREE_LEAF,
                TREE_LEAF,
                TREE_UNDEFINED,
                float(TREE_UNDEFINED),
                impurity,
                n_samples,
                value,
            ]
        )
        return len(self._nodes) - 1

    def set_split(self, node: int, feature: int, threshold: float, left: int, right: int) -> None:
        self._nodes[node][:4] = [left, right, feature, threshold]

    def finalise(self) -> "Tree":
        """Turn the node list into the arrays below (called once, after growing)."""
        columns = list(zip(*self._nodes))
        self.children_left = np.array(columns[0], dtype=np.intp)
        self.children_right = np.array(columns[1], dtype=np.intp)
        self.feature = np.array(columns[2], dtype=np.intp)
        self.threshold = np.array(columns[3], dtype=np.float64)
        self.impurity = np.array(columns[4], dtype=np.float64)
        self.n_node_samples = np.array(columns[5], dtype=np.intp)
        self.value = np.stack(columns[6])[:, None, :]
        self.node_count = len(self._nodes)
        del self._nodes
        return self

    @property
    def is_leaf(self) -> np.ndarray:
        return self.children_left == TREE_LEAF

    @property
    def n_leaves(self) -> int:
        return int(self.is_leaf.sum())

    @property
    def max_depth(self) -> int:
        depth = np.zeros(self.node_count, dtype=np.intp)
        for node in np.flatnonzero(~self.is_leaf):  # parents come before children
            depth[[self.children_left[node], self.children_right[node]]] = depth[node] + 1
        return int(depth.max())


# ------------------------------------------------------------------------------ the builder


def _check_hyperparameters(max_depth, min_samples_split, min_samples_leaf, random_state) -> None:
    if max_depth is not None and (not isinstance(max_depth, numbers.Integral) or max_depth < 1):
        raise ValueError(
            f"max_depth must be None (grow until the leaves are pure) or an integer ≥ 1, "
            f"got {max_depth!r}"
        )
    if not isinstance(min_samples_split, numbers.Integral) or min_samples_split < 2:
        raise ValueError(
            f"min_samples_split must be an integer ≥ 2 (a split needs two samples), "
            f"got {min_samples_split!r}"
        )
    if not isinstance(min_samples_leaf, numbers.Integral) or min_samples_leaf < 1:
        raise ValueError(f"min_samples_leaf must be an integer ≥ 1, got {min_samples_leaf!r}")
    if not (
        random_state is None
        or isinstance(random_state, np.random.Generator)
        or (isinstance(random_state, numbers.Integral) and random_state >= 0)
    ):
        raise ValueError(
            f"random_state must be None, a non-negative integer or a np.random.Generator, "
            f"got {random_state!r}"
        )


def resolve_max_features(max_features, n_features: int) -> int:
    """How many features each split may look at: None → all, 'sqrt', 'log2', an int or a fraction."""
    if max_features is None:
        return n_features
    if max_features == "sqrt":
        return max(1, int(np.sqrt(n_features)))
    if max_features == "log2":
        return max(1, int(np.log2(n_features)))
    if isinstance(max_features, numbers.Integral) and not isinstance(max_features, bool):
        if 1 <= max_features <= n_features:
            return int(max_features)
    elif isinstance(max_features, numbers.Real) and 0.0 < max_features <= 1.0:
        return max(1, int(max_features * n_features))
    raise ValueError(
        f"max_features must be None, 'sqrt', 'log2', an integer in [1, {n_features}] or a "
        f"fraction in (0, 1], got {max_features!r}"
    )


class BaseDecisionTree:
    """What the classifier and the regressor share: validation, growing, ``apply``.

    A subclass turns the targets into a matrix ``Y`` (one-hot labels, or y as one column)
    and says how to score a split (``_split_proxy``), measure a node (``_impurity``) and
    summarise it (``_node_value``).
    """

    tie_tolerance = 0.0  # relative gap under which two candidate splits count as tied

    def __init__(
        self,
        *,
        max_depth=None,
        min_samples_split=2,
        min_samples_leaf=1,
        max_features=None,
        random_state=None,
    ):
        _check_hyperparameters(max_depth, min_samples_split, min_samples_leaf, random_state)
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.max_features = max_features
        self.random_state = random_state
        self.tree_ = None

    # -- fitting ------------------------------------------------------------------------

    def _fit(self, X: np.ndarray, Y: np.ndarray):
        """Grow the tree on float32-rounded ``X`` and the target matrix ``Y`` (n, k)."""
        self.n_features_in_ = X.shape[1]
        self.max_features_ = resolve_max_features(self.max_features, X.shape[1])
        self._rng = np.random.default_rng(self.random_state)
        self._X = to_float32(X)
        self._Y = Y
        self._max_depth = np.iinfo(np.intp).max if self.max_depth is None else self.max_depth
        self._min_split = max(self.min_samples_split, 2 * self.min_samples_leaf)
        self.tied_splits_ = []
        # presort once: row j lists the sample indices in increasing order of feature j
        sorted_idx = np.argsort(self._X, axis=0, kind="stable").T.copy()
        self.tree_ = Tree(X.shape[1], Y.shape[1])
        self._grow(sorted_idx, depth=0)
        self.tree_.finalise()
        del self._X, self._Y, self._rng
        return self

    def _grow(self, sorted_idx: np.ndarray, depth: int) -> int:
        """Add the node holding the samples ``sorted_idx[0]`` and, recursively, its subtree."""
        samples = sorted_idx[0]
        Y_node = self._Y[samples]
        n = len(samples)
        impurity = self._impurity(Y_node)
        node = self.tree_.add_node(impurity, n, self._node_value(Y_node))
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

    def _features_to_visit(self, sorted_idx: np.ndarray) -> np.ndarray:
        """The features a split may use: all non-constant ones, or a random ``max_features`` of them.

        Like scikit-learn, a feature that is constant in this node still counts towards
        ``max_features``, but the draw goes on until at least one non-constant feature is found.
        """
        lowest = self._X[sorted_idx[:, 0], np.arange(len(sorted_idx))]
        highest = self._X[sorted_idx[:, -1], np.arange(len(sorted_idx))]
        varies = highest > lowest + FEATURE_THRESHOLD
        if self.max_features_ >= len(varies):
            return np.flatnonzero(varies)
        order = self._rng.permutation(len(varies))
        first, rest = order[: self.max_features_], order[self.max_features_ :]
        drawn = first[varies[first]]
        if drawn.size == 0:
            drawn = rest[varies[rest]][:1]
        return drawn

    def _best_split(self, sorted_idx: np.ndarray, total: np.ndarray, node: int):
        """The (feature, threshold) with the largest proxy, or None when no split is allowed.

        For each visited feature f, ``values[f]`` is the node's feature column in sorted
        order and ``left_sums[f, i]`` the sum of the target rows of the first i+1 samples:
        everything needed to score the split "first i+1 samples left" for all i at once.
        """
        features = self._features_to_visit(sorted_idx)
        if features.size == 0:
            return None
        idx = sorted_idx[features]  # (f, n)
        values = self._X[idx, features[:, None]]  # (f, n) sorted
        left_sums = np.cumsum(self._Y[idx], axis=1)[:, :-1]  # (f, n-1, k)
        n = idx.shape[1]
        n_left = np.arange(1, n, dtype=np.float64)  # (n-1,)
        allowed = values[:, 1:] > values[:, :-1] + FEATURE_THRESHOLD  # a threshold fits between
        allowed &= (n_left >= self.min_samples_leaf) & (n - n_left >= self.min_samples_leaf)
        proxy = np.where(allowed, self._split_proxy(left_sums, total, n_left, n - n_left), -np.inf)
        best_pos = np.argmax(proxy, axis=1)  # first maximum: the smallest threshold wins ties
        best_proxy = proxy[np.arange(len(features)), best_pos]
        winner = int(np.argmax(best_proxy))  # first maximum: the first visited feature wins ties
        if best_proxy[winner] == -np.inf:
            return None
        self._record_ties(node, features, proxy, best_proxy, winner, best_pos[winner])
        pos = best_pos[winner]
        threshold = values[winner, pos] / 2.0 + values[winner, pos + 1] / 2.0
        return int(features[winner]), float(threshold)

    def _record_ties(self, node, features, proxy, best_proxy, winner, pos) -> None:
        """Remember nodes where another split scores (almost) exactly as well as the winner."""
        best = best_proxy[winner]
        close = proxy >= best - self.tie_tolerance * abs(best)
        close[winner, pos] = False
        rivals = np.flatnonzero(close.any(axis=1))
        if self.tie_tolerance == 0.0:  # exact arithmetic: only another feature is ambiguous
            rivals = rivals[rivals != winner]
        if rivals.size:
            self.tied_splits_.append(
                (node, tuple(int(f) for f in features[np.union1d([winner], rivals)]))
            )

    def _node_value(self, Y_node):
        """The mean row of Y over the node: class proportions (one-hot Y) or the mean target."""
        return Y_node.sum(axis=0) / len(Y_node)

    # -- using the tree -------------------------------------------------------------------

    def _validate_X_predict(self, X) -> np.ndarray:
        check_is_fitted(self, "tree_")
        X = check_array(X, name="X")
        check_n_features(X, self.n_features_in_)
        return to_float32(X)

    def apply(self, X) -> np.ndarray:
        """The index of the leaf each sample lands in (all samples walk down together)."""
        X = self._validate_X_predict(X)
        t = self.tree_
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
        """Σ over the nodes splitting on j of n·I − n_L·I_L − n_R·I_R, divided by n_root, normalised to sum 1."""
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

    def get_depth(self) -> int:
        check_is_fitted(self, "tree_")
        return self.tree_.max_depth

    def get_n_leaves(self) -> int:
        check_is_fitted(self, "tree_")
        return self.tree_.n_leaves


def mean_feature_importances(trees, n_features: int) -> np.ndarray:
    """An ensemble's importances: the mean of its trees' normalised impurity importances,
    renormalised to sum to 1 (single-leaf trees, which split nothing, are skipped), as
    scikit-learn's forests and gradient boosting compute them."""
    per_tree = [t.feature_importances_ for t in trees if t.tree_.node_count > 1]
    if not per_tree:
        return np.zeros(n_features)
    mean = np.mean(per_tree, axis=0)
    return mean / mean.sum()


def to_float32(X: np.ndarray) -> np.ndarray:
    """Round to float32 and back to float64, as scikit-learn's trees see the data.

    A finite value beyond float32's range (|x| > 3.4e38) would silently become ±inf here,
    so it is rejected, as scikit-learn does.
    """
    with np.errstate(over="ignore"):  # the overflow is reported just below
        X32 = X.astype(np.float32)
    if not np.isfinite(X32).all():
        raise ValueError(
            "X has values too large for float32 (|x| > 3.4e38), which the tree works in; "
            "rescale the features"
        )
    return X32.astype(np.float64)


class DecisionTreeClassifier(BaseDecisionTree):
    """CART classifier with scikit-learn's interface (``fit``, ``predict``, ``predict_proba``).

    Parameters: ``criterion`` ('gini', 'entropy' or its alias 'log_loss'), ``max_depth``
    (None = grow until pure), ``min_samples_split``, ``min_samples_leaf``, ``max_features``
    (None, 'sqrt', 'log2', int or fraction: how many random features each split looks at),
    ``random_state`` (seeds that feature draw; unused when every feature is looked at).
    Learned: ``classes_``, ``n_classes_``, ``tree_``, ``feature_importances_``, ``tied_splits_``.
    """

    def __init__(self, criterion="gini", **kwargs):
        if criterion not in CLASSIFICATION_CRITERIA:
            raise ValueError(
                f"criterion must be one of {sorted(CLASSIFICATION_CRITERIA)}, got {criterion!r}"
            )
        super().__init__(**kwargs)
        self.criterion = criterion
        self._criterion = CLASSIFICATION_CRITERIA[criterion]

    def fit(self, X, y):
        X, y = check_X_y(X, y, y_numeric=False)
        self.classes_, encoded = np.unique(y, return_inverse=True)
        self.n_classes_ = len(self.classes_)
        one_hot = np.zeros((len(y), self.n_classes_))
        one_hot[np.arange(len(y)), encoded] = 1.0
        return self._fit(X, one_hot)

    def _impurity(self, Y_node):
        return float(self._criterion(Y_node.sum(axis=0), np.float64(len(Y_node))))

    def _split_proxy(self, left_counts, total, n_left, n_right):
        """−n_R·I_R − n_L·I_L for every candidate, from the left class counts (f, n-1, k)."""
        impurity_left = self._criterion(left_counts, n_left)
        impurity_right = self._criterion(total - left_counts, n_right)
        return -n_right * impurity_right - n_left * impurity_left

    def predict_proba(self, X) -> np.ndarray:
        """The class proportions of the training samples in each sample's leaf, (n_samples, n_classes)."""
        leaves = self.apply(X)  # validates X and checks that the tree is fitted
        return self.tree_.value[leaves, 0]

    def predict(self, X) -> np.ndarray:
        """The majority class of each sample's leaf."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]


class DecisionTreeRegressor(BaseDecisionTree):
    """CART regressor (squared error): each leaf predicts the mean target of its samples.

    Same parameters as the classifier, with ``criterion='squared_error'``. Gradient
    boosting (stage 09) grows these on the residuals.
    Summing real-valued targets in a different order than scikit-learn changes the last
    bits of a proxy, so here near-ties (within ``TIE_RTOL``) anywhere are recorded.
    """

    tie_tolerance = TIE_RTOL

    def __init__(self, criterion="squared_error", **kwargs):
        if criterion != "squared_error":
            raise ValueError(f"criterion must be 'squared_error', got {criterion!r}")
        super().__init__(**kwargs)
        self.criterion = criterion

    def fit(self, X, y):
        X, y = check_X_y(X, y)
        return self._fit(X, y[:, None])

    def _impurity(self, Y_node):
        """V = mean(y²) − mean(y)², the node's variance."""
        n = len(Y_node)
        return float(np.sum(Y_node[:, 0] ** 2) / n - (np.sum(Y_node[:, 0]) / n) ** 2)

    def _split_proxy(self, left_sums, total, n_left, n_right):
        """S_L²/n_L + S_R²/n_R for every candidate, from the left sums of y (f, n-1, 1)."""
        s_left = left_sums[..., 0]
        s_right = total[0] - s_left
        return s_left * s_left / n_left + s_right * s_right / n_right

    def predict(self, X) -> np.ndarray:
        """The mean training target of each sample's leaf."""
        leaves = self.apply(X)  # validates X and checks that the tree is fitted
        return self.tree_.value[leaves, 0, 0]


# ------------------------------------------------------------------------------- text export


def export_text(
    model: BaseDecisionTree,
    *,
    feature_names=None,
    class_names=None,
    max_depth: int = 10,
    spacing: int = 3,
    decimals: int = 2,
    show_weights: bool = False,
) -> str:
    """The tree's rules as indented text, in the format of ``sklearn.tree.export_text``."""
    check_is_fitted(model, "tree_")
    t = model.tree_
    names = (
        feature_names
        if feature_names is not None
        else [f"feature_{j}" for j in range(t.n_features)]
    )
    is_classifier = isinstance(model, DecisionTreeClassifier)
    if is_classifier and class_names is None:
        class_names = model.classes_
    lines = []

    def leaf(node, indent):
        value = t.value[node, 0]
        if not is_classifier:
            lines.append(f"{indent} value: [{', '.join(f'{v:.{decimals}f}' for v in value)}]")
            return
        weights = ""
        if show_weights:
            counts = ", ".join(f"{v * t.n_node_samples[node]:.{decimals}f}" for v in value)
            weights = f" weights: [{counts}]"
        lines.append(f"{indent}{weights} class: {class_names[int(np.argmax(value))]}")

    def subtree_depth(node):
        if t.children_left[node] == TREE_LEAF:
            return 1
        return 1 + max(subtree_depth(t.children_left[node]), subtree_depth(t.children_right[node]))

    def recurse(node, depth):
        indent = ("|" + " " * spacing) * depth
        indent = indent[:-spacing] + "-" * spacing
        if depth > max_depth + 1:
            if subtree_depth(node) == 1:
                leaf(node, indent)
            else:
                lines.append(f"{indent} truncated branch of depth {subtree_depth(node)}")
        elif t.children_left[node] == TREE_LEAF:
            leaf(node, indent)
        else:
            name, threshold = names[t.feature[node]], f"{t.threshold[node]:.{decimals}f}"
            lines.append(f"{indent} {name} <= {threshold}")
            recurse(t.children_left[node], depth + 1)
            lines.append(f"{indent} {name} >  {threshold}")
            recurse(t.children_right[node], depth + 1)

    recurse(0, 1)
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------ script


def main() -> None:
    import journey
    from journey.data import load_bundled

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", default="iris", choices=["iris", "wine", "breast_cancer"])
    parser.add_argument("--criterion", default="gini", choices=["gini", "entropy"])
    parser.add_argument("--max-depth", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0, help="seed of the train/test split")
    args = parser.parse_args()

    drawing = journey.load_stage("05", "from_scratch/_tree_drawing.py")
    X, y = load_bundled(args.dataset)
    rng = np.random.default_rng(args.seed)
    test = np.zeros(len(y), dtype=bool)
    test[rng.permutation(len(y))[: len(y) // 4]] = True
    tree = DecisionTreeClassifier(criterion=args.criterion, max_depth=args.max_depth)
    tree.fit(X[~test], y[~test])
    accuracy = float(np.mean(tree.predict(X[test]) == y[test]))
    print(
        f"{args.dataset}: depth {tree.get_depth()}, {tree.get_n_leaves()} leaves, "
        f"test accuracy {accuracy:.3f} ({test.sum()} samples)"
    )
    print(export_text(tree))
    fig = drawing.plot_tree(tree, class_names=[str(c) for c in tree.classes_])
    journey.save_figure(fig, STAGE, f"scratch_tree_{args.dataset}")


if __name__ == "__main__":
    main()
