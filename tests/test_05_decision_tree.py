"""Stage 05: the from-scratch CART tree against scikit-learn's DecisionTreeClassifier/Regressor.

The parity bar is an identical tree: same nodes, split features, float32 thresholds, class
proportions, predictions and probabilities, importances within 1e-10. Exact ties between
features are detected by the scratch tree (``tied_splits_``); scikit-learn then breaks them
with its random feature order, so ``sklearn_twin`` fixes the ``random_state`` whose order
makes the same choices (only ``random_state=0`` is tried when there are no ties).
"""

import os
import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_iris, make_friedman1
from sklearn.tree import DecisionTreeClassifier as SkClassifier
from sklearn.tree import DecisionTreeRegressor as SkRegressor
from sklearn.tree import export_graphviz as sk_export_graphviz
from sklearn.tree import export_text as sk_export_text

import journey
from journey.data import load_bundled

tree = journey.load_stage("05", "from_scratch/decision_tree_numpy.py")
compat = journey.load_stage("05", "from_scratch/_sklearn_compat.py")
drawing = journey.load_stage("05", "from_scratch/_tree_drawing.py")
twins = journey.load_stage("05", "library_impl/_tree_parity.py")

# Classifier parity cases (dataset, criterion, max_depth, min_samples_leaf, min_samples_split):
# the depths below with the default leaf and split sizes, then larger leaves and splits.
DEPTHS = {
    ("iris", "gini"): (1, 3, None),
    ("iris", "entropy"): (2, None),
    ("wine", "gini"): (1, 2, 3),
    ("wine", "entropy"): (2, 3, None),
    ("breast_cancer", "gini"): (1, 2, 3),
    ("breast_cancer", "entropy"): (2, 3),
}
CLASSIFIER_CASES = [
    (name, criterion, depth, 1, 2)
    for (name, criterion), depths in DEPTHS.items()
    for depth in depths
] + [
    ("iris", "gini", None, 5, 2),
    ("wine", "gini", None, 10, 2),
    ("wine", "entropy", None, 3, 10),
    ("breast_cancer", "entropy", 4, 3, 10),
]


def _graded(case):
    """Each case grades its impurity (05.1 Gini or 05.2 entropy), the split search and growing."""
    impurity = "05.1" if case[1] == "gini" else "05.2"
    marks = pytest.mark.exercise(impurity, "05.3", "05.4")
    return pytest.param(case, marks=marks, id="-".join(str(v) for v in case))


