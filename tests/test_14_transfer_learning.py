"""Stage 14: transfer learning — NumPy softmax head vs PyTorch, freezing, saving, weights handling.

Everything runs on fake or stand-in data with tiny images (32×32 through ResNet-18); nothing
is downloaded. The "pretrained" path is exercised with a fake weights file (a random
ResNet-18's state_dict) put where torchvision looks for it, in a temporary TORCH_HOME.
"""

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

import journey
from journey.gradcheck import numerical_gradient

S = journey.load_stage("14", "from_scratch/softmax_regression_numpy.py")
T = journey.load_stage("14", "library_impl/resnet18_transfer_pytorch.py")
G = journey.load_stage("14", "library_impl/transfer_gain_pytorch.py")


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
    path = T.weights_file()
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


def tiny_images(n=24, size=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, size, size, generator=g), torch.arange(n) % 10


# ------------------------------------------------------------------ the NumPy head


def test_softmax_gradient_matches_finite_differences():
    X, y = blobs(n=30, d=5, k=3)
    rng = np.random.default_rng(1)
    W, b = rng.standard_normal((3, 5)), rng.standard_normal(3)
    _, dW, db = S.loss_and_gradients(W, b, X, y, l2=0.1)
    loss = lambda: S.loss_and_gradients(W, b, X, y, l2=0.1)[0]  # noqa: E731
    assert journey.gradcheck.relative_error(dW, numerical_gradient(loss, W)) < 1e-8
    assert journey.gradcheck.relative_error(db, numerical_gradient(loss, b)) < 1e-8


def test_softmax_gradient_matches_autograd():
    X, y = blobs(n=30, d=5, k=3)
    rng = np.random.default_rng(2)
    W, b = rng.standard_normal((3, 5)), rng.standard_normal(3)
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


def test_numpy_gd_follows_torch_gd_step_for_step():
    X, y = blobs()
    model = S.SoftmaxRegression(l2=0.01, n_iter=200).fit(X, y)
    head = T.train_linear_head_gd(X, y, lr=model.lr_, n_iter=200, l2=0.01)
    assert journey.gradcheck.relative_error(model.coef_, head.weight.detach().numpy()) < 1e-10
    assert journey.gradcheck.relative_error(model.intercept_, head.bias.detach().numpy()) < 1e-10


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


def test_auto_step_never_increases_the_loss():
    X, y = blobs(noise=0.5)
    history = np.array(S.SoftmaxRegression(l2=0.0, n_iter=300).fit(X * 10, y).loss_history_)
    assert np.all(np.diff(history) <= 1e-12)
    assert history[-1] < 0.5 * history[0]


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
        ({"n_iter": 0}, "n_iter must be"),
        ({"tol": -1.0}, "tol must be"),
    ],
)
def test_numpy_head_rejects_bad_hyperparameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        S.SoftmaxRegression(**kwargs)


def test_numpy_head_rejects_bad_data():
    X, y = blobs()
    model = S.SoftmaxRegression(n_iter=5)
    with pytest.raises(RuntimeError, match="not fitted"):
        model.predict(X)
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.fit(bad, y)
    with pytest.raises(ValueError, match="different lengths"):
        model.fit(X, y[:-1])
    with pytest.raises(ValueError, match="single class"):
        model.fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="2-D"):
        model.fit(X[:, 0], y)
    model.fit(X, y)
    with pytest.raises(ValueError, match="features"):
        model.predict(X[:, :3])


# ---------------------------------------------------------- freezing, saving, loading


@pytest.mark.parametrize("trainable", [("fc",), ("layer4", "fc")])
def test_freezing_is_real(trainable):
    model, _ = T.build_model("none", seed=0)
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
    model, _ = T.build_model("none", seed=0)
    T.freeze(model, ("fc",))
    before = model.bn1.running_mean.clone()
    model.train()
    with torch.no_grad():
        model(tiny_images(8)[0])
    assert not torch.equal(before, model.bn1.running_mean)


def test_save_load_round_trip_gives_identical_outputs(tmp_path):
    model, _ = T.build_model("none", seed=3)
    model.eval()
    x, _ = tiny_images(6)
    path = T.save_model(model, tmp_path / "m.pt")
    reloaded = T.load_model(path)
    with torch.no_grad():
        assert torch.equal(model(x), reloaded(x))


