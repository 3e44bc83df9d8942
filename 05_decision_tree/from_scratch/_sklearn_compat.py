"""What the scratch tree does only to be scikit-learn's tree node for node (a helper, not a script).

The CART idea lives in ``decision_tree_numpy.py``; this file holds the details that make the
result *identical* to ``sklearn.tree.DecisionTreeClassifier`` / ``DecisionTreeRegressor``,
so that a test can compare the two trees array by array:

- the features are cast to float32 before fitting and predicting (scikit-learn's trees work
  on float32 copies); values closer than 1e-7 count as equal (no threshold between them);
- the fitted tree is stored as scikit-learn's parallel node arrays (``Tree``): nodes numbered
  depth first, leaves with children −1, feature and threshold −2;
- with ``max_features``, a constant feature still counts towards the draw, which goes on
  until a non-constant feature is found (``features_to_visit``);
- ties: among equally good *features* the scratch tree keeps the lowest index, whereas
  scikit-learn visits the features in a random order (its ``random_state``), so its choice
  among exactly tied splits can differ. ``record_ties`` lists the nodes where that happened
  (``tied_splits_``), so that a comparison can detect it;
- the hyper-parameters are checked in ``fit`` with scikit-learn's rules.
- ``get_depth`` / ``get_n_leaves`` (``TreeQueries``), and the forests' importances: the
  mean of the trees' importances, single-leaf trees left out (``mean_feature_importances``).
"""

import numbers

import numpy as np

from journey.validation import check_fitted_input, check_int, check_is_fitted, check_option

TREE_LEAF = -1  # children of a leaf
TREE_UNDEFINED = -2  # feature and threshold of a leaf
FEATURE_THRESHOLD = 1e-7  # values closer than this are treated as equal
TIE_RTOL = 1e-12  # regression proxies this close count as tied


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
        """Append a leaf (``set_split`` turns it into a split later); return its number."""
        leaf = [TREE_LEAF, TREE_LEAF, TREE_UNDEFINED, float(TREE_UNDEFINED)]
        self._nodes.append([*leaf, impurity, n_samples, value])
        return len(self._nodes) - 1

    def set_split(self, node: int, feature: int, threshold: float, left: int, right: int) -> None:
        self._nodes[node][:4] = [left, right, feature, threshold]

    def finalise(self) -> "Tree":
        """Turn the node list into the arrays below (called once, after growing)."""
        columns = list(zip(*self._nodes, strict=True))
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


class TreeQueries:
    """scikit-learn's ``get_depth`` and ``get_n_leaves`` for a tree fitted into ``tree_``."""

    def get_depth(self) -> int:
        check_is_fitted(self, "tree_")
        return self.tree_.max_depth

    def get_n_leaves(self) -> int:
        check_is_fitted(self, "tree_")
        return self.tree_.n_leaves


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


def check_X_predict(model, X) -> np.ndarray:
    """Finite 2-D ``X`` with the fitted number of features, rounded to float32 like the tree."""
    return to_float32(check_fitted_input(model, X, "tree_"))


def features_to_visit(
    X: np.ndarray, sorted_idx: np.ndarray, max_features: int, rng: np.random.Generator
) -> np.ndarray:
    """The features a split may use: all non-constant ones, or a random ``max_features`` of them.

    ``sorted_idx[j]`` lists the node's samples in increasing order of feature j. Like
    scikit-learn, a feature that is constant in this node still counts towards
    ``max_features``, but the draw goes on until at least one non-constant feature is found.
    """
    columns = np.arange(len(sorted_idx))
    lowest, highest = X[sorted_idx[:, 0], columns], X[sorted_idx[:, -1], columns]
    varies = highest > lowest + FEATURE_THRESHOLD
    if max_features >= len(varies):
        return np.flatnonzero(varies)
    order = rng.permutation(len(varies))
    first, rest = order[:max_features], order[max_features:]
    drawn = first[varies[first]]
    if drawn.size == 0:
        drawn = rest[varies[rest]][:1]
    return drawn


def record_ties(ties: list, node: int, features, scores, winner: int, pos: int, rtol: float):
    """Append ``(node, tied features)`` when another split scores (almost) as well as the winner.

    ``scores[f, i]`` is the proxy of every candidate split of feature ``features[f]``. With
    ``rtol=0`` (exact class counts) only another feature is an ambiguity scikit-learn could
    resolve differently; with ``rtol>0`` (regression sums, added in another order than
    scikit-learn's) any candidate within ``rtol`` of the best is recorded.
    """
    best = scores[winner, pos]
    close = scores >= best - rtol * abs(best)
    close[winner, pos] = False
    rivals = np.flatnonzero(close.any(axis=1))
    if rtol == 0.0:
        rivals = rivals[rivals != winner]
    if rivals.size:
        ties.append((node, tuple(int(f) for f in features[np.union1d([winner], rivals)])))


def resolve_max_features(max_features, n_features: int) -> int:
    """How many features a split may look at: None → all, 'sqrt', 'log2', an int or a fraction."""
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


def check_hyperparameters(model, criteria) -> None:
    """scikit-learn's rules: depth ≥ 1 (or None), a split needs 2 samples, a leaf at least 1."""
    check_option(model.criterion, "criterion", criteria)
    check_int(model.max_depth, "max_depth", minimum=1, allow_none=True)
    check_int(model.min_samples_split, "min_samples_split", minimum=2)
    check_int(model.min_samples_leaf, "min_samples_leaf", minimum=1)
    seed = model.random_state
    if not (
        seed is None
        or isinstance(seed, np.random.Generator)
        or (isinstance(seed, numbers.Integral) and not isinstance(seed, bool) and seed >= 0)
    ):
        raise ValueError(
            "random_state must be None, a non-negative integer or a np.random.Generator, "
            f"got {seed!r}"
        )


def mean_feature_importances(trees, n_features: int) -> np.ndarray:
    """The mean of the trees' normalised importances, renormalised to sum to 1 (single-leaf
    trees, which split nothing, are skipped), as scikit-learn's forests compute them."""
    per_tree = [t.feature_importances_ for t in trees if t.tree_.node_count > 1]
    if not per_tree:
        return np.zeros(n_features)
    mean = np.mean(per_tree, axis=0)
    return mean / mean.sum()
