"""Stage 15: linear AE ≡ PCA, NumPy ELBO and GAN losses ≡ PyTorch's, trained-model quality.

Default tests run on the bundled-digits stand-in (written into a temporary DATA_DIR) or on
small synthetic tensors; the full GAN-coverage check is marked slow.
"""

import numpy as np
import pytest
import torch

import journey
from journey import data as jdata
from journey.gradcheck import numerical_gradient, relative_error

LAE = journey.load_stage("15", "from_scratch/linear_autoencoder_numpy.py")
LOSS = journey.load_stage("15", "from_scratch/generative_losses_numpy.py")
load_mnist_tensors = journey.load_stage("15", "library_impl/_mnist.py").load_mnist_tensors
T = journey.load_stage("15", "library_impl/_training.py")
AE = journey.load_stage("15", "library_impl/autoencoder_pytorch.py")
VAE = journey.load_stage("15", "library_impl/vae_pytorch.py")
GAN = journey.load_stage("15", "library_impl/gan_pytorch.py")


@pytest.fixture(scope="module")
def standin(tmp_path_factory):
    """The stand-in digits as tensors (1437 train / 360 test), read through torchvision's MNIST."""
    root = tmp_path_factory.mktemp("data")
    return load_mnist_tensors("standin", root)


def low_rank_data(n=300, d=12, seed=0):
    rng = np.random.default_rng(seed)
    scales = np.array([5.0, 3.0, 1.0] + [0.1] * (d - 3))
    return rng.standard_normal((n, d)) * scales @ np.linalg.qr(rng.standard_normal((d, d)))[0] + 2.0


# --------------------------------------------------------------- linear AE (NumPy)


@pytest.mark.exercise("15.1")
def test_linear_ae_gradients_match_finite_differences():
    X = low_rank_data(n=40, d=6)
    Xc = X - X.mean(0)
    rng = np.random.default_rng(1)
    W_e, W_d = rng.standard_normal((2, 6)), rng.standard_normal((6, 2))
    _, g_e, g_d = LAE.loss_and_gradients(W_e, W_d, Xc)
    loss = lambda: LAE.loss_and_gradients(W_e, W_d, Xc)[0]  # noqa: E731
    assert relative_error(g_e, numerical_gradient(loss, W_e)) < 1e-8
    assert relative_error(g_d, numerical_gradient(loss, W_d)) < 1e-8


@pytest.mark.exercise("15.1")
def test_covariance_form_equals_per_image_form():
    X = low_rank_data()
    Xc = X - X.mean(0)
    C = Xc.T @ Xc / len(X)
    rng = np.random.default_rng(2)
    W_e, W_d = rng.standard_normal((3, 12)), rng.standard_normal((12, 3))
    per_image = LAE.loss_and_gradients(W_e, W_d, Xc)
    via_cov = LAE.covariance_loss_and_gradients(W_e, W_d, C, np.trace(C))
    for a, b in zip(per_image, via_cov, strict=True):
        assert relative_error(a, b) < 1e-10


@pytest.mark.exercise("15.1")
def test_linear_ae_gradients_match_autograd_of_the_torch_twin():
    X = low_rank_data(n=50, d=8)
    mean = X.mean(0)
    rng = np.random.default_rng(3)
    W_e, W_d = rng.standard_normal((2, 8)), rng.standard_normal((8, 2))
    loss, g_e, g_d = LAE.loss_and_gradients(W_e, W_d, X - mean)
    twin = AE.LinearAutoencoder(8, 2)
    with torch.no_grad():
        twin.encoder.weight.copy_(torch.from_numpy(W_e))
        twin.decoder.weight.copy_(torch.from_numpy(W_d))
        twin.mean.copy_(torch.from_numpy(mean))
    x = torch.from_numpy(X)
    loss_t = ((twin(x) - x) ** 2).sum(1).mean()
    loss_t.backward()
    assert relative_error(loss, loss_t.item()) < 1e-12
    assert relative_error(g_e, twin.encoder.weight.grad.numpy()) < 1e-10
    assert relative_error(g_d, twin.decoder.weight.grad.numpy()) < 1e-10


