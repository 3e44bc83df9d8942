"""The losses of generative models in NumPy: the VAE's ELBO and the GAN's two players.

VAE. The encoder maps x to a Gaussian q(z|x) = N(μ, diag σ²) (it outputs μ and log σ²), the
decoder maps a code z to Bernoulli pixel probabilities sigmoid(ℓ) (it outputs logits ℓ).
The evidence lower bound on log p(x), for one image:

    ELBO(x) = E_q[log p(x|z)] - KL(q(z|x) || N(0, I))

    reconstruction:  log p(x|z) = Σ_j [x_j log σ(ℓ_j) + (1 - x_j) log(1 - σ(ℓ_j))]
                                = -Σ_j [softplus(ℓ_j) - x_j ℓ_j]          (stable form)
    KL, closed form: KL = -½ Σ_d (1 + log σ_d² - μ_d² - σ_d²)

The expectation is estimated with one sample drawn by the *reparameterisation trick*
z = μ + σ·ε, ε ~ N(0, I): the randomness sits in ε, so z is a differentiable function of
(μ, σ) and gradients flow through the sampling step.

GAN. A discriminator D outputs a logit s (D(x) = σ(s) = "probability x is real"); a
generator G maps noise to images. With BCE(s, t) = softplus(s) - t·s:

    discriminator:  L_D = mean BCE(s_real, 1) + mean BCE(s_fake, 0)
    generator, minimax (saturating):   L_G = mean log(1 - σ(s_fake)) = -mean softplus(s_fake)
    generator, non-saturating:         L_G = mean BCE(s_fake, 1)     =  mean softplus(-s_fake)

Both generator losses want s_fake large. Early in training D rejects fakes easily (s_fake ≪ 0),
where ∂/∂s of the minimax loss, -σ(s), vanishes while the non-saturating one, -(1 - σ(s)), stays
near -1: the generator still gets a learning signal. That is why everyone uses the second.
"""

import argparse

import numpy as np

import journey
from journey import parity
from journey.cli import deep_learning_flags

STAGE = "15_generative"

# σ(x) = 1/(1 + e^{-x}), the overflow-free one written in stage 02.
sigmoid = journey.load_stage("02", "from_scratch/logistic_regression_numpy.py").sigmoid


def softplus(x: np.ndarray) -> np.ndarray:
    """log(1 + eˣ) without overflow: max(x, 0) + log1p(e^{-|x|})."""
    x = np.asarray(x, dtype=np.float64)
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def bce_with_logits(logits, targets) -> np.ndarray:
    """Element-wise binary cross-entropy -[t log σ(s) + (1-t) log(1-σ(s))] = softplus(s) - t·s."""
    logits, targets = np.asarray(logits, dtype=np.float64), np.asarray(targets, dtype=np.float64)
    if logits.shape != targets.shape:
        raise ValueError(
            f"logits {logits.shape} and targets {targets.shape} must have the same shape"
        )
    # BEGIN SOLUTION 15.3
    # task: the Bernoulli negative log-likelihood of a target t under the logit s, overflow-free
    # hint: -[t log σ(s) + (1 - t) log(1 - σ(s))] simplifies to softplus(s) - t·s
    return softplus(logits) - targets * logits
    # END SOLUTION


# ------------------------------------------------------------------------------- VAE


def _check_latent(mu, logvar):
    mu, logvar = np.asarray(mu, dtype=np.float64), np.asarray(logvar, dtype=np.float64)
    if mu.shape != logvar.shape or mu.ndim != 2:
        raise ValueError(
            f"mu and logvar must both be (n, latent_dim), got {mu.shape} and {logvar.shape}"
        )
    return mu, logvar


def gaussian_kl(mu, logvar) -> np.ndarray:
    """KL(N(μ, σ²) || N(0, I)) per sample, in nats: -½ Σ_d (1 + log σ² - μ² - σ²)."""
    mu, logvar = _check_latent(mu, logvar)
    # BEGIN SOLUTION 15.4
    # task: the closed-form KL(N(μ, σ²) || N(0, I)) of each row, from μ and log σ²
    # hint: -½ Σ_d (1 + log σ² - μ² - σ²) with σ² = exp(log σ²); sum over axis=1
    return -0.5 * np.sum(1.0 + logvar - mu**2 - np.exp(logvar), axis=1)
    # END SOLUTION


