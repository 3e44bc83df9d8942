"""Gradient boosting with xgboost: ``XGBClassifier`` on breast cancer with a validation set.

xgboost is the same idea as stage 09's scratch boosting with three engineering upgrades:
second-order (Newton) leaf values *and* split scores, L2 regularisation of the leaf values
(``reg_lambda``), and histogram-binned features (``tree_method='hist'``) for speed. The
training curves come from the evaluation history it records itself: ``eval_metric`` is set
in the constructor and ``evals_result()`` returns the per-round log-loss and AUC for every
``eval_set``. Deterministic: one thread, fixed ``random_state``.
"""

import numpy as np
import xgboost

import journey

shared = journey.load_stage("09", "library_impl/_boosting_data.py")
GAIN_TITLE = "xgboost: mean gain per split"


def fit_xgboost(
    X_tr, y_tr, X_val, y_val, *, n_estimators=200, learning_rate=0.1, max_depth=3, seed=0
):
    """Fit and return ``(model, history)``; history[split][metric] is a list per round."""
    model = xgboost.XGBClassifier(
        n_estimators=n_estimators,
        learning_rate=learning_rate,
        max_depth=max_depth,
        n_jobs=1,
        random_state=seed,
        eval_metric=["logloss", "auc"],
    )
    model.fit(X_tr, y_tr, eval_set=[(X_tr, y_tr), (X_val, y_val)], verbose=False)
    raw = model.evals_result()
    return model, {"train": raw["validation_0"], "validation": raw["validation_1"]}


def mean_gain(model) -> np.ndarray:
    """xgboost's ``gain`` importance: the mean gain of the splits on each feature (0 if unused)."""
    gain = model.get_booster().get_score(importance_type="gain")
    return np.array([gain.get(f"f{j}", 0.0) for j in range(model.n_features_in_)])


def main() -> None:
    shared.run_script(
        __doc__, xgboost, fit_xgboost, mean_gain, loss_key="logloss", gain_title=GAIN_TITLE
    )


if __name__ == "__main__":
    main()
