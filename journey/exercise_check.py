"""``journey check`` and ``journey progress``: grade a learner's exercises with the stage tests.

The grader is the stage's own test file, not a copy: it runs with ``JOURNEY_WORKSPACE``
pointing at the learner's folder, so ``journey.load_stage`` imports the learner's version
of that stage's lesson files (every other stage keeps the reference).
"""

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

from journey.exercises import Exercise, is_started, stage_exercises
from journey.paths import REPO_ROOT
from journey.stages import Stage, list_stages

PROGRESS_FILE = ".journey_progress.json"


@dataclass
class Verdict:
    exercise: Exercise
    status: str  # "pass", "fail", "waiting", "not graded" or "not started"
    detail: str = ""
    test: str = ""  # the failing test, when a test failed

    def line(self) -> str:
        marks = {"pass": "✓", "fail": "✗", "waiting": "…", "not graded": "○", "not started": "·"}
        mark = marks[self.status]
        text = f"{mark} {self.exercise.id}  {self.exercise.task}"
        if self.status == "not started":
            return f"{text} — not started"
        return f"{text} — {self.detail}" if self.detail else text


def run_stage_tests(stage: Stage, workspace: Path, only: str | None, verbose: bool) -> list:
    """Run the stage's exercise tests against ``workspace``; return the plugin's records."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        env = dict(
            os.environ,
            JOURNEY_WORKSPACE=str(workspace),
            JOURNEY_WORKSPACE_STAGES=stage.number,
            JOURNEY_CHECK_REPORT=str(report),
            JOURNEY_CHECK_ONLY=only or "",
        )
        command = [sys.executable, "-m", "pytest", *map(str, stage.tests), "-m", "not slow"]
        command += ["-p", "journey.exercise_plugin", "-p", "no:cacheprovider", "-q"]
        command += ["--tb=short"] if verbose else ["--tb=no", "--no-header", "-rN"]
        command += ["-x"] if os.environ.get("JOURNEY_CHECK_FAIL_FAST") == "1" else []
        proc = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=not verbose)
        if not report.is_file():
            output = (proc.stdout or b"").decode(errors="replace")[-3000:]
            raise RuntimeError(f"the tests of {stage.name} could not run:\n{output}")
        return json.loads(report.read_text(encoding="utf-8"))


def check_many(stage: Stage, jobs: list[tuple[Path, str]]) -> list[Verdict]:
    """Grade several workspaces of ``stage`` — ``(workspace, exercise id or None for all)``
    pairs — in one process, one after the other, for the mistake catalogue; the verdicts of
    every job in order."""
    with tempfile.TemporaryDirectory() as tmp:
        specs = [
            {"workspace": str(ws), "stage": stage.number, "only": only, "report": f"{tmp}/{i}"}
            for i, (ws, only) in enumerate(jobs)
        ]
        spec_file = Path(tmp) / "jobs.json"
        spec_file.write_text(json.dumps({"tests": list(map(str, stage.tests)), "jobs": specs}))
        env = dict(os.environ, PYTEST_ADDOPTS="-p journey.exercise_plugin")
        command = [sys.executable, "-m", "journey.exercise_batch", str(spec_file)]
        proc = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True)
        result = []
        for (workspace, only), job in zip(jobs, specs, strict=True):
            report = Path(job["report"])
            if not report.is_file():
                output = proc.stdout.decode(errors="replace")[-3000:]
                raise RuntimeError(f"grading {workspace} did not run:\n{output}")
            exercises = stage_exercises(stage, root=workspace)
            exercises = [ex for ex in exercises if only is None or ex.id == only]
            records = json.loads(report.read_text(encoding="utf-8"))
            result += verdicts(exercises, records)
        return result


def verdicts(exercises: list[Exercise], records: list[dict]) -> list[Verdict]:
    """One verdict per exercise from its region and the results of its tests."""
    not_started = {ex.id for ex in exercises if not is_started(ex)}
    broken = [r for r in records if r["outcome"] == "collection error"]
    result = []
    for exercise in exercises:
        if exercise.id in not_started:
            result.append(Verdict(exercise, "not started"))
            continue
        mine = [r for r in records if exercise.id in r["exercises"]]
        failed = [r for r in mine if r["outcome"] == "failed"]
        passed = [r for r in mine if r["outcome"] == "passed"]
        if broken:
            result.append(_not_loaded(exercise, broken[0]))
        elif not failed and not passed:
            why = f"its {len(mine)} test(s) were skipped" if mine else "no test grades it"
            result.append(Verdict(exercise, "not graded", why))
        elif not failed:
            result.append(Verdict(exercise, "pass", f"{len(passed)} test(s) pass"))
        else:
            # the most specific test first: one that grades this exercise alone
            failed.sort(key=lambda r: len(r["exercises"]))
            result.append(_failure(exercise, failed[0], not_started))
    return result


def _not_loaded(exercise: Exercise, record: dict) -> Verdict:
    """The test file did not even import: a SyntaxError in the learner's file, say."""
    message = textwrap.indent(record["message"].strip(), "    ")
    return Verdict(exercise, "fail", f"{record['test']} could not be loaded:\n{message}")


