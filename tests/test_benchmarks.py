"""``python -m benchmarks --quick`` runs every case and both sides of each agree."""

import os
import subprocess
import sys

from journey import REPO_ROOT


def test_every_benchmark_case_runs_and_agrees(tmp_path):
    out = tmp_path / "bench.md"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--output", str(out)],
        cwd=REPO_ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    table = out.read_text()
    from benchmarks.cases import CASES

    for case in CASES:
        assert case.name in table
    assert "machine:" in table and "✗)" not in table


def test_mnist_epoch_timer_trains_through_the_real_loader():
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.mnist_epoch", "--train-size", "320"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "DataLoader" in proc.stdout and "--fast" in proc.stdout
    assert proc.stdout.count("s per epoch on cpu") == 2
