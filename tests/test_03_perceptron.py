"""Stage 03: the from-scratch perceptron against scikit-learn's Perceptron (the oracle)."""

import numpy as np
import pytest

import journey
from journey.data import logic_gate, two_blobs
from journey.estimator import ConvergenceWarning

scratch = journey.load_stage("03", "from_scratch/perceptron_numpy.py")
oracle = journey.load_stage("03", "library_impl/perceptron_sklearn.py")


def _weights(coef, intercept):
    return np.append(coef, intercept)


@pytest.mark.exercise("03.1", "03.2")
@pytest.mark.parametrize("gate", ["AND", "OR"])
def test_separable_gates_converge_within_the_novikoff_bound(gate):
    X, y = logic_gate(gate)
    model = scratch.Perceptron(max_epochs=1000).fit(X, y)
    assert model.converged_ and model.mistakes_[-1] == 0
    assert np.array_equal(model.predict(X), y)
    w_star, b_star = scratch.GATE_SEPARATORS[gate]
    assert sum(model.mistakes_) <= scratch.mistake_bound(X, y, w_star, b_star)
    assert "converged" in model.stop_reason_


@pytest.mark.exercise("03.1", "03.2")
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_seeded_separable_set_converges_within_the_bound(seed):
    X, y, w_true, b_true = scratch.separable_2d(150, margin=0.05, seed=seed)
    assert np.array_equal((X @ w_true + b_true > 0).astype(int), y)
    model = scratch.Perceptron(max_epochs=10_000).fit(X, y)
    assert model.converged_
    assert model.score(X, y) == 1.0
    assert sum(model.mistakes_) <= scratch.mistake_bound(X, y, w_true, b_true)


@pytest.mark.exercise("03.1", "03.2")
def test_xor_cycles_instead_of_looping_forever():
    X, y = logic_gate("XOR")
    model = scratch.Perceptron(max_epochs=10_000).fit(X, y)
    assert not model.converged_
    assert model.cycle_ is not None and model.n_iter_ < 10
    assert all(m > 0 for m in model.mistakes_)
    assert model.score(X, y) < 1.0
    assert "not linearly separable" in model.stop_reason_


@pytest.mark.exercise("03.1", "03.2")
def test_non_separable_float_data_stop_at_max_epochs():
    X, y = two_blobs(60, separation=0.5, seed=3)
    with pytest.warns(ConvergenceWarning, match="max_epochs=25"):
        model = scratch.Perceptron(max_epochs=25).fit(X, y)
    assert not model.converged_ and model.cycle_ is None
    assert model.n_iter_ == 25 and len(model.mistakes_) == 25 and min(model.mistakes_) > 0
    assert "max_epochs=25" in model.stop_reason_
    assert model.score(X, y) < 1.0


# ------------------------------------------------------------------ the sklearn oracle


def _assert_identical_to_sklearn(X, y, n_epochs, eta0=1.0):
    model = scratch.Perceptron(eta0=eta0, max_epochs=10_000).fit(X, y)
    reference = oracle.epoch_history(X, y, model.n_iter_ + n_epochs, eta0)
    for epoch, (coef, intercept) in enumerate(reference, start=1):
        ours = _weights(*model.weights_after(epoch))
        assert np.array_equal(ours, _weights(coef, intercept)), (
            f"epoch {epoch}: {ours} vs {coef}, {intercept}"
        )
    return model


@pytest.mark.exercise("03.1", "03.2")
@pytest.mark.parametrize("gate", ["AND", "OR", "XOR", "NAND"])
def test_weights_identical_to_sklearn_every_epoch_on_gates(gate):
    _assert_identical_to_sklearn(*logic_gate(gate), n_epochs=5)


@pytest.mark.exercise("03.1", "03.2")
@pytest.mark.parametrize("seed,eta0", [(0, 1.0), (1, 0.1), (2, 0.37)])
def test_weights_identical_to_sklearn_every_epoch_on_separable_sets(seed, eta0):
    X, y, _, _ = scratch.separable_2d(120, margin=0.05, seed=seed)
    model = _assert_identical_to_sklearn(X, y, n_epochs=3, eta0=eta0)
    assert model.n_iter_ > 2  # a real multi-epoch trajectory was compared


@pytest.mark.exercise("03.1", "03.2")
def test_cycle_prediction_matches_sklearn_on_non_separable_integer_data():
    rng = np.random.default_rng(0)
    X = rng.integers(-3, 4, size=(12, 3)).astype(float)
    y = rng.integers(0, 2, size=12)
    model = _assert_identical_to_sklearn(X, y, n_epochs=20)
    assert model.cycle_ is not None and not model.converged_


