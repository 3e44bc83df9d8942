"""The stage's data: a seeded noisy sum of sines, cut into (history window → future horizon) pairs.

Both the NumPy forecaster and the PyTorch forecaster read their data from here, so they
see exactly the same numbers. NumPy only.

A forecasting sample is a window of ``window`` past values and the ``horizon`` values that
follow it. The split is chronological: the series is cut once, the first part gives the
training windows and the last part the held-out windows, so no held-out value is ever
seen in training (a random split of overlapping windows would leak the future).
"""

import numpy as np

PERIODS = (40.0, 17.0, 9.0)  # time steps per cycle of each sine
AMPLITUDES = (1.0, 0.5, 0.3)


def sine_mixture(n_steps: int, *, noise: float = 0.1, seed: int = 0) -> np.ndarray:
    """x_t = Σ_k a_k sin(2π t / P_k + φ_k) + ε_t with seeded φ_k ~ U(0, 2π), ε_t ~ N(0, noise²)."""
    if n_steps < 1:
        raise ValueError(f"n_steps must be a positive integer, got {n_steps}")
    if noise < 0:
        raise ValueError(f"noise must be ≥ 0, got {noise}")
    rng = np.random.default_rng(seed)
    t = np.arange(n_steps, dtype=np.float64)
    phases = rng.uniform(0.0, 2 * np.pi, size=len(PERIODS))
    clean = sum(
        a * np.sin(2 * np.pi * t / p + phi)
        for a, p, phi in zip(AMPLITUDES, PERIODS, phases, strict=True)
    )
    return clean + noise * rng.standard_normal(n_steps)


def make_windows(series: np.ndarray, window: int, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Every (window → horizon) pair of a 1-D series: X (n, window), y (n, horizon), stride 1."""
    series = np.asarray(series, dtype=np.float64)
    if series.ndim != 1:
        raise ValueError(f"series must be 1-D, got shape {series.shape}")
    if window < 1 or horizon < 1:
        raise ValueError(f"window and horizon must be ≥ 1, got window={window}, horizon={horizon}")
    if len(series) < window + horizon:
        raise ValueError(
            f"a series of {len(series)} steps is too short for window={window} + horizon={horizon}"
        )
    pairs = np.lib.stride_tricks.sliding_window_view(series, window + horizon)
    return pairs[:, :window].copy(), pairs[:, window:].copy()


def forecasting_split(
    n_steps: int,
    window: int,
    horizon: int,
    *,
    test_fraction: float = 0.2,
    noise: float = 0.1,
    seed: int = 0,
):
    """Chronological split of one seeded series into training and held-out windows.

    Returns ``X_train, y_train, X_test, y_test`` (windows of shape (n, window) and (n, horizon)).
    """
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    series = sine_mixture(n_steps, noise=noise, seed=seed)
    cut = int(round(n_steps * (1 - test_fraction)))
    X_train, y_train = make_windows(series[:cut], window, horizon)
    X_test, y_test = make_windows(series[cut:], window, horizon)
    return X_train, y_train, X_test, y_test


def naive_forecast(X: np.ndarray, horizon: int) -> np.ndarray:
    """The last-value baseline: every future step is predicted as the last observed value."""
    X = np.asarray(X, dtype=np.float64)
    return np.repeat(X[:, -1:], horizon, axis=1)


def mse(prediction: np.ndarray, target: np.ndarray) -> float:
    """Mean squared error over all windows and all horizon steps."""
    prediction, target = (
        np.asarray(prediction, dtype=np.float64),
        np.asarray(target, dtype=np.float64),
    )
    if prediction.shape != target.shape:
        raise ValueError(
            f"prediction shape {prediction.shape} differs from target shape {target.shape}"
        )
    return float(np.mean((prediction - target) ** 2))
