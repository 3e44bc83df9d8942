"""Shared test set-up: offline, quiet, headless, one thread per worker, and the notebook runner."""

import os
import time

os.environ.setdefault("JOURNEY_OFFLINE", "1")  # tests never download
os.environ.setdefault("JOURNEY_QUIET", "1")  # no progress bars
os.environ.setdefault("JOURNEY_PARITY_SILENT", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("OMP_NUM_THREADS", "1")  # pytest-xdist runs one worker per core
# When this test run began: set once by the main process, inherited by the xdist workers.
os.environ.setdefault("JOURNEY_TEST_RUN_START", str(time.time()))

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


@pytest.fixture(scope="session")
def artefacts(tmp_path_factory):
    """Stage 16's artefacts (both models) built from nothing, once for every stage-16 test file.

    The CNN is stage 11's quick stand-in, trained on the bundled digits in a temporary DATA_DIR.
    """
    import journey

    build = journey.load_stage("16", "library_impl/build_artefacts.py")
    root = tmp_path_factory.mktemp("stage16")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DATA_DIR", str(root / "data"))
        build.build_all(root / "16", root / "11", quick=True)
    return root / "16"
