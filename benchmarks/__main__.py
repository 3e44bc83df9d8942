"""``python -m benchmarks`` — time every scratch/library pair and write ``outputs/bench.md``.

python -m benchmarks                 # every case, full size (make bench)
python -m benchmarks --only knn      # cases whose name contains "knn"
python -m benchmarks --quick         # small sizes, one repeat: a smoke test
"""

import argparse
import sys

from benchmarks.cases import CASES
from benchmarks.harness import markdown_table, run_case
from journey import OUTPUTS_DIR


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--repeats", type=int, default=5, help="timed repeats per side (median reported)"
    )
    parser.add_argument("--only", default="", help="run only cases whose name contains this text")
    parser.add_argument("--quick", action="store_true", help="small sizes and one repeat")
    parser.add_argument("--output", default=str(OUTPUTS_DIR / "bench.md"))
    args = parser.parse_args(argv)

    cases = [c for c in CASES if args.only.lower() in c.name.lower()]
    if not cases:
        print(
            f"no case matches {args.only!r}; cases: {', '.join(c.name for c in CASES)}",
            file=sys.stderr,
        )
        return 2
    repeats = 1 if args.quick else args.repeats
    timings = []
    for i, case in enumerate(cases, start=1):
        timing = run_case(case, repeats, args.quick)
        print(
            f"[{i}/{len(cases)}] {case.name}: scratch {timing.scratch_s:.4f} s, "
            f"library {timing.library_s:.4f} s, ratio {timing.ratio:.2f}× "
            f"(target ≤ {case.target_ratio:g}×), difference {timing.difference:.2g}",
            flush=True,
        )
        timings.append(timing)
    table = markdown_table(timings, repeats)
    with open(args.output, "w", encoding="utf-8") as fh:
        fh.write(table)
    print(table)
    print(f"written: {args.output}")
    disagreeing = [t.case.name for t in timings if not t.agrees]
    if disagreeing:
        print(f"results disagree beyond tolerance: {', '.join(disagreeing)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
