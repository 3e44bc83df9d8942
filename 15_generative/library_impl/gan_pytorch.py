"""A generative adversarial network (GAN) in PyTorch: two MLPs playing a game on MNIST.

    generator      z ~ N(0, I) (64) → 256 → 512 → 784, sigmoid      makes images from noise
    discriminator  784 → 512 → 256 → 1 logit                        "is this image real?"

Each step, the discriminator D takes one gradient step on
    L_D = BCE(D(real), 1) + BCE(D(G(z)), 0)
and the generator G one step on the *non-saturating* loss
    L_G = BCE(D(G(z)), 1) = −log D(G(z))
instead of the minimax log(1 − D(G(z))), whose gradient vanishes exactly when G is bad and D
wins easily (see ``from_scratch/generative_losses_numpy.py``). Adam with lr 2e-4 and β₁ = 0.5,
LeakyReLU activations — the usual recipe that keeps the game from blowing up.

A GAN has no likelihood to report, so we judge the samples with an independent judge: the
stage-11 MNIST classifier. Over 1,000 samples, its predicted classes should cover all ten
digits (a generator that collapsed onto a few modes would not), and its mean top-class
confidence says how digit-like they look. That needs a GAN trained long enough (the full
run); the quick run checks something cheaper but still real: that the samples moved from
noise towards the data (their mean image and pixel histogram).
"""

import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

import journey
from journey import parity
from journey.data import MNIST_MEAN, MNIST_STD

D = journey.load_stage("15", "library_impl/_mnist.py")
T = journey.load_stage("15", "library_impl/_training.py")
STAGE = D.STAGE
NOISE_DIM = 64


class Generator(nn.Module):
    def __init__(self, noise_dim: int = NOISE_DIM, hidden=(256, 512), n_pixels: int = 784):
        super().__init__()
        h1, h2 = hidden
        self.noise_dim = noise_dim
        self.net = nn.Sequential(
            nn.Linear(noise_dim, h1),
            nn.LeakyReLU(0.2),
            nn.Linear(h1, h2),
            nn.LeakyReLU(0.2),
            nn.Linear(h2, n_pixels),
            nn.Sigmoid(),
        )

    def forward(self, z):
        return self.net(z)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        device = next(self.parameters()).device
        return self(torch.randn(n, self.noise_dim, generator=generator).to(device))


class Discriminator(nn.Module):
    def __init__(self, hidden=(512, 256), n_pixels: int = 784):
        super().__init__()
        h1, h2 = hidden
        self.net = nn.Sequential(
            nn.Linear(n_pixels, h1),
            nn.LeakyReLU(0.2),
            nn.Linear(h1, h2),
            nn.LeakyReLU(0.2),
            nn.Linear(h2, 1),
        )

    def forward(self, x):
        return self.net(x).squeeze(1)


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """BCE(real, 1) + BCE(fake, 0), each averaged over its batch."""
    return F.binary_cross_entropy_with_logits(
        real_logits, torch.ones_like(real_logits)
    ) + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))


def generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating: BCE(fake, 1) = mean −log D(G(z))."""
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


def train_gan(
    G: Generator,
    Dis: Discriminator,
    x_train: torch.Tensor,
    *,
    batch_size: int = 64,
    lr: float = 2e-4,
    seed: int = 0,
    device="cpu",
    snapshot_epochs=(),
    n_snapshot: int = 10,
    **loop,
):
    """Alternate one D step and one G step per batch. Returns (history, snapshots).

    ``snapshots[epoch]`` holds the generator's images for one fixed noise batch after that
    epoch (epoch 0 = before training), so the figure shows the same z's evolving. ``loop``
    holds ``_training.train_epochs``'s other keywords: ``epochs`` and ``verbose``.
    """
    G.to(device)
    Dis.to(device)
    opt_g = torch.optim.Adam(G.parameters(), lr=lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(Dis.parameters(), lr=lr, betas=(0.5, 0.999))
    fixed_z = torch.randn(
        n_snapshot, G.noise_dim, generator=torch.Generator().manual_seed(seed + 1)
    ).to(device)
    snapshots = {0: _images(G, fixed_z)} if 0 in snapshot_epochs else {}

    def after_epoch(epoch):
        if epoch in snapshot_epochs:
            snapshots[epoch] = _images(G, fixed_z)
        return {}

    history = T.train_epochs(
        lambda real: adversarial_step(G, Dis, opt_g, opt_d, real),
        x_train,
        models=[G, Dis],
        batch_size=batch_size,
        seed=seed,
        device=device,
        after_epoch=after_epoch,
        describe=_describe_epoch,
        **loop,
    )
    return history, snapshots


def adversarial_step(G, Dis, opt_g, opt_d, real: torch.Tensor) -> dict:
    """One D step on L_D, then one G step on the non-saturating L_G, for one batch of reals.

    The fakes are detached for D's step (D's loss must not move G) and scored again by the
    updated D for G's step.
    """
    fake = G(torch.randn(len(real), G.noise_dim, device=real.device))
    real_logits, fake_logits = Dis(real), Dis(fake.detach())
    loss_d = discriminator_loss(real_logits, fake_logits)
    T.descend(opt_d, loss_d)
    loss_g = generator_loss(Dis(fake))
    T.descend(opt_g, loss_g)
    return {
        "loss_d": loss_d.item(),
        "loss_g": loss_g.item(),
        "d_real": torch.sigmoid(real_logits).mean().item(),
        "d_fake": torch.sigmoid(fake_logits).mean().item(),
    }


def _describe_epoch(row: dict) -> str:
    return (
        f"L_D {row['loss_d']:.3f}  L_G {row['loss_g']:.3f}  "
        f"D(real) {row['d_real']:.2f}  D(fake) {row['d_fake']:.2f}"
    )


@torch.no_grad()
def _images(G: Generator, z: torch.Tensor) -> np.ndarray:
    G.eval()
    return G(z).cpu().numpy()


@torch.no_grad()
def classify_samples(images: torch.Tensor, classifier: nn.Module, batch_size: int = 500):
    """The classifier's predicted digit and top-class probability for (N, 784) images in [0, 1].

    Images get the classifier's own preprocessing: shape (N, 1, 28, 28), (x − mean)/std.
    """
    classifier.eval()
    device = next(classifier.parameters()).device
    preds, confidences = [], []
    for chunk in torch.split(images, batch_size):
        x = ((chunk.reshape(-1, 1, 28, 28) - MNIST_MEAN) / MNIST_STD).to(device)
        probs = torch.softmax(classifier(x), dim=1).cpu()
        confidence, pred = probs.max(dim=1)
        preds.append(pred)
        confidences.append(confidence)
    return torch.cat(preds).numpy(), torch.cat(confidences).numpy()


def coverage(preds: np.ndarray, confidences: np.ndarray, n_classes: int = 10) -> dict:
    """Digit classes covered, the count per class and the mean top-class confidence."""
    counts = np.bincount(preds, minlength=n_classes)
    return {
        "classes_covered": int(np.count_nonzero(counts)),
        "counts": counts.tolist(),
        "mean_confidence": float(np.mean(confidences)),
    }


def distance_to_data(images: torch.Tensor, x_data: torch.Tensor) -> dict:
    """Two cheap statistics of how far samples are from the data (0 = identical):

    ``mean_image``: RMS difference between the mean sample and the mean data image;
    ``histogram``: total-variation distance between the pixel-intensity histograms (20 bins).
    """
    bins = torch.linspace(0, 1, 21)
    h_s = torch.histogram(images.flatten().double(), bins.double())[0]
    h_d = torch.histogram(x_data.flatten().double(), bins.double())[0]
    return {
        "mean_image": (images.mean(0) - x_data.mean(0)).pow(2).mean().sqrt().item(),
        "histogram": 0.5 * (h_s / h_s.sum() - h_d / h_d.sum()).abs().sum().item(),
    }


def stage11_classifier(quick: bool):
    """The stage-11 MNIST CNN that judges the samples, its metadata and its folder.

    The fully trained model whenever its artefacts exist (the better judge, quick run or not);
    otherwise the one ``ensure_trained(quick)`` finds or trains (quick: one epoch, stand-in).
    """
    cnn = journey.load_stage("11", "library_impl/mnist_cnn_pytorch.py")
    full = cnn.artefact_dir(quick=False)
    out_dir = full if cnn.artefacts_exist(full) else cnn.ensure_trained(quick=quick)
    return cnn.load_trained(out_dir), cnn.load_metadata(out_dir), out_dir


def describe_judge(meta: dict, out_dir) -> str:
    """One line naming the classifier that judges the samples: where, trained how, how good."""
    return (
        f"judge: the stage-11 CNN in {out_dir} ({meta['epochs']} epoch(s) on "
        f"{meta['data_source']}, test accuracy {meta['test_accuracy']:.3f})"
    )


def plot_snapshots(snapshots: dict):
    plt = journey.plotting.pyplot()
    epochs = sorted(snapshots)
    grid = D.image_grid(
        np.vstack([snapshots[e] for e in epochs]), len(epochs), len(snapshots[epochs[0]])
    )
    fig, ax = plt.subplots(figsize=(9, 1.0 * len(epochs) + 0.6))
    ax.imshow(grid, cmap="gray", vmin=0, vmax=1)
    ax.set_yticks([14 + 28 * i for i in range(len(epochs))], [f"epoch {e}" for e in epochs])
    ax.set_xticks([])
    ax.set_title("GAN samples for ten fixed noise vectors as training goes on")
    return fig


def plot_curves(history: list[dict]):
    plt = journey.plotting.pyplot()
    epochs = [h["epoch"] for h in history]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    axes[0].plot(epochs, [h["loss_d"] for h in history], label="discriminator L_D")
    axes[0].plot(epochs, [h["loss_g"] for h in history], label="generator L_G (non-saturating)")
    axes[0].set(
        xlabel="epoch",
        ylabel="loss (mean over the epoch)",
        title="GAN losses: a game, not a descent",
    )
    axes[0].legend()
    axes[1].plot(epochs, [h["d_real"] for h in history], label="D(real)")
    axes[1].plot(epochs, [h["d_fake"] for h in history], label="D(G(z))")
    axes[1].axhline(0.5, color="k", ls=":", lw=1)
    axes[1].set(xlabel="epoch", ylabel="discriminator's probability 'real'", ylim=(0, 1))
    axes[1].legend()
    fig.tight_layout()
    return fig


N_EVAL = 1000
FULL_STEPS, QUICK_STEPS = 8000, 600


def report_distance_to_data(before: dict, after: dict) -> None:
    """Samples after training must sit at most half as far from the data as before it."""
    print(
        f"distance to the data, before → after training: mean image {before['mean_image']:.4f} → "
        f"{after['mean_image']:.4f}, "
        f"pixel histogram {before['histogram']:.3f} → {after['histogram']:.3f}"
    )
    parity.at_most(
        "GAN mean-image distance to the data, trained / untrained",
        after["mean_image"] / before["mean_image"],
        0.5,
        side="library",
    )
    parity.at_most(
        "GAN pixel-histogram distance to the data, trained / untrained",
        after["histogram"] / before["histogram"],
        0.5,
        side="library",
    )


def report_digit_coverage(samples: torch.Tensor, quick: bool) -> None:
    """The stage-11 classifier's verdict on the samples; all ten digits asserted on a full run."""
    classifier, meta, out_dir = stage11_classifier(quick)
    report = coverage(*classify_samples(samples, classifier))
    print(describe_judge(meta, out_dir))
    print(
        f"on {len(samples)} GAN samples: {report['classes_covered']}/10 classes, "
        f"counts {report['counts']}, mean top-class confidence {report['mean_confidence']:.3f}"
    )
    if quick:
        print(
            "quick run: too short a training for all ten digits; "
            "the coverage above is reported, not asserted"
        )
    else:
        parity.equal(
            f"GAN samples cover all 10 digits (stage-11 classifier, {len(samples)} samples)",
            report["classes_covered"],
            10,
        )