def test_linear_ae_learns_pcas_subspace_on_digits(standin):
    from scipy.linalg import subspace_angles
    from sklearn.decomposition import PCA

    x_train, _, x_test, _, _ = standin
    X, Xt = x_train.double().numpy(), x_test.double().numpy()
    model = LAE.LinearAutoencoder(2, n_iter=500, seed=0).fit(X)
    pca = PCA(n_components=2).fit(X)
    assert subspace_angles(model.decoder_weight_, pca.components_.T).max() < 1e-3
    pca_mse = np.mean((pca.inverse_transform(pca.transform(Xt)) - Xt) ** 2)
    assert relative_error(model.reconstruction_error(Xt), pca_mse) < 1e-4
    assert np.all(np.diff(model.loss_history_) <= 1e-12)  # the auto step never increases the loss


def test_largest_principal_angle_matches_scipy():
    from scipy.linalg import subspace_angles

    rng = np.random.default_rng(4)
    for _ in range(5):
        A, B = rng.standard_normal((20, 3)), rng.standard_normal((20, 3))
        assert (
            relative_error(LAE.largest_principal_angle(A, B), subspace_angles(A, B).max()) < 1e-10
        )
    A = rng.standard_normal((20, 3))
    tiny = A + 1e-7 * rng.standard_normal((20, 3))
    assert (
        relative_error(LAE.largest_principal_angle(A, tiny), subspace_angles(A, tiny).max()) < 1e-10
    )


def test_linear_ae_reconstructions_equal_torch_twin():
    X = low_rank_data()
    model = LAE.LinearAutoencoder(3, n_iter=50).fit(X)
    twin = AE.LinearAutoencoder(12, 3)
    with torch.no_grad():
        twin.encoder.weight.copy_(torch.from_numpy(model.encoder_weight_))
        twin.decoder.weight.copy_(torch.from_numpy(model.decoder_weight_))
        twin.mean.copy_(torch.from_numpy(model.mean_))
        assert relative_error(model.reconstruct(X), twin(torch.from_numpy(X)).numpy()) < 1e-10


@pytest.mark.exercise("15.2")
def test_pca_components_span_scikit_learns_principal_subspace():
    """The top-k directions (largest eigenvalues), not the bottom-k that ``eigh`` lists first."""
    from scipy.linalg import subspace_angles
    from sklearn.decomposition import PCA

    X = low_rank_data()
    ours = LAE.pca_components(X, 3)
    theirs = PCA(n_components=3).fit(X).components_
    assert ours.shape == theirs.shape
    assert subspace_angles(ours.T, theirs.T).max() < 1e-8
    np.testing.assert_allclose(np.abs(ours @ theirs.T), np.eye(3), atol=1e-8)  # axis by axis


def test_score_is_minus_the_reconstruction_error_so_grid_search_prefers_the_larger_code():
    """scikit-learn keeps the highest score: a score equal to the error would pick k = 1."""
    from sklearn.model_selection import GridSearchCV, KFold

    X = low_rank_data()
    model = LAE.LinearAutoencoder(n_iter=300).fit(X[:200])
    assert model.score(X[200:]) == -model.reconstruction_error(X[200:]) < 0
    search = GridSearchCV(LAE.LinearAutoencoder(n_iter=300), {"n_components": [1, 3]}, cv=3)
    search.fit(X)
    assert search.best_params_ == {"n_components": 3}
    by_hand = [
        np.mean(
            [
                -LAE.LinearAutoencoder(k, n_iter=300).fit(X[tr]).reconstruction_error(X[te])
                for tr, te in KFold(3).split(X)
            ]
        )
        for k in (1, 3)
    ]
    assert by_hand[1] > by_hand[0]
    assert search.best_score_ == pytest.approx(by_hand[1], rel=1e-12)


def test_linear_ae_refuses_bad_hyperparameters_and_data_at_fit():
    """Beyond the shared estimator contract: ranges, the code size, constant data."""
    X = low_rank_data()
    for kwargs, match in [
        ({"n_components": 0}, "n_components"),
        ({"lr": -1.0}, "lr must be"),
        ({"n_iter": 0}, "n_iter"),
        ({"init_scale": 0.0}, "init_scale"),
        ({"n_components": 13}, "exceeds"),
    ]:
        model = LAE.LinearAutoencoder(**kwargs)  # storing a bad value is not an error …
        with pytest.raises(ValueError, match=match):
            model.fit(X)  # … fitting with it is
    for constant in (np.ones((10, 4)), np.full((10, 4), 0.1)):
        with pytest.raises(ValueError, match="no variance"):
            LAE.LinearAutoencoder().fit(constant)
    with pytest.raises(ValueError, match="same dimension"):
        LAE.largest_principal_angle(X[:, :2], X[:, :3])


