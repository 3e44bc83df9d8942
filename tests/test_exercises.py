"""Exercise regions: parsing, stripping to stubs, restoring, and the markers of every stage."""

import pytest

from journey import list_stages
from journey.exercises import is_started, parse, restore, strip

LESSON = '''def gradient(X, y, w):
    """∂L/∂w = (2/n) Xᵀ(Xw − y)."""
    # BEGIN SOLUTION 99.1
    # task: the gradient of the mean squared error
    # hint: (2/n) Xᵀr with r = Xw − y
    residual = X @ w - y
    return 2.0 / len(X) * X.T @ residual
    # END SOLUTION


def step(w, g, eta):
    # BEGIN SOLUTION 99.2
    # task: one gradient-descent step
    # hint: w − ηg
    return w - eta * g
    # END SOLUTION
'''


def test_parse_finds_ids_tasks_hints_and_bodies():
    first, second = parse(LESSON)
    assert (first.id, second.id) == ("99.1", "99.2")
    assert first.task == "the gradient of the mean squared error"
    assert second.hint == "w − ηg"
    assert (
        "".join(first.body)
        == "    residual = X @ w - y\n    return 2.0 / len(X) * X.T @ residual\n"
    )
    assert first.indent == "    " and is_started(first)


def test_strip_leaves_a_stub_that_raises_with_task_and_hint():
    stripped = strip(LESSON)
    namespace = {}
    exec(compile(stripped, "<lesson>", "exec"), namespace)
    with pytest.raises(NotImplementedError, match=r"exercise 99\.2: one gradient-descent step"):
        namespace["step"](1.0, 1.0, 0.1)
    assert '"""∂L/∂w = (2/n) Xᵀ(Xw − y)."""' in stripped  # the maths stays
    assert not any(is_started(ex) for ex in parse(stripped))


def test_strip_then_restore_is_byte_identical_and_restores_one_at_a_time():
    stripped = strip(LESSON)
    assert restore(stripped, LESSON) == LESSON
    one = parse(restore(stripped, LESSON, "99.1"))
    assert is_started(one[0]) and not is_started(one[1])


@pytest.mark.parametrize(
    "broken, message",
    [
        (LESSON.replace("    # END SOLUTION\n\n\ndef step", "\n\ndef step", 1), "not closed"),
        (LESSON.replace("    # hint: w − ηg\n", ""), "must be followed by"),
        ("    # END SOLUTION\n", "without a BEGIN"),
    ],
)
def test_malformed_markers_are_refused(broken, message):
    with pytest.raises(ValueError, match=message):
        parse(broken)


@pytest.mark.parametrize("stage", list_stages(), ids=lambda s: s.name)
def test_every_stage_strips_and_restores_its_lesson_files_exactly(stage):
    for path in stage.scratch_scripts:
        text = path.read_text(encoding="utf-8")
        assert restore(strip(text), text) == text
        ids = [ex.id for ex in parse(text, path.name)]
        assert all(i.startswith(stage.number + ".") for i in ids), ids
        assert len(ids) == len(set(ids))
