"""Shared test set-up: offline, quiet, headless, one thread per worker, and the notebook runner."""

import os

os.environ.setdefault("JOURNEY_OFFLINE", "1")  # tests never download
os.environ.setdefault("JOURNEY_QUIET", "1")  # no progress bars
os.environ.setdefault("JOURNEY_PARITY_SILENT", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("OMP_NUM_THREADS", "1")  # pytest-xdist runs one worker per core

import pytest  # noqa: E402


def pytest_configure(config):
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(1)


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """A temporary, empty ``DATA_DIR`` for tests that write datasets in their real formats."""
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    return tmp_path