def test_backbone_then_fc_is_the_whole_network():
    model, _ = T.build_model("none", seed=0)
    model.eval()
    x, _ = tiny_images(4)
    with torch.no_grad():
        assert torch.equal(model.fc(T.backbone(model)(x)), model(x))


def test_fold_standardisation_matches_standardise_then_head():
    torch.manual_seed(0)
    head = torch.nn.Linear(7, 3).double()
    mean, std = torch.randn(7).double(), torch.rand(7).double() + 0.5
    x = torch.randn(5, 7).double()
    with torch.no_grad():
        folded = T.fold_standardisation(head, mean, std).double()
        assert (
            journey.gradcheck.relative_error(folded(x).numpy(), head((x - mean) / std).numpy())
            < 1e-12
        )


def test_preprocessing_at_224_is_the_weights_own_transform():
    from PIL import Image

    image = Image.fromarray(np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8))
    assert torch.equal(T.preprocessing(224)(image), T.WEIGHTS.transforms()(image))
    with pytest.raises(ValueError, match="image_size"):
        T.preprocessing(16)


def test_confusion_matrix_matches_sklearn():
    from sklearn.metrics import confusion_matrix

    rng = np.random.default_rng(0)
    y, p = rng.integers(0, 10, 200), rng.integers(0, 10, 200)
    np.testing.assert_array_equal(
        T.confusion_matrix(y, p), confusion_matrix(y, p, labels=range(10))
    )


def test_freeze_rejects_unknown_module():
    model, _ = T.build_model("none")
    with pytest.raises(ValueError, match="no top-level module"):
        T.freeze(model, ("layer9",))
    with pytest.raises(ValueError, match="weights must be"):
        T.build_model("imagenet")


# ------------------------------------------------------------------- weights offline


def test_missing_weights_error_names_the_file_and_the_fallback(no_pretrained):
    with pytest.raises(T.MissingWeightsError) as info:
        T.build_model("default")
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


def test_weights_auto_falls_back_loudly(no_pretrained, capsys):
    model, init = T.build_model("auto")
    assert init == "random"
    assert "RANDOMLY INITIALISED" in capsys.readouterr().err


def test_pretrained_path_loads_the_cached_weights_file(fake_pretrained):
    model, init = T.build_model("default", seed=0)
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
    model, init = T.build_model("none", seed=0)
    settings = dict(
        data="standin",
        image_size=32,
        n_train=300,
        n_test=150,
        seed=0,
        device="cpu",
        cache_dir=tmp_path,
        quiet=True,
    )
    feats = T.cached_features(model, init, **settings)
    X_train, X_test = S.standardise(
        feats["train_x"].astype(np.float64), feats["test_x"].astype(np.float64)
    )
    numpy_acc = (
        S.SoftmaxRegression(l2=1e-2, n_iter=500)
        .fit(X_train, feats["train_y"])
        .score(X_test, feats["test_y"])
    )
    head, mean, std, _ = T.train_linear_head(
        feats["train_x"], feats["train_y"], l2=1e-2, verbose=False
    )
    with torch.no_grad():
        torch_pred = head((torch.as_tensor(feats["test_x"]) - mean) / std).argmax(1).numpy()
    torch_acc = float(np.mean(torch_pred == feats["test_y"]))
    assert (
        numpy_acc > 0.5 and torch_acc > 0.5
    )  # well above chance (0.1): the features carry the digit
    assert abs(numpy_acc - torch_acc) <= 0.02
    # the second call reuses the cache: same file, not rewritten
    written = feats["path"].stat().st_mtime_ns
    again = T.cached_features(model, init, **settings)
    assert again["path"] == feats["path"] and again["path"].stat().st_mtime_ns == written
    assert list(tmp_path.glob("features_*.npz")) == [feats["path"]]


def test_random_init_depends_on_the_seed_only(monkeypatch, capsys):
    """A failed download that already drew random numbers must not shift the random weights
    (the feature cache relies on it); the fingerprint tells different weights apart."""

    def failing_download():
        torchvision_resnet18()  # torchvision builds the network before it fetches the weights
        raise T.MissingWeightsError("simulated failed download")

    monkeypatch.setattr(T, "load_pretrained_resnet18", failing_download)
    a, init = T.build_model("auto", seed=5)
    b, _ = T.build_model("none", seed=5)
    c, _ = T.build_model("none", seed=6)
    assert init == "random" and "simulated failed download" in capsys.readouterr().err
    assert T.fingerprint(a) == T.fingerprint(b) != T.fingerprint(c)