def main() -> None:
    parser = D.script_parser(
        __doc__.split("\n\n")[0], steps=FULL_STEPS, steps_quick=QUICK_STEPS, batch_size=64
    )
    args, (x_train, *_), loop = D.parse_and_load(parser, steps=FULL_STEPS, steps_quick=QUICK_STEPS)

    G, Dis = Generator(), Discriminator()
    eval_noise = torch.Generator().manual_seed(args.seed + 2)
    before = distance_to_data(G.sample(N_EVAL, eval_noise), x_train)
    epochs = loop["epochs"]
    snapshot_epochs = sorted(
        {0, 1, max(1, epochs // 8), max(1, epochs // 4), max(1, epochs // 2), epochs}
    )
    start = time.perf_counter()
    history, snapshots = train_gan(G, Dis, x_train, snapshot_epochs=snapshot_epochs, **loop)
    print(f"trained in {time.perf_counter() - start:.1f} s")
    samples = G.sample(N_EVAL, torch.Generator().manual_seed(args.seed + 2)).cpu()
    report_distance_to_data(before, distance_to_data(samples, x_train))
    report_digit_coverage(samples, journey.is_quick())

    torch.save(G.state_dict(), journey.stage_output_dir(STAGE) / "gan_generator.pt")
    journey.save_figure(plot_snapshots(snapshots), STAGE, "gan_samples_across_epochs")
    journey.save_figure(plot_curves(history), STAGE, "gan_loss_curves")


if __name__ == "__main__":
    main()