def _failure(exercise: Exercise, record: dict, not_started: set) -> Verdict:
    message = record["message"].strip()
    blocking = [i for i in sorted(not_started) if f"exercise {i}:" in message]
    if blocking:
        return Verdict(exercise, "waiting", f"needs {', '.join(blocking)} (not started yet)")
    lines = [line.strip() for line in message.splitlines()[:2]] or ["failed"]
    detail = f"{record['test']}: {' '.join(lines)[:300]}"
    return Verdict(exercise, "fail", detail, test=record["test"])


def check(stage: Stage, workspace: Path, only: str | None = None, verbose: bool = False):
    """Grade the learner's exercises of ``stage``; return the verdicts."""
    exercises = stage_exercises(stage, root=workspace)
    if not exercises:
        raise FileNotFoundError(
            f"no exercises of {stage.name} in {workspace}: "
            f"run `python -m journey exercise {stage.number}` first"
        )
    if only:
        exercises = [ex for ex in exercises if ex.id == only]
        if not exercises:
            raise LookupError(f"{stage.name} has no exercise {only} in {workspace}")
    started = [ex for ex in exercises if is_started(ex)]
    records = run_stage_tests(stage, workspace, only, verbose) if started else []
    result = verdicts(exercises, records)
    _remember(workspace, result)
    return result


def _fingerprint(exercise: Exercise) -> str:
    return hashlib.sha256("".join(exercise.body).encode()).hexdigest()[:16]


def _remember(workspace: Path, result: list[Verdict]) -> None:
    path = workspace / PROGRESS_FILE
    memory = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    for verdict in result:
        memory[verdict.exercise.id] = {
            "status": verdict.status,
            "fingerprint": _fingerprint(verdict.exercise),
        }
    path.write_text(json.dumps(memory, indent=1, sort_keys=True), encoding="utf-8")


def progress_rows(workspace: Path) -> tuple[list[tuple[str, str]], int, int]:
    """``(stage, cells)`` rows, the exercises passed and the exercises in all."""
    path = workspace / PROGRESS_FILE
    memory = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    rows, done, total = [], 0, 0
    for stage in list_stages():
        reference = stage_exercises(stage)
        if not reference:
            continue
        mine = {ex.id: ex for ex in stage_exercises(stage, root=workspace)}
        cells = []
        for exercise in reference:
            mark = _progress_mark(mine.get(exercise.id), memory.get(exercise.id))
            done += mark == "✓"
            cells.append(f"{exercise.id} {mark}")
        total += len(reference)
        rows.append((stage.name, "  ".join(cells)))
    return rows, done, total


def _progress_mark(exercise: Exercise | None, remembered: dict | None) -> str:
    if exercise is None:
        return "-"  # not in the workspace yet
    if not is_started(exercise):
        return "·"
    if not remembered or remembered["fingerprint"] != _fingerprint(exercise):
        return "?"  # written, not checked since
    return {"pass": "✓", "fail": "✗", "waiting": "…", "not graded": "○"}.get(
        remembered["status"], "?"
    )
