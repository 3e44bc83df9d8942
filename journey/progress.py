"""Progress bars: one line in a terminal or a notebook, nothing in logs and tests.

tqdm's own switches do the work: ``disable`` when ``JOURNEY_QUIET=1`` (the test suite sets
it) or when nobody is watching (standard error is a file or a pipe, as in ``make bench``
or ``journey run`` logs); the plain text bar (not the ipywidgets one) in notebooks, so an
executed notebook shows a single line instead of a widget or hundreds of fragments.
"""

import os
import sys

from tqdm import tqdm


def is_interactive() -> bool:
    """True in a terminal or a Jupyter kernel, False when output goes to a file or a pipe."""
    return "ipykernel" in sys.modules or sys.stderr.isatty()


def progress(iterable=None, **kwargs):
    """``tqdm`` that stays quiet in tests (``JOURNEY_QUIET=1``) and in non-interactive runs."""
    quiet = os.environ.get("JOURNEY_QUIET", "0") == "1" or not is_interactive()
    kwargs.setdefault("disable", quiet)
    kwargs.setdefault("leave", False)
    kwargs.setdefault("mininterval", 0.5)
    return tqdm(iterable, **kwargs)
