"""One record type for a comparison between a from-scratch result and a library result.

A *check* compares two independently computed values (or a value with a threshold) and
keeps everything a reader needs to judge it: name, both values, absolute and relative
error, the tolerance and the verdict. Checks made inside a run of ``python -m journey run``
are appended to the JSON-lines file named by ``$JOURNEY_PARITY_LOG``, which the runner
turns into ``outputs/report.md``.

    rel_error = max|a - b| / max(1e-12, max(|a| + |b|))

Use ``close`` for numbers/arrays that should agree to a tolerance, ``equal`` for labels
that must be identical, and ``at_least`` / ``at_most`` for quality thresholds.
"""

import json
import os
from dataclasses import asdict, dataclass

import numpy as np

from journey.gradcheck import relative_error

_SESSION: list["ParityRecord"] = []
_echo = not os.environ.get("JOURNEY_PARITY_SILENT")


def set_echo(enabled: bool) -> None:
    """Print each check as it is made (the default), or not — e.g. in a notebook that shows
    ``parity.table()`` at the end. ``JOURNEY_PARITY_SILENT=1`` switches it off for a process."""
    global _echo
    _echo = bool(enabled)


@dataclass
class ParityRecord:
    """The outcome of one comparison."""

    name: str
    scratch: str
    library: str
    abs_error: float | None
    rel_error: float | None
    tolerance: str
    passed: bool
    source: str = ""

    def line(self) -> str:
        mark = "✓" if self.passed else "✗"
        err = (
            ""
            if self.abs_error is None
            else f"  abs {self.abs_error:.3g}  rel {self.rel_error:.3g}"
        )
        values = f"scratch {self.scratch}  library {self.library}"
        return f"{mark} {self.name}: {values}{err}  ({self.tolerance})"


def summarise(value) -> str:
    """A short, readable rendering of a scalar or an array for a report table."""
    arr = np.asarray(value)
    if arr.ndim == 0:
        item = arr.item()
        if isinstance(item, float):
            return f"{item:.6g}"
        return str(item)
    if arr.size <= 4:
        return np.array2string(arr, precision=6, separator=", ")
    return f"array{arr.shape}"


def _record(record: ParityRecord, raise_on_fail: bool) -> ParityRecord:
    record.source = os.environ.get("JOURNEY_PARITY_SOURCE", "")
    _SESSION.append(record)
    log = os.environ.get("JOURNEY_PARITY_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(asdict(record)) + "\n")
    if _echo:
        print(record.line())
    if raise_on_fail and not record.passed:
        raise AssertionError(f"parity check failed: {record.line()}")
    return record


def close(
    name: str,
    scratch,
    library,
    *,
    rtol: float | None = None,
    atol: float | None = None,
    raise_on_fail: bool = False,
) -> ParityRecord:
    """Pass when the relative error is ≤ ``rtol`` (with ``atol``: the absolute error ≤ ``atol``)."""
    if (rtol is None) == (atol is None):
        raise ValueError("give exactly one of rtol= or atol=")
    a = np.asarray(scratch, dtype=np.float64)
    b = np.asarray(library, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"{name}: scratch shape {a.shape} differs from library shape {b.shape}")
    abs_err = float(np.max(np.abs(a - b))) if a.size else 0.0
    rel_err = relative_error(a, b)
    if rtol is not None:
        passed, tol = rel_err <= rtol, f"rel ≤ {rtol:g}"
    else:
        passed, tol = abs_err <= atol, f"abs ≤ {atol:g}"
    passed = bool(passed and np.all(np.isfinite(a)) and np.all(np.isfinite(b)))
    return _record(
        ParityRecord(name, summarise(scratch), summarise(library), abs_err, rel_err, tol, passed),
        raise_on_fail,
    )


def equal(name: str, scratch, library, *, raise_on_fail: bool = False) -> ParityRecord:
    """Pass when the two arrays are identical (labels, tree structure, ...)."""
    a, b = np.asarray(scratch), np.asarray(library)
    same_shape = a.shape == b.shape
    n_diff = int(np.count_nonzero(a != b)) if same_shape else max(a.size, b.size)
    record = ParityRecord(
        name,
        summarise(scratch),
        summarise(library),
        None,
        None,
        f"identical ({n_diff} differ)",
        same_shape and n_diff == 0,
    )
    return _record(record, raise_on_fail)


def at_least(name: str, value, threshold: float, **options) -> ParityRecord:
    """Pass when ``value`` (and ``library=`` when given) is ≥ ``threshold``.

    ``side="library"`` says that ``value`` is the library's (a quality bar for a PyTorch
    model, say): the report then shows it under "library", not under "scratch".
    ``raise_on_fail=True`` raises ``AssertionError`` when the check fails.
    """
    return _threshold(name, value, threshold, "≥", **options)


def at_most(name: str, value, threshold: float, **options) -> ParityRecord:
    """Pass when ``value`` (and ``library=`` when given) is ≤ ``threshold`` (options as above)."""
    return _threshold(name, value, threshold, "≤", **options)


def _threshold(
    name, value, threshold, op, *, library=None, side="scratch", raise_on_fail=False
) -> ParityRecord:
    if side not in ("scratch", "library"):
        raise ValueError(f"side must be 'scratch' or 'library', got {side!r}")
    if side == "library" and library is not None:
        raise ValueError("side='library' already says whose value it is: drop library=")
    values = [float(value)] + ([] if library is None else [float(library)])
    within = (lambda v: v >= threshold) if op == "≥" else (lambda v: v <= threshold)
    passed = all(np.isfinite(v) and within(v) for v in values)
    shown = [summarise(value), "—" if library is None else summarise(library)]
    scratch, lib = shown if side == "scratch" else ("—", shown[0])
    record = ParityRecord(name, scratch, lib, None, None, f"{op} {threshold:g}", passed)
    return _record(record, raise_on_fail)


def session_records() -> list[ParityRecord]:
    """The checks made so far in this Python process (a notebook's table, for instance)."""
    return list(_SESSION)


def table(records: list[ParityRecord] | None = None):
    """The checks as a pandas DataFrame (this process's checks by default)."""
    import pandas as pd

    rows = [asdict(r) for r in (session_records() if records is None else records)]
    columns = ["name", "scratch", "library", "abs_error", "rel_error", "tolerance", "passed"]
    return pd.DataFrame(rows, columns=columns + ["source"])[columns]


def read_log(path) -> list[ParityRecord]:
    """Read the records a run appended to a JSON-lines log."""
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as fh:
        return [ParityRecord(**json.loads(line)) for line in fh if line.strip()]
