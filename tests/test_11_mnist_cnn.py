"""Stage 11: the MNIST CNN trains through torchvision's real IDX loader, saves its artefacts,
and the NumPy forward pass reproduces PyTorch's logits from the saved weights."""

import json
import os

import numpy as np
import pytest
import torch
from torch.nn import functional as F

import journey
from journey.data import (
    MNIST_MEAN,
    MNIST_STD,
    MissingDatasetError,
    digits_as_mnist,
    missing_mnist_files,
    write_mnist_idx,
)

lib = journey.load_stage("11", "library_impl/mnist_cnn_pytorch.py")
scratch = journey.load_stage("11", "from_scratch/mnist_cnn_numpy.py")


def write_small_mnist(root, n_train=640, n_test=200):
    """Real digits (the bundled set at 28×28) written as the four MNIST IDX files."""
    tr_x, tr_y, te_x, te_y = digits_as_mnist()
    return write_mnist_idx(root, (tr_x[:n_train], tr_y[:n_train]), (te_x[:n_test], te_y[:n_test]))


@pytest.fixture(scope="module")
def seeded_net():
    """An untrained MnistCNN with seeded weights, in float64, and its NumPy twin: the forward
    pass is the same function whatever the weights, so these tests need no training."""
    torch.manual_seed(0)
    net = lib.MnistCNN().double().eval()
    state = {name: tensor.numpy() for name, tensor in net.state_dict().items()}
    return net, scratch.NumpyMnistCNN(state, dtype=np.float64)


def assert_close(ours, reference, bar, what):
    error = journey.gradcheck.relative_error(ours, reference)
    assert error <= bar, f"{what}: relative error {error:.3g} > {bar:g}"


@pytest.mark.exercise("11.2")
def test_feature_maps_match_pytorchs_convolution_blocks(seeded_net):
    net, ours = seeded_net
    x = np.random.default_rng(0).standard_normal((8, 1, 28, 28))
    with torch.no_grad():
        h = net.pool(F.relu(net.conv1(torch.from_numpy(x))))
        reference = net.pool(F.relu(net.conv2(h))).numpy()
    features = ours.features(x)
    assert features.shape == (8, 64, 5, 5)
    assert_close(features, reference, 1e-10, "feature maps vs PyTorch's conv blocks")


@pytest.mark.exercise("11.3")
def test_dense_head_matches_pytorchs_on_the_same_feature_maps(seeded_net):
    net, ours = seeded_net
    h = np.random.default_rng(1).random((8, 64, 5, 5))  # ReLU-pooled maps are non-negative
    with torch.no_grad():
        reference = net.fc2(F.relu(net.fc1(torch.from_numpy(h).flatten(1)))).numpy()
    assert_close(ours.classify(h), reference, 1e-10, "logits from the head vs PyTorch's")


@pytest.mark.exercise("11.2", "11.3")
def test_whole_forward_pass_matches_pytorch_on_digits(seeded_net):
    net, ours = seeded_net
    images = digits_as_mnist()[2][:32]
    x = ((images[:, None] / 255.0 - MNIST_MEAN) / MNIST_STD).astype(np.float64)
    with torch.no_grad():
        reference = net(torch.from_numpy(x)).numpy()
    assert_close(ours.forward(x), reference, 1e-10, "logits vs MnistCNN")
    np.testing.assert_array_equal(ours.predict(x), reference.argmax(1))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One short training run (15 batches of 32) on a small MNIST read by torchvision's loader."""
    root = write_small_mnist(tmp_path_factory.mktemp("data"))
    out_dir = tmp_path_factory.mktemp("artefacts")
    metrics = lib.train(
        epochs=1, device="cpu", seed=0, data_dir=root, data="mnist", out_dir=out_dir, max_batches=15
    )
    return root, out_dir, metrics


