"""Stage 09: scratch gradient boosting against scikit-learn, xgboost and LightGBM.

Same greedy algorithm as ``GradientBoostingRegressor`` / ``GradientBoostingClassifier`` with
the same settings, so on data whose trees meet no tied splits (the scratch trees record them;
the tests require none) predictions agree to ≤ 1e-8 relative — in practice ~1e-15 — and the
feature importances to ≤ 1e-12. Bad input in general is covered by the estimator contract
test; the checks here are the ones specific to boosting.
"""

import functools

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, make_classification, make_friedman1
from sklearn.ensemble import GradientBoostingClassifier as SkClassifier
from sklearn.ensemble import GradientBoostingRegressor as SkRegressor
from sklearn.model_selection import train_test_split

import journey
from journey.gradcheck import check_gradient, relative_error

gb = journey.load_stage("09", "from_scratch/gradient_boosting_numpy.py")
SETTINGS = dict(n_estimators=40, learning_rate=0.1, max_depth=3, min_samples_leaf=20)


def _tied_trees(model) -> int:
    return sum(bool(tree.tied_splits_) for tree in model.estimators_)


@functools.cache
def _regressors(data):
    """Ours and scikit-learn's regressor on one train split, and the split."""
    X, y = (
        make_friedman1(600, noise=1.0, random_state=0)
        if data == "friedman"
        else load_diabetes(return_X_y=True)
    )
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, random_state=0)
    mine = gb.GradientBoostingRegressor(**SETTINGS).fit(X_tr, y_tr)
    lib = SkRegressor(**SETTINGS, random_state=0).fit(X_tr, y_tr)
    return mine, lib, X_tr, X_te


@functools.cache
def _classifiers():
    X, y = make_classification(800, 10, n_informative=5, random_state=0)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    mine = gb.GradientBoostingClassifier(**SETTINGS).fit(X_tr, y_tr)
    lib = SkClassifier(**SETTINGS, random_state=0).fit(X_tr, y_tr)
    return mine, lib, X_te


@pytest.mark.exercise("09.1")
@pytest.mark.parametrize("data", ["friedman", "diabetes"])
def test_regressor_matches_scikit_learn(data):
    mine, lib, X_tr, X_te = _regressors(data)
    assert _tied_trees(mine) == 0, (
        "tied splits: scikit-learn's random feature order could pick another split"
    )
    for X_eval in (X_tr, X_te):
        assert relative_error(mine.predict(X_eval), lib.predict(X_eval)) <= 1e-8
    staged = zip(mine.staged_predict(X_te), lib.staged_predict(X_te), strict=True)
    for stage, (a, b) in enumerate(staged):
        assert relative_error(a, b) <= 1e-8, stage
    assert relative_error(mine.train_score_, lib.train_score_) <= 1e-8
    assert mine.init_ == pytest.approx(lib.init_.constant_[0, 0], rel=1e-12)


@pytest.mark.exercise("09.2")
@pytest.mark.parametrize("data", ["friedman", "diabetes"])
def test_regressor_importances_match_scikit_learn(data):
    mine, lib, _, _ = _regressors(data)
    np.testing.assert_allclose(mine.feature_importances_, lib.feature_importances_, atol=1e-12)


@pytest.mark.exercise("09.1", "09.3", "09.4")
def test_classifier_matches_scikit_learn_including_newton_leaves():
    mine, lib, X_te = _classifiers()
    assert _tied_trees(mine) == 0, (
        "tied splits: scikit-learn's random feature order could pick another split"
    )
    for m in (0, 1, SETTINGS["n_estimators"] - 1):  # leaf values Σr / Σp(1−p), not mean r
        leaves = mine.estimators_[m].tree_.is_leaf
        np.testing.assert_allclose(
            mine.estimators_[m].tree_.value[leaves],
            lib.estimators_[m, 0].tree_.value[leaves],
            rtol=1e-10,
        )
    assert relative_error(mine.decision_function(X_te), lib.decision_function(X_te)) <= 1e-8
    assert relative_error(mine.predict_proba(X_te), lib.predict_proba(X_te)) <= 1e-8
    np.testing.assert_array_equal(mine.predict(X_te), lib.predict(X_te))
    assert relative_error(mine.train_score_, lib.train_score_) <= 1e-8


@pytest.mark.exercise("09.2")
def test_classifier_importances_match_scikit_learn():
    mine, lib, _ = _classifiers()
    np.testing.assert_allclose(mine.feature_importances_, lib.feature_importances_, atol=1e-12)


@pytest.mark.exercise("09.2")
def test_importances_sum_over_all_trees_not_the_last_one():
    """A step in x0 is learned by the first tree (ν = 1); later trees only fit the small
    x1 term. The ensemble credits x0, as scikit-learn does; the last tree alone would not."""
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(400, 3))
    y = 10.0 * (X[:, 0] > 0.5) + np.sin(6 * X[:, 1])
    params = dict(n_estimators=10, learning_rate=1.0, max_depth=1)
    mine = gb.GradientBoostingRegressor(**params).fit(X, y)
    lib = SkRegressor(**params, random_state=0).fit(X, y)
    assert _tied_trees(mine) == 0
    np.testing.assert_allclose(mine.feature_importances_, lib.feature_importances_, atol=1e-12)
    assert mine.feature_importances_[0] > 0.9
    assert mine.estimators_[-1].feature_importances_[0] < 0.1
    assert mine.feature_importances_.sum() == pytest.approx(1.0, abs=1e-12)


