"""pytest plugin behind ``journey check``: run the tests tied to exercises, report per test.

Stage tests name the exercises they grade with ``@pytest.mark.exercise("01.1", "01.2")``.
With ``JOURNEY_CHECK_REPORT`` set, this plugin keeps only those tests (or, with
``JOURNEY_CHECK_ONLY=01.2``, the tests of one exercise) and writes each result as JSON,
along with any test file that could not even be collected.
"""

import json
import os

import pytest

_results: list[dict] = []


def _exercise_ids(item) -> tuple[str, ...]:
    return tuple(i for marker in item.iter_markers("exercise") for i in marker.args)


def pytest_collection_modifyitems(config, items):
    only = os.environ.get("JOURNEY_CHECK_ONLY")
    kept = [i for i in items if _exercise_ids(i) and (not only or only in _exercise_ids(i))]
    dropped = [i for i in items if i not in kept]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    items[:] = kept


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" or report.outcome != "passed":
        _results.append(
            {
                "test": item.nodeid.split("::", 1)[-1],
                "exercises": list(_exercise_ids(item)),
                "outcome": report.outcome,
                "message": _message(report),
            }
        )


def pytest_collectreport(report):
    """A test file that cannot be imported (a SyntaxError in the learner's file, say) grades
    nothing; keep its error so ``journey check`` can show it."""
    if report.failed:
        _results.append(
            {
                "test": report.nodeid,
                "exercises": [],
                "outcome": "collection error",
                "message": _collection_message(report),
            }
        )


def _collection_message(report) -> str:
    lines = [line for line in str(report.longrepr).splitlines() if line.strip()]
    errors = [line.lstrip("E").strip() for line in lines if line.startswith("E ")]
    return "\n".join(errors[-4:] or lines[-4:])


def _message(report) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    return crash.message if crash else (str(report.longrepr) if report.failed else "")


def pytest_sessionstart(session):
    _results.clear()  # one process may grade several workspaces (journey.exercise_batch)


def pytest_sessionfinish(session):
    path = os.environ.get("JOURNEY_CHECK_REPORT")
    if path:
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(_results, fh)