def test_numpy_and_torch_loaders_read_the_same_idx_files(data_dir):
    rng = np.random.default_rng(5)

    def split(n):
        return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(
            0, 10, n, dtype=np.uint8
        )

    jdata.write_mnist_idx(data_dir, split(40), split(15))
    X, y, Xt, yt, source = LAE.load_mnist("mnist", data_dir, n_train=30, seed=1)
    x, yy, xt, yyt, source_t = load_mnist_tensors("mnist", data_dir, n_train=30, seed=1)
    assert source == source_t == "mnist"
    assert X.shape == (30, 784) and Xt.shape == (15, 784)
    np.testing.assert_array_equal(
        np.round(X * 255), np.round(x.double().numpy() * 255)
    )  # same pixels
    np.testing.assert_array_equal(y, yy.numpy())
    np.testing.assert_array_equal(np.round(Xt * 255), np.round(xt.double().numpy() * 255))
    np.testing.assert_array_equal(yt, yyt.numpy())
    with pytest.raises(ValueError, match="data must be"):
        LAE.load_mnist("cifar", data_dir)


# ------------------------------------------------------ ELBO and GAN losses: NumPy vs torch


def latent_batch(seed=0, n=16, k=3):
    rng = np.random.default_rng(seed)
    return rng.normal(0, 2, (n, k)), rng.normal(0, 1.5, (n, k))


@pytest.mark.exercise("15.3", "15.4")
def test_elbo_terms_equal_pytorch():
    rng = np.random.default_rng(6)
    x = rng.uniform(0, 1, (16, 784))
    x[:, :100] = rng.integers(0, 2, (16, 100))
    logits = rng.normal(0, 8, (16, 784))
    logits[0, :5] = [
        60.0,
        -60.0,
        35.0,
        -35.0,
        0.0,
    ]  # far into the tails: the stable forms must hold
    mu, logvar = latent_batch()
    numpy_terms = LOSS.elbo(x, logits, mu, logvar)
    torch_terms = VAE.elbo_terms(*(torch.from_numpy(a) for a in (x, logits, mu, logvar)))
    for key in ("elbo", "reconstruction", "kl"):
        assert relative_error(numpy_terms[key], torch_terms[key].item()) < 1e-10, key
    assert (
        relative_error(
            LOSS.gaussian_kl(mu, logvar),
            VAE.gaussian_kl(torch.from_numpy(mu), torch.from_numpy(logvar)).numpy(),
        )
        < 1e-10
    )
    assert (
        relative_error(
            LOSS.bernoulli_nll(x, logits),
            VAE.bernoulli_nll(torch.from_numpy(x), torch.from_numpy(logits)).numpy(),
        )
        < 1e-10
    )


@pytest.mark.exercise("15.5")
def test_reparameterisation_matches_the_vae_forward_pass():
    torch.manual_seed(0)
    model = VAE.VAE(latent_dim=3).double()
    x = torch.rand(5, 784, dtype=torch.float64)
    eps = torch.randn(5, 3, dtype=torch.float64)
    with torch.no_grad():
        logits, mu, logvar = model(x, eps)
        z = LOSS.reparameterise(mu.numpy(), logvar.numpy(), eps.numpy())
        assert relative_error(logits.numpy(), model.decoder(torch.from_numpy(z)).numpy()) < 1e-10


def gan_logits(seed=7):
    """Real and fake discriminator logits, one of each far into the tails."""
    rng = np.random.default_rng(seed)
    real, fake = rng.normal(1, 4, 64), rng.normal(-2, 5, 64)
    real[0], fake[0] = 45.0, -45.0
    return real, fake


@pytest.mark.exercise("15.6")
def test_discriminator_loss_equals_pytorch():
    real, fake = gan_logits()
    r, f = torch.from_numpy(real), torch.from_numpy(fake)
    assert (
        relative_error(LOSS.discriminator_loss(real, fake), GAN.discriminator_loss(r, f).item())
        < 1e-10
    )


