"""Gradient boosting with xgboost: ``XGBClassifier`` on breast cancer with a validation set.

xgboost is the same idea as stage 09's scratch boosting with three engineering upgrades:
second-order (Newton) leaf values *and* split scores, L2 regularisation of the leaf values
(``reg_lambda``), and histogram-binned features (``tree_method='hist'``) for speed. The
training curves come from the evaluation history it records itself: ``eval_metric`` is set
in the constructor and ``evals_result()`` returns the per-round log-loss and AUC for every
``eval_set``. Deterministic: one thread, fixed ``random_state``.
"""

import argparse

import numpy as np
import xgboost

import journey
from journey.timing import median_time

STAGE = "09_gradient_boosting"
shared = journey.load_stage("09", "library_impl/_boosting_data.py")


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


def mean_gain(model, n_features: int) -> np.ndarray:
    """xgboost's ``gain`` importance: the mean gain of the splits on each feature (0 if unused)."""
    gain = model.get_booster().get_score(importance_type="gain")
    return np.array([gain.get(f"f{j}", 0.0) for j in range(n_features)])


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
        lambda: fit_xgboost(X_tr, y_tr, X_val, y_val, n_estimators=n_estimators, seed=args.seed),
        repeats=1,
        warmup=0,
    )
    best = int(np.argmin(history["validation"]["logloss"]))
    print(
        f"xgboost {xgboost.__version__}: {n_estimators} rounds in {seconds:.2f} s; "
        f"validation accuracy {model.score(X_val, y_val):.3f}, "
        f"AUC {history['validation']['auc'][-1]:.4f}; lowest validation log-loss "
        f"{history['validation']['logloss'][best]:.4f} at round {best + 1}"
    )
    fig = shared.curves_figure(history, "xgboost", "logloss", "auc")
    journey.save_figure(fig, STAGE, "xgboost_curves")
    gain = mean_gain(model, len(names))
    fig = shared.importance_figure(gain, names, "xgboost: mean gain per split", "gain")
    journey.save_figure(fig, STAGE, "xgboost_importance")


if __name__ == "__main__":
    main()
