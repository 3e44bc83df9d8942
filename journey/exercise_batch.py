"""Grade many workspaces of one stage in one process: ``python -m journey.exercise_batch JOBS``.

``journey check`` starts a fresh pytest for one learner. The mistake catalogue grades dozens
of deliberately wrong workspaces; starting pytest (and importing PyTorch) for each would
cost seconds apiece. Here the heavy libraries are imported once, and before each job the
modules that depend on the workspace (the stage's lesson files, the test files) are
forgotten, so every job imports the learner's code afresh.

``JOBS`` is a JSON file: ``{"tests": [...], "jobs": [{"workspace", "stage", "only",
"report"}, ...]}``.
"""

import json
import os
import sys

import pytest

FRESH_PREFIXES = ("journey_stage_", "journey_workspace_", "test_")


def _forget_workspace_modules() -> None:
    for name in [n for n in sys.modules if n.startswith(FRESH_PREFIXES)]:
        del sys.modules[name]


def run_job(tests: list[str], job: dict) -> int:
    os.environ.update(
        JOURNEY_WORKSPACE=job["workspace"],
        JOURNEY_WORKSPACE_STAGES=job["stage"],
        JOURNEY_CHECK_REPORT=job["report"],
        JOURNEY_CHECK_ONLY=job.get("only") or "",
    )
    _forget_workspace_modules()
    args = [*tests, "-m", "not slow", "-p", "no:cacheprovider", "-q", "--tb=no", "-x"]
    return pytest.main(args + ["--no-header", "-rN"], plugins=[])


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    with open(argv[0], encoding="utf-8") as fh:
        spec = json.load(fh)
    for job in spec["jobs"]:
        run_job(spec["tests"], job)
    return 0


if __name__ == "__main__":
    sys.exit(main())