@pytest.mark.exercise("09.2")
def test_importances_are_not_the_mean_of_normalised_tree_importances():
    X, y = make_friedman1(400, noise=1.0, random_state=3)
    params = dict(n_estimators=20, learning_rate=0.3, max_depth=3, min_samples_leaf=20)
    mine = gb.GradientBoostingRegressor(**params).fit(X, y)
    lib = SkRegressor(**params, random_state=0).fit(X, y)
    assert _tied_trees(mine) == 0
    np.testing.assert_allclose(mine.feature_importances_, lib.feature_importances_, atol=1e-12)
    mean_of_normalised = np.mean([t.feature_importances_ for t in mine.estimators_], axis=0)
    assert np.abs(mean_of_normalised - lib.feature_importances_).max() > 0.01


@pytest.mark.exercise("09.3")
def test_negative_gradients_match_finite_differences():
    rng = np.random.default_rng(0)
    y01 = rng.integers(0, 2, size=6).astype(np.float64)
    y = rng.normal(size=6)
    raw = rng.normal(size=6)
    clf, reg = gb.GradientBoostingClassifier(), gb.GradientBoostingRegressor()

    # the boosting loss is the mean over samples; n × its gradient is each sample's own derivative
    def clf_loss():
        return clf._loss(y01, raw) / 2 * len(raw)

    def reg_loss():
        return reg._loss(y, raw) / 2 * len(raw)

    assert check_gradient(clf_loss, raw, -clf._negative_gradient(y01, raw)) < 1e-8
    assert check_gradient(reg_loss, raw, -reg._negative_gradient(y, raw)) < 1e-8


@pytest.mark.exercise("09.1")
def test_more_trees_lower_the_training_loss():
    X, y = make_friedman1(300, random_state=2)
    model = gb.GradientBoostingRegressor(n_estimators=30, learning_rate=0.3, max_depth=2).fit(X, y)
    assert np.all(np.diff(model.train_score_) <= 1e-12)
    assert model.train_score_[-1] < 0.2 * np.var(y)


def test_the_sigmoid_is_stage_02s():
    logistic = journey.load_stage("02", "from_scratch/logistic_regression_numpy.py")
    assert gb.sigmoid is logistic.sigmoid


def test_staged_probabilities_end_at_predict_proba():
    X, y = make_classification(200, 5, random_state=1)
    model = gb.GradientBoostingClassifier(n_estimators=5).fit(X, np.where(y == 1, "spam", "ham"))
    staged = list(model.staged_predict_proba(X))
    assert len(staged) == 5
    np.testing.assert_allclose(staged[-1], model.predict_proba(X), rtol=1e-12)
    assert set(model.predict(X)) <= {"ham", "spam"}


def test_xgboost_and_lightgbm_record_reproducible_histories():
    data = journey.load_stage("09", "library_impl/_boosting_data.py")
    xgb = journey.load_stage("09", "library_impl/gradient_boosting_xgboost.py")
    lgb = journey.load_stage("09", "library_impl/gradient_boosting_lightgbm.py")
    X_tr, X_val, y_tr, y_val, names = data.breast_cancer_split(0)
    for fit, loss in ((xgb.fit_xgboost, "logloss"), (lgb.fit_lightgbm, "binary_logloss")):
        model_a, history_a = fit(X_tr, y_tr, X_val, y_val, n_estimators=20)
        _, history_b = fit(X_tr, y_tr, X_val, y_val, n_estimators=20)
        assert len(history_a["validation"][loss]) == 20 and history_a == history_b
        assert history_a["train"][loss][-1] < history_a["train"][loss][0]
        assert history_a["validation"]["auc"][-1] >= 0.95
        assert len(model_a.feature_importances_) == len(names)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_estimators": 0}, "n_estimators"),
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"learning_rate": -0.1}, "learning_rate"),
        ({"learning_rate": np.inf}, "learning_rate"),
        ({"learning_rate": np.nan}, "learning_rate"),
        ({"max_depth": 0}, "max_depth"),
    ],
)
def test_bad_hyperparameters_are_refused_at_fit(kwargs, message):
    X, y = make_classification(40, 4, random_state=0)
    for cls in (gb.GradientBoostingRegressor, gb.GradientBoostingClassifier):
        model = cls(**kwargs)  # stored as given, checked in fit
        with pytest.raises(ValueError, match=message):
            model.fit(X, y)


def test_more_than_two_classes_is_refused():
    X, _ = make_classification(60, 4, random_state=0)
    with pytest.raises(ValueError, match="exactly 2 classes"):
        gb.GradientBoostingClassifier(n_estimators=3).fit(X, np.arange(60) % 3)
