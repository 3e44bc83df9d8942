"""Transfer learning with torchvision's ResNet-18: a frozen backbone and a new 10-class head.

The recipe a professional uses when data is scarce:

1. Take a network trained on a large dataset (ResNet-18 on ImageNet) through torchvision's
   weights API: ``resnet18(weights=ResNet18_Weights.DEFAULT)``. (Older tutorials write
   ``resnet18(pretrained=True)``; that spelling is gone — the weights enum also carries the
   preprocessing the weights expect, ``weights.transforms()``.)
2. Replace its final layer ``fc`` (1000 ImageNet classes) by a fresh ``nn.Linear(512, 10)``.
3. Freeze everything else (``requires_grad = False``) and keep the frozen part in ``eval()``
   mode, so that batch-norm running statistics do not drift either.
4. Train only the last layer(s). When only ``fc`` is trained, the backbone is a fixed function:
   its 512-D output for each image can be computed *once* and cached, and training the head
   on those features is exactly training the frozen network (no augmentation here) — minutes
   become seconds on a CPU.

Offline (no network, or JOURNEY_OFFLINE=1) the weights file cannot be fetched. ``--weights``
says what to do then: ``default`` stops with a message naming the file and where it goes,
``none`` uses a random initialisation on purpose, and ``auto`` (the no-argument run) uses
the pretrained weights when it can and otherwise falls back to random init, loudly.
"""

import argparse
import copy
import hashlib
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Subset, TensorDataset
from torchvision.models import ResNet18_Weights, resnet18

import journey
from journey import data as jdata
from journey import parity
from journey.paths import is_offline

STAGE = "14_transfer_learning"
WEIGHTS = ResNet18_Weights.DEFAULT
NUM_CLASSES = 10
WEIGHT_CHOICES = ("auto", "default", "none")
DATA_CHOICES = ("auto", "cifar10", "standin")
TRAINABLE_CHOICES = {"fc": ("fc",), "layer4": ("layer4", "fc")}
MODEL_FILE = "resnet18_transfer.pt"


class MissingWeightsError(FileNotFoundError):
    """The pretrained weights are neither on disk nor downloadable; the message says what to do."""


def warn_loudly(message: str) -> None:
    line = "!" * 78
    print(f"{line}\n{message}\n{line}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------ weights and model


def weights_file(weights=WEIGHTS) -> Path:
    """Where torchvision looks for the weights: ``<hub dir>/checkpoints/<file name in the URL>``.

    ``torch.hub.get_dir()`` is ``$TORCH_HOME/hub`` (default ``~/.cache/torch/hub``), so the
    ResNet-18 file is ``…/hub/checkpoints/resnet18-f37072fd.pth``.
    """
    return Path(torch.hub.get_dir()) / "checkpoints" / Path(urlparse(weights.url).path).name


def load_pretrained_resnet18() -> nn.Module:
    """``resnet18(weights=DEFAULT)`` from the hub cache or a download; else MissingWeightsError."""
    path = weights_file()
    if path.exists() or not is_offline():
        try:
            return resnet18(weights=WEIGHTS)
        except Exception as exc:  # no network, proxy, truncated file ...
            reason = f"loading/downloading it failed ({type(exc).__name__}: {exc})"
    else:
        reason = "downloads are off (JOURNEY_OFFLINE=1)"
    raise MissingWeightsError(
        f"The pretrained ResNet-18 weights file {path.name} is not usable in {path.parent}:\n"
        f"{reason}.\n"
        f"To use pretrained weights: run once online (torchvision downloads it), or download\n"
        f"{WEIGHTS.url}\ninto {path.parent}/ (set TORCH_HOME to move that folder).\n"
        f"Without it, pass --weights none to train from a random initialisation (no transfer)."
    )


def build_model(
    weights: str = "auto", num_classes: int = NUM_CLASSES, seed: int = 0
) -> tuple[nn.Module, str]:
    """ResNet-18 with its last layer replaced by ``nn.Linear(512, num_classes)``.

    ``weights``: "default" (ImageNet weights, or ``MissingWeightsError``), "none" (random
    init) or "auto" (ImageNet if available, else random init with a loud warning).
    Returns ``(model, init)`` with ``init`` in {"imagenet", "random"}. The random parts
    (the whole network, or just the new head) are drawn from ``torch.manual_seed(seed)``.
    """
    if weights not in WEIGHT_CHOICES:
        raise ValueError(f"weights must be one of {', '.join(WEIGHT_CHOICES)}, got {weights!r}")
    if num_classes < 2:
        raise ValueError(f"num_classes must be ≥ 2, got {num_classes}")
    model, init = None, "random"
    if weights != "none":
        try:
            model, init = load_pretrained_resnet18(), "imagenet"
        except MissingWeightsError as exc:
            if weights == "default":
                raise
            warn_loudly(
                f"{exc}\n--weights auto: USING A RANDOMLY INITIALISED ResNet-18, NOT PRETRAINED "
                f"WEIGHTS — there is no transfer in this run."
            )
    # Seed here, after any failed attempt, so the random weights depend on the seed only.
    torch.manual_seed(seed)
    if model is None:
        model = resnet18(weights=None)
    model.fc = nn.Linear(model.fc.in_features, num_classes)
    return model, init


def fingerprint(module: nn.Module) -> str:
    """A short hash of every tensor in ``module``'s state, so cached features never mix weights."""
    digest = hashlib.sha1()
    for name, tensor in module.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:10]


