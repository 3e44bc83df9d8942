"""Images in, 512-D features out: the frozen backbone run once over a seeded subset, then cached.

When only ``fc`` trains, the backbone is a fixed function: its output for each image can be
computed once, and training the head on those features is exactly training the frozen network
(there is no augmentation here) — minutes become seconds on a CPU. ``joblib.Memory`` keeps
the features on disk, keyed by everything that determines them: a fingerprint of the
backbone's weights, the data source, the image size, the seed and the subset sizes.
"""

import time
from pathlib import Path

import joblib
import numpy as np
import torch
from torch.utils.data import DataLoader, Subset

import journey
from journey import data as jdata
from journey.validation import check_option

P = journey.load_stage("14", "library_impl/_pretrained.py")

STAGE = "14_transfer_learning"
# --data: the value handed to ``journey.data.cifar10_dataset(standin=…)``.
CIFAR_DATA = {"auto": "fallback", "cifar10": "never", "standin": "always"}
CIFAR_DATA_HELP = (
    "auto: CIFAR-10 if present or downloadable, else the colour-digits stand-in (with a "
    "warning); cifar10: CIFAR-10 or fail; standin: scikit-learn's digits as 3x32x32 images"
)


def preprocessing(image_size: int = 224):
    """The weights' own transforms — resize, centre crop, ImageNet mean/std — at ``image_size``.

    ``WEIGHTS.transforms()`` is resize 256 → crop 224; a smaller crop keeps the same ratio
    (resize = crop·256/224) so quick runs go through the same code path, only cheaper.
    """
    if image_size < 32:
        raise ValueError(f"image_size must be ≥ 32 (ResNet-18 downsamples by 32), got {image_size}")
    return P.WEIGHTS.transforms(crop_size=image_size, resize_size=round(image_size * 256 / 224))


def load_split(data: str, *, train: bool, transform, n: int | None, seed: int, data_dir=None):
    """A seeded random subset of ``n`` images of CIFAR-10 (or the colour-digits stand-in).

    Returns ``(subset, source, classes)``; ``data`` is a key of ``CIFAR_DATA``.
    """
    check_option(data, "data", CIFAR_DATA)
    dataset, source = jdata.cifar10_dataset(
        data_dir, train=train, transform=transform, standin=CIFAR_DATA[data]
    )
    order = np.random.default_rng(seed).permutation(len(dataset))
    return Subset(dataset, order[:n].tolist()), source, list(dataset.classes)


@torch.no_grad()
def extract_features(model, loader, device) -> tuple[torch.Tensor, torch.Tensor]:
    """Run the frozen backbone over a loader once: (N, 512) float32 features and (N,) labels."""
    net = P.backbone(model).to(device).eval()
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
) -> dict:
    """Frozen-backbone features of a train and a test subset, computed once and cached.

    ``cache_dir`` defaults to ``outputs/14_transfer_learning/cache`` (tests pass a temporary
    one). Returns a dict with train_x, train_y, test_x, test_y (NumPy), source, classes,
    path (the ``.npz`` copy the NumPy head reads) and test_set (the transformed test images,
    for evaluating a whole network on them).
    """
    transform = preprocessing(image_size)
    train_set, source, classes = load_split(
        data, train=True, transform=transform, n=n_train, seed=seed, data_dir=data_dir
    )
    test_data = "standin" if source == "digits-standin" else data
    test_set, _, _ = load_split(
        test_data, train=False, transform=transform, n=n_test, seed=seed, data_dir=data_dir
    )
    cache_dir = Path(cache_dir or journey.stage_output_dir(STAGE) / "cache")
    memory = joblib.Memory(cache_dir, verbose=0)
    compute = memory.cache(features_of_splits, ignore=["model", "splits", "device", "batch_size"])
    arrays = compute(
        P.fingerprint(P.backbone(model)),
        source,
        image_size,
        seed,
        (len(train_set), len(test_set)),
        model=model,
        splits={"train": train_set, "test": test_set},
        device=device,
        batch_size=batch_size,
    )
    path = export_for_numpy(arrays, cache_dir, f"{source}, {init} ResNet-18, {image_size}px")
    return {**arrays, "source": source, "classes": classes, "path": path, "test_set": test_set}


def features_of_splits(
    weights_fingerprint: str,
    source: str,
    image_size: int,
    seed: int,
    sizes: tuple[int, int],
    *,
    model,
    splits: dict,
    device,
    batch_size: int,
) -> dict[str, np.ndarray]:
    """The backbone's features of every split; joblib keys its cache on the first five arguments.

    The model and the datasets are left out of the key (hashing them would cost as much as
    the features): the weights' fingerprint, the source, the image size, the seed and the
    sizes determine them.
    """
    start, arrays = time.perf_counter(), {}
    for name, dataset in splits.items():
        x, y = extract_features(model, DataLoader(dataset, batch_size=batch_size), device)
        arrays[f"{name}_x"], arrays[f"{name}_y"] = x.numpy(), y.numpy()
    print(f"features extracted in {time.perf_counter() - start:.1f} s")
    return arrays


def export_for_numpy(arrays: dict, cache_dir: Path, description: str) -> Path:
    """The features as a plain ``.npz`` the NumPy head reads (it does not depend on joblib)."""
    tag = "quick" if journey.is_quick() else "full"
    path = Path(cache_dir) / f"features_{tag}.npz"
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **arrays, description=description)
    return path
