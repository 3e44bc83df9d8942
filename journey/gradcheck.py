"""Gradient checking by central finite differences (NumPy only).

For a scalar function f of an array p, the central difference

    ∂f/∂p_i ≈ (f(p + h e_i) - f(p - h e_i)) / (2h)

has error O(h²); in float64 with h ≈ 1e-6 it agrees with a correct analytic gradient to
about 1e-8 relative or better. Stages 02, 04, 10 and 13 check their hand-written
backward passes with it.
"""

from collections.abc import Callable

import numpy as np


def relative_error(a, b) -> float:
    """The design's relative error: ``max|a-b| / max(1e-12, max(|a|+|b|))``."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare arrays of shapes {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b)) / max(1e-12, float(np.max(np.abs(a) + np.abs(b)))))


def numerical_gradient(f: Callable[[], float], param: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of ``f()`` with respect to ``param`` (perturbed in place).

    ``f`` takes no arguments and reads ``param`` (for example a model's weight array), so
    the same helper checks any parameter of any model. ``param`` is restored exactly.
    """
    if param.dtype != np.float64:
        raise ValueError(f"gradient checks need float64 parameters, got {param.dtype}")
    grad = np.zeros_like(param)
    flat, flat_grad = param.reshape(-1), grad.reshape(-1)
    if not np.shares_memory(flat, param):
        raise ValueError("param must be a contiguous array so it can be perturbed in place")
    for i in range(flat.size):
        original = flat[i]
        flat[i] = original + h
        f_plus = f()
        flat[i] = original - h
        f_minus = f()
        flat[i] = original
        flat_grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def check_gradient(
    f: Callable[[], float], param: np.ndarray, analytic: np.ndarray, h: float = 1e-6
) -> float:
    """Relative error between ``analytic`` and the finite-difference gradient of ``f``."""
    return relative_error(analytic, numerical_gradient(f, param, h))
