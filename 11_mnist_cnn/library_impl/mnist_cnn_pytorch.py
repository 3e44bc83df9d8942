"""A complete image classifier: a small CNN trained on MNIST with PyTorch.

The network (``MnistCNN``) stacks two convolution blocks and a classifier:

    x (N, 1, 28, 28), normalised as (pixel/255 − 0.1307) / 0.3081
    conv1 3×3, 1 → 32   → ReLU → 2×2 max-pool   (32, 13, 13)
    conv2 3×3, 32 → 64  → ReLU → 2×2 max-pool   (64, 5, 5)
    flatten (1600) → dropout 0.25 → fc1 1600 → 128 → ReLU → fc2 128 → 10 logits

Training minimises the cross-entropy −log softmax(z)[y] with Adam for 5 epochs, batches of
32, the learning rate starting at 3e-3 and decaying to 0 along a cosine over all the steps
(a decaying rate lets the last epoch settle instead of bouncing around the minimum).
Each epoch walks one seeded permutation of the training set, either through torchvision's
``MNIST`` dataset and a ``DataLoader`` (the idiomatic path: per-sample ``ToTensor`` +
``Normalize``), or with ``--fast``: the whole set is normalised once with the *same*
``Normalize``, kept on the device as one tensor and sliced into batches — no per-sample
Python, so 5 epochs on a GPU take seconds. Both paths see the same batches in the same order.

Artefacts (in ``ARTEFACT_DIR`` = outputs/11_mnist_cnn/, or ``--out-dir``):

- ``mnist_cnn.pt``   the ``state_dict`` (load with ``torch.load(..., weights_only=True)``);
- ``mnist_cnn.npz``  the same arrays as float32 NumPy, same keys (``conv1.weight`` ...), so the
                     NumPy twin (from_scratch/) and a torch-free server can load them;
- ``mnist_cnn.json`` metadata: classes, normalisation, input shape, test accuracy, data
                     source ("mnist" or "digits-standin"), epochs, seed, torch version, history.

Data policy: MNIST is downloaded into data/ when online; offline, a loud message and the
bundled-digits stand-in written in MNIST's IDX format, read by the same loader. In quick
mode (JOURNEY_QUICK=1) the default run uses the stand-in and a fraction of an epoch and
writes to outputs/11_mnist_cnn/quick/, so it never replaces a fully trained model.
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import ConfusionMatrixDisplay, confusion_matrix
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader
from torchvision import transforms
from torchvision.datasets import MNIST

import journey
from journey import parity
from journey.cli import MNIST_DATA, deep_learning_flags
from journey.data import MNIST_MEAN, MNIST_STD, mnist_root
from journey.validation import check_option

STAGE = "11_mnist_cnn"
ARTEFACT_DIR = journey.OUTPUTS_DIR / STAGE
QUICK_ARTEFACT_DIR = ARTEFACT_DIR / "quick"  # quick runs never replace a fully trained model
WEIGHTS_FILE, ARRAYS_FILE, METADATA_FILE = "mnist_cnn.pt", "mnist_cnn.npz", "mnist_cnn.json"
ARTEFACT_FILES = (WEIGHTS_FILE, ARRAYS_FILE, METADATA_FILE)
BUILD_COMMAND = "ml_journey/bin/python 11_mnist_cnn/library_impl/mnist_cnn_pytorch.py"
CLASSES = list(range(10))
INPUT_SHAPE = (1, 28, 28)
HISTORY_KEYS = ("train_loss", "train_accuracy", "test_loss", "test_accuracy", "seconds")
NORMALISE = transforms.Normalize((MNIST_MEAN,), (MNIST_STD,))
TRANSFORM = transforms.Compose([transforms.ToTensor(), NORMALISE])


def artefact_dir(quick: bool) -> Path:
    """Where the artefacts of a quick or a full run live."""
    return QUICK_ARTEFACT_DIR if quick else ARTEFACT_DIR


class MnistCNN(nn.Module):
    """Conv → ReLU → MaxPool twice, then two linear layers. Input: normalised (N, 1, 28, 28)."""

    def __init__(self, dropout: float = 0.25):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, kernel_size=3)
        self.conv2 = nn.Conv2d(32, 64, kernel_size=3)
        self.pool = nn.MaxPool2d(2)
        self.dropout = nn.Dropout(dropout)
        self.fc1 = nn.Linear(64 * 5 * 5, 128)
        self.fc2 = nn.Linear(128, len(CLASSES))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or tuple(x.shape[1:]) != INPUT_SHAPE:
            raise ValueError(
                f"MnistCNN expects a batch of shape (N, 1, 28, 28), got {tuple(x.shape)}"
            )
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = self.dropout(x.flatten(1))
        return self.fc2(F.relu(self.fc1(x)))


def _device(device) -> torch.device:
    return device if isinstance(device, torch.device) else journey.device(device)


def load_datasets(data_dir=None, data: str = "auto") -> tuple[MNIST, MNIST, str]:
    """torchvision's MNIST train and test sets (or the stand-in, same class) and their source."""
    check_option(data, "data", MNIST_DATA)
    root, source = mnist_root(data_dir, standin=MNIST_DATA[data])
    train_set = MNIST(root, train=True, transform=TRANSFORM)
    return train_set, MNIST(root, train=False, transform=TRANSFORM), source


