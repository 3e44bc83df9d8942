"""Transfer learning with torchvision's ResNet-18: a frozen backbone and a new 10-class head.

The recipe a professional uses when data is scarce:

1. Take a network trained on a large dataset (ResNet-18 on ImageNet) through torchvision's
   weights API: ``resnet18(weights=ResNet18_Weights.DEFAULT)`` (``_pretrained.build_model``).
2. Replace its final layer ``fc`` (1000 ImageNet classes) by a fresh ``nn.Linear(512, 10)``.
3. Freeze everything else (``requires_grad = False``) and keep the frozen part in ``eval()``
   mode, so that batch-norm running statistics do not drift either (``freeze``,
   ``set_train_mode`` below).
4. Train only the last layer(s). When only ``fc`` is trained, the backbone is a fixed function:
   its 512-D output for each image is computed once and cached (``_features.py``), and the
   head trains on those features (``_heads.py``) — minutes become seconds on a CPU. With
   ``--trainable layer4`` the last residual stage trains too, end to end on images.

Offline (no network, or JOURNEY_OFFLINE=1) the weights file cannot be fetched. ``--weights``
says what to do then: ``default`` stops with a message naming the file and where it goes,
``none`` uses a random initialisation on purpose, and ``auto`` (the no-argument run) uses
the pretrained weights when it can and otherwise falls back to random init, with a warning.
"""

import argparse
import copy
import time

import numpy as np
import torch
from sklearn.metrics import ConfusionMatrixDisplay, confusion_matrix
from torch import nn
from torch.utils.data import DataLoader

import journey
from journey import parity

P = journey.load_stage("14", "library_impl/_pretrained.py")
FEATURES = journey.load_stage("14", "library_impl/_features.py")
HEADS = journey.load_stage("14", "library_impl/_heads.py")
CLI = journey.load_stage("14", "library_impl/_cli.py")

STAGE = "14_transfer_learning"
TRAINABLE_CHOICES = {"fc": ("fc",), "layer4": ("layer4", "fc")}
MODEL_FILE = "resnet18_transfer.pt"


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
        loss, accuracy = HEADS.train_one_epoch(model, batches, optimizer, device)
        history.append({"epoch": epoch, "loss": loss, "accuracy": accuracy})
        if verbose:
            print(
                f"fine-tune epoch {epoch}  loss {loss:.4f}  "
                f"train acc {accuracy:.3f}  "
                f"{time.perf_counter() - start:.1f} s"
            )
    model.eval()
    return history


@torch.no_grad()
def predict(model: nn.Module, loader, device="cpu") -> tuple[np.ndarray, np.ndarray]:
    """Predicted and true labels of a whole loader (model in eval mode)."""
    model.to(device).eval()
    preds, labels = [], []
    for x, y in loader:
        preds.append(model(x.to(device)).argmax(1).cpu())
        labels.append(y)
    return torch.cat(preds).numpy(), torch.cat(labels).numpy()


def plot_confusion(y_true, y_pred, classes, title: str):
    """scikit-learn's confusion matrix: C[i, j] = images of true class i predicted as j."""
    plt = journey.plotting.pyplot()
    fig, ax = plt.subplots(figsize=(6, 5))
    cm = confusion_matrix(y_true, y_pred, labels=range(len(classes)))
    ConfusionMatrixDisplay(cm, display_labels=classes).plot(ax=ax, cmap="Blues", colorbar=False)
    ax.set(title=title)
    return fig


# ---------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], parents=[CLI.transfer_flags()]
    )
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
    CLI.exit_on_missing_files(train_and_evaluate, parser.parse_args())


def train_and_evaluate(args) -> None:
    """Build, train the head (or layer4 + head), save, reload, evaluate, plot the confusion."""
    CLI.resolve_sizes(args)
    epochs = args.epochs or (50 if args.trainable == "fc" else 4 if journey.is_quick() else 3)
    journey.seed_everything(args.seed)
    device = journey.device(args.device)
    model, init = P.build_model(args.weights, seed=args.seed)
    print(
        f"ResNet-18 initialisation: {init.upper()}"
        + ("" if init == "imagenet" else " (random weights: the backbone knows nothing yet)")
    )
    before = copy.deepcopy(P.backbone(model).state_dict())
    start = time.perf_counter()
    if args.trainable == "fc":
        test_set, source, classes, head_pred = train_head_on_features(
            model, init, args, epochs, device
        )
    else:
        test_set, source, classes = fine_tune_on_images(model, args, epochs, device)
    train_seconds = time.perf_counter() - start

    path = P.save_model(model, journey.stage_output_dir(STAGE) / MODEL_FILE)
    pred, labels = predict(
        P.load_model(path, device=device), DataLoader(test_set, batch_size=64), device
    )
    accuracy = float(np.mean(pred == labels))
    print(
        f"data: {source}; init: {init}; trained {args.trainable} in {train_seconds:.1f} s; "
        f"saved {path}; reloaded model's test accuracy {accuracy:.3f} on {len(labels)} images"
    )
    if args.trainable == "fc":
        after = P.backbone(model).state_dict()
        parity.equal(
            "frozen backbone bit-identical after training",
            np.array([torch.equal(before[k], after[k]) for k in before]),
            np.ones(len(before), bool),
        )
        parity.equal("saved+reloaded network predicts as head on cached features", pred, head_pred)
    parity.at_least(
        f"test accuracy, {init} ResNet-18 + new head ({source})", accuracy, 0.3, side="library"
    )
    title = f"{init} ResNet-18, head trained on {source}: acc {accuracy:.3f}"
    journey.save_figure(plot_confusion(labels, pred, classes, title), STAGE, "confusion_matrix")


def train_head_on_features(model: nn.Module, init: str, args, epochs: int, device):
    """Cache the frozen features, train the head on them, fold it into ``model.fc``."""
    feats = FEATURES.cached_features(
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
    head, mean, std, _ = HEADS.train_linear_head(
        feats["train_x"], feats["train_y"], epochs=epochs, seed=args.seed, device=device
    )
    model.fc = HEADS.fold_standardisation(head, mean, std)
    with torch.no_grad():
        head_pred = model.fc(torch.as_tensor(feats["test_x"])).argmax(1).numpy()
    return feats["test_set"], feats["source"], feats["classes"], head_pred


def fine_tune_on_images(model: nn.Module, args, epochs: int, device):
    """Train layer4 and the head end to end on the transformed images."""
    transform = FEATURES.preprocessing(args.image_size)
    splits = {"n": args.n_train, "seed": args.seed, "data_dir": args.data_dir}
    train_set, source, classes = FEATURES.load_split(
        args.data, train=True, transform=transform, **splits
    )
    test_data = "standin" if source == "digits-standin" else args.data
    test_set, _, _ = FEATURES.load_split(
        test_data, train=False, transform=transform, **{**splits, "n": args.n_test}
    )
    generator = torch.Generator().manual_seed(args.seed)
    loader = DataLoader(train_set, batch_size=32, shuffle=True, generator=generator)
    trainable = TRAINABLE_CHOICES[args.trainable]
    fine_tune(model, loader, trainable=trainable, epochs=epochs, device=device)
    return test_set, source, classes


if __name__ == "__main__":
    main()
