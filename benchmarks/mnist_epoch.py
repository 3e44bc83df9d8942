"""Seconds per epoch of the stage-11 MNIST CNN at MNIST's size, DataLoader vs ``--fast``.

    python -m benchmarks.mnist_epoch                 # cpu (or the best device: --device auto)
    python -m benchmarks.mnist_epoch --device cuda   # on a GPU

MNIST itself may not be on disk (offline machines), and the time of an epoch does not
depend on what the pixels show: the script writes 60,000 + 10,000 random 28×28 images in
MNIST's IDX format into a temporary folder and trains stage 11's model on them for one
epoch through the real loader, once with the DataLoader and once with ``--fast`` (the whole
set as device tensors). Accuracies are meaningless here (random labels); times are not.
"""

import argparse
import tempfile
from pathlib import Path

import numpy as np

from journey import load_stage
from journey.data import write_mnist_idx


def write_random_mnist(
    root: Path, n_train: int = 60_000, n_test: int = 10_000, seed: int = 0
) -> Path:
    """MNIST-sized random images in the real IDX format, for timing the real loader."""
    rng = np.random.default_rng(seed)

    def split(n):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        return images, rng.integers(0, 10, n, dtype=np.uint8)

    return write_mnist_idx(root, split(n_train), split(n_test))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.mnist_epoch",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--device", default="cpu", help="auto, cuda, mps or cpu")
    parser.add_argument("--train-size", type=int, default=60_000)
    args = parser.parse_args(argv)

    cnn = load_stage("11", "library_impl/mnist_cnn_pytorch.py")
    with tempfile.TemporaryDirectory() as tmp:
        root = write_random_mnist(Path(tmp), n_train=args.train_size)
        for fast in (False, True):
            metrics = cnn.train(
                epochs=1,
                device=args.device,
                data_dir=root,
                data="mnist",
                out_dir=Path(tmp) / f"out_fast_{fast}",
                fast=fast,
            )
            print(
                f"{'--fast (device tensors)' if fast else 'DataLoader':<24} "
                f"{args.train_size:,} images: "
                f"{metrics['seconds_per_epoch']:.1f} s per epoch on {metrics['device']}"
            )


if __name__ == "__main__":
    main()
