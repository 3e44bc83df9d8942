"""Gradient boosting with xgboost: ``XGBClassifier`` on breast cancer with a validation set.

xgboost is the same idea as stage 09's scratch boosting with three engineering upgrades:
second-order (Newton) leaf values *and* split scores, L2 regularisation of the leaf values
(``reg_lambda``), and histogram-binned features (``tree_method='hist'``) for speed. The
training curves come from the evaluation history it records itself: ``eval_metric`` is set
in the constructor and ``evals_result()`` returns the per-round log-loss and AUC for every
``eval_set``. Deterministic: one thread, fixed ``random_state``.
"""

import argparse
import time

import numpy as np
import xgboost
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

import journey

STAGE = "09_gradient_boosting"


def breast_cancer_split(seed: int = 0):
    """75 % training, 25 % validation (stratified); only the training part is used for fitting."""
    data = load_breast_cancer()
    return (
        *train_test_split(
            data.data, data.target, test_size=0.25, random_state=seed, stratify=data.target
        ),
        list(data.feature_names),
    )


def fit_xgboost(
    X_tr, y_tr, X_val, y_val, *, n_estimators=200, learning_rate=0.1, max_depth=3, seed=0
):
    """Fit and return ``(model, history, seconds)``; history[split][metric] is a list per round."""
    model = xgboost.XGBClassifier(
        n_estimators=n_estimators,
        learning_rate=learning_rate,
        max_depth=max_depth,
        n_jobs=1,
        random_state=seed,
        eval_metric=["logloss", "auc"],
    )
    start = time.perf_counter()
    model.fit(X_tr, y_tr, eval_set=[(X_tr, y_tr), (X_val, y_val)], verbose=False)
    seconds = time.perf_counter() - start
    raw = model.evals_result()
    history = {"train": raw["validation_0"], "validation": raw["validation_1"]}
    return model, history, seconds


def curves_figure(history, title: str, loss_key: str, auc_key: str):
    """Log-loss and AUC per boosting round, training vs validation."""
    plt = journey.plotting.pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    for split in ("train", "validation"):
        axes[0].plot(history[split][loss_key], label=split)
        axes[1].plot(history[split][auc_key], label=split)
    axes[0].set(xlabel="boosting round", ylabel="log-loss", title=f"{title}: log-loss")
    axes[1].set(xlabel="boosting round", ylabel="AUC", title=f"{title}: AUC")
    axes[0].legend()
    fig.tight_layout()
    return fig


def importance_figure(importances, names, title: str, xlabel: str, top: int = 12):
    plt = journey.plotting.pyplot()
    order = np.argsort(importances)[::-1][:top][::-1]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.barh([names[j] for j in order], np.asarray(importances)[order])
    ax.set(title=title, xlabel=xlabel)
    fig.tight_layout()
    return fig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--n-estimators", type=int, default=None, help="default: 200 (30 in quick mode)"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    n_estimators = args.n_estimators or (30 if journey.is_quick() else 200)

    X_tr, X_val, y_tr, y_val, names = breast_cancer_split(args.seed)
    model, history, seconds = fit_xgboost(
        X_tr, y_tr, X_val, y_val, n_estimators=n_estimators, seed=args.seed
    )
    best = int(np.argmin(history["validation"]["logloss"]))
    print(
        f"xgboost {xgboost.__version__}: {n_estimators} rounds in {seconds:.2f} s; validation accuracy "
        f"{model.score(X_val, y_val):.3f}, AUC {history['validation']['auc'][-1]:.4f}; "
        f"lowest validation log-loss {history['validation']['logloss'][best]:.4f} at round {best + 1}"
    )
    journey.save_figure(
        curves_figure(history, "xgboost", "logloss", "auc"), STAGE, "xgboost_curves"
    )
    gain = model.get_booster().get_score(
        importance_type="gain"
    )  # average gain of the feature's splits
    mean_gain = np.array([gain.get(f"f{j}", 0.0) for j in range(len(names))])
    journey.save_figure(
        importance_figure(mean_gain, names, "xgboost: mean gain per split", "gain"),
        STAGE,
        "xgboost_importance",
    )


if __name__ == "__main__":
    main()
