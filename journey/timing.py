"""Wall-clock timing with the standard library's ``timeit``, for notebooks and benchmarks."""

import statistics
import timeit
from collections.abc import Callable


def median_time(
    fn: Callable[[], object], repeats: int = 5, warmup: int = 1
) -> tuple[float, object]:
    """Median seconds of one ``fn()`` call over ``repeats`` timed calls, and the last result.

    ``warmup`` untimed calls first fill caches and let libraries pick their kernels.
    ``timeit`` switches the garbage collector off while timing, so a collection triggered
    by an earlier cell does not land in one of the measurements.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    result = None

    def call():
        nonlocal result
        result = fn()

    for _ in range(warmup):
        call()
    times = timeit.Timer(call).repeat(repeat=repeats, number=1)
    return statistics.median(times), result


def speed_ratio(
    scratch_fn: Callable[[], object], library_fn: Callable[[], object], repeats: int = 5
):
    """``(scratch seconds, library seconds, scratch / library)`` by ``median_time``."""
    scratch, _ = median_time(scratch_fn, repeats)
    library, _ = median_time(library_fn, repeats)
    return scratch, library, scratch / library
