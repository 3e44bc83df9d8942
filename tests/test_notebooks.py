"""Every stage's comparison notebook runs top to bottom, headless, in quick mode.

The executed copies go to ``outputs/<stage>/comparison.ipynb``; the parity checks a
notebook records must all pass.
"""

import json

import pytest

from journey import list_stages, stage_output_dir
from journey.parity import read_log
from journey.runner import run_notebook

STAGES_WITH_NOTEBOOKS = [s for s in list_stages() if s.notebook]


def test_every_code_stage_has_a_notebook():
    missing = [s.name for s in list_stages() if s.number != "00" and not s.notebook]
    assert not missing, f"stages without comparison.ipynb: {missing}"


@pytest.mark.parametrize("stage", STAGES_WITH_NOTEBOOKS, ids=lambda s: s.name)
def test_notebook_is_committed_clean(stage):
    nb = json.loads(stage.notebook.read_text())
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code, "a comparison notebook must run code"
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), (
        "strip outputs and execution counts before committing"
    )


@pytest.mark.xdist_group("notebooks")  # test_notebooks_book.py renders these executed copies
@pytest.mark.parametrize("stage", STAGES_WITH_NOTEBOOKS, ids=lambda s: s.name)
def test_notebook_runs_in_quick_mode(stage, tmp_path):
    log = tmp_path / "parity.jsonl"
    env = {"JOURNEY_QUICK": "1", "JOURNEY_PARITY_LOG": str(log), "MPLBACKEND": "Agg"}
    error = run_notebook(stage.notebook, env, stage_output_dir(stage.name))
    assert error is None, error
    records = read_log(log)
    assert records, "the notebook should record its comparisons with journey.parity"
    failed = [r.line() for r in records if not r.passed]
    assert not failed, "\n".join(failed)
