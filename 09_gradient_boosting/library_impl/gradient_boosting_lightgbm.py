"""Gradient boosting with LightGBM: ``LGBMClassifier`` on breast cancer with a validation set.

LightGBM grows trees *leaf-wise* (always split the leaf with the largest gain, capped by
``num_leaves``) on histogram-binned features, with Newton leaf values like xgboost. The
training curves come from ``callbacks=[lightgbm.record_evaluation(history)]``; validation
data go in through ``eval_X`` / ``eval_y``. Deterministic: ``deterministic=True``,
``force_row_wise=True``, one thread, fixed ``random_state``, ``verbose=-1``.
"""

import lightgbm
import numpy as np

import journey

shared = journey.load_stage("09", "library_impl/_boosting_data.py")
GAIN_TITLE = "LightGBM: total gain per feature"


def fit_lightgbm(
    X_tr, y_tr, X_val, y_val, *, n_estimators=200, learning_rate=0.1, max_depth=3, seed=0
):
    """Fit and return ``(model, history)``; history[split][metric] is a list per round.

    ``num_leaves = 2**max_depth`` lets a leaf-wise tree reach the same size as a depth-wise one.
    """
    model = lightgbm.LGBMClassifier(
        n_estimators=n_estimators,
        learning_rate=learning_rate,
        max_depth=max_depth,
        num_leaves=2**max_depth,
        n_jobs=1,
        random_state=seed,
        deterministic=True,
        force_row_wise=True,
        verbose=-1,
    )
    history: dict = {}
    model.fit(
        X_tr,
        y_tr,
        eval_X=(X_tr, X_val),
        eval_y=(y_tr, y_val),
        eval_names=["train", "validation"],
        eval_metric=["binary_logloss", "auc"],
        callbacks=[lightgbm.record_evaluation(history)],
    )
    return model, {split: dict(metrics) for split, metrics in history.items()}


def total_gain(model) -> np.ndarray:
    """LightGBM's ``gain`` importance: the total gain of the splits on each feature."""
    return model.booster_.feature_importance(importance_type="gain")


def main() -> None:
    shared.run_script(
        __doc__,
        lightgbm,
        fit_lightgbm,
        total_gain,
        loss_key="binary_logloss",
        gain_title=GAIN_TITLE,
    )


if __name__ == "__main__":
    main()
