"""``journey exercise`` / ``check`` / ``progress``: the stripped lessons import, the reference
passes its own grader, and every catalogued learner mistake is reported ✗."""

import shutil

import pytest
from exercise_mistakes import MISTAKES

from journey import list_stages, load_stage
from journey.exercise_check import check, check_many, progress_rows, verdicts
from journey.exercises import stage_exercises, write_workspace

STAGES = [s for s in list_stages() if stage_exercises(s)]


def _reference_workspace(stage, root):
    target = root / stage.name / "from_scratch"
    shutil.copytree(
        stage.path / "from_scratch", target, ignore=shutil.ignore_patterns("__pycache__")
    )
    return root


def test_every_exercise_has_a_catalogued_mistake():
    exercises = sorted(ex.id for s in list_stages() for ex in stage_exercises(s))
    assert exercises == sorted({m.exercise for m in MISTAKES})


@pytest.mark.parametrize("stage", STAGES, ids=lambda s: s.name)
def test_stripped_lessons_import_and_every_exercise_is_not_started(stage, tmp_path, monkeypatch):
    write_workspace(stage, tmp_path)
    monkeypatch.setenv("JOURNEY_WORKSPACE", str(tmp_path))
    monkeypatch.setenv("JOURNEY_WORKSPACE_STAGES", stage.number)
    for path in stage.scratch_scripts:
        module = load_stage(stage.number, path.relative_to(stage.path).as_posix())
        assert str(tmp_path) in module.__file__
    verdicts = check(stage, tmp_path)
    assert [v.status for v in verdicts] == ["not started"] * len(verdicts)
    rows, done, _ = progress_rows(tmp_path)
    assert done == 0
    assert dict(rows)[stage.name] == "  ".join(f"{v.exercise.id} ·" for v in verdicts)


def test_writing_a_workspace_never_overwrites_the_learners_file(tmp_path):
    stage = STAGES[0]
    write_workspace(stage, tmp_path)
    mine = tmp_path / stage.name / stage.scratch_scripts[0].relative_to(stage.path)
    mine.write_text("# my own work\n")
    results = write_workspace(stage, tmp_path)
    assert mine.read_text() == "# my own work\n"
    assert (mine, False) in results


@pytest.mark.parametrize("number", ["01", "10"])
def test_the_reference_passes_its_own_grader(number, tmp_path):
    stage = next(s for s in STAGES if s.number == number)
    verdicts = check(stage, _reference_workspace(stage, tmp_path))
    failed = [v.line() for v in verdicts if v.status != "pass"]
    assert not failed, "\n".join(failed)


def test_a_file_that_no_longer_imports_is_shown_with_its_error(tmp_path):
    stage = next(s for s in STAGES if s.number == "01")
    workspace = _reference_workspace(stage, tmp_path)
    lesson = workspace / stage.name / stage.scratch_scripts[0].relative_to(stage.path)
    lesson.write_text(lesson.read_text(encoding="utf-8") + "\ndef broken(:\n", encoding="utf-8")
    verdicts = check(stage, workspace)
    assert {v.status for v in verdicts} == {"fail"}
    assert all("SyntaxError" in v.detail and "could not be loaded" in v.detail for v in verdicts)


def test_only_a_passed_test_counts_a_skipped_one_grades_nothing():
    exercise = stage_exercises(STAGES[0])[0]

    def record(outcome):
        return {"test": "test_x", "exercises": [exercise.id], "outcome": outcome, "message": ""}

    def status(*outcomes):
        return verdicts([exercise], [record(o) for o in outcomes])[0].status

    assert status("skipped") == status("skipped", "skipped") == status() == "not graded"
    assert status("passed", "skipped") == "pass"
    assert status("passed", "failed") == "fail"


MISTAKE_STAGES = sorted({m.stage for m in MISTAKES})


@pytest.mark.parametrize("number", MISTAKE_STAGES)
def test_every_catalogued_mistake_is_caught(number, tmp_path):
    """Each mistake of the stage in its own copy of the reference, graded one at a time,
    after a control: the unmodified reference, whose every exercise must pass."""
    stage = next(s for s in list_stages() if s.number == number)
    mistakes = [m for m in MISTAKES if m.stage == number]
    control = [(_reference_workspace(stage, tmp_path / "reference"), None)]
    jobs = []
    for i, mistake in enumerate(mistakes):
        workspace = _reference_workspace(stage, tmp_path / str(i))
        path = workspace / stage.name / mistake.file
        text = path.read_text(encoding="utf-8")
        assert text.count(mistake.replace) == 1, f"{mistake.replace!r} must occur exactly once"
        path.write_text(text.replace(mistake.replace, mistake.with_), encoding="utf-8")
        jobs.append((workspace, mistake.exercise))
    verdicts = check_many(stage, control + jobs)
    reference = verdicts[: len(stage_exercises(stage))]
    verdicts = verdicts[len(reference) :]
    failed = [v.line() for v in reference if v.status != "pass"]
    assert not failed, "the unmodified reference fails its grader:\n" + "\n".join(failed)
    # caught means a test of the exercise failed: not a file that no longer imports, nor an
    # exercise that lost its marker and so is graded by nothing
    slipped = [
        f"{m.exercise} {m.what}: {v.line()}"
        for m, v in zip(mistakes, verdicts, strict=True)
        if v.status != "fail" or not v.test
    ]
    assert not slipped, "mistakes no exercise test caught:\n" + "\n".join(slipped)


def test_the_catalogue_has_three_mistakes_per_stage_with_exercises():
    counts = {s.number: sum(m.stage == s.number for m in MISTAKES) for s in STAGES}
    assert all(n >= 3 for n in counts.values()), counts