def freeze(model: nn.Module, trainable=("fc",)) -> list[str]:
    """Freeze every parameter except those under the top-level modules named in ``trainable``.

    Returns the names of the parameters left trainable.
    """
    names = {name for name, _ in model.named_children()}
    unknown = set(trainable) - names
    if unknown:
        raise ValueError(
            f"no top-level module named {sorted(unknown)}; choose from {sorted(names)}"
        )
    kept = []
    for name, param in model.named_parameters():
        param.requires_grad = name.split(".")[0] in trainable
        if param.requires_grad:
            kept.append(name)
    return kept


def set_train_mode(model: nn.Module, trainable=("fc",)) -> None:
    """``train()`` the trainable modules, ``eval()`` the frozen ones.

    ``requires_grad = False`` stops the *optimizer*, but batch norm in train mode still
    updates its running mean/variance on every forward pass, silently changing the frozen
    backbone. Keeping frozen modules in eval mode keeps them truly fixed.
    """
    model.eval()
    for name, module in model.named_children():
        if name in trainable:
            module.train()


def backbone(model: nn.Module) -> nn.Sequential:
    """All but ``fc`` (stem, 4 residual stages, average pool), then flatten: images → 512-D."""
    return nn.Sequential(*[m for name, m in model.named_children() if name != "fc"], nn.Flatten())


# ------------------------------------------------------------------------------ data


def preprocessing(image_size: int = 224):
    """The weights' own transforms — resize, centre crop, ImageNet mean/std — at ``image_size``.

    ``WEIGHTS.transforms()`` is resize 256 → crop 224; a smaller crop keeps the same ratio
    (resize = crop·256/224) so quick runs go through the same code path, only cheaper.
    """
    if image_size < 32:
        raise ValueError(f"image_size must be ≥ 32 (ResNet-18 downsamples by 32), got {image_size}")
    return WEIGHTS.transforms(crop_size=image_size, resize_size=round(image_size * 256 / 224))


def load_split(data: str, *, train: bool, transform, n: int | None, seed: int, data_dir=None):
    """A seeded random subset of ``n`` images of CIFAR-10 (or the colour-digits stand-in).

    Returns ``(subset, source, classes)``; ``data`` is "auto" (CIFAR-10, else the stand-in,
    loudly), "cifar10" (CIFAR-10 or ``MissingDatasetError``) or "standin".
    """
    if data not in DATA_CHOICES:
        raise ValueError(f"data must be one of {', '.join(DATA_CHOICES)}, got {data!r}")
    standin = {"auto": "fallback", "cifar10": "never", "standin": "always"}[data]
    dataset, source = jdata.cifar10_dataset(
        data_dir, train=train, transform=transform, standin=standin
    )
    order = np.random.default_rng(seed).permutation(len(dataset))
    return Subset(dataset, order[:n].tolist()), source, list(dataset.classes)