def _left_counts(n_samples=30, n_classes=3, n_features=4, seed=0):
    """Left class counts of every split of a node, as the split search builds them."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, n_classes, size=(n_features, n_samples))
    counts = np.cumsum(np.eye(n_classes)[labels], axis=1)[:, :-1]  # (f, n-1, k)
    return counts, np.arange(1, n_samples, dtype=np.float64)


@pytest.mark.exercise("05.1")
def test_gini_of_class_counts_for_every_candidate_at_once():
    counts, n_left = _left_counts()
    expected = 1.0 - np.sum((counts / n_left[:, None]) ** 2, axis=-1)
    np.testing.assert_allclose(tree.gini(counts, n_left), expected, rtol=1e-12, atol=1e-15)
    assert tree.gini(np.array([50.0, 50.0, 50.0]), np.float64(150.0)) == pytest.approx(2 / 3)
    assert tree.gini(np.array([7.0, 0.0]), np.float64(7.0)) == 0.0


@pytest.mark.exercise("05.2")
def test_entropy_in_bits_for_every_candidate_at_once():
    from scipy.stats import entropy as scipy_entropy

    counts, n_left = _left_counts()  # the first positions hold classes with no sample (0·log 0)
    expected = scipy_entropy(counts, base=2, axis=-1)
    np.testing.assert_allclose(tree.entropy(counts, n_left), expected, rtol=1e-12, atol=1e-15)
    assert tree.entropy(np.array([4.0, 4.0, 0.0]), np.float64(8.0)) == pytest.approx(1.0)


@pytest.mark.parametrize("case", [_graded(case) for case in CLASSIFIER_CASES])
def test_classifier_is_scikit_learns_tree(case):
    name, criterion, depth, leaf, split = case
    X, y = load_bundled(name)
    params = dict(
        criterion=criterion, max_depth=depth, min_samples_leaf=leaf, min_samples_split=split
    )
    mine = tree.DecisionTreeClassifier(**params).fit(X, y)
    lib, _ = twins.sklearn_twin(mine, X, y, **params)  # raises when no random_state reproduces it
    np.testing.assert_array_equal(mine.tree_.threshold, lib.tree_.threshold)
    np.testing.assert_array_equal(mine.tree_.n_node_samples, lib.tree_.n_node_samples)
    np.testing.assert_array_equal(mine.tree_.value, lib.tree_.value)
    np.testing.assert_allclose(mine.tree_.impurity, lib.tree_.impurity, rtol=1e-12, atol=1e-15)
    X_new = X + np.random.default_rng(0).normal(scale=0.1 * X.std(axis=0), size=X.shape)
    for data in (X, X_new):
        np.testing.assert_array_equal(mine.predict(data), lib.predict(data))
        np.testing.assert_array_equal(mine.predict_proba(data), lib.predict_proba(data))
        np.testing.assert_array_equal(mine.apply(data), lib.apply(data))
    np.testing.assert_allclose(
        mine.feature_importances_, lib.feature_importances_, rtol=0, atol=1e-10
    )
    assert mine.get_depth() == lib.get_depth() and mine.get_n_leaves() == lib.get_n_leaves()


@pytest.mark.exercise("05.1", "05.3", "05.4")
def test_without_ties_every_random_state_gives_the_same_tree():
    X, y = load_bundled("wine")
    mine = tree.DecisionTreeClassifier(max_depth=2).fit(X, y)
    assert mine.tied_splits_ == []
    for seed in range(5):
        assert twins.same_structure(mine, SkClassifier(max_depth=2, random_state=seed).fit(X, y))


@pytest.mark.exercise("05.1", "05.3", "05.4")
def test_detected_ties_are_the_only_freedom_scikit_learn_has():
    """Iris: petal length and petal width both isolate setosa perfectly at the root."""
    X, y = load_bundled("iris")
    mine = tree.DecisionTreeClassifier(max_depth=1).fit(X, y)
    assert mine.tied_splits_ == [(0, (2, 3))]
    roots = {
        int(SkClassifier(max_depth=1, random_state=s).fit(X, y).tree_.feature[0]) for s in range(20)
    }
    assert roots == {2, 3}  # scikit-learn picks either, depending on random_state; nothing else


@pytest.mark.exercise("05.1", "05.3", "05.4")
def test_thresholds_are_float32_midpoints():
    """0.1 and 0.2 are not float32 numbers: the threshold is the midpoint of their roundings."""
    X = np.array([[0.1], [0.2], [0.3]])
    y = np.array([0, 1, 1])
    mine = tree.DecisionTreeClassifier().fit(X, y)
    lib = SkClassifier(random_state=0).fit(X, y)
    float32_mid = np.float64(np.float32(0.1)) / 2 + np.float64(np.float32(0.2)) / 2
    assert mine.tree_.threshold[0] == lib.tree_.threshold[0] == float32_mid
    assert mine.tree_.threshold[0] != 0.1 / 2 + 0.2 / 2


@pytest.mark.exercise("05.1", "05.3", "05.4")
def test_tied_thresholds_of_one_feature_resolve_to_the_first():
    """0.5 and 2.5 both leave one pure child and one [1, 1, 0]: the smaller threshold wins."""
    X, y = np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 1, 1, 0])
    mine = tree.DecisionTreeClassifier(max_depth=1).fit(X, y)
    lib = SkClassifier(max_depth=1, random_state=0).fit(X, y)
    assert mine.tree_.threshold[0] == lib.tree_.threshold[0] == 0.5
    assert mine.tied_splits_ == []  # a tie within one feature is no ambiguity
    np.testing.assert_array_equal(mine.predict_proba(X), lib.predict_proba(X))


def test_export_text_matches_scikit_learn_exactly():
    iris = load_iris()
    mine = tree.DecisionTreeClassifier(max_depth=4).fit(iris.data, iris.target)
    lib, _ = twins.sklearn_twin(mine, iris.data, iris.target, max_depth=4)
    for kwargs in (
        {},
        {"max_depth": 2},
        {
            "feature_names": iris.feature_names,
            "class_names": list(iris.target_names),
            "show_weights": True,
            "decimals": 3,
            "spacing": 2,
        },
    ):
        assert drawing.export_text(mine, **kwargs) == sk_export_text(lib, **kwargs)


@pytest.mark.exercise("05.3", "05.4")
@pytest.mark.parametrize("depth", [1, 3])
@pytest.mark.parametrize("data", ["diabetes", "friedman"])
def test_regressor_is_scikit_learns_tree(data, depth):
    X, y = (
        load_diabetes(return_X_y=True)
        if data == "diabetes"
        else make_friedman1(400, random_state=0)
    )
    mine = tree.DecisionTreeRegressor(max_depth=depth).fit(X, y)
    lib, _ = twins.sklearn_twin(mine, X, y, max_depth=depth)
    np.testing.assert_allclose(mine.tree_.value, lib.tree_.value, rtol=1e-12)
    np.testing.assert_allclose(mine.predict(X), lib.predict(X), rtol=1e-12)
    # variance as mean(y²) − mean(y)²: the cancellation leaves ~1e-16·mean(y)² of rounding
    np.testing.assert_allclose(
        mine.tree_.impurity, lib.tree_.impurity, rtol=1e-10, atol=1e-12 * np.mean(y**2)
    )
    np.testing.assert_allclose(
        mine.feature_importances_, lib.feature_importances_, rtol=0, atol=1e-10
    )


@pytest.mark.exercise("05.3", "05.4")
def test_full_depth_regressor_reproduces_training_targets():
    X, y = make_friedman1(200, random_state=1)
    mine = tree.DecisionTreeRegressor().fit(X, y)
    np.testing.assert_allclose(mine.predict(X), y, rtol=1e-12)
    np.testing.assert_allclose(
        mine.predict(X), SkRegressor(random_state=0).fit(X, y).predict(X), rtol=1e-12
    )


@pytest.mark.exercise("05.1", "05.3", "05.4")
def test_max_features_draws_random_features_reproducibly():
    X, y = load_bundled("wine")
    roots = {
        int(tree.DecisionTreeClassifier(max_features=1, random_state=s).fit(X, y).tree_.feature[0])
        for s in range(30)
    }
    assert len(roots) >= 5  # one random feature per split: the root changes with the seed
    a = tree.DecisionTreeClassifier(max_features="sqrt", random_state=3).fit(X, y)
    b = tree.DecisionTreeClassifier(max_features="sqrt", random_state=3).fit(X, y)
    assert twins.same_structure(a, b)
    assert compat.resolve_max_features("sqrt", 13) == 3
    assert compat.resolve_max_features(0.5, 13) == 6


@pytest.mark.exercise("05.1", "05.3", "05.4")
def test_string_labels_and_probabilities():
    X, y = load_bundled("iris")
    labels = np.array(["setosa", "versicolor", "virginica"])[y.astype(int)]
    mine = tree.DecisionTreeClassifier(max_depth=2).fit(X, labels)
    assert set(mine.predict(X)) <= set(labels)
    np.testing.assert_allclose(mine.predict_proba(X).sum(axis=1), 1.0)
    assert mine.predict(X)[0] == "setosa"


# NaN / empty / 1-D X, wrong widths, missing labels, non-integer sizes, unfitted use: the
# estimator contract covers those for both trees; these are the tree's own rules.


BAD_SETTINGS = {
    "max_depth": [0],
    "min_samples_split": [1],
    "min_samples_leaf": [0],
    "criterion": ["mse"],
    "random_state": [-1],
    "max_features": [0, 14, "all", 1.5],  # wine has 13 features
}


@pytest.mark.parametrize(
    "name, value", [(name, value) for name, values in BAD_SETTINGS.items() for value in values]
)
def test_bad_hyperparameters_are_refused_at_fit(name, value):
    X, y = load_bundled("wine")
    model = tree.DecisionTreeClassifier(**{name: value})  # __init__ only stores them
    with pytest.raises(ValueError, match=name):
        model.fit(X, y)


def test_regressor_criterion_and_float32_range():
    X, y = load_bundled("iris")
    with pytest.raises(ValueError, match="criterion"):
        tree.DecisionTreeRegressor(criterion="gini").fit(X, y)
    huge = X.copy()
    huge[0, 0] = 1e300  # finite in float64, infinite once rounded to float32
    with pytest.raises(ValueError, match="too large for float32"):
        tree.DecisionTreeClassifier().fit(X, y).predict(huge)
    with pytest.raises(ValueError, match="too large for float32"):
        tree.DecisionTreeClassifier().fit(huge, y)


def test_drawing_and_dot_export():
    iris = load_iris()
    mine = tree.DecisionTreeClassifier(max_depth=2).fit(iris.data, iris.target)
    dot = drawing.export_graphviz(
        mine, feature_names=iris.feature_names, class_names=list(iris.target_names)
    )
    assert dot.startswith("digraph Tree {") and dot.count("->") == 2 * (
        mine.tree_.node_count - mine.get_n_leaves()
    )
    assert "petal" in dot and "samples = 150" in dot
    x, depth = drawing.layout(mine)
    assert depth.max() == mine.get_depth()
    left, right = mine.tree_.children_left, mine.tree_.children_right
    internal = left != -1
    np.testing.assert_allclose(x[internal], (x[left[internal]] + x[right[internal]]) / 2)


@pytest.mark.parametrize("criterion, depth", [("gini", 3), ("entropy", None)])
def test_dot_source_is_scikit_learns_line_for_line(criterion, depth):
    iris = load_iris()
    names, classes = list(iris.feature_names), list(iris.target_names)
    mine = tree.DecisionTreeClassifier(criterion=criterion, max_depth=depth)
    mine.fit(iris.data, iris.target)
    lib, _ = twins.sklearn_twin(mine, iris.data, iris.target, criterion=criterion, max_depth=depth)
    ours = drawing.export_graphviz(mine, feature_names=names, class_names=classes)
    theirs = sk_export_graphviz(lib, out_file=None, feature_names=names, class_names=classes)
    assert ours.splitlines() == theirs.splitlines()


def test_both_scripts_use_the_same_split_and_print_the_same_tree(tmp_path):
    def run(script):
        proc = subprocess.run(
            [sys.executable, str(journey.REPO_ROOT / "05_decision_tree" / script)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            env={
                **os.environ,
                "MPLBACKEND": "Agg",
                "JOURNEY_PARITY_LOG": str(tmp_path / "p"),
                "JOURNEY_OUTPUTS": str(tmp_path),
            },
        )
        assert proc.returncode == 0, proc.stderr
        lines = proc.stdout.splitlines()
        return lines[0], [line for line in lines if line.startswith("|")]

    summary_scratch, tree_scratch = run("from_scratch/decision_tree_numpy.py")
    summary_library, tree_library = run("library_impl/decision_tree_sklearn.py")
    # the first line names the held-out size and the test accuracy: the same split
    assert summary_scratch == summary_library
    assert tree_scratch and tree_scratch == tree_library
