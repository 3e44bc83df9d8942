"""Stage 14: transfer learning — NumPy softmax head vs PyTorch, freezing, saving, weights handling.

Everything runs on fake or stand-in data with tiny images (32×32 through ResNet-18); nothing
is downloaded. The "pretrained" path is exercised with a fake weights file (a random
ResNet-18's state_dict) put where torchvision looks for it, in a temporary TORCH_HOME.
"""

import warnings

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

import journey
from journey.estimator import ConvergenceWarning
from journey.gradcheck import numerical_gradient

S = journey.load_stage("14", "from_scratch/softmax_regression_numpy.py")
T = journey.load_stage("14", "library_impl/resnet18_transfer_pytorch.py")
G = journey.load_stage("14", "library_impl/transfer_gain_pytorch.py")
P, FEAT, H = T.P, T.FEATURES, T.HEADS  # the helpers the transfer script is built from


@pytest.fixture
def no_pretrained(tmp_path, monkeypatch):
    """A TORCH_HOME with no weights in it, downloads off."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    monkeypatch.setenv("JOURNEY_OFFLINE", "1")
    return tmp_path / "torch_home"


@pytest.fixture
def fake_pretrained(no_pretrained):
    """A random ResNet-18 state_dict saved under the file name torchvision expects."""
    torch.manual_seed(123)
    state = torchvision_resnet18().state_dict()
    path = P.weights_file()
    path.parent.mkdir(parents=True)
    torch.save(state, path)
    return state


def torchvision_resnet18():
    from torchvision.models import resnet18

    return resnet18(weights=None)


def blobs(n=240, d=12, k=4, seed=0, noise=2.0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % k
    return rng.standard_normal((k, d))[y] + noise * rng.standard_normal((n, d)), y


def softmax_problem(seed):
    """A small 3-class problem with random weights ``W`` (3×5) and biases ``b``."""
    X, y = blobs(n=30, d=5, k=3)
    rng = np.random.default_rng(seed)
    return X, y, rng.standard_normal((3, 5)), rng.standard_normal(3)


def tiny_images(n=24, size=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, size, size, generator=g), torch.arange(n) % 10


# ------------------------------------------------------------------ the NumPy head


@pytest.mark.exercise("14.1")
def test_softmax_gradient_matches_finite_differences():
    X, y, W, b = softmax_problem(seed=1)
    _, dW, db = S.loss_and_gradients(W, b, X, y, l2=0.1)
    loss = lambda: S.loss_and_gradients(W, b, X, y, l2=0.1)[0]  # noqa: E731
    assert journey.gradcheck.relative_error(dW, numerical_gradient(loss, W)) < 1e-8
    assert journey.gradcheck.relative_error(db, numerical_gradient(loss, b)) < 1e-8


@pytest.mark.exercise("14.1")
def test_softmax_gradient_matches_autograd():
    X, y, W, b = softmax_problem(seed=2)
    loss, dW, db = S.loss_and_gradients(W, b, X, y, l2=0.3)
    Wt, bt = torch.tensor(W, requires_grad=True), torch.tensor(b, requires_grad=True)
    lt = (
        torch.nn.functional.cross_entropy(torch.tensor(X) @ Wt.T + bt, torch.tensor(y))
        + 0.15 * (Wt**2).sum()
    )
    lt.backward()
    assert journey.gradcheck.relative_error(loss, lt.item()) < 1e-12
    assert journey.gradcheck.relative_error(dW, Wt.grad.numpy()) < 1e-10
    assert journey.gradcheck.relative_error(db, bt.grad.numpy()) < 1e-10


@pytest.mark.exercise("14.1", "14.2", "14.3")
def test_numpy_gd_follows_torch_gd_step_for_step():
    X, y = blobs()
    model = S.SoftmaxRegression(l2=0.01, n_iter=200).fit(X, y)
    head = H.train_linear_head_gd(X, y, lr=model.lr_, n_iter=200, l2=0.01)
    assert journey.gradcheck.relative_error(model.coef_, head.weight.detach().numpy()) < 1e-10
    assert journey.gradcheck.relative_error(model.intercept_, head.bias.detach().numpy()) < 1e-10


@pytest.mark.exercise("14.1", "14.2", "14.3")
def test_numpy_head_reaches_sklearns_optimum():
    from sklearn.linear_model import LogisticRegression

    X, y = blobs(n=200, d=6, k=3)
    l2 = 0.05
    model = S.SoftmaxRegression(l2=l2, n_iter=2000, tol=1e-12).fit(X, y)
    ref = LogisticRegression(C=1.0 / (l2 * len(X)), tol=1e-12, max_iter=10_000).fit(X, y)
    assert journey.gradcheck.relative_error(model.coef_, ref.coef_) < 1e-4
    assert (
        journey.gradcheck.relative_error(model.intercept_, ref.intercept_) < 1e-4
    )  # both sum to 0
    np.testing.assert_array_equal(model.predict(X), ref.predict(X))


@pytest.mark.exercise("14.1", "14.2", "14.3")
def test_auto_step_never_increases_the_loss():
    X, y = blobs(noise=0.5)
    history = np.array(S.SoftmaxRegression(l2=0.0, n_iter=300).fit(X * 10, y).loss_history_)
    assert np.all(np.diff(history) <= 1e-12)
    assert history[-1] < 0.5 * history[0]


@pytest.mark.exercise("14.1", "14.2", "14.3")
def test_numpy_head_keeps_arbitrary_class_labels():
    X, y = blobs(k=3)
    labels = np.array([3, 7, 9])[y]
    model = S.SoftmaxRegression(l2=0.01, n_iter=100).fit(X, labels)
    assert set(model.predict(X)) <= {3, 7, 9}
    np.testing.assert_allclose(model.predict_proba(X).sum(axis=1), 1.0)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"l2": -1.0}, "l2 must be"),
        ({"lr": 0.0}, "lr must be"),
        ({"lr": "fast"}, "lr must be one of"),
        ({"n_iter": 0}, "n_iter must be"),
        ({"tol": -1.0}, "tol must be"),
    ],
)
def test_numpy_head_checks_hyperparameters_in_fit(kwargs, match):
    model = S.SoftmaxRegression(**kwargs)  # __init__ only stores them
    X, y = blobs()
    with pytest.raises(ValueError, match=match):
        model.fit(X, y)


@pytest.mark.exercise("14.1", "14.2", "14.3")
def test_tolerance_met_stops_early_without_warning():
    X, y = blobs(noise=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = S.SoftmaxRegression(l2=0.1, n_iter=5000, tol=1e-3).fit(X, y)
    assert model.n_iter_ < 5000 and len(model.loss_history_) == model.n_iter_
    with pytest.warns(ConvergenceWarning, match="n_iter=3"):
        S.SoftmaxRegression(l2=0.1, n_iter=3, tol=1e-3).fit(X, y)


@pytest.mark.exercise("14.1", "14.2", "14.3")
def test_intercepts_alone_learn_the_class_frequencies():
    """Features that carry nothing leave W at 0 with ∂L/∂W = 0 from the first step: only the
    intercepts' gradient says the fit is not done, and the optimum is p = class frequencies."""
    X, y = np.zeros((40, 2)), np.array([0] * 30 + [1] * 10)
    model = S.SoftmaxRegression(n_iter=5000, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(model.predict_proba(X[:1]), [[0.75, 0.25]], atol=1e-8)
    np.testing.assert_array_equal(model.coef_, 0.0)


@pytest.mark.exercise("14.2")
def test_smoothness_step_counts_the_intercept_column():
    """L = ½·λ_max(X̃ᵀX̃)/n + λ with X̃ = [X, 1]: the bias is a weight on a column of ones.

    Small, uncentred features make the ones column dominate: leaving it out would give a step
    several times too long, and gradient descent could diverge.
    """
    rng = np.random.default_rng(0)
    X = 0.1 * rng.standard_normal((200, 5)) + 0.2
    l2 = 0.01
    with_ones = np.hstack([X, np.ones((len(X), 1))])
    exact = 1.0 / (0.5 * np.linalg.eigvalsh(with_ones.T @ with_ones).max() / len(X) + l2)
    without_ones = 1.0 / (0.5 * np.linalg.eigvalsh(X.T @ X).max() / len(X) + l2)
    assert without_ones > 2 * exact  # the mistake is far outside the tolerance below
    assert S.smoothness_step(X, l2) == pytest.approx(exact, rel=1e-8)


@pytest.mark.exercise("14.4")
def test_standardise_uses_the_training_statistics_for_every_set():
    """The test set is scaled with the training mean and std, never with its own."""
    rng = np.random.default_rng(0)
    train = rng.normal(5.0, 2.0, (300, 4))
    test = rng.normal(8.0, 0.5, (100, 4))
    train_s, test_s = S.standardise(train, test)
    np.testing.assert_allclose(train_s.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(train_s.std(axis=0), 1.0, rtol=1e-12)
    np.testing.assert_allclose(test_s, (test - train.mean(axis=0)) / train.std(axis=0), rtol=1e-12)
    assert np.all(test_s.mean(axis=0) > 1.0)  # its own statistics would have centred it at 0


@pytest.mark.exercise("14.4")
def test_standardise_maps_a_constant_column_to_zero():
    """A feature with no spread in the training set (a dead ReLU channel) becomes 0, not NaN."""
    rng = np.random.default_rng(1)
    train = np.column_stack([rng.standard_normal(50), np.full(50, 3.0)])
    test = np.column_stack([rng.standard_normal(20), np.full(20, 4.0)])
    train_s, test_s = S.standardise(train, test)
    np.testing.assert_array_equal(train_s[:, 1], 0.0)
    np.testing.assert_array_equal(test_s[:, 1], 1.0)


# ---------------------------------------------------------- freezing, saving, loading


@pytest.mark.parametrize("trainable", [("fc",), ("layer4", "fc")])
def test_freezing_is_real(trainable):
    model, _ = P.build_model("none", seed=0)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x, y = tiny_images()
    T.fine_tune(
        model,
        DataLoader(TensorDataset(x, y), batch_size=8),
        trainable=trainable,
        epochs=1,
        lr=0.05,
        verbose=False,
    )
    after = model.state_dict()
    params = dict(model.named_parameters())
    for name, value in after.items():
        trains = name.split(".")[0] in trainable
        if name in params:
            assert params[name].requires_grad == trains, name
            if trains:
                assert not torch.equal(before[name], value), f"{name} should have changed"
        if not trains:  # frozen parameters AND batch-norm buffers are bit-identical
            assert torch.equal(before[name], value), f"{name} changed although frozen"


def test_frozen_batchnorm_would_drift_in_train_mode():
    """Why set_train_mode matters: requires_grad=False alone does not freeze BN statistics."""
    model, _ = P.build_model("none", seed=0)
    T.freeze(model, ("fc",))
    before = model.bn1.running_mean.clone()
    model.train()
    with torch.no_grad():
        model(tiny_images(8)[0])
    assert not torch.equal(before, model.bn1.running_mean)


def test_save_load_round_trip_gives_identical_outputs(tmp_path):
    model, _ = P.build_model("none", seed=3)
    model.eval()
    x, _ = tiny_images(6)
    path = P.save_model(model, tmp_path / "m.pt")
    reloaded = P.load_model(path)
    with torch.no_grad():
        assert torch.equal(model(x), reloaded(x))


def test_backbone_then_fc_is_the_whole_network():
    model, _ = P.build_model("none", seed=0)
    model.eval()
    x, _ = tiny_images(4)
    with torch.no_grad():
        assert torch.equal(model.fc(P.backbone(model)(x)), model(x))


def test_fold_standardisation_matches_standardise_then_head():
    torch.manual_seed(0)
    head = torch.nn.Linear(7, 3).double()
    mean, std = torch.randn(7).double(), torch.rand(7).double() + 0.5
    x = torch.randn(5, 7).double()
    with torch.no_grad():
        folded = H.fold_standardisation(head, mean, std).double()
        assert (
            journey.gradcheck.relative_error(folded(x).numpy(), head((x - mean) / std).numpy())
            < 1e-12
        )


def test_preprocessing_at_224_is_the_weights_own_transform():
    from PIL import Image

    image = Image.fromarray(np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8))
    assert torch.equal(FEAT.preprocessing(224)(image), P.WEIGHTS.transforms()(image))
    with pytest.raises(ValueError, match="image_size"):
        FEAT.preprocessing(16)


def test_freeze_rejects_unknown_module():
    model, _ = P.build_model("none")
    with pytest.raises(ValueError, match="no top-level module"):
        T.freeze(model, ("layer9",))
    with pytest.raises(ValueError, match="weights must be"):
        P.build_model("imagenet")


# ------------------------------------------------------------------- weights offline


def test_missing_weights_error_names_the_file_and_the_fallback(no_pretrained):
    with pytest.raises(P.MissingWeightsError) as info:
        P.build_model("default")
    message = str(info.value)
    assert "resnet18-f37072fd.pth" in message and str(no_pretrained) in message
    assert "--weights none" in message


@pytest.mark.parametrize("script", [T, G])
@pytest.mark.parametrize(
    "argv, names",
    [
        (["--weights", "default"], ["resnet18-f37072fd.pth", "--weights none"]),
        (["--weights", "none", "--data", "cifar10"], ["CIFAR-10", "--data standin"]),
    ],
)
def test_scripts_exit_cleanly_when_files_are_missing(
    script, argv, names, no_pretrained, data_dir, monkeypatch, capsys
):
    monkeypatch.setattr("sys.argv", ["script.py", *argv])
    with pytest.raises(SystemExit) as info:
        script.main()
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert all(name in err for name in names), err


def test_weights_auto_falls_back_with_a_warning(no_pretrained):
    with pytest.warns(UserWarning, match="RANDOMLY INITIALISED"):
        _, init = P.build_model("auto")
    assert init == "random"


def test_pretrained_path_loads_the_cached_weights_file(fake_pretrained):
    model, init = P.build_model("default", seed=0)
    assert init == "imagenet"
    for name, value in model.state_dict().items():
        if not name.startswith("fc."):
            assert torch.equal(value, fake_pretrained[name]), name
    assert model.fc.out_features == 10


def test_transfer_gain_runs_the_pretrained_variant_with_a_weights_file(
    fake_pretrained, data_dir, tmp_path
):
    rows, note, source = G.transfer_gain(
        weights="auto",
        data="standin",
        image_size=32,
        n_train=40,
        n_test=20,
        sizes=(20, None),
        epochs=2,
        cnn_steps=3,
        cache_dir=tmp_path / "cache",
    )
    assert note == "" and source == "digits-standin"
    variants = {r["variant"] for r in rows}
    assert variants == {
        "ResNet-18 imagenet frozen + linear head",
        "ResNet-18 random frozen + linear head",
        "small CNN trained from scratch",
    }
    assert sorted({r["n_train"] for r in rows}) == [20, 40]
    assert all(0.0 <= r["accuracy"] <= 1.0 for r in rows)


# ------------------------------------------------ both heads on real backbone features


def test_numpy_head_within_two_points_of_pytorch_head(data_dir, tmp_path):
    model, init = P.build_model("none", seed=0)
    feats = FEAT.cached_features(
        model,
        init,
        data="standin",
        image_size=32,
        n_train=300,
        n_test=150,
        seed=0,
        device="cpu",
        cache_dir=tmp_path,
    )
    X_train, X_test = S.standardise(
        feats["train_x"].astype(np.float64), feats["test_x"].astype(np.float64)
    )
    numpy_acc = (
        S.SoftmaxRegression(l2=1e-2, n_iter=500)
        .fit(X_train, feats["train_y"])
        .score(X_test, feats["test_y"])
    )
    head, mean, std, _ = H.train_linear_head(
        feats["train_x"], feats["train_y"], l2=1e-2, verbose=False
    )
    with torch.no_grad():
        torch_pred = head((torch.as_tensor(feats["test_x"]) - mean) / std).argmax(1).numpy()
    torch_acc = float(np.mean(torch_pred == feats["test_y"]))
    assert numpy_acc > 0.5 and torch_acc > 0.5  # far above chance (0.1): features carry the digit
    assert abs(numpy_acc - torch_acc) <= 0.02
    with np.load(feats["path"]) as exported:  # the NumPy script's copy holds the same features
        np.testing.assert_array_equal(exported["train_x"], feats["train_x"])


def test_feature_cache_is_keyed_by_weights_data_size_and_seed(data_dir, tmp_path, monkeypatch):
    """Same settings: read from the cache. Other weights, seed, image size or subset: recomputed."""
    extracted = []
    real_extract = FEAT.extract_features

    def counting_extract(model, loader, device):
        extracted.append(len(loader.dataset))
        return real_extract(model, loader, device)

    monkeypatch.setattr(FEAT, "extract_features", counting_extract)
    model, init = P.build_model("none", seed=0)
    settings = dict(
        data="standin", image_size=32, n_train=20, n_test=10, seed=0, cache_dir=tmp_path
    )
    first = FEAT.cached_features(model, init, device="cpu", **settings)
    assert extracted == [20, 10]
    again = FEAT.cached_features(model, init, device="cpu", **settings)
    assert extracted == [20, 10], "the second call must read the cache"
    np.testing.assert_array_equal(again["train_x"], first["train_x"])
    other_weights, _ = P.build_model("none", seed=1)
    FEAT.cached_features(other_weights, init, device="cpu", **settings)
    assert len(extracted) == 4, "other weights must not reuse the cached features"
    for change in ({"seed": 1}, {"image_size": 64}, {"n_train": 12}):
        before = len(extracted)
        FEAT.cached_features(model, init, device="cpu", **{**settings, **change})
        assert len(extracted) == before + 2, f"{change} must not reuse the cached features"


def test_random_init_depends_on_the_seed_only(monkeypatch):
    """A failed download that already drew random numbers must not shift the random weights
    (the feature cache relies on it); the fingerprint tells different weights apart."""

    def failing_download():
        torchvision_resnet18()  # torchvision builds the network before it fetches the weights
        raise P.MissingWeightsError("simulated failed download")

    monkeypatch.setattr(P, "load_pretrained_resnet18", failing_download)
    with pytest.warns(UserWarning, match="simulated failed download"):
        a, init = P.build_model("auto", seed=5)
    b, _ = P.build_model("none", seed=5)
    c, _ = P.build_model("none", seed=6)
    assert init == "random"
    assert P.fingerprint(a) == P.fingerprint(b) != P.fingerprint(c)


# ------------------------------------------------ the notebook's pretrained branch


@pytest.mark.slow
def test_notebook_contrasts_pretrained_and_random_when_the_weights_are_there(
    fake_pretrained, tmp_path
):
    """The default notebook run is offline (random init); with a weights file in place the same
    notebook says it uses them and measures the head on random features beside them."""
    import nbformat

    from journey.paths import REPO_ROOT
    from journey.runner import run_notebook

    notebook = REPO_ROOT / "14_transfer_learning" / "comparison.ipynb"
    env = {"JOURNEY_QUICK": "1", "JOURNEY_OUTPUTS": str(tmp_path), "MPLBACKEND": "Agg"}
    assert run_notebook(notebook, env, tmp_path) is None
    executed = nbformat.read(tmp_path / notebook.name, as_version=4)
    printed = "".join(
        output.get("text", "")
        for cell in executed.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )
    assert "weights: ImageNet-pretrained ResNet-18 (resnet18-f37072fd.pth)" in printed
    assert "head on pretrained features" in printed
    assert "weights: random initialisation" not in printed
