"""Input checks for the from-scratch models (NumPy only), with errors that say what to do.

Each check raises ``ValueError`` (bad values), ``TypeError`` (wrong kind of value) or
``NotFittedError`` (model used before ``fit``) with a message that names the problem and
the fix, instead of letting a NaN or a shape mismatch travel silently through the maths.
Hyper-parameters are checked in ``fit``, not in ``__init__`` (scikit-learn's contract).
"""

import numbers
import warnings

import numpy as np

from journey.estimator import ConvergenceWarning, NotFittedError


def check_array(X, *, ndim: int = 2, name: str = "X", allow_empty: bool = False) -> np.ndarray:
    """Return ``X`` as a float64 array of ``ndim`` dimensions with only finite values."""
    X = _as_float_array(X, name)
    if ndim == 2 and X.ndim == 1:
        raise ValueError(
            f"{name} must be 2-D (n_samples, n_features), got shape {X.shape}; reshape a single "
            f"feature with {name}.reshape(-1, 1) or a single sample with {name}.reshape(1, -1)"
        )
    if X.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got {X.ndim}-D with shape {X.shape}")
    if not allow_empty and X.size == 0:
        raise ValueError(
            f"{name} is empty (shape {X.shape}); at least one sample and one feature are needed"
        )
    check_finite(X, name)
    return X


def _as_float_array(X, name: str) -> np.ndarray:
    try:
        return np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{name} must hold numbers only (got {exc}); encode text or categories as "
            "numbers and replace None by a value first"
        ) from None


def check_finite(X: np.ndarray, name: str = "X") -> None:
    """Raise when ``X`` holds NaN or infinite values."""
    if not np.all(np.isfinite(X)):
        bad = int(np.size(X) - np.count_nonzero(np.isfinite(X)))
        raise ValueError(
            f"{name} contains {bad} NaN or infinite value(s); impute or drop them before fitting"
        )


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
        y = _as_float_array(y, "y")
        if not np.all(np.isfinite(y)):
            raise ValueError("y contains NaN or infinite values; drop those samples before fitting")
    return X, y


def check_classification_targets(y, *, min_classes: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Class labels of any kind (ints, strings) → ``(classes_, codes)`` with codes in 0..K-1.

    ``None``, NaN and infinite labels are refused (they are missing values, not a class);
    ``min_classes=2`` refuses a ``y`` with a single class, as scikit-learn's linear
    classifiers do.
    """
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D (n_samples,), got shape {y.shape}")
    _check_no_missing_labels(y)
    try:
        classes, codes = np.unique(y, return_inverse=True)
    except TypeError:
        kinds = sorted({type(v).__name__ for v in y.tolist()})
        raise TypeError(
            f"y mixes label types {kinds}; use one type for all labels (all int or all str)"
        ) from None
    if len(classes) < min_classes:
        raise ValueError(
            f"y has {len(classes)} class(es) {classes.tolist()}; this classifier needs at least "
            f"{min_classes}: check that the training data holds examples of every class"
        )
    return classes, codes.astype(np.int64)


def _check_no_missing_labels(y: np.ndarray) -> None:
    if y.dtype == object and any(v is None for v in y.tolist()):
        raise ValueError("y contains None labels; drop those samples or give them a class")
    if y.dtype.kind in "fc" or y.dtype == object:
        numeric = [v for v in y.tolist() if isinstance(v, numbers.Number)]
        if not np.all(np.isfinite(np.asarray(numeric, dtype=np.complex128))):
            raise ValueError(
                "y contains NaN or infinite labels; drop those samples or give them a class"
            )


def check_classification_data(X, y, *, min_classes: int = 1):
    """``fit``'s checks for a classifier in one call: ``(X, classes_, codes)``.

    ``X`` finite and 2-D, ``y`` 1-D labels of the same length (any kind, no missing ones),
    at least ``min_classes`` classes; ``codes`` are the labels as integers 0..K-1.
    """
    X, y = check_X_y(X, y, y_numeric=False)
    classes, codes = check_classification_targets(y, min_classes=min_classes)
    return X, classes, codes


def check_fitted_input(model, X, attribute: str) -> np.ndarray:
    """``predict``'s checks in one call: the model is fitted (``attribute``, one that ``fit``
    sets, is there), ``X`` is finite, 2-D and as wide as the data ``fit`` saw."""
    check_is_fitted(model, attribute)
    X = check_array(X)
    check_n_features(X, model.n_features_in_)
    return X


def check_n_features(X: np.ndarray, expected: int) -> None:
    """Raise if ``X`` has a different number of columns than the model was fitted on."""
    if X.shape[1] != expected:
        raise ValueError(
            f"X has {X.shape[1]} features, but the model was fitted with {expected} features; "
            "pass the same columns, in the same order, as in fit"
        )


def check_is_fitted(model, attribute: str) -> None:
    """Raise ``NotFittedError`` when ``model`` has no learned ``attribute`` yet."""
    if getattr(model, attribute, None) is None:
        raise NotFittedError(
            f"{type(model).__name__} is not fitted yet: call fit(X, y) before using it"
        )


def check_int(value, name: str, *, minimum: int | None = None, allow_none: bool = False):
    """A whole number (not a bool, not 2.5), at least ``minimum``."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


def check_float(
    value,
    name: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    strict_minimum: bool = False,
) -> float:
    """A finite real number in ``[minimum, maximum]`` (``(minimum, …`` when ``strict_minimum``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r} ({type(value).__name__})")
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if minimum is not None and (value <= minimum if strict_minimum else value < minimum):
        bound = "greater than" if strict_minimum else "at least"
        raise ValueError(f"{name} must be {bound} {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be at most {maximum}, got {value}")
    return float(value)


def check_option(value, name: str, options) -> None:
    """``value`` must be one of ``options``."""
    if value not in options:
        raise ValueError(f"{name} must be one of {list(options)}, got {value!r}")


def warn_not_converged(model, limit_name: str, limit: int, detail: str = "") -> None:
    """Emit ``ConvergenceWarning``: the solver used all ``limit`` iterations."""
    warnings.warn(
        f"{type(model).__name__} stopped at {limit_name}={limit} before converging{detail}; "
        f"raise {limit_name}, scale the features, or loosen tol",
        ConvergenceWarning,
        stacklevel=3,
    )


def check_labels(y, n_classes: int | None = None) -> np.ndarray:
    """Integer class labels ``0..K-1`` (``K = n_classes`` when given)."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"labels must be 1-D, got shape {y.shape}")
    if y.dtype.kind not in "iufb":
        raise TypeError(
            f"labels must be integers 0..K-1, got dtype {y.dtype}; encode them first "
            "(np.unique(y, return_inverse=True) gives the codes)"
        )
    if y.size and not np.all(np.equal(np.mod(y, 1), 0)):
        raise ValueError("labels must be integers 0..K-1")
    y = y.astype(np.int64)
    if y.size and y.min() < 0:
        raise ValueError(f"labels must be in 0..K-1, found {y.min()}")
    if n_classes is not None and y.size and y.max() >= n_classes:
        raise ValueError(f"labels must be in 0..{n_classes - 1}, found {y.max()}")
    return y
