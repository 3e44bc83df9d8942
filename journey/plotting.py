"""Headless-safe figures: Agg when there is no display, PNGs under ``outputs/NN_topic/``."""

import os
import sys
from pathlib import Path

from journey.paths import stage_output_dir


def _use_headless_backend_if_needed() -> None:
    """Select Agg before pyplot is imported when no display is available (and not in Jupyter)."""
    if "matplotlib.pyplot" in sys.modules or "ipykernel" in sys.modules:
        return
    if os.environ.get("MPLBACKEND"):
        return
    no_display = sys.platform.startswith("linux") and not os.environ.get("DISPLAY")
    if no_display or os.environ.get("CI"):
        import matplotlib

        matplotlib.use("Agg")


def pyplot():
    """Return ``matplotlib.pyplot`` with a headless backend when needed."""
    _use_headless_backend_if_needed()
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, stage: str, name: str, *, close: bool = True, quiet: bool = False) -> Path:
    """Save ``fig`` as ``outputs/<stage>/<name>.png`` and print the path written.

    In a notebook pass ``close=False`` to keep the figure displayed inline.
    """
    if not name.endswith(".png"):
        name += ".png"
    path = stage_output_dir(stage) / name
    fig.savefig(path, dpi=110, bbox_inches="tight")
    if close:
        pyplot().close(fig)
    if not quiet:
        print(f"figure written: {path}")
    return path