def bernoulli_nll(x, logits) -> np.ndarray:
    """-log p(x|z) per sample, Bernoulli pixels: Σ_j BCE(ℓ_j, x_j) (x in [0, 1])."""
    x = np.asarray(x, dtype=np.float64)
    if not np.all((x >= 0) & (x <= 1)):  # written this way round, NaN fails too
        raise ValueError(
            "x must hold pixel intensities in [0, 1] for a Bernoulli likelihood; divide by 255"
        )
    nll = bce_with_logits(logits, x)
    return nll.reshape(len(nll), -1).sum(axis=1)


def reparameterise(mu, logvar, eps) -> np.ndarray:
    """z = μ + σ·ε with σ = exp(½ log σ²): a sample of N(μ, σ²) that is differentiable in (μ, σ)."""
    mu, logvar = _check_latent(mu, logvar)
    eps = np.asarray(eps, dtype=np.float64)
    if eps.shape != mu.shape:
        raise ValueError(
            f"eps must have mu's shape {mu.shape} (one draw per code), got {eps.shape}"
        )
    # BEGIN SOLUTION 15.5
    # task: the reparameterised sample z = μ + σ·ε from μ, log σ² and the noise ε
    # hint: σ = exp(½ log σ²), the standard deviation (not the variance)
    return mu + np.exp(0.5 * logvar) * eps
    # END SOLUTION


def elbo(x, logits, mu, logvar) -> dict:
    """Mean ELBO over a batch and its two terms (nats per image): elbo = -reconstruction - kl."""
    _check_one_code_per_image(x, mu)
    reconstruction, kl = bernoulli_nll(x, logits).mean(), gaussian_kl(mu, logvar).mean()
    return {"elbo": -reconstruction - kl, "reconstruction": reconstruction, "kl": kl}


# ------------------------------------------------------------------------------- GAN


def discriminator_loss(real_logits, fake_logits) -> float:
    """mean BCE(s_real, 1) + mean BCE(s_fake, 0)."""
    real_logits = _check_logits(real_logits, "real_logits")
    fake_logits = _check_logits(fake_logits, "fake_logits")
    if real_logits.shape != fake_logits.shape:
        raise ValueError(
            f"real_logits {real_logits.shape} and fake_logits {fake_logits.shape} must have the "
            "same shape: score one batch of generated images per batch of real ones"
        )
    # BEGIN SOLUTION 15.6
    # task: the discriminator's loss: real images labelled 1, generated ones labelled 0
    # hint: mean of bce_with_logits(s_real, 1) + mean of bce_with_logits(s_fake, 0)
    return float(
        bce_with_logits(real_logits, np.ones_like(real_logits)).mean()
        + bce_with_logits(fake_logits, np.zeros_like(fake_logits)).mean()
    )
    # END SOLUTION


def generator_loss(fake_logits, *, saturating: bool = False) -> float:
    """Non-saturating mean BCE(s_fake, 1) (default), or the minimax mean log(1 - σ(s_fake))."""
    fake_logits = _check_logits(fake_logits, "fake_logits")
    # BEGIN SOLUTION 15.7
    # task: the generator's loss, non-saturating by default, minimax when saturating=True
    # hint: non-saturating: mean bce_with_logits(s_fake, 1); minimax: mean log(1 - σ(s)) = -softplus
    if saturating:
        return float(-softplus(fake_logits).mean())
    return float(bce_with_logits(fake_logits, np.ones_like(fake_logits)).mean())
    # END SOLUTION


def generator_loss_grad(fake_logits, *, saturating: bool = False) -> np.ndarray:
    """∂L_G/∂s_i of the mean loss over n logits.

    Minimax: -σ(s_i)/n, which vanishes for s ≪ 0. Non-saturating: -σ(-s_i)/n, near -1/n there.
    """
    s = _check_logits(fake_logits, "fake_logits")
    return (-sigmoid(s) if saturating else -sigmoid(-s)) / s.size


# ------------------------------------------------------------------------ shape checks


def _check_one_code_per_image(x, mu) -> None:
    x, mu = np.asarray(x), np.asarray(mu)
    if x.ndim < 2 or mu.ndim != 2 or len(x) != len(mu):
        raise ValueError(
            f"x {x.shape} must hold n images, one per row, and mu/logvar {mu.shape} one "
            "latent code per image, (n, latent_dim); encode the same batch you decode"
        )


