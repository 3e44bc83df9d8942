"""Run stages headless and write ``outputs/report.md``.

For each stage the runner executes every script in ``from_scratch/`` and ``library_impl/``
(files starting with ``_`` are helper modules and are skipped), then executes
``comparison.ipynb`` with nbclient (the executed copy goes to ``outputs/<stage>/``). Every
parity check those make is appended to ``outputs/<stage>/parity.jsonl`` through
``$JOURNEY_PARITY_LOG``; the report shows them, the figures written and the wall time.
Each stage also leaves ``run_status.json`` (and the notebook ``comparison.status.json``):
how its last run ended, which ``python -m journey book`` shows on the stage's chapter.
"""

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from journey.parity import ParityRecord, read_log
from journey.paths import REPO_ROOT, stage_output_dir
from journey.stages import Stage

SCRIPT_TIMEOUT_S = 3600
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class StageResult:
    """What one stage's run produced."""

    stage: Stage
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    records: list[ParityRecord] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)
    ran: list[str] = field(default_factory=list)

    @property
    def failed_checks(self) -> list[ParityRecord]:
        return [r for r in self.records if not r.passed]

    @property
    def ok(self) -> bool:
        return not self.errors and not self.failed_checks


def shown(path: Path) -> str:
    """A path relative to the repository when it lies inside it (as reports show it)."""
    try:
        return path.relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return str(path)


def stage_scripts(stage: Stage) -> list[Path]:
    """The runnable scripts of a stage in the order to run them: from-scratch first, then the
    library. ``_*.py`` files are helper modules, not scripts."""
    scripts = stage.scratch_scripts + stage.library_scripts
    return [p for p in scripts if not p.name.startswith("_")]