@pytest.mark.exercise("15.7")
def test_generator_losses_equal_pytorch():
    _, fake = gan_logits()
    torch_loss = GAN.generator_loss(torch.from_numpy(fake)).item()
    assert relative_error(LOSS.generator_loss(fake), torch_loss) < 1e-10
    moderate = torch.from_numpy(np.random.default_rng(8).normal(0, 3, 64))
    minimax = torch.log1p(-torch.sigmoid(moderate)).mean()
    assert (
        relative_error(LOSS.generator_loss(moderate.numpy(), saturating=True), minimax.item())
        < 1e-10
    )


@pytest.mark.parametrize("saturating", [False, True])
def test_generator_loss_gradient_matches_autograd(saturating):
    s = torch.linspace(-8, 4, 50, dtype=torch.float64, requires_grad=True)
    loss = torch.log1p(-torch.sigmoid(s)).mean() if saturating else GAN.generator_loss(s)
    loss.backward()
    grad = LOSS.generator_loss_grad(s.detach().numpy(), saturating=saturating)
    assert relative_error(grad, s.grad.numpy()) < 1e-10


@pytest.mark.exercise("15.4")
def test_kl_is_zero_only_at_the_prior():
    assert np.allclose(LOSS.gaussian_kl(np.zeros((2, 4)), np.zeros((2, 4))), 0.0)
    mu, logvar = latent_batch(seed=8)
    assert np.all(LOSS.gaussian_kl(mu, logvar) > 0)


def test_loss_functions_reject_bad_input():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        LOSS.bernoulli_nll(np.full((2, 3), 255.0), np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        LOSS.bernoulli_nll(np.full((2, 3), np.nan), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="eps must have"):
        LOSS.reparameterise(np.zeros((2, 3)), np.zeros((2, 3)), np.zeros((1, 3)))
    with pytest.raises(ValueError, match="same shape"):
        LOSS.bce_with_logits(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="latent_dim"):
        LOSS.gaussian_kl(np.zeros((2, 3)), np.zeros((2, 4)))
    x, logits = np.full((2, 784), 0.5), np.zeros((2, 784))
    with pytest.raises(ValueError, match="one latent code per image"):
        LOSS.elbo(x, logits, *latent_batch(n=3))  # 2 images, 3 codes
    with pytest.raises(ValueError, match="one latent code per image"):
        LOSS.elbo(x[0], logits[0], *latent_batch(n=784))  # one image passed as a 1-D row
    with pytest.raises(ValueError, match="same shape"):
        LOSS.discriminator_loss(np.zeros(8), np.zeros(6))
    for bad in (np.zeros((8, 1)), np.zeros(0)):
        with pytest.raises(ValueError, match="one discriminator logit per image"):
            LOSS.discriminator_loss(bad, bad)
        with pytest.raises(ValueError, match="one discriminator logit per image"):
            LOSS.generator_loss(bad)
        with pytest.raises(ValueError, match="one discriminator logit per image"):
            LOSS.generator_loss_grad(bad)
    with pytest.raises(ValueError, match="latent_dim"):
        VAE.VAE(latent_dim=0)
    with pytest.raises(ValueError, match="latent_dim"):
        AE.Autoencoder(latent_dim=0)


# -------------------------------------------------------------- trained-model quality


def test_autoencoder_beats_pca_at_the_same_latent_size(standin):
    x_train, _, x_test, _, _ = standin
    model = AE.Autoencoder(latent_dim=2)
    AE.train_autoencoder(model, x_train, epochs=T.epochs_for(len(x_train), 128, 400), verbose=False)
    pca_mse, _ = AE.pca_baseline(x_train, x_test, 2)
    assert AE.reconstruction_mse(model, x_test) < 0.9 * pca_mse


def test_vae_elbo_improves_on_initialisation(standin):
    x_train, _, x_test, _, _ = standin
    torch.manual_seed(0)
    model = VAE.VAE(latent_dim=2)
    init = VAE.evaluate_elbo(model, x_test)
    assert init == VAE.evaluate_elbo(model, x_test)  # fixed noise: the evaluation is deterministic
    VAE.train_vae(model, x_train, epochs=3, verbose=False)
    final = VAE.evaluate_elbo(model, x_test)
    assert final["elbo"] - init["elbo"] >= VAE.ELBO_MARGIN


def test_gan_training_moves_a_toy_generator_onto_the_data():
    """The training loop, losses and optimizers wired right: a tiny GAN learns a 2-D blob."""
    g = torch.Generator().manual_seed(0)
    data = torch.tensor([0.8, 0.2]) + 0.05 * torch.randn(512, 2, generator=g)
    torch.manual_seed(0)
    G = GAN.Generator(noise_dim=4, hidden=(16, 16), n_pixels=2)
    Dis = GAN.Discriminator(hidden=(16, 16), n_pixels=2)
    before = G.sample(500, torch.Generator().manual_seed(1)).mean(0)
    history, snapshots = GAN.train_gan(
        G,
        Dis,
        data,
        epochs=60,
        batch_size=64,
        lr=2e-3,
        snapshot_epochs=(0, 60),
        n_snapshot=3,
        verbose=False,
    )
    after = G.sample(500, torch.Generator().manual_seed(1)).mean(0)
    assert (before - data.mean(0)).abs().max() > 0.2
    assert (after - data.mean(0)).abs().max() < 0.08
    assert sorted(snapshots) == [0, 60] and len(history) == 60


def test_classify_samples_applies_the_classifiers_preprocessing():
    torch.manual_seed(0)
    classifier = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10))
    images = torch.rand(30, 784)
    preds, conf = GAN.classify_samples(images, classifier, batch_size=7)
    with torch.no_grad():
        probs = torch.softmax(classifier((images - jdata.MNIST_MEAN) / jdata.MNIST_STD), 1)
    np.testing.assert_array_equal(preds, probs.argmax(1).numpy())
    np.testing.assert_allclose(conf, probs.max(1).values.numpy(), rtol=1e-6)
    report = GAN.coverage(np.array([0, 0, 3, 9]), np.array([0.5, 0.7, 0.9, 0.3]))
    assert report["classes_covered"] == 3 and report["counts"][0] == 2
    assert report["mean_confidence"] == pytest.approx(0.6)