def _check_logits(logits, name: str) -> np.ndarray:
    logits = np.asarray(logits, dtype=np.float64)
    if logits.ndim != 1 or logits.size == 0:
        raise ValueError(
            f"{name} must be 1-D, one discriminator logit per image, got shape {logits.shape}; "
            "squeeze a (n, 1) output to (n,)"
        )
    return logits


def check_kl_by_monte_carlo(rng: np.random.Generator, m: int) -> None:
    """The closed-form KL against E_q[log q(z) - log p(z)], z drawn by reparameterisation."""
    mu, logvar = rng.normal(0, 1, (1, 4)), rng.normal(0, 0.5, (1, 4))
    z = reparameterise(np.repeat(mu, m, 0), np.repeat(logvar, m, 0), rng.standard_normal((m, 4)))
    log_q = -0.5 * np.sum(logvar + (z - mu) ** 2 / np.exp(logvar), axis=1)
    log_p = -0.5 * np.sum(z**2, axis=1)  # the shared -½ log 2π terms cancel
    kl_mc, kl_se = np.mean(log_q - log_p), np.std(log_q - log_p) / np.sqrt(m)
    kl = gaussian_kl(mu, logvar)[0]
    print(f"KL closed form {kl:.5f}, Monte Carlo {kl_mc:.5f} ± {kl_se:.5f} ({m} samples)")
    parity.at_most(
        "KL: |closed form - Monte Carlo| in Monte Carlo standard errors",
        abs(kl - kl_mc) / kl_se,
        4.0,
    )


def check_stable_bce(rng: np.random.Generator) -> None:
    """The softplus form against the naive formula where the naive one is still accurate."""
    s = np.linspace(-10, 10, 401)
    x = rng.uniform(0, 1, s.shape)
    naive = -(x * np.log(1 / (1 + np.exp(-s))) + (1 - x) * np.log(1 - 1 / (1 + np.exp(-s))))
    parity.close(
        "BCE: softplus form vs naive log-sigmoid form (|s| ≤ 10)",
        bce_with_logits(s, x),
        naive,
        rtol=1e-8,
    )


def show_saturation():
    """The generator's gradient where the discriminator rejects its samples (s ≪ 0)."""
    rejected = np.array([-6.0])
    minimax = generator_loss_grad(rejected, saturating=True)[0]
    non_saturating = generator_loss_grad(rejected)[0]
    print(
        f"at s_fake = -6 (D(G(z)) ≈ {sigmoid(-6.0):.4f}): ∂L/∂s minimax {minimax:.4f}, "
        f"non-saturating {non_saturating:.4f}"
    )
    parity.at_least(
        "non-saturating / minimax gradient ratio at s_fake = -6", non_saturating / minimax, 100.0
    )
    s_fake = np.linspace(-8, 4, 200)
    per_logit = s_fake.size  # generator_loss_grad is of the mean loss: undo the 1/n
    fig, ax = journey.plotting.pyplot().subplots(figsize=(6, 4))
    minimax_curve = -generator_loss_grad(s_fake, saturating=True) * per_logit
    ax.plot(sigmoid(s_fake), minimax_curve, label="minimax: log(1 − D(G(z)))")
    non_saturating_curve = -generator_loss_grad(s_fake) * per_logit
    ax.plot(sigmoid(s_fake), non_saturating_curve, label="non-saturating: −log D(G(z))")
    ax.set(
        xscale="log",
        xlabel="D(G(z)) — how real the discriminator finds a fake",
        ylabel="|∂L_G/∂logit|",
        title="Why GANs use the non-saturating generator loss",
    )
    ax.legend()
    return fig


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], parents=[deep_learning_flags(device=False)]
    )
    parser.add_argument(
        "--samples", type=int, default=None, help="Monte Carlo samples (default 400k; quick 100k)"
    )
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    check_kl_by_monte_carlo(rng, args.samples or (100_000 if journey.is_quick() else 400_000))
    check_stable_bce(rng)
    journey.save_figure(show_saturation(), STAGE, "gan_generator_gradients")


if __name__ == "__main__":
    main()
