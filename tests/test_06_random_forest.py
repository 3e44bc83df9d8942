"""Stage 06: the from-scratch random forest (bagging the stage-05 tree) against scikit-learn's.

A forest is randomised, so the bar is statistical: over 5 seeds the mean test
accuracy is within 2 points of scikit-learn's and the importances rank the features alike
(Spearman ≥ 0.8). The plumbing is checked exactly where an exact answer exists: without
bootstrap and feature sampling every tree *is* the stage-05 tree.
"""

import warnings

import numpy as np
import pytest
from scipy.stats import spearmanr
from sklearn.ensemble import RandomForestClassifier as SkForest
from sklearn.model_selection import train_test_split

import journey
from journey.data import load_bundled

forest_module = journey.load_stage("06", "from_scratch/random_forest_numpy.py")
tree_module = journey.load_stage("05", "from_scratch/decision_tree_numpy.py")
tree_compat = journey.load_stage("05", "from_scratch/_sklearn_compat.py")
Forest = forest_module.RandomForestClassifier
SEEDS = range(5)
N_TREES = 50


@pytest.fixture(scope="module")
def five_seed_runs():
    X, y = load_bundled("breast_cancer")
    runs = []
    for seed in SEEDS:
        X_tr, X_te, y_tr, y_te = train_test_split(
            X, y, test_size=0.3, random_state=seed, stratify=y
        )
        mine = Forest(N_TREES, random_state=seed).fit(X_tr, y_tr)
        lib = SkForest(N_TREES, oob_score=True, random_state=seed, n_jobs=1).fit(X_tr, y_tr)
        runs.append(
            dict(mine=mine, lib=lib, acc_mine=mine.score(X_te, y_te), acc_lib=lib.score(X_te, y_te))
        )
        runs[-1].update(X_train=X_tr, y_train=y_tr)
    return runs


@pytest.fixture(scope="module")
def five_seed_oob(five_seed_runs):
    """The same forests (same seeds, so the same trees) grown again with the OOB estimate."""
    return [
        Forest(N_TREES, oob_score=True, random_state=seed).fit(run["X_train"], run["y_train"])
        for seed, run in zip(SEEDS, five_seed_runs, strict=True)
    ]


@pytest.mark.exercise("06.1", "06.2", "06.3")
def test_accuracy_within_two_points_of_scikit_learn(five_seed_runs):
    mine = np.mean([r["acc_mine"] for r in five_seed_runs])
    lib = np.mean([r["acc_lib"] for r in five_seed_runs])
    assert abs(mine - lib) <= 0.02, (mine, lib)
    assert mine >= 0.93  # a broken vote would land far below the ~0.95 both reach


def test_importances_rank_features_like_scikit_learn(five_seed_runs):
    mine = np.mean([r["mine"].feature_importances_ for r in five_seed_runs], axis=0)
    lib = np.mean([r["lib"].feature_importances_ for r in five_seed_runs], axis=0)
    assert spearmanr(mine, lib).statistic >= 0.8
    np.testing.assert_allclose(mine.sum(), 1.0)


@pytest.mark.exercise("06.4")
def test_oob_estimate_agrees_with_scikit_learn_and_with_the_test_set(five_seed_runs, five_seed_oob):
    oob_mine = np.mean([forest.oob_score_ for forest in five_seed_oob])
    oob_lib = np.mean([r["lib"].oob_score_ for r in five_seed_runs])
    acc_mine = np.mean([r["acc_mine"] for r in five_seed_runs])
    assert abs(oob_mine - oob_lib) <= 0.02
    assert abs(oob_mine - acc_mine) <= 0.03  # OOB is an honest estimate of held-out accuracy


@pytest.mark.exercise("06.2")
def test_bootstrap_leaves_out_about_a_third(five_seed_runs):
    mine = five_seed_runs[0]["mine"]
    n = len(five_seed_runs[0]["y_train"])
    left_out = [1 - len(np.unique(rows)) / n for rows in mine.estimators_samples_]
    assert abs(np.mean(left_out) - (1 - 1 / n) ** n) < 0.01  # ≈ e⁻¹ ≈ 0.368