def test_training_reads_idx_files_and_writes_artefacts(trained):
    _, out_dir, metrics = trained
    assert metrics["data_source"] == "mnist"  # read from the IDX files, not the stand-in
    assert metrics["test_size"] == 200
    assert metrics["test_accuracy"] > 0.3  # 10 classes: an untrained or broken net scores ≈ 0.1
    assert np.shape(metrics["confusion"]) == (10, 10) and np.sum(metrics["confusion"]) == 200
    assert np.trace(metrics["confusion"]) == metrics["test_correct"]
    assert {p.name for p in out_dir.iterdir()} >= set(lib.ARTEFACT_FILES)
    meta = json.loads((out_dir / lib.METADATA_FILE).read_text())
    assert meta["classes"] == list(range(10)) and meta["input_shape"] == [1, 28, 28]
    assert meta["normalisation"] == {"mean": journey.data.MNIST_MEAN, "std": journey.data.MNIST_STD}
    assert meta["data_source"] == "mnist" and meta["epochs"] == 1 and meta["seed"] == 0
    assert meta["torch_version"] == torch.__version__
    assert len(meta["history"]["test_accuracy"]) == 1


def test_npz_holds_the_state_dict_as_float32(trained):
    _, out_dir, _ = trained
    state = torch.load(out_dir / lib.WEIGHTS_FILE, weights_only=True)
    with np.load(out_dir / lib.ARRAYS_FILE) as arrays:
        assert set(arrays.files) == set(state)
        for name, tensor in state.items():
            assert arrays[name].dtype == np.float32
            np.testing.assert_array_equal(arrays[name], tensor.numpy())


def test_reloaded_weights_give_the_recorded_accuracy(trained):
    root, out_dir, metrics = trained
    accuracy, metadata = lib.evaluate_saved(out_dir, "cpu", root)
    assert accuracy == metadata["test_accuracy"] == metrics["test_accuracy"]
    assert not lib.load_trained(out_dir).training


@pytest.mark.exercise("11.1", "11.2", "11.3")
def test_numpy_forward_matches_pytorch_logits_and_labels(trained):
    root, out_dir, _ = trained
    images, labels, _ = scratch.conv.load_mnist_idx(root, train=False, standin="never")
    x = scratch.normalise(images)
    with torch.no_grad():
        torch_logits = lib.load_trained(out_dir, "cpu")(torch.from_numpy(x)).numpy()
    model = scratch.NumpyMnistCNN.from_npz(out_dir / scratch.ARRAYS_FILE, batch_size=64)
    numpy_logits = model.forward(x)
    assert numpy_logits.dtype == np.float32
    assert np.max(np.abs(numpy_logits - torch_logits)) <= 1e-4
    np.testing.assert_array_equal(model.predict(x), torch_logits.argmax(1))
    assert np.allclose(model.predict_proba(x).sum(axis=1), 1.0, atol=1e-5)


def test_numpy_forward_matches_pytorch_in_float64(trained):
    """Same computation, same inputs: in float64 the two forward passes agree to 1e-10."""
    root, out_dir, _ = trained
    images, _, _ = scratch.conv.load_mnist_idx(root, train=False, standin="never")
    x = scratch.normalise(images[:50]).astype(np.float64)
    net = lib.load_trained(out_dir, "cpu").double()
    with torch.no_grad():
        torch_logits = net(torch.from_numpy(x)).numpy()
    state64 = {k: v.double().numpy() for k, v in net.state_dict().items()}
    numpy_logits = scratch.NumpyMnistCNN(state64, dtype=np.float64).forward(x)
    assert numpy_logits.dtype == np.float64
    assert journey.gradcheck.relative_error(numpy_logits, torch_logits) <= 1e-10


@pytest.mark.exercise("11.1")
def test_numpy_normalise_matches_torchvision_transform():
    images = digits_as_mnist()[2][:20]
    from PIL import Image

    reference = torch.stack([lib.TRANSFORM(Image.fromarray(img)) for img in images]).numpy()
    ours = scratch.normalise(images)
    assert ours.dtype == np.float32 and ours.shape == (20, 1, 28, 28)
    np.testing.assert_allclose(ours, reference, rtol=0, atol=1e-6)


def test_fast_path_matches_dataloader_path(data_dir, tmp_path):
    write_small_mnist(data_dir, n_train=320, n_test=100)
    runs = [
        lib.train(1, "cpu", 3, None, "mnist", tmp_path / str(fast), max_batches=6, fast=fast)
        for fast in (False, True)
    ]
    assert runs[0]["data_source"] == runs[1]["data_source"] == "mnist"
    for key in ("train_loss", "test_loss"):
        assert abs(runs[0]["history"][key][0] - runs[1]["history"][key][0]) <= 1e-5
    assert runs[0]["test_correct"] == runs[1]["test_correct"]


