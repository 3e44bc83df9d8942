"""Autoencoders in PyTorch: a deep one that beats PCA, and the linear twin of the NumPy model.

An autoencoder is trained to copy its input through a bottleneck of ``latent_dim`` numbers:

    encoder  784 → 256 → 64 → latent_dim        (nn.Linear + ReLU)
    decoder  latent_dim → 64 → 256 → 784        (nn.Linear + ReLU, then a sigmoid: pixels in [0, 1])
    loss     mean squared error per pixel (nn.MSELoss)

With the non-linearities removed, the best it can do is PCA (see the NumPy linear
autoencoder). The ReLUs let the decoder bend its 2-D code into a curved surface in pixel
space, so with the same two numbers per image it reconstructs unseen digits *better* than
PCA's best flat plane. This script measures exactly that, and draws the 2-D codes coloured by
digit — nobody told the network the labels, yet the digits form clusters.
"""

import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

import journey
from journey import parity

D = journey.load_stage("15", "library_impl/_mnist.py")
T = journey.load_stage("15", "library_impl/_training.py")
STAGE = D.STAGE
STEPS, QUICK_STEPS = 2000, 400


class Autoencoder(nn.Module):
    """MLP encoder and decoder with a ``latent_dim`` bottleneck; outputs pixels in [0, 1]."""

    def __init__(self, latent_dim: int = 2, hidden=(256, 64), n_pixels: int = 784):
        super().__init__()
        if latent_dim < 1:
            raise ValueError(f"latent_dim must be ≥ 1, got {latent_dim}")
        h1, h2 = hidden
        encoder_hidden = [nn.Linear(n_pixels, h1), nn.ReLU(), nn.Linear(h1, h2), nn.ReLU()]
        decoder_hidden = [nn.Linear(h2, h1), nn.ReLU()]
        self.encoder = nn.Sequential(*encoder_hidden, nn.Linear(h2, latent_dim))
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, h2),
            nn.ReLU(),
            *decoder_hidden,
            nn.Linear(h1, n_pixels),
            nn.Sigmoid(),
        )

    def forward(self, x):
        return self.decoder(self.encoder(x))


class LinearAutoencoder(nn.Module):
    """x̂ = μ + W_d W_e (x - μ): the PyTorch twin of the NumPy model (same weight shapes and names).

    ``encoder.weight`` is (k, D) and ``decoder.weight`` is (D, k), like the NumPy model's
    ``encoder_weight_`` and ``decoder_weight_``; the training mean is a buffer.
    """

    def __init__(self, n_features: int, n_components: int, dtype=torch.float64):
        super().__init__()
        self.encoder = nn.Linear(n_features, n_components, bias=False, dtype=dtype)
        self.decoder = nn.Linear(n_components, n_features, bias=False, dtype=dtype)
        self.register_buffer("mean", torch.zeros(n_features, dtype=dtype))

    def forward(self, x):
        return self.mean + self.decoder(self.encoder(x - self.mean))


def train_autoencoder(
    model: nn.Module, x_train: torch.Tensor, *, lr: float = 3e-3, device="cpu", x_test=None, **loop
) -> list[dict]:
    """Adam on the per-pixel MSE; returns per-epoch train (and test) MSE and seconds.

    ``loop`` holds ``_training.train_epochs``'s keywords: ``epochs`` and, if wanted,
    ``batch_size`` (128), ``seed`` and ``verbose``.
    """
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)

    def step(xb):
        loss = F.mse_loss(model(xb), xb)
        T.descend(optimizer, loss)
        return {"train_mse": loss.item()}

    def after_epoch(epoch):
        return {} if x_test is None else {"test_mse": reconstruction_mse(model, x_test, device)}

    def describe(row):
        test = f"  test MSE {row['test_mse']:.5f}" if x_test is not None else ""
        return f"train MSE {row['train_mse']:.5f}{test}"

    return T.train_epochs(
        step,
        x_train,
        models=[model],
        device=device,
        after_epoch=after_epoch,
        describe=describe,
        **loop,
    )


@torch.no_grad()
def reconstruction_mse(model: nn.Module, x: torch.Tensor, device="cpu") -> float:
    """Mean squared error per pixel of the model's reconstructions (eval mode)."""
    model.to(device).eval()
    return F.mse_loss(model(x.to(device)), x.to(device)).item()