def dataset_tensors(dataset: MNIST, device) -> tuple[torch.Tensor, torch.Tensor]:
    """The whole dataset as one normalised (N, 1, 28, 28) tensor and its labels, on ``device``.

    Same arithmetic as the per-sample transform: uint8 → float / 255 (``ToTensor``), then
    ``NORMALISE``.
    """
    x = NORMALISE(dataset.data.unsqueeze(1).float().div(255))
    return x.to(device), dataset.targets.to(device)


def batch_iterator(
    dataset: MNIST, order: torch.Tensor, batch_size: int, tensors=None, seed: int = 0
):
    """Batches in the order ``order``: a DataLoader, or slices of ``tensors`` (the fast path)."""
    if tensors is None:
        loader_generator = torch.Generator().manual_seed(seed)  # leaves dropout's RNG alone
        return DataLoader(
            dataset, batch_size=batch_size, sampler=order.tolist(), generator=loader_generator
        )
    x, y = tensors
    return ((x[idx], y[idx]) for idx in order.to(x.device).split(batch_size))


def run_epoch(
    model, batches, device, optimiser=None, scheduler=None, n_batches=None, desc=""
) -> tuple[float, float, torch.Tensor]:
    """One pass over ``batches``: trains when an optimiser is given, else evaluates.

    Returns mean cross-entropy, accuracy and the predicted labels (in batch order).
    """
    model.train(optimiser is not None)
    total_loss, correct, seen, predictions = 0.0, 0, 0, []
    with torch.set_grad_enabled(optimiser is not None):
        if optimiser is not None:
            batches = journey.progress(batches, total=n_batches, desc=desc)
        for x, y in batches:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            if optimiser is not None:
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                if scheduler is not None:
                    scheduler.step()
            predicted = logits.argmax(1)
            total_loss += loss.item() * len(y)
            correct += int((predicted == y).sum())
            seen += len(y)
            predictions.append(predicted.cpu())
    return total_loss / seen, correct / seen, torch.cat(predictions)