@pytest.mark.exercise("06.1", "06.2", "06.3")
def test_without_randomness_every_tree_is_the_stage_05_tree():
    X, y = load_bundled("wine")
    forest = Forest(3, bootstrap=False, max_features=None, random_state=0).fit(X, y)
    single = tree_module.DecisionTreeClassifier().fit(X, y)
    for tree in forest.estimators_:
        np.testing.assert_array_equal(tree.tree_.threshold, single.tree_.threshold)
    np.testing.assert_array_equal(forest.predict_proba(X), single.predict_proba(X))
    np.testing.assert_array_equal(forest.feature_importances_, single.feature_importances_)


@pytest.mark.exercise("06.1", "06.2", "06.3")
def test_one_tree_forest_votes_like_its_tree():
    X, y = load_bundled("iris")
    forest = Forest(1, random_state=3).fit(X, y)
    tree = forest.estimators_[0]
    np.testing.assert_array_equal(forest.predict(X), tree.predict(X))
    np.testing.assert_array_equal(forest.predict_by_majority(X), tree.predict(X))


@pytest.mark.exercise("06.1", "06.2", "06.3")
def test_probabilities_cover_classes_missing_from_a_bootstrap():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = np.array(["a"] * 30 + ["b"] * 9 + ["c"])  # "c" is missing from most bootstraps
    forest = Forest(10, random_state=0).fit(X, y)
    proba = forest.predict_proba(X)
    assert proba.shape == (40, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert any(len(t.classes_) < 3 for t in forest.estimators_)
    assert set(forest.predict(X)) <= {"a", "b", "c"}


@pytest.mark.exercise("06.1", "06.2", "06.3")
def test_forest_reduces_variance_of_a_single_tree():
    """Fixed test set, 8 different training subsamples: the forest's accuracy varies less."""
    X, y = load_bundled("breast_cancer")
    X_pool, X_te, y_pool, y_te = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    tree_acc, forest_acc = [], []
    for seed in range(8):
        rows = np.random.default_rng(seed).choice(
            len(X_pool), size=len(X_pool) * 2 // 3, replace=False
        )
        tree = tree_module.DecisionTreeClassifier().fit(X_pool[rows], y_pool[rows])
        forest = Forest(25, random_state=seed).fit(X_pool[rows], y_pool[rows])
        tree_acc.append(np.mean(tree.predict(X_te) == y_te))
        forest_acc.append(forest.score(X_te, y_te))
    assert np.mean(forest_acc) > np.mean(tree_acc)
    assert np.std(forest_acc) < np.std(tree_acc)


@pytest.mark.exercise("06.1", "06.2", "06.3")
def test_same_seed_same_forest_other_seed_other_forest():
    X, y = load_bundled("wine")
    a = Forest(5, random_state=7).fit(X, y).predict_proba(X)
    b = Forest(5, random_state=7).fit(X, y).predict_proba(X)
    c = Forest(5, random_state=8).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_importances_follow_scikit_learns_forest_convention():
    """A forest's importances are the mean of its trees' *normalised* importances.

    (Gradient boosting instead sums the unnormalised ones and normalises once; on this data
    the two conventions differ by far more than the tolerance, so the check can fail.)
    """
    X, y = load_bundled("breast_cancer")
    n_features = X.shape[1]
    lib = SkForest(20, max_depth=4, random_state=0, n_jobs=1).fit(X, y)
    np.testing.assert_allclose(
        tree_compat.mean_feature_importances(lib.estimators_, n_features),
        lib.feature_importances_,
        rtol=0,
        atol=1e-12,
    )
    raw = np.sum([t.tree_.compute_feature_importances(normalize=False) for t in lib.estimators_], 0)
    assert np.abs(raw / raw.sum() - lib.feature_importances_).max() > 1e-3

    mine = Forest(20, max_depth=4, random_state=0).fit(X, y)
    mean = np.mean([t.feature_importances_ for t in mine.estimators_], axis=0)
    np.testing.assert_allclose(mine.feature_importances_, mean / mean.sum(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(
        mine.feature_importances_,
        tree_compat.mean_feature_importances(mine.estimators_, n_features),
        rtol=0,
        atol=1e-12,
    )


@pytest.mark.exercise("06.4")
def test_oob_votes_are_averaged_over_the_trees_that_did_not_see_the_sample():
    """Each OOB row is a probability (sums to 1), the mean over that sample's unseen trees only."""
    X, y = load_bundled("wine")
    forest = Forest(15, oob_score=True, random_state=0).fit(X, y)
    oob = forest.oob_decision_function_
    covered = ~np.isnan(oob).any(axis=1)
    assert covered.mean() > 0.99
    np.testing.assert_allclose(oob[covered].sum(axis=1), 1.0, rtol=0, atol=1e-12)
    votes, counts = np.zeros_like(oob), np.zeros(len(X))
    for tree, rows in zip(forest.estimators_, forest.estimators_samples_, strict=True):
        unseen = np.setdiff1d(np.arange(len(X)), rows)
        votes[unseen[:, None], tree.classes_] += tree.predict_proba(X[unseen])
        counts[unseen] += 1
    np.testing.assert_allclose(oob[covered], votes[covered] / counts[covered, None], atol=1e-12)
    hits = forest.classes_[np.argmax(oob[covered], axis=1)] == y[covered]
    assert forest.oob_score_ == pytest.approx(hits.mean(), rel=1e-12)


@pytest.mark.exercise("06.2")
def test_bootstrap_draws_every_row_including_the_last():
    """n rows drawn with replacement from all n: each row is drawn about once per tree."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(30, 3)), np.arange(30) % 2
    forest = Forest(60, random_state=0).fit(X, y)
    assert all(len(rows) == len(X) for rows in forest.estimators_samples_)
    draws = np.bincount(np.concatenate(forest.estimators_samples_), minlength=len(X))
    assert len(draws) == len(X)  # nothing beyond the last row
    assert draws.min() >= 30 and draws.max() <= 90  # 60 expected per row; the last row included


@pytest.mark.exercise("06.1", "06.2", "06.3")
def test_each_trees_probabilities_are_mapped_through_its_classes():
    """A bootstrap that misses the rare *first* class gives a tree with classes_ = [1, 2]: its
    columns belong to classes 1 and 2, not 0 and 1."""
    rng = np.random.default_rng(0)
    centres = np.repeat([[-10.0, -10.0], [0.0, 0.0], [10.0, 10.0]], [1, 20, 20], axis=0)
    X = centres + rng.normal(scale=0.5, size=centres.shape)
    y = np.repeat(["ant", "bee", "cat"], [1, 20, 20])
    forest = Forest(20, random_state=0).fit(X, y)
    assert any(0 not in tree.classes_ for tree in forest.estimators_)
    proba = forest.predict_proba(X)
    np.testing.assert_array_equal(proba[y == "bee"], np.tile([0.0, 1.0, 0.0], (20, 1)))
    np.testing.assert_array_equal(proba[y == "cat"], np.tile([0.0, 0.0, 1.0], (20, 1)))
    np.testing.assert_array_equal(forest.predict(X[1:]), y[1:])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_estimators": 0}, "n_estimators"),
        ({"n_estimators": -3}, "n_estimators"),
        ({"bootstrap": False, "oob_score": True}, "bootstrap"),
        ({"max_depth": 0}, "max_depth"),
        ({"min_samples_leaf": 0}, "min_samples_leaf"),
        ({"max_features": 10}, "max_features"),
    ],
)
def test_bad_settings_are_refused_at_fit(kwargs, message):
    """Settings only; NaN, shapes, labels and unfitted use are the contract test's."""
    X, y = load_bundled("iris")
    forest = Forest(**{"n_estimators": 3, **kwargs})  # __init__ only stores them
    with pytest.raises(ValueError, match=message):
        forest.fit(X, y)


@pytest.mark.exercise("06.4")
def test_a_tree_whose_bootstrap_drew_every_row_adds_no_oob_vote():
    """Three samples and many trees: some bootstrap draws hold every row; OOB still works."""
    X = np.array([[0.0], [1.0], [2.0]])
    y = np.array([0, 1, 1])
    forest = Forest(n_estimators=40, oob_score=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        forest.fit(X, y)
    drew_all = [len(np.unique(rows)) == 3 for rows in forest.estimators_samples_]
    assert any(drew_all)
    rows = ~np.isnan(forest.oob_decision_function_).any(axis=1)
    np.testing.assert_allclose(forest.oob_decision_function_[rows].sum(axis=1), 1.0)
