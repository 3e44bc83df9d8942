"""The command line: ``python -m journey list / run``, exit codes and the report."""

import os
import subprocess
import sys

import pytest

from journey import REPO_ROOT, Stage, list_stages
from journey.parity import read_log


def journey_cli(*args, env=None, timeout=600):
    return subprocess.run(
        [sys.executable, "-m", "journey", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_list_shows_every_stage():
    proc = journey_cli("list")
    assert proc.returncode == 0, proc.stderr
    for stage in list_stages():
        assert stage.name in proc.stdout
    assert "00_introduction" in proc.stdout


def test_unknown_stage_is_a_clear_error():
    proc = journey_cli("run", "99", "--quick")
    assert proc.returncode != 0
    assert "unknown stage '99'" in proc.stderr and "01_linear_regression" in proc.stderr


def test_help():
    proc = journey_cli("run", "--help")
    assert proc.returncode == 0 and "--quick" in proc.stdout


@pytest.fixture
def isolated_outputs(tmp_path):
    return tmp_path, dict(os.environ, JOURNEY_OUTPUTS=str(tmp_path))


def test_run_01_02_quick_writes_a_passing_report(isolated_outputs):
    outputs, env = isolated_outputs
    proc = journey_cli("run", "01", "02", "--quick", env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = (outputs / "report.md").read_text()
    for stage in ("01_linear_regression", "02_logistic_regression"):
        records = read_log(outputs / stage / "parity.jsonl")
        sources = {r.source.split("/")[1] for r in records}
        assert {"from_scratch", "comparison.ipynb"} <= sources  # scripts and notebook both report
        assert records and all(r.passed for r in records)
        assert f"## {stage} ✓" in report
        assert (outputs / stage / "comparison.ipynb").exists()
        assert list((outputs / stage).glob("*.png"))
    assert "✗" not in report


def test_run_exits_non_zero_when_a_check_fails(tmp_path, monkeypatch, capsys):
    """A stage whose script records a failing check makes the run fail and names the stage."""
    import journey.__main__ as cli
    import journey.paths

    stage_dir = tmp_path / "01_broken"
    (stage_dir / "from_scratch").mkdir(parents=True)
    (stage_dir / "from_scratch" / "broken_numpy.py").write_text(
        "from journey import parity\nparity.close('wrong on purpose', 1.0, 2.0, atol=1e-3)\n"
    )
    monkeypatch.setattr(journey.paths, "OUTPUTS_DIR", tmp_path / "outputs")
    monkeypatch.setattr(cli, "find_stage", lambda key: Stage(stage_dir))
    assert cli.main(["run", "01_broken", "--quick"]) == 1
    assert "failed stages: 01_broken" in capsys.readouterr().err
    report = (tmp_path / "outputs" / "report.md").read_text()
    assert "wrong on purpose" in report and "✗" in report


def test_list_of_one_stage_gives_its_commands_in_order():
    proc = journey_cli("list", "01")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    scratch = next(i for i, line in enumerate(lines) if "from_scratch/linear_regression" in line)
    library = next(i for i, line in enumerate(lines) if "library_impl/linear_regression" in line)
    assert scratch < library
    assert 'tests/test_01_linear_regression.py -m "not slow"' in proc.stdout


def test_a_stage_runs_its_from_scratch_scripts_then_the_library_and_never_a_helper(tmp_path):
    from journey.runner import stage_scripts

    folder = tmp_path / "42_toy"
    (folder / "from_scratch").mkdir(parents=True)
    (folder / "library_impl").mkdir()
    for name in ("b_numpy.py", "_helper.py", "a_numpy.py"):
        (folder / "from_scratch" / name).write_text("")
    (folder / "library_impl" / "a_torch.py").write_text("")
    names = [p.name for p in stage_scripts(Stage(folder))]
    assert names == ["a_numpy.py", "b_numpy.py", "a_torch.py"]
