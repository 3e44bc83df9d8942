"""The data split and the figures the xgboost and LightGBM scripts share.

Both fit breast cancer with a held-out validation set and draw the same two figures, so a
reader can put the two side by side: the per-round training curves and the gain per feature.
"""

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

import journey


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
