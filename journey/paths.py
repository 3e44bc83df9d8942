"""Where things live: the repository root, ``outputs/``, ``data/`` and the quick-mode switch."""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
OUTPUTS_DIR = Path(os.environ.get("JOURNEY_OUTPUTS", REPO_ROOT / "outputs"))


def data_dir(override: str | os.PathLike | None = None) -> Path:
    """The dataset folder: ``override``, else ``$DATA_DIR``, else ``<repo>/data``."""
    if override is not None:
        return Path(override)
    return Path(os.environ.get("DATA_DIR", REPO_ROOT / "data"))


def stage_output_dir(stage: str) -> Path:
    """``outputs/<stage>/`` for a stage folder name, created if needed."""
    path = OUTPUTS_DIR / stage
    path.mkdir(parents=True, exist_ok=True)
    return path


def is_quick() -> bool:
    """True when ``JOURNEY_QUICK=1``: scripts and notebooks shrink data and epochs (same code)."""
    return os.environ.get("JOURNEY_QUICK", "0") == "1"


def is_offline() -> bool:
    """True when ``JOURNEY_OFFLINE=1``: never try a download (the test suite sets this)."""
    return os.environ.get("JOURNEY_OFFLINE", "0") == "1"
