"""Every from-scratch estimator keeps scikit-learn's contract and refuses bad input clearly.

In the spirit of scikit-learn's ``parametrize_with_checks``, written for our models: one
registry below lists every scratch estimator with small, fast settings; each check runs
against every estimator it applies to. A new estimator joins by adding one ``Spec``.
"""

import warnings
from dataclasses import dataclass, field

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier as SkForest
from sklearn.linear_model import LogisticRegression
from sklearn.linear_model import Perceptron as SkPerceptron
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold, cross_val_score
from sklearn.naive_bayes import GaussianNB as SkGaussianNB
from sklearn.neighbors import KNeighborsClassifier as SkKNN
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier as SkTree

from journey import load_stage
from journey.estimator import ConvergenceWarning, NotFittedError


@dataclass(frozen=True)
class Spec:
    """One scratch estimator and how to exercise it quickly."""

    stage: str
    file: str
    name: str
    kind: str  # "classifier", "regressor", "transformer" or "forecaster"
    params: dict = field(default_factory=dict)
    binary_only: bool = False
    twin: object = None  # the library estimator whose single-class behaviour we follow
    int_params: tuple = ()
    unconverged: dict | None = None  # settings that stop the solver at its limit
    seed_param: str | None = None
    grid: dict | None = None  # a small GridSearchCV grid over one hyper-parameter

    @property
    def id(self) -> str:
        return f"{self.stage}-{self.name}"

    def build(self, **overrides):
        module = load_stage(self.stage, self.file)
        return getattr(module, self.name)(**{**self.params, **overrides})


def _sk_gradient_boosting_classifier():
    from sklearn.ensemble import GradientBoostingClassifier

    return GradientBoostingClassifier(n_estimators=3)