def _environment(stage: Stage, quick: bool, log: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(JOURNEY_PARITY_LOG=str(log), MPLBACKEND="Agg", PYTHONUNBUFFERED="1")
    if quick:
        env["JOURNEY_QUICK"] = "1"
    return env


def run_script(script: Path, env: dict[str, str], log_dir: Path) -> str | None:
    """Run one script in its own process; return an error message or None. Output goes to a log."""
    env = dict(env, JOURNEY_PARITY_SOURCE=shown(script))
    log_path = log_dir / f"{script.stem}.log"
    with open(log_path, "w", encoding="utf-8") as log:
        try:
            proc = subprocess.run(
                [sys.executable, str(script)],
                cwd=script.parent,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=SCRIPT_TIMEOUT_S,
            )
        except subprocess.TimeoutExpired:
            return f"{script.name} timed out after {SCRIPT_TIMEOUT_S} s (log: {log_path})"
    if proc.returncode != 0:
        tail = "".join(
            log_path.read_text(encoding="utf-8", errors="replace").splitlines(True)[-15:]
        )
        return f"{script.name} exited with {proc.returncode} (log: {log_path}):\n{tail}"
    return None


# The kernel's sockets are encrypted (CurveZMQ) where its kernelspec supports it.
ENCRYPTED_KERNEL_SOCKETS = {"KernelManager": {"transport_encryption": "auto"}}


def run_notebook(notebook: Path, env: dict[str, str], out_dir: Path) -> str | None:
    """Execute a notebook top to bottom in its own folder; save the executed copy in ``out_dir``."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    from traitlets.config import Config

    nb = nbformat.read(notebook, as_version=4)
    executed = out_dir / notebook.name
    executed.unlink(missing_ok=True)  # a failed run must never leave an older copy standing
    saved = dict(os.environ)
    os.environ.update(env, JOURNEY_PARITY_SOURCE=shown(notebook))
    os.environ.pop("MPLBACKEND", None)  # the kernel's inline backend embeds the figures
    error = f"{notebook.name} was interrupted"  # until the execution below ends
    try:
        NotebookClient(
            nb,
            timeout=1800,
            kernel_name="python3",
            resources={"metadata": {"path": str(notebook.parent)}},
            config=Config(ENCRYPTED_KERNEL_SOCKETS),
        ).execute()
        error = None
    except CellExecutionError as exc:
        plain = ANSI_ESCAPE.sub("", str(exc))  # tracebacks arrive coloured for a terminal
        error = f"{notebook.name} failed:\n{plain[-2000:]}"
    except Exception as exc:  # the kernel died, a cell timed out, ...
        error = f"{notebook.name} could not run: {type(exc).__name__}: {exc}"
    finally:
        os.environ.clear()
        os.environ.update(saved)
        nbformat.write(nb, executed)
        _write_status(out_dir / f"{notebook.stem}.status.json", error=error, quick=env)
    return error


def _write_status(path: Path, **status) -> None:
    """A small JSON record of how a run ended, read by ``python -m journey book``."""
    env = status.pop("quick")
    status.update(
        quick=env.get("JOURNEY_QUICK") == "1",
        finished=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    )
    path.write_text(json.dumps(status, indent=2), encoding="utf-8")


def run_stage(
    stage: Stage, *, quick: bool = False, notebooks: bool = True, echo=print
) -> StageResult:
    """Run a stage's scripts and notebook; collect its parity records and figures."""
    result = StageResult(stage)
    out_dir = stage_output_dir(stage.name)
    log_dir = out_dir / "logs"
    log_dir.mkdir(exist_ok=True)
    log = out_dir / "parity.jsonl"
    log.unlink(missing_ok=True)
    env = _environment(stage, quick, log)
    start = time.perf_counter()
    for script in stage_scripts(stage):
        echo(f"  running {shown(script)}")
        result.ran.append(script.name)
        if error := run_script(script, env, log_dir):
            result.errors.append(error)
    if notebooks and stage.notebook:
        echo(f"  executing {shown(stage.notebook)}")
        result.ran.append(stage.notebook.name)
        if error := run_notebook(stage.notebook, env, out_dir):
            result.errors.append(error)
    result.seconds = time.perf_counter() - start
    result.records = read_log(log)
    result.figures = sorted(out_dir.glob("*.png"))
    _write_status(
        out_dir / "run_status.json",
        ok=result.ok,
        errors=result.errors,
        failed_checks=[rec.line() for rec in result.failed_checks],
        quick=env,
    )
    return result


def _summary_table(results: list[StageResult]) -> str:
    import pandas as pd

    rows = [
        {
            "stage": r.stage.name,
            "checks": len(r.records),
            "failed": len(r.failed_checks),
            "errors": len(r.errors),
            "time (s)": f"{r.seconds:.1f}",
        }
        for r in results
    ]
    return pd.DataFrame(rows).to_markdown(index=False, disable_numparse=True)


def _checks_table(records: list) -> str:
    import pandas as pd

    rows = [
        {
            "check": rec.name,
            "scratch": rec.scratch,
            "library": rec.library,
            "abs error": _number(rec.abs_error),
            "rel error": _number(rec.rel_error),
            "tolerance": rec.tolerance,
            "ok": "✓" if rec.passed else "✗",
            "source": rec.source,
        }
        for rec in records
    ]
    table = pd.DataFrame(rows).replace({r"\|": r"\\|", "\n": " "}, regex=True)
    return table.to_markdown(index=False, disable_numparse=True)


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.3g}"


def report_markdown(results: list[StageResult], quick: bool) -> str:
    """The run as markdown: one table of checks per stage, figures, errors and wall time."""
    lines = [
        "# ML → DL Journey — run report",
        "",
        f"Mode: {'quick (JOURNEY_QUICK=1)' if quick else 'full'}. "
        "Each row compares the from-scratch value with the library value; ✓ means the "
        "difference (or the quality threshold) is within the stated tolerance.",
        "",
        _summary_table(results),
    ]
    for r in results:
        ran = ", ".join(r.ran) or "nothing (no code in this stage, by design)"
        lines += [
            "",
            f"## {r.stage.name} {'✓' if r.ok else '✗'}",
            "",
            f"Ran: {ran} — {r.seconds:.1f} s",
        ]
        if r.records:
            lines += ["", _checks_table(r.records)]
        if r.figures:
            links = ", ".join(f"[{p.name}]({r.stage.name}/{p.name})" for p in r.figures)
            lines += ["", "Figures: " + links]
        for error in r.errors:
            lines += ["", "```", error, "```"]
    return "\n".join(lines) + "\n"


def write_report(results: list[StageResult], quick: bool) -> Path:
    from journey import paths

    paths.OUTPUTS_DIR.mkdir(parents=True, exist_ok=True)
    path = paths.OUTPUTS_DIR / "report.md"
    path.write_text(report_markdown(results, quick), encoding="utf-8")
    return path
