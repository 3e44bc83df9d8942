"""Input checks of the NumPy MLP (a helper, not a script), kept apart from the lesson.

The hyper-parameters are checked when training starts (``fit``, ``initialize``,
``load_state_dict``), never in ``__init__``, as scikit-learn does; every message says what
to change.
"""

import numpy as np

from journey.validation import (
    check_fitted_input,
    check_float,
    check_int,
    check_is_fitted,
    check_labels,
    check_n_features,
    check_option,
    check_X_y,
)

ACTIVATIONS = ("relu", "tanh")
DTYPES = ("float64", "float32")


def check_hyperparameters(model) -> None:
    """Whole numbers where counts are meant, a positive learning rate, known options."""
    check_int(model.n_hidden, "n_hidden", minimum=1)
    check_option(model.activation, "activation", ACTIVATIONS)
    check_float(model.learning_rate, "learning_rate", minimum=0.0, strict_minimum=True)
    check_int(model.batch_size, "batch_size", minimum=1)
    check_int(model.epochs, "epochs", minimum=1)
    check_option(str(np.dtype(model.dtype)), "dtype", DTYPES)


def check_X(model, X) -> np.ndarray:
    """Finite 2-D inputs with the width the model was fitted on, in the model's dtype."""
    return check_fitted_input(model, X, "params_").astype(model.dtype, copy=False)


def check_batch(model, X, y) -> tuple[np.ndarray, np.ndarray]:
    """``check_X`` plus class indices 0..K-1 (what ``F.cross_entropy`` takes), one per row."""
    check_is_fitted(model, "params_")
    X, y = check_X_y(X, y, y_numeric=False)
    check_n_features(X, model.n_features_in_)
    return X.astype(model.dtype, copy=False), check_labels(y, n_classes=len(model.classes_))


def param_shapes(n_features: int, n_hidden: int, n_classes: int) -> dict[str, tuple]:
    """The shapes ``nn.Linear`` gives the parameters: weight (out, in), bias (out,)."""
    return {
        "fc1.weight": (n_hidden, n_features),
        "fc1.bias": (n_hidden,),
        "fc2.weight": (n_classes, n_hidden),
        "fc2.bias": (n_classes,),
    }
