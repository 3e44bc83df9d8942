"""scikit-learn's estimator contract for the from-scratch models, in NumPy only.

A scikit-learn estimator keeps two kinds of state apart:

- hyper-parameters, the arguments of ``__init__``: stored unchanged, nothing else done;
- learned state, set by ``fit`` and named with a trailing underscore (``coef_``,
  ``classes_``, ``n_features_in_``).

Because ``__init__`` only stores its arguments, ``get_params`` can read them back by name
from the signature, and ``clone``, ``Pipeline``, ``cross_val_score`` and ``GridSearchCV``
can rebuild a fresh, unfitted copy. ``BaseEstimator`` gives every scratch model that
behaviour; the mixins add ``score`` (accuracy for classifiers, R² for regressors).

scikit-learn itself is only imported when scikit-learn asks for the tags
(``__sklearn_tags__``), so lesson files stay NumPy-only.
"""

import inspect

import numpy as np


class ConvergenceWarning(UserWarning):
    """An iterative solver stopped at its iteration limit before meeting its tolerance."""


class NotFittedError(ValueError, AttributeError):
    """A model was used before ``fit`` (the same bases as scikit-learn's ``NotFittedError``)."""


class BaseEstimator:
    """``get_params`` / ``set_params`` / ``__repr__`` read from the ``__init__`` signature."""

    _estimator_type: str | None = None

    @classmethod
    def _param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        names = []
        for name, parameter in signature.parameters.items():
            if name == "self":
                continue
            if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                raise TypeError(
                    f"{cls.__name__}.__init__ must name every hyper-parameter explicitly "
                    f"(no *args / **kwargs), so that get_params can find them"
                )
            names.append(name)
        return sorted(names)

    def _store_hyperparameters(self, arguments: dict) -> None:
        """Store every ``__init__`` argument unchanged under its own name, and do nothing else.

        Call it as the whole body of ``__init__``: ``self._store_hyperparameters(locals())``.
        It is the same as writing ``self.C = C`` once per argument (PyTorch Lightning's
        ``save_hyperparameters`` does the same job); checking the values waits for ``fit``.
        """
        for name in self._param_names():
            setattr(self, name, arguments[name])

    def get_params(self, deep: bool = True) -> dict:
        """The hyper-parameters as a dict (nested ones as ``name__param`` when ``deep``)."""
        params = {}
        for name in self._param_names():
            value = getattr(self, name)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                params.update({f"{name}__{k}": v for k, v in value.get_params().items()})
            params[name] = value
        return params

    def set_params(self, **params) -> "BaseEstimator":
        """Set hyper-parameters by name (``name__param`` reaches into a nested estimator)."""
        valid = self._param_names()
        nested: dict[str, dict] = {}
        for key, value in params.items():
            name, _, sub = key.partition("__")
            if name not in valid:
                raise ValueError(
                    f"invalid parameter {name!r} for {type(self).__name__}; "
                    f"valid parameters are {valid}"
                )
            if sub:
                nested.setdefault(name, {})[sub] = value
            else:
                setattr(self, name, value)
        for name, sub_params in nested.items():
            getattr(self, name).set_params(**sub_params)
        return self

    def __repr__(self) -> str:
        defaults = {
            name: p.default for name, p in inspect.signature(type(self).__init__).parameters.items()
        }
        changed = [
            f"{name}={value!r}"
            for name, value in self.get_params(deep=False).items()
            if not _same(value, defaults.get(name, inspect.Parameter.empty))
        ]
        return f"{type(self).__name__}({', '.join(changed)})"

    def __sklearn_tags__(self):
        from sklearn.utils import ClassifierTags, InputTags, RegressorTags, Tags, TargetTags

        return Tags(
            estimator_type=self._estimator_type,
            target_tags=TargetTags(required=self._estimator_type is not None),
            transformer_tags=None,
            classifier_tags=ClassifierTags() if self._estimator_type == "classifier" else None,
            regressor_tags=RegressorTags() if self._estimator_type == "regressor" else None,
            input_tags=InputTags(),
        )


def _same(a, b) -> bool:
    if a is b:
        return True
    try:
        return bool(a == b) and type(a) is type(b)
    except (TypeError, ValueError):
        return False


class ClassifierMixin:
    """``score`` is the accuracy of ``predict``, as in scikit-learn."""

    _estimator_type = "classifier"

    def score(self, X, y) -> float:
        """Fraction of samples whose predicted label equals ``y``."""
        y = np.asarray(y)
        prediction = self.predict(X)
        if prediction.shape != y.shape:
            raise ValueError(
                f"y has shape {y.shape} but the model predicted {prediction.shape}; "
                "pass one label per row of X"
            )
        return float(np.mean(prediction == y))


class RegressorMixin:
    """``score`` is the coefficient of determination R² of ``predict``, as in scikit-learn."""

    _estimator_type = "regressor"

    def score(self, X, y) -> float:
        """R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)²."""
        y = np.asarray(y, dtype=np.float64)
        prediction = self.predict(X)
        if prediction.shape != y.shape:
            raise ValueError(
                f"y has shape {y.shape} but the model predicted {prediction.shape}; "
                "pass one target per row of X"
            )
        residual = np.sum((y - prediction) ** 2)
        total = np.sum((y - y.mean()) ** 2)
        return float(1.0 - residual / total) if total > 0 else float(residual == 0)
