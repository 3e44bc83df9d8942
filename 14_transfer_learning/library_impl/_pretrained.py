"""ResNet-18 through torchvision's weights API, with a clear way out when the weights are missing.

``resnet18(weights=ResNet18_Weights.DEFAULT)`` fetches the ImageNet weights into the torch hub
cache. (Older tutorials write ``resnet18(pretrained=True)``; that spelling is gone — the
weights enum also carries the preprocessing the weights expect, ``weights.transforms()``.)
Offline (no network, or JOURNEY_OFFLINE=1) the file cannot be fetched; ``build_model`` then
stops with a message naming the file (``weights="default"``), uses a random initialisation on
purpose (``"none"``), or falls back to random weights with a warning (``"auto"``).
"""

import hashlib
import warnings
from pathlib import Path
from urllib.parse import urlparse

import torch
from torch import nn
from torchvision.models import ResNet18_Weights, resnet18

from journey.paths import is_offline
from journey.validation import check_option

WEIGHTS = ResNet18_Weights.DEFAULT
NUM_CLASSES = 10
WEIGHT_CHOICES = ("auto", "default", "none")


class MissingWeightsError(FileNotFoundError):
    """The pretrained weights are neither on disk nor downloadable; the message says what to do."""


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
    init) or "auto" (ImageNet if available, else random init with a warning). Returns
    ``(model, init)`` with ``init`` in {"imagenet", "random"}. The random parts (the whole
    network, or just the new head) are drawn from ``torch.manual_seed(seed)``.
    """
    check_option(weights, "weights", WEIGHT_CHOICES)
    if num_classes < 2:
        raise ValueError(f"num_classes must be ≥ 2, got {num_classes}")
    model, init = None, "random"
    if weights != "none":
        try:
            model, init = load_pretrained_resnet18(), "imagenet"
        except MissingWeightsError as exc:
            if weights == "default":
                raise
            warnings.warn(
                f"{exc}\n--weights auto: using a RANDOMLY INITIALISED ResNet-18, not pretrained "
                "weights — there is no transfer in this run.",
                UserWarning,
                stacklevel=2,
            )
    # Seed here, after any failed attempt, so the random weights depend on the seed only.
    torch.manual_seed(seed)
    if model is None:
        model = resnet18(weights=None)
    model.fc = nn.Linear(model.fc.in_features, num_classes)
    return model, init


def backbone(model: nn.Module) -> nn.Sequential:
    """All but ``fc`` (stem, 4 residual stages, average pool), then flatten: images → 512-D."""
    return nn.Sequential(*[m for name, m in model.named_children() if name != "fc"], nn.Flatten())


def fingerprint(module: nn.Module) -> str:
    """A short hash of every tensor in ``module``'s state, so cached features never mix weights."""
    digest = hashlib.sha1()
    for name, tensor in module.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:10]


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
