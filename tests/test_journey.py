"""The shared toolkit: stage loading, data (IDX round trip, stand-ins), parity, gradcheck."""

import importlib
import io

import numpy as np
import pytest

import journey
from journey import data, parity
from journey.estimator import NotFittedError
from journey.gradcheck import check_gradient, numerical_gradient, relative_error
from journey.validation import (
    check_array,
    check_classification_targets,
    check_int,
    check_is_fitted,
    check_labels,
    check_X_y,
)


def test_find_and_load_stage_by_number_and_name():
    assert journey.find_stage("1").name == journey.find_stage("01_linear_regression").name
    first = journey.load_stage("01", "from_scratch/linear_regression_numpy.py")
    again = journey.load_stage("01_linear_regression", "from_scratch/linear_regression_numpy.py")
    assert first is again  # loaded once, reused by later stages


def test_unknown_stage_and_missing_file_are_clear():
    with pytest.raises(LookupError, match="unknown stage '99'"):
        journey.find_stage("99")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        journey.load_stage("01", "from_scratch/nope.py")


def test_seed_everything_reproduces_numpy_and_torch():
    import torch

    a = journey.seed_everything(3).normal(size=4), torch.rand(3)
    b = journey.seed_everything(3).normal(size=4), torch.rand(3)
    np.testing.assert_array_equal(a[0], b[0])
    assert torch.equal(a[1], b[1])
    with pytest.raises(ValueError, match="non-negative"):
        journey.seed_everything(-1)


def test_device_choice():
    assert journey.device("cpu").type == "cpu"
    assert journey.device().type in {"cuda", "mps", "cpu"}
    with pytest.raises(ValueError, match="unknown device"):
        journey.device("tpu")


def test_relative_error_definition():
    a, b = np.array([1.0, 2.0]), np.array([1.0, 2.5])
    assert relative_error(a, b) == pytest.approx(0.5 / 4.5)
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    with pytest.raises(ValueError, match="shapes"):
        relative_error(np.zeros(2), np.zeros(3))


def test_numerical_gradient_of_a_known_function():
    A = np.random.default_rng(0).normal(size=(4, 4))
    x = np.random.default_rng(1).normal(size=4)
    f = lambda: float(x @ A @ x)  # noqa: E731  ∇ = (A + Aᵀ)x
    assert check_gradient(f, x, (A + A.T) @ x) < 1e-9
    assert check_gradient(f, x, A @ x) > 1e-2  # a wrong gradient is caught
    before = x.copy()
    numerical_gradient(f, x)
    np.testing.assert_array_equal(x, before)


def test_parity_records_and_log(tmp_path, monkeypatch):
    log = tmp_path / "p.jsonl"
    monkeypatch.setenv("JOURNEY_PARITY_LOG", str(log))
    ok = parity.close("same", np.ones(3), np.ones(3) + 1e-12, rtol=1e-10)
    bad = parity.close("different", np.ones(3), np.full(3, 1.1), rtol=1e-10)
    labels = parity.equal("labels", [1, 2, 3], [1, 2, 4])
    low = parity.at_least("accuracy", 0.9, 0.95)
    nan = parity.close("nan never passes", np.array([np.nan]), np.array([np.nan]), atol=1.0)
    assert ok.passed and not bad.passed and not labels.passed and not low.passed and not nan.passed
    assert bad.rel_error == pytest.approx(0.1 / 2.1)
    records = parity.read_log(log)
    assert [r.name for r in records] == [
        "same",
        "different",
        "labels",
        "accuracy",
        "nan never passes",
    ]
    assert "1 differ" in records[2].tolerance
    with pytest.raises(AssertionError, match="parity check failed"):
        parity.close("strict", 1.0, 2.0, atol=0.1, raise_on_fail=True)
    with pytest.raises(ValueError, match="exactly one"):
        parity.close("both", 1.0, 1.0, rtol=1.0, atol=1.0)


def test_idx_round_trip_and_torchvision_reads_it(tmp_path):
    from torchvision.datasets import MNIST

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(12, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=12, dtype=np.uint8)
    data.write_mnist_idx(tmp_path, (images, labels), (images, labels))
    raw = data.mnist_raw_dir(tmp_path)
    np.testing.assert_array_equal(data.read_idx(raw / "train-images-idx3-ubyte"), images)
    dataset = MNIST(tmp_path, train=False)
    assert len(dataset) == 12
    np.testing.assert_array_equal(np.asarray(dataset[5][0]), images[5])
    assert dataset[5][1] == labels[5]


