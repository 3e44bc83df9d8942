"""Shared by the stage-15 PyTorch scripts: MNIST as tensors, the common start, figures.

Not a script (the leading underscore keeps the runner from executing it).
"""

import argparse
import sys

import numpy as np
import torch
from torchvision.datasets import MNIST

import journey
from journey import data as jdata
from journey.cli import MNIST_DATA, deep_learning_flags

T = journey.load_stage("15", "library_impl/_training.py")
STAGE = "15_generative"


def load_mnist_tensors(
    data: str = "auto", data_dir=None, n_train: int | None = None, seed: int = 0
):
    """MNIST (or the stand-in) via torchvision's ``MNIST``: pixels in [0, 1], one image a row.

    ``data="auto"`` becomes "standin" in quick mode. ``n_train`` keeps a seeded subset of the
    training images, the same images ``from_scratch/linear_autoencoder_numpy.load_mnist``
    picks, so both sides see one dataset; the test set is always whole.
    Returns ``x_train (n, 784) float32, y_train, x_test, y_test, source``.
    """
    if data not in MNIST_DATA:
        raise ValueError(f"data must be one of {', '.join(MNIST_DATA)}, got {data!r}")
    if data == "auto" and journey.is_quick():
        data = "standin"
    root, source = jdata.mnist_root(data_dir, standin=MNIST_DATA[data])
    rng = np.random.default_rng(seed)
    out = []
    for train, n in ((True, n_train), (False, None)):
        dataset = MNIST(root, train=train)
        x = dataset.data.reshape(len(dataset), -1).float() / 255.0
        y = dataset.targets.clone()
        if n is not None:
            keep = torch.from_numpy(np.sort(rng.permutation(len(x))[:n]))
            x, y = x[keep], y[keep]
        out += [x, y]
    return (*out, source)


def load_for_script(args):
    """``load_mnist_tensors`` with a script's options; a missing MNIST under ``--data mnist``
    ends the run with the loader's message (what is missing, where it goes) and exit code 2."""
    try:
        return load_mnist_tensors(args.data, args.data_dir, args.n_train, seed=args.seed)
    except jdata.MissingDatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def script_parser(description: str, *, steps: int, steps_quick: int, batch_size: int = 128):
    """The shared deep-learning flags, plus the batch size and a training subset.

    ``--epochs`` defaults to enough passes for about ``steps`` optimisation steps (``steps_quick``
    in quick mode), so MNIST (60,000 images) and the stand-in (1,437) get the same budget.
    """
    flags = deep_learning_flags(
        epochs_auto=f"enough for about {steps} optimisation steps; {steps_quick} in quick mode",
        data=MNIST_DATA,
    )
    parser = argparse.ArgumentParser(description=description, parents=[flags])
    parser.add_argument(
        "--batch-size", type=int, default=batch_size, help="mini-batch size (default: %(default)s)"
    )
    parser.add_argument("--n-train", type=int, help="use a random subset of the training images")
    return parser


def parse_and_load(parser: argparse.ArgumentParser, *, steps: int, steps_quick: int):
    """Parse the options, seed everything, load the data and settle the training loop.

    Returns ``(args, data, loop)``: ``data`` holds ``load_mnist_tensors``'s five values and
    ``loop`` the keywords of ``_training.train_epochs`` that the options decide (epochs, batch
    size, seed, device). Without ``--epochs``, enough epochs for about ``steps`` optimisation
    steps (``steps_quick`` in quick mode).
    """
    args = parser.parse_args()
    journey.seed_everything(args.seed)
    device = journey.device(args.device)
    data = load_for_script(args)
    x_train, _, x_test, _, source = data
    budget = steps_quick if journey.is_quick() else steps
    epochs = args.epochs or T.epochs_for(len(x_train), args.batch_size, budget)
    print(
        f"data: {source}; train {tuple(x_train.shape)}, test {tuple(x_test.shape)}; "
        f"{epochs} epochs of batch {args.batch_size}"
    )
    loop = {"epochs": epochs, "batch_size": args.batch_size, "seed": args.seed, "device": device}
    return args, data, loop


def image_grid(images, rows: int, cols: int) -> np.ndarray:
    """Tile (rows·cols, 784) images into one (rows·28, cols·28) array for ``imshow``."""
    images = np.asarray(images, dtype=np.float64).reshape(rows, cols, 28, 28)
    return images.transpose(0, 2, 1, 3).reshape(rows * 28, cols * 28)


def latent_scatter(z: np.ndarray, labels: np.ndarray, title: str, names=("z₁", "z₂")):
    """2-D codes as points coloured by their digit (the labels were never used in training)."""
    fig, ax = journey.plotting.pyplot().subplots(figsize=(5.5, 5))
    points = ax.scatter(z[:, 0], z[:, 1], c=labels, cmap="tab10", s=6, alpha=0.8)
    fig.colorbar(points, ax=ax, ticks=range(10), label="digit")
    ax.set(xlabel=names[0], ylabel=names[1], title=title)
    return fig
