"""The command line both stage-14 scripts share, and their clean exit when a file is missing."""

import argparse
import sys

import journey
from journey import data as jdata
from journey.cli import deep_learning_flags

P = journey.load_stage("14", "library_impl/_pretrained.py")
FEATURES = journey.load_stage("14", "library_impl/_features.py")


def transfer_flags(epochs: int | None = None) -> argparse.ArgumentParser:
    """The journey's deep-learning flags (``--data`` picks CIFAR-10 or the stand-in), plus
    ``--weights``, ``--image-size``, ``--n-train`` and ``--n-test``."""
    parser = deep_learning_flags(
        epochs=epochs, data=FEATURES.CIFAR_DATA, data_help=FEATURES.CIFAR_DATA_HELP
    )
    parser.add_argument(
        "--weights",
        choices=P.WEIGHT_CHOICES,
        default="auto",
        help="default: ImageNet weights (error if absent); none: random init; "
        "auto (default): ImageNet if available, else random init with a warning",
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
    return parser


def resolve_sizes(args) -> None:
    """Fill in the sizes left unset: full-size defaults, or small ones in quick mode."""
    quick = journey.is_quick()
    args.image_size = args.image_size or (64 if quick else 224)
    args.n_train = args.n_train or (200 if quick else 2000)
    args.n_test = args.n_test or (100 if quick else 500)


def exit_on_missing_files(run, args) -> None:
    """Call ``run(args)``; a missing weights file or dataset ends the script: message, exit 2."""
    try:
        run(args)
    except (P.MissingWeightsError, jdata.MissingDatasetError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
