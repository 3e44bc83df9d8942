"""Progress bars that show in a terminal or notebook and stay quiet in tests."""

import os

from tqdm import tqdm


def progress(iterable=None, **kwargs):
    """``tqdm`` with ``disable`` set when ``JOURNEY_QUIET=1`` (the test suite sets it)."""
    kwargs.setdefault("disable", os.environ.get("JOURNEY_QUIET", "0") == "1")
    kwargs.setdefault("leave", False)
    return tqdm(iterable, **kwargs)
