"""Timing harness: median of several repeats after a warm-up, with a parity check on the results.

A *case* prepares data once and returns two callables doing the same work — the
from-scratch one and the library one — plus a function measuring how far apart their
results are. Both are timed the same way; the table reports medians and their ratio.
"""

import os
import platform
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from journey.timing import median_time


@dataclass
class Prepared:
    """The two sides of a benchmark, ready to call, and how to compare their outputs."""

    scratch: Callable[[], object]
    library: Callable[[], object]
    difference: Callable[[object, object], float]
    tolerance: float
    difference_kind: str = "rel"


@dataclass
class Case:
    """One scratch-vs-library pair at a stated size."""

    name: str
    size: str
    target_ratio: float
    prepare: Callable[[bool], Prepared]


@dataclass
class Timing:
    case: Case
    scratch_s: float
    library_s: float
    difference: float
    difference_kind: str
    tolerance: float

    @property
    def agrees(self) -> bool:
        return bool(self.difference <= self.tolerance)

    @property
    def ratio(self) -> float:
        return self.scratch_s / self.library_s

    @property
    def meets_target(self) -> bool:
        return self.ratio <= self.case.target_ratio


def run_case(case: Case, repeats: int, quick: bool) -> Timing:
    prepared = case.prepare(quick)
    scratch_s, scratch_out = median_time(prepared.scratch, repeats)
    library_s, library_out = median_time(prepared.library, repeats)
    return Timing(
        case,
        scratch_s,
        library_s,
        prepared.difference(scratch_out, library_out),
        prepared.difference_kind,
        prepared.tolerance,
    )


def machine_description() -> list[str]:
    """CPU, cores and library versions, for the top of the table."""
    import sklearn
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            cpu = next(
                line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")
            )
    except (OSError, StopIteration):
        pass
    return [
        f"- machine: {cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        f"- python {platform.python_version()}, numpy {np.__version__}, "
        f"scikit-learn {sklearn.__version__}, torch {torch.__version__} "
        f"({torch.get_num_threads()} threads)",
    ]


def _seconds(s: float) -> str:
    return f"{s * 1e3:.2f} ms" if s < 1 else f"{s:.2f} s"


def markdown_table(timings: list[Timing], repeats: int) -> str:
    lines = [
        "# Scratch vs library benchmarks",
        "",
        *machine_description(),
        f"- median of {repeats} repeats after one warm-up; ratio = scratch / library",
        "",
        "| pair | size | scratch median | library median | ratio | target | max parity error |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for t in timings:
        mark = "✓" if t.meets_target else "✗"
        agree = "✓" if t.agrees else "✗"
        lines.append(
            f"| {t.case.name} | {t.case.size} | {_seconds(t.scratch_s)} | "
            f"{_seconds(t.library_s)} | "
            f"{t.ratio:.2f}× | ≤ {t.case.target_ratio:g}× {mark} | "
            f"{t.difference:.2g} {t.difference_kind} (≤ {t.tolerance:g} {agree}) |"
        )
    return "\n".join(lines) + "\n"
