"""Write it yourself: the exercise regions of the lesson files, stripped, restored and tracked.

A lesson file marks the lines a learner writes with a begin/end solution pair, the
convention of nbgrader and otter-grader, plus a one-line task and a hint::

    # BEGIN SOLUTION 01.1
    # task: the gradient of the mean squared error with respect to w and b
    # hint: with r = X·w + b − y: ∂L/∂w = (2/n) Xᵀr and ∂L/∂b = (2/n) Σ r
    residual = X @ w + b - y
    ...
    # END SOLUTION

``journey exercise NN`` copies the stage's from-scratch files into a workspace with every
region's body replaced by ``raise NotImplementedError("exercise 01.1: …")``; the markers
stay, so the region can be found again, reset, or compared with the reference.
"""

import re
from dataclasses import dataclass
from pathlib import Path

from journey.paths import REPO_ROOT
from journey.stages import Stage

BEGIN = re.compile(r"^(?P<indent>[ \t]*)# BEGIN SOLUTION (?P<id>\d\d\.\d+)[ \t]*$")
TASK = re.compile(r"^[ \t]*# task: (?P<text>.+?)[ \t]*$")
HINT = re.compile(r"^[ \t]*# hint: (?P<text>.+?)[ \t]*$")
END = re.compile(r"^[ \t]*# END SOLUTION[ \t]*$")
DEFAULT_WORKSPACE = REPO_ROOT / "workspace"


@dataclass(frozen=True)
class Exercise:
    """One marked region: where it is, what to write, and the reference lines."""

    id: str
    task: str
    hint: str
    indent: str
    body: tuple[str, ...]  # the lines between the hint and END, newlines included

    @property
    def stub(self) -> str:
        message = f"exercise {self.id}: {self.task} — hint: {self.hint}; see notes.md, 'Your turn'"
        return f"{self.indent}raise NotImplementedError({message!r})\n"


def parse(text: str, relative_path: str = "?") -> list[Exercise]:
    """Every exercise region in ``text``, in order; malformed markers raise ``ValueError``."""
    lines = text.splitlines(keepends=True)
    exercises, i = [], 0
    while i < len(lines):
        begin = BEGIN.match(lines[i])
        if END.match(lines[i]):
            raise ValueError(f"{relative_path}:{i + 1}: END SOLUTION without a BEGIN")
        if not begin:
            i += 1
            continue
        task, hint = _task_and_hint(lines, i, relative_path)
        end = _find_end(lines, i + 3, relative_path, begin["id"])
        body = tuple(lines[i + 3 : end])
        exercises.append(Exercise(begin["id"], task, hint, begin["indent"], body))
        i = end + 1
    return exercises


def _task_and_hint(lines: list[str], i: int, where: str) -> tuple[str, str]:
    task = TASK.match(lines[i + 1]) if i + 1 < len(lines) else None
    hint = HINT.match(lines[i + 2]) if i + 2 < len(lines) else None
    if not (task and hint):
        raise ValueError(
            f"{where}:{i + 1}: BEGIN SOLUTION must be followed by '# task: …' and '# hint: …'"
        )
    return task["text"], hint["text"]


def _find_end(lines: list[str], start: int, where: str, exercise_id: str) -> int:
    for j in range(start, len(lines)):
        if BEGIN.match(lines[j]):
            raise ValueError(f"{where}:{j + 1}: exercise {exercise_id} is not closed before")
        if END.match(lines[j]):
            return j
    raise ValueError(f"{where}: exercise {exercise_id} has no END SOLUTION")


def _replace_bodies(text: str, new_body) -> str:
    """``text`` with each region's body replaced by ``new_body(exercise)`` (a list of lines)."""
    lines = text.splitlines(keepends=True)
    out, i = [], 0
    while i < len(lines):
        begin = BEGIN.match(lines[i])
        if not begin:
            out.append(lines[i])
            i += 1
            continue
        end = _find_end(lines, i + 3, "?", begin["id"])
        exercise = parse("".join(lines[i : end + 1]))[0]
        out += lines[i : i + 3] + list(new_body(exercise)) + [lines[end]]
        i = end + 1
    return "".join(out)


def strip(text: str) -> str:
    """The learner's version: every region's body becomes its ``NotImplementedError`` stub."""
    return _replace_bodies(text, lambda exercise: [exercise.stub])


def restore(text: str, reference: str, exercise_id: str | None = None) -> str:
    """Put the reference body back into one region (or all of them when ``exercise_id`` is None)."""
    bodies = {ex.id: ex.body for ex in parse(reference)}

    def body(exercise):
        if exercise_id in (None, exercise.id):
            return bodies[exercise.id]
        return exercise.body

    return _replace_bodies(text, body)


def is_started(exercise: Exercise) -> bool:
    """False while the region still holds nothing but its stub."""
    return "".join(exercise.body) != exercise.stub


def stage_exercises(stage: Stage, root: Path | None = None) -> list[Exercise]:
    """The exercises of a stage's lesson files (in ``root``, a workspace, when given), by id."""
    folder = (root / stage.name) if root else stage.path
    exercises = []
    for reference in stage.scratch_scripts:
        relative = reference.relative_to(stage.path).as_posix()
        path = folder / relative
        if path.is_file():
            exercises += parse(path.read_text(encoding="utf-8"), relative)
    return sorted(exercises, key=lambda ex: int(ex.id.split(".")[1]))  # 17.1, 17.2, … 17.10


def workspace_root(workspace: str | Path | None) -> Path:
    """The workspace folder; a relative path is taken from the repository root."""
    path = Path(workspace) if workspace else DEFAULT_WORKSPACE
    return path if path.is_absolute() else REPO_ROOT / path


def write_workspace(stage: Stage, workspace: Path) -> list[tuple[Path, bool]]:
    """Copy the stage's lesson files, stripped, into ``workspace``; never overwrite.

    Returns ``(path, written)`` for each file: ``written`` is False for a file the learner
    already has.
    """
    results = []
    for reference in stage.scratch_scripts:
        target = workspace / stage.name / reference.relative_to(stage.path)
        if target.exists():
            results.append((target, False))
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(strip(reference.read_text(encoding="utf-8")), encoding="utf-8")
        results.append((target, True))
    return results


def reset_exercise(stage: Stage, exercise_id: str, workspace: Path) -> Path:
    """Put one exercise back to its stub in the learner's file, leaving the rest alone."""
    for reference in stage.scratch_scripts:
        relative = reference.relative_to(stage.path)
        reference_text = reference.read_text(encoding="utf-8")
        if exercise_id not in {ex.id for ex in parse(reference_text)}:
            continue
        target = workspace / stage.name / relative
        if not target.is_file():
            raise FileNotFoundError(
                f"{target} does not exist: run `python -m journey exercise {stage.number}` first"
            )
        stubbed = strip(reference_text)
        target.write_text(
            restore(target.read_text(encoding="utf-8"), stubbed, exercise_id), encoding="utf-8"
        )
        return target
    known = ", ".join(ex.id for ex in stage_exercises(stage)) or "none"
    raise LookupError(f"stage {stage.name} has no exercise {exercise_id}; its exercises: {known}")