def test_missing_mnist_offline_says_what_to_do(data_dir):
    with pytest.raises(data.MissingDatasetError) as err:
        data.mnist_root(standin="never")
    message = str(err.value)
    assert "train-images-idx3-ubyte" in message and str(data.mnist_raw_dir(data_dir)) in message
    assert "stand-in" in message


def test_mnist_standin_is_read_by_the_real_loader(data_dir):
    from torchvision.datasets import MNIST

    with pytest.warns(data.StandInWarning, match="STAND-IN"):
        root, source = data.mnist_root(standin="fallback")
    assert source == "digits-standin"
    train, test = MNIST(root, train=True), MNIST(root, train=False)
    assert len(train) + len(test) == 1797
    image = np.asarray(train[0][0])
    assert (
        image.shape == (28, 28) and image.max() > 200 and image[:4].max() == 0
    )  # centred, MNIST-like


def test_cifar_standin_is_read_by_torchvision(data_dir):
    dataset, source = data.cifar10_dataset(train=False, standin="always")
    image, label = dataset[0]
    assert source == "digits-standin"
    assert np.asarray(image).shape == (32, 32, 3) and 0 <= label <= 9
    with pytest.raises(data.MissingDatasetError, match="CIFAR-10 is not in"):
        data.cifar10_dataset(train=False, standin="never")


def test_standardised_split_uses_training_statistics():
    X_train, X_test, y_train, y_test = data.standardised_split("wine", seed=0)
    np.testing.assert_allclose(X_train.mean(axis=0), 0, atol=1e-12)
    assert not np.allclose(X_test.mean(axis=0), 0, atol=1e-3)
    assert len(X_train) + len(X_test) == 178
    with pytest.raises(ValueError, match="unknown dataset"):
        data.load_bundled("mnist")


def test_validation_messages():
    with pytest.raises(ValueError, match="reshape"):
        check_array(np.ones(3))
    with pytest.raises(ValueError, match="NaN"):
        check_X_y(np.array([[np.nan]]), np.array([1.0]))
    with pytest.raises(ValueError, match="0..2"):
        check_labels(np.array([0, 3]), n_classes=3)

    with pytest.raises(NotFittedError, match="call fit"):
        check_is_fitted(object(), "coef_")
    with pytest.raises(TypeError, match="numbers"):
        check_array([["a", 1.0]])
    with pytest.raises(TypeError, match="max_iter must be an integer"):
        check_int(2.5, "max_iter")
    with pytest.raises(ValueError, match="None labels"):
        check_classification_targets(np.array([0, None, 1], dtype=object))
    classes, codes = check_classification_targets(["b", "a", "b"])
    assert classes.tolist() == ["a", "b"] and codes.tolist() == [1, 0, 1]


def test_save_figure_writes_png(tmp_path, monkeypatch):
    import journey.paths
    import journey.plotting

    monkeypatch.setattr(journey.paths, "OUTPUTS_DIR", tmp_path)
    plt = journey.plotting.pyplot()
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    path = journey.save_figure(fig, "99_test", "line", quiet=True)
    assert path == tmp_path / "99_test" / "line.png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_checked_state_refuses_wrong_keys_shapes_and_non_finite_weights():
    from journey.params import checked_state

    shapes = {"fc.weight": (2, 3), "fc.bias": (2,)}
    good = {"fc.weight": np.ones((2, 3)), "fc.bias": np.zeros(2)}
    loaded = checked_state(good, shapes, owner="Net")
    assert loaded["fc.weight"] is not good["fc.weight"]
    np.testing.assert_array_equal(loaded["fc.weight"], good["fc.weight"])
    with pytest.raises(ValueError, match=r"missing \['fc.bias'\]"):
        checked_state({"fc.weight": np.ones((2, 3))}, shapes)
    with pytest.raises(ValueError, match=r"expected \(2, 3\)"):
        checked_state({**good, "fc.weight": np.ones((3, 2))}, shapes)
    with pytest.raises(ValueError, match="NaN or infinite"):
        checked_state({**good, "fc.bias": np.array([0.0, np.nan])}, shapes)


