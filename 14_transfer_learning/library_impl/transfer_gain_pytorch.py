"""How much does transfer buy? Test accuracy against the number of training images, three ways.

On the same seeded subset (the first m images of it, for several m):

- a ResNet-18 with **ImageNet weights**, frozen, plus a linear head (needs the weights file);
- the same ResNet-18 with **random weights**, frozen, plus a linear head (the backbone is a
  fixed random feature map: whatever it gets right is the head's doing plus the architecture's);
- a **small CNN trained fully from scratch** on the 32×32 images.

Pretrained features should win most where data is scarcest (the left of the figure). Offline,
the pretrained curve cannot be measured; the figure and the output say so and name the file
it needs, and the other two curves are still measured.
"""

import argparse
import time
import warnings

import torch
import torch.nn.functional as F
from torch import nn
from torchvision import transforms

import journey
from journey import parity

P = journey.load_stage("14", "library_impl/_pretrained.py")
FEATURES = journey.load_stage("14", "library_impl/_features.py")
HEADS = journey.load_stage("14", "library_impl/_heads.py")
CLI = journey.load_stage("14", "library_impl/_cli.py")
STAGE = "14_transfer_learning"


class SmallCNN(nn.Module):
    """Three 3×3 conv blocks with batch norm (16, 32, 64 channels) and a linear classifier.

    About 24k parameters.

    The first convolution has stride 2 (32×32 → 16×16), which keeps it cheap on a CPU.
    """

    def __init__(self, num_classes: int = P.NUM_CLASSES):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, 3, stride=2, padding=1),
            nn.BatchNorm2d(16),
            nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1),
            nn.BatchNorm2d(64),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x):
        return self.fc(self.features(x))


def as_tensors(dataset) -> tuple[torch.Tensor, torch.Tensor]:
    """Apply a dataset's transform once and stack: (N, C, H, W) images and (N,) labels."""
    xs, ys = zip(*(dataset[i] for i in range(len(dataset))), strict=True)
    return torch.stack(xs), torch.as_tensor(ys)


def train_small_cnn(
    x, y, *, steps: int, lr: float = 0.01, batch_size: int = 32, seed: int = 0, device="cpu"
) -> nn.Module:
    """Train ``SmallCNN`` for a fixed number of Adam steps with a one-cycle learning-rate schedule.

    A fixed step budget (not epochs) means a 50-image subset is trained as long as the full set.
    """
    torch.manual_seed(seed)
    model = SmallCNN().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps)
    gen = torch.Generator().manual_seed(seed)
    model.train()
    for _ in range(steps):
        idx = torch.randint(len(x), (min(batch_size, len(x)),), generator=gen)
        loss = F.cross_entropy(model(x[idx].to(device)), y[idx].to(device))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
    return model.eval()


@torch.no_grad()
def accuracy(model: nn.Module, x, y, device="cpu") -> float:
    return float((model(x.to(device)).argmax(1).cpu() == y).float().mean())


def head_accuracy(feats: dict, m: int, *, epochs: int, seed: int, device) -> float:
    """Linear head trained on the first ``m`` training features; accuracy on all test features."""
    head, mean, std, _ = HEADS.train_linear_head(
        feats["train_x"][:m],
        feats["train_y"][:m],
        epochs=epochs,
        seed=seed,
        device=device,
        verbose=False,
    )
    with torch.no_grad():
        logits = head((torch.as_tensor(feats["test_x"]) - mean) / std)
    return float((logits.argmax(1).numpy() == feats["test_y"]).mean())


def pretrained_available(weights: str) -> tuple[bool, str]:
    """Whether the ImageNet variant can run, and if not, why (the loader's own message)."""
    if weights == "none":
        return False, "--weights none: pretrained variant skipped on request"
    try:
        P.load_pretrained_resnet18()
        return True, ""
    except P.MissingWeightsError as exc:
        if weights == "default":
            raise
        return False, str(exc)


def transfer_gain(
    *,
    weights: str = "auto",
    data: str = "auto",
    image_size: int = 224,
    n_train: int | None = None,
    n_test: int | None = None,
    sizes=(50, 100, 300, None),
    epochs: int = 50,
    cnn_steps: int = 300,
    seed: int = 0,
    device="cpu",
    data_dir=None,
    cache_dir=None,
) -> tuple[list[dict], str, str]:
    """Run the three variants at each training-set size; ``None`` in ``sizes`` means all images.

    Returns ``(rows, note, source)``: one row per (variant, size) with its test accuracy and
    seconds, the reason the pretrained variant was skipped ("" when it ran), and the data source.
    """
    has_pretrained, note = pretrained_available(weights)
    if not has_pretrained and weights == "auto":
        warnings.warn(
            note + "\nTransfer gain: the pretrained curve is NOT measured in this run.",
            UserWarning,
            stacklevel=2,
        )
    _, source, _ = FEATURES.load_split(
        data, train=True, transform=None, n=1, seed=seed, data_dir=data_dir
    )
    # Decided once, so a missing CIFAR-10 is warned about once, not four times.
    data = "standin" if source == "digits-standin" else "cifar10"
    rows = []
    for init in (["imagenet"] if has_pretrained else []) + ["random"]:
        model, got = P.build_model("default" if init == "imagenet" else "none", seed=seed)
        feats = FEATURES.cached_features(
            model,
            got,
            data=data,
            image_size=image_size,
            n_train=n_train,
            n_test=n_test,
            seed=seed,
            device=device,
            data_dir=data_dir,
            cache_dir=cache_dir,
        )
        for m in sizes:
            m = len(feats["train_y"]) if m is None else min(m, len(feats["train_y"]))
            start = time.perf_counter()
            acc = head_accuracy(feats, m, epochs=epochs, seed=seed, device=device)
            rows.append(_row(f"ResNet-18 {init} frozen + linear head", m, acc, start))
    images = dict(data=data, n_train=n_train, n_test=n_test, seed=seed, data_dir=data_dir)
    rows += small_cnn_rows(sizes, steps=cnn_steps, device=device, **images)
    return rows, note, source


