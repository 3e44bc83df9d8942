"""The command-line flags every deep-learning script shares, defined once.

A script builds its own parser on top of this parent, so ``--device``, ``--epochs``,
``--seed``, ``--data-dir`` and ``--data`` mean the same thing everywhere::

    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        parents=[deep_learning_flags(epochs=5, data=MNIST_DATA)],
    )
"""

import argparse

from journey.paths import is_quick

DEVICE_CHOICES = ("auto", "cuda", "mps", "cpu")

# --data for the MNIST stages: the value handed to ``journey.data.mnist_root(standin=…)``.
MNIST_DATA = {"auto": "fallback", "mnist": "never", "standin": "always"}
MNIST_DATA_HELP = (
    "auto: MNIST if present or downloadable, else the offline stand-in (said loudly); "
    "mnist: MNIST or fail; standin: scikit-learn's digits resized to 28x28"
)


def deep_learning_flags(
    *,
    epochs: int | None = None,
    epochs_auto: str | None = None,
    seed: int = 0,
    data: dict | tuple | None = None,
    data_help: str = MNIST_DATA_HELP,
    device: bool = True,
) -> argparse.ArgumentParser:
    """A parent parser (``add_help=False``) with the shared flags.

    ``epochs=None`` leaves ``--epochs`` out (scripts that do not train); ``data`` (its keys
    or items are the choices, the first is the default) adds ``--data``; ``device=False``
    leaves ``--device`` out (NumPy-only scripts). ``epochs_auto`` (what the script picks,
    e.g. "enough epochs for about 2000 optimisation steps") adds ``--epochs`` defaulting to
    None, for scripts that choose the epochs once they know the size of the data.
    """
    parser = argparse.ArgumentParser(add_help=False)
    if device:
        parser.add_argument(
            "--device",
            choices=DEVICE_CHOICES,
            default="auto",
            help="where tensors live; auto picks cuda, then mps, then cpu (default: auto)",
        )
    if epochs is not None or epochs_auto is not None:
        parser.add_argument(
            "--epochs",
            type=_positive_int,
            default=epochs,
            help=f"training epochs (default: {epochs_auto or epochs})",
        )
    _add_seed(parser, seed)
    parser.add_argument(
        "--data-dir", default=None, help="dataset folder (default: $DATA_DIR, else data/)"
    )
    if data is not None:
        choices = list(data)
        parser.add_argument("--data", choices=choices, default=choices[0], help=data_help)
    return parser


def ensemble_flags(*, n_estimators: int, quick_n_estimators: int):
    """A parent parser with ``--n-estimators`` and ``--seed``, for the tree-ensemble scripts.

    The default number of trees is ``n_estimators``, or ``quick_n_estimators`` in quick mode.
    """
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument(
        "--n-estimators",
        type=_positive_int,
        default=quick_n_estimators if is_quick() else n_estimators,
        help=f"number of trees (default: {n_estimators}; {quick_n_estimators} in quick mode)",
    )
    _add_seed(parser, 0)
    return parser


def _add_seed(parser: argparse.ArgumentParser, seed: int) -> None:
    parser.add_argument(
        "--seed", type=int, default=seed, help=f"seed for every random draw (default: {seed})"
    )


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value
