"""Gradient boosting with LightGBM: ``LGBMClassifier`` on breast cancer with a validation set.

LightGBM grows trees *leaf-wise* (always split the leaf with the largest gain, capped by
``num_leaves``) on histogram-binned features, with Newton leaf values like xgboost. The
training curves come from ``callbacks=[lightgbm.record_evaluation(history)]``; validation
data go in through ``eval_X`` / ``eval_y``. Deterministic: ``deterministic=True``,
``force_row_wise=True``, one thread, fixed ``random_state``, ``verbose=-1``.
"""

import argparse

import lightgbm
import numpy as np

import journey
from journey.timing import median_time

STAGE = "09_gradient_boosting"
shared = journey.load_stage("09", "library_impl/_boosting_data.py")


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--n-estimators", type=int, default=None, help="default: 200 (30 in quick mode)"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    n_estimators = args.n_estimators or (30 if journey.is_quick() else 200)

    X_tr, X_val, y_tr, y_val, names = shared.breast_cancer_split(args.seed)
    seconds, (model, history) = median_time(
        lambda: fit_lightgbm(X_tr, y_tr, X_val, y_val, n_estimators=n_estimators, seed=args.seed),
        repeats=1,
        warmup=0,
    )
    best = int(np.argmin(history["validation"]["binary_logloss"]))
    print(
        f"lightgbm {lightgbm.__version__}: {n_estimators} rounds in {seconds:.2f} s; "
        f"validation accuracy {model.score(X_val, y_val):.3f}, "
        f"AUC {history['validation']['auc'][-1]:.4f}; lowest validation log-loss "
        f"{history['validation']['binary_logloss'][best]:.4f} at round {best + 1}"
    )
    fig = shared.curves_figure(history, "LightGBM", "binary_logloss", "auc")
    journey.save_figure(fig, STAGE, "lightgbm_curves")
    gain = model.booster_.feature_importance(importance_type="gain")
    fig = shared.importance_figure(gain, names, "LightGBM: total gain per feature", "gain")
    journey.save_figure(fig, STAGE, "lightgbm_importance")


if __name__ == "__main__":
    main()
