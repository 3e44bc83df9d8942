"""Datasets: seeded toy generators, scikit-learn's bundled sets, MNIST and CIFAR-10.

Data policy (CONTRIBUTING.md has it in full):

- toy data comes from seeded generators, so the same seed gives the same numbers;
- real tabular data comes from scikit-learn's bundled sets (no network needed);
- MNIST / CIFAR-10 come through ``torchvision.datasets`` into ``data/`` (or ``$DATA_DIR``).
  Offline, ``MissingDatasetError`` says which files are missing, where they go and how to
  fetch them; the offline *stand-in* is scikit-learn's 8×8 digits resized to 28×28
  (3×32×32 for colour), written in the real on-disk formats so the same loaders read it.
"""

import gzip
import pickle
import struct
import warnings
from pathlib import Path

import numpy as np

from journey.paths import data_dir, is_offline

# ----------------------------------------------------------------------------- toy data


def linear_1d(
    n_samples: int = 100,
    *,
    slope: float = 3.0,
    intercept: float = 2.0,
    noise: float = 1.0,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """y = slope·x + intercept + ε, x ~ U(-3, 3), ε ~ N(0, noise²). Returns X (n, 1), y (n,)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, size=(n_samples, 1))
    y = slope * x[:, 0] + intercept + noise * rng.standard_normal(n_samples)
    return x, y


def two_blobs(
    n_samples: int = 200, *, separation: float = 2.5, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian clouds in 2-D, labels 0/1, centres ±separation/2 on the diagonal."""
    rng = np.random.default_rng(seed)
    y = np.arange(n_samples) % 2
    centres = np.where(y[:, None] == 1, separation / 2, -separation / 2)
    X = centres + rng.standard_normal((n_samples, 2))
    return X, y


def moons(
    n_samples: int = 300, *, noise: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's two interleaving half-moons, seeded."""
    from sklearn.datasets import make_moons

    return make_moons(n_samples=n_samples, noise=noise, random_state=seed)


def spirals(n_per_class: int = 100, n_classes: int = 3, *, noise: float = 0.2, seed: int = 0):
    """CS231n's interleaved spirals: a classic non-linearly-separable 2-D set."""
    rng = np.random.default_rng(seed)
    X = np.zeros((n_per_class * n_classes, 2))
    y = np.repeat(np.arange(n_classes), n_per_class)
    for k in range(n_classes):
        r = np.linspace(0.0, 1.0, n_per_class)
        t = np.linspace(k * 4, (k + 1) * 4, n_per_class) + noise * rng.standard_normal(n_per_class)
        X[y == k] = np.c_[r * np.sin(t), r * np.cos(t)]
    return X, y


def logic_gate(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The four input pairs of a two-input logic gate (AND, OR, XOR, NAND) and its outputs."""
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    tables = {"AND": [0, 0, 0, 1], "OR": [0, 1, 1, 1], "XOR": [0, 1, 1, 0], "NAND": [1, 1, 1, 0]}
    if name.upper() not in tables:
        raise ValueError(f"unknown gate {name!r}; choose one of {', '.join(tables)}")
    return X, np.array(tables[name.upper()])


# ----------------------------------------------------------------- scikit-learn's sets

BUNDLED = ("iris", "breast_cancer", "wine", "digits", "diabetes")


def load_bundled(name: str) -> tuple[np.ndarray, np.ndarray]:
    """One of scikit-learn's bundled datasets as float64 ``X`` and ``y``."""
    from sklearn import datasets

    if name not in BUNDLED:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(BUNDLED)}")
    X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    return X.astype(np.float64), y


def standardised_split(name: str, *, test_size: float = 0.25, seed: int = 0):
    """A seeded train/test split of a bundled set, standardised with the *training* statistics.

    Returns ``X_train, X_test, y_train, y_test``. Classification sets are split stratified.
    """
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    X, y = load_bundled(name)
    stratify = None if name == "diabetes" else y
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, random_state=seed, stratify=stratify
    )
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


# ---------------------------------------------------------------- MNIST and its stand-in

MNIST_FILES = {
    True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081
STANDIN_DIRNAME = "digits_standin"


class MissingDatasetError(FileNotFoundError):
    """A dataset is not on disk and could not be downloaded; the message says what to do."""


def write_idx(path: str | Path, array: np.ndarray) -> Path:
    """Write a uint8 array in the IDX format MNIST uses (gzip if ``path`` ends in .gz).

    Header: two zero bytes, the type code 0x08 (unsigned byte), the number of dimensions,
    then each dimension as a big-endian 32-bit integer, then the raw bytes.
    """
    array = np.asarray(array)
    if array.dtype != np.uint8:
        raise ValueError(f"IDX files written here hold uint8 data, got {array.dtype}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wb") as fh:
        fh.write(header + np.ascontiguousarray(array).tobytes())
    return path


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file of unsigned bytes (the inverse of ``write_idx``)."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as fh:
        zero, dtype, ndim = struct.unpack(">HBB", fh.read(4))
        if zero != 0 or dtype != 0x08:
            raise ValueError(f"{path} is not an unsigned-byte IDX file")
        shape = struct.unpack(f">{ndim}I", fh.read(4 * ndim))
        return np.frombuffer(fh.read(), dtype=np.uint8).reshape(shape).copy()  # writable


def mnist_raw_dir(root: Path) -> Path:
    """The folder torchvision's MNIST reads: ``<root>/MNIST/raw``."""
    return Path(root) / "MNIST" / "raw"


def missing_mnist_files(root: Path) -> list[Path]:
    raw = mnist_raw_dir(root)
    return [raw / f for pair in MNIST_FILES.values() for f in pair if not (raw / f).exists()]


def digits_as_mnist(size: int = 28, *, seed: int = 0, test_fraction: float = 0.2):
    """scikit-learn's 1,797 8×8 digits, resized to ``size``×``size`` uint8 like MNIST.

    MNIST centres each digit in a 20×20 box inside the 28×28 frame, white on black;
    the bundled digits are already white-on-black (0..16), so they are scaled to 0..255,
    resized to 20×20 with bilinear interpolation and padded by 4 pixels each side.
    Returns ``(train_images, train_labels, test_images, test_labels)``, a seeded stratified split.
    """
    from PIL import Image
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    inner, pad = size * 20 // 28, (size - size * 20 // 28) // 2
    images = np.zeros((len(digits.images), size, size), dtype=np.uint8)
    for i, img in enumerate(digits.images):
        scaled = Image.fromarray((img * (255.0 / 16.0)).astype(np.uint8)).resize(
            (inner, inner), Image.BILINEAR
        )
        images[i, pad : pad + inner, pad : pad + inner] = np.asarray(scaled)
    labels = digits.target.astype(np.uint8)
    tr_x, te_x, tr_y, te_y = train_test_split(
        images, labels, test_size=test_fraction, random_state=seed, stratify=labels
    )
    return tr_x, tr_y, te_x, te_y


def write_mnist_standin(root: Path) -> Path:
    """Write the bundled-digits stand-in as MNIST IDX files under ``<root>/MNIST/raw``."""
    train_images, train_labels, test_images, test_labels = digits_as_mnist()
    return write_mnist_idx(root, (train_images, train_labels), (test_images, test_labels))


def write_mnist_idx(root: Path, train: tuple, test: tuple) -> Path:
    """Write ``(images, labels)`` pairs as the four MNIST IDX files under ``<root>/MNIST/raw``.

    Tests and benchmarks use it to give torchvision's real loader small files it can read.
    """
    raw = mnist_raw_dir(Path(root))
    for is_train, (images, labels) in ((True, train), (False, test)):
        images_name, labels_name = MNIST_FILES[is_train]
        write_idx(raw / images_name, images)
        write_idx(raw / labels_name, labels)
    return Path(root)


class StandInWarning(UserWarning):
    """The real dataset is missing: a run goes on with the offline stand-in."""


_ANNOUNCED: set[str] = set()


def _warn(message: str) -> None:
    """Say it loudly, once per process (libraries that reset the warning filters would
    otherwise let Python show it again)."""
    if message not in _ANNOUNCED:
        _ANNOUNCED.add(message)
        warnings.warn(message, StandInWarning, stacklevel=3)


def mnist_root(
    data_dir_override=None, *, download: bool = True, standin: str = "fallback"
) -> tuple[Path, str]:
    """Find (or fetch) MNIST and return ``(root, source)`` for ``torchvision.datasets.MNIST(root)``.

    ``source`` is ``"mnist"`` or ``"digits-standin"``. ``standin`` is one of
    ``"never"`` (raise ``MissingDatasetError`` when MNIST is absent), ``"fallback"`` (use the
    stand-in when MNIST is absent and cannot be downloaded, and say so loudly) or
    ``"always"`` (use the stand-in even when MNIST is present, e.g. for quick runs).
    """
    if standin not in ("never", "fallback", "always"):
        raise ValueError(f"standin must be 'never', 'fallback' or 'always', got {standin!r}")
    root = data_dir(data_dir_override)
    standin_root = root / STANDIN_DIRNAME
    if standin == "always":
        if missing_mnist_files(standin_root):
            write_mnist_standin(standin_root)
        return standin_root, "digits-standin"
    if not missing_mnist_files(root):
        return root, "mnist"
    if download and not is_offline():
        try:
            from torchvision.datasets import MNIST

            MNIST(root, train=True, download=True)
            MNIST(root, train=False, download=True)
            return root, "mnist"
        except Exception as exc:  # no network, proxy, certificate ...
            reason = f"download failed ({type(exc).__name__}: {exc})"
    else:
        reason = "downloads are off (offline mode)" if download else "download=False"
    missing = missing_mnist_files(root)
    message = (
        f"MNIST is not in {mnist_raw_dir(root)} and {reason}.\n"
        f"Missing files: {', '.join(p.name for p in missing)}.\n"
        "To get the real data: run again online (torchvision downloads it), or copy the four\n"
        "files (gunzipped) from https://ossci-datasets.s3.amazonaws.com/mnist/ into\n"
        f"{mnist_raw_dir(root)}.\n"
        "Offline stand-in: scikit-learn's bundled digits resized to 28×28, written as IDX files\n"
        f"under {mnist_raw_dir(standin_root)} (pass --data standin, or let the journey run "
        "fall back)."
    )
    if standin == "never":
        raise MissingDatasetError(message)
    _warn(
        message
        + "\nUSING THE OFFLINE STAND-IN (bundled digits), NOT MNIST: accuracies are not MNIST's."
    )
    if missing_mnist_files(standin_root):
        write_mnist_standin(standin_root)
    return standin_root, "digits-standin"


# ---------------------------------------------------------- CIFAR-10 and its stand-in

CIFAR_DIRNAME = "cifar-10-batches-py"
CIFAR_CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)


def write_cifar_batches(
    folder: Path,
    train: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    label_names: list[str],
) -> Path:
    """Write images ``(N, 32, 32, 3)`` uint8 in CIFAR-10's python format (pickled batches)."""
    folder = Path(folder) / CIFAR_DIRNAME
    folder.mkdir(parents=True, exist_ok=True)

    def dump(name, images, labels):
        data = np.ascontiguousarray(images.transpose(0, 3, 1, 2)).reshape(len(images), -1)
        batch = {
            "batch_label": name,
            "labels": [int(v) for v in labels],
            "data": data,
            "filenames": [f"{i}.png" for i in range(len(images))],
        }
        with open(folder / name, "wb") as fh:
            pickle.dump(batch, fh)

    chunks = np.array_split(np.arange(len(train[0])), 5)
    for i, idx in enumerate(chunks, start=1):
        dump(f"data_batch_{i}", train[0][idx], train[1][idx])
    dump("test_batch", *test)
    with open(folder / "batches.meta", "wb") as fh:
        pickle.dump(
            {
                "label_names": list(label_names),
                "num_cases_per_batch": len(chunks[0]),
                "num_vis": 3072,
            },
            fh,
        )
    return folder


def cifar10_dataset(
    data_dir_override=None,
    *,
    train: bool = True,
    transform=None,
    download: bool = True,
    standin: str = "fallback",
):
    """``torchvision.datasets.CIFAR10``, or the colour digits stand-in read by the same loader.

    Returns ``(dataset, source)`` with ``source`` in ``{"cifar10", "digits-standin"}``; the
    ``standin`` argument behaves as in ``mnist_root``. The stand-in's classes are the digits
    0–9 (``dataset.classes`` says so).
    """
    from torchvision.datasets import CIFAR10

    if standin not in ("never", "fallback", "always"):
        raise ValueError(f"standin must be 'never', 'fallback' or 'always', got {standin!r}")
    root = data_dir(data_dir_override)
    if standin != "always":
        if (root / CIFAR_DIRNAME / "test_batch").exists():
            return CIFAR10(root, train=train, transform=transform, download=False), "cifar10"
        reason = "downloads are off (offline mode)" if (is_offline() or not download) else ""
        if not reason:
            try:
                return CIFAR10(root, train=train, transform=transform, download=True), "cifar10"
            except Exception as exc:
                reason = f"download failed ({type(exc).__name__}: {exc})"
        message = (
            f"CIFAR-10 is not in {root / CIFAR_DIRNAME} and {reason}.\n"
            f"To get it: run again online, or extract cifar-10-python.tar.gz from\n"
            f"https://www.cs.toronto.edu/~kriz/cifar.html into {root}.\n"
            f"Offline stand-in: the bundled digits resized to 3×32×32 (pass --data standin)."
        )
        if standin == "never":
            raise MissingDatasetError(message)
        _warn(message + "\nUSING THE OFFLINE STAND-IN (colour digits), NOT CIFAR-10.")
    standin_root = root / STANDIN_DIRNAME
    if not (standin_root / CIFAR_DIRNAME / "test_batch").exists():
        tr_x, tr_y, te_x, te_y = digits_as_mnist(size=32)
        grey_to_rgb = lambda images: np.repeat(images[..., None], 3, axis=-1)  # noqa: E731
        write_cifar_batches(
            standin_root,
            (grey_to_rgb(tr_x), tr_y),
            (grey_to_rgb(te_x), te_y),
            [str(d) for d in range(10)],
        )
    return _standin_cifar10(standin_root, train=train, transform=transform), "digits-standin"


def _standin_cifar10(root: Path, *, train: bool, transform):
    """torchvision's CIFAR-10 loader reading the stand-in (same code, without the MD5 checks)."""
    from torchvision.datasets import CIFAR10

    class StandInCIFAR10(CIFAR10):
        train_list = [[name, None] for name, _ in CIFAR10.train_list]
        test_list = [[name, None] for name, _ in CIFAR10.test_list]
        meta = dict(CIFAR10.meta, md5=None)

    return StandInCIFAR10(root, train=train, transform=transform)
