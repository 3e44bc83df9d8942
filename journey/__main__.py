"""``python -m journey`` — list the stages, run them, write the report.

python -m journey list
python -m journey run                 # every stage, full size
python -m journey run 01 02 --quick   # two stages, shrunk data and epochs
python -m journey book                # the last run as a static site in outputs/book/
"""

import argparse
import sys
from pathlib import Path

from journey.stages import find_stage, list_stages


def cmd_list(_args) -> int:
    print(f"{'stage':<28} {'scratch':>7} {'library':>7} {'notebook':>8} {'notes':>5} {'tests':>5}")
    for s in list_stages():
        notebook, notes = ("yes" if s.notebook else "-"), ("yes" if s.notes else "-")
        print(
            f"{s.name:<28} {len(s.scratch_scripts):>7} {len(s.library_scripts):>7} "
            f"{notebook:>8} {notes:>5} {len(s.tests):>5}"
        )
    return 0


def cmd_run(args) -> int:
    from journey.runner import run_stage, write_report

    try:
        stages = [find_stage(key) for key in args.stages] if args.stages else list_stages()
    except LookupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    results = []
    for stage in stages:
        print(f"== {stage.name}", flush=True)
        result = run_stage(stage, quick=args.quick, notebooks=not args.no_notebooks)
        for rec in result.failed_checks:
            print(f"  FAILED CHECK {rec.line()}")
        for err in result.errors:
            print(f"  ERROR {err}")
        print(
            f"  {'ok' if result.ok else 'FAILED'}: {len(result.records)} checks "
            f"in {result.seconds:.1f} s",
            flush=True,
        )
        results.append(result)
    path = write_report(results, args.quick)
    failed = [r.stage.name for r in results if not r.ok]
    print(f"report written: {path}")
    if failed:
        print(f"failed stages: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def cmd_book(args) -> int:
    from journey.book import build_book

    try:
        site = build_book(site=args.out)
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"book written: {site / 'index.html'}")
    print(f"open it in a browser, or serve it: python -m http.server -d {site}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m journey",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="every stage and what it has").set_defaults(func=cmd_list)
    run = sub.add_parser("run", help="run stages' scripts and notebooks, write outputs/report.md")
    run.add_argument("stages", nargs="*", help="stage numbers (01) or folder names; default: all")
    run.add_argument(
        "--quick", action="store_true", help="shrink data and epochs (JOURNEY_QUICK=1)"
    )
    run.add_argument("--no-notebooks", action="store_true", help="run the scripts only")
    run.set_defaults(func=cmd_run)
    book = sub.add_parser("book", help="build the static site of the last run in outputs/book/")
    book.add_argument("--out", type=Path, default=None, help="site folder (default outputs/book)")
    book.set_defaults(func=cmd_book)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
