"""A variational autoencoder (VAE) in PyTorch: an autoencoder whose codes you can sample.

The encoder outputs a Gaussian over codes instead of a single code; the decoder outputs
Bernoulli pixel logits:

    encoder  x → 256 → 128 → (μ, log σ²)        each of size latent_dim
    sample   z = μ + σ·ε,  ε ~ N(0, I)            the reparameterisation trick
    decoder  z → 128 → 256 → 784 logits ℓ         p(x|z) = Bernoulli(sigmoid(ℓ))

Training maximises the ELBO = E_q[log p(x|z)] − KL(q(z|x) || N(0, I)) (nats per image), i.e.
minimises reconstruction (binary cross-entropy summed over pixels) + the closed-form KL.
The KL term pulls every image's code distribution towards N(0, I), which is what makes the
code space *dense*: decode z ~ N(0, I) and you get a digit (samples), walk a straight line
between two codes and every point on it decodes to something digit-like (interpolation).

The NumPy versions of the two ELBO terms live in ``from_scratch/generative_losses_numpy.py``;
the notebook checks they equal PyTorch's to 1e-10 on the same float64 tensors.
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


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(μ, σ²) || N(0, I)) per image: -½ Σ (1 + log σ² − μ² − σ²)."""
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=1)


def bernoulli_nll(x: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """-log p(x|z) per image: binary cross-entropy with logits, summed over pixels."""
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(dim=1)


def elbo_terms(x, logits, mu, logvar) -> dict:
    """Batch means, in nats per image: elbo = −reconstruction − kl."""
    reconstruction, kl = bernoulli_nll(x, logits).mean(), gaussian_kl(mu, logvar).mean()
    return {"elbo": -(reconstruction + kl), "reconstruction": reconstruction, "kl": kl}


class VAE(nn.Module):
    """MLP encoder to (μ, log σ²), reparameterised sample, MLP decoder to Bernoulli logits."""

    def __init__(self, latent_dim: int = 2, hidden=(256, 128), n_pixels: int = 784):
        super().__init__()
        if latent_dim < 1:
            raise ValueError(f"latent_dim must be ≥ 1, got {latent_dim}")
        h1, h2 = hidden
        self.latent_dim = latent_dim
        self.encoder = nn.Sequential(
            nn.Linear(n_pixels, h1), nn.ReLU(), nn.Linear(h1, h2), nn.ReLU()
        )
        self.mu = nn.Linear(h2, latent_dim)
        self.logvar = nn.Linear(h2, latent_dim)
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, h2),
            nn.ReLU(),
            nn.Linear(h2, h1),
            nn.ReLU(),
            nn.Linear(h1, n_pixels),
        )

    def encode(self, x):
        h = self.encoder(x)
        return self.mu(h), self.logvar(h)

    def forward(self, x, eps=None):
        """Logits, μ and log σ² for a batch; ``eps`` (shaped like μ) fixes the noise, else drawn."""
        mu, logvar = self.encode(x)
        if eps is None:
            eps = torch.randn_like(mu)
        z = mu + torch.exp(0.5 * logvar) * eps
        return self.decoder(z), mu, logvar

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n images decoded from z ~ N(0, I): pixel probabilities sigmoid(ℓ)."""
        device = next(self.parameters()).device
        z = torch.randn(n, self.latent_dim, generator=generator).to(device)
        return torch.sigmoid(self.decoder(z))


@torch.no_grad()
def evaluate_elbo(model: VAE, x: torch.Tensor, seed: int = 0, device="cpu") -> dict:
    """Test-set ELBO and its terms (nats per image); fixed noise, so repeated calls agree."""
    model.to(device).eval()
    g = torch.Generator().manual_seed(seed)
    eps = torch.randn(len(x), model.latent_dim, generator=g).to(device)
    terms = elbo_terms(x.to(device), *model(x.to(device), eps))
    return {k: v.item() for k, v in terms.items()}


def train_vae(
    model: VAE, x_train, *, lr: float = 1e-3, seed: int = 0, device="cpu", x_test=None, **loop
) -> list[dict]:
    """Adam on −ELBO; per epoch: train ELBO, reconstruction, KL, (test ELBO) and seconds.

    ``seed`` fixes the batch order, the training noise and the test ELBO's noise; ``loop``
    holds ``_training.train_epochs``'s other keywords: ``epochs``, ``batch_size`` (128) and
    ``verbose``.
    """
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)

    def step(xb):
        terms = elbo_terms(xb, *model(xb))
        T.descend(optimizer, -terms["elbo"])
        return {name: value.item() for name, value in terms.items()}

    def after_epoch(epoch):
        if x_test is None:
            return {}
        return {"test_elbo": evaluate_elbo(model, x_test, seed, device)["elbo"]}

    def describe(row):
        test = f"  test ELBO {row['test_elbo']:.1f}" if x_test is not None else ""
        return (
            f"ELBO {row['elbo']:.1f} = −recon {row['reconstruction']:.1f} − KL {row['kl']:.2f}"
            + test
        )

    return T.train_epochs(
        step,
        x_train,
        models=[model],
        seed=seed,
        device=device,
        after_epoch=after_epoch,
        describe=describe,
        **loop,
    )


@torch.no_grad()
def interpolate(model: VAE, x_a: torch.Tensor, x_b: torch.Tensor, steps: int = 10) -> torch.Tensor:
    """Decode the straight line between two images' codes (means μ): (steps, 784) probabilities."""
    model.eval()
    mu_a, _ = model.encode(x_a[None])
    mu_b, _ = model.encode(x_b[None])
    t = torch.linspace(0, 1, steps, device=mu_a.device)[:, None]
    return torch.sigmoid(model.decoder((1 - t) * mu_a + t * mu_b))


