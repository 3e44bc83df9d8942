"""A linear autoencoder in NumPy, trained by gradient descent — and why it rediscovers PCA.

An autoencoder squeezes each image x ∈ R^D through a small code z ∈ R^k and rebuilds it.
The linear one, on data centred by its training mean μ:

    z  = W_e (x - μ)        encoder, W_e is (k, D)   (PyTorch: nn.Linear(D, k, bias=False).weight)
    x̂  = μ + W_d z          decoder, W_d is (D, k)   (PyTorch: nn.Linear(k, D, bias=False).weight)
    L  = (1/n) Σ_i ||x̂_i - x_i||²   squared error summed over pixels, averaged over images

With X_c the centred data (n, D), Z = X_c W_eᵀ and the residual R = Z W_dᵀ - X_c:

    ∂L/∂W_d = (2/n) Rᵀ Z
    ∂L/∂W_e = (2/n) W_dᵀ Rᵀ X_c

The loss touches the data only through the covariance C = X_cᵀ X_c / n:

    L = tr(C) - 2 tr(W_d W_e C) + tr(W_d W_e C W_eᵀ W_dᵀ)
    ∂L/∂W_d = 2 (W_d W_e C W_eᵀ - C W_eᵀ)
    ∂L/∂W_e = 2 (W_dᵀ W_d W_e C - W_dᵀ C)

so each gradient step costs O(D²k) instead of O(nDk) — the same numbers, computed faster
(``fit`` uses this form; the per-image form is kept beside it and the tests check they agree).

Why PCA? The best rank-k reconstruction of centred data is the projection onto the top-k
eigenvectors of C (Eckart–Young). Every minimum of L has W_d W_e equal to that projection,
and the other stationary points are saddles that gradient descent escapes; so the decoder's
columns end up spanning exactly PCA's subspace — though not PCA's individual axes (any
invertible k×k mix A gives the same product W_d A⁻¹ · A W_e). We compare subspaces by their
largest principal angle θ_max, with sin θ_max = ||(I - Q_a Q_aᵀ) Q_b||₂ for orthonormal bases.
"""

import argparse
import sys

import numpy as np

import journey
from journey import data as jdata
from journey import parity
from journey.cli import MNIST_DATA, deep_learning_flags
from journey.estimator import BaseEstimator
from journey.validation import (
    check_array,
    check_fitted_input,
    check_float,
    check_int,
    check_is_fitted,
    check_n_features,
)

STAGE = "15_generative"


# ---------------------------------------------------------------- losses and gradients


def loss_and_gradients(W_enc: np.ndarray, W_dec: np.ndarray, Xc: np.ndarray):
    """L = (1/n)Σ||x̂ - x||² on centred data, and (∂L/∂W_e, ∂L/∂W_d), the per-image form."""
    # BEGIN SOLUTION 15.1
    # task: the loss L and its gradients (∂L/∂W_e, ∂L/∂W_d) on the centred images Xc
    # hint: Z = Xc W_eᵀ, R = Z W_dᵀ − Xc, L = ΣR²/n; ∂L/∂W_e = (2/n) W_dᵀRᵀXc, ∂L/∂W_d = (2/n) RᵀZ
    n = len(Xc)
    Z = Xc @ W_enc.T
    R = Z @ W_dec.T - Xc
    loss = np.sum(R * R) / n
    return loss, (2.0 / n) * (W_dec.T @ R.T @ Xc), (2.0 / n) * (R.T @ Z)
    # END SOLUTION


def covariance_loss_and_gradients(
    W_enc: np.ndarray, W_dec: np.ndarray, C: np.ndarray, trace_C: float
):
    """The same loss and gradients through the covariance C = X_cᵀX_c/n (module docstring)."""
    CWt = C @ W_enc.T  # (D, k)
    M = W_enc @ CWt  # (k, k) = W_e C W_eᵀ
    G = W_dec.T @ W_dec  # (k, k)
    loss = trace_C - 2.0 * np.sum(W_dec * CWt) + np.sum(G * M)
    return loss, 2.0 * (G @ CWt.T - W_dec.T @ C), 2.0 * (W_dec @ M - CWt)


# ------------------------------------------------------------------------------ model