def test_ensure_trained_builds_once_and_never_replaces(data_dir, tmp_path):
    out_dir = lib.ensure_trained(quick=True, out_dir=tmp_path / "model")
    meta = lib.load_metadata(out_dir)
    assert meta["data_source"] == "digits-standin" and meta["epochs"] == 1
    assert meta["test_accuracy"] > 0.5
    stamp = (out_dir / lib.WEIGHTS_FILE).stat().st_mtime_ns
    assert lib.ensure_trained(quick=True, out_dir=out_dir) == out_dir
    assert (out_dir / lib.WEIGHTS_FILE).stat().st_mtime_ns == stamp


# ------------------------------------------------------------------------------ bad input


def test_missing_artefacts_say_how_to_build_them(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"mnist_cnn\.pt.*mnist_cnn_pytorch\.py"):
        lib.load_trained(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"mnist_cnn\.npz.*mnist_cnn_pytorch\.py"):
        scratch.NumpyMnistCNN.from_npz(tmp_path)


def test_offline_without_mnist_is_a_clear_error(data_dir, tmp_path):
    assert os.environ.get("JOURNEY_OFFLINE") == "1"
    with pytest.raises(MissingDatasetError, match="Offline stand-in"):
        lib.train(1, "cpu", 0, None, "mnist", tmp_path, max_batches=1)
    with pytest.raises(ValueError, match="data must be one of"):
        lib.train(1, "cpu", 0, None, "cifar", tmp_path)


def test_bad_images_are_rejected(trained):
    _, out_dir, _ = trained
    model = scratch.NumpyMnistCNN.from_npz(out_dir)
    with pytest.raises(ValueError, match="channel"):
        model.forward(np.zeros((2, 3, 28, 28), dtype=np.float32))
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        model.forward(np.zeros((2, 1, 32, 32), dtype=np.float32))
    bad = np.zeros((1, 1, 28, 28), dtype=np.float32)
    bad[0, 0, 5, 5] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.predict(bad)
    with pytest.raises(ValueError, match=r"missing \['fc2.bias'\]"):
        scratch.NumpyMnistCNN({k: v for k, v in model.params_.items() if k != "fc2.bias"})


def test_corrupt_weights_are_refused(trained):
    _, out_dir, _ = trained
    params = scratch.NumpyMnistCNN.from_npz(out_dir).params_
    with pytest.raises(ValueError, match="fc1.weight contains NaN"):
        scratch.NumpyMnistCNN({**params, "fc1.weight": np.full((128, 1600), np.nan)})
    with pytest.raises(ValueError, match=r"fc1.weight has shape \(128, 1599\)"):
        scratch.NumpyMnistCNN({**params, "fc1.weight": np.zeros((128, 1599))})
    with pytest.raises(TypeError, match="batch_size"):
        scratch.NumpyMnistCNN(params, batch_size=2.5)
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        lib.MnistCNN()(torch.zeros(2, 3, 28, 28))


# ------------------------------------------------------------------------- full size (slow)


@pytest.mark.slow
def test_five_epochs_on_the_standin_reach_97_percent(data_dir, tmp_path):
    metrics = lib.train(5, "auto", 0, None, "standin", tmp_path, fast=True)
    assert metrics["test_accuracy"] >= 0.97


@pytest.mark.slow
def test_five_epochs_on_mnist_reach_99_percent(tmp_path):
    """Runs only where real MNIST is on disk (data/ or $DATA_DIR): there is no network in CI."""
    from journey.paths import data_dir as default_data_dir

    if missing_mnist_files(default_data_dir()):
        pytest.skip(
            "real MNIST is not on disk; run "
            "`ml_journey/bin/python 11_mnist_cnn/library_impl/mnist_cnn_pytorch.py` online once"
        )
    metrics = lib.train(5, "auto", 0, None, "mnist", tmp_path, fast=True)
    assert metrics["test_accuracy"] >= 0.99
