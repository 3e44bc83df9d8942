"""Input checks for the from-scratch models (NumPy only), with errors that say what to do.

Each check raises ``ValueError`` (bad data) or ``RuntimeError`` (model used before ``fit``)
with a message that names the problem and the fix, instead of letting a NaN or a shape
mismatch travel silently through the maths.
"""

import numpy as np


def check_array(X, *, ndim: int = 2, name: str = "X", allow_empty: bool = False) -> np.ndarray:
    """Return ``X`` as a float64 array of ``ndim`` dimensions with only finite values."""
    X = np.asarray(X, dtype=np.float64)
    if ndim == 2 and X.ndim == 1:
        raise ValueError(
            f"{name} must be 2-D (n_samples, n_features), got shape {X.shape}; "
            f"reshape a single feature with {name}.reshape(-1, 1) or a single sample with {name}.reshape(1, -1)"
        )
    if X.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got {X.ndim}-D with shape {X.shape}")
    if not allow_empty and X.size == 0:
        raise ValueError(
            f"{name} is empty (shape {X.shape}); at least one sample and one feature are needed"
        )
    if not np.all(np.isfinite(X)):
        bad = int(np.size(X) - np.count_nonzero(np.isfinite(X)))
        raise ValueError(
            f"{name} contains {bad} NaN or infinite value(s); impute or drop them before fitting"
        )
    return X


def check_X_y(X, y, *, y_numeric: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Validate a design matrix and its targets together: 2-D ``X``, 1-D ``y``, same length."""
    X = check_array(X, ndim=2, name="X")
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D (n_samples,), got shape {y.shape}")
    if len(y) != len(X):
        raise ValueError(
            f"X and y have different lengths: {len(X)} samples in X but {len(y)} targets in y"
        )
    if y_numeric:
        y = y.astype(np.float64)
        if not np.all(np.isfinite(y)):
            raise ValueError("y contains NaN or infinite values; drop those samples before fitting")
    return X, y


def check_n_features(X: np.ndarray, expected: int) -> None:
    """Raise if ``X`` has a different number of columns than the model was fitted on."""
    if X.shape[1] != expected:
        raise ValueError(
            f"X has {X.shape[1]} features, but the model was fitted with {expected} features"
        )


def check_is_fitted(model, attribute: str) -> None:
    """Raise ``RuntimeError`` when ``model`` has no learned ``attribute`` yet."""
    if getattr(model, attribute, None) is None:
        raise RuntimeError(
            f"{type(model).__name__} is not fitted yet: call fit(X, y) before using it"
        )


def check_labels(y, n_classes: int | None = None) -> np.ndarray:
    """Integer class labels ``0..K-1`` (``K = n_classes`` when given)."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"labels must be 1-D, got shape {y.shape}")
    if y.size and not np.all(np.equal(np.mod(y, 1), 0)):
        raise ValueError("labels must be integers 0..K-1")
    y = y.astype(np.int64)
    if y.size and y.min() < 0:
        raise ValueError(f"labels must be in 0..K-1, found {y.min()}")
    if n_classes is not None and y.size and y.max() >= n_classes:
        raise ValueError(f"labels must be in 0..{n_classes - 1}, found {y.max()}")
    return y