class LinearAutoencoder(BaseEstimator):
    """Linear autoencoder x̂ = μ + W_d W_e (x - μ), fitted by full-batch gradient descent on L.

    Interface like scikit-learn's PCA: ``fit``, ``transform`` (encode), ``inverse_transform``
    (decode), ``reconstruct``, ``reconstruction_error`` (mean squared error per pixel) and
    ``score`` (its negative: higher is better, like every scikit-learn score).

    Parameters
    ----------
    n_components : k, the code size.
    lr : step size, or "auto" = 1/(4 λ_max(C)) (the loss's curvature near a minimum is at most
         about 4 λ_max, so this step is safe).
    n_iter : gradient-descent steps.
    init_scale : the entries of W_e and W_d start as N(0, init_scale²/D).
    seed : for the initial weights.

    Learned: ``mean_`` (D,), ``encoder_weight_`` (k, D), ``decoder_weight_`` (D, k), ``lr_``,
    ``loss_history_`` (per-pixel MSE on the training data, before each step).
    """

    def __init__(
        self,
        n_components: int = 2,
        lr="auto",
        n_iter: int = 1000,
        init_scale: float = 1.0,
        seed: int = 0,
    ):
        self._store_hyperparameters(locals())

    def fit(self, X, y=None):
        """Gradient descent on L through the covariance: O(D²k) a step, whatever n is.

        ``y`` is ignored (present for scikit-learn's pipelines and model selection).
        """
        X, k, n_iter = self._validate(X)
        n, D = X.shape
        self.mean_ = X.mean(axis=0)
        Xc = X - self.mean_
        C = Xc.T @ Xc / n
        trace_C = float(np.trace(C))
        self.lr_ = 1.0 / (4.0 * np.linalg.eigvalsh(C)[-1]) if self.lr == "auto" else float(self.lr)
        rng = np.random.default_rng(self.seed)
        W_enc = self.init_scale * rng.standard_normal((k, D)) / np.sqrt(D)
        W_dec = self.init_scale * rng.standard_normal((D, k)) / np.sqrt(D)
        self.loss_history_ = []
        for _ in journey.progress(range(n_iter), desc="linear AE"):
            loss, dW_enc, dW_dec = covariance_loss_and_gradients(W_enc, W_dec, C, trace_C)
            self.loss_history_.append(loss / D)
            W_enc -= self.lr_ * dW_enc
            W_dec -= self.lr_ * dW_dec
        self.encoder_weight_, self.decoder_weight_ = W_enc, W_dec
        self.n_features_in_ = D
        return self

    def transform(self, X) -> np.ndarray:
        """The codes z = W_e (x - μ), one row per image."""
        X = check_fitted_input(self, X, "encoder_weight_")
        return (X - self.mean_) @ self.encoder_weight_.T

    def inverse_transform(self, Z) -> np.ndarray:
        """The images x̂ = μ + W_d z decoded from codes, one row per code."""
        check_is_fitted(self, "decoder_weight_")
        Z = check_array(Z, name="Z")
        check_n_features(Z, self.decoder_weight_.shape[1])
        return self.mean_ + Z @ self.decoder_weight_.T

    def reconstruct(self, X) -> np.ndarray:
        return self.inverse_transform(self.transform(X))

    def reconstruction_error(self, X) -> float:
        """Mean squared reconstruction error per pixel (lower is better)."""
        X = check_array(X)
        return float(np.mean((self.reconstruct(X) - X) ** 2))

    def score(self, X, y=None) -> float:
        """Minus ``reconstruction_error``: higher is better, as scikit-learn's model selection
        expects (``GridSearchCV`` keeps the highest score; ``neg_mean_squared_error`` too)."""
        return -self.reconstruction_error(X)

    def _validate(self, X):
        """The hyper-parameters and the training data, checked before any arithmetic."""
        k = check_int(self.n_components, "n_components", minimum=1)
        n_iter = check_int(self.n_iter, "n_iter", minimum=1)
        if self.lr != "auto":
            check_float(self.lr, "lr", minimum=0.0, strict_minimum=True)
        check_float(self.init_scale, "init_scale", minimum=0.0, strict_minimum=True)
        X = check_array(X)
        if k > min(X.shape):
            raise ValueError(
                f"n_components={k} exceeds min(n_samples, n_features)={min(X.shape)}; "
                "choose a smaller k"
            )
        if np.all(np.ptp(X, axis=0) == 0):
            raise ValueError(
                "X is constant (every feature takes a single value), so there is no variance "
                "to encode; fit the autoencoder on data whose rows differ"
            )
        return X, k, n_iter


# ------------------------------------------------------------- PCA and subspaces


def pca_components(X: np.ndarray, k: int) -> np.ndarray:
    """The top-k principal directions (k, D): eigenvectors of the covariance with the largest
    eigenvalues (``eigh`` returns them in ascending order, hence the reversal)."""
    Xc = X - X.mean(axis=0)
    # BEGIN SOLUTION 15.2
    # task: the top-k principal directions (k, D), one per row, the largest eigenvalue first
    # hint: np.linalg.eigh(C) sorts eigenvalues in ascending order: reverse its columns, keep k
    values, vectors = np.linalg.eigh(Xc.T @ Xc / len(X))
    return vectors[:, ::-1][:, :k].T
    # END SOLUTION


def pca_mse(X_train: np.ndarray, X_test: np.ndarray, k: int) -> float:
    """Per-pixel test MSE of projecting onto the top-k PCA subspace of the training data."""
    mean, V = X_train.mean(axis=0), pca_components(X_train, k)
    R = (X_test - mean) @ V.T @ V + mean - X_test
    return float(np.mean(R * R))