def plot_samples_and_interpolations(model: VAE, x_test, y_test, seed: int = 0):
    """Top: 4×10 samples from the prior. Bottom: three interpolations between test digits."""
    plt = journey.plotting.pyplot()
    model.cpu().eval()
    samples = model.sample(40, torch.Generator().manual_seed(seed)).numpy()
    pairs = [
        (int(torch.nonzero(y_test == a)[0]), int(torch.nonzero(y_test == b)[0]))
        for a, b in ((0, 6), (1, 7), (3, 8))
    ]
    lines = np.vstack([interpolate(model, x_test[i], x_test[j]).numpy() for i, j in pairs])
    fig, axes = plt.subplots(2, 1, figsize=(9, 7.5), gridspec_kw={"height_ratios": [4, 3]})
    axes[0].imshow(D.image_grid(samples, 4, 10), cmap="gray", vmin=0, vmax=1)
    axes[0].set_title("VAE samples: decode z ~ N(0, I)")
    axes[1].imshow(D.image_grid(lines, 3, 10), cmap="gray", vmin=0, vmax=1)
    axes[1].set_title("Latent interpolation: 0 → 6, 1 → 7, 3 → 8 (straight lines between codes)")
    for ax in axes:
        ax.set(xticks=[], yticks=[])
    return fig


def plot_curves(history: list[dict], init_elbo: float):
    plt = journey.plotting.pyplot()
    epochs = [h["epoch"] for h in history]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    axes[0].plot(epochs, [h["elbo"] for h in history], label="train ELBO")
    axes[0].plot(epochs, [h["test_elbo"] for h in history], label="test ELBO")
    axes[0].axhline(init_elbo, color="k", ls="--", label="test ELBO at initialisation")
    axes[0].set(xlabel="epoch", ylabel="nats per image", title="ELBO (higher is better)")
    axes[0].legend()
    axes[1].plot(epochs, [h["reconstruction"] for h in history], label="reconstruction −log p(x|z)")
    axes[1].plot(epochs, [h["kl"] for h in history], label="KL(q(z|x) || N(0, I))")
    axes[1].set(
        xlabel="epoch", ylabel="nats per image", yscale="log", title="The two terms (train)"
    )
    axes[1].legend()
    fig.tight_layout()
    return fig


def save_figures(model: VAE, history, init_elbo: float, x_test, y_test, source: str, seed: int):
    """Samples and interpolations, the loss curves and (for a 2-D code) the latent scatter."""
    journey.save_figure(
        plot_samples_and_interpolations(model, x_test, y_test, seed), STAGE, "vae_samples"
    )
    journey.save_figure(plot_curves(history, init_elbo), STAGE, "vae_loss_curves")
    if model.latent_dim == 2:
        with torch.no_grad():
            mu, _ = model.cpu().eval().encode(x_test)
        title = f"VAE code means of the test digits ({source})"
        fig = D.latent_scatter(mu.numpy(), y_test.numpy(), title, names=("μ₁", "μ₂"))
        journey.save_figure(fig, STAGE, "vae_latent_scatter")


ELBO_MARGIN = 100.0  # nats per image the trained VAE must gain over its initialisation (test set)
CODE_MARGIN = 5.0  # nats per image it must beat the best model that ignores the code


def independent_pixels_loglik(x_train: torch.Tensor, x_test: torch.Tensor) -> float:
    """Mean log-likelihood of x_test under independent Bernoulli pixels with the training means.

    This is the best a VAE can do when its decoder ignores z ("posterior collapse": KL = 0,
    every image decoded to the mean image), so a VAE that uses its code must beat it.
    """
    p = x_train.mean(0).clamp(1e-4, 1 - 1e-4)
    return (
        -F.binary_cross_entropy(p.expand_as(x_test), x_test, reduction="none").sum(1).mean().item()
    )


def main() -> None:
    parser = D.script_parser(__doc__.split("\n\n")[0], steps=STEPS, steps_quick=QUICK_STEPS)
    parser.add_argument(
        "--latent-dim", type=int, default=2, help="code size (2 gives the latent scatter)"
    )
    args, (x_train, _, x_test, y_test, source), loop = D.parse_and_load(
        parser, steps=STEPS, steps_quick=QUICK_STEPS
    )

    model = VAE(args.latent_dim)
    init = evaluate_elbo(model, x_test, args.seed, loop["device"])
    start = time.perf_counter()
    history = train_vae(model, x_train, x_test=x_test, **loop)
    final = evaluate_elbo(model, x_test, args.seed, loop["device"])
    print(
        f"test ELBO {init['elbo']:.1f} at initialisation → {final['elbo']:.1f} after training "
        f"(reconstruction {final['reconstruction']:.1f}, KL {final['kl']:.2f}; "
        f"{time.perf_counter() - start:.1f} s)"
    )
    baseline = independent_pixels_loglik(x_train, x_test)
    print(f"independent-pixel baseline (a VAE ignoring its code): {baseline:.1f} nats/image")
    parity.at_least(
        f"VAE test ELBO gain over initialisation, nats/image ({source})",
        final["elbo"] - init["elbo"],
        ELBO_MARGIN,
        side="library",
    )
    parity.at_least(
        f"VAE test ELBO minus independent-pixel log-likelihood, nats/image ({source})",
        final["elbo"] - baseline,
        CODE_MARGIN,
        side="library",
    )

    torch.save(model.state_dict(), journey.stage_output_dir(STAGE) / "vae.pt")
    save_figures(model, history, init["elbo"], x_test, y_test, source, args.seed)


if __name__ == "__main__":
    main()