@pytest.mark.exercise("03.1", "03.2")
def test_partial_fit_is_one_sklearn_epoch_and_predictions_match():
    X, y, _, _ = scratch.separable_2d(80, seed=4)
    ours = scratch.Perceptron()
    ref = oracle.make_oracle()
    for _ in range(3):
        ours.partial_fit(X, y)
        ref.partial_fit(X, y, classes=np.array([0, 1]))
        assert np.array_equal(
            _weights(ours.coef_, ours.intercept_), _weights(ref.coef_, ref.intercept_)
        )
    assert np.array_equal(ours.predict(X), ref.predict(X))
    assert np.allclose(ours.decision_function(X), ref.decision_function(X), rtol=1e-12, atol=1e-12)


@pytest.mark.exercise("03.1", "03.2")
def test_partial_fit_records_every_epoch_like_fit():
    X, y, _, _ = scratch.separable_2d(80, seed=4)
    fitted = scratch.Perceptron(max_epochs=10_000).fit(X, y)
    stepped = scratch.Perceptron()
    for _ in range(fitted.n_iter_):
        stepped.partial_fit(X, y)
    assert stepped.n_iter_ == fitted.n_iter_ and stepped.mistakes_ == fitted.mistakes_
    assert len(stepped.history_) == fitted.n_iter_ and len(stepped.path_) == len(fitted.path_)
    for a, b in zip(stepped.history_, fitted.history_, strict=True):
        assert np.array_equal(_weights(*a), _weights(*b))
    assert stepped.converged_
    assert np.array_equal(_weights(*stepped.weights_after(2)), _weights(*fitted.weights_after(2)))


def test_partial_fit_takes_classes_when_a_batch_holds_one_label():
    X, y = logic_gate("AND")
    model = scratch.Perceptron().partial_fit(X[:2], ["no", "no"], classes=["no", "yes"])
    model.partial_fit(X, np.where(y == 1, "yes", "no"))
    assert model.classes_.tolist() == ["no", "yes"] and model.n_iter_ == 2
    with pytest.raises(ValueError, match="outside classes"):
        model.partial_fit(X, ["no", "yes", "maybe", "no"])


@pytest.mark.exercise("03.1", "03.2")
def test_string_labels_give_the_same_weights_as_integer_labels():
    X, y = logic_gate("OR")
    by_code = scratch.Perceptron().fit(X, y)
    by_name = scratch.Perceptron().fit(X, np.array(["off", "on"])[y])
    assert np.array_equal(
        _weights(by_name.coef_, by_name.intercept_), _weights(by_code.coef_, by_code.intercept_)
    )
    assert by_name.predict(X).tolist() == np.array(["off", "on"])[y].tolist()


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize("labels", [[0, 1, 2, 1], [0, -1, 1, 1], [0, 0.5, 1, 1]])
def test_more_than_two_classes_are_refused(labels):
    X, _ = logic_gate("AND")
    with pytest.raises(ValueError, match="two classes, got 3 classes"):
        scratch.Perceptron().fit(X, labels)


def test_partial_fit_checks_the_width_against_the_first_call():
    model = scratch.Perceptron().fit(*logic_gate("AND"))
    with pytest.raises(ValueError, match="3 features, but the model was fitted with 2"):
        model.partial_fit(np.zeros((2, 3)), [0, 1])


@pytest.mark.parametrize(
    "kwargs,match",
    [({"eta0": 0.0}, "eta0"), ({"eta0": -1.0}, "eta0"), ({"max_epochs": 0}, "max_epochs")],
)
def test_invalid_hyper_parameters_raise_at_fit(kwargs, match):
    model = scratch.Perceptron(**kwargs)
    with pytest.raises(ValueError, match=match):
        model.fit(*logic_gate("AND"))


def test_weights_after_rejects_a_negative_epoch():
    model = scratch.Perceptron().fit(*logic_gate("AND"))
    with pytest.raises(ValueError, match="epoch must be"):
        model.weights_after(-1)


@pytest.mark.parametrize("margin", [-0.1, 1.0, 5.0])
def test_separable_2d_rejects_an_impossible_margin(margin):
    with pytest.raises(ValueError, match="margin"):
        scratch.separable_2d(10, margin=margin)


def test_mistake_bound_rejects_a_non_separating_line():
    X, y = logic_gate("AND")
    with pytest.raises(ValueError, match="does not separate"):
        scratch.mistake_bound(X, y, np.array([1.0, 1.0]), -0.5)