SPECS = [
    Spec(
        "01",
        "from_scratch/linear_regression_numpy.py",
        "LinearRegressionGD",
        "regressor",
        int_params=("max_iter",),
        unconverged={"max_iter": 3},
        grid={"learning_rate": [0.05, 0.1]},
    ),
    Spec(
        "02",
        "from_scratch/logistic_regression_numpy.py",
        "LogisticRegressionGD",
        "classifier",
        binary_only=True,
        twin=LogisticRegression(),
        int_params=("max_iter",),
        unconverged={"max_iter": 3},
        grid={"C": [0.1, 1.0]},
    ),
    Spec(
        "02",
        "from_scratch/logistic_regression_numpy.py",
        "LogisticRegressionNewton",
        "classifier",
        binary_only=True,
        twin=LogisticRegression(),
        int_params=("max_iter",),
        unconverged={"max_iter": 1},
        grid={"C": [0.1, 1.0]},
    ),
    Spec(
        "03",
        "from_scratch/perceptron_numpy.py",
        "Perceptron",
        "classifier",
        binary_only=True,
        twin=SkPerceptron(),
        int_params=("max_epochs",),
        unconverged={"max_epochs": 1},
        grid={"eta0": [0.5, 1.0]},
    ),
    Spec(
        "04",
        "from_scratch/mlp_two_layer_numpy.py",
        "TwoLayerMLP",
        "classifier",
        params={"n_hidden": 8, "epochs": 5},
        twin=MLPClassifier(),
        int_params=("n_hidden", "epochs", "batch_size"),
        seed_param="seed",
        grid={"n_hidden": [4, 8]},
    ),
    Spec(
        "05",
        "from_scratch/decision_tree_numpy.py",
        "DecisionTreeClassifier",
        "classifier",
        params={"max_depth": 3},
        twin=SkTree(),
        int_params=("max_depth", "min_samples_split", "min_samples_leaf"),
        seed_param="random_state",
        grid={"max_depth": [1, 3]},
    ),
    Spec(
        "05",
        "from_scratch/decision_tree_numpy.py",
        "DecisionTreeRegressor",
        "regressor",
        params={"max_depth": 3},
        int_params=("max_depth", "min_samples_split", "min_samples_leaf"),
        seed_param="random_state",
        grid={"max_depth": [1, 3]},
    ),
    Spec(
        "06",
        "from_scratch/random_forest_numpy.py",
        "RandomForestClassifier",
        "classifier",
        params={"n_estimators": 5, "max_depth": 3, "random_state": 0},
        twin=SkForest(n_estimators=3),
        int_params=("n_estimators",),
        seed_param="random_state",
        grid={"max_depth": [1, 3]},
    ),
    Spec(
        "07",
        "from_scratch/svm_numpy.py",
        "LinearSVM",
        "classifier",
        binary_only=True,
        twin=SVC(kernel="linear"),
        int_params=("max_iter",),
        unconverged={"max_iter": 2},
        grid={"C": [0.1, 1.0]},
    ),
    Spec(
        "07",
        "from_scratch/kernel_svm_numpy.py",
        "KernelSVC",
        "classifier",
        binary_only=True,
        twin=SVC(),
        int_params=("degree", "max_iter"),
        unconverged={"max_iter": 2},
        grid={"gamma": [0.1, 1.0]},
    ),
    Spec(
        "08",
        "from_scratch/knn_numpy.py",
        "KNeighborsClassifier",
        "classifier",
        params={"n_neighbors": 3},
        twin=SkKNN(n_neighbors=1),
        int_params=("n_neighbors",),
        grid={"n_neighbors": [1, 3]},
    ),
    Spec(
        "08",
        "from_scratch/naive_bayes_numpy.py",
        "GaussianNB",
        "classifier",
        twin=SkGaussianNB(),
        grid={"var_smoothing": [1e-9, 1e-3]},
    ),
    Spec(
        "09",
        "from_scratch/gradient_boosting_numpy.py",
        "GradientBoostingRegressor",
        "regressor",
        params={"n_estimators": 5},
        int_params=("n_estimators", "max_depth"),
        seed_param="random_state",
        grid={"learning_rate": [0.1, 0.3]},
    ),
    Spec(
        "09",
        "from_scratch/gradient_boosting_numpy.py",
        "GradientBoostingClassifier",
        "classifier",
        params={"n_estimators": 5},
        binary_only=True,
        twin=_sk_gradient_boosting_classifier(),
        int_params=("n_estimators", "max_depth"),
        seed_param="random_state",
        grid={"learning_rate": [0.1, 0.3]},
    ),
    Spec(
        "12",
        "from_scratch/rnn_lstm_numpy.py",
        "LSTMForecaster",
        "forecaster",
        params={"hidden_size": 4, "horizon": 3, "epochs": 2},
        int_params=("hidden_size", "num_layers", "horizon", "batch_size", "epochs"),
        seed_param="seed",
        grid={"learning_rate": [0.01, 0.03]},
    ),
    Spec(
        "14",
        "from_scratch/softmax_regression_numpy.py",
        "SoftmaxRegression",
        "classifier",
        params={"n_iter": 50},
        twin=LogisticRegression(),
        int_params=("n_iter",),
        unconverged={"n_iter": 2, "tol": 1e-12},
        grid={"l2": [0.0, 0.1]},
    ),
    Spec(
        "15",
        "from_scratch/linear_autoencoder_numpy.py",
        "LinearAutoencoder",
        "transformer",
        params={"n_components": 2, "n_iter": 50},
        int_params=("n_components", "n_iter"),
        seed_param="seed",
    ),
]

SUPERVISED = [s for s in SPECS if s.kind in ("classifier", "regressor", "forecaster")]
CLASSIFIERS = [s for s in SPECS if s.kind == "classifier"]
REGRESSORS = [s for s in SPECS if s.kind in ("regressor", "forecaster")]
TABULAR = [s for s in SPECS if s.kind != "forecaster"]


def _ids(specs):
    return [s.id for s in specs]


def each(specs):
    return pytest.mark.parametrize("spec", specs, ids=_ids(specs))


def make_data(spec: Spec, n: int = 60, seed: int = 0):
    """Small, seeded data of the right kind: well-separated classes, a noisy linear target."""
    rng = np.random.default_rng(seed)
    if spec.kind == "forecaster":
        series = np.sin(np.arange(n + 20) / 3.0) + 0.1 * rng.standard_normal(n + 20)
        X = np.stack([series[i : i + 12] for i in range(n)])
        y = np.stack([series[i + 12 : i + 15] for i in range(n)])
        return X, y
    X = rng.standard_normal((n, 4))
    if spec.kind == "classifier":
        n_classes = 2 if spec.binary_only else 3
        y = np.arange(n) % n_classes
        X[:, 0] += 3.0 * y
        X[:, 1] -= 2.0 * y
        return X, y
    if spec.kind == "regressor":
        return X, X @ np.array([1.5, -2.0, 0.5, 1.0]) + 0.1 * rng.standard_normal(n)
    return X @ rng.standard_normal((4, 6)), None