@torch.no_grad()
def extract_features(model: nn.Module, loader, device) -> tuple[torch.Tensor, torch.Tensor]:
    """Run the frozen backbone over a loader once: (N, 512) float32 features and (N,) labels."""
    net = backbone(model).to(device).eval()
    feats, labels = [], []
    for x, y in journey.progress(loader, desc="features"):
        feats.append(net(x.to(device)).cpu())
        labels.append(y)
    return torch.cat(feats), torch.cat(labels)


def cached_features(
    model,
    init: str,
    *,
    data: str,
    image_size: int,
    n_train: int | None,
    n_test: int | None,
    seed: int,
    device,
    data_dir=None,
    cache_dir=None,
    batch_size: int = 64,
    quiet: bool = False,
) -> dict:
    """Frozen-backbone features of a train and a test subset, computed once and cached as .npz.

    The cache key holds everything that changes the numbers (data source, init and a hash of
    the backbone's weights, image size, subset sizes, seed, quick/full), so a stale file is
    never reused for another setting.
    ``cache_dir`` defaults to ``outputs/14_transfer_learning/cache`` (tests pass a temporary one).
    Returns a dict with train_x, train_y, test_x, test_y (NumPy), source, classes, path and
    test_set (the transformed test images, for evaluating a whole network on them).
    """
    transform = preprocessing(image_size)
    train_set, source, classes = load_split(
        data, train=True, transform=transform, n=n_train, seed=seed, data_dir=data_dir
    )
    test_data = "standin" if source == "digits-standin" else data
    test_set, _, _ = load_split(
        test_data, train=False, transform=transform, n=n_test, seed=seed, data_dir=data_dir
    )
    tag = "quick" if journey.is_quick() else "full"
    key = (
        f"features_{source}_{init}-{fingerprint(backbone(model))}_seed{seed}_{image_size}px_"
        f"{len(train_set)}-{len(test_set)}_{tag}.npz"
    )
    path = Path(cache_dir or journey.stage_output_dir(STAGE) / "cache") / key
    if not path.exists():
        start = time.perf_counter()
        train_x, train_y = extract_features(
            model, DataLoader(train_set, batch_size=batch_size), device
        )
        test_x, test_y = extract_features(
            model, DataLoader(test_set, batch_size=batch_size), device
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(
            path,
            train_x=train_x.numpy(),
            train_y=train_y.numpy(),
            test_x=test_x.numpy(),
            test_y=test_y.numpy(),
            description=f"{source}, {init} ResNet-18, {image_size}px",
        )
        if not quiet:
            print(f"features extracted in {time.perf_counter() - start:.1f} s → {path}")
    with np.load(path) as f:
        out = {k: f[k] for k in ("train_x", "train_y", "test_x", "test_y")}
    return {**out, "source": source, "classes": classes, "path": path, "test_set": test_set}


# ---------------------------------------------------------------------- training


def train_one_epoch(model: nn.Module, batches, optimizer, device="cpu") -> tuple[float, float]:
    """One pass of cross-entropy SGD over ``batches``; returns (mean loss, accuracy) seen in training."""
    total, correct, seen = 0.0, 0, 0
    for x, y in batches:
        x, y = x.to(device), y.to(device)
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(x)
        correct += (logits.argmax(1) == y).sum().item()
        seen += len(x)
    return total / seen, correct / seen


def train_linear_head(
    train_x,
    train_y,
    *,
    num_classes: int = NUM_CLASSES,
    epochs: int = 50,
    lr: float = 0.05,
    l2: float = 1e-2,
    batch_size: int = 32,
    seed: int = 0,
    device="cpu",
    verbose: bool = True,
):
    """Train ``nn.Linear(D, num_classes)`` on standardised features with minibatch SGD + momentum.

    Objective: mean cross-entropy + (l2/2)·||W||² (weight decay on the weight only, not the
    bias) — the same objective as the NumPy head. Returns ``(head, mean, std, history)`` (per epoch:
    mean minibatch loss, train accuracy, full-data objective at the epoch's end, steps so far); the
    head expects standardised inputs (x - mean)/std — ``fold_standardisation`` removes that.
    """
    x = torch.as_tensor(train_x, dtype=torch.float32)
    y = torch.as_tensor(train_y, dtype=torch.long)
    mean, std = x.mean(0), x.std(0, unbiased=False)
    std = torch.where(std > 0, std, torch.ones_like(std))
    torch.manual_seed(seed)
    head = nn.Linear(x.shape[1], num_classes).to(device)
    optimizer = torch.optim.SGD(
        [
            {"params": [head.weight], "weight_decay": l2},
            {"params": [head.bias], "weight_decay": 0.0},
        ],
        lr=lr,
        momentum=0.9,
    )
    xs = (x - mean) / std
    loader = DataLoader(
        TensorDataset(xs, y),
        batch_size=batch_size,
        shuffle=True,
        generator=torch.Generator().manual_seed(seed),
    )
    history = []
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        loss, accuracy = train_one_epoch(head, loader, optimizer, device)
        with torch.no_grad():
            objective = (
                F.cross_entropy(head(xs.to(device)), y.to(device))
                + 0.5 * l2 * head.weight.pow(2).sum()
            )
        history.append(
            {
                "epoch": epoch,
                "loss": loss,
                "accuracy": accuracy,
                "objective": objective.item(),
                "steps": epoch * len(loader),
            }
        )
        if verbose and (epoch == 1 or epoch == epochs or epoch % max(1, epochs // 5) == 0):
            print(
                f"head epoch {epoch:3d}  loss {loss:.4f}  train acc {accuracy:.3f}  "
                f"{time.perf_counter() - start:.2f} s"
            )
    return head.cpu(), mean, std, history


def train_linear_head_gd(
    train_x,
    train_y,
    *,
    lr: float,
    n_iter: int,
    l2: float = 0.0,
    num_classes: int | None = None,
    dtype=torch.float64,
) -> nn.Linear:
    """Full-batch gradient descent on ``nn.Linear`` from zero weights: step for step the NumPy head.

    ``SGD(weight_decay=λ)`` adds λW to the weight's gradient, the gradient of (λ/2)||W||²;
    the bias gets no decay. In float64 the two implementations follow the same trajectory.
    """
    x = torch.as_tensor(np.asarray(train_x), dtype=dtype)
    y = torch.as_tensor(np.asarray(train_y), dtype=torch.long)
    head = nn.Linear(x.shape[1], num_classes or int(y.max()) + 1, dtype=dtype)
    nn.init.zeros_(head.weight)
    nn.init.zeros_(head.bias)
    optimizer = torch.optim.SGD(
        [
            {"params": [head.weight], "weight_decay": l2},
            {"params": [head.bias], "weight_decay": 0.0},
        ],
        lr=lr,
    )
    for _ in range(n_iter):
        loss = F.cross_entropy(head(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return head


@torch.no_grad()
def fold_standardisation(head: nn.Linear, mean: torch.Tensor, std: torch.Tensor) -> nn.Linear:
    """A Linear on *raw* features equal to ``head`` on standardised ones.

    W (x - μ)/σ + b = (W/σ) x + (b - W(μ/σ)), so the saved network needs no extra layer.
    """
    folded = nn.Linear(head.in_features, head.out_features, dtype=head.weight.dtype)
    folded.weight.copy_(head.weight / std)
    folded.bias.copy_(head.bias - head.weight @ (mean / std))
    return folded


def fine_tune(
    model: nn.Module,
    loader,
    *,
    trainable=("fc",),
    epochs: int = 1,
    lr: float = 0.01,
    device="cpu",
    verbose: bool = True,
) -> list[dict]:
    """Train the network end to end on images with everything outside ``trainable`` frozen.

    The honest, general version (needed when more than ``fc`` trains, e.g. ``layer4``):
    only parameters with ``requires_grad`` reach the optimizer, and frozen modules stay in
    eval mode. Returns the per-epoch history.
    """
    freeze(model, trainable)
    model.to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=lr, momentum=0.9)
    history = []
    for epoch in range(1, epochs + 1):
        set_train_mode(model, trainable)
        start = time.perf_counter()
        batches = journey.progress(loader, desc=f"fine-tune epoch {epoch}")
        loss, accuracy = train_one_epoch(model, batches, optimizer, device)
        history.append({"epoch": epoch, "loss": loss, "accuracy": accuracy})
        if verbose:
            print(
                f"fine-tune epoch {epoch}  loss {loss:.4f}  "
                f"train acc {accuracy:.3f}  "
                f"{time.perf_counter() - start:.1f} s"
            )
    model.eval()
    return history


# -------------------------------------------------------------- evaluate, save, load


@torch.no_grad()
def predict(model: nn.Module, loader, device="cpu") -> tuple[np.ndarray, np.ndarray]:
    """Predicted and true labels of a whole loader (model in eval mode)."""
    model.to(device).eval()
    preds, labels = [], []
    for x, y in loader:
        preds.append(model(x.to(device)).argmax(1).cpu())
        labels.append(y)
    return torch.cat(preds).numpy(), torch.cat(labels).numpy()


def confusion_matrix(y_true, y_pred, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """C[i, j] = number of images of true class i predicted as class j."""
    return np.bincount(
        np.asarray(y_true) * num_classes + np.asarray(y_pred), minlength=num_classes * num_classes
    ).reshape(num_classes, num_classes)


def save_model(model: nn.Module, path) -> Path:
    """Save the weights only (``state_dict``): safe to load with ``weights_only=True``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), path)
    return path


def load_model(path, num_classes: int = NUM_CLASSES, device="cpu") -> nn.Module:
    """Rebuild the architecture (no download: ``weights=None``), then load the saved weights."""
    model = resnet18(weights=None)
    model.fc = nn.Linear(model.fc.in_features, num_classes)
    model.load_state_dict(torch.load(path, map_location=device, weights_only=True))
    return model.to(device).eval()


def plot_confusion(cm: np.ndarray, classes, title: str):
    import seaborn as sns

    plt = journey.plotting.pyplot()
    fig, ax = plt.subplots(figsize=(6, 5))
    sns.heatmap(
        cm,
        annot=True,
        fmt="d",
        cmap="Blues",
        cbar=False,
        xticklabels=classes,
        yticklabels=classes,
        ax=ax,
    )
    ax.set(xlabel="predicted", ylabel="true", title=title)
    return fig


# ---------------------------------------------------------------------------- main


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every stage-14 script shares."""
    parser.add_argument(
        "--weights",
        choices=WEIGHT_CHOICES,
        default="auto",
        help="default: ImageNet weights (error if absent); none: random init; "
        "auto (default): ImageNet if available, else random init with a loud warning",
    )
    parser.add_argument(
        "--data",
        choices=DATA_CHOICES,
        default="auto",
        help="auto: CIFAR-10, else the colour-digits stand-in (loudly); cifar10; standin",
    )
    parser.add_argument("--device", default="auto", help="auto, cuda, mps or cpu")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--data-dir", default=None, help="dataset folder (default $DATA_DIR or data/)"
    )
    parser.add_argument(
        "--image-size",
        type=int,
        default=None,
        help="crop size fed to ResNet-18 (default 224 as the weights expect; 64 in quick mode)",
    )
    parser.add_argument(
        "--n-train", type=int, default=None, help="training images (default 2000; quick 200)"
    )
    parser.add_argument(
        "--n-test", type=int, default=None, help="test images (default 500; quick 100)"
    )


def resolve_sizes(args) -> None:
    quick = journey.is_quick()
    args.image_size = args.image_size or (64 if quick else 224)
    args.n_train = args.n_train or (200 if quick else 2000)
    args.n_test = args.n_test or (100 if quick else 500)


def exit_on_missing_files(run, args) -> None:
    """Call ``run(args)``; a missing weights file or dataset ends the script: message, exit 2."""
    try:
        run(args)
    except (MissingWeightsError, jdata.MissingDatasetError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_common_arguments(parser)
    parser.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="training epochs (default: 50 for the cheap head alone; 3 for layer4, 4 quick)",
    )
    parser.add_argument(
        "--trainable",
        choices=tuple(TRAINABLE_CHOICES),
        default="fc",
        help="fc: only the new head (features cached once); layer4: the last residual "
        "stage too (end-to-end on images, slower)",
    )
    exit_on_missing_files(train_and_evaluate, parser.parse_args())


def train_and_evaluate(args) -> None:
    """Build, train the head (or layer4 + head), save, reload, evaluate, plot the confusion."""
    resolve_sizes(args)
    epochs = args.epochs or (50 if args.trainable == "fc" else 4 if journey.is_quick() else 3)
    journey.seed_everything(args.seed)
    device = journey.device(args.device)

    model, init = build_model(args.weights, seed=args.seed)
    print(
        f"ResNet-18 initialisation: {init.upper()}"
        + ("" if init == "imagenet" else " (random weights: the backbone knows nothing yet)")
    )
    before = copy.deepcopy(backbone(model).state_dict())
    start = time.perf_counter()
    if args.trainable == "fc":
        feats = cached_features(
            model,
            init,
            data=args.data,
            image_size=args.image_size,
            n_train=args.n_train,
            n_test=args.n_test,
            seed=args.seed,
            device=device,
            data_dir=args.data_dir,
        )
        head, mean, std, _ = train_linear_head(
            feats["train_x"], feats["train_y"], epochs=epochs, seed=args.seed, device=device
        )
        model.fc = fold_standardisation(head, mean, std)
        with torch.no_grad():
            head_pred = model.fc(torch.as_tensor(feats["test_x"])).argmax(1).numpy()
        test_set, source, classes = feats["test_set"], feats["source"], feats["classes"]
    else:
        transform = preprocessing(args.image_size)
        train_set, source, classes = load_split(
            args.data,
            train=True,
            transform=transform,
            n=args.n_train,
            seed=args.seed,
            data_dir=args.data_dir,
        )
        test_set, _, _ = load_split(
            "standin" if source == "digits-standin" else args.data,
            train=False,
            transform=transform,
            n=args.n_test,
            seed=args.seed,
            data_dir=args.data_dir,
        )
        loader = DataLoader(
            train_set,
            batch_size=32,
            shuffle=True,
            generator=torch.Generator().manual_seed(args.seed),
        )
        fine_tune(
            model, loader, trainable=TRAINABLE_CHOICES[args.trainable], epochs=epochs, device=device
        )
        head_pred = None
    train_seconds = time.perf_counter() - start

    path = save_model(model, journey.stage_output_dir(STAGE) / MODEL_FILE)
    reloaded = load_model(path, device=device)
    pred, labels = predict(reloaded, DataLoader(test_set, batch_size=64), device)
    accuracy = float(np.mean(pred == labels))
    print(
        f"data: {source}; init: {init}; trained {args.trainable} in {train_seconds:.1f} s; "
        f"saved {path}; reloaded model's test accuracy {accuracy:.3f} on {len(labels)} images"
    )

    if args.trainable == "fc":
        after = backbone(model).state_dict()
        parity.equal(
            "frozen backbone bit-identical after training",
            np.array([torch.equal(before[k], after[k]) for k in before]),
            np.ones(len(before), bool),
        )
        parity.equal("saved+reloaded network predicts as head on cached features", pred, head_pred)
    parity.at_least(f"test accuracy, {init} ResNet-18 + new head ({source})", accuracy, 0.3)
    cm = confusion_matrix(labels, pred)
    fig = plot_confusion(
        cm, classes, f"{init} ResNet-18, head trained on {source}: acc {accuracy:.3f}"
    )
    journey.save_figure(fig, STAGE, "confusion_matrix")


if __name__ == "__main__":
    main()
