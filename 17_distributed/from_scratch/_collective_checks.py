"""Input checks for the simulated collectives and the data-parallel step (NumPy only)."""

import numpy as np


def check_buffers(arrays) -> tuple[int, ...]:
    """One array per worker, all of the same shape and finite; returns that shape."""
    if not isinstance(arrays, list | tuple) or len(arrays) == 0:
        raise ValueError("give one array per worker: a non-empty list of arrays")
    shapes = {np.shape(a) for a in arrays}
    if len(shapes) != 1:
        raise ValueError(
            f"every worker must hold an array of the same shape, got {sorted(shapes)}; "
            "flatten the gradients into one buffer of the same length on every worker"
        )
    if not all(np.all(np.isfinite(a)) for a in arrays):
        raise ValueError("a worker's array holds NaN or infinite values; fix the gradient first")
    return shapes.pop()


def check_divides(batch_size: int, n_workers: int) -> None:
    """Each worker must get the same number of samples, or the average of averages is biased."""
    if n_workers < 1:
        raise ValueError(f"the number of workers must be at least 1, got {n_workers}")
    if batch_size % n_workers:
        raise ValueError(
            f"the global batch of {batch_size} samples does not split evenly over {n_workers} "
            f"workers; pick a batch size that is a multiple of {n_workers} (e.g. "
            f"{batch_size - batch_size % n_workers or n_workers}) or a number of workers that "
            f"divides {batch_size}"
        )
