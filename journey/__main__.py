"""``python -m journey`` — list the stages, run them, write the report.

python -m journey list
python -m journey run                 # every stage, full size
python -m journey run 01 02 --quick   # two stages, shrunk data and epochs
python -m journey book                # the last run as a static site in outputs/book/

Write it yourself:
python -m journey exercise 01         # stage 01's lesson files, exercises stripped, in workspace/
python -m journey check 01            # grade them with the stage's own parity tests
python -m journey progress            # every stage's exercises: done, failing, not started
"""

import argparse
import sys
from pathlib import Path

from journey.stages import find_stage, list_stages


def cmd_list_stage(key: str) -> int:
    """The exact commands of one stage, in the order to run them."""
    from journey.runner import shown, stage_scripts

    stage = _stage_or_exit(key)
    python = shown(Path(sys.executable))
    print(f"{stage.name} — from the repository root, in this order:")
    if stage.notes:
        print(f"  read   {shown(stage.notes)}")
    step = 0
    for script in stage_scripts(stage):
        step += 1
        print(f"  {step}.  {python} {shown(script)}")
    if stage.notebook:
        print(f"  {step + 1}.  make lab   → open {shown(stage.notebook)}, run it top to bottom")
    for test in stage.tests:
        print(f'  check  {python} -m pytest {shown(test)} -m "not slow"')
    return 0


def cmd_list(args) -> int:
    if args.stage:
        return cmd_list_stage(args.stage)
    from journey.runner import stage_scripts

    print(f"{'stage':<28} {'scratch':>7} {'library':>7} {'notebook':>8} {'notes':>5} {'tests':>5}")
    for s in list_stages():
        notebook, notes = ("yes" if s.notebook else "-"), ("yes" if s.notes else "-")
        scripts = stage_scripts(s)
        scratch = sum(p.parent.name == "from_scratch" for p in scripts)
        print(
            f"{s.name:<28} {scratch:>7} {len(scripts) - scratch:>7} "
            f"{notebook:>8} {notes:>5} {len(s.tests):>5}"
        )
    print("scripts counted are the runnable ones (_*.py files are helper modules)")
    print("python -m journey list NN   prints a stage's commands in the order to run them")
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


def _stage_or_exit(key: str):
    try:
        return find_stage(key)
    except LookupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def cmd_exercise(args) -> int:
    from journey.exercises import reset_exercise, workspace_root, write_workspace

    stage, workspace = _stage_or_exit(args.stage), workspace_root(args.workspace)
    if args.reset:
        try:
            path = reset_exercise(stage, args.reset, workspace)
        except (LookupError, FileNotFoundError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"exercise {args.reset} is a stub again in {path}")
        return 0
    for path, written in write_workspace(stage, workspace):
        print(f"{'wrote' if written else 'kept yours'}: {path}")
    print(f"edit the files above, then: python -m journey check {stage.number}")
    return 0


def cmd_check(args) -> int:
    from journey.exercise_check import check
    from journey.exercises import workspace_root

    stage = _stage_or_exit(args.stage)
    try:
        verdicts = check(stage, workspace_root(args.workspace), args.exercise, args.verbose)
    except (LookupError, FileNotFoundError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for verdict in verdicts:
        print(verdict.line())
    passed = sum(v.status == "pass" for v in verdicts)
    waiting = sum(v.status == "not started" for v in verdicts)
    print(f"{stage.name}: {passed}/{len(verdicts)} exercises pass, {waiting} not started")
    return 0 if passed == len(verdicts) else 1


def cmd_progress(args) -> int:
    from journey.exercise_check import progress_rows
    from journey.exercises import workspace_root

    rows, done, total = progress_rows(workspace_root(args.workspace))
    width = max(len(name) for name, _ in rows)
    for name, cells in rows:
        print(f"{name:<{width}}  {cells}")
    print(
        "✓ passes  ✗ fails  … waits for another  ○ no test grades it  ? not checked since edited"
        "  · stub  - not copied"
    )
    print(f"done: {done}/{total} exercises")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m journey",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    listing = sub.add_parser("list", help="every stage; with NN, that stage's commands in order")
    listing.add_argument("stage", nargs="?", help="a stage number (01) or folder name")
    listing.set_defaults(func=cmd_list)
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
    workspace_help = "the learner's folder (default: workspace/ at the repository root)"
    exercise = sub.add_parser("exercise", help="copy a stage's lesson files, exercises stripped")
    exercise.add_argument("stage", help="stage number (01) or folder name")
    exercise.add_argument("--workspace", default=None, help=workspace_help)
    exercise.add_argument("--reset", metavar="NN.K", help="make one exercise a stub again")
    exercise.set_defaults(func=cmd_exercise)
    check = sub.add_parser("check", help="grade your exercises with the stage's parity tests")
    check.add_argument("stage", help="stage number (01) or folder name")
    check.add_argument("exercise", nargs="?", help="one exercise id (01.2); default: all")
    check.add_argument("--workspace", default=None, help=workspace_help)
    check.add_argument("-v", "--verbose", action="store_true", help="show the tests' output")
    check.set_defaults(func=cmd_check)
    progress = sub.add_parser("progress", help="a table of every stage's exercises")
    progress.add_argument("--workspace", default=None, help=workspace_help)
    progress.set_defaults(func=cmd_progress)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
