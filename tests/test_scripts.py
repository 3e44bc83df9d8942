"""Every stage script answers ``--help`` and runs to the end in quick mode."""

import os
import subprocess
import sys

import pytest

from journey import REPO_ROOT, list_stages
from journey.parity import read_log
from journey.runner import stage_scripts

SCRIPTS = [script for stage in list_stages() for script in stage_scripts(stage)]


def _id(script):
    return script.relative_to(REPO_ROOT).as_posix()


@pytest.mark.parametrize("script", SCRIPTS, ids=_id)
def test_script_has_help(script):
    proc = subprocess.run(
        [sys.executable, str(script), "--help"],
        cwd=script.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "usage" in proc.stdout.lower()


@pytest.mark.parametrize("script", SCRIPTS, ids=_id)
def test_script_runs_in_quick_mode(script, tmp_path):
    env = dict(os.environ, JOURNEY_QUICK="1", JOURNEY_PARITY_LOG=str(tmp_path / "parity.jsonl"))
    proc = subprocess.run(
        [sys.executable, str(script)],
        cwd=script.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    failed = [r.line() for r in read_log(tmp_path / "parity.jsonl") if not r.passed]
    assert not failed, "\n".join(failed)