def test_deep_learning_flags_share_one_definition():
    import argparse

    from journey.cli import MNIST_DATA, deep_learning_flags

    parser = argparse.ArgumentParser(parents=[deep_learning_flags(epochs=3, data=MNIST_DATA)])
    args = parser.parse_args([])
    assert (args.device, args.epochs, args.seed, args.data) == ("auto", 3, 0, "auto")
    args = parser.parse_args(["--device", "cpu", "--epochs", "1", "--data", "standin"])
    assert (args.device, args.epochs, args.data) == ("cpu", 1, "standin")
    for bad in (["--device", "gpu"], ["--epochs", "0"], ["--data", "cifar"]):
        with pytest.raises(SystemExit):
            parser.parse_args(bad)


def test_median_time_returns_the_median_and_the_result():
    from journey.timing import median_time

    calls = []

    def work():
        calls.append(1)
        return len(calls)

    seconds, result = median_time(work, repeats=3, warmup=2)
    assert len(calls) == 5 and result == 5
    assert 0 <= seconds < 1
    with pytest.raises(ValueError, match="repeats"):
        median_time(work, repeats=0)


def test_progress_bars_are_off_when_output_is_not_a_terminal(monkeypatch):
    progress_module = importlib.import_module("journey.progress")

    monkeypatch.setenv("JOURNEY_QUIET", "0")
    monkeypatch.setattr(progress_module, "is_interactive", lambda: False)
    assert progress_module.progress(range(3)).disable
    monkeypatch.setattr(progress_module, "is_interactive", lambda: True)
    assert not progress_module.progress(range(3), file=io.StringIO()).disable


def test_estimator_base_reads_parameters_from_the_signature():
    from journey.estimator import BaseEstimator, RegressorMixin

    class Mean(RegressorMixin, BaseEstimator):
        def __init__(self, shrink=0.0, *, label="m"):
            self.shrink = shrink
            self.label = label

        def fit(self, X, y):
            self.mean_ = (1 - self.shrink) * np.mean(y)
            return self

        def predict(self, X):
            return np.full(len(X), self.mean_)

    model = Mean(shrink=0.5)
    assert model.get_params() == {"label": "m", "shrink": 0.5}
    assert repr(model) == "Mean(shrink=0.5)"
    assert model.set_params(label="x").label == "x"
    X, y = np.zeros((4, 1)), np.array([1.0, 2.0, 3.0, 4.0])
    assert model.fit(X, y).score(X, y) == pytest.approx(1 - np.sum((y - 1.25) ** 2) / 5.0)


def test_quality_bars_show_a_library_only_value_under_library():
    torch_side = parity.at_least("torch forecaster beats naive", 0.978, 0.5, side="library")
    assert (torch_side.scratch, torch_side.library, torch_side.passed) == ("—", "0.978", True)
    ours = parity.at_most("scratch loss", 0.2, 0.1)
    assert (ours.scratch, ours.library, ours.passed) == ("0.2", "—", False)
    with pytest.raises(ValueError, match="side"):
        parity.at_least("x", 1.0, 0.5, side="torch")


def test_combined_checks_for_fit_and_predict():
    from journey.validation import check_classification_data, check_fitted_input

    X, classes, codes = check_classification_data([[0.0], [1.0], [2.0]], ["b", "a", "b"])
    assert X.shape == (3, 1) and classes.tolist() == ["a", "b"] and codes.tolist() == [1, 0, 1]
    with pytest.raises(ValueError, match="at least 2"):
        check_classification_data([[0.0], [1.0]], [1, 1], min_classes=2)

    class Model:
        n_features_in_ = None

    with pytest.raises(NotFittedError):
        check_fitted_input(Model(), [[1.0]], "n_features_in_")
    Model.n_features_in_ = 2
    assert check_fitted_input(Model(), [[1, 2]], "n_features_in_").dtype == np.float64
    with pytest.raises(ValueError, match="fitted with 2 features"):
        check_fitted_input(Model(), [[1.0, 2.0, 3.0]], "n_features_in_")