def orthonormal_basis(A: np.ndarray) -> np.ndarray:
    """An orthonormal basis (D, k) of the column space of A (D, k), by QR."""
    return np.linalg.qr(A)[0]


def largest_principal_angle(A: np.ndarray, B: np.ndarray) -> float:
    """θ_max between span(A) and span(B) (columns), from sin θ_max = ||(I - Q_a Q_aᵀ) Q_b||₂.

    The sine form stays accurate for tiny angles, where arccos of a cosine near 1 would not.
    """
    Qa, Qb = orthonormal_basis(A), orthonormal_basis(B)
    if Qa.shape != Qb.shape:
        raise ValueError(
            f"compare subspaces of the same dimension, got {Qa.shape[1]} and {Qb.shape[1]}"
        )
    sine = np.linalg.norm(Qb - Qa @ (Qa.T @ Qb), ord=2)
    return float(np.arcsin(min(1.0, sine)))


# ------------------------------------------------------------------------------ data


def load_mnist(
    data: str = "auto",
    data_dir=None,
    n_train: int | None = None,
    n_test: int | None = None,
    seed: int = 0,
):
    """MNIST (or the bundled-digits stand-in) as float64 pixels in [0, 1], one image per row.

    Reads the IDX files with stage 10's ``load_mnist_idx`` — the same files torchvision's
    ``MNIST`` reads. ``n_train``/``n_test`` take a seeded random subset.
    Returns ``X_train (n, 784), y_train, X_test, y_test, source``.
    """
    if data not in MNIST_DATA:
        raise ValueError(f"data must be one of {', '.join(MNIST_DATA)}, got {data!r}")
    idx = journey.load_stage("10", "from_scratch/_conv2d_demo.py")
    rng = np.random.default_rng(seed)
    arrays = []
    for train, n in ((True, n_train), (False, n_test)):
        images, labels, source = idx.load_mnist_idx(data_dir, train, MNIST_DATA[data])
        X = images.reshape(-1, 28 * 28) / 255.0
        y = labels.astype(np.int64)
        keep = np.sort(rng.permutation(len(X))[:n]) if n is not None else slice(None)
        arrays += [X[keep], y[keep]]
    return (*arrays, source)


# ------------------------------------------------------------------------------ script


def plot_training(model: LinearAutoencoder, X_train, X_test, k: int):
    """The loss curve against PCA's optimum, and test digits above their reconstructions."""
    plt = journey.plotting.pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    axes[0].plot(model.loss_history_)
    axes[0].axhline(pca_mse(X_train, X_train, k), color="k", ls="--", label="PCA (the optimum)")
    axes[0].set(
        xlabel="gradient-descent step",
        ylabel="train MSE per pixel",
        yscale="log",
        title="Linear autoencoder → PCA's error",
    )
    axes[0].legend()
    images = np.vstack([X_test[:8], model.reconstruct(X_test[:8])]).reshape(2, 8, 28, 28)
    axes[1].imshow(np.block([[*row] for row in images]), cmap="gray")
    axes[1].set(title=f"top: test digits, bottom: linear AE (k={k})", xticks=[], yticks=[])
    return fig


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        parents=[deep_learning_flags(data=MNIST_DATA, device=False)],
    )
    parser.add_argument("--components", type=int, default=2, help="code size k")
    parser.add_argument(
        "--iters", type=int, default=None, help="gradient-descent steps (default 1000; quick 500)"
    )
    args = parser.parse_args()
    quick = journey.is_quick()
    data = "standin" if quick and args.data == "auto" else args.data
    try:
        X_train, y_train, X_test, y_test, source = load_mnist(data, args.data_dir, seed=args.seed)
    except jdata.MissingDatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    print(f"data: {source}, train {X_train.shape}, test {X_test.shape}")

    k = args.components
    model = LinearAutoencoder(k, n_iter=args.iters or (500 if quick else 1000), seed=args.seed)
    model.fit(X_train)
    angle = largest_principal_angle(model.decoder_weight_, pca_components(X_train, k).T)
    print(
        f"step {model.lr_:.4g}; "
        f"train MSE/pixel {model.loss_history_[0]:.5f} → {model.loss_history_[-1]:.5f} "
        f"in {model.n_iter} steps; largest angle to PCA's subspace {angle:.2e} rad"
    )
    parity.at_most(f"linear AE (k={k}) vs PCA: largest principal angle (rad)", angle, 1e-3)
    parity.close(
        f"linear AE vs PCA: test MSE/pixel (k={k})",
        model.reconstruction_error(X_test),
        pca_mse(X_train, X_test, k),
        rtol=1e-4,
    )
    journey.save_figure(plot_training(model, X_train, X_test, k), STAGE, "linear_autoencoder_numpy")


if __name__ == "__main__":
    main()
