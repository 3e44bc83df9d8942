"""Run the whole pipeline: data → seeded training → evaluation → artefacts → service → smoke → stop.

    ml_journey/bin/python -m pipeline            # 5 epochs (MNIST if present or online)
    ml_journey/bin/python -m pipeline --quick    # the stand-in, 12 batches: seconds

Writes outputs/pipeline/ (quick: outputs/pipeline/quick/): stage 11's weights, stage 16's
artefacts and manifest.json (library versions, seeds, data checksums, metrics, artefact
checksums, the service's answers). Run it twice: the metrics and the artefact bytes are equal.
"""

import argparse
import json
from pathlib import Path

import journey
from journey.cli import MNIST_DATA, deep_learning_flags
from pipeline.steps import Settings, run

QUICK_MAX_BATCHES = 12  # as stage 11's own quick run


def settings_from_arguments(argv=None) -> Settings:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline",
        description=__doc__.split("\n\n")[0],
        parents=[deep_learning_flags(epochs=5, data=MNIST_DATA)],
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="stand-in data, 1 epoch of 12 batches (also JOURNEY_QUICK=1)",
    )
    parser.add_argument(
        "--out-dir",
        type=Path,
        default=None,
        help="where the run goes (default outputs/pipeline, quick: outputs/pipeline/quick)",
    )
    parser.add_argument(
        "--no-service", action="store_true", help="stop after packaging (no server, no smoke)"
    )
    args = parser.parse_args(argv)
    quick = args.quick or journey.is_quick()
    default_dir = journey.OUTPUTS_DIR / "pipeline"
    out_dir = args.out_dir or (default_dir / "quick" if quick else default_dir)
    return Settings(
        out_dir=out_dir,
        quick=quick,
        seed=args.seed,
        epochs=1 if quick else args.epochs,
        max_batches=QUICK_MAX_BATCHES if quick else None,
        data="standin" if quick and args.data == "auto" else args.data,
        data_dir=args.data_dir,
        device=args.device,
        serve=not args.no_service,
    )


def main(argv=None) -> None:
    settings = settings_from_arguments(argv)
    manifest = run(settings)
    print(json.dumps(manifest["metrics"], indent=2))
    served = manifest["service"]
    if not served.get("skipped"):
        print(
            f"service answered /health with {served['health']['models']}, digit labels "
            f"{served['digit_labels']}, tumour {served['tabular_class']}; stopped"
        )
    print(f"manifest: {settings.out_dir / 'manifest.json'}")


if __name__ == "__main__":
    main()