def small_cnn_rows(sizes, *, data, n_train, n_test, seed, data_dir, steps, device) -> list[dict]:
    """The small CNN trained from scratch on the first ``m`` 32×32 images, for each size."""
    plain = transforms.Compose(
        [
            transforms.ToTensor(),
            transforms.Normalize(P.WEIGHTS.transforms().mean, P.WEIGHTS.transforms().std),
        ]
    )
    train_set, _, _ = FEATURES.load_split(
        data, train=True, transform=plain, n=n_train, seed=seed, data_dir=data_dir
    )
    test_set, _, _ = FEATURES.load_split(
        data, train=False, transform=plain, n=n_test, seed=seed, data_dir=data_dir
    )
    (x_train, y_train), (x_test, y_test) = as_tensors(train_set), as_tensors(test_set)
    rows = []
    for m in journey.progress(sizes, desc="small CNN"):
        m = len(y_train) if m is None else min(m, len(y_train))
        start = time.perf_counter()
        cnn = train_small_cnn(x_train[:m], y_train[:m], steps=steps, seed=seed, device=device)
        acc = accuracy(cnn, x_test, y_test, device)
        rows.append(_row("small CNN trained from scratch", m, acc, start))
    return rows


def _row(variant: str, n_train: int, test_accuracy: float, start: float) -> dict:
    seconds = time.perf_counter() - start
    return {"variant": variant, "n_train": n_train, "accuracy": test_accuracy, "seconds": seconds}


def plot_gain(rows: list[dict], note: str, source: str):
    """Test accuracy against training images, one line per variant; notes a missing variant."""
    plt = journey.plotting.pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for variant in dict.fromkeys(r["variant"] for r in rows):
        pts = [(r["n_train"], r["accuracy"]) for r in rows if r["variant"] == variant]
        ax.plot(*zip(*pts, strict=True), marker="o", label=variant)
    if note:
        ax.text(
            0.02,
            0.03,
            f"ImageNet-pretrained curve NOT measured: it needs\n{P.weights_file()}",
            transform=ax.transAxes,
            fontsize=7,
            color="firebrick",
            va="bottom",
        )
    sizes = sorted({r["n_train"] for r in rows})
    ax.set(
        xscale="log",
        xlabel="training images",
        ylabel="test accuracy",
        ylim=(0, 1.02),
        title=f"Transfer gain on {source}",
    )
    ax.set_xticks(sizes, [str(s) for s in sizes])
    ax.minorticks_off()
    ax.legend(fontsize=8, loc="center right")
    return fig


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], parents=[CLI.transfer_flags(epochs=50)]
    )
    parser.add_argument(
        "--cnn-steps",
        type=int,
        default=None,
        help="small-CNN Adam steps per size (default 300; quick 60)",
    )
    CLI.exit_on_missing_files(measure_and_plot, parser.parse_args())


def measure_and_plot(args) -> None:
    """Run the three variants, print the table, record the checks, draw the figure."""
    CLI.resolve_sizes(args)
    quick = journey.is_quick()
    journey.seed_everything(args.seed)
    device = journey.device(args.device)
    rows, note, source = transfer_gain(
        weights=args.weights,
        data=args.data,
        image_size=args.image_size,
        n_train=args.n_train,
        n_test=args.n_test,
        sizes=(50, None) if quick else (50, 100, 300, None),
        epochs=args.epochs,
        cnn_steps=args.cnn_steps or (60 if quick else 300),
        seed=args.seed,
        device=device,
        data_dir=args.data_dir,
    )
    print(f"{'variant':<42} {'n_train':>7} {'test acc':>8} {'time (s)':>8}")
    for r in rows:
        print(f"{r['variant']:<42} {r['n_train']:>7} {r['accuracy']:>8.3f} {r['seconds']:>8.1f}")
    if note:
        print(
            "pretrained ResNet-18 NOT measured (see the warning above): "
            "the transfer gain from ImageNet "
            "needs the weights file."
        )
    largest = max(r["n_train"] for r in rows)
    for r in rows:
        if r["n_train"] == largest:
            parity.at_least(
                f"{r['variant']}, {largest} images: test accuracy above chance",
                r["accuracy"],
                0.3,
                side="library",
            )
    journey.save_figure(plot_gain(rows, note, source), STAGE, "transfer_gain")


if __name__ == "__main__":
    main()
