"""One seeding call for Python's ``random``, NumPy and PyTorch."""

import random

import numpy as np


def seed_everything(seed: int = 0) -> np.random.Generator:
    """Seed Python, NumPy's legacy global state and PyTorch (when installed).

    Returns a fresh ``np.random.default_rng(seed)``: pass that generator explicitly to the
    code that needs randomness, rather than relying on global state.
    """
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 — for third-party code that reads the global state
    try:
        import torch
    except ImportError:
        pass
    else:
        torch.manual_seed(seed)
    return np.random.default_rng(seed)