def test_distance_to_data_is_zero_for_the_data_itself(standin):
    x_train = standin[0]
    same = GAN.distance_to_data(x_train, x_train)
    assert same["mean_image"] == 0.0 and same["histogram"] == 0.0
    noise = GAN.distance_to_data(torch.rand_like(x_train), x_train)
    assert noise["mean_image"] > 0.1 and noise["histogram"] > 0.3


def test_training_loop_sees_every_image_once_per_epoch_and_averages_over_images():
    x = torch.arange(10.0)[:, None]
    seen = []

    def step(batch):
        seen.append(batch.flatten().tolist())
        return {"value": batch.mean().item()}

    history = T.train_epochs(step, x, models=[], epochs=2, batch_size=4, seed=3, verbose=False)
    assert [len(b) for b in seen] == [4, 4, 2, 4, 4, 2]
    for epoch in range(2):
        assert sorted(sum(seen[3 * epoch : 3 * epoch + 3], [])) == list(range(10))
    assert [row["epoch"] for row in history] == [1, 2]
    batch_means = [np.mean(batch) for batch in seen[:3]]
    assert np.mean(batch_means) != pytest.approx(4.5)  # a mean over batches would be off …
    assert history[0]["value"] == pytest.approx(4.5)  # … the mean over images is exact
    first_order = list(seen)
    seen.clear()
    T.train_epochs(step, x, models=[], epochs=2, batch_size=4, seed=3, verbose=False)
    assert seen == first_order


@pytest.mark.slow
def test_full_gan_samples_cover_all_ten_digits(standin):
    x_train = standin[0]
    torch.manual_seed(0)
    G, Dis = GAN.Generator(), GAN.Discriminator()
    GAN.train_gan(
        G, Dis, x_train, epochs=T.epochs_for(len(x_train), 64, GAN.FULL_STEPS), verbose=False
    )
    classifier, _, _ = GAN.stage11_classifier(quick=False)
    samples = G.sample(GAN.N_EVAL, torch.Generator().manual_seed(2))
    report = GAN.coverage(*GAN.classify_samples(samples, classifier))
    assert report["classes_covered"] == 10, report


@pytest.mark.parametrize("script", [LAE, AE, VAE, GAN])
def test_scripts_exit_cleanly_when_mnist_is_missing(script, data_dir, monkeypatch, capsys):
    monkeypatch.setenv("JOURNEY_OFFLINE", "1")
    monkeypatch.setattr("sys.argv", ["script.py", "--data", "mnist"])
    with pytest.raises(SystemExit) as info:
        script.main()
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "train-images-idx3-ubyte" in err and str(data_dir) in err and "stand-in" in err