def fit(model, X, y):
    return model.fit(X) if y is None else model.fit(X, y)


def output(model, X):
    return model.transform(X) if hasattr(model, "transform") else model.predict(X)


# --- the hyper-parameter contract ---------------------------------------------------------


@each(SPECS)
def test_init_stores_hyperparameters_only(spec):
    model = spec.build()
    params = model.get_params(deep=False)
    assert set(vars(model)) == set(params), "__init__ must store its arguments and nothing else"
    for name, value in spec.params.items():
        assert params[name] is value or params[name] == value


@each(SPECS)
def test_clone_gives_an_equal_unfitted_copy(spec):
    X, y = make_data(spec)
    model = fit(spec.build(), X, y)
    copy = clone(model)
    assert type(copy) is type(model)
    assert repr(copy.get_params()) == repr(model.get_params())
    with pytest.raises(NotFittedError, match="fit"):
        output(copy, X)


@each(SPECS)
def test_set_params_round_trip_and_unknown_name(spec):
    model = spec.build()
    params = model.get_params()
    assert model.set_params(**params) is model
    assert repr(model.get_params()) == repr(params)
    assert type(model).__name__ in repr(model)
    with pytest.raises(ValueError, match="invalid parameter"):
        model.set_params(not_a_parameter=1)


@each(SPECS)
def test_fit_returns_self_and_sets_learned_attributes(spec):
    X, y = make_data(spec)
    model = spec.build()
    assert fit(model, X, y) is model
    learned = [k for k in vars(model) if k.endswith("_") and not k.startswith("_")]
    assert learned, "fit must set learned attributes ending in '_'"
    if spec.kind != "forecaster":
        assert model.n_features_in_ == X.shape[1]


@each(SPECS)
def test_predict_before_fit_says_to_fit(spec):
    X, _ = make_data(spec)
    with pytest.raises(NotFittedError, match="fit"):
        output(spec.build(), X)


# --- bad input -----------------------------------------------------------------------------


@each(SPECS)
@pytest.mark.parametrize("bad", [np.nan, np.inf], ids=["nan", "inf"])
def test_non_finite_X_is_refused(spec, bad):
    X, y = make_data(spec)
    X = X.copy()
    X[3, 1] = bad
    with pytest.raises(ValueError, match="NaN or infinite"):
        fit(spec.build(), X, y)


@each(SPECS)
def test_non_numeric_X_is_refused(spec):
    X, y = make_data(spec)
    X = X.astype(object)
    X[0, 0] = "seven"
    with pytest.raises((TypeError, ValueError), match="numbers"):
        fit(spec.build(), X, y)


@each(SPECS)
def test_empty_X_is_refused(spec):
    X, y = make_data(spec)
    with pytest.raises(ValueError, match="empty"):
        fit(spec.build(), X[:0], None if y is None else y[:0])


@each(TABULAR)
def test_one_dimensional_X_is_refused_with_the_reshape_hint(spec):
    X, y = make_data(spec)
    with pytest.raises(ValueError, match="reshape"):
        fit(spec.build(), X[:, 0], y)


@each(TABULAR)
def test_wrong_number_of_features_at_predict(spec):
    X, y = make_data(spec)
    model = fit(spec.build(), X, y)
    with pytest.raises(ValueError, match="features"):
        output(model, X[:, :-1])


@each(SUPERVISED)
def test_length_mismatch_between_X_and_y(spec):
    X, y = make_data(spec)
    with pytest.raises(ValueError, match="different lengths|length"):
        fit(spec.build(), X, y[:-1])


@each(CLASSIFIERS)
@pytest.mark.parametrize("missing", [None, np.nan], ids=["None", "nan"])
def test_missing_labels_are_refused(spec, missing):
    X, y = make_data(spec)
    y = y.astype(object)
    y[5] = missing
    with pytest.raises(ValueError, match="None|NaN"):
        fit(spec.build(), X, y)


