"""The data split, the figures and the ``main()`` the xgboost and LightGBM scripts share.

Both fit breast cancer with a held-out validation set and draw the same two figures, so a
reader can put the two side by side: the per-round training curves and the gain per feature.
"""

import argparse

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

import journey
from journey.cli import ensemble_flags
from journey.timing import median_time

STAGE = "09_gradient_boosting"


def breast_cancer_split(seed: int = 0):
    """75 % training, 25 % validation (stratified), and the feature names.

    Returns ``X_train, X_val, y_train, y_val, names``; only the training part is fitted.
    """
    data = load_breast_cancer()
    split = train_test_split(
        data.data, data.target, test_size=0.25, random_state=seed, stratify=data.target
    )
    return (*split, list(data.feature_names))


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
    """The ``top`` most important features as horizontal bars, largest at the top."""
    plt = journey.plotting.pyplot()
    order = np.argsort(importances)[::-1][:top][::-1]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.barh([names[j] for j in order], np.asarray(importances)[order])
    ax.set(title=title, xlabel=xlabel)
    fig.tight_layout()
    return fig


def run_script(doc: str, library, fit, gain, *, loss_key: str, gain_title: str) -> None:
    """Both scripts' ``main()``: time ``fit`` on the split, report it, save the two figures.

    ``fit(X_tr, y_tr, X_val, y_val, n_estimators=…, seed=…)`` returns ``(model, history)``;
    ``gain(model)`` the gain importance per feature; ``loss_key`` names the log-loss in history.
    """
    parser = argparse.ArgumentParser(
        description=doc.split("\n")[0],
        parents=[ensemble_flags(n_estimators=200, quick_n_estimators=30)],
    )
    args = parser.parse_args()
    X_tr, X_val, y_tr, y_val, names = breast_cancer_split(args.seed)
    seconds, (model, history) = median_time(
        lambda: fit(X_tr, y_tr, X_val, y_val, n_estimators=args.n_estimators, seed=args.seed),
        repeats=1,
        warmup=0,
    )
    validation = history["validation"]
    best = int(np.argmin(validation[loss_key]))
    name = library.__name__
    print(
        f"{name} {library.__version__}: {args.n_estimators} rounds in {seconds:.2f} s; "
        f"validation accuracy {model.score(X_val, y_val):.3f}, "
        f"AUC {validation['auc'][-1]:.4f}; lowest validation log-loss "
        f"{validation[loss_key][best]:.4f} at round {best + 1}"
    )
    fig = curves_figure(history, name, loss_key, "auc")
    journey.save_figure(fig, STAGE, f"{name}_curves")
    fig = importance_figure(gain(model), names, gain_title, "gain")
    journey.save_figure(fig, STAGE, f"{name}_importance")