@torch.no_grad()
def encode(model: Autoencoder, x: torch.Tensor, device="cpu") -> np.ndarray:
    model.to(device).eval()
    return model.encoder(x.to(device)).cpu().numpy()


def pca_baseline(x_train, x_test, k: int):
    """scikit-learn's PCA with k components: its test MSE per pixel and the fitted model."""
    from sklearn.decomposition import PCA

    pca = PCA(n_components=k).fit(np.asarray(x_train, dtype=np.float64))
    recon = pca.inverse_transform(pca.transform(np.asarray(x_test, dtype=np.float64)))
    return float(np.mean((recon - np.asarray(x_test, dtype=np.float64)) ** 2)), pca


def plot_reconstructions(x_test, ae_recon, pca_recon, n: int = 10):
    plt = journey.plotting.pyplot()
    grid = D.image_grid(np.vstack([x_test[:n], pca_recon[:n], ae_recon[:n]]), 3, n)
    fig, ax = plt.subplots(figsize=(n * 0.9, 3.2))
    ax.imshow(grid, cmap="gray", vmin=0, vmax=1)
    ax.set_yticks([14, 42, 70], ["original", "PCA", "autoencoder"])
    ax.set_xticks([])
    ax.set_title("Test digits and their reconstructions from the same number of latent values")
    return fig


def plot_curves(history: list[dict], pca_mse: float, k: int):
    plt = journey.plotting.pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot([h["epoch"] for h in history], [h["train_mse"] for h in history], label="train")
    ax.plot([h["epoch"] for h in history], [h["test_mse"] for h in history], label="test")
    ax.axhline(pca_mse, color="k", ls="--", label=f"PCA, k={k} (test)")
    ax.set(xlabel="epoch", ylabel="MSE per pixel", yscale="log", title="Autoencoder training")
    ax.legend()
    return fig


def save_figures(model: Autoencoder, history, pca, pca_mse: float, x_test, y_test, source: str):
    """Reconstructions beside PCA's, the loss curves and (for a 2-D code) the latent scatter."""
    with torch.no_grad():
        ae_recon = model.cpu()(x_test[:10]).numpy()
    pca_recon = pca.inverse_transform(pca.transform(x_test[:10].numpy().astype(np.float64)))
    journey.save_figure(
        plot_reconstructions(x_test.numpy(), ae_recon, pca_recon), STAGE, "ae_reconstructions"
    )
    journey.save_figure(plot_curves(history, pca_mse, pca.n_components_), STAGE, "ae_loss_curves")
    if pca.n_components_ == 2:
        title = f"Autoencoder codes of the test digits ({source})"
        fig = D.latent_scatter(encode(model, x_test), y_test.numpy(), title)
        journey.save_figure(fig, STAGE, "ae_latent_scatter")


def main() -> None:
    parser = D.script_parser(
        __doc__.split("\n\n")[0], steps=STEPS, steps_quick=QUICK_STEPS, batch_size=128
    )
    parser.add_argument(
        "--latent-dim", type=int, default=2, help="bottleneck size (2 gives the latent scatter)"
    )
    args, (x_train, _, x_test, y_test, source), loop = D.parse_and_load(
        parser, steps=STEPS, steps_quick=QUICK_STEPS
    )

    model = Autoencoder(args.latent_dim)
    start = time.perf_counter()
    history = train_autoencoder(model, x_train, x_test=x_test, **loop)
    seconds = time.perf_counter() - start
    ae_mse = reconstruction_mse(model, x_test, loop["device"])
    pca_mse, pca = pca_baseline(x_train, x_test, args.latent_dim)
    print(
        f"test MSE per pixel: autoencoder {ae_mse:.5f}, PCA {pca_mse:.5f} "
        f"(k = {args.latent_dim}; {seconds:.1f} s of training)"
    )
    parity.at_most(
        f"autoencoder test MSE below PCA's (k={args.latent_dim}, {source})",
        ae_mse,
        pca_mse,
        side="library",
    )

    path = journey.stage_output_dir(STAGE) / "autoencoder.pt"
    torch.save(model.state_dict(), path)
    save_figures(model, history, pca, pca_mse, x_test, y_test, source)
    print(f"weights saved: {path}")


if __name__ == "__main__":
    main()