def save_artefacts(model: MnistCNN, metadata: dict, out_dir) -> Path:
    """Write the state_dict (.pt), the same arrays in float32 NumPy (.npz), the metadata (.json)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    state = {name: tensor.detach().cpu() for name, tensor in model.state_dict().items()}
    torch.save(state, out_dir / WEIGHTS_FILE)
    np.savez(
        out_dir / ARRAYS_FILE, **{name: t.numpy().astype(np.float32) for name, t in state.items()}
    )
    (out_dir / METADATA_FILE).write_text(json.dumps(metadata, indent=2), encoding="utf-8")
    return out_dir


def _require(out_dir, name: str) -> Path:
    path = Path(out_dir) / name
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: train the model first with `{BUILD_COMMAND}` "
            f"(add --out-dir {Path(out_dir)} for another folder), "
            "or call ensure_trained()"
        )
    return path


def load_metadata(out_dir=ARTEFACT_DIR) -> dict:
    """The metadata JSON written next to the weights."""
    return json.loads(_require(out_dir, METADATA_FILE).read_text(encoding="utf-8"))


def load_trained(out_dir=ARTEFACT_DIR, device="cpu") -> MnistCNN:
    """The trained network in eval mode, loaded ``weights_only=True`` (no arbitrary pickles)."""
    state = torch.load(_require(out_dir, WEIGHTS_FILE), map_location="cpu", weights_only=True)
    model = MnistCNN()
    model.load_state_dict(state)
    return model.to(_device(device)).eval()


def train(
    epochs: int = 5,
    device="auto",
    seed: int = 0,
    data_dir=None,
    data: str = "auto",
    out_dir=ARTEFACT_DIR,
    max_batches: int | None = None,
    *,
    fast: bool = False,
    batch_size: int = 32,
    lr: float = 3e-3,
) -> dict:
    """Train ``MnistCNN`` on ``data``, evaluate it after every epoch, save the artefacts.

    ``max_batches`` caps the training batches per epoch (a fraction of an epoch for quick runs
    and tests). Returns the metrics: per-epoch history, final test accuracy, confusion matrix,
    data source, seconds per epoch and where the artefacts went.
    """
    if epochs < 1 or batch_size < 1 or (max_batches is not None and max_batches < 1):
        raise ValueError(
            f"epochs, batch_size and max_batches must be ≥ 1, "
            f"got {epochs}, {batch_size}, {max_batches}"
        )
    journey.seed_everything(seed)
    device = _device(device)
    train_set, test_set, source = load_datasets(data_dir, data)
    model = MnistCNN().to(device)
    settings = {"epochs": epochs, "max_batches": max_batches, "batch_size": batch_size, "lr": lr}
    history, predicted = fit(model, train_set, test_set, device, seed=seed, fast=fast, **settings)
    correct = int((predicted == test_set.targets).sum())
    metadata = {
        "model": "MnistCNN",
        "classes": CLASSES,
        "normalisation": {"mean": MNIST_MEAN, "std": MNIST_STD},
        "input_shape": list(INPUT_SHAPE),
        "test_accuracy": correct / len(test_set),
        "test_correct": correct,
        "test_size": len(test_set),
        "data_source": source,
        **settings,
        "lr_schedule": "cosine to 0",
        "seed": seed,
        "device": device.type,
        "fast": fast,
        "torch_version": torch.__version__,
        "history": history,
    }
    save_artefacts(model, metadata, out_dir)
    return dict(
        metadata,
        confusion=confusion_matrix(test_set.targets, predicted, labels=CLASSES).tolist(),
        seconds_per_epoch=float(np.mean(history["seconds"])),
        out_dir=str(out_dir),
    )


def fit(
    model, train_set, test_set, device, *, epochs, max_batches, batch_size, lr, seed, fast
) -> tuple[dict, torch.Tensor]:
    """Adam with the rate decayed along a cosine; the test set is evaluated after every epoch.

    Returns the per-epoch history and the last epoch's test predictions.
    """
    train_tensors = dataset_tensors(train_set, device) if fast else None
    test_tensors = dataset_tensors(test_set, device) if fast else None
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    n_train = (
        len(train_set) if max_batches is None else min(len(train_set), max_batches * batch_size)
    )
    n_batches = -(-n_train // batch_size)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, T_max=epochs * n_batches)
    history = {key: [] for key in HISTORY_KEYS}
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        order = torch.randperm(len(train_set), generator=generator)[:n_train]
        batches = batch_iterator(train_set, order, batch_size, train_tensors, seed + epoch)
        train_loss, train_acc, _ = run_epoch(
            model, batches, device, optimiser, scheduler, n_batches, f"epoch {epoch}/{epochs}"
        )
        seconds = time.perf_counter() - start
        test_batches = batch_iterator(test_set, torch.arange(len(test_set)), 1000, test_tensors)
        test_loss, test_acc, predicted = run_epoch(model, test_batches, device)
        values = (train_loss, train_acc, test_loss, test_acc, seconds)
        for key, value in zip(HISTORY_KEYS, values, strict=True):
            history[key].append(value)
        print(
            f"epoch {epoch}/{epochs}  train loss {train_loss:.4f} acc {train_acc:.2%}  "
            f"test loss {test_loss:.4f} acc {test_acc:.2%}  {seconds:.1f} s ({device.type})",
            flush=True,
        )
    return history, predicted


def artefacts_exist(out_dir=ARTEFACT_DIR) -> bool:
    return all((Path(out_dir) / name).exists() for name in ARTEFACT_FILES)


def ensure_trained(quick: bool = False, out_dir=None) -> Path:
    """Return ``out_dir`` (default ``artefact_dir(quick)``) once it holds the artefacts,
    training only if they are missing.

    Quick: one epoch on the bundled-digits stand-in (a few seconds on a CPU). Otherwise the
    full run (5 epochs; MNIST when available, else the stand-in). Existing artefacts, quick
    or full, are never retrained or replaced.
    """
    out_dir = artefact_dir(quick) if out_dir is None else out_dir
    if not artefacts_exist(out_dir):
        print(
            f"no trained MNIST CNN in {out_dir}: training one ({'quick' if quick else 'full'} run)",
            flush=True,
        )
        train(
            epochs=1 if quick else 5,
            device="auto",
            seed=0,
            data="standin" if quick else "auto",
            out_dir=out_dir,
            fast=True,
        )
    return Path(out_dir)


def curves_figure(history: dict, title: str = ""):
    """Loss and accuracy per epoch, train and test."""
    plt = journey.plotting.pyplot()
    epochs = np.arange(1, len(history["train_loss"]) + 1)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.8))
    for split, style in (("train", "o-"), ("test", "s--")):
        ax_loss.plot(epochs, history[f"{split}_loss"], style, label=split)
        ax_acc.plot(epochs, np.array(history[f"{split}_accuracy"]) * 100, style, label=split)
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy", title="loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
    for ax in (ax_loss, ax_acc):
        ax.set_xticks(epochs)
        ax.legend()
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def confusion_figure(counts, title: str = ""):
    """The confusion matrix (rows: true digit, columns: predicted digit), by scikit-learn."""
    plt = journey.plotting.pyplot()
    fig, ax = plt.subplots(figsize=(6, 5))
    display = ConfusionMatrixDisplay(np.asarray(counts), display_labels=CLASSES)
    display.plot(ax=ax, cmap="Blues", colorbar=False, values_format="d")
    ax.set(xlabel="predicted", ylabel="true", title=title)
    fig.tight_layout()
    return fig


def evaluate_saved(out_dir, device, data_dir=None) -> tuple[float, dict]:
    """Reload the saved weights (weights_only=True) and measure the test accuracy again."""
    metadata = load_metadata(out_dir)
    model = load_trained(out_dir, device)
    _, test_set, _ = load_datasets(
        data_dir, "mnist" if metadata["data_source"] == "mnist" else "standin"
    )
    _, accuracy, _ = run_epoch(
        model, batch_iterator(test_set, torch.arange(len(test_set)), 1000), _device(device)
    )
    return accuracy, metadata


def report(metrics: dict, out_dir, full_run: bool) -> None:
    """Print the result, check the accuracy bar after a full run, save the two figures."""
    name = "MNIST" if metrics["data_source"] == "mnist" else "digits stand-in"
    print(
        f"test accuracy {metrics['test_accuracy']:.2%} on {name} ({metrics['test_size']} images), "
        f"{metrics['seconds_per_epoch']:.1f} s per epoch on {metrics['device']}; "
        f"artefacts in {out_dir}"
    )
    if full_run:
        parity.at_least(
            f"MnistCNN test accuracy after {metrics['epochs']} epochs ({name})",
            metrics["test_accuracy"],
            0.99 if metrics["data_source"] == "mnist" else 0.97,
            side="library",
        )
    journey.save_figure(
        curves_figure(metrics["history"], f"MnistCNN on {name}"), STAGE, "training_curves"
    )
    journey.save_figure(
        confusion_figure(metrics["confusion"], f"test confusion matrix ({name})"),
        STAGE,
        "confusion_matrix",
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        parents=[deep_learning_flags(epochs=5, data=MNIST_DATA)],
    )
    parser.add_argument(
        "--out-dir",
        type=Path,
        default=None,
        help=f"artefact folder (default {ARTEFACT_DIR}, quick mode: its quick/ subfolder)",
    )
    parser.add_argument(
        "--max-batches", type=int, default=None, help="training batches per epoch (default: all)"
    )
    parser.add_argument(
        "--evaluate", action="store_true", help="reload the saved weights and report accuracy"
    )
    parser.add_argument(
        "--fast", action="store_true", help="keep the data on the device as tensors (no DataLoader)"
    )
    args = parser.parse_args()
    quick = journey.is_quick()
    out_dir = args.out_dir or artefact_dir(quick)

    if args.evaluate:
        accuracy, metadata = evaluate_saved(out_dir, args.device, args.data_dir)
        print(
            f"reloaded {out_dir / WEIGHTS_FILE} (weights_only=True): test accuracy {accuracy:.2%} "
            f"on {metadata['data_source']} (recorded at training: {metadata['test_accuracy']:.2%})"
        )
        return

    data, epochs, max_batches = args.data, args.epochs, args.max_batches
    if quick:
        data = "standin" if data == "auto" else data
        epochs, max_batches = 1, max_batches or 12
    metrics = train(
        epochs, args.device, args.seed, args.data_dir, data, out_dir, max_batches, fast=args.fast
    )
    report(metrics, out_dir, full_run=epochs >= 5 and max_batches is None)


if __name__ == "__main__":
    main()
