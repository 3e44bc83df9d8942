"""Compare a from-scratch tree with scikit-learn's, node by node (a helper, not a script).

Both trees are greedy CART on the same float32 data, so without ties they must be
identical: same nodes, same features, same thresholds, same values. When two *features*
give exactly the same best score at a node, scikit-learn keeps the first one it happened to
visit, and it visits the features in a random order drawn from its ``random_state``. The
scratch tree keeps the lowest feature index and lists those nodes in ``tied_splits_``.
So: with no ties any ``random_state`` must give the identical tree; with ties we look for
a ``random_state`` whose visiting order makes the same choices, and report which one.
"""

import numpy as np
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor


def same_structure(scratch, library) -> bool:
    """True when both trees have the same nodes, children, split features and thresholds."""
    a, b = scratch.tree_, library.tree_
    return (
        a.node_count == b.node_count
        and np.array_equal(a.children_left, b.children_left)
        and np.array_equal(a.children_right, b.children_right)
        and np.array_equal(a.feature, b.feature)
        and np.array_equal(a.threshold, b.threshold)
    )


def sklearn_twin(scratch, X, y, *, max_seeds: int = 1000, **params):
    """Fit scikit-learn's tree with the scratch tree's settings; return ``(tree, random_state)``.

    Without tied splits only ``random_state=0`` is tried (any seed must match). With ties,
    seeds 0, 1, 2, ... are tried until scikit-learn's feature order breaks every tie the way
    the scratch tree did. Raises ``AssertionError`` when no seed reproduces the tree: then
    the trees differ for a reason other than tie-breaking.
    """
    cls = DecisionTreeClassifier if hasattr(scratch, "classes_") else DecisionTreeRegressor
    seeds = range(max_seeds) if scratch.tied_splits_ else range(1)
    for seed in seeds:
        library = cls(random_state=seed, **params).fit(X, y)
        if same_structure(scratch, library):
            return library, seed
    raise AssertionError(
        f"no random_state in [0, {len(seeds)}) gives scikit-learn the scratch tree "
        f"({params}; ties at nodes {scratch.tied_splits_})"
    )