@each(REGRESSORS)
def test_non_finite_targets_are_refused(spec):
    X, y = make_data(spec)
    y = y.copy()
    y[2] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite"):
        fit(spec.build(), X, y)


@each(CLASSIFIERS)
def test_string_labels_behave_like_integer_labels(spec):
    """As in scikit-learn: any labels work; predictions come back in the same labels."""
    X, y = make_data(spec)
    names = np.array(["ant", "bee", "cat"])
    by_code = fit(spec.build(), X, y).predict(X)
    by_name = fit(spec.build(), X, names[y]).predict(X)
    np.testing.assert_array_equal(by_name, names[by_code])


@each(CLASSIFIERS)
def test_single_class_refused_exactly_when_the_library_refuses(spec):
    X, y = make_data(spec)
    one_class = np.zeros_like(y)
    try:
        with warnings.catch_warnings():  # the twin's own solver may not converge on one class
            warnings.simplefilter("ignore")
            clone(spec.twin).fit(X, one_class)
        library_refuses = False
    except ValueError:
        library_refuses = True
    if library_refuses:
        with pytest.raises(ValueError, match="class"):
            fit(spec.build(), X, one_class)
    else:
        model = fit(spec.build(), X, one_class)
        assert np.all(model.predict(X) == 0)


@each([s for s in SPECS if s.int_params])
def test_integer_hyperparameters_must_be_integers(spec):
    X, y = make_data(spec)
    for name in spec.int_params:
        with pytest.raises((TypeError, ValueError), match=name):
            fit(spec.build(**{name: 2.5}), X, y)


# --- solvers and seeds -----------------------------------------------------------------------


@each([s for s in SPECS if s.unconverged])
def test_solver_stopped_at_its_limit_warns(spec):
    X, y = make_data(spec)
    with pytest.warns(ConvergenceWarning):
        fit(spec.build(**spec.unconverged), X, y)


@each([s for s in SPECS if s.unconverged])
def test_converged_solver_does_not_warn(spec):
    X, y = make_data(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        fit(spec.build(), X, y)


@each(SPECS)
def test_same_seed_same_result(spec):
    X, y = make_data(spec)
    seed = {spec.seed_param: 7} if spec.seed_param else {}
    first = output(fit(spec.build(**seed), X, y), X)
    second = output(fit(spec.build(**seed), X, y), X)
    np.testing.assert_array_equal(first, second)


# --- scikit-learn's tools accept them and give the numbers we get by hand ---------------------


def _folds(spec, X, y):
    splitter = StratifiedKFold(3) if spec.kind == "classifier" else KFold(3)
    return list(splitter.split(X, y))


@each([s for s in SPECS if s.kind in ("classifier", "regressor")])
def test_cross_val_score_equals_the_loop_by_hand(spec):
    X, y = make_data(spec)
    by_sklearn = cross_val_score(spec.build(), X, y, cv=3)
    by_hand = [spec.build().fit(X[tr], y[tr]).score(X[te], y[te]) for tr, te in _folds(spec, X, y)]
    np.testing.assert_allclose(by_sklearn, by_hand, rtol=1e-12)


@each([s for s in SPECS if s.kind in ("classifier", "regressor")])
def test_pipeline_equals_scaling_by_hand(spec):
    X, y = make_data(spec)
    X = 50.0 * X + 7.0
    pipeline = make_pipeline(StandardScaler(), spec.build()).fit(X, y)
    scaler = StandardScaler().fit(X)
    model = spec.build().fit(scaler.transform(X), y)
    np.testing.assert_array_equal(pipeline.predict(X), model.predict(scaler.transform(X)))


@each([s for s in SPECS if s.grid])
def test_grid_search_picks_the_best_score_by_hand(spec):
    X, y = make_data(spec)
    ((name, values),) = spec.grid.items()
    search = GridSearchCV(spec.build(), {name: values}, cv=3).fit(X, y)
    folds = _folds(spec, X, y)
    by_hand = [
        np.mean([spec.build(**{name: v}).fit(X[tr], y[tr]).score(X[te], y[te]) for tr, te in folds])
        for v in values
    ]
    assert search.best_score_ == pytest.approx(max(by_hand), rel=1e-12)
    assert search.best_params_[name] == values[int(np.argmax(by_hand))]
